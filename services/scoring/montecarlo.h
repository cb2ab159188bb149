/*  montecarlo: how robust each county's rank and class are to the weights.
 *
 *  The points of the methodology are one choice among many defensible ones.
 *  Each draw samples a weight vector from a Dirichlet distribution centred
 *  on the nominal weights (Gamma variates normalised: uniform sampling on
 *  the simplex when concentration is 1 per weight; not uniform-then-
 *  renormalise, which is biased away from extreme weightings), keeps the
 *  normalised indicator values fixed, recomputes every total, class and
 *  rank, and counts. Seeded, so a run is reproducible to the byte.
 */
#ifndef SCORING_MONTECARLO_H
#define SCORING_MONTECARLO_H

#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"
#include "scoring/methodology.h"

/* Dirichlet concentration of kechuang's runs: a 7-point item then varies
 * with a standard deviation of about 2.5 points, a 5-point one of 2.2. */
#define SC_MC_CONCENTRATION_DEFAULT 100.0

typedef struct {
    uint64_t seed;        /* same seed, same draws */
    size_t draws;         /* 10,000 by default */
    double concentration; /* Dirichlet alpha_i = concentration * w_i / sum(w); 100 by default */
} sc_mc_params_t;

typedef struct {
    int rank_p5; /* 5th percentile of the rank (best plausible) */
    int rank_p50;
    int rank_p95;      /* 95th percentile (worst plausible) */
    double p_class[3]; /* probability of A, B, C */
} sc_mc_county_t;

/* `normalised` is n_counties x n_indicators, row major, values in [0, 1];
 * `points_centi` the nominal weights (sum 10000). Thresholds and tie rule
 * come from `m`. out has n_counties entries. Single-threaded. */
int montecarlo_run(const sc_methodology_t *m, const double *normalised, size_t n_counties,
                   const sc_mc_params_t *params, sc_mc_county_t *out, kc_error_t *error);

#endif
