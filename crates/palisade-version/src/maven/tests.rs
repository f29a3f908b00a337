use super::*;
use Ordering::{Equal, Greater, Less};
use proptest::prelude::*;
use std::time::{Duration, Instant};

fn cmp(a: &str, b: &str) -> Ordering {
    compare(a, b).unwrap_or_else(|e| panic!("{e}"))
}

/// Ordered pairs from the POM reference's examples and Maven's documented rules, each checked in
/// both directions; `tests/vectors/maven.tsv` holds Maven's own verdicts on far more.
const VECTORS: &[(&str, Ordering, &str)] = &[
    // Trailing nulls.
    ("1", Equal, "1.0"),
    ("1", Equal, "1.0.0"),
    ("1.ga", Equal, "1"),
    ("1-ga", Equal, "1"),
    ("1.final", Equal, "1"),
    ("1.0-RELEASE", Equal, "1"),
    ("1-", Equal, "1"),
    ("1.", Equal, "1"),
    ("1.0.0-foo.0.0", Equal, "1-foo"),
    ("1.0.0-0.0.0", Equal, "1"),
    ("1-0", Equal, "1"),
    // Qualifier ranks, aliases and shorthands, case.
    ("1-alpha", Less, "1-beta"),
    ("1-beta", Less, "1-milestone"),
    ("1-milestone", Less, "1-rc"),
    ("1-rc", Equal, "1-cr"),
    ("1-rc", Less, "1-snapshot"),
    ("1-snapshot", Less, "1"),
    ("1", Less, "1-sp"),
    ("1-sp", Less, "1-abc"),
    ("1-abc", Less, "1-abd"),
    ("1-a1", Equal, "1-alpha-1"),
    ("1-b2", Equal, "1-beta-2"),
    ("1-m3", Equal, "1-milestone-3"),
    ("1-a", Greater, "1-alpha"),
    ("1-a-1", Greater, "1-alpha-1"),
    ("1.0ALPHA1", Equal, "1.0-a1"),
    ("1.0-SNAPSHOT", Equal, "1.0-snapshot"),
    ("1-foo2", Less, "1-foo10"),
    // Separators and transitions.
    ("1.foo", Equal, "1-foo"),
    ("1-foo", Less, "1-1"),
    ("1-1", Less, "1.1"),
    ("1.0RC1", Equal, "1.0-RC1"),
    ("1.0.0.RC1", Less, "1.0.0-RC2"),
    ("1.0.X", Equal, "1.0.0.X"),
    ("1-1.foo-bar1baz-.1", Equal, "1-1.foo-bar-1-baz-0.1"),
    ("1-0.5", Greater, "1"),
    ("1-0-2", Less, "1-2"),
    ("-1", Less, "1"),
    ("1.x.1", Less, "1-x.1"),
    ("1_0", Greater, "1.0"),
    // Real versions.
    ("2.15.0-rc1", Less, "2.15.0"),
    ("2.15.0-rc2", Greater, "2.15.0-rc1"),
    ("2.14.1", Less, "2.15.0-rc1"),
    ("5.3.18.RELEASE", Equal, "5.3.18"),
    ("5.3.0-M1", Less, "5.3.0-RC1"),
    ("31.1-android", Less, "31.1-jre"),
    ("31.1-jre", Greater, "31.1"),
    ("1.0.0.Final", Equal, "1.0.0"),
    ("2.7.0.SP1", Greater, "2.7.0"),
    ("4.1.108.Final-redhat-00001", Greater, "4.1.108.Final"),
    ("9.4.43.v20210629", Greater, "9.4.43"),
    // Numbers of any length, leading zeros.
    ("0001.0002", Equal, "1.2"),
    (
        "123456789012345678901234567890",
        Less,
        "123456789012345678901234567891",
    ),
    ("1.99999999999999999999", Less, "1.100000000000000000000"),
    // Case folding beyond ASCII, and Java's UTF-16 order between unknown qualifiers.
    ("1-\u{3a3}", Equal, "1-\u{3c3}"),
    ("1-\u{391}\u{3a3}", Equal, "1-\u{3b1}\u{3c2}"),
    ("1-\u{130}", Equal, "1-i\u{307}"),
    ("1-\u{212a}", Equal, "1-k"),
    ("1-\u{ff21}", Greater, "1-\u{1d538}"),
];

#[test]
fn documented_vectors() {
    for &(a, want, b) in VECTORS {
        assert_eq!(compare(a, b), Ok(want), "{a} vs {b}");
        assert_eq!(compare(b, a), Ok(want.reverse()), "{b} vs {a}");
    }
}

/// Maven 3.8.7 gives each of these cycles; the scheme keeps the verdicts against the shorter
/// version and reverses the one between the two longer ones (see the module documentation).
#[test]
fn maven_cycles_are_broken_by_sign() {
    let cycles: [[&str; 3]; 4] = [
        // Maven: alpha < plain < redhat < alpha.
        ["2.13.4-alpha", "2.13.4", "2.13.4.redhat-00001"],
        // Maven (MNG-6568): 0-alpha < 0 < x < 0-alpha.
        ["0-alpha", "0", "x"],
        // Maven: RC-1 < 1 < SP1 < RC-1.
        ["1.0.RC-1", "1", "1-SP1"],
        // Maven: 1-alpha < 1 < 1.sp.1 < 1-alpha.
        ["1-alpha", "1", "1.sp.1"],
    ];
    for [low, mid, high] in cycles {
        assert_eq!(cmp(low, mid), Less, "{low} < {mid}");
        assert_eq!(cmp(mid, high), Less, "{mid} < {high}");
        assert_eq!(cmp(low, high), Less, "{low} < {high}");
    }
}

#[test]
fn equal_like_items_keep_maven_kind_order() {
    // Same sign: numbers beat sublists beat qualifiers, as in Maven.
    assert_eq!(cmp("1.0.1", "1.0-SP1"), Greater);
    assert_eq!(cmp("1.0.1", "1.0.0.SP1"), Greater);
    assert_eq!(cmp("1-1", "1-sp"), Greater);
    assert_eq!(cmp("1.1", "1-1"), Greater);
    assert_eq!(cmp("1-rc", "1.0-0.alpha"), Less);
}

#[test]
fn parses_and_displays() {
    let v: MavenVersion = "2.15.0-RC1".parse().expect("valid");
    assert_eq!(v.as_str(), "2.15.0-RC1");
    assert_eq!(v.to_string(), "2.15.0-RC1");
    assert_eq!(v, MavenVersion::parse("2.15-rc-1").expect("valid"));
    assert!(v < MavenVersion::parse("2.15.0").expect("valid"));
    assert_eq!(Maven.name(), "maven");
    assert_eq!(crate::MAVEN.compare("1", "2"), Ok(Less));
}

#[test]
fn rejects_what_cannot_be_a_version() {
    let cases = [
        ("", "empty"),
        (" ", "whitespace"),
        ("1.0 ", "whitespace"),
        (" 1.0", "whitespace"),
        ("1.0 beta", "whitespace"),
        ("1.0\n", "whitespace"),
        ("1.0\t1", "whitespace"),
        ("1.0\u{a0}", "whitespace"),
        ("1.0\u{3000}", "whitespace"),
        ("1.0\u{0}", "control"),
        ("1.0\u{7f}", "control"),
        ("1.0\u{1b}[31m", "control"),
        ("\u{661}", "outside ASCII"),
        ("1.\u{661}", "outside ASCII"),
        ("1.0-\u{ff11}", "outside ASCII"),
        ("1.\u{b2}", "outside ASCII"),
        ("\u{216b}", "outside ASCII"),
        ("1-\u{1d7ce}", "outside ASCII"),
    ];
    for (input, needle) in cases {
        let err = MavenVersion::parse(input).expect_err(input);
        let msg = err.to_string();
        assert!(msg.contains(needle), "{input:?}: {msg}");
        assert!(msg.contains("maven"), "{input:?}: {msg}");
        assert!(
            msg.contains(&format!("{input:?}")),
            "{input:?} not named in: {msg}"
        );
        assert!(compare(input, "1.0").is_err());
        assert!(compare("1.0", input).is_err());
        assert!(Maven.validate(input).is_err());
    }
}

#[test]
fn accepts_what_maven_accepts() {
    for input in [
        ".",
        "-",
        "..",
        "x",
        "_",
        "+",
        "~",
        "1_0",
        "v1.0",
        "r09",
        "ü1",
        "1-é",
        "1.0-€",
        "1-\u{200b}",
    ] {
        assert!(Maven.validate(input).is_ok(), "{input}");
    }
    assert_eq!(cmp(".", "0"), Equal);
    assert_eq!(cmp("-", "0"), Equal);
}

/// Each shape is 100 KB; every comparison must finish quickly (debug build) and without
/// recursion, however deep `-` nests.
#[test]
fn huge_inputs_are_linear() {
    let n = 50_000;
    let shapes = [
        "1-".repeat(n),
        "1.".repeat(n),
        "a1".repeat(n),
        "9".repeat(2 * n),
        format!("1.{}", "0".repeat(2 * n - 3) + "1"),
        "-".repeat(2 * n),
        "x.".repeat(n),
        "0-".repeat(n) + "alpha",
        "é".repeat(n),
    ];
    let started = Instant::now();
    for (i, a) in shapes.iter().enumerate() {
        let next = &shapes[(i + 1) % shapes.len()];
        let _ = cmp(a, next);
        let _ = cmp(a, "1");
        assert_eq!(cmp(a, a), Equal);
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    // And the answers are exact at that size.
    let long = "1-".repeat(n);
    assert_eq!(cmp(&long, &format!("{long}1")), Less);
    assert_eq!(cmp(&format!("{long}rc"), &long), Less);
    assert_eq!(
        cmp(&"9".repeat(2 * n), &format!("1{}", "0".repeat(2 * n))),
        Less
    );
    assert_eq!(cmp(&"-".repeat(2 * n), "0"), Equal);
}

/// Version-like strings built from the tokens and separators that steer Maven's reading.
fn version() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just(""),
        Just("0"),
        Just("00"),
        Just("1"),
        Just("01"),
        Just("2"),
        Just("10"),
        Just("a"),
        Just("b"),
        Just("m"),
        Just("alpha"),
        Just("Beta"),
        Just("rc"),
        Just("cr"),
        Just("SNAPSHOT"),
        Just("ga"),
        Just("final"),
        Just("release"),
        Just("sp"),
        Just("x"),
        Just("foo"),
        Just("redhat"),
        Just("_"),
    ];
    let sep = prop_oneof![Just(""), Just("."), Just("-"), Just("_")];
    prop::collection::vec((sep, token), 1..7).prop_map(|parts| {
        let s: String = parts.into_iter().flat_map(|(s, t)| [s, t]).collect();
        if s.is_empty() { "0".to_owned() } else { s }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_arbitrary_strings(s in any::<String>()) {
        let _ = compare(&s, "1.0-rc1");
        let _ = compare("1.0-rc1", &s);
        let _ = compare(&s, &s);
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
            prop_assert_eq!(cmp(&v[0], &v[2]), Equal, "{:?}", v);
        }
        if cmp(&v[0], &v[1]) == Less || cmp(&v[1], &v[2]) == Less {
            prop_assert_eq!(cmp(&v[0], &v[2]), Less, "{:?}", v);
        }
    }

    #[test]
    fn equal_versions_compare_alike(a in version(), b in version(), c in version()) {
        if cmp(&a, &b) == Equal {
            prop_assert_eq!(cmp(&a, &c), cmp(&b, &c), "{} = {} against {}", a, b, c);
        }
    }

    #[test]
    fn case_does_not_matter(a in version(), b in version()) {
        prop_assert_eq!(cmp(&a, &b), cmp(&a.to_uppercase(), &b));
    }
}
