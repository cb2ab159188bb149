/*  cmd_notify: the notification definition, the recipients, the inbox.
 *
 *    kcctl notify check|load FILE.ini      routes and templates (deploy/notify/)
 *    kcctl recipients load FILE.csv        user_id,name,role,division_code,organisation,email
 *                                          [,phone,webhook_url,quiet_hours,digest_time]
 *                                          (quiet hours "22:00-07:00", digest "18:00", China time)
 *    kcctl recipients prefer USER EVENT_TYPE CHANNELS   the channels a person wants
 *    kcctl notifications [--unread]        the actor's in-app inbox (--user)
 *    kcctl notifications read ID ...       mark them read
 *    kcctl notifications dead              the dead letters (operator)
 *    kcctl notifications replay ID ...     send dead ones again (operator, audited)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/kc_audit.h"
#include "kc/kc_db.h"
#include "kcctl/csv_table.h"
#include "kcctl/kcctl.h"
#include "notify/notify_rules.h"
#include "scoring/snapshot.h"

static int s_store(kcctl_t *self, const notify_rules_t *rules, const char *text, size_t size)
{
    kc_error_t error;
    char sha[65], by[160];
    snapshot_sha256(text, size, sha);
    snprintf(by, sizeof by, "%s@%s", self->user, self->config.node_id);
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl", &error);
    if (!conn) {
        kcctl_print_error(&error);
        return -1;
    }
    const char *params[4] = {rules->code, text, sha, by};
    PGresult *result = NULL;
    int rc = kc_db_run(conn,
                       "WITH stored AS (INSERT INTO notify_definition (code, source, sha256,"
                       " loaded_by) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING"
                       " RETURNING code), known AS (SELECT sha256 FROM notify_definition"
                       " WHERE code = $1)"
                       " SELECT (SELECT count(*) FROM stored), (SELECT sha256 FROM known),"
                       " pg_notify('kc_notify', $1)",
                       4, params, NULL, NULL, "storing the definition", &result, &error);
    if (rc)
        kcctl_print_error(&error);
    else if (strcmp(PQgetvalue(result, 0, 0), "1") == 0)
        printf("notification definition %s stored (sha256 %s)\n", rules->code, sha);
    else if (strcmp(PQgetvalue(result, 0, 1), sha) == 0)
        printf("notification definition %s unchanged\n", rules->code);
    else {
        fprintf(stderr,
                "refused: %s is already stored with other content (a stored version"
                " never changes: give the new one a new code)\n",
                rules->code);
        rc = -1;
    }
    PQclear(result);
    kc_db_disconnect(&conn);
    return rc;
}

int kcctl_notify(kcctl_t *self)
{
    size_t size = 0;
    char *text = NULL;
    int load = kcctl_rules_begin(self, "notify", &text, &size);
    if (load < 0)
        return -1;
    static notify_rules_t rules;
    kc_errors_t errors;
    kc_errors_init(&errors);
    int rc = notify_rules_parse(text, size, &rules, &errors);
    if (rc) {
        kcctl_rules_refused(self, &errors);
    } else {
        printf("notification definition %s: %zu templates, %zu routes\n", rules.code,
               rules.n_templates, rules.n_routes);
        if (load)
            rc = s_store(self, &rules, text, size);
    }
    kc_errors_release(&errors);
    free(text);
    return rc;
}

static const char *s_cell(const csv_table_t *table, const csv_row_t *row, size_t i)
{
    return i < row->count ? table->cells[row->first + i].text : "";
}

/* kcctl recipients prefer USER EVENT_TYPE CHANNEL[,CHANNEL...] */
static int s_prefer(kcctl_t *self)
{
    char channels[128];
    snprintf(channels, sizeof channels, "{%s}", self->positional[3]);
    const char *params[3] = {self->positional[1], self->positional[2], channels};
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl recipients", &error);
    int rc = !conn ? -1
                   : kc_db_run(conn,
                               "INSERT INTO notify_preference (recipient_id, event_type, channels)"
                               " VALUES ($1, $2, $3::text[]) ON CONFLICT (recipient_id, event_type)"
                               " DO UPDATE SET channels = excluded.channels",
                               3, params, NULL, NULL, "storing the preference", NULL, &error);
    if (rc)
        kcctl_print_error(&error);
    else
        printf("%s: %s by %s\n", self->positional[1], self->positional[2], self->positional[3]);
    kc_db_disconnect(&conn);
    return rc;
}

int kcctl_recipients(kcctl_t *self)
{
    if (self->positional_count == 4 && strcmp(self->positional[0], "prefer") == 0)
        return s_prefer(self);
    if (self->positional_count != 2 || strcmp(self->positional[0], "load") != 0) {
        fprintf(stderr, "usage: kcctl recipients load FILE.csv\n"
                        "       kcctl recipients prefer USER EVENT_TYPE inbox,email,webhook,sms\n");
        return -1;
    }
    csv_table_t table;
    kc_error_t error;
    if (csv_table_read(&table, self->positional[1], &error)) {
        kcctl_print_error(&error);
        return -1;
    }
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl recipients", &error);
    int rc = -1, loaded = 0;
    if (!conn || kc_db_exec(conn, "BEGIN", &error)) {
        kcctl_print_error(&error);
        goto done;
    }
    for (size_t r = 1; r < table.row_count; r++) {
        const csv_row_t *row = &table.rows[r];
        if (row->count == 1 && !*s_cell(&table, row, 0))
            continue;
        const char *params[10];
        for (size_t i = 0; i < 10; i++)
            params[i] = s_cell(&table, row, i);
        bool shape = row->count == 6 || row->count == 10;
        if (!shape ||
            kc_db_run(
                conn,
                "INSERT INTO recipient (user_id, name, role, division_code, organisation,"
                " email, phone, webhook_url, quiet_start, quiet_end, digest_minute)"
                " SELECT $1, $2, $3, $4, $5, $6, $7, $8, q.s, q.e,"
                "   (extract(epoch FROM coalesce(nullif($10, '')::time, '18:00'::time))"
                "    / 60)::smallint"
                "   FROM (SELECT (extract(epoch FROM nullif(split_part($9, '-', 1), '')::time)"
                "                 / 60)::smallint AS s,"
                "                (extract(epoch FROM nullif(split_part($9, '-', 2), '')::time)"
                "                 / 60)::smallint AS e) q"
                " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, role ="
                " excluded.role, division_code = excluded.division_code, organisation ="
                " excluded.organisation, email = excluded.email, phone = excluded.phone,"
                " webhook_url = excluded.webhook_url, quiet_start = excluded.quiet_start,"
                " quiet_end = excluded.quiet_end, digest_minute = excluded.digest_minute",
                10, params, NULL, NULL, "storing the recipient", NULL, &error)) {
            if (!shape)
                kc_error_set(&error, KC_ERR_INPUT, NULL, "%zu columns, not 6 or 10", row->count);
            fprintf(stderr, "%s line %zu: ", self->positional[1], row->line);
            kcctl_print_error(&error);
            fprintf(stderr, "nothing was stored\n");
            goto done;
        }
        loaded++;
    }
    if (kc_db_exec(conn, "COMMIT", &error)) {
        kcctl_print_error(&error);
        goto done;
    }
    printf("%d recipient%s loaded\n", loaded, loaded == 1 ? "" : "s");
    rc = 0;
done:
    kc_db_disconnect(&conn);
    csv_table_release(&table);
    return rc;
}

/* The operator's view of dead letters, and their replay (audited). */
static int s_dead_letters(kcctl_t *self, bool replay)
{
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl notifications", &error);
    if (!conn) {
        kcctl_print_error(&error);
        return -1;
    }
    int rc = 0;
    kc_error_clear(&error);
    if (!replay) {
        PGresult *result = NULL;
        rc = kc_db_run(conn,
                       "SELECT id, channel, recipient_id, attempts, last_error, subject"
                       "  FROM notification WHERE status = 'dead' ORDER BY id",
                       0, NULL, NULL, NULL, "listing dead letters", &result, &error);
        if (rc == 0) {
            printf("%d dead notification%s\n", PQntuples(result),
                   PQntuples(result) == 1 ? "" : "s");
            for (int i = 0; i < PQntuples(result); i++)
                printf("  %6s  %-7s to %-12s after %s attempts: %s  (%s)\n",
                       PQgetvalue(result, i, 0), PQgetvalue(result, i, 1), PQgetvalue(result, i, 2),
                       PQgetvalue(result, i, 3), PQgetvalue(result, i, 4),
                       PQgetvalue(result, i, 5));
            PQclear(result);
        }
    }
    for (int i = 1; replay && rc == 0 && i < self->positional_count; i++) {
        const char *params[1] = {self->positional[i]};
        PGresult *result = NULL;
        rc = kc_db_run(conn,
                       "UPDATE notification SET status = 'pending', attempts = 0,"
                       " next_attempt_at = '-infinity', last_error = ''"
                       " WHERE id = $1::bigint AND status = 'dead' RETURNING recipient_id",
                       1, params, NULL, NULL, "replaying", &result, &error);
        if (rc == 0 && PQntuples(result) == 0) {
            fprintf(stderr, "notification %s is not dead: nothing to replay\n",
                    self->positional[i]);
            rc = -1;
        } else if (rc == 0) {
            kc_audit_entry_t entry = {self->config.node_id,
                                      self->user,
                                      self->role,
                                      self->division,
                                      self->organisation,
                                      "notify.replay",
                                      self->positional[i],
                                      true,
                                      "dead letter sent again",
                                      ""};
            rc = kc_audit_append(conn, &entry, NULL, &error);
            if (rc == 0)
                printf("notification %s will be sent again\n", self->positional[i]);
        }
        PQclear(result);
    }
    if (rc && error.code != KC_ERR_NONE)
        kcctl_print_error(&error);
    kc_db_disconnect(&conn);
    return rc;
}

int kcctl_notifications(kcctl_t *self)
{
    if (self->positional_count >= 1 && strcmp(self->positional[0], "dead") == 0)
        return s_dead_letters(self, false);
    if (self->positional_count >= 2 && strcmp(self->positional[0], "replay") == 0)
        return s_dead_letters(self, true);
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    Kc__V1__ListNotifications list = KC__V1__LIST_NOTIFICATIONS__INIT;
    Kc__V1__MarkNotificationsRead mark = KC__V1__MARK_NOTIFICATIONS_READ__INIT;
    int64_t ids[KCCTL_POSITIONAL_MAX];
    if (self->positional_count >= 1 && strcmp(self->positional[0], "read") == 0) {
        for (int i = 1; i < self->positional_count; i++) {
            char *end = NULL;
            ids[mark.n_ids++] = strtoll(self->positional[i], &end, 10);
            if (!end || *end) {
                fprintf(stderr, "kcctl: '%s' is not a notification id\n", self->positional[i]);
                return -1;
            }
        }
        mark.ids = ids;
        request.body_case = KC__V1__ENVELOPE__BODY_MARK_NOTIFICATIONS_READ;
        request.mark_notifications_read = &mark;
        self->writing = true;
    } else {
        list.unread_only = self->unread;
        request.body_case = KC__V1__ENVELOPE__BODY_LIST_NOTIFICATIONS;
        request.list_notifications = &list;
    }
    self->call_endpoint = self->config.notify_endpoint;
    if (kcctl_call(self, &request, KC__V1__ENVELOPE__BODY_NOTIFICATION_LIST, &reply, NULL, NULL))
        return -1;
    const Kc__V1__NotificationList *items = reply->notification_list;
    printf("%s: %d unread\n", self->user, items->unread_count);
    for (size_t i = 0; i < items->n_items; i++) {
        const Kc__V1__Notification *n = items->items[i];
        time_t at = (time_t)(n->created_at_ms / 1000 + 8 * 3600);
        struct tm when;
        char stamp[32];
        gmtime_r(&at, &when);
        strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M", &when);
        printf("  %s %5lld  %s  %s%s\n      %s\n", n->read ? " " : "*", (long long)n->id, stamp,
               n->subject, strcmp(n->priority, "critical") == 0 ? "  [重要]" : "", n->body);
    }
    kc_bus_free(&reply);
    return 0;
}
