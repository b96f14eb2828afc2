// Browser test of the public portal (docs/portal.md), run by web/test/portal.sh: starts
// `dualdraw serve` on a fresh SQLite database (the demo city), prepares, runs and reveals a
// `dr1` draw and a `dr2` annual plan through the API, then drives headless Chromium as a person
// would — the enterprise lookup, "我的抽签公平吗？" on the revealed draw (the number and the
// verdict on the screen, also when the server lies), a malformed USCC, and the bundle verifier
// served by the service — and saves screenshots of every page at phone (390 px) and desktop
// width to target/screenshots/.
//
//   DUALDRAW_BIN=target/debug/dualdraw node --experimental-websocket web/test/portal.mjs

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, screenshot, verifyInPage, waitFor } from '../verifier/test/cdp.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = resolve(ROOT, process.env.DUALDRAW_BIN ?? 'target/debug/dualdraw');
const SHOTS = join(ROOT, 'target/screenshots');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** `dualdraw serve` in `dir` on a fresh database; resolves to { base, db, close() }. */
async function startService(dir) {
  const port = await freePort();
  const db = `sqlite://${join(dir, 'portal.db')}`;
  const proc = spawn(BIN, ['serve', '--db', db, '--bind', `127.0.0.1:${port}`], {
    cwd: dir, stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DUALDRAW_JURISDICTION_NAME: '深圳市（演示）' },
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch { /* not up yet */ }
    if (proc.exitCode !== null || i > 600) throw new Error(`dualdraw serve did not start: ${stderr}`);
    await sleep(100);
  }
  return {
    base, db,
    close: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }),
  };
}

async function api(base, token, path, body) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
  const text = await res.text();
  assert.ok(res.ok, `${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Prepares, runs and (unless `reveal` is false) reveals a draw of the demo city. */
async function draw(base, token, batch, { method = 'dr1', lottery, entropy, reveal = true }) {
  let tasks = readFileSync(join(ROOT, 'seeds/demo/tasks.csv'), 'utf8');
  let policy = readFileSync(join(ROOT, 'seeds/demo/policy.csv'), 'utf8');
  if (method === 'dr2') {
    tasks = tasks.replaceAll(',1,4\n', ',1,12\n');
    policy = policy.replace('quarter', 'month');
  }
  await api(base, token, '/api/v1/draws', {
    batch, method, sources: [lottery], allow_past_entropy: true, tasks_csv: tasks, policy_csv: policy,
  });
  if (!entropy) return;
  await api(base, token, `/api/v1/draws/${batch}/run`, { entropy: [entropy] });
  if (reveal) await api(base, token, `/api/v1/draws/${batch}/reveal`, {});
}

/** u(e) of docs/draw-protocol.md §6, computed here with Node's own SHA-256. */
function number(seedHex, uscc) {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from('dualdraw-dr1-prn\0'), Buffer.from(seedHex, 'hex'), Buffer.from(uscc)]))
    .digest('hex').slice(0, 16);
}

async function open(page, url) {
  await page.cmd('Page.navigate', { url });
  await waitFor(page, "document.readyState === 'complete'", 30);
}

const text = (page, selector) => page.evaluate(`document.querySelector(${JSON.stringify(selector)})?.innerText ?? ''`);

async function phone(page) {
  await page.cmd('Emulation.setDeviceMetricsOverride', { width: 390, height: 844, deviceScaleFactor: 1, mobile: true });
}
async function desktop(page) {
  await page.cmd('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
}

/** Both widths of the page at `url`; the phone one also checks nothing overflows sideways. */
async function shots(page, url, name) {
  await desktop(page);
  await open(page, url);
  await screenshot(page, join(SHOTS, `portal-${name}-desktop.png`));
  await phone(page);
  await open(page, url);
  const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
  assert.ok(overflow <= 0, `${name}: the page is ${overflow} px wider than a 390 px phone`);
  await screenshot(page, join(SHOTS, `portal-${name}-phone.png`));
  await desktop(page);
}

const work = mkdtempSync(join(tmpdir(), 'portal-browser-'));
const service = await startService(work);
const browser = await launch();
try {
  const { base } = service;
  const token = execFileSync(BIN, ['--db', service.db, 'token', 'create', '--role', 'planner', '--label', 'portal test'],
    { cwd: work, encoding: 'utf8' }).trim().split('\n').at(-1);
  await draw(base, token, '2026-Q1', { lottery: 'lottery:福彩3D:2026001:2026-01-02', entropy: '3 7 1' });
  await draw(base, token, '2026-plan', { method: 'dr2', lottery: 'lottery:福彩3D:2026002:2026-01-03', entropy: '5 2 8' });
  await draw(base, token, '2026-Q2', { lottery: 'lottery:福彩3D:2026090:2026-04-02' });
  const manifest = await (await fetch(`${base}/api/v1/draws/2026-Q1/files/manifest.json`)).json();
  const selections = (await (await fetch(`${base}/api/v1/draws/2026-Q1/files/plan/selections.csv`)).text())
    .trim().split('\n').slice(1).map((l) => l.split(','));
  const sampled = selections.find((f) => f[4] === 'sample');
  const [task, drawn] = sampled;
  const population = (await (await fetch(`${base}/api/v1/draws/2026-Q1/files/inputs/population.csv`)).text())
    .trim().split('\n').slice(1).map((l) => l.split(',')[0]);
  const chosen = new Set(selections.map((f) => f[1]));
  const passed = population.find((u) => !chosen.has(u));

  const page = await browser.page();
  await page.cmd('Page.enable');
  await desktop(page);

  // The lookup, as a person uses it: type part of a name, press 查询, open the enterprise.
  const name = execFileSync(BIN, ['--db', service.db, 'export', 'enterprises'], { cwd: work, encoding: 'utf8' })
    .split('\n').find((l) => l.startsWith(`${drawn},`)).split(',')[1];
  // The trade name after the city and district (深圳市龙岗区…): a suffix such as 店（个体 is shared by
  // hundreds of names and the page lists the first 50 in code order only.
  const fragment = name.slice(6, 10);
  await open(page, `${base}/enterprises`);
  await page.evaluate(`document.getElementById('q').value = ${JSON.stringify(fragment)}; document.querySelector('form.search').submit()`);
  await waitFor(page, `location.search.includes('q=') && document.readyState === 'complete'`, 30);
  const listed = await text(page, 'main table');
  assert.ok(listed.includes(name), `lookup of "${fragment}" lists ${name}: ${listed.slice(0, 300)}`);
  await screenshot(page, join(SHOTS, 'portal-lookup-desktop.png'));
  await page.evaluate(`[...document.querySelectorAll('main table a')].find((a) => a.innerText === ${JSON.stringify(name)}).click()`);
  await waitFor(page, `location.pathname === '/enterprises/${drawn}' && document.readyState === 'complete'`, 30);
  assert.equal(await text(page, 'h1'), name);
  const inspections = await text(page, 'main');
  assert.ok(inspections.includes('2026-Q1') && inspections.includes(task), `the enterprise page lists its check in 2026-Q1 ${task}`);
  console.log(`lookup: "${fragment}" → ${name} (${drawn}), drawn by ${task} in 2026-Q1`);

  // "我的抽签公平吗？" through its form, for the drawn enterprise.
  await open(page, `${base}/fair`);
  await page.evaluate(`document.querySelector('select[name=batch]').value = '2026-Q1';
    document.querySelector('input[name=uscc]').value = '${drawn}'; document.querySelector('form.search').submit()`);
  await waitFor(page, "(document.getElementById('fair-verdict')?.innerText ?? '').match(/^[✔✘]/)", 60);
  const u = number(manifest.seed, drawn);
  let verdict = await text(page, '#fair-verdict');
  const itsTasks = selections.filter((f) => f[1] === drawn).map((f) => f[0]);
  const m = verdict.match(/^✔ 核验通过：您的浏览器算出的随机数 ([0-9a-f]{16}) 与公布的一致，本企业被抽中的 (\d+) 项（(.*)）都符合规则。$/);
  assert.ok(m, verdict);
  assert.equal(m[1], u);
  assert.equal(Number(m[2]), itsTasks.length);
  assert.deepEqual(m[3].split('、').sort(), itsTasks.sort());
  const steps = await text(page, '#fair-steps');
  assert.ok(steps.includes(`任务 ${task}：ξ = `) && steps.includes('被抽中；入选概率'), steps);
  assert.ok((await text(page, '#server-number')) === u, 'the page shows the same number without JavaScript');
  await screenshot(page, join(SHOTS, 'portal-fair-drawn-desktop.png'));
  await phone(page);
  await open(page, `${base}/fair?batch=2026-Q1&uscc=${drawn}`);
  await waitFor(page, "(document.getElementById('fair-verdict')?.innerText ?? '').startsWith('✔')", 60);
  await screenshot(page, join(SHOTS, 'portal-fair-drawn-phone.png'));
  await desktop(page);
  console.log(`fair, drawn: ${verdict}`);

  // An enterprise that was not drawn.
  await open(page, `${base}/fair?batch=2026-Q1&uscc=${passed}`);
  await waitFor(page, "(document.getElementById('fair-verdict')?.innerText ?? '').match(/^[✔✘]/)", 60);
  verdict = await text(page, '#fair-verdict');
  assert.equal(verdict, `✔ 核验通过：您的浏览器算出的随机数 ${number(manifest.seed, passed)} 与公布的一致，本企业在本批次没有被抽中，符合规则。`);
  console.log(`fair, not drawn: ${verdict}`);

  // A server that lies: its proof JSON gives the enterprise another tier (so other strata).
  // The browser hashes the row into the committed root and must refuse it.
  const { identifier } = await page.cmd('Page.addScriptToEvaluateOnNewDocument', { source: `
    const real = window.fetch;
    window.fetch = async (url, opts) => {
      const r = await real(url, opts);
      if (!String(url).includes('/public/draws/')) return r;
      const j = await r.json();
      j.row = j.row.replace(/,([ABCD]),/, (m, t) => (t === 'A' ? ',D,' : ',A,'));
      return new Response(JSON.stringify(j), { status: 200, headers: { 'content-type': 'application/json' } });
    };` });
  await open(page, `${base}/fair?batch=2026-Q1&uscc=${drawn}`);
  await waitFor(page, "(document.getElementById('fair-verdict')?.innerText ?? '').match(/^[✔✘]/)", 60);
  verdict = await text(page, '#fair-verdict');
  assert.ok(verdict.startsWith('✘ 核验未通过：包含证明不成立'), verdict);
  await screenshot(page, join(SHOTS, 'portal-fair-lie-desktop.png'));
  await page.cmd('Page.removeScriptToEvaluateOnNewDocument', { identifier });
  console.log(`fair, lying server: ${verdict}`);
  const honest = await (await fetch(`${base}/public/draws/2026-Q1/proof/${drawn}`)).json();
  assert.equal(honest.number, u);
  assert.equal(honest.proof_verifies, true);

  // Not yet revealed: the row is checked, the number is not shown.
  await open(page, `${base}/fair?batch=2026-Q2&uscc=${drawn}`);
  await waitFor(page, "(document.getElementById('fair-verdict')?.innerText ?? '').match(/^[✔✘]/)", 60);
  verdict = await text(page, '#fair-verdict');
  assert.ok(verdict.startsWith('✔ 名单核验通过'), verdict);

  // A malformed USCC: a clear page with status 400, nothing else.
  const bad = `${drawn.slice(0, 17)}${drawn[17] === '0' ? '1' : '0'}`;
  const res = await fetch(`${base}/enterprises?q=${bad}`);
  assert.equal(res.status, 400);
  await open(page, `${base}/enterprises?q=${bad}`);
  const message = await text(page, '[role=alert]');
  assert.ok(message.includes(`“${bad}”不是有效的统一社会信用代码：校验码不符`), message);
  await screenshot(page, join(SHOTS, 'portal-bad-uscc-desktop.png'));
  console.log(`bad USCC: ${message}`);

  // The bundle verifier, served from the binary, on the revealed bundle as downloaded.
  const r = await verifyInPage(browser, `${base}/verify/`, join(work, 'bundles/2026-Q1'));
  assert.equal(r.title, '✔ 核验通过 (verified)', r.text);
  console.log(`verifier at /verify/: ${r.text}`);

  for (const [path, name] of [['/', 'home'], ['/items', 'items'], ['/draws', 'draws'], ['/draws/2026-Q1', 'draw'],
    [`/enterprises/${drawn}`, 'enterprise'], ['/plan/2026-plan', 'plan'], ['/log', 'log'], ['/nope', 'not-found']]) {
    await shots(page, `${base}${path}`, name);
  }
  for (const chart of ['coordination', 'tiers', 'load']) {
    await desktop(page);
    await open(page, `${base}/plan/2026-plan/${chart}.svg`);
    await screenshot(page, join(SHOTS, `portal-chart-${chart}.png`));
  }
  console.log(`portal browser test passed; screenshots in ${SHOTS}`);
} finally {
  await browser.close();
  await service.close();
  rmSync(work, { recursive: true, force: true });
}
