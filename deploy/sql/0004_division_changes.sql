-- 0004_division_changes: recording a reorganisation of the division map.
--
-- Counties merge, split, are renamed and get new codes (撤县设市 gives a new
-- code). A change never rewrites history: the old row is closed on the day
-- the change takes effect, the new state starts that day, and the link
-- between them is kept in division_succession. Values and results of earlier
-- years stay attached to the map of their year, and intake refuses a value
-- for a code in a year when that code did not exist, naming its successor.
--
-- Every change notifies channel kc_catalogue, on which kc-intake listens to
-- reload its copy of the map at once.

CREATE FUNCTION division_change(p_kind text, p_code text, p_on date, p_successors text[],
                                p_new_name text, p_note text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    current division%ROWTYPE;
    successor text;
    successor_count integer := coalesce(cardinality(p_successors), 0);
BEGIN
    IF p_kind NOT IN ('rename', 'recode', 'merge', 'split', 'abolish') THEN
        RAISE EXCEPTION 'unknown change "%"', p_kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'use rename, recode, merge, split or abolish';
    END IF;
    SELECT * INTO current FROM division
     WHERE code = p_code AND valid_from <= p_on AND valid_to > p_on FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'division % is not in force on %', p_code, p_on
            USING ERRCODE = 'no_data_found';
    END IF;
    IF current.valid_from = p_on THEN
        RAISE EXCEPTION 'division % only starts on %', p_code, p_on
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (p_kind IN ('rename') AND coalesce(p_new_name, '') = '')
       OR (p_kind IN ('recode', 'merge') AND successor_count <> 1)
       OR (p_kind = 'split' AND successor_count < 2)
       OR (p_kind IN ('rename', 'abolish') AND successor_count <> 0) THEN
        RAISE EXCEPTION 'a % needs %', p_kind,
            CASE p_kind WHEN 'rename' THEN 'the new name and no successor'
                        WHEN 'recode' THEN 'exactly one successor code'
                        WHEN 'merge' THEN 'exactly one successor code'
                        WHEN 'split' THEN 'two or more successor codes'
                        ELSE 'no successor' END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    UPDATE division SET valid_to = p_on WHERE code = p_code AND valid_from = current.valid_from;

    IF p_kind = 'rename' THEN
        INSERT INTO division (code, valid_from, valid_to, name, level, parent_code, is_zone)
        VALUES (p_code, p_on, current.valid_to, p_new_name, current.level,
                current.parent_code, current.is_zone);
        INSERT INTO division_succession VALUES (p_code, p_code, p_on, 'rename', p_note);
    END IF;

    FOREACH successor IN ARRAY coalesce(p_successors, '{}'::text[]) LOOP
        IF NOT EXISTS (SELECT 1 FROM division WHERE code = successor
                          AND valid_from <= p_on AND valid_to > p_on) THEN
            IF p_kind <> 'recode' OR coalesce(p_new_name, '') = '' THEN
                RAISE EXCEPTION 'successor % is not in force on %', successor, p_on
                    USING ERRCODE = 'no_data_found',
                          HINT = 'a recode creates its new code when given the name';
            END IF;
            INSERT INTO division (code, valid_from, name, level, parent_code, is_zone)
            VALUES (successor, p_on, p_new_name, current.level, current.parent_code,
                    current.is_zone);
        END IF;
        INSERT INTO division_succession VALUES (p_code, successor, p_on, p_kind, p_note);
    END LOOP;

    PERFORM pg_notify('kc_catalogue', p_code);
    RETURN format('%s %s (%s) on %s%s', p_kind, p_code, current.name, p_on,
                  CASE WHEN successor_count > 0
                       THEN ' -> ' || array_to_string(p_successors, ', ') ELSE '' END);
END $$;
