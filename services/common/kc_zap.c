/*  kc_zap: the ZAP handler and the keyring of a node's peers (see kc_zap.h). */
#include "kc/kc_zap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct kc_zap_t {
    void *socket; /* REP on inproc://zeromq.zap.01 */
    const kc_keyring_t *keyring;
    kc_zap_refused_fn refused;
    void *refused_context;
    pthread_t thread;
    atomic_bool stop;
};

int kc_curve_keypair(char public_key[KC_KEY_Z85], char secret_key[KC_KEY_Z85])
{
    return zmq_curve_keypair(public_key, secret_key) == 0 ? 0 : -1;
}

static bool s_digits(const char *text, size_t n)
{
    if (strlen(text) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return true;
}

int kc_keyring_load(kc_keyring_t *keyring, const char *path, kc_error_t *error)
{
    memset(keyring, 0, sizeof *keyring);
    FILE *file = fopen(path, "r");
    if (!file)
        return kc_error_set(error, KC_ERR_CONFIG, "federation.peers",
                            "cannot read the peers file '%s'", path);
    char line[512];
    int number = 0, rc = 0;
    size_t cap = 0;
    while (fgets(line, sizeof line, file)) {
        number++;
        line[strcspn(line, "\r\n")] = '\0';
        if (number == 1 || !*line || line[0] == '#')
            continue; /* the header, blank lines, comments */
        char *fields[4] = {NULL};
        char *save = NULL, *at = line;
        for (int i = 0; i < 4; i++, at = NULL)
            fields[i] = strtok_r(at, ",", &save);
        uint8_t binary[32];
        if (!fields[3] || strlen(fields[0]) != KC_KEY_Z85 - 1 ||
            !zmq_z85_decode(binary, fields[0]) || !s_digits(fields[1], 6) ||
            (strcmp(fields[2], "province") && strcmp(fields[2], "city") &&
             strcmp(fields[2], "county"))) {
            rc = kc_error_set(error, KC_ERR_CONFIG, "federation.peers",
                              "%s line %d: not 'public_key (40 characters of Z85),six-digit"
                              " division,province|city|county,name'",
                              path, number);
            break;
        }
        if (keyring->count == cap) {
            cap = cap ? cap * 2 : 8;
            keyring->peers = realloc(keyring->peers, cap * sizeof *keyring->peers);
            if (!keyring->peers)
                abort();
        }
        kc_peer_t *peer = &keyring->peers[keyring->count++];
        snprintf(peer->public_key, sizeof peer->public_key, "%s", fields[0]);
        snprintf(peer->division, sizeof peer->division, "%s", fields[1]);
        snprintf(peer->level, sizeof peer->level, "%s", fields[2]);
        snprintf(peer->name, sizeof peer->name, "%s", fields[3]);
    }
    fclose(file);
    if (rc)
        kc_keyring_release(keyring);
    return rc;
}

void kc_keyring_release(kc_keyring_t *keyring)
{
    free(keyring->peers);
    memset(keyring, 0, sizeof *keyring);
}

const kc_peer_t *kc_keyring_find(const kc_keyring_t *keyring, const char *public_key)
{
    for (size_t i = 0; i < keyring->count; i++)
        if (strcmp(keyring->peers[i].public_key, public_key) == 0)
            return &keyring->peers[i];
    return NULL;
}

/* One frame into `out` (NUL-terminated, cut to size); its length. */
static int s_frame(void *socket, char *out, size_t size, bool *more)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, socket, 0) < 0) {
        zmq_msg_close(&frame);
        return -1;
    }
    size_t n = zmq_msg_size(&frame);
    size_t copy = n < size - 1 ? n : size - 1;
    memcpy(out, zmq_msg_data(&frame), copy);
    out[copy] = '\0';
    *more = zmq_msg_more(&frame);
    zmq_msg_close(&frame);
    return (int)n;
}

static void s_answer(kc_zap_t *self)
{
    /* version, request id, domain, address, identity, mechanism, credentials */
    char frames[7][256];
    int sizes[7] = {0};
    bool more = true;
    int count = 0;
    while (more && count < 7) {
        sizes[count] = s_frame(self->socket, frames[count], sizeof frames[count], &more);
        if (sizes[count] < 0)
            return;
        count++;
    }
    while (more) { /* drain anything past what ZAP 1.0 sends */
        char ignored[16];
        if (s_frame(self->socket, ignored, sizeof ignored, &more) < 0)
            return;
    }
    const kc_peer_t *peer = NULL;
    char key[KC_KEY_Z85] = "";
    if (count == 7 && strcmp(frames[5], "CURVE") == 0 && sizes[6] == 32 &&
        zmq_z85_encode(key, (const uint8_t *)frames[6], 32))
        peer = kc_keyring_find(self->keyring, key);
    const char *status = peer ? "200" : "400";
    const char *text = peer ? "OK" : "unknown key";
    const char *user = peer ? peer->division : "";
    zmq_send(self->socket, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(self->socket, frames[1], count > 1 ? (size_t)sizes[1] : 0, ZMQ_SNDMORE);
    zmq_send(self->socket, status, 3, ZMQ_SNDMORE);
    zmq_send(self->socket, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(self->socket, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(self->socket, "", 0, 0);
    if (!peer && self->refused)
        self->refused(self->refused_context, count > 3 ? frames[3] : "", key);
}

static void *s_run(void *context)
{
    kc_zap_t *self = context;
    while (!atomic_load(&self->stop)) {
        zmq_pollitem_t item = {self->socket, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) > 0)
            s_answer(self);
    }
    return NULL;
}

kc_zap_t *kc_zap_start(void *zmq_context, const kc_keyring_t *keyring, kc_zap_refused_fn refused,
                       void *refused_context, kc_error_t *error)
{
    kc_zap_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->keyring = keyring;
    self->refused = refused;
    self->refused_context = refused_context;
    atomic_init(&self->stop, false);
    self->socket = zmq_socket(zmq_context, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt(self->socket, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(self->socket, "inproc://zeromq.zap.01") ||
        pthread_create(&self->thread, NULL, s_run, self)) {
        kc_error_set(error, KC_ERR_CONFIG, "federation", "cannot start the ZAP handler: %s",
                     zmq_strerror(zmq_errno()));
        zmq_close(self->socket);
        free(self);
        return NULL;
    }
    return self;
}

void kc_zap_stop(kc_zap_t **self_p)
{
    kc_zap_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    atomic_store(&self->stop, true);
    pthread_join(self->thread, NULL);
    zmq_close(self->socket);
    free(self);
    *self_p = NULL;
}
