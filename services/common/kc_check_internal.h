/*  kc_check_internal: what the parts of kc_check share, private to them.
 *
 *  kc_check (include/kc/kc_check.h) is two files: kc_check_text.c holds
 *  UTF-8 and free text, and with them the error and character helpers
 *  declared here; kc_check_formats.c holds the checks of values with a
 *  fixed form (dates, identity cards, phone numbers, e-mail addresses,
 *  URLs, SHA-256 digests), which report their errors and read UTF-8 the
 *  same way through these. Nothing outside services/common/kc_check_*.c
 *  includes this header.
 */
#ifndef KC_CHECK_INTERNAL_H
#define KC_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"

/* Append `"field" <what>` (the field path, or "value" without one) to
 * `errors` with an optional hint and a printf-style detail. The list may be
 * full (the error is then only counted): that is fine. Always returns -1,
 * so a check can end with `return kc_check_fail(...)`. */
int kc_check_fail(kc_errors_t *errors, kc_error_code_t code, const char *field, const char *what,
                  const char *hint, const char *detail_fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Write `count` with thousands separators ("1,203"), as people read it,
 * cut to fit `out_size` bytes. */
void kc_check_format_count(unsigned long long count, char *out, size_t out_size);

/* Decode one UTF-8 sequence at `p` (p[0] != 0) into `code_point`; return its
 * length in bytes, or 0 when it is not valid UTF-8 (overlongs, surrogates,
 * beyond U+10FFFF, truncated). A continuation byte is never 0, so a
 * truncated sequence stops at the NUL and is never read past. */
int kc_check_utf8_decode(const unsigned char *p, uint32_t *code_point);

/* True for the C0 controls, DEL and the C1 controls U+0080-U+009F. */
bool kc_check_is_control(uint32_t code_point);

#endif
