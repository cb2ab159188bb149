/*  link_server: kc-link, the store-and-forward link of a node.
 *
 *  Upward, when the node has a parent: a DEALER with the node's CURVE key
 *  connects to the parent's kc-link (ZeroMQ reconnects with backoff by
 *  itself) and sends the outbox's messages for the parent, oldest first, a
 *  window at a time; each stays in the outbox until the parent acknowledges
 *  it, and what is not acknowledged within a few seconds is sent again
 *  (the parent takes a copy once). Downward, when the node has children: a
 *  ROUTER with CURVE and the ZAP handler takes their messages into the
 *  inbox under the division their key says, and acknowledges each once it
 *  is committed.
 */
#ifndef LINK_LINK_SERVER_H
#define LINK_LINK_SERVER_H

#include <signal.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"

typedef struct link_server_t link_server_t;

link_server_t *link_server_new(const kc_config_t *config, kc_error_t *error);
void link_server_destroy(link_server_t **self);
int link_server_run(link_server_t *self, volatile sig_atomic_t *stop);

#endif
