/*  values_sheet: the wide CSV of indicator values a provider sends, read
 *  into one SubmitReports request.
 *
 *  csv_table does the syntax; this file gives the cells their meaning in
 *  three steps: the header says which column is what, each county row
 *  becomes reports (or errors pinned to their cell), and a last pass looks
 *  for a county given twice. Every problem is collected, so one run of
 *  kcctl shows the bureau everything to fix in its sheet.
 */
#include "kcctl/values_sheet.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kcctl/csv_table.h"

#define S_QUOTE_MAX 40 /* bytes of a cell's text quoted in a message */

typedef enum {
    S_COLUMN_INDICATOR, /* values of the indicator the header names */
    S_COLUMN_CODE,      /* the county code of each row */
    S_COLUMN_NAME,      /* a county name for people: ignored */
    S_COLUMN_UNNAMED,   /* empty header: must stay empty */
} s_column_kind_t;

typedef struct {
    s_column_kind_t kind; /* what the column holds */
    const char *name;     /* header text, trimmed */
    size_t header_line;   /* line where the header cell starts */
} s_column_t;

/* A county row, to find counties given twice. */
typedef struct {
    const char *code; /* trimmed county code */
    size_t line;      /* line of its county-code cell */
} s_county_t;

/* Everything one reading needs. */
typedef struct {
    const char *path;      /* the file, for whole-file errors */
    int year;              /* year of every report */
    csv_table_t table;     /* the file's cells */
    s_column_t *columns;   /* one per header cell */
    size_t column_count;   /* entries in columns */
    size_t code_column;    /* index of the county-code column */
    s_county_t *counties;  /* one per county row read */
    size_t capacity;       /* allocated entries of the report arrays */
    bool full;             /* VALUES_SHEET_VALUES_MAX reached */
    values_sheet_t *sheet; /* being filled */
    kc_errors_t *errors;   /* every problem found */
} s_reader_t;

static void *s_allocate(size_t size)
{
    void *memory = calloc(1, size ? size : 1);
    if (!memory)
        abort(); /* out of memory is not an error kechuang can answer */
    return memory;
}

static char *s_duplicate(const char *text)
{
    size_t size = strlen(text) + 1;
    char *copy = s_allocate(size);
    memcpy(copy, text, size);
    return copy;
}

/* ---------------------------------------------------------------------------
 * Cells: trimming, quoting, naming.
 */

/* Bytes of the space at the start of `text` (space, tab, no-break space,
 * ideographic space), or 0. */
static size_t s_space_at(const char *text, size_t size)
{
    if (size >= 1 && (text[0] == ' ' || text[0] == '\t'))
        return 1;
    if (size >= 2 && memcmp(text, "\xC2\xA0", 2) == 0)
        return 2;
    if (size >= 3 && memcmp(text, "\xE3\x80\x80", 3) == 0)
        return 3;
    return 0;
}

/* Bytes of the space at the end of `text`, or 0. */
static size_t s_space_before(const char *text, size_t size)
{
    for (size_t width = 1; width <= 3 && width <= size; width++)
        if (s_space_at(text + size - width, width) == width)
            return width;
    return 0;
}

/* Trim the spaces around every cell of the table, in place. */
static void s_trim_cells(csv_table_t *table)
{
    for (size_t i = 0; i < table->cell_count; i++) {
        csv_cell_t *cell = &table->cells[i];
        size_t width;
        while ((width = s_space_at(cell->text, cell->size)) > 0) {
            cell->text += width;
            cell->size -= width;
        }
        while ((width = s_space_before(cell->text, cell->size)) > 0)
            cell->size -= width;
        cell->text[cell->size] = '\0';
    }
}

/* The start of a cell's text for a message: at most S_QUOTE_MAX bytes, cut
 * on a UTF-8 character boundary, control characters shown as spaces. */
static void s_quote(const char *text, char *out, size_t out_size)
{
    size_t size = strlen(text), keep = size;
    if (keep > S_QUOTE_MAX) {
        keep = S_QUOTE_MAX;
        while (keep > 0 && ((unsigned char)text[keep] & 0xC0) == 0x80)
            keep--;
    }
    snprintf(out, out_size, "%.*s%s", (int)keep, text, keep < size ? "..." : "");
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7F)
            *c = ' ';
}

/* "line 14, column I07 (130123)": how errors and locate name a cell. */
static void s_describe(char *out, size_t out_size, size_t line, const char *column,
                       const char *county)
{
    snprintf(out, out_size, "line %zu, column %s (%s)", line, column, county);
}

static const csv_cell_t *s_cell(const csv_table_t *table, const csv_row_t *row, size_t column)
{
    return &table->cells[row->first + column];
}

static bool s_row_is_blank(const csv_table_t *table, const csv_row_t *row)
{
    for (size_t i = 0; i < row->count; i++)
        if (s_cell(table, row, i)->size > 0)
            return false;
    return true;
}

/* ---------------------------------------------------------------------------
 * The header.
 */

static bool s_is_one_of(const char *name, const char *const *names)
{
    for (; *names; names++)
        if (strcasecmp(name, *names) == 0)
            return true;
    return false;
}

static s_column_kind_t s_column_kind(const char *name)
{
    static const char *const codes[] = {"county_code", "code", "代码", NULL};
    static const char *const names[] = {"county_name", "name", "名称", NULL};
    if (!*name)
        return S_COLUMN_UNNAMED;
    if (s_is_one_of(name, codes))
        return S_COLUMN_CODE;
    if (s_is_one_of(name, names))
        return S_COLUMN_NAME;
    return S_COLUMN_INDICATOR;
}

static kc_error_t *s_fail_at(s_reader_t *self, kc_error_code_t code, size_t line, size_t column,
                             const char *message)
{
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "line %zu, column %zu", line, column);
    return kc_errors_add(self->errors, code, field, "%s", message);
}

static int s_compare_columns(const void *left, const void *right)
{
    const s_column_t *a = *(const s_column_t *const *)left;
    const s_column_t *b = *(const s_column_t *const *)right;
    int order = strcmp(a->name, b->name);
    return order ? order : (a < b ? -1 : a > b);
}

/* Report every name that two columns share. */
static void s_check_duplicate_columns(s_reader_t *self)
{
    s_column_t **sorted = s_allocate(self->column_count * sizeof *sorted);
    size_t named = 0;
    for (size_t i = 0; i < self->column_count; i++)
        if (self->columns[i].kind != S_COLUMN_UNNAMED)
            sorted[named++] = &self->columns[i];
    qsort(sorted, named, sizeof *sorted, s_compare_columns);
    for (size_t i = 1; i < named; i++) {
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) != 0)
            continue;
        size_t first = (size_t)(sorted[i - 1] - self->columns) + 1;
        size_t again = (size_t)(sorted[i] - self->columns) + 1;
        char quoted[S_QUOTE_MAX + 8];
        s_quote(sorted[i]->name, quoted, sizeof quoted);
        kc_error_t *error = s_fail_at(self, KC_ERR_INPUT, sorted[i]->header_line, again,
                                      "duplicate column name in the header");
        if (error) {
            kc_error_detail(error, "columns %zu and %zu are both named \"%s\"", first, again,
                            quoted);
            kc_error_hint(error, "each indicator has one column; remove or rename one of them");
        }
    }
    free(sorted);
}

static void s_fail_second_code(s_reader_t *self, const csv_cell_t *cell, size_t column)
{
    kc_error_t *error =
        s_fail_at(self, KC_ERR_INPUT, cell->line, column + 1, "second county-code column");
    if (!error)
        return;
    kc_error_detail(error, "column %zu already holds the county codes", self->code_column + 1);
    kc_error_hint(error, "keep one column named \"county_code\", \"code\" or \"代码\"");
}

/* Classify the header's columns; -1 when the rows cannot be read by it. */
static int s_read_header(s_reader_t *self, const csv_row_t *header)
{
    size_t before = self->errors->total, codes = 0;
    self->column_count = header->count;
    self->columns = s_allocate(header->count * sizeof *self->columns);
    for (size_t i = 0; i < header->count; i++) {
        const csv_cell_t *cell = s_cell(&self->table, header, i);
        s_column_t *column = &self->columns[i];
        column->name = cell->text;
        column->header_line = cell->line;
        column->kind = s_column_kind(cell->text);
        if (column->kind == S_COLUMN_INDICATOR)
            self->sheet->indicator_count++;
        if (column->kind == S_COLUMN_CODE && codes++ == 0)
            self->code_column = i;
        else if (column->kind == S_COLUMN_CODE)
            s_fail_second_code(self, cell, i);
        if (cell->size >= VALUES_SHEET_NAME_MAX) {
            kc_error_t *error =
                s_fail_at(self, KC_ERR_INPUT, cell->line, i + 1, "column name too long");
            if (error)
                kc_error_detail(error, "%zu bytes; at most %d", cell->size,
                                VALUES_SHEET_NAME_MAX - 1);
        }
    }
    s_check_duplicate_columns(self);
    if (codes == 0) {
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "line %zu", header->line);
        kc_error_t *error =
            kc_errors_add(self->errors, KC_ERR_INPUT, field, "no county-code column in the header");
        if (error)
            kc_error_hint(error, "the first row must be the header, with a column named "
                                 "\"county_code\", \"code\" or \"代码\"; remove any title rows "
                                 "above it");
    } else if (self->sheet->indicator_count == 0) {
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "line %zu", header->line);
        kc_error_t *error =
            kc_errors_add(self->errors, KC_ERR_INPUT, field, "no indicator column in the header");
        if (error)
            kc_error_hint(error, "name each column of values by its indicator code, e.g. I01");
    }
    if (self->errors->total != before)
        return -1;
    snprintf(self->sheet->code_column, sizeof self->sheet->code_column, "%s",
             self->columns[self->code_column].name);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Values.
 */

typedef enum { S_NUMBER_OK, S_NUMBER_INVALID, S_NUMBER_NOT_FINITE } s_number_status_t;

static size_t s_digits(const char *text)
{
    return strspn(text, "0123456789");
}

/* A decimal number: [+-] digits [. digits] [e [+-] digits], a digit on at
 * least one side of the point. No hex, no inf, no nan, no separators. */
static s_number_status_t s_parse_number(const char *text, double *value)
{
    const char *at = text;
    if (*at == '+' || *at == '-')
        at++;
    size_t whole = s_digits(at);
    at += whole;
    size_t fraction = 0;
    if (*at == '.') {
        at++;
        fraction = s_digits(at);
        at += fraction;
    }
    if (whole + fraction == 0)
        return S_NUMBER_INVALID;
    if (*at == 'e' || *at == 'E') {
        at++;
        if (*at == '+' || *at == '-')
            at++;
        size_t exponent = s_digits(at);
        if (exponent == 0)
            return S_NUMBER_INVALID;
        at += exponent;
    }
    if (*at)
        return S_NUMBER_INVALID;
    *value = strtod(text, NULL);
    return isfinite(*value) ? S_NUMBER_OK : S_NUMBER_NOT_FINITE;
}

static void s_fail_number(s_reader_t *self, const csv_cell_t *cell, const char *field,
                          s_number_status_t status)
{
    char quoted[S_QUOTE_MAX + 8];
    s_quote(cell->text, quoted, sizeof quoted);
    if (status == S_NUMBER_NOT_FINITE) {
        kc_error_t *error = kc_errors_add(self->errors, KC_ERR_NOT_FINITE, field,
                                          "cell \"%s\" is not a finite number", quoted);
        if (error)
            kc_error_detail(error, "the value is too large for a double");
        return;
    }
    kc_error_t *error =
        kc_errors_add(self->errors, KC_ERR_INPUT, field, "cell \"%s\" is not a number", quoted);
    if (!error)
        return;
    if (strchr(cell->text, ','))
        kc_error_hint(error, "remove the thousands separators: write 1234567.8, not 1,234,567.8");
    else if (cell->size > 0 && cell->text[cell->size - 1] == '%')
        kc_error_hint(error, "write the number without the percent sign, in the indicator's unit");
    else
        kc_error_hint(error, "write a decimal number such as 1234.5 or 1.2e3, or leave the cell "
                             "empty when the value is not reported");
}

/* Append one report with the cell it came from. */
static void s_add_report(s_reader_t *self, const csv_row_t *row, size_t column, double value)
{
    values_sheet_t *sheet = self->sheet;
    Kc__V1__SubmitReports *request = sheet->request;
    if (request->n_reports == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 256;
        Kc__V1__IndicatorReport **reports =
            realloc(request->reports, capacity * sizeof *request->reports);
        values_sheet_cell_t *cells = realloc(sheet->cells, capacity * sizeof *sheet->cells);
        if (!reports || !cells)
            abort();
        request->reports = reports;
        sheet->cells = cells;
        self->capacity = capacity;
    }
    const csv_cell_t *code = s_cell(&self->table, row, self->code_column);
    const csv_cell_t *cell = s_cell(&self->table, row, column);
    const s_column_t *header = &self->columns[column];
    Kc__V1__IndicatorReport *report = s_allocate(sizeof *report);
    kc__v1__indicator_report__init(report);
    report->county_code = s_duplicate(code->text);
    report->year = self->year;
    report->indicator_code = s_duplicate(header->name);
    report->value = value;

    values_sheet_cell_t *where = &sheet->cells[request->n_reports];
    memset(where, 0, sizeof *where);
    where->line = cell->line;
    where->column = column + 1;
    snprintf(where->column_name, sizeof where->column_name, "%s", header->name);
    snprintf(where->county_code, sizeof where->county_code, "%s", code->text);
    where->county_line = code->line;
    where->header_line = header->header_line;
    request->reports[request->n_reports++] = report;
}

/* One indicator cell: skipped when empty, else a report or an error. */
static void s_read_value(s_reader_t *self, const csv_row_t *row, size_t column)
{
    const csv_cell_t *cell = s_cell(&self->table, row, column);
    if (cell->size == 0) {
        self->sheet->empty_cells++;
        return;
    }
    char field[KC_ERROR_FIELD_MAX];
    s_describe(field, sizeof field, cell->line, self->columns[column].name,
               s_cell(&self->table, row, self->code_column)->text);
    double value = 0;
    s_number_status_t status = s_parse_number(cell->text, &value);
    if (status != S_NUMBER_OK) {
        s_fail_number(self, cell, field, status);
        return;
    }
    if (self->sheet->request->n_reports >= VALUES_SHEET_VALUES_MAX) {
        if (!self->full) {
            kc_error_t *error = kc_errors_add(self->errors, KC_ERR_INPUT, field,
                                              "too many values in \"%s\"", self->path);
            if (error)
                kc_error_hint(error, "split the sheet: at most %d values go in one request",
                              VALUES_SHEET_VALUES_MAX);
        }
        self->full = true;
        return;
    }
    s_add_report(self, row, column, value);
}

/* The row's county code, or NULL with an error when it has none usable. */
static const csv_cell_t *s_read_county(s_reader_t *self, const csv_row_t *row)
{
    const csv_cell_t *code = s_cell(&self->table, row, self->code_column);
    const char *problem = NULL;
    if (code->size == 0)
        problem = "no county code";
    else if (code->size >= VALUES_SHEET_COUNTY_MAX)
        problem = "county code too long";
    if (!problem)
        return code;
    char field[KC_ERROR_FIELD_MAX], quoted[S_QUOTE_MAX + 8];
    s_quote(code->text, quoted, sizeof quoted);
    s_describe(field, sizeof field, code->line, self->columns[self->code_column].name, quoted);
    kc_error_t *error = kc_errors_add(self->errors, KC_ERR_INPUT, field, "%s", problem);
    if (error)
        kc_error_hint(error, "give each row the six-digit code of its county, e.g. 130131");
    return NULL;
}

static void s_read_row(s_reader_t *self, const csv_row_t *row)
{
    if (s_row_is_blank(&self->table, row))
        return;
    self->sheet->county_count++;
    if (row->count != self->column_count) {
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "line %zu", row->line);
        kc_error_t *error =
            kc_errors_add(self->errors, KC_ERR_INPUT, field,
                          "row has %zu cells, the header has %zu", row->count, self->column_count);
        if (error)
            kc_error_hint(error, "every row needs one cell per column; quote a cell that holds "
                                 "a comma or a line break");
        return;
    }
    const csv_cell_t *code = s_read_county(self, row);
    if (!code)
        return;
    self->counties[self->sheet->county_count - 1] = (s_county_t){code->text, code->line};
    for (size_t column = 0; column < row->count; column++) {
        s_column_kind_t kind = self->columns[column].kind;
        if (kind == S_COLUMN_INDICATOR)
            s_read_value(self, row, column);
        else if (kind == S_COLUMN_UNNAMED && s_cell(&self->table, row, column)->size > 0) {
            kc_error_t *error =
                s_fail_at(self, KC_ERR_INPUT, s_cell(&self->table, row, column)->line, column + 1,
                          "value in a column with no name");
            if (error)
                kc_error_hint(error, "name the column by its indicator code, or delete it");
        }
    }
}

static int s_compare_counties(const void *left, const void *right)
{
    const s_county_t *a = left, *b = right;
    int order = strcmp(a->code, b->code);
    return order ? order : (a->line > b->line) - (a->line < b->line);
}

/* Report every county given on more than one row. */
static void s_check_duplicate_counties(s_reader_t *self)
{
    size_t count = 0;
    for (size_t i = 0; i < self->sheet->county_count; i++)
        if (self->counties[i].code)
            self->counties[count++] = self->counties[i];
    qsort(self->counties, count, sizeof *self->counties, s_compare_counties);
    for (size_t i = 1; i < count; i++) {
        const s_county_t *first = &self->counties[i - 1], *again = &self->counties[i];
        if (strcmp(first->code, again->code) != 0)
            continue;
        char field[KC_ERROR_FIELD_MAX];
        s_describe(field, sizeof field, again->line, self->columns[self->code_column].name,
                   again->code);
        kc_error_t *error = kc_errors_add(self->errors, KC_ERR_DUPLICATE_IN_BATCH, field,
                                          "county \"%s\" on two rows", again->code);
        if (error) {
            kc_error_detail(error, "lines %zu and %zu", first->line, again->line);
            kc_error_hint(error, "keep one row per county");
        }
    }
}

/* ---------------------------------------------------------------------------
 * The whole sheet.
 */

static void s_fail_file(s_reader_t *self, kc_error_code_t code, const char *message,
                        const char *hint)
{
    kc_error_t *error = kc_errors_add(self->errors, code, self->path, "%s", message);
    if (error && hint)
        kc_error_hint(error, "%s", hint);
}

/* Read the rows after the header; -1 when the sheet yields no request. */
static int s_read_sheet(s_reader_t *self)
{
    csv_table_t *table = &self->table;
    size_t header = 0;
    while (header < table->row_count && s_row_is_blank(table, &table->rows[header]))
        header++;
    if (header == table->row_count) {
        s_fail_file(self, KC_ERR_INPUT, "the file is empty",
                    "the sheet needs a header row and one row per county");
        return -1;
    }
    if (s_read_header(self, &table->rows[header]) != 0)
        return -1;
    self->counties = s_allocate((table->row_count - header) * sizeof *self->counties);
    for (size_t i = header + 1; i < table->row_count; i++)
        s_read_row(self, &table->rows[i]);
    s_check_duplicate_counties(self);
    if (self->sheet->county_count == 0)
        s_fail_file(self, KC_ERR_INPUT, "no county rows after the header",
                    "add one row per county under the header");
    else if (self->sheet->request->n_reports == 0 && !self->full)
        s_fail_file(self, KC_ERR_EMPTY_BATCH, "no values in the sheet",
                    "every indicator cell is empty: fill in the values to report");
    return 0;
}

int values_sheet_read(const char *path, const char *provider, int year, values_sheet_t *out,
                      kc_errors_t *errors)
{
    memset(out, 0, sizeof *out);
    s_reader_t reader = {.path = path, .year = year, .sheet = out, .errors = errors};
    size_t before = errors->total;
    kc_error_t error;
    if (csv_table_read(&reader.table, path, &error) != 0) {
        kc_errors_push(errors, &error);
        return -1;
    }
    s_trim_cells(&reader.table);
    out->request = s_allocate(sizeof *out->request);
    kc__v1__submit_reports__init(out->request);
    out->request->provider = s_duplicate(provider ? provider : "");
    s_read_sheet(&reader);
    free(reader.columns);
    free(reader.counties);
    csv_table_release(&reader.table);
    if (errors->total == before)
        return 0;
    values_sheet_release(out);
    return -1;
}

void values_sheet_release(values_sheet_t *self)
{
    if (self->request)
        protobuf_c_message_free_unpacked(&self->request->base, NULL);
    free(self->cells);
    memset(self, 0, sizeof *self);
}

/* ---------------------------------------------------------------------------
 * From server error paths back to cells.
 */

/* The N of "reports[N]..." and what follows it; -1 for any other path. */
static int s_parse_report_path(const char *field, size_t *index, const char **member)
{
    static const char prefix[] = "reports[";
    if (!field || strncmp(field, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *at = field + sizeof prefix - 1;
    size_t digits = s_digits(at);
    if (digits == 0 || digits > 18 || at[digits] != ']')
        return -1;
    *index = 0;
    for (size_t i = 0; i < digits; i++)
        *index = *index * 10 + (size_t)(at[i] - '0');
    at += digits + 1;
    if (*at != '\0' && *at != '.')
        return -1;
    *member = *at ? at + 1 : at;
    return 0;
}

int values_sheet_locate(const values_sheet_t *self, const char *field, char *out, size_t out_size)
{
    size_t index;
    const char *member;
    if (s_parse_report_path(field, &index, &member) != 0 || !self->request ||
        index >= self->request->n_reports)
        return -1;
    const values_sheet_cell_t *cell = &self->cells[index];
    if (strcmp(member, "county_code") == 0)
        s_describe(out, out_size, cell->county_line, self->code_column, cell->county_code);
    else if (strcmp(member, "indicator_code") == 0)
        s_describe(out, out_size, cell->header_line, cell->column_name, "header");
    else
        s_describe(out, out_size, cell->line, cell->column_name, cell->county_code);
    return 0;
}
