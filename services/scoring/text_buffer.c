/*  text_buffer: a growing string written with printf formats.
 *
 *  The canonical texts of a run are large (scoring the whole country
 *  writes ~5 MB: the snapshot and the result JSON, with ~200,000 doubles),
 *  so the hot paths avoid printf where it is slow: a format without a
 *  conversion is copied, any other is printed once straight into the
 *  buffer (twice only when it does not fit), JSON strings are copied byte
 *  by byte, and numbers have their own writers: integers, and doubles
 *  exactly as "%.17g" (text_buffer_append_double).
 */
#include "scoring/text_buffer.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_HEADROOM 64 /* bytes reserved before a format is tried in place */

typedef unsigned __int128 s_u128_t;

static void s_reserve(text_buffer_t *self, size_t more)
{
    if (self->size + more + 1 <= self->capacity)
        return;
    size_t capacity = self->capacity ? self->capacity : 256;
    while (capacity < self->size + more + 1)
        capacity *= 2;
    self->text = realloc(self->text, capacity);
    if (!self->text)
        abort();
    self->capacity = capacity;
}

static void s_append_bytes(text_buffer_t *self, const char *bytes, size_t size)
{
    s_reserve(self, size);
    memcpy(self->text + self->size, bytes, size);
    self->size += size;
    self->text[self->size] = '\0';
}

void text_buffer_append(text_buffer_t *self, const char *fmt, ...)
{
    if (!strchr(fmt, '%')) { /* punctuation: "]", ",", "\t", "null" */
        s_append_bytes(self, fmt, strlen(fmt));
        return;
    }
    s_reserve(self, S_HEADROOM);
    size_t room = self->capacity - self->size;
    va_list args;
    va_start(args, fmt);
    int needed = vsnprintf(self->text + self->size, room, fmt, args);
    va_end(args);
    if (needed < 0)
        abort();
    if ((size_t)needed >= room) { /* did not fit: once more with the room it needs */
        s_reserve(self, (size_t)needed);
        va_start(args, fmt);
        vsnprintf(self->text + self->size, (size_t)needed + 1, fmt, args);
        va_end(args);
    }
    self->size += (size_t)needed;
}

void text_buffer_append_int(text_buffer_t *self, long long value)
{
    char digits[24];
    size_t n = sizeof digits;
    unsigned long long magnitude =
        value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do
        digits[--n] = (char)('0' + magnitude % 10);
    while ((magnitude /= 10) != 0);
    if (value < 0)
        digits[--n] = '-';
    s_append_bytes(self, digits + n, sizeof digits - n);
}

void text_buffer_append_json_string(text_buffer_t *self, const char *text)
{
    s_reserve(self, 6 * strlen(text) + 2);
    char *out = self->text + self->size;
    *out++ = '"';
    for (const unsigned char *at = (const unsigned char *)text; *at; at++) {
        if (*at == '"' || *at == '\\') {
            *out++ = '\\';
            *out++ = (char)*at;
        } else if (*at < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(out, "\\u00", 4);
            out[4] = hex[*at >> 4];
            out[5] = hex[*at & 15];
            out += 6;
        } else
            *out++ = (char)*at;
    }
    *out++ = '"';
    *out = '\0';
    self->size = (size_t)(out - self->text);
}

/* ---- doubles: the bytes of printf's "%.17g", without printf ------------------ */

static const uint64_t s_pow10[20] = {1ULL,
                                     10ULL,
                                     100ULL,
                                     1000ULL,
                                     10000ULL,
                                     100000ULL,
                                     1000000ULL,
                                     10000000ULL,
                                     100000000ULL,
                                     1000000000ULL,
                                     10000000000ULL,
                                     100000000000ULL,
                                     1000000000000ULL,
                                     10000000000000ULL,
                                     100000000000000ULL,
                                     1000000000000000ULL,
                                     10000000000000000ULL,
                                     100000000000000000ULL,
                                     1000000000000000000ULL,
                                     10000000000000000000ULL};

static int s_bits(s_u128_t n)
{
    const uint64_t high = (uint64_t)(n >> 64), low = (uint64_t)n;
    return high ? 128 - __builtin_clzll(high) : low ? 64 - __builtin_clzll(low) : 0;
}

/* n * 10^k into *n; 0 when it might not fit in 128 bits (a conservative
 * test by bit lengths, which spares a 128-bit division). */
static int s_scale10(s_u128_t *n, int k)
{
    for (; k > 0; k -= k > 19 ? 19 : k) {
        uint64_t factor = s_pow10[k > 19 ? 19 : k];
        if (s_bits(*n) + s_bits(factor) > 128)
            return 0;
        *n *= factor;
    }
    return 1;
}

/* v = mantissa * 2^exponent (v > 0, finite) rounded to 17 significant
 * digits, exactly: digits in [10^16, 10^17) and the decimal exponent of the
 * first digit. Rounding is to nearest, ties to even, as glibc's printf in
 * the default rounding mode. 0 when the exact arithmetic would need more
 * than 128 bits (|v| below ~1e-6 or above ~1e38): the caller uses printf. */
static int s_digits17(uint64_t mantissa, int exponent, int guess, uint64_t *digits, int *decimal)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        const int scale = 16 - guess; /* digits = round(v * 10^scale) */
        s_u128_t numerator = mantissa, denominator = 1;
        if (exponent >= 0) {
            if (exponent > 74)
                return 0;
            numerator <<= exponent;
        } else {
            if (exponent < -127)
                return 0;
            denominator <<= -exponent;
        }
        if (!s_scale10(scale >= 0 ? &numerator : &denominator, scale >= 0 ? scale : -scale))
            return 0;
        s_u128_t quotient, remainder;
        if (exponent < 0 && scale >= 0) { /* the usual case: a shift, no division */
            quotient = numerator >> -exponent;
            remainder = numerator & (denominator - 1);
        } else {
            quotient = numerator / denominator;
            remainder = numerator % denominator;
        }
        if (quotient < s_pow10[16]) {
            guess--;
            continue;
        }
        if (quotient >= s_pow10[17]) {
            guess++;
            continue;
        }
        const s_u128_t rest = denominator - remainder;
        if (remainder > rest || (remainder == rest && (quotient & 1)))
            quotient++;
        if (quotient == s_pow10[17]) {
            quotient = s_pow10[16];
            guess++;
        }
        *digits = (uint64_t)quotient;
        *decimal = guess;
        return 1;
    }
    return 0;
}

/* "%.17g" of 17 digits and the exponent of the first: fixed notation for
 * exponents -4..16, else d.ddde+XX; trailing zeros and a bare point go. */
static size_t s_format_g17(uint64_t digits, int decimal, char *out)
{
    char text[17];
    for (int i = 16; i >= 0; i--, digits /= 10)
        text[i] = (char)('0' + digits % 10);
    int last = 16; /* the last significant digit kept */
    while (last > 0 && text[last] == '0')
        last--;
    size_t n = 0;
    if (decimal < -4 || decimal >= 17) {
        out[n++] = text[0];
        if (last > 0) {
            out[n++] = '.';
            memcpy(out + n, text + 1, (size_t)last);
            n += (size_t)last;
        }
        n += (size_t)snprintf(out + n, 8, "e%c%02d", decimal < 0 ? '-' : '+', abs(decimal));
    } else if (decimal >= 0) {
        memcpy(out + n, text, (size_t)decimal + 1);
        n += (size_t)decimal + 1;
        if (last > decimal) {
            out[n++] = '.';
            memcpy(out + n, text + decimal + 1, (size_t)(last - decimal));
            n += (size_t)(last - decimal);
        }
    } else {
        memcpy(out, "0.", 2);
        n = 2;
        for (int zero = 0; zero < -decimal - 1; zero++)
            out[n++] = '0';
        memcpy(out + n, text, (size_t)last + 1);
        n += (size_t)last + 1;
    }
    return n;
}

void text_buffer_append_double(text_buffer_t *self, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    const int biased = (int)(bits >> 52 & 0x7ff);
    uint64_t mantissa = bits & ((1ULL << 52) - 1);
    if (biased == 0 || biased == 0x7ff) { /* zero, subnormal, infinite, NaN: rare */
        text_buffer_append(self, "%.17g", value);
        return;
    }
    mantissa |= 1ULL << 52;
    const int exponent = biased - 1075;
    /* floor(log10 |v|) is floor(log2 |v| * log10 2) or one less: 78913 / 2^18
     * is log10 2 to 6 digits; s_digits17 corrects the guess */
    const int binary = exponent + 52; /* floor(log2 |v|) */
    const int guess = binary >= 0 ? (binary * 78913) >> 18 : -((-binary * 78913 + 262143) >> 18);
    uint64_t digits;
    int decimal;
    if (!s_digits17(mantissa, exponent, guess, &digits, &decimal)) {
        text_buffer_append(self, "%.17g", value);
        return;
    }
    char text[40];
    size_t n = 0;
    if (bits >> 63)
        text[n++] = '-';
    n += s_format_g17(digits, decimal, text + n);
    s_append_bytes(self, text, n);
}

char *text_buffer_take(text_buffer_t *self, size_t *size)
{
    s_reserve(self, 0);
    self->text[self->size] = '\0';
    char *text = self->text;
    if (size)
        *size = self->size;
    memset(self, 0, sizeof *self);
    return text;
}

void text_buffer_release(text_buffer_t *self)
{
    free(self->text);
    memset(self, 0, sizeof *self);
}
