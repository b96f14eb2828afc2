// Eligibility of an enterprise for a task (docs/draw-protocol.md §7): region, industry prefixes
// of the task and of its items, a non-empty quota for the enterprise's tier, and no exclusion
// of (enterprise, department) by a visit in the last `exclusion_months` before `as_of`.

import { daysInMonth } from './fields.js';
import { indexOfUscc } from './inputs.js';

/** as_of minus `months` calendar months, the day clamped to the month's end (YYYYMMDD). */
export function monthsBefore(day, months) {
  const y = Math.floor(day / 10000);
  const m = Math.floor(day / 100) % 100;
  const total = y * 12 + (m - 1) - months;
  const y2 = Math.floor(total / 12);
  const m2 = total - y2 * 12 + 1;
  if (y2 < 1) return 0;
  return y2 * 10000 + m2 * 100 + Math.min(day % 100, daysInMonth(y2, m2));
}

/** department → Set of enterprise indices excluded for it. */
function exclusions(inputs) {
  if (inputs.excluded) return inputs.excluded;
  const { asOf, exclusionMonths } = inputs.policy;
  const since = monthsBefore(asOf, exclusionMonths);
  const out = new Map();
  for (const h of inputs.history) {
    if (h.visitedOn < since || h.visitedOn >= asOf) continue;
    const e = indexOfUscc(inputs.population, h.uscc);
    if (e === undefined) continue;
    if (!out.has(h.department)) out.set(h.department, new Set());
    out.get(h.department).add(e);
  }
  inputs.excluded = out;
  return out;
}

function startsWithAny(s, prefixes) {
  return prefixes.some((p) => s.startsWith(p));
}

/** A Uint8Array over the population: 1 where the enterprise is eligible for task t. */
export function eligibility(inputs, t) {
  if (t.eligible) return t.eligible;
  const { population, items } = inputs;
  const regionOk = population.regionNames.map((r) => !t.regions.length || t.regions.includes(r));
  const industryOk = population.industryNames.map((ind) =>
    (!t.industries.length || startsWithAny(ind, t.industries))
    && t.items.some((c) => !items.get(c).industries.length || startsWithAny(ind, items.get(c).industries)));
  const tierOk = t.quotas.map((q) => q !== null);
  const excluded = exclusions(inputs).get(t.department) ?? new Set();
  const out = new Uint8Array(population.size);
  for (let e = 0; e < population.size; e++) {
    if (regionOk[population.region[e]] && industryOk[population.industry[e]] && tierOk[population.tier[e]] && !excluded.has(e)) {
      out[e] = 1;
    }
  }
  t.eligible = out;
  return out;
}

/**
 * The eligible enterprises of task t by tier, in population order: `key[T]` (key supervision)
 * and `sampled[T]` (the others), as Int32Arrays. One pass over the population per task.
 */
export function strataOf(inputs, t) {
  if (t.strata) return t.strata;
  const elig = eligibility(inputs, t);
  const { tier, key } = inputs.population;
  const lists = [[], [], [], [], [], [], [], []];
  for (let e = 0; e < elig.length; e++) if (elig[e]) lists[tier[e] + (key[e] ? 4 : 0)].push(e);
  t.strata = {
    sampled: lists.slice(0, 4).map((l) => Int32Array.from(l)),
    key: lists.slice(4).map((l) => Int32Array.from(l)),
  };
  return t.strata;
}
