// The Web Worker that runs the verifier's pure core off the page's thread
// (docs/js-verifier.md). In: { files: [[path, ArrayBuffer], …] }. Out: progress messages
// { type: 'progress', label, fraction } (at most every half percent), then
// { type: 'verdict', ok, text, seconds }.

import { verifyBundle } from './verify.js';

self.onmessage = (event) => {
  const files = new Map(event.data.files.map(([path, buffer]) => [path, new Uint8Array(buffer)]));
  const started = performance.now();
  let last = -1;
  let lastLabel = '';
  try {
    const v = verifyBundle(files, (p) => {
      if (p.fraction - last >= 0.005 || p.label !== lastLabel) {
        last = p.fraction;
        lastLabel = p.label;
        self.postMessage({ type: 'progress', label: p.label, fraction: p.fraction });
      }
    });
    const seconds = (performance.now() - started) / 1000;
    self.postMessage({ type: 'verdict', ok: v.ok, text: v.ok ? v.summary : v.message, seconds });
  } catch (e) {
    self.postMessage({ type: 'verdict', ok: false, text: `verifier error: ${e.message}`, seconds: 0 });
  }
};
