/*  kc_db: connection set-up and error translation for libpq. */
#include "kc/kc_db.h"

#include <stdlib.h>
#include <string.h>

PGconn *kc_db_connect(const char *conninfo, const char *who, kc_error_t *error)
{
    /* Defaults first, so the operator's connection string (expanded in
     * place of dbname: URIs and key=value strings both work) can override
     * them: a dead or silent server must not hang a daemon, hence the
     * connect timeout and TCP keepalives. The session settings come last
     * and are not negotiable: acknowledged means durable, so
     * synchronous_commit is pinned on whatever the server's default. */
    const char *keys[] = {"connect_timeout",  "keepalives",
                          "keepalives_idle",  "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout",
                          "dbname",           "application_name",
                          "options",          NULL};
    const char *values[] = {
        "5", "1", "30", "10", "3", "30000", conninfo, who,
        /* the server side of keepalives too: a worker machine that dies
         * while holding a scoring job frees it in a minute, not in hours */
        "-c TimeZone=UTC -c statement_timeout=60000 -c synchronous_commit=on"
        " -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
        NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        kc_error_set(error, KC_ERR_DB_UNAVAILABLE, NULL, "cannot connect to the database");
        kc_error_detail(error, "%s", conn ? PQerrorMessage(conn) : "out of memory");
        kc_error_hint(error, "check database.conninfo or KC_DATABASE_URL and that PostgreSQL runs");
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

void kc_db_disconnect(PGconn **conn)
{
    if (conn && *conn) {
        kc_db_forget(*conn);
        PQfinish(*conn);
        *conn = NULL;
    }
}

static void s_trim_copy(char *out, size_t size, const char *text)
{
    size_t length = text ? strlen(text) : 0;
    while (length && (text[length - 1] == '\n' || text[length - 1] == ' '))
        length--;
    if (length >= size)
        length = size - 1;
    if (length)
        memcpy(out, text, length);
    out[length] = '\0';
}

int kc_db_check(PGconn *conn, const PGresult *result, const char *what, kc_error_t *error)
{
    ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return 0;
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    kc_error_set(error, kc_db_is_data_error(result) ? KC_ERR_DATABASE : KC_ERR_DB_UNAVAILABLE, NULL,
                 "%s failed", what);
    char message[200];
    const char *primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    s_trim_copy(message, sizeof message, primary ? primary : PQerrorMessage(conn));
    const char *detail = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL) : NULL;
    kc_error_detail(error, "SQLSTATE %s: %s%s%s", state ? state : "-----", message,
                    detail ? "; " : "", detail ? detail : "");
    const char *hint = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_HINT) : NULL;
    if (hint)
        kc_error_hint(error, "%s", hint);
    return -1;
}

int kc_db_exec(PGconn *conn, const char *sql, kc_error_t *error)
{
    PGresult *result = PQexec(conn, sql);
    int rc = kc_db_check(conn, result, sql, error);
    PQclear(result);
    return rc;
}

int kc_db_run(PGconn *conn, const char *sql, int count, const char *const *params,
              const int *lengths, const int *formats, const char *what, PGresult **result,
              kc_error_t *error)
{
    PGresult *answer = PQexecParams(conn, sql, count, NULL, params, lengths, formats, 0);
    return kc_db_take(conn, answer, what, result, error);
}

int kc_db_take(PGconn *conn, PGresult *answer, const char *what, PGresult **result,
               kc_error_t *error)
{
    if (kc_db_check(conn, answer, what, error)) {
        PQclear(answer);
        return -1;
    }
    if (result)
        *result = answer;
    else
        PQclear(answer);
    return 0;
}

bool kc_db_is_data_error(const PGresult *result)
{
    /* Class 22 (data exception) and 23 (integrity constraint violation)
     * come from what one request carried; P0001 is a RAISE in our own
     * functions. Everything else — lost connections, timeouts, locks,
     * serialization failures, a full disk — is the database's state, and
     * the same request may well succeed later. */
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    return state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 ||
                     strcmp(state, "P0001") == 0);
}

bool kc_db_is_retryable(const PGresult *result)
{
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    return state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0);
}

bool kc_db_is_lost(PGconn *conn)
{
    return !conn || PQstatus(conn) != CONNECTION_OK;
}

long long kc_db_int(const PGresult *result, int row, int column)
{
    if (PQgetisnull(result, row, column))
        return 0;
    return strtoll(PQgetvalue(result, row, column), NULL, 10);
}

int kc_db_check_linked(PGconn *conn, const kc_config_t *config, kc_error_t *error)
{
    if (!*config->link_parent && !*config->link_endpoint)
        return 0;
    const char *params[1] = {config->node_division};
    PGresult *result = NULL;
    if (kc_db_run(conn, "SELECT count(*) FROM link_peer WHERE relation = 'self' AND division = $1",
                  1, params, NULL, NULL, "reading the node's links", &result, error))
        return -1;
    long long found = kc_db_int(result, 0, 0);
    PQclear(result);
    return found == 1 ? 0
                      : kc_error_set(error, KC_ERR_DB_UNAVAILABLE, "link",
                                     "node %s is linked (link.parent, link.endpoint) but kc-link"
                                     " has not recorded it yet: start kc-link first",
                                     config->node_division);
}
