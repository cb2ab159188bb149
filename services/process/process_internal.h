/*  process_internal: what the reader and the checker of a process definition share.
 *
 *  process.c reads the INI text into a draft: every line pre-scanned the
 *  way libinih will read it (so errors carry line numbers and nothing is
 *  silently cut or glued), every key checked on its own (known, given
 *  once, well formed). State and transition codes named by other keys
 *  (initial, from, to, on_notice_end) are kept as written; process_check.c
 *  resolves them once every section is known and then checks the
 *  definition as a whole: references, roles and levels, reachability,
 *  dead ends, timers and reasons.
 */
#ifndef WORKFLOW_PROCESS_INTERNAL_H
#define WORKFLOW_PROCESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"
#include "process/process.h"

#define WF_KEY_LINES_MAX                                                                           \
    1024 /* keys whose line is remembered; more keys are located by field only */

#define WF_MARK_LINES 16 /* keys of a section whose line is remembered */

/* Where a section was and which of its keys were given. */
typedef struct {
    int line;                 /* line of the [section] header, from 1 */
    uint32_t seen;            /* bit i: key i of the section's key table was given */
    uint32_t valid;           /* bit i: ... and its value was read without error */
    int lines[WF_MARK_LINES]; /* line of key i, 0 when not given or not known */
} wf_mark_t;

typedef struct {
    wf_process_t *process;  /* being filled */
    kc_errors_t *errors;    /* every problem found */
    size_t errors_at_start; /* errors->total when parsing began */
    bool head_found;        /* a [process] section was seen */
    wf_mark_t head;         /* [process] */
    wf_mark_t state_marks[WF_MAX_STATES];
    wf_mark_t transition_marks[WF_MAX_TRANSITIONS];
    wf_mark_t criterion_marks[WF_MAX_CRITERIA];
    char initial[WF_CODE_MAX];                  /* [process] initial, as written */
    char from[WF_MAX_TRANSITIONS][WF_CODE_MAX]; /* each transition's from, as written */
    char to[WF_MAX_TRANSITIONS][WF_CODE_MAX];   /* each transition's to, as written */
    int key_lines[WF_KEY_LINES_MAX];            /* line of each key = value pair, in file order */
    size_t n_key_lines;                         /* entries in key_lines */
    size_t next_key;  /* key = value pairs handed over by libinih so far */
    bool lines_known; /* the structure is clean, so key_lines match libinih's calls */
} wf_draft_t;

/* Add an error about `field` (with "line N" as detail when line > 0). */
kc_error_t *process_note(wf_draft_t *draft, kc_error_code_t code, const char *field, int line,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A code of [a-z0-9_-], 1 to size - 1 bytes. */
bool process_code_valid(const char *code, size_t size);

/* Whether the key was given in the section and read without error. */
bool process_key_valid(const wf_mark_t *mark, bool transition, const char *key);

/* Whether the key was given in a state or transition section at all. */
bool process_key_given(const wf_mark_t *mark, bool transition, const char *key);

/* The line of a key of a state or transition section; the section's own
 * line when the key was not given (or its line is not known). */
int process_key_line(const wf_mark_t *mark, bool transition, const char *key);

/* Resolve codes and check the definition as a whole. Errors go to
 * draft->errors; returns -1 if any was found. */
int process_check(wf_draft_t *draft);

/* The level a role acts at, or -1 for an unknown role. */
int process_role_level(const char *role);

/* The decision's row in the table of known decisions: -1 when unknown;
 * *needs_reason says whether it must require a written reason. */
int process_decision_find(const char *decision, bool *needs_reason);

/* Every known role / decision, comma separated, for hints. */
const char *process_role_names(void);
const char *process_decision_names(void);

#endif
