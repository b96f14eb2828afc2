// CSV as docs/draw-protocol.md §2 defines it: RFC 4180 with LF line endings, a field quoted
// (with `"` doubled) only if it contains `,`, `"`, CR or LF, every file ending with LF. The
// reader checks canonical form record by record: re-serializing what it parsed must give the
// record's bytes back.

import { fail, show } from './text.js';

const NEEDS_QUOTES = /[,"\r\n]/;

/** One field, quoted only where §2 requires. */
export function csvField(value) {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One record with its LF. */
export function csvLine(fields) {
  let s = '';
  for (let i = 0; i < fields.length; i++) {
    if (i) s += ',';
    s += csvField(fields[i]);
  }
  return `${s}\n`;
}

// Parses the quoted record starting at `start`; returns [fields, end] where end is just past
// its LF (or the text's end).
function parseQuoted(label, text, start, line) {
  const fields = [];
  let i = start;
  let field = '';
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) fail(`${label}:${line}: malformed CSV: unexpected end of file in a quoted field`);
        field += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const c = text.charCodeAt(i);
      if (i < text.length && c !== 44 && c !== 10) {
        fail(`${label}:${line}: malformed CSV: ',' expected after '"'`);
      }
    } else {
      let j = i;
      while (j < text.length) {
        const c = text.charCodeAt(j);
        if (c === 44 || c === 10) break;
        if (c === 34) fail(`${label}:${line}: malformed CSV: '"' inside an unquoted field`);
        j++;
      }
      field = text.slice(i, j);
      i = j;
    }
    fields.push(field);
    field = '';
    if (i >= text.length) return [fields, i];
    if (text.charCodeAt(i) === 10) return [fields, i + 1];
    i++; // the comma
  }
}

function sameFields(a, b) {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reads `text` (a decoded file) whose first record must be `header`. Calls
 * `onRow(fields, line)` for each data record (line: 1-based line of its first physical line);
 * onRow returns the record's canonical fields, which must re-serialize to the record's text.
 * Returns the number of data records.
 */
export function readCsv(label, text, header, onRow) {
  let pos = 0;
  let line = 1;
  let count = 0;
  let quote = text.indexOf('"');
  const want = csvLine(header);
  if (text.length === 0) fail(`${label}:1: expected header ${show(want)}, found end of file`);
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl + 1;
    let fields;
    let end;
    if (quote >= 0 && quote < pos) quote = text.indexOf('"', pos);
    // A record without quotes and without CR is canonical if its fields come back unchanged.
    let plain = quote < 0 || quote >= lineEnd;
    if (plain) {
      const body = text.slice(pos, nl < 0 ? text.length : nl);
      fields = body.split(',');
      end = lineEnd;
      plain = nl >= 0 && body.indexOf('\r') < 0;
    } else {
      [fields, end] = parseQuoted(label, text, pos, line);
    }
    if (line === 1) {
      const raw = text.slice(pos, end);
      if (raw !== want) fail(`${label}:1: expected header ${show(want)}, found ${show(raw)}`);
    } else {
      if (fields.length !== header.length) {
        fail(`${label}:${line}: expected ${header.length} fields, found ${fields.length}`);
      }
      const canon = onRow(fields, line);
      if (!plain || !sameFields(canon, fields)) {
        const raw = text.slice(pos, end);
        const expected = csvLine(canon);
        if (expected !== raw) {
          fail(`${label}:${line}: not in canonical form: expected ${show(expected)}, found ${show(raw)}`);
        }
      }
      count++;
    }
    for (let p = text.indexOf('\n', pos); p >= 0 && p < end - 1; p = text.indexOf('\n', p + 1)) line++;
    line++;
    pos = end;
  }
  return count;
}
