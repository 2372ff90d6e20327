//! Integration tests: the real binary, real files, real child processes.
//!
//! One test binary (fast to link) with modules per area and a small harness.

// Tests prepare and inspect files, environments and peers directly.
#![allow(clippy::disallowed_methods)]
// Tests assert by panicking; helpers outside `#[test]` functions do the same.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::missing_panics_doc,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]

mod accuracy;
mod api;
mod auth;
mod codes;
mod conformance;
mod consumers;
mod docs;
mod endpoint;
mod engine;
mod fixtures;
mod fleet;
mod freshness;
mod grpc;
mod hygiene;
mod interface;
mod layers;
mod network;
mod objstore;
mod peers;
mod plugins;
mod progress;
mod proxy;
mod recovery;
mod reliability;
mod restated;
mod retry;
mod robustness;
mod secrets;
mod security;
mod shell;
mod sim;
mod snapshots;
mod terminal;
mod time;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A command for the doctor with a clean environment: no config discovery surprises, no
/// colour, a working directory of the test's choosing.
pub fn doctor(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("autoglm-doctor").expect("binary built");
    cmd.current_dir(cwd)
        .env_remove("AUTOGLM_CONFIG")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("AUTOGLM_API_KEY", FIXTURE_API_KEY)
        // Tests send traffic to loopback only; the doctor enforces it.
        .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
        .timeout(std::time::Duration::from_secs(60));
    cmd.without_proxies();
    cmd
}

/// The proxy variables the doctor follows. The machine's own would capture the simulated
/// master; tests that want a proxy start one and set the variables themselves.
pub const PROXY_VARIABLES: [&str; 7] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "grpc_proxy",
];

/// Commands that run the doctor (directly or through a shell) without the machine's proxy.
pub trait WithoutProxies {
    fn without_proxies(&mut self) -> &mut Self;
}

impl WithoutProxies for assert_cmd::Command {
    fn without_proxies(&mut self) -> &mut Self {
        for v in PROXY_VARIABLES {
            self.env_remove(v);
        }
        self
    }
}

impl WithoutProxies for std::process::Command {
    fn without_proxies(&mut self) -> &mut Self {
        for v in PROXY_VARIABLES {
            self.env_remove(v);
        }
        self
    }
}

/// The shipped suites also check the node's own state (its checkpoint storage and logs).
/// The machine running the tests is not an Open-AutoGLM node, so tests about a config leave
/// those checks out; `recovery.rs` runs them on fixture nodes.
/// The same goes for its time daemon and time zone.
pub const NOT_A_NODE: [&str; 2] = [
    "--skip",
    "recovery.checkpoint,recovery.log-scan,time.kernel,time.zone",
];

/// The API key the healthy fixture reads from the environment; must never be printed.
pub const FIXTURE_API_KEY: &str = "sk-fixture-7f3a9c1e5b2d4680-secret";

/// The environment variable naming the file where skipped tests are recorded
/// (`scripts/test.sh` sets it and prints the file as the skip summary at the end).
pub const SKIP_LOG_ENV: &str = "AUTOGLM_TEST_SKIP_LOG";

/// Record that the running test skips itself, and why: printed on stderr and appended to the
/// skip log, one line per skip (`test-name: reason`), so the run ends with a summary. Under
/// `CI=true` nothing may be skipped for a missing tool: CI installs them all, so this fails.
pub fn skip(reason: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{} cannot run in CI: {reason}",
        test_name()
    );
    note_skip(reason);
}

fn test_name() -> String {
    // libtest runs each test on a thread named after it (cargo test and nextest alike).
    std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_string()
}

/// Record a skip that is legitimate even in CI (e.g. a privilege the run does not have),
/// without failing.
pub fn note_skip(reason: &str) {
    let name = test_name();
    eprintln!("skipped: {reason}");
    if let Some(log) = std::env::var_os(SKIP_LOG_ENV) {
        use std::io::Write;
        let line = format!("{name}: {reason}\n");
        // One write of one short line with O_APPEND: concurrent tests do not interleave.
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// Whether `program` is on PATH (or is an existing path); when it is not, the test is
/// recorded as skipped with the Debian package that provides it.
pub fn require(program: &str, package: &str) -> bool {
    require_tool(
        program,
        &format!("Debian package {package}; scripts/test.sh installs it when run as root"),
    )
}

/// Whether `program` is on PATH (or is an existing path); when it is not, the test is
/// recorded as skipped, saying where the program comes from.
pub fn require_tool(program: &str, source: &str) -> bool {
    let found = if program.contains('/') {
        Path::new(program).exists()
    } else {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !found {
        skip(&format!("{program} is not installed ({source})"));
    }
    found
}

/// Whether `python3` can import `modules` (a comma-separated list); when it cannot, the test
/// is recorded as skipped. scripts/test.sh puts a virtual environment with the pinned tools
/// first on PATH.
pub fn require_python(modules: &str, what: &str) -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip(&format!(
            "{what} is not installed for python3 (scripts/test.sh installs the pinned Python tools in target/venv)"
        ));
    }
    found
}

/// Run and parse the JSON report from stdout.
pub fn json_report(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The result with `id` from a JSON report.
pub fn result<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == id))
        .unwrap_or_else(|| panic!("no result {id} in {report:#}"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Write a suite file into `dir`.
pub fn write_suite(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write suite");
    p
}
