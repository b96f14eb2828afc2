// Transparency-log formats (docs/log.md §8), the same checks and messages as
// verifiers/python/tlog.py: C2SP signed notes (verifier keys `name+hash+base64(type || key)`,
// key IDs, Ed25519 signatures of type 0x01), tlog-checkpoint, tlog-cosignature/v1 (type 0x04,
// timestamped) and RFC 6962 inclusion proofs (RFC 9162 §2.1.3.2). Knows nothing of draws; every
// failure throws TlogError with a message naming what failed.

import * as ed25519 from './ed25519.js';
import { sha256 } from './sha256.js';

export const ALG_ED25519 = 0x01;
export const ALG_COSIGNATURE_V1 = 0x04;
const MAX_SIGNATURES = 100;
const EM_DASH = '\u2014';
const ENC = new TextEncoder();

export class TlogError extends Error {}

/** Python's repr() of a JSON value, so that messages match verifiers/python word for word. */
export function repr(v) {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    let s = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    if (q === "'") s = s.replace(/'/g, "\\'");
    return `${q}${s}${q}`;
  }
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  return `{${Object.keys(v).map((k) => `${repr(k)}: ${repr(v[k])}`).join(', ')}}`;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding, or null. */
export function b64decode(text) {
  if (typeof text !== 'string' || !B64.test(text)) return null;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function b64encode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function b64(text, what) {
  const raw = b64decode(text);
  if (raw === null) throw new TlogError(`${what}: not standard base64`);
  return raw;
}

const hex8 = (n) => n.toString(16).padStart(8, '0');
const be32 = (b) => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;

/** SHA-256(name || 0x0A || alg || public key)[:4] as a big-endian integer. */
export function keyId(name, alg, publicKey) {
  return be32(sha256(concat(ENC.encode(`${name}\n`), Uint8Array.of(alg), publicKey)));
}

const validKeyName = (name) => name !== '' && !name.includes('+') && !/\s/u.test(name);

/** The message a tlog-cosignature/v1 signs. */
export function cosignatureMessage(timestamp, text) {
  return concat(ENC.encode(`cosignature/v1\ntime ${timestamp}\n`), text);
}

export class Verifier {
  constructor(name, alg, publicKey) {
    if (!validKeyName(name)) throw new TlogError(`key name ${repr(name)}: empty, or contains a space or '+'`);
    if (alg !== ALG_ED25519 && alg !== ALG_COSIGNATURE_V1) {
      throw new TlogError(`key ${name}: unknown signature type 0x${alg.toString(16).padStart(2, '0')}`);
    }
    if (publicKey.length !== 32) throw new TlogError(`key ${name}: an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
    this.name = name;
    this.alg = alg;
    this.publicKey = publicKey;
    this.keyId = keyId(name, alg, publicKey);
  }

  label() {
    return `${this.name}+${hex8(this.keyId)}`;
  }

  /** true (type 0x01) or the cosignature's time (type 0x04) if `sig` signs `text`, else null. */
  verify(text, sig) {
    if (this.alg === ALG_ED25519) return ed25519.verify(this.publicKey, text, sig) ? true : null;
    if (sig.length !== 72) return null;
    let t = 0n;
    for (let i = 0; i < 8; i++) t = (t << 8n) | BigInt(sig[i]);
    if (t >= 2n ** 63n) return null;
    return ed25519.verify(this.publicKey, cosignatureMessage(t, text), sig.subarray(8)) ? t : null;
  }
}

/** A verifier key string `name+hash+base64(type || public key)` to a Verifier. */
export function parseVerifierKey(vkey) {
  const i = vkey.indexOf('+');
  const j = i < 0 ? -1 : vkey.indexOf('+', i + 1);
  if (j < 0) throw new TlogError(`verifier key ${repr(vkey)}: expected NAME+HASH+KEY`);
  const name = vkey.slice(0, i);
  const hash = vkey.slice(i + 1, j);
  if (!/^[0-9a-f]{8}$/.test(hash)) throw new TlogError(`verifier key ${repr(vkey)}: the key hash is not 8 lower-case hex digits`);
  const key = b64(vkey.slice(j + 1), `verifier key ${repr(vkey)}`);
  if (key.length < 1) throw new TlogError(`verifier key ${repr(vkey)}: no key`);
  const v = new Verifier(name, key[0], key.subarray(1));
  if (v.keyId !== parseInt(hash, 16)) {
    throw new TlogError(`verifier key ${repr(vkey)}: key hash ${hash} does not match the key (computed ${hex8(v.keyId)})`);
  }
  return v;
}

export function verifierKeyString(v) {
  return `${v.name}+${hex8(v.keyId)}+${b64encode(concat(Uint8Array.of(v.alg), v.publicKey))}`;
}

function parseSignatureLine(line) {
  const prefix = `${EM_DASH} `;
  if (!line.startsWith(prefix)) throw new TlogError(`malformed note: signature line ${repr(line)} does not start with '— '`);
  const fields = line.slice(prefix.length).split(' ');
  if (fields.length !== 2) throw new TlogError(`malformed note: signature line ${repr(line)} is not '— NAME SIGNATURE'`);
  const [name, sigB64] = fields;
  if (!validKeyName(name)) throw new TlogError(`malformed note: key name ${repr(name)} in a signature line`);
  const raw = b64(sigB64, `signature of ${name}`);
  if (raw.length < 5) throw new TlogError(`malformed note: signature of ${name} is too short`);
  return { name, keyId: be32(raw), sig: raw.subarray(4), label: `${name}+${hex8(be32(raw))}` };
}

/** Splits a signed note (a string) into its text (bytes) and signature lines. */
export function parseNote(decoded) {
  if ([...decoded].some((c) => c.codePointAt(0) < 0x20 && c !== '\n')) {
    throw new TlogError('malformed note: a control character other than newline');
  }
  if (!decoded.endsWith('\n')) throw new TlogError('malformed note: does not end with a newline');
  const split = decoded.lastIndexOf('\n\n');
  if (split < 0) throw new TlogError('malformed note: no blank line before the signatures');
  const text = decoded.slice(0, split + 1);
  const lines = decoded.slice(split + 2).split('\n').slice(0, -1);
  if (!lines.length) throw new TlogError('malformed note: no signature lines');
  if (lines.length > MAX_SIGNATURES) throw new TlogError(`malformed note: more than ${MAX_SIGNATURES} signatures`);
  return { text: ENC.encode(text), signatures: lines.map(parseSignatureLine) };
}

/**
 * Parses a note and verifies it against `verifiers`: signatures of unknown keys are ignored, a
 * known key's failing signature is an error, at least one must verify. Returns
 * { note, verified: Map(label -> true | time as BigInt) }.
 */
export function openNote(decoded, verifiers) {
  const note = parseNote(decoded);
  const known = new Map();
  for (const v of verifiers) {
    if (known.has(v.label())) throw new TlogError(`ambiguous key ${v.label()}`);
    known.set(v.label(), v);
  }
  const verified = new Map();
  for (const s of note.signatures) {
    const v = known.get(s.label);
    if (v === undefined || verified.has(s.label)) continue;
    const result = v.verify(note.text, s.sig);
    if (result === null) throw new TlogError(`invalid signature for key ${s.label}`);
    verified.set(s.label, result);
  }
  if (!verified.size) throw new TlogError('note has no verifiable signatures');
  return { note, verified };
}

/** A signed note of `text` (a string ending in LF) by [Verifier, seed, time?] signers; for the tests. */
export function signNote(text, signers) {
  const bytes = ENC.encode(text);
  let out = `${text}\n`;
  for (const [v, seed, time] of signers) {
    let sig;
    if (v.alg === ALG_ED25519) {
      sig = ed25519.sign(seed, bytes);
    } else {
      const t = new Uint8Array(8);
      let n = BigInt(time);
      for (let i = 7; i >= 0; i--, n >>= 8n) t[i] = Number(n & 0xffn);
      sig = concat(t, ed25519.sign(seed, cosignatureMessage(BigInt(time), bytes)));
    }
    const id = Uint8Array.of(v.keyId >>> 24, (v.keyId >>> 16) & 255, (v.keyId >>> 8) & 255, v.keyId & 255);
    out += `${EM_DASH} ${v.name} ${b64encode(concat(id, sig))}\n`;
  }
  return out;
}

/** A checkpoint's note text (bytes): { origin, size (BigInt), root, extensions }. */
export function parseCheckpoint(text) {
  let lines = new TextDecoder().decode(text).split('\n');
  if (lines.at(-1) !== '' || lines.length < 4) throw new TlogError('checkpoint: fewer than three lines, or no final newline');
  lines = lines.slice(0, -1);
  const [origin, sizeText, rootText] = lines;
  const extensions = lines.slice(3);
  if (origin === '') throw new TlogError('checkpoint: empty origin line');
  if (!/^[0-9]+$/.test(sizeText)) throw new TlogError(`checkpoint: tree size ${repr(sizeText)} is not a decimal number`);
  if (sizeText !== '0' && sizeText.startsWith('0')) throw new TlogError(`checkpoint: tree size ${repr(sizeText)} has a leading zero`);
  const size = BigInt(sizeText);
  if (size >= 2n ** 64n) throw new TlogError(`checkpoint: tree size ${sizeText} does not fit 64 bits`);
  const root = b64(rootText, 'checkpoint root hash');
  if (root.length !== 32) throw new TlogError(`checkpoint: root hash is ${root.length} bytes, not 32`);
  if (extensions.some((e) => e === '')) throw new TlogError('checkpoint: empty extension line');
  return { origin, size, root, extensions };
}

export const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
export const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The root an inclusion proof of leaf hash `leaf` at `index` (BigInt) in a tree of `size` leads to. */
export function rootFromInclusion(index, size, leaf, path) {
  if (index >= size) throw new TlogError(`inclusion proof: leaf index ${index} is not below tree size ${size}`);
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of path) {
    if (p.length !== 32) throw new TlogError('inclusion proof: a hash is not 32 bytes');
    if (sn === 0n) throw new TlogError('inclusion proof: too many hashes for the tree size');
    if (fn & 1n || fn === sn) {
      r = nodeHash(p, r);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new TlogError('inclusion proof: too few hashes for the tree size');
  return r;
}

export function verifyInclusion(index, size, leaf, path, root) {
  if (!same(rootFromInclusion(index, size, leaf, path), root)) {
    throw new TlogError(`inclusion proof: leaf ${index} of tree size ${size} does not lead to the root`);
  }
}

/**
 * Throws TlogError unless `path` proves the tree (size1, root1) a prefix of (size2, root2):
 * RFC 9162 §2.1.4.2 (sizes are BigInts).
 */
export function verifyConsistency(size1, size2, root1, root2, path) {
  if (size1 > size2) throw new TlogError(`consistency proof: tree size ${size2} is smaller than ${size1}`);
  if (size1 === size2) {
    if (path.length) throw new TlogError('consistency proof: must be empty for equal tree sizes');
    if (!same(root1, root2)) throw new TlogError(`consistency proof: two different roots for tree size ${size1}`);
    return;
  }
  if (size1 === 0n) {
    if (path.length) throw new TlogError('consistency proof: must be empty from the empty tree');
    return;
  }
  if (!path.length) throw new TlogError('consistency proof: empty');
  if (path.some((p) => p.length !== 32)) throw new TlogError('consistency proof: a hash is not 32 bytes');
  const full = (size1 & (size1 - 1n)) === 0n ? [root1, ...path] : [...path];
  let fn = size1 - 1n;
  let sn = size2 - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = full[0];
  let sr = full[0];
  for (const c of full.slice(1)) {
    if (sn === 0n) throw new TlogError('consistency proof: too many hashes');
    if (fn & 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new TlogError('consistency proof: too few hashes');
  if (!same(fr, root1)) throw new TlogError(`consistency proof: does not lead to the root of tree size ${size1}`);
  if (!same(sr, root2)) throw new TlogError(`consistency proof: does not lead to the root of tree size ${size2}`);
}
