/*  Programme applications and objections through the real kc-intake:
 *  the mountain demonstration-base form of seed 000, every field checked,
 *  stored as structured data, and objections to it.
 */
#include <criterion/criterion.h>
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

TestSuite(intake_forms, .init = s_start, .fini = s_stop, .timeout = 120);

static Kc__V1__SubmitApplication *s_fixture(void)
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

static kc_envelope_t *s_submit_application(Kc__V1__SubmitApplication *application, const char *key)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION;
    request.submit_application = application;
    return requests_call(&s_node, &request, "applicant", key);
}

static kc_envelope_t *s_submit_objection(const char *application_id, const char *key)
{
    Kc__V1__SubmitObjection objection = KC__V1__SUBMIT_OBJECTION__INIT;
    objection.application_id = (char *)application_id;
    objection.objector_name = "王明";
    objection.phone = "13912345678";
    objection.reason = "申报材料中的种植面积与实际不符。";
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_OBJECTION;
    request.submit_objection = &objection;
    return requests_call(&s_node, &request, "public", key);
}

/* Seed 000 grants the designation at "省级备案": until then the application
 * is known by its base's name (tests/integration/test_workflow_designation.c
 * files it). */
Test(intake_forms, a_complete_application_is_stored_under_its_base_name_until_filed)
{
    Kc__V1__SubmitApplication *application = s_fixture();
    kc_envelope_t *reply = s_submit_application(application, "app-1");
    requests_dump(reply);
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_eq(strncmp(reply->accepted->application_id, "MB-", 3), 0);
    PGresult *row = PQexec(s_node.db, "SELECT title, county_code, form->'chief_expert'->>'email',"
                                      " form->'plan'->'attachments'->0->>'name',"
                                      " designation IS NULL, designation_on_filing,"
                                      " form->>'joint_applicant' FROM application");
    cr_assert_eq(PQntuples(row), 1);
    cr_expect_str_eq(PQgetvalue(row, 0, 0), "平山县核桃产业科技示范基地");
    cr_expect_str_eq(PQgetvalue(row, 0, 4), "t");
    cr_expect_str_eq(PQgetvalue(row, 0, 5),
                     "河北省山区“一县一业一基地一团队”科技示范工程——平山县核桃产业科技示范基地");
    cr_expect_str_eq(PQgetvalue(row, 0, 6), "河北农业大学核桃创新团队");
    cr_expect_str_eq(PQgetvalue(row, 0, 1), "130131");
    cr_expect_str_eq(PQgetvalue(row, 0, 2), "lixiulan@example.edu.cn");
    cr_expect_str_eq(PQgetvalue(row, 0, 3), "营业执照");
    PQclear(row);
    kc_bus_free(&reply);
    protobuf_c_message_free_unpacked(&application->base, NULL);
}

Test(intake_forms, every_broken_field_of_the_form_is_listed_and_nothing_is_stored)
{
    Kc__V1__SubmitApplication *application = s_fixture();
    Kc__V1__MountainBaseForm *form = application->mountain_base;
    /* 1001 Chinese characters: 3003 bytes, one character over the seed's limit. */
    char *long_text = malloc(1001 * 3 + 1);
    for (int i = 0; i < 1001; i++)
        memcpy(long_text + i * 3, "山", 3);
    long_text[1001 * 3] = '\0';
    free(form->representativeness);
    form->representativeness = long_text;
    form->head->id_card[17] = '9';       /* wrong check digit */
    form->chief_expert->email[0] = '\0'; /* required for the chief expert */
    free(form->head->phone);
    form->head->phone = strdup("12345");
    free(form->website);
    form->website = strdup("ftp://example.cn");
    form->applicant_opinion->sealed = false;
    free(form->filled_on);
    form->filled_on = strdup("2026-02-30");
    free(form->county_code);
    form->county_code = strdup("130100");
    kc_envelope_t *reply = s_submit_application(application, "app-bad");
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_REJECTED);
    cr_expect_eq(reply->rejected->error_count, 8);
    cr_expect(requests_has_error(reply, "validation.too_long", "form.representativeness"));
    cr_expect(requests_has_error(reply, "validation.invalid_id_card", "form.head.id_card"));
    cr_expect(requests_has_error(reply, "validation.required", "form.chief_expert.email"));
    cr_expect(requests_has_error(reply, "validation.invalid_format", "form.head.phone"));
    cr_expect(requests_has_error(reply, "validation.invalid_format", "form.website"));
    cr_expect(requests_has_error(reply, "validation.required", "form.applicant_opinion.sealed"));
    cr_expect(requests_has_error(reply, "validation.invalid_date", "form.filled_on"));
    cr_expect(requests_has_error(reply, "validation.not_county_level", "form.county_code"));
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM application"), 0);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), 0);
    kc_bus_free(&reply);
    protobuf_c_message_free_unpacked(&application->base, NULL);
}

Test(intake_forms, exactly_1000_characters_fit_the_1000_character_limit)
{
    Kc__V1__SubmitApplication *application = s_fixture();
    char *text = malloc(1000 * 3 + 1);
    for (int i = 0; i < 1000; i++)
        memcpy(text + i * 3, "山", 3);
    text[1000 * 3] = '\0';
    free(application->mountain_base->representativeness);
    application->mountain_base->representativeness = text;
    kc_envelope_t *reply = s_submit_application(application, "app-1000");
    requests_dump(reply);
    cr_expect_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    kc_bus_free(&reply);
    protobuf_c_message_free_unpacked(&application->base, NULL);
}

Test(intake_forms, an_objection_is_taken_only_against_an_application_on_public_notice)
{
    /* objections are accepted while a notice is open (kc-workflow's
     * public_notice, tests/integration/test_workflow_filing.c); before
     * that, and for an unknown application, they are refused */
    Kc__V1__SubmitApplication *application = s_fixture();
    kc_envelope_t *accepted = s_submit_application(application, "app-2");
    cr_assert_eq(accepted->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    kc_envelope_t *early = s_submit_objection(accepted->accepted->application_id, "obj-1");
    requests_dump(early);
    cr_expect(requests_has_error(early, "conflict.not_on_notice", "application_id"));
    kc_envelope_t *unknown = s_submit_objection("MB-2026-999999", "obj-2");
    cr_expect(requests_has_error(unknown, "validation.unknown_application", "application_id"));
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM objection"), 0);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM event"), 1);
    kc_bus_free(&accepted);
    kc_bus_free(&early);
    kc_bus_free(&unknown);
    protobuf_c_message_free_unpacked(&application->base, NULL);
}

Test(intake_forms, one_base_is_filed_once_and_its_retry_is_answered_not_refused)
{
    Kc__V1__SubmitApplication *application = s_fixture();
    kc_envelope_t *first = s_submit_application(application, "base-1");
    cr_assert_eq(first->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    kc_envelope_t *retry = s_submit_application(application, "base-1");
    cr_assert_eq(retry->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED, "a retry was refused");
    cr_expect(retry->accepted->replayed);
    cr_expect_str_eq(retry->accepted->application_id, first->accepted->application_id);
    kc_envelope_t *again = s_submit_application(application, "base-2");
    cr_assert(requests_has_error(again, "conflict.duplicate_application", "form.base_name"));
    cr_expect(strstr(again->rejected->errors[0]->message, first->accepted->application_id));
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM application"), 1);
    kc_bus_free(&first);
    kc_bus_free(&retry);
    kc_bus_free(&again);
    protobuf_c_message_free_unpacked(&application->base, NULL);
}
