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
#include "kc/kc_db_keeper.h"
#include "kc/kc_log.h"
#include "kc/kc_zap.h"
#include "link/link_peers.h"
#include "link/link_stream.h"

#define BATCH     512  /* messages taken in one transaction */
#define HI_MS     1000 /* a child says it is there this often */
#define SILENT_MS 3000 /* a peer not heard for this long is down */

/* Messages a link's pipe holds each way: above the senders' window, so that
 * a window always fits (a message that does not is not sent, not lost). */
static const int s_hwm = 4096;

/* A multipart message as read, frames kept until it is handled. */
typedef struct {
    zmq_msg_t frames[8]; /* [routing id,] command, arguments */
    int count;
    int first; /* index of the command frame */
} s_frames_t;

/* One peer's side of a link: where frames go, what we send it, when we heard it. */
typedef struct {
    char division[8];
    link_route_t route;
    link_sender_t sender;
    long long heard_ms, stamped_ms;
    s_frames_t *batch; /* its MSGs of this round */
    int batched;
} s_peer_t;

struct link_server_t {
    kc_config_t config;
    void *context;
    void *down;            /* ROUTER for the children, or NULL */
    void *up;              /* DEALER to the parent, or NULL */
    kc_db_keeper_t keeper; /* healed by itself after an outage */
    PGconn *db;            /* keeper.conn during a round */
    kc_keyring_t keyring;
    kc_zap_t *zap;
    char public_key[KC_KEY_Z85], secret_key[KC_KEY_Z85];
    s_peer_t parent;
    s_peer_t *children;
    size_t n_children;
    long long hi_sent_ms;
    PGconn *audit_db; /* the ZAP thread's own connection, for refusals */
};

static long long s_now_ms(void)
{
    return kc_clock_mono_us() / 1000;
}

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

static void s_peer_init(s_peer_t *peer, const char *division, void *socket, const char *destination,
                        const char *stream_peer)
{
    snprintf(peer->division, sizeof peer->division, "%s", division);
    peer->route.socket = socket;
    link_sender_init(&peer->sender, destination, stream_peer);
    peer->batch = calloc(BATCH, sizeof *peer->batch);
    if (!peer->batch)
        abort();
}

static int s_open_children(link_server_t *self, kc_error_t *error)
{
    self->zap = kc_zap_start(self->context, &self->keyring, s_refused, self, error);
    if (!self->zap)
        return -1;
    int linger = 0, one = 1;
    self->down = zmq_socket(self->context, ZMQ_ROUTER);
    zmq_setsockopt(self->down, ZMQ_LINGER, &linger, sizeof linger);
    /* a full or vanished child's pipe is an error to the sender, not a
     * message dropped in silence */
    zmq_setsockopt(self->down, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(self->down, ZMQ_SNDHWM, &s_hwm, sizeof s_hwm);
    zmq_setsockopt(self->down, ZMQ_RCVHWM, &s_hwm, sizeof s_hwm);
    zmq_setsockopt(self->down, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(self->down, ZMQ_CURVE_SECRETKEY, self->secret_key, KC_KEY_Z85 - 1);
    if (zmq_bind(self->down, self->config.link_endpoint))
        return kc_error_set(error, KC_ERR_CONFIG, "link.endpoint", "cannot bind '%s': %s",
                            self->config.link_endpoint, zmq_strerror(zmq_errno()));
    self->children = calloc(self->keyring.count + 1, sizeof *self->children);
    if (!self->children)
        abort();
    for (size_t i = 0; i < self->keyring.count; i++) {
        const kc_peer_t *peer = &self->keyring.peers[i];
        if (link_peers_is_child(&self->keyring, self->config.node_level, peer->division))
            s_peer_init(&self->children[self->n_children++], peer->division, self->down, "child",
                        peer->division);
    }
    return 0;
}

static int s_open_parent(link_server_t *self, const kc_peer_t *parent, kc_error_t *error)
{
    const char *key =
        *self->config.link_parent_key ? self->config.link_parent_key : parent->public_key;
    self->up = zmq_socket(self->context, ZMQ_DEALER);
    int linger = 0, reconnect = 100, reconnect_max = 5000;
    zmq_setsockopt(self->up, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->up, ZMQ_SNDHWM, &s_hwm, sizeof s_hwm);
    zmq_setsockopt(self->up, ZMQ_RCVHWM, &s_hwm, sizeof s_hwm);
    zmq_setsockopt(self->up, ZMQ_RECONNECT_IVL, &reconnect, sizeof reconnect);
    zmq_setsockopt(self->up, ZMQ_RECONNECT_IVL_MAX, &reconnect_max, sizeof reconnect_max);
    zmq_setsockopt(self->up, ZMQ_CURVE_SERVERKEY, key, strlen(key));
    zmq_setsockopt(self->up, ZMQ_CURVE_PUBLICKEY, self->public_key, KC_KEY_Z85 - 1);
    zmq_setsockopt(self->up, ZMQ_CURVE_SECRETKEY, self->secret_key, KC_KEY_Z85 - 1);
    if (zmq_connect(self->up, self->config.link_parent))
        return kc_error_set(error, KC_ERR_CONFIG, "link.parent", "cannot connect to '%s'",
                            self->config.link_parent);
    s_peer_init(&self->parent, parent->division, self->up, "parent", "");
    return 0;
}

/* Each new connection listens, and every stream starts again from what is
 * not acknowledged: the outbox may have grown while it was away. */
static int s_setup(PGconn *db, void *context, kc_error_t *error)
{
    link_server_t *self = context;
    if (kc_db_exec(db, "LISTEN kc_link", error))
        return -1;
    link_sender_wake(&self->parent.sender);
    for (size_t i = 0; i < self->n_children; i++)
        link_sender_wake(&self->children[i].sender);
    return 0;
}

link_server_t *link_server_new(const kc_config_t *config, kc_error_t *error)
{
    link_server_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->config = *config;
    self->context = zmq_ctx_new();
    const kc_peer_t *parent = NULL;
    if (!*config->node_division || !*config->node_level) {
        kc_error_set(error, KC_ERR_CONFIG, "node.division",
                     "a linked node needs node.division and node.level");
        goto failed;
    }
    if (s_read_keys(self, error) || kc_keyring_load(&self->keyring, config->link_peers, error) ||
        link_peers_parent(&self->keyring, config->node_level, &parent, error))
        goto failed;
    if (*config->link_parent && !parent) {
        kc_error_set(error, KC_ERR_CONFIG, "link.peers",
                     "%s lists no parent for link.parent %s (its key, division and level)",
                     config->link_peers, config->link_parent);
        goto failed;
    }
    if (*config->link_endpoint && s_open_children(self, error))
        goto failed;
    if (*config->link_parent && s_open_parent(self, parent, error))
        goto failed;
    kc_db_keeper_init(&self->keeper, self->config.conninfo, "kc-link", "kc-link", s_setup, self);
    if (!(self->db = kc_db_keeper_get(&self->keeper, error)) ||
        link_peers_record(self->db, config, &self->keyring, error))
        goto failed;
    kc_log_notice("linking %s (%s): %zu children on %s, parent %s %s", config->node_division,
                  config->node_level, self->n_children,
                  *config->link_endpoint ? config->link_endpoint : "-",
                  parent ? parent->division : "-", *config->link_parent ? config->link_parent : "");
    return self;
failed:
    link_server_destroy(&self);
    return NULL;
}

static void s_peer_release(s_peer_t *peer)
{
    free(peer->batch);
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
    for (size_t i = 0; i < self->n_children; i++)
        s_peer_release(&self->children[i]);
    free(self->children);
    s_peer_release(&self->parent);
    kc_keyring_release(&self->keyring);
    kc_db_keeper_close(&self->keeper);
    self->db = NULL;
    free(self);
    *self_p = NULL;
}

/* Read one multipart message without waiting; 0 when there is none. */
static int s_read(void *socket, bool routed, s_frames_t *message)
{
    message->count = 0;
    message->first = routed ? 1 : 0;
    int more = 1;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, socket, message->count == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&frame);
            return message->count > 0;
        }
        more = zmq_msg_more(&frame);
        if (message->count < 8) { /* anything past eight frames is not ours */
            zmq_msg_init(&message->frames[message->count]);
            zmq_msg_move(&message->frames[message->count++], &frame);
        }
        zmq_msg_close(&frame);
    }
    return 1;
}

static void s_release(s_frames_t *message)
{
    for (int i = 0; i < message->count; i++)
        zmq_msg_close(&message->frames[i]);
    message->count = 0;
}

static bool s_is(const s_frames_t *message, const char *command)
{
    if (message->count <= message->first)
        return false;
    const zmq_msg_t *frame = &message->frames[message->first];
    return zmq_msg_size((zmq_msg_t *)frame) == strlen(command) &&
           memcmp(zmq_msg_data((zmq_msg_t *)frame), command, strlen(command)) == 0;
}

static void s_text(const s_frames_t *message, int index, char *out, size_t size)
{
    zmq_msg_t *frame = (zmq_msg_t *)&message->frames[message->first + index];
    snprintf(out, size, "%.*s", (int)zmq_msg_size(frame), (const char *)zmq_msg_data(frame));
}

/* The peer spoke: note it, and start again from the oldest if it had gone quiet. */
static void s_heard(link_server_t *self, s_peer_t *peer)
{
    long long now = s_now_ms();
    if (now - peer->heard_ms > SILENT_MS) {
        kc_log_notice("link to %s is up", peer->division);
        link_sender_rewind(&peer->sender);
    }
    peer->heard_ms = now;
    if (now - peer->stamped_ms >= 1000) {
        link_peers_heard(self->db, peer->division);
        peer->stamped_ms = now;
    }
}

/* Handle a message from `peer`: MSGs wait in its batch, the rest now. */
static void s_handle(link_server_t *self, s_peer_t *peer, s_frames_t *message)
{
    s_heard(self, peer);
    if (s_is(message, "MSG") && message->count - message->first == 7 && peer->batched < BATCH) {
        s_frames_t *kept = &peer->batch[peer->batched++];
        kept->first = message->first;
        for (kept->count = 0; kept->count < message->count; kept->count++) {
            zmq_msg_init(&kept->frames[kept->count]);
            zmq_msg_move(&kept->frames[kept->count], &message->frames[kept->count]);
        }
        s_release(message);
        return;
    }
    if (s_is(message, "ACK") && message->count - message->first == 2) {
        char number[24];
        s_text(message, 1, number, sizeof number);
        link_sender_acknowledged(&peer->sender, self->db, number);
    } else if (s_is(message, "AGAIN"))
        link_sender_again(&peer->sender);
    else if (s_is(message, "HI") && self->down && peer->route.socket == self->down)
        link_send_hi(&peer->route); /* the child hears its parent is there */
    s_release(message);
}

/* Take a peer's batch in one transaction and acknowledge it. */
static void s_take_batch(link_server_t *self, s_peer_t *peer)
{
    if (peer->batched == 0)
        return;
    link_message_t *messages = calloc((size_t)peer->batched, sizeof *messages);
    if (!messages)
        abort();
    for (int i = 0; i < peer->batched; i++) {
        s_frames_t *frames = &peer->batch[i];
        link_message_t *m = &messages[i];
        s_text(frames, 1, m->number, sizeof m->number);
        s_text(frames, 2, m->previous, sizeof m->previous);
        s_text(frames, 3, m->message_id, sizeof m->message_id);
        s_text(frames, 4, m->key, sizeof m->key);
        s_text(frames, 5, m->kind, sizeof m->kind);
        zmq_msg_t *payload = &frames->frames[frames->first + 6];
        m->payload = zmq_msg_data(payload);
        m->payload_size = zmq_msg_size(payload);
    }
    char acknowledge[24];
    bool early = false;
    if (link_receive_batch(self->db, peer->division, messages, peer->batched, acknowledge,
                           &early) == 0) {
        if (*acknowledge)
            link_send_ack(&peer->route, acknowledge);
        if (early)
            link_send_again(&peer->route);
    }
    free(messages);
    for (int i = 0; i < peer->batched; i++)
        s_release(&peer->batch[i]);
    peer->batched = 0;
}

static s_peer_t *s_child(link_server_t *self, const char *division)
{
    for (size_t i = 0; i < self->n_children; i++)
        if (strcmp(self->children[i].division, division) == 0)
            return &self->children[i];
    return NULL;
}

/* What the children sent: read what is there (up to a batch), then take it. */
static void s_from_children(link_server_t *self)
{
    s_frames_t message;
    for (int n = 0; n < BATCH && s_read(self->down, true, &message); n++) {
        const char *origin = message.count > 1 ? zmq_msg_gets(&message.frames[1], "User-Id") : NULL;
        s_peer_t *child = origin ? s_child(self, origin) : NULL;
        if (!child) { /* a known key that is not a child's (the parent's, say) */
            kc_log_warn("link: frames from %s, which is not a child of this node, dropped",
                        origin ? origin : "?");
            s_release(&message);
            continue;
        }
        size_t size = zmq_msg_size(&message.frames[0]);
        if (size <= LINK_ROUTING_MAX) {
            memcpy(child->route.routing_id, zmq_msg_data(&message.frames[0]), size);
            child->route.routing_size = size;
        }
        s_handle(self, child, &message);
    }
    for (size_t i = 0; i < self->n_children; i++)
        s_take_batch(self, &self->children[i]);
}

static void s_from_parent(link_server_t *self)
{
    s_frames_t message;
    for (int n = 0; n < BATCH && s_read(self->up, false, &message); n++)
        s_handle(self, &self->parent, &message);
    s_take_batch(self, &self->parent);
}

/* Say hello upward, and send each peer that is there what the window allows. */
static void s_send(link_server_t *self)
{
    long long now = s_now_ms();
    if (self->up) {
        if (now - self->hi_sent_ms >= HI_MS) {
            link_send_hi(&self->parent.route);
            self->hi_sent_ms = now;
        }
        if (now - self->parent.heard_ms <= SILENT_MS)
            link_sender_pump(&self->parent.sender, self->db, &self->parent.route);
    }
    for (size_t i = 0; i < self->n_children; i++) {
        s_peer_t *child = &self->children[i];
        if (child->route.routing_size && now - child->heard_ms <= SILENT_MS)
            link_sender_pump(&child->sender, self->db, &child->route);
    }
}

int link_server_run(link_server_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        if (!(self->db = kc_db_keeper_get(&self->keeper, NULL))) {
            /* nothing can be stored or sent: the peers' messages wait in
             * their sockets, and what is not acknowledged is sent again */
            zmq_poll(NULL, 0, kc_db_keeper_wait_ms(&self->keeper, 100));
            continue;
        }
        s_send(self);
        /* the database wakes us when something is queued (NOTIFY kc_link);
         * the timeout keeps the hellos and the resends going */
        zmq_pollitem_t items[3] = {{NULL, PQsocket(self->db), ZMQ_POLLIN, 0}};
        int n = 1;
        if (self->down)
            items[n++] = (zmq_pollitem_t){self->down, 0, ZMQ_POLLIN, 0};
        if (self->up)
            items[n++] = (zmq_pollitem_t){self->up, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(items, n, 100) < 0 && zmq_errno() != EINTR)
            break;
        for (int i = 1; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            if (items[i].socket == self->down)
                s_from_children(self);
            else
                s_from_parent(self);
        }
        if (!kc_db_keeper_consume(&self->keeper))
            continue; /* lost: the outage is logged, the keeper connects again */
        bool queued = false;
        for (PGnotify *notify; (notify = PQnotifies(self->db)) != NULL; queued = true)
            PQfreemem(notify);
        if (queued) {
            link_sender_wake(&self->parent.sender);
            for (size_t i = 0; i < self->n_children; i++)
                link_sender_wake(&self->children[i].sender);
        }
    }
    kc_log_notice("stopped");
    return 0;
}
