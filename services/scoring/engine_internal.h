/*  engine_internal: what the engine's files share and nobody else sees.
 *
 *  engine.c scores a year, engine_normalise.c turns values into shares of
 *  the points (and back, for the gaps), engine_rank.c orders totals and
 *  engine_compare.c looks at last year and at the next class. They meet
 *  here: the statistics of one indicator's column, computed once per
 *  indicator so that normalising a county is O(1); the forward and inverse
 *  maps built on them; and a by-code index of the counties of a year, so
 *  matching two years is O(n log n) rather than O(n^2).
 */
#ifndef SCORING_ENGINE_INTERNAL_H
#define SCORING_ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "scoring/engine.h"

/* What min-max and z-score read from the values of one indicator. */
typedef struct {
    size_t n;    /* counties with a value; 0: the column is empty */
    double min;  /* smallest value */
    double max;  /* largest value */
    double mean; /* arithmetic mean, summed in county order */
    double sd;   /* population standard deviation; exactly 0 when min == max */
} engine_column_t;

/* Statistics of n values, in one fixed order of summation. */
void engine_column_stats(const double *column, size_t n, engine_column_t *out);

/* Share of the points in [0, 1] of `value` (finite) under the indicator's
 * method; `column` is read only by min-max and z-score. */
double engine_share(const sc_indicator_t *indicator, double value, const engine_column_t *column);

/* Centipoints of a share: floor(points * share + 0.5), half up. */
int32_t engine_points(const sc_indicator_t *indicator, double share);

/* +1 when a larger value earns more, -1 when a smaller one does. */
int engine_better_direction(const sc_indicator_t *indicator);

/* The value whose share is `share` (in (0, 1]) with the column held fixed:
 * 0 with *value set, -1 when no value reaches it (a constant column). */
int engine_share_inverse(const sc_indicator_t *indicator, double share,
                         const engine_column_t *column, double *value);

/* calloc that aborts: out of memory is not an error the engine can answer. */
void *engine_allocate(size_t count, size_t size);

/* The counties of a year sorted by code (pointers into `counties`), to be
 * searched with engine_code_find; free() it. NULL when n == 0. */
const sc_county_t **engine_code_index_new(const sc_county_t *counties, size_t n);

/* Index into `counties` of the county with `code`, -1 if absent. `hint`
 * is tried first (the same position in both years is the common case). */
long engine_code_find(const sc_county_t *const *index, size_t n, const sc_county_t *counties,
                      const char *code, size_t hint);

#endif
