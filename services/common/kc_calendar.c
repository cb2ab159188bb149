/*  kc_calendar: the working-day calendar, read from a transcribed notice
 *  and asked for working days.
 *
 *  A file is read line by line into rows that remember their line number,
 *  each checked on its own (a real date, a known kind, a name, the kind
 *  agreeing with the weekday), then sorted by date so that duplicates sit
 *  next to each other, grouped by year, and each year checked complete
 *  (kc_calendar_year.c). Every problem is collected before the parse
 *  fails, so whoever transcribes a notice sees all of their mistakes at
 *  once.
 *
 *  Asking: a date in an official year is looked up among its exceptions,
 *  a date in any other year in the provisional year the law gives, made
 *  afresh for the question (a dozen dates: cheaper than keeping them), or
 *  once per year a window crosses.
 *  An instant becomes a China Standard Time date by adding the fixed UTC+8
 *  offset; China has kept no daylight saving since 1991.
 */
#include "kc/kc_calendar.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_check.h"
#include "kc_calendar_date.h"

#define S_DAY_MS   86400000LL
#define S_LINE_MAX 256 /* bytes in a line: rows are ~40 */
#define S_NAME_MAX 32  /* characters in a holiday name */
#define S_HEADER   "date,kind,name"

typedef struct {
    kc_calendar_day_t *rows; /* rows read so far */
    size_t count;            /* rows in use */
    size_t capacity;         /* rows allocated */
    kc_errors_t *errors;     /* where problems go */
} s_reader_t;

/* ---- reading a file --------------------------------------------------------- */

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
    return kc_calendar_date_valid(value) ? value : -1;
}

int kc_calendar_parse_date(const char *text)
{
    return text ? s_parse_date(text, strlen(text)) : -1;
}

static kc_calendar_day_t *s_push(s_reader_t *reader)
{
    if (reader->count == reader->capacity) {
        size_t capacity = reader->capacity ? reader->capacity * 2 : 64;
        kc_calendar_day_t *rows = realloc(reader->rows, capacity * sizeof *rows);
        if (!rows)
            abort(); /* out of memory: the project's allocators abort too */
        reader->rows = rows;
        reader->capacity = capacity;
    }
    kc_calendar_day_t *row = &reader->rows[reader->count++];
    memset(row, 0, sizeof *row);
    return row;
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
               "该行有 %zu 列，应为 3 列（date,kind,name）", n);
        return -1;
    }
    return 0;
}

static bool s_check_name(s_reader_t *reader, const char *name, size_t size, int line)
{
    long chars = kc_utf8_length(name);
    if (size == 0)
        s_note(reader, KC_ERR_REQUIRED, line, "name", "名称为空");
    else if (chars < 0)
        s_note(reader, KC_ERR_INVALID_UTF8, line, "name", "名称不是有效的 UTF-8");
    else if (chars > S_NAME_MAX)
        s_note(reader, KC_ERR_TOO_LONG, line, "name", "名称有 %ld 个字符，至多 %d 个", chars,
               S_NAME_MAX);
    else
        return true;
    return false;
}

/* One data row: every column is checked even after a bad one. */
static void s_read_row(s_reader_t *reader, const char *text, size_t size, int line)
{
    const char *columns[3];
    size_t lengths[3];
    if (s_split(reader, text, size, line, columns, lengths) < 0)
        return;
    int date = s_parse_date(columns[0], lengths[0]);
    if (date < 0 || date / 10000 < KC_CALENDAR_FIRST_YEAR || date / 10000 > KC_CALENDAR_LAST_YEAR)
        s_note(reader, KC_ERR_INVALID_DATE, line, "date",
               "日期“%.*s”不是 %d..%d 年间真实的 YYYY-MM-DD 日期", (int)lengths[0], columns[0],
               KC_CALENDAR_FIRST_YEAR, KC_CALENDAR_LAST_YEAR);
    kc_calendar_kind_t kind = 0;
    if (lengths[1] == 7 && memcmp(columns[1], "holiday", 7) == 0)
        kind = KC_CALENDAR_HOLIDAY;
    else if (lengths[1] == 7 && memcmp(columns[1], "workday", 7) == 0)
        kind = KC_CALENDAR_WORKDAY;
    else
        s_note(reader, KC_ERR_INVALID_FORMAT, line, "kind",
               "类型“%.*s”应为 holiday（放假）或 workday（调休上班）", (int)lengths[1], columns[1]);
    char name[S_LINE_MAX + 1];
    memcpy(name, columns[2], lengths[2]);
    name[lengths[2]] = '\0';
    bool name_ok = s_check_name(reader, name, lengths[2], line);
    if (date < 0 || date / 10000 < KC_CALENDAR_FIRST_YEAR || date / 10000 > KC_CALENDAR_LAST_YEAR ||
        kind == 0 || !name_ok)
        return;
    bool weekend = kc_calendar_is_weekend(date);
    if (kind == KC_CALENDAR_HOLIDAY && weekend) {
        s_note(reader, KC_ERR_INVALID_DATE, line, "date",
               "放假日 %.*s 是周六或周日，本来就不上班：只列出放假的工作日", (int)lengths[0],
               columns[0]);
        return;
    }
    if (kind == KC_CALENDAR_WORKDAY && !weekend) {
        s_note(reader, KC_ERR_INVALID_DATE, line, "date",
               "调休上班日 %.*s 是周一至周五，本来就上班：只列出上班的周六、周日", (int)lengths[0],
               columns[0]);
        return;
    }
    kc_calendar_day_t *row = s_push(reader);
    row->date = date;
    row->kind = kind;
    row->line = line;
    snprintf(row->name, sizeof row->name, "%.128s", name);
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
        s_note(reader, KC_ERR_TOO_LONG, line, NULL, "该行有 %zu 字节，至多 %d", size, S_LINE_MAX);
    } else if (memchr(text, '\0', size)) {
        s_note(reader, KC_ERR_INVALID_FORMAT, line, NULL, "该行含有 NUL 字节");
    } else if (!*seen_header) {
        if (size != strlen(S_HEADER) || memcmp(text, S_HEADER, size) != 0)
            s_note(reader, KC_ERR_INVALID_FORMAT, line, NULL, "表头是“%.*s”，应为“%s”", (int)size,
                   text, S_HEADER);
    } else {
        s_read_row(reader, text, size, line);
    }
    *seen_header = true;
}

static int s_row_compare(const void *a, const void *b)
{
    const kc_calendar_day_t *x = a, *y = b;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* After sorting: a date given twice. */
static void s_check_duplicates(s_reader_t *reader)
{
    for (size_t i = 1; i < reader->count; i++) {
        const kc_calendar_day_t *first = &reader->rows[i - 1], *again = &reader->rows[i];
        if (again->date != first->date)
            continue;
        kc_error_t *error =
            s_note(reader, KC_ERR_DUPLICATE_IN_BATCH, again->line, "date",
                   "日期 %04d-%02d-%02d 出现两次（第 %d 行已有）", again->date / 10000,
                   again->date / 100 % 100, again->date % 100, first->line);
        if (error)
            kc_error_detail(error, "line %d, first given on line %d", again->line, first->line);
    }
}

int kc_calendar_parse(kc_calendar_t *out, const char *csv_text, size_t size, kc_errors_t *errors)
{
    assert(out && errors && (csv_text || size == 0));
    memset(out, 0, sizeof *out);
    size_t before = errors->total;
    s_reader_t reader = {.errors = errors};
    bool seen_header = false;
    int line = 1;
    /* a sheet saved as "CSV UTF-8" by Excel or WPS begins with a BOM */
    if (size >= 3 && memcmp(csv_text, "\xEF\xBB\xBF", 3) == 0) {
        csv_text += 3;
        size -= 3;
    }
    for (size_t at = 0; at < size; line++) {
        const char *end = memchr(csv_text + at, '\n', size - at);
        size_t length = end ? (size_t)(end - (csv_text + at)) : size - at;
        s_read_line(&reader, csv_text + at, length, line, &seen_header);
        at += length + 1;
    }
    if (reader.count == 0 && errors->total == before)
        kc_errors_add(errors, KC_ERR_EMPTY_BATCH, "calendar", "文件中没有日期行");
    if (reader.count > 0)
        qsort(reader.rows, reader.count, sizeof *reader.rows, s_row_compare);
    s_check_duplicates(&reader);
    for (size_t i = 0; i < reader.count;) {
        size_t end = i;
        int year = reader.rows[i].date / 10000;
        while (end < reader.count && reader.rows[end].date / 10000 == year)
            end++;
        if (kc_calendar_check_year(year, reader.rows + i, end - i, errors) == 0)
            kc_calendar_set_year(out, year, reader.rows + i, end - i, "", 0, 0);
        i = end;
    }
    free(reader.rows);
    if (errors->total != before) {
        kc_calendar_release(out);
        return -1;
    }
    return 0;
}

/* ---- the official years ----------------------------------------------------- */

static int s_year_compare(const void *a, const void *b)
{
    const kc_calendar_year_t *x = a, *y = b;
    return (x->year > y->year) - (x->year < y->year);
}

int kc_calendar_set_year(kc_calendar_t *self, int year, const kc_calendar_day_t *days, size_t count,
                         const char *notice, int issued, int version)
{
    kc_calendar_year_t *slot = (kc_calendar_year_t *)kc_calendar_year(self, year);
    if (slot) {
        kc_calendar_year_release(slot);
    } else {
        kc_calendar_year_t *years = realloc(self->years, (self->count + 1) * sizeof *years);
        if (!years)
            abort();
        self->years = years;
        slot = &self->years[self->count++];
        memset(slot, 0, sizeof *slot);
    }
    slot->year = year;
    slot->days = calloc(count ? count : 1, sizeof *slot->days);
    if (!slot->days)
        abort();
    if (count)
        memcpy(slot->days, days, count * sizeof *days);
    qsort(slot->days, count, sizeof *slot->days, s_row_compare);
    slot->count = count;
    snprintf(slot->notice, sizeof slot->notice, "%s", notice ? notice : "");
    slot->issued = issued;
    slot->version = version;
    qsort(self->years, self->count, sizeof *self->years, s_year_compare);
    return 0;
}

const kc_calendar_year_t *kc_calendar_year(const kc_calendar_t *self, int year)
{
    kc_calendar_year_t key = {.year = year};
    return self->count
               ? bsearch(&key, self->years, self->count, sizeof *self->years, s_year_compare)
               : NULL;
}

void kc_calendar_release(kc_calendar_t *self)
{
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        kc_calendar_year_release(&self->years[i]);
    free(self->years);
    memset(self, 0, sizeof *self);
}

/* ---- asking it -------------------------------------------------------------- */

static int s_day_compare(const void *key, const void *element)
{
    int date = *(const int *)key;
    const kc_calendar_day_t *day = element;
    return (date > day->date) - (date < day->date);
}

static int s_workday_in(const kc_calendar_year_t *year, int yyyymmdd)
{
    const kc_calendar_day_t *found =
        year->count ? bsearch(&yyyymmdd, year->days, year->count, sizeof *year->days, s_day_compare)
                    : NULL;
    if (found)
        return found->kind == KC_CALENDAR_WORKDAY;
    return !kc_calendar_is_weekend(yyyymmdd);
}

int kc_calendar_is_workday(const kc_calendar_t *self, int yyyymmdd, bool *provisional,
                           kc_error_t *error)
{
    assert(self && error);
    if (!kc_calendar_date_valid(yyyymmdd))
        return kc_error_set(error, KC_ERR_INVALID_DATE, "date", "%d 不是真实的日期 yyyymmdd",
                            yyyymmdd);
    const kc_calendar_year_t *official = kc_calendar_year(self, yyyymmdd / 10000);
    if (provisional)
        *provisional = !official;
    if (official)
        return s_workday_in(official, yyyymmdd);
    kc_calendar_year_t made;
    if (kc_calendar_provisional_year(yyyymmdd / 10000, &made, error))
        return -1;
    int rc = s_workday_in(&made, yyyymmdd);
    kc_calendar_year_release(&made);
    return rc;
}

static int64_t s_cst_day(int64_t utc_ms)
{
    int64_t day = utc_ms / S_DAY_MS - (utc_ms % S_DAY_MS < 0);
    int64_t rest = utc_ms - day * S_DAY_MS; /* [0, S_DAY_MS) */
    return rest >= S_DAY_MS - KC_CALENDAR_CST_OFFSET_MS ? day + 1 : day;
}

int kc_calendar_weekday_of(int yyyymmdd)
{
    return kc_calendar_weekday(kc_calendar_days_of(yyyymmdd));
}

int kc_calendar_cst_date(int64_t utc_ms)
{
    return kc_calendar_date_of(s_cst_day(utc_ms));
}

int kc_calendar_add_workdays(const kc_calendar_t *self, int64_t start_ms, int days, int64_t *end_ms,
                             bool *provisional, kc_error_t *error)
{
    assert(self && end_ms && error);
    if (days < 1 || days > KC_CALENDAR_MAX_DAYS)
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "days", "%d 个工作日超出范围 1..%d", days,
                            KC_CALENDAR_MAX_DAYS);
    int64_t z = s_cst_day(start_ms);
    bool guessed = false;
    /* the year the window is in, official or made once for the window */
    const kc_calendar_year_t *year = NULL;
    kc_calendar_year_t made = {0};
    int rc = 0;
    for (int counted = 0; counted < days && rc >= 0;) {
        int date = kc_calendar_date_of(++z);
        if (!year || year->year != date / 10000) {
            kc_calendar_year_release(&made);
            year = kc_calendar_year(self, date / 10000);
            if (!year && (rc = kc_calendar_provisional_year(date / 10000, &made, error)) == 0) {
                year = &made;
                guessed = true;
            }
        }
        if (rc == 0)
            counted += s_workday_in(year, date);
    }
    kc_calendar_year_release(&made);
    if (rc < 0)
        return -1;
    *end_ms = (z + 1) * S_DAY_MS - KC_CALENDAR_CST_OFFSET_MS;
    if (provisional)
        *provisional = guessed;
    return 0;
}
