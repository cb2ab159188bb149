/*  kc_check_formats: the field rules for values with a fixed form.
 *
 *  Dates and year-months, identity card numbers (GB 11643: region, birth
 *  date, ISO 7064 check character), Chinese phone numbers, e-mail
 *  addresses, http(s) URLs and SHA-256 digests in hex: the checks of
 *  include/kc/kc_check.h after UTF-8 and free text, which are in
 *  kc_check_text.c. Each reports its errors with kc_check_fail and reads
 *  UTF-8 with kc_check_utf8_decode (kc_check_internal.h), so every rule
 *  speaks the same way: one error at the first broken rule, saying where,
 *  never echoing the value (an identity card number is personal).
 *
 *  An empty or NULL value passes every check here: whether a field is
 *  required is kc_check_text's to say.
 */
#include "kc/kc_check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/kc_check_internal.h"
#include "kc/kc_clock.h"

#define KC_CHECK_ID_CARD_LENGTH 18
#define KC_CHECK_EMAIL_MAX      254
#define KC_CHECK_EMAIL_LOCAL    64
#define KC_CHECK_DOMAIN_MAX     253
#define KC_CHECK_LABEL_MAX      63
#define KC_CHECK_URL_MAX        2048
#define KC_CHECK_SHA256_LENGTH  64
#define KC_CHECK_YEAR_MIN       1900
#define KC_CHECK_YEAR_MAX       2100

/* --- characters ---------------------------------------------------------- */

static bool s_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool s_is_alnum(unsigned char c)
{
    return s_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool s_is_hex(unsigned char c)
{
    return s_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Value of the `count` ASCII digits at `text`, which the caller has checked. */
static int s_parse_digits(const char *text, int count)
{
    int value = 0;
    for (int i = 0; i < count; i++)
        value = value * 10 + (text[i] - '0');
    return value;
}

/* Unicode white space beyond ASCII: none belongs unescaped in a URL. */
static bool s_is_wide_space(uint32_t code_point)
{
    return code_point == 0xA0 || code_point == 0x1680 ||
           (code_point >= 0x2000 && code_point <= 0x200A) || code_point == 0x2028 ||
           code_point == 0x2029 || code_point == 0x202F || code_point == 0x205F ||
           code_point == 0x3000;
}

/* 1-based character position of byte `offset` of valid UTF-8 `text`. */
static size_t s_position(const char *text, size_t offset)
{
    size_t position = 1;
    for (size_t i = 0; i < offset; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            position++;
    return position;
}
/* --- dates --------------------------------------------------------------- */

static bool s_is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int s_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && s_is_leap_year(year) ? 29 : days[month - 1];
}

bool kc_date_is_valid(int year, int month, int day)
{
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
        return false;
    return day <= s_days_in_month(year, month);
}

/* True when `text` is exactly `form`, where Y, M and D stand for digits. */
static bool s_matches(const char *text, const char *form)
{
    size_t i = 0;
    for (; form[i]; i++) {
        unsigned char c = (unsigned char)text[i];
        if (strchr("YMD", form[i]) ? !s_is_digit(c) : c != (unsigned char)form[i])
            return false; /* also stops at text's NUL, which matches neither */
    }
    return text[i] == '\0';
}

/* Today's date in China (UTC+8, no summer time) as YYYYMMDD, by kc_clock:
 * a birth date is compared with the day as it is where the card was issued. */
static long s_today_in_china(void)
{
    time_t seconds = (time_t)(kc_clock_now_ms() / 1000 + 8 * 3600);
    struct tm day;
    if (!gmtime_r(&seconds, &day))
        return 99991231L; /* unreachable for any clock kechuang runs on */
    return (long)(day.tm_year + 1900) * 10000 + (day.tm_mon + 1) * 100 + day.tm_mday;
}

/* The part "YYYY-MM" that both date checks share: `text` has the `form`
 * ("YYYY-MM" or "YYYY-MM-DD"), a year in 1900-2100 and a month 1-12. */
static int s_check_year_and_month(const char *text, const char *field, const char *what,
                                  const char *form, kc_errors_t *errors)
{
    char hint[32];
    snprintf(hint, sizeof hint, "write it as %s", form);
    if (!s_matches(text, form))
        return kc_check_fail(errors, KC_ERR_INVALID_DATE, field, what, hint,
                             "it is not of the form %s", form);
    int year = s_parse_digits(text, 4);
    int month = s_parse_digits(text + 5, 2);
    if (year < KC_CHECK_YEAR_MIN || year > KC_CHECK_YEAR_MAX)
        return kc_check_fail(errors, KC_ERR_INVALID_DATE, field, what, hint,
                             "the year %d is outside %d-%d", year, KC_CHECK_YEAR_MIN,
                             KC_CHECK_YEAR_MAX);
    if (month < 1 || month > 12)
        return kc_check_fail(errors, KC_ERR_INVALID_DATE, field, what, hint,
                             "there is no month %02d", month);
    return 0;
}

int kc_check_date(const char *text, const char *field, kc_errors_t *errors)
{
    const char *what = "is not a date";
    if (!text || !*text)
        return 0;
    if (s_check_year_and_month(text, field, what, "YYYY-MM-DD", errors) < 0)
        return -1;
    int year = s_parse_digits(text, 4);
    int month = s_parse_digits(text + 5, 2);
    int day = s_parse_digits(text + 8, 2);
    if (!kc_date_is_valid(year, month, day))
        return kc_check_fail(errors, KC_ERR_INVALID_DATE, field, what, "write it as YYYY-MM-DD",
                             "%04d-%02d has %d days, not %d", year, month,
                             s_days_in_month(year, month), day);
    return 0;
}

int kc_check_year_month(const char *text, const char *field, kc_errors_t *errors)
{
    if (!text || !*text)
        return 0;
    return s_check_year_and_month(text, field, "is not a year and month", "YYYY-MM", errors);
}

/* --- identity cards ------------------------------------------------------ */

/* Province-level prefixes of GB/T 2260 region codes. */
static bool s_is_province(int prefix)
{
    return (prefix >= 11 && prefix <= 15) || (prefix >= 21 && prefix <= 23) ||
           (prefix >= 31 && prefix <= 37) || (prefix >= 41 && prefix <= 46) ||
           (prefix >= 50 && prefix <= 54) || (prefix >= 61 && prefix <= 65) || prefix == 71 ||
           prefix == 81 || prefix == 82;
}

/* ISO 7064 MOD 11-2 check character of the first 17 digits. */
static char s_id_card_check_character(const char *digits)
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (digits[i] - '0') * weights[i];
    return "10X98765432"[sum % 11];
}

static int s_fail_id_card(kc_errors_t *errors, const char *field, const char *hint,
                          const char *detail)
{
    return kc_check_fail(errors, KC_ERR_INVALID_ID_CARD, field,
                         "is not a valid identity card number", hint, "%s", detail);
}

/* 17 digits then a digit or X/x, nothing more. The number itself never goes
 * into the error: only positions and counts do. */
static int s_check_id_card_shape(const char *text, const char *field, kc_errors_t *errors)
{
    const char *hint = "write the 18 characters printed on the card";
    char detail[96];
    size_t length = strlen(text);
    for (size_t i = 0; i < length && i < KC_CHECK_ID_CARD_LENGTH; i++) {
        unsigned char c = (unsigned char)text[i];
        bool last = i == KC_CHECK_ID_CARD_LENGTH - 1;
        if (s_is_digit(c) || (last && (c == 'X' || c == 'x')))
            continue;
        snprintf(detail, sizeof detail, "character %zu is not a digit%s", i + 1,
                 last ? " or X" : "");
        return s_fail_id_card(errors, field, hint, detail);
    }
    if (length == KC_CHECK_ID_CARD_LENGTH)
        return 0;
    long count = kc_utf8_length(text); /* the first 18 bytes are ASCII: at least 18 */
    if (length < KC_CHECK_ID_CARD_LENGTH || count > 0)
        snprintf(detail, sizeof detail, "%ld characters, an identity card number has 18",
                 length < KC_CHECK_ID_CARD_LENGTH ? (long)length : count);
    else
        snprintf(detail, sizeof detail, "more than 18 characters, an identity card number has 18");
    return s_fail_id_card(errors, field, hint, detail);
}

static int s_check_id_card_birth(const char *text, const char *field, kc_errors_t *errors)
{
    int year = s_parse_digits(text + 6, 4);
    int month = s_parse_digits(text + 10, 2);
    int day = s_parse_digits(text + 12, 2);
    long birth = (long)year * 10000 + month * 100 + day;
    if (!kc_date_is_valid(year, month, day))
        return s_fail_id_card(errors, field, NULL,
                              "the birth date (characters 7-14) is not a real date");
    if (year < KC_CHECK_YEAR_MIN)
        return s_fail_id_card(errors, field, NULL,
                              "the birth date (characters 7-14) is before 1900-01-01");
    if (birth > s_today_in_china())
        return s_fail_id_card(errors, field, NULL,
                              "the birth date (characters 7-14) is after today");
    return 0;
}

int kc_check_id_card(const char *text, const char *field, kc_errors_t *errors)
{
    char detail[96];
    if (!text || !*text)
        return 0;
    if (s_check_id_card_shape(text, field, errors) < 0)
        return -1;
    int province = s_parse_digits(text, 2);
    if (!s_is_province(province)) {
        snprintf(detail, sizeof detail, "the region code starts with %02d, which is no province",
                 province);
        return s_fail_id_card(errors, field, NULL, detail);
    }
    if (s_check_id_card_birth(text, field, errors) < 0)
        return -1;
    char expected = s_id_card_check_character(text);
    char actual = text[17] == 'x' ? 'X' : text[17];
    if (actual != expected) {
        snprintf(detail, sizeof detail, "the check character is %c, the digits before it give %c",
                 actual, expected);
        return s_fail_id_card(errors, field,
                              "one of the 18 characters is mistyped: compare them "
                              "with the card",
                              detail);
    }
    return 0;
}

/* --- phone numbers ------------------------------------------------------- */

/* Number of digits at `text`, at most `limit` + 1 (enough to say "too many"). */
static size_t s_count_digits(const char *text, size_t limit)
{
    size_t count = 0;
    while (count <= limit && s_is_digit((unsigned char)text[count]))
        count++;
    return count;
}

/* 1[3-9] and 9 more digits, then the end. */
static bool s_is_mobile(const char *text)
{
    return text[0] == '1' && text[1] >= '3' && text[1] <= '9' && s_count_digits(text, 11) == 11 &&
           text[11] == '\0';
}

/* 0 + `area_digits` - 1 digits, optional '-' or ' ', 7-8 digits, optional
 * "-" and a 1-6 digit extension, then the end. */
static bool s_is_fixed_line(const char *text, size_t area_digits)
{
    if (text[0] != '0' || s_count_digits(text, area_digits) < area_digits)
        return false;
    const char *p = text + area_digits;
    if (*p == '-' || *p == ' ')
        p++;
    size_t subscriber = s_count_digits(p, 8);
    if (subscriber < 7 || subscriber > 8)
        return false;
    p += subscriber;
    if (*p == '-') {
        size_t extension = s_count_digits(p + 1, 6);
        if (extension < 1 || extension > 6)
            return false;
        p += 1 + extension;
    }
    return *p == '\0';
}

int kc_check_phone(const char *text, const char *field, kc_errors_t *errors)
{
    if (!text || !*text)
        return 0;
    const char *p = text;
    if (strncmp(p, "+86", 3) == 0) {
        p += 3;
        if (*p == ' ' || *p == '-')
            p++;
    } else if (strncmp(p, "86-", 3) == 0) {
        p += 3;
    }
    if (s_is_mobile(p) || s_is_fixed_line(p, 3) || s_is_fixed_line(p, 4))
        return 0;
    return kc_check_fail(
        errors, KC_ERR_INVALID_FORMAT, field, "is not a phone number",
        "write a mobile number such as 13812345678 or a fixed line such as "
        "0311-87654321",
        "it is neither a mobile number (11 digits from 13) nor a fixed line with its "
        "area code");
}

/* --- e-mail and URLs ----------------------------------------------------- */

/* One DNS label: 1-63 letters, digits and hyphens, no hyphen at either end. */
static bool s_is_label(const char *text, size_t length)
{
    if (length < 1 || length > KC_CHECK_LABEL_MAX || text[0] == '-' || text[length - 1] == '-')
        return false;
    for (size_t i = 0; i < length; i++)
        if (!s_is_alnum((unsigned char)text[i]) && text[i] != '-')
            return false;
    return true;
}

/* How many labels separated by dots `text` is made of, at most 253
 * characters in all; 0 when it is not a domain name. */
static size_t s_domain_labels(const char *text, size_t length)
{
    size_t labels = 0, start = 0;
    if (length > KC_CHECK_DOMAIN_MAX)
        return 0;
    for (size_t i = 0; i <= length; i++) {
        if (i < length && text[i] != '.')
            continue;
        if (!s_is_label(text + start, i - start))
            return 0;
        labels++;
        start = i + 1;
    }
    return labels;
}

/* At least two labels: a domain mail can be sent to. */
static bool s_is_domain(const char *text, size_t length)
{
    return s_domain_labels(text, length) >= 2;
}

bool kc_check_mail_domain(const char *text)
{
    return text && s_domain_labels(text, strlen(text)) >= 1;
}

static bool s_is_local_part_character(unsigned char c)
{
    return s_is_alnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}

/* No dot at either end of the local part, and never two in a row. */
static bool s_has_stray_dot(const char *text, size_t length)
{
    if (text[0] == '.' || text[length - 1] == '.')
        return true;
    for (size_t i = 1; i < length; i++)
        if (text[i] == '.' && text[i - 1] == '.')
            return true;
    return false;
}

int kc_check_email(const char *text, const char *field, kc_errors_t *errors)
{
    const char *what = "is not an e-mail address";
    const char *hint = "write it as name@example.cn";
    if (!text || !*text)
        return 0;
    const char *at = strchr(text, '@');
    if (!at)
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint, "there is no '@'");
    size_t local = (size_t)(at - text);
    if (!local)
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "there is nothing before the '@'");
    for (size_t i = 0; i < local; i++)
        if (!s_is_local_part_character((unsigned char)text[i]))
            return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                                 "character %zu is not allowed before the '@'", i + 1);
    if (s_has_stray_dot(text, local))
        return kc_check_fail(
            errors, KC_ERR_INVALID_FORMAT, field, what, hint,
            "the part before the '@' starts or ends with a dot, or has two in a row");
    if (local > KC_CHECK_EMAIL_LOCAL)
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "%zu characters before the '@', the limit is 64", local);
    if (strchr(at + 1, '@'))
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "there is more than one '@'");
    if (!s_is_domain(at + 1, strlen(at + 1)))
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "the domain after the '@' is not a name such as example.cn");
    size_t length = strlen(text); /* all ASCII by now: bytes are characters */
    if (length > KC_CHECK_EMAIL_MAX)
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "%zu characters, the limit is 254", length);
    return 0;
}

/* Dotted quad, each part 0-255 without leading zeros (no octal surprises). */
static bool s_is_ipv4(const char *text, size_t length)
{
    size_t parts = 0, i = 0;
    while (i < length) {
        size_t digits = 0;
        int value = 0;
        while (i < length && s_is_digit((unsigned char)text[i]) && digits < 4) {
            value = value * 10 + (text[i++] - '0');
            digits++;
        }
        if (digits < 1 || digits > 3 || value > 255 || (digits > 1 && text[i - digits] == '0'))
            return false;
        parts++;
        if (i < length && (text[i] != '.' || ++i == length))
            return false;
    }
    return parts == 4;
}

static bool s_is_host(const char *text, size_t length)
{
    if (length == 9 && strncasecmp(text, "localhost", 9) == 0)
        return true;
    if (strspn(text, "0123456789.") >= length)
        return s_is_ipv4(text, length);
    return s_is_domain(text, length);
}

/* Optional ":port" at `*p`, 1-65535; advances `*p` past it. */
static bool s_skip_port(const char **p)
{
    if (**p != ':')
        return true;
    size_t digits = s_count_digits(*p + 1, 5);
    if (digits < 1 || digits > 5)
        return false;
    int port = s_parse_digits(*p + 1, (int)digits);
    *p += 1 + digits;
    return port >= 1 && port <= 65535;
}

int kc_check_url(const char *text, const char *field, kc_errors_t *errors)
{
    const char *what = "is not a web address";
    const char *hint = "write it as https://www.example.cn/path";
    if (!text || !*text)
        return 0;
    long count = kc_utf8_length(text);
    if (count < 0)
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "it is not valid UTF-8");
    if (count > KC_CHECK_URL_MAX) {
        char have[32];
        kc_check_format_count((unsigned long long)count, have, sizeof have);
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "%s characters, the limit is 2,048", have);
    }
    const char *p = text;
    if (strncasecmp(p, "http://", 7) == 0)
        p += 7;
    else if (strncasecmp(p, "https://", 8) == 0)
        p += 8;
    else
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "it does not begin with http:// or https://");
    size_t host = strcspn(p, ":/?#");
    if (!s_is_host(p, host))
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "the host is not a domain name, an IPv4 address or localhost");
    p += host;
    if (!s_skip_port(&p) || (*p && *p != '/' && *p != '?' && *p != '#'))
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, hint,
                             "the port is not a number from 1 to 65535");
    uint32_t code_point;
    while (*p) {
        int length =
            kc_check_utf8_decode((const unsigned char *)p, &code_point); /* valid: checked above */
        if (code_point <= ' ' || kc_check_is_control(code_point) || s_is_wide_space(code_point))
            return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what,
                                 "write a space as %20 and leave out control characters",
                                 "character %zu is a space or a control character",
                                 s_position(text, (size_t)(p - text)));
        p += length;
    }
    return 0;
}

/* --- digests ------------------------------------------------------------- */

int kc_check_sha256_hex(const char *text, const char *field, kc_errors_t *errors)
{
    const char *what = "is not a SHA-256 digest";
    if (!text || !*text)
        return 0;
    size_t length = 0;
    for (; text[length]; length++)
        if (!s_is_hex((unsigned char)text[length]))
            return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, NULL,
                                 "character %zu is not a hexadecimal digit", length + 1);
    if (length != KC_CHECK_SHA256_LENGTH)
        return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, what, NULL,
                             "%zu hexadecimal digits, a SHA-256 digest has 64", length);
    return 0;
}
