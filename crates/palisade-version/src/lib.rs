//! Version schemes: one trait, one implementation per ordering (dpkg, PEP 440, SemVer, Go, rpm,
//! apk, RubyGems, NuGet, Maven, Composer).
//!
//! Matching a package against an advisory boils down to "is the installed version before the
//! fixed one?", and every ecosystem answers that differently. This crate keeps each answer in
//! one place behind [`VersionScheme`], so the matcher can stay ecosystem-agnostic. Which
//! ecosystem uses which scheme is declared in the ecosystem table (`palisade-ecosystem`), which
//! holds the shared instances below.

use std::cmp::Ordering;

pub mod apk;
pub mod composer;
pub mod deb;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

pub use apk::{Apk, ApkVersion};
pub use composer::{Composer, ComposerVersion};
pub use deb::{Deb, DebVersion};
pub use maven::{Maven, MavenVersion};
pub use nuget::{NuGet, NuGetVersion};
pub use pep440::{Pep440, Pep440Version};
pub use rpm::{Rpm, RpmVersion};
pub use rubygems::{GemVersion, RubyGems};
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
    /// Both strings are valid, but the scheme gives them no order (Composer's `dev-` branches
    /// are only equal to themselves).
    #[error("{scheme} does not order {a:?} against {b:?}: {reason}")]
    Incomparable {
        /// Name of the scheme (for example `"composer"`).
        scheme: &'static str,
        /// The first version, shortened if very long.
        a: String,
        /// The second version, shortened if very long.
        b: String,
        /// Why not, in words.
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

/// The shared instance of the Debian scheme (Debian, Ubuntu).
pub static DEB: Deb = Deb;

/// The shared instance of the Python (PyPI) scheme, so callers can hand out
/// `&'static dyn VersionScheme` without allocating.
pub static PEP440: Pep440 = Pep440;

/// The shared instance of the SemVer 2.0.0 scheme (npm, crates.io and OSV `SEMVER` ranges).
pub static SEMVER: Semver = Semver;

/// The shared instance of the Go module scheme (`golang.org/x/mod/semver` ordering).
pub static GO: GoVersion = GoVersion;

/// The shared instance of the RPM scheme (`rpm.labelCompare` ordering of `[epoch:]version[-release]`
/// strings: AlmaLinux, Rocky Linux, Red Hat and other rpm-based distributions).
pub static RPM: Rpm = Rpm;

/// The shared instance of the Alpine scheme (apk-tools' ordering: Alpine, Wolfi, Chainguard).
pub static APK: Apk = Apk;

/// The shared instance of the RubyGems scheme (`Gem::Version` ordering).
pub static RUBYGEMS: RubyGems = RubyGems;

/// The shared instance of the NuGet scheme (`NuGet.Versioning`'s ordering: up to four numbers,
/// case-insensitive SemVer 2.0 pre-release labels).
pub static NUGET: NuGet = NuGet;

/// The shared instance of the Maven scheme (`ComparableVersion` ordering, made total: Java
/// artifacts and OSV `Maven` records).
pub static MAVEN: Maven = Maven;

/// The shared instance of the Composer scheme (Packagist: `VersionParser::normalize`, then PHP's
/// `version_compare`).
pub static COMPOSER: Composer = Composer;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_inputs_are_shortened_in_errors() {
        let long = format!("x:{}", "9".repeat(10_000));
        let err = deb::compare(&long, "1").expect_err("non-numeric epoch");
        let msg = err.to_string();
        assert!(msg.len() < 400, "message too long: {} bytes", msg.len());
        assert!(msg.contains('…'));
    }
}
