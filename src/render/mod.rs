//! Renderers: pure functions from a report to bytes. They never decide the exit status.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod sanitize;
pub mod table;

use crate::report::Report;
use crate::settings::Format;

/// Options for the human formats.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub verbose: u8,
    pub quiet: bool,
    /// Wrap the table at this width (None: no limit).
    pub width: Option<u16>,
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
