/*  pg_array: text[] literals (see pg_array.h). */
#include "workflow/pg_array.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void s_reserve(pg_array_t *array, size_t more)
{
    if (array->used + more + 2 <= array->size)
        return;
    array->size = (array->used + more + 2) * 2;
    array->text = realloc(array->text, array->size);
    if (!array->text)
        abort();
}

void pg_array_add(pg_array_t *array, const char *item)
{
    s_reserve(array, 2 * strlen(item) + 4);
    array->text[array->used++] = array->count == 0 ? '{' : ',';
    array->text[array->used++] = '"';
    for (const char *at = item; *at; at++) {
        if (*at == '"' || *at == '\\')
            array->text[array->used++] = '\\';
        array->text[array->used++] = *at;
    }
    array->text[array->used++] = '"';
    array->count++;
}

const char *pg_array_text(pg_array_t *array)
{
    s_reserve(array, 3);
    if (array->count == 0) { /* nothing added: "{}", and `used` stays 0 */
        memcpy(array->text, "{}", 3);
        return array->text;
    }
    array->text[array->used] = '}';
    array->text[array->used + 1] = '\0';
    return array->text;
}

void pg_array_free(pg_array_t *array)
{
    free(array->text);
    memset(array, 0, sizeof *array);
}

char **pg_array_split(const char *literal, size_t *n)
{
    size_t cap = 8, count = 0;
    char **items = calloc(cap + 1, sizeof *items);
    if (!items)
        abort();
    const char *at = literal + (*literal == '{');
    while (*at && *at != '}') {
        char buffer[512];
        size_t used = 0;
        bool quoted = *at == '"';
        at += quoted;
        while (*at && (quoted ? *at != '"' : (*at != ',' && *at != '}'))) {
            if (quoted && *at == '\\' && at[1])
                at++;
            if (used + 1 < sizeof buffer)
                buffer[used++] = *at;
            at++;
        }
        at += quoted && *at == '"';
        buffer[used] = '\0';
        if (count == cap) {
            cap *= 2;
            items = realloc(items, (cap + 1) * sizeof *items);
            if (!items)
                abort();
        }
        items[count] = strdup(buffer);
        if (!items[count++])
            abort();
        at += *at == ',';
    }
    *n = count;
    return items;
}
