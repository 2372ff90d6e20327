//! `config.file`: the node config exists, is a regular readable UTF-8 file, not too large.

use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo};
use crate::config::{ConfigSource, Origin, ReadOutcome};
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};

/// Default size limit: a node config is a few kilobytes; megabytes mean a wrong file.
pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Largest accepted size in bytes.
    #[serde(default = "default_max")]
    pub max_bytes: u64,
}

fn default_max() -> u64 {
    DEFAULT_MAX_BYTES
}

super::generated_codes!("config-file");

/// No node config was found at any of the places looked at.
pub const MISSING: Code = Code::new(
"config-file.missing",
Status::Fail,
"No node config was found at any of the places looked at.",
"Create the config at /etc/open-autoglm/config.yaml, or point $AUTOGLM_CONFIG or --config at it.",
)
.was(&["config.file.missing"]);

/// The config path names a directory or another non-regular file.
pub const NOT_A_FILE: Code = Code::new(
    "config-file.not-a-file",
    Status::Fail,
    "The config path names a directory or another non-regular file.",
    "Point --config or $AUTOGLM_CONFIG at the YAML file itself.",
)
.was(&["config.file.not-a-file"]);

/// The config file exists but cannot be read (permissions, dangling link, I/O error).
pub const UNREADABLE: Code = Code::new(
    "config-file.unreadable",
    Status::Fail,
    "The config file exists but cannot be read (permissions, dangling link, I/O error).",
    "Make the file readable by the service user, e.g. `chmod 640 FILE`.",
)
.was(&["config.file.unreadable"]);

/// The config file is larger than the limit.
pub const TOO_LARGE: Code = Code::new(
"config-file.too-large",
Status::Fail,
"The config file is larger than the limit.",
"Check that the path names the node config and not a log or a dump; raise `max_bytes` in the suite only if the file really is that large.",
)
.was(&["config.file.too-large"]);

/// The config file is not valid UTF-8.
pub const NOT_UTF8: Code = Code::new(
    "config-file.not-utf8",
    Status::Fail,
    "The config file is not valid UTF-8.",
    "Re-save the file as UTF-8 (e.g. `iconv -f GBK -t UTF-8`).",
)
.was(&["config.file.not-utf8"]);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "config-file",
        category: "config",
        summary: "The node config file is present, a regular file, readable, UTF-8 and of sane size",
        explain: "What it checks: that the Open-AutoGLM node config can be found and read. Without --config the doctor looks, in order, at $AUTOGLM_CONFIG, ./open-autoglm.yaml and /etc/open-autoglm/config.yaml; the message lists every place it looked. The file must be a regular file (not a directory or a dangling link), readable by the user running the doctor, valid UTF-8, and no larger than `max_bytes` (4 MiB unless the suite says otherwise).\n\nWhy it matters: every other check reads its parameters from this file; a node that cannot read its config cannot register or sync, and fails at start-up with errors that rarely name the file.\n\nHow to fix: put the config where the service looks for it, or point $AUTOGLM_CONFIG or --config at it; make it readable by the service user (`chmod 640`, `chown root:open-autoglm`); re-save it as UTF-8.",
        default_timeout: Duration::from_secs(2),
        network: false,
        reads_config: false,
        codes: &[MISSING, NOT_A_FILE, UNREADABLE, TOO_LARGE, NOT_UTF8],
        generated: GENERATED,
        aliases: &["config.file"],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        judge(spec, &ctx.config)
    }
}

/// Judge what discovery and reading found.
pub fn judge(spec: &Spec, src: &ConfigSource) -> Evaluation {
    let path = src.display_path();
    let origin = src
        .origin
        .map_or(String::new(), |o| format!(" (from {})", o.describe()));
    let finding = match &src.read {
        ReadOutcome::NotFound => {
            let remediation = match src.origin {
                Some(Origin::Flag) => format!("create {path} or pass the right path to --config"),
                Some(Origin::Env) => format!("create {path} or fix $AUTOGLM_CONFIG"),
                _ => "create /etc/open-autoglm/config.yaml (or ./open-autoglm.yaml), or point $AUTOGLM_CONFIG or --config at the node config".to_string(),
            };
            let message = match src.origin {
                Some(_) => format!("config file {path}{origin} does not exist"),
                None => format!("no node config found; looked at {}", src.tried_phrase()),
            };
            Finding::new(&MISSING, message, remediation)
        }
        ReadOutcome::NotAFile { what } => Finding::new(
            &NOT_A_FILE,
            format!("config path {path}{origin} is {what}, not a file"),
            format!("point --config or $AUTOGLM_CONFIG at the YAML file, not {path}"),
        ),
        ReadOutcome::Unreadable { error } => Finding::new(
            &UNREADABLE,
            format!("cannot read config {path}{origin}: {error}"),
            format!(
                "make {path} readable by the user running the service and the doctor (e.g. chmod 640 {path})"
            ),
        ),
        ReadOutcome::TooLarge { size } => too_large(&path, *size, spec.max_bytes),
        ReadOutcome::NotUtf8 { pos } => Finding::new(
            &NOT_UTF8,
            format!("config {path} is not valid UTF-8 (first bad byte at {pos})"),
            format!("re-save {path} as UTF-8, e.g. iconv -f GBK -t UTF-8"),
        )
        .at(src.location(*pos)),
        ReadOutcome::Read { size, .. } if *size > spec.max_bytes => {
            too_large(&path, *size, spec.max_bytes)
        }
        ReadOutcome::Read { size, .. } => {
            Finding::pass(format!("read {path}{origin}, {size} bytes")).with("size_bytes", *size)
        }
    };
    let finding = if src.path.is_some() {
        finding.with("path", path)
    } else {
        finding
    };
    let mut eval = Evaluation::single(finding);
    if let Some(origin) = src.origin {
        eval.evidence
            .insert("found_via".into(), origin.describe().into());
    }
    eval.evidence
        .insert("looked_at".into(), src.tried_phrase().into());
    eval
}

fn too_large(path: &str, size: u64, max: u64) -> Finding {
    Finding::new(&TOO_LARGE, format!("config {path} is {size} bytes, over the {max}-byte limit"),
        format!("check that {path} is the node config; raise `max_bytes` in the suite only if it really is that large"),
    )
    .with("size_bytes", size)
    .with("max_bytes", max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Pos;

    fn src(read: ReadOutcome) -> ConfigSource {
        let mut s = ConfigSource::from_text("/etc/x.yaml", "");
        s.read = read;
        s
    }

    #[test]
    fn judges_each_outcome_with_its_code() {
        let spec = Spec { max_bytes: 10 };
        let cases = [
            (ReadOutcome::NotFound, Some("config-file.missing")),
            (
                ReadOutcome::NotAFile {
                    what: "a directory".into(),
                },
                Some("config-file.not-a-file"),
            ),
            (
                ReadOutcome::Unreadable {
                    error: "Permission denied".into(),
                },
                Some("config-file.unreadable"),
            ),
            (
                ReadOutcome::TooLarge { size: 99 },
                Some("config-file.too-large"),
            ),
            (
                ReadOutcome::NotUtf8 {
                    pos: Pos { line: 1, column: 2 },
                },
                Some("config-file.not-utf8"),
            ),
            (
                ReadOutcome::Read {
                    text: "a: 1\n".repeat(5),
                    size: 25,
                },
                Some("config-file.too-large"),
            ),
            (
                ReadOutcome::Read {
                    text: "a: 1\n".into(),
                    size: 5,
                },
                None,
            ),
        ];
        for (read, code) in cases {
            let e = judge(&spec, &src(read));
            let f = e.worst().unwrap();
            assert_eq!(f.code_name(), code, "{}", f.message);
            if code.is_some() {
                assert_eq!(f.status, Status::Fail);
                assert!(f.remediation.as_deref().is_some_and(|r| !r.is_empty()));
            }
        }
    }
}
