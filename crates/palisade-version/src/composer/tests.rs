use super::*;
use Ordering::{Equal, Greater, Less};
use proptest::prelude::*;

/// Normal forms from the module documentation (each also checked against Composer's own
/// `VersionParser::normalize` in `tests/vectors/composer-normalized.tsv`).
const NORMAL_FORMS: &[(&str, &str)] = &[
    ("1.0", "1.0.0.0"),
    ("v1.2.3", "1.2.3.0"),
    ("V1.2.3.4", "1.2.3.4"),
    ("1.0RC1", "1.0.0.0-RC1"),
    ("1.0-rc.1", "1.0.0.0-RC1"),
    ("2.1.3-beta2", "2.1.3.0-beta2"),
    ("1.0-b-dev", "1.0.0.0-beta-dev"),
    ("1.0-beta.1-2", "1.0.0.0-beta1-2"),
    ("1.0a1", "1.0.0.0-alpha1"),
    ("1.0-pl3", "1.0.0.0-patch3"),
    ("1.0-p", "1.0.0.0-patch"),
    ("1.0-stable", "1.0.0.0"),
    ("1.0-stable1-dev", "1.0.0.0"),
    ("1.0-STABLE", "1.0.0.0-stable"),
    ("1.0-dev", "1.0.0.0-dev"),
    ("1.0.-dev", "1.0.0.0-dev"),
    ("1.", "1.0.0.0"),
    ("1.0-", "1.0.0.0"),
    ("2010.01.02", "2010.01.02.0"),
    ("2010-01-02", "2010.01.02"),
    ("2010:01:02-5", "2010.01.02.5"),
    ("20100102", "20100102"),
    ("v2010-01-02-beta", "2010.01.02-beta"),
    ("123456.1", "123456.1"),
    ("9999999-dev", "9999999-dev"),
    ("1.x-dev", "1.9999999.9999999.9999999-dev"),
    ("1.2.*.dev", "1.2.9999999.9999999-dev"),
    ("1.X.3-dev", "1.9999999.3.9999999-dev"),
    ("1.x -dev", "1.9999999.9999999.9999999-dev"),
    ("foo\n1.x-dev", "1.9999999.9999999.9999999-dev"),
    ("1.0 as 2.0", "1.0.0.0"),
    ("v1.0@beta", "1.0.0.0"),
    ("1.0\n@dev", "1.0.0.0"),
    ("1.0.0-beta+exp.sha.5114f85", "1.0.0.0-beta"),
    ("1.0+\u{fc}", "1.0.0.0"),
    (" 1.0\u{b}", "1.0.0.0"),
    ("dev-master", "dev-master"),
    ("DEV-Feature", "dev-Feature"),
    ("master", "dev-master"),
    ("dev-", "dev-"),
    ("dev-a b", "dev-a b"),
];

#[test]
fn normal_forms() {
    for &(input, want) in NORMAL_FORMS {
        let v = ComposerVersion::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(v.normalized(), want, "{input:?}");
        assert_eq!(v.is_branch(), want.starts_with("dev-"), "{input:?}");
        assert_eq!(v.as_str(), input);
        assert_eq!(v.to_string(), input);
    }
}

/// Orderings from the module documentation; `tests/vectors/composer.tsv` covers far more.
const VECTORS: &[(&str, Ordering, &str)] = &[
    ("1.0", Equal, "1.0.0.0"),
    ("v1.0", Equal, "1.0"),
    ("1.01", Equal, "1.1"),
    ("1.0-dev", Less, "1.0-alpha"),
    ("1.0-alpha", Less, "1.0-beta1"),
    ("1.0-beta1", Less, "1.0-RC1"),
    ("1.0-RC1", Less, "1.0"),
    ("1.0", Less, "1.0-patch1"),
    ("1.0-patch1", Less, "1.0.0.1"),
    ("1.0-beta1-dev", Less, "1.0-beta1"),
    ("1.0-beta-dev", Less, "1.0-beta"),
    ("1.0-beta", Less, "1.0-beta1"),
    ("1.0-beta2", Less, "1.0-beta10"),
    ("1.0-b2", Equal, "1.0-beta2"),
    ("1.0-pl1", Equal, "1.0-p1"),
    ("1.0-STABLE", Less, "1.0-dev"),
    ("1.9", Less, "1.10"),
    ("1.x-dev", Greater, "1.99999"),
    ("1.x-dev", Less, "2.0-dev"),
    ("2010-01-02", Less, "2010.01.02"),
    ("2010.01.02", Less, "2010.01.03"),
    ("20100102", Greater, "2010.01.02"),
    (
        "1.123456789012345678901234567890",
        Less,
        "1.123456789012345678901234567891",
    ),
    ("1.99999999999999999999", Greater, "1.99999999999999999998"),
    ("dev-master", Equal, "master"),
    ("dev-Foo", Equal, "DEV-Foo"),
];

#[test]
fn documented_vectors() {
    for &(a, want, b) in VECTORS {
        assert_eq!(compare(a, b), Ok(want), "{a} vs {b}");
        assert_eq!(compare(b, a), Ok(want.reverse()), "{b} vs {a}");
    }
}

#[test]
fn branches_are_only_equal_to_themselves() {
    for (a, b) in [
        ("dev-master", "1.0"),
        ("dev-master", "dev-main"),
        ("dev-foo", "dev-Foo"),
        ("dev-1.0", "1.0"),
        ("master", "0"),
        ("dev-master", "1.x-dev"),
    ] {
        for (x, y) in [(a, b), (b, a)] {
            let err = compare(x, y).expect_err(x);
            assert!(matches!(err, VersionError::Incomparable { .. }), "{err}");
            let msg = err.to_string();
            assert!(msg.contains("composer") && msg.contains("branch"), "{msg}");
            assert!(Composer.validate(x).is_ok());
        }
        let (va, vb) = (
            ComposerVersion::parse(a).expect("valid"),
            ComposerVersion::parse(b).expect("valid"),
        );
        assert_eq!(va.partial_cmp(&vb), None);
        assert_ne!(va, vb);
    }
}

#[test]
fn rejects_what_composer_rejects_with_named_errors() {
    let cases = [
        ("", "empty"),
        ("   ", "empty"),
        ("@dev", "empty"),
        ("Master", "starts with a number"),
        ("x1.0", "starts with a number"),
        ("dev", "starts with a number"),
        ("1234567.1", "must start a date"),
        ("20100102030405060708", "must start a date"),
        ("1.0.0.0.0", "at most 4"),
        ("1.0-gamma", "unexpected"),
        ("1.0-beta1a", "unexpected"),
        ("1.0--beta", "unexpected"),
        ("1.2.3+", "unexpected"),
        ("1.2.3+a b", "unexpected"),
        ("1,0", "unexpected"),
        ("1.0\u{c}", "unexpected"),
        ("1.0 as", "unexpected"),
        ("a\nb-dev", "starts with a number"),
        ("1.x", "unexpected"),
        ("1.x.x.x.x-dev", "unexpected"),
        ("2010-1-02", "unexpected"),
    ];
    for (input, needle) in cases {
        let err = ComposerVersion::parse(input).expect_err(input);
        let msg = err.to_string();
        assert!(msg.contains(needle), "{input:?}: {msg}");
        assert!(msg.contains("composer"), "{input:?}: {msg}");
        assert!(
            msg.contains(&format!("{input:?}")),
            "{input:?} not named in: {msg}"
        );
        assert!(compare(input, "1.0").is_err());
        assert!(compare("1.0", input).is_err());
        assert!(Composer.validate(input).is_err());
    }
}

#[test]
fn date_groups() {
    // Four digits, one to six pairs, an optional tail of one to three digits.
    for (input, ok) in [
        ("201001", true),
        ("2010010203040506070", true),
        ("20100102030405060708", false),
        ("2010-01", true),
        ("2010-1", false),
        ("2010-01-0", true),
        ("2010-01-002", true),
        ("2010-01-0002", true),
        ("2010-01-00002", true),
        ("2010-01-02-03-04-05-06", true),
        ("2010-01-02-03-04-05-06-7", true),
        ("2010-01-02-03-04-05-06-07", true),
        ("2010-01-02-03-04-05-06-789", true),
        ("2010-01-02-03-04-05-06-7890", false),
        ("20101-01", false),
        ("201012-01", true),
        ("2010123-01", false),
        ("2010:0102-5", true),
        ("2010.01.02:3", true),
    ] {
        assert_eq!(Composer.validate(input).is_ok(), ok, "{input:?}");
    }
}

#[test]
fn huge_inputs_are_linear_and_exact() {
    let a = format!("1.{}", "9".repeat(200_000));
    let b = format!("1.1{}", "0".repeat(200_000));
    assert_eq!(compare(&a, &b), Ok(Less));
    let c = format!("1.0-beta{}", ".1".repeat(100_000));
    assert_eq!(compare(&c, &format!("{c}-dev")), Ok(Greater));
    let d = format!("dev-{}", "x".repeat(500_000));
    assert_eq!(compare(&d, &d), Ok(Equal));
    let e = "1.x-".repeat(100_000) + "dev";
    assert!(Composer.validate(&e).is_err());
    let f = format!("{} as 1.0", "1".repeat(300_000));
    assert!(Composer.validate(&f).is_err());
    let g = "1-".repeat(200_000);
    assert!(Composer.validate(&g).is_err());
    let msg = Composer.validate(&g).expect_err("invalid").to_string();
    assert!(msg.len() < 600, "{} bytes", msg.len());
}

/// Versions from the grammar, with the parts most likely to collide; some branches.
fn version() -> impl Strategy<Value = String> {
    let stability = prop::sample::select(vec![
        "", "-dev", "-alpha", "-a", "beta", "-b", "RC", "-rc", "-patch", "-pl", "p", "-stable",
        "-STABLE",
    ]);
    let numbered = (
        prop::option::of(Just("v")),
        "0{0,1}[0-9]{1,2}",
        prop::collection::vec("\\.0{0,1}[0-9]{1,2}", 0..4),
        stability,
        prop::option::of("[.-]?[0-9]{1,2}"),
        prop::option::of(prop::sample::select(vec!["-dev", ".dev", "dev"])),
    )
        .prop_map(|(v, major, rest, stab, n, dev)| {
            let mut s = format!("{}{major}{}", v.unwrap_or_default(), rest.concat());
            s.push_str(stab);
            if !stab.is_empty() && stab != "-dev" {
                s.push_str(&n.unwrap_or_default());
                s.push_str(dev.unwrap_or_default());
            }
            s
        });
    let date = ("20[0-9]{2}", "([.:-]?[0-9]{2}){1,3}", "(-beta[0-9])?")
        .prop_map(|(y, md, suffix)| format!("{y}{md}{suffix}"));
    let branch = prop_oneof![
        "dev-[a-c]{1,2}",
        "[0-9]\\.(x|[0-9])-dev",
        Just("master".to_string())
    ];
    prop_oneof![6 => numbered, 2 => date, 1 => branch]
}

fn cmp(a: &str, b: &str) -> Result<Ordering, VersionError> {
    compare(a, b)
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_strings(s in any::<String>()) {
        let _ = compare(&s, "1.0.0");
        let _ = compare("dev-main", &s);
        let _ = Composer.validate(&s);
    }

    #[test]
    fn never_panics_on_version_like_strings(
        s in "[0-9vVxX*a-eprstlRC@ .:_+,\n-]{0,20}",
        t in "[0-9vVxX*a-eprstlRC@ .:_+,\n-]{0,20}",
    ) {
        match (cmp(&s, &t), cmp(&t, &s)) {
            (Ok(x), Ok(y)) => prop_assert_eq!(x, y.reverse()),
            (Err(_), Err(_)) => {}
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn grammar_versions_are_valid(a in version()) {
        prop_assert!(Composer.validate(&a).is_ok(), "{:?}", a);
    }

    #[test]
    fn ordering_is_antisymmetric(a in version(), b in version()) {
        match (cmp(&a, &b), cmp(&b, &a)) {
            (Ok(x), Ok(y)) => prop_assert_eq!(x, y.reverse()),
            (Err(_), Err(_)) => {
                let branch = |v: &str| ComposerVersion::parse(v).map(|v| v.is_branch());
                prop_assert!(branch(&a) == Ok(true) || branch(&b) == Ok(true));
            }
            other => prop_assert!(false, "{:?}", other),
        }
        if ComposerVersion::parse(&a).is_ok() {
            prop_assert_eq!(cmp(&a, &a), Ok(Equal));
        }
    }

    #[test]
    fn ordering_is_transitive(a in version(), b in version(), c in version()) {
        let mut v: Vec<String> = [a, b, c]
            .into_iter()
            .filter(|s| ComposerVersion::parse(s).is_ok_and(|v| !v.is_branch()))
            .collect();
        v.sort_by(|x, y| cmp(x, y).unwrap_or(Equal));
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                prop_assert_ne!(cmp(&v[i], &v[j]), Ok(Greater), "{:?}", v);
            }
        }
        if v.len() == 3 && cmp(&v[0], &v[1]) == Ok(Equal) && cmp(&v[1], &v[2]) == Ok(Equal) {
            prop_assert_eq!(cmp(&v[0], &v[2]), Ok(Equal));
        }
    }

    #[test]
    fn equal_versions_have_equal_normal_forms_up_to_zeros(a in version(), b in version()) {
        // Two numbered versions are equal exactly when their parts are: the normal forms
        // differ at most in leading zeros and in separators.
        if cmp(&a, &b) == Ok(Equal) {
            let key = |v: &str| -> Vec<String> {
                let n = ComposerVersion::parse(v).expect("valid").normalized().to_string();
                parts(&n)
                    .map(|p| match p {
                        Part::Number(d) => {
                            let s = String::from_utf8_lossy(d);
                            let t = s.trim_start_matches('0');
                            if t.is_empty() { "0".to_string() } else { t.to_string() }
                        }
                        Part::Word(w) => format!("w{}", word_rank(w)),
                    })
                    .collect()
            };
            prop_assert_eq!(key(&a), key(&b));
        }
    }
}
