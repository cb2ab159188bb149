/*  process: a programme's application procedure, as data.
 *
 *  Every programme kechuang runs moves an application up through county,
 *  city and province and its decisions back down (seed 000 §三 is the
 *  fullest). A process definition (deploy/workflow/<code>.ini, format in
 *  deploy/workflow/README.md) lists the states, and the transitions
 *  between them: which role at which level may take each one, what it
 *  requires (a written reason, an attestation standing for the seal, expert
 *  scores), whether it is a decision (approve, recommend, return, reject,
 *  revoke, file...), and timers (a public notice of N working days that
 *  advances by itself when it closes without objection). A definition is
 *  parsed and validated by `kcctl process check|load`, stored with the
 *  SHA-256 of its text, and an application keeps the version it started
 *  with.
 */
#ifndef WORKFLOW_PROCESS_H
#define WORKFLOW_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc/kc_error.h"

#define WF_CODE_MAX        48
#define WF_MAX_STATES      32
#define WF_MAX_TRANSITIONS 64
#define WF_MAX_CRITERIA    12
#define WF_PANEL_MAX       15 /* experts on one panel */

typedef enum {
    WF_LEVEL_NONE = 0, /* the applicant or the public: no administrative level */
    WF_LEVEL_COUNTY,
    WF_LEVEL_CITY,
    WF_LEVEL_PROVINCE,
} wf_level_t;

/* What a transition asks of the one who takes it (bit set). */
enum {
    WF_REQUIRES_REASON = 1 << 0,       /* a written reason (opinion text), stored and notified */
    WF_REQUIRES_ATTESTATION = 1 << 1,  /* the actor attests for the organisation (the seal) */
    WF_REQUIRES_SCORES = 1 << 2,       /* the expert panel's scores are in */
    WF_REQUIRES_NO_OBJECTION = 1 << 3, /* every objection of the notice resolved */
};

typedef struct {
    char code[WF_CODE_MAX];          /* county_review, city_review, public_notice, filed... */
    char name_zh[96];                /* 县科技管理部门审核（县政府同意） */
    wf_level_t level;                /* the level whose inbox it sits in */
    bool final;                      /* nothing follows: rejected, revoked, closed */
    int notice_working_days;         /* > 0: a public notice of that many working days */
    char on_notice_end[WF_CODE_MAX]; /* transition the timer takes when the notice closes */
    bool panel;                      /* entering it draws an expert panel ([process] panel_*) */
    int deadline_working_days;       /* > 0: who holds it must act within that many working days */
    int timer_days; /* > 0: after that many calendar days the system takes on_timer */
    char on_timer[WF_CODE_MAX];
    char on_objection_upheld[WF_CODE_MAX]; /* notice: the step taken when it closes with an
                                              objection upheld (instead of on_notice_end) */
    int period_days; /* > 0: a period (建设期) of that many days from the latest step into the
                        state by a transition with starts_period; when it ends before the
                        next on_timer would fire, on_period_end is taken instead, at its end */
    char on_period_end[WF_CODE_MAX];
} wf_state_t;

typedef struct {
    char code[WF_CODE_MAX]; /* county_approve, city_recommend, return, reject... */
    char name_zh[96];       /* 县级审核通过 */
    int from;               /* index into states; -1 with from_any */
    bool from_any;          /* may be taken from every non-final state (reject, return) */
    int to;            /* index into states; -1 for "return": the actor picks an earlier step */
    bool to_earlier;   /* a return (退回/驳回): to any state the application passed through */
    char role[32];     /* applicant, county_bureau, county_government, city_bureau,
                          province_department, expert, system (timers) */
    wf_level_t level;  /* the level the role acts at; NONE for applicant/system */
    char decision[16]; /* approve, recommend, return, reject, revoke, file, submit... */
    unsigned requires; /* WF_REQUIRES_* */
    int min_score;     /* > 0: the panel's aggregate score must be at least this */
    char except[192];  /* with from = *: the states it may not be taken from, as written */
    uint32_t except_states; /* ... resolved: bit i for state i */
    bool starts_period;     /* entering its target state starts the state's period_days */
} wf_transition_t;

/* One criterion the experts score against; points add up to 100. */
typedef struct {
    char code[WF_CODE_MAX];
    char name_zh[96];
    int points; /* the most an expert may give on it */
} wf_criterion_t;

typedef struct {
    char code[WF_CODE_MAX]; /* mountain-base-v1: unique, the key in the database */
    char programme[32];     /* the application's programme it governs: mountain_base */
    char title_zh[128];
    char province[8]; /* the province the programme belongs to (130000); the database
                         requires it of the programmes it knows (programme_scope) */
    int initial;      /* index of the state a new application starts in */
    size_t n_states;
    wf_state_t states[WF_MAX_STATES];
    size_t n_transitions;
    wf_transition_t transitions[WF_MAX_TRANSITIONS];
    int panel_size;                /* experts drawn for a panel state; 0: no panel */
    char panel_field[WF_CODE_MAX]; /* the experts' field the panel is drawn from */
    char panel_aggregation[16];    /* mean, trimmed_mean (drop highest and lowest when >= 5) */
    int panel_disagreement;        /* flag when max - min of the totals exceeds it (points) */
    int target_count;              /* the programme's target (e.g. 30 bases) ... */
    int target_year;               /* ... by this year; 0: no target */
    char goal_state[WF_CODE_MAX];  /* reaching it first counts towards the target (filed) */
    int quota_per_year;            /* > 0: so many a year (seed 003: 5 counties) ... */
    int quota_from;                /* ... from this year to target_year */
    size_t n_criteria;
    wf_criterion_t criteria[WF_MAX_CRITERIA];
} wf_process_t;

/* Parse and validate definition text. Every problem goes into `errors`
 * (field "transition.city_recommend.to", message) and -1 is returned; on
 * success every state is reachable from the initial one, every non-final
 * state has a way out, every transition names known states and a known
 * role that someone can hold, and timers name transitions of their state. */
int process_parse(const char *text, size_t size, wf_process_t *out, kc_errors_t *errors);

int process_state_index(const wf_process_t *self, const char *code);
int process_transition_index(const wf_process_t *self, const char *code);

/* Whether `transition` may be taken from state index `state`: its own
 * from, or with from = * every non-final state but those of `except`. */
bool process_takes_from(const wf_process_t *self, const wf_transition_t *transition, int state);

/* Stable names: "county", "city", "province", "" */
const char *process_level_name(wf_level_t level);

/* Whether an actor (role, six-digit division code) may take `transition`
 * on an application of `county_code`: the role must be the transition's,
 * and the division must be the county itself (county level), its city
 * (first four digits + "00"), its province (first two + "0000"). 0 when
 * allowed; -1 with `error` (KC_ERR_DENIED, field "actor.role" or
 * "actor.division_code", a message a person understands) when not. */
int process_authorise(const wf_transition_t *transition, const char *role, const char *division,
                      const char *county_code, kc_error_t *error);

#endif
