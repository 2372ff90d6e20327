//! Remote checkpoint storage through the real binary, against real peers on loopback: moto's
//! S3 server (an independent implementation of the S3 API, from PyPI), nginx answering as a
//! private bucket over TLS, and TCP listeners standing in for an HDFS namenode's RPC port.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use super::peers::{Peer, free_port, spawn, wait_until};
use super::*;

/// Credentials planted in the environment and files of these runs; never printed.
const ACCESS_KEY: &str = "AKIAPLANTEDOBJSTORE42";
const SECRET_KEY: &str = "planted/objstore+secret/key/0042";
const URL_PASSWORD: &str = "planted-url-password-4242";

/// Every AWS variable the check reads: cleared so the runner's own never leak in.
const AWS_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CA_BUNDLE",
];

/// moto's S3 server on a free loopback port, waited for until it answers HTTP.
struct Moto {
    _peer: Peer,
    addr: SocketAddr,
}

fn moto() -> Option<Moto> {
    if !require_python(
        "moto, flask, flask_cors",
        "moto[s3] with flask and flask-cors",
    ) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let args: Vec<String> = [
        "-m",
        "moto.server",
        "-H",
        "127.0.0.1",
        "-p",
        &port.to_string(),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let mut peer = spawn("moto", dir, "python3", &args);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_until(&mut peer, || http(addr, "GET", "/").is_some());
    Some(Moto { _peer: peer, addr })
}

/// One HTTP/1.1 request on loopback; the status code, if an answer came.
fn http(addr: SocketAddr, method: &str, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// A node config whose checkpoints go to `storage` (with `extra` lines under `checkpoint:`).
fn config(dir: &Path, storage: &str, extra: &str) -> PathBuf {
    let p = dir.join("config.yaml");
    std::fs::write(
        &p,
        format!(
            "endpoint: https://master.autoglm.test:8443\nmodel_repo: /var/lib/open-autoglm/models\nnode:\n  id: compute-01\n  role: compute\ncheckpoint:\n  enabled: true\n  interval_seconds: 300\n  storage_path: {storage}\n  retention_hours: 72\n{extra}"
        ),
    )
    .unwrap();
    p
}

/// The config checks and the store check: what the shipped suites run for remote storage.
const SUITE: &str = "checks:\n  - id: config.file\n    kind: config-file\n  - id: config.syntax\n    kind: config-syntax\n  - id: config.schema\n    kind: config-schema\n  - id: recovery.checkpoint-store\n    kind: checkpoint-store\n    timeout: 5s\n";

/// Run the store check with `env` (over a clean AWS environment and an empty HOME).
fn run(dir: &Path, cfg: &Path, env: &[(&str, &str)], format: &str) -> Output {
    let suite = write_suite(dir, "suite.yaml", SUITE);
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = doctor(dir);
    for v in AWS_VARS {
        cmd.env_remove(v);
    }
    cmd.env("HOME", &home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["check", "--format", format, "--suite"])
        .arg(&suite)
        .arg("--config")
        .arg(cfg)
        .output()
        .unwrap()
}

fn store(report: &serde_json::Value) -> &serde_json::Value {
    result(report, "recovery.checkpoint-store")
}

fn codes(r: &serde_json::Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap_or("pass").to_string())
        .collect()
}

fn message(r: &serde_json::Value, i: usize) -> String {
    r["findings"][i]["message"].as_str().unwrap().to_string()
}

fn keys() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ]
}

#[test]
fn s3_storage_passes_when_moto_serves_the_bucket_and_fails_naming_a_missing_one() {
    let Some(moto) = moto() else { return };
    assert_eq!(
        http(moto.addr, "PUT", "/ckpt"),
        Some(200),
        "create the bucket"
    );
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://{}", moto.addr);

    // The endpoint from the config, the bucket there, credentials in the environment.
    let cfg = config(
        dir.path(),
        "s3://ckpt/compute-01",
        &format!("  s3:\n    endpoint: {endpoint}\n"),
    );
    let out = run(dir.path(), &cfg, &keys(), "json");
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let r = store(&report);
    assert_eq!(r["status"], "pass", "{r:#}");
    assert_eq!(codes(r), ["pass", "pass"], "{r:#}");
    assert!(
        message(r, 0).contains(&format!(
            "object store {endpoint} answers for s3://ckpt/compute-01: bucket `ckpt` exists"
        )),
        "{r:#}"
    );
    assert!(
        message(r, 1).contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        "{r:#}"
    );
    assert_eq!(
        report["facts"]["checkpoint.store_endpoint"],
        format!("{endpoint}")
    );

    // The endpoint from the environment; the bucket does not exist.
    let cfg = config(dir.path(), "s3://no-such-ckpt/compute-01", "");
    let mut env = keys();
    env.push(("AWS_ENDPOINT_URL_S3", &endpoint));
    let out = run(dir.path(), &cfg, &env, "json");
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let r = store(&report);
    assert_eq!(
        codes(r),
        ["checkpoint-store.bucket-missing", "pass"],
        "{r:#}"
    );
    assert!(
        message(r, 0).contains("bucket `no-such-ckpt` of s3://no-such-ckpt/compute-01 does not exist there (HTTP 404 NoSuchBucket)"),
        "{r:#}"
    );
    let fix = r["findings"][0]["remediation"].as_str().unwrap();
    assert!(fix.contains("create bucket `no-such-ckpt` on"), "{fix}");
    assert!(!fix.contains("mkdir"), "{fix}");
    assert_eq!(
        report["root_causes"],
        serde_json::json!(["recovery.checkpoint-store"])
    );
    assert_eq!(r["findings"][0]["location"]["line"], 9, "{r:#}");
}

#[test]
fn s3_storage_with_its_endpoint_down_fails_naming_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bound, then released.
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let cfg = config(
        dir.path(),
        "s3://ckpt/compute-01",
        &format!("  s3:\n    endpoint: {endpoint}\n"),
    );
    let out = run(dir.path(), &cfg, &keys(), "json");
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let r = store(&report);
    assert_eq!(r["status"], "fail");
    assert_eq!(codes(r)[0], "checkpoint-store.connection-failed", "{r:#}");
    assert!(
        message(r, 0).contains(&format!(
            "object store endpoint {endpoint} for s3://ckpt/compute-01 is unreachable: TCP connection failed: 127.0.0.1:{port} refused"
        )),
        "{r:#}"
    );
    assert!(
        r["findings"][0]["remediation"]
            .as_str()
            .unwrap()
            .contains(&format!("open the path to 127.0.0.1:{port}")),
        "{r:#}"
    );
    assert_eq!(
        report["root_causes"],
        serde_json::json!(["recovery.checkpoint-store"])
    );
    // The table leads with it too.
    let out = run(dir.path(), &cfg, &keys(), "table");
    assert!(
        stdout(&out).contains(&format!("127.0.0.1:{port}")),
        "{}",
        stdout(&out)
    );
}

#[test]
fn s3_storage_without_credentials_warns_and_a_named_profile_is_looked_up() {
    let Some(moto) = moto() else { return };
    assert_eq!(http(moto.addr, "PUT", "/ckpt"), Some(200));
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://{}", moto.addr);
    let cfg = config(
        dir.path(),
        "s3://ckpt/compute-01",
        &format!("  s3:\n    endpoint: {endpoint}\n"),
    );
    let out = run(dir.path(), &cfg, &[], "json");
    let report = json_report(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning is not a failure: {report:#}"
    );
    let r = store(&report);
    assert_eq!(r["status"], "warn", "{r:#}");
    assert_eq!(
        codes(r),
        ["pass", "checkpoint-store.credentials-missing"],
        "{r:#}"
    );
    assert!(
        message(r, 1).contains("no S3 credentials for s3://ckpt/compute-01"),
        "{r:#}"
    );
    let out = run(dir.path(), &cfg, &[], "json");
    assert_eq!(out.status.code(), Some(0));

    // A profile in the shared credentials file counts; one that is not there warns.
    let creds = dir.path().join("credentials");
    std::fs::write(
        &creds,
        format!("[checkpoints]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"),
    )
    .unwrap();
    let file = creds.display().to_string();
    for (profile, want) in [
        ("checkpoints", "pass"),
        ("typo", "checkpoint-store.profile-missing"),
    ] {
        let out = run(
            dir.path(),
            &cfg,
            &[
                ("AWS_SHARED_CREDENTIALS_FILE", &file),
                ("AWS_PROFILE", profile),
            ],
            "json",
        );
        let report = json_report(&out);
        let r = store(&report);
        assert_eq!(codes(r), ["pass", want], "{r:#}");
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !all.contains(ACCESS_KEY) && !all.contains(SECRET_KEY),
            "{all}"
        );
    }
}

#[test]
fn hdfs_storage_is_judged_by_the_namenode_rpc_port() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap();
    let cfg = config(
        dir.path(),
        &format!("hdfs://127.0.0.1:{}/checkpoints", open.port()),
        "",
    );
    let out = run(dir.path(), &cfg, &[], "json");
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let r = store(&report);
    assert_eq!(
        codes(r),
        ["pass"],
        "no credentials are judged for HDFS: {r:#}"
    );
    assert!(
        message(r, 0).contains(&format!(
            "namenode {open} for hdfs://{open}/checkpoints accepts connections"
        )),
        "{r:#}"
    );

    drop(listener);
    let out = run(dir.path(), &cfg, &[], "json");
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let r = store(&report);
    assert_eq!(codes(r), ["checkpoint-store.connection-failed"], "{r:#}");
    assert!(
        message(r, 0).contains(&format!(
            "namenode {open} for hdfs://{open}/checkpoints is unreachable: {open} refused"
        )),
        "{r:#}"
    );
    let fix = r["findings"][0]["remediation"].as_str().unwrap();
    assert!(
        fix.contains(&format!("open the path to {open}")) && !fix.contains("mkdir"),
        "{fix}"
    );

    // Other schemes are named and skipped, never failed; a local directory is not this
    // check's.
    for (storage, code, status) in [
        (
            "gs://ckpt/compute-01",
            "checkpoint-store.scheme-unsupported",
            "skip",
        ),
        ("/var/lib/open-autoglm/checkpoints", "pass", "pass"),
    ] {
        let cfg = config(dir.path(), storage, "");
        let out = run(dir.path(), &cfg, &[], "json");
        let report = json_report(&out);
        assert_eq!(out.status.code(), Some(0), "{report:#}");
        assert_eq!(codes(store(&report)), [code], "{report:#}");
        assert_eq!(store(&report)["status"], status);
    }
}

/// nginx answering as S3 does for a private bucket (403 AccessDenied) over TLS with the test
/// CA, which the check trusts through AWS_CA_BUNDLE as the SDKs do.
#[test]
fn a_private_bucket_over_tls_passes_as_needing_credentials() {
    if !super::peers::available("nginx") {
        return;
    }
    let sim =
        autoglm_doctor::sim::SimMaster::start(autoglm_doctor::sim::Options::default()).unwrap();
    let leaf = sim
        .pki
        .leaf(autoglm_doctor::sim::pki::TlsVariant::Valid)
        .unwrap();
    let ng = tempfile::tempdir().unwrap();
    let d = ng.path().display().to_string();
    std::fs::write(ng.path().join("cert.pem"), &leaf.cert_pem).unwrap();
    std::fs::write(ng.path().join("key.pem"), &leaf.key_pem).unwrap();
    let port = free_port();
    let conf = format!(
        r#"worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {d}/cert.pem;
    ssl_certificate_key {d}/key.pem;
    location = /private {{ default_type application/xml; return 403 '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'; }}
    location / {{ default_type application/xml; return 404 '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code></Error>'; }}
  }}
}}
"#
    );
    std::fs::write(ng.path().join("nginx.conf"), conf).unwrap();
    let args: Vec<String> = vec![
        "-p".into(),
        d.clone(),
        "-c".into(),
        format!("{d}/nginx.conf"),
        "-g".into(),
        "daemon off;".into(),
    ];
    let mut peer = spawn("nginx", ng, "nginx", &args);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_until(&mut peer, || {
        TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok()
    });

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("store-ca.pem");
    std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
    let ca = ca.display().to_string();
    // An https:// storage path is its own endpoint; the bucket is its first segment. The
    // URL's password is never sent nor shown.
    let storage = format!("https://svc:{URL_PASSWORD}@localhost:{port}/private/compute-01");
    let cfg = config(dir.path(), &storage, "");
    let out = run(dir.path(), &cfg, &[("AWS_CA_BUNDLE", &ca)], "json");
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let r = store(&report);
    assert_eq!(codes(r), ["pass"], "{r:#}");
    assert!(
        message(r, 0).contains(&format!(
            "object store https://localhost:{port} answers for https://<redacted>@localhost:{port}/private/compute-01: bucket `private` exists and requires credentials (HTTP 403 AccessDenied at 127.0.0.1:{port})"
        )),
        "{r:#}"
    );
    assert!(!stdout(&out).contains(URL_PASSWORD));

    // Without the CA the handshake fails, named as TLS.
    let out = run(dir.path(), &cfg, &[], "json");
    let report = json_report(&out);
    assert_eq!(
        codes(store(&report)),
        ["checkpoint-store.tls-failed"],
        "{report:#}"
    );
    assert!(!stdout(&out).contains(URL_PASSWORD));
}

/// No credential — in the environment, a credentials file, a token file or the storage
/// URL — appears in any format, with or without -v, whatever the store answered.
#[test]
fn no_object_store_credential_appears_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    std::fs::write(
        &creds,
        format!("[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\naws_session_token = {URL_PASSWORD}\n"),
    )
    .unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, format!("eyJ{URL_PASSWORD}.x.y")).unwrap();
    let file = creds.display().to_string();
    let tok = token.display().to_string();
    let closed = free_port();
    let storages = [
        format!("s3://ckpt/compute-01?X-Amz-Credential={ACCESS_KEY}"),
        format!("https://{ACCESS_KEY}:{SECRET_KEY}@127.0.0.1:{closed}/ckpt"),
        format!("hdfs://svc:{URL_PASSWORD}@127.0.0.1:{closed}/ckpt"),
        format!("gs://{ACCESS_KEY}:{SECRET_KEY}@ckpt/x"),
    ];
    let envs: Vec<Vec<(&str, &str)>> = vec![
        keys(),
        vec![("AWS_ACCESS_KEY_ID", ACCESS_KEY)],
        vec![("AWS_SHARED_CREDENTIALS_FILE", &file)],
        vec![("AWS_WEB_IDENTITY_TOKEN_FILE", &tok)],
    ];
    for storage in &storages {
        let cfg = config(
            dir.path(),
            storage,
            &format!("  s3:\n    endpoint: http://127.0.0.1:{closed}\n"),
        );
        for env in &envs {
            for format in ["table", "json", "junit", "markdown"] {
                for verbose in [false, true] {
                    let suite = write_suite(dir.path(), "suite.yaml", SUITE);
                    let mut cmd = doctor(dir.path());
                    for v in AWS_VARS {
                        cmd.env_remove(v);
                    }
                    cmd.env("HOME", dir.path());
                    for (k, v) in env {
                        cmd.env(k, v);
                    }
                    cmd.args(["check", "--format", format, "--suite"])
                        .arg(&suite)
                        .arg("--config")
                        .arg(&cfg);
                    if verbose {
                        cmd.arg("-v");
                    }
                    let out = cmd.output().unwrap();
                    let all = format!("{}{}", stdout(&out), stderr(&out));
                    assert!(all.contains("checkpoint-store"), "{all}");
                    for secret in [ACCESS_KEY, SECRET_KEY, URL_PASSWORD] {
                        assert!(
                            !all.contains(secret),
                            "{secret} leaked for {storage} with {env:?} in {format}:\n{all}"
                        );
                    }
                }
            }
        }
    }
}

/// The fixture with S3 storage and an HDFS backend: under the loopback guard neither store
/// is reached, which is a skip naming each, never a failure.
#[test]
fn remote_storage_outside_loopback_is_not_probed_and_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = root().join("fixtures/config/valid/s3-checkpoints.yaml");
    let out = run(dir.path(), &cfg, &[], "json");
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let r = store(&report);
    assert_eq!(
        codes(r),
        [
            "checkpoint-store.not-probed",
            "checkpoint-store.not-probed",
            "checkpoint-store.credentials-missing"
        ],
        "{r:#}"
    );
    assert!(
        message(r, 0).contains("https://minio.storage.autoglm.test:9000"),
        "{r:#}"
    );
    assert!(
        message(r, 1).contains("namenode namenode.autoglm.test:8020 for hdfs://namenode.autoglm.test:8020/checkpoints/compute-01"),
        "{r:#}"
    );
    assert_eq!(report["facts"]["checkpoint.s3.region"], "us-east-1");
    assert_eq!(report["facts"]["checkpoint.storage_scheme"], "s3");
}

/// Two stores that accept connections and never answer (the storage path and a backend):
/// each is probed within the check's budget side by side, so both are named as not
/// answering instead of the check running out of time.
#[test]
fn two_silent_stores_are_each_named_not_a_check_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    let (pa, pb) = (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    );
    let cfg = dir.path().join("config.yaml");
    std::fs::write(
        &cfg,
        format!("endpoint: https://master.autoglm.test:8443\nmodel_repo: /m\nnode:\n  id: c1\n  role: compute\ncheckpoint:\n  enabled: true\n  storage_path: http://127.0.0.1:{pa}/ckpt/c1\nrecovery:\n  backends:\n    - type: checkpoint\n      target: http://127.0.0.1:{pb}/ckpt\n"),
    )
    .unwrap();
    let suite = write_suite(
        dir.path(),
        "suite.yaml",
        &SUITE.replace("timeout: 5s", "timeout: 2s"),
    );
    let out = doctor(dir.path())
        .env("HOME", dir.path())
        .args(["check", "--format", "json", "--suite"])
        .arg(&suite)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let report = json_report(&out);
    let r = store(&report);
    assert_eq!(
        codes(r),
        [
            "checkpoint-store.no-response",
            "checkpoint-store.no-response"
        ],
        "{r:#}"
    );
    assert!(message(r, 0).contains(&format!("127.0.0.1:{pa}")), "{r:#}");
    assert!(message(r, 1).contains(&format!("127.0.0.1:{pb}")), "{r:#}");
    drop((a, b));
}
