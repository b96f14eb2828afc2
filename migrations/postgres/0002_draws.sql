-- Draws stored by the service: the bundle lives on disk under the bundles directory; the
-- database keeps its state, so every replica sees the same.
CREATE TABLE draws (
    batch TEXT COLLATE "C" NOT NULL CONSTRAINT draws_pk PRIMARY KEY,
    state TEXT COLLATE "C" NOT NULL,
    commitment_sha256 TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    -- The one-line result of `dualdraw verify`, computed once at the reveal.
    verification TEXT COLLATE "C"
);
