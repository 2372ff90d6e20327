//! The `api-version` check through the real binary, against the simulated master and nginx.

use autoglm_doctor::sim::{ApiOptions, Options, SimMaster, TlsVariant};

use super::*;

fn run_suite(dir: &Path, suite: &str) -> (Output, serde_json::Value) {
    let s = write_suite(dir, "suite.yaml", suite);
    let out = doctor(dir)
        .args(["check", "--format", "json", "--timeout", "5s", "--suite"])
        .arg(&s)
        .output()
        .unwrap();
    let report = json_report(&out);
    (out, report)
}

/// One `api-version` entry for `url` sending `version`, with further `paths`.
fn entry(id: &str, url: &str, version: &str, paths: &[&str], extra: &str) -> String {
    format!(
        "  - id: {id}\n    kind: api-version\n    with:\n      url: {url}\n      version: \"{version}\"\n      paths: [{}]\n{extra}",
        paths.join(", ")
    )
}

fn findings(r: &serde_json::Value) -> Vec<serde_json::Value> {
    r["findings"].as_array().unwrap().clone()
}

fn finding_for(r: &serde_json::Value, path: &str, code: &str) -> serde_json::Value {
    findings(r)
        .into_iter()
        .find(|f| f["evidence"]["path"] == path && f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} for {path} in {r:#}"))
}

#[test]
fn api_old_client_upgrade_required_retired_path_outage_and_range() {
    let sim = SimMaster::start(Options {
        api: ApiOptions {
            unavailable_paths: vec!["/unavailable".into()],
            ..ApiOptions::default()
        },
        ..Options::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}", sim.addrs.http);
    let suite = format!(
        "checks:\n{}{}{}{}",
        entry("old", &url, "2.5", &[], ""),
        entry("ok", &url, "3.1", &["/api/v2/sync", "/healthz"], ""),
        entry("down", &url, "3.1", &["/unavailable"], ""),
        entry("new", &url, "4.2", &[], ""),
    );
    let (out, report) = run_suite(dir.path(), &suite);
    assert_eq!(out.status.code(), Some(1));

    let old = result(&report, "old");
    assert_eq!(old["code"], "api-version.upgrade-required", "{old:#}");
    let msg = old["message"].as_str().unwrap();
    assert!(msg.contains("2.5") && msg.contains("3.0"), "{msg}");
    assert!(msg.contains("Upgrade: open-autoglm-api/3.0"), "{msg}");
    assert!(
        old["remediation"].as_str().unwrap().contains("3.0"),
        "{old:#}"
    );

    // The version endpoint is fine; the retired sync path is not.
    let ok = result(&report, "ok");
    assert_eq!(ok["code"], "api-version.gone", "{ok:#}");
    assert_eq!(ok["findings"][0]["status"], "pass", "{ok:#}");
    let gone = finding_for(ok, "/api/v2/sync", "api-version.gone");
    assert!(
        gone["message"].as_str().unwrap().contains("/api/v3/sync"),
        "{gone:#}"
    );
    assert!(
        findings(ok)
            .iter()
            .any(|f| f["evidence"]["path"] == "/healthz" && f["status"] == "pass")
    );

    // A 503 is an outage, not a version problem.
    let down = result(&report, "down");
    let f = finding_for(down, "/unavailable", "api-version.server-error");
    assert!(
        findings(down).iter().all(|f| {
            let c = f["code"].as_str().unwrap_or("");
            c != "api-version.upgrade-required" && c != "api-version.unsupported-version"
        }),
        "{down:#}"
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("not a version problem")
    );

    // Answered 200, but outside the advertised range.
    let new = result(&report, "new");
    assert_eq!(new["status"], "fail", "{new:#}");
    assert_eq!(new["code"], "api-version.unsupported-version", "{new:#}");
    assert!(new["message"].as_str().unwrap().contains("3.9"));

    assert_eq!(report["facts"]["api.server_version"], "3.1.0");
    assert_eq!(report["facts"]["api.supported_min"], "3.0");
    assert_eq!(report["facts"]["api.supported_max"], "3.9");
}

#[test]
fn api_sunset_ten_days_away_warns_with_the_date_over_https() {
    let sim = SimMaster::start(Options {
        api: ApiOptions {
            sunset_in_days: Some(10),
            deprecation_in_days: Some(0),
            ..ApiOptions::default()
        },
        ..Options::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
    let url = format!("https://master.autoglm.test:{}", sim.addrs.https.port());
    let extra = format!(
        "      address: 127.0.0.1\n      ca_file: {}\n",
        ca.display()
    );
    let (out, report) = run_suite(
        dir.path(),
        &format!("checks:\n{}", entry("v", &url, "3.1", &[], &extra)),
    );
    let r = result(&report, "v");
    assert_eq!(out.status.code(), Some(0), "{r:#}");
    assert_eq!(r["status"], "warn", "{r:#}");
    let sunset = finding_for(r, "/api/version", "api-version.sunset");
    let date = (chrono::Utc::now() + chrono::Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    let msg = sunset["message"].as_str().unwrap();
    assert!(msg.contains(&date), "{msg} lacks {date}");
    assert!(msg.contains("in 10 days"), "{msg}");
    finding_for(r, "/api/version", "api-version.deprecated");
    assert_eq!(report["facts"]["api.client_version"], "3.1");
}

#[test]
fn api_redirects_are_followed_on_the_same_host_only() {
    let sim = SimMaster::start(Options {
        api: ApiOptions {
            redirects: vec![
                ("/v".into(), "/api/version".into()),
                ("/away".into(), "http://127.0.0.2:9/api/version".into()),
            ],
            ..ApiOptions::default()
        },
        ..Options::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}", sim.addrs.http);
    let suite = format!(
        "checks:\n{}{}",
        entry("same", &url, "3.1", &[], "      path: /v\n"),
        entry("away", &url, "3.1", &[], "      path: /away\n"),
    );
    let (_, report) = run_suite(dir.path(), &suite);
    let same = result(&report, "same");
    assert_eq!(same["status"], "pass", "{same:#}");
    assert_eq!(
        same["evidence"]["redirects /v"][0],
        format!("{url}/v"),
        "{same:#}"
    );
    let away = result(&report, "away");
    assert_eq!(away["code"], "api-version.redirect", "{away:#}");
}

#[test]
fn peer_nginx_interop_api_version_check() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let leaf = sim.pki.leaf(TlsVariant::Valid).unwrap();
    let Some(ng) = super::peers::nginx(
        &leaf.cert_pem,
        &leaf.key_pem,
        Some("Sat, 05 Dec 2099 00:00:00 GMT"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
    let https = format!("https://master.autoglm.test:{}", ng.https.port());
    let tls = format!(
        "      address: 127.0.0.1\n      ca_file: {}\n",
        ca.display()
    );
    let http = format!("http://{}", ng.http);
    let suite = format!(
        "checks:\n{}{}",
        entry("old", &https, "2.5", &[], &tls),
        entry(
            "current",
            &http,
            "v3.2",
            &["/api/v2/sync", "/unavailable"],
            ""
        ),
    );
    let (out, report) = run_suite(dir.path(), &suite);
    assert_eq!(out.status.code(), Some(1));
    let old = result(&report, "old");
    assert_eq!(old["code"], "api-version.upgrade-required", "{old:#}");
    let msg = old["message"].as_str().unwrap();
    assert!(msg.contains("2.5") && msg.contains("3.0"), "{msg}");
    let current = result(&report, "current");
    assert_eq!(current["findings"][0]["status"], "pass", "{current:#}");
    let sunset = finding_for(current, "/api/version", "api-version.sunset");
    assert!(
        sunset["message"]
            .as_str()
            .unwrap()
            .contains("2099-12-05 00:00 UTC"),
        "{sunset:#}"
    );
    let deprecated = finding_for(current, "/api/version", "api-version.deprecated");
    assert!(
        deprecated["message"]
            .as_str()
            .unwrap()
            .contains("2026-01-01 00:00 UTC"),
        "{deprecated:#}"
    );
    finding_for(current, "/api/v2/sync", "api-version.gone");
    finding_for(current, "/unavailable", "api-version.server-error");
    assert_eq!(report["facts"]["api.server_version"], "3.1.0");
}
