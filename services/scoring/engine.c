/*  engine: one year's scores, classes and ranks (engine.h tells the steps).
 *
 *  Three passes over the counties, each O(n x indicators):
 *
 *  1. values: each county's input row is what it submitted, plus what it
 *     submitted last year where this year's is missing (carry forward, one
 *     year only: last year's carried values are never carried again). An
 *     indicator reads the row through its own missing rule: carry_forward
 *     sees the carried inputs, zero sees only this year's submissions, so
 *     an input shared by indicators of both rules serves each by its rule.
 *     A derived indicator is computed by its formula (methodology.c) and is
 *     imputed when any input it read was carried. Jumps are checked against
 *     last year's value as submitted (or derived from submissions).
 *  2. columns: per indicator, the statistics min-max and z-score need, over
 *     the counties that have a value, computed once.
 *  3. points: share -> centipoints (half up) shown per indicator; the
 *     total and subtotals from the exact points rounded once (or from the
 *     rounded points, total_from = rounded_parts), the class and the class
 *     of the other rule; then ranks in the scope, each province and each
 *     city.
 *
 *  Non-finite numbers never reach the arithmetic: a submitted NaN or a
 *  formula that overflows counts as no value (the intake refuses them, so
 *  this only guards the contract).
 */
#include "scoring/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/engine_internal.h"

/* One county's inputs this year: one array of values, two views of it. */
typedef struct {
    double values[SC_MAX_INPUTS];     /* submitted, else carried, else 0 */
    uint8_t submitted[SC_MAX_INPUTS]; /* 1: submitted this year */
    uint8_t available[SC_MAX_INPUTS]; /* 1: submitted or carried forward */
} s_row_t;

/* What every pass reads. */
typedef struct {
    const sc_methodology_t *m;          /* the rules */
    const sc_year_input_t *input;       /* the year scored */
    const sc_year_input_t *previous;    /* the year before, or NULL */
    const sc_county_t **previous_index; /* previous counties by code */
} s_scorer_t;

void *engine_allocate(size_t count, size_t size)
{
    void *memory = calloc(count ? count : 1, size ? size : 1);
    if (!memory)
        abort(); /* out of memory is not an error kechuang can answer */
    return memory;
}

static int s_compare_codes(const void *left, const void *right)
{
    const sc_county_t *a = *(const sc_county_t *const *)left;
    const sc_county_t *b = *(const sc_county_t *const *)right;
    return strcmp(a->code, b->code);
}

const sc_county_t **engine_code_index_new(const sc_county_t *counties, size_t n)
{
    if (n == 0)
        return NULL;
    const sc_county_t **index = engine_allocate(n, sizeof *index);
    bool sorted = true; /* the contract: years come in code order; sort only if not */
    for (size_t i = 0; i < n; i++) {
        index[i] = &counties[i];
        sorted = sorted && (i == 0 || strcmp(counties[i - 1].code, counties[i].code) < 0);
    }
    if (!sorted)
        qsort(index, n, sizeof *index, s_compare_codes);
    return index;
}

long engine_code_find(const sc_county_t *const *index, size_t n, const sc_county_t *counties,
                      const char *code, size_t hint)
{
    if (hint < n && strcmp(counties[hint].code, code) == 0)
        return (long)hint;
    size_t low = 0, high = n;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp(index[middle]->code, code);
        if (order == 0)
            return (long)(index[middle] - counties);
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return -1;
}

char engine_class_of(const sc_methodology_t *m, int32_t total_centi)
{
    if (total_centi >= m->class_a_centi)
        return 'A';
    if (total_centi >= m->class_b_centi)
        return 'B';
    return 'C';
}

/* ---- the contract: shapes the methodology and the inputs must have ---- */

static int s_check_indicator(const sc_methodology_t *m, size_t j, kc_error_t *error)
{
    const sc_indicator_t *indicator = &m->indicators[j];
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "indicator.%.*s", (int)SC_CODE_MAX, indicator->code);
    if (indicator->primary < 0 || (size_t)indicator->primary >= m->n_primaries)
        return kc_error_set(error, KC_ERR_INPUT, field, "primary %d of \"%s\" out of range",
                            indicator->primary, indicator->code);
    if ((unsigned)indicator->method >= SC_NORM_COUNT_)
        return kc_error_set(error, KC_ERR_INPUT, field, "unknown method of \"%s\"",
                            indicator->code);
    const sc_formula_t *formula = &indicator->formula;
    if (formula->n_ops == 0) {
        if (indicator->input < 0 || (size_t)indicator->input >= m->n_inputs)
            return kc_error_set(error, KC_ERR_INPUT, field, "input %d of \"%s\" out of range",
                                indicator->input, indicator->code);
        return 0;
    }
    if (formula->n_ops > SC_FORMULA_MAX_OPS)
        return kc_error_set(error, KC_ERR_INPUT, field, "formula of \"%s\" too long",
                            indicator->code);
    for (size_t k = 0; k < formula->n_ops; k++)
        if (formula->ops[k].kind == SC_OP_INPUT &&
            (formula->ops[k].input < 0 || (size_t)formula->ops[k].input >= m->n_inputs))
            return kc_error_set(error, KC_ERR_INPUT, field,
                                "formula of \"%s\" reads input %d out of range", indicator->code,
                                formula->ops[k].input);
    return 0;
}

static int s_check_methodology(const sc_methodology_t *m, kc_error_t *error)
{
    if (m->n_indicators > SC_MAX_INDICATORS || m->n_primaries > SC_MAX_PRIMARIES ||
        m->n_inputs > SC_MAX_INPUTS)
        return kc_error_set(error, KC_ERR_INPUT, "methodology",
                            "methodology \"%s\" exceeds the engine's limits", m->code);
    for (size_t j = 0; j < m->n_indicators; j++)
        if (s_check_indicator(m, j, error) < 0)
            return -1;
    return 0;
}

static int s_check_year(const sc_methodology_t *m, const sc_year_input_t *year, const char *field,
                        kc_error_t *error)
{
    if (year->n_counties == 0)
        return 0;
    if (!year->counties || (m->n_inputs > 0 && (!year->values || !year->present)))
        return kc_error_set(error, KC_ERR_INPUT, field, "%zu counties of %d without their values",
                            year->n_counties, year->year);
    return 0;
}

/* ---- pass 1: values, flags ---- */

/* The row of county i: submitted values, and last year's where missing. */
static void s_build_row(const s_scorer_t *scorer, size_t i, long previous_i, s_row_t *row)
{
    size_t n_inputs = scorer->m->n_inputs;
    const double *values = scorer->input->values + i * n_inputs;
    const uint8_t *present = scorer->input->present + i * n_inputs;
    const double *previous_values = NULL;
    const uint8_t *previous_present = NULL;
    if (previous_i >= 0) {
        previous_values = scorer->previous->values + (size_t)previous_i * n_inputs;
        previous_present = scorer->previous->present + (size_t)previous_i * n_inputs;
    }
    for (size_t k = 0; k < n_inputs; k++) {
        row->values[k] = 0.0;
        row->submitted[k] = row->available[k] = 0;
        if (present[k] && isfinite(values[k])) {
            row->values[k] = values[k];
            row->submitted[k] = row->available[k] = 1;
        } else if (previous_present && previous_present[k] && isfinite(previous_values[k])) {
            row->values[k] = previous_values[k];
            row->available[k] = 1;
        }
    }
}

/* The indicator's value over one view of a row: 1 with *value, 0 if none. */
static int s_value_of(const sc_indicator_t *indicator, const double *values, const uint8_t *present,
                      double *value)
{
    if (indicator->formula.n_ops == 0) {
        if (!present[indicator->input])
            return 0;
        *value = values[indicator->input];
        return isfinite(*value) ? 1 : 0;
    }
    if (!methodology_formula_eval(&indicator->formula, values, present, value))
        return 0;
    return isfinite(*value) ? 1 : 0;
}

/* Whether the value read any input that was carried, not submitted. */
static bool s_reads_carried(const sc_indicator_t *indicator, const s_row_t *row)
{
    if (indicator->formula.n_ops == 0)
        return !row->submitted[indicator->input];
    for (size_t k = 0; k < indicator->formula.n_ops; k++) {
        const sc_op_t *op = &indicator->formula.ops[k];
        if (op->kind == SC_OP_INPUT && !row->submitted[op->input])
            return true;
    }
    return false;
}

static bool s_jumped(const sc_methodology_t *m, const sc_indicator_t *indicator, double value,
                     double previous)
{
    double factor = indicator->jump_factor > 0.0 ? indicator->jump_factor : m->jump_factor;
    if (!(factor >= 1.0) || !(value > 0.0) || !(previous > 0.0))
        return false; /* disabled, or a ratio that means nothing */
    return value / previous > factor || previous / value > factor;
}

static void s_evaluate_county(const s_scorer_t *scorer, size_t i, sc_county_result_t *result)
{
    const sc_methodology_t *m = scorer->m;
    long previous_i = -1;
    if (scorer->previous_index)
        previous_i =
            engine_code_find(scorer->previous_index, scorer->previous->n_counties,
                             scorer->previous->counties, scorer->input->counties[i].code, i);
    s_row_t row;
    s_build_row(scorer, i, previous_i, &row);
    for (size_t j = 0; j < m->n_indicators; j++) {
        const sc_indicator_t *indicator = &m->indicators[j];
        bool carry = indicator->missing == SC_MISSING_CARRY_FORWARD;
        double value = 0.0;
        if (!s_value_of(indicator, row.values, carry ? row.available : row.submitted, &value)) {
            result->flags[j] = SC_FLAG_MISSING;
            continue;
        }
        result->value[j] = value;
        if (carry && s_reads_carried(indicator, &row)) {
            result->flags[j] = SC_FLAG_IMPUTED;
            continue; /* last year's number: no jump to review */
        }
        if (previous_i < 0)
            continue;
        size_t offset = (size_t)previous_i * m->n_inputs;
        double previous = 0.0;
        if (s_value_of(indicator, scorer->previous->values + offset,
                       scorer->previous->present + offset, &previous) &&
            s_jumped(m, indicator, value, previous)) {
            result->flags[j] |= SC_FLAG_JUMP;
            result->flag_count++;
        }
    }
}

/* ---- passes 2 and 3: columns, points, classes, ranks ---- */

/* Centipoints of an exact sum, rounded once, half up. The sum is first
 * brought to a millionth of a centipoint, so a half that binary
 * arithmetic lands just below (7992.4999999999) still rounds up. */
static int32_t s_round_once(double exact)
{
    return (int32_t)floor(floor(exact * 1e6 + 0.5) / 1e6 + 0.5);
}

/* Total and subtotals of a county from its points: exact (rounded once)
 * and rounded parts (summed), the methodology's rule deciding which is
 * the total and the class, the other kept to flag a class it would
 * change. */
static void s_total(const sc_methodology_t *m, sc_county_result_t *result,
                    const double *exact_subtotal)
{
    int32_t rounded_total = 0, exact_total = s_round_once(result->total_exact);
    bool exact = m->total_from == SC_TOTAL_EXACT;
    for (size_t p = 0; p < m->n_primaries; p++) {
        rounded_total += result->subtotal[p]; /* the rounded points' sums so far */
        if (exact)
            result->subtotal[p] = s_round_once(exact_subtotal[p]);
    }
    result->total = exact ? exact_total : rounded_total;
    result->total_other = exact ? rounded_total : exact_total;
    result->klass = engine_class_of(m, result->total);
    result->class_other = engine_class_of(m, result->total_other);
}

static void s_award_points(const sc_methodology_t *m, const sc_year_input_t *input,
                           sc_county_result_t *results, double *column)
{
    double *exact_subtotals = engine_allocate(input->n_counties * SC_MAX_PRIMARIES, sizeof(double));
    for (size_t j = 0; j < m->n_indicators; j++) {
        const sc_indicator_t *indicator = &m->indicators[j];
        engine_column_t stats = {0};
        if (indicator->method == SC_NORM_MINMAX || indicator->method == SC_NORM_ZSCORE) {
            size_t n = 0;
            for (size_t i = 0; i < input->n_counties; i++)
                if (!(results[i].flags[j] & SC_FLAG_MISSING))
                    column[n++] = results[i].value[j];
            engine_column_stats(column, n, &stats);
        }
        for (size_t i = 0; i < input->n_counties; i++) {
            sc_county_result_t *result = &results[i];
            if (result->flags[j] & SC_FLAG_MISSING)
                continue; /* value, share and points stay 0 */
            result->normalised[j] = engine_share(indicator, result->value[j], &stats);
            result->points[j] = engine_points(indicator, result->normalised[j]);
            double exact = (double)indicator->points_centi * result->normalised[j];
            result->subtotal[indicator->primary] += result->points[j];
            exact_subtotals[i * SC_MAX_PRIMARIES + (size_t)indicator->primary] += exact;
            result->total_exact += exact;
        }
    }
    for (size_t i = 0; i < input->n_counties; i++)
        s_total(m, &results[i], &exact_subtotals[i * SC_MAX_PRIMARIES]);
    free(exact_subtotals);
}

/* A group of counties ranked among themselves: the province (the first
 * two digits of the county's code) or the city. */
typedef enum { S_GROUP_PROVINCE, S_GROUP_CITY } s_group_t;

static int s_group_order(const sc_county_t *a, const sc_county_t *b, s_group_t group)
{
    if (group == S_GROUP_PROVINCE)
        return strncmp(a->code, b->code, 2);
    return strcmp(a->city_code, b->city_code);
}

static int s_compare_provinces(const void *left, const void *right)
{
    return s_group_order(*(const sc_county_t *const *)left, *(const sc_county_t *const *)right,
                         S_GROUP_PROVINCE);
}

static int s_compare_cities(const void *left, const void *right)
{
    return s_group_order(*(const sc_county_t *const *)left, *(const sc_county_t *const *)right,
                         S_GROUP_CITY);
}

/* Ranks within each group (counties grouped by a sort on the group's
 * code: equal totals rank equally whatever order they come). `totals`
 * and `ranks` are scratch arrays of n. */
static void s_rank_groups(const sc_methodology_t *m, const sc_year_input_t *input,
                          sc_county_result_t *results, s_group_t group, int32_t *totals, int *ranks)
{
    size_t n = input->n_counties;
    const sc_county_t **by_group = engine_allocate(n, sizeof *by_group);
    bool grouped = true; /* counties in code order come province by province, city by city */
    for (size_t i = 0; i < n; i++) {
        by_group[i] = &input->counties[i];
        grouped = grouped && (i == 0 || s_group_order(by_group[i - 1], by_group[i], group) <= 0);
    }
    if (!grouped)
        qsort(by_group, n, sizeof *by_group,
              group == S_GROUP_PROVINCE ? s_compare_provinces : s_compare_cities);
    for (size_t first = 0; first < n;) {
        size_t last = first + 1;
        while (last < n && s_group_order(by_group[last], by_group[first], group) == 0)
            last++;
        for (size_t k = first; k < last; k++)
            totals[k - first] = results[by_group[k] - input->counties].total;
        engine_rank(totals, last - first, m->tie_rule, ranks);
        for (size_t k = first; k < last; k++) {
            sc_county_result_t *result = &results[by_group[k] - input->counties];
            if (group == S_GROUP_PROVINCE)
                result->rank_in_province = ranks[k - first];
            else
                result->rank_in_city = ranks[k - first];
        }
        first = last;
    }
    free(by_group);
}

/* Ranks in the scope, then within each province and each city. */
static void s_rank(const sc_methodology_t *m, const sc_year_input_t *input,
                   sc_county_result_t *results)
{
    size_t n = input->n_counties;
    int32_t *totals = engine_allocate(n, sizeof *totals);
    int *ranks = engine_allocate(n, sizeof *ranks);
    for (size_t i = 0; i < n; i++)
        totals[i] = results[i].total;
    engine_rank(totals, n, m->tie_rule, ranks);
    for (size_t i = 0; i < n; i++)
        results[i].rank = ranks[i];
    s_rank_groups(m, input, results, S_GROUP_PROVINCE, totals, ranks);
    s_rank_groups(m, input, results, S_GROUP_CITY, totals, ranks);
    free(ranks);
    free(totals);
}

int engine_score_year(const sc_methodology_t *m, const sc_year_input_t *input,
                      const sc_year_input_t *previous, sc_year_result_t *out, kc_error_t *error)
{
    *out = (sc_year_result_t){.year = input->year};
    if (s_check_methodology(m, error) < 0 || s_check_year(m, input, "input", error) < 0 ||
        (previous && s_check_year(m, previous, "previous", error) < 0))
        return -1;
    size_t n = input->n_counties;
    s_scorer_t scorer = {.m = m, .input = input, .previous = previous};
    if (previous)
        scorer.previous_index = engine_code_index_new(previous->counties, previous->n_counties);
    sc_county_result_t *results = engine_allocate(n, sizeof *results);
    for (size_t i = 0; i < n; i++)
        s_evaluate_county(&scorer, i, &results[i]);
    free(scorer.previous_index);
    double *column = engine_allocate(n, sizeof *column);
    s_award_points(m, input, results, column);
    free(column);
    s_rank(m, input, results);
    out->n_counties = n;
    out->counties = results;
    return 0;
}

void engine_result_release(sc_year_result_t *self)
{
    if (!self)
        return;
    free(self->counties);
    *self = (sc_year_result_t){0};
}
