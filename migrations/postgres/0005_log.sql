-- The public draw log (docs/log.md §6.1): entries (leaves), the tile hashes above level 0,
-- signed checkpoints by size (one per size, never re-signed differently), witness
-- cosignatures, the log's identity, and the batch names it has ever opened (never reused).
CREATE TABLE log_head (
    id INTEGER NOT NULL CONSTRAINT log_head_pk PRIMARY KEY CONSTRAINT log_head_one CHECK (id = 1),
    size BIGINT NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);

CREATE TABLE log_entries (
    idx BIGINT NOT NULL CONSTRAINT log_entries_pk PRIMARY KEY,
    leaf TEXT NOT NULL,
    leaf_hash TEXT NOT NULL
);

CREATE TABLE log_hashes (
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hash TEXT NOT NULL,
    CONSTRAINT log_hashes_pk PRIMARY KEY (level, idx)
);

CREATE TABLE log_checkpoints (
    size BIGINT NOT NULL CONSTRAINT log_checkpoints_pk PRIMARY KEY,
    root TEXT NOT NULL,
    note TEXT NOT NULL,
    signed_at TEXT NOT NULL
);

CREATE TABLE log_cosignatures (
    size BIGINT NOT NULL CONSTRAINT log_cosignatures_checkpoint REFERENCES log_checkpoints (size),
    witness TEXT NOT NULL,
    cosigned_at BIGINT NOT NULL,
    line TEXT NOT NULL,
    CONSTRAINT log_cosignatures_pk PRIMARY KEY (size, witness)
);

CREATE TABLE log_meta (
    name TEXT NOT NULL CONSTRAINT log_meta_pk PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE log_batches (
    jurisdiction TEXT NOT NULL,
    batch TEXT NOT NULL,
    first_index BIGINT NOT NULL,
    CONSTRAINT log_batches_once PRIMARY KEY (jurisdiction, batch)
);

CREATE TABLE log_events (
    jurisdiction TEXT NOT NULL,
    batch TEXT NOT NULL,
    event TEXT NOT NULL,
    idx BIGINT NOT NULL,
    CONSTRAINT log_events_pk PRIMARY KEY (jurisdiction, batch, event, idx)
);
