-- SQLite keeps the results' foreign key to their job: its check is cheap here, unlike
-- PostgreSQL's (migrations/postgres/0014). Jobs are part of the record on both databases:
-- never deleted, never renumbered (docs/results.md §1.1).
CREATE TRIGGER inspection_jobs_never_deleted BEFORE DELETE ON inspection_jobs
BEGIN
    SELECT RAISE(ABORT, 'inspection jobs are part of the record: never deleted, never renumbered');
END;
CREATE TRIGGER inspection_jobs_never_renumbered BEFORE UPDATE OF id ON inspection_jobs
    WHEN OLD.id IS NOT NEW.id
BEGIN
    SELECT RAISE(ABORT, 'inspection jobs are part of the record: never deleted, never renumbered');
END;
