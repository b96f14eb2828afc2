// Page helpers shared by the workspace's browser tests (workspace.mjs, results.mjs): navigate,
// wait for a page, read text, submit a form as a person would without JavaScript, choose a file,
// log in, and save a full-page screenshot as target/screenshots/PREFIX-NAME.png.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../verifier/test/cdp.mjs';

const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '../../target/screenshots');

/** The helpers for a service at `base`, naming screenshots `prefix-NAME.png`. */
export function pageHelpers(base, prefix) {
  async function shot(page, name) {
    const { data } = await page.cmd('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(join(SHOTS, `${prefix}-${name}.png`), Buffer.from(data, 'base64'));
  }

  /** Navigates and waits until the page at `path` (after redirects) has loaded. */
  async function go(page, path) {
    await page.cmd('Page.navigate', { url: `${base}${path}` });
    await settle(page);
  }

  /** Waits for a new document to finish loading after a navigation or a form submission. */
  async function settle(page) {
    await new Promise((r) => setTimeout(r, 150));
    await waitFor(page, "document.readyState === 'complete' && !!document.querySelector('h1')", 30);
  }

  const text = (page, selector) =>
    page.evaluate(`(document.querySelector(${JSON.stringify(selector)}) || {}).innerText || ''`);

  /** Sets form fields by id and submits the form (a plain submission, as without JavaScript). */
  async function submit(page, formSelector, fields) {
    const set = Object.entries(fields)
      .map(([id, v]) => `document.getElementById(${JSON.stringify(id)}).value = ${JSON.stringify(v)};`)
      .join('');
    await page.evaluate(`${set} document.querySelector(${JSON.stringify(formSelector)}).submit(); true`);
    await settle(page);
  }

  async function chooseFile(page, selector, path) {
    const { root } = await page.cmd('DOM.getDocument');
    const { nodeId } = await page.cmd('DOM.querySelector', { nodeId: root.nodeId, selector });
    await page.cmd('DOM.setFileInputFiles', { nodeId, files: [path] });
  }

  async function login(page, token) {
    await go(page, '/workspace/login');
    await submit(page, 'form.ws', { token });
    assert.match(await text(page, 'h1'), /^您好/);
  }

  return { shot, go, settle, text, submit, chooseFile, login };
}
