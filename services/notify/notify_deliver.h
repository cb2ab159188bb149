/*  notify_deliver: kc-notify's delivery worker, a thread with its own
 *  database connection.
 *
 *  It gathers each person's low-priority notifications into their daily
 *  digest once the digest time has passed (one per person, channel and
 *  day: a unique key), claims what is due — notifications and digests —
 *  with a lease in a short transaction of its own (attempts + 1, the next
 *  attempt moved past the lease, SKIP LOCKED so several workers never take
 *  the same), sends them all at once over their channels, and records each
 *  outcome: sent; failed, to be tried again after an exponential backoff
 *  with jitter; or dead after the last attempt, for an operator to replay.
 *  A crash between sending and recording sends that one again when its
 *  lease runs out: at least once, with the notification's id in every
 *  copy for the receiver to drop the second.
 */
#ifndef NOTIFY_NOTIFY_DELIVER_H
#define NOTIFY_NOTIFY_DELIVER_H

#include <signal.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"

typedef struct notify_deliver_t notify_deliver_t;

/* Start the worker thread; NULL with `error` if it cannot start. */
notify_deliver_t *notify_deliver_start(const kc_config_t *config, kc_error_t *error);

/* Ask it to stop, wait for it, free it. */
void notify_deliver_stop(notify_deliver_t **self);

#endif
