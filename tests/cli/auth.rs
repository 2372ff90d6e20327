//! Auth checks through the real binary against the simulated master: the demo's node,
//! changed one parameter or one token at a time.

use autoglm_doctor::sim::scenario::{self, Scenario};

use super::*;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .cast_signed()
}

/// Run the compute-node suite on the demo's node (minus the node-state checks).
fn check(demo: &scenario::Demo, extra: &[&str]) -> (Output, serde_json::Value) {
    let out = doctor(demo.dir.path())
        .args(["check", "--format", "json", "--config"])
        .arg(&demo.config)
        .args(NOT_A_NODE)
        .args(extra)
        .output()
        .unwrap();
    let report = json_report(&out);
    (out, report)
}

fn edit(demo: &scenario::Demo, from: &str, to: &str) {
    let text = std::fs::read_to_string(&demo.config).unwrap();
    assert!(text.contains(from), "{from} not in the demo config");
    std::fs::write(&demo.config, text.replacen(from, to, 1)).unwrap();
}

fn token(demo: &scenario::Demo, kid: &str, iat: i64, exp: i64, pem: &str) -> String {
    let t = autoglm_doctor::jwt::sign_es256(
        &serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": kid}),
        &serde_json::json!({"iss": "https://master.autoglm.test", "aud": "open-autoglm", "sub": "demo-compute-01", "iat": iat, "exp": exp}),
        pem,
    )
    .unwrap();
    std::fs::write(demo.dir.path().join("node.token"), &t).unwrap();
    t
}

fn codes(r: &serde_json::Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn ttl_mismatch_is_one_row_of_a_side_by_side_table_in_every_format() {
    let demo = scenario::start(Scenario::TtlMismatch).unwrap();
    let (out, report) = check(&demo, &[]);
    assert_eq!(out.status.code(), Some(1));
    let r = result(&report, "auth.params");
    assert_eq!(codes(r), ["auth-params.ttl-mismatch"], "{r:#}");
    assert_eq!(report["root_causes"], serde_json::json!(["auth.params"]));
    let rows = r["evidence"]["comparison"].as_array().unwrap();
    let bad: Vec<_> = rows.iter().filter(|r| r["match"] == false).collect();
    assert_eq!(bad.len(), 1, "{rows:#?}");
    assert_eq!(bad[0]["parameter"], "token_ttl");
    assert_eq!(
        (bad[0]["master"].as_str(), bad[0]["node"].as_str()),
        (Some("3600"), Some("1800"))
    );
    assert!(r["remediation"].as_str().unwrap().contains("3600"));

    for (format, header) in [
        ("table", "PARAMETER"),
        ("markdown", "| Parameter | Master | This node | Match |"),
    ] {
        let out = doctor(demo.dir.path())
            .args(["check", "--format", format, "--config"])
            .arg(&demo.config)
            .args(NOT_A_NODE)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(header), "{format}:\n{text}");
        let row = text
            .lines()
            .find(|l| l.contains("token_ttl") && l.contains("3600") && l.contains("1800"))
            .unwrap_or_else(|| panic!("{format}: no token_ttl row with both values:\n{text}"));
        assert!(row.contains("NO") || row.contains("no"), "{row}");
    }
}

#[test]
fn ca_version_mismatch_is_named() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    edit(&demo, "version: v2.1", "version: v2.0");
    let (_, report) = check(&demo, &[]);
    let r = result(&report, "auth.params");
    assert_eq!(codes(r), ["auth-params.ca-version-mismatch"], "{r:#}");
    assert!(r["message"].as_str().unwrap().contains("v2.1"));
}

#[test]
fn a_token_from_a_rotated_out_key_is_an_unknown_kid() {
    let demo = scenario::start(Scenario::RotatedKey).unwrap();
    let (out, report) = check(&demo, &[]);
    assert_eq!(out.status.code(), Some(1));
    let r = result(&report, "auth.token");
    assert_eq!(codes(r), ["auth-token.kid-unknown"], "{r:#}");
    assert!(r["message"].as_str().unwrap().contains("master-2026-10"));
    assert_eq!(result(&report, "auth.params")["status"], "pass");
}

#[test]
fn expired_token_and_bad_signature() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let key = demo.sim.signing_key.clone();
    let t = now();
    token(&demo, &key.kid, t - 7200, t - 3600, &key.private_pem);
    let (_, report) = check(&demo, &[]);
    let r = result(&report, "auth.token");
    assert_eq!(codes(r), ["auth-token.expired"], "{r:#}");

    let impostor = autoglm_doctor::sim::signing_key(&key.kid).unwrap();
    token(&demo, &key.kid, t - 60, t + 3540, &impostor.private_pem);
    let (_, report) = check(&demo, &[]);
    let r = result(&report, "auth.token");
    assert_eq!(codes(r), ["auth-token.bad-signature"], "{r:#}");
}

#[test]
fn offline_comparison_with_a_copy_of_the_master_config() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let master = demo.dir.path().join("master.yaml");
    std::fs::write(&master, std::fs::read_to_string(&demo.config).unwrap()).unwrap();
    edit(&demo, "token_ttl: 3600", "token_ttl: 1800");
    let (out, report) = check(
        &demo,
        &["--offline", "--master-config", master.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let r = result(&report, "auth.params");
    assert_eq!(codes(r), ["auth-params.ttl-mismatch"], "{r:#}");
    assert!(
        r["evidence"]["master_source"]
            .as_str()
            .unwrap()
            .contains("--master-config")
    );
    // Nothing to compare with offline and without a copy: a skip, not a failure.
    let (_, report) = check(&demo, &["--offline"]);
    assert_eq!(
        result(&report, "auth.params")["code"],
        "auth-params.no-master-values"
    );
}

#[test]
fn no_auth_secret_appears_in_any_format() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let secret = "hs-shared-secret-planted-5150";
    std::fs::write(demo.dir.path().join("jwt.secret"), secret).unwrap();
    // The master's copy holds the same secret: the comparison passes and the token is judged.
    std::fs::write(demo.dir.path().join("master.secret"), secret).unwrap();
    let t = now();
    let hs = autoglm_doctor::jwt::sign_hs256(
        &serde_json::json!({"alg": "HS256", "kid": "master-2026-11"}),
        &serde_json::json!({"sub": "demo-compute-01", "iat": t - 7200, "exp": t - 3600}),
        secret.as_bytes(),
    );
    std::fs::write(demo.dir.path().join("node.token"), &hs).unwrap();
    let text = std::fs::read_to_string(&demo.config).unwrap();
    let node = text.replacen(
        "algorithm: ES256",
        "algorithm: HS256\n    secret_file: jwt.secret",
        1,
    );
    std::fs::write(&demo.config, &node).unwrap();
    let master = demo.dir.path().join("master.yaml");
    std::fs::write(&master, node.replace("jwt.secret", "master.secret")).unwrap();
    let api_key = "demo-key-7d1c-not-a-real-secret";
    let sig = hs.rsplit('.').next().unwrap();
    for format in ["table", "json", "junit", "markdown"] {
        for v in [None, Some("-vv")] {
            let mut cmd = doctor(demo.dir.path());
            cmd.args(["check", "--format", format, "--master-config"])
                .arg(&master)
                .arg("--config")
                .arg(&demo.config)
                .args(NOT_A_NODE);
            if let Some(v) = v {
                cmd.arg(v);
            }
            let out = cmd.output().unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for s in [secret, api_key, hs.as_str(), sig] {
                assert!(!all.contains(s), "{format}: a secret leaked:\n{all}");
            }
            if format == "json" {
                let report = json_report(&out);
                assert_eq!(
                    result(&report, "auth.params")["status"],
                    "pass",
                    "{report:#}"
                );
                assert!(
                    codes(result(&report, "auth.token"))
                        .contains(&"auth-token.expired".to_string())
                );
            }
        }
    }
}

/// Master/compute config pairs (fixtures/auth): each compute config differs from the
/// master in exactly one parameter, compared offline with `--master-config`.
#[test]
fn each_fixture_pair_shows_exactly_its_one_mismatching_row() {
    let dir = root().join("fixtures/auth");
    let mut pairs = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !name.starts_with("compute-") {
            continue;
        }
        let first = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        let code = first
            .strip_prefix("# expect: ")
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let out = doctor(&root())
            .args([
                "check",
                "--offline",
                "--only",
                "auth.params",
                "--format",
                "json",
                "--master-config",
            ])
            .arg(dir.join("master.yaml"))
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let report = json_report(&out);
        let r = result(&report, "auth.params");
        assert_eq!(codes(r), std::slice::from_ref(&code), "{name}: {r:#}");
        assert_eq!(
            report["root_causes"],
            serde_json::json!(["auth.params"]),
            "{name}"
        );
        let rows = r["evidence"]["comparison"].as_array().unwrap();
        let mismatching: Vec<&serde_json::Value> =
            rows.iter().filter(|row| row["match"] == false).collect();
        assert_eq!(mismatching.len(), 1, "{name}: {rows:#?}");
        pairs += 1;
    }
    assert!(pairs >= 6);
}

/// A copy of the master's config is validated against the config schema: a misspelt key
/// and a value of the wrong type are reported with their file:line:col, as warnings of
/// `auth.params` (the comparison still runs on the valid values), never silently ignored.
#[test]
fn the_master_config_is_validated_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("fixtures/auth");
    let text = std::fs::read_to_string(fixtures.join("master.yaml"))
        .unwrap()
        .replace(
            "../files/ca.pem",
            &root().join("fixtures/files/ca.pem").display().to_string(),
        );
    let node = dir.path().join("node.yaml");
    std::fs::write(&node, text.replace("role: master", "role: compute")).unwrap();
    let master = dir.path().join("master.yaml");
    let bad = text
        .replace(
            "  token_ttl: 3600\n",
            "  token_ttl: 3600\n  tokn_ttl: 1800\n",
        )
        .replace("version: v2.1", "version: [2, 1]");
    std::fs::write(&master, &bad).unwrap();
    let run = |master: &Path| {
        doctor(dir.path())
            .args([
                "check",
                "--offline",
                "--only",
                "auth.params",
                "--format",
                "json",
                "--master-config",
            ])
            .arg(master)
            .arg("--config")
            .arg(&node)
            .output()
            .unwrap()
    };
    let out = run(&master);
    let report = json_report(&out);
    let r = result(&report, "auth.params");
    assert_eq!(r["status"], "warn", "{r:#}");
    let problems: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "auth-params.master-config-invalid")
        .collect();
    assert_eq!(problems.len(), 2, "{r:#}");
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let unknown = problems
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("tokn_ttl"))
        .unwrap_or_else(|| panic!("{r:#}"));
    assert_eq!(
        unknown["location"]["line"],
        line_of("tokn_ttl"),
        "{unknown:#}"
    );
    assert_eq!(unknown["location"]["column"], 3, "{unknown:#}");
    let message = unknown["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("--master-config {}: ", master.display())),
        "{message}"
    );
    assert!(
        unknown["remediation"]
            .as_str()
            .unwrap()
            .contains("token_ttl"),
        "a close known key is suggested: {unknown:#}"
    );
    let wrong = problems
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("ca_certificate.version")
        })
        .unwrap_or_else(|| panic!("{r:#}"));
    assert_eq!(
        wrong["location"]["line"],
        line_of("version: [2, 1]"),
        "{wrong:#}"
    );
    // The valid values are still compared: the TTL rows match.
    assert_eq!(out.status.code(), Some(0), "{r:#}");

    // The same master config without the mistakes: no such finding, a pass.
    std::fs::write(&master, &text).unwrap();
    let report = json_report(&run(&master));
    assert_eq!(
        result(&report, "auth.params")["status"],
        "pass",
        "{report:#}"
    );
}

/// Tokens from an independent encoder (PyJWT) decode and verify like our own.
#[test]
fn tokens_signed_by_pyjwt_are_judged_like_ours() {
    if !require_python("jwt, cryptography", "PyJWT (pyjwt[crypto])") {
        return;
    }
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let key = demo.dir.path().join("signing-key.pem");
    std::fs::write(&key, &demo.sim.signing_key.private_pem).unwrap();
    let sign = |kid: &str, lifetime: i64| {
        let script = "import jwt, sys, time\nkey = open(sys.argv[1]).read()\nnow = int(time.time())\nprint(jwt.encode({'iss': 'https://master.autoglm.test', 'aud': 'open-autoglm', 'sub': 'demo-compute-01', 'iat': now - 60, 'exp': now - 60 + int(sys.argv[3])}, key, algorithm='ES256', headers={'kid': sys.argv[2]}))";
        let out = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&key)
            .arg(kid)
            .arg(lifetime.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::write(demo.dir.path().join("node.token"), stdout(&out).trim()).unwrap();
    };
    sign(&demo.sim.signing_key.kid, 3600);
    let (_, report) = check(&demo, &[]);
    assert_eq!(
        result(&report, "auth.token")["status"],
        "pass",
        "{:#}",
        result(&report, "auth.token")
    );
    sign("master-2026-10", 3600);
    let (_, report) = check(&demo, &[]);
    assert_eq!(
        result(&report, "auth.token")["code"],
        "auth-token.kid-unknown"
    );
    sign(&demo.sim.signing_key.kid, 30);
    let (_, report) = check(&demo, &[]);
    assert!(
        codes(result(&report, "auth.token"))
            .iter()
            .any(|c| c.contains("expired")),
        "{:#}",
        result(&report, "auth.token")
    );
}

/// Online, the master's CA fingerprint comes from the chain the TLS check saw.
#[test]
fn ca_fingerprint_is_compared_with_the_chain_the_master_presents() {
    let demo = scenario::start(Scenario::Healthy).unwrap();
    let (_, report) = check(&demo, &[]);
    let rows = result(&report, "auth.params")["evidence"]["comparison"]
        .as_array()
        .unwrap()
        .clone();
    let ca = rows
        .iter()
        .find(|r| r["parameter"] == "CA certificate fingerprint")
        .unwrap();
    assert_eq!(ca["match"], true, "{ca}");
    let presented = report["facts"]["tls.master_ca.sha256"].as_str().unwrap();
    assert!(
        ca["master"].as_str().unwrap().starts_with("sha256:")
            && presented.starts_with(&ca["master"].as_str().unwrap()[7..]),
        "{ca} vs {presented}"
    );
}

/// Every algorithm the token check supports, against tokens from PyJWT: a good signature
/// verifies, a tampered one does not.
#[test]
fn every_supported_algorithm_verifies_pyjwt_tokens() {
    if !require_python("jwt, cryptography", "PyJWT (pyjwt[crypto])") {
        return;
    }
    let script = r"
import json, jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa, ec, ed25519
def pub(k):
    return k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
keys = {'ES256': ec.generate_private_key(ec.SECP256R1()), 'ES384': ec.generate_private_key(ec.SECP384R1()), 'EdDSA': ed25519.Ed25519PrivateKey.generate()}
claims = {'sub': 'n1', 'iat': 1, 'exp': 2}
for alg in ['HS256', 'HS384', 'HS512']:
    print(json.dumps({'alg': alg, 'token': jwt.encode(claims, 's3cret-for-' + alg, algorithm=alg), 'secret': 's3cret-for-' + alg}))
for alg in ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']:
    print(json.dumps({'alg': alg, 'token': jwt.encode(claims, rsa_key, algorithm=alg), 'pem': pub(rsa_key)}))
for alg, k in keys.items():
    print(json.dumps({'alg': alg, 'token': jwt.encode(claims, k, algorithm=alg), 'pem': pub(k)}))
";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut seen = Vec::new();
    for line in stdout(&out).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let alg = v["alg"].as_str().unwrap();
        let raw = v["token"].as_str().unwrap();
        let token = autoglm_doctor::jwt::parse(raw).unwrap();
        let public;
        let key = if let Some(s) = v["secret"].as_str() {
            autoglm_doctor::jwt::Key::Secret(s.as_bytes())
        } else {
            public =
                autoglm_doctor::jwt::PublicKey::from_pem(v["pem"].as_str().unwrap().as_bytes())
                    .unwrap();
            autoglm_doctor::jwt::Key::Public(&public)
        };
        assert!(
            autoglm_doctor::jwt::verify(&token, alg, &key).is_ok(),
            "{alg}: a PyJWT token does not verify"
        );
        // Change the first character of the signature segment.
        let (head, sig) = raw.rsplit_once('.').unwrap();
        let first = if sig.starts_with('A') { 'B' } else { 'A' };
        let tampered = autoglm_doctor::jwt::parse(&format!("{head}.{first}{}", &sig[1..])).unwrap();
        assert!(
            autoglm_doctor::jwt::verify(&tampered, alg, &key).is_err(),
            "{alg}: a tampered signature verifies"
        );
        seen.push(alg.to_string());
    }
    assert_eq!(seen.len(), 12, "{seen:?}");
}
