/*  scoring_db: what kc-scoring and kcctl read from and write to PostgreSQL
 *  for a scoring run — the stored rules, the input snapshot of a scope and
 *  year, and the run with its per-county results, awards and events.
 *
 *  Every statement is parameterised. Writers run inside the caller's
 *  transaction, so a job's run, results, events and completion commit
 *  together or not at all.
 */
#ifndef SCORING_SCORING_DB_H
#define SCORING_SCORING_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "kc/kc_error.h"
#include "scoring/methodology.h"
#include "scoring/rewards.h"
#include "scoring/run.h"
#include "scoring/snapshot.h"

/* Parse the stored methodology and policy named by code (either may be
 * NULL to skip it); the SHA-256 of each text goes to *_sha. */
int scoring_db_load_rules(PGconn *conn, const char *methodology_code, sc_methodology_t *m,
                          char m_sha[65], const char *policy_code, sc_reward_policy_t *policy,
                          char policy_sha[65], kc_error_t *error);

/* Build the snapshot of `scope_code` for `year` (for a city, of its whole
 * province: snapshot_evaluation_prefix): every year from the first year of
 * the methodology's framework (or its own first year, if earlier) up to
 * `year` that has any value in the scope,
 * the counties of each year (division map of that year, development zones
 * left out when the methodology says so), their values in force and, for
 * rated inputs, the median of the ratings in force when there are enough. */
int scoring_db_read_snapshot(PGconn *conn, const sc_methodology_t *m, const char *scope_code,
                             int year, sc_snapshot_t *out, kc_error_t *error);

/* Write a computed run for `job_id` (results, awards, the two events) and
 * mark the job done; inside the caller's transaction. */
int scoring_db_store_run(PGconn *conn, int64_t job_id, const sc_run_t *run,
                         const char *snapshot_text, const char *worker, int elapsed_ms,
                         const char *node, int64_t *run_id, kc_error_t *error);

#endif
