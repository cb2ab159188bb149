/*  kc_zap: who is at the other end of a link between nodes.
 *
 *  Links between province, city and county nodes are encrypted with CURVE,
 *  and a CURVE server accepts any client key unless a ZAP handler says no
 *  (the ZeroMQ guide's own warning). This is that handler: a thread that
 *  answers the ZAP requests of its context's CURVE sockets from a keyring
 *  of the node's known peers (public key → division code and level). An
 *  unknown key is refused — the handshake fails, no message gets through —
 *  and the refusal goes to a callback (the daemon audits it). A known key
 *  is accepted with the peer's division code as its ZMQ user id, so every
 *  message says which node sent it (zmq_msg_gets "User-Id"), whatever the
 *  message itself claims.
 */
#ifndef KC_ZAP_H
#define KC_ZAP_H

#include <stddef.h>

#include "kc/kc_error.h"

#define KC_KEY_Z85 41 /* a Z85 CURVE key and its NUL */

typedef struct {
    char public_key[KC_KEY_Z85]; /* Z85 */
    char division[8];            /* the six-digit code the peer node serves */
    char level[16];              /* province, city, county */
    char name[64];
} kc_peer_t;

typedef struct {
    kc_peer_t *peers;
    size_t count;
} kc_keyring_t;

/* Read a peers file: CSV "public_key,division_code,level,name" after a
 * header line. Every problem is an error naming its line. */
int kc_keyring_load(kc_keyring_t *keyring, const char *path, kc_error_t *error);
void kc_keyring_release(kc_keyring_t *keyring);

/* The peer with this Z85 public key, or NULL. */
const kc_peer_t *kc_keyring_find(const kc_keyring_t *keyring, const char *public_key);

/* Generate a CURVE key pair (Z85) into the two buffers; -1 if libzmq was
 * built without CURVE. */
int kc_curve_keypair(char public_key[KC_KEY_Z85], char secret_key[KC_KEY_Z85]);

typedef struct kc_zap_t kc_zap_t;

/* Called from the handler's thread for each refused handshake (the peer's
 * address and Z85 key). */
typedef void (*kc_zap_refused_fn)(void *context, const char *address, const char *public_key);

/* Start the handler for `zmq_context` (one per context), answering from
 * `keyring` (borrowed: it must outlive the handler). */
kc_zap_t *kc_zap_start(void *zmq_context, const kc_keyring_t *keyring, kc_zap_refused_fn refused,
                       void *refused_context, kc_error_t *error);

/* Stop the thread and free it. */
void kc_zap_stop(kc_zap_t **self);

#endif
