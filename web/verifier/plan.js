// The plan files of a run bundle (docs/draw-protocol.md §10), written from a recomputed draw so
// that §11 step 4 compares them byte for byte with the bundle's. Fields that can hold any text
// (ids, names, reasons) go through csvField; numbers, hex, tiers and USCCs never need quotes.

import { csvField as q, csvLine } from './csv.js';
import { TIERS } from './fields.js';
import { cmp64, hex16 } from './u64.js';

export const HEADERS = {
  'strata.csv': ['task', 'tier', 'eligible', 'quota', 'key', 'start', 'cutoff', 'taken', 'passed_over'],
  'selections.csv': ['task', 'uscc', 'tier', 'xi', 'basis', 'inclusion'],
  'passed-over.csv': ['task', 'uscc', 'tier', 'xi', 'visits'],
  'visits.csv': ['visit', 'uscc', 'region', 'tier', 'group', 'period', 'xi', 'departments', 'tasks'],
  'teams.csv': ['visit', 'department', 'inspector', 'priority'],
  'failures.csv': ['visit', 'department', 'needed', 'found', 'reason'],
};

function file(name, items, line) {
  const parts = new Array(items.length + 1);
  parts[0] = csvLine(HEADERS[name]);
  for (let i = 0; i < items.length; i++) parts[i + 1] = line(items[i]);
  return parts.join('');
}

/** The six plan files as strings, keyed by file name. */
export function planFiles(inputs, draw) {
  const p = inputs.population;
  const rank = new Map(inputs.tasks.map((t, n) => [t, n])); // tasks are in id order
  const byTaskXi = (a, b) => rank.get(a.task) - rank.get(b.task) || cmp64(a.hi, a.lo, b.hi, b.lo) || a.e - b.e;
  const taskField = new Map(inputs.tasks.map((t) => [t, q(t.id)]));
  const selections = [...draw.selections].sort(byTaskXi);
  const passed = [...draw.passedOver].sort(byTaskXi);
  return {
    'strata.csv': file('strata.csv', draw.strata, (s) => `${taskField.get(s.task)},${TIERS[s.tier]},${s.eligible},${s.quota},${s.key},${hex16(s.start[0], s.start[1])},${s.cutoff === null ? '' : hex16(s.cutoff[0], s.cutoff[1])},${s.taken},${s.passed}\n`),
    'selections.csv': file('selections.csv', selections, (s) => `${taskField.get(s.task)},${p.uscc[s.e]},${TIERS[p.tier[s.e]]},${hex16(s.hi, s.lo)},${s.basis},${s.inclusion}\n`),
    'passed-over.csv': file('passed-over.csv', passed, (s) => `${taskField.get(s.task)},${p.uscc[s.e]},${TIERS[p.tier[s.e]]},${hex16(s.hi, s.lo)},${s.visits}\n`),
    'visits.csv': file('visits.csv', draw.visits, (v) => `${q(v.id)},${p.uscc[v.e]},${q(p.regionNames[p.region[v.e]])},${TIERS[p.tier[v.e]]},${q(v.group)},${v.period},${hex16(v.hi, v.lo)},${q(v.departments.join(';'))},${q(v.tasks.join(';'))}\n`),
    'teams.csv': file('teams.csv', draw.teams, (t) => `${q(t.visit)},${q(t.d)},${q(t.id)},${hex16(t.hi, t.lo)}\n`),
    'failures.csv': file('failures.csv', draw.failures, (f) => `${q(f.visit)},${q(f.d)},${f.needed},${f.found},${q(f.reason)}\n`),
  };
}

