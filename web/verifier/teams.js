// Inspector teams (docs/draw-protocol.md §9), with ρ(v, d, i) of §6 and the dates of a period
// (§2.2). Inspectors are grouped by (department, region) once, so a visit looks only at the
// inspectors of its own region; the other-region count is the difference.

import { daysInMonth } from './fields.js';
import { STATE, midstate, resumeWords } from './sha256.js';
import { ENCODER, byteCmp } from './text.js';
import { cmp64 } from './u64.js';

const TAG_INSPECTOR = ENCODER.encode('dualdraw-dr1-inspector\0');

/** [first day, last day] of `period` as YYYYMMDD. */
export function periodDates(policy, period) {
  const m = policy.periods === 'quarter' ? 3 : 1;
  const first = (period - 1) * m + 1;
  const last = period * m;
  return [policy.year * 10000 + first * 100 + 1, policy.year * 10000 + last * 100 + daysInMonth(policy.year, last)];
}

/** (uscc, department) → Set of inspectors of its history rows with the greatest date. */
export function lastTeams(history) {
  const best = new Map();
  for (const h of history) {
    const key = `${h.uscc}\n${h.department}`;
    const cur = best.get(key);
    if (cur === undefined || h.visitedOn > cur.on) best.set(key, { on: h.visitedOn, team: new Set([h.inspector]) });
    else if (h.visitedOn === cur.on) cur.team.add(h.inspector);
  }
  return new Map([...best].map(([k, v]) => [k, v.team]));
}

/** Required specialties of department d in a visit's tasks, sorted, unique. */
export function requiredSpecialties(inputs, taskIds, d) {
  const out = new Set();
  for (const id of taskIds) {
    const t = inputs.taskById.get(id);
    if (t.department !== d) continue;
    for (const code of t.items) {
      const s = inputs.items.get(code).specialty;
      if (s) out.add(s);
    }
  }
  return [...out].sort(byteCmp);
}

/** ρ hashing with a reusable buffer: TAG ‖ seed ‖ v ‖ 0 ‖ d ‖ 0 ‖ i ‖ 0. */
class Priority {
  constructor(seed) {
    this.buf = new Uint8Array(1024);
    this.buf.set(TAG_INSPECTOR);
    this.buf.set(seed, TAG_INSPECTOR.length);
    this.base = TAG_INSPECTOR.length + 32;
    this.end = this.base;
  }

  prefix(visitId, d) {
    const bytes = ENCODER.encode(`${visitId}\0${d}\0`);
    this.ensure(this.base + bytes.length + 4096);
    this.buf.set(bytes, this.base);
    this.end = this.base + bytes.length;
    // The blocks every candidate of this (visit, department) shares are hashed once.
    this.skip = this.end - (this.end % 64);
    this.mid = midstate(this.buf, this.skip);
  }

  ensure(n) {
    if (this.buf.length >= n) return;
    const b = new Uint8Array(2 * n);
    b.set(this.buf);
    this.buf = b;
  }

  of(idBytes) {
    this.ensure(this.end + idBytes.length + 1);
    this.buf.set(idBytes, this.end);
    this.buf[this.end + idBytes.length] = 0;
    resumeWords(this.mid, this.skip, this.buf, this.end + idBytes.length + 1);
    this.hi = STATE[0] >>> 0;
    this.lo = STATE[1] >>> 0;
  }
}

/** inspector id → Set of USCCs it declared a conflict with. */
function conflictsByInspector(conflicts) {
  const out = new Map();
  for (const pair of conflicts) {
    const [i, uscc] = pair.split('\n');
    if (!out.has(i)) out.set(i, new Set());
    out.get(i).add(uscc);
  }
  return out;
}

function byDepartmentRegion(inspectors) {
  const out = new Map();
  inspectors.forEach((i, n) => {
    i.index = n;
    i.idBytes = ENCODER.encode(i.id);
    if (!out.has(i.department)) out.set(i.department, { all: 0, regions: new Map() });
    const d = out.get(i.department);
    d.all++;
    if (!d.regions.has(i.region)) d.regions.set(i.region, []);
    d.regions.get(i.region).push(i);
  });
  return out;
}

/** §9: team rows and failure rows, each sorted as §10 publishes them. */
export function inspectorTeams(inputs, seed, visits, progress) {
  const { policy, population } = inputs;
  const conflictsOf = conflictsByInspector(inputs.conflicts);
  const requiredCache = new Map();
  const k = policy.k;
  const used = new Uint32Array(inputs.inspectors.length);
  const last = lastTeams(inputs.history);
  const depts = byDepartmentRegion(inputs.inspectors);
  const rho = new Priority(seed);
  const teams = [];
  const failures = [];
  for (const i of inputs.inspectors) i.conflicts = conflictsOf.get(i.id) ?? null;
  const dates = Array.from({ length: 13 }, (_, p) => (p ? periodDates(policy, p) : null));
  visits.forEach((v, n) => {
    const uscc = population.uscc[v.e];
    const region = population.regionNames[population.region[v.e]];
    const [start, end] = dates[v.period];
    for (const d of v.departments) {
      const taskKey = `${v.tasks.join(';')}\n${d}`;
      let required = requiredCache.get(taskKey);
      if (!required) requiredCache.set(taskKey, (required = requiredSpecialties(inputs, v.tasks, d)));
      const dept = depts.get(d) ?? { all: 0, regions: new Map() };
      const local = dept.regions.get(region) ?? [];
      const lastTeam = last.size ? last.get(`${uscc}\n${d}`) ?? null : null;
      let certificate = 0; let conflict = 0; let lastTime = 0; let capacity = 0;
      const candidates = [];
      let hashing = false;
      for (const i of local) {
        if (!(i.validFrom <= start && end <= i.validUntil)) certificate++;
        else if (i.conflicts !== null && i.conflicts.has(uscc)) conflict++;
        else if (lastTeam !== null && lastTeam.has(i.id)) lastTime++;
        else if (used[i.index] >= i.capacity) capacity++;
        else {
          if (!hashing) {
            rho.prefix(v.id, d);
            hashing = true;
          }
          rho.of(i.idBytes);
          candidates.push({ hi: rho.hi, lo: rho.lo, i });
        }
      }
      candidates.sort((a, b) => cmp64(a.hi, a.lo, b.hi, b.lo) || byteCmp(a.i.id, b.i.id));
      const members = formTeam(required, candidates, k);
      if (members.length >= k && !members.failed) {
        for (const c of members) {
          used[c.i.index]++;
          teams.push({ visit: v.id, d, id: c.i.id, hi: c.hi, lo: c.lo });
        }
      } else {
        let reason = `${k} needed, ${members.length} assignable: ${dept.all} in department, `
          + `${dept.all - local.length} in other regions than ${region}, ${certificate} certificate `
          + `not valid for all of period ${v.period}, ${conflict} declared conflict, `
          + `${lastTime} inspected it last time, ${capacity} at capacity, ${candidates.length} available`;
        const missing = required.filter((s) => !candidates.some((c) => c.i.specialties.has(s)));
        if (missing.length) reason += `; no available inspector has specialty ${missing.join(', ')}`;
        failures.push({ visit: v.id, d, needed: k, found: members.length, reason });
      }
    }
    if ((n & 0x3ff) === 0x3ff) progress?.(n + 1, visits.length);
  });
  teams.sort((a, b) => byteCmp(a.visit, b.visit) || byteCmp(a.d, b.d) || byteCmp(a.id, b.id));
  failures.sort((a, b) => byteCmp(a.visit, b.visit) || byteCmp(a.d, b.d));
  return { teams, failures };
}

/** §9 step 4: specialists first, then candidates in order up to k; `failed` when stuck. */
function formTeam(required, candidates, k) {
  const members = [];
  const ids = new Set();
  for (const s of required) {
    if (members.some((m) => m.i.specialties.has(s))) continue;
    const pick = candidates.find((c) => c.i.specialties.has(s) && !ids.has(c.i.id));
    if (!pick) {
      members.failed = true;
      return members;
    }
    members.push(pick);
    ids.add(pick.i.id);
  }
  for (const c of candidates) {
    if (members.length >= k) break;
    if (!ids.has(c.i.id)) {
      members.push(c);
      ids.add(c.i.id);
    }
  }
  return members;
}
