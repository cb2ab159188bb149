/*  notify_public: a public notice (公示) written where the public sees it.
 *
 *  Until the gateway has a public page, kc-notify writes each notice a
 *  route addresses to `public` as one HTML file in notify.public_dir
 *  (KC_PUBLIC_DIR), named by its event's number (notice-<seq>.html), for
 *  the site to publish as it is. The file is written whole under a
 *  temporary name and renamed, so the site never reads half a notice; a
 *  second expansion of the same event writes the same file again.
 */
#ifndef NOTIFY_NOTIFY_PUBLIC_H
#define NOTIFY_NOTIFY_PUBLIC_H

#include <stddef.h>

#include "kc/kc_error.h"

/* Write the notice of event `seq` (subject, body, the step's instant as
 * text) into `dir`; 0, or -1 with `error`. */
int notify_public_write(const char *dir, const char *seq, const char *subject, const char *body,
                        const char *published, kc_error_t *error);

/* `text` with &, <, >, " escaped for HTML into `out` (cut on a character
 * boundary when it does not fit). */
void notify_public_escape(const char *text, char *out, size_t size);

#endif
