/*  Unit tests for kc_audit.c: the canonical line of an audit entry, its
 *  escaping, its time format and its hash. The database side (audit_append
 *  computing the same line, verification of a real chain) is tested in
 *  tests/integration/test_audit.c.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_audit.h"

/* 2026-05-01T08:30:00Z is 1777624200 s after the epoch (Python:
 * datetime(2026,5,1,8,30,tzinfo=timezone.utc).timestamp()); plus 123 µs. */
#define S_AT_US 1777624200000123LL

static kc_audit_entry_t s_entry(const char *reason, const char *detail)
{
    kc_audit_entry_t entry = {
        .node = "node-a",
        .user_id = "zhang",
        .role = "city_official",
        .division_code = "130100",
        .organisation = "石家庄市科技局",
        .action = "workflow.act:city_recommend",
        .target = "MB-2026-000001",
        .allowed = true,
        .reason = reason,
        .detail = detail,
    };
    return entry;
}

/* Canonical line of `entry` as id 7 at S_AT_US, compared with `expected`. */
static void s_assert_canonical(const kc_audit_entry_t *entry, const char *expected)
{
    char *line = kc_audit_canonical(7, S_AT_US, entry);
    cr_assert_str_eq(line, expected);
    free(line);
}

Test(kc_audit, canonical_line_is_every_field_in_order_joined_by_tabs)
{
    kc_audit_entry_t entry = s_entry("meets the plan", "{}");
    s_assert_canonical(&entry, "7\t2026-05-01T08:30:00.000123Z\tnode-a\tzhang\tcity_official\t"
                               "130100\t石家庄市科技局\tworkflow.act:city_recommend\t"
                               "MB-2026-000001\tt\tmeets the plan\t{}");
}

Test(kc_audit, refusal_is_written_f_and_null_texts_are_empty)
{
    kc_audit_entry_t entry = {.action = "scoring.score_year", .allowed = false};
    /* Ten fields after id and time: nine empty texts around the "f". */
    s_assert_canonical(&entry,
                       "7\t2026-05-01T08:30:00.000123Z\t\t\t\t\t\tscoring.score_year\t\tf\t\t");
}

Test(kc_audit, tab_newline_return_and_backslash_inside_a_field_are_escaped)
{
    kc_audit_entry_t entry = s_entry("a\tb\nc\rd\\e", "");
    s_assert_canonical(&entry, "7\t2026-05-01T08:30:00.000123Z\tnode-a\tzhang\tcity_official\t"
                               "130100\t石家庄市科技局\tworkflow.act:city_recommend\t"
                               "MB-2026-000001\tt\ta\\tb\\nc\\rd\\\\e\t");
}

/* Raw, "a<TAB>b" | "" and "a" | "b" would both read a<TAB>b<TAB> ... */
Test(kc_audit, a_tab_inside_a_field_cannot_move_a_field_boundary)
{
    kc_audit_entry_t moved = s_entry("a\tb", ""), split = s_entry("a", "b");
    char *one = kc_audit_canonical(7, S_AT_US, &moved),
         *two = kc_audit_canonical(7, S_AT_US, &split);
    cr_assert_str_neq(one, two);
    char hash_one[KC_AUDIT_HASH_SIZE], hash_two[KC_AUDIT_HASH_SIZE];
    kc_audit_hash("", one, hash_one);
    kc_audit_hash("", two, hash_two);
    cr_assert_str_neq(hash_one, hash_two);
    free(one);
    free(two);
}

/* ...and a backslash followed by "t" must not read as an escaped tab. */
Test(kc_audit, a_written_backslash_t_differs_from_a_tab)
{
    kc_audit_entry_t tab = s_entry("a\tb", ""), written = s_entry("a\\tb", "");
    char *one = kc_audit_canonical(7, S_AT_US, &tab),
         *two = kc_audit_canonical(7, S_AT_US, &written);
    cr_assert_str_neq(one, two);
    cr_assert(strstr(one, "\ta\\tb\t"));   /* tab: backslash t */
    cr_assert(strstr(two, "\ta\\\\tb\t")); /* backslash t: two backslashes, t */
    free(one);
    free(two);
}

/* A newline could otherwise pose as the "\n" between prev_hash and the
 * line, or end a line early in a listing. */
Test(kc_audit, a_newline_inside_a_field_leaves_one_line)
{
    kc_audit_entry_t entry = s_entry("first\nsecond", "{\"k\":\"x\ny\"}");
    char *line = kc_audit_canonical(7, S_AT_US, &entry);
    cr_assert_null(strchr(line, '\n'));
    cr_assert_null(strchr(line, '\r'));
    free(line);
}

Test(kc_audit, time_is_utc_with_six_digits_of_microseconds)
{
    char stamp[KC_AUDIT_TIME_SIZE];
    kc_audit_format_time(0, stamp);
    cr_assert_str_eq(stamp, "1970-01-01T00:00:00.000000Z");
    kc_audit_format_time(S_AT_US, stamp);
    cr_assert_str_eq(stamp, "2026-05-01T08:30:00.000123Z");
    /* One microsecond before the epoch: the previous second, 999999 µs. */
    kc_audit_format_time(-1, stamp);
    cr_assert_str_eq(stamp, "1969-12-31T23:59:59.999999Z");
}

Test(kc_audit, hash_is_sha256_of_prev_hash_newline_and_line)
{
    char hash[KC_AUDIT_HASH_SIZE];
    /* printf '\nabc' | sha256sum */
    kc_audit_hash("", "abc", hash);
    cr_assert_str_eq(hash, "f39d39bfc99287b848780d4110eb663f0e7c344ae41f46a390c4135b89dc2756");
    /* The first entry of a chain: 64 zeros, "\n", the line of the first
     * test (Python: sha256(('0'*64 + '\n' + line).encode()).hexdigest()). */
    kc_audit_entry_t entry = s_entry("meets the plan", "{}");
    char *line = kc_audit_canonical(7, S_AT_US, &entry);
    kc_audit_hash("0000000000000000000000000000000000000000000000000000000000000000", line, hash);
    cr_assert_str_eq(hash, "826c2e048bd0b067bfa0687a1cb347f861f79d51f582042dc3e4df738e81245d");
    free(line);
}

Test(kc_audit, escape_into_appends_and_never_cuts_an_escape_in_half)
{
    char out[8] = "ab";
    kc_audit_escape_into(out, sizeof out, "c\td\\e");
    /* "ab" + "c" + "\t" (2) + "d" = 6 chars; "\\" (2) would make 8 with
     * no room for the NUL, so it stops there. */
    cr_assert_str_eq(out, "abc\\td");
}
