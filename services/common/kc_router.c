/*  kc_router: reading one request off a ROUTER socket (see kc_router.h). */
#include "kc/kc_router.h"

#include <zmq.h>

#define FRAMES_MAX 4

int kc_router_bind(void **context, void **router, const char *endpoint, size_t max_message_bytes,
                   const char *field, kc_error_t *error)
{
    *context = zmq_ctx_new();
    *router = *context ? zmq_socket(*context, ZMQ_ROUTER) : NULL;
    if (!*router || kc_bus_configure(*router, max_message_bytes) || zmq_bind(*router, endpoint))
        return kc_error_set(error, KC_ERR_CONFIG, field, "cannot bind '%s': %s", endpoint,
                            zmq_strerror(zmq_errno()));
    return 0;
}

void kc_router_close(void **context, void **router)
{
    if (*router)
        zmq_close(*router);
    if (*context)
        zmq_ctx_term(*context);
    *router = *context = NULL;
}

void kc_router_serve_one(void *router, const char *node_id, kc_router_answer_fn answer,
                         void *context)
{
    zmq_msg_t frames[FRAMES_MAX];
    int count = 0, more = 1;
    while (more && count < FRAMES_MAX) {
        zmq_msg_init(&frames[count]);
        if (zmq_msg_recv(&frames[count], router, 0) < 0) {
            zmq_msg_close(&frames[count]);
            break;
        }
        more = zmq_msg_more(&frames[count]);
        count++;
    }
    int kept = count;
    while (more) { /* too many frames: drain and drop */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        zmq_msg_recv(&extra, router, 0);
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        count = FRAMES_MAX + 1;
    }
    bool delimited = count == 3 && zmq_msg_size(&frames[1]) == 0;
    kc_error_t error;
    kc_envelope_t *request = NULL;
    if (count == 2 || delimited) {
        zmq_msg_t *body = &frames[count - 1];
        request = kc_bus_decode(zmq_msg_data(body), zmq_msg_size(body), &error);
    } else {
        kc_error_set(&error, KC_ERR_MALFORMED, NULL, "a request is an identity and one body frame");
    }
    if (request)
        answer(context, zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0]), delimited, request);
    else if (kept >= 1)
        kc_bus_send_error(router, zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0]), delimited,
                          node_id, "", &error);
    kc_bus_free(&request);
    for (int i = 0; i < kept; i++)
        zmq_msg_close(&frames[i]);
}
