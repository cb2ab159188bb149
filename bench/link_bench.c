/*  link_bench: how fast what a county node accepts reaches its province
 *  through the city, over the real links of three nodes
 *  (deploy/local/nodes.sh), and how fast a backlog drains once a cut link
 *  is back.
 *
 *  Every message is what a county node queues when its bureau's data is
 *  accepted (kind intake.reports, one value of 平山县, queued with
 *  link_enqueue in a transaction of its own): the city's kc-link takes it
 *  and applies it, the city's node queues it for the province in the same
 *  transaction, and the province takes and applies it. A watcher on the
 *  province's database sees each arrive (its submission row).
 *
 *    link_bench latency --county C --province C [--rate 200] [--seconds 10]
 *        messages at a steady rate; each one's latency from its commit at
 *        the county to its commit at the province
 *    link_bench queue --county C [--count 10000]
 *        queue a backlog at the county (run while the city's link is down)
 *    link_bench drain --city C --province C [--count 10000]
 *        after the link is back: from the first of them taken at the city
 *        to the last one committed at the province
 *
 *  It prints "figure NAME VALUE" lines for bench/run.sh.
 */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "kc/kc_clock.h"

typedef struct {
    const char *mode, *county, *city, *province;
    int rate, seconds, count;
} s_options_t;

static double s_now_ms(void)
{
    return (double)kc_clock_mono_us() / 1000.0;
}

static PGconn *s_connect(const char *conninfo)
{
    if (!conninfo)
        bench_die("link_bench", "a database is missing (--county, --city, --province)");
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        bench_die("link_bench", PQerrorMessage(conn));
    return conn;
}

/* Queue message `i` at the county, in the caller's transaction or its own. */
static void s_queue(PGconn *county, int i)
{
    char payload[320];
    snprintf(payload, sizeof payload,
             "{\"message_id\":\"bench-%d\",\"user\":\"bench\",\"role\":\"county_bureau\","
             "\"division\":\"130131\",\"organisation\":\"\",\"provider\":\"county\","
             "\"values\":[[\"130131\",2023,\"I15\",%.2f]]}",
             i, (i % 9999 + 1) / 100.0);
    const char *params[1] = {payload};
    PQclear(bench_query("link_bench", county,
                        "SELECT link_enqueue('130131', 'parent', '', '130131',"
                        " 'intake.reports', convert_to($1, 'UTF8'))",
                        1, params, NULL, NULL));
}

/* Arrivals at the province since submission id `*after`: the bench's
 * message numbers into `numbers`, how many. */
static int s_arrivals(PGconn *province, long long *after, int *numbers, int max)
{
    char from[24];
    snprintf(from, sizeof from, "%lld", *after);
    const char *params[1] = {from};
    PGresult *result = bench_query("link_bench", province,
                                   "SELECT id, message_id FROM submission WHERE id > $1::bigint"
                                   " ORDER BY id LIMIT 5000",
                                   1, params, NULL, NULL);
    int n = 0;
    for (int row = 0; row < PQntuples(result); row++) {
        *after = strtoll(PQgetvalue(result, row, 0), NULL, 10);
        const char *id = PQgetvalue(result, row, 1);
        if (strncmp(id, "bench-", 6) == 0 && n < max)
            numbers[n++] = (int)strtol(id + 6, NULL, 10);
    }
    PQclear(result);
    return n;
}

static void s_latency(const s_options_t *o)
{
    PGconn *county = s_connect(o->county), *province = s_connect(o->province);
    long long after =
        bench_count("link_bench", province, "SELECT coalesce(max(id), 0) FROM submission");
    int n = o->rate * o->seconds;
    double *committed = calloc((size_t)n, sizeof(double)),
           *arrived = calloc((size_t)n, sizeof(double));
    int *numbers = calloc(5000, sizeof(int));
    if (!committed || !arrived || !numbers)
        abort();
    int seen = 0;
    double start = s_now_ms(), interval = 1000.0 / o->rate, deadline = 0;
    for (int i = 0; seen < n;) {
        double now = s_now_ms();
        if (i < n && now >= start + i * interval) {
            s_queue(county, i);
            committed[i++] = s_now_ms();
            if (i == n)
                deadline = s_now_ms() + 60000;
            continue;
        }
        int got = s_arrivals(province, &after, numbers, 5000);
        now = s_now_ms();
        for (int k = 0; k < got; k++)
            if (numbers[k] >= 0 && numbers[k] < n && arrived[numbers[k]] == 0) {
                arrived[numbers[k]] = now;
                seen++;
            }
        if (deadline > 0 && now > deadline)
            break;
        usleep(200);
    }
    double *latency = calloc((size_t)n, sizeof(double));
    int measured = 0;
    for (int i = 0; i < n; i++)
        if (arrived[i] > 0)
            latency[measured++] = arrived[i] - committed[i];
    qsort(latency, (size_t)measured, sizeof(double), bench_compare_doubles);
    printf("latency: %d messages at %d/s, %d at the province\n", n, o->rate, measured);
    printf("figure lk_rate %d\n", o->rate);
    printf("figure lk_sent %d\n", n);
    printf("figure lk_seen %d\n", measured);
    if (measured > 0) {
        printf("figure lk_p50 %.2f\n", latency[measured / 2]);
        printf("figure lk_p99 %.2f\n", latency[(int)(measured * 0.99)]);
        printf("figure lk_max %.2f\n", latency[measured - 1]);
    }
    free(latency);
    free(committed);
    free(arrived);
    free(numbers);
    PQfinish(county);
    PQfinish(province);
}

static void s_backlog(const s_options_t *o)
{
    PGconn *county = s_connect(o->county);
    bench_exec("link_bench", county, "BEGIN");
    for (int i = 0; i < o->count; i++)
        s_queue(county, 1000000 + i);
    bench_exec("link_bench", county, "COMMIT");
    printf("queued %d messages at the county\n", o->count);
    PQfinish(county);
}

static void s_drain(const s_options_t *o)
{
    PGconn *city = s_connect(o->city), *province = s_connect(o->province);
    long long city_before = bench_count("link_bench", city, "SELECT count(*) FROM link_inbox");
    long long after =
        bench_count("link_bench", province, "SELECT coalesce(max(id), 0) FROM submission");
    int *numbers = calloc(5000, sizeof(int));
    if (!numbers)
        abort();
    double waited = s_now_ms();
    while (bench_count("link_bench", city, "SELECT count(*) FROM link_inbox") == city_before) {
        if (s_now_ms() - waited > 60000)
            bench_die("link_bench", "the link did not come back within 60 s");
        usleep(200);
    }
    double first = s_now_ms(), deadline = first + 120000;
    int seen = 0;
    while (seen < o->count && s_now_ms() < deadline) {
        int got = s_arrivals(province, &after, numbers, 5000);
        for (int k = 0; k < got; k++)
            seen += numbers[k] >= 1000000;
        if (got == 0)
            usleep(500);
    }
    double seconds = (s_now_ms() - first) / 1000.0;
    printf("drain: %d of %d messages at the province in %.2f s after the link came back\n", seen,
           o->count, seconds);
    printf("figure lk_drain_count %d\n", seen);
    printf("figure lk_drain_seconds %.3f\n", seconds);
    printf("figure lk_drain_rate %.0f\n", seen / seconds);
    free(numbers);
    PQfinish(city);
    PQfinish(province);
}

int main(int argc, char **argv)
{
    s_options_t o = {.rate = 200, .seconds = 10, .count = 10000};
    if (argc < 2)
        bench_die("link_bench", "usage: link_bench latency|queue|drain [options]");
    o.mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--county") == 0)
            o.county = argv[i + 1];
        else if (strcmp(argv[i], "--city") == 0)
            o.city = argv[i + 1];
        else if (strcmp(argv[i], "--province") == 0)
            o.province = argv[i + 1];
        else if (strcmp(argv[i], "--rate") == 0)
            o.rate = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0)
            o.seconds = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--count") == 0)
            o.count = (int)strtol(argv[i + 1], NULL, 10);
        else
            bench_die("link_bench", "unknown option");
    }
    if (o.rate <= 0 || o.seconds <= 0 || o.count <= 0)
        bench_die("link_bench", "--rate, --seconds and --count must be positive");
    if (strcmp(o.mode, "latency") == 0)
        s_latency(&o);
    else if (strcmp(o.mode, "queue") == 0)
        s_backlog(&o);
    else if (strcmp(o.mode, "drain") == 0)
        s_drain(&o);
    else
        bench_die("link_bench", "usage: link_bench latency|queue|drain [options]");
    return 0;
}
