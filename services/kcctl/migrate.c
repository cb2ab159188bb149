/*  migrate: brings the shared database up to the newest deploy/sql/ file.
 *
 *  A run lists the NNNN_<name>.sql files, takes a session advisory lock so
 *  that a second migrator waits instead of racing, makes sure the history
 *  table schema_migration exists, reads it, and checks it against the files
 *  (an applied file must be unchanged, present and keep its name; nothing
 *  new may slip in below what is applied). Only then does it apply the
 *  pending files, oldest first, each in one transaction with the row that
 *  records it, and roll back what a failed file left. A migrate_run_t
 *  carries the connection, the directories, the report stream and the
 *  error through the steps.
 *
 *  This file is the run and the error and query helpers every step shares
 *  (migrate_internal.h). Finding, reading and checksumming the files is
 *  migrate_files.c; executing the text of one file, its SQL segments and
 *  the COPY of each kc:copy directive, is migrate_script.c.
 */
#include "kcctl/migrate.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_clock.h"
#include "kcctl/migrate_internal.h"

#define MIGRATE_LOCK_KEY "7738148884227187060" /* "kcmigrat" in ASCII, as a bigint */

typedef struct {
    int version;                      /* schema_migration.version */
    char name[MIGRATE_NAME_MAX];      /* schema_migration.name */
    char checksum[MIGRATE_HASH_SIZE]; /* schema_migration.checksum */
} migrate_record_t;

static const char *const s_create_history =
    "CREATE TABLE schema_migration ("
    " version int PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL," /* sha256 of the file, 64 lower-case hex digits */
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* Replace line breaks by spaces and drop trailing blanks, so a PostgreSQL
 * message (which ends in a newline) fits the one-line fields of kc_error_t. */
static void s_flatten(char *text)
{
    size_t length = strlen(text);
    for (size_t i = 0; i < length; i++)
        if (text[i] == '\n' || text[i] == '\r' || text[i] == '\t')
            text[i] = ' ';
    while (length > 0 && text[length - 1] == ' ')
        text[--length] = '\0';
}

/* ---------------------------------------------------------------------------
 * Errors and queries, for every step.
 */

int migrate_fail_pg(migrate_run_t *self, const PGresult *res, const char *fmt, ...)
{
    char message[KC_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);

    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *context = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    if (!primary)
        primary = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
                                                    : PQerrorMessage(self->conn);
    bool lost = PQstatus(self->conn) != CONNECTION_OK || (state && strncmp(state, "08", 2) == 0);

    kc_error_set(self->error, lost ? KC_ERR_DB_UNAVAILABLE : KC_ERR_DATABASE, NULL, "%s", message);
    kc_error_detail(self->error, "%s: %s%s%s%s%s", state ? state : "no SQLSTATE", primary,
                    detail ? "; " : "", detail ? detail : "", context ? "; " : "",
                    context ? context : "");
    s_flatten(self->error->detail);
    if (hint) {
        kc_error_hint(self->error, "%s", hint);
        s_flatten(self->error->hint);
    }
    return -1;
}

/* Run one statement with text parameters; returns its result (the caller
 * clears it) or NULL with the error set, saying `what` failed. */
PGresult *migrate_query(migrate_run_t *self, const char *what, const char *sql, int count,
                        const char *const *values)
{
    PGresult *res = PQexecParams(self->conn, sql, count, NULL, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return res;
    if (self->file)
        migrate_fail_pg(self, res, "migration '%s': %s failed", self->file, what);
    else
        migrate_fail_pg(self, res, "%s failed", what);
    PQclear(res);
    return NULL;
}

/* migrate_query for statements whose result is not needed. */
int migrate_command(migrate_run_t *self, const char *what, const char *sql, int count,
                    const char *const *values)
{
    PGresult *res = migrate_query(self, what, sql, count, values);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* ---------------------------------------------------------------------------
 * The history: the table schema_migration and its checks.
 */

/* Create schema_migration unless it exists. Asked first rather than with
 * IF NOT EXISTS, which would print a notice on every run. */
static int s_ensure_history(migrate_run_t *self)
{
    PGresult *res = migrate_query(self, "looking up table 'schema_migration'",
                                  "SELECT to_regclass('schema_migration') IS NOT NULL", 0, NULL);
    if (!res)
        return -1;
    bool exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (exists)
        return 0;
    return migrate_command(self, "creating table 'schema_migration'", s_create_history, 0, NULL);
}

/* The rows of schema_migration by version; *records is the caller's to free. */
static int s_load_history(migrate_run_t *self, migrate_record_t **records, size_t *count)
{
    PGresult *res = migrate_query(
        self, "reading table 'schema_migration'",
        "SELECT version, name, checksum FROM schema_migration ORDER BY version", 0, NULL);
    if (!res)
        return -1;
    int rows = PQntuples(res);
    *records = calloc(rows > 0 ? (size_t)rows : 1, sizeof **records);
    if (!*records)
        abort();
    for (int i = 0; i < rows; i++) {
        migrate_record_t *record = &(*records)[i];
        record->version = (int)strtol(PQgetvalue(res, i, 0), NULL, 10);
        snprintf(record->name, sizeof record->name, "%s", PQgetvalue(res, i, 1));
        snprintf(record->checksum, sizeof record->checksum, "%s", PQgetvalue(res, i, 2));
    }
    *count = (size_t)rows;
    PQclear(res);
    return 0;
}

/* An applied file must still hash to what was recorded. */
static int s_verify(migrate_run_t *self, const migrate_file_t *file, const migrate_record_t *record)
{
    char *text = NULL;
    size_t length = 0;
    char checksum[MIGRATE_HASH_SIZE];
    int rc = -1;

    if (migrate_files_read(self, file, &text, &length) < 0 ||
        migrate_files_checksum(self, text, length, checksum) < 0)
        goto out;
    if (strcmp(checksum, record->checksum) != 0) {
        kc_error_set(self->error, KC_ERR_CONFIG, NULL,
                     "migration '%s.sql' changed after it was applied", file->name);
        kc_error_detail(self->error, "sha256 when applied %s, now %s", record->checksum, checksum);
        kc_error_hint(self->error,
                      "restore the file as it was applied and put the change in a new migration");
        goto out;
    }
    rc = 0;
out:
    free(text);
    return rc;
}

static const migrate_file_t *s_find_file(const migrate_file_t *files, size_t count, int version)
{
    for (size_t i = 0; i < count; i++)
        if (files[i].version == version)
            return &files[i];
    return NULL;
}

/* Every applied version must have its file, under its name and unchanged;
 * a file not applied must not sort below the newest applied one. */
static int s_check_history(migrate_run_t *self, const migrate_file_t *files, size_t file_count,
                           const migrate_record_t *records, size_t record_count)
{
    int newest = record_count ? records[record_count - 1].version : 0;
    for (size_t i = 0; i < record_count; i++) {
        const migrate_record_t *record = &records[i];
        const migrate_file_t *file = s_find_file(files, file_count, record->version);
        if (!file) {
            kc_error_set(self->error, KC_ERR_CONFIG, NULL,
                         "applied migration '%s.sql' is missing from '%s'", record->name,
                         self->sql_dir);
            kc_error_hint(self->error, "the database is newer than these files: use the release "
                                       "that applied it, or restore the file");
            return -1;
        }
        if (strcmp(file->name, record->name) != 0) {
            kc_error_set(self->error, KC_ERR_CONFIG, NULL,
                         "migration '%s.sql' was applied as '%s.sql'", file->name, record->name);
            kc_error_hint(self->error, "restore the original name");
            return -1;
        }
        char name[MIGRATE_NAME_MAX + 4];
        snprintf(name, sizeof name, "%s.sql", record->name);
        self->file = name;
        int rc = s_verify(self, file, record);
        self->file = NULL;
        if (rc < 0)
            return -1;
    }
    for (size_t i = 0; i < file_count; i++) {
        bool applied = false;
        for (size_t j = 0; j < record_count && !applied; j++)
            applied = records[j].version == files[i].version;
        if (!applied && files[i].version < newest) {
            kc_error_set(self->error, KC_ERR_CONFIG, NULL,
                         "migration '%s.sql' is older than the applied version %d", files[i].name,
                         newest);
            kc_error_hint(self->error, "give it a version above %d", newest);
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Applying the pending files.
 */

/* 44706 as "44,706". */
static void s_format_count(uint64_t count, char *out, size_t size)
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%llu", (unsigned long long)count);
    size_t at = 0;
    for (int i = 0; i < length && at + 2 < size; i++) {
        if (i > 0 && (length - i) % 3 == 0)
            out[at++] = ',';
        out[at++] = digits[i];
    }
    out[at] = '\0';
}

/* Apply one file in one transaction with the row that records it. */
static int s_apply(migrate_run_t *self, const migrate_file_t *file)
{
    int rc = -1;
    char *text = NULL;
    size_t length = 0;
    uint64_t rows = 0;
    char checksum[MIGRATE_HASH_SIZE];
    char version[16];
    const char *values[3] = {version, file->name, checksum};
    int64_t started = kc_clock_mono_us();

    snprintf(version, sizeof version, "%d", file->version);
    if (migrate_files_read(self, file, &text, &length) < 0 ||
        migrate_files_checksum(self, text, length, checksum) < 0 ||
        migrate_command(self, "BEGIN", "BEGIN", 0, NULL) < 0 ||
        migrate_script_run(self, text, &rows) < 0 ||
        migrate_command(
            self, "recording it in schema_migration",
            "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)", 3,
            values) < 0 ||
        migrate_command(self, "COMMIT", "COMMIT", 0, NULL) < 0)
        goto out;
    rc = 0;
    if (self->report) {
        char count[32];
        s_format_count(rows, count, sizeof count);
        fprintf(self->report, "applied %s (%s row%s copied) in %lld ms\n", file->name, count,
                rows == 1 ? "" : "s", (long long)((kc_clock_mono_us() - started + 500) / 1000));
        fflush(self->report);
    }
out:
    if (rc < 0 && PQstatus(self->conn) == CONNECTION_OK &&
        PQtransactionStatus(self->conn) != PQTRANS_IDLE)
        PQclear(PQexec(self->conn, "ROLLBACK"));
    free(text);
    return rc;
}

/* Apply the files not in the history, oldest first; *newest ends as the
 * highest version applied. */
static int s_apply_pending(migrate_run_t *self, const migrate_file_t *files, size_t file_count,
                           const migrate_record_t *records, size_t record_count, int *newest)
{
    for (size_t i = 0; i < file_count; i++) {
        bool applied = false;
        for (size_t j = 0; j < record_count && !applied; j++)
            applied = records[j].version == files[i].version;
        if (applied)
            continue;
        char name[MIGRATE_NAME_MAX + 4];
        snprintf(name, sizeof name, "%s.sql", files[i].name);
        self->file = name;
        int rc = s_apply(self, &files[i]);
        self->file = NULL;
        if (rc < 0)
            return -1;
        *newest = files[i].version;
    }
    return 0;
}

int migrate_apply(PGconn *conn, const char *sql_dir, const char *data_dir, FILE *report,
                  kc_error_t *error)
{
    assert(conn && sql_dir && data_dir && error);
    migrate_run_t run = {conn, sql_dir, data_dir, report, error, NULL};
    migrate_file_t *files = NULL;
    migrate_record_t *records = NULL;
    size_t file_count = 0, record_count = 0;
    bool locked = false;
    int newest = 0; /* highest version in the history */
    int rc = -1;

    kc_error_clear(error);
    if (PQstatus(conn) != CONNECTION_OK) {
        migrate_fail_pg(&run, NULL, "the database connection is not open");
        goto out;
    }
    if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
        kc_error_set(error, KC_ERR_DATABASE, NULL, "the database connection is in a transaction");
        goto out;
    }
    if (migrate_files_list(&run, &files, &file_count) < 0 ||
        migrate_command(&run, "taking the migration lock",
                        "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL) < 0)
        goto out;
    locked = true;
    if (s_ensure_history(&run) < 0 || s_load_history(&run, &records, &record_count) < 0 ||
        s_check_history(&run, files, file_count, records, record_count) < 0)
        goto out;
    newest = record_count ? records[record_count - 1].version : 0;
    if (s_apply_pending(&run, files, file_count, records, record_count, &newest) < 0)
        goto out;
    /* Running daemons listen on kc_catalogue and reload the division map
     * and the indicator catalogue, which migrations may have changed. */
    if (migrate_command(&run, "telling the daemons", "NOTIFY kc_catalogue", 0, NULL) < 0)
        goto out;
    if (report) {
        fprintf(report, "schema up to date at version %d\n", newest);
        fflush(report);
    }
    rc = 0;
out:
    /* the session lock outlives transactions: release it on every path,
     * keeping the first error if this fails too */
    if (locked && PQstatus(conn) == CONNECTION_OK) {
        PGresult *res = PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
        if (PQresultStatus(res) != PGRES_TUPLES_OK && rc == 0)
            rc = migrate_fail_pg(&run, res, "releasing the migration lock failed");
        PQclear(res);
    }
    free(files);
    free(records);
    return rc;
}
