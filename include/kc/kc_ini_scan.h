/*  kc_ini_scan: the lines of an INI data file, walked with libinih's rules.
 *
 *  kechuang's rule files (scoring methodologies, workflow procedures) are
 *  read with libinih, which silently cuts a line longer than its buffer
 *  (the rest becomes a line of its own) and glues an indented line to the
 *  previous value. Before libinih reads a file, this scan finds those and
 *  every other structural problem, each with its line, and tells the
 *  parser where each [section] and each key is, so later errors can say
 *  where they are too.
 */
#ifndef KC_INI_SCAN_H
#define KC_INI_SCAN_H

#include <stddef.h>

#include "kc/kc_error.h"

/* Bytes a line may hold: libinih reads at most 199 with its newline. */
#define KC_INI_LINE_MAX 196

typedef struct {
    void *context;                                                    /* passed to both */
    void (*on_section)(void *context, const char *section, int line); /* "[name]" on `line` */
    void (*on_key)(void *context, int line);                          /* a key = value line */
} kc_ini_visitor_t;

/* Walk `text` (a byte-order mark is skipped, as libinih does). Every
 * structural problem is added to `errors` (no field; detail "line N").
 * 0 when libinih will see the structure the visitor saw, -1 otherwise. */
int kc_ini_scan(const char *text, size_t size, kc_errors_t *errors,
                const kc_ini_visitor_t *visitor);

#endif
