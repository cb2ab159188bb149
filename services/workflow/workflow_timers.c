/*  workflow_timers: public notices that close by themselves, yearly
 *  assessments that open by themselves, deadlines that warn and expire.
 *
 *  A timer is a row of workflow_timer, armed in the transaction of the step
 *  that enters its state, due at an instant of the node's clock
 *  (workflow_store_now: the wall clock, real or the test's, but never
 *  going back, so a timer due in ten minutes fires ten real minutes later
 *  even if the wall clock is set back an hour meanwhile). Firing is one transaction per
 *  timer: the row is locked (SKIP LOCKED, so two kc-workflow processes
 *  never take the same one), the system step is taken as any action is
 *  (workflow_act_locked), and the row is marked fired in the same commit.
 *  A crash before the commit leaves the timer armed, after it leaves it
 *  fired: never lost, never fired twice. A timer of a state the
 *  application has already left is closed as moved_on. A notice that
 *  closes with objections not yet settled is held; settling the last one
 *  releases it (workflow_objection.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "kc/kc_log.h"
#include "kc/v1/events.pb-c.h"
#include "workflow/pg_array.h"
#include "workflow/workflow_internal.h"

#define DAY_MS             (24LL * 3600 * 1000)
#define DEADLINE_WARN_DAYS 2 /* "approaching": this many working days before the deadline */

static int s_insert(PGconn *conn, const char *application_id, int version, const char *kind,
                    const char *state, const char *transition, int64_t due_ms, int64_t now_ms,
                    bool provisional, kc_error_t *error)
{
    char version_text[16], due[24], now[24];
    snprintf(version_text, sizeof version_text, "%d", version);
    snprintf(due, sizeof due, "%lld", (long long)due_ms);
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    const char *params[8] = {application_id, version_text, kind, state,
                             transition,     due,          now,  provisional ? "true" : "false"};
    return kc_db_run_cached(
        conn,
        "INSERT INTO workflow_timer (application_id, version, kind, state, transition,"
        " due_ms, armed_ms, provisional) VALUES ($1::bigint, $2::int, $3, $4, $5, $6::bigint,"
        " $7::bigint, $8::boolean)",
        8, params, NULL, NULL, "arming a timer", NULL, error);
}

/* A notice or a deadline: `days` working days from `now_ms`. Where no
 * notice of the State Council is loaded for a year the window reaches,
 * the year is provisional (kc_calendar.h) and `*provisional` says so:
 * nothing is refused for want of a calendar year. Refused only before
 * kc-workflow has read the calendar at all (it reads it on connecting). */
static int s_workdays(workflow_store_t *self, int64_t now_ms, int days, int64_t *due_ms,
                      bool *provisional, kc_error_t *error)
{
    const kc_calendar_t *calendar = workflow_store_calendar(self);
    if (!calendar)
        return kc_error_set(error, KC_ERR_DB_UNAVAILABLE, "calendar",
                            "kc-workflow has not read the working-day calendar yet");
    return kc_calendar_add_workdays(calendar, now_ms, days, due_ms, provisional, error);
}

/* When the state's period (建设期) ends: the latest step into the state by
 * a transition that starts it, plus period_days; 0 when none started it. */
static int s_period_end(PGconn *conn, const wf_process_t *process, const char *application_id,
                        int state, int64_t *end_ms, kc_error_t *error)
{
    pg_array_t starts = {0};
    for (size_t t = 0; t < process->n_transitions; t++)
        if (process->transitions[t].starts_period && process->transitions[t].to == state)
            pg_array_add(&starts, process->transitions[t].code);
    const char *params[3] = {application_id, process->states[state].code, pg_array_text(&starts)};
    PGresult *result = NULL;
    int rc = kc_db_run_cached(
        conn,
        "SELECT coalesce(ceil(extract(epoch FROM max(at)) * 1000), 0)::bigint FROM workflow_step"
        " WHERE application_id = $1::bigint AND to_state = $2 AND transition = ANY ($3::text[])",
        3, params, NULL, NULL, "reading when the period began", &result, error);
    pg_array_free(&starts);
    if (rc)
        return -1;
    int64_t start = kc_db_int(result, 0, 0);
    PQclear(result);
    *end_ms = start > 0 ? start + process->states[state].period_days * DAY_MS : 0;
    return 0;
}

/* The state's calendar timer: its yearly step (on_timer) a timer_days on,
 * unless the period ends before half a year more has passed: then the
 * period's end (on_period_end) replaces that year's step, at its end
 * ("三年建设期满进行总体评估", not a third yearly assessment as well). */
static int s_arm_timer(PGconn *conn, const wf_process_t *process, const char *application_id,
                       int state, int version, int64_t now_ms, kc_error_t *error)
{
    const wf_state_t *s = &process->states[state];
    int64_t period_end = 0, yearly = s->timer_days * DAY_MS;
    if (s->period_days > 0 &&
        s_period_end(conn, process, application_id, state, &period_end, error))
        return -1;
    if (period_end > 0 && (s->timer_days == 0 || now_ms + yearly + yearly / 2 > period_end))
        return s_insert(conn, application_id, version, "timer", s->code, s->on_period_end,
                        period_end > now_ms ? period_end : now_ms, now_ms, false, error);
    if (s->timer_days == 0)
        return 0;
    return s_insert(conn, application_id, version, "timer", s->code, s->on_timer, now_ms + yearly,
                    now_ms, false, error);
}

int workflow_timers_arm(workflow_store_t *self, PGconn *conn, const wf_process_t *process,
                        const char *application_id, int state, int version, int64_t now_ms,
                        wf_armed_t *armed, kc_error_t *error)
{
    const wf_state_t *s = &process->states[state];
    wf_armed_t made = {0};
    int64_t due = 0;
    bool provisional = false;
    if (s->notice_working_days > 0 &&
        (s_workdays(self, now_ms, s->notice_working_days, &made.notice_end_ms,
                    &made.notice_provisional, error) ||
         s_insert(conn, application_id, version, "notice_end", s->code, s->on_notice_end,
                  made.notice_end_ms, now_ms, made.notice_provisional, error)))
        return -1;
    if ((s->timer_days > 0 || s->period_days > 0) &&
        s_arm_timer(conn, process, application_id, state, version, now_ms, error))
        return -1;
    if (s->deadline_working_days > 0) {
        if (s_workdays(self, now_ms, s->deadline_working_days, &made.deadline_ms,
                       &made.deadline_provisional, error) ||
            s_insert(conn, application_id, version, "deadline_overdue", s->code, "",
                     made.deadline_ms, now_ms, made.deadline_provisional, error))
            return -1;
        if (s->deadline_working_days > DEADLINE_WARN_DAYS &&
            (s_workdays(self, now_ms, s->deadline_working_days - DEADLINE_WARN_DAYS, &due,
                        &provisional, error) ||
             s_insert(conn, application_id, version, "deadline_warning", s->code, "", due, now_ms,
                      provisional, error)))
            return -1;
    }
    if (armed)
        *armed = made;
    return 0;
}

/* ---- firing ------------------------------------------------------------ */

static const char *s_due_sql =
    "SELECT t.id, t.kind, t.transition, t.version, t.state, t.due_ms, w.version, a.ref,"
    "       w.county_code, w.definition, t.provisional, t.application_id"
    "  FROM workflow_timer t JOIN workflow_instance w ON w.application_id = t.application_id"
    "  JOIN application a ON a.id = t.application_id"
    " WHERE t.fired_ms IS NULL AND NOT t.held AND t.due_ms <= $1::bigint"
    " ORDER BY t.due_ms LIMIT $2::int FOR UPDATE OF t SKIP LOCKED";

static int s_close(PGconn *conn, const char *id, const char *outcome, int64_t now_ms,
                   kc_error_t *error)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    const char *params[3] = {id, outcome, now};
    return kc_db_run_cached(conn,
                            "UPDATE workflow_timer SET fired_ms = $3::bigint, outcome = $2"
                            " WHERE id = $1::bigint",
                            3, params, NULL, NULL, "closing the timer", NULL, error);
}

static int s_deadline(workflow_store_t *self, PGconn *conn, const PGresult *row, int i,
                      kc_error_t *error)
{
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(row, i, 9), error);
    if (!process)
        return -1;
    int state = process_state_index(process, PQgetvalue(row, i, 4));
    Kc__V1__DeadlineReached event = KC__V1__DEADLINE_REACHED__INIT;
    event.application_ref = PQgetvalue(row, i, 7);
    event.county_code = PQgetvalue(row, i, 8);
    event.state = PQgetvalue(row, i, 4);
    event.level = state >= 0 ? (char *)process_level_name(process->states[state].level) : "";
    event.kind = strcmp(PQgetvalue(row, i, 1), "deadline_warning") == 0 ? "approaching" : "overdue";
    event.due_ms = kc_db_int(row, i, 5);
    event.calendar_note =
        strcmp(PQgetvalue(row, i, 10), "t") == 0 ? KC_CALENDAR_PROVISIONAL_NOTE : "";
    return workflow_event(self, conn, "DeadlineReached", &event.base, error);
}

/* A notice closes into filing only without objections open or upheld
 * ("公示无异议后，备案"): with one open it is held (1); with one upheld it
 * takes the state's on_objection_upheld, the objections' reasons its own. */
static int s_notice_step(workflow_store_t *self, PGconn *conn, const PGresult *row, int i,
                         const char **transition, char *reason, size_t size, kc_error_t *error)
{
    wf_objections_t objections;
    if (workflow_objections_of_notice(conn, PQgetvalue(row, i, 11), (int)kc_db_int(row, i, 3),
                                      &objections, error))
        return -1;
    if (objections.open == 0 && objections.upheld == 0)
        return 0;
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(row, i, 9), error);
    if (!process)
        return -1;
    int state = process_state_index(process, PQgetvalue(row, i, 4));
    /* open ones: wait for them; upheld ones with no step named: wait for
     * the level that holds the notice to return or reject it */
    if (objections.open > 0 || state < 0 || !process->states[state].on_objection_upheld[0]) {
        kc_log_notice("notice of %s closed with %ld objection(s) open, %ld upheld: held",
                      PQgetvalue(row, i, 7), objections.open, objections.upheld);
        return kc_db_run_cached(conn, "UPDATE workflow_timer SET held = true WHERE id = $1::bigint",
                                1, (const char *const[]){PQgetvalue(row, i, 0)}, NULL, NULL,
                                "holding the notice", NULL, error) == 0
                   ? 1
                   : -1;
    }
    *transition = process->states[state].on_objection_upheld;
    snprintf(reason, size, "公示期间异议成立：%s", objections.reason);
    return 0;
}

/* A timer's step states its own name as its reason (满一年，自动启动年度考核;
 * 三年建设期满，启动总体评估): what happened, in the definition's words. */
static const char *s_timer_reason(workflow_store_t *self, PGconn *conn, const PGresult *row, int i)
{
    kc_error_t ignored;
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(row, i, 9), &ignored);
    int t = process ? process_transition_index(process, PQgetvalue(row, i, 2)) : -1;
    return t >= 0 ? process->transitions[t].name_zh : "期限届满，系统自动进入下一步";
}

/* The system step of a notice or timer; 1 when it is held (objections). */
static int s_step(workflow_store_t *self, PGconn *conn, const PGresult *row, int i,
                  kc_error_t *error)
{
    bool notice = strcmp(PQgetvalue(row, i, 1), "notice_end") == 0;
    char key[48], reason[700] = "公示期满无异议";
    const char *transition = PQgetvalue(row, i, 2);
    snprintf(key, sizeof key, "timer:%s", PQgetvalue(row, i, 0));
    if (notice) {
        int held = s_notice_step(self, conn, row, i, &transition, reason, sizeof reason, error);
        if (held != 0)
            return held;
    }
    wf_action_t action = {.application_ref = PQgetvalue(row, i, 7),
                          .transition = transition,
                          .reason = notice ? reason : s_timer_reason(self, conn, row, i),
                          .return_to = "",
                          .user_id = "kc-workflow",
                          .role = "system",
                          .division_code = "",
                          .organisation = "",
                          .idempotency_key = key,
                          .by_daemon = true};
    wf_outcome_t outcome;
    if (kc_db_exec(conn, "SAVEPOINT timer_step", error))
        return -1;
    if (workflow_act_locked(self, conn, &action, &outcome, error) == 0)
        return 0;
    kc_error_t ignored;
    kc_db_exec(conn, "ROLLBACK TO SAVEPOINT timer_step", &ignored);
    return -1;
}

/* Fire row i of the due timers, in a savepoint of the group; the timer
 * closes at the instant of the step or event it makes. */
static int s_fire(workflow_store_t *self, PGconn *conn, const PGresult *rows, int i,
                  kc_error_t *error)
{
    if (workflow_tx_begin(self, conn, error))
        return -1;
    int64_t now_ms = workflow_store_instant(self);
    const char *id = PQgetvalue(rows, i, 0), *kind = PQgetvalue(rows, i, 1);
    int rc;
    if (strcmp(PQgetvalue(rows, i, 3), PQgetvalue(rows, i, 6)) != 0)
        rc = s_close(conn, id, "moved_on", now_ms, error);
    else if (strncmp(kind, "deadline", 8) == 0)
        rc = s_deadline(self, conn, rows, i, error) || s_close(conn, id, "raised", now_ms, error);
    else {
        rc = s_step(self, conn, rows, i, error);
        if (rc == 0)
            rc = s_close(conn, id, "taken", now_ms, error);
        else if (rc == 1)
            rc = 0;
        else if (error->code == KC_ERR_DB_UNAVAILABLE || error->code == KC_ERR_DATABASE)
            rc = -1; /* try again when the database answers */
        else {
            /* a step that cannot be taken (the definition and the data
             * disagree): say so, and do not try again every second */
            kc_log_error("timer %s of %s cannot take '%s': %s", id, PQgetvalue(rows, i, 7),
                         PQgetvalue(rows, i, 2), error->message);
            workflow_tx_rollback(self, conn);
            rc = workflow_tx_begin(self, conn, error) ||
                         s_close(conn, id, "raised", workflow_store_instant(self), error)
                     ? -1
                     : 0;
        }
    }
    if (rc) {
        workflow_tx_rollback(self, conn);
        return -1;
    }
    return workflow_tx_commit(self, conn, error);
}

int workflow_store_fire_timers(workflow_store_t *self, PGconn *conn, int max, kc_error_t *error)
{
    int64_t now_ms = workflow_store_now(self);
    char now[24], limit[16];
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    snprintf(limit, sizeof limit, "%d", max);
    /* one group commit for the batch: one disk flush, not one per timer */
    if (workflow_store_group(self, conn, true, false, error))
        return -1;
    PGresult *rows = NULL;
    const char *params[2] = {now, limit};
    int fired = 0;
    if (kc_db_run_cached(conn, s_due_sql, 2, params, NULL, NULL, "reading due timers", &rows,
                         error) == 0)
        for (int i = 0; i < PQntuples(rows) && s_fire(self, conn, rows, i, error) == 0; i++)
            fired++;
    PQclear(rows);
    kc_error_t end;
    if (workflow_store_group(self, conn, false, true, &end)) {
        *error = end;
        return -1;
    }
    return fired;
}

int64_t workflow_store_next_timer(PGconn *conn)
{
    PGresult *result = PQexec(conn, "SELECT min(due_ms) FROM workflow_timer"
                                    " WHERE fired_ms IS NULL AND NOT held");
    int64_t next = 0;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && !PQgetisnull(result, 0, 0))
        next = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    PQclear(result);
    return next;
}

int workflow_enter(workflow_store_t *self, PGconn *conn, const wf_process_t *process,
                   const char *application_id, int state, int version, int64_t now_ms,
                   wf_armed_t *armed, kc_error_t *error)
{
    /* a linked node keeps the clocks and panels of its own level only: the
     * city's deadline runs on the city's node, the notice on the province's */
    if (!workflow_store_holds(self, process->states[state].level))
        return 0;
    if (workflow_timers_arm(self, conn, process, application_id, state, version, now_ms, armed,
                            error))
        return -1;
    return process->states[state].panel
               ? workflow_panel_draw(self, conn, process, application_id, state, version, error)
               : 0;
}

/* ---- a calendar year loaded --------------------------------------------- */

/* What the calendar may have changed: every open deadline, and the
 * notices still marked provisional. Read without locks; each row is then
 * taken in a transaction of its own, so that a recount never holds many
 * timers against a step that appends an event and then closes a timer. */
static const char *s_recount_sql = "SELECT id FROM workflow_timer WHERE fired_ms IS NULL"
                                   "   AND (kind IN ('deadline_warning', 'deadline_overdue')"
                                   "        OR (kind = 'notice_end' AND provisional))"
                                   " ORDER BY id";

static const char *s_recount_row_sql =
    "SELECT t.id, t.kind, t.state, t.due_ms, t.armed_ms, w.definition, a.ref, w.county_code,"
    "       t.provisional"
    "  FROM workflow_timer t JOIN workflow_instance w ON w.application_id = t.application_id"
    "  JOIN application a ON a.id = t.application_id"
    " WHERE t.id = $1::bigint AND t.fired_ms IS NULL FOR UPDATE OF t SKIP LOCKED";

static int s_recount_store(PGconn *conn, const char *id, int64_t due, bool provisional,
                           kc_error_t *error)
{
    char due_text[24];
    snprintf(due_text, sizeof due_text, "%lld", (long long)due);
    const char *params[3] = {id, due_text, provisional ? "true" : "false"};
    return kc_db_run_cached(conn,
                            "UPDATE workflow_timer SET due_ms = $2::bigint,"
                            " provisional = $3::boolean WHERE id = $1::bigint",
                            3, params, NULL, NULL, "recounting a timer", NULL, error);
}

/* Count a locked timer again on the calendar as it is now (a year loaded,
 * or a corrected notice). A notice keeps the close it announced: only
 * whether it rests on a provisional year can change. A deadline moves,
 * and a moved deadline is announced. 1 when an instant moved, else 0. */
static int s_recount_one(workflow_store_t *self, PGconn *conn, const PGresult *row,
                         kc_error_t *error)
{
    const wf_process_t *process =
        workflow_store_definition(self, conn, PQgetvalue(row, 0, 5), error);
    if (!process)
        return -1;
    int state = process_state_index(process, PQgetvalue(row, 0, 2));
    const char *kind = PQgetvalue(row, 0, 1);
    bool notice = strcmp(kind, "notice_end") == 0, overdue = strcmp(kind, "deadline_overdue") == 0;
    int days = state < 0 ? 0
               : notice  ? process->states[state].notice_working_days
               : overdue ? process->states[state].deadline_working_days
                         : process->states[state].deadline_working_days - DEADLINE_WARN_DAYS;
    if (days <= 0)
        return 0;
    int64_t before = kc_db_int(row, 0, 3), due = 0;
    bool provisional = false, was_provisional = strcmp(PQgetvalue(row, 0, 8), "t") == 0;
    if (s_workdays(self, kc_db_int(row, 0, 4), days, &due, &provisional, error))
        return -1;
    if (notice)
        due = before; /* it was public: its close stands */
    if (due == before && provisional == was_provisional)
        return 0;
    if (s_recount_store(conn, PQgetvalue(row, 0, 0), due, provisional, error))
        return -1;
    if (due == before || !overdue)
        return due != before;
    Kc__V1__DeadlineReached event = KC__V1__DEADLINE_REACHED__INIT;
    event.application_ref = PQgetvalue(row, 0, 6);
    event.county_code = PQgetvalue(row, 0, 7);
    event.state = PQgetvalue(row, 0, 2);
    event.level = (char *)process_level_name(process->states[state].level);
    event.kind = "rescheduled";
    event.due_ms = due;
    event.previous_due_ms = before;
    event.calendar_note = provisional ? KC_CALENDAR_PROVISIONAL_NOTE : "";
    kc_log_notice("deadline of %s in %s recounted on the calendar: %lld -> %lld",
                  event.application_ref, event.state, (long long)before, (long long)due);
    return workflow_event(self, conn, "DeadlineReached", &event.base, error) ? -1 : 1;
}

/* One timer in a transaction of its own; 1 moved, 0 not (or taken by a
 * firing meanwhile), -1 failed and rolled back. */
static int s_recount_timer(workflow_store_t *self, PGconn *conn, const char *id, kc_error_t *error)
{
    if (workflow_tx_begin(self, conn, error))
        return -1;
    PGresult *row = NULL;
    const char *params[1] = {id};
    int rc = kc_db_run_cached(conn, s_recount_row_sql, 1, params, NULL, NULL, "locking a timer",
                              &row, error);
    if (rc == 0 && PQntuples(row) == 1)
        rc = s_recount_one(self, conn, row, error);
    PQclear(row);
    if (rc < 0) {
        workflow_tx_rollback(self, conn);
        return -1;
    }
    return workflow_tx_commit(self, conn, error) ? -1 : rc;
}

int workflow_timers_recount(workflow_store_t *self, PGconn *conn, kc_error_t *error)
{
    PGresult *ids = NULL;
    if (kc_db_run_cached(conn, s_recount_sql, 0, NULL, NULL, NULL, "reading the open timers", &ids,
                         error))
        return -1;
    int moved = 0, failed = 0;
    kc_error_t last;
    for (int i = 0; i < PQntuples(ids); i++) {
        int rc = s_recount_timer(self, conn, PQgetvalue(ids, i, 0), &last);
        if (rc < 0) {
            failed++;
            *error = last;
        } else {
            moved += rc;
        }
    }
    PQclear(ids);
    return failed ? -1 : moved;
}
