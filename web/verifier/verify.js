// The dr1 bundle verifier's pure core: the bytes of a bundle's files in, a verdict out
// (docs/draw-protocol.md §11). No DOM, no file system, no network, no clock: the browser page,
// its Web Worker and the Node command line all call `verifyBundle`.

import {
  METHOD, PLAN_FILES, verifyCommitment, verifyEntropy, verifyManifest, verifyPopulationSize,
} from './bundle.js';
import { readInputs } from './inputs.js';
import { loadJson } from './json.js';
import { TlogError, checkEvidence } from './log.js';
import { planFiles } from './plan.js';
import { checkRules } from './rules.js';
import { randomNumbers, selectEnterprises } from './select.js';
import { fromHex, sha256, toHex } from './sha256.js';
import { inspectorTeams } from './teams.js';
import {
  Difference, ENCODER, compareBytes, decodeUtf8, fail, resetTexts, show,
} from './text.js';

export { PLAN_FILES };
const WHO = '(javascript)';
const TAG_SECRET = ENCODER.encode('dualdraw-dr1-secret\0');
const TAG_SEED = ENCODER.encode('dualdraw-dr1-seed\0');

// Phases with their share of the progress bar (roughly their share of the time at 1,000,000
// enterprises).
const PHASES = [
  ['manifest', '文件摘要 (file digests)', 12],
  ['commitment', '承诺与默克尔根 (commitment and Merkle root)', 8],
  ['inputs', '读取输入 (reading inputs)', 12],
  ['entropy', '公共熵 (public entropy)', 3],
  ['numbers', '随机数 (random numbers)', 20],
  ['select', '抽取企业 (selecting enterprises)', 15],
  ['teams', '检查组 (inspector teams)', 15],
  ['compare', '比对计划文件 (comparing plan files)', 5],
  ['rules', '规则检查 (rule checks)', 10],
  ['log', '透明日志证据 (log evidence)', 1],
];

function progressReporter(onProgress) {
  const total = PHASES.reduce((s, p) => s + p[2], 0);
  let before = 0;
  let current = PHASES[0];
  return {
    phase(name) {
      const i = PHASES.findIndex((p) => p[0] === name);
      before = PHASES.slice(0, i).reduce((s, p) => s + p[2], 0);
      current = PHASES[i];
      onProgress?.({ phase: name, label: current[1], fraction: before / total });
    },
    part(done, of) {
      const f = (before + (current[2] * Math.min(done, of)) / Math.max(of, 1)) / total;
      onProgress?.({ phase: current[0], label: current[1], fraction: f });
    },
    finish() {
      onProgress?.({ phase: 'done', label: '完成 (done)', fraction: 1 });
    },
  };
}

function verifySecret(files, commitment) {
  const raw = files.get('secret.txt');
  const text = decodeUtf8('secret.txt', raw);
  if (!/^[0-9a-f]{64}\n$/.test(text)) fail(`secret.txt: expected 64 lower-case hex digits and LF, found ${show(text)}`);
  const secret = fromHex(text.slice(0, 64));
  const found = toHex(sha256(concat(TAG_SECRET, secret)));
  if (found !== commitment.secret_commitment) {
    fail(`secret.txt: does not match secret_commitment: SHA-256 gives ${found}, commitment.json has ${commitment.secret_commitment}`);
  }
  return secret;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** §6 seed. */
export function computeSeed(commitmentBytes, entropyString, secret) {
  return sha256(concat(TAG_SEED, sha256(commitmentBytes), ENCODER.encode(entropyString), new Uint8Array(1), secret));
}

/** §11 step 4: recompute the plan and compare its files byte for byte. */
function recompute(files, inputs, seed, progress) {
  progress.phase('numbers');
  const u = randomNumbers(seed, inputs.population, (d, n) => progress.part(d, n));
  progress.phase('select');
  const draw = selectEnterprises(inputs, u, (d, n) => progress.part(d, n));
  progress.phase('teams');
  Object.assign(draw, inspectorTeams(inputs, seed, draw.visits, (d, n) => progress.part(d, n)));
  progress.phase('compare');
  const expected = planFiles(inputs, draw);
  for (const name of PLAN_FILES) compareBytes(`plan/${name}`, expected[name], files.get(`plan/${name}`));
}

/** docs/log.md §8.1: the log evidence, with `keys` (null: log/keys.json); the summary's tail. */
function evidence(files, manifest, commitment, secret, keys, progress) {
  progress.phase('log');
  const planFiles = {};
  for (const [rel, d] of Object.entries(manifest.files)) if (rel.startsWith('plan/')) planFiles[rel] = d;
  const facts = {
    commitment,
    commitmentSha256: manifest.commitment_sha256,
    entropySha256: manifest.files['entropy.json'] ?? null,
    secret,
    planFiles,
  };
  const logFiles = new Map([...files].filter(([rel]) => rel.startsWith('log/')));
  try {
    return checkEvidence(facts, logFiles, keys, loadJson);
  } catch (e) {
    if (e instanceof TlogError) fail(e.message);
    throw e;
  }
}

function run(files, progress, keys) {
  progress.phase('manifest');
  let hashed = 0;
  const manifest = verifyManifest(files, () => progress.part(++hashed, files.size));
  progress.phase('commitment');
  const commitment = verifyCommitment(files, manifest);
  progress.phase('inputs');
  const inputs = readInputs(files, (n) => progress.part(n, Math.max(n, 1)));
  verifyPopulationSize(commitment, inputs);
  const head = `${METHOD} bundle verified ${WHO}: ${inputs.population.size} enterprises, ${inputs.tasks.length} tasks`;
  if (manifest.state === 'committed') return `${head}; committed, not yet run; ${evidence(files, manifest, commitment, null, keys, progress)}`;
  progress.phase('entropy');
  const string = verifyEntropy(files, commitment);
  let seed = null;
  let secret = null;
  if (manifest.state === 'revealed') {
    secret = verifySecret(files, commitment);
    seed = toHex(computeSeed(files.get('commitment.json'), string, secret));
    if (manifest.seed !== seed) fail(`manifest.json: seed expected ${seed}, found ${JSON.stringify(manifest.seed)}`);
    recompute(files, inputs, fromHex(seed), progress);
  }
  progress.phase('rules');
  const c = checkRules(inputs, files);
  const summary = `${head}, ${c.selections} selections, ${c.visits} visits, ${c.assigned} inspectors assigned, ${c.failures} teams not formed`;
  const tail = evidence(files, manifest, commitment, secret, keys, progress);
  if (seed === null) return `${summary}; run, not yet revealed (plan rules checked, not recomputed); ${tail}`;
  return `${summary}; seed ${seed}; ${tail}`;
}

/**
 * Verifies a dr1 bundle. `files` is a Map from the bundle's `/`-separated relative paths to
 * their bytes (Uint8Array); `onProgress` receives { phase, label, fraction } now and then.
 * `options.keys` (from log.js makeKeys) replaces log/keys.json for the log evidence.
 * Returns { ok: true, summary } or { ok: false, message } naming the first difference.
 */
export function verifyBundle(files, onProgress, options = {}) {
  const progress = progressReporter(onProgress);
  resetTexts();
  try {
    const summary = run(files, progress, options.keys ?? null);
    progress.finish();
    return { ok: true, summary };
  } catch (e) {
    if (!(e instanceof Difference)) throw e;
    return { ok: false, message: `${METHOD} bundle NOT verified ${WHO}: ${e.message}` };
  }
}
