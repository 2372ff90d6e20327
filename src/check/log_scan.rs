//! `log-scan`: what the Open-AutoGLM logs say went wrong recently .
//!
//! Only the tail of each log is read — at most `max_bytes` from its end, found by seeking —
//! and the scan stops at a time budget, so a 1 GB log costs what a 4 MiB one does. Each
//! line of the recent window is matched against known failure signatures; each signature
//! names the check that explains it (timeouts → tcp, x509 → tls, 426 → api-version), so the
//! report says "37 connection timeouts to master:9090 in the last hour; see the tcp checks".
//! Example lines are redacted ([`crate::secret::redact_text`]) before they are kept.
//! [`crate::probe::logs`] reads the tails, dates the lines and finds the sync rounds; this
//! file knows the signatures and judges what they matched.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};

use super::{CheckKind, Context, KindInfo};
use crate::human;
use crate::probe::logs;
pub use crate::probe::logs::{FileScan, SyncRound, Window, line_time, sync_round, target};
use crate::report::Code;
use crate::report::{Cause, Evaluation, Finding, Status};

/// Where Open-AutoGLM writes its logs.
pub const DEFAULT_DIR: &str = "/var/log/open-autoglm/";
/// Longest example line kept (after redaction).
const MAX_EXAMPLE_CHARS: usize = 200;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Log files, or directories whose `*.log` and `*.log.1` files are read.
    #[serde(default = "default_paths")]
    pub paths: Vec<String>,
    /// How far back counts as recent.
    #[serde(default = "hour", deserialize_with = "crate::duration::deserialize")]
    pub window: Duration,
    /// Most bytes read from the end of each file.
    #[serde(default = "four_mib")]
    pub max_bytes: u64,
    /// Most files read (the most recently modified first).
    #[serde(default = "sixteen")]
    pub max_files: usize,
    /// Judge the window ending at this time (RFC 3339) instead of now, e.g. for logs copied
    /// off a node after an incident.
    #[serde(default, deserialize_with = "rfc3339")]
    pub as_of: Option<DateTime<Utc>>,
}

fn default_paths() -> Vec<String> {
    vec![DEFAULT_DIR.to_string()]
}
fn hour() -> Duration {
    Duration::from_secs(3600)
}
fn four_mib() -> u64 {
    4 * 1024 * 1024
}
fn sixteen() -> usize {
    16
}

fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            serde::de::Error::custom(format!(
                "`{text}` is not an RFC 3339 time like 2026-11-22T08:00:00Z ({e})"
            ))
        })
}

/// A known failure signature in a log line.
#[derive(Debug)]
pub struct Signature {
    pub id: &'static str,
    pub code: &'static Code,
    pub one: &'static str,
    pub many: &'static str,
    /// The check kind that explains (and judges) this failure.
    pub explained_by: &'static str,
    /// Every one of these must occur (lower case).
    pub all: &'static [&'static str],
    /// One of these must occur (lower case)...
    pub any: &'static [&'static str],
    /// ...or one of these HTTP statuses, as a number of its own on a line that mentions a
    /// status (`status`, `http`, `code`, `response`, `returned`).
    pub statuses: &'static [&'static str],
    /// Whether the `host:port` the line names is the interesting part.
    pub targeted: bool,
    /// Remediation; `{target}` becomes the host:port seen most, or "the master".
    pub fix: &'static str,
}

/// Signatures in priority order: a line counts for the first that matches.
pub static SIGNATURES: &[Signature] = &[
    Signature {
        id: "checkpoint-write",
        code: &LOGGED_CHECKPOINT_WRITE,
        one: "checkpoint write error",
        many: "checkpoint write errors",
        explained_by: "checkpoint",
        all: &["checkpoint"],
        any: &[
            "fail",
            "error",
            "cannot",
            "unable",
            "no space",
            "permission denied",
            "read-only",
            "enospc",
            "i/o error",
        ],
        statuses: &[],
        targeted: false,
        fix: "run the checkpoint check (`autoglm-doctor --only 'recovery.checkpoint'`): it checks the storage path, its permissions for the service account and its free space",
    },
    Signature {
        id: "tls",
        code: &LOGGED_TLS,
        one: "TLS/x509 error",
        many: "TLS/x509 errors",
        explained_by: "tls",
        all: &[],
        any: &[
            "x509:",
            "x509 ",
            "tls: ",
            "tls handshake",
            "ssl routines",
            "ssl_error",
            "sslerror",
            "ssl handshake",
            "certificate verify failed",
            "certificate has expired",
            "certificate is not valid",
            "unknown authority",
            "unknown ca",
            "bad certificate",
            "handshake failure",
            "certificate signed by unknown",
        ],
        statuses: &[],
        targeted: true,
        fix: "run the tls checks against {target}; check that `auth.ca_certificate.path` holds the CA that signs the master's certificate (after a CA rotation too), that the certificate is valid now, and that it names the host in `endpoint`",
    },
    Signature {
        id: "clock-skew",
        code: &LOGGED_CLOCK_SKEW,
        one: "clock skew error",
        many: "clock skew errors",
        explained_by: "time",
        all: &[],
        any: &[
            "clock skew",
            "clock drift",
            "time skew",
            "skew detected",
            "clock is behind",
            "clock is ahead",
            "used before issued",
            "token is not valid yet",
            "token not valid yet",
            "tokennotvalidyet",
            "issued in the future",
            "time difference too large",
        ],
        statuses: &[],
        targeted: false,
        fix: "run the time checks; synchronise this node's clock (`timedatectl set-ntp true`, `chronyc tracking`) and use the same NTP sources as the master",
    },
    Signature {
        id: "auth",
        code: &LOGGED_AUTH,
        one: "authentication failure (401/403)",
        many: "authentication failures (401/403)",
        explained_by: "auth",
        all: &[],
        any: &[
            "unauthorized",
            "forbidden",
            "authentication failed",
            "invalid token",
            "token expired",
            "token is expired",
            "tokenexpired",
            "signature is invalid",
            "invalid signature",
            "unknown kid",
            "invalid api key",
            "invalid_api_key",
        ],
        statuses: &["401", "403"],
        targeted: false,
        fix: "run the auth checks; compare `auth.token_ttl`, the JWT algorithm, issuer, audience and key with the master's after the last key rotation, and check `auth.api_key`",
    },
    Signature {
        id: "api-upgrade",
        code: &LOGGED_API_UPGRADE,
        one: "HTTP 426 Upgrade Required",
        many: "HTTP 426 Upgrade Required responses",
        explained_by: "api-version",
        all: &[],
        any: &["upgrade required"],
        statuses: &["426"],
        targeted: false,
        fix: "upgrade the node's Open-AutoGLM client, or set `api.version` to a version the master serves: the master requires a newer API than this node speaks; the api-version checks show the versions",
    },
    Signature {
        id: "api-gone",
        code: &LOGGED_API_GONE,
        one: "HTTP 410 Gone",
        many: "HTTP 410 Gone responses",
        explained_by: "api-version",
        all: &[],
        any: &["410 gone"],
        statuses: &["410"],
        targeted: false,
        fix: "run the api-version checks: the endpoint was retired (upgrade the client), or this node was offline longer than the master keeps its change log and needs a full resync instead of an incremental one",
    },
    Signature {
        id: "refused",
        code: &LOGGED_REFUSED,
        one: "connection refused",
        many: "connections refused",
        explained_by: "tcp",
        all: &[],
        any: &["connection refused", "econnrefused", "actively refused"],
        statuses: &[],
        targeted: true,
        fix: "check that the master's service is up and listening on {target} (`ss -ltnp` on the master) and that no firewall REJECTs the port; the tcp checks show whether it is refused now",
    },
    Signature {
        id: "unreachable",
        code: &LOGGED_UNREACHABLE,
        one: "host or network unreachable error",
        many: "host or network unreachable errors",
        explained_by: "tcp",
        all: &[],
        any: &[
            "no route to host",
            "network is unreachable",
            "host is unreachable",
            "ehostunreach",
            "enetunreach",
        ],
        statuses: &[],
        targeted: true,
        fix: "check the routes and firewalls between this node and {target} (`ip route get`, `tracepath`); the tcp checks show whether it is unreachable now",
    },
    Signature {
        id: "dns",
        code: &LOGGED_DNS,
        one: "name resolution failure",
        many: "name resolution failures",
        explained_by: "dns",
        all: &[],
        any: &[
            "no such host",
            "nxdomain",
            "name or service not known",
            "temporary failure in name resolution",
            "servfail",
            "could not resolve",
            "name resolution failed",
            "unknown host",
        ],
        statuses: &[],
        targeted: false,
        fix: "run the dns checks; check /etc/resolv.conf and that the resolvers answer for the master's name in `endpoint`",
    },
    Signature {
        id: "timeout",
        code: &LOGGED_TIMEOUT,
        one: "connection timeout",
        many: "connection timeouts",
        explained_by: "tcp",
        all: &[],
        any: &[
            "timed out",
            "timeout exceeded",
            "deadline exceeded",
            "etimedout",
            "i/o timeout",
            "connect timeout",
            "connection timeout",
            "read timeout",
            "request timeout",
            "timeout while",
            "timeout after",
            "timeout waiting",
        ],
        statuses: &[],
        targeted: true,
        fix: "check whether {target} silently drops packets now: run the tcp checks (`autoglm-doctor --only 'tcp.*'`); a timeout rather than a refusal usually means a firewall or security group drops the traffic — allow this node to reach {target}",
    },
];

const STATUS_CONTEXT: &[&str] = &["status", "http", "code", "response", "returned"];

super::generated_codes!("log-scan");

/// The logs show recent connection timeouts (see the tcp checks).
pub const LOGGED_TIMEOUT: Code = Code::new(
    "log-scan.logged-timeout",
    Status::Warn,
    "The logs show recent connection timeouts (see the tcp checks).",
    "Run the tcp checks against the host:port named; a silent drop is a firewall rule.",
)
.was(&["recovery.log-timeout"]);

/// The logs show recent refused connections (see the tcp checks).
pub const LOGGED_REFUSED: Code = Code::new(
    "log-scan.logged-refused",
    Status::Warn,
    "The logs show recent refused connections (see the tcp checks).",
    "Check that the master listens on the port named; run the tcp checks.",
)
.was(&["recovery.log-refused"]);

/// The logs show recent host or network unreachable errors (see the tcp checks).
pub const LOGGED_UNREACHABLE: Code = Code::new(
    "log-scan.logged-unreachable",
    Status::Warn,
    "The logs show recent host or network unreachable errors (see the tcp checks).",
    "Check routes and firewalls towards the host named; run the tcp checks.",
)
.was(&["recovery.log-unreachable"]);

/// The logs show recent name resolution failures (see the dns checks).
pub const LOGGED_DNS: Code = Code::new(
    "log-scan.logged-dns",
    Status::Warn,
    "The logs show recent name resolution failures (see the dns checks).",
    "Run the dns checks; check the resolvers.",
)
.was(&["recovery.log-dns"]);

/// The logs show recent TLS/x509 errors (see the tls checks).
pub const LOGGED_TLS: Code = Code::new(
    "log-scan.logged-tls",
    Status::Warn,
    "The logs show recent TLS/x509 errors (see the tls checks).",
    "Run the tls checks; check the CA bundle, certificate validity and host name.",
)
.was(&["recovery.log-tls"]);

/// The logs show recent 401/403 or token errors (see the auth checks).
pub const LOGGED_AUTH: Code = Code::new(
    "log-scan.logged-auth",
    Status::Warn,
    "The logs show recent 401/403 or token errors (see the auth checks).",
    "Run the auth checks; compare the JWT parameters with the master's.",
)
.was(&["recovery.log-auth"]);

/// The logs show recent 426 Upgrade Required responses (see the api-version checks).
pub const LOGGED_API_UPGRADE: Code = Code::new(
    "log-scan.logged-api-upgrade",
    Status::Warn,
    "The logs show recent 426 Upgrade Required responses (see the api-version checks).",
    "Upgrade the node's client or its `api.version`.",
)
.was(&["recovery.log-api-upgrade"]);

/// The logs show recent 410 Gone responses: a retired endpoint, or an incremental sync window lost to log truncation (see the api-version checks).
pub const LOGGED_API_GONE: Code = Code::new(
"log-scan.logged-api-gone",
Status::Warn,
"The logs show recent 410 Gone responses: a retired endpoint, or an incremental sync window lost to log truncation (see the api-version checks).",
"Upgrade the client, or resync the node in full.",
)
.was(&["recovery.log-api-gone"]);

/// The logs show recent clock skew errors (see the time checks).
pub const LOGGED_CLOCK_SKEW: Code = Code::new(
    "log-scan.logged-clock-skew",
    Status::Warn,
    "The logs show recent clock skew errors (see the time checks).",
    "Synchronise the clock; run the time checks.",
)
.was(&["recovery.log-clock-skew"]);

/// The logs show recent checkpoint write errors (see the checkpoint check).
pub const LOGGED_CHECKPOINT_WRITE: Code = Code::new(
    "log-scan.logged-checkpoint-write",
    Status::Warn,
    "The logs show recent checkpoint write errors (see the checkpoint check).",
    "Run the checkpoint check: storage path, permissions, free space.",
)
.was(&["recovery.log-checkpoint-write"]);

/// The logged sync rounds took more than 5 s on average.
pub const SYNC_SLOW: Code = Code::new(
    "log-scan.sync-slow",
    Status::Warn,
    "The sync rounds the logs record took more than 5 s on average (the monitoring threshold).",
    "Find what slows sync: the master's load, the network path (tcp, tls and grpc-health checks), the size of each round.",
);

/// The logs end with more than 3 consecutive failed sync rounds.
pub const SYNC_FAILING: Code = Code::new(
    "log-scan.sync-failing",
    Status::Fail,
    "The logs record more than 3 consecutive failed sync rounds (the monitoring threshold).",
    "Follow the error of the newest failed round; the network and auth checks name the broken step.",
);

/// No log file was found at the configured paths: nothing was scanned.
pub const LOGS_MISSING: Code = Code::new(
    "log-scan.logs-missing",
    Status::Skip,
    "No log file was found at the configured paths: nothing was scanned.",
    "Set `paths` in the suite to where the service writes its logs.",
)
.was(&["recovery.logs-missing"]);

/// A log file could not be read (permissions, not a regular file).
pub const UNREADABLE: Code = Code::new(
    "log-scan.unreadable",
    Status::Warn,
    "A log file could not be read (permissions, not a regular file).",
    "Run the doctor as root or as a member of the log files' group.",
)
.was(&["recovery.log-unreadable"]);

/// The scan stopped at its time budget before reading every file: counts are lower bounds.
pub const INCOMPLETE: Code = Code::new(
    "log-scan.incomplete",
    Status::Warn,
    "The scan stopped at its time budget before reading every file: counts are lower bounds.",
    "Raise the check's `timeout`, or lower `max_bytes` or `max_files`.",
)
.was(&["recovery.log-scan-incomplete"]);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "log-scan",
        category: "recovery",
        summary: "Recent failure signatures in the Open-AutoGLM logs (timeouts, refusals, TLS, 401/403, 410/426, clock skew, checkpoint writes), each pointing at the check that explains it",
        explain: "What it checks: the tail of each Open-AutoGLM log (`paths`, default /var/log/open-autoglm/: the `*.log` and `*.log.1` files of a directory, the most recently modified first, at most `max_files`, 16) — at most `max_bytes` (4 MiB) from the end of each file, found by seeking, never the whole file — for lines of the last `window` (1h) that match a known failure signature: connection timeouts, refused connections, unreachable hosts, name resolution failures, TLS/x509 errors, 401/403, 426 Upgrade Required, 410 Gone, clock skew, checkpoint write errors. It reports, per signature, the count, the host:port seen most, and the newest line with secrets redacted, and names the check kind that explains it (tcp, dns, tls, auth, api-version, time, checkpoint). Timestamps are read at the start of a line (RFC 3339 and `2026-11-22 08:00:00,123`, `2026/11/22 08:00:00`, syslog `Nov 22 08:00:00`, glog `E1122 08:00:00.000000`, JSON `\"time\"`/`\"ts\"` fields, logfmt `time=`); those without a zone are local time. A line without a timestamp belongs to the dated line above it; the undated lines at the start of the tail are skipped; a file without any timestamp counts as recent only when it was modified within the window. `as_of` (RFC 3339) moves the window's end, for logs copied off a node. See docs/recovery.md.\n\nWhy it matters: the live checks say what is wrong now; the log says what went wrong while nobody was looking (the timeouts in /var/log/open-autoglm/network.log are the first place to look). Forty timeouts to the gRPC port in the last hour, with a clean TCP check now, means an intermittent drop.\n\nHow to fix: follow the named check (e.g. run `autoglm-doctor --only 'tcp.*'` for timeouts); each finding's fix names the values seen. If the logs are elsewhere, set `paths` in the suite.",
        default_timeout: Duration::from_secs(10),
        network: false,
        reads_config: false,
        codes: &[
            LOGGED_TIMEOUT,
            LOGGED_REFUSED,
            LOGGED_UNREACHABLE,
            LOGGED_DNS,
            LOGGED_TLS,
            LOGGED_AUTH,
            LOGGED_API_UPGRADE,
            LOGGED_API_GONE,
            LOGGED_CLOCK_SKEW,
            LOGGED_CHECKPOINT_WRITE,
            SYNC_SLOW,
            SYNC_FAILING,
            LOGS_MISSING,
            UNREADABLE,
            INCOMPLETE,
        ],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let spec2 = spec.clone();
        // The scan stops well before the check's own timeout, so it reports what it found.
        let deadline = Instant::now() + ctx.timeout.mul_f64(0.7);
        let as_of = spec.as_of.unwrap_or_else(Utc::now);
        let local = |naive: NaiveDateTime| {
            chrono::Local
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        };
        match tokio::task::spawn_blocking(move || scan_all(&spec2, as_of, deadline, &local)).await {
            Ok(scan) => judge(spec, &scan, as_of),
            Err(e) => {
                let mut eval = Evaluation::single(Finding::new(
                    &INTERNAL,
                    format!("the log scan crashed: {e}"),
                    "report the bug with the JSON report attached",
                ));
                eval.cause = Some(Cause::Internal);
                eval
            }
        }
    }
}

/// One matched line kept as the example of its signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub at: Option<DateTime<Utc>>,
    /// Redacted and shortened.
    pub line: String,
    pub file: String,
}

/// What one signature matched in the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    pub count: usize,
    pub newest: Option<Example>,
    pub targets: BTreeMap<String, usize>,
    pub files: BTreeSet<String>,
}

/// What the logged sync rounds show: (rounds, average duration in ms of those that give
/// one, the longest run of failures the newest rounds end with).
pub fn sync_summary(files: &[FileScan]) -> (usize, Option<u64>, usize) {
    let rounds: usize = files.iter().map(|f| f.sync.len()).sum();
    let durations: Vec<u64> = files
        .iter()
        .flat_map(|f| f.sync.iter())
        .filter_map(|r| match r {
            SyncRound::Ok(d) => *d,
            SyncRound::Failed => None,
        })
        .collect();
    let avg =
        (!durations.is_empty()).then(|| durations.iter().sum::<u64>() / durations.len() as u64);
    let streak = files
        .iter()
        .map(|f| {
            f.sync
                .iter()
                .rev()
                .take_while(|r| **r == SyncRound::Failed)
                .count()
        })
        .max()
        .unwrap_or(0);
    (rounds, avg, streak)
}

/// Everything the scan found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    pub files: Vec<FileScan>,
    /// Configured paths that do not exist.
    pub missing: Vec<String>,
    pub unreadable: Vec<(String, String)>,
    /// Files found but not read (over `max_files`).
    pub skipped_files: usize,
    /// Index into [`SIGNATURES`] → hits.
    pub hits: BTreeMap<usize, Hits>,
    /// The time budget ran out.
    pub incomplete: bool,
}

/// What the signatures match, for the log scanner.
struct Signatures<'a>(&'a mut BTreeMap<usize, Hits>);

impl logs::Matcher for Signatures<'_> {
    type Sig = usize;
    fn classify(&self, lower: &str) -> Option<usize> {
        classify(lower)
    }
    fn record(&mut self, sig: usize, line: &str, at: Option<DateTime<Utc>>, file: &str) {
        record(self.0, sig, line, at, file);
    }
}

/// Read and scan every configured log (blocking).
pub fn scan_all(
    spec: &Spec,
    as_of: DateTime<Utc>,
    deadline: Instant,
    local: &dyn Fn(NaiveDateTime) -> Option<DateTime<Utc>>,
) -> Scan {
    let window = Window::new(as_of, spec.window, local);
    let mut hits = BTreeMap::new();
    let tails = logs::scan_all(
        &spec.paths,
        spec.max_files,
        spec.max_bytes,
        &window,
        deadline,
        &mut Signatures(&mut hits),
    );
    Scan {
        files: tails.files,
        missing: tails.missing,
        unreadable: tails.unreadable,
        skipped_files: tails.skipped_files,
        hits,
        incomplete: tails.incomplete,
    }
}

/// Scan the lines of one tail for the signatures, counting the hits of the window into
/// `hits` (see [`logs::scan_text`]).
pub fn scan_text(
    bytes: &[u8],
    file: &str,
    mtime: Option<SystemTime>,
    w: &Window<'_>,
    hits: &mut BTreeMap<usize, Hits>,
    deadline: Option<Instant>,
) -> FileScan {
    logs::scan_text(bytes, file, mtime, w, &mut Signatures(hits), deadline)
}

fn record(
    hits: &mut BTreeMap<usize, Hits>,
    sig: usize,
    line: &str,
    at: Option<DateTime<Utc>>,
    file: &str,
) {
    let h = hits.entry(sig).or_default();
    h.count += 1;
    h.files.insert(file.to_string());
    if SIGNATURES[sig].targeted
        && let Some(t) = target(line)
    {
        *h.targets.entry(t).or_default() += 1;
    }
    let newer = h.newest.as_ref().is_none_or(|n| at >= n.at);
    if newer {
        h.newest = Some(Example {
            at,
            line: example(line),
            file: file.to_string(),
        });
    }
}

/// A line fit to show: secrets redacted, control characters dropped, shortened.
pub fn example(line: &str) -> String {
    let redacted = crate::secret::redact_text(line.trim());
    let clean: String = redacted
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() > MAX_EXAMPLE_CHARS {
        let cut: String = clean.chars().take(MAX_EXAMPLE_CHARS).collect();
        format!("{cut}…")
    } else {
        clean
    }
}

/// The first signature a (lower-cased) line matches.
pub fn classify(lower: &str) -> Option<usize> {
    SIGNATURES.iter().position(|s| {
        s.all.iter().all(|n| lower.contains(n))
            && (s.any.iter().any(|n| lower.contains(n))
                || s.statuses.iter().any(|code| has_status(lower, code)))
    })
}

fn has_status(lower: &str, code: &str) -> bool {
    STATUS_CONTEXT.iter().any(|c| lower.contains(c))
        && lower.match_indices(code).any(|(i, _)| {
            let head = &lower[..i];
            let before = head.chars().next_back();
            let after = lower[i + code.len()..].chars().next();
            // `host:401` is a port; `"status":401` and `status:401` are statuses.
            let port_like = before == Some(':')
                && !head.ends_with("\":")
                && !STATUS_CONTEXT
                    .iter()
                    .any(|c| head.ends_with(&format!("{c}:")));
            !port_like
                && !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
                && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
        })
}

fn target_phrase(h: &Hits) -> (String, Option<String>) {
    let Some((best, n)) = h
        .targets
        .iter()
        .max_by_key(|(t, n)| (**n, std::cmp::Reverse((*t).clone())))
    else {
        return (String::new(), None);
    };
    let others = h.targets.len() - 1;
    let phrase = if others == 0 {
        format!(" to {best}")
    } else {
        format!(
            " ({n} to {best}, the rest to {others} other target{})",
            if others == 1 { "" } else { "s" }
        )
    };
    (phrase, Some(best.clone()))
}

/// Judge what the scan found.
/// Average sync latency above which the logs warn (the monitoring threshold, 5 s).
pub const SYNC_SLOW_MS: u64 = 5000;
/// Consecutive failed sync rounds above which the logs fail (the monitoring threshold).
pub const SYNC_FAILURES_LIMIT: usize = 3;

pub fn judge(spec: &Spec, scan: &Scan, as_of: DateTime<Utc>) -> Evaluation {
    let window = human::window(spec.window);
    let mut eval = Evaluation::default();
    let bytes_read: u64 = scan.files.iter().map(|f| f.bytes_read).sum();
    let bytes_total: u64 = scan.files.iter().map(|f| f.file_len).sum();
    eval.evidence.insert(
        "files".into(),
        scan.files
            .iter()
            .map(|f| f.path.clone())
            .collect::<Vec<_>>()
            .into(),
    );
    eval.evidence.insert("bytes_read".into(), bytes_read.into());
    eval.evidence
        .insert("bytes_total".into(), bytes_total.into());
    eval.evidence
        .insert("window_seconds".into(), spec.window.as_secs().into());
    eval.evidence.insert(
        "as_of".into(),
        as_of
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            .into(),
    );
    if !scan.missing.is_empty() {
        eval.evidence
            .insert("missing_paths".into(), scan.missing.clone().into());
    }
    let undated: Vec<&str> = scan
        .files
        .iter()
        .filter(|f| !f.dated && f.lines > 0)
        .map(|f| f.path.as_str())
        .collect();
    if !undated.is_empty() {
        eval.evidence.insert("undated_files".into(), undated.into());
    }
    let future: usize = scan.files.iter().map(|f| f.future_lines).sum();
    if future > 0 {
        eval.evidence
            .insert("lines_dated_after_window".into(), future.into());
    }

    if scan.files.is_empty() && scan.unreadable.is_empty() {
        let looked = if spec.paths.is_empty() {
            "no path (`paths` is empty)".to_string()
        } else {
            spec.paths.join(", ")
        };
        let mut e = Evaluation::single(Finding::new(
            &LOGS_MISSING,
            format!("no Open-AutoGLM log at {looked} (*.log, *.log.1): nothing scanned"),
            format!(
                "set `paths` of this check in the suite to where the service writes its logs (looked at {looked}); for a service that logs only to journald, export a window first: `journalctl -u open-autoglm --since -1h > /var/tmp/open-autoglm.log` and scan that file"
            ),
        ));
        e.evidence = eval.evidence;
        return e;
    }
    for (path, error) in &scan.unreadable {
        eval.findings.push(
            Finding::new(&UNREADABLE, format!("log {path} could not be read: {error}"),
                format!("run the doctor as root or as a member of the group owning {path} (`ls -l {path}`), or drop it from `paths`"),
            )
            .with("file", path.clone()),
        );
    }
    if scan.incomplete {
        eval.findings.push(Finding::new(&INCOMPLETE, format!("the scan stopped at its time budget after {} file(s): counts are lower bounds", scan.files.len()),
            format!("raise this check's `timeout` in the suite, or lower `max_bytes` (now {}) or `max_files` (now {})", spec.max_bytes, spec.max_files),
        ));
    }
    let mut parts = Vec::new();
    for (&i, h) in &scan.hits {
        let sig = &SIGNATURES[i];
        let noun = if h.count == 1 { sig.one } else { sig.many };
        let (phrase, best) = target_phrase(h);
        let newest = h.newest.as_ref().map_or_else(String::new, |n| {
            let when = n.at.map_or_else(
                || "undated".to_string(),
                |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
            format!(" Newest ({when}, {}): {}", n.file, n.line)
        });
        let fix = sig
            .fix
            .replace("{target}", best.as_deref().unwrap_or("the master"));
        let mut f = Finding::new(
            sig.code,
            format!(
                "log shows {} {noun}{phrase} in {window}; see the {} checks.{newest}",
                h.count, sig.explained_by
            ),
            fix,
        )
        .with("signature", sig.id)
        .with("count", h.count)
        .with("explained_by", sig.explained_by)
        .with("files", h.files.iter().cloned().collect::<Vec<_>>());
        if let Some(b) = &best {
            f = f.with("target", b.clone());
        }
        if let Some(n) = &h.newest {
            f = f.with("newest_line", n.line.clone());
            if let Some(t) = n.at {
                f = f.with(
                    "newest_at",
                    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                );
            }
        }
        eval.findings.push(f);
        parts.push(format!(
            "{} {noun}{phrase} (see {})",
            h.count, sig.explained_by
        ));
    }
    let read = format!(
        "{} of {} read from {} file(s)",
        human::bytes(bytes_read),
        human::bytes(bytes_total),
        scan.files.len()
    );
    if parts.len() > 1 {
        eval.message = Some(format!("logs show, in {window}: {}", parts.join("; ")));
    }
    let (rounds, avg, streak) = sync_summary(&scan.files);
    if rounds > 0 {
        eval.facts
            .insert("sync.consecutive_failures".into(), streak.into());
        eval.evidence.insert("sync_rounds".into(), rounds.into());
        if let Some(avg) = avg {
            eval.facts.insert("sync.latency_avg_ms".into(), avg.into());
        }
        if streak > SYNC_FAILURES_LIMIT {
            eval.findings.push(
                Finding::new(
                    &SYNC_FAILING,
                    format!(
                        "the newest {streak} sync rounds in the logs failed (more than {SYNC_FAILURES_LIMIT} in a row)"
                    ),
                    "follow the error of the newest failed sync round in the logs; run the network and auth checks to name the broken step",
                )
                .with("consecutive_failures", streak),
            );
        }
        if let Some(avg) = avg.filter(|a| *a > SYNC_SLOW_MS) {
            eval.findings.push(
                Finding::new(
                    &SYNC_SLOW,
                    format!(
                        "sync rounds took {} on average in {window} of the logs (over {})",
                        crate::duration::format(Duration::from_millis(avg)),
                        crate::duration::format(Duration::from_millis(SYNC_SLOW_MS))
                    ),
                    "find what slows sync: the master's load, the network path (run the tcp, tls and grpc-health checks), the size of each round",
                )
                .with("latency_avg_ms", avg),
            );
        }
    }
    if eval.findings.is_empty() {
        eval.findings.push(Finding::pass(format!(
            "no known failure signature in {window} of the logs ({read})"
        )));
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use std::fmt::Write;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Local time is UTC+8 in these tests, whatever the machine says.
    #[allow(clippy::unnecessary_wraps)] // the signature of a local-time function
    fn plus8(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
        Some(Utc.from_utc_datetime(&(naive - TimeDelta::hours(8))))
    }

    const AS_OF: &str = "2026-11-22T08:00:00Z";

    fn window() -> Window<'static> {
        Window::new(utc(AS_OF), Duration::from_secs(3600), &plus8)
    }

    fn spec() -> Spec {
        serde_json::from_value(serde_json::json!({})).unwrap()
    }

    #[test]
    fn classifies_each_signature() {
        let cases: &[(&str, Option<&str>)] = &[
            ("dial tcp 192.0.2.5:9090: i/o timeout", Some("timeout")),
            (
                "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
                Some("timeout"),
            ),
            (
                "connect to master.autoglm.test:8080 failed: Connection refused",
                Some("refused"),
            ),
            (
                "dial tcp 192.0.2.5:9090: connect: no route to host",
                Some("unreachable"),
            ),
            (
                "dial tcp: lookup master.autoglm.test on 127.0.0.53:53: no such host",
                Some("dns"),
            ),
            (
                "tls: failed to verify certificate: x509: certificate signed by unknown authority",
                Some("tls"),
            ),
            (
                "x509: certificate has expired or is not yet valid",
                Some("tls"),
            ),
            (
                "POST /v1/sync returned status 401 Unauthorized",
                Some("auth"),
            ),
            ("HTTP 403 from master", Some("auth")),
            (r#"{"msg":"token rejected","status":401}"#, Some("auth")),
            ("request failed status:403", Some("auth")),
            ("status: connected to master:403", None),
            (
                "response status=426 Upgrade Required (X-API-Version 2.5)",
                Some("api-upgrade"),
            ),
            (
                "GET /v1/changes?since=8812 HTTP/1.1 410 Gone",
                Some("api-gone"),
            ),
            (
                "jwt: token used before issued (clock skew?)",
                Some("clock-skew"),
            ),
            (
                "failed to write checkpoint step-000121: no space left on device",
                Some("checkpoint-write"),
            ),
            // Not failures.
            ("checkpoint step-000121 written (12 MiB)", None),
            ("sync round done: 410 objects, timeout_threshold=30s", None),
            ("connected to master:4010 in 401ms", None),
            ("token_ttl=3600 timeout=30s", None),
        ];
        for (line, want) in cases {
            let got = classify(&line.to_ascii_lowercase()).map(|i| SIGNATURES[i].id);
            assert_eq!(got, *want, "{line}");
        }
    }

    #[test]
    fn window_inheritance_leading_and_undated_lines() {
        let w = window();
        let text = "\
    at leading.continuation(timed out)\n\
2026-11-22T06:00:00Z ERROR dial tcp master:9090: i/o timeout\n\
    caused by: i/o timeout\n\
2026-11-22T07:10:00Z ERROR dial tcp master:9090: i/o timeout\n\
    caused by: i/o timeout\n\
2026-11-22T07:59:00Z ERROR dial tcp backup:9090: i/o timeout\n\
2026-11-22T09:00:00Z ERROR dial tcp master:9090: i/o timeout\n";
        let mut hits = BTreeMap::new();
        let fs = scan_text(
            text.as_bytes(),
            "/var/log/open-autoglm/network.log",
            None,
            &w,
            &mut hits,
            None,
        );
        assert!(fs.dated);
        assert_eq!(fs.future_lines, 1);
        let h = &hits[&SIGNATURES.iter().position(|s| s.id == "timeout").unwrap()];
        // 07:10 + its continuation + 07:59; not 06:00 (old), not the leading line, not 09:00.
        assert_eq!(h.count, 3);
        assert_eq!(h.targets.len(), 2);
        assert_eq!(h.targets["master:9090"], 1);
        assert_eq!(
            h.newest.as_ref().unwrap().at,
            Some(utc("2026-11-22T07:59:00Z"))
        );
        assert_eq!(h.newest.as_ref().unwrap().file, "network.log");

        // No timestamps at all: counted only if the file changed within the window.
        let undated = b"ERROR connection refused by master:8080\n";
        let recent = SystemTime::from(utc("2026-11-22T07:30:00Z"));
        let old = SystemTime::from(utc("2026-11-20T07:30:00Z"));
        let mut hits = BTreeMap::new();
        let fs = scan_text(undated, "a.log", Some(old), &w, &mut hits, None);
        assert!(!fs.dated && !fs.undated_recent && hits.is_empty());
        let fs = scan_text(undated, "a.log", Some(recent), &w, &mut hits, None);
        assert!(fs.undated_recent);
        assert_eq!(hits.values().next().unwrap().count, 1);
        assert_eq!(
            hits.values().next().unwrap().newest.as_ref().unwrap().at,
            None
        );
    }

    #[test]
    fn sync_thresholds_from_the_fixture_log() {
        let w = window();
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/logs/sync-slow-then-failing.log"
        ));
        let mut scan = Scan::default();
        let fs = scan_text(
            text.as_bytes(),
            "/l/sync.log",
            None,
            &w,
            &mut scan.hits,
            None,
        );
        assert_eq!(fs.sync.len(), 7);
        scan.files.push(fs);
        assert_eq!(sync_summary(&scan.files), (7, Some(6633), 4));
        let e = judge(&spec(), &scan, utc(AS_OF));
        assert_eq!(e.status(), Status::Fail);
        let codes: Vec<_> = e.findings.iter().filter_map(Finding::code_name).collect();
        assert!(codes.contains(&"log-scan.sync-failing"), "{codes:?}");
        assert!(codes.contains(&"log-scan.sync-slow"), "{codes:?}");
        assert_eq!(e.facts["sync.latency_avg_ms"], 6633);
        assert_eq!(e.facts["sync.consecutive_failures"], 4);

        // Three failures in a row and fast rounds stay below both thresholds.
        let mut scan = Scan::default();
        let text = "2026-11-22T07:10:00Z INFO sync completed in 1.2s\n\
2026-11-22T07:20:00Z ERROR sync failed: x\n\
2026-11-22T07:30:00Z ERROR sync failed: x\n\
2026-11-22T07:40:00Z ERROR sync failed: x\n";
        let fs = scan_text(
            text.as_bytes(),
            "/l/sync.log",
            None,
            &w,
            &mut scan.hits,
            None,
        );
        scan.files.push(fs);
        let e = judge(&spec(), &scan, utc(AS_OF));
        assert!(
            e.findings.iter().all(|f| !matches!(
                f.code_name(),
                Some("log-scan.sync-failing" | "log-scan.sync-slow")
            )),
            "{e:?}"
        );
        assert_eq!(e.facts["sync.consecutive_failures"], 3);
        // A round that succeeds ends the streak.
        let mut scan = Scan::default();
        let text = format!(
            "{text}2026-11-22T07:41:00Z ERROR sync failed: x\n2026-11-22T07:42:00Z INFO sync ok\n"
        );
        let fs = scan_text(
            text.as_bytes(),
            "/l/sync.log",
            None,
            &w,
            &mut scan.hits,
            None,
        );
        scan.files.push(fs);
        assert_eq!(sync_summary(&scan.files).2, 0);
    }

    #[test]
    fn judge_reports_counts_targets_examples_and_the_explaining_check() {
        let w = window();
        let mut text = String::new();
        for m in 0..37 {
            let _ = writeln!(
                text,
                "2026-11-22T07:{m:02}:00Z ERROR dial tcp master.autoglm.test:9090: i/o timeout"
            );
        }
        text.push_str("2026-11-22T07:40:00Z ERROR GET https://master.autoglm.test:8443/v1/sync?api_key=sk-live-abc&token=t0k HTTP/1.1 426 Upgrade Required\n");
        let mut scan = Scan::default();
        let mut fs = scan_text(
            text.as_bytes(),
            "/l/network.log",
            None,
            &w,
            &mut scan.hits,
            None,
        );
        fs.bytes_read = text.len() as u64;
        fs.file_len = 1 << 30;
        scan.files.push(fs);
        let e = judge(&spec(), &scan, utc(AS_OF));
        assert_eq!(e.status(), Status::Warn);
        let timeout = e
            .findings
            .iter()
            .find(|f| f.code_name() == Some("log-scan.logged-timeout"))
            .unwrap();
        assert!(
            timeout.message.starts_with("log shows 37 connection timeouts to master.autoglm.test:9090 in the last hour; see the tcp checks. Newest (2026-11-22T07:36:00Z, network.log): 2026-11-22T07:36:00Z ERROR dial tcp"),
            "{}",
            timeout.message
        );
        assert!(
            timeout
                .remediation
                .as_ref()
                .unwrap()
                .contains("allow this node to reach master.autoglm.test:9090")
        );
        let upgrade = e
            .findings
            .iter()
            .find(|f| f.code_name() == Some("log-scan.logged-api-upgrade"))
            .unwrap();
        assert!(upgrade.message.contains("see the api-version checks"));
        assert!(
            upgrade
                .message
                .contains("api_key=<redacted>&token=<redacted>"),
            "{}",
            upgrade.message
        );
        let all = format!("{e:?}");
        assert!(
            !all.contains("sk-live-abc") && !all.contains("t0k "),
            "{all}"
        );
        assert_eq!(
            e.message.as_deref(),
            Some(
                "logs show, in the last hour: 1 HTTP 426 Upgrade Required (see api-version); 37 connection timeouts to master.autoglm.test:9090 (see tcp)"
            )
        );
        assert_eq!(e.evidence["bytes_total"], 1u64 << 30);
    }

    #[test]
    fn nothing_found_missing_and_unreadable() {
        let e = judge(&spec(), &Scan::default(), utc(AS_OF));
        assert_eq!(e.status(), Status::Skip);
        assert_eq!(e.findings[0].code_name(), Some("log-scan.logs-missing"));
        let scan = Scan {
            files: vec![FileScan {
                path: "/l/a.log".into(),
                bytes_read: 10,
                file_len: 10,
                lines: 1,
                dated: true,
                ..FileScan::default()
            }],
            unreadable: vec![("/l/b.log".into(), "Permission denied (os error 13)".into())],
            ..Scan::default()
        };
        let e = judge(&spec(), &scan, utc(AS_OF));
        assert_eq!(
            e.findings
                .iter()
                .filter_map(Finding::code_name)
                .collect::<Vec<_>>(),
            ["log-scan.unreadable"]
        );
        let scan = Scan {
            unreadable: vec![],
            ..scan
        };
        let e = judge(&spec(), &scan, utc(AS_OF));
        assert_eq!(e.status(), Status::Pass);
        assert_eq!(
            e.worst().unwrap().message,
            "no known failure signature in the last hour of the logs (10 B of 10 B read from 1 file(s))"
        );
    }

    #[test]
    fn spec_parses_durations_and_times() {
        let s: Spec = serde_json::from_value(serde_json::json!({"paths": ["/x.log"], "window": "30m", "as_of": "2026-11-22T08:00:00+08:00"})).unwrap();
        assert_eq!(s.window, Duration::from_secs(1800));
        assert_eq!(s.as_of, Some(utc("2026-11-22T00:00:00Z")));
        assert!(serde_json::from_value::<Spec>(serde_json::json!({"as_of": "yesterday"})).is_err());
        assert!(serde_json::from_value::<Spec>(serde_json::json!({"window": "1.5h"})).is_err());
    }
}
