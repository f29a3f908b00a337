use super::*;
use proptest::prelude::*;

fn info(path: &str, size: u64) -> FileInfo<'_> {
    FileInfo {
        path,
        size,
        executable: false,
    }
}

fn run(a: &dyn FileAnalyzer, path: &str, data: &[u8]) -> Result<Vec<Package>, AnalyzeError> {
    a.analyze(&info(path, data.len() as u64), &mut &data[..])
}

fn pairs(pkgs: &[Package]) -> Vec<(&str, &str)> {
    pkgs.iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect()
}

fn skip_of(r: Result<Vec<Package>, AnalyzeError>) -> String {
    match r {
        Err(AnalyzeError::Skip(m)) => m,
        other => panic!("expected a skip, got {other:?}"),
    }
}

fn lock(text: &str) -> Result<Vec<Package>, AnalyzeError> {
    run(&COMPOSER_LOCK, "srv/app/composer.lock", text.as_bytes())
}

fn installed(text: &str) -> Result<Vec<Package>, AnalyzeError> {
    run(
        &INSTALLED,
        "srv/app/vendor/composer/installed.json",
        text.as_bytes(),
    )
}

/// A reader that fails the test if anything reads it.
struct Untouchable;
impl Read for Untouchable {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        panic!("the content of an oversized file was read");
    }
}

#[test]
fn wanted_files() {
    for path in [
        "composer.lock",
        "srv/app/composer.lock",
        "a/vendorx/composer.lock",
    ] {
        assert!(COMPOSER_LOCK.wants(&info(path, 1)), "{path}");
        assert!(!INSTALLED.wants(&info(path, 1)), "{path}");
    }
    // A lockfile under a vendor folder is a package's own, not what was installed.
    for path in [
        "vendor/composer.lock",
        "app/vendor/composer.lock",
        "app/vendor/acme/lib/composer.lock",
        "app/Composer.lock",
        "app/composer.lock.bak",
        "app/my-composer.lock",
    ] {
        assert!(!COMPOSER_LOCK.wants(&info(path, 1)), "{path}");
    }
    for path in [
        "installed.json",
        "app/vendor/composer/installed.json",
        "app/lib/composer/installed.json",
        "app/vendor/acme/x/vendor/composer/installed.json",
        "opt/other/installed.json",
    ] {
        assert!(INSTALLED.wants(&info(path, 1)), "{path}");
        assert!(!COMPOSER_LOCK.wants(&info(path, 1)), "{path}");
    }
    for path in [
        "app/Installed.json",
        "app/installed.json.bak",
        "app/not-installed.json",
    ] {
        assert!(!INSTALLED.wants(&info(path, 1)), "{path}");
    }
    assert!(in_composer_folder("vendor/composer/installed.json"));
    assert!(in_composer_folder("composer/installed.json"));
    assert!(!in_composer_folder("installed.json"));
    assert!(!in_composer_folder("a/xcomposer/installed.json"));
}

/// What Trivy 0.76 listed for `testdata/composer.lock` (`trivy fs`), written by Composer 2.5
/// for `testdata/composer.json`: `packages`, not `packages-dev` (`acme/dev-tool`,
/// `acme/dev-dep`); Syft 1.18 lists the same.
const TRIVY_LOCK: &[(&str, &str)] = &[
    ("acme/branchy", "dev-main"),
    ("acme/dated", "2010.01.02"),
    ("acme/four", "2.0.0.1"),
    ("acme/lib-a", "1.2.3"),
    ("acme/lib-b", "v2.0.1"),
    ("acme/patched", "1.0-p1"),
    ("acme/shared", "3.0.0"),
    ("acme/xdev", "2.1.x-dev"),
];

/// What Trivy 0.76 (`trivy rootfs`) and Syft 1.18 listed for `testdata/installed.json`, the
/// same install: every package, the development ones included.
const TRIVY_INSTALLED: &[(&str, &str)] = &[
    ("acme/branchy", "dev-main"),
    ("acme/dated", "2010.01.02"),
    ("acme/dev-dep", "1.0.0-RC1"),
    ("acme/dev-tool", "0.3.0"),
    ("acme/four", "2.0.0.1"),
    ("acme/lib-a", "1.2.3"),
    ("acme/lib-b", "v2.0.1"),
    ("acme/patched", "1.0-p1"),
    ("acme/shared", "3.0.0"),
    ("acme/xdev", "2.1.x-dev"),
];

#[test]
fn composer_written_lockfile_lists_what_trivy_lists() {
    let pkgs = lock(include_str!("testdata/composer.lock")).expect("parses");
    assert_eq!(pairs(&pkgs), TRIVY_LOCK);
    let kind = PackageType::of(&types::COMPOSER);
    for p in &pkgs {
        assert_eq!(p.kind, kind);
        assert_eq!(p.kind.name(), "composer");
        assert_eq!(p.ecosystem.osv_name(), "Packagist");
        assert_eq!(p.path, "srv/app/composer.lock");
        assert_eq!(p.application(), "srv/app/composer.lock");
    }
}

#[test]
fn composer_written_installed_json_lists_what_trivy_lists() {
    let pkgs = installed(include_str!("testdata/installed.json")).expect("parses");
    assert_eq!(pairs(&pkgs), TRIVY_INSTALLED);
    for p in &pkgs {
        assert_eq!(p.kind.name(), "composer-vendor");
        assert_eq!(p.ecosystem.osv_name(), "Packagist");
        assert_eq!(p.application(), "srv/app/vendor/composer/installed.json");
    }
}

#[test]
fn composer_1_installed_json_is_a_list() {
    let text = r#"[
        {"name": "acme/one", "version": "1.0.0", "version_normalized": "1.0.0.0"},
        {"name": "Acme/Upper", "version": "v2.0", "version_normalized": "2.0.0.0",
         "autoload": {"psr-4": {"Acme\\": "src/"}}},
        {"name": "acme/branch", "version": "dev-master", "version_normalized": "dev-master"}
    ]"#;
    assert_eq!(
        pairs(&installed(text).expect("parses")),
        [
            ("Acme/Upper", "v2.0"),
            ("acme/branch", "dev-master"),
            ("acme/one", "1.0.0"),
        ]
    );
    // A lockfile is never a bare list.
    assert!(skip_of(lock(text)).contains("expected an object with a `packages` list"));
    assert!(installed("[]").expect("empty").is_empty());
}

#[test]
fn entries_as_trivy_keeps_them() {
    let text = r#"{"packages": [
        {"name": "acme/dup", "version": "1.1.0"},
        {"name": "acme/noversion"},
        {"name": "acme/emptyversion", "version": ""},
        {"name": "acme/nullversion", "version": null},
        {"version": "1.0.0"},
        {"name": "", "version": "1.0.0"},
        {"name": "acme/dup", "version": "1.0.0"},
        {"name": "acme/normonly", "version_normalized": "1.0.0.0"},
        {"name": "Acme/Upper", "version": "v2.0"},
        {"name": "acme/ok", "version": "1.2.3", "extra": {"x": [1, {"y": null}]}, "n": 5.5}
    ], "packages-dev": [{"name": "acme/devonly", "version": "1.0.0"}],
       "dev": true, "dev-package-names": ["acme/ok"]}"#;
    let want = [
        ("Acme/Upper", "v2.0"),
        ("acme/dup", "1.1.0"),
        ("acme/ok", "1.2.3"),
    ];
    assert_eq!(pairs(&lock(text).expect("lock")), want);
    assert_eq!(pairs(&installed(text).expect("installed")), want);
    // The BOM some editors write is no reason to give up.
    let bom = format!("\u{feff}{text}");
    assert_eq!(pairs(&lock(&bom).expect("bom")), want);
}

#[test]
fn malformed_files_are_named_skips() {
    for (text, needle) in [
        ("", "not a valid composer.lock: EOF"),
        ("{", "not a valid composer.lock"),
        ("{\"packages\": [", "not a valid composer.lock"),
        ("\"packages\"", "expected an object with a `packages` list"),
        ("42", "expected an object"),
        ("null", "expected an object"),
        ("{}", "no `packages` list"),
        ("{\"content-hash\": \"x\"}", "no `packages` list"),
        ("{\"packages\": {}}", "expected a list of packages"),
        ("{\"packages\": null}", "expected a list of packages"),
        ("{\"packages\": [3]}", "expected a package (an object)"),
        (
            "{\"packages\": [\"acme/x\"]}",
            "expected a package (an object)",
        ),
        (
            "{\"packages\": [[\"a/b\", \"1\"]]}",
            "expected a package (an object)",
        ),
        (
            "{\"packages\": [{\"name\": \"a/b\", \"version\": 3}]}",
            "expected a string",
        ),
        (
            "{\"packages\": [{\"name\": [\"a/b\"], \"version\": \"1\"}]}",
            "expected a string",
        ),
        (
            "{\"packages\": [{\"name\": \"a/b\", \"name\": \"c/d\"}]}",
            "a package has two `name` fields",
        ),
        (
            "{\"packages\": [], \"packages\": []}",
            "two `packages` lists",
        ),
        ("{\"packages\": []} x", "trailing characters"),
        (
            "{\"packages\": [{\"name\": \"a\u{0}\"}]}",
            "control character",
        ),
    ] {
        let m = skip_of(lock(text));
        assert!(m.contains(needle), "{text:?}: {m}");
        let m = skip_of(installed(text));
        assert!(
            m.contains("installed.json") || text == "42" || text == "null",
            "{m}"
        );
    }
    let m = skip_of(run(
        &COMPOSER_LOCK,
        "composer.lock",
        b"{\"packages\": [\xff]}",
    ));
    assert!(m.contains("not a valid composer.lock"), "{m}");
}

#[test]
fn deep_nesting_is_no_stack_overflow() {
    // Skipped fields are skipped without recursion, however deep.
    let deep = format!(
        "{{\"packages\": [{{\"name\": \"a/b\", \"version\": \"1\", \"extra\": {}{}}}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(pairs(&lock(&deep).expect("parses")), [("a/b", "1")]);
    // Anywhere else, nesting is a type error at the first level.
    let top = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(skip_of(installed(&top)).contains("expected a package (an object)"));
    let name = format!(
        "{{\"packages\": [{{\"name\": {}{}}}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(skip_of(lock(&name)).contains("expected a string"));
}

#[test]
fn oversized_files_are_refused_unread() {
    for a in [&COMPOSER_LOCK as &dyn FileAnalyzer, &INSTALLED] {
        let path = if a.name() == "composer" {
            "composer.lock"
        } else {
            "vendor/composer/installed.json"
        };
        let m = skip_of(a.analyze(&info(path, MAX_FILE + 1), &mut Untouchable));
        assert!(m.contains("over the 32 MiB limit"), "{m}");
    }
}

#[test]
fn package_count_is_capped() {
    let mut text = String::from("{\"packages\": [");
    for i in 0..=MAX_PACKAGES {
        text.push_str(&format!("{{\"name\":\"v/p{i}\",\"version\":\"1\"}},"));
    }
    text.push_str("{}]}");
    assert!(skip_of(lock(&text)).contains(&format!("more than {MAX_PACKAGES} packages")));
    // Repeats of one name are one package, however many.
    let many = format!(
        "{{\"packages\": [{}{{}}]}}",
        "{\"name\":\"v/p\",\"version\":\"1\"},".repeat(MAX_PACKAGES + 10)
    );
    assert_eq!(pairs(&lock(&many).expect("parses")), [("v/p", "1")]);
}

#[test]
fn other_installed_json_files_are_quietly_ignored() {
    for (text, size) in [
        (&b"{\"dependencies\": {}}"[..], None),
        (b"[\"a\", \"b\"]", None),
        (b"not json", None),
        (b"{\"packages\": 3}", None),
        (b"{}", Some(MAX_FILE + 1)),
    ] {
        let size = size.unwrap_or(text.len() as u64);
        let file = info("opt/tool/state/installed.json", size);
        let pkgs = INSTALLED
            .analyze(&file, &mut &text[..])
            .expect("no warning");
        assert!(pkgs.is_empty());
        // Composer's own file gets a warning for the same content.
        let own = info("app/vendor/composer/installed.json", size);
        assert!(matches!(
            INSTALLED.analyze(&own, &mut &text[..]),
            Err(AnalyzeError::Skip(_))
        ));
    }
    // A Composer-shaped file is read wherever it is, as Trivy and Syft do.
    let pkgs = run(
        &INSTALLED,
        "opt/x/installed.json",
        br#"{"packages":[{"name":"acme/x","version":"1.0.0"}]}"#,
    )
    .expect("parses");
    assert_eq!(pairs(&pkgs), [("acme/x", "1.0.0")]);
}

/// Arbitrary JSON values, to throw at the parsers.
fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-z/.0-9-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("packages".to_string()),
                    Just("name".to_string()),
                    Just("version".to_string()),
                    "[a-z-]{1,6}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_ok_or_skip(data in prop::collection::vec(any::<u8>(), 0..512)) {
        for (a, path) in [
            (&COMPOSER_LOCK as &dyn FileAnalyzer, "composer.lock"),
            (&INSTALLED, "vendor/composer/installed.json"),
            (&INSTALLED, "elsewhere/installed.json"),
        ] {
            prop_assert!(!matches!(run(a, path, &data), Err(AnalyzeError::Io(_))));
        }
    }

    #[test]
    fn arbitrary_json_is_ok_or_skip(v in json()) {
        let text = v.to_string();
        let from_lock = lock(&text);
        let from_installed = installed(&text);
        prop_assert!(!matches!(from_lock, Err(AnalyzeError::Io(_))));
        // Whatever a lockfile lists, installed.json (same object layout) lists too.
        if let Ok(pkgs) = &from_lock {
            let other = from_installed.expect("same layout");
            prop_assert_eq!(pairs(pkgs), pairs(&other));
        }
    }

    #[test]
    fn lists_round_trip(
        entries in prop::collection::vec(("[a-c]{1,2}/[A-Za-z0-9_.-]{0,4}", "[0-9a-z.+-]{0,6}"), 0..40),
        noise in prop::collection::vec("[a-z]{1,5}", 0..3),
    ) {
        let objects: Vec<serde_json::Value> = entries
            .iter()
            .map(|(n, v)| {
                let mut o = serde_json::json!({"name": n, "version": v, "type": "library"});
                for k in &noise {
                    o[k] = serde_json::json!({"k": [1, 2, {"v": k}]});
                }
                o
            })
            .collect();
        let mut want: BTreeMap<&str, &str> = BTreeMap::new();
        for (n, v) in &entries {
            if !v.is_empty() {
                want.entry(n.as_str()).or_insert(v.as_str());
            }
        }
        let want: Vec<(&str, &str)> = want.into_iter().collect();
        let v2 = serde_json::json!({"packages": objects, "dev": false, "dev-package-names": []});
        let v1 = serde_json::Value::Array(objects.clone());
        let lockfile = serde_json::json!({"_readme": ["x"], "packages": objects, "packages-dev": objects});
        let (a, b, c) = (
            installed(&v2.to_string()).expect("v2"),
            installed(&v1.to_string()).expect("v1"),
            lock(&lockfile.to_string()).expect("lock"),
        );
        prop_assert_eq!(pairs(&a), want.clone());
        prop_assert_eq!(pairs(&b), want.clone());
        prop_assert_eq!(pairs(&c), want);
    }
}

/// Both files of one install, through the scan's registry and the merged tree, as an image
/// layer would bring them.
#[test]
fn an_image_with_both_files() {
    use palisade_vfs::{EntryMeta, FileTree, Interest, LayerChanges};

    let interest = crate::interest();
    let mut layer = LayerChanges::new();
    for (path, content) in [
        (
            "srv/app/composer.lock",
            include_str!("testdata/composer.lock"),
        ),
        (
            "srv/app/vendor/composer/installed.json",
            include_str!("testdata/installed.json"),
        ),
        ("srv/app/vendor/acme/lib-a/composer.lock", "{ not json"),
        ("srv/app/vendor/composer/broken/installed.json", "{}"),
    ] {
        let meta = EntryMeta {
            path,
            size: content.len() as u64,
            executable: false,
        };
        if interest.wants_summary(&meta) {
            let summary = interest
                .summarize(&meta, &mut content.as_bytes())
                .expect("io");
            layer.add_summary(path.to_string(), summary);
        }
    }
    let mut tree = FileTree::new();
    tree.apply(layer);
    let inv = crate::analyze(&tree).expect("analyzes");
    let got: Vec<(&str, &str, &str)> = inv
        .packages
        .iter()
        .map(|p| (p.kind.name(), p.name.as_str(), p.version.as_str()))
        .collect();
    let want: Vec<(&str, &str, &str)> = TRIVY_LOCK
        .iter()
        .map(|&(n, v)| ("composer", n, v))
        .chain(
            TRIVY_INSTALLED
                .iter()
                .map(|&(n, v)| ("composer-vendor", n, v)),
        )
        .collect();
    assert_eq!(got, want);
    // The lockfile under vendor/ is not read; the file outside a composer folder is not
    // Composer's and says nothing.
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
}
