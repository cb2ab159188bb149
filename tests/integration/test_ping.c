/*  `kcctl ping` against a real node: kc-intake, kc-workflow and kc-notify
 *  asked at once, the one that is stopped named with its endpoint and the
 *  exit status 1 while the others still answer, and the last event as the
 *  contract has it: -1 on a fresh node, the log's head once there is one.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "requests.h"

static harness_node_t s_node;

static void s_start(void)
{
    harness_node_start(&s_node);
}

static void s_stop(void)
{
    harness_node_stop(&s_node);
}

TestSuite(ping, .init = s_start, .fini = s_stop, .timeout = 120);

/* "<daemon> of node test-node at <endpoint> answered": the line a daemon
 * that answered gets. */
static bool s_answered(const char *said, const char *daemon, const char *endpoint)
{
    char line[160];
    snprintf(line, sizeof line, "%s of node test-node at %s answered in ", daemon, endpoint);
    return strstr(said, line) != NULL;
}

Test(ping, a_fresh_node_has_no_last_event_and_one_stored_value_makes_the_head)
{
    const char *ping[] = {"ping", NULL};
    int status = -1;
    char *said = harness_kcctl_output(&s_node, ping, &status);
    cr_expect_eq(status, 0, "%s", said);
    cr_expect(s_answered(said, "kc-intake", s_node.endpoint), "%s", said);
    cr_expect(strstr(said, "; last event -1\n"), "a fresh node: %s", said);
    free(said);

    requests_batch_t *batch = malloc(sizeof *batch);
    requests_batch_init(batch, "samr");
    requests_batch_add(batch, "130131", 2023, "I12", 2.5);
    kc_envelope_t *reply = requests_send_batch(&s_node, batch, "ping-one-value");
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    kc_bus_free(&reply);
    free(batch);
    long long head = harness_count(&s_node, "SELECT last_seq FROM event_log_head");
    cr_assert_geq(head, 1);
    char expected[64];
    snprintf(expected, sizeof expected, "; last event %lld\n", head);
    said = harness_kcctl_output(&s_node, ping, &status);
    cr_expect_eq(status, 0, "%s", said);
    cr_expect(strstr(said, expected), "expected '%s' in: %s", expected, said);
    free(said);
}

Test(ping, names_the_daemon_that_is_stopped_and_its_endpoint_and_fails)
{
    pid_t workflow = harness_workflow_start(&s_node);
    pid_t notify = harness_notify_start(&s_node);
    const char *ping[] = {"ping", "intake", "workflow", "notify", NULL};
    int status = -1;
    char *said = harness_kcctl_output(&s_node, ping, &status);
    cr_expect_eq(status, 0, "every daemon runs: %s", said);
    cr_expect(s_answered(said, "kc-workflow", s_node.workflow), "%s", said);
    cr_expect(s_answered(said, "kc-notify", s_node.notify), "%s", said);
    free(said);

    cr_assert_eq(kill(workflow, SIGTERM), 0);
    int exited = 0;
    cr_assert_eq(waitpid(workflow, &exited, 0), workflow);
    said = harness_kcctl_output(&s_node, ping, &status);
    cr_expect_eq(status, 1, "kc-workflow is stopped: %s", said);
    char silent[160];
    snprintf(silent, sizeof silent, "error: kc-workflow at %s did not answer within ",
             s_node.workflow);
    cr_expect(strstr(said, silent), "expected '%s' in: %s", silent, said);
    cr_expect(strstr(said, "[bus.no_answer]"), "%s", said);
    /* the others are still asked and still answer */
    cr_expect(s_answered(said, "kc-intake", s_node.endpoint), "%s", said);
    cr_expect(s_answered(said, "kc-notify", s_node.notify), "%s", said);
    cr_expect(!s_answered(said, "kc-workflow", s_node.workflow), "%s", said);
    free(said);

    /* the workflow endpoint asked for kc-intake: the wrong daemon is named */
    const char *wrong[] = {"ping", "workflow", "--endpoint", s_node.endpoint, NULL};
    said = harness_kcctl_output(&s_node, wrong, &status);
    cr_expect_eq(status, 1, "%s", said);
    cr_expect(strstr(said, "error: kc-intake answered at "), "%s", said);
    free(said);

    kill(notify, SIGTERM);
    waitpid(notify, &exited, 0);
}
