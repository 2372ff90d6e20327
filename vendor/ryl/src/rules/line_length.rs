//! `line-length`: lines may not exceed `max` characters (counted as characters, not
//! bytes), with an optional allowance for an unbreakable long word/URL. Mirrors
//! yamllint's `line-length`. No safe `--fix`: splitting an over-long line needs folding
//! decisions that depend on the scalar's style and whether folding is legal there.

use std::convert::TryFrom;


use crate::config::YamlLintConfig;
use crate::rules::support::line_syntax::split_lines_preserve_endings;
use crate::rules::support::pyyaml_tokens::{self, Kind};

pub const ID: &str = "line-length";

#[derive(Debug, Clone)]
pub struct Config {
    max: i64,
    allow_non_breakable_words: bool,
    allow_non_breakable_inline_mappings: bool,
}

impl Config {
    #[must_use]
    pub fn resolve(cfg: &YamlLintConfig) -> Self {
        let max = cfg.rule_option_int(ID, "max", 80);
        let allow_inline =
            cfg.rule_option_bool(ID, "allow-non-breakable-inline-mappings", false);
        let allow_words =
            cfg.rule_option_bool(ID, "allow-non-breakable-words", true) || allow_inline;

        Self {
            max,
            allow_non_breakable_words: allow_words,
            allow_non_breakable_inline_mappings: allow_inline,
        }
    }

    const fn max(&self) -> i64 {
        self.max
    }

    const fn allow_non_breakable_words(&self) -> bool {
        self.allow_non_breakable_words
    }

    const fn allow_non_breakable_inline_mappings(&self) -> bool {
        self.allow_non_breakable_inline_mappings
    }

    fn diagnostic_column(&self) -> usize {
        if self.max < 0 {
            0
        } else {
            let value = self.max.saturating_add(1);
            usize::try_from(value).unwrap_or(usize::MAX)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[must_use]
pub fn check(buffer: &str, cfg: &Config) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (idx, line, _ending) in split_lines_preserve_endings(buffer) {
        process_line(line, idx + 1, cfg, &mut violations);
    }
    violations
}

fn process_line(line: &str, line_no: usize, cfg: &Config, out: &mut Vec<Violation>) {
    if line.is_empty() {
        return;
    }

    let length = line.chars().count();
    let length_i64 = i64::try_from(length).unwrap_or(i64::MAX);

    if length_i64 <= cfg.max() {
        return;
    }

    if cfg.allow_non_breakable_words() && allows_overflow(line, cfg) {
        return;
    }

    out.push(Violation {
        line: line_no,
        column: cfg.diagnostic_column(),
        message: format!("line too long ({} > {} characters)", length, cfg.max()),
    });
}

fn allows_overflow(line: &str, cfg: &Config) -> bool {
    let mut idx = 0usize;
    let bytes = line.as_bytes();

    while idx < bytes.len() && bytes[idx] == b' ' {
        idx += 1;
    }

    if idx >= bytes.len() {
        return false;
    }

    if bytes[idx] == b'#' {
        while idx < bytes.len() && bytes[idx] == b'#' {
            idx += 1;
        }
        idx = (idx + 1).min(bytes.len());
    } else if bytes[idx] == b'-' {
        idx = (idx + 1).min(bytes.len());
        idx = (idx + 1).min(bytes.len());
    }

    if idx >= bytes.len() {
        // yamllint finds no space past the end of the line: exempt.
        return true;
    }

    let tail_bytes = &line.as_bytes()[idx..];
    if !tail_bytes.contains(&b' ') {
        return true;
    }

    cfg.allow_non_breakable_inline_mappings() && check_inline_mapping(line)
}

/// yamllint's `check_inline_mapping`: the line, scanned on its own, opens a block mapping
/// and the first value that is a scalar runs to the end of the line without a space
/// (`key: https://a-long-url`). A value that is not a scalar (`key:` at the end of the
/// line, a flow collection) does not exempt the line, nor does a line that does not scan.
fn check_inline_mapping(line: &str) -> bool {
    let (tokens, _failed) = pyyaml_tokens::scan(line);
    let Some(open) = tokens
        .iter()
        .position(|t| t.kind == Kind::BlockMappingStart)
    else {
        return false;
    };
    let mut rest = tokens.iter().skip(open + 1);
    while let Some(token) = rest.next() {
        if token.kind != Kind::Value {
            continue;
        }
        let Some(value) = rest.next() else {
            return false;
        };
        if value.kind == Kind::Scalar {
            return !line
                .get(value.start.byte..)
                .unwrap_or_default()
                .contains(' ');
        }
    }
    false
}
