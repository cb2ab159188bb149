/*  workflow_progress: a programme's applications against its target.
 *
 *  Seed 000 plans 30 bases filed by 2023; a definition carries such a
 *  target (target_count, target_year). Progress counts the applications
 *  ever filed (a step whose decision is `file`), those filed and still
 *  running (not in a final state), and every state's count, for the
 *  province and, within their jurisdiction, for a city or a county.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "workflow/workflow_internal.h"

int workflow_store_progress(workflow_store_t *self, PGconn *conn, const kc_envelope_t *request,
                            Kc__V1__Progress **reply, kc_error_t *error)
{
    char prefix[7];
    workflow_jurisdiction(request->actor ? request->actor->division_code : "", prefix);
    if (!*prefix)
        return kc_error_set(error, KC_ERR_DENIED, "actor.division_code",
                            "progress is for officials of a county, city or province");
    const char *programme = request->get_progress->programme;
    const char *params[2] = {programme, prefix};
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
    if (kc_db_run_cached(
            conn,
            "SELECT w.state, count(*),"
            "       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM workflow_step s"
            "         WHERE s.application_id = w.application_id AND s.decision = 'file'))"
            "  FROM workflow_instance w JOIN application a ON a.id = w.application_id"
            " WHERE a.programme = $1 AND left(w.county_code, length($2)) = $2"
            " GROUP BY w.state ORDER BY w.state",
            2, params, NULL, NULL, "counting the applications", &states, error))
        return -1;
    Kc__V1__Progress *progress = malloc(sizeof *progress);
    if (!progress)
        abort();
    kc__v1__progress__init(progress);
    progress->programme = workflow_dup(programme);
    progress->definition = workflow_dup(process->code);
    progress->target_count = process->target_count;
    progress->target_year = process->target_year;
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
