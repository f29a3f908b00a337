//! NuGet package versions, ordered as `NuGet.Versioning` orders them (`NuGetVersion` with
//! `VersionComparer.Default`).
//!
//! NuGet advisories (OSV `NuGet` ecosystem, GitHub's advisories) are written against the versions
//! NuGet itself resolves, so NuGet's own library is the reference, not the SemVer text alone:
//! `tests/vectors/nuget*.tsv` hold its verdicts (NuGet.Versioning as shipped in NuGet.exe, run
//! under Mono; see `scripts/version-vectors/README.md`).
//!
//! A NuGet version is `Major[.Minor[.Patch[.Revision]]][-Label{.Label}][+Metadata{.Metadata}]`
//! ("Package versioning" in the NuGet documentation):
//!
//! - one to four numbers; a missing number is `0`, so `1`, `1.0`, `1.0.0` and `1.0.0.0` are the
//!   same version, and leading zeros are allowed (`1.01` is `1.1`);
//! - after the first `-`, dot-separated pre-release labels of ASCII letters, digits and `-`
//!   (SemVer 2.0.0); a label of digits only may not have a leading zero (`1.0.0-01` is refused,
//!   `1.0.0-0` and `1.0.0-01a` are fine);
//! - after the first `+`, dot-separated build metadata of the same characters, leading zeros
//!   allowed; metadata never affects ordering (`1.0.0+a` equals `1.0.0+b`).
//!
//! Versions order by their four numbers, then a version without labels ranks above any with
//! labels, then label by label (a longer list wins when one is a prefix of the other). Two
//! labels compare as NuGet compares them:
//!
//! - a label NuGet reads as a 32-bit integer is numeric and ranks below every other label;
//!   two numeric labels compare by value. NuGet parses labels with .NET's `int.TryParse`, so
//!   `-5` (in `1.0.0--5`) is the number −5, `-0` equals `0`, and a run of digits too large for
//!   32 bits (`1.0.0-9999999999`) is *not* numeric: it compares as text.
//! - other labels compare as ASCII text ignoring case (`.NET`'s `OrdinalIgnoreCase`):
//!   `1.0.0-Beta` equals `1.0.0-beta`, and `1.0.0-alpha` < `1.0.0-Beta`.
//!
//! # What is accepted
//!
//! Exactly what `NuGetVersion.TryParse` accepts, with one deliberate exception. Its leniencies
//! are kept, since a version NuGet restored must be matched even if it was written oddly:
//!
//! - whitespace around the whole string is ignored, in .NET's sense of whitespace (Unicode
//!   `White_Space`: tab, line breaks, no-break space, ideographic space, …), as is ASCII
//!   whitespace (tab, line feed, vertical tab, form feed, carriage return, space) around each
//!   number (`1. 2` is `1.2`), and NUL characters right after a number and its trailing
//!   whitespace (`1.0\0`), all because .NET's integer parser allows them.
//!
//! The exception: NuGet refuses numbers above 2147483647 (`int.MaxValue`) in the four numeric
//! parts; here they are accepted and compared by value, whatever their length, so no input can
//! overflow anything. No published package carries such a number (nuget.org parses versions with
//! the same library), so this only widens what is accepted.
//!
//! Everything else is refused with a [`VersionError`] naming the part at fault: an empty
//! string, more than four numbers, a number with anything but digits (no `v` prefix, no sign,
//! no non-ASCII digits), empty labels or metadata identifiers, characters other than ASCII
//! letters, digits and `-` in them, and numeric labels with a leading zero.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{VersionError, VersionScheme};

/// Name under which the NuGet scheme reports itself and its errors.
const SCHEME: &str = "nuget";

/// The names of the four numeric parts, for error messages.
const PART_NAMES: [&str; 4] = ["major", "minor", "patch", "revision"];

/// A parsed NuGet version.
///
/// Ordering and equality are NuGet's (`VersionComparer.Default`): `1.0` equals `1.0.0.0`,
/// labels ignore case and build metadata is ignored. That is why the type does not implement
/// `Hash`; use [`NuGetVersion::normalized`] when a key is needed.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    /// Major, minor, patch and revision as significant digits (no leading zeros; zero is the
    /// empty string), so numbers of any length compare by length, then digit by digit.
    numbers: [String; 4],
    /// The pre-release labels; empty for a release.
    labels: Vec<Label>,
    /// Build metadata without the `+`; empty when there is none. Kept for display only.
    metadata: String,
}

/// One pre-release label: its text as written and, when NuGet reads it as a 32-bit integer,
/// that integer.
#[derive(Debug, Clone)]
struct Label {
    text: String,
    number: Option<i32>,
}

impl Label {
    fn new(text: &str) -> Self {
        Label {
            text: text.to_owned(),
            number: dotnet_int(text),
        }
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.number, other.number) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => upper(&self.text).cmp(upper(&other.text)),
        }
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Label {}

/// The bytes of a label folded to upper case, as `OrdinalIgnoreCase` compares ASCII text.
fn upper(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes().map(|b| b.to_ascii_uppercase())
}

/// The value .NET's `int.TryParse` gives a label, if any. Labels hold only ASCII letters,
/// digits and `-` (checked before), so the only forms it accepts are `-?[0-9]+` within the
/// 32-bit range; leading zeros are fine (`-007` is −7).
fn dotnet_int(label: &str) -> Option<i32> {
    let (negative, digits) = match label.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, label),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    // Eleven digits exceed every 32-bit value; checking the length first keeps the parse
    // below from ever seeing a long run.
    if significant.len() > 10 {
        return None;
    }
    let magnitude: i64 = if significant.is_empty() {
        0
    } else {
        significant.parse().ok()?
    };
    let value = if negative { -magnitude } else { magnitude };
    i32::try_from(value).ok()
}

/// .NET's `char.IsWhiteSpace` for the ASCII characters its integer parser skips around a
/// number: tab, line feed, vertical tab, form feed, carriage return and space. (Rust's
/// `is_ascii_whitespace` leaves out the vertical tab.)
fn is_number_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Reads one of the four numbers as .NET's `int.TryParse` reads it (minus the 32-bit limit):
/// optional whitespace, at least one ASCII digit, optional whitespace, optional NULs. Returns
/// its significant digits.
fn number(
    part: &str,
    name: &str,
    err: &impl Fn(String) -> VersionError,
) -> Result<String, VersionError> {
    let bytes = part.as_bytes();
    let start = bytes.iter().take_while(|&&b| is_number_space(b)).count();
    let digits = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return Err(err(match part[start..].chars().next() {
            Some(c) => format!("{name} version must be a number, found {c:?}"),
            None => format!("{name} version is missing"),
        }));
    }
    let end = start + digits;
    let rest = &part[end..];
    let after_space = rest.trim_start_matches(|c: char| c.is_ascii() && is_number_space(c as u8));
    let after_nul = after_space.trim_start_matches('\0');
    if let Some(c) = after_nul.chars().next() {
        return Err(err(format!(
            "{name} version {:?} has {c:?} after its digits",
            crate::quote(part)
        )));
    }
    Ok(part[start..end].trim_start_matches('0').to_owned())
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
        if numeric_rule
            && id.len() > 1
            && id.starts_with('0')
            && id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err(format!(
                "{what} identifier {:?} is numeric with a leading zero",
                crate::quote(id)
            )));
        }
    }
    Ok(())
}

impl NuGetVersion {
    /// Parses a version as `NuGetVersion.TryParse` does; see the module documentation for the
    /// one place it is more lenient.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let err = |reason: String| VersionError::invalid(SCHEME, input, reason);
        // `str::trim` removes Unicode `White_Space`, the same set as .NET's `string.Trim()`.
        let s = input.trim();
        if s.is_empty() {
            return Err(err("version string is empty".into()));
        }
        let (head, metadata) = match s.split_once('+') {
            Some((head, meta)) => {
                check_identifiers(meta, "build metadata", false, &err)?;
                (head, meta)
            }
            None => (s, ""),
        };
        let (core, labels) = match head.split_once('-') {
            Some((core, labels)) => {
                check_identifiers(labels, "pre-release label", true, &err)?;
                (core, labels.split('.').map(Label::new).collect())
            }
            None => (head, Vec::new()),
        };
        let mut numbers: [String; 4] = Default::default();
        for (i, part) in core.split('.').enumerate() {
            let (Some(slot), Some(name)) = (numbers.get_mut(i), PART_NAMES.get(i)) else {
                return Err(err(
                    "more than four numbers (Major.Minor.Patch.Revision)".into()
                ));
            };
            *slot = number(part, name, &err)?;
        }
        Ok(NuGetVersion {
            numbers,
            labels,
            metadata: metadata.to_owned(),
        })
    }

    /// Whether the version has pre-release labels, which rank it below the release itself.
    pub fn is_prerelease(&self) -> bool {
        !self.labels.is_empty()
    }

    /// The build metadata without the leading `+` (empty when there is none). It is kept only
    /// for display: it never affects ordering.
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// NuGet's normalized form ("Normalized version numbers" in the NuGet documentation):
    /// leading zeros dropped, three numbers plus the revision only when it is not zero, labels
    /// as written, no metadata. `1.01` becomes `1.1.0`, `1.0.0.0` becomes `1.0.0`. Versions that
    /// compare equal normalize alike except for the case of their labels (and, for labels
    /// NuGet reads as negative numbers, `-0` against `0`).
    pub fn normalized(&self) -> String {
        let num = |n: &str| {
            if n.is_empty() {
                "0".to_owned()
            } else {
                n.to_owned()
            }
        };
        let [major, minor, patch, revision] = &self.numbers;
        let mut s = format!("{}.{}.{}", num(major), num(minor), num(patch));
        if !revision.is_empty() {
            s.push('.');
            s.push_str(revision);
        }
        for (i, label) in self.labels.iter().enumerate() {
            s.push(if i == 0 { '-' } else { '.' });
            s.push_str(&label.text);
        }
        s
    }
}

/// Compares two unbounded non-negative integers given as significant digits.
fn compare_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let numbers = self
            .numbers
            .iter()
            .zip(&other.numbers)
            .map(|(a, b)| compare_digits(a, b))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal);
        numbers.then_with(|| match (self.labels.is_empty(), other.labels.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            // Lexicographic: label by label, a prefix ranks below the longer list.
            (false, false) => self.labels.cmp(&other.labels),
        })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

impl FromStr for NuGetVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NuGetVersion::parse(s)
    }
}

impl fmt::Display for NuGetVersion {
    /// The [normalized](NuGetVersion::normalized) form followed by `+metadata` when there is
    /// any (NuGet's "full string").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized())?;
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

/// The NuGet scheme for OSV `NuGet` records.
#[derive(Debug, Clone, Copy, Default)]
pub struct NuGet;

impl VersionScheme for NuGet {
    fn name(&self) -> &'static str {
        SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let a = NuGetVersion::parse(a)?;
        let b = NuGetVersion::parse(b)?;
        Ok(a.cmp(&b))
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        NuGetVersion::parse(v).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};
    use proptest::prelude::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        NuGet
            .compare(a, b)
            .unwrap_or_else(|e| panic!("{a:?} vs {b:?}: {e}"))
    }

    /// Package versioning, "Pre-release versions" and "Semantic Versioning 2.0.0": the SemVer
    /// precedence example holds, and so does the documented `1.0.1-alpha < 1.0.1-beta <
    /// 1.0.1-rc < 1.0.1` style of chain with four-part versions around it.
    #[test]
    fn documented_chains() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1-alpha",
            "1.0.0.1",
            "1.0.0.10",
            "1.0.1",
            "1.1",
            "2",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(cmp(a, b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn equal_spellings() {
        for (a, b) in [
            ("1", "1.0.0.0"),
            ("1.0", "1.0.0"),
            ("1.01", "1.1"),
            ("01.02.03.04", "1.2.3.4"),
            ("1.0.0-Beta", "1.0.0-beta"),
            ("1.0.0-RC.1", "1.0.0.0-rc.1"),
            ("1.0.0+build.1", "1.0.0+other"),
            ("1.0.0-a+X", "1.0.0-A"),
            ("  1.0 \t", "1.0"),
            ("\u{3000}1.0\u{a0}", "1.0"),
            ("1 . 2", "1.2"),
            ("1.2.3 -a", "1.2.3-a"),
            ("1.0\0", "1.0"),
            ("1 \0\0.0", "1.0"),
            ("1.0.0--0", "1.0.0-0"),
            ("1.0.0--007", "1.0.0--7"),
        ] {
            assert_eq!(cmp(a, b), Equal, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn label_rules_follow_nuget() {
        // Numeric below text; numeric by value; text ignoring case.
        assert_eq!(cmp("1.0.0-9", "1.0.0-10"), Less);
        assert_eq!(cmp("1.0.0-10", "1.0.0-a"), Less);
        assert_eq!(cmp("1.0.0-a", "1.0.0-B"), Less);
        assert_eq!(cmp("1.0.0-Z", "1.0.0-a"), Greater);
        assert_eq!(cmp("1.0.0-a", "1.0.0--"), Greater);
        assert_eq!(cmp("1.0.0-x", "1.0.0-X-"), Less);
        // .NET's int.TryParse reads `-5` as −5 and refuses numbers past 32 bits, which then
        // compare as text.
        assert_eq!(cmp("1.0.0--5", "1.0.0-0"), Less);
        assert_eq!(cmp("1.0.0--2147483648", "1.0.0-0"), Less);
        assert_eq!(cmp("1.0.0--2147483649", "1.0.0-0"), Greater);
        assert_eq!(cmp("1.0.0-2147483647", "1.0.0-3"), Greater);
        assert_eq!(cmp("1.0.0-2147483648", "1.0.0-3"), Greater);
        assert_eq!(cmp("1.0.0-10000000000", "1.0.0-9000000000"), Less);
        assert_eq!(cmp("1.0.0-2147483648", "1.0.0-a"), Less);
        assert_eq!(cmp("1.0.0-a.1", "1.0.0-a"), Greater);
        assert_eq!(cmp("1.0.0-a.1", "1.0.0-a.A"), Less);
    }

    #[test]
    fn numbers_of_any_length() {
        let big = "9".repeat(400);
        assert_eq!(cmp(&format!("{big}.0"), &format!("1{big}")), Less);
        assert_eq!(cmp(&format!("1.{big}"), &format!("1.0{big}.0.0")), Equal);
        assert_eq!(cmp("2147483648.0", "2147483647.9"), Greater);
        let v = NuGetVersion::parse(&format!("1.2.3.{big}-a+m")).expect("valid");
        assert_eq!(v.to_string(), format!("1.2.3.{big}-a+m"));
    }

    #[test]
    fn normalized_forms() {
        for (input, normal, full) in [
            ("1", "1.0.0", "1.0.0"),
            ("1.00", "1.0.0", "1.0.0"),
            ("1.01.1", "1.1.1", "1.1.1"),
            ("1.00.0.1", "1.0.0.1", "1.0.0.1"),
            ("1.0.0.0", "1.0.0", "1.0.0"),
            ("1.0.7+r3456", "1.0.7", "1.0.7+r3456"),
            (" 1.0.0-Beta.1+Meta ", "1.0.0-Beta.1", "1.0.0-Beta.1+Meta"),
        ] {
            let v = NuGetVersion::parse(input).expect(input);
            assert_eq!(v.normalized(), normal, "{input:?}");
            assert_eq!(v.to_string(), full, "{input:?}");
        }
        let v = NuGetVersion::parse("1.0-rc+x.y").expect("valid");
        assert!(v.is_prerelease());
        assert_eq!(v.metadata(), "x.y");
        assert!(!NuGetVersion::parse("1.0").expect("valid").is_prerelease());
    }

    #[test]
    fn rejections_name_the_problem() {
        for (input, needle) in [
            ("", "empty"),
            (" \t\u{3000}", "empty"),
            ("v1.0", "major version must be a number, found 'v'"),
            ("V1.0", "found 'V'"),
            ("1.0.0.0.0", "more than four"),
            ("1.", "minor version is missing"),
            ("1..2", "minor version is missing"),
            (".1", "major version is missing"),
            ("1. .0", "minor version is missing"),
            ("1.2a", "minor version \"2a\" has 'a'"),
            ("1.\u{a0}2", "found '\\u{a0}'"),
            ("\u{ff11}.0", "found '１'"),
            ("1\0 .0", "major version \"1\\0 \" has ' ' after its digits"),
            ("\u{0}1.0", "found '\\0'"),
            ("\u{200b}1.0", "found '\\u{200b}'"),
            ("-1", "major version is missing"),
            ("+1", "major version is missing"),
            ("1.0.0-", "pre-release label has an empty identifier"),
            ("1.0.0-a..b", "empty identifier"),
            ("1.0.0-a.", "empty identifier"),
            ("1.0.0-01", "leading zero"),
            ("1.0.0-a.00", "leading zero"),
            ("1.0.0-é", "only ASCII"),
            ("1.0.0-a_b", "only ASCII"),
            ("1.0.0-a b", "only ASCII"),
            ("1.0.0-a\0", "only ASCII"),
            ("1.0.0+", "build metadata has an empty identifier"),
            ("1.0.0+a..b", "empty identifier"),
            ("1.0.0+a+b", "only ASCII"),
            ("1.0.0-a+b_c", "only ASCII"),
        ] {
            let msg = NuGet.validate(input).expect_err(input).to_string();
            assert!(msg.contains(needle), "{input:?}: {msg}");
            assert!(msg.contains("nuget"), "{input:?}: {msg}");
            assert!(NuGet.compare(input, "1.0").is_err());
            assert!(NuGet.compare("1.0", input).is_err());
        }
        // Leading zeros are fine in metadata and in labels that are not all digits.
        for ok in ["1.0.0+00", "1.0.0-0", "1.0.0-01a", "1.0.0--00", "1.0.0+-"] {
            assert!(NuGet.validate(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn huge_inputs_stay_linear() {
        let many = format!("1.0.0-{}1", "a.".repeat(300_000));
        let more = format!("1.0.0-{}2", "a.".repeat(300_000));
        assert_eq!(cmp(&many, &more), Less);
        let digits = "7".repeat(1_000_000);
        assert_eq!(
            cmp(&format!("1.0.0-{digits}"), &format!("1.0.0-{digits}8")),
            Less
        );
        assert_eq!(cmp(&digits, &format!("{digits}.1")), Less);
        let spaces = format!("1{}.0", " ".repeat(1_000_000));
        assert_eq!(cmp(&spaces, "1.0"), Equal);
        assert!(
            NuGet
                .validate(&format!("1.0.0-{}", "a.".repeat(300_000)))
                .is_err()
        );
        assert!(NuGet.validate(&"1.".repeat(500_000)).is_err());
        // Messages quote at most a short piece of what was wrong, however long it is.
        for bad in [
            format!("1.2{}x", " ".repeat(1_000_000)),
            format!("1.0.0-0{digits}"),
            format!("{digits}.{digits}.0.0.0"),
        ] {
            let msg = NuGet.validate(&bad).expect_err("invalid").to_string();
            assert!(msg.len() < 600, "{} bytes: {}", msg.len(), &msg[..200]);
        }
    }

    /// Valid NuGet versions built from parts: one to four numbers (leading zeros, huge ones),
    /// labels of every class (numeric, negative, past 32 bits, text in either case).
    fn version() -> impl Strategy<Value = String> {
        let num = || "0|0?[1-9][0-9]{0,2}|[1-9][0-9]{19,25}";
        let label = || {
            prop_oneof![
                "0|[1-9][0-9]{0,2}",
                "-[0-9]{1,3}",
                "[1-9][0-9]{9,12}",
                "[0-9]{0,2}[a-zA-Z-][a-zA-Z0-9-]{0,3}",
                "[aAbB]{1,3}",
            ]
        };
        (
            prop::collection::vec(num(), 1..=4),
            prop::collection::vec(label(), 0..4),
            prop::collection::vec("[a-zA-Z0-9-]{1,4}", 0..3),
        )
            .prop_map(|(nums, labels, meta)| {
                let mut s = nums.join(".");
                if !labels.is_empty() {
                    s.push('-');
                    s.push_str(&labels.join("."));
                }
                if !meta.is_empty() {
                    s.push('+');
                    s.push_str(&meta.join("."));
                }
                s
            })
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = NuGet.compare(&s, "1.0.0");
            let _ = NuGet.compare("1.0.0-a", &s);
        }

        #[test]
        fn never_panics_on_version_like_strings(s in "[ \t\0.+0-9aAzZ-]{0,24}", t in "[.+019a-]{0,12}") {
            if let (Ok(a), Ok(b)) = (NuGetVersion::parse(&s), NuGetVersion::parse(&t)) {
                prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
                // The full display form is a canonical spelling of the same version.
                prop_assert_eq!(NuGet.compare(&a.to_string(), &s), Ok(Equal));
            } else {
                prop_assert!(NuGet.compare(&s, &t).is_err());
            }
        }

        #[test]
        fn display_and_padding_preserve_the_version(s in version()) {
            let v = NuGetVersion::parse(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(NuGet.compare(&v.to_string(), &s), Ok(Equal));
            prop_assert_eq!(NuGet.compare(&v.normalized(), &s), Ok(Equal));
            prop_assert_eq!(NuGet.compare(&s.to_uppercase(), &s), Ok(Equal));
            prop_assert_eq!(NuGet.compare(&format!(" {s}\u{2029}"), &s), Ok(Equal));
        }

        #[test]
        fn ordering_is_antisymmetric(a in version(), b in version()) {
            prop_assert_eq!(cmp(&a, &b), cmp(&b, &a).reverse());
            prop_assert_eq!(cmp(&a, &a), Equal);
        }

        #[test]
        fn ordering_is_transitive(a in version(), b in version(), c in version()) {
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
