/*  catalogue: the division map and the indicator catalogue in sorted arrays,
 *  filled from the database (catalogue_load) or by hand (catalogue_new and
 *  the add functions), and the questions validation asks of them.
 */
#include "intake/catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"

typedef struct {
    int code;      /* six-digit code as a number */
    int from_year; /* first year of validity, inclusive */
    int to_year;   /* last year of validity, inclusive */
    int level;     /* 1 province, 2 city, 3 county */
    char name[64];
} s_division_t;

/* A version of the indicator list and its stated years (last 9999: until
 * replaced); taken from the indicators, which carry their framework's. */
typedef struct {
    char code[32];
    int first_year;
    int last_year;
} s_framework_t;

typedef struct {
    int predecessor;
    char successor[8];
} s_succession_t;

/* A growable array of fixed-size items. */
typedef struct {
    void *items;
    int count;
    int capacity;
} s_array_t;

struct catalogue_t {
    s_array_t divisions;   /* s_division_t, sorted by code then from_year */
    s_array_t indicators;  /* catalogue_indicator_t, sorted by code then first_year */
    s_array_t providers;   /* char[16], sorted */
    s_array_t successions; /* s_succession_t, in insertion order */
    s_array_t frameworks;  /* s_framework_t, one per framework that has indicators */
    int county_count;      /* county-level divisions valid today */
};

static void *s_push(s_array_t *array, size_t size)
{
    if (array->count == array->capacity) {
        int capacity = array->capacity ? array->capacity * 2 : 64;
        void *items = realloc(array->items, (size_t)capacity * size);
        if (!items)
            abort();
        array->items = items;
        array->capacity = capacity;
    }
    void *slot = (char *)array->items + (size_t)array->count++ * size;
    memset(slot, 0, size);
    return slot;
}

#define S_AT(array, type, index) (&((type *)(array).items)[index])

static int s_code_number(const char *code)
{
    int number = 0;
    for (int i = 0; i < 6; i++) {
        if (code[i] < '0' || code[i] > '9')
            return -1;
        number = number * 10 + (code[i] - '0');
    }
    return code[6] == '\0' ? number : -1;
}

catalogue_t *catalogue_new(void)
{
    catalogue_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    return self;
}

void catalogue_destroy(catalogue_t **self)
{
    if (!self || !*self)
        return;
    free((*self)->divisions.items);
    free((*self)->indicators.items);
    free((*self)->providers.items);
    free((*self)->successions.items);
    free((*self)->frameworks.items);
    free(*self);
    *self = NULL;
}

void catalogue_add_division(catalogue_t *self, const char *code, int from_year, int to_year,
                            int level, const char *name)
{
    int number = s_code_number(code);
    if (number < 0)
        return;
    s_division_t *division = s_push(&self->divisions, sizeof *division);
    division->code = number;
    division->from_year = from_year;
    division->to_year = to_year;
    division->level = level;
    snprintf(division->name, sizeof division->name, "%s", name);
    if (level == 3 && to_year == 9999)
        self->county_count++;
}

void catalogue_add_succession(catalogue_t *self, const char *predecessor, const char *successor)
{
    int number = s_code_number(predecessor);
    if (number < 0)
        return;
    s_succession_t *succession = s_push(&self->successions, sizeof *succession);
    succession->predecessor = number;
    snprintf(succession->successor, sizeof succession->successor, "%s", successor);
}

void catalogue_add_indicator(catalogue_t *self, const catalogue_indicator_t *indicator)
{
    catalogue_indicator_t *slot = s_push(&self->indicators, sizeof *slot);
    *slot = *indicator;
}

void catalogue_add_provider(catalogue_t *self, const char *code)
{
    char *slot = s_push(&self->providers, 16);
    snprintf(slot, 16, "%s", code);
}

static int s_compare_divisions(const void *left, const void *right)
{
    const s_division_t *a = left, *b = right;
    if (a->code != b->code)
        return (a->code > b->code) - (a->code < b->code);
    return (a->from_year > b->from_year) - (a->from_year < b->from_year);
}

static int s_compare_indicators(const void *left, const void *right)
{
    const catalogue_indicator_t *a = left, *b = right;
    int order = strcmp(a->code, b->code);
    return order ? order : (a->first_year > b->first_year) - (a->first_year < b->first_year);
}

static int s_compare_providers(const void *left, const void *right)
{
    return strcmp(left, right);
}

/* One s_framework_t per framework code found among the indicators. */
static void s_collect_frameworks(catalogue_t *self)
{
    self->frameworks.count = 0;
    for (int i = 0; i < self->indicators.count; i++) {
        const catalogue_indicator_t *indicator = S_AT(self->indicators, catalogue_indicator_t, i);
        bool seen = false;
        for (int j = 0; j < self->frameworks.count && !seen; j++)
            seen =
                strcmp(S_AT(self->frameworks, s_framework_t, j)->code, indicator->framework) == 0;
        if (seen)
            continue;
        s_framework_t *framework = s_push(&self->frameworks, sizeof *framework);
        snprintf(framework->code, sizeof framework->code, "%s", indicator->framework);
        framework->first_year = indicator->first_year;
        framework->last_year = indicator->last_year;
    }
}

void catalogue_seal(catalogue_t *self)
{
    qsort(self->divisions.items, (size_t)self->divisions.count, sizeof(s_division_t),
          s_compare_divisions);
    qsort(self->indicators.items, (size_t)self->indicators.count, sizeof(catalogue_indicator_t),
          s_compare_indicators);
    qsort(self->providers.items, (size_t)self->providers.count, 16, s_compare_providers);
    s_collect_frameworks(self);
}

/* --- loading from the database --------------------------------------------- */

static PGresult *s_query(PGconn *conn, const char *sql, const char *what, kc_error_t *error)
{
    PGresult *result = PQexec(conn, sql);
    if (kc_db_check(conn, result, what, error)) {
        PQclear(result);
        return NULL;
    }
    return result;
}

/* Years come from the validity dates: valid_to is exclusive, so a
 * division that ends on 2021-01-01 was last valid in 2020. */
static const char *s_division_sql = "SELECT code, CASE WHEN valid_from = '-infinity' THEN 0"
                                    "                  ELSE extract(year FROM valid_from)::int END,"
                                    "       CASE WHEN valid_to = 'infinity' THEN 9999"
                                    "            ELSE extract(year FROM valid_to - 1)::int END,"
                                    "       level, name"
                                    "  FROM division WHERE level <= 3";

static const char *s_indicator_sql =
    "SELECT i.framework, i.code, i.name_zh, i.unit, i.provider, i.min_value, i.max_value,"
    "       f.first_year, f.last_year"
    "  FROM indicator i JOIN indicator_framework f ON f.code = i.framework";

static void s_copy(char *out, size_t size, const PGresult *result, int row, int column)
{
    snprintf(out, size, "%s", PQgetvalue(result, row, column));
}

static void s_add_indicators(catalogue_t *self, const PGresult *result)
{
    for (int i = 0; i < PQntuples(result); i++) {
        catalogue_indicator_t indicator;
        memset(&indicator, 0, sizeof indicator);
        s_copy(indicator.framework, sizeof indicator.framework, result, i, 0);
        s_copy(indicator.code, sizeof indicator.code, result, i, 1);
        s_copy(indicator.name_zh, sizeof indicator.name_zh, result, i, 2);
        s_copy(indicator.unit, sizeof indicator.unit, result, i, 3);
        s_copy(indicator.provider, sizeof indicator.provider, result, i, 4);
        indicator.min_value = strtod(PQgetvalue(result, i, 5), NULL);
        indicator.max_value = strtod(PQgetvalue(result, i, 6), NULL);
        indicator.first_year = (int)kc_db_int(result, i, 7);
        indicator.last_year = (int)kc_db_int(result, i, 8);
        catalogue_add_indicator(self, &indicator);
    }
}

catalogue_t *catalogue_load(PGconn *conn, kc_error_t *error)
{
    catalogue_t *self = catalogue_new();
    PGresult *divisions = s_query(conn, s_division_sql, "reading the division map", error);
    PGresult *successions = divisions
                                ? s_query(conn,
                                          "SELECT predecessor_code, successor_code"
                                          " FROM division_succession ORDER BY effective_on DESC",
                                          "reading division successions", error)
                                : NULL;
    PGresult *indicators =
        successions ? s_query(conn, s_indicator_sql, "reading the indicator catalogue", error)
                    : NULL;
    PGresult *providers =
        indicators ? s_query(conn, "SELECT code FROM provider", "reading providers", error) : NULL;
    if (providers) {
        for (int i = 0; i < PQntuples(divisions); i++)
            catalogue_add_division(self, PQgetvalue(divisions, i, 0),
                                   (int)kc_db_int(divisions, i, 1), (int)kc_db_int(divisions, i, 2),
                                   (int)kc_db_int(divisions, i, 3), PQgetvalue(divisions, i, 4));
        for (int i = 0; i < PQntuples(successions); i++)
            catalogue_add_succession(self, PQgetvalue(successions, i, 0),
                                     PQgetvalue(successions, i, 1));
        s_add_indicators(self, indicators);
        for (int i = 0; i < PQntuples(providers); i++)
            catalogue_add_provider(self, PQgetvalue(providers, i, 0));
        catalogue_seal(self);
    } else {
        catalogue_destroy(&self);
    }
    PQclear(divisions);
    PQclear(successions);
    PQclear(indicators);
    PQclear(providers);
    return self;
}

/* --- lookups ---------------------------------------------------------------- */

/* Index of the first division row with `code`, or -1. */
static int s_first_division(const catalogue_t *self, int code)
{
    int low = 0, high = self->divisions.count;
    while (low < high) {
        int middle = low + (high - low) / 2;
        if (S_AT(self->divisions, s_division_t, middle)->code < code)
            low = middle + 1;
        else
            high = middle;
    }
    return low < self->divisions.count && S_AT(self->divisions, s_division_t, low)->code == code
               ? low
               : -1;
}

catalogue_county_status_t catalogue_county(const catalogue_t *self, const char *code, int year)
{
    int number = s_code_number(code);
    int first = number < 0 ? -1 : s_first_division(self, number);
    if (first < 0)
        return CATALOGUE_COUNTY_UNKNOWN;
    bool county_level = false;
    for (int i = first; i < self->divisions.count; i++) {
        const s_division_t *division = S_AT(self->divisions, s_division_t, i);
        if (division->code != number)
            break;
        if (division->level != 3)
            continue;
        county_level = true;
        if (division->from_year <= year && year <= division->to_year)
            return CATALOGUE_COUNTY_VALID;
    }
    return county_level ? CATALOGUE_COUNTY_NOT_IN_YEAR : CATALOGUE_COUNTY_WRONG_LEVEL;
}

const char *catalogue_division_name(const catalogue_t *self, const char *code, int year)
{
    int number = s_code_number(code);
    int first = number < 0 ? -1 : s_first_division(self, number);
    const char *name = "";
    for (int i = first; first >= 0 && i < self->divisions.count; i++) {
        const s_division_t *division = S_AT(self->divisions, s_division_t, i);
        if (division->code != number)
            break;
        name = division->name; /* rows are in time order: the last is the latest */
        if (division->from_year <= year && year <= division->to_year)
            break;
    }
    return name;
}

const char *catalogue_successor(const catalogue_t *self, const char *code)
{
    int number = s_code_number(code);
    for (int i = 0; number >= 0 && i < self->successions.count; i++)
        if (S_AT(self->successions, s_succession_t, i)->predecessor == number)
            return S_AT(self->successions, s_succession_t, i)->successor;
    return "";
}

/* The framework in force in `year`: of those whose years contain it, the
 * one that starts latest (0016_periods.sql, indicator_framework_of). */
static const s_framework_t *s_framework_of(const catalogue_t *self, int year)
{
    const s_framework_t *found = NULL;
    for (int i = 0; i < self->frameworks.count; i++) {
        const s_framework_t *framework = S_AT(self->frameworks, s_framework_t, i);
        if (framework->first_year <= year && year <= framework->last_year &&
            (!found || framework->first_year > found->first_year))
            found = framework;
    }
    return found;
}

const catalogue_indicator_t *catalogue_indicator(const catalogue_t *self, const char *code,
                                                 int year)
{
    const s_framework_t *framework = s_framework_of(self, year);
    if (!framework)
        return NULL;
    int low = 0, high = self->indicators.count;
    while (low < high) {
        int middle = low + (high - low) / 2;
        if (strcmp(S_AT(self->indicators, catalogue_indicator_t, middle)->code, code) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    for (int i = low; i < self->indicators.count; i++) {
        const catalogue_indicator_t *indicator = S_AT(self->indicators, catalogue_indicator_t, i);
        if (strcmp(indicator->code, code) != 0)
            break;
        if (strcmp(indicator->framework, framework->code) == 0)
            return indicator;
    }
    return NULL;
}

bool catalogue_year_known(const catalogue_t *self, int year, int *first, int *last)
{
    int lowest = 0, highest = 0;
    for (int i = 0; i < self->frameworks.count; i++) {
        const s_framework_t *framework = S_AT(self->frameworks, s_framework_t, i);
        if (!lowest || framework->first_year < lowest)
            lowest = framework->first_year;
        if (framework->last_year > highest)
            highest = framework->last_year;
    }
    if (first)
        *first = lowest;
    if (last)
        *last = highest;
    return s_framework_of(self, year) != NULL;
}

bool catalogue_provider_known(const catalogue_t *self, const char *code)
{
    return bsearch(code, self->providers.items, (size_t)self->providers.count, 16,
                   s_compare_providers) != NULL;
}

int catalogue_county_count(const catalogue_t *self)
{
    return self->county_count;
}

int catalogue_indicator_count(const catalogue_t *self)
{
    return self->indicators.count;
}
