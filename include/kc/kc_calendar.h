/*  kc_calendar: China's working days, official where the State Council's
 *  notice is loaded, provisional from the statutory rules where it is not.
 *
 *  A public notice (公示) lasts N working days (工作日), and which days work
 *  is decided each year by the State Council General Office's notice on
 *  the holiday arrangements (国务院办公厅关于20XX年部分节假日安排的通知):
 *  some weekdays are off (statutory holidays and the days moved next to
 *  them) and some Saturdays and Sundays are worked in exchange (调休). A
 *  year's notice is transcribed as rows, one per exception to the week,
 *
 *      date,kind,name
 *      2025-01-28,holiday,春节     a weekday that is off
 *      2025-02-08,workday,春节     a Saturday or Sunday that is worked
 *
 *  checked here (kc_calendar_parse: every problem with its line, and each
 *  year complete against the statutory rules), and stored in each node's
 *  database as one version per load (deploy/sql/0014_calendar.sql).
 *
 *  A year without a loaded notice is not refused: it is provisional, made
 *  from 《全国年节及纪念日放假办法》 (as revised in 2024, in force from
 *  2025; the 2013 text before): the seven statutory holidays on their
 *  dates, the lunar ones from the lunar table (kc_calendar_lunar.h), and a
 *  statutory day that falls on a Saturday or Sunday made up on the next
 *  weekday that is not already off (补假, which the law requires). No 调休
 *  is guessed. Every answer says whether it rested on a provisional year.
 *
 *  Dates are China Standard Time, UTC+8 with no daylight saving (none
 *  since 1991), worked out from UTC milliseconds: no locale, no timezone
 *  database.
 */
#ifndef KC_CALENDAR_H
#define KC_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"

#define KC_CALENDAR_CST_OFFSET_MS (8 * 3600 * 1000LL) /* China Standard Time: UTC+8 */
#define KC_CALENDAR_MAX_DAYS      366  /* longest window kc_calendar_add_workdays counts */
#define KC_CALENDAR_FIRST_YEAR    2014 /* the first year under the 2013 statutory rules */
#define KC_CALENDAR_LAST_YEAR     2099 /* the last year of the lunar table */
#define KC_CALENDAR_NAME_BYTES    129  /* a row's name: 32 characters of UTF-8 and NUL */
#define KC_CALENDAR_NOTICE_BYTES  385  /* a notice's title: 128 characters and NUL */

/* Said wherever a date was counted on a provisional year. */
#define KC_CALENDAR_PROVISIONAL_NOTE "按法定节假日推算，待国务院办公厅通知发布后核定"

typedef enum {
    KC_CALENDAR_HOLIDAY = 1, /* a Monday..Friday that is off */
    KC_CALENDAR_WORKDAY,     /* a Saturday or Sunday that is worked (调休) */
} kc_calendar_kind_t;

typedef struct {
    int date;                          /* yyyymmdd, e.g. 20251001 */
    kc_calendar_kind_t kind;           /* what the day is, against its weekday */
    char name[KC_CALENDAR_NAME_BYTES]; /* the holiday it belongs to, e.g. 国庆节、中秋节 */
    int line;                          /* the file's line it was read from, 0 if none */
} kc_calendar_day_t;

typedef struct {
    int year;                              /* the Gregorian year */
    kc_calendar_day_t *days;               /* exception days, sorted by date; owned */
    size_t count;                          /* entries in days */
    char notice[KC_CALENDAR_NOTICE_BYTES]; /* the notice's title and number, "" if unknown */
    int issued;                            /* the notice's date, yyyymmdd, 0 if unknown */
    int version;                           /* the node's version of the year, 0 if none */
} kc_calendar_year_t;

typedef struct {
    kc_calendar_year_t *years; /* the official years, sorted, each once; owned */
    size_t count;              /* entries in years; every other year is provisional */
} kc_calendar_t;

/* Read a notice transcribed as CSV text (`size` bytes): a header line
 * "date,kind,name", then one row per exception day in any order; blank
 * lines are skipped, CRLF is accepted. Every problem is added to `errors`,
 * none stops the reading: a bad header, a date that is not a real
 * YYYY-MM-DD in KC_CALENDAR_FIRST_YEAR..KC_CALENDAR_LAST_YEAR, a kind other
 * than holiday or workday, a name that is empty, not UTF-8, too long or
 * names none of the seven holidays, a holiday on a weekend, a workday on a
 * weekday, a date given twice (fields "calendar.line[N].<column>"), and
 * for each year the file touches, everything that keeps it from being
 * complete (kc_calendar_check_year). Returns 0 with `out` holding the
 * years (release it), or -1 with `out` empty. */
int kc_calendar_parse(kc_calendar_t *out, const char *csv_text, size_t size, kc_errors_t *errors);

/* A year is official only when complete: each statutory day that falls on
 * a weekday is a holiday row; each holiday has at least as many weekday
 * holiday rows naming it as it has statutory days (those on a weekend are
 * made up on weekdays); a holiday row lies within 7 days of a statutory
 * day of the holiday it names, a workday row within 14. `days` are the
 * year's rows, sorted. Adds every problem (field "calendar.year[Y].<节日>"
 * or the row's line) and returns 0 if none, else -1. */
int kc_calendar_check_year(int year, const kc_calendar_day_t *days, size_t count,
                           kc_errors_t *errors);

/* Put an official year into `self` (a copy of `days`, sorted), replacing
 * the year if it is there; `days` must not be that year's own days in
 * `self`, which are freed first. Returns 0. */
int kc_calendar_set_year(kc_calendar_t *self, int year, const kc_calendar_day_t *days, size_t count,
                         const char *notice, int issued, int version);

/* The official year, or NULL when `year` is provisional. */
const kc_calendar_year_t *kc_calendar_year(const kc_calendar_t *self, int year);

/* The provisional year made from the statutory rules (its notice empty,
 * version 0): holidays only, sorted. Returns 0, or -1 with `error` set
 * (validation.year_out_of_range) outside the years the rules and the lunar
 * table know. Release it with kc_calendar_year_release. */
int kc_calendar_provisional_year(int year, kc_calendar_year_t *out, kc_error_t *error);

void kc_calendar_year_release(kc_calendar_year_t *year);

/* 1 if the date yyyymmdd is a working day, 0 if not; -1 with `error` set
 * when it is not a real date or outside the years known. `*provisional`
 * (may be NULL) says whether the answer came from a provisional year. */
int kc_calendar_is_workday(const kc_calendar_t *self, int yyyymmdd, bool *provisional,
                           kc_error_t *error);

/* The end of a window published at `start_ms` (UTC milliseconds) lasting
 * `days` (1..KC_CALENDAR_MAX_DAYS) working days. The publication day does
 * not count, whatever the hour: the window's first day is the first
 * working day after the start's date (CST), and it closes at 24:00 CST of
 * its last working day, i.e. 00:00 CST of the next day, which is what
 * `*end_ms` holds. For example a notice published on Thursday 2025-09-25
 * for 5 working days runs Fri 26, Sun 28 (调休 workday), Mon 29, Tue 30,
 * skips 国庆/中秋 of 1..8 October and the weekend, and takes Thu 9
 * October: it ends 2025-10-09T16:00:00Z. `*provisional` (may be NULL) is
 * set when any day counted or skipped lies in a provisional year. Returns
 * 0, or -1 with `error` set when `days` is out of range or the window
 * leaves the years known. */
int kc_calendar_add_workdays(const kc_calendar_t *self, int64_t start_ms, int days, int64_t *end_ms,
                             bool *provisional, kc_error_t *error);

/* The CST date (yyyymmdd) of an instant in UTC milliseconds; for the last
 * day of a window ending at end_ms, ask for end_ms - 1. */
int kc_calendar_cst_date(int64_t utc_ms);

/* "YYYY-MM-DD" of a real date as yyyymmdd, or -1. */
int kc_calendar_parse_date(const char *text);

/* Whether yyyymmdd is a real date (years 1..9999). */
bool kc_calendar_date_valid(int yyyymmdd);

/* The weekday of the date yyyymmdd: 0 Sunday .. 6 Saturday. */
int kc_calendar_weekday_of(int yyyymmdd);

/* Free every year and leave the calendar empty; safe on an empty one. */
void kc_calendar_release(kc_calendar_t *self);

#endif
