/*  cmd_ping: whether a node's daemons answer, all asked at once.
 *
 *    kcctl ping [intake|scoring|workflow|notify|all ...]   (kc-intake when none is named)
 *
 *  Every daemon named gets a Ping on a DEALER socket of its own; the pings
 *  go out together and their answers are awaited together, so the command
 *  ends within one --timeout (1000 ms unless given) per --attempt (1
 *  unless given) however many daemons are down: a health check, a script
 *  waiting for a daemon to start and an operator all want an answer now,
 *  not the 5 s x 3 a write is given. Each answer is one line on standard
 *  output, each daemon that did not answer one line on standard error that
 *  names it and its endpoint, and then the exit status is 1.
 *
 *  --endpoint, with one daemon named (or none), is that daemon's endpoint.
 *  With none named, whoever answers there is fine (scripts ping each
 *  daemon's endpoint that way); with a name, the answer must come from
 *  that daemon.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "kc/kc_clock.h"
#include "kc/kc_id.h"
#include "kcctl/kcctl.h"

#define PING_TIMEOUT_MS  1000
#define PING_TARGETS_MAX 4

static const struct {
    const char *word;   /* as given on the command line */
    const char *daemon; /* as the daemon names itself in its Pong */
    size_t endpoint;    /* offset of its requests endpoint in kc_config_t */
} s_daemons[PING_TARGETS_MAX] = {
    {"intake", "kc-intake", offsetof(kc_config_t, intake_endpoint)},
    {"scoring", "kc-scoring", offsetof(kc_config_t, scoring_endpoint)},
    {"workflow", "kc-workflow", offsetof(kc_config_t, workflow_endpoint)},
    {"notify", "kc-notify", offsetof(kc_config_t, notify_endpoint)},
};

typedef struct {
    const char *daemon;   /* who should answer */
    const char *endpoint; /* where */
    bool named;           /* only `daemon` may answer (it was named) */
    void *socket;         /* DEALER; NULL once answered or closed */
    kc_envelope_t *reply; /* the answer, once it came */
    double answered_ms;   /* time from the first send to the answer */
    kc_error_t error;     /* why there is no usable answer */
} s_target_t;

static bool s_named_before(const s_target_t *targets, int count, const char *daemon)
{
    for (int i = 0; i < count; i++)
        if (strcmp(targets[i].daemon, daemon) == 0)
            return true;
    return false;
}

/* The daemons the words name, in the order given; -1 after saying why not. */
static int s_targets(kcctl_t *self, s_target_t *targets, int *count)
{
    *count = 0;
    int words = self->positional_count;
    for (int i = 0; i < (words ? words : 1); i++) {
        const char *word = words ? self->positional[i] : "intake";
        bool all = strcmp(word, "all") == 0, known = all;
        for (int d = 0; d < PING_TARGETS_MAX; d++) {
            if (!all && strcmp(word, s_daemons[d].word) != 0)
                continue;
            known = true;
            if (s_named_before(targets, *count, s_daemons[d].daemon))
                continue; /* a daemon named twice is asked once */
            s_target_t *target = &targets[(*count)++];
            memset(target, 0, sizeof *target);
            target->daemon = s_daemons[d].daemon;
            target->endpoint = (const char *)&self->config + s_daemons[d].endpoint;
            target->named = words > 0;
        }
        if (!known) {
            fprintf(stderr,
                    "usage: kcctl ping [intake|scoring|workflow|notify|all ...]: "
                    "no daemon '%s'\n",
                    word);
            return -1;
        }
    }
    if (self->endpoint_given) {
        if (*count != 1) {
            fprintf(stderr,
                    "kcctl ping: --endpoint names the endpoint of one daemon, "
                    "not of %d\n",
                    *count);
            return -1;
        }
        targets[0].endpoint = self->config.intake_endpoint; /* where --endpoint went */
    }
    return 0;
}

/* A DEALER to the target's daemon with the ping queued on it. Without
 * ZMQ_IMMEDIATE the ping waits in the socket until the connection is made,
 * so a daemon starting within the wait still answers it. */
static int s_send(void *context, s_target_t *target, const kc_envelope_t *request)
{
    target->socket = zmq_socket(context, ZMQ_DEALER);
    if (!target->socket)
        return kc_error_set(&target->error, KC_ERR_INTERNAL, NULL, "cannot create a socket: %s",
                            zmq_strerror(zmq_errno()));
    int linger = 0; /* an unanswered ping must not hold the process on exit */
    kc_bus_configure(target->socket, 0);
    zmq_setsockopt(target->socket, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(target->socket, target->endpoint))
        return kc_error_set(&target->error, KC_ERR_CONFIG, NULL, "cannot connect: %s",
                            zmq_strerror(zmq_errno()));
    return kc_bus_send(target->socket, NULL, 0, false, request, &target->error);
}

static void s_close(s_target_t *target)
{
    if (target->socket)
        zmq_close(target->socket);
    target->socket = NULL;
}

/* Take one frame from the target's socket: its answer closes it, a late
 * answer to another ping is dropped. */
static void s_receive(s_target_t *target, const char *request_id, int64_t start_us)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, target->socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&frame);
        return;
    }
    kc_envelope_t *envelope =
        kc_bus_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), &target->error);
    zmq_msg_close(&frame);
    if (envelope && strcmp(envelope->correlation_id, request_id) != 0) {
        kc_bus_free(&envelope);
        return;
    }
    target->reply = envelope; /* NULL: undecodable, the error says why */
    target->answered_ms = (double)(kc_clock_mono_us() - start_us) / 1000.0;
    s_close(target);
}

/* Wait until every open socket has its answer or `deadline_us` passes. */
static void s_await(s_target_t *targets, int count, const char *request_id, int64_t start_us,
                    int64_t deadline_us)
{
    for (;;) {
        zmq_pollitem_t items[PING_TARGETS_MAX];
        s_target_t *owners[PING_TARGETS_MAX];
        int open = 0;
        for (int i = 0; i < count; i++)
            if (targets[i].socket) {
                items[open] = (zmq_pollitem_t){targets[i].socket, 0, ZMQ_POLLIN, 0};
                owners[open++] = &targets[i];
            }
        int64_t left_ms = (deadline_us - kc_clock_mono_us()) / 1000;
        if (open == 0 || left_ms <= 0)
            return;
        if (zmq_poll(items, open, (long)left_ms) < 0)
            return; /* interrupted: what has not answered by now did not */
        for (int i = 0; i < open; i++)
            if (items[i].revents & ZMQ_POLLIN)
                s_receive(owners[i], request_id, start_us);
    }
}

/* One line for the target: its answer on stdout (0), or on stderr why
 * there is none or it is not the one asked for (-1). */
static int s_report(const s_target_t *target, int timeout_ms, int attempts)
{
    const kc_envelope_t *reply = target->reply;
    if (!reply && target->error.code == KC_ERR_NONE && attempts == 1) {
        fprintf(stderr, "error: %s at %s did not answer within %d ms [%s]\n", target->daemon,
                target->endpoint, timeout_ms, kc_error_code_name(KC_ERR_NO_ANSWER));
        return -1;
    }
    if (!reply && target->error.code == KC_ERR_NONE) {
        fprintf(stderr, "error: %s at %s did not answer in %d attempts of %d ms [%s]\n",
                target->daemon, target->endpoint, attempts, timeout_ms,
                kc_error_code_name(KC_ERR_NO_ANSWER));
        return -1;
    }
    if (!reply) {
        fprintf(stderr, "error: %s at %s: %s [%s]\n", target->daemon, target->endpoint,
                target->error.message, kc_error_code_name(target->error.code));
        return -1;
    }
    if (reply->body_case != KC__V1__ENVELOPE__BODY_PONG) {
        fprintf(stderr, "error: %s at %s answered '%s' where 'Pong' was expected [%s]\n",
                target->daemon, target->endpoint, kc_bus_body_name(reply->body_case),
                kc_error_code_name(KC_ERR_UNKNOWN_TYPE));
        return -1;
    }
    const Kc__V1__Pong *pong = reply->pong;
    const char *who = *pong->daemon ? pong->daemon : target->daemon;
    if (target->named && *pong->daemon && strcmp(pong->daemon, target->daemon) != 0) {
        fprintf(stderr, "error: %s answered at %s, the endpoint of %s [%s]\n", pong->daemon,
                target->endpoint, target->daemon, kc_error_code_name(KC_ERR_CONFIG));
        return -1;
    }
    printf("%s of node %s at %s answered in %.1f ms; last event %lld\n", who, pong->node,
           target->endpoint, target->answered_ms, (long long)pong->last_event_seq);
    return 0;
}

int kcctl_ping(kcctl_t *self)
{
    s_target_t targets[PING_TARGETS_MAX];
    int count = 0;
    if (s_targets(self, targets, &count))
        return -1;
    int timeout_ms = self->timeout_ms > 0 ? self->timeout_ms : PING_TIMEOUT_MS;
    int attempts = self->attempts > 0 ? self->attempts : 1;
    Kc__V1__Ping ping = KC__V1__PING__INIT;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_PING;
    request.ping = &ping;
    char id[KC_ID_SIZE];
    kc_bus_stamp(&request, id, self->config.node_id, &self->actor);
    void *context = zmq_ctx_new();
    int64_t start_us = kc_clock_mono_us();
    /* Lazy Pirate for each daemon that has not answered: a fresh socket and
     * the same ping again, all daemons in one wait per attempt */
    for (int attempt = 1; attempt <= attempts; attempt++) {
        bool waiting = false;
        for (int i = 0; i < count; i++) {
            s_target_t *target = &targets[i];
            if (target->reply || target->error.code != KC_ERR_NONE)
                continue;
            if (s_send(context, target, &request))
                s_close(target);
            else
                waiting = true;
        }
        if (!waiting)
            break;
        s_await(targets, count, id, start_us, kc_clock_mono_us() + (int64_t)timeout_ms * 1000);
        for (int i = 0; i < count; i++)
            s_close(&targets[i]);
    }
    zmq_ctx_term(context);
    int rc = 0;
    for (int i = 0; i < count; i++) {
        if (s_report(&targets[i], timeout_ms, attempts))
            rc = -1;
        kc_bus_free(&targets[i].reply);
    }
    return rc;
}
