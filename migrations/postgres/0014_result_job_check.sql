-- A result's reference to its job, checked once per statement instead of once per row
-- (docs/results.md §1.1). The foreign key's trigger looked the job up and locked it FOR KEY
-- SHARE for every result, which was about a quarter of the writing backend's time in a results
-- import (docs/benchmarks.md); one anti-join over the statement's new rows does the same
-- check. Jobs are never deleted nor renumbered (the triggers below), so the reference cannot
-- break from the jobs' side, which is what the key's lock guarded against.
ALTER TABLE inspection_results DROP CONSTRAINT inspection_results_job_fk;

CREATE FUNCTION inspection_results_name_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing BIGINT;
BEGIN
    SELECT w.job_id INTO missing FROM written w
    WHERE NOT EXISTS (SELECT 1 FROM inspection_jobs j WHERE j.id = w.job_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'inspection result names job %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'inspection_results_job_fk';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER inspection_results_job_inserted AFTER INSERT ON inspection_results
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION inspection_results_name_jobs();

-- A result's job is changed by no statement of the service; should one change it, the new job
-- is checked row by row, as the foreign key did. (A statement trigger would need a transition
-- table of every updated row, and publishing results updates hundreds of thousands at once.)
CREATE FUNCTION inspection_result_names_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM inspection_jobs j WHERE j.id = NEW.job_id) THEN
        RAISE EXCEPTION 'inspection result names job %, which does not exist', NEW.job_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'inspection_results_job_fk';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER inspection_results_job_changed AFTER UPDATE OF job_id ON inspection_results
    FOR EACH ROW WHEN (OLD.job_id IS DISTINCT FROM NEW.job_id)
    EXECUTE FUNCTION inspection_result_names_job();

CREATE FUNCTION inspection_jobs_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'inspection jobs are part of the record: never deleted, never renumbered'
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER inspection_jobs_never_deleted BEFORE DELETE OR TRUNCATE ON inspection_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION inspection_jobs_kept();
CREATE TRIGGER inspection_jobs_never_renumbered BEFORE UPDATE OF id ON inspection_jobs
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION inspection_jobs_kept();
