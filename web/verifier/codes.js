// Inspection codes (docs/results.md §12): checks a code statement — a C2SP signed note — with
// the published code key, and reads its fields. Used by the scan page (web/assets/code.js) and
// by anyone who downloads a statement and the key.

import { TlogError, openNote, parseVerifierKey } from './tlog.js';

export const HEADER = 'dualdraw/inspection-code/v2';
/** Statements signed before versions were kept (no `version` line) stay verifiable. */
export const HEADERS = ['dualdraw/inspection-code/v1', HEADER];

const DEC = new TextDecoder('utf-8', { fatal: true });

/** The fields of a statement's text: { code, version, jurisdiction, batch, ..., inspectors: [{id, certificate_no, name}] }. */
export function parseStatement(text) {
  const lines = text.split('\n').slice(0, -1);
  if (!HEADERS.includes(lines[0])) throw new TlogError(`not a code statement: the first line is not ${HEADER}`);
  const out = { inspectors: [] };
  for (const line of lines.slice(1)) {
    const sp = line.indexOf(' ');
    const [key, value] = sp < 0 ? [line, ''] : [line.slice(0, sp), line.slice(sp + 1)];
    if (key === 'inspector') {
      const [id, certificate_no, ...name] = value.split(' ');
      out.inspectors.push({ id, certificate_no, name: name.join(' ') });
    } else if (key === 'period') {
      [out.period_from, out.period_to] = value.split(' ');
    } else {
      out[key.replace(/-/g, '_')] = value;
    }
  }
  return out;
}

/**
 * Checks the signed statement `note` (text) for `code` with the verifier key `vkey` (text).
 * Returns { ok: true, fields } or { ok: false, reason }.
 */
export function checkStatement(note, vkey, code) {
  try {
    const { note: parsed } = openNote(note, [parseVerifierKey(vkey.trim())]);
    const fields = parseStatement(DEC.decode(parsed.text));
    if (fields.code !== code) throw new TlogError(`the statement is for code ${fields.code}, not ${code}`);
    return { ok: true, fields };
  } catch (e) {
    return { ok: false, reason: e.message };
  }
}
