/*  migrate: `kcctl migrate`, the schema migration runner.
 *
 *  Every service shares one PostgreSQL database whose schema lives in
 *  deploy/sql/ as numbered plain-SQL files, NNNN_<what>.sql. This runner
 *  brings a database up to the newest file: it applies, in version order,
 *  each file not yet recorded in the table schema_migration, and records it.
 *  It is the only writer of that table.
 *
 *  Bulk data (the national division list, the indicator catalogue) lives in
 *  CSV files under deploy/data/ and is loaded by the SQL files themselves
 *  through one directive, a line of its own:
 *
 *      -- kc:copy <table> FROM <path relative to data_dir>
 *
 *  The file is executed in segments split at these lines; at each directive
 *  the runner streams the CSV file into <table> with
 *  COPY <table> FROM STDIN WITH (FORMAT csv, HEADER true), so the CSV's
 *  columns are the table's, in order, after a header row. To PostgreSQL the
 *  line is an ordinary comment. Any line starting "-- kc:" (after blanks)
 *  must be a valid directive: a misspelt one is an error, not a silently
 *  skipped load.
 */
#ifndef KCCTL_MIGRATE_H
#define KCCTL_MIGRATE_H

#include <stdio.h>

#include <libpq-fe.h>

#include "kc/kc_error.h"

/* Apply every pending migration of `sql_dir` to the database of `conn`.
 *
 * Files. The entries of `sql_dir` named NNNN_<name>.sql (four digits, 0001
 * upwards; <name> of a-z, 0-9 and _) are the migrations, ordered by NNNN;
 * other names are ignored, except that a *.sql file with another name and two
 * files with one version are errors. Data paths of kc:copy directives are
 * relative to `data_dir`, may not be absolute or contain "..", and use only
 * A-Z a-z 0-9 . _ - /; table names must match [a-z_][a-z0-9_]* (at most 63).
 *
 * Order of work. Takes the session advisory lock 7738148884227187060 ("kcmigrat"
 * in ASCII) first, waiting for any other migrator to finish, so two runners
 * never race; creates schema_migration(version int PRIMARY KEY, name text,
 * checksum text, applied_at timestamptz) if missing; checks the history;
 * then applies each pending file in its own transaction (BEGIN, the
 * segments and copies, the INSERT of its schema_migration row, COMMIT), so a
 * file is either wholly applied and recorded or not at all. The lock is
 * released on every path.
 *
 * History checks, before anything is applied (each an error naming the file):
 *  - the checksum of an applied file changed: the checksum is the SHA-256 of
 *    the file's bytes, computed by PostgreSQL's sha256() and kept as 64 lower
 *    case hex digits. Only the SQL file is summed, not the CSV files it loads:
 *    treat a migration's data files as just as immutable;
 *  - the file of an applied version is now named differently;
 *  - an applied version has no file in `sql_dir` (the database is newer
 *    than this tree);
 *  - a pending file's version is lower than the highest applied one.
 *
 * Contract of a migration file: plain SQL for PostgreSQL 15 with no
 * transaction control of its own (a file that ends its transaction is an
 * error, though what it committed stays) and nothing that cannot run in a
 * transaction block; no COPY FROM STDIN or TO STDOUT but through the
 * directive; SET LOCAL rather than SET, since the session is the caller's. A
 * directive line inside a string or a block comment is still a directive.
 *
 * Output. For each file applied, one line to `report`:
 *   "applied 0001_divisions (44,706 rows copied) in 812 ms"
 * and at the end "schema up to date at version N" (N = 0 for an empty
 * history). `report` may be NULL for silence. Notices of the SQL go to the
 * connection's notice processor.
 *
 * Errors. Returns 0, or -1 with `error` filled: KC_ERR_CONFIG for the
 * directory, a file name or the history; KC_ERR_INPUT for the content of a
 * file (a bad directive, a NUL byte, a data file that cannot be read);
 * KC_ERR_DATABASE when PostgreSQL refuses a statement or a copy, and
 * KC_ERR_DB_UNAVAILABLE when the connection is not usable or is lost. The
 * message names the file and, for SQL, the line; the detail carries
 * PostgreSQL's SQLSTATE, message, detail and context, the hint its hint.
 *
 * `conn` must be connected and outside any transaction; it is left so. */
int migrate_apply(PGconn *conn, const char *sql_dir, const char *data_dir, FILE *report,
                  kc_error_t *error);

#endif
