/*  cmd_workflow: kcctl process check|load FILE, kcctl act, kcctl inbox and
 *  kcctl history — an operator or a demo driving every step of a procedure
 *  as the acting role (--user, --role, --division).
 *
 *    kcctl act REF TRANSITION [--reason TEXT] [--attest] [--return-to STATE]
 *    kcctl inbox [--programme CODE]
 *    kcctl history REF
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/kc_db.h"
#include "kcctl/kcctl.h"
#include "scoring/snapshot.h"
#include "process/process.h"

static int s_load(kcctl_t *self, const wf_process_t *process, const char *text, size_t size)
{
    kc_error_t error;
    char sha[65], by[160];
    snapshot_sha256(text, size, sha);
    snprintf(by, sizeof by, "%s@%s", self->user, self->config.node_id);
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl", &error);
    if (!conn) {
        kcctl_print_error(&error);
        return -1;
    }
    const char *params[6] = {process->code, process->programme, process->title_zh, text, sha, by};
    PGresult *result = NULL;
    int rc = kc_db_run(conn, "SELECT process_definition_store($1, $2, $3, $4, $5, $6)", 6, params,
                       NULL, NULL, "storing the process", &result, &error);
    if (rc)
        kcctl_print_error(&error);
    else
        printf("process %s %s (sha256 %s)\n", process->code, PQgetvalue(result, 0, 0), sha);
    PQclear(result);
    kc_db_disconnect(&conn);
    return rc;
}

int kcctl_process(kcctl_t *self)
{
    size_t size = 0;
    char *text = NULL;
    int load = kcctl_rules_begin(self, "process", &text, &size);
    if (load < 0)
        return -1;
    static wf_process_t process;
    kc_errors_t errors;
    kc_errors_init(&errors);
    int rc = process_parse(text, size, &process, &errors);
    if (rc) {
        kcctl_rules_refused(self, &errors);
    } else {
        printf("process %s (%s) for %s: %zu states, %zu transitions, starts at %s\n", process.code,
               process.title_zh, process.programme, process.n_states, process.n_transitions,
               process.states[process.initial].code);
        if (process.panel_size > 0)
            printf("  expert panels of %d from field %s, %zu criteria, %s\n", process.panel_size,
                   process.panel_field, process.n_criteria, process.panel_aggregation);
        if (process.target_count > 0)
            printf("  target: %d by %d\n", process.target_count, process.target_year);
        if (process.quota_per_year > 0)
            printf("  quota: %d a year from %d to %d\n", process.quota_per_year, process.quota_from,
                   process.target_year);
        if (*process.goal_state)
            printf("  goal: reaching %s\n", process.goal_state);
        if (load)
            rc = s_load(self, &process, text, size);
    }
    kc_errors_release(&errors);
    free(text);
    return rc;
}

static void s_print_time(const char *label, int64_t ms, const char *note)
{
    /* officials read China Standard Time */
    time_t at = (time_t)(ms / 1000 + 8 * 3600);
    struct tm when;
    char stamp[32];
    gmtime_r(&at, &when);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M", &when);
    printf("  %s %s (UTC+8)%s%s%s\n", label, stamp, note && *note ? "  （" : "", note ? note : "",
           note && *note ? "）" : "");
}

static void s_print_state(const Kc__V1__WorkflowState *state)
{
    printf("%s %s (%s): %s %s, version %d, procedure %s%s\n", state->application_ref, state->title,
           state->county_code, state->state, state->state_name, state->version, state->definition,
           state->replayed ? " (answered before under this key)" : "");
    if (state->kept)
        printf("  kept: it is taken as soon as the application reaches '%s'\n", state->waiting_for);
    if (state->timer_due_ms)
        s_print_time(strcmp(state->timer_kind, "notice_end") == 0 ? "the public notice closes"
                                                                  : "the timer runs out",
                     state->timer_due_ms, state->timer_note);
    if (state->deadline_ms)
        s_print_time("deadline", state->deadline_ms, state->deadline_note);
    if (state->n_available) {
        printf("  you may now:");
        for (size_t i = 0; i < state->n_available; i++)
            printf(" %s", state->available[i]);
        printf("\n");
    }
}

static int s_call(kcctl_t *self, kc_envelope_t *request, Kc__V1__Envelope__BodyCase expected,
                  kc_envelope_t **reply)
{
    self->call_endpoint = self->config.workflow_endpoint;
    return kcctl_call(self, request, expected, reply, NULL, NULL);
}

int kcctl_act(kcctl_t *self)
{
    if (self->positional_count != 2) {
        fprintf(stderr, "usage: kcctl act REF TRANSITION [--reason TEXT] [--attest]"
                        " [--return-to STATE]\n");
        return -1;
    }
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    Kc__V1__ActOnApplication act = KC__V1__ACT_ON_APPLICATION__INIT;
    act.application_ref = (char *)self->positional[0];
    act.transition = (char *)self->positional[1];
    act.reason = self->reason;
    act.attest = self->attest;
    act.return_to = self->return_to;
    request.body_case = KC__V1__ENVELOPE__BODY_ACT_ON_APPLICATION;
    request.act_on_application = &act;
    self->writing = true;
    if (s_call(self, &request, KC__V1__ENVELOPE__BODY_WORKFLOW_STATE, &reply))
        return -1;
    s_print_state(reply->workflow_state);
    kc_bus_free(&reply);
    return 0;
}

int kcctl_inbox(kcctl_t *self)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    Kc__V1__ListInbox list = KC__V1__LIST_INBOX__INIT;
    list.programme = self->programme;
    request.body_case = KC__V1__ENVELOPE__BODY_LIST_INBOX;
    request.list_inbox = &list;
    if (s_call(self, &request, KC__V1__ENVELOPE__BODY_INBOX, &reply))
        return -1;
    printf("%zu application%s for %s (%s %s)\n", reply->inbox->n_items,
           reply->inbox->n_items == 1 ? " waits" : "s wait", self->user, self->role,
           self->division);
    for (size_t i = 0; i < reply->inbox->n_items; i++)
        s_print_state(reply->inbox->items[i]);
    kc_bus_free(&reply);
    return 0;
}

int kcctl_history(kcctl_t *self)
{
    if (self->positional_count != 1) {
        fprintf(stderr, "usage: kcctl history REF\n");
        return -1;
    }
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    Kc__V1__GetApplicationHistory get = KC__V1__GET_APPLICATION_HISTORY__INIT;
    get.application_ref = (char *)self->positional[0];
    request.body_case = KC__V1__ENVELOPE__BODY_GET_APPLICATION_HISTORY;
    request.get_application_history = &get;
    if (s_call(self, &request, KC__V1__ENVELOPE__BODY_WORKFLOW_STATE, &reply))
        return -1;
    const Kc__V1__WorkflowState *state = reply->workflow_state;
    s_print_state(state);
    for (size_t i = 0; i < state->n_steps; i++) {
        const Kc__V1__WorkflowStep *step = state->steps[i];
        time_t at = (time_t)(step->at_ms / 1000);
        struct tm when;
        char stamp[32];
        gmtime_r(&at, &when);
        strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%SZ", &when);
        printf("  %2d  %s  %-20s %s -> %s  by %s (%s%s%s)%s%s\n", step->version, stamp,
               step->transition, step->from_state, step->to_state, step->user_id, step->role,
               *step->division_code ? " " : "", step->division_code, *step->reason ? ": " : "",
               step->reason);
        if (step->notice_end_ms)
            s_print_time("    its public notice closes", step->notice_end_ms, step->calendar_note);
    }
    for (size_t i = 0; i < state->n_objections; i++) {
        const Kc__V1__ObjectionView *o = state->objections[i];
        printf("  objection %lld by %s: %s -- %s%s%s\n", (long long)o->objection_id,
               o->objector_name, o->reason, *o->outcome ? o->outcome : "not settled yet",
               *o->resolution_reason ? ": " : "", o->resolution_reason);
    }
    kc_bus_free(&reply);
    return 0;
}

int kcctl_resolve_objection(kcctl_t *self)
{
    char *end = NULL;
    long long id = self->positional_count == 2 ? strtoll(self->positional[0], &end, 10) : 0;
    if (self->positional_count != 2 || !end || *end || id <= 0) {
        fprintf(stderr, "usage: kcctl resolve-objection ID upheld|dismissed --reason TEXT\n");
        return -1;
    }
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    Kc__V1__ResolveObjection resolve = KC__V1__RESOLVE_OBJECTION__INIT;
    resolve.objection_id = id;
    resolve.outcome = (char *)self->positional[1];
    resolve.reason = self->reason;
    request.body_case = KC__V1__ENVELOPE__BODY_RESOLVE_OBJECTION;
    request.resolve_objection = &resolve;
    self->writing = true;
    if (s_call(self, &request, KC__V1__ENVELOPE__BODY_WORKFLOW_STATE, &reply))
        return -1;
    s_print_state(reply->workflow_state);
    for (size_t i = 0; i < reply->workflow_state->n_objections; i++) {
        const Kc__V1__ObjectionView *o = reply->workflow_state->objections[i];
        printf("  objection %lld: %s\n", (long long)o->objection_id,
               *o->outcome ? o->outcome : "not settled yet");
    }
    kc_bus_free(&reply);
    return 0;
}

int kcctl_progress(kcctl_t *self)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    Kc__V1__GetProgress get = KC__V1__GET_PROGRESS__INIT;
    get.programme = self->programme;
    request.body_case = KC__V1__ENVELOPE__BODY_GET_PROGRESS;
    request.get_progress = &get;
    if (s_call(self, &request, KC__V1__ENVELOPE__BODY_PROGRESS, &reply))
        return -1;
    const Kc__V1__Progress *p = reply->progress;
    printf("%s (procedure %s), seen from %s %s:\n", p->programme, p->definition, self->role,
           self->division);
    /* the goal in the procedure's own words: 已备案, 已授予称号, 认定... */
    const char *goal = *p->goal_state_name ? p->goal_state_name : "予以备案";
    if (p->target_count > 0)
        printf("  goal “%s” reached %d of the %d planned by %d (%.0f %%), %d still running\n", goal,
               p->filed, p->target_count, p->target_year, 100.0 * p->filed / p->target_count,
               p->active);
    else
        printf("  goal “%s” reached %d, %d still running\n", goal, p->filed, p->active);
    for (size_t i = 0; i < p->n_years; i++) {
        const Kc__V1__YearCount *y = p->years[i];
        if (y->quota > 0)
            printf("  %d: %d of the quota of %d\n", y->year, y->reached, y->quota);
        else
            printf("  %d: %d\n", y->year, y->reached);
    }
    for (size_t i = 0; i < p->n_states; i++)
        printf("  %5d  %-26s %s\n", p->states[i]->count, p->states[i]->state,
               p->states[i]->state_name);
    kc_bus_free(&reply);
    return 0;
}
