/*  Unit tests of the engine's arithmetic that needs no year of inputs:
 *  each normalisation method on small hand-made columns (both directions,
 *  degenerate columns), the three tie rules and the median. Every expected
 *  number is worked out by hand in the comment beside it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "scoring/engine.h"

static sc_indicator_t s_indicator(sc_norm_method_t method, bool positive)
{
    sc_indicator_t indicator;
    memset(&indicator, 0, sizeof indicator);
    memcpy(indicator.code, "I01", 4);
    indicator.method = method;
    indicator.positive = positive;
    indicator.points_centi = 700;
    indicator.z_cap = 3.0;
    indicator.rubric_max = 100.0;
    return indicator;
}

Test(engine, benchmark_is_the_capped_ratio_to_the_benchmark)
{
    sc_indicator_t up = s_indicator(SC_NORM_BENCHMARK, true);
    up.benchmark = 200.0;
    cr_expect_float_eq(engine_normalise(&up, 50.0, NULL, 0), 0.25, 1e-15); /* 50 / 200 */
    cr_expect_eq(engine_normalise(&up, 300.0, NULL, 0), 1.0);              /* 1.5 capped */
    cr_expect_eq(engine_normalise(&up, 0.0, NULL, 0), 0.0);                /* x <= 0 -> 0 */
    cr_expect_eq(engine_normalise(&up, -5.0, NULL, 0), 0.0);
    sc_indicator_t down = s_indicator(SC_NORM_BENCHMARK, false);
    down.benchmark = 20.0;
    cr_expect_float_eq(engine_normalise(&down, 40.0, NULL, 0), 0.5, 1e-15); /* 20 / 40 */
    cr_expect_eq(engine_normalise(&down, 10.0, NULL, 0), 1.0);              /* 20 / 10 = 2 capped */
    cr_expect_eq(engine_normalise(&down, 0.0, NULL, 0), 1.0); /* nothing of a bad: best */
}

Test(engine, efficacy_maps_the_tolerable_value_to_sixty_percent_in_both_directions)
{
    sc_indicator_t up = s_indicator(SC_NORM_EFFICACY, true);
    up.x_s = 10.0;
    up.x_h = 30.0;
    /* 0.6 + 0.4 (20 - 10) / 20 = 0.8; x_s -> 0.6; x_h -> 1 */
    cr_expect_float_eq(engine_normalise(&up, 20.0, NULL, 0), 0.8, 1e-15);
    cr_expect_float_eq(engine_normalise(&up, 10.0, NULL, 0), 0.6, 1e-15);
    cr_expect_float_eq(engine_normalise(&up, 30.0, NULL, 0), 1.0, 1e-15);
    cr_expect_float_eq(engine_normalise(&up, 5.0, NULL, 0), 0.5, 1e-15); /* 0.6 - 0.4/4 */
    cr_expect_eq(engine_normalise(&up, 40.0, NULL, 0), 1.0);             /* 1.2 clamped */
    cr_expect_eq(engine_normalise(&up, -100.0, NULL, 0), 0.0);           /* 0.6 - 2.2 clamped */
    sc_indicator_t down = s_indicator(SC_NORM_EFFICACY, false);
    down.x_s = 30.0;
    down.x_h = 10.0;
    /* 0.6 + 0.4 (20 - 30) / (10 - 30) = 0.8; 40: 0.6 + 0.4 (10 / -20) = 0.4; 5: 1.1 -> 1 */
    cr_expect_float_eq(engine_normalise(&down, 20.0, NULL, 0), 0.8, 1e-15);
    cr_expect_float_eq(engine_normalise(&down, 40.0, NULL, 0), 0.4, 1e-15);
    cr_expect_eq(engine_normalise(&down, 5.0, NULL, 0), 1.0);
}

Test(engine, minmax_spans_the_column_and_gives_everything_to_a_flat_one)
{
    double column[] = {2.0, 4.0, 6.0, 10.0}; /* min 2, max 10, span 8 */
    sc_indicator_t up = s_indicator(SC_NORM_MINMAX, true);
    cr_expect_float_eq(engine_normalise(&up, 4.0, column, 4), 0.25, 1e-15); /* 2 / 8 */
    cr_expect_eq(engine_normalise(&up, 10.0, column, 4), 1.0);
    cr_expect_eq(engine_normalise(&up, 2.0, column, 4), 0.0);
    sc_indicator_t down = s_indicator(SC_NORM_MINMAX, false);
    cr_expect_float_eq(engine_normalise(&down, 4.0, column, 4), 0.75, 1e-15); /* (10-4) / 8 */
    cr_expect_eq(engine_normalise(&down, 2.0, column, 4), 1.0);
    double flat[] = {5.0, 5.0, 5.0};
    cr_expect_eq(engine_normalise(&up, 5.0, flat, 3), 1.0); /* max == min -> 1 */
    cr_expect_eq(engine_normalise(&down, 5.0, flat, 3), 1.0);
}

Test(engine, zscore_uses_the_population_sd_and_the_cap)
{
    /* mean 40 / 8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; 32 / 8 = 4; sd 2 */
    double column[] = {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0};
    sc_indicator_t up = s_indicator(SC_NORM_ZSCORE, true);
    up.z_cap = 2.0;
    cr_expect_float_eq(engine_normalise(&up, 9.0, column, 8), 1.0, 1e-15);   /* z 2: 4/4 */
    cr_expect_float_eq(engine_normalise(&up, 4.0, column, 8), 0.375, 1e-15); /* z -.5: 1.5/4 */
    cr_expect_eq(engine_normalise(&up, 2.0, column, 8), 0.125);              /* z -1.5: .5/4 */
    sc_indicator_t down = s_indicator(SC_NORM_ZSCORE, false);
    down.z_cap = 2.0;
    cr_expect_float_eq(engine_normalise(&down, 4.0, column, 8), 0.625, 1e-15); /* z +.5 */
    up.z_cap = 3.0;
    cr_expect_float_eq(engine_normalise(&up, 7.0, column, 8), 4.0 / 6.0, 1e-15); /* z 1: 4/6 */
    double flat[] = {0.1, 0.1, 0.1}; /* sum / 3 misses 0.1 by an ulp: still flat */
    cr_expect_eq(engine_normalise(&up, 0.1, flat, 3), 0.5);
    cr_expect_eq(engine_normalise(&down, 0.1, flat, 3), 0.5);
}

Test(engine, rubric_scales_by_the_top_score_and_caps)
{
    sc_indicator_t rubric = s_indicator(SC_NORM_RUBRIC, true);
    rubric.rubric_max = 5.0;
    cr_expect_float_eq(engine_normalise(&rubric, 4.0, NULL, 0), 0.8, 1e-15); /* 4 / 5 */
    cr_expect_eq(engine_normalise(&rubric, 6.0, NULL, 0), 1.0);
    cr_expect_eq(engine_normalise(&rubric, -1.0, NULL, 0), 0.0);
}

Test(engine, tie_rules_rank_90_80_80_70_as_1224_1223_1334)
{
    int32_t totals[] = {9000, 8000, 8000, 7000};
    int ranks[4];
    engine_rank(totals, 4, SC_TIE_COMPETITION, ranks);
    cr_expect_arr_eq(ranks, ((int[]){1, 2, 2, 4}), sizeof ranks);
    engine_rank(totals, 4, SC_TIE_DENSE, ranks);
    cr_expect_arr_eq(ranks, ((int[]){1, 2, 2, 3}), sizeof ranks);
    engine_rank(totals, 4, SC_TIE_MODIFIED, ranks);
    cr_expect_arr_eq(ranks, ((int[]){1, 3, 3, 4}), sizeof ranks);
}

Test(engine, ranks_follow_totals_not_input_order_and_accept_negative_totals)
{
    int32_t shuffled[] = {8000, 9000, 7000, 8000}; /* the 1224 case, reordered */
    int ranks[4];
    engine_rank(shuffled, 4, SC_TIE_COMPETITION, ranks);
    cr_expect_arr_eq(ranks, ((int[]){2, 1, 4, 2}), sizeof ranks);
    int32_t negative[] = {-5, 3, -5, INT32_MIN};
    engine_rank(negative, 4, SC_TIE_COMPETITION, ranks);
    cr_expect_arr_eq(ranks, ((int[]){2, 1, 2, 4}), sizeof ranks);
}

Test(engine, median_sorts_in_place_and_averages_the_middle_pair)
{
    double odd[] = {3.0, 1.0, 2.0};
    cr_expect_eq(engine_median(odd, 3), 2.0);
    cr_expect_arr_eq(odd, ((double[]){1.0, 2.0, 3.0}), sizeof odd);
    double even[] = {4.0, 1.0, 3.0, 2.0};
    cr_expect_eq(engine_median(even, 4), 2.5); /* (2 + 3) / 2 */
    double one[] = {7.0};
    cr_expect_eq(engine_median(one, 1), 7.0);
}
