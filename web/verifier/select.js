// Seed, random numbers and the selection of enterprises (docs/draw-protocol.md §6, §7), then
// the visits of each group and their periods (§8).
//
// Walking a stratum "in increasing (ξ(e), e)" with ξ = u − g mod 2^64 is walking the population
// sorted once by (u, e), starting at the first u ≥ g and wrapping around: no per-stratum sort.

import { quotaApplied } from './fields.js';
import { STATE, digestWords } from './sha256.js';
import { ENCODER, byteCmp } from './text.js';
import { add64, cmp64, sortByU64, sub64 } from './u64.js';
import { strataOf } from './eligibility.js';

const TAG_PRN = ENCODER.encode('dualdraw-dr1-prn\0');

/** u(e) of every enterprise as hi/lo word arrays (§6). */
export function randomNumbers(seed, population, progress) {
  const n = population.size;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const buf = new Uint8Array(TAG_PRN.length + 32 + 18);
  buf.set(TAG_PRN);
  buf.set(seed, TAG_PRN.length);
  const o = TAG_PRN.length + 32;
  for (let e = 0; e < n; e++) {
    const u = population.uscc[e];
    for (let j = 0; j < 18; j++) buf[o + j] = u.charCodeAt(j);
    digestWords(buf, 0, buf.length);
    hi[e] = STATE[0] >>> 0;
    lo[e] = STATE[1] >>> 0;
    if ((e & 0xffff) === 0xffff) progress?.(e + 1, n);
  }
  return { hi, lo };
}

/** Groups in byte order of their names, each with its tasks in id order. */
function groupsInOrder(tasks) {
  const groups = new Map();
  for (const t of tasks) {
    if (!groups.has(t.group)) groups.set(t.group, []);
    groups.get(t.group).push(t);
  }
  return [...groups.entries()].sort((a, b) => byteCmp(a[0], b[0]));
}

// The stratum's sampled enterprises in increasing (u, e): their ranks in the population's
// (u, e) order, sorted. Ranks are distinct and below the population size, so they are set in a
// bitmap and read back in order (linear, where sorting each stratum cost n log n).
let BITS = new Int32Array(0);
function inUOrder(sampled, rank) {
  const ranks = new Uint32Array(sampled.length);
  if (BITS.length < (rank.length >>> 5) + 1) BITS = new Int32Array((rank.length >>> 5) + 1);
  const bits = BITS;
  let lo = bits.length;
  let hi = 0;
  for (let j = 0; j < sampled.length; j++) {
    const r = rank[sampled[j]];
    const w = r >>> 5;
    bits[w] |= 1 << (r & 31);
    if (w < lo) lo = w;
    if (w > hi) hi = w;
  }
  let n = 0;
  for (let w = lo; w <= hi; w++) {
    let x = bits[w];
    if (x === 0) continue;
    bits[w] = 0;
    while (x !== 0) {
      const low = x & -x;
      ranks[n++] = (w << 5) + 31 - Math.clz32(low);
      x ^= low;
    }
  }
  return ranks;
}

// The first position of `ranks` whose enterprise's u is ≥ (gHi, gLo).
function firstAtLeast(ranks, order, u, gHi, gLo) {
  let a = 0;
  let b = ranks.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    const e = order[ranks[m]];
    if (cmp64(u.hi[e], u.lo[e], gHi, gLo) < 0) a = m + 1;
    else b = m;
  }
  return a;
}

/** §7 and §8: strata, selections, passed-over rows and the visits (in visit order). */
export function selectEnterprises(inputs, u, progress) {
  const { population, policy } = inputs;
  const order = sortByU64(u.hi, u.lo);
  const rank = new Uint32Array(order.length);
  for (let p = 0; p < order.length; p++) rank[order[p]] = p;
  const visitsSoFar = new Uint16Array(population.size);
  const s = [[0, 0], [0, 0], [0, 0], [0, 0]];
  const out = { strata: [], selections: [], passedOver: [], visits: [] };
  const xi = [0, 0];
  const groups = groupsInOrder(inputs.tasks);
  let done = 0;
  for (const [group, tasks] of groups) {
    const g = s.map((w) => [...w]);
    const members = new Map();
    const x = [null, null, null, null];
    const take = (e, t) => {
      let m = members.get(e);
      if (m === undefined) {
        visitsSoFar[e]++;
        members.set(e, (m = []));
      }
      m.push(t);
    };
    for (const t of tasks) {
      const strata = strataOf(inputs, t);
      for (let T = 0; T < 4; T++) {
        const q = t.quotas[T];
        if (q === null) continue;
        const [gHi, gLo] = g[T];
        for (const e of strata.key[T]) {
          take(e, t);
          sub64(u.hi[e], u.lo[e], gHi, gLo, xi);
          out.selections.push({ task: t, e, hi: xi[0], lo: xi[1], basis: 'key', inclusion: '1/1' });
        }
        const sampled = strata.sampled[T].length;
        const n = quotaApplied(q, sampled);
        const cap = policy.caps[T];
        let taken = 0;
        let passed = 0;
        let cutoff = null;
        const ranks = n > 0 ? inUOrder(strata.sampled[T], rank) : new Uint32Array(0);
        const start = firstAtLeast(ranks, order, u, gHi, gLo);
        for (let k = 0; k < ranks.length && taken < n; k++) {
          const e = order[ranks[(start + k) % ranks.length]];
          sub64(u.hi[e], u.lo[e], gHi, gLo, xi);
          if (members.has(e) || visitsSoFar[e] < cap) {
            take(e, t);
            out.selections.push({ task: t, e, hi: xi[0], lo: xi[1], basis: 'sample', inclusion: `${n}/${sampled}` });
            taken++;
            cutoff = [xi[0], xi[1]];
          } else {
            out.passedOver.push({ task: t, e, hi: xi[0], lo: xi[1], visits: visitsSoFar[e] });
            passed++;
          }
        }
        if (cutoff !== null && (x[T] === null || cmp64(cutoff[0], cutoff[1], x[T][0], x[T][1]) > 0)) x[T] = cutoff;
        out.strata.push({ task: t, tier: T, eligible: sampled, quota: n, key: strata.key[T].length, start: g[T], cutoff, taken, passed });
      }
      progress?.(++done, inputs.tasks.length);
    }
    for (let T = 0; T < 4; T++) {
      if (x[T] !== null) {
        const next = [0, 0];
        add64(g[T][0], g[T][1], x[T][0], x[T][1], 1, next);
        s[T] = next;
      }
    }
    out.visits.push(...groupVisits(inputs, u, group, tasks, g, members));
  }
  sortVisits(out.visits);
  return out;
}

/** §8: one visit per (group, member), with its period from its rank in (ξ, e) order. */
function groupVisits(inputs, u, group, tasks, g, members) {
  const { population } = inputs;
  const visits = [];
  for (const [e, ts] of members) {
    const T = population.tier[e];
    const xi = [0, 0];
    sub64(u.hi[e], u.lo[e], g[T][0], g[T][1], xi);
    const taskIds = [...new Set(ts.map((t) => t.id))].sort(byteCmp);
    const departments = [...new Set(ts.map((t) => t.department))].sort(byteCmp);
    visits.push({ id: `${group}/${population.uscc[e]}`, e, group, hi: xi[0], lo: xi[1], tasks: taskIds, departments, period: 0 });
  }
  visits.sort((a, b) => cmp64(a.hi, a.lo, b.hi, b.lo) || a.e - b.e);
  const from = tasks[0].from;
  const length = tasks[0].to - from + 1;
  visits.forEach((v, rank) => { v.period = from + (rank % length); });
  return visits;
}

/** The visit order: (period, group name, ξ, e). */
function sortVisits(visits) {
  visits.sort((a, b) => a.period - b.period || byteCmp(a.group, b.group) || cmp64(a.hi, a.lo, b.hi, b.lo) || a.e - b.e);
}
