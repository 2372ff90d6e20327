//! The human report, in two layouts.
//!
//! - Full (pipes and files, `--layout full`): root cause(s) and their fix first, one row per
//!   check, details of located findings with the source line and a caret, counts last.
//! - Compact (a terminal): built for the last screen, the one that is read. Failures and
//!   warnings in full, passes and skips folded into one line per category, then the counts
//!   and, as the very last lines, the root cause, its fix and where to read more.
//!
//! Every line fits the width in `Style` (measured without colour escapes), so a coloured
//! report and a `NO_COLOR` one wrap at the same places.

use std::fmt::Write;

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use super::wrap::{truncate, wrap};
use super::{Layout, Style, sanitize};
use crate::report::{CheckResult, Finding, Report, Status};

/// Width of a full table in a pipe or a file (no terminal to fit).
const PIPE_TABLE_WIDTH: u16 = 140;

fn status_cell(status: Status, color: bool) -> Cell {
    let cell = Cell::new(status.as_str());
    if !color {
        return cell;
    }
    match status {
        Status::Fail => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Status::Warn => cell.fg(Color::Yellow),
        Status::Pass => cell.fg(Color::Green),
        Status::Skip => cell.fg(Color::DarkGrey),
    }
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn status_word(status: Status, c: bool) -> String {
    match status {
        Status::Fail => paint("fail", "1;31", c),
        Status::Warn => paint("warn", "33", c),
        Status::Pass => paint("pass", "32", c),
        Status::Skip => paint("skip", "2", c),
    }
}

fn duration_text(r: &CheckResult) -> String {
    if r.status == Status::Skip && r.duration.is_zero() {
        "-".into()
    } else {
        crate::duration::format(r.duration)
    }
}

/// Collects lines, each wrapped to the style's width.
struct Out {
    text: String,
    width: Option<usize>,
}

impl Out {
    /// `prefix` then `body`, continuation lines indented by `indent` columns.
    fn wrapped(&mut self, prefix: &str, body: &str, indent: usize) {
        for line in wrap(prefix, body, indent, self.width) {
            self.text.push_str(line.trim_end());
            self.text.push('\n');
        }
    }

    /// A line that must not be broken (source lines, carets): cut to the width instead.
    fn cut(&mut self, line: &str) {
        self.text.push_str(&truncate(line, self.width));
        self.text.push('\n');
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }
}

/// Render the table report.
pub fn render(report: &Report, style: Style) -> String {
    let mut out = Out {
        text: String::new(),
        width: style.width.map(usize::from),
    };
    header(&mut out, report, style);
    if style.quiet {
        quiet(&mut out, report, style);
    } else {
        match style.layout {
            Layout::Full => full(&mut out, report, style),
            Layout::Compact => compact(&mut out, report, style),
        }
    }
    out.text
}

fn header(out: &mut Out, report: &Report, style: Style) {
    let c = style.color;
    let config = report.config_path.as_deref().unwrap_or("none found");
    out.wrapped(
        &format!("{} ", paint("autoglm-doctor", "1", c)),
        &format!(
            "{} · suite {} · config {} · host {}",
            report.tool_version,
            sanitize(&report.suite),
            sanitize(config),
            sanitize(&report.hostname)
        ),
        2,
    );
    if report.interrupted {
        out.wrapped(
            "",
            &paint("interrupted: the results below are partial", "33", c),
            0,
        );
    }
    out.blank();
}

/// The root cause, its fix and where to read more.
fn root_cause(out: &mut Out, r: &CheckResult, c: bool) {
    out.wrapped(
        &format!("{} ", paint("ROOT CAUSE", "1;31", c)),
        &format!("{} — {}", sanitize(&r.id), sanitize(&r.message)),
        2,
    );
    if let Some(fix) = &r.remediation {
        out.wrapped(&format!("  {} ", paint("fix:", "1", c)), &sanitize(fix), 7);
    }
    if let Some(code) = &r.code {
        out.wrapped("  more: ", &format!("autoglm-doctor explain {code}"), 8);
    }
}

fn summary(out: &mut Out, report: &Report, c: bool) {
    let s = report.summary();
    let word = match report.status() {
        // A run ended by a signal is never a pass, whatever finished before it.
        _ if report.interrupted => paint("INTERRUPTED", "1;33", c),
        Status::Fail => paint("FAIL", "1;31", c),
        Status::Warn => paint("WARN", "1;33", c),
        Status::Pass => paint("PASS", "1;32", c),
        Status::Skip => paint("SKIP", "2", c),
    };
    let mut text = format!(
        "{} failed, {} warned, {} skipped, {} passed ({} checks) in {}",
        s.fail,
        s.warn,
        s.skip,
        s.pass,
        report.results.len(),
        crate::duration::format(report.duration)
    );
    if report.attempts() > 1 {
        let _ = write!(text, ", {} attempts", report.attempts());
    }
    out.wrapped(&format!("{word}: "), &text, 6);
}

/// `-q`: every finding that makes the exit status non-zero, root causes with their fix,
/// and the counts.
fn quiet(out: &mut Out, report: &Report, style: Style) {
    let c = style.color;
    let roots = report.root_causes();
    for r in &roots {
        root_cause(out, r, c);
        out.blank();
    }
    let mut any = false;
    for r in &report.results {
        let counts = r.status == Status::Fail || (style.warnings_fail && r.status == Status::Warn);
        if counts && !roots.iter().any(|root| root.id == r.id) {
            out.wrapped(
                &format!("{} ", status_word(r.status, c)),
                &format!("{} — {}", sanitize(&r.id), sanitize(&r.message)),
                5,
            );
            any = true;
        }
    }
    if any {
        out.blank();
    }
    summary(out, report, c);
}

fn full(out: &mut Out, report: &Report, style: Style) {
    let c = style.color;
    for r in report.root_causes() {
        root_cause(out, r, c);
        out.blank();
    }

    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    if c {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_content_arrangement(ContentArrangement::Dynamic);
    table.set_width(style.width.unwrap_or(PIPE_TABLE_WIDTH));
    // Attempts are shown only when --retry-timeout ran something again.
    let retried = report.attempts() > 1;
    let mut header = vec!["STATUS", "CHECK", "MESSAGE", "TIME"];
    if retried {
        header.push("ATTEMPTS");
    }
    table.set_header(header);
    for r in &report.results {
        let mut row = vec![
            status_cell(r.status, c),
            Cell::new(sanitize(&r.id)),
            Cell::new(sanitize(&r.message)),
            Cell::new(duration_text(r)),
        ];
        if retried {
            row.push(Cell::new(r.attempts));
        }
        table.add_row(row);
    }
    let _ = writeln!(out.text, "{table}");

    for r in report.results.iter().filter(|r| detailed(r, style)) {
        out.blank();
        let shown = shown_findings(r, style);
        out.wrapped(
            "",
            &format!(
                "{} ({} finding{})",
                paint(&sanitize(&r.id), "1", c),
                shown.len(),
                if shown.len() == 1 { "" } else { "s" }
            ),
            2,
        );
        for f in shown {
            finding(out, f, 2, c);
        }
        comparison(out, r, 2, style);
        evidence(out, r, style);
    }
    out.blank();
    summary(out, report, c);
}

/// Whether a result gets a details block: several or located findings, a comparison, or -v.
fn detailed(r: &CheckResult, style: Style) -> bool {
    style.verbose > 0
        || r.findings
            .iter()
            .any(|f| f.status > Status::Pass && (f.location.is_some() || r.findings.len() > 1))
        || (r.status > Status::Pass && !super::comparison_rows(r).is_empty())
}

fn shown_findings(r: &CheckResult, style: Style) -> Vec<&Finding> {
    r.findings
        .iter()
        .filter(|f| style.verbose > 0 || f.status > Status::Pass)
        .collect()
}

fn compact(out: &mut Out, report: &Report, style: Style) {
    let c = style.color;
    let listed: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| style.all || r.status > Status::Pass)
        .collect();
    let retried = report.attempts() > 1;
    for r in &listed {
        let mut line = format!("{} — {}", sanitize(&r.id), sanitize(&r.message));
        if retried {
            let _ = write!(line, " ({} attempts)", r.attempts);
        }
        if style.verbose > 0 {
            let _ = write!(line, " [{}]", duration_text(r));
        }
        out.wrapped(&format!("{} ", status_word(r.status, c)), &line, 5);
        let shown = shown_findings(r, style);
        // One finding without a place says what the row says: only its fix is added.
        let single = shown.len() <= 1 && shown.iter().all(|f| f.location.is_none());
        if detailed(r, style) && !single {
            for f in shown {
                finding(out, f, 5, c);
            }
        } else if let Some(fix) = &r.remediation {
            out.wrapped(
                &format!("     {} ", paint("fix:", "1", c)),
                &sanitize(fix),
                10,
            );
        }
        comparison(out, r, 5, style);
        evidence(out, r, style);
    }
    if !listed.is_empty() {
        out.blank();
    }

    if !style.all {
        let folded = folded_categories(report);
        for line in &folded {
            out.wrapped("", line, 2);
        }
        if !folded.is_empty() {
            out.blank();
        }
    }

    summary(out, report, c);
    for r in report.root_causes() {
        out.blank();
        root_cause(out, r, c);
    }
}

/// One line per category for the checks that passed or were skipped: `config: 5 passed`,
/// `api: 2 skipped (blocked by tls.master)`.
fn folded_categories(report: &Report) -> Vec<String> {
    let mut categories: Vec<&str> = Vec::new();
    for r in &report.results {
        if !categories.contains(&r.category.as_str()) {
            categories.push(&r.category);
        }
    }
    let mut lines = Vec::new();
    for cat in categories {
        let of: Vec<&CheckResult> = report
            .results
            .iter()
            .filter(|r| r.category == cat)
            .collect();
        let passed = of.iter().filter(|r| r.status == Status::Pass).count();
        let skipped: Vec<&&CheckResult> = of.iter().filter(|r| r.status == Status::Skip).collect();
        let mut parts = Vec::new();
        if passed > 0 {
            parts.push(format!("{passed} passed"));
        }
        if !skipped.is_empty() {
            let mut blockers: Vec<&str> = Vec::new();
            for r in &skipped {
                for b in &r.blocked_by {
                    if !blockers.contains(&b.as_str()) {
                        blockers.push(b);
                    }
                }
            }
            let mut part = format!("{} skipped", skipped.len());
            if !blockers.is_empty() {
                let all_blocked = skipped.iter().all(|r| !r.blocked_by.is_empty());
                let _ = write!(
                    part,
                    " ({}blocked by {})",
                    if all_blocked { "" } else { "some " },
                    sanitize(&blockers.join(", "))
                );
            }
            parts.push(part);
        }
        if !parts.is_empty() {
            lines.push(format!("{}: {}", sanitize(cat), parts.join(", ")));
        }
    }
    lines
}

fn evidence(out: &mut Out, r: &CheckResult, style: Style) {
    if style.verbose == 0 {
        return;
    }
    for (k, v) in &r.evidence {
        out.wrapped(
            &format!("    {} ", paint(&format!("{k}:"), "2", style.color)),
            &sanitize(&v.to_string()),
            6,
        );
    }
}

/// A side-by-side comparison (evidence `comparison`) as a small table under the findings,
/// `indent` columns in and no wider than the style's width.
fn comparison(out: &mut Out, r: &CheckResult, indent: usize, style: Style) {
    let mut rows = super::comparison_rows(r);
    if rows.is_empty() || (r.status <= Status::Pass && style.verbose == 0) {
        return;
    }
    // The compact layout shows what differs; --all and -v show every parameter.
    let mut left_out = 0;
    if style.layout == Layout::Compact && !style.all {
        let before = rows.len();
        rows.retain(|row| row[3] != "yes");
        left_out = before - rows.len();
    }
    let c = style.color;
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    if c {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    if let Some(w) = out.width {
        table.set_content_arrangement(ContentArrangement::Dynamic);
        table.set_width(u16::try_from(w.saturating_sub(indent).max(20)).unwrap_or(u16::MAX));
    }
    table.set_header(vec!["PARAMETER", "MASTER", "THIS NODE", "MATCH"]);
    for row in rows {
        let matched = if c && row[3] == "NO" {
            Cell::new(&row[3])
                .fg(Color::Red)
                .add_attribute(Attribute::Bold)
        } else {
            Cell::new(&row[3])
        };
        table.add_row(vec![
            Cell::new(sanitize(&row[0])),
            Cell::new(sanitize(&row[1])),
            Cell::new(sanitize(&row[2])),
            matched,
        ]);
    }
    let pad = " ".repeat(indent);
    for line in table.to_string().lines() {
        let _ = writeln!(out.text, "{pad}{line}");
    }
    if left_out > 0 {
        out.wrapped(
            &pad,
            &format!(
                "({left_out} matching parameter{} not shown; --all shows them)",
                if left_out == 1 { "" } else { "s" }
            ),
            indent,
        );
    }
}

/// One finding, `indent` columns in: status, location and message, the source line with a
/// caret under the column, the fix.
fn finding(out: &mut Out, f: &Finding, indent: usize, c: bool) {
    let pad = " ".repeat(indent);
    let at = f
        .location
        .as_ref()
        .map(|l| format!("{}:{}:{} ", sanitize(&l.path), l.line, l.column))
        .unwrap_or_default();
    out.wrapped(
        &format!("{pad}{} ", status_word(f.status, c)),
        &format!("{at}{}", sanitize(&f.message)),
        indent + 5,
    );
    let inner = " ".repeat(indent + 5);
    if let Some(l) = &f.location
        && let Some(line) = &l.snippet
    {
        let num = l.line.to_string();
        let gutter = " ".repeat(num.len());
        let shown = sanitize(line);
        // Caret under the column, counting characters of the sanitised prefix.
        let prefix: String = line.chars().take(l.column.saturating_sub(1)).collect();
        let caret_at = sanitize(&prefix).chars().count();
        out.cut(&format!("{inner}{num} | {shown}"));
        let caret = format!(
            "{inner}{gutter} | {}{}",
            " ".repeat(caret_at),
            paint("^", "1;31", c)
        );
        // A caret past the margin would only be cut away: leave it out.
        if out
            .width
            .is_none_or(|w| super::wrap::visible_width(&caret) <= w)
        {
            out.text.push_str(&caret);
            out.text.push('\n');
        }
    }
    if let Some(fix) = &f.remediation {
        out.wrapped(
            &format!("{inner}{} ", paint("fix:", "1", c)),
            &sanitize(fix),
            indent + 10,
        );
    }
}
