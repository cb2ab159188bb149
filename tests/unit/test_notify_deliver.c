/*  Unit tests of notify_deliver's backoff: the wait after a failed attempt
 *  stays within the bounds docs/notification.md states, whatever the
 *  jitter draws. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "notify/notify_deliver.h"

Test(notify_deliver, the_backoff_doubles_within_half_and_one_and_a_half_times)
{
    static const uint32_t draws[] = {0, 1, 999, 1000, 1999, 2000, 123456789, UINT32_MAX};
    for (int attempt = 1; attempt <= 8; attempt++) {
        int64_t nominal = 2000LL << (attempt - 1);
        for (size_t i = 0; i < sizeof draws / sizeof draws[0]; i++) {
            int64_t wait = notify_deliver_backoff_ms(2000, attempt, draws[i]);
            cr_assert_geq(wait, nominal / 2, "attempt %d: %lld", attempt, (long long)wait);
            cr_assert_leq(wait, nominal + nominal / 2, "attempt %d: %lld", attempt,
                          (long long)wait);
        }
    }
}

Test(notify_deliver, the_backoff_stops_growing_at_an_hour)
{
    for (int attempt = 1; attempt <= 100; attempt++) {
        int64_t wait = notify_deliver_backoff_ms(3600000, attempt, UINT32_MAX);
        cr_assert_leq(wait, 5400000, "attempt %d: %lld", attempt, (long long)wait);
        cr_assert_geq(wait, 1800000);
    }
    cr_assert_leq(notify_deliver_backoff_ms(2000, 30, UINT32_MAX), 5400000);
}
