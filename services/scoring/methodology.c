/*  methodology: reading a methodology file (deploy/scoring/README.md).
 *
 *  The file is INI, read by libinih, in four kinds of section:
 *  [methodology] once, [primary.<code>], [indicator.<code>] in report
 *  order, and [input.<code>] for base data that formulas read. Each kind
 *  has a table of its keys (name, type, where the value goes, whether it
 *  is required, which methods it belongs to), so the file format reads
 *  here as data and every key is checked the same way.
 *
 *  The file decides how counties' money is shared, so nothing is silently
 *  ignored: an unknown section or key, a key given twice, a line libinih
 *  would cut (it reads at most 199 bytes a line) or an indented line it
 *  would glue to the previous value are all errors. Before libinih runs,
 *  a pre-scan of the lines (methodology_sections.c) finds those and opens
 *  every [section] in file order with its line number, so errors can say
 *  where they are. Every problem is collected; the caller sees them all.
 *
 *  Whole-file rules (sums, methods, formulas) are in methodology_check.c,
 *  formulas in methodology_formula.c.
 */
#include "scoring/methodology.h"

#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_check.h"
#include "scoring/methodology_internal.h"
#include "scoring/periods.h"

typedef enum {
    S_TEXT,    /* UTF-8 text into a char array of `size` */
    S_POINTS,  /* decimal points into int32_t centipoints */
    S_NUMBER,  /* finite double */
    S_COUNT,   /* int, 1..99 */
    S_FLAG,    /* bool, names[0] = false, names[1] = true */
    S_CHOICE,  /* enum stored as int, index into names */
    S_YEARS,   /* "2017-2025" into first_year, last_year */
    S_PRIMARY, /* the indicator's primary code, resolved later */
} s_type_t;

#define S_METHOD(method) (1u << (method))

typedef struct {
    const char *key;
    s_type_t type;
    size_t offset;            /* of the field in its record */
    size_t size;              /* S_TEXT: size of the array */
    const char *const *names; /* S_FLAG, S_CHOICE */
    bool required;    /* must be given (for `methods` only: when the method is one of them) */
    unsigned methods; /* bit per method this key belongs to; 0: every method */
} s_key_t;

static const char *const s_method_names[] = {"benchmark", "efficacy", "minmax",
                                             "zscore",    "rubric",   NULL};
static const char *const s_missing_names[] = {"carry_forward", "zero", NULL};
static const char *const s_tie_names[] = {"competition", "dense", "modified", NULL};
static const char *const s_total_names[] = {"exact", "rounded_parts", NULL};
static const char *const s_kind_names[] = {"quantitative", "qualitative"};
static const char *const s_direction_names[] = {"negative", "positive"};
static const char *const s_boolean_names[] = {"false", "true"};

#define S_FIELD(type, field) offsetof(type, field), sizeof(((type *)0)->field)
#define S_NONE               0, 0

static const s_key_t s_head_keys[] = {
    {"code", S_TEXT, S_FIELD(sc_methodology_t, code), NULL, true, 0},
    {"framework", S_TEXT, S_FIELD(sc_methodology_t, framework), NULL, true, 0},
    {"title", S_TEXT, S_FIELD(sc_methodology_t, title_zh), NULL, true, 0},
    {"years", S_YEARS, S_NONE, NULL, true, 0},
    {"class_a", S_POINTS, S_FIELD(sc_methodology_t, class_a_centi), NULL, true, 0},
    {"class_b", S_POINTS, S_FIELD(sc_methodology_t, class_b_centi), NULL, true, 0},
    {"tie_rule", S_CHOICE, S_FIELD(sc_methodology_t, tie_rule), s_tie_names, false, 0},
    {"jump_factor", S_NUMBER, S_FIELD(sc_methodology_t, jump_factor), NULL, false, 0},
    {"exclude_zones", S_FLAG, S_FIELD(sc_methodology_t, exclude_zones), s_boolean_names, false, 0},
    {"total_from", S_CHOICE, S_FIELD(sc_methodology_t, total_from), s_total_names, false, 0},
    {"min_coverage", S_NUMBER, S_FIELD(sc_methodology_t, min_coverage), NULL, false, 0},
    {NULL, S_TEXT, S_NONE, NULL, false, 0},
};

static const s_key_t s_primary_keys[] = {
    {"name", S_TEXT, S_FIELD(sc_primary_t, name_zh), NULL, true, 0},
    {"points", S_POINTS, S_FIELD(sc_primary_t, points_centi), NULL, true, 0},
    {NULL, S_TEXT, S_NONE, NULL, false, 0},
};

static const s_key_t s_indicator_keys[] = {
    {"primary", S_PRIMARY, S_NONE, NULL, true, 0},
    {"name", S_TEXT, S_FIELD(sc_indicator_t, name_zh), NULL, true, 0},
    {"unit", S_TEXT, S_FIELD(sc_indicator_t, unit), NULL, true, 0},
    {"kind", S_FLAG, S_FIELD(sc_indicator_t, qualitative), s_kind_names, true, 0},
    {"direction", S_FLAG, S_FIELD(sc_indicator_t, positive), s_direction_names, true, 0},
    {"points", S_POINTS, S_FIELD(sc_indicator_t, points_centi), NULL, true, 0},
    {"method", S_CHOICE, S_FIELD(sc_indicator_t, method), s_method_names, true, 0},
    {"benchmark", S_NUMBER, S_FIELD(sc_indicator_t, benchmark), NULL, true,
     S_METHOD(SC_NORM_BENCHMARK)},
    {"low", S_NUMBER, S_FIELD(sc_indicator_t, x_s), NULL, true, S_METHOD(SC_NORM_EFFICACY)},
    {"high", S_NUMBER, S_FIELD(sc_indicator_t, x_h), NULL, true, S_METHOD(SC_NORM_EFFICACY)},
    {"z_cap", S_NUMBER, S_FIELD(sc_indicator_t, z_cap), NULL, false, S_METHOD(SC_NORM_ZSCORE)},
    {"rubric_max", S_NUMBER, S_FIELD(sc_indicator_t, rubric_max), NULL, false,
     S_METHOD(SC_NORM_RUBRIC)},
    {"min_raters", S_COUNT, S_FIELD(sc_indicator_t, min_raters), NULL, false,
     S_METHOD(SC_NORM_RUBRIC)},
    {"missing", S_CHOICE, S_FIELD(sc_indicator_t, missing), s_missing_names, true, 0},
    {"jump_factor", S_NUMBER, S_FIELD(sc_indicator_t, jump_factor), NULL, false, 0},
    {"provider", S_TEXT, S_FIELD(sc_indicator_t, provider), NULL, true, 0},
    {"published", S_FLAG, S_FIELD(sc_indicator_t, published), s_boolean_names, true, 0},
    {"source", S_TEXT, S_FIELD(sc_indicator_t, source_note), NULL, false, 0},
    {"formula", S_TEXT, S_FIELD(sc_indicator_t, formula.text), NULL, false, 0},
    {NULL, S_TEXT, S_NONE, NULL, false, 0},
};

static const s_key_t s_base_keys[] = {
    {"name", S_TEXT, S_FIELD(sc_base_input_t, name_zh), NULL, true, 0},
    {"unit", S_TEXT, S_FIELD(sc_base_input_t, unit), NULL, true, 0},
    {"provider", S_TEXT, S_FIELD(sc_base_input_t, provider), NULL, true, 0},
    {"source", S_TEXT, S_FIELD(sc_base_input_t, source_note), NULL, false, 0},
    {NULL, S_TEXT, S_NONE, NULL, false, 0},
};

/* What a [section] name points at once resolved. */
typedef struct {
    const s_key_t *keys;     /* the section's key table */
    void *record;            /* where its values go */
    sc_section_mark_t *mark; /* its line and the keys seen */
    size_t index;            /* primary, indicator or input index */
} s_target_t;

kc_error_t *methodology_note(sc_methodology_draft_t *draft, kc_error_code_t code, const char *field,
                             int line, const char *fmt, ...)
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

static void s_list_names(const char *const *names, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; names[i] && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

static void s_list_keys(const s_key_t *keys, char *out, size_t size)
{
    const char *names[32];
    size_t n = 0;
    for (; keys[n].key && n < 31; n++)
        names[n] = keys[n].key;
    names[n] = NULL;
    s_list_names(names, out, size);
}

int methodology_points_parse(const char *text, int32_t *centi, const char **why)
{
    const char *p = text;
    int32_t whole = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        if (digits < 4)
            whole = whole * 10 + (*p - '0');
    int32_t fraction = 0;
    int decimals = 0;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, decimals++)
            if (decimals < 2)
                fraction = fraction * 10 + (*p - '0');
    *why = "not a number of points (write 7 or 7.25)";
    if (digits == 0 || *p != '\0' || (p[-1] == '.'))
        return -1;
    *why = "more than 2 decimals";
    if (decimals > 2)
        return -1;
    *centi = whole * SC_CENTI + (decimals == 1 ? fraction * 10 : fraction);
    *why = "above 100";
    if (digits > 3 || *centi > 100 * SC_CENTI)
        return -1;
    return 0;
}

/* A finite decimal number; strtod alone would also take "inf", "nan" and hex. */
static int s_number_parse(const char *text, double *out)
{
    if (!*text || strspn(text, "0123456789.eE+-") != strlen(text))
        return -1;
    char *end = NULL;
    double value = strtod(text, &end);
    if (*end != '\0' || !isfinite(value))
        return -1;
    *out = value;
    return 0;
}

/* "2017-" (until replaced), "2017-2025" or "2019": periods.h. */
static int s_years_parse(const char *text, sc_methodology_t *m)
{
    return periods_parse(text, &m->first_year, &m->last_year);
}

static int s_choice(const char *const *names, const char *value)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], value) == 0)
            return i;
    return -1;
}

static int s_store_text(sc_methodology_draft_t *draft, const s_key_t *key, char *target,
                        size_t size, const char *value, const char *field, int line)
{
    size_t length = strlen(value);
    if (kc_utf8_length(value) < 0)
        methodology_note(draft, KC_ERR_INVALID_UTF8, field, line, "'%s' is not valid UTF-8",
                         key->key);
    else if (length >= size)
        methodology_note(draft, KC_ERR_TOO_LONG, field, line, "'%s' is %zu bytes, at most %zu",
                         key->key, length, size - 1);
    else if (length == 0 && key->required)
        methodology_note(draft, KC_ERR_REQUIRED, field, line, "'%s' is empty", key->key);
    else {
        memcpy(target, value, length + 1);
        return 0;
    }
    return -1;
}

static int s_store_choice(sc_methodology_draft_t *draft, const s_key_t *key, char *target,
                          const char *value, const char *field, int line)
{
    char known[128];
    int index = -1;
    if (key->type == S_FLAG) {
        for (int i = 0; i < 2; i++)
            if (strcmp(value, key->names[i]) == 0)
                index = i;
        snprintf(known, sizeof known, "%s, %s", key->names[0], key->names[1]);
    } else {
        index = s_choice(key->names, value);
        s_list_names(key->names, known, sizeof known);
    }
    if (index < 0) {
        kc_error_t *error = methodology_note(draft, KC_ERR_INVALID_FORMAT, field, line,
                                             "unknown %s '%s'", key->key, value);
        if (error)
            kc_error_hint(error, "known: %s", known);
        return -1;
    }
    if (key->type == S_FLAG) {
        bool flag = index == 1;
        memcpy(target, &flag, sizeof flag);
    } else {
        _Static_assert(sizeof(sc_norm_method_t) == sizeof(int), "enums are int sized");
        memcpy(target, &index, sizeof index);
    }
    return 0;
}

static int s_store_number(sc_methodology_draft_t *draft, const s_key_t *key, char *target,
                          const char *value, const char *field, int line)
{
    double number = 0;
    const char *why = NULL;
    int32_t centi = 0;
    if (key->type == S_POINTS) {
        if (methodology_points_parse(value, &centi, &why) == 0) {
            memcpy(target, &centi, sizeof centi);
            return 0;
        }
        methodology_note(draft, KC_ERR_INVALID_FORMAT, field, line, "%s '%s': %s", key->key, value,
                         why);
        return -1;
    }
    if (key->type == S_NUMBER) {
        if (s_number_parse(value, &number) == 0) {
            memcpy(target, &number, sizeof number);
            return 0;
        }
        methodology_note(draft, KC_ERR_INVALID_FORMAT, field, line, "%s '%s' is not a number",
                         key->key, value);
        return -1;
    }
    char *end = NULL;
    long count = strtol(value, &end, 10);
    if (!*value || *end || count < 1 || count > 99) {
        methodology_note(draft, KC_ERR_OUT_OF_RANGE, field, line,
                         "%s '%s' is not a whole number from 1 to 99", key->key, value);
        return -1;
    }
    int whole = (int)count;
    memcpy(target, &whole, sizeof whole);
    return 0;
}

static int s_store(sc_methodology_draft_t *draft, const s_key_t *key, const s_target_t *target,
                   const char *value, const char *field, int line)
{
    char *at = (char *)target->record + key->offset;
    switch (key->type) {
    case S_TEXT:
        return s_store_text(draft, key, at, key->size, value, field, line);
    case S_PRIMARY:
        return s_store_text(draft, key, draft->indicator_primary[target->index], SC_CODE_MAX, value,
                            field, line);
    case S_POINTS:
    case S_NUMBER:
    case S_COUNT:
        return s_store_number(draft, key, at, value, field, line);
    case S_FLAG:
    case S_CHOICE:
        return s_store_choice(draft, key, at, value, field, line);
    case S_YEARS:
        if (s_years_parse(value, draft->m) == 0)
            return 0;
        methodology_note(
            draft, KC_ERR_INVALID_FORMAT, field, line,
            "years '%s' are not YYYY- (until replaced), YYYY-YYYY or YYYY, 1990 to 2100", value);
        return -1;
    }
    return -1;
}

static const s_key_t *s_keys_of(sc_section_kind_t kind)
{
    switch (kind) {
    case SC_SECTION_HEAD:
        return s_head_keys;
    case SC_SECTION_PRIMARY:
        return s_primary_keys;
    case SC_SECTION_INDICATOR:
        return s_indicator_keys;
    default:
        return s_base_keys;
    }
}

/* ---- key = value pairs ------------------------------------------------- */

/* Where a section's values go, from its kind and index. */
static s_target_t s_target(sc_methodology_draft_t *draft, sc_section_kind_t kind, size_t index,
                           sc_section_mark_t *mark)
{
    sc_methodology_t *m = draft->m;
    s_target_t target = {s_keys_of(kind), m, mark, index};
    if (kind == SC_SECTION_PRIMARY)
        target.record = &m->primaries[index];
    else if (kind == SC_SECTION_INDICATOR)
        target.record = &m->indicators[index];
    else if (kind == SC_SECTION_INPUT)
        target.record = &draft->bases[index];
    return target;
}

static int s_on_entry(void *user, const char *section, const char *name, const char *value)
{
    sc_methodology_draft_t *draft = user;
    int line = draft->lines_known && draft->next_key < draft->n_key_lines
                   ? draft->key_lines[draft->next_key]
                   : 0;
    draft->next_key++;
    char field[KC_ERROR_FIELD_MAX];
    snprintf(field, sizeof field, "%s%s%s", section, *section ? "." : "", name);
    if (!*section) {
        methodology_note(draft, KC_ERR_INPUT, field, line, "key '%s' is outside any section", name);
        return 1;
    }
    sc_section_kind_t kind;
    size_t at;
    sc_section_mark_t *mark;
    if (methodology_section_find(draft, section, &kind, &at, &mark))
        return 1; /* the section itself is already reported */
    s_target_t target = s_target(draft, kind, at, mark);
    int index = 0;
    while (target.keys[index].key && strcmp(target.keys[index].key, name) != 0)
        index++;
    if (!target.keys[index].key) {
        char known[KC_ERROR_HINT_MAX - 16];
        s_list_keys(target.keys, known, sizeof known);
        kc_error_t *error = methodology_note(draft, KC_ERR_INPUT, field, line,
                                             "unknown key '%s' in [%s]", name, section);
        if (error)
            kc_error_hint(error, "known keys: %s", known);
        return 1;
    }
    uint32_t bit = 1u << index;
    if (target.mark->seen & bit) {
        methodology_note(draft, KC_ERR_INPUT, field, line, "key '%s' is given twice in [%s]", name,
                         section);
        return 1;
    }
    target.mark->seen |= bit;
    if (s_store(draft, &target.keys[index], &target, value, field, line) == 0)
        target.mark->valid |= bit;
    return 1;
}

/* ---- after reading ----------------------------------------------------- */

/* Required keys present; method parameters only where the method uses
 * them (`method` -1: the method is unknown, already reported). */
static void s_check_section(sc_methodology_draft_t *draft, const s_key_t *keys,
                            const sc_section_mark_t *mark, const char *section, int method)
{
    for (int i = 0; keys[i].key; i++) {
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "%s.%s", section, keys[i].key);
        bool given = mark->seen & (1u << i);
        bool for_method = keys[i].methods != 0;
        bool applies = !for_method || (method >= 0 && (keys[i].methods & S_METHOD(method)));
        if (given && for_method && method >= 0 && !applies) {
            kc_error_t *error = methodology_note(draft, KC_ERR_INPUT, field, mark->line,
                                                 "'%s' does not apply to method '%s'", keys[i].key,
                                                 s_method_names[method]);
            if (error)
                kc_error_hint(error, "remove it, or change the method");
        } else if (!given && keys[i].required && applies && !for_method) {
            methodology_note(draft, KC_ERR_REQUIRED, field, mark->line, "missing key '%s' in [%s]",
                             keys[i].key, section);
        } else if (!given && keys[i].required && applies) {
            methodology_note(draft, KC_ERR_REQUIRED, field, mark->line,
                             "method '%s' needs '%s' in [%s]", s_method_names[method], keys[i].key,
                             section);
        }
    }
}

static void s_check_sections(sc_methodology_draft_t *draft)
{
    sc_methodology_t *m = draft->m;
    char section[KC_ERROR_FIELD_MAX];
    if (!draft->head_found)
        methodology_note(draft, KC_ERR_REQUIRED, "methodology", 0, "no [methodology] section");
    else
        s_check_section(draft, s_head_keys, &draft->head, "methodology", -1);
    for (size_t i = 0; i < m->n_primaries; i++) {
        snprintf(section, sizeof section, "primary.%s", m->primaries[i].code);
        s_check_section(draft, s_primary_keys, &draft->primary_marks[i], section, -1);
    }
    for (size_t i = 0; i < m->n_indicators; i++) {
        const sc_section_mark_t *mark = &draft->indicator_marks[i];
        bool method_known = methodology_key_valid(mark, SC_SECTION_INDICATOR, "method");
        snprintf(section, sizeof section, "indicator.%s", m->indicators[i].code);
        s_check_section(draft, s_indicator_keys, mark, section,
                        method_known ? (int)m->indicators[i].method : -1);
    }
    for (size_t i = 0; i < draft->n_bases; i++) {
        snprintf(section, sizeof section, "input.%s", draft->bases[i].code);
        s_check_section(draft, s_base_keys, &draft->base_marks[i], section, -1);
    }
}

bool methodology_key_valid(const sc_section_mark_t *mark, sc_section_kind_t kind, const char *key)
{
    const s_key_t *keys = s_keys_of(kind);
    for (int i = 0; keys[i].key; i++)
        if (strcmp(keys[i].key, key) == 0)
            return (mark->valid & (1u << i)) != 0;
    return false;
}

/* Pre-scan, then libinih over a NUL-terminated copy, then per-section checks. */
static void s_read(sc_methodology_draft_t *draft, const char *text, size_t size)
{
    size_t before = draft->errors->total;
    draft->lines_known = methodology_scan(draft, text, size) == 0;
    for (size_t i = before; i < draft->errors->kept; i++)
        if (draft->errors->items[i].code == KC_ERR_TOO_LONG && !draft->errors->items[i].field[0])
            return; /* libinih would cut those lines and read their tails as keys */
    char *copy = malloc(size + 1);
    if (!copy)
        abort(); /* out of memory: the project's rule is to stop */
    memcpy(copy, text, size);
    copy[size] = '\0';
    int line = ini_parse_string(copy, s_on_entry, draft);
    free(copy);
    if (line != 0 && draft->lines_known)
        methodology_note(draft, KC_ERR_INPUT, NULL, line > 0 ? line : 0,
                         "libinih could not read the methodology (%d)", line);
    s_check_sections(draft);
}

int methodology_parse(const char *text, size_t size, sc_methodology_t *out, kc_errors_t *errors)
{
    memset(out, 0, sizeof *out);
    out->tie_rule = SC_TIE_COMPETITION;
    out->jump_factor = 3;
    out->exclude_zones = true;
    out->total_from = SC_TOTAL_EXACT;
    out->min_coverage = 0.9;
    sc_methodology_draft_t *draft = calloc(1, sizeof *draft);
    if (!draft)
        abort(); /* out of memory: the project's rule is to stop */
    draft->m = out;
    draft->errors = errors;
    draft->errors_at_start = errors->total;
    if (!text || size == 0)
        methodology_note(draft, KC_ERR_REQUIRED, NULL, 0, "the methodology is empty");
    else if (memchr(text, '\0', size))
        methodology_note(draft, KC_ERR_INPUT, NULL, 0, "the methodology contains a NUL byte");
    else {
        s_read(draft, text, size);
        methodology_check(draft);
    }
    bool failed = errors->total > draft->errors_at_start;
    free(draft->key_lines);
    free(draft);
    if (failed) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

/* ---- lookups and names ------------------------------------------------- */

int methodology_indicator_index(const sc_methodology_t *self, const char *code)
{
    for (size_t i = 0; i < self->n_indicators; i++)
        if (strcmp(self->indicators[i].code, code) == 0)
            return (int)i;
    return -1;
}

int methodology_input_index(const sc_methodology_t *self, const char *code)
{
    size_t low = 0;
    size_t high = self->n_inputs;
    while (low < high) { /* inputs are sorted by strcmp */
        size_t middle = low + (high - low) / 2;
        int order = strcmp(self->inputs[middle], code);
        if (order == 0)
            return (int)middle;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return -1;
}

const char *methodology_method_name(sc_norm_method_t method)
{
    return (unsigned)method < SC_NORM_COUNT_ ? s_method_names[method] : "unknown";
}

const char *methodology_missing_name(sc_missing_rule_t rule)
{
    return (unsigned)rule <= SC_MISSING_ZERO ? s_missing_names[rule] : "unknown";
}

const char *methodology_tie_name(sc_tie_rule_t rule)
{
    return (unsigned)rule <= SC_TIE_MODIFIED ? s_tie_names[rule] : "unknown";
}

const char *methodology_total_name(sc_total_rule_t rule)
{
    return (unsigned)rule <= SC_TOTAL_ROUNDED_PARTS ? s_total_names[rule] : "unknown";
}
