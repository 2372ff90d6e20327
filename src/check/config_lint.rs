//! `config.lint`: yamllint rules over the node config (`relaxed` unless the suite says).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo};
use crate::config::ConfigSource;
use crate::lint::{Level, Linter, Problem};
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};
use crate::yaml::Pos;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(default = "relaxed")]
    preset: String,
    #[serde(default)]
    rules: Option<serde_json::Value>,
}

fn relaxed() -> String {
    "relaxed".into()
}

/// Parameters: `preset` (`relaxed` or `default`) and yamllint-style `rules`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawSpec")]
pub struct Spec {
    linter: Arc<Linter>,
}

impl TryFrom<RawSpec> for Spec {
    type Error = String;
    fn try_from(raw: RawSpec) -> Result<Self, String> {
        Ok(Self {
            linter: Arc::new(Linter::new(&raw.preset, raw.rules.as_ref())?),
        })
    }
}

super::generated_codes!("config-lint");

/// A yamllint rule at level error is violated (rule and position given).
pub const ERROR: Code = Code::new(
    "config-lint.error",
    Status::Fail,
    "A yamllint rule at level error is violated (rule and position given).",
    "Edit the reported line as the rule says, or relax the rule in the suite's `rules:`.",
)
.was(&["config.lint.error"]);

/// A yamllint rule at level warning is violated.
pub const WARNING: Code = Code::new(
    "config-lint.warning",
    Status::Warn,
    "A yamllint rule at level warning is violated.",
    "Edit the reported line as the rule says, or disable the rule in the suite's `rules:`.",
)
.was(&["config.lint.warning"]);

/// The config is larger than the lint reads ([`MAX_LINT_BYTES`]).
pub const TOO_LARGE: Code = Code::new(
    "config-lint.too-large",
    Status::Warn,
    "The config is larger than the lint reads (1 MiB); it was not linted.",
    "Node configs are a few kilobytes: find out why this one is so large (generated or concatenated content), or lint it with yamllint on a workstation.",
);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "config-lint",
        category: "config",
        summary: "yamllint rules over the node config (relaxed preset unless the suite sets rules)",
        explain: "What it checks: the node config against yamllint's rules — indentation, trailing spaces, line length, truthy values, empty values, key duplicates and the rest — with the `relaxed` preset unless the suite sets `preset: default` or its own `rules:` (yamllint syntax, e.g. `rules: {line-length: {max: 120}}`). Each problem is reported with line, column, rule and level; rule level `error` fails the check, `warning` warns. A config over 1 MiB is not linted (a warning, `config-lint.too-large`): node configs are a few kilobytes, and the rules' memory grows with every key and problem.\n\nWhy it matters: the usual runbook starts with `yamllint -d relaxed config.yaml`; inconsistent indentation and stray characters are how most malformed configs start, and a `yes`/`on` that one parser reads as true and another as a string changes behaviour silently.\n\nHow to fix: edit the reported line as the rule says; if a rule does not fit your site, relax it in the suite's `rules:` rather than ignoring the whole check.",
        default_timeout: Duration::from_secs(10),
        network: false,
        // The text, not the parsed config: the lint runs on any file that reads, whatever
        // its shape, as yamllint does.
        reads_config: false,
        codes: &[ERROR, WARNING, TOO_LARGE],
        generated: GENERATED,
        aliases: &["config.lint"],
        implicit_needs: &["config-file"],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let src = Arc::clone(&ctx.config);
        let linter = Arc::clone(&spec.linter);
        super::on_blocking_pool(&INTERNAL, "the linter", move || judge(&linter, &src)).await
    }
}

/// At most this many problems become findings, each with its source line: a file with a
/// problem on each of its 500,000 lines made a report of hundreds of megabytes, built in
/// time that grew with the square of the file (every source line is found from the
/// start). The message counts them all.
pub const MAX_FINDINGS: usize = 1000;

/// The largest config linted. yamllint's rules remember every key and collect every
/// problem: 4 MB with a problem on each line costs the linter about 150 MB, while a node
/// config is a few kilobytes. Larger ones are parsed and judged by the other config checks,
/// not linted.
pub const MAX_LINT_BYTES: usize = 1024 * 1024;

/// Lint the config and turn each problem into a finding (at most [`MAX_FINDINGS`]).
pub fn judge(linter: &Linter, src: &ConfigSource) -> Evaluation {
    let Some(text) = src.text() else {
        return super::blocked(
            &BLOCKED,
            "not run: the config file was not read",
            "fix the config.file check first",
        );
    };
    let path = src.display_path();
    if text.len() > MAX_LINT_BYTES {
        let mut eval = Evaluation::single(Finding::new(
            &TOO_LARGE,
            format!(
                "not linted: {path} is {} bytes, more than the {MAX_LINT_BYTES} bytes the lint reads (node configs are a few kilobytes)",
                text.len()
            ),
            format!(
                "find out why {path} is so large (generated or concatenated content?), or lint it on a workstation: `yamllint -d relaxed {path}`"
            ),
        ));
        eval.evidence.insert("bytes".into(), text.len().into());
        return eval;
    }
    let problems = linter.lint(text, &PathBuf::from(&path));
    if problems.is_empty() {
        return Evaluation::single(Finding::pass(format!(
            "no yamllint problems ({})",
            linter.describe
        )));
    }
    let errors = problems.iter().filter(|p| p.level == Level::Error).count();
    let warnings = problems.len() - errors;
    let mut listed: Vec<&Problem> = problems.iter().take(MAX_FINDINGS).collect();
    // The check's status is that of every problem, listed or not.
    if errors > 0
        && !listed.iter().any(|p| p.level == Level::Error)
        && let Some(error) = problems.iter().find(|p| p.level == Level::Error)
        && let Some(last) = listed.last_mut()
    {
        *last = error;
    }
    let findings: Vec<Finding> = listed.iter().map(|p| finding(p, &path, src)).collect();
    let mut eval = Evaluation::of(findings);
    let first = eval.worst().map(|f| f.message.clone()).unwrap_or_default();
    eval.message = Some(format!(
        "{} yamllint problem{} ({errors} error{}, {warnings} warning{}); first: {first}{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        if problems.len() > listed.len() {
            format!("; the first {} are listed", listed.len())
        } else {
            String::new()
        },
    ));
    eval.evidence
        .insert("preset".into(), linter.describe.clone().into());
    eval.evidence.insert("errors".into(), errors.into());
    eval.evidence.insert("warnings".into(), warnings.into());
    eval
}

fn finding(p: &Problem, path: &str, src: &ConfigSource) -> Finding {
    let rule = p.rule.unwrap_or("syntax");
    let line = p.line;
    let fix = match rule {
        "indentation" => {
            format!("re-indent line {line} of {path} with spaces, consistently with its siblings")
        }
        "trailing-spaces" => {
            format!("delete the trailing spaces at the end of line {line} of {path}")
        }
        "line-length" => format!(
            "shorten line {line} of {path} or raise `line-length: {{max: N}}` in the suite's lint rules"
        ),
        "truthy" => format!("write `true` or `false` (not yes/no/on/off) on line {line} of {path}"),
        "key-duplicates" => format!("keep one definition of the key on line {line} of {path}"),
        "new-line-at-end-of-file" => format!("end {path} with a newline"),
        "empty-values" => format!("give the key on line {line} of {path} a value or delete it"),
        "syntax" => format!("fix the YAML syntax at {path}:{line}:{}", p.column),
        other => format!(
            "fix line {line} of {path} as the `{other}` rule says, or relax `{other}` in the suite's lint rules"
        ),
    };
    let code = match p.level {
        Level::Error => &ERROR,
        Level::Warning => &WARNING,
    };
    Finding::new(code, format!("[{rule}] {}", p.message), fix)
        .at(src.location(Pos {
            line: p.line,
            column: p.column,
        }))
        .with("rule", rule)
        .with(
            "level",
            if p.level == Level::Error {
                "error"
            } else {
                "warning"
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_become_located_findings() {
        let linter = Linter::new("relaxed", None).unwrap();
        let src = ConfigSource::from_text("c.yaml", "a: 1\nb: 2   \n");
        let e = judge(&linter, &src);
        assert_eq!(e.status(), Status::Fail);
        let f = e.worst().unwrap();
        assert_eq!(f.code_name(), Some("config-lint.error"));
        assert_eq!(
            f.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 5))
        );
        assert!(
            e.message
                .as_deref()
                .unwrap()
                .starts_with("1 yamllint problem (1 error, 0 warnings)")
        );
    }

    #[test]
    fn a_problem_on_every_line_lists_the_first_ones_and_counts_them_all() {
        use std::fmt::Write as _;
        let linter = Linter::new("relaxed", None).unwrap();
        // Warnings (truthy values under `default`) first, then one error at the end.
        let linter_default = Linter::new("default", None).unwrap();
        let mut text = String::from("---\n");
        for i in 0..MAX_FINDINGS + 500 {
            let _ = writeln!(text, "k{i}: 1   ");
        }
        let src = ConfigSource::from_text("c.yaml", &text);
        let e = judge(&linter, &src);
        assert_eq!(e.findings.len(), MAX_FINDINGS);
        let message = e.message.as_deref().unwrap();
        assert!(
            message.starts_with("1500 yamllint problems (1500 errors, 0 warnings)"),
            "{message}"
        );
        assert!(message.ends_with("the first 1000 are listed"), "{message}");

        let mut text = String::from("---\n");
        for i in 0..MAX_FINDINGS + 10 {
            let _ = writeln!(text, "k{i}: yes");
        }
        text.push_str("last: 1   \n");
        let src = ConfigSource::from_text("c.yaml", &text);
        let e = judge(&linter_default, &src);
        assert_eq!(e.findings.len(), MAX_FINDINGS);
        // The one error is beyond the first thousand warnings: the check still fails.
        assert_eq!(e.status(), Status::Fail);
    }

    #[test]
    fn clean_file_passes() {
        let linter = Linter::new("relaxed", None).unwrap();
        let src = ConfigSource::from_text("c.yaml", "a: 1\n");
        assert_eq!(judge(&linter, &src).status(), Status::Pass);
    }
}
