/*  link_stream: one direction of one link, as kc-link runs it.
 *
 *  A sender sends the outbox's messages for one peer (the parent, or one
 *  child) oldest first, a window at a time, and removes them when the peer
 *  acknowledges; what stays unacknowledged for a few seconds is sent again
 *  from the oldest (the peer takes a copy once). A receiver takes the
 *  messages a peer sent, a batch per transaction, with link_receive (which
 *  keeps them in order and applies them: deploy/sql/0013_federation.sql),
 *  and acknowledges the batch only once it is committed.
 *
 *  Frames on the wire, after a ROUTER's routing id:
 *    "MSG" number previous message-id ordering-key kind payload
 *    "ACK" number      (every message of the stream up to it is taken)
 *    "AGAIN" ""        (one came before the one it follows: send again
 *                       from the oldest not acknowledged)
 *    "HI" ""           (a child says it is there; the parent answers)
 */
#ifndef LINK_LINK_STREAM_H
#define LINK_LINK_STREAM_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define LINK_ROUTING_MAX 256

/* Where frames to a peer go: a DEALER, or a ROUTER and the peer's routing id. */
typedef struct {
    void *socket;
    unsigned char routing_id[LINK_ROUTING_MAX];
    size_t routing_size; /* 0 on a DEALER */
} link_route_t;

typedef struct {
    char destination[8]; /* parent, child */
    char peer[8];        /* the child's division; "" for the parent */
    long long last_sent; /* outbox number sent last */
    int in_flight;
    long long progress_ms; /* when the last acknowledgement (or first send) came */
    long long rewound_ms;  /* when it last started again from the oldest */
    bool due;              /* something may be waiting: read the outbox at the next pump */
    long long pumped_ms;   /* when it last read the outbox */
} link_sender_t;

void link_sender_init(link_sender_t *self, const char *destination, const char *peer);

/* Send what the window allows. The outbox is read only when something may
 * be waiting (link_sender_wake, an acknowledgement, a rewind) or once a
 * second, not on every turn of the loop. */
void link_sender_pump(link_sender_t *self, PGconn *db, const link_route_t *route);

/* Something was queued (NOTIFY kc_link): read the outbox at the next pump. */
void link_sender_wake(link_sender_t *self);

/* The peer has taken every message up to `number`: they leave the outbox. */
void link_sender_acknowledged(link_sender_t *self, PGconn *db, const char *number);

/* Start again from the oldest (the link came back). */
void link_sender_rewind(link_sender_t *self);

/* The peer asks for the messages again from the oldest (it missed one):
 * a rewind, at most one per half second. */
void link_sender_again(link_sender_t *self);

/* One message received: the six frames after "MSG". */
typedef struct {
    char number[24], previous[24], message_id[80], key[80], kind[48];
    const void *payload;
    size_t payload_size;
} link_message_t;

/* Take `count` messages from `origin` in one transaction; *acknowledge
 * gets the highest number to acknowledge ("" when none), *early_seen
 * whether one came before the one it follows (ask for them AGAIN). -1 if
 * the transaction failed: nothing is acknowledged, the sender sends again. */
int link_receive_batch(PGconn *db, const char *origin, const link_message_t *messages, int count,
                       char acknowledge[24], bool *early_seen);

/* Send frames: one "ACK", "AGAIN" or "HI" (dropped when the pipe is full). */
void link_send_ack(const link_route_t *route, const char *number);
void link_send_again(const link_route_t *route);
void link_send_hi(const link_route_t *route);

#endif
