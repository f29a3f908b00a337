//! The Cargo oracle: `Semver` must order valid versions exactly as the `semver` crate, which
//! Cargo and crates.io use to resolve versions, orders them by precedence.
//!
//! The crate's own `Ord` on `Version` also compares build metadata (to be a total order over
//! distinct strings); SemVer precedence and OSV ignore it, so the oracle compares
//! `(major, minor, patch, pre)` instead, and equality is checked to hold across differing builds.

use std::cmp::Ordering;

use palisade_version::{SEMVER, VersionScheme};
use proptest::prelude::*;

/// Precedence according to the `semver` crate.
fn cargo_precedence(a: &str, b: &str) -> Result<Ordering, TestCaseError> {
    let parse =
        |s: &str| semver::Version::parse(s).map_err(|e| TestCaseError::fail(format!("{s:?}: {e}")));
    let (a, b) = (parse(a)?, parse(b)?);
    Ok((a.major, a.minor, a.patch, &a.pre).cmp(&(b.major, b.minor, b.patch, &b.pre)))
}

/// Valid SemVer strings with numbers across the whole `u64` range (the crate's limit for
/// major/minor/patch) and pre-release identifiers of every kind, including long numeric ones.
fn version() -> impl Strategy<Value = String> {
    let core = || {
        prop_oneof![
            (0u64..4).prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            Just(u64::MAX.to_string()),
        ]
    };
    let ident = || {
        prop_oneof![
            (0u64..12).prop_map(|n| n.to_string()),
            "[1-9][0-9]{15,30}",
            "[0-9]{0,2}[a-zA-Z-][a-zA-Z0-9-]{0,3}",
            prop::sample::select(vec!["alpha", "beta", "rc", "a", "A", "-", "0a"])
                .prop_map(str::to_owned),
        ]
    };
    (
        core(),
        core(),
        core(),
        prop::collection::vec(ident(), 0..4),
        prop::collection::vec("[a-zA-Z0-9-]{1,5}", 0..3),
    )
        .prop_map(|(major, minor, patch, pre, build)| {
            let mut s = format!("{major}.{minor}.{patch}");
            if !pre.is_empty() {
                s = format!("{s}-{}", pre.join("."));
            }
            if !build.is_empty() {
                s = format!("{s}+{}", build.join("."));
            }
            s
        })
}

/// Pairs that often share a prefix, so pre-release comparison is reached more than by chance.
fn related_pair() -> impl Strategy<Value = (String, String)> {
    (version(), version(), any::<bool>()).prop_map(|(a, b, share_core)| {
        if !share_core {
            return (a, b);
        }
        let core_of = |s: &str| s.split(['-', '+']).next().unwrap_or_default().to_owned();
        let rest_of_b = &b[core_of(&b).len()..];
        let b = format!("{}{rest_of_b}", core_of(&a));
        (a, b)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn semver_orders_like_cargo((a, b) in related_pair()) {
        let want = cargo_precedence(&a, &b)?;
        prop_assert_eq!(SEMVER.compare(&a, &b), Ok(want), "{} vs {}", a, b);
        prop_assert_eq!(SEMVER.compare(&b, &a), Ok(want.reverse()), "{} vs {}", b, a);
    }

    /// On full `MAJOR.MINOR.PATCH…` strings (where `Semver`'s leniencies do not apply) both
    /// must accept and refuse exactly the same strings: leading zeros, empty identifiers and
    /// stray characters included.
    #[test]
    fn semver_accepts_what_cargo_accepts(
        s in "(0|00|01|1|12)\\.(0|01|3)\\.(0|05|7)([-+][0-9a-zA-Z.+_-]{0,8})?",
    ) {
        let cargo = semver::Version::parse(&s).is_ok();
        prop_assert_eq!(SEMVER.validate(&s).is_ok(), cargo, "{:?}", s);
    }
}
