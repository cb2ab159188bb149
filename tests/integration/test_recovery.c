/*  The node's PostgreSQL restarted under it, as an operations team would
 *  do it from outside: stopped at once (`pg_ctl stop -m immediate`, a
 *  crash) and started again, or stopped cleanly and left down for 20 s.
 *  Meanwhile a county keeps writing a stream of keyed submissions, a
 *  public notice falls due on another node, and a county's application is
 *  forwarded to its city, whose kc-workflow had not yet taken it up. With
 *  every daemon running (kc-intake, kc-workflow, kc-link on three linked
 *  nodes, kc-notify and kc-scoring on the county's), and no request to
 *  prompt them:
 *  - every acknowledged write is stored once;
 *  - every loop of every daemon connects again by itself, and its log
 *    holds one line as the outage begins and one as it ends;
 *  - the notice closes, the city takes up the copy;
 *  - the first request to each daemon after recovery is answered.
 *  The servers run on a cluster of the test's own (own_cluster.c): the
 *  suite's shared cluster serves other tests meanwhile.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "federation_fixture.h"
#include "kc/kc_clock.h"
#include "kc/v1/scoring.pb-c.h"
#include "own_cluster.h"
#include "requests.h"

TestSuite(recovery, .timeout = 300);

#define MONDAY_0900 1740963600000LL /* 2025-03-03 09:00 CST, a Monday */

/* --- a stream of keyed writes from the county's statistics clerk -------- */

typedef struct {
    kc_client_t *client;
    atomic_bool stop;
    atomic_int acknowledged; /* recovery-1 .. recovery-N were acknowledged */
    atomic_int refused;      /* answers database.unavailable, sent again */
    atomic_int unanswered;   /* attempts that timed out, sent again */
    char failure[256];       /* what went wrong, "" when nothing did */
    pthread_t thread;
} s_writer_t;

/* One keyed submission of 平山县's I15; the same key always carries the
 * same value. Returns 1 acknowledged, 0 to send again, -1 refused for good. */
static int s_write_one(s_writer_t *writer, int number)
{
    fed_county_value_t value;
    kc_envelope_t *request = fed_county_value(&value, "recovery", number);
    kc_envelope_t *reply = NULL;
    kc_error_t error;
    if (kc_client_call(writer->client, request, &reply, &error)) {
        atomic_fetch_add(&writer->unanswered, 1);
        return 0;
    }
    int outcome = 1;
    if (reply->body_case != KC__V1__ENVELOPE__BODY_ACCEPTED) {
        const char *code =
            reply->body_case == KC__V1__ENVELOPE__BODY_REJECTED && reply->rejected->n_errors
                ? reply->rejected->errors[0]->code
                : "?";
        if (strcmp(code, "database.unavailable") == 0) {
            atomic_fetch_add(&writer->refused, 1);
            outcome = 0;
        } else {
            snprintf(writer->failure, sizeof writer->failure, "%s refused with %s", value.key,
                     code);
            outcome = -1;
        }
    }
    kc_bus_free(&reply);
    return outcome;
}

/* Each submission is sent until it is acknowledged, with the same key, as
 * a careful client does; a refusal waits 100 ms. */
static void *s_write(void *context)
{
    s_writer_t *writer = context;
    for (int number = 1; !atomic_load(&writer->stop); number++) {
        int64_t give_up = kc_clock_mono_us() + 90 * 1000000LL;
        int outcome;
        while ((outcome = s_write_one(writer, number)) == 0) {
            if (kc_clock_mono_us() > give_up) {
                snprintf(writer->failure, sizeof writer->failure,
                         "recovery-%d not acknowledged in 90 s", number);
                return NULL;
            }
            usleep(100 * 1000);
        }
        if (outcome < 0)
            return NULL;
        atomic_store(&writer->acknowledged, number);
    }
    return NULL;
}

/* --- the daemons' logs ----------------------------------------------------- */

typedef struct {
    const char *log;  /* the node's log, where its daemons write */
    const char *loop; /* as the loop names itself in its outage lines */
} s_loop_t;

/* Wait up to `timeout_ms` until every loop has logged the end of its
 * outage; whether all did. */
static bool s_wait_back(const s_loop_t *loops, size_t count, int timeout_ms)
{
    for (int waited = 0;; waited += 100) {
        size_t back = 0;
        for (size_t i = 0; i < count; i++) {
            char text[96];
            snprintf(text, sizeof text, "%s: database connection back", loops[i].loop);
            back += harness_log_lines(loops[i].log, text) > 0;
        }
        if (back == count || waited >= timeout_ms)
            return back == count;
        usleep(100 * 1000);
    }
}

/* --- the scenario ---------------------------------------------------------- */

static void s_reconnect_test_connection(harness_node_t *node)
{
    PQreset(node->db);
    cr_assert_eq(PQstatus(node->db), CONNECTION_OK, "%s", PQerrorMessage(node->db));
}

/* kcctl against a node once, with no second attempt; its exit status. */
static int s_once(harness_node_t *node, const char *const *args)
{
    const char *with[24];
    size_t n = 0;
    with[n++] = "--attempts";
    with[n++] = "1";
    for (size_t i = 0; args[i] && n < 23; i++)
        with[n++] = args[i];
    with[n] = NULL;
    return harness_kcctl(node, with);
}

/* A ScoreYear to kc-scoring, once, no second attempt: whether it was
 * answered with its job. */
static bool s_score_once(const harness_node_t *node)
{
    Kc__V1__ScoreYear score = KC__V1__SCORE_YEAR__INIT;
    score.scope_code = "130000";
    score.year = 2023;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    request.body_case = KC__V1__ENVELOPE__BODY_SCORE_YEAR;
    request.score_year = &score;
    char id[KC_ID_SIZE];
    Kc__V1__Actor actor;
    harness_stamp(&request, id, &actor, "kjt", "recovery-score");
    kc_error_t error;
    kc_client_t *client = kc_client_new(node->scoring, 5000, 1, &error);
    cr_assert_not_null(client);
    int rc = kc_client_call(client, &request, &reply, &error);
    bool answered = rc == 0 && reply->body_case == KC__V1__ENVELOPE__BODY_SCORING_JOB;
    if (rc)
        fprintf(stderr, "kc-scoring: %s\n", error.message);
    else if (!answered)
        requests_dump(reply);
    kc_bus_free(&reply);
    kc_client_destroy(&client);
    return answered;
}

static void s_restart_under_load(bool stop_for_20_s)
{
    own_cluster_t cluster;
    own_cluster_start(&cluster);

    /* three linked nodes, with kc-notify and kc-scoring at the county */
    fed_t f;
    fed_start(&f, 0);
    harness_node_t *county = &f.county.wf.node;
    pid_t notify = harness_notify_start(county);
    pid_t scoring = harness_scoring_start(county, 0, false);
    const char *methodology[] = {"methodology", "load", "deploy/scoring/hebei-2019-v1.ini", NULL};
    const char *rewards[] = {"rewards", "load", "deploy/scoring/rewards-hebei-2019.ini", NULL};
    cr_assert_eq(harness_kcctl(county, methodology), 0);
    cr_assert_eq(harness_kcctl(county, rewards), 0);

    /* a node of its own whose public notice will fall due while the
     * database is away */
    wf_fixture_t notice;
    wf_fixture_start(&notice, MONDAY_0900);
    wf_fixture_to_notice(&notice);
    long long notice_end =
        harness_count(&notice.node, "SELECT due_ms FROM workflow_timer WHERE kind = 'notice_end'"
                                    " AND fired_ms IS NULL");
    cr_assert_gt(notice_end, MONDAY_0900);

    /* the county's application goes up to its city, whose kc-workflow is
     * held so that it has not taken the copy up when the database goes */
    wf_fixture_submit(county);
    cr_assert_eq(harness_wait_count(county, "SELECT count(*) FROM workflow_instance", 1, 10000), 1);
    PGresult *result = PQexec(county->db, "SELECT ref FROM application");
    snprintf(f.county.wf.ref, sizeof f.county.wf.ref, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
    memcpy(f.city.wf.ref, f.county.wf.ref, sizeof f.city.wf.ref);
    cr_assert_eq(wf_fixture_act(&f.county.wf, "applicant", "130131", "submit", "自愿申报", true),
                 0);
    cr_assert_eq(wf_fixture_act(&f.county.wf, "county_bureau", "130131", "county_approve",
                                "材料齐全，同意上报", false),
                 0);
    kill(f.city.wf.workflow, SIGSTOP);
    cr_assert_eq(wf_fixture_act(&f.county.wf, "county_government", "130131", "county_consent",
                                "同意申报", true),
                 0);
    cr_assert_geq(harness_wait_count(&f.city.wf.node,
                                     "SELECT count(*) FROM link_inbox"
                                     " WHERE kind = 'workflow.application'",
                                     1, 15000),
                  1, "the copy did not reach the city's node");
    cr_assert(!fed_wait_state(&f.city, f.city.wf.ref, "city_review", 0),
              "the city took the copy up although its kc-workflow was held");

    /* the stream of writes is under way */
    s_writer_t writer = {.client = harness_client(county, 5000, 1)};
    cr_assert_eq(pthread_create(&writer.thread, NULL, s_write, &writer), 0);
    while (atomic_load(&writer.acknowledged) < 100 && !*writer.failure)
        usleep(20 * 1000);

    /* the database goes away */
    if (stop_for_20_s) {
        own_cluster_halt(&cluster, "fast");
        sleep(20);
    } else {
        own_cluster_halt(&cluster, "immediate");
    }
    kill(f.city.wf.workflow, SIGCONT);
    harness_clock_set(&notice.node, notice_end + 60000); /* the notice falls due meanwhile */
    int acknowledged_before = atomic_load(&writer.acknowledged);
    own_cluster_resume(&cluster);

    /* every loop comes back by itself, no request needed */
    s_loop_t loops[] = {
        {county->log_path, "kc-intake"},
        {county->log_path, "kc-workflow"},
        {county->log_path, "kc-link"},
        {county->log_path, "kc-scoring"},
        {county->log_path, "requests"}, /* kc-notify's requests and expansion */
        {county->log_path, "delivery"}, /* kc-notify's delivery */
        {f.city.wf.node.log_path, "kc-intake"},
        {f.city.wf.node.log_path, "kc-workflow"},
        {f.city.wf.node.log_path, "kc-link"},
        {f.province.wf.node.log_path, "kc-intake"},
        {f.province.wf.node.log_path, "kc-workflow"},
        {f.province.wf.node.log_path, "kc-link"},
        {notice.node.log_path, "kc-intake"},
        {notice.node.log_path, "kc-workflow"},
    };
    size_t loop_count = sizeof loops / sizeof loops[0];
    cr_assert(s_wait_back(loops, loop_count, 30000),
              "not every daemon logged that its connection is back: see %s", county->log_path);
    harness_node_t *nodes[] = {county, &f.city.wf.node, &f.province.wf.node, &notice.node};
    for (size_t i = 0; i < 4; i++)
        s_reconnect_test_connection(nodes[i]);

    /* the first request to each daemon after recovery is answered */
    const char *inbox[] = {"inbox",         "--user",     "official", "--role",
                           "county_bureau", "--division", "130131",   NULL};
    cr_expect_eq(s_once(county, inbox), 0, "kc-workflow: the first request after recovery");
    const char *notifications[] = {"notifications", "--user", "lizhenhua", NULL};
    cr_expect_eq(s_once(county, notifications), 0, "kc-notify: the first request after recovery");
    cr_expect(s_score_once(county), "kc-scoring: the first request after recovery");

    /* the notice closed and the copy was taken up, by themselves */
    cr_expect_eq(harness_wait_count(&notice.node,
                                    "SELECT count(*) FROM workflow_instance WHERE state = 'filed'",
                                    1, 20000),
                 1, "the notice that fell due during the outage did not close");
    cr_expect(fed_wait_state(&f.city, f.city.wf.ref, "city_review", 20000),
              "the city did not take up the copy that arrived before the outage");

    /* the stream went on; every acknowledged write is there once */
    int target = atomic_load(&writer.acknowledged) + 50;
    while (atomic_load(&writer.acknowledged) < target && !*writer.failure)
        usleep(20 * 1000);
    atomic_store(&writer.stop, true);
    pthread_join(writer.thread, NULL);
    kc_client_destroy(&writer.client);
    cr_assert_str_empty(writer.failure);
    int acknowledged = atomic_load(&writer.acknowledged);
    cr_assert_gt(acknowledged, acknowledged_before, "no write was acknowledged after recovery");
    cr_expect_eq(harness_count(county, "SELECT count(*) FROM submission"
                                       " WHERE idempotency_key LIKE 'recovery-%'"),
                 acknowledged,
                 "every acknowledged write once (%d refused and sent again, %d"
                 " unanswered and sent again)",
                 atomic_load(&writer.refused), atomic_load(&writer.unanswered));
    cr_expect_gt(atomic_load(&writer.refused), 0, "writes during the outage were refused");
    cr_expect_eq(atomic_load(&writer.unanswered), 0,
                 "every write during the outage was answered at once");
    cr_expect_eq(harness_count(county, "SELECT count(DISTINCT idempotency_key) FROM submission"
                                       " WHERE idempotency_key LIKE 'recovery-%'"),
                 acknowledged);

    /* one line as the outage began and one as it ended, per loop */
    for (size_t i = 0; i < loop_count; i++) {
        char began[96], ended[96];
        snprintf(began, sizeof began, "%s: database unavailable", loops[i].loop);
        snprintf(ended, sizeof ended, "%s: database connection back", loops[i].loop);
        cr_expect_eq(harness_log_lines(loops[i].log, began), 1, "%s in %s: lines '%s'",
                     loops[i].loop, loops[i].log, began);
        cr_expect_eq(harness_log_lines(loops[i].log, ended), 1, "%s in %s: lines '%s'",
                     loops[i].loop, loops[i].log, ended);
    }

    kill(scoring, SIGTERM);
    waitpid(scoring, NULL, 0);
    kill(notify, SIGTERM);
    waitpid(notify, NULL, 0);
    wf_fixture_stop(&notice);
    fed_stop(&f);
    own_cluster_remove(&cluster);
}

Test(recovery, postgres_crashed_and_restarted_heals_every_daemon_and_loses_nothing)
{
    s_restart_under_load(false);
}

Test(recovery, postgres_stopped_for_20_s_heals_every_daemon_and_loses_nothing)
{
    s_restart_under_load(true);
}
