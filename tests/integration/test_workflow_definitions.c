/*  Every shipped procedure, every branch, through the real kc-workflow.
 *
 *  For each definition in deploy/workflow/ the test reads the file with the
 *  daemon's own parser, then for every transition starts a fresh
 *  application of the programme, walks it from the initial state along the
 *  shortest path of forward steps to the transition's state, and takes the
 *  transition: officials act as the step's role in the application's
 *  county, city or province; a step that needs scores first has every
 *  seated expert of the panel declare and score; a notice or a timer is
 *  passed by moving kc-workflow's clock to the instant it falls due. Each
 *  step must land where the definition says. So the happy path and every
 *  return, rejection, withdrawal, timer and panel of every shipped
 *  procedure has been taken at least once by the daemon.
 *
 *  Applications of programmes other than the mountain bases (whose forms
 *  kc-intake does not take yet) are written straight into the database, as
 *  kc-intake would store them; kc-workflow adopts them as it adopts any.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "kc/kc_id.h"
#include "process/process.h"

TestSuite(definitions, .timeout = 900);

#define START_MS 1740963600000LL /* 2025-03-03 09:00 CST, a Monday */
#define COUNTY   "130131"        /* 平山县, of 石家庄 130100, in 河北 130000 */

typedef struct {
    harness_node_t node;
    pid_t workflow;
    kc_client_t *client;
    wf_process_t process;
    int serial;           /* applications started */
    long long now_ms;     /* the clock the officials act at (a timer moves it and back) */
    const char *county;   /* where the walk's applications come from */
    const char *city;     /* its city */
    const char *province; /* its province */
} s_walk_t;

static void s_load(s_walk_t *w, const char *path)
{
    FILE *file = fopen(path, "rb");
    cr_assert_not_null(file, "%s", path);
    static char text[256 * 1024];
    size_t size = fread(text, 1, sizeof text, file);
    fclose(file);
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_eq(process_parse(text, size, &w->process, &errors), 0, "%s does not parse", path);
    kc_errors_release(&errors);
    const char *load[] = {"process", "load", path, NULL};
    cr_assert_eq(harness_kcctl(&w->node, load), 0);
}

/* Eight experts of the definition's field, none of the applicants' county. */
static void s_pool(s_walk_t *w)
{
    if (w->process.panel_size == 0)
        return;
    char path[300];
    snprintf(path, sizeof path, "%s.experts.csv", w->node.log_path);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fprintf(file, "code,name,organisation,county_code,fields,conflicts,active\n");
    for (int i = 1; i <= 8; i++)
        fprintf(file, "T%02d,测试专家%d,测试专家单位%d,130102,%s,,true\n", i, i, i,
                w->process.panel_field);
    fclose(file);
    const char *load[] = {"experts", "load", path, NULL};
    cr_assert_eq(harness_kcctl(&w->node, load), 0);
}

static void s_start(s_walk_t *w, const char *path)
{
    memset(w, 0, sizeof *w);
    w->county = COUNTY;
    w->city = "130100";
    w->province = "130000";
    harness_node_start(&w->node);
    w->now_ms = START_MS;
    harness_clock_set(&w->node, START_MS);
    w->workflow = harness_workflow_start(&w->node);
    kc_error_t error;
    w->client = kc_client_new(w->node.workflow, 20000, 1, &error);
    cr_assert_not_null(w->client);
    s_load(w, path);
    s_pool(w);
    PGresult *result = PQexec(w->node.db, "INSERT INTO submission (idempotency_key, request_hash,"
                                          " kind, message_id, sender_node, actor_user, actor_role,"
                                          " actor_division) VALUES ('walk', '\\x00',"
                                          " 'application', 'walk', 'test', 'test', 'applicant',"
                                          " '130131')");
    cr_assert_eq(PQresultStatus(result), PGRES_COMMAND_OK, "%s", PQerrorMessage(w->node.db));
    PQclear(result);
}

static void s_stop(s_walk_t *w)
{
    kc_client_destroy(&w->client);
    kill(w->workflow, SIGTERM);
    int status = 0;
    waitpid(w->workflow, &status, 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "kc-workflow did not stop cleanly");
    harness_node_stop(&w->node);
}

/* A new application of the programme, adopted by kc-workflow; its ref. */
static void s_new_application(s_walk_t *w, char ref[32])
{
    w->serial++;
    snprintf(ref, 32, "WALK-%04d", w->serial);
    char base[32];
    snprintf(base, sizeof base, "base %d", w->serial);
    const char *params[4] = {ref, w->process.programme, base, w->county};
    PGresult *result =
        PQexecParams(w->node.db,
                     "INSERT INTO application (ref, programme, county_code, title, base_name,"
                     " applicant_organisation, submission_id, form) SELECT $1, $2, $4, $3, $3,"
                     " '测试申报单位', id, '{}' FROM submission WHERE idempotency_key = 'walk'",
                     4, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(result), PGRES_COMMAND_OK, "%s", PQerrorMessage(w->node.db));
    PQclear(result);
    for (int tries = 0; tries < 200; tries++) {
        if (harness_count(&w->node, "SELECT count(*) FROM workflow_instance") == w->serial)
            return;
        usleep(50 * 1000);
    }
    cr_assert_fail("kc-workflow did not adopt %s", ref);
}

static const char *s_state_of(s_walk_t *w, const char *ref)
{
    static char state[64];
    const char *params[1] = {ref};
    PGresult *result = PQexecParams(w->node.db,
                                    "SELECT w.state FROM workflow_instance w JOIN application a"
                                    " ON a.id = w.application_id WHERE a.ref = $1",
                                    1, NULL, params, NULL, NULL, 0);
    snprintf(state, sizeof state, "%s", PQntuples(result) ? PQgetvalue(result, 0, 0) : "");
    PQclear(result);
    return state;
}

/* Send one request as (user, role, division); the reply, or NULL. */
static kc_envelope_t *s_send(s_walk_t *w, kc_envelope_t *request, const char *user,
                             const char *role, const char *division)
{
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = (char *)user;
    actor.role = (char *)role;
    actor.division_code = (char *)division;
    char id[KC_ID_SIZE], key[KC_ID_SIZE];
    kc_bus_stamp(request, id, "test", &actor);
    kc_id_new(key);
    request->idempotency_key = key;
    kc_envelope_t *reply = NULL;
    kc_error_t error;
    if (kc_client_call(w->client, request, &reply, &error))
        return NULL;
    return reply;
}

static void s_refused(const kc_envelope_t *reply, const char *what)
{
    const char *why =
        reply && reply->body_case == KC__V1__ENVELOPE__BODY_REJECTED && reply->rejected->n_errors
            ? reply->rejected->errors[0]->message
            : "no answer";
    cr_assert_fail("%s: %s", what, why);
}

/* Every seated expert of the sitting panel declares and gives full points. */
static void s_panel(s_walk_t *w, const char *ref)
{
    const char *params[1] = {ref};
    PGresult *seated =
        PQexecParams(w->node.db,
                     "SELECT m.expert_code FROM panel_member m JOIN panel p ON p.id = m.panel_id"
                     " JOIN application a ON a.id = p.application_id"
                     " WHERE a.ref = $1 AND p.version = (SELECT max(version) FROM panel q"
                     "   WHERE q.application_id = p.application_id)"
                     "   AND m.declaration IS DISTINCT FROM 'conflict' AND m.scored_at IS NULL",
                     1, NULL, params, NULL, NULL, 0);
    for (int e = 0; e < PQntuples(seated); e++) {
        const char *expert = PQgetvalue(seated, e, 0);
        kc_envelope_t declare_request = KC__V1__ENVELOPE__INIT;
        Kc__V1__DeclareConflict declare = KC__V1__DECLARE_CONFLICT__INIT;
        declare.application_ref = (char *)ref;
        declare_request.body_case = KC__V1__ENVELOPE__BODY_DECLARE_CONFLICT;
        declare_request.declare_conflict = &declare;
        kc_envelope_t *reply = s_send(w, &declare_request, expert, "expert", "130000");
        if (!reply || reply->body_case != KC__V1__ENVELOPE__BODY_PANEL_VIEW)
            s_refused(reply, "a declaration");
        kc_bus_free(&reply);
        Kc__V1__CriterionScore scores[WF_MAX_CRITERIA], *pointers[WF_MAX_CRITERIA];
        for (size_t c = 0; c < w->process.n_criteria; c++) {
            kc__v1__criterion_score__init(&scores[c]);
            scores[c].criterion = w->process.criteria[c].code;
            scores[c].points = w->process.criteria[c].points;
            pointers[c] = &scores[c];
        }
        kc_envelope_t score_request = KC__V1__ENVELOPE__INIT;
        Kc__V1__ScoreApplication score = KC__V1__SCORE_APPLICATION__INIT;
        score.application_ref = (char *)ref;
        score.scores = pointers;
        score.n_scores = w->process.n_criteria;
        score_request.body_case = KC__V1__ENVELOPE__BODY_SCORE_APPLICATION;
        score_request.score_application = &score;
        reply = s_send(w, &score_request, expert, "expert", "130000");
        if (!reply || reply->body_case != KC__V1__ENVELOPE__BODY_PANEL_VIEW)
            s_refused(reply, "a score");
        kc_bus_free(&reply);
    }
    PQclear(seated);
}

static const char *s_division(const s_walk_t *w, wf_level_t level)
{
    return level == WF_LEVEL_CITY ? w->city : level == WF_LEVEL_PROVINCE ? w->province : w->county;
}

/* A system step taken only on a condition: an objection upheld during the
 * notice (on_objection_upheld), or the period over (on_period_end). The
 * objection is written as kc-intake stores it and upheld through
 * kc-workflow. The end of a three-year period is reached by turning the
 * yearly timer the daemon armed into the period's step: the walk checks
 * that the step can be taken; the management suite checks when the daemon
 * arms it. */
static void s_condition(s_walk_t *w, const char *ref, const wf_transition_t *step)
{
    const wf_state_t *from = &w->process.states[step->from];
    const char *params[2] = {ref, step->code};
    if (from->notice_working_days > 0 && strcmp(from->on_objection_upheld, step->code) == 0) {
        PGresult *made = PQexecParams(
            w->node.db,
            "INSERT INTO objection (application_id, objector_name, objector_organisation, phone,"
            " email, reason, submission_id) SELECT a.id, '测试异议人', '', '0311-82918806', '',"
            " '测试：公示异议', s.id FROM application a, submission s WHERE a.ref = $1"
            " AND s.idempotency_key = 'walk' RETURNING id",
            1, NULL, params, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(made), PGRES_TUPLES_OK, "%s", PQerrorMessage(w->node.db));
        kc_envelope_t request = KC__V1__ENVELOPE__INIT;
        Kc__V1__ResolveObjection resolve = KC__V1__RESOLVE_OBJECTION__INIT;
        resolve.objection_id = strtoll(PQgetvalue(made, 0, 0), NULL, 10);
        resolve.outcome = "upheld";
        resolve.reason = "测试：异议成立";
        PQclear(made);
        request.body_case = KC__V1__ENVELOPE__BODY_RESOLVE_OBJECTION;
        request.resolve_objection = &resolve;
        kc_envelope_t *reply = s_send(w, &request, "walker", "province_department", "130000");
        if (!reply || reply->body_case != KC__V1__ENVELOPE__BODY_WORKFLOW_STATE)
            s_refused(reply, "upholding an objection");
        kc_bus_free(&reply);
    }
    if (from->period_days > 0 && strcmp(from->on_period_end, step->code) == 0) {
        PGresult *result = PQexecParams(
            w->node.db,
            "UPDATE workflow_timer t SET transition = $2 FROM application a WHERE"
            " a.id = t.application_id AND a.ref = $1 AND t.kind = 'timer' AND t.fired_ms IS NULL",
            2, NULL, params, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(result), PGRES_COMMAND_OK, "%s", PQerrorMessage(w->node.db));
        cr_assert_str_eq(PQcmdTuples(result), "1", "%s has no timer armed", ref);
        PQclear(result);
    }
}

/* Take transition t of application ref, as its role or by its timer. */
static void s_take(s_walk_t *w, const char *ref, int t)
{
    const wf_transition_t *step = &w->process.transitions[t];
    const char *expected = step->to_earlier ? w->process.states[w->process.initial].code
                                            : w->process.states[step->to].code;
    if (strcmp(step->role, "system") == 0) {
        s_condition(w, ref, step);
        const char *params[1] = {ref};
        PGresult *due = PQexecParams(
            w->node.db,
            "SELECT t.due_ms FROM workflow_timer t JOIN workflow_instance i"
            " ON i.application_id = t.application_id AND i.version = t.version"
            " JOIN application a ON a.id = t.application_id"
            " WHERE a.ref = $1 AND t.kind IN ('notice_end', 'timer') AND t.fired_ms IS NULL",
            1, NULL, params, NULL, NULL, 0);
        cr_assert_eq(PQntuples(due), 1, "%s at %s has no timer for '%s'", ref, s_state_of(w, ref),
                     step->code);
        harness_clock_set(&w->node, strtoll(PQgetvalue(due, 0, 0), NULL, 10));
        PQclear(due);
        for (int tries = 0; tries < 100 && strcmp(s_state_of(w, ref), expected) != 0; tries++)
            usleep(50 * 1000);
        cr_assert_str_eq(s_state_of(w, ref), expected, "the timer did not take '%s'", step->code);
        harness_clock_set(&w->node, w->now_ms);
        return;
    }
    if (step->requires & WF_REQUIRES_SCORES)
        s_panel(w, ref);
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    Kc__V1__ActOnApplication act = KC__V1__ACT_ON_APPLICATION__INIT;
    act.application_ref = (char *)ref;
    act.transition = (char *)step->code;
    act.reason = "测试：按定义走完每一步";
    act.attest = true;
    act.return_to = step->to_earlier ? w->process.states[w->process.initial].code : (char *)"";
    request.body_case = KC__V1__ENVELOPE__BODY_ACT_ON_APPLICATION;
    request.act_on_application = &act;
    kc_envelope_t *reply = s_send(w, &request, "walker", step->role, s_division(w, step->level));
    if (!reply || reply->body_case != KC__V1__ENVELOPE__BODY_WORKFLOW_STATE) {
        char what[160];
        snprintf(what, sizeof what, "%s: '%s' from %s", w->process.code, step->code,
                 s_state_of(w, ref));
        s_refused(reply, what);
    }
    cr_assert_str_eq(reply->workflow_state->state, expected, "'%s' led elsewhere", step->code);
    kc_bus_free(&reply);
}

/* The forward steps of the shortest path from the initial state to each
 * state: via[s] is the transition entering s on it (-1 for the start). */
static void s_paths(const wf_process_t *p, int via[WF_MAX_STATES])
{
    bool seen[WF_MAX_STATES] = {false};
    int queue[WF_MAX_STATES], head = 0, tail = 0;
    for (int s = 0; s < WF_MAX_STATES; s++)
        via[s] = -1;
    queue[tail++] = p->initial;
    seen[p->initial] = true;
    while (head < tail) {
        int at = queue[head++];
        for (size_t t = 0; t < p->n_transitions; t++) {
            const wf_transition_t *step = &p->transitions[t];
            if (step->from != at || step->to < 0 || seen[step->to])
                continue;
            seen[step->to] = true;
            via[step->to] = (int)t;
            queue[tail++] = step->to;
        }
    }
}

static void s_walk_to(s_walk_t *w, const char *ref, int state, const int via[WF_MAX_STATES])
{
    int path[WF_MAX_STATES], n = 0;
    for (int at = state; at != w->process.initial; at = w->process.transitions[via[at]].from) {
        cr_assert_geq(via[at], 0, "state '%s' cannot be reached", w->process.states[at].code);
        path[n++] = via[at];
    }
    while (n > 0)
        s_take(w, ref, path[--n]);
}

/* The programme's progress as the province sees it (NULL: refused). */
static kc_envelope_t *s_progress(s_walk_t *w)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    Kc__V1__GetProgress get = KC__V1__GET_PROGRESS__INIT;
    get.programme = w->process.programme;
    request.body_case = KC__V1__ENVELOPE__BODY_GET_PROGRESS;
    request.get_progress = &get;
    kc_envelope_t *reply = s_send(w, &request, "walker", "province_department", "130000");
    if (!reply || reply->body_case != KC__V1__ENVELOPE__BODY_PROGRESS)
        s_refused(reply, "progress");
    return reply;
}

/* Progress counts the definition's own goal (its goal_state reached, each
 * application once, in the year it first did) year by year against the
 * yearly quota: after the walk (all in 2025) one more application reaches
 * the goal a year on, in 2026; the quota's years are listed even empty. */
static void s_progress_by_year(s_walk_t *w)
{
    const wf_process_t *p = &w->process;
    int goal = process_state_index(p, p->goal_state);
    cr_assert_geq(goal, 0, "%s names no goal_state", p->code);
    const char *params[1] = {p->goal_state};
    PGresult *result = PQexecParams(w->node.db,
                                    "SELECT count(DISTINCT application_id) FROM workflow_step"
                                    " WHERE to_state = $1",
                                    1, NULL, params, NULL, NULL, 0);
    long long walked = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    PQclear(result);
    cr_assert_gt(walked, 0, "the walk never reached '%s'", p->goal_state);
    w->now_ms = START_MS + 364LL * 86400000; /* 2026-03-02 09:00 CST, a Monday */
    harness_clock_set(&w->node, w->now_ms);
    int via[WF_MAX_STATES];
    s_paths(p, via);
    char ref[32];
    s_new_application(w, ref);
    s_walk_to(w, ref, goal, via);
    kc_envelope_t *reply = s_progress(w);
    const Kc__V1__Progress *progress = reply->progress;
    cr_expect_str_eq(progress->goal_state, p->goal_state);
    cr_expect_str_eq(progress->goal_state_name, p->states[goal].name_zh);
    cr_expect_eq(progress->filed, walked + 1);
    cr_expect_eq(progress->target_count, p->target_count);
    int quota_years = p->quota_per_year > 0 ? p->target_year - p->quota_from + 1 : 0;
    cr_assert_eq(progress->n_years, (size_t)quota_years + 2, "%s: %zu years", p->code,
                 progress->n_years);
    for (int i = 0; i < quota_years; i++) {
        cr_expect_eq(progress->years[i]->year, p->quota_from + i);
        cr_expect_eq(progress->years[i]->quota, p->quota_per_year);
        cr_expect_eq(progress->years[i]->reached, 0);
    }
    const Kc__V1__YearCount *y2025 = progress->years[quota_years];
    const Kc__V1__YearCount *y2026 = progress->years[quota_years + 1];
    cr_expect_eq(y2025->year, 2025);
    cr_expect_eq(y2025->reached, walked);
    cr_expect_eq(y2025->quota, 0);
    cr_expect_eq(y2026->year, 2026);
    cr_expect_eq(y2026->reached, 1);
    kc_bus_free(&reply);
    const char *print[] = {
        "progress",   "--programme", p->programme, "--role", "province_department",
        "--division", "130000",      NULL};
    cr_expect_eq(harness_kcctl(&w->node, print), 0);
}

static void s_every_branch(const char *path)
{
    s_walk_t w;
    s_start(&w, path);
    int via[WF_MAX_STATES];
    s_paths(&w.process, via);
    size_t taken = 0;
    for (size_t t = 0; t < w.process.n_transitions; t++) {
        const wf_transition_t *step = &w.process.transitions[t];
        char ref[32];
        s_new_application(&w, ref);
        s_walk_to(&w, ref, step->from_any ? w.process.initial : step->from, via);
        s_take(&w, ref, (int)t);
        taken++;
    }
    cr_expect_eq(taken, w.process.n_transitions);
    /* every step of every walk is in the history, the event log and the audit chain */
    long long steps = harness_count(&w.node, "SELECT count(*) FROM workflow_step");
    cr_expect_eq(
        harness_count(&w.node, "SELECT count(*) FROM event WHERE type = 'ApplicationMoved'"),
        steps);
    cr_expect_eq(harness_count(&w.node, "SELECT count(*) FROM audit_entry WHERE allowed AND"
                                        " action LIKE 'workflow.act:%'"),
                 steps);
    const char *verify[] = {"audit", "verify", NULL};
    cr_expect_eq(harness_kcctl(&w.node, verify), 0);
    s_progress_by_year(&w);
    s_stop(&w);
}

Test(definitions, mountain_base_every_branch)
{
    s_every_branch("deploy/workflow/mountain-base-v1.ini");
}

Test(definitions, innovative_county_every_branch)
{
    s_every_branch("deploy/workflow/innovative-county-v1.ini");
}

Test(definitions, innovative_town_every_branch)
{
    s_every_branch("deploy/workflow/innovative-town-v1.ini");
}

Test(definitions, specialised_town_every_branch)
{
    s_every_branch("deploy/workflow/specialised-town-v1.ini");
}

Test(definitions, project_pipeline_every_branch)
{
    s_every_branch("deploy/workflow/project-pipeline-v1.ini");
}

Test(definitions, county_monitoring_every_branch)
{
    s_every_branch("deploy/workflow/county-monitoring-v1.ini");
}

/* The programmes other than the mountain bases take their applications
 * through kc-intake too (ProgrammeForm), and kc-workflow gives each the
 * newest procedure of its programme. */
Test(definitions, an_innovative_county_applies_through_intake_and_enters_its_procedure)
{
    s_walk_t w;
    s_start(&w, "deploy/workflow/innovative-county-v1.ini");
    w.county = "620123"; /* 榆中县, of 兰州 620100: seed 003 is Gansu's */
    w.city = "620100";
    w.province = "620000";
    const char *submit[] = {"submit-application",
                            "deploy/data/sample/sample-application-county.json",
                            "--user",
                            "maxiaoyan",
                            "--role",
                            "applicant",
                            "--division",
                            "620123",
                            "--organisation",
                            "榆中县科学技术局",
                            "--key",
                            "ic-1",
                            NULL};
    cr_assert_eq(harness_kcctl(&w.node, submit), 0, "see %s", w.node.log_path);
    cr_assert_eq(harness_kcctl(&w.node, submit), 0, "a retry is answered");
    /* the same county again under a new key is the same application twice */
    submit[10] = "--dry-run";
    submit[11] = NULL;
    cr_expect_neq(harness_kcctl(&w.node, submit), 0);
    cr_assert_eq(harness_wait_count(&w.node,
                                    "SELECT count(*) FROM workflow_instance w JOIN application a"
                                    " ON a.id = w.application_id WHERE a.ref LIKE 'IC-%'"
                                    " AND w.definition = 'innovative-county-v1'",
                                    1, 10000),
                 1);
    cr_expect_eq(harness_count(&w.node, "SELECT count(*) FROM application"), 1);
    char ref[32];
    PGresult *result = PQexec(w.node.db, "SELECT ref FROM application");
    snprintf(ref, sizeof ref, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
    cr_expect_str_eq(s_state_of(&w, ref), w.process.states[w.process.initial].code);
    /* and takes the procedure's first step */
    int via[WF_MAX_STATES];
    s_paths(&w.process, via);
    for (size_t t = 0; t < w.process.n_transitions; t++)
        if (w.process.transitions[t].from == w.process.initial &&
            !w.process.transitions[t].to_earlier &&
            !w.process.states[w.process.transitions[t].to].final) {
            s_take(&w, ref, (int)t);
            break;
        }
    cr_expect_str_neq(s_state_of(&w, ref), w.process.states[w.process.initial].code);

    /* a form without its title and summary is refused, nothing stored */
    char path[300];
    snprintf(path, sizeof path, "%s.bad.json", w.node.log_path);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs("{\"programme\": \"innovative_town\", \"programme_form\": {\"county_code\": \"620123\","
          " \"subject_name\": \"夏官营镇\", \"applicant_organisation\": \"夏官营镇人民政府\"}}",
          file);
    fclose(file);
    const char *bad[] = {"submit-application", path,     "--role", "applicant",
                         "--division",         "620123", NULL};
    cr_expect_neq(harness_kcctl(&w.node, bad), 0);
    cr_expect_eq(harness_count(&w.node, "SELECT count(*) FROM application"), 1);
    s_stop(&w);
}
