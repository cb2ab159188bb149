/*  kc_router: reading one request off a daemon's ROUTER socket.
 *
 *  A request is [identity][body] from a DEALER, or [identity][""][body]
 *  from a REQ. Anything else — more frames, fewer, a body that is not a
 *  kc.v1.Envelope — is answered here with a Rejected (bus.malformed...) and
 *  never reaches the daemon; extra frames are drained so the next request
 *  starts clean.
 */
#ifndef KC_ROUTER_H
#define KC_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "kc/kc_bus.h"

/* Called with a decoded request; answer with kc_bus_send(router, identity,
 * identity_size, delimited, ...). Everything is freed after it returns. */
typedef void (*kc_router_answer_fn)(void *context, const void *identity, size_t identity_size,
                                    bool delimited, const kc_envelope_t *request);

/* Read one request (blocking: call when the socket is readable) and hand
 * it to `answer`, or refuse it on the daemon's behalf (`node_id`). */
void kc_router_serve_one(void *router, const char *node_id, kc_router_answer_fn answer,
                         void *context);

#endif
