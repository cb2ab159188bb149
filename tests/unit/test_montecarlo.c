/*  Unit tests of montecarlo (and of rng, the random numbers it draws).
 *
 *  The Monte Carlo is random by design, so its tests pin it down where the
 *  answer is known without it: weights so concentrated that every draw is
 *  the nominal weighting, a county that wins under any weighting, two
 *  counties whose totals are always equal (tie rules), and one case whose
 *  class probabilities follow from the Dirichlet law in closed form. The
 *  generators are checked against their reference outputs and the
 *  Dirichlet sampler against its moments. Every run is seeded, so a
 *  statistical check passes or fails the same way every time; its
 *  tolerance is many standard errors wide all the same.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/montecarlo.h"
#include "scoring/rng.h"

/* A methodology with only what the Monte Carlo reads: the indicators'
 * points, the class thresholds (80 and 60 points) and the tie rule. */
static void s_methodology(sc_methodology_t *m, const int32_t *points, size_t n, sc_tie_rule_t rule)
{
    memset(m, 0, sizeof *m);
    m->n_indicators = n;
    m->class_a_centi = 8000;
    m->class_b_centi = 6000;
    m->tie_rule = rule;
    for (size_t i = 0; i < n; i++) {
        m->indicators[i].points_centi = points[i];
        snprintf(m->indicators[i].code, sizeof m->indicators[i].code, "I%02d", (int)(i + 1) % 100);
    }
}

static int s_run(const sc_methodology_t *m, const double *x, size_t n, uint64_t seed, size_t draws,
                 double concentration, sc_mc_county_t *out)
{
    const sc_mc_params_t params = {.seed = seed, .draws = draws, .concentration = concentration};
    kc_error_t error = {0};
    const int rc = montecarlo_run(m, x, n, &params, out, &error);
    cr_assert_eq(rc, 0, "montecarlo_run failed: %s", error.message);
    return rc;
}

/* n counties x 17 indicators of seeded values in [0, 1]: a level per county
 * plus noise, so the totals spread over every class. */
static double *s_random_values(size_t n, uint64_t seed)
{
    double *x = malloc(n * 17 * sizeof *x);
    sc_rng_t rng;
    rng_seed(&rng, seed);
    for (size_t c = 0; c < n; c++) {
        const double level = 0.3 + 0.65 * rng_uniform(&rng);
        for (size_t i = 0; i < 17; i++) {
            const double v = level + 0.2 * rng_normal(&rng);
            x[c * 17 + i] = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
        }
    }
    return x;
}

static const int32_t s_points17[17] = {700, 600, 500, 600, 700, 600, 500, 600, 600,
                                       600, 500, 700, 600, 500, 600, 600, 500};

Test(montecarlo, splitmix64_seeding_gives_the_reference_xoshiro_state)
{
    /* splitmix64 from 1234567: the reference outputs in Vigna's test
     * vectors (also those of Rust's rand_xoshiro SplitMix64 test). */
    sc_rng_t rng;
    rng_seed(&rng, 1234567);
    cr_assert_eq(rng.state[0], 6457827717110365317ULL);
    cr_assert_eq(rng.state[1], 3203168211198807973ULL);
    cr_assert_eq(rng.state[2], 9817491932198370423ULL);
    cr_assert_eq(rng.state[3], 4593380528125082431ULL);
}

Test(montecarlo, xoshiro256starstar_matches_its_reference_outputs)
{
    /* State {1, 2, 3, 4}: first output rotl(2 * 5, 7) * 9 = 1280 * 9 =
     * 11520 by hand; the rest from the reference implementation's vectors
     * (rand_xoshiro's Xoshiro256StarStar test). */
    sc_rng_t rng = {.state = {1, 2, 3, 4}};
    const uint64_t expected[] = {11520ULL,
                                 0ULL,
                                 1509978240ULL,
                                 1215971899390074240ULL,
                                 1216172134540287360ULL,
                                 607988272756665600ULL,
                                 16172922978634559625ULL,
                                 8476171486693032832ULL,
                                 10595114339597558777ULL,
                                 2904607092377533576ULL};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        cr_assert_eq(rng_next(&rng), expected[i], "output %zu", i);
}

/* Means and variances of draws of Dirichlet(alpha), alpha summing to 10 or 1:
 * E w_i = alpha_i / a0, Var w_i = E w_i (1 - E w_i) / (a0 + 1). */
static void s_check_dirichlet(const double *alpha, size_t n, uint64_t seed)
{
    enum { draws = 100000 };
    double a0 = 0, sum[4] = {0}, square[4] = {0}, w[4];
    for (size_t i = 0; i < n; i++)
        a0 += alpha[i];
    sc_rng_t rng;
    rng_seed(&rng, seed);
    for (int d = 0; d < draws; d++) {
        rng_dirichlet(&rng, alpha, n, w);
        double total = 0;
        for (size_t i = 0; i < n; i++) {
            cr_assert(w[i] >= 0.0 && w[i] <= 1.0);
            total += w[i];
            sum[i] += w[i];
            square[i] += w[i] * w[i];
        }
        cr_assert_float_eq(total, 1.0, 1e-12);
    }
    for (size_t i = 0; i < n; i++) {
        const double mean = alpha[i] / a0, variance = mean * (1 - mean) / (a0 + 1);
        const double got_mean = sum[i] / draws;
        const double got_variance = square[i] / draws - got_mean * got_mean;
        /* Standard error of the mean: sqrt(variance / draws) <= 0.0016
         * here; 0.01 is over 6 of them. Variances within 10 %. */
        cr_assert_float_eq(got_mean, mean, 0.01, "w%zu mean %g, want %g", i, got_mean, mean);
        cr_assert_float_eq(got_variance, variance, 0.1 * variance, "w%zu variance %g, want %g", i,
                           got_variance, variance);
    }
}

Test(montecarlo, dirichlet_draws_have_the_means_and_variances_of_the_law)
{
    const double large[] = {1.0, 2.0, 7.0}; /* means 0.1, 0.2, 0.7; a0 = 10 */
    s_check_dirichlet(large, 3, 11);
    const double small[] = {0.2, 0.3, 0.5}; /* alpha < 1 takes the boost path; a0 = 1 */
    s_check_dirichlet(small, 3, 12);
}

Test(montecarlo, a_huge_concentration_reproduces_the_nominal_ranks_and_classes)
{
    /* Points 50 / 30 / 20. Nominal totals by hand: county 0: 100; 1: 45 +
     * 24 + 14 = 83; 2: 35 + 18 + 16 = 69; 3: 25 + 15 + 10 = 50; 4: 30 + 18
     * + 8 = 56. Ranks 1, 2, 3, 5, 4; classes A, A, B, C, C. With alpha =
     * 1e9 w the weights move by about 1e-5 of themselves, the totals by
     * under 0.01 point, while the closest gap (to a threshold or another
     * county) is 3 points. */
    const int32_t points[] = {5000, 3000, 2000};
    const double x[] = {1, 1, 1, 0.9, 0.8, 0.7, 0.7, 0.6, 0.8, 0.5, 0.5, 0.5, 0.6, 0.6, 0.4};
    const int rank[] = {1, 2, 3, 5, 4};
    const int klass[] = {0, 0, 1, 2, 2};
    sc_methodology_t m;
    s_methodology(&m, points, 3, SC_TIE_COMPETITION);
    sc_mc_county_t out[5];
    s_run(&m, x, 5, 99, 2000, 1e9, out);
    for (int c = 0; c < 5; c++) {
        cr_assert_eq(out[c].rank_p5, rank[c], "county %d", c);
        cr_assert_eq(out[c].rank_p50, rank[c], "county %d", c);
        cr_assert_eq(out[c].rank_p95, rank[c], "county %d", c);
        for (int k = 0; k < 3; k++)
            cr_assert_eq(out[c].p_class[k], k == klass[c] ? 1.0 : 0.0, "county %d class %d", c, k);
    }
}

Test(montecarlo, a_county_with_every_value_at_one_is_always_first_and_a)
{
    /* County 0 scores 100 * sum(w) = 100 (up to rounding) under any weights;
     * every other value is below 0.99, so no other total reaches 99. Even
     * concentration 1 (weights anywhere on the simplex) cannot change it. */
    enum { n = 200 };
    double *x = s_random_values(n, 5);
    for (size_t c = 0; c < n; c++)
        for (size_t i = 0; i < 17; i++)
            x[c * 17 + i] = c == 0 ? 1.0 : fmin(x[c * 17 + i], 0.98);
    sc_methodology_t m;
    s_methodology(&m, s_points17, 17, SC_TIE_COMPETITION);
    sc_mc_county_t out[n];
    s_run(&m, x, n, 3, 3000, 1.0, out);
    cr_assert_eq(out[0].rank_p5, 1);
    cr_assert_eq(out[0].rank_p95, 1);
    cr_assert_eq(out[0].p_class[0], 1.0);
    free(x);
}

Test(montecarlo, the_same_seed_gives_identical_bytes_and_another_seed_does_not)
{
    enum { n = 300 };
    double *x = s_random_values(n, 8);
    sc_methodology_t m;
    s_methodology(&m, s_points17, 17, SC_TIE_COMPETITION);
    static sc_mc_county_t first[n], second[n], third[n];
    s_run(&m, x, n, 2024, 1000, 20.0, first);
    s_run(&m, x, n, 2024, 1000, 20.0, second);
    s_run(&m, x, n, 2025, 1000, 20.0, third);
    cr_assert_eq(memcmp(first, second, sizeof first), 0);
    cr_assert_neq(memcmp(first, third, sizeof first), 0);
    free(x);
}

Test(montecarlo, class_probabilities_add_up_to_one_and_percentiles_are_ordered)
{
    enum { n = 400 };
    double *x = s_random_values(n, 9);
    sc_methodology_t m;
    s_methodology(&m, s_points17, 17, SC_TIE_COMPETITION);
    static sc_mc_county_t out[n];
    s_run(&m, x, n, 1, 500, 5.0, out);
    for (size_t c = 0; c < n; c++) {
        const double *p = out[c].p_class;
        cr_assert_float_eq(p[0] + p[1] + p[2], 1.0, 1e-12, "county %zu", c);
        cr_assert(1 <= out[c].rank_p5 && out[c].rank_p5 <= out[c].rank_p50 &&
                      out[c].rank_p50 <= out[c].rank_p95 && out[c].rank_p95 <= n,
                  "county %zu: %d %d %d", c, out[c].rank_p5, out[c].rank_p50, out[c].rank_p95);
    }
    free(x);
}

Test(montecarlo, class_probabilities_follow_the_dirichlet_law)
{
    /* Two indicators worth 50 points each, concentration 2: alpha = (1, 1),
     * so w0 is uniform on [0, 1]. County 0 = (1, 0) scores 100 w0: A when
     * w0 >= 0.8 (probability 0.2), B for 0.6 <= w0 < 0.8 (0.2), C otherwise
     * (0.6). It beats county 1 = (0, 1) when w0 > 0.5 (probability 0.5), so
     * its rank is 1 or 2 about half the time each: p5 = 1, p95 = 2. With
     * 100,000 draws the standard error of a probability is under 0.0016. */
    const int32_t points[] = {5000, 5000};
    const double x[] = {1, 0, 0, 1};
    sc_methodology_t m;
    s_methodology(&m, points, 2, SC_TIE_COMPETITION);
    sc_mc_county_t out[2];
    s_run(&m, x, 2, 77, 100000, 2.0, out);
    cr_assert_float_eq(out[0].p_class[0], 0.2, 0.01);
    cr_assert_float_eq(out[0].p_class[1], 0.2, 0.01);
    cr_assert_float_eq(out[0].p_class[2], 0.6, 0.01);
    cr_assert_eq(out[0].rank_p5, 1);
    cr_assert_eq(out[0].rank_p95, 2);
    cr_assert_eq(out[1].rank_p5, 1);
    cr_assert_eq(out[1].rank_p95, 2);
}

Test(montecarlo, equal_totals_share_ranks_under_each_tie_rule)
{
    /* Counties 0 and 1 have the same values, hence bit-identical totals in
     * every draw; county 2 is lower on every indicator. Competition: 1, 1,
     * 3; dense: 1, 1, 2; modified: 2, 2, 3. */
    const int32_t points[] = {4000, 6000};
    const double x[] = {0.9, 0.7, 0.9, 0.7, 0.5, 0.4};
    const int expected[3][3] = {{1, 1, 3}, {1, 1, 2}, {2, 2, 3}};
    const sc_tie_rule_t rules[3] = {SC_TIE_COMPETITION, SC_TIE_DENSE, SC_TIE_MODIFIED};
    for (int r = 0; r < 3; r++) {
        sc_methodology_t m;
        s_methodology(&m, points, 2, rules[r]);
        sc_mc_county_t out[3];
        s_run(&m, x, 3, 4, 500, 3.0, out);
        for (int c = 0; c < 3; c++) {
            cr_assert_eq(out[c].rank_p5, expected[r][c], "rule %d county %d", r, c);
            cr_assert_eq(out[c].rank_p95, expected[r][c], "rule %d county %d", r, c);
        }
    }
}

Test(montecarlo, invalid_parameters_are_refused_with_the_field_named)
{
    const int32_t points[] = {5000, 5000};
    const double x[] = {0.5, 0.5, 0.2, 0.8};
    sc_methodology_t m;
    s_methodology(&m, points, 2, SC_TIE_COMPETITION);
    sc_mc_county_t out[2];
    struct {
        size_t draws;
        double concentration;
        size_t n;
        const char *field;
    } cases[] = {
        {0, 100.0, 2, "draws"},
        {100, 0.0, 2, "concentration"},
        {100, -1.0, 2, "concentration"},
        {100, NAN, 2, "concentration"},
        {100, INFINITY, 2, "concentration"},
        {100, 100.0, 0, "n_counties"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sc_mc_params_t params = {1, cases[i].draws, cases[i].concentration};
        kc_error_t error = {0};
        cr_assert_eq(montecarlo_run(&m, x, cases[i].n, &params, out, &error), -1, "case %zu", i);
        cr_assert_eq(error.code, KC_ERR_OUT_OF_RANGE, "case %zu", i);
        cr_assert_str_eq(error.field, cases[i].field, "case %zu", i);
    }
    const sc_mc_params_t params = {1, 100, 100.0};
    kc_error_t error = {0};
    const double outside[] = {0.5, 1.5, 0.2, NAN};
    cr_assert_eq(montecarlo_run(&m, outside, 2, &params, out, &error), -1);
    cr_assert_str_eq(error.field, "normalised[0].I02");
    cr_assert_eq(montecarlo_run(NULL, x, 2, &params, out, &error), -1);
    cr_assert_eq(error.code, KC_ERR_REQUIRED);
    const int32_t negative[] = {-100, 10100};
    s_methodology(&m, negative, 2, SC_TIE_COMPETITION);
    cr_assert_eq(montecarlo_run(&m, x, 2, &params, out, &error), -1);
    cr_assert_str_eq(error.field, "methodology.indicators");
}
