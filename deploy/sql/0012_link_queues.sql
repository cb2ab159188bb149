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

-- Each stream (to the parent, to one child) numbers its messages and
-- remembers the last: a message carries the number of the one before it in
-- its stream, so the receiver takes them strictly in order.
CREATE TABLE link_stream (
    destination text NOT NULL,
    peer_division text NOT NULL,
    last_number bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (destination, peer_division)
);

-- The receiving side: the last number taken from each sending node.
CREATE TABLE link_stream_in (
    origin_division text PRIMARY KEY,
    last_number bigint NOT NULL DEFAULT 0
);

CREATE TABLE link_outbox (
    id bigint PRIMARY KEY DEFAULT nextval('link_message_number'),
    previous bigint NOT NULL DEFAULT 0,     -- the number before it in its stream
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
    before bigint;
BEGIN
    INSERT INTO link_stream (destination, peer_division) VALUES (p_destination, coalesce(p_peer, ''))
    ON CONFLICT DO NOTHING;
    -- the stream's row lock orders its messages as their transactions commit
    SELECT last_number INTO before FROM link_stream
     WHERE destination = p_destination AND peer_division = coalesce(p_peer, '') FOR UPDATE;
    UPDATE link_stream SET last_number = number
     WHERE destination = p_destination AND peer_division = coalesce(p_peer, '');
    INSERT INTO link_outbox (id, previous, message_id, destination, peer_division, ordering_key,
                             kind, payload)
    VALUES (number, before, id, p_destination, coalesce(p_peer, ''), p_key, p_kind, p_payload);
    RETURN id;
END $$;

-- Take a message a link brought, numbered `p_number` after `p_previous` in
-- its sender's stream: 'new' (taken), 'copy' (taken before: acknowledge it
-- again) or 'early' (one before it is missing: not taken, not acknowledged,
-- so the sender sends again from the oldest it holds).
CREATE FUNCTION link_receive(p_origin text, p_message_id text, p_number bigint,
                             p_previous bigint, p_key text, p_kind text, p_payload bytea)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    last bigint;
BEGIN
    INSERT INTO link_stream_in (origin_division) VALUES (p_origin) ON CONFLICT DO NOTHING;
    SELECT last_number INTO last FROM link_stream_in WHERE origin_division = p_origin FOR UPDATE;
    IF p_number <= last THEN
        RETURN 'copy';
    END IF;
    IF p_previous <> last THEN
        RETURN 'early';
    END IF;
    INSERT INTO link_inbox (origin_division, message_id, ordering_key, kind, payload)
    VALUES (p_origin, p_message_id, p_key, p_kind, p_payload);
    UPDATE link_stream_in SET last_number = p_number WHERE origin_division = p_origin;
    RETURN 'new';
END $$;

-- The other node has committed it: it leaves the outbox.
CREATE FUNCTION link_acknowledged(p_message_id text) RETURNS boolean
LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM link_outbox WHERE message_id = p_message_id RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;
