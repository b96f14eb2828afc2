// `node web/verifier/test/microbench.mjs [--chromium]`: the measurements of microbench.js in Node
// and, with --chromium, in headless Chromium (a page served on loopback).
import { run } from './microbench.js';
import { launch, waitFor } from './cdp.mjs';
import { serve } from './serve.mjs';

const print = (where, r) => {
  for (const [k, v] of Object.entries(r)) console.log(`  ${where}: ${k}: ${v.toFixed(0)} ms`);
};
print('node', await run());
if (process.argv.includes('--chromium')) {
  const server = await serve();
  const browser = await launch();
  try {
    const page = await browser.page();
    await page.cmd('Page.navigate', { url: `${server.url}index.html` });
    await waitFor(page, "document.readyState === 'complete'", 30);
    print('chromium', await page.evaluate("import('./test/microbench.js').then((m) => m.run())"));
  } finally {
    await browser.close();
    await server.close();
  }
}
