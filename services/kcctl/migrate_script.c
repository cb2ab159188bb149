/*  migrate_script: executes the text of one migration file.
 *
 *  A file is sent in segments cut at its "-- kc:copy" lines; each directive
 *  becomes a COPY FROM STDIN fed from a CSV file with PQputCopyData. The
 *  segments go through the simple query protocol (several statements per
 *  segment), so every result is read and every COPY state is ended, even
 *  after an error, to leave the connection usable for the ROLLBACK that
 *  migrate.c then sends. A line starting "-- kc:" must be a valid
 *  directive; its table and data path are checked here before they come
 *  near SQL or the file system. An error of PostgreSQL is reported at the
 *  line of the file it points to, when it points to one.
 *
 *  The transaction around the file, and the row that records it, are
 *  migrate.c's; the shared types are in migrate_internal.h.
 */
#include "kcctl/migrate_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIGRATE_CHUNK     (64 * 1024) /* bytes per PQputCopyData */
#define MIGRATE_LINE_MAX  1024        /* longest directive line */
#define MIGRATE_TABLE_MAX 63          /* PostgreSQL's NAMEDATALEN - 1 */

typedef struct {
    char table[MIGRATE_TABLE_MAX + 1]; /* validated [a-z_][a-z0-9_]* */
    char path[MIGRATE_LINE_MAX];       /* validated, relative to data_dir */
    int line;                          /* line of the directive in its file */
} migrate_copy_t;

/* ---------------------------------------------------------------------------
 * The kc:copy directive.
 */

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

/* ---------------------------------------------------------------------------
 * SQL segments.
 */

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
        migrate_fail_pg(self, res, "migration '%s' failed at line %d", self->file, line);
    else
        migrate_fail_pg(self, res, "migration '%s' failed in the statements from line %d",
                        self->file, first_line);
}

/* Send the statements of one segment and read every result; the first
 * error wins. A COPY the segment starts itself is ended and refused. */
static int s_run_segment(migrate_run_t *self, const char *segment, int first_line)
{
    if (segment[strspn(segment, " \t\r\n")] == '\0')
        return 0;
    if (!PQsendQuery(self->conn, segment))
        return migrate_fail_pg(self, NULL, "migration '%s' could not be sent from line %d",
                               self->file, first_line);
    bool failed = false;
    PGresult *res;
    while ((res = PQgetResult(self->conn))) {
        ExecStatusType status = PQresultStatus(res);
        if (status == PGRES_COPY_IN) {
            /* the server answers with an error result, reported below */
            if (PQputCopyEnd(self->conn, "kc: use a kc:copy directive, not COPY FROM STDIN") != 1) {
                PQclear(res);
                return failed ? -1
                              : migrate_fail_pg(self, NULL, "migration '%s' failed at line %d",
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

/* ---------------------------------------------------------------------------
 * COPY from the data files.
 */

/* Start COPY <table> FROM STDIN; the table name was validated as a plain
 * identifier and is quoted too, so nothing but it reaches the SQL text. */
static int s_start_copy(migrate_run_t *self, const migrate_copy_t *copy)
{
    char command[MIGRATE_TABLE_MAX * 2 + 96];
    char *quoted = PQescapeIdentifier(self->conn, copy->table, strlen(copy->table));
    if (!quoted)
        return migrate_fail_pg(self, NULL, "migration '%s' failed at line %d", self->file,
                               copy->line);
    int written = snprintf(command, sizeof command,
                           "COPY %s FROM STDIN WITH (FORMAT csv, HEADER true)", quoted);
    PQfreemem(quoted);
    if (written < 0 || (size_t)written >= sizeof command)
        return kc_error_set(self->error, KC_ERR_INPUT, NULL, "table name '%s' is too long",
                            copy->table);
    PGresult *res = PQexec(self->conn, command);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COPY_IN)
        rc = migrate_fail_pg(self, res, "migration '%s' failed copying '%s' into '%s' at line %d",
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
            return migrate_fail_pg(self, NULL, "migration '%s' failed sending '%s' at line %d",
                                   self->file, copy->path, copy->line);
    if (ferror(stream)) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL,
                     "reading data file '%s' of migration '%s' failed", copy->path, self->file);
        kc_error_detail(self->error, "%s", strerror(errno));
        PQputCopyEnd(self->conn, "kc: the data file could not be read");
        return -1;
    }
    if (PQputCopyEnd(self->conn, NULL) != 1)
        return migrate_fail_pg(self, NULL,
                               "migration '%s' failed ending the copy of '%s' at line %d",
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
                migrate_fail_pg(self, NULL, "migration '%s' failed copying '%s' at line %d",
                                self->file, copy->path, copy->line);
            failed = true;
        } else if (status != PGRES_COMMAND_OK && !failed) {
            migrate_fail_pg(self, res, "migration '%s' failed copying '%s' into '%s' at line %d",
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
    if (migrate_files_join(self, path, sizeof path, self->data_dir, copy->path, "") < 0)
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

/* ---------------------------------------------------------------------------
 * The whole file.
 */

/* Execute a whole file: segments between the directive lines, and each
 * directive's copy where it stands. A directive may be indented. `text` is
 * cut in place. */
int migrate_script_run(migrate_run_t *self, char *text, uint64_t *rows)
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
