/*  Unit tests of kc-intake's request validators over a small hand-made
 *  catalogue (tests/support/catalogue_fixture.h): counties valid in every
 *  year, one merged away in 2020, a city, indicators of three providers.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue_fixture.h"
#include "intake/validate.h"
#include "kc/kc_clock.h"
#include "kc/kc_json.h"

static catalogue_t *s_catalogue;

static void s_setup(void)
{
    kc_clock_set_fake(1795000000000LL); /* 2026-11-18 */
    s_catalogue = catalogue_fixture_new();
}

static void s_teardown(void)
{
    catalogue_destroy(&s_catalogue);
    kc_clock_set_fake(0);
}

TestSuite(validate, .init = s_setup, .fini = s_teardown);

typedef struct {
    Kc__V1__SubmitReports request;
    Kc__V1__IndicatorReport items[8];
    Kc__V1__IndicatorReport *pointers[8];
    Kc__V1__Actor actor;
} s_batch_t;

static void s_batch(s_batch_t *batch, const char *provider)
{
    memset(batch, 0, sizeof *batch);
    kc__v1__submit_reports__init(&batch->request);
    batch->request.provider = (char *)provider;
    batch->request.reports = batch->pointers;
    kc__v1__actor__init(&batch->actor);
    batch->actor.user_id = "zhang";
    batch->actor.role = "data_provider";
    batch->actor.division_code = "130000";
    batch->actor.organisation = (char *)provider;
}

static void s_add(s_batch_t *batch, const char *county, int year, const char *indicator,
                  double value)
{
    size_t i = batch->request.n_reports++;
    kc__v1__indicator_report__init(&batch->items[i]);
    batch->items[i].county_code = (char *)county;
    batch->items[i].year = year;
    batch->items[i].indicator_code = (char *)indicator;
    batch->items[i].value = value;
    batch->pointers[i] = &batch->items[i];
}

static bool s_has(const kc_errors_t *errors, kc_error_code_t code, const char *field)
{
    for (size_t i = 0; i < errors->kept; i++)
        if (errors->items[i].code == code && strcmp(errors->items[i].field, field) == 0)
            return true;
    return false;
}

Test(validate, a_clean_batch_has_no_errors)
{
    s_batch_t batch;
    s_batch(&batch, "stats");
    s_add(&batch, "130123", 2023, "I03", 2.5);
    s_add(&batch, "130123", 2024, "I03", 0);
    s_add(&batch, "130123", 2025, "I03", 100);
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_reports(s_catalogue, &batch.actor, &batch.request, &errors);
    cr_expect_eq(errors.total, 0, "first: %s", errors.kept ? errors.items[0].message : "");
    kc_errors_release(&errors);
}

Test(validate, every_bad_value_is_reported_at_its_path)
{
    s_batch_t batch;
    s_batch(&batch, "stats");
    s_add(&batch, "130199", 2021, "I03", 1);        /* merged away in 2020 */
    s_add(&batch, "130100", 2021, "I03", 1);        /* a city */
    s_add(&batch, "13012", 2021, "I03", 1);         /* five digits */
    s_add(&batch, "130123", 2016, "I03", 1);        /* before the framework */
    s_add(&batch, "130123", 2023, "I05", 1);        /* another provider's */
    s_add(&batch, "130123", 2023, "I03", -0.1);     /* below the range */
    s_add(&batch, "130123", 2024, "I03", INFINITY); /* not finite */
    s_add(&batch, "130123", 2024, "I03", 5);        /* same as the one before */
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_reports(s_catalogue, &batch.actor, &batch.request, &errors);
    cr_expect_eq(errors.total, 8);
    cr_expect(s_has(&errors, KC_ERR_COUNTY_NOT_IN_YEAR, "reports[0].county_code"));
    cr_expect(strstr(errors.items[0].hint, "130123") != NULL);
    cr_expect(s_has(&errors, KC_ERR_NOT_COUNTY_LEVEL, "reports[1].county_code"));
    cr_expect(s_has(&errors, KC_ERR_UNKNOWN_COUNTY, "reports[2].county_code"));
    cr_expect(s_has(&errors, KC_ERR_YEAR_OUT_OF_RANGE, "reports[3].year"));
    cr_expect(s_has(&errors, KC_ERR_PROVIDER_NOT_ALLOWED, "reports[4].indicator_code"));
    cr_expect(s_has(&errors, KC_ERR_OUT_OF_RANGE, "reports[5].value"));
    cr_expect(s_has(&errors, KC_ERR_NOT_FINITE, "reports[6].value"));
    cr_expect(s_has(&errors, KC_ERR_DUPLICATE_IN_BATCH, "reports[7]"));
    kc_errors_release(&errors);
}

Test(validate, the_old_county_is_accepted_for_the_years_it_existed)
{
    s_batch_t batch;
    s_batch(&batch, "stats");
    s_add(&batch, "130199", 2019, "I03", 1);
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_reports(s_catalogue, &batch.actor, &batch.request, &errors);
    cr_expect_eq(errors.total, 0);
    kc_errors_release(&errors);
}

Test(validate, the_next_year_is_accepted_and_a_later_one_refused_as_a_mistake)
{
    s_batch_t batch;
    s_batch(&batch, "stats");
    int next = kc_clock_year() + VALIDATE_YEARS_AHEAD; /* 2027: the framework has no end */
    s_add(&batch, "130123", next, "I03", 1);
    s_add(&batch, "130123", next + 1, "I03", 1);
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_reports(s_catalogue, &batch.actor, &batch.request, &errors);
    cr_expect_eq(errors.total, 1);
    cr_expect(s_has(&errors, KC_ERR_YEAR_OUT_OF_RANGE, "reports[1].year"));
    cr_expect(strstr(errors.items[0].detail, "accepted up to 2027") != NULL, "%s",
              errors.items[0].detail);
    kc_errors_release(&errors);
}

/* hebei-2019 from 2017 with I03 and I05, replaced from 2026 by a list
 * without I05 and with I03 bounded at 50. */
static catalogue_t *s_two_frameworks(void)
{
    catalogue_t *catalogue = catalogue_new();
    catalogue_add_division(catalogue, "130123", 0, 9999, 3, "正定县");
    catalogue_add_provider(catalogue, "stats");
    catalogue_indicator_t rows[] = {
        {"hebei-2019", "I03", "指标", "%", "stats", 0, 100, 2017, 9999},
        {"hebei-2019", "I05", "指标", "家", "stats", 0, 1000, 2017, 9999},
        {"hebei-2026", "I03", "指标", "%", "stats", 0, 50, 2026, 9999},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        catalogue_add_indicator(catalogue, &rows[i]);
    catalogue_seal(catalogue);
    return catalogue;
}

Test(validate, a_framework_from_a_later_year_replaces_the_list_from_that_year)
{
    catalogue_t *catalogue = s_two_frameworks();
    s_batch_t batch;
    s_batch(&batch, "stats");
    s_add(&batch, "130123", 2025, "I05", 7);  /* hebei-2019: fine */
    s_add(&batch, "130123", 2025, "I03", 70); /* hebei-2019: up to 100 */
    s_add(&batch, "130123", 2026, "I05", 7);  /* not in hebei-2026 */
    s_add(&batch, "130123", 2026, "I03", 70); /* hebei-2026: up to 50 */
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_reports(catalogue, &batch.actor, &batch.request, &errors);
    cr_expect_eq(errors.total, 2);
    cr_expect(s_has(&errors, KC_ERR_UNKNOWN_INDICATOR, "reports[2].indicator_code"));
    cr_expect(s_has(&errors, KC_ERR_OUT_OF_RANGE, "reports[3].value"));
    cr_expect_str_eq(catalogue_indicator(catalogue, "I03", 2030)->framework, "hebei-2026");
    cr_expect_str_eq(catalogue_indicator(catalogue, "I03", 2017)->framework, "hebei-2019");
    cr_expect_null(catalogue_indicator(catalogue, "I03", 2016));
    kc_errors_release(&errors);
    catalogue_destroy(&catalogue);
}

Test(validate, a_provider_speaks_only_for_itself)
{
    s_batch_t batch;
    s_batch(&batch, "stats");
    batch.actor.organisation = "sti";
    s_add(&batch, "130123", 2023, "I03", 1);
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_reports(s_catalogue, &batch.actor, &batch.request, &errors);
    cr_expect_eq(errors.total, 1);
    cr_expect(s_has(&errors, KC_ERR_DENIED, "actor.organisation"));
    kc_errors_release(&errors);
}

Test(validate, an_unknown_provider_or_an_empty_batch_is_refused)
{
    s_batch_t batch;
    s_batch(&batch, "nobody");
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_reports(s_catalogue, &batch.actor, &batch.request, &errors);
    cr_expect(s_has(&errors, KC_ERR_UNKNOWN_PROVIDER, "provider"));
    kc_errors_release(&errors);
    s_batch(&batch, "stats");
    kc_errors_init(&errors);
    validate_reports(s_catalogue, &batch.actor, &batch.request, &errors);
    cr_expect(s_has(&errors, KC_ERR_EMPTY_BATCH, "reports"));
    kc_errors_release(&errors);
}

Test(validate, the_actor_must_be_named_with_role_and_division)
{
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.division_code = "13";
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_actor(&actor, &errors);
    cr_expect_eq(errors.total, 3);
    cr_expect(s_has(&errors, KC_ERR_MISSING_HEADER, "actor.division_code"));
    kc_errors_release(&errors);
    kc_errors_init(&errors);
    validate_actor(NULL, &errors);
    cr_expect(s_has(&errors, KC_ERR_MISSING_HEADER, "actor"));
    kc_errors_release(&errors);
}

Test(validate, an_objection_needs_a_name_a_phone_and_a_reason)
{
    Kc__V1__SubmitObjection objection = KC__V1__SUBMIT_OBJECTION__INIT;
    objection.application_id = "MB-2026-000001";
    objection.phone = "12345";
    objection.email = "not-an-address";
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_objection(&objection, &errors);
    cr_expect_eq(errors.total, 4);
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "objector_name"));
    cr_expect(s_has(&errors, KC_ERR_INVALID_FORMAT, "phone"));
    cr_expect(s_has(&errors, KC_ERR_INVALID_FORMAT, "email"));
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "reason"));
    kc_errors_release(&errors);
}

Test(validate, an_application_for_an_unknown_programme_is_refused)
{
    Kc__V1__SubmitApplication application = KC__V1__SUBMIT_APPLICATION__INIT;
    application.programme = "mountain_bases";
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_application(s_catalogue, &application, &errors);
    cr_expect(s_has(&errors, KC_ERR_UNKNOWN_PROGRAMME, "programme"));
    kc_errors_release(&errors);
}

Test(validate, another_programme_needs_the_programme_form_and_its_fields)
{
    Kc__V1__SubmitApplication application = KC__V1__SUBMIT_APPLICATION__INIT;
    application.programme = "innovative_county";
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_application(s_catalogue, &application, &errors);
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form"));
    kc_errors_release(&errors);

    Kc__V1__ProgrammeForm form = KC__V1__PROGRAMME_FORM__INIT;
    application.form_case = KC__V1__SUBMIT_APPLICATION__FORM_PROGRAMME_FORM;
    application.programme_form = &form;
    kc_errors_init(&errors);
    validate_application(s_catalogue, &application, &errors);
    /* county, subject, title, organisation, contact, summary, opinion, date */
    cr_expect_eq(errors.total, 8);
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.subject_name"));
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.title"));
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.applicant_opinion"));
    kc_errors_release(&errors);
}

Test(validate, an_empty_mountain_base_form_lists_every_required_field)
{
    Kc__V1__SubmitApplication application = KC__V1__SUBMIT_APPLICATION__INIT;
    Kc__V1__MountainBaseForm form = KC__V1__MOUNTAIN_BASE_FORM__INIT;
    application.programme = "mountain_base";
    application.form_case = KC__V1__SUBMIT_APPLICATION__FORM_MOUNTAIN_BASE;
    application.mountain_base = &form;
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_application(s_catalogue, &application, &errors);
    /* 13 required texts (the website is optional), head, chief expert,
     * applicant opinion, plan. */
    cr_expect_eq(errors.total, 17);
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.applicant_kind"));
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.base_name"));
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.county_code"));
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.chief_expert"));
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.plan"));
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.applicant_opinion"));
    kc_errors_release(&errors);
}

Test(validate, the_filing_title_follows_seed_000)
{
    char title[256];
    validate_filing_title("平山县", "核桃", title, sizeof title);
    cr_expect_str_eq(title,
                     "河北省山区“一县一业一基地一团队”科技示范工程——平山县核桃产业科技示范基地");
    validate_filing_title("涞源县", "中药材产业", title, sizeof title);
    cr_expect_str_eq(title,
                     "河北省山区“一县一业一基地一团队”科技示范工程——涞源县中药材产业科技示范基地");
}

Test(validate, every_county_files_its_yearly_monitoring_report_as_a_programme)
{
    cr_expect_str_eq(validate_application_prefix("county_monitoring"), "CM");
    cr_expect_str_eq(validate_application_prefix("innovative_county"), "IC");
    cr_expect_null(validate_application_prefix("science_park"), "no procedure for a park");
}

/* The sample form of the integration tests: complete and valid. */
static Kc__V1__SubmitApplication *s_mountain_base(void)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message =
        kc_json_file_to_message("tests/integration/fixtures/mountain_base.json",
                                &kc__v1__submit_application__descriptor, &errors);
    cr_assert(message, "fixture: %s", errors.kept ? errors.items[0].message : "?");
    kc_errors_release(&errors);
    return (Kc__V1__SubmitApplication *)message;
}

static void s_replace(char **field, const char *text)
{
    free(*field);
    *field = strdup(text);
}

Test(validate, a_university_or_an_institute_applies_jointly_with_an_enterprise)
{
    Kc__V1__SubmitApplication *application = s_mountain_base();
    Kc__V1__MountainBaseForm *form = application->mountain_base;
    kc_errors_t errors;
    const char *kinds[] = {"university", "institute", "enterprise"};
    for (size_t i = 0; i < 3; i++) {
        s_replace(&form->applicant_kind, kinds[i]);
        s_replace(&form->joint_applicant, "");
        kc_errors_init(&errors);
        validate_application(s_catalogue, application, &errors);
        cr_expect_eq(errors.total, 1, "%s alone", kinds[i]);
        cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.joint_applicant"));
        cr_expect(strstr(errors.items[0].message,
                         i < 2 ? "需要和企业联合申报" : "需要和专家团队联合申报"),
                  "%s", errors.items[0].message);
        kc_errors_release(&errors);
        s_replace(&form->joint_applicant, "河北省食用菌产业技术研究院有限公司");
        kc_errors_init(&errors);
        validate_application(s_catalogue, application, &errors);
        cr_expect_eq(errors.total, 0, "%s with a partner", kinds[i]);
        kc_errors_release(&errors);
    }
    s_replace(&form->applicant_kind, "合作社");
    kc_errors_init(&errors);
    validate_application(s_catalogue, application, &errors);
    cr_expect(s_has(&errors, KC_ERR_INVALID_FORMAT, "form.applicant_kind"));
    kc_errors_release(&errors);
    protobuf_c_message_free_unpacked(&application->base, NULL);
}

Test(validate, the_plan_parts_of_the_reference_format_may_be_left_empty_but_not_all)
{
    Kc__V1__SubmitApplication *application = s_mountain_base();
    Kc__V1__ImplementationPlan *plan = application->mountain_base->plan;
    char **parts[] = {
        &plan->industry_base,  &plan->base_foundation,       &plan->layout_positioning,
        &plan->tasks_schedule, &plan->assessment_indicators, &plan->funding,
        &plan->safeguards};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        s_replace(parts[i], "");
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_application(s_catalogue, application, &errors);
    cr_expect_eq(errors.total, 0, "only 总体目标和建设内容 given");
    kc_errors_release(&errors);

    s_replace(&plan->goals_content, "");
    s_replace(&plan->implementing_organisation, "");
    kc_errors_init(&errors);
    validate_application(s_catalogue, application, &errors);
    cr_expect_eq(errors.total, 2);
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.plan"), "a plan that says nothing");
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.plan.implementing_organisation"));
    kc_errors_release(&errors);
    protobuf_c_message_free_unpacked(&application->base, NULL);
}

Test(validate, a_town_programme_needs_the_town_as_nine_digits)
{
    Kc__V1__SubmitApplication application = KC__V1__SUBMIT_APPLICATION__INIT;
    Kc__V1__ProgrammeForm form = KC__V1__PROGRAMME_FORM__INIT;
    application.programme = "specialised_town";
    application.form_case = KC__V1__SUBMIT_APPLICATION__FORM_PROGRAMME_FORM;
    application.programme_form = &form;
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_application(s_catalogue, &application, &errors);
    cr_expect(s_has(&errors, KC_ERR_REQUIRED, "form.town_code"));
    kc_errors_release(&errors);
    form.town_code = "4406061";
    kc_errors_init(&errors);
    validate_application(s_catalogue, &application, &errors);
    cr_expect(s_has(&errors, KC_ERR_INVALID_FORMAT, "form.town_code"));
    kc_errors_release(&errors);
    application.programme = "innovative_county"; /* a county applies for itself */
    form.town_code = "";
    kc_errors_init(&errors);
    validate_application(s_catalogue, &application, &errors);
    cr_expect(!s_has(&errors, KC_ERR_REQUIRED, "form.town_code"));
    kc_errors_release(&errors);
}
