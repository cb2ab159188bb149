/*  workflow_fixture: see workflow_fixture.h. */
#include "workflow_fixture.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

void wf_fixture_submit_file(const harness_node_t *node, const char *path)
{
    const char *submit[] = {"submit-application",
                            path,
                            "--user",
                            "lizhenhua",
                            "--role",
                            "applicant",
                            "--division",
                            "130131",
                            "--organisation",
                            "平山县太行菌业科技有限公司",
                            NULL};
    cr_assert_eq(harness_kcctl(node, submit), 0, "see %s", node->log_path);
}

void wf_fixture_submit(const harness_node_t *node)
{
    wf_fixture_submit_file(node, "deploy/data/sample/sample-application.json");
}

void wf_fixture_start(wf_fixture_t *f, long long clock_ms)
{
    harness_node_start(&f->node);
    if (clock_ms > 0)
        harness_clock_set(&f->node, clock_ms);
    f->workflow = harness_workflow_start(&f->node);
    const char *load[] = {"process", "load", "deploy/workflow/mountain-base-v1.ini", NULL};
    cr_assert_eq(harness_kcctl(&f->node, load), 0, "see %s", f->node.log_path);
    const char *experts[] = {"experts", "load", "deploy/data/sample/experts.csv", NULL};
    cr_assert_eq(harness_kcctl(&f->node, experts), 0, "see %s", f->node.log_path);
    wf_fixture_submit(&f->node);
    /* kc-workflow adopts it once kc-intake's event is committed */
    cr_assert_eq(harness_wait_count(&f->node, "SELECT count(*) FROM workflow_instance", 1, 10000),
                 1);
    PGresult *result = PQexec(f->node.db, "SELECT ref FROM application");
    snprintf(f->ref, sizeof f->ref, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
}

void wf_fixture_stop(wf_fixture_t *f)
{
    kill(f->workflow, SIGTERM);
    int status = 0;
    waitpid(f->workflow, &status, 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "kc-workflow did not stop cleanly");
    harness_node_stop(&f->node);
}

int wf_fixture_act_as(wf_fixture_t *f, const char *user, const char *role, const char *division,
                      const char *transition, const char *reason, bool attest)
{
    const char *args[16] = {"act",    f->ref,     transition, "--user",
                            user,     "--role",   role,       "--division",
                            division, "--reason", reason,     attest ? "--attest" : NULL,
                            NULL};
    return harness_kcctl(&f->node, args);
}

int wf_fixture_act(wf_fixture_t *f, const char *role, const char *division, const char *transition,
                   const char *reason, bool attest)
{
    return wf_fixture_act_as(f, "official", role, division, transition, reason, attest);
}

const char *wf_fixture_state(wf_fixture_t *f)
{
    static char state[64];
    PGresult *result = PQexec(f->node.db, "SELECT state FROM workflow_instance");
    snprintf(state, sizeof state, "%s", PQntuples(result) ? PQgetvalue(result, 0, 0) : "");
    PQclear(result);
    return state;
}

/* The seated experts (not replaced), in seat order, into codes. */
int wf_fixture_seated(wf_fixture_t *f, char codes[][16], int max)
{
    PGresult *result =
        PQexec(f->node.db, "SELECT expert_code FROM panel_member WHERE declaration IS"
                           " DISTINCT FROM 'conflict' ORDER BY position");
    int n = PQntuples(result) < max ? PQntuples(result) : max;
    for (int i = 0; i < n; i++)
        snprintf(codes[i], 16, "%s", PQgetvalue(result, i, 0));
    PQclear(result);
    return n;
}

int wf_fixture_panel(wf_fixture_t *f, const char *expert, const char *verb, const char *arg,
                     const char *reason)
{
    const char *args[16] = {"panel",    verb,     f->ref,   arg,          "--user",
                            expert,     "--role", "expert", "--division", "130000",
                            "--reason", reason,   NULL};
    if (!arg) { /* show: no argument */
        const char *show[] = {"panel",  verb,     f->ref,       "--user", expert,
                              "--role", "expert", "--division", "130000", NULL};
        return harness_kcctl(&f->node, show);
    }
    return harness_kcctl(&f->node, args);
}

/* An expert's scores on the five criteria, proportional to `total` of 100. */
int wf_fixture_score(wf_fixture_t *f, const char *expert, int total)
{
    static const struct {
        const char *code;
        int points;
    } criteria[] = {{"representativeness", 20},
                    {"industry_foundation", 20},
                    {"innovation_conditions", 20},
                    {"construction_content", 25},
                    {"organisation_support", 15}};
    char pairs[5][64];
    const char *args[16] = {"panel", "score", f->ref};
    int n = 3;
    for (int c = 0; c < 5; c++) {
        snprintf(pairs[c], sizeof pairs[c], "%s=%.2f", criteria[c].code,
                 criteria[c].points * total / 100.0);
        args[n++] = pairs[c];
    }
    const char *tail[] = {"--user", expert, "--role", "expert", "--division", "130000", NULL};
    memcpy(&args[n], tail, sizeof tail);
    return harness_kcctl(&f->node, args);
}

/* Every seated expert declares and scores: totals 70, 97, 80, 52, 81. */
void wf_fixture_panel_scores(wf_fixture_t *f)
{
    static const int totals[5] = {70, 97, 80, 52, 81};
    char seated[8][16];
    cr_assert_eq(wf_fixture_seated(f, seated, 8), 5);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(wf_fixture_panel(f, seated[i], "declare", "none", ""), 0);
        cr_assert_eq(wf_fixture_score(f, seated[i], totals[i]), 0, "%s could not score", seated[i]);
    }
}

/* Up the levels to the province's expert evaluation (the panel is drawn). */
void wf_fixture_to_expert_review(wf_fixture_t *f)
{
    cr_assert_eq(wf_fixture_act(f, "applicant", "130131", "submit", "自愿申报", true), 0);
    cr_assert_eq(
        wf_fixture_act(f, "county_bureau", "130131", "county_approve", "材料齐全，同意上报", false),
        0);
    cr_assert_eq(
        wf_fixture_act(f, "county_government", "130131", "county_consent", "同意申报", true), 0);
    cr_assert_eq(wf_fixture_act(f, "city_bureau", "130100", "city_recommend", "推荐上报", true), 0);
    cr_assert_eq(wf_fixture_act(f, "province_department", "130000", "province_assign", "", false),
                 0);
    cr_assert_str_eq(wf_fixture_state(f), "expert_review");
}

void wf_fixture_to_notice(wf_fixture_t *f)
{
    wf_fixture_to_expert_review(f);
    wf_fixture_panel_scores(f);
    cr_assert_eq(wf_fixture_act(f, "province_department", "130000", "province_approve",
                                "专家评估通过（77.00分），予以公示", false),
                 0);
    cr_assert_str_eq(wf_fixture_state(f), "public_notice");
}

int wf_fixture_object(wf_fixture_t *f, const char *reason)
{
    char path[300];
    snprintf(path, sizeof path, "%s.objection.json", f->node.log_path);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fprintf(file,
            "{\"application_id\": \"%s\", \"objector_name\": \"赵国强\", \"phone\":"
            " \"0311-82918806\", \"reason\": \"%s\"}",
            f->ref, reason);
    fclose(file);
    const char *args[] = {"submit-objection", path, "--role", "public", NULL};
    return harness_kcctl(&f->node, args);
}

int wf_fixture_settle(wf_fixture_t *f, long long id, const char *outcome, const char *reason)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", id);
    const char *args[] = {
        "resolve-objection",   text,         outcome,  "--reason", reason, "--role",
        "province_department", "--division", "130000", NULL};
    return harness_kcctl(&f->node, args);
}
