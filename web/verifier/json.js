// The bundle's JSON files (docs/draw-protocol.md §5): keys sorted by byte order, no whitespace,
// raw UTF-8 strings with only `"`, `\` and control characters escaped, integer numbers, one
// final LF. A file is read with JSON.parse and must re-serialize to its own bytes, which also
// rejects duplicate keys, floats and integers beyond 2^53 (they do not survive the round trip).

import { byteCmp, compareText, decodeUtf8, fail } from './text.js';

/** The canonical serialization of a JSON value (without the final LF). */
export function canonicalJson(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? String(value) : `${JSON.stringify(value)}(not an integer)`;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort(byteCmp);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** Parses a bundle JSON file, checks its canonical form, and returns the object. */
export function loadJson(label, bytes) {
  const text = decodeUtf8(label, bytes);
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    fail(`${label}: invalid JSON: ${e.message}`);
  }
  compareText(`${label} (canonical JSON)`, `${canonicalJson(value)}\n`, text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(`${label}: not a JSON object`);
  }
  return value;
}

/** Fails unless `obj` has exactly the keys `keys`. */
export function expectKeys(label, obj, keys) {
  const have = Object.keys(obj).sort(byteCmp);
  const want = [...keys].sort(byteCmp);
  if (have.join('\0') !== want.join('\0')) {
    fail(`${label}: expected keys ${JSON.stringify(want)}, found ${JSON.stringify(have)}`);
  }
}

/** A plain object (not an array, not null). */
export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A JSON integer. */
export function isInt(v) {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Deep equality of parsed JSON values. */
export function jsonEqual(a, b) {
  return canonicalJson(a) === canonicalJson(b);
}
