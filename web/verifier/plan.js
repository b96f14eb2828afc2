// The plan files of a run bundle (docs/draw-protocol.md §10), written from a recomputed draw so
// that §11 step 4 compares them byte for byte with the bundle's.

import { csvLine } from './csv.js';
import { TIERS } from './fields.js';
import { byteCmp } from './text.js';
import { cmp64, hex16 } from './u64.js';

export const HEADERS = {
  'strata.csv': ['task', 'tier', 'eligible', 'quota', 'key', 'start', 'cutoff', 'taken', 'passed_over'],
  'selections.csv': ['task', 'uscc', 'tier', 'xi', 'basis', 'inclusion'],
  'passed-over.csv': ['task', 'uscc', 'tier', 'xi', 'visits'],
  'visits.csv': ['visit', 'uscc', 'region', 'tier', 'group', 'period', 'xi', 'departments', 'tasks'],
  'teams.csv': ['visit', 'department', 'inspector', 'priority'],
  'failures.csv': ['visit', 'department', 'needed', 'found', 'reason'],
};

function file(name, rows) {
  const parts = [csvLine(HEADERS[name])];
  for (const r of rows) parts.push(csvLine(r));
  return parts.join('');
}

const byTaskXi = (a, b) => byteCmp(a.task.id, b.task.id) || cmp64(a.hi, a.lo, b.hi, b.lo) || a.e - b.e;

/** The six plan files as strings, keyed by file name. */
export function planFiles(inputs, draw) {
  const p = inputs.population;
  const tier = (e) => TIERS[p.tier[e]];
  const selections = [...draw.selections].sort(byTaskXi);
  const passed = [...draw.passedOver].sort(byTaskXi);
  return {
    'strata.csv': file('strata.csv', draw.strata.map((s) => [s.task.id, TIERS[s.tier], String(s.eligible),
      String(s.quota), String(s.key), hex16(s.start[0], s.start[1]),
      s.cutoff === null ? '' : hex16(s.cutoff[0], s.cutoff[1]), String(s.taken), String(s.passed)])),
    'selections.csv': file('selections.csv', selections.map((s) => [s.task.id, p.uscc[s.e], tier(s.e),
      hex16(s.hi, s.lo), s.basis, s.inclusion])),
    'passed-over.csv': file('passed-over.csv', passed.map((s) => [s.task.id, p.uscc[s.e], tier(s.e),
      hex16(s.hi, s.lo), String(s.visits)])),
    'visits.csv': file('visits.csv', draw.visits.map((v) => [v.id, p.uscc[v.e], p.regionNames[p.region[v.e]],
      tier(v.e), v.group, String(v.period), hex16(v.hi, v.lo), v.departments.join(';'), v.tasks.join(';')])),
    'teams.csv': file('teams.csv', draw.teams.map((t) => [t.visit, t.d, t.id, hex16(t.hi, t.lo)])),
    'failures.csv': file('failures.csv', draw.failures.map((f) => [f.visit, f.d, String(f.needed),
      String(f.found), f.reason])),
  };
}
