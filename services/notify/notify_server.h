/*  notify_server: the kc-notify loop. */
#ifndef NOTIFY_NOTIFY_SERVER_H
#define NOTIFY_NOTIFY_SERVER_H

#include <signal.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"

typedef struct notify_server_t notify_server_t;

notify_server_t *notify_server_new(const kc_config_t *config, kc_error_t *error);
void notify_server_destroy(notify_server_t **self);

/* Serve until *stop is set; 0 on a clean stop. */
int notify_server_run(notify_server_t *self, volatile sig_atomic_t *stop);

#endif
