-- 0008_workflow_timers: the clock of a procedure, objections, decisions kept
-- until the procedure waits for them.
--
-- Timers are rows, armed in the transaction that moves an application into
-- a timed state (a public notice, a yearly assessment, a rectification
-- year, a level's deadline) and fired by kc-workflow in the transaction
-- that takes their step: a restart finds every armed timer where it was,
-- and a timer fires at most once (fired_ms is set in the same commit as
-- the step). A timer armed by an earlier visit to a state (the instance
-- has moved on since) is closed as moved_on, never fired.

CREATE TABLE workflow_timer (
    id bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES workflow_instance,
    version int NOT NULL,                 -- the instance's version that armed it
    kind text NOT NULL CHECK (kind IN ('notice_end', 'timer', 'deadline_warning',
                                       'deadline_overdue')),
    state text NOT NULL,                  -- the state it belongs to
    transition text NOT NULL DEFAULT '',  -- notice_end, timer: the system step it takes
    due_ms bigint NOT NULL,               -- Unix milliseconds (kc-workflow's clock)
    armed_ms bigint NOT NULL,
    held boolean NOT NULL DEFAULT false,  -- a notice closed with objections unresolved
    fired_ms bigint,                      -- NULL: still to fire
    outcome text CHECK (outcome IN ('taken', 'moved_on', 'raised')),
    UNIQUE (application_id, version, kind)
);
CREATE INDEX workflow_timer_due ON workflow_timer (due_ms) WHERE fired_ms IS NULL AND NOT held;

-- How an objection to a notice was settled: upheld (the province then
-- returns or rejects the application) or dismissed. Every objection must
-- be settled before a notice can close into filing.
CREATE TABLE objection_resolution (
    objection_id bigint PRIMARY KEY REFERENCES objection,
    outcome text NOT NULL CHECK (outcome IN ('upheld', 'dismissed')),
    reason text NOT NULL CHECK (reason <> ''),
    user_id text NOT NULL,
    role text NOT NULL,
    division_code text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER objection_resolution_append_only BEFORE UPDATE OR DELETE ON objection_resolution
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- An applicant's submission that arrived before the procedure waits for it
-- (the yearly report handed in before the assessment opened): kept, and
-- taken the moment the application reaches `waiting_state`.
CREATE TABLE workflow_pending (
    id bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES workflow_instance,
    transition text NOT NULL,
    waiting_state text NOT NULL,
    user_id text NOT NULL,
    role text NOT NULL,
    division_code text NOT NULL,
    organisation text NOT NULL,
    reason text NOT NULL,
    attested boolean NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    kept_at timestamptz NOT NULL DEFAULT now(),
    taken_version int                     -- the step it became; NULL: still waiting
);
CREATE INDEX workflow_pending_waiting ON workflow_pending (application_id)
    WHERE taken_version IS NULL;

-- Objections are taken only while a notice is open (intake asks).
CREATE FUNCTION workflow_notice_open(p_application bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM workflow_timer t
                     JOIN workflow_instance w ON w.application_id = t.application_id
                                             AND w.version = t.version
                    WHERE t.application_id = p_application AND t.kind = 'notice_end'
                      AND t.fired_ms IS NULL)
$$;

-- kc-intake refuses an objection when no notice is open; this keeps it
-- true whatever writes to the table.
CREATE FUNCTION objection_needs_open_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT workflow_notice_open(NEW.application_id) THEN
        RAISE EXCEPTION 'application % is not on public notice', NEW.application_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER objection_on_notice_only BEFORE INSERT ON objection
    FOR EACH ROW EXECUTE FUNCTION objection_needs_open_notice();
