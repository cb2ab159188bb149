/*  Unit tests of the working-day calendar (kc_calendar*.c): the notices
 *  kechuang ships (deploy/data/calendar, read from the repository root
 *  where the tests run, through notices.csv: the tests take the years it
 *  lists rather than knowing them), the statutory rules and the
 *  provisional years made from them, the lunar table against the dates
 *  the State Council published, notice windows across 春节 and 国庆/中秋
 *  with their 调休 weekend workdays and into a provisional year, and the
 *  shipped 2025 file bent one way at a time to meet each load error.
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

#include "kc/kc_calendar.h"
#include "kc/kc_calendar_lunar.h"

#define S_DIR      "deploy/data/calendar/"
#define S_TEXT_MAX (1 << 16)

static kc_calendar_t s_calendar;
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
    kc_calendar_release(&s_calendar);
    kc_errors_release(&s_errors);
}

TestSuite(calendar, .init = s_setup, .fini = s_teardown);

/* A shipped file, whole (NUL-terminated, malloc'd). */
static char *s_read(const char *path)
{
    FILE *file = fopen(path, "rb");
    cr_assert_not_null(file, "cannot open %s (tests run from the repository root)", path);
    char *text = calloc(1, S_TEXT_MAX);
    cr_assert_not_null(text);
    size_t size = fread(text, 1, S_TEXT_MAX - 1, file);
    fclose(file);
    text[size] = '\0';
    return text;
}

/* The years notices.csv lists, in its order; their count. */
static size_t s_shipped_years(int years[16])
{
    char *index = s_read(S_DIR "notices.csv");
    size_t n = 0;
    for (char *line = strchr(index, '\n'); line && line[1] && n < 16; line = strchr(line + 1, '\n'))
        years[n++] = (int)strtol(line + 1, NULL, 10);
    free(index);
    cr_assert_gt(n, 0, "notices.csv lists no year");
    return n;
}

static int s_parse_text(const char *text)
{
    return kc_calendar_parse(&s_calendar, text, strlen(text), &s_errors);
}

static void s_log_errors(void)
{
    for (size_t i = 0; i < s_errors.kept; i++)
        cr_log_error("%s: %s (%s)", s_errors.items[i].field, s_errors.items[i].message,
                     s_errors.items[i].detail);
}

/* Every shipped year into s_calendar, each file parsed on its own. */
static void s_load_shipped(void)
{
    int years[16];
    size_t n = s_shipped_years(years);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, S_DIR "%d.csv", years[i]);
        char *text = s_read(path);
        kc_calendar_t one;
        int rc = kc_calendar_parse(&one, text, strlen(text), &s_errors);
        free(text);
        s_log_errors();
        cr_assert_eq(rc, 0, "%s", path);
        cr_assert_eq(one.count, 1, "%s holds one year", path);
        cr_assert_eq(one.years[0].year, years[i], "%s holds its year", path);
        kc_calendar_set_year(&s_calendar, years[i], one.years[0].days, one.years[0].count, "", 0,
                             1);
        kc_calendar_release(&one);
    }
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
    int rc = kc_calendar_add_workdays(&s_calendar, s_cst_ms(year, month, day, hour, 0), days, &end,
                                      NULL, &s_error);
    cr_assert_eq(rc, 0, "%s (%s)", s_error.message, s_error.detail);
    return end;
}

/* The error whose field is `field`, failing the test if there is none. */
static const kc_error_t *s_find(const char *field)
{
    for (size_t i = 0; i < s_errors.kept; i++)
        if (strcmp(s_errors.items[i].field, field) == 0)
            return &s_errors.items[i];
    s_log_errors();
    cr_assert_fail("no error on '%s' among %zu", field, s_errors.total);
    return NULL;
}

/* The shipped file of `year` with `from` replaced by `to` (once). */
static char *s_bent(int year, const char *from, const char *to)
{
    char path[64];
    snprintf(path, sizeof path, S_DIR "%d.csv", year);
    char *text = s_read(path);
    char *at = strstr(text, from);
    cr_assert_not_null(at, "'%s' is not in %s", from, path);
    char *bent = calloc(1, S_TEXT_MAX);
    cr_assert_not_null(bent);
    snprintf(bent, S_TEXT_MAX, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    free(text);
    return bent;
}

static int s_parse_bent_year(int year, const char *from, const char *to)
{
    char *text = s_bent(year, from, to);
    int rc = s_parse_text(text);
    free(text);
    return rc;
}

static int s_parse_bent(const char *from, const char *to)
{
    char *text = s_bent(2025, from, to);
    int rc = s_parse_text(text);
    free(text);
    return rc;
}

/* ---- the shipped notices ------------------------------------------------------ */

Test(calendar, every_shipped_notice_is_a_complete_year)
{
    s_load_shipped();
    int years[16];
    size_t n = s_shipped_years(years);
    cr_assert_eq(s_calendar.count, n);
    for (size_t i = 0; i < s_calendar.count; i++) {
        const kc_calendar_year_t *year = &s_calendar.years[i];
        for (size_t d = 0; d < year->count; d++) {
            cr_assert_eq(year->days[d].date / 10000, year->year);
            if (d)
                cr_assert_lt(year->days[d - 1].date, year->days[d].date);
        }
    }
}

Test(calendar, each_day_of_the_shipped_notices_follows_its_notice)
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
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool provisional = false;
        cr_assert_eq(kc_calendar_is_workday(&s_calendar, cases[i].date, &provisional, &s_error),
                     cases[i].workday, "%d", cases[i].date);
        cr_assert_not(provisional, "%d is in an official year", cases[i].date);
    }
}

/* ---- the statutory rules and the provisional years ---------------------------- */

Test(calendar, the_lunar_table_agrees_with_the_published_festivals)
{
    /* 春节 (正月初一), 端午, 中秋 as the State Council's notices give them */
    static const struct {
        int year, spring, dragon_boat, mid_autumn;
    } published[] = {
        {2017, 20170128, 20170530, 20171004}, {2020, 20200125, 20200625, 20201001},
        {2023, 20230122, 20230622, 20230929}, {2024, 20240210, 20240610, 20240917},
        {2025, 20250129, 20250531, 20251006}, {2026, 20260217, 20260619, 20260925},
    };
    for (size_t i = 0; i < sizeof published / sizeof published[0]; i++) {
        const kc_lunar_year_t *row = &kc_lunar_years[published[i].year - kc_lunar_first_year];
        cr_assert_eq(row->year, published[i].year);
        cr_assert_eq(row->spring_festival, published[i].spring, "%d", row->year);
        cr_assert_eq(row->dragon_boat, published[i].dragon_boat, "%d", row->year);
        cr_assert_eq(row->mid_autumn, published[i].mid_autumn, "%d", row->year);
    }
    cr_assert_eq(kc_lunar_years[2026 - kc_lunar_first_year].new_year_eve, 20260216);
    cr_assert_leq(kc_lunar_first_year, KC_CALENDAR_FIRST_YEAR);
    cr_assert_geq(kc_lunar_last_year, KC_CALENDAR_LAST_YEAR);
}

Test(calendar, qingming_falls_where_every_published_notice_put_it)
{
    /* 清明 of 2014..2026 by the notices: 5 5 4 4 5 5 4 4 5 5 4 4 5 April */
    static const int day[] = {5, 5, 4, 4, 5, 5, 4, 4, 5, 5, 4, 4, 5};
    for (int year = 2014; year <= 2026; year++) {
        kc_calendar_year_t made;
        cr_assert_eq(kc_calendar_provisional_year(year, &made, &s_error), 0);
        int found = 0;
        for (size_t i = 0; i < made.count; i++)
            if (strcmp(made.days[i].name, "清明节") == 0 &&
                made.days[i].date / 100 == year * 100 + 4)
                found = found ? found : made.days[i].date;
        int expected = year * 10000 + 400 + day[year - 2014];
        /* a 清明 on a weekend is made up on the Monday after */
        if (kc_calendar_weekday_of(expected) == 6)
            expected += 2;
        else if (kc_calendar_weekday_of(expected) == 0)
            expected += 1;
        cr_assert_eq(found, expected, "%d", year);
        kc_calendar_year_release(&made);
    }
}

Test(calendar, provisional_2027_has_the_statutory_days_made_up_after_weekends)
{
    kc_calendar_year_t made;
    cr_assert_eq(kc_calendar_provisional_year(2027, &made, &s_error), 0);
    /* 元旦 Fri 1 Jan; 春节 除夕 Fri 5 Feb .. 初三 Mon 8 Feb with Sat 6 and
     * Sun 7 made up on Tue 9 and Wed 10; 清明 Mon 5 Apr; 劳动节 Sat 1 and
     * Sun 2 May made up on Mon 3 and Tue 4; 端午 Wed 9 Jun; 中秋 Wed 15
     * Sep; 国庆 Fri 1 Oct, Sat 2 and Sun 3 made up on Mon 4 and Tue 5. */
    static const int expected[] = {20270101, 20270205, 20270208, 20270209, 20270210,
                                   20270405, 20270503, 20270504, 20270609, 20270915,
                                   20271001, 20271004, 20271005};
    cr_assert_eq(made.count, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < made.count; i++) {
        cr_assert_eq(made.days[i].date, expected[i], "day %zu", i);
        cr_assert_eq(made.days[i].kind, KC_CALENDAR_HOLIDAY);
    }
    kc_calendar_year_release(&made);
}

Test(calendar, a_provisional_year_never_gives_off_a_day_the_notice_made_work)
{
    /* the notices only add to the law: each day off in the provisional
     * year is off in the year as published */
    s_load_shipped();
    for (size_t y = 0; y < s_calendar.count; y++) {
        kc_calendar_year_t made;
        cr_assert_eq(kc_calendar_provisional_year(s_calendar.years[y].year, &made, &s_error), 0);
        for (size_t i = 0; i < made.count; i++)
            cr_assert_eq(kc_calendar_is_workday(&s_calendar, made.days[i].date, NULL, &s_error), 0,
                         "%d", made.days[i].date);
        kc_calendar_year_release(&made);
    }
}

Test(calendar, every_provisional_year_passes_the_completeness_check)
{
    for (int year = KC_CALENDAR_FIRST_YEAR; year <= KC_CALENDAR_LAST_YEAR; year++) {
        kc_calendar_year_t made;
        cr_assert_eq(kc_calendar_provisional_year(year, &made, &s_error), 0, "%d", year);
        int rc = kc_calendar_check_year(year, made.days, made.count, &s_errors);
        if (rc)
            s_log_errors();
        cr_assert_eq(rc, 0, "%d", year);
        kc_calendar_year_release(&made);
    }
    cr_assert_eq(
        kc_calendar_provisional_year(KC_CALENDAR_LAST_YEAR + 1, &(kc_calendar_year_t){0}, &s_error),
        -1);
    cr_assert_eq(s_error.code, KC_ERR_YEAR_OUT_OF_RANGE);
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
    cr_assert_eq(kc_calendar_add_workdays(&s_calendar, thursday_late, 2, &end, NULL, &s_error), 0);
    cr_assert_eq(end, s_cst_ms(2025, 3, 11, 0, 0));
    /* 2025-03-06T16:30Z, still Thursday in UTC, is Fri 00:30 CST: the
     * window starts Mon 10 and two days are Mon 10, Tue 11. */
    int64_t friday_early = s_cst_ms(2025, 3, 7, 0, 30);
    cr_assert_eq(kc_calendar_add_workdays(&s_calendar, friday_early, 2, &end, NULL, &s_error), 0);
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
    cr_assert_eq(kc_calendar_cst_date(end - 1), 20251009);
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

Test(calendar, a_notice_running_into_a_year_without_its_notice_is_counted_and_marked_provisional)
{
    s_load_shipped();
    cr_assert_null(kc_calendar_year(&s_calendar, 2027), "2027 is provisional in this test");
    int64_t end = 0;
    bool provisional = false;
    /* Mon 2026-12-28 for 5 days: Tue 29 (1), Wed 30 (2), Thu 31 (3), Fri
     * 1 January off (元旦, by the law), the weekend, Mon 4 (4), Tue 5 (5). */
    cr_assert_eq(kc_calendar_add_workdays(&s_calendar, s_cst_ms(2026, 12, 28, 9, 0), 5, &end,
                                          &provisional, &s_error),
                 0, "%s", s_error.message);
    cr_assert_eq(end, s_cst_ms(2027, 1, 6, 0, 0));
    cr_assert(provisional);
    /* 2 days stay in 2026: official */
    cr_assert_eq(kc_calendar_add_workdays(&s_calendar, s_cst_ms(2026, 12, 28, 9, 0), 2, &end,
                                          &provisional, &s_error),
                 0);
    cr_assert_eq(end, s_cst_ms(2026, 12, 31, 0, 0));
    cr_assert_not(provisional);
    /* and an empty calendar counts every year provisionally */
    kc_calendar_t empty = {0};
    cr_assert_eq(kc_calendar_is_workday(&empty, 20250101, &provisional, &s_error), 0);
    cr_assert(provisional);
    cr_assert_eq(kc_calendar_is_workday(&empty, 20250230, NULL, &s_error), -1);
    cr_assert_eq(s_error.code, KC_ERR_INVALID_DATE);
}

Test(calendar, a_window_must_last_at_least_one_working_day)
{
    s_load_shipped();
    int64_t end = 0;
    cr_assert_eq(
        kc_calendar_add_workdays(&s_calendar, s_cst_ms(2025, 3, 6, 9, 0), 0, &end, NULL, &s_error),
        -1);
    cr_assert_eq(s_error.code, KC_ERR_OUT_OF_RANGE);
    cr_assert_eq(kc_calendar_add_workdays(&s_calendar, s_cst_ms(2025, 3, 6, 9, 0), 367, &end, NULL,
                                          &s_error),
                 -1);
}

Test(calendar, the_cst_date_of_an_instant_turns_at_16_00_utc)
{
    /* 2025-09-30T16:00Z is 2025-10-01 00:00 CST; 1 ms before is still 30 September. */
    cr_assert_eq(kc_calendar_cst_date(s_cst_ms(2025, 10, 1, 0, 0)), 20251001);
    cr_assert_eq(kc_calendar_cst_date(s_cst_ms(2025, 10, 1, 0, 0) - 1), 20250930);
    /* Before the epoch: -1 ms is 1970-01-01 07:59:59.999 CST; -8 h - 1 ms
     * is 1969-12-31 23:59:59.999 CST. */
    cr_assert_eq(kc_calendar_cst_date(-1), 19700101);
    cr_assert_eq(kc_calendar_cst_date(-8 * 3600 * 1000LL - 1), 19691231);
    /* 2024-02-29 exists: 2024 is a leap year. */
    cr_assert_eq(kc_calendar_cst_date(s_cst_ms(2024, 2, 29, 12, 0)), 20240229);
}

/* ---- load errors, each on the shipped 2025 bent one way ------------------------ */

Test(calendar, rows_in_any_order_with_crlf_and_blank_lines_load_sorted)
{
    char *text = s_read(S_DIR "2025.csv");
    /* the file reversed, with CRLF and a blank line */
    char *lines[64];
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line && n < 64; line = strtok(NULL, "\n"))
        lines[n++] = line;
    char *bent = calloc(1, S_TEXT_MAX);
    size_t used = (size_t)snprintf(bent, S_TEXT_MAX, "%s\r\n\r\n", lines[0]);
    for (size_t i = n - 1; i >= 1; i--)
        used += (size_t)snprintf(bent + used, S_TEXT_MAX - used, "%s\r\n", lines[i]);
    int rc = s_parse_text(bent);
    s_log_errors();
    cr_assert_eq(rc, 0);
    cr_assert_eq(s_calendar.count, 1);
    cr_assert_eq(s_calendar.years[0].count, n - 1);
    for (size_t i = 1; i < s_calendar.years[0].count; i++)
        cr_assert_lt(s_calendar.years[0].days[i - 1].date, s_calendar.years[0].days[i].date);
    free(bent);
    free(text);
}

Test(calendar, a_file_saved_by_excel_with_a_byte_order_mark_reads)
{
    char *text = s_read(S_DIR "2026.csv");
    char *marked = calloc(1, S_TEXT_MAX);
    snprintf(marked, S_TEXT_MAX, "\xEF\xBB\xBF%s", text);
    int rc = s_parse_text(marked);
    s_log_errors();
    cr_assert_eq(rc, 0);
    cr_assert_eq(s_calendar.years[0].year, 2026);
    free(marked);
    free(text);
}

Test(calendar, a_year_of_a_single_row_is_refused_with_every_missing_holiday)
{
    cr_assert_eq(s_parse_text("date,kind,name\n2027-01-01,holiday,元旦\n"), -1);
    /* 春节 (Fri 5 and Mon 8 Feb), 清明, 端午, 中秋, 国庆 (Fri 1 Oct) are
     * weekdays without their rows; and six holidays lack their days off */
    cr_assert_eq(s_find("calendar.year[2027].春节")->code, KC_ERR_REQUIRED);
    s_find("calendar.year[2027].清明节");
    s_find("calendar.year[2027].劳动节");
    s_find("calendar.year[2027].端午节");
    s_find("calendar.year[2027].中秋节");
    s_find("calendar.year[2027].国庆节");
    cr_assert_eq(s_errors.total, 12);
    cr_assert_eq(s_calendar.count, 0, "nothing is kept from a refused file");
}

Test(calendar, a_festival_on_the_wrong_lunar_date_is_named_with_the_right_one)
{
    /* 端午 2026 is Fri 19 June (五月初五); entered a day early */
    cr_assert_eq(s_parse_bent_year(2026, "2026-06-19,holiday,端午节", "2026-06-18,holiday,端午节"),
                 -1);
    const kc_error_t *error = s_find("calendar.year[2026].端午节");
    cr_assert_eq(s_errors.total, 1, "only the missing day: the moved row is near its festival");
    cr_assert_not_null(strstr(error->message, "2026-06-19"), "%s", error->message);
    cr_assert_not_null(strstr(error->hint, "农历"), "%s", error->hint);
    kc_errors_release(&s_errors);
    kc_errors_init(&s_errors);
    /* 中秋 2025 (Mon 6 Oct) given as a row far from it: a wrong lunar year */
    cr_assert_eq(s_parse_bent("2025-01-01,holiday,元旦", "2025-01-01,holiday,元旦\n"
                                                         "2025-09-17,holiday,中秋节"),
                 -1);
    error = s_find("calendar.line[3].name");
    cr_assert_eq(error->code, KC_ERR_INVALID_DATE);
    cr_assert_not_null(strstr(error->message, "2025-09-17"), "%s", error->message);
}

Test(calendar, a_date_that_does_not_exist_is_an_error_on_its_line)
{
    cr_assert_eq(s_parse_bent("2025-01-01,holiday,元旦", "2025-01-01,holiday,元旦\n"
                                                         "2025-02-29,holiday,春节\n"
                                                         "2025-1-28,holiday,春节"),
                 -1);
    const kc_error_t *error = s_find("calendar.line[3].date");
    cr_assert_eq(error->code, KC_ERR_INVALID_DATE);
    cr_assert_str_eq(error->detail, "line 3");
    cr_assert_not_null(strstr(error->message, "2025-02-29"), "%s", error->message);
    s_find("calendar.line[4].date");
    cr_assert_eq(s_errors.total, 2);
    cr_assert_eq(s_calendar.count, 0);
}

Test(calendar, a_date_given_twice_names_both_lines)
{
    /* 2025-10-08 is line 23 of the shipped file, 24 once a line goes before it */
    cr_assert_eq(s_parse_bent("2025-01-01,holiday,元旦", "2025-10-08,holiday,中秋节\n"
                                                         "2025-01-01,holiday,元旦"),
                 -1);
    cr_assert_eq(s_errors.total, 1);
    const kc_error_t *error = s_find("calendar.line[24].date");
    cr_assert_eq(error->code, KC_ERR_DUPLICATE_IN_BATCH);
    cr_assert_str_eq(error->detail, "line 24, first given on line 2");
}

Test(calendar, a_holiday_on_a_weekend_and_a_tiaoxiu_on_a_weekday_are_errors)
{
    /* 2025-10-04 is a Saturday; 2025-10-09 a Thursday */
    cr_assert_eq(s_parse_bent("2025-01-01,holiday,元旦", "2025-01-01,holiday,元旦\n"
                                                         "2025-10-04,holiday,国庆节\n"
                                                         "2025-10-09,workday,国庆节"),
                 -1);
    cr_assert_eq(s_errors.total, 2);
    cr_assert_not_null(strstr(s_find("calendar.line[3].date")->message, "周六或周日"));
    cr_assert_not_null(strstr(s_find("calendar.line[4].date")->message, "周一至周五"));
}

Test(calendar, several_problems_at_once_are_all_listed)
{
    cr_assert_eq(s_parse_bent("date,kind,name\n2025-01-01,holiday,元旦",
                              "date;kind;name\n"            /* 1: header */
                              "2025-01-01,vacation,元旦\n"  /* 2: kind */
                              "2025-10-09,holiday,\n"       /* 3: name */
                              "2025-10-10,holiday\n"        /* 4: columns */
                              "2025-03-12,holiday,植树节"), /* 5: not a holiday */
                 -1);
    cr_assert_eq(s_find("calendar.line[1]")->code, KC_ERR_INVALID_FORMAT);
    cr_assert_not_null(strstr(s_find("calendar.line[2].kind")->message, "vacation"));
    cr_assert_eq(s_find("calendar.line[3].name")->code, KC_ERR_REQUIRED);
    cr_assert_not_null(strstr(s_find("calendar.line[4]")->message, "2 列"));
    cr_assert_not_null(strstr(s_find("calendar.line[5].name")->message, "植树节"));
    /* and 元旦, whose row was spoilt, is missing from the year */
    s_find("calendar.year[2025].元旦");
    cr_assert_eq(s_errors.total, 7);
}

Test(calendar, a_file_with_only_its_header_is_empty)
{
    cr_assert_eq(s_parse_text("date,kind,name\n"), -1);
    cr_assert_eq(s_errors.total, 1);
    cr_assert_eq(s_errors.items[0].code, KC_ERR_EMPTY_BATCH);
    cr_assert_eq(kc_calendar_parse(&s_calendar, NULL, 0, &s_errors), -1);
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
        cr_assert_eq(kc_calendar_cst_date(ms), expected, "%lld ms", (long long)ms);
    }
}
