/*  cmd_panel: the expert pool and the panels drawn from it.
 *
 *    kcctl experts load FILE.csv        the pool: code,name,organisation,county_code,
 *                                       fields,conflicts[,active] (fields and conflicts
 *                                       separated by ';')
 *    kcctl panel show REF               the panel as the actor may see it
 *    kcctl panel declare REF none|conflict [--reason TEXT]   as the expert (--user CODE)
 *    kcctl panel score REF CRITERION=POINTS ...              as the expert
 *    kcctl panel replay REF             draw again from the recorded seed and compare
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "kcctl/csv_table.h"
#include "kcctl/kcctl.h"
#include "workflow/panel_math.h"
#include "workflow/pg_array.h"

static const char *const s_columns[] = {"code",        "name",   "organisation",
                                        "county_code", "fields", "conflicts"};

static const char *s_cell(const csv_table_t *table, const csv_row_t *row, size_t i)
{
    return i < row->count ? table->cells[row->first + i].text : "";
}

/* "a;b" into an array literal. */
static const char *s_list(pg_array_t *array, const char *text)
{
    char item[256];
    const char *at = text;
    while (*at) {
        size_t n = strcspn(at, ";");
        snprintf(item, sizeof item, "%.*s", (int)n, at);
        if (*item)
            pg_array_add(array, item);
        at += n + (at[n] == ';');
    }
    return pg_array_text(array);
}

static int s_load_experts(kcctl_t *self, const char *path)
{
    csv_table_t table;
    kc_error_t error;
    if (csv_table_read(&table, path, &error)) {
        kcctl_print_error(&error);
        return -1;
    }
    int rc = -1, loaded = 0;
    PGconn *conn = NULL;
    const csv_row_t *head = table.row_count ? &table.rows[0] : NULL;
    for (size_t i = 0; head && i < 6; i++)
        if (strcmp(s_cell(&table, head, i), s_columns[i]) != 0) {
            fprintf(stderr,
                    "%s: line 1 must be code,name,organisation,county_code,fields,"
                    "conflicts[,active]\n",
                    path);
            goto done;
        }
    if (!head || !(conn = kc_db_connect(self->config.conninfo, "kcctl experts", &error)) ||
        kc_db_exec(conn, "BEGIN", &error)) {
        if (head)
            kcctl_print_error(&error);
        goto done;
    }
    for (size_t r = 1; r < table.row_count; r++) {
        const csv_row_t *row = &table.rows[r];
        if (row->count == 1 && !*s_cell(&table, row, 0))
            continue;
        pg_array_t fields = {0}, conflicts = {0};
        const char *active = s_cell(&table, row, 6);
        const char *params[7] = {s_cell(&table, row, 0),
                                 s_cell(&table, row, 1),
                                 s_cell(&table, row, 2),
                                 s_cell(&table, row, 3),
                                 s_list(&fields, s_cell(&table, row, 4)),
                                 s_list(&conflicts, s_cell(&table, row, 5)),
                                 strcmp(active, "false") == 0 ? "false" : "true"};
        int failed =
            row->count < 6 || row->count > 7
                ? kc_error_set(&error, KC_ERR_INPUT, NULL, "%zu columns, not 6 or 7", row->count)
                : kc_db_run(conn,
                            "SELECT expert_store($1, $2, $3, $4, $5::text[], $6::text[],"
                            " $7::boolean)",
                            7, params, NULL, NULL, "storing the expert", NULL, &error);
        pg_array_free(&fields);
        pg_array_free(&conflicts);
        if (failed) {
            fprintf(stderr, "%s line %zu: ", path, row->line);
            kcctl_print_error(&error);
            fprintf(stderr, "nothing was stored\n");
            goto done;
        }
        loaded++;
    }
    if (kc_db_exec(conn, "COMMIT", &error)) {
        kcctl_print_error(&error);
        goto done;
    }
    printf("%d expert%s loaded into the pool\n", loaded, loaded == 1 ? "" : "s");
    rc = 0;
done:
    kc_db_disconnect(&conn);
    csv_table_release(&table);
    return rc;
}

int kcctl_experts(kcctl_t *self)
{
    if (self->positional_count != 2 || strcmp(self->positional[0], "load") != 0) {
        fprintf(stderr, "usage: kcctl experts load FILE.csv\n");
        return -1;
    }
    return s_load_experts(self, self->positional[1]);
}

/* ---- panels ------------------------------------------------------------- */

static void s_print_panel(const Kc__V1__PanelView *panel)
{
    printf("panel of %s (%s, county %s) at %s: %d experts of %s, rule %s%s\n",
           panel->application_ref, panel->applicant_organisation, panel->county_code, panel->state,
           panel->size, panel->field, panel->rule, panel->complete ? ", complete" : "");
    if (panel->n_draw_order)
        printf("  draw: seed %llu, %zu eligible, %zu excluded\n", (unsigned long long)panel->seed,
               panel->n_draw_order, panel->n_exclusions);
    for (size_t i = 0; i < panel->n_exclusions; i++)
        printf("  excluded %s\n", panel->exclusions[i]);
    for (size_t i = 0; i < panel->n_members; i++) {
        const Kc__V1__PanelMember *m = panel->members[i];
        printf("  %2d %-8s %s  %s", m->position, m->expert_code, m->name,
               *m->declaration ? m->declaration : "not declared");
        if (m->replaced)
            printf(" (%s: seat given up)", m->declaration_reason);
        if (m->scored)
            printf("  total %.2f%s", m->total, m->excluded ? " (left out by the rule)" : "");
        printf("\n");
        for (size_t c = 0; c < m->n_scores; c++)
            printf("       %s %.2f\n", m->scores[c]->criterion, m->scores[c]->points);
    }
    if (panel->complete && panel->n_draw_order)
        printf("  aggregate %.2f, spread %.2f%s\n", panel->aggregate, panel->spread,
               panel->disagreement ? "  ** strong disagreement **" : "");
    if (*panel->application_form)
        printf("  the application is open to this expert: %zu bytes of form (JSON; --out FILE"
               " saves it)\n",
               strlen(panel->application_form));
}

/* An expert who declared no conflict may keep the application to read. */
static int s_save_form(const kcctl_t *self, const Kc__V1__PanelView *panel)
{
    if (!*self->out || !*panel->application_form)
        return 0;
    FILE *file = fopen(self->out, "w");
    if (!file || fputs(panel->application_form, file) < 0 || fclose(file) != 0) {
        fprintf(stderr, "kcctl: cannot write %s\n", self->out);
        return -1;
    }
    printf("  saved to %s\n", self->out);
    return 0;
}

static int s_call(kcctl_t *self, kc_envelope_t *request, kc_envelope_t **reply)
{
    self->call_endpoint = self->config.workflow_endpoint;
    return kcctl_call(self, request, KC__V1__ENVELOPE__BODY_PANEL_VIEW, reply, NULL, NULL);
}

static int s_get(kcctl_t *self, const char *ref, kc_envelope_t **reply)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    Kc__V1__GetPanel get = KC__V1__GET_PANEL__INIT;
    get.application_ref = (char *)ref;
    request.body_case = KC__V1__ENVELOPE__BODY_GET_PANEL;
    request.get_panel = &get;
    return s_call(self, &request, reply);
}

static int s_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The eligible experts are the draw order's codes in code order (the
 * daemon's starting list): shuffle them with the seed and compare. */
static int s_replay(const Kc__V1__PanelView *panel)
{
    size_t n = panel->n_draw_order;
    char **sorted = malloc((n + 1) * sizeof *sorted);
    size_t *order = malloc((n + 1) * sizeof *order);
    if (!sorted || !order)
        abort();
    memcpy(sorted, panel->draw_order, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, s_compare);
    panel_shuffle(panel->seed, n, order);
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
        same += strcmp(sorted[order[i]], panel->draw_order[i]) == 0;
    printf("replayed the draw of %s with seed %llu: %zu of %zu positions match%s\n",
           panel->application_ref, (unsigned long long)panel->seed, same, n,
           same == n ? ": the recorded order is the seed's" : ": THE ORDER DOES NOT MATCH");
    free(sorted);
    free(order);
    return same == n ? 0 : -1;
}

static int s_declare(kcctl_t *self, const char *ref, const char *answer, kc_envelope_t **reply)
{
    if (strcmp(answer, "none") != 0 && strcmp(answer, "conflict") != 0) {
        fprintf(stderr, "usage: kcctl panel declare REF none|conflict [--reason TEXT]\n");
        return -1;
    }
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    Kc__V1__DeclareConflict declare = KC__V1__DECLARE_CONFLICT__INIT;
    declare.application_ref = (char *)ref;
    declare.conflict = strcmp(answer, "conflict") == 0;
    declare.reason = self->reason;
    request.body_case = KC__V1__ENVELOPE__BODY_DECLARE_CONFLICT;
    request.declare_conflict = &declare;
    self->writing = true;
    return s_call(self, &request, reply);
}

static int s_score(kcctl_t *self, const char *ref, kc_envelope_t **reply)
{
    Kc__V1__CriterionScore scores[KCCTL_POSITIONAL_MAX], *pointers[KCCTL_POSITIONAL_MAX];
    char codes[KCCTL_POSITIONAL_MAX][64];
    size_t n = 0;
    for (int i = 2; i < self->positional_count; i++, n++) {
        const char *pair = self->positional[i], *equals = strchr(pair, '=');
        char *end = NULL;
        double points = equals ? strtod(equals + 1, &end) : 0;
        if (!equals || end == equals + 1 || *end || equals - pair >= 64) {
            fprintf(stderr, "kcctl: '%s' is not CRITERION=POINTS\n", pair);
            return -1;
        }
        snprintf(codes[n], sizeof codes[n], "%.*s", (int)(equals - pair), pair);
        kc__v1__criterion_score__init(&scores[n]);
        scores[n].criterion = codes[n];
        scores[n].points = points;
        pointers[n] = &scores[n];
    }
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    Kc__V1__ScoreApplication score = KC__V1__SCORE_APPLICATION__INIT;
    score.application_ref = (char *)ref;
    score.scores = pointers;
    score.n_scores = n;
    request.body_case = KC__V1__ENVELOPE__BODY_SCORE_APPLICATION;
    request.score_application = &score;
    self->writing = true;
    return s_call(self, &request, reply);
}

int kcctl_panel(kcctl_t *self)
{
    const char *verb = self->positional_count >= 2 ? self->positional[0] : "";
    const char *ref = self->positional_count >= 2 ? self->positional[1] : "";
    kc_envelope_t *reply = NULL;
    int rc;
    if (strcmp(verb, "show") == 0 || strcmp(verb, "replay") == 0)
        rc = s_get(self, ref, &reply);
    else if (strcmp(verb, "declare") == 0 && self->positional_count == 3)
        rc = s_declare(self, ref, self->positional[2], &reply);
    else if (strcmp(verb, "score") == 0 && self->positional_count >= 3)
        rc = s_score(self, ref, &reply);
    else {
        fprintf(stderr, "usage: kcctl panel show|replay REF\n"
                        "       kcctl panel declare REF none|conflict [--reason TEXT]\n"
                        "       kcctl panel score REF CRITERION=POINTS ...\n");
        return -1;
    }
    if (rc)
        return -1;
    s_print_panel(reply->panel_view);
    rc = s_save_form(self, reply->panel_view);
    if (!rc && strcmp(verb, "replay") == 0)
        rc = s_replay(reply->panel_view);
    kc_bus_free(&reply);
    return rc;
}
