/*  Indicator values through the real kc-intake: accepted and rejected
 *  batches, idempotent retries, revisions, dry runs and the division map
 *  of each year.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
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

TestSuite(intake_reports, .init = s_start, .fini = s_stop, .timeout = 120);

static requests_batch_t *s_batch(const char *provider)
{
    requests_batch_t *batch = malloc(sizeof *batch);
    cr_assert(batch);
    requests_batch_init(batch, provider);
    return batch;
}

Test(intake_reports, a_valid_batch_is_stored_with_one_event)
{
    requests_batch_t *batch = s_batch("stats");
    const char *indicators[] = {"I03", "I04", "I07", "I11", "I14"};
    char counties[10][8];
    int n = harness_hebei_counties(&s_node, counties, 10);
    cr_assert_eq(n, 10);
    for (int c = 0; c < n; c++)
        for (int i = 0; i < 5; i++)
            requests_batch_add(batch, counties[c], 2023, indicators[i], 1.5 + c + i);
    kc_envelope_t *reply = requests_send_batch(&s_node, batch, "batch-1");
    requests_dump(reply);
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_eq(reply->accepted->received, 50);
    cr_expect_eq(reply->accepted->stored, 50);
    cr_expect_eq(reply->accepted->event_seq, 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"), 50);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM event"), 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"
                                        " WHERE value = 1.5 AND indicator_code = 'I03'"),
                 1);
    kc_bus_free(&reply);
    free(batch);
}

Test(intake_reports, a_bad_batch_lists_every_error_and_stores_nothing)
{
    requests_batch_t *batch = s_batch("stats");
    requests_batch_add(batch, "130102", 2023, "I03", 2.5); /* 0: fine */
    requests_batch_add(batch, "999999", 2023, "I03", 2.5); /* 1: unknown county */
    requests_batch_add(batch, "130100", 2023, "I03", 2.5); /* 2: a city */
    requests_batch_add(batch, "130102", 1999, "I03", 2.5); /* 3: year */
    requests_batch_add(batch, "130102", 2023, "I99", 2.5); /* 4: indicator */
    requests_batch_add(batch, "130102", 2023, "I05", 10);  /* 5: sti's indicator */
    requests_batch_add(batch, "130104", 2023, "I03", 250); /* 6: share above 100 % */
    requests_batch_add(batch, "130104", 2023, "I04", NAN); /* 7: not finite */
    requests_batch_add(batch, "130102", 2023, "I03", 3.5); /* 8: same as 0 */
    kc_envelope_t *reply = requests_send_batch(&s_node, batch, "bad-1");
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_REJECTED);
    cr_expect_eq(reply->rejected->error_count, 8);
    cr_expect(requests_has_error(reply, "validation.unknown_county", "reports[1].county_code"));
    cr_expect(requests_has_error(reply, "validation.not_county_level", "reports[2].county_code"));
    cr_expect(requests_has_error(reply, "validation.year_out_of_range", "reports[3].year"));
    cr_expect(
        requests_has_error(reply, "validation.unknown_indicator", "reports[4].indicator_code"));
    cr_expect(
        requests_has_error(reply, "validation.provider_not_allowed", "reports[5].indicator_code"));
    cr_expect(requests_has_error(reply, "validation.out_of_range", "reports[6].value"));
    cr_expect(requests_has_error(reply, "validation.not_finite", "reports[7].value"));
    cr_expect(requests_has_error(reply, "validation.duplicate_in_batch", "reports[8]"));
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"), 0);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), 0);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM event"), 0);
    kc_bus_free(&reply);
    free(batch);
}

Test(intake_reports, a_retry_with_the_same_key_gets_the_first_answer_and_stores_nothing_twice)
{
    requests_batch_t *batch = s_batch("finance");
    requests_batch_add(batch, "130123", 2022, "I01", 1234.5);
    requests_batch_add(batch, "130123", 2022, "I02", 3.2);
    kc_envelope_t *first = requests_send_batch(&s_node, batch, "retry-key");
    kc_envelope_t *again = requests_send_batch(&s_node, batch, "retry-key");
    cr_assert_eq(first->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_assert_eq(again->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_not(first->accepted->replayed);
    cr_expect(again->accepted->replayed);
    cr_expect_eq(again->accepted->submission_id, first->accepted->submission_id);
    cr_expect_eq(again->accepted->stored, first->accepted->stored);
    cr_expect_eq(again->accepted->event_seq, first->accepted->event_seq);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"), 2);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM event"), 1);

    /* The same key with another body is a client bug, refused loudly. */
    batch->items[1].value = 3.3;
    kc_envelope_t *reused = requests_send_batch(&s_node, batch, "retry-key");
    cr_expect(requests_has_error(reused, "conflict.idempotency_key_reused", "idempotency_key"));
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"), 2);
    kc_bus_free(&first);
    kc_bus_free(&again);
    kc_bus_free(&reused);
    free(batch);
}

Test(intake_reports, a_corrected_value_is_a_new_revision_and_the_history_stays)
{
    requests_batch_t *batch = s_batch("samr");
    requests_batch_add(batch, "130125", 2023, "I12", 1.25);
    kc_envelope_t *first = requests_send_batch(&s_node, batch, "rev-1");
    batch->items[0].value = 1.75;
    kc_envelope_t *second = requests_send_batch(&s_node, batch, "rev-2");
    kc_envelope_t *same = requests_send_batch(&s_node, batch, "rev-3");
    cr_assert_eq(first->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_assert_eq(second->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_eq(second->accepted->stored, 1);
    cr_expect_eq(same->accepted->stored, 0);
    cr_expect_eq(same->accepted->unchanged, 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"
                                        " WHERE county_code = '130125'"),
                 2);
    cr_expect_eq(harness_count(&s_node, "SELECT max(revision) FROM indicator_value"), 2);
    cr_expect_eq(harness_count(&s_node, "SELECT (value * 100)::int FROM indicator_value_current"
                                        " WHERE county_code = '130125'"),
                 175);

    Kc__V1__GetSubmission query = KC__V1__GET_SUBMISSION__INIT;
    query.submission_id = second->accepted->submission_id;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_GET_SUBMISSION;
    request.get_submission = &query;
    kc_envelope_t *status = requests_call(&s_node, &request, "samr", "");
    cr_assert_eq(status->body_case, KC__V1__ENVELOPE__BODY_SUBMISSION_STATUS);
    const Kc__V1__SubmissionStatus *s = status->submission_status;
    cr_assert_eq(s->n_history, 2);
    cr_expect_eq(s->history[0]->revision, 1);
    cr_expect_not(s->history[0]->current);
    cr_expect_eq(s->history[0]->submission_id, first->accepted->submission_id);
    cr_expect_eq(s->history[1]->revision, 2);
    cr_expect(s->history[1]->current);
    cr_expect_eq(s->answer->stored, 1);
    kc_bus_free(&first);
    kc_bus_free(&second);
    kc_bus_free(&same);
    kc_bus_free(&status);
    free(batch);
}

Test(intake_reports, a_dry_run_validates_and_stores_nothing)
{
    requests_batch_t *batch = s_batch("county");
    requests_batch_add(batch, "130123", 2023, "I15", 80);
    batch->body.dry_run = true;
    kc_envelope_t *reply = requests_send_batch(&s_node, batch, "dry-1");
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect(reply->accepted->dry_run);
    cr_expect_eq(reply->accepted->submission_id, 0);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), 0);
    kc_bus_free(&reply);
    free(batch);
}

Test(intake_reports, a_county_bureau_may_report_only_for_its_own_county)
{
    /* The test actor's division is the province, 130000: it covers 130123
     * but not Beijing's 110101. */
    requests_batch_t *batch = s_batch("county");
    requests_batch_add(batch, "130123", 2023, "I15", 80);
    requests_batch_add(batch, "110101", 2023, "I15", 70);
    kc_envelope_t *reply = requests_send_batch(&s_node, batch, "county-1");
    cr_expect_eq(reply->rejected->error_count, 1);
    cr_expect(requests_has_error(reply, "authorisation.denied", "reports[1].county_code"));
    kc_bus_free(&reply);
    free(batch);
}

Test(intake_reports, each_year_is_checked_against_the_division_map_of_that_year)
{
    /* A county that existed until the end of 2019 and was then merged into
     * 130123: its 2019 values are accepted, its 2021 values are not. */
    PGresult *result = PQexec(
        s_node.db, "INSERT INTO division (code, valid_from, valid_to, name, level, parent_code)"
                   " VALUES ('130199', '-infinity', '2020-01-01', '旧县', 3, '130100');"
                   "INSERT INTO division_succession VALUES"
                   " ('130199', '130123', '2020-01-01', 'merge', 'test');");
    cr_assert_eq(PQresultStatus(result), PGRES_COMMAND_OK, "%s", PQerrorMessage(s_node.db));
    PQclear(result);
    cr_assert_eq(harness_node_signal(&s_node, SIGTERM) & 0x7f, 0);
    harness_node_restart(&s_node);

    requests_batch_t *batch = s_batch("samr");
    requests_batch_add(batch, "130199", 2019, "I12", 1.0);
    kc_envelope_t *old_year = requests_send_batch(&s_node, batch, "map-2019");
    cr_expect_eq(old_year->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    batch->items[0].year = 2021;
    kc_envelope_t *new_year = requests_send_batch(&s_node, batch, "map-2021");
    cr_assert(requests_has_error(new_year, "validation.county_not_valid_in_year",
                                 "reports[0].county_code"));
    cr_expect(strstr(new_year->rejected->errors[0]->hint, "130123") != NULL);
    kc_bus_free(&old_year);
    kc_bus_free(&new_year);
    free(batch);
}

Test(intake_reports, a_merge_recorded_with_kcctl_takes_effect_at_once_and_keeps_history)
{
    /* 长安区 130102 merged into 桥西区 130104 from 2021: values up to 2020
     * stay acceptable, later ones are refused with the successor named. */
    const char *merge[] = {"division-change", "merge",  "130102", "2021-01-01",
                           "130104",          "--note", "test",   NULL};
    cr_assert_eq(harness_kcctl(&s_node, merge), 0, "see %s", s_node.log_path);
    requests_batch_t *batch = s_batch("samr");
    requests_batch_add(batch, "130102", 2021, "I12", 1.0);
    /* kc-intake reloads its map when the database NOTIFYs it: probe with
     * dry runs, which store nothing, until the change is seen. */
    batch->body.dry_run = true;
    kc_envelope_t *reply = NULL;
    for (int attempt = 0; attempt < 50; attempt++) {
        kc_bus_free(&reply);
        reply = requests_send_batch(&s_node, batch, "probe");
        if (reply->body_case == KC__V1__ENVELOPE__BODY_REJECTED)
            break;
        usleep(100000);
    }
    kc_bus_free(&reply);
    batch->body.dry_run = false;
    reply = requests_send_batch(&s_node, batch, "merge-2021");
    cr_assert(
        requests_has_error(reply, "validation.county_not_valid_in_year", "reports[0].county_code"),
        "a 2021 value of a county merged in 2021 was accepted");
    cr_expect(strstr(reply->rejected->errors[0]->hint, "130104") != NULL);
    kc_bus_free(&reply);
    batch->items[0].year = 2020;
    reply = requests_send_batch(&s_node, batch, "merge-2020");
    cr_expect_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM division WHERE code = '130102'"
                                        " AND valid_to = '2021-01-01'"),
                 1);
    const char *again[] = {"division-change", "merge", "130102", "2022-01-01", "130104", NULL};
    cr_expect_neq(harness_kcctl(&s_node, again), 0, "a county merged away was merged twice");
    kc_bus_free(&reply);
    free(batch);
}
