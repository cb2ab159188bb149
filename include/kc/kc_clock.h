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
 *
 *  A second number on the file's line is the host's steady clock at that
 *  moment (kc_clock_steady_ms, CLOCK_MONOTONIC's stand-in): a test that
 *  steps the wall clock back while time runs on writes the wall back and
 *  the steady clock on. Without it the steady clock reads as the wall.
 */
#ifndef KC_CLOCK_H
#define KC_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in Unix milliseconds (or the fake, when set). */
int64_t kc_clock_now_ms(void);

/* Monotonic time in microseconds, for timeouts and latencies; never faked. */
int64_t kc_clock_mono_us(void);

/* The host's steady time in milliseconds: a clock that is never set, so
 * the difference of two readings is the real time between them
 * (CLOCK_MONOTONIC). Under KC_FAKE_CLOCK_FILE it is the file's second
 * number (else its first) run on at the real pace; under a fixed fake it
 * stands still with the wall. Only differences mean anything. */
int64_t kc_clock_steady_ms(void);

/* The wall (kc_clock_now_ms) and the steady clock (kc_clock_steady_ms)
 * read together, from one read of the fake file when there is one. */
void kc_clock_read(int64_t *wall_ms, int64_t *steady_ms);

/* The clocks a KC_FAKE_CLOCK_FILE at `path` shows now: its wall and
 * steady milliseconds, each run on by the real time since it was written.
 * 0, or -1 when it is missing or holds no positive number. */
int kc_clock_read_file(const char *path, int64_t *wall_ms, int64_t *steady_ms);

/* Fix the wall clock at `ms`; 0 returns to the real clock. */
void kc_clock_set_fake(int64_t ms);

/* Format Unix milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 25 bytes). */
void kc_clock_format(int64_t ms, char *out, size_t out_size);

/* Current year in China (UTC+8) by this clock. */
int kc_clock_year(void);

#endif
