/*  cmd_audit: `kcctl audit verify` and `kcctl audit list`.
 *
 *  verify recomputes the audit log's hash chain here, not in the database
 *  (kc_audit_verify), and says either
 *      audit chain intact: N entries, last hash H          (exit 0)
 *  or
 *      audit chain BROKEN at entry N: what differs         (exit 1)
 *  The last hash is what an operator writes down elsewhere: a chain later
 *  found to continue from another hash was rewritten.
 *
 *  list prints entries one line each: the 50 most recent, or with
 *  --after N every entry after id N. Texts are printed escaped as in the
 *  canonical line, so a newline in a reason cannot fake another entry.
 */
#include <stdio.h>
#include <string.h>

#include "kc/kc_audit.h"
#include "kc/kc_db.h"
#include "kcctl/kcctl.h"

#define S_RECENT "50" /* entries `audit list` shows without --after */

static PGconn *s_connect(kcctl_t *self)
{
    if (!*self->config.conninfo) {
        fprintf(stderr, "error: no database given: set database.conninfo in --config or "
                        "KC_DATABASE_URL\n");
        return NULL;
    }
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl audit", &error);
    if (!conn)
        kcctl_print_error(&error);
    return conn;
}

static int s_verify(PGconn *conn)
{
    kc_audit_verdict_t verdict;
    kc_error_t error;
    if (kc_audit_verify(conn, &verdict, &error)) {
        kcctl_print_error(&error);
        return -1;
    }
    if (verdict.first_bad) {
        printf("audit chain BROKEN at entry %lld: %s\n", (long long)verdict.first_bad,
               verdict.problem);
        printf("  %lld entr%s before it verified\n", (long long)verdict.first_bad - 1,
               verdict.first_bad == 2 ? "y" : "ies");
        return -1;
    }
    printf("audit chain intact: %lld entr%s, last hash %s\n", (long long)verdict.checked,
           verdict.checked == 1 ? "y" : "ies", verdict.last_hash);
    return 0;
}

/* Columns of both listings: id, at (µs), user, role, division,
 * organisation, node, action, target, reason, allowed. */
#define S_COLUMNS                                                                                  \
    "SELECT id, (extract(epoch FROM at) * 1000000)::bigint AS at_us, user_id, role,"               \
    " division_code, organisation, node, action, target, reason, allowed FROM audit_entry"

static const char s_after_sql[] = S_COLUMNS " WHERE id > $1::bigint ORDER BY id";
static const char s_recent_sql[] =
    "SELECT * FROM (" S_COLUMNS " ORDER BY id DESC LIMIT " S_RECENT ") recent ORDER BY id";

/* One text cell, escaped, into `out`; "-" when empty, but for the
 * optional organisation and reason. */
static const char *s_cell(char *out, size_t size, const PGresult *rows, int row, int column)
{
    *out = '\0';
    kc_audit_escape_into(out, size, PQgetvalue(rows, row, column));
    bool optional = column == 5 || column == 9;
    return *out || optional ? out : "-";
}

static void s_print_entry(const PGresult *rows, int row)
{
    char at[KC_AUDIT_TIME_SIZE], user[96], role[64], division[32], organisation[128], node[64],
        action[160], target[128], reason[512];
    kc_audit_format_time(kc_db_int(rows, row, 1), at);
    s_cell(organisation, sizeof organisation, rows, row, 5);
    s_cell(reason, sizeof reason, rows, row, 9);
    printf("%6lld  %s  %-7s  %s  %s  by %s (%s %s%s%s) on %s%s%s\n", kc_db_int(rows, row, 0), at,
           strcmp(PQgetvalue(rows, row, 10), "t") == 0 ? "allowed" : "REFUSED",
           s_cell(action, sizeof action, rows, row, 7), s_cell(target, sizeof target, rows, row, 8),
           s_cell(user, sizeof user, rows, row, 2), s_cell(role, sizeof role, rows, row, 3),
           s_cell(division, sizeof division, rows, row, 4), *organisation ? ", " : "", organisation,
           s_cell(node, sizeof node, rows, row, 6), *reason ? ": " : "", reason);
}

static int s_list(kcctl_t *self, PGconn *conn)
{
    char after[24];
    snprintf(after, sizeof after, "%d", self->after);
    const char *values[] = {after};
    PGresult *rows = NULL;
    kc_error_t error;
    int rc = self->after > 0 ? kc_db_run(conn, s_after_sql, 1, values, NULL, NULL,
                                         "reading the audit log", &rows, &error)
                             : kc_db_run(conn, s_recent_sql, 0, NULL, NULL, NULL,
                                         "reading the audit log", &rows, &error);
    if (rc) {
        kcctl_print_error(&error);
        return -1;
    }
    for (int row = 0; row < PQntuples(rows); row++)
        s_print_entry(rows, row);
    printf("%d entr%s\n", PQntuples(rows), PQntuples(rows) == 1 ? "y" : "ies");
    PQclear(rows);
    return 0;
}

int kcctl_audit(kcctl_t *self)
{
    const char *what = self->positional_count == 1 ? self->positional[0] : "";
    if (strcmp(what, "verify") != 0 && strcmp(what, "list") != 0) {
        fprintf(stderr, "usage: kcctl audit verify | kcctl audit list [--after ID]\n");
        return -1;
    }
    PGconn *conn = s_connect(self);
    if (!conn)
        return -1;
    int rc = strcmp(what, "verify") == 0 ? s_verify(conn) : s_list(self, conn);
    kc_db_disconnect(&conn);
    return rc;
}
