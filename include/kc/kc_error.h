/*  kc_error: the one error shape of kechuang.
 *
 *  Every fallible call returns 0 or -1 and fills a caller-provided kc_error_t:
 *  a stable code from the table below, the path of the offending field
 *  ("reports[3].value", "form.head.id_card"), a message that says what failed
 *  first, and an optional detail and hint for the person who must act.
 *  Requests that can fail in many places collect their errors in a
 *  kc_errors_t list so the sender sees every problem at once.
 *
 *  Codes are grouped by class (validation, conflict, authorisation, bus,
 *  database, config, internal); their strings are part of the contract in
 *  proto/README.md and never change meaning.
 */
#ifndef KC_ERROR_H
#define KC_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
    KC_ERR_NONE = 0,
    KC_ERR_REQUIRED,              /* validation.required */
    KC_ERR_TOO_LONG,              /* validation.too_long */
    KC_ERR_INVALID_UTF8,          /* validation.invalid_utf8 */
    KC_ERR_INVALID_FORMAT,        /* validation.invalid_format */
    KC_ERR_INVALID_ID_CARD,       /* validation.invalid_id_card */
    KC_ERR_INVALID_DATE,          /* validation.invalid_date */
    KC_ERR_UNKNOWN_COUNTY,        /* validation.unknown_county */
    KC_ERR_COUNTY_NOT_IN_YEAR,    /* validation.county_not_valid_in_year */
    KC_ERR_NOT_COUNTY_LEVEL,      /* validation.not_county_level */
    KC_ERR_YEAR_OUT_OF_RANGE,     /* validation.year_out_of_range */
    KC_ERR_UNKNOWN_INDICATOR,     /* validation.unknown_indicator */
    KC_ERR_UNKNOWN_PROVIDER,      /* validation.unknown_provider */
    KC_ERR_PROVIDER_NOT_ALLOWED,  /* validation.provider_not_allowed */
    KC_ERR_NOT_FINITE,            /* validation.not_finite */
    KC_ERR_OUT_OF_RANGE,          /* validation.out_of_range */
    KC_ERR_DUPLICATE_IN_BATCH,    /* validation.duplicate_in_batch */
    KC_ERR_EMPTY_BATCH,           /* validation.empty_batch */
    KC_ERR_UNKNOWN_PROGRAMME,     /* validation.unknown_programme */
    KC_ERR_UNKNOWN_APPLICATION,   /* validation.unknown_application */
    KC_ERR_KEY_REUSED,            /* conflict.idempotency_key_reused */
    KC_ERR_NOT_FOUND,             /* conflict.not_found */
    KC_ERR_DUPLICATE_APPLICATION, /* conflict.duplicate_application */
    KC_ERR_STATE_CHANGED,         /* conflict.state_changed */
    KC_ERR_NOT_ON_NOTICE,         /* conflict.not_on_notice */
    KC_ERR_ALREADY_DONE,          /* conflict.already_done */
    KC_ERR_DENIED,                /* authorisation.denied */
    KC_ERR_MALFORMED,             /* bus.malformed */
    KC_ERR_UNKNOWN_TYPE,          /* bus.unknown_type */
    KC_ERR_TYPE_MISMATCH,         /* bus.type_mismatch */
    KC_ERR_MISSING_HEADER,        /* bus.missing_header */
    KC_ERR_NO_ANSWER,             /* bus.no_answer */
    KC_ERR_DATABASE,              /* database.failed */
    KC_ERR_DB_UNAVAILABLE,        /* database.unavailable */
    KC_ERR_CONFIG,                /* config.invalid */
    KC_ERR_INPUT,                 /* input.invalid: a file given to kcctl */
    KC_ERR_INTERNAL,              /* internal.error */
    KC_ERR_LOW_COVERAGE,          /* conflict.low_coverage */
    KC_ERR_OUTSIDE_PROVINCE,      /* validation.outside_province */
    KC_ERR_NOT_ELIGIBLE,          /* validation.not_eligible */
    KC_ERR_COUNT_
} kc_error_code_t;

#define KC_ERROR_FIELD_MAX   128
#define KC_ERROR_MESSAGE_MAX 256
#define KC_ERROR_DETAIL_MAX  256
#define KC_ERROR_HINT_MAX    256
#define KC_ERRORS_KEPT_MAX   1000 /* errors a reply lists; the rest are counted */

typedef struct {
    kc_error_code_t code;               /* KC_ERR_NONE when nothing failed */
    char field[KC_ERROR_FIELD_MAX];     /* path of the offending field, "" if none */
    char message[KC_ERROR_MESSAGE_MAX]; /* what failed, lower case, subject quoted */
    char detail[KC_ERROR_DETAIL_MAX];   /* the facts behind it, optional */
    char hint[KC_ERROR_HINT_MAX];       /* what to do about it, optional */
} kc_error_t;

/* Stable string of a code, e.g. "validation.too_long"; "internal.error" if unknown. */
const char *kc_error_code_name(kc_error_code_t code);

/* Code for a stable string; KC_ERR_INTERNAL if the string is unknown. */
kc_error_code_t kc_error_code_from_name(const char *name);

/* Fill `self` with a code, a field path (NULL for none) and a printf-style message.
 * Clears detail and hint. Always returns -1 so callers can `return kc_error_set(...)`. */
int kc_error_set(kc_error_t *self, kc_error_code_t code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Set the detail or the hint of an error already set. */
void kc_error_detail(kc_error_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kc_error_hint(kc_error_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset to KC_ERR_NONE. */
void kc_error_clear(kc_error_t *self);

/* A growing list of errors about one request. Keeps the first
 * KC_ERRORS_KEPT_MAX and counts every one. */
typedef struct {
    kc_error_t *items; /* kept errors, in the order found */
    size_t kept;       /* number of entries in items */
    size_t capacity;   /* allocated entries */
    size_t total;      /* every error found, kept or not */
} kc_errors_t;

void kc_errors_init(kc_errors_t *self);
void kc_errors_release(kc_errors_t *self);

/* Append an error; returns the stored entry (to add detail or hint) or NULL
 * when it was only counted. */
kc_error_t *kc_errors_add(kc_errors_t *self, kc_error_code_t code, const char *field,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Append a copy of an error already filled. */
void kc_errors_push(kc_errors_t *self, const kc_error_t *error);

#endif
