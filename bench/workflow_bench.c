/*  workflow_bench: kc-workflow carrying 10,000 mountain-base applications
 *  from the applicant to filing, with expert panels and public notices.
 *
 *  1. Seeds N applications (default 10,000) straight into the database, in
 *     real Hebei counties, and waits for kc-workflow to adopt them.
 *  2. Load: `clients` threads, each with its own ZeroMQ client, take their
 *     share of the applications up the levels as the officials would:
 *     submit, county approval, county government consent, city
 *     recommendation, the province's assignment (a panel of five drawn from
 *     the pool), five declarations and five scores, the province's approval
 *     into a public notice. Every ActOnApplication is a transition (one
 *     transaction: lock, checks, state, step, timers, panel, event, audit);
 *     its latency is measured from send to answer.
 *  3. Timers at that load: kc-workflow's clock (KC_FAKE_CLOCK_FILE) moves
 *     past the close of every notice at once, and the bench waits until
 *     every application is filed by its timer. Lateness is how long after
 *     the clock moved each filing committed (the ApplicationMoved event's
 *     commit time), so its p99 is the wait of the 99th-percentile timer
 *     when all N fall due at the same instant.
 *  4. kc-workflow's peak resident set (VmHWM).
 *
 *  Usage: workflow_bench --endpoint URL --database CONNINFO --pid PID
 *         --clock-file PATH [--applications 10000] [--clients 8]
 *  It prints "figure NAME VALUE" lines for bench/run.sh.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kc/kc_bus.h"
#include "kc/kc_client.h"
#include "bench_common.h"
#include "kc/kc_clock.h"
#include "kc/kc_id.h"

typedef struct {
    const char *endpoint, *database, *clock_file;
    int pid, applications, clients;
} s_options_t;

typedef struct {
    char ref[24];
    char county[8];
} s_application_t;

typedef struct {
    const s_options_t *options;
    const s_application_t *applications;
    int first, step; /* this worker's share: first, first + step, ... */
    double *latencies_ms;
    size_t samples;
    long transitions, panel_requests, failures;
} s_worker_t;

static double s_now_s(void)
{
    return (double)kc_clock_mono_us() / 1e6;
}

/* N applications in the real county-level divisions of Hebei (not zones),
 * each of its own applicant organisation, under one seeding submission. */
static s_application_t *s_seed(PGconn *conn, int n)
{
    char count[16];
    snprintf(count, sizeof count, "%d", n);
    const char *params[1] = {count};
    bench_exec("workflow_bench", conn,
               "INSERT INTO submission (idempotency_key, request_hash, kind, message_id,"
               " sender_node, actor_user, actor_role, actor_division)"
               " VALUES ('workflow-bench', '\\x00', 'application', 'workflow-bench', 'bench',"
               " 'bench', 'applicant', '130000')");
    PGresult *result = PQexecParams(
        conn,
        "WITH counties AS (SELECT code, row_number() OVER (ORDER BY code) - 1 AS k,"
        "                         count(*) OVER () AS total"
        "                    FROM division WHERE level = 3 AND code LIKE '13%'"
        "                     AND code !~ '7[0-9]$' AND valid_to = 'infinity')"
        " INSERT INTO application (ref, programme, county_code, title, base_name,"
        "                          applicant_organisation, submission_id, form)"
        " SELECT format('MB-BENCH-%s', lpad(i::text, 6, '0')), 'mountain_base', c.code,"
        "        format('基准测试基地%s', i), format('bench base %s', i),"
        "        format('基准测试申报单位%s', i),"
        "        (SELECT id FROM submission WHERE idempotency_key = 'workflow-bench'), '{}'"
        "   FROM generate_series(1, $1::int) i"
        "   JOIN counties c ON c.k = i % c.total"
        " RETURNING ref, county_code",
        1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != n)
        bench_die("workflow_bench", PQerrorMessage(conn));
    s_application_t *applications = calloc((size_t)n, sizeof *applications);
    if (!applications)
        abort();
    for (int i = 0; i < n; i++) {
        snprintf(applications[i].ref, sizeof applications[i].ref, "%s", PQgetvalue(result, i, 0));
        snprintf(applications[i].county, sizeof applications[i].county, "%s",
                 PQgetvalue(result, i, 1));
    }
    PQclear(result);
    return applications;
}

/* One request as (user, role, division); 0 when answered with `expected`. */
static int s_call(kc_client_t *client, kc_envelope_t *request, Kc__V1__Envelope__BodyCase expected,
                  const char *user, const char *role, const char *division, double *ms,
                  kc_envelope_t **reply)
{
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = (char *)user;
    actor.role = (char *)role;
    actor.division_code = (char *)division;
    actor.organisation = "";
    char id[KC_ID_SIZE], key[KC_ID_SIZE];
    kc_bus_stamp(request, id, "bench", &actor);
    kc_id_new(key);
    request->idempotency_key = key;
    kc_error_t error;
    double start = s_now_s();
    int rc = kc_client_call(client, request, reply, &error);
    if (ms)
        *ms = (s_now_s() - start) * 1000.0;
    if (rc) {
        fprintf(stderr, "no answer: %s\n", error.message);
        return -1;
    }
    if ((*reply)->body_case != expected) {
        if ((*reply)->body_case == KC__V1__ENVELOPE__BODY_REJECTED && (*reply)->rejected->n_errors)
            fprintf(stderr, "refused: %s\n", (*reply)->rejected->errors[0]->message);
        kc_bus_free(reply);
        return -1;
    }
    return 0;
}

static int s_act(s_worker_t *worker, kc_client_t *client, const s_application_t *application,
                 const char *transition, const char *role, const char *division, bool attest)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    Kc__V1__ActOnApplication act = KC__V1__ACT_ON_APPLICATION__INIT;
    act.application_ref = (char *)application->ref;
    act.transition = (char *)transition;
    act.reason = "基准测试：同意";
    act.attest = attest;
    request.body_case = KC__V1__ENVELOPE__BODY_ACT_ON_APPLICATION;
    request.act_on_application = &act;
    double ms = 0;
    if (s_call(client, &request, KC__V1__ENVELOPE__BODY_WORKFLOW_STATE, "bench", role, division,
               &ms, &reply))
        return -1;
    kc_bus_free(&reply);
    worker->latencies_ms[worker->samples++] = ms;
    worker->transitions++;
    return 0;
}

/* The panel drawn for the application: every seated expert declares no
 * conflict and scores 80 of 100. */
static int s_panel(s_worker_t *worker, kc_client_t *client, const s_application_t *application)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    Kc__V1__GetPanel get = KC__V1__GET_PANEL__INIT;
    get.application_ref = (char *)application->ref;
    request.body_case = KC__V1__ENVELOPE__BODY_GET_PANEL;
    request.get_panel = &get;
    if (s_call(client, &request, KC__V1__ENVELOPE__BODY_PANEL_VIEW, "bench", "province_department",
               "130000", NULL, &reply))
        return -1;
    char experts[16][40];
    size_t n = 0;
    for (size_t i = 0; i < reply->panel_view->n_members && n < 16; i++)
        snprintf(experts[n++], sizeof experts[0], "%s", reply->panel_view->members[i]->expert_code);
    kc_bus_free(&reply);
    static const struct {
        const char *code;
        double points;
    } criteria[] = {{"representativeness", 16},
                    {"industry_foundation", 16},
                    {"innovation_conditions", 16},
                    {"construction_content", 20},
                    {"organisation_support", 12}};
    for (size_t e = 0; e < n; e++) {
        kc_envelope_t declare_request = KC__V1__ENVELOPE__INIT;
        Kc__V1__DeclareConflict declare = KC__V1__DECLARE_CONFLICT__INIT;
        declare.application_ref = (char *)application->ref;
        declare_request.body_case = KC__V1__ENVELOPE__BODY_DECLARE_CONFLICT;
        declare_request.declare_conflict = &declare;
        if (s_call(client, &declare_request, KC__V1__ENVELOPE__BODY_PANEL_VIEW, experts[e],
                   "expert", "130000", NULL, &reply))
            return -1;
        kc_bus_free(&reply);
        Kc__V1__CriterionScore scores[5], *pointers[5];
        for (int c = 0; c < 5; c++) {
            kc__v1__criterion_score__init(&scores[c]);
            scores[c].criterion = (char *)criteria[c].code;
            scores[c].points = criteria[c].points;
            pointers[c] = &scores[c];
        }
        kc_envelope_t score_request = KC__V1__ENVELOPE__INIT;
        Kc__V1__ScoreApplication score = KC__V1__SCORE_APPLICATION__INIT;
        score.application_ref = (char *)application->ref;
        score.scores = pointers;
        score.n_scores = 5;
        score_request.body_case = KC__V1__ENVELOPE__BODY_SCORE_APPLICATION;
        score_request.score_application = &score;
        if (s_call(client, &score_request, KC__V1__ENVELOPE__BODY_PANEL_VIEW, experts[e], "expert",
                   "130000", NULL, &reply))
            return -1;
        kc_bus_free(&reply);
        worker->panel_requests += 2;
    }
    return 0;
}

/* One application from drafting to its public notice. */
static int s_carry(s_worker_t *worker, kc_client_t *client, const s_application_t *application)
{
    char city[8];
    snprintf(city, sizeof city, "%.4s00", application->county);
    return s_act(worker, client, application, "submit", "applicant", application->county, true) ||
           s_act(worker, client, application, "county_approve", "county_bureau",
                 application->county, false) ||
           s_act(worker, client, application, "county_consent", "county_government",
                 application->county, true) ||
           s_act(worker, client, application, "city_recommend", "city_bureau", city, true) ||
           s_act(worker, client, application, "province_assign", "province_department", "130000",
                 false) ||
           s_panel(worker, client, application) ||
           s_act(worker, client, application, "province_approve", "province_department", "130000",
                 false);
}

static void *s_work(void *context)
{
    s_worker_t *worker = context;
    kc_error_t error;
    kc_client_t *client = kc_client_new(worker->options->endpoint, 30000, 1, &error);
    if (!client)
        bench_die("workflow_bench", error.message);
    for (int i = worker->first; i < worker->options->applications; i += worker->step)
        if (s_carry(worker, client, &worker->applications[i]))
            worker->failures++;
    kc_client_destroy(&client);
    return NULL;
}

static double s_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t at = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[at < n ? at : n - 1];
}

static void s_write_clock(const char *path, long long ms)
{
    char temporary[600];
    snprintf(temporary, sizeof temporary, "%s.new", path);
    FILE *file = fopen(temporary, "w");
    if (!file || fprintf(file, "%lld\n", ms) < 0 || fclose(file) != 0 || rename(temporary, path))
        bench_die("workflow_bench", "cannot write the clock file");
}

static void s_options(int argc, char **argv, s_options_t *o)
{
    *o = (s_options_t){.applications = 10000, .clients = 8};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--endpoint") == 0)
            o->endpoint = argv[i + 1];
        else if (strcmp(argv[i], "--database") == 0)
            o->database = argv[i + 1];
        else if (strcmp(argv[i], "--clock-file") == 0)
            o->clock_file = argv[i + 1];
        else if (strcmp(argv[i], "--pid") == 0)
            o->pid = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--applications") == 0)
            o->applications = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--clients") == 0)
            o->clients = (int)strtol(argv[i + 1], NULL, 10);
        else
            bench_die("workflow_bench",
                      "usage: workflow_bench --endpoint URL --database CONNINFO --pid PID "
                      "--clock-file PATH [--applications N] [--clients K]");
    }
    if (!o->endpoint || !o->database || !o->clock_file || o->pid <= 0 || o->applications < 1 ||
        o->clients < 1 || o->clients > 64)
        bench_die("workflow_bench", "--endpoint, --database, --pid and --clock-file are required");
}

/* Phase 2: every application to its notice; prints the load figures. */
static void s_load(const s_options_t *options, const s_application_t *applications)
{
    s_worker_t *workers = calloc((size_t)options->clients, sizeof *workers);
    pthread_t *threads = calloc((size_t)options->clients, sizeof *threads);
    if (!workers || !threads)
        abort();
    double start = s_now_s();
    for (int t = 0; t < options->clients; t++) {
        workers[t] = (s_worker_t){
            .options = options, .applications = applications, .first = t, .step = options->clients};
        workers[t].latencies_ms =
            calloc((size_t)options->applications / options->clients * 7 + 16, sizeof(double));
        if (!workers[t].latencies_ms || pthread_create(&threads[t], NULL, s_work, &workers[t]))
            bench_die("workflow_bench", "cannot start a client");
    }
    long transitions = 0, panel = 0, failures = 0;
    size_t samples = 0;
    for (int t = 0; t < options->clients; t++) {
        pthread_join(threads[t], NULL);
        transitions += workers[t].transitions;
        panel += workers[t].panel_requests;
        failures += workers[t].failures;
        samples += workers[t].samples;
    }
    double seconds = s_now_s() - start;
    double *all = calloc(samples + 1, sizeof *all);
    if (!all)
        abort();
    size_t at = 0;
    for (int t = 0; t < options->clients; t++) {
        memcpy(all + at, workers[t].latencies_ms, workers[t].samples * sizeof *all);
        at += workers[t].samples;
        free(workers[t].latencies_ms);
    }
    qsort(all, samples, sizeof *all, bench_compare_doubles);
    printf("load: %d applications to their public notice by %d clients in %.1f s: %ld transitions"
           " and %ld panel declarations and scores, %ld applications failed\n",
           options->applications, options->clients, seconds, transitions, panel, failures);
    printf("figure wf_applications %d\n", options->applications);
    printf("figure wf_failures %ld\n", failures);
    printf("figure wf_transition_rate %.1f\n", (double)transitions / seconds);
    printf("figure wf_request_rate %.1f\n", (double)(transitions + panel) / seconds);
    printf("figure wf_act_p50 %.2f\n", s_percentile(all, samples, 0.50));
    printf("figure wf_act_p99 %.2f\n", s_percentile(all, samples, 0.99));
    printf("figure wf_act_max %.2f\n", samples ? all[samples - 1] : 0.0);
    free(all);
    free(workers);
    free(threads);
}

/* Phase 3: every notice falls due at once; prints the timer figures. */
static void s_timers(const s_options_t *options, PGconn *conn)
{
    long long due = bench_count("workflow_bench", conn,
                                "SELECT max(due_ms) FROM workflow_timer WHERE kind ="
                                " 'notice_end' AND fired_ms IS NULL");
    long long before =
        bench_count("workflow_bench", conn, "SELECT coalesce(max(seq), 0) FROM event");
    bench_exec("workflow_bench", conn, "CREATE TEMPORARY TABLE bench_moved (at timestamptz)");
    bench_exec("workflow_bench", conn, "INSERT INTO bench_moved SELECT clock_timestamp()");
    s_write_clock(options->clock_file, due);
    double start = s_now_s();
    long long filed = 0;
    while ((filed = bench_count("workflow_bench", conn,
                                "SELECT count(*) FROM workflow_instance WHERE state ="
                                " 'filed'")) < options->applications &&
           s_now_s() - start < 600)
        usleep(20000);
    double seconds = s_now_s() - start;
    char after[24];
    snprintf(after, sizeof after, "%lld", before);
    const char *params[1] = {after};
    PGresult *result = PQexecParams(
        conn,
        "SELECT percentile_cont(ARRAY[0.5, 0.99, 1.0]) WITHIN GROUP (ORDER BY"
        "  extract(epoch FROM e.occurred_at - m.at) * 1000)"
        "  FROM event e, bench_moved m WHERE e.seq > $1::bigint AND e.type = 'ApplicationMoved'",
        1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK)
        bench_die("workflow_bench", PQerrorMessage(conn));
    double p50 = 0, p99 = 0, max = 0;
    sscanf(PQgetvalue(result, 0, 0), "{%lf,%lf,%lf}", &p50, &p99, &max);
    PQclear(result);
    printf("timers: %lld of %d notices closed into filing %.1f s after they all fell due\n", filed,
           options->applications, seconds);
    printf("figure wf_timers_filed %lld\n", filed);
    printf("figure wf_timer_rate %.1f\n", (double)filed / seconds);
    printf("figure wf_timer_late_p50 %.0f\n", p50);
    printf("figure wf_timer_late_p99 %.0f\n", p99);
    printf("figure wf_timer_late_max %.0f\n", max);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* tee shows each line as it comes */
    s_options_t options;
    s_options(argc, argv, &options);
    PGconn *conn = PQconnectdb(options.database);
    if (PQstatus(conn) != CONNECTION_OK)
        bench_die("workflow_bench", PQerrorMessage(conn));
    s_application_t *applications = s_seed(conn, options.applications);
    double start = s_now_s();
    while (bench_count("workflow_bench", conn, "SELECT count(*) FROM workflow_instance") <
               options.applications &&
           s_now_s() - start < 60)
        usleep(20000);
    printf("seeded %d applications; kc-workflow adopted them in %.2f s\n", options.applications,
           s_now_s() - start);
    s_load(&options, applications);
    s_timers(&options, conn);
    long peak = bench_status_kb(options.pid, "VmHWM");
    if (peak < 0)
        bench_die("workflow_bench", "cannot read the status of kc-workflow in /proc");
    printf("figure workflow_peak_rss %ld\n", peak);
    free(applications);
    PQfinish(conn);
    return 0;
}
