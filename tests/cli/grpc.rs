//! The gRPC health check through the real binary: against the simulated master (TLS, ALPN,
//! HTTP/2 and black-hole distinctions) and against Python's grpcio health server, an
//! independent implementation of the protocol and of its protobuf messages.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use autoglm_doctor::sim::{Options, SimMaster};

use super::*;

fn run_suite(dir: &Path, suite: &str) -> (Output, serde_json::Value) {
    let s = write_suite(dir, "suite.yaml", suite);
    let out = doctor(dir)
        .args(["check", "--format", "json", "--suite"])
        .arg(&s)
        .output()
        .unwrap();
    let report = json_report(&out);
    (out, report)
}

/// One `grpc-health` entry for 127.0.0.1:`port`.
fn entry(id: &str, port: u16, tls: bool, service: &str) -> String {
    format!(
        "  - id: {id}\n    kind: grpc-health\n    timeout: 2s\n    with:\n      host: 127.0.0.1\n      port: {port}\n      tls: {tls}\n      service: \"{service}\"\n      ca_file: ca.pem\n"
    )
}

fn codes(r: &serde_json::Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap_or("pass").to_string())
        .collect()
}

#[test]
fn grpc_health_tells_apart_serving_black_hole_no_h2_not_tls_and_http2_refused() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), &sim.pki.ca_pem).unwrap();
    let a = &sim.addrs;
    let suite = format!(
        "checks:\n{}{}{}{}{}",
        entry("serving", a.grpc.port(), true, ""),
        entry("hole", a.black_hole.port(), true, ""),
        entry("https", a.https.port(), true, ""),
        entry("plain-http-as-tls", a.http.port(), true, ""),
        entry("plain-http-as-h2c", a.http.port(), false, ""),
    );
    let (out, report) = run_suite(dir.path(), &suite);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    assert_eq!(codes(result(&report, "serving")), ["pass"], "{report:#}");
    let hole = result(&report, "hole");
    assert_eq!(codes(hole), ["grpc-health.no-response"], "{hole:#}");
    assert!(
        hole["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "{} accepts connections but never answered",
                a.black_hole
            )),
        "{hole:#}"
    );
    assert_eq!(codes(result(&report, "https")), ["grpc-health.no-h2"]);
    assert_eq!(
        codes(result(&report, "plain-http-as-tls")),
        ["grpc-health.not-tls"]
    );
    assert_eq!(
        codes(result(&report, "plain-http-as-h2c")),
        ["grpc-health.http2-refused"],
        "{report:#}"
    );
}

#[test]
fn grpc_health_without_a_port_is_a_skip_and_the_guard_is_respected() {
    let dir = tempfile::tempdir().unwrap();
    let suite = "checks:\n  - id: none\n    kind: grpc-health\n    with:\n      host: 127.0.0.1\n      port: \"\"\n      tls: false\n  - id: away\n    kind: grpc-health\n    with:\n      host: 192.0.2.1\n      port: 9090\n      tls: false\n";
    let (out, report) = run_suite(dir.path(), suite);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(codes(result(&report, "none")), ["grpc-health.no-port"]);
    assert_eq!(codes(result(&report, "away")), ["grpc-health.not-probed"]);
}

/// A grpcio server on 127.0.0.1: the health service (service "" SERVING, `sync` NOT_SERVING)
/// when `health` is true, no service at all otherwise. It stops by itself after 60 s.
const GRPCIO_SERVER: &str = r#"
import sys, time
from concurrent import futures
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
if sys.argv[1] == "health":
    h = health.HealthServicer()
    h.set("", health_pb2.HealthCheckResponse.SERVING)
    h.set("open_autoglm.sync.v1.Sync", health_pb2.HealthCheckResponse.NOT_SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(h, server)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
time.sleep(60)
server.stop(0)
"#;

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn grpcio(mode: &str) -> (Peer, u16) {
    let mut child = Command::new("python3")
        .args(["-c", GRPCIO_SERVER, mode])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let peer = Peer(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no port: {line:?}"));
    (peer, port)
}

#[test]
fn grpc_health_reads_grpcio_health_servers() {
    if !require_python("grpc, grpc_health", "grpcio and grpcio-health-checking") {
        return;
    }
    let (_health, port) = grpcio("health");
    let (_bare, bare) = grpcio("bare");
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "checks:\n{}{}{}{}",
        entry("whole", port, false, ""),
        entry("sync", port, false, "open_autoglm.sync.v1.Sync"),
        entry("unknown", port, false, "no.such.Service"),
        entry("bare", bare, false, ""),
    );
    let (out, report) = run_suite(dir.path(), &suite);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    assert_eq!(codes(result(&report, "whole")), ["pass"], "{report:#}");
    let sync = result(&report, "sync");
    assert_eq!(codes(sync), ["grpc-health.not-serving"], "{sync:#}");
    assert!(
        sync["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("service `open_autoglm.sync.v1.Sync` as NOT_SERVING"),
        "{sync:#}"
    );
    assert_eq!(
        codes(result(&report, "unknown")),
        ["grpc-health.service-unknown"]
    );
    let bare = result(&report, "bare");
    assert_eq!(codes(bare), ["grpc-health.unimplemented"], "{bare:#}");
    assert_eq!(bare["status"], "warn");
}
