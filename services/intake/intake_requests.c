/*  intake_requests: what kc-intake does with each request it takes — a
 *  write is validated, answered at once when it is refused or a dry run,
 *  or queued on the gathering lane; a query is answered after every write
 *  received before it is committed.
 */
#include <stdlib.h>
#include <string.h>

#include "intake/intake_internal.h"
#include "intake/validate.h"
#include "kc/kc_clock.h"
#include "kc/kc_log.h"

/* One base is filed once: a second application for the same base name in
 * the same county and programme (a re-typed form, not a retry: that would
 * carry its key) is refused with the reference of the first, which the
 * workflow returns for revision instead. */
static void s_check_not_filed(intake_server_t *self, const Kc__V1__SubmitApplication *application,
                              kc_errors_t *errors)
{
    char reference[32];
    kc_error_t error;
    if (store_find_same_application(self->lanes[0].db, application, reference, sizeof reference,
                                    &error)) {
        kc_errors_push(errors, &error);
        return;
    }
    if (!*reference)
        return;
    const char *county, *name, *organisation;
    validate_application_key(application, &county, &name, &organisation);
    bool base = application->form_case == KC__V1__SUBMIT_APPLICATION__FORM_MOUNTAIN_BASE;
    kc_error_t *duplicate = kc_errors_add(errors, KC_ERR_DUPLICATE_APPLICATION,
                                          base ? "form.base_name" : "form.subject_name",
                                          "%s '%.64s' of county '%.8s' was already submitted as %s",
                                          base ? "base" : "applicant", name, county, reference);
    if (duplicate)
        kc_error_hint(duplicate, "a revised form goes through %s, not as a new application",
                      reference);
}

/* Validate a write; 0 to queue it, -1 when it was already answered. */
static int s_validate_write(intake_server_t *self, intake_pending_t *pending, kc_errors_t *errors)
{
    const kc_envelope_t *request = pending->request;
    bool dry_run = false;
    int32_t received = 1;
    validate_header(request, errors);
    switch (request->body_case) {
    case KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS:
        validate_reports(self->catalogue, request->actor, request->submit_reports, errors);
        dry_run = request->submit_reports->dry_run;
        received = (int32_t)request->submit_reports->n_reports;
        break;
    case KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION:
        validate_application(self->catalogue, request->submit_application, errors);
        if (!errors->total)
            s_check_not_filed(self, request->submit_application, errors);
        dry_run = request->submit_application->dry_run;
        break;
    default: {
        const Kc__V1__SubmitObjection *objection = request->submit_objection;
        validate_objection(objection, errors);
        bool exists = true, on_notice = true;
        kc_error_t error;
        if (*objection->application_id &&
            store_application_exists(self->lanes[0].db, objection->application_id, &exists,
                                     &on_notice, &error))
            kc_errors_push(errors, &error);
        else if (!exists)
            kc_errors_add(errors, KC_ERR_UNKNOWN_APPLICATION, "application_id",
                          "application '%.32s' does not exist", objection->application_id);
        else if (!on_notice)
            kc_errors_add(errors, KC_ERR_NOT_ON_NOTICE, "application_id",
                          "application '%.32s' is not on public notice: objections are taken "
                          "only while its notice is open",
                          objection->application_id);
        dry_run = objection->dry_run;
    }
    }
    if (errors->total)
        return -1;
    if (dry_run) {
        Kc__V1__Accepted accepted = KC__V1__ACCEPTED__INIT;
        accepted.dry_run = true;
        accepted.received = received;
        accepted.kind = request->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS ? "reports"
                        : request->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION
                            ? "application"
                            : "objection";
        intake_reply_accepted(self, pending, &accepted);
        return -1;
    }
    return 0;
}

/* A write that no longer passes validation may be the retry of one that
 * passed and was stored (the map changed in between, say): the sender
 * must get its first answer, not a refusal of something already kept.
 * True if such an answer was sent. */
static bool s_replay(intake_server_t *self, const intake_pending_t *pending)
{
    if (!*pending->request->idempotency_key)
        return false;
    store_write_t first;
    kc_error_t error;
    int found = store_find_answer(self->lanes[0].db, pending->request, &first, &error);
    if (found < 0)
        kc_log_warn("cannot look up idempotency key: %s", error.message);
    if (found <= 0)
        return false;
    if (first.outcome)
        intake_reply_error(self, pending, &first.error);
    else
        intake_reply_accepted(self, pending, &first.accepted);
    return true;
}

static void s_take_write(intake_server_t *self, intake_pending_t *pending)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    kc_error_t error;
    /* Applications and objections use the control connection (reference
     * numbers, lookups) and must see every application before them (one
     * base is filed once): they wait until nothing is in flight. They are
     * rare. */
    if (pending->request->body_case != KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS)
        intake_quiesce(self);
    if (!intake_database_ready(self, true)) {
        kc_error_set(&error, KC_ERR_DB_UNAVAILABLE, NULL, "the database is not reachable");
        kc_error_hint(&error, "nothing was stored; send again with the same idempotency key");
        intake_reply_error(self, pending, &error);
    } else if (s_validate_write(self, pending, &errors)) {
        /* A refused write may be the retry of one still in flight: let it
         * land, so the lookup below finds it and answers the retry. */
        if (errors.total && *pending->request->idempotency_key)
            intake_quiesce(self);
        if (errors.total && !s_replay(self, pending))
            intake_reply_errors(self, pending, &errors);
    } else {
        const char *county = "";
        if (pending->request->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION) {
            const char *code, *name, *organisation;
            validate_application_key(pending->request->submit_application, &code, &name,
                                     &organisation);
            county = catalogue_division_name(self->catalogue, code, kc_clock_year());
        }
        /* Two writes touching one value cell or one key are never in the
         * database at once: the later waits for the earlier to settle. */
        for (int i = 0; i < LANES; i++)
            if (touched_conflicts(&self->lanes[i].touched, pending->request)) {
                intake_quiesce(self);
                break;
            }
        intake_lane_t *lane = &self->lanes[self->lane];
        store_write_t *write = &lane->writes[lane->count];
        const char *county_node =
            strcmp(self->config.node_level, "county") == 0 ? self->config.node_division : "";
        if (store_write_init(write, self->lanes[0].db, pending->request,
                             kc_config_division(&self->config), county_node, county, &error)) {
            store_write_release(write);
            intake_reply_error(self, pending, &error);
        } else {
            touched_add(&lane->touched, pending->request);
            lane->group[lane->count++] = *pending;
            pending->request = NULL; /* now owned by the group */
        }
    }
    kc_errors_release(&errors);
}

static void s_answer_query(intake_server_t *self, const intake_pending_t *pending)
{
    const kc_envelope_t *request = pending->request;
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    kc_error_t error;
    int rc = 0;
    if (request->body_case == KC__V1__ENVELOPE__BODY_PING) {
        Kc__V1__Pong pong = KC__V1__PONG__INIT;
        pong.node = self->config.node_id;
        pong.daemon = "kc-intake";
        /* A ping must answer even while the database is away: it asks the
         * daemon, and only uses a connection that is already there. The
         * log counts from 1, so its head's 0 means no event yet: -1, as
         * when the head cannot be read. */
        int64_t last = 0;
        pong.last_event_seq = -1;
        if (self->lanes[0].db && !self->lanes[0].in_flight &&
            store_connection_usable(self->lanes[0].db) &&
            store_last_event_seq(self->lanes[0].db, &last, &error) == 0 && last > 0)
            pong.last_event_seq = last;
        reply.body_case = KC__V1__ENVELOPE__BODY_PONG;
        reply.pong = &pong;
        intake_reply(self, pending, &reply);
        return;
    }
    if (!intake_database_ready(self, true)) {
        kc_error_set(&error, KC_ERR_DB_UNAVAILABLE, NULL, "the database is not reachable");
        intake_reply_error(self, pending, &error);
        return;
    }
    switch (request->body_case) {
    case KC__V1__ENVELOPE__BODY_GET_SUBMISSION:
        reply.body_case = KC__V1__ENVELOPE__BODY_SUBMISSION_STATUS;
        rc = store_get_submission(self->lanes[0].db, request->get_submission,
                                  &reply.submission_status, &error);
        break;
    case KC__V1__ENVELOPE__BODY_LIST_EVENTS:
        reply.body_case = KC__V1__ENVELOPE__BODY_EVENT_PAGE;
        rc = store_list_events(self->lanes[0].db, request->list_events->after_seq,
                               request->list_events->limit, &reply.event_page, &error);
        break;
    default:
        reply.body_case = KC__V1__ENVELOPE__BODY_DIVISION_LIST;
        rc = store_list_divisions(self->lanes[0].db, request->list_divisions, &reply.division_list,
                                  &error);
    }
    if (rc) {
        intake_reply_error(self, pending, &error);
        return;
    }
    intake_reply(self, pending, &reply);
    reply.message_id = reply.type = reply.sender_node = reply.correlation_id = NULL;
    /* Only the body is heap-owned; free it through its own descriptor. */
    protobuf_c_message_free_unpacked((ProtobufCMessage *)reply.submission_status, NULL);
}

void intake_dispatch(intake_server_t *self, intake_pending_t *pending)
{
    switch (pending->request->body_case) {
    case KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS:
    case KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION:
    case KC__V1__ENVELOPE__BODY_SUBMIT_OBJECTION:
        s_take_write(self, pending);
        return;
    case KC__V1__ENVELOPE__BODY_GET_SUBMISSION:
    case KC__V1__ENVELOPE__BODY_LIST_EVENTS:
    case KC__V1__ENVELOPE__BODY_LIST_DIVISIONS:
    case KC__V1__ENVELOPE__BODY_PING:
        intake_quiesce(self); /* a query sees every write received before it */
        s_answer_query(self, pending);
        return;
    default: {
        kc_error_t error;
        kc_error_set(&error, KC_ERR_UNKNOWN_TYPE, "type", "'%s' is not a request kc-intake takes",
                     kc_bus_body_name(pending->request->body_case));
        intake_reply_error(self, pending, &error);
    }
    }
}
