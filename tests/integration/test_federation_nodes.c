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

#include "federation_fixture.h"
#include "kc/kc_client.h"

TestSuite(federation_nodes, .timeout = 300);

#define MONDAY_0900  1740963600000LL /* 2025-03-03 09:00 CST, a Monday */
#define NOTICE_CLOSE 1741622400000LL /* five working days after the Wednesday approval */

static void s_submit_application(fed_t *f)
{
    const char *submit[] = {"submit-application",
                            "deploy/data/sample/sample-application.json",
                            "--user",
                            "lizhenhua",
                            "--role",
                            "applicant",
                            "--division",
                            "130131",
                            "--organisation",
                            "平山县太行菌业科技有限公司",
                            NULL};
    cr_assert_eq(harness_kcctl(&f->county.wf.node, submit), 0);
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
    harness_clock_set(&f.province.wf.node, NOTICE_CLOSE);
    cr_assert(fed_wait_state(&f.province, f.province.wf.ref, "filed", 15000),
              "the notice did not close into filing");

    /* ...and the filing comes back down through the city to the county */
    cr_assert(fed_wait_state(&f.city, f.city.wf.ref, "filed", 15000));
    cr_assert(fed_wait_state(&f.county, f.county.wf.ref, "filed", 15000),
              "the filing did not reach the county node");
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
    cr_expect_eq(harness_count(&f.county.wf.node,
                               "SELECT count(*) FROM link_inbox WHERE outcome <> 'taken'"),
                 0);
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&f.county.wf.node, verify), 0);
    cr_expect_eq(harness_kcctl(&f.province.wf.node, verify), 0);
    fed_stop(&f);
}
