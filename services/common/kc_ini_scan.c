/*  kc_ini_scan: the lines of an INI data file (see kc_ini_scan.h). */
#include "kc/kc_ini_scan.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static kc_error_t *s_note(kc_errors_t *errors, kc_error_code_t code, int line, const char *text)
{
    kc_error_t *error = kc_errors_add(errors, code, NULL, "%s", text);
    if (error)
        kc_error_detail(error, "line %d", line);
    return error;
}

/* libinih's own rule: stop at one of `chars`, or at ';' after white space. */
static char *s_find_chars_or_comment(char *s, const char *chars)
{
    bool was_space = false;
    while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
        was_space = *s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v';
        s++;
    }
    return s;
}

/* One line, at most KC_INI_LINE_MAX bytes, NUL terminated. *after_key: the
 * previous meaningful line was a key (libinih would take an indented line
 * as its continuation). -1 on a structural error. */
static int s_line(char *line, int number, bool *after_key, kc_errors_t *errors,
                  const kc_ini_visitor_t *visitor)
{
    char message[KC_ERROR_MESSAGE_MAX];
    char *start = line;
    char *end = line + strlen(line);
    while (end > start && strchr(" \t\r\f\v", end[-1]))
        *--end = '\0';
    while (*start && strchr(" \t\r\f\v", *start))
        start++;
    if (*start == '\0' || *start == ';' || *start == '#')
        return 0;
    if (*after_key && start > line) {
        snprintf(message, sizeof message,
                 "line %d is indented, so it would continue the previous value", number);
        s_note(errors, KC_ERR_INPUT, number, message);
        return -1;
    }
    if (*start == '[') {
        char *close = s_find_chars_or_comment(start + 1, "]");
        if (*close != ']') {
            snprintf(message, sizeof message, "line %d: '[' without ']'", number);
            s_note(errors, KC_ERR_INPUT, number, message);
            return -1;
        }
        *close = '\0';
        *after_key = false;
        visitor->on_section(visitor->context, start + 1, number);
        return 0;
    }
    char *equals = s_find_chars_or_comment(start, "=:");
    if (*equals != '=' && *equals != ':') {
        snprintf(message, sizeof message, "line %d is neither a [section] nor a key = value pair",
                 number);
        s_note(errors, KC_ERR_INPUT, number, message);
        return -1;
    }
    *after_key = true;
    visitor->on_key(visitor->context, number);
    return 0;
}

int kc_ini_scan(const char *text, size_t size, kc_errors_t *errors, const kc_ini_visitor_t *visitor)
{
    int rc = 0;
    bool after_key = false;
    int number = 0;
    size_t at = 0;
    if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        at = 3; /* a byte-order mark, which libinih skips too */
    while (at < size) {
        const char *newline = memchr(text + at, '\n', size - at);
        size_t length = newline ? (size_t)(newline - (text + at)) : size - at;
        number++;
        if (length > KC_INI_LINE_MAX) {
            char message[KC_ERROR_MESSAGE_MAX];
            snprintf(message, sizeof message,
                     "line %d is %zu bytes long, at most %d (about 65 Chinese characters): split "
                     "the comment or shorten the value",
                     number, length, KC_INI_LINE_MAX);
            s_note(errors, KC_ERR_TOO_LONG, number, message);
            rc = -1;
        } else {
            char line[KC_INI_LINE_MAX + 1];
            memcpy(line, text + at, length);
            line[length] = '\0';
            if (s_line(line, number, &after_key, errors, visitor))
                rc = -1;
        }
        at += length + 1;
    }
    return rc;
}
