/*  kc_clock: wall and monotonic time, with the one fake tests may use. */
#include "kc/kc_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static int64_t s_fake_ms = -1; /* -1: not yet read from the environment */

/* KC_FAKE_CLOCK_FILE's time, or 0 when unset or unreadable. The file
 * sets the clock at the instant it was written (its mtime); from there the
 * clock runs at the real pace, so retries and backoffs still come due. */
static int64_t s_clock_file_ms(void)
{
    const char *path = getenv("KC_FAKE_CLOCK_FILE");
    if (!path || !*path)
        return 0;
    FILE *file = fopen(path, "r");
    if (!file)
        return 0;
    long long ms = 0;
    struct stat info;
    if (fscanf(file, "%lld", &ms) != 1 || ms < 0 || fstat(fileno(file), &info) != 0)
        ms = 0;
    fclose(file);
    if (ms == 0)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t written = (int64_t)info.st_mtim.tv_sec * 1000 + info.st_mtim.tv_nsec / 1000000;
    int64_t elapsed = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - written;
    return (int64_t)ms + (elapsed > 0 ? elapsed : 0);
}

int64_t kc_clock_now_ms(void)
{
    int64_t from_file = s_clock_file_ms();
    if (from_file > 0)
        return from_file;
    if (s_fake_ms < 0) {
        const char *fake = getenv("KC_FAKE_NOW_MS");
        s_fake_ms = fake ? strtoll(fake, NULL, 10) : 0;
        if (s_fake_ms < 0)
            s_fake_ms = 0;
    }
    if (s_fake_ms > 0)
        return s_fake_ms;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int64_t kc_clock_mono_us(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

void kc_clock_set_fake(int64_t ms)
{
    s_fake_ms = ms > 0 ? ms : 0;
}

void kc_clock_format(int64_t ms, char *out, size_t out_size)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm utc;
    gmtime_r(&seconds, &utc);
    snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
             utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, (int)(ms % 1000));
}

int kc_clock_year(void)
{
    /* China keeps UTC+8 all year: the policy year turns at Beijing midnight. */
    time_t seconds = (time_t)(kc_clock_now_ms() / 1000 + 8 * 3600);
    struct tm local;
    gmtime_r(&seconds, &local);
    return local.tm_year + 1900;
}
