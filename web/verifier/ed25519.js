// Ed25519 (RFC 8032, section 5.1), written from the RFC with BigInt: only verification of a
// few signatures (docs/log.md §8), so speed does not matter. `verify` follows section 5.1.7 with
// its strict decoding (a coordinate y >= p is refused, S >= L is refused) and the cofactored
// equation [8][S]B = [8]R + [8][k]A'. `publicKey` and `sign` (5.1.5, 5.1.6) exist for the tests,
// which make signatures the verifier must refuse. Not constant time: public values only.
// SHA-512 is the vendored @noble/hashes one.

import { sha512 } from './vendor/noble-hashes/sha2.js';

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a, m = P) => ((a % m) + m) % m;

function pow(b, e, m = P) {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

const inv = (a) => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);
const IDENTITY = [0n, 1n, 1n, 0n];

function add(p, q) {
  const a = mod((p[1] - p[0]) * (q[1] - q[0]));
  const b = mod((p[1] + p[0]) * (q[1] + q[0]));
  const c = mod(2n * p[3] * q[3] * D);
  const d = mod(2n * p[2] * q[2]);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function mul(s, p) {
  let r = IDENTITY;
  while (s > 0n) {
    if (s & 1n) r = add(r, p);
    p = add(p, p);
    s >>= 1n;
  }
  return r;
}

const equal = (p, q) => mod(p[0] * q[2] - q[0] * p[2]) === 0n && mod(p[1] * q[2] - q[1] * p[2]) === 0n;

function littleInt(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

function littleBytes(n, len) {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

function recoverX(y, sign) {
  if (y >= P) return null;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 === u) {
    // x is a root
  } else if (vx2 === mod(-u)) {
    x = mod(x * SQRT_M1);
  } else {
    return null;
  }
  if (x === 0n && sign === 1n) return null;
  if ((x & 1n) !== sign) x = P - x;
  return x;
}

function decodePoint(bytes) {
  if (bytes.length !== 32) return null;
  const n = littleInt(bytes);
  const y = n & ((1n << 255n) - 1n);
  const x = recoverX(y, n >> 255n);
  return x === null ? null : [x, y, 1n, mod(x * y)];
}

function encodePoint(p) {
  const zi = inv(p[2]);
  const x = mod(p[0] * zi);
  const y = mod(p[1] * zi);
  return littleBytes(y | ((x & 1n) << 255n), 32);
}

const BY = mod(4n * inv(5n));
const BX = recoverX(BY, 0n);
const B = [BX, BY, 1n, mod(BX * BY)];

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Whether `signature` (64 bytes) signs `message` under `publicKey` (32 bytes), RFC 8032 §5.1.7. */
export function verify(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const a = decodePoint(publicKey);
  if (a === null) return false;
  const r = decodePoint(signature.subarray(0, 32));
  if (r === null) return false;
  const s = littleInt(signature.subarray(32));
  if (s >= L) return false;
  const k = littleInt(sha512(concat(signature.subarray(0, 32), publicKey, message))) % L;
  return equal(mul(8n * s, B), add(mul(8n, r), mul(8n * k, a)));
}

function expand(seed) {
  if (seed.length !== 32) throw new Error('an Ed25519 secret key is 32 bytes');
  const h = sha512(seed);
  let a = littleInt(h.subarray(0, 32));
  a &= (1n << 254n) - 8n;
  a |= 1n << 254n;
  return [a, h.subarray(32)];
}

/** The public key of a 32-byte secret key (RFC 8032 §5.1.5); for the tests. */
export function publicKey(seed) {
  return encodePoint(mul(expand(seed)[0], B));
}

/** The signature of `message` by the 32-byte secret key `seed` (RFC 8032 §5.1.6); for the tests. */
export function sign(seed, message) {
  const [a, prefix] = expand(seed);
  const pub = encodePoint(mul(a, B));
  const r = littleInt(sha512(concat(prefix, message))) % L;
  const R = encodePoint(mul(r, B));
  const k = littleInt(sha512(concat(R, pub, message))) % L;
  return concat(R, littleBytes(mod(r + k * a, L), 32));
}
