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
