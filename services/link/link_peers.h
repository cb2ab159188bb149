/*  link_peers: the node's place in the federation, as kc-link knows it.
 *
 *  The node is its configuration's division and level; its peers file
 *  (deploy/federation/README.md) lists its parent (the one peer of a
 *  higher level) and its children. kc-link writes them into link_peer at
 *  start, so that what the database queues knows where it goes, and
 *  stamps each peer when it hears from it, for `kcctl link status`.
 */
#ifndef LINK_LINK_PEERS_H
#define LINK_LINK_PEERS_H

#include <libpq-fe.h>

#include "kc/kc_config.h"
#include "kc/kc_error.h"
#include "kc/kc_zap.h"

/* The parent in `keyring` (the peer above `level`), or NULL; -1 with
 * `error` if the file names more than one. */
int link_peers_parent(const kc_keyring_t *keyring, const char *level, const kc_peer_t **parent,
                      kc_error_t *error);

/* Whether `division` is one of the node's children. */
int link_peers_is_child(const kc_keyring_t *keyring, const char *level, const char *division);

/* Replace link_peer with this node and its peers. */
int link_peers_record(PGconn *db, const kc_config_t *config, const kc_keyring_t *keyring,
                      kc_error_t *error);

/* The peer was heard from now (kept at most once a second by the caller). */
void link_peers_heard(PGconn *db, const char *division);

#endif
