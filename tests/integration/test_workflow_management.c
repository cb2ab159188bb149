/*  Integration tests of how a public notice ends and of the managed years
 *  after filing, on the mountain-base procedure with a clock the test
 *  controls: a notice files the base only when none of its objections is
 *  open or upheld ("结果公示无异议后，备案"), an upheld one sends the
 *  application back to the step the definition names with the
 *  settlement's reason; the three-year overall evaluation opens by itself
 *  when the construction period ends, in place of that year's assessment,
 *  and "择优三年连续支持" starts a new period; the base cannot withdraw
 *  while it rectifies, and the year of rectification ends by itself.
 *  Real kc-intake and kc-workflow processes, real PostgreSQL, kcctl acting
 *  as each role.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "workflow_fixture.h"

TestSuite(management, .timeout = 240);

#define DAY_MS       (24LL * 3600 * 1000)
#define MONDAY_0900  1740963600000LL /* 2025-03-03 09:00 CST, a Monday */
#define NOTICE_CLOSE 1741622400000LL /* 2025-03-10 24:00 CST: five working days later */

#define WAIT_STATE(f, STATE)                                                                       \
    (harness_wait_count(&(f)->node,                                                                \
                        "SELECT count(*) FROM workflow_instance WHERE state = '" STATE "'", 1,     \
                        5000) == 1)

#define UPHELD_REASON "经核实，基地东侧林地流转合同确未经村民代表会议表决，异议成立"

/* The first and the last objection's ids. */
#define FIRST_OBJECTION(f) harness_count(&(f)->node, "SELECT min(id) FROM objection")
#define LAST_OBJECTION(f)  harness_count(&(f)->node, "SELECT max(id) FROM objection")

/* The notice closes (a day after its end): filed, or not. */
static void s_close_notice(wf_fixture_t *f)
{
    harness_clock_set(&f->node, NOTICE_CLOSE + DAY_MS);
}

/* Never filed, back at the province's formal review with the reason. */
static void s_expect_sent_back(wf_fixture_t *f)
{
    cr_assert(WAIT_STATE(f, "province_review"), "now at %s", wf_fixture_state(f));
    cr_expect_eq(harness_count(&f->node, "SELECT count(*) FROM workflow_step WHERE to_state ="
                                         " 'filed' OR decision = 'file'"),
                 0, "filed although an objection was upheld");
    cr_expect_eq(harness_count(&f->node,
                               "SELECT count(*) FROM workflow_step WHERE transition ="
                               " 'notice_objection_upheld' AND role = 'system' AND reason ="
                               " '公示期间异议成立：" UPHELD_REASON "'"),
                 1);
    /* the province may take it up again: its formal review is open to it */
    cr_expect_eq(harness_count(&f->node, "SELECT count(*) FROM workflow_timer WHERE state ="
                                         " 'province_review' AND kind = 'deadline_overdue'"
                                         " AND fired_ms IS NULL"),
                 1);
}

Test(management, a_notice_with_one_objection_dismissed_files_the_base)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_notice(&f);
    cr_assert_eq(wf_fixture_object(&f, "基地负责人不在本县工作。"), 0);
    cr_assert_eq(wf_fixture_settle(&f, FIRST_OBJECTION(&f), "dismissed",
                                   "经核实，负责人常驻本县，异议不成立"),
                 0);
    s_close_notice(&f);
    cr_assert(WAIT_STATE(&f, "filed"), "now at %s", wf_fixture_state(&f));
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step WHERE transition ="
                                        " 'notice_closed' AND reason = '公示期满无异议'"),
                 1);
    wf_fixture_stop(&f);
}

Test(management, a_notice_with_its_objection_upheld_is_never_filed_and_goes_back)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_notice(&f);
    cr_assert_eq(wf_fixture_object(&f, "基地东侧林地流转合同尚未经村民代表会议表决。"), 0);
    cr_assert_eq(wf_fixture_settle(&f, FIRST_OBJECTION(&f), "upheld", UPHELD_REASON), 0);
    /* nothing happens before the notice ends: the public may still object */
    cr_expect_str_eq(wf_fixture_state(&f), "public_notice");
    s_close_notice(&f);
    s_expect_sent_back(&f);
    wf_fixture_stop(&f);
}

Test(management, two_objections_one_upheld_send_the_application_back)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_notice(&f);
    cr_assert_eq(wf_fixture_object(&f, "基地负责人不在本县工作。"), 0);
    cr_assert_eq(wf_fixture_object(&f, "基地东侧林地流转合同尚未经村民代表会议表决。"), 0);
    cr_assert_eq(wf_fixture_settle(&f, FIRST_OBJECTION(&f), "dismissed",
                                   "经核实，负责人常驻本县，异议不成立"),
                 0);
    cr_assert_eq(wf_fixture_settle(&f, LAST_OBJECTION(&f), "upheld", UPHELD_REASON), 0);
    s_close_notice(&f);
    s_expect_sent_back(&f);
    wf_fixture_stop(&f);
}

Test(management, an_objection_open_when_the_notice_ends_holds_it_and_once_upheld_sends_it_back)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_notice(&f);
    cr_assert_eq(wf_fixture_object(&f, "基地东侧林地流转合同尚未经村民代表会议表决。"), 0);
    s_close_notice(&f);
    cr_assert_eq(
        harness_wait_count(&f.node, "SELECT count(*) FROM workflow_timer WHERE held", 1, 5000), 1,
        "the notice closed with an objection open and was not held");
    cr_expect_str_eq(wf_fixture_state(&f), "public_notice");
    cr_assert_eq(wf_fixture_settle(&f, FIRST_OBJECTION(&f), "upheld", UPHELD_REASON), 0);
    s_expect_sent_back(&f);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_timer WHERE kind ="
                                        " 'notice_end' AND outcome = 'taken'"),
                 1);
    wf_fixture_stop(&f);
}

Test(management, the_objections_of_an_earlier_notice_do_not_hold_the_next_one)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    wf_fixture_to_notice(&f);
    cr_assert_eq(wf_fixture_object(&f, "基地东侧林地流转合同尚未经村民代表会议表决。"), 0);
    cr_assert_eq(wf_fixture_settle(&f, FIRST_OBJECTION(&f), "upheld", UPHELD_REASON), 0);
    s_close_notice(&f);
    s_expect_sent_back(&f);
    /* the province has the experts evaluate it again, and publishes it again */
    cr_assert_eq(wf_fixture_act(&f, "province_department", "130000", "province_assign", "", false),
                 0);
    char seated[8][16];
    int n = 0;
    PGresult *result = PQexec(f.node.db, "SELECT m.expert_code FROM panel_member m JOIN panel p"
                                         " ON p.id = m.panel_id WHERE m.declaration IS DISTINCT"
                                         " FROM 'conflict' AND p.id = (SELECT max(id) FROM panel)"
                                         " ORDER BY m.position");
    for (; n < PQntuples(result) && n < 8; n++)
        snprintf(seated[n], sizeof seated[n], "%s", PQgetvalue(result, n, 0));
    PQclear(result);
    cr_assert_eq(n, 5);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(wf_fixture_panel(&f, seated[i], "declare", "none", ""), 0);
        cr_assert_eq(wf_fixture_score(&f, seated[i], 85), 0);
    }
    cr_assert_eq(wf_fixture_act(&f, "province_department", "130000", "province_approve",
                                "补充土地流转材料后重新评估通过（85.00分），予以公示", false),
                 0);
    harness_clock_set(&f.node, NOTICE_CLOSE + 15 * DAY_MS);
    cr_assert(WAIT_STATE(&f, "filed"), "now at %s", wf_fixture_state(&f));
    wf_fixture_stop(&f);
}

/* ---- the managed years ---------------------------------------------------- */

/* When the base was filed (the notice's close, as kc-workflow took it). */
static long long s_filed_ms(wf_fixture_t *f)
{
    return harness_count(&f->node, "SELECT ceil(extract(epoch FROM at) * 1000)::bigint FROM"
                                   " workflow_step WHERE transition = 'notice_closed'");
}

/* A yearly assessment opens by itself at `at_ms`; the base reports, the
 * province passes it. */
static void s_assessed_year(wf_fixture_t *f, long long at_ms)
{
    harness_clock_set(&f->node, at_ms);
    cr_assert(WAIT_STATE(f, "assessment_due"), "now at %s", wf_fixture_state(f));
    cr_assert_eq(wf_fixture_act_as(f, "lizhenhua", "applicant", "130131", "annual_report_submit",
                                   "年度执行情况报告", true),
                 0);
    cr_assert_eq(wf_fixture_act(f, "province_department", "130000", "assessment_pass",
                                "年度目标全部完成，考核合格", false),
                 0);
    cr_assert_str_eq(wf_fixture_state(f), "filed");
}

static void s_filed(wf_fixture_t *f)
{
    wf_fixture_to_notice(f);
    harness_clock_set(&f->node, NOTICE_CLOSE);
    cr_assert(WAIT_STATE(f, "filed"), "the notice did not close by itself");
}

Test(management,
     the_overall_evaluation_opens_by_itself_after_three_years_instead_of_a_third_assessment)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    s_filed(&f);
    long long filed = s_filed_ms(&f);
    cr_assert_gt(filed, 0);
    /* nobody opens it at a day of their choosing */
    cr_expect_neq(wf_fixture_act(&f, "province_department", "130000", "overall_opens",
                                 "提前启动总体评估", false),
                  0);
    s_assessed_year(&f, filed + 366 * DAY_MS);
    s_assessed_year(&f, filed + 2 * 366 * DAY_MS);
    /* the third year's assessment is replaced by the evaluation, due when
     * the three years of construction are over */
    cr_expect_eq(harness_count(&f.node,
                               "SELECT count(*) FROM workflow_timer WHERE fired_ms IS NULL AND"
                               " kind = 'timer' AND transition = 'overall_opens' AND due_ms ="
                               " (SELECT ceil(extract(epoch FROM at) * 1000)::bigint FROM"
                               " workflow_step WHERE transition = 'notice_closed')"
                               " + 1095 * 86400000::bigint"),
                 1);
    harness_clock_set(&f.node, filed + 1095 * DAY_MS - 3600 * 1000);
    usleep(700 * 1000);
    cr_expect_str_eq(wf_fixture_state(&f), "filed");
    harness_clock_set(&f.node, filed + 1095 * DAY_MS + 60 * 1000);
    cr_assert(WAIT_STATE(&f, "overall_evaluation"), "now at %s", wf_fixture_state(&f));
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step WHERE transition ="
                                        " 'overall_opens' AND role = 'system' AND reason ="
                                        " '三年建设期满，启动总体评估'"),
                 1);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step WHERE transition ="
                                        " 'assessment_opens'"),
                 2, "a yearly assessment opened in the year of the overall evaluation");
    /* the evaluation's panel was drawn; everyone scores 95: 择优三年连续支持 */
    char seated[8][16];
    int n = 0;
    PGresult *result = PQexec(f.node.db, "SELECT m.expert_code FROM panel_member m JOIN panel p"
                                         " ON p.id = m.panel_id WHERE p.state ="
                                         " 'overall_evaluation' AND m.declaration IS DISTINCT"
                                         " FROM 'conflict' ORDER BY m.position");
    for (; n < PQntuples(result) && n < 8; n++)
        snprintf(seated[n], sizeof seated[n], "%s", PQgetvalue(result, n, 0));
    PQclear(result);
    cr_assert_eq(n, 5, "the overall evaluation's panel was not drawn");
    for (int i = 0; i < n; i++) {
        cr_assert_eq(wf_fixture_panel(&f, seated[i], "declare", "none", ""), 0);
        cr_assert_eq(wf_fixture_score(&f, seated[i], 95), 0);
    }
    cr_assert_eq(wf_fixture_act(&f, "province_department", "130000", "overall_continued",
                                "总体评估优秀（95.00分），择优三年连续支持", false),
                 0);
    cr_expect_str_eq(wf_fixture_state(&f), "filed");
    /* a new period: its first year ends in a yearly assessment again */
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_timer WHERE fired_ms IS"
                                        " NULL AND kind = 'timer' AND transition ="
                                        " 'assessment_opens'"),
                 1);
    wf_fixture_stop(&f);
}

Test(management, a_base_cannot_withdraw_while_it_rectifies_and_its_year_ends_by_itself)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    s_filed(&f);
    long long filed = s_filed_ms(&f);
    harness_clock_set(&f.node, filed + 366 * DAY_MS);
    cr_assert(WAIT_STATE(&f, "assessment_due"));
    cr_assert_eq(wf_fixture_act_as(&f, "lizhenhua", "applicant", "130131", "annual_report_submit",
                                   "年度执行情况报告", true),
                 0);
    cr_assert_eq(wf_fixture_act(&f, "province_department", "130000", "assessment_fail",
                                "年度目标完成不足六成，限期一年整改", false),
                 0);
    cr_assert_str_eq(wf_fixture_state(&f), "rectification");
    cr_expect_neq(wf_fixture_act_as(&f, "lizhenhua", "applicant", "130131", "withdraw",
                                    "主动退出示范基地建设", false),
                  0, "withdrew during the year of rectification");
    /* the year of rectification is armed: a year from the failed assessment */
    cr_expect_eq(harness_count(&f.node,
                               "SELECT count(*) FROM workflow_timer t JOIN workflow_step s ON"
                               " s.application_id = t.application_id AND s.version = t.version"
                               " WHERE t.state = 'rectification' AND t.transition ="
                               " 'rectification_due' AND t.due_ms = ceil(extract(epoch FROM"
                               " s.at) * 1000)::bigint + 365 * 86400000::bigint"),
                 1);
    harness_clock_set(&f.node, filed + 2 * 366 * DAY_MS);
    cr_assert(WAIT_STATE(&f, "rectification_review"), "now at %s", wf_fixture_state(&f));
    cr_expect_neq(wf_fixture_act_as(&f, "lizhenhua", "applicant", "130131", "withdraw",
                                    "主动退出示范基地建设", false),
                  0, "withdrew under rectification review");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM audit_entry WHERE NOT allowed AND"
                                        " action = 'workflow.act:withdraw'"),
                 2);
    cr_assert_eq(wf_fixture_act(&f, "province_department", "130000", "rectification_pass",
                                "整改到位，恢复正常考核", false),
                 0);
    /* back in the programme, it may leave again */
    cr_assert_eq(wf_fixture_act_as(&f, "lizhenhua", "applicant", "130131", "withdraw",
                                   "主动退出示范基地建设", false),
                 0);
    cr_expect_str_eq(wf_fixture_state(&f), "withdrawn");
    wf_fixture_stop(&f);
}
