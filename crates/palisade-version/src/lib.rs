//! Version schemes: exact dpkg ordering today, one trait for every ecosystem later.
//!
//! Matching a package against an advisory boils down to "is the installed version before the
//! fixed one?", and every ecosystem answers that differently. This crate keeps each answer in
//! one place behind [`VersionScheme`], so the matcher can stay ecosystem-agnostic: it asks
//! [`scheme_for_ecosystem`] for the scheme named by an OSV `ecosystem` string and compares
//! through the trait.
//!
//! Only Debian-style versions ([`deb`]) are implemented so far; they cover Debian and Ubuntu.

use std::cmp::Ordering;

pub mod deb;
pub mod pep440;
pub mod semver;

pub use deb::{Deb, DebVersion};
pub use pep440::{Pep440, Pep440Version};
// `self::` because the crate's tests also see the external `semver` crate (the Cargo oracle).
pub use self::semver::{GoVersion, Semver, SemverVersion, go_toolchain_semver};

/// Longest slice of an offending input quoted in an error message. Inputs are hostile and may be
/// megabytes long; the message only needs enough to recognise them.
const MAX_QUOTED_INPUT: usize = 120;

/// Why a version string could not be understood by a scheme.
///
/// Every variant carries the scheme name and (a possibly shortened copy of) the input so that a
/// message surfacing far from the parser still says which version was wrong and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string is not a valid version in the named scheme.
    #[error("invalid {scheme} version {input:?}: {reason}")]
    Invalid {
        /// Name of the scheme that rejected the input (for example `"deb"`).
        scheme: &'static str,
        /// The offending input, shortened if very long.
        input: String,
        /// What is wrong with it, in words.
        reason: String,
    },
}

impl VersionError {
    /// Builds an [`VersionError::Invalid`], shortening huge inputs so errors stay readable.
    pub(crate) fn invalid(scheme: &'static str, input: &str, reason: impl Into<String>) -> Self {
        VersionError::Invalid {
            scheme,
            input: quote(input),
            reason: reason.into(),
        }
    }
}

/// Shortens `input` to at most [`MAX_QUOTED_INPUT`] characters, marking the cut.
fn quote(input: &str) -> String {
    if input.chars().count() <= MAX_QUOTED_INPUT {
        input.to_owned()
    } else {
        let mut s: String = input.chars().take(MAX_QUOTED_INPUT).collect();
        s.push('…');
        s
    }
}

/// One ecosystem's notion of what a version is and how two versions order.
///
/// Implementations are stateless and shared (`&'static dyn VersionScheme`), which is why the
/// trait requires `Send + Sync`. Comparison takes strings rather than parsed values so that
/// callers holding raw advisory and package data need no per-ecosystem types.
pub trait VersionScheme: Send + Sync {
    /// Short, stable name of the scheme (for example `"deb"`), used in logs and errors.
    fn name(&self) -> &'static str;

    /// Orders `a` relative to `b`, or explains which of the two is not a valid version.
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError>;

    /// Checks that `v` is a version this scheme can compare, without comparing anything.
    /// Useful for rejecting bad advisory data once, at ingest time.
    fn validate(&self, v: &str) -> Result<(), VersionError>;
}

/// The single shared instance of the Debian scheme handed out by [`scheme_for_ecosystem`].
pub static DEB: Deb = Deb;

/// The shared instance of the Python (PyPI) scheme, so callers can hand out
/// `&'static dyn VersionScheme` without allocating.
pub static PEP440: Pep440 = Pep440;

/// The shared instance of the SemVer 2.0.0 scheme (npm, crates.io and OSV `SEMVER` ranges).
pub static SEMVER: Semver = Semver;

/// The shared instance of the Go module scheme (`golang.org/x/mod/semver` ordering).
pub static GO: GoVersion = GoVersion;

/// Picks the version scheme for an OSV `ecosystem` string such as `"Debian:12"` or
/// `"Ubuntu:22.04:LTS"`.
///
/// Returns `None` for ecosystems without a scheme yet, so callers can skip (and report) them
/// instead of comparing with the wrong rules. Matching is exact on the ecosystem name as OSV
/// spells it; anything after the first `:` (the release) does not change the scheme.
pub fn scheme_for_ecosystem(ecosystem: &str) -> Option<&'static dyn VersionScheme> {
    let name = ecosystem
        .split_once(':')
        .map_or(ecosystem, |(name, _)| name);
    match name {
        "Debian" | "Ubuntu" => Some(&DEB),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_and_ubuntu_ecosystems_use_deb() {
        for eco in [
            "Debian",
            "Debian:12",
            "Debian:11",
            "Ubuntu",
            "Ubuntu:22.04:LTS",
            "Ubuntu:Pro:18.04:LTS",
        ] {
            let scheme = scheme_for_ecosystem(eco);
            assert_eq!(scheme.map(|s| s.name()), Some("deb"), "{eco}");
        }
    }

    #[test]
    fn other_ecosystems_have_no_scheme_yet() {
        for eco in [
            "",
            "npm",
            "PyPI",
            "crates.io",
            "Alpine:v3.19",
            "debian",
            "Debianx",
            "Ubuntu22",
            " Debian",
        ] {
            assert!(scheme_for_ecosystem(eco).is_none(), "{eco:?}");
        }
    }

    #[test]
    fn scheme_from_lookup_compares() {
        let s = scheme_for_ecosystem("Debian:12").expect("debian has a scheme");
        assert_eq!(s.compare("1.0~rc1", "1.0"), Ok(Ordering::Less));
        assert!(s.validate("1:2.3-4").is_ok());
        assert!(s.validate("a:1").is_err());
    }

    #[test]
    fn long_inputs_are_shortened_in_errors() {
        let long = format!("x:{}", "9".repeat(10_000));
        let err = deb::compare(&long, "1").expect_err("non-numeric epoch");
        let msg = err.to_string();
        assert!(msg.len() < 400, "message too long: {} bytes", msg.len());
        assert!(msg.contains('…'));
    }
}
