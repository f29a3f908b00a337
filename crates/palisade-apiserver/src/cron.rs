//! A minimal 5-field cron parser for the CronJob controller: `*`, numbers, ranges
//! (`1-5`), steps (`*/15`, `0-30/10`, `5/20`), comma lists, and the `@hourly`-style
//! macros. Times are UTC (`spec.timeZone` is not honoured).
//!
//! The real controller accepts more (month and weekday names); tests and the operator
//! only need numeric schedules.

use crate::time::civil_from_days;

/// A parsed schedule: for each field, which values match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    // Cron's rule: when both day fields are restricted, either may match.
    days_restricted: bool,
    weekdays_restricted: bool,
}

/// Why a schedule was rejected (the message goes into a 422 or a log line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron schedule {schedule:?}: {reason}")]
pub struct CronError {
    /// The schedule as given.
    pub schedule: String,
    /// What is wrong with it.
    pub reason: String,
}

fn field(text: &str, min: u32, max: u32) -> Result<Vec<bool>, String> {
    let mut set = vec![false; max as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => {
                let st: u32 = st.parse().map_err(|_| format!("bad step in {part:?}"))?;
                if st == 0 {
                    return Err(format!("zero step in {part:?}"));
                }
                (r, Some(st))
            }
            None => (part, None),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let a: u32 = a.parse().map_err(|_| format!("bad number in {part:?}"))?;
            let b: u32 = b.parse().map_err(|_| format!("bad number in {part:?}"))?;
            (a, b)
        } else {
            let a: u32 = range
                .parse()
                .map_err(|_| format!("bad number in {part:?}"))?;
            // `5/20` means from 5 to the end in steps of 20.
            (a, if step.is_some() { max } else { a })
        };
        if lo < min || hi > max || lo > hi {
            return Err(format!("{part:?} is outside {min}-{max}"));
        }
        let step = step.unwrap_or(1) as usize;
        for v in (lo as usize..=hi as usize).step_by(step) {
            set[v] = true;
        }
    }
    Ok(set)
}

impl Schedule {
    /// Parses a 5-field schedule or a macro (`@yearly`, `@monthly`, `@weekly`,
    /// `@daily`, `@midnight`, `@hourly`).
    pub fn parse(schedule: &str) -> Result<Self, CronError> {
        let err = |reason: String| CronError {
            schedule: schedule.to_string(),
            reason,
        };
        let text = match schedule.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [mi, h, d, mo, w] = parts.as_slice() else {
            return Err(err(format!("expected 5 fields, found {}", parts.len())));
        };
        let mut weekdays = field(w, 0, 7).map_err(err)?;
        // 7 is Sunday too.
        if weekdays[7] {
            weekdays[0] = true;
        }
        weekdays.truncate(7);
        Ok(Self {
            minutes: field(mi, 0, 59).map_err(err)?,
            hours: field(h, 0, 23).map_err(err)?,
            days: field(d, 1, 31).map_err(err)?,
            months: field(mo, 1, 12).map_err(err)?,
            weekdays,
            days_restricted: !d.starts_with('*'),
            weekdays_restricted: !w.starts_with('*'),
        })
    }

    /// Whether the minute starting at `secs` (Unix seconds, UTC) is scheduled.
    pub fn matches(&self, secs: i64) -> bool {
        let days = secs.div_euclid(86_400);
        let in_day = secs.rem_euclid(86_400);
        let (_, month, day) = civil_from_days(days);
        // 1970-01-01 was a Thursday (4).
        let weekday = (days + 4).rem_euclid(7) as usize;
        let (hour, minute) = ((in_day / 3600) as usize, (in_day % 3600 / 60) as usize);
        let day_ok = match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => self.days[day as usize] || self.weekdays[weekday],
            _ => self.days[day as usize] && self.weekdays[weekday],
        };
        self.minutes[minute] && self.hours[hour] && self.months[month as usize] && day_ok
    }

    /// The latest scheduled minute in `(after, now]`, looking back at most a day (a
    /// controller that was down longer only runs the latest missed schedule anyway).
    pub fn latest_due(&self, after: i64, now: i64) -> Option<i64> {
        let mut t = now - now.rem_euclid(60);
        let floor = after.max(now - 86_400);
        while t > floor {
            if self.matches(t) {
                return Some(t);
            }
            t -= 60;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    fn at(s: &str) -> i64 {
        parse_rfc3339(s).expect("timestamp")
    }

    #[test]
    fn fields_ranges_steps_and_lists() {
        let s = Schedule::parse("*/15 9-17 * * 1-5").expect("parses");
        // 2024-06-03 is a Monday.
        assert!(s.matches(at("2024-06-03T09:45:00Z")));
        assert!(!s.matches(at("2024-06-03T09:46:00Z")));
        assert!(!s.matches(at("2024-06-03T18:00:00Z")));
        assert!(!s.matches(at("2024-06-02T10:00:00Z")), "Sunday");
        let s = Schedule::parse("5,10 0 1 1,7 *").expect("parses");
        assert!(s.matches(at("2024-07-01T00:10:00Z")));
        assert!(!s.matches(at("2024-07-02T00:10:00Z")));
        let s = Schedule::parse("0-30/10 * * * 7").expect("parses");
        assert!(s.matches(at("2024-06-02T03:20:00Z")), "7 is Sunday");
        assert!(!s.matches(at("2024-06-02T03:40:00Z")));
        let s = Schedule::parse("5/20 * * * *").expect("parses");
        assert!(s.matches(at("2024-06-02T03:45:00Z")));
        assert!(!s.matches(at("2024-06-02T03:40:00Z")));
    }

    #[test]
    fn day_of_month_or_weekday_when_both_restricted() {
        let s = Schedule::parse("0 0 13 * 5").expect("parses");
        assert!(s.matches(at("2024-09-13T00:00:00Z")), "the 13th");
        assert!(s.matches(at("2024-06-07T00:00:00Z")), "a Friday");
        assert!(!s.matches(at("2024-06-08T00:00:00Z")));
    }

    #[test]
    fn rejects_bad_schedules() {
        for bad in [
            "",
            "* * * *",
            "60 * * * *",
            "* * 0 * *",
            "*/0 * * * *",
            "a * * * *",
            "5-1 * * * *",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Schedule::parse("@hourly").expect("macro"),
            Schedule::parse("0 * * * *").expect("fields")
        );
    }

    #[test]
    fn latest_due_finds_the_last_missed_minute() {
        let s = Schedule::parse("*/5 * * * *").expect("parses");
        let now = at("2024-06-03T10:17:30Z");
        assert_eq!(
            s.latest_due(at("2024-06-03T10:00:00Z"), now),
            Some(at("2024-06-03T10:15:00Z"))
        );
        assert_eq!(s.latest_due(at("2024-06-03T10:15:00Z"), now), None);
    }
}
