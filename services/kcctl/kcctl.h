/*  kcctl: the operator's command line for a kechuang node.
 *
 *  Each command is one function taking the parsed invocation; they share
 *  the way they reach the daemon (a kc_client that retries with the same
 *  idempotency key and then gives up) and the way they print errors, so
 *  every command speaks the same language to the person at the terminal.
 */
#ifndef KCCTL_H
#define KCCTL_H

#include <stdbool.h>

#include "kc/kc_bus.h"
#include "kc/kc_config.h"

#define KCCTL_POSITIONAL_MAX 8
#define KCCTL_TIMEOUT_MS     5000 /* a request's wait per attempt, unless --timeout */
#define KCCTL_ATTEMPTS       3    /* and its attempts, unless --attempts */

typedef struct {
    kc_config_t config;
    char config_path[256];
    Kc__V1__Actor actor; /* points into the buffers below */
    char user[64];
    char role[32];
    char division[8];
    char organisation[64];
    char key[128];             /* --key, or a fresh id per invocation */
    char provider[32];         /* --provider */
    char name[128];            /* --name, for division-change */
    char note[256];            /* --note, for division-change */
    int year;                  /* --year */
    char scope[8];             /* --scope: the division scored (default: the node's) */
    char out[512];             /* --out: directory for reports */
    char methodology[48];      /* --methodology CODE */
    char policy[48];           /* --policy CODE */
    char seed[24];             /* --seed, Monte Carlo */
    int draws;                 /* --draws, Monte Carlo */
    int run;                   /* --run ID */
    int wait_s;                /* --wait: seconds kcctl score waits for the job */
    bool flags_reviewed;       /* --flags-reviewed, for publish */
    bool force;                /* --force, for score: below the methodology's min_coverage */
    char reason[2048];         /* --reason, for act */
    char return_to[48];        /* --return-to STATE, for act */
    char programme[32];        /* --programme, for inbox */
    char notice[385];          /* --notice, for calendar load: the notice's title and number */
    char issued[16];           /* --issued YYYY-MM-DD, for calendar load */
    bool attest;               /* --attest, for act */
    bool unread;               /* --unread, for notifications */
    const char *call_endpoint; /* daemon kcctl_call talks to; NULL: kc-intake */
    int after;                 /* --after, for events */
    int timeout_ms;            /* --timeout, per attempt; -1: the command's own default */
    int attempts;              /* --attempts; -1: the command's own default */
    bool key_given;            /* --key was on the command line */
    bool endpoint_given;       /* --endpoint was (it went to config.intake_endpoint) */
    bool writing;              /* the command stores something: refusals say nothing was */
    bool dry_run;
    bool follow;
    const char *positional[KCCTL_POSITIONAL_MAX];
    int positional_count;
} kcctl_t;

/* Send one request to kc-intake and wait for its answer, retrying with the
 * same envelope; prints a clear message and returns -1 when no answer comes
 * or the answer is a refusal (after printing it, with `locate` turning a
 * field path into something the person can find, when given), or is not
 * the `expected` body. */
typedef int (*kcctl_locate_fn)(const void *context, const char *field, char *out, size_t size);
int kcctl_call(kcctl_t *self, kc_envelope_t *request, Kc__V1__Envelope__BodyCase expected,
               kc_envelope_t **reply, kcctl_locate_fn locate, const void *locate_context);

/* Print every error of a refusal, located when possible. */
void kcctl_print_rejected(const Kc__V1__Rejected *rejected, bool writing, kcctl_locate_fn locate,
                          const void *locate_context);

/* Print one error in the shared format. */
void kcctl_print_error(const kc_error_t *error);

/* Print a file's problems found before anything was sent or stored:
 * "<intro>: N problem(s), nothing was <done>" then each, indented. */
void kcctl_print_file_errors(const char *intro, const char *done, const kc_errors_t *errors);

/* The start of a `kcctl WHAT check|load FILE.ini` command: the usage when
 * the words are wrong, the file read whole into *text (malloc'd). 1 for
 * load, 0 for check, -1 (after saying why) when there is nothing to do. */
int kcctl_rules_begin(kcctl_t *self, const char *what, char **text, size_t *size);

/* Print a rules file's problems: "refused: FILE: N problems, nothing was stored". */
void kcctl_rules_refused(const kcctl_t *self, const kc_errors_t *errors);

/* Print the years a rules version states (`table`: "methodology" or
 * "policy") and the years it is in force among the versions the node's
 * database holds, itself counted as loaded last when it is not stored yet
 * (cmd_rules_period.c). Prints why when the database cannot be read. */
void kcctl_rules_period(kcctl_t *self, const char *table, const char *code, int first_year,
                        int last_year);

/* Read a file of at most 1 MiB (NUL-terminated, malloc'd); prints why not and returns NULL. */
char *kcctl_read_small_file(const char *path, size_t *size);

int kcctl_migrate(kcctl_t *self);
int kcctl_division_change(kcctl_t *self);
int kcctl_submit_values(kcctl_t *self);
int kcctl_submit_application(kcctl_t *self);
int kcctl_submit_objection(kcctl_t *self);
int kcctl_status(kcctl_t *self);
int kcctl_divisions(kcctl_t *self);
int kcctl_events(kcctl_t *self);
int kcctl_ping(kcctl_t *self); /* cmd_ping.c */
int kcctl_methodology(kcctl_t *self);
int kcctl_rewards(kcctl_t *self);
int kcctl_submit_ratings(kcctl_t *self);
int kcctl_score(kcctl_t *self);
int kcctl_report(kcctl_t *self);
int kcctl_publish(kcctl_t *self);
int kcctl_process(kcctl_t *self);
int kcctl_act(kcctl_t *self);
int kcctl_inbox(kcctl_t *self);
int kcctl_history(kcctl_t *self);
int kcctl_audit(kcctl_t *self);
int kcctl_experts(kcctl_t *self);
int kcctl_panel(kcctl_t *self);
int kcctl_resolve_objection(kcctl_t *self);
int kcctl_progress(kcctl_t *self);
int kcctl_notify(kcctl_t *self);
int kcctl_recipients(kcctl_t *self);
int kcctl_notifications(kcctl_t *self);
int kcctl_keys(kcctl_t *self);
int kcctl_link(kcctl_t *self);
int kcctl_classes(kcctl_t *self);
int kcctl_calendar(kcctl_t *self);

#endif
