/*  Unit tests of periods: the stated years of a rules version and the
 *  years it is in force among the others of its kind.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "scoring/methodology.h"
#include "scoring/periods.h"
#include "scoring/rewards.h"

Test(periods, a_period_is_one_year_a_range_or_open_ended)
{
    int first = 0, last = 0;
    cr_expect_eq(periods_parse("2017-", &first, &last), 0);
    cr_expect(first == 2017 && last == PERIODS_OPEN);
    cr_expect_eq(periods_parse("2017-2025", &first, &last), 0);
    cr_expect(first == 2017 && last == 2025);
    cr_expect_eq(periods_parse("2019", &first, &last), 0);
    cr_expect(first == 2019 && last == 2019);
    /* out of order is read as written: the file's parser says which key */
    cr_expect_eq(periods_parse("2025-2017", &first, &last), 0);
    cr_expect(first == 2025 && last == 2017);
    const char *bad[] = {"",      "-2017",     "17-25",  "2017-25",    "2017 -",
                         "1989-", "2017-2101", "2017--", "2017-2025x", " 2017"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(periods_parse(bad[i], &first, &last), -1, "'%s' was accepted", bad[i]);
}

Test(periods, a_period_is_written_as_it_is_read)
{
    char text[16];
    periods_format(2017, PERIODS_OPEN, text, sizeof text);
    cr_expect_str_eq(text, "2017-");
    periods_format(2017, 2025, text, sizeof text);
    cr_expect_str_eq(text, "2017-2025");
    periods_format(2019, 2019, text, sizeof text);
    cr_expect_str_eq(text, "2019");
}

Test(periods, a_later_version_replaces_an_open_one_from_its_first_year)
{
    periods_version_t versions[] = {{"leap-2019", 2019, PERIODS_OPEN},
                                    {"leap-2026", 2026, PERIODS_OPEN}};
    char applied[128], replaced[128];
    periods_applied(versions, 2, 0, applied, sizeof applied, replaced, sizeof replaced);
    cr_expect_str_eq(applied, "2019-2025");
    cr_expect_str_eq(replaced, "2026- leap-2026");
    periods_applied(versions, 2, 1, applied, sizeof applied, replaced, sizeof replaced);
    cr_expect_str_eq(applied, "2026-");
    cr_expect_str_eq(replaced, "");
}

Test(periods, a_closed_version_inside_an_open_one_leaves_it_the_years_around)
{
    periods_version_t versions[] = {{"v1", 2017, PERIODS_OPEN}, {"sensitivity", 2019, 2019}};
    char applied[128], replaced[128];
    periods_applied(versions, 2, 0, applied, sizeof applied, replaced, sizeof replaced);
    cr_expect_str_eq(applied, "2017-2018, 2020-");
    cr_expect_str_eq(replaced, "2019 sensitivity");
}

Test(periods, of_two_versions_from_the_same_year_the_one_loaded_last_is_in_force)
{
    periods_version_t versions[] = {{"a", 2026, PERIODS_OPEN}, {"b", 2026, 2030}};
    char applied[128], replaced[128];
    periods_applied(versions, 2, 0, applied, sizeof applied, replaced, sizeof replaced);
    cr_expect_str_eq(applied, "2031-");
    cr_expect_str_eq(replaced, "2026-2030 b");
    periods_applied(versions, 2, 1, applied, sizeof applied, replaced, sizeof replaced);
    cr_expect_str_eq(applied, "2026-2030");
    /* entirely replaced */
    periods_version_t same[] = {{"a", 2026, 2027}, {"b", 2026, PERIODS_OPEN}};
    periods_applied(same, 2, 0, applied, sizeof applied, replaced, sizeof replaced);
    cr_expect_str_eq(applied, "none");
    cr_expect_str_eq(replaced, "2026-2027 b");
}

/* A reward policy with `years` (NULL: without the key). */
static int s_policy(const char *years, sc_reward_policy_t *policy, kc_errors_t *errors)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[policy]\ncode = t\n%s%s%s[rewards]\nbaseline_year = 2017\n"
             "amount_baseline_a = 300\namount_top3_a = 300\ntop_n = 3\namount_b_to_a = 300\n"
             "amount_c_to_b = 200\namount_rank_10 = 200\namount_rank_5 = 100\n"
             "rank_big_step = 10\nrank_small_step = 5\ncap = 500\n",
             years ? "years = " : "", years ? years : "", years ? "\n" : "");
    kc_errors_init(errors);
    return rewards_parse(text, strlen(text), policy, errors);
}

Test(periods, a_reward_policy_states_its_years_or_runs_from_its_baseline_year)
{
    sc_reward_policy_t policy;
    kc_errors_t errors;
    cr_assert_eq(s_policy("2026-", &policy, &errors), 0);
    cr_expect(policy.first_year == 2026 && policy.last_year == PERIODS_OPEN);
    cr_expect_eq(policy.baseline_year, 2017, "the baseline is not the period");
    kc_errors_release(&errors);
    cr_assert_eq(s_policy(NULL, &policy, &errors), 0);
    cr_expect(policy.first_year == 2017 && policy.last_year == PERIODS_OPEN);
    kc_errors_release(&errors);
    cr_expect_eq(s_policy("2026-2019", &policy, &errors), -1);
    cr_expect_str_eq(errors.items[0].field, "policy.years");
    cr_expect_eq(errors.items[0].code, KC_ERR_YEAR_OUT_OF_RANGE);
    kc_errors_release(&errors);
    cr_expect_eq(s_policy("from 2026", &policy, &errors), -1);
    cr_expect_eq(errors.items[0].code, KC_ERR_INVALID_FORMAT);
    kc_errors_release(&errors);
}

/* The first `size` - 1 bytes of a shipped file. */
static size_t s_shipped(const char *path, char *text, size_t size)
{
    FILE *file = fopen(path, "rb");
    cr_assert(file, "cannot open %s (tests run from the repository root)", path);
    size_t length = fread(text, 1, size - 1, file);
    fclose(file);
    text[length] = '\0';
    return length;
}

Test(periods, the_shipped_rules_run_from_2017_until_replaced)
{
    static char text[1 << 16];
    static sc_methodology_t m;
    kc_errors_t errors;
    kc_errors_init(&errors);
    size_t length = s_shipped("deploy/scoring/hebei-2019-v1.ini", text, sizeof text);
    cr_assert_eq(methodology_parse(text, length, &m, &errors), 0);
    cr_expect(m.first_year == 2017 && m.last_year == PERIODS_OPEN);
    sc_reward_policy_t policy;
    length = s_shipped("deploy/scoring/rewards-hebei-2019.ini", text, sizeof text);
    cr_assert_eq(rewards_parse(text, length, &policy, &errors), 0);
    cr_expect(policy.first_year == 2017 && policy.last_year == PERIODS_OPEN);
    kc_errors_release(&errors);
}
