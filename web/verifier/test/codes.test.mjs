// Inspection code statements (docs/results.md §12.3) as the scan page checks them
// (web/verifier/codes.js): a statement signed by the published key verifies and its fields are
// read; a changed line, a statement for another code, a signature by another key of the same
// name and a malformed key are refused with the reason.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ed25519 from '../ed25519.js';
import { checkStatement, parseStatement } from '../codes.js';
import { ALG_ED25519, Verifier, signNote, verifierKeyString } from '../tlog.js';

const key = (byte) => {
  const seed = new Uint8Array(32).fill(byte);
  return [new Verifier('codes.default', ALG_ED25519, ed25519.publicKey(seed)), seed];
};

const TEXT = 'dualdraw/inspection-code/v1\ncode ABCDEFGHJKMN\njurisdiction default\nbatch B1\n'
  + `commitment-sha256 ${'ab'.repeat(32)}\nvisit V0001\nuscc 91440300708461136T\nenterprise 深圳某某有限公司\n`
  + 'department SCJG\nperiod 2026-01-01 2026-03-31\napproved 2026-01-02\n'
  + 'inspector SCJG-0001 440300-0001 张 三\ninspector SCJG-0002 440300-0002 李四\n';

test('a statement signed by the published key verifies and reads', () => {
  const [v, seed] = key(1);
  const r = checkStatement(signNote(TEXT, [[v, seed]]), `${verifierKeyString(v)}\n`, 'ABCDEFGHJKMN');
  assert.equal(r.ok, true, r.reason);
  assert.equal(r.fields.batch, 'B1');
  assert.equal(r.fields.enterprise, '深圳某某有限公司');
  assert.equal(r.fields.period_to, '2026-03-31');
  assert.deepEqual(r.fields.inspectors[0], { id: 'SCJG-0001', certificate_no: '440300-0001', name: '张 三' });
  assert.equal(r.fields.inspectors.length, 2);
});

test('forged statements are refused', () => {
  const [v, seed] = key(1);
  const vkey = verifierKeyString(v);
  const good = signNote(TEXT, [[v, seed]]);
  const changed = good.replace('department SCJG', 'department STHJ');
  assert.equal(checkStatement(changed, vkey, 'ABCDEFGHJKMN').ok, false);
  assert.match(checkStatement(changed, vkey, 'ABCDEFGHJKMN').reason, /invalid signature/);
  const other = checkStatement(good, vkey, 'ZZZZZZZZZZZZ');
  assert.equal(other.ok, false);
  assert.match(other.reason, /not ZZZZZZZZZZZZ/);
  const [w, wseed] = key(2);
  assert.equal(checkStatement(signNote(TEXT.replace('SCJG-0002', 'SCJG-0009'), [[w, wseed]]), vkey, 'ABCDEFGHJKMN').ok, false);
  assert.equal(checkStatement(good, 'not a key', 'ABCDEFGHJKMN').ok, false);
  assert.throws(() => parseStatement('something else\n'), /not a code statement/);
});

test('a v2 statement names its version; a superseded version still verifies', () => {
  const [v, seed] = key(1);
  const vkey = verifierKeyString(v);
  const v1 = TEXT.replace('inspection-code/v1\ncode ABCDEFGHJKMN\n', 'inspection-code/v2\ncode ABCDEFGHJKMN\nversion 1\n');
  const v2 = v1.replace('version 1', 'version 2').replace('SCJG-0002 440300-0002 李四', 'SCJG-0003 440300-0003 王五');
  const first = checkStatement(signNote(v1, [[v, seed]]), vkey, 'ABCDEFGHJKMN');
  const second = checkStatement(signNote(v2, [[v, seed]]), vkey, 'ABCDEFGHJKMN');
  assert.equal(first.ok, true, first.reason);
  assert.equal(second.ok, true, second.reason);
  assert.equal(first.fields.version, '1');
  assert.equal(second.fields.version, '2');
  assert.equal(second.fields.inspectors[1].id, 'SCJG-0003');
  assert.throws(() => parseStatement('dualdraw/inspection-code/v3\ncode X\n'), /not a code statement/);
});
