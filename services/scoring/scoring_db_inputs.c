/*  scoring_db_inputs: the stored rules and the input snapshot of a run.
 *
 *  Three queries build a snapshot whatever its size: the counties of the
 *  scope for each year, the values in force for every input, and the
 *  ratings in force for rated inputs. Rows are placed by binary search on
 *  the county code, so the cost is linear in the rows read.
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

static const char *s_years_sql =
    "SELECT DISTINCT year FROM indicator_value"
    " WHERE year BETWEEN $1 AND $2 AND left(county_code, length($3)) = $3 ORDER BY year";

static const char *s_counties_sql =
    "SELECT DISTINCT ON (d.code) d.code, d.name, d.parent_code, coalesce(c.name, '')"
    "  FROM division_counties_in($1::int) d"
    "  LEFT JOIN division c ON c.code = d.parent_code"
    "        AND c.valid_from < make_date($1::int + 1, 1, 1) AND c.valid_to > make_date($1::int, "
    "1, 1)"
    " WHERE left(d.code, length($2)) = $2 AND NOT (d.is_zone AND $3::boolean)"
    " ORDER BY d.code, d.valid_from DESC, c.valid_from DESC";

static const char *s_values_sql =
    "SELECT year, county_code, indicator_code, value FROM indicator_value_current"
    " WHERE year BETWEEN $1 AND $2 AND left(county_code, length($3)) = $3"
    "   AND indicator_code = ANY($4::text[])";

static const char *s_ratings_sql =
    "SELECT year, county_code, indicator_code, score FROM rating_current"
    " WHERE year BETWEEN $1 AND $2 AND left(county_code, length($3)) = $3"
    "   AND indicator_code = ANY($4::text[])"
    " ORDER BY year, county_code, indicator_code";

static PGresult *s_query(PGconn *conn, const char *sql, int n, const char *const *params,
                         const char *what, kc_error_t *error)
{
    PGresult *result = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (kc_db_check(conn, result, what, error)) {
        PQclear(result);
        return NULL;
    }
    return result;
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

static int s_read_counties(PGconn *conn, const sc_methodology_t *m, const char *prefix,
                           sc_year_input_t *year, kc_error_t *error)
{
    char year_text[16];
    snprintf(year_text, sizeof year_text, "%d", year->year);
    const char *params[3] = {year_text, prefix, m->exclude_zones ? "true" : "false"};
    PGresult *result = s_query(conn, s_counties_sql, 3, params, "reading the counties", error);
    if (!result)
        return -1;
    snapshot_year_init(year, year->year, (size_t)PQntuples(result), m->n_inputs);
    for (int row = 0; row < PQntuples(result); row++) {
        sc_county_t *county = &year->counties[row];
        snprintf(county->code, sizeof county->code, "%s", PQgetvalue(result, row, 0));
        snprintf(county->name, sizeof county->name, "%s", PQgetvalue(result, row, 1));
        snprintf(county->city_code, sizeof county->city_code, "%s", PQgetvalue(result, row, 2));
        snprintf(county->city_name, sizeof county->city_name, "%s", PQgetvalue(result, row, 3));
    }
    PQclear(result);
    return 0;
}

/* "{I01,I03,...}": the inputs read as values, or as ratings. */
static void s_input_array(const sc_methodology_t *m, int rated, char *out, size_t size)
{
    size_t used = (size_t)snprintf(out, size, "{");
    for (size_t i = 0; i < m->n_inputs && used < size; i++)
        if (m->input_qualitative[i] == (rated != 0))
            used += (size_t)snprintf(out + used, size - used, "%s%s", used > 1 ? "," : "",
                                     m->inputs[i]);
    if (used < size)
        snprintf(out + used, size - used, "}");
}

static void s_place_values(const sc_methodology_t *m, sc_snapshot_t *snapshot, PGresult *result)
{
    for (int row = 0; row < PQntuples(result); row++) {
        sc_year_input_t *year = s_year_of(snapshot, (int)kc_db_int(result, row, 0));
        int input = methodology_input_index(m, PQgetvalue(result, row, 2));
        if (!year || input < 0)
            continue;
        const sc_county_t *county = bsearch(PQgetvalue(result, row, 1), year->counties,
                                            year->n_counties, sizeof *county, s_compare_county);
        if (!county)
            continue; /* a code not in the scope's map that year: intake refuses those */
        size_t at = (size_t)(county - year->counties) * m->n_inputs + (size_t)input;
        year->values[at] = strtod(PQgetvalue(result, row, 3), NULL);
        year->present[at] = 1;
    }
}

/* Rows come grouped by (year, county, indicator): each group's median. */
static void s_place_ratings(const sc_methodology_t *m, sc_snapshot_t *snapshot, PGresult *result)
{
    int rows = PQntuples(result);
    double *scores = calloc((size_t)rows + 1, sizeof *scores);
    if (!scores)
        abort();
    for (int start = 0, end = 0; start < rows; start = end) {
        size_t n = 0;
        for (end = start;
             end < rows && strcmp(PQgetvalue(result, end, 0), PQgetvalue(result, start, 0)) == 0 &&
             strcmp(PQgetvalue(result, end, 1), PQgetvalue(result, start, 1)) == 0 &&
             strcmp(PQgetvalue(result, end, 2), PQgetvalue(result, start, 2)) == 0;
             end++)
            scores[n++] = strtod(PQgetvalue(result, end, 3), NULL);
        sc_year_input_t *year = s_year_of(snapshot, (int)kc_db_int(result, start, 0));
        int input = methodology_input_index(m, PQgetvalue(result, start, 2));
        if (!year || input < 0 || (int)n < m->input_min_raters[input])
            continue; /* too few raters: the item has no value (the missing rule decides) */
        const sc_county_t *county = bsearch(PQgetvalue(result, start, 1), year->counties,
                                            year->n_counties, sizeof *county, s_compare_county);
        if (!county)
            continue;
        size_t at = (size_t)(county - year->counties) * m->n_inputs + (size_t)input;
        year->values[at] = engine_median(scores, n);
        year->present[at] = 1;
    }
    free(scores);
}

static int s_read_years(PGconn *conn, const sc_methodology_t *m, const char *prefix, int year,
                        sc_snapshot_t *out, kc_error_t *error)
{
    char first[16], last[16];
    snprintf(first, sizeof first, "%d", m->first_year);
    snprintf(last, sizeof last, "%d", year);
    const char *params[3] = {first, last, prefix};
    PGresult *result = s_query(conn, s_years_sql, 3, params, "reading the years", error);
    if (!result)
        return -1;
    out->years = calloc((size_t)PQntuples(result) + 1, sizeof *out->years);
    if (!out->years)
        abort();
    for (int row = 0; row < PQntuples(result); row++)
        out->years[out->n_years++].year = (int)kc_db_int(result, row, 0);
    PQclear(result);
    if (out->n_years == 0 || out->years[out->n_years - 1].year != year)
        return kc_error_set(error, KC_ERR_NOT_FOUND, "year",
                            "no indicator value of %d is stored for scope %s", year,
                            out->scope_code);
    for (size_t y = 0; y < out->n_years; y++)
        if (s_read_counties(conn, m, prefix, &out->years[y], error))
            return -1;
    return 0;
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
                               1, params, "reading the scope", error);
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

int scoring_db_read_snapshot(PGconn *conn, const sc_methodology_t *m, const char *scope_code,
                             int year, sc_snapshot_t *out, kc_error_t *error)
{
    char prefix[7], first[16], last[16], inputs[SC_MAX_INPUTS * SC_CODE_MAX + 4];
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
    if (s_read_years(conn, m, prefix, year, out, error)) {
        snapshot_release(out);
        return -1;
    }
    snprintf(first, sizeof first, "%d", out->years[0].year);
    snprintf(last, sizeof last, "%d", year);
    for (int rated = 0; rated <= 1; rated++) {
        s_input_array(m, rated, inputs, sizeof inputs);
        const char *params[4] = {first, last, prefix, inputs};
        PGresult *result = s_query(conn, rated ? s_ratings_sql : s_values_sql, 4, params,
                                   rated ? "reading the ratings" : "reading the values", error);
        if (!result) {
            snapshot_release(out);
            return -1;
        }
        if (rated)
            s_place_ratings(m, out, result);
        else
            s_place_values(m, out, result);
        PQclear(result);
    }
    return 0;
}
