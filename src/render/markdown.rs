//! Markdown for a ticket or a merge request (GitHub and GitLab flavours): a headline with
//! the overall status, host, time and doctor version; the root cause(s) and their fix;
//! a table of every check; the findings with `file:line:col`; evidence folded into
//! `<details>` blocks.
//!
//! Every string that comes from a check, a file or a peer is escaped before it reaches the
//! Markdown: characters that start markup (`` ` ``, `*`, `_`, `[`, `<`, `|`, `$`, ...) are
//! backslash-escaped, control characters are shown escaped, and code spans and fences are
//! made longer than any run of backticks inside them. A message can therefore neither break
//! the table nor inject links, HTML or formatting.

use std::fmt::Write as _;

use super::sanitize;
use crate::report::{CheckResult, Evidence, Finding, Report, Status};

/// Render the Markdown report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    headline(&mut out, report);
    leading_section(&mut out, report);
    checks_table(&mut out, report);
    findings(&mut out, report);
    passed_evidence(&mut out, report);
    facts(&mut out, report);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn badge(status: Status) -> &'static str {
    match status {
        Status::Fail => "❌ fail",
        Status::Warn => "⚠️ warn",
        Status::Pass => "✅ pass",
        Status::Skip => "⏭️ skip",
    }
}

fn headline(out: &mut String, report: &Report) {
    let overall = match report.status() {
        // A run ended by a signal is never a pass, whatever finished before it.
        _ if report.interrupted => "⏹️ INTERRUPTED",
        Status::Fail => "❌ FAIL",
        Status::Warn => "⚠️ WARN",
        Status::Pass => "✅ PASS",
        Status::Skip => "⏭️ SKIP",
    };
    let s = report.summary();
    let _ = writeln!(
        out,
        "## {overall}: autoglm-doctor on {}\n",
        code(&report.hostname)
    );
    let _ = writeln!(
        out,
        "**{} failed**, {} warned, {} skipped, {} passed ({} checks) · {} · took {} · autoglm-doctor {}\\",
        s.fail,
        s.warn,
        s.skip,
        s.pass,
        report.results.len(),
        report.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        crate::duration::format(report.duration),
        text(&report.tool_version),
    );
    let _ = writeln!(
        out,
        "suite {} · config {} · profile {}",
        code(&report.suite),
        report
            .config_path
            .as_deref()
            .map_or_else(|| "none found".to_string(), code),
        text(&report.profile),
    );
    if report.attempts() > 1 {
        let _ = writeln!(
            out,
            "\nChecks that failed were run again, up to {} attempts.",
            report.attempts()
        );
    }
    if report.interrupted {
        out.push_str("\n> **Interrupted:** the results below are partial.\n");
    }
    out.push('\n');
}

/// Root causes and their fix come first; without failures, the warnings; else a pass line.
fn leading_section(out: &mut String, report: &Report) {
    let roots = report.root_causes();
    if !roots.is_empty() {
        let title = if roots.len() == 1 {
            "Root cause"
        } else {
            "Root causes"
        };
        let _ = writeln!(out, "### {title}\n");
        for (n, r) in roots.iter().enumerate() {
            lead_item(out, n + 1, r);
        }
        out.push('\n');
        return;
    }
    let warned: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Warn)
        .collect();
    if !warned.is_empty() {
        out.push_str("### Warnings\n\n");
        for (n, r) in warned.iter().enumerate() {
            lead_item(out, n + 1, r);
        }
        out.push('\n');
        return;
    }
    let _ = writeln!(
        out,
        "No check failed or warned ({} passed, {} skipped).\n",
        report.summary().pass,
        report.summary().skip
    );
}

fn lead_item(out: &mut String, n: usize, r: &CheckResult) {
    let marker = format!("{n}. ");
    // Nested items line up with the item's text, whatever the number's width.
    let pad = " ".repeat(marker.len());
    let _ = writeln!(out, "{marker}**{}** — {}", code(&r.id), text(&r.message));
    if let Some(fix) = &r.remediation {
        let _ = writeln!(out, "{pad}- **Fix:** {}", text(fix));
    }
    if let Some(at) = r.findings.iter().find_map(|f| f.location.as_ref()) {
        let _ = writeln!(
            out,
            "{pad}- **Where:** {}",
            code(&format!("{}:{}:{}", at.path, at.line, at.column))
        );
    }
    if let Some(c) = &r.code {
        let _ = writeln!(
            out,
            "{pad}- **Code:** {} (more: {})",
            code(c.name),
            code(&format!("autoglm-doctor explain {c}"))
        );
    }
}

fn checks_table(out: &mut String, report: &Report) {
    let attempts = report.attempts() > 1;
    out.push_str("### Checks\n\n");
    if attempts {
        out.push_str("| Status | Check | Message | Time | Attempts |\n|---|---|---|---:|---:|\n");
    } else {
        out.push_str("| Status | Check | Message | Time |\n|---|---|---|---:|\n");
    }
    for r in &report.results {
        let time = if r.status == Status::Skip && r.duration.is_zero() {
            "–".to_string()
        } else {
            crate::duration::format(r.duration)
        };
        let _ = write!(
            out,
            "| {} | {} | {} | {time} |",
            badge(r.status),
            cell_code(&r.id),
            text(&r.message)
        );
        if attempts {
            let _ = write!(out, " {} |", r.attempts);
        }
        out.push('\n');
    }
    out.push('\n');
}

fn findings(out: &mut String, report: &Report) {
    let shown: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Warn))
        .collect();
    if shown.is_empty() {
        return;
    }
    out.push_str("### Findings\n");
    for r in shown {
        let _ = writeln!(out, "\n#### {} — {}\n", code(&r.id), badge(r.status));
        for f in r.findings.iter().filter(|f| f.status > Status::Pass) {
            finding(out, f);
        }
        comparison(out, r);
        if !r.blocked_by.is_empty() {
            let ids: Vec<String> = r.blocked_by.iter().map(|b| code(b)).collect();
            let _ = writeln!(out, "- blocked by {}", ids.join(", "));
        }
        details(
            out,
            &format!("Evidence of {}", html_code(&r.id)),
            &evidence_text(r),
        );
    }
}

/// A side-by-side comparison (evidence `comparison`) as a Markdown table.
fn comparison(out: &mut String, r: &CheckResult) {
    let rows = super::comparison_rows(r);
    if rows.is_empty() {
        return;
    }
    out.push_str("\n| Parameter | Master | This node | Match |\n|---|---|---|---|\n");
    for [p, m, n, ok] in rows {
        let ok = if ok == "NO" {
            "❌ no".to_string()
        } else if ok == "yes" {
            "✅ yes".to_string()
        } else {
            text(&ok)
        };
        let _ = writeln!(out, "| {} | {} | {} | {ok} |", text(&p), text(&m), text(&n));
    }
    out.push('\n');
}

fn finding(out: &mut String, f: &Finding) {
    let mut line = format!("- **{}**", f.status.as_str());
    if let Some(c) = &f.code {
        let _ = write!(line, " {}", code(c.name));
    }
    if let Some(l) = &f.location {
        let _ = write!(
            line,
            " at {}",
            code(&format!("{}:{}:{}", l.path, l.line, l.column))
        );
    }
    let _ = writeln!(out, "{line} — {}", text(&f.message));
    if let Some(fix) = &f.remediation {
        let _ = writeln!(out, "  - **Fix:** {}", text(fix));
    }
}

/// Evidence of one check: its own, each finding's, and the source lines of located findings
/// (secrets there are already `<redacted>`).
fn evidence_text(r: &CheckResult) -> String {
    let mut s = String::new();
    write_evidence(&mut s, "", &r.evidence);
    for f in &r.findings {
        if let Some(l) = &f.location {
            let _ = writeln!(s, "{}:{}:{}", sanitize(&l.path), l.line, l.column);
            if let Some(line) = &l.snippet {
                let shown = sanitize(line);
                let prefix: String = line.chars().take(l.column.saturating_sub(1)).collect();
                let caret_at = sanitize(&prefix).chars().count();
                let num = l.line.to_string();
                let _ = writeln!(s, "  {num} | {shown}");
                let _ = writeln!(s, "  {} | {}^", " ".repeat(num.len()), " ".repeat(caret_at));
            }
        }
        let prefix = if f.location.is_some() { "  " } else { "" };
        write_evidence(&mut s, prefix, &f.evidence);
    }
    s
}

fn write_evidence(s: &mut String, indent: &str, evidence: &Evidence) {
    for (k, v) in evidence {
        let v = match v {
            serde_json::Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        let _ = writeln!(s, "{indent}{}: {}", sanitize(k), sanitize(&v));
    }
}

fn passed_evidence(out: &mut String, report: &Report) {
    let mut s = String::new();
    for r in report.results.iter().filter(|r| r.status == Status::Pass) {
        let e = evidence_text(r);
        if e.is_empty() {
            continue;
        }
        let _ = writeln!(s, "{}:", sanitize(&r.id));
        for line in e.lines() {
            let _ = writeln!(s, "  {line}");
        }
    }
    if !s.is_empty() {
        details(out, "Evidence of the checks that passed", &s);
    }
}

fn facts(out: &mut String, report: &Report) {
    if report.facts.is_empty() {
        return;
    }
    let mut s = String::new();
    write_evidence(&mut s, "", &report.facts);
    details(out, "Facts (for comparing nodes)", &s);
}

/// A collapsed block holding preformatted text. `summary` is HTML (already escaped).
fn details(out: &mut String, summary: &str, body: &str) {
    if body.is_empty() {
        return;
    }
    let fence = "`".repeat(longest_run(body, '`').max(2) + 1);
    let _ = writeln!(
        out,
        "\n<details><summary>{summary}</summary>\n\n{fence}text\n{}{fence}\n\n</details>",
        if body.ends_with('\n') {
            body.to_string()
        } else {
            format!("{body}\n")
        }
    );
}

fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for ch in s.chars() {
        if ch == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Plain text: on one line, control characters shown escaped, markup characters escaped.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in sanitize(s).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span that holds `s` verbatim, whatever backticks it contains.
pub fn code(s: &str) -> String {
    let s = sanitize(s);
    let fence = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A code span inside a table cell: pipes must be escaped even there (GFM).
fn cell_code(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// `<code>` for HTML contexts (`<summary>`).
fn html_code(s: &str) -> String {
    let mut out = String::from("<code>");
    for c in sanitize(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out.push_str("</code>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markup() {
        assert_eq!(text("a|b"), "a\\|b");
        assert_eq!(text("`x`"), "\\`x\\`");
        assert_eq!(
            text("[link](http://x) <b>*i*</b>"),
            "\\[link\\](http://x) \\<b\\>\\*i\\*\\</b\\>"
        );
        assert_eq!(text("${A} and ${B}"), "\\${A} and \\${B}");
        assert_eq!(text("line\nbreak"), "line\\\\nbreak");
        assert_eq!(text("\x1b[31m"), "\\\\u{1b}\\[31m");
    }

    #[test]
    fn code_spans_outgrow_backticks_inside() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`edge`"), "`` `edge` ``");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
    }

    #[test]
    fn details_fence_is_longer_than_any_backtick_run_inside() {
        let mut out = String::new();
        details(&mut out, "s", "````\nx\n");
        assert!(out.contains("\n`````text\n````\nx\n`````\n"), "{out}");
    }

    #[test]
    fn summary_html_is_escaped() {
        assert_eq!(html_code("<a&b>"), "<code>&lt;a&amp;b&gt;</code>");
    }
}
