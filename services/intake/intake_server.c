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

#include "intake/catalogue.h"
#include "intake/events.h"
#include "intake/store.h"
#include "intake/validate.h"
#include "kc/kc_bus.h"
#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_log.h"

#define MONITOR_ENDPOINT "inproc://intake-monitor"

/* Group commits travel on lanes, each a database connection with the group
 * it carries: while one lane's group is in the database, the next gathers
 * on the other, so two backends work at once and a commit's wait for the
 * disk overlaps the next group's work. Lane 0 also listens for catalogue
 * changes and serves what must be synchronous (queries, reference numbers,
 * lookups). Lanes are sent in turn and settled oldest first, so answers and
 * events go out in commit order. */
#define LANES 2

/* One request taken off the ROUTER, with where its answer goes. */
typedef struct {
    char identity[KC_BUS_IDENTITY_MAX];
    size_t identity_size;
    bool delimited;         /* a REQ peer: its reply needs the empty frame */
    kc_envelope_t *request; /* decoded; owned */
} s_pending_t;

typedef struct {
    PGconn *db;            /* NULL while the database is unreachable */
    s_pending_t *group;    /* writes of this lane's group... */
    store_write_t *writes; /* ...and what the store makes of them, index for index */
    size_t count;          /* writes in the group */
    bool in_flight;        /* sent to the database, outcome not read yet */
} s_lane_t;

struct intake_server_t {
    kc_config_t config;
    void *context;
    void *router;                  /* requests in, answers out */
    void *publisher;               /* events out */
    void *monitor;                 /* connection events of the router */
    s_lane_t lanes[LANES];         /* lanes[0].db is also the control connection */
    int lane;                      /* the lane gathering writes */
    catalogue_t *catalogue;        /* NULL until the database was first reached */
    int64_t next_connect_us;       /* earliest time of the next connection attempt */
    long refused;                  /* requests refused at the door, not yet logged */
    int64_t refused_logged_us;     /* when they were last logged */
    long undelivered;              /* answers lost to gone or full peers, not yet logged */
    int64_t undelivered_logged_us; /* when they were last logged */
};

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
    }
    catalogue_destroy(&server->catalogue);
    free(server);
    *self = NULL;
}

/* Connect the lanes and load the catalogue if needed, trying at most once
 * a second: a node whose database is down or not yet migrated keeps
 * answering "database.unavailable" until it is ready. The control
 * connection listens first and then reads the map, so no change can fall
 * between the two. A lane in flight is left alone: settling it tells. */
static bool s_database_ready(intake_server_t *self)
{
    bool ready = self->catalogue != NULL;
    for (int i = 0; i < LANES; i++)
        ready = ready && self->lanes[i].db && !kc_db_is_lost(self->lanes[i].db);
    if (ready)
        return true;
    int64_t now = kc_clock_mono_us();
    if (now < self->next_connect_us)
        return false;
    self->next_connect_us = now + 1000000;
    kc_error_t error;
    for (int i = 0; i < LANES; i++) {
        s_lane_t *lane = &self->lanes[i];
        if (lane->in_flight || (lane->db && !kc_db_is_lost(lane->db)))
            continue;
        kc_db_disconnect(&lane->db);
        if (i == 0)
            catalogue_destroy(&self->catalogue); /* changes made meanwhile were not heard */
        lane->db = kc_db_connect(self->config.conninfo, "kc-intake", &error);
        if (!lane->db || store_prepare(lane->db, &error) ||
            (i == 0 && kc_db_exec(lane->db, "LISTEN kc_catalogue", &error))) {
            kc_log_error("database unavailable: %s (%s)", error.message, error.detail);
            kc_db_disconnect(&lane->db);
            return false;
        }
    }
    if (!self->catalogue) {
        if (self->lanes[0].in_flight)
            return false;
        if (!(self->catalogue = catalogue_load(self->lanes[0].db, &error))) {
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

/* True when the database announced a change of the map or the catalogue
 * (NOTIFY kc_catalogue, sent by division_change and by migrations). */
static bool s_catalogue_changed(intake_server_t *self)
{
    bool changed = false;
    if (!self->lanes[0].db || self->lanes[0].in_flight)
        return false;
    if (!PQconsumeInput(self->lanes[0].db)) {
        /* The connection is gone: drop it, or its socket would keep the
         * poll awake; the next write reconnects, listens and reloads. */
        kc_log_warn("database connection lost: %s", PQerrorMessage(self->lanes[0].db));
        kc_db_disconnect(&self->lanes[0].db);
        return false;
    }
    PGnotify *notice;
    while ((notice = PQnotifies(self->lanes[0].db))) {
        changed = true;
        PQfreemem(notice);
    }
    return changed;
}

static void s_reply(intake_server_t *self, const s_pending_t *pending, kc_envelope_t *reply)
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

static void s_reply_errors(intake_server_t *self, const s_pending_t *pending,
                           const kc_errors_t *errors)
{
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    reply.body_case = KC__V1__ENVELOPE__BODY_REJECTED;
    reply.rejected = kc_bus_rejected_new(errors);
    s_reply(self, pending, &reply);
    kc_bus_rejected_destroy(&reply.rejected);
}

static void s_reply_error(intake_server_t *self, const s_pending_t *pending,
                          const kc_error_t *error)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    kc_errors_push(&errors, error);
    s_reply_errors(self, pending, &errors);
    kc_errors_release(&errors);
}

static void s_reply_accepted(intake_server_t *self, const s_pending_t *pending,
                             Kc__V1__Accepted *accepted)
{
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    reply.body_case = KC__V1__ENVELOPE__BODY_ACCEPTED;
    reply.accepted = accepted;
    s_reply(self, pending, &reply);
}

static void s_publish(intake_server_t *self, const store_write_t *write)
{
    kc_error_t error;
    Kc__V1__Event *event =
        events_build(write->accepted.event_seq, write->event_type, write->accepted.committed_at_ms,
                     self->config.node_id, write->accepted.submission_id, write->event_payload,
                     write->event_size, &error);
    if (event && events_publish(self->publisher, event))
        kc_log_warn("event %lld not published; subscribers will read it from the log",
                    (long long)event->seq);
    events_destroy(&event);
}

/* Answer every write of a lane whose outcome is known (rc: the group's),
 * publish the new events, and empty the lane. */
static void s_answer_lane(intake_server_t *self, s_lane_t *lane, int rc, const kc_error_t *error)
{
    for (size_t i = 0; i < lane->count; i++) {
        const s_pending_t *pending = &lane->group[i];
        store_write_t *write = &lane->writes[i];
        if (rc)
            s_reply_error(self, pending, error);
        else if (write->outcome)
            s_reply_error(self, pending, &write->error);
        else {
            s_reply_accepted(self, pending, &write->accepted);
            if (!write->replayed)
                s_publish(self, write);
        }
        store_write_release(write);
        kc_bus_free(&lane->group[i].request);
    }
    if (rc)
        kc_log_error("commit of %zu writes failed: %s %s", lane->count, error->message,
                     error->detail);
    lane->count = 0;
}

/* Read the outcome of a lane's group and answer it. Only a fault of the
 * data one write carried (a constraint, two writes of the group revising
 * one value) is worth retrying write by write; a timeout or a lock would
 * only be met again, 256 times. */
static void s_settle(intake_server_t *self, s_lane_t *lane)
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
        kc_db_disconnect(&lane->db); /* reconnected on the next write */
    s_answer_lane(self, lane, rc, &error);
}

/* Settle the lanes in flight, oldest first, up to and including `last`
 * (or all of them when `last` is NULL). */
static void s_settle_through(intake_server_t *self, const s_lane_t *last)
{
    for (int k = 1; k < LANES; k++) {
        s_lane_t *lane = &self->lanes[(self->lane + k) % LANES];
        s_settle(self, lane);
        if (lane == last)
            return;
    }
}

/* Send the gathering lane's group to the database and move to the next
 * lane, settling it first if its group is still out. */
static void s_flush(intake_server_t *self)
{
    s_lane_t *lane = &self->lanes[self->lane];
    if (lane->count == 0)
        return;
    kc_error_t error;
    if (!s_database_ready(self) || !lane->db) {
        kc_error_set(&error, KC_ERR_DB_UNAVAILABLE, NULL, "the database is not reachable");
        kc_error_hint(&error, "nothing was stored; send again with the same idempotency key");
        s_answer_lane(self, lane, -1, &error);
        return;
    }
    if (store_group_send(lane->db, lane->writes, lane->count, &error)) {
        if (!store_connection_usable(lane->db))
            kc_db_disconnect(&lane->db);
        s_answer_lane(self, lane, -1, &error);
        return;
    }
    lane->in_flight = true;
    self->lane = (self->lane + 1) % LANES;
    s_settle(self, &self->lanes[self->lane]);
}

/* Everything received so far committed and answered: before a query, and
 * before the control connection is used synchronously. */
static void s_quiesce(intake_server_t *self)
{
    s_flush(self);
    s_settle_through(self, NULL);
}

/* Validate a write; 0 to queue it, -1 when it was already answered. */
static int s_validate_write(intake_server_t *self, s_pending_t *pending, kc_errors_t *errors)
{
    const kc_envelope_t *request = pending->request;
    bool dry_run = false;
    int32_t received = 1;
    validate_header(request, errors);
    switch (request->body_case) {
    case KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS:
        validate_reports(self->catalogue, request->actor, request->submit_reports, errors);
        dry_run = request->submit_reports->dry_run;
        received = (int32_t)request->submit_reports->n_reports;
        break;
    case KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION:
        validate_application(self->catalogue, request->submit_application, errors);
        dry_run = request->submit_application->dry_run;
        break;
    default: {
        const Kc__V1__SubmitObjection *objection = request->submit_objection;
        validate_objection(objection, errors);
        bool exists = true;
        kc_error_t error;
        if (*objection->application_id &&
            store_application_exists(self->lanes[0].db, objection->application_id, &exists, &error))
            kc_errors_push(errors, &error);
        else if (!exists)
            kc_errors_add(errors, KC_ERR_UNKNOWN_APPLICATION, "application_id",
                          "application '%.32s' does not exist", objection->application_id);
        dry_run = objection->dry_run;
    }
    }
    if (errors->total)
        return -1;
    if (dry_run) {
        Kc__V1__Accepted accepted = KC__V1__ACCEPTED__INIT;
        accepted.dry_run = true;
        accepted.received = received;
        accepted.kind = request->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS ? "reports"
                        : request->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION
                            ? "application"
                            : "objection";
        s_reply_accepted(self, pending, &accepted);
        return -1;
    }
    return 0;
}

/* A write that no longer passes validation may be the retry of one that
 * passed and was stored (the map changed in between, say): the sender
 * must get its first answer, not a refusal of something already kept.
 * True if such an answer was sent. */
static bool s_replay(intake_server_t *self, const s_pending_t *pending)
{
    if (!*pending->request->idempotency_key)
        return false;
    store_write_t first;
    kc_error_t error;
    int found = store_find_answer(self->lanes[0].db, pending->request, &first, &error);
    if (found < 0)
        kc_log_warn("cannot look up idempotency key: %s", error.message);
    if (found <= 0)
        return false;
    if (first.outcome)
        s_reply_error(self, pending, &first.error);
    else
        s_reply_accepted(self, pending, &first.accepted);
    return true;
}

static void s_take_write(intake_server_t *self, s_pending_t *pending)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    kc_error_t error;
    /* Applications and objections use the control connection (reference
     * numbers, lookups): it must not have a group out. They are rare. */
    if (pending->request->body_case != KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS &&
        self->lanes[0].in_flight)
        s_quiesce(self);
    if (!s_database_ready(self)) {
        kc_error_set(&error, KC_ERR_DB_UNAVAILABLE, NULL, "the database is not reachable");
        kc_error_hint(&error, "nothing was stored; send again with the same idempotency key");
        s_reply_error(self, pending, &error);
    } else if (s_validate_write(self, pending, &errors)) {
        if (errors.total && self->lanes[0].in_flight)
            s_quiesce(self);
        if (errors.total && !s_replay(self, pending))
            s_reply_errors(self, pending, &errors);
    } else {
        const char *county = "";
        if (pending->request->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION)
            county = catalogue_division_name(
                self->catalogue, pending->request->submit_application->mountain_base->county_code,
                kc_clock_year());
        s_lane_t *lane = &self->lanes[self->lane];
        store_write_t *write = &lane->writes[lane->count];
        if (store_write_init(write, self->lanes[0].db, pending->request, self->config.node_id,
                             county, &error)) {
            store_write_release(write);
            s_reply_error(self, pending, &error);
        } else {
            lane->group[lane->count++] = *pending;
            pending->request = NULL; /* now owned by the group */
        }
    }
    kc_errors_release(&errors);
}

static void s_answer_query(intake_server_t *self, const s_pending_t *pending)
{
    const kc_envelope_t *request = pending->request;
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    kc_error_t error;
    int rc = 0;
    if (request->body_case == KC__V1__ENVELOPE__BODY_PING) {
        Kc__V1__Pong pong = KC__V1__PONG__INIT;
        pong.node = self->config.node_id;
        /* A ping must answer even while the database is away: it asks the
         * daemon, and only uses a connection that is already there. */
        if (self->lanes[0].db && !self->lanes[0].in_flight &&
            store_connection_usable(self->lanes[0].db) &&
            store_last_event_seq(self->lanes[0].db, &pong.last_event_seq, &error))
            pong.last_event_seq = -1;
        reply.body_case = KC__V1__ENVELOPE__BODY_PONG;
        reply.pong = &pong;
        s_reply(self, pending, &reply);
        return;
    }
    if (!s_database_ready(self)) {
        kc_error_set(&error, KC_ERR_DB_UNAVAILABLE, NULL, "the database is not reachable");
        s_reply_error(self, pending, &error);
        return;
    }
    switch (request->body_case) {
    case KC__V1__ENVELOPE__BODY_GET_SUBMISSION:
        reply.body_case = KC__V1__ENVELOPE__BODY_SUBMISSION_STATUS;
        rc = store_get_submission(self->lanes[0].db, request->get_submission,
                                  &reply.submission_status, &error);
        break;
    case KC__V1__ENVELOPE__BODY_LIST_EVENTS:
        reply.body_case = KC__V1__ENVELOPE__BODY_EVENT_PAGE;
        rc = store_list_events(self->lanes[0].db, request->list_events->after_seq,
                               request->list_events->limit, &reply.event_page, &error);
        break;
    default:
        reply.body_case = KC__V1__ENVELOPE__BODY_DIVISION_LIST;
        rc = store_list_divisions(self->lanes[0].db, request->list_divisions, &reply.division_list,
                                  &error);
    }
    if (rc) {
        s_reply_error(self, pending, &error);
        return;
    }
    s_reply(self, pending, &reply);
    reply.message_id = reply.type = reply.sender_node = reply.correlation_id = NULL;
    /* Only the body is heap-owned; free it through its own descriptor. */
    protobuf_c_message_free_unpacked((ProtobufCMessage *)reply.submission_status, NULL);
}

static void s_dispatch(intake_server_t *self, s_pending_t *pending)
{
    switch (pending->request->body_case) {
    case KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS:
    case KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION:
    case KC__V1__ENVELOPE__BODY_SUBMIT_OBJECTION:
        s_take_write(self, pending);
        return;
    case KC__V1__ENVELOPE__BODY_GET_SUBMISSION:
    case KC__V1__ENVELOPE__BODY_LIST_EVENTS:
    case KC__V1__ENVELOPE__BODY_LIST_DIVISIONS:
    case KC__V1__ENVELOPE__BODY_PING:
        s_quiesce(self); /* a query sees every write received before it */
        s_answer_query(self, pending);
        return;
    default: {
        kc_error_t error;
        kc_error_set(&error, KC_ERR_UNKNOWN_TYPE, "type", "'%s' is not a request kc-intake takes",
                     kc_bus_body_name(pending->request->body_case));
        s_reply_error(self, pending, &error);
    }
    }
}

/* Take one multipart message off the router without blocking.
 * Returns 0 if one was handled, -1 if none was waiting. */
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
    s_pending_t pending = {0};
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
        s_reply_error(self, &pending, &error);
    } else {
        zmq_msg_t *body = &frames[count - 1];
        pending.request = kc_bus_decode(zmq_msg_data(body), zmq_msg_size(body), &error);
        if (!pending.request) {
            s_note_refusal(self, &error);
            s_reply_error(self, &pending, &error);
        } else {
            s_dispatch(self, &pending);
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
            kc_log_info("client connection closed: %.*s", (int)zmq_msg_size(&frame),
                        (const char *)zmq_msg_data(&frame));
    }
    zmq_msg_close(&frame);
}

int intake_server_run(intake_server_t *self, volatile sig_atomic_t *stop,
                      volatile sig_atomic_t *reload)
{
    char description[512];
    kc_config_describe(&self->config, description, sizeof description);
    kc_log_notice("kc-intake serving: %s", description);
    s_database_ready(self);
    while (!*stop) {
        if (*reload) {
            *reload = 0;
            s_quiesce(self); /* the reload reads through the control connection */
            s_reload(self);
        }
        /* Requests, connection events, and each lane's connection: a lane
         * in flight becomes readable when its outcome arrives; the idle
         * control connection when a NOTIFY does. */
        zmq_pollitem_t items[2 + LANES] = {{self->router, 0, ZMQ_POLLIN, 0},
                                           {self->monitor, 0, ZMQ_POLLIN, 0}};
        int count = 2;
        s_lane_t *polled[LANES];
        for (int i = 0; i < LANES; i++) {
            s_lane_t *lane = &self->lanes[i];
            if (lane->db && (lane->in_flight || i == 0)) {
                polled[count - 2] = lane;
                items[count++] = (zmq_pollitem_t){NULL, PQsocket(lane->db), ZMQ_POLLIN, 0};
            }
        }
        if (zmq_poll(items, count, 1000) < 0)
            continue; /* EINTR: a signal; the loop re-reads the flags */
        for (int i = 2; i < count; i++)
            if ((items[i].revents & ZMQ_POLLIN) && polled[i - 2]->in_flight)
                s_settle_through(self, polled[i - 2]);
        if (s_catalogue_changed(self))
            s_reload(self);
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
    s_quiesce(self);
    kc_log_notice("kc-intake stopped");
    return 0;
}
