/*  kc_subscriber: PUB for speed, the event log for completeness.
 *
 *  Events that arrive over PUB ahead of the cursor are kept in a small
 *  window. When a gap shows (a later event came, the next did not) or PUB
 *  has been silent for a second, the subscriber reads the log from its
 *  cursor. Duplicates (an event both read from the log and published) are
 *  recognised by sequence number and dropped.
 */
#include "kc/kc_subscriber.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "kc/kc_bus.h"
#include "kc/kc_client.h"
#include "kc/kc_clock.h"

#define WINDOW           1024    /* events held ahead of the cursor */
#define IDLE_CATCH_UP_US 1000000 /* read the log at least this often when PUB is silent */

struct kc_subscriber_t {
    void *context;
    void *sub;                     /* SUB to the node's events */
    kc_client_t *client;           /* ListEvents for catching up */
    int64_t cursor;                /* last delivered sequence number */
    int ahead;                     /* events held in the window */
    int64_t caught_up_us;          /* when the log was last read */
    Kc__V1__Event *window[WINDOW]; /* window[seq % WINDOW] for cursor < seq <= cursor+WINDOW */
};

kc_subscriber_t *kc_subscriber_new(const char *intake_endpoint, const char *events_endpoint,
                                   int64_t after_seq, kc_error_t *error)
{
    kc_subscriber_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->cursor = after_seq;
    self->context = zmq_ctx_new();
    self->sub = zmq_socket(self->context, ZMQ_SUB);
    int linger = 0;
    if (!self->sub || kc_bus_configure(self->sub, 0) ||
        zmq_setsockopt(self->sub, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(self->sub, ZMQ_SUBSCRIBE, "", 0) ||
        zmq_connect(self->sub, events_endpoint)) {
        kc_error_set(error, KC_ERR_CONFIG, NULL, "cannot subscribe to '%s': %s", events_endpoint,
                     zmq_strerror(zmq_errno()));
        kc_subscriber_destroy(&self);
        return NULL;
    }
    /* One attempt: a subscriber is called again and again, and must give
     * back control within the time it was given. */
    self->client = kc_client_new(intake_endpoint, 2000, 1, error);
    if (!self->client) {
        kc_subscriber_destroy(&self);
        return NULL;
    }
    return self;
}

void kc_subscriber_destroy(kc_subscriber_t **self)
{
    if (!self || !*self)
        return;
    kc_subscriber_t *subscriber = *self;
    for (int i = 0; i < WINDOW; i++)
        if (subscriber->window[i])
            kc__v1__event__free_unpacked(subscriber->window[i], NULL);
    kc_client_destroy(&subscriber->client);
    if (subscriber->sub)
        zmq_close(subscriber->sub);
    if (subscriber->context)
        zmq_ctx_term(subscriber->context);
    free(subscriber);
    *self = NULL;
}

/* Keep an event if it is ahead of the cursor and fits the window. */
static void s_hold(kc_subscriber_t *self, Kc__V1__Event *event)
{
    if (event->seq <= self->cursor || event->seq > self->cursor + WINDOW ||
        self->window[event->seq % WINDOW]) {
        kc__v1__event__free_unpacked(event, NULL);
        return;
    }
    self->window[event->seq % WINDOW] = event;
    self->ahead++;
}

/* Take what PUB has delivered, waiting up to `timeout_ms` for the first. */
static void s_drain_pub(kc_subscriber_t *self, int timeout_ms)
{
    zmq_pollitem_t item = {self->sub, 0, ZMQ_POLLIN, 0};
    while (zmq_poll(&item, 1, timeout_ms) > 0) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        int more = 1;
        Kc__V1__Event *event = NULL;
        for (int part = 0; more; part++) {
            if (zmq_msg_recv(&frame, self->sub, 0) < 0)
                break;
            more = zmq_msg_more(&frame);
            if (part == 1 && !event)
                event = kc__v1__event__unpack(NULL, zmq_msg_size(&frame), zmq_msg_data(&frame));
        }
        zmq_msg_close(&frame);
        if (event)
            s_hold(self, event);
        timeout_ms = 0;
    }
}

/* Read the log after the cursor into the window. */
static int s_catch_up(kc_subscriber_t *self, kc_error_t *error)
{
    Kc__V1__ListEvents query = KC__V1__LIST_EVENTS__INIT;
    query.after_seq = self->cursor;
    query.limit = WINDOW / 2;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    request.body_case = KC__V1__ENVELOPE__BODY_LIST_EVENTS;
    request.list_events = &query;
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = "subscriber";
    actor.role = "system";
    actor.division_code = "000000";
    char id[KC_ID_SIZE];
    kc_bus_stamp(&request, id, "subscriber", &actor);
    if (kc_client_call(self->client, &request, &reply, error))
        return -1;
    if (reply->body_case != KC__V1__ENVELOPE__BODY_EVENT_PAGE) {
        if (reply->body_case == KC__V1__ENVELOPE__BODY_REJECTED)
            kc_bus_rejected_first(reply->rejected, error);
        else
            kc_error_set(error, KC_ERR_MALFORMED, NULL, "unexpected answer to ListEvents");
        kc_bus_free(&reply);
        return -1;
    }
    Kc__V1__EventPage *page = reply->event_page;
    for (size_t i = 0; i < page->n_events; i++) {
        s_hold(self, page->events[i]);
        page->events[i] = NULL;
    }
    page->n_events = 0; /* the window owns them now */
    kc_bus_free(&reply);
    return 0;
}

static Kc__V1__Event *s_take_next(kc_subscriber_t *self)
{
    Kc__V1__Event **slot = &self->window[(self->cursor + 1) % WINDOW];
    Kc__V1__Event *event = *slot;
    if (!event || event->seq != self->cursor + 1)
        return NULL;
    *slot = NULL;
    self->ahead--;
    self->cursor = event->seq;
    return event;
}

int kc_subscriber_next(kc_subscriber_t *self, int timeout_ms, Kc__V1__Event **event,
                       kc_error_t *error)
{
    int64_t deadline = kc_clock_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        s_drain_pub(self, 0);
        if ((*event = s_take_next(self)))
            return 1;
        /* The next event is not here. If a later one is, it was missed (a
         * publication dropped, or sent before we joined): read the log now.
         * If nothing came for a while, read it too, in case the very last
         * publication was the one missed. */
        int64_t now = kc_clock_mono_us();
        if (self->ahead > 0 || now - self->caught_up_us >= IDLE_CATCH_UP_US) {
            self->caught_up_us = now;
            if (s_catch_up(self, error))
                return -1;
            if ((*event = s_take_next(self)))
                return 1;
        }
        int64_t left_us = deadline - kc_clock_mono_us();
        if (left_us <= 0)
            return 0;
        int64_t until_catch_up_us = self->caught_up_us + IDLE_CATCH_UP_US - kc_clock_mono_us();
        int64_t wait_us = left_us < until_catch_up_us ? left_us : until_catch_up_us;
        s_drain_pub(self, (int)(wait_us > 0 ? (wait_us + 999) / 1000 : 0));
    }
}

int64_t kc_subscriber_cursor(const kc_subscriber_t *self)
{
    return self->cursor;
}
