// §11 step 5 of docs/draw-protocol.md: the published plan keeps every rule, checked on the
// plan files themselves, independently of the recomputation (§7 eligibility, quotas and caps,
// §8 periods, §9 team members and capacities, a team or a stated failure for every visit).

import { readCsv } from './csv.js';
import { TIERS, pDecimal, quotaApplied } from './fields.js';
import { eligibility, strataOf } from './eligibility.js';
import { indexOfUscc } from './inputs.js';
import { HEADERS } from './plan.js';
import { lastTeams, periodDates, requiredSpecialties } from './teams.js';
import { byteCmp, decodeUtf8, fail } from './text.js';

const HEX16 = /^[0-9a-f]{16}$/;

/** A plan row; `at` (for messages) is built only when a rule fails. */
class Row {
  constructor(label, f, line) {
    this.label = label;
    this.f = f;
    this.line = line;
  }

  get at() {
    return `${this.label}:${this.line}: rule`;
  }

  toString() {
    return this.at;
  }
}

function rowsOf(files, name) {
  const label = `plan/${name}`;
  const rows = [];
  readCsv(label, decodeUtf8(label, files.get(label)), HEADERS[name], (f, line) => {
    rows.push(new Row(label, f, line));
    return f;
  });
  return rows;
}

class Rules {
  constructor(inputs, files) {
    this.inputs = inputs;
    this.files = files;
    // (task, enterprise) pairs selected, as task index × population size + enterprise index.
    this.selectedPairs = new Set();
    inputs.tasks.forEach((t, n) => { t.index = n; });
  }

  /** The number standing for the pair (task t, enterprise e). */
  pair(t, e) {
    return t.index * this.inputs.population.size + e;
  }

  /** The (task id, USCC) of a pair's number. */
  unpair(p) {
    const n = this.inputs.population.size;
    return [this.inputs.tasks[Math.floor(p / n)].id, this.inputs.population.uscc[p % n]];
  }

  enterprise(at, uscc, tier) {
    const e = indexOfUscc(this.inputs.population, uscc);
    if (e === undefined) fail(`${at}: ${uscc} is not in the population`);
    const T = TIERS[this.inputs.population.tier[e]];
    if (T !== tier) fail(`${at}: ${uscc} has tier ${T}, not ${tier}`);
    return e;
  }

  task(at, id) {
    const t = this.inputs.taskById.get(id);
    if (!t) fail(`${at}: unknown task ${id}`);
    return t;
  }

  strata() {
    this.strataRows = new Map();
    for (const r of rowsOf(this.files, 'strata.csv')) {
      this.task(r, r.f[0]);
      const key = `${r.f[0]}\n${r.f[1]}`;
      if (this.strataRows.has(key)) fail(`${r.at}: stratum (${r.f[0]}, ${r.f[1]}) twice`);
      this.strataRows.set(key, r);
    }
    const expected = [];
    for (const t of this.inputs.tasks) TIERS.forEach((T, n) => t.quotas[n] !== null && expected.push(`${t.id}\n${T}`));
    const missing = expected.filter((k) => !this.strataRows.has(k)).sort(byteCmp);
    if (missing.length || expected.length !== this.strataRows.size) {
      fail(`plan/strata.csv: rule: strata are not exactly the non-empty quotas of the tasks${missing.length ? ` (missing ${missing[0].replace('\n', ', ')})` : ''}`);
    }
  }

  selections() {
    const { population } = this.inputs;
    this.taken = new Map();
    this.keyTaken = new Map();
    this.selectionCount = 0;
    for (const r of rowsOf(this.files, 'selections.csv')) {
      this.selectionCount++;
      const [tid, uscc, tier, xi, basis, inclusion] = r.f;
      const t = this.task(r, tid);
      const e = this.enterprise(r, uscc, tier);
      const pair = this.pair(t, e);
      if (this.selectedPairs.has(pair)) fail(`${r.at}: ${uscc} selected twice for ${tid}`);
      this.selectedPairs.add(pair);
      if (!eligibility(this.inputs, t)[e]) fail(`${r.at}: ${uscc} is not eligible for task ${tid}`);
      if (!HEX16.test(xi)) fail(`${r.at}: xi is not 16 hex digits`);
      const key = `${tid}\n${tier}`;
      const s = this.strataRows.get(key).f;
      if (population.key[e]) {
        if (basis !== 'key' || inclusion !== '1/1') fail(`${r.at}: key-supervision enterprise must have basis key, inclusion 1/1`);
        this.keyTaken.set(key, (this.keyTaken.get(key) ?? 0) + 1);
      } else {
        if (basis !== 'sample' || inclusion !== `${s[3]}/${s[2]}`) fail(`${r.at}: expected basis sample, inclusion ${s[3]}/${s[2]}`);
        if (!this.taken.has(key)) this.taken.set(key, new Set());
        this.taken.get(key).add(e);
      }
    }
  }

  passedOver() {
    const { population, policy } = this.inputs;
    this.passed = new Map();
    for (const r of rowsOf(this.files, 'passed-over.csv')) {
      const [tid, uscc, tier, , visits] = r.f;
      const t = this.task(r, tid);
      const e = this.enterprise(r, uscc, tier);
      if (population.key[e] || !eligibility(this.inputs, t)[e]) fail(`${r.at}: ${uscc} cannot be passed over for ${tid}`);
      if (this.selectedPairs.has(this.pair(t, e))) fail(`${r.at}: ${uscc} both selected and passed over for ${tid}`);
      if (pDecimal(r, 'visits', visits) < policy.caps[TIERS.indexOf(tier)]) fail(`${r.at}: ${uscc} passed over below its tier's visit cap`);
      const key = `${tid}\n${tier}`;
      if (!this.passed.has(key)) this.passed.set(key, new Set());
      this.passed.get(key).add(e);
    }
  }

  quotas() {
    const { population } = this.inputs;
    for (const [key, r] of this.strataRows) {
      const [tid, tierName] = key.split('\n');
      const T = TIERS.indexOf(tierName);
      const t = this.inputs.taskById.get(tid);
      const strata = strataOf(this.inputs, t);
      const sampled = strata.sampled[T].length;
      const keys = strata.key[T].length;
      const n = quotaApplied(t.quotas[T], sampled);
      const taken = this.taken.get(key) ?? new Set();
      const passed = this.passed.get(key) ?? new Set();
      const f = r.f;
      if (f[2] !== String(sampled) || f[3] !== String(n) || f[4] !== String(keys)) {
        fail(`${r.at}: expected eligible ${sampled}, quota ${n}, key ${keys}`);
      }
      if ((this.keyTaken.get(key) ?? 0) !== keys) fail(`${r.at}: not every key-supervision enterprise of the stratum is taken`);
      if (f[7] !== String(taken.size) || f[8] !== String(passed.size)) fail(`${r.at}: taken/passed_over do not match the published lists`);
      if (taken.size > n) fail(`${r.at}: stratum takes ${taken.size}, more than its quota ${n}`);
      if (taken.size < n) {
        for (const e of strata.sampled[T]) {
          if (!taken.has(e) && !passed.has(e)) {
            fail(`${r.at}: stratum takes ${taken.size} < quota ${n} while ${population.uscc[e]} is eligible and unused`);
          }
        }
      }
    }
  }
}

/** Runs every rule check; returns the counts of the summary line. */
export function checkRules(inputs, files) {
  const rules = new Rules(inputs, files);
  rules.strata();
  rules.selections();
  rules.passedOver();
  rules.quotas();
  const visits = checkVisits(rules);
  const assigned = checkTeams(rules, visits);
  const failures = checkFailures(rules, visits);
  return { selections: rules.selectionCount, visits: visits.size, assigned, failures };
}

function checkVisits(rules) {
  const { inputs } = rules;
  const { population, policy } = inputs;
  const visits = new Map();
  const count = new Uint32Array(population.size);
  const covered = new Set();
  for (const r of rowsOf(rules.files, 'visits.csv')) {
    const [vid, uscc, region, tier, group, period, , depts, tids] = r.f;
    const e = rules.enterprise(r, uscc, tier);
    if (vid !== `${group}/${uscc}` || region !== population.regionNames[population.region[e]] || visits.has(vid)) {
      fail(`${r.at}: bad or duplicate visit row ${vid}`);
    }
    const p = pDecimal(r, 'period', period);
    const taskIds = tids ? tids.split(';') : [];
    if (!taskIds.length) fail(`${r.at}: visit without task`);
    for (const tid of taskIds) {
      const t = rules.task(r, tid);
      const pair = rules.pair(t, e);
      if (t.group !== group || !rules.selectedPairs.has(pair)) {
        fail(`${r.at}: task ${tid} of visit ${vid} did not select it in group ${group}`);
      }
      if (!(t.from <= p && p <= t.to)) fail(`${r.at}: period ${p} outside task ${tid}'s window ${t.from}-${t.to}`);
      covered.add(pair);
    }
    const deptList = [...new Set(taskIds.map((id) => inputs.taskById.get(id).department))].sort(byteCmp);
    if (depts !== deptList.join(';')) fail(`${r.at}: departments should be ${deptList.join(';')}`);
    visits.set(vid, { r, e, period: p, taskIds, depts: deptList });
    count[e]++;
    const cap = policy.caps[population.tier[e]];
    if (!population.key[e] && count[e] > cap) {
      fail(`${r.at}: ${uscc} has ${count[e]} visits, more than its tier ${tier} cap ${cap}`);
    }
  }
  if (covered.size !== rules.selectedPairs.size) {
    const [tid, uscc] = [...rules.selectedPairs].filter((p) => !covered.has(p))
      .map((p) => rules.unpair(p).join('\n')).sort(byteCmp)[0].split('\n');
    fail(`plan/visits.csv: rule: selection of ${uscc} by ${tid} has no visit`);
  }
  return visits;
}

function checkTeams(rules, visits) {
  const { inputs } = rules;
  const { population, policy } = inputs;
  const last = lastTeams(inputs.history);
  const used = new Map();
  // Each visit's teams by department (v.teams), and every team in the order of its first row.
  const teams = [];
  const dates = new Map();
  let rows = 0;
  for (const r of rowsOf(rules.files, 'teams.csv')) {
    rows++;
    const [vid, d, iid] = r.f;
    const v = visits.get(vid);
    if (!v) fail(`${r.at}: unknown visit ${vid}`);
    if (!v.depts.includes(d)) fail(`${r.at}: department ${d} has no task in visit ${vid}`);
    const i = inputs.inspectorById.get(iid);
    if (!i) fail(`${r.at}: unknown inspector ${iid}`);
    const uscc = population.uscc[v.e];
    const region = population.regionNames[population.region[v.e]];
    if (!dates.has(v.period)) dates.set(v.period, periodDates(policy, v.period));
    const [start, end] = dates.get(v.period);
    if (i.department !== d) fail(`${r.at}: ${iid} does not belong to department ${d}`);
    if (i.region !== region) fail(`${r.at}: ${iid} does not serve region ${region}`);
    if (!(i.validFrom <= start && end <= i.validUntil)) fail(`${r.at}: ${iid}'s certificate is not valid for all of period ${v.period}`);
    if (inputs.conflicts.has(`${iid}\n${uscc}`)) fail(`${r.at}: ${iid} declared a conflict with ${uscc}`);
    if (last.size && last.get(`${uscc}\n${d}`)?.has(iid)) fail(`${r.at}: ${iid} was in the last team at ${uscc} for ${d}`);
    if (!v.teams) v.teams = new Map();
    let team = v.teams.get(d);
    if (!team) {
      v.teams.set(d, (team = []));
      teams.push([vid, d, team]);
    }
    if (team.some((m) => m.id === iid)) fail(`${r.at}: ${iid} twice in the team`);
    team.push(i);
    used.set(iid, (used.get(iid) ?? 0) + 1);
    if (used.get(iid) > i.capacity) fail(`${r.at}: ${iid} exceeds its capacity ${i.capacity}`);
  }
  for (const [vid, d, team] of teams) {
    for (const s of requiredSpecialties(inputs, visits.get(vid).taskIds, d)) {
      if (!team.some((m) => m.specialties.has(s))) fail(`plan/teams.csv: rule: team of ${vid} for ${d} has nobody with specialty ${s}`);
    }
  }
  return rows;
}

// Each visit's failed departments are v.failed (a Set), its teams v.teams (checkTeams).
function checkFailures(rules, visits) {
  const k = rules.inputs.policy.k;
  let failures = 0;
  for (const r of rowsOf(rules.files, 'failures.csv')) {
    const [vid, d, needed, , reason] = r.f;
    const v = visits.get(vid);
    if (!v || v.failed?.has(d) || needed !== String(k) || !reason) fail(`${r.at}: bad failure row for (${vid}, ${d})`);
    if (v.teams?.has(d)) fail(`${r.at}: (${vid}, ${d}) has both a team and a failure`);
    if (!v.failed) v.failed = new Set();
    v.failed.add(d);
    failures++;
  }
  for (const [vid, v] of visits) {
    for (const d of v.depts) {
      if (!v.failed?.has(d) && (v.teams?.get(d)?.length ?? 0) < k) {
        fail(`${v.r.at}: (${vid}, ${d}) has fewer than ${k} inspectors and no stated failure`);
      }
    }
  }
  return failures;
}
