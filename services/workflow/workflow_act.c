/*  workflow_act: one official's action on one application.
 *
 *  One transaction: the instance row is locked (FOR UPDATE), so of two
 *  officials acting at once the second sees the state the first left and
 *  is told so; the transition is checked against the definition the
 *  application started with (from state, role, level and jurisdiction,
 *  reason, attestation, return target); then the state moves, the step is
 *  recorded under the request's idempotency key, an ApplicationMoved event
 *  is appended and the audit entry written — all or nothing. A refusal is
 *  rolled back and audited in a transaction of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_audit.h"
#include "kc/kc_check.h"
#include "kc/kc_db.h"
#include "kc/v1/events.pb-c.h"
#include "workflow/workflow_internal.h"

#define REASON_MAX_CHARS 2000

static const char *s_lock_sql =
    "SELECT a.ref, a.title, w.county_code, w.definition, w.state, w.version, a.id"
    "  FROM application a JOIN workflow_instance w ON w.application_id = a.id"
    " WHERE a.ref = $1 FOR UPDATE OF w";

static const char *s_replay_sql =
    "SELECT a.ref = $2 AND s.transition = $3 FROM workflow_step s"
    "  JOIN application a ON a.id = s.application_id WHERE s.idempotency_key = $1";

/* 1: the key was used before for this very action (answer with the current
 * state), 0: a new key, -1: used for another action, or the database failed. */
static int s_replayed(PGconn *conn, const kc_envelope_t *request, kc_error_t *error)
{
    const Kc__V1__ActOnApplication *act = request->act_on_application;
    const char *params[3] = {request->idempotency_key, act->application_ref, act->transition};
    PGresult *result = NULL;
    if (kc_db_run(conn, s_replay_sql, 3, params, NULL, NULL, "reading earlier actions", &result,
                  error))
        return -1;
    int rc = 0;
    if (PQntuples(result) == 1)
        rc = PQgetvalue(result, 0, 0)[0] == 't'
                 ? 1
                 : kc_error_set(error, KC_ERR_KEY_REUSED, "idempotency_key",
                                "idempotency key '%.64s' was used for another action",
                                request->idempotency_key);
    PQclear(result);
    return rc;
}

/* Was `state` a state the application passed through (a return target)? */
static int s_passed_through(PGconn *conn, const char *application_id, const char *state,
                            const wf_process_t *process)
{
    if (strcmp(process->states[process->initial].code, state) == 0)
        return 1;
    const char *params[2] = {application_id, state};
    PGresult *result = PQexecParams(conn,
                                    "SELECT 1 FROM workflow_step WHERE application_id = $1::bigint"
                                    " AND to_state = $2 LIMIT 1",
                                    2, NULL, params, NULL, NULL, 0);
    int found = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
    PQclear(result);
    return found;
}

/* An objection to the application (every one must be resolved before
 * filing; resolution comes with the public-notice steps). */
static int s_has_objection(PGconn *conn, const char *application_id)
{
    const char *params[1] = {application_id};
    PGresult *result = PQexecParams(conn,
                                    "SELECT 1 FROM objection WHERE application_id = $1::bigint"
                                    " LIMIT 1",
                                    1, NULL, params, NULL, NULL, 0);
    int found = PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) == 1;
    PQclear(result);
    return found;
}

/* The checks that depend only on the definition and the request; fills
 * *to with the target state's index. */
static int s_check(PGconn *conn, const wf_process_t *process, const PGresult *row,
                   const kc_envelope_t *request, const wf_transition_t **out, int *to,
                   kc_error_t *error)
{
    const Kc__V1__ActOnApplication *act = request->act_on_application;
    const Kc__V1__Actor *actor = request->actor;
    int t = process_transition_index(process, act->transition);
    if (t < 0)
        return kc_error_set(error, KC_ERR_INVALID_FORMAT, "act_on_application.transition",
                            "'%.48s' is not a step of procedure '%s'", act->transition,
                            process->code);
    const wf_transition_t *transition = &process->transitions[t];
    *out = transition;
    int state = process_state_index(process, PQgetvalue(row, 0, 4));
    if (state < 0 ||
        (transition->from_any ? process->states[state].final : transition->from != state))
        return kc_error_set(error, KC_ERR_STATE_CHANGED, "act_on_application.transition",
                            "application %s is at '%s': '%s' cannot be taken from there",
                            PQgetvalue(row, 0, 0), PQgetvalue(row, 0, 4), transition->code);
    if (act->expected_version &&
        act->expected_version != (int)strtol(PQgetvalue(row, 0, 5), NULL, 10))
        return kc_error_set(error, KC_ERR_STATE_CHANGED, "act_on_application.expected_version",
                            "application %s has moved on (version %s, not %d)",
                            PQgetvalue(row, 0, 0), PQgetvalue(row, 0, 5), act->expected_version);
    if (process_authorise(transition, actor->role, actor->division_code, PQgetvalue(row, 0, 2),
                          error))
        return -1;
    long chars = kc_utf8_length(act->reason);
    if ((transition->requires & WF_REQUIRES_REASON) && chars <= 0)
        return kc_error_set(error, KC_ERR_REQUIRED, "act_on_application.reason",
                            "'%s' needs a written reason", transition->code);
    if (chars > REASON_MAX_CHARS || chars < 0)
        return kc_error_set(error, KC_ERR_TOO_LONG, "act_on_application.reason",
                            "a reason is at most %d characters of UTF-8", REASON_MAX_CHARS);
    if ((transition->requires & WF_REQUIRES_ATTESTATION) && !act->attest)
        return kc_error_set(error, KC_ERR_REQUIRED, "act_on_application.attest",
                            "'%s' needs the acting official's attestation (the seal)",
                            transition->code);
    if (transition->requires & WF_REQUIRES_SCORES)
        /* expert panels (draw, conflicts of interest, scores) are not built
         * yet: a step that needs their scores cannot be taken */
        return kc_error_set(error, KC_ERR_REQUIRED, "act_on_application.transition",
                            "'%s' needs the expert panel's scores, and none are in",
                            transition->code);
    if ((transition->requires & WF_REQUIRES_NO_OBJECTION) &&
        s_has_objection(conn, PQgetvalue(row, 0, 6)))
        return kc_error_set(error, KC_ERR_STATE_CHANGED, "act_on_application.transition",
                            "application %s has an objection to resolve first",
                            PQgetvalue(row, 0, 0));
    *to = transition->to;
    if (transition->to_earlier) {
        *to = process_state_index(process, act->return_to);
        if (*to < 0 || !s_passed_through(conn, PQgetvalue(row, 0, 6), act->return_to, process))
            return kc_error_set(error, KC_ERR_INVALID_FORMAT, "act_on_application.return_to",
                                "'%.48s' is not a step application %s passed through",
                                act->return_to, PQgetvalue(row, 0, 0));
    }
    return 0;
}

static int s_event(workflow_store_t *self, PGconn *conn, const PGresult *row,
                   const wf_process_t *process, const wf_transition_t *transition, int to,
                   const kc_envelope_t *request, int version, kc_error_t *error)
{
    Kc__V1__ApplicationMoved moved = KC__V1__APPLICATION_MOVED__INIT;
    moved.application_ref = PQgetvalue(row, 0, 0);
    moved.county_code = PQgetvalue(row, 0, 2);
    moved.definition = (char *)process->code;
    moved.transition = (char *)transition->code;
    moved.decision = (char *)transition->decision;
    moved.from_state = PQgetvalue(row, 0, 4);
    moved.to_state = (char *)process->states[to].code;
    moved.role = request->actor->role;
    moved.division_code = request->actor->division_code;
    moved.reason = request->act_on_application->reason;
    moved.version = version;
    size_t size = kc__v1__application_moved__get_packed_size(&moved);
    uint8_t *payload = malloc(size + 1);
    if (!payload)
        abort();
    kc__v1__application_moved__pack(&moved, payload);
    const char *params[3] = {"ApplicationMoved", workflow_store_node(self), (const char *)payload};
    int lengths[3] = {0, 0, (int)size}, formats[3] = {0, 0, 1};
    int rc = kc_db_run(conn, "SELECT kc_event_append($1, $2, NULL, $3), pg_notify('kc_events', '')",
                       3, params, lengths, formats, "appending the event", NULL, error);
    free(payload);
    return rc;
}

static const char *s_move_sql =
    "WITH moved AS (UPDATE workflow_instance SET state = $2, version = version + 1,"
    "                 entered_at = now() WHERE application_id = $1::bigint RETURNING version),"
    " step AS (INSERT INTO workflow_step (application_id, version, transition, decision,"
    "            from_state, to_state, user_id, role, division_code, reason, attested,"
    "            idempotency_key)"
    "          SELECT $1::bigint, version, $3, $4, $5, $2, $6, $7, $8, $9, $10::boolean, $11"
    "            FROM moved RETURNING version)"
    " UPDATE application SET status = $2 WHERE id = $1::bigint"
    " RETURNING (SELECT version FROM step)";

static int s_move(workflow_store_t *self, PGconn *conn, const PGresult *row,
                  const wf_process_t *process, const wf_transition_t *transition, int to,
                  const kc_envelope_t *request, kc_error_t *error)
{
    const Kc__V1__Actor *actor = request->actor;
    const Kc__V1__ActOnApplication *act = request->act_on_application;
    const char *params[11] = {PQgetvalue(row, 0, 6),
                              process->states[to].code,
                              transition->code,
                              transition->decision,
                              PQgetvalue(row, 0, 4),
                              actor->user_id,
                              actor->role,
                              actor->division_code,
                              act->reason,
                              act->attest ? "true" : "false",
                              request->idempotency_key};
    PGresult *result = NULL;
    if (kc_db_run(conn, s_move_sql, 11, params, NULL, NULL, "moving the application", &result,
                  error))
        return -1;
    int version = (int)kc_db_int(result, 0, 0);
    PQclear(result);
    char action[96];
    snprintf(action, sizeof action, "workflow.act:%s", transition->code);
    kc_audit_entry_t entry = {workflow_store_node(self),
                              actor->user_id,
                              actor->role,
                              actor->division_code,
                              actor->organisation,
                              action,
                              PQgetvalue(row, 0, 0),
                              true,
                              act->reason,
                              ""};
    if (s_event(self, conn, row, process, transition, to, request, version, error) ||
        kc_audit_append(conn, &entry, NULL, error))
        return -1;
    return 0;
}

/* A refusal leaves its trace: rolled back, then audited on its own. */
static void s_audit_refusal(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                            const kc_error_t *why)
{
    const Kc__V1__Actor *actor = request->actor;
    char action[96], reason[KC_ERROR_MESSAGE_MAX + 64];
    snprintf(action, sizeof action, "workflow.act:%.64s", request->act_on_application->transition);
    snprintf(reason, sizeof reason, "%s: %s", kc_error_code_name(why->code), why->message);
    kc_audit_entry_t entry = {workflow_store_node(self),
                              actor->user_id,
                              actor->role,
                              actor->division_code,
                              actor->organisation,
                              action,
                              request->act_on_application->application_ref,
                              false,
                              reason,
                              ""};
    kc_error_t error;
    PGresult *rollback = PQexec(conn, "ROLLBACK");
    PQclear(rollback);
    if (kc_audit_append(conn, &entry, NULL, &error))
        fprintf(stderr, "audit of a refusal failed: %s\n", error.message);
}

static int s_reply(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                   const char *ref, Kc__V1__WorkflowState **reply, kc_error_t *error)
{
    const char *params[1] = {ref};
    PGresult *result = NULL;
    if (kc_db_run(conn,
                  "SELECT a.ref, a.title, w.county_code, w.definition, w.state, w.version"
                  "  FROM application a JOIN workflow_instance w ON w.application_id = a.id"
                  " WHERE a.ref = $1",
                  1, params, NULL, NULL, "reading the application", &result, error))
        return -1;
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(result, 0, 3), error);
    if (process)
        *reply = workflow_state_reply(process, result, 0, request->actor);
    PQclear(result);
    return process ? 0 : -1;
}

int workflow_store_act(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                       Kc__V1__WorkflowState **reply, kc_error_t *error)
{
    const Kc__V1__ActOnApplication *act = request->act_on_application;
    if (!request->actor || !*request->idempotency_key)
        return kc_error_set(error, KC_ERR_MISSING_HEADER, "idempotency_key",
                            "an action needs an actor and an idempotency key");
    if (kc_db_exec(conn, "BEGIN", error))
        return -1;
    PGresult *row = NULL;
    const char *params[1] = {act->application_ref};
    int replayed = s_replayed(conn, request, error);
    if (replayed != 0)
        goto finish;
    if (kc_db_run(conn, s_lock_sql, 1, params, NULL, NULL, "locking the application", &row, error))
        goto refused;
    if (PQntuples(row) != 1) {
        kc_error_set(error, KC_ERR_UNKNOWN_APPLICATION, "act_on_application.application_ref",
                     "no application '%.32s' is in a procedure", act->application_ref);
        goto refused;
    }
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(row, 0, 3), error);
    const wf_transition_t *transition = NULL;
    int to = -1;
    if (!process || s_check(conn, process, row, request, &transition, &to, error) ||
        s_move(self, conn, row, process, transition, to, request, error))
        goto refused;
    PQclear(row);
    if (kc_db_exec(conn, "COMMIT", error))
        return -1;
    return s_reply(self, conn, request, act->application_ref, reply, error);
refused:
    PQclear(row);
    if (error->code != KC_ERR_DB_UNAVAILABLE)
        s_audit_refusal(self, conn, request, error);
    else {
        PGresult *rollback = PQexec(conn, "ROLLBACK");
        PQclear(rollback);
    }
    return -1;
finish : {
    PGresult *end = PQexec(conn, replayed > 0 ? "COMMIT" : "ROLLBACK");
    PQclear(end);
}
    if (replayed < 0)
        return -1;
    if (s_reply(self, conn, request, act->application_ref, reply, error))
        return -1;
    (*reply)->replayed = true;
    return 0;
}
