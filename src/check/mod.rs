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
use crate::report::{Code, Evaluation};
use crate::settings::Profile;

pub mod api_version;
pub mod auth_params;
pub mod auth_token;
pub mod checkpoint;
pub mod checkpoint_store;
pub mod clock_http;
pub mod clock_sync;
pub mod config_credentials;
pub mod config_file;
pub mod config_lint;
pub mod config_schema;
pub mod config_syntax;
pub mod dns;
pub mod endpoint;
pub mod exec;
pub mod grpc_health;
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

/// A kind's code for a condition of the HTTP seam (`probe::http::Condition`), with the
/// condition's status and words: `pub const TLS_FAILED: Code = seam_code!("http.tls-failed", TlsFailed);`.
macro_rules! seam_code {
    ($name:literal, $condition:ident) => {
        $crate::report::Code::new(
            $name,
            $crate::probe::http::Condition::$condition.status(),
            $crate::probe::http::Condition::$condition.summary(),
            $crate::probe::http::Condition::$condition.remediation(),
        )
    };
}
pub(crate) use seam_code;

/// The table from the HTTP seam's conditions to a kind's codes, `CODES`, over the constants
/// every HTTP kind declares with [`seam_code!`] (and `NOT_PROBED` from its generated codes).
macro_rules! seam_codes {
    () => {
        /// This kind's code for each condition of the HTTP seam.
        fn code(c: Condition) -> &'static Code {
            match c {
                Condition::CaUnreadable => &CA_UNREADABLE,
                Condition::NotProbed => &NOT_PROBED,
                Condition::BadUrl => &BAD_URL,
                Condition::Unresolved => &UNRESOLVED,
                Condition::ConnectionFailed => &CONNECTION_FAILED,
                Condition::TlsFailed => &TLS_FAILED,
                Condition::NoResponse => &NO_RESPONSE,
                Condition::NotHttp => &NOT_HTTP,
                Condition::ProxyUnreachable => &PROXY_UNREACHABLE,
                Condition::ProxyRefused => &PROXY_REFUSED,
                Condition::ProxyAuthRequired => &PROXY_AUTH_REQUIRED,
                Condition::ProxyAuthRejected => &PROXY_AUTH_REJECTED,
                Condition::ProxyUpstream => &PROXY_UPSTREAM,
            }
        }

        const CODES: Codes = code;
    };
}
pub(crate) use seam_codes;

/// A kind's codes for the proxy conditions of the HTTP seam, `<kind>.proxy-unreachable`
/// and the rest, for kinds whose traffic follows the service's proxy variables.
macro_rules! seam_proxy_codes {
    ($kind:literal) => {
        pub const PROXY_UNREACHABLE: $crate::report::Code =
            $crate::check::proxy_code!(concat!($kind, ".proxy-unreachable"), ProxyUnreachable);
        pub const PROXY_REFUSED: $crate::report::Code =
            $crate::check::proxy_code!(concat!($kind, ".proxy-refused"), ProxyRefused);
        pub const PROXY_AUTH_REQUIRED: $crate::report::Code =
            $crate::check::proxy_code!(concat!($kind, ".proxy-auth-required"), ProxyAuthRequired);
        pub const PROXY_AUTH_REJECTED: $crate::report::Code =
            $crate::check::proxy_code!(concat!($kind, ".proxy-auth-rejected"), ProxyAuthRejected);
        pub const PROXY_UPSTREAM: $crate::report::Code =
            $crate::check::proxy_code!(concat!($kind, ".proxy-upstream-failed"), ProxyUpstream);
    };
}
pub(crate) use seam_proxy_codes;

/// One code of [`seam_proxy_codes!`].
macro_rules! proxy_code {
    ($name:expr, $condition:ident) => {
        $crate::report::Code::new(
            $name,
            $crate::probe::http::Condition::$condition.status(),
            $crate::probe::http::Condition::$condition.summary(),
            $crate::probe::http::Condition::$condition.remediation(),
        )
    };
}
pub(crate) use proxy_code;

/// Static description of a kind.
// Independent yes/no facts about a kind, read one at a time; not a state machine.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug)]
pub struct KindInfo {
    /// The kind's name: kebab-case, the prefix of every code it reports.
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
    /// The codes the kind itself reports (the constants declared in its module).
    pub codes: &'static [Code],
    /// The codes the planner and scheduler report for a check of this kind.
    pub generated: Generated,
    /// Names the kind had before; suites may still use them.
    pub aliases: &'static [&'static str],
    /// Kinds a check of this kind waits for when the suite has them, without `needs:`.
    pub implicit_needs: &'static [&'static str],
    /// Whether every check that reads the node config waits for the checks of this kind
    /// (the check that parses the config).
    pub gates_config: bool,
    /// Whether the kind compares with the master's config (`--master-config`).
    pub uses_master_config: bool,
    /// Node config values published as report facts for the fleet view: (fact, JSON
    /// pointer into the config).
    pub config_facts: &'static [(&'static str, &'static str)],
}

impl KindInfo {
    /// Every code of the kind: its own, then the generated ones.
    pub fn all_codes(&self) -> impl Iterator<Item = &Code> {
        self.codes.iter().chain(self.generated.all())
    }
}

/// The codes every kind has, reported by the planner and the scheduler (and by a kind for
/// a target it does not probe): `<kind>.timeout`, `<kind>.blocked`, ...
#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub timeout: Code,
    pub blocked: Code,
    pub not_probed: Code,
    pub unresolved: Code,
    pub interrupted: Code,
    pub internal: Code,
}

impl Generated {
    pub fn all(&self) -> [&Code; 6] {
        [
            &self.timeout,
            &self.blocked,
            &self.not_probed,
            &self.unresolved,
            &self.interrupted,
            &self.internal,
        ]
    }
}

/// Declares a kind's generated codes (`TIMEOUT`, `BLOCKED`, `NOT_PROBED`, `UNRESOLVED_REFERENCE`,
/// `INTERRUPTED`, `INTERNAL`) and `GENERATED`, named `<kind>.<condition>`.
macro_rules! generated_codes {
    ($kind:literal) => {
        /// The check did not finish within its timeout or the run's --deadline.
        pub const TIMEOUT: $crate::report::Code = $crate::report::Code::new(
            concat!($kind, ".timeout"),
            $crate::report::Status::Fail,
            "The check did not finish within its timeout or the run's --deadline.",
            "Find what the check waits on (a hung peer, a slow disk); raise the check's `timeout:` in the suite or --timeout only if the wait is expected.",
        );
        /// Not run because a check it needs failed or was skipped.
        pub const BLOCKED: $crate::report::Code = $crate::report::Code::new(
            concat!($kind, ".blocked"),
            $crate::report::Status::Skip,
            "Not run because a check it needs failed or was skipped.",
            "Fix the check named in `blocked_by` (the root cause) and run the doctor again.",
        );
        /// Not probed: --offline, or the loopback guard.
        pub const NOT_PROBED: $crate::report::Code = $crate::report::Code::new(
            concat!($kind, ".not-probed"),
            $crate::report::Status::Skip,
            "Not probed: --offline was given and the check needs the network, or AUTOGLM_DOCTOR_LOOPBACK_ONLY confines probes to loopback and the target is elsewhere.",
            "Run without --offline and without AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe the target.",
        );
        /// A reference in the check's parameters does not resolve.
        pub const UNRESOLVED_REFERENCE: $crate::report::Code = $crate::report::Code::new(
            concat!($kind, ".unresolved-reference"),
            $crate::report::Status::Skip,
            "A `${config.…}` reference in the check's parameters names a value the node config does not set.",
            "Set the value in the node config, or remove or change the check in the suite.",
        );
        /// The run was interrupted or reached its deadline first.
        pub const INTERRUPTED: $crate::report::Code = $crate::report::Code::new(
            concat!($kind, ".interrupted"),
            $crate::report::Status::Skip,
            "Not run to completion: the run was interrupted (Ctrl-C) or reached --deadline before it started.",
            "Run the doctor again, with a longer --deadline if the deadline was reached.",
        );
        /// The check itself crashed.
        pub const INTERNAL: $crate::report::Code = $crate::report::Code::new(
            concat!($kind, ".internal"),
            $crate::report::Status::Fail,
            "The check itself crashed; this is a bug in the doctor, not a problem of the node.",
            "Report the bug with the JSON report attached; run the other checks with --skip ID meanwhile.",
        );
        /// The generated codes, for the kind's `INFO`.
        pub const GENERATED: $crate::check::Generated = $crate::check::Generated {
            timeout: TIMEOUT,
            blocked: BLOCKED,
            not_probed: NOT_PROBED,
            unresolved: UNRESOLVED_REFERENCE,
            interrupted: INTERRUPTED,
            internal: INTERNAL,
        };
    };
}
pub(crate) use generated_codes;

/// Names of the generated codes before they were per kind (`doctor.blocked` is now
/// `<kind>.blocked`).
pub static GENERATED_RENAMES: &[(&str, &str)] = &[
    ("doctor.blocked", "blocked"),
    ("doctor.offline", "not-probed"),
    ("doctor.unresolved", "unresolved-reference"),
    ("doctor.interrupted", "interrupted"),
    ("doctor.internal", "internal"),
];

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
    /// The environment the run started with (`${env.NAME}`, proxies, `TZ`): checks read
    /// variables here, never from the process.
    pub env: Arc<crate::probe::env::Env>,
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
    GrpcHealth => grpc_health,
    Tls => tls,
    Http => http,
    Proxy => proxy,
    Icmp => icmp,
    ApiVersion => api_version,
    AuthParams => auth_params,
    AuthToken => auth_token,
    Checkpoint => checkpoint,
    CheckpointStore => checkpoint_store,
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

/// Typed suite parameters: each is checked when the plan is made, so a bad value is a suite
/// error at its `file:line:col` (exit status 2), never a finding about the master.
pub mod param {
    use std::net::{IpAddr, SocketAddr};
    use std::time::Duration;

    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};

    fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(s),
            v @ serde_json::Value::Number(_) => Ok(v.to_string()),
            other => Err(D::Error::custom(format!(
                "expected a string, found {other}"
            ))),
        }
    }

    /// A TCP or UDP port, 1-65535 (a number, or text holding one).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Port(pub u16);

    impl Port {
        fn parse(s: &str) -> Result<Self, String> {
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .map(Self)
                .ok_or_else(|| format!("invalid port `{s}`: expected a number 1-65535"))
        }
    }

    impl<'de> Deserialize<'de> for Port {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Self::parse(&text(d)?).map_err(D::Error::custom)
        }
    }

    /// An optional port where an empty value (a reference with an empty default) means none.
    pub fn optional_port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Port>, D::Error> {
        let s = text(d)?;
        if s.trim().is_empty() {
            return Ok(None);
        }
        Port::parse(&s).map(Some).map_err(D::Error::custom)
    }

    /// A list that must hold at least one item (a command, say).
    pub fn non_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let items = Vec::<T>::deserialize(d)?;
        if items.is_empty() {
            return Err(D::Error::custom("must not be empty"));
        }
        Ok(items)
    }

    /// An IP address (IPv6 with or without brackets).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct IpAddress(pub IpAddr);

    impl<'de> Deserialize<'de> for IpAddress {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = text(d)?;
            s.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map(Self)
                .map_err(|_| D::Error::custom(format!("invalid IP address `{s}`")))
        }
    }

    /// A nameserver: `ip` or `ip:port` (port 53 when left out).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Nameserver(pub SocketAddr);

    impl<'de> Deserialize<'de> for Nameserver {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = text(d)?;
            crate::probe::dns::parse_server(&s)
                .map(Self)
                .ok_or_else(|| {
                    D::Error::custom(format!(
                        "nameserver `{s}` is not an address (write ip or ip:port)"
                    ))
                })
        }
    }

    /// A duration written like `500ms`, `3s`, `1m`, `14d`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Span(pub Duration);

    impl<'de> Deserialize<'de> for Span {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = text(d)?;
            crate::duration::parse(&s)
                .map(Self)
                .map_err(|e| D::Error::custom(e.to_string()))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn de<T: for<'a> Deserialize<'a>>(v: serde_json::Value) -> Result<T, String> {
            serde_json::from_value(v).map_err(|e| e.to_string())
        }

        #[derive(Debug, Deserialize)]
        struct List {
            #[serde(deserialize_with = "non_empty")]
            #[allow(dead_code)]
            items: Vec<u8>,
        }

        #[test]
        fn typed_parameters_accept_good_values_and_name_bad_ones() {
            assert_eq!(de::<Port>(serde_json::json!(8443)), Ok(Port(8443)));
            assert_eq!(de::<Port>(serde_json::json!(" 9090 ")), Ok(Port(9090)));
            for bad in [
                serde_json::json!(0),
                serde_json::json!("http"),
                serde_json::json!(70000),
            ] {
                assert!(
                    de::<Port>(bad.clone())
                        .unwrap_err()
                        .contains("invalid port"),
                    "{bad}"
                );
            }
            assert_eq!(
                de::<IpAddress>(serde_json::json!("[::1]")),
                Ok(IpAddress("::1".parse().unwrap()))
            );
            assert!(de::<IpAddress>(serde_json::json!("master")).is_err());
            assert!(
                de::<List>(serde_json::json!({"items": []}))
                    .unwrap_err()
                    .contains("must not be empty")
            );
            assert!(de::<List>(serde_json::json!({"items": [1]})).is_ok());
            assert_eq!(
                de::<Nameserver>(serde_json::json!("127.0.0.1")),
                Ok(Nameserver("127.0.0.1:53".parse().unwrap()))
            );
            assert!(de::<Nameserver>(serde_json::json!("ns1.example")).is_err());
            assert_eq!(
                de::<Span>(serde_json::json!("14d")),
                Ok(Span(Duration::from_secs(14 * 86_400)))
            );
            assert!(
                de::<Span>(serde_json::json!("soon"))
                    .unwrap_err()
                    .contains("invalid duration `soon`")
            );
        }
    }
}

/// A check that cannot run because what it depends on (usually the config checks) did not
/// pass: a skip with the kind's `blocked` code and cause `dependency`.
pub fn blocked(
    code: &'static Code,
    message: impl Into<String>,
    fix: impl Into<String>,
) -> Evaluation {
    let mut eval = Evaluation::single(crate::report::Finding::new(code, message, fix));
    eval.cause = Some(crate::report::Cause::Dependency);
    eval.skipped = Some(crate::report::SkipReason::Blocked);
    eval
}

/// Run CPU-bound or filesystem work on the blocking pool; a panic there becomes a failure
/// with the kind's `internal` code and cause `internal` instead of a dead run.
pub async fn on_blocking_pool<F>(internal: &'static Code, what: &str, f: F) -> Evaluation
where
    F: FnOnce() -> Evaluation + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(eval) => eval,
        Err(e) => {
            let mut eval = Evaluation::single(crate::report::Finding::new(
                internal,
                format!("{what} crashed: {e}"),
                "report the bug with the config attached (remove secrets first)",
            ));
            eval.cause = Some(crate::report::Cause::Internal);
            eval
        }
    }
}

/// Look up a kind by name, or by a name it had before.
pub fn kind_info(name: &str) -> Option<&'static KindInfo> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.name == name || k.aliases.contains(&name))
}

/// A code with its documentation and the names it had before.
#[derive(Debug, Clone)]
pub struct CodeDoc {
    pub code: &'static Code,
    pub aliases: Vec<String>,
    pub kind: &'static KindInfo,
}

/// Every code the doctor can report, kind by kind (each kind's own codes, then its
/// generated ones).
pub fn all_codes() -> Vec<CodeDoc> {
    let mut out = Vec::new();
    for &kind in KINDS {
        for code in kind.all_codes() {
            let mut aliases: Vec<String> = code.aliases.iter().map(ToString::to_string).collect();
            // Generated codes were named after the kind (`config-file.timeout`) before.
            if code.name == kind.generated.timeout.name {
                aliases.extend(kind.aliases.iter().map(|a| format!("{a}.timeout")));
            }
            out.push(CodeDoc {
                code,
                aliases,
                kind,
            });
        }
    }
    out
}

/// What `explain` found for a code name.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// A code, found by its name or by a name it had before.
    Code {
        doc: CodeDoc,
        renamed_from: Option<String>,
    },
    /// A name of a code every kind now has under its own name (`doctor.blocked` is
    /// `<kind>.blocked`).
    Generated {
        old: &'static str,
        condition: &'static str,
        example: CodeDoc,
    },
}

/// Find a code by its name or a name it had before.
pub fn resolve_code(name: &str) -> Option<Resolved> {
    let codes = all_codes();
    if let Some(doc) = codes.iter().find(|c| c.code.name == name) {
        return Some(Resolved::Code {
            doc: doc.clone(),
            renamed_from: None,
        });
    }
    if let Some(doc) = codes.iter().find(|c| c.aliases.iter().any(|a| a == name)) {
        return Some(Resolved::Code {
            doc: doc.clone(),
            renamed_from: Some(name.to_string()),
        });
    }
    let &(old, condition) = GENERATED_RENAMES.iter().find(|(old, _)| *old == name)?;
    let example = codes
        .into_iter()
        .find(|c| c.code.condition() == condition)?;
    Some(Resolved::Generated {
        old,
        condition,
        example,
    })
}

fn code_row(s: &mut String, code: &Code, name: &str, aliases: &[String]) {
    use std::fmt::Write;
    let was = if aliases.is_empty() {
        String::new()
    } else {
        format!(
            " (was {})",
            aliases
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let _ = writeln!(
        s,
        "| `{name}`{was} | {} | {} | {} |",
        code.status.as_str(),
        code.summary.replace('|', "\\|"),
        code.remediation.replace('|', "\\|")
    );
}

/// `docs/kinds.md`, generated from the registry (a test keeps the checked-in copy fresh):
/// what `explain KIND` prints, for every kind, so the long form is never restated by hand.
pub fn kinds_markdown() -> String {
    use std::fmt::Write;
    let mut s = String::from(
        "# Check kinds\n\n<!-- Generated from the check registry; `AUTOGLM_BLESS=1 cargo test freshness` rewrites it. -->\n\nWhat `autoglm-doctor explain KIND` prints, for every kind: what it checks, why it\nmatters and how to fix what it finds. The codes each kind reports are in\n[codes.md](codes.md); suites and each kind's parameters in [suites.md](suites.md).\n",
    );
    for &kind in KINDS {
        let _ = write!(
            s,
            "\n## `{}`\n\n{}\n\nCategory {}, default timeout {}, {}.\n\n",
            kind.name,
            kind.summary,
            kind.category,
            crate::duration::format(kind.default_timeout),
            if kind.network {
                "uses the network (not run under `--offline`)"
            } else {
                "needs no network"
            }
        );
        for paragraph in kind.explain.split("\n\n") {
            let text = paragraph
                .replacen("What it checks: ", "**What it checks.** ", 1)
                .replacen("Why it matters: ", "**Why it matters.** ", 1)
                .replacen("How to fix: ", "**How to fix.** ", 1);
            let _ = write!(s, "{text}\n\n");
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
    }
    s
}

/// `docs/codes.md`, generated from the registry (a test keeps the checked-in copy fresh).
pub fn codes_markdown() -> String {
    use std::fmt::Write;
    let mut s = String::from(
        "# Codes\n\n<!-- Generated from the check registry; `AUTOGLM_BLESS=1 cargo test freshness` rewrites it. -->\n\nEvery non-pass result carries a stable code. Codes are a public contract: a code is never\nrenamed without keeping its old name as an alias that `autoglm-doctor explain` resolves,\nand a line in CHANGELOG.md. `autoglm-doctor explain CODE` prints the long form with the\nkind's explanation; `explain --format json CODE` prints it as JSON.\n\n## Naming rule\n\n- A **kind** name is one kebab-case ASCII token: lower-case letters, digits and single\n  hyphens (`config-file`, `dns`, `api-version`).\n- A **code** is `<kind>.<condition>`: `<kind>` is exactly the name of the kind that\n  reports it, `<condition>` is kebab-case (`tcp.refused`, `config-file.missing`). The codes\n  the planner and scheduler report for any check follow the same rule\n  (`tls.timeout`, `dns.blocked`).\n- A **check id** (in a suite) is `<category>.<name>` with a kebab-case name\n  (`config.file`, `tcp.master-grpc`, `time.master`).\n- A condition with one meaning has one name in every kind: `ca-unreadable` (the CA bundle\n  cannot be read), `not-probed` (not sent: `--offline` or the loopback guard; always a\n  skip), `bad-url`, `connection-failed` (no TCP connection), `no-response` (connected, no\n  complete answer), `timeout`; the proxy's failures are `proxy-unreachable`,\n  `proxy-refused`, `proxy-auth-required`, `proxy-auth-rejected`, `proxy-upstream-failed` in\n  every kind that goes through the service's proxy, and the `proxy` kind reports them\n  without the prefix (`proxy.unreachable`).\n\nA test over the registry enforces the rule.\n",
    );
    for &kind in KINDS {
        let was = if kind.aliases.is_empty() {
            String::new()
        } else {
            format!(
                " (was {})",
                kind.aliases
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = write!(
            s,
            "\n## `{}`{was} ({})\n\n{}\n\n| code | status | meaning | how to fix |\n|---|---|---|---|\n",
            kind.name, kind.category, kind.summary
        );
        for c in all_codes().iter().filter(|c| c.kind.name == kind.name) {
            if kind.generated.all().iter().any(|g| g.name == c.code.name) && c.aliases.is_empty() {
                continue;
            }
            code_row(&mut s, c.code, c.code.name, &c.aliases);
        }
        let _ = writeln!(
            s,
            "\nand the codes of every kind: `{0}.timeout` (default timeout {1}), `{0}.blocked`, `{0}.not-probed`, `{0}.unresolved-reference`, `{0}.interrupted`, `{0}.internal`.",
            kind.name,
            crate::duration::format(kind.default_timeout)
        );
    }
    s.push_str(
        "\n## Codes of every kind\n\nReported by the planner and the scheduler for a check of any kind (and by a kind for a\ntarget it does not probe), under the kind's name.\n\n| code | status | meaning | how to fix |\n|---|---|---|---|\n",
    );
    if let Some(first) = KINDS.first() {
        for g in first.generated.all() {
            let old: Vec<String> = GENERATED_RENAMES
                .iter()
                .filter(|(_, c)| *c == g.condition())
                .map(|(o, _)| (*o).to_string())
                .collect();
            code_row(&mut s, g, &format!("<kind>.{}", g.condition()), &old);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `explain` speaks for the product to someone who has never seen its design notes:
    /// English only, no citations of documents the user has not got, and each kind says
    /// plainly why its check matters.
    #[test]
    fn explain_texts_are_in_the_products_own_words() {
        let cjk = |t: &str| {
            t.chars().any(|c| {
                ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
            })
        };
        for kind in KINDS {
            let mut texts = vec![kind.summary, kind.explain];
            for code in kind.all_codes() {
                texts.push(code.summary);
                texts.push(code.remediation);
            }
            for text in texts {
                assert!(
                    !text.to_lowercase().contains("seed"),
                    "{}: {text}",
                    kind.name
                );
                assert!(!cjk(text), "{}: not English: {text}", kind.name);
            }
            for section in ["What it checks: ", "Why it matters: ", "How to fix: "] {
                assert!(
                    kind.explain.contains(section),
                    "{}: no `{section}` section",
                    kind.name
                );
            }
        }
    }
    use std::collections::HashSet;

    fn is_kebab(s: &str) -> bool {
        !s.is_empty()
            && s.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
            && s.as_bytes()[0].is_ascii_lowercase()
    }

    #[test]
    fn kinds_and_codes_follow_the_naming_rule() {
        let mut kinds = HashSet::new();
        for k in KINDS {
            assert!(
                is_kebab(k.name),
                "kind {} is not one kebab-case token",
                k.name
            );
            assert!(
                is_kebab(k.category),
                "category {} is not kebab-case",
                k.category
            );
            assert!(kinds.insert(k.name), "duplicate kind {}", k.name);
            for a in k.aliases {
                assert!(kinds.insert(a), "kind alias {a} names another kind");
            }
            assert!(!k.explain.is_empty() && !k.summary.is_empty());
            for c in k.all_codes() {
                let (kind, condition) = c.name.split_once('.').unwrap();
                assert_eq!(
                    kind, k.name,
                    "code {} is not under its kind {}",
                    c.name, k.name
                );
                assert!(
                    is_kebab(condition),
                    "condition of {} is not kebab-case",
                    c.name
                );
                assert!(!c.summary.is_empty(), "{} lacks a summary", c.name);
                assert!(!c.remediation.is_empty(), "{} lacks remediation", c.name);
            }
        }
        let mut names = HashSet::new();
        for c in all_codes() {
            assert!(
                names.insert(c.code.name.to_string()),
                "duplicate code {}",
                c.code.name
            );
        }
        for c in all_codes() {
            for a in &c.aliases {
                assert!(
                    !names.contains(a),
                    "alias {a} of {} is a current code",
                    c.code.name
                );
                assert!(names.insert(a.clone()), "alias {a} used twice");
            }
        }
    }

    #[test]
    fn one_meaning_has_one_condition_name() {
        // Spellings that were used for these meanings before and must not come back
        // (`connection-failed` and `not-probed` are the names now).
        let retired = ["connect-failed", "offline"];
        for c in all_codes() {
            assert!(
                !retired.contains(&c.code.condition()),
                "{} uses a retired spelling",
                c.code.name
            );
            if c.code.condition() == "not-probed" {
                assert_eq!(
                    c.code.status,
                    crate::report::Status::Skip,
                    "{} must be a skip",
                    c.code.name
                );
            }
            // Every kind that reads a CA bundle reports it under one condition name.
            if c.code.summary.contains("CA bundle cannot be read") {
                assert_eq!(c.code.condition(), "ca-unreadable", "{}", c.code.name);
            }
        }
        // The kinds that load a CA bundle each have the code.
        for kind in ["tls", "http", "api-version", "clock-http", "auth-params"] {
            let k = kind_info(kind).unwrap();
            assert!(
                k.codes.iter().any(|c| c.condition() == "ca-unreadable"),
                "{kind} lacks {kind}.ca-unreadable"
            );
        }
    }

    #[test]
    fn check_ids_of_the_shipped_suites_follow_the_naming_rule() {
        for (name, file, text) in crate::suite::EMBEDDED {
            let suite = crate::suite::parse(name, file, text).unwrap();
            for e in &suite.entries {
                let (category, rest) = e.id.split_once('.').unwrap_or(("", ""));
                assert!(
                    is_kebab(category) && is_kebab(rest),
                    "check id {} in {name} is not <category>.<kebab-name>",
                    e.id
                );
                let kind = kind_info(&e.kind).unwrap();
                assert_eq!(
                    kind.name, e.kind,
                    "{name} uses the old kind name {}",
                    e.kind
                );
            }
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
