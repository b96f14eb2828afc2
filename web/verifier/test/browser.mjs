// Browser test of the verifier page (run by web/verifier/test/browser.sh, which .ci/run calls):
// headless Chromium opens the page from a loopback server, is given a good bundle and a
// tampered one through the folder input, and we assert the verdict a person reads. Screenshots
// go to target/screenshots/.
//
//   node --experimental-websocket web/verifier/test/browser.mjs

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, screenshot, verifyInPage } from './cdp.mjs';
import { serve } from './serve.mjs';
import { sha256Hex } from '../sha256.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const VECTOR = join(ROOT, 'seeds/vectors/dr1/demo-lottery');
const LOGGED = join(ROOT, 'seeds/vectors/dr1/demo-logged');
const SHOTS = join(ROOT, 'target/screenshots');

/** A copy of demo-logged whose w2 cosignature of the prepare checkpoint claims another time
 * (one bit of its timestamp flipped), the manifest rewritten to match. */
function forgedCosignature(dir) {
  cpSync(LOGGED, dir, { recursive: true });
  const path = join(dir, 'log/prepare.json');
  const before = readFileSync(path);
  const ev = JSON.parse(before.toString('utf8'));
  const lines = ev.checkpoint.split('\n');
  const [dash, name, blob] = lines.at(-2).split(' ');
  const raw = Buffer.from(blob, 'base64');
  raw[11] ^= 1;
  lines[lines.length - 2] = `${dash} ${name} ${raw.toString('base64')}`;
  ev.checkpoint = lines.join('\n');
  const after = Buffer.from(`${JSON.stringify(ev, Object.keys(ev).sort())}\n`);
  writeFileSync(path, after);
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(sha256Hex(before), sha256Hex(after)));
}

/** A copy of the vector with one priority digit of the last team row changed and the
 * manifest rewritten to match, so only the recomputation can find it. */
function tampered(dir) {
  cpSync(VECTOR, dir, { recursive: true });
  const teams = join(dir, 'plan/teams.csv');
  const before = readFileSync(teams);
  const after = Buffer.from(before);
  after[after.length - 2] = after[after.length - 2] === 48 ? 49 : 48;
  writeFileSync(teams, after);
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(sha256Hex(before), sha256Hex(after)));
  return before.toString('utf8').split('\n').length - 1; // the changed line
}

const work = mkdtempSync(join(tmpdir(), 'jsverify-browser-'));
const server = await serve();
const browser = await launch();
try {
  const good = join(work, 'good-bundle');
  cpSync(VECTOR, good, { recursive: true });
  const expected = readFileSync(`${VECTOR}.expected`, 'utf8').trim().replace('dr1 bundle verified: ', '');
  let r = await verifyInPage(browser, `${server.url}index.html`, good);
  await screenshot(r.page, join(SHOTS, 'verifier-good.png'));
  assert.equal(r.title, '✔ 核验通过 (verified)', r.text);
  assert.equal(r.text, `dr1 bundle verified (javascript): ${expected}`);
  console.log(`good bundle: "${r.title}" ${r.text} [${r.status}]`);

  const bad = join(work, 'tampered-bundle');
  const line = tampered(bad);
  r = await verifyInPage(browser, `${server.url}index.html`, bad);
  await screenshot(r.page, join(SHOTS, 'verifier-tampered.png'));
  assert.equal(r.title, '✘ 核验未通过 (NOT verified)', r.text);
  assert.ok(r.text.startsWith(`dr1 bundle NOT verified (javascript): plan/teams.csv:${line}: expected `), r.text);
  console.log(`tampered bundle: "${r.title}" ${r.text}`);

  // Log evidence (docs/log.md §8.1): Ed25519 signatures and cosignatures checked in the worker.
  const logged = join(work, 'logged-bundle');
  cpSync(LOGGED, logged, { recursive: true });
  const loggedExpected = readFileSync(`${LOGGED}.expected`, 'utf8').trim().replace('dr1 bundle verified: ', '');
  r = await verifyInPage(browser, `${server.url}index.html`, logged);
  await screenshot(r.page, join(SHOTS, 'verifier-logged.png'));
  assert.equal(r.title, '✔ 核验通过 (verified)', r.text);
  assert.equal(r.text, `dr1 bundle verified (javascript): ${loggedExpected}`);
  console.log(`logged bundle: "${r.title}" ${r.text}`);

  const forged = join(work, 'forged-bundle');
  forgedCosignature(forged);
  r = await verifyInPage(browser, `${server.url}index.html`, forged);
  assert.equal(r.title, '✘ 核验未通过 (NOT verified)', r.text);
  assert.ok(r.text.startsWith('dr1 bundle NOT verified (javascript): log/prepare.json: checkpoint: invalid signature for key witness.test/w2'), r.text);
  console.log(`forged cosignature: "${r.title}" ${r.text}`);
  console.log(`browser test passed; screenshots in ${SHOTS}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
