/*  store: kc-intake's writes and reads in PostgreSQL.
 *
 *  Writes are committed in groups: every write that arrived while the last
 *  group was committing goes into one transaction, sent through libpq's
 *  pipeline mode as one round trip (BEGIN, one function call per write,
 *  COMMIT). Under load this is what lets single-value submissions outrun
 *  one-transaction-per-message by a wide margin, while each sender still
 *  hears "accepted" only after its data is durable. If a group fails, the
 *  caller commits its writes one by one so one bad write cannot sink the
 *  others.
 */
#ifndef INTAKE_STORE_H
#define INTAKE_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_bus.h"
#include "kc/kc_error.h"

typedef struct {
    /* in */
    const kc_envelope_t *request; /* borrowed; a validated write */
    const char *node;             /* this node's division, the event's node */
    char reference[32];           /* application reference number, drawn beforehand */
    int64_t objection_id;         /* objection id, drawn beforehand */
    char *form_json;              /* application form as JSON (owned) */
    char title[512];              /* title an application is known by until filed */
    char designation[512];        /* name granted at filing ("" if none) */
    /* out */
    int outcome; /* 0 stored or replayed, -1 refused: see error */
    kc_error_t error;
    bool replayed;             /* the key was seen before: first answer returned */
    Kc__V1__Accepted accepted; /* the answer; points into answer_ref: never copy a write */
    char answer_ref[32];
    char *event_type;       /* event appended (owned), NULL if none */
    uint8_t *event_payload; /* packed payload of that event (owned) */
    size_t event_size;
} store_write_t;

/* Prepare the statements on a new connection. */
int store_prepare(PGconn *conn, kc_error_t *error);

/* Set up `write` for `request`; draws reference numbers for applications
 * (MB-2026-000001; MB-2026-130131-000001 on the node of county
 * `county_node`, "" on any other) and objections and builds the event
 * payload. */
int store_write_init(store_write_t *write, PGconn *conn, const kc_envelope_t *request,
                     const char *node, const char *county_node, const char *county_name,
                     kc_error_t *error);
void store_write_release(store_write_t *write);

/* The two halves of store_commit_group, so that a daemon can gather the
 * next group while the database works on this one: send queues BEGIN, the
 * writes and COMMIT on `conn` (pipeline mode) without waiting; finish
 * reads the outcome. Between the two, `writes` must stay where they are
 * and `conn` must not be used. Either returns -1 if the group failed. */
int store_group_send(PGconn *conn, store_write_t *writes, size_t count, kc_error_t *error);
int store_group_finish(PGconn *conn, store_write_t *writes, size_t count, kc_error_t *error);

/* Commit `count` writes in one transaction. -1 if the transaction failed
 * (nothing of the group is stored); per-write refusals (an idempotency key
 * reused with another body) are outcomes, not failures. */
int store_commit_group(PGconn *conn, store_write_t *writes, size_t count, kc_error_t *error);

/* False when the connection cannot take the next group (lost, or left
 * with pending results or an open transaction): drop it and reconnect. */
bool store_connection_usable(PGconn *conn);

/* The first answer given under `key`, if any: 1 and `write` filled (a
 * replay, or KC_ERR_KEY_REUSED when `body` differs), 0 if the key is new. */
int store_find_answer(PGconn *conn, const kc_envelope_t *request, store_write_t *write,
                      kc_error_t *error);

/* The reference number of an application already filed for the same base
 * (programme, county and base name), or "" into `reference`. */
int store_find_same_application(PGconn *conn, const Kc__V1__SubmitApplication *application,
                                char *reference, size_t size, kc_error_t *error);

/* Whether an application with this reference number exists, and whether
 * its public notice is open (objections are taken only then). */
int store_application_exists(PGconn *conn, const char *reference, bool *exists, bool *on_notice,
                             kc_error_t *error);

/* The status and history of one submission, by id or key. */
int store_get_submission(PGconn *conn, const Kc__V1__GetSubmission *query,
                         Kc__V1__SubmissionStatus **status, kc_error_t *error);
void store_submission_status_destroy(Kc__V1__SubmissionStatus **status);

/* Events after a sequence number, at most `limit`. */
int store_list_events(PGconn *conn, int64_t after_seq, int limit, Kc__V1__EventPage **page,
                      kc_error_t *error);

/* The children of a division on the map of a year. */
int store_list_divisions(PGconn *conn, const Kc__V1__ListDivisions *query,
                         Kc__V1__DivisionList **list, kc_error_t *error);

/* Highest event sequence number. */
int store_last_event_seq(PGconn *conn, int64_t *seq, kc_error_t *error);

#endif
