//! Node.js: packages installed in `node_modules` trees, and the lockfiles of npm, Yarn and pnpm.
//!
//! Two analyzers, because Trivy reports them as two kinds of result: installed packages are
//! one aggregate `Node.js` result ([`INSTALLED`], `node-pkg`), while each lockfile
//! ([`LOCKFILES`], `npm`, `yarn`, `pnpm`) is a result of its own, named by its path.
//!
//! Every format is parsed into the few fields it needs and nothing else: lockfiles of large
//! monorepos run to tens of MiB, and what a hostile one can make us hold is bounded by the
//! packages it names, which are capped.

mod npm;
mod pnpm;
mod yarn;

#[cfg(test)]
use std::collections::BTreeSet;
use std::io::Read;

use palisade_ecosystem::{PackageType, types};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package, read_bounded};

/// Installed packages: `package.json` at the root of each package folder of a `node_modules`
/// tree, at any depth.
pub static INSTALLED: Installed = Installed;
/// `package-lock.json`, `yarn.lock` and `pnpm-lock.yaml`.
pub static LOCKFILES: Lockfiles = Lockfiles;

/// Largest `package.json` read. Real manifests are a few KiB; the largest published ones
/// (with long `contributors` or embedded READMEs) stay well under 1 MiB.
const MAX_MANIFEST: u64 = 4 << 20;
/// Largest lockfile read. The lockfiles of very large monorepos reach a few tens of MiB.
const MAX_LOCKFILE: u64 = 64 << 20;
/// Most distinct packages taken from one lockfile. The largest real lockfiles name some tens
/// of thousands; the cap bounds the memory a hostile file can make us hold, since every
/// package costs a few hundred bytes however few bytes of input named it.
const MAX_PACKAGES: usize = 250_000;

const MANIFEST: &str = "package.json";
const NPM_LOCK: &str = "package-lock.json";
const YARN_LOCK: &str = "yarn.lock";
const PNPM_LOCK: &str = "pnpm-lock.yaml";

/// Analyzer of installed packages ([`INSTALLED`]).
pub struct Installed;

/// Analyzer of lockfiles ([`LOCKFILES`]).
pub struct Lockfiles;

impl FileAnalyzer for Installed {
    fn name(&self) -> &'static str {
        "node-pkg"
    }

    fn version(&self) -> u32 {
        2
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        is_installed_manifest(file.path) || is_app_manifest(file.path)
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let data = read_bounded(file, content, MAX_MANIFEST)?;
        let manifest: Manifest = serde_json::from_slice(strip_bom(&data))
            .map_err(|e| AnalyzeError::skip(format!("not a valid package.json: {e}")))?;
        // A package.json without both fields is no package (`{"type": "module"}` files mark
        // a folder's modules as ESM): nothing to report, and nothing worth a warning.
        Ok(match (manifest.name, manifest.version) {
            (Some(name), Some(version)) if !name.is_empty() && !version.is_empty() => {
                vec![Package::lang(
                    PackageType::of(&types::NODE_PKG),
                    &name,
                    &version,
                    file.path,
                )]
            }
            _ => Vec::new(),
        })
    }
}

/// An application's own `package.json` outside any `node_modules` tree (`/opt/app/package.json`).
/// Trivy and Syft both list the application itself as a package; manifests deeper inside an
/// installed package (test fixtures, sub-folders) are not packages and stay out.
fn is_app_manifest(path: &str) -> bool {
    (path == "package.json" || path.ends_with("/package.json")) && !path.contains("node_modules/")
}

impl FileAnalyzer for Lockfiles {
    fn name(&self) -> &'static str {
        "node-lockfiles"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        lockfile_kind(file.path).is_some()
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let Some(kind) = lockfile_kind(file.path) else {
            return Err(AnalyzeError::skip("not a Node.js lockfile"));
        };
        let data = read_bounded(file, content, MAX_LOCKFILE)?;
        let data = strip_bom(&data);
        let mut found = Found::default();
        let row = match kind {
            LockKind::Npm => {
                npm::parse(data, &mut found).map_err(AnalyzeError::skip)?;
                &types::NPM
            }
            LockKind::Yarn => {
                yarn::parse(text(data)?, &mut found).map_err(AnalyzeError::skip)?;
                &types::YARN
            }
            LockKind::Pnpm => {
                pnpm::parse(text(data)?, &mut found).map_err(AnalyzeError::skip)?;
                &types::PNPM
            }
        };
        Ok(found.into_packages(PackageType::of(row), file.path))
    }
}

/// Whether `path` is the manifest at the root of a package folder in a `node_modules` tree:
/// `…node_modules/<name>/package.json` or `…node_modules/@scope/<name>/package.json`.
///
/// Only the last path components are looked at, so a tree nested a thousand levels deep costs
/// the same as a flat one; manifests deeper inside a package (`lib/`, test fixtures) are not
/// packages of the tree and are left alone.
fn is_installed_manifest(path: &str) -> bool {
    let Some(dir) = path.strip_suffix(MANIFEST) else {
        return false;
    };
    let Some(dir) = dir.strip_suffix('/') else {
        return false;
    };
    let Some((parent, name)) = dir.rsplit_once('/') else {
        return false;
    };
    // Package folders never start with `.` (npm's `.bin`, pnpm's `.pnpm` store) or `@` (a
    // scope folder holds packages, it is not one).
    if name.is_empty() || name.starts_with(['.', '@']) {
        return false;
    }
    let parent = match parent.rsplit_once('/') {
        Some((above, scope)) if scope.len() > 1 && scope.starts_with('@') => above,
        _ => parent,
    };
    parent == "node_modules" || parent.ends_with("/node_modules")
}

/// The lockfile formats, told apart by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LockKind {
    Npm,
    Yarn,
    Pnpm,
}

/// Which lockfile `path` is, if any.
///
/// Lockfiles inside a `node_modules` tree are skipped (Trivy skips `package-lock.json` there;
/// the same reasoning holds for the others): a published package's lockfile records its own
/// development setup and names versions that were never installed here. What was installed
/// is found by [`INSTALLED`].
fn lockfile_kind(path: &str) -> Option<LockKind> {
    let kind = match file_name(path) {
        NPM_LOCK => LockKind::Npm,
        YARN_LOCK => LockKind::Yarn,
        PNPM_LOCK => LockKind::Pnpm,
        _ => return None,
    };
    let in_node_modules = path.starts_with("node_modules/") || path.contains("/node_modules/");
    (!in_node_modules).then_some(kind)
}

/// The last component of a normalized path, without allocating (`wants` runs for every file
/// of every layer).
fn file_name(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

/// The bytes after a UTF-8 byte order mark, which some Windows editors write and JSON and
/// YAML parsers reject.
fn strip_bom(data: &[u8]) -> &[u8] {
    data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data)
}

/// The file as text, for the line-based formats.
fn text(data: &[u8]) -> Result<&str, AnalyzeError> {
    std::str::from_utf8(data).map_err(|e| AnalyzeError::skip(format!("not UTF-8 text: {e}")))
}

/// The start of a line, for messages about hostile files with megabyte-long lines.
fn excerpt(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The two fields of a `package.json` that name an installed package. Both are lenient: a
/// manifest whose `name` is not a string names no package, and is not worth a warning.
#[derive(Deserialize)]
struct Manifest {
    #[serde(default, deserialize_with = "string_or_nothing")]
    name: Option<String>,
    #[serde(default, deserialize_with = "string_or_nothing")]
    version: Option<String>,
}

/// A string, or `None` for any other JSON value (which is consumed without being kept).
fn string_or_nothing<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct StringOrNothing;

    impl<'de> Visitor<'de> for StringOrNothing {
        type Value = Option<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }

    d.deserialize_any(StringOrNothing)
}

/// The distinct (name, version) pairs of one lockfile, at most [`MAX_PACKAGES`] of them.
pub(crate) type Found = super::found::Found<MAX_PACKAGES>;

#[cfg(test)]
mod tests {
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

    /// A reader that fails the test if anything reads it.
    struct Untouchable;
    impl Read for Untouchable {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            panic!("the content of an oversized file was read");
        }
    }

    #[test]
    fn installed_wants_package_roots_in_node_modules_only() {
        for path in [
            "node_modules/lodash/package.json",
            "app/node_modules/lodash/package.json",
            "app/node_modules/@babel/core/package.json",
            "app/node_modules/a/node_modules/b/package.json",
            "app/node_modules/@s/a/node_modules/@t/b/package.json",
            "app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json",
            "usr/lib/node_modules/npm/package.json",
        ] {
            assert!(INSTALLED.wants(&info(path, 1)), "{path}");
            assert!(!LOCKFILES.wants(&info(path, 1)), "{path}");
        }
        // The application's own manifest is a package too (Trivy and Syft list it).
        for path in [
            "package.json",
            "app/package.json",
            "opt/app/node/package.json",
        ] {
            assert!(INSTALLED.wants(&info(path, 1)), "{path}");
        }
        for path in [
            "node_modules/package.json",
            "app/node_modules/package.json",
            "app/node_modules/x/lib/package.json",
            "app/node_modules/x/test/fixtures/package.json",
            "app/node_modules/@s/x/lib/package.json",
            "app/node_modules/@babel/package.json",
            "app/node_modules/.bin/package.json",
            "app/node_modules/x/@y/package.json",
            "app/node_modules/x/package.json.bak",
            "app/node_modules/x/not-package.json",
            "app/node_modules/x/Package.json",
            "app/my_node_modules/x/package.json",
            "app/node_modules//package.json",
        ] {
            assert!(!INSTALLED.wants(&info(path, 1)), "{path}");
        }
    }

    #[test]
    fn lockfiles_wanted_outside_node_modules_only() {
        for path in [
            "package-lock.json",
            "app/package-lock.json",
            "app/yarn.lock",
            "srv/web/pnpm-lock.yaml",
        ] {
            assert!(LOCKFILES.wants(&info(path, 1)), "{path}");
            assert!(!INSTALLED.wants(&info(path, 1)), "{path}");
        }
        for path in [
            "app/node_modules/x/yarn.lock",
            "node_modules/x/package-lock.json",
            "app/node_modules/.pnpm/pnpm-lock.yaml",
            "app/package-lock.json.orig",
            "app/npm-shrinkwrap.json",
            "app/yarn.lock/x",
            "app/pnpm-lock.yml",
            "app/node_modules/.package-lock.json",
        ] {
            assert!(!LOCKFILES.wants(&info(path, 1)), "{path}");
        }
    }

    #[test]
    fn installed_reports_name_and_version() {
        let path = "app/node_modules/@babel/core/package.json";
        let data = br#"{
  "name": "@babel/core",
  "version": "7.24.0",
  "description": "Babel compiler core.",
  "main": "./lib/index.js",
  "author": {"name": "The Babel Team"},
  "dependencies": {"@babel/parser": "^7.24.0"},
  "files": ["lib"],
  "engines": {"node": ">=6.9.0"}
}"#;
        let pkgs = run(&INSTALLED, path, data).expect("parses");
        assert_eq!(pkgs.len(), 1);
        let p = &pkgs[0];
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("@babel/core", "7.24.0")
        );
        assert_eq!(p.path, path);
        assert_eq!(p.kind.name(), "node-pkg");
        assert_eq!(p.application(), "app/node_modules");
        // A byte order mark is tolerated.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(data);
        assert_eq!(run(&INSTALLED, path, &bom).expect("parses").len(), 1);
    }

    #[test]
    fn installed_ignores_manifests_that_name_no_package() {
        let path = "app/node_modules/x/package.json";
        for data in [
            &br#"{"type": "module"}"#[..],
            br#"{"name": "x"}"#,
            br#"{"version": "1.0.0"}"#,
            br#"{"name": "", "version": "1.0.0"}"#,
            br#"{"name": ["x"], "version": "1.0.0"}"#,
            br#"{"name": "x", "version": 1}"#,
            br#"{"name": "x", "version": null}"#,
        ] {
            let got = run(&INSTALLED, path, data);
            assert!(matches!(&got, Ok(p) if p.is_empty()), "{got:?}");
        }
        for data in [&b"{"[..], b"[1, 2", b"not json", b""] {
            let got = run(&INSTALLED, path, data);
            assert!(
                matches!(&got, Err(AnalyzeError::Skip(m)) if m.contains("package.json")),
                "{got:?}"
            );
        }
    }

    #[test]
    fn node_modules_nested_a_thousand_deep_is_recognised() {
        let path = format!("app/{}package.json", "node_modules/a/".repeat(1000));
        assert!(INSTALLED.wants(&info(&path, 1)));
        let scoped = format!(
            "{}node_modules/@s/b/package.json",
            "node_modules/a/".repeat(1000)
        );
        assert!(INSTALLED.wants(&info(&scoped, 1)));
        let pkgs = run(&INSTALLED, &path, br#"{"name":"a","version":"1.0.0"}"#).expect("parses");
        assert_eq!(pkgs[0].path, path);
    }

    #[test]
    fn oversized_files_are_refused_unread() {
        for (a, path) in [
            (
                &INSTALLED as &dyn FileAnalyzer,
                "node_modules/x/package.json",
            ),
            (&LOCKFILES, "app/package-lock.json"),
            (&LOCKFILES, "app/yarn.lock"),
            (&LOCKFILES, "app/pnpm-lock.yaml"),
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
        f.add("a", "2").expect("room");
        f.add("", "2").expect("ignored");
        f.add("b", "").expect("ignored");
        assert_eq!(f.count, 2);
        f.count = MAX_PACKAGES;
        assert!(f.add("a", "1").is_ok(), "a known package is not a new one");
        assert!(f.add("c", "1").is_err());
    }

    /// Every analyzer, on every kind of file it reads.
    const TARGETS: &[(&str, &dyn FileAnalyzer)] = &[
        ("app/node_modules/x/package.json", &INSTALLED),
        ("app/package-lock.json", &LOCKFILES),
        ("app/yarn.lock", &LOCKFILES),
        ("app/pnpm-lock.yaml", &LOCKFILES),
    ];

    fn never_fails_hard(data: &[u8]) {
        for (path, a) in TARGETS {
            match run(*a, path, data) {
                Ok(_) | Err(AnalyzeError::Skip(_)) => {}
                Err(AnalyzeError::Io(e)) => panic!("{path}: I/O error from memory: {e}"),
            }
        }
    }

    /// The same packages written in every lockfile format (and version) read here.
    fn write_lockfiles(pkgs: &[(String, String)]) -> Vec<(&'static str, String)> {
        let mut npm = String::from(r#"{"lockfileVersion": 3, "packages": {"": {"name": "app"}"#);
        let mut classic = String::from("# yarn lockfile v1\n\n");
        let mut berry = String::from("__metadata:\n  version: 8\n\n");
        let mut pnpm5 = String::from("lockfileVersion: 5.4\n\npackages:\n\n");
        let mut pnpm6 = String::from("lockfileVersion: '6.0'\n\npackages:\n\n");
        let mut pnpm9 = String::from("lockfileVersion: '9.0'\n\npackages:\n\n");
        for (i, (n, v)) in pkgs.iter().enumerate() {
            npm.push_str(&format!(
                r#", "node_modules/p{i}/node_modules/q": {{"name": "{n}", "version": "{v}"}}"#
            ));
            classic.push_str(&format!("\"{n}@^{v}\", {n}@{v}:\n  version \"{v}\"\n\n"));
            berry.push_str(&format!(
                "\"{n}@npm:^{v}\":\n  version: {v}\n  resolution: \"{n}@npm:{v}\"\n\n"
            ));
            pnpm5.push_str(&format!("  /{n}/{v}_peer@1.0.0:\n    dev: false\n\n"));
            pnpm6.push_str(&format!("  /{n}@{v}(peer@1.0.0):\n    dev: false\n\n"));
            pnpm9.push_str(&format!(
                "  '{n}@{v}':\n    resolution: {{integrity: x}}\n\n"
            ));
        }
        npm.push_str("}}");
        vec![
            ("app/package-lock.json", npm),
            ("app/yarn.lock", classic),
            ("app/yarn.lock", berry),
            ("app/pnpm-lock.yaml", pnpm5),
            ("app/pnpm-lock.yaml", pnpm6),
            ("app/pnpm-lock.yaml", pnpm9),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            never_fails_hard(&data);
        }

        #[test]
        fn lockfile_like_text_never_panics(
            data in "([ \n\t{}\\[\\]:,\"'@/()_#a-z0-9.^~-]|node_modules/|version|dependencies|packages|lockfileVersion|__metadata|resolution|npm:|workspace:|\n  |\n    ){0,200}"
        ) {
            never_fails_hard(data.as_bytes());
        }

        #[test]
        fn every_format_reads_back_what_was_written(
            pkgs in proptest::collection::vec(
                (
                    "(@[a-z]{1,5}/)?[a-z][a-z0-9._-]{0,12}",
                    "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[a-z0-9.]{1,6})?",
                ),
                0..30,
            )
        ) {
            let expected: BTreeSet<(String, String)> = pkgs.iter().cloned().collect();
            for (path, text) in write_lockfiles(&pkgs) {
                let got: BTreeSet<(String, String)> = run(&LOCKFILES, path, text.as_bytes())
                    .map_err(|e| TestCaseError::fail(format!("{path}: {e}\n{text}")))?
                    .into_iter()
                    .map(|p| (p.name, p.version))
                    .collect();
                prop_assert_eq!(&got, &expected, "{}\n{}", path, text);
            }
        }

        #[test]
        fn damaged_lockfiles_never_panic(
            pkgs in proptest::collection::vec(("[a-z]{1,6}", "[0-9]\\.[0-9]\\.[0-9]"), 1..6),
            cut in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            for (path, text) in write_lockfiles(&pkgs) {
                let mut data = text.into_bytes();
                let i = at.index(data.len());
                data[i] = byte;
                data.truncate(cut.index(data.len() + 1));
                match run(&LOCKFILES, path, &data) {
                    Ok(_) | Err(AnalyzeError::Skip(_)) => {}
                    Err(AnalyzeError::Io(e)) => panic!("{path}: I/O error from memory: {e}"),
                }
            }
        }

        #[test]
        fn truncated_npm_lockfiles_are_skipped_with_a_reason(
            pkgs in proptest::collection::vec(("[a-z]{1,6}", "[0-9]\\.[0-9]\\.[0-9]"), 1..6),
            cut in any::<prop::sample::Index>(),
        ) {
            let (path, text) = write_lockfiles(&pkgs).swap_remove(0);
            let data = &text.as_bytes()[..cut.index(text.len())];
            let got = run(&LOCKFILES, path, data);
            prop_assert!(
                matches!(&got, Err(AnalyzeError::Skip(m)) if m.starts_with("not a valid npm lockfile")),
                "{:?}", got
            );
        }

        #[test]
        fn arbitrary_paths_never_panic(path in "[a-z@._/-]{0,40}(package\\.json|yarn\\.lock)?") {
            let _ = INSTALLED.wants(&info(&path, 1));
            let _ = LOCKFILES.wants(&info(&path, 1));
        }

        #[test]
        fn package_roots_are_recognised_at_any_depth(
            prefix in "([a-z]{1,5}/){0,3}",
            nest in proptest::collection::vec("(@[a-z]{1,4}/)?[a-z][a-z0-9.-]{0,8}", 1..20),
        ) {
            let mut path = prefix;
            for name in &nest {
                path.push_str("node_modules/");
                path.push_str(name);
                path.push('/');
            }
            let manifest = format!("{path}package.json");
            prop_assert!(INSTALLED.wants(&info(&manifest, 1)), "{}", manifest);
            let inner = format!("{path}lib/package.json");
            prop_assert!(!INSTALLED.wants(&info(&inner, 1)), "{}", inner);
        }
    }
}
