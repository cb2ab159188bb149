/*  text_buffer: a growing string for the canonical texts of a run (the
 *  snapshot, the result JSON), written with printf formats so every number
 *  is printed exactly one way.
 */
#ifndef SCORING_TEXT_BUFFER_H
#define SCORING_TEXT_BUFFER_H

#include <stddef.h>

typedef struct {
    char *text;      /* NUL-terminated once anything was appended; owned */
    size_t size;     /* bytes without the NUL */
    size_t capacity; /* bytes allocated */
} text_buffer_t;

/* Append printf-style; aborts when memory runs out. */
void text_buffer_append(text_buffer_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append a double exactly as printf's "%.17g" writes it (17 significant
 * digits, so it reads back to the same bits), several times faster. */
void text_buffer_append_double(text_buffer_t *self, double value);

/* Append an integer as "%lld" writes it. */
void text_buffer_append_int(text_buffer_t *self, long long value);

/* Append `text` as a JSON string literal, quotes included. */
void text_buffer_append_json_string(text_buffer_t *self, const char *text);

/* Hand the text over (never NULL: an empty buffer gives "") and reset. */
char *text_buffer_take(text_buffer_t *self, size_t *size);

void text_buffer_release(text_buffer_t *self);

#endif
