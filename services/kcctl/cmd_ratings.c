/*  cmd_ratings: kcctl submit-ratings FILE.csv --year YEAR.
 *
 *  Expert ratings of the qualitative (innovation-management) indicators,
 *  one row per county, indicator and rater:
 *      county_code,indicator,rater,score
 *  Every row is checked here for shape and by rating_submit in the
 *  database for the division map and the catalogue; the sheet is stored
 *  whole or not at all, with a RatingsSubmitted event in the same
 *  transaction. The idempotency key defaults to the file's SHA-256 and the
 *  year, so sending the same sheet twice stores it once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/validate.h"
#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/v1/events.pb-c.h"
#include "kcctl/csv_table.h"
#include "kcctl/kcctl.h"
#include "scoring/snapshot.h"
#include "scoring/text_buffer.h"

static const char *s_header[4] = {"county_code", "indicator", "rater", "score"};

typedef struct {
    text_buffer_t columns[4]; /* county, indicator, rater, score as array literals */
    size_t count;
} s_sheet_t;

static void s_element(text_buffer_t *column, const char *text, size_t index)
{
    text_buffer_append(column, "%s\"", index ? "," : "{");
    for (const char *at = text; *at; at++)
        text_buffer_append(column, (*at == '"' || *at == '\\') ? "\\%c" : "%c", *at);
    text_buffer_append(column, "\"");
}

static int s_check_row(const csv_table_t *table, const csv_row_t *row, s_sheet_t *sheet)
{
    const csv_cell_t *cells = &table->cells[row->first];
    if (row->count != 4) {
        fprintf(stderr, "  line %zu: %zu cells, 4 expected [input.invalid]\n", row->line,
                row->count);
        return -1;
    }
    char *end = NULL;
    double score = strtod(cells[3].text, &end);
    if (end == cells[3].text || *end || score != score) {
        fprintf(stderr, "  line %zu, column score: '%s' is not a number [validation.not_finite]\n",
                row->line, cells[3].text);
        return -1;
    }
    for (int i = 0; i < 4; i++)
        s_element(&sheet->columns[i], cells[i].text, sheet->count);
    sheet->count++;
    return 0;
}

static int s_read_sheet(const char *path, s_sheet_t *sheet)
{
    csv_table_t table;
    kc_error_t error;
    if (csv_table_read(&table, path, &error)) {
        kcctl_print_error(&error);
        return -1;
    }
    int bad = 0;
    const csv_row_t *header = table.row_count ? &table.rows[0] : NULL;
    for (int i = 0; header && i < 4; i++)
        bad |= header->count != 4 || strcmp(table.cells[header->first + i].text, s_header[i]) != 0;
    if (!header || bad) {
        fprintf(stderr,
                "refused: %s must start with the header county_code,indicator,rater,score,"
                " nothing was stored [input.invalid]\n",
                path);
        csv_table_release(&table);
        return -1;
    }
    for (size_t r = 1; r < table.row_count; r++) {
        const csv_row_t *row = &table.rows[r];
        if (row->count == 1 && table.cells[row->first].size == 0)
            continue; /* blank line */
        bad += s_check_row(&table, row, sheet) != 0;
    }
    csv_table_release(&table);
    if (bad)
        fprintf(stderr, "refused: %d bad row%s in %s, nothing was stored\n", bad,
                bad == 1 ? "" : "s", path);
    for (int i = 0; i < 4; i++)
        text_buffer_append(&sheet->columns[i], sheet->count ? "}" : "{}");
    return bad ? -1 : 0;
}

static int s_store(kcctl_t *self, PGconn *conn, const char *key, s_sheet_t *sheet,
                   long long *stored_out)
{
    kc_error_t error;
    char year[16], by[160];
    snprintf(year, sizeof year, "%d", self->year);
    snprintf(by, sizeof by, "%s@%s", self->user, self->config.node_id);
    const char *params[7] = {key,
                             year,
                             sheet->columns[0].text,
                             sheet->columns[1].text,
                             sheet->columns[2].text,
                             sheet->columns[3].text,
                             by};
    PGresult *result = PQexecParams(conn,
                                    "SELECT rating_submit($1, $2::int, $3::text[], $4::text[],"
                                    " $5::text[], $6::float8[], $7)",
                                    7, NULL, params, NULL, NULL, 0);
    if (kc_db_check(conn, result, "storing the ratings", &error)) {
        fprintf(stderr, "refused, nothing was stored:\n");
        kcctl_print_error(&error);
        PQclear(result);
        return -1;
    }
    long long stored = kc_db_int(result, 0, 0);
    *stored_out = stored;
    PQclear(result);
    if (stored == 0) {
        printf("already stored: the sheet with key %s was stored before\n", key);
        return 0;
    }
    Kc__V1__RatingsSubmitted event = KC__V1__RATINGS_SUBMITTED__INIT;
    event.year = self->year;
    event.count = (int32_t)stored;
    uint8_t payload[64];
    size_t size = kc__v1__ratings_submitted__pack(&event, payload);
    const char *event_params[3] = {"RatingsSubmitted", kc_config_division(&self->config),
                                   (const char *)payload};
    int lengths[3] = {0, 0, (int)size}, formats[3] = {0, 0, 1};
    /* NOTIFY kc_events: kc-intake publishes the event once this commits */
    result =
        PQexecParams(conn, "SELECT kc_event_append($1, $2, NULL, $3), pg_notify('kc_events', '')",
                     3, NULL, event_params, lengths, formats, 0);
    int rc = kc_db_check(conn, result, "appending the event", &error);
    PQclear(result);
    if (rc)
        kcctl_print_error(&error);
    return rc;
}

int kcctl_submit_ratings(kcctl_t *self)
{
    if (self->positional_count != 1 || self->year == 0) {
        fprintf(stderr, "usage: kcctl submit-ratings FILE.csv --year YEAR\n");
        return -1;
    }
    /* The catalogue may have no end: refuse a mistyped year as kc-intake does. */
    int latest = kc_clock_year() + VALIDATE_YEARS_AHEAD;
    if (self->year > latest) {
        fprintf(stderr,
                "error: year %d is not an evaluation year [validation.year_out_of_range]\n"
                "  ratings are accepted up to %d, the year after the current year (Beijing "
                "time)\n",
                self->year, latest);
        return -1;
    }
    size_t size = 0;
    char *text = kcctl_read_small_file(self->positional[0], &size);
    if (!text)
        return -1;
    char sha[65], key[160];
    snapshot_sha256(text, size, sha);
    free(text);
    if (self->key_given)
        snprintf(key, sizeof key, "%s", self->key);
    else
        snprintf(key, sizeof key, "ratings:%d:%s", self->year, sha);
    s_sheet_t sheet;
    memset(&sheet, 0, sizeof sheet);
    int rc = s_read_sheet(self->positional[0], &sheet);
    if (rc == 0) {
        kc_error_t error;
        PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl", &error);
        if (!conn) {
            kcctl_print_error(&error);
            rc = -1;
        } else {
            long long stored = 0;
            if (kc_db_exec(conn, "BEGIN", &error)) {
                kcctl_print_error(&error);
                rc = -1;
            } else if (s_store(self, conn, key, &sheet, &stored)) {
                rc = -1;
            } else if (kc_db_exec(conn, "COMMIT", &error)) {
                kcctl_print_error(&error);
                rc = -1;
            } else if (stored > 0) {
                printf("stored %lld ratings of %d\n", stored, self->year);
            }
            kc_db_disconnect(&conn);
        }
    }
    for (int i = 0; i < 4; i++)
        text_buffer_release(&sheet.columns[i]);
    return rc;
}
