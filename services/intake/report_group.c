/*  report_group: array literals for the one-statement group write.
 *
 *  Text-format array literals are used rather than binary arrays: they are
 *  simple to build, every element is quoted and escaped here, and they
 *  travel as parameters, never as SQL. Bodies and event payloads are bytea
 *  in PostgreSQL's hex form ("\x0a01...").
 */
#include "intake/report_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const report_group_sql =
    "SELECT * FROM intake_store_report_group($1::text[], $2::bytea[], $3::text[], $4::text[],"
    " $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bytea[], $11::int[],"
    " $12::int[], $13::text[], $14::int[], $15::text[], $16::float8[], $17)";

/* A growing array literal. */
typedef struct {
    char *text;
    size_t length;
    size_t capacity;
    size_t elements;
} s_literal_t;

static void s_append(s_literal_t *self, const char *piece, size_t length)
{
    if (self->length + length + 2 > self->capacity) {
        size_t capacity = self->capacity ? self->capacity : 256;
        while (capacity < self->length + length + 2)
            capacity *= 2;
        char *text = realloc(self->text, capacity);
        if (!text)
            abort();
        self->text = text;
        self->capacity = capacity;
    }
    memcpy(self->text + self->length, piece, length);
    self->length += length;
    self->text[self->length] = '\0';
}

static void s_open(s_literal_t *self)
{
    memset(self, 0, sizeof *self);
    s_append(self, "{", 1);
}

static void s_separate(s_literal_t *self)
{
    if (self->elements++)
        s_append(self, ",", 1);
}

/* A quoted element: backslash and double quote escaped. */
static void s_text(s_literal_t *self, const char *value)
{
    s_separate(self);
    s_append(self, "\"", 1);
    for (const char *c = value; *c; c++) {
        if (*c == '"' || *c == '\\')
            s_append(self, "\\", 1);
        s_append(self, c, 1);
    }
    s_append(self, "\"", 1);
}

static void s_integer(s_literal_t *self, long long value)
{
    char number[24];
    int length = snprintf(number, sizeof number, "%lld", value);
    s_separate(self);
    s_append(self, number, (size_t)length);
}

static void s_double(s_literal_t *self, double value)
{
    char number[32];
    int length = snprintf(number, sizeof number, "%.17g", value);
    s_separate(self);
    s_append(self, number, (size_t)length);
}

/* bytea in hex form, quoted; the backslash of \x escaped for the array. */
static void s_bytes(s_literal_t *self, const uint8_t *bytes, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    s_separate(self);
    s_append(self, "\"\\\\x", 4);
    char pair[2];
    for (size_t i = 0; i < size; i++) {
        pair[0] = digits[bytes[i] >> 4];
        pair[1] = digits[bytes[i] & 15];
        s_append(self, pair, 2);
    }
    s_append(self, "\"", 1);
}

static char *s_close(s_literal_t *self)
{
    s_append(self, "}", 1);
    return self->text;
}

enum {
    KEYS,
    BODIES,
    MESSAGES,
    SENDERS,
    USERS,
    ROLES,
    DIVISIONS,
    ORGANISATIONS,
    PROVIDERS,
    EVENTS,
    COUNTS,
    VALUE_WRITES,
    COUNTIES,
    YEARS,
    INDICATORS,
    VALUES
};

static void s_add_write(s_literal_t *literals, const store_write_t *write, size_t ordinal)
{
    const kc_envelope_t *request = write->request;
    const Kc__V1__SubmitReports *reports = request->submit_reports;
    size_t size = kc__v1__submit_reports__get_packed_size(reports);
    uint8_t *body = malloc(size ? size : 1);
    if (!body)
        abort();
    kc__v1__submit_reports__pack(reports, body);
    s_text(&literals[KEYS], request->idempotency_key);
    s_bytes(&literals[BODIES], body, size);
    free(body);
    s_text(&literals[MESSAGES], request->message_id);
    s_text(&literals[SENDERS], request->sender_node);
    s_text(&literals[USERS], request->actor->user_id);
    s_text(&literals[ROLES], request->actor->role);
    s_text(&literals[DIVISIONS], request->actor->division_code);
    s_text(&literals[ORGANISATIONS], request->actor->organisation);
    s_text(&literals[PROVIDERS], reports->provider);
    s_bytes(&literals[EVENTS], write->event_payload, write->event_size);
    s_integer(&literals[COUNTS], (long long)reports->n_reports);
    for (size_t i = 0; i < reports->n_reports; i++) {
        const Kc__V1__IndicatorReport *report = reports->reports[i];
        s_integer(&literals[VALUE_WRITES], (long long)ordinal);
        s_text(&literals[COUNTIES], report->county_code);
        s_integer(&literals[YEARS], report->year);
        s_text(&literals[INDICATORS], report->indicator_code);
        s_double(&literals[VALUES], report->value);
    }
}

void report_group_build(report_group_t *self, store_write_t *const *writes, size_t count,
                        const char *node)
{
    s_literal_t literals[REPORT_GROUP_PARAMS - 1];
    for (int i = 0; i < REPORT_GROUP_PARAMS - 1; i++)
        s_open(&literals[i]);
    for (size_t i = 0; i < count; i++)
        s_add_write(literals, writes[i], i + 1);
    for (int i = 0; i < REPORT_GROUP_PARAMS - 1; i++) {
        self->arrays[i] = s_close(&literals[i]);
        self->values[i] = self->arrays[i];
    }
    self->values[REPORT_GROUP_PARAMS - 1] = node;
}

void report_group_release(report_group_t *self)
{
    for (int i = 0; i < REPORT_GROUP_PARAMS - 1; i++) {
        free(self->arrays[i]);
        self->arrays[i] = NULL;
    }
}
