/*  cmd_query: kcctl's read-only commands — status, divisions, events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "kc/kc_clock.h"
#include "kcctl/kcctl.h"

static void s_print_time(int64_t ms)
{
    char stamp[32];
    kc_clock_format(ms, stamp, sizeof stamp);
    printf("%s", stamp);
}

static void s_print_status(const Kc__V1__SubmissionStatus *status)
{
    const Kc__V1__Accepted *answer = status->answer;
    printf("submission %lld: %s %s\n", (long long)status->submission_id, status->kind,
           status->status);
    printf("  key        %s\n", status->idempotency_key);
    printf("  received   ");
    s_print_time(status->received_at_ms);
    printf(" from node %s\n", status->sender_node);
    if (status->actor)
        printf("  actor      %s (%s, %s%s%s)\n", status->actor->user_id, status->actor->role,
               status->actor->division_code, *status->actor->organisation ? ", " : "",
               status->actor->organisation);
    if (answer && strcmp(status->kind, "reports") == 0)
        printf("  values     %d received, %d new revision%s, %d unchanged\n", answer->received,
               answer->stored, answer->stored == 1 ? "" : "s", answer->unchanged);
    if (answer && *answer->application_id)
        printf("  application %s\n", answer->application_id);
    if (answer)
        printf("  event      %lld\n", (long long)answer->event_seq);
    if (status->n_history)
        printf("  history of the values it stored (revision, value, submission, current):\n");
    for (size_t i = 0; i < status->n_history; i++) {
        const Kc__V1__ValueRevision *revision = status->history[i];
        printf("    %s %d %-4s r%-3d %-14.10g #%-6lld %s\n", revision->county_code, revision->year,
               revision->indicator_code, revision->revision, revision->value,
               (long long)revision->submission_id, revision->current ? "current" : "replaced");
    }
    if (status->history_truncated)
        printf("    ... more revisions not shown\n");
}

int kcctl_status(kcctl_t *self)
{
    bool by_key = self->positional_count == 0 && self->key_given;
    if (self->positional_count != 1 && !by_key) {
        fprintf(stderr, "usage: kcctl status SUBMISSION_ID|KEY | kcctl status --key KEY\n");
        return -1;
    }
    Kc__V1__GetSubmission query = KC__V1__GET_SUBMISSION__INIT;
    char *end = NULL;
    const char *word = by_key ? self->key : self->positional[0];
    long long id = by_key ? 0 : strtoll(word, &end, 10);
    if (!by_key && end && *end == '\0' && id > 0)
        query.submission_id = id;
    else
        query.idempotency_key = (char *)word;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    request.body_case = KC__V1__ENVELOPE__BODY_GET_SUBMISSION;
    request.get_submission = &query;
    if (kcctl_call(self, &request, KC__V1__ENVELOPE__BODY_SUBMISSION_STATUS, &reply, NULL, NULL))
        return -1;
    s_print_status(reply->submission_status);
    kc_bus_free(&reply);
    return 0;
}

int kcctl_divisions(kcctl_t *self)
{
    Kc__V1__ListDivisions query = KC__V1__LIST_DIVISIONS__INIT;
    query.parent_code = (char *)(self->positional_count ? self->positional[0] : "");
    query.year = self->year;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    request.body_case = KC__V1__ENVELOPE__BODY_LIST_DIVISIONS;
    request.list_divisions = &query;
    if (kcctl_call(self, &request, KC__V1__ENVELOPE__BODY_DIVISION_LIST, &reply, NULL, NULL))
        return -1;
    const Kc__V1__DivisionList *list = reply->division_list;
    static const char *const levels[] = {"", "province", "city", "county", "town"};
    for (size_t i = 0; i < list->n_divisions; i++) {
        const Kc__V1__Division *division = list->divisions[i];
        int level = division->level >= 1 && division->level <= 4 ? division->level : 0;
        printf("%s  %s  %s%s", division->code, division->name, levels[level],
               division->is_zone ? " (development zone)" : "");
        if (*division->valid_from || *division->valid_to)
            printf("  valid %s to %s", *division->valid_from ? division->valid_from : "…",
                   *division->valid_to ? division->valid_to : "now");
        if (division->n_successors)
            printf("  succeeded by %s", division->successors[0]);
        printf("\n");
    }
    printf("%zu division%s\n", list->n_divisions, list->n_divisions == 1 ? "" : "s");
    kc_bus_free(&reply);
    return 0;
}

static void s_print_event(const Kc__V1__Event *event)
{
    printf("%6lld  ", (long long)event->seq);
    s_print_time(event->occurred_at_ms);
    printf("  %-20s", event->type);
    if (event->submission_id)
        printf(" submission %lld", (long long)event->submission_id);
    if (event->payload_case == KC__V1__EVENT__PAYLOAD_REPORTS_SUBMITTED)
        printf("  %s: %d value%s, %d count%s", event->reports_submitted->provider,
               event->reports_submitted->received,
               event->reports_submitted->received == 1 ? "" : "s",
               event->reports_submitted->county_count,
               event->reports_submitted->county_count == 1 ? "y" : "ies");
    else if (event->payload_case == KC__V1__EVENT__PAYLOAD_APPLICATION_SUBMITTED)
        printf("  %s %s", event->application_submitted->application_id,
               event->application_submitted->title);
    else if (event->payload_case == KC__V1__EVENT__PAYLOAD_OBJECTION_SUBMITTED)
        printf("  objection %lld to %s", (long long)event->objection_submitted->objection_id,
               event->objection_submitted->application_id);
    else if (event->payload_case == KC__V1__EVENT__PAYLOAD_APPLICATION_MOVED)
        printf("  %s %s: %s -> %s by %s %s", event->application_moved->application_ref,
               event->application_moved->transition, event->application_moved->from_state,
               event->application_moved->to_state, event->application_moved->role,
               event->application_moved->division_code);
    else if (event->payload_case == KC__V1__EVENT__PAYLOAD_SCORING_RESULTS_READY)
        printf("  run %lld: %s %d, A %d B %d C %d", (long long)event->scoring_results_ready->run_id,
               event->scoring_results_ready->scope_code, event->scoring_results_ready->year,
               event->scoring_results_ready->class_a, event->scoring_results_ready->class_b,
               event->scoring_results_ready->class_c);
    else if (event->payload_case == KC__V1__EVENT__PAYLOAD_REWARDS_COMPUTED)
        printf("  run %lld: %d counties, %d 万元", (long long)event->rewards_computed->run_id,
               event->rewards_computed->awarded_counties, event->rewards_computed->total_amount);
    else if (event->payload_case == KC__V1__EVENT__PAYLOAD_RATINGS_SUBMITTED)
        printf("  %d: %d ratings", event->ratings_submitted->year, event->ratings_submitted->count);
    printf("\n");
}

int kcctl_events(kcctl_t *self)
{
    int64_t after = self->after;
    for (;;) {
        Kc__V1__ListEvents query = KC__V1__LIST_EVENTS__INIT;
        query.after_seq = after;
        kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
        request.body_case = KC__V1__ENVELOPE__BODY_LIST_EVENTS;
        request.list_events = &query;
        if (kcctl_call(self, &request, KC__V1__ENVELOPE__BODY_EVENT_PAGE, &reply, NULL, NULL))
            return -1;
        const Kc__V1__EventPage *page = reply->event_page;
        for (size_t i = 0; i < page->n_events; i++) {
            s_print_event(page->events[i]);
            after = page->events[i]->seq;
        }
        bool more = page->n_events > 0 && after < page->last_seq;
        kc_bus_free(&reply);
        if (more)
            continue;
        if (!self->follow)
            return 0;
        fflush(stdout);
        zmq_sleep(1); /* --follow polls the log once a second; a subscriber would use PUB */
    }
}
