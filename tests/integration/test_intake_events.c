/*  Events: appended with every accepted write, published over PUB, and
 *  never lost to a subscriber that was down — it catches up from the log.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"
#include "kc/kc_subscriber.h"
#include "requests.h"

static harness_node_t s_node;

static void s_start(void)
{
    setenv("KC_NODE_DIVISION", "130131", 1); /* the node's identity in its events */
    harness_node_start(&s_node);
    unsetenv("KC_NODE_DIVISION");
}

static void s_stop(void)
{
    harness_node_stop(&s_node);
}

TestSuite(intake_events, .init = s_start, .fini = s_stop, .timeout = 120);

static void s_submit(int index)
{
    requests_batch_t *batch = malloc(sizeof *batch);
    requests_batch_init(batch, "samr");
    int first = 0, years = harness_evaluation_years(&s_node, &first);
    requests_batch_add(batch, "130102", first + index % years, "I12", 1.0 + index);
    char key[32];
    snprintf(key, sizeof key, "event-%d", index);
    kc_envelope_t *reply = requests_send_batch(&s_node, batch, key);
    cr_assert_eq(reply->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    kc_bus_free(&reply);
    free(batch);
}

static Kc__V1__Event *s_next(kc_subscriber_t *subscriber)
{
    Kc__V1__Event *event = NULL;
    kc_error_t error;
    int got = kc_subscriber_next(subscriber, 5000, &event, &error);
    cr_assert_eq(got, 1, "no event after seq %lld: %s", (long long)kc_subscriber_cursor(subscriber),
                 got < 0 ? error.message : "timeout");
    return event;
}

Test(intake_events, a_subscriber_that_was_down_catches_up_in_order_then_follows_live)
{
    for (int i = 0; i < 3; i++)
        s_submit(i); /* nobody listens yet */
    kc_error_t error;
    kc_subscriber_t *subscriber = kc_subscriber_new(s_node.endpoint, s_node.events, 0, &error);
    cr_assert(subscriber, "%s", error.message);
    int first = 0, years = harness_evaluation_years(&s_node, &first);
    for (int i = 1; i <= 3; i++) {
        Kc__V1__Event *event = s_next(subscriber);
        cr_expect_eq(event->seq, i);
        cr_expect_str_eq(event->type, "ReportsSubmitted");
        cr_expect_str_eq(event->node, "130131", "an event names its node by division");
        cr_assert_eq(event->payload_case, KC__V1__EVENT__PAYLOAD_REPORTS_SUBMITTED);
        cr_expect_str_eq(event->reports_submitted->provider, "samr");
        cr_expect_eq(event->reports_submitted->years[0], first + (i - 1) % years);
        kc__v1__event__free_unpacked(event, NULL);
    }
    s_submit(3); /* live now */
    Kc__V1__Event *event = s_next(subscriber);
    cr_expect_eq(event->seq, 4);
    kc__v1__event__free_unpacked(event, NULL);

    /* Down again: two more events while away; resume from the cursor. */
    int64_t cursor = kc_subscriber_cursor(subscriber);
    kc_subscriber_destroy(&subscriber);
    s_submit(4);
    s_submit(5);
    subscriber = kc_subscriber_new(s_node.endpoint, s_node.events, cursor, &error);
    cr_assert(subscriber);
    for (int i = 5; i <= 6; i++) {
        event = s_next(subscriber);
        cr_expect_eq(event->seq, i);
        kc__v1__event__free_unpacked(event, NULL);
    }
    Kc__V1__Event *none = NULL;
    cr_expect_eq(kc_subscriber_next(subscriber, 300, &none, &error), 0, "an event twice");
    kc_subscriber_destroy(&subscriber);
}

Test(intake_events, events_published_live_match_the_log_byte_for_byte)
{
    kc_error_t error;
    kc_subscriber_t *subscriber = kc_subscriber_new(s_node.endpoint, s_node.events, 0, &error);
    cr_assert(subscriber);
    s_submit(0);
    Kc__V1__Event *live = s_next(subscriber);
    Kc__V1__ListEvents query = KC__V1__LIST_EVENTS__INIT;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_LIST_EVENTS;
    request.list_events = &query;
    kc_envelope_t *page = requests_call(&s_node, &request, "samr", "");
    cr_assert_eq(page->event_page->n_events, 1);
    const Kc__V1__Event *logged = page->event_page->events[0];
    size_t size = kc__v1__event__get_packed_size(live);
    cr_assert_eq(size, kc__v1__event__get_packed_size(logged));
    uint8_t *a = malloc(size), *b = malloc(size);
    kc__v1__event__pack(live, a);
    kc__v1__event__pack(logged, b);
    cr_expect_arr_eq(a, b, size);
    free(a);
    free(b);
    kc__v1__event__free_unpacked(live, NULL);
    kc_bus_free(&page);
    kc_subscriber_destroy(&subscriber);
}

Test(intake_events, each_accepted_write_is_published_on_the_events_socket)
{
    /* A raw SUB socket, so nothing but publication can deliver the event.
     * A SUB joins asynchronously: writes are sent until one is heard. */
    void *context = zmq_ctx_new();
    void *sub = zmq_socket(context, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "ReportsSubmitted", strlen("ReportsSubmitted"));
    cr_assert_eq(zmq_connect(sub, s_node.events), 0);
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    bool heard = false;
    for (int i = 0; i < 40 && !heard; i++) {
        s_submit(i);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        heard = zmq_poll(&item, 1, 250) > 0;
    }
    cr_assert(heard, "no event was published on %s", s_node.events);
    cr_assert_geq(zmq_msg_recv(&topic, sub, 0), 0);
    cr_assert(zmq_msg_more(&topic));
    cr_assert_geq(zmq_msg_recv(&body, sub, 0), 0);
    Kc__V1__Event *event = kc__v1__event__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
    cr_assert(event);
    cr_expect_eq(zmq_msg_size(&topic), strlen("ReportsSubmitted"));
    cr_expect_str_eq(event->type, "ReportsSubmitted");
    cr_expect_eq(event->payload_case, KC__V1__EVENT__PAYLOAD_REPORTS_SUBMITTED);
    char seq[24], submission[24];
    snprintf(seq, sizeof seq, "%lld", (long long)event->seq);
    snprintf(submission, sizeof submission, "%lld", (long long)event->submission_id);
    const char *values[] = {seq, submission};
    PGresult *logged = PQexecParams(s_node.db,
                                    "SELECT 1 FROM event WHERE seq = $1::bigint"
                                    " AND submission_id = $2::bigint",
                                    2, NULL, values, NULL, NULL, 0);
    cr_expect_eq(PQntuples(logged), 1, "the published event is not the logged one");
    PQclear(logged);
    kc__v1__event__free_unpacked(event, NULL);
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    zmq_close(sub);
    zmq_ctx_term(context);
}
