//! Check kinds: the trait every kind implements and the one registry that lists them.
//!
//! A kind is one module in this folder holding its parameter `Spec`, its static
//! [`KindInfo`] (summary, long explanation, codes), `run` (gather facts) and a pure `judge`.
//! Registering a kind is one line in the `kinds!` invocation below; the macro builds a
//! closed enum, so `list`, `explain`, the docs test and the scheduler cannot miss a kind.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::config::ConfigSource;
use crate::report::{Evaluation, Status};
use crate::settings::Profile;

pub mod api_version;
pub mod auth_params;
pub mod auth_token;
pub mod checkpoint;
pub mod clock_http;
pub mod clock_sync;
pub mod config_credentials;
pub mod config_file;
pub mod config_lint;
pub mod config_schema;
pub mod config_syntax;
pub mod dns;
pub mod exec;
pub mod http;
pub mod icmp;
pub mod log_scan;
pub mod ntp;
pub mod proxy;
pub mod replication;
pub mod sync_semantics;
pub mod tcp;
pub mod timezone;
pub mod tls;

/// One stable code a kind may report.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub code: &'static str,
    /// The status this code is normally reported with.
    pub status: Status,
    pub summary: &'static str,
    pub remediation: &'static str,
}

/// Static description of a kind.
#[derive(Debug)]
pub struct KindInfo {
    pub name: &'static str,
    pub category: &'static str,
    pub summary: &'static str,
    /// Long form for `explain`: what it checks, why it matters, how to fix.
    pub explain: &'static str,
    pub default_timeout: Duration,
    /// Whether the kind talks to the network (not run under `--offline`).
    pub network: bool,
    /// Whether the kind reads the node config (implicitly needs the config syntax check).
    pub reads_config: bool,
    pub codes: &'static [CodeInfo],
}

/// What every check gets when it runs.
#[derive(Debug, Clone)]
pub struct Context {
    pub config: Arc<ConfigSource>,
    pub profile: Profile,
    /// The time budget of this check (the scheduler enforces it; kinds derive inner timeouts).
    pub timeout: Duration,
    /// Facts published by the checks that finished before this one started (all its needs
    /// among them), e.g. the clock offset measured by a time check.
    pub facts: Arc<crate::report::Facts>,
    /// The run's `--concurrency`, for checks that fan out (many ports × addresses).
    pub concurrency: usize,
    /// A copy of the master's config (`--master-config`), for checks that compare with it.
    pub master_config: Option<Arc<ConfigSource>>,
    /// `--offline`: checks that run offline but could also ask the master must not.
    pub offline: bool,
}

/// A check kind.
pub trait CheckKind {
    /// Parameters from the suite entry's `with:` (deny unknown fields).
    type Spec: DeserializeOwned + Send + Sync + std::fmt::Debug + 'static;
    const INFO: KindInfo;
    /// Whether this configured check needs the network (skipped under `--offline`).
    fn network(_spec: &Self::Spec) -> bool {
        Self::INFO.network
    }
    /// Gather facts and judge them. Never fails: problems are findings.
    fn run(spec: &Self::Spec, ctx: &Context) -> impl Future<Output = Evaluation> + Send;
}

/// Codes every check can carry whatever its kind (dependency skips, interruptions, ...).
pub static DOCTOR_CODES: &[CodeInfo] = &[
    CodeInfo {
        code: "doctor.blocked",
        status: Status::Skip,
        summary: "Not run because a check it needs failed or was skipped.",
        remediation: "Fix the check named in `blocked_by` (the root cause) and run the doctor again.",
    },
    CodeInfo {
        code: "doctor.offline",
        status: Status::Skip,
        summary: "Not run because --offline was given and the check needs the network.",
        remediation: "Run without --offline to include network checks.",
    },
    CodeInfo {
        code: "doctor.interrupted",
        status: Status::Skip,
        summary: "Not run to completion: the run was interrupted (Ctrl-C) or reached --deadline before it started.",
        remediation: "Run the doctor again, with a longer --deadline if the deadline was reached.",
    },
    CodeInfo {
        code: "doctor.unresolved",
        status: Status::Skip,
        summary: "A `${config.…}` reference in the check's parameters names a value the node config does not set.",
        remediation: "Set the value in the node config, or remove or change the check in the suite.",
    },
    CodeInfo {
        code: "doctor.internal",
        status: Status::Fail,
        summary: "The check itself crashed; this is a bug in the doctor, not a problem of the node.",
        remediation: "Report the bug with the JSON report attached; run the other checks with --skip ID meanwhile.",
    },
];

macro_rules! kinds {
    ($($variant:ident => $module:ident,)*) => {
        /// A check kind's spec, ready to run.
        #[derive(Debug)]
        pub enum Prepared {
            $($variant(<$module::Kind as CheckKind>::Spec),)*
        }

        /// Every registered kind, in `list` order.
        pub static KINDS: &[&KindInfo] = &[$(&<$module::Kind as CheckKind>::INFO,)*];

        impl Prepared {
            /// Deserialize a suite entry's `with:` for `kind`.
            pub fn from_json(
                kind: &str,
                with: serde_json::Value,
            ) -> Option<Result<Self, serde_path_to_error::Error<serde_json::Error>>> {
                $(
                    if kind == <$module::Kind as CheckKind>::INFO.name {
                        return Some(serde_path_to_error::deserialize(with).map(Self::$variant));
                    }
                )*
                None
            }

            pub fn network(&self) -> bool {
                match self {
                    $(Self::$variant(spec) => <$module::Kind as CheckKind>::network(spec),)*
                }
            }

            pub fn info(&self) -> &'static KindInfo {
                match self {
                    $(Self::$variant(_) => &<$module::Kind as CheckKind>::INFO,)*
                }
            }

            pub async fn run(&self, ctx: &Context) -> Evaluation {
                match self {
                    $(Self::$variant(spec) => <$module::Kind as CheckKind>::run(spec, ctx).await,)*
                }
            }
        }
    };
}

kinds! {
    ConfigFile => config_file,
    ConfigSyntax => config_syntax,
    ConfigLint => config_lint,
    ConfigSchema => config_schema,
    ConfigCredentials => config_credentials,
    Exec => exec,
    Dns => dns,
    Tcp => tcp,
    Tls => tls,
    Http => http,
    Proxy => proxy,
    Icmp => icmp,
    ApiVersion => api_version,
    AuthParams => auth_params,
    AuthToken => auth_token,
    Checkpoint => checkpoint,
    Replication => replication,
    SyncSemantics => sync_semantics,
    LogScan => log_scan,
    Ntp => ntp,
    ClockHttp => clock_http,
    ClockSync => clock_sync,
    Timezone => timezone,
}

/// A suite parameter that is text but may be written (or substituted from the config) as a
/// number or boolean, e.g. a port passed as a program argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Self(s)),
            v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => {
                Ok(Self(v.to_string()))
            }
            other => Err(serde::de::Error::custom(format!(
                "expected a string, found {other}"
            ))),
        }
    }
}

/// A check that cannot run because what it depends on (usually the config checks) did not
/// pass: a skip with code `doctor.blocked` and cause `dependency`.
pub fn blocked(message: impl Into<String>, fix: impl Into<String>) -> Evaluation {
    let mut eval = Evaluation::single(crate::report::Finding::new(
        Status::Skip,
        "doctor.blocked",
        message,
        fix,
    ));
    eval.cause = Some(crate::report::Cause::Dependency);
    eval
}

/// Run CPU-bound or filesystem work on the blocking pool; a panic there becomes a failure
/// with cause `internal` instead of a dead run.
pub async fn on_blocking_pool<F>(what: &str, f: F) -> Evaluation
where
    F: FnOnce() -> Evaluation + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(eval) => eval,
        Err(e) => {
            let mut eval = Evaluation::single(crate::report::Finding::fail(
                "doctor.internal",
                format!("{what} crashed: {e}"),
                "report the bug with the config attached (remove secrets first)",
            ));
            eval.cause = Some(crate::report::Cause::Internal);
            eval
        }
    }
}

/// Look up a kind by name.
pub fn kind_info(name: &str) -> Option<&'static KindInfo> {
    KINDS.iter().copied().find(|k| k.name == name)
}

/// The timeout code of a kind (`<kind>.timeout`).
pub fn timeout_code(kind: &str) -> String {
    format!("{kind}.timeout")
}

/// A code with its documentation, wherever it is defined.
#[derive(Debug, Clone)]
pub struct CodeDoc {
    pub code: String,
    pub status: Status,
    pub summary: String,
    pub remediation: String,
    pub kind: Option<&'static str>,
}

/// Every code the doctor can report, kinds first (with their generated timeout codes).
pub fn all_codes() -> Vec<CodeDoc> {
    let mut out = Vec::new();
    for kind in KINDS {
        for c in kind.codes {
            out.push(CodeDoc {
                code: c.code.to_string(),
                status: c.status,
                summary: c.summary.to_string(),
                remediation: c.remediation.to_string(),
                kind: Some(kind.name),
            });
        }
        out.push(CodeDoc {
            code: timeout_code(kind.name),
            status: Status::Fail,
            summary: format!(
                "The {} check did not finish within its timeout (default {}) or the run's --deadline.",
                kind.name,
                crate::duration::format(kind.default_timeout)
            ),
            remediation: "Find what the check waits on (a hung peer, a slow disk); raise the check's `timeout:` in the suite or --timeout only if the wait is expected.".to_string(),
            kind: Some(kind.name),
        });
    }
    for c in DOCTOR_CODES {
        out.push(CodeDoc {
            code: c.code.to_string(),
            status: c.status,
            summary: c.summary.to_string(),
            remediation: c.remediation.to_string(),
            kind: None,
        });
    }
    out
}

/// `docs/codes.md`, generated from the registry (a test keeps the checked-in copy fresh).
pub fn codes_markdown() -> String {
    use std::fmt::Write;
    let mut s = String::from(
        "# Codes\n\n<!-- Generated from the check registry; `AUTOGLM_BLESS=1 cargo test freshness` rewrites it. -->\n\nEvery non-pass result carries a stable code. Codes are a public contract: they are not\nrenamed casually. `autoglm-doctor explain CODE` prints the long form with the kind's\nexplanation.\n",
    );
    for kind in KINDS {
        let _ = write!(
            s,
            "\n## `{}` ({})\n\n{}\n\n| code | status | meaning | how to fix |\n|---|---|---|---|\n",
            kind.name, kind.category, kind.summary
        );
        for c in all_codes().iter().filter(|c| c.kind == Some(kind.name)) {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} |",
                c.code,
                c.status.as_str(),
                c.summary.replace('|', "\\|"),
                c.remediation.replace('|', "\\|")
            );
        }
    }
    s.push_str(
        "\n## Codes of any check\n\n| code | status | meaning | how to fix |\n|---|---|---|---|\n",
    );
    for c in all_codes().iter().filter(|c| c.kind.is_none()) {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            c.code,
            c.status.as_str(),
            c.summary.replace('|', "\\|"),
            c.remediation.replace('|', "\\|")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kind_names_and_codes_are_unique_and_namespaced() {
        let mut kinds = HashSet::new();
        for k in KINDS {
            assert!(kinds.insert(k.name), "duplicate kind {}", k.name);
            assert!(!k.explain.is_empty() && !k.summary.is_empty());
            for c in k.codes {
                assert!(
                    c.code.starts_with(&format!("{}.", k.name))
                        || c.code.starts_with(&format!("{}.", k.category)),
                    "code {} is under neither kind {} nor category {}",
                    c.code,
                    k.name,
                    k.category
                );
                assert!(!c.remediation.is_empty(), "{} lacks remediation", c.code);
            }
        }
        let mut codes = HashSet::new();
        for c in all_codes() {
            assert!(codes.insert(c.code.clone()), "duplicate code {}", c.code);
        }
    }

    #[test]
    fn explain_texts_follow_the_what_why_how_shape() {
        for k in KINDS {
            for part in ["What it checks", "Why it matters", "How to fix"] {
                assert!(k.explain.contains(part), "{} explain lacks {part}", k.name);
            }
        }
    }
}
