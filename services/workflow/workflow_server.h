/*  workflow_server: kc-workflow's socket, database connection and loop. */
#ifndef WORKFLOW_WORKFLOW_SERVER_H
#define WORKFLOW_WORKFLOW_SERVER_H

#include <signal.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"

typedef struct workflow_server_t workflow_server_t;

/* Bind the ROUTER, connect, LISTEN and adopt new applications; NULL with `error` on failure. */
workflow_server_t *workflow_server_new(const kc_config_t *config, kc_error_t *error);

void workflow_server_destroy(workflow_server_t **self);

/* Serve until *stop becomes non-zero. */
int workflow_server_run(workflow_server_t *self, volatile sig_atomic_t *stop);

#endif
