/*  scoring_db_store: write one computed run inside the job's transaction.
 *
 *  The run row (with its snapshot text and canonical JSON), one result row
 *  per county, one row per award, the ScoringResultsReady and
 *  RewardsComputed events in the node's event log, and the job marked
 *  done: four statements, each sending whole columns as array literals so
 *  the cost does not grow with round trips. scoring_run.job_id is unique,
 *  so a second commit for the same job is impossible.
 */
#include "scoring/scoring_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "kc/v1/events.pb-c.h"
#include "scoring/text_buffer.h"

/* Append one element of a text[] literal, quoted and escaped. */
static void s_array_string(text_buffer_t *out, const char *text, int first)
{
    text_buffer_append(out, "%s\"", first ? "" : ",");
    for (const char *at = text; *at; at++)
        text_buffer_append(out, (*at == '"' || *at == '\\') ? "\\%c" : "%c", *at);
    text_buffer_append(out, "\"");
}

/* An int[] literal of n values, itself quoted as one text[] element. */
static void s_array_ints(text_buffer_t *out, const int32_t *values, size_t n, int first)
{
    text_buffer_append(out, "%s\"{", first ? "" : ",");
    for (size_t i = 0; i < n; i++)
        text_buffer_append(out, "%s%d", i ? "," : "", (int)values[i]);
    text_buffer_append(out, "}\"");
}

static const char *s_run_sql =
    "INSERT INTO scoring_run (job_id, scope_code, year, methodology, policy, input_sha256,"
    "  output_sha256, input_text, result_json, county_count, flagged_count, worker, elapsed_ms)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";

static int s_insert_run(PGconn *conn, int64_t job_id, const sc_run_t *run, const char *snapshot,
                        const char *worker, int elapsed_ms, int flagged, int64_t *run_id,
                        kc_error_t *error)
{
    char job[24], year[16], counties[16], flags[16], elapsed[16];
    snprintf(job, sizeof job, "%lld", (long long)job_id);
    snprintf(year, sizeof year, "%d", run->snapshot->year);
    snprintf(counties, sizeof counties, "%zu", run->input->n_counties);
    snprintf(flags, sizeof flags, "%d", flagged);
    snprintf(elapsed, sizeof elapsed, "%d", elapsed_ms);
    const char *params[13] = {job,
                              run->snapshot->scope_code,
                              year,
                              run->snapshot->methodology_code,
                              run->snapshot->policy_code,
                              run->input_sha256,
                              run->output_sha256,
                              snapshot,
                              run->json,
                              counties,
                              flags,
                              worker,
                              elapsed};
    PGresult *result = NULL;
    if (kc_db_run(conn, s_run_sql, 13, params, NULL, NULL, "storing the run", &result, error))
        return -1;
    *run_id = kc_db_int(result, 0, 0);
    PQclear(result);
    return 0;
}

static const char *s_results_sql =
    "INSERT INTO scoring_result (run_id, county_code, total, class, rank, rank_in_city,"
    "  subtotals, points, flags, reward)"
    " SELECT $1, r.code, r.total, r.class, r.rank, r.city_rank, r.subtotals::int[],"
    "        r.points::int[], r.flags::int[], r.reward"
    "   FROM unnest($2::text[], $3::int[], $4::text[], $5::int[], $6::int[], $7::text[],"
    "               $8::text[], $9::text[], $10::int[])"
    "        AS r(code, total, class, rank, city_rank, subtotals, points, flags, reward)";

static int s_insert_results(PGconn *conn, const char *run_id, const sc_run_t *run,
                            kc_error_t *error)
{
    text_buffer_t columns[9];
    memset(columns, 0, sizeof columns);
    for (int i = 0; i < 9; i++)
        text_buffer_append(&columns[i], "{");
    size_t k = run->m->n_indicators;
    for (size_t c = 0; c < run->input->n_counties; c++) {
        const sc_county_result_t *result = &run->result->counties[c];
        const char *comma = c ? "," : "";
        int32_t flags[SC_MAX_INDICATORS];
        for (size_t i = 0; i < k; i++)
            flags[i] = result->flags[i];
        s_array_string(&columns[0], run->input->counties[c].code, c == 0);
        text_buffer_append(&columns[1], "%s%d", comma, (int)result->total);
        text_buffer_append(&columns[2], "%s%c", comma, result->klass);
        text_buffer_append(&columns[3], "%s%d", comma, result->rank);
        text_buffer_append(&columns[4], "%s%d", comma, result->rank_in_city);
        s_array_ints(&columns[5], result->subtotal, run->m->n_primaries, c == 0);
        s_array_ints(&columns[6], result->points, k, c == 0);
        s_array_ints(&columns[7], flags, k, c == 0);
        text_buffer_append(&columns[8], "%s%d", comma, run->awards[c].total);
    }
    const char *params[10] = {run_id};
    for (int i = 0; i < 9; i++) {
        text_buffer_append(&columns[i], "}");
        params[i + 1] = columns[i].text;
    }
    int rc =
        kc_db_run(conn, s_results_sql, 10, params, NULL, NULL, "storing the results", NULL, error);
    for (int i = 0; i < 9; i++)
        text_buffer_release(&columns[i]);
    return rc;
}

static const char *s_awards_sql =
    "INSERT INTO scoring_award (run_id, county_code, position, rule, amount, reason)"
    " SELECT $1, a.code, a.position, a.rule, a.amount, a.reason"
    "   FROM unnest($2::text[], $3::int[], $4::text[], $5::int[], $6::text[])"
    "        AS a(code, position, rule, amount, reason)";

static int s_insert_awards(PGconn *conn, const char *run_id, const sc_run_t *run, kc_error_t *error)
{
    text_buffer_t columns[5];
    memset(columns, 0, sizeof columns);
    for (int i = 0; i < 5; i++)
        text_buffer_append(&columns[i], "{");
    int first = 1;
    for (size_t c = 0; c < run->input->n_counties; c++)
        for (size_t a = 0; a < run->awards[c].n_awards; a++, first = 0) {
            const sc_award_t *award = &run->awards[c].awards[a];
            s_array_string(&columns[0], run->input->counties[c].code, first);
            text_buffer_append(&columns[1], "%s%zu", first ? "" : ",", a + 1);
            s_array_string(&columns[2], award->rule, first);
            text_buffer_append(&columns[3], "%s%d", first ? "" : ",", award->amount);
            s_array_string(&columns[4], award->reason, first);
        }
    const char *params[6] = {run_id};
    for (int i = 0; i < 5; i++) {
        text_buffer_append(&columns[i], "}");
        params[i + 1] = columns[i].text;
    }
    int rc =
        kc_db_run(conn, s_awards_sql, 6, params, NULL, NULL, "storing the awards", NULL, error);
    for (int i = 0; i < 5; i++)
        text_buffer_release(&columns[i]);
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
    return 0;
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
    char run_text[24], job_text[24];
    snprintf(run_text, sizeof run_text, "%lld", (long long)*run_id);
    snprintf(job_text, sizeof job_text, "%lld", (long long)job_id);
    const char *params[1] = {job_text};
    if (s_insert_results(conn, run_text, run, error) ||
        s_insert_awards(conn, run_text, run, error) ||
        s_events(conn, job_id, *run_id, run, flagged, node, error) ||
        kc_db_run(conn,
                  "UPDATE scoring_job SET state = 'done', finished_at = now()"
                  " WHERE id = $1 AND state = 'queued'",
                  1, params, NULL, NULL, "completing the job", NULL, error))
        return -1;
    return 0;
}
