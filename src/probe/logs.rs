//! The service's logs as the doctor reads them: which files (the `*.log` and `*.log.1` files
//! of a directory, newest first, bounded in number), the bounded tail of each
//! ([`super::tail`]), its lines dated by the timestamp at their start (or the dated line
//! above them) and placed against a time window, and the sync rounds they record. What a
//! line means is the caller's: a [`Matcher`] names the lines worth keeping. The
//! `log-scan` kind judges what is found here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};

/// Lines dated up to this far after `as_of` still count as recent (clock jitter).
const FUTURE_SLACK: Duration = Duration::from_secs(300);

/// One file as scanned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileScan {
    pub path: String,
    /// Bytes read from the file (its tail).
    pub bytes_read: u64,
    pub file_len: u64,
    pub lines: usize,
    /// Whether any line of the tail had a recognised timestamp.
    pub dated: bool,
    /// Undated file counted as recent because it was modified within the window.
    pub undated_recent: bool,
    /// Lines dated after the window's end.
    pub future_lines: usize,
    /// The time budget ran out before the last line.
    pub stopped_early: bool,
    /// Sync rounds recorded in the window, oldest first.
    pub sync: Vec<SyncRound>,
}

/// One sync round as a log line records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRound {
    /// Completed, with its duration when the line gives one.
    Ok(Option<u64>),
    Failed,
}

/// The sync outcome a line records, in one of the recognised forms (lower-cased input):
/// `sync completed in 7.2s`, `sync succeeded in 850ms`, `sync ok duration=7200ms`
/// (`took 7.2s` and `duration=7.2s` too), `sync failed: …`, `sync error: …`.
pub fn sync_round(lower: &str) -> Option<SyncRound> {
    // `sync` as a word: not the end of `async` or `resync`.
    let at = lower.match_indices("sync ").find_map(|(i, _)| {
        let before = lower[..i].chars().next_back();
        (!before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(i)
    })?;
    let rest = &lower[at + 5..];
    if rest.starts_with("failed") || rest.starts_with("error") {
        return Some(SyncRound::Failed);
    }
    let ok = ["completed", "succeeded", "ok", "done"]
        .iter()
        .any(|w| rest.starts_with(w));
    if !ok {
        return None;
    }
    let duration = ["duration=", " in ", "took "].iter().find_map(|key| {
        let i = rest.find(key)?;
        duration_ms(&rest[i + key.len()..])
    });
    Some(SyncRound::Ok(duration))
}

/// `7.2s`, `850ms`, `1.5 s` at the start of `s`, in milliseconds.
fn duration_ms(s: &str) -> Option<u64> {
    let s = s.trim_start();
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let n: f64 = s[..end].parse().ok()?;
    let unit = s[end..].trim_start();
    let ms = if unit.starts_with("ms") {
        n
    } else if unit.starts_with('s') {
        n * 1000.0
    } else {
        return None;
    };
    // Rounded to whole milliseconds; negative or absurd values are not durations.
    (ms.is_finite() && (0.0..1e12).contains(&ms)).then(|| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let v = ms.round() as u64;
        v
    })
}

/// What a matcher looks for in the lines of a log; the meaning of a line is the caller's.
pub trait Matcher {
    /// Which of the caller's signatures a line matched.
    type Sig: Copy;
    /// The signature a (lower-cased) line matches, if any.
    fn classify(&self, lower: &str) -> Option<Self::Sig>;
    /// A matching line of the window, with its time (`None` in an undated file counted as
    /// recent) and the name of its file.
    fn record(&mut self, sig: Self::Sig, line: &str, at: Option<DateTime<Utc>>, file: &str);
}

/// The logs as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tails {
    pub files: Vec<FileScan>,
    /// Configured paths that do not exist.
    pub missing: Vec<String>,
    pub unreadable: Vec<(String, String)>,
    /// Files found but not read (over `max_files`).
    pub skipped_files: usize,
    /// The time budget ran out.
    pub incomplete: bool,
}

/// The files to read: explicit files, then the logs of each directory, newest first.
fn collect_files(paths: &[String], max_files: usize, scan: &mut Tails) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for p in paths {
        let path = Path::new(p);
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => scan.missing.push(p.clone()),
            Err(e) => scan.unreadable.push((p.clone(), e.to_string())),
            Ok(m) if m.is_dir() => match std::fs::read_dir(path) {
                Err(e) => scan
                    .unreadable
                    .push((p.clone(), format!("cannot list it: {e}"))),
                Ok(rd) => {
                    let mut logs: Vec<(SystemTime, PathBuf)> = rd
                        .flatten()
                        .filter(|e| {
                            let n = e.file_name();
                            let n = n.to_string_lossy();
                            n.ends_with(".log") || n.ends_with(".log.1")
                        })
                        .filter_map(|e| {
                            let path = e.path();
                            let m = std::fs::metadata(&path).ok()?;
                            m.is_file()
                                .then(|| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), path))
                        })
                        .collect();
                    logs.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                    files.extend(logs.into_iter().map(|(_, p)| p));
                }
            },
            Ok(_) => files.push(path.to_path_buf()),
        }
    }
    let mut seen = BTreeSet::new();
    files.retain(|f| seen.insert(f.clone()));
    if files.len() > max_files {
        scan.skipped_files = files.len() - max_files;
        files.truncate(max_files);
    }
    files
}

/// Read the tail (at most `max_bytes`) of every log `paths` names, at most `max_files` of
/// them, and scan its lines until `deadline` (blocking).
pub fn scan_all<M: Matcher>(
    paths: &[String],
    max_files: usize,
    max_bytes: u64,
    window: &Window<'_>,
    deadline: Instant,
    matcher: &mut M,
) -> Tails {
    let mut scan = Tails::default();
    let files = collect_files(paths, max_files, &mut scan);
    for file in files {
        let shown = file.display().to_string();
        if Instant::now() >= deadline {
            scan.incomplete = true;
            break;
        }
        match super::tail::read_tail(&file, max_bytes) {
            Err(e) => scan.unreadable.push((shown, e.to_string())),
            Ok(tail) => {
                let mut fs = scan_text(
                    &tail.bytes,
                    &shown,
                    tail.mtime,
                    window,
                    matcher,
                    Some(deadline),
                );
                fs.bytes_read = tail.read;
                fs.file_len = tail.file_len;
                scan.incomplete |= fs.stopped_early;
                scan.files.push(fs);
            }
        }
    }
    scan
}

/// The recent window and how to read times.
pub struct Window<'a> {
    pub as_of: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub local: &'a dyn Fn(NaiveDateTime) -> Option<DateTime<Utc>>,
}

impl<'a> Window<'a> {
    pub fn new(
        as_of: DateTime<Utc>,
        window: Duration,
        local: &'a dyn Fn(NaiveDateTime) -> Option<DateTime<Utc>>,
    ) -> Self {
        let back = TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX);
        let slack = TimeDelta::from_std(FUTURE_SLACK).unwrap_or(TimeDelta::zero());
        Self {
            as_of,
            start: as_of
                .checked_sub_signed(back)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            end: as_of
                .checked_add_signed(slack)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            local,
        }
    }
}

/// Scan the lines of one tail. Lines without a timestamp take the one of the dated line
/// above them; undated lines before the first dated line are skipped; in a tail with no
/// timestamp at all, every line counts when the file was modified within the window.
pub fn scan_text<M: Matcher>(
    bytes: &[u8],
    file: &str,
    mtime: Option<SystemTime>,
    w: &Window<'_>,
    matcher: &mut M,
    deadline: Option<Instant>,
) -> FileScan {
    let mut fs = FileScan {
        path: file.to_string(),
        ..FileScan::default()
    };
    let short = Path::new(file)
        .file_name()
        .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned());
    let mut current: Option<DateTime<Utc>> = None;
    let mut leading: Vec<(M::Sig, String)> = Vec::new();
    let mut leading_sync: Vec<SyncRound> = Vec::new();
    let mut lower = String::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        if i % 4096 == 4095 && deadline.is_some_and(|d| Instant::now() >= d) {
            fs.stopped_early = true;
            break;
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            continue;
        }
        fs.lines += 1;
        let line = String::from_utf8_lossy(raw);
        if let Some(t) = line_time(&line, w) {
            current = Some(t);
            fs.dated = true;
        }
        lower.clear();
        lower.push_str(&line);
        lower.make_ascii_lowercase();
        if let Some(round) = sync_round(&lower) {
            match current {
                None => leading_sync.push(round),
                Some(t) if t >= w.start && t <= w.end => fs.sync.push(round),
                Some(_) => {}
            }
        }
        let Some(sig) = matcher.classify(&lower) else {
            continue;
        };
        match current {
            None => leading.push((sig, line.into_owned())),
            Some(t) if t > w.end => fs.future_lines += 1,
            Some(t) if t >= w.start => matcher.record(sig, &line, Some(t), &short),
            Some(_) => {}
        }
    }
    if !fs.dated {
        let modified = mtime.map(DateTime::<Utc>::from);
        fs.undated_recent = modified.is_some_and(|m| m >= w.start && m <= w.end);
        if fs.undated_recent {
            fs.sync = leading_sync;
            for (sig, line) in &leading {
                matcher.record(*sig, line, None, &short);
            }
        }
    }
    fs
}

/// The first `host:port` a line names (`dial tcp 192.0.2.5:9090`, `https://master:8443/x`),
/// never a time of day.
pub fn target(line: &str) -> Option<String> {
    line.split(|c: char| c.is_whitespace() || "\"'()<>,;=".contains(c))
        .find_map(|token| {
            let t = token.trim_end_matches([':', '.', ']']);
            let t = t.split_once("://").map_or(t, |(_, rest)| rest);
            let t = t.split('/').next().unwrap_or(t);
            let t = t.rsplit_once('@').map_or(t, |(_, host)| host);
            let (host, port) = if let Some(v6) = t.strip_prefix('[') {
                let (h, p) = v6.split_once("]:")?;
                (format!("[{h}]"), p)
            } else {
                let (h, p) = t.split_once(':')?;
                if p.contains(':') {
                    return None;
                }
                (h.to_string(), p)
            };
            let port_ok = !port.is_empty()
                && port.len() <= 5
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p));
            let host_ok = !host.is_empty()
                && host
                    .bytes()
                    .any(|b| b.is_ascii_alphabetic() || b == b'.' || b == b'[')
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b));
            (port_ok && host_ok).then(|| format!("{host}:{port}"))
        })
}

/// A cursor over the start of a line.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn num(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        s.iter().try_fold(0u32, |acc, d| {
            acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
    }
    fn eat(&mut self, c: &[u8]) -> Option<u8> {
        let b = *self.b.get(self.i)?;
        c.contains(&b).then(|| {
            self.i += 1;
            b
        })
    }
    /// `.123` or `,123456`: nanoseconds.
    fn fraction(&mut self) -> u32 {
        if self.eat(b".,").is_none() {
            return 0;
        }
        let mut nanos = 0u32;
        let mut scale = 100_000_000u32;
        while let Some(&d) = self.b.get(self.i).filter(|d| d.is_ascii_digit()) {
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
            self.i += 1;
        }
        nanos
    }
    fn hms(&mut self) -> Option<(u32, u32, u32, u32)> {
        let h = self.num(2)?;
        self.eat(b":")?;
        let m = self.num(2)?;
        self.eat(b":")?;
        let s = self.num(2)?;
        Some((h, m, s, self.fraction()))
    }
    /// `Z`, `+08:00`, `+0800`, or nothing.
    fn zone(&mut self) -> Option<i32> {
        if self.eat(b"Z").is_some() {
            return Some(0);
        }
        let start = self.i;
        let sign = self.eat(b"+-")?;
        let Some(h) = self.num(2).filter(|h| *h <= 14) else {
            // Not a zone (`08:00:00-worker`): no zone.
            self.i = start;
            return None;
        };
        self.eat(b":");
        let m = self.num(2).unwrap_or(0);
        let secs = i32::try_from(h * 3600 + m * 60).ok()?;
        Some(if sign == b'-' { -secs } else { secs })
    }
}

fn make(
    w: &Window<'_>,
    date: Option<NaiveDate>,
    (h, m, s, nanos): (u32, u32, u32, u32),
    zone: Option<i32>,
) -> Option<DateTime<Utc>> {
    let naive = date?.and_hms_nano_opt(h, m, s, nanos)?;
    match zone {
        Some(offset) => {
            let utc = naive.checked_sub_signed(TimeDelta::seconds(i64::from(offset)))?;
            Some(Utc.from_utc_datetime(&utc))
        }
        None => (w.local)(naive),
    }
}

/// `2026-11-22T08:00:00.123Z`, `2026-11-22 08:00:00,123 +0800`, `2026/11/22 08:00:00`.
fn iso(text: &str, window: &Window<'_>) -> Option<DateTime<Utc>> {
    let mut cur = Cur {
        b: text.as_bytes(),
        i: 0,
    };
    let year = cur.num(4)?;
    let sep = cur.eat(b"-/")?;
    let month = cur.num(2)?;
    cur.eat(&[sep])?;
    let day = cur.num(2)?;
    cur.eat(b"T ")?;
    let hms = cur.hms()?;
    let zone = cur.zone();
    make(
        window,
        NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day),
        hms,
        zone,
    )
}

/// The year of a yearless date: the one that puts it closest before the window's end.
fn yearless(w: &Window<'_>, month: u32, day: u32) -> Option<NaiveDate> {
    let year = w.as_of.year();
    let this = NaiveDate::from_ymd_opt(year, month, day)?;
    if this > w.as_of.date_naive() + TimeDelta::days(1) {
        NaiveDate::from_ymd_opt(year - 1, month, day)
    } else {
        Some(this)
    }
}

/// syslog `Nov 22 08:00:00` / `Nov  2 08:00:00`.
fn syslog(s: &str, w: &Window<'_>) -> Option<DateTime<Utc>> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| s.starts_with(m))? + 1;
    let rest = s.get(3..)?.strip_prefix(' ')?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut c = Cur {
        b: rest.as_bytes(),
        i: 0,
    };
    let day = c.num(2).or_else(|| c.num(1))?;
    c.eat(b" ")?;
    let hms = c.hms()?;
    make(w, yearless(w, u32::try_from(month).ok()?, day), hms, None)
}

/// glog `E1122 08:00:00.123456`.
fn glog(s: &str, w: &Window<'_>) -> Option<DateTime<Utc>> {
    let mut c = Cur {
        b: s.as_bytes(),
        i: 0,
    };
    c.eat(b"IWEF")?;
    let month = c.num(2)?;
    let day = c.num(2)?;
    c.eat(b" ")?;
    let hms = c.hms()?;
    make(w, yearless(w, month, day), hms, None)
}

/// The time at the start of a line, if it has one in a known form.
pub fn line_time(line: &str, w: &Window<'_>) -> Option<DateTime<Utc>> {
    let s = line.trim_start();
    if s.starts_with('{') {
        let head = s.get(..512).unwrap_or(s);
        for key in ["\"time\"", "\"ts\"", "\"timestamp\"", "\"@timestamp\""] {
            let found = head.match_indices(key).find_map(|(i, _)| {
                let v = head[i + key.len()..].trim_start().strip_prefix(':')?;
                iso(v.trim_start().strip_prefix('"')?, w)
            });
            if found.is_some() {
                return found;
            }
        }
        return None;
    }
    for key in ["time=", "ts=", "timestamp="] {
        if let Some(v) = s.strip_prefix(key) {
            return iso(v.strip_prefix('"').unwrap_or(v), w);
        }
    }
    let s = s.strip_prefix('[').unwrap_or(s);
    iso(s, w).or_else(|| syslog(s, w)).or_else(|| glog(s, w))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn timestamp_forms() {
        let w = window();
        let cases: &[(&str, Option<&str>)] = &[
            ("2026-11-22T07:59:12Z ERROR x", Some("2026-11-22T07:59:12Z")),
            (
                "2026-11-22T15:59:12.123+08:00 x",
                Some("2026-11-22T07:59:12.123Z"),
            ),
            ("2026-11-22T15:59:12+0800 x", Some("2026-11-22T07:59:12Z")),
            (
                "[2026-11-22 15:59:12,456] ERROR x",
                Some("2026-11-22T07:59:12.456Z"),
            ),
            ("2026/11/22 15:59:12 dial tcp", Some("2026-11-22T07:59:12Z")),
            (
                "Nov 22 15:59:12 host open-autoglm[1]: x",
                Some("2026-11-22T07:59:12Z"),
            ),
            ("Nov  2 15:59:12 host x", Some("2026-11-02T07:59:12Z")),
            // A yearless date after the window's end belongs to the year before.
            ("Dec 30 10:00:00 host x", Some("2025-12-30T02:00:00Z")),
            (
                "E1122 15:59:12.000001 1 sync.go:10] x",
                Some("2026-11-22T07:59:12.000001Z"),
            ),
            (
                r#"{"level":"error","time":"2026-11-22T07:59:12Z","msg":"x"}"#,
                Some("2026-11-22T07:59:12Z"),
            ),
            (
                r#"{"ts": "2026-11-22T07:59:12Z"}"#,
                Some("2026-11-22T07:59:12Z"),
            ),
            (
                "time=\"2026-11-22T07:59:12Z\" level=error",
                Some("2026-11-22T07:59:12Z"),
            ),
            ("    at com.example.Sync.run(Sync.java:42)", None),
            ("2026-13-40T99:00:00Z bad date", None),
            ("08:00:00 no date", None),
            ("", None),
        ];
        for (line, want) in cases {
            assert_eq!(line_time(line, &w), want.map(utc), "{line}");
        }
    }

    #[test]
    fn targets_are_host_ports_not_times() {
        assert_eq!(
            target("2026-11-22T07:59:12Z dial tcp 192.0.2.5:9090: i/o timeout").as_deref(),
            Some("192.0.2.5:9090")
        );
        assert_eq!(
            target("Post \"https://svc:pw@master.autoglm.test:8443/v1/sync\": EOF").as_deref(),
            Some("master.autoglm.test:8443")
        );
        assert_eq!(
            target("connect [fd00::5]:9090 timed out").as_deref(),
            Some("[fd00::5]:9090")
        );
        assert_eq!(target("at 08:00:01 and 12:30 nothing").as_deref(), None);
        assert_eq!(target("addr=master:70000 bad port").as_deref(), None);
    }

    #[test]
    fn sync_round_line_forms() {
        let cases: &[(&str, Option<SyncRound>)] = &[
            (
                "info sync completed in 7.2s (412 records)",
                Some(SyncRound::Ok(Some(7200))),
            ),
            (
                "info sync ok duration=7200ms",
                Some(SyncRound::Ok(Some(7200))),
            ),
            (
                "info sync succeeded in 5.9 s",
                Some(SyncRound::Ok(Some(5900))),
            ),
            ("info sync done took 850ms", Some(SyncRound::Ok(Some(850)))),
            ("info sync ok", Some(SyncRound::Ok(None))),
            (
                "error sync failed: context deadline exceeded",
                Some(SyncRound::Failed),
            ),
            (
                "error sync error: transport is closing",
                Some(SyncRound::Failed),
            ),
            ("info sync: round 1 done in 12ms", None),
            ("info async completed in 3s", None),
            ("info resync scheduled", None),
            (
                "info sync completed in 7.2 minutes",
                Some(SyncRound::Ok(None)),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(sync_round(line), *want, "{line}");
        }
    }
}
