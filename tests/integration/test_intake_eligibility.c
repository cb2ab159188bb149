/*  Programmes bound to their provinces, through the real kc-intake: a
 *  Hebei mountain base only from a county on the mountain list, a Gansu
 *  or Guangdong programme only from that province (and a town of the
 *  county it names), and the list replaced by `kcctl eligible load`,
 *  audited, with the next application judged against the new version.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kc/kc_json.h"
#include "requests.h"

static harness_node_t s_node;

static void s_start(void)
{
    harness_node_start(&s_node);
}

static void s_stop(void)
{
    harness_node_stop(&s_node);
}

TestSuite(eligibility, .init = s_start, .fini = s_stop, .timeout = 120);

static Kc__V1__SubmitApplication *s_base_in(const char *county)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message =
        kc_json_file_to_message("tests/integration/fixtures/mountain_base.json",
                                &kc__v1__submit_application__descriptor, &errors);
    cr_assert(message, "fixture: %s", errors.kept ? errors.items[0].message : "?");
    kc_errors_release(&errors);
    Kc__V1__SubmitApplication *application = (Kc__V1__SubmitApplication *)message;
    free(application->mountain_base->county_code);
    application->mountain_base->county_code = strdup(county);
    return application;
}

static kc_envelope_t *s_submit(Kc__V1__SubmitApplication *application, const char *key)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION;
    request.submit_application = application;
    return requests_call(&s_node, &request, "applicant", key);
}

/* The message of the reply's only error, "" when it was accepted. */
static const char *s_message(const kc_envelope_t *reply)
{
    if (reply->body_case != KC__V1__ENVELOPE__BODY_REJECTED || reply->rejected->n_errors != 1)
        return "";
    return reply->rejected->errors[0]->message;
}

Test(eligibility, a_county_of_another_province_is_refused_for_a_hebei_mountain_base)
{
    const char *elsewhere[] = {"620102", "440103"}; /* 兰州城关区, 广州荔湾区 */
    for (int i = 0; i < 2; i++) {
        Kc__V1__SubmitApplication *application = s_base_in(elsewhere[i]);
        kc_envelope_t *reply = s_submit(application, elsewhere[i]);
        requests_dump(reply);
        cr_expect(requests_has_error(reply, "validation.outside_province", "form.county_code"),
                  "%s", elsewhere[i]);
        cr_expect(strstr(s_message(reply), "不在河北省"), "%s", s_message(reply));
        kc_bus_free(&reply);
        protobuf_c_message_free_unpacked(&application->base, NULL);
    }
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM application"), 0);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), 0);
}

Test(eligibility, a_hebei_county_off_the_mountain_list_is_refused_until_a_list_names_it)
{
    Kc__V1__SubmitApplication *application = s_base_in("130123"); /* 正定县, on the plain */
    kc_envelope_t *reply = s_submit(application, "zhengding-1");
    requests_dump(reply);
    cr_expect(requests_has_error(reply, "validation.not_eligible", "form.county_code"));
    cr_expect(strstr(s_message(reply), "第 1 版"), "%s", s_message(reply));
    kc_bus_free(&reply);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM application"), 0);

    /* the department loads its own list, which names 正定县 */
    char path[300];
    snprintf(path, sizeof path, "%s.eligible.csv", s_node.log_path);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs("code,name\n130131,平山县\n130123,正定县\n", file);
    fclose(file);
    const char *no_source[] = {"eligible", "load", "mountain_base", path, NULL};
    cr_expect_neq(harness_kcctl(&s_node, no_source), 0, "a list without its source");
    const char *load[] = {"eligible", "load", "mountain_base", path, "--notice", "测试通知", NULL};
    cr_assert_eq(harness_kcctl(&s_node, load), 0);
    cr_expect_eq(harness_kcctl(&s_node, load), 0, "the same list again changes nothing");
    cr_expect_eq(harness_count(&s_node, "SELECT max(version) FROM eligible_list"
                                        " WHERE programme = 'mountain_base'"),
                 2);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM audit_entry WHERE action ="
                                        " 'eligible.load' AND target = 'mountain_base'"
                                        " AND reason = '第 2 版，依据测试通知'"),
                 1);
    const char *show[] = {"eligible", "show", "mountain_base", NULL};
    cr_expect_eq(harness_kcctl(&s_node, show), 0);

    reply = s_submit(application, "zhengding-2");
    requests_dump(reply);
    cr_expect_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    kc_bus_free(&reply);
    /* and 涞源县, on the first list, is not on the second */
    free(application->mountain_base->county_code);
    application->mountain_base->county_code = strdup("130630");
    reply = s_submit(application, "laiyuan");
    cr_expect(requests_has_error(reply, "validation.not_eligible", "form.county_code"));
    kc_bus_free(&reply);
    protobuf_c_message_free_unpacked(&application->base, NULL);
}

Test(eligibility, a_list_naming_a_division_of_another_province_or_under_a_wrong_name_is_refused)
{
    char path[300];
    snprintf(path, sizeof path, "%s.wrong.csv", s_node.log_path);
    const char *lists[] = {"code,name\n130131,平山县\n620102,城关区\n",
                           "code,name\n130131,正定县\n", "code,name\n1301,石家庄\n"};
    for (int i = 0; i < 3; i++) {
        FILE *file = fopen(path, "w");
        cr_assert_not_null(file);
        fputs(lists[i], file);
        fclose(file);
        const char *load[] = {"eligible", "load", "mountain_base", path, "--notice",
                              "测试通知", NULL};
        cr_expect_neq(harness_kcctl(&s_node, load), 0, "%s", lists[i]);
    }
    cr_expect_eq(harness_count(&s_node, "SELECT max(version) FROM eligible_list"), 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM audit_entry"
                                        " WHERE action = 'eligible.load'"),
                 0);
}

static kc_envelope_t *s_submit_programme(const char *programme, const char *county,
                                         const char *town, const char *key)
{
    Kc__V1__Person contact = KC__V1__PERSON__INIT;
    contact.name = "陈志明";
    contact.title = "镇长";
    contact.birth_month = "1980-03";
    contact.id_card = "620123198003142525";
    contact.phone = "0757-26612345";
    Kc__V1__Opinion opinion = KC__V1__OPINION__INIT;
    opinion.text = "同意申报。";
    opinion.sealed = true;
    opinion.signed_on = "2026-11-12";
    Kc__V1__ProgrammeForm form = KC__V1__PROGRAMME_FORM__INIT;
    form.county_code = (char *)county;
    form.town_code = (char *)town;
    form.subject_name = (char *)key;
    form.title = "申报创新型专业镇";
    form.applicant_organisation = "镇人民政府";
    form.contact = &contact;
    form.summary = "以家电产业为主导，建有专业镇创新服务平台。";
    form.applicant_opinion = &opinion;
    form.filled_on = "2026-11-12";
    Kc__V1__SubmitApplication application = KC__V1__SUBMIT_APPLICATION__INIT;
    application.programme = (char *)programme;
    application.form_case = KC__V1__SUBMIT_APPLICATION__FORM_PROGRAMME_FORM;
    application.programme_form = &form;
    return s_submit(&application, key);
}

Test(eligibility, a_gansu_or_guangdong_programme_takes_only_its_province_and_the_county_s_towns)
{
    /* 乐从镇 of 顺德区 applies as a specialised town of Guangdong (seed 004) */
    kc_envelope_t *reply = s_submit_programme("specialised_town", "440606", "440606103", "乐从镇");
    requests_dump(reply);
    cr_expect_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    kc_bus_free(&reply);
    /* 塘厦镇 of 东莞, a city with towns and no counties (the form names the city) */
    reply = s_submit_programme("specialised_town", "441900", "441900116", "塘厦镇");
    requests_dump(reply);
    cr_expect_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    kc_bus_free(&reply);
    /* a city with counties is no town's county: 广州 440100 and a town of 顺德区 */
    reply = s_submit_programme("specialised_town", "440100", "440606101", "陈村镇");
    cr_expect(requests_has_error(reply, "validation.not_eligible", "form.town_code"));
    kc_bus_free(&reply);
    /* 东回舍镇 of 平山县 is a Hebei town */
    reply = s_submit_programme("specialised_town", "130131", "130131101", "东回舍镇");
    cr_expect(requests_has_error(reply, "validation.outside_province", "form.county_code"));
    cr_expect(strstr(s_message(reply), "广东省"), "%s", s_message(reply));
    kc_bus_free(&reply);
    /* a town of 榆中县 named under 顺德区 */
    reply = s_submit_programme("specialised_town", "440606", "620123101", "夏官营镇");
    cr_expect(requests_has_error(reply, "validation.not_eligible", "form.town_code"));
    kc_bus_free(&reply);
    /* 平山县 for the Gansu innovative county of seed 003; 榆中县 is taken */
    reply = s_submit_programme("innovative_county", "130131", "", "平山县");
    cr_expect(requests_has_error(reply, "validation.outside_province", "form.county_code"));
    cr_expect(strstr(s_message(reply), "甘肃省"), "%s", s_message(reply));
    kc_bus_free(&reply);
    reply = s_submit_programme("innovative_county", "620123", "", "榆中县");
    requests_dump(reply);
    cr_expect_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    kc_bus_free(&reply);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM application"), 3);
}

/* Copy `from` into `to` with every line "province = ..." replaced by
 * `province` ("" drops the line) and the code given a new version. */
static void s_definition_with(const char *from, const char *to, const char *province)
{
    FILE *in = fopen(from, "r"), *out = fopen(to, "w");
    cr_assert(in && out);
    char line[4096];
    while (fgets(line, sizeof line, in)) {
        if (strncmp(line, "province = ", 11) == 0) {
            if (*province)
                fprintf(out, "province = %s\n", province);
        } else if (strncmp(line, "code = ", 7) == 0) {
            fputs("code = innovative-county-v99\n", out);
        } else {
            fputs(line, out);
        }
    }
    fclose(in);
    fclose(out);
}

Test(eligibility, a_procedure_stating_another_province_than_its_programme_s_is_not_loaded)
{
    char path[300];
    snprintf(path, sizeof path, "%s.process.ini", s_node.log_path);
    const char *load[] = {"process", "load", path, NULL};
    const char *wrong[] = {"130000", ""}; /* Hebei for seed 003, or none at all */
    for (int i = 0; i < 2; i++) {
        s_definition_with("deploy/workflow/innovative-county-v1.ini", path, wrong[i]);
        cr_expect_neq(harness_kcctl(&s_node, load), 0, "province '%s'", wrong[i]);
    }
    s_definition_with("deploy/workflow/innovative-county-v1.ini", path, "620000");
    cr_expect_eq(harness_kcctl(&s_node, load), 0);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM process_definition"), 1);
}
