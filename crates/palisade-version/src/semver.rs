//! Semantic versions: SemVer 2.0.0 for npm and crates.io, and Go's module-version dialect.
//!
//! OSV's `SEMVER` range type means SemVer 2.0.0 precedence: `MAJOR.MINOR.PATCH` compared
//! numerically, then a version with a pre-release sorts before the same version without one,
//! pre-release identifiers compare numerically when both are digits, lexically (ASCII) when
//! neither is, and a numeric identifier sorts before an alphanumeric one; build metadata never
//! matters. Two schemes share that precedence but parse differently:
//!
//! * [`Semver`] is what npm and crates.io advisories need. It is strict about the parts that
//!   change meaning (no leading zeros, no empty identifiers) and lenient about the decoration
//!   OSV consumers tolerate: surrounding ASCII whitespace, a leading `=`, `v` or `=v`, and
//!   missing minor or patch numbers (`1.2` is `1.2.0`, `1-beta` is `1.0.0-beta`).
//! * [`GoVersion`] accepts exactly what `golang.org/x/mod/semver` accepts (`vMAJOR`,
//!   `vMAJOR.MINOR` shorthands without suffixes, full versions with pre-release and build),
//!   except that the `v` is optional, because Go module records in OSV omit it while the
//!   module versions found in binaries carry it. Pseudo-versions and `+incompatible` need no
//!   special treatment: they are ordinary pre-release and build suffixes.
//!
//! Numbers are kept as digit strings and compared by length first, so `99999999999999999999`
//! is an ordinary (large) number here rather than an overflow; Go's package does the same.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{VersionError, VersionScheme};

/// Name under which the SemVer scheme reports itself and its errors.
const SEMVER_SCHEME: &str = "semver";

/// Name under which the Go module scheme reports itself and its errors.
const GO_SCHEME: &str = "go";

/// The two parsing dialects sharing one precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// SemVer 2.0.0 with the leniencies OSV consumers apply to npm and crates.io data.
    Lenient,
    /// `golang.org/x/mod/semver` syntax with an optional leading `v`.
    Go,
}

impl Dialect {
    fn scheme(self) -> &'static str {
        match self {
            Dialect::Lenient => SEMVER_SCHEME,
            Dialect::Go => GO_SCHEME,
        }
    }
}

/// A parsed semantic version.
///
/// Ordering and equality are SemVer precedence, so build metadata is ignored by both:
/// `1.0.0+a` equals `1.0.0+b`. That is why the type does not implement `Hash`; use the original
/// string when a key is needed.
#[derive(Debug, Clone)]
pub struct SemverVersion {
    major: String,
    minor: String,
    patch: String,
    /// Dot-separated identifiers without the leading `-`; empty when there is no pre-release.
    pre: String,
    /// Dot-separated identifiers without the leading `+`; empty when there is none.
    build: String,
}

impl SemverVersion {
    /// Parses a SemVer 2.0.0 version with the leniencies of the [`Semver`] scheme
    /// (`v1.2`, `=1.2.3`, ` 1.2.3-rc.1 `).
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        parse(input, Dialect::Lenient)
    }

    /// Parses a Go module version (`v1.2.3`, `1.2.3`, `v0.0.0-20191109021931-daa7c04131f5`,
    /// `v2.0.0+incompatible`, the shorthands `v1` and `v1.2`) as the [`GoVersion`] scheme does.
    pub fn parse_go(input: &str) -> Result<Self, VersionError> {
        parse(input, Dialect::Go)
    }

    /// Whether the version has a pre-release part, which ranks it below the release itself.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The pre-release identifiers without the leading `-` (empty when there are none).
    pub fn prerelease(&self) -> &str {
        &self.pre
    }

    /// The build metadata without the leading `+` (empty when there is none). It is kept only
    /// for display: it never affects ordering.
    pub fn build(&self) -> &str {
        &self.build
    }
}

/// Reads a numeric identifier (`0` or digits without a leading zero) at the start of `s`.
fn numeric_prefix<'a>(
    s: &'a str,
    what: &str,
    err: &impl Fn(String) -> VersionError,
) -> Result<(&'a str, &'a str), VersionError> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    let (digits, rest) = s.split_at(len);
    if digits.is_empty() {
        return Err(err(match rest.chars().next() {
            Some(c) => format!("{what} version must be a number, found {c:?}"),
            None => format!("{what} version is missing"),
        }));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(err(format!("{what} version {digits:?} has a leading zero")));
    }
    Ok((digits, rest))
}

/// Checks a dot-separated identifier list (the text after `-` or `+`).
fn check_identifiers(
    ids: &str,
    what: &str,
    numeric_rule: bool,
    err: &impl Fn(String) -> VersionError,
) -> Result<(), VersionError> {
    for id in ids.split('.') {
        if id.is_empty() {
            return Err(err(format!("{what} has an empty identifier")));
        }
        if let Some(c) = id
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(err(format!(
                "{what} identifier contains {c:?}; only ASCII letters, digits and '-' are allowed"
            )));
        }
        if numeric_rule && id.len() > 1 && id.starts_with('0') && is_numeric(id) {
            return Err(err(format!(
                "{what} identifier {id:?} is numeric with a leading zero"
            )));
        }
    }
    Ok(())
}

/// SemVer calls an identifier numeric when it has digits only; that decides how it compares.
fn is_numeric(id: &str) -> bool {
    id.bytes().all(|b| b.is_ascii_digit())
}

/// One parser for both dialects, so they cannot drift apart on the parts they share.
fn parse(input: &str, dialect: Dialect) -> Result<SemverVersion, VersionError> {
    let err = |reason: String| VersionError::invalid(dialect.scheme(), input, reason);

    let mut s = input;
    match dialect {
        Dialect::Lenient => {
            s = s.trim_matches(|c: char| c.is_ascii_whitespace());
            s = s.strip_prefix('=').unwrap_or(s);
            s = s.strip_prefix('v').unwrap_or(s);
        }
        Dialect::Go => {
            s = s.strip_prefix('v').unwrap_or(s);
        }
    }
    if s.is_empty() {
        return Err(err("version string is empty".into()));
    }

    let (major, mut rest) = numeric_prefix(s, "major", &err)?;
    let (mut minor, mut patch, mut full) = ("0", "0", false);
    if let Some(after_dot) = rest.strip_prefix('.') {
        (minor, rest) = numeric_prefix(after_dot, "minor", &err)?;
        if let Some(after_dot) = rest.strip_prefix('.') {
            (patch, rest) = numeric_prefix(after_dot, "patch", &err)?;
            full = true;
        }
    }
    if dialect == Dialect::Go && !full && !rest.is_empty() {
        return Err(err(match rest.chars().next() {
            Some(c @ ('-' | '+')) => format!(
                "{c:?} suffix needs a full MAJOR.MINOR.PATCH version; Go only allows the \
                 shorthands vMAJOR and vMAJOR.MINOR without suffixes"
            ),
            Some(c) => format!("unexpected {c:?} after the version number"),
            None => "version ends unexpectedly".into(),
        }));
    }

    let (pre, rest) = match rest.strip_prefix('-') {
        Some(rest) => {
            let end = rest.find('+').unwrap_or(rest.len());
            let (pre, rest) = rest.split_at(end);
            check_identifiers(pre, "pre-release", true, &err)?;
            (pre, rest)
        }
        None => ("", rest),
    };
    let (build, rest) = match rest.strip_prefix('+') {
        Some(build) => {
            check_identifiers(build, "build metadata", false, &err)?;
            (build, "")
        }
        None => ("", rest),
    };
    if let Some(c) = rest.chars().next() {
        let expected = if full {
            "'-' (pre-release), '+' (build) or the end"
        } else {
            "'.', '-' (pre-release), '+' (build) or the end"
        };
        return Err(err(format!(
            "unexpected {c:?} after the version number; expected {expected}"
        )));
    }

    Ok(SemverVersion {
        major: major.to_owned(),
        minor: minor.to_owned(),
        patch: patch.to_owned(),
        pre: pre.to_owned(),
        build: build.to_owned(),
    })
}

/// Compares two unbounded non-negative integers given as ASCII digits.
fn compare_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// SemVer 2.0.0 §11.4 for one pair of pre-release identifiers.
fn compare_identifier(a: &str, b: &str) -> Ordering {
    match (is_numeric(a), is_numeric(b)) {
        (true, true) => compare_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.as_bytes().cmp(b.as_bytes()),
    }
}

/// SemVer 2.0.0 §11.3–11.4: no pre-release ranks above any pre-release; otherwise identifier
/// by identifier, and a longer list wins when one is a prefix of the other.
fn compare_prerelease(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let (mut xs, mut ys) = (a.split('.'), b.split('.'));
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match compare_identifier(x, y) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

impl Ord for SemverVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_digits(&self.major, &other.major)
            .then_with(|| compare_digits(&self.minor, &other.minor))
            .then_with(|| compare_digits(&self.patch, &other.patch))
            .then_with(|| compare_prerelease(&self.pre, &other.pre))
    }
}

impl PartialOrd for SemverVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemverVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemverVersion {}

impl FromStr for SemverVersion {
    type Err = VersionError;

    /// Parses with the lenient SemVer rules; use [`SemverVersion::parse_go`] for Go versions.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SemverVersion::parse(s)
    }
}

impl fmt::Display for SemverVersion {
    /// Writes the full `MAJOR.MINOR.PATCH[-PRE][+BUILD]` form without any `v`, the form OSV
    /// records use; shorthands come out padded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build)?;
        }
        Ok(())
    }
}

/// The SemVer 2.0.0 scheme for OSV `SEMVER` ranges, used for npm and crates.io.
#[derive(Debug, Clone, Copy, Default)]
pub struct Semver;

impl VersionScheme for Semver {
    fn name(&self) -> &'static str {
        SEMVER_SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let a = SemverVersion::parse(a)?;
        let b = SemverVersion::parse(b)?;
        Ok(a.cmp(&b))
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        SemverVersion::parse(v).map(|_| ())
    }
}

/// The Go module version scheme: `golang.org/x/mod/semver.Compare` ordering, with or without
/// the leading `v`.
///
/// Unlike Go's `Compare`, which silently ranks every invalid string below every valid one, an
/// invalid version is an error here: treating garbage as "oldest" would report it vulnerable to
/// everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoVersion;

impl VersionScheme for GoVersion {
    fn name(&self) -> &'static str {
        GO_SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let a = SemverVersion::parse_go(a)?;
        let b = SemverVersion::parse_go(b)?;
        Ok(a.cmp(&b))
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        SemverVersion::parse_go(v).map(|_| ())
    }
}

/// Converts a Go toolchain version as embedded in binaries (`runtime.Version()`, e.g.
/// `go1.21rc2` or `go1.20.5 X:boringcrypto`) into the semantic version Go's vulnerability
/// database uses for the `stdlib` and `toolchain` modules (`1.21.0-rc.2`, `1.20.5`).
///
/// The rules are those of the Go vulnerability tooling: only the first whitespace-separated
/// word counts; `go1` is `1.0.0`; a missing patch is `.0`; `betaN`, `rcN` and the ancient
/// `-preN` become the pre-release `beta.N`, `rc.N` and `pre.N`. Development builds (`devel …`),
/// vendor suffixes and anything else that does not map to a valid version give `None`, since a
/// guess could hide or invent vulnerabilities.
pub fn go_toolchain_semver(v: &str) -> Option<String> {
    let tag = v.split_whitespace().next()?;
    if tag == "go1" {
        return Some("1.0.0".to_owned());
    }
    // The vulnerability tooling refuses `go1.0` (no such release was ever tagged).
    if tag == "go1.0" {
        return None;
    }
    let rest = tag.strip_prefix("go")?;

    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let major_len = digits(rest);
    let (major, rest) = rest.split_at(major_len);
    let rest = rest.strip_prefix('.')?;
    let minor_len = digits(rest);
    let (minor, mut rest) = rest.split_at(minor_len);
    if major.is_empty() || minor.is_empty() {
        return None;
    }
    let mut patch = "0";
    if let Some(after_dot) = rest.strip_prefix('.') {
        let len = digits(after_dot);
        if len == 0 {
            return None;
        }
        (patch, rest) = after_dot.split_at(len);
    }
    let mut version = format!("{major}.{minor}.{patch}");
    if !rest.is_empty() {
        let (kind, number) = ["beta", "rc", "-pre"]
            .iter()
            .find_map(|kind| rest.strip_prefix(kind).map(|n| (kind, n)))?;
        if number.is_empty() || digits(number) != number.len() {
            return None;
        }
        version.push('-');
        version.push_str(kind.trim_start_matches('-'));
        version.push('.');
        version.push_str(number);
    }
    // Leading zeros (`go1.020`) pass the tooling's pattern but yield an invalid version, which
    // its comparisons would then rank below everything; refusing is the honest answer.
    SemverVersion::parse_go(&version).ok().map(|_| version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};
    use proptest::prelude::*;

    fn semver(a: &str, b: &str) -> Ordering {
        Semver
            .compare(a, b)
            .unwrap_or_else(|e| panic!("{a:?} vs {b:?}: {e}"))
    }

    fn go(a: &str, b: &str) -> Ordering {
        GoVersion
            .compare(a, b)
            .unwrap_or_else(|e| panic!("{a:?} vs {b:?}: {e}"))
    }

    #[test]
    fn semver_spec_example_chain() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(semver(a, b), i.cmp(&j), "{a} vs {b}");
                assert_eq!(go(a, b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn semver_leniency() {
        assert_eq!(semver("v1.2.3", "1.2.3"), Equal);
        assert_eq!(semver("=1.2.3", "1.2.3"), Equal);
        assert_eq!(semver("=v1.2.3", "1.2.3"), Equal);
        assert_eq!(semver(" 1.2.3\n", "1.2.3"), Equal);
        assert_eq!(semver("1", "1.0.0"), Equal);
        assert_eq!(semver("1.2", "1.2.0"), Equal);
        assert_eq!(semver("1.2-rc.1", "1.2.0-rc.1"), Equal);
        assert_eq!(semver("1-rc.1+b", "1.0.0-rc.1"), Equal);
        assert_eq!(semver("1.0.0+build.1", "1.0.0+build.2"), Equal);
        let v = SemverVersion::parse("v1.2-rc.1+b.7").expect("valid");
        assert_eq!(v.to_string(), "1.2.0-rc.1+b.7");
        assert!(v.is_prerelease());
        assert_eq!((v.prerelease(), v.build()), ("rc.1", "b.7"));
    }

    #[test]
    fn go_forms() {
        assert_eq!(go("v1.2.3", "1.2.3"), Equal);
        assert_eq!(go("v1", "v1.0.0"), Equal);
        assert_eq!(go("v1.2", "1.2.0"), Equal);
        assert_eq!(go("v2.0.0+incompatible", "v2.0.0"), Equal);
        assert_eq!(go("v0.0.0-20191109021931-daa7c04131f5", "v0.0.0"), Less);
        assert_eq!(
            go(
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-000000000000"
            ),
            Less
        );
        assert_eq!(
            go("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3"),
            Greater
        );
        assert_eq!(
            go("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4-rc.1"),
            Less
        );
        let big = "9".repeat(300);
        assert_eq!(go(&format!("v1.{big}.0"), &format!("v1.1{big}.0")), Less);
        assert_eq!(go(&format!("v1.0.0-{big}"), "v1.0.0-a"), Less);
    }

    #[test]
    fn huge_inputs_stay_linear() {
        let many = format!("1.0.0-{}1", "a.".repeat(300_000));
        let more = format!("1.0.0-{}2", "a.".repeat(300_000));
        assert_eq!(semver(&many, &more), Less);
        assert_eq!(go(&many, &more), Less);
        let big = "9".repeat(500_000);
        assert_eq!(semver(&format!("{big}.0.0"), &format!("1{big}.0.0")), Less);
        let bad = format!("1.0.0-{}", "a.".repeat(300_000));
        assert!(Semver.validate(&bad).is_err());
        assert_eq!(
            go_toolchain_semver(&format!("go1.{big}")),
            Some(format!("1.{big}.0"))
        );
    }

    #[test]
    fn rejections_name_the_problem() {
        for (input, needle) in [
            ("", "empty"),
            ("v", "empty"),
            ("x1.2.3", "number"),
            ("01.2.3", "leading zero"),
            ("1.02.3", "leading zero"),
            ("1.2.03", "leading zero"),
            ("1.2.3-01", "leading zero"),
            ("1.2.3-", "empty identifier"),
            ("1.2.3-a..b", "empty identifier"),
            ("1.2.3+", "empty identifier"),
            ("1.2.3-é", "only ASCII"),
            ("1.2.3+a_b", "only ASCII"),
            ("1.2.3.4", "unexpected '.'"),
            ("1.2.", "patch"),
            ("1..2", "minor"),
            ("V1.2.3", "number"),
            ("1.2.3 4", "unexpected ' '"),
        ] {
            let msg = Semver.validate(input).expect_err(input).to_string();
            assert!(msg.contains(needle), "{input:?}: {msg}");
            assert!(msg.contains("semver"), "{input:?}: {msg}");
            assert!(Semver.compare(input, "1.0.0").is_err());
        }
        for (input, needle) in [
            ("", "empty"),
            ("v1-pre", "full MAJOR.MINOR.PATCH"),
            ("v1.2+build", "full MAJOR.MINOR.PATCH"),
            ("v1.2.3.4", "unexpected '.'"),
            ("=1.2.3", "number"),
            (" v1.2.3", "number"),
            ("vv1.2.3", "number"),
            ("v1.2.3-01", "leading zero"),
            ("v1.", "minor"),
        ] {
            let msg = GoVersion.validate(input).expect_err(input).to_string();
            assert!(msg.contains(needle), "{input:?}: {msg}");
            assert!(msg.contains("go"), "{input:?}: {msg}");
            assert!(GoVersion.compare("v1.0.0", input).is_err());
        }
    }

    #[test]
    fn toolchain_versions_map_to_vulndb_semver() {
        for (input, want) in [
            ("go1.19.8", Some("1.19.8")),
            ("go1.20", Some("1.20.0")),
            ("go1.21rc2", Some("1.21.0-rc.2")),
            ("go1.21.0", Some("1.21.0")),
            ("go1.22beta1", Some("1.22.0-beta.1")),
            ("go1.9.2rc2", Some("1.9.2-rc.2")),
            ("go1.5-pre3", Some("1.5.0-pre.3")),
            ("go1", Some("1.0.0")),
            ("go1.20.5 X:boringcrypto", Some("1.20.5")),
            ("  go1.22.1\n", Some("1.22.1")),
            ("go1.0", None),
            ("devel go1.23-abc123 Mon Jan 1 00:00:00 2024 +0000", None),
            ("devel +abcdef", None),
            ("", None),
            ("   ", None),
            ("go", None),
            ("go1.", None),
            ("go1.21.", None),
            ("go1.21rc", None),
            ("go1.21alpha1", None),
            ("go1.21.0-bigcorp", None),
            ("go1.020", None),
            ("go1.21rc02", None),
            ("1.21.0", None),
            ("go1.2.3.4", None),
        ] {
            assert_eq!(go_toolchain_semver(input).as_deref(), want, "{input:?}");
        }
    }

    /// Valid SemVer 2.0.0 strings built from parts, numbers of any length included.
    fn valid_semver() -> impl Strategy<Value = String> {
        let num = || "0|[1-9][0-9]{0,2}|[1-9][0-9]{19,25}";
        let ident = || prop_oneof![num(), "[0-9]{0,2}[a-zA-Z-][a-zA-Z0-9-]{0,3}"];
        (
            num(),
            num(),
            num(),
            prop::collection::vec(ident(), 0..4),
            prop::collection::vec("[a-zA-Z0-9-]{1,4}", 0..3),
        )
            .prop_map(|(ma, mi, pa, pre, build)| {
                let mut s = format!("{ma}.{mi}.{pa}");
                if !pre.is_empty() {
                    s.push('-');
                    s.push_str(&pre.join("."));
                }
                if !build.is_empty() {
                    s.push('+');
                    s.push_str(&build.join("."));
                }
                s
            })
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = Semver.compare(&s, "1.0.0");
            let _ = GoVersion.compare("v1.0.0", &s);
            let _ = go_toolchain_semver(&s);
        }

        #[test]
        fn never_panics_on_version_like_strings(
            s in "[ =v0-9a-c.+-]{0,20}",
            t in "go[0-9a-c.+ -]{0,12}",
        ) {
            let _ = Semver.compare(&s, &s);
            let _ = GoVersion.validate(&s);
            if let Some(v) = go_toolchain_semver(&t) {
                prop_assert!(GoVersion.validate(&v).is_ok(), "{t:?} -> {v:?}");
            }
            if let Ok(v) = SemverVersion::parse(&s) {
                // The display form is strict SemVer, valid in both dialects and equal.
                prop_assert_eq!(Semver.compare(&v.to_string(), &s), Ok(Equal));
                prop_assert_eq!(GoVersion.compare(&v.to_string(), &v.to_string()), Ok(Equal));
            }
        }

        #[test]
        fn valid_versions_equal_themselves_in_both_dialects(s in valid_semver()) {
            prop_assert_eq!(Semver.compare(&s, &s), Ok(Equal));
            prop_assert_eq!(GoVersion.compare(&s, &format!("v{s}")), Ok(Equal));
        }

        #[test]
        fn ordering_is_antisymmetric_and_dialects_agree(a in valid_semver(), b in valid_semver()) {
            let ab = semver(&a, &b);
            prop_assert_eq!(semver(&b, &a), ab.reverse());
            prop_assert_eq!(go(&a, &b), ab);
        }

        #[test]
        fn ordering_is_transitive(a in valid_semver(), b in valid_semver(), c in valid_semver()) {
            let mut v = [a, b, c];
            v.sort_by(|x, y| semver(x, y));
            prop_assert_ne!(semver(&v[0], &v[1]), Greater);
            prop_assert_ne!(semver(&v[1], &v[2]), Greater);
            prop_assert_ne!(semver(&v[0], &v[2]), Greater, "{:?}", v);
            if semver(&v[0], &v[1]) == Equal && semver(&v[1], &v[2]) == Equal {
                prop_assert_eq!(semver(&v[0], &v[2]), Equal);
            }
        }
    }
}
