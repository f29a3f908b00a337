//! Alpine package versions, ordered as apk-tools orders them (`apk version -t`).
//!
//! An apk version is `number{.number}[letter]{_suffix[number]}[~hash][-rnumber]`, for example
//! `1.1.1t-r2`, `9.4_p1-r0` or `6.4_p20231021-r0`: dotted numbers, at most one lowercase letter,
//! any number of suffixes (`_alpha`, `_beta`, `_pre`, `_rc` sort *before* the plain version;
//! `_cvs`, `_svn`, `_git`, `_hg`, `_p` after it, in that order), an optional commit hash of
//! lowercase hex digits after `~`, and the package revision `-rN`. apk reads a version as a
//! stream of such parts, each kind allowed only after the kinds before it in that list.
//!
//! Two versions compare part by part while both hold the same kind of part:
//!
//! - the first number, suffix numbers and revisions compare as numbers;
//! - a later dotted number compares as a number, unless either side starts with `0`: then both
//!   compare as strings, bytewise (apk's nod to Gentoo's rule that `1.01 < 1.1`, which makes
//!   `8.2.0015 < 8.2.002` and `1.0 < 1.00`);
//! - letters compare bytewise, suffixes by the order above, commit hashes as strings.
//!
//! When the kinds differ (or one side has ended), a pre-release suffix is older than anything;
//! otherwise the side whose part comes *earlier* in the grammar is newer, and the end of the
//! string is older than any part. So `1.0_rc1 < 1.0 < 1.0-r0 < 1.0~abc < 1.0_p1 < 1.0a <
//! 1.0.1`, and `1.0_rc < 1.0_rc0` (an absent number is older than an explicit one).
//!
//! This is the ordering of apk-tools' current tokenizer (the one with commit hashes and
//! string-compared leading zeros; apk-tools 2.12 and older compared `1.0015` and `1.002` by
//! number after the zeros, and knew no `~hash`). `tests/vectors/apk.tsv` holds apk-tools' own
//! test vectors.
//!
//! # Invalid versions
//!
//! `apk_version_compare` never fails: on an invalid version it compares up to the first part it
//! cannot read and stops there, so `1.0bc` and `1.0bz` come out equal (apk's own test file calls
//! this "invalid. do string sort"). That is not an order worth trusting a vulnerability verdict
//! to, so here every version is first checked as `apk_version_validate` (`apk version -c`)
//! checks it, and a version apk calls invalid is a [`VersionError`] naming the first part that
//! could not be read. The one place this is stricter than apk: bytes outside ASCII are refused
//! everywhere, whereas apk's character tables let them into a commit hash. Numbers of any length
//! compare by value here; apk reads them into 64 bits.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{VersionError, VersionScheme};

/// Name under which the apk scheme reports itself and its errors.
const SCHEME: &str = "apk";

/// A validated apk version.
///
/// Parse one with [`ApkVersion::parse`] or `str::parse`. Ordering ([`Ord`]) is apk's ordering,
/// and equality follows it (`6 == 06` as a first number), so the type does not implement `Hash`;
/// use the original string when a hashable key is needed.
#[derive(Debug, Clone)]
pub struct ApkVersion {
    text: String,
}

impl ApkVersion {
    /// Checks `input` as `apk version -c` would and keeps it; see the module documentation.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let mut tokens = Tokens::new(input.as_bytes());
        loop {
            let token = tokens.next();
            match token.kind {
                Kind::End => break,
                Kind::Invalid => return Err(VersionError::invalid(SCHEME, input, token.reason)),
                _ => {}
            }
        }
        Ok(ApkVersion {
            text: input.to_owned(),
        })
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for ApkVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApkVersion::parse(s)
    }
}

impl fmt::Display for ApkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_tokens(self.text.as_bytes(), other.text.as_bytes())
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}

/// The kinds of part, in grammar order. The order matters twice: a part may only follow parts
/// of the kinds before it (with the exceptions in [`Tokens::next`]), and when two versions
/// differ in kind at the same place, the earlier kind is the newer version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Initial,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    Revision,
    End,
    Invalid,
}

/// Suffix names in order of rank. The bare version sorts between `rc` and `cvs`.
const SUFFIXES: [&[u8]; 9] = [
    b"alpha", b"beta", b"pre", b"rc", b"cvs", b"svn", b"git", b"hg", b"p",
];

/// Suffixes ranked below this (`alpha` to `rc`) are pre-releases, older than no suffix at all.
const NO_SUFFIX: u8 = 4;

/// One part of a version: its kind, its text (digits, letter, suffix name or hash) and, for
/// suffixes, its rank.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    text: &'a [u8],
    suffix_rank: u8,
    /// Why the part is [`Kind::Invalid`]; empty otherwise.
    reason: &'static str,
}

impl<'a> Token<'a> {
    fn new(kind: Kind, text: &'a [u8]) -> Self {
        Token {
            kind,
            text,
            suffix_rank: 0,
            reason: "",
        }
    }

    fn invalid(reason: &'static str) -> Self {
        Token {
            kind: Kind::Invalid,
            text: &[],
            suffix_rank: 0,
            reason,
        }
    }
}

/// Reads a version part by part, as apk's tokenizer does. Every call consumes input or returns
/// [`Kind::End`] or [`Kind::Invalid`], after which it keeps returning that; so reading is linear.
struct Tokens<'a> {
    rest: &'a [u8],
    prev: Option<Kind>,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a [u8]) -> Self {
        Tokens {
            rest: s,
            prev: None,
        }
    }

    /// Splits off the longest prefix of `rest` whose bytes satisfy `keep`.
    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a [u8] {
        let len = self.rest.iter().take_while(|&&b| keep(b)).count();
        let (run, rest) = self.rest.split_at(len);
        self.rest = rest;
        run
    }

    fn digits(&mut self) -> &'a [u8] {
        self.take_while(|b| b.is_ascii_digit())
    }

    /// Consumes `n` bytes the caller has already looked at.
    fn skip(&mut self, n: usize) {
        self.rest = self.rest.get(n..).unwrap_or_default();
    }

    fn next(&mut self) -> Token<'a> {
        let token = self.read();
        self.prev = Some(token.kind);
        token
    }

    fn read(&mut self) -> Token<'a> {
        let Some(prev) = self.prev else {
            let digits = self.digits();
            return if digits.is_empty() {
                Token::invalid("an apk version must start with a number")
            } else {
                Token::new(Kind::Initial, digits)
            };
        };
        if prev >= Kind::End {
            return Token::invalid_or_end(prev);
        }
        let Some(&c) = self.rest.first() else {
            return Token::new(Kind::End, &[]);
        };
        match c {
            b'a'..=b'z' => {
                if prev > Kind::Digit {
                    return Token::invalid("a letter may only follow a number");
                }
                let (letter, rest) = self.rest.split_at(1);
                self.rest = rest;
                Token::new(Kind::Letter, letter)
            }
            b'.' => {
                if prev > Kind::Digit {
                    return Token::invalid("'.' may only follow a number");
                }
                self.skip(1);
                let digits = self.digits();
                if digits.is_empty() {
                    return Token::invalid("'.' must be followed by a number");
                }
                Token::new(Kind::Digit, digits)
            }
            b'0'..=b'9' => {
                // Digits right after other digits were consumed with them; after a suffix name
                // they are its number, and anywhere else (after the letter) they are not allowed.
                if prev != Kind::Suffix {
                    return Token::invalid("a number may not follow the letter");
                }
                Token::new(Kind::SuffixNo, self.digits())
            }
            b'_' => {
                if prev > Kind::SuffixNo {
                    return Token::invalid(
                        "a '_' suffix may not follow the commit hash or the revision",
                    );
                }
                self.skip(1);
                let name = self.take_while(|b| b.is_ascii_lowercase());
                match SUFFIXES.iter().position(|&s| s == name) {
                    Some(rank) => Token {
                        // At most 9 suffixes, so the rank always fits.
                        suffix_rank: u8::try_from(rank).unwrap_or(u8::MAX),
                        ..Token::new(Kind::Suffix, name)
                    },
                    None => Token::invalid(
                        "unknown suffix (expected _alpha, _beta, _pre, _rc, _cvs, _svn, _git, \
                         _hg or _p)",
                    ),
                }
            }
            b'~' => {
                if prev >= Kind::CommitHash {
                    return Token::invalid("'~' may not follow the commit hash or the revision");
                }
                self.skip(1);
                let hash = self.take_while(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if hash.is_empty() {
                    return Token::invalid("'~' must be followed by lowercase hex digits");
                }
                Token::new(Kind::CommitHash, hash)
            }
            b'-' => {
                if prev >= Kind::Revision {
                    return Token::invalid("only one '-r' revision is allowed");
                }
                if self.rest.get(1) != Some(&b'r') {
                    return Token::invalid("'-' must start the revision '-rN'");
                }
                self.skip(2);
                let digits = self.digits();
                if digits.is_empty() {
                    return Token::invalid("the revision '-r' must be followed by a number");
                }
                Token::new(Kind::Revision, digits)
            }
            _ => Token::invalid(
                "unexpected character (apk versions are digits, '.', one lowercase letter, \
                 '_' suffixes, a '~' hash and a '-r' revision)",
            ),
        }
    }
}

impl Token<'_> {
    /// What a finished tokenizer keeps returning.
    fn invalid_or_end(prev: Kind) -> Self {
        if prev == Kind::End {
            Token::new(Kind::End, &[])
        } else {
            Token::invalid("unreadable after an earlier error")
        }
    }
}

/// Compares digit runs by numeric value, of any length, without parsing.
fn numeric(a: &[u8], b: &[u8]) -> Ordering {
    let leading_zeros = |s: &[u8]| -> usize { s.iter().take_while(|&&c| c == b'0').count() };
    let a = a.get(leading_zeros(a)..).unwrap_or_default();
    let b = b.get(leading_zeros(b)..).unwrap_or_default();
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Compares two parts of the same kind.
fn compare_same_kind(x: &Token<'_>, y: &Token<'_>) -> Ordering {
    match x.kind {
        Kind::Digit if x.text.first() == Some(&b'0') || y.text.first() == Some(&b'0') => {
            x.text.cmp(y.text)
        }
        Kind::Initial | Kind::Digit | Kind::SuffixNo | Kind::Revision => numeric(x.text, y.text),
        Kind::Suffix => x.suffix_rank.cmp(&y.suffix_rank),
        Kind::Letter | Kind::CommitHash | Kind::End | Kind::Invalid => x.text.cmp(y.text),
    }
}

/// apk's comparison of two version strings, including its partial answer for invalid ones
/// (which the public API never hands out; see the module documentation).
fn compare_tokens(a: &[u8], b: &[u8]) -> Ordering {
    let (mut ta, mut tb) = (Tokens::new(a), Tokens::new(b));
    let (mut x, mut y) = (ta.next(), tb.next());
    while x.kind == y.kind && x.kind < Kind::End {
        match compare_same_kind(&x, &y) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        x = ta.next();
        y = tb.next();
    }
    if x.kind == y.kind {
        return Ordering::Equal;
    }
    if x.kind == Kind::Suffix && x.suffix_rank < NO_SUFFIX {
        return Ordering::Less;
    }
    if y.kind == Kind::Suffix && y.suffix_rank < NO_SUFFIX {
        return Ordering::Greater;
    }
    // The part of the earlier kind belongs to the newer version.
    y.kind.cmp(&x.kind)
}

/// Compares two apk version strings as `apk version -t` would.
///
/// This is the convenience entry point for callers holding raw strings; it fails (naming the
/// offending input) if either is not a version apk considers valid.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = ApkVersion::parse(a)?;
    let b = ApkVersion::parse(b)?;
    Ok(a.cmp(&b))
}

/// The Alpine (apk) version scheme, used for the OSV `Alpine` ecosystem (and other apk-based
/// distributions such as Wolfi and Chainguard).
///
/// Use the shared instance [`crate::APK`], or the unit value directly.
#[derive(Debug, Clone, Copy, Default)]
pub struct Apk;

impl VersionScheme for Apk {
    fn name(&self) -> &'static str {
        SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        compare(a, b)
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        ApkVersion::parse(v).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};
    use proptest::prelude::*;

    /// Pairs from the rules in the module documentation; the vectors in `tests/vectors/apk.tsv`
    /// (apk-tools' own among them) cover far more. Each is checked in both directions.
    const VECTORS: &[(&str, Ordering, &str)] = &[
        ("1.0", Equal, "1.0"),
        ("1.0", Less, "1.0.1"),
        ("1.2", Less, "1.10"),
        ("006", Equal, "6"),
        ("1.0", Less, "1.00"),
        ("1.01", Less, "1.1"),
        ("1.09", Less, "1.1"),
        ("8.2.0015", Less, "8.2.002"),
        ("1.0_alpha", Less, "1.0_beta"),
        ("1.0_beta", Less, "1.0_pre"),
        ("1.0_pre", Less, "1.0_rc"),
        ("1.0_rc", Less, "1.0_rc0"),
        ("1.0_rc1", Less, "1.0"),
        ("1.0", Less, "1.0-r0"),
        ("1.0-r0", Less, "1.0~abc"),
        ("1.0~abc", Less, "1.0_cvs"),
        ("1.0_cvs", Less, "1.0_svn"),
        ("1.0_svn", Less, "1.0_git"),
        ("1.0_git", Less, "1.0_hg"),
        ("1.0_hg", Less, "1.0_p"),
        ("1.0_p1", Less, "1.0a"),
        ("1.0a", Less, "1.0b"),
        ("1.0z", Less, "1.0.0"),
        ("1.0_p9", Less, "1.0_p10"),
        ("1.0-r9", Less, "1.0-r10"),
        ("1.0-r01", Equal, "1.0-r1"),
        ("1.0~1234", Less, "1.0~2345"),
        ("0.1.0_alpha_pre2", Less, "0.1.0_alpha"),
        ("1.1.1t-r0", Less, "1.1.1u-r0"),
        ("9.4_p1-r0", Greater, "9.3_p2-r0"),
        (
            "123456789012345678901234567890",
            Less,
            "123456789012345678901234567891",
        ),
        (
            "1.99999999999999999999999",
            Greater,
            "1.9999999999999999999999",
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
    fn rejects_invalid_versions_with_named_errors() {
        let cases = [
            ("", "start with a number"),
            ("v1.0", "start with a number"),
            ("1.0bc", "letter may only follow"),
            ("1.0a1", "number may not follow the letter"),
            ("1..0", "followed by a number"),
            ("1.0_foo", "unknown suffix"),
            ("1.0_", "unknown suffix"),
            ("1.0-1", "'-' must start the revision"),
            ("1.0-r", "followed by a number"),
            ("1.0-r1-r2", "only one"),
            ("1.0-r1_p1", "may not follow"),
            ("1.0~", "hex"),
            ("1.0~ABC", "hex"),
            ("1.0 ", "unexpected character"),
            ("1.0\u{0}", "unexpected character"),
            ("1.0~ab\u{e9}", "unexpected character"),
        ];
        for (input, needle) in cases {
            let err = ApkVersion::parse(input).expect_err(input);
            let msg = err.to_string();
            assert!(msg.contains(needle), "{input:?}: {msg}");
            assert!(msg.contains("apk"), "{input:?}: {msg}");
            assert!(
                msg.contains(&format!("{input:?}")),
                "{input:?} not named in: {msg}"
            );
            assert!(compare(input, "1.0").is_err());
            assert!(compare("1.0", input).is_err());
            assert!(Apk.validate(input).is_err());
        }
    }

    #[test]
    fn apk_compares_invalid_versions_by_their_readable_prefix() {
        // What apk itself answers, kept internal: documented so the refusal above is a choice.
        assert_eq!(compare_tokens(b"1.0", b"1.0bc"), Less);
        assert_eq!(compare_tokens(b"1.0bc", b"1.0bz"), Equal);
        assert_eq!(compare_tokens(b"23_foo", b"4_beta"), Greater);
    }

    #[test]
    fn display_is_the_input() {
        let v: ApkVersion = "1.1.1t-r2".parse().expect("valid");
        assert_eq!(v.to_string(), "1.1.1t-r2");
        assert_eq!(v.as_str(), "1.1.1t-r2");
    }

    #[test]
    fn huge_input_is_linear_and_exact() {
        let a = format!("1.{}", "9".repeat(200_000));
        let b = format!("1.1{}", "0".repeat(200_000));
        assert_eq!(compare(&a, &b), Ok(Less));
        let c = format!("1{}", ".1".repeat(100_000));
        assert_eq!(compare(&c, &c), Ok(Equal));
        let d = format!("1{}", "_p1".repeat(100_000));
        assert_eq!(compare(&d, &format!("{d}_rc")), Ok(Greater));
        let e = format!("1.0~{}", "a".repeat(200_000));
        assert_eq!(compare(&e, "1.0-r0"), Ok(Greater));
    }

    /// Valid versions built from the grammar, with the parts most likely to collide.
    fn version() -> impl Strategy<Value = String> {
        let suffix = prop::sample::select(vec![
            "_alpha", "_beta", "_pre", "_rc", "_cvs", "_svn", "_git", "_hg", "_p",
        ]);
        (
            "0{0,1}[0-9]{1,2}",
            prop::collection::vec("0{0,2}[0-9]{1,2}", 0..3),
            prop::option::of("[a-c]"),
            prop::collection::vec((suffix, prop::option::of("[0-9]{1,2}")), 0..3),
            prop::option::of("[0-9a-f]{1,3}"),
            prop::option::of("[0-9]{1,2}"),
        )
            .prop_map(|(first, dots, letter, suffixes, hash, rev)| {
                let mut s = first;
                for d in dots {
                    s.push('.');
                    s.push_str(&d);
                }
                s.push_str(&letter.unwrap_or_default());
                for (name, n) in suffixes {
                    s.push_str(name);
                    s.push_str(&n.unwrap_or_default());
                }
                if let Some(h) = hash {
                    s.push('~');
                    s.push_str(&h);
                }
                if let Some(r) = rev {
                    s.push_str("-r");
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
            let _ = compare(&s, "1.0-r0");
            let _ = compare("1.0-r0", &s);
            let _ = compare_tokens(s.as_bytes(), b"1.0_p1");
        }

        #[test]
        fn never_panics_on_version_like_strings(s in "[0-9a-z._~-]{0,16}", t in "[0-9a-z._~-]{0,16}") {
            let _ = compare(&s, &t);
            prop_assert_eq!(compare_tokens(s.as_bytes(), t.as_bytes()),
                compare_tokens(t.as_bytes(), s.as_bytes()).reverse());
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
