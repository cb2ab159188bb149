/*  kc_client: Lazy Pirate request/reply over DEALER, with one envelope
 *  resent unchanged on every attempt so the daemon can recognise the retry.
 */
#include "kc/kc_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "kc/kc_clock.h"

struct kc_client_t {
    void *context;      /* owned: one context per client keeps it self-contained */
    void *socket;       /* DEALER, replaced after every timed-out attempt */
    char endpoint[256]; /* where the daemon listens */
    int timeout_ms;     /* per attempt */
    int attempts;       /* in all */
    int attempts_used;  /* by the last call */
};

static int s_open(kc_client_t *self, kc_error_t *error)
{
    self->socket = zmq_socket(self->context, ZMQ_DEALER);
    if (!self->socket)
        return kc_error_set(error, KC_ERR_INTERNAL, NULL, "cannot create a socket: %s",
                            zmq_strerror(zmq_errno()));
    int linger = 0;    /* an abandoned attempt must not hold the process on exit */
    int immediate = 1; /* queue nothing for a daemon that is not connected yet */
    kc_bus_configure(self->socket, 0);
    zmq_setsockopt(self->socket, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->socket, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
    if (zmq_connect(self->socket, self->endpoint)) {
        kc_error_set(error, KC_ERR_CONFIG, NULL, "cannot connect to '%s': %s", self->endpoint,
                     zmq_strerror(zmq_errno()));
        zmq_close(self->socket);
        self->socket = NULL;
        return -1;
    }
    return 0;
}

kc_client_t *kc_client_new(const char *endpoint, int timeout_ms, int attempts, kc_error_t *error)
{
    kc_client_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    if (strlen(endpoint) >= sizeof self->endpoint) {
        kc_error_set(error, KC_ERR_CONFIG, NULL, "endpoint '%.64s...' is too long", endpoint);
        free(self);
        return NULL;
    }
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;
    self->attempts = attempts > 0 ? attempts : 1;
    self->context = zmq_ctx_new();
    if (!self->context || s_open(self, error)) {
        kc_client_destroy(&self);
        return NULL;
    }
    return self;
}

void kc_client_destroy(kc_client_t **self)
{
    if (!self || !*self)
        return;
    if ((*self)->socket)
        zmq_close((*self)->socket);
    if ((*self)->context)
        zmq_ctx_term((*self)->context);
    free(*self);
    *self = NULL;
}

/* Wait until `deadline_us` for the reply to `request_id`; 1 if received,
 * 0 on timeout, -1 on a bus error. */
static int s_await(kc_client_t *self, const char *request_id, int64_t deadline_us,
                   kc_envelope_t **reply, kc_error_t *error)
{
    for (;;) {
        int64_t left_ms = (deadline_us - kc_clock_mono_us()) / 1000;
        if (left_ms <= 0)
            return 0;
        zmq_pollitem_t item = {self->socket, 0, ZMQ_POLLIN, 0};
        int ready = zmq_poll(&item, 1, (long)left_ms);
        if (ready < 0)
            return kc_error_set(error, KC_ERR_INTERNAL, NULL, "poll failed: %s",
                                zmq_strerror(zmq_errno()));
        if (ready == 0)
            continue;
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->socket, 0) < 0) {
            zmq_msg_close(&frame);
            continue;
        }
        kc_envelope_t *envelope = kc_bus_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), error);
        zmq_msg_close(&frame);
        if (!envelope)
            return -1;
        if (strcmp(envelope->correlation_id, request_id) == 0) {
            *reply = envelope;
            return 1;
        }
        kc_bus_free(&envelope); /* the late answer to an attempt we gave up on */
    }
}

int kc_client_call(kc_client_t *self, const kc_envelope_t *request, kc_envelope_t **reply,
                   kc_error_t *error)
{
    *reply = NULL;
    self->attempts_used = 0;
    for (int attempt = 1; attempt <= self->attempts; attempt++) {
        self->attempts_used = attempt;
        if (!self->socket && s_open(self, error))
            return -1;
        int64_t deadline = kc_clock_mono_us() + (int64_t)self->timeout_ms * 1000;
        /* With ZMQ_IMMEDIATE a send fails until the daemon is connected;
         * keep trying until the deadline rather than counting it as lost. */
        int sent = -1;
        while (sent < 0 && kc_clock_mono_us() < deadline) {
            sent = kc_bus_send(self->socket, NULL, 0, false, request, error);
            if (sent < 0) {
                zmq_pollitem_t item = {self->socket, 0, ZMQ_POLLOUT, 0};
                zmq_poll(&item, 1, 50);
            }
        }
        if (sent == 0) {
            int got = s_await(self, request->message_id, deadline, reply, error);
            if (got != 0)
                return got > 0 ? 0 : -1;
        }
        zmq_close(self->socket); /* Lazy Pirate: a fresh socket for the next try */
        self->socket = NULL;
    }
    kc_error_set(error, KC_ERR_NO_ANSWER, NULL, "no answer from '%s'", self->endpoint);
    kc_error_detail(error, "%d attempts of %d ms each, all with idempotency key '%s'",
                    self->attempts, self->timeout_ms, request->idempotency_key);
    kc_error_hint(error, "check that the daemon runs; sending again with the same key is safe");
    return -1;
}

int kc_client_attempts_used(const kc_client_t *self)
{
    return self->attempts_used;
}
