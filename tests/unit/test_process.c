/*  Unit tests of process definitions: the shipped mountain-base-v1 (read
 *  from the repository root where the tests run), a small hand-made
 *  definition bent one way at a time to meet each validation rule, and the
 *  authorisation of actors by role and division code (Shijiazhuang 130100
 *  and its counties 正定 130123 and 行唐 130125, Tangshan 130200, Shanxi
 *  140000).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/process.h"

static wf_process_t s_p;
static kc_errors_t s_errors;

static void s_setup(void)
{
    memset(&s_p, 0, sizeof s_p);
    kc_errors_init(&s_errors);
}

static void s_teardown(void)
{
    kc_errors_release(&s_errors);
}

TestSuite(process, .init = s_setup, .fini = s_teardown);

/* draft -> county -> notice (5 days, timer) -> done; a return from the
 * county; a "*" reject, the only way into `rejected`. Line numbers are
 * counted in the comments where a test expects one. */
static const char s_template[] = "[process]\n"                  /* 1 */
                                 "code = test-v1\n"             /* 2 */
                                 "programme = test\n"           /* 3 */
                                 "title = 测试流程\n"           /* 4 */
                                 "initial = draft\n"            /* 5 */
                                 "[state.draft]\n"              /* 6 */
                                 "name = 填报\n"                /* 7 */
                                 "level = none\n"               /* 8 */
                                 "[state.county]\n"             /* 9 */
                                 "name = 县审核\n"              /* 10 */
                                 "level = county\n"             /* 11 */
                                 "[state.notice]\n"             /* 12 */
                                 "name = 公示\n"                /* 13 */
                                 "level = province\n"           /* 14 */
                                 "notice_working_days = 5\n"    /* 15 */
                                 "on_notice_end = notice_end\n" /* 16 */
                                 "[state.done]\n"
                                 "name = 备案\n"
                                 "level = none\n"
                                 "final = true\n"
                                 "[state.rejected]\n"
                                 "name = 未通过\n"
                                 "level = none\n"
                                 "final = true\n"
                                 "[transition.submit]\n"
                                 "name = 提交\n"
                                 "from = draft\n"
                                 "to = county\n"
                                 "role = applicant\n"
                                 "level = none\n"
                                 "decision = submit\n"
                                 "[transition.county_approve]\n" /* 32 */
                                 "name = 县级通过\n"
                                 "from = county\n"
                                 "to = notice\n"
                                 "role = county_bureau\n" /* 36 */
                                 "level = county\n"
                                 "decision = approve\n"
                                 "requires = reason\n" /* 39 */
                                 "[transition.county_return]\n"
                                 "name = 县级退回\n"
                                 "from = county\n"
                                 "to = earlier\n"
                                 "role = county_bureau\n"
                                 "level = county\n"
                                 "decision = return\n"
                                 "requires = reason\n"
                                 "[transition.reject]\n"
                                 "name = 不予通过\n"
                                 "from = *\n"
                                 "to = rejected\n"
                                 "role = province_department\n"
                                 "level = province\n"
                                 "decision = reject\n"
                                 "requires = reason\n"
                                 "[transition.notice_end]\n"
                                 "name = 公示期满\n"
                                 "from = notice\n"
                                 "to = done\n"
                                 "role = system\n"
                                 "level = none\n"
                                 "decision = file\n"
                                 "requires = no_objection, reason\n";

/* The template with `from` replaced by `to` (each must occur once). */
static char *s_bend(const char *from, const char *to)
{
    const char *at = strstr(s_template, from);
    cr_assert_not_null(at, "'%s' is not in the template", from);
    cr_assert_null(strstr(at + 1, from), "'%s' occurs twice in the template", from);
    size_t head = (size_t)(at - s_template);
    size_t size = sizeof s_template - strlen(from) + strlen(to);
    char *text = malloc(size);
    cr_assert_not_null(text);
    snprintf(text, size, "%.*s%s%s", (int)head, s_template, to, at + strlen(from));
    return text;
}

static int s_parse_text(const char *text)
{
    return process_parse(text, strlen(text), &s_p, &s_errors);
}

static int s_parse_bent(const char *from, const char *to)
{
    char *text = s_bend(from, to);
    int rc = s_parse_text(text);
    free(text);
    return rc;
}

/* The kept error about `field` whose message contains `words`, or NULL. */
static const kc_error_t *s_find(const char *field, const char *words)
{
    for (size_t i = 0; i < s_errors.kept; i++)
        if (strcmp(s_errors.items[i].field, field) == 0 && strstr(s_errors.items[i].message, words))
            return &s_errors.items[i];
    return NULL;
}

static void s_dump(void)
{
    for (size_t i = 0; i < s_errors.kept; i++)
        cr_log_info("%s: %s (%s)", s_errors.items[i].field, s_errors.items[i].message,
                    s_errors.items[i].detail);
}

static char *s_read_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    cr_assert_not_null(file, "cannot open %s (tests run from the repository root)", path);
    char *text = malloc(1 << 16);
    cr_assert_not_null(text);
    *size = fread(text, 1, 1 << 16, file);
    fclose(file);
    return text;
}

/* ---- the shipped definition --------------------------------------------- */

Test(process, the_shipped_mountain_base_definition_parses_with_every_branch_of_seed_000)
{
    size_t size = 0;
    char *text = s_read_file("deploy/workflow/mountain-base-v1.ini", &size);
    int rc = process_parse(text, size, &s_p, &s_errors);
    free(text);
    s_dump();
    cr_assert_eq(rc, 0);
    cr_assert_eq(s_errors.total, 0);
    cr_assert_str_eq(s_p.code, "mountain-base-v1");
    cr_assert_str_eq(s_p.programme, "mountain_base");
    /* 13 working states + 6 final ones; 36 transitions, counted in the file */
    cr_assert_eq(s_p.n_states, 19);
    cr_assert_eq(s_p.n_transitions, 36);
    cr_assert_eq(s_p.initial, process_state_index(&s_p, "drafting"));

    const wf_state_t *notice = &s_p.states[process_state_index(&s_p, "public_notice")];
    cr_assert_eq(notice->notice_working_days, 5);
    cr_assert_str_eq(notice->on_notice_end, "notice_closed");
    cr_assert_eq(notice->level, WF_LEVEL_PROVINCE);
    const char *finals[] = {"rejected",
                            "withdrawn",
                            "revoked",
                            "evaluated_excellent",
                            "evaluated_qualified",
                            "evaluated_unqualified"};
    for (size_t i = 0; i < 6; i++)
        cr_assert(s_p.states[process_state_index(&s_p, finals[i])].final, "%s", finals[i]);
    cr_assert_not(s_p.states[process_state_index(&s_p, "filed")].final);
    /* "公示无异议后，备案": an upheld objection goes back to the province's review */
    cr_assert_str_eq(notice->on_objection_upheld, "notice_objection_upheld");
    const wf_transition_t *upheld =
        &s_p.transitions[process_transition_index(&s_p, "notice_objection_upheld")];
    cr_assert_eq(upheld->to, process_state_index(&s_p, "province_review"));
    /* "三年建设期满进行总体评估": by the calendar, from filing or continued support */
    const wf_state_t *filed = &s_p.states[process_state_index(&s_p, "filed")];
    cr_assert_eq(filed->period_days, 1095);
    cr_assert_str_eq(filed->on_period_end, "overall_opens");
    cr_assert(s_p.transitions[process_transition_index(&s_p, "notice_closed")].starts_period);
    cr_assert(s_p.transitions[process_transition_index(&s_p, "overall_continued")].starts_period);
    cr_assert_lt(process_transition_index(&s_p, "overall_open"), 0, "opened by hand");
}

/* Every shipped procedure with a rectification: it has its period, and
 * withdrawal does not escape it; every notice names where an upheld
 * objection goes. */
Test(process, every_shipped_rectification_has_its_period_and_cannot_be_left_by_withdrawal)
{
    const char *files[] = {
        "deploy/workflow/mountain-base-v1.ini", "deploy/workflow/innovative-county-v1.ini",
        "deploy/workflow/innovative-town-v1.ini", "deploy/workflow/specialised-town-v1.ini"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t size = 0;
        char *text = s_read_file(files[f], &size);
        int rc = process_parse(text, size, &s_p, &s_errors);
        free(text);
        cr_assert_eq(rc, 0, "%s", files[f]);
        int rectification = process_state_index(&s_p, "rectification");
        int review = process_state_index(&s_p, "rectification_review");
        cr_assert_geq(rectification, 0, "%s", files[f]);
        cr_expect_eq(s_p.states[rectification].timer_days, 365, "%s", files[f]);
        const wf_transition_t *withdraw =
            &s_p.transitions[process_transition_index(&s_p, "withdraw")];
        cr_expect_not(process_takes_from(&s_p, withdraw, rectification), "%s", files[f]);
        cr_expect_not(process_takes_from(&s_p, withdraw, review), "%s", files[f]);
        cr_expect(process_takes_from(&s_p, withdraw, s_p.initial), "%s", files[f]);
        for (size_t s = 0; s < s_p.n_states; s++)
            if (s_p.states[s].notice_working_days > 0)
                cr_expect_neq(s_p.states[s].on_objection_upheld[0], '\0', "%s %s", files[f],
                              s_p.states[s].code);
    }
}

Test(process, except_needs_from_star_and_known_states)
{
    cr_assert_eq(s_parse_bent("from = *\nto = rejected\n",
                              "from = *\nexcept = notice, nowhere\nto = rejected\n"),
                 -1);
    cr_expect_not_null(s_find("transition.reject.except", "nowhere"));
    cr_assert_eq(
        s_parse_bent("from = *\nto = rejected\n", "from = *\nexcept = notice\nto = rejected\n"), 0);
    const wf_transition_t *reject = &s_p.transitions[process_transition_index(&s_p, "reject")];
    cr_expect_not(process_takes_from(&s_p, reject, process_state_index(&s_p, "notice")));
    cr_expect(process_takes_from(&s_p, reject, process_state_index(&s_p, "county")));
    cr_assert_eq(s_parse_bent("from = county\nto = earlier\n",
                              "from = county\nexcept = notice\nto = earlier\n"),
                 -1);
    cr_expect_not_null(s_find("transition.county_return.except", "from = *"));
}

Test(process, a_period_nothing_starts_is_refused)
{
    cr_assert_eq(s_parse_bent("[state.done]\n", "[state.wait]\nname = 建设期\nlevel = province\n"
                                                "period_days = 1095\non_period_end = wait_end\n"
                                                "[transition.wait_end]\nname = 期满\n"
                                                "from = wait\nto = done\nrole = system\n"
                                                "level = none\ndecision = open\n"
                                                "[state.done]\n"),
                 -1);
    cr_expect_not_null(s_find("state.wait.period_days", "starts_period"));
}

Test(process, the_shipped_definition_routes_each_level_to_the_right_role)
{
    size_t size = 0;
    char *text = s_read_file("deploy/workflow/mountain-base-v1.ini", &size);
    cr_assert_eq(process_parse(text, size, &s_p, &s_errors), 0);
    free(text);
    const wf_transition_t *t = &s_p.transitions[process_transition_index(&s_p, "city_recommend")];
    cr_assert_eq(t->from, process_state_index(&s_p, "city_review"));
    cr_assert_eq(t->to, process_state_index(&s_p, "province_review"));
    cr_assert_str_eq(t->role, "city_bureau");
    cr_assert_eq(t->level, WF_LEVEL_CITY);
    cr_assert_eq(t->requires, WF_REQUIRES_REASON | WF_REQUIRES_ATTESTATION);

    t = &s_p.transitions[process_transition_index(&s_p, "county_consent")];
    cr_assert_str_eq(t->role, "county_government");
    cr_assert_eq(t->to, process_state_index(&s_p, "city_review"));

    t = &s_p.transitions[process_transition_index(&s_p, "province_approve")];
    cr_assert_eq(t->requires, WF_REQUIRES_SCORES | WF_REQUIRES_REASON);

    t = &s_p.transitions[process_transition_index(&s_p, "notice_closed")];
    cr_assert_str_eq(t->role, "system");
    cr_assert_str_eq(t->decision, "file");
    cr_assert_eq(t->to, process_state_index(&s_p, "filed"));
    cr_assert_eq(t->requires, WF_REQUIRES_NO_OBJECTION | WF_REQUIRES_REASON);

    t = &s_p.transitions[process_transition_index(&s_p, "county_return")];
    cr_assert(t->to_earlier);
    cr_assert_eq(t->to, -1);
    t = &s_p.transitions[process_transition_index(&s_p, "withdraw")];
    cr_assert(t->from_any);
    cr_assert_eq(t->from, -1);

    /* a failed year leads to rectification; a failed rectification revokes */
    t = &s_p.transitions[process_transition_index(&s_p, "assessment_fail")];
    cr_assert_eq(t->to, process_state_index(&s_p, "rectification"));
    t = &s_p.transitions[process_transition_index(&s_p, "rectification_fail")];
    cr_assert_str_eq(t->decision, "revoke");
    cr_assert_eq(t->to, process_state_index(&s_p, "revoked"));
    cr_assert_eq(process_transition_index(&s_p, "no_such_step"), -1);
    cr_assert_str_eq(process_level_name(WF_LEVEL_CITY), "city");
    cr_assert_str_eq(process_level_name(WF_LEVEL_NONE), "");
}

/* ---- validation, one rule at a time ------------------------------------ */

Test(process, the_template_parses_and_a_star_transition_reaches_its_target)
{
    cr_assert_eq(s_parse_text(s_template), 0);
    s_dump();
    cr_assert_eq(s_p.n_states, 5);
    cr_assert_eq(s_p.n_transitions, 5);
    /* `rejected` is entered only by the "*" reject, and is not reported unreachable */
    cr_assert_eq(s_errors.total, 0);
}

Test(process, a_state_nothing_leads_to_is_reported_unreachable)
{
    /* `orphan` has a way out (so it is no dead end) but no way in */
    int rc = s_parse_bent("[transition.submit]\n", "[state.orphan]\n"
                                                   "name = 孤立\n"
                                                   "level = county\n"
                                                   "[transition.orphan_out]\n"
                                                   "name = 出\n"
                                                   "from = orphan\n"
                                                   "to = done\n"
                                                   "role = county_bureau\n"
                                                   "level = county\n"
                                                   "decision = submit\n"
                                                   "[transition.submit]\n");
    s_dump();
    cr_assert_eq(rc, -1);
    cr_assert_eq(s_errors.total, 1);
    const kc_error_t *error = s_find("state.orphan", "unreachable");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->message,
                     "state 'orphan' is unreachable from the initial state 'draft'");
    cr_assert_str_eq(error->detail,
                     "line 25"); /* the 24 template lines before [transition.submit] */
}

Test(process, a_return_to_earlier_steps_makes_nothing_reachable)
{
    /* `later` can only be "returned to": a return goes back to states already reached */
    int rc = s_parse_bent("[transition.submit]\n", "[state.later]\n"
                                                   "name = 后\n"
                                                   "level = county\n"
                                                   "[transition.later_return]\n"
                                                   "name = 退\n"
                                                   "from = later\n"
                                                   "to = earlier\n"
                                                   "role = county_bureau\n"
                                                   "level = county\n"
                                                   "decision = return\n"
                                                   "requires = reason\n"
                                                   "[transition.submit]\n");
    cr_assert_eq(rc, -1);
    cr_assert_eq(s_errors.total, 1);
    cr_assert_not_null(s_find("state.later", "unreachable"));
}

Test(process, a_non_final_state_without_a_way_out_is_a_dead_end)
{
    /* the county may now send the application to `stuck`, which only "*" reject leaves */
    int rc = s_parse_bent("[transition.county_return]\n", "[state.stuck]\n"
                                                          "name = 停滞\n"
                                                          "level = county\n"
                                                          "[transition.to_stuck]\n"
                                                          "name = 搁置\n"
                                                          "from = county\n"
                                                          "to = stuck\n"
                                                          "role = county_bureau\n"
                                                          "level = county\n"
                                                          "decision = open\n"
                                                          "[transition.county_return]\n");
    s_dump();
    cr_assert_eq(rc, -1);
    cr_assert_eq(s_errors.total, 1);
    const kc_error_t *error = s_find("state.stuck", "dead end");
    cr_assert_not_null(error);
    cr_assert(strstr(error->message, "state 'stuck' is a dead end"));
}

Test(process, a_final_state_with_a_way_out_is_refused)
{
    int rc = s_parse_bent("from = notice\n", "from = done\n");
    s_dump();
    cr_assert_eq(rc, -1);
    /* done -> done by the system: done has a way out, and nothing else leads to it any more;
     * notice lost its only way out; the timer's transition no longer leaves the notice: 4 */
    cr_assert_not_null(s_find("state.done", "final state 'done' has 1 transition(s) out"));
    cr_assert_not_null(s_find("state.done", "unreachable"));
    cr_assert_not_null(s_find("state.notice", "dead end"));
    cr_assert_not_null(s_find("state.notice.on_notice_end", "is not taken from state 'notice'"));
    cr_assert_eq(s_errors.total, 4);
}

Test(process, a_role_at_a_level_it_does_not_hold_makes_a_transition_nobody_may_take)
{
    int rc = s_parse_bent("role = county_bureau\nlevel = county\ndecision = approve\n",
                          "role = city_bureau\nlevel = county\ndecision = approve\n");
    s_dump();
    cr_assert_eq(rc, -1);
    cr_assert_eq(s_errors.total, 1);
    const kc_error_t *error = s_find("transition.county_approve.role", "nobody may take");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->message, "nobody may take transition 'county_approve': role "
                                     "'city_bureau' acts at level 'city', not 'county'");
    cr_assert_str_eq(error->detail, "line 36");
}

Test(process, a_step_of_one_level_taken_from_another_levels_state_is_refused)
{
    /* the county bureau's return now leaves the province's notice */
    int rc = s_parse_bent("from = county\nto = earlier\n", "from = notice\nto = earlier\n");
    s_dump();
    cr_assert_eq(rc, -1);
    cr_assert_eq(s_errors.total, 1);
    cr_assert_not_null(s_find("transition.county_return.level",
                              "it acts at level 'county' but state 'notice' waits at level "
                              "'province'"));
}

Test(process, a_timer_naming_another_states_transition_is_refused)
{
    int rc = s_parse_bent("on_notice_end = notice_end\n", "on_notice_end = county_approve\n");
    s_dump();
    cr_assert_eq(rc, -1);
    /* county_approve leaves `county`, not `notice`, and is the county bureau's; notice_end,
     * a system step, is now named by no timer: 3 errors */
    const kc_error_t *error = s_find("state.notice.on_notice_end", "is not taken from");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->message, "on_notice_end 'county_approve' is not taken from state "
                                     "'notice' (its from is 'county')");
    cr_assert_str_eq(error->detail, "line 16");
    cr_assert_not_null(s_find("state.notice.on_notice_end",
                              "on_notice_end 'county_approve' is taken by role 'county_bureau', "
                              "not by 'system'"));
    cr_assert_not_null(
        s_find("transition.notice_end.role", "no state's on_notice_end or on_timer names it"));
    cr_assert_eq(s_errors.total, 3);
}

Test(process, a_notice_without_on_notice_end_is_refused)
{
    int rc = s_parse_bent("on_notice_end = notice_end\n", "");
    cr_assert_eq(rc, -1);
    cr_assert_not_null(
        s_find("state.notice.on_notice_end", "has notice_working_days = 5 but no on_notice_end"));
    cr_assert_not_null(s_find("transition.notice_end.role", "nobody may take"));
    cr_assert_eq(s_errors.total, 2);
}

Test(process, a_decision_without_a_written_reason_is_refused)
{
    int rc = s_parse_bent("decision = approve\nrequires = reason\n",
                          "decision = approve\nrequires = attestation\n");
    s_dump();
    cr_assert_eq(rc, -1);
    cr_assert_eq(s_errors.total, 1);
    const kc_error_t *error = s_find("transition.county_approve.requires", "written reason");
    cr_assert_not_null(error);
    cr_assert_eq(error->code, KC_ERR_REQUIRED);
    cr_assert_str_eq(error->message,
                     "decision 'approve' of transition 'county_approve' must require a written "
                     "reason");
    cr_assert_str_eq(error->detail, "line 39");
}

Test(process, several_problems_are_all_reported_at_once)
{
    char *one = s_bend("role = applicant\n", "role = clerk\n");
    char *two = NULL;
    {
        const char *from = "decision = return\n";
        const char *at = strstr(one, from);
        size_t size = strlen(one) + 16;
        two = malloc(size);
        snprintf(two, size, "%.*sdecision = bounce\n%s", (int)(at - one), one, at + strlen(from));
    }
    free(one);
    const char *from = "to = done\n";
    const char *at = strstr(two, from);
    size_t size = strlen(two) + 64;
    char *three = malloc(size);
    snprintf(three, size, "%.*sto = nowhere\nlevel = town\n%s", (int)(at - two), two,
             at + strlen(from));
    free(two);
    int rc = s_parse_text(three);
    free(three);
    s_dump();
    cr_assert_eq(rc, -1);
    /* unknown role; unknown decision; unknown state in `to`; unknown level; the second
     * `level` of notice_end given twice; `done` now unreachable: 6, each under its field */
    cr_assert_not_null(s_find("transition.submit.role", "unknown role 'clerk'"));
    cr_assert_not_null(s_find("transition.county_return.decision", "unknown decision 'bounce'"));
    cr_assert_not_null(
        s_find("transition.notice_end.to", "to 'nowhere' is not a state of this process"));
    cr_assert_not_null(s_find("transition.notice_end.level", "unknown level 'town'"));
    cr_assert_not_null(s_find("transition.notice_end.level", "given twice"));
    cr_assert_not_null(s_find("state.done", "unreachable"));
    cr_assert_eq(s_errors.total, 6);
}

Test(process, unknown_keys_sections_and_over_long_lines_are_refused)
{
    char *text = s_bend("level = none\nfinal = true\n[state.rejected]\n",
                        "level = none\nfinal = true\ncolour = red\n[stage.x]\n"
                        "[state.rejected]\n");
    cr_assert_eq(s_parse_text(text), -1);
    free(text);
    cr_assert_not_null(s_find("state.done.colour", "unknown key 'colour' in [state.done]"));
    cr_assert_not_null(s_find("stage.x", "unknown section [stage.x]"));
    cr_assert_eq(s_errors.total, 2);

    kc_errors_release(&s_errors);
    kc_errors_init(&s_errors);
    char name[300] = "name = ";
    memset(name + 7, 'x', 200);
    name[207] = '\n';
    name[208] = '\0';
    text = s_bend("name = 县审核\n", name);
    cr_assert_eq(s_parse_text(text), -1);
    free(text);
    cr_assert_eq(s_errors.total, 1);
    cr_assert(strstr(s_errors.items[0].message, "line 10 is 207 bytes long, at most 196"));
}

Test(process, codes_outside_lower_case_letters_digits_and_dashes_are_refused)
{
    cr_assert_eq(s_parse_bent("[state.rejected]\n", "[state.Rejected]\n"), -1);
    cr_assert_not_null(s_find("state.Rejected", "is not 1 to 47 characters of a-z"));
}

/* ---- authorisation ------------------------------------------------------ */

static const wf_transition_t *s_step(const char *code)
{
    size_t size = 0;
    char *text = s_read_file("deploy/workflow/mountain-base-v1.ini", &size);
    int rc = process_parse(text, size, &s_p, &s_errors);
    free(text);
    cr_assert_eq(rc, 0);
    return &s_p.transitions[process_transition_index(&s_p, code)];
}

Test(process, a_county_acts_only_on_its_own_county)
{
    kc_error_t error = {0};
    const wf_transition_t *t = s_step("county_approve");
    cr_assert_eq(process_authorise(t, "county_bureau", "130123", "130123", &error), 0);
    /* 行唐 130125 is another county of the same city */
    cr_assert_eq(process_authorise(t, "county_bureau", "130125", "130123", &error), -1);
    cr_assert_eq(error.code, KC_ERR_DENIED);
    cr_assert_str_eq(error.field, "actor.division_code");
    cr_assert_str_eq(error.message, "county 130125 may not act on an application of county 130123");
    /* the city's own code is not the county's */
    cr_assert_eq(process_authorise(t, "county_bureau", "130100", "130123", &error), -1);
}

Test(process, a_county_bureau_cannot_take_the_county_governments_step)
{
    kc_error_t error = {0};
    const wf_transition_t *t = s_step("county_consent");
    cr_assert_eq(process_authorise(t, "county_bureau", "130123", "130123", &error), -1);
    cr_assert_str_eq(error.field, "actor.role");
    cr_assert_str_eq(error.message, "role 'county_bureau' may not take transition "
                                    "'county_consent': it is for role 'county_government'");
    cr_assert_eq(process_authorise(t, "county_government", "130123", "130123", &error), 0);
}

Test(process, a_city_acts_on_its_counties_only)
{
    kc_error_t error = {0};
    const wf_transition_t *t = s_step("city_recommend");
    cr_assert_eq(process_authorise(t, "city_bureau", "130100", "130123", &error), 0);
    cr_assert_eq(process_authorise(t, "city_bureau", "130100", "130125", &error), 0);
    /* Tangshan 130200 on a Shijiazhuang county (1301 + 00) */
    cr_assert_eq(process_authorise(t, "city_bureau", "130200", "130123", &error), -1);
    cr_assert_str_eq(error.field, "actor.division_code");
    cr_assert_str_eq(error.message,
                     "city 130200 may not act on an application of county 130123 (city 130100)");
    /* a city may not take the county's step, even in its own county */
    cr_assert_eq(
        process_authorise(s_step("county_approve"), "city_bureau", "130100", "130123", &error), -1);
    cr_assert_str_eq(error.field, "actor.role");
    /* Dingzhou 130682 reports at city level: it acts as the city on its own applications */
    cr_assert_eq(process_authorise(t, "city_bureau", "130682", "130682", &error), 0);
}

Test(process, the_province_acts_on_all_of_its_counties_and_no_others)
{
    kc_error_t error = {0};
    const wf_transition_t *t = s_step("province_approve");
    cr_assert_eq(process_authorise(t, "province_department", "130000", "130123", &error), 0);
    cr_assert_eq(process_authorise(t, "province_department", "130000", "130224", &error), 0);
    cr_assert_eq(process_authorise(t, "province_department", "140000", "130123", &error), -1);
    cr_assert_str_eq(error.message, "province 140000 may not act on an application of county "
                                    "130123 (province 130000)");
    cr_assert_eq(process_authorise(t, "expert", "130000", "130123", &error), -1);
    cr_assert_str_eq(error.field, "actor.role");
}

Test(process, applicants_and_timers_need_no_jurisdiction)
{
    kc_error_t error = {0};
    cr_assert_eq(process_authorise(s_step("submit"), "applicant", "", "130123", &error), 0);
    cr_assert_eq(process_authorise(s_step("withdraw"), "applicant", "110105", "130123", &error), 0);
    const wf_transition_t *timer = s_step("notice_closed");
    cr_assert_eq(process_authorise(timer, "system", NULL, "130123", &error), 0);
    cr_assert_eq(process_authorise(timer, "province_department", "130000", "130123", &error), -1);
    cr_assert_str_eq(error.field, "actor.role");
}

Test(process, a_malformed_division_code_is_refused)
{
    kc_error_t error = {0};
    const wf_transition_t *t = s_step("county_approve");
    cr_assert_eq(process_authorise(t, "county_bureau", "1301", "130123", &error), -1);
    cr_assert_eq(error.code, KC_ERR_DENIED);
    cr_assert_str_eq(error.field, "actor.division_code");
    cr_assert_str_eq(error.message, "division code '1301' is not six digits");
    cr_assert_eq(process_authorise(t, "", "130123", "130123", &error), -1);
    cr_assert_str_eq(error.field, "actor.role");
}

/* ---- panels, timers, deadlines ------------------------------------------ */

/* The template's county state holds a panel of 5, scored on two criteria. */
static const char s_panel_head[] = "initial = draft\n"
                                   "panel_size = 5\n"
                                   "panel_field = rural_industry\n"
                                   "panel_aggregation = trimmed_mean\n"
                                   "panel_disagreement = 30\n"
                                   "[criterion.plan]\n"
                                   "name = 实施方案\n"
                                   "points = 60\n"
                                   "[criterion.team]\n"
                                   "name = 团队\n"
                                   "points = 40\n";

Test(process, a_panel_state_and_its_criteria_are_read)
{
    char *head = s_bend("initial = draft\n", s_panel_head);
    const char *from = "name = 县审核\nlevel = county\n";
    char *at = strstr(head, from);
    cr_assert_not_null(at);
    size_t size = strlen(head) + 64;
    char *text = malloc(size);
    snprintf(text, size, "%.*s%spanel = true\ndeadline_working_days = 10\n%s", (int)(at - head),
             head, from, at + strlen(from));
    int rc = s_parse_text(text);
    s_dump();
    free(head);
    free(text);
    cr_assert_eq(rc, 0);
    cr_assert_eq(s_p.panel_size, 5);
    cr_assert_str_eq(s_p.panel_aggregation, "trimmed_mean");
    cr_assert_eq(s_p.n_criteria, 2);
    cr_assert_eq(s_p.criteria[0].points + s_p.criteria[1].points, 100);
    const wf_state_t *county = &s_p.states[process_state_index(&s_p, "county")];
    cr_assert(county->panel);
    cr_assert_eq(county->deadline_working_days, 10);
}

Test(process, criteria_that_do_not_add_up_to_100_and_a_panel_without_a_size_are_refused)
{
    char *head = s_bend("initial = draft\n", "initial = draft\n"
                                             "panel_field = rural_industry\n"
                                             "panel_aggregation = median\n"
                                             "[criterion.plan]\n"
                                             "name = 实施方案\n"
                                             "points = 60\n");
    const char *from = "name = 县审核\nlevel = county\n";
    char *at = strstr(head, from);
    size_t size = strlen(head) + 32;
    char *text = malloc(size);
    snprintf(text, size, "%.*s%spanel = true\n%s", (int)(at - head), head, from, at + strlen(from));
    int rc = s_parse_text(text);
    s_dump();
    free(head);
    free(text);
    cr_assert_eq(rc, -1);
    cr_expect_not_null(s_find("process.panel_size", "at least 3"));
    cr_expect_not_null(s_find("process.panel_aggregation", "is not mean or trimmed_mean"));
    cr_expect_not_null(s_find("criterion", "add up to 60, not 100"));
}

Test(process, a_step_that_needs_scores_where_no_panel_sits_is_refused)
{
    int rc = s_parse_bent("decision = approve\nrequires = reason\n",
                          "decision = approve\nrequires = reason, scores\nmin_score = 60\n");
    s_dump();
    cr_assert_eq(rc, -1);
    cr_assert_not_null(s_find("transition.county_approve.requires", "not taken from a state with "
                                                                    "panel = true"));
}

Test(process, a_timer_names_a_system_step_of_its_own_state)
{
    /* the notice becomes a 30-day timer whose step is the county's */
    int rc = s_parse_bent("notice_working_days = 5\non_notice_end = notice_end\n",
                          "timer_days = 30\non_timer = county_approve\n");
    s_dump();
    cr_assert_eq(rc, -1);
    cr_expect_not_null(s_find("state.notice.on_timer", "is not taken from state 'notice'"));
    cr_expect_not_null(s_find("state.notice.on_timer", "not by 'system'"));
    cr_expect_not_null(s_find("transition.notice_end.role", "on_notice_end or on_timer"));

    cr_assert_eq(s_parse_bent("notice_working_days = 5\non_notice_end = notice_end\n",
                              "timer_days = 30\non_timer = notice_end\n"),
                 0);
    cr_assert_eq(s_p.states[process_state_index(&s_p, "notice")].timer_days, 30);
    cr_assert_eq(s_parse_bent("notice_working_days = 5\non_notice_end = notice_end\n",
                              "timer_days = 1101\non_timer = notice_end\n"),
                 -1);
    cr_expect_not_null(s_find("state.notice.timer_days", "from 0 to 1100"));
}
