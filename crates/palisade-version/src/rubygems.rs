//! Ruby gem versions, ordered as RubyGems' `Gem::Version` orders them.
//!
//! # What a version is
//!
//! `Gem::Version.correct?` accepts a string when, after optional leading and trailing
//! whitespace, it is
//!
//! - a run of ASCII digits,
//! - then any number of `.` each followed by a run of ASCII letters and digits (`1.0`, `1.0a`,
//!   `2.0.0.rc1`),
//! - then optionally one `-` followed by dot-separated runs of letters, digits and `-`
//!   (`1.0-rc1`, `1.0-beta-2.x`).
//!
//! Whitespace is Ruby's `\s`: space, tab, line feed, vertical tab, form feed, carriage return
//! (ASCII only, so a no-break space is refused). Everything else is rejected: `1a` (the first
//! segment is digits only), `1..0`, `.1`, `1.`, `1.0-`, `v1`, `1.0+1`, `1.0_1`.
//!
//! # How versions order
//!
//! RubyGems rewrites every `-` as `.pre.` (so `1.0-rc1` is `1.0.pre.rc1`) and reads the result as
//! segments: maximal runs of digits (numbers) or of letters (strings); the dots only delimit, so
//! `1.0a1 == 1.0.a.1`. Any letter makes a version a prerelease.
//!
//! Comparison works on *canonical* segments: the leading numbers (up to the first string) lose
//! their trailing zeros, and so does the rest. Two canonical lists are then compared position by
//! position, a missing position counting as the number `0`:
//!
//! - a string sorts before a number, which is what puts prereleases before their release
//!   (`1.0.a < 1.0`, `1.0.rc1 < 1.0 == 1.0.0`);
//! - strings compare bytewise (`A < Z < a`; `alpha < beta < pre < rc`);
//! - numbers compare by value, of any length (as digit strings without leading zeros, never
//!   parsed, so they cannot overflow).
//!
//! Canonical segments make a few spellings equal that a plain segment walk would not:
//! `1.0.a == 1.a` (the zero before the first string is dropped) and `1.a.0 == 1.a`.
//!
//! # Deliberate differences
//!
//! RubyGems reads the empty string (or whitespace alone) as version `0`. No real gem or
//! advisory has such a version, and treating a missing value as `0` would silently match every
//! range starting at zero, so here it is an error.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{VersionError, VersionScheme};

/// Name under which the RubyGems scheme reports itself and its errors.
const SCHEME: &str = "rubygems";

/// The segment RubyGems substitutes for every `-` (`-` becomes `.pre.`).
const PRE: &[u8] = b"pre";

/// A validated gem version with its canonical segments.
///
/// Parse one with [`GemVersion::parse`] or `str::parse`. Ordering ([`Ord`]) is `Gem::Version`'s
/// `<=>`, and equality follows it (`1 == 1.0.0`, `1.0a1 == 1.0.a.1`), so the type does not
/// implement `Hash`; use the original string when a hashable key is needed.
#[derive(Debug, Clone)]
pub struct GemVersion {
    /// The input without surrounding whitespace.
    text: String,
    /// Canonical segments, pointing into `text`.
    segments: Vec<Seg>,
    /// Whether any segment is a string (including a `-`'s implied `pre`).
    prerelease: bool,
}

/// One segment, as a range of [`GemVersion::text`] so that huge versions are not copied
/// segment by segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    /// Digits, leading zeros excluded: `start == end` is the number zero.
    Num { start: usize, end: usize },
    /// Letters.
    Str { start: usize, end: usize },
    /// The `pre` a `-` stands for.
    Pre,
}

/// A segment's content, ordered as RubyGems orders segments at the same position: the variant
/// order puts every string before every number, and `Ord` is derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Item<'a> {
    Str(&'a [u8]),
    Num(Digits<'a>),
}

/// A run of digits without leading zeros, ordered numerically (by length, then bytewise).
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

/// What a missing position counts as.
const ZERO: Item<'static> = Item::Num(Digits(b""));

impl Seg {
    fn item<'a>(self, text: &'a [u8]) -> Item<'a> {
        match self {
            Seg::Num { start, end } => Item::Num(Digits(text.get(start..end).unwrap_or_default())),
            Seg::Str { start, end } => Item::Str(text.get(start..end).unwrap_or_default()),
            Seg::Pre => Item::Str(PRE),
        }
    }

    fn is_zero(self) -> bool {
        matches!(self, Seg::Num { start, end } if start == end)
    }

    fn is_string(self) -> bool {
        !matches!(self, Seg::Num { .. })
    }
}

/// Ruby's `\s`: ASCII space, tab, line feed, vertical tab, form feed and carriage return.
fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

impl GemVersion {
    /// Checks `input` as `Gem::Version.correct?` would (refusing blank strings too) and reads its
    /// canonical segments; see the module documentation.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let err = |reason: &str| VersionError::invalid(SCHEME, input, reason);
        let text = input.trim_matches(is_ruby_space);
        if text.is_empty() {
            return Err(err("version string is empty"));
        }
        let (release, pre) = match text.split_once('-') {
            Some((release, pre)) => (release, Some(pre)),
            None => (text, None),
        };
        let mut parts = release.split('.');
        let first = parts.next().unwrap_or_default();
        if first.is_empty() {
            return Err(err("does not start with a number"));
        }
        if !first.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("the first segment is not a number"));
        }
        for part in parts {
            if part.is_empty() {
                return Err(err("empty segment between dots"));
            }
            if !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(err(
                    "a segment holds a character other than ASCII letters and digits",
                ));
            }
        }
        if let Some(pre) = pre {
            for part in pre.split('.') {
                if part.is_empty() {
                    return Err(err("empty segment after '-'"));
                }
                if !part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(err(
                        "a segment after '-' holds a character other than ASCII letters, digits \
                         and '-'",
                    ));
                }
            }
        }
        let raw = segments(text.as_bytes());
        let prerelease = raw.iter().any(|s| s.is_string());
        Ok(GemVersion {
            text: text.to_owned(),
            segments: canonical(raw),
            prerelease,
        })
    }

    /// The version as written, without surrounding whitespace.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether RubyGems calls this a prerelease: it holds a letter (or a `-`, which stands for
    /// `.pre.`).
    pub fn is_prerelease(&self) -> bool {
        self.prerelease
    }

    fn items(&self) -> impl Iterator<Item = Item<'_>> {
        let text = self.text.as_bytes();
        self.segments.iter().map(move |s| s.item(text))
    }
}

/// Reads the segments of a validated version: runs of digits and of letters, with a `pre` for
/// every `-`; every other byte (the dots) only separates.
fn segments(text: &[u8]) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        let run = |i: usize, p: fn(&u8) -> bool| {
            i + text
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|&b| p(b))
                .count()
        };
        if c.is_ascii_digit() {
            let end = run(i, u8::is_ascii_digit);
            let start = run(i, |b| *b == b'0').min(end);
            out.push(Seg::Num { start, end });
            i = end;
        } else if c.is_ascii_alphabetic() {
            let end = run(i, u8::is_ascii_alphabetic);
            out.push(Seg::Str { start: i, end });
            i = end;
        } else {
            if c == b'-' {
                out.push(Seg::Pre);
            }
            i += 1;
        }
    }
    out
}

/// RubyGems' canonical segments: the leading numbers lose their trailing zeros, and so does the
/// part from the first string on.
fn canonical(mut segs: Vec<Seg>) -> Vec<Seg> {
    let first_string = segs
        .iter()
        .position(|s| s.is_string())
        .unwrap_or(segs.len());
    let tail = segs.split_off(first_string);
    let trim = |v: &mut Vec<Seg>| {
        while v.last().is_some_and(|s| s.is_zero()) {
            v.pop();
        }
    };
    trim(&mut segs);
    let mut tail = tail;
    trim(&mut tail);
    segs.extend(tail);
    segs
}

impl FromStr for GemVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GemVersion::parse(s)
    }
}

impl fmt::Display for GemVersion {
    /// Writes the version as given (without surrounding whitespace); it parses back to an equal
    /// version.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (mut a, mut b) = (self.items(), other.items());
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (x, y) => match x.unwrap_or(ZERO).cmp(&y.unwrap_or(ZERO)) {
                    Ordering::Equal => {}
                    unequal => return unequal,
                },
            }
        }
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

/// Compares two gem versions as `Gem::Version#<=>` would.
///
/// The convenience entry point for callers holding raw strings; it fails (naming the offending
/// input) if either is not a valid version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = GemVersion::parse(a)?;
    let b = GemVersion::parse(b)?;
    Ok(a.cmp(&b))
}

/// The RubyGems version scheme.
///
/// Use the shared instance [`crate::RUBYGEMS`], or the unit value directly.
#[derive(Debug, Clone, Copy, Default)]
pub struct RubyGems;

impl VersionScheme for RubyGems {
    fn name(&self) -> &'static str {
        SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        compare(a, b)
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        GemVersion::parse(v).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};
    use proptest::prelude::*;

    /// Ordered pairs from `Gem::Version`'s documented rules; each is checked in both directions.
    /// The tool-generated vectors in `tests/vectors/rubygems.tsv` cover far more.
    const VECTORS: &[(&str, Ordering, &str)] = &[
        ("1.0", Equal, "1.0"),
        ("1", Equal, "1.0.0"),
        ("1.0", Less, "1.1"),
        ("1.9", Less, "1.10"),
        ("1.01", Equal, "1.1"),
        ("2.0.1", Greater, "2.0"),
        ("1.0.a", Less, "1.0"),
        ("1.0.a", Less, "1"),
        ("1.0a", Equal, "1.0.a"),
        ("1.0a1", Equal, "1.0.a.1"),
        ("1.0.a", Equal, "1.a"),
        ("1.a.0", Equal, "1.a"),
        ("1.0.0.a", Equal, "1.a"),
        ("1.0.a.0.b", Greater, "1.a.b"),
        ("1.0.a", Less, "1.0.b"),
        ("1.0.a10", Greater, "1.0.a9"),
        ("1.0.A", Less, "1.0.a"),
        ("1.0.alpha", Less, "1.0.beta"),
        ("1.0.beta", Less, "1.0.pre"),
        ("1.0.pre", Less, "1.0.rc1"),
        ("1.0.rc1", Less, "1.0"),
        ("1.0.rc1", Less, "1.0.0.1"),
        ("1.0-rc1", Equal, "1.0.pre.rc1"),
        ("1.0-rc1", Less, "1.0.rc1"),
        ("1.0--1", Equal, "1.0.pre.pre.1"),
        ("1.0.0.1", Greater, "1.0"),
        ("5.2.4.rc1", Less, "5.2.4"),
        ("5.2.4.1", Greater, "5.2.4"),
        ("6.1.7.10", Greater, "6.1.7.9"),
        ("1.13.10", Greater, "1.13.9"),
        (" 1.0\n", Equal, "1.0"),
        ("\u{b}1.0\u{c}", Equal, "1"),
        (
            "123456789012345678901234567890",
            Less,
            "123456789012345678901234567891",
        ),
        ("1.00000000000000000000000000000000001", Equal, "1.1"),
        ("1.0.00000000000000000000000000000000000", Equal, "1"),
    ];

    #[test]
    fn documented_vectors() {
        for &(a, want, b) in VECTORS {
            assert_eq!(compare(a, b), Ok(want), "{a} vs {b}");
            assert_eq!(compare(b, a), Ok(want.reverse()), "{b} vs {a}");
        }
    }

    #[test]
    fn prereleases_are_versions_with_letters() {
        for (v, pre) in [
            ("1.0", false),
            ("1.0.a", true),
            ("1.0-1", true),
            ("1.0a1", true),
            ("10.20.30", false),
        ] {
            assert_eq!(GemVersion::parse(v).expect(v).is_prerelease(), pre, "{v}");
        }
    }

    #[test]
    fn rejects_bad_input_with_named_errors() {
        let cases = [
            ("", "empty"),
            ("  \t", "empty"),
            ("a", "first segment"),
            ("1a", "first segment"),
            ("v1.0", "first segment"),
            (".1", "does not start"),
            ("-1", "does not start"),
            ("1.", "empty segment"),
            ("1..0", "empty segment"),
            ("1.0-", "after '-'"),
            ("1.0-a..b", "after '-'"),
            ("1.0-a.", "after '-'"),
            ("1.0+1", "ASCII letters and digits"),
            ("1.0_1", "ASCII letters and digits"),
            ("1.0 1", "ASCII letters and digits"),
            ("1.0\u{0}", "ASCII letters and digits"),
            ("\u{a0}1.0", "first segment"),
            ("1.0\u{a0}", "ASCII letters and digits"),
            ("1.é", "ASCII letters and digits"),
            ("1.0-a+b", "after '-'"),
        ];
        for (input, needle) in cases {
            let err = GemVersion::parse(input).expect_err(input);
            let msg = err.to_string();
            assert!(msg.contains(needle), "{input:?}: {msg}");
            assert!(msg.contains("rubygems"), "{input:?}: {msg}");
            assert!(
                msg.contains(&format!("{input:?}")),
                "{input:?} not named in: {msg}"
            );
            assert!(compare(input, "1.0").is_err());
            assert!(compare("1.0", input).is_err());
            assert!(RubyGems.validate(input).is_err());
        }
    }

    #[test]
    fn display_round_trips() {
        for input in ["1.0", " 1.0.a ", "1.0-rc1", "007.0", "1.0--x.y-z"] {
            let v: GemVersion = input.parse().expect("valid");
            assert_eq!(v.to_string(), input.trim());
            let back: GemVersion = v.to_string().parse().expect("display output parses");
            assert_eq!(back.cmp(&v), Equal, "{input}");
        }
    }

    #[test]
    fn huge_input_is_linear_and_exact() {
        let a = format!("1.{}", "9".repeat(200_000));
        let b = format!("1.1{}", "0".repeat(200_000));
        assert_eq!(compare(&a, &b), Ok(Less));
        let zeros = format!("1{}", ".0".repeat(200_000));
        assert_eq!(compare(&zeros, "1"), Ok(Equal));
        let pres = format!("1.0{}", "-a".repeat(100_000));
        assert_eq!(compare(&pres, &format!("{pres}.0")), Ok(Equal));
        assert_eq!(compare(&pres, "1.0"), Ok(Less));
    }

    /// Version-like strings built from the characters that steer `Gem::Version`, valid by
    /// construction.
    fn version() -> impl Strategy<Value = String> {
        (
            "[0-9]{1,3}",
            prop::collection::vec("[0-9a-cA]{1,3}", 0..5),
            prop::option::of(prop::collection::vec("[0-9a-c-]{1,3}", 1..3)),
        )
            .prop_map(|(first, rest, pre)| {
                let mut s = first;
                for r in rest {
                    s.push('.');
                    s.push_str(&r);
                }
                if let Some(pre) = pre {
                    s.push('-');
                    s.push_str(&pre.join("."));
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
            let _ = compare(&s, "1.0.a");
            let _ = compare("1.0.a", &s);
        }

        #[test]
        fn never_panics_on_version_like_strings(s in "[0-9a-z. \t-]{0,16}", t in "[0-9a-z.-]{0,16}") {
            let _ = compare(&s, &t);
        }

        #[test]
        fn generated_versions_are_valid(v in version()) {
            prop_assert!(GemVersion::parse(&v).is_ok(), "{}", v);
        }

        #[test]
        fn trailing_zeros_and_separators_do_not_matter(v in version()) {
            prop_assert_eq!(cmp(&v, &format!("{v}.0")), Equal);
            prop_assert_eq!(cmp(&v, &format!(" {v}\n")), Equal);
        }

        #[test]
        fn a_letter_makes_a_prerelease_of_the_release(v in "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}", s in "[a-zA-Z]{1,4}") {
            prop_assert_eq!(cmp(&format!("{v}.{s}"), &v), Less);
            prop_assert_eq!(cmp(&format!("{v}-{s}"), &v), Less);
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        /// Huge hostile versions (hundreds of thousands of segments or digits) are parsed and
        /// compared in time linear in their length. The bound is generous (a debug build on a
        /// busy machine); a quadratic pass over these inputs would take minutes.
        #[test]
        fn huge_inputs_take_bounded_time(
            unit in "(\\.[0-9a-z]{1,3}|-[0-9a-z-]{1,3}|[0-9]{1,3})",
            repeat in 20_000usize..60_000,
            tail in "[0-9a-z]{0,3}",
        ) {
            let long = format!("1{}", unit.repeat(repeat));
            let other = format!("{long}.{tail}");
            let started = std::time::Instant::now();
            let _ = compare(&long, &other);
            let _ = compare(&other, "1.0");
            let _ = compare(&long, &long);
            prop_assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        }
    }
}
