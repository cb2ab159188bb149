-- 0016_periods: every rule set has a period of validity.
--
-- The indicator catalogue (a framework), each scoring methodology and each
-- reward policy is a version that states the evaluation years it applies
-- to: from a first year, either until a version from a later year replaces
-- it (last_year 9999, written "2017-" in files and by kcctl) or up to a
-- stated last year. For an evaluation year, the version in force is, among
-- those whose stated years contain it, the one that starts latest; of two
-- that start the same year, the one stored last. scoring_methodology_for
-- and reward_policy_for (0005) already choose so; this file makes the
-- catalogue follow the same rule and lets a reward policy state its own
-- years (before, kcctl stored every policy as "from its baseline year, for
-- ever", so the last one loaded governed every year since 2017).
--
-- Nothing here changes a stored run or publication: a run names the
-- methodology and the policy it used, and both are immutable.

-- Frameworks may now overlap: a later one replaces an open-ended one from
-- its first year. Two from the same year would leave a year with two lists
-- and no loading order to break the tie (frameworks come in through
-- migrations, all at once), so that stays impossible.
ALTER TABLE indicator_framework DROP CONSTRAINT indicator_framework_years_do_not_overlap;
ALTER TABLE indicator_framework
    ADD CONSTRAINT indicator_framework_one_per_first_year UNIQUE (first_year);

-- hebei-2019 stated 2017-2025, the years of seed 002's plan, and so refused
-- the 2026 data that arrive during 2027. The list stays in force until the
-- province publishes another: from 2017 until replaced. (A node migrated
-- from scratch already reads 9999 from deploy/data/catalogue/frameworks.csv.)
UPDATE indicator_framework SET last_year = 9999
 WHERE code = 'hebei-2019' AND first_year = 2017 AND last_year = 2025;

-- The framework in force for evaluation year `year`, or NULL if none is.
CREATE OR REPLACE FUNCTION indicator_framework_of(year int) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT f.code
      FROM indicator_framework f
     WHERE year BETWEEN f.first_year AND f.last_year
     ORDER BY f.first_year DESC
     LIMIT 1
$$;

-- Storing a reward policy now wakes kc-scoring as storing a methodology
-- does (scoring_rules_store): the policy in force for some years may have
-- changed, and the automatic jobs of those years follow it
-- (scoring_trigger.c).
CREATE FUNCTION reward_policy_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kc_scoring_rules', NEW.code);
    RETURN NULL;
END $$;
CREATE TRIGGER reward_policy_stored AFTER INSERT ON reward_policy
    FOR EACH ROW EXECUTE FUNCTION reward_policy_stored();

-- kc-intake reads the catalogue's years at start and on this notification.
SELECT pg_notify('kc_catalogue', 'indicator_framework');
