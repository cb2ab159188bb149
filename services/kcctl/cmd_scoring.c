/*  cmd_scoring: kcctl score, kcctl report and kcctl publish.
 *
 *  `score` asks kc-scoring for a year (ScoreYear, retried with one
 *  idempotency key), waits for the job and, with --out, writes the
 *  reports. `report` reads a stored run, recomputes it from its stored
 *  input snapshot with the same code and refuses to write anything unless
 *  the result hashes to the stored output hash — every report is thereby
 *  a reproducibility check. `publish` makes a run the frozen published
 *  record of its scope and year.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/kc_db.h"
#include "kcctl/kcctl.h"
#include "scoring/report.h"
#include "scoring/run.h"
#include "scoring/scoring_db.h"

static const char *s_scope(kcctl_t *self)
{
    if (*self->scope)
        return self->scope;
    return *self->config.node_division ? self->config.node_division : "130000";
}

static int s_ask(kcctl_t *self, kc_envelope_t *request, Kc__V1__ScoringJob **job,
                 kc_envelope_t **reply)
{
    self->call_endpoint = self->config.scoring_endpoint;
    if (kcctl_call(self, request, KC__V1__ENVELOPE__BODY_SCORING_JOB, reply, NULL, NULL))
        return -1;
    *job = (*reply)->scoring_job;
    return 0;
}

static int s_wait(kcctl_t *self, int64_t job_id, int64_t *run_id)
{
    struct timespec pause = {0, 200 * 1000000L}, now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const time_t deadline = now.tv_sec + self->wait_s;
    /* A kc-scoring busy with a long job answers late: a poll without an
     * answer is not the end, the deadline is. */
    for (; now.tv_sec <= deadline; clock_gettime(CLOCK_MONOTONIC, &now)) {
        kc_envelope_t request = KC__V1__ENVELOPE__INIT;
        Kc__V1__GetScoringJob get = KC__V1__GET_SCORING_JOB__INIT;
        get.job_id = job_id;
        request.body_case = KC__V1__ENVELOPE__BODY_GET_SCORING_JOB;
        request.get_scoring_job = &get;
        kc_envelope_t *reply = NULL;
        Kc__V1__ScoringJob *job = NULL;
        if (s_ask(self, &request, &job, &reply)) {
            fprintf(stderr, "note: still waiting for job %lld\n", (long long)job_id);
            continue;
        }
        int done = strcmp(job->state, "done") == 0, failed = strcmp(job->state, "failed") == 0;
        if (done) {
            *run_id = job->run_id;
            printf(
                "job %lld done: run %lld, %d counties, %d value%s flagged for review (year-on-year"
                " jumps)\n"
                "  input  sha256 %s\n  output sha256 %s\n",
                (long long)job->job_id, (long long)job->run_id, job->county_count,
                job->flagged_count, job->flagged_count == 1 ? "" : "s", job->input_sha256,
                job->output_sha256);
            if (job->not_evaluated_count > 0)
                printf("  未参评 %d 个县（当年无任何数据，不分类、不排名）%s\n",
                       job->not_evaluated_count, job->force ? "，按 --force 评价" : "");
            if (job->class_flagged_count > 0)
                printf("  %d 个县的类别取决于总分算法（total_from）：另一算法下类别不同，见报告\n",
                       job->class_flagged_count);
        } else if (failed) {
            fprintf(stderr, "error: scoring job %lld failed: %s [%s]\n", (long long)job->job_id,
                    job->error_message, job->error_code);
        }
        kc_bus_free(&reply);
        if (done || failed)
            return done ? 0 : -1;
        nanosleep(&pause, NULL);
    }
    fprintf(stderr,
            "error: scoring job %lld is still queued after %d s; kcctl score --wait N"
            " waits longer, and the job will be done when a kc-scoring runs\n",
            (long long)job_id, self->wait_s);
    return -1;
}

int kcctl_score(kcctl_t *self)
{
    if (self->year == 0) {
        fprintf(stderr, "usage: kcctl score --year YEAR [--scope CODE] [--force] [--out DIR]\n");
        return -1;
    }
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    Kc__V1__ScoreYear score = KC__V1__SCORE_YEAR__INIT;
    score.scope_code = (char *)s_scope(self);
    score.year = self->year;
    score.methodology = self->methodology;
    score.policy = self->policy;
    score.robustness_draws = self->draws;
    score.force = self->force;
    char *end = NULL;
    score.robustness_seed = strtoull(self->seed, &end, 10);
    if (*self->seed && (*end || *self->seed == '-')) {
        fprintf(stderr, "kcctl: --seed needs a number from 0 to 18446744073709551615, not '%s'\n",
                self->seed);
        return -1;
    }
    request.body_case = KC__V1__ENVELOPE__BODY_SCORE_YEAR;
    request.score_year = &score;
    self->writing = true;
    kc_envelope_t *reply = NULL;
    Kc__V1__ScoringJob *job = NULL;
    if (s_ask(self, &request, &job, &reply))
        return -1;
    int64_t job_id = job->job_id, run_id = 0;
    printf("scoring job %lld %s: %s %d, methodology %s, policy %s\n", (long long)job_id,
           job->replayed ? "(already queued with this key)" : "queued", job->scope_code, job->year,
           job->methodology, job->policy);
    fflush(stdout); /* before anything the wait prints on stderr */
    kc_bus_free(&reply);
    char key[sizeof self->key];
    snprintf(key, sizeof key, "%s", self->key);
    int rc = s_wait(self, job_id, &run_id);
    snprintf(self->key, sizeof self->key, "%s", key);
    if (rc == 0 && *self->out) {
        self->run = (int)run_id;
        rc = kcctl_report(self);
    }
    return rc;
}

static int s_find_run(kcctl_t *self, PGconn *conn, PGresult **run, kc_error_t *error)
{
    char id[24], year[16];
    snprintf(id, sizeof id, "%d", self->run);
    snprintf(year, sizeof year, "%d", self->year);
    const char *params[3] = {id, s_scope(self), year};
    *run = PQexecParams(conn,
                        "SELECT r.id, r.methodology, r.policy, r.input_text, r.output_sha256,"
                        "       j.robustness_draws, j.robustness_seed"
                        "  FROM scoring_run r JOIN scoring_job j ON j.id = r.job_id"
                        "  LEFT JOIN scoring_publication p ON p.run_id = r.id"
                        " WHERE ($1::bigint > 0 AND r.id = $1::bigint)"
                        "    OR ($1::bigint = 0 AND r.scope_code = $2 AND r.year = $3::int)"
                        " ORDER BY p.run_id IS NOT NULL DESC, r.id DESC LIMIT 1",
                        3, NULL, params, NULL, NULL, 0);
    if (kc_db_check(conn, *run, "reading the run", error))
        return -1;
    if (PQntuples(*run) == 0)
        return kc_error_set(error, KC_ERR_NOT_FOUND, "run", "no scoring run %s",
                            self->run ? id : "of that scope and year");
    return 0;
}

static void s_summary(const sc_run_t *run, const char *out)
{
    int classes[3] = {0, 0, 0};
    for (size_t c = 0; c < run->input->n_counties; c++)
        classes[run->result->counties[c].klass - 'A']++;
    printf("%s %d: %zu counties, A %d, B %d, C %d (methodology %s, reward policy %s)\n",
           run->snapshot->scope_name, run->snapshot->year, run->input->n_counties, classes[0],
           classes[1], classes[2], run->m->code, run->policy->code);
    if (run->n_not_evaluated > 0)
        printf("未参评 %zu 个县（当年无任何数据，不分类、不排名），有数据的县占 %.1f%%，名单见 "
               "index.html\n",
               run->n_not_evaluated, 100.0 * run->coverage);
    for (size_t c = 0; c < run->input->n_counties; c++) {
        const sc_county_result_t *county = &run->result->counties[c];
        if (county->klass != county->class_other)
            printf(
                "类别取决于总分算法：%s %s 本结果 %c 类（%d.%02d 分），另一算法下为 %c 类（%d.%02d "
                "分）\n",
                run->input->counties[c].code, run->input->counties[c].name, county->klass,
                county->total / 100, county->total % 100, county->class_other,
                county->total_other / 100, county->total_other % 100);
    }
    printf("reproduced: output sha256 %s matches the stored run\n", run->output_sha256);
    printf("written to %s: index.html (the A, B and C lists), province.html, city-*.html,"
           " county-*.html, *.csv, result.json\n",
           out);
}

/* Recompute a stored run from its snapshot and write its reports. */
static int s_reproduce(PGconn *conn, const PGresult *stored, const char *out, kc_error_t *error)
{
    static sc_methodology_t m;
    sc_reward_policy_t policy;
    sc_snapshot_t snapshot;
    char m_sha[65], p_sha[65];
    if (scoring_db_load_rules(conn, PQgetvalue(stored, 0, 1), &m, m_sha, PQgetvalue(stored, 0, 2),
                              &policy, p_sha, error) ||
        snapshot_read(&m, PQgetvalue(stored, 0, 3), (size_t)PQgetlength(stored, 0, 3), &snapshot,
                      error))
        return -1;
    sc_run_t run;
    memset(&run, 0, sizeof run);
    run.m = &m;
    run.policy = &policy;
    run.snapshot = &snapshot;
    run.mc.draws = (size_t)strtol(PQgetvalue(stored, 0, 5), NULL, 10);
    run.mc.seed = (uint64_t)strtoll(PQgetvalue(stored, 0, 6), NULL, 10);
    run.mc.concentration = SC_MC_CONCENTRATION_DEFAULT;
    int rc = run_compute(&run, error);
    if (rc == 0 && strcmp(run.output_sha256, PQgetvalue(stored, 0, 4)) != 0) {
        rc = kc_error_set(error, KC_ERR_INTERNAL, "run", "run %s does not reproduce",
                          PQgetvalue(stored, 0, 0));
        kc_error_detail(error, "stored output %.16s..., recomputed %.16s...",
                        PQgetvalue(stored, 0, 4), run.output_sha256);
    }
    if (rc == 0)
        rc = report_write_all(&run, out, error);
    if (rc == 0)
        s_summary(&run, out);
    run_release(&run);
    snapshot_release(&snapshot);
    return rc;
}

int kcctl_report(kcctl_t *self)
{
    if (!*self->out || (self->run == 0 && self->year == 0)) {
        fprintf(stderr, "usage: kcctl report (--run ID | --year YEAR [--scope CODE]) --out DIR\n");
        return -1;
    }
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl", &error);
    PGresult *stored = NULL;
    int rc = !conn || s_find_run(self, conn, &stored, &error) ||
             s_reproduce(conn, stored, self->out, &error);
    if (rc)
        kcctl_print_error(&error);
    PQclear(stored);
    kc_db_disconnect(&conn);
    return rc ? -1 : 0;
}

/* One CountyClassPublished event per county of the run, in the
 * publication's transaction: each county hears of its own class, on this
 * node and, through kc-link, on the city's and the county's own nodes. */
static int s_publication_events(kcctl_t *self, PGconn *conn, const char *run, long *counties,
                                kc_error_t *error)
{
    const char *params[1] = {run};
    PGresult *rows = NULL;
    if (kc_db_run(conn,
                  "SELECT r.county_code, r.class, r.total, r.rank, r.rank_in_city, r.reward,"
                  "       s.scope_code, s.year"
                  "  FROM scoring_result r JOIN scoring_run s ON s.id = r.run_id"
                  " WHERE r.run_id = $1::bigint ORDER BY r.county_code",
                  1, params, NULL, NULL, "reading the results", &rows, error))
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(rows) && rc == 0; i++) {
        Kc__V1__CountyClassPublished event = KC__V1__COUNTY_CLASS_PUBLISHED__INIT;
        event.run_id = strtoll(run, NULL, 10);
        event.county_code = PQgetvalue(rows, i, 0);
        event.class_ = PQgetvalue(rows, i, 1);
        event.total = (int32_t)kc_db_int(rows, i, 2);
        event.rank = (int32_t)kc_db_int(rows, i, 3);
        event.rank_in_city = (int32_t)kc_db_int(rows, i, 4);
        event.reward = (int32_t)kc_db_int(rows, i, 5);
        event.scope_code = PQgetvalue(rows, i, 6);
        event.year = (int32_t)kc_db_int(rows, i, 7);
        uint8_t payload[512];
        size_t size = kc__v1__county_class_published__pack(&event, payload);
        char result[512];
        snprintf(result, sizeof result,
                 "{\"run_id\":%s,\"scope_code\":\"%s\",\"year\":%d,\"class\":\"%s\","
                 "\"total\":%d,\"rank\":%d,\"rank_in_city\":%d,\"reward\":%d}",
                 run, event.scope_code, event.year, event.class_, event.total, event.rank,
                 event.rank_in_city, event.reward);
        const char *values[5] = {"CountyClassPublished", kc_config_division(&self->config),
                                 (const char *)payload, event.county_code, result};
        int lengths[5] = {0, 0, (int)size, 0, 0}, formats[5] = {0, 0, 1, 0, 0};
        /* and down to the child node that holds the county, in the same
         * transaction (deploy/sql/0013_federation.sql) */
        rc = kc_db_run(conn,
                       "SELECT kc_event_append($1, $2, NULL, $3),"
                       "       link_publish_class($4, $3, $5::jsonb)",
                       5, values, lengths, formats, "appending the event", NULL, error);
    }
    *counties = PQntuples(rows);
    PQclear(rows);
    return rc || kc_db_exec(conn, "NOTIFY kc_events", error) ? -1 : 0;
}

int kcctl_publish(kcctl_t *self)
{
    if (self->run == 0) {
        fprintf(stderr, "usage: kcctl publish --run ID [--flags-reviewed]\n");
        return -1;
    }
    kc_error_t error;
    char id[24], by[160];
    snprintf(id, sizeof id, "%d", self->run);
    snprintf(by, sizeof by, "%s@%s", self->user, self->config.node_id);
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl", &error);
    if (!conn) {
        kcctl_print_error(&error);
        return -1;
    }
    const char *params[3] = {id, by, self->flags_reviewed ? "true" : "false"};
    PGresult *begin = PQexec(conn, "BEGIN");
    PQclear(begin);
    PGresult *result =
        PQexecParams(conn,
                     "WITH run AS (SELECT id, scope_code, year, flagged_count FROM scoring_run"
                     "              WHERE id = $1::bigint),"
                     " earlier AS (SELECT p.run_id FROM scoring_publication p JOIN run USING "
                     "(scope_code, year)),"
                     " stored AS (INSERT INTO scoring_publication"
                     "              (scope_code, year, run_id, published_by, flags_reviewed)"
                     "            SELECT scope_code, year, id, $2, $3::boolean FROM run"
                     "             WHERE (flagged_count = 0 OR $3::boolean) AND NOT EXISTS (SELECT "
                     "1 FROM earlier)"
                     "            RETURNING run_id)"
                     " SELECT (SELECT count(*) FROM run), (SELECT flagged_count FROM run),"
                     "        (SELECT run_id FROM earlier), (SELECT count(*) FROM stored),"
                     "        (SELECT scope_code || ' ' || year FROM run)",
                     3, NULL, params, NULL, NULL, 0);
    int rc = kc_db_check(conn, result, "publishing the run", &error);
    if (rc == 0 && kc_db_int(result, 0, 0) == 0)
        rc = kc_error_set(&error, KC_ERR_NOT_FOUND, "run", "run %s does not exist", id);
    else if (rc == 0 && !PQgetisnull(result, 0, 2))
        rc = kc_error_set(&error, KC_ERR_DENIED, "run", "%s is already published as run %s",
                          PQgetvalue(result, 0, 4), PQgetvalue(result, 0, 2));
    else if (rc == 0 && kc_db_int(result, 0, 3) == 0) {
        rc = kc_error_set(&error, KC_ERR_DENIED, "run", "run %s has %s value(s) flagged for review",
                          id, PQgetvalue(result, 0, 1));
        kc_error_hint(&error, "review the flagged values in the reports, then publish with"
                              " --flags-reviewed");
    }
    long counties = 0;
    if (rc == 0)
        rc = s_publication_events(self, conn, id, &counties, &error);
    PGresult *end = PQexec(conn, rc ? "ROLLBACK" : "COMMIT");
    if (rc == 0 && PQresultStatus(end) != PGRES_COMMAND_OK)
        rc = kc_error_set(&error, KC_ERR_DB_UNAVAILABLE, NULL, "the publication did not commit");
    PQclear(end);
    if (rc)
        kcctl_print_error(&error);
    else
        printf("published run %s as the record of %s; %ld counties told their class\n", id,
               PQgetvalue(result, 0, 4), counties);
    PQclear(result);
    kc_db_disconnect(&conn);
    return rc;
}
