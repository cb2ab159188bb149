/*  intake_bench: the kc-intake half of `make bench` (bench/run.sh).
 *
 *  Talks to a running kc-intake over its real ROUTER socket, as a data
 *  provider would, and prints what it measured as machine-readable lines
 *  `figure NAME VALUE UNIT` (everything else it prints is commentary):
 *
 *  1. Single-value submissions. C client threads, each with its own DEALER
 *     socket, keep W requests in flight (pipelining). Every request is a
 *     SubmitReports holding ONE value for a county x year x indicator that
 *     nobody has reported yet (on a database used by an earlier run: with a
 *     new value, so a new revision), with its own idempotency key, so each
 *     one is a new stored row. The provider is the indicator's (stats, sti...), the
 *     actor speaks for it (organisation = provider; for the county-supplied
 *     I15-I17 the actor's division is the county's province). After a
 *     warm-up, replies received during a fixed window are counted and their
 *     send-to-reply latency (monotonic clock) recorded. Any Rejected reply,
 *     and any request left unanswered, fails the run loudly.
 *  2. The national year. Every current county-level code times every
 *     indicator of the last catalogue year, sent the way a request must be
 *     sent: one request holds one provider, so the five provincial
 *     departments send one national batch each, and the county-supplied
 *     indicators go per province (the actor's division must cover every
 *     county of its batch, and only a province code covers a province).
 *     The batches go one after another through kc_client; their sum is the
 *     national-year time.
 *  3. The daemon's peak resident set (VmHWM of /proc/PID/status), and the
 *     CPU that kc-intake and its PostgreSQL backend used during the window.
 *
 *  Usage: intake_bench --endpoint URL --database CONNINFO [--pid PID]
 *         [--clients 16] [--window 32] [--seconds 10] [--warmup 2]
 *         [--sweep W,W,...] [--national-year YEAR] [--no-national]
 *  (--seconds 0 skips the single-value phases.)
 *  The database is only read (targets, the catalogue, group statistics);
 *  every write goes through kc-intake. The client threads are pthreads: on
 *  glibc 2.34 and later they need no -lpthread (the Makefile adds none).
 */
#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_common.h"
#include "kc/kc_bus.h"
#include "kc/kc_client.h"
#include "kc/kc_clock.h"
#include "kc/kc_error.h"
#include "kc/kc_id.h"

#define INDICATORS_MAX 64
#define WINDOW_MAX     1024
#define RING_SIZE      4096 /* send times of requests in flight, by sequence number */
#define SWEEP_MAX      8
#define DRAIN_US       (30 * 1000000LL)

typedef struct {
    char code[16];
    char provider[16];
    double min_value;
    double max_value;
} s_indicator_t;

typedef struct {
    char (*counties)[8]; /* current county-level codes, sorted */
    int county_count;
    s_indicator_t indicators[INDICATORS_MAX];
    int indicator_count;
    int first_year;    /* throughput targets use first_year .. national_year - 1 */
    int national_year; /* kept free for the national-year batches */
} s_catalogue_t;

typedef struct {
    const char *endpoint;
    const char *conninfo;
    long pid;
    int clients;
    int window;
    int seconds;
    int warmup;
    int sweep[SWEEP_MAX];
    int sweep_count;
    int national_year;
    bool national;
    char run[16];  /* tag of this run in every idempotency key */
    uint64_t salt; /* varies the values, so a second run on one database stores new revisions */
} s_options_t;

/* One client thread of a throughput phase. */
typedef struct {
    const s_options_t *options;
    const s_catalogue_t *catalogue;
    void *context;
    int index;
    int window;
    char tag[32];     /* key prefix of the phase */
    uint64_t base;    /* first target index of the phase */
    int64_t start_us; /* first send */
    int64_t from_us;  /* measured window [from_us, to_us); sending stops at to_us */
    int64_t to_us;
    /* results */
    uint64_t sent;
    uint64_t acked; /* every Accepted reply */
    uint64_t acked_in_window;
    uint64_t not_new; /* Accepted but not stored as a new row */
    uint64_t rejected;
    uint64_t unanswered;
    double *latencies_ms; /* of the replies inside the window */
    size_t latency_count;
    size_t latency_capacity;
    char problem[512]; /* the first rejection or failure, for the report */
} s_worker_t;

static void s_die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void s_die(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "intake_bench: ");
    vfprintf(stderr, format, arguments);
    fprintf(stderr, "\n");
    va_end(arguments);
    exit(1);
}

static void *s_alloc(size_t count, size_t size)
{
    void *memory = calloc(count ? count : 1, size);
    if (!memory)
        abort();
    return memory;
}

static long s_number(const char *text, long low, long high, const char *name)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end || value < low || value > high)
        s_die("bad value for %s", name);
    return value;
}

static void s_usage(void)
{
    fprintf(stderr, "usage: intake_bench --endpoint URL --database CONNINFO [--pid PID]\n"
                    "       [--clients N] [--window W] [--seconds S] [--warmup S]\n"
                    "       [--sweep W,W,...] [--national-year YEAR] [--no-national]\n");
    exit(2);
}

static void s_parse_sweep(s_options_t *options, const char *text)
{
    char copy[128];
    snprintf(copy, sizeof copy, "%s", text);
    char *save = NULL;
    for (char *word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
        if (options->sweep_count == SWEEP_MAX)
            s_die("at most 8 sweep windows, got '%s'", text);
        options->sweep[options->sweep_count++] = (int)s_number(word, 1, WINDOW_MAX, "--sweep");
    }
}

static void s_parse(s_options_t *options, int argc, char **argv)
{
    *options =
        (s_options_t){.clients = 16, .window = 32, .seconds = 10, .warmup = 2, .national = true};
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (strcmp(name, "--no-national") == 0) {
            options->national = false;
            continue;
        }
        if (i + 1 >= argc)
            s_usage();
        const char *value = argv[++i];
        if (strcmp(name, "--endpoint") == 0)
            options->endpoint = value;
        else if (strcmp(name, "--database") == 0)
            options->conninfo = value;
        else if (strcmp(name, "--pid") == 0)
            options->pid = s_number(value, 1, 1L << 30, name);
        else if (strcmp(name, "--clients") == 0)
            options->clients = (int)s_number(value, 1, 256, name);
        else if (strcmp(name, "--window") == 0)
            options->window = (int)s_number(value, 1, WINDOW_MAX, name);
        else if (strcmp(name, "--seconds") == 0)
            options->seconds = (int)s_number(value, 0, 3600, name);
        else if (strcmp(name, "--warmup") == 0)
            options->warmup = (int)s_number(value, 0, 600, name);
        else if (strcmp(name, "--sweep") == 0)
            s_parse_sweep(options, value);
        else if (strcmp(name, "--national-year") == 0)
            options->national_year = (int)s_number(value, 2000, 2100, name);
        else
            s_usage();
    }
    if (!options->endpoint || !options->conninfo)
        s_usage();
    char id[KC_ID_SIZE];
    kc_id_new(id);
    snprintf(options->run, sizeof options->run, "%.8s", id);
    options->salt = strtoull(options->run, NULL, 16) % 9973u;
}

/* ---- the catalogue, read from the database ---- */

static PGresult *s_query(PGconn *conn, const char *sql, int count, const char *const *values)
{
    PGresult *result = PQexecParams(conn, sql, count, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK)
        s_die("query failed: %s", PQerrorMessage(conn));
    return result;
}

static void s_load_catalogue(PGconn *conn, const s_options_t *options, s_catalogue_t *catalogue)
{
    memset(catalogue, 0, sizeof *catalogue);
    PGresult *result = s_query(conn,
                               "SELECT code FROM division WHERE level = 3"
                               " AND valid_to = 'infinity' ORDER BY code",
                               0, NULL);
    catalogue->county_count = PQntuples(result);
    catalogue->counties = s_alloc((size_t)catalogue->county_count, sizeof *catalogue->counties);
    for (int i = 0; i < catalogue->county_count; i++)
        snprintf(catalogue->counties[i], sizeof catalogue->counties[i], "%s",
                 PQgetvalue(result, i, 0));
    PQclear(result);
    if (catalogue->county_count == 0)
        s_die("no county-level divisions: was the database migrated?");

    /* The national year: the last catalogue year that is not in the future. */
    char year[16];
    snprintf(year, sizeof year, "%d",
             options->national_year ? options->national_year : kc_clock_year());
    const char *values[] = {year};
    result = s_query(conn,
                     "SELECT f.first_year, least(f.last_year, $1::int) FROM indicator_framework f"
                     " WHERE f.first_year <= $1::int ORDER BY f.first_year DESC LIMIT 1",
                     1, values);
    if (PQntuples(result) != 1)
        s_die("no indicator framework covers %s", year);
    catalogue->first_year = (int)strtol(PQgetvalue(result, 0, 0), NULL, 10);
    catalogue->national_year = (int)strtol(PQgetvalue(result, 0, 1), NULL, 10);
    PQclear(result);
    if (catalogue->national_year <= catalogue->first_year)
        s_die("the framework must cover at least two years (one is kept for the "
              "national batch)");

    snprintf(year, sizeof year, "%d", catalogue->national_year);
    result = s_query(conn,
                     "SELECT code, provider, min_value, max_value FROM indicator"
                     " WHERE framework = indicator_framework_of($1::int) ORDER BY code",
                     1, values);
    int rows = PQntuples(result);
    if (rows == 0 || rows > INDICATORS_MAX)
        s_die("unexpected indicator count in %s", year);
    for (int i = 0; i < rows; i++) {
        s_indicator_t *indicator = &catalogue->indicators[i];
        snprintf(indicator->code, sizeof indicator->code, "%s", PQgetvalue(result, i, 0));
        snprintf(indicator->provider, sizeof indicator->provider, "%s", PQgetvalue(result, i, 1));
        indicator->min_value = strtod(PQgetvalue(result, i, 2), NULL);
        indicator->max_value = strtod(PQgetvalue(result, i, 3), NULL);
    }
    catalogue->indicator_count = rows;
    PQclear(result);
}

/* A value inside the indicator's range that differs between neighbours
 * and between rounds (a second round over the same targets would store a
 * new revision rather than an unchanged value). */
static double s_value(const s_indicator_t *indicator, uint64_t target, uint64_t round)
{
    double fraction = (double)((target * 7919u + round * 104729u) % 9973u + 1u) / 9975.0;
    double low = indicator->min_value, high = indicator->max_value;
    return low + (high - low) * fraction;
}

static bool s_county_supplied(const s_indicator_t *indicator)
{
    return strcmp(indicator->provider, "county") == 0;
}

/* The division a provider's actor works for: the province of the county
 * for the county-supplied indicators, the Hebei province for departments. */
static void s_actor_division(const s_indicator_t *indicator, const char *county, char out[8])
{
    if (s_county_supplied(indicator))
        snprintf(out, 8, "%.2s0000", county);
    else
        snprintf(out, 8, "130000");
}

/* ---- single-value submissions ---- */

static int s_send_single(s_worker_t *worker, void *socket, uint64_t sequence)
{
    const s_catalogue_t *catalogue = worker->catalogue;
    uint64_t target =
        worker->base + sequence * (uint64_t)worker->options->clients + (uint64_t)worker->index;
    uint64_t indicators = (uint64_t)catalogue->indicator_count;
    uint64_t counties = (uint64_t)catalogue->county_count;
    uint64_t years = (uint64_t)(catalogue->national_year - catalogue->first_year);
    uint64_t per_round = indicators * counties * years;
    const s_indicator_t *indicator = &catalogue->indicators[target % indicators];
    const char *county = catalogue->counties[(target / indicators) % counties];
    int year = catalogue->first_year + (int)((target / (indicators * counties)) % years);

    Kc__V1__IndicatorReport report = KC__V1__INDICATOR_REPORT__INIT;
    report.county_code = (char *)county;
    report.indicator_code = (char *)indicator->code;
    report.year = year;
    report.value = s_value(indicator, target, target / per_round + worker->options->salt);
    Kc__V1__IndicatorReport *reports[] = {&report};
    Kc__V1__SubmitReports body = KC__V1__SUBMIT_REPORTS__INIT;
    body.provider = (char *)indicator->provider;
    body.reports = reports;
    body.n_reports = 1;

    char division[8], id[96];
    s_actor_division(indicator, county, division);
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = "bench";
    actor.role = s_county_supplied(indicator) ? "county_bureau" : "data_provider";
    actor.division_code = division;
    actor.organisation = (char *)indicator->provider;
    snprintf(id, sizeof id, "%s-%d-%llu", worker->tag, worker->index, (unsigned long long)sequence);

    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    request.submit_reports = &body;
    request.message_id = id;
    request.type = "SubmitReports";
    request.idempotency_key = id; /* unique: one key per request, as a provider would */
    request.sender_node = "bench";
    request.actor = &actor;
    request.sent_at_ms = kc_clock_now_ms();
    kc_error_t error;
    if (kc_bus_send(socket, NULL, 0, false, &request, &error)) {
        snprintf(worker->problem, sizeof worker->problem, "send failed: %s", error.message);
        return -1;
    }
    return 0;
}

static void s_note_latency(s_worker_t *worker, double milliseconds)
{
    if (worker->latency_count == worker->latency_capacity) {
        size_t capacity = worker->latency_capacity ? worker->latency_capacity * 2 : 65536;
        double *grown = realloc(worker->latencies_ms, capacity * sizeof *grown);
        if (!grown)
            abort();
        worker->latencies_ms = grown;
        worker->latency_capacity = capacity;
    }
    worker->latencies_ms[worker->latency_count++] = milliseconds;
}

/* The sequence number at the end of a correlation id "TAG-INDEX-SEQUENCE". */
static bool s_sequence_of(const char *correlation_id, uint64_t *sequence)
{
    const char *dash = strrchr(correlation_id, '-');
    if (!dash || !isdigit((unsigned char)dash[1]))
        return false;
    char *end = NULL;
    *sequence = strtoull(dash + 1, &end, 10);
    return *end == '\0';
}

typedef struct {
    uint64_t sequence; /* which request occupies the slot */
    int64_t sent_us;
    bool busy;
} s_slot_t;

/* Read one reply; -1 if none was waiting. */
static int s_receive_single(s_worker_t *worker, void *socket, s_slot_t *ring, int *in_flight)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&frame);
        return -1;
    }
    int64_t now = kc_clock_mono_us();
    kc_error_t error;
    kc_envelope_t *reply = kc_bus_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), &error);
    zmq_msg_close(&frame);
    uint64_t sequence = 0;
    s_slot_t *slot = NULL;
    if (reply && s_sequence_of(reply->correlation_id, &sequence))
        slot = &ring[sequence % RING_SIZE];
    if (!slot || !slot->busy || slot->sequence != sequence) {
        if (!*worker->problem)
            snprintf(worker->problem, sizeof worker->problem, "unexpected reply %s",
                     reply ? reply->correlation_id : error.message);
        worker->rejected++;
        kc_bus_free(&reply);
        return 0;
    }
    slot->busy = false;
    (*in_flight)--;
    if (reply->body_case == KC__V1__ENVELOPE__BODY_ACCEPTED) {
        worker->acked++;
        if (reply->accepted->stored != 1)
            worker->not_new++;
        if (now >= worker->from_us && now < worker->to_us) {
            worker->acked_in_window++;
            s_note_latency(worker, (double)(now - slot->sent_us) / 1000.0);
        }
    } else {
        worker->rejected++;
        if (!*worker->problem && reply->body_case == KC__V1__ENVELOPE__BODY_REJECTED &&
            reply->rejected->n_errors > 0) {
            const Kc__V1__Error *first = reply->rejected->errors[0];
            snprintf(worker->problem, sizeof worker->problem, "rejected: %s %s: %s (%s)",
                     first->code, first->field, first->message, first->detail);
        } else if (!*worker->problem) {
            snprintf(worker->problem, sizeof worker->problem, "answered with a %s",
                     kc_bus_body_name(reply->body_case));
        }
    }
    kc_bus_free(&reply);
    return 0;
}

static void *s_worker_run(void *argument)
{
    s_worker_t *worker = argument;
    s_slot_t *ring = s_alloc(RING_SIZE, sizeof *ring);
    void *socket = zmq_socket(worker->context, ZMQ_DEALER);
    if (!socket || kc_bus_configure(socket, 0) || zmq_connect(socket, worker->options->endpoint)) {
        snprintf(worker->problem, sizeof worker->problem, "cannot connect: %s",
                 zmq_strerror(zmq_errno()));
        free(ring);
        return NULL;
    }
    while (kc_clock_mono_us() < worker->start_us)
        usleep(1000);
    uint64_t next = 0;
    int in_flight = 0;
    for (;;) {
        int64_t now = kc_clock_mono_us();
        bool sending = now < worker->to_us && !*worker->problem;
        if (!sending && in_flight == 0)
            break;
        if (!sending && now > worker->to_us + DRAIN_US) {
            worker->unanswered = (uint64_t)in_flight;
            break;
        }
        while (sending && in_flight < worker->window) {
            s_slot_t *slot = &ring[next % RING_SIZE];
            if (slot->busy) /* replies far out of order: wait for the old one */
                break;
            slot->sent_us = kc_clock_mono_us();
            if (s_send_single(worker, socket, next))
                break;
            slot->sequence = next++;
            slot->busy = true;
            in_flight++;
            worker->sent++;
        }
        zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};
        long timeout_ms = 100;
        if (sending && (worker->to_us - now) / 1000 < timeout_ms)
            timeout_ms = (long)((worker->to_us - now) / 1000) + 1;
        if (zmq_poll(&item, 1, timeout_ms) > 0)
            while (s_receive_single(worker, socket, ring, &in_flight) == 0)
                ;
    }
    zmq_close(socket);
    free(ring);
    return NULL;
}

/* The q-quantile of sorted values (nearest rank). */
static double s_quantile(const double *sorted, size_t count, double q)
{
    if (count == 0)
        return 0.0;
    size_t rank = (size_t)(q * (double)count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > count)
        rank = count;
    return sorted[rank - 1];
}

/* utime + stime of a process in clock ticks; -1 if it cannot be read. */
static long long s_cpu_ticks(long pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = '\0';
    const char *after_name = strrchr(text, ')'); /* the name may hold spaces */
    if (!after_name)
        return -1;
    /* ") S ppid ...": skip the state letter (field 3); utime is field 14, stime 15. */
    const char *cursor = strchr(after_name + 2, ' ');
    long long fields[16] = {0};
    for (int field = 4; field <= 15 && cursor; field++) {
        char *end = NULL;
        fields[field] = strtoll(cursor, &end, 10);
        cursor = end;
    }
    return fields[14] + fields[15];
}

/* CPU time of this process (every client thread), in seconds. */
static double s_self_cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
           (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

/* The PostgreSQL backend serving kc-intake (application_name kc-intake). */
static long s_backend_pid(PGconn *conn)
{
    PGresult *result = s_query(conn,
                               "SELECT pid FROM pg_stat_activity"
                               " WHERE application_name = 'kc-intake' ORDER BY pid LIMIT 1",
                               0, NULL);
    long pid = PQntuples(result) == 1 ? strtol(PQgetvalue(result, 0, 0), NULL, 10) : 0;
    PQclear(result);
    return pid;
}

/* Transactions and submissions of one phase: each group commit is one
 * transaction, and received_at (now(), the transaction's start) is shared
 * by every submission of that transaction. */
static void s_group_statistics(PGconn *conn, const char *tag, long long *submissions,
                               long long *groups)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "%s-%%", tag);
    const char *values[] = {pattern};
    PGresult *result = s_query(conn,
                               "SELECT count(*), count(DISTINCT received_at) FROM submission"
                               " WHERE idempotency_key LIKE $1",
                               1, values);
    *submissions = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    *groups = strtoll(PQgetvalue(result, 0, 1), NULL, 10);
    PQclear(result);
}

/* One throughput phase at `window` requests in flight per client. Returns
 * the next free target index; exits on any rejection or loss. */
static uint64_t s_phase(const s_options_t *options, const s_catalogue_t *catalogue, PGconn *conn,
                        int window, uint64_t base, bool headline)
{
    int clients = options->clients;
    void *context = zmq_ctx_new();
    if (!context)
        abort();
    s_worker_t *workers = s_alloc((size_t)clients, sizeof *workers);
    pthread_t *threads = s_alloc((size_t)clients, sizeof *threads);
    int64_t start = kc_clock_mono_us() + 200000; /* time for every socket to connect */
    int64_t from = start + (int64_t)options->warmup * 1000000;
    int64_t to = from + (int64_t)options->seconds * 1000000;
    char tag[32];
    snprintf(tag, sizeof tag, "b%s-w%d", options->run, window);
    for (int i = 0; i < clients; i++) {
        s_worker_t *worker = &workers[i];
        *worker = (s_worker_t){.options = options,
                               .catalogue = catalogue,
                               .context = context,
                               .index = i,
                               .window = window,
                               .base = base,
                               .start_us = start,
                               .from_us = from,
                               .to_us = to};
        snprintf(worker->tag, sizeof worker->tag, "%s", tag);
        if (pthread_create(&threads[i], NULL, s_worker_run, worker))
            s_die("cannot start a client thread");
    }
    long backend = s_backend_pid(conn);
    while (kc_clock_mono_us() < from)
        usleep(1000);
    double self_before = s_self_cpu_seconds();
    long long intake_before = options->pid ? s_cpu_ticks(options->pid) : -1;
    long long backend_before = backend ? s_cpu_ticks(backend) : -1;
    while (kc_clock_mono_us() < to)
        usleep(1000);
    double self_after = s_self_cpu_seconds();
    long long intake_after = options->pid ? s_cpu_ticks(options->pid) : -1;
    long long backend_after = backend ? s_cpu_ticks(backend) : -1;
    for (int i = 0; i < clients; i++)
        pthread_join(threads[i], NULL);
    zmq_ctx_term(context);

    uint64_t acked = 0, in_window = 0, not_new = 0, rejected = 0, unanswered = 0, sent = 0;
    uint64_t most = 0;
    size_t samples = 0;
    const char *problem = NULL;
    for (int i = 0; i < clients; i++) {
        s_worker_t *worker = &workers[i];
        sent += worker->sent;
        acked += worker->acked;
        in_window += worker->acked_in_window;
        not_new += worker->not_new;
        rejected += worker->rejected;
        unanswered += worker->unanswered;
        samples += worker->latency_count;
        if (worker->sent > most)
            most = worker->sent;
        if (*worker->problem && !problem)
            problem = worker->problem;
    }
    double *latencies = s_alloc(samples, sizeof *latencies);
    size_t filled = 0;
    for (int i = 0; i < clients; i++) {
        memcpy(latencies + filled, workers[i].latencies_ms,
               workers[i].latency_count * sizeof *latencies);
        filled += workers[i].latency_count;
        free(workers[i].latencies_ms);
    }
    qsort(latencies, samples, sizeof *latencies, bench_compare_doubles);
    double rate = (double)in_window / options->seconds;
    double p50 = s_quantile(latencies, samples, 0.50), p99 = s_quantile(latencies, samples, 0.99);
    double p999 = s_quantile(latencies, samples, 0.999);
    double worst = samples ? latencies[samples - 1] : 0.0;
    long long submissions = 0, groups = 0;
    s_group_statistics(conn, tag, &submissions, &groups);
    long ticks = sysconf(_SC_CLK_TCK);
    double intake_cpu =
        intake_before >= 0 && intake_after >= 0
            ? 100.0 * (double)(intake_after - intake_before) / (double)ticks / options->seconds
            : -1.0;
    double backend_cpu =
        backend_before >= 0 && backend_after >= 0
            ? 100.0 * (double)(backend_after - backend_before) / (double)ticks / options->seconds
            : -1.0;

    printf("phase %s: %d clients x %d in flight, %ds warm-up + %ds measured\n", tag, clients,
           window, options->warmup, options->seconds);
    printf("  sent %llu, accepted %llu (%llu in the window), rejected %llu, unanswered %llu,"
           " not a new row %llu\n",
           (unsigned long long)sent, (unsigned long long)acked, (unsigned long long)in_window,
           (unsigned long long)rejected, (unsigned long long)unanswered,
           (unsigned long long)not_new);
    printf("  %.0f acks/s; latency ms p50 %.2f p99 %.2f p99.9 %.2f max %.2f\n", rate, p50, p99,
           p999, worst);
    printf("  %lld submissions in %lld transactions: %.1f writes per group commit\n", submissions,
           groups, groups ? (double)submissions / (double)groups : 0.0);
    if (intake_cpu >= 0)
        printf("  CPU during the window: kc-intake %.0f%%, its PostgreSQL backend %.0f%%,"
               " these clients %.0f%% (100%% = one core)\n",
               intake_cpu, backend_cpu, 100.0 * (self_after - self_before) / options->seconds);
    const char *suffix = headline ? "" : tag + strlen(options->run) + 1; /* "-w8" for sweeps */
    printf("figure single_rate%s %.0f acks/s\n", suffix, rate);
    printf("figure single_p50%s %.2f ms\n", suffix, p50);
    printf("figure single_p99%s %.2f ms\n", suffix, p99);
    printf("figure single_p999%s %.2f ms\n", suffix, p999);
    printf("figure single_in_flight%s %d requests\n", suffix, clients * window);
    printf("figure single_group%s %.1f writes\n", suffix,
           groups ? (double)submissions / (double)groups : 0.0);
    if (headline && intake_cpu >= 0) {
        printf("figure intake_cpu %.0f %%core\n", intake_cpu);
        printf("figure backend_cpu %.0f %%core\n", backend_cpu);
    }
    fflush(stdout);
    if (rejected || unanswered || not_new || problem) {
        fprintf(stderr, "intake_bench: FAILED: %llu rejected, %llu unanswered, %llu not new: %s\n",
                (unsigned long long)rejected, (unsigned long long)unanswered,
                (unsigned long long)not_new, problem ? problem : "");
        exit(1);
    }
    free(latencies);
    free(workers);
    free(threads);
    return base + (most + 1) * (uint64_t)clients;
}

/* ---- the national year ---- */

typedef struct {
    Kc__V1__SubmitReports body;
    Kc__V1__IndicatorReport *items;
    Kc__V1__IndicatorReport **pointers;
} s_batch_t;

typedef struct {
    double total_ms;
    double stats_ms;
    double biggest_ms;
    size_t biggest_values;
    size_t values;
    int requests;
} s_national_t;

static kc_client_t *s_client(const char *endpoint, int timeout_ms, int attempts)
{
    kc_error_t error;
    kc_client_t *client = kc_client_new(endpoint, timeout_ms, attempts, &error);
    if (!client)
        s_die("cannot create a client: %s", error.message);
    return client;
}

/* Ping through `client`: the daemon is up and the connection is made. */
static void s_ping(kc_client_t *client)
{
    Kc__V1__Ping ping = KC__V1__PING__INIT;
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = "bench";
    actor.role = "operator";
    actor.division_code = "130000";
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    request.body_case = KC__V1__ENVELOPE__BODY_PING;
    request.ping = &ping;
    char id[KC_ID_SIZE];
    kc_bus_stamp(&request, id, "bench", &actor);
    kc_error_t error;
    if (kc_client_call(client, &request, &reply, &error))
        s_die("kc-intake does not answer a ping: %s", error.message);
    kc_bus_free(&reply);
}

/* Send the values of `provider` for the counties starting with `prefix`
 * ("" for all) and the national year as one request; returns its time. */
static double s_national_batch(kc_client_t *client, const s_options_t *options,
                               const s_catalogue_t *catalogue, s_batch_t *batch,
                               const char *provider, const char *prefix, const char *division,
                               size_t *values)
{
    size_t count = 0;
    size_t prefix_length = strlen(prefix);
    for (int c = 0; c < catalogue->county_count; c++) {
        const char *county = catalogue->counties[c];
        if (strncmp(county, prefix, prefix_length) != 0)
            continue;
        for (int i = 0; i < catalogue->indicator_count; i++) {
            const s_indicator_t *indicator = &catalogue->indicators[i];
            if (strcmp(indicator->provider, provider) != 0)
                continue;
            Kc__V1__IndicatorReport *item = &batch->items[count];
            kc__v1__indicator_report__init(item);
            item->county_code = (char *)county;
            item->indicator_code = (char *)indicator->code;
            item->year = catalogue->national_year;
            item->value = s_value(indicator, (uint64_t)(c * INDICATORS_MAX + i), options->salt);
            batch->pointers[count++] = item;
        }
    }
    *values = count;
    if (count == 0)
        return 0.0;
    kc__v1__submit_reports__init(&batch->body);
    batch->body.provider = (char *)provider;
    batch->body.reports = batch->pointers;
    batch->body.n_reports = count;
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = "bench";
    actor.role = strcmp(provider, "county") == 0 ? "county_bureau" : "data_provider";
    actor.division_code = (char *)division;
    actor.organisation = (char *)provider;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    request.submit_reports = &batch->body;
    char id[KC_ID_SIZE], key[96];
    kc_bus_stamp(&request, id, "bench", &actor);
    snprintf(key, sizeof key, "b%s-national-%s-%s", options->run, provider, division);
    request.idempotency_key = key;
    kc_error_t error;
    int64_t start = kc_clock_mono_us();
    int rc = kc_client_call(client, &request, &reply, &error);
    double elapsed_ms = (double)(kc_clock_mono_us() - start) / 1000.0;
    if (rc)
        s_die("national batch not answered: %s", error.message);
    if (reply->body_case != KC__V1__ENVELOPE__BODY_ACCEPTED) {
        if (reply->body_case == KC__V1__ENVELOPE__BODY_REJECTED && reply->rejected->n_errors) {
            const Kc__V1__Error *first = reply->rejected->errors[0];
            fprintf(stderr, "intake_bench: %s %s: %s (%s)\n", first->code, first->field,
                    first->message, first->detail);
        }
        s_die("national batch of '%s' rejected", provider);
    }
    if ((size_t)reply->accepted->stored != count)
        s_die("national batch of '%s' did not store every value as a new row", provider);
    kc_bus_free(&reply);
    printf("  %-8s %s: %6zu values in %8.1f ms\n", provider, division, count, elapsed_ms);
    return elapsed_ms;
}

static void s_national(const s_options_t *options, const s_catalogue_t *catalogue, PGconn *conn,
                       s_national_t *result)
{
    memset(result, 0, sizeof *result);
    size_t capacity = (size_t)catalogue->county_count * (size_t)catalogue->indicator_count;
    s_batch_t batch = {.items = s_alloc(capacity, sizeof *batch.items),
                       .pointers = s_alloc(capacity, sizeof *batch.pointers)};
    kc_client_t *client = s_client(options->endpoint, 120000, 1);
    s_ping(client); /* connect before the clock starts */
    long backend = s_backend_pid(conn);
    long long intake_before = options->pid ? s_cpu_ticks(options->pid) : -1;
    long long backend_before = backend ? s_cpu_ticks(backend) : -1;
    printf("national year %d: %d county-level codes x %d indicators, one request per"
           " provider (per province for county-supplied indicators), sent one after another\n",
           catalogue->national_year, catalogue->county_count, catalogue->indicator_count);
    /* Providers in catalogue order, each once. */
    for (int i = 0; i < catalogue->indicator_count; i++) {
        const char *provider = catalogue->indicators[i].provider;
        bool seen = false;
        for (int j = 0; j < i; j++)
            seen = seen || strcmp(catalogue->indicators[j].provider, provider) == 0;
        if (seen)
            continue;
        size_t values = 0;
        if (strcmp(provider, "county") != 0) {
            double ms = s_national_batch(client, options, catalogue, &batch, provider, "", "130000",
                                         &values);
            result->total_ms += ms;
            result->values += values;
            result->requests++;
            if (strcmp(provider, "stats") == 0)
                result->stats_ms = ms;
            if (ms > result->biggest_ms) {
                result->biggest_ms = ms;
                result->biggest_values = values;
            }
            continue;
        }
        /* County-supplied: one batch per province, sent by the province. */
        for (int c = 0; c < catalogue->county_count; c++) {
            if (c > 0 && strncmp(catalogue->counties[c], catalogue->counties[c - 1], 2) == 0)
                continue;
            char prefix[8], division[8];
            snprintf(prefix, sizeof prefix, "%.2s", catalogue->counties[c]);
            snprintf(division, sizeof division, "%.2s0000", prefix);
            double ms = s_national_batch(client, options, catalogue, &batch, provider, prefix,
                                         division, &values);
            result->total_ms += ms;
            result->values += values;
            result->requests++;
            if (ms > result->biggest_ms) {
                result->biggest_ms = ms;
                result->biggest_values = values;
            }
        }
    }
    long long intake_after = options->pid ? s_cpu_ticks(options->pid) : -1;
    long long backend_after = backend ? s_cpu_ticks(backend) : -1;
    double tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK);
    if (intake_before >= 0 && intake_after >= 0 && backend_before >= 0 && backend_after >= 0)
        printf("  CPU: kc-intake %.0f ms, its PostgreSQL backend %.0f ms\n",
               (double)(intake_after - intake_before) * tick_ms,
               (double)(backend_after - backend_before) * tick_ms);
    kc_client_destroy(&client);
    free(batch.items);
    free(batch.pointers);
    printf("  %zu values in %d requests: %.1f ms in all, %.0f values/s\n", result->values,
           result->requests, result->total_ms,
           result->total_ms > 0 ? (double)result->values * 1000.0 / result->total_ms : 0.0);
    printf("figure national_year %.1f ms\n", result->total_ms);
    printf("figure national_values %zu values\n", result->values);
    printf("figure national_requests %d requests\n", result->requests);
    printf("figure national_stats %.1f ms\n", result->stats_ms);
    printf("figure national_biggest %.1f ms\n", result->biggest_ms);
    printf("figure national_biggest_values %zu values\n", result->biggest_values);
    fflush(stdout);
}

/* ---- the daemon's memory ---- */

int main(int argc, char **argv)
{
    s_options_t options;
    s_parse(&options, argc, argv);
    PGconn *conn = PQconnectdb(options.conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        s_die("cannot reach the database: %s", PQerrorMessage(conn));
    s_catalogue_t catalogue;
    s_load_catalogue(conn, &options, &catalogue);
    int years = catalogue.national_year - catalogue.first_year;
    printf("targets: %d county-level codes x %d indicators x %d years (%d-%d) for single"
           " values; %d kept for the national year; run tag b%s\n",
           catalogue.county_count, catalogue.indicator_count, years, catalogue.first_year,
           catalogue.national_year - 1, catalogue.national_year, options.run);
    kc_client_t *client = s_client(options.endpoint, 500, 40);
    s_ping(client);
    kc_client_destroy(&client);

    uint64_t base = 0;
    if (options.seconds > 0)
        base = s_phase(&options, &catalogue, conn, options.window, 0, true);
    for (int i = 0; i < options.sweep_count && options.seconds > 0; i++)
        base = s_phase(&options, &catalogue, conn, options.sweep[i], base, false);
    if (base >
        (uint64_t)catalogue.county_count * (uint64_t)catalogue.indicator_count * (uint64_t)years)
        printf("note: the targets ran out and were reused as new revisions\n");
    if (options.national) {
        s_national_t national;
        s_national(&options, &catalogue, conn, &national);
    }
    if (options.pid) {
        long peak = bench_status_kb(options.pid, "VmHWM"),
             now = bench_status_kb(options.pid, "VmRSS");
        if (peak < 0)
            s_die("cannot read the status of kc-intake in /proc");
        printf("kc-intake memory: peak resident %ld kB, resident now %ld kB\n", peak, now);
        printf("figure intake_peak_rss %ld kB\n", peak);
    }
    free(catalogue.counties);
    PQfinish(conn);
    return 0;
}
