-- 0017_one_clock: an event and an audit entry can carry the instant their
-- writer took, so that a step, its event and its audit entry show one time.
--
-- Before, a step's time came from kc-workflow's clock and its event's and
-- audit entry's from PostgreSQL's (now(), clock_timestamp()): two clocks,
-- which disagreed as soon as one of them was set (an hour back, and a step
-- showed before the warning it followed). kc-workflow now takes one instant
-- per transaction (include/kc/kc_instant.h: never before the one before)
-- and passes it to both functions below; kc_audit_append passes its
-- writer's clock. The functions of 0003 and 0006 stay as they were for
-- the callers that pass nothing (SQL functions, older binaries), and time
-- their rows as before.
--
-- The audit hash covers `at` as it is stored, whoever chose it: the chain
-- of old and new entries verifies the same way (kc_audit_verify).

-- kc_event_append (0003) with the occurrence's instant.
CREATE FUNCTION kc_event_append(p_type text, p_node text, p_submission bigint, p_payload bytea,
                                p_at timestamptz)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    next_seq bigint;
BEGIN
    UPDATE event_log_head SET last_seq = last_seq + 1 RETURNING last_seq INTO next_seq;
    INSERT INTO event (seq, type, occurred_at, node, submission_id, payload)
    VALUES (next_seq, p_type, coalesce(p_at, now()), p_node, p_submission, p_payload);
    RETURN next_seq;
END $$;

-- The 4-argument kc_event_append of 0003 is this one with no instant.
CREATE OR REPLACE FUNCTION kc_event_append(p_type text, p_node text, p_submission bigint,
                                           p_payload bytea)
RETURNS bigint LANGUAGE sql AS $$
    SELECT kc_event_append(p_type, p_node, p_submission, p_payload, NULL::timestamptz)
$$;

-- audit_append (0006) with the entry's instant; NULL: the database's clock,
-- read after the head's lock is taken, as 0006 does.
CREATE FUNCTION audit_append(p_node text, p_user text, p_role text, p_division text,
                             p_organisation text, p_action text, p_target text,
                             p_allowed boolean, p_reason text, p_detail text, p_at timestamptz)
RETURNS TABLE (id bigint, hash text)
LANGUAGE plpgsql AS $$
DECLARE
    e audit_entry;
BEGIN
    UPDATE audit_head h SET last_id = h.last_id + 1
     RETURNING h.last_id, h.last_hash INTO e.id, e.prev_hash;
    e.at := coalesce(p_at, clock_timestamp());
    e.node := coalesce(p_node, '');
    e.user_id := coalesce(p_user, '');
    e.role := coalesce(p_role, '');
    e.division_code := coalesce(p_division, '');
    e.organisation := coalesce(p_organisation, '');
    e.action := coalesce(p_action, '');
    e.target := coalesce(p_target, '');
    e.allowed := p_allowed;
    e.reason := coalesce(p_reason, '');
    e.detail := coalesce(p_detail, '');
    e.hash := encode(sha256(convert_to(e.prev_hash || E'\n' || audit_canonical(e), 'UTF8')),
                     'hex');
    INSERT INTO audit_entry SELECT e.*;
    UPDATE audit_head h SET last_hash = e.hash;
    RETURN QUERY SELECT e.id, e.hash;
END $$;

-- The 10-argument audit_append of 0006 is now this one with no instant:
-- one body, so the two cannot hash differently.
CREATE OR REPLACE FUNCTION audit_append(p_node text, p_user text, p_role text, p_division text,
                                        p_organisation text, p_action text, p_target text,
                                        p_allowed boolean, p_reason text, p_detail text)
RETURNS TABLE (id bigint, hash text)
LANGUAGE sql AS $$
    SELECT * FROM audit_append(p_node, p_user, p_role, p_division, p_organisation, p_action,
                               p_target, p_allowed, p_reason, p_detail, NULL::timestamptz)
$$;
