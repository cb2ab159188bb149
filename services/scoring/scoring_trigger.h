/*  scoring_trigger: score a year by itself once its data is complete.
 *
 *  kc-scoring follows the node's events; a ReportsSubmitted or
 *  RatingsSubmitted event marks its years as changed. A changed year of the
 *  node's own scope is complete when, for every input of the methodology
 *  in force, at least scoring.auto_coverage % of the scope's counties have
 *  a value (rated inputs: enough ratings). Then one job is queued under the
 *  key auto:<scope>:<year>:<methodology>:<policy>, naming the methodology
 *  and reward policy in force for that year, so the year is scored once by
 *  itself however many processes notice; later corrections are rescored on
 *  request. Storing a methodology or a policy checks every year again: a
 *  year whose rules in force changed is queued again under its new rules,
 *  unless the scope's result of that year is published (it is settled).
 *  At start every year that has values is checked once, so a year
 *  completed while no kc-scoring ran is not forgotten.
 */
#ifndef SCORING_SCORING_TRIGGER_H
#define SCORING_SCORING_TRIGGER_H

#include <libpq-fe.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"

typedef struct scoring_trigger_t scoring_trigger_t;

/* NULL with `error` when the event stream cannot be joined. With
 * auto_coverage 0 or no node division, the trigger does nothing. */
scoring_trigger_t *scoring_trigger_new(const kc_config_t *config, PGconn *db, kc_error_t *error);

void scoring_trigger_destroy(scoring_trigger_t **self);

/* Read the events that arrived and queue the years that became complete. */
void scoring_trigger_check(scoring_trigger_t *self, PGconn *db);

/* Check every year with values again (new rules were loaded). */
void scoring_trigger_mark_all(scoring_trigger_t *self, PGconn *db);

#endif
