// The population's Merkle root (docs/draw-protocol.md §3): RFC 6962 Merkle Tree Hash over the
// data lines of population.csv. Computed bottom-up: pairing neighbours level by level and
// carrying an unpaired last node up unchanged gives the same tree as RFC 6962's split at the
// largest power of two smaller than n.

import { STATE, digestWords, sha256, toHex } from './sha256.js';

function wordsToBytes(out, o) {
  for (let i = 0; i < 8; i++) {
    const w = STATE[i];
    out[o + 4 * i] = w >>> 24; out[o + 4 * i + 1] = w >>> 16;
    out[o + 4 * i + 2] = w >>> 8; out[o + 4 * i + 3] = w;
  }
}

/** Hex root of the population file's data lines (`bytes` ends with LF: checked before). */
export function populationRoot(bytes) {
  let start = bytes.indexOf(10) + 1;
  const lines = [];
  while (start > 0 && start < bytes.length) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl;
    lines.push(start, end);
    start = nl < 0 ? bytes.length : nl + 1;
  }
  const n = lines.length / 2;
  if (n === 0) return toHex(sha256(new Uint8Array(0)));
  let level = new Uint8Array(32 * n);
  let maxLine = 0;
  for (let i = 0; i < n; i++) maxLine = Math.max(maxLine, lines[2 * i + 1] - lines[2 * i]);
  const leaf = new Uint8Array(maxLine + 1);
  for (let i = 0; i < n; i++) {
    const s = lines[2 * i];
    const len = lines[2 * i + 1] - s;
    leaf[0] = 0;
    leaf.set(bytes.subarray(s, s + len), 1);
    digestWords(leaf, 0, len + 1);
    wordsToBytes(level, 32 * i);
  }
  const node = new Uint8Array(65);
  node[0] = 1;
  for (let m = n; m > 1;) {
    const next = new Uint8Array(32 * Math.ceil(m / 2));
    for (let i = 0; i + 1 < m; i += 2) {
      node.set(level.subarray(32 * i, 32 * i + 64), 1);
      digestWords(node, 0, 65);
      wordsToBytes(next, 16 * i);
    }
    if (m % 2) next.set(level.subarray(32 * (m - 1), 32 * m), 16 * (m - 1));
    level = next;
    m = Math.ceil(m / 2);
  }
  return toHex(level.subarray(0, 32));
}
