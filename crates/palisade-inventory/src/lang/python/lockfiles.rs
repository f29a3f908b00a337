//! `poetry.lock`, `Pipfile.lock` and `uv.lock`: what a project's lock resolved.
//!
//! Each lists the whole resolved tree. What is listed follows Trivy's defaults, so that both
//! report the same packages: Pipfile.lock's `default` section only (`develop` holds the
//! development tools), poetry.lock without the packages it marks `category = "dev"` (lockfiles
//! of Poetry before 1.5) or whose `groups` lack `main` (Poetry 2), and uv.lock without the
//! project itself (its root package, whose source is the lockfile's own directory,
//! `editable = "."` or `virtual = "."`).

use std::collections::BTreeMap;
use std::io::Read;

use palisade_ecosystem::{PackageType, types};
use serde::Deserialize;

use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package, read_bounded};

/// Largest lockfile read. The largest real ones (monorepos with hashes for every wheel of
/// every platform) are a few MiB.
const MAX_LOCKFILE: u64 = 32 << 20;

/// See the module documentation.
pub struct Lockfiles;

/// The lockfile formats, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Poetry,
    Pipenv,
    Uv,
}

fn format(path: &str) -> Option<Format> {
    match super::file_name(path) {
        "poetry.lock" => Some(Format::Poetry),
        "Pipfile.lock" => Some(Format::Pipenv),
        "uv.lock" => Some(Format::Uv),
        _ => None,
    }
}

impl FileAnalyzer for Lockfiles {
    fn name(&self) -> &'static str {
        "python-lockfiles"
    }

    fn version(&self) -> u32 {
        2
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        format(file.path).is_some()
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let Some(format) = format(file.path) else {
            return Ok(Vec::new());
        };
        let data = read_bounded(file, content, MAX_LOCKFILE)?;
        let (row, pins) = match format {
            Format::Poetry => (&types::POETRY, poetry(&data)?),
            Format::Pipenv => (&types::PIPENV, pipenv(&data)?),
            Format::Uv => (&types::UV, uv(&data)?),
        };
        let kind = PackageType::of(row);
        Ok(pins
            .iter()
            .map(|(name, version)| Package::lang(kind, name, version, file.path))
            .collect())
    }
}

/// A TOML lockfile's `[[package]]` array; every other table is ignored.
#[derive(Deserialize)]
struct TomlLock<P> {
    #[serde(default = "Vec::new")]
    package: Vec<P>,
}

#[derive(Deserialize)]
struct PoetryPackage {
    name: String,
    version: String,
    /// `main` or `dev` in lockfiles of Poetry before 1.5.
    #[serde(default)]
    category: Option<String>,
    /// The dependency groups that need the package, in lockfiles of Poetry 2 (`lock-version`
    /// 2.1): `["main"]`, `["dev"]`, `["dev", "main"]`. Only `main` is what the application runs.
    #[serde(default)]
    groups: Option<Vec<String>>,
}

impl PoetryPackage {
    /// Whether only development tools need it: `category = "dev"` (Poetry before 1.5), or
    /// groups without `main` (Poetry 2). Such packages are left out, as for Pipfile.lock's
    /// `develop` section.
    fn is_dev(&self) -> bool {
        self.category.as_deref() == Some("dev")
            || self
                .groups
                .as_ref()
                .is_some_and(|g| !g.iter().any(|g| g == "main"))
    }
}

#[derive(Deserialize)]
struct UvPackage {
    name: String,
    /// Absent for virtual packages and for projects with a dynamic version.
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    source: Option<UvSource>,
}

/// Where uv got a package. Only the two kinds that point at the project itself matter; the
/// others (`registry`, `git`, `url`, `path`, `directory`) are ignored.
#[derive(Deserialize)]
struct UvSource {
    #[serde(default)]
    editable: Option<String>,
    #[serde(default, rename = "virtual")]
    virtual_: Option<String>,
}

impl UvSource {
    fn is_project_root(&self) -> bool {
        self.editable.as_deref() == Some(".") || self.virtual_.as_deref() == Some(".")
    }
}

#[derive(Deserialize)]
struct PipfileLock {
    #[serde(default)]
    default: BTreeMap<String, PipenvDependency>,
}

#[derive(Deserialize)]
struct PipenvDependency {
    /// `==1.2.3`; absent for VCS, path and editable dependencies.
    #[serde(default)]
    version: Option<String>,
}

/// Parses a TOML lockfile, turning syntax and schema errors alike into one-line skips that
/// name the line (toml's own message spans several lines, quoting the source).
fn parse_toml<T: serde::de::DeserializeOwned>(data: &[u8], what: &str) -> Result<T, AnalyzeError> {
    let text = std::str::from_utf8(data)
        .map_err(|e| AnalyzeError::skip(format!("not UTF-8 (byte {})", e.valid_up_to())))?;
    toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(String::new(), |span| {
            let line = text.as_bytes()[..span.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            format!(" at line {line}")
        });
        AnalyzeError::skip(format!("malformed {what}{at}: {}", e.message().trim()))
    })
}

fn poetry(data: &[u8]) -> Result<Vec<(String, String)>, AnalyzeError> {
    let lock: TomlLock<PoetryPackage> = parse_toml(data, "poetry.lock")?;
    Ok(lock
        .package
        .into_iter()
        .filter(|p| !p.is_dev())
        .map(|p| (p.name, p.version.trim().to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect())
}

fn uv(data: &[u8]) -> Result<Vec<(String, String)>, AnalyzeError> {
    let lock: TomlLock<UvPackage> = parse_toml(data, "uv.lock")?;
    Ok(lock
        .package
        .into_iter()
        .filter(|p| !p.source.as_ref().is_some_and(UvSource::is_project_root))
        .filter_map(|p| Some((p.name, p.version?.trim().to_string())))
        .filter(|(_, v)| !v.is_empty())
        .collect())
}

fn pipenv(data: &[u8]) -> Result<Vec<(String, String)>, AnalyzeError> {
    // serde would also accept a struct written as a JSON array (`[]` as an empty lockfile).
    if data.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(AnalyzeError::skip(
            "malformed Pipfile.lock: not a JSON object",
        ));
    }
    let lock: PipfileLock = serde_json::from_slice(data)
        .map_err(|e| AnalyzeError::skip(format!("malformed Pipfile.lock: {e}")))?;
    Ok(lock
        .default
        .into_iter()
        .filter_map(|(name, dep)| {
            // Only exact pins name a version; `===` is arbitrary equality.
            let pin = dep.version?;
            let version = pin.strip_prefix("==")?;
            let version = version.strip_prefix('=').unwrap_or(version).trim();
            (!version.is_empty()).then(|| (name, version.to_string()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const POETRY_LOCK: &str = r#"# This file is automatically @generated by Poetry and should not be changed by hand.

[[package]]
name = "certifi"
version = "2021.5.30"
description = "Python package for providing Mozilla's CA Bundle."
category = "main"
optional = false
python-versions = "*"

[[package]]
name = "Flask"
version = "2.0.1"
description = "A simple framework for building complex web applications."
category = "main"
optional = false
python-versions = ">=3.6"

[package.dependencies]
click = ">=7.1.2"
itsdangerous = ">=2.0"

[package.extras]
async = ["asgiref (>=3.2)"]

[[package]]
name = "pytest"
version = "6.2.4"
description = "pytest: simple powerful testing with Python"
category = "dev"
optional = false
python-versions = ">=3.6"

[[package]]
name = "mylib"
version = "0.1.0"
description = ""
optional = false
python-versions = "^3.8"
develop = false

[package.source]
type = "git"
url = "https://github.com/example/mylib.git"
reference = "main"
resolved_reference = "0123456789abcdef"

[metadata]
lock-version = "1.1"
python-versions = "^3.8"
content-hash = "c3f5c7a5f4b0d9e1"

[metadata.files]
certifi = [
    {file = "certifi-2021.5.30-py2.py3-none-any.whl", hash = "sha256:50b1e4f8446b06f41be7dd6338db18e0990601dce795c2b1686458aa7e8fa7d8"},
]
"#;

    const PIPFILE_LOCK: &str = r#"{
    "_meta": {
        "hash": {"sha256": "b6f0d2c7e1a3"},
        "pipfile-spec": 6,
        "requires": {"python_version": "3.9"},
        "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]
    },
    "default": {
        "django": {
            "hashes": ["sha256:0604e84c4fb698a5e53e5857b5aea945b2f19a18f25f10b8748dbdf935788927"],
            "index": "pypi",
            "version": "==3.2.4"
        },
        "pytz": {
            "hashes": ["sha256:eb10ce3e7736052ed3623d49975ce333bcd712c7bb19a58b9e2089d4057d0da7"],
            "version": "==2021.1"
        },
        "sqlparse": {
            "markers": "python_version >= '3.5'",
            "version": "===0.4.1"
        },
        "mylib": {"editable": true, "path": "."},
        "tool": {"git": "https://github.com/example/tool.git", "ref": "abc123"}
    },
    "develop": {
        "pytest": {"version": "==6.2.4"}
    }
}"#;

    const UV_LOCK: &str = r#"version = 1
requires-python = ">=3.12"

[[package]]
name = "anyio"
version = "4.4.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "idna" },
    { name = "sniffio" },
]
sdist = { url = "https://files.pythonhosted.org/packages/anyio-4.4.0.tar.gz", hash = "sha256:5aadc6a1bbb7cdb0bede386cac5e2940f5e2ff3aa20277e991cf028e0585ce94", size = 163930 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/anyio-4.4.0-py3-none-any.whl", hash = "sha256:c1b2d8f46a8a812513012e1107cb0e68c17159a7a594208005a57dc776e1bdc7", size = 86780 },
]

[[package]]
name = "idna"
version = "3.7"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "my-project"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "anyio" },
]

[package.metadata]
requires-dist = [{ name = "anyio", specifier = ">=4" }]

[[package]]
name = "workspace-member"
version = "0.2.0"
source = { editable = "packages/member" }

[[package]]
name = "dynamic-thing"
source = { directory = "vendor/thing" }

[[package]]
name = "sniffio"
version = "1.3.1"
source = { registry = "https://pypi.org/simple" }
"#;

    fn run(path: &str, text: &str) -> Result<Vec<(String, String)>, AnalyzeError> {
        let data = text.as_bytes();
        let expected = match format(path) {
            Some(Format::Poetry) => &types::POETRY,
            Some(Format::Pipenv) => &types::PIPENV,
            Some(Format::Uv) => &types::UV,
            None => panic!("not a lockfile: {path}"),
        };
        Ok(Lockfiles
            .analyze(
                &FileInfo {
                    path,
                    size: data.len() as u64,
                    executable: false,
                },
                &mut &data[..],
            )?
            .into_iter()
            .map(|p| {
                assert_eq!(p.kind, PackageType::of(expected));
                assert_eq!(p.path, path);
                (p.name, p.version)
            })
            .collect())
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn skip_message<T: std::fmt::Debug>(r: Result<T, AnalyzeError>) -> String {
        match r {
            Err(AnalyzeError::Skip(m)) => m,
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    #[test]
    fn poetry_lock() {
        assert_eq!(
            run("app/poetry.lock", POETRY_LOCK).expect("parses"),
            pairs(&[
                ("certifi", "2021.5.30"),
                ("Flask", "2.0.1"),
                ("mylib", "0.1.0"),
            ])
        );
        assert_eq!(
            run("poetry.lock", "[metadata]\nlock-version = \"2.0\"\n").expect("parses"),
            vec![]
        );
        // Poetry 2: groups instead of category; a package both groups need is kept.
        let v2 = "[[package]]\nname = \"requests\"\nversion = \"2.19.0\"\ngroups = [\"main\"]\n\n\
                  [[package]]\nname = \"pytest\"\nversion = \"8.3.0\"\ngroups = [\"dev\"]\n\n\
                  [[package]]\nname = \"idna\"\nversion = \"2.7\"\ngroups = [\"dev\", \"main\"]\n\n\
                  [metadata]\nlock-version = \"2.1\"\n";
        assert_eq!(
            run("poetry.lock", v2).expect("parses"),
            pairs(&[("requests", "2.19.0"), ("idna", "2.7")])
        );
    }

    #[test]
    fn pipfile_lock_default_section_only() {
        assert_eq!(
            run("app/Pipfile.lock", PIPFILE_LOCK).expect("parses"),
            pairs(&[
                ("django", "3.2.4"),
                ("pytz", "2021.1"),
                ("sqlparse", "0.4.1"),
            ])
        );
        assert_eq!(run("Pipfile.lock", "{}").expect("parses"), vec![]);
    }

    #[test]
    fn uv_lock_without_the_project() {
        assert_eq!(
            run("srv/uv.lock", UV_LOCK).expect("parses"),
            pairs(&[
                ("anyio", "4.4.0"),
                ("idna", "3.7"),
                ("workspace-member", "0.2.0"),
                ("sniffio", "1.3.1"),
            ])
        );
        let virtual_root = "version = 1\n[[package]]\nname = \"ws\"\nsource = { virtual = \".\" }\n\
                            [[package]]\nname = \"a\"\nversion = \"1\"\nsource = { registry = \"x\" }\n";
        assert_eq!(
            run("uv.lock", virtual_root).expect("parses"),
            pairs(&[("a", "1")])
        );
    }

    #[test]
    fn malformed_lockfiles_are_skipped_with_the_problem() {
        let m = skip_message(run(
            "poetry.lock",
            "[[package]]\nname = \"a\"\nversion = 1.0\n",
        ));
        assert!(m.contains("line 3") && m.contains("string"), "{m}");
        let m = skip_message(run("poetry.lock", "[[package]]\nname = \"a\"\n"));
        assert!(m.contains("version"), "{m}");
        let m = skip_message(run("uv.lock", "[[package]\nname = \"a\"\n"));
        assert!(m.contains("malformed uv.lock at line 1"), "{m}");
        assert!(!m.contains('\n'), "one line: {m}");
        let m = skip_message(run("uv.lock", "package = \"x\"\n"));
        assert!(m.contains("malformed uv.lock at line 1"), "{m}");
        let m = skip_message(run("Pipfile.lock", "{\"default\": {\"a\": \"==1\"}}"));
        assert!(m.contains("Pipfile.lock") && m.contains("line 1"), "{m}");
        let m = skip_message(run("Pipfile.lock", "{\"default\": "));
        assert!(m.contains("EOF"), "{m}");
        let m = skip_message(run("Pipfile.lock", "[]"));
        assert!(m.contains("not a JSON object"), "{m}");
        let m = skip_message(run("Pipfile.lock", "{\"default\": []}"));
        assert!(m.contains("invalid type"), "{m}");
        let bytes = [b'a', 0xFF, b'\n'];
        let m = skip_message(Lockfiles.analyze(
            &FileInfo {
                path: "poetry.lock",
                size: 3,
                executable: false,
            },
            &mut &bytes[..],
        ));
        assert_eq!(m, "not UTF-8 (byte 1)");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep_toml = format!("x = {}", "[".repeat(100_000));
        skip_message(run("uv.lock", &deep_toml));
        let deep_json = "[".repeat(100_000);
        skip_message(run("Pipfile.lock", &deep_json));
        let deep_inline = format!("x = {}", "{a=".repeat(100_000));
        skip_message(run("poetry.lock", &deep_inline));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every package written to a lockfile of each format is read back, in order for the
        /// TOML formats, sorted by name for Pipfile.lock's JSON object.
        #[test]
        fn written_packages_are_read_back(
            pkgs in proptest::collection::btree_map(
                "[a-z][a-z0-9-]{0,10}",
                "[0-9]{1,3}(\\.[0-9]{1,3}){0,2}",
                0..10,
            )
        ) {
            let expected: Vec<(String, String)> = pkgs.clone().into_iter().collect();
            let mut toml = String::new();
            for (n, v) in &pkgs {
                toml.push_str(&format!(
                    "[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n\n"
                ));
            }
            prop_assert_eq!(&run("poetry.lock", &toml).expect("poetry"), &expected);
            prop_assert_eq!(&run("uv.lock", &toml).expect("uv"), &expected);
            let default: serde_json::Map<String, serde_json::Value> = pkgs
                .iter()
                .map(|(n, v)| (n.clone(), serde_json::json!({ "version": format!("=={v}") })))
                .collect();
            let json = serde_json::json!({ "_meta": {}, "default": default, "develop": {} });
            prop_assert_eq!(&run("Pipfile.lock", &json.to_string()).expect("pipenv"), &expected);
        }
    }
}
