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

#define WINDOW    1024 /* messages in flight to one peer */
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
}

static void s_frame(void *socket, const void *data, size_t size, int more)
{
    zmq_send(socket, data, size, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT);
}

static void s_head(const link_route_t *route)
{
    if (route->routing_size)
        s_frame(route->socket, route->routing_id, route->routing_size, 1);
}

void link_send_ack(const link_route_t *route, const char *number)
{
    s_head(route);
    s_frame(route->socket, "ACK", 3, 1);
    s_frame(route->socket, number, strlen(number), 0);
}

void link_send_hi(const link_route_t *route)
{
    s_head(route);
    s_frame(route->socket, "HI", 2, 0);
}

void link_sender_pump(link_sender_t *self, PGconn *db, const link_route_t *route)
{
    long long now = s_now_ms();
    if (self->in_flight > 0 && now - self->progress_ms > RESEND_MS)
        link_sender_rewind(self);
    if (self->in_flight >= WINDOW)
        return;
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
        s_head(route);
        s_frame(route->socket, "MSG", 3, 1);
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
    if (kc_db_run_cached(db,
                         "WITH gone AS (DELETE FROM link_outbox WHERE destination = $1"
                         "   AND peer_division = $2 AND id <= $3::bigint RETURNING 1)"
                         " SELECT count(*) FROM gone",
                         3, params, NULL, NULL, "acknowledging", &result, &error)) {
        kc_log_warn("acknowledgement of %s: %s", number, error.message);
        return;
    }
    int gone = (int)kc_db_int(result, 0, 0);
    PQclear(result);
    self->in_flight = gone >= self->in_flight ? 0 : self->in_flight - gone;
    self->progress_ms = s_now_ms();
}

int link_receive_batch(PGconn *db, const char *origin, const link_message_t *messages, int count,
                       char acknowledge[24])
{
    acknowledge[0] = '\0';
    kc_error_t error;
    if (kc_db_exec(db, "BEGIN", &error)) {
        kc_log_warn("taking messages from %s: %s", origin, error.message);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        const link_message_t *m = &messages[i];
        /* origin, id, number, previous, key, kind, payload */
        const char *params[7] = {origin, m->message_id, m->number, m->previous,
                                 m->key, m->kind,       m->payload};
        int lengths[7] = {0, 0, 0, 0, 0, 0, (int)m->payload_size};
        int formats[7] = {0, 0, 0, 0, 0, 0, 1};
        PGresult *result = NULL;
        if (kc_db_run_cached(db, "SELECT link_receive($1, $2, $3::bigint, $4::bigint, $5, $6, $7)",
                             7, params, lengths, formats, "taking a message", &result, &error)) {
            kc_log_warn("message %s from %s: %s", m->message_id, origin, error.message);
            kc_db_exec(db, "ROLLBACK", &error);
            acknowledge[0] = '\0';
            return -1;
        }
        const char *outcome = PQgetvalue(result, 0, 0);
        /* an early one (one before it missing) and all after it wait for
         * the sender to send again from its oldest */
        bool early = strcmp(outcome, "early") == 0;
        if (strcmp(outcome, "refused") == 0)
            kc_log_warn("message %s (%s) from %s refused: see the inbox and the audit log",
                        m->message_id, m->kind, origin);
        PQclear(result);
        if (early)
            break;
        snprintf(acknowledge, 24, "%s", m->number);
    }
    if (kc_db_exec(db, "COMMIT", &error)) {
        kc_log_warn("taking messages from %s: %s", origin, error.message);
        acknowledge[0] = '\0';
        return -1;
    }
    return 0;
}
