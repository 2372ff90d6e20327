//! `clock-sync`: the node's own view of its clock discipline — which time daemon runs, and
//! whether the kernel or that daemon reports the clock as synchronised.
//!
//! The kernel's view (`adjtimex(2)` with no modes: `STA_UNSYNC`, estimated and maximum
//! error) has no safe wrapper in rustix or nix, and this crate forbids `unsafe`. So the
//! check asks the tools that read it for us, read-only, each under a deadline: `chronyc -n
//! tracking` (chrony's leap status), `timedatectl show` (`NTPSynchronized`, the kernel's
//! `STA_UNSYNC` through systemd-timedated) and `adjtimex --print` (the raw status word with
//! `maxerror`/`esterror`). Daemons are found by the names in `/proc/*/comm`.

use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo};
use crate::probe::inner_timeout;
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status, keys};

/// The kernel's "clock not synchronised" bit in the adjtimex status word.
pub const STA_UNSYNC: u64 = 0x0040;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {}

super::generated_codes!("clock-sync");

/// No time synchronisation daemon runs (no chronyd, ntpd, systemd-timesyncd or ptp4l) and the kernel does not report a synchronised clock.
pub const NO_DAEMON: Code = Code::new(
    "clock-sync.no-daemon",
    Status::Warn,
    "No time synchronisation daemon runs (no chronyd, ntpd, systemd-timesyncd or ptp4l) and the kernel does not report a synchronised clock.",
    "Install and enable a time daemon (`apt install chrony && systemctl enable --now chrony`, or `timedatectl set-ntp true`).",
);

/// The kernel or the time daemon reports the clock as not synchronised.
pub const UNSYNCHRONISED: Code = Code::new(
    "clock-sync.unsynchronised",
    Status::Fail,
    "The kernel or the time daemon reports the clock as not synchronised.",
    "Check the daemon's sources (`chronyc sources -v`), allow UDP 123 to them, and wait for it to converge.",
);

/// A time daemon runs, but none of chronyc, timedatectl and adjtimex could report whether the clock is synchronised.
pub const UNKNOWN: Code = Code::new(
    "clock-sync.unknown",
    Status::Warn,
    "A time daemon runs, but none of chronyc, timedatectl and adjtimex could report whether the clock is synchronised.",
    "Install chronyc, timedatectl or adjtimex so the status can be read, or check the daemon's own status by hand.",
);

pub struct Kind;

/// Process names of the time daemons the check recognises.
pub const DAEMONS: &[&str] = &[
    "chronyd",
    "ntpd",
    "systemd-timesyn",
    "openntpd",
    "ptp4l",
    "phc2sys",
];

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "clock-sync",
        category: "time",
        summary: "A time daemon runs and the kernel or the daemon reports the clock as synchronised",
        explain: "What it checks: which time daemon runs on this node (chronyd, ntpd, systemd-timesyncd, ptp4l — by process name), and what the clock discipline reports: chrony's leap status and its estimate of the offset (`chronyc -h 127.0.0.1,::1 -n tracking`: over chrony's UDP command port on loopback, so chronyc creates no socket file in /run/chrony), the kernel's synchronisation flag as systemd shows it (`timedatectl show -p NTPSynchronized`), or the kernel's status word with its maximum and estimated error (`adjtimex --print`: `STA_UNSYNC`). All read-only: the doctor never sets or steps the clock. It publishes `time.synchronised`.\n\nWhy it matters: an offset measured once (ntp check) says where the clock is now; this says whether anything keeps it there. A node without a time daemon drifts tens of milliseconds a day and will break last-write-wins and token validity later, not today.\n\nHow to fix: no daemon — install and enable one (`apt install chrony && systemctl enable --now chrony`, or `timedatectl set-ntp true`); unsynchronised — check the daemon's sources (`chronyc sources -v`), that UDP 123 to them is allowed, and give it time to converge.",
        default_timeout: Duration::from_secs(5),
        network: false,
        reads_config: false,
        codes: &[NO_DAEMON, UNSYNCHRONISED, UNKNOWN],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(_spec: &Spec, ctx: &Context) -> Evaluation {
        let budget = inner_timeout(ctx.timeout);
        // /proc is file I/O too: on the blocking pool.
        let daemons = tokio::task::spawn_blocking(running_daemons)
            .await
            .unwrap_or_default();
        let mut reports = Vec::new();
        if daemons.iter().any(|d| d == "chronyd")
            && let Some(out) = tool("chronyc", CHRONYC_TRACKING, budget / 3).await
        {
            reports.extend(parse_chronyc(&out));
        }
        if reports.is_empty()
            && let Some(out) = tool(
                "timedatectl",
                &["show", "-p", "NTPSynchronized", "--value"],
                budget / 3,
            )
            .await
        {
            reports.extend(parse_timedatectl(&out));
        }
        if reports.is_empty()
            && let Some(out) = tool("adjtimex", &["--print"], budget / 3).await
        {
            reports.extend(parse_adjtimex(&out));
        }
        judge(&daemons, reports.first())
    }
}

/// `chronyc tracking` over chrony's UDP command port on loopback. Without `-h`, chronyc
/// first tries chronyd's Unix socket, for which it creates (and removes) a socket file of
/// its own in /run/chrony: a write on the node. Tracking is a monitoring command chronyd
/// answers on 127.0.0.1/::1 port 323 by default.
pub const CHRONYC_TRACKING: &[&str] = &["-h", "127.0.0.1,::1", "-n", "tracking"];

/// What one tool said about the clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub source: &'static str,
    pub synchronised: bool,
    pub detail: String,
    /// The estimated error (or offset) the tool reports, in milliseconds.
    pub error_ms: Option<f64>,
}

/// Names of the time daemons running (from `/proc/*/comm`).
fn running_daemons() -> Vec<String> {
    let mut found = Vec::new();
    for path in
        crate::probe::fs::list_dir(std::path::Path::new("/proc"), crate::probe::fs::LIST_CAP)
    {
        let pid = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Some(comm) =
            crate::probe::fs::read_bounded_now(&path.join("comm"), crate::probe::fs::SYSTEM_CAP)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
        {
            let comm = comm.trim();
            if DAEMONS.contains(&comm) && !found.iter().any(|f| f == comm) {
                found.push(comm.to_string());
            }
        }
    }
    found.sort();
    found
}

/// Run a read-only status tool; `None` when it is missing, fails or hangs.
async fn tool(program: &str, args: &[&str], timeout: Duration) -> Option<String> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(timeout, cmd.output())
        .await
        .ok()?
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `chronyc tracking`: `Leap status : Normal` / `Not synchronised`; `System time : X seconds fast`.
pub fn parse_chronyc(out: &str) -> Option<Report> {
    let field = |name: &str| {
        out.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    let leap = field("Leap status")?;
    let system = field("System time");
    let error_ms = system.as_deref().and_then(|s| {
        let mut w = s.split_whitespace();
        let v: f64 = w.next()?.parse().ok()?;
        w.next()?;
        let sign = if w.next()? == "slow" { -1.0 } else { 1.0 };
        Some(sign * v * 1000.0)
    });
    Some(Report {
        source: "chronyc tracking",
        synchronised: leap != "Not synchronised",
        detail: format!(
            "chrony: leap status {leap}{}",
            system
                .map(|s| format!(", system time {s}"))
                .unwrap_or_default()
        ),
        error_ms,
    })
}

/// `timedatectl show -p NTPSynchronized --value`: `yes` or `no`.
pub fn parse_timedatectl(out: &str) -> Option<Report> {
    let v = out.trim();
    let synchronised = match v {
        "yes" => true,
        "no" => false,
        _ => return None,
    };
    Some(Report {
        source: "timedatectl",
        synchronised,
        detail: format!("timedatectl: NTPSynchronized={v}"),
        error_ms: None,
    })
}

/// `adjtimex --print`: `status: 8256`, `maxerror: 16000000`, `esterror: 16000000` (µs).
pub fn parse_adjtimex(out: &str) -> Option<Report> {
    let field = |name: &str| {
        out.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().parse::<i64>().ok())?
        })
    };
    let status = u64::try_from(field("status")?).ok()?;
    let max = field("maxerror");
    let est = field("esterror");
    #[allow(clippy::cast_precision_loss)]
    Some(Report {
        source: "adjtimex",
        synchronised: status & STA_UNSYNC == 0,
        detail: format!(
            "kernel: status {status:#06x}{}{}{}",
            if status & STA_UNSYNC == 0 {
                ""
            } else {
                " (STA_UNSYNC)"
            },
            max.map(|m| format!(", maximum error {} ms", m / 1000))
                .unwrap_or_default(),
            est.map(|m| format!(", estimated error {} ms", m / 1000))
                .unwrap_or_default()
        ),
        error_ms: est.map(|e| e as f64 / 1000.0),
    })
}

/// Judge the daemons found and the first status report.
pub fn judge(daemons: &[String], report: Option<&Report>) -> Evaluation {
    let running = if daemons.is_empty() {
        "no time daemon runs".to_string()
    } else {
        format!("{} runs", daemons.join(", "))
    };
    let mut eval = match report {
        Some(r) if r.synchronised => Evaluation::single(Finding::pass(format!(
            "{running}; {}: synchronised",
            r.detail
        ))),
        Some(r) => Evaluation::single(Finding::new(
            &UNSYNCHRONISED,
            format!("{running}; {}: the clock is not synchronised", r.detail),
            if daemons.iter().any(|d| d == "chronyd") {
                "run `chronyc sources -v` to see why chrony has no usable source, allow UDP 123 to its servers, and wait for `chronyc tracking` to show `Leap status : Normal`".to_string()
            } else if daemons.is_empty() {
                "install and enable a time daemon (`apt install chrony && systemctl enable --now chrony`, or `timedatectl set-ntp true`)".to_string()
            } else {
                format!(
                    "check the sources of {} and allow UDP 123 to them, then wait for it to report the clock synchronised",
                    daemons.join(", ")
                )
            },
        )),
        None if daemons.is_empty() => Evaluation::single(Finding::new(
            &NO_DAEMON,
            "no time daemon runs (no chronyd, ntpd, systemd-timesyncd or ptp4l) and no status tool reports the clock synchronised",
            "install and enable a time daemon (`apt install chrony && systemctl enable --now chrony`, or `timedatectl set-ntp true`)",
        )),
        None => Evaluation::single(Finding::new(
            &UNKNOWN,
            format!(
                "{running}, but chronyc, timedatectl and adjtimex could not report whether the clock is synchronised"
            ),
            format!(
                "install chronyc, timedatectl or adjtimex, or check the status of {} by hand",
                daemons.join(", ")
            ),
        )),
    };
    if let Some(r) = report {
        eval.facts
            .insert(keys::TIME_SYNCHRONISED.to_string(), r.synchronised.into());
        eval.evidence.insert("source".into(), r.source.into());
        if let Some(e) = r.error_ms {
            eval.evidence.insert("error_ms".into(), e.into());
        }
    }
    eval.evidence.insert(
        "daemons".into(),
        serde_json::Value::Array(daemons.iter().map(|d| d.clone().into()).collect()),
    );
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHRONY_OK: &str = "Reference ID    : 7F000001 (127.0.0.1)\nStratum         : 4\nSystem time     : 0.000012345 seconds fast of NTP time\nLeap status     : Normal\n";
    const CHRONY_UNSYNC: &str = "Reference ID    : 00000000 ()\nStratum         : 0\nSystem time     : 0.000000000 seconds slow of NTP time\nLeap status     : Not synchronised\n";

    #[test]
    fn tool_outputs_parse() {
        let r = parse_chronyc(CHRONY_OK).unwrap();
        assert!(r.synchronised);
        assert!((r.error_ms.unwrap() - 0.012_345).abs() < 1e-9);
        assert!(!parse_chronyc(CHRONY_UNSYNC).unwrap().synchronised);
        assert!(parse_timedatectl("yes\n").unwrap().synchronised);
        assert!(!parse_timedatectl("no").unwrap().synchronised);
        assert!(parse_timedatectl("").is_none());
        let r = parse_adjtimex(
            "    mode: 0\n  offset: 0\n  status: 64\nmaxerror: 16000000\nesterror: 16000000\n",
        )
        .unwrap();
        assert!(!r.synchronised);
        assert!(
            r.detail.contains("STA_UNSYNC") && r.detail.contains("maximum error 16000 ms"),
            "{}",
            r.detail
        );
        assert!(parse_adjtimex("status: 8193\n").unwrap().synchronised);
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn verdicts() {
        let chrony = vec!["chronyd".to_string()];
        let ok = parse_chronyc(CHRONY_OK);
        let bad = parse_chronyc(CHRONY_UNSYNC);
        let cases: [(
            &[String],
            Option<&Report>,
            Status,
            Option<&str>,
            Option<bool>,
        ); 5] = [
            (&chrony, ok.as_ref(), Status::Pass, None, Some(true)),
            (
                &chrony,
                bad.as_ref(),
                Status::Fail,
                Some("clock-sync.unsynchronised"),
                Some(false),
            ),
            (&[], None, Status::Warn, Some("clock-sync.no-daemon"), None),
            (
                &chrony,
                None,
                Status::Warn,
                Some("clock-sync.unknown"),
                None,
            ),
            // A container whose host disciplines the clock: no daemon here, kernel synchronised.
            (&[], ok.as_ref(), Status::Pass, None, Some(true)),
        ];
        for (d, r, status, code, sync) in cases {
            let e = judge(d, r);
            assert_eq!(e.status(), status, "{d:?} {r:?}");
            assert_eq!(e.worst().and_then(Finding::code_name), code);
            assert_eq!(
                e.facts
                    .get(keys::TIME_SYNCHRONISED)
                    .and_then(serde_json::Value::as_bool),
                sync
            );
        }
    }
}
