// The log evidence (docs/log.md §8.1), as verifiers/python/tests/test_log_evidence.py checks it:
// Ed25519 against RFC 8032 §7.1; seeds/vectors/dr1/demo-logged (made by the Rust service with
// two witnesses) verified as recorded and refused, naming what failed, once its evidence is
// tampered with; evidence built here with test keys for the timing rules, the quorum and the
// --allow-past-entropy statement; the command line's --log-key, --witness and --quorum.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ed25519 from '../ed25519.js';
import { canonicalJson } from '../json.js';
import { sourceTime, utc } from '../log.js';
import { readBundle } from '../node-files.mjs';
import { fromHex, sha256, sha256Hex, toHex } from '../sha256.js';
import {
  ALG_COSIGNATURE_V1, ALG_ED25519, TlogError, Verifier, b64decode, b64encode, leafHash, signNote, verifierKeyString,
  verifyConsistency,
} from '../tlog.js';
import { verifyBundle } from '../verify.js';
import { makeKeys } from '../log.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const VECTORS = join(ROOT, 'seeds/vectors/dr1');
const CLI = join(ROOT, 'web/verifier/cli.mjs');
const PREFIX = 'dr1 bundle NOT verified (javascript): ';
const text = (b) => new TextDecoder().decode(b);
const bytes = (s) => new TextEncoder().encode(s);
const json = (files, path) => JSON.parse(text(files.get(path)));
const put = (files, path, value) => files.set(path, bytes(`${canonicalJson(value)}\n`));

function rewriteManifest(files) {
  const manifest = json(files, 'manifest.json');
  for (const path of [...files.keys()]) if (path !== 'manifest.json') manifest.files[path] = sha256Hex(files.get(path));
  for (const path of Object.keys(manifest.files)) if (!files.has(path)) delete manifest.files[path];
  manifest.commitment_sha256 = manifest.files['commitment.json'];
  put(files, 'manifest.json', manifest);
}

function rejected(files, expected, options) {
  const v = verifyBundle(files, undefined, options);
  assert.equal(v.ok, false, `accepted: ${v.summary}`);
  assert.ok(v.message.startsWith(PREFIX + expected), `${v.message}\ndoes not start with ${expected}`);
  return v.message;
}

const logged = () => readBundle(join(VECTORS, 'demo-logged'));

/** Flips a bit of byte `at` of the signature on line `line` (from the end) of a checkpoint. */
function flipSignature(checkpoint, line, at) {
  const lines = checkpoint.split('\n');
  const [, name, blob] = lines.at(line).split(' ');
  const raw = b64decode(blob);
  raw[at] ^= 1;
  lines[lines.length + line] = `\u2014 ${name} ${b64encode(raw)}`;
  return lines.join('\n');
}

// --- Ed25519 ---

const RFC8032 = JSON.parse(readFileSync(join(ROOT, 'verifiers/python/testdata/rfc8032-ed25519.json'), 'utf8')).vectors
  .map((v) => ({ name: v.name, sk: fromHex(v.secret_key), pk: fromHex(v.public_key), msg: fromHex(v.message), sig: fromHex(v.signature) }));

test('ed25519: RFC 8032 §7.1 signatures verify, keys and signatures are reproduced', () => {
  assert.ok(RFC8032.length >= 5);
  for (const v of RFC8032) {
    assert.ok(ed25519.verify(v.pk, v.msg, v.sig), v.name);
    assert.equal(toHex(ed25519.publicKey(v.sk)), toHex(v.pk), v.name);
    assert.equal(toHex(ed25519.sign(v.sk, v.msg)), toHex(v.sig), v.name);
  }
});

test('ed25519: other message, other key, flipped bits, S + L, y = p and wrong lengths are refused', () => {
  const [a, b, c] = RFC8032;
  assert.ok(!ed25519.verify(b.pk, Uint8Array.of(...b.msg, 0), b.sig));
  assert.ok(!ed25519.verify(c.pk, b.msg, b.sig));
  for (let i = 0; i < 512; i += 7) {
    const bad = c.sig.slice();
    bad[i >> 3] ^= 1 << (i & 7);
    assert.ok(!ed25519.verify(c.pk, c.msg, bad), `bit ${i}`);
  }
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(b.sig[i]);
  s += L;
  const mal = b.sig.slice();
  for (let i = 32; i < 64; i++, s >>= 8n) mal[i] = Number(s & 0xffn);
  assert.ok(!ed25519.verify(b.pk, b.msg, mal), 'S >= L');
  const p = new Uint8Array(32).fill(0xff);
  p[0] = 0xed;
  p[31] = 0x7f; // 2^255 - 19, little-endian
  assert.ok(!ed25519.verify(a.pk, a.msg, Uint8Array.of(...p, ...a.sig.subarray(32))), 'y = p');
  assert.ok(!ed25519.verify(a.pk.subarray(0, 31), a.msg, a.sig));
  assert.ok(!ed25519.verify(a.pk, a.msg, a.sig.subarray(0, 63)));
});

test('source times (docs/log.md §7.1), as solver/src/timing.rs and the Python tests', () => {
  assert.equal(sourceTime({ kind: 'drand', chain: 'quicknet', round: 123 }), 1692803733);
  assert.equal(utc(1692803733), '2023-08-23T15:15:33Z');
  assert.equal(sourceTime({ kind: 'drand', chain: 'default', round: 1000 }), 1595431050 + 30 * 999);
  assert.equal(sourceTime({ kind: 'lottery', name: '福彩3D', issue: '2026001', date: '2026-01-02' }), 1767283200);
  assert.equal(utc(1767283200), '2026-01-01T16:00:00Z');
});

// --- the recorded evidence of demo-logged ---

test('demo-logged: verified with the Rust verifier\'s summary', () => {
  const v = verifyBundle(logged());
  assert.equal(v.ok, true, v.message);
  const expected = readFileSync(join(VECTORS, 'demo-logged.expected'), 'utf8').trim();
  assert.equal(v.summary, expected.replace('dr1 bundle verified:', 'dr1 bundle verified (javascript):'));
});

test('a forged cosignature (another time claimed) is refused', () => {
  const files = logged();
  const ev = json(files, 'log/prepare.json');
  ev.checkpoint = flipSignature(ev.checkpoint, -2, 11);
  put(files, 'log/prepare.json', ev);
  rewriteManifest(files);
  rejected(files, 'log/prepare.json: checkpoint: invalid signature for key witness.test/w2');
  // ...and in run.json, w1's.
  const files2 = logged();
  const run = json(files2, 'log/run.json');
  run.checkpoint = flipSignature(run.checkpoint, -3, 11);
  put(files2, 'log/run.json', run);
  rewriteManifest(files2);
  rejected(files2, 'log/run.json: checkpoint: invalid signature for key witness.test/w1');
});

test('a replayed cosignature (of the later checkpoint) is refused', () => {
  const files = logged();
  const later = json(files, 'log/run.json').checkpoint.split('\n');
  const ev = json(files, 'log/prepare.json');
  const lines = ev.checkpoint.split('\n');
  lines[lines.length - 3] = later[later.length - 3];
  ev.checkpoint = lines.join('\n');
  put(files, 'log/prepare.json', ev);
  rewriteManifest(files);
  rejected(files, 'log/prepare.json: checkpoint: invalid signature for key witness.test/w1');
});

test('a wrong inclusion proof, or the proof of another leaf, is refused', () => {
  let files = logged();
  let ev = json(files, 'log/run.json');
  const raw = b64decode(ev.proof[0]);
  raw[0] ^= 1;
  ev.proof[0] = b64encode(raw);
  put(files, 'log/run.json', ev);
  rewriteManifest(files);
  rejected(files, 'log/run.json: inclusion proof: leaf 1 of tree size 2 does not lead to the root');

  files = logged();
  ev = json(files, 'log/run.json');
  ev.index = 0;
  put(files, 'log/run.json', ev);
  rewriteManifest(files);
  rejected(files, 'log/run.json: inclusion proof: leaf 0 of tree size 2 does not lead to the root');

  files = logged();
  ev = json(files, 'log/run.json');
  ev.proof = [];
  put(files, 'log/run.json', ev);
  rewriteManifest(files);
  rejected(files, 'log/run.json: inclusion proof: too few hashes for the tree size');
});

// --- consistency between the bundle's checkpoints (docs/log.md §8) ---

const CT = JSON.parse(readFileSync(join(ROOT, 'seeds/vectors/merkle/rfc6962-ct.json'), 'utf8'));
const CONSISTENCY = JSON.parse(readFileSync(join(ROOT, 'verifiers/python/testdata/merkle-consistency.json'), 'utf8'));

test('consistency proofs of transparency-dev/merkle verify; corrupted ones are refused', () => {
  const root = (n) => fromHex(CT.roots[n]);
  for (const p of CONSISTENCY.consistency_proofs) {
    const [a, b] = [BigInt(p.size1), BigInt(p.size2)];
    verifyConsistency(a, b, root(p.size1), root(p.size2), p.path.map(fromHex));
  }
  for (const p of CONSISTENCY.consistency_proofs.slice(1)) {
    const [a, b, path] = [BigInt(p.size1), BigInt(p.size2), p.path.map(fromHex)];
    const [r1, r2] = [root(p.size1), root(p.size2)];
    const probes = [
      [a - 1n, b, r1, r2, path], [a + 1n, b, r1, r2, path], [a, b * 2n, r1, r2, path], [a, b, r2, r1, path],
      [a, b, r1, r2, []], [a, b, r1, r2, [...path, r1]], [a, b, r1, r2, [r2, ...path]], [a, b, r1, r2, path.slice(0, -1)],
      [b, a, r2, r1, path],
    ];
    path.forEach((_, k) => {
      const bad = path.map((x) => x.slice());
      bad[k][0] ^= 8;
      probes.push([a, b, r1, r2, bad]);
    });
    for (const probe of probes) {
      if (probe[0] === probe[1] && probe[4].length === 0 && probe[2].every((x, i) => x === probe[3][i])) continue;
      assert.throws(() => verifyConsistency(...probe), TlogError, `${probe[0]} -> ${probe[1]}`);
    }
  }
});

/** demo-logged with the consistency proof from the prepare checkpoint (1) to the run's (2). */
function withConsistency(change) {
  const files = logged();
  const run = json(files, 'log/run.json');
  run.consistency = [b64encode(leafHash(bytes(run.leaf)))];
  if (change) change(run);
  put(files, 'log/run.json', run);
  rewriteManifest(files);
  return files;
}

test('a consistency proof between the checkpoints is checked and stated; a tampered one is refused', () => {
  const v = verifyBundle(withConsistency());
  assert.equal(v.ok, true, v.message);
  assert.match(v.summary, /, run leaf 1 in checkpoint 2 \(consistent with checkpoint 1\); commitment time /);
  rejected(withConsistency((run) => {
    const raw = b64decode(run.consistency[0]);
    raw[0] ^= 1;
    run.consistency[0] = b64encode(raw);
  }), 'log/run.json: consistency proof from checkpoint 1 to checkpoint 2 does not verify');
  rejected(withConsistency((run) => { run.consistency = []; }),
    'log/run.json: consistency proof from checkpoint 1 to checkpoint 2 does not verify: consistency proof: empty');
  rejected(withConsistency((run) => { run.consistency = 'AAAA'; }), 'log/run.json: consistency is not a list of base64 hashes');
});

test('a smaller checkpoint (not holding the leaf) is refused', () => {
  const files = logged();
  const ev = json(files, 'log/run.json');
  ev.checkpoint = json(files, 'log/prepare.json').checkpoint;
  put(files, 'log/run.json', ev);
  rewriteManifest(files);
  rejected(files, 'log/run.json: leaf index 1 is not in the checkpoint\'s tree of size 1');
});

test('a quorum not met (a cosignature removed) is refused', () => {
  const files = logged();
  const ev = json(files, 'log/prepare.json');
  const lines = ev.checkpoint.split('\n');
  lines.splice(lines.length - 2, 1);
  ev.checkpoint = lines.join('\n');
  put(files, 'log/prepare.json', ev);
  rewriteManifest(files);
  rejected(files, 'log/prepare.json: checkpoint of size 1 cosigned by 1 of the witnesses, the quorum is 2');
});

test('a leaf that is not the bundle\'s is refused', () => {
  const files = logged();
  const ev = json(files, 'log/prepare.json');
  ev.leaf = ev.leaf.replace('"batch":"2027-Q1"', '"batch":"2025-Q4"');
  put(files, 'log/prepare.json', ev);
  rewriteManifest(files);
  rejected(files, 'log/prepare.json: leaf batch is \'2025-Q4\', the bundle\'s is \'2027-Q1\'');
});

// --- test keys ---

const seedOf = (name) => sha256(bytes(`dualdraw javascript test key ${name}`));
const key = (name, alg) => new Verifier(name, alg, ed25519.publicKey(seedOf(name)));
const LOG = key('dualdraw.test/log', ALG_ED25519);
const OTHER_LOG = key('dualdraw.test/other', ALG_ED25519);
const WITNESSES = [1, 2].map((i) => key(`witness.test/w${i}`, ALG_COSIGNATURE_V1));
const T_BEFORE = 1798761600; // 2027-01-01T00:00:00Z
const T_AFTER = 1798992000; // 2027-01-03T16:00:00Z: 2027-01-04 00:00 CST

test('another log key is refused (given by the caller, or in log/keys.json)', () => {
  const keys = makeKeys(OTHER_LOG, [], 0, 'command line');
  rejected(logged(), `log/prepare.json: checkpoint is not signed by the log key ${OTHER_LOG.label()}`, { keys });
  const files = logged();
  const k = json(files, 'log/keys.json');
  k.log = verifierKeyString(OTHER_LOG);
  put(files, 'log/keys.json', k);
  rewriteManifest(files);
  rejected(files, `log/prepare.json: checkpoint is not signed by the log key ${OTHER_LOG.label()}`);
});

test('evidence not listed in the manifest, or not part of the bundle\'s state, is refused', () => {
  let files = logged();
  files.set('log/extra.json', bytes('{}\n'));
  rejected(files, 'log/extra.json: file not listed in manifest.json');
  rewriteManifest(files);
  rejected(files, 'log/extra.json: not part of a bundle in state revealed');
  files = logged();
  files.set('log/prepare.json', bytes(text(files.get('log/prepare.json')).replace('"index":0', '"index":1')));
  rejected(files, 'log/prepare.json: SHA-256 expected');
  files = logged();
  files.delete('log/keys.json');
  rewriteManifest(files);
  rejected(files, 'log/keys.json: missing, and no --log-key given');
});

/** A revealed bundle turned into a run one (no secret, the plan rules still checked). */
function asRun(name, commitmentChange) {
  const files = readBundle(join(VECTORS, name));
  files.delete('secret.txt');
  const manifest = json(files, 'manifest.json');
  delete manifest.seed;
  delete manifest.files['secret.txt'];
  manifest.state = 'run';
  put(files, 'manifest.json', manifest);
  if (commitmentChange) {
    const c = json(files, 'commitment.json');
    commitmentChange(c);
    put(files, 'commitment.json', c);
  }
  rewriteManifest(files);
  return files;
}

/** Evidence of the commitment's prepare leaf, alone in a log of size 1, cosigned at `times`. */
function withEvidence(files, times, quorum = times.length) {
  const c = json(files, 'commitment.json');
  const leaf = canonicalJson({
    allow_past_entropy: c.allow_past_entropy ?? false, batch: c.batch,
    commitment_sha256: sha256Hex(files.get('commitment.json')), event: 'prepare', format: 'dualdraw-log-1',
    jurisdiction: '440305', method: c.method, sources: c.sources,
  });
  const note = `${LOG.name}\n1\n${b64encode(leafHash(bytes(leaf)))}\n`;
  const checkpoint = signNote(note, [[LOG, seedOf(LOG.name)], ...times.map((t, i) => [WITNESSES[i], seedOf(WITNESSES[i].name), t])]);
  put(files, 'log/prepare.json', { checkpoint, index: 0, leaf, proof: [] });
  put(files, 'log/keys.json', { log: verifierKeyString(LOG), quorum, witnesses: WITNESSES.slice(0, Math.max(quorum, times.length)).map(verifierKeyString) });
  rewriteManifest(files);
  return files;
}

test('evidence made with test keys: the commitment time is the quorum-th cosignature', () => {
  const files = withEvidence(asRun('conflicts-last-team'), [T_BEFORE, T_BEFORE + 60]);
  const v = verifyBundle(files);
  assert.equal(v.ok, true, v.message);
  assert.ok(v.summary.endsWith('; run, not yet revealed (plan rules checked, not recomputed); logged in jurisdiction 440305: '
    + 'prepare leaf 0 in checkpoint 1 cosigned by 2 witnesses (quorum 2); commitment time 2027-01-01T00:01:00Z, before the first '
    + 'source time 2027-01-03T16:00:00Z; sources: lottery 福彩3D 2027001 of 2027-01-04 2027-01-03T16:00:00Z, '
    + `lottery 体彩排列5 27001 of 2027-01-04 2027-01-03T16:00:00Z; log key ${verifierKeyString(LOG)} `
    + '(from log/keys.json: compare it with the log\'s published key)'), v.summary);
  const keys = makeKeys(LOG, WITNESSES, 1, 'command line');
  const w = verifyBundle(files, undefined, { keys });
  assert.equal(w.ok, true, w.message);
  assert.match(w.summary, /commitment time 2027-01-01T00:00:00Z, before/);
  assert.match(w.summary, /\(quorum 1\)/);
  assert.doesNotMatch(w.summary, /from log\/keys.json/);
});

test('a commitment cosigned after the first source time is refused', () => {
  const files = withEvidence(asRun('conflicts-last-team'), [T_AFTER, T_AFTER + 60]);
  rejected(files, 'log/prepare.json: commitment time 2027-01-03T16:01:00Z is not before the first source time 2027-01-03T16:00:00Z');
});

test('quorum 0: the order is not attested', () => {
  const files = withEvidence(asRun('conflicts-last-team'), [], 0);
  const v = verifyBundle(files);
  assert.equal(v.ok, true, v.message);
  assert.match(v.summary, /cosigned by 0 witnesses \(quorum 0\); commitment time unattested \(no witnesses\); sources: .*; the order is not attested; log key/);
});

test('--allow-past-entropy: the order is NOT proven, with and without evidence', () => {
  const past = 'prepared with --allow-past-entropy: the order of commitment and entropy is NOT proven';
  let files = asRun('conflicts-last-team', (c) => { c.allow_past_entropy = true; });
  let v = verifyBundle(files);
  assert.equal(v.ok, true, v.message);
  assert.ok(v.summary.endsWith(`; ${past}; no log evidence`), v.summary);
  files = withEvidence(files, [T_AFTER, T_AFTER + 60]);
  v = verifyBundle(files);
  assert.equal(v.ok, true, v.message);
  assert.match(v.summary, /; commitment time 2027-01-03T16:01:00Z; sources: .*; prepared with --allow-past-entropy: the order of commitment and entropy is NOT proven; log key /);
  files = asRun('conflicts-last-team', (c) => { c.allow_past_entropy = false; });
  rejected(files, 'commitment.json: allow_past_entropy must be true when present');
});

test('run evidence in a run bundle is refused', () => {
  const files = logged();
  files.delete('secret.txt');
  const manifest = json(files, 'manifest.json');
  delete manifest.seed;
  manifest.state = 'run';
  put(files, 'manifest.json', manifest);
  rewriteManifest(files);
  rejected(files, 'log/run.json: not part of a bundle in state run');
});

test('cli: --log-key, --witness, --quorum; usage errors exit 2', () => {
  const dir = join(VECTORS, 'demo-logged');
  const k = JSON.parse(readFileSync(join(dir, 'log/keys.json'), 'utf8'));
  let r = spawnSync(process.execPath, [CLI, dir, '--log-key', k.log, '--witness', k.witnesses[0], '--witness', k.witnesses[1], '--quorum', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /cosigned by 2 witnesses \(quorum 1\)/);
  assert.doesNotMatch(r.stdout, /from log\/keys.json/);
  r = spawnSync(process.execPath, [CLI, dir, '--log-key', verifierKeyString(OTHER_LOG)], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stderr, /log\/prepare.json: checkpoint is not signed by the log key dualdraw.test\/other\+/);
  r = spawnSync(process.execPath, [CLI, dir, '--log-key', k.log, '--witness', k.witnesses[0], '--quorum', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /quorum 2: must be between 0 and 1 witnesses/);
  r = spawnSync(process.execPath, [CLI, dir, '--witness', k.witnesses[0]], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--witness and --quorum need --log-key/);
  r = spawnSync(process.execPath, [CLI, dir, '--log-key', 'nonsense'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--log-key: verifier key 'nonsense': expected NAME\+HASH\+KEY/);
});
