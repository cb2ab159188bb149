/*  cmd_migrate: `kcctl migrate` — bring the node's database to the current
 *  schema and load the reference data (division map, indicator catalogue).
 *
 *  The SQL and data directories come from KC_SQL_DIR and KC_DATA_DIR, else
 *  deploy/sql and deploy/data under the working directory (a checkout),
 *  else /usr/share/kechuang/{sql,data} (an installed node).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kc/kc_db.h"
#include "kcctl/kcctl.h"
#include "kcctl/migrate.h"

static const char *s_directory(const char *variable, const char *local, const char *installed)
{
    const char *value = getenv(variable);
    if (value && *value)
        return value;
    return access(local, R_OK) == 0 ? local : installed;
}

int kcctl_migrate(kcctl_t *self)
{
    kc_error_t error;
    if (!*self->config.conninfo) {
        fprintf(stderr, "error: no database given: set database.conninfo in --config or "
                        "KC_DATABASE_URL\n");
        return -1;
    }
    const char *sql_dir = s_directory("KC_SQL_DIR", "deploy/sql", "/usr/share/kechuang/sql");
    const char *data_dir = s_directory("KC_DATA_DIR", "deploy/data", "/usr/share/kechuang/data");
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl migrate", &error);
    if (!conn) {
        kcctl_print_error(&error);
        return -1;
    }
    int rc = migrate_apply(conn, sql_dir, data_dir, stdout, &error);
    if (rc)
        kcctl_print_error(&error);
    kc_db_disconnect(&conn);
    return rc;
}
