// Field formats of the input files (docs/draw-protocol.md §2, §2.1): decimals, dates, lists,
// tiers, booleans, quotas, and the GB 32100-2015 unified social credit code. Every parser
// fails with `FILE:LINE: FIELD: what is wrong`.

import { byteCmp, fail } from './text.js';

export const TIERS = ['A', 'B', 'C', 'D'];

const DECIMAL = /^[0-9]+$/;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

export function pDecimal(at, name, value) {
  if (!DECIMAL.test(value)) fail(`${at}: ${name}: expected a decimal integer, found ${JSON.stringify(value)}`);
  if (value.length > 15) fail(`${at}: ${name}: ${value} is too large`);
  return Number(value);
}

/** Days in month m (1-12) of year y (proleptic Gregorian). */
export function daysInMonth(y, m) {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** A date as the integer YYYYMMDD (so dates compare as numbers). */
export function pDate(at, name, value) {
  const m = DATE.exec(value);
  if (!m) fail(`${at}: ${name}: expected a date YYYY-MM-DD, found ${JSON.stringify(value)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) {
    fail(`${at}: ${name}: invalid date ${JSON.stringify(value)}`);
  }
  return y * 10000 + mo * 100 + d;
}

/** YYYY-MM-DD of a YYYYMMDD integer. */
export function showDate(n) {
  const y = Math.floor(n / 10000);
  const m = Math.floor(n / 100) % 100;
  const d = n % 100;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** A §2 list: items sorted by byte order, unique, joined with `;` (empty: none). */
export function pList(at, name, value) {
  if (value === '') return [];
  const items = value.split(';');
  if (items.some((i) => i === '')) fail(`${at}: ${name}: empty list item in ${JSON.stringify(value)}`);
  return [...new Set(items)].sort(byteCmp);
}

export function pNonEmpty(at, name, value) {
  if (value === '') fail(`${at}: ${name} is empty`);
  return value;
}

export function pBool(at, name, value) {
  if (value !== 'true' && value !== 'false') {
    fail(`${at}: ${name}: expected true or false, found ${JSON.stringify(value)}`);
  }
  return value === 'true';
}

/** A tier as its index 0-3. */
export function pTier(at, name, value) {
  const t = TIERS.indexOf(value);
  if (t < 0 || value.length !== 1) fail(`${at}: ${name}: expected a tier A-D, found ${JSON.stringify(value)}`);
  return t;
}

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const USCC_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < USCC_CHARS.length; i++) USCC_VALUE[USCC_CHARS.charCodeAt(i)] = i;

/** Whether `code` is a valid GB 32100-2015 unified social credit code. */
export function usccValid(code) {
  if (code.length !== 18) return false;
  let total = 0;
  for (let i = 0; i < 18; i++) {
    const c = code.charCodeAt(i);
    const v = c < 128 ? USCC_VALUE[c] : -1;
    if (v < 0) return false;
    if (i < 17) total += v * USCC_WEIGHTS[i];
    else return v === (31 - (total % 31)) % 31;
  }
  return false;
}

export function pUscc(at, name, value) {
  if (!usccValid(value)) fail(`${at}: ${name}: not a valid GB 32100-2015 code: ${JSON.stringify(value)}`);
  return value;
}

function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** §2.1 quota: null (empty), {count}, or {p, q} in lowest terms with 0 < p ≤ q. */
export function pQuota(at, name, value) {
  if (value === '') return null;
  const slash = value.indexOf('/');
  if (slash < 0) return { count: pDecimal(at, name, value) };
  const p = pDecimal(at, name, value.slice(0, slash));
  const q = pDecimal(at, name, value.slice(slash + 1));
  if (!(p > 0 && p <= q) || gcd(p, q) !== 1) {
    fail(`${at}: ${name}: fraction ${JSON.stringify(value)} is not p/q in lowest terms with 0 < p <= q`);
  }
  return { p, q };
}

export function showQuota(q) {
  if (q === null) return '';
  return 'count' in q ? String(q.count) : `${q.p}/${q.q}`;
}

/** §2.1: the number to take from a stratum of `n` sampled enterprises, in exact integers. */
export function quotaApplied(q, n) {
  if ('count' in q) return Math.min(q.count, n);
  return Number((2n * BigInt(q.p) * BigInt(n) + BigInt(q.q)) / (2n * BigInt(q.q)));
}
