/*  workflow_objection: settling the objections to a public notice.
 *
 *  Objections arrive through kc-intake while a notice is open (公示期间).
 *  The level that holds the notice settles each one, upheld or dismissed,
 *  with a written reason; an upheld objection may then be acted on with
 *  the notice's own steps (return for revision, reject). A notice that
 *  closed while objections were open waits (its timer is held); when the
 *  last one is settled the timer is released and the notice closes at the
 *  next tick, by itself (workflow_timers.c): into filing when all were
 *  dismissed, to the definition's on_objection_upheld step when one was
 *  upheld. Objections count for the notice they were made against (their
 *  notice_version), never for a later one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_check.h"
#include "kc/kc_db.h"
#include "kc/v1/events.pb-c.h"
#include "workflow/workflow_internal.h"

#define REASON_MAX_CHARS 2000

int workflow_objections_of_notice(PGconn *conn, const char *application_id, int version,
                                  wf_objections_t *out, kc_error_t *error)
{
    memset(out, 0, sizeof *out);
    char version_text[16];
    snprintf(version_text, sizeof version_text, "%d", version);
    const char *params[2] = {application_id, version_text};
    PGresult *result = NULL;
    if (kc_db_run_cached(
            conn,
            "SELECT count(*) FILTER (WHERE r.objection_id IS NULL),"
            "       count(*) FILTER (WHERE r.outcome = 'upheld'),"
            "       coalesce(string_agg(r.reason, '；' ORDER BY o.id)"
            "                FILTER (WHERE r.outcome = 'upheld'), '')"
            "  FROM objection o LEFT JOIN objection_resolution r ON r.objection_id = o.id"
            " WHERE o.application_id = $1::bigint AND o.notice_version = $2::int",
            2, params, NULL, NULL, "counting the notice's objections", &result, error))
        return -1;
    out->open = strtol(PQgetvalue(result, 0, 0), NULL, 10);
    out->upheld = strtol(PQgetvalue(result, 0, 1), NULL, 10);
    kc_utf8_sanitise(PQgetvalue(result, 0, 2), out->reason, sizeof out->reason);
    PQclear(result);
    return 0;
}

static const char *s_lock_sql =
    "SELECT o.id, a.ref, w.county_code, w.definition, w.state, w.application_id, w.version,"
    "       EXISTS (SELECT 1 FROM objection_resolution r WHERE r.objection_id = o.id)"
    "  FROM objection o JOIN application a ON a.id = o.application_id"
    "  JOIN workflow_instance w ON w.application_id = a.id"
    " WHERE o.id = $1::bigint FOR UPDATE OF w";

/* The actor may settle objections when it may take a non-system step out
 * of the definition's notice state (the level that holds the notice). */
static int s_authorise(const wf_process_t *process, const Kc__V1__Actor *actor,
                       const char *county_code, kc_error_t *error)
{
    for (size_t s = 0; s < process->n_states; s++) {
        if (process->states[s].notice_working_days <= 0)
            continue;
        for (size_t t = 0; t < process->n_transitions; t++) {
            const wf_transition_t *transition = &process->transitions[t];
            if (transition->from == (int)s && strcmp(transition->role, "system") != 0)
                return process_authorise(transition, actor->role, actor->division_code, county_code,
                                         error);
        }
    }
    return kc_error_set(error, KC_ERR_DENIED, "resolve_objection.objection_id",
                        "procedure '%s' holds no public notice", process->code);
}

static int s_check(const Kc__V1__ResolveObjection *resolve, kc_error_t *error)
{
    if (strcmp(resolve->outcome, "upheld") != 0 && strcmp(resolve->outcome, "dismissed") != 0)
        return kc_error_set(error, KC_ERR_INVALID_FORMAT, "resolve_objection.outcome",
                            "outcome '%.32s' is not upheld or dismissed", resolve->outcome);
    long chars = kc_utf8_length(resolve->reason);
    if (chars <= 0)
        return kc_error_set(error, KC_ERR_REQUIRED, "resolve_objection.reason",
                            "settling an objection needs a written reason");
    if (chars > REASON_MAX_CHARS)
        return kc_error_set(error, KC_ERR_TOO_LONG, "resolve_objection.reason",
                            "a reason is at most %d characters", REASON_MAX_CHARS);
    return 0;
}

static int s_settle(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                    const PGresult *row, kc_error_t *error)
{
    const Kc__V1__ResolveObjection *resolve = request->resolve_objection;
    const Kc__V1__Actor *actor = request->actor;
    const char *params[7] = {PQgetvalue(row, 0, 0),   resolve->outcome, resolve->reason,
                             actor->user_id,          actor->role,      actor->division_code,
                             request->idempotency_key};
    if (kc_db_run_cached(
            conn,
            "INSERT INTO objection_resolution (objection_id, outcome, reason, user_id, role,"
            " division_code, idempotency_key) VALUES ($1::bigint, $2, $3, $4, $5, $6, $7)",
            7, params, NULL, NULL, "settling the objection", NULL, error))
        return -1;
    Kc__V1__ObjectionResolved event = KC__V1__OBJECTION_RESOLVED__INIT;
    event.application_ref = PQgetvalue(row, 0, 1);
    event.county_code = PQgetvalue(row, 0, 2);
    event.objection_id = resolve->objection_id;
    event.outcome = resolve->outcome;
    event.reason = resolve->reason;
    char action[64];
    snprintf(action, sizeof action, "workflow.objection:%s", resolve->outcome);
    if (workflow_event(self, conn, "ObjectionResolved", &event.base, error) ||
        workflow_audit(self, conn, actor, action, PQgetvalue(row, 0, 1), resolve->reason, error))
        return -1;
    /* the last objection settled: a notice held for it may close now */
    const char *release[2] = {PQgetvalue(row, 0, 5), PQgetvalue(row, 0, 6)};
    return kc_db_run_cached(
        conn,
        "UPDATE workflow_timer SET held = false WHERE application_id = $1::bigint"
        "   AND version = $2::int AND kind = 'notice_end' AND held"
        "   AND NOT EXISTS (SELECT 1 FROM objection o WHERE o.application_id ="
        "       $1::bigint AND o.notice_version = $2::int AND NOT EXISTS"
        "       (SELECT 1 FROM objection_resolution r WHERE r.objection_id = o.id))",
        2, release, NULL, NULL, "releasing the notice", NULL, error);
}

int workflow_store_resolve_objection(workflow_store_t *self, PGconn *conn,
                                     const kc_envelope_t *request, Kc__V1__WorkflowState **reply,
                                     kc_error_t *error)
{
    const Kc__V1__ResolveObjection *resolve = request->resolve_objection;
    const Kc__V1__Actor *actor = request->actor;
    if (!actor || !*request->idempotency_key)
        return kc_error_set(error, KC_ERR_MISSING_HEADER, "idempotency_key",
                            "settling an objection needs an actor and an idempotency key");
    char id[24], target[48];
    snprintf(id, sizeof id, "%lld", (long long)resolve->objection_id);
    snprintf(target, sizeof target, "objection:%s", id);
    if (workflow_tx_begin(self, conn, error))
        return -1;
    PGresult *row = NULL;
    const char *key[2] = {request->idempotency_key, id};
    if (kc_db_run_cached(conn,
                         "SELECT objection_id = $2::bigint FROM objection_resolution"
                         " WHERE idempotency_key = $1",
                         2, key, NULL, NULL, "reading earlier settlements", &row, error))
        goto refused;
    bool replay = PQntuples(row) == 1;
    if (replay && PQgetvalue(row, 0, 0)[0] != 't') {
        kc_error_set(error, KC_ERR_KEY_REUSED, "idempotency_key",
                     "idempotency key '%.64s' settled another objection", request->idempotency_key);
        goto refused;
    }
    PQclear(row);
    row = NULL;
    const char *params[1] = {id};
    if (kc_db_run_cached(conn, s_lock_sql, 1, params, NULL, NULL, "locking the application", &row,
                         error))
        goto refused;
    if (PQntuples(row) != 1) {
        kc_error_set(error, KC_ERR_NOT_FOUND, "resolve_objection.objection_id", "no objection %s",
                     id);
        goto refused;
    }
    if (!replay) {
        const wf_process_t *process =
            workflow_store_definition(self, conn, PQgetvalue(row, 0, 3), error);
        if (!process || s_authorise(process, actor, PQgetvalue(row, 0, 2), error) ||
            s_check(resolve, error))
            goto refused;
        if (PQgetvalue(row, 0, 7)[0] == 't') {
            kc_error_set(error, KC_ERR_ALREADY_DONE, "resolve_objection.objection_id",
                         "objection %s is already settled", id);
            goto refused;
        }
        if (s_settle(self, conn, request, row, error))
            goto refused;
    }
    char ref[48];
    snprintf(ref, sizeof ref, "%s", PQgetvalue(row, 0, 1));
    PQclear(row);
    if (workflow_tx_commit(self, conn, error))
        return -1;
    if (workflow_state_of(self, conn, ref, actor, reply, error))
        return -1;
    (*reply)->replayed = replay;
    return 0;
refused:
    PQclear(row);
    workflow_audit_refusal(self, conn, actor, "workflow.objection", target, error);
    return -1;
}
