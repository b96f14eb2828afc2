-- Draws stored by the service: the bundle lives on disk under the bundles directory; the
-- database keeps its state, so every replica sees the same.
CREATE TABLE draws (
    batch TEXT NOT NULL CONSTRAINT draws_pk PRIMARY KEY,
    state TEXT NOT NULL,
    commitment_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- The one-line result of `dualdraw verify`, computed once at the reveal.
    verification TEXT
);
