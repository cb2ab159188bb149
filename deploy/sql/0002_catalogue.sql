-- 0002_catalogue: who supplies which indicator, in which framework, per year.
--
-- Programme 1 (seed 002) scores every county each year on 5 primary and 17
-- secondary indicators. Only some names are public, and the province may
-- change the list during the plan: the catalogue is therefore data keyed by
-- framework, and each framework covers a range of evaluation years. Code that
-- needs "the indicators of year N" finds the one framework whose years contain
-- N (indicator_framework_of) and reads its rows; nothing about the list is
-- compiled into the services.
--
-- Points and normalisation are not here: they belong to a scoring
-- methodology that a later migration adds on top of these rows.
--
-- The rows come from deploy/data/catalogue/*.csv through kc:copy directives,
-- straight into the tables (the CSV headers are the column lists below, in
-- order), so every constraint checks every row as it arrives.

-- The bodies that deliver indicator data (seed 002 §三): five provincial
-- departments, and each county for its own innovation-management items.
CREATE TABLE provider (
    code text PRIMARY KEY, -- stable short name used by the intake protocol
    name_zh text NOT NULL,
    name_en text NOT NULL
);

-- A framework is one version of the indicator list, in force for the
-- evaluation years first_year..last_year (both included; "year" is the
-- evaluation year as the published results number them).
CREATE TABLE indicator_framework (
    code text PRIMARY KEY,
    name_zh text NOT NULL,
    first_year int NOT NULL,
    last_year int NOT NULL,
    note text NOT NULL DEFAULT '',
    CHECK (first_year <= last_year),
    -- Exactly one framework may govern a year, or the same county-year could
    -- be scored on two different lists. GiST on an integer range needs no
    -- extension.
    CONSTRAINT indicator_framework_years_do_not_overlap
        EXCLUDE USING gist (int4range(first_year, last_year, '[]') WITH &&)
);

CREATE TABLE indicator (
    framework text NOT NULL REFERENCES indicator_framework,
    code text NOT NULL,             -- I01..I17 in hebei-2019
    primary_code text NOT NULL,     -- input, entities, conditions, output, management
    primary_name_zh text NOT NULL,  -- 创新投入 ... 创新管理
    name_zh text NOT NULL,
    name_en text NOT NULL,
    unit text NOT NULL,             -- as the provider reports it: 万元, %, 家, 分...
    -- Bounds a reported value must lie within. They exist to reject typos and
    -- unit slips at intake (a share typed as 250 for 2.50, an amount in 元
    -- where 万元 was asked), not to describe the expected spread.
    min_value double precision NOT NULL,
    max_value double precision NOT NULL,
    provider text NOT NULL REFERENCES provider,
    kind text NOT NULL CHECK (kind IN ('quantitative', 'qualitative')),
    published boolean NOT NULL,     -- named in public sources, else our own completion
    source_note text NOT NULL DEFAULT '', -- where the name comes from, and why this provider and range
    PRIMARY KEY (framework, code),
    CHECK (min_value <= max_value)
);

-- kc:copy provider FROM catalogue/providers.csv
-- kc:copy indicator_framework FROM catalogue/frameworks.csv
-- kc:copy indicator FROM catalogue/indicators.csv

-- Seed 002 §三 fixes the shape of the Hebei framework: 17 secondary
-- indicators under 5 primary ones, 14 quantitative and 3 qualitative, the
-- qualitative ones being exactly the innovation-management group, supplied
-- by each county. Refuse a CSV that breaks it rather than load a framework
-- the province would not recognise.
DO $$
DECLARE
    total int;
    quantitative int;
    primaries int;
    misplaced int;
BEGIN
    SELECT count(*),
           count(*) FILTER (WHERE kind = 'quantitative'),
           count(DISTINCT (primary_code, primary_name_zh)),
           count(*) FILTER (WHERE (kind = 'qualitative') <> (primary_code = 'management')
                               OR (kind = 'qualitative') <> (provider = 'county'))
      INTO total, quantitative, primaries, misplaced
      FROM indicator
     WHERE framework = 'hebei-2019';
    IF total <> 17 OR quantitative <> 14 OR primaries <> 5 OR misplaced <> 0 THEN
        RAISE EXCEPTION 'framework "hebei-2019" does not have the shape of seed 002'
            USING DETAIL = format('%s indicators (17 expected), %s quantitative (14), '
                                  '%s primary groups (5), %s rows where qualitative, '
                                  'management and county do not go together (0)',
                                  total, quantitative, primaries, misplaced),
                  HINT = 'check deploy/data/catalogue/indicators.csv';
    END IF;
END
$$;

-- The framework in force for evaluation year `year`, or NULL if none is.
CREATE FUNCTION indicator_framework_of(year int) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT f.code
      FROM indicator_framework f
     WHERE year BETWEEN f.first_year AND f.last_year
$$;
