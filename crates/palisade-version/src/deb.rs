//! Debian package versions, ordered exactly as `dpkg --compare-versions` orders them.
//!
//! A Debian version is `[epoch:]upstream_version[-debian_revision]` (deb-version(7), Debian
//! Policy §5.6.12). The epoch is split off at the *first* colon, the revision at the *last*
//! hyphen; an absent epoch is `0` and an absent revision is the empty string, which compares
//! equal to `0`.
//!
//! Upstream versions and revisions compare with dpkg's algorithm: the strings are consumed as
//! alternating non-digit and digit runs. Non-digit runs compare character by character with a
//! modified ASCII order in which `~` sorts before everything (even the end of the string),
//! the end of the string comes next, then letters, then all other characters. Digit runs compare
//! numerically; here that is done without converting to an integer (leading zeros stripped, then
//! the longer run is larger, then lexical order), so arbitrarily long runs never overflow.
//!
//! Parsing is as lenient as dpkg's comparison: characters that Debian Policy forbids only earn
//! a warning from dpkg and are accepted here too. What dpkg refuses outright is refused here with
//! a [`VersionError`] naming the input: empty strings, embedded whitespace, non-numeric or empty
//! epochs, and an empty upstream version or revision. Control characters are refused as well,
//! since no real version contains them and they make reports misleading.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{VersionError, VersionScheme};

/// Name under which the Debian scheme reports itself and its errors.
const SCHEME: &str = "deb";

/// A parsed Debian version: epoch, upstream version and Debian revision.
///
/// Parse one with [`DebVersion::parse`] or `str::parse`. Ordering ([`Ord`]) is dpkg's ordering,
/// and equality follows it: `1.0`, `0:1.0`, `1.00` and `1.0-0` are all equal, exactly as dpkg
/// considers them. For that reason the type does not implement `Hash`; use the original string
/// when a hashable key is needed.
#[derive(Debug, Clone)]
pub struct DebVersion {
    epoch: u64,
    upstream: String,
    revision: String,
}

impl DebVersion {
    /// Parses a version string such as `1:2.36.1-8+deb12u1`.
    ///
    /// Leading and trailing whitespace is ignored (as dpkg does); see the module documentation
    /// for what is rejected.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let err = |reason: &str| VersionError::invalid(SCHEME, input, reason);

        let s = input.trim_matches(is_c_space);
        if s.is_empty() {
            return Err(err("version string is empty"));
        }
        if s.chars().any(char::is_whitespace) {
            return Err(err("version string has embedded whitespace"));
        }
        if s.chars().any(char::is_control) {
            return Err(err("version string contains a control character"));
        }

        let (epoch, rest) = match s.split_once(':') {
            None => (0, s),
            Some((epoch_str, rest)) => {
                if epoch_str.is_empty() {
                    return Err(err("epoch before ':' is empty"));
                }
                if !epoch_str.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("epoch before ':' is not a non-negative number"));
                }
                let epoch = epoch_str
                    .parse::<u64>()
                    .map_err(|_| err("epoch before ':' is too large"))?;
                if rest.is_empty() {
                    return Err(err("nothing after the epoch's ':'"));
                }
                (epoch, rest)
            }
        };

        let (upstream, revision) = match rest.rsplit_once('-') {
            None => (rest, ""),
            Some((upstream, revision)) => {
                if revision.is_empty() {
                    return Err(err("Debian revision after the last '-' is empty"));
                }
                (upstream, revision)
            }
        };
        if upstream.is_empty() {
            return Err(err("upstream version is empty"));
        }

        Ok(DebVersion {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }

    /// The epoch; `0` when the version had none. Epochs override every other part, which is
    /// how packagers recover from a botched upstream numbering.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The upstream part: everything after the epoch and before the last hyphen.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision after the last hyphen; empty when the version had none (a native
    /// package), which compares equal to `"0"`.
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

/// Whitespace as C's `isspace` in the "C" locale sees it; dpkg trims exactly these.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

impl FromStr for DebVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DebVersion::parse(s)
    }
}

impl fmt::Display for DebVersion {
    /// Writes the version in dpkg's canonical form: the epoch only when it is non-zero (or when
    /// the upstream part contains a colon, which would otherwise be re-read as an epoch), the
    /// revision only when present. The output parses back to an equal version.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 || self.upstream.contains(':') {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| compare_part(&self.upstream, &other.upstream))
            .then_with(|| compare_part(&self.revision, &other.revision))
    }
}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DebVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DebVersion {}

/// Weight of one character (or of the end of the string, `None`) inside a non-digit run.
///
/// `~` is below the end of the string so that `1.0~rc1 < 1.0`; letters sit just above the end
/// and every other character is pushed above all letters. Digits weigh the same as the end of
/// the string because, inside a non-digit run, a digit means "this run has ended".
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// Compares two upstream versions or two revisions with dpkg's algorithm.
fn compare_part(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);

    while i < a.len() || j < b.len() {
        // Non-digit run: compare character weights until both sides reach a digit or the end.
        loop {
            let ca = a.get(i).copied().filter(|c| !c.is_ascii_digit());
            let cb = b.get(j).copied().filter(|c| !c.is_ascii_digit());
            if ca.is_none() && cb.is_none() {
                break;
            }
            let (wa, wb) = (weight(ca), weight(cb));
            if wa != wb {
                return wa.cmp(&wb);
            }
            // Equal non-zero weights mean the same character on both sides; step past it.
            i += usize::from(ca.is_some());
            j += usize::from(cb.is_some());
        }

        // Digit run: compare as unbounded non-negative integers.
        let (da, next_i) = digit_run(a, i);
        let (db, next_j) = digit_run(b, j);
        let ord = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
        if ord != Ordering::Equal {
            return ord;
        }
        i = next_i;
        j = next_j;
    }
    Ordering::Equal
}

/// Returns the significant digits (leading zeros removed) of the digit run starting at `start`,
/// and the index just past the run. An absent run counts as zero, i.e. no significant digits.
fn digit_run(s: &[u8], start: usize) -> (&[u8], usize) {
    let tail = s.get(start..).unwrap_or_default();
    let len = tail.iter().take_while(|c| c.is_ascii_digit()).count();
    let run = &tail[..len];
    let zeros = run.iter().take_while(|&&c| c == b'0').count();
    (&run[zeros..], start + len)
}

/// Compares two Debian version strings as `dpkg --compare-versions` would.
///
/// This is the convenience entry point for callers holding raw strings; it fails (naming the
/// offending input) if either is not a valid version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = DebVersion::parse(a)?;
    let b = DebVersion::parse(b)?;
    Ok(a.cmp(&b))
}

/// The Debian version scheme, used for the OSV `Debian` and `Ubuntu` ecosystems.
///
/// Use the shared instance [`crate::DEB`], or the unit value
/// directly.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deb;

impl VersionScheme for Deb {
    fn name(&self) -> &'static str {
        SCHEME
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        compare(a, b)
    }

    fn validate(&self, v: &str) -> Result<(), VersionError> {
        DebVersion::parse(v).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    /// Ordered pairs from the rules in deb-version(7) and Debian Policy §5.6.12.
    /// Each vector is checked in both directions.
    const VECTORS: &[(&str, Ordering, &str)] = &[
        // Plain numeric components.
        ("1.0", Equal, "1.0"),
        ("1.0", Less, "1.1"),
        ("1.2", Less, "1.10"),
        ("1.9", Less, "1.10"),
        ("2", Greater, "1.99"),
        ("1", Less, "1.0"),
        ("1.0", Less, "1.0.1"),
        ("10", Greater, "9"),
        ("0", Less, "1"),
        ("1.2.3", Less, "1.2.10"),
        // Leading zeros are ignored in digit runs.
        ("1.001", Equal, "1.1"),
        ("1.0", Equal, "1.00"),
        ("0001", Equal, "1"),
        ("1.010", Greater, "1.9"),
        ("000", Equal, "0"),
        ("1.0010", Equal, "1.10"),
        // Huge digit runs compare numerically without overflow.
        (
            "123456789012345678901234567890",
            Less,
            "123456789012345678901234567891",
        ),
        (
            "99999999999999999999999999",
            Greater,
            "9999999999999999999999999",
        ),
        ("1.00000000000000000000000000000000001", Equal, "1.1"),
        ("18446744073709551616", Greater, "18446744073709551615"),
        ("1.18446744073709551616", Greater, "1.2"),
        // Epochs dominate everything else.
        ("1:0", Greater, "99"),
        ("1:0", Greater, "99999-99"),
        ("0:1.0", Equal, "1.0"),
        ("1:1.0", Greater, "1.0"),
        ("2:0.1", Greater, "1:9.9"),
        ("1:1.0", Less, "2:0"),
        ("00:1", Equal, "1"),
        ("10:1", Greater, "9:1"),
        ("1:1.0-1", Equal, "01:1.0-1"),
        ("18446744073709551615:1", Greater, "18446744073709551614:9"),
        // Tilde sorts before everything, even the end of the string.
        ("1.0~rc1", Less, "1.0"),
        ("1.0~~", Less, "1.0~"),
        ("1.0~~a", Less, "1.0~"),
        ("1.0~", Less, "1.0"),
        ("1.0~rc1", Less, "1.0~rc2"),
        ("1.0~beta", Less, "1.0~rc"),
        ("1.0~rc1", Greater, "1.0~~rc1"),
        ("1.0~rc1-1", Less, "1.0-1"),
        ("2.30~rc1-1", Less, "2.30-1"),
        ("1.0~", Less, "1.0a"),
        ("1~", Less, "1.0"),
        ("1.0-1~bpo1", Less, "1.0-1"),
        ("1.0-1~", Less, "1.0-1"),
        // Letters sort before non-letters; end of string before letters.
        ("1.0a", Less, "1.0+"),
        ("1.0a", Less, "1.0."),
        ("1.0", Less, "1.0a"),
        ("1.0a", Less, "1.0b"),
        ("1.0A", Less, "1.0a"),
        ("1.0Z", Less, "1.0a"),
        ("1.0z", Less, "1.0+"),
        ("1.0+", Less, "1.0."),
        ("1.0", Less, "1.0+"),
        ("1.0+dfsg", Greater, "1.0"),
        ("1.0+dfsg", Less, "1.0.1"),
        ("1.0+", Less, "1.0.1"),
        ("1.0.a", Greater, "1.0+a"),
        ("1.0a", Less, "1.0.1"),
        ("1.0-1.a", Less, "1.0-1.+"),
        ("1:1.0:1", Greater, "1:1.0+1"),
        ("abc", Less, "abd"),
        ("a", Greater, "1"),
        ("1.0b1", Greater, "1.0a9"),
        ("1.0rc", Less, "1.0rc1"),
        // Revisions: split at the last hyphen; absent revision equals "0".
        ("1.0", Equal, "1.0-0"),
        ("1.0-0", Less, "1.0-1"),
        ("1.0", Less, "1.0-1"),
        ("1.0-1", Less, "1.0-2"),
        ("1.0-2", Less, "1.0-10"),
        ("1.0-1", Less, "1.1-0"),
        ("1.0-9", Less, "1.0.1-1"),
        ("1.0-1", Greater, "1.0-0.1"),
        ("1.0-0.1", Greater, "1.0"),
        ("1-2-3", Greater, "1-2-2"),
        ("1-2-3", Less, "1-3-1"),
        ("1.0-rc1-1", Less, "1.0-rc1-2"),
        ("1.0-1", Equal, "1.0-01"),
        // Security and stable updates.
        ("1.0-1+deb12u1", Greater, "1.0-1"),
        ("1.0-1+deb12u1", Less, "1.0-1+deb12u2"),
        ("1.0-1+deb12u1", Less, "1.0-2"),
        ("1.0-1+deb11u1", Less, "1.0-1+deb12u1"),
        ("1.0-0+deb12u1", Greater, "1.0"),
        ("1.0-0+deb12u1", Less, "1.0-1"),
        ("1.0-0+deb12u1", Greater, "1.0-0"),
        ("2.36-9+deb12u4", Less, "2.36-9+deb12u10"),
        ("1.0-1+b1", Greater, "1.0-1"),
        ("1.0-1+b1", Less, "1.0-1.1"),
        ("1.0-1ubuntu1", Greater, "1.0-1"),
        ("1.0-1ubuntu0.1", Less, "1.0-1ubuntu1"),
        ("1.0-1ubuntu1", Less, "1.0-1+deb12u1"),
        ("3.0.11-1~deb12u2", Less, "3.0.11-1"),
        ("3.0.11-1~deb12u2", Greater, "3.0.11-0+deb12u9"),
        ("1:2.38.1-5+deb12u1", Greater, "2.39"),
        // Real-world shapes.
        ("7.88.1-10+deb12u5", Less, "7.88.1-10+deb12u6"),
        ("2.7.4-0ubuntu1.6", Greater, "2.7.4-0ubuntu1"),
        ("1:9.18.24-1", Greater, "9.20.0-1"),
        ("252.22-1~deb12u1", Less, "252.22-1"),
        ("5.2.15-2+b2", Greater, "5.2.15-2"),
        ("1.2.13.dfsg-1", Greater, "1.2.13-1"),
    ];

    fn reverse(o: Ordering) -> Ordering {
        o.reverse()
    }

    #[test]
    fn documented_vectors() {
        assert!(VECTORS.len() >= 60, "only {} vectors", VECTORS.len());
        for &(a, want, b) in VECTORS {
            assert_eq!(compare(a, b), Ok(want), "{a} vs {b}");
            assert_eq!(compare(b, a), Ok(reverse(want)), "{b} vs {a}");
        }
    }

    #[test]
    fn ordering_is_a_total_order_over_the_vectors() {
        let mut all: Vec<DebVersion> = VECTORS
            .iter()
            .flat_map(|&(a, _, b)| [a, b])
            .map(|s| DebVersion::parse(s).expect("vector parses"))
            .collect();
        all.sort();
        for w in all.windows(2) {
            assert!(w[0] <= w[1], "{} > {}", w[0], w[1]);
        }
        // Transitivity spot check over every triple would be cubic; check pairwise consistency.
        for x in &all {
            for y in &all {
                assert_eq!(x.cmp(y), y.cmp(x).reverse(), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn parses_components() {
        let v = DebVersion::parse("1:2.36.1-8+deb12u1").expect("valid");
        assert_eq!(
            (v.epoch(), v.upstream(), v.revision()),
            (1, "2.36.1", "8+deb12u1")
        );

        let v = DebVersion::parse("2.36.1").expect("valid");
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (0, "2.36.1", ""));

        let v = DebVersion::parse("1.0-rc1-2").expect("valid");
        assert_eq!((v.upstream(), v.revision()), ("1.0-rc1", "2"));

        let v = DebVersion::parse("1:2:3-4").expect("valid");
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (1, "2:3", "4"));

        let v = DebVersion::parse("  1.0-1\n").expect("surrounding space trimmed");
        assert_eq!((v.upstream(), v.revision()), ("1.0", "1"));
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        for (input, shown) in [
            ("1.0", "1.0"),
            ("0:1.0", "1.0"),
            ("1:1.0-1", "1:1.0-1"),
            ("0:1:2", "0:1:2"),
            ("3.0-1~deb12u1", "3.0-1~deb12u1"),
            ("007:1", "7:1"),
        ] {
            let v: DebVersion = input.parse().expect("valid");
            assert_eq!(v.to_string(), shown, "{input}");
            let back: DebVersion = shown.parse().expect("display output parses");
            assert_eq!(back.cmp(&v), Equal, "{input}");
            assert_eq!(back.upstream(), v.upstream());
            assert_eq!(back.revision(), v.revision());
        }
    }

    #[test]
    fn rejects_bad_input_with_named_errors() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("1.0 1", "whitespace"),
            ("1.0\t-1", "whitespace"),
            ("1.0\u{a0}1", "whitespace"),
            ("1.0\u{0}", "control"),
            ("a:1.0", "epoch"),
            ("-1:1.0", "epoch"),
            (":1.0", "epoch"),
            ("1.5:1.0", "epoch"),
            ("99999999999999999999999:1", "too large"),
            ("1:", "after the epoch"),
            ("1.0-", "revision"),
            ("-1", "upstream"),
            ("1:-1", "upstream"),
        ];
        for (input, needle) in cases {
            let err = DebVersion::parse(input).expect_err(input);
            let msg = err.to_string();
            assert!(msg.contains(needle), "{input:?}: {msg}");
            assert!(msg.contains("deb"), "{input:?}: {msg}");
            assert!(
                msg.contains(&format!("{:?}", input)),
                "{input:?} not named in: {msg}"
            );
            assert!(compare(input, "1.0").is_err());
            assert!(compare("1.0", input).is_err());
            assert!(Deb.validate(input).is_err());
        }
    }

    #[test]
    fn lenient_like_dpkg_for_policy_violations() {
        // dpkg only warns about these, and still compares them.
        for input in ["abc", "1.0_1", "1.0#", "1.0-a_b", "ü1", "1,0"] {
            assert!(DebVersion::parse(input).is_ok(), "{input}");
        }
        assert_eq!(compare("1.0_1", "1.0a"), Ok(Greater));
    }

    #[test]
    fn huge_input_does_not_hang_or_overflow() {
        let a = format!("1.{}", "9".repeat(200_000));
        let b = format!("1.1{}", "0".repeat(200_000));
        assert_eq!(compare(&a, &b), Ok(Less));
        let c = format!("1.{}", "~".repeat(100_000));
        assert_eq!(compare(&c, "1."), Ok(Less));
    }

    /// A tiny deterministic generator so the cross-check is reproducible without extra crates.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick(&mut self, chars: &[u8]) -> char {
            char::from(chars[self.below(chars.len())])
        }
    }

    const UPSTREAM_CHARS: &[u8] = b"0000111229aabzAZ..++~~";
    const REVISION_CHARS: &[u8] = b"00112aabz.+~";

    fn gen_part(rng: &mut XorShift, chars: &[u8], max: usize) -> String {
        let len = 1 + rng.below(max);
        (0..len).map(|_| rng.pick(chars)).collect()
    }

    fn gen_version(rng: &mut XorShift) -> String {
        let mut s = String::new();
        let with_epoch = rng.below(4) == 0;
        if with_epoch {
            s.push_str(&rng.below(3).to_string());
            s.push(':');
        }
        s.push(rng.pick(b"0123456789"));
        s.push_str(&gen_part(rng, UPSTREAM_CHARS, 6));
        if with_epoch && rng.below(5) == 0 {
            s.push(':');
            s.push_str(&gen_part(rng, UPSTREAM_CHARS, 2));
        }
        if rng.below(3) != 0 {
            if rng.below(6) == 0 {
                s.push('-');
                s.push_str(&gen_part(rng, UPSTREAM_CHARS, 2));
            }
            s.push('-');
            s.push_str(&gen_part(rng, REVISION_CHARS, 5));
        }
        s
    }

    /// Makes a version close to `v` so that comparisons exercise the fine rules.
    fn mutate(rng: &mut XorShift, v: &str) -> String {
        let mut chars: Vec<char> = v.chars().collect();
        let pos = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 => chars.insert(pos, rng.pick(b"0~a+.Z1")),
            1 if pos < chars.len() && chars[pos] != ':' && chars[pos] != '-' => {
                chars[pos] = rng.pick(b"0~a+.9")
            }
            _ => chars.push(rng.pick(b"0~a1")),
        }
        let s: String = chars.into_iter().collect();
        if DebVersion::parse(&s).is_ok() {
            s
        } else {
            v.to_owned()
        }
    }

    fn dpkg_says(a: &str, op: &str, b: &str) -> bool {
        let status = std::process::Command::new("/usr/bin/dpkg")
            .args(["--compare-versions", a, op, b])
            .stderr(std::process::Stdio::null())
            .status()
            .expect("dpkg runs");
        match status.code() {
            Some(0) => true,
            Some(1) => false,
            other => panic!("dpkg failed ({other:?}) on {a:?} {op} {b:?}"),
        }
    }

    fn dpkg_order(a: &str, b: &str) -> Ordering {
        if dpkg_says(a, "lt", b) {
            Less
        } else if dpkg_says(a, "eq", b) {
            Equal
        } else {
            Greater
        }
    }

    #[test]
    fn agrees_with_real_dpkg() {
        if !std::path::Path::new("/usr/bin/dpkg").exists() {
            println!("skipped: /usr/bin/dpkg not present, cannot cross-check against dpkg");
            return;
        }
        // The hand-written vectors first: they must match dpkg too.
        // dpkg caps epochs at i32::MAX (we accept any u64), so skip vectors beyond its range.
        let dpkg_can_parse =
            |v: &str| DebVersion::parse(v).is_ok_and(|v| v.epoch() <= i32::MAX as u64);
        for &(a, want, b) in VECTORS {
            if dpkg_can_parse(a) && dpkg_can_parse(b) {
                assert_eq!(
                    dpkg_order(a, b),
                    want,
                    "dpkg disagrees with vector {a} vs {b}"
                );
            }
        }
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut seen = [0usize; 3];
        for _ in 0..400 {
            let a = gen_version(&mut rng);
            let b = if rng.below(3) == 0 {
                gen_version(&mut rng)
            } else {
                mutate(&mut rng, &a)
            };
            let ours = compare(&a, &b).unwrap_or_else(|e| panic!("{a:?} / {b:?}: {e}"));
            assert_eq!(ours, dpkg_order(&a, &b), "{a:?} vs {b:?}");
            seen[(ours as i8 + 1) as usize] += 1;
        }
        // The generator must produce all three outcomes or the check is weak.
        assert!(seen.iter().all(|&n| n > 20), "outcome spread {seen:?}");
    }
}
