//! granit's scanner tokens with PyYAML's marks.
//!
//! yamllint's token rules (`indentation`, and `line-length`'s inline-mapping exemption)
//! read PyYAML's token marks. granit emits the same token sequence, but three marks differ:
//!
//! * a `BlockEntry` starts where the entry's content starts (after `- `); PyYAML puts it
//!   on the `-` itself, one character long;
//! * a `Value` is zero-width; PyYAML's covers the `:`;
//! * a block scalar starts at its first content line; PyYAML starts it at the `|`/`>`
//!   indicator (the header line).
//!
//! [`scan`] returns the tokens with those marks moved to PyYAML's positions, so a rule
//! written against PyYAML's marks can be ported line for line.

use granit_parser::{ErrorKind, ScalarStyle, ScanError, Scanner, StrInput, TokenType};

/// The token kinds yamllint's rules distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    StreamStart,
    StreamEnd,
    Directive,
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias,
    Anchor,
    Tag,
    Scalar,
}

/// A position: 0-based line, 0-based column in characters, byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

/// One token with PyYAML's start and end marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: Mark,
    pub end: Mark,
    /// Scalars only: the style (`None` for other tokens).
    pub style: Option<ScalarStyle>,
    /// Scalars only: the scalar's value is the empty string.
    pub empty: bool,
}

/// The token stream of `buffer`, as far as the scanner gets.
///
/// The second value is `true` when scanning stopped on an error (the tokens before it are
/// returned, as PyYAML hands them out before raising). Holds every token: for a whole
/// file, [`each_linted`] visits the same tokens with four at a time in memory.
#[must_use]
pub fn scan(buffer: &str) -> (Vec<Token>, bool) {
    let mut tokens = Vec::new();
    let error = scan_each(buffer, |token| tokens.push(token));
    let Some(error) = error else {
        return (tokens, false);
    };
    match rescan_at(buffer, &error) {
        Some((prefix, at)) => {
            let mut head = Vec::new();
            scan_each(prefix, |token| {
                if keep_before(&token, at) {
                    head.push(token);
                }
            });
            if head.len() > tokens.len() {
                (head, false)
            } else {
                (tokens, true)
            }
        }
        None => (tokens, true),
    }
}

/// yamllint's view of the token stream, one token at a time: `step` gets each token that
/// yamllint's token rules would see, with the one before it and the two after it. PyYAML
/// hands a token to the rules only once it has scanned the two after it (or the stream
/// has ended), so after a scanning error the last two tokens of [`scan`] are not linted.
/// Only those four tokens are held, whatever the size of the text (a 4 MB file has over a
/// million tokens; the whole stream took 70 MB).
///
/// `init` makes the rule's state. After a scanning error PyYAML scans past (see [`scan`]),
/// the text before the error is scanned again with a second state from `init`, and the
/// state of the scan whose tokens [`scan`] would keep is returned.
pub fn each_linted<S>(
    buffer: &str,
    mut init: impl FnMut() -> S,
    mut step: impl FnMut(&mut S, Option<&Token>, &Token, Option<&Token>, Option<&Token>),
) -> S {
    let mut state = init();
    let mut window = Window::default();
    let mut count = 0usize;
    let error = scan_each(buffer, |token| {
        count += 1;
        window.push(token, &mut |p, t, n, nn| step(&mut state, p, t, n, nn));
    });
    let Some(error) = error else {
        window.flush(&mut |p, t, n, nn| step(&mut state, p, t, n, nn));
        return state;
    };
    // Stopped on an error: the last two tokens are never linted, and the window holds
    // exactly those.
    let Some((prefix, at)) = rescan_at(buffer, &error) else {
        return state;
    };
    let mut head_state = init();
    let mut head = Window::default();
    let mut head_count = 0usize;
    scan_each(prefix, |token| {
        if keep_before(&token, at) {
            head_count += 1;
            head.push(token, &mut |p, t, n, nn| step(&mut head_state, p, t, n, nn));
        }
    });
    if head_count > count {
        head.flush(&mut |p, t, n, nn| step(&mut head_state, p, t, n, nn));
        head_state
    } else {
        state
    }
}

/// The last tokens scanned: one is handed on once the two after it are scanned.
#[derive(Default)]
struct Window {
    prev: Option<Token>,
    ahead: std::collections::VecDeque<Token>,
}

type Step<'s> = dyn FnMut(Option<&Token>, &Token, Option<&Token>, Option<&Token>) + 's;

impl Window {
    fn push(&mut self, token: Token, step: &mut Step<'_>) {
        self.ahead.push_back(token);
        if self.ahead.len() == 3 {
            self.advance(step);
        }
    }

    fn flush(&mut self, step: &mut Step<'_>) {
        while !self.ahead.is_empty() {
            self.advance(step);
        }
    }

    fn advance(&mut self, step: &mut Step<'_>) {
        let Some(token) = self.ahead.pop_front() else {
            return;
        };
        step(
            self.prev.as_ref(),
            &token,
            self.ahead.front(),
            self.ahead.get(1),
        );
        self.prev = Some(token);
    }
}

/// granit refuses at scanning time what PyYAML's scanner lets through to its parser
/// (`-` inside a flow collection, as in a template's `{{- x }}`; text after a quoted
/// scalar, as in a JSON line `"a": "b",`). PyYAML's token rules see every token up to
/// there: the text before the error is scanned on its own (with the byte offset of the
/// error), and its tokens that start before it are kept (not the block ends and stream
/// end its end of input adds). The prefix may end inside a collection (an unclosed `{{`):
/// its own error is at its end, after every token kept.
fn rescan_at<'b>(buffer: &'b str, error: &ScanError) -> Option<(&'b str, usize)> {
    if !pyyaml_scans_past(error) {
        return None;
    }
    let at = error.marker().byte_offset().unwrap_or(0).min(buffer.len());
    buffer.get(..at).map(|prefix| (prefix, at))
}

/// A token of the rescanned prefix that PyYAML's scanner also hands out.
fn keep_before(token: &Token, at: usize) -> bool {
    token.start.byte < at || token.kind == Kind::StreamStart
}

/// Scanner errors PyYAML does not raise while scanning (its parser does, later).
fn pyyaml_scans_past(error: &ScanError) -> bool {
    matches!(
        error.kind(),
        ErrorKind::BlockEntryInFlowCollection
            | ErrorKind::InvalidTrailingSingleQuotedScalar
            | ErrorKind::InvalidTrailingDoubleQuotedScalar
    )
}

/// granit's tokens with PyYAML's marks, each handed to `emit` as it is scanned, and the
/// scanning error that stopped them.
fn scan_each(buffer: &str, mut emit: impl FnMut(Token)) -> Option<ScanError> {
    let lines = LineStarts::new(buffer);
    let options = granit_parser::options! { emit_comments: false, };
    // Where the last token handed out ends (PyYAML's marks of an entry and of a block
    // scalar are found from there).
    let mut last_end: Option<usize> = None;
    for item in Scanner::with_options(StrInput::new(buffer), options) {
        let token = match item {
            Ok(token) => token,
            Err(error) => return Some(error),
        };
        let span = token.span();
        let mut start = lines.mark(span.start.line(), span.start.col(), span.start.byte_offset());
        let mut end = lines.mark(span.end.line(), span.end.col(), span.end.byte_offset());
        let (kind, style, empty) = match token.token_type() {
            TokenType::StreamStart => (Kind::StreamStart, None, false),
            TokenType::StreamEnd => (Kind::StreamEnd, None, false),
            TokenType::VersionDirective(..)
            | TokenType::TagDirective(..)
            | TokenType::ReservedDirective(..) => (Kind::Directive, None, false),
            TokenType::DocumentStart => (Kind::DocumentStart, None, false),
            TokenType::DocumentEnd => (Kind::DocumentEnd, None, false),
            TokenType::BlockSequenceStart => (Kind::BlockSequenceStart, None, false),
            TokenType::BlockMappingStart => (Kind::BlockMappingStart, None, false),
            TokenType::BlockEnd => (Kind::BlockEnd, None, false),
            TokenType::FlowSequenceStart => (Kind::FlowSequenceStart, None, false),
            TokenType::FlowSequenceEnd => (Kind::FlowSequenceEnd, None, false),
            TokenType::FlowMappingStart => (Kind::FlowMappingStart, None, false),
            TokenType::FlowMappingEnd => (Kind::FlowMappingEnd, None, false),
            TokenType::BlockEntry => {
                // The `-`: the first character after the previous token that is not a
                // blank, a line break or part of a comment.
                let from = last_end.unwrap_or(0);
                if let Some(dash) = first_after(buffer, from, start.byte.saturating_add(1), b"-")
                {
                    start = lines.mark_at_byte(buffer, dash);
                    end = Mark {
                        line: start.line,
                        column: start.column + 1,
                        byte: dash + 1,
                    };
                }
                (Kind::BlockEntry, None, false)
            }
            TokenType::FlowEntry => (Kind::FlowEntry, None, false),
            TokenType::Key => (Kind::Key, None, false),
            TokenType::Value => {
                if end.byte == start.byte && buffer.as_bytes().get(start.byte) == Some(&b':') {
                    end = Mark {
                        line: start.line,
                        column: start.column + 1,
                        byte: start.byte + 1,
                    };
                }
                (Kind::Value, None, false)
            }
            TokenType::Alias(_) => (Kind::Alias, None, false),
            TokenType::Anchor(_) => (Kind::Anchor, None, false),
            TokenType::Tag(..) => (Kind::Tag, None, false),
            TokenType::Scalar(style, value) => {
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    let from = last_end.unwrap_or(0);
                    if let Some(at) = first_after(buffer, from, start.byte, b"|>") {
                        start = lines.mark_at_byte(buffer, at);
                    }
                }
                (Kind::Scalar, Some(*style), value.is_empty())
            }
            // Comments are not emitted (`emit_comments: false`); token kinds added to
            // the scanner later are not PyYAML's and are skipped too.
            _ => continue,
        };
        last_end = Some(end.byte);
        emit(Token {
            kind,
            start,
            end,
            style,
            empty,
        });
    }
    None
}

/// The first character at or after `from` (and before `limit`) that is not a blank, a line
/// break or part of a comment, if it is one of `wanted`.
fn first_after(buffer: &str, from: usize, limit: usize, wanted: &[u8]) -> Option<usize> {
    let bytes = buffer.as_bytes();
    let mut at = from;
    let mut in_comment = false;
    while at < limit.min(bytes.len()) {
        match bytes[at] {
            b'\n' | b'\r' => in_comment = false,
            _ if in_comment => {}
            b' ' | b'\t' => {}
            b'#' => in_comment = true,
            b if wanted.contains(&b) => return Some(at),
            _ => return None,
        }
        at += 1;
    }
    None
}

/// Byte offsets where lines start, to turn scanner positions into marks.
struct LineStarts {
    starts: Vec<usize>,
}

impl LineStarts {
    fn new(buffer: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            buffer
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { starts }
    }

    /// A mark from granit's 1-based line and 0-based character column; the byte offset is
    /// granit's when it has one.
    fn mark(&self, line: usize, column: usize, byte: Option<usize>) -> Mark {
        let line0 = line.saturating_sub(1);
        let byte = byte.unwrap_or_else(|| {
            // Without a byte offset, count the column's characters from the line start.
            self.starts.get(line0).copied().unwrap_or(0) + column
        });
        Mark {
            line: line0,
            column,
            byte,
        }
    }

    fn mark_at_byte(&self, buffer: &str, byte: usize) -> Mark {
        let line = self.starts.partition_point(|&s| s <= byte).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column = buffer
            .get(start..byte)
            .map_or(byte - start, |s| s.chars().count());
        Mark { line, column, byte }
    }
}

/// yamllint's `get_real_end_line`: the 1-based line a token really ends on (PyYAML's
/// scalars often end on the next line, after their trailing line breaks).
#[must_use]
pub fn real_end_line(buffer: &str, token: &Token) -> usize {
    let mut end_line = token.end.line + 1;
    if token.kind != Kind::Scalar {
        return end_line;
    }
    let bytes = buffer.as_bytes();
    let floor = token.start.byte.saturating_sub(1);
    let mut pos = token.end.byte;
    while pos > floor {
        let Some(&b) = bytes.get(pos - 1) else { break };
        if !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            break;
        }
        if b == b'\n' {
            end_line -= 1;
        }
        pos -= 1;
    }
    end_line
}

/// yamllint's `is_explicit_key`: a `Key` token written as `?`.
#[must_use]
pub fn is_explicit_key(buffer: &str, token: &Token) -> bool {
    token.start.byte < token.end.byte && buffer.as_bytes().get(token.start.byte) == Some(&b'?')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: &Token) -> (Kind, usize, usize, usize, usize) {
        (t.kind, t.start.line, t.start.column, t.end.line, t.end.column)
    }

    #[test]
    fn marks_match_pyyaml_for_entries_values_and_block_scalars() {
        let (tokens, failed) = scan("key:\n-   a\nx: |  # c\n  foo\n");
        assert!(!failed);
        let got: Vec<_> = tokens.iter().map(at).collect();
        assert!(got.contains(&(Kind::BlockEntry, 1, 0, 1, 1)), "{got:?}");
        assert!(got.contains(&(Kind::Value, 0, 3, 0, 4)), "{got:?}");
        let scalar = tokens
            .iter()
            .find(|t| t.style == Some(ScalarStyle::Literal))
            .map(at);
        assert_eq!(scalar.map(|s| (s.1, s.2)), Some((2, 3)));
    }

    #[test]
    fn real_end_line_skips_trailing_breaks() {
        let text = "x: |\n  foo\n\n\ny: 1\n";
        let (tokens, _) = scan(text);
        let scalar = tokens
            .iter()
            .find(|t| t.style == Some(ScalarStyle::Literal))
            .unwrap();
        assert_eq!(real_end_line(text, scalar), 2);
    }

    type Seen = (Option<Token>, Token, Option<Token>, Option<Token>);

    /// What a rule saw from the whole stream: each linted token with its neighbours.
    fn from_the_whole_stream(text: &str) -> Vec<Seen> {
        let (tokens, failed) = scan(text);
        let linted = if failed {
            tokens.len().saturating_sub(2)
        } else {
            tokens.len()
        };
        (0..linted)
            .map(|i| {
                (
                    i.checked_sub(1).and_then(|p| tokens.get(p)).cloned(),
                    tokens[i].clone(),
                    tokens.get(i + 1).cloned(),
                    tokens.get(i + 2).cloned(),
                )
            })
            .collect()
    }

    fn token_by_token(text: &str) -> Vec<Seen> {
        each_linted(text, Vec::new, |seen: &mut Vec<Seen>, p, t, n, nn| {
            seen.push((p.cloned(), t.clone(), n.cloned(), nn.cloned()));
        })
    }

    #[test]
    fn token_by_token_a_rule_sees_what_the_whole_stream_shows() {
        let texts = [
            "",
            "a: 1\n",
            "key:\n- a\n- b\n",
            "- a:\n    b: 1\n---\n- c:\n      d: 1\n",
            "x: |\n  foo\n\n\ny: 1\n",
            "a: [1, {b: c}]\n",
            // Scanning errors: one PyYAML raises too, and ones it scans past.
            "a: b\n\"unterminated\n",
            "a: 1\nb: [\n",
            "list: [{{- x }}]\n",
            "\"a\": \"b\",\n\"c\": 1\n",
            "key: {{- value }}\nother: 1\n",
        ];
        for text in texts {
            assert_eq!(token_by_token(text), from_the_whole_stream(text), "{text:?}");
        }
        // Both outcomes of the rescan are among them.
        assert!(texts.iter().any(|t| !scan(t).1 && scan_each(t, |_| {}).is_some()));
        assert!(texts.iter().any(|t| scan(t).1));
    }

    #[test]
    fn scanning_stops_at_the_first_error() {
        let (tokens, failed) = scan("a: b\n\"unterminated\n");
        assert!(failed);
        assert!(tokens.iter().all(|t| t.kind != Kind::StreamEnd));
    }
}
