// The bundle's log evidence (docs/log.md §8.1) and the timing statement (§7), checked offline
// exactly as verifiers/python/log_evidence.py does, with the same messages and summary tail:
// log/keys.json (or keys given by the caller), log/prepare.json or log/replan.json, and
// log/run.json once revealed — each a leaf, its index, an RFC 6962 inclusion proof and a
// checkpoint signed by the log key and cosigned by a quorum of witnesses; log/run.json may add
// the RFC 6962 consistency proof from the commitment's checkpoint to its own.

import { canonicalJson, jsonEqual } from './json.js';
import { sha256, toHex } from './sha256.js';
import {
  ALG_COSIGNATURE_V1, ALG_ED25519, TlogError, b64decode, concat, leafHash, openNote, parseCheckpoint,
  parseVerifierKey, repr, verifierKeyString, verifyConsistency, verifyInclusion,
} from './tlog.js';

export { TlogError, parseVerifierKey };
const FORMAT = 'dualdraw-log-1';
const MAX_LEAF = 65535;
const COMMON_KEYS = ['batch', 'commitment_sha256', 'event', 'format', 'jurisdiction'];
const EVENT_KEYS = {
  prepare: ['allow_past_entropy', 'method', 'sources'],
  replan: ['allow_past_entropy', 'method', 'replaces', 'sources'],
  run: ['entropy_sha256', 'plan_commitment'],
};
export const EVIDENCE_FILES = ['log/prepare.json', 'log/replan.json', 'log/run.json'];
export const KEYS_FILE = 'log/keys.json';
const ENC = new TextEncoder();
const TAG_PLAN = ENC.encode('dualdraw-log-plan\0');
// §7.1: drand chains' genesis time and period (seeds/vectors/drand/chains.json).
const DRAND_TIMING = { quicknet: [1692803367, 3], default: [1595431050, 30] };
const PAST_ENTROPY = 'prepared with --allow-past-entropy: the order of commitment and entropy is NOT proven';
const pyList = (a) => `[${[...a].sort().map(repr).join(', ')}]`;
const setEq = (a, b) => a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0');

/** The keys evidence is checked with; `origin` is 'command line' or 'log/keys.json'. */
export function makeKeys(log, witnesses, quorum, origin) {
  if (log.alg !== ALG_ED25519) throw new TlogError(`log key ${log.label()}: not an Ed25519 (type 0x01) key`);
  for (const w of witnesses) {
    if (w.alg !== ALG_COSIGNATURE_V1) throw new TlogError(`witness key ${w.label()}: not a cosignature (type 0x04) key`);
  }
  if (new Set(witnesses.map((w) => w.label())).size !== witnesses.length) throw new TlogError('witness keys: a key is given twice');
  if (!(quorum >= 0 && quorum <= witnesses.length)) {
    throw new TlogError(`quorum ${quorum}: must be between 0 and ${witnesses.length} witnesses`);
  }
  return { log, witnesses, quorum, origin };
}

function keysFromFile(data, loadJson) {
  const k = loadJson(KEYS_FILE, data);
  if (!setEq(Object.keys(k), ['log', 'quorum', 'witnesses'])) {
    throw new TlogError(`${KEYS_FILE}: expected keys log, quorum, witnesses, found ${pyList(Object.keys(k))}`);
  }
  if (typeof k.log !== 'string' || !Array.isArray(k.witnesses)) throw new TlogError(`${KEYS_FILE}: log must be a string and witnesses a list`);
  if (!Number.isSafeInteger(k.quorum)) throw new TlogError(`${KEYS_FILE}: quorum is not an integer`);
  if (!k.witnesses.every((w) => typeof w === 'string')) throw new TlogError(`${KEYS_FILE}: witnesses must be verifier key strings`);
  return makeKeys(parseVerifierKey(k.log), k.witnesses.map(parseVerifierKey), k.quorum, KEYS_FILE);
}

// --- §7.1 timing ---

/** The POSIX time from which a declared source's value may be known (§7.1). */
export function sourceTime(src) {
  if (src.kind === 'drand') {
    const [genesis, period] = DRAND_TIMING[src.chain];
    return genesis + period * Math.max(src.round - 1, 0);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(src.date);
  const t = m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== src.date) {
    throw new TlogError(`commitment.json: lottery date ${repr(src.date)} is not a date`);
  }
  return t / 1000 - 8 * 3600; // midnight China Standard Time
}

const describeSource = (s) => (s.kind === 'drand' ? `drand ${s.chain} round ${s.round}` : `lottery ${s.name} ${s.issue} of ${s.date}`);
export const utc = (t) => `${new Date(Number(t) * 1000).toISOString().slice(0, 19)}Z`;

// --- one evidence file ---

function parseLeaf(label, text) {
  if (typeof text !== 'string') throw new TlogError(`${label}: leaf is not a string`);
  const n = ENC.encode(text).length;
  if (n > MAX_LEAF) throw new TlogError(`${label}: leaf is ${n} bytes, more than ${MAX_LEAF}`);
  let leaf;
  try {
    leaf = JSON.parse(text);
  } catch (e) {
    throw new TlogError(`${label}: leaf is not JSON: ${e.message}`);
  }
  if (leaf === null || typeof leaf !== 'object' || Array.isArray(leaf) || canonicalJson(leaf) !== text) {
    throw new TlogError(`${label}: leaf is not a JSON object in canonical form`);
  }
  return leaf;
}

/** SHA-256("dualdraw-log-plan" ‖ 0x00 ‖ secret ‖ listing of plan/ files). */
export function planCommitment(secret, planFiles) {
  const listing = Object.keys(planFiles).sort().map((p) => `${p} ${planFiles[p]}\n`).join('');
  return toHex(sha256(concat(TAG_PLAN, secret, ENC.encode(listing))));
}

function checkLeaf(label, event, leaf, facts) {
  if (leaf.format !== FORMAT) throw new TlogError(`${label}: leaf format is ${repr(leaf.format)}, not ${repr(FORMAT)}`);
  if (leaf.event !== event) throw new TlogError(`${label}: leaf event is ${repr(leaf.event)}, not ${repr(event)}`);
  const expected = [...COMMON_KEYS, ...EVENT_KEYS[event]];
  if (!setEq(Object.keys(leaf), expected)) {
    throw new TlogError(`${label}: leaf keys expected ${pyList(expected)}, found ${pyList(Object.keys(leaf))}`);
  }
  if (typeof leaf.jurisdiction !== 'string') throw new TlogError(`${label}: leaf jurisdiction is not a string`);
  const c = facts.commitment;
  const want = { batch: c.batch, commitment_sha256: facts.commitmentSha256 };
  if (event === 'prepare' || event === 'replan') {
    Object.assign(want, { method: c.method, sources: c.sources, allow_past_entropy: c.allow_past_entropy ?? false });
    if (event === 'replan') want.replaces = c.replaces ?? null;
  } else {
    want.entropy_sha256 = facts.entropySha256;
    if (facts.secret !== null) want.plan_commitment = planCommitment(facts.secret, facts.planFiles);
  }
  for (const [key, value] of Object.entries(want)) {
    if (!jsonEqual(leaf[key], value)) throw new TlogError(`${label}: leaf ${key} is ${repr(leaf[key])}, the bundle's is ${repr(value)}`);
  }
}

function proofHash(label, text) {
  const raw = b64decode(text);
  if (raw === null) throw new TlogError(`${label}: proof hash ${repr(text)} is not base64`);
  if (raw.length !== 32) throw new TlogError(`${label}: proof hash ${repr(text)} is not 32 bytes`);
  return raw;
}

/** §8.1 steps 1–4 for one evidence file: { leaf, index, size, times (sorted BigInts) }. */
function checkFile(label, event, data, facts, keys, loadJson) {
  const ev = loadJson(label, data);
  const keysOf = Object.keys(ev).filter((k) => k !== 'consistency');
  if (!setEq(keysOf, ['checkpoint', 'index', 'leaf', 'proof'])) {
    throw new TlogError(`${label}: expected keys checkpoint, [consistency,] index, leaf, proof, found ${pyList(Object.keys(ev))}`);
  }
  const leaf = parseLeaf(label, ev.leaf);
  checkLeaf(label, event, leaf, facts);
  if (typeof ev.checkpoint !== 'string') throw new TlogError(`${label}: checkpoint is not a string`);
  const { index } = ev;
  if (!Number.isSafeInteger(index) || index < 0) throw new TlogError(`${label}: index is not a non-negative integer`);
  const notSigned = `${label}: checkpoint is not signed by the log key ${keys.log.label()}`;
  let opened;
  try {
    opened = openNote(ev.checkpoint, [keys.log, ...keys.witnesses]);
  } catch (e) {
    if (!(e instanceof TlogError)) throw e;
    if (e.message === 'note has no verifiable signatures') throw new TlogError(notSigned);
    throw new TlogError(`${label}: checkpoint: ${e.message}`);
  }
  const { note, verified } = opened;
  if (!verified.has(keys.log.label())) throw new TlogError(notSigned);
  const cp = parseCheckpoint(note.text);
  if (cp.origin !== keys.log.name) throw new TlogError(`${label}: checkpoint origin ${repr(cp.origin)} is not the log key's name`);
  if (cp.extensions.length) throw new TlogError(`${label}: checkpoint has extension lines`);
  if (BigInt(index) >= cp.size) throw new TlogError(`${label}: leaf index ${index} is not in the checkpoint's tree of size ${cp.size}`);
  if (!Array.isArray(ev.proof) || !ev.proof.every((p) => typeof p === 'string')) {
    throw new TlogError(`${label}: proof is not a list of base64 hashes`);
  }
  const path = ev.proof.map((p) => proofHash(label, p));
  try {
    verifyInclusion(BigInt(index), cp.size, leafHash(ENC.encode(ev.leaf)), path, cp.root);
  } catch (e) {
    if (!(e instanceof TlogError)) throw e;
    throw new TlogError(`${label}: ${e.message}`);
  }
  const times = keys.witnesses.filter((w) => verified.has(w.label())).map((w) => verified.get(w.label()));
  times.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (times.length < keys.quorum) {
    throw new TlogError(`${label}: checkpoint of size ${cp.size} cosigned by ${times.length} of the witnesses, the quorum is ${keys.quorum}`);
  }
  let consistency = null;
  if ('consistency' in ev) {
    if (!Array.isArray(ev.consistency) || !ev.consistency.every((p) => typeof p === 'string')) {
      throw new TlogError(`${label}: consistency is not a list of base64 hashes`);
    }
    consistency = ev.consistency.map((p) => proofHash(label, p));
  }
  return { leaf, index, size: cp.size, root: cp.root, times, consistency };
}

/**
 * §8.1 step 5: the `consistency` proof of `later` shows the tree of the earlier evidence's
 * checkpoint is a prefix of its own. The earlier size, or null when the file has no proof.
 */
function checkConsistency(label, earlier, later) {
  if (later.consistency === null) return null;
  try {
    verifyConsistency(earlier.size, later.size, earlier.root, later.root, later.consistency);
  } catch (e) {
    if (!(e instanceof TlogError)) throw e;
    throw new TlogError(`${label}: consistency proof from checkpoint ${earlier.size} to checkpoint ${later.size} does not verify: ${e.message}`);
  }
  return earlier.size;
}

function checkRun(data, facts, keys, loadJson, event, opening) {
  const r = checkFile('log/run.json', 'run', data, facts, keys, loadJson);
  if (r.leaf.jurisdiction !== opening.leaf.jurisdiction) {
    throw new TlogError(`log/run.json: jurisdiction ${repr(r.leaf.jurisdiction)} is not the ${event} leaf's ${repr(opening.leaf.jurisdiction)}`);
  }
  if (r.index <= opening.index) throw new TlogError(`log/run.json: run leaf ${r.index} is not after the ${event} leaf ${opening.index}`);
  const consistent = checkConsistency('log/run.json', opening, r);
  return `, run leaf ${r.index} in checkpoint ${r.size}${consistent === null ? '' : ` (consistent with checkpoint ${consistent})`}`;
}

/** The commitment time, the sources' times, and whether the commitment came first (§7.4). */
function orderStatement(commitment, quorum, times, past) {
  const { sources } = commitment;
  const listed = sources.map((s) => `${describeSource(s)} ${utc(sourceTime(s))}`).join(', ');
  const committed = quorum === 0 ? 'commitment time unattested (no witnesses)' : `commitment time ${utc(times[quorum - 1])}`;
  if (!sources.length) return `${committed}; no sources of its own (entropy of the replaced draw)`;
  const first = Math.min(...sources.map(sourceTime));
  if (past) return `${committed}; sources: ${listed}; ${PAST_ENTROPY}`;
  if (quorum === 0) return `${committed}; sources: ${listed}; the order is not attested`;
  if (times[quorum - 1] >= BigInt(first)) {
    throw new TlogError(`log/prepare.json: commitment time ${utc(times[quorum - 1])} is not before the first source time ${utc(first)}: the entropy may have been known when the commitment was made`);
  }
  return `${committed}, before the first source time ${utc(first)}; sources: ${listed}`;
}

/**
 * Checks the evidence among `files` (the bundle's log/ paths -> bytes) and returns the
 * summary's tail. `facts`: { commitment, commitmentSha256, entropySha256, secret (bytes or
 * null), planFiles (plan/ path -> digest) }; `keys` from makeKeys, or null for log/keys.json.
 */
export function checkEvidence(facts, files, keys, loadJson) {
  const past = facts.commitment.allow_past_entropy ?? false;
  if (![...EVIDENCE_FILES, KEYS_FILE].some((rel) => files.has(rel))) return past ? `${PAST_ENTROPY}; no log evidence` : 'no log evidence';
  if (keys === null) {
    if (!files.has(KEYS_FILE)) throw new TlogError(`${KEYS_FILE}: missing, and no --log-key given`);
    keys = keysFromFile(files.get(KEYS_FILE), loadJson);
  }
  const opening = 'replaces' in facts.commitment ? 'log/replan.json' : 'log/prepare.json';
  const other = opening === 'log/replan.json' ? 'log/prepare.json' : 'log/replan.json';
  if (files.has(other)) throw new TlogError(`${other}: does not match the commitment (expected ${opening})`);
  if (!files.has(opening)) throw new TlogError(`${opening}: missing: the log evidence must include the commitment's leaf`);
  const event = opening.slice('log/'.length, -'.json'.length);
  const o = checkFile(opening, event, files.get(opening), facts, keys, loadJson);
  let first = `logged in jurisdiction ${o.leaf.jurisdiction}: ${event} leaf ${o.index} in checkpoint ${o.size} cosigned by ${o.times.length} witnesses (quorum ${keys.quorum})`;
  if (files.has('log/run.json')) first += checkRun(files.get('log/run.json'), facts, keys, loadJson, event, o);
  const note = keys.origin === KEYS_FILE ? ' (from log/keys.json: compare it with the log\'s published key)' : '';
  return [first, orderStatement(facts.commitment, keys.quorum, o.times, past), `log key ${verifierKeyString(keys.log)}${note}`].join('; ');
}
