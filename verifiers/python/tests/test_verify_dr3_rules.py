"""verify_dr3.py's cap and capacity rules where complaints are involved (docs/plan-model.md §6
Caps, §10 step 4, "Method dr3" Integer stage):

- Rule B (caps): an enterprise's complaint-driven visits (one per distinct period) count first
  and may alone pass its tier's cap; a new visit without a key-supervision check on top of a
  full cap is refused.
- Rule A (capacity): k × visits + reserve ≤ allocation, and dr3's total inequality, must hold for
  a department and period only where the department has a new visit; a complaint reserve short
  alone is accepted.

On the vector seeds/vectors/dr3/gen-month (its published plan, with complaints and reserves
given to the functions directly), and on the vectors complaints-over-cap and reserve-short,
which the verifier refused before these rules.
"""

import unittest

import _path  # noqa: F401  (sys.path)
import verify_dr1 as v1
import verify_dr3 as v3

VECTORS = _path.ROOT / "seeds/vectors/dr3"
VECTOR = VECTORS / "gen-month"


class Plan:
    """gen-month's inputs, published plan and recorded decisions, read once."""

    inputs = v1.read_inputs(VECTOR)
    held = v3.parse_key_supervision(v1.read_file(VECTOR, "inputs/key-supervision.csv"), inputs)
    frame = v3.Frame(inputs)
    published = v3.check_plan(VECTOR, inputs, held, [])
    classes = v3.region_classes(inputs, frame)
    allocation = v3.read_classes(VECTOR, frame, classes)
    # (region, department) -> periods with a new visit of the department
    visited: dict[tuple[str, str], set[int]] = {}
    for uscc, p, departments in published.by_id.values():
        for d in departments:
            visited.setdefault((inputs.by_uscc[uscc].region, d), set()).add(p)

    @classmethod
    def new_visits(cls, uscc: str) -> list[tuple[int, list[str]]]:
        return [(p, ds) for u, p, ds in cls.published.by_id.values() if u == uscc]

    @classmethod
    def regions(cls, reserve: dict) -> list[v3.Region]:
        """The aggregates and recorded decisions of gen-month's regions with `reserve`."""
        manifest = v1.load_json("manifest.json", v1.read_file(VECTOR, "manifest.json"))
        seed = bytes.fromhex(manifest["seed"])
        draw = v1.Draw()
        u = [v1.prn(seed, e.uscc) for e in cls.inputs.population]
        v1.select_enterprises(cls.inputs, u, v1.Eligibility(cls.inputs), draw, cls.held)
        regions = v3.aggregates(cls.inputs, cls.frame, draw.visits, cls.classes, reserve)
        for region in regions:
            region.allocation = cls.allocation.get(region.name, [])
            region.table = v3.Table(region, cls.frame.k)
        status = {r.fields[0]: r.fields[6] for r in v3.rows_of(VECTOR, "regions.csv",
                                                                v3.H_REGIONS)}
        v3.read_merges(VECTOR, regions)
        v3.read_allocation(VECTOR, cls.frame, regions, status)
        return regions


def complaint_rows(rows: list[tuple[str, str, int]]) -> list[v1.Row]:
    return [v1.Row(n + 2, [u, d, str(p)]) for n, (u, d, p) in enumerate(sorted(rows))]


def cap(uscc: str) -> int:
    return Plan.inputs.policy.caps[Plan.inputs.by_uscc[uscc].tier]


class CapRule(unittest.TestCase):
    """Rule B, by check_plan on gen-month's plan with complaints given to it."""

    def check(self, rows):
        v3.check_plan(VECTOR, Plan.inputs, Plan.held, complaint_rows(rows))

    def test_complaints_alone_over_the_cap_are_accepted(self):
        idle = next(e for e in Plan.inputs.population
                    if not e.key and cap(e.uscc) == 1 and not Plan.new_visits(e.uscc))
        self.check([(idle.uscc, "SCJG", 2), (idle.uscc, "SCJG", 5), (idle.uscc, "SWJ", 7)])

    def test_a_new_visit_on_a_cap_full_of_complaints_is_refused(self):
        busy = next(e for e in Plan.inputs.population
                    if not e.key and len(Plan.new_visits(e.uscc)) == 1)
        p = Plan.new_visits(busy.uscc)[0][0]
        others = [q for q in Plan.frame.periods if q != p][:cap(busy.uscc)]
        with self.assertRaises(v1.VerificationError) as cm:
            self.check([(busy.uscc, "SCJG", q) for q in others])
        c = cap(busy.uscc)
        self.assertEqual(str(cm.exception),
                         f"plan/visits.csv: {busy.uscc} (tier {busy.tier}) has {c + 1} visits "
                         f"without a key-supervision check (1 new, {c} complaint-driven), over "
                         f"its cap {c}")

    def test_complaints_count_once_per_period(self):
        """Complaints of two departments in one period are one complaint-driven visit: with a
        new visit, cap - 1 distinct periods fill the cap exactly."""
        busy = next(e for e in Plan.inputs.population
                    if not e.key and cap(e.uscc) >= 2 and len(Plan.new_visits(e.uscc)) == 1)
        p = Plan.new_visits(busy.uscc)[0][0]
        others = [q for q in Plan.frame.periods if q != p][:cap(busy.uscc) - 1]
        rows = [(busy.uscc, d, q) for q in others for d in ("SCJG", "SWJ")]
        self.check(rows)

    def test_a_key_supervision_visit_is_exempt_on_a_full_cap(self):
        """A visit holding a key-supervision check is kept on top of any complaints."""
        key = next(u for u, _p, ds in Plan.published.by_id.values()
                   if any(u in Plan.held.get(d, ()) for d in ds)
                   and len(Plan.new_visits(u)) == 1)
        p = Plan.new_visits(key)[0][0]
        others = [q for q in Plan.frame.periods if q != p][:cap(key) + 1]
        self.check([(key, "SCJG", q) for q in others])


class CapacityRule(unittest.TestCase):
    """Rule A, by check_capacity (k × visits + reserve) and check_inequalities (dr3's total)
    on gen-month's allocation with a complaint reserve given to them."""

    @staticmethod
    def spot(with_visit: bool) -> tuple[str, str, int]:
        """A region, department and period whose classes are allocated something in the year,
        with or without a new visit of the department there."""
        for region, qs in sorted(Plan.classes.items()):
            for q, cls in enumerate(qs):
                if sum(Plan.allocation[region][q]) == 0:
                    continue
                for p in Plan.frame.periods:
                    if (p in Plan.visited.get((region, cls.department), set())) == with_visit:
                        return region, cls.department, p
        raise AssertionError("no such spot")

    def capacity(self, reserve):
        v3.check_capacity(Plan.inputs, Plan.frame, Plan.published, Plan.classes,
                          Plan.allocation, reserve)

    def test_the_vector_passes(self):
        self.capacity({})

    def test_a_reserve_short_alone_is_accepted(self):
        region, d, p = self.spot(with_visit=False)
        self.capacity({region: {(d, p): 1000}})

    def test_a_reserve_short_where_the_department_has_a_visit_is_refused(self):
        region, d, p = self.spot(with_visit=True)
        with self.assertRaises(v1.VerificationError) as cm:
            self.capacity({region: {(d, p): 1000}})
        self.assertRegex(str(cm.exception),
                         rf"^plan/classes\.csv: {d} in {region} needs \d+ inspector-visits in "
                         rf"period {p} \(k × visits of visits\.csv \+ complaint reserve\), \d+ "
                         rf"were allocated$")

    @staticmethod
    def placed_spot(with_visit: bool) -> tuple[str, str, int]:
        """As spot, by the visits placed of allocation.csv (before the cap pass)."""
        for r in Plan.regions({}):
            for q, cls in enumerate(r.classes):
                if sum(r.allocation[q]) == 0:
                    continue
                for o, p in enumerate(Plan.frame.periods):
                    placed = sum(r.placed[v][o] for v, kind in enumerate(r.kinds)
                                 if cls.department in kind.departments)
                    if (placed > 0) == with_visit:
                        return r.name, cls.department, p
        raise AssertionError("no such spot")

    def inequalities(self, reserve):
        for r in Plan.regions(reserve):
            v3.check_inequalities(Plan.frame, r)

    def test_dr3s_total_inequality_with_a_reserve_short_alone_holds(self):
        region, d, p = self.placed_spot(with_visit=False)
        self.inequalities({region: {(d, p): 1000}})

    def test_dr3s_total_inequality_short_with_a_visit_placed_fails(self):
        region, d, p = self.placed_spot(with_visit=True)
        with self.assertRaises(v1.VerificationError) as cm:
            self.inequalities({region: {(d, p): 1000}})
        self.assertRegex(str(cm.exception),
                         rf"^plan/classes\.csv: {d} in {region}, period {p}: the visits placed "
                         rf"\(allocation\.csv\) need \d+ inspector-visits")


class Vectors(unittest.TestCase):
    """The vectors made for the two rules verify (the verifier refused both before)."""

    def test_complaints_over_cap_verifies(self):
        said = v3.verify(VECTORS / "complaints-over-cap")
        self.assertTrue(said.startswith("dr3 bundle verified (python): 291 enterprises"), said)

    def test_reserve_short_verifies(self):
        said = v3.verify(VECTORS / "reserve-short")
        self.assertTrue(said.startswith("dr3 bundle verified (python): 291 enterprises"), said)


if __name__ == "__main__":
    unittest.main()
