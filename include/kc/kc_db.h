/*  kc_db: kechuang's side of libpq.
 *
 *  A thin layer: connect with sane session settings, turn a failed result
 *  into a kc_error_t that keeps PostgreSQL's SQLSTATE, message, detail and
 *  hint, and tell callers whether to retry, reconnect or give up. Queries
 *  are always parameterised; nothing here builds SQL from values.
 */
#ifndef KC_DB_H
#define KC_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"

/* Open a connection, set application_name to `who`, UTC time zone and a
 * statement timeout; NULL with `error` filled (password not echoed). */
PGconn *kc_db_connect(const char *conninfo, const char *who, kc_error_t *error);

/* Close and NULL a connection. */
void kc_db_disconnect(PGconn **conn);

/* 0 if `result` has the expected status (PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK); otherwise fill `error` with `what` as the subject and
 * return -1: KC_ERR_DATABASE when the data of the request caused it
 * (kc_db_is_data_error), KC_ERR_DB_UNAVAILABLE for everything that may
 * pass (connection, timeouts, locks, serialization). Does not PQclear. */
int kc_db_check(PGconn *conn, const PGresult *result, const char *what, kc_error_t *error);

/* Run a command with no parameters and no rows (BEGIN, COMMIT...). */
int kc_db_exec(PGconn *conn, const char *sql, kc_error_t *error);

/* Run a parameterised statement (text parameters; `lengths` and
 * `formats` may be NULL, or mark binary ones). 0 with *result set when
 * `result` is not NULL (PQclear it), else cleared; -1 with `error` filled
 * (`what` as the subject) and nothing to clear. */
int kc_db_run(PGconn *conn, const char *sql, int count, const char *const *params,
              const int *lengths, const int *formats, const char *what, PGresult **result,
              kc_error_t *error);

/* True when the SQLSTATE of `result` blames the data sent (classes 22 and
 * 23, and RAISE in kechuang's functions), not the database's state. */
bool kc_db_is_data_error(const PGresult *result);

/* True when the SQLSTATE of `result` asks for the transaction to be
 * retried (40001 serialization failure, 40P01 deadlock). */
bool kc_db_is_retryable(const PGresult *result);

/* True when the connection is gone and must be re-established. */
bool kc_db_is_lost(PGconn *conn);

/* Parse an int64 from a result cell; 0 for NULL. */
/* Check `answer` (kc_db_check); 0 with it handed to *result (or cleared
 * when result is NULL), or -1 with `error` and the answer cleared. */
int kc_db_take(PGconn *conn, PGresult *answer, const char *what, PGresult **result,
               kc_error_t *error);

/* kc_db_run through a statement prepared once per connection (for a
 * single-threaded daemon's constant SQL; kc_db_cached.c). */
int kc_db_run_cached(PGconn *conn, const char *sql, int count, const char *const *params,
                     const int *lengths, const int *formats, const char *what, PGresult **result,
                     kc_error_t *error);

/* On a node linked to others (link.parent or link.endpoint set), 0 only
 * once kc-link has recorded the node and its peers (link_peer): before
 * that, a change would not know where it must go, so a linked daemon
 * accepts nothing until then (KC_ERR_DB_UNAVAILABLE, it retries). 0 at
 * once on a node alone. */
int kc_db_check_linked(PGconn *conn, const kc_config_t *config, kc_error_t *error);

/* Forget the statements prepared on `conn` (kc_db_disconnect calls it). */
void kc_db_forget(const PGconn *conn);

long long kc_db_int(const PGresult *result, int row, int column);

#endif
