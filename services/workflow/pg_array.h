/*  pg_array: PostgreSQL text[] literals, built and split.
 *
 *  Panels store their exclusions and draw order as text[]; libpq passes
 *  arrays as literals ("{"a","b"}"), so items are quoted and their quotes
 *  and backslashes escaped — the one place kechuang writes that syntax.
 */
#ifndef WORKFLOW_PG_ARRAY_H
#define WORKFLOW_PG_ARRAY_H

#include <stddef.h>

typedef struct {
    char *text; /* "{" then quoted items; NULL while empty */
    size_t used, size;
    size_t count;
} pg_array_t;

void pg_array_add(pg_array_t *array, const char *item);

/* The literal, closed with "}" (valid until the next add or free). */
const char *pg_array_text(pg_array_t *array);

void pg_array_free(pg_array_t *array);

/* The items of a literal as read back from PostgreSQL, a heap array of
 * heap strings (items longer than 511 bytes are cut); *n receives the count. */
char **pg_array_split(const char *literal, size_t *n);

#endif
