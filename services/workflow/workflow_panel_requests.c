/*  workflow_panel_requests: what experts and officials ask of a panel.
 *
 *  An expert (actor role "expert", user_id the expert's code) declares a
 *  conflict of interest or none, then scores every criterion of the
 *  definition once; the last score of the panel aggregates it. Officials
 *  of the province (and of the application's city and county, read only)
 *  see the whole panel; an expert sees who applied, and the application
 *  itself only after declaring no conflict. Every declaration and score,
 *  allowed or refused, is audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_check.h"
#include "kc/kc_db.h"
#include "kc/v1/events.pb-c.h"
#include "workflow/panel_math.h"
#include "workflow/pg_array.h"
#include "workflow/workflow_internal.h"

/* The latest panel of an application; P_SITTING says whether it is the
 * one of the instance's current version (still in the panel's state). */
#define PANEL_SQL                                                                                  \
    "SELECT p.id, a.ref, a.county_code, w.definition, p.state, p.version, p.field, p.size,"        \
    "       p.seed, p.exclusions, p.draw_order, p.rule, p.disagreement_points,"                    \
    "       a.applicant_organisation, a.form::text, a.id, p.version = w.version"                   \
    "  FROM application a JOIN workflow_instance w ON w.application_id = a.id"                     \
    "  JOIN panel p ON p.application_id = a.id"                                                    \
    " WHERE a.ref = $1 ORDER BY p.version DESC LIMIT 1"

enum {
    P_ID,
    P_REF,
    P_COUNTY,
    P_DEFINITION,
    P_STATE,
    P_VERSION,
    P_FIELD,
    P_SIZE,
    P_SEED,
    P_EXCLUSIONS,
    P_ORDER,
    P_RULE,
    P_SPREAD_MAX,
    P_ORGANISATION,
    P_FORM,
    P_APP,
    P_SITTING
};

static bool s_is_expert(const Kc__V1__Actor *actor)
{
    return actor && strcmp(actor->role, "expert") == 0 && *actor->user_id;
}

static int s_members(PGconn *conn, const PGresult *panel, Kc__V1__PanelView *view,
                     const Kc__V1__Actor *actor, kc_error_t *error)
{
    const char *params[1] = {PQgetvalue(panel, 0, P_ID)};
    PGresult *result = NULL;
    if (kc_db_run_cached(
            conn,
            "SELECT m.expert_code, e.name, m.position, coalesce(m.declaration, ''),"
            "       m.declaration_reason, coalesce(m.total, 0), m.scored_at IS NOT NULL,"
            "       coalesce((SELECT bool_or(split_part(x, '=', 1) = m.expert_code)"
            "                   FROM unnest(r.excluded) x), false),"
            "       (SELECT string_agg(s.criterion || '=' || s.points, ',' ORDER BY"
            "               s.criterion) FROM panel_score s WHERE s.panel_id = m.panel_id"
            "          AND s.expert_code = m.expert_code)"
            "  FROM panel_member m JOIN expert e ON e.code = m.expert_code"
            "  LEFT JOIN panel_result r ON r.panel_id = m.panel_id"
            " WHERE m.panel_id = $1::bigint ORDER BY m.position",
            1, params, NULL, NULL, "reading the panel", &result, error))
        return -1;
    int n = PQntuples(result);
    view->members = calloc((size_t)n + 1, sizeof *view->members);
    if (!view->members)
        abort();
    bool expert = s_is_expert(actor);
    for (int i = 0; i < n; i++) {
        if (expert && strcmp(PQgetvalue(result, i, 0), actor->user_id) != 0)
            continue; /* an expert sees their own seat only */
        Kc__V1__PanelMember *member = malloc(sizeof *member);
        if (!member)
            abort();
        kc__v1__panel_member__init(member);
        member->expert_code = workflow_dup(PQgetvalue(result, i, 0));
        member->name = workflow_dup(PQgetvalue(result, i, 1));
        member->position = (int32_t)kc_db_int(result, i, 2);
        member->declaration = workflow_dup(PQgetvalue(result, i, 3));
        member->declaration_reason = workflow_dup(PQgetvalue(result, i, 4));
        member->replaced = strcmp(member->declaration, "conflict") == 0;
        member->total = strtod(PQgetvalue(result, i, 5), NULL);
        member->scored = PQgetvalue(result, i, 6)[0] == 't';
        member->excluded = PQgetvalue(result, i, 7)[0] == 't';
        size_t count = 0;
        char **pairs = pg_array_split(PQgetvalue(result, i, 8), &count);
        member->scores = calloc(count + 1, sizeof *member->scores);
        if (!member->scores)
            abort();
        for (size_t c = 0; c < count; c++) {
            Kc__V1__CriterionScore *score = malloc(sizeof *score);
            if (!score)
                abort();
            kc__v1__criterion_score__init(score);
            char *equals = strchr(pairs[c], '=');
            if (equals) {
                *equals = '\0';
                score->points = strtod(equals + 1, NULL);
            }
            score->criterion = workflow_dup(pairs[c]);
            member->scores[member->n_scores++] = score;
            free(pairs[c]);
        }
        free(pairs);
        view->members[view->n_members++] = member;
    }
    PQclear(result);
    return 0;
}

static int s_view(PGconn *conn, const PGresult *panel, const Kc__V1__Actor *actor,
                  Kc__V1__PanelView **out, kc_error_t *error)
{
    Kc__V1__PanelView *view = malloc(sizeof *view);
    if (!view)
        abort();
    kc__v1__panel_view__init(view);
    *out = view;
    view->application_ref = workflow_dup(PQgetvalue(panel, 0, P_REF));
    view->state = workflow_dup(PQgetvalue(panel, 0, P_STATE));
    view->instance_version = (int32_t)kc_db_int(panel, 0, P_VERSION);
    view->field = workflow_dup(PQgetvalue(panel, 0, P_FIELD));
    view->size = (int32_t)kc_db_int(panel, 0, P_SIZE);
    view->rule = workflow_dup(PQgetvalue(panel, 0, P_RULE));
    view->applicant_organisation = workflow_dup(PQgetvalue(panel, 0, P_ORGANISATION));
    view->county_code = workflow_dup(PQgetvalue(panel, 0, P_COUNTY));
    bool expert = s_is_expert(actor);
    if (!expert) { /* officials see how the panel was drawn */
        view->seed = strtoull(PQgetvalue(panel, 0, P_SEED), NULL, 10);
        view->exclusions = pg_array_split(PQgetvalue(panel, 0, P_EXCLUSIONS), &view->n_exclusions);
        view->draw_order = pg_array_split(PQgetvalue(panel, 0, P_ORDER), &view->n_draw_order);
    }
    if (s_members(conn, panel, view, actor, error))
        return -1;
    if (expert && view->n_members == 1 && strcmp(view->members[0]->declaration, "no_conflict") == 0)
        view->application_form = workflow_dup(PQgetvalue(panel, 0, P_FORM));
    const char *params[1] = {PQgetvalue(panel, 0, P_ID)};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn,
                         "SELECT aggregate, spread, disagreement FROM panel_result"
                         " WHERE panel_id = $1::bigint",
                         1, params, NULL, NULL, "reading the panel's result", &result, error))
        return -1;
    if (PQntuples(result) == 1) {
        view->complete = true;
        if (!expert) {
            view->aggregate = strtod(PQgetvalue(result, 0, 0), NULL);
            view->spread = strtod(PQgetvalue(result, 0, 1), NULL);
            view->disagreement = PQgetvalue(result, 0, 2)[0] == 't';
        }
    }
    PQclear(result);
    return 0;
}

/* Who may look at the panel: its experts, and officials with jurisdiction. */
static int s_may_see(const PGresult *panel, const Kc__V1__Actor *actor, PGconn *conn,
                     kc_error_t *error)
{
    if (!actor)
        return kc_error_set(error, KC_ERR_MISSING_HEADER, "actor", "a request needs an actor");
    if (s_is_expert(actor)) {
        const char *params[2] = {PQgetvalue(panel, 0, P_ID), actor->user_id};
        PGresult *result = PQexecParams(conn,
                                        "SELECT 1 FROM panel_member WHERE panel_id = $1::bigint"
                                        " AND expert_code = $2",
                                        2, NULL, params, NULL, NULL, 0);
        bool member = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
        PQclear(result);
        return member ? 0
                      : kc_error_set(error, KC_ERR_DENIED, "actor.user_id",
                                     "expert %.32s does not sit on the panel of %s", actor->user_id,
                                     PQgetvalue(panel, 0, P_REF));
    }
    const char *division = actor->division_code, *county = PQgetvalue(panel, 0, P_COUNTY);
    size_t keep = strcmp(division + 2, "0000") == 0 ? 2 : strcmp(division + 4, "00") == 0 ? 4 : 6;
    if (strlen(division) == 6 && strncmp(division, county, keep) == 0 &&
        strcmp(actor->role, "applicant") != 0 && strcmp(actor->role, "public") != 0)
        return 0;
    return kc_error_set(error, KC_ERR_DENIED, "actor.division_code",
                        "%s %.8s may not see the panel of application %s (county %s)", actor->role,
                        division, PQgetvalue(panel, 0, P_REF), county);
}

static int s_find(PGconn *conn, const char *ref, bool lock, PGresult **panel, kc_error_t *error)
{
    const char *params[1] = {ref};
    if (kc_db_run_cached(conn, lock ? PANEL_SQL " FOR UPDATE OF p" : PANEL_SQL, 1, params, NULL,
                         NULL, "reading the panel", panel, error))
        return -1;
    if (PQntuples(*panel) == 1)
        return 0;
    PQclear(*panel);
    *panel = NULL;
    return kc_error_set(error, KC_ERR_NOT_FOUND, "application_ref",
                        "application %.32s has no expert panel", ref);
}

int workflow_store_panel(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                         Kc__V1__PanelView **reply, kc_error_t *error)
{
    (void)self;
    PGresult *panel = NULL;
    if (s_find(conn, request->get_panel->application_ref, false, &panel, error))
        return -1;
    int rc = s_may_see(panel, request->actor, conn, error) ||
                     s_view(conn, panel, request->actor, reply, error)
                 ? -1
                 : 0;
    PQclear(panel);
    return rc;
}

/* ---- declarations ------------------------------------------------------- */

static const char *s_member_sql =
    "SELECT coalesce(declaration, ''), scored_at IS NOT NULL FROM panel_member"
    " WHERE panel_id = $1::bigint AND expert_code = $2";

/* The expert's seat: "" (not declared), "no_conflict" or "conflict"; -1
 * when the actor is not on the panel or it no longer sits. */
static int s_seat(PGconn *conn, const PGresult *panel, const Kc__V1__Actor *actor, char *declared,
                  bool *scored, kc_error_t *error)
{
    if (!s_is_expert(actor))
        return kc_error_set(error, KC_ERR_DENIED, "actor.role",
                            "only an expert of the panel declares and scores (role '%.32s')",
                            actor ? actor->role : "");
    if (PQgetvalue(panel, 0, P_SITTING)[0] != 't')
        return kc_error_set(error, KC_ERR_STATE_CHANGED, "application_ref",
                            "the panel of %s no longer sits: the application has moved on",
                            PQgetvalue(panel, 0, P_REF));
    const char *params[2] = {PQgetvalue(panel, 0, P_ID), actor->user_id};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, s_member_sql, 2, params, NULL, NULL, "reading the seat", &result,
                         error))
        return -1;
    int rc = 0;
    if (PQntuples(result) != 1)
        rc = kc_error_set(error, KC_ERR_DENIED, "actor.user_id",
                          "expert %.32s does not sit on the panel of %s", actor->user_id,
                          PQgetvalue(panel, 0, P_REF));
    else {
        snprintf(declared, 16, "%s", PQgetvalue(result, 0, 0));
        *scored = PQgetvalue(result, 0, 1)[0] == 't';
    }
    PQclear(result);
    return rc;
}

/* The next expert in the draw order without a seat takes the one given up. */
static int s_replace(workflow_store_t *self, PGconn *conn, const PGresult *panel, kc_error_t *error)
{
    const char *params[1] = {PQgetvalue(panel, 0, P_ID)};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn,
                         "INSERT INTO panel_member (panel_id, expert_code, position)"
                         " SELECT p.id, d.code, d.position FROM panel p,"
                         "   unnest(p.draw_order) WITH ORDINALITY AS d(code, position)"
                         "  WHERE p.id = $1::bigint AND NOT EXISTS (SELECT 1 FROM panel_member m"
                         "        WHERE m.panel_id = p.id AND m.expert_code = d.code)"
                         "  ORDER BY d.position LIMIT 1 RETURNING expert_code",
                         1, params, NULL, NULL, "giving the seat to the next expert", &result,
                         error))
        return -1;
    Kc__V1__PanelChanged event = KC__V1__PANEL_CHANGED__INIT;
    char *experts[1];
    if (PQntuples(result) == 1) {
        experts[0] = PQgetvalue(result, 0, 0);
        event.experts = experts;
        event.n_experts = 1;
    }
    event.application_ref = PQgetvalue(panel, 0, P_REF);
    event.county_code = PQgetvalue(panel, 0, P_COUNTY);
    event.what = PQntuples(result) == 1 ? "seat_replaced" : "no_reserve_left";
    int rc = workflow_event(self, conn, "PanelChanged", &event.base, error);
    PQclear(result);
    return rc;
}

static int s_declare(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                     const PGresult *panel, kc_error_t *error)
{
    const Kc__V1__DeclareConflict *declare = request->declare_conflict;
    char declared[16];
    bool scored = false;
    if (s_seat(conn, panel, request->actor, declared, &scored, error))
        return -1;
    const char *wanted = declare->conflict ? "conflict" : "no_conflict";
    if (*declared && strcmp(declared, wanted) == 0)
        return 0; /* said before: the same answer again */
    if (*declared)
        return kc_error_set(error, KC_ERR_ALREADY_DONE, "declare_conflict.conflict",
                            "expert %.32s already declared %s", request->actor->user_id, declared);
    if (declare->conflict && kc_utf8_length(declare->reason) <= 0)
        return kc_error_set(error, KC_ERR_REQUIRED, "declare_conflict.reason",
                            "a declared conflict needs its reason");
    if (kc_utf8_length(declare->reason) > 1000 || kc_utf8_length(declare->reason) < 0)
        return kc_error_set(error, KC_ERR_TOO_LONG, "declare_conflict.reason",
                            "a reason is at most 1000 characters of UTF-8");
    const char *params[4] = {PQgetvalue(panel, 0, P_ID), request->actor->user_id, wanted,
                             declare->reason};
    if (kc_db_run_cached(conn,
                         "UPDATE panel_member SET declaration = $3, declaration_reason = $4,"
                         " declared_at = now() WHERE panel_id = $1::bigint AND expert_code = $2",
                         4, params, NULL, NULL, "recording the declaration", NULL, error))
        return -1;
    char action[48];
    snprintf(action, sizeof action, "workflow.panel.declare:%s", wanted);
    if (workflow_audit(self, conn, request->actor, action, PQgetvalue(panel, 0, P_REF),
                       declare->reason, error))
        return -1;
    return declare->conflict ? s_replace(self, conn, panel, error) : 0;
}

/* ---- scores ------------------------------------------------------------- */

static int s_check_scores(const wf_process_t *process, const Kc__V1__ScoreApplication *score,
                          long *hundredths, long *total, kc_error_t *error)
{
    *total = 0;
    if (score->n_scores != process->n_criteria)
        return kc_error_set(error, KC_ERR_REQUIRED, "score_application.scores",
                            "%zu score(s) given; procedure '%s' has %zu criteria, each scored "
                            "once",
                            score->n_scores, process->code, process->n_criteria);
    for (size_t c = 0; c < process->n_criteria; c++) {
        const wf_criterion_t *criterion = &process->criteria[c];
        const Kc__V1__CriterionScore *given = NULL;
        for (size_t i = 0; i < score->n_scores; i++)
            if (strcmp(score->scores[i]->criterion, criterion->code) == 0) {
                if (given)
                    return kc_error_set(error, KC_ERR_DUPLICATE_IN_BATCH,
                                        "score_application.scores",
                                        "criterion '%s' is scored twice", criterion->code);
                given = score->scores[i];
            }
        if (!given)
            return kc_error_set(error, KC_ERR_REQUIRED, "score_application.scores",
                                "criterion '%s' (%s) has no score", criterion->code,
                                criterion->name_zh);
        if (panel_points(given->points, criterion->points, &hundredths[c]))
            return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "score_application.scores",
                                "%g for '%s' is not 0 to %d points with at most 2 decimals",
                                given->points, criterion->code, criterion->points);
        *total += hundredths[c];
    }
    return 0;
}

static void s_centi(long value, char *out, size_t size)
{
    snprintf(out, size, "%ld.%02ld", value / 100, value % 100);
}

/* Every seated expert has scored: aggregate by the panel's rule. */
static int s_aggregate(workflow_store_t *self, PGconn *conn, const PGresult *panel,
                       kc_error_t *error)
{
    const char *params[1] = {PQgetvalue(panel, 0, P_ID)};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn,
                         "SELECT expert_code, (total * 100)::bigint, scored_at IS NOT NULL"
                         "  FROM panel_member WHERE panel_id = $1::bigint"
                         "   AND declaration IS DISTINCT FROM 'conflict' ORDER BY position",
                         1, params, NULL, NULL, "reading the totals", &result, error))
        return -1;
    int n = PQntuples(result);
    bool complete = n > 0;
    for (int i = 0; i < n; i++)
        complete = complete && PQgetvalue(result, i, 2)[0] == 't';
    if (!complete) {
        PQclear(result);
        return 0;
    }
    long totals[WF_PANEL_MAX * 4];
    size_t count = 0;
    for (int i = 0; i < n && count < sizeof totals / sizeof *totals; i++)
        totals[count++] = (long)kc_db_int(result, i, 1);
    panel_result_t out;
    bool trimmed = strcmp(PQgetvalue(panel, 0, P_RULE), "trimmed_mean") == 0;
    panel_aggregate(totals, count, trimmed, &out);
    pg_array_t used = {0}, excluded = {0};
    for (size_t i = 0; i < count; i++) {
        char item[96], centi[24];
        s_centi(totals[i], centi, sizeof centi);
        bool high = (int)i == out.dropped_high, low = (int)i == out.dropped_low;
        snprintf(item, sizeof item, "%s=%s%s", PQgetvalue(result, (int)i, 0), centi,
                 high  ? " highest"
                 : low ? " lowest"
                       : "");
        pg_array_add(high || low ? &excluded : &used, item);
    }
    long limit = 100L * strtol(PQgetvalue(panel, 0, P_SPREAD_MAX), NULL, 10);
    char aggregate[24], spread[24];
    s_centi(out.aggregate, aggregate, sizeof aggregate);
    s_centi(out.spread, spread, sizeof spread);
    const char *insert[7] = {PQgetvalue(panel, 0, P_ID),
                             PQgetvalue(panel, 0, P_RULE),
                             aggregate,
                             pg_array_text(&used),
                             NULL,
                             spread,
                             out.spread > limit ? "true" : "false"};
    insert[4] = pg_array_text(&excluded);
    int rc = kc_db_run_cached(
        conn,
        "INSERT INTO panel_result (panel_id, rule, aggregate, used, excluded, spread,"
        " disagreement) VALUES ($1::bigint, $2, $3::numeric, $4::text[], $5::text[],"
        " $6::numeric, $7::boolean)",
        7, insert, NULL, NULL, "storing the panel's result", NULL, error);
    char *experts[WF_PANEL_MAX * 4];
    Kc__V1__PanelChanged event = KC__V1__PANEL_CHANGED__INIT;
    for (size_t i = 0; i < count; i++)
        experts[event.n_experts++] = PQgetvalue(result, (int)i, 0);
    event.experts = experts;
    event.application_ref = PQgetvalue(panel, 0, P_REF);
    event.county_code = PQgetvalue(panel, 0, P_COUNTY);
    event.what = "complete";
    event.aggregate = (double)out.aggregate / 100.0;
    event.disagreement = out.spread > limit;
    if (!rc)
        rc = workflow_event(self, conn, "PanelChanged", &event.base, error);
    pg_array_free(&used);
    pg_array_free(&excluded);
    PQclear(result);
    return rc;
}

/* 0 when the expert's stored scores are these (a retried request), else
 * conflict.already_done. */
static int s_same_scores(PGconn *conn, const PGresult *panel, const char *expert,
                         const wf_process_t *process, const long *hundredths, kc_error_t *error)
{
    const char *params[2] = {PQgetvalue(panel, 0, P_ID), expert};
    PGresult *stored = NULL;
    if (kc_db_run_cached(conn,
                         "SELECT criterion, (points * 100)::bigint FROM panel_score"
                         " WHERE panel_id = $1::bigint AND expert_code = $2",
                         2, params, NULL, NULL, "reading the scores given", &stored, error))
        return -1;
    size_t same = 0;
    for (int row = 0; row < PQntuples(stored); row++)
        for (size_t c = 0; c < process->n_criteria; c++)
            same += strcmp(PQgetvalue(stored, row, 0), process->criteria[c].code) == 0 &&
                    kc_db_int(stored, row, 1) == hundredths[c];
    bool retry = PQntuples(stored) == (int)process->n_criteria && same == process->n_criteria;
    PQclear(stored);
    if (retry)
        return 0;
    return kc_error_set(error, KC_ERR_ALREADY_DONE, "score_application",
                        "expert %.32s has already scored %s", expert, PQgetvalue(panel, 0, P_REF));
}

static int s_score(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                   const PGresult *panel, kc_error_t *error)
{
    char declared[16];
    bool scored = false;
    if (s_seat(conn, panel, request->actor, declared, &scored, error))
        return -1;
    if (strcmp(declared, "no_conflict") != 0)
        return kc_error_set(error, KC_ERR_DENIED, "actor.user_id",
                            "expert %.32s must declare no conflict of interest before scoring%s",
                            request->actor->user_id,
                            *declared ? " (a conflict was declared: the seat is given up)" : "");
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(panel, 0, P_DEFINITION), error);
    long hundredths[WF_MAX_CRITERIA], total = 0;
    if (!process || s_check_scores(process, request->score_application, hundredths, &total, error))
        return -1;
    if (scored) /* a retry of the same scores is answered; other scores are refused */
        return s_same_scores(conn, panel, request->actor->user_id, process, hundredths, error);
    for (size_t c = 0; c < process->n_criteria; c++) {
        char points[24];
        s_centi(hundredths[c], points, sizeof points);
        const char *params[4] = {PQgetvalue(panel, 0, P_ID), request->actor->user_id,
                                 process->criteria[c].code, points};
        if (kc_db_run_cached(conn,
                             "INSERT INTO panel_score (panel_id, expert_code, criterion, points)"
                             " VALUES ($1::bigint, $2, $3, $4::numeric)",
                             4, params, NULL, NULL, "storing a score", NULL, error))
            return -1;
    }
    char total_text[24];
    s_centi(total, total_text, sizeof total_text);
    const char *params[3] = {PQgetvalue(panel, 0, P_ID), request->actor->user_id, total_text};
    if (kc_db_run_cached(conn,
                         "UPDATE panel_member SET total = $3::numeric, scored_at = now()"
                         " WHERE panel_id = $1::bigint AND expert_code = $2",
                         3, params, NULL, NULL, "recording the total", NULL, error) ||
        workflow_audit(self, conn, request->actor, "workflow.panel.score",
                       PQgetvalue(panel, 0, P_REF), total_text, error))
        return -1;
    return s_aggregate(self, conn, panel, error);
}

/* Declare or score: one transaction, the panel row locked (two experts
 * scoring at once: the second sees the first's score when it checks
 * whether the panel is complete). */
static int s_panel_write(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                         const char *ref, bool declare, Kc__V1__PanelView **reply,
                         kc_error_t *error)
{
    if (!request->actor)
        return kc_error_set(error, KC_ERR_MISSING_HEADER, "actor", "a request needs an actor");
    const char *action = declare ? "workflow.panel.declare" : "workflow.panel.score";
    if (workflow_tx_begin(self, conn, error))
        return -1;
    PGresult *panel = NULL;
    if (s_find(conn, ref, true, &panel, error) ||
        (declare ? s_declare(self, conn, request, panel, error)
                 : s_score(self, conn, request, panel, error))) {
        PQclear(panel);
        workflow_audit_refusal(self, conn, request->actor, action, ref, error);
        return -1;
    }
    PQclear(panel);
    if (workflow_tx_commit(self, conn, error))
        return -1;
    panel = NULL;
    if (s_find(conn, ref, false, &panel, error))
        return -1;
    int rc = s_view(conn, panel, request->actor, reply, error);
    PQclear(panel);
    return rc;
}

int workflow_store_declare(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                           Kc__V1__PanelView **reply, kc_error_t *error)
{
    return s_panel_write(self, conn, request, request->declare_conflict->application_ref, true,
                         reply, error);
}

int workflow_store_score(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                         Kc__V1__PanelView **reply, kc_error_t *error)
{
    return s_panel_write(self, conn, request, request->score_application->application_ref, false,
                         reply, error);
}
