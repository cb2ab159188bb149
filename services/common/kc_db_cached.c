/*  kc_db_cached: a daemon's hot statements, parsed and planned once.
 *
 *  kc-workflow runs the same dozen statements for every step; sent as
 *  unnamed statements each is parsed and planned again every time, which
 *  costs PostgreSQL more than executing them. Here each (connection,
 *  statement) pair is prepared on first use under a generated name and then
 *  executed by name. The statements are the daemon's own constant SQL, so a
 *  small table found by the text's address (confirmed by comparing the
 *  text) is enough. A connection that is closed with kc_db_disconnect
 *  forgets its statements; a statement PostgreSQL no longer knows is
 *  prepared again.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kc/kc_db.h"

#define CACHED_MAX 128

typedef struct {
    const PGconn *conn;
    const char *sql;
    char name[16];
} s_cached_t;

static s_cached_t s_cached[CACHED_MAX];
static int s_serial;
/* kc-notify runs two threads, each on its own connection, over one table */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

void kc_db_forget(const PGconn *conn)
{
    pthread_mutex_lock(&s_lock);
    for (int i = 0; i < CACHED_MAX; i++)
        if (s_cached[i].conn == conn)
            s_cached[i].conn = NULL;
    pthread_mutex_unlock(&s_lock);
}

static const char *s_prepared_locked(PGconn *conn, const char *sql, int count);

/* The name `sql` is prepared under on `conn`, preparing it first; NULL
 * when it cannot be (run it unnamed). The name is copied into `name`. */
static const char *s_prepared(PGconn *conn, const char *sql, int count, char name[16])
{
    pthread_mutex_lock(&s_lock);
    const char *found = s_prepared_locked(conn, sql, count);
    if (found)
        snprintf(name, 16, "%s", found);
    pthread_mutex_unlock(&s_lock);
    return found ? name : NULL;
}

static const char *s_prepared_locked(PGconn *conn, const char *sql, int count)
{
    int free_slot = -1;
    for (int i = 0; i < CACHED_MAX; i++) {
        if (s_cached[i].conn == conn &&
            (s_cached[i].sql == sql || strcmp(s_cached[i].sql, sql) == 0))
            return s_cached[i].name;
        if (!s_cached[i].conn && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0 || PQtransactionStatus(conn) == PQTRANS_INERROR)
        return NULL; /* full, or nothing can be prepared now: run it unnamed */
    s_cached_t *slot = &s_cached[free_slot];
    snprintf(slot->name, sizeof slot->name, "kc_%d", ++s_serial);
    PGresult *prepared = PQprepare(conn, slot->name, sql, count, NULL);
    bool ok = PQresultStatus(prepared) == PGRES_COMMAND_OK;
    PQclear(prepared);
    if (!ok)
        return NULL;
    slot->conn = conn;
    slot->sql = sql;
    return slot->name;
}

int kc_db_run_cached(PGconn *conn, const char *sql, int count, const char *const *params,
                     const int *lengths, const int *formats, const char *what, PGresult **result,
                     kc_error_t *error)
{
    char buffer[16];
    const char *name = s_prepared(conn, sql, count, buffer);
    if (!name)
        return kc_db_run(conn, sql, count, params, lengths, formats, what, result, error);
    PGresult *answer = PQexecPrepared(conn, name, count, params, lengths, formats, 0);
    const char *state = answer ? PQresultErrorField(answer, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "26000") == 0) { /* unknown statement: forget it, run unnamed */
        PQclear(answer);
        pthread_mutex_lock(&s_lock);
        for (int i = 0; i < CACHED_MAX; i++)
            if (s_cached[i].conn == conn && s_cached[i].sql == sql)
                s_cached[i].conn = NULL;
        pthread_mutex_unlock(&s_lock);
        return kc_db_run(conn, sql, count, params, lengths, formats, what, result, error);
    }
    return kc_db_take(conn, answer, what, result, error);
}
