/*  requests: building and sending kc.v1 requests in tests, with the
 *  storage for a batch kept in one struct so a test reads as the request
 *  it sends.
 */
#ifndef TESTS_REQUESTS_H
#define TESTS_REQUESTS_H

#include "harness.h"

#define REQUESTS_BATCH_MAX 4096

typedef struct {
    Kc__V1__SubmitReports body;
    Kc__V1__IndicatorReport items[REQUESTS_BATCH_MAX];
    Kc__V1__IndicatorReport *pointers[REQUESTS_BATCH_MAX];
    char counties[REQUESTS_BATCH_MAX][8];
    char indicators[REQUESTS_BATCH_MAX][8];
} requests_batch_t;

void requests_batch_init(requests_batch_t *batch, const char *provider);
void requests_batch_add(requests_batch_t *batch, const char *county, int year,
                        const char *indicator, double value);

/* Send `request` (stamped as organisation `organisation` with `key`) and
 * return the answer; the test fails if none comes within 10 s. */
kc_envelope_t *requests_call(const harness_node_t *node, kc_envelope_t *request,
                             const char *organisation, const char *key);

/* Send a batch and return the answer. */
kc_envelope_t *requests_send_batch(const harness_node_t *node, requests_batch_t *batch,
                                   const char *key);

/* True if a Rejected answer lists an error with `code` at `field`. */
bool requests_has_error(const kc_envelope_t *reply, const char *code, const char *field);

/* A raw DEALER on the node's requests endpoint (10 s receive timeout), for
 * tests that pipeline, send malformed frames or race requests. */
void *requests_dealer(void *context, const harness_node_t *node);

/* Pack and send an envelope as it is. */
void requests_send_packed(void *socket, const kc_envelope_t *envelope);

/* Stamp (organisation, key) and send without waiting. */
void requests_send(void *socket, kc_envelope_t *request, const char *organisation, const char *key);

/* Receive and decode one reply; the test fails if none comes in 10 s. */
kc_envelope_t *requests_receive(void *socket);

/* Print a Rejected answer's errors to stderr (for failing tests). */
void requests_dump(const kc_envelope_t *reply);

#endif
