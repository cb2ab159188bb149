/*  kc_subscriber: every event of a node, in order, exactly once.
 *
 *  Publication over PUB is fast but lossy (a subscriber that is down, slow
 *  or still joining misses messages), so the subscriber keeps a cursor —
 *  the last sequence number it delivered — and fills any gap by asking the
 *  daemon's event log (ListEvents) before delivering what PUB brought. A
 *  subscriber started from a stored cursor after a crash or a stop resumes
 *  exactly where it was. Storing the cursor is the caller's job.
 */
#ifndef KC_SUBSCRIBER_H
#define KC_SUBSCRIBER_H

#include <stdint.h>

#include "kc/kc_error.h"
#include "kc/v1/events.pb-c.h"

typedef struct kc_subscriber_t kc_subscriber_t;

/* Subscribe to `events_endpoint` and catch up through `intake_endpoint`
 * from `after_seq` (0: from the beginning). */
kc_subscriber_t *kc_subscriber_new(const char *intake_endpoint, const char *events_endpoint,
                                   int64_t after_seq, kc_error_t *error);

void kc_subscriber_destroy(kc_subscriber_t **self);

/* The next event after the cursor, waiting up to `timeout_ms`: 1 with
 * *event set (free with kc__v1__event__free_unpacked), 0 on timeout, -1
 * with `error` filled when the log cannot be read. */
int kc_subscriber_next(kc_subscriber_t *self, int timeout_ms, Kc__V1__Event **event,
                       kc_error_t *error);

/* Sequence number of the last event delivered. */
int64_t kc_subscriber_cursor(const kc_subscriber_t *self);

#endif
