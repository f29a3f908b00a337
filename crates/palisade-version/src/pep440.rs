//! Python package versions, ordered exactly as `packaging.version.Version` orders them.
//!
//! PyPI advisories (OSV `PyPI` ecosystem, `ECOSYSTEM` ranges) are written against PEP 440
//! versions, and pip decides what is installed with `packaging`, so that library — not the PEP
//! text alone — is the reference: where the two could be read differently (the place of a
//! `.devN` on a pre- or post-release, how local labels compare), `packaging` wins. The committed
//! vectors in `tests/vectors/pep440*.tsv` were produced by it.
//!
//! What is accepted is what `packaging`'s regular expression accepts: an optional `v`, an
//! optional `N!` epoch, a dotted release, then optional pre-release (`a`/`b`/`rc` or the
//! spellings `alpha`, `beta`, `c`, `pre`, `preview`), post-release (`.postN`, `-N`, `rev`, `r`)
//! and dev-release (`.devN`) parts, each with optional `.`/`-`/`_` separators and an implicit
//! number 0, and finally a `+local` label. Letters are case-insensitive and surrounding
//! whitespace (Python's notion of it) is ignored. Each optional part is matched greedily and never
//! given back, which mirrors the possessive quantifiers `packaging` uses, so strings such as
//! `1.0a.` (a pre-release with a trailing separator) are accepted exactly as Python accepts them.
//!
//! Numbers may be arbitrarily long: they are kept as digit strings and compared by length after
//! dropping leading zeros, so hostile inputs cannot overflow anything.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{VersionError, VersionScheme};

/// Name under which the PEP 440 scheme reports itself and its errors.
const SCHEME: &str = "pep440";

/// A non-negative integer of any size, kept as its significant digits.
///
/// Python integers are unbounded and advisory data is hostile, so a fixed-width integer would
/// either overflow or reject versions that pip accepts. Zero is the empty string, which makes
/// "no leading zeros" the only invariant and comparison a length-then-bytes check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Num(String);

/// Zero, for the implicit numbers of absent parts in the comparison key.
static ZERO: Num = Num(String::new());

impl Num {
    /// Builds a number from ASCII digits (the parser guarantees there are only digits).
    fn from_digits(digits: &str) -> Self {
        Num(digits.trim_start_matches('0').to_owned())
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            f.write_str("0")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// The three pre-release kinds after normalising their alternate spellings.
///
/// Declared in precedence order so the derived `Ord` is the PEP 440 order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PreKind {
    Alpha,
    Beta,
    Rc,
}

impl PreKind {
    fn as_str(self) -> &'static str {
        match self {
            PreKind::Alpha => "a",
            PreKind::Beta => "b",
            PreKind::Rc => "rc",
        }
    }
}

/// A parsed PEP 440 version.
///
/// Ordering and equality are `packaging`'s: `1.0`, `1.0.0`, `v1.0` and `0!1.0` are equal, as are
/// `1.0+ABC-1` and `1.0+abc.1`. Because of that the type does not implement `Hash`; keep the
/// original string (or the [`Display`](fmt::Display) form) when a key is needed.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    epoch: Num,
    /// Canonical numbers joined by `.` (`1.0.2`), trailing zeros kept so the display shows them.
    /// One string rather than a vector of numbers: a hostile `1.1.1.…` then costs memory in
    /// proportion to its length, not an allocation per segment.
    release: String,
    pre: Option<(PreKind, Num)>,
    post: Option<Num>,
    dev: Option<Num>,
    /// Lower-cased parts joined by `.`, numeric parts without leading zeros (`ubuntu.1`); one
    /// string for the same reason as `release`.
    local: Option<String>,
}

/// Pre-release spellings in the order `packaging`'s regular expression tries them: the first
/// word that matches wins, which is why `alpha` precedes `a` and `preview` precedes `pre`.
const PRE_WORDS: &[(&str, PreKind)] = &[
    ("alpha", PreKind::Alpha),
    ("a", PreKind::Alpha),
    ("beta", PreKind::Beta),
    ("b", PreKind::Beta),
    ("preview", PreKind::Rc),
    ("pre", PreKind::Rc),
    ("c", PreKind::Rc),
    ("rc", PreKind::Rc),
];

/// Post-release spellings, tried in `packaging`'s order (`rev` before its prefix `r`).
const POST_WORDS: &[(&str, ())] = &[("post", ()), ("rev", ()), ("r", ())];

/// The one dev-release spelling.
const DEV_WORDS: &[(&str, ())] = &[("dev", ())];

/// Whitespace as Python's `\s` sees it: Unicode `White_Space` plus the four ASCII information
/// separators, which `str.isspace` also counts. `packaging` strips exactly these.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}')
}

/// A forward-only reader over the (ASCII) body of a version.
///
/// Every optional part saves the position, tries to match, and restores the position if the
/// part as a whole does not match; nothing that matched is ever given back, which is the
/// possessive behaviour of `packaging`'s pattern.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, want: u8) -> bool {
        if self.peek() == Some(want) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes one optional `.`, `-` or `_`.
    fn eat_separator(&mut self) {
        if matches!(self.peek(), Some(b'.' | b'-' | b'_')) {
            self.pos += 1;
        }
    }

    /// Consumes a run of one or more ASCII digits.
    fn digits(&mut self) -> Option<&'a str> {
        self.run(|b| b.is_ascii_digit())
    }

    /// Consumes a run of one or more ASCII letters and digits.
    fn alnum(&mut self) -> Option<&'a str> {
        self.run(|b| b.is_ascii_alphanumeric())
    }

    fn run(&mut self, accept: impl Fn(u8) -> bool) -> Option<&'a str> {
        let start = self.pos;
        let len = self
            .s
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| accept(b))
            .count();
        if len == 0 {
            return None;
        }
        self.pos = start + len;
        // The run is ASCII, so it is valid UTF-8 and starts and ends on character boundaries.
        std::str::from_utf8(&self.s[start..self.pos]).ok()
    }

    /// Consumes `word` (ASCII, lower case) if the input continues with it in any letter case.
    fn eat_word(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        match self.s.get(self.pos..end) {
            Some(found) if found.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos = end;
                true
            }
            _ => false,
        }
    }

    /// Parses `[sep] word [sep] [digits]` for the first of `words` that matches, or consumes
    /// nothing. Returns what the matched word stands for and its number (implicitly 0).
    fn lettered_part<T: Copy>(&mut self, words: &[(&str, T)]) -> Option<(T, Num)> {
        let start = self.pos;
        self.eat_separator();
        let Some(&(_, meaning)) = words.iter().find(|(w, _)| self.eat_word(w)) else {
            self.pos = start;
            return None;
        };
        self.eat_separator();
        let number = self.digits().map(Num::from_digits).unwrap_or_default();
        Some((meaning, number))
    }
}

impl Pep440Version {
    /// Parses a version string such as `2!1.0rc1.post2.dev3+local.7`.
    ///
    /// Accepts exactly what `packaging.version.Version` accepts; the error says which part of
    /// the input could not be read.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let err = |reason: String| VersionError::invalid(SCHEME, input, reason);

        let body = input.trim_matches(is_py_space);
        if body.is_empty() {
            return Err(err("version string is empty".into()));
        }
        if let Some(c) = body.chars().find(|c| !c.is_ascii()) {
            return Err(err(format!(
                "non-ASCII character {c:?}; PEP 440 versions are ASCII"
            )));
        }

        let mut c = Cursor {
            s: body.as_bytes(),
            pos: 0,
        };
        if !c.eat(b'v') {
            c.eat(b'V');
        }

        let start = c.pos;
        let epoch = match c.digits() {
            Some(digits) if c.eat(b'!') => Num::from_digits(digits),
            _ => {
                c.pos = start;
                Num::default()
            }
        };

        let Some(first) = c.digits() else {
            return Err(err(
                "expected a release number (digits) after the optional 'v' and epoch".into(),
            ));
        };
        let mut release = Num::from_digits(first).to_string();
        loop {
            let start = c.pos;
            if c.eat(b'.')
                && let Some(digits) = c.digits()
            {
                release.push('.');
                release.push_str(&Num::from_digits(digits).to_string());
                continue;
            }
            c.pos = start;
            break;
        }

        let pre = c.lettered_part(PRE_WORDS);

        let start = c.pos;
        let post = match (c.eat(b'-'), c.digits()) {
            (true, Some(digits)) => Some(Num::from_digits(digits)),
            _ => {
                c.pos = start;
                c.lettered_part(POST_WORDS).map(|(_, n)| n)
            }
        };

        let dev = c.lettered_part(DEV_WORDS).map(|(_, n)| n);

        let local = if c.eat(b'+') {
            let mut label = String::new();
            loop {
                let Some(part) = c.alnum() else {
                    return Err(err(
                        "local version label after '+' has an empty part or a character \
                         other than letters, digits and single '.', '-' or '_' separators"
                            .into(),
                    ));
                };
                if !label.is_empty() {
                    label.push('.');
                }
                if is_number(part) {
                    label.push_str(&Num::from_digits(part).to_string());
                } else {
                    label.push_str(&part.to_ascii_lowercase());
                }
                if c.peek().is_none() {
                    break;
                }
                let before = c.pos;
                c.eat_separator();
                if c.pos == before {
                    break;
                }
            }
            Some(label)
        } else {
            None
        };

        if let Some(b) = c.peek() {
            return Err(err(format!(
                "unexpected {:?} at byte {} of the trimmed version; expected a pre-, post- or \
                 dev-release part, a '+local' label or the end",
                char::from(b),
                c.pos
            )));
        }

        Ok(Pep440Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    /// The release without trailing zeros, since `1.0.0` and `1` are the same release; all
    /// zeros leave the empty string, which stands for no segments at all.
    fn trimmed_release(&self) -> &str {
        let mut t = self.release.as_str();
        while let Some(shorter) = t.strip_suffix(".0") {
            t = shorter;
        }
        if t == "0" { "" } else { t }
    }

    /// Pre/post/dev as one tuple that sorts the way `packaging` does.
    ///
    /// The first element ranks the pre-release: a dev release of a final version (no pre, no
    /// post) sorts before every alpha (`-1`), no pre-release sorts after every rc (`3`). Post
    /// releases sort after their base, and a dev release before the same version without it.
    fn suffix_key(&self) -> (i8, &Num, bool, &Num, bool, &Num) {
        let (pre_rank, pre_n) = match &self.pre {
            Some((kind, n)) => (*kind as i8, n),
            None if self.post.is_none() && self.dev.is_some() => (-1, &ZERO),
            None => (3, &ZERO),
        };
        (
            pre_rank,
            pre_n,
            self.post.is_some(),
            self.post.as_ref().unwrap_or(&ZERO),
            self.dev.is_none(),
            self.dev.as_ref().unwrap_or(&ZERO),
        )
    }

    /// Whether this is a pre-release or a development release, the versions pip skips unless
    /// asked for them.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }
}

impl FromStr for Pep440Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pep440Version::parse(s)
    }
}

impl fmt::Display for Pep440Version {
    /// Writes the normalised form `packaging` prints (`str(Version(...))`), which parses back to
    /// an equal version.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.epoch.is_zero() {
            write!(f, "{}!", self.epoch)?;
        }
        f.write_str(&self.release)?;
        if let Some((kind, n)) = &self.pre {
            write!(f, "{}{n}", kind.as_str())?;
        }
        if let Some(n) = &self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = &self.dev {
            write!(f, ".dev{n}")?;
        }
        if let Some(label) = &self.local {
            write!(f, "+{label}")?;
        }
        Ok(())
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| {
                compare_dotted(
                    self.trimmed_release(),
                    other.trimmed_release(),
                    compare_digits,
                )
            })
            .then_with(|| self.suffix_key().cmp(&other.suffix_key()))
            // No label sorts before any label.
            .then_with(|| match (&self.local, &other.local) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => compare_dotted(a, b, compare_local_part),
            })
    }
}

fn is_number(part: &str) -> bool {
    part.bytes().all(|b| b.is_ascii_digit())
}

/// Compares canonical digit strings (no leading zeros) as numbers.
fn compare_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// One part of a local label: `packaging` ranks text below numbers, compares text lexically
/// and numbers numerically.
fn compare_local_part(a: &str, b: &str) -> Ordering {
    match (is_number(a), is_number(b)) {
        (true, true) => compare_digits(a, b),
        (false, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// The parts of a `.`-separated list; none at all for the empty string.
fn dotted_parts(s: &str) -> impl Iterator<Item = &str> {
    (!s.is_empty()).then(|| s.split('.')).into_iter().flatten()
}

/// Compares `.`-separated lists part by part, like Python tuples: the first difference decides,
/// and a list that is a prefix of the other sorts first. The empty string is the empty list.
fn compare_dotted(a: &str, b: &str, part: fn(&str, &str) -> Ordering) -> Ordering {
    let (mut xs, mut ys) = (dotted_parts(a), dotted_parts(b));
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match part(x, y) {
                Ordering::Equal => {}
                decided => return decided,
            },
        }
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

/// Compares two PEP 440 version strings as `packaging.version.Version` would.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = Pep440Version::parse(a)?;
    let b = Pep440Version::parse(b)?;
    Ok(a.cmp(&b))
}

/// The PEP 440 version scheme, used for the OSV `PyPI` ecosystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pep440;

impl VersionScheme for Pep440 {
    fn name(&self) -> &'static str {
        SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        compare(a, b)
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        Pep440Version::parse(v).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};
    use proptest::prelude::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap_or_else(|e| panic!("{a:?} vs {b:?}: {e}"))
    }

    #[test]
    fn documented_order_of_dev_pre_post_and_local() {
        let chain = [
            "1.0.dev0",
            "1.0a1.dev0",
            "1.0a1",
            "1.0a1.post1.dev0",
            "1.0a1.post1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+local",
            "1.0.post1.dev0",
            "1.0.post1",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(cmp(a, b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn spellings_normalise() {
        for (input, shown) in [
            ("1.0", "1.0"),
            ("v1.0", "1.0"),
            ("V1.0", "1.0"),
            ("  1.0\n", "1.0"),
            ("\u{a0}1.0\u{3000}", "1.0"),
            ("0!1.0", "1.0"),
            ("01!01.002", "1!1.2"),
            ("1.0ALPHA", "1.0a0"),
            ("1.0-alpha-1", "1.0a1"),
            ("1.0_Beta_2", "1.0b2"),
            ("1.0.c3", "1.0rc3"),
            ("1.0pre4", "1.0rc4"),
            ("1.0-preview.5", "1.0rc5"),
            ("1.0a.", "1.0a0"),
            ("1.0-1", "1.0.post1"),
            ("1.0rev", "1.0.post0"),
            ("1.0-r-2", "1.0.post2"),
            ("1.0.POST", "1.0.post0"),
            ("1.0a.-1", "1.0a0.post1"),
            ("1.0dev", "1.0.dev0"),
            ("1.0_dev_7", "1.0.dev7"),
            ("1.0+Ubuntu-1_b", "1.0+ubuntu.1.b"),
            ("1.0+007", "1.0+7"),
        ] {
            let v = Pep440Version::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(v.to_string(), shown, "{input:?}");
            let back = Pep440Version::parse(shown).expect("display output parses");
            assert_eq!(back.cmp(&v), Equal, "{input:?}");
        }
    }

    #[test]
    fn local_labels_compare_per_pep_440() {
        assert_eq!(cmp("1.0+abc", "1.0+1"), Less, "text sorts before numbers");
        assert_eq!(cmp("1.0+2", "1.0+10"), Less, "numbers compare numerically");
        assert_eq!(
            cmp("1.0+a.1", "1.0+a"),
            Greater,
            "longer label wins on a tie"
        );
        assert_eq!(cmp("1.0+A-1", "1.0+a.1"), Equal);
        assert_eq!(cmp("1.0+01", "1.0+1"), Equal);
        assert_eq!(cmp("1.0+b", "1.0+ab"), Greater, "text is lexical");
    }

    #[test]
    fn huge_numbers_compare_without_overflow() {
        let big = "9".repeat(5000);
        assert_eq!(cmp(&format!("1.{big}"), &format!("1.1{big}")), Less);
        assert_eq!(cmp(&format!("{big}!0"), "99999!99999"), Greater);
        assert_eq!(
            cmp(&format!("1.0.post0{big}"), &format!("1.0.post{big}")),
            Equal
        );
        assert_eq!(
            cmp("1.18446744073709551616", "1.18446744073709551615"),
            Greater
        );
        assert_eq!(cmp(&format!("1.0+{big}"), &format!("1.0+z{big}")), Greater);
    }

    #[test]
    fn huge_inputs_stay_linear() {
        let many = format!("{}1", "1.".repeat(300_000));
        let more = format!("{}2", "1.".repeat(300_000));
        assert_eq!(cmp(&many, &more), Less);
        let zeros = format!("1{}", ".0".repeat(300_000));
        assert_eq!(cmp(&zeros, "1"), Equal);
        let label = format!("1.0+{}z", "a.".repeat(300_000));
        assert_eq!(cmp(&label, "1.0+a"), Greater);
        let bad = format!("{}x", "1.".repeat(300_000));
        assert!(Pep440.validate(&bad).is_err());
    }

    #[test]
    fn rejects_what_packaging_rejects_with_reasons() {
        for (input, needle) in [
            ("", "empty"),
            (" \t", "empty"),
            ("abc", "release"),
            ("vv1", "release"),
            ("1!", "release"),
            ("!1", "release"),
            ("1..0", "unexpected '.'"),
            ("1.0.", "unexpected '.'"),
            ("1.0-", "unexpected '-'"),
            ("1.0ab", "unexpected 'b'"),
            ("1.0 a1", "unexpected ' '"),
            ("1.0+", "local"),
            ("1.0+a..b", "local"),
            ("1.0+a.", "local"),
            ("1.0+a+b", "unexpected '+'"),
            ("1.0é", "non-ASCII"),
            ("١.٠", "non-ASCII"),
        ] {
            let e = Pep440Version::parse(input).expect_err(input);
            let msg = e.to_string();
            assert!(msg.contains(needle), "{input:?}: {msg}");
            assert!(msg.contains("pep440"), "{input:?}: {msg}");
            assert!(Pep440.validate(input).is_err());
            assert!(Pep440.compare(input, "1.0").is_err());
            assert!(Pep440.compare("1.0", input).is_err());
        }
    }

    /// Renders one version from its parts with randomly chosen (but valid) spellings, so the
    /// properties below exercise the parser as well as the ordering.
    fn spelled_version() -> impl Strategy<Value = String> {
        let num = || "[0-9]{1,3}|[0-9]{18,24}";
        let sep = || prop::sample::select(vec!["", ".", "-", "_"]);
        (
            prop::option::of(num()),
            prop::collection::vec(num(), 1..5),
            prop::option::of((
                sep(),
                prop::sample::select(PRE_WORDS.iter().map(|&(w, _)| w).collect::<Vec<_>>()),
                sep(),
                prop::option::of(num()),
            )),
            prop::option::of((
                sep(),
                prop::sample::select(POST_WORDS.iter().map(|&(w, _)| w).collect::<Vec<_>>()),
                sep(),
                prop::option::of(num()),
            )),
            prop::option::of((sep(), sep(), prop::option::of(num()))),
            prop::option::of(prop::collection::vec("[a-zA-Z0-9]{1,4}", 1..4)),
            any::<bool>(),
        )
            .prop_map(|(epoch, release, pre, post, dev, local, upper)| {
                let mut s = String::new();
                if let Some(e) = epoch {
                    s.push_str(&e);
                    s.push('!');
                }
                s.push_str(&release.join("."));
                if let Some((s1, w, s2, n)) = pre {
                    // A trailing separator with no number would swallow the next part's
                    // separator, which is valid but not what this generator means to build.
                    let s2 = if n.is_some() { s2 } else { "" };
                    s.push_str(&format!("{s1}{w}{s2}{}", n.unwrap_or_default()));
                }
                if let Some((s1, w, s2, n)) = post {
                    let s2 = if n.is_some() { s2 } else { "" };
                    s.push_str(&format!("{s1}{w}{s2}{}", n.unwrap_or_default()));
                }
                if let Some((s1, s2, n)) = dev {
                    let s2 = if n.is_some() { s2 } else { "" };
                    s.push_str(&format!("{s1}dev{s2}{}", n.unwrap_or_default()));
                }
                if let Some(parts) = local {
                    s.push('+');
                    s.push_str(&parts.join("."));
                }
                if upper { s.to_uppercase() } else { s }
            })
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = Pep440Version::parse(&s);
            let _ = compare(&s, "1.0");
        }

        #[test]
        fn never_panics_on_version_like_strings(
            s in "[ v0-9a-eoprstvAV.!+_-]{0,24}",
            t in "[ v0-9a-eoprstvAV.!+_-]{0,24}",
        ) {
            let _ = compare(&s, &t);
            if let Ok(v) = Pep440Version::parse(&s) {
                let back = Pep440Version::parse(&v.to_string());
                prop_assert!(back.is_ok(), "{s:?} shown as {v}");
                prop_assert_eq!(back.map(|b| b.cmp(&v)), Ok(Equal));
            }
        }

        #[test]
        fn generated_versions_parse_and_equal_themselves(s in spelled_version()) {
            prop_assert!(Pep440.validate(&s).is_ok(), "{s:?}");
            prop_assert_eq!(compare(&s, &s), Ok(Equal));
            let v = Pep440Version::parse(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(compare(&v.to_string(), &s), Ok(Equal), "{}", v);
        }

        #[test]
        fn ordering_is_antisymmetric(a in spelled_version(), b in spelled_version()) {
            let ab = compare(&a, &b).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(compare(&b, &a), Ok(ab.reverse()));
        }

        #[test]
        fn ordering_is_transitive(
            a in spelled_version(),
            b in spelled_version(),
            c in spelled_version(),
        ) {
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
