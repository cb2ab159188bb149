/*  values_sheet: the wide CSV of indicator values a provider sends, read
 *  into one SubmitReports request.
 *
 *  A statistics bureau answers the yearly call for data with one sheet:
 *  a header row, then one row per county. One column holds the county code
 *  (named "county_code", "code" or "代码"), name columns ("county_name",
 *  "name", "名称") are there for people and ignored, and every other column
 *  is an indicator whose code is the column's name (I01, I02...: whatever
 *  the header says; the server checks the codes against the year's
 *  catalogue). Each non-empty cell becomes one IndicatorReport.
 *
 *  People fix sheets in a spreadsheet, not in protobuf paths, so the sheet
 *  remembers the line and column each report came from: every problem
 *  found here and every error the server returns about "reports[12].value"
 *  can be shown as "line 14, column I07 (130123)".
 */
#ifndef KC_VALUES_SHEET_H
#define KC_VALUES_SHEET_H

#include <stddef.h>

#include "kc/kc_error.h"
#include "kc/v1/intake.pb-c.h"

#define VALUES_SHEET_NAME_MAX   64     /* bytes of a column name, NUL included */
#define VALUES_SHEET_COUNTY_MAX 16     /* bytes of a county code, NUL included */
#define VALUES_SHEET_VALUES_MAX 500000 /* values one sheet may hold */

/* Where one report came from. Lines and columns are 1-based, as a
 * spreadsheet or an editor shows them. */
typedef struct {
    size_t line;                               /* line where the value's cell starts */
    size_t column;                             /* column of the value's cell */
    char column_name[VALUES_SHEET_NAME_MAX];   /* that column's header: the indicator code */
    char county_code[VALUES_SHEET_COUNTY_MAX]; /* county code of the value's row */
    size_t county_line;                        /* line where the row's county-code cell starts */
    size_t header_line;                        /* line where the column's header cell starts */
} values_sheet_cell_t;

typedef struct {
    Kc__V1__SubmitReports *request;          /* provider, every value read; dry_run false */
    values_sheet_cell_t *cells;              /* cells[i] is where request->reports[i] came from */
    size_t empty_cells;                      /* indicator cells left empty: not reported */
    size_t county_count;                     /* county rows read (blank rows not counted) */
    size_t indicator_count;                  /* indicator columns in the header */
    char code_column[VALUES_SHEET_NAME_MAX]; /* header of the county-code column as written */
} values_sheet_t;

/* Read the sheet at `path` into `out` (which need not be initialised): one
 * report per non-empty indicator cell, with `year` and the row's county
 * code, in a heap request for `provider`. Rows whose cells are all empty
 * are skipped; each empty indicator cell is counted in out->empty_cells.
 *
 * A cell value is a decimal number, surrounding spaces allowed, scientific
 * notation allowed ("1.5e3"), thousands separators not ("1,234").
 * Every problem is appended to `errors`, each cell's with the field
 * "line L, column NAME (COUNTY)":
 *   KC_ERR_INPUT           a file that cannot be read or parsed as CSV, an
 *                          empty file, a header with no county-code column,
 *                          with two, with a duplicate or over-long name,
 *                          with no indicator column; a row with more or fewer
 *                          cells than the header; a row with no county code
 *                          or an over-long one; a cell that is not a number;
 *                          a value under a column with no name; more than
 *                          VALUES_SHEET_VALUES_MAX values
 *   KC_ERR_NOT_FINITE      a number too large for a double ("1e999")
 *   KC_ERR_DUPLICATE_IN_BATCH  a county on two rows
 *   KC_ERR_EMPTY_BATCH     no value in the whole sheet
 * Returns 0, or -1 when any error was added, with `out` emptied. After 0,
 * release `out` with values_sheet_release. */
int values_sheet_read(const char *path, const char *provider, int year, values_sheet_t *out,
                      kc_errors_t *errors);

/* Free the request and the cells and empty the sheet. Safe on an emptied
 * sheet. */
void values_sheet_release(values_sheet_t *self);

/* Write into `out` where in the sheet the server's error field `field`
 * points: "reports[12].value" (or "reports[12]", or any other member but
 * those below) as "line 14, column I07 (130123)", the value's cell;
 * "reports[12].county_code" as "line 14, column county_code (130123)", the
 * row's county-code cell; "reports[12].indicator_code" as
 * "line 1, column I07 (header)", the column's header cell.
 * The text is cut to fit `out_size` bytes. Returns 0, or -1 (leaving `out`
 * alone) when `field` is not a reports[N] path or N is not a report of
 * the sheet. */
int values_sheet_locate(const values_sheet_t *self, const char *field, char *out, size_t out_size);

#endif
