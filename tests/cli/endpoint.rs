//! The HTTP endpoint seam through the real binary: what reaches the wire (nothing, for a URL
//! with a line break), which address answers, the body cap, deadlines against peers that
//! trickle or never answer, and the same words for the same failure in all four HTTP kinds.
//!
//! The peers here are small loopback servers of the test's own that record every byte they
//! receive; each lives at most [`LIFETIME`] and stops when dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use autoglm_doctor::sim::{Options, SimMaster};

use super::*;

/// Longest a test peer (and each of its connections) lives.
const LIFETIME: Duration = Duration::from_secs(30);

/// What a peer does with a connection once it has read the request head.
#[derive(Clone, Copy)]
enum Behaviour {
    /// 200 with a JSON body, a `Date` header and `Content-Length`.
    Ok,
    /// 200 announcing and sending 1 MiB of body.
    Huge,
    /// The head at once, then the body one byte every 300 ms.
    TrickleBody,
    /// The status line one byte every 300 ms.
    TrickleHead,
}

/// A loopback TCP server that records every byte it receives.
struct Recorder {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<u8>>>,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Recorder {
    fn start(bind: &str, behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind(bind).unwrap();
        Self::on(listener, behaviour)
    }

    fn on(listener: TcpListener, behaviour: Behaviour) -> Self {
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, c, q, s) = (
            Arc::clone(&received),
            Arc::clone(&connections),
            Arc::clone(&requests),
            Arc::clone(&stop),
        );
        std::thread::spawn(move || {
            let start = Instant::now();
            while !s.load(Ordering::Relaxed) && start.elapsed() < LIFETIME {
                match listener.accept() {
                    Ok((stream, _)) => {
                        c.fetch_add(1, Ordering::Relaxed);
                        let (r, q, s) = (Arc::clone(&r), Arc::clone(&q), Arc::clone(&s));
                        std::thread::spawn(move || serve(stream, behaviour, &r, &q, &s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            addr,
            received,
            connections,
            requests,
            stop,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.received.lock().unwrap().clone()
    }
}

fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    received: &Mutex<Vec<u8>>,
    requests: &AtomicUsize,
    stop: &AtomicBool,
) {
    let start = Instant::now();
    let alive = || !stop.load(Ordering::Relaxed) && start.elapsed() < LIFETIME;
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the end of a request head; record everything, whatever comes.
    while alive() {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                received.lock().unwrap().extend_from_slice(&buf[..n]);
                head.extend_from_slice(&buf[..n]);
                if head.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => {}
        }
    }
    if !head.windows(4).any(|w| w == b"\r\n\r\n") {
        return;
    }
    requests.fetch_add(1, Ordering::Relaxed);
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let slowly = |stream: &mut TcpStream, bytes: &[u8]| {
        for b in bytes {
            if !alive() || stream.write_all(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    match behaviour {
        Behaviour::Ok => {
            let body = r#"{"server_version":"3.1.0","supported":{"min":"3.0","max":"3.9"},"token_ttl":3600}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Behaviour::Huge => {
            let size = 1024 * 1024;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
            );
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..size / chunk.len() {
                if !alive() || stream.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
        Behaviour::TrickleBody => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Length: 100\r\n\r\n"
            );
            slowly(&mut stream, &[b'.'; 100]);
        }
        Behaviour::TrickleHead => {
            slowly(&mut stream, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    }
}

/// Run a suite; the healthy fixture is the node config unless `extra` gives one.
fn run(dir: &Path, suite: &str, extra: &[&str]) -> (Output, serde_json::Value) {
    let s = write_suite(dir, "suite.yaml", suite);
    let healthy = root().join("fixtures/config/valid/healthy.yaml");
    let config: Vec<&str> = if extra.contains(&"--config") {
        Vec::new()
    } else {
        vec!["--config", healthy.to_str().unwrap()]
    };
    let out = doctor(dir)
        .args(["check", "--format", "json", "--suite"])
        .arg(&s)
        .args(config)
        .args(extra)
        .output()
        .unwrap();
    let report = json_report(&out);
    (out, report)
}

/// The four HTTP kinds asking `url` (all for the path `/p`), with `extra` parameters each.
fn four_kinds(url: &str, extra: &str) -> String {
    format!(
        "checks:
  - id: http
    kind: http
    with:
      url: {url}
      path: /p
{extra}  - id: api
    kind: api-version
    with:
      url: {url}
      path: /p
      version: \"3.1\"
{extra}  - id: clock
    kind: clock-http
    with:
      url: {url}
      path: /p
{extra}  - id: auth
    kind: auth-params
    with:
      url: {url}
      params_path: /p
      jwks_path: /p
{extra}"
    )
}

/// A copy of the healthy node config with another `endpoint` line (YAML text).
fn config_with_endpoint(dir: &Path, endpoint_yaml: &str) -> PathBuf {
    let healthy =
        std::fs::read_to_string(root().join("fixtures/config/valid/healthy.yaml")).unwrap();
    let files = root().join("fixtures/files/");
    let text = healthy
        .replace(
            "endpoint: https://master.autoglm.test:8443",
            &format!("endpoint: {endpoint_yaml}"),
        )
        .replace("../../files/", files.to_str().unwrap());
    assert_ne!(text, healthy);
    let p = dir.join("node.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

const SMUGGLED: &str = "\\r\\nDELETE /api/nodes/all HTTP/1.1\\r\\nHost: master";

#[test]
fn a_line_break_in_the_endpoint_path_sends_nothing_in_the_default_suite() {
    let peer = Recorder::start("127.0.0.1:0", Behaviour::Ok);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_with_endpoint(
        dir.path(),
        &format!("\"http://{}/healthz{SMUGGLED}\"", peer.addr),
    );
    let out = doctor(dir.path())
        .args(["check", "--format", "json", "--timeout", "3s", "--config"])
        .arg(&cfg)
        .args(NOT_A_NODE)
        .output()
        .unwrap();
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    // The config check names the bad endpoint.
    assert_eq!(result(&report, "config.schema")["status"], "fail");
    // Every check that would have sent something is refused before the run, naming why
    // (or, further down the sync path, blocked by one that was).
    for id in [
        "tls.master",
        "http.master",
        "api.version",
        "auth.params",
        "time.master",
    ] {
        let r = result(&report, id);
        assert_eq!(r["status"], "skip", "{r:#}");
        let msg = r["message"].as_str().unwrap();
        let blocked = !r["blocked_by"].as_array().unwrap().is_empty();
        assert!(
            msg.contains("line break (CR/LF)") || (id != "tls.master" && blocked),
            "{id}: {msg}"
        );
        assert!(!msg.contains("DELETE"), "{id}: {msg}");
    }
    // Give a late connection the time to say something, then: not one byte.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        String::from_utf8_lossy(&peer.bytes()),
        "",
        "bytes reached the master"
    );
    assert_eq!(peer.requests.load(Ordering::Relaxed), 0);
}

#[test]
fn a_line_break_in_any_configured_url_or_path_is_refused_before_anything_is_sent() {
    let peer = Recorder::start("127.0.0.1:0", Behaviour::Ok);
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://{}", peer.addr);
    // From the node config: every kind refuses, as a skip naming the config value.
    let cfg = config_with_endpoint(dir.path(), &format!("\"{base}/x{SMUGGLED}\""));
    let (_, report) = run(
        dir.path(),
        &four_kinds("${config.endpoint}", ""),
        &["--config", cfg.to_str().unwrap()],
    );
    for id in ["http", "api", "clock", "auth"] {
        let r = result(&report, id);
        assert_eq!(r["status"], "skip", "{r:#}");
        assert!(
            r["message"]
                .as_str()
                .unwrap()
                .contains("the URL contains a line break (CR/LF)"),
            "{r:#}"
        );
    }
    // Written in the suite: the suite is refused (exit 2), with its line.
    for (what, suite) in [
        (
            "url",
            format!(
                "checks:\n  - id: h\n    kind: http\n    with:\n      url: \"{base}/x{SMUGGLED}\"\n"
            ),
        ),
        (
            "path",
            format!(
                "checks:\n  - id: h\n    kind: http\n    with:\n      url: {base}\n      path: \"/healthz{SMUGGLED}\"\n"
            ),
        ),
        (
            "paths",
            format!(
                "checks:\n  - id: a\n    kind: api-version\n    with:\n      url: {base}\n      version: \"3.1\"\n      paths: [\"/ok\", \"/x{SMUGGLED}\"]\n"
            ),
        ),
        (
            "params_path",
            format!(
                "checks:\n  - id: a\n    kind: auth-params\n    with:\n      url: {base}\n      params_path: \"/x{SMUGGLED}\"\n"
            ),
        ),
        (
            "clock-http url",
            format!(
                "checks:\n  - id: c\n    kind: clock-http\n    with:\n      url: \"{base}/x\\n\"\n"
            ),
        ),
        (
            "tls url",
            format!(
                "checks:\n  - id: t\n    kind: tls\n    with:\n      url: \"https://{}/x\\r\\n\"\n",
                peer.addr
            ),
        ),
    ] {
        let s = write_suite(dir.path(), "bad.yaml", &suite);
        let out = doctor(dir.path())
            .args(["check", "--format", "json", "--config"])
            .arg(&cfg)
            .arg("--suite")
            .arg(&s)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("line break (CR/LF)"), "{what}: {err}");
        assert!(err.contains("bad.yaml:"), "{what}: {err}");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(peer.bytes().is_empty(), "{:?}", peer.bytes());
    assert_eq!(peer.connections.load(Ordering::Relaxed), 0);
}

#[test]
fn a_dual_stack_name_is_probed_on_the_address_that_accepts() {
    // The master's name resolves to 127.0.0.1 and ::1 (in that order); only ::1 listens.
    let Ok(v6) = TcpListener::bind("[::1]:0") else {
        skip("no IPv6 loopback (::1) on this machine");
        return;
    };
    let port = v6.local_addr().unwrap().port();
    if TcpListener::bind(("127.0.0.1", port)).is_err() {
        note_skip(&format!(
            "port {port} is free on ::1 but taken on 127.0.0.1 by something else"
        ));
        return;
    }
    let peer = Recorder::on(v6, Behaviour::Ok);
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://master.autoglm.test:{port}");
    let suite = format!(
        "checks:
  - id: dns
    kind: dns
    with:
      host: master.autoglm.test
      nameservers: [\"{dns}\"]
      paths: [direct]
{}",
        four_kinds(&url, "    needs: [dns]\n").trim_start_matches("checks:\n"),
        dns = sim.addrs.dns
    );
    let (_, report) = run(dir.path(), &suite, &["--timeout", "5s"]);
    assert_eq!(
        report["facts"]["dns.addresses.master.autoglm.test"],
        serde_json::json!(["127.0.0.1", "::1"]),
        "{report:#}"
    );
    let http = result(&report, "http");
    assert_eq!(http["status"], "pass", "{http:#}");
    assert_eq!(
        http["evidence"]["address"],
        format!("[::1]:{port}"),
        "{http:#}"
    );
    assert!(
        http["evidence"]["addresses_failed"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("127.0.0.1:{port} refused")),
        "{http:#}"
    );
    assert!(
        http["message"]
            .as_str()
            .unwrap()
            .contains(&format!("(at [::1]:{port}) answered 200")),
        "{http:#}"
    );
    assert_eq!(result(&report, "api")["status"], "pass", "{report:#}");
    assert_eq!(result(&report, "clock")["status"], "pass", "{report:#}");
    let auth = result(&report, "auth");
    for f in auth["findings"].as_array().unwrap() {
        let code = f["code"].as_str().unwrap_or("");
        assert!(
            !code.ends_with("connection-failed") && !code.ends_with("unavailable"),
            "{auth:#}"
        );
    }
    // http, api-version, clock-http and auth-params' two requests all reached ::1.
    assert!(peer.requests.load(Ordering::Relaxed) >= 5, "{report:#}");
}

#[test]
fn a_body_over_the_cap_is_cut_at_256_kib() {
    let peer = Recorder::start("127.0.0.1:0", Behaviour::Huge);
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "checks:\n  - id: big\n    kind: http\n    with:\n      url: http://{}/big\n",
        peer.addr
    );
    let (_, report) = run(dir.path(), &suite, &["--timeout", "5s"]);
    let r = result(&report, "big");
    assert_eq!(r["status"], "pass", "{r:#}");
    assert_eq!(r["findings"][0]["evidence"]["bytes"], 256 * 1024, "{r:#}");
    assert!(r["message"].as_str().unwrap().contains("(cut)"), "{r:#}");
}

#[test]
fn peers_that_trickle_or_never_answer_end_within_the_check_timeout() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let body = Recorder::start("127.0.0.1:0", Behaviour::TrickleBody);
    let head = Recorder::start("127.0.0.1:0", Behaviour::TrickleHead);
    let dir = tempfile::tempdir().unwrap();
    let mut suite = String::from("checks:\n");
    for (name, addr) in [
        ("hole", sim.addrs.black_hole),
        ("body", body.addr),
        ("head", head.addr),
    ] {
        suite.push_str(
            &four_kinds(&format!("http://{addr}"), "    timeout: 2s\n")
                .trim_start_matches("checks:\n")
                .replace("  - id: ", &format!("  - id: {name}-")),
        );
    }
    let start = Instant::now();
    let (_, report) = run(dir.path(), &suite, &[]);
    // Twelve checks against three stuck peers, run concurrently: about one timeout.
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    for name in ["hole", "body", "head"] {
        for (kind, prefix) in [
            ("http", "http"),
            ("api", "api-version"),
            ("clock", "clock-http"),
            ("auth", "auth-params"),
        ] {
            let r = result(&report, &format!("{name}-{kind}"));
            assert_eq!(r["status"], "fail", "{r:#}");
            // The seam's own deadline answers first, with the specific condition.
            assert_eq!(r["code"], format!("{prefix}.no-response"), "{r:#}");
            assert_eq!(r["cause"], "probe_error", "{r:#}");
            assert!(r["duration_ms"].as_u64().unwrap() <= 2_500, "{r:#}");
        }
    }
    let trickled = result(&report, "body-http")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(trickled.contains("trickling"), "{trickled}");
}

#[test]
fn the_same_failure_reads_the_same_in_all_four_kinds() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (url, condition, status) in [
        (
            format!("http://{}", sim.addrs.refused),
            "connection-failed",
            "fail",
        ),
        (
            format!("http://{}", sim.addrs.black_hole),
            "no-response",
            "fail",
        ),
        (format!("http://{}", sim.addrs.trickle), "not-http", "fail"),
        // Outside loopback: the guard refuses it, nothing is sent.
        ("http://192.0.2.10:8080".to_string(), "not-probed", "skip"),
    ] {
        let (_, report) = run(dir.path(), &four_kinds(&url, "    timeout: 2s\n"), &[]);
        let mut words = Vec::new();
        for (id, prefix) in [
            ("http", "http"),
            ("api", "api-version"),
            ("clock", "clock-http"),
            ("auth", "auth-params"),
        ] {
            let r = result(&report, id);
            assert_eq!(r["code"], format!("{prefix}.{condition}"), "{r:#}");
            assert_eq!(r["status"], status, "{r:#}");
            let message = r["message"].as_str().unwrap().to_string();
            assert!(!message.contains("Tls(") && !message.contains("NoResponse"));
            words.push((message, r["remediation"].as_str().unwrap().to_string()));
        }
        assert!(
            words.iter().all(|w| *w == words[0]),
            "{condition}: {words:#?}"
        );
    }
}

#[test]
fn an_unreadable_ca_bundle_is_one_condition_in_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing-ca.pem");
    let extra = format!("      ca_file: {}\n", missing.display());
    // Nothing listens there: the bundle is refused before any connection.
    let suite = four_kinds("https://127.0.0.1:9", "")
        .replace("      path: /p\n", &format!("      path: /p\n{extra}"))
        .replace(
            "      jwks_path: /p\n",
            &format!("      jwks_path: /p\n{extra}"),
        );
    let suite = format!(
        "{suite}  - id: tls\n    kind: tls\n    with:\n      url: https://127.0.0.1:9\n{extra}"
    );
    let (_, report) = run(dir.path(), &suite, &[]);
    let mut words = Vec::new();
    for (id, prefix) in [
        ("http", "http"),
        ("api", "api-version"),
        ("clock", "clock-http"),
        ("auth", "auth-params"),
        ("tls", "tls"),
    ] {
        let r = result(&report, id);
        assert_eq!(r["code"], format!("{prefix}.ca-unreadable"), "{r:#}");
        let m = r["message"].as_str().unwrap();
        assert!(m.contains("cannot read the CA bundle"), "{m}");
        words.push(r["remediation"].as_str().unwrap().to_string());
    }
    assert!(words.iter().all(|w| *w == words[0]), "{words:#?}");
}
