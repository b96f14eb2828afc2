-- Room on the jobs' pages is a PostgreSQL matter (migrations/postgres/0013): SQLite updates
-- a row in place and touches only the indexes whose columns change. Nothing to do here; the
-- file keeps both dialects' migration numbers in step.
SELECT 1;
