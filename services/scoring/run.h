/*  run: everything one scoring run computes from one snapshot.
 *
 *  Every year of the snapshot is scored under the run's methodology (so
 *  year t is compared with year t-1 under the same version, whatever was
 *  published then), then for the year scored: the change since last year
 *  split into indicators, the gap to the next class, the rewards from the
 *  class history, and optionally the Monte Carlo robustness. The canonical
 *  JSON of the result is the record that is stored and published; its
 *  SHA-256 is the output hash.
 *
 *  What is scored is the evaluation: every county with data of the
 *  provinces the scope lies in (a city's run scores its whole province).
 *  What is shown is the scope: `years` and `results` hold only the
 *  scope's counties, `rank` ranked among them, `rank_in_province` the rank
 *  in the province's evaluation, which is the rank rewards read, so a city
 *  run and the province's run pay a county the same. A county without a
 *  single value in a year is not evaluated (未参评) that year: never
 *  scored, classed or ranked, listed in `not_evaluated` for the year scored.
 */
#ifndef SCORING_RUN_H
#define SCORING_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "scoring/engine.h"
#include "scoring/methodology.h"
#include "scoring/montecarlo.h"
#include "scoring/rewards.h"
#include "scoring/snapshot.h"

typedef struct {
    const sc_methodology_t *m;        /* in: the rules */
    const sc_reward_policy_t *policy; /* in: the reward rules */
    const sc_snapshot_t *snapshot;    /* in: the input */
    sc_mc_params_t mc;                /* in: draws == 0 skips the Monte Carlo */

    size_t n_years;                    /* out: == snapshot->n_years */
    sc_year_input_t *years;            /* out: per snapshot year, the scope's evaluated counties */
    sc_year_result_t *results;         /* out: their results, parallel to years */
    sc_year_input_t *evaluation_years; /* out: per year, every evaluated county scored */
    sc_year_result_t *evaluation_results; /* out: their results */
    size_t n_scope_counties;              /* out: counties of the scope in the year scored */
    size_t n_not_evaluated;               /* out: of them, those without any value that year */
    const sc_county_t **not_evaluated;    /* out: those counties, into the snapshot, code order */
    double coverage;                      /* out: evaluated share of n_scope_counties (1 if 0) */
    size_t n_class_flagged;               /* out: counties the other total_from would class
                                             differently (class_other != klass) */
    const sc_year_input_t *input;         /* out: the year scored (last of the snapshot) */
    const sc_year_result_t *result;       /* out: its result */
    const sc_year_input_t *prev_input;    /* out: the year before, NULL if none */
    const sc_year_result_t *prev_result;
    sc_change_t *changes;       /* out: per county of the year scored */
    sc_gap_t *gaps;             /* out: per county */
    sc_county_awards_t *awards; /* out: per county */
    sc_mc_county_t *robustness; /* out: per county, NULL without Monte Carlo */
    char *input_text;           /* out: the snapshot's canonical text, stored with the run */
    size_t input_size;
    char input_sha256[65]; /* out: hash of input_text */
    char *json;            /* out: canonical JSON of the result, NUL-terminated */
    size_t json_size;
    char output_sha256[65]; /* out: hash of json */
} sc_run_t;

/* Compute everything; the `in` fields must be set. Fails when no county
 * of the scope has data in the year scored. Coverage is only measured
 * here: refusing a run below the methodology's min_coverage is the
 * caller's (run_check_coverage), since a stored run is recomputed later. */
int run_compute(sc_run_t *self, kc_error_t *error);

/* 0 when the run's coverage reaches the methodology's min_coverage or
 * `force` is set; else -1 with conflict.low_coverage naming the coverage
 * and the first counties left out. */
int run_check_coverage(const sc_run_t *self, bool force, kc_error_t *error);

void run_release(sc_run_t *self);

/* Counties evaluated in the province of county `code` in the year scored
 * (what its rank_in_province is out of); the scope's when the run has no
 * evaluation arrays (a hand-built run). */
size_t run_province_size(const sc_run_t *self, const char *code);

/* Index of a county of the year scored by code, -1 if absent. */
int run_county_index(const sc_run_t *self, const char *code);

#endif
