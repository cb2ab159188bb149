/*  fuzz_envelope: hostile frames against kc_bus_decode and the intake
 *  validators.
 *
 *  Every byte a ROUTER socket receives reaches kc_bus_decode, so it must
 *  turn any bytes into either an envelope or a bus.* error, never a crash
 *  or a leak. An envelope it accepts goes on through what kc-intake runs
 *  before touching PostgreSQL: validate_actor, validate_objection on an
 *  objection, validate_reports and validate_application against a small
 *  catalogue built by hand (catalogue_new and the add functions: two
 *  counties, one merged away in 2020, three indicators, three providers),
 *  and the filing title of an application. Last, the envelope is packed
 *  again and decoded again: a message that came off the wire must go back
 *  on it, and packing the re-decoded envelope must give the same bytes.
 *
 *  Invariants checked (abort on breach, which libFuzzer reports as a crash):
 *    - decode fails <=> the error has a code; succeeds => body is known,
 *      `type` names it and the message id is set;
 *    - a validator that adds an error names a field;
 *    - pack(decode(x)) decodes, and pack(decode(pack(decode(x)))) is
 *      byte-identical to pack(decode(x)).
 *
 *  This target found a bug of protobuf-c 1.4.1: its decoder refuses field
 *  number 0 only in a one-byte key, so an over-long key such as 82 00 was
 *  kept as an unknown field numbered 0 that re-packs into bytes the decoder
 *  refuses. kc_bus_decode now refuses such envelopes (seed-field-zero.pb).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue_fixture.h"
#include "intake/validate.h"
#include "kc/kc_bus.h"
#include "kc/kc_clock.h"
#include "kc/kc_error.h"

#define S_CHECK(condition)                                                                         \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static catalogue_t *s_catalogue;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    kc_clock_set_fake(1717200000000); /* 2024-06-01: "today" for the date rules */
    s_catalogue = catalogue_fixture_new();
    return 0;
}

/* Every error of the list has a code and, for what validators add, a field. */
static void s_check_errors(const kc_errors_t *errors)
{
    S_CHECK(errors->kept <= errors->total);
    for (size_t i = 0; i < errors->kept; i++) {
        S_CHECK(errors->items[i].code != KC_ERR_NONE);
        S_CHECK(errors->items[i].field[0] != '\0');
        S_CHECK(errors->items[i].message[0] != '\0');
    }
}

static void s_validate(const kc_envelope_t *envelope)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    validate_actor(envelope->actor, &errors);
    if (envelope->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_OBJECTION)
        validate_objection(envelope->submit_objection, &errors);
    if (envelope->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS)
        validate_reports(s_catalogue, envelope->actor, envelope->submit_reports, &errors);
    if (envelope->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION)
        validate_application(s_catalogue, envelope->submit_application, &errors);
    if (envelope->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION &&
        envelope->submit_application->form_case == KC__V1__SUBMIT_APPLICATION__FORM_MOUNTAIN_BASE) {
        const Kc__V1__MountainBaseForm *form = envelope->submit_application->mountain_base;
        char title[512];
        validate_filing_title(form->location, form->industry, title, sizeof title);
        S_CHECK(strlen(title) < sizeof title);
    }
    s_check_errors(&errors);
    kc_errors_release(&errors);
}

/* Pack into a new buffer; the packed size must be what get_packed_size said. */
static uint8_t *s_pack(const kc_envelope_t *envelope, size_t *size)
{
    *size = kc__v1__envelope__get_packed_size(envelope);
    uint8_t *bytes = malloc(*size ? *size : 1);
    S_CHECK(bytes);
    S_CHECK(kc__v1__envelope__pack(envelope, bytes) == *size);
    return bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kc_error_t error;
    kc_error_clear(&error);
    kc_envelope_t *envelope = kc_bus_decode(data, size, &error);
    if (!envelope) {
        S_CHECK(error.code == KC_ERR_MALFORMED || error.code == KC_ERR_UNKNOWN_TYPE ||
                error.code == KC_ERR_TYPE_MISMATCH || error.code == KC_ERR_MISSING_HEADER);
        S_CHECK(error.message[0] != '\0');
        return 0;
    }
    const char *name = kc_bus_body_name(envelope->body_case);
    S_CHECK(*name && strcmp(name, envelope->type) == 0);
    S_CHECK(envelope->message_id && *envelope->message_id);

    s_validate(envelope);

    size_t first_size, second_size;
    uint8_t *first = s_pack(envelope, &first_size);
    kc_envelope_t *again = kc_bus_decode(first, first_size, &error);
    if (!again) {
        fprintf(stderr, "re-packed envelope does not decode: %s: %s (%s)\n",
                kc_error_code_name(error.code), error.message, error.detail);
        abort();
    }
    S_CHECK(again->body_case == envelope->body_case);
    uint8_t *second = s_pack(again, &second_size);
    S_CHECK(first_size == second_size);
    S_CHECK(memcmp(first, second, first_size) == 0);

    free(second);
    free(first);
    kc_bus_free(&again);
    kc_bus_free(&envelope);
    S_CHECK(envelope == NULL);
    return 0;
}
