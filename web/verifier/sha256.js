// SHA-256 (FIPS 180-4), synchronous and allocation-free on the hot path.
//
// docs/draw-protocol.md §6 hashes one short message per enterprise and per candidate inspector:
// millions of calls, where crypto.subtle (asynchronous, one promise per call) is far too slow.
// `digestWords` leaves the state in `STATE` so callers that need only the first 8 bytes (u(e), ρ)
// read two words instead of building a byte array.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const W = new Int32Array(64);
const PAD = new Uint8Array(128);

/** The state after the last `digestWords` call: the digest as eight big-endian 32-bit words. */
export const STATE = new Int32Array(8);

// One block: the message schedule is computed in the round loop (one pass over W), Ch and Maj
// in their three-operation forms (FIPS 180-4 §4.1.2: Ch(e,f,g) = g ⊕ (e ∧ (f ⊕ g)),
// Maj(a,b,c) = (a ∧ b) ∨ (c ∧ (a ∨ b)), the same functions).
function compress(H, b, o) {
  let a = H[0], bb = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (let t = 0; t < 64; t++) {
    let w;
    if (t < 16) {
      w = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
      o += 4;
    } else {
      const x = W[t - 15];
      const y = W[t - 2];
      w = (W[t - 16] + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + W[t - 7]
        + (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10))) | 0;
    }
    W[t] = w;
    const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7)))
      + (g ^ (e & (f ^ g))) + K[t] + w) | 0;
    const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10)))
      + ((a & bb) | (c & (a | bb)))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = bb; bb = a; a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0; H[1] = (H[1] + bb) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
}

/** Hashes bytes[off, off+len) and leaves the digest in STATE. */
export function digestWords(bytes, off = 0, len = bytes.length - off) {
  STATE.set(IV);
  return finish(bytes, off, len, len);
}

/**
 * The state after the whole 64-byte blocks of bytes[0, len) (a midstate for messages that share
 * that prefix), as a new Int32Array; `resumeWords` finishes such messages.
 */
export function midstate(bytes, len) {
  const H = new Int32Array(IV);
  for (let o = 0; o + 64 <= len; o += 64) compress(H, bytes, o);
  return H;
}

/** Hashes bytes[0, len) given `mid`, the midstate of its first `skip` bytes (a multiple of
 * 64); the digest is left in STATE. */
export function resumeWords(mid, skip, bytes, len) {
  STATE.set(mid);
  return finish(bytes, skip, len - skip, len);
}

// Processes bytes[off, off+len) as the end of a message of `total` bytes, from STATE.
function finish(bytes, off, len, total) {
  const H = STATE;
  const end = off + len;
  let o = off;
  for (; o + 64 <= end; o += 64) compress(H, bytes, o);
  const rest = end - o;
  PAD.fill(0);
  for (let i = 0; i < rest; i++) PAD[i] = bytes[o + i];
  PAD[rest] = 0x80;
  const blocks = rest + 9 <= 64 ? 1 : 2;
  const last = blocks * 64;
  const hi = Math.floor(total / 0x20000000);
  const lo = (total * 8) >>> 0;
  PAD[last - 8] = hi >>> 24; PAD[last - 7] = hi >>> 16; PAD[last - 6] = hi >>> 8; PAD[last - 5] = hi;
  PAD[last - 4] = lo >>> 24; PAD[last - 3] = lo >>> 16; PAD[last - 2] = lo >>> 8; PAD[last - 1] = lo;
  compress(H, PAD, 0);
  if (blocks === 2) compress(H, PAD, 64);
  return H;
}

/** SHA-256 of bytes[off, off+len) as 32 bytes. */
export function sha256(bytes, off = 0, len = bytes.length - off) {
  const H = digestWords(bytes, off, len);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[4 * i] = H[i] >>> 24; out[4 * i + 1] = H[i] >>> 16;
    out[4 * i + 2] = H[i] >>> 8; out[4 * i + 3] = H[i];
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of bytes. */
export function toHex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

/** Lower-case hex SHA-256 of bytes. */
export function sha256Hex(bytes) {
  return toHex(sha256(bytes));
}

/** Bytes of an even-length lower-case hex string (the caller checks the form). */
export function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}
