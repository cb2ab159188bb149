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
#include "kc/kc_error.h"

/* A daemon's requests socket: a ZeroMQ context of its own and a ROUTER
 * bound to `endpoint`, frames above `max_message_bytes` refused
 * (kc_bus_configure). -1 with KC_ERR_CONFIG at `field` when it cannot bind;
 * kc_router_close cleans up either way. */
int kc_router_bind(void **context, void **router, const char *endpoint, size_t max_message_bytes,
                   const char *field, kc_error_t *error);

/* Close the socket and end its context (NULLs are fine). */
void kc_router_close(void **context, void **router);

/* Called with a decoded request; answer with kc_bus_send(router, identity,
 * identity_size, delimited, ...). Everything is freed after it returns. */
typedef void (*kc_router_answer_fn)(void *context, const void *identity, size_t identity_size,
                                    bool delimited, const kc_envelope_t *request);

/* Read one request (blocking: call when the socket is readable) and hand
 * it to `answer`, or refuse it on the daemon's behalf (`node_id`). */
void kc_router_serve_one(void *router, const char *node_id, kc_router_answer_fn answer,
                         void *context);

#endif
