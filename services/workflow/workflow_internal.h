/*  workflow_internal: what the kc-workflow store files share. */
#ifndef WORKFLOW_WORKFLOW_INTERNAL_H
#define WORKFLOW_WORKFLOW_INTERNAL_H

#include <libpq-fe.h>

#include "kc/kc_bus.h"
#include "workflow/process.h"
#include "workflow/workflow_store.h"

/* The node id events and audit entries are written under. */
const char *workflow_store_node(const workflow_store_t *self);

/* A heap copy of a text for a reply (freed with the reply). */
char *workflow_dup(const char *text);

/* A WorkflowState of the instance row `row` of `result` with columns
 * ref, title, county_code, definition, state, version; `available` lists
 * the transitions `actor` may take now. */
Kc__V1__WorkflowState *workflow_state_reply(const wf_process_t *process, const PGresult *result,
                                            int row, const Kc__V1__Actor *actor);

#endif
