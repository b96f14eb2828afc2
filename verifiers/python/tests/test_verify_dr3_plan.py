"""verify_dr3.py's reproduction of a dr3 plan from its recorded decisions (docs/plan-model.md
§6, §7, "Method dr3"), on the vector seeds/vectors/dr3/gen-month: the vector verifies, and
copies with one decision or one team changed — the manifest's digests rewritten to match, so
only the plan's own checks can refuse them — are refused with the message naming what differs.
"""

import csv
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import _path  # noqa: F401  (sys.path)
import verify_dr1 as v1
import verify_dr3 as v3

VECTOR = _path.ROOT / "seeds/vectors/dr3/gen-month"


def lines(text: str) -> list[str]:
    return text.split("\n")[:-1]


def fields(line: str) -> list[str]:
    return next(csv.reader([line]))


class Vector:
    """The vector's inputs and published plan, read once."""

    inputs = v1.read_inputs(VECTOR)
    manifest = json.loads((VECTOR / "manifest.json").read_text(encoding="utf-8"))
    seed = bytes.fromhex(manifest["seed"])
    frame = v3.Frame(inputs)
    classes = v3.region_classes(inputs, frame)
    allocation = v3.read_classes(VECTOR, frame, classes)
    visits = {r.fields[0]: r.fields for r in v3.rows_of(VECTOR, "visits.csv", v3.H_VISITS)}
    teams = v3.rows_of(VECTOR, "teams.csv", v1.H_TEAMS)
    failed = {tuple(r.fields[:2]) for r in v3.rows_of(VECTOR, "failures.csv", v1.H_FAILURES)}

    @classmethod
    def team(cls, vid: str, d: str) -> list[str]:
        return [r.fields[2] for r in cls.teams if r.fields[0] == vid and r.fields[1] == d]


class PlanTampering(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.bundle = Path(self.tmp.name) / "gen-month"
        shutil.copytree(VECTOR, self.bundle)

    def rewrite(self, rel: str, edit) -> None:
        """Rewrites a file of the copy and its digest in manifest.json."""
        path = self.bundle / rel
        text = edit(path.read_text(encoding="utf-8"))
        self.assertNotEqual(text, (VECTOR / rel).read_text(encoding="utf-8"), "no change made")
        path.write_bytes(text.encode("utf-8"))
        m = json.loads((self.bundle / "manifest.json").read_text(encoding="utf-8"))
        m["files"][rel] = v1.sha256_hex(text.encode("utf-8"))
        (self.bundle / "manifest.json").write_bytes(v1.canonical_json(m))

    def refused(self) -> str:
        with self.assertRaises(v1.VerificationError) as cm:
            v3.verify(self.bundle)
        return str(cm.exception)

    def test_the_vector_copy_verifies(self):
        said = v3.verify(self.bundle)
        self.assertTrue(said.startswith("dr3 bundle verified (python): 1447 enterprises, "
                                        "29 tasks, 1665 selections"), said)
        self.assertIn("2 teams not formed, 126 checks unplanned", said)

    # teams.csv ---------------------------------------------------------------------------

    def edit_teams(self, edit_rows) -> None:
        def edit(text):
            rows = edit_rows([fields(x) for x in lines(text)[1:]])
            return v1.csv_bytes(v1.H_TEAMS, sorted(rows)).decode()
        self.rewrite("plan/teams.csv", edit)

    def test_a_member_of_another_region_is_refused(self):
        first = Vector.teams[0].fields
        other = next(i for i in Vector.inputs.inspectors.values()
                     if i.department == first[1] and i.region != Vector.visits[first[0]][2])
        self.edit_teams(lambda rows: [[*r[:2], other.id, r[3]] if r == first else r
                                      for r in rows])
        self.assertRegex(self.refused(), rf"^plan/teams\.csv:\d+: inspector {other.id} does "
                                         rf"not serve {Vector.visits[first[0]][2]}$")

    def test_a_failed_team_formed_with_its_last_team_is_refused(self):
        """The YJGL team of 91440303MABAJWQA4F/7 failed because both inspectors of the
        department in its region inspected the enterprise last time (earlier in the plan):
        forming it with them anyway, failure row removed, is refused."""
        vid, d = "91440303MABAJWQA4F/7", "YJGL"
        self.assertIn((vid, d), Vector.failed)
        members = ["YJGL-440303-0001", "YJGL-440303-0002"]
        draw = v3.TeamDraw(Vector.inputs, Vector.frame, Vector.seed, "", {}, {})
        self.edit_teams(lambda rows: rows + [[vid, d, i, v1.hex16(draw.rho(vid, d, i))]
                                             for i in members])
        self.rewrite("plan/failures.csv",
                     lambda t: "".join(x + "\n" for x in lines(t) if not x.startswith(vid)))
        self.assertRegex(self.refused(), r"^plan/teams\.csv: inspector YJGL-440303-000[12] "
                                         r"inspects 91440303MABAJWQA4F for YJGL twice in a row "
                                         r"\(visit 91440303MABAJWQA4F/7\)$")

    def test_a_member_priority_changed_differs_from_the_team_draw(self):
        first = Vector.teams[0].fields
        self.edit_teams(lambda rows: [[*r[:3], f"{int(r[3], 16) ^ 1:016x}"] if r == first
                                      else r for r in rows])
        self.assertEqual(self.refused(), f"plan/teams.csv:2: expected "
                                         f"\"{v1.csv_line(first)[:-1]}\", found "
                                         f"\"{','.join(first[:3])},{int(first[3], 16) ^ 1:016x}\"")

    # visits.csv --------------------------------------------------------------------------

    def test_two_visits_swapping_periods_differ_from_the_placement(self):
        """Two visits of one region with the same groups, tasks and needs, in different
        periods, exchange their periods and their teams (ids, visit order, teams and budgets
        all kept consistent): every rule still holds, only the placement differs."""
        by_enterprise = {}
        for vid, f in Vector.visits.items():
            by_enterprise.setdefault(f[1], set()).add(int(f[4]))
        candidates = sorted(Vector.visits.values(), key=lambda f: f[0])
        pair = None
        for a in candidates:
            for b in candidates:
                if not (a[2] == b[2] and a[5] == b[5] and a[7] == b[7] and a[4] < b[4]
                        and a[1] != b[1]):
                    continue
                pa, pb = int(a[4]), int(b[4])
                if pb in by_enterprise[a[1]] or pa in by_enterprise[b[1]]:
                    continue
                if any((x[0], d) in Vector.failed for x in (a, b) for d in x[6].split(";")):
                    continue
                ok = True
                for x, y in ((a, b), (b, a)):  # x's enterprise gets y's teams
                    for d in x[6].split(";"):
                        team = Vector.team(y[0], d)
                        need = v3.needed_specialties(Vector.inputs, x[7].split(";"), d, x[1])
                        if any((m, x[1]) in Vector.inputs.conflicts for m in team) or not all(
                                any(s in Vector.inputs.inspectors[m].specialties for m in team)
                                for s in need):
                            ok = False
                if ok:
                    pair = (a, b)
                    break
            if pair:
                break
        self.assertIsNotNone(pair, "no two such visits in the vector")
        a, b = pair
        ida, idb = f"{a[1]}/{b[4]}", f"{b[1]}/{a[4]}"

        def edit_visits(text):
            rows = [fields(x) for x in lines(text)[1:]]
            out = []
            for r in rows:
                if r[0] == a[0]:
                    r = [ida, r[1], r[2], r[3], b[4], *r[5:]]
                elif r[0] == b[0]:
                    r = [idb, r[1], r[2], r[3], a[4], *r[5:]]
                out.append(r)
            out.sort(key=lambda r: (int(r[4]), r[8], r[1]))
            return v1.csv_bytes(v3.H_VISITS, out).decode()

        def edit_teams(text):
            rows = [fields(x) for x in lines(text)[1:]]
            draw = v3.TeamDraw(Vector.inputs, Vector.frame, Vector.seed, "", {}, {})
            out = []
            for r in rows:
                if r[0] in (a[0], b[0]):
                    vid = idb if r[0] == a[0] else ida  # a's team serves b's enterprise
                    r = [vid, r[1], r[2], v1.hex16(draw.rho(vid, r[1], r[2]))]
                out.append(r)
            return v1.csv_bytes(v1.H_TEAMS, sorted(out)).decode()

        self.rewrite("plan/visits.csv", edit_visits)
        self.rewrite("plan/teams.csv", edit_teams)
        said = self.refused()
        self.assertRegex(said, r"^plan/visits\.csv:\d+: expected ")

    # allocation.csv ----------------------------------------------------------------------

    def test_an_allocation_count_changed_breaks_the_demand_of_merges_csv(self):
        def edit(text):
            out = lines(text)
            n = next(i for i, x in enumerate(out) if i and x.split(",")[-2] == "")
            f = out[n].split(",")
            out[n] = ",".join([*f[:-1], str(int(f[-1]) + 1)])
            return "\n".join(out) + "\n"
        self.rewrite("plan/allocation.csv", edit)
        self.assertRegex(self.refused(), r"^plan/allocation\.csv: region \d+, kind .*: \d+ "
                                         r"visits placed and \d+ unplaced, but merges\.csv "
                                         r"gives a demand of \d+$")

    def test_a_visit_left_out_placed_in_a_full_period_breaks_the_integer_inequalities(self):
        """One visit a kind left unplanned placed in a period of its window where it is
        staffable but its department's allocation is used up: dr3's total inequality of (d,p)
        fails (the demand of merges.csv still adds up)."""
        regions = self.decisions()
        for region in regions:
            for v, kind in enumerate(region.kinds):
                if not region.unplaced[v]:
                    continue
                d = kind.departments[0]
                for o in range(kind.window[0] - 1, kind.window[1]):
                    if region.table.staffable(region, 2, v, o + 1) and self.tight(region, d, o):
                        region.unplaced[v] -= 1
                        region.placed[v][o] += 1
                        self.write_allocation(regions)
                        self.assertRegex(self.refused(),
                                         rf"^plan/classes\.csv: {d} in {region.name}, period "
                                         rf"{o + 1}: the visits placed \(allocation\.csv\) need "
                                         r"\d+ inspector-visits \(Σ t\(v,d\) × visits \+ "
                                         r"reserve\) and the classes are allocated \d+$")
                        return
        self.fail("no such kind and period in the vector")

    def decisions(self):
        f = Vector.frame
        draw = v1.Draw()
        held = v3.parse_key_supervision(v1.read_file(VECTOR, "inputs/key-supervision.csv"),
                                        Vector.inputs)
        u = [v1.prn(Vector.seed, e.uscc) for e in Vector.inputs.population]
        v1.select_enterprises(Vector.inputs, u, v1.Eligibility(Vector.inputs), draw, held)
        regions = v3.aggregates(Vector.inputs, f, draw.visits, Vector.classes, {})
        for region in regions:
            region.allocation = Vector.allocation.get(region.name, [])
            region.table = v3.Table(region, f.k)
        v3.read_merges(VECTOR, regions)
        v3.read_allocation(VECTOR, f, regions, {})
        return regions

    @staticmethod
    def tight(region, d, o) -> bool:
        need = sum(region.table.size[(v, d)] * region.placed[v][o]
                   for v, kind in enumerate(region.kinds) if d in kind.departments)
        have = sum(region.allocation[q][o] for q, c in enumerate(region.classes)
                   if c.department == d)
        return need == have

    def write_allocation(self, regions):
        def edit(_text):
            out = []
            for region in regions:
                for v, kind in enumerate(region.kinds):
                    base = v3.kind_key(region, kind)
                    out += [base + [str(o + 1), str(n)] for o, n in enumerate(region.placed[v])
                            if n]
                    if region.unplaced[v]:
                        out.append(base + ["", str(region.unplaced[v])])
            return v1.csv_bytes(v3.H_ALLOCATION, out).decode()
        self.rewrite("plan/allocation.csv", edit)

    # merges.csv --------------------------------------------------------------------------

    def edit_merges(self, pattern: str, merged: str, partial: str) -> None:
        def edit(text):
            out = lines(text)
            n = next(i for i, x in enumerate(out) if f",{pattern}," in x)
            f = out[n].split(",")
            out[n] = ",".join([*f[:5], merged, partial])
            return "\n".join(out) + "\n"
        self.rewrite("plan/merges.csv", edit)

    def test_a_merged_count_changed_breaks_the_demand(self):
        self.edit_merges("SCJG-K[1-12]+SWJU-G[4-9]+joint-1[1-6]", "0", "")
        self.assertRegex(self.refused(), r"^plan/allocation\.csv: region 440303, kind .*: "
                                         r"\d+ visits placed and \d+ unplaced, but merges\.csv "
                                         r"gives a demand of \d+$")

    def test_more_merged_than_the_cell_has_is_refused(self):
        self.edit_merges("RSJ-G[7-12]+STHJ-K[3-8]+YJGL-K[1-4]+joint-2[4-9]", "1", "3:1")
        self.assertRegex(self.refused(), r"^plan/merges\.csv:2: merged: 1 merged and 1 "
                                         r"partially merged of a cell of 1 enterprises$")

    def test_a_partial_merge_at_another_position_is_refused(self):
        self.edit_merges("RSJ-G[7-12]+STHJ-K[3-8]+YJGL-K[1-4]+joint-2[4-9]", "0", "1:1")
        self.assertRegex(self.refused(), r"^plan/merges\.csv:2: partial: position 1 is not a "
                                         r"partial merge of the pattern \(positions ")

    # classes.csv -------------------------------------------------------------------------

    def edit_class(self, n: int, column: int, value) -> None:
        def edit(text):
            out = lines(text)
            f = fields(out[n])
            f[column] = value(f[column])
            out[n] = v1.csv_line(f)[:-1]
            return "\n".join(out) + "\n"
        self.rewrite("plan/classes.csv", edit)

    def test_an_allocation_over_the_members_capacity_is_refused(self):
        self.edit_class(1, 5, lambda a: a.replace("1:4", "1:400", 1))
        self.assertRegex(self.refused(), r"^plan/classes\.csv:2: allocation: \d+ "
                                         r"inspector-visits, more than its 1 inspectors' "
                                         r"capacity left 57$")

    def test_a_class_with_other_members_is_refused(self):
        self.edit_class(1, 2, lambda a: a + ";CGJ-440303-0001")
        self.assertRegex(self.refused(), r"^plan/classes\.csv:2: inspectors: expected "
                                         r"'CGJ-440303-0002' \(class 1 recomputed")

    def test_an_allocation_cut_below_the_teams_drawn_is_refused_by_the_budgets(self):
        self.edit_class(1, 5, lambda a: a.replace("1:4", "1:1", 1))
        self.assertRegex(self.refused(), r"^plan/teams\.csv:\d+: inspector CGJ-440303-0002 "
                                         r"exceeds the visits planned for them in period 1 ")


if __name__ == "__main__":
    unittest.main()
