-- Key supervision per department (docs/domain.md, "Key supervision"; docs/import-formats.md):
-- the departments that keep an enterprise under full-coverage key supervision, `;`-joined,
-- sorted and unique, empty for none. Method dr3 reads them per department; dr1 and dr2 read
-- an enterprise with any as key_supervision true.
ALTER TABLE enterprises ADD COLUMN key_departments TEXT NOT NULL DEFAULT '';
