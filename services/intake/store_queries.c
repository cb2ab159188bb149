/*  store_queries: what kc-intake reads back for its callers — a
 *  submission's status and history, the event log for subscribers catching
 *  up, and the division map. All parameterised, all bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/events.h"
#include "intake/store.h"
#include "kc/kc_db.h"

#define HISTORY_MAX 1000
#define EVENTS_MAX  1000

static char *s_dup(const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy)
        abort();
    return copy;
}

static void *s_alloc(size_t count, size_t size)
{
    void *memory = calloc(count ? count : 1, size);
    if (!memory)
        abort();
    return memory;
}

static PGresult *s_query(PGconn *conn, const char *sql, int count, const char *const *values,
                         const char *what, kc_error_t *error)
{
    PGresult *result = PQexecParams(conn, sql, count, NULL, values, NULL, NULL, 0);
    if (kc_db_check(conn, result, what, error)) {
        PQclear(result);
        return NULL;
    }
    return result;
}

static const char *s_submission_sql =
    "SELECT s.id, s.idempotency_key, s.kind, s.actor_user, s.actor_role, s.actor_division,"
    "       s.actor_organisation, s.sender_node,"
    "       (extract(epoch FROM s.received_at) * 1000)::bigint, s.received, s.stored,"
    "       s.unchanged, coalesce(s.application_ref, ''), coalesce(s.objection_id, 0),"
    "       coalesce(s.event_seq, 0)"
    "  FROM submission s WHERE s.id = $1::bigint OR s.idempotency_key = $2";

/* Every revision of every value the submission stored, oldest first. */
static const char *s_history_sql =
    "SELECT v.county_code, v.year, v.indicator_code, v.revision, v.value, v.submission_id,"
    "       (extract(epoch FROM v.recorded_at) * 1000)::bigint,"
    "       v.revision = max(v.revision) OVER (PARTITION BY v.county_code, v.year,"
    "                                                        v.indicator_code)"
    "  FROM indicator_value v"
    "  JOIN (SELECT DISTINCT county_code, year, indicator_code FROM indicator_value"
    "         WHERE submission_id = $1::bigint) k"
    "    USING (county_code, year, indicator_code)"
    " ORDER BY v.county_code, v.year, v.indicator_code, v.revision LIMIT $2::int";

static void s_fill_status(Kc__V1__SubmissionStatus *status, const PGresult *row)
{
    status->submission_id = kc_db_int(row, 0, 0);
    status->idempotency_key = s_dup(PQgetvalue(row, 0, 1));
    status->kind = s_dup(PQgetvalue(row, 0, 2));
    status->status = s_dup("accepted");
    status->actor = s_alloc(1, sizeof *status->actor);
    kc__v1__actor__init(status->actor);
    status->actor->user_id = s_dup(PQgetvalue(row, 0, 3));
    status->actor->role = s_dup(PQgetvalue(row, 0, 4));
    status->actor->division_code = s_dup(PQgetvalue(row, 0, 5));
    status->actor->organisation = s_dup(PQgetvalue(row, 0, 6));
    status->sender_node = s_dup(PQgetvalue(row, 0, 7));
    status->received_at_ms = kc_db_int(row, 0, 8);
    Kc__V1__Accepted *answer = s_alloc(1, sizeof *answer);
    kc__v1__accepted__init(answer);
    answer->submission_id = status->submission_id;
    answer->kind = s_dup(status->kind);
    answer->received = (int32_t)kc_db_int(row, 0, 9);
    answer->stored = (int32_t)kc_db_int(row, 0, 10);
    answer->unchanged = (int32_t)kc_db_int(row, 0, 11);
    answer->application_id = s_dup(PQgetvalue(row, 0, 12));
    answer->objection_id = kc_db_int(row, 0, 13);
    answer->event_seq = kc_db_int(row, 0, 14);
    answer->committed_at_ms = status->received_at_ms;
    status->answer = answer;
}

static void s_fill_history(Kc__V1__SubmissionStatus *status, const PGresult *rows)
{
    int count = PQntuples(rows);
    if (count > HISTORY_MAX) {
        status->history_truncated = 1;
        count = HISTORY_MAX;
    }
    status->history = s_alloc((size_t)count, sizeof *status->history);
    for (int i = 0; i < count; i++) {
        Kc__V1__ValueRevision *revision = s_alloc(1, sizeof *revision);
        kc__v1__value_revision__init(revision);
        revision->county_code = s_dup(PQgetvalue(rows, i, 0));
        revision->year = (int32_t)kc_db_int(rows, i, 1);
        revision->indicator_code = s_dup(PQgetvalue(rows, i, 2));
        revision->revision = (int32_t)kc_db_int(rows, i, 3);
        revision->value = strtod(PQgetvalue(rows, i, 4), NULL);
        revision->submission_id = kc_db_int(rows, i, 5);
        revision->recorded_at_ms = kc_db_int(rows, i, 6);
        revision->current = PQgetvalue(rows, i, 7)[0] == 't';
        status->history[i] = revision;
    }
    status->n_history = (size_t)count;
}

int store_get_submission(PGconn *conn, const Kc__V1__GetSubmission *query,
                         Kc__V1__SubmissionStatus **status, kc_error_t *error)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)query->submission_id);
    const char *values[] = {id, query->idempotency_key};
    PGresult *row = s_query(conn, s_submission_sql, 2, values, "reading the submission", error);
    if (!row)
        return -1;
    if (PQntuples(row) == 0) {
        PQclear(row);
        kc_error_set(error, KC_ERR_NOT_FOUND,
                     query->submission_id ? "submission_id" : "idempotency_key",
                     "no submission %s%.64s", query->submission_id ? id : "with key ",
                     query->submission_id ? "" : query->idempotency_key);
        return -1;
    }
    *status = s_alloc(1, sizeof **status);
    kc__v1__submission_status__init(*status);
    s_fill_status(*status, row);
    PQclear(row);
    snprintf(id, sizeof id, "%lld", (long long)(*status)->submission_id);
    const char *history_values[] = {id, "1001"};
    PGresult *rows =
        s_query(conn, s_history_sql, 2, history_values, "reading the value history", error);
    if (!rows) {
        store_submission_status_destroy(status);
        return -1;
    }
    s_fill_history(*status, rows);
    PQclear(rows);
    return 0;
}

void store_submission_status_destroy(Kc__V1__SubmissionStatus **status)
{
    if (status && *status) {
        kc__v1__submission_status__free_unpacked(*status, NULL);
        *status = NULL;
    }
}

int store_list_events(PGconn *conn, int64_t after_seq, int limit, Kc__V1__EventPage **page,
                      kc_error_t *error)
{
    char after[24], count[16];
    snprintf(after, sizeof after, "%lld", (long long)after_seq);
    snprintf(count, sizeof count, "%d", limit > 0 && limit <= EVENTS_MAX ? limit : EVENTS_MAX);
    const char *values[] = {after, count};
    PGresult *rows =
        PQexecParams(conn,
                     "SELECT seq, type, (extract(epoch FROM occurred_at) * 1000)::bigint, node,"
                     "       coalesce(submission_id, 0), payload,"
                     "       (SELECT last_seq FROM event_log_head)"
                     "  FROM event WHERE seq > $1::bigint ORDER BY seq LIMIT $2::int",
                     2, NULL, values, NULL, NULL, 1); /* binary results: the payload is raw bytes */
    if (kc_db_check(conn, rows, "reading the event log", error)) {
        PQclear(rows);
        return -1;
    }
    int n = PQntuples(rows);
    *page = s_alloc(1, sizeof **page);
    kc__v1__event_page__init(*page);
    (*page)->events = s_alloc((size_t)n, sizeof *(*page)->events);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        /* Binary int8 columns arrive in network byte order. */
        int64_t numbers[3] = {0, 0, 0};
        int columns[3] = {0, 2, 4};
        for (int k = 0; k < 3; k++) {
            const unsigned char *bytes = (const unsigned char *)PQgetvalue(rows, i, columns[k]);
            for (int b = 0; b < 8; b++)
                numbers[k] = (int64_t)(((uint64_t)numbers[k] << 8) | bytes[b]);
        }
        char type[64], node[64];
        snprintf(type, sizeof type, "%.*s", PQgetlength(rows, i, 1), PQgetvalue(rows, i, 1));
        snprintf(node, sizeof node, "%.*s", PQgetlength(rows, i, 3), PQgetvalue(rows, i, 3));
        Kc__V1__Event *event = events_build(numbers[0], type, numbers[1], node, numbers[2],
                                            (const uint8_t *)PQgetvalue(rows, i, 5),
                                            (size_t)PQgetlength(rows, i, 5), error);
        if (!event)
            rc = -1;
        else
            (*page)->events[(*page)->n_events++] = event;
    }
    int64_t last = 0;
    if (n > 0) {
        const unsigned char *bytes = (const unsigned char *)PQgetvalue(rows, n - 1, 6);
        for (int b = 0; b < 8; b++)
            last = (int64_t)(((uint64_t)last << 8) | bytes[b]);
    }
    PQclear(rows);
    if (rc == 0 && n == 0)
        rc = store_last_event_seq(conn, &last, error);
    (*page)->last_seq = last;
    if (rc) {
        kc__v1__event_page__free_unpacked(*page, NULL);
        *page = NULL;
    }
    return rc;
}

int store_last_event_seq(PGconn *conn, int64_t *seq, kc_error_t *error)
{
    PGresult *row = s_query(conn, "SELECT last_seq FROM event_log_head", 0, NULL,
                            "reading the event log head", error);
    if (!row)
        return -1;
    *seq = kc_db_int(row, 0, 0);
    PQclear(row);
    return 0;
}

int store_list_divisions(PGconn *conn, const Kc__V1__ListDivisions *query,
                         Kc__V1__DivisionList **list, kc_error_t *error)
{
    char year[16];
    snprintf(year, sizeof year, "%d", query->year);
    const char *values[] = {query->parent_code, year};
    PGresult *rows = s_query(
        conn,
        "SELECT d.code, d.name, d.level, coalesce(d.parent_code, ''), d.is_zone,"
        "       CASE WHEN d.valid_from = '-infinity' THEN '' ELSE d.valid_from::text END,"
        "       CASE WHEN d.valid_to = 'infinity' THEN '' ELSE d.valid_to::text END,"
        "       coalesce((SELECT string_agg(s.successor_code, ',') FROM division_succession s"
        "                  WHERE s.predecessor_code = d.code), '')"
        "  FROM division d"
        " WHERE (CASE WHEN $1 = '' THEN d.level = 1 ELSE d.parent_code = $1 END)"
        "   AND (CASE WHEN $2::int = 0 THEN d.valid_to = 'infinity'"
        "             ELSE d.valid_from < make_date($2::int + 1, 1, 1)"
        "              AND d.valid_to > make_date($2::int, 1, 1) END)"
        " ORDER BY d.code LIMIT 5000",
        2, values, "listing divisions", error);
    if (!rows)
        return -1;
    int n = PQntuples(rows);
    *list = s_alloc(1, sizeof **list);
    kc__v1__division_list__init(*list);
    (*list)->divisions = s_alloc((size_t)n, sizeof *(*list)->divisions);
    for (int i = 0; i < n; i++) {
        Kc__V1__Division *division = s_alloc(1, sizeof *division);
        kc__v1__division__init(division);
        division->code = s_dup(PQgetvalue(rows, i, 0));
        division->name = s_dup(PQgetvalue(rows, i, 1));
        division->level = (int32_t)kc_db_int(rows, i, 2);
        division->parent_code = s_dup(PQgetvalue(rows, i, 3));
        division->is_zone = PQgetvalue(rows, i, 4)[0] == 't';
        division->valid_from = s_dup(PQgetvalue(rows, i, 5));
        division->valid_to = s_dup(PQgetvalue(rows, i, 6));
        const char *successors = PQgetvalue(rows, i, 7);
        if (*successors) {
            division->successors = s_alloc(1, sizeof *division->successors);
            division->successors[0] = s_dup(successors);
            division->n_successors = 1;
        }
        (*list)->divisions[i] = division;
    }
    (*list)->n_divisions = (size_t)n;
    PQclear(rows);
    return 0;
}
