/*  kc_log: the logger. One line per event, written with a single write(2)
 *  so lines from concurrent processes sharing a file never interleave.
 */
#include "kc/kc_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kc/kc_clock.h"

static struct {
    char daemon[32];
    char node[64];
    kc_log_level_t level;
} s_log = {"kechuang", "-", KC_LOG_INFO};

static const char *const s_level_names[] = {"error", "warn", "notice", "info", "debug"};

void kc_log_init(const char *daemon, const char *node, kc_log_level_t level)
{
    snprintf(s_log.daemon, sizeof s_log.daemon, "%s", daemon ? daemon : "kechuang");
    snprintf(s_log.node, sizeof s_log.node, "%s", node && *node ? node : "-");
    s_log.level = level;
}

int kc_log_level_parse(const char *name)
{
    for (int i = 0; name && i <= KC_LOG_DEBUG; i++)
        if (strcmp(name, s_level_names[i]) == 0)
            return i;
    return -1;
}

void kc_log(kc_log_level_t level, const char *fmt, ...)
{
    if (level > s_log.level)
        return;
    char line[2048];
    char stamp[32];
    kc_clock_format(kc_clock_now_ms(), stamp, sizeof stamp);
    int used = snprintf(line, sizeof line, "%s %s %s %s ", stamp, s_level_names[level],
                        s_log.daemon, s_log.node);
    va_list args;
    va_start(args, fmt);
    if (used > 0 && (size_t)used < sizeof line)
        used += vsnprintf(line + used, sizeof line - (size_t)used, fmt, args);
    va_end(args);
    if (used < 0)
        return;
    if ((size_t)used >= sizeof line - 1)
        used = (int)sizeof line - 2;
    line[used++] = '\n';
    ssize_t written = write(STDERR_FILENO, line, (size_t)used);
    (void)written; /* nowhere left to report a failing log */
}

void kc_log_mask(const char *value, char *out, size_t out_size)
{
    if (!out_size)
        return;
    size_t length = value ? strlen(value) : 0;
    size_t i = 0;
    for (; i < length && i + 1 < out_size; i++)
        out[i] = (i < 3 || i + 2 >= length) ? value[i] : '*';
    out[i] = '\0';
}
