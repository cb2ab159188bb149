/*  kc_db_keeper: a database connection that heals itself.
 *
 *  Every loop of a kechuang daemon that talks to PostgreSQL (requests,
 *  timers, delivery, links, subscribers) keeps its connection in a keeper.
 *  When the connection proves lost (the server restarted, a network cut,
 *  pg_terminate_backend) the keeper drops it and connects again by itself,
 *  waiting 250 ms and doubling up to 5 s between tries, so a node comes
 *  back without anyone's request. An outage is logged twice, as it begins
 *  and as it ends, never on every try. Meanwhile the keeper holds no
 *  connection, and a request finds that at once (database.unavailable)
 *  instead of waiting for a try.
 *
 *  The same bookkeeping (kc_outage_t) serves a daemon whose loop holds
 *  several connections at once (kc-intake's lanes): one outage, one pair
 *  of lines, however many connections it had.
 *
 *  A keeper is used by one thread.
 */
#ifndef KC_DB_KEEPER_H
#define KC_DB_KEEPER_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "kc/kc_error.h"

/* An outage of one loop: when it began, when to try again. */
typedef struct {
    char loop[48];       /* named in its log lines: "requests", "delivery"... */
    int64_t since_us;    /* when it began (monotonic), 0: no outage */
    int64_t retry_at_us; /* the next try, not before (monotonic) */
    int64_t tried_us;    /* the last failed try (monotonic) */
    int wait_ms;         /* the wait after the last failed try */
    long tries;          /* failed tries in this outage */
} kc_outage_t;

/* Name the loop (copied). */
void kc_outage_init(kc_outage_t *outage, const char *loop);

/* The connection was found lost, or a try to connect failed with `why`
 * (may be NULL): begin the outage if none is under way (one log line)
 * and set the wait before the next try. */
void kc_outage_failed(kc_outage_t *outage, const char *why);

/* A try succeeded: end the outage if one was under way (one log line). */
void kc_outage_ended(kc_outage_t *outage);

/* True when a try to connect may be made now. */
bool kc_outage_try_due(const kc_outage_t *outage);

/* True when a request may make a try now: the loop's try is due, or the
 * last try is at least 250 ms old. A request thus finds a server that has
 * just come back without waiting for the loop's longer wait, while a
 * stream of requests tries at most four times a second. */
bool kc_outage_request_may_try(const kc_outage_t *outage);

/* Milliseconds until the next try may be made (0: now). */
long kc_outage_wait_ms(const kc_outage_t *outage);

/* Make the next try due at once (a request came, or the loop has reason
 * to think the server is back). The wait keeps growing on failure. */
void kc_outage_try_now(kc_outage_t *outage);

/* Run on each new connection before it is used (LISTEN, reading what may
 * have changed while it was away), with the keeper already holding it;
 * non-zero refuses the connection, which then counts as a failed try. */
typedef int (*kc_db_setup_fn)(PGconn *conn, void *context, kc_error_t *error);

typedef struct {
    const char *conninfo; /* not owned */
    char who[64];         /* application_name: "kc-notify delivery" */
    kc_db_setup_fn setup;
    void *context;
    PGconn *conn; /* NULL while the database is away */
    kc_outage_t outage;
} kc_db_keeper_t;

/* Set up a keeper holding no connection yet; `who` names the connection
 * in PostgreSQL (application_name) and `loop` in the log. */
void kc_db_keeper_init(kc_db_keeper_t *keeper, const char *conninfo, const char *who,
                       const char *loop, kc_db_setup_fn setup, void *context);

/* Connect now if no connection is held and a try is due: the connection,
 * or NULL with `error` set to database.unavailable (error may be NULL). */
PGconn *kc_db_keeper_get(kc_db_keeper_t *keeper, kc_error_t *error);

/* The same for a request (kc_outage_request_may_try): the connection, or
 * NULL at once with database.unavailable. */
PGconn *kc_db_keeper_for_request(kc_db_keeper_t *keeper, kc_error_t *error);

/* Drop the connection if it is lost (after any failure, and after reading
 * from its socket), beginning an outage; true when it was dropped. */
bool kc_db_keeper_check(kc_db_keeper_t *keeper);

/* Read what the server sent on the connection's socket (notifications,
 * or the end of the connection); false when it proved lost (dropped,
 * outage begun) or none is held. */
bool kc_db_keeper_consume(kc_db_keeper_t *keeper);

/* The socket to poll: the connection's, or -1 when none is held. */
int kc_db_keeper_socket(const kc_db_keeper_t *keeper);

/* The longest a loop should sleep: `connected_ms` with a connection,
 * otherwise until the next try. */
long kc_db_keeper_wait_ms(const kc_db_keeper_t *keeper, long connected_ms);

/* Close the connection (shutdown). */
void kc_db_keeper_close(kc_db_keeper_t *keeper);

#endif
