/*  workflow_fixture: a node with kc-workflow, the shipped mountain-base
 *  procedure and expert pool loaded, and the sample application submitted
 *  through kc-intake as its applicant would — the starting point of every
 *  kc-workflow integration test. */
#ifndef WORKFLOW_FIXTURE_H
#define WORKFLOW_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

typedef struct {
    harness_node_t node;
    pid_t workflow;
    char ref[32]; /* the application's reference number */
} wf_fixture_t;

/* The sample application submitted through the node's kc-intake by its
 * applicant (平山县太行菌业科技有限公司). */
void wf_fixture_submit(const harness_node_t *node);

/* Another application form, at `path`, submitted by the same applicant. */
void wf_fixture_submit_file(const harness_node_t *node, const char *path);

/* Start it all; `clock_ms` > 0 sets kc-workflow's clock first (0: real). */
void wf_fixture_start(wf_fixture_t *fixture, long long clock_ms);

/* Stop kc-workflow (asserting a clean exit) and the node. */
void wf_fixture_stop(wf_fixture_t *fixture);

/* kcctl act on the application as (user, role, division); kcctl's exit status. */
int wf_fixture_act_as(wf_fixture_t *fixture, const char *user, const char *role,
                      const char *division, const char *transition, const char *reason,
                      bool attest);

/* The same as user "official". */
int wf_fixture_act(wf_fixture_t *fixture, const char *role, const char *division,
                   const char *transition, const char *reason, bool attest);

/* The application's state now (a static buffer). */
const char *wf_fixture_state(wf_fixture_t *fixture);

/* The seated experts (not replaced), in seat order, into codes; how many. */
int wf_fixture_seated(wf_fixture_t *fixture, char codes[][16], int max);

/* kcctl panel VERB on the application as expert `expert` (ARG NULL for show). */
int wf_fixture_panel(wf_fixture_t *fixture, const char *expert, const char *verb, const char *arg,
                     const char *reason);

/* An expert's scores on the five criteria, proportional to `total` of 100. */
int wf_fixture_score(wf_fixture_t *fixture, const char *expert, int total);

/* Every seated expert declares and scores: totals 70, 97, 80, 52, 81. */
void wf_fixture_panel_scores(wf_fixture_t *fixture);

/* Up the levels to the province's expert evaluation (the panel is drawn). */
void wf_fixture_to_expert_review(wf_fixture_t *fixture);

/* On to the public notice: the panel scores, the province approves. */
void wf_fixture_to_notice(wf_fixture_t *fixture);

/* An objection to the application by a member of the public, through
 * kc-intake, with `reason`; kcctl's exit status. */
int wf_fixture_object(wf_fixture_t *fixture, const char *reason);

/* The province settles objection `id` as `outcome` (upheld, dismissed);
 * kcctl's exit status. */
int wf_fixture_settle(wf_fixture_t *fixture, long long id, const char *outcome, const char *reason);

#endif
