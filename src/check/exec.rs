//! `exec`: run an external program that follows the monitoring-plugins convention.
//!
//! Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; the first line of standard output is the
//! message, and text after `|` on it is perfdata (`label=value[uom];warn;crit;min;max`),
//! kept as evidence. Existing `check_*` plugins and site scripts plug in through a suite.
//!
//! A plugin runs in a process group of its own. Whatever ends it — its own exit, its
//! timeout, the run's deadline or Ctrl-C — the whole group is killed, so processes it
//! started cannot outlive the check or keep its output pipe open. Output is read up to a
//! cap; a plugin that writes more is stopped there instead of blocking on a full pipe until
//! its timeout.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::Deserialize;
use tokio::io::AsyncReadExt;

use super::{CheckKind, Context, KindInfo};
use crate::report::Code;
use crate::report::{Cause, Evaluation, Finding, Status};

/// Most output read from a plugin; a plugin that writes more is stopped.
pub const MAX_OUTPUT: usize = 64 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Program and arguments, e.g. `[/usr/lib/nagios/plugins/check_tcp, -H, 127.0.0.1, -p, "8080"]`.
    #[serde(deserialize_with = "super::param::non_empty")]
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

super::generated_codes!("exec");

/// The plugin exited 1 (WARNING).
pub const WARNING: Code = Code::new(
    "exec.warning",
    Status::Warn,
    "The plugin exited 1 (WARNING).",
    "Follow the plugin's message.",
);

/// The plugin exited 2 (CRITICAL).
pub const CRITICAL: Code = Code::new(
    "exec.critical",
    Status::Fail,
    "The plugin exited 2 (CRITICAL).",
    "Follow the plugin's message.",
);

/// The plugin exited 3 (UNKNOWN), another status, or was killed by a signal: it could not evaluate.
pub const UNKNOWN: Code = Code::new(
    "exec.unknown",
    Status::Fail,
    "The plugin exited 3 (UNKNOWN), another status, or was killed by a signal: it could not evaluate.",
    "Run the plugin by hand with the same arguments and fix its usage or environment.",
);

/// The program could not be started (not found, not executable).
pub const NOT_FOUND: Code = Code::new(
    "exec.not-found",
    Status::Fail,
    "The program could not be started (not found, not executable).",
    "Install the plugin or correct the path in the suite's `command`.",
);

/// The plugin wrote more than 64 KiB to standard output; it was stopped and its output truncated.
pub const OUTPUT_TOO_LARGE: Code = Code::new(
    "exec.output-too-large",
    Status::Fail,
    "The plugin wrote more than 64 KiB to standard output; it was stopped and its output truncated.",
    "Make the plugin print one status line (plus perfdata) and send verbose output to a file or standard error.",
);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "exec",
        category: "plugin",
        summary: "Run an external monitoring plugin (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
        explain: "What it checks: whatever the program checks. The doctor runs `command` (no shell) in a process group of its own under the check's timeout and maps its exit status: 0 OK (pass), 1 WARNING (warn), 2 CRITICAL (fail), 3 UNKNOWN or anything else (fail, the plugin could not evaluate). The first line of standard output is the message; perfdata after `|` becomes evidence. When the plugin exits, times out or the run ends, its whole process group is killed, so nothing it started keeps running. A plugin that writes more than 64 KiB to standard output is stopped there (`exec.output-too-large`).\n\nWhy it matters: sites already have `check_*` plugins (monitoring-plugins, Nagios, Icinga) and scripts for what is specific to them; they plug into the doctor's causal order and report without recompiling.\n\nHow to fix: follow the plugin's own message; for `exec.not-found` install the plugin or fix the path in the suite.",
        default_timeout: Duration::from_secs(10),
        network: true,
        reads_config: false,
        codes: &[WARNING, CRITICAL, UNKNOWN, NOT_FOUND, OUTPUT_TOO_LARGE],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    fn network(spec: &Spec) -> bool {
        spec.network
    }

    async fn run(spec: &Spec, _ctx: &Context) -> Evaluation {
        let Some((program, args)) = spec.command.split_first() else {
            return Evaluation::single(Finding::new(
                &NOT_FOUND,
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
                    Finding::new(
                        &NOT_FOUND,
                        format!("cannot start {program}: {e}"),
                        format!("install {program} or correct the path in the suite's `command`"),
                    )
                    .with("program", program.clone()),
                );
                eval.cause = Some(Cause::ProbeError);
                return eval;
            }
        };
        // From here on, dropping `group` (this future being dropped on timeout, deadline or
        // Ctrl-C included) kills the plugin and everything it started.
        let mut group = Group::of(&child);
        let read = read_capped(child.stdout.take());
        tokio::pin!(read);
        let mut captured = None;
        let mut exited = None;
        while captured.is_none() || exited.is_none() {
            tokio::select! {
                c = &mut read, if captured.is_none() => {
                    if c.truncated {
                        group.kill();
                    }
                    captured = Some(c);
                }
                s = child.wait(), if exited.is_none() => {
                    // The plugin is done: what it left running goes too, so a background
                    // process holding the pipe open cannot keep the check waiting.
                    group.kill();
                    exited = Some(s);
                }
            }
        }
        let captured = captured.unwrap_or_default();
        let status = match exited {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                let mut eval = Evaluation::single(Finding::new(
                    &UNKNOWN,
                    format!("waiting for {program} failed: {e}"),
                    format!("run {program} by hand to see what happens"),
                ));
                eval.cause = Some(Cause::ProbeError);
                return eval;
            }
            None => return Evaluation::default(),
        };
        judge(
            program,
            &Outcome {
                code: status.code(),
                signal: status.signal(),
                output: String::from_utf8_lossy(&captured.bytes).into_owned(),
                truncated: captured.truncated,
            },
        )
    }
}

/// The process groups of the plugins running now, so that a signal that ends the doctor
/// (or a deadline that gives up on a stuck check) takes them along: a future that is never
/// dropped cannot kill its group.
static GROUPS: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// Kill (SIGKILL) the process group of every plugin still running.
pub fn kill_all_groups() {
    let groups = match GROUPS.lock() {
        Ok(mut g) => std::mem::take(&mut *g),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    for pgid in groups {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

/// A plugin's process group, killed (SIGKILL) once: explicitly, or when dropped.
struct Group(Option<Pid>);

impl Group {
    fn of(child: &tokio::process::Child) -> Self {
        // `process_group(0)` made the child the leader of a group with its own pid.
        let pgid = child.id().and_then(|id| i32::try_from(id).ok());
        if let Some(id) = pgid
            && let Ok(mut g) = GROUPS.lock()
        {
            g.push(id);
        }
        Self(pgid.map(Pid::from_raw))
    }

    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            if let Ok(mut g) = GROUPS.lock() {
                g.retain(|&id| id != pgid.as_raw());
            }
            // ESRCH (the group is already empty) is the usual, harmless answer. After the
            // leader is reaped its id stays reserved as long as a member of its group lives,
            // so the signal can only reach the plugin's own processes.
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Standard output as read, and whether the plugin wrote more than [`MAX_OUTPUT`].
#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    truncated: bool,
}

/// Read until end of file or one byte past the cap; the pipe is closed on return.
async fn read_capped(stdout: Option<tokio::process::ChildStdout>) -> Captured {
    let Some(stdout) = stdout else {
        return Captured::default();
    };
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_OUTPUT)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    // A read error ends the output like end of file: the exit status still decides.
    let _ = stdout.take(limit).read_to_end(&mut bytes).await;
    let truncated = bytes.len() > MAX_OUTPUT;
    bytes.truncate(MAX_OUTPUT);
    Captured { bytes, truncated }
}

/// How a plugin run ended.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Exit status, when it exited.
    pub code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
    /// Standard output, at most [`MAX_OUTPUT`] bytes.
    pub output: String,
    /// Whether it wrote more than [`MAX_OUTPUT`] bytes (and was stopped unless it had exited).
    pub truncated: bool,
}

/// Map an exit status and output to an evaluation.
pub fn judge(program: &str, outcome: &Outcome) -> Evaluation {
    let code = outcome.code;
    let first = outcome.output.lines().next().unwrap_or("").trim();
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
    let limit = MAX_OUTPUT / 1024;
    let mut finding = match code {
        None if outcome.truncated => Finding::new(
            &OUTPUT_TOO_LARGE,
            format!(
                "{program} wrote more than {limit} KiB to standard output and was stopped; its first line: {message}"
            ),
            format!(
                "make {program} print one status line (plus perfdata) and send verbose output to a file or standard error; its output was cut at {limit} KiB"
            ),
        ),
        Some(0) => Finding::pass(message),
        Some(1) => Finding::new(&WARNING, message, fix),
        Some(2) => Finding::new(&CRITICAL, message, fix),
        Some(c) => Finding::new(
            &UNKNOWN,
            format!("{message} (exit status {c}: UNKNOWN)"),
            format!(
                "run {program} by hand with the same arguments and fix its usage or environment"
            ),
        ),
        None => Finding::new(
            &UNKNOWN,
            match outcome.signal {
                Some(s) => format!("{program} was killed by signal {s}"),
                None => format!("{program} was killed by a signal"),
            },
            format!("run {program} by hand to see why it dies"),
        ),
    };
    finding = finding.with(
        "exit_status",
        code.map_or(serde_json::Value::Null, serde_json::Value::from),
    );
    if let (None, Some(s)) = (code, outcome.signal) {
        finding = finding.with("signal", s);
    }
    if outcome.truncated {
        finding = finding
            .with("output_truncated", true)
            .with("output_limit_bytes", MAX_OUTPUT);
    }
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

    fn exited(code: i32, output: &str) -> Outcome {
        Outcome {
            code: Some(code),
            output: output.into(),
            ..Outcome::default()
        }
    }

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
            let outcome = Outcome {
                code,
                signal: code.is_none().then_some(9),
                output: "OK - fine".into(),
                truncated: false,
            };
            assert_eq!(judge("p", &outcome).status(), status, "{code:?}");
        }
    }

    #[test]
    fn only_ok_warning_and_critical_evaluated() {
        for (code, cause) in [
            (Some(0), None),
            (Some(1), None),
            (Some(2), None),
            (Some(3), Some(Cause::ProbeError)),
            (None, Some(Cause::ProbeError)),
        ] {
            let outcome = Outcome {
                code,
                ..Outcome::default()
            };
            assert_eq!(judge("p", &outcome).cause, cause, "{code:?}");
        }
    }

    #[test]
    fn parses_message_and_perfdata() {
        let e = judge(
            "check_tcp",
            &exited(
                1,
                "TCP WARNING - 1.2s response | time=1.2s;1;2;0;10 size=5B\nmore\n",
            ),
        );
        let f = e.worst().unwrap();
        assert_eq!(f.message, "TCP WARNING - 1.2s response");
        assert_eq!(f.evidence["perf.time"], "1.2s");
        assert_eq!(f.evidence["perf.size"], "5B");
    }

    #[test]
    fn a_plugin_stopped_for_flooding_is_output_too_large() {
        let e = judge(
            "flood",
            &Outcome {
                code: None,
                signal: Some(9),
                output: "y\ny\n".into(),
                truncated: true,
            },
        );
        let f = e.worst().unwrap();
        assert_eq!(f.code_name(), Some("exec.output-too-large"));
        assert_eq!(
            f.message,
            "flood wrote more than 64 KiB to standard output and was stopped; its first line: y"
        );
        assert_eq!(f.evidence["output_truncated"], true);
        assert_eq!(e.cause, Some(Cause::ProbeError));
    }

    #[test]
    fn a_plugin_that_exited_keeps_its_verdict_when_output_was_cut() {
        let mut outcome = exited(0, "OK - long report");
        outcome.truncated = true;
        let e = judge("p", &outcome);
        assert_eq!(e.status(), Status::Pass);
        assert_eq!(e.worst().unwrap().evidence["output_truncated"], true);
    }

    #[test]
    fn a_signal_is_named() {
        let e = judge(
            "p",
            &Outcome {
                signal: Some(15),
                ..Outcome::default()
            },
        );
        assert_eq!(e.worst().unwrap().message, "p was killed by signal 15");
        assert_eq!(e.worst().unwrap().evidence["signal"], 15);
    }
}
