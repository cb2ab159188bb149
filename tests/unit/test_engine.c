/*  Unit tests of engine_score_year over hand-built methodologies (the
 *  struct filled in directly, formulas written as RPN ops, so these tests
 *  do not depend on the INI parser): points and half-up rounding, classes,
 *  ranks in the scope and the city, carry forward, missing values, jump
 *  flags and derived indicators. Random-input properties (exact sums,
 *  determinism, monotonicity) are in test_engine_properties.c, the year
 *  comparison and the gaps in test_engine_compare.c.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine_fixture.h"

Test(engine, points_round_half_up_and_add_up_to_the_class)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 2);
    m.indicators[0].points_centi = 700; /* benchmark 8 */
    m.indicators[0].benchmark = 8.0;
    m.indicators[1].points_centi = 9300; /* benchmark 100, second primary */
    m.indicators[1].primary = 1;
    engine_year_t year = engine_fixture_year(2024, 2, 2);
    engine_fixture_set(&year, 0, 0, 1.0);  /* 700 x 1/8 = 87.5 -> 88 (half up) */
    engine_fixture_set(&year, 0, 1, 70.0); /* 9300 x 0.7 = 6510 */
    engine_fixture_set(&year, 1, 0, 9.0);  /* capped: 700 */
    engine_fixture_set(&year, 1, 1, 80.0); /* 7440; total 8140 -> A */
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &year.input, NULL, &result, &error), 0, "%s", error.message);
    sc_county_result_t *first = &result.counties[0], *second = &result.counties[1];
    cr_expect_eq(first->points[0], 88);
    cr_expect_eq(first->points[1], 6510);
    cr_expect_eq(first->subtotal[0], 88);
    cr_expect_eq(first->subtotal[1], 6510);
    cr_expect_eq(first->total, 6598); /* 88 + 6510: B */
    cr_expect_eq(first->klass, 'B');
    cr_expect_float_eq(first->normalised[0], 0.125, 1e-15);
    cr_expect_eq(second->total, 8140);
    cr_expect_eq(second->klass, 'A');
    cr_expect_eq(second->rank, 1);
    cr_expect_eq(first->rank, 2);
    engine_result_release(&result);
    engine_fixture_year_free(&year);
}

Test(engine, class_thresholds_are_inclusive)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 1);
    cr_expect_eq(engine_class_of(&m, 8000), 'A');
    cr_expect_eq(engine_class_of(&m, 7999), 'B');
    cr_expect_eq(engine_class_of(&m, 6000), 'B');
    cr_expect_eq(engine_class_of(&m, 5999), 'C');
}

Test(engine, counties_rank_in_the_scope_and_in_their_city)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 1); /* one indicator worth 100, benchmark 100: x -> x points */
    /* city 130100: 90, 80, 80, 70; city 130200: 85, 60 (interleaved in input order) */
    double totals[] = {90.0, 85.0, 80.0, 60.0, 80.0, 70.0};
    const char *cities[] = {"130100", "130200", "130100", "130200", "130100", "130100"};
    engine_year_t year = engine_fixture_year(2024, 6, 1);
    for (size_t i = 0; i < 6; i++) {
        engine_fixture_set(&year, i, 0, totals[i]);
        snprintf(year.input.counties[i].city_code, SC_COUNTY_CODE_MAX, "%s", cities[i]);
    }
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &year.input, NULL, &result, &error), 0);
    /* scope, competition: 90 1, 85 2, 80 3, 80 3, 70 5, 60 6 */
    int scope[] = {1, 2, 3, 6, 3, 5};
    /* 130100: 90 1, 80 2, 80 2, 70 4; 130200: 85 1, 60 2 */
    int city[] = {1, 1, 2, 2, 2, 4};
    for (size_t i = 0; i < 6; i++) {
        cr_expect_eq(result.counties[i].rank, scope[i], "county %zu", i);
        cr_expect_eq(result.counties[i].rank_in_city, city[i], "county %zu", i);
    }
    engine_result_release(&result);
    m.tie_rule = SC_TIE_MODIFIED; /* 130100 becomes 1 3 3 4 */
    cr_assert_eq(engine_score_year(&m, &year.input, NULL, &result, &error), 0);
    cr_expect_eq(result.counties[2].rank_in_city, 3);
    cr_expect_eq(result.counties[4].rank, 4);
    engine_result_release(&result);
    engine_fixture_year_free(&year);
}

Test(engine, counties_of_the_country_rank_in_their_province_too)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 1);
    /* Hebei 130101 90, 130102 70; Shanxi 140101 80, 140102 95 */
    const char *codes[] = {"130101", "130102", "140101", "140102"};
    double totals[] = {90.0, 70.0, 80.0, 95.0};
    engine_year_t year = engine_fixture_year(2024, 4, 1);
    for (size_t i = 0; i < 4; i++) {
        snprintf(year.input.counties[i].code, SC_COUNTY_CODE_MAX, "%s", codes[i]);
        snprintf(year.input.counties[i].city_code, SC_COUNTY_CODE_MAX, "%.4s00", codes[i]);
        engine_fixture_set(&year, i, 0, totals[i]);
    }
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &year.input, NULL, &result, &error), 0);
    int scope[] = {2, 4, 3, 1}, province[] = {1, 2, 2, 1};
    for (size_t i = 0; i < 4; i++) {
        cr_expect_eq(result.counties[i].rank, scope[i], "county %zu", i);
        cr_expect_eq(result.counties[i].rank_in_province, province[i], "county %zu", i);
    }
    engine_result_release(&result);
    engine_fixture_year_free(&year);
}

/* Seventeen indicators (588 points each, the last 592): sixteen of them
 * earn x.5625 points each, which round up by 0.4375, the last exactly 464.
 * The exact total is 79.93; the rounded parts add up to 80.00. */
static void s_county_of_79_93(sc_methodology_t *m, engine_year_t *year)
{
    engine_fixture_methodology(m, 17);
    *year = engine_fixture_year(2024, 1, 17);
    for (size_t j = 0; j < 16; j++)
        engine_fixture_set(year, 0, j, 470.5625 / 588.0 * 100.0);
    engine_fixture_set(year, 0, 16, 464.0 / 592.0 * 100.0);
}

Test(engine, a_county_whose_exact_total_is_79_93_is_class_b_and_flagged)
{
    sc_methodology_t m;
    engine_year_t year;
    s_county_of_79_93(&m, &year);
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &year.input, NULL, &result, &error), 0);
    const sc_county_result_t *county = &result.counties[0];
    int32_t parts = 0;
    for (size_t j = 0; j < 17; j++)
        parts += county->points[j];
    cr_expect_eq(county->points[0], 471); /* shown rounded */
    cr_expect_eq(parts, 8000);
    cr_expect_float_eq(county->total_exact, 7993.0, 1e-6);
    cr_expect_eq(county->total, 7993); /* the default: exact, rounded once */
    cr_expect_eq(county->klass, 'B');
    cr_expect_eq(county->total_other, 8000);
    cr_expect_eq(county->class_other, 'A'); /* the other rule would class it A: flagged */
    engine_result_release(&result);
    m.total_from = SC_TOTAL_ROUNDED_PARTS; /* the earlier rule, kept as an option */
    cr_assert_eq(engine_score_year(&m, &year.input, NULL, &result, &error), 0);
    cr_expect_eq(result.counties[0].total, 8000);
    cr_expect_eq(result.counties[0].klass, 'A');
    cr_expect_eq(result.counties[0].class_other, 'B');
    engine_result_release(&result);
    engine_fixture_year_free(&year);
}

Test(engine, a_missing_value_carries_forward_one_year_flagged_imputed)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 3); /* 3333 + 3333 + 3334 centipoints */
    m.indicators[0].missing = SC_MISSING_CARRY_FORWARD;
    m.indicators[1].missing = SC_MISSING_ZERO;
    m.indicators[2].missing = SC_MISSING_CARRY_FORWARD;
    engine_year_t last = engine_fixture_year(2023, 1, 3);
    engine_fixture_set(&last, 0, 0, 40.0);
    engine_fixture_set(&last, 0, 1, 50.0); /* nothing for I03 last year either */
    engine_year_t now = engine_fixture_year(2024, 1, 3);
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &now.input, &last.input, &result, &error), 0);
    sc_county_result_t *county = &result.counties[0];
    cr_expect_eq(county->flags[0], SC_FLAG_IMPUTED);
    cr_expect_eq(county->value[0], 40.0);
    cr_expect_eq(county->points[0], 1333);           /* 3333 x 0.4 = 1333.2 -> 1333 */
    cr_expect_eq(county->flags[1], SC_FLAG_MISSING); /* rule zero: no value, no points */
    cr_expect_eq(county->value[1], 0.0);
    cr_expect_eq(county->normalised[1], 0.0);
    cr_expect_eq(county->points[1], 0);
    cr_expect_eq(county->flags[2], SC_FLAG_MISSING); /* nothing to carry */
    cr_expect_eq(county->total, 1333);
    cr_expect_eq(county->flag_count, 0);
    engine_result_release(&result);
    /* the county is matched by code, not position: another county first */
    engine_year_t moved = engine_fixture_year(2023, 2, 3);
    snprintf(moved.input.counties[0].code, SC_COUNTY_CODE_MAX, "130999");
    snprintf(moved.input.counties[1].code, SC_COUNTY_CODE_MAX, "130101");
    engine_fixture_set(&moved, 1, 0, 60.0);
    cr_assert_eq(engine_score_year(&m, &now.input, &moved.input, &result, &error), 0);
    cr_expect_eq(result.counties[0].value[0], 60.0);
    cr_expect_eq(result.counties[0].points[0], 2000); /* 3333 x 0.6 = 1999.8 -> 2000 */
    engine_result_release(&result);
    engine_fixture_year_free(&moved);
    engine_fixture_year_free(&now);
    engine_fixture_year_free(&last);
}

Test(engine, jumps_beyond_the_factor_are_flagged_and_counted)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 5);
    m.jump_factor = 3.0;
    m.indicators[3].jump_factor = 5.0;                  /* its own factor wins */
    m.indicators[4].missing = SC_MISSING_CARRY_FORWARD; /* carried: never a jump */
    engine_year_t last = engine_fixture_year(2023, 1, 5);
    engine_year_t now = engine_fixture_year(2024, 1, 5);
    double before[] = {10.0, 10.0, 10.0, 10.0, 1.0};
    double after[] = {31.0, 30.0, 3.0, 31.0, 0.0};
    for (size_t j = 0; j < 5; j++) {
        engine_fixture_set(&last, 0, j, before[j]);
        if (j < 4)
            engine_fixture_set(&now, 0, j, after[j]);
    }
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &now.input, &last.input, &result, &error), 0);
    const uint8_t *flags = result.counties[0].flags;
    cr_expect_eq(flags[0], SC_FLAG_JUMP); /* 31 / 10 = 3.1 > 3 */
    cr_expect_eq(flags[1], 0);            /* 30 / 10 = 3: not beyond */
    cr_expect_eq(flags[2], SC_FLAG_JUMP); /* 10 / 3 = 3.33 > 3, downwards */
    cr_expect_eq(flags[3], 0);            /* 3.1 < its own 5 */
    cr_expect_eq(flags[4], SC_FLAG_IMPUTED);
    cr_expect_eq(result.counties[0].flag_count, 2);
    engine_result_release(&result);
    m.jump_factor = 0.0; /* disabled, except I04's own factor, still not exceeded */
    cr_assert_eq(engine_score_year(&m, &now.input, &last.input, &result, &error), 0);
    cr_expect_eq(result.counties[0].flag_count, 0);
    engine_result_release(&result);
    engine_fixture_year_free(&now);
    engine_fixture_year_free(&last);
}

/* I01 = 100 * B01 / B02 over inputs B01 (R&D spending) and B02 (GDP):
 * RPN 100 B01 * B02 /. Benchmark 2 %, worth 600; I02 reads B02 itself. */
static void s_derived_methodology(sc_methodology_t *m, sc_missing_rule_t rule)
{
    engine_fixture_methodology(m, 2);
    memcpy(m->inputs[0], "B01", 4);
    memcpy(m->inputs[1], "B02", 4);
    sc_indicator_t *derived = &m->indicators[0];
    derived->points_centi = 600;
    derived->benchmark = 2.0;
    derived->missing = rule;
    derived->input = -1;
    derived->formula.n_ops = 5;
    derived->formula.ops[0] = (sc_op_t){.kind = SC_OP_CONST, .constant = 100.0};
    derived->formula.ops[1] = (sc_op_t){.kind = SC_OP_INPUT, .input = 0};
    derived->formula.ops[2] = (sc_op_t){.kind = SC_OP_MUL};
    derived->formula.ops[3] = (sc_op_t){.kind = SC_OP_INPUT, .input = 1};
    derived->formula.ops[4] = (sc_op_t){.kind = SC_OP_DIV};
    m->indicators[1].points_centi = 9400;
    m->indicators[1].benchmark = 100000.0;
    m->indicators[1].input = 1;
    m->indicators[1].missing = SC_MISSING_ZERO;
}

Test(engine, a_derived_indicator_is_computed_from_its_inputs)
{
    sc_methodology_t m;
    s_derived_methodology(&m, SC_MISSING_CARRY_FORWARD);
    engine_year_t year = engine_fixture_year(2024, 2, 2);
    engine_fixture_set(&year, 0, 0, 300.0);   /* 100 x 300 / 20000 = 1.5 % */
    engine_fixture_set(&year, 0, 1, 20000.0); /* share 1.5 / 2 = 0.75 -> 450 */
    engine_fixture_set(&year, 1, 0, 300.0);
    engine_fixture_set(&year, 1, 1, 0.0); /* a zero divisor: no value */
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &year.input, NULL, &result, &error), 0);
    cr_expect_float_eq(result.counties[0].value[0], 1.5, 1e-12);
    cr_expect_eq(result.counties[0].points[0], 450);
    cr_expect_eq(result.counties[0].flags[0], 0);
    cr_expect_eq(result.counties[0].points[1], 1880); /* 9400 x 0.2 */
    cr_expect_eq(result.counties[1].flags[0], SC_FLAG_MISSING);
    cr_expect_eq(result.counties[1].points[0], 0);
    engine_result_release(&result);
    engine_fixture_year_free(&year);
}

Test(engine, a_derived_indicator_over_a_carried_input_is_imputed_under_its_own_rule)
{
    sc_methodology_t m;
    s_derived_methodology(&m, SC_MISSING_CARRY_FORWARD);
    engine_year_t last = engine_fixture_year(2023, 1, 2);
    engine_fixture_set(&last, 0, 0, 280.0);
    engine_fixture_set(&last, 0, 1, 25000.0);
    engine_year_t now = engine_fixture_year(2024, 1, 2);
    engine_fixture_set(&now, 0, 0, 300.0); /* B02 not submitted this year */
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &now.input, &last.input, &result, &error), 0);
    /* 100 x 300 / 25000 = 1.2 %: this year's B01 over last year's B02; 600 x 0.6 = 360 */
    cr_expect_float_eq(result.counties[0].value[0], 1.2, 1e-12);
    cr_expect_eq(result.counties[0].flags[0], SC_FLAG_IMPUTED);
    cr_expect_eq(result.counties[0].points[0], 360);
    /* I02 reads B02 under rule zero: last year's GDP is not carried for it */
    cr_expect_eq(result.counties[0].flags[1], SC_FLAG_MISSING);
    engine_result_release(&result);
    s_derived_methodology(&m, SC_MISSING_ZERO); /* the derived one refuses it too */
    cr_assert_eq(engine_score_year(&m, &now.input, &last.input, &result, &error), 0);
    cr_expect_eq(result.counties[0].flags[0], SC_FLAG_MISSING);
    cr_expect_eq(result.counties[0].total, 0);
    engine_result_release(&result);
    engine_fixture_year_free(&now);
    engine_fixture_year_free(&last);
}

Test(engine, a_derived_indicator_jumps_against_last_years_submissions)
{
    sc_methodology_t m;
    s_derived_methodology(&m, SC_MISSING_ZERO);
    m.jump_factor = 3.0;
    engine_year_t last = engine_fixture_year(2023, 1, 2);
    engine_fixture_set(&last, 0, 0, 50.0);
    engine_fixture_set(&last, 0, 1, 20000.0); /* 0.25 % */
    engine_year_t now = engine_fixture_year(2024, 1, 2);
    engine_fixture_set(&now, 0, 0, 300.0);
    engine_fixture_set(&now, 0, 1, 20000.0); /* 1.5 %: x6 */
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &now.input, &last.input, &result, &error), 0);
    cr_expect_eq(result.counties[0].flags[0], SC_FLAG_JUMP);
    cr_expect_eq(result.counties[0].flags[1], 0); /* GDP unchanged */
    cr_expect_eq(result.counties[0].flag_count, 1);
    engine_result_release(&result);
    engine_fixture_year_free(&now);
    engine_fixture_year_free(&last);
}

Test(engine, a_methodology_that_does_not_match_is_refused)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 2);
    m.indicators[1].input = 7; /* only 2 inputs */
    engine_year_t year = engine_fixture_year(2024, 1, 2);
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_expect_eq(engine_score_year(&m, &year.input, NULL, &result, &error), -1);
    cr_expect_eq(error.code, KC_ERR_INPUT);
    cr_expect_str_eq(error.field, "indicator.I02");
    cr_expect_null(result.counties);
    engine_fixture_year_free(&year);
}

Test(engine, a_non_finite_submission_counts_as_missing)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 1);
    engine_year_t year = engine_fixture_year(2024, 1, 1);
    engine_fixture_set(&year, 0, 0, NAN);
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &year.input, NULL, &result, &error), 0);
    cr_expect_eq(result.counties[0].flags[0], SC_FLAG_MISSING);
    cr_expect_eq(result.counties[0].total, 0);
    engine_result_release(&result);
    engine_fixture_year_free(&year);
}

static char *s_read_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    cr_assert_not_null(file, "cannot open \"%s\" (tests run from the repository root)", path);
    fseek(file, 0, SEEK_END);
    *size = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    char *text = calloc(1, *size + 1);
    cr_assert_eq(fread(text, 1, *size, file), *size);
    fclose(file);
    return text;
}

/* End to end with the parser: the shipped default methodology, one county
 * that reported only I01 and the base input B01. */
Test(engine, the_shipped_methodology_derives_i02_from_i01_and_b01)
{
    size_t size = 0;
    char *text = s_read_file("deploy/scoring/hebei-2019-v1.ini", &size);
    sc_methodology_t m;
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(methodology_parse(text, size, &m, &errors), 0);
    kc_errors_release(&errors);
    free(text);
    engine_year_t year = engine_fixture_year(2024, 1, m.n_inputs);
    engine_fixture_set(&year, 0, (size_t)methodology_input_index(&m, "I01"), 15000.0);
    engine_fixture_set(&year, 0, (size_t)methodology_input_index(&m, "B01"), 500000.0);
    sc_year_result_t result;
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(&m, &year.input, NULL, &result, &error), 0, "%s", error.message);
    int i01 = methodology_indicator_index(&m, "I01"), i02 = methodology_indicator_index(&m, "I02");
    const sc_county_result_t *county = &result.counties[0];
    cr_expect_eq(county->points[i01], 350);             /* 7 points x 15000 / 30000 */
    cr_expect_float_eq(county->value[i02], 3.0, 1e-12); /* 100 x 15000 / 500000 % */
    cr_expect_eq(county->points[i02], 600);             /* benchmark 3 %: all 6 points */
    cr_expect_eq(county->subtotal[m.indicators[i01].primary], 950);
    cr_expect_eq(county->total, 950); /* nothing else reported, nothing to carry */
    cr_expect_eq(county->klass, 'C');
    for (size_t j = 0; j < m.n_indicators; j++)
        if ((int)j != i01 && (int)j != i02)
            cr_expect_eq(county->flags[j], SC_FLAG_MISSING, "%s", m.indicators[j].code);
    engine_result_release(&result);
    engine_fixture_year_free(&year);
}
