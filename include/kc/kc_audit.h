/*  kc_audit: the node's append-only, tamper-evident audit log.
 *
 *  Every attempt to act — allowed or refused — becomes one audit_entry row
 *  (deploy/sql/0006_audit.sql). Entries have gapless ids, assigned under a
 *  row lock on audit_head as the event log does, and each is chained to the
 *  one before by a hash:
 *
 *      hash = hex(sha256(prev_hash || "\n" || canonical))
 *
 *  where prev_hash is the previous entry's hash (64 zeros for entry 1) and
 *  canonical is one line of every field, in this order, joined with tabs:
 *
 *      id  at  node  user_id  role  division_code  organisation
 *      action  target  allowed  reason  detail
 *
 *  id in decimal; at in UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ (microseconds,
 *  what timestamptz stores); allowed as t or f; every text field escaped
 *  (backslash as \\, tab as \t, newline as \n, carriage return as \r) so
 *  no field can forge a boundary: two different entries never share a
 *  line. The writer gives `at` (one clock per entry, its writer's:
 *  kc_audit_append_at); the database computes the hash when it appends
 *  (audit_append); kc_audit_verify recomputes every one here, with
 *  OpenSSL, so a check does not trust the code that wrote the chain.
 *
 *  UPDATE and DELETE are refused by a trigger; a superuser who disables it
 *  and alters, removes or appends an entry behind the log's back breaks
 *  the chain at that entry, and verification names it. (Rewriting the
 *  whole chain from the altered entry on, head included, stays possible to
 *  a superuser: the last hash that `kcctl audit verify` prints is what an
 *  operator records elsewhere to anchor the chain.)
 */
#ifndef KC_AUDIT_H
#define KC_AUDIT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "kc/kc_error.h"

#define KC_AUDIT_HASH_SIZE   65 /* 64 hex digits and a NUL */
#define KC_AUDIT_TIME_SIZE   28 /* "YYYY-MM-DDTHH:MM:SS.ffffffZ" and a NUL */
#define KC_AUDIT_PROBLEM_MAX 320

/* One attempt to act, as the caller describes it; NULL texts are "". */
typedef struct {
    const char *node;          /* the node that took the decision */
    const char *user_id;       /* the acting user */
    const char *role;          /* their role */
    const char *division_code; /* their division */
    const char *organisation;  /* their organisation, "" if none */
    const char *action;        /* what was attempted, e.g. "workflow.act:city_recommend" */
    const char *target;        /* what it was attempted on: application ref, run id... */
    bool allowed;              /* whether it was allowed */
    const char *reason;        /* why refused, or the decision's reason */
    const char *detail;        /* JSON or "" */
} kc_audit_entry_t;

/* Append one entry in the caller's open transaction (or as a transaction
 * of its own when none is open) by calling audit_append. The entry
 * commits or rolls back with the action it records; a refusal is audited
 * by committing its entry in a transaction of its own. Holds the head's
 * row lock until that transaction ends. *id (may be NULL) receives the
 * entry's id. KC_ERR_DATABASE / KC_ERR_DB_UNAVAILABLE on failure. */
int kc_audit_append(PGconn *conn, const kc_audit_entry_t *entry, int64_t *id, kc_error_t *error);

/* kc_audit_append with the entry's instant `at_ms` (Unix ms) taken by the
 * writer, so that the entry shows the same time as the rows it goes with
 * (a step and its event); kc_audit_append passes the writer's clock
 * (kc_clock_now_ms). Needs deploy/sql/0018_one_clock.sql. */
int kc_audit_append_at(PGconn *conn, const kc_audit_entry_t *entry, int64_t at_ms, int64_t *id,
                       kc_error_t *error);

/* The canonical line of an entry (see above), malloc'd; the caller frees
 * it. `at_us` is microseconds since 1970-01-01 UTC. Aborts without
 * memory. */
char *kc_audit_canonical(int64_t id, int64_t at_us, const kc_audit_entry_t *entry);

/* hex(sha256(prev_hash || "\n" || canonical)) into `hash`. */
void kc_audit_hash(const char *prev_hash, const char *canonical, char hash[KC_AUDIT_HASH_SIZE]);

/* `at_us` in the canonical time format, "2026-05-01T08:30:00.000123Z". */
void kc_audit_format_time(int64_t at_us, char out[KC_AUDIT_TIME_SIZE]);

/* Append `text` to `out` (of `size` bytes, NUL-terminated, truncated if
 * need be) escaped as in the canonical line; for one-line printing. */
void kc_audit_escape_into(char *out, size_t size, const char *text);

/* What a verification found. */
typedef struct {
    int64_t checked;                    /* entries whose hash matched, in id order */
    int64_t first_bad;                  /* id of the first entry that does not, 0 if none */
    char last_hash[KC_AUDIT_HASH_SIZE]; /* hash of the last good entry (zeros if none) */
    char problem[KC_AUDIT_PROBLEM_MAX]; /* what differs at first_bad, "" if intact */
} kc_audit_verdict_t;

/* Read every entry in id order (in pages, in one read-only snapshot),
 * recompute every hash and check each prev_hash against the entry before,
 * the ids for gaps, and the head for a truncated tail. Returns 0 when the
 * check ran — the chain is intact iff verdict->first_bad == 0 — and -1
 * with `error` filled when the database could not be read. */
int kc_audit_verify(PGconn *conn, kc_audit_verdict_t *verdict, kc_error_t *error);

#endif
