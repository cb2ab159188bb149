/*  Unit tests for snapshot.c: the canonical text of a run's input.
 *
 *  A one-indicator methodology (input I01, years 2020-2023) keeps the
 *  texts short. The rejected inputs are the reproducers of what the
 *  reader used to accept and change silently (tests/fuzz/fuzz_scoring_files
 *  checks the write -> read -> write round trip on any text).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/snapshot.h"

static sc_methodology_t s_m;

static const char s_methodology[] = "[methodology]\ncode = t\nframework = f\ntitle = t\n"
                                    "years = 2020-2023\nclass_a = 80\nclass_b = 60\n"
                                    "[primary.p]\nname = p\npoints = 100\n"
                                    "[indicator.I01]\nprimary = p\nname = n\nunit = u\n"
                                    "kind = quantitative\ndirection = positive\npoints = 100\n"
                                    "method = benchmark\nbenchmark = 10\nmissing = zero\n"
                                    "provider = stats\npublished = true\n";

#define S_HEAD                                                                                     \
    "kechuang-scoring-input 1\nscope\t130000\t河北省\nyear\t2023\nmethodology\tt\tabc\n"        \
    "policy\tp\tdef\ninputs\tI01\n"

/* Canonical: every value as %.17g prints it. */
static const char s_text[] = S_HEAD "Y\t2022\t1\n"
                                    "C\t130102\t长安区\t130100\t石家庄市\t1.5\n"
                                    "Y\t2023\t2\n"
                                    "C\t130102\t长安区\t130100\t石家庄市\t-\n"
                                    "C\t130121\t井陉县\t130100\t石家庄市\t-0\n";

static void s_setup(void)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(methodology_parse(s_methodology, strlen(s_methodology), &s_m, &errors), 0);
    cr_assert_eq(s_m.n_inputs, 1);
    kc_errors_release(&errors);
}

TestSuite(snapshot, .init = s_setup);

Test(snapshot, a_canonical_text_reads_and_writes_back_byte_for_byte)
{
    sc_snapshot_t s;
    kc_error_t error;
    cr_assert_eq(snapshot_read(&s_m, s_text, strlen(s_text), &s, &error), 0, "%s", error.message);
    cr_assert_eq(s.year, 2023);
    cr_assert_str_eq(s.scope_name, "河北省");
    cr_assert_eq(s.n_years, 2);
    cr_assert_eq(s.years[0].year, 2022);
    cr_assert_eq(s.years[0].n_counties, 1);
    cr_assert(s.years[0].present[0] && s.years[0].values[0] == 1.5);
    cr_assert_eq(s.years[1].n_counties, 2);
    cr_assert_not(s.years[1].present[0]);
    cr_assert(s.years[1].present[1] && s.years[1].values[1] == 0 && signbit(s.years[1].values[1]));
    cr_assert_str_eq(s.years[1].counties[1].name, "井陉县");
    char *text = NULL;
    size_t size = 0;
    cr_assert_eq(snapshot_write(&s_m, &s, &text, &size, &error), 0);
    cr_assert_eq(size, strlen(s_text));
    cr_assert_str_eq(text, s_text);
    free(text);
    snapshot_release(&s);
}

static void s_expect_rejected(const char *text, size_t size, const char *message)
{
    sc_snapshot_t s;
    kc_error_t error;
    kc_error_clear(&error);
    cr_assert_eq(snapshot_read(&s_m, text, size, &s, &error), -1, "accepted: %s", text);
    cr_assert_eq(error.code, KC_ERR_INPUT);
    cr_assert_str_eq(error.message, message);
    cr_assert_null(s.years);
    cr_assert_eq(s.n_years, 0);
}

Test(snapshot, a_value_that_is_not_finite_is_rejected)
{
    /* "nan(0x5)" used to be read, then written back as "nan": other bits. */
    const char *nan = S_HEAD "Y\t2023\t1\nC\t130102\ta\t130100\tb\tnan(0x5)\n";
    s_expect_rejected(nan, strlen(nan), "snapshot line 8: bad number 'nan(0x5)'");
    const char *inf = S_HEAD "Y\t2023\t1\nC\t130102\ta\t130100\tb\tinf\n";
    s_expect_rejected(inf, strlen(inf), "snapshot line 8: bad number 'inf'");
}

Test(snapshot, a_field_too_long_for_its_slot_is_rejected_not_cut)
{
    /* Seven digits used to be cut to six: another county's code. */
    const char *text = S_HEAD "Y\t2023\t1\nC\t1301021\ta\t130100\tb\t1\n";
    s_expect_rejected(text, strlen(text), "snapshot line 8: field 2 is 7 bytes, at most 6");
}

Test(snapshot, a_year_outside_the_methodology_or_out_of_order_is_rejected)
{
    /* 4294969319 = 2^32 + 2023 used to be read as 2023 (cut to an int). */
    const char *wrapped = "kechuang-scoring-input 1\nscope\t130000\tx\nyear\t4294969319\n";
    s_expect_rejected(wrapped, strlen(wrapped),
                      "snapshot year '4294969319' is not a year of methodology 't' (2020-2023)");
    const char *backwards = S_HEAD "Y\t2023\t0\nY\t2022\t0\n";
    s_expect_rejected(backwards, strlen(backwards),
                      "snapshot line 8: year '2022' is not after 2023 and at most 2023");
    /* The history may start before the methodology (with its framework),
     * not before any year a rules file may state. */
    const char *early = S_HEAD "Y\t1989\t0\nY\t2023\t0\n";
    s_expect_rejected(early, strlen(early),
                      "snapshot line 7: year '1989' is not after 1989 and at most 2023");
    const char *history = S_HEAD "Y\t2019\t0\nY\t2023\t0\n";
    sc_snapshot_t s;
    kc_error_t error;
    cr_assert_eq(snapshot_read(&s_m, history, strlen(history), &s, &error), 0, "%s", error.message);
    snapshot_release(&s);
}

Test(snapshot, a_county_count_the_text_cannot_hold_is_rejected_before_allocating)
{
    /* The one county line left is 22 bytes: far fewer than 100000 lines of
     * at least 1 + 4 + 2 = 7 bytes and a newline. */
    const char *text = S_HEAD "Y\t2023\t100000\nC\t130102\ta\t130100\tb\t1\n";
    s_expect_rejected(text, strlen(text),
                      "snapshot line 7: '100000' counties do not fit in the rest of the text");
    /* Exactly enough: one line of 7 bytes holds one county. */
    const char *tight = S_HEAD "Y\t2023\t1\nC\t\t\t\t\t-";
    sc_snapshot_t s;
    kc_error_t error;
    cr_assert_eq(snapshot_read(&s_m, tight, strlen(tight), &s, &error), 0, "%s", error.message);
    cr_assert_eq(s.years[0].n_counties, 1);
    snapshot_release(&s);
}

Test(snapshot, a_nul_byte_is_rejected)
{
    static const char text[] = S_HEAD "Y\t2023\t0\n\0junk";
    s_expect_rejected(text, sizeof text - 1, "snapshot contains a NUL byte");
}
