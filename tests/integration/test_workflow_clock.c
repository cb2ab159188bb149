/*  Integration tests of kc-workflow's one clock: a step, its event and its
 *  audit entry show one instant; the host's wall clock set back an hour
 *  (the test's clock file, the only fake) never puts a step before the one
 *  before it, across a restart too; the jump is logged once; and a
 *  deadline armed before the jump warns and passes at its real instant,
 *  once each. Real kc-intake and kc-workflow processes, real PostgreSQL,
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
#include "kc/kc_clock.h"
#include "kc/v1/events.pb-c.h"
#include "workflow_fixture.h"

TestSuite(clock, .timeout = 240);

#define HOUR_MS     (3600 * 1000LL)
#define MONDAY_0900 1740963600000LL /* 2025-03-03 09:00 CST, a Monday */
#define JUMP_LOGGED "behind this node's instants"

/* The host's real time as the clock file tells it (its steady clock, which
 * the test started at the wall's reading). */
static long long s_real_now(const wf_fixture_t *f)
{
    char path[300];
    snprintf(path, sizeof path, "%s.clock", f->node.log_path);
    int64_t wall = 0, steady = 0;
    cr_assert_eq(kc_clock_read_file(path, &wall, &steady), 0);
    return (long long)steady;
}

/* Let real time run on to `instant` (the wall clock runs with it). */
static void s_real_time_reaches(const wf_fixture_t *f, long long instant)
{
    long long by = instant - s_real_now(f);
    harness_clock_move(&f->node, by, by);
}

/* How many lines of the node's log tell of a clock behind the instants. */
static int s_jumps_logged(const wf_fixture_t *f)
{
    FILE *log = fopen(f->node.log_path, "r");
    cr_assert_not_null(log);
    char line[2048];
    int count = 0;
    while (fgets(line, sizeof line, log))
        count += strstr(line, JUMP_LOGGED) != NULL;
    fclose(log);
    return count;
}

/* The sample application again under another base's name (one base is
 * one application), submitted by its applicant; its reference into `ref`
 * once it is in its procedure. */
static void s_submit_another(wf_fixture_t *f, char ref[32])
{
    static const char name[] = "平山县太行山区食用菌科技示范基地";
    FILE *sample = fopen("deploy/data/sample/sample-application.json", "r");
    cr_assert_not_null(sample);
    char text[65536];
    size_t size = fread(text, 1, sizeof text - 1, sample);
    fclose(sample);
    text[size] = '\0';
    char *at = strstr(text, name);
    cr_assert_not_null(at);
    char path[300];
    snprintf(path, sizeof path, "%s.second.json", f->node.log_path);
    FILE *second = fopen(path, "w");
    cr_assert_not_null(second);
    fprintf(second, "%.*s平山县太行山区中药材科技示范基地%s", (int)(at - text), text,
            at + strlen(name));
    fclose(second);
    wf_fixture_submit_file(&f->node, path);
    cr_assert_eq(harness_wait_count(&f->node, "SELECT count(*) FROM workflow_instance", 2, 10000),
                 2);
    PGresult *result = PQexecParams(f->node.db, "SELECT ref FROM application WHERE ref <> $1", 1,
                                    NULL, (const char *const[]){f->ref}, NULL, NULL, 0);
    snprintf(ref, 32, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
}

/* kcctl act on application `ref` as `role` of `division`. */
static int s_act(wf_fixture_t *f, const char *ref, const char *role, const char *division,
                 const char *transition, bool attest)
{
    wf_fixture_t other = *f;
    snprintf(other.ref, sizeof other.ref, "%s", ref);
    return wf_fixture_act(&other, role, division, transition, "同意", attest);
}

/* Every step in the order it was taken (its audit entry's id) is no
 * earlier than the one before, and shows the same instant as its audit
 * entry; returns the last step's instant (ms). */
static long long s_steps_in_order(const wf_fixture_t *f, int expected)
{
    PGresult *steps =
        PQexec(f->node.db, "SELECT (extract(epoch FROM s.at) * 1000)::bigint,"
                           "       (extract(epoch FROM e.at) * 1000)::bigint, p.ref, s.transition"
                           "  FROM workflow_step s JOIN application p ON p.id = s.application_id"
                           "  JOIN audit_entry e ON e.target = p.ref AND e.allowed"
                           "   AND e.action = 'workflow.act:' || s.transition"
                           " ORDER BY e.id");
    cr_assert_eq(PQresultStatus(steps), PGRES_TUPLES_OK, "%s", PQerrorMessage(f->node.db));
    cr_assert_eq(PQntuples(steps), expected, "one audit entry per step");
    long long last = 0;
    for (int i = 0; i < PQntuples(steps); i++) {
        long long at = strtoll(PQgetvalue(steps, i, 0), NULL, 10);
        cr_expect_eq(at, strtoll(PQgetvalue(steps, i, 1), NULL, 10),
                     "%s of %s: the step and its audit entry show one instant",
                     PQgetvalue(steps, i, 3), PQgetvalue(steps, i, 2));
        cr_expect_geq(at, last, "%s of %s comes before the step before it", PQgetvalue(steps, i, 3),
                      PQgetvalue(steps, i, 2));
        last = at;
    }
    PQclear(steps);
    return last;
}

/* Each ApplicationMoved event shows the instant of the step it tells of. */
static void s_events_show_their_steps(const wf_fixture_t *f, int expected)
{
    PGresult *events = PQexec(f->node.db, "SELECT (extract(epoch FROM occurred_at) * 1000)::bigint,"
                                          " payload FROM event WHERE type = 'ApplicationMoved'"
                                          " ORDER BY seq");
    cr_assert_eq(PQntuples(events), expected);
    for (int i = 0; i < PQntuples(events); i++) {
        size_t size = 0;
        unsigned char *bytes =
            PQunescapeBytea((const unsigned char *)PQgetvalue(events, i, 1), &size);
        Kc__V1__ApplicationMoved *moved = kc__v1__application_moved__unpack(NULL, size, bytes);
        cr_assert_not_null(moved);
        char version[16];
        snprintf(version, sizeof version, "%d", moved->version);
        const char *params[3] = {moved->application_ref, version, PQgetvalue(events, i, 0)};
        PGresult *step = PQexecParams(f->node.db,
                                      "SELECT count(*) FROM workflow_step s JOIN application p"
                                      " ON p.id = s.application_id WHERE p.ref = $1"
                                      " AND s.version = $2::int"
                                      " AND (extract(epoch FROM s.at) * 1000)::bigint = $3::bigint",
                                      3, NULL, params, NULL, NULL, 0);
        cr_expect_str_eq(PQgetvalue(step, 0, 0), "1",
                         "the event of step %s of %s shows another instant than the step", version,
                         moved->application_ref);
        PQclear(step);
        kc__v1__application_moved__free_unpacked(moved, NULL);
        PQfreemem(bytes);
    }
    PQclear(events);
}

#define DEADLINES_RAISED                                                                           \
    "SELECT count(*) FROM workflow_timer WHERE kind LIKE 'deadline%' AND outcome = 'raised'"

/* The deadlines still to come (warnings and passings), in order; how many. */
static int s_deadlines(const wf_fixture_t *f, long long *due, int max)
{
    PGresult *result = PQexec(f->node.db, "SELECT due_ms FROM workflow_timer WHERE kind LIKE"
                                          " 'deadline%' AND fired_ms IS NULL ORDER BY due_ms");
    int n = PQntuples(result) < max ? PQntuples(result) : max;
    for (int i = 0; i < n; i++)
        due[i] = strtoll(PQgetvalue(result, i, 0), NULL, 10);
    PQclear(result);
    return n;
}

Test(clock, a_clock_set_back_an_hour_keeps_steps_in_order_and_a_deadline_at_its_real_instant)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    /* a second application, to take steps while the first one's deadline waits */
    char other[32];
    s_submit_another(&f, other);

    /* the county bureau has 10 working days: warned 2 before, then passed */
    cr_assert_eq(s_act(&f, f.ref, "applicant", "130131", "submit", true), 0);
    long long armed[2];
    cr_assert_eq(s_deadlines(&f, armed, 2), 2);
    cr_assert_eq(s_jumps_logged(&f), 0);

    /* the host's clock is set back an hour; steps go on */
    harness_clock_move(&f.node, -HOUR_MS, 0);
    cr_assert_eq(s_act(&f, other, "applicant", "130131", "submit", true), 0);
    cr_assert_eq(s_act(&f, other, "county_bureau", "130131", "county_approve", false), 0);
    s_steps_in_order(&f, 3);
    s_events_show_their_steps(&f, 3);
    cr_expect_eq(s_jumps_logged(&f), 1, "the jump is logged once, not at every step");

    /* a minute before the first warning's real instant (armed before the
     * jump; the wall an hour behind) nothing is raised */
    long long due[4];
    cr_assert_eq(s_deadlines(&f, due, 4), 4, "the first application's two, the other's two");
    cr_assert_eq(due[0], armed[0]);
    s_real_time_reaches(&f, due[0] - 60000);
    usleep(700 * 1000);
    cr_expect_eq(harness_count(&f.node, DEADLINES_RAISED), 0, "warned a minute early");
    /* each at its real instant (a day's end: the two applications' fall
     * together), the wall still reading an hour before it */
    for (int i = 0; i < 4; i++) {
        int by_then = i;
        while (by_then < 4 && due[by_then] == due[i])
            by_then++;
        s_real_time_reaches(&f, due[i]);
        cr_assert_eq(harness_wait_count(&f.node, DEADLINES_RAISED, by_then, 5000), by_then,
                     "deadline %d did not come at its real instant", i + 1);
        i = by_then - 1;
    }
    /* the wall reaching their instants too raises nothing again */
    harness_clock_move(&f.node, HOUR_MS, 0);
    cr_expect_eq(harness_wait_count(&f.node, DEADLINES_RAISED, 5, 1000), 4, "raised twice");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM event WHERE type ="
                                        " 'DeadlineReached'"),
                 4);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM workflow_timer t"
                                        " WHERE t.outcome = 'raised' AND t.fired_ms >= t.due_ms"
                                        "   AND EXISTS (SELECT 1 FROM event e WHERE e.type ="
                                        "   'DeadlineReached' AND (extract(epoch FROM"
                                        "   e.occurred_at) * 1000)::bigint = t.fired_ms)"),
                 4, "a deadline's event shows the instant its timer fired, not before it");

    /* the first application's next step comes after its deadline's events */
    cr_assert_eq(s_act(&f, f.ref, "county_bureau", "130131", "county_approve", false), 0);
    cr_expect_geq(s_steps_in_order(&f, 4), armed[1]);
    cr_expect_eq(s_jumps_logged(&f), 1);
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&f.node, verify), 0);
    wf_fixture_stop(&f);
}

Test(clock, a_restart_under_a_clock_set_back_goes_on_from_the_last_step)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    char other[32];
    s_submit_another(&f, other);
    cr_assert_eq(s_act(&f, f.ref, "applicant", "130131", "submit", true), 0);
    cr_assert_eq(s_act(&f, f.ref, "county_bureau", "130131", "county_approve", false), 0);
    /* kc-workflow stops, the clock is set back an hour, it starts again */
    kill(f.workflow, SIGTERM);
    int status = 0;
    waitpid(f.workflow, &status, 0);
    harness_clock_move(&f.node, -HOUR_MS, 0);
    f.workflow = harness_workflow_start(&f.node);
    /* the other application's first step, then the first one's next */
    cr_assert_eq(s_act(&f, other, "applicant", "130131", "submit", true), 0);
    cr_assert_eq(s_act(&f, f.ref, "county_government", "130131", "county_consent", true), 0);
    s_steps_in_order(&f, 4);
    s_events_show_their_steps(&f, 4);
    cr_expect_eq(s_jumps_logged(&f), 1, "the wall behind the last step is logged once");
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&f.node, verify), 0);
    wf_fixture_stop(&f);
}
