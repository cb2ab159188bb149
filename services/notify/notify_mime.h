/*  notify_mime: what an e-mail's headers and a webhook's identity are made of.
 *
 *  A notification's identity is the kind, the node's division and the
 *  node's own number: "notification-130131-42". No other node can make it,
 *  so a receiver that drops a second copy by identity never drops another
 *  node's notice. A header's non-ASCII text is written as RFC 2047 encoded
 *  words of at most 75 characters, each holding whole UTF-8 characters,
 *  folded onto lines of their own.
 */
#ifndef NOTIFY_MIME_H
#define NOTIFY_MIME_H

#include <stdbool.h>
#include <stddef.h>

#define NOTIFY_MIME_WORD_MAX 75 /* RFC 2047 §2: an encoded word's length at most */
#define NOTIFY_MIME_ID_MAX   64

/* "notification-<division>-<id>" or "digest-<division>-<id>" into `out`. */
void notify_mime_identity(bool digest, const char *division, long long id,
                          char out[NOTIFY_MIME_ID_MAX]);

/* `text` (UTF-8) as "=?UTF-8?B?...?=" words of at most 75 characters
 * joined by CRLF and a space; the result is malloc'd (free it). */
char *notify_mime_header_words(const char *text);

#endif
