/*  notify_mime: see notify_mime.h. */
#include "notify/notify_mime.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "=?UTF-8?B?" and "?=" take 12 of a word's 75 characters; 63 left hold
 * 15 base64 quads, 45 bytes of text. */
#define S_WORD_BYTES 45

void notify_mime_identity(bool digest, const char *division, long long id,
                          char out[NOTIFY_MIME_ID_MAX])
{
    snprintf(out, NOTIFY_MIME_ID_MAX, "%s-%s-%lld", digest ? "digest" : "notification",
             division && *division ? division : "000000", id);
}

/* The bytes of the next word: at most S_WORD_BYTES, ending on a whole
 * UTF-8 character (a continuation byte is 10xxxxxx). */
static size_t s_word_bytes(const unsigned char *text, size_t left)
{
    if (left <= S_WORD_BYTES)
        return left;
    size_t n = S_WORD_BYTES;
    while (n > 0 && (text[n] & 0xC0) == 0x80)
        n--;
    return n ? n : S_WORD_BYTES;
}

char *notify_mime_header_words(const char *text)
{
    size_t length = strlen(text);
    /* a word holds at least 42 bytes: 45 less a character cut short */
    size_t words = length / 40 + 2, size = words * (NOTIFY_MIME_WORD_MAX + 3) + 1;
    char *out = malloc(size);
    if (!out)
        abort();
    size_t used = 0;
    const unsigned char *at = (const unsigned char *)text;
    size_t left = length;
    do {
        size_t n = s_word_bytes(at, left);
        unsigned char encoded[4 * ((S_WORD_BYTES + 2) / 3) + 1];
        EVP_EncodeBlock(encoded, at, (int)n);
        used += (size_t)snprintf(out + used, size - used, "%s=?UTF-8?B?%s?=", used ? "\r\n " : "",
                                 (const char *)encoded);
        at += n;
        left -= n;
    } while (left > 0);
    out[used] = '\0';
    return out;
}
