/*  kc_check_text: UTF-8 and free text, the first of kechuang's field rules.
 *
 *  Every daemon that accepts a form (intake first, kcctl for files) runs its
 *  fields through the checks of include/kc/kc_check.h before anything is
 *  stored, so a rule lives in one place. This file holds the rules for any
 *  text (valid UTF-8, no control characters, a required value not blank, a
 *  length in characters) and what every check shares: the one way errors
 *  are reported and UTF-8 is decoded (kc_check_internal.h). The checks of
 *  values with a fixed form are in kc_check_formats.c.
 *
 *  Each check walks its value byte by byte and stops at the first broken
 *  rule, appending one error: code, field, a message that says what failed,
 *  and a detail that says where. Nothing is trusted: the input may be any
 *  bytes of any length (the fuzz targets feed them), so every scan stops at
 *  the NUL, bytes are read as unsigned char, and no value is echoed into an
 *  error (it may be personal, or not even text).
 *
 *  Lengths are counted in code points, as the policy texts count 字. An
 *  empty value passes every check but kc_check_text with `required`.
 */
#include "kc/kc_check.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/kc_check_internal.h"

/* --- errors ------------------------------------------------------------ */

/* The quoted subject of a message: the field path, or "value" without one. */
static const char *s_subject(const char *field)
{
    return field && *field ? field : "value";
}

int kc_check_fail(kc_errors_t *errors, kc_error_code_t code, const char *field, const char *what,
                  const char *hint, const char *detail_fmt, ...)
{
    assert(errors);
    kc_error_t *error = kc_errors_add(errors, code, field, "\"%s\" %s", s_subject(field), what);
    if (!error)
        return -1;
    char detail[KC_ERROR_DETAIL_MAX];
    va_list args;
    va_start(args, detail_fmt);
    vsnprintf(detail, sizeof detail, detail_fmt, args);
    va_end(args);
    kc_error_detail(error, "%s", detail);
    if (hint)
        kc_error_hint(error, "%s", hint);
    return -1;
}

/* Write `count` with thousands separators ("1,203"), as people read it. */
void kc_check_format_count(unsigned long long count, char *out, size_t out_size)
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%llu", count);
    size_t used = 0;
    if (!out_size)
        return;
    for (int i = 0; i < length && used + 1 < out_size; i++) {
        if (i > 0 && (length - i) % 3 == 0 && used + 2 < out_size)
            out[used++] = ',';
        out[used++] = digits[i];
    }
    out[used] = '\0';
}

/* --- characters ---------------------------------------------------------- */

/* Decode one UTF-8 sequence at `p` (p[0] != 0) into `code_point`; return its
 * length in bytes, or 0 when it is not valid UTF-8. A continuation byte is
 * never 0, so a truncated sequence stops at the NUL and is never read past. */
int kc_check_utf8_decode(const unsigned char *p, uint32_t *code_point)
{
    static const uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    int length;
    uint32_t value;
    if (p[0] < 0x80) {
        *code_point = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0) {
        length = 2;
        value = p[0] & 0x1Fu;
    } else if ((p[0] & 0xF0) == 0xE0) {
        length = 3;
        value = p[0] & 0x0Fu;
    } else if ((p[0] & 0xF8) == 0xF0) {
        length = 4;
        value = p[0] & 0x07u;
    } else {
        return 0; /* a continuation byte, or F8-FF */
    }
    for (int i = 1; i < length; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (p[i] & 0x3Fu);
    }
    /* Overlongs (C0 80, E0 80 80...), surrogates and beyond U+10FFFF. */
    if (value < minimum[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    *code_point = value;
    return length;
}

/* C0 controls, DEL and the C1 controls U+0080-U+009F. */
bool kc_check_is_control(uint32_t code_point)
{
    return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

long kc_utf8_length(const char *text)
{
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    long count = 0;
    uint32_t code_point;
    while (*p) {
        int length = kc_check_utf8_decode(p, &code_point);
        if (!length)
            return -1;
        p += length;
        count++;
    }
    return count;
}

/* --- text ---------------------------------------------------------------- */

static bool s_is_blank(const char *text)
{
    for (const char *p = text; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return false;
    return true;
}

/* Walk `text`: -1 with an error at the first invalid sequence or control
 * character, else 0 with the number of characters in `count`. */
static int s_scan_text(const char *text, const char *field, size_t *count, kc_errors_t *errors)
{
    const unsigned char *start = (const unsigned char *)text;
    const unsigned char *p = start;
    uint32_t code_point;
    *count = 0;
    while (*p) {
        int length = kc_check_utf8_decode(p, &code_point);
        if (!length)
            return kc_check_fail(errors, KC_ERR_INVALID_UTF8, field, "is not valid UTF-8",
                                 "save the text as UTF-8 and send it again",
                                 "byte %zu (0x%02X) does not begin a valid character",
                                 (size_t)(p - start) + 1, (unsigned)*p);
        (*count)++;
        if (kc_check_is_control(code_point) && code_point != '\t' && code_point != '\r' &&
            code_point != '\n')
            return kc_check_fail(errors, KC_ERR_INVALID_FORMAT, field, "holds a control character",
                                 "remove it: only tabs and line breaks are allowed",
                                 "character %zu is U+%04X", *count, (unsigned)code_point);
        p += length;
    }
    return 0;
}

int kc_check_text(const char *text, const char *field, bool required, size_t max_chars,
                  kc_errors_t *errors)
{
    size_t count;
    if (!text)
        text = "";
    if (s_scan_text(text, field, &count, errors) < 0)
        return -1;
    if (required && s_is_blank(text))
        return kc_check_fail(errors, KC_ERR_REQUIRED, field, "is required", NULL, "%s",
                             *text ? "it holds only spaces" : "it is empty");
    if (max_chars && count > max_chars) {
        char have[32], limit[32], hint[KC_ERROR_HINT_MAX];
        kc_check_format_count(count, have, sizeof have);
        kc_check_format_count(max_chars, limit, sizeof limit);
        snprintf(hint, sizeof hint, "shorten it to %s characters or fewer", limit);
        return kc_check_fail(errors, KC_ERR_TOO_LONG, field, "is too long", hint,
                             "%s characters, the limit is %s", have, limit);
    }
    return 0;
}

void kc_utf8_sanitise(const char *text, char *out, size_t out_size)
{
    size_t used = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (out_size && *p) {
        uint32_t code_point;
        int length = kc_check_utf8_decode(p, &code_point);
        const char *piece = length ? (const char *)p : "?";
        size_t piece_length = length ? (size_t)length : 1;
        if (used + piece_length >= out_size)
            break;
        memcpy(out + used, piece, piece_length);
        used += piece_length;
        p += length ? (size_t)length : 1;
    }
    if (out_size)
        out[used] = '\0';
}
