/*  Integration tests of the working-day calendar as data: a notice
 *  published on 2026-12-28 while 2027 has no State Council notice yet
 *  (provisional), what it says in its step, its event and the inbox; the
 *  official 2027 then loaded with kcctl into the running kc-workflow (no
 *  restart): the notice keeps the close it announced, an open deadline is
 *  counted again and the change is an event; kcctl calendar's checks,
 *  versions and audit; and a county node receiving the calendar its
 *  province loads, over the link. Real kcctl, kc-intake, kc-workflow and
 *  kc-link processes and a real PostgreSQL; the clock is the test's.
 *
 *  The official 2027 of these tests is made here: the statutory days of
 *  2027 (as the provisional year has them) and one more day off, Monday 4
 *  January, so that it differs from the provisional year where the tests
 *  can see it. The shipped notices end before 2027 (checked first).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "federation_fixture.h"
#include "harness.h"
#include "kc/kc_bus.h"
#include "kc/kc_calendar.h"
#include "kc/kc_client.h"
#include "kc/kc_id.h"
#include "workflow_fixture.h"

TestSuite(calendar_db, .timeout = 240);

static const char s_official_2027[] = "date,kind,name\n"
                                      "2027-01-01,holiday,元旦\n"
                                      "2027-01-04,holiday,元旦\n"
                                      "2027-02-05,holiday,春节\n"
                                      "2027-02-08,holiday,春节\n"
                                      "2027-02-09,holiday,春节\n"
                                      "2027-02-10,holiday,春节\n"
                                      "2027-04-05,holiday,清明节\n"
                                      "2027-05-03,holiday,劳动节\n"
                                      "2027-05-04,holiday,劳动节\n"
                                      "2027-06-09,holiday,端午节\n"
                                      "2027-09-15,holiday,中秋节\n"
                                      "2027-10-01,holiday,国庆节\n"
                                      "2027-10-04,holiday,国庆节\n"
                                      "2027-10-05,holiday,国庆节\n";

/* UTC milliseconds of a China Standard Time wall-clock instant. */
static long long s_cst_ms(int year, int month, int day, int hour)
{
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = hour};
    return (long long)timegm(&tm) * 1000 - 8 * 3600 * 1000LL;
}

static void s_write(const harness_node_t *node, const char *name, const char *text, char path[320])
{
    snprintf(path, 320, "%s.%s", node->log_path, name);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs(text, file);
    fclose(file);
}

/* kcctl calendar load of `text` as the official 2027 on `node`. */
static int s_load_text(const harness_node_t *node, const char *text)
{
    char path[320];
    s_write(node, "2027.csv", text, path);
    const char *load[] = {"calendar", "load",       path, "--notice", "测试用2027年节假日安排",
                          "--issued", "2026-12-01", NULL};
    return harness_kcctl(node, load);
}

static int s_load_2027(const harness_node_t *node)
{
    return s_load_text(node, s_official_2027);
}

/* The same year corrected: Tuesday 5 January off as well. */
static int s_load_2027_corrected(const harness_node_t *node)
{
    char text[sizeof s_official_2027 + 64];
    snprintf(text, sizeof text, "%s2027-01-05,holiday,元旦\n", s_official_2027);
    return s_load_text(node, text);
}

static void s_precondition(const harness_node_t *node)
{
    cr_assert_eq(harness_count(node, "SELECT count(*) FROM calendar_version WHERE year = 2027"), 0,
                 "2027 is shipped now: move these tests to the first year without a notice");
    cr_assert_gt(harness_count(node, "SELECT count(*) FROM calendar_version WHERE year = 2026"), 0,
                 "the test node starts with the shipped notices");
}

/* Open timers of `kind` due at `due_ms` and (not) provisional, waiting up
 * to `wait_ms` for there to be one. */
static long long s_timers(const harness_node_t *node, const char *kind, long long due_ms,
                          bool provisional, int wait_ms)
{
    char due[24];
    snprintf(due, sizeof due, "%lld", due_ms);
    const char *params[3] = {kind, due, provisional ? "true" : "false"};
    long long n = 0;
    for (int waited = 0;; waited += 50) {
        PGresult *result = PQexecParams(node->db,
                                        "SELECT count(*) FROM workflow_timer WHERE kind = $1"
                                        " AND fired_ms IS NULL AND due_ms = $2::bigint"
                                        " AND provisional = $3::boolean",
                                        3, NULL, params, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(result), PGRES_TUPLES_OK, "%s", PQerrorMessage(node->db));
        n = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
        PQclear(result);
        if (n > 0 || waited >= wait_ms)
            return n;
        usleep(50 * 1000);
    }
}

/* The application's state as the province's department sees it. */
static Kc__V1__WorkflowState *s_history(wf_fixture_t *f, kc_envelope_t **reply)
{
    kc_error_t error;
    kc_client_t *client = kc_client_new(f->node.workflow, 5000, 1, &error);
    cr_assert_not_null(client);
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    Kc__V1__GetApplicationHistory get = KC__V1__GET_APPLICATION_HISTORY__INIT;
    get.application_ref = f->ref;
    request.body_case = KC__V1__ENVELOPE__BODY_GET_APPLICATION_HISTORY;
    request.get_application_history = &get;
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = "official";
    actor.role = "province_department";
    actor.division_code = "130000";
    char id[KC_ID_SIZE];
    kc_bus_stamp(&request, id, "test", &actor);
    cr_assert_eq(kc_client_call(client, &request, reply, &error), 0, "%s", error.message);
    kc_client_destroy(&client);
    cr_assert_eq((*reply)->body_case, KC__V1__ENVELOPE__BODY_WORKFLOW_STATE);
    return (*reply)->workflow_state;
}

/* The last event of `type`, unpacked as an ApplicationMoved or DeadlineReached. */
static PGresult *s_last_event(wf_fixture_t *f, const char *type)
{
    const char *params[1] = {type};
    PGresult *result = PQexecParams(f->node.db,
                                    "SELECT payload FROM event WHERE type = $1"
                                    " ORDER BY seq DESC LIMIT 1",
                                    1, NULL, params, NULL, NULL, 1);
    cr_assert_eq(PQntuples(result), 1, "no %s event", type);
    return result;
}

Test(calendar_db,
     a_notice_into_a_provisional_year_says_so_and_keeps_its_close_when_the_year_is_loaded)
{
    wf_fixture_t f;
    wf_fixture_start(&f, s_cst_ms(2026, 12, 28, 9));
    s_precondition(&f.node);
    /* kc-notify tells the applicant, with the shipped rules and people */
    const char *rules[] = {"notify", "load", "deploy/notify/notify-v2.ini", NULL};
    cr_assert_eq(harness_kcctl(&f.node, rules), 0);
    const char *people[] = {"recipients", "load", "deploy/data/sample/recipients.csv", NULL};
    cr_assert_eq(harness_kcctl(&f.node, people), 0);
    pid_t notify = harness_notify_start(&f.node);
    wf_fixture_to_notice(&f);
    /* Mon 28 Dec + 5 working days: 29, 30, 31 Dec, (1 Jan 元旦 by the law,
     * the weekend) 4, 5 Jan: closes 2027-01-05 24:00 CST */
    long long close = s_cst_ms(2027, 1, 6, 0);
    cr_assert_eq(s_timers(&f.node, "notice_end", close, true, 0), 1,
                 "the notice counted on the provisional 2027");

    /* the step's event, the state and the history say so */
    PGresult *payload = s_last_event(&f, "ApplicationMoved");
    Kc__V1__ApplicationMoved *moved = kc__v1__application_moved__unpack(
        NULL, (size_t)PQgetlength(payload, 0, 0), (const uint8_t *)PQgetvalue(payload, 0, 0));
    cr_assert_not_null(moved);
    cr_expect_str_eq(moved->to_state, "public_notice");
    cr_expect_eq(moved->notice_end_ms, close);
    cr_expect_str_eq(moved->calendar_note, KC_CALENDAR_PROVISIONAL_NOTE);
    kc__v1__application_moved__free_unpacked(moved, NULL);
    PQclear(payload);
    /* the notice's notification names its last day and says it may move */
    cr_expect_eq(harness_wait_count(&f.node,
                                    "SELECT (count(*) > 0)::int FROM notification WHERE body LIKE"
                                    " '%公示期至 2027-01-05（按法定节假日推算，"
                                    "待国务院办公厅通知发布后核定）%'",
                                    1, 10000),
                 1);
    kill(notify, SIGTERM);
    int status = 0;
    waitpid(notify, &status, 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "kc-notify did not stop cleanly");
    kc_envelope_t *reply = NULL;
    Kc__V1__WorkflowState *state = s_history(&f, &reply);
    cr_expect_eq(state->timer_due_ms, close);
    cr_expect_str_eq(state->timer_note, KC_CALENDAR_PROVISIONAL_NOTE);
    const Kc__V1__WorkflowStep *last = state->steps[state->n_steps - 1];
    cr_expect_eq(last->notice_end_ms, close);
    cr_expect_str_eq(last->calendar_note, KC_CALENDAR_PROVISIONAL_NOTE);
    kc_bus_free(&reply);

    /* the official 2027 (4 January off too) reaches the running kc-workflow */
    cr_assert_eq(s_load_2027(&f.node), 0);
    cr_expect_eq(harness_wait_count(
                     &f.node, "SELECT count(*) FROM calendar_version WHERE year = 2027", 1, 5000),
                 1);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM audit_entry WHERE action ="
                                        " 'calendar.load' AND target = '2027' AND allowed"),
                 1);
    /* a notice is public: it keeps the close it announced, though the
     * official 2027 would count to 6 January; kc-workflow, having read the
     * year, says it no longer rests on a provisional one */
    cr_expect_eq(s_timers(&f.node, "notice_end", close, false, 5000), 1,
                 "the running kc-workflow did not take the year, or moved a public close");
    kc_envelope_t *after = NULL;
    cr_expect_str_eq(s_history(&f, &after)->timer_note, "");
    kc_bus_free(&after);
    harness_clock_set(&f.node, close);
    cr_assert(harness_wait_count(&f.node,
                                 "SELECT count(*) FROM workflow_instance WHERE state = 'filed'", 1,
                                 5000) == 1,
              "the notice did not close when it said it would");
    cr_expect_eq(kill(f.workflow, 0), 0, "kc-workflow was not restarted");
    wf_fixture_stop(&f);
}

Test(calendar_db, an_open_deadline_is_counted_again_when_the_year_is_loaded_and_told)
{
    wf_fixture_t f;
    wf_fixture_start(&f, s_cst_ms(2026, 12, 28, 9));
    s_precondition(&f.node);
    cr_assert_eq(wf_fixture_act(&f, "applicant", "130131", "submit", "自愿申报", true), 0);
    /* the county bureau's 10 working days: 29..31 Dec (3), 4..8 Jan (8),
     * 11, 12 Jan (10) on the provisional 2027; with 4 January off, 13 Jan */
    long long before = s_cst_ms(2027, 1, 13, 0), after = s_cst_ms(2027, 1, 14, 0);
    cr_assert_eq(s_timers(&f.node, "deadline_overdue", before, true, 0), 1);
    kc_envelope_t *reply = NULL;
    Kc__V1__WorkflowState *state = s_history(&f, &reply);
    cr_expect_eq(state->deadline_ms, before);
    cr_expect_str_eq(state->deadline_note, KC_CALENDAR_PROVISIONAL_NOTE);
    kc_bus_free(&reply);

    cr_assert_eq(s_load_2027(&f.node), 0);
    cr_assert_eq(s_timers(&f.node, "deadline_overdue", after, false, 5000), 1,
                 "the running kc-workflow did not count the deadline again");
    PGresult *payload = s_last_event(&f, "DeadlineReached");
    Kc__V1__DeadlineReached *event = kc__v1__deadline_reached__unpack(
        NULL, (size_t)PQgetlength(payload, 0, 0), (const uint8_t *)PQgetvalue(payload, 0, 0));
    cr_assert_not_null(event);
    cr_expect_str_eq(event->kind, "rescheduled");
    cr_expect_eq(event->previous_due_ms, before);
    cr_expect_eq(event->due_ms, after);
    cr_expect_str_eq(event->calendar_note, "");
    kc__v1__deadline_reached__free_unpacked(event, NULL);
    PQclear(payload);
    state = s_history(&f, &reply);
    cr_expect_eq(state->deadline_ms, after);
    cr_expect_str_eq(state->deadline_note, "");
    kc_bus_free(&reply);
    /* loading the same notice again changes nothing */
    cr_assert_eq(s_load_2027(&f.node), 0);
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM calendar_version WHERE year = 2027"),
                 1);
    /* a corrected notice (5 January off too) is version 2: the deadline
     * moves again, to 15 January */
    cr_assert_eq(s_load_2027_corrected(&f.node), 0);
    cr_expect_eq(harness_count(&f.node, "SELECT max(version) FROM calendar_version WHERE year ="
                                        " 2027"),
                 2);
    cr_expect_eq(s_timers(&f.node, "deadline_overdue", s_cst_ms(2027, 1, 15, 0), false, 5000), 1,
                 "a corrected notice did not move the open deadline");
    cr_expect_eq(harness_wait_count(
                     &f.node, "SELECT count(*) FROM event WHERE type = 'DeadlineReached'", 2, 5000),
                 2, "each move is an event");
    cr_expect_eq(kill(f.workflow, 0), 0, "kc-workflow was not restarted");
    wf_fixture_stop(&f);
}

Test(calendar_db, a_partial_year_is_refused_whole_and_nothing_is_stored)
{
    harness_node_t node;
    harness_node_start(&node);
    char path[320];
    /* 2027 with 元旦 only, and a second year with a 调休 on a weekday */
    s_write(&node, "partial.csv",
            "date,kind,name\n2027-01-01,holiday,元旦\n2028-01-03,workday,元旦\n", path);
    const char *load[] = {"calendar", "load",     path,         "--notice",
                          "不完整",   "--issued", "2026-12-01", NULL};
    cr_expect_neq(harness_kcctl(&node, load), 0);
    const char *check[] = {"calendar", "check", path, NULL};
    cr_expect_neq(harness_kcctl(&node, check), 0);
    /* a complete year without its notice's title is refused too */
    s_write(&node, "2027.csv", s_official_2027, path);
    const char *untitled[] = {"calendar", "load", path, NULL};
    cr_expect_neq(harness_kcctl(&node, untitled), 0);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM calendar_version WHERE year >= 2027"),
                 0);
    const char *show[] = {"calendar", "show", "2027", NULL};
    cr_expect_eq(harness_kcctl(&node, show), 0);
    /* a calendar message from the parent whose days are not dated rows of
     * its year is refused, and nothing is stored */
    PGresult *refused =
        PQexec(node.db, "INSERT INTO link_peer (division, relation, level) VALUES"
                        " ('130131', 'self', 'county'), ('130100', 'parent', 'city');"
                        "SELECT link_apply_calendar('130100', '{\"year\": 2027,"
                        " \"notice\": \"x\", \"issued\": \"2026-12-01\", \"days\":"
                        " [{\"date\": \"2027-01-01\", \"kind\": null, \"name\": \"元旦\"}]}')");
    cr_assert_eq(PQresultStatus(refused), PGRES_TUPLES_OK, "%s", PQerrorMessage(node.db));
    cr_expect_not_null(strstr(PQgetvalue(refused, 0, 0), "not a dated row"), "%s",
                       PQgetvalue(refused, 0, 0));
    PQclear(refused);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM calendar_version WHERE year >= 2027"),
                 0);
    harness_node_stop(&node);
}

Test(calendar_db, a_county_node_receives_the_calendar_its_province_loads)
{
    fed_t fed;
    fed_start(&fed, 0);
    s_precondition(&fed.county.wf.node);
    cr_assert_eq(s_load_2027(&fed.province.wf.node), 0);
    /* down the province's link to the city, and the city's to the county */
    cr_expect_eq(harness_wait_count(&fed.city.wf.node,
                                    "SELECT count(*) FROM calendar_version WHERE year = 2027"
                                    " AND origin_division = '130000'",
                                    1, 10000),
                 1);
    cr_expect_eq(harness_wait_count(&fed.county.wf.node,
                                    "SELECT count(*) FROM calendar_version WHERE year = 2027"
                                    " AND origin_division = '130100'"
                                    " AND days @> '[{\"date\": \"2027-01-04\"}]'",
                                    1, 10000),
                 1);
    /* the years each node loaded itself went down when the links came up,
     * and were taken as the versions already in force: no new version */
    cr_expect_eq(
        harness_count(&fed.city.wf.node,
                      "SELECT count(*) FROM link_inbox WHERE kind = 'calendar.year'"
                      " AND outcome = 'taken'"),
        harness_count(&fed.province.wf.node, "SELECT count(DISTINCT year) FROM calendar_version"));
    cr_expect_eq(harness_count(&fed.city.wf.node, "SELECT count(*) FROM calendar_version WHERE"
                                                  " year < 2027 AND version > 1"),
                 0);
    /* a restarted link sends nothing again: after it, a corrected 2027 is
     * the one calendar message more the city takes */
    long long taken = harness_count(&fed.city.wf.node,
                                    "SELECT count(*) FROM link_inbox WHERE kind = 'calendar.year'");
    fed_link_stop(&fed.province, SIGTERM);
    fed_link_start(&fed, &fed.province);
    cr_assert_eq(s_load_2027_corrected(&fed.province.wf.node), 0);
    cr_expect_eq(harness_wait_count(&fed.county.wf.node,
                                    "SELECT count(*) FROM calendar_version WHERE year = 2027"
                                    " AND version = 2",
                                    1, 10000),
                 1);
    cr_expect_eq(harness_count(&fed.city.wf.node,
                               "SELECT count(*) FROM link_inbox WHERE kind = 'calendar.year'"),
                 taken + 1);
    fed_stop(&fed);
}
