/*  kc_log: one line per event on standard error,
 *  `ts level daemon node message key=value`.
 *
 *  The logger and the interrupt flag are the only mutable statics in
 *  kechuang. Never log secrets, passwords or ID-card numbers in clear:
 *  use kc_log_mask() for anything that identifies a person.
 */
#ifndef KC_LOG_H
#define KC_LOG_H

#include <stddef.h>

typedef enum { KC_LOG_ERROR, KC_LOG_WARN, KC_LOG_NOTICE, KC_LOG_INFO, KC_LOG_DEBUG } kc_log_level_t;

/* Name the daemon and node that every line carries, and the lowest level written. */
void kc_log_init(const char *daemon, const char *node, kc_log_level_t level);

/* Level for "error", "warn", "notice", "info", "debug"; -1 if unknown. */
int kc_log_level_parse(const char *name);

void kc_log(kc_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define kc_log_error(...)  kc_log(KC_LOG_ERROR, __VA_ARGS__)
#define kc_log_warn(...)   kc_log(KC_LOG_WARN, __VA_ARGS__)
#define kc_log_notice(...) kc_log(KC_LOG_NOTICE, __VA_ARGS__)
#define kc_log_info(...)   kc_log(KC_LOG_INFO, __VA_ARGS__)
#define kc_log_debug(...)  kc_log(KC_LOG_DEBUG, __VA_ARGS__)

/* Copy `value` into `out` with all but its first 3 and last 2 characters
 * replaced by '*', for identifiers that must not appear in logs. */
void kc_log_mask(const char *value, char *out, size_t out_size);

#endif
