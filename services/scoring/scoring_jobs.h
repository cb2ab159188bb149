/*  scoring_jobs: the queue of scoring work in PostgreSQL.
 *
 *  A request or a year whose data became complete queues a job
 *  (idempotent by key). Any kc-scoring process takes the oldest queued job
 *  with FOR UPDATE SKIP LOCKED and keeps that lock for the whole job, so
 *  two processes never work on one job, and a process that dies releases
 *  it with its connection: the next process finishes it. The run, its
 *  results, its events and the job's completion commit in that same
 *  transaction, so a job is done exactly once.
 */
#ifndef SCORING_SCORING_JOBS_H
#define SCORING_SCORING_JOBS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "kc/kc_error.h"

typedef struct {
    int64_t id;
    char state[16]; /* queued, done, failed */
    char scope_code[8];
    int year;
    char methodology[48];
    char policy[48];
    int64_t run_id; /* 0 until done */
    char input_sha256[65];
    char output_sha256[65];
    int county_count;
    int flagged_count;
    int not_evaluated_count; /* counties of the scope without data (未参评) */
    int class_flagged_count; /* counties the other total_from rule would class otherwise */
    bool force;              /* queued to score below the methodology's min_coverage */
    char error_code[64];     /* failed jobs */
    char error_message[256];
    int attempts;
    bool replayed; /* the key named an existing job */
} scoring_job_t;

typedef struct {
    const char *scope_code;
    int year;
    const char *methodology; /* "" or NULL: in force for the year */
    const char *policy;
    int robustness_draws;
    uint64_t robustness_seed;
    bool force;          /* score below the methodology's min_coverage (listing those left out) */
    const char *trigger; /* "request" or "data_complete" */
    const char *requested_by;
} scoring_job_request_t;

/* Queue a job under `key`, or find the job already queued under it. */
int scoring_jobs_enqueue(PGconn *conn, const char *key, const scoring_job_request_t *request,
                         scoring_job_t *job, kc_error_t *error);

/* Read a job and, when done, its run's summary. */
int scoring_jobs_get(PGconn *conn, int64_t job_id, scoring_job_t *job, kc_error_t *error);

/* Take the oldest queued job and do it. 1: a job was done (or failed for
 * good), 0: nothing queued, -1: the database failed (the job stays queued). */
int scoring_jobs_work_one(PGconn *conn, const char *worker, const char *node, int64_t *job_id,
                          kc_error_t *error);

#endif
