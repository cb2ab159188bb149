/*  kc_db_keeper: see kc_db_keeper.h. */
#include "kc/kc_db_keeper.h"

#include <stdio.h>
#include <string.h>

#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_log.h"

#define FIRST_WAIT_MS   250
#define LONGEST_WAIT_MS 5000

void kc_outage_init(kc_outage_t *outage, const char *loop)
{
    memset(outage, 0, sizeof *outage);
    snprintf(outage->loop, sizeof outage->loop, "%s", loop);
}

void kc_outage_failed(kc_outage_t *outage, const char *why)
{
    int64_t now = kc_clock_mono_us();
    if (!outage->since_us) {
        outage->since_us = now;
        outage->tries = 0;
        outage->wait_ms = 0;
        kc_log_warn("%s: database unavailable: %s (connecting again by itself, every %.2f s "
                    "growing to %d s)",
                    outage->loop, why && *why ? why : "the connection was lost",
                    FIRST_WAIT_MS / 1000.0, LONGEST_WAIT_MS / 1000);
    } else
        outage->tries++;
    outage->tried_us = now;
    outage->wait_ms = outage->wait_ms ? outage->wait_ms * 2 : FIRST_WAIT_MS;
    if (outage->wait_ms > LONGEST_WAIT_MS)
        outage->wait_ms = LONGEST_WAIT_MS;
    outage->retry_at_us = now + (int64_t)outage->wait_ms * 1000;
}

void kc_outage_ended(kc_outage_t *outage)
{
    if (outage->since_us)
        kc_log_notice("%s: database connection back after %.1f s (%ld failed tr%s)", outage->loop,
                      (double)(kc_clock_mono_us() - outage->since_us) / 1e6, outage->tries,
                      outage->tries == 1 ? "y" : "ies");
    outage->since_us = 0;
    outage->retry_at_us = 0;
    outage->wait_ms = 0;
    outage->tries = 0;
}

bool kc_outage_try_due(const kc_outage_t *outage)
{
    return kc_clock_mono_us() >= outage->retry_at_us;
}

bool kc_outage_request_may_try(const kc_outage_t *outage)
{
    int64_t now = kc_clock_mono_us();
    return now >= outage->retry_at_us || now - outage->tried_us >= FIRST_WAIT_MS * 1000;
}

long kc_outage_wait_ms(const kc_outage_t *outage)
{
    int64_t left = outage->retry_at_us - kc_clock_mono_us();
    return left <= 0 ? 0 : (long)((left + 999) / 1000);
}

void kc_outage_try_now(kc_outage_t *outage)
{
    outage->retry_at_us = 0;
}

void kc_db_keeper_init(kc_db_keeper_t *keeper, const char *conninfo, const char *who,
                       const char *loop, kc_db_setup_fn setup, void *context)
{
    memset(keeper, 0, sizeof *keeper);
    keeper->conninfo = conninfo;
    snprintf(keeper->who, sizeof keeper->who, "%s", who);
    keeper->setup = setup;
    keeper->context = context;
    kc_outage_init(&keeper->outage, loop);
}

static PGconn *s_get(kc_db_keeper_t *keeper, bool may_try, kc_error_t *error)
{
    kc_error_t local;
    if (!error)
        error = &local;
    if (keeper->conn)
        return keeper->conn;
    if (!may_try) {
        kc_error_set(error, KC_ERR_DB_UNAVAILABLE, NULL, "the database is unavailable");
        kc_error_hint(error, "数据库暂不可用，服务正在自动重连，请稍后重试");
        return NULL;
    }
    /* held while the setup runs, so that it may call what uses the keeper */
    keeper->conn = kc_db_connect(keeper->conninfo, keeper->who, error);
    if (keeper->conn && keeper->setup && keeper->setup(keeper->conn, keeper->context, error))
        kc_db_disconnect(&keeper->conn);
    if (!keeper->conn) {
        char why[KC_ERROR_MESSAGE_MAX + KC_ERROR_DETAIL_MAX + 2];
        snprintf(why, sizeof why, "%s%s%s", error->message, *error->detail ? ": " : "",
                 error->detail);
        kc_outage_failed(&keeper->outage, why);
        error->code = KC_ERR_DB_UNAVAILABLE;
        kc_error_hint(error, "数据库暂不可用，服务正在自动重连，请稍后重试");
        return NULL;
    }
    kc_outage_ended(&keeper->outage);
    return keeper->conn;
}

PGconn *kc_db_keeper_get(kc_db_keeper_t *keeper, kc_error_t *error)
{
    return s_get(keeper, keeper->conn || kc_outage_try_due(&keeper->outage), error);
}

PGconn *kc_db_keeper_for_request(kc_db_keeper_t *keeper, kc_error_t *error)
{
    return s_get(keeper, keeper->conn || kc_outage_request_may_try(&keeper->outage), error);
}

bool kc_db_keeper_check(kc_db_keeper_t *keeper)
{
    if (!keeper->conn || !kc_db_is_lost(keeper->conn))
        return false;
    char why[256];
    snprintf(why, sizeof why, "%s", PQerrorMessage(keeper->conn));
    why[strcspn(why, "\n")] = '\0';
    kc_db_disconnect(&keeper->conn);
    kc_outage_failed(&keeper->outage, *why ? why : "the connection was lost");
    /* the first try comes at once: a server that restarted quickly, or a
     * connection ended by an administrator, is back before any wait */
    kc_outage_try_now(&keeper->outage);
    return true;
}

bool kc_db_keeper_consume(kc_db_keeper_t *keeper)
{
    if (!keeper->conn)
        return false;
    if (PQconsumeInput(keeper->conn) && !kc_db_is_lost(keeper->conn))
        return true;
    if (!kc_db_keeper_check(keeper)) {
        /* libpq reported a read failure but still calls the connection
         * good: it is not usable either way */
        kc_db_disconnect(&keeper->conn);
        kc_outage_failed(&keeper->outage, "reading from the connection failed");
        kc_outage_try_now(&keeper->outage);
    }
    return false;
}

int kc_db_keeper_socket(const kc_db_keeper_t *keeper)
{
    return keeper->conn ? PQsocket(keeper->conn) : -1;
}

long kc_db_keeper_wait_ms(const kc_db_keeper_t *keeper, long connected_ms)
{
    if (keeper->conn)
        return connected_ms;
    long wait = kc_outage_wait_ms(&keeper->outage);
    return wait < connected_ms || connected_ms < 0 ? wait : connected_ms;
}

void kc_db_keeper_close(kc_db_keeper_t *keeper)
{
    kc_db_disconnect(&keeper->conn);
}
