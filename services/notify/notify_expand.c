/*  notify_expand: see notify_expand.h. */
#include "notify/notify_expand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_log.h"
#include "kc/v1/events.pb-c.h"
#include "notify/notify_public.h"
#include "process/process.h"

#define DEFINITIONS_MAX 16

struct notify_expander_t {
    bool loaded;
    notify_rules_t rules;
    size_t n_processes; /* procedures read for their state names, by code */
    wf_process_t *processes[DEFINITIONS_MAX];
    size_t n_missing; /* codes not stored (asked once) */
    char missing[DEFINITIONS_MAX][64];
    char public_dir[256]; /* where public notices go; "" for none */
};

notify_expander_t *notify_expander_new(const char *public_dir)
{
    notify_expander_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    snprintf(self->public_dir, sizeof self->public_dir, "%s", public_dir ? public_dir : "");
    return self;
}

void notify_expander_destroy(notify_expander_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t i = 0; i < (*self_p)->n_processes; i++)
        free((*self_p)->processes[i]);
    free(*self_p);
    *self_p = NULL;
}

int notify_expander_load(notify_expander_t *self, PGconn *conn, kc_error_t *error)
{
    PGresult *result = NULL;
    if (kc_db_run(conn,
                  "SELECT code, source FROM notify_definition ORDER BY loaded_at DESC,"
                  " code DESC LIMIT 1",
                  0, NULL, NULL, NULL, "reading the notification definition", &result, error))
        return -1;
    if (PQntuples(result) == 0) {
        PQclear(result);
        self->loaded = false;
        return 1;
    }
    kc_errors_t errors;
    kc_errors_init(&errors);
    int rc = notify_rules_parse(PQgetvalue(result, 0, 1), (size_t)PQgetlength(result, 0, 1),
                                &self->rules, &errors);
    if (rc)
        kc_error_set(error, KC_ERR_INTERNAL, "notify_definition",
                     "stored definition '%s' does"
                     " not parse",
                     PQgetvalue(result, 0, 0));
    kc_errors_release(&errors);
    PQclear(result);
    self->loaded = rc == 0;
    return rc;
}

/* A procedure, read from the database once and kept (NULL if unknown). */
static const wf_process_t *s_process(notify_expander_t *self, PGconn *conn, const char *definition)
{
    for (size_t i = 0; i < self->n_processes; i++)
        if (strcmp(self->processes[i]->code, definition) == 0)
            return self->processes[i];
    for (size_t i = 0; i < self->n_missing; i++)
        if (strcmp(self->missing[i], definition) == 0)
            return NULL;
    wf_process_t *process = NULL;
    if (self->n_processes < DEFINITIONS_MAX) {
        const char *params[1] = {definition};
        PGresult *result =
            PQexecParams(conn, "SELECT source FROM process_definition WHERE code = $1", 1, NULL,
                         params, NULL, NULL, 0);
        if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
            process = malloc(sizeof *process);
            if (!process)
                abort();
            kc_errors_t errors;
            kc_errors_init(&errors);
            if (process_parse(PQgetvalue(result, 0, 0), (size_t)PQgetlength(result, 0, 0), process,
                              &errors) == 0)
                self->processes[self->n_processes++] = process;
            else {
                free(process);
                process = NULL;
            }
            kc_errors_release(&errors);
        }
        PQclear(result);
        if (!process && self->n_missing < DEFINITIONS_MAX)
            snprintf(self->missing[self->n_missing++], sizeof self->missing[0], "%s", definition);
    }
    return process;
}

/* The name of a state of a procedure, for the message ("" if unknown). */
static const char *s_state_name(notify_expander_t *self, PGconn *conn, const char *definition,
                                const char *state)
{
    const wf_process_t *process = s_process(self, conn, definition);
    int at = process ? process_state_index(process, state) : -1;
    return at >= 0 ? process->states[at].name_zh : "";
}

/* The name of a step (transition) of a procedure, so that each programme's
 * step is told in its own words ("" if unknown). */
static const char *s_step_name(notify_expander_t *self, PGconn *conn, const char *definition,
                               const char *transition)
{
    const wf_process_t *process = s_process(self, conn, definition);
    for (size_t i = 0; process && i < process->n_transitions; i++)
        if (strcmp(process->transitions[i].code, transition) == 0)
            return process->transitions[i].name_zh;
    return "";
}

/* Whoever may act on `state`: the roles of the transitions out of it
 * (not those open from every state, such as a withdrawal, nor the system's
 * timers or the experts, who hear through their panel), as a comma list
 * into `out` ("" when unknown: the route then tells its other roles). */
static void s_holders(notify_expander_t *self, PGconn *conn, const char *definition,
                      const char *state, char *out, size_t size)
{
    out[0] = '\0';
    const wf_process_t *process = s_process(self, conn, definition);
    int at = process ? process_state_index(process, state) : -1;
    size_t used = 0;
    for (size_t i = 0; at >= 0 && i < process->n_transitions; i++) {
        const wf_transition_t *t = &process->transitions[i];
        if (t->from_any || t->from != at || strcmp(t->role, "system") == 0 ||
            strcmp(t->role, "expert") == 0 || strcmp(t->role, "public") == 0)
            continue;
        char item[40];
        snprintf(item, sizeof item, ",%s,", t->role);
        char seen[600];
        snprintf(seen, sizeof seen, ",%s,", out);
        if (strstr(seen, item) || used + strlen(t->role) + 2 >= size)
            continue;
        used += (size_t)snprintf(out + used, size - used, "%s%s", used ? "," : "", t->role);
    }
}

/* A calendar note as said in a sentence: "（note）", or "" when none. */
static const char *s_note(const char *note, char *out, size_t size)
{
    if (!note || !*note)
        return "";
    snprintf(out, size, "（%s）", note);
    return out;
}

/* What every event about an application shares: its title, county name,
 * applicant organisation and procedure. */
typedef struct {
    char title[256], county_name[64], organisation[256], definition[64];
} s_application_t;

static int s_application(PGconn *conn, const char *ref, s_application_t *out, kc_error_t *error)
{
    memset(out, 0, sizeof *out);
    const char *params[1] = {ref};
    PGresult *result = NULL;
    if (kc_db_run_cached(conn,
                         "SELECT coalesce(a.designation, a.title), coalesce((SELECT d.name FROM "
                         "division d WHERE d.code ="
                         "   a.county_code ORDER BY d.valid_to DESC LIMIT 1), ''),"
                         "   a.applicant_organisation, coalesce(w.definition, '')"
                         "  FROM application a LEFT JOIN workflow_instance w"
                         "    ON w.application_id = a.id WHERE a.ref = $1",
                         1, params, NULL, NULL, "reading the application", &result, error))
        return -1;
    if (PQntuples(result) == 1) {
        snprintf(out->title, sizeof out->title, "%s", PQgetvalue(result, 0, 0));
        snprintf(out->county_name, sizeof out->county_name, "%s", PQgetvalue(result, 0, 1));
        snprintf(out->organisation, sizeof out->organisation, "%s", PQgetvalue(result, 0, 2));
        snprintf(out->definition, sizeof out->definition, "%s", PQgetvalue(result, 0, 3));
    }
    PQclear(result);
    return 0;
}

/* An event's variables (names from notify_event_variables) and what the
 * routes filter on. */
typedef struct {
    const char *names[16];
    const char *values[16];
    const char *decision, *to_state, *kind, *county, *ref;
    s_application_t application;
    char extra[6][128];
    char experts[512]; /* PanelChanged: the experts concerned, as a text[] literal */
    char holders[256]; /* who may act on the state the event is about, comma list */
} s_facts_t;

static void s_set(s_facts_t *f, const char *name, const char *value)
{
    const char *const *names = f->names;
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            f->values[i] = value ? value : "";
}

static int s_facts(notify_expander_t *self, PGconn *conn, const char *type, const uint8_t *payload,
                   size_t size, s_facts_t *f, void **message, kc_error_t *error)
{
    memset(f, 0, sizeof *f);
    const char *const *variables = notify_event_variables(type);
    if (!variables)
        return 1; /* an event no notification follows */
    for (size_t i = 0; variables[i] && i < 15; i++) {
        f->names[i] = variables[i];
        f->values[i] = "";
    }
    f->decision = f->to_state = f->kind = "";
    if (strcmp(type, "ApplicationMoved") == 0) {
        Kc__V1__ApplicationMoved *m = kc__v1__application_moved__unpack(NULL, size, payload);
        if (!m)
            return 1;
        *message = m;
        f->ref = m->application_ref;
        f->county = m->county_code;
        f->decision = m->decision;
        f->to_state = m->to_state;
        if (s_application(conn, m->application_ref, &f->application, error))
            return -1;
        s_set(f, "transition", m->transition);
        s_set(f, "decision", m->decision);
        s_set(f, "from_state", m->from_state);
        s_set(f, "to_state", m->to_state);
        s_set(f, "state_name", s_state_name(self, conn, m->definition, m->to_state));
        s_set(f, "step_name", s_step_name(self, conn, m->definition, m->transition));
        s_holders(self, conn, m->definition, m->to_state, f->holders, sizeof f->holders);
        s_set(f, "reason", m->reason);
        s_set(f, "actor_role", m->role);
        if (m->notice_end_ms > 0) {
            /* the notice's last day: it closes at 24:00 Beijing time */
            time_t last = (time_t)((m->notice_end_ms - 1) / 1000 + 8 * 3600);
            struct tm when;
            gmtime_r(&last, &when);
            strftime(f->extra[1], sizeof f->extra[1], "%Y-%m-%d", &when);
        }
        s_set(f, "notice_end", f->extra[1]);
        s_set(f, "calendar_note", s_note(m->calendar_note, f->extra[2], sizeof f->extra[2]));
    } else if (strcmp(type, "DeadlineReached") == 0) {
        Kc__V1__DeadlineReached *m = kc__v1__deadline_reached__unpack(NULL, size, payload);
        if (!m)
            return 1;
        *message = m;
        f->ref = m->application_ref;
        f->county = m->county_code;
        f->kind = m->kind;
        f->to_state = m->state;
        if (s_application(conn, m->application_ref, &f->application, error))
            return -1;
        time_t at = (time_t)(m->due_ms / 1000 + 8 * 3600);
        struct tm when;
        gmtime_r(&at, &when);
        strftime(f->extra[0], sizeof f->extra[0], "%Y-%m-%d %H:%M", &when);
        s_set(f, "due_date", f->extra[0]);
        s_set(f, "state", m->state);
        s_set(f, "state_name", s_state_name(self, conn, f->application.definition, m->state));
        s_holders(self, conn, f->application.definition, m->state, f->holders, sizeof f->holders);
        s_set(f, "level", m->level);
        s_set(f, "kind",
              strcmp(m->kind, "overdue") == 0       ? "已逾期"
              : strcmp(m->kind, "rescheduled") == 0 ? "已按现行工作日历重新核定"
                                                    : "即将到期");
        s_set(f, "calendar_note", s_note(m->calendar_note, f->extra[1], sizeof f->extra[1]));
    } else if (strcmp(type, "ObjectionResolved") == 0) {
        Kc__V1__ObjectionResolved *m = kc__v1__objection_resolved__unpack(NULL, size, payload);
        if (!m)
            return 1;
        *message = m;
        f->ref = m->application_ref;
        f->county = m->county_code;
        if (s_application(conn, m->application_ref, &f->application, error))
            return -1;
        s_set(f, "outcome", strcmp(m->outcome, "upheld") == 0 ? "异议成立" : "异议不成立");
        s_set(f, "reason", m->reason);
    } else if (strcmp(type, "CountyClassPublished") == 0) {
        Kc__V1__CountyClassPublished *m =
            kc__v1__county_class_published__unpack(NULL, size, payload);
        if (!m)
            return 1;
        *message = m;
        f->county = m->county_code;
        const char *params[1] = {m->county_code};
        PGresult *name = NULL;
        if (kc_db_run_cached(conn,
                             "SELECT name FROM division WHERE code = $1 ORDER BY valid_to DESC"
                             " LIMIT 1",
                             1, params, NULL, NULL, "reading the county", &name, error))
            return -1;
        snprintf(f->application.county_name, sizeof f->application.county_name, "%s",
                 PQntuples(name) ? PQgetvalue(name, 0, 0) : "");
        PQclear(name);
        snprintf(f->extra[0], sizeof f->extra[0], "%d", m->year);
        snprintf(f->extra[1], sizeof f->extra[1], "%d.%02d", m->total / 100, m->total % 100);
        snprintf(f->extra[2], sizeof f->extra[2], "%d", m->rank);
        snprintf(f->extra[3], sizeof f->extra[3], "%d", m->rank_in_city);
        snprintf(f->extra[4], sizeof f->extra[4], "%d", m->reward);
        s_set(f, "year", f->extra[0]);
        s_set(f, "class", m->class_);
        s_set(f, "total", f->extra[1]);
        s_set(f, "rank", f->extra[2]);
        s_set(f, "rank_in_city", f->extra[3]);
        s_set(f, "reward", f->extra[4]);
        /* no reward is not said as "奖励0万元": the sentence is left out */
        if (m->reward > 0)
            snprintf(f->extra[5], sizeof f->extra[5], "；奖励%d万元", m->reward);
        s_set(f, "reward_note", f->extra[5]);
    } else {
        Kc__V1__PanelChanged *m = kc__v1__panel_changed__unpack(NULL, size, payload);
        if (!m)
            return 1;
        *message = m;
        f->ref = m->application_ref;
        f->county = m->county_code;
        if (s_application(conn, m->application_ref, &f->application, error))
            return -1;
        s_set(f, "what", notify_panel_what(m->what));
        f->kind = m->what;
        size_t used = (size_t)snprintf(f->experts, sizeof f->experts, "{");
        for (size_t i = 0; i < m->n_experts && used + 40 < sizeof f->experts; i++)
            used += (size_t)snprintf(f->experts + used, sizeof f->experts - used, "%s\"%s\"",
                                     i ? "," : "", m->experts[i]);
        snprintf(f->experts + used, sizeof f->experts - used, "}");
    }
    s_set(f, "application_ref", f->ref);
    s_set(f, "title", f->application.title);
    s_set(f, "county_code", f->county);
    s_set(f, "county_name", f->application.county_name);
    return 0;
}

static bool s_route_matches(const notify_route_t *route, const char *type, const s_facts_t *f)
{
    return strcmp(route->event, type) == 0 &&
           (!*route->decision || strcmp(route->decision, f->decision) == 0) &&
           (!*route->to_state || strcmp(route->to_state, f->to_state) == 0) &&
           (!*route->kind || strcmp(route->kind, f->kind) == 0);
}

/* A route to `public` writes its notice for the site to publish, when
 * the node has a public_dir (a node without one publishes nothing). */
static int s_publish(const notify_expander_t *self, const notify_route_t *route, const char *seq,
                     const char *subject, const char *body, kc_error_t *error)
{
    bool public = false;
    for (size_t i = 0; i < route->n_roles; i++)
    public = public || strcmp(route->roles[i], "public") == 0;
    if (!public || !*self->public_dir)
        return 0;
    /* published: Beijing time on kc-notify's clock */
    time_t at = (time_t)(kc_clock_now_ms() / 1000 + 8 * 3600);
    struct tm when;
    gmtime_r(&at, &when);
    char published[32];
    strftime(published, sizeof published, "%Y-%m-%d %H:%M", &when);
    return notify_public_write(self->public_dir, seq, subject, body, published, error);
}

static const char *const s_priorities[] = {"low", "normal", "critical"};

static int s_notify(notify_expander_t *self, PGconn *conn, const char *seq, const char *type,
                    const s_facts_t *f, long *notified, kc_error_t *error)
{
    /* a notification shows its event's instant (the step's: one time for
     * the step, its event, its audit entry and what it tells people);
     * when to deliver it is kc-notify's to decide, by its own clock
     * (kc_clock: tests move it for quiet hours and digests) */
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)kc_clock_now_ms());
    for (size_t r = 0; r < self->rules.n_routes; r++) {
        const notify_route_t *route = &self->rules.routes[r];
        if (!s_route_matches(route, type, f) || route->template_index < 0)
            continue;
        const notify_template_t *t = &self->rules.templates[route->template_index];
        char subject[NOTIFY_TEXT_MAX * 2], body[NOTIFY_TEXT_MAX * 4];
        notify_render(t->subject, f->names, f->values, subject, sizeof subject);
        notify_render(t->body, f->names, f->values, body, sizeof body);
        if (s_publish(self, route, seq, subject, body, error))
            return -1;
        /* one statement per route: every role, its division, each person's
         * channels (their preference, or every channel they have an address
         * for), quiet hours and digest */
        char roles[NOTIFY_MAX_ROLES * 34 + 260];
        size_t used = (size_t)snprintf(roles, sizeof roles, "{");
        for (size_t i = 0; i < route->n_roles; i++) {
            /* holders: the roles that may act on the state, put in its place */
            const char *role =
                strcmp(route->roles[i], "holders") == 0 ? f->holders : route->roles[i];
            if (*role && used + strlen(role) + 3 < sizeof roles)
                used += (size_t)snprintf(roles + used, sizeof roles - used, "%s%s",
                                         used > 1 ? "," : "", role);
        }
        snprintf(roles + used, sizeof roles - used, "}");
        const char *params[12] = {seq,
                                  roles,
                                  f->county,
                                  f->application.organisation,
                                  route->code,
                                  s_priorities[route->priority],
                                  subject,
                                  body,
                                  f->ref ? f->ref : "",
                                  now,
                                  type,
                                  *f->experts ? f->experts : "{}"};
        PGresult *result = NULL;
        if (kc_db_run_cached(
                conn,
                "INSERT INTO notification (event_seq, recipient_id, channel, route, priority,"
                " subject, body, application_ref, status, sent_at, next_attempt_at, digest_date,"
                " created_at)"
                " SELECT $1::bigint, r.user_id, c.channel, $5, $6, $7, $8, $9,"
                "   CASE WHEN c.channel = 'inbox' THEN 'sent'"
                "        WHEN $6 = 'low' AND c.channel IN ('email', 'webhook') THEN 'digest'"
                "        ELSE 'pending' END,"
                "   CASE WHEN c.channel = 'inbox' THEN to_timestamp($10::bigint / 1000.0) END,"
                "   CASE WHEN c.channel = 'inbox' OR r.quiet_start IS NULL"
                "        THEN to_timestamp($10::bigint / 1000.0)"
                "        ELSE notify_deliver_at(r.quiet_start, r.quiet_end, $6,"
                "                               to_timestamp($10::bigint / 1000.0)) END,"
                "   CASE WHEN $6 = 'low' AND c.channel IN ('email', 'webhook') THEN"
                "     notify_digest_date(r.digest_minute, to_timestamp($10::bigint / 1000.0)) END,"
                "   (SELECT e.occurred_at FROM event e WHERE e.seq = $1::bigint)"
                "   FROM recipient r"
                "   LEFT JOIN notify_preference p ON p.recipient_id = r.user_id"
                "                                AND p.event_type = $11"
                "   CROSS JOIN LATERAL unnest(coalesce(p.channels,"
                "     ARRAY['inbox', 'email', 'webhook', 'sms'])) AS c(channel)"
                "  WHERE r.active AND ((r.role = ANY ($2::text[]) AND r.role <> 'expert'"
                "    AND r.division_code = CASE r.role"
                "          WHEN 'city_bureau' THEN left($3, 4) || '00'"
                "          WHEN 'province_department' THEN left($3, 2) || '0000' ELSE $3 END"
                "    AND (r.role <> 'applicant' OR r.organisation = $4))"
                "     OR ('panel_experts' = ANY ($2::text[]) AND r.role = 'expert'"
                "         AND r.user_id = ANY ($12::text[])))"
                "    AND (c.channel <> 'email' OR r.email <> '')"
                "    AND (c.channel <> 'webhook' OR r.webhook_url <> '')"
                "    AND (c.channel <> 'sms' OR (r.phone <> '' AND ($6 = 'critical'"
                "         OR p.channels IS NOT NULL)))"
                " ON CONFLICT (event_seq, recipient_id, channel) DO NOTHING",
                12, params, NULL, NULL, "writing notifications", &result, error))
            return -1;
        *notified += strtol(PQcmdTuples(result), NULL, 10);
        PQclear(result);
    }
    return 0;
}

static void s_free_message(const char *type, void *message)
{
    if (message)
        protobuf_c_message_free_unpacked(message, NULL);
    (void)type;
}

int notify_expand_batch(notify_expander_t *self, PGconn *conn, int max, long *notified,
                        kc_error_t *error)
{
    *notified = 0;
    if (!self->loaded)
        return 0;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", max);
    if (kc_db_exec(conn, "BEGIN", error))
        return -1;
    PGresult *events = NULL;
    const char *params[1] = {limit};
    if (kc_db_run_cached(conn,
                         "SELECT e.seq, e.type, e.payload FROM event e, (SELECT last_seq FROM"
                         " event_cursor WHERE consumer = 'kc-notify' FOR UPDATE) c"
                         " WHERE e.seq > c.last_seq ORDER BY e.seq LIMIT $1::int",
                         1, params, NULL, NULL, "reading the events", &events, error))
        goto failed;
    int n = PQntuples(events);
    for (int i = 0; i < n; i++) {
        size_t size = 0;
        unsigned char *payload =
            PQunescapeBytea((const unsigned char *)PQgetvalue(events, i, 2), &size);
        s_facts_t facts;
        void *message = NULL;
        int rc = payload ? s_facts(self, conn, PQgetvalue(events, i, 1), payload, size, &facts,
                                   &message, error)
                         : 1;
        if (rc == 0)
            rc = s_notify(self, conn, PQgetvalue(events, i, 0), PQgetvalue(events, i, 1), &facts,
                          notified, error);
        s_free_message(PQgetvalue(events, i, 1), message);
        PQfreemem(payload);
        if (rc < 0)
            goto failed;
    }
    if (n > 0) {
        const char *last[1] = {PQgetvalue(events, n - 1, 0)};
        if (kc_db_run_cached(conn,
                             "UPDATE event_cursor SET last_seq = $1::bigint"
                             " WHERE consumer = 'kc-notify'",
                             1, last, NULL, NULL, "moving the cursor", NULL, error))
            goto failed;
    }
    PQclear(events);
    return kc_db_exec(conn, "COMMIT", error) ? -1 : n;
failed:
    PQclear(events);
    PGresult *rollback = PQexec(conn, "ROLLBACK");
    PQclear(rollback);
    return -1;
}
