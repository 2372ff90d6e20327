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
/// returned, as PyYAML hands them out before raising).
#[must_use]
pub fn scan(buffer: &str) -> (Vec<Token>, bool) {
    let (tokens, error) = scan_tokens(buffer);
    let Some(error) = error else {
        return (tokens, false);
    };
    if !pyyaml_scans_past(&error) {
        return (tokens, true);
    }
    // granit refuses at scanning time what PyYAML's scanner lets through to its parser
    // (`-` inside a flow collection, as in a template's `{{- x }}`; text after a quoted
    // scalar, as in a JSON line `"a": "b",`). PyYAML's token rules see every token up to
    // there: scan the text before the error on its own and keep the tokens that start
    // before it (not the block ends and stream end its end of input adds).
    let at = error.marker().byte_offset().unwrap_or(0).min(buffer.len());
    let Some(prefix) = buffer.get(..at) else {
        return (tokens, true);
    };
    // The prefix may end inside a collection (an unclosed `{{`): its own error is at its
    // end, after every token kept.
    let (mut head, _) = scan_tokens(prefix);
    head.retain(|t| t.start.byte < at || t.kind == Kind::StreamStart);
    if head.len() > tokens.len() {
        (head, false)
    } else {
        (tokens, true)
    }
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

/// granit's tokens with PyYAML's marks, and the scanning error that stopped them.
fn scan_tokens(buffer: &str) -> (Vec<Token>, Option<ScanError>) {
    let lines = LineStarts::new(buffer);
    let options = granit_parser::options! { emit_comments: false, };
    let mut tokens: Vec<Token> = Vec::new();
    let mut failed = None;
    for item in Scanner::with_options(StrInput::new(buffer), options) {
        let token = match item {
            Ok(token) => token,
            Err(error) => {
                failed = Some(error);
                break;
            }
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
                let from = tokens.last().map_or(0, |t| t.end.byte);
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
                    let from = tokens.last().map_or(0, |t| t.end.byte);
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
        tokens.push(Token {
            kind,
            start,
            end,
            style,
            empty,
        });
    }
    (tokens, failed)
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

/// How many of `tokens` yamllint's token rules see: PyYAML hands a token to the rules only
/// once it has scanned the two after it (or the stream has ended), so after a scanning
/// error the last two tokens scanned are never linted.
#[must_use]
pub const fn linted(tokens: &[Token], failed: bool) -> usize {
    if failed {
        tokens.len().saturating_sub(2)
    } else {
        tokens.len()
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

    #[test]
    fn scanning_stops_at_the_first_error() {
        let (tokens, failed) = scan("a: b\n\"unterminated\n");
        assert!(failed);
        assert!(tokens.iter().all(|t| t.kind != Kind::StreamEnd));
    }
}
