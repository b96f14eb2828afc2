// A minimal Chrome DevTools Protocol client for the browser test and the benchmark: starts
// headless Chromium on loopback, opens a page, and sends commands over the built-in WebSocket
// (Node 20 needs --experimental-websocket). No download: it runs the installed /usr/bin/chromium.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Starts Chromium; returns { page(url), close() }. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'jsverify-chromium-'));
  const proc = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${profile}`, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
    '--window-size=1000,900', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  let active = null;
  for (let i = 0; i < 300 && !active; i++) {
    try {
      const lines = readFileSync(join(profile, 'DevToolsActivePort'), 'utf8').split('\n');
      // Chromium may not have written both lines yet (port, then browser path).
      if (lines.length >= 2 && lines[0] && lines[1].startsWith('/devtools/')) active = lines;
      else await sleep(100);
    } catch {
      if (proc.exitCode !== null) throw new Error(`chromium exited: ${stderr}`);
      await sleep(100);
    }
  }
  if (!active) {
    proc.kill('SIGTERM');
    throw new Error(`chromium did not start: ${stderr}`);
  }
  const ws = new WebSocket(`ws://127.0.0.1:${active[0]}${active[1]}`);
  await new Promise((ok, err) => { ws.onopen = ok; ws.onerror = err; }).catch((e) => {
    proc.kill('SIGTERM');
    throw e;
  });
  let nextId = 1;
  const pending = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.err(new Error(`${p.method}: ${msg.error.message}`));
    else p.ok(msg.result);
  };
  // A command Chromium never answers fails after CDP_TIMEOUT_MS (default 120 s) with its name,
  // instead of hanging the test run.
  const limit = Number(process.env.CDP_TIMEOUT_MS ?? 120000);
  const send = (method, params = {}, sessionId = undefined) => new Promise((ok, err) => {
    const id = nextId++;
    const timer = setTimeout(() => {
      pending.delete(id);
      err(new CdpTimeout(`${method}: no answer from Chromium within ${limit} ms`));
    }, limit);
    const done = (f) => (v) => { clearTimeout(timer); f(v); };
    pending.set(id, { ok: done(ok), err: done(err), method });
    ws.send(JSON.stringify({ id, method, params, sessionId }));
  });
  return {
    async page() {
      const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
      const cmd = (method, params) => send(method, params, sessionId);
      const evaluate = async (expression) => {
        const r = await cmd('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.text}`);
        return r.result.value;
      };
      return { cmd, evaluate };
    },
    async close() {
      ws.close();
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      } catch {
        // Chromium's helper processes may still be writing; the directory is in tmp.
      }
    },
  };
}

/** Polls `expression` in the page until it is truthy (or fails after `seconds`). */
export async function waitFor(page, expression, seconds) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const v = await page.evaluate(expression);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${seconds} s waiting for ${expression}`);
    await sleep(100);
  }
}

/** Opens the verifier page at `url`, gives it the bundle directory `dir` through its folder
 * input, and returns { ok, title, text, seconds, page } once the verdict shows. */
export async function verifyInPage(browser, url, dir, seconds = 600) {
  const page = await browser.page();
  await page.cmd('Page.enable');
  await page.cmd('Page.navigate', { url });
  await waitFor(page, "document.readyState === 'complete' && !!document.getElementById('folder')", 30);
  const { root } = await page.cmd('DOM.getDocument');
  const { nodeId } = await page.cmd('DOM.querySelector', { nodeId: root.nodeId, selector: '#folder' });
  const started = Date.now();
  // Chromium lists no files under a symbolic link: give it the real directory.
  await page.cmd('DOM.setFileInputFiles', { nodeId, files: [realpathSync(dir)] });
  await waitFor(page, 'document.body.dataset.verdict', seconds);
  const wall = (Date.now() - started) / 1000;
  const title = await page.evaluate("document.getElementById('verdict-title').innerText");
  const text = await page.evaluate("document.getElementById('verdict-text').innerText");
  const status = await page.evaluate("document.getElementById('status').innerText");
  const ok = (await page.evaluate('document.body.dataset.verdict')) === 'ok';
  return { ok, title, text, status, wall, page };
}

/** Saves a PNG screenshot of the page. */
/** A command that Chromium did not answer in time. */
export class CdpTimeout extends Error {}

/**
 * Saves a PNG of the page. Headless Chromium now and then never answers a capture; a screenshot
 * is evidence for a person, not an assertion, so that case is reported and the test goes on.
 */
export async function screenshot(page, path) {
  let data;
  try {
    // The page is a second tab beside the launch's about:blank: brought to the front, it is
    // drawn, and the capture has a frame to answer with (a background tab may not be drawn).
    await page.cmd('Page.bringToFront');
    ({ data } = await page.cmd('Page.captureScreenshot', { format: 'png' }));
  } catch (e) {
    if (!(e instanceof CdpTimeout)) throw e;
    console.warn(`screenshot ${path} not saved: ${e.message}`);
    return;
  }
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.from(data, 'base64'));
}
