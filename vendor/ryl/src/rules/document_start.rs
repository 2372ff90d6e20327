//! `document-start` rule: require (or forbid) the `---` start marker.
//!
//! `--fix` rewrites only `present: true` on a single-document buffer with no
//! `---`/`...` markers and no leading `%YAML`/`%TAG` directive: inserting `---` at the
//! buffer start cannot repair a later document's missing marker (it would create an
//! extra empty leading document), and removing `---` (`present: false`) can collide
//! with document boundaries, so neither is fixed.

use crate::config::YamlLintConfig;
use crate::rules::support::line_syntax::{buffer_newline, line_contents};
use crate::rules::support::pyyaml_tokens::{self, Kind};

pub const ID: &str = "document-start";
pub const MISSING_MESSAGE: &str = "missing document start \"---\"";
pub const FORBIDDEN_MESSAGE: &str = "found forbidden document start \"---\"";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    present: bool,
}

impl Config {
    #[must_use]
    pub fn resolve(cfg: &YamlLintConfig) -> Self {
        Self {
            present: cfg.rule_option_bool(ID, "present", true),
        }
    }

    #[must_use]
    pub const fn new_for_tests(present: bool) -> Self {
        Self { present }
    }

    #[must_use]
    pub const fn requires_marker(&self) -> bool {
        self.present
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// yamllint's token rule: a token that follows the stream start, a document end or a
/// directive must be `---` (or another directive, or the stream end). Token-based like
/// yamllint, so it also reports on a file that does not parse (up to the scanner's error).
#[must_use]
pub fn check(buffer: &str, cfg: &Config) -> Vec<Violation> {
    pyyaml_tokens::each_linted(buffer, Vec::new, |violations, prev, token, _, _| {
        if cfg.requires_marker() {
            let after_boundary = prev.is_some_and(|p| {
                matches!(
                    p.kind,
                    Kind::StreamStart | Kind::DocumentEnd | Kind::Directive
                )
            });
            if after_boundary
                && !matches!(
                    token.kind,
                    Kind::DocumentStart | Kind::Directive | Kind::StreamEnd
                )
            {
                violations.push(Violation {
                    line: token.start.line + 1,
                    column: 1,
                    message: MISSING_MESSAGE.to_string(),
                });
            }
        } else if token.kind == Kind::DocumentStart {
            violations.push(Violation {
                line: token.start.line + 1,
                column: token.start.column + 1,
                message: FORBIDDEN_MESSAGE.to_string(),
            });
        }
    })
}

#[must_use]
pub fn fix(buffer: &str, cfg: &Config) -> Option<String> {
    let (bom, rest) = buffer
        .strip_prefix('\u{feff}')
        .map_or(("", buffer), |rest| ("\u{feff}", rest));
    if !cfg.requires_marker()
        || starts_with_directive(rest)
        || contains_document_markers(rest)
    {
        return None;
    }
    if check(buffer, cfg).is_empty() {
        return None;
    }
    let newline = buffer_newline(rest);
    let mut output = String::with_capacity(buffer.len() + 4);
    output.push_str(bom);
    output.push_str("---");
    output.push_str(newline);
    output.push_str(rest);
    Some(output)
}

fn starts_with_directive(buffer: &str) -> bool {
    for line in line_contents(buffer) {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        return trimmed.starts_with('%');
    }
    false
}

fn contains_document_markers(buffer: &str) -> bool {
    line_contents(buffer).iter().any(|line| {
        let trimmed = line.trim_start_matches([' ', '\t']);
        trimmed == "---"
            || trimmed.starts_with("--- ")
            || trimmed == "..."
            || trimmed.starts_with("... ")
    })
}
