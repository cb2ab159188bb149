/*  kc_json_internal: what the parts of kc_json share, private to them.
 *
 *  kc_json is split by direction: kc_json_write.c turns a message into
 *  JSON, kc_json_read.c turns JSON into a message, kc_json_file.c parses a
 *  JSON file and hands its object to kc_json_read.c, and kc_json_base64.c
 *  codes the bytes fields both ways. The writer and the reader walk the same C structures
 *  that protobuf-c generates; the helpers below say where a field lives in
 *  them and how big one element is, so both walks read the layout the same
 *  way. Nothing outside services/common/kc_json_*.c includes this header:
 *  the public interface is include/kc/kc_json.h.
 */
#ifndef KC_JSON_INTERNAL_H
#define KC_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <protobuf-c/protobuf-c.h>

/* A zeroed block of `size` bytes (at least one) from malloc, as
 * protobuf_c_message_free_unpacked(message, NULL) expects to free it.
 * Never NULL: out of memory aborts. */
static inline void *kc_json_allocate(size_t size)
{
    void *memory = calloc(1, size ? size : 1);
    if (!memory)
        abort(); /* out of memory is not an error kechuang can answer */
    return memory;
}

/* ---------------------------------------------------------------------------
 * Layout of fields in the C structures protobuf-c generates.
 */

/* Bytes of one value of a field of `type`: one element of a repeated
 * member, or the member itself. */
static inline size_t kc_json_element_size(ProtobufCType type)
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

/* The member of `message` at `offset`, from a field descriptor. */
static inline void *kc_json_member(const ProtobufCMessage *message, unsigned offset)
{
    return (char *)message + offset;
}

/* True when the field is an optional scalar with a has_ flag (proto2, or
 * proto3 `optional`); strings and messages show presence by their pointer. */
static inline bool kc_json_has_flag(const ProtobufCFieldDescriptor *field)
{
    return field->label == PROTOBUF_C_LABEL_OPTIONAL &&
           !(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && field->type != PROTOBUF_C_TYPE_STRING &&
           field->type != PROTOBUF_C_TYPE_MESSAGE;
}

/* The case member of the oneof `field` belongs to: the id of the member set. */
static inline uint32_t *kc_json_oneof_case(const ProtobufCMessage *message,
                                           const ProtobufCFieldDescriptor *field)
{
    return (uint32_t *)kc_json_member(message, field->quantifier_offset);
}

/* ---------------------------------------------------------------------------
 * Base64 (RFC 4648), in kc_json_base64.c: how bytes fields are written.
 */

/* `length` bytes at `bytes` as standard base64 with padding, in a new
 * NUL-terminated string the caller frees; its length goes to `*text_length`.
 * Never NULL: out of memory aborts. */
char *kc_json_base64_encode(const uint8_t *bytes, size_t length, size_t *text_length);

/* Decode `length` characters at `text`, standard or URL-safe base64,
 * padding optional, into `out`: out->data is a new block from malloc, or
 * NULL for no bytes. Returns 0, or -1 (with `out` untouched) when the text
 * is not base64. */
int kc_json_base64_decode(const char *text, size_t length, ProtobufCBinaryData *out);

#endif
