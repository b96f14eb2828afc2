//! Rows of `dr1` CSV files written one line at a time (`docs/draw-protocol.md` §2): RFC 4180
//! with LF, a field quoted (with `"` doubled) only if it contains `,`, `"`, CR or LF. The same
//! bytes as [`crate::inputs::csv_text`], without building a file in memory.

/// Whether a field must be quoted.
fn needs_quotes(field: &[u8]) -> bool {
    field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// Appends one field to a line being built.
pub fn push_field(line: &mut Vec<u8>, field: &[u8]) {
    if needs_quotes(field) {
        line.push(b'"');
        for &b in field {
            if b == b'"' {
                line.push(b'"');
            }
            line.push(b);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(field);
    }
}

/// Replaces `line` with the fields joined by `,` (no line terminator).
pub fn set_row<'a>(line: &mut Vec<u8>, fields: impl IntoIterator<Item = &'a [u8]>) {
    line.clear();
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_field(line, f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_the_csv_writer_writes() {
        let rows: Vec<Vec<String>> = vec![
            vec!["a".into(), "".into(), "b,c".into()],
            vec!["say \"hi\"".into(), "x\ry".into(), "z\n".into()],
            vec!["".into(), "".into(), "".into()],
        ];
        let expected = crate::inputs::csv_text(&["h1", "h2", "h3"], rows.clone().into_iter());
        let mut text = b"h1,h2,h3\n".to_vec();
        let mut line = Vec::new();
        for r in &rows {
            set_row(&mut line, r.iter().map(|f| f.as_bytes()));
            text.extend_from_slice(&line);
            text.push(b'\n');
        }
        assert_eq!(String::from_utf8(text).unwrap(), expected);
    }
}
