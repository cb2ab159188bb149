-- 0011_notify_delivery: e-mail, webhooks and SMS, with what each person
-- wants, retries, dead letters and the daily digest.
--
-- A notification of an outside channel is delivered by kc-notify's
-- delivery worker: claimed with a lease (next_attempt_at moved past the
-- attempt, attempts + 1) in a transaction of its own, sent, then marked
-- sent, or failed with the next attempt after an exponential backoff with
-- jitter, or dead after the last attempt. A dead one waits for an
-- operator (kcctl notifications replay). Low-priority notifications wait
-- in state digest for the person's daily digest; the digest itself is a
-- row, unique per person, channel and day, so a day has one digest
-- whatever crashes.

ALTER TABLE recipient
    ADD COLUMN phone text NOT NULL DEFAULT '',
    ADD COLUMN webhook_url text NOT NULL DEFAULT '',
    ADD COLUMN quiet_start smallint CHECK (quiet_start BETWEEN 0 AND 1439),  -- minutes, China time
    ADD COLUMN quiet_end smallint CHECK (quiet_end BETWEEN 0 AND 1439),
    ADD COLUMN digest_minute smallint NOT NULL DEFAULT 1080                  -- 18:00
        CHECK (digest_minute BETWEEN 0 AND 1439);

-- The channels a person wants for an event type; without a row: the
-- in-app inbox, and e-mail / webhook when the person has an address.
CREATE TABLE notify_preference (
    recipient_id text NOT NULL REFERENCES recipient,
    event_type text NOT NULL,
    channels text[] NOT NULL,
    PRIMARY KEY (recipient_id, event_type)
);

ALTER TABLE notification DROP CONSTRAINT notification_status_check;
ALTER TABLE notification
    ADD CONSTRAINT notification_status_check
        CHECK (status IN ('pending', 'sent', 'failed', 'dead', 'digest')),
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error text NOT NULL DEFAULT '',
    ADD COLUMN digest_date date,
    ADD COLUMN digest_id bigint;
CREATE INDEX notification_due ON notification (next_attempt_at)
    WHERE status IN ('pending', 'failed');
CREATE INDEX notification_digest ON notification (recipient_id, digest_date)
    WHERE status = 'digest';

CREATE TABLE notify_digest (
    id bigserial PRIMARY KEY,
    recipient_id text NOT NULL REFERENCES recipient,
    channel text NOT NULL CHECK (channel IN ('email', 'webhook')),
    digest_date date NOT NULL,
    notifications int NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    UNIQUE (recipient_id, channel, digest_date)
);
CREATE INDEX notify_digest_due ON notify_digest (next_attempt_at)
    WHERE status IN ('pending', 'failed');

ALTER TABLE notify_preference ADD CONSTRAINT notify_preference_channels
    CHECK (channels <@ ARRAY['inbox', 'email', 'webhook', 'sms']);

-- China time as a local timestamp (UTC+8, no daylight saving since 1991):
-- no time-zone database needed.
CREATE FUNCTION notify_china(p_at timestamptz) RETURNS timestamp LANGUAGE sql IMMUTABLE AS $$
    SELECT (p_at AT TIME ZONE 'UTC') + interval '8 hours'
$$;

CREATE FUNCTION notify_from_china(p_local timestamp) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT (p_local - interval '8 hours') AT TIME ZONE 'UTC'
$$;

-- When a notification may go out to a person: at once if it is critical or
-- the person keeps no quiet hours, else at the end of the quiet hours it
-- falls in (a window may run past midnight: 22:00-07:00).
CREATE FUNCTION notify_deliver_at(p_start smallint, p_end smallint, p_priority text,
                                  p_now timestamptz)
RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    local timestamp := notify_china(p_now);
    minute int := extract(hour FROM local)::int * 60 + extract(minute FROM local)::int;
    day timestamp := date_trunc('day', local);
BEGIN
    IF p_priority = 'critical' OR p_start IS NULL OR p_end IS NULL OR p_start = p_end THEN
        RETURN p_now;
    END IF;
    IF p_start < p_end THEN
        IF minute >= p_start AND minute < p_end THEN
            RETURN notify_from_china(day + make_interval(mins => p_end));
        END IF;
    ELSIF minute >= p_start THEN
        RETURN notify_from_china(day + interval '1 day' + make_interval(mins => p_end));
    ELSIF minute < p_end THEN
        RETURN notify_from_china(day + make_interval(mins => p_end));
    END IF;
    RETURN p_now;
END $$;

-- The day whose digest a low-priority notification joins: today's if the
-- person's digest time has not passed yet, else tomorrow's.
CREATE FUNCTION notify_digest_date(p_digest_minute smallint, p_now timestamptz)
RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN extract(hour FROM notify_china(p_now))::int * 60
                     + extract(minute FROM notify_china(p_now))::int < p_digest_minute
                THEN notify_china(p_now)::date
                ELSE notify_china(p_now)::date + 1 END
$$;

-- A notification is written only by kc-notify, from the event and the
-- recipient it has just read in the same statement; events are never
-- deleted and recipients are deactivated, not deleted (below). The two
-- per-row foreign-key checks cost a quarter of a fan-out to a thousand
-- people, so they go, as intake's values do without theirs.
ALTER TABLE notification DROP CONSTRAINT notification_event_seq_fkey,
                         DROP CONSTRAINT notification_recipient_id_fkey;
CREATE FUNCTION recipient_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a recipient is deactivated (active = false), never deleted: its'
                    ' notifications keep its id' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER recipient_never_deleted BEFORE DELETE ON recipient
    FOR EACH ROW EXECUTE FUNCTION recipient_keep();
