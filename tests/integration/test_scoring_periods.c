/*  Integration tests of the periods of validity: the indicator catalogue,
 *  the methodologies and the reward policies each apply to the evaluation
 *  years they state (deploy/sql/0016_periods.sql). Real kc-intake and
 *  kc-scoring processes on a real PostgreSQL, rules loaded with kcctl as
 *  an operator would, sample sheets (deploy/data/sample/years) sent for
 *  the years a test needs.
 *
 *  The clock of every process a test starts is fixed in March 2027,
 *  Beijing time (KC_FAKE_NOW_MS): the 2026 evaluation's data arrive then,
 *  whatever day the tests run.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"
#include "requests.h"

#define MARCH_2027 "1803859200000" /* 2027-03-01 08:00 CST */

static const char *s_providers[] = {"finance", "stats", "sti", "ndrc", "samr", "county"};

static void s_start(harness_node_t *node)
{
    setenv("KC_FAKE_NOW_MS", MARCH_2027, 1); /* inherited by the daemons and kcctl */
    harness_node_start(node);
}

static void s_kcctl_ok(harness_node_t *node, const char *const *args)
{
    cr_assert_eq(harness_kcctl(node, args), 0, "kcctl %s %s failed: see %s", args[0],
                 args[1] ? args[1] : "", node->log_path);
}

/* What kcctl printed; the test fails if kcctl did. */
static char *s_kcctl_output(harness_node_t *node, const char *const *args)
{
    int status = 0;
    char *said = harness_kcctl_output(node, args, &status);
    cr_assert_eq(status, 0, "kcctl %s %s failed: %s", args[0], args[1] ? args[1] : "", said);
    return said;
}

/* The sample sheets of `sample` sent as the values and ratings of `year`. */
static void s_load_year(harness_node_t *node, int sample, int year)
{
    char path[256], year_text[16];
    snprintf(year_text, sizeof year_text, "%d", year);
    for (size_t i = 0; i < sizeof s_providers / sizeof s_providers[0]; i++) {
        snprintf(path, sizeof path, "deploy/data/sample/years/%d/%s.csv", sample, s_providers[i]);
        const char *args[] = {"submit-values", path,      "--provider", s_providers[i],
                              "--year",        year_text, "--role",     "operator",
                              "--division",    "130000",  NULL};
        s_kcctl_ok(node, args);
    }
    snprintf(path, sizeof path, "deploy/data/sample/years/%d/ratings.csv", sample);
    const char *ratings[] = {"submit-ratings", path, "--year", year_text, NULL};
    s_kcctl_ok(node, ratings);
}

/* A copy of a shipped rules file under the log directory with each
 * `from` line replaced by its `to`; the path goes to out. */
static void s_rules_file(const harness_node_t *node, const char *shipped, const char *name,
                         const char *const *edits, char *out, size_t size)
{
    snprintf(out, size, "%s/%s-%s", getenv("KC_TEST_LOG_DIR") ?: "/tmp", node->database, name);
    FILE *in = fopen(shipped, "r");
    FILE *copy = fopen(out, "w");
    cr_assert(in && copy, "cannot copy %s to %s", shipped, out);
    char line[512];
    while (fgets(line, sizeof line, in)) {
        const char *written = line;
        for (size_t i = 0; edits[i]; i += 2)
            if (strncmp(line, edits[i], strlen(edits[i])) == 0)
                written = edits[i + 1];
        fputs(written, copy);
    }
    fclose(in);
    fclose(copy);
}

static void s_load_rules_file(harness_node_t *node, const char *what, const char *path)
{
    const char *args[] = {what, "load", path, NULL};
    s_kcctl_ok(node, args);
}

static void s_load_methodology(harness_node_t *node)
{
    s_load_rules_file(node, "methodology", "deploy/scoring/hebei-2019-v1.ini");
}

/* A policy `code` stating `years`, paying `top3` for the top 3 of class A. */
static void s_policy(harness_node_t *node, const char *code, const char *years, int top3,
                     char *path, size_t size)
{
    char code_line[96], years_line[64], top3_line[64], name[64];
    snprintf(code_line, sizeof code_line, "code = %s\n", code);
    snprintf(years_line, sizeof years_line, "years = %s\n", years);
    snprintf(top3_line, sizeof top3_line, "amount_top3_a = %d\n", top3);
    snprintf(name, sizeof name, "%s.ini", code);
    const char *edits[] = {"code = ",          code_line, "years = ", years_line,
                           "amount_top3_a = ", top3_line, NULL};
    s_rules_file(node, "deploy/scoring/rewards-hebei-2019.ini", name, edits, path, size);
}

static char *s_text(const harness_node_t *node, const char *sql)
{
    PGresult *result = PQexec(node->db, sql);
    cr_assert(PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1, "%s: %s", sql,
              PQerrorMessage(node->db));
    char *text = strdup(PQgetvalue(result, 0, 0));
    PQclear(result);
    return text;
}

static void s_expect_text(const harness_node_t *node, const char *sql, const char *expected)
{
    char *text = s_text(node, sql);
    cr_expect_str_eq(text, expected, "%s", sql);
    free(text);
}

/* ---- the catalogue --------------------------------------------------------- */

static kc_envelope_t *s_send(harness_node_t *node, int year, double value, const char *key)
{
    requests_batch_t *batch = malloc(sizeof *batch);
    requests_batch_init(batch, "stats");
    requests_batch_add(batch, "130102", year, "I03", value);
    kc_envelope_t *reply = requests_send_batch(node, batch, key);
    free(batch);
    return reply;
}

/* Send until kc-intake, which reloads its catalogue on NOTIFY, answers as
 * `accepted` says (a refused batch stores nothing, so it may be sent again). */
static kc_envelope_t *s_send_until(harness_node_t *node, int year, double value, bool accepted)
{
    Kc__V1__Envelope__BodyCase wanted =
        accepted ? KC__V1__ENVELOPE__BODY_ACCEPTED : KC__V1__ENVELOPE__BODY_REJECTED;
    kc_envelope_t *reply = NULL;
    for (int i = 0; i < 100; i++) {
        char key[64];
        snprintf(key, sizeof key, "until-%d-%g-%d-%d", year, value, accepted, i);
        kc_bus_free(&reply);
        reply = s_send(node, year, value, key);
        if (reply->body_case == wanted)
            break;
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
    cr_assert_eq(reply->body_case, wanted, "year %d value %g: not %s", year, value,
                 accepted ? "accepted" : "refused");
    return reply;
}

/* Several statements at once, as a migration would run them. */
static void s_sql(harness_node_t *node, const char *sql)
{
    PGresult *result = PQexec(node->db, sql);
    cr_assert_eq(PQresultStatus(result), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(node->db));
    PQclear(result);
}

TestSuite(periods, .timeout = 240);

Test(periods, data_of_2026_are_accepted_once_a_catalogue_version_covers_it)
{
    harness_node_t node;
    s_start(&node);
    /* The shipped catalogue is in force from its first year with no end. */
    kc_envelope_t *reply = s_send_until(&node, 2026, 2.5, true);
    kc_bus_free(&reply);
    /* 2029 is after 2028, the year after the current one: a mistake. */
    reply = s_send(&node, 2029, 2.5, "too-far");
    cr_assert(requests_has_error(reply, "validation.year_out_of_range", "reports[0].year"));
    cr_expect(strstr(reply->rejected->errors[0]->detail, "accepted up to 2028"), "%s",
              reply->rejected->errors[0]->detail);
    kc_bus_free(&reply);
    const char *ratings[] = {"submit-ratings", "deploy/data/sample/years/2023/ratings.csv",
                             "--year", "2029", NULL};
    cr_expect_neq(harness_kcctl(&node, ratings), 0, "ratings of 2029 are a mistake too");
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM rating"), 0);

    /* As before periods: the list ends with the plan, 2026 has no list. */
    s_sql(&node, "UPDATE indicator_framework SET last_year = 2025 WHERE code = 'hebei-2019';"
                 "NOTIFY kc_catalogue");
    reply = s_send_until(&node, 2026, 3.5, false);
    cr_expect(requests_has_error(reply, "validation.year_out_of_range", "reports[0].year"));
    cr_expect(strstr(reply->rejected->errors[0]->detail, "in force from 2017 to 2025"), "%s",
              reply->rejected->errors[0]->detail);
    kc_bus_free(&reply);

    /* A version from 2026 (as a migration would add it): I03 now at most 50 %. */
    s_sql(&node, "INSERT INTO indicator_framework (code, name_zh, first_year, last_year)"
                 " VALUES ('hebei-2026', '2026 版', 2026, 9999);"
                 "INSERT INTO indicator SELECT 'hebei-2026', code, primary_code, primary_name_zh,"
                 "  name_zh, name_en, unit, min_value,"
                 "  CASE WHEN code = 'I03' THEN 50 ELSE max_value END, provider, kind, published,"
                 "  source_note FROM indicator WHERE framework = 'hebei-2019';"
                 "NOTIFY kc_catalogue");
    reply = s_send_until(&node, 2026, 3.5, true);
    kc_bus_free(&reply);
    reply = s_send(&node, 2026, 70, "2026-above-50");
    cr_expect(requests_has_error(reply, "validation.out_of_range", "reports[0].value"),
              "the 2026 list bounds I03 at 50");
    kc_bus_free(&reply);
    reply = s_send(&node, 2025, 70, "2025-above-50");
    cr_expect_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED, "2025 keeps its own list");
    kc_bus_free(&reply);
    /* The database picks the same list for a year as kc-intake does. */
    s_expect_text(&node,
                  "SELECT indicator_framework_of(2026) || ' ' || indicator_framework_of(2025)",
                  "hebei-2026 hebei-2019");
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM indicator_value WHERE year = 2026"), 2);
    harness_node_stop(&node);
}

/* ---- two reward policies ---------------------------------------------------- */

/* The rules and the top-3 amount of the latest run of `year` whose job had `trigger`. */
static void s_expect_run(const harness_node_t *node, const char *year, const char *trigger,
                         const char *policy, int top3)
{
    const char *params[2] = {year, trigger};
    PGresult *result =
        PQexecParams(node->db,
                     "SELECT r.methodology || ' ' || r.policy || ' ' ||"
                     "       (SELECT coalesce(max(amount), 0) FROM scoring_award a"
                     "         WHERE a.run_id = r.id AND a.rule = 'top3_a')"
                     "  FROM scoring_run r JOIN scoring_job j ON j.id = r.job_id"
                     " WHERE r.year = $1::int AND j.trigger = $2 ORDER BY r.id DESC LIMIT 1",
                     2, NULL, params, NULL, NULL, 0);
    cr_assert(PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1,
              "no run of %s (%s): %s", year, trigger, PQerrorMessage(node->db));
    char expected[96];
    snprintf(expected, sizeof expected, "hebei-2019-v1 %s %d", policy, top3);
    cr_expect_str_eq(PQgetvalue(result, 0, 0), expected, "the run of %s (%s)", year, trigger);
    PQclear(result);
}

Test(periods, two_reward_policies_each_govern_their_own_years_also_in_automatic_jobs)
{
    harness_node_t node;
    s_start(&node);
    pid_t scorer = harness_scoring_start(&node, 0, true);
    char from_2019[512], from_2026[512];
    s_policy(&node, "leap-from-2019", "2019-", 300, from_2019, sizeof from_2019);
    s_policy(&node, "leap-from-2026", "2026-", 250, from_2026, sizeof from_2026);
    s_load_methodology(&node);
    s_load_rules_file(&node, "rewards", from_2026);
    s_load_rules_file(&node, "rewards", from_2019); /* loaded last, yet only for 2019-2025 */
    /* kcctl says which years each governs on this node */
    const char *check[] = {"rewards", "check", from_2019, NULL};
    char *said = s_kcctl_output(&node, check);
    cr_expect(strstr(said, "years: 2019-, from 2019 until a policy from a later year"), "%s", said);
    cr_expect(strstr(said, "in force: 2019-2025, among the 2 policy versions of this node; other "
                           "years: 2026- leap-from-2026"),
              "%s", said);
    free(said);
    const char *methodology[] = {"methodology", "check", "deploy/scoring/hebei-2019-v1.ini", NULL};
    said = s_kcctl_output(&node, methodology);
    cr_expect(strstr(said, "years: 2017-, from 2017 until a methodology from a later year"), "%s",
              said);
    cr_expect(strstr(said, "in force: 2017-, among the 1 methodology version of this node\n"), "%s",
              said);
    free(said);
    s_load_year(&node, 2022, 2022);
    s_load_year(&node, 2023, 2023);
    s_load_year(&node, 2022, 2025);
    s_load_year(&node, 2023, 2026);
    cr_assert_eq(harness_wait_count(&node,
                                    "SELECT count(*) FROM scoring_job WHERE trigger ="
                                    " 'data_complete' AND state = 'done' AND year IN (2023, 2026)",
                                    2, 60000),
                 2, "the complete years were not scored by themselves (log %s)", node.log_path);
    s_expect_run(&node, "2023", "data_complete", "leap-from-2019", 300);
    s_expect_run(&node, "2026", "data_complete", "leap-from-2026", 250);
    /* a request scores with the rules in force too, unless it names others */
    const char *score[] = {"score", "--year", "2026", "--scope", "130000", "--wait", "60", NULL};
    s_kcctl_ok(&node, score);
    s_expect_run(&node, "2026", "request", "leap-from-2026", 250);
    const char *named[] = {"score",   "--year",   "2026",           "--scope", "130000", "--key",
                           "named-1", "--policy", "leap-from-2019", "--wait",  "60",     NULL};
    s_kcctl_ok(&node, named);
    s_expect_run(&node, "2026", "request", "leap-from-2019", 300);
    /* 2017 has no policy in force: a request for it is refused */
    const char *uncovered[] = {"score", "--year", "2017", "--scope", "130000", NULL};
    cr_expect_neq(harness_kcctl(&node, uncovered), 0);
    kill(scorer, SIGTERM);
    waitpid(scorer, NULL, 0);
    harness_node_stop(&node);
}

/* ---- a published result ---------------------------------------------------- */

/* Everything a published result says, as one text. */
static char *s_published(const harness_node_t *node)
{
    return s_text(node, "SELECT p.run_id || ' ' || s.methodology || ' ' || s.policy || ' ' ||"
                        "       string_agg(r.county_code || r.class || r.total || '#' || r.rank"
                        "                  || '+' || r.reward, ',' ORDER BY r.county_code)"
                        "  FROM scoring_publication p JOIN scoring_run s ON s.id = p.run_id"
                        "  JOIN scoring_result r ON r.run_id = p.run_id"
                        " WHERE p.year = 2023 GROUP BY p.run_id, s.methodology, s.policy");
}

Test(periods, a_published_result_is_unchanged_by_a_later_load)
{
    harness_node_t node;
    s_start(&node);
    pid_t scorer = harness_scoring_start(&node, 0, true);
    s_load_methodology(&node);
    char first[512], second[512];
    s_policy(&node, "leap-2017-v1", "2017-", 300, first, sizeof first);
    s_load_rules_file(&node, "rewards", first);
    s_load_year(&node, 2022, 2022);
    s_load_year(&node, 2023, 2023);
    cr_assert_eq(harness_wait_count(&node,
                                    "SELECT count(*) FROM scoring_job WHERE state = 'done'"
                                    " AND year IN (2022, 2023)",
                                    2, 60000),
                 2);
    char *run = s_text(&node, "SELECT max(id) FROM scoring_run WHERE year = 2023");
    const char *publish[] = {"publish", "--run", run, "--flags-reviewed", NULL};
    s_kcctl_ok(&node, publish);
    char *before = s_published(&node);
    cr_expect(strstr(before, " leap-2017-v1 "), "%s", before);
    /* A corrected policy from the same year replaces the first for every year. */
    s_policy(&node, "leap-2017-v2", "2017-", 400, second, sizeof second);
    s_load_rules_file(&node, "rewards", second);
    s_expect_text(&node, "SELECT reward_policy_for(2023)", "leap-2017-v2");
    /* The unpublished 2022 follows it by itself; the published 2023 does not. */
    cr_expect_eq(harness_wait_count(&node,
                                    "SELECT count(*) FROM scoring_run WHERE year = 2022"
                                    " AND policy = 'leap-2017-v2'",
                                    1, 60000),
                 1);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_job WHERE year = 2023"
                                      " AND policy = 'leap-2017-v2'"),
                 0);
    /* Even a run on request under the new policy leaves the published one. */
    const char *score[] = {"score", "--year", "2023", "--scope", "130000", "--wait", "60", NULL};
    s_kcctl_ok(&node, score);
    char *after = s_published(&node);
    cr_expect_str_eq(after, before);
    const char *classes[] = {"classes", "--year", "2023", NULL};
    char *listed = s_kcctl_output(&node, classes);
    char source[96];
    snprintf(source, sizeof source, "this node, run %s (hebei-2019-v1, leap-2017-v1)", run);
    cr_expect(strstr(listed, source), "%s", listed);
    free(listed);
    free(after);
    free(before);
    free(run);
    kill(scorer, SIGTERM);
    waitpid(scorer, NULL, 0);
    harness_node_stop(&node);
}

/* ---- a methodology from a later year ----------------------------------------- */

Test(periods, a_methodology_from_a_later_year_scores_its_years_against_the_history_before_it)
{
    harness_node_t node;
    s_start(&node);
    pid_t scorer = harness_scoring_start(&node, 0, false);
    char v2[512];
    const char *edits[] = {"code = ", "code = hebei-2019-v2\n", "years = ", "years = 2026-\n",
                           NULL};
    s_rules_file(&node, "deploy/scoring/hebei-2019-v1.ini", "v2.ini", edits, v2, sizeof v2);
    s_load_methodology(&node);
    s_load_rules_file(&node, "methodology", v2);
    s_load_rules_file(&node, "rewards", "deploy/scoring/rewards-hebei-2019.ini");
    const char *check[] = {"methodology", "check", "deploy/scoring/hebei-2019-v1.ini", NULL};
    char *said = s_kcctl_output(&node, check);
    cr_expect(strstr(said, "in force: 2017-2025, among the 2 methodology versions of this node; "
                           "other years: 2026- hebei-2019-v2"),
              "%s", said);
    free(said);
    s_load_year(&node, 2022, 2025);
    s_load_year(&node, 2023, 2026);
    const char *score_2026[] = {"score",  "--year", "2026", "--scope",
                                "130000", "--wait", "60",   NULL};
    const char *score_2025[] = {"score",  "--year", "2025", "--scope",
                                "130000", "--wait", "60",   NULL};
    s_kcctl_ok(&node, score_2026);
    s_kcctl_ok(&node, score_2025);
    s_expect_text(&node,
                  "SELECT string_agg(year || ' ' || methodology, ', ' ORDER BY year)"
                  "  FROM scoring_run",
                  "2025 hebei-2019-v1, 2026 hebei-2019-v2");
    /* 2026 is compared with 2025 rescored under hebei-2019-v2: leaps and climbs are paid */
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM scoring_run"
                                      " WHERE year = 2026 AND position(E'\\nY\\t2025\\t' IN"
                                      " input_text) > 0"),
                 1);
    cr_expect_gt(harness_count(&node, "SELECT count(*) FROM scoring_award a JOIN scoring_run r"
                                      " ON r.id = a.run_id WHERE r.year = 2026 AND a.amount > 0"
                                      " AND (a.rule LIKE 'leap%' OR a.rule LIKE 'rank_up%')"),
                 0);
    kill(scorer, SIGTERM);
    waitpid(scorer, NULL, 0);
    harness_node_stop(&node);
}
