/*  Unit tests of the leap rewards (services/scoring/rewards.c and
 *  rewards_policy.c): every rule of seed 002 §七(三) on small hand-made
 *  class histories, every option the seed leaves open, the re-leap rule,
 *  the 500 cap, and the policy parser's errors. Amounts are 万元; each
 *  expected number is the policy amount named beside it (the shipped
 *  defaults: baseline A 300, top 3 of A 300, B->A 300, C->B 200, rank +10
 *  200, rank +5..9 100, cap 500).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/rewards.h"

#define S_POLICY_PATH        "deploy/scoring/rewards-hebei-2019.ini"
#define R(year, klass, rank) ((sc_class_record_t){(year), (klass), (rank), 0})
#define N(array)             (sizeof(array) / sizeof((array)[0]))

/* The shipped defaults, written out so that the rule tests do not depend
 * on the file (a test below checks the file gives the same). */
static sc_reward_policy_t s_policy(void)
{
    sc_reward_policy_t p = {
        .code = "hebei-leap-2019",
        .baseline_year = 2017,
        .amount_baseline_a = 300,
        .amount_top3_a = 300,
        .top_n = 3,
        .top_ties_share = true,
        .amount_b_to_a = 300,
        .amount_c_to_b = 200,
        .amount_rank_10 = 200,
        .amount_rank_5 = 100,
        .rank_big_step = 10,
        .rank_small_step = 5,
        .cap = 500,
        .c_to_a = SC_C_TO_A_LEAP_TO_A,
        .rank_when = SC_RANK_WHEN_CLASS_UNCHANGED,
        .releap = SC_RELEAP_EVER_HELD,
        .releap_rank = SC_RELEAP_RANK_WITHHELD,
        .releap_c_to_a = SC_RELEAP_C_TO_A_WHOLE,
        .new_county_compared = false,
    };
    return p;
}

/* Awards for the last year of the history. */
static sc_county_awards_t s_evaluate(const sc_reward_policy_t *p, const sc_class_record_t *history,
                                     size_t n)
{
    sc_county_awards_t out;
    rewards_evaluate(p, history[n - 1].year, history, n, &out);
    for (size_t i = 0; i < out.n_awards; i++)
        cr_assert_lt(strlen(out.awards[i].reason), sizeof out.awards[i].reason - 1,
                     "reason of '%s' may be cut short", out.awards[i].rule);
    return out;
}

static void s_expect(const sc_county_awards_t *out, size_t i, const char *rule, int amount)
{
    cr_assert_gt(out->n_awards, i, "no award %zu (expected %s)", i, rule);
    cr_assert_str_eq(out->awards[i].rule, rule);
    cr_assert_eq(out->awards[i].amount, amount, "%s: %d", rule, out->awards[i].amount);
}

Test(rewards, class_a_in_the_baseline_year_is_paid_once)
{
    sc_reward_policy_t p = s_policy();
    sc_class_record_t y2017[] = {R(2017, 'A', 5)};
    sc_county_awards_t out = s_evaluate(&p, y2017, N(y2017));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "baseline_a", 300);
    cr_assert_eq(out.total, 300);
    cr_assert_str_eq(out.awards[0].reason, "2017年度监测评价进入A类（第5名），一次性奖励300万元");

    /* 2018, still A and 5th: not the baseline year, not top 3, no change. */
    sc_class_record_t y2018[] = {R(2017, 'A', 5), R(2018, 'A', 5)};
    out = s_evaluate(&p, y2018, N(y2018));
    cr_assert_eq(out.n_awards, 0);
    cr_assert_eq(out.total, 0);
}

Test(rewards, top_three_of_a_is_paid_from_the_year_after_the_baseline)
{
    sc_reward_policy_t p = s_policy();
    /* 2017 first in A: the baseline award only (300), no top-3 award. */
    sc_class_record_t first2017[] = {R(2017, 'A', 1)};
    sc_county_awards_t out = s_evaluate(&p, first2017, N(first2017));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "baseline_a", 300);

    /* 2018 A, 2nd, also 2nd in 2017: top 3 of A, 300. */
    sc_class_record_t second[] = {R(2017, 'A', 2), R(2018, 'A', 2)};
    out = s_evaluate(&p, second, N(second));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "top3_a", 300);
    cr_assert_str_eq(out.awards[0].reason, "2018年度A类第2名，进入A类前3名，奖励300万元");

    /* 4th: nothing. */
    sc_class_record_t fourth[] = {R(2017, 'A', 4), R(2018, 'A', 4)};
    out = s_evaluate(&p, fourth, N(fourth));
    cr_assert_eq(out.total, 0);
}

Test(rewards, a_tie_at_rank_three_is_paid_only_when_ties_share)
{
    sc_reward_policy_t p = s_policy();
    /* Totals 95, 90, 85, 85 rank 1 2 3 3 (competition): two counties share
     * rank 3, so the tie group takes places 3 and 4. */
    sc_class_record_t tied3[] = {R(2018, 'A', 3), R(2019, 'A', 3)};
    tied3[1].tied = 2;
    sc_county_awards_t out = s_evaluate(&p, tied3, N(tied3));
    s_expect(&out, 0, "top3_a", 300); /* shared: rank 3 <= 3 */
    cr_assert_eq(out.total, 300);

    p.top_ties_share = false; /* 3 + 2 - 1 = 4 > 3: the group does not fit */
    out = s_evaluate(&p, tied3, N(tied3));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "top3_a", 0);
    cr_assert_eq(out.total, 0);
    cr_assert(strstr(out.awards[0].reason, "并列第3名（2县并列）"));

    /* Not shared, but a tie at 2 of two counties fits (2 + 2 - 1 = 3). */
    sc_class_record_t tied2[] = {R(2018, 'A', 2), R(2019, 'A', 2)};
    tied2[1].tied = 2;
    out = s_evaluate(&p, tied2, N(tied2));
    s_expect(&out, 0, "top3_a", 300);

    /* Not shared, rank 3 alone (tied 0 is read as 1): paid. */
    sc_class_record_t alone[] = {R(2018, 'A', 3), R(2019, 'A', 3)};
    out = s_evaluate(&p, alone, N(alone));
    s_expect(&out, 0, "top3_a", 300);
}

Test(rewards, b_to_a_pays_300_and_c_to_b_pays_200)
{
    sc_reward_policy_t p = s_policy();
    /* Rank 40 -> 38 (+2, below the 5-place step): the leap alone. */
    sc_class_record_t b_to_a[] = {R(2022, 'B', 40), R(2023, 'A', 38)};
    sc_county_awards_t out = s_evaluate(&p, b_to_a, N(b_to_a));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "leap_b_to_a", 300);
    cr_assert_eq(out.total, 300);
    cr_assert_str_eq(out.awards[0].reason, "由B类跃升至A类（2022年B类，2023年A类），奖励300万元");

    sc_class_record_t c_to_b[] = {R(2022, 'C', 120), R(2023, 'B', 118)};
    out = s_evaluate(&p, c_to_b, N(c_to_b));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "leap_c_to_b", 200);
    cr_assert_eq(out.total, 200);
}

Test(rewards, c_to_a_in_one_year_follows_the_policy_option)
{
    sc_reward_policy_t p = s_policy();
    sc_class_record_t c_to_a[] = {R(2022, 'C', 60), R(2023, 'A', 58)};

    p.c_to_a = SC_C_TO_A_LEAP_TO_A; /* the B -> A amount: 300 */
    sc_county_awards_t out = s_evaluate(&p, c_to_a, N(c_to_a));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "leap_c_to_a", 300);
    cr_assert_eq(out.total, 300);

    p.c_to_a = SC_C_TO_A_BOTH; /* 200 + 300 = 500, exactly the cap */
    out = s_evaluate(&p, c_to_a, N(c_to_a));
    cr_assert_eq(out.n_awards, 2);
    s_expect(&out, 0, "leap_c_to_b", 200);
    s_expect(&out, 1, "leap_b_to_a", 300);
    cr_assert_eq(out.total, 500);
    cr_assert_eq(out.uncapped, 500);

    p.c_to_a = SC_C_TO_A_NONE; /* an award of 0 that says why */
    out = s_evaluate(&p, c_to_a, N(c_to_a));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "leap_c_to_a", 0);
    cr_assert_eq(out.total, 0);
}

Test(rewards, rank_climbs_in_an_unchanged_class_pay_by_step)
{
    sc_reward_policy_t p = s_policy();
    sc_class_record_t up10[] = {R(2022, 'B', 30), R(2023, 'B', 20)}; /* 30 - 20 = 10: 200 */
    sc_county_awards_t out = s_evaluate(&p, up10, N(up10));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "rank_up_10", 200);
    cr_assert_str_eq(out.awards[0].reason,
                     "类别未变（2022年、2023年均为B类），排名由第30名升至第20名，"
                     "提高10位，奖励200万元");

    sc_class_record_t up9[] = {R(2022, 'C', 130), R(2023, 'C', 121)}; /* 9: 100 */
    out = s_evaluate(&p, up9, N(up9));
    s_expect(&out, 0, "rank_up_5", 100);

    sc_class_record_t up5[] = {R(2022, 'B', 30), R(2023, 'B', 25)}; /* 5: 100 */
    out = s_evaluate(&p, up5, N(up5));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "rank_up_5", 100);
    cr_assert_eq(out.total, 100);

    sc_class_record_t up4[] = {R(2022, 'B', 30), R(2023, 'B', 26)}; /* 4: nothing */
    out = s_evaluate(&p, up4, N(up4));
    cr_assert_eq(out.n_awards, 0);
    cr_assert_eq(out.total, 0);

    sc_class_record_t down[] = {R(2022, 'B', 20), R(2023, 'B', 30)}; /* fell 10: nothing */
    out = s_evaluate(&p, down, N(down));
    cr_assert_eq(out.n_awards, 0);
}

Test(rewards, a_rank_climb_with_a_class_change_follows_rank_when)
{
    sc_reward_policy_t p = s_policy();
    /* B 40 -> A 28: leap B -> A (300) and up 12 places (200 if allowed). */
    sc_class_record_t leap[] = {R(2022, 'B', 40), R(2023, 'A', 28)};
    /* A 20 -> B 8: a fall, yet up 12 places (others fell further). */
    sc_class_record_t fall[] = {R(2022, 'A', 20), R(2023, 'B', 8)};

    p.rank_when = SC_RANK_WHEN_CLASS_UNCHANGED; /* leap 300; fall 0 */
    sc_county_awards_t out = s_evaluate(&p, leap, N(leap));
    cr_assert_eq(out.n_awards, 2);
    s_expect(&out, 0, "leap_b_to_a", 300);
    s_expect(&out, 1, "rank_up_10", 0);
    cr_assert_eq(out.total, 300);
    out = s_evaluate(&p, fall, N(fall));
    s_expect(&out, 0, "rank_up_10", 0);
    cr_assert_eq(out.total, 0);

    p.rank_when = SC_RANK_WHEN_NO_LEAP; /* leap 300; fall 200 */
    out = s_evaluate(&p, leap, N(leap));
    cr_assert_eq(out.total, 300);
    out = s_evaluate(&p, fall, N(fall));
    s_expect(&out, 0, "rank_up_10", 200);
    cr_assert_eq(out.total, 200);

    p.rank_when = SC_RANK_ALWAYS; /* leap 300 + 200 = 500; fall 200 */
    out = s_evaluate(&p, leap, N(leap));
    s_expect(&out, 1, "rank_up_10", 200);
    cr_assert_eq(out.total, 500);
    out = s_evaluate(&p, fall, N(fall));
    cr_assert_eq(out.total, 200);
}

Test(rewards, a_leap_back_into_a_class_it_had_leapt_into_earns_nothing)
{
    /* B 2018 -> A 2019 (paid 300) -> B 2020 -> A 2021: nothing in 2021
     * under both readings (it held A in 2019, and leapt into it then). */
    sc_class_record_t h[] = {R(2018, 'B', 30), R(2019, 'A', 29), R(2020, 'B', 31),
                             R(2021, 'A', 30)};
    sc_reward_policy_t p = s_policy();
    sc_county_awards_t out = s_evaluate(&p, h, 2);
    s_expect(&out, 0, "leap_b_to_a", 300);

    sc_releap_rule_t rules[] = {SC_RELEAP_EVER_HELD, SC_RELEAP_LEAPT_BEFORE};
    for (size_t i = 0; i < N(rules); i++) {
        p.releap = rules[i];
        out = s_evaluate(&p, h, N(h));
        cr_assert_eq(out.n_awards, 1);
        s_expect(&out, 0, "releap_none", 0);
        cr_assert_eq(out.total, 0);
        cr_assert(strstr(out.awards[0].reason, "类别跃升后降级又跃升至同等类别的，不给予奖励"));
        cr_assert(strstr(out.awards[0].reason, "2019年"), "%s", out.awards[0].reason);
    }
}

Test(rewards, a_return_to_a_held_since_the_baseline_depends_on_the_reading)
{
    /* A in 2017 (baseline award, never leapt) -> B 2018 -> A 2019. */
    sc_class_record_t h[] = {R(2017, 'A', 10), R(2018, 'B', 30), R(2019, 'A', 28)};
    sc_reward_policy_t p = s_policy();
    sc_county_awards_t out = s_evaluate(&p, h, N(h)); /* ever_held: it held A in 2017 */
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "releap_none", 0);
    cr_assert(strstr(out.awards[0].reason, "该县2017年曾为A类"), "%s", out.awards[0].reason);

    p.releap = SC_RELEAP_LEAPT_BEFORE; /* it never leapt into A: 300 */
    out = s_evaluate(&p, h, N(h));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "leap_b_to_a", 300);
}

Test(rewards, a_leap_into_a_class_below_one_held_is_paid_unless_held_or_higher)
{
    /* A 2017 -> C 2018 -> B 2019: it never held B, so C -> B pays 200
     * under ever_held ("同等类别" is the same class); held_or_higher
     * refuses it because A is above B. */
    sc_class_record_t h[] = {R(2017, 'A', 10), R(2018, 'C', 100), R(2019, 'B', 98)};
    sc_reward_policy_t p = s_policy();
    sc_county_awards_t out = s_evaluate(&p, h, N(h));
    s_expect(&out, 0, "leap_c_to_b", 200);
    p.releap = SC_RELEAP_HELD_OR_HIGHER;
    out = s_evaluate(&p, h, N(h));
    s_expect(&out, 0, "releap_none", 0);
    cr_assert_eq(out.total, 0);
}

Test(rewards, a_re_leap_under_rank_when_always_withholds_the_rank_reward_too_by_default)
{
    /* B 2021 -> A 2022 (paid) -> B 2023 -> A 2024, climbing 40 -> 25 in
     * 2024: under rank_when = always the climb would pay 200 beside a
     * leap, but the leap is a re-leap: 「不给予奖励」 withholds both. */
    sc_class_record_t h[] = {R(2021, 'B', 30), R(2022, 'A', 28), R(2023, 'B', 40),
                             R(2024, 'A', 25)};
    sc_reward_policy_t p = s_policy();
    p.rank_when = SC_RANK_ALWAYS;
    sc_county_awards_t out = s_evaluate(&p, h, N(h));
    cr_assert_eq(out.n_awards, 2);
    s_expect(&out, 0, "releap_none", 0);
    s_expect(&out, 1, "rank_up_10", 0);
    cr_assert(strstr(out.awards[1].reason, "降级后又跃升（2022年曾为A类）"), "%s",
              out.awards[1].reason);
    cr_assert(strstr(out.awards[1].reason, "排名奖励亦不予奖励"), "%s", out.awards[1].reason);
    cr_assert_eq(out.total, 0);

    p.releap_rank = SC_RELEAP_RANK_PAID; /* only the leap is withheld */
    out = s_evaluate(&p, h, N(h));
    s_expect(&out, 0, "releap_none", 0);
    s_expect(&out, 1, "rank_up_10", 200);
    cr_assert_eq(out.total, 200);

    /* a first leap with the same climb is paid both ways */
    p.releap_rank = SC_RELEAP_RANK_WITHHELD;
    out = s_evaluate(&p, h, 2);
    cr_assert_eq(out.total, 300); /* 28th: no climb of 5, B -> A 300 */
    sc_class_record_t first[] = {R(2023, 'B', 40), R(2024, 'A', 25)};
    out = s_evaluate(&p, first, N(first));
    s_expect(&out, 0, "leap_b_to_a", 300);
    s_expect(&out, 1, "rank_up_10", 200);
    cr_assert_eq(out.total, 500);
}

Test(rewards, the_c_to_b_part_of_a_c_a_is_a_re_leap_unless_judged_in_parts)
{
    /* A 2018 -> C 2019 -> A 2020 under c_to_a = both (seed 002 pays
     * nothing for the return to A). */
    sc_class_record_t h[] = {R(2018, 'A', 20), R(2019, 'C', 120), R(2020, 'A', 22)};
    sc_reward_policy_t p = s_policy();
    p.c_to_a = SC_C_TO_A_BOTH;
    sc_county_awards_t out = s_evaluate(&p, h, N(h)); /* whole: both parts withheld */
    cr_assert_eq(out.n_awards, 3);
    s_expect(&out, 0, "releap_none", 0);
    s_expect(&out, 1, "releap_none", 0);
    s_expect(&out, 2, "rank_up_10", 0); /* up 98 places, but the class changed */
    cr_assert(strstr(out.awards[0].reason, "计C类跃升B类一项"), "%s", out.awards[0].reason);
    cr_assert(strstr(out.awards[1].reason, "计B类跃升A类一项"), "%s", out.awards[1].reason);
    cr_assert_eq(out.total, 0);

    p.releap_c_to_a = SC_RELEAP_C_TO_A_PARTS; /* it never held B: C -> B is paid */
    out = s_evaluate(&p, h, N(h));
    s_expect(&out, 0, "leap_c_to_b", 200);
    s_expect(&out, 1, "releap_none", 0);
    cr_assert_eq(out.total, 200);

    /* B 2018 -> C 2019 -> A 2020: into A for the first time; whole pays both */
    sc_class_record_t from_b[] = {R(2018, 'B', 60), R(2019, 'C', 120), R(2020, 'A', 22)};
    p.releap_c_to_a = SC_RELEAP_C_TO_A_WHOLE;
    out = s_evaluate(&p, from_b, N(from_b));
    s_expect(&out, 0, "leap_c_to_b", 200);
    s_expect(&out, 1, "leap_b_to_a", 300);
    cr_assert_eq(out.total, 500);
}

Test(rewards, the_described_policy_names_every_option_as_it_will_be_applied)
{
    sc_reward_policy_t p = s_policy();
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert(out);
    rewards_describe(&p, out);
    fclose(out);
    const char *expected[] = {"[top_ties_share = true]",
                              "[c_to_a = leap_to_a]",
                              "[rank_when = class_unchanged]",
                              "[releap = ever_held]",
                              "[releap_rank = withheld]",
                              "[releap_c_to_a = whole]",
                              "[new_county_compared = false]",
                              "[cap] 同一县同一年度",
                              "奖励300万元",
                              "全省评价中的名次"};
    for (size_t i = 0; i < N(expected); i++)
        cr_expect(strstr(text, expected[i]) != NULL, "missing '%s' in:\n%s", expected[i], text);
    free(text);
    p.rank_when = SC_RANK_ALWAYS;
    p.releap_rank = SC_RELEAP_RANK_PAID;
    p.c_to_a = SC_C_TO_A_BOTH;
    out = open_memstream(&text, &size);
    rewards_describe(&p, out);
    fclose(out);
    cr_expect(strstr(text, "[rank_when = always] 排名奖励授予所有排名提升的县") != NULL, "%s",
              text);
    cr_expect(strstr(text, "[releap_rank = paid]") != NULL, "%s", text);
    cr_expect(strstr(text, "此项不起作用") == NULL, "c_to_a = both: the C -> A reading applies");
    free(text);
}

Test(rewards, awards_stack_up_to_the_cap)
{
    /* B 14 -> A 3, ranks compared always: top 3 of A 300 + B -> A 300 +
     * up 11 places 200 = 800, paid 500. */
    sc_class_record_t h[] = {R(2022, 'B', 14), R(2023, 'A', 3)};
    sc_reward_policy_t p = s_policy();
    p.rank_when = SC_RANK_ALWAYS;
    sc_county_awards_t out = s_evaluate(&p, h, N(h));
    cr_assert_eq(out.n_awards, 4);
    s_expect(&out, 0, "top3_a", 300);
    s_expect(&out, 1, "leap_b_to_a", 300);
    s_expect(&out, 2, "rank_up_10", 200);
    s_expect(&out, 3, "cap", 0);
    cr_assert_eq(out.uncapped, 800);
    cr_assert_eq(out.total, 500);
    cr_assert_str_eq(out.awards[3].reason, "同年多项奖励合计800万元，按最高500万元计");
}

Test(rewards, a_county_without_last_year_gets_no_leap_or_rank_award)
{
    sc_reward_policy_t p = s_policy();
    /* New to the list in 2023, class A and 2nd: top 3 needs no previous. */
    sc_class_record_t new_a[] = {R(2023, 'A', 2)};
    sc_county_awards_t out = s_evaluate(&p, new_a, N(new_a));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "top3_a", 300);

    /* B 30 in 2021, not scored 2022, B 15 in 2023 (up 15). */
    sc_class_record_t gap[] = {R(2021, 'B', 30), R(2022, 0, 0), R(2023, 'B', 15)};
    out = s_evaluate(&p, gap, N(gap));
    cr_assert_eq(out.n_awards, 0);

    p.new_county_compared = true; /* compared with 2021: up 15 places, 200 */
    out = s_evaluate(&p, gap, N(gap));
    cr_assert_eq(out.n_awards, 1);
    s_expect(&out, 0, "rank_up_10", 200);
    cr_assert(strstr(out.awards[0].reason, "2021年、2023年"), "%s", out.awards[0].reason);

    /* Nothing earlier at all: still nothing to compare with. */
    sc_class_record_t only[] = {R(2023, 'B', 15)};
    out = s_evaluate(&p, only, N(only));
    cr_assert_eq(out.n_awards, 0);
}

Test(rewards, years_before_the_baseline_or_unscored_pay_nothing)
{
    sc_reward_policy_t p = s_policy();
    sc_class_record_t before[] = {R(2016, 'A', 1)};
    sc_county_awards_t out = s_evaluate(&p, before, N(before));
    cr_assert_eq(out.n_awards, 0);
    sc_class_record_t unscored[] = {R(2022, 'B', 30), R(2023, 0, 0)};
    out = s_evaluate(&p, unscored, N(unscored));
    cr_assert_eq(out.n_awards, 0);
    cr_assert_eq(out.total, 0);
}

static char *s_read(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    cr_assert_not_null(file, "cannot open %s (run the tests from the repo root)", path);
    char *text = malloc(65536);
    *size = fread(text, 1, 65536, file);
    fclose(file);
    return text;
}

Test(rewards, the_shipped_policy_parses_to_the_seed_amounts)
{
    size_t size = 0;
    char *text = s_read(S_POLICY_PATH, &size);
    kc_errors_t errors;
    kc_errors_init(&errors);
    sc_reward_policy_t p;
    int rc = rewards_parse(text, size, &p, &errors);
    cr_assert_eq(rc, 0, "%zu errors, first: %s %s", errors.total,
                 errors.kept ? errors.items[0].field : "",
                 errors.kept ? errors.items[0].message : "");
    sc_reward_policy_t e = s_policy();
    cr_assert_str_eq(p.code, e.code);
    cr_assert_str_eq(p.title_zh, "河北省县域科技创新跃升奖励（2019-2025年）");
    int got[] = {p.baseline_year,
                 p.amount_baseline_a,
                 p.amount_top3_a,
                 p.top_n,
                 p.amount_b_to_a,
                 p.amount_c_to_b,
                 p.amount_rank_10,
                 p.amount_rank_5,
                 p.rank_big_step,
                 p.rank_small_step,
                 p.cap,
                 (int)p.c_to_a,
                 (int)p.rank_when,
                 (int)p.releap,
                 p.top_ties_share,
                 p.new_county_compared};
    int want[] = {e.baseline_year,
                  e.amount_baseline_a,
                  e.amount_top3_a,
                  e.top_n,
                  e.amount_b_to_a,
                  e.amount_c_to_b,
                  e.amount_rank_10,
                  e.amount_rank_5,
                  e.rank_big_step,
                  e.rank_small_step,
                  e.cap,
                  (int)e.c_to_a,
                  (int)e.rank_when,
                  (int)e.releap,
                  e.top_ties_share,
                  e.new_county_compared};
    for (size_t i = 0; i < N(got); i++)
        cr_assert_eq(got[i], want[i], "field %zu of the policy: %d, expected %d", i, got[i],
                     want[i]);
    kc_errors_release(&errors);
    free(text);
}

static const char s_minimal[] = "[policy]\ncode = t\n"
                                "[rewards]\nbaseline_year = 2017\namount_baseline_a = 300\n"
                                "amount_top3_a = 300\ntop_n = 3\namount_b_to_a = 300\n"
                                "amount_c_to_b = 200\namount_rank_10 = 200\namount_rank_5 = 100\n"
                                "rank_big_step = 10\nrank_small_step = 5\n";

Test(rewards, options_take_their_documented_defaults_and_names)
{
    char text[1024];
    snprintf(text, sizeof text,
             "%scap = 0\n[options]\nc_to_a = both\nrank_when = no_leap\nreleap = leapt_before\n"
             "top_ties_share = false\nnew_county_compared = true\nreleap_rank = paid\n"
             "releap_c_to_a = parts\n",
             s_minimal);
    kc_errors_t errors;
    kc_errors_init(&errors);
    sc_reward_policy_t p;
    cr_assert_eq(rewards_parse(text, strlen(text), &p, &errors), 0);
    cr_assert_eq(p.cap, 0);
    cr_assert_eq(p.c_to_a, SC_C_TO_A_BOTH);
    cr_assert_eq(p.rank_when, SC_RANK_WHEN_NO_LEAP);
    cr_assert_eq(p.releap, SC_RELEAP_LEAPT_BEFORE);
    cr_assert_not(p.top_ties_share);
    cr_assert(p.new_county_compared);
    cr_assert_eq(p.releap_rank, SC_RELEAP_RANK_PAID);
    cr_assert_eq(p.releap_c_to_a, SC_RELEAP_C_TO_A_PARTS);

    snprintf(text, sizeof text, "%scap = 500\n", s_minimal); /* no [options]: header defaults */
    cr_assert_eq(rewards_parse(text, strlen(text), &p, &errors), 0);
    cr_assert_eq(p.c_to_a, SC_C_TO_A_LEAP_TO_A);
    cr_assert_eq(p.rank_when, SC_RANK_WHEN_CLASS_UNCHANGED);
    cr_assert_eq(p.releap, SC_RELEAP_EVER_HELD);
    cr_assert_eq(p.releap_rank, SC_RELEAP_RANK_WITHHELD);
    cr_assert_eq(p.releap_c_to_a, SC_RELEAP_C_TO_A_WHOLE);
    cr_assert(p.top_ties_share);
    cr_assert_not(p.new_county_compared);
    cr_assert_eq(errors.total, 0);
    kc_errors_release(&errors);
}

Test(rewards, an_unknown_key_is_an_error)
{
    char text[1024];
    snprintf(text, sizeof text, "%scap = 500\nbonus = 50\n", s_minimal);
    kc_errors_t errors;
    kc_errors_init(&errors);
    sc_reward_policy_t p;
    cr_assert_eq(rewards_parse(text, strlen(text), &p, &errors), -1);
    cr_assert_eq(errors.total, 1);
    cr_assert_eq(errors.items[0].code, KC_ERR_INPUT);
    cr_assert_str_eq(errors.items[0].field, "rewards.bonus");
    cr_assert_str_eq(errors.items[0].message, "unknown key 'rewards.bonus'");
    kc_errors_release(&errors);
}

Test(rewards, a_negative_amount_is_an_error)
{
    char text[1024];
    snprintf(text, sizeof text, "%scap = -1\n", s_minimal);
    kc_errors_t errors;
    kc_errors_init(&errors);
    sc_reward_policy_t p;
    cr_assert_eq(rewards_parse(text, strlen(text), &p, &errors), -1);
    cr_assert_eq(errors.total, 1);
    cr_assert_eq(errors.items[0].code, KC_ERR_OUT_OF_RANGE);
    cr_assert_str_eq(errors.items[0].field, "rewards.cap");
    kc_errors_release(&errors);
}

Test(rewards, every_problem_of_a_policy_is_reported_at_once)
{
    /* Seven problems, in the order reported (the file's order, then the
     * checks of the whole): top_n 0, amount_c_to_b negative, amount_rank_5
     * not an integer, c_to_a unknown, a key in an unknown section, cap
     * missing, and steps 10 / 10 not small < big. */
    const char *text = "[policy]\ncode = t\n"
                       "[rewards]\nbaseline_year = 2017\namount_baseline_a = 300\n"
                       "amount_top3_a = 300\ntop_n = 0\namount_b_to_a = 300\n"
                       "amount_c_to_b = -200\namount_rank_10 = 200\namount_rank_5 = 1.5\n"
                       "rank_big_step = 10\nrank_small_step = 10\n"
                       "[options]\nc_to_a = twice\n[extra]\nnote = x\n";
    const struct {
        const char *field;
        kc_error_code_t code;
    } expected[] = {
        {"rewards.top_n", KC_ERR_OUT_OF_RANGE},
        {"rewards.amount_c_to_b", KC_ERR_OUT_OF_RANGE},
        {"rewards.amount_rank_5", KC_ERR_INVALID_FORMAT},
        {"options.c_to_a", KC_ERR_INVALID_FORMAT},
        {"extra.note", KC_ERR_INPUT},
        {"rewards.cap", KC_ERR_REQUIRED},
        {"rewards.rank_small_step", KC_ERR_OUT_OF_RANGE},
    };
    kc_errors_t errors;
    kc_errors_init(&errors);
    sc_reward_policy_t p;
    cr_assert_eq(rewards_parse(text, strlen(text), &p, &errors), -1);
    cr_assert_eq(errors.total, N(expected));
    for (size_t i = 0; i < N(expected); i++) {
        cr_assert_str_eq(errors.items[i].field, expected[i].field);
        cr_assert_eq(errors.items[i].code, expected[i].code, "%s", expected[i].field);
    }
    kc_errors_release(&errors);
}

Test(rewards, a_duplicate_key_and_a_syntax_error_are_reported)
{
    char text[1024];
    snprintf(text, sizeof text, "%scap = 500\ncap = 400\nthis line has no equals sign\n",
             s_minimal);
    kc_errors_t errors;
    kc_errors_init(&errors);
    sc_reward_policy_t p;
    cr_assert_eq(rewards_parse(text, strlen(text), &p, &errors), -1);
    cr_assert_eq(errors.total, 2);
    cr_assert_str_eq(errors.items[0].field, "rewards.cap");
    cr_assert_str_eq(errors.items[0].message, "key 'rewards.cap' given twice");
    cr_assert_str_eq(errors.items[1].message, "syntax error on line 16 of the policy");
    kc_errors_release(&errors);
}

/* libinih reads 199 bytes of a line and the rest as a line of its own, so
 * before the line check this comment's tail set the cap to 5000 and the
 * policy parsed (tests/fuzz/fuzz_scoring_files now checks that no parsed
 * file holds such a line). */
Test(rewards, a_line_longer_than_libinih_reads_is_an_error_and_sets_nothing)
{
    char comment[260];
    memset(comment, 'x', sizeof comment);
    comment[0] = ';';
    memcpy(comment + 197, "cap = 5000", 11); /* line of 197 + 10 = 207 bytes */
    char text[2048];
    snprintf(text, sizeof text, "%s%s\n", s_minimal, comment);
    kc_errors_t errors;
    kc_errors_init(&errors);
    sc_reward_policy_t p;
    cr_assert_eq(rewards_parse(text, strlen(text), &p, &errors), -1);
    cr_assert_eq(errors.total, 1);
    cr_assert_eq(errors.items[0].code, KC_ERR_TOO_LONG);
    /* s_minimal holds 13 lines, so the comment is line 14. */
    cr_assert_str_eq(errors.items[0].message, "line 14 is 207 bytes long, at most 196");
    cr_assert_eq(p.cap, 0);
    kc_errors_release(&errors);
}

Test(rewards, a_code_that_could_not_go_into_a_snapshot_line_is_an_error)
{
    /* The code is written between tabs in every run's snapshot. */
    const char *bad[] = {"[policy]\ncode = a\tb\n", "[policy]\ncode = Hebei\n",
                         "[policy]\ntitle = \xff\xfe\ncode = t\n"};
    const kc_error_code_t want[] = {KC_ERR_INVALID_FORMAT, KC_ERR_INVALID_FORMAT,
                                    KC_ERR_INVALID_UTF8};
    for (size_t i = 0; i < N(bad); i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%scap = 500\n", bad[i],
                 s_minimal + strlen("[policy]\ncode = t\n"));
        kc_errors_t errors;
        kc_errors_init(&errors);
        sc_reward_policy_t p;
        cr_assert_eq(rewards_parse(text, strlen(text), &p, &errors), -1, "case %zu", i);
        cr_assert_eq(errors.total, 1, "case %zu", i);
        cr_assert_eq(errors.items[0].code, want[i], "case %zu", i);
        kc_errors_release(&errors);
    }
}
