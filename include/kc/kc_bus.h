/*  kc_bus: ZeroMQ + protobuf framing, the only code that packs and unpacks.
 *
 *  On the wire a request is one frame holding a packed kc.v1.Envelope; a
 *  ROUTER sees [identity][empty delimiter, only from REQ peers][envelope].
 *  Frames are checked before decoding: a multipart message of the wrong
 *  shape, an oversized frame (the socket's ZMQ_MAXMSGSIZE drops those
 *  earlier still) or bytes that are not an Envelope become a bus.* error,
 *  never a crash. Socket options are set explicitly, never left to
 *  defaults: see proto/README.md.
 */
#ifndef KC_BUS_H
#define KC_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"
#include "kc/kc_id.h"
#include "kc/v1/envelope.pb-c.h"

typedef Kc__V1__Envelope kc_envelope_t;

#define KC_BUS_IDENTITY_MAX 256

/* Settings shared by every kechuang socket: linger, high-water marks,
 * maximum message size (0 for none), TCP keepalive. */
int kc_bus_configure(void *socket, size_t max_message_bytes);

/* Name of the body that is set, e.g. "SubmitReports"; "" if none. */
const char *kc_bus_body_name(Kc__V1__Envelope__BodyCase body);

/* Decode one frame into a heap envelope (free with kc_bus_free). Checks
 * that the body is set and is a known type, that `type` names that body,
 * and that the message id is present. NULL with `error` filled otherwise. */
kc_envelope_t *kc_bus_decode(const void *bytes, size_t size, kc_error_t *error);

/* Free an envelope from kc_bus_decode; NULLs the pointer. */
void kc_bus_free(kc_envelope_t **envelope);

/* Fill the header of a stack envelope: a new message id written into `id`
 * (which the envelope borrows), `type` from the body case, the time; node
 * and actor are borrowed pointers too. */
void kc_bus_stamp(kc_envelope_t *envelope, char id[KC_ID_SIZE], const char *sender_node,
                  Kc__V1__Actor *actor);

/* Pack and send one envelope. With `identity` (a ROUTER reply), sends
 * [identity][delimiter if `delimited`][envelope]. Never blocks: a peer that
 * is gone or full loses the reply, which it will ask for again by retrying.
 * -1 with `error` filled when the frame could not be queued. */
int kc_bus_send(void *socket, const void *identity, size_t identity_size, bool delimited,
                const kc_envelope_t *envelope, kc_error_t *error);

/* An error reply to `request_id`: a Rejected envelope with one error. */
int kc_bus_send_error(void *socket, const void *identity, size_t identity_size, bool delimited,
                      const char *sender_node, const char *request_id, const kc_error_t *error);

/* Copy a kc_error_t into a heap Kc__V1__Error (protobuf-c layout, so
 * protobuf_c_message_free_unpacked frees it with its parent). */
Kc__V1__Error *kc_bus_error_new(const kc_error_t *error);

/* Build a Rejected body from a list of errors (heap; kc_bus_rejected_destroy frees). */
Kc__V1__Rejected *kc_bus_rejected_new(const kc_errors_t *errors);
void kc_bus_rejected_destroy(Kc__V1__Rejected **rejected);

/* Read the first kc_error_t out of a Rejected reply (for callers that act
 * on one error). */
void kc_bus_rejected_first(const Kc__V1__Rejected *rejected, kc_error_t *error);

#endif
