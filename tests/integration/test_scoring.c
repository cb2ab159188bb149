/*  Integration tests of kc-scoring: real kc-intake and kc-scoring
 *  processes, real PostgreSQL, the shipped methodology, reward policy and
 *  synthetic sample data (deploy/data/sample/years), loaded with kcctl as
 *  an operator would.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "kc/kc_subscriber.h"
#include "requests.h"

static const char *s_providers[] = {"finance", "stats", "sti", "ndrc", "samr", "county"};

static void s_kcctl_ok(harness_node_t *node, const char *const *args)
{
    cr_assert_eq(harness_kcctl(node, args), 0, "kcctl %s %s failed: see %s", args[0],
                 args[1] ? args[1] : "", node->log_path);
}

static void s_load_rules(harness_node_t *node)
{
    const char *methodology[] = {"methodology", "load", "deploy/scoring/hebei-2019-v1.ini", NULL};
    const char *rewards[] = {"rewards", "load", "deploy/scoring/rewards-hebei-2019.ini", NULL};
    s_kcctl_ok(node, methodology);
    s_kcctl_ok(node, rewards);
}

static void s_load_year(harness_node_t *node, int year)
{
    char path[256], year_text[16];
    snprintf(year_text, sizeof year_text, "%d", year);
    for (size_t i = 0; i < sizeof s_providers / sizeof s_providers[0]; i++) {
        snprintf(path, sizeof path, "deploy/data/sample/years/%d/%s.csv", year, s_providers[i]);
        const char *args[] = {"submit-values", path,      "--provider", s_providers[i],
                              "--year",        year_text, "--role",     "operator",
                              "--division",    "130000",  NULL};
        s_kcctl_ok(node, args);
    }
    snprintf(path, sizeof path, "deploy/data/sample/years/%d/ratings.csv", year);
    const char *ratings[] = {"submit-ratings", path, "--year", year_text, NULL};
    s_kcctl_ok(node, ratings);
}

static long long s_score(harness_node_t *node, const char *year, const char *scope, const char *out)
{
    const char *args[] = {
        "score", "--year", year, "--scope", scope, "--wait", "60", out ? "--out" : NULL, out, NULL};
    s_kcctl_ok(node, args);
    return harness_count(node, "SELECT max(id) FROM scoring_run");
}

static char *s_read(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    cr_assert(file, "cannot open %s", path);
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *text = malloc((size_t)length + 1);
    cr_assert(fread(text, 1, (size_t)length, file) == (size_t)length);
    fclose(file);
    text[length] = '\0';
    *size = (size_t)length;
    return text;
}

/* Compare a run with tests/golden/sample-2023-scores.csv: the totals,
 * classes and ranks of the sample data as deploy/local/sample-scores.py,
 * an independent implementation of the default methodology in Python,
 * computes them. */
static void s_expect_golden(harness_node_t *node, long long run)
{
    FILE *golden = fopen("tests/golden/sample-2023-scores.csv", "r");
    cr_assert(golden, "tests/golden/sample-2023-scores.csv is missing");
    char line[128], code[8], klass = 0, run_text[24];
    int total = 0, rank = 0, rows = 0, differ = 0;
    snprintf(run_text, sizeof run_text, "%lld", run);
    cr_assert(fgets(line, sizeof line, golden)); /* the header */
    while (fgets(line, sizeof line, golden)) {
        cr_assert_eq(sscanf(line, "%6[0-9],%d,%c,%d", code, &total, &klass, &rank), 4);
        const char *params[2] = {run_text, code};
        PGresult *result = PQexecParams(node->db,
                                        "SELECT total, class, rank FROM scoring_result"
                                        " WHERE run_id = $1::bigint AND county_code = $2",
                                        2, NULL, params, NULL, NULL, 0);
        int same = PQntuples(result) == 1 && strtol(PQgetvalue(result, 0, 0), NULL, 10) == total &&
                   PQgetvalue(result, 0, 1)[0] == klass &&
                   strtol(PQgetvalue(result, 0, 2), NULL, 10) == rank;
        cr_expect(same, "county %s: kechuang %s %s #%s, golden %d %c #%d", code,
                  PQntuples(result) ? PQgetvalue(result, 0, 0) : "-",
                  PQntuples(result) ? PQgetvalue(result, 0, 1) : "-",
                  PQntuples(result) ? PQgetvalue(result, 0, 2) : "-", total, klass, rank);
        differ += !same;
        rows++;
        PQclear(result);
    }
    fclose(golden);
    cr_expect_eq(rows, 167);
    cr_expect_eq(differ, 0);
}

TestSuite(scoring, .timeout = 180);

Test(scoring, a_year_is_scored_reported_and_reproduced_byte_for_byte)
{
    harness_node_t node;
    harness_node_start(&node);
    pid_t scorer = harness_scoring_start(&node, 0, false);
    s_load_rules(&node);
    s_load_year(&node, 2022);
    s_load_year(&node, 2023);
    char out1[256], out2[256];
    snprintf(out1, sizeof out1, "%s/%s-report-1", getenv("KC_TEST_LOG_DIR") ?: "/tmp",
             node.database);
    snprintf(out2, sizeof out2, "%s/%s-report-2", getenv("KC_TEST_LOG_DIR") ?: "/tmp",
             node.database);
    long long run = s_score(&node, "2023", "130000", out1);
    cr_assert_gt(run, 0);
    s_expect_golden(&node, run);
    /* 167 Hebei counties (zones left out). Each total is its exact points
     * rounded once: the shown points add up to it within the 尾差 (half a
     * centipoint an indicator), and their sum is the other rule's total. */
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_result"), 167);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_result r WHERE abs(total -"
                                      " (SELECT sum(p) FROM unnest(r.points) p)) > 8"),
                 0);
    cr_expect_eq(harness_count(&node,
                               "SELECT count(*) FROM scoring_result r"
                               " WHERE total_other <> (SELECT sum(p) FROM unnest(r.points) p)"),
                 0);
    cr_expect_gt(harness_count(&node, "SELECT count(*) FROM scoring_result r"
                                      " WHERE total <> (SELECT sum(p) FROM unnest(r.points) p)"),
                 0, "some totals differ from the sum of their rounded parts (尾差)");
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_result WHERE class_other <>"
                                      " CASE WHEN total_other >= 8000 THEN 'A' WHEN total_other"
                                      " >= 6000 THEN 'B' ELSE 'C' END"),
                 0);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_result"
                                      " WHERE rank_in_province <> rank"),
                 0, "a province run ranks in the province");
    cr_expect_eq(harness_count(&node, "SELECT class_flagged_count FROM scoring_run"),
                 harness_count(&node, "SELECT count(*) FROM scoring_result"
                                      " WHERE class <> class_other"));
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_result WHERE class <>"
                                      " CASE WHEN total >= 8000 THEN 'A' WHEN total >= 6000"
                                      " THEN 'B' ELSE 'C' END"),
                 0);
    /* the two events, once each */
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM event WHERE type IN"
                                      " ('ScoringResultsReady', 'RewardsComputed')"),
                 2);
    /* the reports a person opens */
    struct stat info;
    const char *files[] = {"index.html",  "province.html", "city-130100.html", "county-130102.html",
                           "results.csv", "points.csv",    "awards.csv",       "result.json"};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", out1, files[i]);
        cr_expect(stat(path, &info) == 0 && info.st_size > 0, "%s missing or empty", path);
    }
    /* a report written again from the stored run is the same bytes */
    char run_text[24];
    snprintf(run_text, sizeof run_text, "%lld", run);
    const char *report[] = {"report", "--run", run_text, "--out", out2, NULL};
    s_kcctl_ok(&node, report);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char first[512], second[512];
        size_t size1 = 0, size2 = 0;
        snprintf(first, sizeof first, "%s/%s", out1, files[i]);
        snprintf(second, sizeof second, "%s/%s", out2, files[i]);
        char *a = s_read(first, &size1), *b = s_read(second, &size2);
        cr_expect(size1 == size2 && memcmp(a, b, size1) == 0, "%s differs", files[i]);
        free(a);
        free(b);
    }
    /* and a second job over the same data gives the same output hash */
    long long again = s_score(&node, "2023", "130000", NULL);
    cr_expect_neq(again, run);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_run"), 2);
    cr_expect_eq(harness_count(&node, "SELECT count(DISTINCT output_sha256) FROM scoring_run"), 1);
    cr_expect_eq(harness_count(&node, "SELECT count(DISTINCT input_sha256) FROM scoring_run"), 1);
    kill(scorer, SIGTERM);
    waitpid(scorer, NULL, 0);
    harness_node_stop(&node);
}

static void s_enqueue(harness_node_t *node, const char *scope, const char *key)
{
    const char *params[2] = {key, scope};
    PGresult *result = PQexecParams(node->db,
                                    "SELECT job_id FROM scoring_job_enqueue($1, $2, 2023, '', '',"
                                    " 0, 0, 'request', 'tester')",
                                    2, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(result), PGRES_TUPLES_OK, "%s", PQerrorMessage(node->db));
    PQclear(result);
}

Test(scoring, a_worker_killed_mid_job_loses_nothing_and_no_job_is_done_twice)
{
    harness_node_t node;
    harness_node_start(&node);
    s_load_rules(&node);
    s_load_year(&node, 2023);
    /* Every city of Hebei and the province: twelve jobs. */
    const char *scopes[] = {"130000", "130100", "130200", "130300", "130400", "130500",
                            "130600", "130700", "130800", "130900", "131000", "131100"};
    size_t jobs = sizeof scopes / sizeof scopes[0];
    for (size_t i = 0; i < jobs; i++) {
        char key[32];
        snprintf(key, sizeof key, "drill-%zu", i);
        s_enqueue(&node, scopes[i], key);
    }
    /* The first worker holds each job 3 s once it has it: kill it then. */
    pid_t slow = harness_scoring_start(&node, 3000, false);
    cr_assert_eq(harness_wait_count(&node,
                                    "SELECT count(*) FROM pg_stat_activity"
                                    " WHERE datname = current_database()"
                                    "   AND application_name = 'kc-scoring'"
                                    "   AND state = 'idle in transaction'",
                                    1, 20000),
                 1);
    long long held = harness_count(&node, "SELECT id FROM scoring_job WHERE attempts > 0");
    kill(slow, SIGKILL);
    waitpid(slow, NULL, 0);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_run"), 0,
                 "the killed worker committed nothing");
    pid_t first = harness_scoring_start(&node, 0, false),
          second = harness_scoring_start(&node, 0, false);
    long long done = harness_wait_count(
        &node, "SELECT count(*) FROM scoring_job WHERE state = 'done'", (long long)jobs, 60000);
    cr_expect_eq(done, (long long)jobs);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_run"), (long long)jobs);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM event WHERE type ="
                                      " 'ScoringResultsReady'"),
                 (long long)jobs, "one results event per job");
    char held_text[24];
    snprintf(held_text, sizeof held_text, "%lld", held);
    const char *params[1] = {held_text};
    PGresult *result =
        PQexecParams(node.db, "SELECT state, attempts FROM scoring_job WHERE id = $1::bigint", 1,
                     NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQntuples(result), 1);
    cr_expect_str_eq(PQgetvalue(result, 0, 0), "done");
    cr_expect_geq(strtol(PQgetvalue(result, 0, 1), NULL, 10), 2,
                  "the job of the killed worker was taken again");
    PQclear(result);
    kill(first, SIGTERM);
    kill(second, SIGTERM);
    waitpid(first, NULL, 0);
    waitpid(second, NULL, 0);
    harness_node_stop(&node);
}

Test(scoring, a_complete_year_is_scored_by_itself)
{
    harness_node_t node;
    harness_node_start(&node);
    pid_t scorer = harness_scoring_start(&node, 0, true);
    s_load_rules(&node);
    s_load_year(&node, 2023);
    cr_expect_eq(harness_wait_count(&node,
                                    "SELECT count(*) FROM scoring_job WHERE trigger ="
                                    " 'data_complete' AND state = 'done' AND year = 2023",
                                    1, 30000),
                 1);
    /* a subscriber of the node hears the run and its rewards, in order */
    kc_error_t error;
    kc_subscriber_t *subscriber = kc_subscriber_new(node.endpoint, node.events, 0, &error);
    cr_assert(subscriber, "%s", error.message);
    bool ready = false, rewards = false;
    for (int i = 0; i < 200 && !(ready && rewards); i++) {
        Kc__V1__Event *event = NULL;
        cr_assert_eq(kc_subscriber_next(subscriber, 5000, &event, &error), 1, "no event after %lld",
                     (long long)kc_subscriber_cursor(subscriber));
        if (event->payload_case == KC__V1__EVENT__PAYLOAD_SCORING_RESULTS_READY) {
            const Kc__V1__ScoringResultsReady *run = event->scoring_results_ready;
            cr_expect_eq(run->year, 2023);
            cr_expect_str_eq(run->scope_code, "130000");
            cr_expect_eq(run->class_a + run->class_b + run->class_c, 167);
            cr_expect_eq(strlen(run->output_sha256), 64);
            ready = true;
        } else if (event->payload_case == KC__V1__EVENT__PAYLOAD_REWARDS_COMPUTED) {
            cr_expect(ready, "rewards come after the results of the same run");
            cr_expect_gt(event->rewards_computed->total_amount, 0);
            rewards = true;
        }
        kc__v1__event__free_unpacked(event, NULL);
    }
    cr_expect(ready && rewards);
    kc_subscriber_destroy(&subscriber);
    kill(scorer, SIGTERM);
    waitpid(scorer, NULL, 0);
    harness_node_stop(&node);
}

/* A node with one kc-scoring (no trigger), the shipped rules and the
 * sample data of `first`..2023; s_node_stop ends both. */
static pid_t s_node_start(harness_node_t *node, int first)
{
    harness_node_start(node);
    pid_t scorer = harness_scoring_start(node, 0, false);
    s_load_rules(node);
    for (int year = first; year <= 2023; year++)
        s_load_year(node, year);
    return scorer;
}

/* One number from a query with up to three text parameters ($1.. in
 * order; the first NULL ends them). */
static long long s_count(harness_node_t *node, const char *sql, const char *first,
                         const char *second, const char *third)
{
    const char *params[3] = {first, second, third};
    int n = !first ? 0 : !second ? 1 : !third ? 2 : 3;
    PGresult *result = PQexecParams(node->db, sql, n, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(result), PGRES_TUPLES_OK, "%s", PQerrorMessage(node->db));
    long long value = PQgetisnull(result, 0, 0) ? 0 : strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    PQclear(result);
    return value;
}

static void s_node_stop(harness_node_t *node, pid_t scorer)
{
    kill(scorer, SIGTERM);
    waitpid(scorer, NULL, 0);
    harness_node_stop(node);
}

Test(scoring, a_city_run_pays_by_the_province_ranks_as_the_province_run_does)
{
    harness_node_t node;
    pid_t scorer = s_node_start(&node, 2022);
    char province[24], city_run[24], prefix[8], city[8];
    snprintf(province, sizeof province, "%lld", s_score(&node, "2023", "130000", NULL));
    /* the city whose counties earned the most rank rewards: where a city's
     * own ranks would pay differently */
    long long most = s_count(&node,
                             "SELECT left(county_code, 4)::int FROM scoring_award"
                             " WHERE run_id = $1::bigint AND rule LIKE 'rank_up%'"
                             " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
                             province, NULL, NULL);
    cr_assert_gt(most, 1300, "the sample pays some rank rewards in 2023");
    snprintf(prefix, sizeof prefix, "%lld", most);
    snprintf(city, sizeof city, "%lld00", most);
    snprintf(city_run, sizeof city_run, "%lld", s_score(&node, "2023", city, NULL));
    cr_assert_str_neq(city_run, province);
    long long counties = s_count(&node,
                                 "SELECT count(*) FROM scoring_result WHERE run_id = $1::bigint"
                                 " AND left(county_code, 4) = $2",
                                 province, prefix, NULL);
    cr_assert_gt(counties, 1);
    cr_expect_eq(s_count(&node, "SELECT count(*) FROM scoring_result WHERE run_id = $1::bigint",
                         city_run, NULL, NULL),
                 counties, "the city run shows the city's counties");
    /* same totals, classes, province ranks and rewards as in the province's run */
    cr_expect_eq(s_count(&node,
                         "SELECT count(*) FROM scoring_result c JOIN scoring_result p"
                         " ON p.county_code = c.county_code AND p.run_id = $1::bigint"
                         " WHERE c.run_id = $2::bigint AND c.total = p.total"
                         " AND c.class = p.class AND c.rank_in_province = p.rank"
                         " AND c.reward = p.reward",
                         province, city_run, NULL),
                 counties);
    cr_expect_eq(s_count(&node,
                         "SELECT count(*) FROM ((SELECT county_code, position, rule, amount, reason"
                         " FROM scoring_award WHERE run_id = $1::bigint"
                         " AND left(county_code, 4) = $3 EXCEPT SELECT county_code, position,"
                         " rule, amount, reason FROM scoring_award WHERE run_id = $2::bigint)"
                         " UNION ALL (SELECT county_code, position, rule, amount, reason"
                         " FROM scoring_award WHERE run_id = $2::bigint EXCEPT"
                         " SELECT county_code, position, rule, amount, reason FROM scoring_award"
                         " WHERE run_id = $1::bigint)) d",
                         province, city_run, prefix),
                 0, "every award and its reason are the same");
    cr_expect_gt(s_count(&node,
                         "SELECT count(*) FROM scoring_award WHERE run_id = $1::bigint"
                         " AND rule LIKE 'rank_up%'",
                         city_run, NULL, NULL),
                 0);
    /* beside them, the ranks in the city's own scope */
    cr_expect_eq(s_count(&node,
                         "SELECT count(*) FROM scoring_result WHERE run_id = $1::bigint"
                         " AND rank <> rank_in_city",
                         city_run, NULL, NULL),
                 0);
    cr_expect_gt(s_count(&node,
                         "SELECT count(*) FROM scoring_result WHERE run_id = $1::bigint"
                         " AND rank <> rank_in_province",
                         city_run, NULL, NULL),
                 0, "city ranks are not province ranks");
    s_node_stop(&node, scorer);
}

Test(scoring, the_country_with_only_hebeis_data_is_refused_unless_forced)
{
    harness_node_t node;
    pid_t scorer = s_node_start(&node, 2023);
    char out[256], run[24];
    snprintf(out, sizeof out, "%s/%s-country", getenv("KC_TEST_LOG_DIR") ?: "/tmp", node.database);
    const char *unforced[] = {"score",  "--year", "2023", "--scope",
                              "000000", "--wait", "120",  NULL};
    cr_expect_neq(harness_kcctl(&node, unforced), 0, "a country of Hebei's data is refused");
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_job WHERE scope_code ="
                                      " '000000' AND state = 'failed'"
                                      " AND error_code = 'conflict.low_coverage'"
                                      " AND error_message LIKE '%167 of its%--force%'"),
                 1, "the refusal says how many have data and how to score anyway");
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_run"), 0);
    const char *forced[] = {"score",  "--year", "2023",  "--scope", "000000", "--force",
                            "--wait", "120",    "--out", out,       NULL};
    s_kcctl_ok(&node, forced);
    snprintf(run, sizeof run, "%lld", harness_count(&node, "SELECT max(id) FROM scoring_run"));
    cr_expect_eq(s_count(&node, "SELECT count(*) FROM scoring_result WHERE run_id = $1::bigint",
                         run, NULL, NULL),
                 167, "only Hebei's counties are classed");
    cr_expect_eq(s_count(&node,
                         "SELECT count(*) FROM scoring_result WHERE run_id = $1::bigint"
                         " AND (county_code NOT LIKE '13%' OR rank_in_province <> rank)",
                         run, NULL, NULL),
                 0, "Hebei alone: the country's ranks are Hebei's");
    /* every other county is listed as not evaluated, none of Hebei's */
    long long left_out =
        s_count(&node, "SELECT cardinality(not_evaluated) FROM scoring_run WHERE id = $1::bigint",
                run, NULL, NULL);
    cr_expect_gt(left_out, 2000);
    cr_expect_eq(s_count(&node,
                         "SELECT scope_county_count - 167 FROM scoring_run WHERE id = $1::bigint",
                         run, NULL, NULL),
                 left_out);
    cr_expect_eq(s_count(&node,
                         "SELECT count(*) FROM scoring_run, unnest(not_evaluated) c"
                         " WHERE id = $1::bigint AND c LIKE '13%'",
                         run, NULL, NULL),
                 0);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_job WHERE force"), 1);
    /* and the result page lists them */
    char path[512];
    size_t size = 0;
    snprintf(path, sizeof path, "%s/index.html", out);
    char *html = s_read(path, &size);
    cr_expect(strstr(html, "未参评县（市、区）") != NULL);
    cr_expect(strstr(html, "140105") != NULL, "a Shanxi county is listed as not evaluated");
    free(html);
    s_node_stop(&node, scorer);
}

static void s_expect_refusal(harness_node_t *node, const char *const *args)
{
    cr_expect_neq(harness_kcctl(node, args), 0, "kcctl %s should have been refused", args[0]);
}

Test(scoring, bad_requests_and_bad_rules_are_refused_and_change_nothing)
{
    harness_node_t node;
    harness_node_start(&node);
    pid_t scorer = harness_scoring_start(&node, 0, false);
    s_load_rules(&node);
    const char *bad_scope[] = {"score", "--year", "2023", "--scope", "13xx00", NULL};
    const char *bad_year[] = {"score", "--year", "1990", "--scope", "130000", NULL};
    const char *no_data[] = {"score", "--year", "2019", "--scope", "130000", "--wait", "30", NULL};
    s_expect_refusal(&node, bad_scope);
    s_expect_refusal(&node, bad_year);
    s_expect_refusal(&node, no_data);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_job WHERE state = 'failed'"), 1,
                 "a year without data fails its job with a reason");
    /* a key used again for another request */
    const char *first[] = {"score", "--year", "2022",   "--scope", "130000",
                           "--key", "k-1",    "--wait", "30",      NULL};
    const char *reused[] = {"score", "--year", "2021", "--scope", "130000", "--key", "k-1", NULL};
    s_expect_refusal(&node, first); /* no data for 2022: its job fails, but exists */
    long long jobs = harness_count(&node, "SELECT count(*) FROM scoring_job");
    s_expect_refusal(&node, reused);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_job"), jobs);
    /* a ratings sheet with one bad rater stores nothing */
    char sheet[256];
    snprintf(sheet, sizeof sheet, "%s/%s-ratings.csv", getenv("KC_TEST_LOG_DIR") ?: "/tmp",
             node.database);
    FILE *ratings = fopen(sheet, "wb");
    fputs("county_code,indicator,rater,score\n130102,I15,R01,80\n130102,I15,bad rater,70\n",
          ratings);
    fclose(ratings);
    const char *rate[] = {"submit-ratings", sheet, "--year", "2023", NULL};
    s_expect_refusal(&node, rate);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM rating"), 0);
    /* a methodology whose points add up to 99 */
    char bad[256];
    snprintf(bad, sizeof bad, "%s/%s-bad.ini", getenv("KC_TEST_LOG_DIR") ?: "/tmp", node.database);
    size_t size = 0;
    char *text = s_read("deploy/scoring/hebei-2019-v1.ini", &size);
    char *code = strstr(text, "code = hebei-2019-v1");
    cr_assert(code);
    memcpy(code, "code = hebei-2019-vx", 20);
    char *points = strstr(text, "points = 7");
    cr_assert(points);
    points[9] = '6';
    FILE *file = fopen(bad, "wb");
    fwrite(text, 1, size, file);
    fclose(file);
    free(text);
    const char *load_bad[] = {"methodology", "load", bad, NULL};
    s_expect_refusal(&node, load_bad);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_methodology"), 1);
    /* malformed frames on the scoring socket, then it still answers */
    void *context = zmq_ctx_new();
    harness_node_t scoring_socket = node;
    snprintf(scoring_socket.endpoint, sizeof scoring_socket.endpoint, "%s", node.scoring);
    void *dealer = requests_dealer(context, &scoring_socket);
    const char garbage[] = "\x0a\xff\xff\xff\xff\x0f not protobuf";
    cr_assert_eq(zmq_send(dealer, garbage, sizeof garbage - 1, 0), (int)sizeof garbage - 1);
    kc_envelope_t *reply = requests_receive(dealer);
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_REJECTED);
    cr_expect_str_eq(reply->rejected->errors[0]->code, "bus.malformed");
    kc_bus_free(&reply);
    zmq_close(dealer);
    zmq_ctx_term(context);
    const char *ping[] = {"ping", "--endpoint", node.scoring, NULL};
    s_kcctl_ok(&node, ping);
    kill(scorer, SIGTERM);
    int status = 0;
    waitpid(scorer, &status, 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    harness_node_stop(&node);
}

Test(scoring, events_of_kcctl_and_kc_scoring_are_published_on_the_node_pub_socket)
{
    harness_node_t node;
    harness_node_start(&node);
    void *context = zmq_ctx_new();
    void *sub = zmq_socket(context, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "RatingsSubmitted", strlen("RatingsSubmitted"));
    cr_assert_eq(zmq_connect(sub, node.events), 0);
    char sheet[256], key[32];
    snprintf(sheet, sizeof sheet, "%s/%s-one-rating.csv", getenv("KC_TEST_LOG_DIR") ?: "/tmp",
             node.database);
    FILE *ratings = fopen(sheet, "wb");
    fputs("county_code,indicator,rater,score\n130102,I15,R01,80\n", ratings);
    fclose(ratings);
    /* PUB drops what it sends before the subscription has arrived: send
     * sheets (each under its own key) until one is heard. */
    bool heard = false;
    for (int i = 0; i < 40 && !heard; i++) {
        snprintf(key, sizeof key, "pub-%d", i);
        const char *rate[] = {"submit-ratings", sheet, "--year", "2023", "--key", key, NULL};
        s_kcctl_ok(&node, rate);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        heard = zmq_poll(&item, 1, 250) > 0;
    }
    cr_assert(heard, "kc-intake did not publish the RatingsSubmitted that kcctl appended");
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    cr_assert_geq(zmq_msg_recv(&topic, sub, 0), 0);
    cr_assert_geq(zmq_msg_recv(&body, sub, 0), 0);
    Kc__V1__Event *event = kc__v1__event__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
    cr_assert(event);
    cr_expect_eq(event->payload_case, KC__V1__EVENT__PAYLOAD_RATINGS_SUBMITTED);
    cr_expect_eq(event->ratings_submitted->year, 2023);
    kc__v1__event__free_unpacked(event, NULL);
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    zmq_close(sub);
    zmq_ctx_term(context);
    harness_node_stop(&node);
}
