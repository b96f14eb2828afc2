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
const SHOTS = join(ROOT, 'target/screenshots');

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
  console.log(`browser test passed; screenshots in ${SHOTS}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
