/*  kc_json_base64: base64 (RFC 4648), the JSON form of protobuf bytes.
 *
 *  The proto3 JSON mapping writes a bytes field as a base64 string.
 *  kc_json_write.c encodes with the standard alphabet and padding;
 *  kc_json_read.c decodes what people and other programs send, so the
 *  decoder is lenient where the standard allows it: the URL-safe alphabet
 *  (section 5) is accepted too, and padding may be left out. Both are
 *  declared in kc_json_internal.h; nothing else in kechuang codes base64.
 *
 *  Memory comes from kc_json_allocate, so decoded bytes stored in a message
 *  are freed by protobuf_c_message_free_unpacked(message, NULL).
 */
#include "common/kc_json_internal.h"

#include <string.h>

static const char s_base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *kc_json_base64_encode(const uint8_t *bytes, size_t length, size_t *text_length)
{
    size_t size = (length + 2) / 3 * 4;
    char *text = kc_json_allocate(size + 1);
    size_t out = 0;
    for (size_t i = 0; i < length; i += 3) {
        uint32_t group = (uint32_t)bytes[i] << 16;
        if (i + 1 < length)
            group |= (uint32_t)bytes[i + 1] << 8;
        if (i + 2 < length)
            group |= bytes[i + 2];
        text[out++] = s_base64_alphabet[(group >> 18) & 63];
        text[out++] = s_base64_alphabet[(group >> 12) & 63];
        text[out++] = i + 1 < length ? s_base64_alphabet[(group >> 6) & 63] : '=';
        text[out++] = i + 2 < length ? s_base64_alphabet[group & 63] : '=';
    }
    *text_length = out;
    return text;
}

static int s_digit(unsigned char c)
{
    if (c == '-')
        return 62; /* the URL-safe alphabet of RFC 4648 section 5 */
    if (c == '_')
        return 63;
    const char *found = c ? strchr(s_base64_alphabet, c) : NULL;
    return found ? (int)(found - s_base64_alphabet) : -1;
}

int kc_json_base64_decode(const char *text, size_t length, ProtobufCBinaryData *out)
{
    if (length % 4 == 0 && length > 0 && text[length - 1] == '=')
        length -= text[length - 2] == '=' ? 2 : 1;
    if (length % 4 == 1)
        return -1;
    uint8_t *bytes = kc_json_allocate(length / 4 * 3 + 2);
    size_t used = 0;
    uint32_t bits = 0;
    int held = 0;
    for (size_t i = 0; i < length; i++) {
        int digit = s_digit((unsigned char)text[i]);
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
