-- 0007_workflow: application procedures and where each application stands.
--
-- A process definition (deploy/workflow/*.ini) is stored verbatim with the
-- SHA-256 of its text, like a scoring methodology, and never changes: a new
-- procedure is a new code. Each application gets one workflow instance,
-- bound to the definition in force when it started; it keeps that version
-- when a newer one is loaded. Every transition is a row of workflow_step,
-- written in the same transaction as the state change, its event and its
-- audit entry. The state carries a version: a transition names the state it
-- leaves, so of two officials acting at once exactly one wins.

CREATE TABLE process_definition (
    code text PRIMARY KEY,                      -- mountain-base-v1
    programme text NOT NULL,                    -- mountain_base: the applications it governs
    title_zh text NOT NULL,
    source text NOT NULL,                       -- the file, byte for byte
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    loaded_by text NOT NULL
);
CREATE TRIGGER process_definition_immutable BEFORE UPDATE OR DELETE ON process_definition
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Store a definition once: the same code and text again is a no-op, the
-- same code with other text is refused.
CREATE FUNCTION process_definition_store(p_code text, p_programme text, p_title text,
                                         p_source text, p_sha text, p_by text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    known text;
BEGIN
    SELECT sha256 INTO known FROM process_definition WHERE code = p_code;
    IF NOT FOUND THEN
        INSERT INTO process_definition (code, programme, title_zh, source, sha256, loaded_by)
        VALUES (p_code, p_programme, p_title, p_source, p_sha, p_by);
        PERFORM pg_notify('kc_workflow', 'definition');
        RETURN 'stored';
    END IF;
    IF known <> p_sha THEN
        RAISE EXCEPTION 'process "%" is already stored with other content', p_code
            USING DETAIL = format('stored sha256 %s, this file %s', known, p_sha),
                  HINT = 'a stored version never changes: give the new version a new code';
    END IF;
    RETURN 'unchanged';
END $$;

CREATE TABLE workflow_instance (
    application_id bigint PRIMARY KEY REFERENCES application (id),
    definition text NOT NULL REFERENCES process_definition,
    county_code text NOT NULL,
    state text NOT NULL,
    version int NOT NULL DEFAULT 1,             -- +1 on every transition
    entered_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_instance_by_state ON workflow_instance (state, county_code);

CREATE TABLE workflow_step (
    application_id bigint NOT NULL REFERENCES workflow_instance,
    version int NOT NULL,                       -- the instance's version this step produced
    transition text NOT NULL,
    decision text NOT NULL,
    from_state text NOT NULL,
    to_state text NOT NULL,
    user_id text NOT NULL,
    role text NOT NULL,
    division_code text NOT NULL,
    reason text NOT NULL,
    attested boolean NOT NULL,
    idempotency_key text NOT NULL UNIQUE,       -- a retried command finds its first answer
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, version)
);
CREATE TRIGGER workflow_step_append_only BEFORE UPDATE OR DELETE ON workflow_step
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Give every application without an instance one, in the initial state of
-- the newest definition of its programme (`initials` maps definition code
-- to its initial state; the daemon parses the definitions). Returns how
-- many were adopted.
CREATE FUNCTION workflow_adopt(p_codes text[], p_initials text[]) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    adopted int;
BEGIN
    INSERT INTO workflow_instance (application_id, definition, county_code, state)
    SELECT a.id, d.code, a.county_code, i.initial
      FROM application a
      JOIN LATERAL (SELECT code FROM process_definition p WHERE p.programme = a.programme
                     ORDER BY loaded_at DESC, code DESC LIMIT 1) d ON true
      JOIN unnest(p_codes, p_initials) AS i(code, initial) ON i.code = d.code
     WHERE NOT EXISTS (SELECT 1 FROM workflow_instance w WHERE w.application_id = a.id)
    ON CONFLICT (application_id) DO NOTHING;
    GET DIAGNOSTICS adopted = ROW_COUNT;
    RETURN adopted;
END $$;

-- A new application wakes kc-workflow, which gives it its procedure.
CREATE FUNCTION workflow_application_arrived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kc_workflow', 'application');
    RETURN NULL;
END $$;
CREATE TRIGGER application_arrived AFTER INSERT ON application
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_application_arrived();
