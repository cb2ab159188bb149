/*  workflow_server: the kc-workflow loop.
 *
 *  One ROUTER socket takes ActOnApplication, ListInbox,
 *  GetApplicationHistory and Ping; one database connection does the work
 *  and LISTENs on kc_workflow (a definition was loaded, or an application
 *  arrived: a trigger on application), upon which new applications enter
 *  the procedure of their programme. Each request is answered from one
 *  transaction; requests are served one at a time, which is what makes the
 *  row lock of an instance the only arbiter between two officials.
 */
#include "workflow/workflow_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "kc/kc_bus.h"
#include "kc/kc_calendar_db.h"
#include "kc/kc_clock.h"

#define TIMER_LOOK_US 250000 /* how often armed timers are looked at anyway */
#include "kc/kc_db.h"
#include "kc/kc_db_keeper.h"
#include "kc/kc_id.h"
#include "kc/kc_log.h"
#include "kc/kc_router.h"
#include "workflow/workflow_store.h"

#define GROUP_MAX 64 /* requests committed together at most */

/* An answer held until its group commits. */
typedef struct {
    unsigned char identity[256];
    size_t identity_size;
    bool delimited;
    char request_id[KC_ID_SIZE + 64];
    char id[KC_ID_SIZE];
    kc_envelope_t reply;    /* body_case and body set; ids fixed up when sent */
    ProtobufCMessage *body; /* owned */
    kc_error_t error;       /* a refusal instead, when its code is set */
} s_held_t;

struct workflow_server_t {
    kc_config_t config;
    void *context;
    void *router;
    kc_db_keeper_t keeper; /* the connection, healed by itself after an outage */
    workflow_store_t *store;
    kc_calendar_t calendar;    /* the official years for notices and deadlines */
    bool calendar_read;        /* read once at least: until then nothing is counted */
    bool calendar_due;         /* to read again (NOTIFY kc_calendar) or a recount to finish */
    int64_t calendar_retry_us; /* after a failure, not before (monotonic) */
    int calendar_wait_s;       /* the wait after the last failure */
    int64_t next_due_ms;       /* the earliest armed timer, 0: none known */
    int64_t checked_us;        /* when the timers were last looked at (monotonic) */
    bool grouping;             /* answers are held until the group commits */
    size_t held_count;
    s_held_t held[GROUP_MAX];
};

/* Read the calendar's versions in force from the database and count the
 * open timers again on them. 0, or -1 with the calendar read before left in
 * force; the caller tries again (calendar_due). */
static int s_read_calendar(workflow_server_t *self, kc_error_t *error)
{
    kc_calendar_t fresh;
    if (kc_calendar_db_read(self->keeper.conn, &fresh, error))
        return -1;
    kc_calendar_release(&self->calendar);
    self->calendar = fresh;
    workflow_store_set_calendar(self->store, &self->calendar);
    int first = self->calendar.count ? self->calendar.years[0].year : 0;
    int last = self->calendar.count ? self->calendar.years[self->calendar.count - 1].year : 0;
    kc_log_info("working-day calendar: %zu official year%s (%d..%d), every other year provisional",
                self->calendar.count, self->calendar.count == 1 ? "" : "s", first, last);
    int moved = workflow_timers_recount(self->store, self->keeper.conn, error);
    if (moved > 0)
        kc_log_notice("%d deadline%s recounted on the calendar", moved, moved == 1 ? "" : "s");
    return moved < 0 ? -1 : 0;
}

/* A calendar to read or a recount to finish: now, or, after a failure,
 * once its wait (doubling from 1 s to 60 s) is over, logged once a try. */
static void s_calendar_due(workflow_server_t *self)
{
    if (!self->calendar_due || !self->keeper.conn || kc_clock_mono_us() < self->calendar_retry_us)
        return;
    kc_error_t error;
    if (s_read_calendar(self, &error) == 0) {
        self->calendar_due = false;
        self->calendar_wait_s = 0;
        return;
    }
    self->calendar_wait_s = self->calendar_wait_s ? self->calendar_wait_s * 2 : 1;
    if (self->calendar_wait_s > 60)
        self->calendar_wait_s = 60;
    self->calendar_retry_us = kc_clock_mono_us() + (int64_t)self->calendar_wait_s * 1000000;
    kc_log_warn("working-day calendar: %s (again in %d s)", error.message, self->calendar_wait_s);
}

/* Settle the copies linked nodes sent. */
static void s_settle(workflow_server_t *self)
{
    kc_error_t error;
    if (workflow_store_settle(self->store, self->keeper.conn, &error) < 0)
        kc_log_warn("settling copies from linked nodes: %s", error.message);
}

/* Each new connection: listen, check the node is linked, read the calendar
 * and take up what arrived while the connection was away. */
static int s_setup(PGconn *db, void *context, kc_error_t *error)
{
    workflow_server_t *self = context;
    if (kc_db_exec(db, "LISTEN kc_workflow", error) ||
        kc_db_exec(db, "LISTEN kc_calendar", error) || kc_db_check_linked(db, &self->config, error))
        return -1;
    /* a calendar loaded while the connection was down is read now; without
     * one no notice can be counted, so a node that cannot read it waits */
    kc_calendar_t fresh;
    if (!self->calendar_read) {
        if (kc_calendar_db_read(db, &fresh, error))
            return -1;
        self->calendar = fresh;
        self->calendar_read = true;
        workflow_store_set_calendar(self->store, &self->calendar);
    }
    self->calendar_due = true;
    self->calendar_retry_us = 0;
    s_calendar_due(self);
    /* a restart goes on from the latest instant recorded, whatever the wall says */
    if (workflow_store_resume_clock(self->store, db, error))
        return -1;
    if (workflow_store_adopt(self->store, db, error) < 0)
        kc_log_warn("adoption of new applications failed: %s", error->message);
    s_settle(self);
    /* timers that fell due while the connection was away fire now */
    self->checked_us = 0;
    return 0;
}

workflow_server_t *workflow_server_new(const kc_config_t *config, kc_error_t *error)
{
    workflow_server_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->config = *config;
    self->store = workflow_store_new(config->node_id, kc_config_division(config));
    /* linked to other nodes: this node holds its own level's states */
    if (*config->link_parent || *config->link_endpoint)
        workflow_store_set_level(self->store,
                                 strcmp(config->node_level, "province") == 0 ? WF_LEVEL_PROVINCE
                                 : strcmp(config->node_level, "city") == 0   ? WF_LEVEL_CITY
                                                                             : WF_LEVEL_COUNTY);
    if (kc_router_bind(&self->context, &self->router, config->workflow_endpoint,
                       config->max_message_bytes, "workflow.endpoint", error)) {
        workflow_server_destroy(&self);
        return NULL;
    }
    kc_db_keeper_init(&self->keeper, self->config.conninfo, "kc-workflow", "kc-workflow", s_setup,
                      self);
    if (!kc_db_keeper_get(&self->keeper, error)) {
        workflow_server_destroy(&self);
        return NULL;
    }
    kc_log_notice("listening on %s", config->workflow_endpoint);
    return self;
}

void workflow_server_destroy(workflow_server_t **self_p)
{
    workflow_server_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    kc_calendar_release(&self->calendar);
    kc_router_close(&self->context, &self->router);
    kc_db_keeper_close(&self->keeper);
    workflow_store_destroy(&self->store);
    free(self);
    *self_p = NULL;
}

/* The body of the answer; NULL with `error` filled on a refusal. */
/* A read refused for want of authority is an authority check too: it goes
 * into the audit log (writes audit their own refusals). */
static void s_audit_denied_read(workflow_server_t *self, const kc_envelope_t *request,
                                const kc_error_t *error)
{
    const char *target = "";
    if (request->body_case == KC__V1__ENVELOPE__BODY_GET_APPLICATION_HISTORY)
        target = request->get_application_history->application_ref;
    else if (request->body_case == KC__V1__ENVELOPE__BODY_GET_PANEL)
        target = request->get_panel->application_ref;
    else if (request->body_case == KC__V1__ENVELOPE__BODY_GET_PROGRESS)
        target = request->get_progress->programme;
    else if (request->body_case != KC__V1__ENVELOPE__BODY_LIST_INBOX)
        return;
    if (error->code != KC_ERR_DENIED || !self->keeper.conn)
        return;
    char action[64];
    snprintf(action, sizeof action, "workflow.read:%s", request->type);
    workflow_audit_denied(self->store, self->keeper.conn, request->actor, action, target, error);
}

static ProtobufCMessage *s_answer_body(workflow_server_t *self, const kc_envelope_t *request,
                                       kc_envelope_t *reply, kc_error_t *error);

static ProtobufCMessage *s_answer(workflow_server_t *self, const kc_envelope_t *request,
                                  kc_envelope_t *reply, kc_error_t *error)
{
    ProtobufCMessage *body = s_answer_body(self, request, reply, error);
    if (!body)
        s_audit_denied_read(self, request, error);
    return body;
}

static ProtobufCMessage *s_answer_body(workflow_server_t *self, const kc_envelope_t *request,
                                       kc_envelope_t *reply, kc_error_t *error)
{
    Kc__V1__WorkflowState *state = NULL;
    Kc__V1__Inbox *inbox = NULL;
    if (!kc_db_keeper_for_request(&self->keeper, error))
        return NULL;
    switch (request->body_case) {
    case KC__V1__ENVELOPE__BODY_ACT_ON_APPLICATION:
        if (workflow_store_act(self->store, self->keeper.conn, request, &state, error))
            return NULL;
        reply->body_case = KC__V1__ENVELOPE__BODY_WORKFLOW_STATE;
        reply->workflow_state = state;
        return &state->base;
    case KC__V1__ENVELOPE__BODY_GET_APPLICATION_HISTORY:
        if (workflow_store_history(self->store, self->keeper.conn, request, &state, error)) {
            if (state)
                protobuf_c_message_free_unpacked(&state->base, NULL);
            return NULL;
        }
        reply->body_case = KC__V1__ENVELOPE__BODY_WORKFLOW_STATE;
        reply->workflow_state = state;
        return &state->base;
    case KC__V1__ENVELOPE__BODY_RESOLVE_OBJECTION:
        if (workflow_store_resolve_objection(self->store, self->keeper.conn, request, &state,
                                             error)) {
            if (state)
                protobuf_c_message_free_unpacked(&state->base, NULL);
            return NULL;
        }
        reply->body_case = KC__V1__ENVELOPE__BODY_WORKFLOW_STATE;
        reply->workflow_state = state;
        return &state->base;
    case KC__V1__ENVELOPE__BODY_LIST_INBOX:
        if (workflow_store_inbox(self->store, self->keeper.conn, request, &inbox, error))
            return NULL;
        reply->body_case = KC__V1__ENVELOPE__BODY_INBOX;
        reply->inbox = inbox;
        return &inbox->base;
    case KC__V1__ENVELOPE__BODY_DECLARE_CONFLICT:
    case KC__V1__ENVELOPE__BODY_SCORE_APPLICATION:
    case KC__V1__ENVELOPE__BODY_GET_PANEL: {
        Kc__V1__PanelView *panel = NULL;
        int rc =
            request->body_case == KC__V1__ENVELOPE__BODY_DECLARE_CONFLICT
                ? workflow_store_declare(self->store, self->keeper.conn, request, &panel, error)
            : request->body_case == KC__V1__ENVELOPE__BODY_SCORE_APPLICATION
                ? workflow_store_score(self->store, self->keeper.conn, request, &panel, error)
                : workflow_store_panel(self->store, self->keeper.conn, request, &panel, error);
        if (rc) {
            if (panel)
                protobuf_c_message_free_unpacked(&panel->base, NULL);
            return NULL;
        }
        reply->body_case = KC__V1__ENVELOPE__BODY_PANEL_VIEW;
        reply->panel_view = panel;
        return &panel->base;
    }
    case KC__V1__ENVELOPE__BODY_GET_PROGRESS: {
        Kc__V1__Progress *progress = NULL;
        if (workflow_store_progress(self->store, self->keeper.conn, request, &progress, error))
            return NULL;
        reply->body_case = KC__V1__ENVELOPE__BODY_PROGRESS;
        reply->progress = progress;
        return &progress->base;
    }
    default:
        kc_error_set(error, KC_ERR_UNKNOWN_TYPE, "type", "kc-workflow does not take '%.64s'",
                     request->type);
        return NULL;
    }
}

static void s_reply(void *context, const void *identity, size_t identity_size, bool delimited,
                    const kc_envelope_t *request)
{
    workflow_server_t *self = context;
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    Kc__V1__Pong pong = KC__V1__PONG__INIT;
    kc_error_t error;
    kc_error_clear(&error);
    char id[KC_ID_SIZE];
    kc_bus_stamp(&reply, id, self->config.node_id, NULL);
    reply.correlation_id = request->message_id;
    ProtobufCMessage *body = NULL;
    if (request->body_case == KC__V1__ENVELOPE__BODY_PING) {
        pong.node = self->config.node_id;
        pong.daemon = "kc-workflow";
        pong.last_event_seq = -1; /* the event log is kc-intake's */
        reply.body_case = KC__V1__ENVELOPE__BODY_PONG;
        reply.pong = &pong;
    } else {
        body = s_answer(self, request, &reply, &error);
    }
    /* a pong says nothing about the database: it leaves at once */
    if (self->grouping && request->body_case != KC__V1__ENVELOPE__BODY_PING &&
        identity_size <= sizeof self->held[0].identity && self->held_count < GROUP_MAX) {
        s_held_t *held = &self->held[self->held_count++];
        memcpy(held->identity, identity, identity_size);
        held->identity_size = identity_size;
        held->delimited = delimited;
        snprintf(held->request_id, sizeof held->request_id, "%s", request->message_id);
        memcpy(held->id, id, sizeof held->id);
        held->reply = reply;
        held->body = body;
        held->error = error;
        return;
    }
    if (error.code != KC_ERR_NONE) {
        kc_bus_send_error(self->router, identity, identity_size, delimited, self->config.node_id,
                          request->message_id, &error);
        kc_db_keeper_check(&self->keeper);
        return;
    }
    reply.type = (char *)kc_bus_body_name(reply.body_case);
    kc_bus_send(self->router, identity, identity_size, delimited, &reply, &error);
    if (body)
        protobuf_c_message_free_unpacked(body, NULL);
}

/* Read one request and answer it (kc_router refuses malformed ones). */
/* Send the answers held for a group; when its commit failed, every one
 * becomes that failure (the senders retry with the same keys). */
static void s_release(workflow_server_t *self, const kc_error_t *failed)
{
    for (size_t i = 0; i < self->held_count; i++) {
        s_held_t *held = &self->held[i];
        const kc_error_t *error = failed ? failed : &held->error;
        kc_error_t ignored;
        if (error->code != KC_ERR_NONE)
            kc_bus_send_error(self->router, held->identity, held->identity_size, held->delimited,
                              self->config.node_id, held->request_id, error);
        else {
            held->reply.message_id = held->id;
            held->reply.correlation_id = held->request_id;
            held->reply.sender_node = self->config.node_id;
            held->reply.type = (char *)kc_bus_body_name(held->reply.body_case);
            kc_bus_send(self->router, held->identity, held->identity_size, held->delimited,
                        &held->reply, &ignored);
        }
        if (held->body)
            protobuf_c_message_free_unpacked(held->body, NULL);
    }
    self->held_count = 0;
}

static bool s_more_waiting(void *router)
{
    int events = 0;
    size_t size = sizeof events;
    return zmq_getsockopt(router, ZMQ_EVENTS, &events, &size) == 0 && (events & ZMQ_POLLIN);
}

/* Read the requests that are waiting, up to GROUP_MAX, and answer them
 * from one group commit (workflow_tx.c); without a database, one by one. */
static void s_serve_group(workflow_server_t *self)
{
    kc_error_t error;
    /* without a database each request is refused at once
     * (database.unavailable); the loop reconnects (kc_db_keeper_get) */
    if (!self->keeper.conn ||
        workflow_store_group(self->store, self->keeper.conn, true, false, &error)) {
        kc_router_serve_one(self->router, self->config.node_id, s_reply, self);
        return;
    }
    self->grouping = true;
    size_t served = 0;
    do
        kc_router_serve_one(self->router, self->config.node_id, s_reply, self);
    while (++served < GROUP_MAX && self->keeper.conn && s_more_waiting(self->router));
    self->grouping = false;
    kc_error_t failed;
    kc_error_clear(&failed);
    if (!self->keeper.conn ||
        workflow_store_group(self->store, self->keeper.conn, false, true, &failed)) {
        if (failed.code == KC_ERR_NONE)
            kc_error_set(&failed, KC_ERR_DB_UNAVAILABLE, NULL, "the database went away");
        s_release(self, &failed);
        kc_db_keeper_check(&self->keeper);
        return;
    }
    s_release(self, NULL);
}

static void s_drain_notifications(workflow_server_t *self)
{
    if (!kc_db_keeper_consume(&self->keeper))
        return;
    PGnotify *notify;
    bool adopt = false, calendar = false;
    while ((notify = PQnotifies(self->keeper.conn)) != NULL) {
        if (strcmp(notify->relname, "kc_calendar") == 0)
            calendar = true;
        else
            adopt = true;
        PQfreemem(notify);
    }
    if (calendar) {
        self->calendar_due = true;
        self->calendar_retry_us = 0;
    }
    s_calendar_due(self);
    kc_error_t error;
    if (adopt && workflow_store_adopt(self->store, self->keeper.conn, &error) < 0)
        kc_log_warn("adoption of new applications failed: %s", error.message);
    if (adopt)
        s_settle(self);
}

/* Timers due by the clock fire between requests, a batch at a time so a
 * backlog (a restart after a long stop) never starves the officials. */
static void s_fire_timers(workflow_server_t *self)
{
    if (!self->keeper.conn)
        return;
    int64_t mono = kc_clock_mono_us();
    bool due = self->next_due_ms > 0 && workflow_store_now(self->store) >= self->next_due_ms;
    /* a timer armed since, by this process or another, or a clock moved by
     * a test, is seen within TIMER_LOOK_US */
    if (!due && mono - self->checked_us < TIMER_LOOK_US)
        return;
    kc_error_t error;
    int fired = workflow_store_fire_timers(self->store, self->keeper.conn, 64, &error);
    /* a lost connection is the outage's to log, once */
    if (fired < 0 && !kc_db_keeper_check(&self->keeper))
        kc_log_warn("timers: %s", error.message);
    if (!self->keeper.conn)
        return;
    self->next_due_ms = workflow_store_next_timer(self->keeper.conn);
    /* a full batch: more may be due, look again at once */
    self->checked_us = fired == 64 ? 0 : mono;
}

/* Sleep until the next timer is due, at most TIMER_LOOK_US. */
static long s_wait_ms(const workflow_server_t *self)
{
    long most = TIMER_LOOK_US / 1000;
    if (self->checked_us == 0)
        return 0;
    if (self->next_due_ms == 0)
        return most;
    int64_t wait = self->next_due_ms - workflow_store_now(self->store);
    return wait <= 0 ? 0 : wait > most ? most : (long)wait;
}

int workflow_server_run(workflow_server_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        kc_db_keeper_get(&self->keeper, NULL);
        zmq_pollitem_t items[2] = {{self->router, 0, ZMQ_POLLIN, 0},
                                   {NULL, kc_db_keeper_socket(&self->keeper), ZMQ_POLLIN, 0}};
        long wait = kc_db_keeper_wait_ms(&self->keeper, s_wait_ms(self));
        /* New applications arrive as NOTIFY kc_workflow (a trigger on
         * application), which a live connection never misses; s_connect
         * adopts what arrived while it was down. */
        if (zmq_poll(items, self->keeper.conn ? 2 : 1, wait) < 0 && zmq_errno() != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            s_serve_group(self);
        kc_db_keeper_check(&self->keeper);
        /* last: a NOTIFY that libpq read during the requests or the timers'
         * queries sits in its queue, and the socket would not wake for it */
        s_fire_timers(self);
        s_drain_notifications(self);
        kc_db_keeper_check(&self->keeper);
    }
    kc_log_notice("stopped");
    return 0;
}
