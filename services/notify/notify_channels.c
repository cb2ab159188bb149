/*  notify_channels: see notify_channels.h. */
#include "notify/notify_channels.h"
#include "notify/notify_mime.h"

#include <assert.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/kc_clock.h"

/* One slot of the sender: a transfer and what it needs while it runs. */
typedef struct {
    notify_item_t *item;     /* &own while busy */
    notify_item_t own;       /* the delivery, the sender's while busy */
    bool busy;               /* started, not handed back yet */
    bool ended;              /* its outcome is known */
    CURL *easy;              /* NULL when it could not start */
    struct curl_slist *list; /* recipients or headers */
    char *payload;           /* the message or the JSON body */
    size_t size, sent;
} s_transfer_t;

struct notify_sender_t {
    const kc_config_t *config;
    CURLM *multi;
    s_transfer_t *slots;
    size_t parallel;
};

void notify_signature(const char *secret, const char *timestamp, const char *body, char out[65])
{
    size_t length = strlen(timestamp) + 1 + strlen(body);
    char *signed_text = malloc(length + 1);
    if (!signed_text)
        abort();
    snprintf(signed_text, length + 1, "%s.%s", timestamp, body);
    unsigned char digest[32];
    unsigned int digest_size = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signed_text, length,
         digest, &digest_size);
    free(signed_text);
    for (unsigned int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static size_t s_read(char *buffer, size_t size, size_t count, void *context)
{
    s_transfer_t *t = context;
    size_t room = size * count, left = t->size - t->sent;
    size_t n = left < room ? left : room;
    memcpy(buffer, t->payload + t->sent, n);
    t->sent += n;
    return n;
}

static size_t s_discard(char *data, size_t size, size_t count, void *context)
{
    (void)data;
    (void)context;
    return size * count;
}

static char *s_base64_lines(const char *text)
{
    size_t length = strlen(text), encoded_size = 4 * ((length + 2) / 3);
    unsigned char *encoded = malloc(encoded_size + 1);
    char *lines = malloc(encoded_size + encoded_size / 76 * 2 + 4);
    if (!encoded || !lines)
        abort();
    EVP_EncodeBlock(encoded, (const unsigned char *)text, (int)length);
    size_t at = 0;
    for (size_t i = 0; i < encoded_size; i += 76) {
        size_t n = encoded_size - i < 76 ? encoded_size - i : 76;
        memcpy(lines + at, encoded + i, n);
        at += n;
        lines[at++] = '\r';
        lines[at++] = '\n';
    }
    lines[at] = '\0';
    free(encoded);
    return lines;
}

static void s_email(const kc_config_t *config, s_transfer_t *t)
{
    notify_item_t *item = t->item;
    char date[64], identity[NOTIFY_MIME_ID_MAX];
    char *subject = notify_mime_header_words(item->subject);
    time_t now = (time_t)(kc_clock_now_ms() / 1000);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &utc);
    notify_mime_identity(item->digest, config->node_division, (long long)item->id, identity);
    char *body = s_base64_lines(item->body);
    size_t size = strlen(body) + strlen(subject) + 4096;
    t->payload = malloc(size);
    if (!t->payload)
        abort();
    /* the Message-ID is the notification's identity at the node's mail domain */
    t->size = (size_t)snprintf(t->payload, size,
                               "Date: %s\r\nFrom: %s\r\nTo: <%s>\r\nSubject: %s\r\n"
                               "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
                               "Content-Type: text/plain; charset=UTF-8\r\n"
                               "Content-Transfer-Encoding: base64\r\n"
                               "X-Kechuang-Notification: %s\r\n\r\n%s",
                               date, config->smtp_from, item->address, subject, identity,
                               config->mail_domain, identity, body);
    free(body);
    free(subject);
    char from[300], to[600];
    snprintf(from, sizeof from, "<%s>", config->smtp_from);
    snprintf(to, sizeof to, "<%s>", item->address);
    t->list = curl_slist_append(NULL, to);
    curl_easy_setopt(t->easy, CURLOPT_URL, config->smtp_url);
    curl_easy_setopt(t->easy, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(t->easy, CURLOPT_MAIL_RCPT, t->list);
    curl_easy_setopt(t->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(t->easy, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt(t->easy, CURLOPT_READDATA, t);
    if (*config->smtp_user) {
        curl_easy_setopt(t->easy, CURLOPT_USERNAME, config->smtp_user);
        curl_easy_setopt(t->easy, CURLOPT_PASSWORD, config->smtp_password);
    }
}

static void s_post(const kc_config_t *config, s_transfer_t *t, const char *url)
{
    notify_item_t *item = t->item;
    char identity[NOTIFY_MIME_ID_MAX];
    notify_mime_identity(item->digest, config->node_division, (long long)item->id, identity);
    json_object *json = json_object_new_object();
    /* "uid" is unique across every node; "id" is this node's number */
    json_object_object_add(json, "uid", json_object_new_string(identity));
    json_object_object_add(json, "id", json_object_new_int64(item->id));
    json_object_object_add(json, "kind",
                           json_object_new_string(item->digest ? "digest" : "notification"));
    json_object_object_add(json, "event_seq", json_object_new_int64(item->event_seq));
    json_object_object_add(json, "recipient", json_object_new_string(item->user_id));
    json_object_object_add(json, "priority", json_object_new_string(item->priority));
    json_object_object_add(json, "subject", json_object_new_string(item->subject));
    json_object_object_add(json, "body", json_object_new_string(item->body));
    json_object_object_add(json, "application_ref", json_object_new_string(item->application_ref));
    if (strcmp(item->channel, "sms") == 0)
        json_object_object_add(json, "phone", json_object_new_string(item->address));
    t->payload = strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN));
    json_object_put(json);
    if (!t->payload)
        abort();
    t->size = strlen(t->payload);
    char timestamp[24], signature[65], header[160];
    snprintf(timestamp, sizeof timestamp, "%lld", (long long)(kc_clock_now_ms() / 1000));
    notify_signature(config->webhook_secret, timestamp, t->payload, signature);
    t->list = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
    snprintf(header, sizeof header, "X-Kechuang-Timestamp: %s", timestamp);
    t->list = curl_slist_append(t->list, header);
    snprintf(header, sizeof header, "X-Kechuang-Signature: sha256=%s", signature);
    t->list = curl_slist_append(t->list, header);
    snprintf(header, sizeof header, "X-Kechuang-Notification: %s", identity);
    t->list = curl_slist_append(t->list, header);
    curl_easy_setopt(t->easy, CURLOPT_URL, url);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->list);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->payload);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)t->size);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, s_discard);
}

/* 0 when the transfer can start; else the item's error is set. */
static int s_prepare(const kc_config_t *config, s_transfer_t *t)
{
    notify_item_t *item = t->item;
    t->easy = curl_easy_init();
    if (!t->easy)
        abort();
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long)config->notify_timeout_ms);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)config->notify_timeout_ms);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
    if (strcmp(item->channel, "email") == 0) {
        if (!*config->smtp_url) {
            snprintf(item->error, sizeof item->error, "no SMTP server is configured");
            return -1;
        }
        s_email(config, t);
    } else if (strcmp(item->channel, "webhook") == 0)
        s_post(config, t, item->address);
    else {
        if (!*config->sms_gateway) {
            snprintf(item->error, sizeof item->error, "no SMS gateway is configured");
            return -1;
        }
        s_post(config, t, config->sms_gateway);
    }
    return 0;
}

notify_sender_t *notify_sender_new(const kc_config_t *config, size_t parallel)
{
    notify_sender_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->config = config;
    self->parallel = parallel;
    self->slots = calloc(parallel, sizeof *self->slots);
    self->multi = curl_multi_init();
    if (!self->slots || !self->multi)
        abort();
    return self;
}

static void s_release(notify_sender_t *self, s_transfer_t *t)
{
    if (t->easy) {
        curl_multi_remove_handle(self->multi, t->easy);
        curl_easy_cleanup(t->easy);
    }
    curl_slist_free_all(t->list);
    free(t->payload);
    free(t->own.body);
    memset(t, 0, sizeof *t);
}

void notify_sender_destroy(notify_sender_t **self_p)
{
    notify_sender_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t i = 0; i < self->parallel; i++)
        if (self->slots[i].busy)
            s_release(self, &self->slots[i]);
    curl_multi_cleanup(self->multi);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

size_t notify_sender_busy(const notify_sender_t *self)
{
    size_t busy = 0;
    for (size_t i = 0; i < self->parallel; i++)
        busy += self->slots[i].busy;
    return busy;
}

size_t notify_sender_room(const notify_sender_t *self)
{
    return self->parallel - notify_sender_busy(self);
}

void notify_sender_start(notify_sender_t *self, notify_item_t *item)
{
    s_transfer_t *t = NULL;
    for (size_t i = 0; i < self->parallel && !t; i++)
        if (!self->slots[i].busy)
            t = &self->slots[i];
    assert(t); /* the caller claims no more than there is room for */
    t->own = *item;
    item->body = NULL;
    t->item = &t->own;
    t->busy = true;
    t->own.sent = false;
    t->own.error[0] = '\0';
    if (s_prepare(self->config, t) == 0)
        curl_multi_add_handle(self->multi, t->easy);
    else
        t->ended = true;
}

/* Mark the transfers curl has finished with their outcome. */
static void s_collect(notify_sender_t *self)
{
    CURLMsg *message;
    int left;
    while ((message = curl_multi_info_read(self->multi, &left))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        s_transfer_t *t = NULL;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        long status = 0;
        curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        if (message->data.result != CURLE_OK)
            snprintf(t->item->error, sizeof t->item->error, "%s",
                     curl_easy_strerror(message->data.result));
        else if (strcmp(t->item->channel, "email") != 0 && (status < 200 || status > 299))
            snprintf(t->item->error, sizeof t->item->error, "HTTP status %ld", status);
        else
            t->item->sent = true;
        t->ended = true;
    }
}

size_t notify_sender_run(notify_sender_t *self, int wait_ms, notify_sender_ended_fn ended,
                         void *context)
{
    int running = 0;
    curl_multi_perform(self->multi, &running);
    s_collect(self);
    size_t done = 0;
    for (size_t i = 0; i < self->parallel; i++)
        done += self->slots[i].ended;
    if (running && done == 0) {
        curl_multi_poll(self->multi, NULL, 0, wait_ms, NULL);
        curl_multi_perform(self->multi, &running);
        s_collect(self);
    }
    done = 0;
    for (size_t i = 0; i < self->parallel; i++) {
        s_transfer_t *t = &self->slots[i];
        if (!t->busy || !t->ended)
            continue;
        ended(t->item, context);
        s_release(self, t);
        done++;
    }
    return done;
}
