/*  requests: test-side request builders over real sockets. */
#include "requests.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

void requests_batch_init(requests_batch_t *batch, const char *provider)
{
    kc__v1__submit_reports__init(&batch->body);
    batch->body.provider = (char *)provider;
    batch->body.reports = batch->pointers;
    batch->body.n_reports = 0;
}

void requests_batch_add(requests_batch_t *batch, const char *county, int year,
                        const char *indicator, double value)
{
    size_t i = batch->body.n_reports++;
    cr_assert(i < REQUESTS_BATCH_MAX);
    Kc__V1__IndicatorReport *item = &batch->items[i];
    kc__v1__indicator_report__init(item);
    snprintf(batch->counties[i], sizeof batch->counties[i], "%s", county);
    snprintf(batch->indicators[i], sizeof batch->indicators[i], "%s", indicator);
    item->county_code = batch->counties[i];
    item->indicator_code = batch->indicators[i];
    item->year = year;
    item->value = value;
    batch->pointers[i] = item;
}

kc_envelope_t *requests_call(const harness_node_t *node, kc_envelope_t *request,
                             const char *organisation, const char *key)
{
    char id[KC_ID_SIZE];
    Kc__V1__Actor actor;
    harness_stamp(request, id, &actor, organisation, key);
    kc_client_t *client = harness_client(node, 10000, 1);
    kc_envelope_t *reply = NULL;
    kc_error_t error;
    int rc = kc_client_call(client, request, &reply, &error);
    kc_client_destroy(&client);
    cr_assert(rc == 0, "no answer: %s %s", error.message, error.detail);
    return reply;
}

kc_envelope_t *requests_send_batch(const harness_node_t *node, requests_batch_t *batch,
                                   const char *key)
{
    kc_envelope_t request = KC__V1__ENVELOPE__INIT;
    request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    request.submit_reports = &batch->body;
    return requests_call(node, &request, batch->body.provider, key);
}

bool requests_has_error(const kc_envelope_t *reply, const char *code, const char *field)
{
    if (reply->body_case != KC__V1__ENVELOPE__BODY_REJECTED)
        return false;
    for (size_t i = 0; i < reply->rejected->n_errors; i++)
        if (strcmp(reply->rejected->errors[i]->code, code) == 0 &&
            strcmp(reply->rejected->errors[i]->field, field) == 0)
            return true;
    return false;
}

void requests_dump(const kc_envelope_t *reply)
{
    if (reply->body_case != KC__V1__ENVELOPE__BODY_REJECTED)
        return;
    for (size_t i = 0; i < reply->rejected->n_errors; i++)
        fprintf(stderr, "  %s %s: %s (%s)\n", reply->rejected->errors[i]->code,
                reply->rejected->errors[i]->field, reply->rejected->errors[i]->message,
                reply->rejected->errors[i]->detail);
}

void *requests_dealer(void *context, const harness_node_t *node)
{
    void *socket = zmq_socket(context, ZMQ_DEALER);
    int linger = 0, timeout = 10000;
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    cr_assert_eq(zmq_connect(socket, node->endpoint), 0);
    return socket;
}

void requests_send_packed(void *socket, const kc_envelope_t *envelope)
{
    size_t size = kc__v1__envelope__get_packed_size(envelope);
    uint8_t *bytes = malloc(size + 1);
    kc__v1__envelope__pack(envelope, bytes);
    cr_assert_eq(zmq_send(socket, bytes, size, 0), (int)size);
    free(bytes);
}

void requests_send(void *socket, kc_envelope_t *request, const char *organisation, const char *key)
{
    char id[KC_ID_SIZE];
    Kc__V1__Actor actor;
    harness_stamp(request, id, &actor, organisation, key);
    requests_send_packed(socket, request);
}

kc_envelope_t *requests_receive(void *socket)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    cr_assert(zmq_msg_recv(&frame, socket, 0) >= 0, "no reply: %s", zmq_strerror(zmq_errno()));
    kc_error_t error;
    kc_envelope_t *reply = kc_bus_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), &error);
    zmq_msg_close(&frame);
    cr_assert(reply, "reply not decodable: %s", error.message);
    return reply;
}
