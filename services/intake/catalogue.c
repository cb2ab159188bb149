/*  catalogue: load the division map and the indicator catalogue into sorted
 *  arrays and answer the questions validation asks of them.
 */
#include "intake/catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"

typedef struct {
    int code;        /* six-digit code as a number */
    int from_year;   /* first year of validity, inclusive */
    int to_year;     /* last year of validity, inclusive */
    int level;       /* 1 province, 2 city, 3 county */
    char name[64];
} s_division_t;

typedef struct {
    int predecessor;
    char successor[8];
} s_succession_t;

struct catalogue_t {
    s_division_t *divisions;      /* sorted by code, then from_year */
    int division_count;
    catalogue_indicator_t *indicators; /* sorted by code, then first_year */
    int indicator_count;
    char (*providers)[16];
    int provider_count;
    s_succession_t *successions;  /* sorted by predecessor */
    int succession_count;
    int county_count;
};

static void *s_alloc(size_t count, size_t size)
{
    void *memory = calloc(count ? count : 1, size);
    if (!memory)
        abort();
    return memory;
}

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

static PGresult *s_query(PGconn *conn, const char *sql, const char *what, kc_error_t *error)
{
    PGresult *result = PQexec(conn, sql);
    if (kc_db_check(conn, result, what, error)) {
        PQclear(result);
        return NULL;
    }
    return result;
}

/* Years are derived from the validity dates: valid_to is exclusive, so a
 * division that ends on 2021-01-01 was last valid in 2020. */
static const char *s_division_sql =
    "SELECT code, CASE WHEN valid_from = '-infinity' THEN 0"
    "                  ELSE extract(year FROM valid_from)::int END,"
    "       CASE WHEN valid_to = 'infinity' THEN 9999"
    "            ELSE extract(year FROM valid_to - 1)::int END,"
    "       level, name"
    "  FROM division WHERE level <= 3 ORDER BY code, valid_from";

static int s_load_divisions(catalogue_t *self, PGconn *conn, kc_error_t *error)
{
    PGresult *result = s_query(conn, s_division_sql, "reading the division map", error);
    if (!result)
        return -1;
    int rows = PQntuples(result);
    self->divisions = s_alloc((size_t)rows, sizeof *self->divisions);
    for (int i = 0; i < rows; i++) {
        s_division_t *division = &self->divisions[self->division_count];
        division->code = s_code_number(PQgetvalue(result, i, 0));
        if (division->code < 0)
            continue;
        division->from_year = (int)kc_db_int(result, i, 1);
        division->to_year = (int)kc_db_int(result, i, 2);
        division->level = (int)kc_db_int(result, i, 3);
        snprintf(division->name, sizeof division->name, "%s", PQgetvalue(result, i, 4));
        if (division->level == 3 && division->to_year == 9999)
            self->county_count++;
        self->division_count++;
    }
    PQclear(result);
    result = s_query(conn,
                     "SELECT predecessor_code, successor_code FROM division_succession"
                     " ORDER BY predecessor_code, effective_on DESC",
                     "reading division successions", error);
    if (!result)
        return -1;
    rows = PQntuples(result);
    self->successions = s_alloc((size_t)rows, sizeof *self->successions);
    for (int i = 0; i < rows; i++) {
        s_succession_t *succession = &self->successions[self->succession_count];
        succession->predecessor = s_code_number(PQgetvalue(result, i, 0));
        snprintf(succession->successor, sizeof succession->successor, "%s",
                 PQgetvalue(result, i, 1));
        if (succession->predecessor >= 0)
            self->succession_count++;
    }
    PQclear(result);
    return 0;
}

static int s_load_indicators(catalogue_t *self, PGconn *conn, kc_error_t *error)
{
    PGresult *result = s_query(
        conn,
        "SELECT i.framework, i.code, i.name_zh, i.unit, i.provider, i.min_value, i.max_value,"
        "       f.first_year, f.last_year"
        "  FROM indicator i JOIN indicator_framework f ON f.code = i.framework"
        " ORDER BY i.code, f.first_year",
        "reading the indicator catalogue", error);
    if (!result)
        return -1;
    int rows = PQntuples(result);
    self->indicators = s_alloc((size_t)rows, sizeof *self->indicators);
    for (int i = 0; i < rows; i++) {
        catalogue_indicator_t *indicator = &self->indicators[i];
        snprintf(indicator->framework, sizeof indicator->framework, "%s",
                 PQgetvalue(result, i, 0));
        snprintf(indicator->code, sizeof indicator->code, "%s", PQgetvalue(result, i, 1));
        snprintf(indicator->name_zh, sizeof indicator->name_zh, "%s", PQgetvalue(result, i, 2));
        snprintf(indicator->unit, sizeof indicator->unit, "%s", PQgetvalue(result, i, 3));
        snprintf(indicator->provider, sizeof indicator->provider, "%s",
                 PQgetvalue(result, i, 4));
        indicator->min_value = strtod(PQgetvalue(result, i, 5), NULL);
        indicator->max_value = strtod(PQgetvalue(result, i, 6), NULL);
        indicator->first_year = (int)kc_db_int(result, i, 7);
        indicator->last_year = (int)kc_db_int(result, i, 8);
    }
    self->indicator_count = rows;
    PQclear(result);
    result = s_query(conn, "SELECT code FROM provider ORDER BY code", "reading providers", error);
    if (!result)
        return -1;
    rows = PQntuples(result);
    self->providers = s_alloc((size_t)rows, sizeof *self->providers);
    for (int i = 0; i < rows; i++)
        snprintf(self->providers[i], sizeof self->providers[i], "%s", PQgetvalue(result, i, 0));
    self->provider_count = rows;
    PQclear(result);
    return 0;
}

catalogue_t *catalogue_load(PGconn *conn, kc_error_t *error)
{
    catalogue_t *self = s_alloc(1, sizeof *self);
    if (s_load_divisions(self, conn, error) || s_load_indicators(self, conn, error)) {
        catalogue_destroy(&self);
        return NULL;
    }
    return self;
}

void catalogue_destroy(catalogue_t **self)
{
    if (!self || !*self)
        return;
    free((*self)->divisions);
    free((*self)->indicators);
    free((*self)->providers);
    free((*self)->successions);
    free(*self);
    *self = NULL;
}

/* Index of the first division row with `code`, or -1. */
static int s_first_division(const catalogue_t *self, int code)
{
    int low = 0, high = self->division_count;
    while (low < high) {
        int middle = low + (high - low) / 2;
        if (self->divisions[middle].code < code)
            low = middle + 1;
        else
            high = middle;
    }
    return low < self->division_count && self->divisions[low].code == code ? low : -1;
}

catalogue_county_status_t catalogue_county(const catalogue_t *self, const char *code, int year)
{
    int number = s_code_number(code);
    int first = number < 0 ? -1 : s_first_division(self, number);
    if (first < 0)
        return CATALOGUE_COUNTY_UNKNOWN;
    bool county_level = false;
    for (int i = first; i < self->division_count && self->divisions[i].code == number; i++) {
        const s_division_t *division = &self->divisions[i];
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
    for (int i = first; first >= 0 && i < self->division_count && self->divisions[i].code == number;
         i++) {
        name = self->divisions[i].name; /* rows are in time order: the last is the latest */
        if (self->divisions[i].from_year <= year && year <= self->divisions[i].to_year)
            break;
    }
    return name;
}

const char *catalogue_successor(const catalogue_t *self, const char *code)
{
    int number = s_code_number(code);
    for (int i = 0; number >= 0 && i < self->succession_count; i++)
        if (self->successions[i].predecessor == number)
            return self->successions[i].successor;
    return "";
}

const catalogue_indicator_t *catalogue_indicator(const catalogue_t *self, const char *code,
                                                 int year)
{
    int low = 0, high = self->indicator_count;
    while (low < high) {
        int middle = low + (high - low) / 2;
        if (strcmp(self->indicators[middle].code, code) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    for (int i = low; i < self->indicator_count && strcmp(self->indicators[i].code, code) == 0;
         i++)
        if (self->indicators[i].first_year <= year && year <= self->indicators[i].last_year)
            return &self->indicators[i];
    return NULL;
}

bool catalogue_year_known(const catalogue_t *self, int year, int *first, int *last)
{
    int lowest = 0, highest = 0;
    bool known = false;
    for (int i = 0; i < self->indicator_count; i++) {
        const catalogue_indicator_t *indicator = &self->indicators[i];
        if (!lowest || indicator->first_year < lowest)
            lowest = indicator->first_year;
        if (indicator->last_year > highest)
            highest = indicator->last_year;
        if (indicator->first_year <= year && year <= indicator->last_year)
            known = true;
    }
    if (first)
        *first = lowest;
    if (last)
        *last = highest;
    return known;
}

bool catalogue_provider_known(const catalogue_t *self, const char *code)
{
    for (int i = 0; i < self->provider_count; i++)
        if (strcmp(self->providers[i], code) == 0)
            return true;
    return false;
}

int catalogue_county_count(const catalogue_t *self)
{
    return self->county_count;
}

int catalogue_indicator_count(const catalogue_t *self)
{
    return self->indicator_count;
}
