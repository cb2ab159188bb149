/*  scoring_server: the kc-scoring loop.
 *
 *  One ROUTER socket takes ScoreYear, GetScoringJob and Ping; one database
 *  connection LISTENs on kc_scoring_job, so a job queued by any process
 *  wakes every idle one; the node's event stream tells which years got new
 *  data, and a year whose data became complete queues a job by itself
 *  (scoring_trigger). Requests are answered between jobs: a job takes
 *  milliseconds for a province, about a second for the whole country.
 */
#include "scoring/scoring_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "kc/kc_bus.h"
#include "kc/kc_check.h"
#include "kc/kc_db.h"
#include "kc/kc_db_keeper.h"
#include "kc/kc_id.h"
#include "kc/kc_log.h"
#include "kc/kc_router.h"
#include "scoring/scoring_jobs.h"
#include "scoring/scoring_trigger.h"

struct scoring_server_t {
    kc_config_t config;
    void *context;
    void *router;
    kc_db_keeper_t keeper; /* healed by itself after an outage */
    scoring_trigger_t *trigger;
    char worker[96]; /* host:pid, recorded with each run */
};

/* Each new connection listens; the years whose data or rules changed while
 * it was away are looked at again, as after a rules change. */
static int s_setup(PGconn *db, void *context, kc_error_t *error)
{
    scoring_server_t *self = context;
    if (kc_db_exec(db, "LISTEN kc_scoring_job", error) ||
        kc_db_exec(db, "LISTEN kc_scoring_rules", error))
        return -1;
    if (self->trigger)
        scoring_trigger_mark_all(self->trigger, db);
    return 0;
}

scoring_server_t *scoring_server_new(const kc_config_t *config, kc_error_t *error)
{
    scoring_server_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->config = *config;
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(self->worker, sizeof self->worker, "%s:%d", host, (int)getpid());
    if (kc_router_bind(&self->context, &self->router, config->scoring_endpoint,
                       config->max_message_bytes, "scoring.endpoint", error)) {
        scoring_server_destroy(&self);
        return NULL;
    }
    kc_db_keeper_init(&self->keeper, self->config.conninfo, "kc-scoring", "kc-scoring", s_setup,
                      self);
    if (!kc_db_keeper_get(&self->keeper, error)) {
        scoring_server_destroy(&self);
        return NULL;
    }
    self->trigger = scoring_trigger_new(config, self->keeper.conn, error);
    if (!self->trigger) {
        scoring_server_destroy(&self);
        return NULL;
    }
    kc_log_notice("listening on %s as %s", config->scoring_endpoint, self->worker);
    return self;
}

void scoring_server_destroy(scoring_server_t **self_p)
{
    scoring_server_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    scoring_trigger_destroy(&self->trigger);
    kc_router_close(&self->context, &self->router);
    kc_db_keeper_close(&self->keeper);
    free(self);
    *self_p = NULL;
}

static void s_fill_reply(const scoring_job_t *job, Kc__V1__ScoringJob *reply)
{
    reply->job_id = job->id;
    reply->state = (char *)job->state;
    reply->scope_code = (char *)job->scope_code;
    reply->year = job->year;
    reply->methodology = (char *)job->methodology;
    reply->policy = (char *)job->policy;
    reply->run_id = job->run_id;
    reply->input_sha256 = (char *)job->input_sha256;
    reply->output_sha256 = (char *)job->output_sha256;
    reply->county_count = job->county_count;
    reply->flagged_count = job->flagged_count;
    reply->not_evaluated_count = job->not_evaluated_count;
    reply->class_flagged_count = job->class_flagged_count;
    reply->force = job->force;
    reply->attempts = job->attempts;
    reply->replayed = job->replayed;
    reply->error_code = (char *)job->error_code;
    reply->error_message = (char *)job->error_message;
}

/* Check a ScoreYear before it reaches the database. */
static int s_validate(const kc_envelope_t *request, kc_error_t *error)
{
    const Kc__V1__ScoreYear *score = request->score_year;
    const char *scope = score->scope_code;
    if (!*request->idempotency_key)
        return kc_error_set(error, KC_ERR_REQUIRED, "idempotency_key",
                            "a scoring request needs an idempotency key");
    if (strlen(request->idempotency_key) > 200 || kc_utf8_length(request->idempotency_key) < 0)
        return kc_error_set(error, KC_ERR_TOO_LONG, "idempotency_key",
                            "an idempotency key is 1-200 bytes of UTF-8");
    const struct {
        const char *value;
        const char *field;
    } codes[] = {{score->methodology, "score_year.methodology"},
                 {score->policy, "score_year.policy"}};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strlen(codes[i].value) > 47 ||
            strspn(codes[i].value, "abcdefghijklmnopqrstuvwxyz0123456789-._") !=
                strlen(codes[i].value))
            return kc_error_set(error, KC_ERR_INVALID_FORMAT, codes[i].field,
                                "'%.48s' is not a code (lower-case letters, digits, '-', '.', '_')",
                                codes[i].value);
    if (strlen(scope) != 6 || strspn(scope, "0123456789") != 6 ||
        (strcmp(scope + 4, "00") != 0 && strcmp(scope, "000000") != 0))
        return kc_error_set(error, KC_ERR_INVALID_FORMAT, "score_year.scope_code",
                            "scope '%.16s' is not a province, a city or 000000", scope);
    if (score->year < 2000 || score->year > 2100)
        return kc_error_set(error, KC_ERR_YEAR_OUT_OF_RANGE, "score_year.year",
                            "year %d is out of range", (int)score->year);
    if (score->robustness_draws < 0 || score->robustness_draws > 100000)
        return kc_error_set(error, KC_ERR_OUT_OF_RANGE, "score_year.robustness_draws",
                            "robustness draws must be 0..100000, not %d",
                            (int)score->robustness_draws);
    return 0;
}

static int s_handle(scoring_server_t *self, const kc_envelope_t *request, scoring_job_t *job,
                    kc_error_t *error)
{
    if (!kc_db_keeper_for_request(&self->keeper, error))
        return -1; /* refused at once: the loop connects again by itself */
    if (request->body_case == KC__V1__ENVELOPE__BODY_GET_SCORING_JOB)
        return scoring_jobs_get(self->keeper.conn, request->get_scoring_job->job_id, job, error);
    if (s_validate(request, error))
        return -1;
    const Kc__V1__ScoreYear *score = request->score_year;
    char by[160];
    snprintf(by, sizeof by, "%s@%s", request->actor ? request->actor->user_id : "",
             request->sender_node);
    scoring_job_request_t job_request = {score->scope_code,
                                         score->year,
                                         score->methodology,
                                         score->policy,
                                         score->robustness_draws,
                                         score->robustness_seed,
                                         score->force,
                                         "request",
                                         by};
    return scoring_jobs_enqueue(self->keeper.conn, request->idempotency_key, &job_request, job,
                                error);
}

static void s_reply(void *context, const void *identity, size_t identity_size, bool delimited,
                    const kc_envelope_t *request)
{
    scoring_server_t *self = context;
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    Kc__V1__ScoringJob body = KC__V1__SCORING_JOB__INIT;
    Kc__V1__Pong pong = KC__V1__PONG__INIT;
    kc_error_t error;
    kc_error_clear(&error);
    scoring_job_t job;
    char id[KC_ID_SIZE];
    kc_bus_stamp(&reply, id, self->config.node_id, NULL);
    reply.correlation_id = request->message_id;
    if (request->body_case == KC__V1__ENVELOPE__BODY_PING) {
        pong.node = self->config.node_id;
        pong.daemon = "kc-scoring";
        pong.last_event_seq = -1; /* the event log is kc-intake's */
        reply.body_case = KC__V1__ENVELOPE__BODY_PONG;
        reply.pong = &pong;
    } else if (request->body_case != KC__V1__ENVELOPE__BODY_SCORE_YEAR &&
               request->body_case != KC__V1__ENVELOPE__BODY_GET_SCORING_JOB) {
        kc_error_set(&error, KC_ERR_UNKNOWN_TYPE, "type", "kc-scoring does not take '%.64s'",
                     request->type);
    } else if (s_handle(self, request, &job, &error) == 0) {
        s_fill_reply(&job, &body);
        reply.body_case = KC__V1__ENVELOPE__BODY_SCORING_JOB;
        reply.scoring_job = &body;
    }
    if (error.code != KC_ERR_NONE) {
        kc_bus_send_error(self->router, identity, identity_size, delimited, self->config.node_id,
                          request->message_id, &error);
        kc_db_keeper_check(&self->keeper);
        return;
    }
    reply.type = (char *)kc_bus_body_name(reply.body_case);
    kc_bus_send(self->router, identity, identity_size, delimited, &reply, &error);
}

/* Read one request and answer it (kc_router refuses malformed ones). */
static void s_serve_one(scoring_server_t *self)
{
    kc_router_serve_one(self->router, self->config.node_id, s_reply, self);
}

static bool s_request_waiting(scoring_server_t *self)
{
    int events = 0;
    size_t size = sizeof events;
    zmq_getsockopt(self->router, ZMQ_EVENTS, &events, &size);
    return events & ZMQ_POLLIN;
}

/* Do queued jobs until none is left, answering requests in between. */
static void s_work(scoring_server_t *self, volatile sig_atomic_t *stop)
{
    kc_error_t error;
    while (!*stop) {
        while (s_request_waiting(self))
            s_serve_one(self);
        int64_t job_id = 0;
        if (!self->keeper.conn)
            return;
        int rc = scoring_jobs_work_one(self->keeper.conn, self->worker,
                                       kc_config_division(&self->config), &job_id, &error);
        if (rc == 0)
            return;
        if (rc < 0) {
            /* a lost connection is the outage's to log, once */
            if (!kc_db_keeper_check(&self->keeper))
                kc_log_warn("scoring job %lld left queued: %s", (long long)job_id, error.message);
            return;
        }
    }
}

static void s_drain_notifications(scoring_server_t *self)
{
    if (!kc_db_keeper_consume(&self->keeper))
        return;
    PGnotify *notify;
    while ((notify = PQnotifies(self->keeper.conn)) != NULL) {
        if (strcmp(notify->relname, "kc_scoring_rules") == 0)
            scoring_trigger_mark_all(self->trigger, self->keeper.conn);
        PQfreemem(notify);
    }
}

int scoring_server_run(scoring_server_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        kc_db_keeper_get(&self->keeper, NULL);
        zmq_pollitem_t items[2] = {{self->router, 0, ZMQ_POLLIN, 0},
                                   {NULL, kc_db_keeper_socket(&self->keeper), ZMQ_POLLIN, 0}};
        /* without a connection requests are still answered (refused at
         * once) while the keeper waits for its next try */
        if (zmq_poll(items, self->keeper.conn ? 2 : 1, kc_db_keeper_wait_ms(&self->keeper, 1000)) <
                0 &&
            zmq_errno() != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            s_serve_one(self);
        s_drain_notifications(self);
        if (self->keeper.conn)
            scoring_trigger_check(self->trigger, self->keeper.conn);
        s_work(self, stop);
    }
    kc_log_notice("stopped");
    return 0;
}
