/*  text_buffer: a growing string written with printf formats. */
#include "scoring/text_buffer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void text_buffer_append(text_buffer_t *self, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int needed = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (needed < 0)
        abort();
    s_reserve(self, (size_t)needed);
    va_start(args, fmt);
    vsnprintf(self->text + self->size, (size_t)needed + 1, fmt, args);
    va_end(args);
    self->size += (size_t)needed;
}

void text_buffer_append_json_string(text_buffer_t *self, const char *text)
{
    s_reserve(self, 2 * strlen(text) + 2);
    text_buffer_append(self, "\"");
    for (const unsigned char *at = (const unsigned char *)text; *at; at++) {
        if (*at == '"' || *at == '\\')
            text_buffer_append(self, "\\%c", *at);
        else if (*at < 0x20)
            text_buffer_append(self, "\\u%04x", *at);
        else
            text_buffer_append(self, "%c", *at);
    }
    text_buffer_append(self, "\"");
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
