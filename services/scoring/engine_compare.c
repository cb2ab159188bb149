/*  engine_compare: what changed since last year, and what the next class
 *  would take.
 *
 *  engine_compare matches each county to last year's by code (a sorted
 *  index and binary search, O(n log n)) and subtracts centipoints. Under
 *  total_from = rounded_parts totals are sums of the shown points, so the
 *  indicator deltas add up exactly to the total's; under exact (the
 *  default) they may differ from it by the rounding tail (尾差). The main
 *  cause is the indicator that moved most.
 *
 *  engine_gaps answers "what would lift this county into the next class?"
 *  one indicator at a time, every other county and indicator held as they
 *  are (min-max and z-score keep this year's column statistics). The share
 *  an indicator must reach is the least one that makes the total reach the
 *  threshold T. Under total_from = rounded_parts that is the least whose
 *  half-up points p' make p' - p the points missing: a share of at least
 *  (t - 0.5) / W for t = p + needed. Under exact (the total rounded once)
 *  the unrounded points must add T - 0.5 - exact total: a share of at
 *  least t / W, t the indicator's exact points plus that. The value is then
 *  read off the inverse of the
 *  indicator's method and checked by scoring it again, then settled to the
 *  least double that reaches t (bracket, bisect), so rounding noise in the
 *  inverse (min-max loses digits to cancellation) never reports a value
 *  that falls a centipoint short, nor one more than needed.
 *
 *  Which indicator: the one needing the smallest relative change
 *  |x' / x - 1| (a decrease for indicators where less is better). From a
 *  value of 0 every change is infinite; among those the smallest x' wins
 *  (a crude "least to do"), and any remaining tie goes to the lower index.
 */
#include <math.h>
#include <stdlib.h>

#include "scoring/engine_internal.h"

#define S_SEARCH_MAX 2100 /* steps of a search over doubles: more than exponents span */

static void s_change(const sc_methodology_t *m, const sc_county_result_t *current,
                     const sc_county_result_t *previous, sc_change_t *change)
{
    change->has_previous = true;
    change->total_delta = current->total - previous->total;
    for (size_t p = 0; p < m->n_primaries && p < SC_MAX_PRIMARIES; p++)
        change->subtotal_delta[p] = current->subtotal[p] - previous->subtotal[p];
    int32_t largest = 0;
    for (size_t j = 0; j < m->n_indicators && j < SC_MAX_INDICATORS; j++) {
        int32_t delta = current->points[j] - previous->points[j];
        change->indicator_delta[j] = delta;
        int32_t size = delta < 0 ? -delta : delta;
        if (size > largest) {
            largest = size;
            change->main_cause = (int)j;
        }
    }
    change->previous_class = previous->klass;
    change->previous_rank = previous->rank;
    change->rank_change = previous->rank - current->rank;
}

void engine_compare(const sc_methodology_t *m, const sc_year_input_t *cur_input,
                    const sc_year_result_t *cur, const sc_year_input_t *prev_input,
                    const sc_year_result_t *prev, sc_change_t *changes)
{
    const sc_county_t **index = NULL;
    size_t n_previous = 0;
    if (prev_input && prev) {
        n_previous = prev_input->n_counties;
        index = engine_code_index_new(prev_input->counties, n_previous);
    }
    for (size_t i = 0; i < cur->n_counties; i++) {
        changes[i] = (sc_change_t){.main_cause = -1};
        long p = -1;
        if (index)
            p = engine_code_find(index, n_previous, prev_input->counties,
                                 cur_input->counties[i].code, i);
        if (p >= 0 && (size_t)p < prev->n_counties)
            s_change(m, &cur->counties[i], &prev->counties[p], &changes[i]);
    }
    free(index);
}

/* The indicator's points at `value` in the unit the total is made of:
 * unrounded centipoints under total_from = exact, rounded ones under
 * rounded_parts. */
static double s_points_at(const sc_indicator_t *indicator, const engine_column_t *column,
                          double value, bool exact)
{
    double share = engine_share(indicator, value, column);
    return exact ? (double)indicator->points_centi * share
                 : (double)engine_points(indicator, share);
}

/* From `from`, steps of doubling size (one ulp first) in `direction`
 * until reaching `target` changes answer: the first value where it does,
 * or NaN if none within range. */
static double s_bracket(const sc_indicator_t *indicator, const engine_column_t *column,
                        double target, bool exact, double from, double direction)
{
    bool reached = s_points_at(indicator, column, from, exact) >= target;
    double step = fabs(nextafter(from, direction) - from);
    for (int i = 0; i < S_SEARCH_MAX && isfinite(step); i++, step *= 2.0) {
        double next = from + (direction > 0.0 ? step : -step);
        if ((s_points_at(indicator, column, next, exact) >= target) != reached)
            return next;
    }
    return NAN;
}

/* Move *value to the least (in the indicator's better direction) double
 * whose points reach `target`: bracket it, then bisect down to adjacent
 * doubles. Points are monotone in the value, so this is exact; -1 if the
 * target is out of reach. */
static int s_settle(const sc_indicator_t *indicator, const engine_column_t *column, double target,
                    bool exact, double *value)
{
    double better = engine_better_direction(indicator) > 0 ? INFINITY : -INFINITY;
    double good = *value, bad = *value;
    if (s_points_at(indicator, column, *value, exact) >= target)
        bad = s_bracket(indicator, column, target, exact, *value, -better);
    else
        good = s_bracket(indicator, column, target, exact, *value, better);
    if (isnan(good))
        return -1;
    if (isnan(bad)) { /* reaches as far as doubles go: keep the inverse's value */
        *value = good;
        return 0;
    }
    for (int i = 0; i < S_SEARCH_MAX; i++) {
        double middle = bad + (good - bad) / 2.0;
        if (middle == bad || middle == good)
            break;
        if (s_points_at(indicator, column, middle, exact) >= target)
            good = middle;
        else
            bad = middle;
    }
    *value = good;
    return 0;
}

/* The value indicator j must reach for `needed` more centipoints (in the
 * unit of s_points_at) on top of `points`: 0 with *value set, -1 when it
 * cannot do it alone. */
static int s_value_needed(const sc_indicator_t *indicator, const engine_column_t *column,
                          double points, double needed, bool exact, double *value)
{
    double target = points + needed;
    if (target > (double)indicator->points_centi)
        return -1;
    double share = (exact ? target : target - 0.5) / (double)indicator->points_centi;
    if (engine_share_inverse(indicator, share, column, value) < 0 || !isfinite(*value))
        return -1;
    return s_settle(indicator, column, target, exact, value);
}

/* The indicator's current points and the points it needs to add, in the
 * unit of s_points_at. Under exact, a total of T means an exact sum of at
 * least T - 0.5 (it is rounded once, half up). */
static void s_need(const sc_methodology_t *m, const sc_county_result_t *county, size_t j,
                   int32_t threshold, double *points, double *needed)
{
    if (m->total_from == SC_TOTAL_EXACT) {
        *points = (double)m->indicators[j].points_centi * county->normalised[j];
        *needed = (double)threshold - 0.5 - county->total_exact;
    } else {
        *points = county->points[j];
        *needed = threshold - county->total;
    }
}

/* Whether (effort, value) beats the best so far; ties keep the lower index. */
static bool s_better(double effort, double value, double best_effort, double best_value)
{
    if (effort != best_effort)
        return effort < best_effort;
    return isinf(effort) && fabs(value) < fabs(best_value);
}

static void s_gap(const sc_methodology_t *m, const engine_column_t *columns,
                  const sc_county_result_t *county, sc_gap_t *gap)
{
    *gap = (sc_gap_t){.indicator = -1};
    char klass = engine_class_of(m, county->total);
    if (klass == 'A')
        return;
    gap->next_class = klass == 'B' ? 'A' : 'B';
    int32_t threshold = klass == 'B' ? m->class_a_centi : m->class_b_centi;
    gap->points_needed = threshold - county->total;
    double best_effort = INFINITY, best_value = INFINITY;
    bool exact = m->total_from == SC_TOTAL_EXACT;
    for (size_t j = 0; j < m->n_indicators; j++) {
        const sc_indicator_t *indicator = &m->indicators[j];
        double value = 0.0, points = 0.0, needed = 0.0;
        s_need(m, county, j, threshold, &points, &needed);
        if (points >= (double)indicator->points_centi ||
            s_value_needed(indicator, &columns[j], points, needed, exact, &value) < 0)
            continue;
        double current = county->value[j];
        double effort = current == 0.0 ? INFINITY : fabs(value / current - 1.0);
        if (gap->indicator < 0 || s_better(effort, value, best_effort, best_value)) {
            gap->indicator = (int)j;
            best_effort = effort;
            best_value = value;
        }
    }
    if (gap->indicator < 0)
        return;
    double current = county->value[gap->indicator];
    gap->value_needed = best_value;
    gap->relative_increase = current == 0.0 ? INFINITY : best_value / current - 1.0;
}

void engine_gaps(const sc_methodology_t *m, const sc_year_input_t *input,
                 const sc_year_result_t *result, sc_gap_t *gaps)
{
    (void)input; /* the result holds every value the gaps read */
    size_t n = result->n_counties;
    engine_column_t columns[SC_MAX_INDICATORS] = {0};
    double *column = engine_allocate(n, sizeof *column);
    for (size_t j = 0; j < m->n_indicators && j < SC_MAX_INDICATORS; j++) {
        sc_norm_method_t method = m->indicators[j].method;
        if (method != SC_NORM_MINMAX && method != SC_NORM_ZSCORE)
            continue;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (!(result->counties[i].flags[j] & SC_FLAG_MISSING))
                column[k++] = result->counties[i].value[j];
        engine_column_stats(column, k, &columns[j]);
    }
    free(column);
    for (size_t i = 0; i < n; i++)
        s_gap(m, columns, &result->counties[i], &gaps[i]);
}
