/*  methodology_sections: the structure of a methodology file, line by line.
 *
 *  libinih reads at most 199 bytes a line (it reads the rest as a line of
 *  its own), takes an indented line after a key as the continuation of its
 *  value and calls back with key = value pairs only, without line numbers.
 *  Before it runs, this pre-scan walks the lines with libinih's own rules
 *  and finds what it would silently get wrong: an over-long line, an
 *  indented one, a line that is neither [section] nor key = value. It opens
 *  every [section] in file order with its line number (so empty sections
 *  are seen, duplicates caught and errors located) and remembers the line
 *  of every key, so the reader can say "line 42" too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_ini_scan.h"
#include "scoring/methodology_internal.h"

static const struct {
    const char *prefix; /* "indicator." */
    sc_section_kind_t kind;
    bool upper; /* codes in upper case (I01, B01) or lower case (input) */
} s_section_kinds[] = {
    {"primary.", SC_SECTION_PRIMARY, false},
    {"indicator.", SC_SECTION_INDICATOR, true},
    {"input.", SC_SECTION_INPUT, true},
};

/* Kind of a section name; *code is what follows the prefix. */
static sc_section_kind_t s_section_kind(const char *section, const char **code, bool *upper)
{
    *code = "";
    *upper = true;
    if (strcmp(section, "methodology") == 0)
        return SC_SECTION_HEAD;
    for (size_t i = 0; i < sizeof s_section_kinds / sizeof s_section_kinds[0]; i++) {
        size_t n = strlen(s_section_kinds[i].prefix);
        if (strncmp(section, s_section_kinds[i].prefix, n) == 0) {
            *code = section + n;
            *upper = s_section_kinds[i].upper;
            return s_section_kinds[i].kind;
        }
    }
    return SC_SECTION_UNKNOWN;
}

static bool s_code_valid(const char *code, bool upper)
{
    size_t n = strlen(code);
    if (n == 0 || n >= SC_CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = code[i];
        bool letter = upper ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z');
        bool other = i > 0 && ((c >= '0' && c <= '9') || (!upper && c == '_'));
        if (!letter && !other)
            return false;
    }
    return true;
}

int methodology_section_find(sc_methodology_draft_t *draft, const char *section,
                             sc_section_kind_t *kind, size_t *index, sc_section_mark_t **mark)
{
    sc_methodology_t *m = draft->m;
    const char *code;
    bool upper;
    *kind = s_section_kind(section, &code, &upper);
    if (*kind == SC_SECTION_HEAD && draft->head_found) {
        *index = 0;
        *mark = &draft->head;
        return 0;
    }
    for (size_t i = 0; *kind == SC_SECTION_PRIMARY && i < m->n_primaries; i++)
        if (strcmp(m->primaries[i].code, code) == 0) {
            *index = i;
            *mark = &draft->primary_marks[i];
            return 0;
        }
    for (size_t i = 0; *kind == SC_SECTION_INDICATOR && i < m->n_indicators; i++)
        if (strcmp(m->indicators[i].code, code) == 0) {
            *index = i;
            *mark = &draft->indicator_marks[i];
            return 0;
        }
    for (size_t i = 0; *kind == SC_SECTION_INPUT && i < draft->n_bases; i++)
        if (strcmp(draft->bases[i].code, code) == 0) {
            *index = i;
            *mark = &draft->base_marks[i];
            return 0;
        }
    return -1;
}

/* Room for one more section of a kind: its code and mark; NULL when full. */
static char *s_append(sc_methodology_draft_t *draft, sc_section_kind_t kind, int line,
                      const char *section)
{
    sc_methodology_t *m = draft->m;
    size_t *count = kind == SC_SECTION_PRIMARY     ? &m->n_primaries
                    : kind == SC_SECTION_INDICATOR ? &m->n_indicators
                                                   : &draft->n_bases;
    size_t max = kind == SC_SECTION_PRIMARY     ? SC_MAX_PRIMARIES
                 : kind == SC_SECTION_INDICATOR ? SC_MAX_INDICATORS
                                                : SC_MAX_INPUTS;
    const char *what = kind == SC_SECTION_PRIMARY     ? "primary indicators"
                       : kind == SC_SECTION_INDICATOR ? "indicators"
                                                      : "inputs";
    if (*count == max) {
        methodology_note(draft, KC_ERR_OUT_OF_RANGE, section, line, "more than %zu %s", max, what);
        return NULL;
    }
    size_t i = (*count)++;
    if (kind == SC_SECTION_PRIMARY) {
        draft->primary_marks[i].line = line;
        return m->primaries[i].code;
    }
    if (kind == SC_SECTION_INPUT) {
        draft->base_marks[i].line = line;
        return draft->bases[i].code;
    }
    sc_indicator_t *indicator = &m->indicators[i];
    draft->indicator_marks[i].line = line;
    indicator->positive = true;
    indicator->z_cap = 3;
    indicator->rubric_max = 100;
    indicator->min_raters = 3;
    indicator->input = -1;
    return indicator->code;
}

/* Open a section met in the pre-scan: check its name, give it a record. */
static void s_open(sc_methodology_draft_t *draft, const char *section, int line)
{
    const char *code;
    bool upper;
    sc_section_kind_t kind = s_section_kind(section, &code, &upper);
    sc_section_kind_t found_kind;
    size_t found_index;
    sc_section_mark_t *found;
    if (kind == SC_SECTION_UNKNOWN) {
        kc_error_t *error =
            methodology_note(draft, KC_ERR_INPUT, section, line, "unknown section [%s]", section);
        if (error)
            kc_error_hint(error, "sections are [methodology], [primary.<code>], "
                                 "[indicator.<code>] and [input.<code>]");
    } else if (methodology_section_find(draft, section, &found_kind, &found_index, &found) == 0) {
        methodology_note(draft, KC_ERR_INPUT, section, line,
                         "section [%s] appears twice (first at line %d)", section, found->line);
    } else if (kind == SC_SECTION_HEAD) {
        draft->head_found = true;
        draft->head.line = line;
    } else if (!s_code_valid(code, upper)) {
        methodology_note(draft, KC_ERR_INVALID_FORMAT, section, line,
                         "code '%s' of [%s] is not %s, at most %d characters", code, section,
                         upper ? "an upper-case letter then upper-case letters and digits"
                               : "a lower-case letter then lower-case letters, digits or _",
                         SC_CODE_MAX - 1);
    } else {
        char *slot = s_append(draft, kind, line, section);
        if (slot)
            snprintf(slot, SC_CODE_MAX, "%s", code);
    }
}

/* ---- pre-scan ---------------------------------------------------------- */

static void s_remember_key_line(sc_methodology_draft_t *draft, int line)
{
    if (draft->n_key_lines == draft->key_capacity) {
        size_t capacity = draft->key_capacity ? 2 * draft->key_capacity : 256;
        int *grown = realloc(draft->key_lines, capacity * sizeof *grown);
        if (!grown)
            abort(); /* out of memory: the project's rule is to stop */
        draft->key_lines = grown;
        draft->key_capacity = capacity;
    }
    draft->key_lines[draft->n_key_lines++] = line;
}

static void s_on_section(void *context, const char *section, int line)
{
    s_open(context, section, line);
}

static void s_on_key(void *context, int line)
{
    s_remember_key_line(context, line);
}

/* libinih's view of the file, checked first (kc_ini_scan): sections opened
 * in file order with their lines, the line of every key remembered. */
int methodology_scan(sc_methodology_draft_t *draft, const char *text, size_t size)
{
    kc_ini_visitor_t visitor = {draft, s_on_section, s_on_key};
    return kc_ini_scan(text, size, draft->errors, &visitor);
}
