/*  kc_clock: wall and monotonic time, with the one fake tests may use. */
#include "kc/kc_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static int64_t s_fake_ms = -1; /* -1: not yet read from the environment */

static int64_t s_real_ms(clockid_t clock)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int kc_clock_read_file(const char *path, int64_t *wall_ms, int64_t *steady_ms)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    long long wall = 0, steady = 0;
    struct stat info;
    int read = fscanf(file, "%lld %lld", &wall, &steady);
    int rc = read >= 1 && wall > 0 && fstat(fileno(file), &info) == 0 ? 0 : -1;
    fclose(file);
    if (rc)
        return -1;
    if (read < 2 || steady <= 0)
        steady = wall;
    /* the file sets the clocks at the instant it was written (its mtime);
     * from there they run at the real pace, so retries and backoffs still
     * come due */
    int64_t written = (int64_t)info.st_mtim.tv_sec * 1000 + info.st_mtim.tv_nsec / 1000000;
    int64_t elapsed = s_real_ms(CLOCK_REALTIME) - written;
    if (elapsed < 0)
        elapsed = 0;
    *wall_ms = (int64_t)wall + elapsed;
    *steady_ms = (int64_t)steady + elapsed;
    return 0;
}

/* The fixed fake (KC_FAKE_NOW_MS or kc_clock_set_fake), 0 when none. */
static int64_t s_fixed_ms(void)
{
    if (s_fake_ms < 0) {
        const char *fake = getenv("KC_FAKE_NOW_MS");
        s_fake_ms = fake ? strtoll(fake, NULL, 10) : 0;
        if (s_fake_ms < 0)
            s_fake_ms = 0;
    }
    return s_fake_ms;
}

void kc_clock_read(int64_t *wall_ms, int64_t *steady_ms)
{
    const char *path = getenv("KC_FAKE_CLOCK_FILE");
    if (path && *path) {
        if (kc_clock_read_file(path, wall_ms, steady_ms) == 0)
            return;
        /* a clock file not written yet: the real wall clock, and as the
         * steady clock the same, as a file with one number gives it, so
         * that writing the file later moves both clocks together (the
         * host's monotonic clock counts from its boot and would seem to
         * leap by decades) */
        *wall_ms = *steady_ms = s_real_ms(CLOCK_REALTIME);
        return;
    }
    int64_t fixed = s_fixed_ms();
    if (fixed > 0) {
        *wall_ms = *steady_ms = fixed;
        return;
    }
    *wall_ms = s_real_ms(CLOCK_REALTIME);
    *steady_ms = s_real_ms(CLOCK_MONOTONIC);
}

int64_t kc_clock_now_ms(void)
{
    int64_t wall, steady;
    kc_clock_read(&wall, &steady);
    return wall;
}

int64_t kc_clock_steady_ms(void)
{
    int64_t wall, steady;
    kc_clock_read(&wall, &steady);
    return steady;
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
