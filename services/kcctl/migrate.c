/*  migrate: brings the shared database up to the newest deploy/sql/ file.
 *
 *  A run lists the NNNN_<name>.sql files, takes a session advisory lock so
 *  that a second migrator waits instead of racing, makes sure the history
 *  table schema_migration exists, reads it, and checks it against the files
 *  (an applied file must be unchanged, present and keep its name; nothing
 *  new may slip in below what is applied). Only then does it apply the
 *  pending files, oldest first, each in one transaction with the row that
 *  records it. A migration_run_t carries the connection, the directories,
 *  the report stream and the error through the steps.
 *
 *  A file is sent in segments cut at its "-- kc:copy" lines; each directive
 *  becomes a COPY FROM STDIN fed from a CSV file with PQputCopyData. The
 *  segments go through the simple query protocol (several statements per
 *  segment), so every result is read and every COPY state is ended, even
 *  after an error, to leave the connection usable for the ROLLBACK.
 *
 *  The checksum is PostgreSQL's sha256() of the file's bytes, asked of the
 *  server so the runner needs no hash code of its own.
 */
#include "kcctl/migrate.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "kc/kc_clock.h"

#define MIGRATE_LOCK_KEY  "7738148884227187060" /* "kcmigrat" in ASCII, as a bigint */
#define MIGRATE_NAME_MAX  128                   /* "0001_divisions", without ".sql" */
#define MIGRATE_FILE_MAX  (16L * 1024 * 1024)   /* bigger belongs in a CSV file */
#define MIGRATE_CHUNK     (64 * 1024)           /* bytes per PQputCopyData */
#define MIGRATE_LINE_MAX  1024                  /* longest directive line */
#define MIGRATE_TABLE_MAX 63                    /* PostgreSQL's NAMEDATALEN - 1 */
#define MIGRATE_HASH_SIZE 65                    /* 64 hex digits of SHA-256 and the NUL */
#define MIGRATE_BYTEA_OID 17                    /* pg_type oid of bytea */

typedef struct {
    int version;                 /* NNNN of the file name */
    char name[MIGRATE_NAME_MAX]; /* file name without ".sql" */
} migrate_file_t;

typedef struct {
    int version;                      /* schema_migration.version */
    char name[MIGRATE_NAME_MAX];      /* schema_migration.name */
    char checksum[MIGRATE_HASH_SIZE]; /* schema_migration.checksum */
} migrate_record_t;

typedef struct {
    char table[MIGRATE_TABLE_MAX + 1]; /* validated [a-z_][a-z0-9_]* */
    char path[MIGRATE_LINE_MAX];       /* validated, relative to data_dir */
    int line;                          /* line of the directive in its file */
} migrate_copy_t;

typedef struct {
    PGconn *conn;         /* the caller's connection */
    const char *sql_dir;  /* where the NNNN_<name>.sql files are */
    const char *data_dir; /* what kc:copy paths are relative to */
    FILE *report;         /* progress lines, or NULL */
    kc_error_t *error;    /* the caller's error */
    const char *file;     /* name of the file being applied, for messages */
} migrate_run_t;

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

/* Set the error from a failed result, or from the connection when `res` is
 * NULL: the message is ours, the detail PostgreSQL's SQLSTATE, message,
 * detail and context, the hint PostgreSQL's hint. Returns -1. */
static int s_fail_pg(migrate_run_t *self, const PGresult *res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_fail_pg(migrate_run_t *self, const PGresult *res, const char *fmt, ...)
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
static PGresult *s_query(migrate_run_t *self, const char *what, const char *sql, int count,
                         const char *const *values)
{
    PGresult *res = PQexecParams(self->conn, sql, count, NULL, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return res;
    if (self->file)
        s_fail_pg(self, res, "migration '%s': %s failed", self->file, what);
    else
        s_fail_pg(self, res, "%s failed", what);
    PQclear(res);
    return NULL;
}

/* s_query for statements whose result is not needed. */
static int s_command(migrate_run_t *self, const char *what, const char *sql, int count,
                     const char *const *values)
{
    PGresult *res = s_query(self, what, sql, count, values);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* Grow an array by doubling; out of memory is not an error kcctl can answer. */
static void *s_grow(void *items, size_t *capacity, size_t item_size)
{
    size_t wanted = *capacity ? *capacity * 2 : 16;
    void *grown = realloc(items, wanted * item_size);
    if (!grown)
        abort();
    *capacity = wanted;
    return grown;
}

/* "<dir>/<name><suffix>" into out; an error if it does not fit. */
static int s_join(migrate_run_t *self, char *out, size_t size, const char *dir, const char *name,
                  const char *suffix)
{
    int written = snprintf(out, size, "%s/%s%s", dir, name, suffix);
    if (written < 0 || (size_t)written >= size)
        return kc_error_set(self->error, KC_ERR_CONFIG, NULL, "path '%s/%s%s' is too long", dir,
                            name, suffix);
    return 0;
}

/* Parse "NNNN_<name>.sql" (version 0001..9999, name of a-z 0-9 _). */
static int s_parse_file_name(const char *entry, migrate_file_t *file)
{
    size_t length = strlen(entry);
    if (length < 10 || length - 4 >= MIGRATE_NAME_MAX || strcmp(entry + length - 4, ".sql") != 0)
        return -1;
    int version = 0;
    for (size_t i = 0; i < 4; i++) {
        if (entry[i] < '0' || entry[i] > '9')
            return -1;
        version = version * 10 + (entry[i] - '0');
    }
    if (version == 0 || entry[4] != '_')
        return -1;
    for (size_t i = 5; i < length - 4; i++) {
        char c = entry[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return -1;
    }
    file->version = version;
    memcpy(file->name, entry, length - 4);
    file->name[length - 4] = '\0';
    return 0;
}

static int s_compare_files(const void *left, const void *right)
{
    const migrate_file_t *a = left, *b = right;
    if (a->version != b->version)
        return (a->version > b->version) - (a->version < b->version);
    return strcmp(a->name, b->name); /* so a clash is reported the same way every time */
}

/* The migrations of sql_dir, sorted by version; *files is the caller's to
 * free on every path. Other files are ignored, but not a misnamed *.sql. */
static int s_list_files(migrate_run_t *self, migrate_file_t **files, size_t *count)
{
    int rc = -1;
    size_t capacity = 0;
    DIR *dir = opendir(self->sql_dir);
    if (!dir) {
        kc_error_set(self->error, KC_ERR_CONFIG, NULL, "cannot open migration directory '%s'",
                     self->sql_dir);
        kc_error_detail(self->error, "%s", strerror(errno));
        return -1;
    }
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        const char *name = entry->d_name;
        size_t length = strlen(name);
        if (name[0] == '.' || length < 4 || strcmp(name + length - 4, ".sql") != 0)
            continue;
        if (*count == capacity)
            *files = s_grow(*files, &capacity, sizeof **files);
        if (s_parse_file_name(name, &(*files)[*count]) < 0) {
            kc_error_set(self->error, KC_ERR_CONFIG, NULL,
                         "migration file name '%s' is not NNNN_name.sql", name);
            kc_error_hint(self->error, "four digits from 0001, '_', then a-z, 0-9 and '_'");
            goto out;
        }
        (*count)++;
    }
    if (*count > 1)
        qsort(*files, *count, sizeof **files, s_compare_files);
    for (size_t i = 1; i < *count; i++)
        if ((*files)[i].version == (*files)[i - 1].version) {
            kc_error_set(self->error, KC_ERR_CONFIG, NULL,
                         "migrations '%s.sql' and '%s.sql' share version %d", (*files)[i - 1].name,
                         (*files)[i].name, (*files)[i].version);
            goto out;
        }
    rc = 0;
out:
    closedir(dir);
    return rc;
}

/* Create schema_migration unless it exists. Asked first rather than with
 * IF NOT EXISTS, which would print a notice on every run. */
static int s_ensure_history(migrate_run_t *self)
{
    PGresult *res = s_query(self, "looking up table 'schema_migration'",
                            "SELECT to_regclass('schema_migration') IS NOT NULL", 0, NULL);
    if (!res)
        return -1;
    bool exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (exists)
        return 0;
    return s_command(self, "creating table 'schema_migration'", s_create_history, 0, NULL);
}

/* The rows of schema_migration by version; *records is the caller's to free. */
static int s_load_history(migrate_run_t *self, migrate_record_t **records, size_t *count)
{
    PGresult *res =
        s_query(self, "reading table 'schema_migration'",
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

/* The whole of a migration file, NUL-terminated; *text is the caller's to free. */
static int s_read_sql(migrate_run_t *self, const migrate_file_t *file, char **text, size_t *length)
{
    int rc = -1;
    char path[PATH_MAX];
    FILE *stream = NULL;
    struct stat info;

    if (s_join(self, path, sizeof path, self->sql_dir, file->name, ".sql") < 0)
        goto out;
    stream = fopen(path, "rb");
    if (!stream || fstat(fileno(stream), &info) != 0 || !S_ISREG(info.st_mode)) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL, "cannot open migration '%s.sql'", file->name);
        kc_error_detail(self->error, "%s: %s", path,
                        stream ? "not a regular file" : strerror(errno));
        goto out;
    }
    if (info.st_size > MIGRATE_FILE_MAX) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL, "migration '%s.sql' is larger than 16 MiB",
                     file->name);
        kc_error_hint(self->error, "load bulk data from a CSV file with a kc:copy directive");
        goto out;
    }
    *length = (size_t)info.st_size;
    *text = malloc(*length + 1);
    if (!*text)
        abort();
    if (fread(*text, 1, *length, stream) != *length) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL, "cannot read migration '%s.sql'", file->name);
        kc_error_detail(self->error, "%s: %s", path,
                        ferror(stream) ? strerror(errno) : "short read");
        goto out;
    }
    (*text)[*length] = '\0';
    if (memchr(*text, '\0', *length)) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL, "migration '%s.sql' contains a NUL byte",
                     file->name);
        goto out;
    }
    rc = 0;
out:
    if (stream)
        fclose(stream);
    return rc;
}

/* SHA-256 of the bytes, as 64 lower-case hex digits, computed by the server. */
static int s_checksum(migrate_run_t *self, const char *text, size_t length,
                      char out[MIGRATE_HASH_SIZE])
{
    const Oid types[1] = {MIGRATE_BYTEA_OID};
    const char *const values[1] = {text};
    const int lengths[1] = {(int)length};
    const int formats[1] = {1}; /* binary: the bytes as they are, no escaping */
    PGresult *res = PQexecParams(self->conn, "SELECT encode(sha256($1), 'hex')", 1, types, values,
                                 lengths, formats, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        s_fail_pg(self, res, "checksum of migration '%s' failed", self->file);
        PQclear(res);
        return -1;
    }
    snprintf(out, MIGRATE_HASH_SIZE, "%s", PQgetvalue(res, 0, 0));
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

    if (s_read_sql(self, file, &text, &length) < 0 || s_checksum(self, text, length, checksum) < 0)
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

static bool s_is_table_name(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length > MIGRATE_TABLE_MAX || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* Relative, no ".." component, only A-Z a-z 0-9 . _ - / */
static bool s_is_data_path(const char *path)
{
    if (path[0] == '\0' || path[0] == '/')
        return false;
    for (const char *c = path; *c; c++) {
        bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                     (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-' || *c == '/';
        if (!plain)
            return false;
    }
    for (const char *part = path; part; part = strchr(part, '/') ? strchr(part, '/') + 1 : NULL)
        if (strncmp(part, "..", 2) == 0 && (part[2] == '/' || part[2] == '\0'))
            return false;
    return true;
}

/* Parse "-- kc:copy <table> FROM <path>" (the line is `length` bytes at `line`). */
static int s_parse_directive(migrate_run_t *self, const char *line, size_t length, int number,
                             migrate_copy_t *copy)
{
    char buffer[MIGRATE_LINE_MAX];
    char *words[5];
    int count = 0;
    char *save = NULL;

    if (length >= sizeof buffer) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL,
                     "kc:copy directive at line %d of migration '%s' is longer than %d bytes",
                     number, self->file, MIGRATE_LINE_MAX - 1);
        return -1;
    }
    memcpy(buffer, line, length);
    buffer[length] = '\0';
    for (char *word = strtok_r(buffer + 3, " \t\r", &save); word && count < 5;
         word = strtok_r(NULL, " \t\r", &save))
        words[count++] = word;
    if (count != 4 || strcmp(words[0], "kc:copy") != 0 || strcasecmp(words[2], "FROM") != 0) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL,
                     "line %d of migration '%s' is not a valid kc:copy directive", number,
                     self->file);
        kc_error_hint(self->error,
                      "write '-- kc:copy <table> FROM <path under the data directory>'");
        return -1;
    }
    if (!s_is_table_name(words[1])) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL,
                     "table '%s' at line %d of migration '%s' is not a plain name", words[1],
                     number, self->file);
        kc_error_hint(self->error, "use [a-z_][a-z0-9_]*, at most 63 characters, no schema");
        return -1;
    }
    if (!s_is_data_path(words[3]) || strlen(words[3]) >= sizeof copy->path) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL,
                     "data path '%s' at line %d of migration '%s' is not allowed", words[3], number,
                     self->file);
        kc_error_hint(self->error,
                      "relative to the data directory, no '..', only A-Z a-z 0-9 . _ - /");
        return -1;
    }
    snprintf(copy->table, sizeof copy->table, "%s", words[1]);
    snprintf(copy->path, sizeof copy->path, "%s", words[3]);
    copy->line = number;
    return 0;
}

/* Line of the file where the error of `res` points, from the character
 * position PostgreSQL gives within the segment that starts at `first_line`;
 * 0 when it gives none (errors raised inside functions and DO blocks). */
static int s_error_line(const char *segment, int first_line, const PGresult *res)
{
    const char *position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    if (!position)
        return 0;
    long characters = strtol(position, NULL, 10);
    int line = first_line;
    for (const char *c = segment; *c && characters > 1; c++) {
        if (((unsigned char)*c & 0xC0) != 0x80) /* not a UTF-8 continuation byte */
            characters--;
        if (*c == '\n')
            line++;
    }
    return line;
}

/* Report the error of a statement of the segment, at its line if known. */
static void s_fail_statement(migrate_run_t *self, const PGresult *res, const char *segment,
                             int first_line)
{
    int line = s_error_line(segment, first_line, res);
    if (line > 0)
        s_fail_pg(self, res, "migration '%s' failed at line %d", self->file, line);
    else
        s_fail_pg(self, res, "migration '%s' failed in the statements from line %d", self->file,
                  first_line);
}

/* Send the statements of one segment and read every result; the first
 * error wins. A COPY the segment starts itself is ended and refused. */
static int s_run_segment(migrate_run_t *self, const char *segment, int first_line)
{
    if (segment[strspn(segment, " \t\r\n")] == '\0')
        return 0;
    if (!PQsendQuery(self->conn, segment))
        return s_fail_pg(self, NULL, "migration '%s' could not be sent from line %d", self->file,
                         first_line);
    bool failed = false;
    PGresult *res;
    while ((res = PQgetResult(self->conn))) {
        ExecStatusType status = PQresultStatus(res);
        if (status == PGRES_COPY_IN) {
            /* the server answers with an error result, reported below */
            if (PQputCopyEnd(self->conn, "kc: use a kc:copy directive, not COPY FROM STDIN") != 1) {
                PQclear(res);
                return failed ? -1
                              : s_fail_pg(self, NULL, "migration '%s' failed at line %d",
                                          self->file, first_line);
            }
        } else if (status == PGRES_COPY_OUT) {
            char *row;
            while (PQgetCopyData(self->conn, &row, 0) > 0)
                PQfreemem(row);
            if (!failed)
                kc_error_set(self->error, KC_ERR_INPUT, NULL,
                             "migration '%s' copies to STDOUT in the segment from line %d",
                             self->file, first_line);
            failed = true;
        } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
                   status != PGRES_EMPTY_QUERY && !failed) {
            s_fail_statement(self, res, segment, first_line);
            failed = true;
        }
        PQclear(res);
    }
    if (!failed && PQtransactionStatus(self->conn) != PQTRANS_INTRANS) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL,
                     "migration '%s' ends its transaction in the segment from line %d", self->file,
                     first_line);
        kc_error_hint(self->error, "remove BEGIN, COMMIT and ROLLBACK: each file runs in one "
                                   "transaction of the runner");
        failed = true;
    }
    return failed ? -1 : 0;
}

/* Start COPY <table> FROM STDIN; the table name was validated as a plain
 * identifier and is quoted too, so nothing but it reaches the SQL text. */
static int s_start_copy(migrate_run_t *self, const migrate_copy_t *copy)
{
    char command[MIGRATE_TABLE_MAX * 2 + 96];
    char *quoted = PQescapeIdentifier(self->conn, copy->table, strlen(copy->table));
    if (!quoted)
        return s_fail_pg(self, NULL, "migration '%s' failed at line %d", self->file, copy->line);
    int written = snprintf(command, sizeof command,
                           "COPY %s FROM STDIN WITH (FORMAT csv, HEADER true)", quoted);
    PQfreemem(quoted);
    if (written < 0 || (size_t)written >= sizeof command)
        return kc_error_set(self->error, KC_ERR_INPUT, NULL, "table name '%s' is too long",
                            copy->table);
    PGresult *res = PQexec(self->conn, command);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COPY_IN)
        rc = s_fail_pg(self, res, "migration '%s' failed copying '%s' into '%s' at line %d",
                       self->file, copy->path, copy->table, copy->line);
    PQclear(res);
    return rc;
}

/* Stream the file to the COPY in progress and end it, with an error message
 * (which makes the server abort the COPY) if the file could not be read. */
static int s_send_file(migrate_run_t *self, FILE *stream, const migrate_copy_t *copy)
{
    char chunk[MIGRATE_CHUNK];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, stream)) > 0)
        if (PQputCopyData(self->conn, chunk, (int)got) != 1)
            return s_fail_pg(self, NULL, "migration '%s' failed sending '%s' at line %d",
                             self->file, copy->path, copy->line);
    if (ferror(stream)) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL,
                     "reading data file '%s' of migration '%s' failed", copy->path, self->file);
        kc_error_detail(self->error, "%s", strerror(errno));
        PQputCopyEnd(self->conn, "kc: the data file could not be read");
        return -1;
    }
    if (PQputCopyEnd(self->conn, NULL) != 1)
        return s_fail_pg(self, NULL, "migration '%s' failed ending the copy of '%s' at line %d",
                         self->file, copy->path, copy->line);
    return 0;
}

/* Read the results of an ended COPY; adds the rows copied. `failed` says an
 * error is already set: it is kept, the server's echo of it dropped. */
static int s_finish_copy(migrate_run_t *self, const migrate_copy_t *copy, bool failed,
                         uint64_t *rows)
{
    PGresult *res;
    while ((res = PQgetResult(self->conn))) {
        ExecStatusType status = PQresultStatus(res);
        bool stuck = false;
        if (status == PGRES_COMMAND_OK && !failed) {
            *rows += strtoull(PQcmdTuples(res), NULL, 10);
        } else if (status == PGRES_COPY_IN) {
            /* sending failed half-way: end the COPY or give up on the connection */
            stuck = PQputCopyEnd(self->conn, "kc: copy abandoned") != 1;
            if (!failed)
                s_fail_pg(self, NULL, "migration '%s' failed copying '%s' at line %d", self->file,
                          copy->path, copy->line);
            failed = true;
        } else if (status != PGRES_COMMAND_OK && !failed) {
            s_fail_pg(self, res, "migration '%s' failed copying '%s' into '%s' at line %d",
                      self->file, copy->path, copy->table, copy->line);
            failed = true;
        }
        PQclear(res);
        if (stuck)
            break;
    }
    return failed ? -1 : 0;
}

/* Carry out one directive: the CSV file at data_dir/<path> into <table>. */
static int s_copy(migrate_run_t *self, const migrate_copy_t *copy, uint64_t *rows)
{
    char path[PATH_MAX];
    if (s_join(self, path, sizeof path, self->data_dir, copy->path, "") < 0)
        return -1;
    FILE *stream = fopen(path, "rb");
    if (!stream) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL,
                     "cannot open data file '%s' of migration '%s' (line %d)", copy->path,
                     self->file, copy->line);
        kc_error_detail(self->error, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = s_start_copy(self, copy);
    if (rc == 0) {
        bool failed = s_send_file(self, stream, copy) < 0;
        rc = s_finish_copy(self, copy, failed, rows);
    }
    fclose(stream);
    return rc;
}

/* Execute a whole file: segments between the directive lines, and each
 * directive's copy where it stands. A directive may be indented. `text` is
 * cut in place. */
static int s_run_script(migrate_run_t *self, char *text, uint64_t *rows)
{
    char *segment = text;
    int segment_line = 1;
    int number = 1;
    for (char *line = text; *line; number++) {
        char *end = strchr(line, '\n');
        char *next = end ? end + 1 : line + strlen(line);
        char *start = line + strspn(line, " \t");
        if (strncmp(start, "-- kc:", 6) == 0) {
            migrate_copy_t copy;
            size_t length = (size_t)((end ? end : next) - start);
            if (s_parse_directive(self, start, length, number, &copy) < 0)
                return -1;
            *line = '\0'; /* the segment before the directive ends here */
            if (s_run_segment(self, segment, segment_line) < 0 || s_copy(self, &copy, rows) < 0)
                return -1;
            segment = next;
            segment_line = number + 1;
        }
        line = next;
    }
    return s_run_segment(self, segment, segment_line);
}

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
    if (s_read_sql(self, file, &text, &length) < 0 ||
        s_checksum(self, text, length, checksum) < 0 ||
        s_command(self, "BEGIN", "BEGIN", 0, NULL) < 0 || s_run_script(self, text, &rows) < 0 ||
        s_command(self, "recording it in schema_migration",
                  "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)", 3,
                  values) < 0 ||
        s_command(self, "COMMIT", "COMMIT", 0, NULL) < 0)
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
        s_fail_pg(&run, NULL, "the database connection is not open");
        goto out;
    }
    if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
        kc_error_set(error, KC_ERR_DATABASE, NULL, "the database connection is in a transaction");
        goto out;
    }
    if (s_list_files(&run, &files, &file_count) < 0 ||
        s_command(&run, "taking the migration lock",
                  "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL) < 0)
        goto out;
    locked = true;
    if (s_ensure_history(&run) < 0 || s_load_history(&run, &records, &record_count) < 0 ||
        s_check_history(&run, files, file_count, records, record_count) < 0)
        goto out;
    newest = record_count ? records[record_count - 1].version : 0;
    if (s_apply_pending(&run, files, file_count, records, record_count, &newest) < 0)
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
            rc = s_fail_pg(&run, res, "releasing the migration lock failed");
        PQclear(res);
    }
    free(files);
    free(records);
    return rc;
}
