// Times the verifier page in headless Chromium on one bundle (benches/jsverify.sh calls it):
//   node --experimental-websocket web/verifier/test/bench.mjs BUNDLE_DIR
// Prints the verdict, the time measured inside the Web Worker (verification only) and the wall
// time from giving the folder to the page until the verdict shows (reading the files included).

import { launch, verifyInPage } from './cdp.mjs';
import { serve } from './serve.mjs';

const dir = process.argv[2];
const server = await serve();
const browser = await launch();
try {
  const r = await verifyInPage(browser, `${server.url}index.html`, dir, 1800);
  console.log(`  ${r.text}`);
  console.log(`  chromium: ${r.status}; wall ${r.wall.toFixed(1)} s from choosing the folder to the verdict`);
  process.exitCode = r.ok ? 0 : 1;
} finally {
  await browser.close();
  await server.close();
}
