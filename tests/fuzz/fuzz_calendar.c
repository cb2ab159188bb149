/*  fuzz_calendar: any file handed to `kcctl calendar check|load`.
 *
 *  kc_calendar_parse reads a transcribed holiday notice; what it accepts
 *  is then asked for working days and a notice window, as kc-workflow
 *  would ask it.
 *
 *  Invariants checked (abort on breach, which libFuzzer reports as a crash):
 *    - kc_calendar_parse returns 0 or -1; -1 added errors and left the
 *      calendar empty, 0 added none;
 *    - after 0 every year is complete by kc_calendar_check_year, its days
 *      sorted, of its year, a holiday on a weekday and a workday on a
 *      weekend;
 *    - a window of 1..20 working days from the first day of each year ends
 *      after it starts, and kc_calendar_is_workday answers 0 or 1 on every
 *      listed day.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_calendar.h"
#include "kc/kc_error.h"

#define S_CHECK(condition)                                                                         \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_check_year(const kc_calendar_t *calendar, const kc_calendar_year_t *year)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    S_CHECK(kc_calendar_check_year(year->year, year->days, year->count, &errors) == 0);
    kc_errors_release(&errors);
    for (size_t i = 0; i < year->count; i++) {
        const kc_calendar_day_t *day = &year->days[i];
        int weekday = kc_calendar_weekday_of(day->date);
        bool weekend = weekday == 0 || weekday == 6;
        S_CHECK(day->date / 10000 == year->year);
        S_CHECK(i == 0 || year->days[i - 1].date < day->date);
        S_CHECK(day->kind == KC_CALENDAR_HOLIDAY ? !weekend : weekend);
        kc_error_t error;
        int workday = kc_calendar_is_workday(calendar, day->date, NULL, &error);
        S_CHECK(workday == (day->kind == KC_CALENDAR_WORKDAY));
    }
    /* 00:00 CST of 1 January of the year, then N working days */
    int64_t start = ((int64_t)(year->year - 1970) * 36524 / 100) * 86400000LL;
    for (int days = 1; days <= 20; days += 19) {
        int64_t end = 0;
        kc_error_t error;
        if (kc_calendar_add_workdays(calendar, start, days, &end, NULL, &error) == 0)
            S_CHECK(end > start);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kc_calendar_t calendar;
    kc_errors_t errors;
    kc_errors_init(&errors);
    int rc = kc_calendar_parse(&calendar, (const char *)data, size, &errors);
    S_CHECK(rc == 0 || rc == -1);
    S_CHECK(rc == 0 ? errors.total == 0 : errors.total > 0);
    if (rc == -1)
        S_CHECK(calendar.count == 0 && calendar.years == NULL);
    for (size_t i = 0; rc == 0 && i < calendar.count; i++)
        s_check_year(&calendar, &calendar.years[i]);
    kc_calendar_release(&calendar);
    kc_errors_release(&errors);
    return 0;
}
