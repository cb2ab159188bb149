/*  Three linked nodes (province, city, county), each with its own database
 *  and daemons: an application submitted at the county climbs to the
 *  province and its filing comes back down; the county keeps accepting
 *  while its link is cut, and once the link is back all 5,000 submissions
 *  of the cut reach the province once and in order, across a kill -9 of
 *  the city's kc-link in the middle; a stranger's key, and a county
 *  speaking for another county, are refused and audited.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <zmq.h>

#include "federation_fixture.h"
#include "kc/kc_client.h"
#include "kc/v1/scoring.pb-c.h"
#include "requests.h"

TestSuite(federation_nodes, .timeout = 300);

#define MONDAY_0900  1740963600000LL /* 2025-03-03 09:00 CST, a Monday */
#define NOTICE_CLOSE 1741622400000LL /* five working days after the Wednesday approval */

static void s_submit_application(fed_t *f)
{
    wf_fixture_submit(&f->county.wf.node);
    cr_assert_eq(
        harness_wait_count(&f->county.wf.node, "SELECT count(*) FROM workflow_instance", 1, 10000),
        1);
    PGresult *result = PQexec(f->county.wf.node.db, "SELECT ref FROM application");
    snprintf(f->county.wf.ref, sizeof f->county.wf.ref, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
    memcpy(f->city.wf.ref, f->county.wf.ref, sizeof f->city.wf.ref);
    memcpy(f->province.wf.ref, f->county.wf.ref, sizeof f->province.wf.ref);
}

static long long s_count_for(fed_site_t *site, const char *format, const char *ref)
{
    char sql[512];
    snprintf(sql, sizeof sql, format, ref);
    return harness_count(&site->wf.node, sql);
}

/* Every step of the node, in order, as one line. */
static void s_steps(fed_site_t *site, char *out, size_t size)
{
    PGresult *result =
        PQexec(site->wf.node.db, "SELECT string_agg(version || ':' || transition || ':' ||"
                                 " idempotency_key, ' ' ORDER BY version) FROM workflow_step");
    snprintf(out, size, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
}

Test(federation_nodes, an_application_climbs_from_the_county_node_and_its_filing_comes_back_down)
{
    fed_t f;
    fed_start(&f, MONDAY_0900);
    s_submit_application(&f);
    cr_expect(strstr(f.county.wf.ref, "-130131-") != NULL,
              "a county node's reference numbers carry its county: %s", f.county.wf.ref);

    /* the county's steps, on the county's node */
    cr_assert_eq(wf_fixture_act(&f.county.wf, "applicant", "130131", "submit", "自愿申报", true),
                 0);
    cr_assert_eq(wf_fixture_act(&f.county.wf, "county_bureau", "130131", "county_approve",
                                "材料齐全，同意上报", false),
                 0);
    cr_expect_eq(
        s_count_for(&f.city, "SELECT count(*) FROM application WHERE ref = '%s'", f.county.wf.ref),
        0, "nothing goes up before the county has approved");
    cr_assert_eq(wf_fixture_act(&f.county.wf, "county_government", "130131", "county_consent",
                                "同意申报", true),
                 0);
    /* the city's step is taken on the city's node, never on the county's */
    cr_expect_neq(
        wf_fixture_act(&f.county.wf, "city_bureau", "130100", "city_recommend", "推荐上报", true),
        0);
    cr_assert(fed_wait_state(&f.city, f.city.wf.ref, "city_review", 15000),
              "the application did not reach the city node");
    cr_expect_eq(s_count_for(&f.city,
                             "SELECT count(*) FROM workflow_timer t JOIN application a ON a.id ="
                             " t.application_id WHERE a.ref = '%s' AND t.kind ="
                             " 'deadline_overdue' AND t.fired_ms IS NULL",
                             f.city.wf.ref),
                 1, "the city's deadline runs on the city's node");
    cr_expect_eq(harness_count(&f.county.wf.node,
                               "SELECT count(*) FROM workflow_timer WHERE fired_ms IS NULL"),
                 0, "and not on the county's");
    cr_assert_eq(
        wf_fixture_act(&f.city.wf, "city_bureau", "130100", "city_recommend", "推荐上报", true), 0);
    cr_assert(fed_wait_state(&f.province, f.province.wf.ref, "province_review", 15000),
              "the application did not reach the province node");

    /* the province reviews with its experts and files it after the notice */
    cr_assert_eq(wf_fixture_act(&f.province.wf, "province_department", "130000", "province_assign",
                                "", false),
                 0);
    wf_fixture_panel_scores(&f.province.wf);
    cr_assert_eq(wf_fixture_act(&f.province.wf, "province_department", "130000", "province_approve",
                                "专家评估通过（77.00分），予以公示", false),
                 0);
    /* the county's kc-workflow is killed outright before the filing comes down */
    kill(f.county.wf.workflow, SIGKILL);
    waitpid(f.county.wf.workflow, NULL, 0);
    harness_clock_set(&f.province.wf.node, NOTICE_CLOSE);
    cr_assert(fed_wait_state(&f.province, f.province.wf.ref, "filed", 15000),
              "the notice did not close into filing");

    /* ...and the filing comes back down through the city to the county,
     * where kc-link takes it; kc-workflow settles it once it is back */
    cr_assert(fed_wait_state(&f.city, f.city.wf.ref, "filed", 15000));
    cr_assert_eq(harness_wait_count(&f.county.wf.node,
                                    "SELECT count(*) FROM workflow_instance WHERE state ="
                                    " 'filed' AND arrived_from = '130100'",
                                    1, 15000),
                 1, "the filing did not reach the county node");
    fed_workflow_start(&f, &f.county);
    cr_assert(fed_wait_state(&f.county, f.county.wf.ref, "filed", 15000),
              "the county's kc-workflow did not settle the filing after its restart");
    long long steps = harness_count(&f.province.wf.node, "SELECT count(*) FROM workflow_step");
    cr_expect_eq(steps, 7, "submit, approve, consent, recommend, assign, approve, file");
    cr_expect_eq(harness_count(&f.county.wf.node, "SELECT count(*) FROM workflow_step"), steps,
                 "the county holds every step once");
    cr_expect_eq(harness_count(&f.city.wf.node, "SELECT count(*) FROM workflow_step"), steps);
    char county_steps[4096], province_steps[4096];
    s_steps(&f.county, county_steps, sizeof county_steps);
    s_steps(&f.province, province_steps, sizeof province_steps);
    cr_expect_str_eq(county_steps, province_steps, "the same steps in the same order");
    /* the county's own people hear of it from their own node */
    cr_expect_eq(harness_count(&f.county.wf.node,
                               "SELECT count(*) FROM event WHERE type = 'ApplicationMoved'"),
                 steps, "one ApplicationMoved event per step on the county's node");
    /* an event's identity, (node, seq), names the node by its division, and
     * a link message's id the division that sent it: no two nodes share one */
    cr_expect_eq(
        harness_count(&f.county.wf.node, "SELECT count(*) FROM event WHERE node <> '130131'"), 0);
    cr_expect_eq(
        harness_count(&f.city.wf.node, "SELECT count(*) FROM event WHERE node <> '130100'"), 0);
    cr_expect_eq(
        harness_count(&f.province.wf.node, "SELECT count(*) FROM event WHERE node <> '130000'"), 0);
    cr_expect_gt(harness_count(&f.city.wf.node, "SELECT count(*) FROM link_inbox"), 0);
    cr_expect_eq(harness_count(&f.city.wf.node,
                               "SELECT count(*) FROM link_inbox"
                               " WHERE message_id NOT LIKE origin_division || '-%'"),
                 0);
    cr_expect_eq(harness_count(&f.county.wf.node,
                               "SELECT count(*) FROM link_inbox WHERE outcome <> 'taken'"),
                 0);
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&f.county.wf.node, verify), 0);
    cr_expect_eq(harness_kcctl(&f.province.wf.node, verify), 0);
    fed_stop(&f);
}

/* 平山县's bureau sends its innovation-management score I15 as `count`
 * separate submissions (values 0.01, 0.02, ...), pipelined; every one must
 * be accepted by the county's own node. */
static void s_submit_reports(fed_t *f, int count)
{
    void *context = zmq_ctx_new();
    void *socket = requests_dealer(context, &f->county.wf.node);
    int sent = 0, answered = 0;
    while (answered < count) {
        for (; sent < count && sent - answered < 100; sent++) {
            fed_county_value_t value;
            requests_send_packed(socket, fed_county_value(&value, "pingshan-I15", sent + 1));
        }
        kc_envelope_t *reply = requests_receive(socket);
        if (reply->body_case != KC__V1__ENVELOPE__BODY_ACCEPTED)
            requests_dump(reply);
        cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
        kc_bus_free(&reply);
        answered++;
    }
    zmq_close(socket);
    zmq_ctx_term(context);
}

/* The node's I15 values of 平山县 in revision order, as one line. */
static void s_values(fed_site_t *site, char *out, size_t size)
{
    PGresult *result =
        PQexec(site->wf.node.db, "SELECT string_agg(value::text, ' ' ORDER BY revision)"
                                 "  FROM indicator_value WHERE county_code = '130131'"
                                 "   AND indicator_code = 'I15'");
    snprintf(out, size, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
}

#define FORWARDED "SELECT count(*) FROM submission WHERE idempotency_key LIKE 'link:%'"

Test(federation_nodes, the_county_keeps_accepting_while_cut_off_and_all_arrives_once_in_order)
{
    enum { COUNT = 5000 };
    fed_t f;
    fed_start(&f, 0);
    fed_link_stop(&f.city, SIGTERM); /* the county's link to its city is cut */
    s_submit_reports(&f, COUNT);
    cr_expect_eq(harness_count(&f.county.wf.node, "SELECT count(*) FROM link_outbox"), COUNT,
                 "every submission waits in the county's outbox");
    cr_expect_eq(harness_count(&f.province.wf.node, FORWARDED), 0);

    /* the link is back; the city's kc-link is killed outright in the middle */
    fed_link_start(&f, &f.city);
    cr_assert_eq(harness_wait_count(&f.province.wf.node,
                                    "SELECT least(count(*), 1000) FROM submission"
                                    " WHERE idempotency_key LIKE 'link:%'",
                                    1000, 60000),
                 1000);
    fed_link_stop(&f.city, SIGKILL);
    long long at_kill = harness_count(&f.province.wf.node, FORWARDED);
    fed_link_start(&f, &f.city);
    cr_expect_eq(harness_wait_count(&f.province.wf.node, FORWARDED, COUNT, 90000), COUNT,
                 "every submission reaches the province (%lld had at the kill)", at_kill);
    cr_expect_eq(
        harness_wait_count(&f.county.wf.node, "SELECT count(*) FROM link_outbox", 0, 20000), 0,
        "and leaves the county's outbox once acknowledged");
    cr_expect_eq(harness_wait_count(&f.city.wf.node, "SELECT count(*) FROM link_outbox", 0, 20000),
                 0);
    cr_expect_eq(harness_count(&f.province.wf.node,
                               "SELECT count(DISTINCT message_id) FROM submission"
                               " WHERE idempotency_key LIKE 'link:%'"),
                 COUNT, "once each");
    cr_expect_eq(harness_count(&f.province.wf.node,
                               "SELECT count(*) FROM indicator_value WHERE county_code = '130131'"),
                 COUNT);
    static char county[65536], city[65536], province[65536];
    s_values(&f.county, county, sizeof county);
    s_values(&f.city, city, sizeof city);
    s_values(&f.province, province, sizeof province);
    cr_expect_str_eq(city, county, "the city holds the county's revisions in the county's order");
    cr_expect_str_eq(province, county, "so does the province");
    fed_stop(&f);
}

/* Queue a message on the county's node for its parent, as a faulty or
 * dishonest county node would. */
static void s_county_sends(fed_t *f, const char *key, const char *kind, const char *payload)
{
    const char *params[3] = {key, kind, payload};
    harness_run(&f->county.wf.node,
                "SELECT link_enqueue('130131', 'parent', '', $1, $2, convert_to($3, 'UTF8'))", 3,
                params, NULL, NULL);
}

Test(federation_nodes, a_stranger_and_a_county_speaking_for_another_are_refused_and_audited)
{
    fed_t f;
    fed_start(&f, 0);
    /* a node whose key the city does not know gets nothing through */
    char public_key[KC_KEY_Z85], secret_key[KC_KEY_Z85];
    cr_assert_eq(kc_curve_keypair(public_key, secret_key), 0);
    void *context = zmq_ctx_new();
    void *stranger = zmq_socket(context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(stranger, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(stranger, ZMQ_CURVE_SERVERKEY, f.city.public_key, KC_KEY_Z85 - 1);
    zmq_setsockopt(stranger, ZMQ_CURVE_PUBLICKEY, public_key, KC_KEY_Z85 - 1);
    zmq_setsockopt(stranger, ZMQ_CURVE_SECRETKEY, secret_key, KC_KEY_Z85 - 1);
    cr_assert_eq(zmq_connect(stranger, f.city.endpoint), 0);
    zmq_send(stranger, "HI", 2, ZMQ_DONTWAIT);
    cr_expect_geq(harness_wait_count(&f.city.wf.node,
                                     "SELECT least(count(*), 1) FROM audit_entry WHERE action ="
                                     " 'link.connect' AND NOT allowed",
                                     1, 10000),
                  1, "the refused handshake is audited");
    zmq_close(stranger);
    zmq_ctx_term(context);

    /* the county node speaks for 阜平县 (130624) and for the city */
    s_county_sends(&f, "130624", "intake.reports",
                   "{\"division\":\"130624\",\"provider\":\"county\",\"user\":\"x\","
                   "\"role\":\"county_bureau\",\"values\":[[\"130624\",2023,\"I15\",99]]}");
    s_county_sends(&f, "130131", "intake.reports",
                   "{\"division\":\"130131\",\"provider\":\"county\",\"user\":\"x\","
                   "\"role\":\"county_bureau\",\"values\":[[\"130624\",2023,\"I15\",99]]}");
    s_county_sends(&f, "MB-2026-130624-000001", "workflow.application",
                   "{\"ref\":\"MB-2026-130624-000001\",\"county\":\"130624\","
                   "\"definition\":\"mountain-base-v1\",\"steps\":[]}");
    s_county_sends(&f, "MB-2026-130131-000009", "workflow.application",
                   "{\"ref\":\"MB-2026-130131-000009\",\"county\":\"130131\","
                   "\"definition\":\"mountain-base-v1\",\"state\":\"province_review\","
                   "\"version\":1,\"steps\":[{\"version\":1,\"role\":\"city_bureau\","
                   "\"division_code\":\"130100\"}]}");
    /* a copy whose state does not follow from its steps, and the
     * province's notice closed by the county's "timer" */
    s_county_sends(&f, "MB-2026-130131-000010", "workflow.application",
                   "{\"ref\":\"MB-2026-130131-000010\",\"county\":\"130131\","
                   "\"definition\":\"mountain-base-v1\",\"state\":\"filed\",\"version\":2,"
                   "\"steps\":[{\"version\":2,\"role\":\"applicant\",\"division_code\":"
                   "\"130131\",\"from_state\":\"drafting\",\"to_state\":\"county_review\"}]}");
    s_county_sends(&f, "MB-2026-130131-000011", "workflow.application",
                   "{\"ref\":\"MB-2026-130131-000011\",\"county\":\"130131\","
                   "\"definition\":\"mountain-base-v1\",\"state\":\"filed\",\"version\":2,"
                   "\"steps\":[{\"version\":2,\"role\":\"system\",\"division_code\":\"\","
                   "\"from_state\":\"public_notice\",\"to_state\":\"filed\"}]}");
    /* the statistics bureau's indicator, as the county's own data */
    s_county_sends(&f, "130131", "intake.reports",
                   "{\"division\":\"130131\",\"provider\":\"county\",\"user\":\"x\","
                   "\"role\":\"county_bureau\",\"values\":[[\"130131\",2023,\"I01\",99]]}");
    s_county_sends(&f, "130131", "scoring.class",
                   "{\"county\":\"130131\",\"result\":{\"class\":\"A\"},\"event\":\"\"}");
    s_county_sends(&f, "130131", "intake.reports", "not json");
    /* ...and then honestly: the stream goes on past the refusals */
    s_county_sends(&f, "130131", "intake.reports",
                   "{\"division\":\"130131\",\"provider\":\"county\",\"user\":\"x\","
                   "\"role\":\"county_bureau\",\"values\":[[\"130131\",2023,\"I15\",88]]}");
    /* what the county sent (the province sends the city its calendar too) */
    cr_assert_eq(harness_wait_count(&f.city.wf.node,
                                    "SELECT count(*) FROM link_inbox WHERE origin_division ="
                                    " '130131'",
                                    10, 15000),
                 10);
    cr_expect_eq(harness_count(&f.city.wf.node,
                               "SELECT count(*) FROM link_inbox WHERE outcome LIKE 'refused: %'"),
                 9);
    cr_expect_eq(harness_count(&f.city.wf.node,
                               "SELECT count(*) FROM audit_entry WHERE action LIKE 'link.apply:%'"
                               " AND NOT allowed AND user_id = '130131'"),
                 9, "each refusal is audited under the node that sent it");
    cr_expect_eq(harness_count(&f.city.wf.node, "SELECT count(*) FROM indicator_value"
                                                " WHERE county_code = '130624' OR value = 99"),
                 0, "nothing of another county or another provider is stored");
    cr_expect_eq(harness_count(&f.city.wf.node, "SELECT count(*) FROM application"), 0);
    cr_expect_eq(harness_count(&f.city.wf.node, "SELECT count(*) FROM published_class"), 0,
                 "a county does not publish classes to its city");
    cr_expect_eq(harness_count(&f.city.wf.node, "SELECT count(*) FROM indicator_value"
                                                " WHERE county_code = '130131' AND value = 88"),
                 1, "the honest message after them is taken");
    cr_expect_eq(harness_wait_count(&f.province.wf.node,
                                    "SELECT count(*) FROM indicator_value"
                                    " WHERE county_code = '130131' AND value = 88",
                                    1, 15000),
                 1, "and goes on to the province");

    /* a message id used before, under a new number: refused, and the
     * stream still goes on */
    PGresult *taken = PQexec(f.city.wf.node.db, "SELECT message_id FROM link_inbox WHERE"
                                                " outcome = 'taken' ORDER BY received_at DESC"
                                                " LIMIT 1");
    cr_assert_eq(PQntuples(taken), 1);
    const char *reused[2] = {
        PQgetvalue(taken, 0, 0),
        "{\"division\":\"130131\",\"provider\":\"county\",\"user\":\"x\","
        "\"role\":\"county_bureau\",\"values\":[[\"130131\",2023,\"I15\",66]]}"};
    harness_run(&f.county.wf.node,
                "WITH old AS (SELECT last_number FROM link_stream WHERE destination = 'parent'"
                "               AND peer_division = '' FOR UPDATE),"
                " num AS (SELECT nextval('link_message_number') AS n),"
                " moved AS (UPDATE link_stream SET last_number = (SELECT n FROM num)"
                "            WHERE destination = 'parent' AND peer_division = '')"
                " INSERT INTO link_outbox (id, previous, message_id, destination, peer_division,"
                "                          ordering_key, kind, payload)"
                " SELECT num.n, old.last_number, $1, 'parent', '', '130131', 'intake.reports',"
                "        convert_to($2, 'UTF8') FROM num, old",
                2, reused, NULL, NULL);
    PQclear(taken);
    s_county_sends(&f, "130131", "intake.reports",
                   "{\"division\":\"130131\",\"provider\":\"county\",\"user\":\"x\","
                   "\"role\":\"county_bureau\",\"values\":[[\"130131\",2023,\"I15\",77]]}");
    cr_expect_eq(harness_wait_count(&f.city.wf.node,
                                    "SELECT count(*) FROM indicator_value"
                                    " WHERE county_code = '130131' AND value = 77",
                                    1, 15000),
                 1, "the message after the reused id is taken");
    cr_expect_eq(harness_count(&f.city.wf.node, "SELECT count(*) FROM indicator_value"
                                                " WHERE value = 66"),
                 0);
    cr_expect_eq(harness_count(&f.city.wf.node,
                               "SELECT count(*) FROM audit_entry WHERE action LIKE 'link.apply:%'"
                               " AND NOT allowed AND user_id = '130131'"),
                 10, "the reused id is refused and audited too");
    const char *status[] = {"link", "status", NULL};
    cr_expect_eq(harness_kcctl(&f.city.wf.node, status), 0, "kcctl link status answers");
    fed_stop(&f);
}

/* The province publishes a county's class as kcctl publish does: its
 * event, and the call that sends it down, in one statement. */
static void s_publish(fed_t *f, const char *county, const char *class_, int rank)
{
    Kc__V1__CountyClassPublished event = KC__V1__COUNTY_CLASS_PUBLISHED__INIT;
    event.run_id = 7;
    event.scope_code = "130000";
    event.year = 2023;
    event.county_code = (char *)county;
    event.class_ = (char *)class_;
    event.total = 8012;
    event.rank = rank;
    event.rank_in_city = 1;
    event.reward = 100;
    uint8_t payload[256];
    size_t size = kc__v1__county_class_published__pack(&event, payload);
    char result[256];
    snprintf(result, sizeof result,
             "{\"run_id\":7,\"scope_code\":\"130000\",\"year\":2023,\"class\":\"%s\","
             "\"total\":8012,\"rank\":%d,\"rank_in_city\":1,\"reward\":100}",
             class_, rank);
    const char *values[3] = {(const char *)payload, county, result};
    int lengths[3] = {(int)size, 0, 0}, formats[3] = {1, 0, 0};
    harness_run(&f->province.wf.node,
                "SELECT kc_event_append('CountyClassPublished', 'hebei', NULL, $1),"
                "       link_publish_class($2, $1, $3::jsonb)",
                3, values, lengths, formats);
}

Test(federation_nodes, published_classes_come_down_to_the_city_and_the_county_nodes)
{
    fed_t f;
    fed_start(&f, 0);
    s_publish(&f, "130131", "A", 3);  /* 平山县: the city's, and the county node's own */
    s_publish(&f, "130102", "B", 40); /* 长安区: the city's; no node of its own here */
    s_publish(&f, "130624", "C", 90); /* 阜平县: 保定's, which has no node here */
    cr_expect_eq(harness_wait_count(&f.county.wf.node,
                                    "SELECT count(*) FROM published_class WHERE county_code ="
                                    " '130131' AND class = 'A' AND rank = 3 AND year = 2023",
                                    1, 15000),
                 1, "the county's class reaches the county's node");
    cr_expect_eq(harness_count(&f.county.wf.node, "SELECT count(*) FROM published_class"), 1,
                 "and only its own");
    cr_expect_eq(
        harness_wait_count(&f.city.wf.node, "SELECT count(*) FROM published_class", 2, 5000), 2,
        "the city holds its two counties' classes, not 保定's");
    cr_expect_eq(harness_count(&f.county.wf.node,
                               "SELECT count(*) FROM event WHERE type = 'CountyClassPublished'"),
                 1, "announced on the county's own event log, for its kc-notify");
    cr_expect_eq(
        harness_wait_count(&f.province.wf.node, "SELECT count(*) FROM link_outbox", 0, 10000), 0);
    const char *classes[] = {"classes", "--year", "2023", NULL};
    cr_expect_eq(harness_kcctl(&f.county.wf.node, classes), 0, "kcctl classes answers");
    fed_stop(&f);
}
