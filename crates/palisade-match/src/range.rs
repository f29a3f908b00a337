//! OSV range semantics over an arbitrary version scheme.
//!
//! The OSV specification evaluates a range by sorting its events and replaying them: each
//! `introduced` at or below the version switches "affected" on, each `fixed` at or below it and
//! each `last_affected` strictly below it switches it off, and the last switch wins. Sorting
//! needs a total order over possibly hostile strings, so instead we compute the same answer
//! without sorting: the state is set by the *greatest* event that applies to the version (ties
//! broken as described at `order_events`). That is one pass over the events, cannot panic on an inconsistent comparator, and never goes quadratic.

use std::cmp::Ordering;

use palisade_advisory::Event;
use palisade_version::{VersionError, VersionScheme};

/// What one range says about one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeMatch {
    /// The version is outside every affected interval of the range.
    NotAffected,
    /// The version is inside an interval.
    Affected {
        /// The `fixed` event closing that interval; `None` when the interval is open-ended or
        /// closed by `last_affected` (a fix exists, but the range does not say which version).
        fixed: Option<String>,
    },
}

/// Evaluates `version` against the events of one ECOSYSTEM or SEMVER range.
///
/// `introduced: "0"` is below every version and `limit: "*"` is no limit. When the range has
/// other `limit` events, only versions below at least one of them can be affected. Any version
/// the scheme cannot parse (installed or in an event) makes the whole range an error: guessing
/// could both hide and invent vulnerabilities, so the caller skips the range and warns.
pub fn evaluate_range(
    scheme: &dyn VersionScheme,
    version: &str,
    events: &[Event],
) -> Result<RangeMatch, VersionError> {
    // Limits first: they cut the whole range off.
    let mut has_limit = false;
    let mut below_a_limit = false;
    for event in events {
        if let Event::Limit(limit) = event {
            if limit == "*" {
                continue;
            }
            has_limit = true;
            if scheme.compare(version, limit)? == Ordering::Less {
                below_a_limit = true;
            }
        }
    }
    if has_limit && !below_a_limit {
        return Ok(RangeMatch::NotAffected);
    }

    // The greatest event that applies to `version` decides.
    let mut decisive: Option<&Event> = None;
    for event in events {
        let applies = match event {
            Event::Introduced(v) => is_zero(v) || scheme.compare(version, v)? != Ordering::Less,
            Event::Fixed(v) => scheme.compare(version, v)? != Ordering::Less,
            Event::LastAffected(v) => scheme.compare(version, v)? == Ordering::Greater,
            Event::Limit(_) => false,
        };
        if !applies {
            continue;
        }
        // On a tie the later event of the record wins, as a stable sort of the events would
        // order them.
        decisive = match decisive {
            Some(current) if order_events(scheme, event, current)? == Ordering::Less => {
                Some(current)
            }
            _ => Some(event),
        };
    }
    if !matches!(decisive, Some(Event::Introduced(_))) {
        return Ok(RangeMatch::NotAffected);
    }

    // The interval ends at the smallest `fixed` above the version or `last_affected` at or
    // above it.
    let mut closing: Option<&Event> = None;
    for event in events {
        let closes = match event {
            Event::Fixed(v) => scheme.compare(version, v)? == Ordering::Less,
            Event::LastAffected(v) => scheme.compare(version, v)? != Ordering::Greater,
            _ => false,
        };
        if !closes {
            continue;
        }
        closing = match closing {
            Some(current) if order_events(scheme, event, current)? != Ordering::Less => {
                Some(current)
            }
            _ => Some(event),
        };
    }
    Ok(RangeMatch::Affected {
        fixed: match closing {
            Some(Event::Fixed(v)) => Some(v.clone()),
            _ => None,
        },
    })
}

/// `introduced: "0"` is OSV's "since the first version" and need not be a valid version.
fn is_zero(v: &str) -> bool {
    v == "0"
}

/// Orders two events as the OSV replay sorts them: by version, then `introduced`/`fixed` <
/// `last_affected` at equal versions. `fixed X` and `introduced X` both sit just below X and tie:
/// the record's own order decides, as osv.dev's stable sort does, so `introduced X, fixed X` is
/// an empty interval (RustSec writes those) while `fixed X, introduced X` re-opens the range at
/// X. `last_affected X` sits just above X, so `[introduced X, last_affected X]` affects exactly X.
fn order_events(
    scheme: &dyn VersionScheme,
    a: &Event,
    b: &Event,
) -> Result<Ordering, VersionError> {
    let by_version = match (event_version(a), event_version(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => scheme.compare(x, y)?,
    };
    Ok(by_version.then_with(|| tie_rank(a).cmp(&tie_rank(b))))
}

/// The version of an event for ordering; `None` for `introduced: "0"` (below everything).
fn event_version(e: &Event) -> Option<&str> {
    match e {
        Event::Introduced(v) if is_zero(v) => None,
        Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => {
            Some(v)
        }
    }
}

fn tie_rank(e: &Event) -> u8 {
    match e {
        Event::Fixed(_) | Event::Introduced(_) => 0,
        Event::LastAffected(_) => 2,
        Event::Limit(_) => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deb() -> &'static dyn VersionScheme {
        &palisade_version::DEB
    }

    fn intro(v: &str) -> Event {
        Event::Introduced(v.into())
    }
    fn fixed(v: &str) -> Event {
        Event::Fixed(v.into())
    }
    fn last(v: &str) -> Event {
        Event::LastAffected(v.into())
    }
    fn limit(v: &str) -> Event {
        Event::Limit(v.into())
    }

    #[test]
    fn introduced_and_fixed_at_one_version_follow_record_order() {
        // RUSTSEC-2024-0399 (rustls): an empty [0.23.0, 0.23.0) interval, then [0.23.13, 0.23.18).
        let sv: &dyn VersionScheme = &palisade_version::SEMVER;
        let ev = [
            intro("0.23.0"),
            fixed("0.23.0"),
            intro("0.23.13"),
            fixed("0.23.18"),
        ];
        for v in ["0.23.0", "0.23.4", "0.23.12"] {
            assert_eq!(
                evaluate_range(sv, v, &ev),
                Ok(RangeMatch::NotAffected),
                "{v}"
            );
        }
        assert_eq!(
            evaluate_range(sv, "0.23.13", &ev),
            Ok(RangeMatch::Affected {
                fixed: Some("0.23.18".into())
            })
        );
        // Adjacent intervals written in order re-open the range at the shared version.
        let ev = [intro("0"), fixed("1.0.0"), intro("1.0.0"), fixed("2.0.0")];
        assert_eq!(
            evaluate_range(sv, "1.5.0", &ev),
            Ok(RangeMatch::Affected {
                fixed: Some("2.0.0".into())
            })
        );
    }

    fn eval(version: &str, events: &[Event]) -> RangeMatch {
        evaluate_range(deb(), version, events).expect("valid versions")
    }

    fn affected(fix: Option<&str>) -> RangeMatch {
        RangeMatch::Affected {
            fixed: fix.map(str::to_string),
        }
    }

    #[test]
    fn introduced_fixed() {
        let ev = [intro("1.0-1"), fixed("1.2-1")];
        assert_eq!(eval("0.9-1", &ev), RangeMatch::NotAffected);
        assert_eq!(eval("1.0-1", &ev), affected(Some("1.2-1")));
        assert_eq!(eval("1.1-5", &ev), affected(Some("1.2-1")));
        assert_eq!(eval("1.2-1", &ev), RangeMatch::NotAffected);
        assert_eq!(eval("2.0-1", &ev), RangeMatch::NotAffected);
    }

    #[test]
    fn introduced_zero_is_the_beginning() {
        let ev = [intro("0"), fixed("1.2-1")];
        assert_eq!(eval("0:0.0.1-1", &ev), affected(Some("1.2-1")));
        assert_eq!(eval("1.2-1", &ev), RangeMatch::NotAffected);
        // Unfixed: everything is affected, with no fix to report.
        assert_eq!(eval("99", &[intro("0")]), affected(None));
    }

    #[test]
    fn introduced_last_affected_is_inclusive() {
        let ev = [intro("1.0"), last("1.5")];
        assert_eq!(eval("0.9", &ev), RangeMatch::NotAffected);
        assert_eq!(eval("1.0", &ev), affected(None));
        assert_eq!(eval("1.5", &ev), affected(None));
        assert_eq!(eval("1.5.1", &ev), RangeMatch::NotAffected);
        // A single affected version.
        let one = [intro("2.0"), last("2.0")];
        assert_eq!(eval("2.0", &one), affected(None));
        assert_eq!(eval("2.0.1", &one), RangeMatch::NotAffected);
    }

    #[test]
    fn multiple_intervals() {
        let ev = [intro("1.0"), fixed("1.2"), intro("2.0"), fixed("2.3")];
        assert_eq!(eval("1.1", &ev), affected(Some("1.2")));
        assert_eq!(eval("1.5", &ev), RangeMatch::NotAffected);
        assert_eq!(eval("2.0", &ev), affected(Some("2.3")));
        assert_eq!(eval("2.2", &ev), affected(Some("2.3")));
        assert_eq!(eval("2.3", &ev), RangeMatch::NotAffected);
        // Reintroduced at the very version that fixed the first interval.
        let again = [intro("1.0"), fixed("2.0"), intro("2.0"), fixed("3.0")];
        assert_eq!(eval("2.0", &again), affected(Some("3.0")));
    }

    #[test]
    fn unsorted_events_and_fixed_listed_before_introduced() {
        let ev = [fixed("2.3"), intro("2.0"), fixed("1.2"), intro("1.0")];
        assert_eq!(eval("1.1", &ev), affected(Some("1.2")));
        assert_eq!(eval("1.5", &ev), RangeMatch::NotAffected);
        assert_eq!(eval("2.1", &ev), affected(Some("2.3")));
        assert_eq!(eval("3", &ev), RangeMatch::NotAffected);
        let simple = [fixed("1.2-1"), intro("0")];
        assert_eq!(eval("1.1-1", &simple), affected(Some("1.2-1")));
    }

    #[test]
    fn limit_caps_the_range() {
        let ev = [intro("1.0"), limit("2.0")];
        assert_eq!(eval("1.5", &ev), affected(None));
        assert_eq!(eval("2.0", &ev), RangeMatch::NotAffected);
        assert_eq!(eval("3.0", &ev), RangeMatch::NotAffected);
        let star = [intro("1.0"), limit("*")];
        assert_eq!(eval("99", &star), affected(None));
    }

    #[test]
    fn debian_tilde_ordering() {
        let ev = [intro("0"), fixed("3.0.13-1~deb12u1")];
        assert_eq!(
            eval("3.0.11-1~deb12u2", &ev),
            affected(Some("3.0.13-1~deb12u1"))
        );
        assert_eq!(eval("3.0.13-1~deb12u1", &ev), RangeMatch::NotAffected);
        // `~` sorts before everything: ~deb12u1 < the unsuffixed Debian revision.
        assert_eq!(eval("3.0.13-1", &ev), RangeMatch::NotAffected);
        assert_eq!(
            eval("3.0.13-0~deb12u9", &ev),
            affected(Some("3.0.13-1~deb12u1"))
        );
    }

    #[test]
    fn invalid_versions_are_errors_not_guesses() {
        assert!(evaluate_range(deb(), "1.0", &[intro("0"), fixed("not a version!")]).is_err());
        assert!(evaluate_range(deb(), "a:b", &[intro("0"), fixed("1.0")]).is_err());
        // No events at all: nothing applies.
        assert_eq!(eval("1.0", &[]), RangeMatch::NotAffected);
    }
}
