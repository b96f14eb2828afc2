// Text helpers shared by the dr1 verifier: the failure type, byte-order string comparison,
// UTF-8 decoding, and the first-line-difference message (docs/draw-protocol.md §11: "stopping at
// the first difference").

/** The first difference found; its message is what the user sees. */
export class Difference extends Error {}

/** Stops verification with `message`. */
export function fail(message) {
  throw new Difference(message);
}

// UTF-16 code units ordered as code points: surrogates (U+D800–DFFF) sort above U+E000–FFFF.
function unit(c) {
  if (c < 0xd800) return c;
  return c >= 0xe000 ? c - 0x800 : c + 0x2000;
}

// Whether any text decoded in this verification holds a character outside the BMP. Without
// one, UTF-16 order (the engine's native string comparison) is UTF-8 byte order.
let astral = false;

/** Starts a verification: no text seen yet. */
export function resetTexts() {
  astral = false;
}

/** Notes a decoded text (every string the verifier sorts comes from one). */
export function noteText(text) {
  if (!astral && /[\ud800-\udfff]/.test(text)) astral = true;
}

/** Compares two strings in the byte order of their UTF-8 encodings (§ Conventions). */
export function byteCmp(a, b) {
  if (!astral) return a < b ? -1 : a > b ? 1 : 0;
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unit(x) - unit(y);
  }
  return a.length - b.length;
}

/** Compares two non-negative integers (or equal-type values) numerically. */
export function numCmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
export const ENCODER = new TextEncoder();

/** Decodes UTF-8 strictly (a BOM is kept as a character, so canonical checks see it). */
export function decodeUtf8(label, bytes) {
  let text;
  try {
    text = STRICT.decode(bytes);
  } catch {
    return fail(`${label}: not UTF-8`);
  }
  noteText(text);
  return text;
}

/** A line of a file for a message: JSON-quoted so control characters show. */
export function show(line) {
  if (line === undefined) return 'end of file';
  if (line.endsWith('\n')) return JSON.stringify(line.slice(0, -1));
  return `${JSON.stringify(line)} (no final LF)`;
}

function lineAt(text, start) {
  if (start >= text.length) return undefined;
  const nl = text.indexOf('\n', start);
  return nl < 0 ? text.slice(start) : text.slice(start, nl + 1);
}

/**
 * Fails at the first line where `found` differs from `expected` (both strings), with
 * `label:LINE: {what}expected "…", found "…"`. Does nothing if they are equal.
 */
export function compareText(label, expected, found, what = '') {
  if (expected === found) return;
  let i = 0;
  const n = Math.min(expected.length, found.length);
  while (i < n && expected.charCodeAt(i) === found.charCodeAt(i)) i++;
  const start = expected.lastIndexOf('\n', i - 1) + 1;
  let line = 1;
  for (let p = expected.indexOf('\n'); p >= 0 && p < start; p = expected.indexOf('\n', p + 1)) line++;
  fail(`${label}:${line}: ${what}expected ${show(lineAt(expected, start))}, found ${show(lineAt(found, start))}`);
}

/** Fails at the first differing line unless `bytes` equals `expected` (both UTF-8 bytes). */
export function compareBytes(label, expected, bytes) {
  if (expected.length === bytes.length) {
    let i = 0;
    while (i < bytes.length && expected[i] === bytes[i]) i++;
    if (i === bytes.length) return;
  }
  const lossy = new TextDecoder('utf-8', { ignoreBOM: true });
  compareText(label, lossy.decode(expected), lossy.decode(bytes));
  fail(`${label}: not UTF-8`);
}
