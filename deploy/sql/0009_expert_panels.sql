-- 0009_expert_panels: the expert pool, panels drawn from it, declarations
-- of conflict, scores and their aggregation.
--
-- A panel is drawn when an application enters a state with `panel = true`,
-- in the transaction of that step: every eligible expert of the field, in
-- code order, shuffled with a recorded 64-bit seed; the exclusions that
-- shaped the list (same organisation or county as the applicant, declared
-- standing conflicts) are recorded with it, so `kcctl panel replay` can
-- draw again and show the same order. The first `size` experts sit; an
-- expert who declares a conflict gives the seat to the next in the order.

CREATE TABLE expert (
    code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name text NOT NULL CHECK (name <> ''),
    organisation text NOT NULL CHECK (organisation <> ''),
    county_code text NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),  -- where the expert works
    fields text[] NOT NULL CHECK (cardinality(fields) > 0),
    active boolean NOT NULL DEFAULT true,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX expert_by_field ON expert USING gin (fields);

-- Standing conflicts an expert has declared: organisations they must not judge.
CREATE TABLE expert_conflict (
    expert_code text NOT NULL REFERENCES expert,
    organisation text NOT NULL,
    PRIMARY KEY (expert_code, organisation)
);

CREATE TABLE panel (
    id bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES workflow_instance,
    version int NOT NULL,                  -- the instance's version when drawn
    state text NOT NULL,
    field text NOT NULL,
    size int NOT NULL CHECK (size BETWEEN 3 AND 15),
    rule text NOT NULL CHECK (rule IN ('mean', 'trimmed_mean')),
    disagreement_points int NOT NULL,
    seed numeric(20, 0) NOT NULL,          -- unsigned 64-bit
    exclusions text[] NOT NULL,            -- "code: why", in code order
    draw_order text[] NOT NULL,            -- every eligible expert, as drawn
    drawn_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, version)
);

CREATE TABLE panel_member (
    panel_id bigint NOT NULL REFERENCES panel,
    expert_code text NOT NULL REFERENCES expert,
    position int NOT NULL,                 -- in the draw order, from 1
    declaration text CHECK (declaration IN ('no_conflict', 'conflict')),
    declaration_reason text NOT NULL DEFAULT '',
    declared_at timestamptz,
    scored_at timestamptz,
    total numeric(6, 2),
    PRIMARY KEY (panel_id, expert_code)
);

CREATE TABLE panel_score (
    panel_id bigint NOT NULL,
    expert_code text NOT NULL,
    criterion text NOT NULL,
    points numeric(5, 2) NOT NULL CHECK (points >= 0),
    PRIMARY KEY (panel_id, expert_code, criterion),
    FOREIGN KEY (panel_id, expert_code) REFERENCES panel_member
);
CREATE TRIGGER panel_score_append_only BEFORE UPDATE OR DELETE ON panel_score
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- The aggregation, stored with the rule and every score it left out.
CREATE TABLE panel_result (
    panel_id bigint PRIMARY KEY REFERENCES panel,
    rule text NOT NULL,
    aggregate numeric(6, 2) NOT NULL,
    used text[] NOT NULL,                  -- "E003=82.50", the totals that count
    excluded text[] NOT NULL,              -- "E011=97.00 highest", dropped by the rule
    spread numeric(6, 2) NOT NULL,
    disagreement boolean NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER panel_result_immutable BEFORE UPDATE OR DELETE ON panel_result
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Load or update one expert of the pool (kcctl experts load): the standing
-- conflicts given replace the ones held.
CREATE FUNCTION expert_store(p_code text, p_name text, p_organisation text, p_county text,
                             p_fields text[], p_conflicts text[], p_active boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO expert (code, name, organisation, county_code, fields, active)
    VALUES (p_code, p_name, p_organisation, p_county, p_fields, p_active)
    ON CONFLICT (code) DO UPDATE SET name = excluded.name, organisation = excluded.organisation,
        county_code = excluded.county_code, fields = excluded.fields, active = excluded.active,
        loaded_at = now();
    DELETE FROM expert_conflict WHERE expert_code = p_code;
    INSERT INTO expert_conflict (expert_code, organisation)
    SELECT p_code, c FROM unnest(p_conflicts) c WHERE c <> '' ON CONFLICT DO NOTHING;
END $$;
