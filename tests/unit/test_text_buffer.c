/*  Tests of text_buffer: the writers of the canonical texts of a run must
 *  give exactly the bytes printf gives, since those bytes are hashed and
 *  compared across runs.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scoring/text_buffer.h"

static void s_expect_as_printf(double value)
{
    char expected[64];
    snprintf(expected, sizeof expected, "%.17g", value);
    text_buffer_t out = {0};
    text_buffer_append_double(&out, value);
    cr_expect_str_eq(out.text, expected, "%a", value);
    text_buffer_release(&out);
}

Test(text_buffer, a_double_is_written_as_printf_writes_it_with_17_digits)
{
    /* 0.1 is not exact in binary: the stored value is
     * 0.1000000000000000055511151231257827..., whose 17 digits are these */
    text_buffer_t out = {0};
    text_buffer_append_double(&out, 0.1);
    cr_expect_str_eq(out.text, "0.10000000000000001");
    text_buffer_release(&out);
    /* the notation switches at the exponents printf switches at: -5 and 17 */
    const double values[] = {
        0.0,      -0.0,      1.0,   -2.5,   0.1,     1e-4,   1e-5,
        1e16,     1e17,      3e300, 5e-324, 0x1p-25, 0x1p60, 12345678901234567.0,
        INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        s_expect_as_printf(values[i]);
}

Test(text_buffer, a_tie_at_the_17th_digit_rounds_to_even_as_printf)
{
    /* 2^-25 = 2.98023223876953125e-08 has 18 digits ending in 5: printf
     * rounds half to even, to ...312 */
    text_buffer_t out = {0};
    text_buffer_append_double(&out, 0x1p-25);
    cr_expect_str_eq(out.text, "2.9802322387695312e-08");
    text_buffer_release(&out);
}

Test(text_buffer, every_kind_of_double_is_written_as_printf_writes_it)
{
    /* every power of two, its neighbours and every power of ten's, then
     * a million seeded bit patterns (xorshift64) */
    for (int k = -1074; k < 1024; k++) {
        s_expect_as_printf(ldexp(1.0, k));
        s_expect_as_printf(nextafter(ldexp(1.0, k), 0.0));
    }
    for (int k = -323; k < 309; k++) {
        s_expect_as_printf(nextafter(pow(10, k), 0.0));
        s_expect_as_printf(pow(10, k));
        s_expect_as_printf(nextafter(pow(10, k), INFINITY));
    }
    uint64_t state = 88172645463325252ULL;
    for (int i = 0; i < 1000000; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        double value;
        memcpy(&value, &state, sizeof value);
        s_expect_as_printf(value);
        s_expect_as_printf((double)(state % 100000000) / 100.0); /* values with cents */
    }
}

Test(text_buffer, integers_strings_and_plain_formats_are_written_as_printf)
{
    text_buffer_t out = {0};
    text_buffer_append_int(&out, 0);
    text_buffer_append(&out, ",");
    text_buffer_append_int(&out, -2147483648LL);
    text_buffer_append(&out, ",");
    text_buffer_append_int(&out, -9223372036854775807LL - 1);
    text_buffer_append(&out, "%s%d", ";", 42);
    text_buffer_append_json_string(&out, "正定县 \"a\\b\"\n");
    cr_expect_str_eq(out.text,
                     "0,-2147483648,-9223372036854775808;42\"正定县 \\\"a\\\\b\\\"\\u000a\"");
    cr_expect_eq(out.size, strlen(out.text));
    text_buffer_release(&out);
}

Test(text_buffer, a_format_longer_than_the_room_left_is_written_whole)
{
    /* 300 characters through one conversion: more than the 64 bytes tried
     * first and than the first allocation of 256 */
    char long_text[301];
    memset(long_text, 'x', 300);
    long_text[300] = '\0';
    text_buffer_t out = {0};
    text_buffer_append(&out, "<%s>", long_text);
    cr_expect_eq(out.size, 302);
    cr_expect_eq(out.text[301], '>');
    cr_expect_eq(out.text[302], '\0');
    text_buffer_release(&out);
}
