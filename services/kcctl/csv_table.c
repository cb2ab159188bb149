/*  csv_table: a CSV file read whole into rows of cells (RFC 4180).
 *
 *  One pass over the text. Cell content is copied into a single storage
 *  buffer as it is unquoted; since unquoting never lengthens a cell and
 *  each cell's NUL takes the place of the comma or line break after it,
 *  the storage needs the text's size plus one byte, allocated once, so the
 *  cells can point into it while the cell and row arrays grow.
 */
#include "kcctl/csv_table.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the parser is: the text, its position, and the table it fills. */
typedef struct {
    const char *text;     /* input */
    size_t size;          /* bytes of input */
    size_t at;            /* next byte to read */
    size_t line;          /* 1-based line of `at` */
    char *out;            /* next free byte of the table's storage */
    size_t cell_capacity; /* allocated entries of table->cells */
    size_t row_capacity;  /* allocated entries of table->rows */
    csv_table_t *table;   /* being filled */
    kc_error_t *error;    /* set on failure */
} s_parser_t;

static void *s_grow(void *array, size_t *capacity, size_t element_size)
{
    size_t wanted = *capacity ? *capacity * 2 : 64;
    void *grown = realloc(array, wanted * element_size);
    if (!grown)
        abort(); /* out of memory is not an error kechuang can answer */
    *capacity = wanted;
    return grown;
}

/* True at a line break: LF, CR LF (at the CR) or a lone CR. */
static bool s_at_line_break(const s_parser_t *self)
{
    return self->at < self->size && (self->text[self->at] == '\n' || self->text[self->at] == '\r');
}

/* Step over the line break at the parser's position. */
static void s_skip_line_break(s_parser_t *self)
{
    if (self->text[self->at] == '\r' && self->at + 1 < self->size &&
        self->text[self->at + 1] == '\n')
        self->at++;
    self->at++;
    self->line++;
}

static int s_fail(s_parser_t *self, size_t line, size_t column, const char *message,
                  const char *hint)
{
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "line %zu, column %zu", line, column);
    kc_error_set(self->error, KC_ERR_INPUT, field, "%s", message);
    if (hint)
        kc_error_hint(self->error, "%s", hint);
    return -1;
}

/* Copy a quoted field's content, undoing doubled quotes; the parser is on
 * the opening quote. */
static int s_read_quoted(s_parser_t *self, size_t column)
{
    size_t opened_on = self->line;
    self->at++;
    for (;;) {
        if (self->at >= self->size)
            return s_fail(self, opened_on, column, "quoted field never closed",
                          "end the field with a double quote; write a quote inside it as \"\"");
        char c = self->text[self->at];
        if (c == '"') {
            if (self->at + 1 < self->size && self->text[self->at + 1] == '"') {
                *self->out++ = '"';
                self->at += 2;
                continue;
            }
            self->at++;
            break;
        }
        if (s_at_line_break(self)) {
            size_t start = self->at;
            s_skip_line_break(self);
            memcpy(self->out, self->text + start, self->at - start);
            self->out += self->at - start;
            continue;
        }
        *self->out++ = c;
        self->at++;
    }
    if (self->at < self->size && self->text[self->at] != ',' && !s_at_line_break(self))
        return s_fail(self, self->line, column, "text after the closing quote of a field",
                      "a quoted field ends at its closing quote; write a quote inside it as \"\"");
    return 0;
}

/* Copy an unquoted field's content up to the next comma or line break. */
static int s_read_bare(s_parser_t *self, size_t column)
{
    while (self->at < self->size && self->text[self->at] != ',' && !s_at_line_break(self)) {
        if (self->text[self->at] == '"')
            return s_fail(self, self->line, column, "quote inside an unquoted field",
                          "enclose the field in double quotes and write each quote in it as \"\"");
        *self->out++ = self->text[self->at++];
    }
    return 0;
}

static int s_read_cell(s_parser_t *self, size_t column)
{
    csv_table_t *table = self->table;
    if (table->cell_count == self->cell_capacity)
        table->cells = s_grow(table->cells, &self->cell_capacity, sizeof *table->cells);
    csv_cell_t *cell = &table->cells[table->cell_count];
    cell->text = self->out;
    cell->line = self->line;
    int status = self->at < self->size && self->text[self->at] == '"' ? s_read_quoted(self, column)
                                                                      : s_read_bare(self, column);
    if (status != 0)
        return -1;
    cell->size = (size_t)(self->out - cell->text);
    *self->out++ = '\0';
    table->cell_count++;
    return 0;
}

static int s_read_row(s_parser_t *self)
{
    csv_table_t *table = self->table;
    if (table->row_count == self->row_capacity)
        table->rows = s_grow(table->rows, &self->row_capacity, sizeof *table->rows);
    csv_row_t *row = &table->rows[table->row_count];
    row->first = table->cell_count;
    row->line = self->line;
    for (size_t column = 1;; column++) {
        if (s_read_cell(self, column) != 0)
            return -1;
        if (self->at < self->size && self->text[self->at] == ',') {
            self->at++;
            continue;
        }
        if (self->at < self->size)
            s_skip_line_break(self);
        break;
    }
    row->count = table->cell_count - row->first;
    table->row_count++;
    return 0;
}

/* Refuse text that is not UTF-8 CSV at all before reading it as such. */
static int s_check_encoding(s_parser_t *self)
{
    if (self->size >= 2 &&
        ((unsigned char)self->text[0] == 0xFF || (unsigned char)self->text[0] == 0xFE) &&
        ((unsigned char)self->text[1] ^ (unsigned char)self->text[0]) == 0x01)
        return s_fail(self, 1, 1, "file is UTF-16, not UTF-8",
                      "save the sheet as \"CSV UTF-8 (comma delimited)\"");
    const char *nul = memchr(self->text, '\0', self->size);
    if (!nul)
        return 0;
    for (const char *c = self->text; c < nul; c++)
        if (*c == '\n' || (*c == '\r' && (c + 1 == nul || c[1] != '\n')))
            self->line++;
    return s_fail(self, self->line, 1, "file holds a NUL byte",
                  "this is not a text file: save the sheet as \"CSV UTF-8 (comma delimited)\"");
}

int csv_table_parse(csv_table_t *self, const char *text, size_t size, kc_error_t *error)
{
    memset(self, 0, sizeof *self);
    if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        size -= 3;
    }
    s_parser_t parser = {.text = text, .size = size, .line = 1, .table = self, .error = error};
    if (s_check_encoding(&parser) != 0)
        return -1;
    parser.line = 1;
    self->storage = malloc(size + 1);
    if (!self->storage)
        abort();
    parser.out = self->storage;
    while (parser.at < parser.size)
        if (s_read_row(&parser) != 0) {
            csv_table_release(self);
            return -1;
        }
    return 0;
}

/* The whole file in a new buffer, or NULL with `error` set. */
static char *s_read_file(const char *path, size_t *size, kc_error_t *error)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        kc_error_set(error, KC_ERR_INPUT, path, "cannot open \"%s\"", path);
        kc_error_detail(error, "%s", strerror(errno));
        return NULL;
    }
    size_t capacity = 64 * 1024, used = 0;
    char *text = malloc(capacity);
    for (;;) {
        if (!text)
            abort();
        size_t got = fread(text + used, 1, capacity - used, file);
        used += got;
        if (got == 0 || used > CSV_TABLE_FILE_MAX)
            break;
        if (used == capacity)
            text = s_grow(text, &capacity, 1);
    }
    const char *problem = ferror(file) ? strerror(errno) : NULL;
    fclose(file);
    if (!problem && used > CSV_TABLE_FILE_MAX)
        problem = "the file is larger than 32 MiB";
    if (problem) {
        kc_error_set(error, KC_ERR_INPUT, path, "cannot read \"%s\"", path);
        kc_error_detail(error, "%s", problem);
        free(text);
        return NULL;
    }
    *size = used;
    return text;
}

int csv_table_read(csv_table_t *self, const char *path, kc_error_t *error)
{
    memset(self, 0, sizeof *self);
    size_t size = 0;
    char *text = s_read_file(path, &size, error);
    if (!text)
        return -1;
    int status = csv_table_parse(self, text, size, error);
    free(text);
    return status;
}

void csv_table_release(csv_table_t *self)
{
    free(self->rows);
    free(self->cells);
    free(self->storage);
    memset(self, 0, sizeof *self);
}
