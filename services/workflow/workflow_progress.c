/*  workflow_progress: a programme's applications against its target.
 *
 *  Seed 000 plans 30 bases filed by 2023, seed 003 five innovative
 *  counties a year; a definition carries such a target (target_count,
 *  target_year), its yearly quota (quota_per_year from quota_from) and
 *  its goal: the state whose reaching counts (goal_state: filed, titled,
 *  recognised...; a definition without one counts its `file` decisions).
 *  Progress counts the applications that ever reached the goal, each once
 *  and in the year (Beijing time) it first did, those still running (not
 *  in a final state), and every state's count, for the province and,
 *  within their jurisdiction, for a city or a county.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "workflow/workflow_internal.h"

/* One year's count against its quota. */
static void s_year(Kc__V1__Progress *progress, int year, int reached, int quota)
{
    Kc__V1__YearCount *count = malloc(sizeof *count);
    if (!count)
        abort();
    kc__v1__year_count__init(count);
    count->year = year;
    count->reached = reached;
    count->quota = quota;
    progress->years[progress->n_years++] = count;
}

/* Every year of the quota, and every other year the goal was reached, in
 * order: a year with a quota and nothing reached shows as 0 of its quota. */
static void s_years(Kc__V1__Progress *progress, const wf_process_t *process, PGresult *years)
{
    int n = PQntuples(years);
    int from = process->quota_per_year > 0 ? process->quota_from : 0;
    int to = process->quota_per_year > 0 ? process->target_year : -1;
    size_t most = (size_t)n + (size_t)(to >= from ? to - from + 1 : 0);
    progress->years = calloc(most + 1, sizeof *progress->years);
    if (!progress->years)
        abort();
    int row = 0;
    for (int year = from; year <= to; year++) {
        for (; row < n && (int)kc_db_int(years, row, 0) < year; row++)
            s_year(progress, (int)kc_db_int(years, row, 0), (int)kc_db_int(years, row, 1), 0);
        int reached = 0;
        if (row < n && (int)kc_db_int(years, row, 0) == year)
            reached = (int)kc_db_int(years, row++, 1);
        s_year(progress, year, reached, process->quota_per_year);
    }
    for (; row < n; row++)
        s_year(progress, (int)kc_db_int(years, row, 0), (int)kc_db_int(years, row, 1), 0);
}

int workflow_store_progress(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                            Kc__V1__Progress **reply, kc_error_t *error)
{
    char prefix[7];
    workflow_jurisdiction(request->actor ? request->actor->division_code : "", prefix);
    if (!*prefix)
        return kc_error_set(error, KC_ERR_DENIED, "actor.division_code",
                            "progress is for officials of a county, city or province");
    const char *programme = request->get_progress->programme;
    const char *params[3] = {programme, prefix, ""};
    PGresult *head = NULL, *states = NULL;
    if (kc_db_run_cached(conn,
                         "SELECT code FROM process_definition WHERE programme = $1"
                         " ORDER BY loaded_at DESC, code DESC LIMIT 1",
                         1, params, NULL, NULL, "reading the definition", &head, error))
        return -1;
    if (PQntuples(head) != 1) {
        PQclear(head);
        return kc_error_set(error, KC_ERR_UNKNOWN_PROGRAMME, "get_progress.programme",
                            "no procedure is loaded for programme '%.32s'", programme);
    }
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(head, 0, 0), error);
    PQclear(head);
    if (!process)
        return -1;
    params[2] = process->goal_state;
    if (kc_db_run_cached(conn,
                         "SELECT w.state, count(*),"
                         "       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM workflow_step s"
                         "         WHERE s.application_id = w.application_id AND (s.to_state = $3"
                         "           OR ($3 = '' AND s.decision = 'file'))))"
                         "  FROM workflow_instance w JOIN application a ON a.id = w.application_id"
                         " WHERE a.programme = $1 AND left(w.county_code, length($2)) = $2"
                         " GROUP BY w.state ORDER BY w.state",
                         3, params, NULL, NULL, "counting the applications", &states, error))
        return -1;
    PGresult *years = NULL;
    if (kc_db_run_cached(
            conn,
            "SELECT extract(year FROM first_at AT TIME ZONE 'Asia/Shanghai')::int, count(*)"
            "  FROM (SELECT min(s.at) AS first_at FROM workflow_step s"
            "          JOIN workflow_instance w ON w.application_id = s.application_id"
            "          JOIN application a ON a.id = w.application_id"
            "         WHERE a.programme = $1 AND left(w.county_code, length($2)) = $2"
            "           AND (s.to_state = $3 OR ($3 = '' AND s.decision = 'file'))"
            "         GROUP BY s.application_id) reached"
            " GROUP BY 1 ORDER BY 1",
            3, params, NULL, NULL, "counting the goal by year", &years, error)) {
        PQclear(states);
        return -1;
    }
    Kc__V1__Progress *progress = malloc(sizeof *progress);
    if (!progress)
        abort();
    kc__v1__progress__init(progress);
    progress->programme = workflow_dup(programme);
    progress->definition = workflow_dup(process->code);
    progress->target_count = process->target_count;
    progress->target_year = process->target_year;
    progress->goal_state = workflow_dup(process->goal_state);
    int goal = process_state_index(process, process->goal_state);
    progress->goal_state_name = workflow_dup(goal >= 0 ? process->states[goal].name_zh : "");
    progress->quota_per_year = process->quota_per_year;
    progress->quota_from = process->quota_from;
    s_years(progress, process, years);
    PQclear(years);
    int n = PQntuples(states);
    progress->states = calloc((size_t)n + 1, sizeof *progress->states);
    if (!progress->states)
        abort();
    for (int i = 0; i < n; i++) {
        Kc__V1__StateCount *count = malloc(sizeof *count);
        if (!count)
            abort();
        kc__v1__state_count__init(count);
        count->state = workflow_dup(PQgetvalue(states, i, 0));
        int at = process_state_index(process, count->state);
        count->state_name = workflow_dup(at >= 0 ? process->states[at].name_zh : "");
        count->count = (int32_t)kc_db_int(states, i, 1);
        int filed = (int)kc_db_int(states, i, 2);
        progress->filed += filed;
        if (at >= 0 && !process->states[at].final)
            progress->active += filed;
        progress->states[progress->n_states++] = count;
    }
    PQclear(states);
    *reply = progress;
    return 0;
}
