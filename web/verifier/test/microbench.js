// Measurements behind two choices of the verifier (docs/js-verifier.md): a synchronous pure-JS
// SHA-256 rather than crypto.subtle, and u64 as 32-bit word pairs rather than BigInt. Runs in
// Node and in the browser: `node web/verifier/test/microbench.mjs`, or through bench-browser.

import { STATE, digestWords } from '../sha256.js';
import { sortByU64, sub64 } from '../u64.js';

const now = () => performance.now();

/** Returns { name: milliseconds } for each measurement. */
export async function run(n = 200000) {
  const out = {};
  const msg = new Uint8Array(67);
  let t = now();
  for (let i = 0; i < n; i++) {
    msg[60] = i;
    msg[61] = i >> 8;
    digestWords(msg, 0, 67);
  }
  out[`pure-JS SHA-256, ${n} messages of 67 bytes`] = now() - t;
  t = now();
  for (let i = 0; i < n; i++) {
    msg[60] = i;
    msg[61] = i >> 8;
    await crypto.subtle.digest('SHA-256', msg);
  }
  out[`crypto.subtle.digest awaited one by one, ${n} messages`] = now() - t;
  t = now();
  const batch = [];
  for (let i = 0; i < n; i++) batch.push(crypto.subtle.digest('SHA-256', msg));
  await Promise.all(batch);
  out[`crypto.subtle.digest all in flight at once, ${n} messages`] = now() - t;

  const m = 1000000;
  const hi = new Uint32Array(m);
  const lo = new Uint32Array(m);
  for (let i = 0; i < m; i++) {
    digestWords(msg, 0, (i % 60) + 1);
    hi[i] = STATE[0] >>> 0;
    lo[i] = STATE[1] >>> 0;
  }
  const g = [0x89abcdef, 0x01234567];
  t = now();
  const xi = [0, 0];
  const xh = new Uint32Array(m);
  const xl = new Uint32Array(m);
  for (let i = 0; i < m; i++) {
    sub64(hi[i], lo[i], g[0], g[1], xi);
    xh[i] = xi[0];
    xl[i] = xi[1];
  }
  sortByU64(xh, xl);
  out[`u64 as word pairs: ξ = u − g for ${m} numbers, then radix sort by (ξ, e)`] = now() - t;
  const big = new BigUint64Array(m);
  for (let i = 0; i < m; i++) big[i] = (BigInt(hi[i]) << 32n) | BigInt(lo[i]);
  t = now();
  const G = (BigInt(g[0]) << 32n) | BigInt(g[1]);
  const bx = new BigUint64Array(m);
  for (let i = 0; i < m; i++) bx[i] = BigInt.asUintN(64, big[i] - G);
  const idx = Array.from({ length: m }, (_, i) => i);
  idx.sort((a, b) => (bx[a] < bx[b] ? -1 : bx[a] > bx[b] ? 1 : a - b));
  out[`BigInt: ξ = u − g for ${m} numbers, then comparison sort by (ξ, e)`] = now() - t;
  return out;
}
