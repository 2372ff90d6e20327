//! The progress line on standard error while checks run: how many are done, the slowest
//! ones still running, which are still waiting, and the pause between retry attempts.
//!
//! Shown only when standard error is a terminal (the caller decides); it is redrawn in
//! place on one line and erased before the report is written, so it never mixes with
//! the report, which goes to standard output or `--output`.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::render::sanitize;
use crate::report::Status;
use crate::run::Event;

/// Where a check is in the current attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for its needs or for a slot.
    Pending,
    Running(Instant),
    Done(Status),
}

#[derive(Debug)]
struct State {
    attempt: u32,
    phases: Vec<Phase>,
    /// Set while pausing between attempts: when the next one starts.
    next_attempt: Option<Instant>,
}

/// The progress display of one run.
#[derive(Debug)]
pub struct Progress {
    ids: Vec<String>,
    width: usize,
    state: Mutex<State>,
}

impl Progress {
    /// A display for checks named `ids` (plan order), on a terminal `width` columns wide.
    pub fn new(ids: &[String], width: usize) -> Self {
        let n = ids.len();
        Self {
            ids: ids.iter().map(|id| sanitize(id)).collect(),
            width: width.max(20),
            state: Mutex::new(State {
                attempt: 1,
                phases: vec![Phase::Pending; n],
                next_attempt: None,
            }),
        }
    }

    /// Record what the scheduler did.
    pub fn observe(&self, event: &Event, now: Instant) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        match event {
            Event::Attempt { number, checks } => {
                s.attempt = *number;
                s.next_attempt = None;
                for &i in checks {
                    if let Some(p) = s.phases.get_mut(i) {
                        *p = Phase::Pending;
                    }
                }
            }
            Event::Started(i) => {
                if let Some(p) = s.phases.get_mut(*i) {
                    *p = Phase::Running(now);
                }
            }
            Event::Finished(i, status) => {
                if let Some(p) = s.phases.get_mut(*i) {
                    *p = Phase::Done(*status);
                }
            }
            Event::Waiting(pause) => s.next_attempt = Some(now + *pause),
        }
    }

    /// The line as it reads at `now`, at most `width - 1` characters.
    pub fn line(&self, now: Instant) -> String {
        let Ok(s) = self.state.lock() else {
            return String::new();
        };
        let total = s.phases.len();
        let done = s
            .phases
            .iter()
            .filter(|p| matches!(p, Phase::Done(_)))
            .count();
        let mut parts: Vec<String> = Vec::new();
        if s.attempt > 1 {
            parts.push(format!("attempt {}", s.attempt));
        }
        if let Some(next) = s.next_attempt {
            let failing = s
                .phases
                .iter()
                .filter(|p| matches!(p, Phase::Done(Status::Fail)))
                .count();
            parts.push(format!(
                "{failing} failing, next attempt in {}",
                seconds(next.saturating_duration_since(now))
            ));
        } else {
            // Slowest first: the earliest started.
            let mut running: Vec<(usize, Instant)> = s
                .phases
                .iter()
                .enumerate()
                .filter_map(|(i, p)| match p {
                    Phase::Running(t) => Some((i, *t)),
                    _ => None,
                })
                .collect();
            running.sort_by_key(|&(i, t)| (t, i));
            let running: Vec<String> = running
                .iter()
                .map(|&(i, t)| {
                    format!(
                        "{} {}",
                        self.ids[i],
                        seconds(now.saturating_duration_since(t))
                    )
                })
                .collect();
            if !running.is_empty() {
                parts.push(format!("running: {}", first_few(&running)));
            }
            let pending: Vec<&str> = s
                .phases
                .iter()
                .enumerate()
                .filter(|(_, p)| **p == Phase::Pending)
                .map(|(i, _)| self.ids[i].as_str())
                .collect();
            if !pending.is_empty() {
                parts.push(format!("pending: {}", first_few(&pending)));
            }
        }
        let mut line = format!("[{done}/{total}]");
        if !parts.is_empty() {
            line.push(' ');
            line.push_str(&parts.join(" · "));
        }
        fit(line, self.width)
    }

    /// Redraw the line on `out` (standard error).
    pub fn draw(&self, out: &mut impl Write, now: Instant) {
        let _ = write!(out, "\r\x1b[2K{}", self.line(now));
        let _ = out.flush();
    }

    /// Erase the line, before the report is written.
    pub fn clear(out: &mut impl Write) {
        let _ = write!(out, "\r\x1b[2K");
        let _ = out.flush();
    }
}

/// The first three names, and how many more there are.
fn first_few<S: AsRef<str>>(names: &[S]) -> String {
    let mut text = names
        .iter()
        .take(3)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 3 {
        let _ = write!(text, " (+{})", names.len() - 3);
    }
    text
}

/// `3.2s`: one decimal is enough to see a check is stuck.
fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// Cut to fit a terminal line, leaving the last column free (no wrap).
fn fit(line: String, width: usize) -> String {
    let max = width.saturating_sub(1);
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The width of the controlling terminal, else `$COLUMNS`, else 80: a line wider than the
/// terminal would wrap, and only its last row would be redrawn. A terminal that reports 0
/// columns (as `script` and some CI runners do) counts as no answer.
// The command-line edge: the terminal's width, not something a check looks at.
#[allow(clippy::disallowed_methods)]
pub fn terminal_width() -> usize {
    pick_width(
        crossterm::terminal::size().ok().map(|(w, _)| w),
        std::env::var("COLUMNS").ok().as_deref(),
    )
}

/// The width from what the terminal reported and `$COLUMNS`.
pub fn pick_width(reported: Option<u16>, columns: Option<&str>) -> usize {
    reported
        .map(usize::from)
        .filter(|&w| w > 0)
        .or_else(|| {
            columns
                .and_then(|c| c.trim().parse().ok())
                .filter(|&w: &usize| w > 0)
        })
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_width_terminal_falls_back_to_columns_then_80() {
        assert_eq!(pick_width(Some(132), Some("100")), 132);
        assert_eq!(pick_width(Some(0), Some("100")), 100);
        assert_eq!(pick_width(None, Some(" 90 ")), 90);
        assert_eq!(pick_width(Some(0), Some("0")), 80);
        assert_eq!(pick_width(Some(0), Some("wide")), 80);
        assert_eq!(pick_width(None, None), 80);
    }

    fn progress() -> Progress {
        Progress::new(
            &[
                "config.file",
                "tcp.master",
                "tls.master",
                "api",
                "auth",
                "time",
            ]
            .map(String::from),
            200,
        )
    }

    #[test]
    fn shows_done_slowest_running_first_and_pending() {
        let p = progress();
        let t0 = Instant::now();
        p.observe(&Event::Started(0), t0);
        p.observe(&Event::Finished(0, Status::Pass), t0);
        p.observe(&Event::Started(2), t0 + Duration::from_millis(500));
        p.observe(&Event::Started(1), t0 + Duration::from_millis(100));
        let line = p.line(t0 + Duration::from_millis(3100));
        assert_eq!(
            line,
            "[1/6] running: tcp.master 3.0s, tls.master 2.6s · pending: api, auth, time"
        );
    }

    #[test]
    fn only_pending_checks_before_anything_starts() {
        let p = progress();
        assert_eq!(
            p.line(Instant::now()),
            "[0/6] pending: config.file, tcp.master, tls.master (+3)"
        );
    }

    #[test]
    fn between_attempts_it_counts_down() {
        let p = progress();
        let t0 = Instant::now();
        for i in 0..6 {
            p.observe(&Event::Finished(i, Status::Pass), t0);
        }
        p.observe(&Event::Finished(1, Status::Fail), t0);
        p.observe(&Event::Waiting(Duration::from_secs(2)), t0);
        assert_eq!(
            p.line(t0 + Duration::from_millis(500)),
            "[6/6] 1 failing, next attempt in 1.5s"
        );
        p.observe(
            &Event::Attempt {
                number: 2,
                checks: vec![1, 2],
            },
            t0,
        );
        assert_eq!(
            p.line(t0),
            "[4/6] attempt 2 · pending: tcp.master, tls.master"
        );
    }

    #[test]
    fn long_lines_are_cut_to_the_terminal() {
        let p = Progress::new(&["x".repeat(100)], 40);
        let line = p.line(Instant::now());
        assert_eq!(line.chars().count(), 39);
        assert!(line.ends_with('…'));
    }

    #[test]
    fn drawing_rewrites_one_line_and_clearing_erases_it() {
        let p = progress();
        let mut out = Vec::new();
        p.draw(&mut out, Instant::now());
        Progress::clear(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("\r\x1b[2K[0/6]"));
        assert!(text.ends_with("\r\x1b[2K"));
        assert!(!text.contains('\n'));
    }

    #[test]
    fn ids_are_sanitised() {
        let p = Progress::new(&["evil\x1b[2J".into()], 80);
        assert!(!p.line(Instant::now()).contains('\x1b'));
    }
}
