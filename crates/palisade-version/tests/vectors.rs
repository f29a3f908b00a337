//! Checks every scheme against verdicts produced by its ecosystem's own tool.
//!
//! The TSV files under `tests/vectors/` are written by the generators in
//! `scripts/version-vectors/` (Python's `packaging`, node-semver through npm, Go's
//! `golang.org/x/mod/semver`, rpm's `rpm.labelCompare`, Ruby's `Gem::Version`, NuGet.Versioning
//! from NuGet.exe under Mono, Maven's `ComparableVersion`, Composer's own `composer/semver` run by
//! PHP), or for apk, which has no tool on this
//! system, from apk-tools' own test vectors plus a small independent
//! spec implementation checked against them; nothing in them is typed by hand. Pair files hold
//! `A<TAB>B<TAB>verdict` lines, `*-invalid.tsv` files hold one string the tool rejects per line.
//! `maven-inconsistent.tsv` holds triples on which Maven contradicts itself (see
//! [`maven_agrees_on_two_of_three_where_maven_contradicts_itself`]).
//! Fields are escaped so that whitespace survives editors: `\\`, `\t`, `\n`, `\r`, `\s` (a space)
//! and `\u{HEX}`.

use std::cmp::Ordering;

use palisade_version::{
    APK, COMPOSER, ComposerVersion, GO, MAVEN, NUGET, PEP440, RPM, RUBYGEMS, SEMVER, VersionScheme,
};

/// Decodes one escaped field; panics on malformed escapes, which would be a generator bug.
fn unescape(field: &str, line: usize) -> String {
    let mut out = String::new();
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('s') => out.push(' '),
            Some('u') => {
                assert_eq!(chars.next(), Some('{'), "line {line}: bad \\u escape");
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let code = u32::from_str_radix(&hex, 16)
                    .unwrap_or_else(|e| panic!("line {line}: bad \\u{{{hex}}}: {e}"));
                out.push(char::from_u32(code).unwrap_or_else(|| panic!("line {line}: {code:x}")));
            }
            other => panic!("line {line}: unknown escape {other:?}"),
        }
    }
    out
}

/// The data lines of a vector file (comments and blank lines dropped), with line numbers.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// Reads a `<`, `=` or `>` verdict.
fn parse_verdict(verdict: &str, file: &str, line: usize) -> Ordering {
    match verdict {
        "<" => Ordering::Less,
        "=" => Ordering::Equal,
        ">" => Ordering::Greater,
        other => panic!("{file}:{line}: verdict {other:?}"),
    }
}

/// Checks every pair in both directions and returns how many pairs there were.
fn check_pairs(scheme: &dyn VersionScheme, file: &str, text: &str) -> usize {
    let mut failures = Vec::new();
    let mut count = 0;
    for (line, l) in data_lines(text) {
        let fields: Vec<&str> = l.split('\t').collect();
        let [a, b, verdict] = fields[..] else {
            panic!("{file}:{line}: expected 3 tab-separated fields, got {l:?}");
        };
        let (a, b) = (unescape(a, line), unescape(b, line));
        let want = parse_verdict(verdict, file, line);
        count += 1;
        let forward = scheme.compare(&a, &b);
        let backward = scheme.compare(&b, &a);
        if forward != Ok(want) || backward != Ok(want.reverse()) {
            failures.push(format!(
                "{file}:{line}: {a:?} vs {b:?}: tool says {want:?}, got {forward:?} / reversed \
                 {backward:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} pairs disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    count
}

/// Checks that every string the tool rejects is rejected here too.
fn check_invalid(scheme: &dyn VersionScheme, file: &str, text: &str) -> usize {
    let mut accepted = Vec::new();
    let mut count = 0;
    for (line, l) in data_lines(text) {
        let s = unescape(l, line);
        count += 1;
        if scheme.validate(&s).is_ok() {
            accepted.push(format!("{file}:{line}: {s:?}"));
        }
        assert!(scheme.compare(&s, &s).is_err(), "{file}:{line}: {s:?}");
    }
    assert!(
        accepted.is_empty(),
        "{} strings the tool rejects were accepted:\n{}",
        accepted.len(),
        accepted.join("\n")
    );
    count
}

#[test]
fn pep440_matches_packaging() {
    let pairs = check_pairs(&PEP440, "pep440.tsv", include_str!("vectors/pep440.tsv"));
    assert!(pairs >= 300, "only {pairs} pairs");
    let invalid = check_invalid(
        &PEP440,
        "pep440-invalid.tsv",
        include_str!("vectors/pep440-invalid.tsv"),
    );
    assert!(invalid >= 50, "only {invalid} invalid strings");
}

#[test]
fn semver_matches_node_semver() {
    let pairs = check_pairs(&SEMVER, "semver.tsv", include_str!("vectors/semver.tsv"));
    assert!(pairs >= 300, "only {pairs} pairs");
    let invalid = check_invalid(
        &SEMVER,
        "semver-invalid.tsv",
        include_str!("vectors/semver-invalid.tsv"),
    );
    assert!(invalid >= 50, "only {invalid} invalid strings");
}

#[test]
fn go_matches_x_mod_semver() {
    let pairs = check_pairs(&GO, "go.tsv", include_str!("vectors/go.tsv"));
    assert!(pairs >= 300, "only {pairs} pairs");
    let invalid = check_invalid(
        &GO,
        "go-invalid.tsv",
        include_str!("vectors/go-invalid.tsv"),
    );
    assert!(invalid >= 50, "only {invalid} invalid strings");
}

#[test]
fn rpm_matches_rpm_label_compare() {
    let pairs = check_pairs(&RPM, "rpm.tsv", include_str!("vectors/rpm.tsv"));
    assert!(pairs >= 800, "only {pairs} pairs");
    let invalid = check_invalid(
        &RPM,
        "rpm-invalid.tsv",
        include_str!("vectors/rpm-invalid.tsv"),
    );
    assert!(invalid >= 20, "only {invalid} invalid strings");
}

#[test]
fn apk_matches_apk_tools() {
    let pairs = check_pairs(&APK, "apk.tsv", include_str!("vectors/apk.tsv"));
    assert!(pairs >= 1000, "only {pairs} pairs");
    let invalid = check_invalid(
        &APK,
        "apk-invalid.tsv",
        include_str!("vectors/apk-invalid.tsv"),
    );
    assert!(invalid >= 50, "only {invalid} invalid strings");
}

#[test]
fn rubygems_matches_gem_version() {
    let pairs = check_pairs(
        &RUBYGEMS,
        "rubygems.tsv",
        include_str!("vectors/rubygems.tsv"),
    );
    assert!(pairs >= 2000, "only {pairs} pairs");
    let invalid = check_invalid(
        &RUBYGEMS,
        "rubygems-invalid.tsv",
        include_str!("vectors/rubygems-invalid.tsv"),
    );
    assert!(invalid >= 200, "only {invalid} invalid strings");
}

#[test]
fn nuget_matches_nuget_versioning() {
    let pairs = check_pairs(&NUGET, "nuget.tsv", include_str!("vectors/nuget.tsv"));
    assert!(pairs >= 800, "only {pairs} pairs");
    let invalid = check_invalid(
        &NUGET,
        "nuget-invalid.tsv",
        include_str!("vectors/nuget-invalid.tsv"),
    );
    assert!(invalid >= 200, "only {invalid} invalid strings");
}

#[test]
fn maven_matches_comparable_version() {
    let pairs = check_pairs(&MAVEN, "maven.tsv", include_str!("vectors/maven.tsv"));
    assert!(pairs >= 30_000, "only {pairs} pairs");
}

/// Maven's `ComparableVersion` is not transitive, so no total order can agree with all of its
/// verdicts; each line of `maven-inconsistent.tsv` is a triple whose three verdicts no ranking
/// gives. The scheme must agree with two of the three (the most any total order can), and
/// cannot agree with all three (which checks that the triple really is inconsistent).
#[test]
fn maven_agrees_on_two_of_three_where_maven_contradicts_itself() {
    let file = "maven-inconsistent.tsv";
    let mut failures = Vec::new();
    let mut count = 0;
    for (line, l) in data_lines(include_str!("vectors/maven-inconsistent.tsv")) {
        let fields: Vec<&str> = l.split('\t').collect();
        let [a, b, c, ab, bc, ac] = fields[..] else {
            panic!("{file}:{line}: expected 6 tab-separated fields, got {l:?}");
        };
        let (a, b, c) = (unescape(a, line), unescape(b, line), unescape(c, line));
        let edges = [(&a, &b, ab), (&b, &c, bc), (&a, &c, ac)];
        count += 1;
        let agreed = edges
            .iter()
            .filter(|(x, y, verdict)| MAVEN.compare(x, y) == Ok(parse_verdict(verdict, file, line)))
            .count();
        if agreed != 2 {
            failures.push(format!(
                "{file}:{line}: {a:?} {b:?} {c:?}: agrees with {agreed} of Maven's 3 verdicts \
                 ({ab} {bc} {ac})"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} triples:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 100, "only {count} triples");
}

/// Checks `input<TAB>normal form` lines against [`ComposerVersion::normalized`].
fn check_composer_normalized(file: &str, text: &str) -> usize {
    let mut failures = Vec::new();
    let mut count = 0;
    for (line, l) in data_lines(text) {
        let Some((input, want)) = l.split_once('\t') else {
            panic!("{file}:{line}: expected 2 tab-separated fields, got {l:?}");
        };
        let (input, want) = (unescape(input, line), unescape(want, line));
        count += 1;
        match ComposerVersion::parse(&input) {
            Ok(v) if v.normalized() == want => {}
            got => failures.push(format!(
                "{file}:{line}: {input:?}: Composer normalizes to {want:?}, got {got:?}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} normal forms disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    count
}

/// Checks branch pairs: `=` must compare equal both ways, `!` (Composer gives no order) must be
/// an error both ways although both sides are valid.
fn check_composer_branches(file: &str, text: &str) -> (usize, usize) {
    let mut failures = Vec::new();
    let (mut equal, mut unordered) = (0, 0);
    for (line, l) in data_lines(text) {
        let fields: Vec<&str> = l.split('\t').collect();
        let [a, b, verdict] = fields[..] else {
            panic!("{file}:{line}: expected 3 tab-separated fields, got {l:?}");
        };
        let (a, b) = (unescape(a, line), unescape(b, line));
        let (forward, backward) = (COMPOSER.compare(&a, &b), COMPOSER.compare(&b, &a));
        let ok = match verdict {
            "=" => {
                equal += 1;
                forward == Ok(Ordering::Equal) && backward == Ok(Ordering::Equal)
            }
            "!" => {
                unordered += 1;
                forward.is_err()
                    && backward.is_err()
                    && COMPOSER.validate(&a).is_ok()
                    && COMPOSER.validate(&b).is_ok()
            }
            other => panic!("{file}:{line}: verdict {other:?}"),
        };
        if !ok {
            failures.push(format!(
                "{file}:{line}: {a:?} vs {b:?}: Composer says {verdict}, got {forward:?} / \
                 reversed {backward:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} branch pairs disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (equal, unordered)
}

#[test]
fn composer_matches_composer_semver() {
    let pairs = check_pairs(
        &COMPOSER,
        "composer.tsv",
        include_str!("vectors/composer.tsv"),
    );
    assert!(pairs >= 800, "only {pairs} pairs");
    let invalid = check_invalid(
        &COMPOSER,
        "composer-invalid.tsv",
        include_str!("vectors/composer-invalid.tsv"),
    );
    assert!(invalid >= 200, "only {invalid} invalid strings");
    let normalized = check_composer_normalized(
        "composer-normalized.tsv",
        include_str!("vectors/composer-normalized.tsv"),
    );
    assert!(normalized >= 400, "only {normalized} normal forms");
    let (equal, unordered) = check_composer_branches(
        "composer-branches.tsv",
        include_str!("vectors/composer-branches.tsv"),
    );
    assert!(
        equal >= 30 && unordered >= 1000,
        "{equal} equal, {unordered} unordered"
    );
}
