/*  workflow_store: the definitions cache, the adoption of applications and
 *  the node's clock (see workflow_store.h). */
#include "workflow/workflow_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_instant.h"
#include "kc/kc_log.h"
#include "workflow/workflow_internal.h"

#define DEFINITIONS_MAX 64

struct workflow_store_t {
    char node[64];    /* the node's id, for audit entries */
    char division[8]; /* the node's division, the node of its events */
    const kc_calendar_t *calendar;
    bool grouped;       /* requests run inside a group commit */
    wf_level_t level;   /* this node's, when it is linked to others; NONE when alone */
    kc_instant_t clock; /* the instants kc-workflow records: never one before the last */
    int64_t instant_ms; /* the instant of the transaction in progress (workflow_tx_begin) */
    size_t count;
    wf_process_t *definitions[DEFINITIONS_MAX]; /* parsed, by code; never change once stored */
};

workflow_store_t *workflow_store_new(const char *node, const char *division)
{
    workflow_store_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    snprintf(self->node, sizeof self->node, "%s", node);
    snprintf(self->division, sizeof self->division, "%s", division);
    kc_instant_init(&self->clock);
    return self;
}

void workflow_store_destroy(workflow_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t i = 0; i < (*self_p)->count; i++)
        free((*self_p)->definitions[i]);
    free(*self_p);
    *self_p = NULL;
}

const char *workflow_store_node(const workflow_store_t *self)
{
    return self->node;
}

const char *workflow_store_division(const workflow_store_t *self)
{
    return self->division;
}

bool workflow_store_grouped(const workflow_store_t *self)
{
    return self->grouped;
}

int workflow_store_group(workflow_store_t *self, PGconn *conn, bool begin, bool commit,
                         kc_error_t *error)
{
    if (begin) {
        if (kc_db_exec(conn, "BEGIN", error))
            return -1;
        self->grouped = true;
        return 0;
    }
    self->grouped = false;
    if (commit)
        return kc_db_exec(conn, "COMMIT", error);
    PGresult *result = PQexec(conn, "ROLLBACK");
    PQclear(result);
    return 0;
}

/* ---- the node's clock -------------------------------------------------- */

int64_t workflow_store_now(workflow_store_t *self)
{
    return kc_instant_take(&self->clock);
}

void workflow_store_take_instant(workflow_store_t *self)
{
    self->instant_ms = kc_instant_take(&self->clock);
}

int64_t workflow_store_instant(const workflow_store_t *self)
{
    return self->instant_ms;
}

int64_t workflow_store_hold_instant(workflow_store_t *self, int64_t floor_ms)
{
    /* this write only: a peer whose clock runs ahead does not pull the
     * node's clock along */
    if (floor_ms > self->instant_ms)
        self->instant_ms = floor_ms;
    return self->instant_ms;
}

/* The latest instant kc-workflow recorded on this node: its steps (and the
 * steps copied from peers, which the next step of theirs must not precede),
 * and its timers armed and fired (a deadline raised is no step). */
static const char *s_latest_sql =
    "SELECT coalesce(greatest("
    "  (SELECT ceil(extract(epoch FROM max(at)) * 1000) FROM workflow_step),"
    "  (SELECT max(greatest(armed_ms, fired_ms)) FROM workflow_timer)), 0)::bigint";

int workflow_store_resume_clock(workflow_store_t *self, PGconn *conn, kc_error_t *error)
{
    PGresult *result = NULL;
    if (kc_db_run(conn, s_latest_sql, 0, NULL, NULL, NULL, "reading the latest instant recorded",
                  &result, error))
        return -1;
    kc_instant_floor(&self->clock, kc_db_int(result, 0, 0), kc_clock_steady_ms());
    PQclear(result);
    return 0;
}

void workflow_store_set_level(workflow_store_t *self, wf_level_t level)
{
    self->level = level;
}

bool workflow_store_linked(const workflow_store_t *self)
{
    return self->level != WF_LEVEL_NONE;
}

bool workflow_store_holds(const workflow_store_t *self, wf_level_t level)
{
    /* the applicant's steps and states belong to the county's node */
    return self->level == WF_LEVEL_NONE ||
           (level == WF_LEVEL_NONE ? WF_LEVEL_COUNTY : level) == self->level;
}

void workflow_store_set_calendar(workflow_store_t *self, const kc_calendar_t *calendar)
{
    self->calendar = calendar;
}

const kc_calendar_t *workflow_store_calendar(const workflow_store_t *self)
{
    return self->calendar;
}

static const wf_process_t *s_cached(const workflow_store_t *self, const char *code)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp(self->definitions[i]->code, code) == 0)
            return self->definitions[i];
    return NULL;
}

static const wf_process_t *s_parse(workflow_store_t *self, const char *code, const char *source,
                                   size_t size, kc_error_t *error)
{
    wf_process_t *process = malloc(sizeof *process);
    if (!process)
        abort();
    kc_errors_t errors;
    kc_errors_init(&errors);
    if (process_parse(source, size, process, &errors)) {
        kc_error_set(error, KC_ERR_INTERNAL, "definition", "stored process '%s' does not parse",
                     code);
        if (errors.kept)
            kc_error_detail(error, "%s", errors.items[0].message);
        kc_errors_release(&errors);
        free(process);
        return NULL;
    }
    kc_errors_release(&errors);
    if (self->count == DEFINITIONS_MAX) { /* a node holds a handful: start again */
        for (size_t i = 0; i < self->count; i++)
            free(self->definitions[i]);
        self->count = 0;
    }
    self->definitions[self->count++] = process;
    return process;
}

const wf_process_t *workflow_store_definition(workflow_store_t *self, PGconn *conn,
                                              const char *code, kc_error_t *error)
{
    const wf_process_t *cached = s_cached(self, code);
    if (cached)
        return cached;
    const char *params[1] = {code};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, "SELECT source FROM process_definition WHERE code = $1", 1, params,
                         NULL, NULL, "reading the process definition", &result, error))
        return NULL;
    const wf_process_t *process = NULL;
    if (PQntuples(result) == 1)
        process =
            s_parse(self, code, PQgetvalue(result, 0, 0), (size_t)PQgetlength(result, 0, 0), error);
    else
        kc_error_set(error, KC_ERR_NOT_FOUND, "definition", "process '%s' is not stored", code);
    PQclear(result);
    return process;
}

/* "{a,b}" of every stored definition's code and of its initial state. */
static int s_initials(workflow_store_t *self, PGconn *conn, char *codes, char *initials,
                      size_t size, kc_error_t *error)
{
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, "SELECT code FROM process_definition ORDER BY code", 0, NULL, NULL,
                         NULL, "listing the process definitions", &result, error))
        return -1;
    size_t used_codes = (size_t)snprintf(codes, size, "{");
    size_t used_initials = (size_t)snprintf(initials, size, "{");
    for (int row = 0; row < PQntuples(result); row++) {
        const wf_process_t *process =
            workflow_store_definition(self, conn, PQgetvalue(result, row, 0), error);
        if (!process)
            continue; /* a definition that no longer parses adopts nothing */
        if (used_codes < size)
            used_codes += (size_t)snprintf(codes + used_codes, size - used_codes, "%s%s",
                                           used_codes > 1 ? "," : "", process->code);
        if (used_initials < size)
            used_initials += (size_t)snprintf(initials + used_initials, size - used_initials,
                                              "%s%s", used_initials > 1 ? "," : "",
                                              process->states[process->initial].code);
    }
    PQclear(result);
    if (used_codes + 2 > size || used_initials + 2 > size)
        return kc_error_set(error, KC_ERR_INTERNAL, NULL, "too many process definitions");
    snprintf(codes + used_codes, size - used_codes, "}");
    snprintf(initials + used_initials, size - used_initials, "}");
    return 0;
}

int workflow_store_adopt(workflow_store_t *self, PGconn *conn, kc_error_t *error)
{
    char codes[4096], initials[4096];
    if (s_initials(self, conn, codes, initials, sizeof codes, error))
        return -1;
    const char *params[2] = {codes, initials};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn, "SELECT workflow_adopt($1::text[], $2::text[])", 2, params, NULL,
                         NULL, "adopting applications", &result, error))
        return -1;
    int adopted = (int)kc_db_int(result, 0, 0);
    PQclear(result);
    if (adopted > 0)
        kc_log_info("%d application%s entered %s procedure", adopted, adopted == 1 ? "" : "s",
                    adopted == 1 ? "its" : "their");
    return adopted;
}
