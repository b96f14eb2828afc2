// §11 steps 1–3 of docs/draw-protocol.md: the manifest and the digests of every file (§10), the
// commitment (§5) against the inputs and their Merkle root (§3), and the entropy record (§4).

import { drandCheck } from './drand.js';
import { INPUT_FILES } from './inputs.js';

/** docs/advice.md §6: the files of a published advice (not recomputed here), byte order. */
const ADVICE_FILES = ['advice.csv', 'binding.csv', 'ranges.csv'];
import { expectKeys, isInt, isObject, jsonEqual, loadJson } from './json.js';
import { populationRoot } from './merkle.js';
import { fromHex, sha256Hex } from './sha256.js';
import { byteCmp, fail } from './text.js';

export const METHOD = 'dr1';
export const PLAN_FILES = ['failures.csv', 'passed-over.csv', 'selections.csv', 'strata.csv', 'teams.csv', 'visits.csv'];
const HEX64 = /^[0-9a-f]{64}$/;
const HEX_ANY = /^(?:[0-9a-f]{2})+$/;
export const DRAND_CHAINS = {
  default: '8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce',
  quicknet: '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971',
};
const SIGNATURE_BYTES = { default: 96, quicknet: 48 };
const LOTTERY_KEYS = ['kind', 'name', 'issue', 'date'];
const DRAND_KEYS = ['kind', 'chain', 'chain_hash', 'round'];

/** The files a bundle in `state` must hold, besides manifest.json. */
function expectedFiles(state) {
  const files = ['commitment.json', ...INPUT_FILES.map((n) => `inputs/${n}`)];
  if (state === 'run' || state === 'revealed') files.push('entropy.json', ...PLAN_FILES.map((n) => `plan/${n}`));
  if (state === 'revealed') files.push('secret.txt');
  return files.sort(byteCmp);
}

/** §11 step 1; `files` maps each bundle path to its bytes. Returns the manifest. */
export function verifyManifest(files, progress) {
  if (!files.has('manifest.json')) fail('manifest.json: missing (not a dr1 bundle)');
  const manifest = loadJson('manifest.json', files.get('manifest.json'));
  if (manifest.method !== METHOD) {
    fail(`manifest.json: method: expected "${METHOD}", found ${JSON.stringify(manifest.method ?? null)}`);
  }
  const { state } = manifest;
  if (!['committed', 'run', 'revealed'].includes(state)) {
    fail(`manifest.json: state: expected committed, run or revealed, found ${JSON.stringify(state ?? null)}`);
  }
  const keys = ['commitment_sha256', 'files', 'method', 'state'];
  expectKeys('manifest.json', manifest, state === 'revealed' ? [...keys, 'seed'] : keys);
  if (!isObject(manifest.files)) fail('manifest.json: files is not an object');
  const listed = Object.keys(manifest.files).sort(byteCmp);
  for (const rel of listed) {
    const digest = manifest.files[rel];
    if (typeof digest !== 'string' || !HEX64.test(digest)) fail(`manifest.json: files: ${rel}: not a SHA-256 hex digest`);
    if (rel === 'manifest.json' || rel.startsWith('/') || rel.split('/').includes('..') || rel.includes('\\')) {
      fail(`manifest.json: files: bad path ${JSON.stringify(rel)}`);
    }
    if (!files.has(rel)) fail(`${rel}: listed in manifest.json but missing`);
    progress?.(rel);
    const found = sha256Hex(files.get(rel));
    if (found !== digest) fail(`${rel}: SHA-256 expected ${digest} (manifest.json), found ${found}`);
  }
  const extra = [...files.keys()].filter((p) => p !== 'manifest.json' && !(p in manifest.files)).sort(byteCmp);
  if (extra.length) fail(`${extra[0]}: file not listed in manifest.json`);
  const expected = expectedFiles(state);
  const missing = expected.filter((p) => !(p in manifest.files));
  if (missing.length) fail(`${missing[0]}: missing from a bundle in state ${state}`);
  // docs/log.md §8: optional log evidence, written at run (keys, commitment leaf) and reveal.
  const allowed = [...expected];
  if (state === 'run' || state === 'revealed') allowed.push('log/keys.json', 'log/prepare.json', 'log/replan.json');
  if (state === 'revealed') allowed.push('log/run.json');
  // docs/advice.md §7: an optional published advice, committed in commitment.json.
  allowed.push(...ADVICE_FILES.map((n) => `advice/${n}`));
  const unexpected = listed.filter((p) => !allowed.includes(p));
  if (unexpected.length) fail(`${unexpected[0]}: not part of a bundle in state ${state}`);
  const digest = manifest.files['commitment.json'];
  if (manifest.commitment_sha256 !== digest) {
    fail(`manifest.json: commitment_sha256 expected ${digest}, found ${JSON.stringify(manifest.commitment_sha256)}`);
  }
  return manifest;
}

function checkDeclaration(label, src) {
  if (!isObject(src)) fail(`${label}: not an object`);
  if (src.kind === 'lottery') {
    expectKeys(label, src, LOTTERY_KEYS);
    for (const k of ['name', 'issue', 'date']) if (typeof src[k] !== 'string') fail(`${label}: ${k} is not a string`);
  } else if (src.kind === 'drand') {
    expectKeys(label, src, DRAND_KEYS);
    if (!Object.hasOwn(DRAND_CHAINS, src.chain)) fail(`${label}: unknown drand chain ${JSON.stringify(src.chain)}`);
    if (src.chain_hash !== DRAND_CHAINS[src.chain]) {
      fail(`${label}: chain_hash of ${src.chain} expected ${DRAND_CHAINS[src.chain]}, found ${JSON.stringify(src.chain_hash)}`);
    }
    if (!isInt(src.round) || src.round < 1) fail(`${label}: round is not a positive integer`);
  } else {
    fail(`${label}: unknown kind ${JSON.stringify(src.kind ?? null)}`);
  }
}

/**
 * §11 step 2, before the inputs are parsed: the commitment's form, the digests of the input
 * files (taken from the manifest, already checked against the bytes) and the population's
 * Merkle root. Returns the commitment.
 */
export function verifyCommitment(files, manifest) {
  const label = 'commitment.json';
  const c = loadJson(label, files.get(label));
  // docs/log.md §7.3: "allow_past_entropy":true is present only when prepare was told to.
  const past = Object.hasOwn(c, 'allow_past_entropy') ? ['allow_past_entropy'] : [];
  // docs/advice.md §7: "advice" is present only when the bundle publishes an advice.
  const advice = Object.hasOwn(c, 'advice') ? ['advice'] : [];
  expectKeys(label, c, ['batch', 'inputs', 'method', 'population_root', 'population_size', 'secret_commitment', 'sources', ...past, ...advice]);
  if (advice.length) {
    if (!isObject(c.advice) || Object.keys(c.advice).sort(byteCmp).join() !== ADVICE_FILES.join()) {
      fail(`${label}: advice must name exactly ${ADVICE_FILES.join(', ')}`);
    }
    for (const name of ADVICE_FILES) {
      const found = manifest.files[`advice/${name}`];
      if (found === undefined) fail(`advice/${name}: committed in ${label} but missing`);
      if (c.advice[name] !== found) fail(`advice/${name}: SHA-256 expected ${c.advice[name]} (${label}), found ${found}`);
    }
  } else {
    const stray = ADVICE_FILES.find((n) => Object.hasOwn(manifest.files, `advice/${n}`));
    if (stray) fail(`advice/: present but not committed in ${label}`);
  }
  if (past.length && c.allow_past_entropy !== true) fail(`${label}: allow_past_entropy must be true when present`);
  if (c.method !== METHOD) fail(`${label}: method: expected "${METHOD}", found ${JSON.stringify(c.method)}`);
  if (typeof c.batch !== 'string') fail(`${label}: batch is not a string`);
  if (!isObject(c.inputs) || Object.keys(c.inputs).sort(byteCmp).join() !== INPUT_FILES.join()) {
    fail(`${label}: inputs must name exactly ${INPUT_FILES.join(', ')}`);
  }
  for (const name of INPUT_FILES) {
    const found = manifest.files[`inputs/${name}`];
    if (c.inputs[name] !== found) fail(`inputs/${name}: SHA-256 expected ${c.inputs[name]} (${label}), found ${found}`);
  }
  const root = populationRoot(files.get('inputs/population.csv'));
  if (c.population_root !== root) {
    fail(`${label}: population_root expected ${root} (RFC 6962 root of inputs/population.csv), found ${JSON.stringify(c.population_root)}`);
  }
  if (typeof c.secret_commitment !== 'string' || !HEX64.test(c.secret_commitment)) {
    fail(`${label}: secret_commitment is not 64 hex digits`);
  }
  if (!Array.isArray(c.sources) || !c.sources.length) fail(`${label}: sources is not a non-empty list`);
  c.sources.forEach((src, n) => checkDeclaration(`${label}: sources[${n}]`, src));
  return c;
}

/** §11 step 2, after parsing: the committed population size. */
export function verifyPopulationSize(commitment, inputs) {
  const size = inputs.population.size;
  if (commitment.population_size !== size) {
    fail(`commitment.json: population_size ${JSON.stringify(commitment.population_size)} but inputs/population.csv has ${size} enterprises`);
  }
}

/** §4 canonical entropy string. */
export function entropyString(sources) {
  let s = '';
  for (const src of sources) {
    if (src.kind === 'lottery') for (const v of [...src.values].sort((a, b) => a - b)) s += `${v}.`;
    else s += `${src.randomness}.`;
    s += '/';
  }
  return s;
}

function checkDrandValue(where, src, decl) {
  const keys = [...DRAND_KEYS, 'signature', 'randomness'];
  if (decl.chain === 'default') keys.push('previous_signature');
  expectKeys(where, src, keys);
  for (const k of keys.slice(DRAND_KEYS.length)) {
    if (typeof src[k] !== 'string' || !HEX_ANY.test(src[k])) fail(`${where}: ${k} is not lower-case hex`);
  }
  if (src.signature.length !== 2 * SIGNATURE_BYTES[decl.chain]) {
    fail(`${where}: signature of chain ${decl.chain} must be ${SIGNATURE_BYTES[decl.chain]} bytes`);
  }
  const randomness = sha256Hex(fromHex(src.signature));
  if (src.randomness !== randomness) {
    fail(`${where}: randomness expected ${randomness} (SHA-256 of signature), found ${src.randomness}`);
  }
  const problem = drandCheck(decl.chain, src.round, src.signature, src.previous_signature);
  if (problem) fail(`${where}: ${problem}`);
}

/** §11 step 3. Returns the entropy string. */
export function verifyEntropy(files, commitment) {
  const label = 'entropy.json';
  const ent = loadJson(label, files.get(label));
  expectKeys(label, ent, ['sources', 'string']);
  const declared = commitment.sources;
  if (!Array.isArray(ent.sources) || ent.sources.length !== declared.length) {
    fail(`${label}: sources: expected ${declared.length} sources as declared in commitment.json`);
  }
  ent.sources.forEach((src, n) => {
    const where = `${label}: sources[${n}]`;
    const decl = declared[n];
    if (!isObject(src)) fail(`${where}: not an object`);
    const base = Object.fromEntries(Object.keys(decl).map((k) => [k, src[k]]));
    if (!jsonEqual(base, decl) || Object.keys(decl).some((k) => !Object.hasOwn(src, k))) {
      fail(`${where}: does not equal its declaration in commitment.json`);
    }
    if (decl.kind === 'lottery') {
      expectKeys(where, src, [...LOTTERY_KEYS, 'values']);
      const v = src.values;
      if (!Array.isArray(v) || !v.length || !v.every((x) => isInt(x) && x >= 0)) {
        fail(`${where}: values is not a non-empty list of non-negative integers`);
      }
    } else {
      checkDrandValue(where, src, decl);
    }
  });
  const string = entropyString(ent.sources);
  if (ent.string !== string) fail(`${label}: string expected ${JSON.stringify(string)}, found ${JSON.stringify(ent.string)}`);
  return string;
}
