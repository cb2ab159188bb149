/*  Integration tests of kc-notify: an application moved by kcctl through
 *  the real kc-workflow, and the in-app notifications the right people at
 *  each level receive from the real kc-notify, each exactly once, also
 *  across a kill -9.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "workflow_fixture.h"

TestSuite(notify, .timeout = 240);

static pid_t s_start(wf_fixture_t *f)
{
    wf_fixture_start(f, 1740963600000LL); /* 2025-03-03 09:00 CST */
    const char *rules[] = {"notify", "load", "deploy/notify/notify-v2.ini", NULL};
    cr_assert_eq(harness_kcctl(&f->node, rules), 0);
    const char *people[] = {"recipients", "load", "deploy/data/sample/recipients.csv", NULL};
    cr_assert_eq(harness_kcctl(&f->node, people), 0);
    return harness_notify_start(&f->node);
}

static long long s_count_for(wf_fixture_t *f, const char *user)
{
    const char *params[1] = {user};
    PGresult *result = PQexecParams(f->node.db,
                                    "SELECT count(*) FROM notification WHERE recipient_id = $1"
                                    " AND channel = 'inbox'",
                                    1, NULL, params, NULL, NULL, 0);
    long long n = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    PQclear(result);
    return n;
}

static void s_stop(wf_fixture_t *f, pid_t notify)
{
    kill(notify, SIGTERM);
    int status = 0;
    waitpid(notify, &status, 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "kc-notify did not stop cleanly");
    wf_fixture_stop(f);
}

/* The last event's notifications are in once kc-notify's cursor reaches it. */
static void s_caught_up(wf_fixture_t *f)
{
    for (int tries = 0; tries < 200; tries++) {
        if (harness_count(&f->node,
                          "SELECT count(*) FROM event_cursor c WHERE c.consumer ="
                          " 'kc-notify' AND c.last_seq = (SELECT max(seq) FROM event)") == 1)
            return;
        usleep(50 * 1000);
    }
    cr_assert_fail("kc-notify did not catch up with the event log");
}

Test(notify, each_level_hears_of_the_steps_that_concern_it_and_no_one_else)
{
    wf_fixture_t f;
    pid_t notify = s_start(&f);
    cr_assert_eq(wf_fixture_act_as(&f, "lizhenhua", "applicant", "130131", "submit", "申报", true),
                 0);
    cr_assert_eq(wf_fixture_act(&f, "county_bureau", "130131", "county_approve", "同意上报", false),
                 0);
    cr_assert_eq(
        wf_fixture_act(&f, "county_bureau", "130131", "county_return", "请补充材料", false), 1,
        "county_return from county_government_review is not a step");
    s_caught_up(&f);
    /* submit: the county bureau; approve: applicant, county bureau, county government, city */
    cr_expect_eq(s_count_for(&f, "wangfang"), 2);
    cr_expect_eq(s_count_for(&f, "lizhenhua"), 1);
    cr_expect_eq(s_count_for(&f, "zhaomin"), 1);
    cr_expect_eq(s_count_for(&f, "liuqiang"), 1);
    cr_expect_eq(s_count_for(&f, "chenjie"), 0, "唐山's bureau hears nothing of 平山县");
    cr_expect_eq(s_count_for(&f, "sunli"), 0, "the province is not concerned yet");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM notification WHERE channel ="
                                        " 'inbox' AND subject LIKE '【县政府审核同意】%'"
                                        " AND body LIKE '%平山县%'"),
                 4, "the subject names the state, the body the county");
    /* a notification shows the instant of its step (kc-workflow's clock,
     * here 2025), not the moment kc-notify wrote it */
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM notification n JOIN event e"
                                        " ON e.seq = n.event_seq JOIN workflow_step s"
                                        " ON s.at = e.occurred_at AND s.at = n.created_at"
                                        " WHERE e.type = 'ApplicationMoved'"),
                 harness_count(&f.node, "SELECT count(*) FROM notification"));
    /* the inbox through kc-notify: list, unread count, mark read */
    const char *list[] = {"notifications", "--user", "wangfang", "--unread", NULL};
    cr_expect_eq(harness_kcctl(&f.node, list), 0);
    char id[24];
    snprintf(id, sizeof id, "%lld",
             harness_count(&f.node, "SELECT max(id) FROM notification WHERE recipient_id ="
                                    " 'wangfang' AND channel = 'inbox'"));
    const char *read[] = {"notifications", "read", id, "--user", "wangfang", NULL};
    cr_expect_eq(harness_kcctl(&f.node, read), 0);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM notification WHERE recipient_id ="
                                        " 'wangfang' AND channel = 'inbox' AND read_at IS NULL"),
                 1);
    const char *other[] = {"notifications", "read", id, "--user", "chenjie", NULL};
    cr_expect_eq(harness_kcctl(&f.node, other), 0);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM notification WHERE read_at IS NOT"
                                        " NULL"),
                 1, "nobody marks another's notification read");
    s_stop(&f, notify);
}

Test(notify, the_first_request_after_the_database_ended_the_connection_is_answered)
{
    wf_fixture_t f;
    pid_t notify = s_start(&f);
    /* the server ends kc-notify's request connection, as a restart of
     * PostgreSQL does, while kc-notify is stopped: when it goes on, the
     * request waiting for it is the first to use the dead connection */
    kill(notify, SIGSTOP);
    cr_assert_eq(harness_count(&f.node, "SELECT (count(pg_terminate_backend(pid)) > 0)::int"
                                        "  FROM pg_stat_activity WHERE datname = current_database()"
                                        "   AND application_name = 'kc-notify'"),
                 1);
    pid_t waker = fork();
    cr_assert(waker >= 0);
    if (waker == 0) {
        usleep(500 * 1000); /* the request below is queued by then */
        kill(notify, SIGCONT);
        _exit(0);
    }
    const char *list[] = {"notifications", "--user", "wangfang", "--attempts", "1", NULL};
    cr_expect_eq(harness_kcctl(&f.node, list), 0, "the first request after it failed");
    waitpid(waker, NULL, 0);
    s_stop(&f, notify);
}

Test(notify, a_kill_9_in_a_burst_leaves_every_notification_exactly_once)
{
    wf_fixture_t f;
    pid_t notify = s_start(&f);
    /* a burst: 20 rounds of submit and return (each submit tells the county
     * bureau, each return the applicant and the county bureau) */
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(
            wf_fixture_act_as(&f, "lizhenhua", "applicant", "130131", "submit", "申报", true), 0);
        if (i == 10) {
            kill(notify, SIGKILL);
            waitpid(notify, NULL, 0);
        }
        const char *back[] = {"act",           f.ref,         "county_return", "--role",
                              "county_bureau", "--division",  "130131",        "--reason",
                              "请补充材料",    "--return-to", "drafting",      NULL};
        cr_assert_eq(harness_kcctl(&f.node, back), 0);
    }
    notify = harness_notify_start(&f.node);
    s_caught_up(&f);
    cr_expect_eq(s_count_for(&f, "wangfang"), 40);
    cr_expect_eq(s_count_for(&f, "lizhenhua"), 20);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM (SELECT event_seq, recipient_id"
                                        " FROM notification WHERE channel = 'inbox'"
                                        " GROUP BY 1, 2 HAVING count(*) > 1) d"),
                 0);
    s_stop(&f, notify);
}

Test(notify, a_county_hears_of_its_class_when_the_scores_are_published)
{
    wf_fixture_t f;
    pid_t notify = s_start(&f);
    /* what kcctl publish appends, one event per county of the run */
    Kc__V1__CountyClassPublished event = KC__V1__COUNTY_CLASS_PUBLISHED__INIT;
    event.run_id = 7;
    event.scope_code = "130000";
    event.year = 2023;
    event.county_code = "130131";
    event.class_ = "A";
    event.total = 8012;
    event.rank = 3;
    event.rank_in_city = 1;
    event.reward = 100;
    uint8_t payload[256];
    size_t size = kc__v1__county_class_published__pack(&event, payload);
    const char *values[2] = {"CountyClassPublished", (const char *)payload};
    int lengths[2] = {0, (int)size}, formats[2] = {0, 1};
    PGresult *result = PQexecParams(f.node.db,
                                    "SELECT kc_event_append($1, 'test-node', NULL, $2),"
                                    " pg_notify('kc_events', '')",
                                    2, NULL, values, lengths, formats, 0);
    cr_assert_eq(PQresultStatus(result), PGRES_TUPLES_OK, "%s", PQerrorMessage(f.node.db));
    PQclear(result);
    s_caught_up(&f);
    cr_expect_eq(harness_count(&f.node,
                               "SELECT count(*) FROM notification WHERE channel ="
                               " 'inbox' AND recipient_id IN ('wangfang', 'zhaomin')"
                               " AND subject = '【2023年度县域科技创新能力评价】平山县：A类'"
                               " AND body LIKE '%得分80.12%全省第3名、全市第1名%100万元%'"),
                 2);
    cr_expect_eq(s_count_for(&f, "liuqiang"), 0, "the class goes to the county");
    s_stop(&f, notify);
}
