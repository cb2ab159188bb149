/*  Panel arithmetic: the draw replays from its seed, points are exact
 *  hundredths, the aggregation rules and the disagreement spread. */
#include <criterion/criterion.h>
#include <string.h>

#include "workflow/panel_math.h"
#include "workflow/pg_array.h"

Test(panel_math, the_same_seed_draws_the_same_order_and_another_seed_another)
{
    size_t a[40], b[40], c[40];
    panel_shuffle(20261123, 40, a);
    panel_shuffle(20261123, 40, b);
    panel_shuffle(20261124, 40, c);
    cr_assert_arr_eq(a, b, sizeof a);
    cr_assert(memcmp(a, c, sizeof a) != 0);
    bool seen[40] = {false};
    for (size_t i = 0; i < 40; i++) {
        cr_assert_lt(a[i], 40);
        cr_assert_not(seen[a[i]], "%zu drawn twice", a[i]);
        seen[a[i]] = true;
    }
}

Test(panel_math, every_expert_is_first_about_equally_often)
{
    /* 10 experts, 20,000 seeds: each should come first ~2,000 times */
    int first[10] = {0};
    size_t order[10];
    for (uint64_t seed = 1; seed <= 20000; seed++) {
        panel_shuffle(seed * 0x9E3779B97F4A7C15ULL, 10, order);
        first[order[0]]++;
    }
    for (int i = 0; i < 10; i++)
        cr_expect(first[i] > 1800 && first[i] < 2200, "expert %d first %d times", i, first[i]);
}

Test(panel_math, points_are_exact_hundredths_within_the_criterion)
{
    long h = 0;
    cr_assert_eq(panel_points(18.25, 20, &h), 0);
    cr_assert_eq(h, 1825);
    cr_assert_eq(panel_points(0.1 + 0.2, 20, &h), 0); /* 0.30000000000000004 */
    cr_assert_eq(h, 30);
    cr_assert_eq(panel_points(20, 20, &h), 0);
    cr_assert_eq(panel_points(20.01, 20, &h), -1);
    cr_assert_eq(panel_points(-0.5, 20, &h), -1);
    cr_assert_eq(panel_points(1.005, 20, &h), -1); /* three decimals */
    cr_assert_eq(panel_points(0.0 / 0.0, 20, &h), -1);
}

Test(panel_math, the_mean_rounds_half_up_to_a_hundredth)
{
    long totals[3] = {8000, 8000, 8001}; /* 80.003333 */
    panel_result_t r;
    panel_aggregate(totals, 3, false, &r);
    cr_assert_eq(r.aggregate, 8000);
    long half[2] = {8000, 8001}; /* 80.005 */
    panel_aggregate(half, 2, false, &r);
    cr_assert_eq(r.aggregate, 8001);
    cr_assert_eq(r.spread, 1);
    cr_assert_eq(r.dropped_high, -1);
}

Test(panel_math, with_five_the_trimmed_mean_drops_the_highest_and_the_lowest)
{
    long totals[5] = {7000, 9700, 8000, 5200, 8100};
    panel_result_t r;
    panel_aggregate(totals, 5, true, &r);
    cr_assert_eq(r.dropped_high, 1);
    cr_assert_eq(r.dropped_low, 3);
    cr_assert_eq(r.used, 3);
    cr_assert_eq(r.aggregate, 7700); /* (70 + 80 + 81) / 3 */
    cr_assert_eq(r.spread, 4500);
    /* four scores: too few to trim, the mean of all */
    panel_aggregate(totals, 4, true, &r);
    cr_assert_eq(r.dropped_high, -1);
    cr_assert_eq(r.aggregate, 7475);
    /* all equal: two of them dropped, the same mean */
    long equal[5] = {6000, 6000, 6000, 6000, 6000};
    panel_aggregate(equal, 5, true, &r);
    cr_assert_neq(r.dropped_high, r.dropped_low);
    cr_assert_eq(r.aggregate, 6000);
}

Test(panel_math, array_literals_round_trip_quotes_and_backslashes)
{
    pg_array_t array = {0};
    cr_assert_str_eq(pg_array_text(&array), "{}");
    pg_array_add(&array, "E01: same organisation as the applicant");
    pg_array_add(&array, "say \"no\" \\ 不");
    const char *text = pg_array_text(&array);
    cr_assert_str_eq(text,
                     "{\"E01: same organisation as the applicant\",\"say \\\"no\\\" \\\\ 不\"}");
    size_t n = 0;
    char **items = pg_array_split(text, &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(items[1], "say \"no\" \\ 不");
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
    pg_array_free(&array);
}
