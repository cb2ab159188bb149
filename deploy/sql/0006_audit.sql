-- 0006_audit: the node's append-only, tamper-evident audit log.
--
-- Every attempt to act, allowed or refused, is one audit_entry. Ids are
-- gapless, assigned under the row lock of audit_head (as event_log_head
-- does for events), so entries commit in id order and a missing id is a
-- deleted entry. Each entry is chained to the one before:
--
--     hash = hex(sha256(prev_hash || E'\n' || canonical))
--
-- with prev_hash the previous entry's hash (64 zeros for the first) and
-- canonical one line of every field joined with tabs, in this order:
--
--     id, at, node, user_id, role, division_code, organisation, action,
--     target, allowed, reason, detail
--
-- id in decimal, at in UTC as YYYY-MM-DDTHH:MI:SS.ffffffZ, allowed as t/f,
-- and every text escaped (\ as \\, tab as \t, newline as \n, CR as \r) so
-- that no field can forge a boundary. include/kc/kc_audit.h documents the
-- same line, and kc_audit_verify (services/common/kc_audit.c) recomputes
-- every hash independently of this code.
--
-- UPDATE and DELETE are refused by a trigger. The head keeps the last id
-- and hash, so a removed tail shows as a head that points past the chain.

CREATE TABLE audit_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_id bigint NOT NULL,
    last_hash text NOT NULL
);
INSERT INTO audit_head VALUES (true, 0, repeat('0', 64));

CREATE TABLE audit_entry (
    id bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    node text NOT NULL,
    user_id text NOT NULL,
    role text NOT NULL,
    division_code text NOT NULL,
    organisation text NOT NULL,
    action text NOT NULL CHECK (action <> ''),
    target text NOT NULL,
    allowed boolean NOT NULL,
    reason text NOT NULL,                  -- why refused, or the decision's reason
    detail text NOT NULL,                  -- JSON or ''
    prev_hash text NOT NULL,               -- hash of entry id - 1 (zeros for the first)
    hash text NOT NULL                     -- see above
);
-- "What did this user do", "what happened to this application".
CREATE INDEX audit_entry_by_target ON audit_entry (target, id);
CREATE INDEX audit_entry_by_user ON audit_entry (user_id, id);

CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();
-- TRUNCATE skips row triggers: refuse it by a statement trigger.
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION kc_refuse_change();

-- One text field of the canonical line, escaped. Backslash first, so the
-- escapes added after it are not escaped again.
CREATE FUNCTION audit_escape(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT replace(replace(replace(replace(p_text, '\', '\\'), E'\t', '\t'), E'\n', '\n'),
                   E'\r', '\r')
$$;

-- The canonical line of one entry (the row's own id and at).
CREATE FUNCTION audit_canonical(e audit_entry) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(E'\t', e.id::text,
                     to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                     audit_escape(e.node), audit_escape(e.user_id), audit_escape(e.role),
                     audit_escape(e.division_code), audit_escape(e.organisation),
                     audit_escape(e.action), audit_escape(e.target),
                     CASE WHEN e.allowed THEN 't' ELSE 'f' END,
                     audit_escape(e.reason), audit_escape(e.detail))
$$;

-- Append one entry in the caller's transaction; the head stays locked
-- until that transaction ends, so ids commit in order with no gap. The
-- time is read after the lock is taken, so it never goes back as ids go
-- up.
CREATE FUNCTION audit_append(p_node text, p_user text, p_role text, p_division text,
                             p_organisation text, p_action text, p_target text,
                             p_allowed boolean, p_reason text, p_detail text)
RETURNS TABLE (id bigint, hash text)
LANGUAGE plpgsql AS $$
DECLARE
    e audit_entry;
BEGIN
    UPDATE audit_head h SET last_id = h.last_id + 1
     RETURNING h.last_id, h.last_hash INTO e.id, e.prev_hash;
    e.at := clock_timestamp();
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
