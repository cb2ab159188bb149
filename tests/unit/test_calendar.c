/*  Unit tests of the working-day calendar: the shipped file
 *  (deploy/data/calendar/cn-workdays.csv, read from the repository root
 *  where the tests run) and the notice windows counted on it across plain
 *  weeks, 春节 2025 and 国庆/中秋 2025 with their 调休 weekend workdays,
 *  a year nobody has entered, and small hand-made files bent one way at a
 *  time to meet each load error.
 *
 *  Expected instants are written as CST wall-clock times and turned into
 *  UTC milliseconds by s_cst_ms with timegm (glibc, UTC only, no timezone
 *  database): an oracle independent of the code under test. One is also
 *  worked out by hand, to check the oracle.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflow/calendar.h"

#define S_SHIPPED "deploy/data/calendar/cn-workdays.csv"

static wf_calendar_t s_calendar;
static kc_errors_t s_errors;
static kc_error_t s_error;

static void s_setup(void)
{
    memset(&s_calendar, 0, sizeof s_calendar);
    kc_errors_init(&s_errors);
    kc_error_clear(&s_error);
}

static void s_teardown(void)
{
    calendar_release(&s_calendar);
    kc_errors_release(&s_errors);
}

TestSuite(calendar, .init = s_setup, .fini = s_teardown);

static void s_load_shipped(void)
{
    FILE *file = fopen(S_SHIPPED, "rb");
    cr_assert_not_null(file, "cannot open %s (tests run from the repository root)", S_SHIPPED);
    char *text = malloc(1 << 16);
    cr_assert_not_null(text);
    size_t size = fread(text, 1, 1 << 16, file);
    fclose(file);
    int rc = calendar_load(&s_calendar, text, size, &s_errors);
    free(text);
    for (size_t i = 0; i < s_errors.kept; i++)
        cr_log_error("%s: %s (%s)", s_errors.items[i].field, s_errors.items[i].message,
                     s_errors.items[i].detail);
    cr_assert_eq(rc, 0);
}

/* UTC milliseconds of a China Standard Time wall-clock instant. */
static int64_t s_cst_ms(int year, int month, int day, int hour, int minute)
{
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = minute};
    return (int64_t)timegm(&tm) * 1000 - 8 * 3600 * 1000LL;
}

/* The end of a window published at the CST instant, asserting success. */
static int64_t s_window_end(int year, int month, int day, int hour, int days)
{
    int64_t end = 0;
    int rc = calendar_add_workdays(&s_calendar, s_cst_ms(year, month, day, hour, 0), days, &end,
                                   &s_error);
    cr_assert_eq(rc, 0, "%s (%s)", s_error.message, s_error.detail);
    return end;
}

static int s_load_text(const char *text)
{
    return calendar_load(&s_calendar, text, strlen(text), &s_errors);
}

/* The error whose field is `field`, failing the test if there is none. */
static const kc_error_t *s_find(const char *field)
{
    for (size_t i = 0; i < s_errors.kept; i++)
        if (strcmp(s_errors.items[i].field, field) == 0)
            return &s_errors.items[i];
    cr_assert_fail("no error on '%s' among %zu", field, s_errors.total);
    return NULL;
}

/* ---- the shipped file ----------------------------------------------------- */

Test(calendar, the_shipped_file_loads_and_covers_2024_to_2026)
{
    s_load_shipped();
    /* Rows counted in the notices, weekday holidays + weekend workdays:
     * 2024: 元旦 1, 春节 5+2, 清明 2+1, 劳动 3+2, 端午 1, 中秋 2+1, 国庆 5+2 = 27;
     * 2025: 元旦 1, 春节 6+2, 清明 1, 劳动 3+1, 端午 1, 国庆中秋 6+2 = 23;
     * 2026: 元旦 2+1, 春节 6+2, 清明 1, 劳动 3+1, 端午 1, 中秋 1, 国庆 5+2 = 25. */
    cr_assert_eq(s_calendar.count, 27 + 23 + 25);
    cr_assert_eq(s_calendar.first_year, 2024);
    cr_assert_eq(s_calendar.last_year, 2026);
    for (size_t i = 1; i < s_calendar.count; i++)
        cr_assert_lt(s_calendar.days[i - 1].date, s_calendar.days[i].date);
}

Test(calendar, each_day_of_the_shipped_file_follows_its_notice)
{
    s_load_shipped();
    struct {
        int date, workday;
    } cases[] = {
        {20240101, 0}, /* 元旦 2024, a Monday */
        {20240209, 1}, /* 除夕 2024, a Friday: rest only "encouraged", still a working day */
        {20240218, 1}, /* Sunday worked for 春节 2024 */
        {20250101, 0}, /* 元旦 2025, a Wednesday, no 调休 */
        {20250102, 1}, /* the Thursday after it */
        {20250126, 1}, /* Sunday worked before 春节 2025 */
        {20250201, 0}, /* Saturday inside 春节 2025, not listed: off as a weekend */
        {20250208, 1}, /* Saturday worked after 春节 2025 */
        {20251004, 0}, /* Saturday inside 国庆 2025, not listed */
        {20251008, 0}, /* last day of 国庆/中秋 2025, a Wednesday */
        {20251011, 1}, /* Saturday worked after it */
        {20251012, 0}, /* the Sunday after: a plain weekend */
        {20260104, 1}, /* Sunday worked after 元旦 2026 */
        {20260223, 0}, /* 正月初七 2026, a Monday */
        {20261231, 1}, /* a plain Thursday */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(calendar_is_workday(&s_calendar, cases[i].date, &s_error), cases[i].workday,
                     "%d", cases[i].date);
}

/* ---- notice windows ------------------------------------------------------- */

Test(calendar, a_window_in_a_plain_week_starts_the_day_after_publication)
{
    s_load_shipped();
    /* Thu 2025-03-06 10:00: Fri 7 (1), Sat 8 and Sun 9 off, Mon 10 (2),
     * Tue 11 (3), Wed 12 (4), Thu 13 (5): closes at 24:00 of the 13th. */
    cr_assert_eq(s_window_end(2025, 3, 6, 10, 5), s_cst_ms(2025, 3, 14, 0, 0));
    /* Thu 2025-03-06 10:00 for 1 day: Fri 7 alone. */
    cr_assert_eq(s_window_end(2025, 3, 6, 10, 1), s_cst_ms(2025, 3, 8, 0, 0));
}

Test(calendar, a_window_published_on_a_weekend_starts_on_monday)
{
    s_load_shipped();
    /* Sat 2025-03-08: Sun 9 off, Mon 10 (1), Tue 11 (2), Wed 12 (3). */
    cr_assert_eq(s_window_end(2025, 3, 8, 15, 3), s_cst_ms(2025, 3, 13, 0, 0));
}

Test(calendar, the_publication_date_is_the_china_standard_time_date)
{
    s_load_shipped();
    int64_t end = 0;
    /* 2025-03-06T15:30Z is Thu 23:30 CST: the window starts Fri 7 and two
     * days are Fri 7, Mon 10. */
    int64_t thursday_late = s_cst_ms(2025, 3, 6, 23, 30);
    cr_assert_eq(calendar_add_workdays(&s_calendar, thursday_late, 2, &end, &s_error), 0);
    cr_assert_eq(end, s_cst_ms(2025, 3, 11, 0, 0));
    /* 2025-03-06T16:30Z, still Thursday in UTC, is Fri 00:30 CST: the
     * window starts Mon 10 and two days are Mon 10, Tue 11. */
    int64_t friday_early = s_cst_ms(2025, 3, 7, 0, 30);
    cr_assert_eq(calendar_add_workdays(&s_calendar, friday_early, 2, &end, &s_error), 0);
    cr_assert_eq(end, s_cst_ms(2025, 3, 12, 0, 0));
}

Test(calendar, a_window_across_guoqing_2025_counts_the_tiaoxiu_sunday_and_skips_eight_days)
{
    s_load_shipped();
    /* Thu 2025-09-25: Fri 26 (1), Sat 27 off, Sun 28 调休 (2), Mon 29 (3),
     * Tue 30 (4), Wed 1 .. Wed 8 October off, Thu 9 (5). By hand, the end
     * 2025-10-09 24:00 CST = 2025-10-09T16:00Z: 1970..2024 is 55 years of
     * which 14 leap (1972..2024), 55 * 365 + 14 = 20089 days to 2025-01-01;
     * Jan..Sep 2025 is 273 days, + 8 = 20370 days to 2025-10-09;
     * (20370 * 86400 + 16 * 3600) * 1000 = 1760025600000. */
    int64_t end = s_window_end(2025, 9, 25, 9, 5);
    cr_assert_eq(end, 1760025600000LL);
    cr_assert_eq(end, s_cst_ms(2025, 10, 10, 0, 0));
    cr_assert_eq(calendar_cst_date(end - 1), 20251009);
    /* 10 days: ... Thu 9 (5), Fri 10 (6), Sat 11 调休 (7), Sun 12 off,
     * Mon 13 (8), Tue 14 (9), Wed 15 (10). */
    cr_assert_eq(s_window_end(2025, 9, 25, 9, 10), s_cst_ms(2025, 10, 16, 0, 0));
}

Test(calendar, a_window_across_chunjie_2025_counts_both_tiaoxiu_weekend_days)
{
    s_load_shipped();
    /* Fri 2025-01-24: Sat 25 off, Sun 26 调休 (1), Mon 27 (2), Tue 28 除夕
     * .. Tue 4 February off (weekend 1-2 inside), Wed 5 (3), Thu 6 (4),
     * Fri 7 (5). */
    cr_assert_eq(s_window_end(2025, 1, 24, 17, 5), s_cst_ms(2025, 2, 8, 0, 0));
    /* 7 days: ... Fri 7 (5), Sat 8 调休 (6), Sun 9 off, Mon 10 (7). */
    cr_assert_eq(s_window_end(2025, 1, 24, 17, 7), s_cst_ms(2025, 2, 11, 0, 0));
}

Test(calendar, a_window_published_inside_a_holiday_starts_after_it)
{
    s_load_shipped();
    /* Fri 2025-10-03, in the holiday: Sat 4 .. Wed 8 off, Thu 9 (1),
     * Fri 10 (2), Sat 11 调休 (3). */
    cr_assert_eq(s_window_end(2025, 10, 3, 11, 3), s_cst_ms(2025, 10, 12, 0, 0));
}

Test(calendar, a_window_that_reaches_an_uncovered_year_is_refused)
{
    s_load_shipped();
    int64_t end = -7;
    /* Mon 2026-12-28 for 10 days: Tue 29 (1), Wed 30 (2), Thu 31 (3), then
     * 2027, which no notice in the file covers. */
    int rc = calendar_add_workdays(&s_calendar, s_cst_ms(2026, 12, 28, 9, 0), 10, &end, &s_error);
    cr_assert_eq(rc, -1);
    cr_assert_eq(end, -7, "the end is left alone on failure");
    cr_assert_eq(s_error.code, KC_ERR_YEAR_OUT_OF_RANGE);
    cr_assert_str_eq(s_error.message, "year 2027 is not in the working-day calendar");
    cr_assert_not_null(strstr(s_error.detail, "counted 3"), "%s", s_error.detail);
    cr_assert_not_null(strstr(s_error.detail, "2024..2026"), "%s", s_error.detail);
    cr_assert_not_null(strstr(s_error.hint, "2027"), "%s", s_error.hint);
    /* Fri 2023-12-29: its first candidate day, Sat 30, is in 2023. */
    rc = calendar_add_workdays(&s_calendar, s_cst_ms(2023, 12, 29, 9, 0), 1, &end, &s_error);
    cr_assert_eq(rc, -1);
    cr_assert_str_eq(s_error.message, "year 2023 is not in the working-day calendar");
}

Test(calendar, a_day_outside_the_covered_years_is_refused_not_guessed)
{
    s_load_shipped();
    /* 2027-01-04 is a Monday and most likely works, but nobody knows yet. */
    cr_assert_eq(calendar_is_workday(&s_calendar, 20270104, &s_error), -1);
    cr_assert_eq(s_error.code, KC_ERR_YEAR_OUT_OF_RANGE);
    cr_assert_str_eq(s_error.detail, "the calendar covers 2024..2026");
    cr_assert_eq(calendar_is_workday(&s_calendar, 20231229, &s_error), -1);
    cr_assert_eq(calendar_is_workday(&s_calendar, 20250230, &s_error), -1);
    cr_assert_eq(s_error.code, KC_ERR_INVALID_DATE);
    /* An empty calendar covers nothing. */
    wf_calendar_t empty = {0};
    cr_assert_eq(calendar_is_workday(&empty, 20250102, &s_error), -1);
    cr_assert_str_eq(s_error.detail, "the calendar is empty");
}

Test(calendar, a_window_must_last_at_least_one_working_day)
{
    s_load_shipped();
    int64_t end = 0;
    cr_assert_eq(calendar_add_workdays(&s_calendar, s_cst_ms(2025, 3, 6, 9, 0), 0, &end, &s_error),
                 -1);
    cr_assert_eq(s_error.code, KC_ERR_OUT_OF_RANGE);
    cr_assert_eq(
        calendar_add_workdays(&s_calendar, s_cst_ms(2025, 3, 6, 9, 0), 367, &end, &s_error), -1);
}

Test(calendar, the_cst_date_of_an_instant_turns_at_16_00_utc)
{
    /* 2025-09-30T16:00Z is 2025-10-01 00:00 CST; 1 ms before is still 30 September. */
    cr_assert_eq(calendar_cst_date(s_cst_ms(2025, 10, 1, 0, 0)), 20251001);
    cr_assert_eq(calendar_cst_date(s_cst_ms(2025, 10, 1, 0, 0) - 1), 20250930);
    /* Before the epoch: -1 ms is 1970-01-01 07:59:59.999 CST; -8 h - 1 ms
     * is 1969-12-31 23:59:59.999 CST. */
    cr_assert_eq(calendar_cst_date(-1), 19700101);
    cr_assert_eq(calendar_cst_date(-8 * 3600 * 1000LL - 1), 19691231);
    /* 2024-02-29 exists: 2024 is a leap year. */
    cr_assert_eq(calendar_cst_date(s_cst_ms(2024, 2, 29, 12, 0)), 20240229);
}

/* ---- load errors ---------------------------------------------------------- */

Test(calendar, rows_in_any_order_with_crlf_and_blank_lines_load_sorted)
{
    cr_assert_eq(s_load_text("date,kind,name\r\n"
                             "2025-10-11,workday,国庆节\r\n"
                             "\r\n"
                             "2025-10-01,holiday,国庆节\r\n"),
                 0);
    cr_assert_eq(s_calendar.count, 2);
    cr_assert_eq(s_calendar.days[0].date, 20251001);
    cr_assert_eq(s_calendar.days[0].kind, WF_CALENDAR_HOLIDAY);
    cr_assert_eq(s_calendar.days[1].date, 20251011);
    cr_assert_eq(s_calendar.days[1].kind, WF_CALENDAR_WORKDAY);
    cr_assert_eq(s_calendar.first_year, 2025);
    cr_assert_eq(s_calendar.last_year, 2025);
}

Test(calendar, a_date_that_does_not_exist_is_an_error_on_its_line)
{
    cr_assert_eq(s_load_text("date,kind,name\n"           /* 1 */
                             "2025-01-01,holiday,元旦\n"  /* 2 */
                             "2025-02-29,holiday,春节\n"  /* 3: 2025 is not leap */
                             "2025-1-28,holiday,春节\n"), /* 4: not YYYY-MM-DD */
                 -1);
    cr_assert_eq(s_errors.total, 2);
    const kc_error_t *error = s_find("calendar.line[3].date");
    cr_assert_eq(error->code, KC_ERR_INVALID_DATE);
    cr_assert_str_eq(error->detail, "line 3");
    cr_assert_not_null(strstr(error->message, "'2025-02-29'"), "%s", error->message);
    s_find("calendar.line[4].date");
    cr_assert_eq(s_calendar.days, NULL, "nothing is kept from a failed load");
    cr_assert_eq(s_calendar.count, 0);
}

Test(calendar, a_date_given_twice_names_both_lines)
{
    cr_assert_eq(s_load_text("date,kind,name\n"              /* 1 */
                             "2025-10-08,holiday,国庆节\n"   /* 2 */
                             "2025-10-01,holiday,国庆节\n"   /* 3 */
                             "2025-10-08,holiday,中秋节\n"), /* 4 */
                 -1);
    cr_assert_eq(s_errors.total, 1);
    const kc_error_t *error = s_find("calendar.line[4].date");
    cr_assert_eq(error->code, KC_ERR_DUPLICATE_IN_BATCH);
    cr_assert_str_eq(error->message, "date 2025-10-08 is given twice");
    cr_assert_str_eq(error->detail, "line 4, first given on line 2");
}

Test(calendar, a_kind_that_disagrees_with_the_weekday_is_an_error)
{
    /* 2025-10-09 is a Thursday; 2025-10-04 a Saturday. */
    cr_assert_eq(s_load_text("date,kind,name\n"              /* 1 */
                             "2025-10-09,workday,国庆节\n"   /* 2 */
                             "2025-10-04,holiday,国庆节\n"   /* 3 */
                             "2025-10-01,holiday,国庆节\n"), /* 4: fine */
                 -1);
    cr_assert_eq(s_errors.total, 2);
    const kc_error_t *error = s_find("calendar.line[2].date");
    cr_assert_str_eq(error->message, "workday '2025-10-09' falls on a weekday, which works anyway");
    error = s_find("calendar.line[3].date");
    cr_assert_str_eq(error->message,
                     "holiday '2025-10-04' falls on a weekend, which is off anyway");
}

Test(calendar, a_bad_header_kind_name_or_column_count_is_reported_every_time)
{
    cr_assert_eq(s_load_text("date;kind;name\n"               /* 1 */
                             "2025-10-01,vacation,国庆节\n"   /* 2 */
                             "2025-10-02,holiday,\n"          /* 3 */
                             "2025-10-03,holiday\n"           /* 4 */
                             "2025-10-06,holiday,国庆,节\n"), /* 5 */
                 -1);
    cr_assert_eq(s_errors.total, 5);
    cr_assert_eq(s_find("calendar.line[1]")->code, KC_ERR_INVALID_FORMAT);
    cr_assert_str_eq(s_find("calendar.line[2].kind")->message,
                     "kind 'vacation' is neither holiday nor workday");
    cr_assert_eq(s_find("calendar.line[3].name")->code, KC_ERR_REQUIRED);
    cr_assert_str_eq(s_find("calendar.line[4]")->message,
                     "row has 2 columns, expected 3 (date,kind,name)");
    cr_assert_str_eq(s_find("calendar.line[5]")->message,
                     "row has 4 columns, expected 3 (date,kind,name)");
}

Test(calendar, a_year_missing_between_two_covered_years_is_an_error)
{
    cr_assert_eq(s_load_text("date,kind,name\n"
                             "2024-01-01,holiday,元旦\n"
                             "2026-01-01,holiday,元旦\n"), /* 3 */
                 -1);
    cr_assert_eq(s_errors.total, 1);
    const kc_error_t *error = s_find("calendar.line[3].date");
    cr_assert_eq(error->code, KC_ERR_REQUIRED);
    cr_assert_not_null(strstr(error->message, "year 2025 has no rows"), "%s", error->message);
}

Test(calendar, a_file_with_only_its_header_is_empty)
{
    cr_assert_eq(s_load_text("date,kind,name\n"), -1);
    cr_assert_eq(s_errors.total, 1);
    cr_assert_eq(s_errors.items[0].code, KC_ERR_EMPTY_BATCH);
    cr_assert_eq(calendar_load(&s_calendar, NULL, 0, &s_errors), -1);
}

Test(calendar, the_cst_date_agrees_with_gmtime_on_every_day_from_1900_to_2100)
{
    /* civil_from_days against glibc's gmtime_r, shifted by the fixed 8 h:
     * noon CST of each day from 1900-01-01 to 2100-12-31. */
    int64_t first = s_cst_ms(1900, 1, 1, 12, 0), last = s_cst_ms(2100, 12, 31, 12, 0);
    for (int64_t ms = first; ms <= last; ms += 86400000LL) {
        time_t seconds = (time_t)((ms + 8 * 3600 * 1000LL) / 1000);
        struct tm tm;
        cr_assert_not_null(gmtime_r(&seconds, &tm));
        int expected = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
        cr_assert_eq(calendar_cst_date(ms), expected, "%lld ms", (long long)ms);
    }
}
