/*  process_check: a process definition as a whole.
 *
 *  Once every section is read (process.c), the codes that keys name are
 *  resolved (initial, from, to, on_notice_end) and the definition is
 *  checked for what would strand an application or an official:
 *    - an unknown role, level or decision, a role at a level it does not
 *      hold (a city bureau acting at county level: nobody could take the
 *      step), or a step taken from a state another level's inbox holds;
 *    - a state the initial one cannot reach; a non-final state whose only
 *      ways out are "*" escapes (withdraw, reject) or none at all, a dead
 *      end; a final state with a way out;
 *    - a notice or timer without its transition, or naming one that is not
 *      the system's or not taken from that state; a system transition no
 *      timer takes;
 *    - an expert panel without its size, field, rule or criteria worth
 *      100 points; a step needing scores taken where no panel sits;
 *    - a decision that passes judgement (approve, recommend, return...)
 *      without a written reason: seed 000 gives every level an opinion
 *      with a seal, and issue 4 asks that every decision state its reason.
 *  Every problem is reported, each with its field and line.
 */
#include <stdio.h>
#include <string.h>

#include "process/process_internal.h"

/* Who may act, and at which level they act (the role's only level). */
static const struct {
    const char *role;
    wf_level_t level;
} s_roles[] = {
    {"applicant", WF_LEVEL_NONE},       {"public", WF_LEVEL_NONE},
    {"county_bureau", WF_LEVEL_COUNTY}, {"county_government", WF_LEVEL_COUNTY},
    {"city_bureau", WF_LEVEL_CITY},     {"province_department", WF_LEVEL_PROVINCE},
    {"expert", WF_LEVEL_PROVINCE},      {"system", WF_LEVEL_NONE},
};

/* Known decisions; `reason`: it passes judgement, so it must require one. */
static const struct {
    const char *decision;
    bool reason;
} s_decisions[] = {
    {"submit", false},
    {"withdraw", false},
    {"assign", false},
    {"open", false},
    {"consent", true},
    {"approve", true},
    {"recommend", true},
    {"return", true},
    {"reject", true},
    {"file", true},
    {"pass", true},
    {"fail", true},
    {"revoke", true},
    {"rate", true},
    /* a monitoring round's three outcomes are told apart (表彰, 合格, 通报批评) */
    {"commend", true},
    {"criticise", true},
};

#define S_COUNT(array) (sizeof(array) / sizeof((array)[0]))

int process_role_level(const char *role)
{
    for (size_t i = 0; i < S_COUNT(s_roles); i++)
        if (strcmp(s_roles[i].role, role) == 0)
            return (int)s_roles[i].level;
    return -1;
}

int process_decision_find(const char *decision, bool *needs_reason)
{
    for (size_t i = 0; i < S_COUNT(s_decisions); i++)
        if (strcmp(s_decisions[i].decision, decision) == 0) {
            *needs_reason = s_decisions[i].reason;
            return (int)i;
        }
    return -1;
}

const char *process_role_names(void)
{
    return "applicant, public, county_bureau, county_government, city_bureau, "
           "province_department, expert, system";
}

const char *process_decision_names(void)
{
    return "submit, withdraw, assign, open, consent, approve, recommend, return, reject, file, "
           "pass, fail, revoke, rate, commend, criticise";
}

/* ---- references -------------------------------------------------------- */

static int s_state_ref(wf_draft_t *draft, const char *code, const char *field, int line,
                       const char *what)
{
    int index = process_state_index(draft->process, code);
    if (index < 0)
        process_note(draft, KC_ERR_INPUT, field, line, "%s '%s' is not a state of this process",
                     what, code);
    return index;
}

/* except = a, b: the states a from = * transition may not be taken from
 * (withdrawal under rectification: the seed's 取消资格 must not be escaped). */
static void s_resolve_except(wf_draft_t *draft, size_t i)
{
    wf_transition_t *t = &draft->process->transitions[i];
    const wf_mark_t *mark = &draft->transition_marks[i];
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "transition.%s.except", t->code);
    int line = process_key_line(mark, true, "except");
    if (strcmp(draft->from[i], "*") != 0)
        process_note(draft, KC_ERR_INPUT, field, line,
                     "except is given with from = * only ('%s' is taken from '%s')", t->code,
                     draft->from[i]);
    const char *at = t->except;
    while (*at) {
        at += strspn(at, " \t,");
        size_t n = strcspn(at, ", \t");
        if (n == 0)
            break;
        char code[WF_CODE_MAX];
        snprintf(code, sizeof code, "%.*s", (int)(n < sizeof code ? n : sizeof code - 1), at);
        int state = s_state_ref(draft, code, field, line, "except");
        if (state >= 0)
            t->except_states |= 1u << state;
        at += n;
    }
}

static void s_resolve_transition(wf_draft_t *draft, size_t i)
{
    wf_transition_t *t = &draft->process->transitions[i];
    const wf_mark_t *mark = &draft->transition_marks[i];
    char field[KC_ERROR_FIELD_MAX];
    if (process_key_valid(mark, true, "from")) {
        snprintf(field, sizeof field, "transition.%s.from", t->code);
        t->from_any = strcmp(draft->from[i], "*") == 0;
        if (!t->from_any)
            t->from = s_state_ref(draft, draft->from[i], field,
                                  process_key_line(mark, true, "from"), "from");
    }
    if (process_key_valid(mark, true, "except"))
        s_resolve_except(draft, i);
    if (process_key_valid(mark, true, "to")) {
        snprintf(field, sizeof field, "transition.%s.to", t->code);
        t->to_earlier = strcmp(draft->to[i], "earlier") == 0;
        if (!t->to_earlier)
            t->to =
                s_state_ref(draft, draft->to[i], field, process_key_line(mark, true, "to"), "to");
    }
}

static void s_resolve(wf_draft_t *draft)
{
    wf_process_t *p = draft->process;
    if (draft->head_found && draft->initial[0]) {
        p->initial = s_state_ref(draft, draft->initial, "process.initial",
                                 draft->head.lines[3] ? draft->head.lines[3] : draft->head.line,
                                 "initial state");
        if (p->initial >= 0 && p->states[p->initial].final)
            process_note(draft, KC_ERR_INPUT, "process.initial", draft->head.line,
                         "the initial state '%s' is final: no application could move",
                         draft->initial);
    }
    for (size_t i = 0; i < p->n_transitions; i++)
        s_resolve_transition(draft, i);
}

/* ---- roles, levels, decisions ------------------------------------------ */

static void s_check_role(wf_draft_t *draft, size_t i)
{
    const wf_transition_t *t = &draft->process->transitions[i];
    const wf_mark_t *mark = &draft->transition_marks[i];
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "transition.%s.role", t->code);
    if (!process_key_valid(mark, true, "role"))
        return;
    int level = process_role_level(t->role);
    int line = process_key_line(mark, true, "role");
    if (level < 0) {
        kc_error_t *error =
            process_note(draft, KC_ERR_INPUT, field, line, "unknown role '%s'", t->role);
        if (error)
            kc_error_hint(error, "known: %s", process_role_names());
    } else if (process_key_valid(mark, true, "level") && level != (int)t->level) {
        kc_error_t *error =
            process_note(draft, KC_ERR_INPUT, field, line,
                         "nobody may take transition '%s': role '%s' acts at level '%s', not '%s'",
                         t->code, t->role, level ? process_level_name((wf_level_t)level) : "none",
                         t->level ? process_level_name(t->level) : "none");
        if (error)
            kc_error_hint(error, "county_bureau and county_government act at county, city_bureau "
                                 "at city, province_department and expert at province, the "
                                 "others at none");
    }
}

static void s_check_decision(wf_draft_t *draft, size_t i)
{
    const wf_transition_t *t = &draft->process->transitions[i];
    const wf_mark_t *mark = &draft->transition_marks[i];
    char field[KC_ERROR_FIELD_MAX];
    bool needs_reason = false;
    if (!process_key_valid(mark, true, "decision"))
        return;
    if (process_decision_find(t->decision, &needs_reason) < 0) {
        snprintf(field, sizeof field, "transition.%s.decision", t->code);
        kc_error_t *error =
            process_note(draft, KC_ERR_INPUT, field, process_key_line(mark, true, "decision"),
                         "unknown decision '%s'", t->decision);
        if (error)
            kc_error_hint(error, "known: %s", process_decision_names());
    } else if (needs_reason && !(t->requires & WF_REQUIRES_REASON) &&
               (process_key_valid(mark, true, "requires") ||
                !process_key_given(mark, true, "requires"))) {
        snprintf(field, sizeof field, "transition.%s.requires", t->code);
        kc_error_t *error = process_note(
            draft, KC_ERR_REQUIRED, field, process_key_line(mark, true, "requires"),
            "decision '%s' of transition '%s' must require a written reason", t->decision, t->code);
        if (error)
            kc_error_hint(error, "add reason to requires: every decision states its reason");
    }
}

/* A step an official takes sits in that official's inbox: the state it is
 * taken from must be at the transition's level (applicant, public and
 * system steps excepted: they have no level). */
static void s_check_inbox(wf_draft_t *draft, size_t i)
{
    const wf_process_t *p = draft->process;
    const wf_transition_t *t = &p->transitions[i];
    if (t->from < 0 || t->level == WF_LEVEL_NONE || p->states[t->from].level == t->level ||
        !process_key_valid(&draft->transition_marks[i], true, "level"))
        return;
    const wf_state_t *from = &p->states[t->from];
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "transition.%s.level", t->code);
    process_note(draft, KC_ERR_INPUT, field,
                 process_key_line(&draft->transition_marks[i], true, "level"),
                 "nobody may take transition '%s': it acts at level '%s' but state '%s' waits "
                 "at level '%s'",
                 t->code, process_level_name(t->level), from->code,
                 from->level ? process_level_name(from->level) : "none");
}

/* ---- timers ------------------------------------------------------------ */

/* A timed state: `amount` > 0 (working days of a notice, or calendar
 * days) names in `end_key` the system transition taken from that very
 * state when the time is up. */
static void s_check_one_timer(wf_draft_t *draft, size_t s, const char *amount_key, int amount,
                              const char *end_key, const char *end_code)
{
    const wf_process_t *p = draft->process;
    const wf_state_t *state = &p->states[s];
    const wf_mark_t *mark = &draft->state_marks[s];
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "state.%s.%s", state->code, end_key);
    int line = process_key_line(mark, false, end_key);
    bool has_end = process_key_valid(mark, false, end_key);
    if (amount > 0 && state->final)
        process_note(draft, KC_ERR_INPUT, field, line, "final state '%s' cannot hold a %s",
                     state->code, amount_key);
    if (amount > 0 && !process_key_given(mark, false, end_key))
        process_note(draft, KC_ERR_REQUIRED, field, line,
                     "state '%s' has %s = %d but no %s says what happens when the time is up",
                     state->code, amount_key, amount, end_key);
    if (amount == 0 && has_end)
        process_note(draft, KC_ERR_INPUT, field, line, "state '%s' has %s but no %s", state->code,
                     end_key, amount_key);
    if (amount == 0 || !has_end)
        return;
    int t = process_transition_index(p, end_code);
    if (t < 0) {
        process_note(draft, KC_ERR_INPUT, field, line,
                     "%s '%s' is not a transition of this process", end_key, end_code);
        return;
    }
    const wf_transition_t *end = &p->transitions[t];
    if (end->from_any || end->from != (int)s)
        process_note(draft, KC_ERR_INPUT, field, line,
                     "%s '%s' is not taken from state '%s' (its from is '%s')", end_key, end->code,
                     state->code, draft->from[t]);
    if (strcmp(end->role, "system") != 0)
        process_note(draft, KC_ERR_INPUT, field, line,
                     "%s '%s' is taken by role '%s', not by 'system'", end_key, end->code,
                     end->role);
}

/* A period starts when some transition with starts_period enters the
 * state; without one it would never start. */
static void s_check_period(wf_draft_t *draft, size_t s)
{
    const wf_process_t *p = draft->process;
    if (p->states[s].period_days <= 0)
        return;
    for (size_t i = 0; i < p->n_transitions; i++)
        if (p->transitions[i].starts_period && p->transitions[i].to == (int)s)
            return;
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "state.%s.period_days", p->states[s].code);
    process_note(draft, KC_ERR_INPUT, field,
                 process_key_line(&draft->state_marks[s], false, "period_days"),
                 "state '%s' has a period but no transition into it has starts_period = true",
                 p->states[s].code);
}

static void s_check_timer(wf_draft_t *draft, size_t s)
{
    const wf_state_t *state = &draft->process->states[s];
    s_check_one_timer(draft, s, "notice_working_days", state->notice_working_days, "on_notice_end",
                      state->on_notice_end);
    s_check_one_timer(draft, s, "timer_days", state->timer_days, "on_timer", state->on_timer);
    /* where an upheld objection sends the application ("公示无异议后，
     * 备案", so never into filing); without it the notice waits, held,
     * for the level that holds it to act */
    if (process_key_given(&draft->state_marks[s], false, "on_objection_upheld"))
        s_check_one_timer(draft, s, "notice_working_days", state->notice_working_days,
                          "on_objection_upheld", state->on_objection_upheld);
    s_check_one_timer(draft, s, "period_days", state->period_days, "on_period_end",
                      state->on_period_end);
    s_check_period(draft, s);
    if (state->notice_working_days > 0 && state->timer_days > 0)
        process_note(draft, KC_ERR_INPUT, NULL, draft->state_marks[s].line,
                     "state '%s' holds both a notice and a timer: give each its own state",
                     state->code);
    if (state->deadline_working_days > 0 && state->final) {
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "state.%s.deadline_working_days", state->code);
        process_note(draft, KC_ERR_INPUT, field,
                     process_key_line(&draft->state_marks[s], false, "deadline_working_days"),
                     "final state '%s' cannot have a deadline", state->code);
    }
}

/* A system transition happens only when a timer takes it. */
static void s_check_system(wf_draft_t *draft, size_t i)
{
    const wf_process_t *p = draft->process;
    const wf_transition_t *t = &p->transitions[i];
    if (strcmp(t->role, "system") != 0)
        return;
    for (size_t s = 0; s < p->n_states; s++)
        if ((p->states[s].notice_working_days > 0 &&
             strcmp(p->states[s].on_notice_end, t->code) == 0) ||
            (p->states[s].timer_days > 0 && strcmp(p->states[s].on_timer, t->code) == 0) ||
            (p->states[s].notice_working_days > 0 &&
             strcmp(p->states[s].on_objection_upheld, t->code) == 0) ||
            (p->states[s].period_days > 0 && strcmp(p->states[s].on_period_end, t->code) == 0))
            return;
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "transition.%s.role", t->code);
    process_note(draft, KC_ERR_INPUT, field,
                 process_key_line(&draft->transition_marks[i], true, "role"),
                 "nobody may take transition '%s': role 'system' acts only when a notice "
                 "closes or a timer runs out, and no state's on_notice_end or on_timer names it"
                 " (nor on_objection_upheld, on_period_end)",
                 t->code);
}

/* ---- expert panels ----------------------------------------------------- */

/* A panel needs its size, field, rule and criteria worth 100 points; a
 * step that needs scores is taken where a panel sits; min_score needs
 * scores. */
static void s_check_panel(wf_draft_t *draft)
{
    const wf_process_t *p = draft->process;
    int line = draft->head.line;
    bool any_panel = false;
    for (size_t s = 0; s < p->n_states; s++) {
        any_panel = any_panel || p->states[s].panel;
        if (p->states[s].panel && p->states[s].final)
            process_note(draft, KC_ERR_INPUT, "state.panel", draft->state_marks[s].line,
                         "final state '%s' cannot hold a panel", p->states[s].code);
    }
    if (any_panel && p->panel_size < 3)
        process_note(draft, KC_ERR_REQUIRED, "process.panel_size", line,
                     "a state holds an expert panel but panel_size is %d (at least 3)",
                     p->panel_size);
    if (!any_panel && (p->panel_size > 0 || p->n_criteria > 0))
        process_note(draft, KC_ERR_INPUT, "process.panel_size", line,
                     "panel_size or criteria are given but no state has panel = true");
    if (any_panel && !p->panel_field[0])
        process_note(draft, KC_ERR_REQUIRED, "process.panel_field", line,
                     "a panel needs the experts' field it is drawn from");
    if (any_panel && strcmp(p->panel_aggregation, "mean") != 0 &&
        strcmp(p->panel_aggregation, "trimmed_mean") != 0)
        process_note(draft, KC_ERR_INVALID_FORMAT, "process.panel_aggregation", line,
                     "panel_aggregation '%s' is not mean or trimmed_mean", p->panel_aggregation);
    /* a province, not a city or county: the programme's applications come
     * from its divisions (kc-intake checks them against programme_scope) */
    if (p->province[0] && (strlen(p->province) != 6 || strspn(p->province, "0123456789") != 6 ||
                           strcmp(p->province + 2, "0000") != 0))
        process_note(draft, KC_ERR_INVALID_FORMAT, "process.province", line,
                     "province '%s' is not a six-digit province code (e.g. 130000)", p->province);
    int points = 0;
    for (size_t c = 0; c < p->n_criteria; c++)
        points += p->criteria[c].points;
    if (any_panel && points != 100)
        process_note(draft, KC_ERR_INPUT, "criterion", line,
                     "the criteria's points add up to %d, not 100", points);
    for (size_t i = 0; i < p->n_transitions; i++) {
        const wf_transition_t *t = &p->transitions[i];
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "transition.%s.requires", t->code);
        int at = process_key_line(&draft->transition_marks[i], true, "requires");
        if ((t->requires & WF_REQUIRES_SCORES) &&
            (t->from_any || t->from < 0 || !p->states[t->from].panel))
            process_note(draft, KC_ERR_INPUT, field, at,
                         "'%s' requires scores but is not taken from a state with panel = true",
                         t->code);
        if (t->min_score > 0 && !(t->requires & WF_REQUIRES_SCORES))
            process_note(draft, KC_ERR_INPUT, field, at,
                         "'%s' has min_score %d but does not require scores", t->code,
                         t->min_score);
    }
}

/* ---- the graph --------------------------------------------------------- */

/* Follow `to` from the initial state; a "*" transition reaches its `to`
 * from any reachable non-final state; returns to "earlier" go back to
 * states already reached, so they reach nothing new. */
static void s_reach(const wf_process_t *p, bool *reached)
{
    memset(reached, 0, p->n_states * sizeof *reached);
    if (p->initial < 0)
        return;
    reached[p->initial] = true;
    for (bool grew = true; grew;) {
        grew = false;
        bool open = false; /* some reached state is not final */
        for (size_t s = 0; s < p->n_states; s++)
            open = open || (reached[s] && !p->states[s].final);
        for (size_t i = 0; i < p->n_transitions; i++) {
            const wf_transition_t *t = &p->transitions[i];
            bool taken = t->from_any ? open : (t->from >= 0 && reached[t->from]);
            if (taken && t->to >= 0 && !reached[t->to]) {
                reached[t->to] = true;
                grew = true;
            }
        }
    }
}

static void s_check_graph(wf_draft_t *draft)
{
    const wf_process_t *p = draft->process;
    bool reached[WF_MAX_STATES];
    s_reach(p, reached);
    for (size_t s = 0; s < p->n_states; s++) {
        const wf_state_t *state = &p->states[s];
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "state.%s", state->code);
        int line = draft->state_marks[s].line;
        if (p->initial >= 0 && !reached[s])
            process_note(draft, KC_ERR_INPUT, field, line,
                         "state '%s' is unreachable from the initial state '%s'", state->code,
                         p->states[p->initial].code);
        size_t out = 0;
        for (size_t i = 0; i < p->n_transitions; i++)
            out += p->transitions[i].from == (int)s;
        if (state->final && out > 0)
            process_note(draft, KC_ERR_INPUT, field, line,
                         "final state '%s' has %zu transition(s) out", state->code, out);
        else if (!state->final && out == 0)
            process_note(draft, KC_ERR_INPUT, field, line,
                         "state '%s' is a dead end: it is not final and no transition leaves it "
                         "(a '*' escape such as withdraw does not count)",
                         state->code);
    }
}

/* The goal a programme counts (progress): a known state, and a yearly
 * quota only within the years its target spans. Without a goal_state a
 * definition stored before it existed counts its `file` decisions. */
static void s_check_goal(wf_draft_t *draft)
{
    const wf_process_t *p = draft->process;
    if (*p->goal_state && process_state_index(p, p->goal_state) < 0)
        process_note(draft, KC_ERR_INPUT, "process.goal_state", 0,
                     "goal_state '%s' is not a state of the process", p->goal_state);
    if (p->quota_per_year > 0 &&
        (p->quota_from <= 0 || p->target_year <= 0 || p->quota_from > p->target_year))
        process_note(draft, KC_ERR_INPUT, "process.quota_from", 0,
                     "quota_per_year needs quota_from, the first year, and target_year, the "
                     "last, with quota_from <= target_year (quota_from %d)",
                     p->quota_from);
}

int process_check(wf_draft_t *draft)
{
    size_t before = draft->errors->total;
    wf_process_t *p = draft->process;
    s_resolve(draft);
    for (size_t i = 0; i < p->n_transitions; i++) {
        s_check_role(draft, i);
        s_check_decision(draft, i);
        s_check_inbox(draft, i);
        s_check_system(draft, i);
    }
    for (size_t s = 0; s < p->n_states; s++)
        s_check_timer(draft, s);
    s_check_panel(draft);
    s_check_goal(draft);
    if (p->n_states == 0)
        process_note(draft, KC_ERR_REQUIRED, "state", 0, "the process has no [state.<code>]");
    else
        s_check_graph(draft);
    return draft->errors->total > before ? -1 : 0;
}
