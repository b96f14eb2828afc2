-- dualdraw foundation schema (SQLite). Dates are ISO 8601 TEXT ('YYYY-MM-DD'), timestamps
-- RFC 3339 TEXT in UTC, flags INTEGER 0/1; the PostgreSQL schema uses the same types so the
-- same queries run on both.

CREATE TABLE departments (
    code TEXT NOT NULL CONSTRAINT departments_pk PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE enterprises (
    uscc TEXT NOT NULL CONSTRAINT enterprises_pk PRIMARY KEY,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    industry TEXT NOT NULL,
    registered_on TEXT NOT NULL,
    status TEXT NOT NULL,
    base_tier TEXT NOT NULL,
    key_supervision INTEGER NOT NULL
);
CREATE INDEX enterprises_region ON enterprises (region, uscc);

CREATE TABLE items (
    code TEXT NOT NULL CONSTRAINT items_pk PRIMARY KEY,
    department TEXT NOT NULL CONSTRAINT items_department_fk REFERENCES departments (code),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    industries TEXT NOT NULL,
    specialty TEXT NOT NULL
);

CREATE TABLE inspectors (
    id TEXT NOT NULL CONSTRAINT inspectors_pk PRIMARY KEY,
    name TEXT NOT NULL,
    department TEXT NOT NULL CONSTRAINT inspectors_department_fk REFERENCES departments (code),
    region TEXT NOT NULL,
    certificate_no TEXT NOT NULL,
    certificate_valid_from TEXT NOT NULL,
    certificate_valid_until TEXT NOT NULL,
    specialties TEXT NOT NULL,
    capacity INTEGER NOT NULL
);

CREATE TABLE conflicts (
    inspector TEXT NOT NULL CONSTRAINT conflicts_inspector_fk REFERENCES inspectors (id),
    uscc TEXT NOT NULL CONSTRAINT conflicts_enterprise_fk REFERENCES enterprises (uscc),
    reason TEXT NOT NULL,
    declared_on TEXT NOT NULL,
    CONSTRAINT conflicts_pk PRIMARY KEY (inspector, uscc)
);

CREATE TABLE credit_records (
    id INTEGER NOT NULL CONSTRAINT credit_records_pk PRIMARY KEY AUTOINCREMENT,
    uscc TEXT NOT NULL CONSTRAINT credit_records_enterprise_fk REFERENCES enterprises (uscc),
    kind TEXT NOT NULL,
    department TEXT NOT NULL CONSTRAINT credit_records_department_fk REFERENCES departments (code),
    document_no TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    publicity_min_until TEXT NOT NULL,
    publicity_max_until TEXT NOT NULL,
    early_end_allowed INTEGER NOT NULL,
    status TEXT NOT NULL,
    ended_on TEXT,
    summary TEXT NOT NULL,
    CONSTRAINT credit_records_document_unique UNIQUE (department, document_no)
);
CREATE INDEX credit_records_uscc ON credit_records (uscc);

CREATE TABLE repair_requests (
    id INTEGER NOT NULL CONSTRAINT repair_requests_pk PRIMARY KEY AUTOINCREMENT,
    record_id INTEGER NOT NULL CONSTRAINT repair_requests_record_fk REFERENCES credit_records (id),
    uscc TEXT NOT NULL,
    state TEXT NOT NULL,
    commitment TEXT NOT NULL,
    proof TEXT NOT NULL,
    filed_by TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    intake_due TEXT NOT NULL,
    intake_by TEXT,
    intake_on TEXT,
    intake_at TEXT,
    decision_due TEXT,
    decided_by TEXT,
    decided_on TEXT,
    decided_at TEXT,
    reasons TEXT NOT NULL
);
CREATE INDEX repair_requests_record ON repair_requests (record_id);
CREATE INDEX repair_requests_state ON repair_requests (state);

CREATE TABLE calendar_days (
    day TEXT NOT NULL CONSTRAINT calendar_days_pk PRIMARY KEY,
    kind TEXT NOT NULL,
    note TEXT NOT NULL
);

CREATE TABLE settings (
    key TEXT NOT NULL CONSTRAINT settings_pk PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tokens (
    hash TEXT NOT NULL CONSTRAINT tokens_pk PRIMARY KEY,
    role TEXT NOT NULL,
    scope TEXT,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    seq INTEGER NOT NULL CONSTRAINT audit_log_pk PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_head (
    id INTEGER NOT NULL CONSTRAINT audit_head_pk PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
