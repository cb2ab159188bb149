/*  kc_error: the table of stable error codes and the error list.
 *
 *  The strings below are the contract: clients branch on them, so a code's
 *  string never changes meaning once shipped (add new ones instead).
 */
#include "kc/kc_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_code_names[KC_ERR_COUNT_] = {
    [KC_ERR_NONE] = "ok",
    [KC_ERR_REQUIRED] = "validation.required",
    [KC_ERR_TOO_LONG] = "validation.too_long",
    [KC_ERR_INVALID_UTF8] = "validation.invalid_utf8",
    [KC_ERR_INVALID_FORMAT] = "validation.invalid_format",
    [KC_ERR_INVALID_ID_CARD] = "validation.invalid_id_card",
    [KC_ERR_INVALID_DATE] = "validation.invalid_date",
    [KC_ERR_UNKNOWN_COUNTY] = "validation.unknown_county",
    [KC_ERR_COUNTY_NOT_IN_YEAR] = "validation.county_not_valid_in_year",
    [KC_ERR_NOT_COUNTY_LEVEL] = "validation.not_county_level",
    [KC_ERR_YEAR_OUT_OF_RANGE] = "validation.year_out_of_range",
    [KC_ERR_UNKNOWN_INDICATOR] = "validation.unknown_indicator",
    [KC_ERR_UNKNOWN_PROVIDER] = "validation.unknown_provider",
    [KC_ERR_PROVIDER_NOT_ALLOWED] = "validation.provider_not_allowed",
    [KC_ERR_NOT_FINITE] = "validation.not_finite",
    [KC_ERR_OUT_OF_RANGE] = "validation.out_of_range",
    [KC_ERR_DUPLICATE_IN_BATCH] = "validation.duplicate_in_batch",
    [KC_ERR_EMPTY_BATCH] = "validation.empty_batch",
    [KC_ERR_UNKNOWN_PROGRAMME] = "validation.unknown_programme",
    [KC_ERR_UNKNOWN_APPLICATION] = "validation.unknown_application",
    [KC_ERR_KEY_REUSED] = "conflict.idempotency_key_reused",
    [KC_ERR_NOT_FOUND] = "conflict.not_found",
    [KC_ERR_DUPLICATE_APPLICATION] = "conflict.duplicate_application",
    [KC_ERR_STATE_CHANGED] = "conflict.state_changed",
    [KC_ERR_NOT_ON_NOTICE] = "conflict.not_on_notice",
    [KC_ERR_ALREADY_DONE] = "conflict.already_done",
    [KC_ERR_DENIED] = "authorisation.denied",
    [KC_ERR_MALFORMED] = "bus.malformed",
    [KC_ERR_UNKNOWN_TYPE] = "bus.unknown_type",
    [KC_ERR_TYPE_MISMATCH] = "bus.type_mismatch",
    [KC_ERR_MISSING_HEADER] = "bus.missing_header",
    [KC_ERR_NO_ANSWER] = "bus.no_answer",
    [KC_ERR_DATABASE] = "database.failed",
    [KC_ERR_DB_UNAVAILABLE] = "database.unavailable",
    [KC_ERR_CONFIG] = "config.invalid",
    [KC_ERR_INPUT] = "input.invalid",
    [KC_ERR_INTERNAL] = "internal.error",
    [KC_ERR_LOW_COVERAGE] = "conflict.low_coverage",
    [KC_ERR_OUTSIDE_PROVINCE] = "validation.outside_province",
    [KC_ERR_NOT_ELIGIBLE] = "validation.not_eligible",
};

const char *kc_error_code_name(kc_error_code_t code)
{
    if ((int)code < 0 || code >= KC_ERR_COUNT_ || !s_code_names[code])
        return "internal.error";
    return s_code_names[code];
}

kc_error_code_t kc_error_code_from_name(const char *name)
{
    for (int i = 0; name && i < KC_ERR_COUNT_; i++)
        if (s_code_names[i] && strcmp(s_code_names[i], name) == 0)
            return (kc_error_code_t)i;
    return KC_ERR_INTERNAL;
}

static void s_copy(char *out, size_t size, const char *text)
{
    snprintf(out, size, "%s", text ? text : "");
}

int kc_error_set(kc_error_t *self, kc_error_code_t code, const char *field, const char *fmt, ...)
{
    va_list args;
    kc_error_clear(self);
    self->code = code;
    s_copy(self->field, sizeof self->field, field);
    va_start(args, fmt);
    vsnprintf(self->message, sizeof self->message, fmt, args);
    va_end(args);
    return -1;
}

void kc_error_detail(kc_error_t *self, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(self->detail, sizeof self->detail, fmt, args);
    va_end(args);
}

void kc_error_hint(kc_error_t *self, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(self->hint, sizeof self->hint, fmt, args);
    va_end(args);
}

void kc_error_clear(kc_error_t *self)
{
    memset(self, 0, sizeof *self);
}

void kc_errors_init(kc_errors_t *self)
{
    memset(self, 0, sizeof *self);
}

void kc_errors_release(kc_errors_t *self)
{
    free(self->items);
    memset(self, 0, sizeof *self);
}

static kc_error_t *s_slot(kc_errors_t *self)
{
    self->total++;
    if (self->kept >= KC_ERRORS_KEPT_MAX)
        return NULL;
    if (self->kept == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 8;
        kc_error_t *items = realloc(self->items, capacity * sizeof *items);
        if (!items)
            abort(); /* out of memory is not an error kechuang can answer */
        self->items = items;
        self->capacity = capacity;
    }
    return &self->items[self->kept++];
}

kc_error_t *kc_errors_add(kc_errors_t *self, kc_error_code_t code, const char *field,
                          const char *fmt, ...)
{
    kc_error_t *slot = s_slot(self);
    if (!slot)
        return NULL;
    kc_error_clear(slot);
    slot->code = code;
    s_copy(slot->field, sizeof slot->field, field);
    va_list args;
    va_start(args, fmt);
    vsnprintf(slot->message, sizeof slot->message, fmt, args);
    va_end(args);
    return slot;
}

void kc_errors_push(kc_errors_t *self, const kc_error_t *error)
{
    kc_error_t *slot = s_slot(self);
    if (slot)
        *slot = *error;
}
