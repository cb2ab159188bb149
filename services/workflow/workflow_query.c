/*  workflow_query: what waits for an official, and an application's
 *  history — each seen only within the actor's jurisdiction (a county
 *  bureau its county, a city its counties, the province all).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "workflow/pg_array.h"
#include "workflow/workflow_internal.h"

#define INBOX_MAX 500

char *workflow_dup(const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy)
        abort();
    return copy;
}

void workflow_jurisdiction(const char *division, char prefix[7])
{
    size_t length = strlen(division) == 6 ? 6 : 0;
    if (length && strcmp(division + 2, "0000") == 0)
        length = 2;
    else if (length && strcmp(division + 4, "00") == 0)
        length = 4;
    memcpy(prefix, division, length);
    prefix[length] = '\0';
}

Kc__V1__WorkflowState *workflow_state_reply(const wf_process_t *process, const PGresult *result,
                                            int row, const Kc__V1__Actor *actor)
{
    Kc__V1__WorkflowState *state = malloc(sizeof *state);
    if (!state)
        abort();
    kc__v1__workflow_state__init(state);
    state->application_ref = workflow_dup(PQgetvalue(result, row, 0));
    state->title = workflow_dup(PQgetvalue(result, row, 1));
    state->county_code = workflow_dup(PQgetvalue(result, row, 2));
    state->definition = workflow_dup(PQgetvalue(result, row, 3));
    state->state = workflow_dup(PQgetvalue(result, row, 4));
    state->version = (int32_t)strtol(PQgetvalue(result, row, 5), NULL, 10);
    if (PQnfields(result) >= 9) {
        state->timer_due_ms = kc_db_int(result, row, 6);
        state->timer_kind = workflow_dup(PQgetvalue(result, row, 7));
        state->deadline_ms = kc_db_int(result, row, 8);
    }
    bool notes = PQnfields(result) >= 12;
    state->timer_note = workflow_dup(
        notes && strcmp(PQgetvalue(result, row, 10), "t") == 0 ? KC_CALENDAR_PROVISIONAL_NOTE : "");
    state->deadline_note = workflow_dup(
        notes && strcmp(PQgetvalue(result, row, 11), "t") == 0 ? KC_CALENDAR_PROVISIONAL_NOTE : "");
    int at = process_state_index(process, state->state);
    state->state_name = workflow_dup(at >= 0 ? process->states[at].name_zh : "");
    state->available = calloc(process->n_transitions + 1, sizeof *state->available);
    if (!state->available)
        abort();
    for (size_t t = 0; at >= 0 && actor && t < process->n_transitions; t++) {
        const wf_transition_t *transition = &process->transitions[t];
        kc_error_t ignored;
        int from_here = process_takes_from(process, transition, at);
        if (from_here && strcmp(transition->role, "system") != 0 &&
            process_authorise(transition, actor->role, actor->division_code, state->county_code,
                              &ignored) == 0)
            state->available[state->n_available++] = workflow_dup(transition->code);
    }
    return state;
}

static const char *s_history_sql =
    "SELECT s.version, s.transition, s.decision, s.from_state, s.to_state, s.user_id, s.role,"
    "       s.division_code, s.reason, (extract(epoch FROM s.at) * 1000)::bigint,"
    "       coalesce(n.due_ms, 0), coalesce(n.provisional, false)"
    "  FROM workflow_step s JOIN application a ON a.id = s.application_id"
    "  LEFT JOIN LATERAL (SELECT t.due_ms, t.provisional"
    "       FROM workflow_timer t WHERE t.application_id = s.application_id"
    "        AND t.version = s.version AND t.kind = 'notice_end') n ON true"
    " WHERE a.ref = $1 ORDER BY s.version";

static int s_steps(PGconn *conn, Kc__V1__WorkflowState *state, kc_error_t *error)
{
    const char *params[1] = {state->application_ref};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, s_history_sql, 1, params, NULL, NULL, "reading the history", &result,
                         error))
        return -1;
    int n = PQntuples(result);
    state->steps = calloc((size_t)n + 1, sizeof *state->steps);
    if (!state->steps)
        abort();
    for (int i = 0; i < n; i++) {
        Kc__V1__WorkflowStep *step = malloc(sizeof *step);
        if (!step)
            abort();
        kc__v1__workflow_step__init(step);
        step->version = (int32_t)kc_db_int(result, i, 0);
        step->transition = workflow_dup(PQgetvalue(result, i, 1));
        step->decision = workflow_dup(PQgetvalue(result, i, 2));
        step->from_state = workflow_dup(PQgetvalue(result, i, 3));
        step->to_state = workflow_dup(PQgetvalue(result, i, 4));
        step->user_id = workflow_dup(PQgetvalue(result, i, 5));
        step->role = workflow_dup(PQgetvalue(result, i, 6));
        step->division_code = workflow_dup(PQgetvalue(result, i, 7));
        step->reason = workflow_dup(PQgetvalue(result, i, 8));
        step->at_ms = kc_db_int(result, i, 9);
        step->notice_end_ms = kc_db_int(result, i, 10);
        step->calendar_note = workflow_dup(
            strcmp(PQgetvalue(result, i, 11), "t") == 0 ? KC_CALENDAR_PROVISIONAL_NOTE : "");
        state->steps[state->n_steps++] = step;
    }
    PQclear(result);
    return 0;
}

static int s_objections(PGconn *conn, Kc__V1__WorkflowState *state, kc_error_t *error)
{
    const char *params[1] = {state->application_ref};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn,
                         "SELECT o.id, o.objector_name, o.reason, coalesce(r.outcome, ''),"
                         "       coalesce(r.reason, '')"
                         "  FROM objection o JOIN application a ON a.id = o.application_id"
                         "  LEFT JOIN objection_resolution r ON r.objection_id = o.id"
                         " WHERE a.ref = $1 ORDER BY o.id",
                         1, params, NULL, NULL, "reading the objections", &result, error))
        return -1;
    int n = PQntuples(result);
    state->objections = calloc((size_t)n + 1, sizeof *state->objections);
    if (!state->objections)
        abort();
    for (int i = 0; i < n; i++) {
        Kc__V1__ObjectionView *view = malloc(sizeof *view);
        if (!view)
            abort();
        kc__v1__objection_view__init(view);
        view->objection_id = kc_db_int(result, i, 0);
        view->objector_name = workflow_dup(PQgetvalue(result, i, 1));
        view->reason = workflow_dup(PQgetvalue(result, i, 2));
        view->outcome = workflow_dup(PQgetvalue(result, i, 3));
        view->resolution_reason = workflow_dup(PQgetvalue(result, i, 4));
        state->objections[state->n_objections++] = view;
    }
    PQclear(result);
    return 0;
}

static const char *s_instance_sql = "SELECT " WF_INSTANCE_COLUMNS WF_INSTANCE_FROM
                                    " WHERE a.ref = $1 AND left(w.county_code, length($2)) = $2";

int workflow_store_history(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                           Kc__V1__WorkflowState **reply, kc_error_t *error)
{
    return workflow_state_of(self, conn, request->get_application_history->application_ref,
                             request->actor, reply, error);
}

int workflow_state_of(workflow_store_t *self, PGconn *conn, const char *ref,
                      const Kc__V1__Actor *actor, Kc__V1__WorkflowState **reply, kc_error_t *error)
{
    char prefix[7];
    workflow_jurisdiction(actor ? actor->division_code : "", prefix);
    if (!*prefix)
        return kc_error_set(error, KC_ERR_DENIED, "actor.division_code",
                            "only officials of a county, city or province see histories");
    const char *params[2] = {ref, prefix};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, s_instance_sql, 2, params, NULL, NULL, "reading the application",
                         &result, error))
        return -1;
    if (PQntuples(result) != 1) {
        PQclear(result);
        return kc_error_set(error, KC_ERR_UNKNOWN_APPLICATION, "application_ref",
                            "no application '%.32s' within division %s", ref, actor->division_code);
    }
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(result, 0, 3), error);
    if (!process) {
        PQclear(result);
        return -1;
    }
    *reply = workflow_state_reply(process, result, 0, actor);
    PQclear(result);
    return s_steps(conn, *reply, error) || s_objections(conn, *reply, error) ? -1 : 0;
}

/* Only the states where the actor's role has a step are read (a province
 * with thousands of applications elsewhere in their procedures reads none
 * of those); the jurisdiction and each step's rules are checked after. */
static const char *s_inbox_sql =
    "SELECT " WF_INSTANCE_COLUMNS WF_INSTANCE_FROM
    " WHERE left(w.county_code, length($1)) = $1 AND ($2 = '' OR a.programme = $2)"
    "   AND w.state = ANY ($3::text[])"
    " ORDER BY w.entered_at, a.id LIMIT 5000";

/* The states, in any stored definition, where `role` has a step. */
static int s_role_states(workflow_store_t *self, PGconn *conn, const char *role, pg_array_t *states,
                         kc_error_t *error)
{
    PGresult *codes = NULL;
    if (kc_db_run_cached(conn, "SELECT code FROM process_definition", 0, NULL, NULL, NULL,
                         "listing the procedures", &codes, error))
        return -1;
    for (int row = 0; row < PQntuples(codes); row++) {
        const wf_process_t *process =
            workflow_store_definition(self, conn, PQgetvalue(codes, row, 0), error);
        for (size_t s = 0; process && s < process->n_states; s++) {
            bool acts = false;
            for (size_t t = 0; t < process->n_transitions && !acts; t++) {
                const wf_transition_t *step = &process->transitions[t];
                acts = strcmp(step->role, role) == 0 && process_takes_from(process, step, (int)s);
            }
            if (acts)
                pg_array_add(states, process->states[s].code);
        }
    }
    PQclear(codes);
    return 0;
}

/* An expert's inbox: the panels they sit on and have not scored yet. */
static const char *s_expert_inbox_sql =
    "SELECT " WF_INSTANCE_COLUMNS ", coalesce(m.declaration, '')" WF_INSTANCE_FROM
    " JOIN panel p ON p.application_id = a.id AND p.version = w.version"
    " JOIN panel_member m ON m.panel_id = p.id AND m.expert_code = $1"
    " WHERE m.scored_at IS NULL AND m.declaration IS DISTINCT FROM 'conflict'"
    " ORDER BY p.drawn_at, a.id LIMIT 500";

static int s_expert_inbox(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                          Kc__V1__Inbox **reply, kc_error_t *error)
{
    const char *params[1] = {request->actor->user_id};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, s_expert_inbox_sql, 1, params, NULL, NULL, "reading the panels",
                         &result, error))
        return -1;
    Kc__V1__Inbox *inbox = malloc(sizeof *inbox);
    if (!inbox)
        abort();
    kc__v1__inbox__init(inbox);
    inbox->items = calloc((size_t)PQntuples(result) + 1, sizeof *inbox->items);
    if (!inbox->items)
        abort();
    int declared_at = PQnfields(result) - 1;
    for (int row = 0; row < PQntuples(result); row++) {
        const wf_process_t *process =
            workflow_store_definition(self, conn, PQgetvalue(result, row, 3), error);
        if (!process)
            continue;
        Kc__V1__WorkflowState *state = workflow_state_reply(process, result, row, NULL);
        /* what the expert does next: declare, then score */
        state->available[state->n_available++] =
            workflow_dup(*PQgetvalue(result, row, declared_at) ? "score" : "declare");
        inbox->items[inbox->n_items++] = state;
    }
    PQclear(result);
    *reply = inbox;
    return 0;
}

int workflow_store_inbox(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                         Kc__V1__Inbox **reply, kc_error_t *error)
{
    if (request->actor && strcmp(request->actor->role, "expert") == 0 && *request->actor->user_id)
        return s_expert_inbox(self, conn, request, reply, error);
    char prefix[7];
    workflow_jurisdiction(request->actor ? request->actor->division_code : "", prefix);
    if (!*prefix)
        return kc_error_set(error, KC_ERR_DENIED, "actor.division_code",
                            "an inbox belongs to an official of a county, city or province");
    pg_array_t states = {0};
    if (s_role_states(self, conn, request->actor->role, &states, error)) {
        pg_array_free(&states);
        return -1;
    }
    const char *params[3] = {prefix, request->list_inbox->programme, pg_array_text(&states)};
    PGresult *result = NULL;
    int rc = kc_db_run_cached(conn, s_inbox_sql, 3, params, NULL, NULL, "reading the inbox",
                              &result, error);
    pg_array_free(&states);
    if (rc)
        return -1;
    int limit = request->list_inbox->limit > 0 && request->list_inbox->limit < INBOX_MAX
                    ? request->list_inbox->limit
                    : INBOX_MAX;
    Kc__V1__Inbox *inbox = malloc(sizeof *inbox);
    if (!inbox)
        abort();
    kc__v1__inbox__init(inbox);
    inbox->items = calloc((size_t)limit + 1, sizeof *inbox->items);
    if (!inbox->items)
        abort();
    for (int row = 0; row < PQntuples(result) && (int)inbox->n_items < limit; row++) {
        const wf_process_t *process =
            workflow_store_definition(self, conn, PQgetvalue(result, row, 3), error);
        if (!process)
            continue;
        Kc__V1__WorkflowState *state = workflow_state_reply(process, result, row, request->actor);
        if (state->n_available > 0)
            inbox->items[inbox->n_items++] = state;
        else
            protobuf_c_message_free_unpacked(&state->base, NULL);
    }
    PQclear(result);
    *reply = inbox;
    return 0;
}
