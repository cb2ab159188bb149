-- 0014_calendar: the working-day calendar as data in each node's database,
-- versioned, and sent down the links: the province loads a year's notice
-- once and every node below it counts with the same days (issue 12).
--
-- A version is one year transcribed from the State Council General
-- Office's notice and checked complete by kcctl calendar load
-- (services/common/kc_calendar*.c) before it is stored here; a year with no
-- version is provisional (made from the statutory rules by kc-workflow).
-- Versions are never changed: a corrected notice is a new version, the
-- highest version of a year is the one in force. Each new version wakes
-- every kc-workflow of the node (NOTIFY kc_calendar), which re-reads the
-- calendar without a restart.

CREATE TABLE calendar_version (
    year int NOT NULL CHECK (year BETWEEN 2014 AND 2099),
    version int NOT NULL CHECK (version >= 1),
    notice text NOT NULL CHECK (length(notice) BETWEEN 1 AND 128), -- title and number
    issued date NOT NULL,                  -- the notice's date
    days jsonb NOT NULL,                   -- [{"date", "kind", "name"}], sorted by date
    loaded_by text NOT NULL,               -- who loaded it here, or link:<division>
    origin_division text NOT NULL DEFAULT '', -- '' loaded on this node, else the parent's
    loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, version)
);
CREATE TRIGGER calendar_version_append_only BEFORE UPDATE OR DELETE ON calendar_version
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Which version of which year went to which child, so that a child linked
-- later is sent the years in force once, and a restarted link sends
-- nothing again.
CREATE TABLE calendar_sent (
    child_division text NOT NULL,
    year int NOT NULL,
    version int NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (child_division, year, version),
    FOREIGN KEY (year, version) REFERENCES calendar_version
);

-- Queue a year's version for a child, unless it was queued for it before.
CREATE FUNCTION calendar_send(p_child text, p_year int, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    me text;
    v calendar_version%ROWTYPE;
BEGIN
    SELECT division INTO me FROM link_peer WHERE relation = 'self';
    IF me IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO calendar_sent (child_division, year, version) VALUES (p_child, p_year, p_version)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO v FROM calendar_version WHERE year = p_year AND version = p_version;
    PERFORM link_enqueue(me, 'child', p_child, 'calendar', 'calendar.year',
                         convert_to(jsonb_build_object('year', v.year, 'notice', v.notice,
                                                       'issued', v.issued, 'days', v.days)::text,
                                    'UTF8'));
END $$;

-- A child recorded by kc-link (at its start, from the peers file) is sent
-- every year's version in force it has not been sent yet.
CREATE FUNCTION calendar_send_to_new_child() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT DISTINCT ON (year) year, version FROM calendar_version
              ORDER BY year, version DESC LOOP
        PERFORM calendar_send(NEW.division, v.year, v.version);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER link_peer_calendar AFTER INSERT ON link_peer
    FOR EACH ROW WHEN (NEW.relation = 'child') EXECUTE FUNCTION calendar_send_to_new_child();

-- Store a year as the version in force, unless it is the version in force
-- already (the same notice and days: a load repeated, or the same notice
-- arriving from the parent), and send it to every child. Returns the new
-- version, or 0 when nothing changed.
CREATE FUNCTION calendar_store(p_year int, p_notice text, p_issued date, p_days jsonb,
                               p_loaded_by text, p_origin text)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    in_force calendar_version%ROWTYPE;
    new_version int;
    child text;
BEGIN
    -- one load of a year at a time, so that versions follow each other
    PERFORM pg_advisory_xact_lock(hashtext('calendar_version'), p_year);
    SELECT * INTO in_force FROM calendar_version WHERE year = p_year
     ORDER BY version DESC LIMIT 1;
    IF FOUND AND in_force.notice = p_notice AND in_force.issued = p_issued
       AND in_force.days = p_days THEN
        RETURN 0;
    END IF;
    new_version := coalesce(in_force.version, 0) + 1;
    INSERT INTO calendar_version (year, version, notice, issued, days, loaded_by, origin_division)
    VALUES (p_year, new_version, p_notice, p_issued, p_days, p_loaded_by, coalesce(p_origin, ''));
    PERFORM pg_notify('kc_calendar', p_year::text);
    FOR child IN SELECT division FROM link_peer WHERE relation = 'child' ORDER BY division LOOP
        PERFORM calendar_send(child, p_year, new_version);
    END LOOP;
    RETURN new_version;
END $$;

-- A year's calendar from the parent: only the parent sends one, and it is
-- the version in force here from now on, sent on to this node's children.
CREATE FUNCTION link_apply_calendar(p_origin text, p_body jsonb) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM link_peer WHERE division = p_origin AND relation = 'parent') THEN
        RETURN format('node %s cannot send the calendar to this node: only its parent does',
                      p_origin);
    END IF;
    IF jsonb_typeof(p_body -> 'days') IS DISTINCT FROM 'array'
       OR (p_body ->> 'year') !~ '^[0-9]{4}$' IS NOT FALSE
       OR jsonb_typeof(p_body -> 'notice') IS DISTINCT FROM 'string'
       OR (p_body ->> 'issued') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' IS NOT FALSE THEN
        RETURN 'a calendar message without its year, notice, date or days';
    END IF;
    -- every day a dated row of its year, of a known kind, with a name: what
    -- kc-workflow reads back must never be anything else
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_body -> 'days') d
                WHERE (jsonb_typeof(d) = 'object'
                       AND (d ->> 'date') ~ ('^' || (p_body ->> 'year') || '-[0-9]{2}-[0-9]{2}$')
                       AND (d ->> 'kind') IN ('holiday', 'workday')
                       AND jsonb_typeof(d -> 'name') = 'string') IS NOT TRUE) THEN
        RETURN 'a calendar message with a day that is not a dated row of its year';
    END IF;
    PERFORM calendar_store((p_body ->> 'year')::int, p_body ->> 'notice',
                           (p_body ->> 'issued')::date, p_body -> 'days',
                           'link:' || p_origin, p_origin);
    RETURN '';
END $$;

-- link_apply (0013) with the calendar added.
CREATE OR REPLACE FUNCTION link_apply(p_self text, p_origin text, p_message_id text, p_kind text,
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
        WHEN 'calendar.year' THEN
            link_apply_calendar(p_origin, convert_from(p_payload, 'UTF8')::jsonb)
        ELSE '' END;
END $$;

-- A timer counted on a provisional year says so (its notice, its deadline
-- and every message about them); a deadline still to come is counted again
-- when the year's notice is loaded.
ALTER TABLE workflow_timer ADD COLUMN provisional boolean NOT NULL DEFAULT false;
