/*  workflow_tx: each request's transaction, alone or inside a group commit.
 *
 *  Every commit waits for the disk (fsync, synchronous_commit on), and
 *  every step appends to the node's one audit chain, whose head row
 *  serialises them: one transaction per request would cap kc-workflow at
 *  one disk flush per request. So the server reads the requests that are
 *  waiting (up to a group) and runs them in one transaction, each inside a
 *  savepoint of its own: a refusal rolls back to its savepoint (its audit
 *  entry is then written in the group), the others stand, and one COMMIT
 *  makes them all durable before any answer leaves. Outside a group the
 *  same calls are BEGIN, COMMIT and ROLLBACK.
 *
 *  Beginning takes the write's one instant (workflow_store_take_instant):
 *  each request of a group has its own, and everything it records shows it.
 */
#include "kc/kc_db.h"
#include "workflow/workflow_internal.h"

int workflow_tx_begin(workflow_store_t *self, PGconn *conn, kc_error_t *error)
{
    workflow_store_take_instant(self);
    return kc_db_exec(conn, workflow_store_grouped(self) ? "SAVEPOINT request" : "BEGIN", error);
}

int workflow_tx_commit(workflow_store_t *self, PGconn *conn, kc_error_t *error)
{
    return kc_db_exec(conn, workflow_store_grouped(self) ? "RELEASE SAVEPOINT request" : "COMMIT",
                      error);
}

void workflow_tx_rollback(workflow_store_t *self, PGconn *conn)
{
    PGresult *result = PQexec(conn, workflow_store_grouped(self)
                                        ? "ROLLBACK TO SAVEPOINT request; RELEASE SAVEPOINT request"
                                        : "ROLLBACK");
    PQclear(result);
}
