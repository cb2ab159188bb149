/*  scoring_db: a scoring run with PostgreSQL, and kc-scoring's throughput.
 *
 *  Against the database in --database (or KC_DATABASE_URL), migrated and
 *  holding the methodology and policy named below (bench/run.sh loads them
 *  with kcctl), it measures:
 *
 *  (1) The whole country, one year, the way a kc-scoring job does it:
 *      scoring_db_load_rules, scoring_db_read_snapshot, run_compute (no
 *      Monte Carlo), snapshot_write and scoring_db_store_run between BEGIN
 *      and COMMIT, for a job queued beforehand with scoring_job_enqueue
 *      (one per repetition: a job has at most one run). One warm-up, then
 *      --repeat runs; best and median, and the median of each part (read,
 *      compute, write = canonical snapshot text + store + commit). Goal:
 *      < 100 ms.
 *  (2) Throughput of kc-scoring: a batch of jobs (--rounds jobs per
 *      province, scope = the province, year t) queued in one transaction
 *      while ONE kc-scoring process waits, timed from that commit until the
 *      last job is done (polled every 5 ms); then a fresh batch with TWO
 *      processes. Jobs per second of each and their ratio (goal: close to
 *      2x; each process does one job at a time).
 *
 *  Before that it fills the inputs once, if year t has none yet: for every
 *  county-level division valid in years t-1 and t (division_counties_in;
 *  development zones left out when the methodology does), a value of every
 *  submitted input by COPY into indicator_value (revision 1, one bench
 *  submission row) and three raters' scores of every rated input by COPY
 *  into rating. Values are drawn from a seeded generator around each
 *  indicator's benchmark as in bench/scoring_core.c (few A, some B, most C);
 *  year t is year t-1 grown by a few per cent per county, and 1 in 200 of
 *  year t's measured values is left out (carried forward and flagged).
 *  Then ANALYZE, as autovacuum would do soon after such a load.
 *
 *  Usage: scoring_db [--database CONNINFO] [--admin CONNINFO] [--methodology hebei-2019-v1]
 *         [--policy hebei-leap-2019] [--year 2023] [--repeat 7] [--seed 1]
 *         [--rounds 2] [--scoring-bin build/release/bin/kc-scoring]
 *         [--log-dir /tmp] [--no-workers]
 *  --admin names a superuser connection used only for CHECKPOINT before
 *  each measurement, so that one does not pay for the last one's dirty
 *  pages; without it there is no checkpoint.
 *  Prints `figure NAME VALUE UNIT` lines, as the other benches.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kc/kc_db.h"
#include "scoring/methodology.h"
#include "scoring/rewards.h"
#include "scoring/rng.h"
#include "scoring/run.h"
#include "scoring/scoring_db.h"
#include "scoring/snapshot.h"
#include "scoring/text_buffer.h"
#include "synthetic_county.h"

extern char **environ;

#define S_RATERS      3
#define S_WORKERS_MAX 2

typedef struct {
    const char *database, *admin, *methodology, *policy, *scoring_bin, *log_dir;
    int year, repeat, rounds;
    uint64_t seed;
    bool workers;
} s_options_t;

typedef struct {
    double total, read, compute, write; /* seconds */
    size_t counties, input_bytes, result_bytes;
} s_country_t;

/* The kc-scoring processes running, stopped by s_die too: a bench that
 * fails must not leave daemons behind. */
static pid_t s_workers[S_WORKERS_MAX];

static void s_die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void s_die(const char *format, ...)
{
    for (int w = 0; w < S_WORKERS_MAX; w++)
        if (s_workers[w] > 0)
            kill(s_workers[w], SIGTERM);
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "scoring_db: ");
    vfprintf(stderr, format, arguments);
    fprintf(stderr, "\n");
    va_end(arguments);
    exit(1);
}

static double s_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static long s_number(const char *text, long low, long high, const char *name)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < low || value > high)
        s_die("'%s' must be an integer in %ld..%ld, not '%s'", name, low, high, text);
    return value;
}

static void s_parse_options(int argc, char **argv, s_options_t *options)
{
    *options = (s_options_t){.database = getenv("KC_DATABASE_URL"),
                             .methodology = "hebei-2019-v1",
                             .policy = "hebei-leap-2019",
                             .scoring_bin = "build/release/bin/kc-scoring",
                             .log_dir = "/tmp",
                             .year = 2023,
                             .repeat = 7,
                             .rounds = 2,
                             .seed = 1,
                             .workers = true};
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(name, "--no-workers") == 0) {
            options->workers = false;
            continue;
        }
        if (value == NULL)
            s_die("unknown option or missing value: '%s' (see the head of bench/scoring_db.c)",
                  name);
        i++;
        if (strcmp(name, "--database") == 0)
            options->database = value;
        else if (strcmp(name, "--admin") == 0)
            options->admin = value;
        else if (strcmp(name, "--methodology") == 0)
            options->methodology = value;
        else if (strcmp(name, "--policy") == 0)
            options->policy = value;
        else if (strcmp(name, "--scoring-bin") == 0)
            options->scoring_bin = value;
        else if (strcmp(name, "--log-dir") == 0)
            options->log_dir = value;
        else if (strcmp(name, "--year") == 0)
            options->year = (int)s_number(value, 2001, 9998, name);
        else if (strcmp(name, "--repeat") == 0)
            options->repeat = (int)s_number(value, 1, 1000, name);
        else if (strcmp(name, "--rounds") == 0)
            options->rounds = (int)s_number(value, 1, 100, name);
        else if (strcmp(name, "--seed") == 0)
            options->seed = (uint64_t)s_number(value, 0, 1L << 40, name);
        else
            s_die("unknown option '%s'", name);
    }
    if (options->database == NULL || *options->database == '\0')
        s_die("no database: give --database or KC_DATABASE_URL");
}

static PGresult *s_query(PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *result = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    kc_error_t error;
    if (kc_db_check(conn, result, "a bench query", &error))
        s_die("%s: %s (%.80s)", error.message, error.detail, sql);
    return result;
}

static void s_exec(PGconn *conn, const char *sql)
{
    PQclear(s_query(conn, sql, 0, NULL));
}

static void s_checkpoint(const s_options_t *options)
{
    if (options->admin == NULL)
        return;
    kc_error_t error;
    PGconn *admin = kc_db_connect(options->admin, "scoring_db", &error);
    if (!admin)
        s_die("%s", error.message);
    s_exec(admin, "CHECKPOINT");
    kc_db_disconnect(&admin);
}

static long long s_count(PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *result = s_query(conn, sql, n, params);
    const long long count = kc_db_int(result, 0, 0);
    PQclear(result);
    return count;
}

/* ---- the inputs ------------------------------------------------------------ */

static double s_clamp(double x, double low, double high)
{
    return fmin(high, fmax(low, x));
}

/* Rows of one county and year for the two COPYs: measured inputs as
 * indicator_value rows, rated ones as S_RATERS integer scores around the
 * county's true score. `skip` leaves a measured value out. */
static void s_county_rows(const sc_methodology_t *m, const char *code, int year,
                          const double *values, const char (*providers)[16], double skip_rate,
                          sc_rng_t *rng, text_buffer_t *value_rows, text_buffer_t *rating_rows)
{
    for (size_t j = 0; j < m->n_inputs; j++) {
        if (m->input_qualitative[j]) {
            const sc_indicator_t *reader = synthetic_reader_of(m, j);
            const double top = reader && reader->rubric_max > 0 ? reader->rubric_max : 100.0;
            for (int r = 1; r <= S_RATERS; r++)
                text_buffer_append(rating_rows, "%s\t%d\t%s\trater%d\t1\t%.0f\tbench-%d\tbench\n",
                                   code, year, m->inputs[j], r,
                                   s_clamp(round(values[j] + 4.0 * rng_normal(rng)), 0, top), year);
        } else if (rng_uniform(rng) >= skip_rate) {
            text_buffer_append(value_rows, "%s\t%d\t%s\t1\t%.2f\t%s\t%s\n", code, year,
                               m->inputs[j], values[j], providers[j], "@SUBMISSION@");
        }
    }
}

/* Send a text-format COPY of rows. */
static void s_copy(PGconn *conn, const char *sql, const text_buffer_t *rows)
{
    PGresult *result = PQexec(conn, sql);
    if (PQresultStatus(result) != PGRES_COPY_IN)
        s_die("%s: %s", sql, PQerrorMessage(conn));
    PQclear(result);
    if (rows->size > 0 && PQputCopyData(conn, rows->text, (int)rows->size) != 1)
        s_die("COPY data: %s", PQerrorMessage(conn));
    if (PQputCopyEnd(conn, NULL) != 1)
        s_die("COPY end: %s", PQerrorMessage(conn));
    result = PQgetResult(conn);
    if (PQresultStatus(result) != PGRES_COMMAND_OK)
        s_die("%s: %s", sql, PQerrorMessage(conn));
    PQclear(result);
    while ((result = PQgetResult(conn)) != NULL)
        PQclear(result);
}

static void s_providers(PGconn *conn, const sc_methodology_t *m, char (*providers)[16])
{
    for (size_t j = 0; j < m->n_inputs; j++) {
        const char *params[2] = {m->framework, m->inputs[j]};
        PGresult *result = s_query(
            conn, "SELECT provider FROM indicator WHERE framework = $1 AND code = $2", 2, params);
        snprintf(providers[j], 16, "%s", PQntuples(result) ? PQgetvalue(result, 0, 0) : "stats");
        PQclear(result);
    }
}

/* Replace the submission placeholder once its id is known (same width or
 * shorter, so the buffer is rewritten in place). */
static void s_set_submission(text_buffer_t *rows, const char *id)
{
    const char *mark = "@SUBMISSION@";
    size_t mark_size = strlen(mark), id_size = strlen(id), out = 0;
    if (id_size > mark_size)
        s_die("submission id '%s' is too long", id);
    for (size_t in = 0; in < rows->size;) {
        if (strncmp(rows->text + in, mark, mark_size) == 0) {
            memcpy(rows->text + out, id, id_size);
            out += id_size;
            in += mark_size;
        } else
            rows->text[out++] = rows->text[in++];
    }
    rows->size = out;
    rows->text[out] = '\0';
}

/* The rows of both years for every county, seeded: year t is year t-1
 * grown by the county's rate plus noise, the ratings moved a little. */
static void s_generate(PGconn *conn, const sc_methodology_t *m, const s_options_t *options,
                       const PGresult *counties, text_buffer_t *value_rows,
                       text_buffer_t *rating_rows)
{
    char providers[SC_MAX_INPUTS][16];
    s_providers(conn, m, providers);
    sc_rng_t rng;
    rng_seed(&rng, options->seed);
    double values[SC_MAX_INPUTS];
    uint8_t all_present[SC_MAX_INPUTS];
    memset(all_present, 1, sizeof all_present);
    for (int c = 0; c < PQntuples(counties); c++) {
        const char *code = PQgetvalue(counties, c, 0);
        const double level = rng_normal(&rng), growth = 0.06 + 0.08 * rng_normal(&rng);
        for (size_t j = 0; j < m->n_inputs; j++)
            values[j] = synthetic_value(m, j, level, &rng);
        synthetic_calibrate_derived(m, values, all_present, level, &rng);
        s_county_rows(m, code, options->year - 1, values, providers, 0.0, &rng, value_rows,
                      rating_rows);
        for (size_t j = 0; j < m->n_inputs; j++)
            values[j] = m->input_qualitative[j]
                            ? s_clamp(values[j] + 2.0 + 3.0 * rng_normal(&rng), 0, 100)
                            : values[j] * exp(growth + 0.08 * rng_normal(&rng));
        s_county_rows(m, code, options->year, values, providers, 0.005, &rng, value_rows,
                      rating_rows);
    }
}

static void s_store(PGconn *conn, text_buffer_t *value_rows, const text_buffer_t *rating_rows)
{
    s_exec(conn, "BEGIN");
    PGresult *submission =
        s_query(conn,
                "INSERT INTO submission (idempotency_key, request_hash, kind, message_id,"
                " sender_node, actor_user, actor_role, actor_division, provider)"
                " VALUES ('bench-scoring-' || now(), sha256(''), 'reports', 'bench', 'bench',"
                " 'bench', 'bench', '000000', 'stats') RETURNING id",
                0, NULL);
    s_set_submission(value_rows, PQgetvalue(submission, 0, 0));
    PQclear(submission);
    s_copy(conn,
           "COPY indicator_value (county_code, year, indicator_code, revision, value, provider,"
           " submission_id) FROM STDIN",
           value_rows);
    s_copy(conn,
           "COPY rating (county_code, year, indicator_code, rater, revision, score, batch_key,"
           " recorded_by) FROM STDIN",
           rating_rows);
    s_exec(conn, "COMMIT");
    s_exec(conn, "ANALYZE indicator_value");
    s_exec(conn, "ANALYZE rating");
}

/* The inputs of years t-1 and t, unless year t has values already. */
static void s_fill(PGconn *conn, const sc_methodology_t *m, const s_options_t *options)
{
    char year_text[16], zones[8];
    snprintf(year_text, sizeof year_text, "%d", options->year);
    snprintf(zones, sizeof zones, "%s", m->exclude_zones ? "true" : "false");
    const char *params[2] = {year_text, zones};
    const long long stored =
        s_count(conn, "SELECT count(*) FROM indicator_value WHERE year = $1", 1, params);
    if (stored > 0) {
        printf("inputs: %lld values of %d already stored, kept\n", stored, options->year);
        return;
    }
    PGresult *counties = s_query(conn,
                                 "SELECT DISTINCT code FROM division_counties_in($1::int - 1)"
                                 " WHERE NOT (is_zone AND $2::boolean)"
                                 " INTERSECT SELECT code FROM division_counties_in($1::int)"
                                 " WHERE NOT (is_zone AND $2::boolean) ORDER BY code",
                                 2, params);
    text_buffer_t value_rows = {0}, rating_rows = {0};
    s_generate(conn, m, options, counties, &value_rows, &rating_rows);
    const double start = s_now();
    s_store(conn, &value_rows, &rating_rows);
    printf("inputs: %d counties x %d-%d stored by COPY in %.0f ms (%zu + %zu bytes)\n",
           PQntuples(counties), options->year - 1, options->year, (s_now() - start) * 1e3,
           value_rows.size, rating_rows.size);
    PQclear(counties);
    text_buffer_release(&value_rows);
    text_buffer_release(&rating_rows);
}

/* ---- (1) the country with PostgreSQL -------------------------------------------------- */

static int64_t s_enqueue_country(PGconn *conn, const s_options_t *options, int repetition)
{
    char key[96], year[16];
    snprintf(key, sizeof key, "bench-country-%d-%d-%.0f", (int)getpid(), repetition, s_now() * 1e6);
    snprintf(year, sizeof year, "%d", options->year);
    const char *params[5] = {key, year, options->methodology, options->policy};
    PGresult *result =
        s_query(conn,
                "SELECT job_id FROM scoring_job_enqueue($1, '000000', $2::int, $3, $4, 0, 0,"
                " 'request', 'bench')",
                4, params);
    const int64_t id = kc_db_int(result, 0, 0);
    PQclear(result);
    return id;
}

/* One job's work, as scoring_jobs does it, timed in three parts. */
static void s_score_country(PGconn *conn, const s_options_t *options, int64_t job_id,
                            s_country_t *out)
{
    static sc_methodology_t m;
    sc_reward_policy_t policy;
    sc_snapshot_t snapshot;
    sc_run_t run;
    memset(&run, 0, sizeof run);
    kc_error_t error;
    int64_t run_id = 0;
    char m_sha[65], policy_sha[65];
    const double start = s_now();
    s_exec(conn, "BEGIN");
    if (scoring_db_load_rules(conn, options->methodology, &m, m_sha, options->policy, &policy,
                              policy_sha, &error) ||
        scoring_db_read_snapshot(conn, &m, "000000", options->year, &snapshot, &error))
        s_die("reading the country: %s %s", error.message, error.detail);
    memcpy(snapshot.methodology_sha256, m_sha, 65);
    memcpy(snapshot.policy_sha256, policy_sha, 65);
    snprintf(snapshot.methodology_code, sizeof snapshot.methodology_code, "%s", m.code);
    snprintf(snapshot.policy_code, sizeof snapshot.policy_code, "%s", policy.code);
    const double read = s_now();
    run.m = &m;
    run.policy = &policy;
    run.snapshot = &snapshot;
    run.mc.concentration = 100.0;
    if (run_compute(&run, &error))
        s_die("run_compute: %s", error.message);
    const double computed = s_now();
    if (scoring_db_store_run(conn, job_id, &run, run.input_text, "bench", 0, "bench", &run_id,
                             &error))
        s_die("storing the country: %s %s", error.message, error.detail);
    s_exec(conn, "COMMIT");
    const double end = s_now();
    *out = (s_country_t){end - start,           read - start,   computed - read, end - computed,
                         run.input->n_counties, run.input_size, run.json_size};
    run_release(&run);
    snapshot_release(&snapshot);
}

static int s_compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double s_median(double *values, size_t n)
{
    qsort(values, n, sizeof *values, s_compare_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static void s_time_country(PGconn *conn, const s_options_t *options)
{
    const int n = options->repeat;
    double *parts[4];
    for (int p = 0; p < 4; p++)
        parts[p] = calloc((size_t)n, sizeof(double));
    s_country_t run;
    s_checkpoint(options);
    s_score_country(conn, options, s_enqueue_country(conn, options, 0), &run); /* warm-up */
    printf("(1) the country, %d: warm-up %.1f ms\n", options->year, run.total * 1e3);
    for (int r = 0; r < n; r++) {
        s_score_country(conn, options, s_enqueue_country(conn, options, r + 1), &run);
        const double values[4] = {run.total, run.read, run.compute, run.write};
        for (int p = 0; p < 4; p++)
            parts[p][r] = values[p] * 1e3;
        printf("    run %d: %.1f ms (read %.1f, compute %.1f, write %.1f)\n", r + 1,
               run.total * 1e3, run.read * 1e3, run.compute * 1e3, run.write * 1e3);
    }
    qsort(parts[0], (size_t)n, sizeof(double), s_compare_double);
    printf("figure country_counties %zu counties\n", run.counties);
    printf("figure country_best_ms %.1f ms\n", parts[0][0]);
    printf("figure country_median_ms %.1f ms\n", s_median(parts[0], (size_t)n));
    printf("figure country_read_ms %.1f ms\n", s_median(parts[1], (size_t)n));
    printf("figure country_compute_ms %.1f ms\n", s_median(parts[2], (size_t)n));
    printf("figure country_write_ms %.1f ms\n", s_median(parts[3], (size_t)n));
    printf("figure country_input_kib %.0f KiB\n", (double)run.input_bytes / 1024);
    printf("figure country_result_kib %.0f KiB\n", (double)run.result_bytes / 1024);
    printf("figure country_repeat %d runs\n", n);
    for (int p = 0; p < 4; p++)
        free(parts[p]);
}

/* ---- (2) kc-scoring throughput ---------------------------------------------------- */

/* A loopback port nothing listens on now (the kernel's choice). */
static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t size = sizeof address;
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        getsockname(fd, (struct sockaddr *)&address, &size) != 0)
        s_die("cannot find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(address.sin_port);
}

static pid_t s_spawn_worker(const s_options_t *options, int batch, int number)
{
    static char settings[5][1200];
    snprintf(settings[0], sizeof settings[0], "KC_DATABASE_URL=%s", options->database);
    snprintf(settings[1], sizeof settings[1], "KC_SCORING_ENDPOINT=tcp://127.0.0.1:%d",
             s_free_port());
    snprintf(settings[2], sizeof settings[2], "KC_SCORING_AUTO_COVERAGE=0");
    snprintf(settings[3], sizeof settings[3], "KC_NODE_DIVISION=000000");
    snprintf(settings[4], sizeof settings[4], "KC_NODE_ID=bench");
    size_t n = 0;
    while (environ[n])
        n++;
    char **environment = calloc(n + 6, sizeof *environment);
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "KC_", 3) != 0 || strncmp(environ[i], "KC_LOG_LEVEL=", 13) == 0)
            environment[used++] = environ[i];
    for (size_t i = 0; i < 5; i++)
        environment[used++] = settings[i];
    char log[1024];
    snprintf(log, sizeof log, "%s/scoring-%d-%d.log", options->log_dir, batch, number);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)options->scoring_bin, NULL};
    pid_t pid = 0;
    int rc = posix_spawn(&pid, options->scoring_bin, &actions, NULL, argv, environment);
    posix_spawn_file_actions_destroy(&actions);
    free(environment);
    if (rc != 0)
        s_die("cannot start '%s': %s", options->scoring_bin, strerror(rc));
    return pid;
}

static void s_sleep_ms(long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* Until every worker's connection is up and idle (LISTENing, waiting). */
static void s_wait_listening(PGconn *conn, int workers, const pid_t *pids)
{
    for (int waited = 0;; waited += 10) {
        const long long listening = s_count(conn,
                                            "SELECT count(*) FROM pg_stat_activity"
                                            " WHERE application_name = 'kc-scoring'"
                                            "   AND state = 'idle'",
                                            0, NULL);
        if (listening >= workers)
            return;
        for (int w = 0; w < workers; w++)
            if (waitpid(pids[w], NULL, WNOHANG) == pids[w])
                s_die("kc-scoring exited at start; see its log");
        if (waited > 10000)
            s_die("kc-scoring did not start listening within 10 s");
        s_sleep_ms(10);
    }
}

/* Queue the batch in one transaction; its first and last job ids. */
static void s_enqueue_batch(PGconn *conn, const s_options_t *options, int batch, long long ids[2])
{
    char year[16], rounds[16], tag[64];
    snprintf(year, sizeof year, "%d", options->year);
    snprintf(rounds, sizeof rounds, "%d", options->rounds);
    snprintf(tag, sizeof tag, "bench-batch-%d-%d-%.0f", batch, (int)getpid(), s_now() * 1e6);
    const char *params[5] = {tag, year, options->methodology, options->policy, rounds};
    PGresult *result = s_query(
        conn,
        "SELECT min(j.job_id), max(j.job_id), count(*) FROM"
        " (SELECT DISTINCT left(code, 2) || '0000' AS province FROM division_counties_in($2::int))"
        " p CROSS JOIN generate_series(1, $5::int) r,"
        " LATERAL scoring_job_enqueue($1 || '-' || p.province || '-' || r, p.province, $2::int,"
        "                             $3, $4, 0, 0, 'request', 'bench') j",
        5, params);
    ids[0] = kc_db_int(result, 0, 0);
    ids[1] = kc_db_int(result, 0, 1);
    PQclear(result);
}

/* Jobs per second of `workers` processes on a fresh batch; *jobs gets its size. */
static double s_throughput(PGconn *conn, const s_options_t *options, int workers, long long *jobs)
{
    pid_t *pids = s_workers;
    for (int w = 0; w < workers; w++)
        pids[w] = s_spawn_worker(options, workers, w + 1);
    s_wait_listening(conn, workers, pids);
    s_checkpoint(options);
    long long ids[2];
    const double start = s_now(); /* the commit of the batch wakes the workers */
    s_enqueue_batch(conn, options, workers, ids);
    char first[24], last[24];
    snprintf(first, sizeof first, "%lld", ids[0]);
    snprintf(last, sizeof last, "%lld", ids[1]);
    const char *params[2] = {first, last};
    long long queued = 1;
    while (queued > 0) {
        s_sleep_ms(5);
        queued = s_count(conn,
                         "SELECT count(*) FROM scoring_job WHERE id BETWEEN $1 AND $2"
                         " AND state = 'queued'",
                         2, params);
        if (s_now() - start > 300)
            s_die("the batch was not done within 300 s");
    }
    const double seconds = s_now() - start;
    for (int w = 0; w < workers; w++) {
        kill(pids[w], SIGTERM);
        waitpid(pids[w], NULL, 0);
        pids[w] = 0;
    }
    *jobs = ids[1] - ids[0] + 1;
    const long long failed = s_count(conn,
                                     "SELECT count(*) FROM scoring_job WHERE id BETWEEN $1 AND $2"
                                     " AND state <> 'done'",
                                     2, params);
    if (failed > 0)
        s_die("%lld jobs of the batch failed; see the kc-scoring logs in %s", failed,
              options->log_dir);
    const double rate = (double)*jobs / seconds;
    printf("(2) %d kc-scoring process%s: %lld jobs in %.0f ms, %.1f jobs/s\n", workers,
           workers == 1 ? "" : "es", *jobs, seconds * 1e3, rate);
    return rate;
}

static void s_time_workers(PGconn *conn, const s_options_t *options)
{
    long long jobs = 0;
    const double one = s_throughput(conn, options, 1, &jobs);
    const double two = s_throughput(conn, options, 2, &jobs);
    printf("figure jobs_batch %lld jobs\n", jobs);
    printf("figure jobs_rate_1 %.1f jobs/s\n", one);
    printf("figure jobs_rate_2 %.1f jobs/s\n", two);
    printf("figure jobs_speedup %.2f x\n", two / one);
}

int main(int argc, char **argv)
{
    s_options_t options;
    s_parse_options(argc, argv, &options);
    signal(SIGPIPE, SIG_IGN);
    kc_error_t error;
    PGconn *conn = kc_db_connect(options.database, "scoring_db", &error);
    if (!conn)
        s_die("%s", error.message);
    static sc_methodology_t m;
    sc_reward_policy_t policy;
    char m_sha[65], policy_sha[65];
    if (scoring_db_load_rules(conn, options.methodology, &m, m_sha, options.policy, &policy,
                              policy_sha, &error))
        s_die("%s %s (load them with kcctl methodology load / rewards load)", error.message,
              error.detail);
    s_fill(conn, &m, &options);
    s_time_country(conn, &options);
    if (options.workers)
        s_time_workers(conn, &options);
    kc_db_disconnect(&conn);
    return 0;
}
