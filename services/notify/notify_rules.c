/*  notify_rules: reading and checking a notification definition
 *  (see notify_rules.h and deploy/notify/README.md). */
#include "notify/notify_rules.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_check.h"
#include "kc/kc_ini_scan.h"

static const char *const s_moved[] = {"application_ref", "title",     "county_code", "county_name",
                                      "transition",      "decision",  "from_state",  "to_state",
                                      "state_name",      "reason",    "actor_role",  "notice_end",
                                      "calendar_note",   "step_name", NULL};
static const char *const s_deadline[] = {
    "application_ref", "title", "county_code", "county_name",   "state", "state_name",
    "level",           "kind",  "due_date",    "calendar_note", NULL};
static const char *const s_objection[] = {"application_ref", "title",  "county_code", "county_name",
                                          "outcome",         "reason", NULL};
static const char *const s_panel[] = {"application_ref", "title", "county_code",
                                      "county_name",     "what",  NULL};

static const char *const s_class[] = {"year", "county_code",  "county_name", "class",       "total",
                                      "rank", "rank_in_city", "reward",      "reward_note", NULL};

static const struct {
    const char *event;
    const char *const *variables;
} s_events[] = {
    {"CountyClassPublished", s_class}, {"ApplicationMoved", s_moved},
    {"DeadlineReached", s_deadline},   {"ObjectionResolved", s_objection},
    {"PanelChanged", s_panel},
};

/* `holders`: whoever may act on the state the event is about (the roles
 * of the transitions out of it in the application's procedure), so that a
 * submission or a deadline reaches the level that must act. `public`: the
 * notice is written as a file for the site to publish (notify_public.h). */
static const char *const s_roles[] = {"applicant",
                                      "county_bureau",
                                      "county_government",
                                      "city_bureau",
                                      "province_department",
                                      "panel_experts",
                                      "holders",
                                      "public",
                                      NULL};

const char *const *notify_event_variables(const char *event)
{
    for (size_t i = 0; i < sizeof s_events / sizeof s_events[0]; i++)
        if (strcmp(s_events[i].event, event) == 0)
            return s_events[i].variables;
    return NULL;
}

const char *notify_panel_what(const char *what)
{
    static const struct {
        const char *what, *said;
    } s_said[] = {
        {"drawn", "评估专家已抽取"},
        {"seat_replaced", "已补抽专家，替换回避或放弃的席位"},
        {"complete", "专家评分已全部提交"},
        {"no_reserve_left", "备选专家已用尽，需另行抽取"},
    };
    for (size_t i = 0; i < sizeof s_said / sizeof s_said[0]; i++)
        if (what && strcmp(s_said[i].what, what) == 0)
            return s_said[i].said;
    return "评估专家组有变动";
}

void notify_render(const char *text, const char *const *names, const char *const *values, char *out,
                   size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *at = text; *at && used + 1 < size;) {
        const char *close = *at == '{' ? strchr(at, '}') : NULL;
        if (!close) {
            out[used++] = *at++;
            continue;
        }
        size_t n = (size_t)(close - at - 1);
        for (size_t i = 0; names[i]; i++)
            if (strlen(names[i]) == n && strncmp(names[i], at + 1, n) == 0) {
                size_t length = strlen(values[i]);
                if (used + length >= size)
                    length = size - used - 1;
                memcpy(out + used, values[i], length);
                used += length;
                break;
            }
        at = close + 1;
    }
    /* never end inside a UTF-8 sequence cut by the size */
    out[used] = '\0';
    while (used > 0 && kc_utf8_length(out) < 0)
        out[--used] = '\0';
}

/* ---- reading -------------------------------------------------------- */

typedef struct {
    notify_rules_t *rules;
    kc_errors_t *errors;
    int lines[NOTIFY_MAX_TEMPLATES + NOTIFY_MAX_ROUTES + 1]; /* section lines, in order */
    size_t n_lines;
    bool head_seen;
    char route_templates[NOTIFY_MAX_ROUTES][NOTIFY_CODE_MAX];
} s_draft_t;

static void s_note(s_draft_t *d, const char *field, int line, const char *fmt, const char *a,
                   const char *b)
{
    kc_error_t *error = kc_errors_add(d->errors, KC_ERR_INPUT, field, fmt, a, b);
    if (error && line > 0)
        kc_error_detail(error, "line %d", line);
}

static void s_on_section(void *context, const char *section, int line)
{
    s_draft_t *d = context;
    if (d->n_lines < sizeof d->lines / sizeof d->lines[0])
        d->lines[d->n_lines++] = line;
    (void)section;
}

static void s_on_key(void *context, int line)
{
    (void)context;
    (void)line;
}

static int s_copy(s_draft_t *d, char *out, size_t size, const char *value, const char *field)
{
    if (kc_utf8_length(value) < 0 || strlen(value) >= size || !*value) {
        s_note(d, field, 0, "'%s' is empty, too long or not UTF-8%s", field, "");
        return -1;
    }
    snprintf(out, size, "%s", value);
    return 0;
}

static int s_template_key(s_draft_t *d, notify_template_t *t, const char *name, const char *value,
                          const char *field)
{
    if (strcmp(name, "event") == 0)
        return s_copy(d, t->event, sizeof t->event, value, field);
    if (strcmp(name, "subject") == 0)
        return s_copy(d, t->subject, sizeof t->subject, value, field);
    if (strcmp(name, "body") == 0)
        return s_copy(d, t->body, sizeof t->body, value, field);
    s_note(d, field, 0, "unknown key '%s'%s", name, " (known: event, subject, body)");
    return -1;
}

static int s_route_key(s_draft_t *d, size_t index, const char *name, const char *value,
                       const char *field)
{
    notify_route_t *r = &d->rules->routes[index];
    if (strcmp(name, "event") == 0)
        return s_copy(d, r->event, sizeof r->event, value, field);
    if (strcmp(name, "decision") == 0)
        return s_copy(d, r->decision, sizeof r->decision, value, field);
    if (strcmp(name, "to_state") == 0)
        return s_copy(d, r->to_state, sizeof r->to_state, value, field);
    if (strcmp(name, "kind") == 0)
        return s_copy(d, r->kind, sizeof r->kind, value, field);
    if (strcmp(name, "template") == 0)
        return s_copy(d, d->route_templates[index], NOTIFY_CODE_MAX, value, field);
    if (strcmp(name, "priority") == 0) {
        r->priority = strcmp(value, "critical") == 0 ? NOTIFY_CRITICAL
                      : strcmp(value, "low") == 0    ? NOTIFY_LOW
                                                     : NOTIFY_NORMAL;
        if (strcmp(value, "critical") && strcmp(value, "low") && strcmp(value, "normal"))
            s_note(d, field, 0, "priority '%s' is not low, normal or critical%s", value, "");
        return 0;
    }
    if (strcmp(name, "to") == 0) {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", value);
        for (char *save = NULL, *word = strtok_r(copy, ", ", &save); word;
             word = strtok_r(NULL, ", ", &save)) {
            bool known = false;
            for (size_t i = 0; s_roles[i]; i++)
                known = known || strcmp(s_roles[i], word) == 0;
            if (!known || r->n_roles == NOTIFY_MAX_ROLES)
                s_note(d, field, 0, "'%s' is not a role notifications go to%s", word,
                       " (applicant, county_bureau, county_government, city_bureau, "
                       "province_department, panel_experts, holders, public)");
            else
                snprintf(r->roles[r->n_roles++], sizeof r->roles[0], "%s", word);
        }
        return 0;
    }
    s_note(d, field, 0, "unknown key '%s'%s", name,
           " (known: event, decision, to_state, kind, to, template, priority)");
    return -1;
}

static int s_on_entry(void *user, const char *section, const char *name, const char *value)
{
    s_draft_t *d = user;
    notify_rules_t *rules = d->rules;
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "%s.%s", section, name);
    if (strcmp(section, "notify") == 0) {
        d->head_seen = true;
        if (strcmp(name, "code") == 0)
            s_copy(d, rules->code, sizeof rules->code, value, field);
        else
            s_note(d, field, 0, "unknown key '%s'%s", name, " (known: code)");
        return 1;
    }
    const char *code = NULL;
    bool route = false;
    if (strncmp(section, "template.", 9) == 0)
        code = section + 9;
    else if (strncmp(section, "route.", 6) == 0) {
        code = section + 6;
        route = true;
    }
    if (!code || !*code || strlen(code) >= NOTIFY_CODE_MAX) {
        s_note(d, section, 0, "unknown section [%s]%s", section,
               " (sections: [notify], [template.<code>], [route.<code>])");
        return 1;
    }
    size_t i;
    if (route) {
        for (i = 0; i < rules->n_routes && strcmp(rules->routes[i].code, code) != 0; i++)
            ;
        if (i == rules->n_routes) {
            if (i == NOTIFY_MAX_ROUTES)
                return 1;
            snprintf(rules->routes[rules->n_routes++].code, NOTIFY_CODE_MAX, "%s", code);
        }
        s_route_key(d, i, name, value, field);
    } else {
        for (i = 0; i < rules->n_templates && strcmp(rules->templates[i].code, code) != 0; i++)
            ;
        if (i == rules->n_templates) {
            if (i == NOTIFY_MAX_TEMPLATES)
                return 1;
            snprintf(rules->templates[rules->n_templates++].code, NOTIFY_CODE_MAX, "%s", code);
        }
        s_template_key(d, &rules->templates[i], name, value, field);
    }
    return 1;
}

/* ---- checking the whole --------------------------------------------- */

/* Every {variable} of `text` is one its event offers. */
static void s_check_variables(s_draft_t *d, const notify_template_t *t, const char *text,
                              const char *key)
{
    const char *const *variables = notify_event_variables(t->event);
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "template.%s.%s", t->code, key);
    for (const char *at = strchr(text, '{'); at; at = strchr(at + 1, '{')) {
        const char *close = strchr(at, '}');
        if (!close) {
            s_note(d, field, 0, "'{' without its '}' in %s%s", key, "");
            return;
        }
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(close - at - 1), at + 1);
        bool known = false;
        for (size_t i = 0; variables && variables[i]; i++)
            known = known || strcmp(variables[i], name) == 0;
        if (!known)
            s_note(d, field, 0, "unknown variable {%s} for %s events", name, t->event);
    }
}

static void s_check(s_draft_t *d)
{
    notify_rules_t *rules = d->rules;
    if (!d->head_seen || !*rules->code)
        s_note(d, "notify.code", 0, "the [notify] section needs its code%s%s", "", "");
    for (size_t i = 0; i < rules->n_templates; i++) {
        notify_template_t *t = &rules->templates[i];
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "template.%s.event", t->code);
        if (!notify_event_variables(t->event)) {
            s_note(d, field, 0, "'%s' is not an event type notifications follow%s", t->event,
                   " (ApplicationMoved, DeadlineReached, ObjectionResolved, PanelChanged,"
                   " CountyClassPublished)");
            continue;
        }
        if (!*t->subject || !*t->body)
            s_note(d, field, 0, "template '%s' needs a subject and a body%s", t->code, "");
        s_check_variables(d, t, t->subject, "subject");
        s_check_variables(d, t, t->body, "body");
    }
    for (size_t i = 0; i < rules->n_routes; i++) {
        notify_route_t *r = &rules->routes[i];
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "route.%s", r->code);
        r->template_index = -1;
        for (size_t t = 0; t < rules->n_templates; t++)
            if (strcmp(rules->templates[t].code, d->route_templates[i]) == 0)
                r->template_index = (int)t;
        if (r->template_index < 0)
            s_note(d, field, 0, "route '%s' names no known template ('%s')", r->code,
                   d->route_templates[i]);
        else if (strcmp(rules->templates[r->template_index].event, r->event) != 0)
            s_note(d, field, 0, "route '%s' is for %s events but its template is not", r->code,
                   r->event);
        if (r->n_roles == 0)
            s_note(d, field, 0, "route '%s' tells nobody (to = ...)%s", r->code, "");
        for (size_t k = 0; k < r->n_roles; k++)
            if (strcmp(r->roles[k], "panel_experts") == 0 && strcmp(r->event, "PanelChanged") != 0)
                s_note(d, field, 0,
                       "route '%s' tells panel_experts of %s events: only a"
                       " PanelChanged event names a panel's experts",
                       r->code, r->event);
            else if (strcmp(r->roles[k], "holders") == 0 &&
                     strcmp(r->event, "ApplicationMoved") != 0 &&
                     strcmp(r->event, "DeadlineReached") != 0)
                s_note(d, field, 0,
                       "route '%s' tells holders of %s events: only an application's"
                       " step or deadline names a state someone holds",
                       r->code, r->event);
    }
    if (rules->n_routes == 0)
        s_note(d, "route", 0, "no [route.<code>]: nobody would be told anything%s%s", "", "");
}

int notify_rules_parse(const char *text, size_t size, notify_rules_t *out, kc_errors_t *errors)
{
    memset(out, 0, sizeof *out);
    s_draft_t *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    d->rules = out;
    d->errors = errors;
    size_t before = errors->total;
    kc_ini_visitor_t visitor = {d, s_on_section, s_on_key};
    if (!text || size == 0 || memchr(text, '\0', size))
        s_note(d, NULL, 0, "the notification definition is empty or holds a NUL byte%s%s", "", "");
    else if (kc_ini_scan(text, size, errors, &visitor) == 0) {
        char *copy = malloc(size + 1);
        if (!copy)
            abort();
        memcpy(copy, text, size);
        copy[size] = '\0';
        ini_parse_string(copy, s_on_entry, d);
        free(copy);
        s_check(d);
    }
    free(d);
    if (errors->total > before) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}
