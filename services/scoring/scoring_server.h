/*  scoring_server: kc-scoring's socket, database connection and loop. */
#ifndef SCORING_SCORING_SERVER_H
#define SCORING_SCORING_SERVER_H

#include <signal.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"

typedef struct scoring_server_t scoring_server_t;

/* Bind the ROUTER, connect and LISTEN; NULL with `error` on failure. */
scoring_server_t *scoring_server_new(const kc_config_t *config, kc_error_t *error);

void scoring_server_destroy(scoring_server_t **self);

/* Serve and work until *stop becomes non-zero. */
int scoring_server_run(scoring_server_t *self, volatile sig_atomic_t *stop);

#endif
