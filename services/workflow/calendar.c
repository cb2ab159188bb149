/*  calendar: reading the working-day calendar and counting notice windows.
 *
 *  The file (format in calendar.h and deploy/data/calendar/README.md) is
 *  read line by line into rows that remember their line number, checked
 *  one by one (a real date, a known kind, a name, the kind agreeing with
 *  the weekday), then sorted by date so that duplicates sit next to each
 *  other and the covered years can be checked for gaps. Every problem is
 *  collected before the load fails, so whoever edits the file for a new
 *  year sees all of their mistakes at once.
 *
 *  Dates are counted as days since 1970-01-01 with Howard Hinnant's
 *  days_from_civil / civil_from_days (proleptic Gregorian, exact for any
 *  year), which also gives the weekday: 1970-01-01 was a Thursday. An
 *  instant becomes a China Standard Time date by adding the fixed UTC+8
 *  offset; China has kept no daylight saving since 1991, so no timezone
 *  database is needed, and the host's TZ and locale never matter.
 */
#include "workflow/calendar.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_check.h"

#define S_DAY_MS        86400000LL
#define S_LINE_MAX      256 /* bytes in a line: rows are ~40 */
#define S_NAME_MAX      32  /* characters in a holiday name */
#define S_YEAR_MIN      1900
#define S_YEAR_MAX      9999
#define S_HEADER        "date,kind,name"
#define S_CALENDAR_FILE "deploy/data/calendar/cn-workdays.csv"

typedef struct {
    int date;                /* yyyymmdd */
    wf_calendar_kind_t kind; /* holiday or workday */
    int line;                /* where it was read, for the errors found after sorting */
} s_row_t;

typedef struct {
    s_row_t *rows;        /* rows read so far */
    size_t count;         /* rows in use */
    size_t capacity;      /* rows allocated */
    kc_errors_t *errors;  /* where problems go */
    size_t errors_before; /* errors->total when the load began */
} s_reader_t;

/* ---- civil dates ---------------------------------------------------------- */

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant): the year
 * is taken to start on 1 March so that the leap day falls at its end. */
static int64_t s_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = s_floor_div(y, 400);
    const int64_t yoe = y - era * 400;                                   /* [0, 399] */
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static void s_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = s_floor_div(z, 146097);
    const int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    const int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 0 Sunday .. 6 Saturday; day 0 (1970-01-01) was a Thursday. */
static int s_weekday(int64_t z)
{
    return (int)(z + 4 - s_floor_div(z + 4, 7) * 7);
}

static bool s_is_weekend(int64_t z)
{
    int weekday = s_weekday(z);
    return weekday == 0 || weekday == 6;
}

static bool s_date_valid(int y, int m, int d)
{
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < S_YEAR_MIN || y > S_YEAR_MAX || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= month_days[m - 1] + (m == 2 && leap);
}

/* Days since the epoch of the CST date holding the instant, without
 * overflow near the int64 limits: split off whole UTC days first. */
static int64_t s_cst_day(int64_t utc_ms)
{
    int64_t day = s_floor_div(utc_ms, S_DAY_MS);
    int64_t rest = utc_ms - day * S_DAY_MS; /* [0, S_DAY_MS) */
    return rest >= S_DAY_MS - WF_CALENDAR_CST_OFFSET_MS ? day + 1 : day;
}

static int s_yyyymmdd(int64_t z)
{
    int64_t y;
    int m, d;
    s_civil_from_days(z, &y, &m, &d);
    if (y < 1 || y > S_YEAR_MAX)
        return -1;
    return (int)y * 10000 + m * 100 + d;
}

int calendar_cst_date(int64_t utc_ms)
{
    return s_yyyymmdd(s_cst_day(utc_ms));
}

/* ---- reading the file ----------------------------------------------------- */

static kc_error_t *s_note(s_reader_t *reader, kc_error_code_t code, int line, const char *column,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static kc_error_t *s_note(s_reader_t *reader, kc_error_code_t code, int line, const char *column,
                          const char *fmt, ...)
{
    char field[KC_ERROR_FIELD_MAX];
    char message[KC_ERROR_MESSAGE_MAX];
    if (column)
        snprintf(field, sizeof field, "calendar.line[%d].%s", line, column);
    else
        snprintf(field, sizeof field, "calendar.line[%d]", line);
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    kc_error_t *error = kc_errors_add(reader->errors, code, field, "%s", message);
    if (error)
        kc_error_detail(error, "line %d", line);
    return error;
}

/* "YYYY-MM-DD" and a real date, into yyyymmdd; -1 if not. */
static int s_parse_date(const char *text, size_t size)
{
    static const char shape[] = "dddd-dd-dd";
    if (size != sizeof shape - 1)
        return -1;
    int value = 0;
    for (size_t i = 0; i < size; i++) {
        bool digit = text[i] >= '0' && text[i] <= '9';
        if (shape[i] == 'd' ? !digit : text[i] != '-')
            return -1;
        if (digit)
            value = value * 10 + (text[i] - '0');
    }
    return s_date_valid(value / 10000, value / 100 % 100, value % 100) ? value : -1;
}

static int64_t s_days_of(int yyyymmdd)
{
    return s_days_from_civil(yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
}

static void s_push(s_reader_t *reader, int date, wf_calendar_kind_t kind, int line)
{
    if (reader->count == reader->capacity) {
        size_t capacity = reader->capacity ? reader->capacity * 2 : 64;
        s_row_t *rows = realloc(reader->rows, capacity * sizeof *rows);
        if (!rows)
            abort(); /* out of memory: the project's allocators abort too */
        reader->rows = rows;
        reader->capacity = capacity;
    }
    reader->rows[reader->count++] = (s_row_t){.date = date, .kind = kind, .line = line};
}

/* The three columns of a row, or -1 after noting the problem. */
static int s_split(s_reader_t *reader, const char *text, size_t size, int line,
                   const char *columns[3], size_t lengths[3])
{
    size_t n = 0;
    const char *start = text;
    for (const char *p = text; p <= text + size; p++) {
        if (p < text + size && *p != ',')
            continue;
        if (n < 3) {
            columns[n] = start;
            lengths[n] = (size_t)(p - start);
        }
        n++;
        start = p + 1;
    }
    if (n != 3) {
        s_note(reader, KC_ERR_INVALID_FORMAT, line, NULL,
               "row has %zu columns, expected 3 (date,kind,name)", n);
        return -1;
    }
    return 0;
}

static void s_check_name(s_reader_t *reader, const char *text, size_t size, int line)
{
    char name[S_LINE_MAX + 1];
    memcpy(name, text, size);
    name[size] = '\0';
    long chars = kc_utf8_length(name);
    if (size == 0)
        s_note(reader, KC_ERR_REQUIRED, line, "name", "name is empty");
    else if (chars < 0)
        s_note(reader, KC_ERR_INVALID_UTF8, line, "name", "name is not valid UTF-8");
    else if (chars > S_NAME_MAX)
        s_note(reader, KC_ERR_TOO_LONG, line, "name", "name is %ld characters, at most %d", chars,
               S_NAME_MAX);
}

/* One data row: every column is checked even after a bad one. */
static void s_read_row(s_reader_t *reader, const char *text, size_t size, int line)
{
    const char *columns[3];
    size_t lengths[3];
    if (s_split(reader, text, size, line, columns, lengths) < 0)
        return;
    int date = s_parse_date(columns[0], lengths[0]);
    if (date < 0)
        s_note(reader, KC_ERR_INVALID_DATE, line, "date",
               "date '%.*s' is not a real date YYYY-MM-DD (%d..%d)", (int)lengths[0], columns[0],
               S_YEAR_MIN, S_YEAR_MAX);
    wf_calendar_kind_t kind = 0;
    if (lengths[1] == 7 && memcmp(columns[1], "holiday", 7) == 0)
        kind = WF_CALENDAR_HOLIDAY;
    else if (lengths[1] == 7 && memcmp(columns[1], "workday", 7) == 0)
        kind = WF_CALENDAR_WORKDAY;
    else
        s_note(reader, KC_ERR_INVALID_FORMAT, line, "kind",
               "kind '%.*s' is neither holiday nor workday", (int)lengths[1], columns[1]);
    s_check_name(reader, columns[2], lengths[2], line);
    if (date < 0 || kind == 0)
        return;
    bool weekend = s_is_weekend(s_days_of(date));
    if (kind == WF_CALENDAR_HOLIDAY && weekend)
        s_note(reader, KC_ERR_INVALID_DATE, line, "date",
               "holiday '%.*s' falls on a weekend, which is off anyway", (int)lengths[0],
               columns[0]);
    else if (kind == WF_CALENDAR_WORKDAY && !weekend)
        s_note(reader, KC_ERR_INVALID_DATE, line, "date",
               "workday '%.*s' falls on a weekday, which works anyway", (int)lengths[0],
               columns[0]);
    else
        s_push(reader, date, kind, line);
}

/* One line, without its end; `seen_header` tells whether the header is behind. */
static void s_read_line(s_reader_t *reader, const char *text, size_t size, int line,
                        bool *seen_header)
{
    if (size > 0 && text[size - 1] == '\r')
        size--;
    if (size == 0)
        return;
    if (size > S_LINE_MAX) {
        s_note(reader, KC_ERR_TOO_LONG, line, NULL, "line is %zu bytes, at most %d", size,
               S_LINE_MAX);
    } else if (memchr(text, '\0', size)) {
        s_note(reader, KC_ERR_INVALID_FORMAT, line, NULL, "line holds a NUL byte");
    } else if (!*seen_header) {
        if (size != strlen(S_HEADER) || memcmp(text, S_HEADER, size) != 0)
            s_note(reader, KC_ERR_INVALID_FORMAT, line, NULL, "header is '%.*s', expected '%s'",
                   (int)size, text, S_HEADER);
    } else {
        s_read_row(reader, text, size, line);
    }
    *seen_header = true;
}

static int s_row_compare(const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* After sorting: a date given twice, and a covered year without rows. */
static void s_check_sorted(s_reader_t *reader)
{
    for (size_t i = 1; i < reader->count; i++) {
        const s_row_t *first = &reader->rows[i - 1], *again = &reader->rows[i];
        if (again->date != first->date)
            continue;
        kc_error_t *error = s_note(reader, KC_ERR_DUPLICATE_IN_BATCH, again->line, "date",
                                   "date %04d-%02d-%02d is given twice", again->date / 10000,
                                   again->date / 100 % 100, again->date % 100);
        if (error)
            kc_error_detail(error, "line %d, first given on line %d", again->line, first->line);
    }
    for (size_t i = 1; i < reader->count; i++) {
        int before = reader->rows[i - 1].date / 10000, year = reader->rows[i].date / 10000;
        for (int missing = before + 1; missing < year; missing++)
            s_note(reader, KC_ERR_REQUIRED, reader->rows[i].line, "date",
                   "year %d has no rows, yet %d and %d do: a calendar covers whole years", missing,
                   before, year);
    }
}

int calendar_load(wf_calendar_t *out, const char *csv_text, size_t size, kc_errors_t *errors)
{
    assert(out && errors && (csv_text || size == 0));
    memset(out, 0, sizeof *out);
    s_reader_t reader = {.errors = errors, .errors_before = errors->total};
    bool seen_header = false;
    int line = 1;
    for (size_t at = 0; at < size; line++) {
        const char *end = memchr(csv_text + at, '\n', size - at);
        size_t length = end ? (size_t)(end - (csv_text + at)) : size - at;
        s_read_line(&reader, csv_text + at, length, line, &seen_header);
        at += length + 1;
    }
    if (reader.count == 0 && errors->total == reader.errors_before)
        kc_errors_add(errors, KC_ERR_EMPTY_BATCH, "calendar", "calendar has no rows");
    if (reader.count > 0)
        qsort(reader.rows, reader.count, sizeof *reader.rows, s_row_compare);
    s_check_sorted(&reader);
    if (errors->total != reader.errors_before) {
        free(reader.rows);
        return -1;
    }
    out->days = calloc(reader.count, sizeof *out->days);
    if (!out->days)
        abort();
    for (size_t i = 0; i < reader.count; i++)
        out->days[i] =
            (wf_calendar_day_t){.date = reader.rows[i].date, .kind = reader.rows[i].kind};
    out->count = reader.count;
    out->first_year = reader.rows[0].date / 10000;
    out->last_year = reader.rows[reader.count - 1].date / 10000;
    free(reader.rows);
    return 0;
}

void calendar_release(wf_calendar_t *calendar)
{
    if (!calendar)
        return;
    free(calendar->days);
    memset(calendar, 0, sizeof *calendar);
}

/* ---- asking it ------------------------------------------------------------ */

static int s_day_compare(const void *key, const void *element)
{
    int date = *(const int *)key;
    const wf_calendar_day_t *day = element;
    return (date > day->date) - (date < day->date);
}

static int s_refuse_year(const wf_calendar_t *calendar, int year, kc_error_t *error)
{
    kc_error_set(error, KC_ERR_YEAR_OUT_OF_RANGE, "calendar",
                 "year %d is not in the working-day calendar", year);
    if (calendar->count == 0)
        kc_error_detail(error, "the calendar is empty");
    else
        kc_error_detail(error, "the calendar covers %d..%d", calendar->first_year,
                        calendar->last_year);
    kc_error_hint(error,
                  "add the State Council's holiday notice for %d to %s "
                  "(deploy/data/calendar/README.md)",
                  year, S_CALENDAR_FILE);
    return -1;
}

int calendar_is_workday(const wf_calendar_t *calendar, int yyyymmdd, kc_error_t *error)
{
    assert(calendar && error);
    int year = yyyymmdd / 10000, month = yyyymmdd / 100 % 100, day = yyyymmdd % 100;
    if (yyyymmdd < 0 || !s_date_valid(year, month, day))
        return kc_error_set(error, KC_ERR_INVALID_DATE, "date",
                            "date %d is not a real date yyyymmdd (%d..%d)", yyyymmdd, S_YEAR_MIN,
                            S_YEAR_MAX);
    if (calendar->count == 0 || year < calendar->first_year || year > calendar->last_year)
        return s_refuse_year(calendar, year, error);
    const wf_calendar_day_t *found =
        bsearch(&yyyymmdd, calendar->days, calendar->count, sizeof *calendar->days, s_day_compare);
    if (found)
        return found->kind == WF_CALENDAR_WORKDAY;
    return !s_is_weekend(s_days_of(yyyymmdd));
}

int calendar_add_workdays(const wf_calendar_t *calendar, int64_t start_ms, int days,
                          int64_t *end_ms, kc_error_t *error)
{
    assert(calendar && end_ms && error);
    if (days < 1 || days > WF_CALENDAR_MAX_DAYS)
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "days",
                            "notice window of %d working days is out of range 1..%d", days,
                            WF_CALENDAR_MAX_DAYS);
    int64_t z = s_cst_day(start_ms);
    int start_date = s_yyyymmdd(z);
    if (start_date < 0)
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "start",
                            "notice start %lld ms is outside years 1..%d", (long long)start_ms,
                            S_YEAR_MAX);
    /* Each step either counts a day or moves towards the end of the
     * covered years, where calendar_is_workday refuses: the loop ends. */
    for (int counted = 0; counted < days;) {
        int rc = calendar_is_workday(calendar, s_yyyymmdd(++z), error);
        if (rc < 0) {
            kc_error_detail(error,
                            "a notice of %d working days published on %04d-%02d-%02d counted %d "
                            "before leaving the years covered (%d..%d)",
                            days, start_date / 10000, start_date / 100 % 100, start_date % 100,
                            counted, calendar->first_year, calendar->last_year);
            return -1;
        }
        counted += rc;
    }
    *end_ms = (z + 1) * S_DAY_MS - WF_CALENDAR_CST_OFFSET_MS;
    return 0;
}
