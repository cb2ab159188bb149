-- 0015_scoring_published_reading: scoring as the province's published
-- results read it (issue 12, part 4).
--
-- A run scores the province's whole evaluation whatever its scope, so each
-- result keeps the county's rank in its province beside the rank in the
-- run's scope; the total is the exact points rounded once (methodology
-- option total_from), and the total and class the other rule would give
-- are kept so a county whose class depends on the rule is flagged; a county
-- without a single value in the year is not evaluated (未参评): it has no
-- result row, and the run lists it. A job may be forced to score a scope
-- whose coverage is below the methodology's min_coverage.
--
-- Rows written before this migration have NULL in the new result columns
-- and no list of counties left out: they were scored under the earlier
-- rules and stay as they were (runs are append-only).

ALTER TABLE scoring_job
    ADD COLUMN force boolean NOT NULL DEFAULT false; -- score below min_coverage

ALTER TABLE scoring_run
    ADD COLUMN scope_county_count int,               -- counties of the scope that year
    ADD COLUMN not_evaluated text[] NOT NULL DEFAULT '{}', -- their codes without data (未参评)
    ADD COLUMN class_flagged_count int NOT NULL DEFAULT 0; -- classes the other total rule changes

ALTER TABLE scoring_result
    ADD COLUMN rank_in_province int,                 -- in the province's whole evaluation: rewards
    ADD COLUMN total_other int,                      -- centipoints under the other total_from rule
    ADD COLUMN class_other char(1) CHECK (class_other IN ('A', 'B', 'C'));
