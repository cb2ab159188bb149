/*  scoring_trigger: queue a year's scoring when its data is complete
 *  (see scoring_trigger.h). */
#include "scoring/scoring_trigger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "kc/kc_log.h"
#include "kc/kc_subscriber.h"
#include "scoring/methodology.h"
#include "scoring/scoring_db.h"
#include "scoring/scoring_jobs.h"

#define YEARS_FIRST 2000
#define YEARS_COUNT 101 /* evaluation years 2000..2100 */

struct scoring_trigger_t {
    kc_config_t config;
    kc_subscriber_t *subscriber;
    unsigned char changed[YEARS_COUNT]; /* years with new data since the last check */
    sc_methodology_t methodology;       /* scratch, one check at a time */
};

static void s_mark(scoring_trigger_t *self, int year)
{
    if (year >= YEARS_FIRST && year < YEARS_FIRST + YEARS_COUNT)
        self->changed[year - YEARS_FIRST] = 1;
}

static void s_mark_stored_years(scoring_trigger_t *self, PGconn *db)
{
    PGresult *result = PQexec(db, "SELECT DISTINCT year FROM indicator_value");
    if (PQresultStatus(result) == PGRES_TUPLES_OK)
        for (int row = 0; row < PQntuples(result); row++)
            s_mark(self, (int)kc_db_int(result, row, 0));
    PQclear(result);
}

scoring_trigger_t *scoring_trigger_new(const kc_config_t *config, PGconn *db, kc_error_t *error)
{
    scoring_trigger_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->config = *config;
    /* only a province or city node (or the country) scores a scope of counties */
    const char *division = config->node_division;
    if (config->scoring_auto_coverage == 0 || strlen(division) != 6 || strcmp(division + 4, "00"))
        return self;
    PGresult *head = PQexec(db, "SELECT last_seq FROM event_log_head");
    int64_t after =
        PQresultStatus(head) == PGRES_TUPLES_OK && PQntuples(head) == 1 ? kc_db_int(head, 0, 0) : 0;
    PQclear(head);
    self->subscriber =
        kc_subscriber_new(config->intake_endpoint, config->events_endpoint, after, error);
    if (!self->subscriber) {
        free(self);
        return NULL;
    }
    s_mark_stored_years(self, db);
    return self;
}

void scoring_trigger_destroy(scoring_trigger_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kc_subscriber_destroy(&(*self_p)->subscriber);
    free(*self_p);
    *self_p = NULL;
}

static void s_read_events(scoring_trigger_t *self)
{
    Kc__V1__Event *event = NULL;
    kc_error_t error;
    while (kc_subscriber_next(self->subscriber, 0, &event, &error) == 1) {
        if (event->payload_case == KC__V1__EVENT__PAYLOAD_REPORTS_SUBMITTED)
            for (size_t i = 0; i < event->reports_submitted->n_years; i++)
                s_mark(self, event->reports_submitted->years[i]);
        else if (event->payload_case == KC__V1__EVENT__PAYLOAD_RATINGS_SUBMITTED)
            s_mark(self, event->ratings_submitted->year);
        kc__v1__event__free_unpacked(event, NULL);
    }
}

static const char *s_coverage_sql =
    "WITH counties AS ("
    "  SELECT DISTINCT code FROM division_counties_in($1::int)"
    "   WHERE left(code, length($2)) = $2 AND NOT (is_zone AND $3::boolean)),"
    " v AS (SELECT indicator_code AS code, count(DISTINCT county_code) AS n"
    "         FROM indicator_value WHERE year = $1::int AND indicator_code = ANY($4::text[])"
    "          AND county_code IN (SELECT code FROM counties) GROUP BY 1),"
    " r AS (SELECT indicator_code AS code, count(*) AS n FROM ("
    "         SELECT county_code, indicator_code FROM rating_current"
    "          WHERE year = $1::int AND indicator_code = ANY($5::text[])"
    "            AND county_code IN (SELECT code FROM counties)"
    "          GROUP BY 1, 2 HAVING count(*) >= $6::int) x GROUP BY 1)"
    " SELECT (SELECT count(*) FROM counties), i.code, coalesce(v.n, r.n, 0)"
    "   FROM unnest($4::text[] || $5::text[]) AS i(code)"
    "   LEFT JOIN v ON v.code = i.code LEFT JOIN r ON r.code = i.code";

/* The scope's prefix and the two input lists of the methodology. */
static void s_lists(const sc_methodology_t *m, char *values, char *rated, size_t size,
                    int *min_raters)
{
    size_t used[2] = {1, 1};
    snprintf(values, size, "{");
    snprintf(rated, size, "{");
    for (size_t i = 0; i < m->n_inputs; i++) {
        int kind = m->input_qualitative[i] ? 1 : 0;
        char *out = kind ? rated : values;
        if (used[kind] < size)
            used[kind] += (size_t)snprintf(out + used[kind], size - used[kind], "%s%s",
                                           used[kind] > 1 ? "," : "", m->inputs[i]);
        if (kind && m->input_min_raters[i] > *min_raters)
            *min_raters = m->input_min_raters[i];
    }
    strncat(values, "}", size - strlen(values) - 1);
    strncat(rated, "}", size - strlen(rated) - 1);
}

/* The rules in force for `year` (scoring_methodology_for, reward_policy_for)
 * unless the scope's result of that year is published: a published year
 * is settled, and a later version of the rules must not rescore it by
 * itself. 1 with both codes set, 0 when there is nothing to score, -1. */
static int s_rules_in_force(scoring_trigger_t *self, PGconn *db, const char *year,
                            char methodology[48], char policy[48])
{
    const char *params[2] = {year, self->config.node_division};
    PGresult *result = PQexecParams(db,
                                    "SELECT scoring_methodology_for($1::int),"
                                    "       reward_policy_for($1::int),"
                                    "       EXISTS (SELECT 1 FROM scoring_publication"
                                    "                WHERE scope_code = $2 AND year = $1::int)",
                                    2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK) {
        PQclear(result);
        return -1;
    }
    /* no rules yet: loading them marks every year again */
    int found = !PQgetisnull(result, 0, 0) && !PQgetisnull(result, 0, 1) &&
                PQgetvalue(result, 0, 2)[0] == 'f';
    snprintf(methodology, 48, "%s", PQgetvalue(result, 0, 0));
    snprintf(policy, 48, "%s", PQgetvalue(result, 0, 1));
    PQclear(result);
    return found;
}

static int s_is_complete(scoring_trigger_t *self, PGconn *db, int year, char policy[48])
{
    sc_methodology_t *m = &self->methodology;
    char values[1024], rated[1024], year_text[16], raters[16], prefix[7], sha[65];
    kc_error_t error;
    snprintf(year_text, sizeof year_text, "%d", year);
    char code[48] = "";
    int known = s_rules_in_force(self, db, year_text, code, policy);
    if (known <= 0)
        return known;
    if (scoring_db_load_rules(db, code, m, sha, NULL, NULL, NULL, &error))
        return -1;
    int min_raters = 1;
    s_lists(m, values, rated, sizeof values, &min_raters);
    const char *scope = self->config.node_division;
    size_t length = strcmp(scope, "000000") == 0 ? 0 : strcmp(scope + 2, "0000") == 0 ? 2 : 4;
    memcpy(prefix, scope, length);
    prefix[length] = '\0';
    snprintf(raters, sizeof raters, "%d", min_raters);
    const char *params[6] = {year_text, prefix, m->exclude_zones ? "true" : "false",
                             values,    rated,  raters};
    PGresult *result = PQexecParams(db, s_coverage_sql, 6, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK) {
        PQclear(result);
        return -1;
    }
    int complete = PQntuples(result) > 0;
    for (int row = 0; complete && row < PQntuples(result); row++) {
        long long counties = kc_db_int(result, row, 0), have = kc_db_int(result, row, 2);
        complete = counties > 0 && have * 100 >= counties * self->config.scoring_auto_coverage;
    }
    PQclear(result);
    return complete;
}

void scoring_trigger_check(scoring_trigger_t *self, PGconn *db)
{
    if (!self->subscriber)
        return;
    s_read_events(self);
    for (int i = 0; i < YEARS_COUNT; i++) {
        if (!self->changed[i])
            continue;
        int year = YEARS_FIRST + i;
        char policy[48] = "";
        int complete = s_is_complete(self, db, year, policy);
        if (complete < 0)
            continue; /* the database failed: ask again on the next round */
        self->changed[i] = 0;
        if (!complete)
            continue;
        /* The key names the rules: a version that comes into force for
         * the year queues it again, the same rules never twice. */
        char key[160];
        snprintf(key, sizeof key, "auto:%s:%d:%s:%s", self->config.node_division, year,
                 self->methodology.code, policy);
        scoring_job_request_t request = {self->config.node_division,
                                         year,
                                         self->methodology.code,
                                         policy,
                                         0,
                                         0,
                                         false,
                                         "data_complete",
                                         "kc-scoring"};
        scoring_job_t job;
        kc_error_t error;
        if (scoring_jobs_enqueue(db, key, &request, &job, &error)) {
            kc_log_warn("cannot queue the scoring of %d: %s", year, error.message);
            self->changed[i] = 1;
        } else if (!job.replayed) {
            kc_log_notice("data of %d complete: scoring job %lld queued", year, (long long)job.id);
        }
    }
}

void scoring_trigger_mark_all(scoring_trigger_t *self, PGconn *db)
{
    if (self->subscriber)
        s_mark_stored_years(self, db);
}
