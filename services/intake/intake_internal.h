/*  intake_internal: what the files of the kc-intake server share — the
 *  server's state, its lanes, and the few functions one file offers the
 *  other. Not for use outside services/intake/.
 */
#ifndef INTAKE_INTERNAL_H
#define INTAKE_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "intake/catalogue.h"
#include "intake/intake_server.h"
#include "intake/store.h"
#include "intake/touched.h"
#include "kc/kc_bus.h"
#include "kc/kc_db_keeper.h"

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
} intake_pending_t;

typedef struct {
    PGconn *db;              /* NULL while the database is unreachable */
    intake_pending_t *group; /* writes of this lane's group... */
    store_write_t *writes;   /* ...and what the store makes of them, index for index */
    size_t count;            /* writes in the group */
    bool in_flight;          /* sent to the database, outcome not read yet */
    touched_t touched;       /* cells and keys of its writes */
} intake_lane_t;

struct intake_server_t {
    kc_config_t config;
    void *context;
    void *router;                  /* requests in, answers out */
    void *publisher;               /* events out */
    void *monitor;                 /* connection events of the router */
    intake_lane_t lanes[LANES];    /* lanes[0].db is also the control connection */
    int lane;                      /* the lane gathering writes */
    catalogue_t *catalogue;        /* NULL until the database was first reached */
    kc_outage_t outage;            /* the lanes' connections lost: one outage, logged twice */
    long refused;                  /* requests refused at the door, not yet logged */
    int64_t refused_logged_us;     /* when they were last logged */
    long undelivered;              /* answers lost to gone or full peers, not yet logged */
    int64_t undelivered_logged_us; /* when they were last logged */
    Kc__V1__Event **held;          /* committed events waiting for earlier ones */
    size_t held_count;
    size_t held_capacity;
    int64_t next_seq;  /* next event to publish; 0 when unknown */
    bool others_wrote; /* NOTIFY kc_events: kc-scoring or kcctl appended events to publish */
};

/* Connect the lanes and load the catalogue if needed (a try when the
 * outage's wait is over: 250 ms doubling to 5 s, or, `asked` by a request,
 * when the last try is 250 ms old); true when writes can be taken. */
bool intake_database_ready(intake_server_t *self, bool asked);

/* Everything received so far committed and answered; afterwards the
 * control connection (lanes[0].db) is idle and may be used synchronously. */
void intake_quiesce(intake_server_t *self);

/* Answers to the sender of `pending`, never blocking. */
void intake_reply(intake_server_t *self, const intake_pending_t *pending, kc_envelope_t *reply);
void intake_reply_errors(intake_server_t *self, const intake_pending_t *pending,
                         const kc_errors_t *errors);
void intake_reply_error(intake_server_t *self, const intake_pending_t *pending,
                        const kc_error_t *error);
void intake_reply_accepted(intake_server_t *self, const intake_pending_t *pending,
                           Kc__V1__Accepted *accepted);

/* Handle one decoded request (intake_requests.c); takes ownership of
 * pending->request when the write is queued (and then sets it to NULL). */
void intake_dispatch(intake_server_t *self, intake_pending_t *pending);

#endif
