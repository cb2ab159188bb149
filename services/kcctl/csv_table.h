/*  csv_table: a CSV file read whole into rows of cells (RFC 4180).
 *
 *  kcctl reads the sheets that statistics bureaus and other providers send
 *  (see values_sheet.h). Those come out of spreadsheets: quoted fields,
 *  doubled quotes, commas and line breaks inside quotes, CRLF or LF line
 *  ends, often a UTF-8 byte order mark. This reader knows only that syntax,
 *  not what the columns mean, and keeps for every cell the line of the file
 *  it starts on so that every later complaint can point at it.
 *
 *  The table owns one copy of the text with the quotes taken out; cells
 *  point into it.
 */
#ifndef KC_CSV_TABLE_H
#define KC_CSV_TABLE_H

#include <stddef.h>

#include "kc/kc_error.h"

/* Largest file csv_table_read accepts, in bytes. */
#define CSV_TABLE_FILE_MAX (32 * 1024 * 1024)

typedef struct {
    char *text;  /* content with quoting undone, NUL-terminated; the owner of
                    the table may change it in place (to trim it, say) */
    size_t size; /* bytes in text before the NUL */
    size_t line; /* 1-based line of the file where the cell starts */
} csv_cell_t;

typedef struct {
    size_t first; /* index in csv_table_t.cells of the row's first cell */
    size_t count; /* cells in the row, at least one */
    size_t line;  /* 1-based line of the file where the row starts */
} csv_row_t;

typedef struct {
    csv_row_t *rows;   /* every row in file order, blank lines included
                          (as rows of one empty cell) */
    size_t row_count;  /* entries in rows */
    csv_cell_t *cells; /* every cell of every row, row after row */
    size_t cell_count; /* entries in cells */
    char *storage;     /* the unquoted text the cells point into */
} csv_table_t;

/* Parse `size` bytes of CSV text into `self` (which need not be
 * initialised; its old content is not freed). A UTF-8 byte order mark at
 * the start is skipped; a line ends at CRLF, LF or a lone CR; a line break
 * at the very end of the text does not start another row. The text may
 * hold any bytes but NUL.
 * Returns 0, or -1 with `error` set (code KC_ERR_INPUT, field "line L,
 * column C") for: a NUL byte, a UTF-16 byte order mark, a quote inside an
 * unquoted field, text after a closing quote, a quote never closed. On -1
 * `self` holds nothing to release. */
int csv_table_parse(csv_table_t *self, const char *text, size_t size, kc_error_t *error);

/* Read the file at `path` (at most CSV_TABLE_FILE_MAX bytes) and parse it
 * as csv_table_parse does. Returns 0, or -1 with `error` set: KC_ERR_INPUT
 * with the file name as field when it cannot be read, or a parse error. */
int csv_table_read(csv_table_t *self, const char *path, kc_error_t *error);

/* Free what the table owns and empty it. Safe on an emptied table. */
void csv_table_release(csv_table_t *self);

#endif
