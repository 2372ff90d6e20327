//! Secrets never appear in any output: every fixture through every format, searched for the
//! fixture secrets (the healthy fixture's API key comes from the environment).

use super::*;

/// Secrets planted in configs written by this test, one per place a secret can sit.
const PLANTED: &[&str] = &[
    "sk-planted-literal-key-0042",
    "987654321123456789",
    "planted-env-secret-4242",
];

fn formats() -> Vec<&'static str> {
    vec!["table", "json", "junit", "markdown"]
}

#[test]
fn no_fixture_secret_appears_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    // A literal key with a lint problem on its line (the line is shown with a caret).
    let literal = dir.path().join("literal.yaml");
    std::fs::write(&literal, format!("endpoint: https://master.autoglm.test:8443\nmodel_repo: /m\nnode:\n  id: c1\n  role: compute\nauth:\n  api_key: {}   \n", PLANTED[0])).unwrap();
    // A key of the wrong type: the schema error must not echo it.
    let wrong_type = dir.path().join("wrong-type.yaml");
    std::fs::write(&wrong_type, format!("endpoint: https://master.autoglm.test:8443\nmodel_repo: /m\nnode:\n  id: c1\n  role: compute\nauth:\n  api_key: {}\n", PLANTED[1])).unwrap();
    // A duplicate secret key: the duplicate-key message names keys, not values.
    let dup = dir.path().join("dup.yaml");
    std::fs::write(
        &dup,
        format!(
            "auth:\n  api_key: {}\n  api_key: {}\n",
            PLANTED[0], PLANTED[2]
        ),
    )
    .unwrap();
    // A syntax error on the secret's line.
    let syntax = dir.path().join("syntax.yaml");
    std::fs::write(
        &syntax,
        format!("auth:\n  api_key: \"{}\n  token_ttl: 5\n", PLANTED[0]),
    )
    .unwrap();

    let mut configs: Vec<PathBuf> = vec![literal, wrong_type, dup, syntax];
    for sub in ["valid", "invalid"] {
        for e in std::fs::read_dir(root().join("fixtures/config").join(sub)).unwrap() {
            configs.push(e.unwrap().path());
        }
    }
    for cfg in &configs {
        for format in formats() {
            for verbosity in [None, Some("-v")] {
                let mut cmd = doctor(&root());
                cmd.env("AUTOGLM_FIXTURE_UNSET_API_KEY", PLANTED[2])
                    .args(["check", "--format", format, "--config"])
                    .arg(cfg);
                if let Some(v) = verbosity {
                    cmd.arg(v);
                }
                let out = cmd.output().unwrap();
                let all = format!("{}{}", stdout(&out), stderr(&out));
                for secret in PLANTED.iter().chain([&FIXTURE_API_KEY]) {
                    assert!(
                        !all.contains(secret),
                        "secret {secret} leaked with {format} {verbosity:?} for {}:\n{all}",
                        cfg.display()
                    );
                }
            }
        }
    }
}

#[test]
fn a_set_key_is_shown_as_a_fingerprint_so_nodes_can_be_compared() {
    let out = doctor(&root())
        .args([
            "--format",
            "json",
            "--config",
            "fixtures/config/valid/healthy.yaml",
        ])
        .output()
        .unwrap();
    let report = json_report(&out);
    let creds = result(&report, "config.credentials");
    let fp = creds["evidence"]["auth.api_key.fingerprint"]
        .as_str()
        .unwrap();
    assert!(fp.starts_with("sha256:") && fp.len() == 19, "{fp}");
    assert_eq!(fp, autoglm_doctor::secret::fingerprint(FIXTURE_API_KEY));
}

/// Secrets planted in `fixtures/recovery/logs/`: query strings, a bearer JWT, a basic
/// credential, a password in a URL, a JSON field.
const LOG_PLANTED: &[&str] = &[
    "sk-log-planted-0001",
    "tok-log-planted-0002",
    "pw-log-planted-0003",
    "sk-json-planted-0004",
    "c3ZjOnB3LWpzb24tcGxhbnRlZC0wMDA1",
    "eyJhbGciOiJSUzI1NiJ9",
    "cGxhbnRlZC1zaWduYXR1cmU",
];

#[test]
fn no_log_secret_appears_in_any_format() {
    let logs = root().join("fixtures/recovery/logs");
    let mut planted_text = String::new();
    for e in std::fs::read_dir(&logs).unwrap() {
        planted_text.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    for secret in LOG_PLANTED {
        assert!(planted_text.contains(secret), "{secret} is not planted");
    }
    for format in formats() {
        for verbosity in [None, Some("-v")] {
            let mut cmd = doctor(&root());
            cmd.env("AUTOGLM_TEST_LOGS", &logs)
                .env("TZ", "CST-8")
                .args([
                    "check",
                    "--suite",
                    "fixtures/recovery/logs-suite.yaml",
                    "--format",
                    format,
                ]);
            if let Some(v) = verbosity {
                cmd.arg(v);
            }
            let out = cmd.output().unwrap();
            let raw = format!("{}{}", stdout(&out), stderr(&out));
            // Undo XML and Markdown escaping, so the markers below are found in every format.
            let all = raw
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
                .replace("\\<", "<")
                .replace("\\>", ">")
                .replace("\\_", "_")
                .replace("\\=", "=");
            // The lines holding the secrets are reported (redacted), so the test is not vacuous.
            assert!(
                [
                    "api_key=<redacted>",
                    "Bearer <redacted>",
                    "<redacted>@master",
                    "token=<redacted>"
                ]
                .iter()
                .all(|r| all.contains(r))
                    && (all.contains(r#""Authorization":"<redacted>""#)
                        || all.contains(r#"\"Authorization\":\"<redacted>\""#)),
                "{format} {verbosity:?}:\n{all}"
            );
            for secret in LOG_PLANTED {
                assert!(
                    !all.contains(secret),
                    "log secret {secret} leaked with {format} {verbosity:?}:\n{all}"
                );
            }
        }
    }
}

/// Markers planted in every place a secret can sit in a node's inputs (issue of the first
/// release: ten of these leaked). None may appear in any output.
const SWEEP: &[&str] = &[
    "MKQUERY01",
    "MKUSERINFO02",
    "MKREPLICA03",
    "MKSUITE04",
    "MKPROXYa05",
    "MKPROXYb05",
    "MKMISSPELT06",
    "MKPASSPHRASE07",
    "MKKEY08",
    "MKSECRETVALUE09",
    "MKANCHOR10",
    "MKSIG11",
    "MKUSER12",
    "MKPROXYUSER13",
];

/// Undo XML and Markdown escaping, so a marker is found whatever the format did to it.
fn unescape(raw: &str) -> String {
    raw.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
        .replace('\\', "")
}

/// Two node configs: one valid for the schema (so the network and auth checks run and
/// publish facts with the endpoint in them), one with every broken place.
fn sweep_configs(dir: &Path, http: std::net::SocketAddr) -> [PathBuf; 2] {
    let valid = format!(
        "endpoint: http://{http}/?token=MKQUERY01&Signature=MKSIG11\n\
         model_repo: /m\n\
         node:\n  id: c1\n  role: compute\n\
         api:\n  version: \"2.5\"\n\
         auth:\n  api_key: sk-sweep-public-fixture\n  token_ttl: 3600\n"
    );
    // Trailing spaces on the marked lines: yaml-lint points a caret at each of them.
    let broken = format!(
        "endpoint: http://MKUSER12:MKUSERINFO02@{http}/?token=MKQUERY01   \n\
         model_repo: /m\n\
         node:\n  id: c2\n  role: compute\n\
         api:\n  version: \"2.5\"\n\
         x_shared: &k MKANCHOR10   \n\
         auth:\n\
         \x20 api_key: *k\n\
         \x20 api_kye: MKMISSPELT06   \n\
         \x20 passphrase: MKPASSPHRASE07   \n\
         \x20 key: MKKEY08   \n\
         \x20 secret_value: MKSECRETVALUE09   \n\
         replication:\n\
         \x20 mode: async\n\
         \x20 enable_failover: false\n\
         \x20 replicas:\n\
         \x20   - https://r:MKREPLICA03@127.0.0.1:1   \n"
    );
    let a = dir.join("valid.yaml");
    std::fs::write(&a, valid).unwrap();
    let b = dir.join("broken.yaml");
    std::fs::write(&b, broken).unwrap();
    [a, b]
}

#[test]
fn secret_sweep_finds_no_marker_in_any_output() {
    use autoglm_doctor::sim::{Options, SimMaster};
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let [valid, broken] = sweep_configs(dir.path(), sim.addrs.http);
    let suite = write_suite(
        dir.path(),
        "sweep-suite.yaml",
        &format!(
            "name: sweep\nchecks:\n  - id: http.suite-url\n    kind: http\n    with:\n      url: http://127.0.0.1:{}/x?api_key=MKSUITE04&page=1\n",
            sim.addrs.http.port()
        ),
    );
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    // The proxy is probed (nothing listens on port 2): its failure names it, redacted.
    let proxy = "http://MKPROXYUSER13:MKPROXYa05@MKPROXYb05@127.0.0.1:2";
    let mut everything = String::new();
    let mut n = 0;
    for (variant, cfg, suite_arg, proxied) in [
        ("valid", &valid, None, false),
        ("broken", &broken, None, false),
        ("proxied", &valid, None, true),
        ("suite", &valid, Some(&suite), false),
    ] {
        for format in formats() {
            for verbosity in [None, Some("-v")] {
                let mut cmd = doctor(dir.path());
                cmd.args(["check", "--timeout", "3s", "--format", format, "--config"])
                    .arg(cfg);
                if let Some(s) = suite_arg {
                    cmd.arg("--suite").arg(s);
                } else {
                    cmd.args(NOT_A_NODE);
                }
                if proxied {
                    cmd.env("HTTPS_PROXY", proxy).env("http_proxy", proxy);
                }
                if let Some(v) = verbosity {
                    cmd.arg(v);
                }
                let out = cmd.output().unwrap();
                assert!(
                    matches!(out.status.code(), Some(0 | 1)),
                    "{variant} {format}: {}",
                    stderr(&out)
                );
                let all = format!("{}{}", stdout(&out), stderr(&out));
                everything.push_str(&all);
                if format == "json" && verbosity.is_none() {
                    n += 1;
                    std::fs::write(reports.join(format!("{variant}.json")), &out.stdout).unwrap();
                }
            }
        }
    }
    // The fleet view of the same reports, in every format, and an error naming a URL.
    for format in ["table", "json", "markdown"] {
        let out = doctor(dir.path())
            .args(["compare", "--format", format])
            .arg(&reports)
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        everything.push_str(&stdout(&out));
        everything.push_str(&stderr(&out));
    }
    assert_eq!(n, 4);
    let all = unescape(&everything);
    if let Some(p) = std::env::var_os("SWEEP_DUMP") {
        std::fs::write(p, &all).unwrap();
    }
    // Not vacuous: the marked places are reported, redacted.
    for shown in [
        "api_kye: <redacted>",
        "passphrase: <redacted>",
        "key: <redacted>",
        "secret_value: <redacted>",
        "x_shared: &k <redacted>",
        "http://<redacted>@127.0.0.1",
        "token=<redacted>",
        "api_key=<redacted>",
        "https://<redacted>@127.0.0.1:1",
        "http://<redacted>@127.0.0.1:2 is unreachable",
    ] {
        assert!(all.contains(shown), "`{shown}` is not reported:\n{all}");
    }
    let leaks: Vec<&&str> = SWEEP.iter().filter(|m| all.contains(**m)).collect();
    assert!(leaks.is_empty(), "leaked {leaks:?}:\n{all}");
}
