/*  kc_json_read: json-c objects to protobuf-c messages.
 *
 *  One walk over the descriptor of the message wanted, driven by the keys
 *  of the JSON object, following the mapping that include/kc/kc_json.h
 *  sets out. Reading checks the shape only and keeps going after a
 *  problem, so the sender sees every misplaced field at once, each error
 *  with the path of its value ("form.plan.attachments[2].name"); the
 *  message it builds is kept consistent at every step (array counts match
 *  what was filled, a oneof case is set only with its member) so that
 *  protobuf_c_message_free_unpacked can free it whatever failed.
 *
 *  Memory follows the layout of protobuf-c's default allocator, which is
 *  what free_unpacked(message, NULL) expects: the message, its strings,
 *  bytes, repeated arrays and submessages each come from malloc; scalar
 *  fields not given keep the defaults protobuf_c_message_init put there.
 *
 *  The way out, message to JSON, is kc_json_write.c; reading a JSON file
 *  first is kc_json_file.c; the layout helpers both walks use are in
 *  kc_json_internal.h, the base64 of bytes fields in kc_json_base64.c.
 */
#include "kc/kc_json.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kc_json_internal.h"

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

/* The .proto name of a field type, for the detail of an error. */
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
 * Paths and errors.
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

/* Whether the C type of an integer field is signed, and its largest value. */
static void s_integer_range(ProtobufCType type, bool *is_signed, uint64_t *maximum)
{
    *is_signed = true;
    *maximum = INT32_MAX;
    switch (type) {
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        *is_signed = false;
        *maximum = UINT32_MAX;
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *is_signed = false;
        *maximum = UINT64_MAX;
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        *maximum = INT64_MAX;
        break;
    default:
        break;
    }
}

/* Fit an integer to the field's C type; reports values out of range. */
static int s_store_integer(s_reader_t *self, const ProtobufCFieldDescriptor *field,
                           const s_integer_t *number, void *slot)
{
    bool is_signed;
    uint64_t maximum;
    s_integer_range(field->type, &is_signed, &maximum);
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
    switch (kc_json_element_size(field->type)) {
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
    char *copy = kc_json_allocate(length + 1);
    memcpy(copy, text, length);
    *slot = copy;
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
    if (kc_json_base64_decode(json_object_get_string(value),
                              (size_t)json_object_get_string_len(value), &bytes) != 0) {
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
    size_t size = kc_json_element_size(field->type);
    size_t *count = kc_json_member(message, field->quantifier_offset);
    char *array = kc_json_allocate(length * size);
    *(char **)kc_json_member(message, field->offset) = array;
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
    void *slot = kc_json_member(message, field->offset);
    if (!(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
        if (s_read_value(self, field, value, slot, depth) == 0 && kc_json_has_flag(field))
            *(protobuf_c_boolean *)kc_json_member(message, field->quantifier_offset) = 1;
        return;
    }
    uint32_t *chosen = kc_json_oneof_case(message, field);
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
    memset(slot, 0, kc_json_element_size(field->type));
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
    ProtobufCMessage *message = kc_json_allocate(descriptor->sizeof_message);
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
