// Browser test of the results pages (run by web/test/results.sh, which starts the service and
// runs a draw): headless Chromium logs in as the job's department, approves the job and checks
// its public scan page (the signature verified in the browser) and an unknown code's; then as a
// member of a job's drawn team it enters a result on
// the job page (a refused date first: the page says why and keeps the form), the department
// publishes it, and the public 抽查结果公告 and enterprise page show it — asserting what a person
// reads. Screenshots go to target/screenshots/results-*.png.

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, waitFor } from '../verifier/test/cdp.mjs';
import { pageHelpers } from './workspace-page.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { RS_BASE: BASE, RS_INSPECTOR: INSPECTOR, RS_DEPARTMENT: DEPARTMENT, RS_JOB: JOB, RS_USCC: USCC, RS_FROM: FROM } = process.env;
assert.ok(BASE && INSPECTOR && DEPARTMENT && JOB && USCC && FROM, 'run by web/test/results.sh');

const { shot, go, settle, text, submit, chooseFile, login } = pageHelpers(BASE, 'results');

const browser = await launch();
try {
  const page = await browser.page();
  await page.cmd('Page.enable');

  // 亮码检查: the department approves the job before the check; the page shows the code and
  // its QR image; the public scan page verifies the signed statement in this browser.
  await login(page, DEPARTMENT);
  await go(page, `/workspace/jobs/${JOB}`);
  assert.match(await text(page, '#no-code'), /尚未批准/);
  await submit(page, '#approve-form', { 'approve-on': FROM });
  assert.match(await text(page, '.notice'), /已批准/);
  const code = await text(page, '#code-text');
  assert.match(code, /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}$/);
  await waitFor(page, "document.getElementById('code-qr').complete && document.getElementById('code-qr').naturalWidth > 0", 30);
  await shot(page, 'approved');
  await go(page, `/code/${code}`);
  await waitFor(page, "document.getElementById('code-check').classList.contains('ok') || document.getElementById('code-check').classList.contains('bad')", 30);
  assert.match(await text(page, '#code-verdict'), /^✔ 本次检查属于已承诺的抽查计划/);
  assert.match(await text(page, '#code-facts'), new RegExp(USCC));
  await shot(page, 'code-valid');
  await go(page, '/code/ZZZZZZZZZZZZ');
  assert.match(await text(page, '#code-check'), /✘ 不是本计划的检查/);
  await shot(page, 'code-unknown');

  await login(page, INSPECTOR);
  const menu = await text(page, '.ws-bar nav');
  assert.ok(menu.includes('检查任务与结果'), menu);
  await go(page, '/workspace/jobs');
  assert.match(await text(page, '#jobs'), new RegExp(USCC));
  await go(page, `/workspace/jobs/${JOB}`);
  assert.match(await text(page, 'h1'), new RegExp(`检查任务 ${JOB}`));
  assert.match(await text(page, '#no-result'), /尚未录入/);

  // A date in the future: refused, the form keeps what was typed, nothing written.
  await submit(page, '#result-form', { checked_on: '2099-01-01' });
  assert.match(await text(page, '.error'), /没有做任何更改.*(outside_period|in_future)/);
  assert.equal(await page.evaluate("document.getElementById('checked_on').value"), '2099-01-01');
  await shot(page, 'refused');

  // The good result.
  await submit(page, '#result-form', { checked_on: FROM, follow_up: '当场告知企业按时公示年报' });
  assert.match(await text(page, '.notice'), /已录入检查结果（第 1 版）/);
  assert.match(await text(page, '#versions'), /未发现问题/);
  await shot(page, 'entered');

  // Not public before it is published.
  await go(page, '/draws/B1/results');
  assert.match(await text(page, '#no-results'), /尚无已公示/);

  // The department publishes it.
  await login(page, DEPARTMENT); // a new login replaces the inspector's session
  await go(page, `/workspace/jobs/${JOB}`);
  await page.evaluate("document.querySelector('#versions form').submit(); true");
  await settle(page);
  assert.match(await text(page, '.notice'), /第 1 版已公示/);
  await shot(page, 'published');

  // The public sees it, on a phone too.
  await go(page, '/draws/B1/results');
  const table = await text(page, 'table.results');
  assert.match(table, new RegExp(USCC));
  assert.match(table, /未发现问题/);
  assert.match(table, /当场告知企业按时公示年报/);
  await shot(page, 'public-desktop');
  await page.cmd('Emulation.setDeviceMetricsOverride', { width: 390, height: 844, deviceScaleFactor: 1, mobile: true });
  await go(page, `/enterprises/${USCC}`);
  assert.match(await text(page, '#results'), /未发现问题/);
  await shot(page, 'enterprise-phone');
  console.log('results browser test: approval and scan page, refused entry, entry, publication, public pages: all passed');
} finally {
  await browser.close();
}
