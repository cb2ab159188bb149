/*  workflow_fixture: see workflow_fixture.h. */
#include "workflow_fixture.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

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
    cr_assert_eq(harness_kcctl(&f->node, submit), 0, "see %s", f->node.log_path);
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
