//! Renderers: pure functions from a report to bytes. They never decide the exit status.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod table;
pub mod wrap;

use crate::report::Report;
use crate::settings::Format;

/// How the table report is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One row per check in a bordered table, root causes first: what scripts and pipes get.
    #[default]
    Full,
    /// Built for the last screen of a terminal: failures and warnings in full, passes folded
    /// into one line per category, the root cause and its fix as the last lines.
    Compact,
}

/// Options for the human formats.
#[allow(clippy::struct_excessive_bools)] // independent switches, each set by its own flag
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub verbose: u8,
    pub quiet: bool,
    /// Fit every line into this many columns (None: lines are not wrapped and the table is
    /// 140 columns wide).
    pub width: Option<u16>,
    pub layout: Layout,
    /// Show passing and skipped checks as rows in the compact layout too.
    pub all: bool,
    /// Warnings fail the run (`--fail-on warn`): JUnit reports them as failures, so the CI
    /// test report agrees with the exit status.
    pub warnings_fail: bool,
}

/// Render a report in `format`.
pub fn render(report: &Report, format: Format, style: Style) -> String {
    match format {
        Format::Table => table::render(report, style),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report, style),
        Format::Markdown => markdown::render(report),
    }
}

/// Rows of a side-by-side comparison a check put in its evidence under `comparison`
/// (`[{parameter, master, node, match}]`): (parameter, master, this node, match), as text.
pub fn comparison_rows(r: &crate::report::CheckResult) -> Vec<[String; 4]> {
    let Some(rows) = r.evidence.get("comparison").and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    let text = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        None | Some(serde_json::Value::Null) => "—".to_string(),
        Some(other) => other.to_string(),
    };
    rows.iter()
        .map(|row| {
            [
                text(row.get("parameter")),
                text(row.get("master")),
                text(row.get("node")),
                match row.get("match").and_then(serde_json::Value::as_bool) {
                    Some(true) => "yes".into(),
                    Some(false) => "NO".into(),
                    None => "n/a".into(),
                },
            ]
        })
        .collect()
}

/// Make text from files and peers safe for a terminal: control characters (escape
/// sequences included) are shown escaped, never interpreted.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                out.push_str(&c.escape_unicode().to_string());
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_neutralises_escapes() {
        assert_eq!(sanitize("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(sanitize("tab\there"), "tab    here");
        assert_eq!(sanitize("ok ✓"), "ok ✓");
    }
}
