-- The name search of the portal and the API (docs/portal.md, "Name search"): a trigram index of
-- the enterprises' names (FTS5, tokenizer `trigram`), so a part of a name of three characters or
-- more is found without reading every name. The index holds no copy of the names (external
-- content: the `enterprises` table, by its rowid) and is kept in step by the triggers below, in
-- the transaction of every insert, update and delete. The search still compares each name the
-- index finds with the exact pattern (`LIKE`), so the index can only narrow what is read, never
-- change what is found.

CREATE VIRTUAL TABLE enterprise_names USING fts5 (
    name,
    content = 'enterprises',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);

CREATE TRIGGER enterprise_names_insert AFTER INSERT ON enterprises BEGIN
    INSERT INTO enterprise_names (rowid, name) VALUES (new.rowid, new.name);
END;

CREATE TRIGGER enterprise_names_delete AFTER DELETE ON enterprises BEGIN
    INSERT INTO enterprise_names (enterprise_names, rowid, name) VALUES ('delete', old.rowid, old.name);
END;

CREATE TRIGGER enterprise_names_update AFTER UPDATE OF name ON enterprises BEGIN
    INSERT INTO enterprise_names (enterprise_names, rowid, name) VALUES ('delete', old.rowid, old.name);
    INSERT INTO enterprise_names (rowid, name) VALUES (new.rowid, new.name);
END;

INSERT INTO enterprise_names (enterprise_names) VALUES ('rebuild');

-- The number of changes to the inspection items and departments (docs/portal.md, "What the
-- service keeps in memory"): every insert, update and delete counts one, in its transaction, so
-- that a page built from them (抽查事项清单) is rebuilt exactly when they changed, whichever
-- process changed them.
CREATE TABLE directory_changes (
    id INTEGER NOT NULL CONSTRAINT directory_changes_pk PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO directory_changes (id, n) VALUES (1, 0);

CREATE TRIGGER items_inserted AFTER INSERT ON items BEGIN UPDATE directory_changes SET n = n + 1; END;
CREATE TRIGGER items_updated AFTER UPDATE ON items BEGIN UPDATE directory_changes SET n = n + 1; END;
CREATE TRIGGER items_deleted AFTER DELETE ON items BEGIN UPDATE directory_changes SET n = n + 1; END;
CREATE TRIGGER departments_inserted AFTER INSERT ON departments BEGIN UPDATE directory_changes SET n = n + 1; END;
CREATE TRIGGER departments_updated AFTER UPDATE ON departments BEGIN UPDATE directory_changes SET n = n + 1; END;
CREATE TRIGGER departments_deleted AFTER DELETE ON departments BEGIN UPDATE directory_changes SET n = n + 1; END;
