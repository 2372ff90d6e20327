//! The human report: root cause(s) and their fix first, one row per check, details of
//! located findings with the source line and a caret, counts last.

use std::fmt::Write;

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use super::{Style, sanitize};
use crate::report::{CheckResult, Finding, Report, Status};

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

fn duration_text(r: &CheckResult) -> String {
    if r.status == Status::Skip && r.duration.is_zero() {
        "-".into()
    } else {
        crate::duration::format(r.duration)
    }
}

/// Render the table report.
pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let c = style.color;
    let config = report.config_path.as_deref().unwrap_or("none found");
    let _ = writeln!(
        out,
        "{} {} · suite {} · config {} · host {}",
        paint("autoglm-doctor", "1", c),
        report.tool_version,
        sanitize(&report.suite),
        sanitize(config),
        sanitize(&report.hostname)
    );
    if report.interrupted {
        let _ = writeln!(
            out,
            "{}",
            paint("interrupted: the results below are partial", "33", c)
        );
    }
    out.push('\n');

    let roots = report.root_causes();
    for r in &roots {
        let _ = writeln!(
            out,
            "{} {} — {}",
            paint("ROOT CAUSE", "1;31", c),
            sanitize(&r.id),
            sanitize(&r.message)
        );
        if let Some(fix) = &r.remediation {
            let _ = writeln!(out, "  {} {}", paint("fix:", "1", c), sanitize(fix));
        }
        if let Some(code) = &r.code {
            let _ = writeln!(out, "  more: autoglm-doctor explain {code}");
        }
        out.push('\n');
    }

    if !style.quiet {
        let mut table = Table::new();
        table.load_style(presets::UTF8_FULL_CONDENSED);
        if c {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        // Wrap to the terminal's width, or to a fixed width when not on a terminal.
        table.set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(w) = style.width {
            table.set_width(w);
        }
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
        let _ = writeln!(out, "{table}");

        let details: Vec<&CheckResult> = report
            .results
            .iter()
            .filter(|r| {
                style.verbose > 0
                    || r.findings.iter().any(|f| {
                        f.status > Status::Pass && (f.location.is_some() || r.findings.len() > 1)
                    })
                    || (r.status > Status::Pass && !super::comparison_rows(r).is_empty())
            })
            .collect();
        if !details.is_empty() {
            for r in details {
                out.push('\n');
                let shown: Vec<&Finding> = r
                    .findings
                    .iter()
                    .filter(|f| style.verbose > 0 || f.status > Status::Pass)
                    .collect();
                let _ = writeln!(
                    out,
                    "{} ({} finding{})",
                    paint(&sanitize(&r.id), "1", c),
                    shown.len(),
                    if shown.len() == 1 { "" } else { "s" }
                );
                for f in shown {
                    finding(&mut out, f, c);
                }
                comparison(&mut out, r, style);
                if style.verbose > 0 && !r.evidence.is_empty() {
                    for (k, v) in &r.evidence {
                        let _ = writeln!(
                            out,
                            "    {} {}",
                            paint(&format!("{k}:"), "2", c),
                            sanitize(&v.to_string())
                        );
                    }
                }
            }
        }
        out.push('\n');
    }

    let s = report.summary();
    let overall = report.status();
    let word = match overall {
        Status::Fail => paint("FAIL", "1;31", c),
        Status::Warn => paint("WARN", "1;33", c),
        Status::Pass => paint("PASS", "1;32", c),
        Status::Skip => paint("SKIP", "2", c),
    };
    let _ = write!(
        out,
        "{word}: {} failed, {} warned, {} skipped, {} passed ({} checks) in {}",
        s.fail,
        s.warn,
        s.skip,
        s.pass,
        report.results.len(),
        crate::duration::format(report.duration)
    );
    if report.attempts() > 1 {
        let _ = write!(out, ", {} attempts", report.attempts());
    }
    out.push('\n');
    out
}

/// A side-by-side comparison (evidence `comparison`) as a small table under the findings.
fn comparison(out: &mut String, r: &CheckResult, style: Style) {
    let rows = super::comparison_rows(r);
    if rows.is_empty() {
        return;
    }
    let c = style.color;
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    if c {
        table.enforce_styling();
    } else {
        table.force_no_tty();
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
    for line in table.to_string().lines() {
        let _ = writeln!(out, "  {line}");
    }
}

fn finding(out: &mut String, f: &Finding, c: bool) {
    let status = match f.status {
        Status::Fail => paint("fail", "31", c),
        Status::Warn => paint("warn", "33", c),
        Status::Pass => paint("pass", "32", c),
        Status::Skip => paint("skip", "2", c),
    };
    let at = f
        .location
        .as_ref()
        .map(|l| format!("{}:{}:{} ", sanitize(&l.path), l.line, l.column))
        .unwrap_or_default();
    let _ = writeln!(out, "  {status} {at}{}", sanitize(&f.message));
    if let Some(l) = &f.location
        && let Some(line) = &l.snippet
    {
        let num = l.line.to_string();
        let pad = " ".repeat(num.len());
        let shown = sanitize(line);
        // Caret under the column, counting characters of the sanitised prefix.
        let prefix: String = line.chars().take(l.column.saturating_sub(1)).collect();
        let caret_at = sanitize(&prefix).chars().count();
        let _ = writeln!(out, "       {num} | {shown}");
        let _ = writeln!(
            out,
            "       {pad} | {}{}",
            " ".repeat(caret_at),
            paint("^", "1;31", c)
        );
    }
    if let Some(fix) = &f.remediation {
        let _ = writeln!(out, "       {} {}", paint("fix:", "1", c), sanitize(fix));
    }
}
