-- Room on the jobs' pages (docs/results.md §3): a job is written once by the draw and then
-- updated a few times (notified, code, done). With every page full, PostgreSQL puts each new
-- version on another page and adds an entry to all five indexes of the table; with half of
-- each page free the new version stays on its page and no index is touched (a heap-only
-- update), which made the state change of 1,000,000 jobs by a results import about eight times
-- cheaper (docs/benchmarks.md, "Results import and public read"). Applies to pages written
-- from now on; jobs recorded before keep their pages until the table is rewritten
-- (VACUUM FULL inspection_jobs).
ALTER TABLE inspection_jobs SET (fillfactor = 50);
