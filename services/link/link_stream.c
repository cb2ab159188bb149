/*  link_stream: see link_stream.h. */
#include "link/link_stream.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_log.h"

#define WINDOW    2048 /* messages in flight to one peer: below the sockets' high-water mark */
#define RESEND_MS 3000 /* no acknowledgement for this long: again from the oldest */

static long long s_now_ms(void)
{
    return kc_clock_mono_us() / 1000;
}

void link_sender_init(link_sender_t *self, const char *destination, const char *peer)
{
    memset(self, 0, sizeof *self);
    snprintf(self->destination, sizeof self->destination, "%s", destination);
    snprintf(self->peer, sizeof self->peer, "%s", peer);
}

void link_sender_rewind(link_sender_t *self)
{
    self->last_sent = 0;
    self->in_flight = 0;
    self->due = true;
}

void link_sender_wake(link_sender_t *self)
{
    self->due = true;
}

static bool s_frame(void *socket, const void *data, size_t size, int more)
{
    return zmq_send(socket, data, size, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) >= 0;
}

/* The routing id on a ROUTER; false when the message cannot be queued now
 * (the peer's pipe is full or gone): nothing of it is sent. */
static bool s_head(const link_route_t *route, const char *command)
{
    if (route->routing_size && !s_frame(route->socket, route->routing_id, route->routing_size, 1))
        return false;
    return s_frame(route->socket, command, strlen(command), 1);
}

void link_send_ack(const link_route_t *route, const char *number)
{
    if (s_head(route, "ACK"))
        s_frame(route->socket, number, strlen(number), 0);
}

void link_send_again(const link_route_t *route)
{
    if (s_head(route, "AGAIN"))
        s_frame(route->socket, "", 0, 0);
}

void link_send_hi(const link_route_t *route)
{
    if (s_head(route, "HI"))
        s_frame(route->socket, "", 0, 0);
}

void link_sender_again(link_sender_t *self)
{
    /* one rewind per round trip: the copies already on their way would
     * each ask again */
    long long now = s_now_ms();
    if (now - self->rewound_ms < 500)
        return;
    self->rewound_ms = now;
    link_sender_rewind(self);
}

void link_sender_pump(link_sender_t *self, PGconn *db, const link_route_t *route)
{
    long long now = s_now_ms();
    if (self->in_flight > 0 && now - self->progress_ms > RESEND_MS)
        link_sender_rewind(self);
    if ((!self->due && now - self->pumped_ms < 1000) || self->in_flight >= WINDOW)
        return;
    self->due = false;
    self->pumped_ms = now;
    char after[24], limit[16];
    snprintf(after, sizeof after, "%lld", self->last_sent);
    snprintf(limit, sizeof limit, "%d", WINDOW - self->in_flight);
    const char *params[4] = {self->destination, self->peer, after, limit};
    PGresult *rows = NULL;
    kc_error_t error;
    if (kc_db_run_cached(db,
                         "SELECT id, previous, message_id, ordering_key, kind, payload"
                         "  FROM link_outbox"
                         " WHERE destination = $1 AND peer_division = $2 AND id > $3::bigint"
                         " ORDER BY id LIMIT $4::int",
                         4, params, NULL, NULL, "reading the outbox", &rows, &error)) {
        kc_log_warn("outbox: %s", error.message);
        return;
    }
    for (int i = 0; i < PQntuples(rows); i++) {
        size_t size = 0;
        unsigned char *payload =
            PQunescapeBytea((const unsigned char *)PQgetvalue(rows, i, 5), &size);
        if (!s_head(route, "MSG")) { /* full: the rest waits for the next round */
            PQfreemem(payload);
            self->due = true;
            break;
        }
        for (int column = 0; column < 5; column++)
            s_frame(route->socket, PQgetvalue(rows, i, column),
                    (size_t)PQgetlength(rows, i, column), 1);
        s_frame(route->socket, payload, size, 0);
        PQfreemem(payload);
        self->last_sent = strtoll(PQgetvalue(rows, i, 0), NULL, 10);
        if (self->in_flight++ == 0)
            self->progress_ms = now;
    }
    PQclear(rows);
}

void link_sender_acknowledged(link_sender_t *self, PGconn *db, const char *number)
{
    const char *params[3] = {self->destination, self->peer, number};
    PGresult *result = NULL;
    kc_error_t error;
    if (kc_db_run_cached(db, "SELECT link_acknowledged_up_to($1, $2, $3::bigint)", 3, params, NULL,
                         NULL, "acknowledging", &result, &error)) {
        kc_log_warn("acknowledgement of %s: %s", number, error.message);
        return;
    }
    int gone = (int)kc_db_int(result, 0, 0);
    PQclear(result);
    self->in_flight = gone >= self->in_flight ? 0 : self->in_flight - gone;
    self->progress_ms = s_now_ms();
    self->due = true; /* room in the window */
}

/* Read one pipelined result; false if it is not `expected`. */
static bool s_result(PGconn *db, ExecStatusType expected, PGresult **out)
{
    PGresult *result = PQgetResult(db);
    bool ok = result && PQresultStatus(result) == expected;
    if (!ok && result && PQresultStatus(result) != PGRES_PIPELINE_ABORTED)
        kc_log_warn("taking messages: %s", PQresultErrorMessage(result));
    if (out && ok)
        *out = result;
    else
        PQclear(result);
    /* each query's results end with a NULL; the sync point has none */
    if (expected != PGRES_PIPELINE_SYNC)
        while ((result = PQgetResult(db)) != NULL)
            PQclear(result);
    return ok;
}

static const char *s_receive_sql =
    "SELECT link_receive($1, $2, $3::bigint, $4::bigint, $5, $6, $7, $8::boolean)";

static int s_receive(PGconn *db, const char *origin, const link_message_t *messages, int count,
                     bool guarded, char acknowledge[24], bool *early_seen)
{
    acknowledge[0] = '\0';
    *early_seen = false;
    /* one round trip for the batch: BEGIN, every message, COMMIT (libpq's
     * pipeline mode); a failure anywhere rolls the whole batch back and
     * nothing is acknowledged */
    if (!PQenterPipelineMode(db)) {
        kc_log_warn("taking messages from %s: %s", origin, PQerrorMessage(db));
        return -1;
    }
    bool sent = PQsendQueryParams(db, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
    for (int i = 0; sent && i < count; i++) {
        const link_message_t *m = &messages[i];
        /* origin, id, number, previous, key, kind, payload */
        const char *params[8] = {origin, m->message_id, m->number,  m->previous,
                                 m->key, m->kind,       m->payload, guarded ? "true" : "false"};
        int lengths[8] = {0, 0, 0, 0, 0, 0, (int)m->payload_size, 0};
        int formats[8] = {0, 0, 0, 0, 0, 0, 1, 0};
        sent = PQsendQueryParams(db, s_receive_sql, 8, NULL, params, lengths, formats, 0);
    }
    sent =
        sent && PQsendQueryParams(db, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) && PQpipelineSync(db);
    bool ok = sent && s_result(db, PGRES_COMMAND_OK, NULL);
    for (int i = 0; sent && i < count; i++) {
        PGresult *result = NULL;
        if (!s_result(db, PGRES_TUPLES_OK, &result)) {
            ok = false;
            continue;
        }
        const char *outcome = PQgetvalue(result, 0, 0);
        if (strcmp(outcome, "refused") == 0)
            kc_log_warn("message %s (%s) from %s refused: see the inbox and the audit log",
                        messages[i].message_id, messages[i].kind, origin);
        /* an early one (one before it missing) and all after it wait for
         * the sender to send again from its oldest */
        if (strcmp(outcome, "early") == 0)
            *early_seen = true;
        else if (!*acknowledge ||
                 strtoll(messages[i].number, NULL, 10) > strtoll(acknowledge, NULL, 10))
            snprintf(acknowledge, 24, "%s", messages[i].number); /* the highest taken */
        PQclear(result);
    }
    ok = sent && s_result(db, PGRES_COMMAND_OK, NULL) && ok;
    if (sent)
        s_result(db, PGRES_PIPELINE_SYNC, NULL);
    if (!sent || !PQexitPipelineMode(db)) {
        /* a batch half sent leaves the connection in the middle of a
         * pipeline: start it afresh (and with it what was prepared and
         * listened to on it) */
        kc_log_warn("taking messages from %s: %s; reconnecting", origin, PQerrorMessage(db));
        kc_db_forget(db);
        PQreset(db);
        PQclear(PQexec(db, "LISTEN kc_link"));
        acknowledge[0] = '\0';
        *early_seen = false;
        return -1;
    }
    if (!ok) {
        PQclear(PQexec(db, "ROLLBACK")); /* a failed explicit transaction stays open */
        kc_log_warn("taking messages from %s: the batch was rolled back (%s)", origin,
                    sent ? "a statement failed" : PQerrorMessage(db));
        acknowledge[0] = '\0';
        *early_seen = false;
        return sent ? 1 : -1;
    }
    return 0;
}

int link_receive_batch(PGconn *db, const char *origin, const link_message_t *messages, int count,
                       char acknowledge[24], bool *early_seen)
{
    int rc = s_receive(db, origin, messages, count, false, acknowledge, early_seen);
    if (rc == 1) { /* something in it raised: again, each message guarded */
        kc_log_notice("taking the batch from %s again, each message on its own", origin);
        rc = s_receive(db, origin, messages, count, true, acknowledge, early_seen) == 0 ? 0 : -1;
    }
    return rc;
}
