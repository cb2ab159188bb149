/*  fuzz_validators: any bytes against every field rule of kc_check.h.
 *
 *  Layout of an input: byte 0 holds flags (bit 0: `required`, bit 1: pass
 *  a NULL field name), bytes 1-2 a little-endian `max_chars` for
 *  kc_check_text (0: no limit), bytes 3-4 a signed little-endian year and
 *  bytes 5-6 a signed month and day for kc_date_is_valid; the rest is the
 *  text, copied into a buffer of exactly its size plus the NUL so that
 *  AddressSanitizer catches any read past the end (an embedded NUL simply
 *  ends the string early). Shorter inputs are all text, parameters zero.
 *
 *  Invariants checked (abort on breach, which libFuzzer reports as a crash):
 *    - every check returns 0 or -1; 0 added no error, -1 exactly one, with
 *      a code, the given field name and a message;
 *    - kc_utf8_length(s) >= 0 implies kc_check_text(s, ..., false, 0, ...)
 *      adds no KC_ERR_INVALID_UTF8; kc_utf8_length(s) < 0 implies every
 *      kc_check_text fails and kc_check_url fails;
 *    - text that passes kc_check_text(false, 0) is refused with `max_chars`
 *      exactly when it is longer, with KC_ERR_TOO_LONG;
 *    - what a check accepts has the shape it promises (18 characters for an
 *      ID card, 64 hex digits for a digest, "YYYY-MM-DD" for a date...).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kc/kc_check.h"
#include "kc/kc_clock.h"
#include "kc/kc_error.h"

#define S_CHECK(condition)                                                                         \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define S_PARAMETER_BYTES 7

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    kc_clock_set_fake(1717200000000); /* 2024-06-01: "today" for birth dates */
    return 0;
}

/* The check returned `status` having seen `before` errors in `errors`:
 * 0 with none added, or -1 with one added that names `field`. */
static void s_check_outcome(int status, const kc_errors_t *errors, size_t before, const char *field)
{
    S_CHECK(status == 0 || status == -1);
    if (status == 0) {
        S_CHECK(errors->total == before);
        return;
    }
    S_CHECK(errors->total == before + 1);
    S_CHECK(errors->kept == errors->total); /* never more than KC_ERRORS_KEPT_MAX here */
    const kc_error_t *error = &errors->items[errors->kept - 1];
    S_CHECK(error->code != KC_ERR_NONE && error->code < KC_ERR_COUNT_);
    S_CHECK(strcmp(error->field, field ? field : "") == 0);
    S_CHECK(error->message[0] != '\0');
    S_CHECK(strlen(error->detail) < sizeof error->detail);
    S_CHECK(strlen(error->hint) < sizeof error->hint);
}

static kc_error_code_t s_last_code(const kc_errors_t *errors)
{
    return errors->kept ? errors->items[errors->kept - 1].code : KC_ERR_NONE;
}

static bool s_all_hex(const char *text)
{
    for (; *text; text++)
        if (!strchr("0123456789abcdefABCDEF", *text))
            return false;
    return true;
}

static bool s_all_digits(const char *text, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return true;
}

/* Run one kc_check_* that takes (text, field, errors) and check its outcome. */
#define S_RUN(status, call, errors, field)                                                         \
    do {                                                                                           \
        size_t before_ = (errors)->total;                                                          \
        status = (call);                                                                           \
        s_check_outcome(status, (errors), before_, field);                                         \
    } while (0)

static void s_check_text_rules(const char *text, const char *field, bool required, size_t max_chars,
                               kc_errors_t *errors)
{
    int status;
    long length = kc_utf8_length(text);
    S_CHECK(length >= -1);
    S_CHECK(length <= (long)strlen(text));
    S_CHECK(length != 0 || *text == '\0');

    int plain;
    S_RUN(plain, kc_check_text(text, field, false, 0, errors), errors, field);
    if (length >= 0)
        S_CHECK(plain == 0 || s_last_code(errors) != KC_ERR_INVALID_UTF8);
    else
        S_CHECK(plain == -1);
    if (plain == -1)
        S_CHECK(s_last_code(errors) == KC_ERR_INVALID_UTF8 ||
                s_last_code(errors) == KC_ERR_INVALID_FORMAT);

    S_RUN(status, kc_check_text(text, field, required, max_chars, errors), errors, field);
    if (length < 0)
        S_CHECK(status == -1);
    if (plain == 0) {
        bool too_long = max_chars && (size_t)length > max_chars;
        if (status == 0)
            S_CHECK(!too_long);
        else
            S_CHECK(s_last_code(errors) == KC_ERR_TOO_LONG
                        ? too_long
                        : s_last_code(errors) == KC_ERR_REQUIRED && required);
        if (!required)
            S_CHECK((status == -1) == too_long);
    } else {
        S_CHECK(status == -1 && s_last_code(errors) == errors->items[errors->kept - 2].code);
    }
    if (length >= 0 && !required)
        S_CHECK(kc_check_text(text, field, false, (size_t)length, errors) == plain);
}

static void s_check_formats(const char *text, const char *field, kc_errors_t *errors)
{
    int status;
    size_t size = strlen(text);

    S_RUN(status, kc_check_id_card(text, field, errors), errors, field);
    if (status == 0 && size)
        S_CHECK(size == 18 && s_all_digits(text, 17) &&
                (s_all_digits(text + 17, 1) || text[17] == 'X' || text[17] == 'x'));
    if (status == -1)
        S_CHECK(s_last_code(errors) == KC_ERR_INVALID_ID_CARD);

    S_RUN(status, kc_check_phone(text, field, errors), errors, field);
    if (status == 0 && size)
        S_CHECK(size >= 10 && strspn(text, "+0123456789- ") == size);

    S_RUN(status, kc_check_email(text, field, errors), errors, field);
    if (status == 0 && size) {
        const char *at = strchr(text, '@');
        S_CHECK(at && at > text && strchr(at + 1, '@') == NULL && size <= 254);
        S_CHECK(strchr(at + 1, '.') != NULL);
    }

    S_RUN(status, kc_check_url(text, field, errors), errors, field);
    if (status == 0 && size)
        S_CHECK(kc_utf8_length(text) >= 0 &&
                (strncasecmp(text, "http://", 7) == 0 || strncasecmp(text, "https://", 8) == 0));
    if (kc_utf8_length(text) < 0)
        S_CHECK(status == -1);

    S_RUN(status, kc_check_date(text, field, errors), errors, field);
    if (status == 0 && size) {
        S_CHECK(size == 10 && text[4] == '-' && text[7] == '-');
        S_CHECK(s_all_digits(text, 4) && s_all_digits(text + 5, 2) && s_all_digits(text + 8, 2));
        int year =
            (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
        int month = (text[5] - '0') * 10 + (text[6] - '0');
        int day = (text[8] - '0') * 10 + (text[9] - '0');
        S_CHECK(year >= 1900 && year <= 2100 && kc_date_is_valid(year, month, day));
    }
    if (status == -1)
        S_CHECK(s_last_code(errors) == KC_ERR_INVALID_DATE);

    S_RUN(status, kc_check_year_month(text, field, errors), errors, field);
    if (status == 0 && size)
        S_CHECK(size == 7 && text[4] == '-' && s_all_digits(text, 4) && s_all_digits(text + 5, 2));

    S_RUN(status, kc_check_sha256_hex(text, field, errors), errors, field);
    if (status == 0 && size)
        S_CHECK(size == 64 && s_all_hex(text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t parameters[S_PARAMETER_BYTES] = {0};
    if (size >= S_PARAMETER_BYTES) {
        memcpy(parameters, data, S_PARAMETER_BYTES);
        data += S_PARAMETER_BYTES;
        size -= S_PARAMETER_BYTES;
    }
    bool required = parameters[0] & 1;
    const char *field = parameters[0] & 2 ? NULL : "form.head.field";
    size_t max_chars = (size_t)parameters[1] | (size_t)parameters[2] << 8;
    int year = (int16_t)(uint16_t)(parameters[3] | parameters[4] << 8);
    int month = (int8_t)parameters[5];
    int day = (int8_t)parameters[6];

    bool valid = kc_date_is_valid(year, month, day);
    if (valid)
        S_CHECK(month >= 1 && month <= 12 && day >= 1 && day <= 31 && year >= 1);

    char *text = malloc(size + 1);
    S_CHECK(text);
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';

    kc_errors_t errors;
    kc_errors_init(&errors);
    s_check_text_rules(text, field, required, max_chars, &errors);
    s_check_formats(text, field, &errors);

    /* NULL text is the empty value to every check. */
    S_CHECK(kc_utf8_length(NULL) == 0);
    size_t before = errors.total;
    S_CHECK(kc_check_text(NULL, field, false, max_chars, &errors) == 0);
    S_CHECK(kc_check_id_card(NULL, field, &errors) == 0 && kc_check_url(NULL, field, &errors) == 0);
    S_CHECK(errors.total == before);

    kc_errors_release(&errors);
    free(text);
    return 0;
}
