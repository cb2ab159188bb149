/*  Writes racing each other inside kc-intake, where two groups can be in
 *  the database at once: a value set and set back, a retry overtaking its
 *  original, two applications for one base, and events that must still be
 *  published in sequence order.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"
#include "kc/kc_json.h"
#include "requests.h"

static harness_node_t s_node;
static void *s_context;

static void s_start(void)
{
    harness_node_start(&s_node);
    s_context = zmq_ctx_new();
}

static void s_stop(void)
{
    zmq_ctx_term(s_context);
    harness_node_stop(&s_node);
}

TestSuite(intake_concurrency, .init = s_start, .fini = s_stop, .timeout = 120);

static void s_send_value(void *socket, requests_batch_t *batch, double value, const char *key)
{
    batch->items[0].value = value;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    request.submit_reports = &batch->body;
    requests_send(socket, &request, "samr", key);
}

Test(intake_concurrency, a_value_set_and_set_back_at_once_ends_set_back)
{
    requests_batch_t *batch = malloc(sizeof *batch);
    requests_batch_init(batch, "samr");
    requests_batch_add(batch, "130131", 2023, "I12", 1.0);
    kc_envelope_t *first = requests_send_batch(&s_node, batch, "value-0");
    cr_assert_eq(first->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    void *socket = requests_dealer(s_context, &s_node);
    s_send_value(socket, batch, 2.0, "value-1"); /* a correction... */
    s_send_value(socket, batch, 1.0, "value-2"); /* ...undone at once */
    kc_envelope_t *a = requests_receive(socket);
    kc_envelope_t *b = requests_receive(socket);
    cr_assert_eq(a->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_assert_eq(b->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_eq(a->accepted->stored + b->accepted->stored, 2, "an undo was taken as unchanged");
    cr_expect_eq(harness_count(&s_node, "SELECT max(revision) FROM indicator_value"), 3);
    cr_expect_eq(harness_count(&s_node, "SELECT value::int FROM indicator_value_current"), 1);
    kc_bus_free(&first);
    kc_bus_free(&a);
    kc_bus_free(&b);
    zmq_close(socket);
    free(batch);
}

Test(intake_concurrency, a_retry_sent_while_its_original_is_in_flight_gets_the_first_answer)
{
    char counties[200][8];
    int county_count = harness_hebei_counties(&s_node, counties, 150);
    requests_batch_t *batch = malloc(sizeof *batch);
    requests_batch_init(batch, "stats");
    const char *indicators[] = {"I03", "I04", "I07", "I11", "I14"};
    for (int c = 0; c < county_count; c++)
        for (int i = 0; i < 5; i++)
            requests_batch_add(batch, counties[c], 2022, indicators[i], 10 + c % 50);
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    request.submit_reports = &batch->body;
    void *original = requests_dealer(s_context, &s_node);
    void *retry = requests_dealer(s_context, &s_node);
    requests_send(original, &request, "stats", "big-batch");
    requests_send(retry, &request, "stats", "big-batch");
    kc_envelope_t *a = requests_receive(original);
    kc_envelope_t *b = requests_receive(retry);
    requests_dump(a);
    requests_dump(b);
    cr_assert_eq(a->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_assert_eq(b->body_case, KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_eq(a->accepted->submission_id, b->accepted->submission_id);
    cr_expect_eq(a->accepted->replayed + b->accepted->replayed, 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM submission"), 1);
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM indicator_value"), county_count * 5);
    kc_bus_free(&a);
    kc_bus_free(&b);
    zmq_close(original);
    zmq_close(retry);
    free(batch);
}

Test(intake_concurrency, two_applications_for_one_base_at_once_file_one)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    Kc__V1__SubmitApplication *application = (Kc__V1__SubmitApplication *)kc_json_file_to_message(
        "tests/integration/fixtures/mountain_base.json", &kc__v1__submit_application__descriptor,
        &errors);
    cr_assert(application);
    kc_errors_release(&errors);
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION;
    request.submit_application = application;
    void *socket = requests_dealer(s_context, &s_node);
    requests_send(socket, &request, "applicant", "base-a");
    requests_send(socket, &request, "applicant", "base-b");
    kc_envelope_t *a = requests_receive(socket);
    kc_envelope_t *b = requests_receive(socket);
    int accepted = (a->body_case == KC__V1__ENVELOPE__BODY_ACCEPTED) +
                   (b->body_case == KC__V1__ENVELOPE__BODY_ACCEPTED);
    cr_expect_eq(accepted, 1);
    kc_envelope_t *refused = a->body_case == KC__V1__ENVELOPE__BODY_REJECTED ? a : b;
    cr_expect(requests_has_error(refused, "conflict.duplicate_application", "form.base_name"));
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM application"), 1);
    kc_bus_free(&a);
    kc_bus_free(&b);
    zmq_close(socket);
    protobuf_c_message_free_unpacked(&application->base, NULL);
}

Test(intake_concurrency, events_are_published_in_sequence_order_under_load)
{
    void *sub = zmq_socket(s_context, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    cr_assert_eq(zmq_connect(sub, s_node.events), 0);
    requests_batch_t *batch = malloc(sizeof *batch);
    requests_batch_init(batch, "samr");
    int first = 0, years = harness_evaluation_years(&s_node, &first);
    requests_batch_add(batch, "130131", first, "I12", 1.0);
    /* Warm up until the subscription is live. */
    bool heard = false;
    for (int i = 0; i < 40 && !heard; i++) {
        char key[32];
        snprintf(key, sizeof key, "warm-%d", i);
        batch->items[0].year = first + i % years;
        kc_envelope_t *reply = requests_send_batch(&s_node, batch, key);
        kc_bus_free(&reply);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        heard = zmq_poll(&item, 1, 200) > 0;
    }
    cr_assert(heard);
    /* A burst of big and small writes from several senders. */
    char counties[200][8];
    int county_count = harness_hebei_counties(&s_node, counties, 150);
    void *senders[4];
    for (int s = 0; s < 4; s++)
        senders[s] = requests_dealer(s_context, &s_node);
    int sent = 0;
    for (int round = 0; round < 50; round++)
        for (int s = 0; s < 4; s++) {
            requests_batch_init(batch, "samr");
            int values = s == 0 ? 100 : 1;
            for (int v = 0; v < values; v++)
                requests_batch_add(batch, counties[(round * 7 + s * 31 + v) % county_count],
                                   2018 + (round * 4 + s + v / county_count) % 6, "I12",
                                   round + s + v);
            char key[32];
            snprintf(key, sizeof key, "burst-%d-%d", round, s);
            kc_envelope_t request = KC__V1__ENVELOPE__INIT;
            request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
            request.submit_reports = &batch->body;
            requests_send(senders[s], &request, "samr", key);
            sent++;
        }
    for (int s = 0; s < 4; s++)
        for (int i = 0; i < 50; i++) {
            kc_envelope_t *reply = requests_receive(senders[s]);
            kc_bus_free(&reply);
        }
    int64_t previous = 0;
    int received = 0, out_of_order = 0;
    zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
    while (zmq_poll(&item, 1, 500) > 0) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        zmq_msg_recv(&frame, sub, 0); /* topic */
        zmq_msg_recv(&frame, sub, 0);
        Kc__V1__Event *event =
            kc__v1__event__unpack(NULL, zmq_msg_size(&frame), zmq_msg_data(&frame));
        zmq_msg_close(&frame);
        cr_assert(event);
        out_of_order += previous && event->seq <= previous;
        previous = event->seq;
        received++;
        kc__v1__event__free_unpacked(event, NULL);
    }
    cr_expect_eq(out_of_order, 0, "%d of %d events published out of order", out_of_order, received);
    cr_expect_geq(received, sent);
    for (int s = 0; s < 4; s++)
        zmq_close(senders[s]);
    zmq_close(sub);
    free(batch);
}
