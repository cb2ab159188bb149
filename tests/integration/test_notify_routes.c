/*  Every route of the shipped notification definition, fired by its event
 *  through the real kc-notify, reaches the right people: a submission and
 *  a deadline whoever holds the state (the applicant, the county
 *  government, a bureau, the province), an assessment opened, passed or
 *  failed with its rectification, the three-year grade, a commendation, a
 *  criticism, a deferred acceptance, a filing and the notices.
 *
 *  The events are appended to the event log as kc-workflow appends them
 *  (kc_event_append), for the sample application of 平山县 and the steps
 *  of the shipped procedures, so that each route is fired by the step it
 *  is for whatever the walk it takes to get there; the procedures'
 *  behaviour itself is walked in test_workflow_definitions.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "kc/v1/events.pb-c.h"
#include "workflow_fixture.h"

TestSuite(notify_routes, .timeout = 240);

/* The people of deploy/data/sample/recipients.csv concerned with 平山县;
 * lists are in byte order of their user ids. */
#define APPLICANT  "lizhenhua"
#define BUREAU     "wangfang"
#define GOVERNMENT "zhaomin"
#define CITY       "liuqiang"
#define PROVINCE   "sunli"
#define EVERYONE   "liuqiang,lizhenhua,sunli,wangfang,zhaomin"

static wf_fixture_t s_f;
static pid_t s_notify;
static char s_public_dir[320]; /* where kc-notify writes the public notices */

static void s_start(void)
{
    wf_fixture_start(&s_f, 1740963600000LL); /* 2025-03-03 09:00 CST */
    const char *definitions[] = {"deploy/workflow/innovative-county-v1.ini",
                                 "deploy/workflow/specialised-town-v1.ini"};
    for (size_t i = 0; i < 2; i++) {
        const char *load[] = {"process", "load", definitions[i], NULL};
        cr_assert_eq(harness_kcctl(&s_f.node, load), 0);
    }
    const char *rules[] = {"notify", "load", "deploy/notify/notify-v2.ini", NULL};
    cr_assert_eq(harness_kcctl(&s_f.node, rules), 0);
    const char *people[] = {"recipients", "load", "deploy/data/sample/recipients.csv", NULL};
    cr_assert_eq(harness_kcctl(&s_f.node, people), 0);
    snprintf(s_public_dir, sizeof s_public_dir, "%s.public", s_f.node.log_path);
    cr_assert(mkdir(s_public_dir, 0755) == 0 || errno == EEXIST);
    setenv("KC_PUBLIC_DIR", s_public_dir, 1); /* this test's process only */
    s_notify = harness_notify_start(&s_f.node);
}

/* The public notice of event `seq` as the site would publish it ("" if none). */
static const char *s_public_notice(long long seq)
{
    static char text[8192];
    char path[400];
    snprintf(path, sizeof path, "%s/notice-%lld.html", s_public_dir, seq);
    text[0] = '\0';
    FILE *file = fopen(path, "r");
    if (file) {
        size_t n = fread(text, 1, sizeof text - 1, file);
        text[n] = '\0';
        fclose(file);
    }
    return text;
}

static void s_stop(void)
{
    kill(s_notify, SIGTERM);
    int status = 0;
    waitpid(s_notify, &status, 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "kc-notify did not stop cleanly");
    wf_fixture_stop(&s_f);
}

static long long s_append(const char *type, const uint8_t *payload, size_t size)
{
    char seq_text[24];
    const char *params[2] = {type, (const char *)payload};
    int lengths[2] = {0, (int)size}, formats[2] = {0, 1};
    PGresult *result =
        PQexecParams(s_f.node.db, "SELECT kc_event_append($1, 'test', NULL, $2::bytea)", 2, NULL,
                     params, lengths, formats, 0);
    cr_assert_eq(PQresultStatus(result), PGRES_TUPLES_OK, "%s", PQerrorMessage(s_f.node.db));
    snprintf(seq_text, sizeof seq_text, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
    return strtoll(seq_text, NULL, 10);
}

/* An application's step, as kc-workflow tells it. */
static long long s_moved(const char *definition, const char *transition, const char *decision,
                         const char *from, const char *to)
{
    Kc__V1__ApplicationMoved moved = KC__V1__APPLICATION_MOVED__INIT;
    moved.application_ref = s_f.ref;
    moved.county_code = "130131";
    moved.definition = (char *)definition;
    moved.transition = (char *)transition;
    moved.decision = (char *)decision;
    moved.from_state = (char *)from;
    moved.to_state = (char *)to;
    moved.role = "province_department";
    moved.division_code = "130000";
    moved.reason = "经审核，意见如下";
    moved.version = 2;
    if (strstr(to, "notice"))
        moved.notice_end_ms = 1741622400000LL; /* 2025-03-10 24:00 CST */
    uint8_t payload[1024];
    size_t size = kc__v1__application_moved__pack(&moved, payload);
    return s_append("ApplicationMoved", payload, size);
}

static long long s_deadline(const char *state, const char *level)
{
    Kc__V1__DeadlineReached deadline = KC__V1__DEADLINE_REACHED__INIT;
    deadline.application_ref = s_f.ref;
    deadline.county_code = "130131";
    deadline.state = (char *)state;
    deadline.level = (char *)level;
    deadline.kind = "approaching";
    deadline.due_ms = 1741622400000LL;
    uint8_t payload[512];
    size_t size = kc__v1__deadline_reached__pack(&deadline, payload);
    return s_append("DeadlineReached", payload, size);
}

static void s_caught_up(void)
{
    cr_assert_eq(harness_wait_count(&s_f.node,
                                    "SELECT count(*) FROM event_cursor c WHERE c.consumer ="
                                    " 'kc-notify' AND c.last_seq = (SELECT max(seq) FROM event)",
                                    1, 10000),
                 1, "kc-notify did not catch up with the event log");
}

/* The event's in-app notifications went through `route` to exactly
 * `people` (user ids in order), and their subject holds `words`. */
static void s_expect(long long seq, const char *route, const char *people, const char *words)
{
    char seq_text[24];
    snprintf(seq_text, sizeof seq_text, "%lld", seq);
    const char *params[3] = {seq_text, route, words};
    PGresult *result = PQexecParams(
        s_f.node.db,
        "SELECT coalesce(string_agg(recipient_id, ',' ORDER BY recipient_id COLLATE \"C\"), ''),"
        "       count(*) FILTER (WHERE route <> $2),"
        "       count(*) FILTER (WHERE strpos(subject || body, $3) = 0)"
        "  FROM notification WHERE event_seq = $1::bigint AND channel = 'inbox'",
        3, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(result), PGRES_TUPLES_OK, "%s", PQerrorMessage(s_f.node.db));
    cr_expect_str_eq(PQgetvalue(result, 0, 0), people, "route %s told %s, not %s", route,
                     PQgetvalue(result, 0, 0), people);
    cr_expect_str_eq(PQgetvalue(result, 0, 1), "0", "another route than %s told someone", route);
    cr_expect_str_eq(PQgetvalue(result, 0, 2), "0", "route %s does not say %s", route, words);
    PQclear(result);
}

Test(notify_routes, a_submission_reaches_the_level_that_must_act)
{
    s_start();
    long long to_county =
        s_moved("mountain-base-v1", "submit", "submit", "drafting", "county_review");
    long long report = s_moved("mountain-base-v1", "annual_report_submit", "submit",
                               "assessment_due", "assessment");
    long long rectified = s_moved("mountain-base-v1", "rectification_submit", "submit",
                                  "rectification", "rectification_review");
    long long to_government = s_moved("innovative-county-v1", "county_submit", "submit",
                                      "county_preparation", "county_government_review");
    s_caught_up();
    s_expect(to_county, "submitted", BUREAU, "县科技管理部门");
    s_expect(report, "submitted", PROVINCE, "待办");
    s_expect(rectified, "submitted", PROVINCE, "整改");
    s_expect(to_government, "submitted", GOVERNMENT, "县政府");
    s_stop();
}

Test(notify_routes, assessments_their_results_and_the_three_year_grade_are_told)
{
    s_start();
    long long opened =
        s_moved("mountain-base-v1", "assessment_opens", "open", "filed", "assessment_due");
    long long passed =
        s_moved("mountain-base-v1", "assessment_pass", "pass", "assessment", "filed");
    long long failed =
        s_moved("mountain-base-v1", "assessment_fail", "fail", "assessment", "rectification");
    long long graded = s_moved("mountain-base-v1", "overall_excellent", "rate",
                               "overall_evaluation", "evaluated_excellent");
    long long filed =
        s_moved("mountain-base-v1", "notice_closed", "file", "public_notice", "filed");
    long long notice = s_moved("mountain-base-v1", "province_approve", "approve", "expert_review",
                               "public_notice");
    s_caught_up();
    s_expect(opened, "opened", "lizhenhua,wangfang", "年度考核");
    s_expect(passed, "passed", "liuqiang,lizhenhua,wangfang,zhaomin", "年度考核合格");
    s_expect(failed, "failed", EVERYONE, "限期一年整改");
    s_expect(graded, "rated", EVERYONE, "总体评估优秀");
    s_expect(filed, "filed", EVERYONE, "予以备案");
    s_expect(notice, "notice", EVERYONE, "专家评估通过，结果公示");
    /* the notice is published for the public, as a file the site publishes */
    const char *published = s_public_notice(notice);
    cr_expect(strstr(published, "现予公示，公示期至 2025-03-10"), "%s", published);
    cr_expect(strstr(published, "平山县"), "%s", published);
    cr_expect_str_eq(s_public_notice(passed), "", "only a notice is published");
    s_stop();
}

Test(notify_routes, commendation_pass_and_criticism_are_told_apart)
{
    s_start();
    long long commended = s_moved("innovative-county-v1", "monitoring_commend", "commend",
                                  "monitoring", "designated");
    long long passed =
        s_moved("innovative-county-v1", "monitoring_pass", "pass", "monitoring", "designated");
    long long criticised = s_moved("innovative-county-v1", "monitoring_criticise", "criticise",
                                   "monitoring", "rectification");
    long long opened =
        s_moved("innovative-county-v1", "monitoring_opens", "open", "designated", "monitoring_due");
    s_caught_up();
    s_expect(commended, "commended", EVERYONE, "【表彰】");
    s_expect(passed, "passed", "liuqiang,lizhenhua,wangfang,zhaomin", "监测评估合格");
    s_expect(criticised, "criticised", EVERYONE, "【通报批评】");
    s_expect(opened, "opened", BUREAU, "监测评估");
    s_stop();
}

Test(notify_routes, a_deferred_acceptance_and_the_recognition_notice_are_told)
{
    s_start();
    long long deferred = s_moved("specialised-town-v1", "acceptance_defer", "fail",
                                 "acceptance_review", "acceptance_due");
    long long notice = s_moved("specialised-town-v1", "acceptance_pass", "approve",
                               "acceptance_review", "recognition_notice");
    s_caught_up();
    s_expect(deferred, "deferred", EVERYONE, "【验收暂不通过】");
    s_expect(notice, "recognition_notice", EVERYONE, "2025-03-10");
    cr_expect(strstr(s_public_notice(notice), "验收评价通过，拟认定并公示"));
    s_stop();
}

Test(notify_routes, a_deadline_reaches_whoever_holds_the_state_and_the_levels_above)
{
    s_start();
    long long government = s_deadline("county_government_review", "county");
    long long applicant = s_deadline("rectification", "county");
    long long province = s_deadline("province_review", "province");
    s_caught_up();
    s_expect(government, "deadline", "liuqiang,sunli,wangfang,zhaomin", "即将到期");
    s_expect(applicant, "deadline", "liuqiang,lizhenhua,sunli,wangfang", "即将到期");
    s_expect(province, "deadline", "liuqiang,sunli,wangfang", "即将到期");
    /* nothing told holds an English word: only the reference is Latin */
    cr_expect_eq(harness_count(&s_f.node, "SELECT count(*) FROM notification WHERE"
                                          " replace(subject || body, application_ref, '')"
                                          " ~ '[A-Za-z]'"),
                 0);
    s_stop();
}
