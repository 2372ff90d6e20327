//! The deadline, signals and memory bound hold against any file and any input: FIFOs and
//! devices named as inputs, huge files, quadratic and explosive YAML, absurd durations,
//! signals with plugins running. One test per way it once broke, named after it.
//!
//! Wall times are asserted only as correctness bounds (the run's own `--deadline` plus a
//! generous margin), never as performance figures; docs/reliability.md has the figures.

use std::fmt::Write as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::*;

/// The margin past `--deadline` a run may take to end and write its report.
const MARGIN: Duration = Duration::from_secs(1);

fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
}

/// Run `check` with a JSON report; returns the output and the wall time.
fn timed(dir: &Path, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = doctor(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (out, start.elapsed())
}

fn within(took: Duration, deadline_secs: u64) {
    assert!(
        took < Duration::from_secs(deadline_secs) + MARGIN,
        "the run took {took:?} with --deadline {deadline_secs}s"
    );
}

fn one_check_suite(dir: &Path, kind: &str, with: &str) -> PathBuf {
    write_suite(
        dir,
        "suite.yaml",
        &format!("name: t\nchecks:\n  - id: probe\n    kind: {kind}\n    timeout: 2s\n{with}"),
    )
}

#[test]
fn fifo_token_file_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("token"));
    std::fs::write(
        dir.path().join("node.yaml"),
        "auth:\n  jwt:\n    algorithm: HS256\n    token_file: token\n",
    )
    .unwrap();
    let s = one_check_suite(dir.path(), "auth-token", "");
    let (out, took) = timed(
        dir.path(),
        &[
            "--config",
            "node.yaml",
            "--suite",
            s.to_str().unwrap(),
            "--deadline",
            "4s",
        ],
    );
    within(took, 4);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = result(&json_report(&out), "probe").clone();
    assert_eq!(r["code"], "auth-token.missing", "{r:#}");
    assert!(
        r["message"].as_str().unwrap().contains("FIFO"),
        "{}",
        r["message"]
    );
}

#[test]
fn fifo_ca_file_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("ca.pem"));
    std::fs::write(dir.path().join("node.yaml"), "node:\n  id: n1\n").unwrap();
    let s = one_check_suite(
        dir.path(),
        "tls",
        "    with:\n      url: https://127.0.0.1:9\n      ca_file: ca.pem\n",
    );
    let (out, took) = timed(
        dir.path(),
        &[
            "--config",
            "node.yaml",
            "--suite",
            s.to_str().unwrap(),
            "--deadline",
            "4s",
        ],
    );
    within(took, 4);
    let r = result(&json_report(&out), "probe").clone();
    assert_eq!(r["code"], "tls.ca-unreadable", "{r:#}");
    assert!(r["message"].as_str().unwrap().contains("FIFO"), "{r:#}");
}

#[test]
fn fifo_master_secret_file_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("master-secret"));
    std::fs::write(dir.path().join("secret"), "node-secret\n").unwrap();
    std::fs::write(
        dir.path().join("node.yaml"),
        "auth:\n  token_ttl: 3600\n  jwt:\n    algorithm: HS256\n    secret_file: secret\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("master.yaml"),
        "auth:\n  token_ttl: 3600\n  jwt:\n    algorithm: HS256\n    secret_file: master-secret\n",
    )
    .unwrap();
    let s = one_check_suite(dir.path(), "auth-params", "");
    let (out, took) = timed(
        dir.path(),
        &[
            "--config",
            "node.yaml",
            "--master-config",
            "master.yaml",
            "--offline",
            "--suite",
            s.to_str().unwrap(),
            "--deadline",
            "4s",
        ],
    );
    within(took, 4);
    let report = json_report(&out);
    assert_ne!(result(&report, "probe")["cause"], "timeout", "{report:#}");
}

/// Regression: `time.timezone` accepted any absolute path and read it, so a FIFO there hung
/// the run. A zone is only ever looked up under the zoneinfo directory: the FIFO is never
/// opened, and the names differ, which is a warning.
#[test]
fn fifo_as_the_time_zone_is_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("zone");
    mkfifo(&fifo);
    std::fs::write(
        dir.path().join("node.yaml"),
        format!("time:\n  timezone: {}\n", fifo.display()),
    )
    .unwrap();
    let s = one_check_suite(
        dir.path(),
        "timezone",
        "    with:\n      expected: ${config.time.timezone}\n",
    );
    let (out, took) = timed(
        dir.path(),
        &[
            "--config",
            "node.yaml",
            "--suite",
            s.to_str().unwrap(),
            "--deadline",
            "4s",
        ],
    );
    within(took, 4);
    let r = result(&json_report(&out), "probe").clone();
    assert_ne!(r["cause"], "timeout", "{r:#}");
    assert_ne!(r["status"], "pass", "{r:#}");
}

#[test]
fn dev_zero_and_a_3_gb_file_are_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: 3 GB by its size, nothing on disk.
    let huge = std::fs::File::create(dir.path().join("huge-secret")).unwrap();
    huge.set_len(3 * 1024 * 1024 * 1024).unwrap();
    std::fs::write(
        dir.path().join("node.yaml"),
        "auth:\n  jwt:\n    algorithm: HS256\n    token_file: /dev/zero\n    secret_file: huge-secret\n",
    )
    .unwrap();
    let s = write_suite(
        dir.path(),
        "suite.yaml",
        "name: t\nchecks:\n  - id: token\n    kind: auth-token\n    timeout: 2s\n  - id: creds\n    kind: config.credentials\n    timeout: 2s\n",
    );
    let (out, took) = timed(
        dir.path(),
        &[
            "--config",
            "node.yaml",
            "--suite",
            s.to_str().unwrap(),
            "--deadline",
            "5s",
        ],
    );
    within(took, 5);
    let report = json_report(&out);
    let token = result(&report, "token");
    assert_eq!(token["code"], "auth-token.missing", "{token:#}");
    assert!(
        token["message"]
            .as_str()
            .unwrap()
            .contains("character device"),
        "{token:#}"
    );
    let creds = result(&report, "creds");
    let codes: Vec<&str> = creds["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"config-credentials.file-too-large"),
        "{creds:#}"
    );
    assert!(
        codes.contains(&"config-credentials.file-unreadable"),
        "{creds:#}"
    );
}

#[test]
fn a_fifo_named_as_the_config_or_the_suite_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("node.yaml"));
    mkfifo(&dir.path().join("suite.yaml"));
    let (out, took) = timed(
        dir.path(),
        &[
            "--config",
            "node.yaml",
            "--only",
            "config.file",
            "--deadline",
            "4s",
        ],
    );
    within(took, 4);
    let r = result(&json_report(&out), "config.file").clone();
    assert_eq!(r["status"], "fail", "{r:#}");
    let (out, took) = timed(dir.path(), &["--suite", "suite.yaml", "--deadline", "4s"]);
    within(took, 4);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn eighty_thousand_flat_keys_end_within_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(1 << 20);
    for i in 0..80_000 {
        let _ = writeln!(text, "key{i:05}: {i}");
    }
    std::fs::write(dir.path().join("node.yaml"), &text).unwrap();
    // The whole default suite: every check that reads the config, and the linter.
    let (out, took) = timed(dir.path(), &["--config", "node.yaml", "--deadline", "5s"]);
    within(took, 5);
    let report = json_report(&out);
    // 160,000 nodes: far more than any node config, refused (in linear time).
    let syntax = result(&report, "config.syntax");
    assert_eq!(syntax["status"], "fail", "{syntax:#}");
    assert!(
        syntax["message"]
            .as_str()
            .unwrap()
            .contains("expands to more than"),
        "{syntax:#}"
    );
    // The report's duration is the real wall time, reading and parsing included.
    let reported = report["duration_ms"].as_u64().unwrap();
    assert!(
        u128::from(reported) <= took.as_millis(),
        "duration_ms {reported} > wall {took:?}"
    );
}

/// The memory bound of docs/reliability.md.
const PEAK_RSS_BOUND_KIB: u64 = 100 * 1024;

/// Run `check` with a JSON report written to `report.json` in `dir`, under python3's
/// `resource` module; returns the output, the report and the doctor's peak resident set
/// size in KiB as the kernel accounts it (`ru_maxrss` of the finished child).
fn with_peak_rss(dir: &Path, args: &[&str]) -> (Output, serde_json::Value, u64) {
    let report = dir.join("report.json");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import resource, subprocess, sys\n\
             code = subprocess.run(sys.argv[1:]).returncode\n\
             print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
             sys.exit(code)",
            env!("CARGO_BIN_EXE_autoglm-doctor"),
            "check",
            "--format",
            "json",
            "--output",
        ])
        .arg(&report)
        .args(args)
        .current_dir(dir)
        .env_remove("AUTOGLM_CONFIG")
        .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
        .output()
        .unwrap();
    let peak = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no peak RSS: {out:?}"));
    let text = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("no report ({e}): {}", stderr(&out)));
    (out, serde_json::from_str(&text).unwrap(), peak)
}

/// A flat config just under the 4 MiB the config is read up to: over 300,000 keys.
fn four_megabytes_of_flat_keys(dir: &Path) {
    let mut text = String::with_capacity(4_100_000);
    let mut i = 0;
    while text.len() < 4_000_000 {
        let _ = writeln!(text, "key{i:06}: {i}");
        i += 1;
    }
    std::fs::write(dir.join("node.yaml"), &text).unwrap();
}

/// Regression: linting a 4 MB config held 16 bytes per character in three rules and the
/// whole token stream in another (110 MB), and a config with a problem on every line made
/// the linter collect them all (150 MB for 4 MB). The lint now reads configs up to
/// `MAX_LINT_BYTES` (1 MiB): the worst such file, a problem on each of its lines, is
/// linted to its end within the bound; a larger one is not linted, and says so.
#[test]
fn a_config_with_a_problem_on_every_line_is_linted_within_the_memory_bound() {
    if !require("python3", "python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // 1 MiB less a little: a trailing-spaces error and a duplicate key on each line.
    let mut text = "a: 1   \n".repeat(131_000);
    text.push_str("last: 1   \n");
    std::fs::write(dir.path().join("node.yaml"), &text).unwrap();
    let suite = one_check_suite(dir.path(), "config-lint", "");
    // The check's own timeout is 2 s: give it the time a debug build needs on a busy machine.
    let suite_text = std::fs::read_to_string(&suite)
        .unwrap()
        .replace("timeout: 2s", "timeout: 5m");
    std::fs::write(&suite, suite_text).unwrap();
    let args = [
        "--config",
        "node.yaml",
        "--suite",
        suite.to_str().unwrap(),
        "--deadline",
        "10m",
    ];
    let (out, report, peak) = with_peak_rss(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = result(&report, "probe");
    assert_eq!(r["status"], "fail", "{r:#}");
    let message = r["message"].as_str().unwrap();
    // 131,001 trailing-spaces errors and 130,999 duplicate keys, all counted.
    assert!(
        message.starts_with("262000 yamllint problems (262000 errors"),
        "{message}"
    );
    assert_eq!(r["findings"].as_array().unwrap().len(), 1000, "{message}");
    assert!(
        peak < PEAK_RSS_BOUND_KIB,
        "peak RSS {peak} KiB linting 1 MiB"
    );

    // Four times that is not linted: a warning naming the size, at once.
    std::fs::write(dir.path().join("node.yaml"), text.repeat(4)).unwrap();
    let (out, report, peak) = with_peak_rss(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = result(&report, "probe");
    assert_eq!(r["status"], "warn", "{r:#}");
    assert_eq!(r["findings"][0]["code"], "config-lint.too-large", "{r:#}");
    assert!(
        r["message"].as_str().unwrap().contains("4192044 bytes"),
        "{r:#}"
    );
    assert!(peak < PEAK_RSS_BOUND_KIB, "peak RSS {peak} KiB with 4 MB");
}

/// The acceptance case: the same file under the whole default suite and a 5 s deadline
/// ends within it, with its report, within the memory bound.
#[test]
fn four_megabytes_of_flat_keys_end_within_the_deadline_and_the_memory_bound() {
    if !require("python3", "python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    four_megabytes_of_flat_keys(dir.path());
    let start = Instant::now();
    let (out, report, peak) =
        with_peak_rss(dir.path(), &["--config", "node.yaml", "--deadline", "5s"]);
    within(start.elapsed(), 5);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        result(&report, "config.file")["status"],
        "pass",
        "{report:#}"
    );
    assert_eq!(
        result(&report, "config.syntax")["status"],
        "fail",
        "{report:#}"
    );
    assert!(
        peak < PEAK_RSS_BOUND_KIB,
        "peak RSS {peak} KiB with a 4 MB config"
    );
}

#[test]
fn forty_thousand_flat_keys_are_judged_within_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(1 << 20);
    for i in 0..40_000 {
        let _ = writeln!(text, "key{i:05}: {i}");
    }
    std::fs::write(dir.path().join("node.yaml"), &text).unwrap();
    let (out, took) = timed(
        dir.path(),
        &[
            "--config",
            "node.yaml",
            "--only",
            "config.syntax,config.schema,config.credentials",
            "--deadline",
            "5s",
        ],
    );
    within(took, 5);
    let report = json_report(&out);
    assert_eq!(
        result(&report, "config.syntax")["status"],
        "pass",
        "{report:#}"
    );
    let schema = result(&report, "config.schema");
    assert_eq!(schema["status"], "fail", "{schema:#}");
    assert_ne!(schema["cause"], "timeout", "{schema:#}");
}

#[test]
fn nested_anchors_are_refused_before_they_expand() {
    let dir = tempfile::tempdir().unwrap();
    // Each level doubles the one before: 2^40 nodes if expanded.
    let mut text = String::from("l0: &l0 [x, y]\n");
    for i in 1..=40 {
        let _ = writeln!(text, "l{i}: &l{i} [*l{}, *l{}]", i - 1, i - 1);
    }
    std::fs::write(dir.path().join("node.yaml"), &text).unwrap();
    let (out, took) = timed(
        dir.path(),
        &[
            "--config",
            "node.yaml",
            "--only",
            "config.syntax",
            "--deadline",
            "5s",
        ],
    );
    within(took, 5);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = result(&json_report(&out), "config.syntax").clone();
    assert_eq!(r["status"], "fail", "{r:#}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("expands to more than"),
        "{r:#}"
    );
}

#[test]
fn nested_aliases_cannot_nest_deeper_than_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    // Each level one deeper than the last: a chain of 1000 would overflow the stack of
    // anything that walks the tree recursively.
    let mut text = String::from("l0: &l0 x\n");
    for i in 1..=1000 {
        let _ = writeln!(text, "l{i}: &l{i} [*l{}]", i - 1);
    }
    std::fs::write(dir.path().join("node.yaml"), &text).unwrap();
    let (out, took) = timed(
        dir.path(),
        &[
            "--config",
            "node.yaml",
            "--only",
            "config.syntax",
            "--deadline",
            "5s",
        ],
    );
    within(took, 5);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = result(&json_report(&out), "config.syntax").clone();
    assert!(r["message"].as_str().unwrap().contains("deeper"), "{r:#}");
}

#[test]
fn huge_and_zero_durations_are_usage_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--deadline", "9300000000000000000s"),
        ("--timeout", "18446744073709551615s"),
        ("--timeout", "0"),
        ("--deadline", "0s"),
        ("--deadline", "25h"),
        ("--retry-timeout", "0"),
    ] {
        let out = doctor(dir.path())
            .args(["check", flag, value])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag} {value}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains(value)
                && (err.contains("out of range") || err.contains("invalid duration")),
            "{flag} {value}: {err}"
        );
    }
    let s = write_suite(
        dir.path(),
        "suite.yaml",
        "checks:\n  - id: a\n    kind: exec\n    timeout: 100000d\n    with:\n      command: [\"true\"]\n",
    );
    let out = doctor(dir.path())
        .args(["check", "--suite", s.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Whether process `pid` is gone (or a zombie waiting for its new parent to reap it).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn signal_with_a_plugin_running(signal: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let s = write_suite(
        dir.path(),
        "suite.yaml",
        "checks:\n  - id: done\n    kind: exec\n    with:\n      command: [sh, -c, \"echo 'OK - finished'\"]\n  - id: plugin\n    kind: exec\n    timeout: 1m\n    with:\n      command: [sh, -c, \"echo $$ > plugin.pid; sleep 3600 & echo $! > child.pid; wait\"]\n",
    );
    let report_path = dir.path().join("report.json");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("autoglm-doctor"))
        .current_dir(dir.path())
        .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
        .args(["check", "--format", "json", "--suite"])
        .arg(&s)
        .arg("--output")
        .arg(&report_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until the plugin and the process it started are running.
    let child_pid = dir.path().join("child.pid");
    for _ in 0..100 {
        if std::fs::read_to_string(&child_pid).is_ok_and(|s| !s.trim().is_empty()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let plugin = std::fs::read_to_string(dir.path().join("plugin.pid")).unwrap();
    let grandchild = std::fs::read_to_string(&child_pid).unwrap();
    let sent = Instant::now();
    assert!(
        std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Some(status) = status else {
        child.kill().unwrap();
        panic!("the doctor did not stop after {signal}");
    };
    let took = sent.elapsed();
    assert!(
        took < Duration::from_secs(1) + MARGIN,
        "stopped after {took:?}"
    );
    assert_eq!(status.code(), Some(code));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(report["status"], "interrupted");
    assert_eq!(report["interrupted"], true);
    assert_eq!(result(&report, "plugin")["cause"], "interrupted");
    assert_eq!(result(&report, "done")["status"], "pass");
    // The plugin's whole process group went with it.
    for pid in [plugin.trim(), grandchild.trim()] {
        let mut dead = false;
        for _ in 0..50 {
            if gone(pid) {
                dead = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if !dead {
            let _ = std::process::Command::new("kill")
                .args(["-9", pid])
                .status();
            panic!("plugin process {pid} outlived the doctor");
        }
    }
}

#[test]
fn sigterm_with_a_plugin_running_writes_the_report_kills_the_group_and_exits_143() {
    signal_with_a_plugin_running("-TERM", 143);
}

#[test]
fn sighup_with_a_plugin_running_exits_129() {
    signal_with_a_plugin_running("-HUP", 129);
}

#[test]
fn sigint_with_a_plugin_running_exits_130() {
    signal_with_a_plugin_running("-INT", 130);
}
