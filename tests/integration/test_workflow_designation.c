/*  The designation of a mountain base, granted at filing: seed 000 names a
 *  filed base "河北省山区‘一县一业一基地一团队’科技示范工程——##县##产业
 *  科技示范基地" only at "省级备案". Before, on the public notice, the
 *  application is known by its base's name in kc-workflow's answers and in
 *  the database; the step that files it grants the name in the same
 *  transaction. Real kc-intake and kc-workflow, the clock set by the test.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "workflow_fixture.h"

TestSuite(designation, .timeout = 240);

#define MONDAY_0900  1740963600000LL /* 2025-03-03 09:00 CST, a Monday */
#define NOTICE_CLOSE 1741622400000LL /* 2025-03-10 24:00 CST: five working days later */
#define DESIGNATION  "河北省山区“一县一业一基地一团队”科技示范工程——平山县食用菌产业科技示范基地"

/* The application's (title, designation or "-"), as one string. */
static const char *s_names(wf_fixture_t *f)
{
    static char names[1024];
    PGresult *result =
        PQexec(f->node.db, "SELECT title || ' / ' || coalesce(designation, '-') FROM application");
    cr_assert_eq(PQntuples(result), 1);
    snprintf(names, sizeof names, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
    return names;
}

Test(designation, the_designation_is_absent_on_notice_and_granted_by_filing)
{
    wf_fixture_t f;
    wf_fixture_start(&f, MONDAY_0900);
    cr_expect_str_eq(s_names(&f), "平山县太行山区食用菌科技示范基地 / -", "on submission");
    cr_expect_eq(harness_count(&f.node,
                               "SELECT count(*) FROM event WHERE type ="
                               " 'ApplicationSubmitted' AND position(convert_to('科技示范工程——',"
                               " 'UTF8') IN payload) > 0"),
                 0, "the submission's event carries no designation");
    wf_fixture_to_notice(&f);
    cr_expect_str_eq(wf_fixture_state(&f), "public_notice");
    cr_expect_str_eq(s_names(&f), "平山县太行山区食用菌科技示范基地 / -", "on public notice");
    harness_clock_set(&f.node, NOTICE_CLOSE);
    cr_assert(harness_wait_count(&f.node,
                                 "SELECT count(*) FROM workflow_instance WHERE state = 'filed'", 1,
                                 5000) == 1,
              "the notice did not close");
    cr_expect_str_eq(s_names(&f), "平山县太行山区食用菌科技示范基地 / " DESIGNATION, "filed");
    cr_expect_eq(harness_count(&f.node, "SELECT count(*) FROM application a JOIN workflow_step s"
                                        " ON s.application_id = a.id AND s.decision = 'file'"
                                        " WHERE a.designation IS NOT NULL"),
                 1);
    wf_fixture_stop(&f);
}
