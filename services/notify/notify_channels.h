/*  notify_channels: one delivery over a real channel, with libcurl.
 *
 *  E-mail goes over SMTP (`notify.smtp_url`, with the sender, user and
 *  password of the configuration); its Message-ID is the notification's,
 *  so a receiver can drop the copy a crash between sending and recording
 *  may cause. A webhook is an HTTP POST of the notification as JSON, signed:
 *  X-Kechuang-Timestamp (Unix seconds) and X-Kechuang-Signature: sha256=
 *  hex(HMAC-SHA256(secret, timestamp + "." + body)), with
 *  X-Kechuang-Notification carrying its id. SMS is the same signed POST to
 *  the SMS gateway (`notify.sms_gateway`), with the phone number. Every
 *  transfer has a time limit; many run at once (curl multi), so one slow
 *  or dead endpoint holds back nobody else.
 */
#ifndef NOTIFY_NOTIFY_CHANNELS_H
#define NOTIFY_NOTIFY_CHANNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_config.h"

typedef struct {
    int64_t id;        /* notification id, or digest id */
    bool digest;       /* a daily digest rather than one notification */
    char channel[16];  /* email, webhook, sms */
    int attempts;      /* including this one */
    char address[512]; /* e-mail address, webhook URL, phone */
    char name[128];    /* the person */
    char user_id[128];
    char subject[1024];
    char *body; /* owned */
    char priority[16];
    char application_ref[48];
    int64_t event_seq;
    int64_t created_ms;
    /* results */
    bool sent;
    char error[256];
} notify_item_t;

/* Send every item at once (bounded by `parallel` connections), each within
 * the configured time limit; fills sent / error. */
void notify_send_all(const kc_config_t *config, notify_item_t *items, size_t count, int parallel);

/* hex(HMAC-SHA256(secret, timestamp "." body)) into out (65 bytes). */
void notify_signature(const char *secret, const char *timestamp, const char *body, char out[65]);

#endif
