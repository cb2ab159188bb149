/*  montecarlo: each county's rank and class under perturbed weights.
 *
 *  One draw: weights w ~ Dirichlet(alpha_i = concentration * points_i /
 *  10000), i.e. normalised Gamma(alpha_i) variates (rng.c), centred on the
 *  nominal weights, tighter as the concentration grows (the variance of w_i
 *  is w_i (1 - w_i) / (concentration + 1)); an indicator worth 0 points
 *  keeps weight 0. Then for every county total_c = sum_i 100 w_i x_ci in
 *  points (double, indicators in methodology order, no rounding to
 *  centipoints: the draw is a model, not a published score), its class by
 *  the methodology's thresholds (total >= class_a_centi / 100.0 is A, and
 *  so on), and its rank among all counties, higher total first, equal
 *  doubles sharing a rank under the methodology's tie rule. Per county the
 *  run counts how often each rank and each class came out.
 *
 *  Summaries: p_class[k] = draws in class k / draws. Rank percentiles use
 *  the nearest-rank method: the P-th percentile of N observed ranks is the
 *  rank at ordinal ceil(P N / 100) of their sorted list (so with 10,000
 *  draws rank_p5 is the 500th best rank a county had, rank_p95 the
 *  9,500th), read off the rank histogram. Always a rank that occurred.
 *
 *  Speed (10,000 draws x 2,978 counties x 17 indicators on one core in
 *  well under 2 s): the normalised matrix is transposed to indicator-major
 *  so the total loop streams one contiguous column per indicator over a
 *  totals array that stays in L1; the counties are ordered by a bucket
 *  sort on the total (bucket = floor((max - total) * buckets / (max -
 *  min)), monotone in the total because IEEE subtraction and
 *  multiplication round monotonically) with an insertion sort inside each
 *  bucket, O(n) for any spread-out totals; a bucket holding more than
 *  s_insertion_max entries (many equal or clustered totals) is sorted by
 *  qsort instead, so the worst case stays O(n log n). The order sorted
 *  into is total descending, then county index ascending: a strict total
 *  order, so any correct sort gives the same ranks and the run depends on
 *  the seed alone. Single-threaded; no state outside the call.
 */
#include "scoring/montecarlo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/rng.h"

/* Counties a run accepts: the rank histogram is n x n counters (2,978
 * counties: 35 MB; this cap: 268 MB). */
static const size_t s_counties_max = 8192;
static const size_t s_insertion_max = 64; /* larger buckets go to qsort */

typedef struct {
    double total;    /* points of the draw */
    uint32_t county; /* index into the input */
} s_entry_t;

typedef struct {
    size_t n_counties;
    size_t n_indicators;
    sc_tie_rule_t tie_rule;
    double class_a; /* thresholds in points */
    double class_b;
    double alpha[SC_MAX_INDICATORS];
    double points[SC_MAX_INDICATORS]; /* this draw's weights in points */
    double *columns;                  /* n_indicators x n_counties: the input transposed */
    double *totals;                   /* n_counties, this draw */
    s_entry_t *sorted;                /* n_counties, this draw's order */
    uint32_t *bucket_start;           /* n_counties + 1 */
    uint32_t *rank_counts;            /* n_counties x n_counties: [county][rank - 1] */
    uint32_t *class_counts;           /* n_counties x 3 */
} s_run_t;

static void *s_calloc(size_t count, size_t size)
{
    void *memory = calloc(count, size);
    if (memory == NULL)
        abort(); /* out of memory is not an error kechuang can answer */
    return memory;
}

static int s_check_params(const sc_methodology_t *m, const double *normalised, size_t n_counties,
                          const sc_mc_params_t *params, const sc_mc_county_t *out,
                          kc_error_t *error)
{
    if (m == NULL || normalised == NULL || params == NULL || out == NULL)
        return kc_error_set(error, KC_ERR_REQUIRED, NULL,
                            "montecarlo needs a methodology, values, parameters and an output");
    if (n_counties == 0 || n_counties > s_counties_max)
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "n_counties",
                            "'n_counties' is %zu, must be 1..%zu", n_counties, s_counties_max);
    if (params->draws == 0 || params->draws > UINT32_MAX)
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "draws", "'draws' is %zu, must be 1..%u",
                            params->draws, (unsigned)UINT32_MAX);
    if (!(params->concentration > 0.0) || !isfinite(params->concentration))
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "concentration",
                            "'concentration' is %g, must be a finite number > 0",
                            params->concentration);
    if (m->n_indicators == 0 || m->n_indicators > SC_MAX_INDICATORS)
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "methodology.indicators",
                            "methodology has %zu indicators, must be 1..%d", m->n_indicators,
                            SC_MAX_INDICATORS);
    int64_t sum = 0;
    for (size_t i = 0; i < m->n_indicators; i++) {
        if (m->indicators[i].points_centi < 0)
            return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "methodology.indicators",
                                "indicator '%s' has negative points", m->indicators[i].code);
        sum += m->indicators[i].points_centi;
    }
    if (sum <= 0)
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "methodology.indicators",
                            "the indicators' points add up to %lld, must be > 0", (long long)sum);
    return 0;
}

/* Every normalised value must be a number in [0, 1]. */
static int s_check_values(const sc_methodology_t *m, const double *normalised, size_t n_counties,
                          kc_error_t *error)
{
    for (size_t c = 0; c < n_counties; c++) {
        for (size_t i = 0; i < m->n_indicators; i++) {
            const double x = normalised[c * m->n_indicators + i];
            if (x >= 0.0 && x <= 1.0)
                continue;
            char field[64];
            snprintf(field, sizeof field, "normalised[%zu].%s", c, m->indicators[i].code);
            return kc_error_set(error, KC_ERR_OUT_OF_RANGE, field,
                                "normalised value %g is outside [0, 1]", x);
        }
    }
    return 0;
}

static void s_prepare(s_run_t *run, const sc_methodology_t *m, const double *normalised,
                      size_t n_counties, double concentration)
{
    const size_t n = n_counties, k = m->n_indicators;
    run->n_counties = n;
    run->n_indicators = k;
    run->tie_rule = m->tie_rule;
    run->class_a = m->class_a_centi / 100.0;
    run->class_b = m->class_b_centi / 100.0;
    int64_t sum = 0;
    for (size_t i = 0; i < k; i++)
        sum += m->indicators[i].points_centi;
    for (size_t i = 0; i < k; i++)
        run->alpha[i] = concentration * (double)m->indicators[i].points_centi / (double)sum;
    run->columns = s_calloc(n * k, sizeof *run->columns);
    for (size_t c = 0; c < n; c++)
        for (size_t i = 0; i < k; i++)
            run->columns[i * n + c] = normalised[c * k + i];
    run->totals = s_calloc(n, sizeof *run->totals);
    run->sorted = s_calloc(n, sizeof *run->sorted);
    run->bucket_start = s_calloc(n + 1, sizeof *run->bucket_start);
    run->rank_counts = s_calloc(n * n, sizeof *run->rank_counts);
    run->class_counts = s_calloc(n * 3, sizeof *run->class_counts);
}

static void s_release(s_run_t *run)
{
    free(run->columns);
    free(run->totals);
    free(run->sorted);
    free(run->bucket_start);
    free(run->rank_counts);
    free(run->class_counts);
}

/* totals[c] = sum_i points[i] x[c][i], indicators in order for every c. */
static void s_compute_totals(s_run_t *run)
{
    const size_t n = run->n_counties;
    double *restrict totals = run->totals;
    const double *restrict column = run->columns;
    const double w0 = run->points[0];
    for (size_t c = 0; c < n; c++)
        totals[c] = w0 * column[c];
    for (size_t i = 1; i < run->n_indicators; i++) {
        const double w = run->points[i];
        column = run->columns + i * n;
        for (size_t c = 0; c < n; c++)
            totals[c] += w * column[c];
    }
}

/* Higher total first, then lower county index: a strict total order. */
static int s_compare_entries(const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return (x->county > y->county) - (x->county < y->county);
}

/* Entries arrive in county order, so moving only past strictly smaller
 * totals keeps equal totals in county order. */
static void s_insertion_sort(s_entry_t *entries, size_t count)
{
    for (size_t j = 1; j < count; j++) {
        const s_entry_t entry = entries[j];
        size_t p = j;
        while (p > 0 && entries[p - 1].total < entry.total) {
            entries[p] = entries[p - 1];
            p--;
        }
        entries[p] = entry;
    }
}

/* sorted = the counties by total descending, index ascending. */
static void s_sort_totals(s_run_t *run)
{
    const size_t n = run->n_counties;
    const double *totals = run->totals;
    double top = totals[0], bottom = totals[0];
    for (size_t c = 1; c < n; c++) {
        top = totals[c] > top ? totals[c] : top;
        bottom = totals[c] < bottom ? totals[c] : bottom;
    }
    uint32_t *start = run->bucket_start;
    memset(start, 0, (n + 1) * sizeof *start);
    const double scale = top > bottom ? (double)n / (top - bottom) : 0.0;
    /* Pass 1 counts each bucket into start[b + 1]; pass 2 scatters. The
     * bucket of a total is recomputed rather than stored: cheaper than a
     * second array's traffic. */
    for (size_t c = 0; c < n; c++) {
        size_t b = (size_t)((top - totals[c]) * scale);
        start[(b < n ? b : n - 1) + 1]++;
    }
    for (size_t b = 0; b < n; b++)
        start[b + 1] += start[b];
    for (size_t c = 0; c < n; c++) {
        size_t b = (size_t)((top - totals[c]) * scale);
        b = b < n ? b : n - 1;
        run->sorted[start[b]++] = (s_entry_t){totals[c], (uint32_t)c};
    }
    /* start[b] is now the end of bucket b, the start of bucket b + 1. */
    size_t begin = 0;
    for (size_t b = 0; b < n; b++) {
        const size_t count = start[b] - begin;
        if (count > s_insertion_max)
            qsort(run->sorted + begin, count, sizeof *run->sorted, s_compare_entries);
        else if (count > 1)
            s_insertion_sort(run->sorted + begin, count);
        begin = start[b];
    }
}

/* Walks the sorted draw: ranks under the tie rule, counted with classes. */
static void s_count_draw(s_run_t *run)
{
    const size_t n = run->n_counties;
    size_t first = 0, distinct = 0;
    while (first < n) {
        const double total = run->sorted[first].total;
        size_t end = first + 1;
        while (end < n && run->sorted[end].total == total)
            end++;
        distinct++;
        size_t rank = first + 1; /* competition: 1224 */
        if (run->tie_rule == SC_TIE_DENSE)
            rank = distinct; /* 1223 */
        else if (run->tie_rule == SC_TIE_MODIFIED)
            rank = end; /* 1334 */
        const int klass = total >= run->class_a ? 0 : total >= run->class_b ? 1 : 2;
        for (size_t p = first; p < end; p++) {
            const size_t county = run->sorted[p].county;
            run->rank_counts[county * n + rank - 1]++;
            run->class_counts[county * 3 + (size_t)klass]++;
        }
        first = end;
    }
}

/* Nearest rank: the smallest rank whose cumulative count reaches
 * ceil(percent * draws / 100) (at least 1). */
static int s_percentile(const uint32_t *counts, size_t n, uint64_t draws, unsigned percent)
{
    uint64_t ordinal = (percent * draws + 99) / 100;
    ordinal = ordinal > 0 ? ordinal : 1;
    uint64_t cumulative = 0;
    for (size_t r = 0; r < n; r++) {
        cumulative += counts[r];
        if (cumulative >= ordinal)
            return (int)r + 1;
    }
    return (int)n; /* unreachable: the counts add up to draws */
}

static void s_summarise(const s_run_t *run, size_t draws, sc_mc_county_t *out)
{
    const size_t n = run->n_counties;
    for (size_t c = 0; c < n; c++) {
        const uint32_t *counts = run->rank_counts + c * n;
        out[c].rank_p5 = s_percentile(counts, n, draws, 5);
        out[c].rank_p50 = s_percentile(counts, n, draws, 50);
        out[c].rank_p95 = s_percentile(counts, n, draws, 95);
        for (size_t k = 0; k < 3; k++)
            out[c].p_class[k] = (double)run->class_counts[c * 3 + k] / (double)draws;
    }
}

int montecarlo_run(const sc_methodology_t *m, const double *normalised, size_t n_counties,
                   const sc_mc_params_t *params, sc_mc_county_t *out, kc_error_t *error)
{
    if (s_check_params(m, normalised, n_counties, params, out, error) != 0 ||
        s_check_values(m, normalised, n_counties, error) != 0)
        return -1;
    s_run_t run = {0};
    s_prepare(&run, m, normalised, n_counties, params->concentration);
    sc_rng_t rng;
    rng_seed(&rng, params->seed);
    double weights[SC_MAX_INDICATORS];
    for (size_t draw = 0; draw < params->draws; draw++) {
        rng_dirichlet(&rng, run.alpha, run.n_indicators, weights);
        for (size_t i = 0; i < run.n_indicators; i++)
            run.points[i] = 100.0 * weights[i];
        s_compute_totals(&run);
        s_sort_totals(&run);
        s_count_draw(&run);
    }
    s_summarise(&run, params->draws, out);
    s_release(&run);
    return 0;
}
