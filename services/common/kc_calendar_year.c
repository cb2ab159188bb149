/*  kc_calendar_year: whether a transcribed year is complete, and the
 *  provisional year the law gives where no notice is loaded.
 *
 *  A notice can only add to the law: the statutory days off stay off (or,
 *  falling on a weekend, are made up on a weekday), and 调休 trades
 *  weekdays for weekend days around them. So a transcription that leaves
 *  a statutory weekday working, gives a holiday fewer weekdays off than
 *  its statutory days, or puts a holiday's row far from its dates, is a
 *  mistake: most often a festival entered on the wrong lunar date, or a
 *  file holding only part of a year.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_calendar.h"
#include "kc_calendar_date.h"
#include "kc_calendar_rules.h"

#define S_HOLIDAY_REACH 7  /* days a holiday row may lie from its holiday's statutory days */
#define S_WORKDAY_REACH 14 /* days a 调休 workday may lie from them */

static const kc_calendar_day_t *s_find(const kc_calendar_day_t *days, size_t count, int date)
{
    for (size_t i = 0; i < count; i++)
        if (days[i].date == date)
            return &days[i];
    return NULL;
}

/* Every statutory day on a weekday is off. */
static void s_check_statutory(int year, const kc_statutory_day_t *statutory, size_t n,
                              const kc_calendar_day_t *days, size_t count, kc_errors_t *errors)
{
    static const char *const weekdays[7] = {"日", "一", "二", "三", "四", "五", "六"};
    for (size_t i = 0; i < n; i++) {
        int date = statutory[i].date;
        if (kc_calendar_is_weekend(date))
            continue;
        const kc_calendar_day_t *row = s_find(days, count, date);
        if (row && row->kind == KC_CALENDAR_HOLIDAY)
            continue;
        int weekday = kc_calendar_weekday(kc_calendar_days_of(date));
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "calendar.year[%d].%s", year,
                 kc_festival_names[statutory[i].festival]);
        kc_error_t *error =
            kc_errors_add(errors, KC_ERR_REQUIRED, field,
                          "%d年%s：法定假日 %04d-%02d-%02d（星期%s）是工作日，文件中却没有它的 "
                          "holiday 行",
                          year, kc_festival_names[statutory[i].festival], date / 10000,
                          date / 100 % 100, date % 100, weekdays[weekday]);
        int festival = statutory[i].festival;
        bool lunar = festival == 1 || festival == 4 || festival == 5; /* 春节 端午 中秋 */
        if (error && lunar)
            kc_error_hint(error, "农历节日的日期是否填错？该年%s的法定假日含 %04d-%02d-%02d",
                          kc_festival_names[statutory[i].festival], date / 10000, date / 100 % 100,
                          date % 100);
    }
}

/* Each holiday has at least its statutory days off on weekdays. */
static void s_check_counts(int year, const kc_statutory_day_t *statutory, size_t n,
                           const kc_calendar_day_t *days, size_t count, kc_errors_t *errors)
{
    for (int f = 0; f < KC_FESTIVALS; f++) {
        int needed = 0, have = 0;
        for (size_t i = 0; i < n; i++)
            needed += statutory[i].festival == f;
        for (size_t i = 0; i < count; i++)
            have += days[i].kind == KC_CALENDAR_HOLIDAY &&
                    (kc_calendar_festivals_named(days[i].name) & (1u << f));
        if (have >= needed)
            continue;
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "calendar.year[%d].%s", year, kc_festival_names[f]);
        kc_error_t *error =
            kc_errors_add(errors, KC_ERR_REQUIRED, field,
                          "%d年%s：法定假日 %d 天，文件中名为%s的工作日放假行只有 %d 行", year,
                          kc_festival_names[f], needed, kc_festival_names[f], have);
        if (error)
            kc_error_hint(error,
                          "节日逢周六、周日应在工作日补假；按国务院办公厅当年的通知逐日填写");
    }
}

/* The nearest distance in days from `date` to a statutory day of one of
 * `festivals` in the year before, the year, or the year after. */
static int s_distance(int date, unsigned festivals)
{
    int best = 1 << 20;
    int year = date / 10000;
    int64_t day = kc_calendar_days_of(date);
    for (int y = year - 1; y <= year + 1; y++) {
        kc_statutory_day_t statutory[KC_STATUTORY_DAYS_MAX];
        size_t n = kc_calendar_statutory(y, statutory);
        for (size_t i = 0; i < n; i++) {
            if (!(festivals & (1u << statutory[i].festival)))
                continue;
            int64_t d = kc_calendar_days_of(statutory[i].date) - day;
            int distance = (int)(d < 0 ? -d : d);
            if (distance < best)
                best = distance;
        }
    }
    return best;
}

/* Each row belongs to a holiday and lies near it. */
static void s_check_rows(int year, const kc_calendar_day_t *days, size_t count, kc_errors_t *errors)
{
    for (size_t i = 0; i < count; i++) {
        const kc_calendar_day_t *row = &days[i];
        char field[KC_ERROR_FIELD_MAX];
        if (row->line)
            snprintf(field, sizeof field, "calendar.line[%d].name", row->line);
        else
            snprintf(field, sizeof field, "calendar.year[%d].%d", year, row->date);
        unsigned named = kc_calendar_festivals_named(row->name);
        if (!named) {
            kc_error_t *error = kc_errors_add(
                errors, KC_ERR_INVALID_FORMAT, field,
                "名称“%"
                "s”不是七个法定节日（元旦、春节、清明节、劳动节、端午节、中秋节、国庆节）之一",
                row->name);
            if (error && row->line)
                kc_error_detail(error, "line %d", row->line);
            continue;
        }
        int reach = row->kind == KC_CALENDAR_HOLIDAY ? S_HOLIDAY_REACH : S_WORKDAY_REACH;
        int distance = s_distance(row->date, named);
        if (distance <= reach)
            continue;
        kc_error_t *error = kc_errors_add(
            errors, KC_ERR_INVALID_DATE, field,
            "%04d-%02d-%02d 的%s行名为“%s”，却离该节日的法定假日 %d 天（至多 %d 天）",
            row->date / 10000, row->date / 100 % 100, row->date % 100,
            row->kind == KC_CALENDAR_HOLIDAY ? "放假" : "调休上班", row->name, distance, reach);
        if (error && row->line)
            kc_error_detail(error, "line %d", row->line);
    }
}

int kc_calendar_check_year(int year, const kc_calendar_day_t *days, size_t count,
                           kc_errors_t *errors)
{
    size_t before = errors->total;
    kc_statutory_day_t statutory[KC_STATUTORY_DAYS_MAX];
    size_t n = kc_calendar_statutory(year, statutory);
    if (n == 0) {
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "calendar.year[%d]", year);
        kc_errors_add(errors, KC_ERR_YEAR_OUT_OF_RANGE, field, "%d年不在可核对的年份 %d..%d 之内",
                      year, KC_CALENDAR_FIRST_YEAR, KC_CALENDAR_LAST_YEAR);
        return -1;
    }
    s_check_statutory(year, statutory, n, days, count, errors);
    s_check_counts(year, statutory, n, days, count, errors);
    s_check_rows(year, days, count, errors);
    return errors->total == before ? 0 : -1;
}

/* ---- the provisional year --------------------------------------------------- */

static bool s_taken(const kc_calendar_year_t *out, int date)
{
    return kc_calendar_is_weekend(date) || s_find(out->days, out->count, date) != NULL;
}

static void s_off(kc_calendar_year_t *out, int date, int festival)
{
    kc_calendar_day_t *day = &out->days[out->count++];
    memset(day, 0, sizeof *day);
    day->date = date;
    day->kind = KC_CALENDAR_HOLIDAY;
    snprintf(day->name, sizeof day->name, "%s", kc_festival_names[festival]);
}

static int s_day_order(const void *a, const void *b)
{
    const kc_calendar_day_t *x = a, *y = b;
    return (x->date > y->date) - (x->date < y->date);
}

int kc_calendar_provisional_year(int year, kc_calendar_year_t *out, kc_error_t *error)
{
    memset(out, 0, sizeof *out);
    kc_statutory_day_t statutory[KC_STATUTORY_DAYS_MAX];
    size_t n = kc_calendar_statutory(year, statutory);
    if (n == 0) {
        kc_error_set(error, KC_ERR_YEAR_OUT_OF_RANGE, "calendar",
                     "%d年不在工作日历可推算的年份 %d..%d 之内", year, KC_CALENDAR_FIRST_YEAR,
                     KC_CALENDAR_LAST_YEAR);
        return -1;
    }
    /* each statutory day adds at most itself and one made-up day */
    out->days = calloc(2 * n, sizeof *out->days);
    if (!out->days)
        abort();
    out->year = year;
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && statutory[end].festival == statutory[i].festival)
            end++;
        int owed = 0, last = statutory[end - 1].date;
        for (size_t k = i; k < end; k++) {
            if (s_taken(out, statutory[k].date))
                owed++;
            else
                s_off(out, statutory[k].date, statutory[k].festival);
        }
        /* 补假: a statutory day on a weekend (or on another holiday) is
         * made up on the next weekday that is not already off */
        for (int date = last; owed > 0;) {
            date = kc_calendar_add_days(date, 1);
            if (!s_taken(out, date)) {
                s_off(out, date, statutory[i].festival);
                owed--;
            }
        }
        i = end;
    }
    qsort(out->days, out->count, sizeof *out->days, s_day_order);
    return 0;
}

void kc_calendar_year_release(kc_calendar_year_t *year)
{
    if (!year)
        return;
    free(year->days);
    memset(year, 0, sizeof *year);
}
