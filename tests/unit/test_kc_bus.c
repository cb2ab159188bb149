/*  Unit tests of the envelope codec: what decodes, and what is refused
 *  before any handler sees it.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_bus.h"

static uint8_t *s_pack(const kc_envelope_t *envelope, size_t *size)
{
    *size = kc__v1__envelope__get_packed_size(envelope);
    uint8_t *bytes = malloc(*size + 1);
    kc__v1__envelope__pack(envelope, bytes);
    return bytes;
}

Test(kc_bus, a_stamped_envelope_round_trips)
{
    Kc__V1__Ping ping = KC__V1__PING__INIT;
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = "li";
    actor.role = "county_bureau";
    actor.division_code = "130123";
    kc_envelope_t envelope = KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_PING;
    envelope.ping = &ping;
    char id[KC_ID_SIZE];
    kc_bus_stamp(&envelope, id, "130123", &actor);
    cr_expect_str_eq(envelope.type, "Ping");
    cr_expect_eq(strlen(envelope.message_id), 36);
    size_t size;
    uint8_t *bytes = s_pack(&envelope, &size);
    kc_error_t error;
    kc_envelope_t *decoded = kc_bus_decode(bytes, size, &error);
    cr_assert(decoded, "%s", error.message);
    cr_expect_str_eq(decoded->message_id, id);
    cr_expect_str_eq(decoded->actor->division_code, "130123");
    cr_expect_eq(decoded->body_case, KC__V1__ENVELOPE__BODY_PING);
    kc_bus_free(&decoded);
    cr_expect_null(decoded);
    free(bytes);
}

Test(kc_bus, garbage_is_malformed)
{
    kc_error_t error;
    cr_expect_null(kc_bus_decode("\xff\xff\xff\xff\x0f", 5, &error));
    cr_expect_eq(error.code, KC_ERR_MALFORMED);
}

Test(kc_bus, an_envelope_without_a_body_has_an_unknown_type)
{
    kc_envelope_t envelope = KC__V1__ENVELOPE__INIT;
    envelope.message_id = "m";
    envelope.type = "Ping";
    size_t size;
    uint8_t *bytes = s_pack(&envelope, &size);
    kc_error_t error;
    cr_expect_null(kc_bus_decode(bytes, size, &error));
    cr_expect_eq(error.code, KC_ERR_UNKNOWN_TYPE);
    free(bytes);
}

Test(kc_bus, a_type_that_does_not_name_the_body_is_refused)
{
    Kc__V1__Ping ping = KC__V1__PING__INIT;
    kc_envelope_t envelope = KC__V1__ENVELOPE__INIT;
    envelope.message_id = "m";
    envelope.type = "SubmitReports";
    envelope.body_case = KC__V1__ENVELOPE__BODY_PING;
    envelope.ping = &ping;
    size_t size;
    uint8_t *bytes = s_pack(&envelope, &size);
    kc_error_t error;
    cr_expect_null(kc_bus_decode(bytes, size, &error));
    cr_expect_eq(error.code, KC_ERR_TYPE_MISMATCH);
    cr_expect_str_eq(error.field, "type");
    free(bytes);
}

Test(kc_bus, a_missing_message_id_is_refused)
{
    Kc__V1__Ping ping = KC__V1__PING__INIT;
    kc_envelope_t envelope = KC__V1__ENVELOPE__INIT;
    envelope.type = "Ping";
    envelope.body_case = KC__V1__ENVELOPE__BODY_PING;
    envelope.ping = &ping;
    size_t size;
    uint8_t *bytes = s_pack(&envelope, &size);
    kc_error_t error;
    cr_expect_null(kc_bus_decode(bytes, size, &error));
    cr_expect_eq(error.code, KC_ERR_MISSING_HEADER);
    cr_expect_str_eq(error.field, "message_id");
    free(bytes);
}

Test(kc_bus, a_rejected_reply_carries_every_error_and_the_total)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    for (int i = 0; i < KC_ERRORS_KEPT_MAX + 5; i++)
        kc_errors_add(&errors, KC_ERR_OUT_OF_RANGE, "reports[0].value", "value %d", i);
    Kc__V1__Rejected *rejected = kc_bus_rejected_new(&errors);
    cr_expect_eq(rejected->n_errors, KC_ERRORS_KEPT_MAX);
    cr_expect_eq(rejected->error_count, KC_ERRORS_KEPT_MAX + 5);
    cr_expect_str_eq(rejected->errors[0]->code, "validation.out_of_range");
    kc_error_t first;
    kc_bus_rejected_first(rejected, &first);
    cr_expect_eq(first.code, KC_ERR_OUT_OF_RANGE);
    cr_expect_str_eq(first.message, "value 0");
    kc_bus_rejected_destroy(&rejected);
    kc_errors_release(&errors);
}

Test(kc_bus, every_error_code_has_a_stable_name_that_maps_back)
{
    for (int code = KC_ERR_NONE + 1; code < KC_ERR_COUNT_; code++) {
        const char *name = kc_error_code_name((kc_error_code_t)code);
        cr_expect(strchr(name, '.') != NULL, "code %d has name '%s'", code, name);
        cr_expect_eq(kc_error_code_from_name(name), code);
    }
}

Test(kc_bus, a_field_numbered_zero_in_a_long_key_is_malformed)
{
    /* message_id "m", type "Ping", ping {}, then the over-long key 82 00
     * (field 0) that protobuf-c 1.4.1 lets through: found by fuzz_envelope. */
    const uint8_t frame[] = {0x0a, 0x01, 'm',  0x12, 0x04, 'P',  'i', 'n',
                             'g',  0x82, 0x01, 0x00, 0x82, 0x00, 0x00};
    kc_error_t error;
    cr_expect_null(kc_bus_decode(frame, sizeof frame, &error));
    cr_expect_eq(error.code, KC_ERR_MALFORMED);
}

Test(kc_bus, a_frame_that_would_decode_into_thirty_times_its_size_is_refused)
{
    /* SubmitReports holding 100,000 empty reports: 2 bytes each on the
     * wire, some 60 bytes each once decoded. */
    enum { REPORTS = 100000 };
    size_t body_size = 2 * REPORTS;
    uint8_t *frame = malloc(body_size + 64);
    size_t n = 0;
    const char header[] = "\x0a\x01m\x12\x0dSubmitReports";
    memcpy(frame, header, sizeof header - 1);
    n += sizeof header - 1;
    frame[n++] = 0x52; /* field 10, length-delimited: submit_reports */
    for (size_t length = body_size; length; length >>= 7)
        frame[n++] = (uint8_t)((length & 0x7f) | (length > 0x7f ? 0x80 : 0));
    for (int i = 0; i < REPORTS; i++) {
        frame[n++] = 0x12; /* field 2, length-delimited: one report */
        frame[n++] = 0x00; /* empty */
    }
    kc_error_t error;
    cr_expect_null(kc_bus_decode(frame, n, &error));
    cr_expect_eq(error.code, KC_ERR_MALFORMED);
    cr_expect(strstr(error.detail, "memory") != NULL, "detail: %s", error.detail);
    free(frame);
}

Test(kc_bus, a_real_national_batch_decodes_within_its_budget)
{
    /* 15,000 realistic reports (one provider's national year) decode. */
    enum { REPORTS = 15000 };
    Kc__V1__IndicatorReport *items = calloc(REPORTS, sizeof *items);
    Kc__V1__IndicatorReport **pointers = calloc(REPORTS, sizeof *pointers);
    for (int i = 0; i < REPORTS; i++) {
        kc__v1__indicator_report__init(&items[i]);
        items[i].county_code = "130123";
        items[i].indicator_code = "I03";
        items[i].year = 2023;
        items[i].value = 1.5 + i;
        pointers[i] = &items[i];
    }
    Kc__V1__SubmitReports reports = KC__V1__SUBMIT_REPORTS__INIT;
    reports.provider = "stats";
    reports.reports = pointers;
    reports.n_reports = REPORTS;
    kc_envelope_t envelope = KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    envelope.submit_reports = &reports;
    char id[KC_ID_SIZE];
    kc_bus_stamp(&envelope, id, "test", NULL);
    size_t size;
    uint8_t *bytes = s_pack(&envelope, &size);
    kc_error_t error;
    kc_envelope_t *decoded = kc_bus_decode(bytes, size, &error);
    cr_assert(decoded, "%s (%s)", error.message, error.detail);
    cr_expect_eq(decoded->submit_reports->n_reports, REPORTS);
    kc_bus_free(&decoded);
    free(bytes);
    free(items);
    free(pointers);
}
