/*  fuzz_values_sheet: any file handed to `kcctl submit reports`.
 *
 *  values_sheet_read reads from a path, so each input is written over one
 *  temporary file, made once per process with mkstemp (libFuzzer's merge
 *  and fork modes start several processes: each has its own) and removed
 *  at exit. A sheet that reads is then asked where a handful of server
 *  error paths point, including ones that point nowhere, and released.
 *
 *  Invariants checked (abort on breach, which libFuzzer reports as a crash):
 *    - values_sheet_read returns 0 or -1; -1 added errors and left the
 *      sheet empty, 0 added none;
 *    - after 0 every report has the year, a county code that fits, the
 *      indicator code of its column and a finite value, and its cell says
 *      the same; the request packs and unpacks;
 *    - values_sheet_locate finds every report and nothing past the last,
 *      and never writes past the size it is given.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/kc_error.h"
#include "kcctl/values_sheet.h"

#define S_CHECK(condition)                                                                         \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define S_YEAR 2023

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_path[4096];
static int s_fd = -1;

static void s_remove_file(void)
{
    if (s_fd >= 0) {
        close(s_fd);
        unlink(s_path);
        s_fd = -1;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *directory = getenv("TMPDIR");
    snprintf(s_path, sizeof s_path, "%s/kc-fuzz-sheet-XXXXXX.csv",
             directory && *directory ? directory : "/tmp");
    s_fd = mkstemps(s_path, 4);
    if (s_fd < 0) {
        perror("fuzz_values_sheet: mkstemps");
        abort();
    }
    atexit(s_remove_file);
    return 0;
}

static void s_write_file(const uint8_t *data, size_t size)
{
    S_CHECK(ftruncate(s_fd, 0) == 0);
    size_t done = 0;
    while (done < size) {
        ssize_t wrote = pwrite(s_fd, data + done, size - done, (off_t)done);
        S_CHECK(wrote > 0);
        done += (size_t)wrote;
    }
}

/* values_sheet_locate of `field` into a buffer of `size` bytes with a
 * guard after it; -1 or 0 as locate returned. */
static int s_locate(const values_sheet_t *sheet, const char *field, size_t size)
{
    char buffer[256 + 8];
    S_CHECK(size <= 256);
    memset(buffer, 0x5A, sizeof buffer);
    int status = values_sheet_locate(sheet, field, buffer, size);
    S_CHECK(status == 0 || status == -1);
    for (size_t i = size; i < sizeof buffer; i++)
        S_CHECK(buffer[i] == 0x5A);
    if (status == 0 && size > 0)
        S_CHECK(memchr(buffer, '\0', size) != NULL);
    if (status == -1)
        for (size_t i = 0; i < size; i++)
            S_CHECK(buffer[i] == 0x5A); /* `out` left alone */
    return status;
}

static void s_check_sheet(const values_sheet_t *sheet)
{
    const Kc__V1__SubmitReports *request = sheet->request;
    S_CHECK(request && strcmp(request->provider, "stats") == 0 && !request->dry_run);
    S_CHECK(request->n_reports > 0 && request->n_reports <= VALUES_SHEET_VALUES_MAX);
    S_CHECK(sheet->cells);
    S_CHECK(sheet->county_count > 0 && sheet->indicator_count > 0);
    S_CHECK(sheet->code_column[0] != '\0');
    for (size_t i = 0; i < request->n_reports; i++) {
        const Kc__V1__IndicatorReport *report = request->reports[i];
        const values_sheet_cell_t *cell = &sheet->cells[i];
        S_CHECK(report->year == S_YEAR);
        S_CHECK(*report->county_code && strlen(report->county_code) < VALUES_SHEET_COUNTY_MAX);
        S_CHECK(*report->indicator_code && strlen(report->indicator_code) < VALUES_SHEET_NAME_MAX);
        S_CHECK(isfinite(report->value));
        S_CHECK(strcmp(cell->county_code, report->county_code) == 0);
        S_CHECK(strcmp(cell->column_name, report->indicator_code) == 0);
        S_CHECK(cell->line >= 1 && cell->column >= 1 && cell->county_line >= 1);
        S_CHECK(cell->header_line >= 1 && cell->header_line < cell->line &&
                cell->header_line < cell->county_line);
    }

    /* The request is a well-formed message. */
    size_t size = protobuf_c_message_get_packed_size(&request->base);
    uint8_t *packed = malloc(size ? size : 1);
    S_CHECK(packed);
    S_CHECK(protobuf_c_message_pack(&request->base, packed) == size);
    Kc__V1__SubmitReports *copy = kc__v1__submit_reports__unpack(NULL, size, packed);
    S_CHECK(copy && copy->n_reports == request->n_reports);
    kc__v1__submit_reports__free_unpacked(copy, NULL);
    free(packed);

    size_t last = request->n_reports - 1;
    char field[64];
    static const char *const members[] = {"", ".value", ".county_code", ".indicator_code", ".year"};
    for (size_t m = 0; m < sizeof members / sizeof members[0]; m++) {
        snprintf(field, sizeof field, "reports[0]%s", members[m]);
        S_CHECK(s_locate(sheet, field, 256) == 0);
        snprintf(field, sizeof field, "reports[%zu]%s", last, members[m]);
        S_CHECK(s_locate(sheet, field, 256) == 0);
        S_CHECK(s_locate(sheet, field, 7) == 0);
        S_CHECK(s_locate(sheet, field, 1) == 0);
        snprintf(field, sizeof field, "reports[%zu]%s", last + 1, members[m]);
        S_CHECK(s_locate(sheet, field, 256) == -1);
    }
    S_CHECK(s_locate(sheet, "reports[999999999999999999]", 256) == -1);
    S_CHECK(s_locate(sheet, "reports[18446744073709551616].value", 256) == -1);
    S_CHECK(s_locate(sheet, "reports[]", 256) == -1);
    S_CHECK(s_locate(sheet, "reports[0", 256) == -1);
    S_CHECK(s_locate(sheet, "reports[0]x", 256) == -1);
    S_CHECK(s_locate(sheet, "provider", 256) == -1);
    S_CHECK(s_locate(sheet, "", 256) == -1);
    S_CHECK(s_locate(sheet, NULL, 256) == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_write_file(data, size);
    kc_errors_t errors;
    kc_errors_init(&errors);
    values_sheet_t sheet;
    int status = values_sheet_read(s_path, "stats", S_YEAR, &sheet, &errors);
    S_CHECK(status == 0 || status == -1);
    if (status == 0) {
        S_CHECK(errors.total == 0);
        s_check_sheet(&sheet);
        values_sheet_release(&sheet);
    } else {
        S_CHECK(errors.total > 0 && errors.kept > 0);
        S_CHECK(errors.items[0].code != KC_ERR_NONE && errors.items[0].message[0] != '\0');
    }
    S_CHECK(sheet.request == NULL && sheet.cells == NULL);
    values_sheet_release(&sheet); /* safe on an emptied sheet */
    kc_errors_release(&errors);
    return 0;
}
