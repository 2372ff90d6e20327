//! Renderers: pure functions from a report to bytes. They never decide the exit status.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod sanitize;
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

pub use sanitize::{json_escape_invisible, sanitize, sanitize_block};
