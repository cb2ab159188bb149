/*  workflow_replica: settling the steps a linked node copied here.
 *
 *  kc-link takes a peer's copy of an application into the database in the
 *  transaction that receives it (workflow_replica_apply), marking the
 *  instance arrived_from. What needs the procedure's definition is done
 *  here, in one transaction per application: an ApplicationMoved event
 *  for each new step (so this node's kc-notify tells its own people), the
 *  timers and panel of the state it is now in if this node holds that
 *  level, the closing of timers the steps made stale, and the copy sent on
 *  to the nodes that need it, never back where it came from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_audit.h"
#include "kc/kc_db.h"
#include "kc/kc_log.h"
#include "workflow/workflow_internal.h"

#define SETTLE_MAX 64 /* applications per call */

/* One ApplicationMoved event per step after `after`. */
static int s_events(workflow_store_t *self, PGconn *conn, const char *application_id,
                    const char *after, const char *ref, const char *county, const char *definition,
                    kc_error_t *error)
{
    PGresult *steps = NULL;
    const char *params[2] = {application_id, after};
    if (kc_db_run_cached(
            conn,
            "SELECT transition, decision, from_state, to_state, role, division_code,"
            "       reason, version, (extract(epoch FROM at) * 1000)::bigint FROM workflow_step"
            " WHERE application_id = $1::bigint AND version > $2::int ORDER BY version",
            2, params, NULL, NULL, "reading the copied steps", &steps, error))
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(steps) && rc == 0; i++) {
        Kc__V1__ApplicationMoved moved = KC__V1__APPLICATION_MOVED__INIT;
        moved.application_ref = (char *)ref;
        moved.county_code = (char *)county;
        moved.definition = (char *)definition;
        moved.transition = PQgetvalue(steps, i, 0);
        moved.decision = PQgetvalue(steps, i, 1);
        moved.from_state = PQgetvalue(steps, i, 2);
        moved.to_state = PQgetvalue(steps, i, 3);
        moved.role = PQgetvalue(steps, i, 4);
        moved.division_code = PQgetvalue(steps, i, 5);
        moved.reason = PQgetvalue(steps, i, 6);
        moved.version = (int32_t)kc_db_int(steps, i, 7);
        /* the step's event shows the step's instant, the peer's */
        rc = workflow_event_at(self, conn, "ApplicationMoved", &moved.base, kc_db_int(steps, i, 8),
                               error);
    }
    PQclear(steps);
    return rc;
}

static const char *s_lock_sql =
    "SELECT w.arrived_from, coalesce(w.arrived_after, 0), w.definition, w.state, w.version,"
    "       a.ref, w.county_code"
    "  FROM workflow_instance w JOIN application a ON a.id = w.application_id"
    " WHERE w.application_id = $1::bigint AND w.arrived_from IS NOT NULL FOR UPDATE OF w";

static int s_settle(workflow_store_t *self, PGconn *conn, const char *application_id,
                    kc_error_t *error)
{
    PGresult *row = NULL;
    const char *params[1] = {application_id};
    if (kc_db_run_cached(conn, s_lock_sql, 1, params, NULL, NULL, "locking a copied application",
                         &row, error))
        return -1;
    if (PQntuples(row) != 1) { /* settled meanwhile */
        PQclear(row);
        return 0;
    }
    const char *origin = PQgetvalue(row, 0, 0), *ref = PQgetvalue(row, 0, 5);
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(row, 0, 2), error);
    int state = process ? process_state_index(process, PQgetvalue(row, 0, 3)) : -1;
    int rc = -1;
    if (process && state < 0)
        kc_error_set(error, KC_ERR_INVALID_FORMAT, "state", "'%s' is not a state of %s",
                     PQgetvalue(row, 0, 3), process->code);
    else if (process) {
        int64_t now_ms = workflow_store_instant(self);
        char now[24];
        snprintf(now, sizeof now, "%lld", (long long)now_ms);
        const char *stale[3] = {application_id, now, PQgetvalue(row, 0, 4)};
        const char *forward[3] = {application_id, process_level_name(process->states[state].level),
                                  origin};
        kc_audit_entry_t entry = {workflow_store_node(self),
                                  origin,
                                  "node",
                                  origin,
                                  "",
                                  "workflow.copy",
                                  ref,
                                  true,
                                  "the linked node's steps taken here",
                                  PQgetvalue(row, 0, 4)};
        rc = (s_events(self, conn, application_id, PQgetvalue(row, 0, 1), ref,
                       PQgetvalue(row, 0, 6), process->code, error) ||
              kc_db_run_cached(conn,
                               "UPDATE workflow_timer SET fired_ms = $2::bigint,"
                               " outcome = 'moved_on' WHERE application_id = $1::bigint"
                               " AND version < $3::int AND fired_ms IS NULL",
                               3, stale, NULL, NULL, "closing stale timers", NULL, error) ||
              workflow_enter(self, conn, process, application_id, state, (int)kc_db_int(row, 0, 4),
                             now_ms, NULL, error) ||
              kc_db_run_cached(conn, "SELECT workflow_forward($1::bigint, $2, $3)", 3, forward,
                               NULL, NULL, "sending the copy on", NULL, error) ||
              kc_db_run_cached(conn,
                               "UPDATE workflow_instance SET arrived_from = NULL,"
                               " arrived_after = NULL WHERE application_id = $1::bigint",
                               1, params, NULL, NULL, "settling the copy", NULL, error) ||
              kc_audit_append_at(conn, &entry, now_ms, NULL, error))
                 ? -1
                 : 1;
    }
    PQclear(row);
    return rc;
}

int workflow_settle_locked(workflow_store_t *self, PGconn *conn, const char *application_id,
                           kc_error_t *error)
{
    return s_settle(self, conn, application_id, error) < 0 ? -1 : 0;
}

int workflow_store_settle(workflow_store_t *self, PGconn *conn, kc_error_t *error)
{
    /* by a cursor, so that a copy that cannot be settled (logged) never
     * holds up the ones after it */
    char after[24] = "0", limit[8];
    snprintf(limit, sizeof limit, "%d", SETTLE_MAX);
    int settled = 0, rows;
    do {
        PGresult *due = NULL;
        const char *params[2] = {after, limit};
        if (kc_db_run_cached(conn,
                             "SELECT application_id FROM workflow_instance"
                             " WHERE arrived_from IS NOT NULL AND application_id > $1::bigint"
                             " ORDER BY application_id LIMIT $2::int",
                             2, params, NULL, NULL, "finding copied applications", &due, error))
            return -1;
        rows = PQntuples(due);
        for (int i = 0; i < rows; i++) {
            snprintf(after, sizeof after, "%s", PQgetvalue(due, i, 0));
            if (workflow_tx_begin(self, conn, error))
                break;
            int rc = s_settle(self, conn, after, error);
            if (rc < 0) {
                kc_log_warn("copy of application %s: %s", after, error->message);
                workflow_tx_rollback(self, conn);
                continue;
            }
            if (workflow_tx_commit(self, conn, error))
                break;
            settled += rc;
        }
        PQclear(due);
    } while (rows == SETTLE_MAX);
    return settled;
}
