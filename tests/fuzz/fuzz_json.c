/*  fuzz_json: any text as a JSON request for kc_json.
 *
 *  kcctl reads applications from JSON files people write by hand, and
 *  kc-intake stores forms as JSON built by kc_json_from_message, so both
 *  directions meet text nobody checked. Each input is parsed by json-c
 *  (json_tokener_parse, as lenient as json-c is by default) and read as a
 *  kc.v1.SubmitApplication, the message kcctl builds from a file; it is
 *  also read as a kc.v1.Envelope, whose fields add the integer, double,
 *  repeated and many-member oneof paths SubmitApplication lacks.
 *
 *  Invariants checked (abort on breach, which libFuzzer reports as a crash):
 *    - kc_json_to_message returns a message exactly when it added no
 *      error, and every error it adds is KC_ERR_INPUT with a message;
 *    - a message read goes back to JSON, that JSON reads again without
 *      error, and the second message packs to the same bytes as the first
 *      and writes the same JSON;
 *    - the JSON written serialises to text that json-c parses back to an
 *      equal object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "kc/kc_error.h"
#include "kc/kc_json.h"
#include "kc/v1/envelope.pb-c.h"
#include "kc/v1/intake.pb-c.h"

#define S_CHECK(condition)                                                                         \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *s_pack(const ProtobufCMessage *message, size_t *size)
{
    *size = protobuf_c_message_get_packed_size(message);
    uint8_t *bytes = malloc(*size ? *size : 1);
    S_CHECK(bytes);
    S_CHECK(protobuf_c_message_pack(message, bytes) == *size);
    return bytes;
}

static void s_check_errors(const kc_errors_t *errors, size_t before)
{
    S_CHECK(errors->total > before && errors->kept > 0);
    for (size_t i = 0; i < errors->kept; i++) {
        S_CHECK(errors->items[i].code == KC_ERR_INPUT);
        S_CHECK(errors->items[i].message[0] != '\0');
    }
}

/* Read `object` as a `descriptor` message below `path` and, when it reads,
 * take it round JSON once more. */
static void s_round_trip(struct json_object *object, const ProtobufCMessageDescriptor *descriptor,
                         const char *path)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message = kc_json_to_message(object, descriptor, path, &errors);
    if (!message) {
        s_check_errors(&errors, 0);
        kc_errors_release(&errors);
        return;
    }
    S_CHECK(errors.total == 0);
    S_CHECK(message->descriptor == descriptor);

    struct json_object *written = kc_json_from_message(message);
    S_CHECK(written && json_object_is_type(written, json_type_object));
    ProtobufCMessage *again = kc_json_to_message(written, descriptor, path, &errors);
    if (!again) {
        fprintf(stderr, "JSON written by kc_json_from_message does not read back:\n%s\n",
                json_object_to_json_string_ext(written, JSON_C_TO_STRING_PLAIN));
        for (size_t i = 0; i < errors.kept; i++)
            fprintf(stderr, "  %s: %s (%s)\n", errors.items[i].field, errors.items[i].message,
                    errors.items[i].detail);
        abort();
    }

    size_t first_size, second_size;
    uint8_t *first = s_pack(message, &first_size);
    uint8_t *second = s_pack(again, &second_size);
    S_CHECK(first_size == second_size && memcmp(first, second, first_size) == 0);

    struct json_object *rewritten = kc_json_from_message(again);
    S_CHECK(json_object_equal(written, rewritten));

    const char *text = json_object_to_json_string_ext(written, JSON_C_TO_STRING_PLAIN);
    struct json_object *parsed = json_tokener_parse(text);
    S_CHECK(parsed && json_object_equal(parsed, written));

    json_object_put(parsed);
    json_object_put(rewritten);
    free(second);
    free(first);
    protobuf_c_message_free_unpacked(again, NULL);
    json_object_put(written);
    protobuf_c_message_free_unpacked(message, NULL);
    kc_errors_release(&errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    S_CHECK(text);
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    struct json_object *object = json_tokener_parse(text);
    free(text);
    if (!object)
        return 0; /* not JSON, or the JSON null */

    s_round_trip(object, &kc__v1__submit_application__descriptor, "");
    s_round_trip(object, &kc__v1__envelope__descriptor, "request");

    json_object_put(object);
    return 0;
}
