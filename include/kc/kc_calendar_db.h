/*  kc_calendar_db: the working-day calendar kept in a node's database
 *  (deploy/sql/0014_calendar.sql): the versions in force read into a
 *  kc_calendar_t, and a checked year stored as a new version.
 */
#ifndef KC_CALENDAR_DB_H
#define KC_CALENDAR_DB_H

#include <libpq-fe.h>

#include "kc/kc_calendar.h"
#include "kc/kc_error.h"

/* Every year's version in force into `out` (empty first; release it).
 * 0, or -1 with `error` set and `out` empty. */
int kc_calendar_db_read(PGconn *conn, kc_calendar_t *out, kc_error_t *error);

/* Store `year` (checked complete by kc_calendar_parse; its notice and
 * issued set) as the version in force, sent to the node's children.
 * `*version` is the new version, 0 when the same was in force already. */
int kc_calendar_db_store(PGconn *conn, const kc_calendar_year_t *year, const char *loaded_by,
                         int *version, kc_error_t *error);

#endif
