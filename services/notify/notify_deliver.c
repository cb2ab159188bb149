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

#define BATCH    64 /* deliveries claimed at once */
#define PARALLEL 16 /* connections open at once */

struct notify_deliver_t {
    kc_config_t config;
    pthread_t thread;
    atomic_bool stop;
    kc_db_keeper_t keeper; /* the delivery thread's own, healed by itself */
    PGconn *db;            /* keeper.conn for the round under way */
};

static const char *s_claim_sql =
    "WITH due AS (SELECT n.id FROM notification n"
    "              WHERE n.status IN ('pending', 'failed') AND n.channel <> 'inbox'"
    "                AND n.next_attempt_at <= to_timestamp($1::bigint / 1000.0)"
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
    "              ORDER BY d.next_attempt_at LIMIT $2::int FOR UPDATE SKIP LOCKED)"
    " UPDATE notify_digest d SET attempts = d.attempts + 1,"
    "        next_attempt_at = to_timestamp(($1::bigint + $3::bigint) / 1000.0)"
    "   FROM due, recipient r WHERE d.id = due.id AND r.user_id = d.recipient_id"
    " RETURNING d.id, true, d.channel, d.attempts,"
    "   CASE d.channel WHEN 'email' THEN r.email ELSE r.webhook_url END,"
    "   r.name, r.user_id, d.subject, d.body, 'low', '', 0,"
    "   (extract(epoch FROM d.created_at) * 1000)::bigint";

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

static int s_claim(notify_deliver_t *self, const char *sql, int64_t now, notify_item_t *items,
                   size_t max, size_t *count, kc_error_t *error)
{
    char now_text[24], limit[16], lease[24];
    snprintf(now_text, sizeof now_text, "%lld", (long long)now);
    snprintf(limit, sizeof limit, "%zu", max);
    /* the lease outlives the transfer's time limit: a crashed worker's
     * claim falls due again, a live one records its outcome first */
    snprintf(lease, sizeof lease, "%d", self->config.notify_timeout_ms + 5000);
    const char *params[3] = {now_text, limit, lease};
    PGresult *result = NULL;
    if (kc_db_run_cached(self->db, sql, 3, params, NULL, NULL, "claiming deliveries", &result,
                         error))
        return -1;
    for (int row = 0; row < PQntuples(result) && *count < BATCH; row++) {
        notify_item_t *item = &items[(*count)++];
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
    PQclear(result);
    return 0;
}

/* The next attempt: base * 2^(attempt - 1), times 0.5 to 1.5 (jitter). */
static int64_t s_backoff_ms(const notify_deliver_t *self, int attempts)
{
    int64_t delay = self->config.notify_backoff_ms;
    for (int i = 1; i < attempts && delay < 3600000; i++)
        delay *= 2;
    uint32_t noise = 0;
    if (getrandom(&noise, sizeof noise, 0) != (ssize_t)sizeof noise)
        noise = 0;
    return delay / 2 + (int64_t)(noise % (uint32_t)(delay + 1));
}

static int s_record(notify_deliver_t *self, const notify_item_t *item, int64_t now,
                    kc_error_t *error)
{
    char id[24], next[24];
    snprintf(id, sizeof id, "%lld", (long long)item->id);
    bool dead = !item->sent && item->attempts >= self->config.notify_attempts;
    const char *status = item->sent ? "sent" : dead ? "dead" : "failed";
    snprintf(next, sizeof next, "%lld", (long long)(now + s_backoff_ms(self, item->attempts)));
    char now_text[24];
    snprintf(now_text, sizeof now_text, "%lld", (long long)now);
    const char *params[5] = {id, status, item->error, next, now_text};
    if (!item->sent)
        kc_log_warn("%s %s %lld to %s, attempt %d: %s%s", item->channel,
                    item->digest ? "digest" : "notification", (long long)item->id, item->user_id,
                    item->attempts, item->error, dead ? " (dead: kcctl notifications replay)" : "");
    return kc_db_run_cached(
        self->db,
        item->digest ? "UPDATE notify_digest SET status = $2, last_error = $3, next_attempt_at ="
                       " to_timestamp($4::bigint / 1000.0), sent_at = CASE WHEN $2 = 'sent' THEN"
                       " to_timestamp($5::bigint / 1000.0) END WHERE id = $1::bigint"
                     : "UPDATE notification SET status = $2, last_error = $3, next_attempt_at ="
                       " to_timestamp($4::bigint / 1000.0), sent_at = CASE WHEN $2 = 'sent' THEN"
                       " to_timestamp($5::bigint / 1000.0) END WHERE id = $1::bigint",
        5, params, NULL, NULL, "recording a delivery", NULL, error);
}

/* One round: digests, claim, send, record. How many were sent or failed. */
static int s_round(notify_deliver_t *self, kc_error_t *error)
{
    static notify_item_t items[BATCH];
    size_t count = 0;
    int64_t now = kc_clock_now_ms();
    char now_text[24];
    snprintf(now_text, sizeof now_text, "%lld", (long long)now);
    const char *params[1] = {now_text};
    if (kc_db_run_cached(self->db, s_digest_sql, 1, params, NULL, NULL, "gathering digests", NULL,
                         error) ||
        s_claim(self, s_claim_sql, now, items, BATCH, &count, error) ||
        s_claim(self, s_claim_digest_sql, now, items, BATCH - count, &count, error))
        return -1;
    notify_send_all(&self->config, items, count, PARALLEL);
    int64_t after = kc_clock_now_ms();
    int rc = (int)count;
    for (size_t i = 0; i < count; i++) {
        if (rc >= 0 && s_record(self, &items[i], after, error))
            rc = -1;
        free(items[i].body);
    }
    return rc;
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
    atomic_init(&self->stop, false);
    if (pthread_create(&self->thread, NULL, s_run, self)) {
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
    free(self);
    *self_p = NULL;
}
