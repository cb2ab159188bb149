/*  kc_check: the field rules of kechuang's forms.
 *
 *  Each check looks at one value and, when it breaks a rule, appends one
 *  error naming `field` to `errors` and returns -1; otherwise it returns 0.
 *  Lengths are counted in characters (Unicode code points), as the policy
 *  texts count 字, never in bytes. An empty value passes every check except
 *  kc_check_text with `required`: requiredness is decided there, once.
 *  None of these trust their input: any bytes, any length, are safe.
 */
#ifndef KC_CHECK_H
#define KC_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "kc/kc_error.h"

/* Number of code points in a NUL-terminated string, or -1 if it is not
 * valid UTF-8 (overlongs, surrogates, code points above U+10FFFF and
 * truncated sequences are invalid). */
long kc_utf8_length(const char *text);

/* Copy `text` into `out` (at most out_size - 1 bytes and a NUL) as valid
 * UTF-8: each byte that does not start a valid sequence becomes '?', and a
 * character that does not fit whole is left out rather than cut. For text
 * that goes back to a sender, such as an error quoting what it sent. */
void kc_utf8_sanitise(const char *text, char *out, size_t out_size);

/* Valid UTF-8 with no control characters other than tab, CR and LF;
 * required means non-empty after trimming ASCII spaces; at most
 * `max_chars` characters (0: no limit). */
int kc_check_text(const char *text, const char *field, bool required, size_t max_chars,
                  kc_errors_t *errors);

/* 18-character resident identity number of GB 11643-1999: 6-digit region
 * code with a known province prefix, a real birth date YYYYMMDD between
 * 1900-01-01 and today (kc_clock), 3-digit sequence, and the ISO 7064
 * MOD 11-2 check character (0-9 or X, x accepted). The error's detail says
 * which part is wrong and, for a bad check character, which one is expected. */
int kc_check_id_card(const char *text, const char *field, kc_errors_t *errors);

/* Mainland mobile (1[3-9] and 9 more digits) or fixed line with area code
 * (0 + 2-3 digits, optional '-' or space, 7-8 digits, optional extension
 * "-1234"); an optional "+86" or "86-" prefix. Used for fax numbers too. */
int kc_check_phone(const char *text, const char *field, kc_errors_t *errors);

/* Practical RFC 5321 address: local part ≤ 64 of letters, digits and
 * !#$%&'*+/=?^_`{|}~.- (no leading, trailing or double dot), '@', a domain
 * of at least two labels (letters, digits, hyphens, ≤ 63 each, no leading
 * or trailing hyphen), total ≤ 254. */
int kc_check_email(const char *text, const char *field, kc_errors_t *errors);

/* A domain name for the right side of a Message-ID (RFC 5322 id-right as
 * dot-atom-text, narrowed to host names): one or more labels of letters,
 * digits and hyphens (≤ 63 each, no hyphen at either end) separated by
 * single dots, ≤ 253 in all; "localhost" passes, "a..b" and "" do not. */
bool kc_check_mail_domain(const char *text);

/* http:// or https:// URL with a host (domain name, IPv4 or "localhost"),
 * optional port 1-65535, optional path/query/fragment without spaces or
 * control characters, total ≤ 2048. */
int kc_check_url(const char *text, const char *field, kc_errors_t *errors);

/* A real calendar date "YYYY-MM-DD", years 1900-2100. */
int kc_check_date(const char *text, const char *field, kc_errors_t *errors);

/* A year and month "YYYY-MM", years 1900-2100. */
int kc_check_year_month(const char *text, const char *field, kc_errors_t *errors);

/* 64 hexadecimal characters. */
int kc_check_sha256_hex(const char *text, const char *field, kc_errors_t *errors);

/* True for "YYYY-MM-DD" that is a real date; used by the checks above and
 * by code that must compare dates. */
bool kc_date_is_valid(int year, int month, int day);

#endif
