/*  notify_inbox: see notify_inbox.h. A recipient sees their own
 *  notifications only: the actor's user_id is the recipient. */
#include "notify/notify_inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"

static char *s_dup(const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy)
        abort();
    return copy;
}

static int s_mark(PGconn *conn, const char *user, const Kc__V1__MarkNotificationsRead *mark,
                  kc_error_t *error)
{
    for (size_t i = 0; i < mark->n_ids; i++) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)mark->ids[i]);
        const char *params[2] = {id, user};
        if (kc_db_run(conn,
                      "UPDATE notification SET read_at = coalesce(read_at, now())"
                      " WHERE id = $1::bigint AND recipient_id = $2 AND channel = 'inbox'",
                      2, params, NULL, NULL, "marking read", NULL, error))
            return -1;
    }
    return 0;
}

int notify_inbox_answer(PGconn *conn, const kc_envelope_t *request,
                        Kc__V1__NotificationList **reply, kc_error_t *error)
{
    const Kc__V1__Actor *actor = request->actor;
    if (!actor || !*actor->user_id)
        return kc_error_set(error, KC_ERR_MISSING_HEADER, "actor.user_id",
                            "an inbox belongs to a user: the actor's user_id is missing");
    bool unread_only = false;
    int limit = 50;
    if (request->body_case == KC__V1__ENVELOPE__BODY_MARK_NOTIFICATIONS_READ) {
        if (s_mark(conn, actor->user_id, request->mark_notifications_read, error))
            return -1;
    } else {
        unread_only = request->list_notifications->unread_only;
        if (request->list_notifications->limit > 0 && request->list_notifications->limit <= 200)
            limit = request->list_notifications->limit;
    }
    char count[16];
    snprintf(count, sizeof count, "%d", limit);
    const char *params[3] = {actor->user_id, unread_only ? "t" : "f", count};
    PGresult *result = NULL;
    if (kc_db_run(conn,
                  "SELECT id, event_seq, channel, priority, subject, body, application_ref,"
                  "       (extract(epoch FROM created_at) * 1000)::bigint, read_at IS NOT NULL,"
                  "       (SELECT count(*) FROM notification u WHERE u.recipient_id = $1"
                  "          AND u.channel = 'inbox' AND u.read_at IS NULL)"
                  "  FROM notification WHERE recipient_id = $1 AND channel = 'inbox'"
                  "   AND (NOT $2::boolean OR read_at IS NULL)"
                  " ORDER BY id DESC LIMIT $3::int",
                  3, params, NULL, NULL, "reading the inbox", &result, error))
        return -1;
    Kc__V1__NotificationList *list = malloc(sizeof *list);
    if (!list)
        abort();
    kc__v1__notification_list__init(list);
    int n = PQntuples(result);
    list->items = calloc((size_t)n + 1, sizeof *list->items);
    if (!list->items)
        abort();
    for (int i = 0; i < n; i++) {
        Kc__V1__Notification *item = malloc(sizeof *item);
        if (!item)
            abort();
        kc__v1__notification__init(item);
        item->id = kc_db_int(result, i, 0);
        item->event_seq = kc_db_int(result, i, 1);
        item->channel = s_dup(PQgetvalue(result, i, 2));
        item->priority = s_dup(PQgetvalue(result, i, 3));
        item->subject = s_dup(PQgetvalue(result, i, 4));
        item->body = s_dup(PQgetvalue(result, i, 5));
        item->application_ref = s_dup(PQgetvalue(result, i, 6));
        item->created_at_ms = kc_db_int(result, i, 7);
        item->read = PQgetvalue(result, i, 8)[0] == 't';
        list->items[list->n_items++] = item;
    }
    if (n > 0)
        list->unread_count = (int32_t)kc_db_int(result, 0, 9);
    else {
        PGresult *unread = NULL;
        if (kc_db_run(conn,
                      "SELECT count(*) FROM notification WHERE recipient_id = $1"
                      " AND channel = 'inbox' AND read_at IS NULL",
                      1, params, NULL, NULL, "counting unread", &unread, error) == 0) {
            list->unread_count = (int32_t)kc_db_int(unread, 0, 0);
            PQclear(unread);
        }
    }
    PQclear(result);
    *reply = list;
    return 0;
}
