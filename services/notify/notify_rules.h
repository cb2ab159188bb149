/*  notify_rules: who is told of which event, and in which words, as data.
 *
 *  A notification definition (deploy/notify/<code>.ini, format in
 *  deploy/notify/README.md) has templates — a subject and a body in
 *  Chinese with {variables} from the event — and routes: for an event type,
 *  optionally narrowed to a decision or a state, the roles told (relative
 *  to the event's county: its county bureau, its city, its province, the
 *  applicant), the template and the priority. A template naming a variable
 *  its event does not carry is refused when the file is checked, never
 *  when a message is sent.
 */
#ifndef NOTIFY_NOTIFY_RULES_H
#define NOTIFY_NOTIFY_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "kc/kc_error.h"

#define NOTIFY_CODE_MAX      48
#define NOTIFY_TEXT_MAX      512
#define NOTIFY_MAX_TEMPLATES 32
#define NOTIFY_MAX_ROUTES    64
#define NOTIFY_MAX_ROLES     8

typedef enum { NOTIFY_LOW = 0, NOTIFY_NORMAL, NOTIFY_CRITICAL } notify_priority_t;

typedef struct {
    char code[NOTIFY_CODE_MAX];
    char event[32];                /* the event type whose variables it uses */
    char subject[NOTIFY_TEXT_MAX]; /* "【备案】{title}" */
    char body[NOTIFY_TEXT_MAX];
} notify_template_t;

typedef struct {
    char code[NOTIFY_CODE_MAX];
    char event[32];                 /* ApplicationMoved, DeadlineReached, ... */
    char decision[16];              /* "" or the decision it is narrowed to */
    char to_state[NOTIFY_CODE_MAX]; /* "" or the state it is narrowed to */
    char kind[16];                  /* DeadlineReached: "" or approaching / overdue */
    char roles[NOTIFY_MAX_ROLES][32];
    size_t n_roles;
    int template_index;
    notify_priority_t priority;
} notify_route_t;

typedef struct {
    char code[NOTIFY_CODE_MAX]; /* notify-v1 */
    size_t n_templates;
    notify_template_t templates[NOTIFY_MAX_TEMPLATES];
    size_t n_routes;
    notify_route_t routes[NOTIFY_MAX_ROUTES];
} notify_rules_t;

/* Parse and check the text; every problem goes into `errors` with its
 * field ("template.filed.body") and line. 0, or -1 with `out` empty. */
int notify_rules_parse(const char *text, size_t size, notify_rules_t *out, kc_errors_t *errors);

/* The variables an event type offers, NULL-terminated; NULL for an event
 * type no route may name. */
const char *const *notify_event_variables(const char *event);

/* What happened to a panel (a PanelChanged event's `what`: drawn,
 * seat_replaced, complete, no_reserve_left), said in Chinese for a
 * message; an unknown word is said as a change, never shown as it is. */
const char *notify_panel_what(const char *what);

/* Render `text` with `values` (value i for variable names[i]) into `out`;
 * an unknown variable renders as "" (the parser refused such templates). */
void notify_render(const char *text, const char *const *names, const char *const *values, char *out,
                   size_t size);

#endif
