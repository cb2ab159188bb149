/*  store: group commit of validated writes through libpq's pipeline mode.
 *
 *  Each write becomes one call of a SQL function (deploy/sql/0003_intake.sql)
 *  that claims the idempotency key, stores the rows, appends the event and
 *  returns the answer, or returns the first answer again for a retry. The
 *  functions keep every dependent step on the server, so a whole group
 *  needs no round trip between its writes.
 */
#include "intake/store.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/report_group.h"
#include "intake/validate.h"
#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_json.h"

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"store_application", "SELECT * FROM intake_store_application($1, $2, $3, $4, $5, $6, $7,"
                          " $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17, $18)"},
    {"store_objection", "SELECT * FROM intake_store_objection($1, $2, $3, $4, $5, $6, $7, $8,"
                        " $9::bigint, $10, $11, $12, $13, $14, $15, $16, $17)"},
};

int store_prepare(PGconn *conn, kc_error_t *error)
{
    PGresult *group = PQprepare(conn, "store_report_group", report_group_sql, 0, NULL);
    int failed = kc_db_check(conn, group, "preparing intake statements", error);
    PQclear(group);
    if (failed)
        return -1;
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++) {
        PGresult *result = PQprepare(conn, s_statements[i].name, s_statements[i].sql, 0, NULL);
        int rc = kc_db_check(conn, result, "preparing intake statements", error);
        PQclear(result);
        if (rc)
            return -1;
    }
    return 0;
}

static uint8_t *s_pack(const ProtobufCMessage *message, size_t *size)
{
    *size = protobuf_c_message_get_packed_size(message);
    uint8_t *bytes = malloc(*size ? *size : 1);
    if (!bytes)
        abort();
    protobuf_c_message_pack(message, bytes);
    return bytes;
}

static char *s_dup(const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy)
        abort();
    return copy;
}

static int s_draw_number(PGconn *conn, const char *sql, long long *number, kc_error_t *error)
{
    PGresult *result = PQexec(conn, sql);
    int rc = kc_db_check(conn, result, "drawing a reference number", error);
    if (!rc)
        *number = kc_db_int(result, 0, 0);
    PQclear(result);
    return rc;
}

static int s_compare_ints(const void *left, const void *right)
{
    int a = *(const int *)left, b = *(const int *)right;
    return (a > b) - (a < b);
}

/* The ReportsSubmitted payload: provider, counts, the years and how many
 * counties the batch touched. */
static void s_reports_event(store_write_t *write, const Kc__V1__SubmitReports *request)
{
    size_t count = request->n_reports;
    int *years = malloc((count ? count : 1) * sizeof *years);
    char(*counties)[8] = malloc((count ? count : 1) * sizeof *counties);
    if (!years || !counties)
        abort();
    for (size_t i = 0; i < count; i++) {
        years[i] = request->reports[i]->year;
        snprintf(counties[i], sizeof counties[i], "%s", request->reports[i]->county_code);
    }
    qsort(years, count, sizeof *years, s_compare_ints);
    qsort(counties, count, sizeof *counties, (int (*)(const void *, const void *))strcmp);
    size_t distinct_years = 0, distinct_counties = 0;
    for (size_t i = 0; i < count; i++) {
        if (i == 0 || years[i] != years[distinct_years - 1])
            years[distinct_years++] = years[i];
        if (i == 0 || strcmp(counties[i], counties[i - 1]) != 0)
            distinct_counties++;
    }
    Kc__V1__ReportsSubmitted event = KC__V1__REPORTS_SUBMITTED__INIT;
    event.provider = request->provider;
    event.received = (int32_t)count;
    event.n_years = distinct_years;
    event.years = years;
    event.county_count = (int32_t)distinct_counties;
    write->event_type = s_dup("ReportsSubmitted");
    write->event_payload = s_pack(&event.base, &write->event_size);
    free(years);
    free(counties);
}

int store_write_init(store_write_t *write, PGconn *conn, const kc_envelope_t *request,
                     const char *node, const char *county_node, const char *county_name,
                     kc_error_t *error)
{
    memset(write, 0, sizeof *write);
    write->request = request;
    write->node = node;
    kc__v1__accepted__init(&write->accepted);
    long long number = 0;
    switch (request->body_case) {
    case KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS:
        s_reports_event(write, request->submit_reports);
        return 0;
    case KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION: {
        const Kc__V1__SubmitApplication *application = request->submit_application;
        const char *county, *name, *organisation;
        validate_application_key(application, &county, &name, &organisation);
        if (s_draw_number(conn, "SELECT nextval('application_number')", &number, error))
            return -1;
        /* a county node's numbers carry its county: unique across the
         * federation, whichever node the application travels to */
        snprintf(write->reference, sizeof write->reference, "%s-%d-%s%s%06lld",
                 validate_application_prefix(application->programme), kc_clock_year(), county_node,
                 *county_node ? "-" : "", number);
        const ProtobufCMessage *form;
        if (application->form_case == KC__V1__SUBMIT_APPLICATION__FORM_MOUNTAIN_BASE) {
            /* known by the base's own name until filing grants the
             * designation (seed 000: "省级备案……备案为……") */
            snprintf(write->title, sizeof write->title, "%s",
                     application->mountain_base->base_name);
            validate_filing_title(county_name, application->mountain_base->industry,
                                  write->designation, sizeof write->designation);
            form = &application->mountain_base->base;
        } else {
            snprintf(write->title, sizeof write->title, "%s", application->programme_form->title);
            form = &application->programme_form->base;
        }
        json_object *json = kc_json_from_message(form);
        write->form_json = s_dup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN));
        json_object_put(json);
        Kc__V1__ApplicationSubmitted event = KC__V1__APPLICATION_SUBMITTED__INIT;
        event.application_id = write->reference;
        event.programme = request->submit_application->programme;
        event.county_code = (char *)county;
        event.title = write->title;
        write->event_type = s_dup("ApplicationSubmitted");
        write->event_payload = s_pack(&event.base, &write->event_size);
        return 0;
    }
    case KC__V1__ENVELOPE__BODY_SUBMIT_OBJECTION: {
        if (s_draw_number(conn, "SELECT nextval('objection_id_seq')", &number, error))
            return -1;
        write->objection_id = number;
        Kc__V1__ObjectionSubmitted event = KC__V1__OBJECTION_SUBMITTED__INIT;
        event.objection_id = number;
        event.application_id = request->submit_objection->application_id;
        write->event_type = s_dup("ObjectionSubmitted");
        write->event_payload = s_pack(&event.base, &write->event_size);
        return 0;
    }
    default:
        return kc_error_set(error, KC_ERR_INTERNAL, NULL, "'%s' is not a write",
                            kc_bus_body_name(request->body_case));
    }
}

void store_write_release(store_write_t *write)
{
    free(write->form_json);
    free(write->event_type);
    free(write->event_payload);
    write->form_json = NULL;
    write->event_type = NULL;
    write->event_payload = NULL;
}

/* Parameters of one write's function call: the common header first. */
typedef struct {
    const char *values[18];
    int lengths[18];
    int formats[18];
    int count;
    uint8_t *body; /* packed request body, hashed by the database */
    char number[24];
} s_params_t;

static void s_param(s_params_t *self, const char *value)
{
    self->values[self->count] = value;
    self->lengths[self->count] = 0;
    self->formats[self->count] = 0;
    self->count++;
}

static void s_param_bytes(s_params_t *self, const uint8_t *bytes, size_t size)
{
    self->values[self->count] = (const char *)bytes;
    self->lengths[self->count] = (int)size;
    self->formats[self->count] = 1;
    self->count++;
}

static void s_params_header(s_params_t *self, const kc_envelope_t *request,
                            const ProtobufCMessage *body)
{
    size_t size = 0;
    self->body = s_pack(body, &size);
    s_param(self, request->idempotency_key);
    s_param_bytes(self, self->body, size);
    s_param(self, request->message_id);
    s_param(self, request->sender_node);
    s_param(self, request->actor->user_id);
    s_param(self, request->actor->role);
    s_param(self, request->actor->division_code);
    s_param(self, request->actor->organisation);
}

static const char *s_params_build(s_params_t *self, const store_write_t *write)
{
    const kc_envelope_t *request = write->request;
    memset(self, 0, sizeof *self);
    switch (request->body_case) {
    case KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION: {
        const Kc__V1__SubmitApplication *application = request->submit_application;
        s_params_header(self, request, &application->base);
        s_param(self, write->reference);
        s_param(self, application->programme);
        const char *county, *name, *organisation;
        validate_application_key(application, &county, &name, &organisation);
        s_param(self, county);
        s_param(self, write->title);
        s_param(self, name);
        s_param(self, organisation);
        s_param(self, write->form_json);
        s_param_bytes(self, write->event_payload, write->event_size);
        s_param(self, write->node);
        s_param(self, write->designation);
        return "store_application";
    }
    default: {
        const Kc__V1__SubmitObjection *objection = request->submit_objection;
        s_params_header(self, request, &objection->base);
        snprintf(self->number, sizeof self->number, "%lld", (long long)write->objection_id);
        s_param(self, self->number);
        s_param(self, objection->application_id);
        s_param(self, objection->objector_name);
        s_param(self, objection->objector_organisation);
        s_param(self, objection->phone);
        s_param(self, objection->email);
        s_param(self, objection->reason);
        s_param_bytes(self, write->event_payload, write->event_size);
        s_param(self, write->node);
        return "store_objection";
    }
    }
}

static void s_params_release(s_params_t *self)
{
    free(self->body);
}

/* Read one write's answer from `row` of `result`, its eleven columns
 * starting at `first` (submission_id, replayed, hash_matches, kind,
 * received, stored, unchanged, application_ref, objection_id, event_seq,
 * committed_ms). */
static void s_take_answer(store_write_t *write, const PGresult *result, int row, int first)
{
    Kc__V1__Accepted *accepted = &write->accepted;
    write->replayed = PQgetvalue(result, row, first + 1)[0] == 't';
    if (PQgetvalue(result, row, first + 2)[0] != 't') {
        write->outcome = kc_error_set(&write->error, KC_ERR_KEY_REUSED, "idempotency_key",
                                      "idempotency key '%.64s' was used for another request",
                                      write->request->idempotency_key);
        kc_error_detail(&write->error, "submission %s was stored under it",
                        PQgetvalue(result, row, first));
        kc_error_hint(&write->error, "use a new key for a new request; retries keep theirs");
        return;
    }
    const char *kind = PQgetvalue(result, row, first + 3);
    accepted->submission_id = kc_db_int(result, row, first);
    accepted->replayed = write->replayed;
    accepted->kind = strcmp(kind, "reports") == 0       ? "reports"
                     : strcmp(kind, "application") == 0 ? "application"
                                                        : "objection";
    accepted->received = (int32_t)kc_db_int(result, row, first + 4);
    accepted->stored = (int32_t)kc_db_int(result, row, first + 5);
    accepted->unchanged = (int32_t)kc_db_int(result, row, first + 6);
    snprintf(write->answer_ref, sizeof write->answer_ref, "%s", PQgetvalue(result, row, first + 7));
    accepted->application_id = write->answer_ref;
    accepted->objection_id = kc_db_int(result, row, first + 8);
    accepted->event_seq = kc_db_int(result, row, first + 9);
    accepted->committed_at_ms = kc_db_int(result, row, first + 10);
    write->outcome = 0;
}

/* Collect the results of one pipelined query: its result, then NULL.
 * Returns the result (to PQclear) or NULL if the connection failed. */
static PGresult *s_next_result(PGconn *conn)
{
    PGresult *result = PQgetResult(conn);
    if (!result)
        return NULL;
    PGresult *end = PQgetResult(conn);
    if (end) {
        /* A query returns one result set here; anything more is a protocol
         * surprise, reported as the failure of that query. */
        PQclear(end);
    }
    return result;
}

/* The writes of a group in the order the pipeline answers them: every
 * report write first (one statement for all), then the others one by one. */
typedef struct {
    store_write_t **reports;
    size_t report_count;
    store_write_t **others;
    size_t other_count;
} s_plan_t;

static void s_plan(s_plan_t *plan, store_write_t *writes, size_t count)
{
    plan->reports = malloc((count ? count : 1) * sizeof *plan->reports);
    plan->others = malloc((count ? count : 1) * sizeof *plan->others);
    if (!plan->reports || !plan->others)
        abort();
    plan->report_count = plan->other_count = 0;
    for (size_t i = 0; i < count; i++) {
        if (writes[i].request->body_case == KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS)
            plan->reports[plan->report_count++] = &writes[i];
        else
            plan->others[plan->other_count++] = &writes[i];
    }
}

static int s_pipeline_send(PGconn *conn, const s_plan_t *plan, const char *node, kc_error_t *error)
{
    int sent = PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
    if (sent && plan->report_count) {
        report_group_t group;
        report_group_build(&group, plan->reports, plan->report_count, node);
        sent = PQsendQueryPrepared(conn, "store_report_group", REPORT_GROUP_PARAMS, group.values,
                                   NULL, NULL, 0);
        report_group_release(&group);
    }
    for (size_t i = 0; sent && i < plan->other_count; i++) {
        s_params_t params;
        const char *statement = s_params_build(&params, plan->others[i]);
        sent = PQsendQueryPrepared(conn, statement, params.count, params.values, params.lengths,
                                   params.formats, 0);
        s_params_release(&params);
    }
    if (!sent || !PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ||
        !PQpipelineSync(conn))
        return kc_error_set(error, KC_ERR_DB_UNAVAILABLE, NULL, "cannot send to the database: %s",
                            PQerrorMessage(conn));
    return 0;
}

/* Map the rows of the group statement to their writes by ordinal. A
 * write the statement did not answer stays refused: nothing is accepted
 * without its row. */
static void s_take_group(const s_plan_t *plan, const PGresult *result)
{
    for (size_t i = 0; i < plan->report_count; i++)
        plan->reports[i]->outcome = kc_error_set(&plan->reports[i]->error, KC_ERR_INTERNAL, NULL,
                                                 "the database gave no answer for this write");
    for (int row = 0; row < PQntuples(result); row++) {
        long long ordinal = kc_db_int(result, row, 0);
        if (ordinal >= 1 && (size_t)ordinal <= plan->report_count)
            s_take_answer(plan->reports[ordinal - 1], result, row, 1);
    }
}

/* Read BEGIN, the group, one result per other write, COMMIT and the sync
 * point. Sets *committed once COMMIT is confirmed: from then on the writes
 * are durable and nothing that fails later may say otherwise. */
static int s_pipeline_receive(PGconn *conn, const s_plan_t *plan, kc_error_t *error,
                              bool *committed)
{
    size_t group = plan->report_count ? 1 : 0;
    size_t results = 2 + group + plan->other_count;
    int rc = 0;
    for (size_t i = 0; i < results; i++) {
        PGresult *result = s_next_result(conn);
        if (!result) {
            if (rc == 0) {
                kc_error_set(error, KC_ERR_DB_UNAVAILABLE, NULL,
                             "database connection lost before the commit was confirmed");
                kc_error_hint(error, "send again with the same idempotency key: a write that "
                                     "was stored is answered, never stored twice");
            }
            return -1;
        }
        bool last = i == results - 1;
        const char *what = i == 0 ? "BEGIN" : last ? "COMMIT" : "storing a write";
        if (rc == 0 && kc_db_check(conn, result, what, error))
            rc = -1;
        else if (rc == 0 && group && i == 1)
            s_take_group(plan, result);
        else if (rc == 0 && i > group && !last)
            s_take_answer(plan->others[i - 1 - group], result, 0, 0);
        else if (rc == 0 && last)
            *committed = true;
        PQclear(result);
    }
    PGresult *sync = PQgetResult(conn);
    if ((!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) && rc == 0 && !*committed)
        rc = kc_error_set(error, KC_ERR_DB_UNAVAILABLE, NULL, "database pipeline lost its sync");
    PQclear(sync);
    return rc;
}

/* After a failure: no write of the group stands; leave the connection
 * idle if it can be, else store_connection_usable says to drop it. */
static void s_abandon(PGconn *conn, store_write_t *writes, size_t count)
{
    for (size_t i = 0; i < count; i++)
        writes[i].outcome = -1;
    if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF)
        PQexitPipelineMode(conn); /* fails while results are pending */
    if (PQpipelineStatus(conn) == PQ_PIPELINE_OFF && !kc_db_is_lost(conn) &&
        PQtransactionStatus(conn) != PQTRANS_IDLE) {
        PGresult *rollback = PQexec(conn, "ROLLBACK");
        PQclear(rollback);
    }
}

int store_group_send(PGconn *conn, store_write_t *writes, size_t count, kc_error_t *error)
{
    if (!PQenterPipelineMode(conn))
        return kc_error_set(error, KC_ERR_DB_UNAVAILABLE, NULL, "cannot enter pipeline mode: %s",
                            PQerrorMessage(conn));
    s_plan_t plan;
    s_plan(&plan, writes, count);
    int rc = s_pipeline_send(conn, &plan, writes[0].node, error);
    free(plan.reports);
    free(plan.others);
    if (rc)
        s_abandon(conn, writes, count);
    return rc;
}

int store_group_finish(PGconn *conn, store_write_t *writes, size_t count, kc_error_t *error)
{
    bool committed = false;
    s_plan_t plan;
    s_plan(&plan, writes, count);
    int rc = s_pipeline_receive(conn, &plan, error, &committed);
    free(plan.reports);
    free(plan.others);
    if (rc)
        s_abandon(conn, writes, count);
    else if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF)
        PQexitPipelineMode(conn); /* if this fails, the connection is dropped, the writes stand */
    return rc;
}

int store_commit_group(PGconn *conn, store_write_t *writes, size_t count, kc_error_t *error)
{
    if (store_group_send(conn, writes, count, error))
        return -1;
    return store_group_finish(conn, writes, count, error);
}

bool store_connection_usable(PGconn *conn)
{
    return !kc_db_is_lost(conn) && PQpipelineStatus(conn) == PQ_PIPELINE_OFF &&
           PQtransactionStatus(conn) == PQTRANS_IDLE;
}

int store_application_exists(PGconn *conn, const char *reference, bool *exists, bool *on_notice,
                             kc_error_t *error)
{
    const char *values[] = {reference};
    PGresult *result =
        PQexecParams(conn, "SELECT workflow_notice_open(id) FROM application WHERE ref = $1", 1,
                     NULL, values, NULL, NULL, 0);
    int rc = kc_db_check(conn, result, "looking up the application", error);
    if (!rc) {
        *exists = PQntuples(result) > 0;
        *on_notice = *exists && PQgetvalue(result, 0, 0)[0] == 't';
    }
    PQclear(result);
    return rc;
}

/* The body of a write, whose packed bytes are hashed to recognise a retry. */
static const ProtobufCMessage *s_body(const kc_envelope_t *request)
{
    switch (request->body_case) {
    case KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS:
        return &request->submit_reports->base;
    case KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION:
        return &request->submit_application->base;
    case KC__V1__ENVELOPE__BODY_SUBMIT_OBJECTION:
        return &request->submit_objection->base;
    default:
        return NULL;
    }
}

int store_find_answer(PGconn *conn, const kc_envelope_t *request, store_write_t *write,
                      kc_error_t *error)
{
    const ProtobufCMessage *body = s_body(request);
    if (!body || !*request->idempotency_key)
        return 0;
    size_t size = 0;
    uint8_t *bytes = s_pack(body, &size);
    const char *values[] = {request->idempotency_key, (const char *)bytes};
    int lengths[] = {0, (int)size};
    int formats[] = {0, 1};
    PGresult *result =
        PQexecParams(conn,
                     "SELECT a.* FROM submission s,"
                     "       intake_answer(s.id, true, s.request_hash = sha256($2::bytea)) a"
                     " WHERE s.idempotency_key = $1",
                     2, NULL, values, lengths, formats, 0);
    free(bytes);
    int found = 0;
    if (kc_db_check(conn, result, "looking up the idempotency key", error))
        found = -1;
    else if (PQntuples(result) == 1) {
        memset(write, 0, sizeof *write);
        write->request = request;
        kc__v1__accepted__init(&write->accepted);
        s_take_answer(write, result, 0, 0);
        found = 1;
    }
    PQclear(result);
    return found;
}

int store_find_same_application(PGconn *conn, const Kc__V1__SubmitApplication *application,
                                char *reference, size_t size, kc_error_t *error)
{
    const char *county, *name, *organisation;
    validate_application_key(application, &county, &name, &organisation);
    const char *values[] = {application->programme, county, name};
    PGresult *result = PQexecParams(conn,
                                    "SELECT ref FROM application WHERE programme = $1"
                                    " AND county_code = $2 AND base_name = $3 ORDER BY id LIMIT 1",
                                    3, NULL, values, NULL, NULL, 0);
    int rc = kc_db_check(conn, result, "looking for the same application", error);
    snprintf(reference, size, "%s", rc == 0 && PQntuples(result) ? PQgetvalue(result, 0, 0) : "");
    PQclear(result);
    return rc;
}
