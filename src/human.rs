//! Quantities written for people: `2.0 GiB`, `50m`, `3d4h`.
//!
//! Messages name concrete values; these keep them short and unambiguous (binary units for
//! sizes, the two largest units for ages).

use std::fmt::Write;
use std::time::Duration;

/// A size in binary units: `512 B`, `4.0 KiB`, `1.5 GiB`.
#[allow(clippy::cast_precision_loss)] // one decimal is all a message shows
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A duration with its two largest units: `45s`, `50m`, `1h`, `2h5m`, `3d4h`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        return if d < Duration::from_secs(1) {
            format!("{}ms", d.as_millis())
        } else {
            format!("{s}s")
        };
    }
    let (days, hours, minutes, seconds) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")];
    let first = parts.iter().position(|(v, _)| *v > 0).unwrap_or(3);
    let mut out = format!("{}{}", parts[first].0, parts[first].1);
    if let Some((v, u)) = parts.get(first + 1)
        && *v > 0
    {
        let _ = write!(out, "{v}{u}");
    }
    out
}

/// `the last hour`, `the last 30m`: a look-back window in a sentence.
pub fn window(d: Duration) -> String {
    match d.as_secs() {
        3600 => "the last hour".to_string(),
        86_400 => "the last day".to_string(),
        _ => format!("the last {}", duration(d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(4 * 1024 * 1024), "4.0 MiB");
        assert_eq!(bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn durations() {
        let s = Duration::from_secs;
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
        assert_eq!(duration(s(45)), "45s");
        assert_eq!(duration(s(3000)), "50m");
        assert_eq!(duration(s(3600)), "1h");
        assert_eq!(duration(s(7500)), "2h5m");
        assert_eq!(duration(s(3 * 86_400 + 4 * 3600 + 59)), "3d4h");
        assert_eq!(duration(s(90)), "1m30s");
        assert_eq!(window(s(3600)), "the last hour");
        assert_eq!(window(s(1800)), "the last 30m");
    }
}
