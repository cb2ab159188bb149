/*  link_peers: see link_peers.h. */
#include "link/link_peers.h"

#include <stdio.h>
#include <string.h>

#include "kc/kc_db.h"
#include "kc/kc_log.h"

static int s_rank(const char *level)
{
    return strcmp(level, "county") == 0     ? 1
           : strcmp(level, "city") == 0     ? 2
           : strcmp(level, "province") == 0 ? 3
                                            : 0;
}

int link_peers_parent(const kc_keyring_t *keyring, const char *level, const kc_peer_t **parent,
                      kc_error_t *error)
{
    *parent = NULL;
    for (size_t i = 0; i < keyring->count; i++) {
        if (s_rank(keyring->peers[i].level) <= s_rank(level))
            continue;
        if (*parent)
            return kc_error_set(error, KC_ERR_CONFIG, "link.peers",
                                "two parents (%s and %s): a node has one", (*parent)->division,
                                keyring->peers[i].division);
        *parent = &keyring->peers[i];
    }
    return 0;
}

int link_peers_is_child(const kc_keyring_t *keyring, const char *level, const char *division)
{
    for (size_t i = 0; i < keyring->count; i++)
        if (strcmp(keyring->peers[i].division, division) == 0)
            return s_rank(keyring->peers[i].level) < s_rank(level);
    return 0;
}

static int s_insert(PGconn *db, const char *division, const char *relation, const char *level,
                    const char *name, kc_error_t *error)
{
    const char *params[4] = {division, relation, level, name};
    return kc_db_run(db,
                     "INSERT INTO link_peer (division, relation, level, name)"
                     " VALUES ($1, $2, $3, $4)",
                     4, params, NULL, NULL, "recording the node's peers", NULL, error);
}

int link_peers_record(PGconn *db, const kc_config_t *config, const kc_keyring_t *keyring,
                      kc_error_t *error)
{
    if (kc_db_exec(db, "BEGIN", error))
        return -1;
    if (kc_db_exec(db, "DELETE FROM link_peer", error) ||
        s_insert(db, config->node_division, "self", config->node_level, config->node_id, error))
        goto failed;
    for (size_t i = 0; i < keyring->count; i++) {
        const kc_peer_t *peer = &keyring->peers[i];
        const char *relation =
            s_rank(peer->level) > s_rank(config->node_level) ? "parent" : "child";
        if (s_insert(db, peer->division, relation, peer->level, peer->name, error))
            goto failed;
    }
    if (kc_db_exec(db, "COMMIT", error))
        goto failed;
    return 0;
failed:;
    kc_error_t ignored;
    kc_db_exec(db, "ROLLBACK", &ignored);
    return -1;
}

void link_peers_heard(PGconn *db, const char *division)
{
    const char *params[1] = {division};
    kc_error_t error;
    if (kc_db_run_cached(db,
                         "UPDATE link_peer SET up_since = CASE WHEN heard_at > now() - interval"
                         " '3 seconds' THEN up_since ELSE now() END, heard_at = now()"
                         " WHERE division = $1",
                         1, params, NULL, NULL, "stamping a peer", NULL, &error))
        kc_log_warn("link state of %s: %s", division, error.message);
}
