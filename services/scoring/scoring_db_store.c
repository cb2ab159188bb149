/*  scoring_db_store: write one computed run inside the job's transaction.
 *
 *  The run row (with its snapshot text and canonical JSON), one result row
 *  per county, one row per award, the ScoringResultsReady and
 *  RewardsComputed events in the node's event log, and the job marked
 *  done: a fixed number of statements whatever the number of counties (the
 *  results and the awards go by COPY), so the cost does not grow with
 *  round trips. scoring_run.job_id is unique, so a second commit for the
 *  same job is impossible.
 */
#include "scoring/scoring_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "kc/v1/events.pb-c.h"
#include "scoring/text_buffer.h"

/* A text field of a COPY row, escaped (COPY's text format). */
static void s_copy_text(text_buffer_t *out, const char *text)
{
    const char *plain = text;
    for (const char *at = text;; at++) {
        const char *escape = *at == '\\'   ? "\\\\"
                             : *at == '\t' ? "\\t"
                             : *at == '\n' ? "\\n"
                             : *at == '\r' ? "\\r"
                                           : NULL;
        if (!escape && *at)
            continue;
        if (at > plain)
            text_buffer_append(out, "%.*s", (int)(at - plain), plain);
        if (!*at)
            return;
        text_buffer_append(out, "%s", escape);
        plain = at + 1;
    }
}

/* An int[] field of a COPY row: {1,2,3}. */
static void s_copy_ints(text_buffer_t *out, const int32_t *values, size_t n)
{
    text_buffer_append(out, "\t{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            text_buffer_append(out, ",");
        text_buffer_append_int(out, values[i]);
    }
    text_buffer_append(out, "}");
}

static void s_copy_int(text_buffer_t *out, long long value)
{
    text_buffer_append(out, "\t");
    text_buffer_append_int(out, value);
}

/* COPY rows into a table, inside the caller's transaction. */
static int s_copy(PGconn *conn, const char *sql, const text_buffer_t *rows, const char *what,
                  kc_error_t *error)
{
    PGresult *result = PQexec(conn, sql);
    if (PQresultStatus(result) != PGRES_COPY_IN) {
        kc_db_check(conn, result, what, error);
        PQclear(result);
        return -1;
    }
    PQclear(result);
    int sent = (rows->size == 0 || PQputCopyData(conn, rows->text, (int)rows->size) == 1) &&
               PQputCopyEnd(conn, NULL) == 1;
    int rc = 0;
    while ((result = PQgetResult(conn)) != NULL) { /* the COPY's result, then NULL */
        if (rc == 0 && kc_db_check(conn, result, what, error))
            rc = -1;
        PQclear(result);
    }
    if (rc == 0 && !sent)
        rc = kc_error_set(error, KC_ERR_DB_UNAVAILABLE, what, "%s: %s", what, PQerrorMessage(conn));
    return rc;
}

static const char *s_run_sql =
    "INSERT INTO scoring_run (job_id, scope_code, year, methodology, policy, input_sha256,"
    "  output_sha256, input_text, county_count, flagged_count, worker, elapsed_ms,"
    "  scope_county_count, not_evaluated, class_flagged_count)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id";

/* The codes of the counties left out, as an array literal: {130102,...}. */
static void s_not_evaluated(const sc_run_t *run, text_buffer_t *out)
{
    text_buffer_append(out, "{");
    for (size_t c = 0; c < run->n_not_evaluated; c++)
        text_buffer_append(out, "%s%s", c ? "," : "", run->not_evaluated[c]->code);
    text_buffer_append(out, "}");
}

static int s_insert_run(PGconn *conn, int64_t job_id, const sc_run_t *run, const char *snapshot,
                        const char *worker, int elapsed_ms, int flagged, int64_t *run_id,
                        kc_error_t *error)
{
    char job[24], year[16], counties[16], flags[16], elapsed[16], scope[16], reclassed[16];
    snprintf(job, sizeof job, "%lld", (long long)job_id);
    snprintf(year, sizeof year, "%d", run->snapshot->year);
    snprintf(counties, sizeof counties, "%zu", run->input->n_counties);
    snprintf(flags, sizeof flags, "%d", flagged);
    snprintf(elapsed, sizeof elapsed, "%d", elapsed_ms);
    snprintf(scope, sizeof scope, "%zu", run->n_scope_counties);
    snprintf(reclassed, sizeof reclassed, "%zu", run->n_class_flagged);
    text_buffer_t left_out = {0};
    s_not_evaluated(run, &left_out);
    const char *params[15] = {job,
                              run->snapshot->scope_code,
                              year,
                              run->snapshot->methodology_code,
                              run->snapshot->policy_code,
                              run->input_sha256,
                              run->output_sha256,
                              snapshot,
                              counties,
                              flags,
                              worker,
                              elapsed,
                              scope,
                              left_out.text,
                              reclassed};
    PGresult *result = NULL;
    int rc = kc_db_run(conn, s_run_sql, 15, params, NULL, NULL, "storing the run", &result, error);
    text_buffer_release(&left_out);
    if (rc)
        return -1;
    *run_id = kc_db_int(result, 0, 0);
    PQclear(result);
    return 0;
}

/* Results and awards go by COPY: a country of ~3,000 counties is one
 * round trip each, and the server parses every field once. */
static const char *s_results_sql =
    "COPY scoring_result (run_id, county_code, total, class, rank, rank_in_city, subtotals,"
    " points, flags, reward, rank_in_province, total_other, class_other) FROM STDIN";

static int s_insert_results(PGconn *conn, int64_t run_id, const sc_run_t *run, kc_error_t *error)
{
    text_buffer_t rows = {0};
    size_t k = run->m->n_indicators;
    for (size_t c = 0; c < run->input->n_counties; c++) {
        const sc_county_result_t *result = &run->result->counties[c];
        int32_t flags[SC_MAX_INDICATORS];
        for (size_t i = 0; i < k; i++)
            flags[i] = result->flags[i];
        text_buffer_append_int(&rows, run_id);
        text_buffer_append(&rows, "\t");
        s_copy_text(&rows, run->input->counties[c].code);
        s_copy_int(&rows, result->total);
        text_buffer_append(&rows, "\t%c", result->klass);
        s_copy_int(&rows, result->rank);
        s_copy_int(&rows, result->rank_in_city);
        s_copy_ints(&rows, result->subtotal, run->m->n_primaries);
        s_copy_ints(&rows, result->points, k);
        s_copy_ints(&rows, flags, k);
        s_copy_int(&rows, run->awards[c].total);
        s_copy_int(&rows, result->rank_in_province);
        s_copy_int(&rows, result->total_other);
        text_buffer_append(&rows, "\t%c\n", result->class_other);
    }
    int rc = s_copy(conn, s_results_sql, &rows, "storing the results", error);
    text_buffer_release(&rows);
    return rc;
}

static const char *s_awards_sql =
    "COPY scoring_award (run_id, county_code, position, rule, amount, reason) FROM STDIN";

static int s_insert_awards(PGconn *conn, int64_t run_id, const sc_run_t *run, kc_error_t *error)
{
    text_buffer_t rows = {0};
    for (size_t c = 0; c < run->input->n_counties; c++)
        for (size_t a = 0; a < run->awards[c].n_awards; a++) {
            const sc_award_t *award = &run->awards[c].awards[a];
            text_buffer_append_int(&rows, run_id);
            text_buffer_append(&rows, "\t");
            s_copy_text(&rows, run->input->counties[c].code);
            s_copy_int(&rows, (long long)a + 1);
            text_buffer_append(&rows, "\t");
            s_copy_text(&rows, award->rule);
            s_copy_int(&rows, award->amount);
            text_buffer_append(&rows, "\t");
            s_copy_text(&rows, award->reason);
            text_buffer_append(&rows, "\n");
        }
    int rc = s_copy(conn, s_awards_sql, &rows, "storing the awards", error);
    text_buffer_release(&rows);
    return rc;
}

static int s_append_event(PGconn *conn, const char *type, const char *node,
                          const ProtobufCMessage *payload, kc_error_t *error)
{
    size_t size = protobuf_c_message_get_packed_size(payload);
    uint8_t *bytes = malloc(size + 1);
    if (!bytes)
        abort();
    protobuf_c_message_pack(payload, bytes);
    const char *params[3] = {type, node, (const char *)bytes};
    int lengths[3] = {0, 0, (int)size};
    int formats[3] = {0, 0, 1};
    int rc = kc_db_run(conn, "SELECT kc_event_append($1, $2, NULL, $3)", 3, params, lengths,
                       formats, "appending an event", NULL, error);
    free(bytes);
    return rc;
}

static int s_events(PGconn *conn, int64_t job_id, int64_t run_id, const sc_run_t *run, int flagged,
                    const char *node, kc_error_t *error)
{
    Kc__V1__ScoringResultsReady ready = KC__V1__SCORING_RESULTS_READY__INIT;
    Kc__V1__RewardsComputed rewards = KC__V1__REWARDS_COMPUTED__INIT;
    int classes[3] = {0, 0, 0};
    for (size_t c = 0; c < run->input->n_counties; c++) {
        classes[run->result->counties[c].klass - 'A']++;
        if (run->awards[c].total > 0) {
            rewards.awarded_counties++;
            rewards.total_amount += run->awards[c].total;
        }
    }
    ready.run_id = run_id;
    ready.job_id = job_id;
    ready.scope_code = (char *)run->snapshot->scope_code;
    ready.year = run->snapshot->year;
    ready.methodology = (char *)run->snapshot->methodology_code;
    ready.output_sha256 = (char *)run->output_sha256;
    ready.class_a = classes[0];
    ready.class_b = classes[1];
    ready.class_c = classes[2];
    ready.flagged = flagged;
    rewards.run_id = run_id;
    rewards.scope_code = ready.scope_code;
    rewards.year = ready.year;
    if (s_append_event(conn, "ScoringResultsReady", node, &ready.base, error) ||
        s_append_event(conn, "RewardsComputed", node, &rewards.base, error))
        return -1;
    /* delivered at commit: kc-intake then publishes both on its PUB socket */
    return kc_db_run(conn, "SELECT pg_notify('kc_events', '')", 0, NULL, NULL, NULL,
                     "announcing the events", NULL, error);
}

int scoring_db_store_run(PGconn *conn, int64_t job_id, const sc_run_t *run,
                         const char *snapshot_text, const char *worker, int elapsed_ms,
                         const char *node, int64_t *run_id, kc_error_t *error)
{
    int flagged = 0;
    for (size_t c = 0; c < run->input->n_counties; c++)
        flagged += run->result->counties[c].flag_count;
    if (s_insert_run(conn, job_id, run, snapshot_text, worker, elapsed_ms, flagged, run_id, error))
        return -1;
    char job_text[24];
    snprintf(job_text, sizeof job_text, "%lld", (long long)job_id);
    const char *params[1] = {job_text};
    if (s_insert_results(conn, *run_id, run, error) || s_insert_awards(conn, *run_id, run, error) ||
        s_events(conn, job_id, *run_id, run, flagged, node, error) ||
        kc_db_run(conn,
                  "UPDATE scoring_job SET state = 'done', finished_at = now()"
                  " WHERE id = $1 AND state = 'queued'",
                  1, params, NULL, NULL, "completing the job", NULL, error))
        return -1;
    return 0;
}
