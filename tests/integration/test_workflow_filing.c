/*  Integration tests of kc-workflow from the province's expert evaluation
 *  to filing and beyond, with a clock the test controls: the panel drawn
 *  from the sample expert pool around the conflicts of interest, the
 *  experts declaring and scoring, the public notice closing by itself on
 *  the working-day calendar, objections holding it, the yearly assessment
 *  opening by itself with the base's early report kept for it, a failed
 *  year, rectification and revocation, deadlines, and a kill -9 with a
 *  timer due. Real kc-intake and kc-workflow processes, real PostgreSQL,
 *  kcctl acting as each role.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "workflow_fixture.h"

TestSuite(filing, .timeout = 240);

#define DAY_MS       (24LL * 3600 * 1000)
#define MONDAY_0900  1740963600000LL /* 2025-03-03 09:00 CST, a Monday */
#define NOTICE_CLOSE 1741622400000LL /* 2025-03-10 24:00 CST: five working days later */

/* Wait up to 5 s for the application to reach STATE (a string literal). */
#define WAIT_STATE(f, STATE)                                                                       \
    (harness_wait_count(&(f)->node,                                                                \
                        "SELECT count(*) FROM workflow_instance WHERE state = '" STATE "'", 1,     \
                        5000) == 1)

/* The first thing the expert's inbox asks of them ("" when it is empty). */
static const char *s_expert_inbox(wf_fixture_t *f, const char *expert)
{
    static char next[32];
    kc_error_t error;
    kc_client_t *client = kc_client_new(f->node.workflow, 5000, 1, &error);
    cr_assert_not_null(client);
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    Kc__V1__ListInbox list = KC__V1__LIST_INBOX__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_LIST_INBOX;
    request.list_inbox = &list;
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = (char *)expert;
    actor.role = "expert";
    actor.division_code = "130000";
    char id[KC_ID_SIZE];
    kc_bus_stamp(&request, id, "test", &actor);
    cr_assert_eq(kc_client_call(client, &request, &reply, &error), 0);
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_INBOX);
    next[0] = '\0';
    if (reply->inbox->n_items == 1 && reply->inbox->items[0]->n_available == 1)
        snprintf(next, sizeof next, "%s", reply->inbox->items[0]->available[0]);
    kc_bus_free(&reply);
    kc_client_destroy(&client);
    return next;
}

static void s_to_filed(wf_fixture_t *f)
{
    wf_fixture_to_notice(f);
    harness_clock_set(&f->node, NOTICE_CLOSE);
    cr_assert(WAIT_STATE(f, "filed"), "the notice did not close by itself");
}

Test(filing, the_panel_is_drawn_around_conflicts_scored_and_aggregated_by_the_rule)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_expert_review(&f);
    /* 16 experts: E013 is of another field, E014 inactive; E010 declared a
     * conflict with the applicant, E011 works for it, E012 in its county */
    cr_expect_eq(harness_count(&f.node, "SELECT cardinality(draw_order) FROM panel"), 11);
    cr_expect_eq(harness_count(&f.node, "SELECT cardinality(exclusions) FROM panel"), 3);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM panel, unnest(exclusions) x"
                                        " WHERE x LIKE 'E011: same organisation%'"
                                        "    OR x LIKE 'E012: same county%'"
                                        "    OR x LIKE 'E010: declared a conflict%'"),
                 3);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM panel_member WHERE expert_code IN"
                                        " ('E010', 'E011', 'E012', 'E013', 'E014')"),
                 0);
    cr_assert_eq(harness_count(&f.node, "SELECT count(*) FROM panel_member"), 5);

    /* the province cannot decide before the panel has scored */
    cr_expect_neq(
        wf_fixture_act(&f, "province_department", "130000", "province_approve", "通过", false), 0);
    /* a seated expert sees the application only after declaring; one who
     * declares a conflict gives the seat to the next in the draw */
    char seated[8][16];
    wf_fixture_seated(&f, seated, 8);
    /* what waits for an expert: the panel, to declare */
    cr_expect_str_eq(s_expert_inbox(&f, seated[0]), "declare");
    cr_expect_str_eq(s_expert_inbox(&f, "E011"), "", "E011 sits on no panel");
    cr_expect_neq(wf_fixture_score(&f, seated[0], 90), 0, "scored before declaring");
    cr_expect_neq(wf_fixture_panel(&f, seated[0], "declare", "conflict", ""), 0,
                  "a conflict needs a reason");
    cr_assert_eq(wf_fixture_panel(&f, seated[0], "declare", "conflict", "曾为申报单位提供有偿咨询"),
                 0);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM panel_member"), 6);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM panel_member m JOIN panel p ON"
                                        " p.id = m.panel_id WHERE m.position = 6"
                                        " AND m.expert_code = p.draw_order[6]"),
                 1);
    cr_expect_neq(wf_fixture_score(&f, seated[0], 90), 0, "scored after giving up the seat");
    cr_expect_neq(wf_fixture_panel(&f, "E011", "declare", "none", ""), 0,
                  "an expert not on the panel");
    wf_fixture_panel_scores(&f);

    /* trimmed mean of five: 97 and 52 left out, (70 + 80 + 81) / 3 */
    PGresult *result = PQexec(f.node.db, "SELECT aggregate::text, cardinality(excluded),"
                                         " spread::text, disagreement FROM panel_result");
    cr_assert_eq(PQntuples(result), 1);
    cr_expect_str_eq(PQgetvalue(result, 0, 0), "77.00");
    cr_expect_str_eq(PQgetvalue(result, 0, 1), "2");
    cr_expect_str_eq(PQgetvalue(result, 0, 2), "45.00");
    cr_expect_str_eq(PQgetvalue(result, 0, 3), "t", "a 45-point spread is strong disagreement");
    PQclear(result);
    cr_expect_neq(wf_fixture_score(&f, seated[1], 60), 0, "a second score from the same expert");
    cr_expect_eq(wf_fixture_score(&f, seated[1], 70), 0, "a retry of the same scores is answered");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM panel_score"), 25);

    /* the draw replays from its recorded seed */
    const char *replay[] = {"panel",      "replay", f.ref, "--role", "province_department",
                            "--division", "130000", NULL};
    cr_expect_eq(harness_kcctl(&f.node, replay), 0);
    /* a city official sees the panel of its county's application, another city does not */
    const char *other[] = {"panel",       "show",       f.ref,    "--role",
                           "city_bureau", "--division", "130200", NULL};
    cr_expect_neq(harness_kcctl(&f.node, other), 0);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM audit_entry WHERE NOT allowed"
                                        " AND action = 'workflow.read:GetPanel'"),
                 1, "a read refused for want of authority is audited");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM audit_entry WHERE NOT allowed"
                                        " AND action LIKE 'workflow.panel.%'"),
                 5);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM event WHERE type = 'PanelChanged'"),
                 3); /* drawn, seat replaced, complete */
    wf_fixture_stop(&f);
}

Test(filing, a_notice_closes_by_itself_after_five_working_days_and_files_the_base)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_notice(&f);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_timer WHERE kind ="
                                        " 'notice_end' AND due_ms = 1741622400000"),
                 1, "the notice closes 2025-03-10 24:00 CST (NOTICE_CLOSE)");
    /* a minute before the window closes nothing happens */
    harness_clock_set(&f.node, NOTICE_CLOSE - 60000);
    usleep(700 * 1000);
    cr_expect_str_eq(wf_fixture_state(&f), "public_notice");
    /* nobody but the timer closes a notice */
    cr_expect_neq(wf_fixture_act(&f, "system", "", "notice_closed", "公示期满无异议", false), 0);
    harness_clock_set(&f.node, NOTICE_CLOSE);
    cr_assert(WAIT_STATE(&f, "filed"));
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step WHERE transition ="
                                        " 'notice_closed' AND role = 'system' AND user_id ="
                                        " 'kc-workflow' AND reason = '公示期满无异议'"),
                 1);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_timer WHERE kind ="
                                        " 'notice_end' AND outcome = 'taken'"),
                 1);
    /* the next year's assessment is armed, a year on */
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_timer WHERE kind = 'timer'"
                                        " AND state = 'filed' AND fired_ms IS NULL"),
                 1);
    const char *progress[] = {
        "progress", "--programme", "mountain_base", "--role", "province_department", "--division",
        "130000",   NULL};
    cr_expect_eq(harness_kcctl(&f.node, progress), 0);
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&f.node, verify), 0);
    wf_fixture_stop(&f);
}

static int s_objection(wf_fixture_t *f)
{
    return wf_fixture_object(f, "基地东侧林地流转合同尚未经村民代表会议表决。");
}

Test(filing, an_objection_holds_the_notice_until_it_is_settled)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    cr_expect_neq(s_objection(&f), 0, "an objection with no notice open");
    wf_fixture_to_notice(&f);
    cr_assert_eq(s_objection(&f), 0);
    harness_clock_set(&f.node, NOTICE_CLOSE + DAY_MS);
    cr_expect_eq(
        harness_wait_count(&f.node, "SELECT count(*) FROM workflow_timer WHERE held", 1, 5000), 1,
        "the notice closed with an objection open and was not held");
    cr_expect_str_eq(wf_fixture_state(&f), "public_notice");
    long long id = harness_count(&f.node, "SELECT id FROM objection");
    char text[24];
    snprintf(text, sizeof text, "%lld", id);
    /* only the level holding the notice settles it, with a reason */
    const char *city[] = {
        "resolve-objection", text,         "dismissed", "--reason", "经核实不成立", "--role",
        "city_bureau",       "--division", "130100",    NULL};
    cr_expect_neq(harness_kcctl(&f.node, city), 0);
    const char *bare[] = {"resolve-objection",   text,         "dismissed", "--role",
                          "province_department", "--division", "130000",    NULL};
    cr_expect_neq(harness_kcctl(&f.node, bare), 0);
    const char *settle[] = {"resolve-objection",
                            text,
                            "dismissed",
                            "--reason",
                            "经核实，流转合同已于公示前经村民代表会议通过，异议不成立",
                            "--role",
                            "province_department",
                            "--division",
                            "130000",
                            NULL};
    cr_assert_eq(harness_kcctl(&f.node, settle), 0);
    cr_expect_neq(harness_kcctl(&f.node, settle), 0, "settled twice");
    cr_assert(WAIT_STATE(&f, "filed"), "the notice did not close once settled");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM event WHERE type ="
                                        " 'ObjectionResolved'"),
                 1);
    wf_fixture_stop(&f);
}

Test(filing, an_upheld_objection_sends_the_application_back)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_notice(&f);
    cr_assert_eq(s_objection(&f), 0);
    char text[24];
    snprintf(text, sizeof text, "%lld", harness_count(&f.node, "SELECT id FROM objection"));
    const char *uphold[] = {
        "resolve-objection",   text,         "upheld", "--reason", "土地权属存在争议", "--role",
        "province_department", "--division", "130000", NULL};
    cr_assert_eq(harness_kcctl(&f.node, uphold), 0);
    const char *back[] = {"act",
                          f.ref,
                          "notice_return",
                          "--role",
                          "province_department",
                          "--division",
                          "130000",
                          "--reason",
                          "公示异议成立，请补充土地流转合同",
                          "--return-to",
                          "drafting",
                          NULL};
    cr_assert_eq(harness_kcctl(&f.node, back), 0);
    cr_expect_str_eq(wf_fixture_state(&f), "drafting");
    /* the notice's timer belonged to a visit the application has left */
    harness_clock_set(&f.node, NOTICE_CLOSE + DAY_MS);
    cr_expect_eq(harness_wait_count(&f.node,
                                    "SELECT count(*) FROM workflow_timer WHERE kind ="
                                    " 'notice_end' AND outcome = 'moved_on'",
                                    1, 5000),
                 1);
    cr_expect_str_eq(wf_fixture_state(&f), "drafting");
    wf_fixture_stop(&f);
}

Test(filing, a_year_on_the_assessment_opens_takes_the_early_report_then_failure_leads_to_revocation)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    s_to_filed(&f);
    /* the base hands in its yearly report before the assessment opens: kept */
    cr_assert_eq(wf_fixture_act_as(&f, "lizhenhua", "applicant", "130131", "annual_report_submit",
                                   "2025年度执行情况报告", true),
                 0);
    cr_expect_str_eq(wf_fixture_state(&f), "filed");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_pending WHERE"
                                        " waiting_state = 'assessment_due' AND taken_version IS"
                                        " NULL"),
                 1);
    /* a year on, the system opens the assessment and the report is taken */
    harness_clock_set(&f.node, NOTICE_CLOSE + 366 * DAY_MS);
    cr_assert(WAIT_STATE(&f, "assessment"), "now at %s", wf_fixture_state(&f));
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_pending WHERE"
                                        " taken_version IS NOT NULL"),
                 1);
    cr_assert_eq(wf_fixture_act(&f, "province_department", "130000", "assessment_fail",
                                "年度目标完成不足六成，限期一年整改", false),
                 0);
    cr_expect_str_eq(wf_fixture_state(&f), "rectification");
    /* the year of rectification runs out: the review opens by itself */
    harness_clock_set(&f.node, NOTICE_CLOSE + 2 * 366 * DAY_MS);
    cr_assert(WAIT_STATE(&f, "rectification_review"), "now at %s", wf_fixture_state(&f));
    cr_assert_eq(wf_fixture_act(&f, "province_department", "130000", "rectification_fail",
                                "整改不合格，取消资格", false),
                 0);
    cr_expect_str_eq(wf_fixture_state(&f), "revoked");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step WHERE role = 'system'"),
                 3); /* notice closed, assessment opened, rectification year over */
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&f.node, verify), 0);
    wf_fixture_stop(&f);
}

Test(filing, a_deadline_warns_then_says_it_has_passed)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    cr_assert_eq(wf_fixture_act(&f, "applicant", "130131", "submit", "自愿申报", true), 0);
    /* the county bureau has 10 working days; the warning comes 2 before */
    harness_clock_set(&f.node, MONDAY_0900 + 30 * DAY_MS);
    cr_expect_eq(harness_wait_count(&f.node,
                                    "SELECT count(*) FROM event WHERE type ="
                                    " 'DeadlineReached'",
                                    2, 5000),
                 2);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_timer WHERE kind LIKE"
                                        " 'deadline%' AND outcome = 'raised'"),
                 2);
    cr_expect_str_eq(wf_fixture_state(&f), "county_review", "a deadline moves nothing");
    wf_fixture_stop(&f);
}

Test(filing, a_kill_9_with_a_notice_due_loses_nothing_and_fires_it_once)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_notice(&f);
    kill(f.workflow, SIGKILL);
    waitpid(f.workflow, NULL, 0);
    harness_clock_set(&f.node, NOTICE_CLOSE + DAY_MS);
    f.workflow = harness_workflow_start(&f.node);
    cr_assert(WAIT_STATE(&f, "filed"), "the timer was lost across the kill");
    /* and once more: a restart never fires it again */
    kill(f.workflow, SIGKILL);
    waitpid(f.workflow, NULL, 0);
    f.workflow = harness_workflow_start(&f.node);
    usleep(700 * 1000);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step WHERE transition ="
                                        " 'notice_closed'"),
                 1);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM event WHERE type = 'ApplicationMoved'"
                                        " AND payload IS NOT NULL"),
                 harness_count(&f.node, "SELECT count(*) FROM workflow_step"));
    wf_fixture_stop(&f);
}

Test(filing, a_lost_database_connection_heals_by_itself_and_the_notice_closes_without_a_request)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_notice(&f);
    /* the server ends kc-workflow's connection, as a restart of PostgreSQL
     * does; nobody sends kc-workflow a request after it */
    cr_assert_eq(harness_count(&f.node, "SELECT (count(pg_terminate_backend(pid)) > 0)::int"
                                        "  FROM pg_stat_activity WHERE datname = current_database()"
                                        "   AND application_name = 'kc-workflow'"),
                 1);
    harness_clock_set(&f.node, NOTICE_CLOSE);
    cr_assert(harness_wait_count(&f.node,
                                 "SELECT count(*) FROM workflow_instance WHERE state = 'filed'", 1,
                                 10000) == 1,
              "the notice did not close after the connection came back (log %s)", f.node.log_path);
    /* the outage is told once as it begins and once as it ends */
    cr_expect_eq(harness_log_lines(f.node.log_path, "kc-workflow: database unavailable"), 1);
    cr_expect_eq(harness_log_lines(f.node.log_path, "database connection back"), 1);
    cr_expect_leq(harness_log_lines(f.node.log_path, "timers:"), 1);
    wf_fixture_stop(&f);
}
