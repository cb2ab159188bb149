/*  kc_calendar_db: reading and storing the calendar's versions.
 *
 *  A version's days travel as JSON ([{"date":"2027-01-01","kind":
 *  "holiday","name":"元旦"}, ...]): the same text is stored, compared with
 *  the version in force and sent down the links, so a year loaded twice,
 *  here or by the parent, is one version.
 */
#include "kc/kc_calendar_db.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"

/* One version's days from its JSON; -1 (the days freed by the caller)
 * when a row is not a real dated day of a known kind with a name. */
static int s_days(const char *json, kc_calendar_day_t **days, size_t *count)
{
    json_object *root = json_tokener_parse(json);
    if (!root || !json_object_is_type(root, json_type_array)) {
        json_object_put(root);
        return -1;
    }
    size_t n = json_object_array_length(root);
    *days = calloc(n ? n : 1, sizeof **days);
    if (!*days)
        abort();
    *count = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_object *row = json_object_array_get_idx(root, i), *date, *kind, *name;
        const char *date_text =
            json_object_object_get_ex(row, "date", &date) ? json_object_get_string(date) : NULL;
        const char *kind_text =
            json_object_object_get_ex(row, "kind", &kind) ? json_object_get_string(kind) : NULL;
        const char *name_text =
            json_object_object_get_ex(row, "name", &name) ? json_object_get_string(name) : NULL;
        int yyyymmdd = kc_calendar_parse_date(date_text);
        if (!kind_text || !name_text || yyyymmdd < 0 ||
            (strcmp(kind_text, "holiday") != 0 && strcmp(kind_text, "workday") != 0)) {
            rc = -1;
            break;
        }
        kc_calendar_day_t *day = &(*days)[(*count)++];
        day->date = yyyymmdd;
        day->kind = strcmp(kind_text, "workday") == 0 ? KC_CALENDAR_WORKDAY : KC_CALENDAR_HOLIDAY;
        snprintf(day->name, sizeof day->name, "%.128s", name_text);
    }
    json_object_put(root);
    return rc;
}

int kc_calendar_db_read(PGconn *conn, kc_calendar_t *out, kc_error_t *error)
{
    memset(out, 0, sizeof *out);
    PGresult *result = NULL;
    if (kc_db_run(conn,
                  "SELECT DISTINCT ON (year) year, version, notice, to_char(issued, 'YYYYMMDD'),"
                  "       days::text"
                  "  FROM calendar_version ORDER BY year, version DESC",
                  0, NULL, NULL, NULL, "reading the working-day calendar", &result, error))
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(result) && rc == 0; i++) {
        kc_calendar_day_t *days = NULL;
        size_t count = 0;
        if (s_days(PQgetvalue(result, i, 4), &days, &count)) {
            rc = kc_error_set(error, KC_ERR_INTERNAL, "calendar_version.days",
                              "the stored days of %s, version %s, are not dated rows",
                              PQgetvalue(result, i, 0), PQgetvalue(result, i, 1));
        } else {
            kc_calendar_set_year(out, (int)kc_db_int(result, i, 0), days, count,
                                 PQgetvalue(result, i, 2), (int)kc_db_int(result, i, 3),
                                 (int)kc_db_int(result, i, 1));
        }
        free(days);
    }
    PQclear(result);
    if (rc)
        kc_calendar_release(out);
    return rc;
}

int kc_calendar_db_store(PGconn *conn, const kc_calendar_year_t *year, const char *loaded_by,
                         int *version, kc_error_t *error)
{
    json_object *days = json_object_new_array();
    for (size_t i = 0; i < year->count; i++) {
        const kc_calendar_day_t *day = &year->days[i];
        char date[16];
        snprintf(date, sizeof date, "%04d-%02d-%02d", day->date / 10000, day->date / 100 % 100,
                 day->date % 100);
        json_object *row = json_object_new_object();
        json_object_object_add(row, "date", json_object_new_string(date));
        json_object_object_add(
            row, "kind",
            json_object_new_string(day->kind == KC_CALENDAR_WORKDAY ? "workday" : "holiday"));
        json_object_object_add(row, "name", json_object_new_string(day->name));
        json_object_array_add(days, row);
    }
    char year_text[16], issued[16];
    snprintf(year_text, sizeof year_text, "%d", year->year);
    snprintf(issued, sizeof issued, "%04d-%02d-%02d", year->issued / 10000,
             year->issued / 100 % 100, year->issued % 100);
    const char *params[5] = {year_text, year->notice, issued,
                             json_object_to_json_string_ext(days, JSON_C_TO_STRING_PLAIN),
                             loaded_by};
    PGresult *result = NULL;
    int rc = kc_db_run(conn, "SELECT calendar_store($1::int, $2, $3::date, $4::jsonb, $5, '')", 5,
                       params, NULL, NULL, "storing the working-day calendar", &result, error);
    json_object_put(days);
    if (rc)
        return -1;
    *version = (int)kc_db_int(result, 0, 0);
    PQclear(result);
    return 0;
}
