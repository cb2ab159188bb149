/*  notify_expand: events into notifications, each exactly once.
 *
 *  kc-notify reads the node's event log after its cursor, a batch at a
 *  time, and in one transaction writes every notification the definition's
 *  routes ask for and moves the cursor past the batch. A crash before the
 *  commit leaves both as they were; after it, both are done. The unique key
 *  (event, recipient, channel) makes a second expansion of the same event
 *  add nothing, whoever runs it.
 */
#ifndef NOTIFY_NOTIFY_EXPAND_H
#define NOTIFY_NOTIFY_EXPAND_H

#include <libpq-fe.h>

#include "kc/kc_error.h"
#include "notify/notify_rules.h"

typedef struct notify_expander_t notify_expander_t;

/* `public_dir`: where notices addressed to `public` are written for the
 * site (notify_public.h); "" writes none. */
notify_expander_t *notify_expander_new(const char *public_dir);
void notify_expander_destroy(notify_expander_t **self);

/* Load the newest stored notification definition (0; 1 when none is
 * stored yet, which expands nothing and leaves the cursor; -1 on error). */
int notify_expander_load(notify_expander_t *self, PGconn *conn, kc_error_t *error);

/* Expand up to `max` events after the cursor; returns how many events were
 * consumed (0: none waiting), -1 with `error`. *notified counts the
 * notifications written. */
int notify_expand_batch(notify_expander_t *self, PGconn *conn, int max, long *notified,
                        kc_error_t *error);

#endif
