/*  workflow_panel: expert panels (专家评估) drawn, declared, scored, aggregated.
 *
 *  A panel is drawn in the transaction of the step that enters a panel
 *  state: the active experts of the definition's field, in code order,
 *  less those excluded for a conflict of interest (same organisation or
 *  same county as the applicant, a standing conflict the expert declared
 *  with the applicant's organisation), shuffled with a fresh 64-bit seed.
 *  Seed, exclusions and order are stored, so the draw can be replayed.
 *  The first `panel_size` experts sit. Each must declare before seeing the
 *  application; one who declares a conflict gives the seat to the next in
 *  the order. Each seated expert scores every criterion once; when the
 *  last has scored, the definition's rule aggregates the totals and the
 *  result is stored with every total it left out, and strong disagreement
 *  (a spread above panel_disagreement) is flagged. Steps that require
 *  `scores` wait for that result (workflow_panel_ready).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "kc/kc_db.h"
#include "kc/v1/events.pb-c.h"
#include "workflow/panel_math.h"
#include "workflow/pg_array.h"
#include "workflow/workflow_internal.h"

#define POOL_MAX 4096 /* experts of one field a draw considers */

/* ---- the draw ----------------------------------------------------------- */

static const char *s_pool_sql =
    "SELECT e.code, e.organisation, e.county_code,"
    "       EXISTS (SELECT 1 FROM expert_conflict c WHERE c.expert_code = e.code"
    "               AND c.organisation = a.applicant_organisation),"
    "       a.applicant_organisation, a.county_code, a.ref"
    "  FROM expert e, application a"
    " WHERE a.id = $1::bigint AND e.active AND $2 = ANY (e.fields)"
    " ORDER BY e.code LIMIT 4096";

static uint64_t s_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        abort(); /* the kernel's generator cannot fail for 8 bytes */
    return seed;
}

int workflow_panel_draw(workflow_store_t *self, PGconn *conn, const wf_process_t *process,
                        const char *application_id, int state, int version, kc_error_t *error)
{
    const char *params[2] = {application_id, process->panel_field};
    PGresult *pool = NULL;
    if (kc_db_run_cached(conn, s_pool_sql, 2, params, NULL, NULL, "reading the expert pool", &pool,
                         error))
        return -1;
    int n = PQntuples(pool);
    size_t *eligible = malloc(((size_t)n + 1) * sizeof *eligible);
    size_t *order = malloc(((size_t)n + 1) * sizeof *order);
    if (!eligible || !order)
        abort();
    size_t count = 0;
    pg_array_t exclusions = {0}, drawn = {0};
    char why[320];
    for (int i = 0; i < n; i++) {
        const char *code = PQgetvalue(pool, i, 0);
        if (strcmp(PQgetvalue(pool, i, 1), PQgetvalue(pool, i, 4)) == 0)
            snprintf(why, sizeof why, "%s: same organisation as the applicant", code);
        else if (strcmp(PQgetvalue(pool, i, 2), PQgetvalue(pool, i, 5)) == 0)
            snprintf(why, sizeof why, "%s: same county as the applicant (%s)", code,
                     PQgetvalue(pool, i, 5));
        else if (PQgetvalue(pool, i, 3)[0] == 't')
            snprintf(why, sizeof why, "%s: declared a conflict with the applicant", code);
        else {
            eligible[count++] = (size_t)i;
            continue;
        }
        pg_array_add(&exclusions, why);
    }
    int rc = -1;
    if (n > 0 && count < (size_t)process->panel_size) {
        kc_error_set(error, KC_ERR_REQUIRED, "act_on_application.transition",
                     "only %zu expert(s) of field '%s' are free of conflicts with application %s;"
                     " a panel needs %d",
                     count, process->panel_field, PQgetvalue(pool, 0, 6), process->panel_size);
        goto done;
    }
    if (n == 0) {
        kc_error_set(error, KC_ERR_REQUIRED, "act_on_application.transition",
                     "the expert pool has nobody of field '%s' (kcctl experts load)",
                     process->panel_field);
        goto done;
    }
    uint64_t seed = s_seed();
    panel_shuffle(seed, count, order);
    for (size_t i = 0; i < count; i++)
        pg_array_add(&drawn, PQgetvalue(pool, (int)eligible[order[i]], 0));
    char seed_text[24], version_text[16], size_text[16], spread_text[16];
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
    snprintf(version_text, sizeof version_text, "%d", version);
    snprintf(size_text, sizeof size_text, "%d", process->panel_size);
    snprintf(spread_text, sizeof spread_text, "%d", process->panel_disagreement);
    const char *insert[9] = {application_id,       version_text, process->states[state].code,
                             process->panel_field, size_text,    process->panel_aggregation,
                             spread_text,          seed_text,    pg_array_text(&exclusions)};
    const char *order_text = pg_array_text(&drawn);
    const char *all[10];
    memcpy(all, insert, sizeof insert);
    all[9] = order_text;
    PGresult *panel = NULL;
    if (kc_db_run_cached(
            conn,
            "WITH p AS (INSERT INTO panel (application_id, version, state, field, size, rule,"
            "   disagreement_points, seed, exclusions, draw_order) VALUES ($1::bigint,"
            "   $2::int, $3, $4, $5::int, $6, $7::int, $8::numeric, $9::text[],"
            "   $10::text[]) RETURNING id, draw_order, size)"
            " INSERT INTO panel_member (panel_id, expert_code, position)"
            " SELECT p.id, d.code, d.position FROM p,"
            "   unnest(p.draw_order) WITH ORDINALITY AS d(code, position)"
            "  WHERE d.position <= p.size RETURNING expert_code",
            10, all, NULL, NULL, "drawing the panel", &panel, error))
        goto done;
    Kc__V1__PanelChanged event = KC__V1__PANEL_CHANGED__INIT;
    char *experts[WF_PANEL_MAX];
    for (int i = 0; i < PQntuples(panel) && i < WF_PANEL_MAX; i++)
        experts[event.n_experts++] = PQgetvalue(panel, i, 0);
    event.experts = experts;
    event.application_ref = PQgetvalue(pool, 0, 6);
    event.county_code = PQgetvalue(pool, 0, 5);
    event.what = "drawn";
    rc = workflow_event(self, conn, "PanelChanged", &event.base, error);
    PQclear(panel);
done:
    pg_array_free(&exclusions);
    pg_array_free(&drawn);
    free(eligible);
    free(order);
    PQclear(pool);
    return rc;
}

int workflow_panel_ready(PGconn *conn, const char *application_id, const char *ref, int version,
                         int min_score, kc_error_t *error)
{
    char version_text[16];
    snprintf(version_text, sizeof version_text, "%d", version);
    const char *params[2] = {application_id, version_text};
    PGresult *result = NULL;
    if (kc_db_run_cached(
            conn,
            "SELECT r.aggregate, (SELECT count(*) FROM panel_member m WHERE m.panel_id = p.id"
            "   AND m.scored_at IS NOT NULL), p.size"
            "  FROM panel p LEFT JOIN panel_result r ON r.panel_id = p.id"
            " WHERE p.application_id = $1::bigint AND p.version <= $2::int"
            " ORDER BY p.version DESC LIMIT 1",
            2, params, NULL, NULL, "reading the panel", &result, error))
        return -1;
    int rc = 0;
    if (PQntuples(result) == 0)
        rc = kc_error_set(error, KC_ERR_REQUIRED, "act_on_application.transition",
                          "application %s has no expert panel", ref);
    else if (PQgetisnull(result, 0, 0))
        rc = kc_error_set(error, KC_ERR_REQUIRED, "act_on_application.transition",
                          "the panel of application %s has not finished: %s of %s experts have "
                          "scored",
                          ref, PQgetvalue(result, 0, 1), PQgetvalue(result, 0, 2));
    else if (min_score > 0 && strtod(PQgetvalue(result, 0, 0), NULL) < min_score)
        rc = kc_error_set(error, KC_ERR_OUT_OF_RANGE, "panel.aggregate",
                          "the panel's score %s is below the %d this step requires",
                          PQgetvalue(result, 0, 0), min_score);
    PQclear(result);
    return rc;
}
