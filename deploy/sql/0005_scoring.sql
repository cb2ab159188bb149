-- 0005_scoring: methodologies, reward policies, expert ratings, scoring jobs
-- and their results.
--
-- Programme 1 (seed 002 §三, §七) scores every county each year. How values
-- become points is a methodology, and how classes and ranks become money is
-- a reward policy: both are files (deploy/scoring/*.ini) that kcctl checks
-- and stores here verbatim with the SHA-256 of their text. A stored version
-- never changes: a new rule is a new code, so a published result can always
-- be traced to the exact text that produced it.
--
-- Scoring work is a queue of jobs in this database. Any number of kc-scoring
-- processes take jobs with FOR UPDATE SKIP LOCKED and write the run, its
-- per-county results and the job's completion in the job's own
-- transaction: a process killed mid-job leaves the job queued for another,
-- and a job can have at most one run (scoring_run.job_id is unique).

-- A scoring run reads the county-level divisions (level 3) of its years
-- and the cities and provinces above them: this index spares it a scan of
-- the ~41,000 townships (level 4) each time.
CREATE INDEX division_above_township ON division (level) WHERE level <= 3;

-- Base data: values that are not scored themselves but from which
-- methodologies derive indicators (per 10,000 people, shares).
ALTER TABLE indicator DROP CONSTRAINT indicator_kind_check;
ALTER TABLE indicator ADD CONSTRAINT indicator_kind_check
    CHECK (kind IN ('quantitative', 'qualitative', 'base'));

-- kc:copy indicator FROM catalogue/base-items.csv

CREATE TABLE scoring_methodology (
    code text PRIMARY KEY,                       -- hebei-2019-v1
    framework text NOT NULL REFERENCES indicator_framework,
    title_zh text NOT NULL,
    first_year int NOT NULL,
    last_year int NOT NULL,
    source text NOT NULL,                        -- the file, byte for byte
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    loaded_by text NOT NULL,
    CHECK (first_year <= last_year)
);
CREATE TRIGGER scoring_methodology_immutable BEFORE UPDATE OR DELETE ON scoring_methodology
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

CREATE TABLE reward_policy (
    code text PRIMARY KEY,                       -- hebei-leap-2019
    title_zh text NOT NULL,
    first_year int NOT NULL,
    last_year int NOT NULL,
    source text NOT NULL,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    loaded_by text NOT NULL,
    CHECK (first_year <= last_year)
);
CREATE TRIGGER reward_policy_immutable BEFORE UPDATE OR DELETE ON reward_policy
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Store a methodology or policy once. The same code with the same text is a
-- no-op (a rerun of the load), the same code with other text is refused.
CREATE FUNCTION scoring_rules_store(p_table text, p_code text, p_framework text, p_title text,
                                    p_first int, p_last int, p_source text, p_sha text,
                                    p_by text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    known text;
BEGIN
    IF p_table = 'methodology' THEN
        SELECT sha256 INTO known FROM scoring_methodology WHERE code = p_code;
        IF NOT FOUND THEN
            INSERT INTO scoring_methodology (code, framework, title_zh, first_year, last_year,
                                             source, sha256, loaded_by)
            VALUES (p_code, p_framework, p_title, p_first, p_last, p_source, p_sha, p_by);
            PERFORM pg_notify('kc_scoring_rules', p_code); -- years may now be complete
            RETURN 'stored';
        END IF;
    ELSE
        SELECT sha256 INTO known FROM reward_policy WHERE code = p_code;
        IF NOT FOUND THEN
            INSERT INTO reward_policy (code, title_zh, first_year, last_year, source, sha256,
                                       loaded_by)
            VALUES (p_code, p_title, p_first, p_last, p_source, p_sha, p_by);
            RETURN 'stored';
        END IF;
    END IF;
    IF known <> p_sha THEN
        RAISE EXCEPTION '% "%" is already stored with other content', p_table, p_code
            USING ERRCODE = 'unique_violation',
                  DETAIL = format('stored sha256 %s, this file %s', known, p_sha),
                  HINT = 'a stored version never changes: give the new version a new code';
    END IF;
    RETURN 'unchanged';
END $$;

-- The rules in force for an evaluation year: among the versions whose years
-- cover it, the one that starts latest (a revision from 2022 on overrides
-- the plan's original for 2022-2025), then the one loaded last.
CREATE FUNCTION scoring_methodology_for(p_year int) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT code FROM scoring_methodology
     WHERE p_year BETWEEN first_year AND last_year
     ORDER BY first_year DESC, loaded_at DESC, code DESC LIMIT 1
$$;

CREATE FUNCTION reward_policy_for(p_year int) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT code FROM reward_policy
     WHERE p_year BETWEEN first_year AND last_year
     ORDER BY first_year DESC, loaded_at DESC, code DESC LIMIT 1
$$;

-- Expert ratings of the qualitative (innovation-management) indicators:
-- several raters score each county on the rubric and the methodology takes
-- the median. Append-only like indicator values: a rater's correction is a
-- new revision, and the one in force is the latest.
CREATE TABLE rating (
    county_code text NOT NULL,
    year int NOT NULL,
    indicator_code text NOT NULL,
    rater text NOT NULL CHECK (rater ~ '^[A-Za-z0-9_.-]{1,64}$'),
    revision int NOT NULL CHECK (revision >= 1),
    score double precision NOT NULL CHECK (score = score AND abs(score) < 'infinity'),
    batch_key text NOT NULL,                     -- the sheet it came in, for audit
    recorded_at timestamptz NOT NULL DEFAULT now(),
    recorded_by text NOT NULL,
    PRIMARY KEY (county_code, year, indicator_code, rater, revision)
);
CREATE TRIGGER rating_append_only BEFORE UPDATE OR DELETE ON rating
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

CREATE VIEW rating_current AS
SELECT DISTINCT ON (county_code, year, indicator_code, rater) *
  FROM rating
 ORDER BY county_code, year, indicator_code, rater, revision DESC;

-- Store a sheet of ratings, all or nothing. Every row is checked against the
-- division map of its year and the catalogue; the first bad row stops the
-- sheet with its row number (1 = the first data row) in the message. The
-- same batch key twice stores nothing the second time.
CREATE FUNCTION rating_submit(p_key text, p_year int, p_counties text[], p_indicators text[],
                              p_raters text[], p_scores float8[], p_by text)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    framework_code text := indicator_framework_of(p_year);
    bad record;
BEGIN
    -- One sheet under one key at a time: a concurrent resend waits, then replays.
    PERFORM pg_advisory_xact_lock(hashtext('rating:' || p_key));
    IF EXISTS (SELECT 1 FROM rating WHERE batch_key = p_key) THEN
        RETURN 0;
    END IF;
    IF framework_code IS NULL THEN
        RAISE EXCEPTION 'no indicator framework covers year %', p_year
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(cardinality(p_counties), 0) = 0
       OR cardinality(p_counties) <> cardinality(p_indicators)
       OR cardinality(p_counties) <> cardinality(p_raters)
       OR cardinality(p_counties) <> cardinality(p_scores) THEN
        RAISE EXCEPTION 'a ratings sheet needs one county, indicator, rater and score per row'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT r.n, r.county, r.indicator, r.rater, r.score,
           NOT coalesce(division_valid_in(r.county, p_year), false) AS bad_county,
           i.code IS NULL AS bad_indicator,
           r.rater IS NULL OR r.rater !~ '^[A-Za-z0-9_.-]{1,64}$' AS bad_rater,
           count(*) OVER (PARTITION BY r.county, r.indicator, r.rater) > 1 AS twice,
           i.min_value, i.max_value
      INTO bad
      FROM unnest(p_counties, p_indicators, p_raters, p_scores) WITH ORDINALITY
           AS r(county, indicator, rater, score, n)
      LEFT JOIN indicator i ON i.framework = framework_code AND i.code = r.indicator
                            AND i.kind = 'qualitative'
     ORDER BY (NOT coalesce(division_valid_in(r.county, p_year), false) OR i.code IS NULL
               OR r.rater IS NULL OR r.rater !~ '^[A-Za-z0-9_.-]{1,64}$'
               OR r.score IS NULL OR r.score < i.min_value OR r.score > i.max_value) DESC,
              (count(*) OVER (PARTITION BY r.county, r.indicator, r.rater) > 1) DESC, r.n
     LIMIT 1;
    IF bad.bad_county THEN
        RAISE EXCEPTION 'row %: county "%" is not a division of %', bad.n, bad.county, p_year
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF bad.bad_indicator THEN
        RAISE EXCEPTION 'row %: "%" is not a rated (qualitative) indicator of %', bad.n,
                        bad.indicator, framework_code
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF bad.bad_rater THEN
        RAISE EXCEPTION 'row %: rater "%" must be 1-64 letters, digits, ".", "_" or "-"', bad.n,
                        bad.rater
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF bad.score IS NULL OR bad.score < bad.min_value OR bad.score > bad.max_value THEN
        RAISE EXCEPTION 'row %: score % is outside %..%', bad.n, bad.score, bad.min_value,
                        bad.max_value
            USING ERRCODE = 'numeric_value_out_of_range';
    ELSIF bad.twice THEN
        RAISE EXCEPTION 'row %: rater "%" rates % of county % twice in this sheet', bad.n,
                        bad.rater, bad.indicator, bad.county
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO rating (county_code, year, indicator_code, rater, revision, score, batch_key,
                        recorded_by)
    SELECT r.county, p_year, r.indicator, r.rater,
           coalesce((SELECT max(revision) FROM rating x
                      WHERE x.county_code = r.county AND x.year = p_year
                        AND x.indicator_code = r.indicator AND x.rater = r.rater), 0) + 1,
           r.score, p_key, p_by
      FROM unnest(p_counties, p_indicators, p_raters, p_scores) AS r(county, indicator, rater, score);
    RETURN cardinality(p_counties);
END $$;

CREATE INDEX rating_by_batch ON rating (batch_key);

CREATE TABLE scoring_job (
    id bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    scope_code text NOT NULL CHECK (scope_code ~ '^[0-9]{6}$'),
    year int NOT NULL,
    methodology text NOT NULL REFERENCES scoring_methodology,
    policy text NOT NULL REFERENCES reward_policy,
    robustness_draws int NOT NULL DEFAULT 0 CHECK (robustness_draws BETWEEN 0 AND 100000),
    robustness_seed bigint NOT NULL DEFAULT 0,
    trigger text NOT NULL CHECK (trigger IN ('request', 'data_complete')),
    requested_by text NOT NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed')),
    attempts int NOT NULL DEFAULT 0,
    error_code text,
    error_message text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX scoring_job_queued ON scoring_job (id) WHERE state = 'queued';

-- Queue a job, or find the one queued under the same key. Wakes the workers.
-- Everything a request names is checked here, before a row is written:
-- the scope (the country, or a province or city on the map), rules that
-- exist and cover the year. A key already used for another request is
-- refused rather than answered with a job that is not the one asked for.
CREATE FUNCTION scoring_job_enqueue(p_key text, p_scope text, p_year int, p_methodology text,
                                    p_policy text, p_draws int, p_seed bigint, p_trigger text,
                                    p_by text, OUT job_id bigint, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    methodology_code text := coalesce(nullif(p_methodology, ''), scoring_methodology_for(p_year));
    policy_code text := coalesce(nullif(p_policy, ''), reward_policy_for(p_year));
    known scoring_job%ROWTYPE;
BEGIN
    SELECT * INTO known FROM scoring_job WHERE idempotency_key = p_key;
    IF FOUND THEN
        IF known.scope_code <> p_scope OR known.year <> p_year
           OR known.robustness_draws <> p_draws OR known.robustness_seed <> p_seed
           OR (coalesce(p_methodology, '') <> '' AND known.methodology <> p_methodology)
           OR (coalesce(p_policy, '') <> '' AND known.policy <> p_policy) THEN
            RAISE EXCEPTION 'idempotency key "%" was used for another scoring request (job %)',
                            p_key, known.id
                USING HINT = 'use a new key for a new request';
        END IF;
        job_id := known.id;
        replayed := true;
        RETURN;
    END IF;
    IF p_scope <> '000000' AND NOT EXISTS (
           SELECT 1 FROM division WHERE code = p_scope AND level <= 2
              AND valid_from < make_date(least(greatest(p_year, 1), 9998) + 1, 1, 1)
              AND valid_to > make_date(least(greatest(p_year, 1), 9998), 1, 1)) THEN
        RAISE EXCEPTION 'scope % is not a province or a city in %', p_scope, p_year
            USING HINT = 'use 000000 for the whole country';
    END IF;
    IF methodology_code IS NULL
       OR NOT EXISTS (SELECT 1 FROM scoring_methodology WHERE code = methodology_code
                         AND p_year BETWEEN first_year AND last_year) THEN
        RAISE EXCEPTION 'no scoring methodology % covers year %', coalesce(methodology_code, ''),
                        p_year
            USING HINT = 'load one with kcctl methodology load FILE, or name one that covers it';
    END IF;
    IF policy_code IS NULL
       OR NOT EXISTS (SELECT 1 FROM reward_policy WHERE code = policy_code
                         AND p_year BETWEEN first_year AND last_year) THEN
        RAISE EXCEPTION 'no reward policy % covers year %', coalesce(policy_code, ''), p_year
            USING HINT = 'load one with kcctl rewards load FILE, or name one that covers it';
    END IF;
    INSERT INTO scoring_job (idempotency_key, scope_code, year, methodology, policy,
                             robustness_draws, robustness_seed, trigger, requested_by)
    VALUES (p_key, p_scope, p_year, methodology_code, policy_code, p_draws, p_seed, p_trigger, p_by)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO job_id;
    IF job_id IS NULL THEN -- a concurrent enqueue of the same key won
        SELECT id INTO job_id FROM scoring_job WHERE idempotency_key = p_key;
        replayed := true;
        RETURN;
    END IF;
    replayed := false;
    PERFORM pg_notify('kc_scoring_job', job_id::text);
END $$;

CREATE TABLE scoring_run (
    id bigserial PRIMARY KEY,
    job_id bigint NOT NULL UNIQUE REFERENCES scoring_job, -- one run per job, ever
    scope_code text NOT NULL,
    year int NOT NULL,
    methodology text NOT NULL REFERENCES scoring_methodology,
    policy text NOT NULL REFERENCES reward_policy,
    input_sha256 text NOT NULL,
    output_sha256 text NOT NULL,
    -- The canonical input snapshot: rerunning it gives output_sha256, and
    -- kcctl report does exactly that (the canonical result JSON is not
    -- stored: it is recomputed, and checked against the hash, on demand).
    input_text text NOT NULL,
    county_count int NOT NULL,
    flagged_count int NOT NULL,    -- values flagged for review before publication
    worker text NOT NULL,
    elapsed_ms int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Large texts are stored uncompressed: compressing megabytes of digits costs
-- more time than the disk it saves.
ALTER TABLE scoring_run ALTER COLUMN input_text SET STORAGE EXTERNAL;
CREATE INDEX scoring_run_by_year ON scoring_run (scope_code, year);
CREATE TRIGGER scoring_run_append_only BEFORE UPDATE OR DELETE ON scoring_run
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();

-- Results and awards have no foreign key to scoring_run: they are only
-- written by kc-scoring (scoring_db_store_run), by COPY in the same
-- transaction as their run row and with its id, and scoring_run is
-- append-only, so the check could never fail; it would cost a third of
-- storing a country's results (one lookup and row lock per county).
CREATE TABLE scoring_result (
    run_id bigint NOT NULL,        -- scoring_run.id
    county_code text NOT NULL,
    total int NOT NULL,            -- centipoints: 8012 = 80.12
    class char(1) NOT NULL CHECK (class IN ('A', 'B', 'C')),
    rank int NOT NULL,
    rank_in_city int NOT NULL,
    subtotals int[] NOT NULL,      -- centipoints per primary indicator, methodology order
    points int[] NOT NULL,         -- centipoints per indicator, methodology order
    flags int[] NOT NULL,          -- 1 imputed, 2 missing, 4 jump
    reward int NOT NULL,           -- 万元 after the cap
    PRIMARY KEY (run_id, county_code)
);

CREATE TABLE scoring_award (
    run_id bigint NOT NULL,        -- scoring_run.id (no foreign key: see scoring_result)
    county_code text NOT NULL,
    position int NOT NULL,
    rule text NOT NULL,
    amount int NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (run_id, county_code, position)
);

-- The published record of a scope and year: at most one run, frozen once
-- published. Publishing a run whose values are flagged for review needs the
-- reviewer to say the flags were reviewed.
CREATE TABLE scoring_publication (
    scope_code text NOT NULL,
    year int NOT NULL,
    run_id bigint NOT NULL UNIQUE REFERENCES scoring_run,
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by text NOT NULL,
    flags_reviewed boolean NOT NULL,
    PRIMARY KEY (scope_code, year)
);
CREATE TRIGGER scoring_publication_frozen BEFORE UPDATE OR DELETE ON scoring_publication
    FOR EACH ROW EXECUTE FUNCTION kc_refuse_change();
