// `node --test web/verifier/test/`: the JavaScript verifier accepts every bundle of
// seeds/vectors/dr1/ (with the Rust verifier's counts and seed from its .expected file) and
// rejects tampered copies, naming the first difference (docs/draw-protocol.md §11).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../json.js';
import { readBundle } from '../node-files.mjs';
import { sha256Hex } from '../sha256.js';
import { verifyBundle } from '../verify.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const VECTORS = join(ROOT, 'seeds/vectors/dr1');
const CLI = join(ROOT, 'web/verifier/cli.mjs');
const PREFIX = 'dr1 bundle NOT verified (javascript): ';
const bundles = readdirSync(VECTORS, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
const text = (b) => new TextDecoder().decode(b);
const bytes = (s) => new TextEncoder().encode(s);

/** A copy of the vector's files, loaded once per test. */
function load(name) {
  return readBundle(join(VECTORS, name));
}

/** Rewrites the manifest to match every other file (a forger's first move). */
function rewriteManifest(files) {
  const manifest = JSON.parse(text(files.get('manifest.json')));
  for (const path of Object.keys(manifest.files)) manifest.files[path] = sha256Hex(files.get(path));
  manifest.commitment_sha256 = manifest.files['commitment.json'];
  files.set('manifest.json', bytes(`${canonicalJson(manifest)}\n`));
}

/** Changes one character of line `line` (1-based) of a file, keeping its length. */
function changeLine(files, path, line, at = -1) {
  const lines = text(files.get(path)).split('\n');
  const l = lines[line - 1];
  const i = at < 0 ? l.length + at : at;
  const c = l[i] === '0' ? '1' : l[i] === '1' ? '2' : '0';
  lines[line - 1] = l.slice(0, i) + c + l.slice(i + 1);
  files.set(path, bytes(lines.join('\n')));
}

function rejected(files, expectedStart) {
  const v = verifyBundle(files);
  assert.equal(v.ok, false, `accepted: ${v.summary}`);
  assert.ok(v.message.startsWith(PREFIX + expectedStart), `${v.message}\ndoes not start with ${expectedStart}`);
  return v.message;
}

test('the vector directory holds bundles', () => {
  assert.ok(bundles.length >= 2, `bundles: ${bundles}`);
});

for (const name of bundles) {
  test(`${name}: verified with the Rust verifier's counts and seed`, () => {
    const phases = [];
    const v = verifyBundle(load(name), (p) => phases.push(p.fraction));
    assert.equal(v.ok, true, v.message);
    assert.ok(v.summary.startsWith('dr1 bundle verified (javascript): '), v.summary);
    const expected = join(VECTORS, `${name}.expected`);
    if (existsSync(expected)) {
      const tail = readFileSync(expected, 'utf8').trim().replace(/^dr1 bundle verified: /, '');
      assert.equal(v.summary, `dr1 bundle verified (javascript): ${tail}`);
    }
    assert.ok(phases.length > 5 && phases.at(-1) === 1, 'progress reported up to 1');
    assert.ok(phases.every((f, i) => i === 0 || f >= phases[i - 1]), 'progress never goes back');
  });

  test(`${name}: a changed byte in any file is found by its digest`, () => {
    for (const path of load(name).keys()) {
      if (path === 'manifest.json') continue;
      const files = load(name);
      const b = files.get(path).slice();
      b[Math.floor(b.length / 2)] ^= 1;
      files.set(path, b);
      rejected(files, `${path}: SHA-256 expected`);
    }
  });

  test(`${name}: a changed plan line with a rewritten manifest is named by file and line`, () => {
    for (const plan of ['strata.csv', 'selections.csv', 'passed-over.csv', 'visits.csv', 'teams.csv', 'failures.csv']) {
      const path = `plan/${plan}`;
      const files = load(name);
      const lines = text(files.get(path)).split('\n').length - 1;
      if (lines < 2) continue;
      changeLine(files, path, lines, plan === 'failures.csv' ? 5 : -1);
      rewriteManifest(files);
      rejected(files, `${path}:${lines}: expected `);
    }
  });

  test(`${name}: changed inputs with a rewritten manifest contradict the commitment`, () => {
    for (const input of ['population.csv', 'tasks.csv', 'inspectors.csv', 'history.csv', 'policy.csv', 'items.csv']) {
      const files = load(name);
      changeLine(files, `inputs/${input}`, 2);
      rewriteManifest(files);
      rejected(files, `inputs/${input}: SHA-256 expected`);
    }
  });

  test(`${name}: a wrong secret, a changed seed, a rewritten commitment are rejected`, () => {
    let files = load(name);
    files.set('secret.txt', bytes(`${'ab'.repeat(32)}\n`));
    rewriteManifest(files);
    rejected(files, 'secret.txt: does not match secret_commitment');

    files = load(name);
    const manifest = JSON.parse(text(files.get('manifest.json')));
    manifest.seed = sha256Hex(bytes('another seed'));
    files.set('manifest.json', bytes(`${canonicalJson(manifest)}\n`));
    rejected(files, 'manifest.json: seed expected');

    files = load(name);
    const commitment = JSON.parse(text(files.get('commitment.json')));
    commitment.population_size += 1;
    files.set('commitment.json', bytes(`${canonicalJson(commitment)}\n`));
    rewriteManifest(files);
    rejected(files, 'commitment.json: population_size');

    files = load(name);
    const entropy = JSON.parse(text(files.get('entropy.json')));
    const lottery = entropy.sources.find((s) => s.kind === 'lottery');
    lottery.values[0] += 1;
    files.set('entropy.json', bytes(`${canonicalJson(entropy)}\n`));
    rewriteManifest(files);
    rejected(files, 'entropy.json: string expected');
    // ...and with the string rewritten too, the seed no longer matches.
    entropy.string = entropy.sources.map((s) => (s.kind === 'lottery'
      ? [...s.values].sort((a, b) => a - b).map((v) => `${v}.`).join('') : `${s.randomness}.`) + '/').join('');
    files.set('entropy.json', bytes(`${canonicalJson(entropy)}\n`));
    rewriteManifest(files);
    rejected(files, 'manifest.json: seed expected');
  });

  test(`${name}: files added, missing or renamed are rejected`, () => {
    let files = load(name);
    files.set('plan/extra.csv', bytes('x\n'));
    rejected(files, 'plan/extra.csv: file not listed in manifest.json');
    files = load(name);
    files.delete('plan/teams.csv');
    rejected(files, 'plan/teams.csv: listed in manifest.json but missing');
    files = load(name);
    files.delete('manifest.json');
    rejected(files, 'manifest.json: missing');
  });
}

test('a run (not revealed) bundle: rules checked on the plan, breaking one is named', () => {
  // A bundle without log evidence whose inspectors belong to more than one department.
  const name = bundles.find((b) => {
    const files = load(b);
    const depts = new Set(text(files.get('inputs/inspectors.csv')).split('\n').slice(1).map((l) => l.split(',')[1]).filter(Boolean));
    return depts.size > 1 && !files.has('log/keys.json');
  });
  assert.ok(name, 'a vector with two departments');
  const asRun = () => {
    const files = load(name);
    files.delete('secret.txt');
    const manifest = JSON.parse(text(files.get('manifest.json')));
    delete manifest.seed;
    delete manifest.files['secret.txt'];
    manifest.state = 'run';
    files.set('manifest.json', bytes(`${canonicalJson(manifest)}\n`));
    return files;
  };
  const v = verifyBundle(asRun());
  assert.equal(v.ok, true, v.message);
  assert.match(v.summary, /; run, not yet revealed \(plan rules checked, not recomputed\); no log evidence$/);

  // A team member moved to another inspector of another department.
  let files = asRun();
  const teams = text(files.get('plan/teams.csv')).split('\n');
  const [visit, dept, inspector] = teams[1].split(',');
  const other = text(files.get('inputs/inspectors.csv')).split('\n').slice(1)
    .map((l) => l.split(',')).find((f) => f[1] && f[1] !== dept)[0];
  teams[1] = teams[1].replace(`,${inspector},`, `,${other},`);
  files.set('plan/teams.csv', bytes(teams.join('\n')));
  rewriteManifest(files);
  rejected(files, `plan/teams.csv:2: rule: ${other} does not belong to department ${dept}`);

  // A visit moved out of its task's window.
  files = asRun();
  const visits = text(files.get('plan/visits.csv')).split('\n');
  const f = visits[1].split(',');
  f[5] = '13';
  visits[1] = f.join(',');
  files.set('plan/visits.csv', bytes(visits.join('\n')));
  rewriteManifest(files);
  rejected(files, 'plan/visits.csv:2: rule: period 13 outside task');
  assert.ok(visit);
});

test('a drand signature that is not the round\'s is rejected by the BLS check', () => {
  const name = bundles.find((b) => text(load(b).get('entropy.json')).includes('"drand"'));
  assert.ok(name, 'a vector with a drand source');
  const files = load(name);
  const entropy = JSON.parse(text(files.get('entropy.json')));
  const drand = entropy.sources.find((s) => s.kind === 'drand');
  drand.round += 1; // a valid signature, but of another round
  files.set('entropy.json', bytes(`${canonicalJson(entropy)}\n`));
  rewriteManifest(files);
  // the declaration says the old round
  rejected(files, 'entropy.json: sources[0]: does not equal its declaration');
  const commitment = JSON.parse(text(files.get('commitment.json')));
  commitment.sources.find((s) => s.kind === 'drand').round += 1;
  files.set('commitment.json', bytes(`${canonicalJson(commitment)}\n`));
  rewriteManifest(files);
  const message = rejected(files, 'entropy.json: sources[0]: drand round');
  assert.match(message, /BLS signature does not verify against the pinned quicknet key/);
});

test('cli: exit 0 with the summary, 1 with the first difference, 2 on usage errors', () => {
  const name = bundles[0];
  let r = spawnSync(process.execPath, [CLI, join(VECTORS, name)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^dr1 bundle verified \(javascript\): \d+ enterprises/);

  const dir = mkdtempSync(join(tmpdir(), 'jsverify-'));
  try {
    for (const [path, data] of load(name)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), data);
    }
    const teams = join(dir, 'plan/teams.csv');
    const b = readFileSync(teams);
    b[b.length - 2] = b[b.length - 2] === 48 ? 49 : 48;
    writeFileSync(teams, b);
    r = spawnSync(process.execPath, [CLI, dir], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /^dr1 bundle NOT verified \(javascript\): plan\/teams.csv: SHA-256 expected/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  r = spawnSync(process.execPath, [CLI], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  r = spawnSync(process.execPath, [CLI, join(dir, 'nowhere')], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not a directory/);
});
