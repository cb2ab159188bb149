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
 *  transfer has a time limit; many run at once (curl multi), each handed
 *  back as it ends, so one slow or dead endpoint holds back nobody else.
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

/* A set of transfers under way, at most `parallel` at once (curl multi).
 * A transfer starts the moment it is handed over, never queued behind
 * others: the delivery worker claims (and counts) an attempt only when a
 * slot is free, so every attempt counted is an attempt made. */
typedef struct notify_sender_t notify_sender_t;

/* Called for each transfer that has ended, with its item (sent / error
 * filled); the item is freed when it returns. */
typedef void (*notify_sender_ended_fn)(const notify_item_t *item, void *context);

/* A sender of `parallel` slots; `config` must outlive it. */
notify_sender_t *notify_sender_new(const kc_config_t *config, size_t parallel);

/* Abandon what is still under way (its lease will run out) and free it. */
void notify_sender_destroy(notify_sender_t **self);

/* Free slots: how many transfers may start now. */
size_t notify_sender_room(const notify_sender_t *self);

/* Transfers started and not yet handed back. */
size_t notify_sender_busy(const notify_sender_t *self);

/* Start the transfer of `item` now, within the configured time limit; the
 * sender takes the item (and its body). There must be room. */
void notify_sender_start(notify_sender_t *self, notify_item_t *item);

/* Let the transfers run for up to `wait_ms`, then hand each one that has
 * ended to `ended` and free its slot. Returns how many ended. */
size_t notify_sender_run(notify_sender_t *self, int wait_ms, notify_sender_ended_fn ended,
                         void *context);

/* hex(HMAC-SHA256(secret, timestamp "." body)) into out (65 bytes). */
void notify_signature(const char *secret, const char *timestamp, const char *body, char out[65]);

#endif
