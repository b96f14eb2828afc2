"""verify_dr3.py's reading of key-supervision.csv and its per-department selection, on the
inputs of the dr2 vector (seeds/vectors/dr2/gen-month) given made-up key supervision."""

import json
import unittest

import _path  # noqa: F401  (sys.path)
import verify_dr1 as v1
import verify_dr3 as v3

BUNDLE = _path.ROOT / "seeds/vectors/dr2/gen-month"


class KeySupervision(unittest.TestCase):
    def setUp(self):
        self.inputs = v1.read_inputs(BUNDLE)
        self.flagged = [e for e in self.inputs.population if e.key]
        self.departments = sorted({t.department for t in self.inputs.tasks.values()})

    def text(self, rows):
        return v1.csv_bytes(v3.H_KEY, rows)

    def rows(self):
        # every flagged enterprise held by the first department, the first one also by the second
        d0, d1 = self.departments[:2]
        rows = [[e.uscc, d0] for e in self.flagged]
        rows.insert(1, [self.flagged[0].uscc, d1])
        return rows

    def refused(self, rows_or_bytes):
        raw = rows_or_bytes if isinstance(rows_or_bytes, bytes) else self.text(rows_or_bytes)
        with self.assertRaises(v1.VerificationError) as cm:
            v3.parse_key_supervision(raw, self.inputs)
        return str(cm.exception)

    def test_a_valid_file_gives_each_department_its_enterprises(self):
        held = v3.parse_key_supervision(self.text(self.rows()), self.inputs)
        d0, d1 = self.departments[:2]
        self.assertEqual(held[d0], {e.uscc for e in self.flagged})
        self.assertEqual(held[d1], {self.flagged[0].uscc})

    def test_bad_rows_are_refused_by_line_and_column(self):
        label = "inputs/key-supervision.csv"
        rows = self.rows()
        self.assertIn(f"{label}:3: rows not sorted by uscc", self.refused([rows[0], rows[0], *rows[1:]]))
        bad = [rows[0], [rows[1][0], "NOPE"], *rows[2:]]
        self.assertIn(f"{label}:3: department: 'NOPE' is not the department of any task",
                      self.refused(bad))
        unflagged = next(e for e in self.inputs.population if not e.key)
        extra = sorted([*rows, [unflagged.uscc, self.departments[0]]])
        self.assertIn("has key_supervision false", self.refused(extra))
        self.assertIn("is true but key-supervision.csv has no row", self.refused(rows[2:]))
        self.assertIn(f"{label}:1: expected header", self.refused(b"uscc,dept\n"))

    def test_held_by_every_department_the_selection_is_dr1s(self):
        """K per department is dr1's K when every department holds every flagged enterprise
        (the same strata and selections here, where nobody reaches a cap: the two rules differ
        only in what counts toward it)."""
        seed = bytes.fromhex(json.loads(v1.read_file(BUNDLE, "manifest.json"))["seed"])
        u = [v1.prn(seed, e.uscc) for e in self.inputs.population]
        held = {d: {e.uscc for e in self.flagged} for d in self.departments}
        draws = []
        for h in (None, held):
            d = v1.Draw()
            v1.select_enterprises(self.inputs, u, v1.Eligibility(self.inputs), d, h)
            draws.append(v1.plan_files(d))
        for name in ("strata.csv", "selections.csv"):
            self.assertEqual(draws[0][name], draws[1][name], name)
        only_first = {self.departments[0]: {e.uscc for e in self.flagged}}
        d = v1.Draw()
        v1.select_enterprises(self.inputs, u, v1.Eligibility(self.inputs), d, only_first)
        keys = {s.task for s in d.selections if s.basis == "key"}
        self.assertTrue(keys)
        self.assertTrue(all(self.inputs.tasks[t].department == self.departments[0] for t in keys))


if __name__ == "__main__":
    unittest.main()
