// drand rounds verified offline against the pinned League of Entropy keys
// (docs/draw-protocol.md §4), with the vendored, audited @noble/curves BLS12-381 (MIT; see
// vendor/noble-curves/LICENSE). The message signed is SHA-256(previous_signature ‖ u64be(round))
// on the chained `default` chain (signature on G2) and SHA-256(u64be(round)) on `quicknet`
// (signature on G1, RFC 9380 hash-to-curve).

import { bls12_381 as bls } from './vendor/noble-curves/bls12-381.js';
import { fromHex, sha256 } from './sha256.js';

const CHAINS = {
  default: {
    scheme: bls.longSignatures,
    dst: 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_',
    key: '868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31',
  },
  quicknet: {
    scheme: bls.shortSignatures,
    dst: 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_',
    key: '83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a',
  },
};

function u64be(n) {
  const out = new Uint8Array(8);
  let v = n;
  for (let i = 7; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** The 32-byte message a drand round signs. */
export function roundMessage(chain, round, previousHex) {
  const r = u64be(round);
  if (chain === 'quicknet') return sha256(r);
  const prev = fromHex(previousHex ?? '');
  const buf = new Uint8Array(prev.length + 8);
  buf.set(prev);
  buf.set(r, prev.length);
  return sha256(buf);
}

/**
 * Checks a round's BLS signature against the chain's pinned key. Returns null when it verifies,
 * else what is wrong.
 */
export function drandCheck(chain, round, signatureHex, previousHex) {
  const c = CHAINS[chain];
  try {
    const point = c.scheme.hash(roundMessage(chain, round, previousHex), c.dst);
    const ok = c.scheme.verify(fromHex(signatureHex), point, fromHex(c.key));
    return ok ? null : `drand round ${round}: BLS signature does not verify against the pinned ${chain} key`;
  } catch (e) {
    return `drand round ${round}: signature is not a valid BLS12-381 point (${e.message})`;
  }
}
