/*  Unit tests for kc_instant.c: instants never go back, run on at the
 *  steady clock's pace when the wall clock steps back, follow a wall clock
 *  that steps forward, tell a jump once, keep a floor recorded elsewhere,
 *  and begin again when the steady clock does. The clocks are given to kc_instant_next, so the
 * tests step them at will; kc-workflow under a stepped clock is tested in
 *  tests/integration/test_workflow_clock.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kc/kc_clock.h"
#include "kc/kc_instant.h"

#define HOUR_MS (3600 * 1000LL)
#define T0      1740963600000LL /* 2025-03-03 09:00 CST */

Test(kc_instant, follows_the_wall_clock_while_it_runs_steadily)
{
    kc_instant_t clock;
    kc_instant_init(&clock);
    cr_expect_eq(kc_instant_next(&clock, T0, 500), T0);
    cr_expect_eq(kc_instant_next(&clock, T0 + 1000, 1500), T0 + 1000);
    cr_expect_eq(kc_instant_next(&clock, T0 + 61000, 61500), T0 + 61000);
    cr_expect_eq(clock.jumped_ms, 0);
    cr_expect_not(clock.caught_up);
}

Test(kc_instant, a_wall_clock_stepped_back_an_hour_never_makes_an_instant_earlier)
{
    kc_instant_t clock;
    kc_instant_init(&clock);
    int64_t before = kc_instant_next(&clock, T0, 1000);
    /* a second later the wall reads an hour earlier */
    int64_t after = kc_instant_next(&clock, T0 + 1000 - HOUR_MS, 2000);
    cr_expect_eq(after, T0 + 1000, "the instant runs on at the steady pace");
    cr_expect_geq(after, before);
    cr_expect_eq(clock.jumped_ms, HOUR_MS, "the jump is told");
    /* ten real minutes on: ten minutes later, still an hour ahead of the wall */
    int64_t later = kc_instant_next(&clock, T0 + 601000 - HOUR_MS, 602000);
    cr_expect_eq(later, T0 + 601000);
    cr_expect_eq(clock.jumped_ms, 0, "told once, not at every instant after it");
    cr_expect_eq(clock.ahead_ms, HOUR_MS);
}

Test(kc_instant, a_timer_due_in_ten_minutes_falls_due_ten_real_minutes_later)
{
    kc_instant_t clock;
    kc_instant_init(&clock);
    int64_t due = kc_instant_next(&clock, T0, 0) + 10 * 60000;
    kc_instant_next(&clock, T0 - HOUR_MS + 1, 1); /* the wall steps back */
    cr_expect_lt(kc_instant_next(&clock, T0 - HOUR_MS + 599999, 599999), due);
    cr_expect_geq(kc_instant_next(&clock, T0 - HOUR_MS + 600000, 600000), due);
}

Test(kc_instant, a_wall_clock_stepped_forward_is_followed_and_ends_the_lead)
{
    kc_instant_t clock;
    kc_instant_init(&clock);
    kc_instant_next(&clock, T0, 0);
    kc_instant_next(&clock, T0 - HOUR_MS, 0);
    cr_expect_eq(clock.ahead_ms, HOUR_MS);
    /* the wall is set right again: the instants follow it, told once */
    cr_expect_eq(kc_instant_next(&clock, T0 + 5000, 5000), T0 + 5000);
    cr_expect(clock.caught_up);
    cr_expect_eq(clock.ahead_ms, 0);
    cr_expect_eq(kc_instant_next(&clock, T0 + 6000, 6000), T0 + 6000);
    cr_expect_not(clock.caught_up);
    /* and forward by a day: taken as it is */
    cr_expect_eq(kc_instant_next(&clock, T0 + 24 * HOUR_MS, 7000), T0 + 24 * HOUR_MS);
    cr_expect_eq(clock.jumped_ms, 0);
}

Test(kc_instant, a_second_jump_is_told_again_and_small_wobbles_are_not)
{
    kc_instant_t clock;
    kc_instant_init(&clock);
    kc_instant_next(&clock, T0, 0);
    kc_instant_next(&clock, T0 - 300, 0); /* 300 ms: a wobble */
    cr_expect_eq(clock.jumped_ms, 0);
    kc_instant_next(&clock, T0 - HOUR_MS, 0);
    cr_expect_eq(clock.jumped_ms, HOUR_MS);
    kc_instant_next(&clock, T0 - 2 * HOUR_MS, 0);
    cr_expect_eq(clock.jumped_ms, 2 * HOUR_MS, "behind by two hours now");
}

Test(kc_instant, a_steady_clock_that_goes_back_begins_again_from_the_wall)
{
    kc_instant_t clock;
    kc_instant_init(&clock);
    kc_instant_next(&clock, T0, 10000);
    /* only a host started afresh, or a test rewinding its clock file */
    cr_expect_eq(kc_instant_next(&clock, T0 - HOUR_MS, 5000), T0 - HOUR_MS);
    cr_expect_eq(clock.jumped_ms, 0);
    cr_expect_eq(kc_instant_next(&clock, T0 - HOUR_MS + 1000, 6000), T0 - HOUR_MS + 1000);
}

Test(kc_instant, a_floor_recorded_elsewhere_holds_after_a_restart)
{
    kc_instant_t clock;
    kc_instant_init(&clock); /* a fresh process: nothing given yet */
    kc_instant_floor(&clock, T0, 100);
    cr_expect_eq(kc_instant_next(&clock, T0 - HOUR_MS, 100), T0);
    cr_expect_eq(clock.jumped_ms, HOUR_MS, "a wall behind the recorded instants is told");
    cr_expect_eq(kc_instant_next(&clock, T0 - HOUR_MS + 2000, 2100), T0 + 2000);
    /* a floor below the instants changes nothing */
    kc_instant_floor(&clock, T0 - 5000, 2100);
    cr_expect_eq(kc_instant_next(&clock, T0 - HOUR_MS + 2000, 2100), T0 + 2000);
    /* one above them is kept, and the instants run on from it */
    kc_instant_floor(&clock, T0 + 9000, 2100);
    cr_expect_eq(kc_instant_next(&clock, T0 - HOUR_MS + 3000, 3100), T0 + 10000);
}

/* The demo starts kc-workflow on the real clock and writes its clock file
 * later with one number: the steady clock must move with the wall (a
 * week), not leap from the host's boot-relative count to the epoch's. */
Test(kc_instant, a_clock_file_written_after_the_start_moves_both_clocks_together)
{
    char path[] = "/tmp/kc-clock-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    unlink(path); /* not written yet */
    setenv("KC_FAKE_CLOCK_FILE", path, 1);
    int64_t wall = 0, steady = 0;
    kc_clock_read(&wall, &steady);
    int64_t week = 7 * 24 * 3600 * 1000LL;
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fprintf(file, "%lld\n", (long long)(wall + week));
    fclose(file);
    int64_t wall_after = 0, steady_after = 0;
    kc_clock_read(&wall_after, &steady_after);
    unsetenv("KC_FAKE_CLOCK_FILE");
    unlink(path);
    cr_assert_geq(wall_after - wall, week);
    cr_assert_lt(steady_after - steady, week + 60000, "the steady clock leapt by %lld ms",
                 (long long)(steady_after - steady));
    cr_assert_geq(steady_after - steady, week);
}
