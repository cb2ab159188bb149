/*  notify_server: the kc-notify loop.
 *
 *  One database connection LISTENs on kc_events (every writer of the event
 *  log notifies it) and on kc_notify (a definition was loaded); a wake-up,
 *  or a second without one, expands what follows the cursor. NOTIFY is
 *  only a hint: the cursor in the database is the truth, so a missed
 *  wake-up costs at most a second and a restart resumes exactly where the
 *  last commit left. One ROUTER socket answers the in-app inbox:
 *  ListNotifications and MarkNotificationsRead, for the actor's own.
 */
#include "notify/notify_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "kc/kc_bus.h"
#include "kc/kc_db.h"
#include "kc/kc_db_keeper.h"
#include "kc/kc_id.h"
#include "kc/kc_log.h"
#include "kc/kc_router.h"
#include "notify/notify_deliver.h"
#include "notify/notify_expand.h"
#include "notify/notify_inbox.h"

#define BATCH 32 /* events expanded in one transaction: small, so the first waits little */

struct notify_server_t {
    kc_config_t config;
    void *context;
    void *router;
    kc_db_keeper_t keeper; /* requests and expansion; healed by itself */
    notify_expander_t *expander;
    notify_deliver_t *deliver; /* the delivery worker thread */
};

/* Each new connection listens and reads the definition again (it may have
 * changed while the connection was away). */
static int s_setup(PGconn *db, void *context, kc_error_t *error)
{
    notify_server_t *self = context;
    if (kc_db_exec(db, "LISTEN kc_events", error) || kc_db_exec(db, "LISTEN kc_notify", error))
        return -1;
    if (notify_expander_load(self->expander, db, error) < 0)
        kc_log_warn("notification definition: %s", error->message);
    return 0;
}

notify_server_t *notify_server_new(const kc_config_t *config, kc_error_t *error)
{
    notify_server_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->config = *config;
    self->expander = notify_expander_new();
    if (kc_router_bind(&self->context, &self->router, config->notify_endpoint,
                       config->max_message_bytes, "notify.endpoint", error)) {
        notify_server_destroy(&self);
        return NULL;
    }
    kc_db_keeper_init(&self->keeper, self->config.conninfo, "kc-notify", "requests", s_setup, self);
    if (!kc_db_keeper_get(&self->keeper, error)) {
        notify_server_destroy(&self);
        return NULL;
    }
    self->deliver = notify_deliver_start(config, error);
    if (!self->deliver) {
        notify_server_destroy(&self);
        return NULL;
    }
    kc_log_notice("listening on %s; e-mail %s, SMS %s", config->notify_endpoint,
                  *config->smtp_url ? "on" : "off", *config->sms_gateway ? "on" : "off");
    return self;
}

void notify_server_destroy(notify_server_t **self_p)
{
    notify_server_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    notify_deliver_stop(&self->deliver);
    kc_router_close(&self->context, &self->router);
    kc_db_keeper_close(&self->keeper);
    notify_expander_destroy(&self->expander);
    free(self);
    *self_p = NULL;
}

static void s_reply(void *context, const void *identity, size_t identity_size, bool delimited,
                    const kc_envelope_t *request)
{
    notify_server_t *self = context;
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    Kc__V1__Pong pong = KC__V1__PONG__INIT;
    kc_error_t error;
    kc_error_clear(&error);
    char id[KC_ID_SIZE];
    kc_bus_stamp(&reply, id, self->config.node_id, NULL);
    reply.correlation_id = request->message_id;
    Kc__V1__NotificationList *list = NULL;
    if (request->body_case == KC__V1__ENVELOPE__BODY_PING) {
        pong.node = self->config.node_id;
        pong.daemon = "kc-notify";
        pong.last_event_seq = -1; /* the event log is kc-intake's */
        reply.body_case = KC__V1__ENVELOPE__BODY_PONG;
        reply.pong = &pong;
    } else if (!kc_db_keeper_for_request(&self->keeper, &error)) {
        /* refused at once: the loop connects again by itself */
    } else if (request->body_case == KC__V1__ENVELOPE__BODY_LIST_NOTIFICATIONS ||
               request->body_case == KC__V1__ENVELOPE__BODY_MARK_NOTIFICATIONS_READ) {
        int rc = notify_inbox_answer(self->keeper.conn, request, &list, &error);
        /* a connection that died since the last look (the server ended it
         * while the loop slept) is only found out by using it: connect
         * again and answer once more, which a listing or marking read allows */
        if (rc && kc_db_keeper_check(&self->keeper) &&
            kc_db_keeper_for_request(&self->keeper, &error))
            rc = notify_inbox_answer(self->keeper.conn, request, &list, &error);
        if (rc == 0) {
            kc_error_clear(&error);
            reply.body_case = KC__V1__ENVELOPE__BODY_NOTIFICATION_LIST;
            reply.notification_list = list;
        }
    } else
        kc_error_set(&error, KC_ERR_UNKNOWN_TYPE, "type", "kc-notify does not take '%.64s'",
                     request->type);
    if (error.code != KC_ERR_NONE) {
        kc_bus_send_error(self->router, identity, identity_size, delimited, self->config.node_id,
                          request->message_id, &error);
        kc_db_keeper_check(&self->keeper);
    } else {
        reply.type = (char *)kc_bus_body_name(reply.body_case);
        kc_bus_send(self->router, identity, identity_size, delimited, &reply, &error);
    }
    if (list)
        protobuf_c_message_free_unpacked(&list->base, NULL);
}

static bool s_drain_notifications(notify_server_t *self);

/* Expand everything that follows the cursor. */
static void s_expand(notify_server_t *self)
{
    kc_error_t error;
    long notified = 0;
    int rc;
    do {
        rc = notify_expand_batch(self->expander, self->keeper.conn, BATCH, &notified, &error);
        if (rc < 0) {
            /* a lost connection is the outage's to log, once */
            if (!kc_db_keeper_check(&self->keeper))
                kc_log_warn("expanding events: %s", error.message);
            return;
        }
        if (notified > 0)
            kc_log_info("%d event(s) expanded into %ld notification(s)", rc, notified);
    } while (rc > 0 || s_drain_notifications(self));
}

/* Read the wake-ups that came; true if there were any. libpq also queues
 * those that arrive while a query runs (and then the socket stays quiet),
 * so this is asked after every expansion, not only when the socket wakes. */
static bool s_drain_notifications(notify_server_t *self)
{
    if (!kc_db_keeper_consume(&self->keeper))
        return false;
    PGnotify *notify;
    bool reload = false, any = false;
    while ((notify = PQnotifies(self->keeper.conn)) != NULL) {
        any = true;
        reload = reload || strcmp(notify->relname, "kc_notify") == 0;
        PQfreemem(notify);
    }
    kc_error_t error;
    if (reload && notify_expander_load(self->expander, self->keeper.conn, &error) < 0)
        kc_log_warn("notification definition: %s", error.message);
    return any;
}

int notify_server_run(notify_server_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        kc_db_keeper_get(&self->keeper, NULL);
        zmq_pollitem_t items[2] = {{self->router, 0, ZMQ_POLLIN, 0},
                                   {NULL, kc_db_keeper_socket(&self->keeper), ZMQ_POLLIN, 0}};
        /* without a connection requests are still answered (refused at
         * once) while the keeper waits for its next try */
        if (zmq_poll(items, self->keeper.conn ? 2 : 1, kc_db_keeper_wait_ms(&self->keeper, 1000)) <
                0 &&
            zmq_errno() != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            kc_router_serve_one(self->router, self->config.node_id, s_reply, self);
        if (!self->keeper.conn)
            continue;
        s_drain_notifications(self);
        if (self->keeper.conn)
            s_expand(self);
    }
    kc_log_notice("stopped");
    return 0;
}
