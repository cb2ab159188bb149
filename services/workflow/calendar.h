/*  calendar: China's working days, from a calendar kept as data.
 *
 *  A public notice (公示) lasts N working days (工作日), and which days work
 *  is decided each year by the State Council General Office's notice on
 *  the holiday arrangements (国务院办公厅关于20XX年部分节假日安排的通知):
 *  some weekdays are off (statutory holidays and the days moved next to
 *  them) and some Saturdays and Sundays are worked in exchange (调休).
 *  No rule computes those days, so they are data:
 *  deploy/data/calendar/cn-workdays.csv, one row per exception day,
 *
 *      date,kind,name
 *      2025-01-28,holiday,春节     a weekday that is off
 *      2025-02-08,workday,春节     a Saturday or Sunday that is worked
 *
 *  Every other day follows the week: Monday to Friday work, Saturday and
 *  Sunday do not. Weekend days inside a holiday are not listed (they are
 *  off anyway), and the loader refuses them, as it refuses a weekday
 *  `workday`, so that a typo in a date cannot hide. The covered years run
 *  from the first row's year to the last; every year between must have
 *  rows. A date outside them is refused, never guessed: a notice window
 *  that would run into a year nobody has entered yet is an error that
 *  says to add the year (deploy/data/calendar/README.md).
 *
 *  Dates are China Standard Time, UTC+8 with no daylight saving (none
 *  since 1991), worked out by hand from UTC milliseconds: no locale, no
 *  timezone database.
 */
#ifndef WORKFLOW_CALENDAR_H
#define WORKFLOW_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"

#define WF_CALENDAR_CST_OFFSET_MS (8 * 3600 * 1000LL) /* China Standard Time: UTC+8 */
#define WF_CALENDAR_MAX_DAYS      366 /* longest window calendar_add_workdays counts */

typedef enum {
    WF_CALENDAR_HOLIDAY = 1, /* a Monday..Friday that is off */
    WF_CALENDAR_WORKDAY,     /* a Saturday or Sunday that is worked (调休) */
} wf_calendar_kind_t;

typedef struct {
    int date;                /* yyyymmdd, e.g. 20251001 */
    wf_calendar_kind_t kind; /* what the day is, against its weekday */
} wf_calendar_day_t;

typedef struct {
    wf_calendar_day_t *days; /* exception days, sorted by date, no duplicates; owned */
    size_t count;            /* entries in days; 0: an empty calendar covers nothing */
    int first_year;          /* first covered year */
    int last_year;           /* last covered year; every year between has rows */
} wf_calendar_t;

/* Read the CSV text (`size` bytes, NUL not needed): a header line
 * "date,kind,name", then one row per exception day in any order; blank
 * lines are skipped, CRLF is accepted. Strict: a bad header, a date that
 * is not a real "YYYY-MM-DD" (1900..9999), a kind other than holiday or
 * workday, an empty or non-UTF-8 name, a holiday on a Saturday or Sunday,
 * a workday on a weekday, a date given twice, a covered year without rows
 * are each an error in `errors`, field "calendar.line[N].<column>" and
 * detail "line N", and every one is reported. Returns 0 with `out` filled
 * (release it with calendar_release), or -1 with `out` empty. */
int calendar_load(wf_calendar_t *out, const char *csv_text, size_t size, kc_errors_t *errors);

/* 1 if the date yyyymmdd is a working day, 0 if not; -1 with `error` set
 * when it is not a real date (validation.invalid_date) or its year is not
 * covered (validation.year_out_of_range): refuse rather than guess. */
int calendar_is_workday(const wf_calendar_t *calendar, int yyyymmdd, kc_error_t *error);

/* The end of a public notice published at `start_ms` (UTC milliseconds)
 * lasting `days` (1..WF_CALENDAR_MAX_DAYS) working days. The publication
 * day does not count, whatever the hour: the window's first day is the
 * first working day after the start's date (CST), and it closes at 24:00
 * CST of its last working day, i.e. 00:00 CST of the next day, which is
 * what `*end_ms` holds (a timer due at end_ms fires exactly when the last
 * day is over). For example a notice published on Thursday 2025-09-25
 * for 5 working days runs Fri 26, Sun 28 (调休 workday), Mon 29, Tue 30,
 * skips the 国庆/中秋 holiday of 1..8 October and the weekend, and takes
 * Thu 9 October: it ends 2025-10-09 24:00 CST = 2025-10-09T16:00:00Z.
 * Returns 0, or -1 with `error` set when `days` is out of range or the
 * window reaches a year the calendar does not cover. */
int calendar_add_workdays(const wf_calendar_t *calendar, int64_t start_ms, int days,
                          int64_t *end_ms, kc_error_t *error);

/* The CST date (yyyymmdd) of an instant in UTC milliseconds; for the last
 * day of a window ending at end_ms, ask for end_ms - 1. */
int calendar_cst_date(int64_t utc_ms);

/* Free the days and leave the calendar empty; safe on an empty one. */
void calendar_release(wf_calendar_t *calendar);

#endif
