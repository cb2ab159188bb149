-- 0019_programme_scope: every programme belongs to one province, and some
-- take applications only from a list of divisions; the designation of a
-- mountain base is granted at filing, not at submission.
--
-- Before, kc-intake checked only that a code named a county-level unit, so
-- 正定县 (on the plain), 兰州城关区 and 广州荔湾区 could apply for a Hebei
-- mountain base, and a Hebei county for the Gansu innovative-county title.
-- Now a programme names its province and the level of what applies (a
-- county, or a town of that county), and may carry a versioned list of the
-- divisions eligible (seed 000: "“一县”是指河北省山区县"). A programme
-- without a list takes every division of its level in its province. Lists
-- are loaded with `kcctl eligible load` (audited) and never changed in
-- place: a new version replaces the one in force, the old stays readable.

CREATE TABLE programme_scope (
    programme text PRIMARY KEY,
    province_code text NOT NULL,          -- six-digit province code, e.g. 130000
    subject_level smallint NOT NULL CHECK (subject_level IN (3, 4)), -- 3 county, 4 town
    name_zh text NOT NULL                 -- the programme as the policy names it
);

INSERT INTO programme_scope VALUES
    ('mountain_base', '130000', 3, '河北省山区“一县一业一基地一团队”科技示范工程'),
    ('four_batches_project', '130000', 3, '河北省“四个一批”项目'),
    ('innovative_county', '620000', 3, '甘肃省创新型县（市）（县域创新驱动发展）'),
    ('innovative_town', '620000', 4, '甘肃省创新型乡镇（县域创新驱动发展）'),
    ('specialised_town', '440000', 4, '广东省创新型专业镇'),
    ('county_monitoring', '620000', 3, '甘肃省县域创新驱动发展监测评估');

CREATE TABLE eligible_list (
    programme text NOT NULL REFERENCES programme_scope,
    version int NOT NULL CHECK (version > 0),
    source text NOT NULL CHECK (source <> ''), -- the document the list comes from
    loaded_by text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (programme, version)
);

CREATE TABLE eligible_division (
    programme text NOT NULL,
    version int NOT NULL,
    code text NOT NULL,
    PRIMARY KEY (programme, version, code),
    FOREIGN KEY (programme, version) REFERENCES eligible_list
);
CREATE TRIGGER eligible_list_append_only BEFORE UPDATE OR DELETE ON eligible_list
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();
CREATE TRIGGER eligible_division_append_only BEFORE UPDATE OR DELETE ON eligible_division
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- A process definition of a programme known here states the programme's
-- province ("province = 130000" under [process]), and the right one: the
-- Gansu procedure of seed 003 cannot be loaded for a Hebei programme.
-- Checked on the stored text, so it holds whatever loaded the file.
CREATE FUNCTION process_definition_names_its_province() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    expected text;
    stated text;
BEGIN
    SELECT province_code INTO expected FROM programme_scope WHERE programme = NEW.programme;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    stated := substring(NEW.source FROM '(?n)^[ \t]*province[ \t]*=[ \t]*([0-9]{6})[ \t]*$');
    IF stated IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'process "%" states province %, but programme % belongs to %', NEW.code,
                        coalesce(stated, '(none)'), NEW.programme, expected
            USING ERRCODE = 'check_violation',
                  HINT = format('write "province = %s" under [process]', expected);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER process_definition_province BEFORE INSERT ON process_definition
    FOR EACH ROW EXECUTE FUNCTION process_definition_names_its_province();

-- Store `p_codes` as the next version of the programme's list, unless it
-- equals the version in force (then 0). Every code must name a division of
-- the programme's level in its province, in force today, and where
-- `p_names` gives a name (the same position; NULL or '' for none) it must
-- be that division's: a list that names a county of another province, a
-- code no longer used or a code under the wrong name is refused whole.
CREATE FUNCTION eligible_list_store(p_programme text, p_source text, p_by text, p_codes text[],
                                    p_names text[])
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    scope programme_scope;
    current int;
    wrong text;
BEGIN
    SELECT * INTO scope FROM programme_scope WHERE programme = p_programme;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'programme "%" is not known', p_programme
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'mountain_base, four_batches_project, innovative_county, '
                         'innovative_town, specialised_town or county_monitoring';
    END IF;
    IF coalesce(cardinality(p_codes), 0) = 0 THEN
        RAISE EXCEPTION 'the list for "%" names no division', p_programme
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(p_source, '') = '' THEN
        RAISE EXCEPTION 'the list for "%" names no source', p_programme
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'give the document it comes from (title, number, date)';
    END IF;
    SELECT string_agg(format('%s%s', c.code, CASE WHEN coalesce(c.name, '') = '' THEN ''
                                                  ELSE ' ' || c.name END), ', ' ORDER BY c.n)
      INTO wrong
      FROM unnest(p_codes, p_names) WITH ORDINALITY AS c (code, name, n)
     WHERE NOT EXISTS (SELECT 1 FROM division d
                        WHERE d.code = c.code AND d.level = scope.subject_level
                          AND left(d.code, 2) = left(scope.province_code, 2)
                          AND now()::date >= d.valid_from AND now()::date < d.valid_to
                          AND (coalesce(c.name, '') = '' OR d.name = c.name));
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'not % of % in force today under that name: %',
                        CASE scope.subject_level WHEN 3 THEN 'county-level divisions'
                                                 ELSE 'towns' END, scope.province_code, wrong
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT max(version) INTO current FROM eligible_list WHERE programme = p_programme;
    IF current IS NOT NULL AND
       (SELECT array_agg(code ORDER BY code) FROM eligible_division
         WHERE programme = p_programme AND version = current)
       = (SELECT array_agg(DISTINCT c ORDER BY c) FROM unnest(p_codes) AS c) THEN
        RETURN 0;
    END IF;
    current := coalesce(current, 0) + 1;
    INSERT INTO eligible_list (programme, version, source, loaded_by)
    VALUES (p_programme, current, p_source, p_by);
    INSERT INTO eligible_division (programme, version, code)
    SELECT DISTINCT p_programme, current, c FROM unnest(p_codes) AS c;
    RETURN current;
END $$;

-- May the division `p_code` (a county, or for a town programme the town
-- `p_town` of that county) apply to `p_programme` in `p_year`? verdict is
-- 'eligible', 'unknown_programme', 'outside_province' (with the province
-- the programme belongs to), 'town_not_in_county' or 'not_listed' (with
-- the list's version and source); with the programme's and the division's
-- names for the message. Codes unknown in that year are kc-intake's own
-- check (catalogue); here they fall to outside_province or not_listed.
CREATE FUNCTION programme_eligibility(p_programme text, p_code text, p_town text, p_year int)
RETURNS TABLE (verdict text, province_name text, list_version int, list_source text,
               programme_name text, division_name text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    scope programme_scope;
    province text;
    subject text := p_code;
    subject_name text;
    listed eligible_list;
    during daterange := daterange(make_date(p_year, 1, 1), make_date(p_year + 1, 1, 1));
BEGIN
    SELECT * INTO scope FROM programme_scope WHERE programme = p_programme;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_programme'::text, ''::text, 0, ''::text, ''::text, ''::text;
        RETURN;
    END IF;
    SELECT d.name INTO province FROM division d
     WHERE d.code = scope.province_code ORDER BY d.valid_to DESC LIMIT 1;
    province := coalesce(province, scope.province_code);
    IF scope.subject_level = 4 THEN
        subject := p_town;
    END IF;
    SELECT d.name INTO subject_name FROM division d
     WHERE d.code = subject ORDER BY d.valid_to DESC LIMIT 1;
    subject_name := coalesce(subject_name, '');
    IF left(p_code, 2) <> left(scope.province_code, 2) THEN
        SELECT d.name INTO subject_name FROM division d
         WHERE d.code = p_code ORDER BY d.valid_to DESC LIMIT 1;
        RETURN QUERY SELECT 'outside_province'::text, province, 0, ''::text, scope.name_zh,
                            coalesce(subject_name, '');
        RETURN;
    END IF;
    IF scope.subject_level = 4 AND
       NOT EXISTS (SELECT 1 FROM division d
                    WHERE d.code = p_town AND d.level = 4 AND d.parent_code = p_code
                      AND daterange(d.valid_from, d.valid_to) && during) THEN
        RETURN QUERY SELECT 'town_not_in_county'::text, province, 0, ''::text, scope.name_zh,
                            subject_name;
        RETURN;
    END IF;
    SELECT * INTO listed FROM eligible_list l
     WHERE l.programme = p_programme ORDER BY l.version DESC LIMIT 1;
    IF FOUND AND NOT EXISTS (SELECT 1 FROM eligible_division e
                              WHERE e.programme = p_programme AND e.version = listed.version
                                AND e.code = subject) THEN
        RETURN QUERY SELECT 'not_listed'::text, province, listed.version, listed.source,
                            scope.name_zh, subject_name;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'eligible'::text, province, coalesce(listed.version, 0),
                        coalesce(listed.source, ''), scope.name_zh, subject_name;
END $$;

-- Seed 000 names no county. The first list (deploy/data/eligible/
-- mountain-base.csv) is the project's own reading of the province's map
-- ([O], deploy/workflow/README.md): the county-level units of the Taihang
-- and Yanshan ranges, the 坝上 plateau counties left out. The department
-- replaces it with its own through `kcctl eligible load`.
CREATE TEMPORARY TABLE eligible_staging (code text, name text) ON COMMIT DROP;
-- kc:copy eligible_staging FROM eligible/mountain-base.csv
SELECT eligible_list_store('mountain_base',
    '项目整理的初始名单（非官方）：太行山、燕山山地县（市、区），不含坝上高原县；'
    '待以省级主管部门公布的山区县名单替换',
    'migration 0019',
    (SELECT array_agg(code ORDER BY code) FROM eligible_staging),
    (SELECT array_agg(name ORDER BY code) FROM eligible_staging));

-- The designation a filed base is known by ("河北省山区‘一县一业一基地一团
-- 队’科技示范工程——##县##产业科技示范基地") is granted at "省级备案":
-- kc-intake computes it at submission into designation_on_filing, and the
-- step that files the application copies it into designation. Until then
-- the application is known by its own title (the base's name).
ALTER TABLE application ADD COLUMN designation_on_filing text;
ALTER TABLE application ADD COLUMN designation text;

-- Applications stored before this migration carry the designation as their
-- title; keep it as the name they will be filed under, give it to those
-- already filed, and show the others by their base's name until they are.
UPDATE application SET designation_on_filing = title WHERE programme = 'mountain_base';
UPDATE application a SET designation = a.designation_on_filing
 WHERE a.programme = 'mountain_base'
   AND EXISTS (SELECT 1 FROM workflow_step s
                WHERE s.application_id = a.id AND s.decision = 'file');
UPDATE application SET title = base_name
 WHERE programme = 'mountain_base' AND designation IS NULL;

CREATE FUNCTION application_grant_designation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE application SET designation = designation_on_filing
     WHERE id = NEW.application_id AND designation IS NULL
       AND designation_on_filing IS NOT NULL;
    RETURN NULL;
END $$;

-- A trigger, so that every path that files (a person's step, the close of
-- the notice by timer) grants the name in the same transaction.
CREATE TRIGGER workflow_step_grants_designation AFTER INSERT ON workflow_step
    FOR EACH ROW WHEN (NEW.decision = 'file') EXECUTE FUNCTION application_grant_designation();

-- intake_store_application (0003) with the designation to grant at filing.
CREATE FUNCTION intake_store_application(p_key text, p_body bytea, p_message_id text,
                                         p_node text, p_user text, p_role text,
                                         p_division text, p_organisation text, p_ref text,
                                         p_programme text, p_county text, p_title text,
                                         p_base_name text, p_applicant text, p_form jsonb,
                                         p_event bytea, p_local_node text,
                                         p_designation text)
RETURNS TABLE (submission_id bigint, replayed boolean, hash_matches boolean, kind text,
               received integer, stored integer, unchanged integer, application_ref text,
               objection_id bigint, event_seq bigint, committed_ms bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM intake_store_application(p_key, p_body, p_message_id, p_node,
        p_user, p_role, p_division, p_organisation, p_ref, p_programme, p_county, p_title,
        p_base_name, p_applicant, p_form, p_event, p_local_node);
    UPDATE application SET designation_on_filing = nullif(p_designation, '')
     WHERE ref = p_ref AND designation_on_filing IS NULL;
END $$;
