/*  kc_client: a request/reply client for kechuang daemons that never hangs.
 *
 *  The Lazy Pirate pattern of the ZeroMQ guide over a DEALER socket: send,
 *  wait up to a timeout, and when no answer comes close the socket, open a
 *  new one and send the same envelope again — same message id, same
 *  idempotency key, so the daemon stores it once and answers the retry with
 *  its first answer. After the last attempt it gives up with a clear error.
 *  Replies to earlier attempts are recognised by correlation id and dropped.
 */
#ifndef KC_CLIENT_H
#define KC_CLIENT_H

#include "kc/kc_bus.h"

typedef struct kc_client_t kc_client_t;

/* A client of the daemon at `endpoint`; `timeout_ms` per attempt and
 * `attempts` in all (at least 1). NULL if the endpoint is unusable. */
kc_client_t *kc_client_new(const char *endpoint, int timeout_ms, int attempts, kc_error_t *error);

/* Close the socket and free; NULLs the pointer. */
void kc_client_destroy(kc_client_t **self);

/* Send `request` (header filled by kc_bus_stamp or by hand) and wait for
 * the reply with its correlation id. On success *reply is a heap envelope
 * to free with kc_bus_free. -1 with KC_ERR_NO_ANSWER after every attempt
 * timed out, or a bus error if the reply could not be decoded. */
int kc_client_call(kc_client_t *self, const kc_envelope_t *request, kc_envelope_t **reply,
                   kc_error_t *error);

/* Attempts made by the last call (1 when the first answered). */
int kc_client_attempts_used(const kc_client_t *self);

#endif
