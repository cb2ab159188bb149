/*  notify_inbox: the in-app inbox of the actor (list, unread count, read). */
#ifndef NOTIFY_NOTIFY_INBOX_H
#define NOTIFY_NOTIFY_INBOX_H

#include <libpq-fe.h>

#include "kc/kc_bus.h"
#include "kc/kc_error.h"

/* Answer ListNotifications or MarkNotificationsRead for request->actor;
 * *reply is a heap NotificationList. */
int notify_inbox_answer(PGconn *conn, const kc_envelope_t *request,
                        Kc__V1__NotificationList **reply, kc_error_t *error);

#endif
