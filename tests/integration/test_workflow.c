/*  Integration tests of kc-workflow: a real mountain-base application
 *  (sent through kc-intake by kcctl, as an applicant would) moved through
 *  the shipped procedure by kcctl acting as each role in turn, against
 *  real kc-intake and kc-workflow processes and a real PostgreSQL.
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

TestSuite(workflow, .timeout = 180);

Test(workflow, an_application_climbs_from_the_applicant_to_the_expert_review)
{
    wf_fixture_t f;
    wf_fixture_start(&f, 0);
    cr_expect_str_eq(wf_fixture_state(&f), "drafting");
    cr_assert_eq(wf_fixture_act(&f, "applicant", "130131", "submit", "按申报通知如实填报", true),
                 0);
    cr_assert_eq(
        wf_fixture_act(&f, "county_bureau", "130131", "county_approve", "材料齐全，同意", false),
        0);
    cr_assert_eq(
        wf_fixture_act(&f, "county_government", "130131", "county_consent", "县政府同意", true), 0);
    cr_assert_eq(wf_fixture_act(&f, "city_bureau", "130100", "city_recommend", "推荐上报", true),
                 0);
    cr_assert_eq(wf_fixture_act(&f, "province_department", "130000", "province_assign",
                                "组织专家评估", false),
                 0);
    cr_expect_str_eq(wf_fixture_state(&f), "expert_review");
    /* the panel's scores are not in: the decision that needs them waits */
    cr_expect_neq(
        wf_fixture_act(&f, "province_department", "130000", "province_approve", "通过", false), 0);
    cr_expect_str_eq(wf_fixture_state(&f), "expert_review");
    /* five steps, five ApplicationMoved events, every attempt audited */
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step"), 5);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM event WHERE type ="
                                        " 'ApplicationMoved'"),
                 5);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM audit_entry WHERE allowed"
                                        " AND action LIKE 'workflow.%'"),
                 5);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM audit_entry WHERE NOT allowed"), 1);
    const char *history[] = {"history",    f.ref,    "--role", "province_department",
                             "--division", "130000", NULL};
    cr_expect_eq(harness_kcctl(&f.node, history), 0);
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&f.node, verify), 0);
    wf_fixture_stop(&f);
}

Test(workflow, only_the_right_role_at_the_right_place_may_act_and_every_attempt_is_audited)
{
    wf_fixture_t f;
    wf_fixture_start(&f, 0);
    cr_assert_eq(wf_fixture_act(&f, "applicant", "130131", "submit", "申报", true), 0);
    /* another county's bureau, the city acting at the county's step, a county
     * bureau without a reason: all refused, nothing moves */
    cr_expect_neq(wf_fixture_act(&f, "county_bureau", "130132", "county_approve", "同意", false),
                  0);
    cr_expect_neq(wf_fixture_act(&f, "city_bureau", "130100", "county_approve", "同意", false), 0);
    cr_expect_neq(wf_fixture_act(&f, "county_bureau", "130131", "county_approve", "", false), 0);
    cr_expect_neq(wf_fixture_act(&f, "county_bureau", "130131", "no_such_step", "同意", false), 0);
    cr_expect_str_eq(wf_fixture_state(&f), "county_review");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM audit_entry WHERE NOT allowed"), 4);
    /* a city of another province may not even see the history */
    const char *history[] = {"history",    f.ref,    "--role", "city_bureau",
                             "--division", "140100", NULL};
    cr_expect_neq(harness_kcctl(&f.node, history), 0);
    /* a return to an earlier step, with its reason */
    cr_assert_eq(wf_fixture_act(&f, "county_bureau", "130131", "county_approve", "同意", false), 0);
    const char *back[] = {"act",
                          f.ref,
                          "county_government_return",
                          "--role",
                          "county_government",
                          "--division",
                          "130131",
                          "--reason",
                          "实施方案需补充",
                          "--return-to",
                          "drafting",
                          NULL};
    cr_expect_eq(harness_kcctl(&f.node, back), 0);
    cr_expect_str_eq(wf_fixture_state(&f), "drafting");
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&f.node, verify), 0);
    wf_fixture_stop(&f);
}

Test(workflow, of_two_officials_acting_at_once_exactly_one_wins)
{
    wf_fixture_t f;
    wf_fixture_start(&f, 0);
    cr_assert_eq(wf_fixture_act(&f, "applicant", "130131", "submit", "申报", true), 0);
    pid_t children[2];
    const char *steps[2] = {"county_approve", "county_reject"};
    for (int i = 0; i < 2; i++) {
        children[i] = fork();
        cr_assert(children[i] >= 0);
        if (children[i] == 0)
            _exit(wf_fixture_act(&f, "county_bureau", "130131", steps[i], "意见", false));
    }
    int wins = 0;
    for (int i = 0; i < 2; i++) {
        int status = 0;
        waitpid(children[i], &status, 0);
        wins += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    cr_expect_eq(wins, 1, "exactly one of two concurrent decisions wins");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step"), 2);
    /* a retried command (same key) is answered with its first answer */
    const char *once[] = {"act",
                          f.ref,
                          "county_consent",
                          "--role",
                          "county_government",
                          "--division",
                          "130131",
                          "--reason",
                          "同意",
                          "--attest",
                          "--key",
                          "k-1",
                          NULL};
    if (strcmp(wf_fixture_state(&f), "county_government_review") == 0) {
        cr_expect_eq(harness_kcctl(&f.node, once), 0);
        cr_expect_eq(harness_kcctl(&f.node, once), 0);
        cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step"), 3);
    }
    wf_fixture_stop(&f);
}

/* The step that moves the application on from where it is now, in the
 * cycle drafting -> submit -> county_review -> county_return -> drafting. */
static int s_next_step(wf_fixture_t *fixture, const char *timeout)
{
    bool drafting = strcmp(wf_fixture_state(fixture), "drafting") == 0;
    const char *submit[] = {"act",        fixture->ref, "submit",     "--role", "applicant",
                            "--division", "130131",     "--reason",   "申报",   "--attest",
                            "--timeout",  timeout,      "--attempts", "1",      NULL};
    const char *back[] = {
        "act",        fixture->ref, "county_return", "--role",     "county_bureau",
        "--division", "130131",     "--reason",      "请补充材料", "--return-to",
        "drafting",   "--timeout",  timeout,         "--attempts", "1",
        NULL};
    return harness_kcctl(&fixture->node, drafting ? submit : back);
}

Test(workflow, a_kill_9_mid_stream_leaves_state_steps_events_and_audit_in_agreement)
{
    wf_fixture_t f;
    wf_fixture_start(&f, 0);
    pid_t actor = fork();
    cr_assert(actor >= 0);
    if (actor == 0) { /* keeps acting until kc-workflow is gone */
        /* a connection of its own: the parent's is shared with it by fork */
        f.node.db = PQconnectdb(f.node.conninfo);
        int failures = 0;
        for (int i = 0; i < 400 && failures < 3; i++)
            failures += s_next_step(&f, "300") != 0;
        _exit(0);
    }
    cr_assert_geq(
        harness_wait_count(&f.node, "SELECT least(count(*), 12) FROM workflow_step", 12, 30000),
        12);
    kill(f.workflow, SIGKILL);
    waitpid(f.workflow, NULL, 0);
    waitpid(actor, NULL, 0);
    /* whatever instant the kill hit, every step is whole: its state, its
     * event and its audit entry, or none of them */
    long long steps = harness_count(&f.node, "SELECT count(*) FROM workflow_step");
    cr_expect_eq(harness_count(&f.node, "SELECT version - 1 FROM workflow_instance"), steps);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM event WHERE type ="
                                        " 'ApplicationMoved'"),
                 steps);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM audit_entry WHERE allowed"
                                        " AND action LIKE 'workflow.%'"),
                 steps);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_instance w"
                                        " WHERE w.state <> (SELECT to_state FROM workflow_step s"
                                        "  WHERE s.application_id = w.application_id"
                                        "  ORDER BY version DESC LIMIT 1)"),
                 0);
    /* and a restarted kc-workflow carries on from there */
    f.workflow = harness_workflow_start(&f.node);
    cr_expect_eq(s_next_step(&f, "5000"), 0);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_step"), steps + 1);
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&f.node, verify), 0);
    wf_fixture_stop(&f);
}
