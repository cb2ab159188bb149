/*  calendar_bench: what counting working days costs kc-workflow.
 *
 *  Every step into a state with a public notice or a deadline counts its
 *  window (kc_calendar_add_workdays), inside the transaction of the step.
 *  This measures the count on the official years kechuang ships and on
 *  provisional years (made from the statutory rules for each window), for
 *  the windows kc-workflow counts (5-day notices, 10- and 20-day
 *  deadlines) published on every day of the shipped years, and reading
 *  and checking a year's notice (kcctl calendar check). It prints the
 *  nanoseconds per window and two ratios: provisional against official
 *  (a peer measured in the same run), and the slowest window against a
 *  ceiling of 1 % of a 1 ms step transaction (10 µs), which says that the
 *  calendar can never be what makes a step slow.
 *
 *  Run from the repository root (it reads deploy/data/calendar).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "kc/kc_calendar.h"

#define S_CEILING_NS 10000.0 /* 1 % of a 1 ms step transaction */
#define S_ROUNDS     20

static double s_now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1e9 + (double)now.tv_nsec;
}

static char *s_read(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        bench_die("calendar_bench", "cannot open the shipped notices (run from the root)");
    char *text = calloc(1, 1 << 16);
    *size = fread(text, 1, (1 << 16) - 1, file);
    fclose(file);
    return text;
}

/* ns per window for every day of `first`..`last` as publication day. */
static double s_windows(const kc_calendar_t *calendar, int first, int last, int days,
                        long long *checksum)
{
    struct tm tm = {.tm_year = first - 1900, .tm_mon = 0, .tm_mday = 1};
    int64_t start = (int64_t)timegm(&tm) * 1000, stop;
    tm = (struct tm){.tm_year = last + 1 - 1900, .tm_mon = 0, .tm_mday = 1};
    stop = (int64_t)timegm(&tm) * 1000;
    long windows = 0;
    double begun = s_now_ns();
    for (int round = 0; round < S_ROUNDS; round++)
        for (int64_t at = start; at < stop; at += 86400000LL) {
            int64_t end = 0;
            kc_error_t error;
            if (kc_calendar_add_workdays(calendar, at, days, &end, NULL, &error))
                bench_die("calendar_bench", error.message);
            *checksum += end % 1000003;
            windows++;
        }
    return (s_now_ns() - begun) / (double)windows;
}

int main(void)
{
    static const char *const files[] = {"deploy/data/calendar/2024.csv",
                                        "deploy/data/calendar/2025.csv",
                                        "deploy/data/calendar/2026.csv"};
    kc_calendar_t official = {0}, none = {0};
    double parse_ns = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t size = 0;
        char *text = s_read(files[i], &size);
        kc_calendar_t one;
        kc_errors_t errors;
        double begun = s_now_ns();
        for (int round = 0; round < S_ROUNDS; round++) {
            kc_errors_init(&errors);
            if (kc_calendar_parse(&one, text, size, &errors))
                bench_die("calendar_bench", "a shipped notice does not read");
            kc_errors_release(&errors);
            if (round + 1 < S_ROUNDS)
                kc_calendar_release(&one);
        }
        parse_ns += (s_now_ns() - begun) / S_ROUNDS;
        kc_calendar_set_year(&official, one.years[0].year, one.years[0].days, one.years[0].count,
                             "", 0, 1);
        kc_calendar_release(&one);
        free(text);
    }
    long long checksum = 0;
    printf("calendar_bench: ns per window counted, publication on every day of 2024-2026, "
           "%d rounds\n",
           S_ROUNDS);
    printf("  %-8s %12s %12s %10s %10s\n", "window", "official", "provisional", "ratio",
           "/ceiling");
    double worst = 0;
    static const int windows[] = {5, 10, 20};
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        double on_official = s_windows(&official, 2024, 2026, windows[i], &checksum);
        double on_provisional = s_windows(&none, 2024, 2026, windows[i], &checksum);
        worst = on_provisional > worst ? on_provisional : worst;
        worst = on_official > worst ? on_official : worst;
        printf("  %2d days  %12.0f %12.0f %10.2f %10.4f\n", windows[i], on_official, on_provisional,
               on_provisional / on_official, on_provisional / S_CEILING_NS);
    }
    printf("  reading and checking one year's notice: %.0f ns (%.4f of the ceiling)\n",
           parse_ns / 3, parse_ns / 3 / S_CEILING_NS);
    printf("  slowest window / ceiling (10 us): %.4f %s  (checksum %lld)\n", worst / S_CEILING_NS,
           worst <= S_CEILING_NS ? "ok" : "OVER", checksum);
    kc_calendar_release(&official);
    return worst <= S_CEILING_NS ? 0 : 1;
}
