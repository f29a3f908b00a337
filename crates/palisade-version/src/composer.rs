//! PHP package versions (Composer, Packagist), ordered as Composer orders them.
//!
//! Composer never compares the versions people write. Its `VersionParser::normalize` first
//! rewrites a version into one of three normal forms, and `Semver::sort` and `Comparator` then
//! hand the normal forms to PHP's `version_compare`. This module does the same two steps.
//!
//! # Normal forms
//!
//! - **Numbered**: one to four dot-separated numbers (the first of at most five digits), padded
//!   to four, then an optional stability suffix: `1.0` → `1.0.0.0`, `v2.1.3-beta2` →
//!   `2.1.3.0-beta2`, `1.0RC1` → `1.0.0.0-RC1`. The suffix is a name (`stable`, `alpha` or
//!   `a`, `beta` or `b`, `RC`, `patch`, `pl` or `p`, in any case), optionally preceded by `.`,
//!   `_` or `-` and followed by numbers (`beta.1-2` → `beta1-2`); then an optional `dev`, again
//!   with an optional `.` or `-` (`1.0-beta-dev` → `1.0.0.0-beta-dev`). `a`, `b`, `p` and `pl`
//!   are spelled out (`alpha`, `beta`, `patch`), `rc` becomes `RC`, and a suffix written
//!   exactly `stable` is dropped together with everything after it.
//! - **Dates**: four digits, then one to six groups of two digits and an optional group of one
//!   to three, with optional `.`, `:` or `-` between groups; the separators become `.`
//!   (`2010-01-02` → `2010.01.02`, `20100102` stays). Only tried when the numbered form does
//!   not fit, so `2010.01.02` is the numbered `2010.01.02.0`. Then the same suffixes.
//! - **Branches**: `dev-` followed by anything (`dev-master`, `DEV-Feature` → `dev-Feature`);
//!   `master`, `trunk` and `default` mean `dev-master` and so on. A numbered branch such as
//!   `1.x-dev` or `2.1.*-dev` becomes a numbered version with `9999999` for each wildcard or
//!   missing part: `1.9999999.9999999.9999999-dev`.
//!
//! Before that, surrounding whitespace is trimmed (PHP's `trim`), and what Composer strips
//! from a requirement is stripped: an alias (`1.0 as 2.0` is `1.0`), a stability flag
//! (`1.0@beta` is `1.0`) and build metadata (`1.0+build.5` is `1.0`).
//!
//! # Order
//!
//! `version_compare` splits a normal form into numbers and words at `.`, `-` and every change
//! between digits and letters, and compares part by part: numbers by value; words by rank, by
//! their first letters: `stable` and anything unknown < `dev` < `alpha` < `beta` < `RC` < a
//! number < `patch`. When one side runs out, the other is newer if its next part is a number
//! or `patch`, older otherwise. So `1.0-dev < 1.0-alpha < 1.0-beta1 < 1.0-RC1 < 1.0 <
//! 1.0-patch1 < 1.0.0.1`, and `1.0-beta1-dev < 1.0-beta1`.
//!
//! Branches are not ordered. Composer only ever says a branch *equals* the same branch: when
//! it matches versions against requirements (`Constraint::matches`, what `composer audit`
//! uses), a `dev-` branch satisfies no range. Comparing a branch with anything but itself is
//! therefore an error ([`VersionError::Incomparable`]), and a vulnerability range cannot
//! claim an installed `dev-main`. (`Comparator`, given branches, falls through to
//! `version_compare` and puts every branch below every version; a scanner following that would
//! call every branch vulnerable to every advisory.)
//!
//! # Invalid versions and differences from PHP
//!
//! A version is invalid exactly when `VersionParser::normalize` throws: `validate` says so,
//! naming what is wrong. That includes some of normalize's quirks, kept on purpose so the
//! vectors match: `1.`, `1.0-` and `1.0.-dev` are valid, `1234567.1` is not (five digits at
//! most, and not a date) while `123456.1` is (a date).
//!
//! The one place this differs from PHP: numbers compare by value however long they are, while
//! `version_compare` reads them into a 64-bit `long` and so finds all numbers of 19 digits or
//! more above 9223372036854775807 equal. Only the later parts of a numbered version can be
//! that long; the vectors leave such numbers out, unit tests cover them. Parsing and comparing
//! are linear in the input's length.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{VersionError, VersionScheme, quote};

/// Name under which the Composer scheme reports itself and its errors.
const SCHEME: &str = "composer";

/// What PHP's `trim` removes by default.
const PHP_TRIM: &[char] = &[' ', '\t', '\n', '\r', '\0', '\x0B'];

/// The version written for a wildcard or missing part of a numbered branch (`1.x-dev`).
const BRANCH_WILDCARD: &str = "9999999";

/// Stability names in the order Composer tries them; the first that lets the rest of the
/// suffix parse is taken.
const STABILITIES: [&str; 9] = [
    "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
];

/// A version as Composer reads it: the input and its normal form.
///
/// Parse one with [`ComposerVersion::parse`] or `str::parse`. Two versions compare with
/// [`PartialOrd`]: branches have no order (see the module documentation), so the type is not
/// [`Ord`]; equality follows the ordering (`1.0 == 1.0.0.0 == v1.0`).
#[derive(Debug, Clone)]
pub struct ComposerVersion {
    text: String,
    normalized: String,
    branch: bool,
}

impl ComposerVersion {
    /// Normalizes `input` as `VersionParser::normalize` does; an error says why Composer would
    /// throw.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        match normalize(input) {
            Ok(Normal::Version(normalized)) => Ok(ComposerVersion {
                text: input.to_owned(),
                normalized,
                branch: false,
            }),
            Ok(Normal::Branch(normalized)) => Ok(ComposerVersion {
                text: input.to_owned(),
                normalized,
                branch: true,
            }),
            Err(reason) => Err(VersionError::invalid(SCHEME, input, reason)),
        }
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The normal form, exactly as `VersionParser::normalize` returns it (`1.0.0.0-beta2`,
    /// `dev-master`).
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// Whether this is a `dev-` branch, which has no place in the order.
    pub fn is_branch(&self) -> bool {
        self.branch
    }

    /// Orders two versions, or says why Composer would not: `Err` for a branch against
    /// anything but the same branch.
    pub fn try_cmp(&self, other: &Self) -> Result<Ordering, VersionError> {
        match (self.branch, other.branch) {
            (false, false) => Ok(version_compare(&self.normalized, &other.normalized)),
            (true, true) if self.normalized == other.normalized => Ok(Ordering::Equal),
            _ => Err(VersionError::Incomparable {
                scheme: SCHEME,
                a: quote(&self.text),
                b: quote(&other.text),
                reason: "a dev- branch is only equal to itself; Composer matches no branch \
                         against a version range"
                    .into(),
            }),
        }
    }
}

impl FromStr for ComposerVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ComposerVersion::parse(s)
    }
}

impl fmt::Display for ComposerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.try_cmp(other).ok()
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

/// A normal form and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Normal {
    /// A numbered or date version (or numbered branch), ordered by [`version_compare`].
    Version(String),
    /// A `dev-` branch.
    Branch(String),
}

/// `VersionParser::normalize`, or the reason it would throw.
fn normalize(input: &str) -> Result<Normal, String> {
    let v = input.trim_matches(PHP_TRIM);
    let v = strip_alias(v);
    let v = strip_stability_flag(v);
    if matches!(v, "master" | "trunk" | "default") {
        return Ok(Normal::Branch(format!("dev-{v}")));
    }
    if v.len() >= 4 && v.as_bytes()[..4].eq_ignore_ascii_case(b"dev-") {
        // The first four bytes are ASCII, so index 4 is a character boundary.
        return Ok(Normal::Branch(format!("dev-{}", &v[4..])));
    }
    // Composer's patterns end in `$`, which also matches before a final newline. Trimming
    // removed any, but stripping a flag (`1.0\n@dev`) can leave one.
    let v = v.strip_suffix('\n').unwrap_or(v);
    let v = strip_build_metadata(v);
    if let Some(n) = numbered(v)
        .or_else(|| dated(v))
        .or_else(|| numbered_branch(v))
    {
        return Ok(Normal::Version(n));
    }
    Err(reason(v))
}

/// PCRE's `\s` without Unicode: space, tab, line feed, vertical tab, form feed, return.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// `A as B` → `A`, where `A` and `B` have no comma or whitespace and the `as` is surrounded by
/// spaces.
fn strip_alias(v: &str) -> &str {
    let b = v.as_bytes();
    let end_a = b
        .iter()
        .position(|&c| c == b',' || is_space(c))
        .unwrap_or(b.len());
    if end_a == 0 {
        return v;
    }
    let rest = &b[end_a..];
    let spaces = |s: &[u8]| s.iter().take_while(|&&c| c == b' ').count();
    let before = spaces(rest);
    if before == 0 || !rest[before..].starts_with(b"as") {
        return v;
    }
    let rest = &rest[before + 2..];
    let after = spaces(rest);
    let alias = &rest[after..];
    if after == 0 || alias.is_empty() || alias.iter().any(|&c| c == b',' || is_space(c)) {
        return v;
    }
    &v[..end_a]
}

/// `1.0@beta` → `1.0`: one trailing stability flag, in any case.
fn strip_stability_flag(v: &str) -> &str {
    for flag in ["@stable", "@RC", "@beta", "@alpha", "@dev"] {
        if let Some(cut) = v.len().checked_sub(flag.len())
            && v.as_bytes()[cut..].eq_ignore_ascii_case(flag.as_bytes())
        {
            // The flag is ASCII, so `cut` is a character boundary.
            return &v[..cut];
        }
    }
    v
}

/// `X+Y` → `X`, where `X` is not empty and has no comma, whitespace or `+`, and `Y` is not
/// empty and has no whitespace.
fn strip_build_metadata(v: &str) -> &str {
    let b = v.as_bytes();
    let Some(plus) = b
        .iter()
        .position(|&c| c == b',' || c == b'+' || is_space(c))
    else {
        return v;
    };
    let meta = &b[plus + 1..];
    if plus > 0 && b[plus] == b'+' && !meta.is_empty() && !meta.iter().any(|&c| is_space(c)) {
        &v[..plus]
    } else {
        v
    }
}

/// The length of the run of ASCII digits at the start of `s`.
fn digits(s: &[u8]) -> usize {
    s.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// `v` or `V`, which may precede a numbered or date version.
fn skip_v(s: &[u8]) -> usize {
    usize::from(matches!(s.first(), Some(b'v' | b'V')))
}

/// The numbered form: `v?N(.N){0,3}` and a suffix.
fn numbered(v: &str) -> Option<String> {
    let s = v.as_bytes();
    let mut i = skip_v(s);
    let major = digits(&s[i..]);
    if !(1..=5).contains(&major) {
        return None;
    }
    let mut out = String::with_capacity(v.len() + 8);
    out.push_str(&v[i..i + major]);
    i += major;
    let mut parts = 1;
    while parts < 4 && s.get(i) == Some(&b'.') {
        let n = digits(&s[i + 1..]);
        if n == 0 {
            break;
        }
        out.push_str(&v[i..i + 1 + n]);
        i += 1 + n;
        parts += 1;
    }
    for _ in parts..4 {
        out.push_str(".0");
    }
    suffix(&v[i..], out)
}

/// The date form: four digits, one to six groups of two, an optional group of one to three,
/// with at most one of `.`, `:`, `-` between groups; then a suffix.
fn dated(v: &str) -> Option<String> {
    let s = v.as_bytes();
    let start = skip_v(s);
    // The digits and single separators from `start`: the date must take all of them, since a
    // suffix never starts with a digit or with a separator followed by one.
    let mut runs: Vec<usize> = Vec::new();
    let mut i = start;
    loop {
        let n = digits(&s[i..]);
        if n == 0 {
            break;
        }
        // The year needs four digits, and a date has at most 8 runs (year and pairs, 6
        // pairs, a tail): stop early rather than collect the runs of a hostile `1.1.1…`.
        if (runs.is_empty() && n < 4) || runs.len() == 8 {
            return None;
        }
        runs.push(n);
        i += n;
        match (s.get(i), s.get(i + 1)) {
            (Some(b'.' | b':' | b'-'), Some(d)) if d.is_ascii_digit() => i += 1,
            _ => break,
        }
    }
    if !date_runs_fit(&runs) {
        return None;
    }
    let date: String = v[start..i]
        .chars()
        .map(|c| if c.is_ascii_digit() { c } else { '.' })
        .collect();
    suffix(&v[i..], date)
}

/// Whether digit runs of these lengths (separated by single separators) can be split into 4
/// digits, 1 to 6 groups of 2 and an optional last group of 1 to 3, with every separator
/// between groups.
fn date_runs_fit(runs: &[usize]) -> bool {
    let Some((&first, rest)) = runs.split_first() else {
        return false;
    };
    let Some(after_year) = first.checked_sub(4) else {
        return false;
    };
    // Digits of the last group: the whole first run after the year when there is one run,
    // else the last run.
    let (fixed_pairs, last) = match rest.split_last() {
        None => (0, after_year),
        Some((&last, middle)) => {
            if after_year % 2 != 0 || middle.iter().any(|n| n % 2 != 0) {
                return false;
            }
            (
                after_year / 2 + middle.iter().map(|n| n / 2).sum::<usize>(),
                last,
            )
        }
    };
    // The last run is `2 * pairs + tail` digits with a tail of 0 to 3.
    let most = last / 2;
    let least = last.saturating_sub(3).div_ceil(2);
    let (lo, hi) = (least + fixed_pairs, most + fixed_pairs);
    // Some number of pairs in lo..=hi must lie in 1..=6; a lone run after the year may not be
    // empty (runs after separators never are).
    lo <= 6 && hi >= 1 && last > 0
}

/// Reads the stability suffix after a numbered or date version and appends its normal form to
/// `out`; `None` if `rest` is not a suffix.
fn suffix(rest: &str, mut out: String) -> Option<String> {
    let r = rest.as_bytes();
    let r = match r.first() {
        Some(b'.' | b'_' | b'-') => &r[1..],
        _ => r,
    };
    // An optional stability: the first name (in Composer's order) after which the rest reads.
    for name in STABILITIES {
        let n = name.len();
        if r.len() < n || !r[..n].eq_ignore_ascii_case(name.as_bytes()) {
            continue;
        }
        let after = &r[n..];
        let numbers = suffix_numbers(after);
        let Some(dev) = dev_tail(&after[numbers..]) else {
            continue;
        };
        // `r` is ASCII up to here: names and numbers.
        let typed = std::str::from_utf8(&r[..n]).unwrap_or(name);
        if typed == "stable" {
            return Some(out);
        }
        out.push('-');
        out.push_str(expand(typed));
        let numbers = std::str::from_utf8(&after[..numbers]).unwrap_or_default();
        out.push_str(numbers.trim_start_matches(['.', '-']));
        if dev {
            out.push_str("-dev");
        }
        return Some(out);
    }
    let dev = dev_tail(r)?;
    if dev {
        out.push_str("-dev");
    }
    Some(out)
}

/// The length of the numbers after a stability name: any number of digit runs, each after an
/// optional `.` or `-`.
fn suffix_numbers(s: &[u8]) -> usize {
    let mut i = 0;
    loop {
        let at = match s.get(i) {
            Some(b'.' | b'-') => i + 1,
            _ => i,
        };
        let n = digits(&s[at.min(s.len())..]);
        if n == 0 {
            return i;
        }
        i = at + n;
    }
}

/// The end of a suffix: nothing (`Some(false)`) or `dev` after an optional `.` or `-`
/// (`Some(true)`); `None` for anything else.
fn dev_tail(s: &[u8]) -> Option<bool> {
    let s = match s.first() {
        Some(b'.' | b'-') => &s[1..],
        _ if s.is_empty() => return Some(false),
        _ => s,
    };
    s.eq_ignore_ascii_case(b"dev").then_some(true)
}

/// The spelled-out stability name.
fn expand(typed: &str) -> &'static str {
    match typed.to_ascii_lowercase().as_str() {
        "a" | "alpha" => "alpha",
        "b" | "beta" => "beta",
        "p" | "pl" | "patch" => "patch",
        "rc" => "RC",
        _ => "stable",
    }
}

/// A numbered branch: `1.x-dev`, `v2.1.*.dev`, `3-dev`. Composer reads the text after the
/// last line break, without `dev` and one `.` or `-` before it, trimmed.
fn numbered_branch(v: &str) -> Option<String> {
    let n = v.len().checked_sub(3)?;
    if !v.as_bytes()[n..].eq_ignore_ascii_case(b"dev") {
        return None;
    }
    // `dev` is ASCII, so `n` is a character boundary.
    let body = &v[..n];
    let body = body.rfind('\n').map_or(body, |i| &body[i + 1..]);
    let body = body
        .strip_suffix(['.', '-'])
        .unwrap_or(body)
        .trim_matches(PHP_TRIM);
    let s = body.as_bytes();
    let mut i = skip_v(s);
    let major = digits(&s[i..]);
    if major == 0 {
        return None;
    }
    let mut out = String::with_capacity(body.len() + 32);
    out.push_str(&body[i..i + major]);
    i += major;
    let mut parts = 1;
    while parts < 4 && i < s.len() {
        if s[i] != b'.' {
            return None;
        }
        match s.get(i + 1) {
            Some(b'x' | b'X' | b'*') => {
                out.push('.');
                out.push_str(BRANCH_WILDCARD);
                i += 2;
            }
            _ => {
                let n = digits(&s[i + 1..]);
                if n == 0 {
                    return None;
                }
                out.push_str(&body[i..i + 1 + n]);
                i += 1 + n;
            }
        }
        parts += 1;
    }
    if i != s.len() {
        return None;
    }
    for _ in parts..4 {
        out.push('.');
        out.push_str(BRANCH_WILDCARD);
    }
    out.push_str("-dev");
    Some(out)
}

/// Why a version that fits no form is invalid, as precisely as cheaply possible.
fn reason(v: &str) -> String {
    const SUFFIXES: &str = "-alpha, -beta, -RC, -patch or -dev, each with an optional number";
    let s = v.as_bytes();
    if s.is_empty() {
        return "empty version".into();
    }
    let i = skip_v(s);
    let major = digits(&s[i..]);
    if major == 0 {
        return "a Composer version starts with a number (or v and a number), or is a branch \
                such as dev-main or 1.x-dev"
            .into();
    }
    if major > 5 {
        return format!(
            "a first number of {major} digits must start a date such as 20100102 or \
             2010-01-02 (it has at most 5 digits otherwise)"
        );
    }
    let mut j = i + major;
    let mut parts = 1;
    while s.get(j) == Some(&b'.') && digits(&s[j + 1..]) > 0 {
        j += 1 + digits(&s[j + 1..]);
        parts += 1;
    }
    if parts > 4 && major <= 5 {
        return format!("{parts} numbers; a Composer version has at most 4");
    }
    format!(
        "unexpected {:?} after the version numbers (expected a date or {SUFFIXES})",
        quote(&v[j..])
    )
}

/// Rank of a word in `version_compare`, by its first letters (case matters): `dev` 0, `alpha`
/// and `a…` 1, `beta` and `b…` 2, `RC`/`rc…` 3, `#` 4 (where a number ranks), `pl` and
/// `p…` 5, anything else (`stable`) -1.
fn word_rank(w: &[u8]) -> i8 {
    if w.starts_with(b"dev") {
        0
    } else if w.starts_with(b"a") {
        1
    } else if w.starts_with(b"b") {
        2
    } else if w.starts_with(b"RC") || w.starts_with(b"rc") {
        3
    } else if w.starts_with(b"#") {
        NUMBER_RANK
    } else if w.starts_with(b"p") {
        5
    } else {
        -1
    }
}

/// Where a number ranks among words.
const NUMBER_RANK: i8 = 4;

/// One part of a normal form.
#[derive(Debug, Clone, Copy)]
enum Part<'a> {
    Number(&'a [u8]),
    Word(&'a [u8]),
}

/// The parts of a normal form: maximal runs of digits or of other characters, split at `.`
/// and `-` (`version_compare` also splits at `_`, `+` and anything not alphanumeric; normal
/// forms hold none of them).
fn parts(s: &str) -> impl Iterator<Item = Part<'_>> {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let start = i;
        let digit = b.get(i)?.is_ascii_digit();
        while i < b.len() && b[i].is_ascii_alphanumeric() && b[i].is_ascii_digit() == digit {
            i += 1;
        }
        let run = &b[start..i];
        Some(if digit {
            Part::Number(run)
        } else {
            Part::Word(run)
        })
    })
}

/// Compares digit runs by numeric value, of any length, without parsing.
fn numeric(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |s: &'_ [u8]| -> usize { s.iter().take_while(|&&c| c == b'0').count() };
    let (a, b) = (&a[strip(a)..], &b[strip(b)..]);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn compare_parts(x: Part<'_>, y: Part<'_>) -> Ordering {
    match (x, y) {
        (Part::Number(a), Part::Number(b)) => numeric(a, b),
        (Part::Word(a), Part::Word(b)) => word_rank(a).cmp(&word_rank(b)),
        (Part::Number(_), Part::Word(b)) => NUMBER_RANK.cmp(&word_rank(b)),
        (Part::Word(a), Part::Number(_)) => word_rank(a).cmp(&NUMBER_RANK),
    }
}

/// What the rest of a longer version makes it, against a version that has ended: newer if the
/// rest starts with a number, else as its first word ranks against a number.
fn compare_rest(first: Part<'_>) -> Ordering {
    match first {
        Part::Number(_) => Ordering::Greater,
        Part::Word(w) => word_rank(w).cmp(&NUMBER_RANK),
    }
}

/// PHP's `version_compare` on two normal forms (numbers compared by value at any length).
fn version_compare(a: &str, b: &str) -> Ordering {
    let (mut pa, mut pb) = (parts(a), parts(b));
    loop {
        match (pa.next(), pb.next()) {
            (None, None) => return Ordering::Equal,
            (Some(x), None) => return compare_rest(x),
            (None, Some(y)) => return compare_rest(y).reverse(),
            (Some(x), Some(y)) => match compare_parts(x, y) {
                Ordering::Equal => {}
                unequal => return unequal,
            },
        }
    }
}

/// Compares two version strings as Composer does; see the module documentation.
///
/// This is the convenience entry point for callers holding raw strings; it fails (naming the
/// offending input) if either is not a version Composer accepts, or if a branch is compared
/// with anything but itself.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    ComposerVersion::parse(a)?.try_cmp(&ComposerVersion::parse(b)?)
}

/// The Composer version scheme, used for the OSV `Packagist` ecosystem.
///
/// Use the shared instance [`crate::COMPOSER`], or the unit value directly.
#[derive(Debug, Clone, Copy, Default)]
pub struct Composer;

impl VersionScheme for Composer {
    fn name(&self) -> &'static str {
        SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        compare(a, b)
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        ComposerVersion::parse(v).map(|_| ())
    }
}

#[cfg(test)]
mod tests;
