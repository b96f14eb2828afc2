#!/usr/bin/env node
// `node web/verifier/cli.mjs BUNDLE_DIR`: the JavaScript dr1 verifier from the command line
// (docs/js-verifier.md). Exit 0 and the one-line summary on stdout when everything recomputes,
// 1 and the first difference on stderr otherwise, 2 on a usage error. `--log-key VKEY`
// [`--witness VKEY`]... [`--quorum Q`] check the log evidence with these keys instead of the
// bundle's log/keys.json (docs/log.md §8.1; quorum: all the witnesses given).

import { statSync } from 'node:fs';
import { TlogError, makeKeys, parseVerifierKey } from './log.js';
import { readBundle } from './node-files.mjs';
import { verifyBundle } from './verify.js';

const USAGE = 'usage: node web/verifier/cli.mjs BUNDLE_DIR [--log-key VKEY [--witness VKEY]... [--quorum Q]]';

/** { dir, keys or null } as verifiers/python/verify_dr1.py reads them; throws a usage message. */
function parseArgs(args) {
  if (!args.length || args[0] === '-h' || args[0] === '--help' || args[0].startsWith('--')) throw new Error(USAGE);
  let logKey = null;
  let quorum = null;
  const witnesses = [];
  for (let i = 1; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined || !['--log-key', '--witness', '--quorum'].includes(flag)) throw new Error(USAGE);
    if (flag === '--quorum') {
      if (!/^[0-9]+$/.test(value)) throw new Error(`--quorum '${value}': not a whole number`);
      quorum = Number(value);
    } else {
      let key;
      try {
        key = parseVerifierKey(value);
      } catch (e) {
        if (e instanceof TlogError) throw new Error(`${flag}: ${e.message}`);
        throw e;
      }
      if (flag === '--log-key') logKey = key;
      else witnesses.push(key);
    }
  }
  if (logKey === null) {
    if (witnesses.length || quorum !== null) throw new Error('--witness and --quorum need --log-key');
    return { dir: args[0], keys: null };
  }
  try {
    return { dir: args[0], keys: makeKeys(logKey, witnesses, quorum ?? witnesses.length, 'command line') };
  } catch (e) {
    if (e instanceof TlogError) throw new Error(e.message);
    throw e;
  }
}

function main(args) {
  let dir;
  let keys;
  try {
    ({ dir, keys } = parseArgs(args));
  } catch (e) {
    process.stderr.write(e.message === USAGE ? `${USAGE}\n` : `cli.mjs: ${e.message}\n`);
    return 2;
  }
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
  }, { keys });
  if (verdict.ok) {
    process.stdout.write(`${verdict.summary}\n`);
    return 0;
  }
  process.stderr.write(`${verdict.message}\n`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
