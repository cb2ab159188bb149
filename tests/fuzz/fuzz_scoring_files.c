/*  fuzz_scoring_files: any text as a methodology, a reward policy and a
 *  scoring snapshot.
 *
 *  The three decoders of the scoring service read files people write by
 *  hand (the deploy/scoring INI files, given to `kcctl methodology load`) or text
 *  stored with a run and read back to reproduce it, so each input is fed
 *  to all four: methodology_parse, rewards_parse, snapshot_read and
 *  process_parse (the workflow's procedure files), the
 *  last against the default methodology (deploy/scoring/hebei-2019-v1.ini,
 *  parsed once at start-up; run.sh runs from the repository root).
 *
 *  Invariants checked (abort on breach, which libFuzzer reports as a crash):
 *    - each parser returns 0 or -1; methodology_parse and rewards_parse
 *      return -1 exactly when they added an error, snapshot_read exactly
 *      when it set one; every error has a code and a message;
 *    - methodology: after -1 `out` is all zero; after 0 the indicators'
 *      points add up to 100.00 and to each primary's points, every
 *      indicator names a primary, a known method with its parameters and
 *      either a submitted input of its own code or a formula over known
 *      inputs, the inputs are sorted and unique, every string fits, and
 *      every formula evaluates on all-present inputs without breaking;
 *    - rewards: after 0 every amount, year, place and step is within the
 *      range rewards_policy.c documents, the years in order (periods.h),
 *      small step below big step, the
 *      options are known values and the code is not empty;
 *    - both INI files: after 0 no line is longer than libinih reads (its
 *      tail would have been read as a line of its own), text is UTF-8 and
 *      the code goes into a snapshot and reads back;
 *    - snapshot: after -1 nothing is left allocated; after 0 the last year
 *      is the year scored, writing it gives text that reads back to an
 *      identical snapshot (every value to the same bits), and that one
 *      writes the same bytes again.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_check.h"
#include "kc/kc_error.h"
#include "scoring/methodology.h"
#include "scoring/periods.h"
#include "scoring/rewards.h"
#include "scoring/snapshot.h"
#include "process/process.h"

#define S_CHECK(condition)                                                                         \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define S_DEFAULT_METHODOLOGY "deploy/scoring/hebei-2019-v1.ini"
#define S_AMOUNT_MAX          1000000 /* rewards_policy.c: the largest amount a file may state */

/* A char array holds a NUL-terminated string. */
#define S_FITS(array) S_CHECK(memchr((array), '\0', sizeof(array)) != NULL)

#define S_LINE_MAX 196 /* bytes a line of either INI file may hold (libinih's limit) */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sc_methodology_t s_default;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE *file = fopen(S_DEFAULT_METHODOLOGY, "rb");
    if (!file) {
        perror("fuzz_scoring_files: " S_DEFAULT_METHODOLOGY " (run from the repository root)");
        abort();
    }
    static char text[256 * 1024];
    size_t size = fread(text, 1, sizeof text, file);
    fclose(file);
    kc_errors_t errors;
    kc_errors_init(&errors);
    if (size == sizeof text || methodology_parse(text, size, &s_default, &errors) != 0) {
        fprintf(stderr, "fuzz_scoring_files: %s does not parse\n", S_DEFAULT_METHODOLOGY);
        abort();
    }
    kc_errors_release(&errors);
    return 0;
}

static void s_check_errors(const kc_errors_t *errors, size_t before, int status)
{
    S_CHECK(status == 0 || status == -1);
    S_CHECK((status == -1) == (errors->total > before));
    for (size_t i = 0; i < errors->kept; i++) {
        S_CHECK(errors->items[i].code > KC_ERR_NONE && errors->items[i].code < KC_ERR_COUNT_);
        S_CHECK(errors->items[i].message[0] != '\0');
    }
}

/* A file that parsed has no line libinih would have cut (and read the
 * tail of as a line of its own). */
static void s_check_line_lengths(const uint8_t *data, size_t size)
{
    size_t at = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (at < size) {
        const uint8_t *newline = memchr(data + at, '\n', size - at);
        size_t length = newline ? (size_t)(newline - (data + at)) : size - at;
        S_CHECK(length <= S_LINE_MAX);
        at += length + 1;
    }
}

/* A code a file declared is written into a run's snapshot and reads back. */
static void s_check_code_in_snapshot(const char *methodology_code, const char *policy_code)
{
    S_CHECK(kc_utf8_length(methodology_code) >= 0 && kc_utf8_length(policy_code) >= 0);
    sc_snapshot_t snapshot = {.year = s_default.first_year, .n_years = 1};
    snprintf(snapshot.scope_code, sizeof snapshot.scope_code, "130000");
    S_CHECK(strlen(methodology_code) < sizeof snapshot.methodology_code);
    S_CHECK(strlen(policy_code) < sizeof snapshot.policy_code);
    memcpy(snapshot.methodology_code, methodology_code, strlen(methodology_code) + 1);
    memcpy(snapshot.policy_code, policy_code, strlen(policy_code) + 1);
    snapshot.years = calloc(1, sizeof *snapshot.years);
    S_CHECK(snapshot.years);
    snapshot_year_init(&snapshot.years[0], snapshot.year, 0, s_default.n_inputs);
    char *text = NULL;
    size_t size = 0;
    kc_error_t error;
    S_CHECK(snapshot_write(&s_default, &snapshot, &text, &size, &error) == 0);
    sc_snapshot_t back;
    S_CHECK(snapshot_read(&s_default, text, size, &back, &error) == 0);
    S_CHECK(strcmp(back.methodology_code, methodology_code) == 0);
    S_CHECK(strcmp(back.policy_code, policy_code) == 0);
    snapshot_release(&back);
    snapshot_release(&snapshot);
    free(text);
}

/* ---- methodology ---------------------------------------------------------- */

static void s_check_indicator(const sc_methodology_t *m, const sc_indicator_t *ind)
{
    S_FITS(ind->code);
    S_FITS(ind->name_zh);
    S_FITS(ind->unit);
    S_FITS(ind->provider);
    S_FITS(ind->source_note);
    S_FITS(ind->formula.text);
    S_CHECK(kc_utf8_length(ind->name_zh) >= 0 && kc_utf8_length(ind->unit) >= 0);
    S_CHECK(kc_utf8_length(ind->source_note) >= 0);
    S_CHECK(ind->code[0] != '\0');
    S_CHECK(ind->primary >= 0 && (size_t)ind->primary < m->n_primaries);
    S_CHECK(ind->points_centi >= 0 && ind->points_centi <= 100 * SC_CENTI);
    S_CHECK((unsigned)ind->method < SC_NORM_COUNT_);
    S_CHECK(ind->missing == SC_MISSING_CARRY_FORWARD || ind->missing == SC_MISSING_ZERO);
    S_CHECK(ind->qualitative == (ind->method == SC_NORM_RUBRIC));
    if (ind->method == SC_NORM_BENCHMARK)
        S_CHECK(ind->benchmark > 0 && isfinite(ind->benchmark));
    if (ind->method == SC_NORM_EFFICACY)
        S_CHECK(isfinite(ind->x_s) && isfinite(ind->x_h) && ind->x_s != ind->x_h);
    if (ind->method == SC_NORM_ZSCORE)
        S_CHECK(ind->z_cap > 0 && isfinite(ind->z_cap));
    if (ind->method == SC_NORM_RUBRIC)
        S_CHECK(ind->rubric_max > 0 && ind->min_raters >= 1 && ind->min_raters <= 99);
    S_CHECK(ind->jump_factor == 0 || ind->jump_factor > 1);
    if (ind->formula.n_ops == 0) {
        S_CHECK(ind->formula.text[0] == '\0');
        S_CHECK(ind->input >= 0 && (size_t)ind->input < m->n_inputs);
        S_CHECK(strcmp(m->inputs[ind->input], ind->code) == 0);
        S_CHECK(m->input_qualitative[ind->input] == ind->qualitative);
        return;
    }
    S_CHECK(!ind->qualitative && ind->input == -1 && ind->formula.n_ops <= SC_FORMULA_MAX_OPS);
    for (size_t k = 0; k < ind->formula.n_ops; k++) {
        const sc_op_t *op = &ind->formula.ops[k];
        S_CHECK(op->kind >= SC_OP_CONST && op->kind <= SC_OP_NEG);
        if (op->kind == SC_OP_INPUT)
            S_CHECK(op->input >= 0 && (size_t)op->input < m->n_inputs);
    }
}

/* Every formula evaluates without breaking: on ones, on a mix with a zero
 * (divisions fail cleanly) and with one input missing. */
static void s_evaluate_formulas(const sc_methodology_t *m)
{
    double values[SC_MAX_INPUTS];
    uint8_t present[SC_MAX_INPUTS];
    for (size_t i = 0; i < SC_MAX_INPUTS; i++) {
        values[i] = i % 3 == 2 ? 0.0 : 1.0 + (double)i;
        present[i] = i != 1;
    }
    for (size_t i = 0; i < m->n_indicators; i++) {
        const sc_formula_t *formula = &m->indicators[i].formula;
        if (formula->n_ops == 0)
            continue;
        double out = NAN;
        int status = methodology_formula_eval(formula, values, present, &out);
        S_CHECK(status == 0 || (status == 1 && isfinite(out)));
        memset(present, 1, sizeof present);
        status = methodology_formula_eval(formula, values, present, &out);
        S_CHECK(status == 0 || (status == 1 && isfinite(out)));
        present[1] = 0;
    }
}

static void s_check_methodology(const sc_methodology_t *m)
{
    S_FITS(m->code);
    S_FITS(m->framework);
    S_FITS(m->title_zh);
    S_CHECK(m->code[0] != '\0' && m->framework[0] != '\0' && m->title_zh[0] != '\0');
    S_CHECK(m->first_year >= PERIODS_YEAR_MIN && m->first_year <= m->last_year);
    S_CHECK(m->last_year <= PERIODS_YEAR_MAX || m->last_year == PERIODS_OPEN);
    S_CHECK(m->class_b_centi > 0 && m->class_b_centi < m->class_a_centi);
    S_CHECK(m->class_a_centi <= 100 * SC_CENTI);
    S_CHECK(m->tie_rule >= SC_TIE_COMPETITION && m->tie_rule <= SC_TIE_MODIFIED);
    S_CHECK(m->jump_factor == 0 || m->jump_factor > 1);
    S_CHECK(m->n_primaries >= 1 && m->n_primaries <= SC_MAX_PRIMARIES);
    S_CHECK(m->n_indicators >= 1 && m->n_indicators <= SC_MAX_INDICATORS);
    S_CHECK(m->n_inputs >= 1 && m->n_inputs <= SC_MAX_INPUTS);
    for (size_t i = 0; i < m->n_inputs; i++) {
        S_FITS(m->inputs[i]);
        S_CHECK(m->inputs[i][0] != '\0');
        if (i > 0)
            S_CHECK(strcmp(m->inputs[i - 1], m->inputs[i]) < 0); /* sorted, unique */
        S_CHECK(methodology_input_index(m, m->inputs[i]) == (int)i);
    }
    int32_t sums[SC_MAX_PRIMARIES] = {0};
    int32_t total = 0;
    for (size_t i = 0; i < m->n_indicators; i++) {
        const sc_indicator_t *ind = &m->indicators[i];
        s_check_indicator(m, ind);
        S_CHECK(methodology_indicator_index(m, ind->code) == (int)i); /* codes unique */
        sums[ind->primary] += ind->points_centi;
        total += ind->points_centi;
    }
    S_CHECK(total == 100 * SC_CENTI);
    for (size_t p = 0; p < m->n_primaries; p++) {
        S_FITS(m->primaries[p].code);
        S_FITS(m->primaries[p].name_zh);
        S_CHECK(m->primaries[p].code[0] != '\0' && m->primaries[p].name_zh[0] != '\0');
        S_CHECK(m->primaries[p].points_centi == sums[p] && sums[p] > 0);
        for (size_t q = 0; q < p; q++)
            S_CHECK(strcmp(m->primaries[q].code, m->primaries[p].code) != 0);
    }
    S_CHECK(strcmp(methodology_method_name(SC_NORM_COUNT_), "unknown") == 0);
    s_evaluate_formulas(m);
}

static void s_fuzz_methodology(const uint8_t *data, size_t size)
{
    static sc_methodology_t m; /* about 40 KiB: off the stack */
    static const sc_methodology_t zero;
    kc_errors_t errors;
    kc_errors_init(&errors);
    int status = methodology_parse((const char *)data, size, &m, &errors);
    s_check_errors(&errors, 0, status);
    if (status == 0) {
        s_check_methodology(&m);
        s_check_line_lengths(data, size);
        s_check_code_in_snapshot(m.code, "p");
    } else
        S_CHECK(memcmp(&m, &zero, sizeof m) == 0);
    kc_errors_release(&errors);
}

/* ---- rewards ---------------------------------------------------------------- */

static void s_check_policy(const sc_reward_policy_t *p)
{
    S_FITS(p->code);
    S_FITS(p->title_zh);
    S_CHECK(p->code[0] != '\0');
    S_CHECK(p->baseline_year >= 1900 && p->baseline_year <= 9999);
    S_CHECK(p->first_year <= p->last_year && p->last_year <= PERIODS_OPEN);
    S_CHECK(p->first_year == p->baseline_year || p->first_year >= PERIODS_YEAR_MIN);
    const int amounts[] = {p->amount_baseline_a,
                           p->amount_top3_a,
                           p->amount_b_to_a,
                           p->amount_c_to_b,
                           p->amount_rank_10,
                           p->amount_rank_5,
                           p->cap};
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++)
        S_CHECK(amounts[i] >= 0 && amounts[i] <= S_AMOUNT_MAX);
    S_CHECK(p->top_n >= 1 && p->top_n <= 1000);
    S_CHECK(p->rank_big_step >= 1 && p->rank_big_step <= 10000);
    S_CHECK(p->rank_small_step >= 1 && p->rank_small_step < p->rank_big_step);
    S_CHECK(p->c_to_a >= SC_C_TO_A_LEAP_TO_A && p->c_to_a <= SC_C_TO_A_NONE);
    S_CHECK(p->rank_when >= SC_RANK_WHEN_CLASS_UNCHANGED && p->rank_when <= SC_RANK_ALWAYS);
    S_CHECK(p->releap >= SC_RELEAP_EVER_HELD && p->releap <= SC_RELEAP_HELD_OR_HIGHER);
}

/* A parsed policy is also applied to a short history that touches every
 * rule: baseline A, a fall to C, C -> B, B -> A at the top, a climb. */
static void s_evaluate_policy(const sc_reward_policy_t *p)
{
    int y = p->baseline_year;
    const sc_class_record_t history[] = {
        {y, 'A', 2, 1},     {y + 1, 'C', 40, 1}, {y + 2, 'B', 20, 1}, {y + 3, 'A', 3, 2},
        {y + 4, 'A', 1, 1}, {y + 5, 'B', 30, 1}, {y + 6, 'B', 12, 1},
    };
    size_t n = sizeof history / sizeof history[0];
    for (size_t last = 1; last <= n; last++) {
        sc_county_awards_t out;
        rewards_evaluate(p, history[last - 1].year, history, last, &out);
        S_CHECK(out.n_awards <= sizeof out.awards / sizeof out.awards[0]);
        int sum = 0;
        for (size_t a = 0; a < out.n_awards; a++) {
            S_FITS(out.awards[a].rule);
            S_FITS(out.awards[a].reason);
            S_CHECK(out.awards[a].amount >= 0 && out.awards[a].amount <= S_AMOUNT_MAX);
            if (strcmp(out.awards[a].rule, "cap") != 0)
                sum += out.awards[a].amount;
        }
        S_CHECK(out.uncapped == sum);
        S_CHECK(out.total >= 0 && out.total <= out.uncapped && out.total <= p->cap);
        S_CHECK(out.total == (out.uncapped < p->cap ? out.uncapped : p->cap));
    }
}

static void s_fuzz_rewards(const uint8_t *data, size_t size)
{
    sc_reward_policy_t policy;
    kc_errors_t errors;
    kc_errors_init(&errors);
    int status = rewards_parse((const char *)data, size, &policy, &errors);
    s_check_errors(&errors, 0, status);
    if (status == 0) {
        s_check_policy(&policy);
        s_check_line_lengths(data, size);
        s_check_code_in_snapshot("m", policy.code);
        S_CHECK(kc_utf8_length(policy.title_zh) >= 0);
        s_evaluate_policy(&policy);
    }
    kc_errors_release(&errors);
}

/* ---- snapshot ----------------------------------------------------------------- */

static void s_check_same_snapshot(const sc_methodology_t *m, const sc_snapshot_t *a,
                                  const sc_snapshot_t *b)
{
    S_CHECK(strcmp(a->scope_code, b->scope_code) == 0);
    S_CHECK(strcmp(a->scope_name, b->scope_name) == 0);
    S_CHECK(a->year == b->year);
    S_CHECK(strcmp(a->methodology_code, b->methodology_code) == 0);
    S_CHECK(strcmp(a->methodology_sha256, b->methodology_sha256) == 0);
    S_CHECK(strcmp(a->policy_code, b->policy_code) == 0);
    S_CHECK(strcmp(a->policy_sha256, b->policy_sha256) == 0);
    S_CHECK(a->n_years == b->n_years);
    for (size_t y = 0; y < a->n_years; y++) {
        const sc_year_input_t *ya = &a->years[y], *yb = &b->years[y];
        S_CHECK(ya->year == yb->year && ya->n_counties == yb->n_counties);
        for (size_t c = 0; c < ya->n_counties; c++) {
            const sc_county_t *ca = &ya->counties[c], *cb = &yb->counties[c];
            S_FITS(ca->code);
            S_FITS(ca->name);
            S_FITS(ca->city_code);
            S_FITS(ca->city_name);
            S_CHECK(strcmp(ca->code, cb->code) == 0 && strcmp(ca->name, cb->name) == 0);
            S_CHECK(strcmp(ca->city_code, cb->city_code) == 0);
            S_CHECK(strcmp(ca->city_name, cb->city_name) == 0);
        }
        size_t cells = ya->n_counties * m->n_inputs;
        S_CHECK(memcmp(ya->present, yb->present, cells) == 0);
        for (size_t i = 0; i < cells; i++) {
            S_CHECK(ya->present[i] <= 1);
            /* Same bits: %.17g must read back exactly (and -0 stay -0). */
            S_CHECK(!ya->present[i] || memcmp(&ya->values[i], &yb->values[i], sizeof(double)) == 0);
        }
    }
}

static void s_fuzz_snapshot(const uint8_t *data, size_t size)
{
    const sc_methodology_t *m = &s_default;
    sc_snapshot_t first;
    kc_error_t error;
    kc_error_clear(&error);
    int status = snapshot_read(m, (const char *)data, size, &first, &error);
    S_CHECK(status == 0 || status == -1);
    S_CHECK((status == -1) == (error.code != KC_ERR_NONE));
    if (status == -1) {
        S_CHECK(error.message[0] != '\0');
        S_CHECK(first.years == NULL && first.n_years == 0);
        return;
    }
    S_FITS(first.scope_code);
    S_FITS(first.scope_name);
    S_FITS(first.methodology_code);
    S_FITS(first.methodology_sha256);
    S_FITS(first.policy_code);
    S_FITS(first.policy_sha256);
    S_CHECK(first.n_years >= 1 && first.years[first.n_years - 1].year == first.year);

    char *text = NULL, *again = NULL;
    size_t text_size = 0, again_size = 0;
    S_CHECK(snapshot_write(m, &first, &text, &text_size, &error) == 0);
    S_CHECK(text && strlen(text) == text_size);
    sc_snapshot_t second;
    S_CHECK(snapshot_read(m, text, text_size, &second, &error) == 0);
    s_check_same_snapshot(m, &first, &second);
    S_CHECK(snapshot_write(m, &second, &again, &again_size, &error) == 0);
    S_CHECK(again_size == text_size && memcmp(text, again, text_size) == 0);
    free(text);
    free(again);
    snapshot_release(&second);
    snapshot_release(&first);
    S_CHECK(first.years == NULL && first.n_years == 0);
}

/* A process definition (deploy/workflow): 0 or -1; -1 added errors; on
 * 0 the initial state and every transition's states are in range and
 * every state has a code. */
static void s_fuzz_process(const uint8_t *data, size_t size)
{
    static wf_process_t process;
    kc_errors_t errors;
    kc_errors_init(&errors);
    int status = process_parse((const char *)data, size, &process, &errors);
    S_CHECK(status == 0 || status == -1);
    S_CHECK((status == -1) == (errors.total > 0));
    if (status == 0) {
        S_CHECK(process.initial >= 0 && (size_t)process.initial < process.n_states);
        for (size_t t = 0; t < process.n_transitions; t++) {
            const wf_transition_t *transition = &process.transitions[t];
            S_CHECK(transition->from_any ||
                    (transition->from >= 0 && (size_t)transition->from < process.n_states));
            S_CHECK(transition->to_earlier ||
                    (transition->to >= 0 && (size_t)transition->to < process.n_states));
        }
        for (size_t i = 0; i < process.n_states; i++)
            S_CHECK(process.states[i].code[0] != '\0');
    }
    kc_errors_release(&errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_fuzz_methodology(data, size);
    s_fuzz_rewards(data, size);
    s_fuzz_snapshot(data, size);
    s_fuzz_process(data, size);
    return 0;
}
