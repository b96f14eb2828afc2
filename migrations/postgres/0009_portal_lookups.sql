-- The name search of the portal and the API (docs/portal.md, "Name search"): a trigram GIN index
-- (pg_trgm) on the lower-cased name, the very expression the search compares with LIKE, so a
-- part of a name of three characters or more is found without reading every name. Where the
-- extension cannot be created (not installed, or the role may not create it) the migration
-- still succeeds without the index and the search reads the names as before: the same results,
-- slower.

DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm not available (%): the name search reads every name', SQLERRM;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX enterprises_name_trgm ON enterprises
            USING gin (LOWER(name COLLATE "C") gin_trgm_ops);
    END IF;
END
$$;

-- The number of changes to the inspection items and departments (docs/portal.md, "What the
-- service keeps in memory"): every statement that inserts, updates or deletes rows counts one,
-- in its transaction, so that a page built from them (抽查事项清单) is rebuilt exactly when they
-- changed, whichever process changed them.
CREATE TABLE directory_changes (
    id INTEGER NOT NULL CONSTRAINT directory_changes_pk PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO directory_changes (id, n) VALUES (1, 0);

CREATE FUNCTION directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_changes SET n = n + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER items_changed AFTER INSERT OR UPDATE OR DELETE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE TRIGGER departments_changed AFTER INSERT OR UPDATE OR DELETE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
