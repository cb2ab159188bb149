/*  kc_audit: appending to the audit log, and checking its hash chain.
 *
 *  Appending is one call of the SQL function audit_append
 *  (deploy/sql/0006_audit.sql, 0017_one_clock.sql), which numbers and
 *  hashes the entry in the caller's transaction at the instant its writer
 *  gives (one clock per entry: the writer's). Checking does not trust that function: it
 *  reads the entries back in id order, a page at a time inside one
 *  read-only snapshot, rebuilds each canonical line here (the same line,
 *  documented in include/kc/kc_audit.h) and hashes it with OpenSSL. The
 *  first entry that does not match — an altered field, a broken link, a
 *  missing id, a head that disagrees with the tail — ends the check and is
 *  named in the verdict.
 */
#include "kc/kc_audit.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/kc_clock.h"
#include "kc/kc_db.h"

#define S_PAGE_SIZE "1000" /* entries read per query while verifying */

static const char s_zero_hash[KC_AUDIT_HASH_SIZE] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Escape `text` into `out` (NULL: only count); returns the escaped length.
 * Backslash, tab, newline and carriage return become two characters each,
 * so an escaped field never holds the tab that separates fields. */
static size_t s_escape(char *out, const char *text)
{
    size_t length = 0;
    for (const char *c = text ? text : ""; *c; c++) {
        char escaped = *c == '\\'   ? '\\'
                       : *c == '\t' ? 't'
                       : *c == '\n' ? 'n'
                       : *c == '\r' ? 'r'
                                    : 0;
        if (out && escaped) {
            out[length] = '\\';
            out[length + 1] = escaped;
        } else if (out)
            out[length] = *c;
        length += escaped ? 2 : 1;
    }
    return length;
}

void kc_audit_escape_into(char *out, size_t size, const char *text)
{
    if (!size)
        return;
    size_t used = strlen(out);
    char pair[3] = {0};
    for (const char *c = text ? text : ""; *c; c++) {
        char one[2] = {*c, '\0'};
        size_t length = s_escape(pair, one);
        if (used + length >= size)
            break; /* never half an escape */
        memcpy(out + used, pair, length);
        used += length;
    }
    out[used] = '\0';
}

void kc_audit_format_time(int64_t at_us, char out[KC_AUDIT_TIME_SIZE])
{
    /* Floor division, so an instant before 1970 still has 0..999999 µs. */
    int64_t seconds = at_us / 1000000, micro = at_us % 1000000;
    if (micro < 0) {
        micro += 1000000;
        seconds--;
    }
    time_t whole = (time_t)seconds;
    struct tm utc;
    if (!gmtime_r(&whole, &utc))
        memset(&utc, 0, sizeof utc);
    char text[80]; /* room for any int, so no truncation to reason about */
    int length = snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                          (utc.tm_year + 1900) % 10000, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                          utc.tm_min, utc.tm_sec, (int)micro);
    size_t used = length > 0 && length < KC_AUDIT_TIME_SIZE ? (size_t)length : 0;
    memcpy(out, text, used);
    out[used] = '\0';
}

char *kc_audit_canonical(int64_t id, int64_t at_us, const kc_audit_entry_t *entry)
{
    char head[64], stamp[KC_AUDIT_TIME_SIZE];
    kc_audit_format_time(at_us, stamp);
    snprintf(head, sizeof head, "%lld\t%s", (long long)id, stamp);
    const char *texts[] = {
        entry->node,         entry->user_id, entry->role,   entry->division_code,
        entry->organisation, entry->action,  entry->target, entry->allowed ? "t" : "f",
        entry->reason,       entry->detail};
    const size_t count = sizeof texts / sizeof texts[0];
    size_t size = strlen(head) + 1;
    for (size_t i = 0; i < count; i++)
        size += 1 + s_escape(NULL, texts[i]);
    char *line = malloc(size);
    if (!line)
        abort(); /* out of memory is not an error the caller can answer */
    size_t used = strlen(head);
    memcpy(line, head, used);
    for (size_t i = 0; i < count; i++) {
        line[used++] = '\t';
        used += s_escape(line + used, texts[i]);
    }
    line[used] = '\0';
    return line;
}

void kc_audit_hash(const char *prev_hash, const char *canonical, char hash[KC_AUDIT_HASH_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    size_t prev_length = strlen(prev_hash), length = strlen(canonical);
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (!context || !EVP_DigestInit_ex(context, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(context, prev_hash, prev_length) || !EVP_DigestUpdate(context, "\n", 1) ||
        !EVP_DigestUpdate(context, canonical, length) ||
        !EVP_DigestFinal_ex(context, digest, &digest_length) || digest_length != 32)
        abort(); /* only without memory */
    EVP_MD_CTX_free(context);
    for (unsigned int i = 0; i < 32; i++) {
        hash[2 * i] = digits[digest[i] >> 4];
        hash[2 * i + 1] = digits[digest[i] & 15];
    }
    hash[64] = '\0';
}

int kc_audit_append(PGconn *conn, const kc_audit_entry_t *entry, int64_t *id, kc_error_t *error)
{
    return kc_audit_append_at(conn, entry, kc_clock_now_ms(), id, error);
}

int kc_audit_append_at(PGconn *conn, const kc_audit_entry_t *entry, int64_t at_ms, int64_t *id,
                       kc_error_t *error)
{
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long)at_ms);
    const char *values[] = {entry->node,
                            entry->user_id,
                            entry->role,
                            entry->division_code,
                            entry->organisation,
                            entry->action,
                            entry->target,
                            entry->allowed ? "t" : "f",
                            entry->reason,
                            entry->detail,
                            at};
    PGresult *result = NULL;
    if (kc_db_run(conn,
                  "SELECT id FROM audit_append($1, $2, $3, $4, $5, $6, $7, $8::boolean, $9, $10,"
                  " to_timestamp($11::bigint / 1000.0))",
                  11, values, NULL, NULL, "appending to the audit log", &result, error))
        return -1;
    if (id)
        *id = kc_db_int(result, 0, 0);
    PQclear(result);
    return 0;
}

/* ---- verification ---------------------------------------------------- */

/* The state of one verification as it walks the chain. */
typedef struct {
    kc_audit_verdict_t *verdict;
    int64_t last_id;                    /* id of the last good entry, 0 before the first */
    char prev_hash[KC_AUDIT_HASH_SIZE]; /* its hash */
} s_walk_t;

static int s_broken(s_walk_t *walk, int64_t id, const char *fmt, const char *a, const char *b)
{
    walk->verdict->first_bad = id;
    snprintf(walk->verdict->problem, sizeof walk->verdict->problem, fmt, a, b);
    return -1;
}

/* Check row `row` of a page; 0 if it extends the chain, -1 if it breaks it. */
static int s_check_row(s_walk_t *walk, const PGresult *page, int row)
{
    int64_t id = kc_db_int(page, row, 0);
    char expected[24], found[24];
    if (id != walk->last_id + 1) {
        snprintf(expected, sizeof expected, "%lld", (long long)walk->last_id);
        snprintf(found, sizeof found, "%lld", (long long)id);
        return s_broken(walk, walk->last_id + 1,
                        "entry missing (ids jump from %s to %s): removed from the log", expected,
                        found);
    }
    const char *prev_hash = PQgetvalue(page, row, 12), *hash = PQgetvalue(page, row, 13);
    if (strcmp(prev_hash, walk->prev_hash) != 0)
        return s_broken(walk, id, "prev_hash %s is not the hash of the entry before it (%s)",
                        prev_hash, walk->prev_hash);
    kc_audit_entry_t entry = {
        .node = PQgetvalue(page, row, 2),
        .user_id = PQgetvalue(page, row, 3),
        .role = PQgetvalue(page, row, 4),
        .division_code = PQgetvalue(page, row, 5),
        .organisation = PQgetvalue(page, row, 6),
        .action = PQgetvalue(page, row, 7),
        .target = PQgetvalue(page, row, 8),
        .allowed = strcmp(PQgetvalue(page, row, 9), "t") == 0,
        .reason = PQgetvalue(page, row, 10),
        .detail = PQgetvalue(page, row, 11),
    };
    char *canonical = kc_audit_canonical(id, kc_db_int(page, row, 1), &entry);
    char computed[KC_AUDIT_HASH_SIZE];
    kc_audit_hash(walk->prev_hash, canonical, computed);
    free(canonical);
    if (strcmp(computed, hash) != 0)
        return s_broken(walk, id,
                        "its fields hash to %s but it records %s: altered after it was appended",
                        computed, hash);
    walk->last_id = id;
    snprintf(walk->prev_hash, sizeof walk->prev_hash, "%s", hash);
    walk->verdict->checked++;
    return 0;
}

/* Walk every entry after the last good one, a page at a time. */
static int s_walk(PGconn *conn, s_walk_t *walk, kc_error_t *error)
{
    for (;;) {
        char after[24];
        snprintf(after, sizeof after, "%lld", (long long)walk->last_id);
        const char *values[] = {after};
        PGresult *page = NULL;
        if (kc_db_run(conn,
                      "SELECT id, (extract(epoch FROM at) * 1000000)::bigint, node, user_id, role,"
                      " division_code, organisation, action, target, allowed, reason, detail,"
                      " prev_hash, hash FROM audit_entry WHERE id > $1::bigint"
                      " ORDER BY id LIMIT " S_PAGE_SIZE,
                      1, values, NULL, NULL, "reading the audit log", &page, error))
            return -1;
        int rows = PQntuples(page), broken = 0;
        for (int row = 0; row < rows && !broken; row++)
            broken = s_check_row(walk, page, row);
        PQclear(page);
        if (broken || rows == 0)
            return 0;
    }
}

/* The head records the last id and hash audit_append wrote: a chain that
 * ends before it lost its tail; one that goes past it, or ends on another
 * hash, was written behind audit_append's back. */
static void s_check_head(s_walk_t *walk, const PGresult *head)
{
    int64_t head_id = kc_db_int(head, 0, 0);
    const char *head_hash = PQgetvalue(head, 0, 1);
    char last[24], recorded[24];
    snprintf(last, sizeof last, "%lld", (long long)walk->last_id);
    snprintf(recorded, sizeof recorded, "%lld", (long long)head_id);
    if (head_id > walk->last_id)
        s_broken(walk, walk->last_id + 1,
                 "entry missing: the chain ends at entry %s but the head records %s entries", last,
                 recorded);
    else if (head_id < walk->last_id)
        s_broken(walk, head_id + 1,
                 "entry %s is past the head's last entry %s: not appended by audit_append", last,
                 recorded);
    else if (strcmp(head_hash, walk->prev_hash) != 0)
        s_broken(walk, walk->last_id, "its hash %s is not the one the head recorded (%s)",
                 walk->prev_hash, head_hash);
}

/* Read the head, then the chain, in the snapshot the caller opened. */
static int s_verify_in_snapshot(PGconn *conn, s_walk_t *walk, kc_error_t *error)
{
    PGresult *head = NULL;
    if (kc_db_run(conn, "SELECT last_id, last_hash FROM audit_head", 0, NULL, NULL, NULL,
                  "reading the audit log head", &head, error))
        return -1;
    if (PQntuples(head) != 1) {
        PQclear(head);
        return kc_error_set(error, KC_ERR_DATABASE, NULL, "the audit log head row is missing");
    }
    int rc = s_walk(conn, walk, error);
    if (rc == 0 && walk->verdict->first_bad == 0)
        s_check_head(walk, head);
    PQclear(head);
    return rc;
}

int kc_audit_verify(PGconn *conn, kc_audit_verdict_t *verdict, kc_error_t *error)
{
    memset(verdict, 0, sizeof *verdict);
    s_walk_t walk = {.verdict = verdict, .last_id = 0};
    memcpy(walk.prev_hash, s_zero_hash, sizeof walk.prev_hash);
    /* The hash covers UTF-8 bytes: read the texts as UTF-8 whatever the
     * session used, and give the session back as it was. */
    int encoding = PQclientEncoding(conn);
    if (PQsetClientEncoding(conn, "UTF8"))
        return kc_error_set(error, KC_ERR_DB_UNAVAILABLE, NULL,
                            "cannot read the audit log as UTF-8");
    /* One snapshot for the head and every page, unless the caller already
     * holds a transaction (then it is theirs). */
    bool own = PQtransactionStatus(conn) == PQTRANS_IDLE;
    int rc = own ? kc_db_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", error) : 0;
    if (rc == 0)
        rc = s_verify_in_snapshot(conn, &walk, error);
    if (own && PQtransactionStatus(conn) != PQTRANS_IDLE) {
        kc_error_t ignored;
        kc_db_exec(conn, "ROLLBACK", &ignored); /* read only: nothing to keep */
    }
    PQsetClientEncoding(conn, pg_encoding_to_char(encoding));
    memcpy(verdict->last_hash, walk.prev_hash, sizeof verdict->last_hash);
    return rc;
}
