-- 0018_notice_objections: an objection belongs to the notice it was made
-- against.
--
-- A notice closes into filing only when none of its own objections is
-- open or upheld ("公示无异议后，备案"). An application that was sent back
-- after an upheld objection and comes to a new notice must not be held
-- by the objections of the old one, so each objection records the
-- version of the workflow instance whose notice was open when it came in
-- (an application stays at one version for the whole of a notice).

ALTER TABLE objection ADD COLUMN notice_version int;

-- Objections made before this migration: the latest notice of their
-- application is the best guess, and the right one for a notice still open.
UPDATE objection o SET notice_version = (SELECT max(t.version) FROM workflow_timer t
                                          WHERE t.application_id = o.application_id
                                            AND t.kind = 'notice_end');

-- Set by the database, whoever inserts: the notice open now (the trigger
-- of 0008 has already refused an objection with no notice open).
CREATE FUNCTION objection_takes_notice_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT w.version INTO NEW.notice_version FROM workflow_instance w
     WHERE w.application_id = NEW.application_id;
    RETURN NEW;
END $$;
CREATE TRIGGER objection_notice_version BEFORE INSERT ON objection
    FOR EACH ROW EXECUTE FUNCTION objection_takes_notice_version();

CREATE INDEX objection_by_notice ON objection (application_id, notice_version);
