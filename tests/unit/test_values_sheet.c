/*  Unit tests of values_sheet (and the csv_table reader under it).
 *
 *  A statistics bureau's sheet must come in as one request whatever
 *  spreadsheet wrote it (BOM, CRLF, quoted names with commas), and every
 *  problem must be shown at the line and column where the bureau will fix
 *  it, including errors the server returns about "reports[N]". Each test
 *  writes its sheets into a fresh directory made with mkdtemp.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcctl/csv_table.h"
#include "kcctl/values_sheet.h"

static char s_directory[64];
static char s_sheet_path[128];

static void s_make_directory(void)
{
    snprintf(s_directory, sizeof s_directory, "/tmp/test_values_sheet_XXXXXX");
    cr_assert_not_null(mkdtemp(s_directory));
    snprintf(s_sheet_path, sizeof s_sheet_path, "%s/sheet.csv", s_directory);
}

static void s_remove_directory(void)
{
    unlink(s_sheet_path);
    rmdir(s_directory);
}

TestSuite(values_sheet, .init = s_make_directory, .fini = s_remove_directory);

static void s_write_sheet(const char *text, size_t size)
{
    FILE *file = fopen(s_sheet_path, "wb");
    cr_assert_not_null(file);
    cr_assert_eq(fwrite(text, 1, size, file), size);
    fclose(file);
}

/* Write `text` as the sheet and read it for provider "stats", year 2024. */
static int s_read(const char *text, values_sheet_t *sheet, kc_errors_t *errors)
{
    s_write_sheet(text, strlen(text));
    kc_errors_init(errors);
    return values_sheet_read(s_sheet_path, "stats", 2024, sheet, errors);
}

static void s_dump_errors(const kc_errors_t *errors)
{
    for (size_t i = 0; i < errors->kept; i++)
        cr_log_info("%s: %s (%s) [%s]", errors->items[i].field, errors->items[i].message,
                    errors->items[i].detail, errors->items[i].hint);
}

static const kc_error_t *s_find(const kc_errors_t *errors, const char *field)
{
    for (size_t i = 0; i < errors->kept; i++)
        if (strcmp(errors->items[i].field, field) == 0)
            return &errors->items[i];
    return NULL;
}

Test(values_sheet, reads_a_sheet_with_bom_crlf_and_a_quoted_name)
{
    values_sheet_t sheet;
    kc_errors_t errors;
    int status = s_read("\xEF\xBB\xBF"
                        "county_code,county_name,I01,I02,I17\r\n"
                        "130131,\"平山县, 石家庄市\",12.5, 1.5e3 ,-7\r\n"
                        "130132,\"元氏县 \"\"示范\"\"\",0,\t3.25\t,+4E-2\r\n",
                        &sheet, &errors);
    s_dump_errors(&errors);
    cr_assert_eq(status, 0);
    cr_assert_eq(errors.total, 0);
    Kc__V1__SubmitReports *request = sheet.request;
    cr_assert_str_eq(request->provider, "stats");
    cr_assert_not(request->dry_run);
    cr_assert_eq(request->n_reports, 6);
    cr_assert_eq(sheet.county_count, 2);
    cr_assert_eq(sheet.indicator_count, 3);
    cr_assert_eq(sheet.empty_cells, 0);

    static const char *const counties[] = {"130131", "130131", "130131",
                                           "130132", "130132", "130132"};
    static const char *const indicators[] = {"I01", "I02", "I17", "I01", "I02", "I17"};
    static const double values[] = {12.5, 1500, -7, 0, 3.25, 0.04};
    for (size_t i = 0; i < 6; i++) {
        cr_assert_str_eq(request->reports[i]->county_code, counties[i]);
        cr_assert_str_eq(request->reports[i]->indicator_code, indicators[i]);
        cr_assert_eq(request->reports[i]->year, 2024);
        cr_assert_float_eq(request->reports[i]->value, values[i], 1e-12);
    }
    cr_assert_eq(sheet.cells[4].line, 3);
    cr_assert_eq(sheet.cells[4].column, 4);
    cr_assert_str_eq(sheet.cells[4].column_name, "I02");
    cr_assert_str_eq(sheet.cells[4].county_code, "130132");

    /* The request is a real message: it packs. */
    cr_assert_gt(protobuf_c_message_get_packed_size(&request->base), 0);
    values_sheet_release(&sheet);
    cr_assert_null(sheet.request);
    values_sheet_release(&sheet);
    kc_errors_release(&errors);
}

Test(values_sheet, accepts_chinese_headers_and_any_indicator_codes)
{
    values_sheet_t sheet;
    kc_errors_t errors;
    int status = s_read("名称,代码,R&D经费,X_99\n"
                        "\"平山县\n(山区)\",130131,1,2\n"
                        "元氏县,130132,3,4",
                        &sheet, &errors);
    s_dump_errors(&errors);
    cr_assert_eq(status, 0);
    cr_assert_eq(sheet.request->n_reports, 4);
    cr_assert_str_eq(sheet.request->reports[0]->indicator_code, "R&D经费");
    cr_assert_str_eq(sheet.request->reports[3]->indicator_code, "X_99");
    cr_assert_str_eq(sheet.code_column, "代码");
    /* The quoted name spans lines 2 and 3: the values sit on line 3. */
    cr_assert_eq(sheet.cells[0].line, 3);
    cr_assert_eq(sheet.cells[0].county_line, 3);
    cr_assert_eq(sheet.cells[2].line, 4);
    values_sheet_release(&sheet);
    kc_errors_release(&errors);
}

Test(values_sheet, skips_empty_cells_and_blank_rows)
{
    values_sheet_t sheet;
    kc_errors_t errors;
    int status = s_read("\n"
                        "code,name,I01,I02,I03\n"
                        "130131,平山县,,5,\n"
                        "\n"
                        ",,,,\n"
                        "130132,元氏县,  ,,6\n"
                        "\n",
                        &sheet, &errors);
    s_dump_errors(&errors);
    cr_assert_eq(status, 0);
    cr_assert_eq(sheet.request->n_reports, 2);
    cr_assert_eq(sheet.empty_cells, 4);
    cr_assert_eq(sheet.county_count, 2);
    cr_assert_str_eq(sheet.request->reports[1]->indicator_code, "I03");
    cr_assert_eq(sheet.cells[1].line, 6);
    cr_assert_eq(sheet.cells[1].column, 5);
    values_sheet_release(&sheet);
    kc_errors_release(&errors);
}

Test(values_sheet, locates_a_bad_number_by_line_and_column)
{
    values_sheet_t sheet;
    kc_errors_t errors;
    int status = s_read("county_code,county_name,I01,I02,I07\n"
                        "130131,平山县,1,2,3\n"
                        "130123,正定县,\"1,234\",12%,abc\n"
                        "130124,栾城区,1e999,0x10,—\n",
                        &sheet, &errors);
    s_dump_errors(&errors);
    cr_assert_eq(status, -1);
    cr_assert_null(sheet.request);
    cr_assert_eq(errors.total, 6);

    const kc_error_t *error = s_find(&errors, "line 3, column I01 (130123)");
    cr_assert_not_null(error);
    cr_assert_eq(error->code, KC_ERR_INPUT);
    cr_assert_str_eq(error->message, "cell \"1,234\" is not a number");
    cr_assert(strstr(error->hint, "thousands separators"), "%s", error->hint);
    error = s_find(&errors, "line 3, column I02 (130123)");
    cr_assert_not_null(error);
    cr_assert(strstr(error->hint, "percent"), "%s", error->hint);
    error = s_find(&errors, "line 3, column I07 (130123)");
    cr_assert_not_null(error);
    cr_assert(strstr(error->hint, "leave the cell empty"), "%s", error->hint);
    error = s_find(&errors, "line 4, column I01 (130124)");
    cr_assert_not_null(error);
    cr_assert_eq(error->code, KC_ERR_NOT_FINITE);
    cr_assert_not_null(s_find(&errors, "line 4, column I02 (130124)"));
    cr_assert_not_null(s_find(&errors, "line 4, column I07 (130124)"));
    kc_errors_release(&errors);
}

Test(values_sheet, refuses_a_sheet_without_a_county_code_column)
{
    values_sheet_t sheet;
    kc_errors_t errors;
    cr_assert_eq(s_read("2024年县域科技创新指标,,\n"
                        "county_code,I01,I02\n"
                        "130131,1,2\n",
                        &sheet, &errors),
                 -1);
    cr_assert_eq(errors.total, 1);
    cr_assert_eq(errors.items[0].code, KC_ERR_INPUT);
    cr_assert_str_eq(errors.items[0].field, "line 1");
    cr_assert_str_eq(errors.items[0].message, "no county-code column in the header");
    cr_assert(strstr(errors.items[0].hint, "title rows"));
    kc_errors_release(&errors);
}

Test(values_sheet, refuses_duplicate_and_second_code_columns)
{
    values_sheet_t sheet;
    kc_errors_t errors;
    cr_assert_eq(s_read("code,I01,I02,I01,county_code\n130131,1,2,3,130131\n", &sheet, &errors),
                 -1);
    s_dump_errors(&errors);
    cr_assert_eq(errors.total, 2);
    const kc_error_t *error = s_find(&errors, "line 1, column 4");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->detail, "columns 2 and 4 are both named \"I01\"");
    error = s_find(&errors, "line 1, column 5");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->message, "second county-code column");
    kc_errors_release(&errors);

    cr_assert_eq(s_read("code,name\n130131,平山县\n", &sheet, &errors), -1);
    cr_assert_eq(errors.total, 1);
    cr_assert_str_eq(errors.items[0].message, "no indicator column in the header");
    kc_errors_release(&errors);
}

Test(values_sheet, reports_a_ragged_row)
{
    values_sheet_t sheet;
    kc_errors_t errors;
    cr_assert_eq(s_read("county_code,county_name,I01,I02\n"
                        "130131,平山县,1,2\n"
                        "130132,元氏县, 石家庄,3,4\n"
                        "130133,赵县,5\n"
                        "130134,辛集市,6,7\n",
                        &sheet, &errors),
                 -1);
    cr_assert_eq(errors.total, 2);
    cr_assert_str_eq(errors.items[0].field, "line 3");
    cr_assert_str_eq(errors.items[0].message, "row has 5 cells, the header has 4");
    cr_assert_str_eq(errors.items[1].field, "line 4");
    cr_assert_str_eq(errors.items[1].message, "row has 3 cells, the header has 4");
    kc_errors_release(&errors);
}

Test(values_sheet, reports_rows_without_a_county_and_counties_given_twice)
{
    values_sheet_t sheet;
    kc_errors_t errors;
    cr_assert_eq(s_read("county_code,I01\n"
                        "130131,1\n"
                        ",2\n"
                        "1301310000000000000,3\n"
                        "130131,4\n",
                        &sheet, &errors),
                 -1);
    s_dump_errors(&errors);
    cr_assert_eq(errors.total, 3);
    cr_assert_str_eq(errors.items[0].message, "no county code");
    cr_assert_str_eq(errors.items[0].field, "line 3, column county_code ()");
    cr_assert_str_eq(errors.items[1].message, "county code too long");
    const kc_error_t *error = s_find(&errors, "line 5, column county_code (130131)");
    cr_assert_not_null(error);
    cr_assert_eq(error->code, KC_ERR_DUPLICATE_IN_BATCH);
    cr_assert_str_eq(error->detail, "lines 2 and 5");
    kc_errors_release(&errors);
}

Test(values_sheet, reports_empty_files_and_sheets)
{
    static const char *const texts[] = {"", "\r\n\r\n", "county_code,I01\r\n",
                                        "county_code,I01\n130131,\n", "code,I01,\n130131,1,x\n"};
    static const char *const messages[] = {
        "the file is empty", "the file is empty", "no county rows after the header",
        "no values in the sheet", "value in a column with no name"};
    static const kc_error_code_t codes[] = {KC_ERR_INPUT, KC_ERR_INPUT, KC_ERR_INPUT,
                                            KC_ERR_EMPTY_BATCH, KC_ERR_INPUT};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        values_sheet_t sheet;
        kc_errors_t errors;
        cr_assert_eq(s_read(texts[i], &sheet, &errors), -1, "%s", texts[i]);
        cr_assert_eq(errors.total, 1, "%s", texts[i]);
        cr_assert_str_eq(errors.items[0].message, messages[i]);
        cr_assert_eq(errors.items[0].code, codes[i]);
        kc_errors_release(&errors);
    }
}

Test(values_sheet, reports_broken_csv_and_unreadable_files)
{
    static const char *const texts[] = {"code,I01\n130131,\"1\n", "code,I01\n130131,1\"2\n",
                                        "code,I01\n130131,\"1\"2\n", "\xFF\xFE\x63\0o\0",
                                        "code,I01\n130131,1\0\n"};
    static const size_t sizes[] = {0, 0, 0, 6, 19};
    static const char *const fields[] = {"line 2, column 2", "line 2, column 2", "line 2, column 2",
                                         "line 1, column 1", "line 2, column 1"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        s_write_sheet(texts[i], sizes[i] ? sizes[i] : strlen(texts[i]));
        values_sheet_t sheet;
        kc_errors_t errors;
        kc_errors_init(&errors);
        cr_assert_eq(values_sheet_read(s_sheet_path, "stats", 2024, &sheet, &errors), -1);
        cr_assert_eq(errors.total, 1);
        cr_assert_str_eq(errors.items[0].field, fields[i], "sheet %zu: %s", i,
                         errors.items[0].message);
        kc_errors_release(&errors);
    }
    values_sheet_t sheet;
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(values_sheet_read(s_directory, "stats", 2024, &sheet, &errors), -1);
    cr_assert_eq(errors.total, 1);
    cr_assert_str_eq(errors.items[0].detail, "Is a directory");
    kc_errors_release(&errors);
}

Test(values_sheet, maps_server_error_paths_back_to_cells)
{
    values_sheet_t sheet;
    kc_errors_t errors;
    cr_assert_eq(s_read("county_name,I01,county_code,I07\n"
                        "平山县,1,130131,2\n"
                        "正定县,,130123,3\n",
                        &sheet, &errors),
                 0);
    cr_assert_eq(sheet.request->n_reports, 3);
    char where[64];
    cr_assert_eq(values_sheet_locate(&sheet, "reports[2].value", where, sizeof where), 0);
    cr_assert_str_eq(where, "line 3, column I07 (130123)");
    cr_assert_eq(values_sheet_locate(&sheet, "reports[2]", where, sizeof where), 0);
    cr_assert_str_eq(where, "line 3, column I07 (130123)");
    cr_assert_eq(values_sheet_locate(&sheet, "reports[1].county_code", where, sizeof where), 0);
    cr_assert_str_eq(where, "line 2, column county_code (130131)");
    cr_assert_eq(values_sheet_locate(&sheet, "reports[0].indicator_code", where, sizeof where), 0);
    cr_assert_str_eq(where, "line 1, column I01 (header)");
    cr_assert_eq(values_sheet_locate(&sheet, "reports[0].year", where, sizeof where), 0);
    cr_assert_str_eq(where, "line 2, column I01 (130131)");

    char small[8];
    cr_assert_eq(values_sheet_locate(&sheet, "reports[0].value", small, sizeof small), 0);
    cr_assert_str_eq(small, "line 2,");

    static const char *const others[] = {
        "reports[3].value",  "reports[].value", "reports[1", "reports[1]value",
        "reports[-1].value", "provider",        "",          "reports[99999999999999999999].value",
        "form.reports[0]"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        snprintf(where, sizeof where, "untouched");
        cr_assert_eq(values_sheet_locate(&sheet, others[i], where, sizeof where), -1, "%s",
                     others[i]);
        cr_assert_str_eq(where, "untouched");
    }
    cr_assert_eq(values_sheet_locate(&sheet, NULL, where, sizeof where), -1);
    values_sheet_release(&sheet);
    cr_assert_eq(values_sheet_locate(&sheet, "reports[0].value", where, sizeof where), -1);
    kc_errors_release(&errors);
}

/* --------------------------------------------------------------------------
 * The CSV syntax on its own.
 */

static const char *s_text(const csv_table_t *table, size_t row, size_t column)
{
    cr_assert_lt(row, table->row_count);
    cr_assert_lt(column, table->rows[row].count);
    return table->cells[table->rows[row].first + column].text;
}

Test(csv_table, reads_quotes_line_breaks_and_every_line_end)
{
    static const char text[] = "a,\"b,\"\"c\"\"\",\"d\r\ne\"\r"
                               "f,,\"\"\n"
                               "\n"
                               "g";
    csv_table_t table;
    kc_error_t error;
    cr_assert_eq(csv_table_parse(&table, text, sizeof text - 1, &error), 0);
    cr_assert_eq(table.row_count, 4);
    cr_assert_eq(table.rows[0].count, 3);
    cr_assert_str_eq(s_text(&table, 0, 1), "b,\"c\"");
    cr_assert_str_eq(s_text(&table, 0, 2), "d\r\ne");
    cr_assert_eq(table.cells[2].line, 1);
    cr_assert_eq(table.rows[1].line, 3);
    cr_assert_eq(table.rows[1].count, 3);
    cr_assert_str_eq(s_text(&table, 1, 2), "");
    cr_assert_eq(table.rows[2].count, 1);
    cr_assert_eq(table.rows[3].line, 5);
    cr_assert_str_eq(s_text(&table, 3, 0), "g");
    csv_table_release(&table);

    cr_assert_eq(csv_table_parse(&table, "x,y\r\n", 5, &error), 0);
    cr_assert_eq(table.row_count, 1);
    cr_assert_eq(table.rows[0].count, 2);
    csv_table_release(&table);
    cr_assert_eq(csv_table_parse(&table, "", 0, &error), 0);
    cr_assert_eq(table.row_count, 0);
    csv_table_release(&table);
}

Test(csv_table, reports_where_a_quote_is_never_closed)
{
    csv_table_t table;
    kc_error_t error;
    const char *text = "a,b\nc,\"d\ne\nf";
    cr_assert_eq(csv_table_parse(&table, text, strlen(text), &error), -1);
    cr_assert_eq(error.code, KC_ERR_INPUT);
    cr_assert_str_eq(error.field, "line 2, column 2");
    cr_assert_str_eq(error.message, "quoted field never closed");
    cr_assert_null(table.cells);
}
