/*  kc_json: protobuf-c messages to and from json-c objects.
 *
 *  One walk over the descriptor of a message in each direction. Writing is
 *  total: every message has a JSON form. Reading checks the shape only and
 *  keeps going after a problem, so the sender sees every misplaced field
 *  at once; the message it builds is kept consistent at every step (array
 *  counts match what was filled, a oneof case is set only with its member)
 *  so that protobuf_c_message_free_unpacked can free it whatever failed.
 *
 *  Memory follows the layout of protobuf-c's default allocator, which is
 *  what free_unpacked(message, NULL) expects: the message, its strings,
 *  bytes, repeated arrays and submessages each come from malloc; scalar
 *  fields not given keep the defaults protobuf_c_message_init put there.
 */
#include "kc/kc_json.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KC_JSON_PATH_MAX 512

/* What a reading walk carries: where the errors go and where it is. */
typedef struct {
    kc_errors_t *errors;         /* every problem found */
    char path[KC_JSON_PATH_MAX]; /* path of the value being read */
    size_t length;               /* bytes used in path */
} s_reader_t;

/* An integer read from JSON before it is fitted to a field: sign and size. */
typedef struct {
    bool negative;      /* true for values below zero */
    uint64_t magnitude; /* absolute value */
} s_integer_t;

static const char s_base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void *s_allocate(size_t size)
{
    void *memory = calloc(1, size ? size : 1);
    if (!memory)
        abort(); /* out of memory is not an error kechuang can answer */
    return memory;
}

/* ---------------------------------------------------------------------------
 * Layout of fields in the C structures protobuf-c generates.
 */

static size_t s_element_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return sizeof(uint32_t);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return sizeof(uint64_t);
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

static void *s_member(const ProtobufCMessage *message, unsigned offset)
{
    return (char *)message + offset;
}

/* True when the field is an optional scalar with a has_ flag (proto2, or
 * proto3 `optional`); strings and messages show presence by their pointer. */
static bool s_has_flag(const ProtobufCFieldDescriptor *field)
{
    return field->label == PROTOBUF_C_LABEL_OPTIONAL &&
           !(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && field->type != PROTOBUF_C_TYPE_STRING &&
           field->type != PROTOBUF_C_TYPE_MESSAGE;
}

static uint32_t *s_oneof_case(const ProtobufCMessage *message,
                              const ProtobufCFieldDescriptor *field)
{
    return (uint32_t *)s_member(message, field->quantifier_offset);
}

static const char *s_type_name(ProtobufCType type)
{
    static const char *const names[] = {
        [PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
        [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
        [PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
        [PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
        [PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
        [PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
        [PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_ENUM] = "enum",
        [PROTOBUF_C_TYPE_STRING] = "string",     [PROTOBUF_C_TYPE_BYTES] = "bytes",
        [PROTOBUF_C_TYPE_MESSAGE] = "message",
    };
    if ((unsigned)type >= sizeof names / sizeof names[0] || !names[type])
        return "unknown";
    return names[type];
}

/* ---------------------------------------------------------------------------
 * Writing: message to JSON.
 */

static struct json_object *s_write_message(const ProtobufCMessage *message);

/* The shortest decimal that reads back as the same double (or float, when
 * `is_float`), with ".0" added to whole numbers so that the value reads
 * back as a double; non-finite values as the strings of the proto3 JSON
 * mapping. */
static struct json_object *s_write_double(double value, bool is_float)
{
    if (isnan(value))
        return json_object_new_string("NaN");
    if (isinf(value))
        return json_object_new_string(value > 0 ? "Infinity" : "-Infinity");
    char text[40];
    for (int precision = is_float ? 6 : 15; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, value);
        double back = strtod(text, NULL);
        if (is_float ? (float)back == (float)value : back == value)
            break;
    }
    if (strspn(text, "-0123456789") == strlen(text)) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, ".0");
    }
    return json_object_new_double_s(value, text);
}

static struct json_object *s_write_bytes(const ProtobufCBinaryData *bytes)
{
    size_t length = bytes->data ? bytes->len : 0;
    size_t size = (length + 2) / 3 * 4;
    char *text = s_allocate(size + 1);
    size_t out = 0;
    for (size_t i = 0; i < length; i += 3) {
        uint32_t group = (uint32_t)bytes->data[i] << 16;
        if (i + 1 < length)
            group |= (uint32_t)bytes->data[i + 1] << 8;
        if (i + 2 < length)
            group |= bytes->data[i + 2];
        text[out++] = s_base64_alphabet[(group >> 18) & 63];
        text[out++] = s_base64_alphabet[(group >> 12) & 63];
        text[out++] = i + 1 < length ? s_base64_alphabet[(group >> 6) & 63] : '=';
        text[out++] = i + 2 < length ? s_base64_alphabet[group & 63] : '=';
    }
    struct json_object *result = json_object_new_string_len(text, (int)out);
    free(text);
    return result;
}

static struct json_object *s_write_enum(const ProtobufCFieldDescriptor *field, int value)
{
    const ProtobufCEnumValue *known =
        protobuf_c_enum_descriptor_get_value(field->descriptor, value);
    if (known)
        return json_object_new_string(known->name);
    return json_object_new_int(value);
}

/* JSON of one value of `field` stored at `slot` (the member itself, or one
 * element of a repeated member). */
static struct json_object *s_write_value(const ProtobufCFieldDescriptor *field, const void *slot)
{
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_object_new_int(*(const int32_t *)slot);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_object_new_int64(*(const uint32_t *)slot);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_object_new_int64(*(const int64_t *)slot);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_object_new_uint64(*(const uint64_t *)slot);
    case PROTOBUF_C_TYPE_FLOAT:
        return s_write_double(*(const float *)slot, true);
    case PROTOBUF_C_TYPE_DOUBLE:
        return s_write_double(*(const double *)slot, false);
    case PROTOBUF_C_TYPE_BOOL:
        return json_object_new_boolean(*(const protobuf_c_boolean *)slot != 0);
    case PROTOBUF_C_TYPE_ENUM:
        return s_write_enum(field, *(const int *)slot);
    case PROTOBUF_C_TYPE_STRING: {
        const char *text = *(char *const *)slot;
        return json_object_new_string(text ? text : "");
    }
    case PROTOBUF_C_TYPE_BYTES:
        return s_write_bytes(slot);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
        return sub ? s_write_message(sub) : NULL;
    }
    }
    return NULL;
}

static struct json_object *s_write_repeated(const ProtobufCMessage *message,
                                            const ProtobufCFieldDescriptor *field)
{
    size_t count = *(const size_t *)s_member(message, field->quantifier_offset);
    const char *array = *(char *const *)s_member(message, field->offset);
    size_t size = s_element_size(field->type);
    struct json_object *list = json_object_new_array_ext(array ? (int)count : 0);
    for (size_t i = 0; array && i < count; i++)
        json_object_array_add(list, s_write_value(field, array + i * size));
    return list;
}

/* True when the field has a value to write: a oneof member that is set, an
 * optional scalar whose has_ flag is set, or any other field. */
static bool s_is_written(const ProtobufCMessage *message, const ProtobufCFieldDescriptor *field)
{
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *s_oneof_case(message, field) == field->id;
    if (s_has_flag(field))
        return *(const protobuf_c_boolean *)s_member(message, field->quantifier_offset) != 0;
    return true;
}

static struct json_object *s_write_message(const ProtobufCMessage *message)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    struct json_object *object = json_object_new_object();
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[i];
        if (!s_is_written(message, field))
            continue;
        struct json_object *value = field->label == PROTOBUF_C_LABEL_REPEATED
                                        ? s_write_repeated(message, field)
                                        : s_write_value(field, s_member(message, field->offset));
        json_object_object_add(object, field->name, value);
    }
    return object;
}

struct json_object *kc_json_from_message(const ProtobufCMessage *message)
{
    return message ? s_write_message(message) : NULL;
}

/* ---------------------------------------------------------------------------
 * Reading: JSON to message. Paths and errors first.
 */

/* Record that snprintf wrote `wrote` bytes at the end of the path. */
static size_t s_path_grow(s_reader_t *self, size_t saved, int wrote)
{
    size_t room = sizeof self->path - saved;
    if (wrote > 0)
        self->length = saved + ((size_t)wrote < room ? (size_t)wrote : room - 1);
    return saved;
}

/* Append ".name" (or "name" at the root) to the reader's path; returns the
 * length to restore with s_path_pop. A path too long is cut, never overrun. */
static size_t s_path_push_name(s_reader_t *self, const char *name)
{
    size_t saved = self->length;
    int wrote =
        snprintf(self->path + saved, sizeof self->path - saved, "%s%s", saved ? "." : "", name);
    return s_path_grow(self, saved, wrote);
}

/* Append "[index]" to the reader's path; returns the length to restore. */
static size_t s_path_push_index(s_reader_t *self, size_t index)
{
    size_t saved = self->length;
    int wrote = snprintf(self->path + saved, sizeof self->path - saved, "[%zu]", index);
    return s_path_grow(self, saved, wrote);
}

static void s_path_pop(s_reader_t *self, size_t saved)
{
    self->length = saved;
    self->path[saved] = '\0';
}

/* "a string", "an object"... for the detail of a type error. */
static const char *s_json_kind(struct json_object *value)
{
    switch (json_object_get_type(value)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
    case json_type_int:
        return "a number";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "an unknown value";
}

static const char *s_expected_kind(const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
    case PROTOBUF_C_TYPE_STRING:
        return "a string";
    case PROTOBUF_C_TYPE_BYTES:
        return "a base64 string";
    case PROTOBUF_C_TYPE_BOOL:
        return "a boolean";
    case PROTOBUF_C_TYPE_ENUM:
        return "an enum name";
    case PROTOBUF_C_TYPE_MESSAGE:
        return "an object";
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        return "a number";
    default:
        return "an integer";
    }
}

/* Add an input error at the reader's path; the stored entry, or NULL when
 * the list only counted it. */
__attribute__((format(printf, 2, 3))) static kc_error_t *s_fail(s_reader_t *self,
                                                                const char *format, ...)
{
    char message[KC_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return kc_errors_add(self->errors, KC_ERR_INPUT, self->path, "%s", message);
}

/* The name of the field the reader is on: the last segment of its path. */
static const char *s_current_name(const ProtobufCFieldDescriptor *field)
{
    return field ? field->name : "value";
}

static void s_fail_type(s_reader_t *self, const ProtobufCFieldDescriptor *field,
                        const char *expected, struct json_object *value)
{
    kc_error_t *error = s_fail(self, "wrong type for \"%s\"", s_current_name(field));
    if (error)
        kc_error_detail(error, "expected %s, found %s", expected, s_json_kind(value));
}

/* ---------------------------------------------------------------------------
 * Reading scalars.
 */

/* An integer from a JSON integer or from a JSON double with no fraction. */
static int s_read_integer(s_reader_t *self, const ProtobufCFieldDescriptor *field,
                          struct json_object *value, s_integer_t *out)
{
    if (json_object_is_type(value, json_type_int)) {
        int64_t signed_value = json_object_get_int64(value);
        out->negative = signed_value < 0;
        out->magnitude =
            out->negative ? (uint64_t)(-(signed_value + 1)) + 1 : json_object_get_uint64(value);
        return 0;
    }
    if (!json_object_is_type(value, json_type_double)) {
        s_fail_type(self, field, "an integer", value);
        return -1;
    }
    double number = json_object_get_double(value);
    double size = number < 0 ? -number : number;
    bool whole =
        isfinite(number) && (size >= 9007199254740992.0 || (double)(int64_t)number == number);
    if (!whole) {
        kc_error_t *error = s_fail(self, "wrong type for \"%s\"", s_current_name(field));
        if (error)
            kc_error_detail(error, "expected an integer, found %s",
                            isfinite(number) ? "a fraction" : "a non-finite number");
        return -1;
    }
    if (size >= 18446744073709551616.0) {
        kc_error_t *error = s_fail(self, "value out of range for \"%s\"", s_current_name(field));
        if (error)
            kc_error_detail(error, "%g is out of range for %s", number, s_type_name(field->type));
        return -1;
    }
    out->negative = number < 0;
    out->magnitude = (uint64_t)size;
    return 0;
}

/* Fit an integer to the field's C type; reports values out of range. */
static int s_store_integer(s_reader_t *self, const ProtobufCFieldDescriptor *field,
                           const s_integer_t *number, void *slot)
{
    bool is_signed = true;
    uint64_t maximum = INT32_MAX;
    switch (field->type) {
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        is_signed = false;
        maximum = UINT32_MAX;
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        is_signed = false;
        maximum = UINT64_MAX;
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        maximum = INT64_MAX;
        break;
    default:
        break;
    }
    bool fits = number->negative ? is_signed && number->magnitude <= maximum + 1
                                 : number->magnitude <= maximum;
    if (number->negative && number->magnitude == 0)
        fits = true;
    if (!fits) {
        kc_error_t *error = s_fail(self, "value out of range for \"%s\"", s_current_name(field));
        if (error)
            kc_error_detail(error, "%s%llu is out of range for %s (%s%llu to %llu)",
                            number->negative ? "-" : "", (unsigned long long)number->magnitude,
                            s_type_name(field->type), is_signed ? "-" : "",
                            is_signed ? (unsigned long long)maximum + 1 : 0ULL,
                            (unsigned long long)maximum);
        return -1;
    }
    int64_t signed_value =
        number->negative ? (int64_t)(0 - number->magnitude) : (int64_t)number->magnitude;
    if (number->negative && number->magnitude == (uint64_t)INT64_MAX + 1)
        signed_value = INT64_MIN;
    switch (s_element_size(field->type)) {
    case sizeof(uint32_t):
        if (is_signed)
            *(int32_t *)slot = (int32_t)signed_value;
        else
            *(uint32_t *)slot = (uint32_t)number->magnitude;
        break;
    default:
        if (is_signed)
            *(int64_t *)slot = signed_value;
        else
            *(uint64_t *)slot = number->magnitude;
        break;
    }
    return 0;
}

static int s_read_real(s_reader_t *self, const ProtobufCFieldDescriptor *field,
                       struct json_object *value, void *slot)
{
    double number;
    if (json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double))
        number = json_object_get_double(value);
    else if (json_object_is_type(value, json_type_string) &&
             strcmp(json_object_get_string(value), "NaN") == 0)
        number = NAN;
    else if (json_object_is_type(value, json_type_string) &&
             strcmp(json_object_get_string(value), "Infinity") == 0)
        number = INFINITY;
    else if (json_object_is_type(value, json_type_string) &&
             strcmp(json_object_get_string(value), "-Infinity") == 0)
        number = -INFINITY;
    else {
        s_fail_type(self, field, "a number", value);
        return -1;
    }
    if (field->type == PROTOBUF_C_TYPE_DOUBLE) {
        *(double *)slot = number;
        return 0;
    }
    if (isfinite(number) && (number > FLT_MAX || number < -FLT_MAX)) {
        kc_error_t *error = s_fail(self, "value out of range for \"%s\"", s_current_name(field));
        if (error)
            kc_error_detail(error, "%g is out of range for float", number);
        return -1;
    }
    *(float *)slot = (float)number;
    return 0;
}

static int s_read_enum(s_reader_t *self, const ProtobufCFieldDescriptor *field,
                       struct json_object *value, int *slot)
{
    const ProtobufCEnumDescriptor *type = field->descriptor;
    if (json_object_is_type(value, json_type_string)) {
        const ProtobufCEnumValue *known =
            protobuf_c_enum_descriptor_get_value_by_name(type, json_object_get_string(value));
        if (!known) {
            kc_error_t *error = s_fail(self, "unknown value of \"%s\"", s_current_name(field));
            if (error)
                kc_error_detail(error, "\"%.64s\" is not a value of %s",
                                json_object_get_string(value), type->name);
            return -1;
        }
        *slot = known->value;
        return 0;
    }
    if (!json_object_is_type(value, json_type_int) &&
        !json_object_is_type(value, json_type_double)) {
        s_fail_type(self, field, "an enum name", value);
        return -1;
    }
    s_integer_t number;
    int32_t stored;
    ProtobufCFieldDescriptor as_int32 = *field;
    as_int32.type = PROTOBUF_C_TYPE_INT32;
    if (s_read_integer(self, field, value, &number) != 0 ||
        s_store_integer(self, &as_int32, &number, &stored) != 0)
        return -1;
    *slot = stored;
    return 0;
}

static int s_read_string(s_reader_t *self, const ProtobufCFieldDescriptor *field,
                         struct json_object *value, char **slot)
{
    if (!json_object_is_type(value, json_type_string)) {
        s_fail_type(self, field, "a string", value);
        return -1;
    }
    size_t length = (size_t)json_object_get_string_len(value);
    const char *text = json_object_get_string(value);
    if (memchr(text, '\0', length)) {
        kc_error_t *error = s_fail(self, "invalid text in \"%s\"", s_current_name(field));
        if (error)
            kc_error_detail(error, "the string holds a NUL character (\\u0000)");
        return -1;
    }
    char *copy = s_allocate(length + 1);
    memcpy(copy, text, length);
    *slot = copy;
    return 0;
}

static int s_base64_digit(unsigned char c)
{
    if (c == '-')
        return 62; /* the URL-safe alphabet of RFC 4648 section 5 */
    if (c == '_')
        return 63;
    const char *found = c ? strchr(s_base64_alphabet, c) : NULL;
    return found ? (int)(found - s_base64_alphabet) : -1;
}

/* Decode standard or URL-safe base64, padding optional. */
static int s_base64_decode(const char *text, size_t length, ProtobufCBinaryData *out)
{
    if (length % 4 == 0 && length > 0 && text[length - 1] == '=')
        length -= text[length - 2] == '=' ? 2 : 1;
    if (length % 4 == 1)
        return -1;
    uint8_t *bytes = s_allocate(length / 4 * 3 + 2);
    size_t used = 0;
    uint32_t bits = 0;
    int held = 0;
    for (size_t i = 0; i < length; i++) {
        int digit = s_base64_digit((unsigned char)text[i]);
        if (digit < 0) {
            free(bytes);
            return -1;
        }
        bits = (bits << 6) | (uint32_t)digit;
        held += 6;
        if (held >= 8) {
            held -= 8;
            bytes[used++] = (uint8_t)(bits >> held);
            bits &= (1u << held) - 1;
        }
    }
    if (used == 0) {
        free(bytes);
        bytes = NULL;
    }
    out->data = bytes;
    out->len = used;
    return 0;
}

static int s_read_bytes(s_reader_t *self, const ProtobufCFieldDescriptor *field,
                        struct json_object *value, ProtobufCBinaryData *slot)
{
    if (!json_object_is_type(value, json_type_string)) {
        s_fail_type(self, field, "a base64 string", value);
        return -1;
    }
    ProtobufCBinaryData bytes;
    if (s_base64_decode(json_object_get_string(value), (size_t)json_object_get_string_len(value),
                        &bytes) != 0) {
        kc_error_t *error = s_fail(self, "invalid base64 in \"%s\"", s_current_name(field));
        if (error)
            kc_error_hint(error, "bytes are written in base64 (RFC 4648), padding optional");
        return -1;
    }
    *slot = bytes;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Reading messages, fields and arrays.
 */

static ProtobufCMessage *s_read_message(s_reader_t *self, struct json_object *object,
                                        const ProtobufCMessageDescriptor *descriptor, int depth);

static bool s_too_deep(s_reader_t *self, int depth)
{
    if (depth <= KC_JSON_DEPTH_MAX)
        return false;
    kc_error_t *error = s_fail(self, "nesting too deep at \"%s\"", self->path);
    if (error)
        kc_error_detail(error, "more than %d levels of objects and arrays", KC_JSON_DEPTH_MAX);
    return true;
}

/* Read one value of `field` into `slot`. Returns 0 when it stored
 * something the message now owns (a submessage is stored even when some
 * of its fields were wrong, so that it is freed with the message). */
static int s_read_value(s_reader_t *self, const ProtobufCFieldDescriptor *field,
                        struct json_object *value, void *slot, int depth)
{
    s_integer_t number;
    switch (field->type) {
    case PROTOBUF_C_TYPE_STRING:
        return s_read_string(self, field, value, slot);
    case PROTOBUF_C_TYPE_BYTES:
        return s_read_bytes(self, field, value, slot);
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_object_is_type(value, json_type_boolean)) {
            s_fail_type(self, field, "a boolean", value);
            return -1;
        }
        *(protobuf_c_boolean *)slot = json_object_get_boolean(value) ? 1 : 0;
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        return s_read_real(self, field, value, slot);
    case PROTOBUF_C_TYPE_ENUM:
        return s_read_enum(self, field, value, slot);
    case PROTOBUF_C_TYPE_MESSAGE:
        if (!json_object_is_type(value, json_type_object)) {
            s_fail_type(self, field, "an object", value);
            return -1;
        }
        if (s_too_deep(self, depth + 1))
            return -1;
        *(ProtobufCMessage **)slot = s_read_message(self, value, field->descriptor, depth + 1);
        return 0;
    default:
        if (s_read_integer(self, field, value, &number) != 0)
            return -1;
        return s_store_integer(self, field, &number, slot);
    }
}

static void s_read_repeated(s_reader_t *self, ProtobufCMessage *message,
                            const ProtobufCFieldDescriptor *field, struct json_object *list,
                            int depth)
{
    if (!json_object_is_type(list, json_type_array)) {
        kc_error_t *error = s_fail(self, "wrong type for \"%s\"", field->name);
        if (error)
            kc_error_detail(error, "expected an array of %s, found %s", s_type_name(field->type),
                            s_json_kind(list));
        return;
    }
    if (s_too_deep(self, depth + 1))
        return;
    size_t length = json_object_array_length(list);
    if (length == 0)
        return;
    size_t size = s_element_size(field->type);
    size_t *count = s_member(message, field->quantifier_offset);
    char *array = s_allocate(length * size);
    *(char **)s_member(message, field->offset) = array;
    *count = 0;
    for (size_t i = 0; i < length; i++) {
        size_t saved = s_path_push_index(self, i);
        struct json_object *element = json_object_array_get_idx(list, i);
        if (json_object_is_type(element, json_type_null))
            s_fail_type(self, field, s_expected_kind(field), element);
        else if (s_read_value(self, field, element, array + *count * size, depth + 1) == 0)
            (*count)++;
        s_path_pop(self, saved);
    }
}

static const char *s_field_name_by_id(const ProtobufCMessageDescriptor *descriptor, uint32_t id)
{
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field(descriptor, id);
    return field ? field->name : "?";
}

static void s_read_single(s_reader_t *self, ProtobufCMessage *message,
                          const ProtobufCFieldDescriptor *field, struct json_object *value,
                          int depth)
{
    void *slot = s_member(message, field->offset);
    if (!(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
        if (s_read_value(self, field, value, slot, depth) == 0 && s_has_flag(field))
            *(protobuf_c_boolean *)s_member(message, field->quantifier_offset) = 1;
        return;
    }
    uint32_t *chosen = s_oneof_case(message, field);
    if (*chosen != 0 && *chosen != field->id) {
        kc_error_t *error = s_fail(self, "conflicting field \"%s\"", field->name);
        if (error) {
            kc_error_detail(error,
                            "\"%s\" and \"%s\" are members of one oneof: only one may be set",
                            s_field_name_by_id(message->descriptor, *chosen), field->name);
            kc_error_hint(error, "keep one of them");
        }
        return;
    }
    /* A oneof's union holds no default: start the member from zero. */
    memset(slot, 0, s_element_size(field->type));
    if (s_read_value(self, field, value, slot, depth) == 0)
        *chosen = field->id;
}

/* The fields of a message as "a, b, c", cut to fit `size` bytes. */
static void s_list_fields(const ProtobufCMessageDescriptor *descriptor, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const char *name = descriptor->fields[i].name;
        size_t need = strlen(name) + (i ? 2 : 0);
        if (used + need + 5 >= size) {
            snprintf(out + used, size - used, "%s...", i ? ", " : "");
            return;
        }
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "", name);
    }
}

static void s_fail_unknown(s_reader_t *self, const ProtobufCMessageDescriptor *descriptor,
                           const char *key)
{
    kc_error_t *error = s_fail(self, "unknown field \"%.64s\"", key);
    if (!error)
        return;
    char fields[KC_ERROR_HINT_MAX - 32];
    s_list_fields(descriptor, fields, sizeof fields);
    kc_error_detail(error, "\"%.64s\" is not part of %s", key, descriptor->name);
    kc_error_hint(error, "remove it; the fields are %s", fields);
}

static ProtobufCMessage *s_read_message(s_reader_t *self, struct json_object *object,
                                        const ProtobufCMessageDescriptor *descriptor, int depth)
{
    ProtobufCMessage *message = s_allocate(descriptor->sizeof_message);
    protobuf_c_message_init(descriptor, message);
    json_object_object_foreach(object, key, value)
    {
        size_t saved = s_path_push_name(self, key);
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field_by_name(descriptor, key);
        if (!field)
            s_fail_unknown(self, descriptor, key);
        else if (json_object_is_type(value, json_type_null))
            ; /* null: not given, the field keeps its default */
        else if (field->label == PROTOBUF_C_LABEL_REPEATED)
            s_read_repeated(self, message, field, value, depth);
        else
            s_read_single(self, message, field, value, depth);
        s_path_pop(self, saved);
    }
    return message;
}

ProtobufCMessage *kc_json_to_message(struct json_object *object,
                                     const ProtobufCMessageDescriptor *descriptor, const char *path,
                                     kc_errors_t *errors)
{
    s_reader_t reader = {.errors = errors};
    size_t before = errors->total;
    if (path && *path)
        s_path_push_name(&reader, path);
    if (!json_object_is_type(object, json_type_object)) {
        kc_error_t *error = s_fail(&reader, "wrong type for \"%s\"",
                                   reader.length ? reader.path : descriptor->short_name);
        if (error)
            kc_error_detail(error, "expected an object, found %s", s_json_kind(object));
        return NULL;
    }
    ProtobufCMessage *message = s_read_message(&reader, object, descriptor, 1);
    if (errors->total != before) {
        protobuf_c_message_free_unpacked(message, NULL);
        return NULL;
    }
    return message;
}

/* ---------------------------------------------------------------------------
 * Reading files.
 */

/* The whole file in a new NUL-terminated buffer, or NULL with an error. */
static char *s_read_file(const char *path, size_t *length, kc_errors_t *errors)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        kc_error_t *error = kc_errors_add(errors, KC_ERR_INPUT, path, "cannot open \"%s\"", path);
        if (error)
            kc_error_detail(error, "%s", strerror(errno));
        return NULL;
    }
    size_t capacity = 64 * 1024, used = 0;
    char *text = s_allocate(capacity + 1);
    for (;;) {
        if (used == capacity) {
            capacity *= 2;
            text = realloc(text, capacity + 1);
            if (!text)
                abort();
        }
        size_t got = fread(text + used, 1, capacity - used, file);
        used += got;
        if (got == 0 || used > KC_JSON_FILE_MAX)
            break;
    }
    const char *problem = ferror(file) ? strerror(errno) : NULL;
    fclose(file);
    if (!problem && used > KC_JSON_FILE_MAX)
        problem = "the file is larger than 16 MiB";
    if (problem) {
        kc_error_t *error = kc_errors_add(errors, KC_ERR_INPUT, path, "cannot read \"%s\"", path);
        if (error)
            kc_error_detail(error, "%s", problem);
        free(text);
        return NULL;
    }
    text[used] = '\0';
    *length = used;
    return text;
}

/* 1-based line and column (in characters) of byte `offset` of `text`. */
static void s_position(const char *text, size_t offset, size_t *line, size_t *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            (*line)++;
            *column = 1;
        } else if ((c & 0xC0) != 0x80) {
            (*column)++;
        }
    }
}

static void s_fail_parse(kc_errors_t *errors, const char *path, const char *text, size_t offset,
                         const char *problem)
{
    size_t line, column;
    s_position(text, offset, &line, &column);
    kc_error_t *error = kc_errors_add(errors, KC_ERR_INPUT, path, "cannot parse \"%s\"", path);
    if (error) {
        kc_error_detail(error, "line %zu, column %zu: %s", line, column, problem);
        kc_error_hint(error, "the file must hold one JSON object (RFC 8259)");
    }
}

/* Parse the text as strict JSON; NULL with one error if it is not. A JSON
 * null comes back as NULL too, with an error saying an object was wanted. */
static struct json_object *s_parse(const char *path, const char *text, size_t length,
                                   kc_errors_t *errors)
{
    const char *nul = memchr(text, '\0', length);
    if (nul) {
        s_fail_parse(errors, path, text, (size_t)(nul - text), "the file holds a NUL byte");
        return NULL;
    }
    if (strspn(text, " \t\r\n") == length) {
        s_fail_parse(errors, path, text, length, "the file is empty");
        return NULL;
    }
    struct json_tokener *tokener = json_tokener_new_ex(KC_JSON_DEPTH_MAX);
    if (!tokener)
        abort();
    json_tokener_set_flags(tokener, JSON_TOKENER_STRICT);
    /* length + 1: the terminating NUL tells json-c the input ends here. */
    struct json_object *root = json_tokener_parse_ex(tokener, text, (int)length + 1);
    enum json_tokener_error status = json_tokener_get_error(tokener);
    size_t end = json_tokener_get_parse_end(tokener);
    json_tokener_free(tokener);
    if (status == json_tokener_continue)
        s_fail_parse(errors, path, text, length, "unexpected end of file");
    else if (status != json_tokener_success)
        s_fail_parse(errors, path, text, end, json_tokener_error_desc(status));
    else if (end < length && strspn(text + end, " \t\r\n") < length - end)
        s_fail_parse(errors, path, text, end, "unexpected text after the JSON value");
    else if (!root)
        s_fail_parse(errors, path, text, 0, "expected an object, found null");
    else
        return root;
    json_object_put(root);
    return NULL;
}

ProtobufCMessage *kc_json_file_to_message(const char *path_on_disk,
                                          const ProtobufCMessageDescriptor *descriptor,
                                          kc_errors_t *errors)
{
    size_t length = 0;
    char *text = s_read_file(path_on_disk, &length, errors);
    if (!text)
        return NULL;
    const char *start = text;
    if (length >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        start += 3;
        length -= 3;
    }
    struct json_object *root = s_parse(path_on_disk, start, length, errors);
    free(text);
    if (!root)
        return NULL;
    ProtobufCMessage *message = kc_json_to_message(root, descriptor, NULL, errors);
    json_object_put(root);
    return message;
}
