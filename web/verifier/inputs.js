// The seven input files of a dr1 bundle (docs/draw-protocol.md §2, §2.2), parsed, checked for
// canonical form, order and validity. The population is stored by column (typed arrays) so a
// million enterprises stay small.

import { readCsv } from './csv.js';
import {
  TIERS, pBool, pDate, pDecimal, pList, pNonEmpty, pQuota, pTier, pUscc, showDate, showQuota,
} from './fields.js';
import { byteCmp, decodeUtf8, fail } from './text.js';

export const INPUT_FILES = [
  'conflicts.csv', 'history.csv', 'inspectors.csv', 'items.csv', 'policy.csv', 'population.csv', 'tasks.csv',
];
const POLICY_KEYS = ['year', 'as_of', 'periods', 'visit_cap_a', 'visit_cap_b', 'visit_cap_c',
  'visit_cap_d', 'inspectors_per_department', 'exclusion_months'];

function read(files, name, header, onRow) {
  const label = `inputs/${name}`;
  const text = decodeUtf8(label, files.get(label));
  readCsv(label, text, header, (f, line) => onRow(f, `${label}:${line}`, line));
}

/** Fails unless keys[i] (strings or arrays of strings) increase (strictly if `unique`). */
function checkOrder(label, lines, keys, what, unique) {
  const cmp = (a, b) => {
    if (!Array.isArray(a)) return byteCmp(a, b);
    for (let i = 0; i < a.length; i++) {
      const c = typeof a[i] === 'number' ? a[i] - b[i] : byteCmp(a[i], b[i]);
      if (c) return c;
    }
    return 0;
  };
  for (let n = 1; n < keys.length; n++) {
    const c = cmp(keys[n], keys[n - 1]);
    if (c < 0 || (unique && c === 0)) {
      fail(`${label}:${lines[n]}: rows not sorted by ${what}${unique ? ' or not unique' : ''}`);
    }
  }
}

function parsePolicy(files) {
  const rows = [];
  read(files, 'policy.csv', ['key', 'value'], (f, at, line) => {
    rows.push({ key: f[0], value: f[1], at, line });
    return f;
  });
  POLICY_KEYS.forEach((want, n) => {
    if (rows[n]?.key !== want) {
      const line = rows[n]?.line ?? rows.length + 2;
      fail(`inputs/policy.csv:${line}: expected key ${JSON.stringify(want)}, found ${JSON.stringify(rows[n]?.key ?? null)}`);
    }
  });
  if (rows.length > POLICY_KEYS.length) {
    const r = rows[POLICY_KEYS.length];
    fail(`inputs/policy.csv:${r.line}: unexpected key ${JSON.stringify(r.key)}`);
  }
  const v = Object.fromEntries(rows.map((r) => [r.key, r]));
  const num = (k) => pDecimal(v[k].at, k, v[k].value);
  const periods = v.periods.value;
  if (periods !== 'quarter' && periods !== 'month') {
    fail(`${v.periods.at}: periods: expected quarter or month, found ${JSON.stringify(periods)}`);
  }
  const policy = {
    year: num('year'),
    asOf: pDate(v.as_of.at, 'as_of', v.as_of.value),
    periods,
    caps: TIERS.map((t) => num(`visit_cap_${t.toLowerCase()}`)),
    k: num('inspectors_per_department'),
    exclusionMonths: num('exclusion_months'),
  };
  if (policy.k < 2) fail(`${v.inspectors_per_department.at}: inspectors_per_department must be >= 2`);
  // canonical form: each value re-serialized
  for (const r of rows) {
    const canon = r.key === 'as_of' || r.key === 'periods' ? r.value : String(num(r.key));
    if (canon !== r.value) fail(`${r.at}: not in canonical form: ${r.key} ${JSON.stringify(r.value)}`);
  }
  return policy;
}

function parsePopulation(files, progress) {
  const label = 'inputs/population.csv';
  const uscc = [];
  const regionIds = new Map();
  const industryIds = new Map();
  const region = [];
  const industry = [];
  const tier = [];
  const key = [];
  let last = '';
  let lastLine = 0;
  const id = (map, s) => {
    let i = map.get(s);
    if (i === undefined) map.set(s, (i = map.size));
    return i;
  };
  read(files, 'population.csv', ['uscc', 'region', 'industry', 'tier', 'key_supervision'], (f, at, line) => {
    const u = pUscc(at, 'uscc', f[0]);
    if (lastLine && byteCmp(u, last) <= 0) fail(`${at}: rows not sorted by uscc or not unique`);
    last = u;
    lastLine = line;
    uscc.push(u);
    region.push(id(regionIds, pNonEmpty(at, 'region', f[1])));
    industry.push(id(industryIds, f[2]));
    tier.push(pTier(at, 'tier', f[3]));
    key.push(pBool(at, 'key_supervision', f[4]) ? 1 : 0);
    if ((uscc.length & 0xffff) === 0) progress?.(uscc.length);
    return f;
  });
  return {
    size: uscc.length,
    uscc,
    region: Int32Array.from(region),
    regionNames: [...regionIds.keys()],
    industry: Int32Array.from(industry),
    industryNames: [...industryIds.keys()],
    tier: Uint8Array.from(tier),
    key: Uint8Array.from(key),
  };
}

function parseItems(files) {
  const out = [];
  const lines = [];
  read(files, 'items.csv', ['code', 'department', 'industries', 'specialty'], (f, at, line) => {
    const it = { code: pNonEmpty(at, 'code', f[0]), department: pNonEmpty(at, 'department', f[1]),
      industries: pList(at, 'industries', f[2]), specialty: f[3] };
    out.push(it);
    lines.push(line);
    return [it.code, it.department, it.industries.join(';'), it.specialty];
  });
  checkOrder('inputs/items.csv', lines, out.map((i) => i.code), 'code', true);
  return new Map(out.map((i) => [i.code, i]));
}

function parseInspectors(files) {
  const out = [];
  const lines = [];
  const header = ['id', 'department', 'region', 'valid_from', 'valid_until', 'specialties', 'capacity'];
  read(files, 'inspectors.csv', header, (f, at, line) => {
    const specs = pList(at, 'specialties', f[5]);
    const i = { id: pNonEmpty(at, 'id', f[0]), department: pNonEmpty(at, 'department', f[1]),
      region: pNonEmpty(at, 'region', f[2]), validFrom: pDate(at, 'valid_from', f[3]),
      validUntil: pDate(at, 'valid_until', f[4]), specialties: new Set(specs), specialtyList: specs,
      capacity: pDecimal(at, 'capacity', f[6]) };
    out.push(i);
    lines.push(line);
    return [i.id, i.department, i.region, showDate(i.validFrom), showDate(i.validUntil),
      specs.join(';'), String(i.capacity)];
  });
  checkOrder('inputs/inspectors.csv', lines, out.map((i) => i.id), 'id', true);
  return out;
}

function parseConflicts(files) {
  const keys = [];
  const lines = [];
  read(files, 'conflicts.csv', ['inspector', 'uscc'], (f, at, line) => {
    keys.push([pNonEmpty(at, 'inspector', f[0]), pUscc(at, 'uscc', f[1])]);
    lines.push(line);
    return f;
  });
  checkOrder('inputs/conflicts.csv', lines, keys, '(inspector, uscc)', true);
  return new Set(keys.map(([i, u]) => `${i}\n${u}`));
}

function parseHistory(files) {
  const out = [];
  const lines = [];
  read(files, 'history.csv', ['uscc', 'department', 'inspector', 'visited_on'], (f, at, line) => {
    const h = { uscc: pUscc(at, 'uscc', f[0]), department: pNonEmpty(at, 'department', f[1]),
      inspector: pNonEmpty(at, 'inspector', f[2]), visitedOn: pDate(at, 'visited_on', f[3]) };
    out.push(h);
    lines.push(line);
    return [h.uscc, h.department, h.inspector, showDate(h.visitedOn)];
  });
  checkOrder('inputs/history.csv', lines, out.map((h) => [h.uscc, h.department, h.inspector, h.visitedOn]),
    '(uscc, department, inspector, visited_on)', false);
  return out;
}

function parseTasks(files) {
  const out = [];
  const header = ['id', 'department', 'group', 'items', 'regions', 'industries',
    'quota_a', 'quota_b', 'quota_c', 'quota_d', 'period_from', 'period_to'];
  read(files, 'tasks.csv', header, (f, at, line) => {
    const t = { id: pNonEmpty(at, 'id', f[0]), department: pNonEmpty(at, 'department', f[1]),
      group: pNonEmpty(at, 'group', f[2]), items: pList(at, 'items', f[3]),
      regions: pList(at, 'regions', f[4]), industries: pList(at, 'industries', f[5]),
      quotas: TIERS.map((T, n) => pQuota(at, `quota_${T.toLowerCase()}`, f[6 + n])),
      from: pDecimal(at, 'period_from', f[10]), to: pDecimal(at, 'period_to', f[11]), line };
    out.push(t);
    return [t.id, t.department, t.group, t.items.join(';'), t.regions.join(';'),
      t.industries.join(';'), ...t.quotas.map(showQuota), String(t.from), String(t.to)];
  });
  checkOrder('inputs/tasks.csv', out.map((t) => t.line), out.map((t) => t.id), 'id', true);
  return out;
}

/** §2.2 validity rules. */
function checkValidity(inputs) {
  const bigP = inputs.policy.periods === 'quarter' ? 4 : 12;
  const windows = new Map();
  for (const t of inputs.tasks) {
    const at = `inputs/tasks.csv:${t.line}: task ${t.id}`;
    if (!t.items.length) fail(`${at} has no item`);
    for (const code of t.items) {
      const item = inputs.items.get(code);
      if (!item) fail(`${at}: item ${code} does not exist`);
      if (item.department !== t.department) fail(`${at}: item ${code} belongs to ${item.department}, not ${t.department}`);
    }
    if (!(t.from >= 1 && t.from <= t.to && t.to <= bigP)) fail(`${at}: periods ${t.from}-${t.to} not within 1-${bigP}`);
    const w = windows.get(t.group);
    if (w === undefined) windows.set(t.group, [t.from, t.to]);
    else if (w[0] !== t.from || w[1] !== t.to) fail(`${at}: group ${t.group} has tasks with different period windows`);
  }
}

/** Parses and checks every input file of `files` (a Map of bundle path to bytes). */
export function readInputs(files, progress) {
  const policy = parsePolicy(files);
  const population = parsePopulation(files, progress);
  const inputs = {
    policy,
    population,
    tasks: parseTasks(files),
    items: parseItems(files),
    inspectors: parseInspectors(files),
    conflicts: parseConflicts(files),
    history: parseHistory(files),
  };
  inputs.taskById = new Map(inputs.tasks.map((t) => [t.id, t]));
  inputs.inspectorById = new Map(inputs.inspectors.map((i) => [i.id, i]));
  checkValidity(inputs);
  return inputs;
}

const USCC_DIGITS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < USCC_DIGITS.length; i++) DIGIT[USCC_DIGITS.charCodeAt(i)] = i;

// Nine USCC characters as a base-31 number (< 2^53); the alphabet is in ASCII order, so the
// pair of halves orders codes as their bytes do. -1 if a character is not in the alphabet.
function half(code, from) {
  let n = 0;
  for (let i = from; i < from + 9; i++) {
    const c = code.charCodeAt(i);
    const d = c < 128 ? DIGIT[c] : -1;
    if (d < 0) return -1;
    n = n * 31 + d;
  }
  return n;
}

/** Numeric keys of the population's USCCs, for lookups without string comparisons. */
function usccKeys(population) {
  if (!population.keyHi) {
    const n = population.size;
    population.keyHi = new Float64Array(n);
    population.keyLo = new Float64Array(n);
    for (let e = 0; e < n; e++) {
      population.keyHi[e] = half(population.uscc[e], 0);
      population.keyLo[e] = half(population.uscc[e], 9);
    }
  }
  return population;
}

/** The index of `uscc` in the population (sorted by USCC: binary search), or undefined. */
export function indexOfUscc(population, uscc) {
  if (uscc.length !== 18) return undefined;
  const hi = half(uscc, 0);
  const lo = half(uscc, 9);
  if (hi < 0 || lo < 0) return undefined;
  const { keyHi, keyLo } = usccKeys(population);
  let a = 0;
  let b = keyHi.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (keyHi[m] < hi || (keyHi[m] === hi && keyLo[m] < lo)) a = m + 1;
    else b = m;
  }
  return a < keyHi.length && keyHi[a] === hi && keyLo[a] === lo ? a : undefined;
}
