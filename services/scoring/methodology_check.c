/*  methodology_check: the rules that hold across a whole methodology.
 *
 *  Once every key has been read on its own (methodology.c), the file is
 *  checked as a whole: the class thresholds and years are in order, every
 *  indicator names a known primary, each method has sensible parameters
 *  and matches the kind of item (rubric for rated items only), the points
 *  of the indicators add up to each primary's points and to exactly 100,
 *  and every formula compiles and reads only submitted values. Then the
 *  list of inputs the engine must be given is built (sorted, unique) and
 *  every formula is pointed at it.
 *
 *  A value that was already reported as unreadable is skipped here, so one
 *  typo gives one error, not a cascade; everything else is reported, all
 *  at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/methodology_internal.h"

static const char *s_points(int32_t centi, char *out, size_t size)
{
    snprintf(out, size, "%d.%02d", (int)(centi / SC_CENTI), (int)(centi % SC_CENTI));
    return out;
}

static bool s_indicator_valid(sc_methodology_draft_t *draft, size_t i, const char *key)
{
    return methodology_key_valid(&draft->indicator_marks[i], SC_SECTION_INDICATOR, key);
}

static void s_check_head(sc_methodology_draft_t *draft)
{
    const sc_methodology_t *m = draft->m;
    const sc_section_mark_t *mark = &draft->head;
    char a[16], b[16];
    if (!draft->head_found)
        return;
    if (methodology_key_valid(mark, SC_SECTION_HEAD, "code") &&
        strspn(m->code, "abcdefghijklmnopqrstuvwxyz0123456789-._") != strlen(m->code))
        methodology_note(draft, KC_ERR_INVALID_FORMAT, "methodology.code", mark->line,
                         "code '%s' may hold only lower-case letters, digits, '-', '.' and '_'",
                         m->code);
    if (methodology_key_valid(mark, SC_SECTION_HEAD, "class_a") &&
        methodology_key_valid(mark, SC_SECTION_HEAD, "class_b") &&
        (m->class_b_centi >= m->class_a_centi || m->class_b_centi == 0))
        methodology_note(draft, KC_ERR_OUT_OF_RANGE, "methodology.class_b", mark->line,
                         "class_b (%s) must be above 0 and below class_a (%s)",
                         s_points(m->class_b_centi, b, sizeof b),
                         s_points(m->class_a_centi, a, sizeof a));
    if (methodology_key_valid(mark, SC_SECTION_HEAD, "years") && m->first_year > m->last_year)
        methodology_note(draft, KC_ERR_YEAR_OUT_OF_RANGE, "methodology.years", mark->line,
                         "years out of order: %d comes after %d", m->first_year, m->last_year);
    if (methodology_key_valid(mark, SC_SECTION_HEAD, "jump_factor") && m->jump_factor != 0 &&
        m->jump_factor <= 1)
        methodology_note(draft, KC_ERR_OUT_OF_RANGE, "methodology.jump_factor", mark->line,
                         "jump_factor %g must be above 1 (or 0: no jump check)", m->jump_factor);
    if (methodology_key_valid(mark, SC_SECTION_HEAD, "min_coverage") &&
        !(m->min_coverage >= 0 && m->min_coverage <= 1))
        methodology_note(draft, KC_ERR_OUT_OF_RANGE, "methodology.min_coverage", mark->line,
                         "min_coverage %g must lie between 0 and 1", m->min_coverage);
}

/* The indicator's primary by code; -1 (reported) when unknown. */
static int s_resolve_primary(sc_methodology_draft_t *draft, size_t i)
{
    const sc_methodology_t *m = draft->m;
    const char *code = draft->indicator_primary[i];
    for (size_t p = 0; p < m->n_primaries; p++)
        if (strcmp(m->primaries[p].code, code) == 0)
            return (int)p;
    if (!s_indicator_valid(draft, i, "primary"))
        return -1;
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "indicator.%s.primary", m->indicators[i].code);
    kc_error_t *error = methodology_note(draft, KC_ERR_INPUT, field, draft->indicator_marks[i].line,
                                         "unknown primary '%s'", code);
    if (error && m->n_primaries > 0) {
        char known[KC_ERROR_HINT_MAX - 32] = "";
        size_t used = 0;
        for (size_t p = 0; p < m->n_primaries && used < sizeof known; p++)
            used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", p ? ", " : "",
                                     m->primaries[p].code);
        kc_error_hint(error, "declared primaries: %s", known);
    }
    return -1;
}

static void s_parameter_error(sc_methodology_draft_t *draft, size_t i, const char *key,
                              const char *message)
{
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "indicator.%s.%s", draft->m->indicators[i].code, key);
    methodology_note(draft, KC_ERR_OUT_OF_RANGE, field, draft->indicator_marks[i].line, "%s",
                     message);
}

/* The method fits the kind of item and its parameters make sense. */
static void s_check_method(sc_methodology_draft_t *draft, size_t i)
{
    const sc_indicator_t *ind = &draft->m->indicators[i];
    char message[KC_ERROR_MESSAGE_MAX];
    if (!s_indicator_valid(draft, i, "method"))
        return;
    if (s_indicator_valid(draft, i, "kind") && ind->qualitative != (ind->method == SC_NORM_RUBRIC))
        s_parameter_error(draft, i, "method",
                          ind->qualitative
                              ? "a qualitative item is rated: its method must be 'rubric'"
                              : "method 'rubric' is for qualitative (rated) items only");
    if (ind->method == SC_NORM_BENCHMARK && s_indicator_valid(draft, i, "benchmark") &&
        !(ind->benchmark > 0))
        s_parameter_error(draft, i, "benchmark", "benchmark must be above 0");
    if (ind->method == SC_NORM_EFFICACY && s_indicator_valid(draft, i, "low") &&
        s_indicator_valid(draft, i, "high")) {
        if (ind->x_s == ind->x_h) {
            snprintf(message, sizeof message, "low and high are both %g: efficacy needs two values",
                     ind->x_s);
            s_parameter_error(draft, i, "high", message);
        } else if (s_indicator_valid(draft, i, "direction") &&
                   ind->positive != (ind->x_h > ind->x_s)) {
            snprintf(message, sizeof message, "high (%g) must be %s low (%g) for a %s indicator",
                     ind->x_h, ind->positive ? "above" : "below", ind->x_s,
                     ind->positive ? "positive" : "negative");
            s_parameter_error(draft, i, "high", message);
        }
    }
    if (ind->method == SC_NORM_ZSCORE && !(ind->z_cap > 0))
        s_parameter_error(draft, i, "z_cap", "z_cap must be above 0");
    if (ind->method == SC_NORM_RUBRIC && !(ind->rubric_max > 0))
        s_parameter_error(draft, i, "rubric_max", "rubric_max must be above 0");
    if (s_indicator_valid(draft, i, "jump_factor") && ind->jump_factor != 0 &&
        ind->jump_factor <= 1)
        s_parameter_error(draft, i, "jump_factor",
                          "jump_factor must be above 1 (or 0: the methodology's)");
}

static void s_check_primary_sums(sc_methodology_draft_t *draft, const int32_t *sums,
                                 const bool *complete, const size_t *counts)
{
    const sc_methodology_t *m = draft->m;
    char field[KC_ERROR_FIELD_MAX], found[16], want[16];
    for (size_t p = 0; p < m->n_primaries; p++) {
        const sc_primary_t *primary = &m->primaries[p];
        snprintf(field, sizeof field, "primary.%s.points", primary->code);
        int line = draft->primary_marks[p].line;
        if (counts[p] == 0)
            methodology_note(draft, KC_ERR_INPUT, field, line, "primary '%s' has no indicators",
                             primary->code);
        else if (complete[p] &&
                 methodology_key_valid(&draft->primary_marks[p], SC_SECTION_PRIMARY, "points") &&
                 sums[p] != primary->points_centi)
            methodology_note(draft, KC_ERR_INPUT, field, line,
                             "indicators of primary '%s' add up to %s points, not %s",
                             primary->code, s_points(sums[p], found, sizeof found),
                             s_points(primary->points_centi, want, sizeof want));
    }
}

/* Primaries resolved, methods checked, points summed per primary and in all. */
static void s_check_indicators(sc_methodology_draft_t *draft)
{
    sc_methodology_t *m = draft->m;
    int32_t sums[SC_MAX_PRIMARIES] = {0};
    bool complete[SC_MAX_PRIMARIES];
    size_t counts[SC_MAX_PRIMARIES] = {0};
    int32_t total = 0;
    bool all_read = true;
    for (size_t p = 0; p < SC_MAX_PRIMARIES; p++)
        complete[p] = true;
    if (m->n_primaries == 0)
        methodology_note(draft, KC_ERR_REQUIRED, "primary", 0, "no [primary.<code>] sections");
    if (m->n_indicators == 0)
        methodology_note(draft, KC_ERR_REQUIRED, "indicator", 0, "no [indicator.<code>] sections");
    for (size_t i = 0; i < m->n_indicators; i++) {
        int p = s_resolve_primary(draft, i);
        bool points = s_indicator_valid(draft, i, "points");
        m->indicators[i].primary = p;
        s_check_method(draft, i);
        all_read = all_read && points && p >= 0;
        total += m->indicators[i].points_centi;
        if (p < 0)
            continue;
        counts[p]++;
        sums[p] += m->indicators[i].points_centi;
        complete[p] = complete[p] && points;
    }
    s_check_primary_sums(draft, sums, complete, counts);
    char found[16];
    if (m->n_indicators > 0 && all_read && total != 100 * SC_CENTI)
        methodology_note(draft, KC_ERR_INPUT, "indicators.points", 0,
                         "points add up to %s, not 100", s_points(total, found, sizeof found));
    for (size_t p = 0; p < m->n_primaries; p++)
        m->primaries[p].points_centi = sums[p];
}

/* ---- formulas and inputs ----------------------------------------------- */

static int s_base_index(const sc_methodology_draft_t *draft, const char *code)
{
    for (size_t b = 0; b < draft->n_bases; b++)
        if (strcmp(draft->bases[b].code, code) == 0)
            return (int)b;
    return -1;
}

static void s_add_input(sc_methodology_draft_t *draft, const char *code)
{
    sc_methodology_t *m = draft->m;
    size_t at = 0;
    while (at < m->n_inputs && strcmp(m->inputs[at], code) < 0)
        at++;
    if (at < m->n_inputs && strcmp(m->inputs[at], code) == 0)
        return;
    if (m->n_inputs == SC_MAX_INPUTS) {
        methodology_note(draft, KC_ERR_OUT_OF_RANGE, "inputs", 0,
                         "more than %d submitted items; cannot add '%s'", SC_MAX_INPUTS, code);
        return;
    }
    memmove(m->inputs[at + 1], m->inputs[at], (m->n_inputs - at) * sizeof m->inputs[0]);
    snprintf(m->inputs[at], SC_CODE_MAX, "%s", code);
    m->n_inputs++;
}

/* Compile one formula and check what it names: submitted indicators or
 * declared base inputs, never another derived indicator. */
static void s_check_formula(sc_methodology_draft_t *draft, size_t i, sc_formula_refs_t *refs,
                            bool *base_used)
{
    sc_indicator_t *ind = &draft->m->indicators[i];
    char field[KC_ERROR_FIELD_MAX];
    int line = draft->indicator_marks[i].line;
    snprintf(field, sizeof field, "indicator.%s.formula", ind->code);
    char text[sizeof ind->formula.text];
    memcpy(text, ind->formula.text, sizeof text);
    kc_error_t error;
    if (methodology_formula_compile(text, &ind->formula, refs, &error)) {
        methodology_note(draft, error.code, field, line, "%s", error.message);
        memset(&ind->formula, 0, sizeof ind->formula);
        refs->n_codes = 0;
        return;
    }
    if (ind->qualitative)
        methodology_note(draft, KC_ERR_INPUT, field, line,
                         "a qualitative (rated) item cannot have a formula");
    for (size_t r = 0; r < refs->n_codes; r++) {
        const char *code = refs->codes[r];
        int j = methodology_indicator_index(draft->m, code);
        int b = s_base_index(draft, code);
        if (j >= 0 && draft->m->indicators[j].formula.text[0])
            methodology_note(draft, KC_ERR_INPUT, field, line,
                             "formula reads '%s', which is itself computed by a formula", code);
        else if (b >= 0)
            base_used[b] = true;
        else if (j < 0) {
            kc_error_t *e = methodology_note(draft, KC_ERR_UNKNOWN_INDICATOR, field, line,
                                             "formula reads unknown code '%s'", code);
            if (e)
                kc_error_hint(e, "declare it in an [input.%s] section, or use an indicator's code",
                              code);
        }
    }
}

/* Point each formula's operands at the sorted input list. */
static void s_link(sc_methodology_draft_t *draft, sc_formula_refs_t *refs)
{
    sc_methodology_t *m = draft->m;
    for (size_t i = 0; i < m->n_indicators; i++) {
        sc_indicator_t *ind = &m->indicators[i];
        ind->input = ind->formula.n_ops ? -1 : methodology_input_index(m, ind->code);
        if (ind->input >= 0) {
            m->input_qualitative[ind->input] = ind->qualitative;
            m->input_min_raters[ind->input] = ind->qualitative ? ind->min_raters : 0;
        }
        for (size_t k = 0; k < ind->formula.n_ops; k++)
            if (ind->formula.ops[k].kind == SC_OP_INPUT)
                ind->formula.ops[k].input =
                    methodology_input_index(m, refs[i].codes[ind->formula.ops[k].input]);
    }
}

static void s_check_inputs(sc_methodology_draft_t *draft)
{
    sc_methodology_t *m = draft->m;
    sc_formula_refs_t *refs = calloc(SC_MAX_INDICATORS, sizeof *refs);
    bool base_used[SC_MAX_INPUTS] = {false};
    if (!refs)
        abort(); /* out of memory: the project's rule is to stop */
    for (size_t b = 0; b < draft->n_bases; b++)
        if (methodology_indicator_index(m, draft->bases[b].code) >= 0)
            methodology_note(draft, KC_ERR_INPUT, "input", draft->base_marks[b].line,
                             "code '%s' names both an [indicator.%s] and an [input.%s]",
                             draft->bases[b].code, draft->bases[b].code, draft->bases[b].code);
    for (size_t i = 0; i < m->n_indicators; i++)
        if (m->indicators[i].formula.text[0] && s_indicator_valid(draft, i, "formula"))
            s_check_formula(draft, i, &refs[i], base_used);
    for (size_t i = 0; i < m->n_indicators; i++)
        if (!m->indicators[i].formula.n_ops)
            s_add_input(draft, m->indicators[i].code);
    for (size_t b = 0; b < draft->n_bases; b++) {
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "input.%s", draft->bases[b].code);
        if (base_used[b])
            s_add_input(draft, draft->bases[b].code);
        else
            methodology_note(draft, KC_ERR_INPUT, field, draft->base_marks[b].line,
                             "input '%s' is declared but no formula reads it",
                             draft->bases[b].code);
    }
    s_link(draft, refs);
    free(refs);
}

int methodology_check(sc_methodology_draft_t *draft)
{
    size_t before = draft->errors->total;
    s_check_head(draft);
    s_check_indicators(draft);
    s_check_inputs(draft);
    return draft->errors->total > before ? -1 : 0;
}
