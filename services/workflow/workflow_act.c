/*  workflow_act: one action on one application.
 *
 *  One transaction: the instance row is locked (FOR UPDATE), so of two
 *  officials acting at once the second sees the state the first left and
 *  is told so; the transition is checked against the definition the
 *  application started with (from state, role, level and jurisdiction,
 *  reason, attestation, the panel's scores, objections, return target);
 *  then the state moves, the step is recorded under the request's
 *  idempotency key, the new state's timers are armed and its panel drawn,
 *  an ApplicationMoved event is appended and the audit entry written — all
 *  or nothing. A refusal is rolled back and audited in a transaction of
 *  its own.
 *
 *  An applicant's submission that comes before the procedure waits for it
 *  (the yearly report handed in while the base is still `filed`) is kept,
 *  not refused, and taken in the same transaction as the step that
 *  reaches the state it belongs to.
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
#define KEPT_DEPTH_MAX   4 /* kept submissions taken one after another in one step */

static const char *s_lock_sql =
    "SELECT a.ref, coalesce(a.designation, a.title), w.county_code, w.definition, w.state, "
    "w.version, a.id,"
    "       w.arrived_from IS NOT NULL,"
    "       coalesce((SELECT ceil(extract(epoch FROM max(s.at)) * 1000) FROM workflow_step s"
    "                  WHERE s.application_id = a.id), 0)::bigint"
    "  FROM application a JOIN workflow_instance w ON w.application_id = a.id"
    " WHERE a.ref = $1 FOR UPDATE OF w";

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

/* Whether state `to` can be reached from `from` by steps forward (the
 * place a kept submission waits for must lie ahead). */
static bool s_ahead(const wf_process_t *process, int from, int to)
{
    bool seen[WF_MAX_STATES] = {false};
    int queue[WF_MAX_STATES], head = 0, tail = 0;
    queue[tail++] = from;
    seen[from] = true;
    while (head < tail) {
        int at = queue[head++];
        for (size_t i = 0; i < process->n_transitions; i++) {
            const wf_transition_t *t = &process->transitions[i];
            if (t->from != at || t->to < 0 || seen[t->to])
                continue;
            if (t->to == to)
                return true;
            seen[t->to] = true;
            queue[tail++] = t->to;
        }
    }
    return false;
}

/* 1 when the action is an applicant's submission for a state that lies
 * ahead: keep it rather than refuse it. */
static int s_keepable(const wf_process_t *process, const wf_transition_t *transition, int state,
                      const wf_action_t *action)
{
    return strcmp(transition->role, "applicant") == 0 && strcmp(action->role, "applicant") == 0 &&
           strcmp(transition->decision, "submit") == 0 && !transition->from_any &&
           transition->from >= 0 && state >= 0 && !process->states[state].final &&
           s_ahead(process, state, transition->from);
}

/* The checks of the action against the definition and the instance row;
 * fills *to with the target state's index. 1: keep it for later. */
static int s_check(PGconn *conn, const wf_process_t *process, const PGresult *row,
                   const wf_action_t *action, const wf_transition_t **out, int *to,
                   kc_error_t *error)
{
    int t = process_transition_index(process, action->transition);
    if (t < 0)
        return kc_error_set(error, KC_ERR_INVALID_FORMAT, "act_on_application.transition",
                            "'%.48s' is not a step of procedure '%s'", action->transition,
                            process->code);
    const wf_transition_t *transition = &process->transitions[t];
    *out = transition;
    if (strcmp(transition->role, "system") == 0 && !action->by_daemon)
        return kc_error_set(error, KC_ERR_DENIED, "actor.role",
                            "'%s' is taken by kc-workflow's own timer, never by a request",
                            transition->code);
    if (process_authorise(transition, action->role, action->division_code, PQgetvalue(row, 0, 2),
                          error))
        return -1;
    int state = process_state_index(process, PQgetvalue(row, 0, 4));
    if (state >= 0 && transition->from_any && (transition->except_states & (1u << state))) {
        kc_error_t *denied = error;
        kc_error_set(denied, KC_ERR_DENIED, "act_on_application.transition",
                     "'%s' cannot be taken while application %s is at '%s'", transition->code,
                     PQgetvalue(row, 0, 0), PQgetvalue(row, 0, 4));
        kc_error_hint(denied, "“%s”期间不受理“%s”", process->states[state].name_zh,
                      transition->name_zh);
        return -1;
    }
    if (!process_takes_from(process, transition, state)) {
        if (s_keepable(process, transition, state, action))
            return 1;
        return kc_error_set(error, KC_ERR_STATE_CHANGED, "act_on_application.transition",
                            "application %s is at '%s': '%s' cannot be taken from there",
                            PQgetvalue(row, 0, 0), PQgetvalue(row, 0, 4), transition->code);
    }
    int version = (int)strtol(PQgetvalue(row, 0, 5), NULL, 10);
    if (action->expected_version && action->expected_version != version)
        return kc_error_set(error, KC_ERR_STATE_CHANGED, "act_on_application.expected_version",
                            "application %s has moved on (version %d, not %d)",
                            PQgetvalue(row, 0, 0), version, action->expected_version);
    long chars = kc_utf8_length(action->reason);
    if ((transition->requires & WF_REQUIRES_REASON) && chars <= 0)
        return kc_error_set(error, KC_ERR_REQUIRED, "act_on_application.reason",
                            "'%s' needs a written reason", transition->code);
    if (chars > REASON_MAX_CHARS || chars < 0)
        return kc_error_set(error, KC_ERR_TOO_LONG, "act_on_application.reason",
                            "a reason is at most %d characters of UTF-8", REASON_MAX_CHARS);
    if ((transition->requires & WF_REQUIRES_ATTESTATION) && !action->attest)
        return kc_error_set(error, KC_ERR_REQUIRED, "act_on_application.attest",
                            "'%s' needs the acting official's attestation (the seal)",
                            transition->code);
    if ((transition->requires & WF_REQUIRES_SCORES) &&
        workflow_panel_ready(conn, PQgetvalue(row, 0, 6), PQgetvalue(row, 0, 0), version,
                             transition->min_score, error))
        return -1;
    if (transition->requires & WF_REQUIRES_NO_OBJECTION) {
        /* "公示无异议后，备案": none of this notice's objections open or upheld */
        wf_objections_t objections;
        if (workflow_objections_of_notice(conn, PQgetvalue(row, 0, 6), version, &objections, error))
            return -1;
        if (objections.open > 0)
            return kc_error_set(error, KC_ERR_STATE_CHANGED, "act_on_application.transition",
                                "application %s has %ld objection(s) to settle first",
                                PQgetvalue(row, 0, 0), objections.open);
        if (objections.upheld > 0)
            return kc_error_set(error, KC_ERR_DENIED, "act_on_application.transition",
                                "application %s had %ld objection(s) upheld on notice: '%s' "
                                "cannot file it",
                                PQgetvalue(row, 0, 0), objections.upheld, transition->code);
    }
    *to = transition->to;
    if (transition->to_earlier) {
        *to = process_state_index(process, action->return_to);
        if (*to < 0 || !s_passed_through(conn, PQgetvalue(row, 0, 6), action->return_to, process))
            return kc_error_set(error, KC_ERR_INVALID_FORMAT, "act_on_application.return_to",
                                "'%.48s' is not a step application %s passed through",
                                action->return_to, PQgetvalue(row, 0, 0));
    }
    return 0;
}

int workflow_event(workflow_store_t *self, PGconn *conn, const char *type,
                   const ProtobufCMessage *payload, kc_error_t *error)
{
    return workflow_event_at(self, conn, type, payload, workflow_store_instant(self), error);
}

int workflow_event_at(workflow_store_t *self, PGconn *conn, const char *type,
                      const ProtobufCMessage *payload, int64_t at_ms, kc_error_t *error)
{
    size_t size = protobuf_c_message_get_packed_size(payload);
    uint8_t *bytes = malloc(size + 1);
    if (!bytes)
        abort();
    protobuf_c_message_pack(payload, bytes);
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long)at_ms);
    const char *params[4] = {type, workflow_store_division(self), (const char *)bytes, at};
    int lengths[4] = {0, 0, (int)size, 0}, formats[4] = {0, 0, 1, 0};
    int rc = kc_db_run_cached(conn,
                              "SELECT kc_event_append($1, $2, NULL, $3,"
                              " to_timestamp($4::bigint / 1000.0)), pg_notify('kc_events', '')",
                              4, params, lengths, formats, "appending the event", NULL, error);
    free(bytes);
    return rc;
}

int workflow_audit(workflow_store_t *self, PGconn *conn, const Kc__V1__Actor *actor,
                   const char *action, const char *target, const char *reason, kc_error_t *error)
{
    kc_audit_entry_t entry = {workflow_store_node(self),
                              actor->user_id,
                              actor->role,
                              actor->division_code,
                              actor->organisation,
                              action,
                              target,
                              true,
                              reason,
                              ""};
    return kc_audit_append_at(conn, &entry, workflow_store_instant(self), NULL, error);
}

void workflow_audit_refusal(workflow_store_t *self, PGconn *conn, const Kc__V1__Actor *actor,
                            const char *action, const char *target, const kc_error_t *why)
{
    workflow_tx_rollback(self, conn);
    workflow_audit_denied(self, conn, actor, action, target, why);
}

void workflow_audit_denied(workflow_store_t *self, PGconn *conn, const Kc__V1__Actor *actor,
                           const char *action, const char *target, const kc_error_t *why)
{
    if (why->code == KC_ERR_DB_UNAVAILABLE)
        return;
    char reason[KC_ERROR_MESSAGE_MAX + 64];
    snprintf(reason, sizeof reason, "%s: %s", kc_error_code_name(why->code), why->message);
    kc_audit_entry_t entry = {workflow_store_node(self),
                              actor ? actor->user_id : "",
                              actor ? actor->role : "",
                              actor ? actor->division_code : "",
                              actor ? actor->organisation : "",
                              action,
                              target,
                              false,
                              reason,
                              ""};
    kc_error_t error;
    /* a refusal is an entry of its own, at an instant of its own */
    if (kc_audit_append_at(conn, &entry, workflow_store_now(self), NULL, &error))
        fprintf(stderr, "audit of a refusal failed: %s\n", error.message);
}

static const char *s_move_sql =
    "WITH moved AS (UPDATE workflow_instance SET state = $2, version = version + 1,"
    "                 entered_at = to_timestamp($12::bigint / 1000.0)"
    "               WHERE application_id = $1::bigint RETURNING version),"
    " step AS (INSERT INTO workflow_step (application_id, version, transition, decision,"
    "            from_state, to_state, user_id, role, division_code, reason, attested,"
    "            idempotency_key, at)"
    "          SELECT $1::bigint, version, $3, $4, $5, $2, $6, $7, $8, $9, $10::boolean, $11,"
    "                 to_timestamp($12::bigint / 1000.0)"
    "            FROM moved RETURNING version)"
    " UPDATE application SET status = $2 WHERE id = $1::bigint"
    " RETURNING (SELECT version FROM step)";

static int s_take_kept(workflow_store_t *self, PGconn *conn, const char *application_id,
                       const char *state, int depth, kc_error_t *error);

static int s_move(workflow_store_t *self, PGconn *conn, const PGresult *row,
                  const wf_process_t *process, const wf_transition_t *transition, int to,
                  const wf_action_t *action, int depth, wf_outcome_t *outcome, kc_error_t *error)
{
    const char *application_id = PQgetvalue(row, 0, 6);
    /* one instant for the step, the timers it closes and arms, its event
     * and its audit entry: the write's (workflow_tx_begin), on the clock
     * the timers keep, and never before the application's last step */
    int64_t now_ms = workflow_store_hold_instant(self, kc_db_int(row, 0, 8));
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    const char *params[12] = {application_id,
                              process->states[to].code,
                              transition->code,
                              transition->decision,
                              PQgetvalue(row, 0, 4),
                              action->user_id,
                              action->role,
                              action->division_code,
                              action->reason,
                              action->attest ? "true" : "false",
                              action->idempotency_key,
                              now};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, s_move_sql, 12, params, NULL, NULL, "moving the application",
                         &result, error))
        return -1;
    int version = (int)kc_db_int(result, 0, 0);
    PQclear(result);
    outcome->version = version;
    /* the timers of the state it left will never fire: close them now, so
     * that the armed timers are only those that may */
    char version_text[16];
    snprintf(version_text, sizeof version_text, "%d", version);
    const char *stale[3] = {application_id, now, version_text};
    if (kc_db_run_cached(conn,
                         "UPDATE workflow_timer SET fired_ms = $2::bigint, outcome = 'moved_on'"
                         " WHERE application_id = $1::bigint AND version < $3::int"
                         "   AND fired_ms IS NULL",
                         3, stale, NULL, NULL, "closing the timers of the state left", NULL, error))
        return -1;

    Kc__V1__ApplicationMoved moved = KC__V1__APPLICATION_MOVED__INIT;
    moved.application_ref = PQgetvalue(row, 0, 0);
    moved.county_code = PQgetvalue(row, 0, 2);
    moved.definition = (char *)process->code;
    moved.transition = (char *)transition->code;
    moved.decision = (char *)transition->decision;
    moved.from_state = PQgetvalue(row, 0, 4);
    moved.to_state = (char *)process->states[to].code;
    moved.role = (char *)action->role;
    moved.division_code = (char *)action->division_code;
    moved.reason = (char *)action->reason;
    moved.version = version;
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = (char *)action->user_id;
    actor.role = (char *)action->role;
    actor.division_code = (char *)action->division_code;
    actor.organisation = (char *)action->organisation;
    char audit_action[96];
    snprintf(audit_action, sizeof audit_action, "workflow.act:%s", transition->code);
    /* the step's event says when the notice it opened closes, and whether
     * that was counted on a provisional calendar year */
    wf_armed_t armed = {0};
    if (workflow_enter(self, conn, process, application_id, to, version, now_ms, &armed, error))
        return -1;
    moved.notice_end_ms = armed.notice_end_ms;
    /* the note goes with the date the event names: the notice's close, or
     * for a state without a notice its deadline */
    bool provisional = armed.notice_end_ms ? armed.notice_provisional : armed.deadline_provisional;
    moved.calendar_note = provisional ? KC_CALENDAR_PROVISIONAL_NOTE : "";
    if (workflow_event(self, conn, "ApplicationMoved", &moved.base, error) ||
        workflow_audit(self, conn, &actor, audit_action, PQgetvalue(row, 0, 0), action->reason,
                       error) ||
        (workflow_store_linked(self) &&
         kc_db_run_cached(
             conn, "SELECT workflow_forward($1::bigint, $2, '')", 2,
             (const char *const[]){application_id, process_level_name(process->states[to].level)},
             NULL, NULL, "queueing the step for the linked nodes", NULL, error)))
        return -1;
    return s_take_kept(self, conn, application_id, process->states[to].code, depth, error);
}

static int s_keep(PGconn *conn, const PGresult *row, const wf_transition_t *transition,
                  const wf_process_t *process, const wf_action_t *action, wf_outcome_t *outcome,
                  kc_error_t *error)
{
    const char *params[10] = {
        PQgetvalue(row, 0, 6),  transition->code, process->states[transition->from].code,
        action->user_id,        action->role,     action->division_code,
        action->organisation,   action->reason,   action->attest ? "true" : "false",
        action->idempotency_key};
    if (kc_db_run_cached(
            conn,
            "INSERT INTO workflow_pending (application_id, transition, waiting_state, user_id,"
            " role, division_code, organisation, reason, attested, idempotency_key)"
            " VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8, $9::boolean, $10)",
            10, params, NULL, NULL, "keeping the submission", NULL, error))
        return -1;
    outcome->kept = true;
    outcome->version = (int)strtol(PQgetvalue(row, 0, 5), NULL, 10);
    snprintf(outcome->waiting_for, sizeof outcome->waiting_for, "%s",
             process->states[transition->from].code);
    return 0;
}

static int s_act(workflow_store_t *self, PGconn *conn, const wf_action_t *action, int depth,
                 wf_outcome_t *outcome, kc_error_t *error)
{
    PGresult *row = NULL;
    const char *params[1] = {action->application_ref};
    if (kc_db_run_cached(conn, s_lock_sql, 1, params, NULL, NULL, "locking the application", &row,
                         error))
        return -1;
    if (PQntuples(row) == 1 && strcmp(PQgetvalue(row, 0, 7), "t") == 0) {
        /* a copy from a linked node waits to be settled: first that, then
         * the step on the application as the peers left it */
        char application_id[24];
        snprintf(application_id, sizeof application_id, "%s", PQgetvalue(row, 0, 6));
        PQclear(row);
        row = NULL;
        if (workflow_settle_locked(self, conn, application_id, error) ||
            kc_db_run_cached(conn, s_lock_sql, 1, params, NULL, NULL, "locking the application",
                             &row, error))
            return -1;
    }
    if (PQntuples(row) != 1) {
        PQclear(row);
        return kc_error_set(error, KC_ERR_UNKNOWN_APPLICATION, "act_on_application.application_ref",
                            "no application '%.32s' is in a procedure", action->application_ref);
    }
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(row, 0, 3), error);
    const wf_transition_t *transition = NULL;
    int to = -1, rc = -1;
    if (process) {
        int checked = s_check(conn, process, row, action, &transition, &to, error);
        if (checked >= 0 && strcmp(transition->role, "system") != 0 &&
            !workflow_store_holds(self, transition->level))
            checked = kc_error_set(
                error, KC_ERR_DENIED, "act_on_application.transition",
                "'%s' is taken on the %s's node, not on this one (%s)", transition->code,
                process_level_name(transition->level == WF_LEVEL_NONE ? WF_LEVEL_COUNTY
                                                                      : transition->level),
                workflow_store_node(self));
        if (checked == 1)
            rc = s_keep(conn, row, transition, process, action, outcome, error);
        else if (checked == 0)
            rc = s_move(self, conn, row, process, transition, to, action, depth, outcome, error);
    }
    PQclear(row);
    return rc;
}

/* A submission kept for `state`, taken now that the application is there;
 * if it no longer passes (a seal missing...), it stays kept and the
 * applicant acts again. */
static int s_take_kept(workflow_store_t *self, PGconn *conn, const char *application_id,
                       const char *state, int depth, kc_error_t *error)
{
    if (depth >= KEPT_DEPTH_MAX)
        return 0;
    const char *params[2] = {application_id, state};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn,
                         "SELECT p.id, a.ref, p.transition, p.user_id, p.role, p.division_code,"
                         "       p.organisation, p.reason, p.attested, p.idempotency_key"
                         "  FROM workflow_pending p JOIN application a ON a.id = p.application_id"
                         " WHERE p.application_id = $1::bigint AND p.waiting_state = $2"
                         "   AND p.taken_version IS NULL ORDER BY p.id LIMIT 1",
                         2, params, NULL, NULL, "reading kept submissions", &result, error))
        return -1;
    if (PQntuples(result) == 0) {
        PQclear(result);
        return 0;
    }
    wf_action_t kept = {.application_ref = PQgetvalue(result, 0, 1),
                        .transition = PQgetvalue(result, 0, 2),
                        .reason = PQgetvalue(result, 0, 7),
                        .return_to = "",
                        .attest = PQgetvalue(result, 0, 8)[0] == 't',
                        .user_id = PQgetvalue(result, 0, 3),
                        .role = PQgetvalue(result, 0, 4),
                        .division_code = PQgetvalue(result, 0, 5),
                        .organisation = PQgetvalue(result, 0, 6),
                        .idempotency_key = PQgetvalue(result, 0, 9)};
    wf_outcome_t outcome = {0};
    int rc = kc_db_exec(conn, "SAVEPOINT kept", error);
    if (!rc && s_act(self, conn, &kept, depth + 1, &outcome, error) == 0) {
        char version[16];
        snprintf(version, sizeof version, "%d", outcome.version);
        const char *update[2] = {PQgetvalue(result, 0, 0), version};
        rc = kc_db_run_cached(conn,
                              "UPDATE workflow_pending SET taken_version = $2::int WHERE id = $1",
                              2, update, NULL, NULL, "marking the kept submission", NULL, error);
    } else if (!rc) {
        kc_error_t ignored;
        rc = kc_db_exec(conn, "ROLLBACK TO SAVEPOINT kept", &ignored);
    }
    PQclear(result);
    return rc;
}

int workflow_act_locked(workflow_store_t *self, PGconn *conn, const wf_action_t *action,
                        wf_outcome_t *outcome, kc_error_t *error)
{
    memset(outcome, 0, sizeof *outcome);
    return s_act(self, conn, action, 0, outcome, error);
}

/* ---- the request ------------------------------------------------------- */

static const char *s_replay_sql =
    "SELECT a.ref = $2 AND s.transition = $3, false FROM workflow_step s"
    "  JOIN application a ON a.id = s.application_id WHERE s.idempotency_key = $1"
    " UNION ALL "
    "SELECT a.ref = $2 AND p.transition = $3, p.taken_version IS NULL FROM workflow_pending p"
    "  JOIN application a ON a.id = p.application_id WHERE p.idempotency_key = $1"
    "   AND p.taken_version IS NULL";

/* 1: the key was used before for this very action (answer with the current
 * state; *kept when it is still a kept submission), 0: a new key, -1: used
 * for another action, or the database failed. */
static int s_replayed(PGconn *conn, const kc_envelope_t *request, bool *kept, kc_error_t *error)
{
    const Kc__V1__ActOnApplication *act = request->act_on_application;
    const char *params[3] = {request->idempotency_key, act->application_ref, act->transition};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, s_replay_sql, 3, params, NULL, NULL, "reading earlier actions",
                         &result, error))
        return -1;
    int rc = 0;
    if (PQntuples(result) >= 1) {
        *kept = PQgetvalue(result, 0, 1)[0] == 't';
        rc = PQgetvalue(result, 0, 0)[0] == 't'
                 ? 1
                 : kc_error_set(error, KC_ERR_KEY_REUSED, "idempotency_key",
                                "idempotency key '%.64s' was used for another action",
                                request->idempotency_key);
    }
    PQclear(result);
    return rc;
}

static int s_reply(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                   const char *ref, Kc__V1__WorkflowState **reply, kc_error_t *error)
{
    const char *params[1] = {ref};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, "SELECT " WF_INSTANCE_COLUMNS WF_INSTANCE_FROM " WHERE a.ref = $1",
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
    const Kc__V1__Actor *actor = request->actor;
    if (!actor || !*request->idempotency_key)
        return kc_error_set(error, KC_ERR_MISSING_HEADER, "idempotency_key",
                            "an action needs an actor and an idempotency key");
    if (workflow_tx_begin(self, conn, error))
        return -1;
    bool kept = false;
    int replayed = s_replayed(conn, request, &kept, error);
    if (replayed != 0) {
        workflow_tx_rollback(self, conn);
        if (replayed < 0 || s_reply(self, conn, request, act->application_ref, reply, error))
            return -1;
        (*reply)->replayed = true;
        (*reply)->kept = kept;
        return 0;
    }
    wf_action_t action = {.application_ref = act->application_ref,
                          .transition = act->transition,
                          .reason = act->reason,
                          .return_to = act->return_to,
                          .attest = act->attest,
                          .expected_version = act->expected_version,
                          .user_id = actor->user_id,
                          .role = actor->role,
                          .division_code = actor->division_code,
                          .organisation = actor->organisation,
                          .idempotency_key = request->idempotency_key};
    wf_outcome_t outcome;
    char audit_action[96];
    snprintf(audit_action, sizeof audit_action, "workflow.act:%.64s", act->transition);
    if (workflow_act_locked(self, conn, &action, &outcome, error)) {
        workflow_audit_refusal(self, conn, actor, audit_action, act->application_ref, error);
        return -1;
    }
    if (outcome.kept && workflow_audit(self, conn, actor, "workflow.keep", act->application_ref,
                                       act->transition, error)) {
        workflow_audit_refusal(self, conn, actor, audit_action, act->application_ref, error);
        return -1;
    }
    if (workflow_tx_commit(self, conn, error))
        return -1;
    if (s_reply(self, conn, request, act->application_ref, reply, error))
        return -1;
    (*reply)->kept = outcome.kept;
    if (outcome.kept)
        (*reply)->waiting_for = workflow_dup(outcome.waiting_for);
    return 0;
}
