-- One public (一公开, docs/results.md): inspection jobs from a drawn plan, their teams and
-- recorded replacements, results in versions, and the credit proposals they raise.

-- Result categories of the national enterprise credit publicity system (docs/results.md §3).
CREATE TABLE result_categories (
    code TEXT NOT NULL CONSTRAINT result_categories_pk PRIMARY KEY,
    name TEXT NOT NULL,
    ordinal INTEGER NOT NULL
);
INSERT INTO result_categories (code, name, ordinal) VALUES
    ('no-problem', '未发现问题', 1),
    ('corrected', '发现问题经责令已改正', 2),
    ('pending', '发现问题待后续处理', 3),
    ('not-disclosed', '未按规定公示应当公示的信息', 4),
    ('falsified', '公示信息隐瞒真实情况、弄虚作假', 5),
    ('unreachable', '通过登记的住所（经营场所）无法联系', 6),
    ('no-activity', '未发现开展本次抽查涉及的经营活动', 7),
    ('closed', '已关闭停业或正在组织清算', 8),
    ('uncooperative', '不配合检查情节严重', 9),
    ('deregistered', '已注销', 10),
    ('revoked', '被吊销', 11),
    ('cancelled', '被撤销', 12),
    ('moved-out', '迁出', 13);

-- One (visit, department) of a drawn plan.
CREATE TABLE inspection_jobs (
    id INTEGER NOT NULL CONSTRAINT inspection_jobs_pk PRIMARY KEY AUTOINCREMENT,
    batch TEXT NOT NULL,
    visit TEXT NOT NULL,
    department TEXT NOT NULL,
    uscc TEXT NOT NULL,
    region TEXT NOT NULL,
    period INTEGER NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    tasks TEXT NOT NULL,
    items TEXT NOT NULL,
    state TEXT NOT NULL,
    notified_on TEXT,
    reason TEXT,
    note TEXT NOT NULL,
    approved_by TEXT,
    approved_on TEXT,
    code TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT inspection_jobs_visit UNIQUE (batch, visit, department),
    CONSTRAINT inspection_jobs_code UNIQUE (code)
);
CREATE INDEX inspection_jobs_uscc ON inspection_jobs (uscc);

-- The team of a job: the drawn members and recorded replacements (active = 0 once replaced).
CREATE TABLE job_members (
    job_id INTEGER NOT NULL CONSTRAINT job_members_job_fk REFERENCES inspection_jobs (id),
    inspector TEXT NOT NULL,
    source TEXT NOT NULL,
    priority TEXT NOT NULL,
    active INTEGER NOT NULL,
    replaces TEXT,
    reason TEXT,
    recorded_on TEXT,
    CONSTRAINT job_members_pk PRIMARY KEY (job_id, inspector)
);
CREATE INDEX job_members_inspector ON job_members (inspector);

-- A result, in versions: version 1 is the result, every later one a correction with its reason.
CREATE TABLE inspection_results (
    id INTEGER NOT NULL CONSTRAINT inspection_results_pk PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL CONSTRAINT inspection_results_job_fk REFERENCES inspection_jobs (id),
    version INTEGER NOT NULL,
    uscc TEXT NOT NULL,
    department TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    method TEXT NOT NULL,
    item_results TEXT NOT NULL,
    categories TEXT NOT NULL,
    follow_up TEXT NOT NULL,
    follow_up_done_on TEXT,
    due_on TEXT NOT NULL,
    published_on TEXT,
    reason TEXT,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    CONSTRAINT inspection_results_version UNIQUE (job_id, version)
);
CREATE INDEX inspection_results_uscc ON inspection_results (uscc, checked_on);
CREATE INDEX inspection_results_unpublished ON inspection_results (due_on, id)
    WHERE published_on IS NULL;

-- What a result proposes to the credit office; never a record until confirmed.
CREATE TABLE credit_proposals (
    id INTEGER NOT NULL CONSTRAINT credit_proposals_pk PRIMARY KEY AUTOINCREMENT,
    result_id INTEGER NOT NULL CONSTRAINT credit_proposals_result_fk REFERENCES inspection_results (id),
    uscc TEXT NOT NULL,
    department TEXT NOT NULL,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    basis TEXT NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    decided_on TEXT,
    reason TEXT,
    record_id INTEGER,
    created_at TEXT NOT NULL,
    CONSTRAINT credit_proposals_once UNIQUE (result_id, category)
);
