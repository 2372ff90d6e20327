//! `config.credentials`: credentials are set, not placeholders, and the files they name exist.
//!
//! An empty `api_key` or a JWT secret that was not rotated with the master gets the
//! node refused ("401 Unauthorized"), and the service only notices at run time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo};
use crate::config::ConfigSource;
use crate::config::env_ref;
use crate::probe::fs;
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};
use crate::secret::fingerprint;
use crate::yaml::{Node, Value};

/// Keys holding a credential value.
const CREDENTIAL_KEYS: &[&str] = &["/auth/api_key"];
/// Keys naming a file the node must read: (pointer, what it is).
const FILE_KEYS: &[(&str, &str)] = &[
    ("/auth/ca_certificate/path", "CA certificate bundle"),
    ("/auth/jwt/public_key_file", "JWT public key"),
    ("/auth/jwt/secret_file", "JWT secret"),
    ("/auth/jwt/token_file", "node token"),
];
/// Files whose content is a secret: nobody but the service should read them.
const SECRET_FILES: &[&str] = &["/auth/jwt/secret_file", "/auth/jwt/token_file"];
/// Values that mean "someone forgot to fill this in".
const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "replace_me",
    "todo",
    "tbd",
    "xxx",
    "xxxx",
    "placeholder",
    "secret",
    "password",
    "your-api-key",
    "your_api_key",
    "api-key",
    "apikey",
    "dummy",
    "test",
    "example",
    "none",
    "null",
    "***",
    "...",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {}

super::generated_codes!("config-credentials");

/// A credential is present but empty.
pub const EMPTY: Code = Code::new(
    "config-credentials.empty",
    Status::Fail,
    "A credential is present but empty.",
    "Set the credential, preferably as a ${ENV} reference exported in the service environment.",
)
.was(&["config.credentials.empty"]);

/// A credential still holds a placeholder such as `changeme` or `<api-key>`.
pub const PLACEHOLDER: Code = Code::new(
    "config-credentials.placeholder",
    Status::Fail,
    "A credential still holds a placeholder such as `changeme` or `<api-key>`.",
    "Replace the placeholder with the real credential (or a ${ENV} reference to it).",
)
.was(&["config.credentials.placeholder"]);

/// A `${NAME}` reference in the config names an environment variable that is not set.
pub const UNSET_ENV: Code = Code::new(
    "config-credentials.unset-env",
    Status::Fail,
    "A `${NAME}` reference in the config names an environment variable that is not set.",
    "Export the variable in the service's environment (and the doctor's), or write the value.",
)
.was(&["config.credentials.unset-env"]);

/// A file named by the config (CA bundle, key, secret, token) does not exist.
pub const FILE_MISSING: Code = Code::new(
    "config-credentials.file-missing",
    Status::Fail,
    "A file named by the config (CA bundle, key, secret, token) does not exist.",
    "Put the file at the configured path or correct the path.",
)
.was(&["config.credentials.file-missing"]);

/// A file named by the config exists but cannot be read, or is not a regular file.
pub const FILE_UNREADABLE: Code = Code::new(
    "config-credentials.file-unreadable",
    Status::Fail,
    "A file named by the config exists but cannot be read, or is not a regular file.",
    "Make the file readable by the service user (chmod/chown), or point at the file itself.",
)
.was(&["config.credentials.file-unreadable"]);

/// A file named by the config is far larger than any certificate, key, secret or token.
pub const FILE_TOO_LARGE: Code = Code::new(
    "config-credentials.file-too-large",
    Status::Fail,
    "A file named by the config is far larger than any certificate, key, secret or token (a disk image, a log, a device).",
    "Point the setting at the certificate, key, secret or token file itself.",
);

/// A file holding a secret (JWT secret, node token) is readable by every user.
pub const WORLD_READABLE: Code = Code::new(
    "config-credentials.world-readable",
    Status::Warn,
    "A file holding a secret (JWT secret, node token) is readable by every user.",
    "Restrict the file to the service: `chmod 600 FILE` (or 640 with the service's group).",
)
.was(&["config.credentials.world-readable"]);

/// A file named by the config is empty.
pub const FILE_EMPTY: Code = Code::new(
    "config-credentials.file-empty",
    Status::Fail,
    "A file named by the config is empty.",
    "Write the certificate, key, secret or token into the file.",
)
.was(&["config.credentials.file-empty"]);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "config-credentials",
        category: "config",
        summary: "Credentials are set and not placeholders; ${ENV} references resolve; referenced key, CA and token files exist and are readable",
        explain: "What it checks: `auth.api_key` is neither empty nor a placeholder (`changeme`, `<your key>`, `xxx`, ...); every `${NAME}` reference in the config names an environment variable that is set in the doctor's environment (run the doctor with the service's environment); the files the config names — `auth.ca_certificate.path`, `auth.jwt.public_key_file`, `auth.jwt.secret_file`, `auth.jwt.token_file` — exist, are regular files, readable and not empty (relative paths are taken from the config file's directory). Values are never printed: a set key is shown as a SHA-256 fingerprint.\n\nWhy it matters: an empty `api_key` passes start-up and is only refused by the master's gateway (401 Unauthorized); a certificate path that is wrong after a rotation makes every TLS handshake fail.\n\nHow to fix: set the key (preferably `api_key: ${AUTOGLM_API_KEY}` with the variable exported in the service unit), export the variables the config references, and put the named files in place with permissions the service user can read.",
        default_timeout: Duration::from_secs(5),
        network: false,
        reads_config: true,
        codes: &[
            EMPTY,
            PLACEHOLDER,
            UNSET_ENV,
            FILE_MISSING,
            FILE_UNREADABLE,
            WORLD_READABLE,
            FILE_TOO_LARGE,
            FILE_EMPTY,
        ],
        generated: GENERATED,
        aliases: &["config.credentials"],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(_spec: &Spec, ctx: &Context) -> Evaluation {
        let src = Arc::clone(&ctx.config);
        let vars = Arc::clone(&ctx.env);
        let env = move |name: &str| vars.var(name);
        super::on_blocking_pool(&INTERNAL, "the credentials check", move || {
            judge(&src, &env)
        })
        .await
    }
}

fn is_placeholder(v: &str) -> bool {
    let t = v.trim();
    let lower = t.to_ascii_lowercase();
    PLACEHOLDERS.contains(&lower.as_str())
        || (t.starts_with('<') && t.ends_with('>'))
        || (t.starts_with("{{") && t.ends_with("}}"))
        || (t.len() >= 3 && t.chars().all(|c| c == 'x' || c == 'X' || c == '*'))
}

fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// Judge credentials; `env` looks up environment variables (injected for tests).
pub fn judge(src: &ConfigSource, env: &dyn Fn(&str) -> Option<String>) -> Evaluation {
    let Some(tree) = src.tree() else {
        return super::blocked(
            &BLOCKED,
            "not run: the config is not readable YAML",
            "fix the config.file and config.syntax checks first",
        );
    };
    let path = src.display_path();
    let base = src
        .path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut findings = Vec::new();
    let mut evidence = crate::report::Evidence::new();

    // ${NAME} references anywhere in the config.
    let mut refs = Vec::new();
    collect_env_refs(tree, "", &mut refs);
    for (pointer, node, var) in &refs {
        if env(var).is_none() {
            findings.push(
                Finding::new(&UNSET_ENV, format!("`{}` refers to ${{{var}}}, which is not set", dotted(pointer)),
                    format!("export {var} in the service environment (and run the doctor with it), or write the value at {path}:{}", node.pos.line),
                )
                .at(src.location(node.pos))
                .with("field", dotted(pointer))
                .with("variable", var.clone()),
            );
        }
    }

    for pointer in CREDENTIAL_KEYS {
        let Some(node) = tree.pointer(pointer) else {
            continue;
        };
        let field = dotted(pointer);
        let raw = match &node.value {
            Value::Scalar(s) => s.text.clone(),
            _ => continue, // wrong type: config.schema reports it
        };
        let resolved = match env_ref(&raw) {
            Some(var) => match env(var) {
                Some(v) => v,
                None => continue, // reported above
            },
            None => raw.clone(),
        };
        let at = src.location(node.pos);
        if resolved.trim().is_empty() || raw == "~" || raw == "null" {
            findings.push(
                Finding::new(&EMPTY, format!("`{field}` is empty"),
                    format!("set `{field}` at {path}:{} (e.g. `{}: ${{AUTOGLM_API_KEY}}` with the variable exported for the service)", node.pos.line, pointer.rsplit('/').next().unwrap_or_default()),
                )
                .at(at)
                .with("field", field),
            );
        } else if is_placeholder(&resolved) {
            findings.push(
                Finding::new(&PLACEHOLDER, format!("`{field}` holds a placeholder, not a credential"),
                    format!("replace the placeholder in `{field}` at {path}:{} with the real value from the master's administrator", node.pos.line),
                )
                .at(at)
                .with("field", field),
            );
        } else {
            evidence.insert(
                format!("{field}.fingerprint"),
                fingerprint(&resolved).into(),
            );
            findings.push(Finding::pass(format!(
                "`{field}` is set ({})",
                fingerprint(&resolved)
            )));
        }
    }

    for (pointer, what) in FILE_KEYS {
        let Some(node) = tree.pointer(pointer) else {
            continue;
        };
        let Some(raw) = node.as_str() else { continue };
        let field = dotted(pointer);
        let value = match env_ref(raw) {
            Some(var) => match env(var) {
                Some(v) => v,
                None => continue,
            },
            None => raw.to_string(),
        };
        if value.trim().is_empty() {
            continue; // config.schema reports empty paths
        }
        let file = if Path::new(&value).is_absolute() {
            PathBuf::from(&value)
        } else {
            base.join(&value)
        };
        let shown = file.display().to_string();
        let at = src.location(node.pos);
        let finding = match fs::metadata(&file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Finding::new(
                &FILE_MISSING,
                format!("{what} `{field}` = {shown} does not exist"),
                format!(
                    "put the {what} at {shown}, or correct `{field}` at {path}:{}",
                    node.pos.line
                ),
            ),
            Err(e) => Finding::new(
                &FILE_UNREADABLE,
                format!("{what} {shown} cannot be inspected: {e}"),
                format!("make {shown} and its directories accessible to the service user"),
            ),
            Ok(m) if !m.is_file() => Finding::new(
                &FILE_UNREADABLE,
                format!("{what} {shown} is not a regular file"),
                format!(
                    "point `{field}` at {path}:{} at the file itself",
                    node.pos.line
                ),
            ),
            // Read, not only opened: bounded, so a 3 GB "secret" is named as too large
            // instead of passing as readable, and a FIFO swapped in is refused.
            Ok(m) => match fs::read_bounded_now(&file, fs::BUNDLE_CAP) {
                Err(fs::ReadError::TooLarge { size, cap }) => Finding::new(
                    &FILE_TOO_LARGE,
                    format!(
                        "{what} {shown} is {size} bytes, more than any {what} (limit {cap} bytes); not read"
                    ),
                    format!(
                        "point `{field}` at {path}:{} at the {what} itself",
                        node.pos.line
                    ),
                ),
                Err(e) => Finding::new(
                    &FILE_UNREADABLE,
                    format!("{what} {shown} cannot be read: {e}"),
                    format!("make {shown} readable by the service user, e.g. chmod 640 {shown}"),
                ),
                Ok(_) if m.len() == 0 => Finding::new(
                    &FILE_EMPTY,
                    format!("{what} {shown} is empty"),
                    format!("write the {what} into {shown}"),
                ),
                Ok(_) if SECRET_FILES.contains(pointer) && fs::mode(&m) & 0o004 != 0 => {
                    Finding::new(
                        &WORLD_READABLE,
                        format!(
                            "{what} {shown} is readable by every user on this node (mode {:o})",
                            fs::mode(&m)
                        ),
                        format!(
                            "restrict it to the service: chmod 600 {shown} (or 640 with the service's group)"
                        ),
                    )
                }
                Ok(_) => Finding::pass(format!("{what} {shown} is readable ({} bytes)", m.len())),
            },
        };
        let finding = if finding.status == Status::Pass {
            finding
        } else {
            finding.at(at)
        };
        findings.push(finding.with("field", field).with("file", shown));
    }

    if findings.is_empty() {
        findings.push(Finding::pass(
            "no credentials or credential files configured",
        ));
    }
    let mut eval = Evaluation::of(findings);
    // Fingerprints are comparable across the fleet; the values never leave the node.
    eval.facts = evidence
        .iter()
        .filter(|(k, _)| k.ends_with(".fingerprint"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    eval.evidence = evidence;
    // Warnings count too: a row that warns leads with its warning, not with the summary of
    // a clean run.
    let problems = eval
        .findings
        .iter()
        .filter(|f| f.status > Status::Pass)
        .count();
    if problems > 1 {
        let first = eval.worst().map(|f| f.message.clone()).unwrap_or_default();
        eval.message = Some(format!("{problems} credential problems; first: {first}"));
    } else if problems == 0 && eval.findings.len() > 1 {
        eval.message = Some("credentials set; referenced files readable".into());
    }
    eval
}

fn collect_env_refs<'a>(node: &'a Node, pointer: &str, out: &mut Vec<(String, &'a Node, String)>) {
    match &node.value {
        Value::Scalar(s) => {
            let mut rest = s.text.as_str();
            while let Some(i) = rest.find("${") {
                let after = &rest[i + 2..];
                let Some(end) = after.find('}') else { break };
                let inner = &after[..end];
                let name = inner.split_once(":-").map_or(inner, |(n, _)| n);
                let has_default = inner.contains(":-");
                if !has_default
                    && !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    out.push((pointer.to_string(), node, name.to_string()));
                }
                rest = &after[end + 1..];
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_env_refs(item, &format!("{pointer}/{i}"), out);
            }
        }
        Value::Mapping(entries) => {
            for (k, v) in entries {
                collect_env_refs(
                    v,
                    &format!("{pointer}/{}", k.as_str().unwrap_or_default()),
                    out,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        judge(&ConfigSource::from_text("/nonexistent/c.yaml", text), env)
            .findings
            .iter()
            .filter_map(|f| f.code_name().map(String::from))
            .collect()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn empty_placeholder_unset() {
        assert_eq!(
            codes("auth:\n  api_key: \"\"\n", &no_env),
            ["config-credentials.empty"]
        );
        assert_eq!(
            codes("auth:\n  api_key: changeme\n", &no_env),
            ["config-credentials.placeholder"]
        );
        assert_eq!(
            codes("auth:\n  api_key: <your-key>\n", &no_env),
            ["config-credentials.placeholder"]
        );
        assert_eq!(
            codes("auth:\n  api_key: ${NOPE_X}\n", &no_env),
            ["config-credentials.unset-env"]
        );
        let env = |n: &str| (n == "K").then(|| "s3cr3t-value-1234".to_string());
        assert!(codes("auth:\n  api_key: ${K}\n", &env).is_empty());
    }

    #[test]
    fn files_missing_empty_and_present() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("empty.pem"), "").unwrap();
        std::fs::write(dir.path().join("ca.pem"), "-----BEGIN CERTIFICATE-----\n").unwrap();
        let cfg = dir.path().join("c.yaml");
        let text = "auth:\n  ca_certificate:\n    path: ca.pem\n  jwt:\n    algorithm: RS256\n    public_key_file: empty.pem\n    token_file: /nonexistent/token\n";
        std::fs::write(&cfg, text).unwrap();
        let src = ConfigSource::discover(Some(&cfg), None, dir.path());
        let e = judge(&src, &no_env);
        let codes: Vec<_> = e
            .findings
            .iter()
            .map(|f| f.code_name().map(String::from))
            .collect();
        assert_eq!(
            codes,
            [
                None,
                Some("config-credentials.file-empty".into()),
                Some("config-credentials.file-missing".into())
            ]
        );
        assert_eq!(e.findings[2].location.as_ref().unwrap().line, 7);
    }

    #[test]
    fn world_readable_secret_files_warn() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("node.token");
        std::fs::write(&token, "eyJ.x.y").unwrap();
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        let cfg = dir.path().join("c.yaml");
        std::fs::write(
            &cfg,
            "auth:\n  jwt:\n    algorithm: ES256\n    token_file: node.token\n",
        )
        .unwrap();
        let src = ConfigSource::discover(Some(&cfg), None, dir.path());
        let e = judge(&src, &no_env);
        assert_eq!(
            e.worst().unwrap().code_name(),
            Some("config-credentials.world-readable")
        );
        // The row warns with the warning's message, not the clean run's summary.
        let text =
            "auth:\n  api_key: ${K}\n  jwt:\n    algorithm: ES256\n    token_file: node.token\n";
        std::fs::write(&cfg, text).unwrap();
        let src = ConfigSource::discover(Some(&cfg), None, dir.path());
        let env = |n: &str| (n == "K").then(|| "s3cr3t-value-1234".to_string());
        let e = judge(&src, &env);
        assert!(e.findings.len() > 1, "{e:#?}");
        let row = crate::report::CheckResult::from_evaluation(
            "config.credentials",
            "config-credentials",
            "config",
            Vec::new(),
            e,
            std::time::Duration::ZERO,
        );
        assert_eq!(row.status, Status::Warn);
        assert!(
            row.message.contains("readable by every user"),
            "{}",
            row.message
        );
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = judge(&src, &env);
        assert_eq!(e.status(), Status::Pass);
        assert_eq!(
            e.message.as_deref(),
            Some("credentials set; referenced files readable")
        );
    }

    #[test]
    fn secret_is_fingerprinted_never_shown() {
        let env = |_: &str| None;
        let e = judge(
            &ConfigSource::from_text("c.yaml", "auth:\n  api_key: sk-live-abcdef123456\n"),
            &env,
        );
        let all = format!("{e:?}");
        assert!(!all.contains("sk-live-abcdef123456"));
        assert!(all.contains("sha256:"));
    }
}
