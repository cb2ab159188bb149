/*  scoring_db_inputs: the stored rules and the input snapshot of a run.
 *
 *  Three queries build a snapshot whatever its size: every value of the
 *  scope (whose years are the years of the snapshot), the counties of the
 *  scope in each of those years, and the ratings of rated inputs. Rows are
 *  placed by binary search on the county code, so the cost is linear in
 *  the rows read. Scoring the whole country reads ~100,000 rows; the
 *  server neither sorts nor aggregates them (the latest revision of a
 *  value and the median of the raters are taken here), and values and
 *  ratings come in binary, so no number is printed and parsed on the way.
 */
#include "scoring/scoring_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "scoring/engine.h"

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

/* The digits of a scope that every county code in it starts with:
 * "" for the country, "13" for Hebei, "1301" for Shijiazhuang. */
static void s_scope_prefix(const char *scope, char prefix[7])
{
    size_t length = 6;
    if (strcmp(scope, "000000") == 0)
        length = 0;
    else if (strcmp(scope + 2, "0000") == 0)
        length = 2;
    else if (strcmp(scope + 4, "00") == 0)
        length = 4;
    memcpy(prefix, scope, length);
    prefix[length] = '\0';
}

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

/* The counties of each year as division_counties_in() gives them, and
 * the divisions above them (cities, provinces) with their names: written
 * out so that one index scan serves every year (the function is not
 * inlined, and a join per county costs more than a lookup here). */
static const char *s_counties_sql =
    "SELECT DISTINCT ON (y.year, d.code) y.year, d.code, d.name, d.parent_code"
    "  FROM unnest($1::int[]) AS y(year)"
    "  JOIN division d ON d.level = 3 AND d.valid_from < make_date(y.year + 1, 1, 1)"
    "                 AND d.valid_to > make_date(y.year, 1, 1)"
    " WHERE ($2 = '' OR left(d.code, length($2)) = $2) AND NOT (d.is_zone AND $3::boolean)"
    " ORDER BY y.year, d.code, d.valid_from DESC";

static const char *s_parents_sql =
    "SELECT DISTINCT ON (y.year, d.code) y.year, d.code, d.name"
    "  FROM unnest($1::int[]) AS y(year)"
    "  JOIN division d ON d.level < 3 AND d.valid_from < make_date(y.year + 1, 1, 1)"
    "                 AND d.valid_to > make_date(y.year, 1, 1)"
    " ORDER BY y.year, d.code, d.valid_from DESC";

/* Every revision of every rating, unsorted: the latest score of each
 * rater and the median are taken while placing. */
static const char *s_ratings_sql =
    "SELECT year, county_code, indicator_code, rater, revision, score FROM rating"
    " WHERE year BETWEEN $1 AND $2"
    "   AND ($3 = '' OR (county_code >= $3 AND county_code <= $3 || '999999'"
    "                    AND left(county_code, length($3)) = $3))"
    "   AND indicator_code = ANY($4::text[])";

static PGresult *s_query(PGconn *conn, const char *sql, int n, const char *const *params,
                         int binary, const char *what, kc_error_t *error)
{
    PGresult *result = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, binary);
    if (kc_db_check(conn, result, what, error)) {
        PQclear(result);
        return NULL;
    }
    return result;
}

/* Binary columns: int4 and float8 in network byte order. */
static int32_t s_int4(const PGresult *result, int row, int column)
{
    const unsigned char *bytes = (const unsigned char *)PQgetvalue(result, row, column);
    return (int32_t)((uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 |
                     (uint32_t)bytes[3]);
}

static double s_float8(const PGresult *result, int row, int column)
{
    const unsigned char *bytes = (const unsigned char *)PQgetvalue(result, row, column);
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | bytes[i];
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static int s_compare_county(const void *key, const void *element)
{
    return strcmp((const char *)key, ((const sc_county_t *)element)->code);
}

static sc_year_input_t *s_year_of(sc_snapshot_t *snapshot, int year)
{
    for (size_t y = 0; y < snapshot->n_years; y++)
        if (snapshot->years[y].year == year)
            return &snapshot->years[y];
    return NULL;
}

/* Where rows go: the county found last is remembered, since rows come
 * in the order they were stored, mostly a county at a time. */
typedef struct {
    const sc_methodology_t *m;
    sc_snapshot_t *snapshot;
    int year_number;       /* of the last lookup */
    char code[8];          /* of the last lookup */
    sc_year_input_t *year; /* its result: NULL when absent */
    long county;           /* index in year->counties, -1 when absent */
} s_placer_t;

/* The cell of (year, county, input) in the snapshot, or -1 when the year
 * is not read or the county is not in the scope's map that year (intake
 * refuses those). */
static long s_cell(s_placer_t *self, int year_number, const char *code, int input,
                   sc_year_input_t **year)
{
    if (year_number != self->year_number || strncmp(code, self->code, sizeof self->code) != 0) {
        self->year_number = year_number;
        snprintf(self->code, sizeof self->code, "%s", code);
        self->year = s_year_of(self->snapshot, year_number);
        const sc_county_t *county =
            self->year ? bsearch(code, self->year->counties, self->year->n_counties, sizeof *county,
                                 s_compare_county)
                       : NULL;
        self->county = county ? (long)(county - self->year->counties) : -1;
    }
    *year = self->year;
    if (self->county < 0)
        return -1;
    return self->county * (long)self->m->n_inputs + input;
}

/* The years of the rows (binary year in column 0), ascending. */
static void s_years_of_rows(const PGresult *values, int first, int last, sc_snapshot_t *out)
{
    size_t span = (size_t)(last - first + 1);
    uint8_t *seen = calloc(span, 1);
    out->years = calloc(span + 1, sizeof *out->years);
    if (!seen || !out->years)
        abort();
    for (int row = 0; row < PQntuples(values); row++) {
        int32_t year = s_int4(values, row, 0);
        if (year >= first && year <= last)
            seen[year - first] = 1;
    }
    for (size_t y = 0; y < span; y++)
        if (seen[y])
            out->years[out->n_years++].year = first + (int)y;
    free(seen);
}

/* The name of the division `code` in the rows [first, end) of parents
 * (sorted by code), "" when it has none. */
static const char *s_parent_name(const PGresult *parents, int first, int end, const char *code)
{
    while (first < end) {
        int middle = first + (end - first) / 2,
            order = strcmp(code, PQgetvalue(parents, middle, 1));
        if (order == 0)
            return PQgetvalue(parents, middle, 2);
        if (order < 0)
            end = middle;
        else
            first = middle + 1;
    }
    return "";
}

/* Rows of one year (text column 0) from *row on; *row moves past them. */
static int s_rows_of_year(const PGresult *result, int year, int *row)
{
    int first = *row;
    while (*row < PQntuples(result) && kc_db_int(result, *row, 0) == year)
        (*row)++;
    return first;
}

static void s_fill_counties(sc_year_input_t *year, size_t n_inputs, const PGresult *counties,
                            int *row, const PGresult *parents, int *parent_row)
{
    int first = s_rows_of_year(counties, year->year, row);
    int parent_first = s_rows_of_year(parents, year->year, parent_row);
    snapshot_year_init(year, year->year, (size_t)(*row - first), n_inputs);
    for (int r = first; r < *row; r++) {
        sc_county_t *county = &year->counties[r - first];
        snprintf(county->code, sizeof county->code, "%s", PQgetvalue(counties, r, 1));
        snprintf(county->name, sizeof county->name, "%s", PQgetvalue(counties, r, 2));
        snprintf(county->city_code, sizeof county->city_code, "%s", PQgetvalue(counties, r, 3));
        snprintf(county->city_name, sizeof county->city_name, "%s",
                 s_parent_name(parents, parent_first, *parent_row, PQgetvalue(counties, r, 3)));
    }
}

static int s_read_counties(PGconn *conn, const sc_methodology_t *m, const char *prefix,
                           sc_snapshot_t *out, kc_error_t *error)
{
    char years[16 * 64] = "{";
    size_t used = 1;
    for (size_t y = 0; y < out->n_years && used < sizeof years; y++)
        used += (size_t)snprintf(years + used, sizeof years - used, "%s%d", y ? "," : "",
                                 out->years[y].year);
    if (used + 2 > sizeof years)
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "year", "too many years to score");
    memcpy(years + used, "}", 2);
    const char *params[3] = {years, prefix, m->exclude_zones ? "true" : "false"};
    PGresult *counties = s_query(conn, s_counties_sql, 3, params, 0, "reading the counties", error);
    if (!counties)
        return -1;
    PGresult *parents = s_query(conn, s_parents_sql, 1, params, 0, "reading the cities", error);
    if (!parents) {
        PQclear(counties);
        return -1;
    }
    for (int y = 0, row = 0, parent_row = 0; y < (int)out->n_years; y++)
        s_fill_counties(&out->years[y], m->n_inputs, counties, &row, parents, &parent_row);
    PQclear(counties);
    PQclear(parents);
    return 0;
}

/* The latest revision of each measured input wins; rated inputs come from
 * ratings, never from indicator_value. */
static void s_place_values(const sc_methodology_t *m, sc_snapshot_t *snapshot,
                           const PGresult *values)
{
    int32_t **revisions = calloc(snapshot->n_years + 1, sizeof *revisions);
    if (!revisions)
        abort();
    for (size_t y = 0; y < snapshot->n_years; y++) {
        revisions[y] = calloc(snapshot->years[y].n_counties * m->n_inputs + 1, sizeof **revisions);
        if (!revisions[y])
            abort();
    }
    s_placer_t placer = {.m = m, .snapshot = snapshot};
    for (int row = 0; row < PQntuples(values); row++) {
        int input = methodology_input_index(m, PQgetvalue(values, row, 2));
        if (input < 0 || m->input_qualitative[input])
            continue;
        sc_year_input_t *year = NULL;
        long at = s_cell(&placer, s_int4(values, row, 0), PQgetvalue(values, row, 1), input, &year);
        int32_t revision = s_int4(values, row, 3);
        int32_t *seen = at < 0 ? NULL : &revisions[year - snapshot->years][at];
        if (!seen || revision <= *seen)
            continue;
        *seen = revision;
        year->values[at] = s_float8(values, row, 4);
        year->present[at] = 1;
    }
    for (size_t y = 0; y < snapshot->n_years; y++)
        free(revisions[y]);
    free(revisions);
}

/* Scores of one cell's rows: the latest revision of each rater. */
static size_t s_rater_scores(const PGresult *result, const int *rows, size_t n, double *scores)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        int latest = 1;
        for (size_t j = 0; j < n && latest; j++)
            if (j != i &&
                strcmp(PQgetvalue(result, rows[j], 3), PQgetvalue(result, rows[i], 3)) == 0 &&
                s_int4(result, rows[j], 4) > s_int4(result, rows[i], 4))
                latest = 0;
        if (latest)
            scores[kept++] = s_float8(result, rows[i], 5);
    }
    return kept;
}

/* Each county, year and item: the latest score of each rater, then their
 * median when there are enough raters. Rows are bucketed by cell (a
 * counting sort), so nothing is sorted. */
static void s_place_ratings(const sc_methodology_t *m, sc_snapshot_t *snapshot,
                            const PGresult *result)
{
    size_t rows = (size_t)PQntuples(result), cells = 0;
    size_t *year_offset = calloc(snapshot->n_years + 1, sizeof *year_offset);
    long *cell = calloc(rows + 1, sizeof *cell);
    int *order = calloc(rows + 1, sizeof *order);
    double *scores = calloc(rows + 1, sizeof *scores);
    if (!year_offset || !cell || !order || !scores)
        abort();
    for (size_t y = 0; y < snapshot->n_years; y++)
        year_offset[y + 1] = year_offset[y] + snapshot->years[y].n_counties * m->n_inputs;
    cells = year_offset[snapshot->n_years];
    size_t *start = calloc(cells + 2, sizeof *start);
    if (!start)
        abort();
    s_placer_t placer = {.m = m, .snapshot = snapshot};
    for (size_t row = 0; row < rows; row++) {
        int input = methodology_input_index(m, PQgetvalue(result, (int)row, 2));
        sc_year_input_t *year = NULL;
        long at = input < 0 ? -1
                            : s_cell(&placer, s_int4(result, (int)row, 0),
                                     PQgetvalue(result, (int)row, 1), input, &year);
        cell[row] = at < 0 ? -1 : (long)year_offset[year - snapshot->years] + at;
        if (cell[row] >= 0)
            start[cell[row] + 2]++;
    }
    for (size_t c = 2; c < cells + 2; c++)
        start[c] += start[c - 1];
    for (size_t row = 0; row < rows; row++)
        if (cell[row] >= 0)
            order[start[cell[row] + 1]++] = (int)row;
    for (size_t y = 0; y < snapshot->n_years; y++) {
        sc_year_input_t *year = &snapshot->years[y];
        for (size_t at = 0; at < year->n_counties * m->n_inputs; at++) {
            size_t c = year_offset[y] + at, n = start[c + 1] - start[c];
            if (n == 0)
                continue;
            n = s_rater_scores(result, order + start[c], n, scores);
            if ((int)n < m->input_min_raters[at % m->n_inputs])
                continue; /* too few raters: the item has no value (the missing rule decides) */
            year->values[at] = engine_median(scores, n);
            year->present[at] = 1;
        }
    }
    free(start);
    free(scores);
    free(order);
    free(cell);
    free(year_offset);
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

static int s_read_scope_name(PGconn *conn, sc_snapshot_t *out, kc_error_t *error)
{
    if (strcmp(out->scope_code, "000000") == 0) {
        snprintf(out->scope_name, sizeof out->scope_name, "全国");
        return 0;
    }
    const char *params[1] = {out->scope_code};
    PGresult *result = s_query(conn,
                               "SELECT name FROM division WHERE code = $1 AND level <= 2"
                               " ORDER BY valid_from DESC LIMIT 1",
                               1, params, 0, "reading the scope", error);
    if (!result)
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

/* Values first: the years that have any value in the scope are the years
 * of the snapshot, then their counties, then the values and ratings placed. */
int scoring_db_read_snapshot(PGconn *conn, const sc_methodology_t *m, const char *scope_code,
                             int year, sc_snapshot_t *out, kc_error_t *error)
{
    char prefix[7], first[16], last[16], rated[SC_MAX_INPUTS * SC_CODE_MAX + 4];
    memset(out, 0, sizeof *out);
    snprintf(out->scope_code, sizeof out->scope_code, "%s", scope_code);
    out->year = year;
    if (year < m->first_year || year > m->last_year)
        return kc_error_set(error, KC_ERR_YEAR_OUT_OF_RANGE, "year",
                            "methodology '%s' scores %d-%d, not %d", m->code, m->first_year,
                            m->last_year, year);
    s_scope_prefix(scope_code, prefix);
    if (s_read_scope_name(conn, out, error))
        return -1;
    snprintf(first, sizeof first, "%d", m->first_year);
    snprintf(last, sizeof last, "%d", year);
    const char *params[4] = {first, last, prefix, rated};
    PGresult *values = s_query(conn, s_values_sql, 3, params, 1, "reading the values", error);
    if (!values)
        return -1;
    s_years_of_rows(values, m->first_year, year, out);
    if (out->n_years == 0 || out->years[out->n_years - 1].year != year) {
        PQclear(values);
        snapshot_release(out);
        return kc_error_set(error, KC_ERR_NOT_FOUND, "year",
                            "no indicator value of %d is stored for scope %s", year,
                            out->scope_code);
    }
    if (s_read_counties(conn, m, prefix, out, error)) {
        PQclear(values);
        snapshot_release(out);
        return -1;
    }
    s_place_values(m, out, values);
    PQclear(values);
    snprintf(first, sizeof first, "%d", out->years[0].year);
    s_rated_inputs(m, rated, sizeof rated);
    PGresult *ratings = s_query(conn, s_ratings_sql, 4, params, 1, "reading the ratings", error);
    if (!ratings) {
        snapshot_release(out);
        return -1;
    }
    s_place_ratings(m, out, ratings);
    PQclear(ratings);
    return 0;
}
