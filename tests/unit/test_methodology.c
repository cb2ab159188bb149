/*  Unit tests of the methodology parser, its validation and the formulas:
 *  the shipped default (deploy/scoring/hebei-2019-v1.ini, read from the
 *  repository root where the tests run), a small hand-made methodology
 *  bent one way at a time, and formulas compiled and evaluated by hand.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/methodology.h"
#include "scoring/methodology_internal.h"

static sc_methodology_t s_m;
static kc_errors_t s_errors;

static void s_setup(void)
{
    memset(&s_m, 0, sizeof s_m);
    kc_errors_init(&s_errors);
}

static void s_teardown(void)
{
    kc_errors_release(&s_errors);
}

TestSuite(methodology, .init = s_setup, .fini = s_teardown);

/* Two primaries, three indicators (60 + 25 + 15 = 100), one derived from a
 * base input. Each test bends one line of it. */
static const char s_template[] = "[methodology]\n"
                                 "code = test-v1\n"
                                 "framework = hebei-2019\n"
                                 "title = 测试方法\n"
                                 "years = 2019-2021\n"
                                 "class_a = 80\n"
                                 "class_b = 60\n"
                                 "\n"
                                 "[primary.p]\n"
                                 "name = 甲\n"
                                 "points = 85\n"
                                 "[primary.q]\n"
                                 "name = 乙\n"
                                 "points = 15\n"
                                 "\n"
                                 "[indicator.X01]\n"
                                 "primary = p\n"
                                 "name = 甲一\n"
                                 "unit = 家\n"
                                 "kind = quantitative\n"
                                 "direction = positive\n"
                                 "points = 60\n"
                                 "method = benchmark\n"
                                 "benchmark = 10\n"
                                 "missing = zero\n"
                                 "provider = sti\n"
                                 "published = false\n"
                                 "[indicator.X02]\n"
                                 "primary = p\n"
                                 "name = 甲二\n"
                                 "unit = %\n"
                                 "kind = quantitative\n"
                                 "direction = positive\n"
                                 "points = 25\n"
                                 "method = benchmark\n"
                                 "benchmark = 2\n"
                                 "missing = carry_forward\n"
                                 "provider = finance\n"
                                 "published = true\n"
                                 "formula = 100 * X01 / B01\n"
                                 "[indicator.X03]\n"
                                 "primary = q\n"
                                 "name = 乙一\n"
                                 "unit = 分\n"
                                 "kind = qualitative\n"
                                 "direction = positive\n"
                                 "points = 15\n"
                                 "method = rubric\n"
                                 "min_raters = 5\n"
                                 "missing = zero\n"
                                 "provider = county\n"
                                 "published = false\n"
                                 "[input.B01]\n"
                                 "name = 一般公共预算支出\n"
                                 "unit = 万元\n"
                                 "provider = finance\n";

/* The template with the first `from` replaced by `to` (each a whole line or more). */
static int s_parse_variant(const char *from, const char *to)
{
    const char *at = strstr(s_template, from);
    cr_assert_not_null(at, "template has no '%s'", from);
    size_t head = (size_t)(at - s_template);
    size_t size = sizeof s_template + strlen(to);
    char *text = malloc(size);
    snprintf(text, size, "%.*s%s%s", (int)head, s_template, to, at + strlen(from));
    int rc = methodology_parse(text, strlen(text), &s_m, &s_errors);
    free(text);
    return rc;
}

static const kc_error_t *s_error_on(const char *field)
{
    for (size_t i = 0; i < s_errors.kept; i++)
        if (strcmp(s_errors.items[i].field, field) == 0)
            return &s_errors.items[i];
    return NULL;
}

static void s_expect_error(const char *field, const char *message)
{
    const kc_error_t *error = s_error_on(field);
    cr_assert_not_null(error, "no error on '%s' (%zu errors, first: %s: %s)", field, s_errors.total,
                       s_errors.kept ? s_errors.items[0].field : "",
                       s_errors.kept ? s_errors.items[0].message : "");
    cr_assert_str_eq(error->message, message);
}

static char *s_read_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    cr_assert_not_null(file, "cannot open %s (tests run from the repository root)", path);
    char *text = malloc(1 << 16);
    *size = fread(text, 1, (1 << 16) - 1, file);
    fclose(file);
    return text;
}

static void s_assert_parses_file(const char *path)
{
    size_t size = 0;
    char *text = s_read_file(path, &size);
    int rc = methodology_parse(text, size, &s_m, &s_errors);
    free(text);
    for (size_t i = 0; i < s_errors.kept; i++)
        cr_log_error("%s: %s (%s)", s_errors.items[i].field, s_errors.items[i].message,
                     s_errors.items[i].detail);
    cr_assert_eq(rc, 0, "%s does not validate", path);
}

Test(methodology, the_shipped_default_parses_with_17_indicators_and_the_expected_inputs)
{
    s_assert_parses_file("deploy/scoring/hebei-2019-v1.ini");
    cr_assert_str_eq(s_m.code, "hebei-2019-v1");
    cr_assert_eq(s_m.n_primaries, 5);
    cr_assert_eq(s_m.n_indicators, 17);
    /* Every non-derived indicator (all but I02 and I12) plus what the two
     * formulas read (I01, B01; B02, B03), sorted by strcmp. */
    static const char *const expected[] = {"B01", "B02", "B03", "I01", "I03", "I04",
                                           "I05", "I06", "I07", "I08", "I09", "I10",
                                           "I11", "I13", "I14", "I15", "I16", "I17"};
    cr_assert_eq(s_m.n_inputs, 18);
    for (size_t i = 0; i < 18; i++)
        cr_assert_str_eq(s_m.inputs[i], expected[i], "input %zu", i);
    int32_t total = 0;
    for (size_t i = 0; i < s_m.n_indicators; i++)
        total += s_m.indicators[i].points_centi;
    cr_assert_eq(total, 10000);
    /* 25/25/15/20/15 points, in file order. */
    static const int32_t primary_points[] = {2500, 2500, 1500, 2000, 1500};
    for (size_t p = 0; p < 5; p++)
        cr_assert_eq(s_m.primaries[p].points_centi, primary_points[p]);
    cr_assert_eq(s_m.class_a_centi, 8000);
    cr_assert_eq(s_m.class_b_centi, 6000);
    const sc_indicator_t *i01 = &s_m.indicators[methodology_indicator_index(&s_m, "I01")];
    cr_assert_eq(i01->benchmark, 30000.0);
    cr_assert_eq(i01->input, methodology_input_index(&s_m, "I01"));
    const sc_indicator_t *i02 = &s_m.indicators[1];
    cr_assert_str_eq(i02->code, "I02");
    cr_assert_eq(i02->input, -1);
    cr_assert_str_eq(i02->formula.text, "100 * I01 / B01");
    int i15 = methodology_input_index(&s_m, "I15");
    cr_assert(s_m.input_qualitative[i15]);
    cr_assert_eq(s_m.input_min_raters[i15], 3);
    cr_assert_not(s_m.input_qualitative[methodology_input_index(&s_m, "B01")]);
    cr_assert_eq(s_m.indicators[14].method, SC_NORM_RUBRIC);
    cr_assert_eq(s_m.indicators[16].missing, SC_MISSING_CARRY_FORWARD);
}

Test(methodology, the_shipped_default_computes_i02_and_i12_from_base_data)
{
    s_assert_parses_file("deploy/scoring/hebei-2019-v1.ini");
    double values[SC_MAX_INPUTS] = {0};
    uint8_t present[SC_MAX_INPUTS] = {0};
    /* I02 = 100 * 1500 / 60000 = 2.5 (%); I12 = 120 / 40 = 3 (件/万人). */
    values[methodology_input_index(&s_m, "I01")] = 1500;
    values[methodology_input_index(&s_m, "B01")] = 60000;
    values[methodology_input_index(&s_m, "B02")] = 120;
    values[methodology_input_index(&s_m, "B03")] = 40;
    memset(present, 1, sizeof present);
    double out = 0;
    cr_assert_eq(methodology_formula_eval(&s_m.indicators[1].formula, values, present, &out), 1);
    cr_assert_eq(out, 2.5);
    int i12 = methodology_indicator_index(&s_m, "I12");
    cr_assert_eq(methodology_formula_eval(&s_m.indicators[i12].formula, values, present, &out), 1);
    cr_assert_eq(out, 3.0);
}

Test(methodology, the_example_of_other_methods_validates)
{
    s_assert_parses_file("deploy/scoring/examples/sensitivity-mixed.ini");
    cr_assert_eq(s_m.indicators[0].method, SC_NORM_EFFICACY);
    cr_assert_eq(s_m.indicators[0].points_centi, 3025);
    cr_assert_eq(s_m.indicators[2].z_cap, 2.0);
    cr_assert_eq(s_m.tie_rule, SC_TIE_DENSE);
    cr_assert_eq(s_m.primaries[0].points_centi, 5550);
}

Test(methodology, the_template_parses)
{
    cr_assert_eq(s_parse_variant("code = test-v1\n", "code = test-v1\n"), 0);
    /* Inputs: X01, X03 (submitted), B01 (read by X02's formula); X02 is derived. */
    cr_assert_eq(s_m.n_inputs, 3);
    cr_assert_str_eq(s_m.inputs[0], "B01");
    cr_assert_str_eq(s_m.inputs[1], "X01");
    cr_assert_str_eq(s_m.inputs[2], "X03");
    cr_assert_eq(s_m.indicators[1].input, -1);
    cr_assert_eq(s_m.indicators[2].input, 2);
    cr_assert_eq(s_m.input_min_raters[2], 5);
    cr_assert_eq(s_m.indicators[2].rubric_max, 100.0); /* the default */
    cr_assert_eq(s_m.indicators[2].primary, 1);
    cr_assert_eq(s_m.tie_rule, SC_TIE_COMPETITION);
    cr_assert_eq(s_m.jump_factor, 3.0);
}

Test(methodology, total_from_and_min_coverage_default_to_exact_and_0_9)
{
    cr_assert_eq(s_parse_variant("class_b = 60\n", "class_b = 60\n"), 0);
    cr_assert_eq(s_m.total_from, SC_TOTAL_EXACT);
    cr_assert_float_eq(s_m.min_coverage, 0.9, 1e-12);
    cr_assert_eq(s_parse_variant("class_b = 60\n",
                                 "class_b = 60\ntotal_from = rounded_parts\nmin_coverage = 0\n"),
                 0);
    cr_assert_eq(s_m.total_from, SC_TOTAL_ROUNDED_PARTS);
    cr_assert_eq(s_m.min_coverage, 0.0);
    cr_assert_str_eq(methodology_total_name(SC_TOTAL_ROUNDED_PARTS), "rounded_parts");
}

Test(methodology, a_coverage_outside_0_to_1_is_rejected)
{
    cr_assert_eq(s_parse_variant("class_b = 60\n", "class_b = 60\nmin_coverage = 90\n"), -1);
    s_expect_error("methodology.min_coverage", "min_coverage 90 must lie between 0 and 1");
}

Test(methodology, the_described_methodology_says_each_rule_in_words)
{
    cr_assert_eq(s_parse_variant("class_b = 60\n", "class_b = 60\n"), 0);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert(out);
    methodology_describe(&s_m, out);
    fclose(out);
    const char *expected[] = {"总分80.00分（含）以上为A类",
                              "[total_from = exact] 各指标按精确得分相加，总分一次四舍五入",
                              "[tie_rule = competition]",
                              "[jump_factor = 3]",
                              "[exclude_zones = true]",
                              "[min_coverage = 0.9]",
                              "未参评",
                              "kcctl score --force"};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        cr_expect(strstr(text, expected[i]) != NULL, "missing '%s' in:\n%s", expected[i], text);
    free(text);
}

Test(methodology, points_that_add_up_to_99_are_rejected_with_the_sum_found)
{
    /* 59 + 25 + 15 = 99; primary p then sums to 84, not 85. */
    cr_assert_eq(s_parse_variant("points = 60\n", "points = 59\n"), -1);
    s_expect_error("indicators.points", "points add up to 99.00, not 100");
    s_expect_error("primary.p.points",
                   "indicators of primary 'p' add up to 84.00 points, not 85.00");
    cr_assert_eq(s_errors.total, 2);
    cr_assert_eq(s_m.n_indicators, 0, "a rejected methodology is left empty");
}

Test(methodology, an_unknown_method_is_rejected_with_the_known_ones_as_hint)
{
    cr_assert_eq(s_parse_variant("method = benchmark\nbenchmark = 10\n", "method = foo\n"), -1);
    s_expect_error("indicator.X01.method", "unknown method 'foo'");
    const kc_error_t *error = s_error_on("indicator.X01.method");
    cr_assert_str_eq(error->hint, "known: benchmark, efficacy, minmax, zscore, rubric");
    cr_assert_str_eq(error->detail, "line 23"); /* the line of "method = foo" */
    cr_assert_eq(s_errors.total, 1);
}

Test(methodology, an_unknown_key_is_rejected_not_ignored)
{
    cr_assert_eq(s_parse_variant("benchmark = 10\n", "bencmark = 10\n"), -1);
    s_expect_error("indicator.X01.bencmark", "unknown key 'bencmark' in [indicator.X01]");
    cr_assert_not_null(strstr(s_error_on("indicator.X01.bencmark")->hint, "benchmark"));
    /* ...and the key it should have been is then missing. */
    s_expect_error("indicator.X01.benchmark",
                   "method 'benchmark' needs 'benchmark' in [indicator.X01]");
}

Test(methodology, an_unknown_section_is_rejected)
{
    cr_assert_eq(s_parse_variant("[input.B01]", "[inputs.B01]"), -1);
    s_expect_error("inputs.B01", "unknown section [inputs.B01]");
    /* B01 is then not declared, so the formula reading it fails too. */
    s_expect_error("indicator.X02.formula", "formula reads unknown code 'B01'");
}

Test(methodology, several_errors_are_reported_at_once)
{
    static const char text[] = "[methodology]\n"
                               "code = Bad Code\n"
                               "framework = hebei-2019\n"
                               "title = 坏\n"
                               "years = 2021-2019\n"
                               "class_a = 60\n"
                               "class_b = 60\n"
                               "colour = blue\n"
                               "[primary.p]\n"
                               "name = 甲\n"
                               "points = 100\n"
                               "[indicator.X01]\n"
                               "primary = nope\n"
                               "name = 甲一\n"
                               "unit = 家\n"
                               "kind = quantitative\n"
                               "direction = positive\n"
                               "points = 100.001\n"
                               "method = rubric\n"
                               "missing = zero\n"
                               "provider = sti\n"
                               "published = maybe\n"
                               "formula = X01 * (2\n";
    cr_assert_eq(methodology_parse(text, strlen(text), &s_m, &s_errors), -1);
    s_expect_error("methodology.code",
                   "code 'Bad Code' may hold only lower-case letters, digits, '-', '.' and '_'");
    s_expect_error("methodology.years", "years out of order: 2021 comes after 2019");
    s_expect_error("methodology.class_b",
                   "class_b (60.00) must be above 0 and below class_a (60.00)");
    s_expect_error("methodology.colour", "unknown key 'colour' in [methodology]");
    s_expect_error("indicator.X01.primary", "unknown primary 'nope'");
    s_expect_error("indicator.X01.points", "points '100.001': more than 2 decimals");
    s_expect_error("indicator.X01.method", "method 'rubric' is for qualitative (rated) items only");
    s_expect_error("indicator.X01.published", "unknown published 'maybe'");
    s_expect_error("indicator.X01.formula", "'(' without ')' at character 9 of formula 'X01 * (2'");
    s_expect_error("primary.p.points", "primary 'p' has no indicators");
    cr_assert_eq(s_errors.total, 10);
}

Test(methodology, method_parameters_are_checked)
{
    cr_assert_eq(s_parse_variant("benchmark = 10\n", "benchmark = 0\n"), -1);
    s_expect_error("indicator.X01.benchmark", "benchmark must be above 0");
    kc_errors_release(&s_errors);
    kc_errors_init(&s_errors);

    cr_assert_eq(s_parse_variant("method = benchmark\nbenchmark = 10\n",
                                 "method = efficacy\nlow = 5\nhigh = 5\n"),
                 -1);
    s_expect_error("indicator.X01.high", "low and high are both 5: efficacy needs two values");
    kc_errors_release(&s_errors);
    kc_errors_init(&s_errors);

    cr_assert_eq(s_parse_variant("method = benchmark\nbenchmark = 10\n",
                                 "method = efficacy\nlow = 50\nhigh = 5\n"),
                 -1);
    s_expect_error("indicator.X01.high",
                   "high (5) must be above low (50) for a positive indicator");
    kc_errors_release(&s_errors);
    kc_errors_init(&s_errors);

    cr_assert_eq(s_parse_variant("method = benchmark\nbenchmark = 10\n", "method = minmax\n"), 0);
    cr_assert_eq(s_parse_variant("method = benchmark\nbenchmark = 10\n",
                                 "method = zscore\nbenchmark = 10\n"),
                 -1);
    s_expect_error("indicator.X01.benchmark", "'benchmark' does not apply to method 'zscore'");
}

Test(methodology, a_qualitative_item_must_be_rated_and_cannot_have_a_formula)
{
    cr_assert_eq(s_parse_variant("kind = qualitative\n", "kind = qualitative\nformula = X01\n"),
                 -1);
    s_expect_error("indicator.X03.formula", "a qualitative (rated) item cannot have a formula");
    kc_errors_release(&s_errors);
    kc_errors_init(&s_errors);
    cr_assert_eq(
        s_parse_variant("method = rubric\nmin_raters = 5\n", "method = benchmark\nbenchmark = 1\n"),
        -1);
    s_expect_error("indicator.X03.method",
                   "a qualitative item is rated: its method must be 'rubric'");
}

Test(methodology, formulas_read_only_submitted_values)
{
    /* X01 made derived from X02, itself derived: refused both ways. */
    cr_assert_eq(s_parse_variant("published = false\n[indicator.X02]",
                                 "published = false\nformula = X02 * 2\n[indicator.X02]"),
                 -1);
    s_expect_error("indicator.X01.formula",
                   "formula reads 'X02', which is itself computed by a formula");
    s_expect_error("indicator.X02.formula",
                   "formula reads 'X01', which is itself computed by a formula");
}

Test(methodology, an_unused_base_input_and_a_duplicate_section_are_reported)
{
    cr_assert_eq(s_parse_variant("formula = 100 * X01 / B01\n", ""), -1);
    s_expect_error("input.B01", "input 'B01' is declared but no formula reads it");
    kc_errors_release(&s_errors);
    kc_errors_init(&s_errors);
    cr_assert_eq(s_parse_variant("[primary.q]\n", "[primary.p]\n"), -1);
    s_expect_error("primary.p", "section [primary.p] appears twice (first at line 9)");
}

Test(methodology, lines_libinih_would_misread_are_rejected)
{
    char long_title[300];
    memset(long_title, 'x', sizeof long_title);
    memcpy(long_title, "title = ", 8);
    memcpy(long_title + 250, "\n", 2);
    cr_assert_eq(s_parse_variant("title = 测试方法\n", long_title), -1);
    cr_assert_str_eq(s_errors.items[0].message,
                     "line 4 is 250 bytes long, at most 196 (about 65 Chinese characters): "
                     "split the comment or shorten the value");
    kc_errors_release(&s_errors);
    kc_errors_init(&s_errors);
    cr_assert_eq(s_parse_variant("unit = 家\n", "unit = 家\n   more text\n"), -1);
    cr_assert_str_eq(s_errors.items[0].message,
                     "line 20 is indented, so it would continue the previous value");
}

Test(methodology, a_missing_required_key_is_named)
{
    cr_assert_eq(s_parse_variant("provider = sti\n", ""), -1);
    s_expect_error("indicator.X01.provider", "missing key 'provider' in [indicator.X01]");
    cr_assert_eq(s_errors.total, 1);
}

Test(methodology, points_are_parsed_exactly_from_decimal_text)
{
    /* Through a double, 0.29 * 100 is 28.999999999999996 and 4.35 * 100 is
     * 434.99999999999994: truncation would lose a centipoint. */
    static const struct {
        const char *text;
        int32_t centi;
    } good[] = {{"0.29", 29}, {"4.35", 435},  {"7.25", 725},     {"7.5", 750},
                {"7", 700},   {"100", 10000}, {"100.00", 10000}, {"0.01", 1}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int32_t centi = -1;
        const char *why = NULL;
        cr_assert_eq(methodology_points_parse(good[i].text, &centi, &why), 0, "%s", good[i].text);
        cr_assert_eq(centi, good[i].centi, "%s", good[i].text);
    }
    static const struct {
        const char *text;
        const char *why;
    } bad[] = {{"7.255", "more than 2 decimals"},
               {"100.01", "above 100"},
               {"1000", "above 100"},
               {"-1", "not a number of points (write 7 or 7.25)"},
               {"7.", "not a number of points (write 7 or 7.25)"},
               {".5", "not a number of points (write 7 or 7.25)"},
               {"", "not a number of points (write 7 or 7.25)"},
               {"7 points", "not a number of points (write 7 or 7.25)"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t centi = 0;
        const char *why = NULL;
        cr_assert_eq(methodology_points_parse(bad[i].text, &centi, &why), -1, "%s", bad[i].text);
        cr_assert_str_eq(why, bad[i].why, "%s", bad[i].text);
    }
}

Test(methodology, decimal_points_that_add_up_to_100_are_accepted)
{
    /* 33.33 + 51.67 = 85.00 for p, 15 for q: exactly 10000 centipoints. */
    cr_assert_eq(s_parse_variant("points = 60\n", "points = 33.33\n"), -1);
    s_expect_error("indicators.points", "points add up to 73.33, not 100");
    kc_errors_release(&s_errors);
    kc_errors_init(&s_errors);
    static const char both[] =
        "points = 33.33\nmethod = benchmark\nbenchmark = 10\nmissing = zero\n"
        "provider = sti\npublished = false\n[indicator.X02]\nprimary = p\n"
        "name = 甲二\nunit = %\nkind = quantitative\ndirection = positive\n"
        "points = 51.67\n";
    cr_assert_eq(
        s_parse_variant("points = 60\nmethod = benchmark\nbenchmark = 10\nmissing = zero\n"
                        "provider = sti\npublished = false\n[indicator.X02]\nprimary = p\n"
                        "name = 甲二\nunit = %\nkind = quantitative\ndirection = positive\n"
                        "points = 25\n",
                        both),
        0);
    cr_assert_eq(s_m.indicators[0].points_centi, 3333);
    cr_assert_eq(s_m.indicators[1].points_centi, 5167);
    cr_assert_eq(s_m.primaries[0].points_centi, 8500);
}

/* ---- formulas ----------------------------------------------------------- */

/* Compile `text`; operands A, B, C... are bound to values[] by first use. */
static int s_eval(const char *text, const double *values, const uint8_t *present, double *out)
{
    sc_formula_t formula;
    sc_formula_refs_t refs;
    kc_error_t error;
    cr_assert_eq(methodology_formula_compile(text, &formula, &refs, &error), 0, "%s: %s", text,
                 error.message);
    return methodology_formula_eval(&formula, values, present, out);
}

static double s_value(const char *text)
{
    static const double values[] = {6, 3, 2};
    static const uint8_t present[] = {1, 1, 1};
    double out = NAN;
    cr_assert_eq(s_eval(text, values, present, &out), 1, "%s", text);
    return out;
}

Test(methodology, formulas_follow_precedence_parentheses_and_unary_minus)
{
    /* A = 6, B = 3, C = 2 (bound in order of first use). */
    cr_assert_eq(s_value("1 + 2 * 3"), 7.0);
    cr_assert_eq(s_value("(1 + 2) * 3"), 9.0);
    cr_assert_eq(s_value("10 - 4 - 3"), 3.0); /* left to right: (10 - 4) - 3 */
    cr_assert_eq(s_value("8 / 4 / 2"), 1.0);  /* (8 / 4) / 2 */
    cr_assert_eq(s_value("-2 * 3"), -6.0);
    cr_assert_eq(s_value("2 * -3"), -6.0);
    cr_assert_eq(s_value("-(1 - 4)"), 3.0);
    cr_assert_eq(s_value("- -5"), 5.0);
    cr_assert_eq(s_value("A / B - C"), 0.0);         /* 6 / 3 - 2 */
    cr_assert_eq(s_value("A / (B - C)"), 6.0);       /* 6 / 1 */
    cr_assert_eq(s_value("100 * A / B"), 200.0);     /* 600 / 3 */
    cr_assert_eq(s_value("0.5 * (A + B) * C"), 9.0); /* 0.5 * 9 * 2 */
}

Test(methodology, a_formula_has_no_value_on_a_zero_divisor_or_a_missing_operand)
{
    static const double values[] = {6, 0};
    static const uint8_t present[] = {1, 1};
    static const uint8_t absent[] = {1, 0};
    double out = 42;
    cr_assert_eq(s_eval("A / B", values, present, &out), 0);
    cr_assert_eq(s_eval("A / (B * 2)", values, present, &out), 0);
    cr_assert_eq(s_eval("A + B", values, absent, &out), 0);
    cr_assert_eq(out, 42.0, "out is left alone");
    cr_assert_eq(s_eval("A + B", values, present, &out), 1);
    cr_assert_eq(out, 6.0);
}

Test(methodology, malformed_formulas_are_rejected_with_the_place)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"", "formula is empty"},
        {"1 +", "an operand is missing at character 4 of formula '1 +'"},
        {"(1", "'(' without ')' at character 3 of formula '(1'"},
        {"1)", "')' without '(' at character 2 of formula '1)'"},
        {"1 2", "expected an operator (+ - * /) or ')' at character 3 of formula '1 2'"},
        {"i01", "codes are upper case (I01, B02): unexpected lower-case letter at character 1 "
                "of formula 'i01'"},
        {"1.", "a digit must follow the decimal point at character 3 of formula '1.'"},
        {"+1", "expected a number, a code, '(' or '-' at character 1 of formula '+1'"},
        {"()", "expected a number, a code, '(' or '-' at character 2 of formula '()'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sc_formula_t formula;
        sc_formula_refs_t refs;
        kc_error_t error;
        cr_assert_eq(methodology_formula_compile(cases[i].text, &formula, &refs, &error), -1, "%s",
                     cases[i].text);
        cr_assert_str_eq(error.message, cases[i].message);
    }
}

Test(methodology, names_are_stable)
{
    cr_assert_str_eq(methodology_method_name(SC_NORM_EFFICACY), "efficacy");
    cr_assert_str_eq(methodology_method_name(SC_NORM_COUNT_), "unknown");
    cr_assert_str_eq(methodology_missing_name(SC_MISSING_CARRY_FORWARD), "carry_forward");
    cr_assert_str_eq(methodology_tie_name(SC_TIE_MODIFIED), "modified");
}
