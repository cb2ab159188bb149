/*  migrate_internal: what the steps of `kcctl migrate` share, private to them.
 *
 *  migrate_apply (migrate.h) is written in three files: migrate.c runs the
 *  whole (the lock, the history table and its checks, one transaction per
 *  pending file) and holds the error and query helpers every step uses;
 *  migrate_files.c finds, names, reads and checksums the NNNN_<name>.sql
 *  files; migrate_script.c executes the text of one file, its SQL segments
 *  and the COPY of each kc:copy directive. A migrate_run_t carries the
 *  connection, the directories, the report stream and the error through all
 *  of them. Nothing outside services/kcctl/migrate*.c includes this header.
 */
#ifndef KCCTL_MIGRATE_INTERNAL_H
#define KCCTL_MIGRATE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "kc/kc_error.h"

#define MIGRATE_NAME_MAX  128 /* "0001_divisions", without ".sql" */
#define MIGRATE_HASH_SIZE 65  /* 64 hex digits of SHA-256 and the NUL */

typedef struct {
    int version;                 /* NNNN of the file name */
    char name[MIGRATE_NAME_MAX]; /* file name without ".sql" */
} migrate_file_t;

typedef struct {
    PGconn *conn;         /* the caller's connection */
    const char *sql_dir;  /* where the NNNN_<name>.sql files are */
    const char *data_dir; /* what kc:copy paths are relative to */
    FILE *report;         /* progress lines, or NULL */
    kc_error_t *error;    /* the caller's error */
    const char *file;     /* name of the file being applied, for messages */
} migrate_run_t;

/* ---------------------------------------------------------------------------
 * Errors and queries, in migrate.c.
 */

/* Set the error from a failed result, or from the connection when `res` is
 * NULL: the message is ours, the detail PostgreSQL's SQLSTATE, message,
 * detail and context, the hint PostgreSQL's hint. A lost connection gives
 * KC_ERR_DB_UNAVAILABLE, anything else KC_ERR_DATABASE. Returns -1. */
int migrate_fail_pg(migrate_run_t *self, const PGresult *res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Run one statement with text parameters; returns its result (the caller
 * clears it) or NULL with the error set, saying `what` failed (and in which
 * file, while self->file is set). */
PGresult *migrate_query(migrate_run_t *self, const char *what, const char *sql, int count,
                        const char *const *values);

/* migrate_query for statements whose result is not needed; 0 or -1. */
int migrate_command(migrate_run_t *self, const char *what, const char *sql, int count,
                    const char *const *values);

/* ---------------------------------------------------------------------------
 * The files, in migrate_files.c.
 */

/* The migrations of sql_dir, sorted by version; *files (NULL and *count 0
 * on entry) is the caller's to free on every path. Other files are
 * ignored, but not a misnamed *.sql, nor two files with one version
 * (KC_ERR_CONFIG). */
int migrate_files_list(migrate_run_t *self, migrate_file_t **files, size_t *count);

/* The whole of a migration file, NUL-terminated; *text is the caller's to
 * free. KC_ERR_INPUT when it cannot be read, is over 16 MiB or holds a NUL
 * byte. */
int migrate_files_read(migrate_run_t *self, const migrate_file_t *file, char **text,
                       size_t *length);

/* SHA-256 of the bytes, as 64 lower-case hex digits, computed by the server. */
int migrate_files_checksum(migrate_run_t *self, const char *text, size_t length,
                           char out[MIGRATE_HASH_SIZE]);

/* "<dir>/<name><suffix>" into out; KC_ERR_CONFIG if it does not fit. */
int migrate_files_join(migrate_run_t *self, char *out, size_t size, const char *dir,
                       const char *name, const char *suffix);

/* ---------------------------------------------------------------------------
 * The text of one file, in migrate_script.c.
 */

/* Execute a whole file inside the transaction the caller opened: the
 * segments between the kc:copy directive lines, and each directive's copy
 * where it stands, adding the rows copied to *rows. `text` is cut in place.
 * self->file names the file in messages. */
int migrate_script_run(migrate_run_t *self, char *text, uint64_t *rows);

#endif
