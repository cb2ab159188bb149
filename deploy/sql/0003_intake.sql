-- 0003_intake: what kc-intake stores, and the event log every daemon appends to.
--
-- A submission is one accepted write, found again by its idempotency key:
-- a retry with the same key and the same body gets the first answer back and
-- stores nothing; the same key with another body is refused. The answer's
-- figures live on the submission row so they can be given again.
--
-- Indicator values are append-only revisions: a correction is a new revision
-- and the old one stays, so every published score can be traced to the exact
-- values it used. A value equal to the current revision adds nothing.
--
-- The event log has gapless sequence numbers assigned under one row lock
-- (event_log_head), so events commit in sequence order and a subscriber that
-- has seen seq N knows exactly what it is missing.

CREATE TABLE submission (
    id bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    request_hash bytea NOT NULL,           -- sha256 of the packed request body
    kind text NOT NULL CHECK (kind IN ('reports', 'application', 'objection')),
    message_id text NOT NULL,
    sender_node text NOT NULL,
    actor_user text NOT NULL,
    actor_role text NOT NULL,
    actor_division text NOT NULL,
    actor_organisation text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL DEFAULT now(),
    received integer NOT NULL DEFAULT 0,   -- values in the batch
    stored integer NOT NULL DEFAULT 0,     -- values that became a new revision
    unchanged integer NOT NULL DEFAULT 0,  -- values equal to the current revision
    provider text,
    application_ref text,
    objection_id bigint,
    event_seq bigint
);

CREATE TABLE indicator_value (
    county_code text NOT NULL,
    year integer NOT NULL,
    indicator_code text NOT NULL,
    revision integer NOT NULL CHECK (revision >= 1),
    value double precision NOT NULL CHECK (value = value AND abs(value) < 'infinity'),
    provider text NOT NULL,                -- checked against the catalogue by intake
    -- No foreign key: values are only written by intake_store_report_group,
    -- in the same statement as their submission row and with its id, and
    -- the check would cost a quarter of every write.
    submission_id bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, year, indicator_code, revision)
);
CREATE INDEX indicator_value_by_submission ON indicator_value (submission_id);

-- The value in force for each county, year and indicator.
CREATE VIEW indicator_value_current AS
SELECT DISTINCT ON (county_code, year, indicator_code) *
  FROM indicator_value
 ORDER BY county_code, year, indicator_code, revision DESC;

CREATE FUNCTION kc_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER indicator_value_append_only BEFORE UPDATE OR DELETE ON indicator_value
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

CREATE SEQUENCE application_number;

CREATE TABLE application (
    id bigserial PRIMARY KEY,
    ref text NOT NULL UNIQUE,              -- reference number people quote, e.g. MB-2026-000001
    programme text NOT NULL,
    county_code text NOT NULL,
    title text NOT NULL,                   -- the title it will be filed under
    base_name text NOT NULL,
    applicant_organisation text NOT NULL,
    status text NOT NULL DEFAULT 'submitted',
    submission_id bigint NOT NULL REFERENCES submission (id),
    submitted_at timestamptz NOT NULL DEFAULT now(),
    form jsonb NOT NULL                    -- every field of the form, as sent
);
CREATE INDEX application_by_county ON application (county_code);
-- One base is filed once; kc-intake checks first and names the earlier
-- application, this keeps it true whatever writes to the table.
CREATE UNIQUE INDEX application_one_per_base ON application (programme, county_code, base_name);

CREATE TABLE objection (
    id bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES application (id),
    objector_name text NOT NULL,
    objector_organisation text NOT NULL,
    phone text NOT NULL,
    email text NOT NULL,
    reason text NOT NULL,
    submission_id bigint NOT NULL REFERENCES submission (id),
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX objection_by_application ON objection (application_id);

CREATE TABLE event_log_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_seq bigint NOT NULL
);
INSERT INTO event_log_head VALUES (true, 0);

CREATE TABLE event (
    seq bigint PRIMARY KEY,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    node text NOT NULL,
    submission_id bigint REFERENCES submission (id),
    payload bytea NOT NULL                 -- the packed payload message named by type
);

CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Append one event; the row lock on the head orders commits by sequence.
CREATE FUNCTION kc_event_append(p_type text, p_node text, p_submission bigint, p_payload bytea)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    next_seq bigint;
BEGIN
    UPDATE event_log_head SET last_seq = last_seq + 1 RETURNING last_seq INTO next_seq;
    INSERT INTO event (seq, type, node, submission_id, payload)
    VALUES (next_seq, p_type, p_node, p_submission, p_payload);
    RETURN next_seq;
END $$;

-- Claim an idempotency key. A new key gives a new submission; a known one
-- gives the earlier submission, with hash_matches telling whether the body
-- is the same.
CREATE FUNCTION intake_begin(p_key text, p_body bytea, p_kind text, p_message_id text,
                             p_node text, p_user text, p_role text, p_division text,
                             p_organisation text)
RETURNS TABLE (submission_id bigint, replayed boolean, hash_matches boolean)
LANGUAGE plpgsql AS $$
DECLARE
    body_hash bytea := sha256(p_body);
    new_id bigint;
BEGIN
    INSERT INTO submission (idempotency_key, request_hash, kind, message_id, sender_node,
                            actor_user, actor_role, actor_division, actor_organisation)
    VALUES (p_key, body_hash, p_kind, p_message_id, p_node, p_user, p_role, p_division,
            p_organisation)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NOT NULL THEN
        RETURN QUERY SELECT new_id, false, true;
    ELSE
        RETURN QUERY SELECT s.id, true, s.request_hash = body_hash
                       FROM submission s WHERE s.idempotency_key = p_key;
    END IF;
END $$;

-- The answer a submission was given, for the first time or again.
CREATE FUNCTION intake_answer(p_submission bigint, p_replayed boolean, p_hash_matches boolean)
RETURNS TABLE (submission_id bigint, replayed boolean, hash_matches boolean, kind text,
               received integer, stored integer, unchanged integer, application_ref text,
               objection_id bigint, event_seq bigint, committed_ms bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.id, p_replayed, p_hash_matches, s.kind, s.received, s.stored, s.unchanged,
           s.application_ref, s.objection_id, s.event_seq,
           (extract(epoch FROM s.received_at) * 1000)::bigint
      FROM submission s WHERE s.id = p_submission
$$;

-- Store every validated batch of indicator values of one group commit in
-- one statement: the writes arrive as parallel arrays (one element per
-- write) and their values as flat arrays tagged with the write's ordinal.
-- One statement instead of one call per write is what lets a node take tens
-- of thousands of single-value submissions a second: one plan, one event
-- log update, and each submission row written once with its final figures.
--
-- A key already stored answers with its first answer (hash_matches tells
-- whether the body is the same); a key sent twice in one group is stored
-- once and its second copy answered as a retry of the first. Two writes of
-- one group revising the same value collide on the primary key: the group
-- then fails as a whole and kc-intake commits its writes one by one.
CREATE FUNCTION intake_store_report_group(
    p_keys text[], p_bodies bytea[], p_message_ids text[], p_senders text[], p_users text[],
    p_roles text[], p_divisions text[], p_organisations text[], p_providers text[],
    p_events bytea[], p_counts integer[], p_value_writes integer[], p_counties text[],
    p_years integer[], p_indicators text[], p_values double precision[], p_local_node text)
RETURNS TABLE (ordinal bigint, submission_id bigint, replayed boolean, hash_matches boolean,
               kind text, received integer, stored integer, unchanged integer,
               application_ref text, objection_id bigint, event_seq bigint, committed_ms bigint)
-- A SQL function is planned anew for each group, with its real arrays: a
-- plan kept from an early, small group on empty tables could scan whole
-- tables once they hold millions of rows.
LANGUAGE sql AS $$
WITH w AS (
    SELECT w.*, sha256(w.body) AS hash,
           min(w.ord) OVER (PARTITION BY w.key) AS first_ord
      FROM unnest(p_keys, p_bodies, p_message_ids, p_senders, p_users, p_roles, p_divisions,
                  p_organisations, p_providers, p_events, p_counts)
           WITH ORDINALITY AS w(key, body, message_id, sender, actor_user, actor_role,
                                actor_division, actor_organisation, provider, event, n_values,
                                ord)
), known AS (
    SELECT w.ord, s.id, s.request_hash
      FROM w JOIN submission s ON s.idempotency_key = w.key
), fresh AS MATERIALIZED (
    SELECT w.*, nextval('submission_id_seq') AS id
      FROM w
     WHERE w.ord = w.first_ord AND NOT EXISTS (SELECT 1 FROM known k WHERE k.ord = w.ord)
     ORDER BY w.ord
), incoming AS (
    SELECT v.*, f.id, f.provider
      FROM unnest(p_value_writes, p_counties, p_years, p_indicators, p_values)
           AS v(write_ord, county_code, year, indicator_code, value)
      JOIN fresh f ON f.ord = v.write_ord
), new_values AS (
    INSERT INTO indicator_value (county_code, year, indicator_code, revision, value, provider,
                                 submission_id)
    SELECT i.county_code, i.year, i.indicator_code, coalesce(l.revision, 0) + 1, i.value,
           i.provider, i.id
      FROM incoming i
      LEFT JOIN LATERAL (
            SELECT v.revision, v.value FROM indicator_value v
             WHERE v.county_code = i.county_code AND v.year = i.year
               AND v.indicator_code = i.indicator_code
             ORDER BY v.revision DESC LIMIT 1) l ON true
     WHERE l.value IS DISTINCT FROM i.value
     -- One order for every group: two writers never lock rows crosswise.
     ORDER BY i.county_code, i.year, i.indicator_code
    RETURNING submission_id
), stored AS MATERIALIZED (
    -- One row holding every write's count: a join here would be planned as
    -- a loop over writes rescanning the counts, the row estimate of
    -- unnest() being what it is.
    SELECT coalesce(jsonb_object_agg(c.submission_id, c.n), '{}') AS counts
      FROM (SELECT n.submission_id, count(*) AS n FROM new_values n GROUP BY 1) c
), head AS (
    UPDATE event_log_head SET last_seq = last_seq + (SELECT count(*) FROM fresh)
    RETURNING last_seq - (SELECT count(*) FROM fresh) AS base
), numbered AS (
    SELECT f.*, head.base + row_number() OVER (ORDER BY f.ord) AS seq,
           coalesce((st.counts ->> f.id::text)::integer, 0) AS n_stored
      FROM fresh f CROSS JOIN head CROSS JOIN stored st
), new_events AS (
    INSERT INTO event (seq, type, node, submission_id, payload)
    SELECT n.seq, 'ReportsSubmitted', p_local_node, n.id, n.event FROM numbered n
), new_submissions AS (
    INSERT INTO submission (id, idempotency_key, request_hash, kind, message_id, sender_node,
                            actor_user, actor_role, actor_division, actor_organisation,
                            received, stored, unchanged, provider, event_seq)
    SELECT n.id, n.key, n.hash, 'reports', n.message_id, n.sender, n.actor_user, n.actor_role,
           n.actor_division, n.actor_organisation, n.n_values, n.n_stored,
           n.n_values - n.n_stored, n.provider, n.seq
      FROM numbered n
)
-- New writes answer with what was just stored...
SELECT n.ord, n.id, false, true, 'reports', n.n_values, n.n_stored, n.n_values - n.n_stored,
       NULL::text, NULL::bigint, n.seq, (extract(epoch FROM now()) * 1000)::bigint
  FROM numbered n
UNION ALL
-- ...keys stored before answer with their first answer...
SELECT k.ord, a.submission_id, true, k.request_hash = w.hash, a.kind, a.received, a.stored,
       a.unchanged, a.application_ref, a.objection_id, a.event_seq, a.committed_ms
  FROM known k JOIN w ON w.ord = k.ord, intake_answer(k.id, true, true) a
UNION ALL
-- ...and a key repeated within the group answers as a retry of its first copy.
SELECT w.ord, n.id, true, w.hash = n.hash, 'reports', n.n_values, n.n_stored,
       n.n_values - n.n_stored, NULL::text, NULL::bigint, n.seq,
       (extract(epoch FROM now()) * 1000)::bigint
  FROM w JOIN numbered n ON n.ord = w.first_ord
 WHERE w.ord <> w.first_ord
$$;

-- Store one validated application. The reference number is drawn by the
-- caller (nextval) so that the event it publishes can carry it.
CREATE FUNCTION intake_store_application(p_key text, p_body bytea, p_message_id text,
                                         p_node text, p_user text, p_role text,
                                         p_division text, p_organisation text, p_ref text,
                                         p_programme text, p_county text, p_title text,
                                         p_base_name text, p_applicant text, p_form jsonb,
                                         p_event bytea, p_local_node text)
RETURNS TABLE (submission_id bigint, replayed boolean, hash_matches boolean, kind text,
               received integer, stored integer, unchanged integer, application_ref text,
               objection_id bigint, event_seq bigint, committed_ms bigint)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    seq bigint;
BEGIN
    SELECT * INTO claim FROM intake_begin(p_key, p_body, 'application', p_message_id, p_node,
                                          p_user, p_role, p_division, p_organisation);
    IF claim.replayed THEN
        RETURN QUERY SELECT * FROM intake_answer(claim.submission_id, true, claim.hash_matches);
        RETURN;
    END IF;
    INSERT INTO application (ref, programme, county_code, title, base_name,
                             applicant_organisation, submission_id, form)
    VALUES (p_ref, p_programme, p_county, p_title, p_base_name, p_applicant,
            claim.submission_id, p_form);
    seq := kc_event_append('ApplicationSubmitted', p_local_node, claim.submission_id, p_event);
    UPDATE submission s SET received = 1, stored = 1, application_ref = p_ref, event_seq = seq
     WHERE s.id = claim.submission_id;
    RETURN QUERY SELECT * FROM intake_answer(claim.submission_id, false, true);
END $$;

-- Store one validated objection against an application on notice.
CREATE FUNCTION intake_store_objection(p_key text, p_body bytea, p_message_id text,
                                       p_node text, p_user text, p_role text,
                                       p_division text, p_organisation text, p_objection bigint,
                                       p_application_ref text, p_name text,
                                       p_objector_organisation text, p_phone text,
                                       p_email text, p_reason text, p_event bytea,
                                       p_local_node text)
RETURNS TABLE (submission_id bigint, replayed boolean, hash_matches boolean, kind text,
               received integer, stored integer, unchanged integer, application_ref text,
               objection_id bigint, event_seq bigint, committed_ms bigint)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    target bigint;
    seq bigint;
BEGIN
    SELECT * INTO claim FROM intake_begin(p_key, p_body, 'objection', p_message_id, p_node,
                                          p_user, p_role, p_division, p_organisation);
    IF claim.replayed THEN
        RETURN QUERY SELECT * FROM intake_answer(claim.submission_id, true, claim.hash_matches);
        RETURN;
    END IF;
    SELECT a.id INTO target FROM application a WHERE a.ref = p_application_ref;
    IF target IS NULL THEN
        RAISE EXCEPTION 'application % does not exist', p_application_ref
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO objection (id, application_id, objector_name, objector_organisation, phone,
                           email, reason, submission_id)
    VALUES (p_objection, target, p_name, p_objector_organisation, p_phone, p_email, p_reason,
            claim.submission_id);
    seq := kc_event_append('ObjectionSubmitted', p_local_node, claim.submission_id, p_event);
    UPDATE submission s SET received = 1, stored = 1, objection_id = p_objection,
                            application_ref = p_application_ref, event_seq = seq
     WHERE s.id = claim.submission_id;
    RETURN QUERY SELECT * FROM intake_answer(claim.submission_id, false, true);
END $$;
