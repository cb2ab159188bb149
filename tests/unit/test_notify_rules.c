/*  Notification definitions: the shipped one reads; a template naming a
 *  variable its event does not carry, an unknown role or event, a route
 *  without its template are refused when checked; rendering fills the
 *  variables. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify_rules.h"

static notify_rules_t s_rules;
static kc_errors_t s_errors;

static void s_setup(void)
{
    kc_errors_init(&s_errors);
}

static void s_teardown(void)
{
    kc_errors_release(&s_errors);
}

TestSuite(notify_rules, .init = s_setup, .fini = s_teardown);

static int s_parse(const char *text)
{
    return notify_rules_parse(text, strlen(text), &s_rules, &s_errors);
}

static bool s_has(const char *field, const char *words)
{
    for (size_t i = 0; i < s_errors.kept; i++)
        if ((!field || strcmp(s_errors.items[i].field, field) == 0) &&
            strstr(s_errors.items[i].message, words))
            return true;
    return false;
}

static const char s_good[] = "[notify]\n"
                             "code = t-v1\n"
                             "[template.filed]\n"
                             "event = ApplicationMoved\n"
                             "subject = 【已备案】{title}\n"
                             "body = {title}（{county_name}）：{reason}\n"
                             "[route.filed]\n"
                             "event = ApplicationMoved\n"
                             "decision = file\n"
                             "to = applicant, county_bureau\n"
                             "template = filed\n"
                             "priority = critical\n";

Test(notify_rules, the_shipped_definition_reads)
{
    FILE *file = fopen("deploy/notify/notify-v2.ini", "rb");
    cr_assert_not_null(file);
    static char text[64 * 1024];
    size_t size = fread(text, 1, sizeof text, file);
    fclose(file);
    int rc = notify_rules_parse(text, size, &s_rules, &s_errors);
    for (size_t i = 0; i < s_errors.kept; i++)
        fprintf(stderr, "%s: %s\n", s_errors.items[i].field, s_errors.items[i].message);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(s_rules.code, "notify-v2");
    cr_expect_geq(s_rules.n_routes, 10);
}

Test(notify_rules, a_good_definition_reads_and_its_route_finds_its_template)
{
    cr_assert_eq(s_parse(s_good), 0);
    cr_expect_eq(s_rules.n_routes, 1);
    cr_expect_eq(s_rules.routes[0].n_roles, 2);
    cr_expect_eq(s_rules.routes[0].priority, NOTIFY_CRITICAL);
    cr_expect_eq(s_rules.routes[0].template_index, 0);
}

Test(notify_rules, an_unknown_variable_is_refused_when_checked_not_when_sent)
{
    char text[2048];
    snprintf(text, sizeof text, "%s", s_good);
    char *at = strstr(text, "{county_name}");
    memcpy(at, "{county_nam}", 12);
    memmove(at + 12, at + 13, strlen(at + 13) + 1);
    cr_assert_eq(s_parse(text), -1);
    cr_expect(s_has("template.filed.body", "unknown variable {county_nam}"));
}

Test(notify_rules, unknown_roles_events_keys_and_missing_templates_are_all_reported)
{
    const char *text = "[notify]\n"
                       "code = t-v1\n"
                       "[template.a]\n"
                       "event = SomethingElse\n"
                       "subject = x\n"
                       "body = y\n"
                       "colour = red\n"
                       "[route.r]\n"
                       "event = ApplicationMoved\n"
                       "to = mayor\n"
                       "template = nowhere\n";
    cr_assert_eq(s_parse(text), -1);
    cr_expect(s_has("template.a.event", "not an event type"));
    cr_expect(s_has(NULL, "unknown key 'colour'"));
    cr_expect(s_has(NULL, "'mayor' is not a role"));
    cr_expect(s_has("route.r", "names no known template"));
}

Test(notify_rules, rendering_fills_the_variables_and_drops_unknown_ones)
{
    const char *names[] = {"title", "reason", NULL};
    const char *values[] = {"平山县食用菌基地", "公示期满无异议", NULL};
    char out[128];
    notify_render("【已备案】{title}：{reason}{nothing}", names, values, out, sizeof out);
    cr_expect_str_eq(out, "【已备案】平山县食用菌基地：公示期满无异议");
    char small[10];
    notify_render("{title}", names, values, small, sizeof small);
    cr_expect_str_eq(small, "平山县", "cut on a character boundary");
}

Test(notify_rules, holders_and_the_public_are_told_only_of_what_names_them)
{
    const char *text = "[notify]\n"
                       "code = t-v1\n"
                       "[template.p]\n"
                       "event = PanelChanged\n"
                       "subject = 【专家评估】{title}\n"
                       "body = {what}\n"
                       "[template.m]\n"
                       "event = ApplicationMoved\n"
                       "subject = 【待办】{title}\n"
                       "body = {step_name}\n"
                       "[route.m]\n"
                       "event = ApplicationMoved\n"
                       "decision = submit\n"
                       "to = holders, public\n"
                       "template = m\n"
                       "priority = normal\n"
                       "[route.p]\n"
                       "event = PanelChanged\n"
                       "to = holders\n"
                       "template = p\n"
                       "priority = low\n";
    cr_assert_eq(s_parse(text), -1);
    cr_expect(s_has(NULL, "route 'p' tells holders of PanelChanged events"));
    cr_expect_eq(s_errors.kept, 1, "route m, to holders and the public, is good");
}
