/*  intake_server: receive, validate, group, commit, answer, publish.
 *
 *  The loop never blocks on a client: it reads with ZMQ_DONTWAIT and sends
 *  with ZMQ_DONTWAIT, so a slow or vanished client costs it nothing. Bad
 *  frames are answered with a bus.* error when the sender can be told, or
 *  dropped with a log line when it cannot. Oversized frames never reach
 *  it: ZMQ_MAXMSGSIZE makes libzmq drop the connection, which the socket
 *  monitor reports in the log.
 */
#include "intake/intake_server.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "intake/events.h"
#include "intake/intake_internal.h"
#include "kc/kc_bus.h"
#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_log.h"

#define MONITOR_ENDPOINT "inproc://intake-monitor"

static int s_bind(intake_server_t *self, void **socket, int type, const char *endpoint,
                  kc_error_t *error)
{
    *socket = zmq_socket(self->context, type);
    if (!*socket || kc_bus_configure(*socket, self->config.max_message_bytes) ||
        zmq_bind(*socket, endpoint))
        return kc_error_set(error, KC_ERR_CONFIG, NULL, "cannot bind '%s': %s", endpoint,
                            zmq_strerror(zmq_errno()));
    return 0;
}

intake_server_t *intake_server_new(const kc_config_t *config, kc_error_t *error)
{
    intake_server_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->config = *config;
    for (int i = 0; i < LANES; i++) {
        self->lanes[i].group = calloc((size_t)config->group_max, sizeof *self->lanes[i].group);
        self->lanes[i].writes = calloc((size_t)config->group_max, sizeof *self->lanes[i].writes);
        touched_init(&self->lanes[i].touched);
        if (!self->lanes[i].group || !self->lanes[i].writes)
            abort();
    }
    self->context = zmq_ctx_new();
    if (!self->context)
        abort();
    int mandatory = 1; /* report unroutable answers instead of losing them silently */
    if (s_bind(self, &self->router, ZMQ_ROUTER, config->intake_endpoint, error) ||
        zmq_setsockopt(self->router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory) ||
        s_bind(self, &self->publisher, ZMQ_PUB, config->events_endpoint, error) ||
        zmq_socket_monitor(self->router, MONITOR_ENDPOINT, ZMQ_EVENT_DISCONNECTED)) {
        intake_server_destroy(&self);
        return NULL;
    }
    self->monitor = zmq_socket(self->context, ZMQ_PAIR);
    zmq_connect(self->monitor, MONITOR_ENDPOINT);
    return self;
}

void intake_server_destroy(intake_server_t **self)
{
    if (!self || !*self)
        return;
    intake_server_t *server = *self;
    void *sockets[] = {server->router, server->publisher, server->monitor};
    for (size_t i = 0; i < 3; i++)
        if (sockets[i])
            zmq_close(sockets[i]);
    if (server->context)
        zmq_ctx_term(server->context);
    for (int i = 0; i < LANES; i++) {
        kc_db_disconnect(&server->lanes[i].db);
        free(server->lanes[i].group);
        free(server->lanes[i].writes);
        touched_release(&server->lanes[i].touched);
    }
    for (size_t i = 0; i < server->held_count; i++)
        events_destroy(&server->held[i]);
    free(server->held);
    catalogue_destroy(&server->catalogue);
    free(server);
    *self = NULL;
}

/* Where publication resumes: after the last event in the log. */
static int s_learn_next_seq(intake_server_t *self, PGconn *db, kc_error_t *error)
{
    int64_t last = 0;
    if (store_last_event_seq(db, &last, error))
        return -1;
    if (last + 1 > self->next_seq)
        self->next_seq = last + 1;
    return 0;
}

/* Connect the lanes and load the catalogue if needed, trying again when
 * the outage's wait is over: a node whose database is down or not yet
 * migrated keeps answering "database.unavailable" until it is ready. The control
 * connection listens first and then reads the map, so no change can fall
 * between the two. A lane in flight is left alone: settling it tells. */
bool intake_database_ready(intake_server_t *self, bool asked)
{
    bool ready = self->catalogue != NULL;
    for (int i = 0; i < LANES; i++)
        ready = ready && self->lanes[i].db && !kc_db_is_lost(self->lanes[i].db);
    if (ready)
        return true;
    if (asked ? !kc_outage_request_may_try(&self->outage) : !kc_outage_try_due(&self->outage))
        return false;
    kc_error_t error;
    for (int i = 0; i < LANES; i++) {
        intake_lane_t *lane = &self->lanes[i];
        if (lane->in_flight || (lane->db && !kc_db_is_lost(lane->db)))
            continue;
        kc_db_disconnect(&lane->db);
        if (i == 0)
            catalogue_destroy(&self->catalogue); /* changes made meanwhile were not heard */
        lane->db = kc_db_connect(self->config.conninfo, "kc-intake", &error);
        if (!lane->db || store_prepare(lane->db, &error) ||
            (i == 0 && kc_db_exec(lane->db, "LISTEN kc_catalogue", &error)) ||
            (i == 0 && kc_db_exec(lane->db, "LISTEN kc_events", &error)) ||
            (i == 0 && kc_db_check_linked(lane->db, &self->config, &error)) ||
            (i == 0 && s_learn_next_seq(self, lane->db, &error))) {
            char why[KC_ERROR_MESSAGE_MAX + KC_ERROR_DETAIL_MAX + 4];
            snprintf(why, sizeof why, "%s (%s)", error.message, error.detail);
            kc_outage_failed(&self->outage, why);
            kc_db_disconnect(&lane->db);
            return false;
        }
    }
    if (!self->catalogue) {
        if (self->lanes[0].in_flight)
            return false;
        if (!(self->catalogue = catalogue_load(self->lanes[0].db, &error))) {
            kc_outage_failed(&self->outage, "the catalogue could not be read");
            kc_log_error("cannot load the catalogue (has `kcctl migrate` run?): %s (%s)",
                         error.message, error.detail);
            return false;
        }
        kc_log_notice("database connected: %d county-level divisions, %d catalogue entries",
                      catalogue_county_count(self->catalogue),
                      catalogue_indicator_count(self->catalogue));
    }
    for (int i = 0; i < LANES; i++)
        if (!self->lanes[i].db)
            return false;
    kc_outage_ended(&self->outage);
    return true;
}

static void s_reload(intake_server_t *self)
{
    kc_error_t error;
    if (!self->lanes[0].db || kc_db_is_lost(self->lanes[0].db)) {
        kc_log_warn("catalogue not reloaded: the database is not reachable; it is read again on "
                    "reconnection");
        return;
    }
    catalogue_t *fresh = catalogue_load(self->lanes[0].db, &error);
    if (!fresh) {
        kc_log_error("catalogue not reloaded, the previous one stays: %s (%s)", error.message,
                     error.detail);
        return;
    }
    catalogue_destroy(&self->catalogue);
    self->catalogue = fresh;
    kc_log_notice("catalogue reloaded: %d county-level divisions, %d catalogue entries",
                  catalogue_county_count(fresh), catalogue_indicator_count(fresh));
}

/* A lane's connection proved lost: drop it and begin the outage (logged
 * once, however many lanes find it). The first try comes at once: a
 * server that restarted quickly is back before any wait. */
static void s_lane_lost(intake_server_t *self, intake_lane_t *lane)
{
    char why[256];
    snprintf(why, sizeof why, "%s", PQerrorMessage(lane->db));
    why[strcspn(why, "\n")] = '\0';
    kc_db_disconnect(&lane->db);
    bool began = self->outage.since_us == 0;
    kc_outage_failed(&self->outage, *why ? why : "the connection was lost");
    if (!began)
        return;
    /* the other idle lanes went with the same server, though their sockets
     * may not have said so yet: they are connected again with this one,
     * never found lost one by one after it came back */
    for (int i = 0; i < LANES; i++)
        if (self->lanes[i].db && !self->lanes[i].in_flight) {
            if (i == 0)
                catalogue_destroy(&self->catalogue); /* read again on reconnection */
            kc_db_disconnect(&self->lanes[i].db);
        }
    kc_outage_try_now(&self->outage);
}

/* An idle lane's socket woke: the server ended the connection (a restart),
 * which is found here rather than by the next write. */
static void s_check_idle_lane(intake_server_t *self, intake_lane_t *lane)
{
    if (lane->db && !lane->in_flight && (!PQconsumeInput(lane->db) || kc_db_is_lost(lane->db)))
        s_lane_lost(self, lane);
}

/* True when the database announced a change of the map or the catalogue
 * (NOTIFY kc_catalogue, sent by division_change and by migrations); notes
 * NOTIFY kc_events (events appended by the node's other writers). */
static bool s_catalogue_changed(intake_server_t *self)
{
    bool changed = false;
    if (!self->lanes[0].db || self->lanes[0].in_flight)
        return false;
    if (!PQconsumeInput(self->lanes[0].db)) {
        /* The connection is gone: drop it, or its socket would keep the
         * poll awake; the loop reconnects, listens and reloads. */
        s_lane_lost(self, &self->lanes[0]);
        return false;
    }
    PGnotify *notice;
    while ((notice = PQnotifies(self->lanes[0].db))) {
        if (strcmp(notice->relname, "kc_events") == 0)
            self->others_wrote = true;
        else
            changed = true;
        PQfreemem(notice);
    }
    return changed;
}

/* Publish the events kc-scoring and kcctl appended to the node's log, so
 * subscribers hear them at once rather than at their next catch-up. Done
 * when no group of ours is in flight: every event up to the head is then
 * committed and ours are published, so whatever follows the last one we
 * sent is theirs, and goes out in sequence order. */
static void s_publish_others(intake_server_t *self)
{
    if (!self->others_wrote || !self->lanes[0].db || self->next_seq <= 0)
        return;
    for (int i = 0; i < LANES; i++)
        if (self->lanes[i].in_flight)
            return;
    self->others_wrote = false;
    for (int pages = 0; pages < 100; pages++) {
        Kc__V1__EventPage *page = NULL;
        kc_error_t error;
        if (store_list_events(self->lanes[0].db, self->next_seq - 1, 0, &page, &error)) {
            kc_log_warn("events of other writers not published: %s", error.message);
            return; /* subscribers read them from the log */
        }
        size_t count = page->n_events;
        for (size_t i = 0; i < count; i++) {
            if (events_publish(self->publisher, page->events[i]))
                kc_log_warn("event %lld not published; subscribers will read it from the log",
                            (long long)page->events[i]->seq);
            self->next_seq = page->events[i]->seq + 1;
        }
        protobuf_c_message_free_unpacked((ProtobufCMessage *)page, NULL);
        if (count == 0)
            return;
    }
}

void intake_reply(intake_server_t *self, const intake_pending_t *pending, kc_envelope_t *reply)
{
    char id[KC_ID_SIZE];
    kc_bus_stamp(reply, id, self->config.node_id, NULL);
    reply->correlation_id = pending->request ? pending->request->message_id : "";
    kc_error_t error;
    if (kc_bus_send(self->router, pending->identity, pending->identity_size, pending->delimited,
                    reply, &error)) {
        /* A flood from a peer that never reads would write a line per
         * answer: count them and say so at most once a second. */
        self->undelivered++;
        int64_t now = kc_clock_mono_us();
        if (now - self->undelivered_logged_us >= 1000000) {
            kc_log_warn("%ld answer%s not delivered (peer gone or not reading): %s",
                        self->undelivered, self->undelivered == 1 ? "" : "s", error.message);
            self->undelivered = 0;
            self->undelivered_logged_us = now;
        }
    }
}

void intake_reply_errors(intake_server_t *self, const intake_pending_t *pending,
                         const kc_errors_t *errors)
{
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    reply.body_case = KC__V1__ENVELOPE__BODY_REJECTED;
    reply.rejected = kc_bus_rejected_new(errors);
    intake_reply(self, pending, &reply);
    kc_bus_rejected_destroy(&reply.rejected);
}

void intake_reply_error(intake_server_t *self, const intake_pending_t *pending,
                        const kc_error_t *error)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    kc_errors_push(&errors, error);
    intake_reply_errors(self, pending, &errors);
    kc_errors_release(&errors);
}

void intake_reply_accepted(intake_server_t *self, const intake_pending_t *pending,
                           Kc__V1__Accepted *accepted)
{
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    reply.body_case = KC__V1__ENVELOPE__BODY_ACCEPTED;
    reply.accepted = accepted;
    intake_reply(self, pending, &reply);
}

/* Keep a committed write's event until it can be published in order. */
static void s_hold(intake_server_t *self, const store_write_t *write)
{
    kc_error_t error;
    Kc__V1__Event *event =
        events_build(write->accepted.event_seq, write->event_type, write->accepted.committed_at_ms,
                     kc_config_division(&self->config), write->accepted.submission_id,
                     write->event_payload, write->event_size, &error);
    if (!event)
        return;
    if (self->held_count == self->held_capacity) {
        size_t capacity = self->held_capacity ? 2 * self->held_capacity : 256;
        Kc__V1__Event **held = realloc(self->held, capacity * sizeof *held);
        if (!held)
            abort();
        self->held = held;
        self->held_capacity = capacity;
    }
    self->held[self->held_count++] = event;
}

static int s_compare_events(const void *left, const void *right)
{
    int64_t a = (*(Kc__V1__Event *const *)left)->seq, b = (*(Kc__V1__Event *const *)right)->seq;
    return (a > b) - (a < b);
}

/* Publish the held events in sequence order. Groups on two lanes commit
 * in either order, so an event waits while the one before it may still
 * be in flight; once nothing is in flight, every committed event is here
 * and all go out (a gap left by a lost outcome is the log's to fill). */
static void s_release_events(intake_server_t *self)
{
    if (self->held_count == 0)
        return;
    bool idle = true;
    for (int i = 0; i < LANES; i++)
        idle = idle && !self->lanes[i].in_flight;
    qsort(self->held, self->held_count, sizeof *self->held, s_compare_events);
    size_t released = 0;
    for (; released < self->held_count; released++) {
        Kc__V1__Event *event = self->held[released];
        if (!idle && self->next_seq && event->seq > self->next_seq)
            break;
        if (events_publish(self->publisher, event))
            kc_log_warn("event %lld not published; subscribers will read it from the log",
                        (long long)event->seq);
        if (event->seq >= self->next_seq)
            self->next_seq = event->seq + 1;
        events_destroy(&event);
    }
    memmove(self->held, self->held + released, (self->held_count - released) * sizeof *self->held);
    self->held_count -= released;
}

/* Answer every write of a lane whose outcome is known (rc: the group's),
 * publish the new events, and empty the lane. */
static void s_answer_lane(intake_server_t *self, intake_lane_t *lane, int rc,
                          const kc_error_t *error)
{
    for (size_t i = 0; i < lane->count; i++) {
        const intake_pending_t *pending = &lane->group[i];
        store_write_t *write = &lane->writes[i];
        if (rc)
            intake_reply_error(self, pending, error);
        else if (write->outcome)
            intake_reply_error(self, pending, &write->error);
        else {
            intake_reply_accepted(self, pending, &write->accepted);
            if (!write->replayed)
                s_hold(self, write);
        }
        store_write_release(write);
        kc_bus_free(&lane->group[i].request);
    }
    if (rc)
        kc_log_error("commit of %zu writes failed: %s %s", lane->count, error->message,
                     error->detail);
    lane->count = 0;
    touched_clear(&lane->touched);
    s_release_events(self);
}

/* Read the outcome of a lane's group and answer it. Only a fault of the
 * data one write carried (a constraint, two writes of the group revising
 * one value) is worth retrying write by write; a timeout or a lock would
 * only be met again, 256 times. */
static void s_settle(intake_server_t *self, intake_lane_t *lane)
{
    if (!lane->in_flight)
        return;
    lane->in_flight = false;
    kc_error_t error;
    int rc = store_group_finish(lane->db, lane->writes, lane->count, &error);
    if (rc && error.code == KC_ERR_DATABASE && lane->count > 1 &&
        store_connection_usable(lane->db)) {
        kc_log_warn("group of %zu failed (%s); committing its writes one by one", lane->count,
                    error.detail);
        for (size_t i = 0; i < lane->count; i++)
            if (store_commit_group(lane->db, &lane->writes[i], 1, &lane->writes[i].error))
                lane->writes[i].outcome = -1;
        rc = 0;
    }
    if (!store_connection_usable(lane->db))
        s_lane_lost(self, lane); /* the loop connects again */
    s_answer_lane(self, lane, rc, &error);
}

/* Settle the lanes in flight, oldest first, up to and including `last`
 * (or all of them when `last` is NULL). */
static void s_settle_through(intake_server_t *self, const intake_lane_t *last)
{
    for (int k = 1; k < LANES; k++) {
        intake_lane_t *lane = &self->lanes[(self->lane + k) % LANES];
        s_settle(self, lane);
        if (lane == last)
            return;
    }
}

/* Send the gathering lane's group to the database and move to the next
 * lane, settling it first if its group is still out. */
static void s_flush(intake_server_t *self)
{
    intake_lane_t *lane = &self->lanes[self->lane];
    if (lane->count == 0)
        return;
    kc_error_t error;
    if (!intake_database_ready(self, true) || !lane->db) {
        kc_error_set(&error, KC_ERR_DB_UNAVAILABLE, NULL, "the database is not reachable");
        kc_error_hint(&error, "nothing was stored; send again with the same idempotency key");
        s_answer_lane(self, lane, -1, &error);
        return;
    }
    if (store_group_send(lane->db, lane->writes, lane->count, &error)) {
        if (!store_connection_usable(lane->db))
            s_lane_lost(self, lane);
        s_answer_lane(self, lane, -1, &error);
        return;
    }
    lane->in_flight = true;
    self->lane = (self->lane + 1) % LANES;
    s_settle(self, &self->lanes[self->lane]);
}

/* Everything received so far committed and answered: before a query, and
 * before the control connection is used synchronously. */
void intake_quiesce(intake_server_t *self)
{
    s_flush(self);
    s_settle_through(self, NULL);
}

/* Count a refused request and log the count at most once a second, so a
 * flood of garbage costs one log line a second, not one per frame. */
static void s_note_refusal(intake_server_t *self, const kc_error_t *error)
{
    self->refused++;
    int64_t now = kc_clock_mono_us();
    if (now - self->refused_logged_us < 1000000)
        return;
    kc_log_warn("%ld request%s refused at the door, the last: %s [%s]", self->refused,
                self->refused == 1 ? "" : "s", error->message, kc_error_code_name(error->code));
    self->refused = 0;
    self->refused_logged_us = now;
}

/* Take one multipart message off the router without blocking.
 * Returns 0 if one was handled, -1 if none was waiting. */
static int s_receive(intake_server_t *self)
{
    intake_pending_t pending = {0};
    zmq_msg_t frames[3];
    int count = 0, more = 1, sent_frames = 0;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        /* The first frame may be absent; the rest of a multipart message
         * is always there once its first frame is. */
        if (zmq_msg_recv(&frame, self->router, sent_frames ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            for (int i = 0; i < count; i++)
                zmq_msg_close(&frames[i]);
            return sent_frames ? 0 : -1;
        }
        sent_frames++;
        more = zmq_msg_more(&frame);
        if (count < 3) {
            zmq_msg_init(&frames[count]);
            zmq_msg_move(&frames[count++], &frame);
        }
        zmq_msg_close(&frame);
    }
    size_t identity_size = zmq_msg_size(&frames[0]);
    pending.identity_size = identity_size < sizeof pending.identity ? identity_size : 0;
    memcpy(pending.identity, zmq_msg_data(&frames[0]), pending.identity_size);
    pending.delimited = count == 3 && zmq_msg_size(&frames[1]) == 0;
    kc_error_t error;
    /* The identity frame is the router's own; the sender sent the rest. */
    if (sent_frames > 3 || count < 2 || (count == 3 && !pending.delimited)) {
        kc_error_set(&error, KC_ERR_MALFORMED, NULL, "message has %d frames", sent_frames - 1);
        kc_error_hint(&error, "send one frame holding a kc.v1.Envelope");
        s_note_refusal(self, &error);
        intake_reply_error(self, &pending, &error);
    } else {
        zmq_msg_t *body = &frames[count - 1];
        pending.request = kc_bus_decode(zmq_msg_data(body), zmq_msg_size(body), &error);
        if (!pending.request) {
            s_note_refusal(self, &error);
            intake_reply_error(self, &pending, &error);
        } else {
            intake_dispatch(self, &pending);
        }
    }
    kc_bus_free(&pending.request);
    for (int i = 0; i < count; i++)
        zmq_msg_close(&frames[i]);
    return 0;
}

static void s_read_monitor(intake_server_t *self)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    while (zmq_msg_recv(&frame, self->monitor, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more(&frame)) /* the second frame names the peer's endpoint */
            kc_log_info("a client disconnected from %.*s (a frame over max_message_bytes "
                        "also closes its connection)",
                        (int)zmq_msg_size(&frame), (const char *)zmq_msg_data(&frame));
    }
    zmq_msg_close(&frame);
}

int intake_server_run(intake_server_t *self, volatile sig_atomic_t *stop,
                      volatile sig_atomic_t *reload)
{
    char description[512];
    kc_config_describe(&self->config, description, sizeof description);
    kc_log_notice("kc-intake serving: %s", description);
    kc_outage_init(&self->outage, "kc-intake");
    intake_database_ready(self, false);
    while (!*stop) {
        if (*reload) {
            *reload = 0;
            intake_quiesce(self); /* the reload reads through the control connection */
            s_reload(self);
        }
        /* Requests, connection events, and each lane's connection: a lane
         * in flight becomes readable when its outcome arrives; the idle
         * control connection when a NOTIFY does. */
        zmq_pollitem_t items[2 + LANES] = {{self->router, 0, ZMQ_POLLIN, 0},
                                           {self->monitor, 0, ZMQ_POLLIN, 0}};
        int count = 2;
        intake_lane_t *polled[LANES];
        for (int i = 0; i < LANES; i++) {
            intake_lane_t *lane = &self->lanes[i];
            /* idle lanes too: their sockets wake only when the server
             * ends the connection, which is then found at once */
            if (lane->db) {
                polled[count - 2] = lane;
                items[count++] = (zmq_pollitem_t){NULL, PQsocket(lane->db), ZMQ_POLLIN, 0};
            }
        }
        /* during an outage the loop wakes for its next try by itself */
        long wait = self->outage.since_us ? kc_outage_wait_ms(&self->outage) : 1000;
        if (zmq_poll(items, count, wait > 1000 ? 1000 : wait) < 0)
            continue; /* EINTR: a signal; the loop re-reads the flags */
        for (int i = 2; i < count; i++)
            if ((items[i].revents & ZMQ_POLLIN) && polled[i - 2]->in_flight)
                s_settle_through(self, polled[i - 2]);
            else if ((items[i].revents & ZMQ_POLLIN) && polled[i - 2] != &self->lanes[0])
                s_check_idle_lane(self, polled[i - 2]);
        if (self->outage.since_us)
            intake_database_ready(self, false);
        if (s_catalogue_changed(self))
            s_reload(self);
        s_publish_others(self);
        if (items[1].revents & ZMQ_POLLIN)
            s_read_monitor(self);
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        /* Gather what is waiting, up to one group, then send it. The
         * gathering also ends after a bounded number of messages, so a flood
         * of requests that never fill a group (refusals, dry runs) cannot
         * hold back the writes already taken, nor a stop. */
        int budget = 4 * self->config.group_max;
        while (self->lanes[self->lane].count < (size_t)self->config.group_max && budget-- > 0 &&
               !*stop && s_receive(self) == 0)
            ;
        s_flush(self);
    }
    intake_quiesce(self);
    kc_log_notice("kc-intake stopped");
    return 0;
}
