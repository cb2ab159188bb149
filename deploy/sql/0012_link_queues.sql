-- 0012_link_queues: store and forward between nodes (issue 6, first part).
--
-- What must go to another node is written to link_outbox in the same
-- transaction as the change that caused it (rolled back together); a link
-- sends it, the receiving node commits it to its link_inbox keyed by the
-- sender's division and the message id (a duplicate is acknowledged and
-- ignored), and only then is it acknowledged and removed from the outbox.
-- The sender's division is the one the link's CURVE key says (ZAP's
-- User-Id), never what the message claims.

CREATE SEQUENCE link_message_number;

CREATE TABLE link_outbox (
    id bigint PRIMARY KEY DEFAULT nextval('link_message_number'),
    message_id text NOT NULL UNIQUE,        -- <node>-<number>: unique across the federation
    destination text NOT NULL CHECK (destination IN ('parent', 'child')),
    peer_division text NOT NULL,            -- the child it goes to; '' for the parent
    ordering_key text NOT NULL,             -- order is kept within a key (an application, a county)
    kind text NOT NULL CHECK (kind <> ''),
    payload bytea NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    attempts int NOT NULL DEFAULT 0
);
CREATE INDEX link_outbox_by_link ON link_outbox (destination, peer_division, id);

CREATE TABLE link_inbox (
    origin_division text NOT NULL CHECK (origin_division ~ '^[0-9]{6}$'),
    message_id text NOT NULL,
    ordering_key text NOT NULL,
    kind text NOT NULL,
    payload bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (origin_division, message_id)
);
CREATE TRIGGER link_inbox_append_only BEFORE UPDATE OR DELETE ON link_inbox
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Queue a message in the caller's transaction; its id.
CREATE FUNCTION link_enqueue(p_node text, p_destination text, p_peer text, p_key text,
                             p_kind text, p_payload bytea)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    number bigint := nextval('link_message_number');
    id text := p_node || '-' || number;
BEGIN
    INSERT INTO link_outbox (id, message_id, destination, peer_division, ordering_key, kind,
                             payload)
    VALUES (number, id, p_destination, coalesce(p_peer, ''), p_key, p_kind, p_payload);
    RETURN id;
END $$;

-- Take a message a link brought: true when it is new, false when it is a
-- copy already taken (the sender is acknowledged either way).
CREATE FUNCTION link_receive(p_origin text, p_message_id text, p_key text, p_kind text,
                             p_payload bytea)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO link_inbox (origin_division, message_id, ordering_key, kind, payload)
    VALUES (p_origin, p_message_id, p_key, p_kind, p_payload)
    ON CONFLICT (origin_division, message_id) DO NOTHING;
    RETURN FOUND;
END $$;

-- The other node has committed it: it leaves the outbox.
CREATE FUNCTION link_acknowledged(p_message_id text) RETURNS boolean
LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM link_outbox WHERE message_id = p_message_id RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;
