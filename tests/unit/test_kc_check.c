/*  Unit tests of kc_check: the field rules of kechuang's forms.
 *
 *  Every failing case asserts the exact code, the field and the number of
 *  errors, since clients branch on the code and show the field. Identity
 *  numbers are built with their own MOD 11-2 reference below (weights as
 *  powers of two, not the table kc_check uses), and the examples written out
 *  in full are worked by hand in the comments next to them.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kc/kc_check.h"
#include "kc/kc_clock.h"

/* --- helpers ------------------------------------------------------------- */

/* Assert that `errors` holds exactly `count` errors, the last of which has
 * `code` and `field`. */
static void s_expect_error(const kc_errors_t *errors, size_t count, kc_error_code_t code,
                           const char *field, const char *input)
{
    cr_assert_eq(errors->total, count, "input \"%s\": %zu errors, expected %zu", input,
                 errors->total, count);
    cr_assert_eq(errors->kept, count, "input \"%s\"", input);
    const kc_error_t *last = &errors->items[count - 1];
    cr_assert_eq(last->code, code, "input \"%s\": code %s, expected %s", input,
                 kc_error_code_name(last->code), kc_error_code_name(code));
    cr_assert_str_eq(last->field, field, "input \"%s\"", input);
}

typedef int (*s_check_fn)(const char *text, const char *field, kc_errors_t *errors);

/* Every value in `values` passes `check` with no error added. */
static void s_expect_all_pass(s_check_fn check, const char *const *values, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        kc_errors_t errors;
        kc_errors_init(&errors);
        int rc = check(values[i], "form.field", &errors);
        cr_assert_eq(rc, 0, "\"%s\" should pass: %s (%s)", values[i],
                     errors.kept ? errors.items[0].message : "-",
                     errors.kept ? errors.items[0].detail : "-");
        cr_assert_eq(errors.total, 0, "\"%s\"", values[i]);
        kc_errors_release(&errors);
    }
}

/* Every value in `values` fails `check` with exactly one error of `code`. */
static void s_expect_all_fail(s_check_fn check, const char *const *values, size_t count,
                              kc_error_code_t code)
{
    for (size_t i = 0; i < count; i++) {
        kc_errors_t errors;
        kc_errors_init(&errors);
        cr_assert_eq(check(values[i], "form.field", &errors), -1, "\"%s\" should fail", values[i]);
        s_expect_error(&errors, 1, code, "form.field", values[i]);
        kc_errors_release(&errors);
    }
}

#define S_COUNT(array) (sizeof(array) / sizeof(array)[0])

/* Reference MOD 11-2 (ISO 7064) written independently of kc_check: the
 * weight of the digit at position i (0-based, of 18) is 2^(17-i) mod 11, and
 * the check value is (12 - sum mod 11) mod 11, with 10 written X. */
static char s_reference_check_character(const char *first17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int weight = 1;
        for (int k = 0; k < 17 - i; k++)
            weight = weight * 2 % 11;
        sum += (first17[i] - '0') * weight;
    }
    int value = (12 - sum % 11) % 11;
    return value == 10 ? 'X' : (char)('0' + value);
}

/* A full 18-character number from its first 17 digits. */
static void s_make_id_card(const char *first17, char out[19])
{
    snprintf(out, 19, "%.17s%c", first17, s_reference_check_character(first17));
}

/* Unix milliseconds of a UTC date and time, by the C library. */
static int64_t s_utc_ms(int year, int month, int day, int hour, int minute)
{
    struct tm utc = {.tm_year = year - 1900,
                     .tm_mon = month - 1,
                     .tm_mday = day,
                     .tm_hour = hour,
                     .tm_min = minute};
    return (int64_t)timegm(&utc) * 1000;
}

/* `count` copies of `piece` into `out`. */
static void s_repeat(char *out, size_t out_size, const char *piece, size_t count)
{
    size_t used = 0, length = strlen(piece);
    for (size_t i = 0; i < count && used + length < out_size; i++, used += length)
        memcpy(out + used, piece, length);
    out[used] = '\0';
}

/* --- kc_utf8_length ------------------------------------------------------ */

Test(kc_check, utf8_length_counts_code_points_not_bytes)
{
    cr_assert_eq(kc_utf8_length(""), 0);
    cr_assert_eq(kc_utf8_length("kechuang"), 8);
    cr_assert_eq(kc_utf8_length("科技"), 2);             /* 6 bytes */
    cr_assert_eq(kc_utf8_length("县域科技创新"), 6);     /* 18 bytes */
    cr_assert_eq(kc_utf8_length("\xC2\xA9"), 1);         /* U+00A9, 2 bytes */
    cr_assert_eq(kc_utf8_length("\xF0\x9F\x98\x80"), 1); /* U+1F600, 4 bytes */
    cr_assert_eq(kc_utf8_length("\xF4\x8F\xBF\xBF"), 1); /* U+10FFFF, the last */
    cr_assert_eq(kc_utf8_length("\xEE\x80\x80"), 1);     /* U+E000, after surrogates */
    cr_assert_eq(kc_utf8_length("a\xE7\xA7\x91"
                                "b"),
                 3); /* a科b */
}

Test(kc_check, utf8_length_rejects_overlongs_surrogates_and_truncations)
{
    const char *const invalid[] = {
        "\xC0\x80",         /* overlong NUL */
        "\xC1\xBF",         /* overlong '\x7F' */
        "\xE0\x80\x80",     /* overlong 3-byte */
        "\xE0\x9F\xBF",     /* overlong U+07FF */
        "\xF0\x80\x80\x80", /* overlong 4-byte */
        "\xED\xA0\x80",     /* surrogate U+D800 */
        "\xED\xBF\xBF",     /* surrogate U+DFFF */
        "\xF4\x90\x80\x80", /* U+110000, beyond Unicode */
        "\xF5\x80\x80\x80", /* lead byte that can only go beyond Unicode */
        "\xF8\x88\x80\x80\x80",
        "\xFF",
        "\x80",         /* a lone continuation byte */
        "\xE4\xB8",     /* 中 without its last byte */
        "ab\xE4\xB8",   /* the same at the end of text */
        "\xE4\xB8\x61", /* truncated, then 'a' */
        "\xF0\x9F\x98", /* truncated 4-byte */
    };
    for (size_t i = 0; i < S_COUNT(invalid); i++)
        cr_assert_eq(kc_utf8_length(invalid[i]), -1, "case %zu", i);
}

/* --- kc_check_text ------------------------------------------------------- */

Test(kc_check, a_1000_character_chinese_text_passes_a_1000_limit_though_it_is_3000_bytes)
{
    static char text[3 * 1000 + 1];
    s_repeat(text, sizeof text, "科", 1000);
    cr_assert_eq(strlen(text), 3000);
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_text(text, "form.summary", true, 1000, &errors), 0);
    cr_assert_eq(errors.total, 0);
    kc_errors_release(&errors);
}

Test(kc_check, a_1001_character_chinese_text_fails_a_1000_limit)
{
    static char text[3 * 1001 + 1];
    s_repeat(text, sizeof text, "科", 1001);
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_text(text, "form.summary", true, 1000, &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_TOO_LONG, "form.summary", "1001 x 科");
    cr_assert_str_eq(errors.items[0].message, "\"form.summary\" is too long");
    cr_assert_str_eq(errors.items[0].detail, "1,001 characters, the limit is 1,000");
    cr_assert_str_eq(errors.items[0].hint, "shorten it to 1,000 characters or fewer");
    kc_errors_release(&errors);
}

Test(kc_check, a_limit_of_zero_means_no_limit)
{
    static char text[3 * 5000 + 1];
    s_repeat(text, sizeof text, "技", 5000);
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_text(text, "form.summary", false, 0, &errors), 0);
    cr_assert_eq(errors.total, 0);
    kc_errors_release(&errors);
}

Test(kc_check, text_with_invalid_utf8_fails_with_invalid_utf8)
{
    const char *const invalid[] = {
        "abc\xC0\x80",      /* overlong */
        "\xED\xA0\x80",     /* surrogate */
        "\xF4\x90\x80\x80", /* above U+10FFFF */
        "县域\xE4\xB8",     /* truncated */
        "\xE4\xB8",         /* truncated, alone */
    };
    for (size_t i = 0; i < S_COUNT(invalid); i++) {
        kc_errors_t errors;
        kc_errors_init(&errors);
        cr_assert_eq(kc_check_text(invalid[i], "form.title", false, 100, &errors), -1);
        s_expect_error(&errors, 1, KC_ERR_INVALID_UTF8, "form.title", "invalid utf-8");
        cr_assert_str_eq(errors.items[0].message, "\"form.title\" is not valid UTF-8");
        kc_errors_release(&errors);
    }
}

Test(kc_check, invalid_utf8_detail_names_the_offending_byte)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_text("ab\xC0\x80", "form.title", false, 0, &errors), -1);
    cr_assert_str_eq(errors.items[0].detail, "byte 3 (0xC0) does not begin a valid character");
    kc_errors_release(&errors);
}

Test(kc_check, control_characters_are_rejected_but_tab_cr_and_lf_are_allowed)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_text("第一行\n第二行\r\n\t缩进", "form.summary", true, 100, &errors), 0);
    cr_assert_eq(errors.total, 0);

    const char *const controls[] = {"bell\a", "\x01", "esc\x1B[31m", "del\x7F",
                                    "c1 \xC2\x85 next line"};
    for (size_t i = 0; i < S_COUNT(controls); i++) {
        cr_assert_eq(kc_check_text(controls[i], "form.summary", false, 0, &errors), -1);
        s_expect_error(&errors, i + 1, KC_ERR_INVALID_FORMAT, "form.summary", controls[i]);
    }
    cr_assert_str_eq(errors.items[0].message, "\"form.summary\" holds a control character");
    cr_assert_str_eq(errors.items[0].detail, "character 5 is U+0007");
    kc_errors_release(&errors);
}

Test(kc_check, a_required_text_of_only_spaces_is_missing)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_text("   ", "form.head.name", true, 20, &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_REQUIRED, "form.head.name", "   ");
    cr_assert_str_eq(errors.items[0].message, "\"form.head.name\" is required");
    cr_assert_str_eq(errors.items[0].detail, "it holds only spaces");

    cr_assert_eq(kc_check_text("", "form.head.name", true, 20, &errors), -1);
    s_expect_error(&errors, 2, KC_ERR_REQUIRED, "form.head.name", "");
    cr_assert_str_eq(errors.items[1].detail, "it is empty");

    cr_assert_eq(kc_check_text(NULL, "form.head.name", true, 20, &errors), -1);
    s_expect_error(&errors, 3, KC_ERR_REQUIRED, "form.head.name", "(null)");

    cr_assert_eq(kc_check_text(" \t\r\n ", "form.head.name", true, 20, &errors), -1);
    s_expect_error(&errors, 4, KC_ERR_REQUIRED, "form.head.name", "white space");
    kc_errors_release(&errors);
}

Test(kc_check, an_optional_empty_text_passes_and_a_padded_value_is_present)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_text("", "form.note", false, 20, &errors), 0);
    cr_assert_eq(kc_check_text("   ", "form.note", false, 20, &errors), 0);
    cr_assert_eq(kc_check_text("  张三 ", "form.head.name", true, 20, &errors), 0);
    cr_assert_eq(errors.total, 0);
    kc_errors_release(&errors);
}

Test(kc_check, a_text_breaking_several_rules_gets_one_error)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    /* Too long, with a control character and invalid UTF-8: the bytes come first. */
    cr_assert_eq(kc_check_text("\x01\x01\x01\x01\xC0\x80", "form.title", true, 2, &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_FORMAT, "form.title", "control then invalid");
    cr_assert_eq(kc_check_text("toolong\xC0\x80", "form.title", true, 2, &errors), -1);
    s_expect_error(&errors, 2, KC_ERR_INVALID_UTF8, "form.title", "invalid and long");
    kc_errors_release(&errors);
}

Test(kc_check, errors_are_appended_after_those_already_in_the_list)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    kc_errors_add(&errors, KC_ERR_UNKNOWN_COUNTY, "form.county", "\"form.county\" is unknown");
    cr_assert_eq(kc_check_phone("12345", "form.head.phone", &errors), -1);
    cr_assert_eq(kc_check_email("nobody", "form.head.email", &errors), -1);
    cr_assert_eq(errors.total, 3);
    cr_assert_eq(errors.items[0].code, KC_ERR_UNKNOWN_COUNTY);
    cr_assert_str_eq(errors.items[1].field, "form.head.phone");
    cr_assert_str_eq(errors.items[1].message, "\"form.head.phone\" is not a phone number");
    cr_assert_str_eq(errors.items[2].field, "form.head.email");
    kc_errors_release(&errors);
}

Test(kc_check, a_full_error_list_still_counts_the_failure)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    for (int i = 0; i < KC_ERRORS_KEPT_MAX; i++)
        kc_errors_add(&errors, KC_ERR_INTERNAL, "x", "filler");
    cr_assert_eq(kc_check_text("\x01", "form.title", false, 0, &errors), -1);
    cr_assert_eq(kc_check_id_card("110105194912310021", "form.head.id_card", &errors), -1);
    cr_assert_eq(kc_check_date("2023-02-29", "form.date", &errors), -1);
    cr_assert_eq(errors.kept, KC_ERRORS_KEPT_MAX);
    cr_assert_eq(errors.total, KC_ERRORS_KEPT_MAX + 3);
    kc_errors_release(&errors);
}

Test(kc_check, a_missing_field_path_is_called_value)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_phone("abc", NULL, &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_FORMAT, "", "abc");
    cr_assert_str_eq(errors.items[0].message, "\"value\" is not a phone number");
    kc_errors_release(&errors);
}

/* --- kc_check_id_card ---------------------------------------------------- */

/* 11010519491231002X, worked by hand:
 *   digits  1  1  0  1  0  5  1  9  4  9  1  2  3  1  0  0  2
 *   weights 7  9 10  5  8  4  2  1  6  3  7  9 10  5  8  4  2
 *   7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 -> "10X98765432"[2] = X
 * 34052419800101001X:
 *   21+36+0+25+16+16+2+9+48+0+0+9+0+5+0+0+2 = 189; 189 mod 11 = 2 -> X
 * 440524188001010014 (born 1880-01-01):
 *   28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8 -> "10X98765432"[8] = 4 */
Test(kc_check, the_reference_check_character_agrees_with_the_hand_worked_examples)
{
    cr_assert_eq(s_reference_check_character("11010519491231002"), 'X');
    cr_assert_eq(s_reference_check_character("34052419800101001"), 'X');
    cr_assert_eq(s_reference_check_character("44052418800101001"), '4');
}

Test(kc_check, valid_identity_card_numbers_pass)
{
    const char *const valid[] = {"11010519491231002X", "34052419800101001X",
                                 "11010519491231002x"}; /* lower-case x accepted */
    s_expect_all_pass(kc_check_id_card, valid, S_COUNT(valid));

    char built[19];
    s_make_id_card("13010219900307123", built); /* Hebei, 1990-03-07 */
    const char *const more[] = {built};
    s_expect_all_pass(kc_check_id_card, more, 1);
}

Test(kc_check, every_check_character_the_reference_computes_is_accepted)
{
    /* One number per possible check character: vary the sequence number. */
    char first17[32], number[19]; /* room for any int: the compiler cannot see 0..199 */
    bool seen[11] = {false};
    for (int sequence = 0; sequence < 200; sequence++) {
        snprintf(first17, sizeof first17, "13010219900307%03d", sequence);
        s_make_id_card(first17, number);
        char c = number[17];
        seen[c == 'X' ? 10 : c - '0'] = true;
        kc_errors_t errors;
        kc_errors_init(&errors);
        cr_assert_eq(kc_check_id_card(number, "form.head.id_card", &errors), 0, "%s: %s", number,
                     errors.kept ? errors.items[0].detail : "");
        kc_errors_release(&errors);
    }
    for (int i = 0; i < 11; i++)
        cr_assert(seen[i], "check value %d never produced", i);
}

Test(kc_check, a_wrong_check_character_names_the_expected_one)
{
    /* 110105194912310021: the first 17 digits give X (see above), not 1. */
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_id_card("110105194912310021", "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_ID_CARD, "form.head.id_card", "…0021");
    const kc_error_t *error = &errors.items[0];
    cr_assert_str_eq(error->message, "\"form.head.id_card\" is not a valid identity card number");
    cr_assert_str_eq(error->detail, "the check character is 1, the digits before it give X");
    cr_assert_str_not_empty(error->hint);
    kc_errors_release(&errors);
}

Test(kc_check, the_identity_number_never_appears_in_the_error)
{
    const char *const numbers[] = {"110105194912310021", "990105194912310021", "110105194902300021",
                                   "11010519491231002A", "1101051949123100211"};
    for (size_t i = 0; i < S_COUNT(numbers); i++) {
        kc_errors_t errors;
        kc_errors_init(&errors);
        cr_assert_eq(kc_check_id_card(numbers[i], "form.head.id_card", &errors), -1);
        const kc_error_t *error = &errors.items[0];
        /* Not the number, nor its birth date, nor any 8 digits of it. */
        for (size_t start = 0; start + 8 <= strlen(numbers[i]); start++) {
            char piece[9];
            snprintf(piece, sizeof piece, "%.8s", numbers[i] + start);
            cr_assert_null(strstr(error->message, piece), "%s", error->message);
            cr_assert_null(strstr(error->detail, piece), "%s", error->detail);
            cr_assert_null(strstr(error->hint, piece), "%s", error->hint);
        }
        kc_errors_release(&errors);
    }
}

Test(kc_check, an_unknown_province_prefix_fails)
{
    char number[19];
    s_make_id_card("99010519491231002", number); /* right check character, province 99 */
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_id_card(number, "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_ID_CARD, "form.head.id_card", number);
    cr_assert_str_eq(errors.items[0].detail,
                     "the region code starts with 99, which is no province");
    kc_errors_release(&errors);
}

Test(kc_check, every_listed_province_prefix_passes_and_the_gaps_fail)
{
    const int provinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                             43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
    for (int prefix = 0; prefix < 100; prefix++) {
        bool listed = false;
        for (size_t i = 0; i < S_COUNT(provinces); i++)
            listed = listed || provinces[i] == prefix;
        char first17[32], number[19]; /* room for any int prefix */
        snprintf(first17, sizeof first17, "%02d010519800101001", prefix);
        s_make_id_card(first17, number);
        kc_errors_t errors;
        kc_errors_init(&errors);
        int rc = kc_check_id_card(number, "form.head.id_card", &errors);
        cr_assert_eq(rc, listed ? 0 : -1, "prefix %02d", prefix);
        if (!listed)
            s_expect_error(&errors, 1, KC_ERR_INVALID_ID_CARD, "form.head.id_card", number);
        kc_errors_release(&errors);
    }
}

Test(kc_check, an_impossible_birth_date_fails)
{
    const char *const first17s[] = {
        "11010519490230002", /* 1949-02-30 */
        "11010519491301002", /* month 13 */
        "11010519490100002", /* day 00 */
        "11010519000229002", /* 1900 was no leap year */
        "11010520230229002", /* nor was 2023 */
    };
    for (size_t i = 0; i < S_COUNT(first17s); i++) {
        char number[19];
        s_make_id_card(first17s[i], number);
        kc_errors_t errors;
        kc_errors_init(&errors);
        cr_assert_eq(kc_check_id_card(number, "form.head.id_card", &errors), -1, "%s", number);
        s_expect_error(&errors, 1, KC_ERR_INVALID_ID_CARD, "form.head.id_card", number);
        cr_assert_str_eq(errors.items[0].detail,
                         "the birth date (characters 7-14) is not a real date");
        kc_errors_release(&errors);
    }
}

Test(kc_check, a_birth_date_before_1900_fails)
{
    /* 440524188001010014: its check character 4 is right (see above). */
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_id_card("440524188001010014", "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_ID_CARD, "form.head.id_card", "1880");
    cr_assert_str_eq(errors.items[0].detail,
                     "the birth date (characters 7-14) is before 1900-01-01");

    char number[19];
    s_make_id_card("44052419000101001", number); /* 1900-01-01 is allowed */
    cr_assert_eq(kc_check_id_card(number, "form.head.id_card", &errors), 0);
    cr_assert_eq(errors.total, 1);
    kc_errors_release(&errors);
}

Test(kc_check, a_birth_date_after_today_in_china_fails)
{
    /* Noon 2024-06-15 in Beijing. */
    kc_clock_set_fake(s_utc_ms(2024, 6, 15, 4, 0));
    char today[19], tomorrow[19], next_year[19];
    s_make_id_card("13010220240615001", today);
    s_make_id_card("13010220240616001", tomorrow);
    s_make_id_card("13010220250101001", next_year);
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_id_card(today, "form.head.id_card", &errors), 0);
    cr_assert_eq(kc_check_id_card(tomorrow, "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_ID_CARD, "form.head.id_card", tomorrow);
    cr_assert_str_eq(errors.items[0].detail, "the birth date (characters 7-14) is after today");
    cr_assert_eq(kc_check_id_card(next_year, "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 2, KC_ERR_INVALID_ID_CARD, "form.head.id_card", next_year);
    kc_errors_release(&errors);
    kc_clock_set_fake(0);
}

Test(kc_check, today_turns_at_beijing_midnight_not_utc_midnight)
{
    char born[19];
    s_make_id_card("13010220240616001", born);
    kc_errors_t errors;
    kc_errors_init(&errors);
    /* 2024-06-15 15:59 UTC is 23:59 in Beijing: still the 15th there. */
    kc_clock_set_fake(s_utc_ms(2024, 6, 15, 15, 59));
    cr_assert_eq(kc_check_id_card(born, "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_ID_CARD, "form.head.id_card", born);
    /* 2024-06-15 16:00 UTC is midnight of the 16th in Beijing, though still the 15th in UTC. */
    kc_clock_set_fake(s_utc_ms(2024, 6, 15, 16, 0));
    cr_assert_eq(kc_check_id_card(born, "form.head.id_card", &errors), 0);
    cr_assert_eq(errors.total, 1);
    kc_errors_release(&errors);
    kc_clock_set_fake(0);
}

Test(kc_check, an_identity_number_of_the_wrong_length_fails)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_id_card("11010519491231002", "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_ID_CARD, "form.head.id_card", "17 digits");
    cr_assert_str_eq(errors.items[0].detail, "17 characters, an identity card number has 18");
    cr_assert_eq(kc_check_id_card("11010519491231002X1", "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 2, KC_ERR_INVALID_ID_CARD, "form.head.id_card", "19 characters");
    cr_assert_str_eq(errors.items[1].detail, "19 characters, an identity card number has 18");
    cr_assert_eq(kc_check_id_card("11010519491231002X\xC0", "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 3, KC_ERR_INVALID_ID_CARD, "form.head.id_card", "18 + bad byte");
    cr_assert_eq(kc_check_id_card("110105", "form.head.id_card", &errors), -1);
    s_expect_error(&errors, 4, KC_ERR_INVALID_ID_CARD, "form.head.id_card", "6 digits");
    kc_errors_release(&errors);
}

Test(kc_check, an_identity_number_with_letters_fails)
{
    const char *const numbers[] = {
        "11010A19491231002X", /* a letter among the digits */
        "11010519491231002A", /* a check character other than X */
        "X10105194912310021",        "11010519491231 02X",
        "１１０１０５１９４９", /* full-width digits */
        "11010519491231002\xE4\xB8",
    };
    s_expect_all_fail(kc_check_id_card, numbers, S_COUNT(numbers), KC_ERR_INVALID_ID_CARD);

    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_id_card("11010A19491231002X", "form.head.id_card", &errors), -1);
    cr_assert_str_eq(errors.items[0].detail, "character 6 is not a digit");
    cr_assert_eq(kc_check_id_card("11010519491231002A", "form.head.id_card", &errors), -1);
    cr_assert_str_eq(errors.items[1].detail, "character 18 is not a digit or X");
    kc_errors_release(&errors);
}

/* --- kc_check_phone ------------------------------------------------------ */

Test(kc_check, mobile_and_fixed_line_numbers_pass)
{
    const char *const valid[] = {
        "13812345678",          "19912345678",    "010-12345678",     "0311 8765432",
        "+86 13812345678",      "+8613812345678", "86-13812345678",   "0311-87654321-123",
        "01012345678",          "03118765432",    "+86-010-12345678", "021-6543210-1",
        "0311-87654321-123456",
    };
    s_expect_all_pass(kc_check_phone, valid, S_COUNT(valid));
}

Test(kc_check, malformed_phone_numbers_fail)
{
    const char *const invalid[] = {
        "12345",
        "1381234567",
        "23812345678",
        "abc",
        "12812345678",
        "138123456789",
        "13812345678-1",
        " 13812345678",
        "13812345678 ",
        "+86",
        "+86 ",
        "86 13812345678",
        "0311--87654321",
        "0311-876543",
        "0311-876543210",
        "0311-87654321-",
        "0311-87654321-1234567",
        "010 - 12345678",
        "+1 2025550123",
        "1381234567８",
        "138 1234 5678",
        "0311-8765432x",
    };
    s_expect_all_fail(kc_check_phone, invalid, S_COUNT(invalid), KC_ERR_INVALID_FORMAT);
}

/* --- kc_check_email ------------------------------------------------------ */

Test(kc_check, e_mail_addresses_pass)
{
    const char *const valid[] = {
        "zhang.san@kc.example.cn",      "a+tag@hebei.gov.cn",       "o'brien@example.com", "x@a.b",
        "kc-admin_1@mail-1.example.cn", "!#$%&'*+/=?^_`{|}~-@x.cn",
    };
    s_expect_all_pass(kc_check_email, valid, S_COUNT(valid));
}

Test(kc_check, malformed_e_mail_addresses_fail)
{
    const char *const invalid[] = {
        "kc.example.cn",   "@kc.example.cn", "zhang@",          ".zhang@x.cn",    "zhang.@x.cn",
        "zhang..san@x.cn", "a@b@x.cn",       "zhang@localhost", "zhang@-x.cn",    "zhang@x-.cn",
        "zhang@x..cn",     "zhang@.x.cn",    "zhang@x.cn.",     "zhang san@x.cn", "张三@x.cn",
        "zhang@例子.中国", "zhang@x_y.cn",   "zhang@x.cn\n",    "zhang\xC0@x.cn",
    };
    s_expect_all_fail(kc_check_email, invalid, S_COUNT(invalid), KC_ERR_INVALID_FORMAT);
}

Test(kc_check, e_mail_length_limits_are_64_before_the_at_and_254_in_all)
{
    char local64[65], local65[66], address[400], label[64];
    s_repeat(local64, sizeof local64, "a", 64);
    s_repeat(local65, sizeof local65, "a", 65);
    s_repeat(label, sizeof label, "b", 63);
    kc_errors_t errors;
    kc_errors_init(&errors);

    snprintf(address, sizeof address, "%s@x.cn", local64);
    cr_assert_eq(kc_check_email(address, "form.head.email", &errors), 0);
    snprintf(address, sizeof address, "%s@x.cn", local65);
    cr_assert_eq(kc_check_email(address, "form.head.email", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_FORMAT, "form.head.email", "65 local");

    /* 64 + 1 + 63*3 + 2 dots = 256 characters, with every part within its own limit. */
    snprintf(address, sizeof address, "%s@%s.%s.%s", local64, label, label, label);
    cr_assert_eq(strlen(address), 256);
    cr_assert_eq(kc_check_email(address, "form.head.email", &errors), -1);
    s_expect_error(&errors, 2, KC_ERR_INVALID_FORMAT, "form.head.email", "256 in all");
    cr_assert_str_eq(errors.items[1].detail, "256 characters, the limit is 254");

    /* 64 + 1 + (63 + 1 + 63 + 1 + 61) = 254 exactly. */
    snprintf(address, sizeof address, "%s@%s.%s.%.61s", local64, label, label, label);
    cr_assert_eq(strlen(address), 254);
    cr_assert_eq(kc_check_email(address, "form.head.email", &errors), 0);

    char long_label[65];
    s_repeat(long_label, sizeof long_label, "c", 64);
    snprintf(address, sizeof address, "a@%s.cn", long_label);
    cr_assert_eq(kc_check_email(address, "form.head.email", &errors), -1);
    s_expect_error(&errors, 3, KC_ERR_INVALID_FORMAT, "form.head.email", "64-label");
    kc_errors_release(&errors);
}

/* --- kc_check_url -------------------------------------------------------- */

Test(kc_check, http_and_https_urls_pass)
{
    const char *const valid[] = {
        "http://kc.example.cn",
        "https://www.hebei.gov.cn/path?q=1",
        "http://10.0.0.1:8080/",
        "http://localhost:8080/health",
        "HTTPS://KC.EXAMPLE.CN/",
        "https://kc.example.cn#top",
        "https://kc.example.cn?x=1&y=%20",
        "https://baike.baidu.com/item/科技",
        "http://kc.example.cn:65535/",
        "http://kc.example.cn:1",
        "http://255.255.255.255/",
        "http://0.0.0.0/",
    };
    s_expect_all_pass(kc_check_url, valid, S_COUNT(valid));
}

Test(kc_check, malformed_urls_fail)
{
    const char *const invalid[] = {
        "ftp://x",
        "http://",
        "http://a b",
        "http://x:99999",
        "http://kc.example.cn:99999",
        "http://kc.example.cn/a b",
        "kc.example.cn",
        "mailto:a@x.cn",
        "javascript:alert(1)",
        "http:/kc.example.cn",
        "http://x", /* one label and not localhost */
        "http://kc.example.cn:0/",
        "http://kc.example.cn:/",
        "http://kc.example.cn:80x/",
        "http://kc.example.cn:123456/",
        "http://user@kc.example.cn/",
        "http://256.0.0.1/",
        "http://01.2.3.4/",
        "http://1.2.3/",
        "http://1.2.3.4.5/",
        "http://1.2.3.4./",
        "http://[::1]/",
        "http://kc.example.cn/a\tb",
        "http://kc.example.cn/\x7F",
        "http://kc.example.cn/\xC2\x85",
        "http://kc.example.cn/a\xE3\x80\x80\x62", /* ideographic space */
        "http://kc.example.cn/\xC0\x80",
        "http://kc.example.cn/\xE4\xB8",
        "http://-kc.example.cn/",
        "http://kc..example.cn/",
    };
    s_expect_all_fail(kc_check_url, invalid, S_COUNT(invalid), KC_ERR_INVALID_FORMAT);
}

Test(kc_check, a_url_error_says_which_part_is_wrong)
{
    const struct {
        const char *url;
        const char *detail;
    } cases[] = {
        {"ftp://x", "it does not begin with http:// or https://"},
        {"http://", "the host is not a domain name, an IPv4 address or localhost"},
        {"http://kc.example.cn:99999", "the port is not a number from 1 to 65535"},
        {"http://kc.example.cn/a b", "character 23 is a space or a control character"},
        {"http://kc.example.cn/\xC0\x80", "it is not valid UTF-8"},
    };
    for (size_t i = 0; i < S_COUNT(cases); i++) {
        kc_errors_t errors;
        kc_errors_init(&errors);
        cr_assert_eq(kc_check_url(cases[i].url, "form.link", &errors), -1);
        s_expect_error(&errors, 1, KC_ERR_INVALID_FORMAT, "form.link", cases[i].url);
        cr_assert_str_eq(errors.items[0].message, "\"form.link\" is not a web address");
        cr_assert_str_eq(errors.items[0].detail, cases[i].detail);
        kc_errors_release(&errors);
    }
}

Test(kc_check, a_url_longer_than_2048_characters_fails)
{
    static char url[4200];
    char path[2100];
    s_repeat(path, sizeof path, "a", 2048 - strlen("http://kc.example.cn/"));
    snprintf(url, sizeof url, "http://kc.example.cn/%s", path);
    cr_assert_eq(strlen(url), 2048);
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_url(url, "form.link", &errors), 0);
    snprintf(url, sizeof url, "http://kc.example.cn/%sa", path);
    cr_assert_eq(kc_check_url(url, "form.link", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_FORMAT, "form.link", "2049 characters");
    cr_assert_str_eq(errors.items[0].detail, "2,049 characters, the limit is 2,048");
    kc_errors_release(&errors);
}

/* --- dates --------------------------------------------------------------- */

Test(kc_check, date_is_valid_knows_the_gregorian_calendar)
{
    cr_assert(kc_date_is_valid(2024, 2, 29));
    cr_assert(kc_date_is_valid(2000, 2, 29));
    cr_assert_not(kc_date_is_valid(2023, 2, 29));
    cr_assert_not(kc_date_is_valid(1900, 2, 29));
    cr_assert_not(kc_date_is_valid(2023, 4, 31));
    cr_assert(kc_date_is_valid(2023, 12, 31));
    cr_assert_not(kc_date_is_valid(2023, 12, 32));
    cr_assert_not(kc_date_is_valid(2023, 0, 1));
    cr_assert_not(kc_date_is_valid(2023, 13, 1));
    cr_assert_not(kc_date_is_valid(2023, 1, 0));
    cr_assert_not(kc_date_is_valid(2023, -1, -1));
}

Test(kc_check, real_dates_pass)
{
    const char *const valid[] = {"2024-02-29", "2000-02-29", "1900-01-01", "2100-12-31",
                                 "2023-12-31"};
    s_expect_all_pass(kc_check_date, valid, S_COUNT(valid));
}

Test(kc_check, impossible_or_malformed_dates_fail)
{
    const char *const invalid[] = {
        "2023-02-29",     "2023-13-01", "2023-00-10", "2023-04-31",  "2023-01-00", "1900-02-29",
        "1899-12-31",     "2101-01-01", "2024-2-29",  "2024-02-29 ", "2024/02/29", "20240229",
        "２０２４-02-29", "2024-02-2x", "2024-02",    "-2024-02-29",
    };
    s_expect_all_fail(kc_check_date, invalid, S_COUNT(invalid), KC_ERR_INVALID_DATE);

    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_date("2023-02-29", "form.start_date", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_DATE, "form.start_date", "2023-02-29");
    cr_assert_str_eq(errors.items[0].message, "\"form.start_date\" is not a date");
    cr_assert_str_eq(errors.items[0].detail, "2023-02 has 28 days, not 29");
    cr_assert_str_eq(errors.items[0].hint, "write it as YYYY-MM-DD");
    kc_errors_release(&errors);
}

Test(kc_check, year_and_month_pass_and_fail)
{
    const char *const valid[] = {"2024-02", "1900-01", "2100-12"};
    s_expect_all_pass(kc_check_year_month, valid, S_COUNT(valid));
    const char *const invalid[] = {"2024-13", "2024-00",    "1899-12", "2101-01",
                                   "2024-2",  "2024-02-01", "2024/02", "202402"};
    s_expect_all_fail(kc_check_year_month, invalid, S_COUNT(invalid), KC_ERR_INVALID_DATE);
}

/* --- kc_check_sha256_hex ------------------------------------------------- */

Test(kc_check, sha256_digests_pass_in_either_case)
{
    /* SHA-256 of the empty string. */
    const char *const valid[] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    };
    s_expect_all_pass(kc_check_sha256_hex, valid, S_COUNT(valid));
}

Test(kc_check, malformed_sha256_digests_fail)
{
    const char *const invalid[] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",   /* 63 */
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550", /* 65 */
        "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 ",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b78",
    };
    s_expect_all_fail(kc_check_sha256_hex, invalid, S_COUNT(invalid), KC_ERR_INVALID_FORMAT);

    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(kc_check_sha256_hex(invalid[0], "attachments[2].sha256", &errors), -1);
    s_expect_error(&errors, 1, KC_ERR_INVALID_FORMAT, "attachments[2].sha256", "63");
    cr_assert_str_eq(errors.items[0].detail, "63 hexadecimal digits, a SHA-256 digest has 64");
    kc_errors_release(&errors);
}

/* --- every check --------------------------------------------------------- */

Test(kc_check, an_empty_value_passes_every_check_but_required_text)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    s_check_fn checks[] = {kc_check_id_card, kc_check_phone,      kc_check_email,     kc_check_url,
                           kc_check_date,    kc_check_year_month, kc_check_sha256_hex};
    for (size_t i = 0; i < S_COUNT(checks); i++) {
        cr_assert_eq(checks[i]("", "form.field", &errors), 0, "check %zu", i);
        cr_assert_eq(checks[i](NULL, "form.field", &errors), 0, "check %zu", i);
    }
    cr_assert_eq(kc_check_text("", "form.field", false, 10, &errors), 0);
    cr_assert_eq(errors.total, 0);
    kc_errors_release(&errors);
}

/* Pseudo-random bytes (a fixed LCG, so failures reproduce) through every
 * check: under the sanitizers nothing reads past the NUL, and each check
 * adds exactly one error when, and only when, it returns -1. */
Test(kc_check, any_bytes_are_safe_and_each_failure_adds_exactly_one_error)
{
    s_check_fn checks[] = {kc_check_id_card, kc_check_phone,      kc_check_email,     kc_check_url,
                           kc_check_date,    kc_check_year_month, kc_check_sha256_hex};
    const char alphabet[] = "0123456789xX-+ .:/@?#aZ\t\n";
    uint32_t state = 20240615u;
    for (int round = 0; round < 20000; round++) {
        char text[80];
        state = state * 1664525u + 1013904223u;
        size_t length = (state >> 16) % (sizeof text - 1);
        for (size_t i = 0; i < length; i++) {
            state = state * 1664525u + 1013904223u;
            unsigned byte = (state >> 24) & 0xFF;
            /* Half the time a byte from the alphabet, to get deep into the parsers. */
            text[i] = (state >> 8) & 1 ? alphabet[byte % (sizeof alphabet - 1)]
                                       : (char)(byte ? byte : 0x80);
        }
        text[length] = '\0';
        kc_errors_t errors;
        kc_errors_init(&errors);
        size_t failures = 0;
        for (size_t i = 0; i < S_COUNT(checks); i++)
            failures += checks[i](text, "f", &errors) == -1;
        failures += kc_check_text(text, "f", true, 10, &errors) == -1;
        cr_assert_eq(errors.total, failures, "round %d", round);
        kc_utf8_length(text);
        kc_errors_release(&errors);
    }
}
