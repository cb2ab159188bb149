/*  process: reading a process definition (deploy/workflow/README.md).
 *
 *  The file is INI, read by libinih, in three kinds of section: [process]
 *  once, [state.<code>] and [transition.<code>]. Each kind has a table of
 *  its keys (type, where the value goes, whether it is required), so the
 *  format reads here as data and every key is checked the same way, as
 *  the scoring methodology files are (services/scoring/methodology.c).
 *
 *  A definition decides who may act on whose application, so nothing is
 *  silently ignored: an unknown section or key, a key given twice, a line
 *  libinih would cut (it reads at most 199 bytes a line) or an indented
 *  line it would glue to the previous value are all errors. A pre-scan of
 *  the lines, with libinih's own rules, finds those, opens every section
 *  in file order with its line number and remembers the line of every
 *  key, so each error says where it is. Every problem is collected; the
 *  whole-definition rules are in process_check.c.
 */
#include "process/process.h"

#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_check.h"
#include "kc/kc_ini_scan.h"
#include "process/process_internal.h"

typedef enum {
    K_TEXT,     /* UTF-8 text (names, titles) */
    K_CODE,     /* a code of [a-z0-9_-] */
    K_LEVEL,    /* none, county, city, province into wf_level_t */
    K_FLAG,     /* true / false */
    K_INT,      /* a whole number from 0 to the key's max */
    K_REQUIRES, /* comma list of reason, attestation, scores, no_objection */
    K_INITIAL,  /* a state code, resolved by process_check.c */
    K_FROM,     /* a state code or "*" */
    K_TO,       /* a state code or "earlier" */
} s_type_t;

typedef struct {
    const char *key;
    s_type_t type;
    size_t offset; /* of the field in its record */
    size_t size;   /* K_TEXT, K_CODE: size of the array */
    bool required; /* must be given */
    int max;       /* K_INT: the largest value allowed */
} s_key_t;

#define S_FIELD(type, field) offsetof(type, field), sizeof(((type *)0)->field)
#define S_NONE               0, 0

static const s_key_t s_head_keys[] = {
    {"code", K_CODE, S_FIELD(wf_process_t, code), true, 0},
    {"programme", K_CODE, S_FIELD(wf_process_t, programme), true, 0},
    {"title", K_TEXT, S_FIELD(wf_process_t, title_zh), true, 0},
    {"province", K_CODE, S_FIELD(wf_process_t, province), false, 0},
    {"initial", K_INITIAL, S_NONE, true, 0},
    {"panel_size", K_INT, S_FIELD(wf_process_t, panel_size), false, WF_PANEL_MAX},
    {"panel_field", K_CODE, S_FIELD(wf_process_t, panel_field), false, 0},
    {"panel_aggregation", K_CODE, S_FIELD(wf_process_t, panel_aggregation), false, 0},
    {"panel_disagreement", K_INT, S_FIELD(wf_process_t, panel_disagreement), false, 100},
    {"target_count", K_INT, S_FIELD(wf_process_t, target_count), false, 100000},
    {"target_year", K_INT, S_FIELD(wf_process_t, target_year), false, 2100},
    {"goal_state", K_CODE, S_FIELD(wf_process_t, goal_state), false, 0},
    {"quota_per_year", K_INT, S_FIELD(wf_process_t, quota_per_year), false, 100000},
    {"quota_from", K_INT, S_FIELD(wf_process_t, quota_from), false, 2100},
    {NULL, K_TEXT, S_NONE, false, 0},
};

static const s_key_t s_criterion_keys[] = {
    {"name", K_TEXT, S_FIELD(wf_criterion_t, name_zh), true, 0},
    {"points", K_INT, S_FIELD(wf_criterion_t, points), true, 100},
    {NULL, K_TEXT, S_NONE, false, 0},
};

static const s_key_t s_state_keys[] = {
    {"name", K_TEXT, S_FIELD(wf_state_t, name_zh), true, 0},
    {"level", K_LEVEL, S_FIELD(wf_state_t, level), true, 0},
    {"final", K_FLAG, S_FIELD(wf_state_t, final), false, 0},
    {"notice_working_days", K_INT, S_FIELD(wf_state_t, notice_working_days), false, 60},
    {"on_notice_end", K_CODE, S_FIELD(wf_state_t, on_notice_end), false, 0},
    {"panel", K_FLAG, S_FIELD(wf_state_t, panel), false, 0},
    {"deadline_working_days", K_INT, S_FIELD(wf_state_t, deadline_working_days), false, 60},
    {"timer_days", K_INT, S_FIELD(wf_state_t, timer_days), false, 1100},
    {"on_timer", K_CODE, S_FIELD(wf_state_t, on_timer), false, 0},
    {"on_objection_upheld", K_CODE, S_FIELD(wf_state_t, on_objection_upheld), false, 0},
    {"period_days", K_INT, S_FIELD(wf_state_t, period_days), false, 4000},
    {"on_period_end", K_CODE, S_FIELD(wf_state_t, on_period_end), false, 0},
    {NULL, K_TEXT, S_NONE, false, 0},
};

static const s_key_t s_transition_keys[] = {
    {"name", K_TEXT, S_FIELD(wf_transition_t, name_zh), true, 0},
    {"from", K_FROM, S_NONE, true, 0},
    {"to", K_TO, S_NONE, true, 0},
    {"role", K_CODE, S_FIELD(wf_transition_t, role), true, 0},
    {"level", K_LEVEL, S_FIELD(wf_transition_t, level), true, 0},
    {"decision", K_CODE, S_FIELD(wf_transition_t, decision), true, 0},
    {"requires", K_REQUIRES, S_FIELD(wf_transition_t, requires), false, 0},
    {"min_score", K_INT, S_FIELD(wf_transition_t, min_score), false, 100},
    {"except", K_TEXT, S_FIELD(wf_transition_t, except), false, 0},
    {"starts_period", K_FLAG, S_FIELD(wf_transition_t, starts_period), false, 0},
    {NULL, K_TEXT, S_NONE, false, 0},
};

static const char *const s_level_names[] = {"none", "county", "city", "province", NULL};
static const char *const s_requirement_names[] = {"reason", "attestation", "scores", "no_objection",
                                                  NULL};

typedef enum { S_HEAD, S_STATE, S_TRANSITION, S_CRITERION, S_UNKNOWN } s_kind_t;

/* What a [section] name points at once resolved. */
typedef struct {
    s_kind_t kind;
    size_t index;        /* state or transition index */
    const s_key_t *keys; /* the section's key table */
    void *record;        /* where its values go */
    wf_mark_t *mark;     /* its line and the keys seen */
} s_target_t;

kc_error_t *process_note(wf_draft_t *draft, kc_error_code_t code, const char *field, int line,
                         const char *fmt, ...)
{
    char message[KC_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    kc_error_t *error = kc_errors_add(draft->errors, code, field, "%s", message);
    if (error && line > 0)
        kc_error_detail(error, "line %d", line);
    return error;
}

bool process_code_valid(const char *code, size_t size)
{
    size_t n = strlen(code);
    if (n == 0 || n >= size)
        return false;
    return strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static void s_list_keys(const s_key_t *keys, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; keys[i].key && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", keys[i].key);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

static int s_choice(const char *const *names, const char *value)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], value) == 0)
            return i;
    return -1;
}

/* ---- one value --------------------------------------------------------- */

static int s_store_text(wf_draft_t *draft, const s_key_t *key, char *target, const char *value,
                        const char *field, int line)
{
    size_t length = strlen(value);
    if (kc_utf8_length(value) < 0)
        process_note(draft, KC_ERR_INVALID_UTF8, field, line, "'%s' is not valid UTF-8", key->key);
    else if (length >= key->size)
        process_note(draft, KC_ERR_TOO_LONG, field, line, "'%s' is %zu bytes, at most %zu",
                     key->key, length, key->size - 1);
    else if (length == 0)
        process_note(draft, KC_ERR_REQUIRED, field, line, "'%s' is empty", key->key);
    else if (key->type == K_CODE && !process_code_valid(value, key->size))
        process_note(draft, KC_ERR_INVALID_FORMAT, field, line,
                     "%s '%s' is not a code of a-z, 0-9, '_' and '-'", key->key, value);
    else {
        memcpy(target, value, length + 1);
        return 0;
    }
    return -1;
}

/* initial, from, to: a code (or "*", "earlier") kept as written. */
static int s_store_reference(wf_draft_t *draft, const s_key_t *key, char *target, const char *value,
                             const char *field, int line)
{
    bool special = (key->type == K_FROM && strcmp(value, "*") == 0) ||
                   (key->type == K_TO && strcmp(value, "earlier") == 0);
    if (!special && !process_code_valid(value, WF_CODE_MAX)) {
        kc_error_t *error = process_note(draft, KC_ERR_INVALID_FORMAT, field, line,
                                         "%s '%s' is not a state code", key->key, value);
        if (error && key->type != K_INITIAL)
            kc_error_hint(error, "a state code%s",
                          key->type == K_FROM ? ", or * for every non-final state"
                                              : ", or earlier for a return");
        return -1;
    }
    memcpy(target, value, strlen(value) + 1);
    return 0;
}

static int s_store_requires(wf_draft_t *draft, unsigned *target, const char *value,
                            const char *field, int line)
{
    unsigned bits = 0;
    int rc = 0;
    const char *at = value;
    while (*at) {
        at += strspn(at, " \t");
        size_t n = strcspn(at, ", \t");
        char word[32];
        snprintf(word, sizeof word, "%.*s", (int)n, at);
        int index = n < sizeof word ? s_choice(s_requirement_names, word) : -1;
        if (n > 0 && index < 0) {
            kc_error_t *error = process_note(draft, KC_ERR_INVALID_FORMAT, field, line,
                                             "unknown requirement '%s'", word);
            if (error)
                kc_error_hint(error, "known: reason, attestation, scores, no_objection");
            rc = -1;
        } else if (n > 0)
            bits |= 1u << index;
        at += n;
        at += strspn(at, " \t");
        if (*at == ',')
            at++;
    }
    *target = bits;
    return rc;
}

static int s_store_number(wf_draft_t *draft, const s_key_t *key, char *target, const char *value,
                          const char *field, int line)
{
    if (key->type == K_FLAG || key->type == K_LEVEL) {
        const char *const flags[] = {"false", "true", NULL};
        int index = s_choice(key->type == K_FLAG ? flags : s_level_names, value);
        if (index >= 0 && key->type == K_FLAG) {
            bool flag = index == 1;
            memcpy(target, &flag, sizeof flag);
            return 0;
        }
        if (index >= 0) {
            wf_level_t level = (wf_level_t)index;
            memcpy(target, &level, sizeof level);
            return 0;
        }
        kc_error_t *error = process_note(draft, KC_ERR_INVALID_FORMAT, field, line,
                                         "unknown %s '%s'", key->key, value);
        if (error)
            kc_error_hint(error, "known: %s",
                          key->type == K_FLAG ? "true, false" : "none, county, city, province");
        return -1;
    }
    char *end = NULL;
    long number = strtol(value, &end, 10);
    if (!*value || *end || value[0] < '0' || value[0] > '9' || number > key->max) {
        process_note(draft, KC_ERR_OUT_OF_RANGE, field, line,
                     "%s '%s' is not a whole number from 0 to %d", key->key, value, key->max);
        return -1;
    }
    int whole = (int)number;
    memcpy(target, &whole, sizeof whole);
    return 0;
}

static int s_store(wf_draft_t *draft, const s_key_t *key, const s_target_t *target,
                   const char *value, const char *field, int line)
{
    char *at = (char *)target->record + key->offset;
    switch (key->type) {
    case K_TEXT:
    case K_CODE:
        return s_store_text(draft, key, at, value, field, line);
    case K_LEVEL:
    case K_FLAG:
    case K_INT:
        return s_store_number(draft, key, at, value, field, line);
    case K_REQUIRES:
        return s_store_requires(draft, (unsigned *)(void *)at, value, field, line);
    case K_INITIAL:
        return s_store_reference(draft, key, draft->initial, value, field, line);
    case K_FROM:
        return s_store_reference(draft, key, draft->from[target->index], value, field, line);
    case K_TO:
        return s_store_reference(draft, key, draft->to[target->index], value, field, line);
    }
    return -1;
}

/* ---- sections ---------------------------------------------------------- */

static s_kind_t s_section_kind(const char *section, const char **code)
{
    *code = "";
    if (strcmp(section, "process") == 0)
        return S_HEAD;
    if (strncmp(section, "state.", 6) == 0) {
        *code = section + 6;
        return S_STATE;
    }
    if (strncmp(section, "transition.", 11) == 0) {
        *code = section + 11;
        return S_TRANSITION;
    }
    if (strncmp(section, "criterion.", 10) == 0) {
        *code = section + 10;
        return S_CRITERION;
    }
    return S_UNKNOWN;
}

/* An opened section by its name: 0 with where its values go, or -1. */
static int s_section_find(wf_draft_t *draft, const char *section, s_target_t *target)
{
    wf_process_t *p = draft->process;
    const char *code;
    target->kind = s_section_kind(section, &code);
    if (target->kind == S_HEAD && draft->head_found) {
        *target = (s_target_t){S_HEAD, 0, s_head_keys, p, &draft->head};
        return 0;
    }
    if (target->kind == S_STATE) {
        int i = process_state_index(p, code);
        if (i >= 0) {
            *target = (s_target_t){S_STATE, (size_t)i, s_state_keys, &p->states[i],
                                   &draft->state_marks[i]};
            return 0;
        }
    }
    if (target->kind == S_TRANSITION) {
        int i = process_transition_index(p, code);
        if (i >= 0) {
            *target = (s_target_t){S_TRANSITION, (size_t)i, s_transition_keys, &p->transitions[i],
                                   &draft->transition_marks[i]};
            return 0;
        }
    }
    if (target->kind == S_CRITERION) {
        for (size_t i = 0; i < p->n_criteria; i++)
            if (strcmp(p->criteria[i].code, code) == 0) {
                *target = (s_target_t){S_CRITERION, i, s_criterion_keys, &p->criteria[i],
                                       &draft->criterion_marks[i]};
                return 0;
            }
    }
    return -1;
}

/* Give a newly met [state.x] or [transition.x] its record. */
static void s_append(wf_draft_t *draft, s_kind_t kind, const char *code, const char *section,
                     int line)
{
    wf_process_t *p = draft->process;
    if (kind == S_CRITERION) {
        if (p->n_criteria == WF_MAX_CRITERIA) {
            process_note(draft, KC_ERR_OUT_OF_RANGE, section, line, "more than %d criteria",
                         WF_MAX_CRITERIA);
            return;
        }
        draft->criterion_marks[p->n_criteria].line = line;
        snprintf(p->criteria[p->n_criteria++].code, WF_CODE_MAX, "%s", code);
        return;
    }
    bool state = kind == S_STATE;
    size_t *count = state ? &p->n_states : &p->n_transitions;
    size_t max = state ? WF_MAX_STATES : WF_MAX_TRANSITIONS;
    if (*count == max) {
        process_note(draft, KC_ERR_OUT_OF_RANGE, section, line, "more than %zu %s", max,
                     state ? "states" : "transitions");
        return;
    }
    size_t i = (*count)++;
    if (state) {
        draft->state_marks[i].line = line;
        snprintf(p->states[i].code, WF_CODE_MAX, "%s", code);
        return;
    }
    draft->transition_marks[i].line = line;
    snprintf(p->transitions[i].code, WF_CODE_MAX, "%s", code);
    p->transitions[i].from = -1;
    p->transitions[i].to = -1;
}

static void s_open(wf_draft_t *draft, const char *section, int line)
{
    const char *code;
    s_kind_t kind = s_section_kind(section, &code);
    s_target_t found;
    if (kind == S_UNKNOWN) {
        kc_error_t *error =
            process_note(draft, KC_ERR_INPUT, section, line, "unknown section [%s]", section);
        if (error)
            kc_error_hint(error, "sections are [process], [state.<code>], [transition.<code>] "
                                 "and [criterion.<code>]");
    } else if (s_section_find(draft, section, &found) == 0) {
        process_note(draft, KC_ERR_INPUT, section, line,
                     "section [%s] appears twice (first at line %d)", section, found.mark->line);
    } else if (kind == S_HEAD) {
        draft->head_found = true;
        draft->head.line = line;
    } else if (!process_code_valid(code, WF_CODE_MAX)) {
        process_note(draft, KC_ERR_INVALID_FORMAT, section, line,
                     "code '%s' of [%s] is not 1 to %d characters of a-z, 0-9, '_' and '-'", code,
                     section, WF_CODE_MAX - 1);
    } else if (kind == S_STATE && strcmp(code, "earlier") == 0) {
        process_note(draft, KC_ERR_INVALID_FORMAT, section, line,
                     "'earlier' is reserved for returns and cannot name a state");
    } else {
        s_append(draft, kind, code, section, line);
    }
}

/* ---- key = value pairs ------------------------------------------------- */

static int s_on_entry(void *user, const char *section, const char *name, const char *value)
{
    wf_draft_t *draft = user;
    int line = draft->lines_known && draft->next_key < draft->n_key_lines
                   ? draft->key_lines[draft->next_key]
                   : 0;
    draft->next_key++;
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "%s%s%s", section, *section ? "." : "", name);
    s_target_t target;
    if (!*section) {
        process_note(draft, KC_ERR_INPUT, field, line, "key '%s' is outside any section", name);
        return 1;
    }
    if (s_section_find(draft, section, &target))
        return 1; /* the section itself is already reported */
    int index = 0;
    while (target.keys[index].key && strcmp(target.keys[index].key, name) != 0)
        index++;
    if (!target.keys[index].key) {
        char known[KC_ERROR_HINT_MAX - 16];
        s_list_keys(target.keys, known, sizeof known);
        kc_error_t *error = process_note(draft, KC_ERR_INPUT, field, line,
                                         "unknown key '%s' in [%s]", name, section);
        if (error)
            kc_error_hint(error, "known keys: %s", known);
        return 1;
    }
    uint32_t bit = 1u << index;
    if (target.mark->seen & bit) {
        process_note(draft, KC_ERR_INPUT, field, line, "key '%s' is given twice in [%s]", name,
                     section);
        return 1;
    }
    target.mark->seen |= bit;
    if (index < WF_MARK_LINES)
        target.mark->lines[index] = line;
    if (s_store(draft, &target.keys[index], &target, value, field, line) == 0)
        target.mark->valid |= bit;
    return 1;
}

/* ---- pre-scan ---------------------------------------------------------- */

static void s_on_section(void *context, const char *section, int line)
{
    s_open(context, section, line);
}

/* Keys past WF_KEY_LINES_MAX are located by their field only. */
static void s_on_key(void *context, int line)
{
    wf_draft_t *draft = context;
    if (draft->n_key_lines < WF_KEY_LINES_MAX)
        draft->key_lines[draft->n_key_lines++] = line;
}

/* 0 when libinih will see the same structure as this scan did. */
static int s_scan(wf_draft_t *draft, const char *text, size_t size)
{
    kc_ini_visitor_t visitor = {draft, s_on_section, s_on_key};
    return kc_ini_scan(text, size, draft->errors, &visitor);
}

/* ---- after reading ----------------------------------------------------- */

static void s_check_required(wf_draft_t *draft, const s_key_t *keys, const wf_mark_t *mark,
                             const char *section)
{
    for (int i = 0; keys[i].key; i++) {
        if (!keys[i].required || (mark->seen & (1u << i)))
            continue;
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "%s.%s", section, keys[i].key);
        process_note(draft, KC_ERR_REQUIRED, field, mark->line, "missing key '%s' in [%s]",
                     keys[i].key, section);
    }
}

static void s_check_sections(wf_draft_t *draft)
{
    wf_process_t *p = draft->process;
    char section[KC_ERROR_FIELD_MAX];
    if (!draft->head_found)
        process_note(draft, KC_ERR_REQUIRED, "process", 0, "no [process] section");
    else
        s_check_required(draft, s_head_keys, &draft->head, "process");
    for (size_t i = 0; i < p->n_states; i++) {
        snprintf(section, sizeof section, "state.%s", p->states[i].code);
        s_check_required(draft, s_state_keys, &draft->state_marks[i], section);
    }
    for (size_t i = 0; i < p->n_transitions; i++) {
        snprintf(section, sizeof section, "transition.%s", p->transitions[i].code);
        s_check_required(draft, s_transition_keys, &draft->transition_marks[i], section);
    }
    for (size_t i = 0; i < p->n_criteria; i++) {
        snprintf(section, sizeof section, "criterion.%s", p->criteria[i].code);
        s_check_required(draft, s_criterion_keys, &draft->criterion_marks[i], section);
    }
}

bool process_key_valid(const wf_mark_t *mark, bool transition, const char *key)
{
    const s_key_t *keys = transition ? s_transition_keys : s_state_keys;
    for (int i = 0; keys[i].key; i++)
        if (strcmp(keys[i].key, key) == 0)
            return (mark->valid & (1u << i)) != 0;
    return false;
}

bool process_key_given(const wf_mark_t *mark, bool transition, const char *key)
{
    const s_key_t *keys = transition ? s_transition_keys : s_state_keys;
    for (int i = 0; keys[i].key; i++)
        if (strcmp(keys[i].key, key) == 0)
            return (mark->seen & (1u << i)) != 0;
    return false;
}

int process_key_line(const wf_mark_t *mark, bool transition, const char *key)
{
    const s_key_t *keys = transition ? s_transition_keys : s_state_keys;
    for (int i = 0; keys[i].key && i < WF_MARK_LINES; i++)
        if (strcmp(keys[i].key, key) == 0 && mark->lines[i] > 0)
            return mark->lines[i];
    return mark->line;
}

/* Pre-scan, then libinih over a NUL-terminated copy, then required keys.
 * -1 when the text could not be read at all (whole-definition checks
 * would then only repeat that). */
static int s_read(wf_draft_t *draft, const char *text, size_t size)
{
    draft->lines_known = s_scan(draft, text, size) == 0;
    for (size_t i = draft->errors_at_start; i < draft->errors->kept; i++)
        if (draft->errors->items[i].code == KC_ERR_TOO_LONG && !draft->errors->items[i].field[0])
            return -1; /* libinih would cut those lines and read their tails as keys */
    char *copy = malloc(size + 1);
    if (!copy)
        abort(); /* out of memory: the project's rule is to stop */
    memcpy(copy, text, size);
    copy[size] = '\0';
    int line = ini_parse_string(copy, s_on_entry, draft);
    free(copy);
    if (line != 0 && draft->lines_known)
        process_note(draft, KC_ERR_INPUT, NULL, line > 0 ? line : 0,
                     "libinih could not read the definition (%d)", line);
    s_check_sections(draft);
    return 0;
}

int process_parse(const char *text, size_t size, wf_process_t *out, kc_errors_t *errors)
{
    memset(out, 0, sizeof *out);
    out->initial = -1;
    wf_draft_t *draft = calloc(1, sizeof *draft);
    if (!draft)
        abort(); /* out of memory: the project's rule is to stop */
    draft->process = out;
    draft->errors = errors;
    draft->errors_at_start = errors->total;
    if (!text || size == 0)
        process_note(draft, KC_ERR_REQUIRED, NULL, 0, "the process definition is empty");
    else if (memchr(text, '\0', size))
        process_note(draft, KC_ERR_INPUT, NULL, 0, "the process definition contains a NUL byte");
    else if (s_read(draft, text, size) == 0)
        process_check(draft);
    bool failed = errors->total > draft->errors_at_start;
    free(draft);
    if (failed) {
        memset(out, 0, sizeof *out);
        out->initial = -1;
        return -1;
    }
    return 0;
}

/* ---- lookups and names ------------------------------------------------- */

int process_state_index(const wf_process_t *self, const char *code)
{
    for (size_t i = 0; i < self->n_states; i++)
        if (strcmp(self->states[i].code, code) == 0)
            return (int)i;
    return -1;
}

bool process_takes_from(const wf_process_t *self, const wf_transition_t *transition, int state)
{
    if (state < 0 || (size_t)state >= self->n_states)
        return false;
    if (transition->from_any)
        return !self->states[state].final && !(transition->except_states & (1u << state));
    return transition->from == state;
}

int process_transition_index(const wf_process_t *self, const char *code)
{
    for (size_t i = 0; i < self->n_transitions; i++)
        if (strcmp(self->transitions[i].code, code) == 0)
            return (int)i;
    return -1;
}

const char *process_level_name(wf_level_t level)
{
    return level > WF_LEVEL_NONE && level <= WF_LEVEL_PROVINCE ? s_level_names[level] : "";
}
