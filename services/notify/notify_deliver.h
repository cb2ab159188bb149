/*  notify_deliver: kc-notify's delivery worker, a thread with its own
 *  database connection.
 *
 *  It gathers each person's low-priority notifications into their daily
 *  digest once the digest time has passed (one per person, channel and
 *  day: a unique key), and keeps up to 16 transfers under way. For each
 *  free slot it claims one due delivery — notification or digest — in a
 *  short transaction of its own (attempts + 1, the next attempt moved past
 *  a lease of the transfer's time limit and 5 s, SKIP LOCKED so several
 *  workers never take the same), and starts its transfer the moment the
 *  claim commits: an attempt is counted before it is made, so a kill
 *  cannot make one go uncounted. Each outcome is recorded as its transfer
 *  ends: sent; failed, to be tried again after an exponential backoff with
 *  jitter counted from then; or dead after the last attempt, for an
 *  operator to replay. Only what has attempts left is claimed: a claim
 *  whose lease runs out with no outcome (a kill mid-transfer) was an
 *  attempt, and if it was the last, the delivery is dead then, so nothing
 *  is ever tried more often than `notify.attempts`. A clean stop lets the
 *  transfers under way end and records them. A crash between
 *  sending and recording may thus leave a delivered notification to be
 *  sent again, or declared dead: at least once, with the notification's
 *  id in every copy for the receiver to drop the second.
 */
#ifndef NOTIFY_NOTIFY_DELIVER_H
#define NOTIFY_NOTIFY_DELIVER_H

#include <signal.h>
#include <stdint.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"

typedef struct notify_deliver_t notify_deliver_t;

/* Start the worker thread; NULL with `error` if it cannot start. */
notify_deliver_t *notify_deliver_start(const kc_config_t *config, kc_error_t *error);

/* The wait before the attempt after failed attempt `attempts` (from 1):
 * min(base_ms * 2^(attempts - 1), 1 h) times 0.5 to 1.5, the jitter drawn
 * from `noise`. */
int64_t notify_deliver_backoff_ms(int base_ms, int attempts, uint32_t noise);

/* Ask it to stop, wait for it, free it. */
void notify_deliver_stop(notify_deliver_t **self);

#endif
