// Browser test of the officials' workspace (run by web/test/workspace.sh, which starts the
// service): headless Chromium logs in, imports a CSV with errors and then a good one, and takes
// a draw through the wizard — asserting what a person reads on each page. Screenshots go to
// target/screenshots/workspace-*.png.
//
//   WS_BASE=http://127.0.0.1:8080 WS_ADMIN=dd_… WS_PLANNER=dd_… \
//     node --experimental-websocket web/test/workspace.mjs

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, waitFor } from '../verifier/test/cdp.mjs';
import { pageHelpers } from './workspace-page.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = join(ROOT, 'tests/fixtures');
const { WS_BASE: BASE, WS_ADMIN: ADMIN, WS_PLANNER: PLANNER } = process.env;
assert.ok(BASE && ADMIN && PLANNER, 'set WS_BASE, WS_ADMIN and WS_PLANNER (web/test/workspace.sh does)');

const TASKS = `id,department,group,items,regions,industries,quota_a,quota_b,quota_c,quota_d,period_from,period_to
SCJG-G,SCJG,joint,SCJG-001,,,1/2,1/2,1/2,1/2,1,4
STHJ-G,STHJ,joint,STHJ-001,,,1/2,1/2,1/2,1/2,1,4
`;
const POLICY = `key,value
year,2026
as_of,2026-01-01
periods,quarter
visit_cap_a,1
visit_cap_b,1
visit_cap_c,2
visit_cap_d,4
inspectors_per_department,2
exclusion_months,12
`;

const { shot, go, settle, text, submit, chooseFile, login } = pageHelpers(BASE, 'workspace');

const browser = await launch();
try {
  const page = await browser.page();
  await page.cmd('Page.enable');

  // Not logged in: the workspace sends a person to the login page.
  await go(page, '/workspace');
  assert.equal(await text(page, 'h1'), '登录工作台');
  await shot(page, 'login');

  await submit(page, 'form.ws', { token: 'dd_wrong' });
  assert.match(await text(page, '.error'), /令牌无效或已被吊销/);

  await login(page, ADMIN);
  const menu = await text(page, '.ws-bar nav');
  for (const label of ['数据导入', '信用修复', '抽查摇号', '检查任务与结果', '信用处置建议']) {
    assert.ok(menu.includes(label), `${label} in the admin's menu: ${menu}`);
  }
  await shot(page, 'dashboard-admin');

  // An import with errors, through the script's progress bar: the table, nothing imported.
  await go(page, '/workspace/imports');
  await page.evaluate("document.getElementById('kind').value = 'enterprises'; true");
  await chooseFile(page, '#file', join(FIXTURES, 'enterprises-bad.csv'));
  await page.evaluate("document.getElementById('import-form').requestSubmit(); true");
  await waitFor(page, "!!document.getElementById('import-errors')", 60);
  const alert = await text(page, '.error');
  assert.match(alert, /^enterprises-bad\.csv 中有 \d+ 处错误，没有导入任何数据/);
  const rows = await page.evaluate(
    "[...document.querySelectorAll('#import-errors tbody tr')].map((r) => [...r.cells].map((c) => c.innerText))",
  );
  assert.ok(rows.length >= 5, `${rows.length} error rows`);
  assert.deepEqual(rows[0].slice(0, 3), ['enterprises-bad.csv', '2', 'uscc']);
  await shot(page, 'import-errors');

  // The good file, without the script (a plain form submission).
  await go(page, '/workspace/imports');
  await page.evaluate("document.getElementById('kind').value = 'enterprises'; true");
  await chooseFile(page, '#file', join(FIXTURES, 'enterprises.csv'));
  await page.evaluate("document.getElementById('import-form').submit(); true");
  await settle(page);
  assert.match(await text(page, '.notice'), /^导入成功：enterprises\.csv/);
  await shot(page, 'import-done');

  // Logout ends the session.
  await page.evaluate("document.querySelector('.ws-bar form').submit(); true");
  await settle(page);
  assert.match(await text(page, '.notice'), /您已安全退出/);
  await go(page, '/workspace');
  assert.equal(await text(page, 'h1'), '登录工作台');

  // The draw wizard, as a planner.
  await login(page, PLANNER);
  const plannerMenu = await text(page, '.ws-bar nav');
  assert.ok(!plannerMenu.includes('信用修复'), plannerMenu);
  await go(page, '/workspace/draws');
  await page.evaluate("document.querySelector('input[name=allow_past_entropy]').checked = true; true");
  await submit(page, '#prepare-form', {
    batch: '2026-Q1',
    sources: 'lottery:福彩3D:2026001:2026-01-02',
    tasks_csv: TASKS,
    policy_csv: POLICY,
  });
  assert.equal(await text(page, 'h1'), '抽查批次 2026-Q1');
  assert.equal(await text(page, '#draw-state'), '已承诺（待录入随机源）');
  assert.match(await text(page, '#step-3 .badge'), /当前步骤/);
  assert.match(await text(page, '#commitment'), /^[0-9a-f]{64}$/);
  await shot(page, 'wizard-committed');

  // A reveal out of order (a stale tab's form, say) is refused with a clear message.
  await page.evaluate(`(() => {
    const f = document.createElement('form');
    f.method = 'post';
    f.action = '/workspace/draws/2026-Q1/reveal';
    const c = document.createElement('input');
    c.type = 'hidden'; c.name = 'csrf';
    c.value = document.querySelector('#run-form input[name=csrf]').value;
    f.appendChild(c);
    document.body.appendChild(f);
    f.submit();
    return true;
  })()`);
  await settle(page);
  assert.match(await text(page, '.error'), /^步骤顺序不对，没有做任何更改[^]*下一步是：第 3 步“录入公开随机源”/);
  assert.equal(await text(page, '#draw-state'), '已承诺（待录入随机源）');
  await shot(page, 'wizard-out-of-order');

  await submit(page, '#run-form', { 'entropy-1': '3 7 1' });
  assert.match(await text(page, '.notice'), /^抽取完成：\d+ 次检查/);
  assert.equal(await text(page, '#draw-state'), '已抽取（待揭示）');
  await shot(page, 'wizard-run');

  await page.evaluate("document.getElementById('reveal-form').submit(); true");
  await settle(page);
  assert.match(await text(page, '.notice'), /^已揭示/);
  assert.equal(await text(page, '#draw-state'), '已揭示');
  assert.match(await text(page, '#seed'), /^[0-9a-f]{64}$/);
  assert.match(await text(page, '#verification'), /verified/);
  await shot(page, 'wizard-revealed');
  console.log('workspace browser test: login, import errors, import, logout, wizard: all passed');
} finally {
  await browser.close();
}
