/*  Unit tests of run_compute (services/scoring/run.c) on hand-built
 *  snapshots: what a run reads as the province publishes it. A county
 *  whose exact total is 79.93 is B and flagged; a county without data is
 *  not evaluated (listed, never C) and the coverage decides whether the
 *  run needs force; a city's run shows the city with province ranks.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine_fixture.h"
#include "scoring/run.h"
#include "scoring/snapshot.h"

/* Seventeen indicators of 588 points (the last 592); `county` gets the
 * values of the 79.93 county (16 parts of x.5625, rounded up, and 464). */
static void s_set_79_93(sc_year_input_t *year, size_t county)
{
    for (size_t j = 0; j < 17; j++) {
        year->values[county * 17 + j] = j < 16 ? 470.5625 / 588.0 * 100.0 : 464.0 / 592.0 * 100.0;
        year->present[county * 17 + j] = 1;
    }
}

static void s_set_flat(sc_year_input_t *year, size_t county, double value)
{
    for (size_t j = 0; j < 17; j++) {
        year->values[county * 17 + j] = value;
        year->present[county * 17 + j] = 1;
    }
}

/* One year, 2024, of `n` counties in scope `scope`: codes 130101.. in
 * city 130100, then from 130201 in city 130200 for the last `in_tangshan`. */
static void s_snapshot(sc_snapshot_t *snapshot, const char *scope, size_t n, size_t in_tangshan)
{
    memset(snapshot, 0, sizeof *snapshot);
    snprintf(snapshot->scope_code, sizeof snapshot->scope_code, "%s", scope);
    snprintf(snapshot->scope_name, sizeof snapshot->scope_name, "测试");
    snapshot->year = 2024;
    snapshot->n_years = 1;
    snapshot->years = calloc(1, sizeof *snapshot->years);
    snapshot_year_init(&snapshot->years[0], 2024, n, 17);
    for (size_t i = 0; i < n; i++) {
        sc_county_t *county = &snapshot->years[0].counties[i];
        bool tangshan = i >= n - in_tangshan;
        snprintf(county->code, sizeof county->code, "%06d",
                 tangshan ? 130201 + (int)(i - (n - in_tangshan)) : 130101 + (int)i);
        snprintf(county->name, sizeof county->name, "县%zu", i);
        snprintf(county->city_code, sizeof county->city_code, tangshan ? "130200" : "130100");
    }
}

/* Seventeen indicators, min_coverage 0.9 (the methodology's default), no
 * reward amounts: these tests look at scores, classes and ranks. */
static void s_rules(sc_methodology_t *m, sc_reward_policy_t *policy)
{
    engine_fixture_methodology(m, 17);
    m->min_coverage = 0.9;
    *policy = (sc_reward_policy_t){.code = "test", .baseline_year = 2017, .top_n = 3, .cap = 500};
}

static void s_release(sc_run_t *run, sc_snapshot_t *snapshot)
{
    run_release(run);
    snapshot_release(snapshot);
}

static int s_compute(sc_run_t *run, const sc_methodology_t *m, const sc_reward_policy_t *policy,
                     const sc_snapshot_t *snapshot)
{
    memset(run, 0, sizeof *run);
    run->m = m;
    run->policy = policy;
    run->snapshot = snapshot;
    kc_error_t error = {0};
    int rc = run_compute(run, &error);
    cr_assert_eq(rc, 0, "%s", error.message);
    return rc;
}

Test(run, the_79_93_county_is_class_b_and_flagged_in_the_result)
{
    sc_methodology_t m;
    sc_reward_policy_t policy;
    s_rules(&m, &policy);
    sc_snapshot_t snapshot;
    s_snapshot(&snapshot, "130000", 2, 0);
    s_set_79_93(&snapshot.years[0], 0);
    s_set_flat(&snapshot.years[0], 1, 50.0);
    sc_run_t run;
    s_compute(&run, &m, &policy, &snapshot);
    const sc_county_result_t *county = &run.result->counties[0];
    cr_expect_eq(county->total, 7993);
    cr_expect_eq(county->klass, 'B');
    cr_expect_eq(county->class_other, 'A');
    cr_expect_eq(run.n_class_flagged, 1);
    cr_expect(strstr(run.json, "\"total\":7993,\"class\":\"B\"") != NULL);
    cr_expect(strstr(run.json,
                     "\"total_other\":8000,\"class_other\":\"A\",\"class_flagged\":true") != NULL);
    cr_expect(strstr(run.json, "\"total_from\":\"exact\"") != NULL);
    s_release(&run, &snapshot);
}

Test(run, a_county_without_data_is_not_evaluated_and_low_coverage_needs_force)
{
    sc_methodology_t m;
    sc_reward_policy_t policy;
    s_rules(&m, &policy);
    sc_snapshot_t snapshot;
    s_snapshot(&snapshot, "130000", 4, 0);
    s_set_flat(&snapshot.years[0], 0, 90.0);
    s_set_flat(&snapshot.years[0], 1, 70.0);
    s_set_flat(&snapshot.years[0], 3, 30.0); /* 130103 has no data at all */
    sc_run_t run;
    s_compute(&run, &m, &policy, &snapshot);
    cr_assert_eq(run.input->n_counties, 3);
    for (size_t c = 0; c < run.input->n_counties; c++)
        cr_expect_str_neq(run.input->counties[c].code, "130103");
    cr_expect_eq(run.result->counties[2].klass, 'C'); /* 30 points: C on its data */
    cr_expect_eq(run.result->counties[2].rank, 3);    /* not 4: the county left out is not ranked */
    cr_assert_eq(run.n_not_evaluated, 1);
    cr_expect_str_eq(run.not_evaluated[0]->code, "130103");
    cr_expect_eq(run.n_scope_counties, 4);
    cr_expect_float_eq(run.coverage, 0.75, 1e-12);
    cr_expect(strstr(run.json, "\"not_evaluated\":[{\"code\":\"130103\"") != NULL);
    kc_error_t error = {0};
    cr_expect_eq(run_check_coverage(&run, false, &error), -1);
    cr_expect_eq(error.code, KC_ERR_LOW_COVERAGE);
    cr_expect(strstr(error.detail, "130103") != NULL, "%s", error.detail);
    cr_expect_eq(run_check_coverage(&run, true, &error), 0);
    m.min_coverage = 0.75;
    cr_expect_eq(run_check_coverage(&run, false, &error), 0);
    s_release(&run, &snapshot);
}

Test(run, a_city_run_shows_its_counties_with_their_province_ranks)
{
    sc_methodology_t m;
    sc_reward_policy_t policy;
    s_rules(&m, &policy);
    sc_snapshot_t snapshot; /* the province's counties: 130101-130102, 130201-130202 */
    s_snapshot(&snapshot, "130200", 4, 2);
    double values[] = {90.0, 60.0, 70.0, 95.0};
    for (size_t i = 0; i < 4; i++)
        s_set_flat(&snapshot.years[0], i, values[i]);
    sc_run_t run;
    s_compute(&run, &m, &policy, &snapshot);
    cr_assert_eq(run.input->n_counties, 2);
    cr_expect_str_eq(run.input->counties[0].code, "130201");
    cr_expect_eq(run.result->counties[0].rank, 2); /* 70: second in the city */
    cr_expect_eq(run.result->counties[0].rank_in_province, 3);
    cr_expect_eq(run.result->counties[1].rank, 1); /* 95 */
    cr_expect_eq(run.result->counties[1].rank_in_province, 1);
    cr_expect_eq(run.n_scope_counties, 2);
    cr_expect_eq(run.n_not_evaluated, 0);
    cr_expect_eq(run_province_size(&run, "130201"), 4);
    s_release(&run, &snapshot);
}
