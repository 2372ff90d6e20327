//! Human durations on the command line and in suites: `500ms`, `3s`, `1m`, `1h`, `14d`, `1m30s`.

use std::time::Duration;

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration `{input}`: expected a number with a unit, like 500ms, 3s, 1m or 1h")]
pub struct DurationError {
    pub input: String,
}

/// The longest duration anything accepts (10 years): far beyond any real window or
/// retention, and far from where adding it to a clock reading could overflow.
pub const MAX: Duration = Duration::from_secs(3650 * 86_400);

/// The range of a run's time limits (`--timeout`, `--deadline`, a check's `timeout:`).
pub const LIMIT_MIN: Duration = Duration::from_millis(1);
/// See [`LIMIT_MIN`].
pub const LIMIT_MAX: Duration = Duration::from_secs(24 * 3600);

/// A duration outside the range its setting accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error(transparent)]
    Invalid(#[from] DurationError),
    #[error("`{input}` is out of range: give a duration from {} to {}", bound(*min), bound(*max))]
    OutOfRange {
        input: String,
        min: Duration,
        max: Duration,
    },
}

/// A range bound for messages: whole hours as hours (`24h`), else the compact form.
fn bound(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() == 0 && secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else {
        format(d)
    }
}

/// Parse a time limit: a duration from [`LIMIT_MIN`] (1ms) to [`LIMIT_MAX`] (24h).
pub fn parse_limit(input: &str) -> Result<Duration, RangeError> {
    parse_within(input, LIMIT_MIN, LIMIT_MAX)
}

/// Parse a duration and check it is within `min..=max`.
pub fn parse_within(input: &str, min: Duration, max: Duration) -> Result<Duration, RangeError> {
    let d = parse(input)?;
    if d < min || d > max {
        return Err(RangeError::OutOfRange {
            input: input.trim().to_string(),
            min,
            max,
        });
    }
    Ok(d)
}

/// Parse `500ms`, `3s`, `1m`, `2h`, or a sum of them (`1m30s`). A bare `0` is zero.
pub fn parse(input: &str) -> Result<Duration, DurationError> {
    let err = || DurationError {
        input: input.to_string(),
    };
    let s = input.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(err());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(value),
            "s" => Duration::from_secs(value),
            "m" => Duration::from_secs(value.checked_mul(60).ok_or_else(err)?),
            "h" => Duration::from_secs(value.checked_mul(3600).ok_or_else(err)?),
            "d" => Duration::from_secs(value.checked_mul(86_400).ok_or_else(err)?),
            _ => return Err(err()),
        };
        total = total.checked_add(part).ok_or_else(err)?;
        if total > MAX {
            return Err(err());
        }
    }
    Ok(total)
}

/// Serde helper for suite parameters written as durations (`window: 1h`).
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

/// Compact form for messages: `850ms`, `3s`, `1.5s`, `2m`, `1m30s`.
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if ms < 60_000 {
        return if ms.is_multiple_of(1000) {
            format!("{}s", ms / 1000)
        } else {
            format!("{:.1}s", d.as_secs_f64())
        };
    }
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("14d"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            "banana",
            "",
            "3",
            "3 s",
            "s",
            "-1s",
            "1.5s",
            "3sec",
            "99999999999999999999h",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(
            parse("banana").unwrap_err().to_string(),
            "invalid duration `banana`: expected a number with a unit, like 500ms, 3s, 1m or 1h"
        );
    }

    #[test]
    fn huge_durations_are_refused_not_overflowed() {
        for bad in [
            "9300000000000000000s",
            "18446744073709551615s",
            "18446744073709551615ms",
            "3651d",
            "87601h1ms",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(parse("3650d"), Ok(MAX));
    }

    #[test]
    fn limits_are_between_a_millisecond_and_a_day() {
        assert_eq!(parse_limit("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_limit("24h"), Ok(Duration::from_secs(86_400)));
        for bad in ["0", "0s", "24h1ms", "2d"] {
            assert_eq!(
                parse_limit(bad).unwrap_err().to_string(),
                format!("`{bad}` is out of range: give a duration from 1ms to 24h"),
            );
        }
        assert!(matches!(
            parse_limit("9300000000000000000s"),
            Err(RangeError::Invalid(_))
        ));
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format(Duration::from_millis(850)), "850ms");
        assert_eq!(format(Duration::from_secs(3)), "3s");
        assert_eq!(format(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format(Duration::from_secs(120)), "2m");
        assert_eq!(format(Duration::from_secs(90)), "1m30s");
    }
}
