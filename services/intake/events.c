/*  events: the event codec and publisher. */
#include "intake/events.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static char *s_dup(const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy)
        abort();
    return copy;
}

Kc__V1__Event *events_build(int64_t seq, const char *type, int64_t occurred_at_ms, const char *node,
                            int64_t submission_id, const uint8_t *payload, size_t payload_size,
                            kc_error_t *error)
{
    Kc__V1__Event *event = malloc(sizeof *event);
    if (!event)
        abort();
    kc__v1__event__init(event);
    event->seq = seq;
    event->occurred_at_ms = occurred_at_ms;
    event->submission_id = submission_id;
    event->type = s_dup(type);
    event->node = s_dup(node);
    if (strcmp(type, "ReportsSubmitted") == 0) {
        event->reports_submitted = kc__v1__reports_submitted__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_REPORTS_SUBMITTED;
    } else if (strcmp(type, "ApplicationSubmitted") == 0) {
        event->application_submitted =
            kc__v1__application_submitted__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_APPLICATION_SUBMITTED;
    } else if (strcmp(type, "ObjectionSubmitted") == 0) {
        event->objection_submitted =
            kc__v1__objection_submitted__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_OBJECTION_SUBMITTED;
    } else if (strcmp(type, "ScoringResultsReady") == 0) {
        event->scoring_results_ready =
            kc__v1__scoring_results_ready__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_SCORING_RESULTS_READY;
    } else if (strcmp(type, "RewardsComputed") == 0) {
        event->rewards_computed = kc__v1__rewards_computed__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_REWARDS_COMPUTED;
    } else if (strcmp(type, "ApplicationMoved") == 0) {
        event->application_moved = kc__v1__application_moved__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_APPLICATION_MOVED;
    } else if (strcmp(type, "DeadlineReached") == 0) {
        event->deadline_reached = kc__v1__deadline_reached__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_DEADLINE_REACHED;
    } else if (strcmp(type, "ObjectionResolved") == 0) {
        event->objection_resolved = kc__v1__objection_resolved__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_OBJECTION_RESOLVED;
    } else if (strcmp(type, "PanelChanged") == 0) {
        event->panel_changed = kc__v1__panel_changed__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_PANEL_CHANGED;
    } else if (strcmp(type, "CountyClassPublished") == 0) {
        event->county_class_published =
            kc__v1__county_class_published__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_COUNTY_CLASS_PUBLISHED;
    } else if (strcmp(type, "RatingsSubmitted") == 0) {
        event->ratings_submitted = kc__v1__ratings_submitted__unpack(NULL, payload_size, payload);
        event->payload_case = KC__V1__EVENT__PAYLOAD_RATINGS_SUBMITTED;
    } else
        return event; /* a type of another daemon: passed on without a payload it can't read */
    /* All payload pointers share one union slot: any of them tells success. */
    if (!event->reports_submitted) {
        kc_error_set(error, KC_ERR_INTERNAL, NULL, "event %lld of type '%s' cannot be decoded",
                     (long long)seq, type);
        event->payload_case = KC__V1__EVENT__PAYLOAD__NOT_SET;
        events_destroy(&event);
        return NULL;
    }
    return event;
}

void events_destroy(Kc__V1__Event **event)
{
    if (event && *event) {
        kc__v1__event__free_unpacked(*event, NULL);
        *event = NULL;
    }
}

int events_publish(void *publisher, const Kc__V1__Event *event)
{
    size_t size = kc__v1__event__get_packed_size(event);
    zmq_msg_t frame;
    if (zmq_msg_init_size(&frame, size))
        return -1;
    kc__v1__event__pack(event, zmq_msg_data(&frame));
    if (zmq_send(publisher, event->type, strlen(event->type), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(&frame, publisher, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&frame);
        return -1; /* subscribers catch up from the log: a dropped publication loses nothing */
    }
    return 0;
}
