//! Real third-party peers for interoperability tests: nginx (HTTP and HTTPS with the test
//! CA, answering version negotiation itself), dnsmasq (the test zone) and chronyd (an NTP
//! server whose clock is offset with libfaketime; `-x`: it never touches the system clock).
//!
//! Each starts on free loopback ports with a generated config in a temporary directory,
//! is waited for until it answers, and is stopped by PID when dropped (and by `timeout`
//! after a bounded lifetime in any case). A missing program skips its tests with a printed
//! reason (listed in the skip summary of scripts/test.sh) outside CI and fails them in CI,
//! where scripts/test.sh installs them.

use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// Longest a peer may live, whatever happens to the test.
const LIFETIME: &str = "120";

/// A running peer; killed (with its process group) when dropped.
pub struct Peer {
    pub name: &'static str,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `program` is installed; a missing one records the test as skipped (and fails it
/// under `CI=true`, where scripts/test.sh installs every package).
pub fn available(program: &str) -> bool {
    let package = match program {
        "nginx" => "nginx-light",
        "dnsmasq" => "dnsmasq-base",
        "chronyd" => "chrony",
        "faketime" => "faketime",
        "dig" => "bind9-dnsutils",
        "curl" => "curl",
        other => other,
    };
    require(program, package)
}

/// A free loopback port (bound and released; loopback races are not a concern here).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn spawn(name: &'static str, dir: tempfile::TempDir, program: &str, args: &[String]) -> Peer {
    use std::os::unix::process::CommandExt;
    let log = std::fs::File::create(dir.path().join("peer.log")).unwrap();
    let child = Command::new("timeout")
        .arg(LIFETIME)
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    Peer { name, dir, child }
}

pub fn wait_until(peer: &mut Peer, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if ready() {
            return;
        }
        if let Ok(Some(status)) = peer.child.try_wait() {
            let log = std::fs::read_to_string(peer.dir.path().join("peer.log")).unwrap_or_default();
            panic!("{} exited ({status}) before answering:\n{log}", peer.name);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(peer.dir.path().join("peer.log")).unwrap_or_default();
    panic!("{} did not answer within 10s:\n{log}", peer.name);
}

/// nginx serving the master API's version negotiation on HTTP and HTTPS.
pub struct Nginx {
    pub peer: Peer,
    pub http: SocketAddr,
    pub https: SocketAddr,
}

/// Start nginx with `cert_pem`/`key_pem` (e.g. a leaf of the simulated master's test PKI).
pub fn nginx(cert_pem: &str, key_pem: &str, sunset: Option<&str>) -> Option<Nginx> {
    if !available("nginx") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    std::fs::write(dir.path().join("cert.pem"), cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), key_pem).unwrap();
    let (http, https) = (free_port(), free_port());
    let sunset = sunset
        .map(|s| {
            format!(
                "add_header Sunset \"{s}\" always; add_header Deprecation \"@1767225600\" always;"
            )
        })
        .unwrap_or_default();
    let conf = format!(
        r#"worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  map $http_x_api_version $too_old {{ "~^v?[0-2](\.|$)" 1; default 0; }}
  server {{
    listen 127.0.0.1:{http};
    listen 127.0.0.1:{https} ssl;
    ssl_certificate {d}/cert.pem;
    ssl_certificate_key {d}/key.pem;
    location = /api/version {{
      default_type application/json;
      add_header X-API-Version 3.1.0 always;
      {sunset}
      if ($too_old) {{ return 426 '{{"error":"client API version too old","server_version":"3.1.0","min_client_version":"3.0"}}\n'; }}
      return 200 '{{"server_version":"3.1.0","supported":{{"min":"3.0","max":"3.9"}}}}\n';
    }}
    location = /api/v2/sync {{ return 410; }}
    location = /unavailable {{ return 503; }}
  }}
}}
"#
    );
    std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
    let args = vec![
        "-p".into(),
        d.clone(),
        "-c".into(),
        format!("{d}/nginx.conf"),
        "-g".into(),
        "daemon off;".into(),
    ];
    let mut peer = spawn("nginx", dir, "nginx", &args);
    let plain = SocketAddr::from(([127, 0, 0, 1], http));
    let tls = SocketAddr::from(([127, 0, 0, 1], https));
    wait_until(&mut peer, || {
        TcpStream::connect_timeout(&plain, Duration::from_millis(100)).is_ok()
            && TcpStream::connect_timeout(&tls, Duration::from_millis(100)).is_ok()
    });
    Some(Nginx {
        peer,
        http: plain,
        https: tls,
    })
}

/// dnsmasq answering the test zone: master.autoglm.test → 127.0.0.1; other names in
/// autoglm.test are NXDOMAIN.
pub struct Dnsmasq {
    /// Keeps the process alive.
    _peer: Peer,
    pub addr: SocketAddr,
}

fn dns_answers(addr: SocketAddr) -> bool {
    // A bare query for master.autoglm.test A; any reply means the server is up.
    let q: Vec<u8> = [
        &[0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0][..],
        b"\x06master\x07autoglm\x04test\x00\x00\x01\x00\x01",
    ]
    .concat();
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    s.send_to(&q, addr).is_ok() && s.recv(&mut [0u8; 512]).is_ok()
}

pub fn dnsmasq() -> Option<Dnsmasq> {
    dnsmasq_with(&[
        "--address=/master.autoglm.test/127.0.0.1",
        "--local=/autoglm.test/",
    ])
}

/// dnsmasq on a free loopback port with `records` (dnsmasq options such as
/// `--address=/name/ip`, `--txt-record=...`, `--local=/zone/`) and nothing else: no
/// upstream, no /etc/hosts.
pub fn dnsmasq_with(records: &[&str]) -> Option<Dnsmasq> {
    if !available("dnsmasq") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let args: Vec<String> = [
        "--no-daemon",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--conf-file=/dev/null",
        "--pid-file",
        "--log-facility=-",
    ]
    .iter()
    .chain(records)
    .map(|s| (*s).to_string())
    .chain([format!("--port={port}")])
    .collect();
    let mut peer = spawn("dnsmasq", dir, "dnsmasq", &args);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_until(&mut peer, || dns_answers(addr));
    Some(Dnsmasq { _peer: peer, addr })
}

/// chronyd serving NTP on a loopback port with its clock offset by `offset` (libfaketime
/// syntax, e.g. "+4s"); `-x` keeps it from ever adjusting the system clock.
pub struct Chronyd {
    /// Keeps the process alive.
    _peer: Peer,
    pub addr: SocketAddr,
}

/// Offset (seconds) and stratum measured with a four-timestamp SNTP exchange in Python.
pub fn sntp_measure(addr: SocketAddr) -> Option<(f64, u8)> {
    let script = r"
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
def ntp(t): return int((t + 2208988800) * 2**32)
t1 = time.time()
s.sendto(struct.pack('!B47x', (4 << 3) | 3)[:40] + struct.pack('!Q', ntp(t1)), ('127.0.0.1', int(sys.argv[1])))
data, _ = s.recvfrom(48); t4 = time.time()
t2, t3 = [x / 2**32 - 2208988800 for x in struct.unpack('!QQ', data[32:48])]
print(((t2 - t1) + (t3 - t4)) / 2, data[1])
";
    let out = Command::new("python3")
        .args(["-c", script, &addr.port().to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub fn chronyd(offset: &str) -> Option<Chronyd> {
    if !available("chronyd") || !available("faketime") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = dir.path().display();
    std::fs::write(
        dir.path().join("chrony.conf"),
        format!("port {port}\nbindaddress 127.0.0.1\nlocal stratum 3\nallow 127.0.0.1\ncmdport 0\npidfile {d}/chronyd.pid\n"),
    )
    .unwrap();
    let args = vec![
        "-f".into(),
        offset.to_string(),
        "chronyd".into(),
        "-d".into(),
        "-x".into(),
        "-u".into(),
        "root".into(),
        "-f".into(),
        format!("{d}/chrony.conf"),
    ];
    let mut peer = spawn("chronyd", dir, "faketime", &args);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_until(&mut peer, || sntp_measure(addr).is_some());
    Some(Chronyd { _peer: peer, addr })
}

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "5", "--noproxy", "*"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn peer_nginx_negotiates_versions_over_http_and_https_with_the_test_ca() {
    let sim =
        autoglm_doctor::sim::SimMaster::start(autoglm_doctor::sim::Options::default()).unwrap();
    let leaf = sim
        .pki
        .leaf(autoglm_doctor::sim::TlsVariant::Valid)
        .unwrap();
    let Some(ng) = nginx(
        &leaf.cert_pem,
        &leaf.key_pem,
        Some("Sat, 05 Dec 2026 00:00:00 GMT"),
    ) else {
        return;
    };
    let out = curl(&[
        "-i",
        "-H",
        "X-API-Version: 2.5",
        &format!("http://{}/api/version", ng.http),
    ]);
    assert!(stdout(&out).starts_with("HTTP/1.1 426"), "{}", stdout(&out));
    let ca = ng.peer.dir.path().join("ca.pem");
    std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
    let port = ng.https.port();
    let out = curl(&[
        "-i",
        "--cacert",
        ca.to_str().unwrap(),
        "--resolve",
        &format!("master.autoglm.test:{port}:127.0.0.1"),
        "-H",
        "X-API-Version: 3.2",
        &format!("https://master.autoglm.test:{port}/api/version"),
    ]);
    let text = stdout(&out);
    assert!(
        text.starts_with("HTTP/1.1 200 OK"),
        "{text}{}",
        stderr(&out)
    );
    assert!(text.contains("Sunset: Sat, 05 Dec 2026 00:00:00 GMT"));
    let out = curl(&["-i", &format!("http://{}/api/v2/sync", ng.http)]);
    assert!(stdout(&out).starts_with("HTTP/1.1 410"));
}

#[test]
fn peer_dnsmasq_answers_the_test_zone() {
    let Some(dns) = dnsmasq() else { return };
    if !available("dig") {
        return;
    }
    let port = dns.addr.port().to_string();
    let dig = |name: &str| {
        stdout(
            &Command::new("dig")
                .args(["@127.0.0.1", "-p", &port, "+time=1", "+tries=1", name, "A"])
                .output()
                .unwrap(),
        )
    };
    let ok = dig("master.autoglm.test");
    assert!(
        ok.contains("status: NOERROR") && ok.contains("127.0.0.1"),
        "{ok}"
    );
    assert!(dig("missing.autoglm.test").contains("status: NXDOMAIN"));
}

#[test]
fn peer_chronyd_serves_time_with_the_configured_offset() {
    let Some(ntp) = chronyd("+4s") else { return };
    let (offset, stratum) = sntp_measure(ntp.addr).unwrap();
    assert!(
        (offset - 4.0).abs() < 0.25,
        "measured {offset}s, configured +4s"
    );
    assert_eq!(stratum, 3);
}
