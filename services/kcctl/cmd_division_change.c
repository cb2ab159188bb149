/*  cmd_division_change: `kcctl division-change` — record that a county was
 *  renamed, recoded, merged, split or abolished on a given day. The work is
 *  the SQL function division_change (deploy/sql/0004_division_changes.sql),
 *  so the rules live in one place and the change is one transaction;
 *  kc-intake hears of it through NOTIFY and reloads its map.
 *
 *  kcctl division-change KIND CODE YYYY-MM-DD [SUCCESSOR[,SUCCESSOR...]]
 *                        [--name NEW_NAME] [--note TEXT]
 */
#include <stdio.h>
#include <string.h>

#include "kc/kc_check.h"
#include "kc/kc_db.h"
#include "kcctl/kcctl.h"

int kcctl_division_change(kcctl_t *self)
{
    if (self->positional_count < 3 || self->positional_count > 4) {
        fprintf(stderr, "usage: kcctl division-change rename|recode|merge|split|abolish CODE "
                        "YYYY-MM-DD [SUCCESSOR,...] [--name NAME] [--note TEXT]\n");
        return -1;
    }
    kc_errors_t errors;
    kc_errors_init(&errors);
    kc_check_date(self->positional[2], "date", &errors);
    if (errors.total) {
        kcctl_print_error(&errors.items[0]);
        kc_errors_release(&errors);
        return -1;
    }
    kc_errors_release(&errors);
    if (!*self->config.conninfo) {
        fprintf(stderr, "error: no database given: set database.conninfo in --config or "
                        "KC_DATABASE_URL\n");
        return -1;
    }
    char successors[512] = "{}";
    if (self->positional_count == 4)
        snprintf(successors, sizeof successors, "{%s}", self->positional[3]);
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl division-change", &error);
    if (!conn) {
        kcctl_print_error(&error);
        return -1;
    }
    const char *values[] = {self->positional[0], self->positional[1], self->positional[2],
                            successors,          self->name,          self->note};
    PGresult *result = PQexecParams(conn,
                                    "SELECT division_change($1, $2, $3::date, $4::text[],"
                                    " nullif($5, ''), $6)",
                                    6, NULL, values, NULL, NULL, 0);
    int rc = kc_db_check(conn, result, "recording the change", &error);
    if (rc)
        kcctl_print_error(&error);
    else
        printf("recorded: %s\n", PQgetvalue(result, 0, 0));
    PQclear(result);
    kc_db_disconnect(&conn);
    return rc;
}
