/*  workflow_internal: what the kc-workflow store files share. */
#ifndef WORKFLOW_WORKFLOW_INTERNAL_H
#define WORKFLOW_WORKFLOW_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "kc/kc_bus.h"
#include "kc/kc_calendar.h"
#include "process/process.h"
#include "workflow/workflow_store.h"

/* The columns every instance query returns, in this order (read by
 * workflow_state_reply): ref, title, county_code, definition, state,
 * version, the open notice or timer (due ms, kind), the level's deadline
 * (due ms), then the application id. */
#define WF_INSTANCE_COLUMNS                                                                        \
    "a.ref, coalesce(a.designation, a.title), w.county_code, w.definition, w.state, w.version,"    \
    " coalesce(tm.due_ms, 0), coalesce(tm.kind, ''), coalesce(dl.due_ms, 0), a.id,"                \
    " coalesce(tm.provisional, false), coalesce(dl.provisional, false)"
#define WF_INSTANCE_FROM                                                                           \
    " FROM application a JOIN workflow_instance w ON w.application_id = a.id"                      \
    " LEFT JOIN LATERAL (SELECT t.due_ms, t.kind, t.provisional FROM workflow_timer t"             \
    "   WHERE t.application_id = w.application_id AND t.version = w.version"                       \
    "     AND t.kind IN ('notice_end', 'timer') AND t.fired_ms IS NULL LIMIT 1) tm ON true"        \
    " LEFT JOIN LATERAL (SELECT t.due_ms, t.provisional FROM workflow_timer t"                     \
    "   WHERE t.application_id = w.application_id AND t.version = w.version"                       \
    "     AND t.kind = 'deadline_overdue' LIMIT 1) dl ON true"

/* One action on one application, from a request or from the daemon itself
 * (a timer, a submission kept until the procedure waited for it). */
typedef struct {
    const char *application_ref;
    const char *transition;
    const char *reason;
    const char *return_to;
    bool attest;
    int expected_version; /* 0: any */
    const char *user_id;
    const char *role;
    const char *division_code;
    const char *organisation;
    const char *idempotency_key;
    bool by_daemon; /* only the daemon takes `system` steps */
} wf_action_t;

/* What an action did. */
typedef struct {
    int version; /* the instance's version after it */
    bool kept;   /* a submission that came early, kept for waiting_for */
    char waiting_for[WF_CODE_MAX];
} wf_outcome_t;

/* The node id audit entries are written under. */
const char *workflow_store_node(const workflow_store_t *self);

/* The node's division, its events' node: unique across the federation. */
const char *workflow_store_division(const workflow_store_t *self);

/* Whether this node holds states and steps of `level` (always, alone). */
bool workflow_store_holds(const workflow_store_t *self, wf_level_t level);

/* Settle the copy of application `application_id` that a linked node
 * sent (its instance marked arrived_from), inside the caller's
 * transaction: a step is always taken on the application as the peers
 * left it. */
int workflow_settle_locked(workflow_store_t *self, PGconn *conn, const char *application_id,
                           kc_error_t *error);

/* Whether the node is linked to others. */
bool workflow_store_linked(const workflow_store_t *self);

/* What entering a state armed, for the event that announces the step. */
typedef struct {
    int64_t notice_end_ms;   /* when its public notice closes, 0: none */
    bool notice_provisional; /* counted on a provisional year */
    int64_t deadline_ms;     /* its level's deadline, 0: none */
    bool deadline_provisional;
} wf_armed_t;

/* Enter state `state` at `version` on this node: arm its timers and draw
 * its panel if the node holds it. `armed` (may be NULL) tells what was
 * armed. */
int workflow_enter(workflow_store_t *self, PGconn *conn, const wf_process_t *process,
                   const char *application_id, int state, int version, int64_t now_ms,
                   wf_armed_t *armed, kc_error_t *error);

/* The instant of the write in progress: taken once when its transaction
 * begins (workflow_tx_begin), it is the time of every row the write
 * records — the step, its timers, its event, its audit entry — so they
 * show one time. */
void workflow_store_take_instant(workflow_store_t *self);
int64_t workflow_store_instant(const workflow_store_t *self);

/* Hold the instant of the write in progress at `floor_ms` at least (the
 * application's last step, perhaps recorded by another kc-workflow process
 * or copied from a peer: its next step never comes before it); the node's
 * clock itself is not moved. Returns the instant. */
int64_t workflow_store_hold_instant(workflow_store_t *self, int64_t floor_ms);

/* Whether requests run inside a group commit (workflow_store_group). */
bool workflow_store_grouped(const workflow_store_t *self);

/* A request's transaction: BEGIN / COMMIT / ROLLBACK, or inside a group
 * its savepoint (workflow_tx.c). */
int workflow_tx_begin(workflow_store_t *self, PGconn *conn, kc_error_t *error);
int workflow_tx_commit(workflow_store_t *self, PGconn *conn, kc_error_t *error);
void workflow_tx_rollback(workflow_store_t *self, PGconn *conn);

/* The working-day calendar (NULL until set: notices and deadlines are then refused). */
const kc_calendar_t *workflow_store_calendar(const workflow_store_t *self);

/* The digits of an official's division that the codes of its counties
 * start with: "13" for a province, "1301" for a city, the code itself for
 * a county; "" for anything else. */
void workflow_jurisdiction(const char *division, char prefix[7]);

/* A heap copy of a text for a reply (freed with the reply). */
char *workflow_dup(const char *text);

/* A WorkflowState of row `row` of an instance query (WF_INSTANCE_COLUMNS);
 * `available` lists the transitions `actor` may take now. */
Kc__V1__WorkflowState *workflow_state_reply(const wf_process_t *process, const PGresult *result,
                                            int row, const Kc__V1__Actor *actor);

/* The state of application `ref` with its history and objections, as
 * `actor` (an official with jurisdiction over it) may see it. */
int workflow_state_of(workflow_store_t *self, PGconn *conn, const char *ref,
                      const Kc__V1__Actor *actor, Kc__V1__WorkflowState **reply, kc_error_t *error);

/* Take `action` inside the caller's open transaction: lock the instance,
 * check, move, record the step, arm the new state's timers, draw its
 * panel, append the event and the audit entry, take a kept submission the
 * new state waits for. -1 with `error` when refused or failed (the caller
 * rolls back). */
/* The objections to one notice (the instance's version while on notice). */
typedef struct {
    long open;        /* not settled yet */
    long upheld;      /* settled as upheld */
    char reason[600]; /* the upheld ones' reasons, joined with "；" (cut to fit) */
} wf_objections_t;

/* Count the objections made against the notice the application held at
 * `version`. 0, or -1 with `error` when the database failed. */
int workflow_objections_of_notice(PGconn *conn, const char *application_id, int version,
                                  wf_objections_t *out, kc_error_t *error);

int workflow_act_locked(workflow_store_t *self, PGconn *conn, const wf_action_t *action,
                        wf_outcome_t *outcome, kc_error_t *error);

/* Arm the timers of state `state` entered at `version` (notice, timer,
 * deadline) at the clock's `now_ms`. */
int workflow_timers_arm(workflow_store_t *self, PGconn *conn, const wf_process_t *process,
                        const char *application_id, int state, int version, int64_t now_ms,
                        wf_armed_t *armed, kc_error_t *error);

/* Draw the panel of a panel state entered at `version`. */
int workflow_panel_draw(workflow_store_t *self, PGconn *conn, const wf_process_t *process,
                        const char *application_id, int state, int version, kc_error_t *error);

/* Whether the panel drawn at `version` has its result, and (min_score >
 * 0) whether the aggregate reaches it: 0, or -1 with `error` saying why not. */
int workflow_panel_ready(PGconn *conn, const char *application_id, const char *ref, int version,
                         int min_score, kc_error_t *error);

/* Append an event of `type` (packed payload) in the open transaction, at
 * the instant of the write (workflow_store_instant). */
int workflow_event(workflow_store_t *self, PGconn *conn, const char *type,
                   const ProtobufCMessage *payload, kc_error_t *error);

/* The same at `at_ms` (a step copied from a peer: its own instant). */
int workflow_event_at(workflow_store_t *self, PGconn *conn, const char *type,
                      const ProtobufCMessage *payload, int64_t at_ms, kc_error_t *error);

/* Audit an allowed action in the open transaction, at the instant of the
 * write. */
int workflow_audit(workflow_store_t *self, PGconn *conn, const Kc__V1__Actor *actor,
                   const char *action, const char *target, const char *reason, kc_error_t *error);

/* Roll back, then audit a refused request in a transaction of its own. */
void workflow_audit_refusal(workflow_store_t *self, PGconn *conn, const Kc__V1__Actor *actor,
                            const char *action, const char *target, const kc_error_t *why);

#endif
