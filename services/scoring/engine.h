/*  engine: one year's scores, classes and ranks for the counties of a scope.
 *
 *  Pure arithmetic over plain arrays: no database, no sockets, no clock, so
 *  the daemon, kcctl, the benchmarks and the tests all run the very same
 *  code and the same inputs give byte-identical outputs. Evaluation order
 *  is fixed (counties in input order, indicators in methodology order) and
 *  only IEEE double arithmetic without fused or reordered operations is
 *  used, so results do not depend on the machine.
 *
 *  Steps for each county (composite-indicators.md §3): submitted values,
 *  missing values carried forward from last year where the indicator's rule
 *  allows (flagged), derived indicators computed by their formulas,
 *  year-on-year jumps flagged, each indicator normalised to [0, 1] and
 *  turned into points; the total and the primary subtotals summed from the
 *  exact (unrounded) points and rounded once, half up, to centipoints, or
 *  (total_from = rounded_parts) summed from the points rounded each; the
 *  class from the total, and the class the other rule would give beside
 *  it; ranks in the scope, in the county's province and in its city under
 *  the tie rule.
 */
#ifndef SCORING_ENGINE_H
#define SCORING_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"
#include "scoring/methodology.h"

#define SC_COUNTY_CODE_MAX 7  /* six digits + NUL */
#define SC_NAME_MAX        64 /* UTF-8 */

/* Flags on one indicator of one county (bit set). */
enum {
    SC_FLAG_IMPUTED = 1 << 0, /* value carried forward from last year */
    SC_FLAG_MISSING = 1 << 1, /* no value at all: 0 points */
    SC_FLAG_JUMP = 1 << 2,    /* changed beyond the jump factor since last year: review */
};

typedef struct {
    char code[SC_COUNTY_CODE_MAX];      /* GB/T 2260 county code */
    char name[SC_NAME_MAX];             /* 正定县 */
    char city_code[SC_COUNTY_CODE_MAX]; /* the city above it: 130100 */
    char city_name[SC_NAME_MAX];        /* 石家庄市 */
} sc_county_t;

/* What one year's scoring reads: every county of the scope valid that year
 * and its submitted inputs (rated inputs already reduced to the median of
 * their ratings, present only with enough raters). */
typedef struct {
    int year; /* evaluation year */
    size_t n_counties;
    sc_county_t *counties; /* n_counties, in code order */
    double *values;        /* n_counties x m->n_inputs, row major */
    uint8_t *present;      /* same shape: 1 when the value was submitted */
} sc_year_input_t;

typedef struct {
    double value[SC_MAX_INDICATORS]; /* value scored (derived, carried forward); 0 when missing */
    double normalised[SC_MAX_INDICATORS]; /* share of the indicator's points, in [0, 1] */
    int32_t points[SC_MAX_INDICATORS];    /* centipoints per indicator (rounded half up), shown */
    uint8_t flags[SC_MAX_INDICATORS];     /* SC_FLAG_* per indicator */
    int32_t subtotal[SC_MAX_PRIMARIES];   /* centipoints per primary, by the total's rule */
    int32_t total;        /* centipoints 0..10000 under the methodology's total_from */
    double total_exact;   /* centipoints, the exact sum of the unrounded points */
    int32_t total_other;  /* the total under the other total_from rule */
    char klass;           /* 'A', 'B' or 'C', from total */
    char class_other;     /* the class total_other gives: differs from klass = flagged */
    int rank;             /* in the scope scored, tie rule applied, from 1 */
    int rank_in_province; /* among the counties of the same province (first two digits) */
    int rank_in_city;     /* among the counties of the same city */
    int flag_count;       /* indicators flagged SC_FLAG_JUMP */
} sc_county_result_t;

typedef struct {
    int year;
    size_t n_counties;
    sc_county_result_t *counties; /* parallel to the input's counties */
} sc_year_result_t;

/* Score one year. `previous` (the year before, same scope, may be NULL)
 * supplies carried-forward values and the jump check; its counties are
 * matched by code. Allocates out->counties (free with engine_result_release).
 * Fails only on inputs that break the contract (a shape that does not
 * match the methodology). */
int engine_score_year(const sc_methodology_t *m, const sc_year_input_t *input,
                      const sc_year_input_t *previous, sc_year_result_t *out, kc_error_t *error);

void engine_result_release(sc_year_result_t *self);

/* Class of a total under the methodology's thresholds. */
char engine_class_of(const sc_methodology_t *m, int32_t total_centi);

/* Ranks of `n` totals under a tie rule, higher total first: ranks[i] for
 * totals[i]. Used for the scope, for each city and by the Monte Carlo. */
void engine_rank(const int32_t *totals, size_t n, sc_tie_rule_t rule, int *ranks);

/* Normalise one value: the share of the points in [0, 1]. `column` are the
 * values of the same indicator for every county scored (for min-max and
 * z-score), `n` of them; ignored by the fixed-parameter methods. */
double engine_normalise(const sc_indicator_t *indicator, double value, const double *column,
                        size_t n);

/* Median of n values (mean of the two middle ones when n is even); sorts
 * `values` in place. n must be > 0. */
double engine_median(double *values, size_t n);

/* The change of one county since last year, under the same methodology. */
typedef struct {
    bool has_previous;                          /* the county was scored last year */
    int32_t total_delta;                        /* centipoints, this year minus last */
    int32_t indicator_delta[SC_MAX_INDICATORS]; /* rounded points; add up to total_delta under
                                                   rounded_parts, up to the 尾差 under exact */
    int32_t subtotal_delta[SC_MAX_PRIMARIES];
    char previous_class; /* 'A'..'C', 0 without a previous year */
    int previous_rank;   /* 0 without a previous year */
    int rank_change;     /* previous_rank - rank: positive = moved up */
    int main_cause;      /* indicator with the largest |delta|, -1 if none */
} sc_change_t;

/* changes[i] for current county i, matched by code in previous (may be NULL). */
void engine_compare(const sc_methodology_t *m, const sc_year_input_t *cur_input,
                    const sc_year_result_t *cur, const sc_year_input_t *prev_input,
                    const sc_year_result_t *prev, sc_change_t *changes);

/* What a county lacks for the next class, holding every other county and
 * every other indicator as they are. */
typedef struct {
    char next_class;          /* 'A' or 'B'; 0 for a county already in A */
    int32_t points_needed;    /* centipoints to the next threshold */
    int indicator;            /* the single indicator that needs the smallest relative
                                 improvement to get there, -1 if none can alone */
    double value_needed;      /* the value that indicator must reach */
    double relative_increase; /* value_needed / current - 1 (+inf from 0) */
} sc_gap_t;

void engine_gaps(const sc_methodology_t *m, const sc_year_input_t *input,
                 const sc_year_result_t *result, sc_gap_t *gaps);

#endif
