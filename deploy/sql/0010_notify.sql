-- 0010_notify: who is told what, and what they were told.
--
-- kc-notify follows the node's event log with a cursor of its own and
-- expands each event, in one transaction with the cursor's advance, into
-- notifications: one per recipient and channel, never two (the unique key),
-- so a crash anywhere re-expands the same events into nothing new.

-- The people notifications go to: officials by role and division, the
-- applicants by organisation (kcctl recipients load).
CREATE TABLE recipient (
    user_id text PRIMARY KEY CHECK (user_id <> ''),
    name text NOT NULL,
    role text NOT NULL,
    division_code text NOT NULL CHECK (division_code ~ '^[0-9]{6}$'),
    organisation text NOT NULL DEFAULT '',
    email text NOT NULL DEFAULT '',
    active boolean NOT NULL DEFAULT true
);
CREATE INDEX recipient_by_role ON recipient (role, division_code);

-- A notification definition (deploy/notify/*.ini), stored verbatim.
CREATE TABLE notify_definition (
    code text PRIMARY KEY,
    source text NOT NULL,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    loaded_by text NOT NULL
);
CREATE TRIGGER notify_definition_immutable BEFORE UPDATE OR DELETE ON notify_definition
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Where each consumer of the event log has got to.
CREATE TABLE event_cursor (
    consumer text PRIMARY KEY,
    last_seq bigint NOT NULL DEFAULT 0
);
INSERT INTO event_cursor (consumer) VALUES ('kc-notify');

CREATE TABLE notification (
    id bigserial PRIMARY KEY,
    event_seq bigint NOT NULL REFERENCES event (seq),
    recipient_id text NOT NULL REFERENCES recipient,
    channel text NOT NULL CHECK (channel IN ('inbox', 'email', 'webhook', 'sms')),
    route text NOT NULL,
    priority text NOT NULL CHECK (priority IN ('low', 'normal', 'critical')),
    subject text NOT NULL,
    body text NOT NULL,
    application_ref text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
    attempts int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    read_at timestamptz,
    UNIQUE (event_seq, recipient_id, channel)
);
CREATE INDEX notification_inbox ON notification (recipient_id, id) WHERE channel = 'inbox';
