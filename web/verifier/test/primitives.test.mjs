// The verifier's primitives against published vectors and Node's own crypto: SHA-256
// (FIPS 180-4), the RFC 6962 Merkle root (Certificate Transparency vectors in
// seeds/vectors/merkle/), drand BLS signatures (seeds/vectors/drand/), canonical JSON and CSV,
// GB 32100-2015 check characters, u64 arithmetic.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { csvLine, readCsv } from '../csv.js';
import { drandCheck } from '../drand.js';
import { usccValid } from '../fields.js';
import { canonicalJson } from '../json.js';
import { populationRoot } from '../merkle.js';
import { STATE, fromHex, midstate, resumeWords, sha256Hex } from '../sha256.js';
import { byteCmp, noteText } from '../text.js';
import { add64, hex16, sortByU64, sub64 } from '../u64.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const vector = (p) => JSON.parse(readFileSync(join(ROOT, 'seeds/vectors', p), 'utf8'));

test('sha256 equals node:crypto at every padding boundary', () => {
  for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65536 + 3]) {
    const b = new Uint8Array(n).map((_, i) => (i * 131 + n) & 255);
    assert.equal(sha256Hex(b), createHash('sha256').update(b).digest('hex'), `length ${n}`);
  }
  const msg = new Uint8Array(200).map((_, i) => i * 7);
  for (const [skip, len] of [[0, 10], [64, 64], [64, 100], [128, 200], [64, 119], [64, 120]]) {
    resumeWords(midstate(msg, skip), skip, msg, len);
    const words = Array.from(STATE, (w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
    assert.equal(words, createHash('sha256').update(msg.subarray(0, len)).digest('hex'), `midstate ${skip}/${len}`);
  }
  assert.equal(sha256Hex(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('population root follows the RFC 6962 reference vectors', () => {
  const v = vector('merkle/rfc6962-ct.json');
  for (let n = 0; n <= v.leaves.length; n++) {
    const parts = [new TextEncoder().encode('header\n')];
    for (const leaf of v.leaves.slice(0, n)) parts.push(fromHex(leaf), new Uint8Array([10]));
    const file = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) { file.set(p, o); o += p.length; }
    assert.equal(populationRoot(file), v.roots[n], `${n} leaves`);
  }
});

test('drand rounds of both chains verify, and not for another round', () => {
  for (const chain of ['default', 'quicknet']) {
    for (const r of vector(`drand/${chain}.json`).rounds) {
      assert.equal(drandCheck(chain, r.round, r.signature, r.previous_signature), null, `${chain} ${r.round}`);
      assert.equal(sha256Hex(fromHex(r.signature)), r.randomness);
      assert.match(drandCheck(chain, r.round + 1, r.signature, r.previous_signature), /does not verify/);
    }
  }
  assert.match(drandCheck('quicknet', 123, '00'.repeat(48), undefined), /not a valid BLS12-381 point/);
});

test('canonical JSON sorts keys by UTF-8 bytes and escapes like serde_json', () => {
  noteText('\u{10000}'); // a text outside the BMP was seen: exact code point order
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'x"\\\n\u001f\u007f'], é: '抽查', z: {} }),
    '{"a":[true,null,"x\\"\\\\\\n\\u001f\u007f"],"b":1,"z":{},"é":"抽查"}');
  assert.ok(byteCmp('\uffff', '\u{10000}') < 0, 'code point order, not UTF-16 order');
  assert.ok(byteCmp('B', 'a') < 0);
});

test('CSV: minimal quoting, quoted records over lines, canonical form enforced', () => {
  assert.equal(csvLine(['a', 'b,c', 'd"e', 'f\rg', '']), 'a,"b,c","d""e","f\rg",\n');
  const rows = [];
  readCsv('x.csv', 'h1,h2\n"a\nb",c\n', ['h1', 'h2'], (f, line) => { rows.push([f, line]); return f; });
  assert.deepEqual(rows, [[['a\nb', 'c'], 2]]);
  assert.throws(() => readCsv('x.csv', 'h1,h2\n"a",c\n', ['h1', 'h2'], (f) => f), /x\.csv:2: not in canonical form/);
  assert.throws(() => readCsv('x.csv', 'h1,h2\na,c', ['h1', 'h2'], (f) => f), /x\.csv:2: not in canonical form.*no final LF/);
  assert.throws(() => readCsv('x.csv', 'h1,h2\na\n', ['h1', 'h2'], (f) => f), /x\.csv:2: expected 2 fields, found 1/);
  assert.throws(() => readCsv('x.csv', 'h1,h3\n', ['h1', 'h2'], (f) => f), /x\.csv:1: expected header/);
});

test('GB 32100-2015 check characters', () => {
  assert.ok(usccValid('91350100M000100Y43'));
  assert.ok(!usccValid('91350100M000100Y44'));
  assert.ok(!usccValid('91350100M000100Y4'));
  assert.ok(!usccValid('91350100I000100Y43'), 'I is not in the alphabet');
});

test('u64 arithmetic wraps modulo 2^64 and the radix sort orders by (hi, lo, index)', () => {
  const out = [0, 0];
  sub64(0, 5, 0, 7, out);
  assert.equal(hex16(out[0], out[1]), 'fffffffffffffffe');
  add64(0xffffffff, 0xffffffff, 0, 0, 1, out);
  assert.equal(hex16(out[0], out[1]), '0000000000000000');
  add64(0, 0xffffffff, 0, 1, 1, out);
  assert.equal(hex16(out[0], out[1]), '0000000100000001');
  const hi = Uint32Array.from([3, 1, 3, 0, 1]);
  const lo = Uint32Array.from([0x80000000, 2, 0x80000000, 9, 1]);
  assert.deepEqual([...sortByU64(hi, lo)], [3, 4, 1, 0, 2]);
});
