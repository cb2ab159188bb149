/*  scoring_db_inputs: the stored rules and the input snapshot of a run.
 *
 *  Three queries build a snapshot whatever its size: the division map of
 *  the years, every value of the scope (the years that have one are the
 *  years of the snapshot) and the ratings of rated inputs. Scoring the
 *  whole country reads ~140,000 rows, and what that costs is the server
 *  sending rows, not finding them: so values and ratings come in binary
 *  and in single-row mode, each row placed while the server sends the next
 *  (a PGresult of them all would be read only once complete; COPY TO
 *  STDOUT, measured, costs the server more per row), and the server
 *  neither sorts nor aggregates. The latest revision of a value, the
 *  latest score of each rater and their median, and which version of a
 *  division holds in which year are all decided here: on the server each
 *  costs more than the rows it would save (measured: DISTINCT ON sorts,
 *  array_agg or string_agg per county take twice the time of the rows).
 *  Counties are found by binary search behind a one-entry cache, so the
 *  cost is linear in the rows read.
 */
#include "scoring/scoring_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "scoring/engine.h"
#include "scoring/periods.h"

static int s_load_text(PGconn *conn, const char *sql, const char *code, const char *what,
                       PGresult **result, kc_error_t *error)
{
    const char *params[1] = {code};
    *result = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    if (kc_db_check(conn, *result, what, error)) {
        PQclear(*result);
        return -1;
    }
    if (PQntuples(*result) != 1) {
        PQclear(*result);
        return kc_error_set(error, KC_ERR_NOT_FOUND, what, "%s '%s' is not stored", what, code);
    }
    return 0;
}

static int s_first_error(kc_errors_t *errors, kc_error_t *error, const char *what)
{
    if (errors->kept)
        *error = errors->items[0];
    else
        kc_error_set(error, KC_ERR_INPUT, what, "%s does not parse", what);
    kc_errors_release(errors);
    return -1;
}

int scoring_db_load_rules(PGconn *conn, const char *methodology_code, sc_methodology_t *m,
                          char m_sha[65], const char *policy_code, sc_reward_policy_t *policy,
                          char policy_sha[65], kc_error_t *error)
{
    PGresult *result = NULL;
    kc_errors_t errors;
    if (methodology_code) {
        if (s_load_text(conn, "SELECT source, sha256 FROM scoring_methodology WHERE code = $1",
                        methodology_code, "methodology", &result, error))
            return -1;
        kc_errors_init(&errors);
        int rc = methodology_parse(PQgetvalue(result, 0, 0), (size_t)PQgetlength(result, 0, 0), m,
                                   &errors);
        snprintf(m_sha, 65, "%s", PQgetvalue(result, 0, 1));
        PQclear(result);
        if (rc)
            return s_first_error(&errors, error, "methodology");
        kc_errors_release(&errors);
    }
    if (policy_code) {
        if (s_load_text(conn, "SELECT source, sha256 FROM reward_policy WHERE code = $1",
                        policy_code, "reward policy", &result, error))
            return -1;
        kc_errors_init(&errors);
        int rc = rewards_parse(PQgetvalue(result, 0, 0), (size_t)PQgetlength(result, 0, 0), policy,
                               &errors);
        snprintf(policy_sha, 65, "%s", PQgetvalue(result, 0, 1));
        PQclear(result);
        if (rc)
            return s_first_error(&errors, error, "reward policy");
        kc_errors_release(&errors);
    }
    return 0;
}

/* ---- rows as they come ---------------------------------------------------------- */

/* Binary columns: int4 and float8 in network byte order. */
static int32_t s_int4(const PGresult *result, int row, int column)
{
    const unsigned char *b = (const unsigned char *)PQgetvalue(result, row, column);
    return (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
                     (uint32_t)b[3]);
}

static double s_float8(const PGresult *result, int row, int column)
{
    const unsigned char *b = (const unsigned char *)PQgetvalue(result, row, column);
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | b[i];
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* Send a query whose rows are then read one at a time as they arrive
 * (single-row mode), in binary: the client places rows while the server
 * is still sending, instead of waiting for a PGresult of them all. */
static int s_rows_send(PGconn *conn, const char *sql, int n, const char *const *params,
                       const char *what, kc_error_t *error)
{
    if (!PQsendQueryParams(conn, sql, n, NULL, params, NULL, NULL, 1))
        return kc_db_check(conn, NULL, what, error);
    PQsetSingleRowMode(conn); /* cannot fail right after the send */
    return 0;
}

/* The next row (one-row result to PQclear), or NULL at the end of the rows
 * with *rc the status of the query. */
static PGresult *s_rows_next(PGconn *conn, const char *what, int *rc, kc_error_t *error)
{
    PGresult *result = PQgetResult(conn);
    if (PQresultStatus(result) == PGRES_SINGLE_TUPLE)
        return result;
    *rc = kc_db_check(conn, result, what, error);
    PQclear(result);
    while ((result = PQgetResult(conn)))
        PQclear(result);
    return NULL;
}

/* ---- the division map ------------------------------------------------------ */

/* Every version of the divisions above townships valid in any of the
 * years, unsorted: which version holds in which year is decided here,
 * which costs less than a join with the years and a sort on the server.
 * Binary: dates are days from 2000-01-01, the infinities the extreme int4. */
static const char *s_map_sql =
    "SELECT code, name, coalesce(parent_code, ''), level::int, is_zone, valid_from, valid_to"
    "  FROM division WHERE level <= 3 AND (level < 3 OR left(code, length($3)) = $3)"
    "   AND valid_from < make_date($2::int + 1, 1, 1) AND valid_to > make_date($1::int, 1, 1)";

typedef struct {
    const char *code, *name, *parent; /* in the PGresult */
    int32_t from, to;                 /* valid in [from, to) */
    int level, zone;
} s_version_t;

typedef struct {
    PGresult *result;
    s_version_t *versions; /* by code, then start */
    size_t n;
} s_map_t;

static int s_compare_version(const void *a, const void *b)
{
    const s_version_t *x = a, *y = b;
    const int order = strcmp(x->code, y->code);
    return order ? order : (x->from > y->from) - (x->from < y->from);
}

/* params: the first year, the last, the scope's prefix. */
static int s_read_map(PGconn *conn, const char *const *params, s_map_t *map, kc_error_t *error)
{
    map->result = PQexecParams(conn, s_map_sql, 3, NULL, params, NULL, NULL, 1);
    if (kc_db_check(conn, map->result, "reading the counties", error))
        return -1;
    map->n = (size_t)PQntuples(map->result);
    map->versions = calloc(map->n + 1, sizeof *map->versions);
    if (!map->versions)
        abort();
    for (int r = 0; r < (int)map->n; r++)
        map->versions[r] = (s_version_t){.code = PQgetvalue(map->result, r, 0),
                                         .name = PQgetvalue(map->result, r, 1),
                                         .parent = PQgetvalue(map->result, r, 2),
                                         .level = s_int4(map->result, r, 3),
                                         .zone = PQgetvalue(map->result, r, 4)[0] != 0,
                                         .from = s_int4(map->result, r, 5),
                                         .to = s_int4(map->result, r, 6)};
    qsort(map->versions, map->n, sizeof *map->versions, s_compare_version);
    return 0;
}

/* Days from 2000-01-01 to January 1st of `year`, as PostgreSQL counts
 * (its date2j: January is month 14 of the year before). */
static int32_t s_new_year(int year)
{
    const int y = year + 4799, century = y / 100;
    return y * 365 - 32167 + y / 4 - century + century / 4 + 7834 * 14 / 256 + 1 - 2451545;
}

/* Versions come by code then start: the latest one of a code wins. */
static void s_keep_latest(const s_version_t **kept, size_t *n, const s_version_t *version)
{
    if (*n > 0 && strcmp(kept[*n - 1]->code, version->code) == 0)
        kept[*n - 1] = version;
    else
        kept[(*n)++] = version;
}

static int s_compare_city(const void *key, const void *element)
{
    return strcmp((const char *)key, (*(const s_version_t *const *)element)->code);
}

/* The counties of the scope in `number` as division_counties_in() gives
 * them (development zones left out when the methodology says so), in code
 * order, with the names of their cities. */
static void s_build_year(const s_map_t *map, const sc_methodology_t *m, const char *prefix,
                         int number, sc_year_input_t *year)
{
    const int32_t start = s_new_year(number), end = s_new_year(number + 1);
    const s_version_t **counties = calloc(map->n + 1, sizeof *counties),
                      **cities = calloc(map->n + 1, sizeof *cities);
    if (!counties || !cities)
        abort();
    size_t n_counties = 0, n_cities = 0, length = strlen(prefix);
    for (size_t i = 0; i < map->n; i++) {
        const s_version_t *version = &map->versions[i];
        if (version->from >= end || version->to <= start)
            continue;
        if (version->level < 3)
            s_keep_latest(cities, &n_cities, version);
        else if (strncmp(version->code, prefix, length) == 0 &&
                 !(version->zone && m->exclude_zones))
            s_keep_latest(counties, &n_counties, version);
    }
    snapshot_year_init(year, number, n_counties, m->n_inputs);
    for (size_t c = 0; c < n_counties; c++) {
        sc_county_t *county = &year->counties[c];
        const s_version_t **city =
            bsearch(counties[c]->parent, cities, n_cities, sizeof *cities, s_compare_city);
        snprintf(county->code, sizeof county->code, "%s", counties[c]->code);
        snprintf(county->name, sizeof county->name, "%s", counties[c]->name);
        snprintf(county->city_code, sizeof county->city_code, "%s", counties[c]->parent);
        snprintf(county->city_name, sizeof county->city_name, "%s", city ? (*city)->name : "");
    }
    free(cities);
    free(counties);
}

/* ---- placing rows ----------------------------------------------------------- */

/* Where rows go. Until the end, years[i] is year first + i, built when
 * its first value comes (a year without any value is not in the snapshot;
 * the years are packed at the end). The county found last is remembered,
 * since rows come in the order they were stored, mostly a county at a time. */
typedef struct {
    const sc_methodology_t *m;
    sc_snapshot_t *snapshot;
    const s_map_t *map; /* while values are read: years are built */
    const char *prefix;
    int first;
    int32_t **revisions;   /* per year while values are read: the revision of each cell */
    int known;             /* a lookup is remembered: */
    int year_number;       /* of the last lookup */
    char code[8];          /* of the last lookup */
    sc_year_input_t *year; /* its result: NULL when absent */
    long county;           /* index in year->counties, -1 when absent */
} s_placer_t;

static sc_year_input_t *s_year_of(s_placer_t *self, int number)
{
    if (number < self->first || (size_t)(number - self->first) >= self->snapshot->n_years)
        return NULL;
    sc_year_input_t *year = &self->snapshot->years[number - self->first];
    if (!year->counties && !self->map)
        return NULL;
    if (!year->counties) {
        s_build_year(self->map, self->m, self->prefix, number, year);
        self->revisions[number - self->first] =
            calloc(year->n_counties * self->m->n_inputs + 1, sizeof **self->revisions);
        if (!self->revisions[number - self->first])
            abort();
    }
    return year;
}

static int s_compare_county(const void *key, const void *element)
{
    return strcmp((const char *)key, ((const sc_county_t *)element)->code);
}

/* The cell of (year, county, input) in the snapshot, or -1 when the year
 * is not read or the county is not in the scope's map that year (intake
 * refuses those). `code` has at most 7 bytes. */
static long s_cell(s_placer_t *self, int number, const char *code, int input,
                   sc_year_input_t **year)
{
    if (!self->known || number != self->year_number || strcmp(code, self->code) != 0) {
        self->known = 1;
        self->year_number = number;
        memcpy(self->code, code, strlen(code) + 1);
        self->year = s_year_of(self, number);
        const sc_county_t *county =
            self->year ? bsearch(code, self->year->counties, self->year->n_counties, sizeof *county,
                                 s_compare_county)
                       : NULL;
        self->county = county ? (long)(county - self->year->counties) : -1;
    }
    *year = self->year;
    return self->county < 0 ? -1 : self->county * (long)self->m->n_inputs + input;
}

/* A county code, "" when longer than any county's (and than s_cell keeps). */
static const char *s_code(const PGresult *result, int column)
{
    const char *code = PQgetvalue(result, 0, column);
    return strlen(code) < SC_COUNTY_CODE_MAX ? code : "";
}

/* The years that had a value, packed in order; the others were never built. */
static void s_pack_years(sc_snapshot_t *snapshot)
{
    size_t kept = 0;
    for (size_t y = 0; y < snapshot->n_years; y++)
        if (snapshot->years[y].counties)
            snapshot->years[kept++] = snapshot->years[y];
    snapshot->n_years = kept;
}

/* ---- values ------------------------------------------------------------------ */

/* Every revision of every value of the scope in the years, unsorted: the
 * latest revision is picked while placing, which spares the server the
 * sort of indicator_value_current. The bounds on county_code (a prefix
 * sorts before its extensions, and "13" + "999999" after every code that
 * starts with "13") let a province or a city read its range of the primary
 * key; the left() test is the exact one. The country reads everything. */
static const char *s_values_sql =
    "SELECT year, county_code, indicator_code, revision, value FROM indicator_value"
    " WHERE year BETWEEN $1 AND $2"
    "   AND ($3 = '' OR (county_code >= $3 AND county_code <= $3 || '999999'"
    "                    AND left(county_code, length($3)) = $3))";

/* Rated inputs come from ratings only; a row of any input makes its year
 * a year of the snapshot (s_cell builds it). */
static int s_read_values(PGconn *conn, s_placer_t *placer, const char *const *params,
                         kc_error_t *error)
{
    const sc_methodology_t *m = placer->m;
    sc_snapshot_t *out = placer->snapshot;
    out->n_years = (size_t)(out->year - placer->first + 1);
    out->years = calloc(out->n_years, sizeof *out->years);
    placer->revisions = calloc(out->n_years, sizeof *placer->revisions);
    if (!out->years || !placer->revisions)
        abort();
    int rc = s_rows_send(conn, s_values_sql, 3, params, "reading the values", error);
    for (PGresult *row; rc == 0 && (row = s_rows_next(conn, "reading the values", &rc, error));
         PQclear(row)) {
        const int input = methodology_input_index(m, PQgetvalue(row, 0, 2));
        sc_year_input_t *year = NULL;
        const long at =
            s_cell(placer, s_int4(row, 0, 0), s_code(row, 1), input < 0 ? 0 : input, &year);
        int32_t *latest = at < 0 ? NULL : &placer->revisions[year - out->years][at];
        if (input < 0 || m->input_qualitative[input] || !latest || s_int4(row, 0, 3) <= *latest)
            continue;
        *latest = s_int4(row, 0, 3);
        year->values[at] = s_float8(row, 0, 4);
        year->present[at] = 1;
    }
    for (size_t y = 0; y < out->n_years; y++)
        free(placer->revisions[y]);
    free(placer->revisions);
    placer->map = NULL; /* the years with a value are built */
    return rc;
}

/* ---- ratings ------------------------------------------------------------------ */

/* A rating of a cell of the snapshot (cells numbered across its years). */
typedef struct {
    long cell;
    int32_t revision;
    double score;
    char rater[65]; /* the table allows 64 characters */
} s_rating_t;

typedef struct {
    s_rating_t *rows;
    size_t n, capacity;
    size_t *year_offset; /* the first cell of each year; the last entry: every cell */
} s_ratings_t;

/* Every revision of every rating, unsorted: the latest score of each rater
 * and the median are taken while placing. */
static const char *s_ratings_sql =
    "SELECT year, county_code, indicator_code, rater, revision, score FROM rating"
    " WHERE year BETWEEN $1 AND $2"
    "   AND ($3 = '' OR (county_code >= $3 AND county_code <= $3 || '999999'"
    "                    AND left(county_code, length($3)) = $3))"
    "   AND indicator_code = ANY($4::text[])";

/* The rows of the ratings query kept, in the order they come. */
static int s_take_ratings(PGconn *conn, s_placer_t *placer, s_ratings_t *ratings, kc_error_t *error)
{
    int rc = 0, bad = 0;
    for (PGresult *row; (row = s_rows_next(conn, "reading the ratings", &rc, error));
         PQclear(row)) {
        const int input = methodology_input_index(placer->m, PQgetvalue(row, 0, 2));
        sc_year_input_t *year = NULL;
        const long at =
            input < 0 ? -1 : s_cell(placer, s_int4(row, 0, 0), s_code(row, 1), input, &year);
        if (at < 0 || bad)
            continue; /* after an error, the rows left are read and dropped */
        if (ratings->n == ratings->capacity) {
            ratings->capacity = ratings->capacity ? 2 * ratings->capacity : 4096;
            ratings->rows = realloc(ratings->rows, ratings->capacity * sizeof *ratings->rows);
            if (!ratings->rows)
                abort();
        }
        s_rating_t *rating = &ratings->rows[ratings->n++];
        rating->cell = (long)ratings->year_offset[year - placer->snapshot->years] + at;
        rating->revision = s_int4(row, 0, 4);
        rating->score = s_float8(row, 0, 5);
        if (snprintf(rating->rater, sizeof rating->rater, "%s", PQgetvalue(row, 0, 3)) >=
            (int)sizeof rating->rater)
            bad = kc_error_set(error, KC_ERR_DATABASE, "rater", "a rater's name is too long");
    }
    return rc ? rc : bad;
}

/* Scores of one cell's ratings: the latest revision of each rater. */
static size_t s_rater_scores(const s_rating_t *rows, const size_t *order, size_t n, double *scores)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const s_rating_t *rating = &rows[order[i]];
        int latest = 1;
        for (size_t j = 0; j < n && latest; j++)
            latest = j == i || rows[order[j]].revision <= rating->revision ||
                     strcmp(rows[order[j]].rater, rating->rater) != 0;
        if (latest)
            scores[kept++] = rating->score;
    }
    return kept;
}

/* Each county, year and item: the latest score of each rater, then their
 * median when there are enough raters. Ratings are bucketed by cell (a
 * stable counting sort: each cell keeps the order they came in). */
static void s_place_ratings(const sc_methodology_t *m, sc_snapshot_t *snapshot,
                            const s_ratings_t *ratings)
{
    const size_t cells = ratings->year_offset[snapshot->n_years];
    size_t *start = calloc(cells + 2, sizeof *start);
    size_t *order = calloc(ratings->n + 1, sizeof *order);
    double *scores = calloc(ratings->n + 1, sizeof *scores);
    if (!start || !order || !scores)
        abort();
    for (size_t r = 0; r < ratings->n; r++)
        start[ratings->rows[r].cell + 2]++;
    for (size_t c = 2; c < cells + 2; c++)
        start[c] += start[c - 1];
    for (size_t r = 0; r < ratings->n; r++)
        order[start[ratings->rows[r].cell + 1]++] = r;
    for (size_t y = 0; y < snapshot->n_years; y++) {
        sc_year_input_t *year = &snapshot->years[y];
        for (size_t at = 0; at < year->n_counties * m->n_inputs; at++) {
            size_t c = ratings->year_offset[y] + at, n = start[c + 1] - start[c];
            if (n == 0)
                continue;
            n = s_rater_scores(ratings->rows, order + start[c], n, scores);
            if ((int)n < m->input_min_raters[at % m->n_inputs])
                continue; /* too few raters: the item has no value (the missing rule decides) */
            year->values[at] = engine_median(scores, n);
            year->present[at] = 1;
        }
    }
    free(scores);
    free(order);
    free(start);
}

/* "{I15,I16,I17}": the rated inputs. */
static void s_rated_inputs(const sc_methodology_t *m, char *out, size_t size)
{
    size_t used = (size_t)snprintf(out, size, "{");
    for (size_t i = 0; i < m->n_inputs && used < size; i++)
        if (m->input_qualitative[i])
            used += (size_t)snprintf(out + used, size - used, "%s%s", used > 1 ? "," : "",
                                     m->inputs[i]);
    if (used < size)
        snprintf(out + used, size - used, "}");
}

/* Every revision of every rating of the rated inputs, unsorted. */
static int s_read_ratings(PGconn *conn, s_placer_t *placer, const char *prefix, kc_error_t *error)
{
    sc_snapshot_t *snapshot = placer->snapshot;
    char first[16], last[16], rated[SC_MAX_INPUTS * SC_CODE_MAX + 4];
    size_t y = 0;
    while (!snapshot->years[y].counties)
        y++; /* the first year with a value */
    snprintf(first, sizeof first, "%d", snapshot->years[y].year);
    snprintf(last, sizeof last, "%d", snapshot->year);
    s_rated_inputs(placer->m, rated, sizeof rated);
    const char *params[4] = {first, last, prefix, rated};
    if (s_rows_send(conn, s_ratings_sql, 4, params, "reading the ratings", error))
        return -1;
    s_ratings_t ratings = {.year_offset = calloc(snapshot->n_years + 1, sizeof(size_t))};
    if (!ratings.year_offset)
        abort();
    for (y = 0; y < snapshot->n_years; y++)
        ratings.year_offset[y + 1] =
            ratings.year_offset[y] + snapshot->years[y].n_counties * placer->m->n_inputs;
    int rc = s_take_ratings(conn, placer, &ratings, error);
    if (rc == 0)
        s_place_ratings(placer->m, snapshot, &ratings);
    free(ratings.rows);
    free(ratings.year_offset);
    return rc;
}

/* ---- the snapshot ------------------------------------------------------------ */

static int s_read_scope_name(PGconn *conn, sc_snapshot_t *out, kc_error_t *error)
{
    if (strcmp(out->scope_code, "000000") == 0) {
        snprintf(out->scope_name, sizeof out->scope_name, "全国");
        return 0;
    }
    const char *params[1] = {out->scope_code};
    PGresult *result = NULL;
    if (kc_db_run(conn,
                  "SELECT name FROM division WHERE code = $1 AND level <= 2"
                  " ORDER BY valid_from DESC LIMIT 1",
                  1, params, NULL, NULL, "reading the scope", &result, error))
        return -1;
    int found = PQntuples(result) == 1;
    if (found)
        snprintf(out->scope_name, sizeof out->scope_name, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
    if (!found)
        return kc_error_set(error, KC_ERR_UNKNOWN_COUNTY, "scope_code",
                            "scope '%s' is not a province or a city", out->scope_code);
    return 0;
}

/* The first year of the history a run compares with: the first year of
 * the framework the methodology scores, when that is earlier than the
 * methodology's own. A version from a later year rescores the years
 * before it on the same indicator list, so its first year still has a
 * previous class to compare with (deploy/scoring/README.md). */
static int s_history_first(PGconn *conn, const sc_methodology_t *m, int *first, kc_error_t *error)
{
    const char *params[1] = {m->framework};
    PGresult *result = NULL;
    if (kc_db_run(conn, "SELECT first_year FROM indicator_framework WHERE code = $1", 1, params,
                  NULL, NULL, "reading the framework's years", &result, error))
        return -1;
    *first = m->first_year;
    if (PQntuples(result) == 1 && kc_db_int(result, 0, 0) < m->first_year)
        *first = (int)kc_db_int(result, 0, 0);
    PQclear(result);
    return 0;
}

/* The division map of the years, then the values (whose years are the
 * years of the snapshot), then the ratings. */
static int s_read_inputs(PGconn *conn, const sc_methodology_t *m, const char *prefix,
                         sc_snapshot_t *out, kc_error_t *error)
{
    int history = 0;
    if (s_history_first(conn, m, &history, error))
        return -1;
    char first[16], last[16];
    snprintf(first, sizeof first, "%d", history);
    snprintf(last, sizeof last, "%d", out->year);
    const char *params[3] = {first, last, prefix};
    s_map_t map = {0};
    s_placer_t placer = {.m = m, .snapshot = out, .map = &map, .prefix = prefix, .first = history};
    int rc = s_read_map(conn, params, &map, error);
    if (rc == 0)
        rc = s_read_values(conn, &placer, params, error);
    if (rc == 0 && !out->years[out->n_years - 1].counties)
        rc = kc_error_set(error, KC_ERR_NOT_FOUND, "year",
                          "no indicator value of %d is stored for scope %s", out->year,
                          out->scope_code);
    if (rc == 0)
        rc = s_read_ratings(conn, &placer, prefix, error);
    s_pack_years(out);
    free(map.versions);
    PQclear(map.result);
    return rc;
}

int scoring_db_read_snapshot(PGconn *conn, const sc_methodology_t *m, const char *scope_code,
                             int year, sc_snapshot_t *out, kc_error_t *error)
{
    char prefix[7];
    memset(out, 0, sizeof *out);
    snprintf(out->scope_code, sizeof out->scope_code, "%s", scope_code);
    out->year = year;
    char years[16];
    periods_format(m->first_year, m->last_year, years, sizeof years);
    if (year < m->first_year || year > m->last_year)
        return kc_error_set(error, KC_ERR_YEAR_OUT_OF_RANGE, "year",
                            "methodology '%s' states the years %s, not %d", m->code, years, year);
    snapshot_evaluation_prefix(scope_code, prefix); /* a city's run scores its province */
    if (s_read_scope_name(conn, out, error))
        return -1;
    if (s_read_inputs(conn, m, prefix, out, error)) {
        snapshot_release(out);
        return -1;
    }
    return 0;
}
