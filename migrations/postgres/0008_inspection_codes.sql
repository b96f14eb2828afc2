-- Inspection codes (亮码检查, docs/results.md §10): the key that signs the code statements.
-- One row, id 'codes', created by the first approval; the private key never leaves the service.
CREATE TABLE code_keys (
    id TEXT NOT NULL CONSTRAINT code_keys_pk PRIMARY KEY,
    private_key TEXT NOT NULL,
    created_at TEXT NOT NULL
);
