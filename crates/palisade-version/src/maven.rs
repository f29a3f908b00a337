//! Maven versions, ordered as Maven's `ComparableVersion` orders them (the "Version Order
//! Specification" of the POM reference), made into a total order where Maven's own is not one.
//!
//! OSV's `Maven` records (GitHub's advisories for Java artifacts) state ranges in Maven
//! versions: `2.15.0`, `2.15.0-rc1`, `5.3.18.RELEASE`, `31.1-android`, `1.0.0.Final-redhat-1`.
//! Anything is a Maven version; the order is what takes rules.
//!
//! # Reading a version
//!
//! The version is lowercased first (full Unicode lowercasing, as Java's `toLowerCase` does),
//! then cut into tokens at `.`, at `-`, and wherever ASCII digits meet other characters. A run
//! of digits is a number (of any length, compared as a digit string, leading zeros ignored); any
//! other run — letters, `_`, `+`, `~`, non-ASCII letters — is a qualifier. An empty token
//! (`1..2`, `.1`, `-1`) is the number 0.
//!
//! A `-`, and a change between digits and other characters, starts a *sublist*: everything after
//! it is nested one level deeper, so `1-2.3` is `[1, [2, 3]]` and `1.0rc1` is `[1, 0, [rc, [1]]]`.
//! One more place starts a sublist (Maven 3.8.7's reading of "treat `.X` as `-X`", MNG-7644): a
//! qualifier that ends at a digit or at the end of the version, when the list it would go into
//! already holds something. So `1.0.0.RC1` reads as `1.0.0-RC-1`, while a qualifier ended by `.`
//! or `-` stays in place (`1.x.1` is `[1, x, 1]`).
//!
//! Qualifiers rank `alpha < beta < milestone < rc < snapshot < "" < sp`, then every other
//! qualifier, ordered among themselves by their UTF-16 code units (Java's string order). `cr` is
//! `rc`; `ga`, `final` and `release` are `""`; `a`, `b` and `m` are `alpha`, `beta` and
//! `milestone` only when a digit follows directly (`1-a1` is `1-alpha-1`, `1-a-1` is not).
//!
//! Then every list, innermost first, drops its trailing *null* items — the number 0, the
//! qualifier `""` and empty sublists — walking back from its end, stepping over its sublist,
//! and stopping at the first item that is not null. So `1.0.0 == 1`, `1.0-ga == 1`,
//! `1.0.0-foo.0.0 == 1-foo`, and `1-0.5` keeps its 0.
//!
//! # Comparing
//!
//! Two lists compare item by item. Where both have an item, numbers beat sublists, which beat
//! qualifiers (`1.1 > 1-1 > 1-rc`); like items compare by value. Where one list has run out, the
//! other list's remaining items are compared with "nothing": a number with 0, a qualifier with
//! `""` and a sublist with an empty list, and the first that differs decides. So
//! `1-rc1 < 1 < 1-sp < 1-foo`, and `1-0.5 > 1`.
//!
//! ## Where this differs from Maven, and why
//!
//! Those rules are not transitive (known upstream as MNG-5568 and MNG-6568): "nothing" equals
//! 0 against a number, `""` against a qualifier and `[]` against a list, yet the three are
//! ordered by kind when they meet each other. Maven 3.8.7 really says `2.13.4-alpha < 2.13.4 <
//! 2.13.4.redhat-00001 < 2.13.4-alpha`, and `0-alpha < 0 < x < 0-alpha`. A vulnerability verdict
//! cannot rest on a cycle, and [`Ord`] must not have one, so this scheme makes one change.
//!
//! Every item is given the *sign* of the rest of its list from that item on, compared with
//! "nothing" (exactly the verdict Maven gives against a shorter version). Where both lists have
//! an item, the signs are compared first, and the kinds and values only when the signs agree.
//! Against a shorter version nothing changes. Between two items of like sign nothing changes.
//! The verdict changes only when the items are of different kinds and opposite signs, and Maven
//! ranked the one that is older than "nothing" above the one that is newer:
//!
//! - a qualifier newer than the release against a pre-release sublist:
//!   `2.13.4.redhat-00001 > 2.13.4-alpha` here, `<` in Maven (whose `2.13.4 <
//!   2.13.4.redhat-00001` and `2.13.4-alpha < 2.13.4` stay);
//! - a 0 or `""` that only survives because something older than the release follows it, against
//!   a newer qualifier or sublist: `1.0.RC-1 < 1-SP1` here (`1.0.RC-1 < 1 < 1-SP1` in both).
//!
//! In both cases Maven's verdict sits on a cycle of its own verdicts. `tests/vectors/maven.tsv`
//! holds Maven's verdicts on every pair of the candidates that sits on no such cycle, and this
//! scheme agrees with all of them; `maven-inconsistent.tsv` holds the cycles, and this scheme
//! agrees with two of the three verdicts of each (the most a total order can).
//!
//! # Which Maven
//!
//! The vectors come from `maven-artifact` 3.8.7 (Debian 12's `libmaven3-core-java`). MNG-7644
//! (`1.0.0.RC1 < 1.0.0-RC2`, `1.0.X == 1.0.0.X`) is in 3.8.7 and 3.9.0 and followed here; Maven
//! 3.8.6 and older differ. Later changes are *not* followed:
//!
//! - MNG-7714 (fixed on Maven's main line in 2023, proposed for 3.9): `1.0.sp1-redhat-0001`
//!   after `1.0.final-redhat-0001`; 3.8.7 puts it before, and so does this scheme.
//! - Maven 4 reads a qualifier with its number (`rc1`) as one combined item, and its 2026 fixes
//!   for the cycles above (MNG-6568) and a 256-character limit may order some of the
//!   contradictory cases differently from this scheme.
//! - The POM reference now calls `_` a separator like `.` and `-` (2025); in 3.8.7 it is an
//!   ordinary character, so `1_0 > 1.0`.
//!
//! # What is rejected
//!
//! Maven accepts every string. [`MavenVersion::parse`] refuses what can only be corrupt data: the
//! empty string, whitespace or control characters anywhere (a glued field, a stray newline), and
//! numeric characters outside ASCII. Maven 3.8 reads every Unicode decimal digit as a digit
//! (`١ == 1`) while the POM reference and this scheme speak of ASCII digits; refusing them keeps
//! every accepted version's order exact. Lowercasing follows this crate's Unicode tables, which
//! can differ from Java 17's (Unicode 13) for letters added since; no real version has them.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::{VersionError, VersionScheme};

/// Name under which the Maven scheme reports itself and its errors.
const SCHEME: &str = "maven";

/// A Maven version, parsed into its lists.
///
/// Parse one with [`MavenVersion::parse`] or `str::parse`. Ordering ([`Ord`]) is the order
/// described in the module documentation and equality follows it (`1.0 == 1 == 1-ga`), so the
/// type does not implement `Hash`; use the original string when a hashable key is needed.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    text: String,
    /// The lowercased text; items point into it.
    lower: String,
    /// The chain of lists: `segments[i + 1]`, when present, is the sublist that ends
    /// `segments[i]`. A sublist is always the last item of its list (everything after a `-`
    /// nests inside it), so a chain is all the structure a version can have, and comparing two
    /// versions never needs recursion, however deep `1-1-1-…` nests.
    segments: Vec<Segment>,
}

/// One list: its numbers and qualifiers, followed by the next segment if there is one.
#[derive(Debug, Clone, Default)]
struct Segment {
    items: Vec<Item>,
    /// `signs[p]` is the sign of this list from position `p` on, compared with "nothing";
    /// `signs[items.len()]` is the sublist's sign (0 if there is none).
    signs: Vec<i8>,
}

/// A number or a qualifier. Text is held as a range of the lowercased version.
#[derive(Debug, Clone)]
enum Item {
    /// Digits with leading zeros removed; an empty range is 0.
    Number(Range<usize>),
    /// A qualifier's rank and, for [`Rank::Other`], its text.
    Qualifier(Rank, Range<usize>),
}

/// Qualifier ranks in order; [`Rank::Release`] is `""`, `ga`, `final` and `release`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Alpha,
    Beta,
    Milestone,
    Rc,
    Snapshot,
    Release,
    Sp,
    Other,
}

impl Rank {
    /// Ranks a lowercased qualifier; `followed_by_digit` enables the `a1`/`b1`/`m1` shorthands.
    fn of(text: &str, followed_by_digit: bool) -> Rank {
        match text {
            "a" if followed_by_digit => Rank::Alpha,
            "b" if followed_by_digit => Rank::Beta,
            "m" if followed_by_digit => Rank::Milestone,
            "alpha" => Rank::Alpha,
            "beta" => Rank::Beta,
            "milestone" => Rank::Milestone,
            "rc" | "cr" => Rank::Rc,
            "snapshot" => Rank::Snapshot,
            "" | "ga" | "final" | "release" => Rank::Release,
            "sp" => Rank::Sp,
            _ => Rank::Other,
        }
    }
}

impl Item {
    /// The item compared with "nothing": 0 for the number 0 and for `""`.
    fn sign(&self) -> i8 {
        match self {
            Item::Number(digits) => i8::from(!digits.is_empty()),
            Item::Qualifier(rank, _) => match rank.cmp(&Rank::Release) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            },
        }
    }

    fn is_null(&self) -> bool {
        self.sign() == 0
    }
}

impl MavenVersion {
    /// Reads `input` as Maven does; see the module documentation for what is rejected.
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
        if input.chars().any(|c| c.is_numeric() && !c.is_ascii_digit()) {
            return Err(err(
                "version string contains a numeric character outside ASCII (Maven reads some \
                 as digits; only 0-9 are accepted)",
            ));
        }
        let lower = input.to_lowercase();
        let mut segments = tokenize(&lower);
        normalize(&mut segments);
        Ok(MavenVersion {
            text: input.to_owned(),
            lower,
            segments,
        })
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text of an item's range.
    fn slice(&self, range: &Range<usize>) -> &str {
        // Ranges are made by `tokenize` from char boundaries of `lower`.
        self.lower.get(range.clone()).unwrap_or_default()
    }
}

/// Builds the chain of lists from the lowercased version (before trimming).
fn tokenize(lower: &str) -> Vec<Segment> {
    /// What the current token is made of, if it has begun.
    #[derive(Clone, Copy, PartialEq)]
    enum Run {
        Empty,
        Digits,
        Other,
    }

    let mut segments = vec![Segment::default()];
    let mut start = 0;
    let mut run = Run::Empty;

    // The current list is always the last segment.
    fn current(segments: &mut [Segment]) -> &mut Vec<Item> {
        let last = segments.len() - 1; // never empty: starts with one, only grows
        &mut segments[last].items
    }
    fn number(lower: &str, range: Range<usize>) -> Item {
        let zeros = lower
            .get(range.clone())
            .unwrap_or_default()
            .bytes()
            .take_while(|&b| b == b'0')
            .count();
        Item::Number(range.start + zeros..range.end)
    }
    fn qualifier(lower: &str, range: Range<usize>, followed_by_digit: bool) -> Item {
        let rank = Rank::of(
            lower.get(range.clone()).unwrap_or_default(),
            followed_by_digit,
        );
        Item::Qualifier(rank, range)
    }
    // A qualifier ended by a digit or by the end of the version opens a sublist first when its
    // list is not empty (`1.0.0.RC1` reads as `1.0.0-RC-1`).
    fn push_qualifier_in_sublist(segments: &mut Vec<Segment>, item: Item) {
        if !current(segments).is_empty() {
            segments.push(Segment::default());
        }
        current(segments).push(item);
    }

    for (i, c) in lower.char_indices() {
        match c {
            '.' | '-' => {
                let item = match run {
                    Run::Empty => Item::Number(i..i),
                    Run::Digits => number(lower, start..i),
                    Run::Other => qualifier(lower, start..i, false),
                };
                current(&mut segments).push(item);
                if c == '-' {
                    segments.push(Segment::default());
                }
                start = i + 1;
                run = Run::Empty;
            }
            '0'..='9' => {
                if run == Run::Other {
                    let item = qualifier(lower, start..i, true);
                    push_qualifier_in_sublist(&mut segments, item);
                    segments.push(Segment::default());
                    start = i;
                }
                run = Run::Digits;
            }
            _ => {
                if run == Run::Digits {
                    let item = number(lower, start..i);
                    current(&mut segments).push(item);
                    segments.push(Segment::default());
                    start = i;
                }
                run = Run::Other;
            }
        }
    }
    match run {
        Run::Empty => {}
        Run::Digits => {
            let item = number(lower, start..lower.len());
            current(&mut segments).push(item);
        }
        Run::Other => {
            let item = qualifier(lower, start..lower.len(), false);
            push_qualifier_in_sublist(&mut segments, item);
        }
    }
    segments
}

/// Drops trailing null items, innermost list first, removes lists left empty, and records each
/// position's sign.
fn normalize(segments: &mut Vec<Segment>) {
    for i in (0..segments.len()).rev() {
        let has_sublist = i + 1 < segments.len();
        let items = &mut segments[i].items;
        while items.last().is_some_and(Item::is_null) {
            items.pop();
        }
        if items.is_empty() && !has_sublist && i > 0 {
            segments.truncate(i);
        }
    }
    let mut sublist_sign = 0;
    for segment in segments.iter_mut().rev() {
        let mut sign = sublist_sign;
        let mut signs = vec![0; segment.items.len() + 1];
        signs[segment.items.len()] = sign;
        for (p, item) in segment.items.iter().enumerate().rev() {
            let own = item.sign();
            if own != 0 {
                sign = own;
            }
            signs[p] = sign;
        }
        segment.signs = signs;
        sublist_sign = sign;
    }
}

/// What a list holds at a position.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Item(&'a Item),
    Sublist,
    Nothing,
}

/// The slot at `pos` of segment `seg` of `v`, with the sign of the list from there on.
fn slot(v: &MavenVersion, seg: usize, pos: usize) -> (Slot<'_>, i8) {
    let Some(s) = v.segments.get(seg) else {
        return (Slot::Nothing, 0);
    };
    let sign = s.signs.get(pos).copied().unwrap_or(0);
    match s.items.get(pos) {
        Some(item) => (Slot::Item(item), sign),
        None if pos == s.items.len() && seg + 1 < v.segments.len() => (Slot::Sublist, sign),
        None => (Slot::Nothing, 0),
    }
}

/// Orders two present slots of the same sign as Maven does: by kind (qualifier < sublist <
/// number), then by value. Sublists against each other are left to the caller (`None`).
fn compare_slots(a: &MavenVersion, x: Slot<'_>, b: &MavenVersion, y: Slot<'_>) -> Option<Ordering> {
    /// Kinds in Maven's order; "nothing" never reaches here.
    fn kind(s: Slot<'_>) -> u8 {
        match s {
            Slot::Item(Item::Qualifier(..)) | Slot::Nothing => 0,
            Slot::Sublist => 1,
            Slot::Item(Item::Number(_)) => 2,
        }
    }
    Some(match (x, y) {
        (Slot::Sublist, Slot::Sublist) => return None,
        (Slot::Item(Item::Number(p)), Slot::Item(Item::Number(q))) => {
            let (p, q) = (a.slice(p), b.slice(q));
            p.len().cmp(&q.len()).then_with(|| p.cmp(q))
        }
        (Slot::Item(Item::Qualifier(r, p)), Slot::Item(Item::Qualifier(s, q))) => {
            r.cmp(s).then_with(|| {
                if *r == Rank::Other {
                    a.slice(p).encode_utf16().cmp(b.slice(q).encode_utf16())
                } else {
                    Ordering::Equal
                }
            })
        }
        _ => kind(x).cmp(&kind(y)),
    })
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self, other);
        // The lists being compared: segment `sa` of `a` against segment `sb` of `b`.
        let (mut sa, mut sb) = (0, 0);
        let mut pos = 0;
        loop {
            let ((x, gx), (y, gy)) = (slot(a, sa, pos), slot(b, sb, pos));
            match (x, y) {
                (Slot::Nothing, Slot::Nothing) => return Ordering::Equal,
                // Against "nothing", the rest of the list decides, exactly as in Maven.
                (_, Slot::Nothing) => return gx.cmp(&0),
                (Slot::Nothing, _) => return 0.cmp(&gy),
                _ => {}
            }
            // The one change to Maven's rules: opposite signs decide before kinds do.
            if gx != gy {
                return gx.cmp(&gy);
            }
            if gx == 0 {
                // Both rests are null to the end, so each equals its own prefix.
                return Ordering::Equal;
            }
            match compare_slots(a, x, b, y) {
                Some(Ordering::Equal) => pos += 1,
                Some(order) => return order,
                None => {
                    // Sublists are last in their lists: comparing them decides.
                    (sa, sb, pos) = (sa + 1, sb + 1, 0);
                }
            }
        }
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

impl FromStr for MavenVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MavenVersion::parse(s)
    }
}

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Compares two Maven versions, or explains which of the two is not one.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = MavenVersion::parse(a)?;
    let b = MavenVersion::parse(b)?;
    Ok(a.cmp(&b))
}

/// The Maven version scheme (Java artifacts; OSV ecosystem `Maven`).
///
/// Use the shared instance [`crate::MAVEN`], or the unit value directly.
#[derive(Debug, Clone, Copy, Default)]
pub struct Maven;

impl VersionScheme for Maven {
    fn name(&self) -> &'static str {
        SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        compare(a, b)
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        MavenVersion::parse(v).map(|_| ())
    }
}

#[cfg(test)]
mod tests;
