//! One sanitising policy for every format: text that came from files, peers or the
//! environment can neither drive a terminal (escape sequences), nor reorder or hide what
//! a reader sees (bidirectional overrides such as U+202E, zero-width and line-separator
//! characters), nor break the format it is embedded in. Such characters are shown as
//! visible escapes (`\u{202e}`), never dropped silently and never passed through.
//!
//! [`sanitize`] is for one-line fields (messages, ids, values), [`sanitize_block`] keeps
//! line breaks (JUnit bodies, Markdown details), [`json_escape_invisible`] turns the
//! invisible characters of serialised JSON into `\uXXXX` escapes (the same string to a
//! JSON reader, harmless on a terminal).

/// Characters that are not control characters but change how text is shown: bidi
/// embeddings, overrides, isolates and marks; zero-width characters; line and paragraph
/// separators; the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{061c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}'
    )
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_control() && (c as u32) < 0x80 {
        out.push_str(&c.escape_default().to_string());
    } else {
        out.push_str(&c.escape_unicode().to_string());
    }
}

/// One line of text made safe: control characters (line breaks and escape sequences
/// included) and invisible characters are shown escaped; a tab becomes four spaces.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() || is_invisible(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text of several lines made safe: as [`sanitize`], but `\n` stays a line break (and a
/// `\r\n` pair becomes one).
pub fn sanitize_block(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\t' => out.push_str("    "),
            c if c.is_control() || is_invisible(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Serialised JSON with every invisible character written as a `\uXXXX` escape. Such
/// characters can only occur inside JSON strings, where the escape means the same.
pub fn json_escape_invisible(json: &str) -> String {
    use std::fmt::Write as _;
    if !json.chars().any(is_invisible) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_invisible(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_neutralises_escapes_and_bidi() {
        assert_eq!(sanitize("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(sanitize("tab\there"), "tab    here");
        assert_eq!(sanitize("ok ✓ ⚠️"), "ok ✓ ⚠️");
        assert_eq!(sanitize("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(
            sanitize("x\u{2028}y\u{200b}z\u{feff}"),
            "x\\u{2028}y\\u{200b}z\\u{feff}"
        );
        assert_eq!(sanitize("l1\nl2\r"), "l1\\nl2\\r");
        assert_eq!(sanitize("c1\u{85}"), "c1\\u{85}");
    }

    #[test]
    fn blocks_keep_line_breaks_only() {
        assert_eq!(
            sanitize_block("a\r\nb\n\u{202e}c\x07"),
            "a\nb\n\\u{202e}c\\u{7}"
        );
    }

    #[test]
    fn json_stays_the_same_json() {
        let v = serde_json::json!({"m": "a\u{202e}b\u{2066}c"});
        let text = json_escape_invisible(&serde_json::to_string(&v).unwrap());
        assert_eq!(text, r#"{"m":"a\u202eb\u2066c"}"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}
