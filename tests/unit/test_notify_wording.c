/*  The shipped notification templates read as official Chinese: each one,
 *  rendered with sample values of its event, holds no Latin letter outside
 *  the application's reference (a code) and no URL, never says "0万元", and
 *  says "予以备案", not "已予备案". The samples are what kc-notify puts in
 *  the variables (Chinese names, dates, the panel's change said in words). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify_rules.h"

#define S_REF "HB-130131-2026-0007"

static notify_rules_t s_rules;

/* A sample value for each variable an event may carry. Codes (states,
 * decisions, roles) are samples too: a template that shows one fails. */
static const struct {
    const char *name, *value;
} s_samples[] = {
    {"application_ref", S_REF},
    {"title", "平山县食用菌产业科技示范基地"},
    {"county_code", "130131"},
    {"county_name", "平山县"},
    {"transition", "assessment_fail"},
    {"decision", "fail"},
    {"from_state", "assessment"},
    {"to_state", "rectification"},
    {"state", "rectification"},
    {"state_name", "限期整改"},
    {"step_name", "年度考核不合格，限期一年整改"},
    {"reason", "年度报告未体现带动农户增收情况"},
    {"actor_role", "province_department"},
    {"notice_end", "2026-03-20"},
    {"calendar_note", ""},
    {"level", "county"},
    {"kind", "即将到期"},
    {"due_date", "2026-03-20 24:00"},
    {"outcome", "异议不成立"},
    {"what", NULL}, /* filled per case from notify_panel_what */
    {"year", "2026"},
    {"class", "A"},
    {"total", "86.50"},
    {"rank", "3"},
    {"rank_in_city", "1"},
    {"reward", "0"},
    {"reward_note", ""},
};

static const char *s_sample(const char *name, const char *what)
{
    for (size_t i = 0; i < sizeof s_samples / sizeof s_samples[0]; i++)
        if (strcmp(s_samples[i].name, name) == 0)
            return s_samples[i].value ? s_samples[i].value : notify_panel_what(what);
    return "";
}

static void s_load(void)
{
    FILE *file = fopen("deploy/notify/notify-v2.ini", "rb");
    cr_assert_not_null(file);
    static char text[64 * 1024];
    size_t size = fread(text, 1, sizeof text, file);
    fclose(file);
    kc_errors_t errors;
    kc_errors_init(&errors);
    int rc = notify_rules_parse(text, size, &s_rules, &errors);
    kc_errors_release(&errors);
    cr_assert_eq(rc, 0);
}

/* The first Latin letter of `text` once the reference and any URL are
 * taken out, or NULL. The class of a county (A, B, C, D) is a grade the
 * methodology names with a letter: allowed right before "类". */
static const char *s_latin(const char *text)
{
    for (const char *at = text; *at; at++) {
        if (strncmp(at, S_REF, strlen(S_REF)) == 0) {
            at += strlen(S_REF) - 1;
            continue;
        }
        if (strncmp(at, "http://", 7) == 0 || strncmp(at, "https://", 8) == 0) {
            while (at[1] && at[1] != ' ')
                at++;
            continue;
        }
        bool letter = (*at >= 'A' && *at <= 'Z') || (*at >= 'a' && *at <= 'z');
        if (letter && strncmp(at + 1, "类", strlen("类")) != 0)
            return at;
    }
    return NULL;
}

static void s_render_clean(const notify_template_t *t, const char *what)
{
    const char *const *variables = notify_event_variables(t->event);
    cr_assert_not_null(variables);
    const char *values[32] = {0};
    size_t n = 0;
    for (; variables[n] && n < 31; n++)
        values[n] = s_sample(variables[n], what);
    char subject[NOTIFY_TEXT_MAX * 2], body[NOTIFY_TEXT_MAX * 4];
    notify_render(t->subject, variables, values, subject, sizeof subject);
    notify_render(t->body, variables, values, body, sizeof body);
    const char *texts[2] = {subject, body};
    for (int i = 0; i < 2; i++) {
        const char *latin = s_latin(texts[i]);
        cr_expect_null(latin, "template '%s' (%s) shows Latin letters: %s", t->code,
                       i ? "body" : "subject", texts[i]);
        cr_expect_null(strstr(texts[i], "0万元"), "template '%s' says 0万元: %s", t->code,
                       texts[i]);
        cr_expect_null(strstr(texts[i], "已予备案"), "template '%s': %s", t->code, texts[i]);
        cr_expect_null(strstr(texts[i], "{"), "template '%s' left a variable: %s", t->code,
                       texts[i]);
    }
}

Test(notify_wording, every_shipped_template_renders_without_latin_letters)
{
    s_load();
    cr_assert_geq(s_rules.n_templates, 15);
    const char *whats[] = {"drawn", "seat_replaced", "complete", "no_reserve_left", "other"};
    for (size_t i = 0; i < s_rules.n_templates; i++) {
        const notify_template_t *t = &s_rules.templates[i];
        if (strcmp(t->event, "PanelChanged") == 0)
            for (size_t w = 0; w < sizeof whats / sizeof whats[0]; w++)
                s_render_clean(t, whats[w]);
        else
            s_render_clean(t, NULL);
    }
}

Test(notify_wording, the_check_finds_an_english_word_in_a_notice)
{
    cr_expect_not_null(s_latin("专家评估组：drawn"));
    cr_expect_not_null(s_latin("状态 rectification"));
    cr_expect_null(s_latin("申报 " S_REF "（平山县），A类，详见 https://kc.example/n/7"));
}

Test(notify_wording, every_outcome_has_its_own_route_and_template)
{
    s_load();
    const char *decisions[] = {"open", "pass", "fail", "rate", "commend", "criticise", "file"};
    for (size_t d = 0; d < sizeof decisions / sizeof decisions[0]; d++) {
        bool routed = false;
        for (size_t r = 0; r < s_rules.n_routes; r++)
            routed = routed || (strcmp(s_rules.routes[r].decision, decisions[d]) == 0 &&
                                !*s_rules.routes[r].to_state);
        cr_expect(routed, "no route for the decision '%s'", decisions[d]);
    }
}
