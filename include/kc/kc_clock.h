/*  kc_clock: the time as kechuang sees it.
 *
 *  All code asks this clock, never time() directly, so tests can fix the
 *  time (the only fake kechuang allows). The fake is process-wide and is
 *  also taken from the KC_FAKE_NOW_MS environment variable at first use,
 *  so a test can fix the clock of a daemon it starts. A clock that moves
 *  under the test's hand (public notices closing, a year passing before
 *  the next assessment) is KC_FAKE_CLOCK_FILE: a file holding Unix
 *  milliseconds, read at every call, which the test rewrites; the clock
 *  shows that instant when the file is written and runs on from there at
 *  the real pace (so retries and backoffs still fall due).
 */
#ifndef KC_CLOCK_H
#define KC_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in Unix milliseconds (or the fake, when set). */
int64_t kc_clock_now_ms(void);

/* Monotonic time in microseconds, for timeouts and latencies; never faked. */
int64_t kc_clock_mono_us(void);

/* Fix the wall clock at `ms`; 0 returns to the real clock. */
void kc_clock_set_fake(int64_t ms);

/* Format Unix milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 25 bytes). */
void kc_clock_format(int64_t ms, char *out, size_t out_size);

/* Current year in China (UTC+8) by this clock. */
int kc_clock_year(void);

#endif
