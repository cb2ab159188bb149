/*  events: build kc.v1.Event messages from rows of the event log.
 *
 *  The log keeps each event's payload packed; an Event is rebuilt from the
 *  row the same way whether it is published the moment it commits or read
 *  back by a subscriber catching up, so both see identical bytes.
 */
#ifndef INTAKE_EVENTS_H
#define INTAKE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"
#include "kc/v1/events.pb-c.h"

/* A heap Event (free with events_destroy) from the parts of a log row;
 * NULL with `error` filled if the payload does not decode as `type`. An
 * event type intake does not know (appended by another daemon) comes back
 * with its header and no payload, so it never blocks a subscriber. */
Kc__V1__Event *events_build(int64_t seq, const char *type, int64_t occurred_at_ms, const char *node,
                            int64_t submission_id, const uint8_t *payload, size_t payload_size,
                            kc_error_t *error);

void events_destroy(Kc__V1__Event **event);

/* Publish one event on a PUB socket as [type][packed Event]; never blocks. */
int events_publish(void *publisher, const Kc__V1__Event *event);

#endif
