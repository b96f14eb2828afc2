-- Sessions of the officials' workspace (docs/workspace.md §1): a login with a bearer token
-- becomes a row here; the cookie carries the session id, the row stores only its SHA-256.
-- Revoking the token ends its sessions (they are looked up joined with `tokens`).
CREATE TABLE web_sessions (
    id_hash TEXT COLLATE "C" NOT NULL CONSTRAINT web_sessions_pk PRIMARY KEY,
    token_hash TEXT COLLATE "C" NOT NULL CONSTRAINT web_sessions_token_fk REFERENCES tokens (hash),
    csrf TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    seen_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
