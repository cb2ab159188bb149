/*  notify_public: see notify_public.h. */
#include "notify/notify_public.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void notify_public_escape(const char *text, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *at = text; *at; at++) {
        const char *put = *at == '&'   ? "&amp;"
                          : *at == '<' ? "&lt;"
                          : *at == '>' ? "&gt;"
                          : *at == '"' ? "&quot;"
                                       : NULL;
        size_t n = put ? strlen(put) : 1;
        /* never cut a UTF-8 character: a continuation byte goes with its lead */
        size_t whole = n;
        if (!put && ((unsigned char)*at & 0xC0) == 0xC0)
            while (((unsigned char)at[whole] & 0xC0) == 0x80)
                whole++;
        if (used + whole >= size)
            break;
        memcpy(out + used, put ? put : at, whole);
        used += whole;
        at += put ? 0 : whole - 1;
    }
    out[used] = '\0';
}

int notify_public_write(const char *dir, const char *seq, const char *subject, const char *body,
                        const char *published, kc_error_t *error)
{
    char path[512], temporary[520];
    snprintf(path, sizeof path, "%s/notice-%s.html", dir, seq);
    snprintf(temporary, sizeof temporary, "%s.part", path);
    char title[2048], text[8192];
    notify_public_escape(subject, title, sizeof title);
    notify_public_escape(body, text, sizeof text);
    FILE *file = fopen(temporary, "w");
    if (!file)
        return kc_error_set(error, KC_ERR_INTERNAL, "notify.public_dir",
                            "cannot write the public notice '%.200s': %s", temporary,
                            strerror(errno));
    fprintf(file,
            "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\">"
            "<title>%s</title></head>\n<body>\n<h1>%s</h1>\n<p>%s</p>\n"
            "<p class=\"published\">发布时间：%s</p>\n</body>\n</html>\n",
            title, title, text, published);
    bool written = fflush(file) == 0 && !ferror(file);
    if (fclose(file) != 0 || !written || rename(temporary, path) != 0) {
        remove(temporary);
        return kc_error_set(error, KC_ERR_INTERNAL, "notify.public_dir",
                            "cannot write the public notice '%.200s': %s", path, strerror(errno));
    }
    return 0;
}
