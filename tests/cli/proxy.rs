//! The path through the service's proxy, with a real forward proxy (tinyproxy) on loopback
//! in front of the simulated master: healthy through the proxy, a dead proxy, CONNECT
//! refused, credentials required / rejected / accepted (and never shown), the master down
//! behind a live proxy, and NO_PROXY sending the checks direct.

use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use autoglm_doctor::sim::scenario::{self, Demo, Scenario};

use super::*;

/// Every proxy variable a check could follow, removed from the doctor's environment so
/// that each test gives exactly its own.
const PROXY_VARS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "grpc_proxy",
    "no_grpc_proxy",
];

const USER: &str = "MKPROXYUSER21";
const PASSWORD: &str = "MKPROXYPASS22";

/// A tinyproxy child on 127.0.0.1 with a generated config in a tempdir; killed on drop.
struct Tinyproxy {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// Start tinyproxy allowing CONNECT to `connect_ports` only (none: CONNECT to port 1
    /// only, i.e. refused for the master), with Basic credentials when `auth` is set.
    /// `None` when tinyproxy is not installed (the test is then recorded as skipped).
    fn start(connect_ports: &[u16], auth: bool) -> Option<Self> {
        if !require("tinyproxy", "tinyproxy") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut conf = format!(
            "Listen 127.0.0.1\nPort {port}\nAllow 127.0.0.1\nTimeout 5\nMaxClients 20\nLogLevel Connect\nPidFile \"{0}/tinyproxy.pid\"\nLogFile \"{0}/tinyproxy.log\"\n",
            dir.path().display()
        );
        if connect_ports.is_empty() {
            conf.push_str("ConnectPort 1\n");
        }
        for p in connect_ports {
            let _ = writeln!(conf, "ConnectPort {p}");
        }
        if auth {
            let _ = writeln!(conf, "BasicAuth {USER} {PASSWORD}");
        }
        let file = dir.path().join("tinyproxy.conf");
        std::fs::write(&file, conf).unwrap();
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut proxy = Self { child, port, dir };
        let by = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < by, "tinyproxy did not listen on {port}");
            assert!(
                proxy.child.try_wait().unwrap().is_none(),
                "tinyproxy exited: {}",
                proxy.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(proxy)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn url_with(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tinyproxy.log")).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let by = Instant::now() + Duration::from_secs(5);
        while Instant::now() < by {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `check` of the demo node (the compute-node suite without the time daemon) with exactly
/// these proxy variables.
fn check(demo: &Demo, format: &str, vars: &[(&str, &str)]) -> Output {
    let mut cmd = doctor(demo.dir.path());
    cmd.args([
        "check",
        "--skip",
        "time.kernel",
        "--timeout",
        "4s",
        "--format",
        format,
        "--config",
    ])
    .arg(&demo.config);
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn codes(r: &serde_json::Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}

fn message(r: &serde_json::Value) -> String {
    r["message"].as_str().unwrap_or_default().to_string()
}

/// The root cause is the proxy check alone, and the checks that go through the proxy wait
/// for it instead of blaming the master.
fn proxy_is_the_root_cause(report: &serde_json::Value, code: &str) -> String {
    assert_eq!(
        report["root_causes"],
        serde_json::json!(["proxy.master"]),
        "{report:#}"
    );
    let root = result(report, "proxy.master");
    assert_eq!(root["code"], code, "{root:#}");
    for id in ["http.master", "api.version", "grpc.master-sync"] {
        let r = result(report, id);
        assert_eq!(r["status"], "skip", "{id}: {r:#}");
        assert_eq!(
            r["blocked_by"],
            serde_json::json!(["proxy.master"]),
            "{id}: {r:#}"
        );
    }
    for id in ["tls.master", "tcp.master-api"] {
        assert_eq!(result(report, id)["status"], "pass", "{id}");
    }
    message(root)
}

#[test]
fn a_healthy_node_passes_through_a_real_proxy() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let a = &demo.sim.addrs;
    let Some(tp) = Tinyproxy::start(&[a.https.port(), a.grpc.port()], false) else {
        return;
    };
    let out = check(&demo, "json", &[("HTTPS_PROXY", &tp.url())]);
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let proxy = message(result(&report, "proxy.master"));
    assert!(
        proxy.contains(&format!("HTTPS_PROXY={} captures https", tp.url())),
        "{proxy}"
    );
    assert!(proxy.contains("opened a tunnel"), "{proxy}");
    let http = message(result(&report, "http.master"));
    assert!(
        http.contains(&format!("(through HTTPS_PROXY={})", tp.url())),
        "{http}"
    );
    assert!(http.contains("answered 200"), "{http}");
    let grpc = message(result(&report, "grpc.master-sync"));
    assert!(
        grpc.contains("through HTTPS_PROXY") && grpc.contains("SERVING"),
        "{grpc}"
    );
    // The proxy really carried the traffic: its log names the tunnels to both ports.
    let log = tp.log();
    for port in [a.https.port(), a.grpc.port()] {
        assert!(
            log.contains(&format!("CONNECT localhost:{port}")),
            "{port}:\n{log}"
        );
    }
}

#[test]
fn a_dead_proxy_is_the_root_cause_named_with_its_address() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let dead = format!("http://127.0.0.1:{}", demo.sim.addrs.refused.port());
    let out = check(&demo, "json", &[("HTTPS_PROXY", &dead)]);
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let m = proxy_is_the_root_cause(&report, "proxy.unreachable");
    assert!(
        m.contains(&format!("HTTPS_PROXY={dead} is unreachable")),
        "{m}"
    );
    // The master answers directly: the advice offers NO_PROXY.
    let root = result(&report, "proxy.master");
    assert!(
        codes(root).contains(&"proxy.direct-only".to_string()),
        "{root:#}"
    );
    assert!(
        root["remediation"]
            .as_str()
            .unwrap()
            .contains("add localhost to NO_PROXY")
    );
}

#[test]
fn a_proxy_that_accepts_and_never_answers_is_unreachable_not_the_master() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let silent = format!("http://127.0.0.1:{}", demo.sim.addrs.black_hole.port());
    let out = check(&demo, "json", &[("HTTPS_PROXY", &silent)]);
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let m = proxy_is_the_root_cause(&report, "proxy.unreachable");
    assert!(
        m.contains(&format!(
            "HTTPS_PROXY={silent} accepted the connection but gave no answer"
        )),
        "{m}"
    );
    // The proxy took three quarters of the budget; the direct path still had its try.
    assert!(m.contains("directly, 127.0.0.1:"), "{m}");
}

#[test]
fn a_proxy_refusing_connect_is_the_root_cause_with_its_status() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let Some(tp) = Tinyproxy::start(&[], false) else {
        return;
    };
    let out = check(&demo, "json", &[("https_proxy", &tp.url())]);
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let m = proxy_is_the_root_cause(&report, "proxy.refused");
    assert!(
        m.contains(&format!(
            "https_proxy={} refuses CONNECT localhost:",
            tp.url()
        )) && m.contains("403"),
        "{m}"
    );
}

#[test]
fn proxy_credentials_required_rejected_and_accepted_never_shown() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let a = &demo.sim.addrs;
    let Some(tp) = Tinyproxy::start(&[a.https.port(), a.grpc.port()], true) else {
        return;
    };
    // No credentials: 407, with the proxy's challenge named.
    let out = check(&demo, "json", &[("HTTPS_PROXY", &tp.url())]);
    let report = json_report(&out);
    let m = proxy_is_the_root_cause(&report, "proxy.auth-required");
    assert!(
        m.contains("407") && m.contains("Proxy-Authenticate: Basic"),
        "{m}"
    );
    // Wrong credentials: rejected, and neither the user nor the password is shown.
    let wrong = tp.url_with(USER, "MKWRONGPASS23");
    let mut everything = String::new();
    for format in ["table", "json", "junit", "markdown"] {
        let out = check(&demo, format, &[("HTTPS_PROXY", &wrong)]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        everything.push_str(&stdout(&out));
        everything.push_str(&stderr(&out));
        if format == "json" {
            let report = json_report(&out);
            let m = proxy_is_the_root_cause(&report, "proxy.auth-rejected");
            assert!(m.contains("http://<redacted>@127.0.0.1"), "{m}");
        }
    }
    // The right credentials: every check passes, in every format, verbose too.
    let right = tp.url_with(USER, PASSWORD);
    for format in ["table", "json", "junit", "markdown"] {
        for verbose in [false, true] {
            let demo_out = {
                let mut cmd = doctor(demo.dir.path());
                cmd.args([
                    "check",
                    "--skip",
                    "time.kernel",
                    "--timeout",
                    "4s",
                    "--format",
                    format,
                    "--config",
                ])
                .arg(&demo.config);
                if verbose {
                    cmd.arg("-v");
                }
                for v in PROXY_VARS {
                    cmd.env_remove(v);
                }
                cmd.env("HTTPS_PROXY", &right);
                cmd.output().unwrap()
            };
            assert_eq!(
                demo_out.status.code(),
                Some(0),
                "{format}: {}",
                stdout(&demo_out)
            );
            everything.push_str(&stdout(&demo_out));
            everything.push_str(&stderr(&demo_out));
        }
    }
    assert!(everything.contains("<redacted>@127.0.0.1"));
    for secret in [USER, PASSWORD, "MKWRONGPASS23"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
    // The credentials did reach the proxy (it let the tunnels through only with them).
    assert!(tp.log().contains("CONNECT localhost:"), "{}", tp.log());
}

/// `proxy.master` and `http.master` for `https://localhost:PORT` of `demo`, with only
/// `HTTPS_PROXY` (pointing at `tp`) set.
fn proxy_and_http_through(demo: &Demo, port: u16, tp: &Tinyproxy) -> serde_json::Value {
    let dir = demo.dir.path();
    let suite = write_suite(
        dir,
        "suite.yaml",
        &format!(
            "checks:\n  - id: proxy.master\n    kind: proxy\n    with:\n      url: https://localhost:{port}\n  - id: http.master\n    kind: http\n    with:\n      url: https://localhost:{port}\n      ca_file: ca-v2.1.pem\n"
        ),
    );
    let mut cmd = doctor(dir);
    cmd.args(["check", "--format", "json", "--timeout", "4s", "--suite"])
        .arg(&suite);
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    let out = cmd.env("HTTPS_PROXY", tp.url()).output().unwrap();
    json_report(&out)
}

#[test]
fn the_master_down_behind_a_live_proxy_is_the_proxys_answer_named() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let down = demo.sim.addrs.refused.port();
    let Some(tp) = Tinyproxy::start(&[down], false) else {
        return;
    };
    let report = proxy_and_http_through(&demo, down, &tp);
    assert_eq!(
        report["root_causes"],
        serde_json::json!(["proxy.master"]),
        "{report:#}"
    );
    let root = result(&report, "proxy.master");
    assert_eq!(root["code"], "proxy.upstream-failed", "{root:#}");
    // tinyproxy answers a CONNECT it cannot complete with 500 "Unable to connect".
    let m = message(root);
    assert!(
        m.contains("cannot reach localhost:") && m.contains("500 Unable to connect"),
        "{m}"
    );
    // Directly the master does not answer either: bypassing the proxy would not help.
    assert!(
        root["remediation"]
            .as_str()
            .unwrap()
            .contains("would not help"),
        "{root:#}"
    );
    assert_eq!(
        result(&report, "http.master")["blocked_by"],
        serde_json::json!(["proxy.master"])
    );
}

#[test]
fn no_proxy_excluding_the_master_sends_the_checks_direct() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let dead = format!("http://127.0.0.1:{}", demo.sim.addrs.refused.port());
    for no_proxy in ["localhost", ".example.test,localhost:1", "*"] {
        let out = check(
            &demo,
            "json",
            &[("HTTPS_PROXY", &dead), ("NO_PROXY", no_proxy)],
        );
        let report = json_report(&out);
        assert_eq!(out.status.code(), Some(0), "{no_proxy}: {report:#}");
        let m = message(result(&report, "proxy.master"));
        assert!(m.contains("excludes localhost"), "{m}");
        let http = message(result(&report, "http.master"));
        assert!(!http.contains("through"), "{http}");
    }
}

#[test]
fn the_loopback_guard_refuses_a_proxy_elsewhere_as_not_probed() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    // 192.0.2.1 (TEST-NET-1) is never contacted: the guard refuses it first.
    let out = check(
        &demo,
        "json",
        &[("HTTPS_PROXY", "http://u:MKGUARDPASS24@192.0.2.1:3128")],
    );
    let report = json_report(&out);
    let proxy = result(&report, "proxy.master");
    assert_eq!(proxy["status"], "warn", "{proxy:#}");
    assert!(
        codes(proxy).contains(&"proxy.captures-master".to_string()),
        "{proxy:#}"
    );
    assert!(message(proxy).contains("not probed"), "{proxy:#}");
    let http = result(&report, "http.master");
    assert_eq!(http["code"], "http.not-probed", "{http:#}");
    assert_eq!(http["status"], "skip");
    assert!(!stdout(&out).contains("MKGUARDPASS24"));
}

/// The demo of a healthy master, run by someone whose environment sends HTTPS to a proxy
/// that is not there: the service would not sync, so neither does the demo.
#[test]
fn demo_under_a_dead_proxy_fails_with_the_proxy_as_the_root_cause() {
    let dead = autoglm_doctor::sim::tcp::refused_addr().unwrap().port();
    let proxy = format!("http://{USER}:{PASSWORD}@127.0.0.1:{dead}");
    let mut everything = String::new();
    for format in ["json", "table", "junit", "markdown"] {
        let mut cmd = doctor(&root());
        cmd.args(["demo", "--format", format]);
        for v in PROXY_VARS {
            cmd.env_remove(v);
        }
        let out = cmd.env("HTTPS_PROXY", &proxy).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stdout(&out));
        if format == "json" {
            let report = json_report(&out);
            let m = proxy_is_the_root_cause(&report, "proxy.unreachable");
            assert!(
                m.contains(&format!(
                    "HTTPS_PROXY=http://<redacted>@127.0.0.1:{dead} is unreachable"
                )),
                "{m}"
            );
        }
        everything.push_str(&stdout(&out));
        everything.push_str(&stderr(&out));
    }
    for secret in [USER, PASSWORD] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
}

/// Through a working proxy, a certificate problem is the master's (or an intercepting
/// proxy's): the proxy check passes and the TLS failure inside the tunnel says where it was.
#[test]
fn a_tls_failure_inside_the_tunnel_names_the_tunnel() {
    use autoglm_doctor::sim::TlsVariant;
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let expired = demo.sim.addrs.tls(TlsVariant::Expired).unwrap().port();
    let Some(tp) = Tinyproxy::start(&[expired], false) else {
        return;
    };
    let report = proxy_and_http_through(&demo, expired, &tp);
    assert_eq!(
        report["root_causes"],
        serde_json::json!(["http.master"]),
        "{report:#}"
    );
    assert_eq!(
        result(&report, "proxy.master")["status"],
        "pass",
        "{report:#}"
    );
    let http = result(&report, "http.master");
    assert_eq!(http["code"], "http.tls-failed", "{http:#}");
    let m = message(http);
    assert!(
        m.contains(&format!(
            "inside the tunnel through HTTPS_PROXY={}",
            tp.url()
        )),
        "{m}"
    );
}
