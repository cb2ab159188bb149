/*  scoring_jobs: queue, read and do scoring jobs (see scoring_jobs.h). */
#include "scoring/scoring_jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/kc_db.h"
#include "kc/kc_log.h"
#include "scoring/run.h"
#include "scoring/scoring_db.h"

#define JOB_ATTEMPTS_MAX 5 /* a job that kills five processes is failed, not retried forever */

static void s_copy(char *out, size_t size, const PGresult *result, int column)
{
    snprintf(out, size, "%s", PQgetvalue(result, 0, column));
}

/* The end of queueing: COMMIT a forced job's transaction (ROLLBACK on
 * failure); `rc` passed on, -1 when the COMMIT fails. */
static int s_end_enqueue(PGconn *conn, bool force, int rc, kc_error_t *error)
{
    if (!force)
        return rc;
    if (rc != 0) {
        PGresult *rollback = PQexec(conn, "ROLLBACK");
        PQclear(rollback);
        return rc;
    }
    return kc_db_exec(conn, "COMMIT", error);
}

int scoring_jobs_enqueue(PGconn *conn, const char *key, const scoring_job_request_t *request,
                         scoring_job_t *job, kc_error_t *error)
{
    char year[16], draws[16], seed[24];
    snprintf(year, sizeof year, "%d", request->year);
    snprintf(draws, sizeof draws, "%d", request->robustness_draws);
    /* bigint is signed: the seed's 64 bits travel as their two's complement */
    snprintf(seed, sizeof seed, "%lld", (long long)request->robustness_seed);
    const char *params[9] = {key,
                             request->scope_code,
                             year,
                             request->methodology ? request->methodology : "",
                             request->policy ? request->policy : "",
                             draws,
                             seed,
                             request->trigger,
                             request->requested_by};
    PGresult *result = NULL;
    /* A forced job is marked in the transaction that queues it, so no
     * worker sees it unmarked (the wake-up is sent at commit). A replay
     * keeps the job as first queued, forced or not. */
    if (request->force && kc_db_exec(conn, "BEGIN", error))
        return -1;
    if (kc_db_run(conn,
                  "SELECT job_id, replayed FROM scoring_job_enqueue($1,$2,$3,$4,$5,$6,$7,$8,$9)", 9,
                  params, NULL, NULL, "queueing the job", &result, error))
        return s_end_enqueue(conn, request->force, -1, error);
    int64_t id = kc_db_int(result, 0, 0);
    bool replayed = PQgetvalue(result, 0, 1)[0] == 't';
    PQclear(result);
    char id_text[24];
    snprintf(id_text, sizeof id_text, "%lld", (long long)id);
    const char *id_params[1] = {id_text};
    if (request->force && !replayed &&
        kc_db_run(conn, "UPDATE scoring_job SET force = true WHERE id = $1::bigint", 1, id_params,
                  NULL, NULL, "marking the job forced", NULL, error))
        return s_end_enqueue(conn, true, -1, error);
    if (s_end_enqueue(conn, request->force, 0, error))
        return -1;
    if (scoring_jobs_get(conn, id, job, error))
        return -1;
    job->replayed = replayed;
    return 0;
}

static const char *s_get_sql =
    "SELECT j.id, j.state, j.scope_code, j.year, j.methodology, j.policy, coalesce(r.id, 0),"
    "       coalesce(r.input_sha256, ''), coalesce(r.output_sha256, ''),"
    "       coalesce(r.county_count, 0), coalesce(r.flagged_count, 0),"
    "       coalesce(j.error_code, ''), coalesce(j.error_message, ''), j.attempts,"
    "       coalesce(cardinality(r.not_evaluated), 0), coalesce(r.class_flagged_count, 0), j.force"
    "  FROM scoring_job j LEFT JOIN scoring_run r ON r.job_id = j.id WHERE j.id = $1";

int scoring_jobs_get(PGconn *conn, int64_t job_id, scoring_job_t *job, kc_error_t *error)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)job_id);
    const char *params[1] = {id};
    PGresult *result = NULL;
    if (kc_db_run(conn, s_get_sql, 1, params, NULL, NULL, "reading the job", &result, error))
        return -1;
    memset(job, 0, sizeof *job);
    if (PQntuples(result) != 1) {
        PQclear(result);
        return kc_error_set(error, KC_ERR_NOT_FOUND, "job_id", "scoring job %lld does not exist",
                            (long long)job_id);
    }
    job->id = kc_db_int(result, 0, 0);
    s_copy(job->state, sizeof job->state, result, 1);
    s_copy(job->scope_code, sizeof job->scope_code, result, 2);
    job->year = (int)kc_db_int(result, 0, 3);
    s_copy(job->methodology, sizeof job->methodology, result, 4);
    s_copy(job->policy, sizeof job->policy, result, 5);
    job->run_id = kc_db_int(result, 0, 6);
    s_copy(job->input_sha256, sizeof job->input_sha256, result, 7);
    s_copy(job->output_sha256, sizeof job->output_sha256, result, 8);
    job->county_count = (int)kc_db_int(result, 0, 9);
    job->flagged_count = (int)kc_db_int(result, 0, 10);
    s_copy(job->error_code, sizeof job->error_code, result, 11);
    s_copy(job->error_message, sizeof job->error_message, result, 12);
    job->attempts = (int)kc_db_int(result, 0, 13);
    job->not_evaluated_count = (int)kc_db_int(result, 0, 14);
    job->class_flagged_count = (int)kc_db_int(result, 0, 15);
    job->force = PQgetvalue(result, 0, 16)[0] == 't';
    PQclear(result);
    return 0;
}

static int s_fail(PGconn *conn, const char *id, const kc_error_t *why, kc_error_t *error)
{
    const char *params[3] = {id, kc_error_code_name(why->code), why->message};
    kc_log_warn("scoring job %s failed: %s", id, why->message);
    return kc_db_run(conn,
                     "UPDATE scoring_job SET state = 'failed', finished_at = now(),"
                     " error_code = $2, error_message = $3 WHERE id = $1 AND state = 'queued'",
                     3, params, NULL, NULL, "failing the job", NULL, error);
}

static long long s_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Score the job whose row this transaction holds. -1 only when the
 * database failed; a job that cannot be scored is failed in `why`. */
static int s_score(PGconn *conn, const PGresult *job, const char *worker, const char *node,
                   kc_error_t *why, kc_error_t *error)
{
    long long started = s_now_ms();
    static sc_methodology_t m; /* large; one job at a time per process */
    sc_reward_policy_t policy;
    sc_snapshot_t snapshot;
    sc_run_t run;
    memset(&run, 0, sizeof run);
    memset(&snapshot, 0, sizeof snapshot);
    int64_t run_id = 0;
    int rc = 0;
    if (scoring_db_load_rules(conn, PQgetvalue(job, 0, 2), &m, snapshot.methodology_sha256,
                              PQgetvalue(job, 0, 3), &policy, snapshot.policy_sha256, why) ||
        scoring_db_read_snapshot(conn, &m, PQgetvalue(job, 0, 0),
                                 (int)strtol(PQgetvalue(job, 0, 1), NULL, 10), &snapshot, why))
        goto out;
    snprintf(snapshot.methodology_code, sizeof snapshot.methodology_code, "%s", m.code);
    snprintf(snapshot.policy_code, sizeof snapshot.policy_code, "%s", policy.code);
    run.m = &m;
    run.policy = &policy;
    run.snapshot = &snapshot;
    run.mc.draws = (size_t)strtol(PQgetvalue(job, 0, 4), NULL, 10);
    run.mc.seed = (uint64_t)strtoll(PQgetvalue(job, 0, 5), NULL, 10);
    run.mc.concentration = SC_MC_CONCENTRATION_DEFAULT;
    if (run_compute(&run, why) ||
        run_check_coverage(&run, PQgetvalue(job, 0, 7)[0] == 't', why)) /* refused: the job fails */
        goto out;
    rc = scoring_db_store_run(conn, kc_db_int(job, 0, 6), &run, run.input_text, worker,
                              (int)(s_now_ms() - started), node, &run_id, error);
    if (rc == 0)
        kc_log_info("scored %s %s: %zu counties, run %lld, output %.12s", PQgetvalue(job, 0, 0),
                    PQgetvalue(job, 0, 1), run.input->n_counties, (long long)run_id,
                    run.output_sha256);
out:
    if (why->code == KC_ERR_DB_UNAVAILABLE) { /* not the job's fault: leave it queued */
        *error = *why;
        kc_error_clear(why);
        rc = -1;
    }
    run_release(&run);
    snapshot_release(&snapshot);
    return rc;
}

/* KC_SCORING_HOLD_MS keeps each job's transaction open that long before
 * committing: operators use it for crash drills (kill -9 a process while
 * it holds a job and watch another finish it), and the tests do the same. */
static void s_hold(void)
{
    const char *hold = getenv("KC_SCORING_HOLD_MS");
    long ms = hold ? strtol(hold, NULL, 10) : 0;
    if (ms > 0 && ms <= 600000) {
        struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }
}

/* A job is claimed with a session advisory lock on its id: only the
 * process holding it counts an attempt and works on the job, and the lock
 * goes with the connection if the process dies. The attempt is counted in
 * its own transaction first, so a job that crashes every process that
 * takes it is recognised and failed. */
static const char *s_candidates_sql =
    "SELECT id FROM scoring_job WHERE state = 'queued' ORDER BY id LIMIT 16";

static const char *s_try_sql = "SELECT pg_try_advisory_lock(19267, $1::int)";
static const char *s_unlock_sql = "SELECT pg_advisory_unlock(19267, $1::int)";

static const char *s_count_sql = "UPDATE scoring_job SET attempts = attempts + 1"
                                 " WHERE id = $1 AND state = 'queued' RETURNING attempts";

static const char *s_lock_sql =
    "SELECT scope_code, year, methodology, policy, robustness_draws, robustness_seed, id, force"
    "  FROM scoring_job WHERE id = $1 AND state = 'queued' FOR UPDATE";

static void s_unlock(PGconn *conn, const char *id)
{
    const char *params[1] = {id};
    PGresult *result = PQexecParams(conn, s_unlock_sql, 1, NULL, params, NULL, NULL, 0);
    PQclear(result);
}

/* 1 with `id` locked and its attempt counted, 0 when no job is free. */
static int s_claim(PGconn *conn, char id[24], int *attempts, kc_error_t *error)
{
    PGresult *candidates = NULL;
    if (kc_db_run(conn, s_candidates_sql, 0, NULL, NULL, NULL, "looking for a job", &candidates,
                  error))
        return -1;
    int claimed = 0;
    for (int row = 0; row < PQntuples(candidates) && !claimed; row++) {
        snprintf(id, 24, "%s", PQgetvalue(candidates, row, 0));
        const char *params[1] = {id};
        PGresult *result = NULL;
        if (kc_db_run(conn, s_try_sql, 1, params, NULL, NULL, "claiming a job", &result, error)) {
            claimed = -1;
            break;
        }
        int locked = PQgetvalue(result, 0, 0)[0] == 't';
        PQclear(result);
        if (!locked)
            continue;
        if (kc_db_run(conn, s_count_sql, 1, params, NULL, NULL, "counting an attempt", &result,
                      error)) {
            s_unlock(conn, id);
            claimed = -1;
            break;
        }
        claimed = PQntuples(result) == 1; /* 0: done by another process just now */
        if (claimed)
            *attempts = (int)kc_db_int(result, 0, 0);
        else
            s_unlock(conn, id);
        PQclear(result);
    }
    PQclear(candidates);
    return claimed;
}

/* A query of the job that failed on its data aborted the transaction:
 * go back to the savepoint so the failure itself can be recorded. */
static int s_back_to_savepoint(PGconn *conn, kc_error_t *why, kc_error_t *error)
{
    if (why->code != KC_ERR_DATABASE)
        return 0;
    return kc_db_exec(conn, "ROLLBACK TO SAVEPOINT job", error);
}

static int s_commit(PGconn *conn, kc_error_t *error)
{
    PGresult *result = PQexec(conn, "COMMIT");
    int rc = kc_db_check(conn, result, "committing the job", error);
    /* COMMIT of an aborted transaction succeeds as a ROLLBACK */
    if (rc == 0 && strcmp(PQcmdStatus(result), "COMMIT") != 0)
        rc = kc_error_set(error, KC_ERR_DATABASE, NULL, "the job's transaction was rolled back");
    PQclear(result);
    return rc;
}

int scoring_jobs_work_one(PGconn *conn, const char *worker, const char *node, int64_t *job_id,
                          kc_error_t *error)
{
    char id[24];
    int attempts = 0;
    int claimed = s_claim(conn, id, &attempts, error);
    if (claimed <= 0)
        return claimed;
    *job_id = strtoll(id, NULL, 10);
    const char *params[1] = {id};
    PGresult *job = NULL;
    kc_error_t why;
    kc_error_clear(&why);
    if (kc_db_exec(conn, "BEGIN", error) ||
        kc_db_run(conn, s_lock_sql, 1, params, NULL, NULL, "locking the job", &job, error))
        goto failed;
    if (PQntuples(job) == 0) { /* finished by another process meanwhile */
        PQclear(job);
        s_unlock(conn, id);
        return kc_db_exec(conn, "COMMIT", error) ? -1 : 1;
    }
    s_hold();
    if (kc_db_exec(conn, "SAVEPOINT job", error))
        goto failed;
    if (attempts > JOB_ATTEMPTS_MAX)
        kc_error_set(&why, KC_ERR_INTERNAL, NULL, "gave up after %d attempts", JOB_ATTEMPTS_MAX);
    else if (s_score(conn, job, worker, node, &why, error)) {
        if (error->code != KC_ERR_DATABASE)
            goto failed;
        why = *error; /* the job's own data broke a statement: fail it, with the reason */
    }
    PQclear(job);
    job = NULL;
    if (why.code != KC_ERR_NONE &&
        (s_back_to_savepoint(conn, &why, error) || s_fail(conn, id, &why, error)))
        goto failed;
    if (s_commit(conn, error))
        goto failed;
    s_unlock(conn, id);
    return 1;
failed:
    PQclear(job);
    PGresult *rollback = PQexec(conn, "ROLLBACK");
    PQclear(rollback);
    s_unlock(conn, id);
    return -1;
}
