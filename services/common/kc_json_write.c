/*  kc_json_write: protobuf-c messages to json-c objects.
 *
 *  One walk over the descriptor of a message, field by field, nested
 *  messages and repeated fields included, following the mapping that
 *  include/kc/kc_json.h sets out. Writing is total: every message has a
 *  JSON form, so nothing here can fail but the allocator, which aborts.
 *  The way back, JSON to message, is kc_json_read.c; the layout helpers
 *  both walks use are in kc_json_internal.h, the base64 of bytes fields in
 *  kc_json_base64.c.
 */
#include "kc/kc_json.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kc_json_internal.h"

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
    size_t length = 0;
    char *text = kc_json_base64_encode(bytes->data, bytes->data ? bytes->len : 0, &length);
    struct json_object *result = json_object_new_string_len(text, (int)length);
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
    size_t count = *(const size_t *)kc_json_member(message, field->quantifier_offset);
    const char *array = *(char *const *)kc_json_member(message, field->offset);
    size_t size = kc_json_element_size(field->type);
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
        return *kc_json_oneof_case(message, field) == field->id;
    if (kc_json_has_flag(field))
        return *(const protobuf_c_boolean *)kc_json_member(message, field->quantifier_offset) != 0;
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
        struct json_object *value =
            field->label == PROTOBUF_C_LABEL_REPEATED
                ? s_write_repeated(message, field)
                : s_write_value(field, kc_json_member(message, field->offset));
        json_object_object_add(object, field->name, value);
    }
    return object;
}

struct json_object *kc_json_from_message(const ProtobufCMessage *message)
{
    return message ? s_write_message(message) : NULL;
}
