/*  notify_deliver: see notify_deliver.h. */
#include "notify/notify_deliver.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_db_keeper.h"
#include "kc/kc_log.h"
#include "notify/notify_channels.h"

#define PARALLEL    16      /* transfers under way at once */
#define WAIT_MS     100     /* a round's wait for transfers to end */
#define LEASE_MS    5000    /* beyond the time limit: time to record an outcome */
#define BACKOFF_MAX 3600000 /* the longest wait before a retry, before jitter */

struct notify_deliver_t {
    kc_config_t config;
    pthread_t thread;
    atomic_bool stop;
    kc_db_keeper_t keeper;   /* the delivery thread's own, healed by itself */
    PGconn *db;              /* keeper.conn for the round under way */
    notify_sender_t *sender; /* the transfers under way; the worker's alone */
};

/* A claim is the attempt's record, committed before its transfer starts:
 * attempts + 1, and the lease (next_attempt_at) moved past the transfer's
 * time limit. Only what has attempts left is claimed. */
static const char *s_claim_sql =
    "WITH due AS (SELECT n.id FROM notification n"
    "              WHERE n.status IN ('pending', 'failed') AND n.channel <> 'inbox'"
    "                AND n.next_attempt_at <= to_timestamp($1::bigint / 1000.0)"
    "                AND n.attempts < $4::int"
    "              ORDER BY n.next_attempt_at LIMIT $2::int FOR UPDATE SKIP LOCKED)"
    " UPDATE notification n SET attempts = n.attempts + 1,"
    "        next_attempt_at = to_timestamp(($1::bigint + $3::bigint) / 1000.0)"
    "   FROM due, recipient r WHERE n.id = due.id AND r.user_id = n.recipient_id"
    " RETURNING n.id, false, n.channel, n.attempts,"
    "   CASE n.channel WHEN 'email' THEN r.email WHEN 'webhook' THEN r.webhook_url"
    "        ELSE r.phone END,"
    "   r.name, r.user_id, n.subject, n.body, n.priority, n.application_ref, n.event_seq,"
    "   (extract(epoch FROM n.created_at) * 1000)::bigint";

static const char *s_claim_digest_sql =
    "WITH due AS (SELECT d.id FROM notify_digest d"
    "              WHERE d.status IN ('pending', 'failed')"
    "                AND d.next_attempt_at <= to_timestamp($1::bigint / 1000.0)"
    "                AND d.attempts < $4::int"
    "              ORDER BY d.next_attempt_at LIMIT $2::int FOR UPDATE SKIP LOCKED)"
    " UPDATE notify_digest d SET attempts = d.attempts + 1,"
    "        next_attempt_at = to_timestamp(($1::bigint + $3::bigint) / 1000.0)"
    "   FROM due, recipient r WHERE d.id = due.id AND r.user_id = d.recipient_id"
    " RETURNING d.id, true, d.channel, d.attempts,"
    "   CASE d.channel WHEN 'email' THEN r.email ELSE r.webhook_url END,"
    "   r.name, r.user_id, d.subject, d.body, 'low', '', 0,"
    "   (extract(epoch FROM d.created_at) * 1000)::bigint";

/* A claim whose lease ran out with no outcome recorded was an attempt cut
 * short (kc-notify killed, or its database lost, mid-transfer). It counts;
 * if it was the last one, the notification is dead now rather than tried
 * once more than the limit allows. */
static const char *s_interrupted_sql =
    "UPDATE notification SET status = 'dead', last_error = format('attempt %s of %s cut short:"
    " no outcome recorded (kc-notify stopped or lost its database during the transfer)',"
    " attempts, $2::int)"
    " WHERE status IN ('pending', 'failed') AND channel <> 'inbox' AND attempts >= $2::int"
    "   AND next_attempt_at <= to_timestamp($1::bigint / 1000.0)";

static const char *s_interrupted_digest_sql =
    "UPDATE notify_digest SET status = 'dead', last_error = format('attempt %s of %s cut short:"
    " no outcome recorded (kc-notify stopped or lost its database during the transfer)',"
    " attempts, $2::int)"
    " WHERE status IN ('pending', 'failed') AND attempts >= $2::int"
    "   AND next_attempt_at <= to_timestamp($1::bigint / 1000.0)";

/* Gather the low-priority notifications whose digest time has passed into
 * their person's digest of that day. */
static const char *s_digest_sql =
    "WITH groups AS ("
    "  SELECT n.recipient_id, n.channel, n.digest_date, count(*) AS k,"
    "         string_agg('· ' || n.subject || E'\\n  ' || n.body, E'\\n' ORDER BY n.id) AS text"
    "    FROM notification n JOIN recipient r ON r.user_id = n.recipient_id"
    "   WHERE n.status = 'digest' AND n.digest_id IS NULL"
    "     AND notify_from_china(n.digest_date + make_interval(mins => r.digest_minute))"
    "         <= to_timestamp($1::bigint / 1000.0)"
    "   GROUP BY 1, 2, 3),"
    " made AS (INSERT INTO notify_digest (recipient_id, channel, digest_date, notifications,"
    "            subject, body, next_attempt_at)"
    "          SELECT recipient_id, channel, digest_date, k,"
    "                 format('【每日汇总】%s：%s 条通知', digest_date, k), text,"
    "                 to_timestamp($1::bigint / 1000.0) FROM groups"
    "          ON CONFLICT (recipient_id, channel, digest_date) DO NOTHING"
    "          RETURNING id, recipient_id, channel, digest_date)"
    " UPDATE notification n SET digest_id = made.id FROM made"
    "  WHERE n.status = 'digest' AND n.digest_id IS NULL AND n.recipient_id = made.recipient_id"
    "    AND n.channel = made.channel AND n.digest_date = made.digest_date";

/* The outcome of one attempt, only while that attempt is still the current
 * one: a late outcome never overwrites a later claim or a dead letter. */
static const char *s_record_sql =
    "UPDATE notification SET status = $2, last_error = $3,"
    " next_attempt_at = to_timestamp($4::bigint / 1000.0),"
    " sent_at = CASE WHEN $2 = 'sent' THEN to_timestamp($5::bigint / 1000.0) END"
    " WHERE id = $1::bigint AND attempts = $6::int AND status IN ('pending', 'failed')";

static const char *s_record_digest_sql =
    "UPDATE notify_digest SET status = $2, last_error = $3,"
    " next_attempt_at = to_timestamp($4::bigint / 1000.0),"
    " sent_at = CASE WHEN $2 = 'sent' THEN to_timestamp($5::bigint / 1000.0) END"
    " WHERE id = $1::bigint AND attempts = $6::int AND status IN ('pending', 'failed')";

static void s_read_item(const PGresult *result, int row, notify_item_t *item)
{
    memset(item, 0, sizeof *item);
    item->id = kc_db_int(result, row, 0);
    item->digest = PQgetvalue(result, row, 1)[0] == 't';
    snprintf(item->channel, sizeof item->channel, "%s", PQgetvalue(result, row, 2));
    item->attempts = (int)kc_db_int(result, row, 3);
    snprintf(item->address, sizeof item->address, "%s", PQgetvalue(result, row, 4));
    snprintf(item->name, sizeof item->name, "%s", PQgetvalue(result, row, 5));
    snprintf(item->user_id, sizeof item->user_id, "%s", PQgetvalue(result, row, 6));
    snprintf(item->subject, sizeof item->subject, "%s", PQgetvalue(result, row, 7));
    item->body = strdup(PQgetvalue(result, row, 8));
    if (!item->body)
        abort();
    snprintf(item->priority, sizeof item->priority, "%s", PQgetvalue(result, row, 9));
    snprintf(item->application_ref, sizeof item->application_ref, "%s",
             PQgetvalue(result, row, 10));
    item->event_seq = kc_db_int(result, row, 11);
    item->created_ms = kc_db_int(result, row, 12);
}

/* Claim up to `room` due deliveries and start each transfer at once: the
 * claim has committed (the attempt is counted) before its transfer starts,
 * and nothing claimed waits for a connection, so the lease — the time
 * limit and LEASE_MS — covers the whole transfer. How many started. */
static int s_claim(notify_deliver_t *self, const char *sql, int64_t now, size_t room,
                   kc_error_t *error)
{
    char now_text[24], limit[16], lease[24], attempts[16];
    snprintf(now_text, sizeof now_text, "%lld", (long long)now);
    snprintf(limit, sizeof limit, "%zu", room);
    snprintf(lease, sizeof lease, "%d", self->config.notify_timeout_ms + LEASE_MS);
    snprintf(attempts, sizeof attempts, "%d", self->config.notify_attempts);
    const char *params[4] = {now_text, limit, lease, attempts};
    PGresult *result = NULL;
    if (kc_db_run_cached(self->db, sql, 4, params, NULL, NULL, "claiming deliveries", &result,
                         error))
        return -1;
    int started = 0;
    for (int row = 0; row < PQntuples(result) && (size_t)row < room; row++) {
        notify_item_t item;
        s_read_item(result, row, &item);
        notify_sender_start(self->sender, &item);
        started++;
    }
    PQclear(result);
    return started;
}

/* Mark as dead what had its last attempt cut short. */
static int s_bury_interrupted(notify_deliver_t *self, int64_t now, kc_error_t *error)
{
    char now_text[24], attempts[16];
    snprintf(now_text, sizeof now_text, "%lld", (long long)now);
    snprintf(attempts, sizeof attempts, "%d", self->config.notify_attempts);
    const char *params[2] = {now_text, attempts};
    return kc_db_run_cached(self->db, s_interrupted_sql, 2, params, NULL, NULL,
                            "ending interrupted deliveries", NULL, error) ||
                   kc_db_run_cached(self->db, s_interrupted_digest_sql, 2, params, NULL, NULL,
                                    "ending interrupted digests", NULL, error)
               ? -1
               : 0;
}

/* The wait after failed attempt n: min(base * 2^(n-1), BACKOFF_MAX), times
 * 0.5 to 1.5 (jitter), from the moment the failure is recorded. */
int64_t notify_deliver_backoff_ms(int base_ms, int attempts, uint32_t noise)
{
    int64_t delay = base_ms;
    for (int i = 1; i < attempts && delay < BACKOFF_MAX; i++)
        delay *= 2;
    if (delay > BACKOFF_MAX)
        delay = BACKOFF_MAX;
    return delay / 2 + (int64_t)(noise % (uint32_t)(delay + 1));
}

static int64_t s_backoff_ms(const notify_deliver_t *self, int attempts)
{
    uint32_t noise = 0;
    if (getrandom(&noise, sizeof noise, 0) != (ssize_t)sizeof noise)
        noise = 0;
    return notify_deliver_backoff_ms(self->config.notify_backoff_ms, attempts, noise);
}

/* Record one attempt's outcome as its transfer ends. */
static int s_record(notify_deliver_t *self, const notify_item_t *item, kc_error_t *error)
{
    int64_t now = kc_clock_now_ms();
    char id[24], next[24], now_text[24], attempt[16];
    snprintf(id, sizeof id, "%lld", (long long)item->id);
    bool dead = !item->sent && item->attempts >= self->config.notify_attempts;
    const char *status = item->sent ? "sent" : dead ? "dead" : "failed";
    snprintf(next, sizeof next, "%lld", (long long)(now + s_backoff_ms(self, item->attempts)));
    snprintf(now_text, sizeof now_text, "%lld", (long long)now);
    snprintf(attempt, sizeof attempt, "%d", item->attempts);
    const char *params[6] = {id, status, item->error, next, now_text, attempt};
    if (!item->sent)
        kc_log_warn("%s %s %lld to %s, attempt %d of %d: %s%s", item->channel,
                    item->digest ? "digest" : "notification", (long long)item->id, item->user_id,
                    item->attempts, self->config.notify_attempts, item->error,
                    dead ? " (dead: kcctl notifications replay)" : "");
    return kc_db_run_cached(self->db, item->digest ? s_record_digest_sql : s_record_sql, 6, params,
                            NULL, NULL, "recording a delivery", NULL, error);
}

/* What the sender hands back is recorded at once; after one failure to
 * record, the rest are left to their leases. */
typedef struct {
    notify_deliver_t *self;
    kc_error_t *error;
    bool failed;
} s_recording_t;

static void s_on_ended(const notify_item_t *item, void *context)
{
    s_recording_t *recording = context;
    if (!recording->failed && s_record(recording->self, item, recording->error))
        recording->failed = true;
}

/* One round: digests, cut-short attempts, claims for the free slots, a
 * short wait for transfers, their outcomes. Returns how many deliveries
 * started, ended or are still under way (0: idle), or -1. */
static int s_round(notify_deliver_t *self, kc_error_t *error)
{
    int64_t now = kc_clock_now_ms();
    char now_text[24];
    snprintf(now_text, sizeof now_text, "%lld", (long long)now);
    const char *params[1] = {now_text};
    if (kc_db_run_cached(self->db, s_digest_sql, 1, params, NULL, NULL, "gathering digests", NULL,
                         error) ||
        s_bury_interrupted(self, now, error))
        return -1;
    int started = 0, digests = 0;
    size_t room = notify_sender_room(self->sender);
    if (room > 0 && (started = s_claim(self, s_claim_sql, now, room, error)) < 0)
        return -1;
    room -= (size_t)started;
    if (room > 0 && (digests = s_claim(self, s_claim_digest_sql, now, room, error)) < 0)
        return -1;
    s_recording_t recording = {self, error, false};
    size_t ended = notify_sender_run(self->sender, WAIT_MS, s_on_ended, &recording);
    if (recording.failed)
        return -1;
    return started + digests + (int)ended + (int)notify_sender_busy(self->sender);
}

/* On a clean stop, let the transfers under way end (each within its time
 * limit) and record them, rather than leave them to their leases: a stop
 * then cuts no attempt short. */
static void s_drain(notify_deliver_t *self)
{
    kc_error_t error;
    while (self->db && notify_sender_busy(self->sender) > 0) {
        s_recording_t recording = {self, &error, false};
        notify_sender_run(self->sender, WAIT_MS, s_on_ended, &recording);
        if (recording.failed) {
            kc_log_warn("delivery: %s", error.message);
            return;
        }
    }
}

static void *s_run(void *context)
{
    notify_deliver_t *self = context;
    kc_error_t error;
    kc_db_keeper_init(&self->keeper, self->config.conninfo, "kc-notify delivery", "delivery", NULL,
                      NULL);
    while (!atomic_load(&self->stop)) {
        if (!(self->db = kc_db_keeper_get(&self->keeper, NULL))) {
            /* short naps, so that a stop is not kept waiting for a try */
            long wait = kc_db_keeper_wait_ms(&self->keeper, 100);
            usleep((useconds_t)(wait > 100 ? 100 : wait > 0 ? wait : 1) * 1000);
            continue;
        }
        int done = s_round(self, &error);
        /* a lost connection is the outage's to log, once */
        if (done < 0 && !kc_db_keeper_check(&self->keeper))
            kc_log_warn("delivery: %s", error.message);
        if (done <= 0)
            usleep(100 * 1000);
    }
    s_drain(self);
    kc_db_keeper_close(&self->keeper);
    self->db = NULL;
    return NULL;
}

notify_deliver_t *notify_deliver_start(const kc_config_t *config, kc_error_t *error)
{
    notify_deliver_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->config = *config;
    self->sender = notify_sender_new(&self->config, PARALLEL);
    atomic_init(&self->stop, false);
    if (pthread_create(&self->thread, NULL, s_run, self)) {
        notify_sender_destroy(&self->sender);
        free(self);
        kc_error_set(error, KC_ERR_INTERNAL, NULL, "cannot start the delivery worker");
        return NULL;
    }
    return self;
}

void notify_deliver_stop(notify_deliver_t **self_p)
{
    notify_deliver_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    atomic_store(&self->stop, true);
    pthread_join(self->thread, NULL);
    notify_sender_destroy(&self->sender);
    free(self);
    *self_p = NULL;
}
