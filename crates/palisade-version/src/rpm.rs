//! RPM package versions, ordered as rpm orders them: epoch, then `rpmvercmp` on the version,
//! then `rpmvercmp` on the release.
//!
//! Inputs are EVR strings, `[epoch:]version[-release]`, the way OSV's AlmaLinux and Red Hat
//! records and rpm databases write them (`1:3.0.7-24.el9`, `2.34-60.el9_2.7`). The epoch is
//! split off at the first colon and must be a decimal number; the release is everything after
//! the *last* hyphen (rpm's own `parseEVR` split). A missing epoch is `0`.
//!
//! # A missing release
//!
//! rpm has two answers and they differ. Dependency matching (`rpmdsCompare`, `rpm.ver.matches`)
//! treats a missing release as a wildcard, so `foo >= 1.0` is satisfied by `1.0-5`. Ordering
//! two EVRs (`rpm.labelCompare`, which `rpmdev-vercmp` and yum/dnf use to sort candidates, and
//! the comparison Trivy's `go-rpm-version` performs) instead sorts a missing release *before*
//! any release: `1.0 < 1.0-0 < 1.0-1`. A version scheme answers "which is older", so this
//! module follows `labelCompare`; the vectors in `tests/vectors/rpm.tsv` are its verdicts.
//!
//! # rpmvercmp
//!
//! Both strings are read as segments: maximal runs of ASCII digits or of ASCII letters. Every
//! other byte is a separator and is skipped, except `~` and `^`, which are segments of their
//! own. Segment by segment:
//!
//! - `~` sorts before everything, even the end of the string (`1.0~rc1 < 1.0`);
//! - `^` sorts after the end of the string but before any other segment
//!   (`1.0 < 1.0^git1 < 1.0.1`; rpm 4.15's caret semantics);
//! - a numeric segment beats an alphabetic one (`1.0.1 > 1.0.a`);
//! - numbers compare numerically, leading zeros ignored, of any length (compared as digit
//!   strings, never parsed, so they cannot overflow); letters compare bytewise (`Z < a`);
//! - when one string runs out of segments first, the other (whose next segment can only be
//!   alphanumeric) is newer.
//!
//! Separators only delimit, so `1.0 == 1_0 == 1..0` and `1.0a == 1.0.a` to rpm, and here.
//!
//! # What is rejected
//!
//! rpm compares nearly anything, and so does this module, with a few exceptions that would
//! only ever come from corrupt data: the empty string, whitespace or control characters
//! anywhere, an epoch that is empty, not decimal or larger than `u32::MAX` (rpm stores epochs
//! as 32-bit integers in package headers), an empty version, and an empty release after a
//! trailing hyphen. Non-ASCII bytes are accepted and, as in rpm, act as separators.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{VersionError, VersionScheme};

/// Name under which the RPM scheme reports itself and its errors.
const SCHEME: &str = "rpm";

/// A parsed RPM EVR: epoch, version and optional release.
///
/// Parse one with [`RpmVersion::parse`] or `str::parse`. Ordering ([`Ord`]) is
/// `rpm.labelCompare`'s ordering, and equality follows it: `1.0`, `0:1.0`, `1.00` and `1_0` are
/// all equal. For that reason the type does not implement `Hash`; use the original string when
/// a hashable key is needed.
#[derive(Debug, Clone)]
pub struct RpmVersion {
    epoch: u32,
    version: String,
    release: Option<String>,
}

impl RpmVersion {
    /// Parses an EVR string such as `1:3.0.7-24.el9`; see the module documentation for what is
    /// rejected.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let err = |reason: &str| VersionError::invalid(SCHEME, input, reason);

        if input.is_empty() {
            return Err(err("version string is empty"));
        }
        if input.chars().any(char::is_whitespace) {
            return Err(err("version string contains whitespace"));
        }
        if input.chars().any(char::is_control) {
            return Err(err("version string contains a control character"));
        }

        let (epoch, rest) = match input.split_once(':') {
            None => (0, input),
            Some((epoch_str, rest)) => {
                if epoch_str.is_empty() {
                    return Err(err("epoch before ':' is empty"));
                }
                if !epoch_str.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("epoch before ':' is not a non-negative decimal number"));
                }
                let epoch = epoch_str
                    .parse::<u32>()
                    .map_err(|_| err("epoch before ':' is larger than rpm's 32-bit epochs"))?;
                (epoch, rest)
            }
        };

        let (version, release) = match rest.rsplit_once('-') {
            None => (rest, None),
            Some((version, release)) => {
                if release.is_empty() {
                    return Err(err("release after the last '-' is empty"));
                }
                (version, Some(release))
            }
        };
        if version.is_empty() {
            return Err(err("version is empty"));
        }

        Ok(RpmVersion {
            epoch,
            version: version.to_owned(),
            release: release.map(str::to_owned),
        })
    }

    /// The epoch; `0` when the EVR had none. It overrides everything else, which is how
    /// packagers recover from an upstream renumbering.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The version: everything after the epoch and before the last hyphen.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The release after the last hyphen, or `None` when the EVR had none (which sorts before
    /// every release; see the module documentation).
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

impl FromStr for RpmVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RpmVersion::parse(s)
    }
}

impl fmt::Display for RpmVersion {
    /// Writes `[epoch:]version[-release]`, the epoch only when it is non-zero. The output
    /// parses back to an equal version.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.version)?;
        if let Some(release) = &self.release {
            write!(f, "-{release}")?;
        }
        Ok(())
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                // labelCompare: a missing release is older than any release.
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => rpmvercmp(a, b),
            })
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmVersion {}

/// One segment of a version or release, in rpmvercmp's terms.
///
/// The variant order is the order rpm gives segments of different kinds at the same position,
/// which is why `Ord` can be derived: `~` < end of string < `^` < letters < digits. Within a
/// kind, letters compare bytewise and numbers (held without leading zeros) by length first,
/// then bytewise, which is numeric order without parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Segment<'a> {
    Tilde,
    End,
    Caret,
    Alpha(&'a [u8]),
    Numeric(Digits<'a>),
}

/// A run of digits with its leading zeros removed, ordered numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Digits<'a>(&'a [u8]);

impl Ord for Digits<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(other.0))
    }
}

impl PartialOrd for Digits<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reads the segment starting at or after `*pos` (skipping separators) and moves `*pos` past
/// it. Each call consumes at least one byte unless it returns [`Segment::End`], so a
/// comparison is linear in the length of its inputs.
fn next_segment<'a>(s: &'a [u8], pos: &mut usize) -> Segment<'a> {
    while let Some(&c) = s.get(*pos) {
        if c.is_ascii_alphanumeric() || c == b'~' || c == b'^' {
            break;
        }
        *pos += 1;
    }
    let rest = s.get(*pos..).unwrap_or_default();
    let Some(&first) = rest.first() else {
        return Segment::End;
    };
    match first {
        b'~' => {
            *pos += 1;
            Segment::Tilde
        }
        b'^' => {
            *pos += 1;
            Segment::Caret
        }
        c if c.is_ascii_digit() => {
            let len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            *pos += len;
            let run = &rest[..len];
            let zeros = run.iter().take_while(|&&c| c == b'0').count();
            Segment::Numeric(Digits(&run[zeros..]))
        }
        _ => {
            let len = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
            *pos += len;
            Segment::Alpha(&rest[..len])
        }
    }
}

/// Compares two version (or two release) strings as rpm's `rpmvercmp` does.
///
/// Exposed because some data carries bare versions without an EVR around them; see the module
/// documentation for the rules.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        let (sa, sb) = (next_segment(a, &mut i), next_segment(b, &mut j));
        match sa.cmp(&sb) {
            Ordering::Equal if sa == Segment::End => return Ordering::Equal,
            Ordering::Equal => {}
            unequal => return unequal,
        }
    }
}

/// Compares two EVR strings as `rpm.labelCompare` would.
///
/// This is the convenience entry point for callers holding raw strings; it fails (naming the
/// offending input) if either is not a valid EVR.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = RpmVersion::parse(a)?;
    let b = RpmVersion::parse(b)?;
    Ok(a.cmp(&b))
}

/// The RPM version scheme (AlmaLinux, Rocky Linux, Red Hat, openSUSE and other rpm-based
/// distributions).
///
/// Use the shared instance [`crate::RPM`], or the unit value directly.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rpm;

impl VersionScheme for Rpm {
    fn name(&self) -> &'static str {
        SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        compare(a, b)
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        RpmVersion::parse(v).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};
    use proptest::prelude::*;

    /// Ordered pairs from rpm's documented rules (rpmvercmp, caret and tilde semantics) and
    /// labelCompare's handling of a missing release. Each is checked in both directions; the
    /// tool-generated vectors in `tests/vectors/rpm.tsv` cover far more.
    const VECTORS: &[(&str, Ordering, &str)] = &[
        ("1.0", Equal, "1.0"),
        ("1.0", Less, "2.0"),
        ("2.0.1", Greater, "2.0"),
        ("2.10", Greater, "2.9"),
        ("1.001", Equal, "1.1"),
        ("1.0", Equal, "1_0"),
        ("1.0", Equal, "1..0"),
        ("1.0", Equal, "1.0."),
        ("1.0a", Equal, "1.0.a"),
        ("1.0.1", Greater, "1.0.a"),
        ("1.0a", Greater, "1.0"),
        ("a", Less, "1"),
        ("Z", Less, "a"),
        ("abc", Less, "abd"),
        ("1.0~rc1", Less, "1.0"),
        ("1.0~rc1", Less, "1.0~rc2"),
        ("1.0~~", Less, "1.0~"),
        ("1.0~", Less, "1.0"),
        ("1.0^", Greater, "1.0"),
        ("1.0^git1", Less, "1.0.1"),
        ("1.0^git1", Less, "1.0a"),
        ("1.0^git1", Greater, "1.0~rc1"),
        ("1.0^git1", Less, "1.0^git2"),
        ("1.0^^", Greater, "1.0^"),
        ("1.0~^", Less, "1.0"),
        (
            "123456789012345678901234567890",
            Less,
            "123456789012345678901234567891",
        ),
        ("1.00000000000000000000000000000000001", Equal, "1.1"),
        ("1:1.0", Greater, "2.0"),
        ("0:1.0", Equal, "1.0"),
        ("00:1.0", Equal, "1.0"),
        ("2:0.1", Greater, "1:9.9"),
        // labelCompare: a missing release is older than any release.
        ("1.0", Less, "1.0-0"),
        ("1.0", Less, "1.0-1"),
        ("1.0", Less, "1.0-~"),
        ("1.0-1", Less, "1.0-2"),
        ("1.0-1", Equal, "1.0-01"),
        ("1.0-1-2", Greater, "1.0-1-1"),
        ("1.0-1.el9", Less, "1.0-1.el9_2"),
        ("2.34-60.el9", Less, "2.34-60.el9_2.7"),
        ("2.34-60.el9_2.7", Less, "2.34-60.el9_2.10"),
        ("1:3.0.7-24.el9", Greater, "3.0.7-27.el9"),
        (
            "1:0.1.15-2.git2d0b8a3.module_el8.5.0+119+9a9ec082",
            Greater,
            "1:0.1.15-2.git2d0b8a3.module_el8.4.0+2496+12421f43",
        ),
    ];

    #[test]
    fn documented_vectors() {
        for &(a, want, b) in VECTORS {
            assert_eq!(compare(a, b), Ok(want), "{a} vs {b}");
            assert_eq!(compare(b, a), Ok(want.reverse()), "{b} vs {a}");
        }
    }

    #[test]
    fn parses_components() {
        let v = RpmVersion::parse("1:3.0.7-24.el9").expect("valid");
        assert_eq!(
            (v.epoch(), v.version(), v.release()),
            (1, "3.0.7", Some("24.el9"))
        );
        let v = RpmVersion::parse("2.34").expect("valid");
        assert_eq!((v.epoch(), v.version(), v.release()), (0, "2.34", None));
        let v = RpmVersion::parse("1.0-rc1-2").expect("valid");
        assert_eq!((v.version(), v.release()), ("1.0-rc1", Some("2")));
        let v = RpmVersion::parse("1:2:3-4").expect("valid");
        assert_eq!((v.epoch(), v.version(), v.release()), (1, "2:3", Some("4")));
        let v = RpmVersion::parse("4294967295:1").expect("largest epoch");
        assert_eq!(v.epoch(), u32::MAX);
    }

    #[test]
    fn display_round_trips() {
        for input in ["1.0", "0:1.0-1", "1:3.0.7-24.el9", "007:1-2", "1:2:3-4"] {
            let v: RpmVersion = input.parse().expect("valid");
            let back: RpmVersion = v.to_string().parse().expect("display output parses");
            assert_eq!(back.cmp(&v), Equal, "{input}");
            assert_eq!(back.version(), v.version());
            assert_eq!(back.release(), v.release());
        }
        assert_eq!(
            RpmVersion::parse("0:1.0-1").expect("valid").to_string(),
            "1.0-1"
        );
    }

    #[test]
    fn rejects_bad_input_with_named_errors() {
        let cases = [
            ("", "empty"),
            ("1.0 1", "whitespace"),
            (" 1.0", "whitespace"),
            ("1.0\n", "whitespace"),
            ("1.0\u{a0}", "whitespace"),
            ("1.0\u{0}", "control"),
            ("1.0\u{7f}-1", "control"),
            (":1.0", "epoch"),
            ("a:1.0", "epoch"),
            ("-1:1.0", "epoch"),
            ("1.5:1.0", "epoch"),
            ("4294967296:1.0", "32-bit"),
            ("99999999999999999999999:1", "32-bit"),
            ("1:", "version is empty"),
            ("-1", "version is empty"),
            ("1:-1", "version is empty"),
            ("1.0-", "release"),
        ];
        for (input, needle) in cases {
            let err = RpmVersion::parse(input).expect_err(input);
            let msg = err.to_string();
            assert!(msg.contains(needle), "{input:?}: {msg}");
            assert!(msg.contains("rpm"), "{input:?}: {msg}");
            assert!(
                msg.contains(&format!("{input:?}")),
                "{input:?} not named in: {msg}"
            );
            assert!(compare(input, "1.0").is_err());
            assert!(compare("1.0", input).is_err());
            assert!(Rpm.validate(input).is_err());
        }
    }

    #[test]
    fn lenient_like_rpm() {
        for input in [
            "abc",
            "1.0+git",
            "1.0%{dist}",
            "ü1",
            "1,0",
            "~",
            "^",
            "1.0-~",
        ] {
            assert!(RpmVersion::parse(input).is_ok(), "{input}");
        }
        // Non-ASCII bytes are separators, as in rpm's ASCII-only character classes.
        assert_eq!(compare("1ü0", "1.0"), Ok(Equal));
    }

    #[test]
    fn huge_input_is_linear_and_exact() {
        let a = format!("1.{}", "9".repeat(200_000));
        let b = format!("1.1{}", "0".repeat(200_000));
        assert_eq!(compare(&a, &b), Ok(Less));
        let c = format!("1{}", ".".repeat(200_000));
        assert_eq!(compare(&c, "1"), Ok(Equal));
        let d = "~".repeat(200_000);
        assert_eq!(compare(&d, &format!("{d}~")), Ok(Greater));
    }

    /// Version-like strings built from the characters that steer rpmvercmp.
    fn evr() -> impl Strategy<Value = String> {
        (
            prop::option::of(0u32..3),
            "[0-9a-zA-Z.~^_+]{1,8}",
            prop::option::of("[0-9a-z.~^_]{1,6}"),
        )
            .prop_map(|(epoch, version, release)| {
                let mut s = epoch.map(|e| format!("{e}:")).unwrap_or_default();
                s.push_str(&version);
                if let Some(r) = release {
                    s.push('-');
                    s.push_str(&r);
                }
                s
            })
    }

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap_or_else(|e| panic!("{e}"))
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = compare(&s, "1.0-1");
            let _ = compare("1.0-1", &s);
            let _ = rpmvercmp(&s, &s);
        }

        #[test]
        fn ordering_is_antisymmetric(a in evr(), b in evr()) {
            prop_assert_eq!(cmp(&a, &b), cmp(&b, &a).reverse());
            prop_assert_eq!(cmp(&a, &a), Equal);
        }

        #[test]
        fn ordering_is_transitive(a in evr(), b in evr(), c in evr()) {
            let mut v = [a, b, c];
            v.sort_by(|x, y| cmp(x, y));
            prop_assert_ne!(cmp(&v[0], &v[1]), Greater);
            prop_assert_ne!(cmp(&v[1], &v[2]), Greater);
            prop_assert_ne!(cmp(&v[0], &v[2]), Greater, "{:?}", v);
            if cmp(&v[0], &v[1]) == Equal && cmp(&v[1], &v[2]) == Equal {
                prop_assert_eq!(cmp(&v[0], &v[2]), Equal);
            }
        }
    }
}
