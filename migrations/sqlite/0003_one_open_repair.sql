-- At most one open (submitted or accepted) repair request per credit record, also when two are
-- filed at the same moment.
CREATE UNIQUE INDEX repair_requests_one_open ON repair_requests (record_id)
    WHERE state IN ('submitted', 'accepted');
