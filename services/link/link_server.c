/*  link_server: see link_server.h. */
#include "link/link_server.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "kc/kc_audit.h"
#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_log.h"
#include "kc/kc_zap.h"

#define WINDOW    256  /* messages in flight upward */
#define RESEND_MS 3000 /* unacknowledged this long: send again */

struct link_server_t {
    kc_config_t config;
    void *context;
    void *down; /* ROUTER for the children, or NULL */
    void *up;   /* DEALER to the parent, or NULL */
    PGconn *db;
    kc_keyring_t keyring;
    kc_zap_t *zap;
    char public_key[KC_KEY_Z85], secret_key[KC_KEY_Z85];
    long long last_sent; /* outbox id sent last */
    long long oldest_unacked_ms;
    int in_flight;
    PGconn *audit_db; /* the ZAP thread's own connection, for refusals */
};

static int s_read_keys(link_server_t *self, kc_error_t *error)
{
    char path[600];
    snprintf(path, sizeof path, "%s/node.key", self->config.link_keys);
    FILE *file = fopen(path, "r");
    if (!file)
        return kc_error_set(error, KC_ERR_CONFIG, "link.keys",
                            "cannot read %s (kcctl keys generate)", path);
    int found = fscanf(file, "public = %40s secret = %40s", self->public_key, self->secret_key);
    fclose(file);
    return found == 2
               ? 0
               : kc_error_set(error, KC_ERR_CONFIG, "link.keys", "%s is not a key pair", path);
}

/* A refused handshake is an authority check: it goes into the audit log. */
static void s_refused(void *context, const char *address, const char *key)
{
    link_server_t *self = context;
    kc_log_warn("link refused: unknown key %s from %s", key, address);
    kc_error_t error;
    /* one connection, kept: a stream of strangers must not open one each */
    if (self->audit_db && kc_db_is_lost(self->audit_db))
        kc_db_disconnect(&self->audit_db);
    if (!self->audit_db)
        self->audit_db = kc_db_connect(self->config.conninfo, "kc-link refusals", &error);
    if (!self->audit_db)
        return;
    kc_audit_entry_t entry = {
        self->config.node_id, key,   "node",        "", address, "link.connect",
        self->config.node_id, false, "unknown key", ""};
    if (kc_audit_append(self->audit_db, &entry, NULL, &error))
        kc_log_warn("audit of a refused link: %s", error.message);
}

link_server_t *link_server_new(const kc_config_t *config, kc_error_t *error)
{
    link_server_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->config = *config;
    self->context = zmq_ctx_new();
    if (s_read_keys(self, error))
        goto failed;
    int linger = 0, one = 1;
    if (*config->link_endpoint) {
        if (kc_keyring_load(&self->keyring, config->link_peers, error))
            goto failed;
        self->zap = kc_zap_start(self->context, &self->keyring, s_refused, self, error);
        if (!self->zap)
            goto failed;
        self->down = zmq_socket(self->context, ZMQ_ROUTER);
        zmq_setsockopt(self->down, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(self->down, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(self->down, ZMQ_CURVE_SECRETKEY, self->secret_key, KC_KEY_Z85 - 1);
        if (zmq_bind(self->down, config->link_endpoint)) {
            kc_error_set(error, KC_ERR_CONFIG, "link.endpoint", "cannot bind '%s': %s",
                         config->link_endpoint, zmq_strerror(zmq_errno()));
            goto failed;
        }
    }
    if (*config->link_parent) {
        self->up = zmq_socket(self->context, ZMQ_DEALER);
        int reconnect = 100, reconnect_max = 5000;
        zmq_setsockopt(self->up, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(self->up, ZMQ_RECONNECT_IVL, &reconnect, sizeof reconnect);
        zmq_setsockopt(self->up, ZMQ_RECONNECT_IVL_MAX, &reconnect_max, sizeof reconnect_max);
        zmq_setsockopt(self->up, ZMQ_CURVE_SERVERKEY, config->link_parent_key,
                       strlen(config->link_parent_key));
        zmq_setsockopt(self->up, ZMQ_CURVE_PUBLICKEY, self->public_key, KC_KEY_Z85 - 1);
        zmq_setsockopt(self->up, ZMQ_CURVE_SECRETKEY, self->secret_key, KC_KEY_Z85 - 1);
        if (zmq_connect(self->up, config->link_parent)) {
            kc_error_set(error, KC_ERR_CONFIG, "link.parent", "cannot connect to '%s'",
                         config->link_parent);
            goto failed;
        }
    }
    self->db = kc_db_connect(config->conninfo, "kc-link", error);
    if (!self->db)
        goto failed;
    kc_log_notice("linking: children on %s, parent %s",
                  *config->link_endpoint ? config->link_endpoint : "-",
                  *config->link_parent ? config->link_parent : "-");
    return self;
failed:
    link_server_destroy(&self);
    return NULL;
}

void link_server_destroy(link_server_t **self_p)
{
    link_server_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    if (self->down)
        zmq_close(self->down);
    if (self->up)
        zmq_close(self->up);
    kc_zap_stop(&self->zap); /* the thread that used audit_db has ended */
    kc_db_disconnect(&self->audit_db);
    zmq_ctx_term(self->context);
    kc_keyring_release(&self->keyring);
    kc_db_disconnect(&self->db);
    free(self);
    *self_p = NULL;
}

/* Send the next messages for the parent, up to the window. */
static void s_send_up(link_server_t *self)
{
    long long now = kc_clock_mono_us() / 1000;
    if (self->in_flight > 0 && now - self->oldest_unacked_ms > RESEND_MS) {
        self->last_sent = 0; /* nothing acknowledged for a while: again from the oldest */
        self->in_flight = 0;
    }
    if (self->in_flight >= WINDOW)
        return;
    char after[24], limit[16];
    snprintf(after, sizeof after, "%lld", self->last_sent);
    snprintf(limit, sizeof limit, "%d", WINDOW - self->in_flight);
    const char *params[2] = {after, limit};
    PGresult *rows = NULL;
    kc_error_t error;
    if (kc_db_run_cached(self->db,
                         "SELECT id, message_id, ordering_key, kind, payload, previous"
                         "  FROM link_outbox"
                         " WHERE destination = 'parent' AND id > $1::bigint ORDER BY id"
                         " LIMIT $2::int",
                         2, params, NULL, NULL, "reading the outbox", &rows, &error)) {
        kc_log_warn("outbox: %s", error.message);
        return;
    }
    for (int i = 0; i < PQntuples(rows); i++) {
        size_t size = 0;
        unsigned char *payload =
            PQunescapeBytea((const unsigned char *)PQgetvalue(rows, i, 4), &size);
        /* number, previous number, message id, key, kind, payload */
        zmq_send(self->up, PQgetvalue(rows, i, 0), strlen(PQgetvalue(rows, i, 0)), ZMQ_SNDMORE);
        zmq_send(self->up, PQgetvalue(rows, i, 5), strlen(PQgetvalue(rows, i, 5)), ZMQ_SNDMORE);
        zmq_send(self->up, PQgetvalue(rows, i, 1), strlen(PQgetvalue(rows, i, 1)), ZMQ_SNDMORE);
        zmq_send(self->up, PQgetvalue(rows, i, 2), strlen(PQgetvalue(rows, i, 2)), ZMQ_SNDMORE);
        zmq_send(self->up, PQgetvalue(rows, i, 3), strlen(PQgetvalue(rows, i, 3)), ZMQ_SNDMORE);
        zmq_send(self->up, payload, size, 0);
        PQfreemem(payload);
        self->last_sent = strtoll(PQgetvalue(rows, i, 0), NULL, 10);
        if (self->in_flight++ == 0)
            self->oldest_unacked_ms = now;
    }
    PQclear(rows);
}

/* An acknowledgement from the parent: the message leaves the outbox. */
static void s_acknowledged(link_server_t *self)
{
    char id[128];
    int n = zmq_recv(self->up, id, sizeof id - 1, ZMQ_DONTWAIT);
    if (n <= 0)
        return;
    id[n < (int)sizeof id - 1 ? n : (int)sizeof id - 1] = '\0';
    const char *params[1] = {id};
    kc_error_t error;
    if (kc_db_run_cached(self->db, "SELECT link_acknowledged($1)", 1, params, NULL, NULL,
                         "acknowledging", NULL, &error))
        kc_log_warn("acknowledgement of %s: %s", id, error.message);
    if (self->in_flight > 0)
        self->in_flight--;
    self->oldest_unacked_ms = kc_clock_mono_us() / 1000;
}

/* A child's message: into the inbox under the division its key says. */
static void s_take(link_server_t *self)
{
    zmq_msg_t frames[7];
    int count = 0, more = 1;
    while (more && count < 7) {
        zmq_msg_init(&frames[count]);
        if (zmq_msg_recv(&frames[count], self->down, 0) < 0) {
            zmq_msg_close(&frames[count]);
            break;
        }
        more = zmq_msg_more(&frames[count]);
        count++;
    }
    while (more) { /* anything past seven frames is not ours */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        zmq_msg_recv(&extra, self->down, 0);
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
    if (count == 7) {
        const char *origin = zmq_msg_gets(&frames[1], "User-Id");
        char text[5][128];
        for (int i = 0; i < 5; i++)
            snprintf(text[i], sizeof text[i], "%.*s", (int)zmq_msg_size(&frames[i + 1]),
                     (const char *)zmq_msg_data(&frames[i + 1]));
        /* origin, id, number, previous, key, kind, payload */
        const char *params[7] = {origin ? origin : "",
                                 text[2],
                                 text[0],
                                 text[1],
                                 text[3],
                                 text[4],
                                 (const char *)zmq_msg_data(&frames[6])};
        int lengths[7] = {0, 0, 0, 0, 0, 0, (int)zmq_msg_size(&frames[6])};
        int formats[7] = {0, 0, 0, 0, 0, 0, 1};
        kc_error_t error;
        PGresult *result = NULL;
        /* acknowledged only once committed (or taken before); a message
         * that came before one it follows is not acknowledged: the child
         * sends again from the oldest it holds, in order */
        if (origin && kc_db_run_cached(self->db,
                                       "SELECT link_receive($1, $2, $3::bigint, $4::bigint, $5,"
                                       " $6, $7)",
                                       7, params, lengths, formats, "taking a message", &result,
                                       &error) == 0) {
            if (strcmp(PQgetvalue(result, 0, 0), "early") != 0) {
                zmq_send(self->down, zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0]),
                         ZMQ_SNDMORE);
                zmq_send(self->down, text[2], strlen(text[2]), 0);
            }
            PQclear(result);
        } else if (origin)
            kc_log_warn("message %s from %s: %s", text[2], origin, error.message);
    }
    for (int i = 0; i < count; i++)
        zmq_msg_close(&frames[i]);
}

int link_server_run(link_server_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        if (self->up)
            s_send_up(self);
        zmq_pollitem_t items[2];
        int n = 0;
        if (self->down)
            items[n++] = (zmq_pollitem_t){self->down, 0, ZMQ_POLLIN, 0};
        if (self->up)
            items[n++] = (zmq_pollitem_t){self->up, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(items, n, 50) < 0 && zmq_errno() != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            if (items[i].socket == self->down)
                s_take(self);
            else
                while (zmq_poll(&items[i], 1, 0) > 0 && (items[i].revents & ZMQ_POLLIN))
                    s_acknowledged(self);
        }
        if (kc_db_is_lost(self->db)) {
            kc_error_t error;
            kc_db_disconnect(&self->db);
            while (!*stop && !(self->db = kc_db_connect(self->config.conninfo, "kc-link", &error)))
                sleep(1);
        }
    }
    kc_log_notice("stopped");
    return 0;
}
