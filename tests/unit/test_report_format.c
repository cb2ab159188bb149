/*  Unit tests of the number formatting of the reports
 *  (services/scoring/report_html.c): centipoints, values by unit and
 *  shares that add up to 100.0 %. Suite `report` (declared in
 *  test_report.c, so these run with the same fixture around them).
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>

#include "scoring/report_html.h"

Test(report, formats_centipoints_with_exactly_two_decimals_by_integer_arithmetic)
{
    char number[REPORT_NUMBER_MAX];
    cr_assert_str_eq(report_html_centi(8000, number), "80.00");
    cr_assert_str_eq(report_html_centi(5, number), "0.05");
    cr_assert_str_eq(report_html_centi(12345, number), "123.45");
    cr_assert_str_eq(report_html_centi(0, number), "0.00");
    cr_assert_str_eq(report_html_centi(-5, number), "-0.05");
    cr_assert_str_eq(report_html_centi(INT32_MIN, number), "-21474836.48");
    cr_assert_str_eq(report_html_delta(149, number), "+1.49");
    cr_assert_str_eq(report_html_delta(-500, number), "-5.00");
    cr_assert_str_eq(report_html_delta(0, number), "0.00");
    /* 0.125 is exact in binary: 12.5 rounds half away from zero to 13 */
    cr_assert_str_eq(report_html_fixed(0.125, 2, number), "0.13");
    cr_assert_str_eq(report_html_fixed(-0.125, 2, number), "-0.13");
    cr_assert_str_eq(report_html_fixed(1050, 2, number), "1050.00");
    cr_assert_str_eq(report_html_fixed(INFINITY, 2, number), "—");
    /* 1/3 = 33.33 % -> 33.3 %; 2/3 = 66.67 % -> 66.7 % */
    cr_assert_str_eq(report_html_percent(1, 3, number), "33.3%");
    cr_assert_str_eq(report_html_percent(2, 3, number), "66.7%");
}

Test(report, writes_counts_and_amounts_without_needless_decimals)
{
    char number[REPORT_NUMBER_MAX];
    /* counts: integral values as integers, others trimmed to what they carry */
    cr_assert_str_eq(report_html_value(244, "家", number), "244");
    cr_assert_str_eq(report_html_value(5, "个", number), "5");
    cr_assert_str_eq(report_html_value(599.75, "件", number), "599.75");
    cr_assert_str_eq(report_html_value(12.5, "件", number), "12.5");
    /* 244.004 rounds to 244.00 first, then trims: integer arithmetic on 24400 */
    cr_assert_str_eq(report_html_value(244.004, "家", number), "244");
    /* amounts in 万元: no decimals when integral, else up to 2 */
    cr_assert_str_eq(report_html_value(53972, "万元", number), "53972");
    cr_assert_str_eq(report_html_value(53972.5, "万元", number), "53972.5");
    cr_assert_str_eq(report_html_value(0.125, "万元", number), "0.13");
    cr_assert_str_eq(report_html_value(-3, "万元", number), "-3");
    cr_assert_str_eq(report_html_value(0, "万元", number), "0");
    /* percentages and per-10,000 rates: always exactly two decimals */
    cr_assert_str_eq(report_html_value(2, "%", number), "2.00");
    cr_assert_str_eq(report_html_value(2.5, "%", number), "2.50");
    cr_assert_str_eq(report_html_value(13, "件/万人", number), "13.00");
    cr_assert_str_eq(report_html_value(7.125, "人/万人", number), "7.13");
    /* an unknown or empty unit keeps the two decimals */
    cr_assert_str_eq(report_html_value(1, "", number), "1.00");
    cr_assert_str_eq(report_html_value(1, NULL, number), "1.00");
    cr_assert_str_eq(report_html_value(NAN, "家", number), "—");
}

/* The class probabilities of a county shown side by side: tenths of a
 * percent by largest remainder, so that they add up to exactly 1000. */
static void s_assert_shares(double a, double b, double c, int32_t ta, int32_t tb, int32_t tc)
{
    const double fractions[3] = {a, b, c};
    int32_t tenths[3] = {-1, -1, -1};
    report_html_shares(fractions, 3, tenths);
    cr_assert_eq(tenths[0], ta, "A: %d, expected %d", tenths[0], ta);
    cr_assert_eq(tenths[1], tb, "B: %d, expected %d", tenths[1], tb);
    cr_assert_eq(tenths[2], tc, "C: %d, expected %d", tenths[2], tc);
}

Test(report, class_probabilities_add_up_to_exactly_one_hundred_percent)
{
    /* tenths 996.5 + 3.5 + 0: floors 996 + 3 + 0 = 999, remainders 0.5, 0.5
     * and 0 tie between A and B: the missing tenth goes to the earlier
     * class, A, so 99.7 / 0.3 / 0.0 (each rounded half up would show
     * 99.7 + 0.4 = 100.1) */
    s_assert_shares(0.9965, 0.0035, 0, 997, 3, 0);
    /* 0.5 + 905.5 + 94: floors 0 + 905 + 94 = 999, A and B tie: A */
    s_assert_shares(0.0005, 0.9055, 0.094, 1, 905, 94);
    /* 333.3 + 333.3 + 333.4: floors 999, the largest remainder (0.4) is C's;
     * each rounded on its own would show 33.3 * 3 = 99.9 */
    s_assert_shares(0.3333, 0.3333, 0.3334, 333, 333, 334);
    /* 123.4 + 456.7 + 419.9: floors 998, two tenths to the largest
     * remainders, C (0.9) then B (0.7), whatever their order */
    s_assert_shares(0.1234, 0.4567, 0.4199, 123, 457, 420);
    /* thirds: millionths 333333 each, sum 999999, quota 333.33 each:
     * floors 999, equal remainders, A takes the last tenth */
    s_assert_shares(1.0 / 3, 1.0 / 3, 1.0 / 3, 334, 333, 333);
    /* exact tenths: nothing to hand out */
    s_assert_shares(0.2, 0.3, 0.5, 200, 300, 500);
    /* fractions that do not add up to 1 are shared in proportion: 1 : 1 : 1
     * as the thirds above */
    s_assert_shares(0.5, 0.5, 0.5, 334, 333, 333);
    /* nothing to share; not finite or negative counts as 0 */
    s_assert_shares(0, 0, 0, 0, 0, 0);
    s_assert_shares(NAN, -1, 1, 0, 0, 1000);
}
