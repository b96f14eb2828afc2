// Unsigned 64-bit arithmetic on (hi, lo) pairs of 32-bit words, BigInt-free for speed
// (docs/draw-protocol.md § Conventions: arithmetic on random numbers is modulo 2^64).

/** hi/lo words of (a − b) mod 2^64, written into out[0], out[1]. */
export function sub64(aHi, aLo, bHi, bLo, out) {
  const lo = (aLo - bLo) >>> 0;
  const borrow = aLo < bLo ? 1 : 0;
  out[0] = (aHi - bHi - borrow) >>> 0;
  out[1] = lo;
}

/** hi/lo words of (a + b + c) mod 2^64 with c a small non-negative integer. */
export function add64(aHi, aLo, bHi, bLo, c, out) {
  const lo = aLo + bLo + c;
  out[0] = (aHi + bHi + Math.floor(lo / 0x100000000)) >>> 0;
  out[1] = lo >>> 0;
}

/** Compares two u64 values given as words. */
export function cmp64(aHi, aLo, bHi, bLo) {
  if (aHi !== bHi) return aHi < bHi ? -1 : 1;
  if (aLo !== bLo) return aLo < bLo ? -1 : 1;
  return 0;
}

/** 16 lower-case hex digits. */
export function hex16(hi, lo) {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/**
 * Indices 0..n-1 sorted by (hi[i], lo[i], i): a stable LSD radix sort on four 16-bit digits,
 * linear where a comparison sort of a million entries is not.
 */
export function sortByU64(hi, lo) {
  const n = hi.length;
  let src = new Uint32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  let dst = new Uint32Array(n);
  const count = new Uint32Array(65537);
  for (const [words, shift] of [[lo, 0], [lo, 16], [hi, 0], [hi, 16]]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((words[src[i]] >>> shift) & 0xffff) + 1]++;
    for (let d = 1; d <= 65536; d++) count[d] += count[d - 1];
    for (let i = 0; i < n; i++) {
      const j = src[i];
      dst[count[(words[j] >>> shift) & 0xffff]++] = j;
    }
    [src, dst] = [dst, src];
  }
  return src;
}
