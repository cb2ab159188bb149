/*  kc_json_file: a JSON file on disk to a protobuf-c message.
 *
 *  kcctl reads requests from JSON files that people write by hand, so this
 *  part is about the file rather than the message: it reads the whole file
 *  (at most KC_JSON_FILE_MAX bytes, a UTF-8 byte order mark skipped),
 *  parses it as strict RFC 8259 JSON with json-c, and says where a file
 *  that does not parse goes wrong, by line and column, in one error whose
 *  field is the file name. The object it finds is handed to
 *  kc_json_to_message (kc_json_read.c), which builds the message.
 */
#include "kc/kc_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kc_json_internal.h"

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
    char *text = kc_json_allocate(capacity + 1);
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
