/*  Unit tests of engine_compare (last year matched by code, deltas that
 *  add up, main cause, rank change) and engine_gaps (the value one
 *  indicator must reach for the next class) on hand-computed cases.
 *  Benchmark 100 and positive unless said otherwise, so a value x earns
 *  points W x / 100, rounded half up.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "engine_fixture.h"

static void s_score(const sc_methodology_t *m, const engine_year_t *year, sc_year_result_t *result)
{
    kc_error_t error = {0};
    cr_assert_eq(engine_score_year(m, &year->input, NULL, result, &error), 0, "%s", error.message);
}

static void s_set_row(engine_year_t *year, size_t county, const double *values, size_t n)
{
    for (size_t j = 0; j < n; j++)
        engine_fixture_set(year, county, j, values[j]);
}

Test(engine, compare_matches_last_year_by_code_and_deltas_add_up)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 3); /* W 3333, 3333, 3334 */
    m.indicators[1].primary = 1;
    m.total_from = SC_TOTAL_ROUNDED_PARTS; /* the deltas of rounded parts add up exactly */
    engine_year_t now = engine_fixture_year(2024, 3, 3); /* 130101, 130102, 130103 */
    s_set_row(&now, 0, (double[]){50, 60, 70}, 3);       /* 1667 + 2000 + 2334 = 6001 B, rank 2 */
    s_set_row(&now, 1, (double[]){90, 90, 89.99}, 3);    /* 3000 + 3000 + 3000 = 9000 A, rank 1 */
    s_set_row(&now, 2, (double[]){10, 10, 10}, 3);       /* 333 x 3 = 999, rank 3 */
    engine_year_t last = engine_fixture_year(2023, 2, 3);
    snprintf(last.input.counties[0].code, SC_COUNTY_CODE_MAX, "130102"); /* reversed order */
    snprintf(last.input.counties[1].code, SC_COUNTY_CODE_MAX, "130101");
    s_set_row(&last, 0, (double[]){20, 20, 20}, 3); /* 667 x 3 = 2001 C, rank 2 */
    s_set_row(&last, 1, (double[]){50, 40, 80}, 3); /* 1667 + 1333 + 2667 = 5667 C, rank 1 */
    sc_year_result_t current, previous;
    s_score(&m, &now, &current);
    s_score(&m, &last, &previous);
    sc_change_t changes[3];
    engine_compare(&m, &now.input, &current, &last.input, &previous, changes);

    cr_expect(changes[0].has_previous);
    cr_expect_eq(changes[0].total_delta, 334); /* 6001 - 5667 */
    cr_expect_arr_eq(changes[0].indicator_delta, ((int32_t[]){0, 667, -333}), 3 * sizeof(int32_t));
    cr_expect_eq(changes[0].subtotal_delta[0], -333); /* I01 + I03 */
    cr_expect_eq(changes[0].subtotal_delta[1], 667);  /* I02 */
    cr_expect_eq(changes[0].main_cause, 1);
    cr_expect_eq(changes[0].previous_class, 'C');
    cr_expect_eq(changes[0].previous_rank, 1);
    cr_expect_eq(changes[0].rank_change, -1); /* 1 -> 2: down one */

    cr_expect_eq(changes[1].total_delta, 6999); /* 9000 - 2001; 2333 each */
    cr_expect_eq(changes[1].main_cause, 0);     /* a three-way tie: the lowest index */
    cr_expect_eq(changes[1].rank_change, 1);    /* 2 -> 1 */

    cr_expect_not(changes[2].has_previous); /* new this year */
    cr_expect_eq(changes[2].total_delta, 0);
    cr_expect_eq(changes[2].previous_class, 0);
    cr_expect_eq(changes[2].previous_rank, 0);
    cr_expect_eq(changes[2].main_cause, -1);

    engine_compare(&m, &now.input, &current, &now.input, &current, changes); /* no change */
    cr_expect(changes[0].has_previous);
    cr_expect_eq(changes[0].main_cause, -1);
    cr_expect_eq(changes[0].rank_change, 0);
    engine_compare(&m, &now.input, &current, NULL, NULL, changes); /* no last year at all */
    cr_expect_not(changes[1].has_previous);
    engine_result_release(&current);
    engine_result_release(&previous);
    engine_fixture_year_free(&now);
    engine_fixture_year_free(&last);
}

/* One county scored alone with W and values given; its gap. */
static sc_gap_t s_gap_of(sc_methodology_t *m, const double *values, const bool *present)
{
    engine_year_t year = engine_fixture_year(2024, 1, m->n_inputs);
    for (size_t j = 0; j < m->n_inputs; j++)
        if (!present || present[j])
            engine_fixture_set(&year, 0, j, values[j]);
    sc_year_result_t result;
    s_score(m, &year, &result);
    sc_gap_t gap;
    engine_gaps(m, &year.input, &result, &gap);
    engine_result_release(&result);
    engine_fixture_year_free(&year);
    return gap;
}

Test(engine, gaps_pick_the_smallest_relative_increase_to_the_least_value)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 2);
    m.indicators[0].points_centi = 2000;
    m.indicators[1].points_centi = 8000;
    /* 1000 + 4500 = 5500: C, 500 short of B.
     * I01 needs 1500: share (1500 - 0.5) / 2000 = 0.74975, x' 74.975, +49.95 %
     * I02 needs 5000: share 4999.5 / 8000 = 0.6249375, x' 62.49375, +11.1 % */
    sc_gap_t gap = s_gap_of(&m, (double[]){50.0, 56.25}, NULL);
    cr_expect_eq(gap.next_class, 'B');
    cr_expect_eq(gap.points_needed, 500);
    cr_expect_eq(gap.indicator, 1);
    cr_expect_float_eq(gap.value_needed, 62.49375, 1e-9);
    cr_expect_float_eq(gap.relative_increase, 62.49375 / 56.25 - 1.0, 1e-9);
    /* the least value: 8000 x 0.6249375 = 4999.5 rounds to 5000, a hair less to 4999 */
    double share = engine_normalise(&m.indicators[1], gap.value_needed, NULL, 0);
    cr_expect_eq(floor(8000.0 * share + 0.5), 5000.0);
    share = engine_normalise(&m.indicators[1], nextafter(gap.value_needed, 0.0), NULL, 0);
    cr_expect_eq(floor(8000.0 * share + 0.5), 4999.0);

    gap = s_gap_of(&m, (double[]){100.0, 70.0}, NULL); /* 2000 + 5600 = 7600: B */
    cr_expect_eq(gap.next_class, 'A');
    cr_expect_eq(gap.points_needed, 400);
    cr_expect_eq(gap.indicator, 1); /* I01 is full; 5999.5 / 8000 x 100 = 74.99375 */
    cr_expect_float_eq(gap.value_needed, 74.99375, 1e-9);

    gap = s_gap_of(&m, (double[]){100.0, 75.0}, NULL); /* 8000: A, nothing to reach */
    cr_expect_eq(gap.next_class, 0);
    cr_expect_eq(gap.points_needed, 0);
    cr_expect_eq(gap.indicator, -1);
}

Test(engine, gaps_lower_an_indicator_where_less_is_better)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 2);
    m.indicators[0].points_centi = 5000;
    m.indicators[0].positive = false;
    m.indicators[0].benchmark = 10.0;    /* 10 / 20 = 0.5: 2500 */
    m.indicators[1].points_centi = 5000; /* 50: 2500; total 5000, 1000 short */
    /* both need share 3499.5 / 5000 = 0.6999: I01 x' = 10 / 0.6999 = 14.2878 (-28.6 %),
     * I02 x' = 69.99 (+40 %): lowering I01 is the smaller change */
    sc_gap_t gap = s_gap_of(&m, (double[]){20.0, 50.0}, NULL);
    cr_expect_eq(gap.indicator, 0);
    cr_expect_float_eq(gap.value_needed, 10.0 / 0.6999, 1e-9);
    cr_expect_float_eq(gap.relative_increase, 10.0 / 0.6999 / 20.0 - 1.0, 1e-9);
    cr_expect_lt(gap.relative_increase, 0.0);
}

Test(engine, gaps_from_zero_are_infinite_and_prefer_the_smaller_value)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 3);
    m.indicators[0].points_centi = 3000;
    m.indicators[0].benchmark = 1000.0;
    m.indicators[1].points_centi = 3000;
    m.indicators[1].benchmark = 10.0;
    m.indicators[2].points_centi = 4000; /* 100: full; total 4000, 2000 short */
    /* I01 and I02 not reported: share 1999.5 / 3000; x' 666.5 and 6.665, both from 0 */
    sc_gap_t gap = s_gap_of(&m, (double[]){0.0, 0.0, 100.0}, (bool[]){false, false, true});
    cr_expect_eq(gap.indicator, 1);
    cr_expect_float_eq(gap.value_needed, 6.665, 1e-9);
    cr_expect(isinf(gap.relative_increase) && gap.relative_increase > 0.0);
}

Test(engine, gaps_report_none_when_no_indicator_can_do_it_alone)
{
    sc_methodology_t m;
    engine_fixture_methodology(&m, 3);
    m.indicators[0].points_centi = 5000; /* 100: full */
    m.indicators[1].points_centi = 900;  /* 0: can add at most 900 */
    m.indicators[2].points_centi = 4100; /* z-score of one county: 0.5 whatever it does */
    m.indicators[2].method = SC_NORM_ZSCORE;
    /* 5000 + 0 + 2050 = 7050: B, 950 short of A; 900 < 950 and z-score is stuck */
    sc_gap_t gap = s_gap_of(&m, (double[]){100.0, 0.0, 42.0}, NULL);
    cr_expect_eq(gap.next_class, 'A');
    cr_expect_eq(gap.points_needed, 950);
    cr_expect_eq(gap.indicator, -1);
    cr_expect_eq(gap.value_needed, 0.0);
}
