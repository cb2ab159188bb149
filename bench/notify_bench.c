/*  notify_bench: kc-notify from an event committed to its inbox
 *  notification committed, and its fan-out.
 *
 *  1. Latency at a steady rate: ApplicationMoved events (a county approval:
 *     four people told) are appended at `rate` per second for `seconds`,
 *     each in a transaction of its own, and their commit times kept. A
 *     second connection watches the highest event whose notifications are
 *     committed (every millisecond); an event's latency is from its commit
 *     to the first moment its notifications are visible.
 *  2. Fan-out: `fanout` events that each reach the 1,000 people of one
 *     role; the rate is notifications committed per second.
 *  3. kc-notify's peak resident set (VmHWM).
 *
 *  Usage: notify_bench --database CONNINFO --pid PID [--rate 1000]
 *         [--seconds 10] [--fanout 20]
 *  The database must hold notify-v2 and nothing else of recipients; the
 *  bench adds its own. It prints "figure NAME VALUE" lines for bench/run.sh.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "kc/kc_clock.h"
#include "kc/v1/events.pb-c.h"

typedef struct {
    const char *database;
    int pid, rate, seconds, fanout;
} s_options_t;

static double s_now_ms(void)
{
    return (double)kc_clock_mono_us() / 1000.0;
}

/* Append one ApplicationMoved (decision `decision`, county 130131); its seq. */
static long long s_append(PGconn *conn, const char *decision, int i)
{
    char ref[32];
    snprintf(ref, sizeof ref, "MB-BENCH-%06d", i);
    Kc__V1__ApplicationMoved moved = KC__V1__APPLICATION_MOVED__INIT;
    moved.application_ref = ref;
    moved.county_code = "130131";
    moved.definition = "mountain-base-v1";
    moved.transition = "county_approve";
    moved.decision = (char *)decision;
    moved.from_state = "county_review";
    moved.to_state = "county_government_review";
    moved.role = "county_bureau";
    moved.division_code = "130131";
    moved.reason = "基准测试";
    uint8_t payload[512];
    size_t size = kc__v1__application_moved__pack(&moved, payload);
    const char *values[1] = {(const char *)payload};
    int lengths[1] = {(int)size}, formats[1] = {1};
    PGresult *result = bench_query("notify_bench", conn,
                                   "SELECT kc_event_append('ApplicationMoved', 'bench', NULL, $1),"
                                   " pg_notify('kc_events', '')",
                                   1, values, lengths, formats);
    long long seq = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    PQclear(result);
    return seq;
}

/* The watcher: when each event's notifications became visible. */
typedef struct {
    const char *database;
    long long first, last; /* the events watched */
    double *seen_ms;       /* per event, 0 until seen */
    atomic_bool stop;
} s_watch_t;

static void *s_watch(void *context)
{
    s_watch_t *w = context;
    PGconn *conn = PQconnectdb(w->database);
    if (PQstatus(conn) != CONNECTION_OK)
        bench_die("notify_bench", PQerrorMessage(conn));
    long long done = w->first - 1;
    while (!atomic_load(&w->stop) && done < w->last) {
        long long top = bench_count("notify_bench", conn,
                                    "SELECT coalesce(max(event_seq), 0) FROM notification");
        double now = s_now_ms();
        for (long long seq = done + 1; seq <= top && seq <= w->last; seq++)
            w->seen_ms[seq - w->first] = now;
        if (top > done)
            done = top;
        usleep(500);
    }
    PQfinish(conn);
    return NULL;
}

static void s_latency(const s_options_t *o, PGconn *conn)
{
    int n = o->rate * o->seconds;
    double *committed = calloc((size_t)n, sizeof *committed);
    s_watch_t watch = {.database = o->database, .seen_ms = calloc((size_t)n, sizeof(double))};
    if (!committed || !watch.seen_ms)
        abort();
    long long next = bench_count("notify_bench", conn, "SELECT last_seq + 1 FROM event_log_head");
    watch.first = next;
    watch.last = next + n - 1;
    atomic_init(&watch.stop, false);
    pthread_t thread;
    if (pthread_create(&thread, NULL, s_watch, &watch))
        bench_die("notify_bench", "cannot start the watcher");
    double start = s_now_ms(), interval = 1000.0 / o->rate;
    for (int i = 0; i < n; i++) {
        double due = start + i * interval;
        while (s_now_ms() < due)
            ;
        long long seq = s_append(conn, "approve", i);
        committed[seq - next] = s_now_ms();
    }
    double sent_s = (s_now_ms() - start) / 1000.0;
    double deadline = s_now_ms() + 60000;
    while (s_now_ms() < deadline && watch.seen_ms[n - 1] == 0)
        usleep(10000);
    atomic_store(&watch.stop, true);
    pthread_join(thread, NULL);
    double *latency = calloc((size_t)n, sizeof *latency);
    int seen = 0;
    for (int i = 0; i < n; i++)
        if (watch.seen_ms[i] > 0)
            latency[seen++] =
                watch.seen_ms[i] - committed[i] > 0 ? watch.seen_ms[i] - committed[i] : 0;
    qsort(latency, (size_t)seen, sizeof *latency, bench_compare_doubles);
    printf("latency: %d events in %.1f s (%.0f/s), %d seen notified\n", n, sent_s, n / sent_s,
           seen);
    printf("figure nf_rate %.1f\n", n / sent_s);
    printf("figure nf_events %d\n", n);
    printf("figure nf_seen %d\n", seen);
    printf("figure nf_p50 %.2f\n", seen ? latency[seen / 2] : 0.0);
    printf("figure nf_p99 %.2f\n", seen ? latency[(int)(seen * 0.99)] : 0.0);
    printf("figure nf_notifications %lld\n",
           bench_count("notify_bench", conn, "SELECT count(*) FROM notification"));
    free(committed);
    free(watch.seen_ms);
    free(latency);
}

static void s_fanout(const s_options_t *o, PGconn *conn)
{
    /* 1,000 people of the county bureau of 130131: one submission tells them all */
    bench_exec("notify_bench", conn,
               "INSERT INTO recipient (user_id, name, role, division_code)"
               " SELECT 'fan' || i, '扇出' || i, 'county_bureau', '130131'"
               "   FROM generate_series(1, 1000) i");
    long long before = bench_count("notify_bench", conn, "SELECT count(*) FROM notification");
    double start = s_now_ms();
    long long last = 0;
    for (int i = 0; i < o->fanout; i++)
        last = s_append(conn, "submit", 900000 + i);
    /* the cursor passes an event in the transaction that writes its
     * notifications: watching it costs nothing, counting rows would */
    double deadline = s_now_ms() + 120000;
    while (s_now_ms() < deadline &&
           bench_count("notify_bench", conn,
                       "SELECT last_seq FROM event_cursor WHERE consumer = 'kc-notify'") < last)
        usleep(1000);
    double seconds = (s_now_ms() - start) / 1000.0;
    long long now = bench_count("notify_bench", conn, "SELECT count(*) FROM notification");
    printf("fan-out: %d events x 1,001 people: %lld notifications in %.2f s\n", o->fanout,
           now - before, seconds);
    printf("figure nf_fanout_rate %.0f\n", (now - before) / seconds);
    printf("figure nf_fanout_total %lld\n", now - before);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    s_options_t o = {.rate = 1000, .seconds = 10, .fanout = 20};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--database") == 0)
            o.database = argv[i + 1];
        else if (strcmp(argv[i], "--pid") == 0)
            o.pid = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--rate") == 0)
            o.rate = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0)
            o.seconds = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--fanout") == 0)
            o.fanout = (int)strtol(argv[i + 1], NULL, 10);
    }
    if (!o.database || o.pid <= 0 || o.rate < 1 || o.seconds < 1 || o.fanout < 1)
        bench_die("notify_bench",
                  "usage: notify_bench --database CONNINFO --pid PID [--rate N] [--seconds N]"
                  " [--fanout N]");
    PGconn *conn = PQconnectdb(o.database);
    if (PQstatus(conn) != CONNECTION_OK)
        bench_die("notify_bench", PQerrorMessage(conn));
    /* the four people a county approval tells, in-app only */
    bench_exec("notify_bench", conn,
               "INSERT INTO recipient (user_id, name, role, division_code, organisation) VALUES"
               " ('b-applicant', '申报单位', 'applicant', '130131', ''),"
               " ('b-county', '县科技局', 'county_bureau', '130131', ''),"
               " ('b-government', '县政府', 'county_government', '130131', ''),"
               " ('b-city', '市科技局', 'city_bureau', '130100', '')");
    s_latency(&o, conn);
    s_fanout(&o, conn);
    long peak = bench_status_kb(o.pid, "VmHWM");
    if (peak < 0)
        bench_die("notify_bench", "cannot read the status of kc-notify in /proc");
    printf("figure notify_peak_rss %ld\n", peak);
    PQfinish(conn);
    return 0;
}
