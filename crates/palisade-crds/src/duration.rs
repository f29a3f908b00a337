//! Go `time.Duration` strings, as in the `report-ttl` annotation (spec §2.4).
//!
//! The anchor writes the TTL with Go's `Duration.String()` (`24h0m0s`) and parses it with
//! `time.ParseDuration`; other tools set the annotation by hand (`0s` forces a rescan), so
//! Palisade must read every spelling Go accepts and write the one Go writes.

use std::time::Duration;

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not of the form `[+]<number><unit>…`.
    #[error("invalid duration {0:?}")]
    Invalid(String),
    /// A unit other than `ns`, `us`, `µs`, `ms`, `s`, `m`, `h`.
    #[error("unknown unit {unit:?} in duration {input:?}")]
    UnknownUnit {
        /// The offending unit.
        unit: String,
        /// The whole input.
        input: String,
    },
    /// Negative durations have no meaning for a TTL.
    #[error("negative duration {0:?}")]
    Negative(String),
    /// Larger than Go's `Duration` (about 292 years).
    #[error("duration {0:?} out of range")]
    Overflow(String),
}

const NANOS_PER_MICRO: u128 = 1_000;
const NANOS_PER_MILLI: u128 = 1_000_000;
const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Formats like Go's `Duration.String()`: `0s`, `1.5ms`, `1m30s`, `24h0m0s`.
pub fn format_go_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < NANOS_PER_SEC {
        let (scale, unit) = if nanos < NANOS_PER_MICRO {
            (1, "ns")
        } else if nanos < NANOS_PER_MILLI {
            (NANOS_PER_MICRO, "µs")
        } else {
            (NANOS_PER_MILLI, "ms")
        };
        return format!("{}{unit}", decimal(nanos, scale));
    }
    let mut out = String::new();
    let total_secs = nanos / NANOS_PER_SEC;
    let (hours, minutes) = (total_secs / 3600, (total_secs / 60) % 60);
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if total_secs >= 60 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&decimal(nanos % (60 * NANOS_PER_SEC), NANOS_PER_SEC));
    out.push('s');
    out
}

/// `value / scale` in decimal without trailing zeros in the fraction (and no dot if it is whole).
fn decimal(value: u128, scale: u128) -> String {
    let whole = value / scale;
    let frac = value % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let width = scale.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Parses like Go's `time.ParseDuration` (`300ms`, `1.5h`, `2h45m`, `0`), rejecting negative values.
pub fn parse_go_duration(input: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid(input.to_owned());
    let mut rest = input;
    if let Some(r) = rest.strip_prefix('-') {
        // "-0" is zero in Go; anything else negative is useless as a TTL.
        return if r == "0" {
            Ok(Duration::ZERO)
        } else {
            Err(DurationError::Negative(input.to_owned()))
        };
    }
    rest = rest.strip_prefix('+').unwrap_or(rest);
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    // Go's Duration is an int64 of nanoseconds.
    let max = i64::MAX as u128;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(a) => {
                let n = a.bytes().take_while(u8::is_ascii_digit).count();
                a.split_at(n)
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = after
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => NANOS_PER_MICRO,
            "ms" => NANOS_PER_MILLI,
            "s" => NANOS_PER_SEC,
            "m" => 60 * NANOS_PER_SEC,
            "h" => 3600 * NANOS_PER_SEC,
            "" => return Err(invalid()),
            other => {
                return Err(DurationError::UnknownUnit {
                    unit: other.to_owned(),
                    input: input.to_owned(),
                });
            }
        };
        let overflow = || DurationError::Overflow(input.to_owned());
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| overflow())?
        };
        let mut value = whole.checked_mul(scale).ok_or_else(overflow)?;
        // Fraction: as Go does, digits beyond what can matter are ignored.
        let mut frac_scale = scale;
        for digit in frac_part.bytes().take(30) {
            frac_scale /= 10;
            if frac_scale == 0 {
                break;
            }
            value += u128::from(digit - b'0') * frac_scale;
        }
        total = total
            .checked_add(value)
            .filter(|t| *t <= max)
            .ok_or_else(overflow)?;
        rest = after;
    }
    // `total` fits in i64 nanoseconds, hence in u64.
    Ok(Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        let cases: &[(Duration, &str)] = &[
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(1), "1ns"),
            (Duration::from_nanos(1_500), "1.5µs"),
            (Duration::from_micros(1_500), "1.5ms"),
            (Duration::from_millis(500), "500ms"),
            (Duration::from_secs(1), "1s"),
            (Duration::from_millis(1_500), "1.5s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(24 * 3600), "24h0m0s"),
            (Duration::from_secs(120 * 3600), "120h0m0s"),
            (Duration::new(3723, 5_000_000), "1h2m3.005s"),
            (Duration::from_secs(60), "1m0s"),
        ];
        for (d, want) in cases {
            assert_eq!(format_go_duration(*d), *want, "{d:?}");
        }
    }

    #[test]
    fn parses_like_go() {
        let cases: &[(&str, Duration)] = &[
            ("0", Duration::ZERO),
            ("-0", Duration::ZERO),
            ("0s", Duration::ZERO),
            ("24h", Duration::from_secs(86_400)),
            ("24h0m0s", Duration::from_secs(86_400)),
            ("1.5h", Duration::from_secs(5_400)),
            ("2h45m", Duration::from_secs(9_900)),
            ("300ms", Duration::from_millis(300)),
            ("1us", Duration::from_micros(1)),
            ("1µs", Duration::from_micros(1)),
            ("1μs", Duration::from_micros(1)),
            (".5s", Duration::from_millis(500)),
            ("1.s", Duration::from_secs(1)),
            ("+5m", Duration::from_secs(300)),
            ("1h2m3.005s", Duration::new(3723, 5_000_000)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_go_duration(s), Ok(*want), "{s}");
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        for s in ["", "h", "1", "1x", "1hh", ".s", "-", "+"] {
            assert!(parse_go_duration(s).is_err(), "{s:?} accepted");
        }
        assert!(matches!(
            parse_go_duration("1d"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_go_duration("-1h"),
            Err(DurationError::Negative(_))
        ));
        assert!(matches!(
            parse_go_duration("3000000h"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn round_trips() {
        for secs in [0u64, 1, 59, 60, 61, 3599, 3600, 86_400, 432_000] {
            let d = Duration::from_secs(secs);
            assert_eq!(parse_go_duration(&format_go_duration(d)), Ok(d));
        }
    }
}
