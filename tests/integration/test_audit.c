/*  Integration tests of the audit log: a real node database (migrated by
 *  kcctl migrate), entries appended through audit_append as the daemons
 *  do, and `kcctl audit verify` run as an operator would. Tampering is done
 *  the way a superuser could: disabling the append-only trigger, changing
 *  or deleting a row, enabling it again.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kc/kc_audit.h"
#include "kc/kc_db.h"

static harness_node_t s_node;

/* from a node whose audit log is empty: the chain's ids start at 1 */
static void s_start(void)
{
    setenv("KC_TEST_TEMPLATE", "kc_template_bare", 1);
    harness_node_start(&s_node);
}

static void s_stop(void)
{
    harness_node_stop(&s_node);
}

TestSuite(audit, .init = s_start, .fini = s_stop, .timeout = 120);

/* Entry number `i` of a test log: every third refused; some reasons hold
 * a tab, a newline or a backslash, which the chain must carry intact. */
static int64_t s_append(PGconn *conn, int i)
{
    static const char *const reasons[] = {"meets the plan", "not your county\tsee rule 5",
                                          "line one\nline two", "back\\slash", "同意推荐"};
    char target[32], detail[64];
    snprintf(target, sizeof target, "MB-2026-%06d", i);
    snprintf(detail, sizeof detail, "{\"attempt\":%d}", i);
    kc_audit_entry_t entry = {
        .node = "130000",
        .user_id = i % 3 == 0 ? "wang" : "zhang",
        .role = i % 3 == 0 ? "county_official" : "city_official",
        .division_code = i % 3 == 0 ? "130131" : "130100",
        .organisation = "石家庄市科技局",
        .action = "workflow.act:city_recommend",
        .target = target,
        .allowed = i % 3 != 0,
        .reason = reasons[i % 5],
        .detail = i % 2 ? detail : "",
    };
    int64_t id = 0;
    kc_error_t error;
    cr_assert_eq(kc_audit_append(conn, &entry, &id, &error), 0, "append: %s (%s)", error.message,
                 error.detail);
    return id;
}

static void s_append_many(int count)
{
    for (int i = 1; i <= count; i++)
        cr_assert_eq(s_append(s_node.db, i), i, "ids are gapless from 1");
}

static void s_sql(const char *sql)
{
    kc_error_t error;
    cr_assert_eq(kc_db_exec(s_node.db, sql, &error), 0, "%s: %s", sql, error.detail);
}

/* Run `kcctl audit verify`; returns its exit status. The output goes to
 * the node's log, whose size before the run is kept so that only this
 * run's lines are searched by s_said. */
static long s_log_mark;

static int s_kcctl_verify(void)
{
    FILE *log = fopen(s_node.log_path, "r");
    cr_assert(log);
    fseek(log, 0, SEEK_END);
    s_log_mark = ftell(log);
    fclose(log);
    const char *args[] = {"audit", "verify", NULL};
    return harness_kcctl(&s_node, args);
}

/* Whether the last kcctl run printed `text`. */
static bool s_said(const char *text)
{
    FILE *log = fopen(s_node.log_path, "r");
    cr_assert(log);
    fseek(log, s_log_mark, SEEK_SET);
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, log))
        found = strstr(line, text) != NULL;
    fclose(log);
    return found;
}

static kc_audit_verdict_t s_verify(void)
{
    kc_audit_verdict_t verdict;
    kc_error_t error;
    cr_assert_eq(kc_audit_verify(s_node.db, &verdict, &error), 0, "verify: %s", error.message);
    return verdict;
}

/* A superuser's edit behind the trigger's back. */
static void s_tamper(const char *sql)
{
    s_sql("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only");
    s_sql(sql);
    s_sql("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only");
}

Test(audit, a_hundred_entries_allowed_and_refused_verify_intact)
{
    s_append_many(100);
    /* i % 3 == 0 for 33 of 1..100 */
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM audit_entry WHERE NOT allowed"), 33);
    kc_audit_verdict_t verdict = s_verify();
    cr_expect_eq(verdict.first_bad, 0, "broken at %lld: %s", (long long)verdict.first_bad,
                 verdict.problem);
    cr_expect_eq(verdict.checked, 100);
    const char *values[] = {verdict.last_hash};
    PGresult *last = PQexecParams(s_node.db, "SELECT id FROM audit_entry WHERE hash = $1", 1, NULL,
                                  values, NULL, NULL, 0);
    cr_expect_eq(PQntuples(last), 1);
    cr_expect_eq(kc_db_int(last, 0, 0), 100, "the last hash is entry 100's");
    PQclear(last);
    cr_expect_eq(s_kcctl_verify(), 0);
    cr_expect(s_said("audit chain intact: 100 entries, last hash "));
    cr_expect(s_said(verdict.last_hash));
}

Test(audit, the_database_and_c_build_the_same_canonical_line)
{
    s_append_many(5);
    /* Entry 2's reason holds a tab, entry 3's a newline, entry 4's a backslash. */
    PGresult *result =
        PQexec(s_node.db, "SELECT audit_canonical(e), (extract(epoch FROM at) * 1000000)::bigint,"
                          " node, user_id, role, division_code, organisation, action, target,"
                          " allowed, reason, detail FROM audit_entry e ORDER BY id");
    cr_assert_eq(PQresultStatus(result), PGRES_TUPLES_OK);
    for (int row = 0; row < PQntuples(result); row++) {
        kc_audit_entry_t entry = {
            .node = PQgetvalue(result, row, 2),
            .user_id = PQgetvalue(result, row, 3),
            .role = PQgetvalue(result, row, 4),
            .division_code = PQgetvalue(result, row, 5),
            .organisation = PQgetvalue(result, row, 6),
            .action = PQgetvalue(result, row, 7),
            .target = PQgetvalue(result, row, 8),
            .allowed = strcmp(PQgetvalue(result, row, 9), "t") == 0,
            .reason = PQgetvalue(result, row, 10),
            .detail = PQgetvalue(result, row, 11),
        };
        char *line = kc_audit_canonical(row + 1, kc_db_int(result, row, 1), &entry);
        cr_expect_str_eq(line, PQgetvalue(result, row, 0), "entry %d", row + 1);
        free(line);
    }
    PQclear(result);
}

Test(audit, an_entry_altered_behind_the_trigger_is_named)
{
    s_append_many(100);
    s_tamper("UPDATE audit_entry SET reason = 'approved after all' WHERE id = 37");
    kc_audit_verdict_t verdict = s_verify();
    cr_expect_eq(verdict.first_bad, 37, "first bad %lld: %s", (long long)verdict.first_bad,
                 verdict.problem);
    cr_expect_eq(verdict.checked, 36);
    cr_expect(strstr(verdict.problem, "altered"), "%s", verdict.problem);
    cr_expect_eq(s_kcctl_verify(), 1);
    cr_expect(s_said("audit chain BROKEN at entry 37: "));
}

/* A forger who also rewrites the entry's hash still breaks the link the
 * next entry holds. */
Test(audit, an_altered_entry_with_a_recomputed_hash_breaks_the_next_link)
{
    s_append_many(20);
    s_tamper("UPDATE audit_entry e SET reason = 'approved after all' WHERE id = 10");
    s_tamper("UPDATE audit_entry e SET hash = encode(sha256(convert_to(e.prev_hash || E'\\n'"
             " || audit_canonical(e), 'UTF8')), 'hex') WHERE id = 10");
    kc_audit_verdict_t verdict = s_verify();
    cr_expect_eq(verdict.first_bad, 11, "first bad %lld: %s", (long long)verdict.first_bad,
                 verdict.problem);
    cr_expect(strstr(verdict.problem, "prev_hash"), "%s", verdict.problem);
    cr_expect_eq(s_kcctl_verify(), 1);
    cr_expect(s_said("audit chain BROKEN at entry 11: "));
}

Test(audit, a_deleted_entry_leaves_a_gap_that_is_named)
{
    s_append_many(100);
    s_tamper("DELETE FROM audit_entry WHERE id = 50");
    kc_audit_verdict_t verdict = s_verify();
    cr_expect_eq(verdict.first_bad, 50, "first bad %lld: %s", (long long)verdict.first_bad,
                 verdict.problem);
    cr_expect(strstr(verdict.problem, "missing"), "%s", verdict.problem);
    cr_expect_eq(s_kcctl_verify(), 1);
    cr_expect(s_said("audit chain BROKEN at entry 50: entry missing"));
}

/* No entry after the last one to notice: the head does. */
Test(audit, a_deleted_last_entry_is_named_by_the_head)
{
    s_append_many(30);
    s_tamper("DELETE FROM audit_entry WHERE id = 30");
    kc_audit_verdict_t verdict = s_verify();
    cr_expect_eq(verdict.first_bad, 30, "first bad %lld: %s", (long long)verdict.first_bad,
                 verdict.problem);
    cr_expect_eq(verdict.checked, 29);
    cr_expect_eq(s_kcctl_verify(), 1);
    cr_expect(s_said("audit chain BROKEN at entry 30: "));
}

static void s_expect_refused(const char *sql)
{
    PGresult *result = PQexec(s_node.db, sql);
    cr_expect_eq(PQresultStatus(result), PGRES_FATAL_ERROR, "%s was allowed", sql);
    const char *message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    cr_expect(message && strstr(message, "audit_entry is append-only"), "%s: %s", sql,
              message ? message : "no message");
    PQclear(result);
}

Test(audit, update_delete_and_truncate_are_refused_while_the_trigger_stands)
{
    s_append_many(3);
    s_expect_refused("UPDATE audit_entry SET reason = 'x' WHERE id = 2");
    s_expect_refused("DELETE FROM audit_entry WHERE id = 3");
    s_expect_refused("TRUNCATE audit_entry");
    cr_expect_eq(harness_count(&s_node, "SELECT count(*) FROM audit_entry"), 3);
    kc_audit_verdict_t verdict = s_verify();
    cr_expect_eq(verdict.first_bad, 0, "%s", verdict.problem);
    cr_expect_eq(s_kcctl_verify(), 0);
}

/* The entry lives in the caller's transaction: rolled back with the
 * action, it leaves neither a row nor a gap. */
Test(audit, an_entry_rolled_back_with_its_action_leaves_no_gap)
{
    s_append_many(2);
    s_sql("BEGIN");
    cr_expect_eq(s_append(s_node.db, 3), 3);
    s_sql("ROLLBACK");
    cr_expect_eq(s_append(s_node.db, 4), 3, "the id of the rolled-back entry is taken again");
    kc_audit_verdict_t verdict = s_verify();
    cr_expect_eq(verdict.first_bad, 0, "%s", verdict.problem);
    cr_expect_eq(verdict.checked, 3);
}

static void *s_appender(void *argument)
{
    const int first = *(const int *)argument;
    kc_error_t error;
    PGconn *conn = kc_db_connect(s_node.conninfo, "test_audit", &error);
    if (!conn)
        return "cannot connect";
    const char *failed = NULL;
    for (int i = first; i < first + 50 && !failed; i++) {
        char target[16];
        snprintf(target, sizeof target, "T-%d", i);
        kc_audit_entry_t entry = {.node = "130000",
                                  .user_id = "u",
                                  .action = "test.race",
                                  .target = target,
                                  .allowed = true};
        if (kc_audit_append(conn, &entry, NULL, &error))
            failed = "append failed";
    }
    kc_db_disconnect(&conn);
    return (void *)failed;
}

Test(audit, four_writers_at_once_make_one_gapless_chain)
{
    pthread_t threads[4];
    int firsts[4] = {0, 50, 100, 150};
    for (int t = 0; t < 4; t++)
        cr_assert_eq(pthread_create(&threads[t], NULL, s_appender, &firsts[t]), 0);
    for (int t = 0; t < 4; t++) {
        void *failed = NULL;
        pthread_join(threads[t], &failed);
        cr_expect_null(failed, "writer %d: %s", t, failed ? (const char *)failed : "");
    }
    /* 4 writers x 50 entries */
    kc_audit_verdict_t verdict = s_verify();
    cr_expect_eq(verdict.first_bad, 0, "%s", verdict.problem);
    cr_expect_eq(verdict.checked, 200);
    cr_expect_eq(harness_count(&s_node, "SELECT count(DISTINCT target) FROM audit_entry"), 200);
}
