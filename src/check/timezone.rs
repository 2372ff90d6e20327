//! `timezone`: the node's time zone against the one the config names (`time.timezone`).
//! Zones are compared by name, with aliases (`UTC`/`Etc/UTC`, `Asia/Calcutta`/`Asia/Kolkata`)
//! recognised through the zoneinfo files they share.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::probe::fs;
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The zone the node should use (e.g. `${config.time.timezone:-}`); empty: only report.
    #[serde(default)]
    pub expected: Option<Text>,
}

super::generated_codes!("timezone");

/// The node's time zone differs from `time.timezone` in the config.
pub const MISMATCH: Code = Code::new(
    "timezone.mismatch",
    Status::Warn,
    "The node's time zone differs from `time.timezone` in the config.",
    "Set the node's zone to the configured one (`timedatectl set-timezone ZONE`), or correct `time.timezone`.",
);

/// The node's config names another time zone than the master's config (with --master-config).
pub const MASTER_MISMATCH: Code = Code::new(
    "timezone.master-mismatch",
    Status::Warn,
    "The node's config names another time zone than the master's config (with --master-config).",
    "Use one zone across the cluster: align `time.timezone` with the master's.",
);

/// The node's time zone cannot be determined (no TZ, no /etc/localtime link, no /etc/timezone).
pub const UNKNOWN: Code = Code::new(
    "timezone.unknown",
    Status::Warn,
    "The node's time zone cannot be determined (no TZ, no /etc/localtime link, no /etc/timezone).",
    "Set the zone explicitly (`timedatectl set-timezone ZONE`).",
);

pub struct Kind;

const ZONEINFO: &str = "/usr/share/zoneinfo";

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "timezone",
        category: "time",
        summary: "The node's time zone is the one the config names (time.timezone)",
        explain: "What it checks: the node's time zone — `TZ` in the doctor's environment, else the target of the /etc/localtime link, else /etc/timezone — against `time.timezone` of the node config. Names that are aliases of one zone (`UTC` and `Etc/UTC`, `Asia/Calcutta` and `Asia/Kolkata`) match: they are recognised by sharing a zoneinfo file. A mismatch is a warning naming both zones. With `--master-config`, the zone the master's config names is compared too (a warning when they differ).\n\nWhy it matters: timestamps are exchanged in UTC, but logs, cron-like schedules (checkpoint times, retention windows) and anything that formats local time differ between nodes in different zones; after a DST change a node in another zone is an hour off in every human-readable time.\n\nHow to fix: set the zone the config names (`timedatectl set-timezone Asia/Shanghai`, or link /etc/localtime to /usr/share/zoneinfo/ZONE), or correct `time.timezone` if the config is wrong.",
        default_timeout: Duration::from_secs(2),
        network: false,
        reads_config: false,
        codes: &[MISMATCH, MASTER_MISMATCH, UNKNOWN],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: true,
        config_facts: &[("time.timezone", "/time/timezone")],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let tz = ctx.env.var("TZ");
        let expected = spec
            .expected
            .as_ref()
            .map(|t| t.0.trim().to_string())
            .filter(|s| !s.is_empty());
        // With --master-config, the zone the master's config names is compared too.
        let master_zone = ctx
            .master_config
            .as_ref()
            .and_then(|m| m.tree())
            .and_then(|t| t.pointer("/time/timezone"))
            .and_then(|n| n.as_str())
            .map(str::to_string);
        // Looking at /etc and zoneinfo files is file I/O: on the blocking pool, bounded.
        super::on_blocking_pool(&INTERNAL, "the time zone check", move || {
            let node = node_zone(tz.as_deref());
            let alias = |a: &str, b: &str| {
                same_file(&Path::new(ZONEINFO).join(a), &Path::new(ZONEINFO).join(b))
            };
            let mut eval = judge(node.as_ref(), expected.as_deref(), &alias);
            if let Some(finding) = judge_master(expected.as_deref(), master_zone.as_deref(), &alias)
            {
                eval.findings.push(finding);
            }
            eval
        })
        .await
    }
}

/// The node's zone name and where it came from.
pub fn node_zone(tz: Option<&str>) -> Option<(String, &'static str)> {
    if let Some(tz) = tz {
        let tz = tz.trim().trim_start_matches(':').to_string();
        if !tz.is_empty() {
            let name = tz
                .split_once("zoneinfo/")
                .map_or(tz.clone(), |(_, z)| z.to_string());
            return Some((name, "TZ"));
        }
    }
    if let Some(target) = fs::read_link(Path::new("/etc/localtime")) {
        let t = target.to_string_lossy();
        if let Some((_, zone)) = t.split_once("zoneinfo/") {
            return Some((zone.to_string(), "/etc/localtime"));
        }
    }
    fs::read_bounded_now(Path::new("/etc/timezone"), fs::SYSTEM_CAP)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .map(|s| (s, "/etc/timezone"))
}

/// Whether two zoneinfo files hold the same zone. Only files under the zoneinfo directory
/// are compared (a zone name is never a path out of it), read bounded: zone files are a few
/// KiB, and a FIFO or device there is refused.
fn same_file(a: &Path, b: &Path) -> bool {
    let safe = |p: &Path| {
        p.starts_with(ZONEINFO)
            && p.components()
                .all(|c| !matches!(c, std::path::Component::ParentDir))
    };
    if !safe(a) || !safe(b) {
        return false;
    }
    let read = |p: &Path| fs::read_bounded_now(p, fs::SYSTEM_CAP);
    match (read(a), read(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

const UTC_NAMES: &[&str] = &[
    "UTC",
    "Etc/UTC",
    "UCT",
    "Etc/UCT",
    "Universal",
    "Etc/Universal",
    "Zulu",
    "Etc/Zulu",
    "GMT",
    "Etc/GMT",
    "GMT0",
    "Etc/GMT0",
    "GMT+0",
    "Etc/GMT+0",
    "GMT-0",
    "Etc/GMT-0",
    "Greenwich",
    "Etc/Greenwich",
];

/// Whether two zone names denote the same zone.
pub fn same_zone(a: &str, b: &str, alias: &dyn Fn(&str, &str) -> bool) -> bool {
    a == b || (UTC_NAMES.contains(&a) && UTC_NAMES.contains(&b)) || alias(a, b)
}

/// Compare the zone this node's config names with the master's config.
pub fn judge_master(
    node: Option<&str>,
    master: Option<&str>,
    alias: &dyn Fn(&str, &str) -> bool,
) -> Option<Finding> {
    let (node, master) = (node?, master?);
    Some(if same_zone(node, master, alias) {
        Finding::pass(format!(
            "the master's config names the same zone ({master})"
        ))
    } else {
        Finding::new(&MASTER_MISMATCH, format!("this node's config says {node}, the master's config says {master}"),
            format!("use one zone across the cluster: set `time.timezone: {master}` in this node's config (and the node's zone), or change the master's"),
        )
        .with("node", node)
        .with("master", master)
    })
}

/// Judge the node's zone against the expected one.
pub fn judge(
    node: Option<&(String, &'static str)>,
    expected: Option<&str>,
    alias: &dyn Fn(&str, &str) -> bool,
) -> Evaluation {
    let Some((zone, from)) = node else {
        return Evaluation::single(Finding::new(
            &UNKNOWN,
            "cannot tell this node's time zone: no TZ, no /etc/localtime link into zoneinfo, no /etc/timezone",
            format!(
                "set the zone explicitly: `timedatectl set-timezone {}`",
                expected.unwrap_or("UTC")
            ),
        ));
    };
    let mut eval = match expected {
        None => Evaluation::single(Finding::pass(format!(
            "this node's time zone is {zone} (from {from}); the config names none"
        ))),
        Some(want) if same_zone(zone, want, alias) => Evaluation::single(Finding::pass(format!(
            "this node's time zone {zone} (from {from}) is the configured {want}"
        ))),
        Some(want) => Evaluation::single(
            Finding::new(&MISMATCH, format!("this node's time zone is {zone} (from {from}), the config says {want}"),
                format!(
                    "set the node's zone with `timedatectl set-timezone {want}` (or link /etc/localtime to {ZONEINFO}/{want}), or set `time.timezone: {zone}` if the config is wrong"
                ),
            )
            .with("node", zone.clone())
            .with("expected", want),
        ),
    };
    eval.evidence.insert("zone".into(), zone.clone().into());
    eval.evidence.insert("from".into(), (*from).into());
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_zone_is_compared_when_known() {
        let none = |_: &str, _: &str| false;
        assert!(judge_master(Some("UTC"), None, &none).is_none());
        assert_eq!(
            judge_master(Some("UTC"), Some("Etc/UTC"), &none)
                .unwrap()
                .status,
            Status::Pass
        );
        let f = judge_master(Some("Asia/Shanghai"), Some("UTC"), &none).unwrap();
        assert_eq!(f.code_name(), Some("timezone.master-mismatch"));
    }

    #[test]
    fn zones_match_by_name_utc_alias_or_shared_file() {
        let kolkata = |a: &str, b: &str| {
            let set = ["Asia/Kolkata", "Asia/Calcutta"];
            set.contains(&a) && set.contains(&b)
        };
        let node = |z: &str| Some((z.to_string(), "TZ"));
        let cases = [
            (node("Etc/UTC"), Some("UTC"), Status::Pass, None),
            (
                node("Asia/Shanghai"),
                Some("Asia/Shanghai"),
                Status::Pass,
                None,
            ),
            (
                node("Asia/Calcutta"),
                Some("Asia/Kolkata"),
                Status::Pass,
                None,
            ),
            (
                node("Etc/UTC"),
                Some("Asia/Shanghai"),
                Status::Warn,
                Some("timezone.mismatch"),
            ),
            (node("Europe/Berlin"), None, Status::Pass, None),
            (None, Some("UTC"), Status::Warn, Some("timezone.unknown")),
        ];
        for (n, want, status, code) in cases {
            let e = judge(n.as_ref(), want, &kolkata);
            assert_eq!(e.status(), status, "{n:?} {want:?}");
            assert_eq!(e.worst().and_then(Finding::code_name), code);
        }
        let e = judge(node("Etc/UTC").as_ref(), Some("Asia/Shanghai"), &kolkata);
        let f = e.worst().unwrap();
        assert!(f.message.contains("Etc/UTC") && f.message.contains("Asia/Shanghai"));
        assert!(
            f.remediation
                .as_deref()
                .unwrap()
                .contains("timedatectl set-timezone Asia/Shanghai")
        );
    }
}
