-- 0001_divisions: the administrative division map, versioned in time.
--
-- Every programme keys its data by a GB/T 2260 division code (six digits for
-- province, city and county level, nine for towns), and the set of divisions
-- changes: counties become districts, codes are renumbered, counties merge.
-- The province scored 168 counties in 2017 and 167 in 2021, so "is this a
-- county in year N" is a question about a date, not about a fixed list. A
-- division is therefore a (code, validity interval) pair, and the succession
-- table says which code carries on from which, so a county's history can be
-- followed across a change of code.
--
-- The initial content is the national statistical division list of the 2022
-- vintage shipped in deploy/data/divisions/ (see its LICENSE). It is loaded by
-- `kcctl migrate` through the kc:copy directives below, which stream each CSV
-- file into a staging table of exactly its columns.
--
-- Runs inside one transaction (the migration runner's), so no transaction
-- control here.

-- The exclusion constraint below compares codes with = inside a GiST index;
-- btree_gist provides that operator class for bigint. It is a trusted extension
-- (PostgreSQL 13 and later), so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE division (
    -- Six digits for levels 1-3 (provinces end in 0000, cities in 00), nine
    -- digits for towns: the codes exactly as the statistical list writes them.
    code text NOT NULL CHECK (code ~ '^[0-9]{6}$' OR code ~ '^[0-9]{9}$'),
    -- The interval [valid_from, valid_to) during which this row describes the
    -- code. '-infinity' means "since before anything we record", which is all
    -- we can say for the 2022 list: it gives no creation dates.
    valid_from date NOT NULL DEFAULT '-infinity',
    valid_to date NOT NULL DEFAULT 'infinity', -- exclusive
    name text NOT NULL,
    level smallint NOT NULL CHECK (level BETWEEN 1 AND 4), -- 1 province 2 city 3 county 4 town
    -- Code of the enclosing division, NULL for provinces. Not a foreign key:
    -- the parent is itself versioned, and the key of division is (code,
    -- valid_from); the load below checks that every parent exists instead.
    parent_code text,
    -- County-level codes ending in 7x are development zones (高新区, 经济开发区,
    -- 新区, 管理区...): they report like counties in the statistical list but
    -- are not counties, and the county evaluation must be able to leave them out.
    is_zone boolean NOT NULL DEFAULT false,
    PRIMARY KEY (code, valid_from),
    CHECK (valid_from < valid_to),
    -- A code has at most one meaning at any moment: two versions of the same
    -- code must not overlap in time, or division_valid_in and every lookup by
    -- (code, date) would become ambiguous. The index compares the code as a
    -- number with its length as the last digit, an exact stand-in for the
    -- text (digits only, 6 or 9 of them, checked above before any index entry
    -- is made) that GiST handles four times faster than text: the national
    -- load takes about half a second instead of two.
    CONSTRAINT division_versions_do_not_overlap
        EXCLUDE USING gist ((code::bigint * 10 + length(code)) WITH =,
                            daterange(valid_from, valid_to) WITH &&)
);

-- Children of a division (the counties of a city, the towns of a county) are
-- listed by every report and every roll-up.
CREATE INDEX division_parent_code_idx ON division (parent_code);

-- Which code carries on from which. One row per predecessor/successor pair:
-- a merge has several predecessors, a split several successors; an abolished
-- code whose area went to several others has one row per receiving code.
CREATE TABLE division_succession (
    predecessor_code text NOT NULL,
    successor_code text NOT NULL,
    effective_on date NOT NULL, -- first day the successor is in force
    kind text NOT NULL CHECK (kind IN ('rename', 'recode', 'merge', 'split', 'abolish')),
    note text NOT NULL DEFAULT '', -- the approving document, where known
    PRIMARY KEY (predecessor_code, successor_code, effective_on)
);

-- No succession rows are shipped. The 2022 list carries only the codes in
-- force in 2022, without dates of creation, and we do not ship historical
-- changes whose codes and effective dates we cannot cite from a source we
-- hold. Add them in a later migration, each with its approving document in
-- `note`, together with the closed validity interval of the old code.

-- Staging tables: one per CSV file, columns in the file's order, all text, so
-- COPY never rejects a row for its type and the checks below say exactly what
-- is wrong. ON COMMIT DROP: they vanish with this migration's transaction.
CREATE TEMPORARY TABLE division_staging_province (
    code text, name text
) ON COMMIT DROP;
CREATE TEMPORARY TABLE division_staging_city (
    code text, name text, province_code text
) ON COMMIT DROP;
CREATE TEMPORARY TABLE division_staging_county (
    code text, name text, city_code text, province_code text
) ON COMMIT DROP;
CREATE TEMPORARY TABLE division_staging_town (
    code text, name text, county_code text, province_code text, city_code text
) ON COMMIT DROP;

-- kc:copy division_staging_province FROM divisions/provinces.csv
-- kc:copy division_staging_city FROM divisions/cities.csv
-- kc:copy division_staging_county FROM divisions/areas.csv
-- kc:copy division_staging_town FROM divisions/streets.csv

-- The list abbreviates codes by level: 2 digits for a province, 4 for a city.
-- Pad them to the six-digit GB/T 2260 form. Beijing, Tianjin, Shanghai and
-- Chongqing have a city-level "市辖区" row (and Chongqing a "县" row), and some
-- provinces a "省直辖县级行政区划" row: they are kept as the list has them,
-- because the county codes below hang from them.
INSERT INTO division (code, name, level, parent_code)
SELECT code || '0000', name, 1, NULL
  FROM division_staging_province;

INSERT INTO division (code, name, level, parent_code)
SELECT code || '00', name, 2, province_code || '0000'
  FROM division_staging_city;

-- Three cities have no counties: 东莞市 441900, 中山市 442000 and 儋州市
-- 460400 govern their towns directly. The list also has each of them in
-- areas.csv, under the city's own code, with its towns below. A code holds
-- one level at a time (the key is code and valid_from), and these are cities,
-- not county-level units: the repeated row is not loaded and their towns hang
-- from the city row. So the map has 2,975 county-level rows for the file's
-- 2,978.
INSERT INTO division (code, name, level, parent_code, is_zone)
SELECT code, name, 3, city_code || '00', substr(code, 5, 1) = '7'
  FROM division_staging_county
 WHERE code <> city_code || '00';

INSERT INTO division (code, name, level, parent_code)
SELECT code, name, 4, county_code
  FROM division_staging_town;

-- The CSV files are data from outside: refuse the whole migration rather than
-- load a map with holes. Every parent must exist at a higher level (the level
-- above, or the city for the towns of a city without counties), every code
-- must start with its parent's significant digits (2 for a province, 4 for a
-- city, 6 for a county), and every name must be non-empty.
DO $$
DECLARE
    orphan record;
BEGIN
    SELECT child.code, child.parent_code INTO orphan
      FROM division child
      LEFT JOIN division parent
        ON parent.code = child.parent_code AND parent.level < child.level
     WHERE child.level > 1
       AND (parent.code IS NULL
            OR left(child.code, 2 * parent.level) <> left(parent.code, 2 * parent.level)
            OR (parent.level < child.level - 1 AND child.level <> 4))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'division % has no parent % above it', orphan.code, orphan.parent_code
            USING HINT = 'check deploy/data/divisions/: every row must name an existing parent';
    END IF;
    IF EXISTS (SELECT 1 FROM division WHERE btrim(name) = '') THEN
        RAISE EXCEPTION 'a division in deploy/data/divisions/ has an empty name';
    END IF;
END
$$;

-- True if `code` denotes a division at any moment of calendar year `year`
-- (the policy texts count in calendar years: "2017年度"). Years outside
-- 1..9998 are never valid; the clamp only keeps make_date from failing on
-- them, since SQL may fold both sides of an AND at plan time.
CREATE FUNCTION division_valid_in(code text, year int) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT year BETWEEN 1 AND 9998
       AND EXISTS (
           SELECT 1
             FROM division d
            WHERE d.code = division_valid_in.code
              AND d.valid_from < make_date(least(greatest(year, 1), 9998) + 1, 1, 1)
              AND d.valid_to > make_date(least(greatest(year, 1), 9998), 1, 1))
$$;

-- The county-level divisions (level 3) valid at any moment of `year`,
-- development zones included: filter on is_zone to leave them out. A code
-- that changed name during the year appears once per version.
CREATE FUNCTION division_counties_in(year int) RETURNS SETOF division
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT d.*
      FROM division d
     WHERE d.level = 3
       AND year BETWEEN 1 AND 9998
       AND d.valid_from < make_date(least(greatest(year, 1), 9998) + 1, 1, 1)
       AND d.valid_to > make_date(least(greatest(year, 1), 9998), 1, 1)
     ORDER BY d.code, d.valid_from
$$;
