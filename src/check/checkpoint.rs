//! `checkpoint`: the node can recover from its checkpoints .
//!
//! Settings first (enabled, an interval that neither floods storage nor loses hours of
//! work, a retention that keeps several checkpoints), then the storage directory as the
//! service account sees it (computed from modes, never by writing into it), its free space
//! for the retention window, the age of the newest checkpoint, and — where the checkpoint
//! carries a `MANIFEST.sha256` — its checksums. Read-only: nothing on the node is changed.
//! [`crate::probe::checkpoint_dir`] looks at the storage; this file judges what it saw.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::config::ConfigSource;
use crate::config::setting::{self, Setting, dotted};
use crate::human;
use crate::probe::account::{self, Account, Want};
use crate::probe::checkpoint_dir::{
    DirState, Entry, Listing, MANIFEST, Newest, Observation, Service, Storage, observe,
};
use crate::report::Code;
use crate::report::{Cause, Evaluation, Evidence, Finding, Status};
use crate::yaml::Node;

/// A newest checkpoint this far in the future means a clock problem, not a fresh write.
const FUTURE_SLACK: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The account the Open-AutoGLM service runs as: a name from /etc/passwd or a numeric
    /// uid. Without it, access is judged for the account running the doctor.
    #[serde(default)]
    pub service_user: Option<Text>,
    /// Whether checkpoints must be enabled (a disabled or missing section fails).
    #[serde(default = "yes")]
    pub required: bool,
    /// The newest checkpoint may be at most this many intervals old.
    #[serde(default = "three")]
    pub max_age_intervals: u32,
    /// The retention window must hold at least this many intervals.
    #[serde(default = "three")]
    pub min_retention_intervals: u32,
    /// Intervals below this flood the storage with checkpoints (warn). 10 s: below it a node
    /// writes over 8 640 checkpoints a day, and writing one (often seconds for a model's
    /// state) takes a large share of the interval; 30 s, a common setting, is fine.
    #[serde(default = "ten")]
    pub min_interval_seconds: u64,
    /// Intervals above this lose too much work in a crash (warn).
    #[serde(default = "hour")]
    pub max_interval_seconds: u64,
    /// Most bytes hashed to verify the newest checkpoint against its manifest.
    #[serde(default = "verify_budget")]
    pub verify_max_bytes: u64,
}

fn yes() -> bool {
    true
}
fn three() -> u32 {
    3
}
fn ten() -> u64 {
    10
}
fn hour() -> u64 {
    3600
}
fn verify_budget() -> u64 {
    256 * 1024 * 1024
}

super::generated_codes!("checkpoint");

/// Checkpoints are disabled (or the `checkpoint` section is missing) while the suite requires them.
pub const DISABLED: Code = Code::new(
"checkpoint.disabled",
Status::Fail,
"Checkpoints are disabled (or the `checkpoint` section is missing) while the suite requires them.",
"Set `checkpoint.enabled: true` with an interval, storage path and retention.",
)
.was(&["recovery.checkpoint-disabled"]);

/// Checkpoints are enabled but `interval_seconds` or `retention_hours` is not set: the node uses a default the doctor cannot judge.
pub const SETTING_MISSING: Code = Code::new(
"checkpoint.setting-missing",
Status::Warn,
"Checkpoints are enabled but `interval_seconds` or `retention_hours` is not set: the node uses a default the doctor cannot judge.",
"Set the missing setting explicitly, e.g. `interval_seconds: 300`, `retention_hours: 72`.",
)
.was(&["recovery.checkpoint-setting-missing"]);

/// Checkpoints are enabled but `checkpoint.storage_path` is not set.
pub const PATH_UNSET: Code = Code::new(
    "checkpoint.path-unset",
    Status::Fail,
    "Checkpoints are enabled but `checkpoint.storage_path` is not set.",
    "Set `checkpoint.storage_path` to a directory owned by the service account.",
)
.was(&["recovery.checkpoint-path-unset"]);

/// The checkpoint interval is shorter than `min_interval_seconds`: checkpoints flood the storage.
pub const INTERVAL_TOO_SHORT: Code = Code::new(
"checkpoint.interval-too-short",
Status::Warn,
"The checkpoint interval is shorter than `min_interval_seconds`: checkpoints flood the storage.",
"Raise `checkpoint.interval_seconds`, or lower the suite's `min_interval_seconds` if the storage is sized for it.",
)
.was(&["recovery.checkpoint-interval-too-short"]);

/// The checkpoint interval is longer than `max_interval_seconds`: a crash loses up to one interval of work.
pub const INTERVAL_TOO_LONG: Code = Code::new(
"checkpoint.interval-too-long",
Status::Warn,
"The checkpoint interval is longer than `max_interval_seconds`: a crash loses up to one interval of work.",
"Lower `checkpoint.interval_seconds`.",
)
.was(&["recovery.checkpoint-interval-too-long"]);

/// The retention window holds fewer than `min_retention_intervals` checkpoints: a damaged newest checkpoint has nothing to fall back to.
pub const RETENTION_TOO_SHORT: Code = Code::new(
"checkpoint.retention-too-short",
Status::Fail,
"The retention window holds fewer than `min_retention_intervals` checkpoints: a damaged newest checkpoint has nothing to fall back to.",
"Raise `checkpoint.retention_hours` to cover several intervals.",
)
.was(&["recovery.checkpoint-retention-too-short"]);

/// The checkpoint storage path does not exist.
pub const PATH_MISSING: Code = Code::new(
    "checkpoint.path-missing",
    Status::Fail,
    "The checkpoint storage path does not exist.",
    "Create the directory, owned by the service account, or correct `checkpoint.storage_path`.",
)
.was(&["recovery.checkpoint-path-missing"]);

/// The checkpoint storage path is not a directory.
pub const PATH_NOT_DIR: Code = Code::new(
    "checkpoint.path-not-dir",
    Status::Fail,
    "The checkpoint storage path is not a directory.",
    "Point `checkpoint.storage_path` at a directory.",
)
.was(&["recovery.checkpoint-path-not-dir"]);

/// The service account cannot create checkpoints in the storage directory (modes, owners, a directory above it, or a read-only file system).
pub const PATH_UNWRITABLE: Code = Code::new(
"checkpoint.path-unwritable",
Status::Fail,
"The service account cannot create checkpoints in the storage directory (modes, owners, a directory above it, or a read-only file system).",
"Give the service account write and search permission on the directory and search permission on every directory above it.",
)
.was(&["recovery.checkpoint-path-unwritable"]);

/// The service account is not known (not in /etc/passwd, or not given while the doctor runs as root): access for the service is not verified.
pub const SERVICE_USER_UNKNOWN: Code = Code::new(
"checkpoint.service-user-unknown",
Status::Warn,
"The service account is not known (not in /etc/passwd, or not given while the doctor runs as root): access for the service is not verified.",
"Set `service_user` in the suite to the account the service runs as (name or numeric uid).",
)
.was(&["recovery.service-user-unknown"]);

/// The file system has no room (or no inodes) for the next checkpoint.
pub const SPACE_EXHAUSTED: Code = Code::new(
    "checkpoint.space-exhausted",
    Status::Fail,
    "The file system has no room (or no inodes) for the next checkpoint.",
    "Free space on the file system, or move `checkpoint.storage_path` to a larger one.",
)
.was(&["recovery.checkpoint-space-exhausted"]);

/// The file system has room for the next checkpoint but not for a full retention window at the current checkpoint size.
pub const SPACE_LOW: Code = Code::new(
"checkpoint.space-low",
Status::Warn,
"The file system has room for the next checkpoint but not for a full retention window at the current checkpoint size.",
"Add space, shorten `retention_hours`, or lengthen `interval_seconds`.",
)
.was(&["recovery.checkpoint-space-low"]);

/// The free space of the storage file system could not be measured.
pub const SPACE_UNKNOWN: Code = Code::new(
    "checkpoint.space-unknown",
    Status::Warn,
    "The free space of the storage file system could not be measured.",
    "Run `df -h` on the storage path and check it by hand.",
)
.was(&["recovery.checkpoint-space-unknown"]);

/// No checkpoint exists in the storage directory: recovery would start from nothing.
pub const NONE: Code = Code::new(
    "checkpoint.none",
    Status::Fail,
    "No checkpoint exists in the storage directory: recovery would start from nothing.",
    "Check that the service runs and writes checkpoints (its log, `recovery.log-scan`).",
)
.was(&["recovery.checkpoint-none"]);

/// The newest checkpoint is older than `max_age_intervals` intervals: recovery would roll back that far.
pub const STALE: Code = Code::new(
"checkpoint.stale",
Status::Fail,
"The newest checkpoint is older than `max_age_intervals` intervals: recovery would roll back that far.",
"Find why checkpoints stopped (service stopped or hung, write errors, full disk) and restore checkpointing.",
)
.was(&["recovery.checkpoint-stale"]);

/// The newest checkpoint's modification time is in the future: a clock was wrong when it was written, or now.
pub const FUTURE: Code = Code::new(
"checkpoint.future",
Status::Warn,
"The newest checkpoint's modification time is in the future: a clock was wrong when it was written, or now.",
"Check the clock with the time checks; ages computed from such times are not reliable.",
)
.was(&["recovery.checkpoint-future"]);

/// The newest checkpoint is empty (0 bytes).
pub const EMPTY: Code = Code::new(
"checkpoint.empty",
Status::Fail,
"The newest checkpoint is empty (0 bytes).",
"Do not restore from it; move it aside so recovery uses the previous checkpoint, and find why the write was cut short.",
)
.was(&["recovery.checkpoint-empty"]);

/// The storage directory or the newest checkpoint cannot be read by the doctor or by the service account.
pub const UNREADABLE: Code = Code::new(
"checkpoint.unreadable",
Status::Fail,
"The storage directory or the newest checkpoint cannot be read by the doctor or by the service account.",
"Give the service account read permission on the checkpoint files (and read and search on their directories).",
)
.was(&["recovery.checkpoint-unreadable"]);

/// The newest checkpoint does not match its MANIFEST.sha256 (a checksum differs or a listed file is missing).
pub const CORRUPT: Code = Code::new(
"checkpoint.corrupt",
Status::Fail,
"The newest checkpoint does not match its MANIFEST.sha256 (a checksum differs or a listed file is missing).",
"Do not restore from it; move it aside so recovery uses the previous checkpoint, and find why it was damaged.",
)
.was(&["recovery.checkpoint-corrupt"]);

/// The checkpoint's MANIFEST.sha256 has lines that are not `<64 hex digits>  <relative path>`, or names paths outside the checkpoint.
pub const MANIFEST_INVALID: Code = Code::new(
"checkpoint.manifest-invalid",
Status::Warn,
"The checkpoint's MANIFEST.sha256 has lines that are not `<64 hex digits>  <relative path>`, or names paths outside the checkpoint.",
"Regenerate the manifest with `sha256sum` from inside the checkpoint directory.",
)
.was(&["recovery.checkpoint-manifest-invalid"]);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "checkpoint",
        category: "recovery",
        summary: "Checkpoints are enabled and sensibly timed; the storage is writable by the service and has room; the newest checkpoint is recent, readable and matches its manifest",
        explain: "What it checks: `checkpoint.enabled`; that `interval_seconds` is neither shorter than `min_interval_seconds` (10 s: floods storage) nor longer than `max_interval_seconds` (3600: a crash loses that much work); that `retention_hours` covers at least `min_retention_intervals` (3) intervals; that `storage_path` exists, is a directory, and is writable by the service account (`service_user` in the suite) — computed from the modes, owners and groups of the directory and of every directory above it, and the account's uid and groups from /etc/passwd and /etc/group, never by writing a file; that the file system is not read-only and has room for the next checkpoint and for the retention window at the size of the newest checkpoint (statvfs); that the newest checkpoint (the entry of `storage_path` with the latest modification time) is at most `max_age_intervals` (3) intervals old; that it is not empty, the doctor can read it and the service account may; and, when it has a `MANIFEST.sha256` (sha256sum format, see docs/recovery.md), that every listed file matches its checksum (up to `verify_max_bytes`, 256 MiB).\n\nWhy it matters: recovery restarts from the newest valid checkpoint. A checkpoint that is hours old means hours of work are redone; a storage directory the service cannot write means checkpoints silently stopped; a full disk stops them at the worst moment; a retention shorter than a few intervals leaves nothing to fall back to when the newest checkpoint is damaged.\n\nHow to fix: set the `checkpoint` section (e.g. `enabled: true`, `interval_seconds: 300`, `retention_hours: 72`); create the directory owned by the service account (`mkdir -p DIR && chown open-autoglm: DIR && chmod 0750 DIR`); free or add space; when checkpoints are stale, find why the service stopped writing them (its log, `recovery.log-scan`); move a corrupt newest checkpoint aside so recovery uses the previous one.",
        default_timeout: Duration::from_secs(30),
        network: false,
        reads_config: true,
        codes: &[
            DISABLED,
            SETTING_MISSING,
            PATH_UNSET,
            INTERVAL_TOO_SHORT,
            INTERVAL_TOO_LONG,
            RETENTION_TOO_SHORT,
            PATH_MISSING,
            PATH_NOT_DIR,
            PATH_UNWRITABLE,
            SERVICE_USER_UNKNOWN,
            SPACE_EXHAUSTED,
            SPACE_LOW,
            SPACE_UNKNOWN,
            NONE,
            STALE,
            FUTURE,
            EMPTY,
            UNREADABLE,
            CORRUPT,
            MANIFEST_INVALID,
        ],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let src = Arc::clone(&ctx.config);
        let env = |name: &str| ctx.env.var(name);
        let settings = match settings(&src, &env) {
            Ok(s) => s,
            Err(e) => return e,
        };
        let Some((storage, _)) = settings.storage.clone().filter(|_| settings.enabled) else {
            return judge(spec, &src, &settings, None);
        };
        let service_user = spec.service_user.as_ref().map(|t| t.0.clone());
        let budget = spec.verify_max_bytes;
        // Verification stops well before the check's own timeout.
        let deadline = Instant::now() + ctx.timeout.mul_f64(0.6);
        let observed = tokio::task::spawn_blocking(move || {
            observe(&storage, service_user.as_deref(), budget, deadline)
        })
        .await;
        match observed {
            Ok(obs) => judge(spec, &src, &settings, Some(&obs)),
            Err(e) => {
                let mut eval = Evaluation::single(Finding::new(
                    &INTERNAL,
                    format!("the checkpoint check crashed: {e}"),
                    "report the bug with the JSON report attached",
                ));
                eval.cause = Some(Cause::Internal);
                eval
            }
        }
    }
}

/// The `checkpoint` settings as found in the config, with their nodes for locations.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// The `checkpoint` section, when present.
    pub section: Option<&'a Node>,
    pub enabled: bool,
    pub enabled_node: Option<&'a Node>,
    pub interval: Option<(u64, &'a Node)>,
    pub retention_hours: Option<(u64, &'a Node)>,
    /// The storage path, resolved (relative to the config file's directory, `${ENV}` expanded).
    pub storage: Option<(PathBuf, &'a Node)>,
    /// A `storage_path` that is an object-store or remote URL (`s3://`, `hdfs://`, `gs://`,
    /// `https://` ...): its scheme. Not a local directory, so not looked at here.
    pub remote: Option<(String, &'a Node)>,
}

/// The scheme of a URL-like storage path (`s3://bucket/x` → `s3`), if it is one.
pub fn remote_scheme(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once("://")?;
    let valid = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (valid && !rest.is_empty()).then(|| scheme.to_ascii_lowercase())
}

fn blocked(message: String) -> Evaluation {
    super::blocked(
        &BLOCKED,
        message,
        "fix the config checks first (config.syntax, config.schema, config.credentials)",
    )
}

fn invalid(src: &ConfigSource, pointer: &str, node: &Node, expected: &str) -> Evaluation {
    blocked(format!(
        "not judged: `{}` at {}:{} is not {expected}; config.schema reports it",
        dotted(pointer),
        src.display_path(),
        node.pos.line
    ))
}

/// Read the `checkpoint` settings. `Err` is the evaluation to report when they cannot be
/// judged (unreadable config, a value of the wrong type, an unset `${ENV}` path).
pub fn settings<'a>(
    src: &'a ConfigSource,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings<'a>, Evaluation> {
    let Some(tree) = src.tree() else {
        return Err(blocked("not run: the config is not readable YAML".into()));
    };
    let mut s = Settings {
        section: tree.pointer("/checkpoint"),
        enabled: false,
        enabled_node: None,
        interval: None,
        retention_hours: None,
        storage: None,
        remote: None,
    };
    if s.section.is_none() {
        return Ok(s);
    }
    match setting::bool_at(tree, "/checkpoint/enabled") {
        Setting::Present(v, n) => {
            s.enabled = v;
            s.enabled_node = Some(n);
        }
        Setting::Invalid(n) => {
            return Err(invalid(src, "/checkpoint/enabled", n, "true or false"));
        }
        Setting::Absent => {}
    }
    for (pointer, slot) in [
        ("/checkpoint/interval_seconds", &mut s.interval),
        ("/checkpoint/retention_hours", &mut s.retention_hours),
    ] {
        match setting::u64_at(tree, pointer) {
            Setting::Present(0, n) | Setting::Invalid(n) => {
                return Err(invalid(src, pointer, n, "a positive integer"));
            }
            Setting::Present(v, n) => *slot = Some((v, n)),
            Setting::Absent => {}
        }
    }
    match setting::str_at(tree, "/checkpoint/storage_path") {
        Setting::Present(raw, n) => {
            let value = match crate::config::env_ref(&raw) {
                Some(var) => match env(var) {
                    Some(v) => v,
                    None => {
                        return Err(blocked(format!(
                            "not judged: `checkpoint.storage_path` refers to ${{{var}}}, which is not set; config.credentials reports it"
                        )));
                    }
                },
                None => raw,
            };
            if value.trim().is_empty() {
                return Err(invalid(
                    src,
                    "/checkpoint/storage_path",
                    n,
                    "a non-empty path",
                ));
            }
            if let Some(scheme) = remote_scheme(&value) {
                s.remote = Some((scheme, n));
                return Ok(s);
            }
            let path = Path::new(&value);
            let resolved = if path.is_absolute() {
                path.to_path_buf()
            } else {
                src.path
                    .as_deref()
                    .and_then(Path::parent)
                    .map_or_else(|| path.to_path_buf(), |base| base.join(path))
            };
            s.storage = Some((resolved, n));
        }
        Setting::Invalid(n) => {
            return Err(invalid(src, "/checkpoint/storage_path", n, "a path string"));
        }
        Setting::Absent => {}
    }
    Ok(s)
}

fn at(src: &ConfigSource, node: Option<&Node>, f: Finding) -> Finding {
    match node {
        Some(n) => f.at(src.location(n.pos)),
        None => f,
    }
}

fn secs(s: u64) -> String {
    human::duration(Duration::from_secs(s))
}

/// Judge the settings and, when the storage was looked at, what was found.
pub fn judge(
    spec: &Spec,
    src: &ConfigSource,
    s: &Settings<'_>,
    obs: Option<&Observation>,
) -> Evaluation {
    let path = src.display_path();
    let mut findings = Vec::new();
    let mut evidence = Evidence::new();
    let mut eval = Evaluation::default();
    eval.facts
        .insert("checkpoint.enabled".into(), s.enabled.into());
    if let Some((v, _)) = s.interval {
        eval.facts
            .insert("checkpoint.interval_seconds".into(), v.into());
    }
    if let Some((v, _)) = s.retention_hours {
        eval.facts
            .insert("checkpoint.retention_hours".into(), v.into());
    }

    let line = |n: Option<&Node>| n.map_or(String::new(), |n| format!(":{}", n.pos.line));
    if !s.enabled {
        let f = if !spec.required {
            Finding::pass("checkpoints are disabled (not required by this suite)")
        } else if s.section.is_none() {
            Finding::new(
                &DISABLED,
                "no `checkpoint` section: the node writes no checkpoints, so a crash loses all progress",
                format!(
                    "add to {path}: `checkpoint: {{enabled: true, interval_seconds: 300, storage_path: /var/lib/open-autoglm/checkpoints, retention_hours: 72}}`"
                ),
            )
        } else {
            at(
                src,
                s.enabled_node.or(s.section),
                Finding::new(
                    &DISABLED,
                    "checkpoints are disabled (`checkpoint.enabled` is not true): a crash loses all progress",
                    format!(
                        "set `checkpoint.enabled: true` at {path}{}",
                        line(s.enabled_node.or(s.section))
                    ),
                ),
            )
        };
        eval.findings.push(f);
        return eval;
    }

    // Settings.
    let interval = s.interval.map(|(v, _)| v);
    match s.interval {
        None => findings.push(at(
            src,
            s.section,
            Finding::new(&SETTING_MISSING, "`checkpoint.interval_seconds` is not set: the checkpoint interval is the service's default, and staleness cannot be judged",
                format!("set `checkpoint.interval_seconds` in {path} (e.g. 300 for one checkpoint every 5 minutes)"),
            ),
        )),
        Some((v, n)) if v < spec.min_interval_seconds => {
            let per_day = 86_400 / v;
            let kept = s
                .retention_hours
                .map(|(h, _)| format!("; {h}h of retention keeps {}", h.saturating_mul(3600) / v))
                .unwrap_or_default();
            findings.push(at(
                src,
                Some(n),
                Finding::new(&INTERVAL_TOO_SHORT, format!("`checkpoint.interval_seconds` is {v}: {per_day} checkpoints a day{kept}, flooding the storage"),
                    format!(
                        "raise `checkpoint.interval_seconds` at {path}:{} to at least {} (or lower `min_interval_seconds` in the suite if the storage is sized for it)",
                        n.pos.line, spec.min_interval_seconds
                    ),
                )
                .with("interval_seconds", v),
            ));
        }
        Some((v, n)) if v > spec.max_interval_seconds => findings.push(at(
            src,
            Some(n),
            Finding::new(&INTERVAL_TOO_LONG, format!("`checkpoint.interval_seconds` is {v}: a crash loses up to {} of work", secs(v)),
                format!(
                    "lower `checkpoint.interval_seconds` at {path}:{} to at most {}",
                    n.pos.line, spec.max_interval_seconds
                ),
            )
            .with("interval_seconds", v),
        )),
        Some(_) => {}
    }
    match (s.retention_hours, interval) {
        (None, _) => findings.push(at(
            src,
            s.section,
            Finding::new(&SETTING_MISSING, "`checkpoint.retention_hours` is not set: how many checkpoints are kept is the service's default",
                format!("set `checkpoint.retention_hours` in {path} (e.g. 72)"),
            ),
        )),
        (Some((h, n)), Some(iv)) => {
            let window = h.saturating_mul(3600);
            let need = u64::from(spec.min_retention_intervals).saturating_mul(iv);
            if window < need {
                let hours = need.div_ceil(3600);
                findings.push(at(
                    src,
                    Some(n),
                    Finding::new(&RETENTION_TOO_SHORT, format!(
                            "`checkpoint.retention_hours` {h} keeps {} checkpoint(s) at an interval of {}; at least {} are needed so a damaged newest checkpoint has one to fall back to",
                            window / iv,
                            secs(iv),
                            spec.min_retention_intervals
                        ),
                        format!(
                            "set `checkpoint.retention_hours` at {path}:{} to at least {hours} ({} intervals of {})",
                            n.pos.line,
                            spec.min_retention_intervals,
                            secs(iv)
                        ),
                    )
                    .with("retention_hours", h)
                    .with("interval_seconds", iv),
                ));
            }
        }
        (Some(_), None) => {}
    }
    if let Some((scheme, node)) = &s.remote {
        // The URL may carry credentials: only its scheme is shown.
        evidence.insert("storage_path".into(), format!("{scheme}://…").into());
        findings.push(at(
            src,
            Some(node),
            Finding::pass(format!(
                "`checkpoint.storage_path` is remote storage ({scheme}://…): not checked from this node's file system (its directory, space and newest checkpoint are the store's); the `checkpoint-store` check (recovery.checkpoint-store) probes the store"
            )),
        ));
        return finish(eval, findings, evidence);
    }
    let Some((storage, storage_node)) = &s.storage else {
        findings.push(at(
            src,
            s.section,
            Finding::new(&PATH_UNSET, "checkpoints are enabled but `checkpoint.storage_path` is not set",
                format!("set `checkpoint.storage_path` in {path} to a directory owned by the service account, e.g. /var/lib/open-autoglm/checkpoints"),
            ),
        ));
        return finish(eval, findings, evidence);
    };
    let shown = storage.display().to_string();
    evidence.insert("storage_path".into(), shown.clone().into());
    let Some(obs) = obs else {
        return finish(eval, findings, evidence);
    };

    let (account, user_label) = match &obs.service {
        Service::Account(a) => (Some(a), a.name.clone()),
        Service::Doctor(a) if !a.is_root() => (Some(a), a.name.clone()),
        Service::Doctor(_) => {
            findings.push(Finding::new(&SERVICE_USER_UNKNOWN, "no `service_user` in the suite and the doctor runs as root, which may write anywhere: access for the service account is not verified",
                "set `service_user` for this check in the suite to the account the service runs as (e.g. `service_user: open-autoglm`; see `systemctl show -p User open-autoglm`)",
            ));
            (None, "the service account".to_string())
        }
        Service::Unknown { name, why } => {
            findings.push(
                Finding::new(&SERVICE_USER_UNKNOWN, format!("service account `{name}` {why}: access for it is not verified"),
                    format!(
                        "set `service_user` in the suite to the account the service runs as, or its numeric uid (`getent passwd {name}` shows accounts from LDAP/SSSD)"
                    ),
                )
                .with("service_user", name.clone()),
            );
            (None, name.clone())
        }
    };
    if let Some(a) = account {
        evidence.insert("service_user".into(), a.name.clone().into());
        evidence.insert("service_uid".into(), a.uid.into());
    }
    let chown = format!("chown {user_label}: {shown} && chmod u+rwx {shown}");

    let dir = match &obs.storage {
        Storage::Missing => {
            findings.push(at(
                src,
                Some(storage_node),
                Finding::new(&PATH_MISSING, format!("checkpoint storage {shown} does not exist: no checkpoint can be written"),
                    format!(
                        "create it for the service: `mkdir -p {shown} && chown {user_label}: {shown} && chmod 0750 {shown}`, or correct `checkpoint.storage_path` at {path}:{}",
                        storage_node.pos.line
                    ),
                ),
            ));
            return finish(eval, findings, evidence);
        }
        Storage::NotDir(what) => {
            findings.push(at(
                src,
                Some(storage_node),
                Finding::new(&PATH_NOT_DIR, format!("checkpoint storage {shown} is {what}, not a directory"),
                    format!(
                        "point `checkpoint.storage_path` at {path}:{} at a directory (and move {shown} out of the way)",
                        storage_node.pos.line
                    ),
                ),
            ));
            return finish(eval, findings, evidence);
        }
        Storage::Inaccessible(e) => {
            findings.push(at(
                src,
                Some(storage_node),
                Finding::new(&UNREADABLE, format!("checkpoint storage {shown} cannot be inspected: {e}"),
                    format!("make {shown} and the directories above it accessible (run the doctor as root or as the service account)"),
                ),
            ));
            return finish(eval, findings, evidence);
        }
        Storage::Dir(d) => d,
    };

    // Access for the service account.
    let read_only = dir.space.as_ref().is_ok_and(|s| s.read_only);
    if read_only {
        findings.push(Finding::new(&PATH_UNWRITABLE, format!("checkpoint storage {shown} is on a read-only file system"),
            format!("remount the file system holding {shown} read-write (`findmnt -T {shown}` shows it), or move `checkpoint.storage_path` to a writable one"),
        ));
    } else if let Some(a) = account {
        let blocked_at = dir
            .ancestors
            .iter()
            .find(|(_, p)| !account::permits(a, *p, Want::SEARCH));
        if let Some((anc, p)) = blocked_at {
            findings.push(
                Finding::new(&PATH_UNWRITABLE, format!(
                        "{a} cannot reach {shown}: {} is {p} and its {} class has no search (x) permission",
                        anc.display(),
                        account::class(a, *p)
                    ),
                    format!(
                        "allow {} to traverse {}, e.g. `chmod o+x {}` or add the account to group {}",
                        a.name,
                        anc.display(),
                        anc.display(),
                        p.gid
                    ),
                )
                .with("directory", anc.display().to_string())
                .with("mode", format!("{:04o}", p.mode)),
            );
        } else if !account::permits(a, dir.perm, Want::CREATE) {
            findings.push(
                Finding::new(&PATH_UNWRITABLE, format!(
                        "{a} cannot create checkpoints in {shown}: it is {} and the {} class lacks write and search (wx) permission",
                        dir.perm,
                        account::class(a, dir.perm)
                    ),
                    format!("give the service account the directory: `{chown}`"),
                )
                .with("mode", format!("{:04o}", dir.perm.mode)),
            );
        } else if !account::permits(a, dir.perm, Want::LIST) {
            findings.push(Finding::new(&UNREADABLE, format!(
                    "{a} may write to {shown} but not list it ({}): recovery cannot find its checkpoints",
                    dir.perm
                ),
                format!("run `chmod u+rx {shown}` as its owner, {user_label}"),
            ));
        } else {
            findings.push(Finding::pass(format!(
                "{shown} is writable by {a} (as {})",
                account::class(a, dir.perm)
            )));
        }
    }

    let listing = match &dir.listing {
        Ok(l) => l,
        Err(e) => {
            findings.push(Finding::new(&UNREADABLE, format!("checkpoint storage {shown}: {e}"),
                format!("make {shown} readable and searchable (r-x) by the doctor and the service account"),
            ));
            return finish(eval, findings, evidence);
        }
    };
    evidence.insert("checkpoints".into(), listing.checkpoints.len().into());
    let total: u64 = listing.checkpoints.iter().map(|c| c.bytes).sum();
    evidence.insert("total_bytes".into(), total.into());
    let interval_phrase =
        interval.map_or_else(String::new, |iv| format!(" (interval {})", secs(iv)));
    let Some(newest) = listing.checkpoints.first() else {
        findings.push(Finding::new(&NONE, format!("no checkpoint in {shown}{interval_phrase}: recovery would start from nothing"),
            format!(
                "if the service started less than {} ago, wait for its first checkpoint; otherwise check that it runs (`systemctl status open-autoglm`) and look for checkpoint write errors in its log (recovery.log-scan)",
                interval.map_or_else(|| "one interval".to_string(), secs)
            ),
        ));
        space_findings(
            &mut findings,
            &mut evidence,
            dir,
            account,
            listing,
            s,
            &shown,
        );
        return finish(eval, findings, evidence);
    };
    let previous = listing.checkpoints.get(1);
    let age_of = |e: &Entry| obs.now.duration_since(e.mtime).unwrap_or(Duration::ZERO);
    let age = age_of(newest);
    let fallback = previous.map_or_else(
        || "no older checkpoint exists".to_string(),
        |p| {
            format!(
                "recovery would fall back to {} ({} old)",
                p.name,
                human::duration(age_of(p))
            )
        },
    );
    evidence.insert("newest".into(), newest.name.clone().into());
    evidence.insert("newest_age_seconds".into(), age.as_secs().into());
    evidence.insert("newest_bytes".into(), newest.bytes.into());

    // Age.
    if let Ok(ahead) = newest.mtime.duration_since(obs.now)
        && ahead > FUTURE_SLACK
    {
        findings.push(Finding::new(&FUTURE, format!("newest checkpoint {} is dated {} in the future", newest.name, human::duration(ahead)),
            format!("check this node's clock with the time checks (and `timedatectl`): checkpoint ages in {shown} cannot be trusted until it is right"),
        ));
    } else if let Some(iv) = interval {
        let limit = Duration::from_secs(iv.saturating_mul(u64::from(spec.max_age_intervals)));
        #[allow(clippy::cast_precision_loss)] // a ratio for a message
        let intervals = age.as_secs_f64() / iv as f64;
        if age > limit {
            findings.push(
                Finding::new(&STALE, format!(
                        "newest checkpoint {} is {} old: {intervals:.1} intervals of {} (interval_seconds {iv}; at most {} allowed); recovery would roll back {}",
                        newest.name,
                        human::duration(age),
                        secs(iv),
                        spec.max_age_intervals,
                        human::duration(age)
                    ),
                    format!(
                        "find why checkpoints stopped after {}: check that the service runs (`systemctl status open-autoglm`), look for checkpoint write errors in its log (recovery.log-scan), and check free space on {shown}; a new checkpoint is due every {}",
                        newest.name,
                        secs(iv)
                    ),
                )
                .with("age_seconds", age.as_secs())
                .with("interval_seconds", iv)
                .with("max_age_intervals", spec.max_age_intervals),
            );
        } else {
            findings.push(Finding::pass(format!(
                "newest checkpoint {} is {} old (interval {})",
                newest.name,
                human::duration(age),
                secs(iv)
            )));
        }
    } else {
        findings.push(Finding::pass(format!(
            "newest checkpoint {} is {} old",
            newest.name,
            human::duration(age)
        )));
    }

    // Content of the newest checkpoint.
    if newest.bytes == 0 {
        findings.push(Finding::new(&EMPTY, format!("newest checkpoint {} is empty (0 bytes)", newest.name),
            format!(
                "do not restore from {}: move it aside (`mv {shown}/{} {shown}/.empty-{}`) so that {fallback}; then find why the write was cut short (full disk, crash)",
                newest.name, newest.name, newest.name
            ),
        ));
    }
    if let Some(n) = &listing.newest {
        content_findings(&mut findings, n, newest, account, &shown, &fallback);
    }
    space_findings(
        &mut findings,
        &mut evidence,
        dir,
        account,
        listing,
        s,
        &shown,
    );
    finish(eval, findings, evidence)
}

fn content_findings(
    findings: &mut Vec<Finding>,
    n: &Newest,
    newest: &Entry,
    account: Option<&Account>,
    shown: &str,
    fallback: &str,
) {
    if let Some((file, e)) = n.unreadable.first() {
        let more = if n.unreadable.len() > 1 {
            format!(" (and {} more)", n.unreadable.len() - 1)
        } else {
            String::new()
        };
        findings.push(
            Finding::new(&UNREADABLE, format!("{shown}/{file} of the newest checkpoint cannot be read: {e}{more}"),
                format!("check the disk holding {shown} (`dmesg` for I/O errors) and the file's permissions; until then {fallback}"),
            )
            .with("file", file.clone()),
        );
    }
    if let Some(a) = account {
        let dir_blocked = n
            .dir_perm
            .filter(|p| !account::permits(a, *p, Want::LIST))
            .map(|p| (newest.name.clone(), p, "list"));
        let file_blocked = n
            .files
            .iter()
            .find(|(_, p)| !account::permits(a, *p, Want::READ))
            .map(|(f, p)| (f.clone(), *p, "read"));
        if let Some((what, p, verb)) = dir_blocked.or(file_blocked) {
            findings.push(
                Finding::new(&UNREADABLE, format!(
                        "{a} cannot {verb} {shown}/{what} of the newest checkpoint ({p}, {} class): recovery would fail to load it",
                        account::class(a, p)
                    ),
                    format!("run `chown -R {}: {shown}/{}` so the service can read its checkpoint", a.name, newest.name),
                )
                .with("file", what),
            );
        }
    }
    match &n.verification {
        None => findings.push(Finding::pass(format!(
            "newest checkpoint {} has no {MANIFEST}: readable, contents not verified",
            newest.name
        ))),
        Some(v) => {
            if !v.mismatched.is_empty() || !v.missing.is_empty() {
                let mut parts: Vec<String> = v
                    .mismatched
                    .iter()
                    .take(3)
                    .map(|(f, want, got)| {
                        format!(
                            "{f} has sha256 {}…, manifest says {}…",
                            &got[..12.min(got.len())],
                            &want[..12.min(want.len())]
                        )
                    })
                    .collect();
                if !v.missing.is_empty() {
                    parts.push(format!(
                        "{} listed file(s) missing ({})",
                        v.missing.len(),
                        v.missing
                            .iter()
                            .take(3)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                findings.push(
                    Finding::new(&CORRUPT, format!(
                            "newest checkpoint {} does not match {}: {}",
                            newest.name,
                            v.manifest,
                            parts.join("; ")
                        ),
                        format!(
                            "do not restore from {}: move it aside (`mv {shown}/{} {shown}/.corrupt-{}`) so that {fallback}; then find why it was damaged (`dmesg` for disk errors, a full disk or a crash during the write)",
                            newest.name, newest.name, newest.name
                        ),
                    )
                    .with("mismatched", v.mismatched.len())
                    .with("missing", v.missing.len()),
                );
            }
            if !v.malformed.is_empty() || !v.outside.is_empty() {
                let what = if v.outside.is_empty() {
                    format!(
                        "line(s) {} are not `<sha256>  <path>`",
                        join_numbers(&v.malformed)
                    )
                } else {
                    format!(
                        "it names paths outside the checkpoint ({}), which are not read",
                        v.outside
                            .iter()
                            .take(3)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                findings.push(Finding::new(&MANIFEST_INVALID, format!("{shown}/{}: {what}", v.manifest),
                    format!(
                        "regenerate it from inside the checkpoint: `cd {shown}/{} && find . -type f ! -name {MANIFEST} -exec sha256sum {{}} + > {MANIFEST}`",
                        if newest.is_dir { newest.name.as_str() } else { "." }
                    ),
                ));
            }
            if v.mismatched.is_empty() && v.missing.is_empty() {
                let budget = if v.over_budget > 0 {
                    format!(
                        "; {} not hashed (the check's byte or time budget ran out: raise `verify_max_bytes` or `timeout`)",
                        v.over_budget
                    )
                } else {
                    String::new()
                };
                findings.push(Finding::pass(if v.listed == 0 {
                    format!(
                        "{} lists nothing for newest checkpoint {}: contents not verified",
                        v.manifest, newest.name
                    )
                } else {
                    format!(
                        "newest checkpoint {} matches {} ({} of {} files verified{budget})",
                        newest.name, v.manifest, v.verified, v.listed
                    )
                }));
            }
        }
    }
}

fn join_numbers(n: &[usize]) -> String {
    let mut s: Vec<String> = n.iter().take(5).map(ToString::to_string).collect();
    if n.len() > 5 {
        s.push("…".into());
    }
    s.join(", ")
}

fn space_findings(
    findings: &mut Vec<Finding>,
    evidence: &mut Evidence,
    dir: &DirState,
    account: Option<&Account>,
    listing: &Listing,
    s: &Settings<'_>,
    shown: &str,
) {
    let space = match &dir.space {
        Ok(space) => space,
        Err(e) => {
            findings.push(Finding::new(
                &SPACE_UNKNOWN,
                format!("free space of {shown} could not be measured: {e}"),
                format!("check it by hand: `df -h {shown}` and `df -i {shown}`"),
            ));
            return;
        }
    };
    // Root may use the reserved blocks; everyone else only what statvfs calls available.
    let root = account.is_some_and(Account::is_root);
    let free = if root {
        space.free_bytes
    } else {
        space.avail_bytes
    };
    evidence.insert("free_bytes".into(), free.into());
    if space.total_inodes > 0 && space.avail_inodes == 0 {
        findings.push(Finding::new(&SPACE_EXHAUSTED, format!("the file system holding {shown} has no free inodes: no new checkpoint file can be created"),
            format!("delete unneeded files on that file system (`df -i {shown}` shows it)"),
        ));
        return;
    }
    // The next checkpoint is taken to be as large as the largest of the last three.
    let Some(next) = listing.checkpoints.iter().take(3).map(|c| c.bytes).max() else {
        findings.push(Finding::pass(format!(
            "{} free on {shown}",
            human::bytes(free)
        )));
        return;
    };
    let current: u64 = listing.checkpoints.iter().map(|c| c.bytes).sum();
    if free < next {
        findings.push(
            Finding::new(&SPACE_EXHAUSTED, format!(
                    "{} free on {shown}, but the next checkpoint needs about {} (the size of the recent ones)",
                    human::bytes(free),
                    human::bytes(next)
                ),
                format!(
                    "free at least {} on the file system holding {shown} (`df -h {shown}`), or move `checkpoint.storage_path` to a larger one",
                    human::bytes(next - free)
                ),
            )
            .with("free_bytes", free)
            .with("checkpoint_bytes", next),
        );
        return;
    }
    if let (Some((iv, _)), Some((h, _))) = (s.interval, s.retention_hours) {
        let count = h.saturating_mul(3600).div_ceil(iv);
        let window = count.saturating_mul(next);
        let more = window.saturating_sub(current);
        if free < more {
            findings.push(
                Finding::new(&SPACE_LOW, format!(
                        "{} free on {shown}; a full retention window ({count} checkpoints of about {} over {h}h) needs {} more",
                        human::bytes(free),
                        human::bytes(next),
                        human::bytes(more)
                    ),
                    format!(
                        "add {} of space to the file system holding {shown}, or shorten `checkpoint.retention_hours` / lengthen `checkpoint.interval_seconds`",
                        human::bytes(more - free)
                    ),
                )
                .with("free_bytes", free)
                .with("window_bytes", window),
            );
            return;
        }
    }
    findings.push(Finding::pass(format!(
        "{} free on {shown} (checkpoints of about {})",
        human::bytes(free),
        human::bytes(next)
    )));
}

fn finish(mut eval: Evaluation, findings: Vec<Finding>, evidence: Evidence) -> Evaluation {
    eval.findings = findings;
    eval.evidence = evidence;
    if eval.findings.is_empty() {
        eval.findings
            .push(Finding::pass("checkpoint settings are sensible"));
    }
    let problems = eval
        .findings
        .iter()
        .filter(|f| f.status == eval.status())
        .count();
    if eval.status() > Status::Pass && problems > 1 {
        let first = eval.worst().map(|f| f.message.clone()).unwrap_or_default();
        eval.message = Some(format!("{problems} checkpoint problems; first: {first}"));
    } else if eval.status() == Status::Pass {
        // The age finding says the most: lead with it.
        if let Some(f) = eval
            .findings
            .iter()
            .find(|f| f.message.starts_with("newest checkpoint"))
        {
            eval.message = Some(f.message.clone());
        }
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::account::Perm;
    use crate::probe::checkpoint_dir::Verification;
    use crate::probe::disk::Space;
    use std::time::SystemTime;

    const HOUR: u64 = 3600;

    fn spec() -> Spec {
        serde_json::from_value(serde_json::json!({})).unwrap()
    }

    fn config(body: &str) -> ConfigSource {
        ConfigSource::from_text("/etc/open-autoglm/config.yaml", body)
    }

    const GOOD: &str = "checkpoint:\n  enabled: true\n  interval_seconds: 300\n  storage_path: /data/ckpt\n  retention_hours: 72\n";

    fn svc() -> Account {
        Account {
            name: "open-autoglm".into(),
            uid: 998,
            gids: vec![997],
        }
    }

    fn space(avail: u64) -> Space {
        Space {
            avail_bytes: avail,
            free_bytes: avail,
            total_bytes: 1 << 40,
            avail_inodes: 1000,
            total_inodes: 100_000,
            read_only: false,
        }
    }

    /// A healthy storage: owned by the service, three checkpoints of 1 MiB, the newest
    /// `newest_age` old, plenty of space.
    fn obs(newest_age: u64) -> Observation {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let entry = |name: &str, age: u64| Entry {
            name: name.into(),
            mtime: now - Duration::from_secs(age),
            bytes: 1 << 20,
            files: 2,
            is_dir: true,
        };
        let owned = Perm {
            mode: 0o750,
            uid: 998,
            gid: 997,
        };
        Observation {
            now,
            service: Service::Account(svc()),
            storage: Storage::Dir(Box::new(DirState {
                perm: owned,
                ancestors: vec![
                    (
                        PathBuf::from("/"),
                        Perm {
                            mode: 0o755,
                            uid: 0,
                            gid: 0,
                        },
                    ),
                    (
                        PathBuf::from("/data"),
                        Perm {
                            mode: 0o755,
                            uid: 0,
                            gid: 0,
                        },
                    ),
                ],
                space: Ok(space(1 << 40)),
                listing: Ok(Listing {
                    checkpoints: vec![
                        entry("step-000120", newest_age),
                        entry("step-000119", newest_age + 300),
                        entry("step-000118", newest_age + 600),
                    ],
                    truncated: false,
                    newest: Some(Newest {
                        dir_perm: Some(owned),
                        files: vec![(
                            "step-000120/model.bin".into(),
                            Perm {
                                mode: 0o640,
                                uid: 998,
                                gid: 997,
                            },
                        )],
                        unreadable: vec![],
                        verification: Some(Verification {
                            manifest: format!("step-000120/{MANIFEST}"),
                            listed: 1,
                            verified: 1,
                            ..Verification::default()
                        }),
                    }),
                }),
            })),
        }
    }

    fn dir_mut(o: &mut Observation) -> &mut DirState {
        match &mut o.storage {
            Storage::Dir(d) => d,
            _ => unreachable!(),
        }
    }

    fn listing_mut(o: &mut Observation) -> &mut Listing {
        dir_mut(o).listing.as_mut().unwrap()
    }

    fn run(cfg: &str, o: Option<&Observation>) -> Evaluation {
        let src = config(cfg);
        let s = settings(&src, &|_| None).unwrap();
        judge(&spec(), &src, &s, o)
    }

    fn codes(e: &Evaluation) -> Vec<String> {
        e.findings
            .iter()
            .filter_map(|f| f.code_name().map(String::from))
            .collect()
    }

    #[test]
    fn healthy_storage_passes_and_publishes_settings() {
        let e = run(GOOD, Some(&obs(120)));
        assert_eq!(e.status(), Status::Pass, "{e:#?}");
        assert_eq!(
            e.message.as_deref(),
            Some("newest checkpoint step-000120 is 2m old (interval 5m)")
        );
        assert_eq!(e.facts["checkpoint.interval_seconds"], 300);
        assert_eq!(e.evidence["newest_age_seconds"], 120);
    }

    #[test]
    fn ten_intervals_old_is_stale_and_names_age_and_interval() {
        let e = run(GOOD, Some(&obs(3000)));
        assert_eq!(codes(&e), ["checkpoint.stale"]);
        let f = e.worst().unwrap();
        assert!(
            f.message
                .contains("is 50m old: 10.0 intervals of 5m (interval_seconds 300"),
            "{}",
            f.message
        );
        assert!(f.remediation.as_ref().unwrap().contains("due every 5m"));
        // Exactly at the limit is not stale.
        assert_eq!(run(GOOD, Some(&obs(900))).status(), Status::Pass);
    }

    #[test]
    fn settings_cases() {
        let cases: &[(&str, &[&str])] = &[
            ("checkpoint:\n  enabled: false\n", &["checkpoint.disabled"]),
            ("node: {}\n", &["checkpoint.disabled"]),
            (
                "checkpoint:\n  enabled: true\n  interval_seconds: 5\n  storage_path: /d\n  retention_hours: 72\n",
                &["checkpoint.interval-too-short"],
            ),
            // The common 30 s is not flooding; object stores are not local directories.
            (
                "checkpoint:\n  enabled: true\n  interval_seconds: 30\n  storage_path: /d\n  retention_hours: 72\n",
                &[],
            ),
            (
                "checkpoint:\n  enabled: true\n  interval_seconds: 30\n  storage_path: s3://bucket/ckpt\n  retention_hours: 72\n",
                &[],
            ),
            (
                "checkpoint:\n  enabled: true\n  interval_seconds: 300\n  storage_path: hdfs://namenode:8020/ckpt\n  retention_hours: 72\n",
                &[],
            ),
            (
                "checkpoint:\n  enabled: true\n  interval_seconds: 7200\n  storage_path: /d\n  retention_hours: 72\n",
                &["checkpoint.interval-too-long"],
            ),
            (
                "checkpoint:\n  enabled: true\n  interval_seconds: 3600\n  storage_path: /d\n  retention_hours: 2\n",
                &["checkpoint.retention-too-short"],
            ),
            (
                "checkpoint:\n  enabled: true\n  storage_path: /d\n",
                &["checkpoint.setting-missing", "checkpoint.setting-missing"],
            ),
            (
                "checkpoint:\n  enabled: true\n  interval_seconds: 300\n  retention_hours: 72\n",
                &["checkpoint.path-unset"],
            ),
        ];
        for (cfg, want) in cases {
            assert_eq!(codes(&run(cfg, None)), *want, "{cfg}");
        }
        let e = run(
            "checkpoint:\n  enabled: true\n  interval_seconds: 3600\n  storage_path: /d\n  retention_hours: 2\n",
            None,
        );
        let f = e.worst().unwrap();
        assert_eq!(f.location.as_ref().unwrap().line, 5);
        assert!(
            f.remediation
                .as_ref()
                .unwrap()
                .contains("to at least 3 (3 intervals of 1h)"),
            "{f:?}"
        );
        let lenient = Spec {
            required: false,
            ..spec()
        };
        let src = config("checkpoint:\n  enabled: false\n");
        let s = settings(&src, &|_| None).unwrap();
        assert_eq!(judge(&lenient, &src, &s, None).status(), Status::Pass);
    }

    #[test]
    fn wrong_types_are_not_judged() {
        let src = config("checkpoint:\n  enabled: true\n  interval_seconds: \"300\"\n");
        let e = settings(&src, &|_| None).unwrap_err();
        assert_eq!(e.status(), Status::Skip);
        assert!(
            e.findings[0]
                .message
                .contains("`checkpoint.interval_seconds` at /etc/open-autoglm/config.yaml:3")
        );
    }

    #[test]
    fn relative_and_env_storage_paths() {
        let src = config("checkpoint:\n  enabled: true\n  storage_path: ckpt\n");
        let s = settings(&src, &|_| None).unwrap();
        assert_eq!(
            s.storage.unwrap().0,
            PathBuf::from("/etc/open-autoglm/ckpt")
        );
        let src = config("checkpoint:\n  enabled: true\n  storage_path: ${CKPT}\n");
        let s = settings(&src, &|_| Some("/x".into())).unwrap();
        assert_eq!(s.storage.unwrap().0, PathBuf::from("/x"));
        assert!(settings(&src, &|_| None).is_err());
    }

    #[test]
    fn storage_cases() {
        type Mutate = fn(&mut Observation);
        let cases: &[(&str, Mutate, &[&str])] = &[
            (
                "missing",
                |o| o.storage = Storage::Missing,
                &["checkpoint.path-missing"],
            ),
            (
                "a file",
                |o| o.storage = Storage::NotDir("a regular file"),
                &["checkpoint.path-not-dir"],
            ),
            (
                "owned by root 0755",
                |o| {
                    dir_mut(o).perm = Perm {
                        mode: 0o755,
                        uid: 0,
                        gid: 0,
                    };
                },
                &["checkpoint.path-unwritable"],
            ),
            (
                "group-writable for the service group",
                |o| {
                    dir_mut(o).perm = Perm {
                        mode: 0o770,
                        uid: 0,
                        gid: 997,
                    };
                },
                &[],
            ),
            (
                "ancestor not searchable",
                |o| {
                    dir_mut(o).ancestors[1].1 = Perm {
                        mode: 0o700,
                        uid: 0,
                        gid: 0,
                    };
                },
                &["checkpoint.path-unwritable"],
            ),
            (
                "read-only fs",
                |o| {
                    dir_mut(o).space = Ok(Space {
                        read_only: true,
                        ..space(1 << 40)
                    });
                },
                &["checkpoint.path-unwritable"],
            ),
            (
                "unknown user",
                |o| {
                    o.service = Service::Unknown {
                        name: "open-autoglm".into(),
                        why: "not found in /etc/passwd".into(),
                    };
                },
                &["checkpoint.service-user-unknown"],
            ),
            (
                "doctor as root",
                |o| {
                    o.service = Service::Doctor(Account {
                        name: "root".into(),
                        uid: 0,
                        gids: vec![0],
                    });
                },
                &["checkpoint.service-user-unknown"],
            ),
            (
                "empty dir",
                |o| {
                    let l = listing_mut(o);
                    l.checkpoints.clear();
                    l.newest = None;
                },
                &["checkpoint.none"],
            ),
            (
                "unlistable",
                |o| dir_mut(o).listing = Err("cannot list it: Permission denied".into()),
                &["checkpoint.unreadable"],
            ),
            (
                "future",
                |o| listing_mut(o).checkpoints[0].mtime = o.now + Duration::from_secs(HOUR),
                &["checkpoint.future"],
            ),
            (
                "empty newest",
                |o| listing_mut(o).checkpoints[0].bytes = 0,
                &["checkpoint.empty"],
            ),
            (
                "corrupt",
                |o| {
                    let v = listing_mut(o)
                        .newest
                        .as_mut()
                        .unwrap()
                        .verification
                        .as_mut()
                        .unwrap();
                    v.verified = 0;
                    v.mismatched.push((
                        "step-000120/model.bin".into(),
                        "a".repeat(64),
                        "b".repeat(64),
                    ));
                },
                &["checkpoint.corrupt"],
            ),
            (
                "listed file missing",
                |o| {
                    let v = listing_mut(o)
                        .newest
                        .as_mut()
                        .unwrap()
                        .verification
                        .as_mut()
                        .unwrap();
                    v.missing.push("step-000120/optimizer.bin".into());
                },
                &["checkpoint.corrupt"],
            ),
            (
                "malformed manifest",
                |o| {
                    listing_mut(o)
                        .newest
                        .as_mut()
                        .unwrap()
                        .verification
                        .as_mut()
                        .unwrap()
                        .malformed
                        .push(3);
                },
                &["checkpoint.manifest-invalid"],
            ),
            (
                "unreadable by the doctor",
                |o| {
                    listing_mut(o)
                        .newest
                        .as_mut()
                        .unwrap()
                        .unreadable
                        .push(("step-000120/model.bin".into(), "Input/output error".into()));
                },
                &["checkpoint.unreadable"],
            ),
            (
                "unreadable by the service",
                |o| {
                    listing_mut(o).newest.as_mut().unwrap().files[0].1 = Perm {
                        mode: 0o600,
                        uid: 0,
                        gid: 0,
                    };
                },
                &["checkpoint.unreadable"],
            ),
            (
                "no room for the next",
                |o| dir_mut(o).space = Ok(space(1000)),
                &["checkpoint.space-exhausted"],
            ),
            (
                "no room for the window",
                |o| dir_mut(o).space = Ok(space(100 << 20)),
                &["checkpoint.space-low"],
            ),
            (
                "no inodes",
                |o| {
                    dir_mut(o).space = Ok(Space {
                        avail_inodes: 0,
                        ..space(1 << 40)
                    });
                },
                &["checkpoint.space-exhausted"],
            ),
            (
                "statvfs failed",
                |o| dir_mut(o).space = Err("Permission denied".into()),
                &["checkpoint.space-unknown"],
            ),
        ];
        for (name, mutate, want) in cases {
            let mut o = obs(60);
            mutate(&mut o);
            let e = run(GOOD, Some(&o));
            assert_eq!(codes(&e), *want, "{name}: {e:#?}");
            for f in &e.findings {
                if f.status > Status::Pass {
                    assert!(
                        f.remediation.as_ref().is_some_and(|r| r.len() > 20),
                        "{name}"
                    );
                }
            }
        }
    }

    #[test]
    fn unwritable_message_names_modes_and_class() {
        let mut o = obs(60);
        dir_mut(&mut o).perm = Perm {
            mode: 0o755,
            uid: 0,
            gid: 0,
        };
        let e = run(GOOD, Some(&o));
        let f = e.worst().unwrap();
        assert_eq!(
            f.message,
            "open-autoglm (uid 998) cannot create checkpoints in /data/ckpt: it is mode 0755, owner uid 0 gid 0 and the other class lacks write and search (wx) permission"
        );
        assert_eq!(
            f.remediation.as_deref(),
            Some(
                "give the service account the directory: `chown open-autoglm: /data/ckpt && chmod u+rwx /data/ckpt`"
            )
        );
    }

    #[test]
    fn corrupt_newest_names_the_fallback() {
        let mut o = obs(60);
        listing_mut(&mut o)
            .newest
            .as_mut()
            .unwrap()
            .verification
            .as_mut()
            .unwrap()
            .mismatched
            .push((
                "step-000120/model.bin".into(),
                "a".repeat(64),
                "b".repeat(64),
            ));
        let e = run(GOOD, Some(&o));
        let f = e.worst().unwrap();
        assert!(
            f.message.contains(
                "step-000120/model.bin has sha256 bbbbbbbbbbbb…, manifest says aaaaaaaaaaaa…"
            ),
            "{}",
            f.message
        );
        assert!(
            f.remediation
                .as_ref()
                .unwrap()
                .contains("recovery would fall back to step-000119 (6m old)"),
            "{f:?}"
        );
    }
}
