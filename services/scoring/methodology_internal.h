/*  methodology_internal: what the three parts of the methodology parser share.
 *
 *  methodology.c reads the INI text into a draft (every key checked on its
 *  own: known, well formed, given once, required ones present),
 *  methodology_check.c checks the draft as a whole (points add up,
 *  primaries resolve, method parameters make sense, formulas name known
 *  codes) and builds the sorted input list, and methodology_formula.c
 *  compiles and evaluates formulas. The draft is heap allocated: it is as
 *  large as the methodology itself.
 */
#ifndef SCORING_METHODOLOGY_INTERNAL_H
#define SCORING_METHODOLOGY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"
#include "scoring/methodology.h"

/* A base data item a formula reads that is not itself an indicator ([input.B01]). */
typedef struct {
    char code[SC_CODE_MAX]; /* B01 */
    char name_zh[128];      /* 一般公共预算支出 */
    char unit[32];          /* 万元 */
    char provider[16];      /* finance */
    char source_note[256];  /* where it comes from */
} sc_base_input_t;

typedef enum {
    SC_SECTION_UNKNOWN = 0,
    SC_SECTION_HEAD,      /* [methodology] */
    SC_SECTION_PRIMARY,   /* [primary.<code>] */
    SC_SECTION_INDICATOR, /* [indicator.<code>] */
    SC_SECTION_INPUT,     /* [input.<code>] */
} sc_section_kind_t;

/* Where a section was and which of its keys were given. */
typedef struct {
    int line;       /* line of the [section] header, from 1 */
    uint32_t seen;  /* bit i: key i of the section's key table was given */
    uint32_t valid; /* bit i: ... and its value was read without error */
} sc_section_mark_t;

typedef struct {
    sc_methodology_t *m;    /* being filled: head fields, primaries, indicators */
    kc_errors_t *errors;    /* every problem found */
    size_t errors_at_start; /* errors->total when parsing began */
    sc_section_mark_t head; /* [methodology] */
    bool head_found;
    sc_section_mark_t primary_marks[SC_MAX_PRIMARIES];
    sc_section_mark_t indicator_marks[SC_MAX_INDICATORS];
    char indicator_primary[SC_MAX_INDICATORS][SC_CODE_MAX]; /* primary code as written */
    size_t n_bases;
    sc_base_input_t bases[SC_MAX_INPUTS];
    sc_section_mark_t base_marks[SC_MAX_INPUTS];
    int *key_lines;      /* line of each key = value pair, in file order */
    size_t n_key_lines;  /* entries in key_lines */
    size_t key_capacity; /* allocated entries */
    size_t next_key;     /* key = value pairs handed over by libinih so far */
    bool lines_known;    /* the file's structure is clean, so key_lines match inih's calls */
} sc_methodology_draft_t;

/* Distinct codes a formula names, in order of first use. */
typedef struct {
    size_t n_codes;
    char codes[SC_FORMULA_MAX_OPS][SC_CODE_MAX];
} sc_formula_refs_t;

/* Walk the lines before libinih does: report lines it would cut (too
 * long), join (indented after a key) or reject; open every [section] in
 * file order (unknown, duplicate or badly named ones reported); remember
 * the line of each key. 0 when libinih will see the same structure. */
int methodology_scan(sc_methodology_draft_t *draft, const char *text, size_t size);

/* An opened section by its name: 0 with its kind, index and mark, or -1. */
int methodology_section_find(sc_methodology_draft_t *draft, const char *section,
                             sc_section_kind_t *kind, size_t *index, sc_section_mark_t **mark);

/* Add an error about `field` (with "line N" as detail when line > 0). */
kc_error_t *methodology_note(sc_methodology_draft_t *draft, kc_error_code_t code, const char *field,
                             int line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The key was given in the section and its value read without error (so
 * whole-file checks can skip what is already reported as wrong). */
bool methodology_key_valid(const sc_section_mark_t *mark, sc_section_kind_t kind, const char *key);

/* Check the draft as a whole and complete it: primaries resolved, sums,
 * method parameters, formulas compiled against the sorted input list.
 * Errors go to draft->errors; returns -1 if any was found. */
int methodology_check(sc_methodology_draft_t *draft);

/* Compile `text` to reverse Polish notation in `out`; each SC_OP_INPUT's
 * `input` is an index into refs->codes. 0, or -1 with `error` set (message
 * only; the caller sets the field). */
int methodology_formula_compile(const char *text, sc_formula_t *out, sc_formula_refs_t *refs,
                                kc_error_t *error);

/* "7.25" -> 725, exactly (never through a double): digits, optionally a
 * point and one or two decimals, at most 100.00. 0, or -1 with `why` set to
 * a short reason ("more than 2 decimals", "above 100", "not a number"). */
int methodology_points_parse(const char *text, int32_t *centi, const char **why);

#endif
