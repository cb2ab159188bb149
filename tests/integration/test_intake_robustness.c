/*  kc-intake against hostile and careless peers: malformed frames, unknown
 *  types, oversized messages, floods, and a kill -9 in the middle of a
 *  stream of submissions after which every acknowledged one is present
 *  exactly once.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "requests.h"

static harness_node_t s_node;
static void *s_context;

static void s_start(void)
{
    harness_node_start(&s_node);
    s_context = zmq_ctx_new();
}

static void s_stop(void)
{
    zmq_ctx_term(s_context);
    harness_node_stop(&s_node);
}

TestSuite(intake_robustness, .init = s_start, .fini = s_stop, .timeout = 240);

static void s_expect_error(void *socket, const char *code)
{
    kc_envelope_t *reply = requests_receive(socket);
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_REJECTED);
    cr_expect_str_eq(reply->rejected->errors[0]->code, code);
    kc_bus_free(&reply);
}

static void s_expect_ping_answered(void)
{
    Kc__V1__Ping ping = KC__V1__PING__INIT;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_PING;
    request.ping = &ping;
    kc_envelope_t *reply = requests_call(&s_node, &request, "stats", "");
    cr_expect_eq(reply->body_case, KC__V1__ENVELOPE__BODY_PONG);
    kc_bus_free(&reply);
}

Test(intake_robustness, malformed_frames_get_a_clear_error_and_the_daemon_keeps_serving)
{
    void *socket = requests_dealer(s_context, &s_node);
    zmq_send(socket, "\xff\xff\xff\x0f garbage", 13, 0);
    s_expect_error(socket, "bus.malformed");

    zmq_send(socket, "a", 1, ZMQ_SNDMORE);
    zmq_send(socket, "b", 1, ZMQ_SNDMORE);
    zmq_send(socket, "c", 1, ZMQ_SNDMORE);
    zmq_send(socket, "d", 1, 0);
    s_expect_error(socket, "bus.malformed");

    kc_envelope_t envelope = KC__V1__ENVELOPE__INIT; /* no body at all */
    envelope.message_id = "m-1";
    envelope.type = "Nothing";
    requests_send_packed(socket, &envelope);
    s_expect_error(socket, "bus.unknown_type");

    Kc__V1__Ping ping = KC__V1__PING__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_PING;
    envelope.ping = &ping;
    envelope.type = "SubmitReports"; /* says one thing, carries another */
    requests_send_packed(socket, &envelope);
    s_expect_error(socket, "bus.type_mismatch");

    envelope.type = "Ping";
    envelope.message_id = "";
    requests_send_packed(socket, &envelope);
    s_expect_error(socket, "bus.missing_header");

    Kc__V1__Accepted accepted = KC__V1__ACCEPTED__INIT; /* a reply sent as a request */
    envelope.message_id = "m-2";
    envelope.body_case = KC__V1__ENVELOPE__BODY_ACCEPTED;
    envelope.accepted = &accepted;
    envelope.type = "Accepted";
    requests_send_packed(socket, &envelope);
    s_expect_error(socket, "bus.unknown_type");

    /* A write without an idempotency key or an actor stores nothing. */
    Kc__V1__SubmitReports reports = KC__V1__SUBMIT_REPORTS__INIT;
    reports.provider = "stats";
    envelope.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    envelope.submit_reports = &reports;
    envelope.type = "SubmitReports";
    requests_send_packed(socket, &envelope);
    kc_envelope_t *reply = requests_receive(socket);
    cr_assert(requests_has_error(reply, "bus.missing_header", "idempotency_key"));
    cr_assert(requests_has_error(reply, "bus.missing_header", "actor"));
    kc_bus_free(&reply);

    /* Random bytes of every length: each gets an answer. */
    srand(42);
    uint8_t noise[512];
    for (int i = 0; i < 300; i++) {
        size_t length = (size_t)(rand() % (int)sizeof noise);
        for (size_t b = 0; b < length; b++)
            noise[b] = (uint8_t)rand();
        zmq_send(socket, noise, length, 0);
    }
    for (int i = 0; i < 300; i++) {
        reply = requests_receive(socket);
        cr_expect_eq(reply->body_case, KC__V1__ENVELOPE__BODY_REJECTED);
        kc_bus_free(&reply);
    }
    zmq_close(socket);
    s_expect_ping_answered();
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), 0);
}

Test(intake_robustness, an_oversized_message_is_dropped_without_harm)
{
    /* The harness caps messages at 1 MiB: a 2 MiB frame closes that
     * connection inside libzmq before a byte of it is decoded. */
    void *socket = requests_dealer(s_context, &s_node);
    size_t size = 2u << 20;
    char *big = calloc(1, size);
    zmq_send(socket, big, size, 0);
    free(big);
    zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};
    cr_expect_eq(zmq_poll(&item, 1, 1000), 0, "an oversized frame got an answer");
    zmq_close(socket);
    s_expect_ping_answered();
}

Test(intake_robustness, a_flood_does_not_wedge_the_daemon)
{
    /* One peer sends 20,000 requests and never reads; another must still be
     * answered promptly. */
    void *flooder = requests_dealer(s_context, &s_node);
    int hwm = 0;
    zmq_setsockopt(flooder, ZMQ_SNDHWM, &hwm, sizeof hwm);
    Kc__V1__Ping ping = KC__V1__PING__INIT;
    kc_envelope_t envelope = KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_PING;
    envelope.ping = &ping;
    envelope.type = "Ping";
    envelope.message_id = "flood";
    for (int i = 0; i < 20000; i++)
        requests_send_packed(flooder, &envelope);
    int64_t start = kc_clock_mono_us();
    s_expect_ping_answered();
    cr_expect_lt(kc_clock_mono_us() - start, 10000000);
    zmq_close(flooder);
    s_expect_ping_answered();
}

/* --- kill -9 in the middle of a stream ------------------------------------ */

#define STREAM 3000
#define WINDOW 64

typedef struct {
    char key[32];
    Kc__V1__IndicatorReport report;
    Kc__V1__IndicatorReport *pointer;
    Kc__V1__SubmitReports body;
    char county[8];
    bool acknowledged;
} s_submission_t;

static void s_prepare(s_submission_t *all, char (*counties)[8], int county_count)
{
    const char *indicators[] = {"I03", "I04", "I07", "I11", "I14"};
    for (int i = 0; i < STREAM; i++) {
        s_submission_t *s = &all[i];
        snprintf(s->key, sizeof s->key, "stream-%d", i);
        snprintf(s->county, sizeof s->county, "%s", counties[i % county_count]);
        kc__v1__indicator_report__init(&s->report);
        s->report.county_code = s->county;
        s->report.indicator_code = (char *)indicators[(i / county_count) % 5];
        s->report.year = 2018 + i / (county_count * 5);
        s->report.value = 1 + i % 90;
        s->pointer = &s->report;
        kc__v1__submit_reports__init(&s->body);
        s->body.provider = "stats";
        s->body.reports = &s->pointer;
        s->body.n_reports = 1;
    }
}

static void s_send_submission(void *socket, s_submission_t *s)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    request.submit_reports = &s->body;
    char id[KC_ID_SIZE];
    Kc__V1__Actor actor;
    harness_stamp(&request, id, &actor, "stats", s->key);
    request.message_id = s->key; /* lets the reply name the submission */
    requests_send_packed(socket, &request);
}

/* Collect one reply, marking its submission acknowledged; 0 on timeout. */
static int s_collect(void *socket, s_submission_t *all, int timeout_ms)
{
    zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return 0;
    kc_envelope_t *reply = requests_receive(socket);
    int index = -1;
    sscanf(reply->correlation_id, "stream-%d", &index);
    cr_assert(index >= 0 && index < STREAM, "reply to '%s'", reply->correlation_id);
    if (reply->body_case == KC__V1__ENVELOPE__BODY_ACCEPTED)
        all[index].acknowledged = true;
    else
        cr_assert_eq(reply->rejected->errors[0]->code[0], 'd', "refused: %s",
                     reply->rejected->errors[0]->message); /* only database.* may refuse */
    kc_bus_free(&reply);
    return 1;
}

Test(intake_robustness, kill_9_mid_stream_loses_and_doubles_nothing_acknowledged)
{
    char counties[200][8];
    int county_count = harness_hebei_counties(&s_node, counties, 150);
    cr_assert_eq(county_count, 150);
    s_submission_t *all = calloc(STREAM, sizeof *all);
    s_prepare(all, counties, county_count);

    void *socket = requests_dealer(s_context, &s_node);
    int sent = 0, answered = 0, acknowledged_before = 0;
    while (answered < STREAM / 3) {
        while (sent < STREAM && sent - answered < WINDOW)
            s_send_submission(socket, &all[sent++]);
        answered += s_collect(socket, all, 5000);
    }
    /* Kill with requests in flight: some are committed and unanswered,
     * some are half-way, some never arrived. */
    while (sent < STREAM && sent - answered < WINDOW)
        s_send_submission(socket, &all[sent++]);
    int status = harness_node_signal(&s_node, SIGKILL);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    while (s_collect(socket, all, 200))
        ;
    zmq_close(socket);
    for (int i = 0; i < STREAM; i++)
        acknowledged_before += all[i].acknowledged;

    /* Durability: every acknowledgement given before the kill is stored. */
    long long stored = harness_count(&s_node, "SELECT count(*) FROM submission");
    cr_assert_geq(stored, acknowledged_before);
    PGresult *result = PQexec(s_node.db, "SELECT idempotency_key FROM submission");
    char *present = calloc(STREAM, 1);
    for (int r = 0; r < PQntuples(result); r++) {
        int index = -1;
        sscanf(PQgetvalue(result, r, 0), "stream-%d", &index);
        cr_assert(index >= 0 && index < STREAM);
        present[index] = 1;
    }
    PQclear(result);
    for (int i = 0; i < STREAM; i++)
        if (all[i].acknowledged)
            cr_assert(present[i], "acknowledged %s is missing after kill -9", all[i].key);

    /* The senders retry everything with the same keys after the restart. */
    harness_node_restart(&s_node);
    socket = requests_dealer(s_context, &s_node);
    sent = answered = 0;
    for (int i = 0; i < STREAM; i++)
        all[i].acknowledged = false;
    while (answered < STREAM) {
        while (sent < STREAM && sent - answered < WINDOW)
            s_send_submission(socket, &all[sent++]);
        int got = s_collect(socket, all, 10000);
        cr_assert(got, "no reply after restart (%d of %d answered)", answered, STREAM);
        answered += got;
    }
    zmq_close(socket);
    for (int i = 0; i < STREAM; i++)
        cr_assert(all[i].acknowledged, "%s not acknowledged after restart", all[i].key);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), STREAM);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"), STREAM);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM event"), STREAM);
    cr_expect_eq(harness_count(&s_node, "SELECT max(seq) FROM event"), STREAM);
    cr_expect_eq(harness_count(&s_node, "SELECT count(DISTINCT (county_code, year,"
                                        " indicator_code)) FROM indicator_value"),
                 STREAM);
    free(present);
    free(all);
}

Test(intake_robustness, a_lost_database_connection_is_survived_and_a_retry_stores_once)
{
    PGresult *result = PQexec(s_node.db, "SELECT count(pg_terminate_backend(pid))"
                                         " FROM pg_stat_activity"
                                         " WHERE application_name = 'kc-intake'"
                                         "   AND datname = current_database()");
    cr_assert_eq(PQresultStatus(result), PGRES_TUPLES_OK);
    cr_assert_geq(kc_db_int(result, 0, 0), 1, "kc-intake's connections were not found");
    PQclear(result);

    requests_batch_t *batch = malloc(sizeof *batch);
    requests_batch_init(batch, "samr");
    requests_batch_add(batch, "130131", 2023, "I12", 2.5);
    kc_envelope_t *reply = NULL;
    int attempts = 0;
    /* The first answer may be database.unavailable (nothing stored); the
     * sender retries with the same key, as kcctl does, until it is stored. */
    while (attempts++ < 20) {
        kc_bus_free(&reply);
        reply = requests_send_batch(&s_node, batch, "after-reconnect");
        if (reply->body_case == KC__V1__ENVELOPE__BODY_ACCEPTED)
            break;
        cr_assert_str_eq(reply->rejected->errors[0]->code, "database.unavailable");
        usleep(200000);
    }
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"), 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), 1);
    kc_bus_free(&reply);
    free(batch);
}

Test(intake_robustness, kcctl_gives_up_with_a_clear_message_when_nobody_answers)
{
    char nowhere[64];
    harness_free_endpoint(nowhere, sizeof nowhere); /* nothing listens there */
    /* a request that retries with its key (ping has a wait of its own: test_ping.c) */
    const char *divisions[] = {"divisions", "--endpoint", nowhere, "--timeout",
                               "300",       "--attempts", "3",     NULL};
    int64_t start = kc_clock_mono_us();
    cr_expect_eq(harness_kcctl(&s_node, divisions), 1);
    int64_t elapsed_ms = (kc_clock_mono_us() - start) / 1000;
    cr_expect_lt(elapsed_ms, 5000, "kcctl took %lld ms to give up", (long long)elapsed_ms);
    FILE *log = fopen(s_node.log_path, "r");
    cr_assert(log);
    char line[512];
    bool said = false;
    while (fgets(line, sizeof line, log))
        said = said || (strstr(line, "no answer from") && strstr(line, "[bus.no_answer]"));
    fclose(log);
    cr_expect(said, "kcctl did not say why it gave up (see %s)", s_node.log_path);
}

Test(intake_robustness, the_same_key_twice_in_one_group_is_stored_once)
{
    /* Two copies sent back to back land in one group commit. */
    requests_batch_t *batch = malloc(sizeof *batch);
    requests_batch_init(batch, "samr");
    requests_batch_add(batch, "130131", 2022, "I12", 4.5);
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    request.submit_reports = &batch->body;
    void *socket = requests_dealer(s_context, &s_node);
    for (int copy = 0; copy < 2; copy++) {
        char id[KC_ID_SIZE];
        Kc__V1__Actor actor;
        harness_stamp(&request, id, &actor, "samr", "twin");
        requests_send_packed(socket, &request);
    }
    kc_envelope_t *first = requests_receive(socket);
    kc_envelope_t *second = requests_receive(socket);
    cr_assert_eq(first->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_assert_eq(second->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_eq(first->accepted->submission_id, second->accepted->submission_id);
    cr_expect_eq(first->accepted->replayed + second->accepted->replayed, 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"), 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM event"), 1);
    kc_bus_free(&first);
    kc_bus_free(&second);
    zmq_close(socket);
    free(batch);
}
