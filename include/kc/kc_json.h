/*  kc_json: protobuf-c messages to and from json-c objects.
 *
 *  kechuang stores forms (an application's MountainBaseForm, an objection)
 *  as JSON so that a person can read them in the database, and kcctl reads
 *  requests from JSON files that people write by hand. Both directions are
 *  driven by the protobuf-c descriptors, so a new field in proto/ needs no
 *  code here.
 *
 *  The mapping, for every message:
 *    - keys are the field names of the .proto file (snake_case);
 *    - string, bool, every integer type (int64 and uint64 as JSON numbers,
 *      not strings), double and float map to the JSON scalar of that kind;
 *      a non-finite double is written as the string "NaN", "Infinity" or
 *      "-Infinity", and those strings are read back;
 *    - an enum is its value's name (an unknown number is written as a number;
 *      a number is accepted on input);
 *    - bytes are standard base64 with padding;
 *    - a nested message is an object, a repeated field an array;
 *    - of a oneof only the member that is set appears.
 *  On output every field outside a oneof is written, defaults included
 *  (an absent message as null), so a stored form shows every field.
 *  On input null stands for "not given" for any field; a field not given
 *  keeps its default.
 *
 *  Nothing here validates content (lengths, UTF-8, dates): that is the
 *  validator's work. Only the shape is checked, and every problem is
 *  reported with the path of the offending value.
 */
#ifndef KC_JSON_H
#define KC_JSON_H

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

#include "kc/kc_error.h"

/* Deepest nesting of messages and arrays kc_json_to_message follows. */
#define KC_JSON_DEPTH_MAX 32

/* Largest file kc_json_file_to_message reads, in bytes. */
#define KC_JSON_FILE_MAX (16 * 1024 * 1024)

/* A new json-c object holding every field of `message` (see the mapping
 * above). The caller owns it and drops it with json_object_put. Never NULL
 * for a non-NULL message; NULL for NULL. */
struct json_object *kc_json_from_message(const ProtobufCMessage *message);

/* A new heap message of type `descriptor` built from `object`, which must be
 * a JSON object. `path` names where `object` sits in a larger request
 * ("form"); the path of every error is `path` followed by the field path
 * ("form.head.phone", "form.plan.attachments[2].name"), or the field path
 * alone when `path` is NULL or "".
 *
 * Every problem is appended to `errors` with code KC_ERR_INPUT: a key that
 * is not a field of the message, a value of the wrong JSON type, an integer
 * out of the field's range or a fraction given for an integer, an unknown
 * enum name, bad base64, a string holding a NUL character, two members of
 * one oneof, nesting deeper than KC_JSON_DEPTH_MAX. Strings are stored
 * exactly as given (UTF-8 is checked by the validator).
 *
 * Returns NULL when any error was added (having freed everything it built),
 * otherwise a message the caller frees with
 * protobuf_c_message_free_unpacked(message, NULL). */
ProtobufCMessage *kc_json_to_message(struct json_object *object,
                                     const ProtobufCMessageDescriptor *descriptor, const char *path,
                                     kc_errors_t *errors);

/* Read the JSON file at `path_on_disk` (an optional UTF-8 byte order mark is
 * skipped; strict RFC 8259 JSON, at most KC_JSON_FILE_MAX bytes) and build a
 * message of type `descriptor` from it as kc_json_to_message does, with
 * field paths from the root of the document. A file that cannot be read or
 * parsed gives one KC_ERR_INPUT error whose field is the file name and
 * whose detail says the line and column of the problem.
 * Returns NULL when any error was added; otherwise the caller frees the
 * message with protobuf_c_message_free_unpacked(message, NULL). */
ProtobufCMessage *kc_json_file_to_message(const char *path_on_disk,
                                          const ProtobufCMessageDescriptor *descriptor,
                                          kc_errors_t *errors);

#endif
