//! `exec`: run an external program that follows the monitoring-plugins convention.
//!
//! Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; the first line of standard output is the
//! message, and text after `|` on it is perfdata (`label=value[uom];warn;crit;min;max`),
//! kept as evidence. Existing `check_*` plugins and site scripts plug in through a suite.

use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::AsyncReadExt;

use super::{CheckKind, CodeInfo, Context, KindInfo};
use crate::report::{Cause, Evaluation, Finding, Status};

/// Most output read from a plugin.
const MAX_OUTPUT: usize = 64 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Program and arguments, e.g. `[/usr/lib/nagios/plugins/check_tcp, -H, 127.0.0.1, -p, "8080"]`.
    pub command: Vec<super::Text>,
    /// Working directory.
    #[serde(default)]
    pub cwd: Option<String>,
    /// Whether the plugin talks to the network (default true: skipped under `--offline`);
    /// set `false` for local plugins such as check_disk.
    #[serde(default = "yes")]
    pub network: bool,
}

fn yes() -> bool {
    true
}

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "exec",
        category: "plugin",
        summary: "Run an external monitoring plugin (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
        explain: "What it checks: whatever the program checks. The doctor runs `command` (no shell) under the check's timeout and maps its exit status: 0 OK (pass), 1 WARNING (warn), 2 CRITICAL (fail), 3 UNKNOWN or anything else (fail, the plugin could not evaluate). The first line of standard output is the message; perfdata after `|` becomes evidence. Output beyond 64 KiB is not read.\n\nWhy it matters: sites already have `check_*` plugins (monitoring-plugins, Nagios, Icinga) and scripts for what is specific to them; they plug into the doctor's causal order and report without recompiling.\n\nHow to fix: follow the plugin's own message; for `exec.not-found` install the plugin or fix the path in the suite.",
        default_timeout: Duration::from_secs(10),
        network: true,
        reads_config: false,
        codes: &[
            CodeInfo {
                code: "exec.warning",
                status: Status::Warn,
                summary: "The plugin exited 1 (WARNING).",
                remediation: "Follow the plugin's message.",
            },
            CodeInfo {
                code: "exec.critical",
                status: Status::Fail,
                summary: "The plugin exited 2 (CRITICAL).",
                remediation: "Follow the plugin's message.",
            },
            CodeInfo {
                code: "exec.unknown",
                status: Status::Fail,
                summary: "The plugin exited 3 (UNKNOWN), another status, or was killed by a signal: it could not evaluate.",
                remediation: "Run the plugin by hand with the same arguments and fix its usage or environment.",
            },
            CodeInfo {
                code: "exec.not-found",
                status: Status::Fail,
                summary: "The program could not be started (not found, not executable).",
                remediation: "Install the plugin or correct the path in the suite's `command`.",
            },
        ],
    };

    fn network(spec: &Spec) -> bool {
        spec.network
    }

    async fn run(spec: &Spec, _ctx: &Context) -> Evaluation {
        let Some((program, args)) = spec.command.split_first() else {
            return Evaluation::single(Finding::fail(
                "exec.not-found",
                "empty command",
                "give `command:` as a list: program, then arguments",
            ));
        };
        let program = &program.0;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args.iter().map(|a| &a.0))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        if let Some(cwd) = &spec.cwd {
            cmd.current_dir(cwd);
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let mut eval = Evaluation::single(
                    Finding::fail(
                        "exec.not-found",
                        format!("cannot start {program}: {e}"),
                        format!("install {program} or correct the path in the suite's `command`"),
                    )
                    .with("program", program.clone()),
                );
                eval.cause = Some(Cause::ProbeError);
                return eval;
            }
        };
        let mut out = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = stdout.take(MAX_OUTPUT as u64).read_to_end(&mut out).await;
        }
        let status = match child.wait().await {
            Ok(s) => s,
            Err(e) => {
                let mut eval = Evaluation::single(Finding::fail(
                    "exec.unknown",
                    format!("waiting for {program} failed: {e}"),
                    "run the plugin by hand to see what happens",
                ));
                eval.cause = Some(Cause::ProbeError);
                return eval;
            }
        };
        judge(program, status.code(), &String::from_utf8_lossy(&out))
    }
}

/// Map an exit status and output to an evaluation.
pub fn judge(program: &str, code: Option<i32>, output: &str) -> Evaluation {
    let first = output.lines().next().unwrap_or("").trim();
    let (text, perf) = match first.split_once('|') {
        Some((t, p)) => (t.trim(), Some(p.trim())),
        None => (first, None),
    };
    let text: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
    let message = if text.is_empty() {
        format!("{program} printed nothing")
    } else {
        text
    };
    let fix = format!("follow the message of {program}; run it by hand to see its full output");
    let mut finding = match code {
        Some(0) => Finding::pass(message),
        Some(1) => Finding::warn("exec.warning", message, fix),
        Some(2) => Finding::fail("exec.critical", message, fix),
        Some(c) => Finding::fail(
            "exec.unknown",
            format!("{message} (exit status {c}: UNKNOWN)"),
            format!(
                "run {program} by hand with the same arguments and fix its usage or environment"
            ),
        ),
        None => Finding::fail(
            "exec.unknown",
            format!("{program} was killed by a signal"),
            format!("run {program} by hand to see why it dies"),
        ),
    };
    finding = finding.with(
        "exit_status",
        code.map_or(serde_json::Value::Null, serde_json::Value::from),
    );
    if let Some(perf) = perf {
        for item in perf.split_whitespace() {
            if let Some((label, value)) = item.split_once('=') {
                finding = finding.with(
                    &format!("perf.{}", label.trim_matches('\'')),
                    value.split(';').next().unwrap_or(value),
                );
            }
        }
    }
    let mut eval = Evaluation::single(finding);
    if !matches!(code, Some(0..=2)) {
        eval.cause = Some(Cause::ProbeError);
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_exit_statuses() {
        let cases = [
            (Some(0), Status::Pass),
            (Some(1), Status::Warn),
            (Some(2), Status::Fail),
            (Some(3), Status::Fail),
            (Some(77), Status::Fail),
            (None, Status::Fail),
        ];
        for (code, status) in cases {
            assert_eq!(judge("p", code, "OK - fine").status(), status, "{code:?}");
        }
    }

    #[test]
    fn parses_message_and_perfdata() {
        let e = judge(
            "check_tcp",
            Some(1),
            "TCP WARNING - 1.2s response | time=1.2s;1;2;0;10 size=5B\nmore\n",
        );
        let f = e.worst().unwrap();
        assert_eq!(f.message, "TCP WARNING - 1.2s response");
        assert_eq!(f.evidence["perf.time"], "1.2s");
        assert_eq!(f.evidence["perf.size"], "5B");
    }
}
