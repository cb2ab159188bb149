/*  intake_server: the kc-intake daemon's sockets, loop and dispatch.
 *
 *  One ROUTER takes requests from any number of DEALER (or REQ) clients;
 *  one PUB announces every committed event. The loop drains what has
 *  arrived, answers bad requests and queries at once, and commits the
 *  writes it gathered in one transaction before answering them: nothing is
 *  acknowledged before it is durable.
 */
#ifndef INTAKE_SERVER_H
#define INTAKE_SERVER_H

#include <signal.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"

typedef struct intake_server_t intake_server_t;

/* Bind the sockets of `config`; the database is reached lazily so the
 * daemon starts, and answers "database.unavailable", while it is down. */
intake_server_t *intake_server_new(const kc_config_t *config, kc_error_t *error);

/* Serve until *stop is set; reload the catalogue whenever *reload is set
 * (and clear it). Returns 0 on a clean stop. */
int intake_server_run(intake_server_t *self, volatile sig_atomic_t *stop,
                      volatile sig_atomic_t *reload);

/* Close the sockets and the database connection; NULLs the pointer. */
void intake_server_destroy(intake_server_t **self);

#endif
