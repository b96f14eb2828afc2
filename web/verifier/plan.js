// The plan files of a run bundle (docs/draw-protocol.md §10), written as UTF-8 bytes from a
// recomputed draw, so that §11 step 4 compares them byte for byte with the bundle's. Lines are
// encoded into one growing buffer a few thousand at a time: one string of a million lines costs
// hundreds of megabytes of string pieces, one encode call per line costs microseconds each.

import { csvField as q } from './csv.js';
import { TIERS } from './fields.js';
import { ENCODER } from './text.js';
import { cmp64, hex16 } from './u64.js';

export const HEADERS = {
  'strata.csv': ['task', 'tier', 'eligible', 'quota', 'key', 'start', 'cutoff', 'taken', 'passed_over'],
  'selections.csv': ['task', 'uscc', 'tier', 'xi', 'basis', 'inclusion'],
  'passed-over.csv': ['task', 'uscc', 'tier', 'xi', 'visits'],
  'visits.csv': ['visit', 'uscc', 'region', 'tier', 'group', 'period', 'xi', 'departments', 'tasks'],
  'teams.csv': ['visit', 'department', 'inspector', 'priority'],
  'failures.csv': ['visit', 'department', 'needed', 'found', 'reason'],
};

/** UTF-8 text fed in chunks of lines: one encode call per chunk, one copy at the end. */
class Writer {
  constructor() {
    this.chunks = [];
    this.lines = [];
  }

  line(line) {
    this.lines.push(line);
    if (this.lines.length === 4096) this.flush();
  }

  flush() {
    if (!this.lines.length) return;
    this.chunks.push(ENCODER.encode(`${this.lines.join('\n')}\n`));
    this.lines = [];
  }

  bytes() {
    this.flush();
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let n = 0;
    for (const c of this.chunks) {
      out.set(c, n);
      n += c.length;
    }
    return out;
  }
}

function file(name, items, line) {
  const w = new Writer();
  w.line(HEADERS[name].join(','));
  for (const item of items) w.line(line(item));
  return w.bytes();
}

/** The six plan files as UTF-8 bytes, keyed by file name. */
export function planFiles(inputs, draw) {
  const p = inputs.population;
  const rank = new Map(inputs.tasks.map((t, n) => [t, n])); // tasks are in id order
  const byTaskXi = (a, b) => rank.get(a.task) - rank.get(b.task) || cmp64(a.hi, a.lo, b.hi, b.lo) || a.e - b.e;
  const selections = [...draw.selections].sort(byTaskXi);
  const passed = [...draw.passedOver].sort(byTaskXi);
  const tier = (e) => TIERS[p.tier[e]];
  return {
    'strata.csv': file('strata.csv', draw.strata, (s) => `${q(s.task.id)},${TIERS[s.tier]},${s.eligible},${s.quota},${s.key},${hex16(s.start[0], s.start[1])},${s.cutoff === null ? '' : hex16(s.cutoff[0], s.cutoff[1])},${s.taken},${s.passed}`),
    'selections.csv': file('selections.csv', selections, (s) => `${q(s.task.id)},${p.uscc[s.e]},${tier(s.e)},${hex16(s.hi, s.lo)},${s.basis},${s.inclusion}`),
    'passed-over.csv': file('passed-over.csv', passed, (s) => `${q(s.task.id)},${p.uscc[s.e]},${tier(s.e)},${hex16(s.hi, s.lo)},${s.visits}`),
    'visits.csv': file('visits.csv', draw.visits, (v) => `${q(v.id)},${p.uscc[v.e]},${q(p.regionNames[p.region[v.e]])},${tier(v.e)},${q(v.group)},${v.period},${hex16(v.hi, v.lo)},${q(v.departments.join(';'))},${q(v.tasks.join(';'))}`),
    'teams.csv': file('teams.csv', draw.teams, (t) => `${q(t.visit)},${q(t.d)},${q(t.id)},${hex16(t.hi, t.lo)}`),
    'failures.csv': file('failures.csv', draw.failures, (f) => `${q(f.visit)},${q(f.d)},${f.needed},${f.found},${q(f.reason)}`),
  };
}
