/*  eligibility: the programme's province and list of eligible divisions,
 *  asked of programme_eligibility() (0019) and turned into refusals in
 *  Chinese that say which programme, which province and which list.
 */
#include "intake/eligibility.h"

#include <stdio.h>
#include <string.h>

#include "intake/validate.h"
#include "kc/kc_db.h"

static void s_refuse(const PGresult *result, const Kc__V1__SubmitApplication *application,
                     const char *code, bool town, kc_errors_t *errors)
{
    const char *verdict = PQgetvalue(result, 0, 0);
    const char *province = PQgetvalue(result, 0, 1);
    const char *version = PQgetvalue(result, 0, 2);
    const char *source = PQgetvalue(result, 0, 3);
    const char *programme = PQgetvalue(result, 0, 4);
    const char *name = PQgetvalue(result, 0, 5);
    kc_error_t *error = NULL;
    if (strcmp(verdict, "outside_province") == 0) {
        const char *county =
            application->form_case == KC__V1__SUBMIT_APPLICATION__FORM_MOUNTAIN_BASE
                ? application->mountain_base->county_code
                : application->programme_form->county_code;
        error = kc_errors_add(errors, KC_ERR_OUTSIDE_PROVINCE, "form.county_code",
                              "%s（%.8s）不在%s：%s只受理%s的申报", name, county, province,
                              programme, province);
        if (error)
            kc_error_hint(error, "向所在省份的同类项目申报");
    } else if (strcmp(verdict, "town_not_in_county") == 0) {
        error = kc_errors_add(errors, KC_ERR_NOT_ELIGIBLE, "form.town_code",
                              "乡镇 '%.16s' 不是县级单位 '%.8s' 所辖的乡镇（街道）", code,
                              application->programme_form->county_code);
    } else if (strcmp(verdict, "not_listed") == 0) {
        error = kc_errors_add(
            errors, KC_ERR_NOT_ELIGIBLE, town ? "form.town_code" : "form.county_code",
            "%s（%.16s）不在%s的申报范围名单（第 %s 版）内", name, code, programme, version);
        if (error) {
            kc_error_detail(error, "名单依据：%s", source);
            kc_error_hint(error, "名单由省级主管部门维护：kcctl eligible show %.32s",
                          application->programme);
        }
    } else if (strcmp(verdict, "eligible") != 0) {
        error = kc_errors_add(errors, KC_ERR_UNKNOWN_PROGRAMME, "programme",
                              "项目 '%.32s' 没有所属省份", application->programme);
    }
}

int eligibility_check(PGconn *conn, const Kc__V1__SubmitApplication *application, int year,
                      kc_errors_t *errors)
{
    const char *county, *name, *organisation;
    validate_application_key(application, &county, &name, &organisation);
    bool town = validate_application_town(application->programme);
    const char *town_code = town ? application->programme_form->town_code : "";
    char year_text[16];
    snprintf(year_text, sizeof year_text, "%d", year);
    const char *values[] = {application->programme, county, town_code, year_text};
    PGresult *result = PQexecParams(conn, "SELECT * FROM programme_eligibility($1, $2, $3, $4)", 4,
                                    NULL, values, NULL, NULL, 0);
    kc_error_t error;
    int rc = kc_db_check(conn, result, "asking whether the division may apply", &error);
    if (rc)
        kc_errors_push(errors, &error);
    else if (PQntuples(result) == 1)
        s_refuse(result, application, town ? town_code : county, town, errors);
    PQclear(result);
    return rc;
}
