-- 0013_federation: who a node's peers are, what travels between them, and
-- how a node takes what a peer sends (issue 6).
--
-- Up travel the indicator data a county enters and the applications a
-- county has approved (with every later step); down travel every decision
-- and filing on an application of the child's division, and each county's
-- published class, score, ranks and reward. A message is
-- applied in the transaction that puts it into link_inbox, so it is taken
-- exactly once; a message the receiving node must refuse (a county speaking
-- for another county, a step at a level the sender does not hold) is kept
-- in the inbox with the reason, acknowledged so that the stream goes on,
-- and audited.

-- This node and its peers, as kc-link's configuration and peers file say
-- (written by kc-link at start); the link state for `kcctl link status`.
CREATE TABLE link_peer (
    division text PRIMARY KEY CHECK (division ~ '^[0-9]{6}$'),
    relation text NOT NULL CHECK (relation IN ('self', 'parent', 'child')),
    level text NOT NULL CHECK (level IN ('province', 'city', 'county')),
    name text NOT NULL DEFAULT '',
    heard_at timestamptz,                  -- the last frame from it
    up_since timestamptz                   -- heard continuously since
);
CREATE UNIQUE INDEX link_peer_one_self ON link_peer (relation) WHERE relation <> 'child';

ALTER TABLE link_inbox ADD COLUMN outcome text NOT NULL DEFAULT 'taken';

CREATE FUNCTION kc_level_rank(p_level text) RETURNS int IMMUTABLE LANGUAGE sql AS $$
    SELECT CASE p_level WHEN 'county' THEN 1 WHEN 'city' THEN 2 WHEN 'province' THEN 3 ELSE 0 END
$$;

-- Whether division `p_code` lies within division `p_division`: itself, a
-- county of its city (first four digits) or of its province (first two).
CREATE FUNCTION kc_within(p_code text, p_division text) RETURNS boolean IMMUTABLE LANGUAGE sql AS $$
    SELECT CASE WHEN p_division ~ '^[0-9]{2}0000$' THEN left(p_code, 2) = left(p_division, 2)
                WHEN p_division ~ '^[0-9]{4}00$' THEN left(p_code, 4) = left(p_division, 4)
                ELSE p_code = p_division END
$$;

-- link_enqueue (0012) now also wakes kc-link, which LISTENs on kc_link, so
-- a message leaves as soon as its transaction commits.
CREATE OR REPLACE FUNCTION link_enqueue(p_node text, p_destination text, p_peer text, p_key text,
                                        p_kind text, p_payload bytea)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    number bigint;
    id text;
    peer text := coalesce(p_peer, '');
    before bigint;
BEGIN
    -- the stream's row lock orders its messages as their transactions
    -- commit; the number is drawn under it, so that within a stream the
    -- numbers rise in the order the messages commit (a number drawn before
    -- the lock could come after a later one in the chain)
    SELECT last_number INTO before FROM link_stream
     WHERE destination = p_destination AND peer_division = peer FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO link_stream (destination, peer_division) VALUES (p_destination, peer)
        ON CONFLICT DO NOTHING;
        SELECT last_number INTO before FROM link_stream
         WHERE destination = p_destination AND peer_division = peer FOR UPDATE;
    END IF;
    number := nextval('link_message_number');
    id := p_node || '-' || number;
    UPDATE link_stream SET last_number = number
     WHERE destination = p_destination AND peer_division = peer;
    INSERT INTO link_outbox (id, previous, message_id, destination, peer_division, ordering_key,
                             kind, payload)
    VALUES (number, before, id, p_destination, peer, p_key, p_kind, p_payload);
    PERFORM pg_notify('kc_link', '');
    RETURN id;
END $$;

-- The peer has taken every message of a stream up to `p_number`: they
-- leave the outbox (one acknowledgement for a whole batch).
CREATE FUNCTION link_acknowledged_up_to(p_destination text, p_peer text, p_number bigint)
RETURNS bigint LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM link_outbox WHERE destination = p_destination
                     AND peer_division = p_peer AND id <= p_number RETURNING 1)
    SELECT count(*) FROM gone
$$;

-- ---- indicator data, up ---------------------------------------------------

-- A report submission of county-supplied data (provider `county`, the
-- innovation-management indicators, by a county official) is queued for
-- the parent when it stored something; the other providers report to the
-- province themselves. It runs at commit, when the
-- submission's values are all written. What came from a child (key
-- link:...) is sent on by link_apply_reports itself.
CREATE FUNCTION link_forward_reports() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    self_division text;
    s submission;
    body jsonb;
BEGIN
    SELECT division INTO self_division FROM link_peer WHERE relation = 'self';
    IF self_division IS NULL OR NOT EXISTS (SELECT 1 FROM link_peer WHERE relation = 'parent') THEN
        RETURN NULL;
    END IF;
    SELECT * INTO s FROM submission WHERE id = NEW.id;
    IF s.stored = 0 OR s.provider IS DISTINCT FROM 'county'
       OR s.actor_division !~ '^[0-9]{4}([1-9][0-9]|0[1-9])$' THEN
        RETURN NULL;
    END IF;
    SELECT jsonb_build_object(
               'message_id', s.message_id, 'user', s.actor_user, 'role', s.actor_role,
               'division', s.actor_division, 'organisation', s.actor_organisation,
               'provider', s.provider,
               'values', coalesce(jsonb_agg(jsonb_build_array(v.county_code, v.year,
                                                              v.indicator_code, v.value)
                                            ORDER BY v.county_code, v.year, v.indicator_code),
                                  '[]'))
      INTO body
      FROM indicator_value v WHERE v.submission_id = s.id;
    PERFORM link_enqueue(self_division, 'parent', '', s.actor_division, 'intake.reports',
                         convert_to(body::text, 'UTF8'));
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER submission_forward_reports AFTER INSERT ON submission
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.kind = 'reports' AND NEW.idempotency_key NOT LIKE 'link:%')
    EXECUTE FUNCTION link_forward_reports();

-- Take a child's report submission: stored as a submission of this node
-- under the key link:<message id>, its values as new revisions where they
-- differ, and queued for this node's parent (`p_self` names this node)
-- when it changed something. '' when taken, else why it is refused.
CREATE FUNCTION link_apply_reports(p_self text, p_origin text, p_message_id text, p_body jsonb)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    outsider text;
    sub bigint;
    n_stored int;
BEGIN
    IF NOT kc_within(p_body ->> 'division', p_origin) THEN
        RETURN format('node %s cannot submit as division %s', p_origin, p_body ->> 'division');
    END IF;
    SELECT e ->> 0 INTO outsider FROM jsonb_array_elements(p_body -> 'values') e
     WHERE NOT kc_within(e ->> 0, p_origin) LIMIT 1;
    IF outsider IS NOT NULL THEN
        RETURN format('node %s cannot submit values of county %s', p_origin, outsider);
    END IF;
    -- a county supplies its innovation-management indicators, nothing else
    SELECT e ->> 2 INTO outsider FROM jsonb_array_elements(p_body -> 'values') e
     WHERE p_body ->> 'provider' IS DISTINCT FROM 'county'
        OR NOT EXISTS (SELECT 1 FROM indicator i
                        WHERE i.code = e ->> 2 AND i.provider = 'county') LIMIT 1;
    IF outsider IS NOT NULL THEN
        RETURN format('node %s cannot submit indicator %s as provider %s: a county supplies'
                      ' the indicators of provider county', p_origin, outsider,
                      p_body ->> 'provider');
    END IF;
    -- the values first, under the submission's id drawn beforehand, so
    -- that the submission row is written once with its counts
    sub := nextval('submission_id_seq');
    WITH incoming AS (
        SELECT e ->> 0 AS county_code, (e ->> 1)::int AS year, e ->> 2 AS indicator_code,
               (e ->> 3)::double precision AS value
          FROM jsonb_array_elements(p_body -> 'values') e
    ), fresh AS (
        INSERT INTO indicator_value (county_code, year, indicator_code, revision, value, provider,
                                     submission_id)
        SELECT i.county_code, i.year, i.indicator_code, coalesce(l.revision, 0) + 1, i.value,
               p_body ->> 'provider', sub
          FROM incoming i
          LEFT JOIN LATERAL (SELECT v.revision, v.value FROM indicator_value v
                              WHERE v.county_code = i.county_code AND v.year = i.year
                                AND v.indicator_code = i.indicator_code
                              ORDER BY v.revision DESC LIMIT 1) l ON true
         WHERE l.value IS DISTINCT FROM i.value
         ORDER BY i.county_code, i.year, i.indicator_code
        RETURNING 1
    )
    SELECT count(*) INTO n_stored FROM fresh;
    INSERT INTO submission (id, idempotency_key, request_hash, kind, message_id, sender_node,
                            actor_user, actor_role, actor_division, actor_organisation, received,
                            stored, unchanged, provider)
    VALUES (sub, 'link:' || p_message_id, sha256(convert_to(p_body::text, 'UTF8')), 'reports',
            coalesce(p_body ->> 'message_id', p_message_id), p_origin,
            coalesce(p_body ->> 'user', ''), coalesce(p_body ->> 'role', ''),
            p_body ->> 'division', coalesce(p_body ->> 'organisation', ''),
            jsonb_array_length(p_body -> 'values'), n_stored,
            jsonb_array_length(p_body -> 'values') - n_stored, p_body ->> 'provider');
    -- and on to this node's parent, as it came
    IF n_stored > 0 AND EXISTS (SELECT 1 FROM link_peer WHERE relation = 'parent') THEN
        PERFORM link_enqueue(p_self, 'parent', '', p_body ->> 'division', 'intake.reports',
                             convert_to(p_body::text, 'UTF8'));
    END IF;
    RETURN '';
END $$;

-- ---- applications, both ways ------------------------------------------------

ALTER TABLE application ALTER COLUMN submission_id DROP NOT NULL; -- NULL: submitted at another node
ALTER TABLE workflow_instance
    ADD COLUMN linked_up boolean NOT NULL DEFAULT false, -- its steps go to the parent
    ADD COLUMN arrived_from text,  -- a peer's steps were taken: kc-workflow settles them
    ADD COLUMN arrived_after int;  -- the version it had before them

-- Everything a node needs to hold an application: the form and every step.
CREATE FUNCTION workflow_snapshot(p_application bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
               'ref', a.ref, 'programme', a.programme, 'county', a.county_code,
               'title', a.title, 'base_name', a.base_name,
               'applicant', a.applicant_organisation, 'submitted_at', a.submitted_at,
               'form', a.form, 'definition', w.definition, 'state', w.state,
               'version', w.version, 'entered_at', w.entered_at, 'started_at', w.started_at,
               'steps', coalesce((SELECT jsonb_agg(to_jsonb(s) - 'application_id'
                                                   ORDER BY s.version)
                                    FROM workflow_step s WHERE s.application_id = a.id), '[]'))
      FROM application a JOIN workflow_instance w ON w.application_id = a.id
     WHERE a.id = p_application
$$;

-- After a step (taken here, or a peer's settled here) into a state of
-- level `p_state_level`: the application goes to the parent once it sits
-- above this node's level and from then on with every step, and to the
-- child whose division holds its county; never back to `p_skip`, the peer
-- it came from. Nothing on a node without link_peer rows.
CREATE FUNCTION workflow_forward(p_application bigint, p_state_level text, p_skip text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    me link_peer;
    w workflow_instance;
    parent text;
    child text;
    body bytea;
    ref text;
    up boolean := false;
BEGIN
    SELECT * INTO me FROM link_peer WHERE relation = 'self';
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO w FROM workflow_instance WHERE application_id = p_application;
    SELECT a.ref INTO ref FROM application a WHERE a.id = p_application;
    SELECT division INTO parent FROM link_peer WHERE relation = 'parent';
    SELECT division INTO child FROM link_peer
     WHERE relation = 'child' AND kc_within(w.county_code, division) LIMIT 1;
    IF parent IS DISTINCT FROM p_skip
       AND (w.linked_up OR kc_level_rank(p_state_level) > kc_level_rank(me.level)) THEN
        up := parent IS NOT NULL;
    END IF;
    IF child IS NOT DISTINCT FROM p_skip THEN
        child := NULL;
    END IF;
    IF NOT up AND child IS NULL THEN
        RETURN; -- nobody to tell: no copy built
    END IF;
    body := convert_to(workflow_snapshot(p_application)::text, 'UTF8');
    IF up THEN
        PERFORM link_enqueue(me.division, 'parent', '', ref, 'workflow.application', body);
        UPDATE workflow_instance SET linked_up = true WHERE application_id = p_application;
    END IF;
    IF child IS NOT NULL THEN
        PERFORM link_enqueue(me.division, 'child', child, ref, 'workflow.application', body);
    END IF;
END $$;

-- The level a state of a stored definition sits at (its `level =` line):
-- province, city, county or none.
CREATE FUNCTION workflow_state_level(p_definition text, p_state text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(substring(d.source FROM '\[state\.' || p_state ||
                                          '\][^\[]*\nlevel\s*=\s*([a-z]+)'), 'none')
      FROM process_definition d WHERE d.code = p_definition
$$;

-- Take a peer's copy of an application: the application and its instance
-- if new here, and every step this node does not have yet. A child speaks
-- only for applications of its division and only with steps of its own
-- officials or its timers; a copy that disagrees with a step held here is
-- refused. '' when taken, else why it is refused.
CREATE FUNCTION workflow_replica_apply(p_origin text, p_body jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    me link_peer;
    peer link_peer;
    app bigint;
    held int := 0;
    step jsonb;
    differs int;
BEGIN
    SELECT * INTO me FROM link_peer WHERE relation = 'self';
    SELECT * INTO peer FROM link_peer WHERE division = p_origin;
    IF me.division IS NULL OR peer.division IS NULL OR peer.relation = 'self' THEN
        RETURN format('node %s is not a peer of this node', p_origin);
    END IF;
    IF peer.relation = 'child' AND NOT kc_within(p_body ->> 'county', p_origin) THEN
        RETURN format('node %s cannot speak for an application of county %s', p_origin,
                      p_body ->> 'county');
    END IF;
    IF NOT kc_within(p_body ->> 'county', me.division) THEN
        RETURN format('application %s of county %s is outside this node', p_body ->> 'ref',
                      p_body ->> 'county');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM process_definition WHERE code = p_body ->> 'definition') THEN
        RETURN format('process %s is not loaded on this node', p_body ->> 'definition');
    END IF;
    -- the state is the last step's, the steps are numbered 2, 3, ... up to
    -- the version: a copy says nothing its steps do not
    SELECT count(*) INTO differs FROM jsonb_array_elements(p_body -> 'steps') WITH ORDINALITY
                                       AS s(step, n)
     WHERE (s.step ->> 'version')::int <> s.n + 1;
    IF differs > 0 OR jsonb_array_length(p_body -> 'steps') <> (p_body ->> 'version')::int - 1
       OR (jsonb_array_length(p_body -> 'steps') > 0 AND
           (p_body -> 'steps' -> -1 ->> 'to_state') IS DISTINCT FROM p_body ->> 'state') THEN
        RETURN format('the copy of %s from %s does not follow from its steps', p_body ->> 'ref',
                      p_origin);
    END IF;
    IF peer.relation = 'child' THEN
        -- a child's officials act within its division; its timers only on
        -- the states its level holds
        SELECT count(*) INTO differs FROM jsonb_array_elements(p_body -> 'steps') s
         WHERE (s ->> 'role' <> 'system' AND NOT kc_within(s ->> 'division_code', p_origin))
            OR (s ->> 'role' = 'system'
                AND kc_level_rank(coalesce(nullif(workflow_state_level(p_body ->> 'definition',
                                                                        s ->> 'from_state'),
                                                   'none'), 'county'))
                    > kc_level_rank(peer.level));
        IF differs > 0 THEN
            RETURN format('node %s cannot send steps taken above its level', p_origin);
        END IF;
    END IF;

    SELECT a.id INTO app FROM application a WHERE a.ref = p_body ->> 'ref';
    IF app IS NULL THEN
        INSERT INTO application (ref, programme, county_code, title, base_name,
                                 applicant_organisation, status, submission_id, submitted_at,
                                 form)
        VALUES (p_body ->> 'ref', p_body ->> 'programme', p_body ->> 'county',
                p_body ->> 'title', p_body ->> 'base_name', p_body ->> 'applicant',
                p_body ->> 'state', NULL, (p_body ->> 'submitted_at')::timestamptz,
                p_body -> 'form')
        RETURNING id INTO app;
        INSERT INTO workflow_instance (application_id, definition, county_code, state, version,
                                       entered_at, started_at)
        VALUES (app, p_body ->> 'definition', p_body ->> 'county', p_body ->> 'state', 0,
                (p_body ->> 'entered_at')::timestamptz, (p_body ->> 'started_at')::timestamptz);
    ELSE
        IF NOT EXISTS (SELECT 1 FROM application a WHERE a.id = app
                          AND a.county_code = p_body ->> 'county') THEN
            RETURN format('application %s is not of county %s', p_body ->> 'ref',
                          p_body ->> 'county');
        END IF;
        SELECT version INTO held FROM workflow_instance WHERE application_id = app FOR UPDATE;
        SELECT count(*) INTO differs
          FROM jsonb_array_elements(p_body -> 'steps') s
          JOIN workflow_step l ON l.application_id = app AND l.version = (s ->> 'version')::int
         WHERE l.idempotency_key <> s ->> 'idempotency_key';
        IF differs > 0 THEN
            RETURN format('the copy of %s from %s disagrees with a step held here', p_body ->> 'ref',
                          p_origin);
        END IF;
    END IF;
    IF (p_body ->> 'version')::int <= held THEN
        RETURN ''; -- nothing new
    END IF;
    FOR step IN SELECT s FROM jsonb_array_elements(p_body -> 'steps') s
                 WHERE (s ->> 'version')::int > held ORDER BY (s ->> 'version')::int LOOP
        INSERT INTO workflow_step (application_id, version, transition, decision, from_state,
                                   to_state, user_id, role, division_code, reason, attested,
                                   idempotency_key, at)
        VALUES (app, (step ->> 'version')::int, step ->> 'transition', step ->> 'decision',
                step ->> 'from_state', step ->> 'to_state', step ->> 'user_id', step ->> 'role',
                step ->> 'division_code', step ->> 'reason', (step ->> 'attested')::boolean,
                step ->> 'idempotency_key', (step ->> 'at')::timestamptz);
    END LOOP;
    UPDATE workflow_instance
       SET state = p_body ->> 'state', version = (p_body ->> 'version')::int,
           entered_at = (p_body ->> 'entered_at')::timestamptz, arrived_from = p_origin,
           arrived_after = coalesce(arrived_after, held)
     WHERE application_id = app;
    UPDATE application SET status = p_body ->> 'state' WHERE id = app;
    PERFORM pg_notify('kc_workflow', 'replica');
    RETURN '';
END $$;

-- ---- published classes, down -------------------------------------------------

-- A county's published class, score, ranks and reward as this node received
-- them from above (the scope that published them keeps the full run).
CREATE TABLE published_class (
    scope_code text NOT NULL,
    year int NOT NULL,
    county_code text NOT NULL,
    run_id bigint NOT NULL,            -- the publishing node's run
    class char(1) NOT NULL CHECK (class IN ('A', 'B', 'C')),
    total int NOT NULL,                -- centipoints
    rank int NOT NULL,
    rank_in_city int NOT NULL,
    reward int NOT NULL,               -- 万元
    origin_division text NOT NULL,     -- the parent it came from
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope_code, year, county_code)
);
CREATE TRIGGER published_class_append_only BEFORE UPDATE OR DELETE ON published_class
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Called by kcctl publish for each county of the run, with the county's
-- CountyClassPublished event (packed) and its figures: queued for the
-- child whose division holds the county, if this node has one.
CREATE FUNCTION link_publish_class(p_county text, p_event bytea, p_result jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    me text;
    child text;
BEGIN
    SELECT division INTO me FROM link_peer WHERE relation = 'self';
    SELECT division INTO child FROM link_peer
     WHERE relation = 'child' AND kc_within(p_county, division) LIMIT 1;
    IF me IS NULL OR child IS NULL THEN
        RETURN;
    END IF;
    PERFORM link_enqueue(me, 'child', child, p_county, 'scoring.class',
                         convert_to(jsonb_build_object('county', p_county, 'result', p_result,
                                                       'event', encode(p_event, 'base64'))::text,
                                    'UTF8'));
END $$;

-- Take a county's published class from the parent: kept, announced on
-- this node's event log (its kc-notify tells the county's people), and
-- sent on to the child that holds the county. Only a parent publishes.
CREATE FUNCTION link_apply_class(p_self text, p_origin text, p_body jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb := p_body -> 'result';
    county text := p_body ->> 'county';
    child text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM link_peer WHERE division = p_origin AND relation = 'parent') THEN
        RETURN format('node %s cannot publish classes to this node: only its parent does', p_origin);
    END IF;
    IF county IS NULL OR NOT kc_within(county, p_self) THEN
        RETURN format('county %s is outside this node', county);
    END IF;
    INSERT INTO published_class (scope_code, year, county_code, run_id, class, total, rank,
                                 rank_in_city, reward, origin_division)
    VALUES (r ->> 'scope_code', (r ->> 'year')::int, county, (r ->> 'run_id')::bigint,
            r ->> 'class', (r ->> 'total')::int, (r ->> 'rank')::int,
            (r ->> 'rank_in_city')::int, (r ->> 'reward')::int, p_origin)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN ''; -- published before: a publication is frozen
    END IF;
    PERFORM kc_event_append('CountyClassPublished', p_self, NULL,
                            decode(p_body ->> 'event', 'base64'));
    PERFORM pg_notify('kc_events', '');
    SELECT division INTO child FROM link_peer
     WHERE relation = 'child' AND kc_within(county, division) LIMIT 1;
    IF child IS NOT NULL THEN
        PERFORM link_enqueue(p_self, 'child', child, county, 'scoring.class',
                             convert_to(p_body::text, 'UTF8'));
    END IF;
    RETURN '';
END $$;

-- ---- taking a message ---------------------------------------------------------

-- What a message does to this node, by kind; '' or why it is refused.
CREATE FUNCTION link_apply(p_self text, p_origin text, p_message_id text, p_kind text,
                           p_payload bytea)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN CASE p_kind
        WHEN 'intake.reports' THEN
            link_apply_reports(p_self, p_origin, p_message_id, convert_from(p_payload, 'UTF8')::jsonb)
        WHEN 'workflow.application' THEN
            workflow_replica_apply(p_origin, convert_from(p_payload, 'UTF8')::jsonb)
        WHEN 'scoring.class' THEN
            link_apply_class(p_self, p_origin, convert_from(p_payload, 'UTF8')::jsonb)
        ELSE '' END;
END $$;

-- link_receive (0012) now applies what it takes, in its transaction: a
-- message the node must refuse is a refusal, never a stream that stops.
-- kc-link takes a batch unguarded first (no subtransaction per message:
-- hundreds of them in one transaction would slow every snapshot of the
-- node) and, if anything in it raised an error, takes the batch again
-- guarded, each message's application in a subtransaction of its own, an
-- error becoming that message's refusal.
DROP FUNCTION link_receive(text, text, bigint, bigint, text, text, bytea);
CREATE FUNCTION link_receive(p_origin text, p_message_id text, p_number bigint,
                             p_previous bigint, p_key text, p_kind text, p_payload bytea,
                             p_guarded boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    last bigint;
    refusal text := '';
    self_division text;
BEGIN
    SELECT last_number INTO last FROM link_stream_in WHERE origin_division = p_origin FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO link_stream_in (origin_division) VALUES (p_origin) ON CONFLICT DO NOTHING;
        SELECT last_number INTO last FROM link_stream_in
         WHERE origin_division = p_origin FOR UPDATE;
    END IF;
    IF p_number <= last THEN
        RETURN 'copy';
    END IF;
    IF p_previous <> last THEN
        RETURN 'early';
    END IF;
    SELECT division INTO self_division FROM link_peer WHERE relation = 'self';
    IF NOT p_guarded THEN
        -- every apply function checks before it writes: a refusal leaves nothing
        refusal := link_apply(self_division, p_origin, p_message_id, p_kind, p_payload);
        INSERT INTO link_inbox (origin_division, message_id, ordering_key, kind, payload, outcome)
        VALUES (p_origin, p_message_id, p_key, p_kind, p_payload,
                CASE WHEN refusal = '' THEN 'taken' ELSE 'refused: ' || refusal END);
    ELSE
        BEGIN
            refusal := link_apply(self_division, p_origin, p_message_id, p_kind, p_payload);
            IF refusal <> '' THEN
                RAISE EXCEPTION USING MESSAGE = refusal; -- undo whatever was written
            END IF;
            INSERT INTO link_inbox (origin_division, message_id, ordering_key, kind, payload)
            VALUES (p_origin, p_message_id, p_key, p_kind, p_payload);
        EXCEPTION WHEN OTHERS THEN
            -- a deadlock, a lock timeout, a lack of resources is this node's
            -- passing trouble, not the message's fault: the batch fails and
            -- the sender sends it again
            IF SQLSTATE ~ '^(40|53|55|57|58)' THEN
                RAISE;
            END IF;
            refusal := SQLERRM;
            BEGIN
                INSERT INTO link_inbox (origin_division, message_id, ordering_key, kind, payload,
                                        outcome)
                VALUES (p_origin, p_message_id, p_key, p_kind, p_payload, 'refused: ' || refusal);
            EXCEPTION WHEN unique_violation THEN
                -- a message id its sender used before: the refusal is in the
                -- audit log, and the stream goes on past it
                NULL;
            END;
        END;
    END IF;
    UPDATE link_stream_in SET last_number = p_number WHERE origin_division = p_origin;
    IF refusal <> '' THEN
        PERFORM audit_append(coalesce(self_division, ''), p_origin, 'node', p_origin, '',
                             'link.apply:' || p_kind, p_key, false, refusal, p_message_id);
        RETURN 'refused';
    END IF;
    RETURN 'new';
END $$;
