/*  Unit tests of kc_db_keeper's bookkeeping: the wait between tries grows
 *  250 ms, 500 ms ... up to 5 s and starts again after an outage; a loop
 *  does not try before its wait is over while a request may try once the
 *  last try is 250 ms old; a keeper whose server cannot be reached answers
 *  at once with database.unavailable and holds no connection. (Healing
 *  against a real server that restarts is tested in test_recovery.c.) */
#include <criterion/criterion.h>
#include <unistd.h>

#include "kc/kc_clock.h"
#include "kc/kc_db_keeper.h"

Test(kc_db_keeper, the_wait_doubles_from_250_ms_to_5_s_and_starts_again_after_an_outage)
{
    kc_outage_t outage;
    kc_outage_init(&outage, "requests");
    cr_assert_eq(outage.since_us, 0);
    cr_assert(kc_outage_try_due(&outage), "no outage: a try is due");
    const int waits[] = {250, 500, 1000, 2000, 4000, 5000, 5000};
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
        kc_outage_failed(&outage, "connection refused");
        cr_assert_eq(outage.wait_ms, waits[i], "try %zu: wait %d", i, outage.wait_ms);
        cr_assert_gt(outage.since_us, 0);
        cr_assert_eq(outage.tries, (long)i, "failed tries after the one that began it");
        cr_assert_not(kc_outage_try_due(&outage), "the loop waits");
        cr_assert_gt(kc_outage_wait_ms(&outage), 0);
        cr_assert_leq(kc_outage_wait_ms(&outage), waits[i]);
    }
    kc_outage_ended(&outage);
    cr_assert_eq(outage.since_us, 0);
    cr_assert(kc_outage_try_due(&outage));
    kc_outage_failed(&outage, NULL);
    cr_assert_eq(outage.wait_ms, 250, "a new outage starts from the shortest wait");
}

Test(kc_db_keeper, a_request_may_try_once_the_last_try_is_250_ms_old)
{
    kc_outage_t outage;
    kc_outage_init(&outage, "requests");
    for (int i = 0; i < 6; i++)
        kc_outage_failed(&outage, "connection refused"); /* the loop now waits 5 s */
    cr_assert_not(kc_outage_request_may_try(&outage), "a try was just made");
    usleep(300 * 1000);
    cr_assert_not(kc_outage_try_due(&outage), "the loop still waits");
    cr_assert(kc_outage_request_may_try(&outage), "a request tries again");
    kc_outage_try_now(&outage);
    cr_assert(kc_outage_try_due(&outage));
}

Test(kc_db_keeper, an_unreachable_server_is_answered_at_once_with_database_unavailable)
{
    kc_db_keeper_t keeper;
    /* port 1 on loopback: nothing listens, the connection is refused */
    kc_db_keeper_init(&keeper, "host=127.0.0.1 port=1 dbname=none connect_timeout=2", "kc-test",
                      "requests", NULL, NULL);
    kc_error_t error;
    cr_assert_null(kc_db_keeper_get(&keeper, &error));
    cr_assert_eq(error.code, KC_ERR_DB_UNAVAILABLE);
    cr_assert_gt(keeper.outage.since_us, 0, "the outage began");
    long tries = keeper.outage.tries;
    cr_assert_null(kc_db_keeper_get(&keeper, &error), "no try before the wait is over");
    cr_assert_eq(error.code, KC_ERR_DB_UNAVAILABLE);
    cr_assert_eq(keeper.outage.tries, tries, "and no try was made");
    cr_assert_eq(kc_db_keeper_socket(&keeper), -1);
    cr_assert_not(kc_db_keeper_consume(&keeper));
    cr_assert_not(kc_db_keeper_check(&keeper));
    cr_assert_leq(kc_db_keeper_wait_ms(&keeper, 1000), 250);
    kc_db_keeper_close(&keeper);
}
