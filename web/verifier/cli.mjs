#!/usr/bin/env node
// `node web/verifier/cli.mjs BUNDLE_DIR`: the JavaScript dr1 verifier from the command line
// (docs/js-verifier.md). Exit 0 and the one-line summary on stdout when everything recomputes,
// 1 and the first difference on stderr otherwise, 2 on a usage error.

import { statSync } from 'node:fs';
import { readBundle } from './node-files.mjs';
import { verifyBundle } from './verify.js';

function main(args) {
  if (args.length !== 1 || args[0] === '-h' || args[0] === '--help') {
    process.stderr.write('usage: node web/verifier/cli.mjs BUNDLE_DIR\n');
    return 2;
  }
  const dir = args[0];
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    process.stderr.write(`cli.mjs: ${dir}: not a directory\n`);
    return 2;
  }
  const verbose = process.env.JSVERIFY_PROGRESS === '1';
  let last = '';
  const verdict = verifyBundle(readBundle(dir), (p) => {
    if (verbose && p.phase !== last) {
      last = p.phase;
      const cpu = process.cpuUsage();
      process.stderr.write(`[${(performance.now() / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s cpu] ${p.label}\n`);
    }
  });
  if (verdict.ok) {
    process.stdout.write(`${verdict.summary}\n`);
    return 0;
  }
  process.stderr.write(`${verdict.message}\n`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
