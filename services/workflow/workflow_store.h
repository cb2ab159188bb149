/*  workflow_store: kc-workflow's side of PostgreSQL.
 *
 *  The parsed process definitions (a cache keyed by code: a stored
 *  definition never changes), the adoption of new applications, and the
 *  three requests: act on an application (one transaction: lock the
 *  instance, check, move, record the step, the event and the audit entry),
 *  the inbox of an actor, and an application's history.
 */
#ifndef WORKFLOW_WORKFLOW_STORE_H
#define WORKFLOW_WORKFLOW_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "kc/kc_bus.h"
#include "kc/kc_error.h"
#include "kc/kc_calendar.h"
#include "process/process.h"

typedef struct workflow_store_t workflow_store_t;

workflow_store_t *workflow_store_new(const char *node, const char *division);
void workflow_store_destroy(workflow_store_t **self);

/* The definition stored under `code`, parsed once; NULL with `error`. */
const wf_process_t *workflow_store_definition(workflow_store_t *self, PGconn *conn,
                                              const char *code, kc_error_t *error);

/* Give every application without a workflow its initial state; returns
 * how many were adopted, -1 on a database failure. */
int workflow_store_adopt(workflow_store_t *self, PGconn *conn, kc_error_t *error);

/* Answer ActOnApplication as `request->actor`. On success *reply is a heap
 * WorkflowState (free with protobuf_c_message_free_unpacked). Refusals are
 * audited in a transaction of their own. */
int workflow_store_act(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                       Kc__V1__WorkflowState **reply, kc_error_t *error);

/* Answer GetApplicationHistory (the actor must have jurisdiction). */
int workflow_store_history(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                           Kc__V1__WorkflowState **reply, kc_error_t *error);

/* Start (BEGIN) or end (COMMIT when `commit`, else ROLLBACK) a group
 * commit: until it ends, each request runs in a savepoint of the group's
 * transaction, and nothing a request did is durable before the end. */
int workflow_store_group(workflow_store_t *self, PGconn *conn, bool begin, bool commit,
                         kc_error_t *error);

/* Audit a request refused for want of authority that changed nothing (a
 * read): appended in the open group, or in a transaction of its own. */
void workflow_audit_denied(workflow_store_t *self, PGconn *conn, const Kc__V1__Actor *actor,
                           const char *action, const char *target, const kc_error_t *why);

/* The node's clock now (kc_instant: the wall clock, but never before an
 * instant kc-workflow gave already); timers fall due by it. */
int64_t workflow_store_now(workflow_store_t *self);

/* On connecting: no instant before the latest one kc-workflow recorded on
 * the node (its steps, the steps copied from peers, its timers), so a
 * restart under a clock set back does not record a step before the last. */
int workflow_store_resume_clock(workflow_store_t *self, PGconn *conn, kc_error_t *error);

/* Fire up to `max` timers that are due by the node's clock
 * (workflow_store_now), one transaction each; returns how many fired, -1
 * on a database failure. */
int workflow_store_fire_timers(workflow_store_t *self, PGconn *conn, int max, kc_error_t *error);

/* The earliest armed timer's due time (Unix ms), 0 when none. */
int64_t workflow_store_next_timer(PGconn *conn);

/* The working-day calendar notices and deadlines are counted with (borrowed). */
/* A node linked to others (deploy/federation/) holds the states and takes
 * the steps of its own level, and settles the copies its peers send;
 * alone (WF_LEVEL_NONE, the default) it holds every level. */
void workflow_store_set_level(workflow_store_t *self, wf_level_t level);

/* Take the steps copied from peers (workflow_replica_apply in
 * deploy/sql/0013_federation.sql): their events, this node's timers and
 * panel for the state they left the application in, and the copy sent on.
 * How many applications were settled, or -1. */
int workflow_store_settle(workflow_store_t *self, PGconn *conn, kc_error_t *error);

void workflow_store_set_calendar(workflow_store_t *self, const kc_calendar_t *calendar);

/* After the calendar changed: count again every deadline still to come
 * (on a provisional year, or on a year whose notice was corrected), each
 * change announced (DeadlineReached of kind "rescheduled"), and say of a
 * notice counted on a provisional year whether it still is (its close
 * stands: it was public). Each timer in a transaction of its own; one that
 * fails is left for the next recount. The number of deadlines moved, or
 * -1 with `error` when any timer failed. */
int workflow_timers_recount(workflow_store_t *self, PGconn *conn, kc_error_t *error);

/* Answer ResolveObjection: settle an objection to a notice. */
int workflow_store_resolve_objection(workflow_store_t *self, PGconn *conn,
                                     const kc_envelope_t *request, Kc__V1__WorkflowState **reply,
                                     kc_error_t *error);

/* Expert panels: a declaration, scores, the panel as the actor may see it. */
int workflow_store_declare(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                           Kc__V1__PanelView **reply, kc_error_t *error);
int workflow_store_score(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                         Kc__V1__PanelView **reply, kc_error_t *error);
int workflow_store_panel(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                         Kc__V1__PanelView **reply, kc_error_t *error);

/* Answer GetProgress: a programme's applications by state, against its target. */
int workflow_store_progress(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                            Kc__V1__Progress **reply, kc_error_t *error);

/* Answer ListInbox: what waits at the actor's level in its jurisdiction. */
int workflow_store_inbox(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                         Kc__V1__Inbox **reply, kc_error_t *error);

#endif
