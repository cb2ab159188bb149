/*  notify_channels: see notify_channels.h. */
#include "notify/notify_channels.h"
#include "notify/notify_mime.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/kc_clock.h"

/* What one transfer needs while it runs. */
typedef struct {
    notify_item_t *item;
    CURL *easy;
    struct curl_slist *list; /* recipients or headers */
    char *payload;           /* the message or the JSON body */
    size_t size, sent;
} s_transfer_t;

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
    /* the Message-ID is the notification's identity at the sender's domain */
    t->size = (size_t)snprintf(t->payload, size,
                               "Date: %s\r\nFrom: %s\r\nTo: <%s>\r\nSubject: %s\r\n"
                               "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
                               "Content-Type: text/plain; charset=UTF-8\r\n"
                               "Content-Transfer-Encoding: base64\r\n"
                               "X-Kechuang-Notification: %s\r\n\r\n%s",
                               date, config->smtp_from, item->address, subject, identity,
                               notify_mime_domain(config->smtp_from), identity, body);
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

void notify_send_all(const kc_config_t *config, notify_item_t *items, size_t count, int parallel)
{
    if (count == 0)
        return;
    s_transfer_t *transfers = calloc(count, sizeof *transfers);
    CURLM *multi = curl_multi_init();
    if (!transfers || !multi)
        abort();
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)parallel);
    for (size_t i = 0; i < count; i++) {
        transfers[i].item = &items[i];
        items[i].sent = false;
        items[i].error[0] = '\0';
        if (s_prepare(config, &transfers[i]) == 0)
            curl_multi_add_handle(multi, transfers[i].easy);
    }
    int running = 0;
    do {
        curl_multi_perform(multi, &running);
        if (running)
            curl_multi_poll(multi, NULL, 0, 200, NULL);
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(multi, &left))) {
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
        }
    } while (running);
    for (size_t i = 0; i < count; i++) {
        if (transfers[i].easy) {
            curl_multi_remove_handle(multi, transfers[i].easy);
            curl_easy_cleanup(transfers[i].easy);
        }
        curl_slist_free_all(transfers[i].list);
        free(transfers[i].payload);
    }
    curl_multi_cleanup(multi);
    free(transfers);
}
