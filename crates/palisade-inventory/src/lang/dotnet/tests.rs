//! Tests of the .NET analyzers as the layer walker calls them; each format's own rules are
//! tested next to its parser.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

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
        "app/MyApp.deps.json",
        "MyApp.deps.json",
        "usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.8/Microsoft.NETCore.App.deps.json",
        "app/a.b.deps.json",
    ] {
        assert!(DEPS_JSON.wants(&info(path, 1)), "{path}");
        assert!(!NUGET.wants(&info(path, 1)), "{path}");
    }
    for path in [
        "src/web/packages.lock.json",
        "packages.lock.json",
        "src/legacy/packages.config",
    ] {
        assert!(NUGET.wants(&info(path, 1)), "{path}");
        assert!(!DEPS_JSON.wants(&info(path, 1)), "{path}");
    }
    // Trivy matches these names exactly, case included.
    for path in [
        "app/deps.json",
        "app/.deps.json",
        "app/MyApp.Deps.json",
        "app/MyApp.deps.json.bak",
        "app/MyApp.runtimeconfig.json",
        "app/Packages.config",
        "app/Packages.lock.json",
        "app/packages.lock.json/x",
        "app/my-packages.config",
        "app/packages.config.orig",
    ] {
        assert!(!DEPS_JSON.wants(&info(path, 1)), "{path}");
        assert!(!NUGET.wants(&info(path, 1)), "{path}");
    }
}

#[test]
fn packages_carry_type_ecosystem_and_path() {
    let deps = br#"{"runtimeTarget": {"name": "t"}, "targets": {"t": {"A/1.0": {"runtime": {}}}},
        "libraries": {"A/1.0": {"type": "package"}}}"#;
    let lock = br#"{"version": 1, "dependencies": {"net8.0": {"B": {"type": "Direct", "resolved": "2.0"}}}}"#;
    let config = br#"<packages><package id="C" version="3.0" /></packages>"#;
    for (a, path, data, kind, name) in [
        (
            &DEPS_JSON as &dyn FileAnalyzer,
            "app/A.deps.json",
            &deps[..],
            "dotnet-core",
            "A",
        ),
        (&NUGET, "src/packages.lock.json", &lock[..], "nuget", "B"),
        (&NUGET, "src/packages.config", &config[..], "nuget", "C"),
    ] {
        let pkgs = run(a, path, data).expect("parses");
        assert_eq!(pkgs.len(), 1, "{path}");
        let p = &pkgs[0];
        assert_eq!(p.name, name);
        assert_eq!(p.kind.name(), kind);
        assert_eq!(p.ecosystem.osv_name(), "NuGet");
        assert_eq!(p.path, path);
        assert_eq!(p.application(), path);
        // A byte order mark, as Visual Studio writes, is tolerated.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(data);
        assert_eq!(run(a, path, &bom).expect("parses").len(), 1, "{path}");
    }
}

#[test]
fn bad_files_are_skipped_with_a_reason() {
    for (a, path, data, needle) in [
        (
            &DEPS_JSON as &dyn FileAnalyzer,
            "a/A.deps.json",
            &b"{"[..],
            ".deps.json",
        ),
        (&NUGET, "a/packages.lock.json", b"[", "packages.lock.json"),
        (
            &NUGET,
            "a/packages.config",
            b"<packages>",
            "packages.config",
        ),
        (
            &NUGET,
            "a/packages.config",
            b"\xff\xfe<\x00p\x00",
            "not UTF-8",
        ),
    ] {
        let got = run(a, path, data);
        assert!(
            matches!(&got, Err(AnalyzeError::Skip(m)) if m.contains(needle)),
            "{path}: {got:?}"
        );
    }
}

#[test]
fn oversized_files_are_refused_unread() {
    for (a, path) in [
        (&DEPS_JSON as &dyn FileAnalyzer, "app/A.deps.json"),
        (&NUGET, "src/packages.lock.json"),
        (&NUGET, "src/packages.config"),
    ] {
        let got = a.analyze(&info(path, 1 << 30), &mut Untouchable);
        assert!(
            matches!(&got, Err(AnalyzeError::Skip(m)) if m.contains("limit")),
            "{path}: {got:?}"
        );
    }
}

#[test]
fn found_deduplicates_and_caps() {
    let mut f = Found::default();
    f.add("a", "1").expect("room");
    f.add("a", "1").expect("room");
    f.add("A", "1").expect("room");
    f.add("", "2").expect("ignored");
    f.add("b", "").expect("ignored");
    assert_eq!(f.count, 2);
    f.count = MAX_PACKAGES;
    assert!(f.add("a", "1").is_ok(), "a known package is not a new one");
    assert_eq!(
        f.add("c", "1"),
        Err(format!("names more than {MAX_PACKAGES} packages"))
    );
}

/// A `packages.config` naming more packages than the cap is refused, not half read.
#[test]
fn too_many_packages_are_refused() {
    let mut xml = String::from("<packages>");
    for i in 0..=MAX_PACKAGES {
        xml.push_str(&format!("<package id=\"p{i}\" version=\"1\"/>"));
    }
    xml.push_str("</packages>");
    let got = run(&NUGET, "a/packages.config", xml.as_bytes());
    assert!(
        matches!(&got, Err(AnalyzeError::Skip(m)) if m.contains("more than")),
        "{got:?}"
    );
}

/// Every analyzer, on every kind of file it reads.
const TARGETS: &[(&str, &dyn FileAnalyzer)] = &[
    ("app/App.deps.json", &DEPS_JSON),
    ("src/packages.lock.json", &NUGET),
    ("src/packages.config", &NUGET),
];

fn never_fails_hard(data: &[u8]) {
    for (path, a) in TARGETS {
        match run(*a, path, data) {
            Ok(_) | Err(AnalyzeError::Skip(_)) => {}
            Err(AnalyzeError::Io(e)) => panic!("{path}: I/O error from memory: {e}"),
        }
    }
}

/// The same packages written in each format, the way the SDK and NuGet write them.
fn write_files(pkgs: &[(String, String)]) -> Vec<(&'static str, String)> {
    let mut targets = Vec::new();
    let mut libraries = Vec::new();
    let mut locked = Vec::new();
    let mut config = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<packages>\n");
    for (i, (n, v)) in pkgs.iter().enumerate() {
        targets.push(format!(
            r#""{n}/{v}": {{"runtime": {{"lib/net8.0/{n}.dll": {{"assemblyVersion": "1.0.0.0"}}}}}}"#
        ));
        libraries.push(format!(
            r#""{n}/{v}": {{"type": "package", "serviceable": true, "sha512": "sha512-x", "path": "{}/{v}"}}"#,
            n.to_lowercase()
        ));
        // Spread over frameworks, as a multi-targeting project's lock file is; an id appears
        // at most once per framework, so a repeated one goes to the next framework.
        let repeats = pkgs[..i].iter().filter(|(m, _)| m == n).count();
        locked.push((
            (i + repeats) % 2 + 2 * repeats,
            format!(r#""{n}": {{"type": "Transitive", "resolved": "{v}", "contentHash": "x"}}"#),
        ));
        config.push_str(&format!(
            "  <package id=\"{n}\" version=\"{v}\" targetFramework=\"net48\" />\n"
        ));
    }
    config.push_str("</packages>\n");
    let deps = format!(
        r#"{{"runtimeTarget": {{"name": ".NETCoreApp,Version=v8.0", "signature": ""}}, "compilationOptions": {{}},
  "targets": {{".NETCoreApp,Version=v8.0": {{{}}}}}, "libraries": {{{}}}}}"#,
        targets.join(",\n"),
        libraries.join(",\n")
    );
    let framework = |k: usize| {
        locked
            .iter()
            .filter(|(f, _)| *f == k)
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>()
            .join(",\n")
    };
    let frameworks = locked.iter().map(|(f, _)| f + 1).max().unwrap_or(0);
    let lock = format!(
        r#"{{"version": 1, "dependencies": {{{}}}}}"#,
        (0..frameworks)
            .map(|k| format!(r#""net{k}.0": {{{}}}"#, framework(k)))
            .collect::<Vec<_>>()
            .join(",\n")
    );
    vec![
        ("app/App.deps.json", deps),
        ("src/packages.lock.json", lock),
        ("src/packages.config", config),
    ]
}

fn analyzer_for(path: &str) -> &'static dyn FileAnalyzer {
    if path.ends_with(".deps.json") {
        &DEPS_JSON
    } else {
        &NUGET
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        never_fails_hard(&data);
    }

    #[test]
    fn format_like_text_never_panics(
        data in "([ \n\t{}\\[\\]:,\"'<>/=?!&;#a-zA-Z0-9.-]|<package |</packages>|<packages>|id=|version=|developmentDependency=|\"type\"|\"package\"|\"libraries\"|\"targets\"|\"runtimeTarget\"|\"dependencies\"|\"resolved\"|<!DOCTYPE|<!ENTITY|&amp;|&#x41;){0,200}"
    ) {
        never_fails_hard(data.as_bytes());
    }

    #[test]
    fn every_format_reads_back_what_was_written(
        pkgs in proptest::collection::vec(
            (
                "[A-Za-z][A-Za-z0-9_]{0,8}(\\.[A-Za-z][A-Za-z0-9]{0,6}){0,3}",
                "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(\\.[0-9]{1,3})?(-[a-zA-Z0-9.]{1,6})?",
            ),
            0..30,
        )
    ) {
        let expected: BTreeSet<(String, String)> = pkgs.iter().cloned().collect();
        for (path, text) in write_files(&pkgs) {
            let got: BTreeSet<(String, String)> = run(analyzer_for(path), path, text.as_bytes())
                .map_err(|e| TestCaseError::fail(format!("{path}: {e}\n{text}")))?
                .into_iter()
                .map(|p| (p.name, p.version))
                .collect();
            prop_assert_eq!(&got, &expected, "{}\n{}", path, text);
        }
    }

    #[test]
    fn damaged_files_never_panic(
        pkgs in proptest::collection::vec(("[A-Za-z]{1,6}", "[0-9]\\.[0-9]\\.[0-9]"), 1..6),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        for (path, text) in write_files(&pkgs) {
            let mut data = text.into_bytes();
            let i = at.index(data.len());
            data[i] = byte;
            data.truncate(cut.index(data.len() + 1));
            match run(analyzer_for(path), path, &data) {
                Ok(_) | Err(AnalyzeError::Skip(_)) => {}
                Err(AnalyzeError::Io(e)) => panic!("{path}: I/O error from memory: {e}"),
            }
        }
    }

    #[test]
    fn truncated_files_are_skipped_with_a_reason(
        pkgs in proptest::collection::vec(("[A-Za-z]{1,6}", "[0-9]\\.[0-9]\\.[0-9]"), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        for (path, text) in write_files(&pkgs) {
            // Cut before the last closing bracket or tag: never a complete document.
            let end = text.trim_end().len() - 1;
            let data = &text.as_bytes()[..cut.index(end)];
            let got = run(analyzer_for(path), path, data);
            prop_assert!(matches!(&got, Err(AnalyzeError::Skip(_))), "{}: {:?}", path, got);
        }
    }

    #[test]
    fn arbitrary_paths_never_panic(path in "[a-zA-Z._/-]{0,40}(\\.deps\\.json|packages\\.config|packages\\.lock\\.json)?") {
        let _ = DEPS_JSON.wants(&info(&path, 1));
        let _ = NUGET.wants(&info(&path, 1));
    }
}
