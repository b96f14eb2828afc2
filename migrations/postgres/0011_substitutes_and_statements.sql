-- Substitute enterprises (docs/results.md §1.4): a job made for the substitute of a job not
-- carried out names that job; one substitute per job (the unique index decides between two
-- requests at once).
ALTER TABLE inspection_jobs ADD COLUMN substitute_for BIGINT;
CREATE UNIQUE INDEX inspection_jobs_substitute_for ON inspection_jobs (substitute_for);

-- Signed code statements in versions (docs/results.md §12.3): version 1 at the approval, one
-- more for every replacement recorded afterwards; an older version stays, marked superseded.
CREATE TABLE code_statements (
    job_id BIGINT NOT NULL CONSTRAINT code_statements_job_fk REFERENCES inspection_jobs (id),
    version BIGINT NOT NULL,
    note TEXT COLLATE "C" NOT NULL,
    signed_at TEXT COLLATE "C" NOT NULL,
    superseded_on TEXT COLLATE "C",
    CONSTRAINT code_statements_pk PRIMARY KEY (job_id, version)
);
