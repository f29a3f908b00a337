//! `package-lock.json`: the `packages` map of lockfile versions 2 and 3, or the nested
//! `dependencies` tree of version 1.
//!
//! The document is read with serde visitors that hand each entry to [`Found`] as it is parsed,
//! so neither map is ever held whole: memory follows the packages found, not the file's size.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::Found;

/// Deepest nesting of v1 `dependencies` read. npm 5 and 6, which wrote version 1, hoist
/// packages, so real trees are a few levels deep. Each level is two JSON levels (the map and
/// the entry), so the cap (reached at JSON depth 65) is met well before serde_json's own
/// recursion limit of 128, and the message says what is wrong.
const MAX_V1_DEPTH: usize = 32;

/// Reads the packages of a `package-lock.json` into `found`.
///
/// Trivy's choices are followed: the `packages` map when there is one (versions 2 and 3; a
/// version 2 file also carries the version 1 tree, for old npm releases), else `dependencies`;
/// development-only packages (`dev: true`) are left out, as Trivy does by default.
pub(super) fn parse(data: &[u8], found: &mut Found) -> Result<(), String> {
    let mut state = State::default();
    let mut de = serde_json::Deserializer::from_slice(data);
    (&mut de)
        .deserialize_map(LockVisitor { state: &mut state })
        .and_then(|()| de.end())
        .map_err(|e| format!("not a valid npm lockfile: {e}"))?;
    match (state.packages, state.dependencies) {
        (Some(v2), _) => *found = v2,
        (None, Some(v1)) => *found = v1,
        (None, None) if state.lockfile_version.is_some() => {}
        (None, None) => {
            return Err(
                "not an npm lockfile: no lockfileVersion, packages or dependencies".to_string(),
            );
        }
    }
    Ok(())
}

/// What the top level of the file held.
#[derive(Default)]
struct State {
    lockfile_version: Option<u64>,
    /// The packages of the `packages` map, once read.
    packages: Option<Found>,
    /// The packages of the `dependencies` tree, once read.
    dependencies: Option<Found>,
}

/// The top-level fields read; the others are skipped unparsed.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum Field {
    LockfileVersion,
    Packages,
    Dependencies,
    #[serde(other)]
    Other,
}

struct LockVisitor<'a> {
    state: &'a mut State,
}

impl<'de> Visitor<'de> for LockVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::LockfileVersion => {
                    self.state.lockfile_version = Some(map.next_value()?);
                }
                Field::Packages => {
                    let mut found = Found::default();
                    map.next_value_seed(PackagesSeed { found: &mut found })?;
                    self.state.packages = Some(found);
                }
                // npm writes `packages` first; once it is read, the legacy tree is not needed.
                Field::Dependencies if self.state.packages.is_some() => {
                    map.next_value::<IgnoredAny>()?;
                }
                Field::Dependencies => {
                    let mut found = Found::default();
                    map.next_value_seed(DependenciesSeed {
                        found: &mut found,
                        depth: 1,
                    })?;
                    self.state.dependencies = Some(found);
                }
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// One entry of the `packages` map (versions 2 and 3).
#[derive(Deserialize)]
struct PackageEntry {
    /// Set when the package's name differs from its folder's (npm aliases, `npm:lodash@4`).
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    /// A symbolic link to a folder of the project (a workspace or a `file:` dependency): the
    /// folder's own entry describes it, and it is not a registry package.
    #[serde(default)]
    link: bool,
}

/// The `packages` map, keyed by install folder (`node_modules/a/node_modules/@s/b`).
struct PackagesSeed<'a> {
    found: &'a mut Found,
}

impl<'de> DeserializeSeed<'de> for PackagesSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PackagesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a map of install folders to packages")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(folder) = map.next_key::<String>()? {
            let entry: PackageEntry = map.next_value()?;
            if entry.dev || entry.link {
                continue;
            }
            // The root project is keyed `""`, workspace sources by their folder
            // (`packages/app`): only what lies in a `node_modules` folder was installed.
            let Some((_, folder_name)) = folder.rsplit_once("node_modules/") else {
                continue;
            };
            let name = entry.name.as_deref().unwrap_or(folder_name);
            if let Some(version) = &entry.version {
                self.found.add(name, version).map_err(de::Error::custom)?;
            }
        }
        Ok(())
    }
}

/// A v1 `dependencies` map, at nesting level `depth` (the top one is 1).
struct DependenciesSeed<'a> {
    found: &'a mut Found,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for DependenciesSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DependenciesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a map of package names to dependencies")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            map.next_value_seed(DependencySeed {
                name: &name,
                found: &mut *self.found,
                depth: self.depth,
            })?;
        }
        Ok(())
    }
}

/// The fields of a v1 dependency that are read.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum DependencyField {
    Version,
    Dev,
    Dependencies,
    #[serde(other)]
    Other,
}

/// One v1 dependency, whose own `dependencies` are the copies nested in its folder.
struct DependencySeed<'a> {
    name: &'a str,
    found: &'a mut Found,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for DependencySeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DependencySeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a dependency object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut version: Option<String> = None;
        let mut dev = false;
        while let Some(field) = map.next_key::<DependencyField>()? {
            match field {
                DependencyField::Version => version = Some(map.next_value()?),
                DependencyField::Dev => dev = map.next_value()?,
                DependencyField::Dependencies if self.depth >= MAX_V1_DEPTH => {
                    return Err(de::Error::custom(format!(
                        "dependencies nested more than {MAX_V1_DEPTH} levels deep"
                    )));
                }
                DependencyField::Dependencies => {
                    map.next_value_seed(DependenciesSeed {
                        found: &mut *self.found,
                        depth: self.depth + 1,
                    })?;
                }
                DependencyField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if dev {
            return Ok(());
        }
        if let Some((name, version)) = version.as_deref().and_then(|v| v1_package(self.name, v)) {
            self.found.add(name, version).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// The registry package a v1 dependency `name` at `version` is.
///
/// An alias (`"old-lodash": {"version": "npm:lodash@4.17.4"}`) is the package it names.
/// Versions with any other protocol (`file:`, `git+https:`, `github:`, tarball URLs) are
/// local folders or commits, which no advisory's version range describes: they are left out.
fn v1_package<'a>(name: &'a str, version: &'a str) -> Option<(&'a str, &'a str)> {
    if let Some(spec) = version.strip_prefix("npm:") {
        let at = spec.get(1..)?.find('@')? + 1;
        return Some((&spec[..at], &spec[at + 1..]));
    }
    (!version.contains(':')).then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::node::{LOCKFILES, MAX_PACKAGES};
    use crate::{AnalyzeError, FileAnalyzer, FileInfo};

    fn pairs(data: &str) -> Result<Vec<(String, String)>, String> {
        let mut found = Found::default();
        parse(data.as_bytes(), &mut found)?;
        Ok(found.pairs())
    }

    fn expect(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// What npm 9 writes for an app with two dependencies, a nested older copy, an alias, a
    /// workspace (linked) and development tools.
    const V3: &str = r#"{
  "name": "shop",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "shop",
      "version": "1.0.0",
      "workspaces": ["packages/*"],
      "dependencies": {"lodash": "^4.17.15", "minimist": "^1.2.0", "old-lodash": "npm:lodash@4.17.4"},
      "devDependencies": {"@types/node": "^20.0.0", "typescript": "^5.4.0"}
    },
    "node_modules/@types/node": {
      "version": "20.12.7",
      "resolved": "https://registry.npmjs.org/@types/node/-/node-20.12.7.tgz",
      "integrity": "sha512-AAAA",
      "dev": true,
      "dependencies": {"undici-types": "~5.26.4"}
    },
    "node_modules/lodash": {
      "version": "4.17.15",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz",
      "integrity": "sha512-BBBB"
    },
    "node_modules/minimist": {
      "version": "1.2.0",
      "resolved": "https://registry.npmjs.org/minimist/-/minimist-1.2.0.tgz",
      "integrity": "sha1-CCCC"
    },
    "node_modules/mkdirp": {
      "version": "0.5.1",
      "dependencies": {"minimist": "0.0.8"},
      "bin": {"mkdirp": "bin/cmd.js"}
    },
    "node_modules/mkdirp/node_modules/minimist": {
      "version": "0.0.8"
    },
    "node_modules/old-lodash": {
      "name": "lodash",
      "version": "4.17.4",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.4.tgz"
    },
    "node_modules/shop-utils": {
      "resolved": "packages/utils",
      "link": true
    },
    "node_modules/typescript": {
      "version": "5.4.5",
      "dev": true,
      "bin": {"tsc": "bin/tsc", "tsserver": "bin/tsserver"},
      "engines": {"node": ">=14.17"}
    },
    "node_modules/undici-types": {
      "version": "5.26.5",
      "dev": true
    },
    "packages/utils": {
      "name": "shop-utils",
      "version": "0.1.0",
      "dependencies": {"minimist": "^1.2.0"}
    },
    "packages/utils/node_modules/@scope/tiny": {
      "version": "2.0.0",
      "optional": true
    }
  }
}"#;

    #[test]
    fn v3_reads_packages_without_dev_links_or_root() {
        assert_eq!(
            pairs(V3).expect("parses"),
            expect(&[
                ("@scope/tiny", "2.0.0"),
                ("lodash", "4.17.15"),
                ("lodash", "4.17.4"),
                ("minimist", "0.0.8"),
                ("minimist", "1.2.0"),
                ("mkdirp", "0.5.1"),
            ])
        );
        let pkgs = LOCKFILES
            .analyze(
                &FileInfo {
                    path: "srv/shop/package-lock.json",
                    size: V3.len() as u64,
                    executable: false,
                },
                &mut V3.as_bytes(),
            )
            .expect("parses");
        assert_eq!(pkgs.len(), 6);
        assert!(pkgs.iter().all(|p| p.kind.name() == "npm"));
        assert!(pkgs.iter().all(|p| p.path == "srv/shop/package-lock.json"));
    }

    /// npm 7 and 8 write both forms; the `packages` map wins whatever the field order.
    #[test]
    fn v2_prefers_packages_to_the_legacy_tree() {
        let packages = r#""packages": {
    "": {"name": "app", "dependencies": {"ms": "^2.1.0"}},
    "node_modules/ms": {"version": "2.1.3"}
  }"#;
        let dependencies = r#""dependencies": {
    "ms": {"version": "2.1.3"},
    "only-in-legacy": {"version": "9.9.9"}
  }"#;
        for body in [
            format!("{packages},\n  {dependencies}"),
            format!("{dependencies},\n  {packages}"),
        ] {
            let lock = format!("{{\n  \"name\": \"app\",\n  \"lockfileVersion\": 2,\n  {body}\n}}");
            assert_eq!(
                pairs(&lock).expect("parses"),
                expect(&[("ms", "2.1.3")]),
                "{lock}"
            );
        }
    }

    /// What npm 6 writes: hoisted packages, with copies nested where versions conflict.
    const V1: &str = r#"{
  "name": "legacy",
  "version": "2.0.0",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "debug": {
      "version": "2.6.9",
      "resolved": "https://registry.npmjs.org/debug/-/debug-2.6.9.tgz",
      "integrity": "sha512-DDDD",
      "requires": {"ms": "2.0.0"},
      "dependencies": {
        "ms": {
          "version": "2.0.0",
          "resolved": "https://registry.npmjs.org/ms/-/ms-2.0.0.tgz",
          "integrity": "sha1-EEEE"
        }
      }
    },
    "eslint": {
      "version": "4.19.1",
      "dev": true,
      "requires": {"ms": "2.1.1"},
      "dependencies": {
        "ms": {"version": "2.1.1", "dev": true}
      }
    },
    "express": {
      "version": "4.16.0",
      "requires": {"debug": "2.6.9"},
      "dependencies": {
        "qs": {
          "version": "6.5.1",
          "dependencies": {
            "side-channel": {"version": "1.0.4"}
          }
        }
      }
    },
    "local-lib": {"version": "file:../local-lib"},
    "forked": {"version": "github:someone/forked#0123456789abcdef"},
    "lodash": {"version": "4.17.15"},
    "legacy-lodash": {"version": "npm:lodash@4.17.4"},
    "scoped-alias": {"version": "npm:@scope/pkg@1.0.0"},
    "ms": {"version": "2.1.3"}
  }
}"#;

    #[test]
    fn v1_walks_the_nested_tree() {
        assert_eq!(
            pairs(V1).expect("parses"),
            expect(&[
                ("@scope/pkg", "1.0.0"),
                ("debug", "2.6.9"),
                ("express", "4.16.0"),
                ("lodash", "4.17.15"),
                ("lodash", "4.17.4"),
                ("ms", "2.0.0"),
                ("ms", "2.1.3"),
                ("qs", "6.5.1"),
                ("side-channel", "1.0.4"),
            ])
        );
    }

    fn nested_v1(levels: usize) -> String {
        let mut s = String::from(r#"{"lockfileVersion":1,"dependencies":"#);
        for i in 0..levels {
            s.push_str(&format!(r#"{{"a":{{"version":"1.0.{i}","dependencies":"#));
        }
        s.push_str("{}");
        for _ in 0..levels {
            s.push_str("}}");
        }
        s.push('}');
        s
    }

    #[test]
    fn v1_nesting_is_capped_not_overflowing() {
        let ok = pairs(&nested_v1(20)).expect("20 levels are read");
        assert_eq!(ok.len(), 20);
        let deep = nested_v1(10_000);
        let err = pairs(&deep).expect_err("too deep");
        assert!(err.contains("nested more than 32 levels"), "{err}");
        // Deep nesting in an ignored field is skipped by serde_json without recursing.
        let junk = format!(
            r#"{{"lockfileVersion":3,"packages":{{"node_modules/a":{{"version":"1","x":{}{}}}}}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(pairs(&junk).expect("parses"), expect(&[("a", "1")]));
    }

    #[test]
    fn malformed_lockfiles_say_what_is_wrong() {
        for (data, says) in [
            ("", "EOF"),
            ("<html>", "expected value"),
            ("[1, 2]", "expected a JSON object"),
            ("{}", "no lockfileVersion, packages or dependencies"),
            (r#"{"name": "x", "version": "1"}"#, "not an npm lockfile"),
            (r#"{"lockfileVersion": "three"}"#, "invalid type: string"),
            (
                r#"{"lockfileVersion": 3, "packages": []}"#,
                "map of install folders",
            ),
            (
                r#"{"packages": {"node_modules/a": 5}}"#,
                "struct PackageEntry",
            ),
            (
                r#"{"packages": {"node_modules/a": {"version": 1}}}"#,
                "expected a string",
            ),
            (
                r#"{"dependencies": {"a": {"dev": "yes"}}}"#,
                "expected a boolean",
            ),
            (r#"{"lockfileVersion": 3} trailing"#, "trailing characters"),
        ] {
            let err = pairs(data).expect_err(data);
            assert!(err.contains(says), "{data}: {err}");
            assert!(err.starts_with("not"), "{data}: {err}");
        }
        // An empty project's lockfile is valid and names nothing.
        let empty = r#"{"name": "x", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "x"}}}"#;
        assert_eq!(pairs(empty).expect("parses"), expect(&[]));
        assert_eq!(
            pairs(r#"{"lockfileVersion": 1}"#).expect("parses"),
            expect(&[])
        );
    }

    #[test]
    fn malformed_lockfile_becomes_a_skip() {
        let data = b"{\"packages\": {";
        let got = LOCKFILES.analyze(
            &FileInfo {
                path: "app/package-lock.json",
                size: data.len() as u64,
                executable: false,
            },
            &mut &data[..],
        );
        assert!(
            matches!(&got, Err(AnalyzeError::Skip(m)) if m.contains("npm lockfile")),
            "{got:?}"
        );
    }

    #[test]
    fn too_many_packages_are_refused() {
        let mut lock = String::from(r#"{"lockfileVersion":3,"packages":{"#);
        for i in 0..=MAX_PACKAGES {
            lock.push_str(&format!(r#""node_modules/p{i}":{{"version":"1"}},"#));
        }
        lock.push_str(r#""":{}}}"#);
        let err = pairs(&lock).expect_err("over the cap");
        assert!(err.contains("more than 250000 packages"), "{err}");
    }

    #[test]
    fn aliases_and_protocols() {
        assert_eq!(v1_package("a", "1.0.0"), Some(("a", "1.0.0")));
        assert_eq!(v1_package("a", "npm:b@2.0.0"), Some(("b", "2.0.0")));
        assert_eq!(v1_package("a", "npm:@s/b@2.0.0"), Some(("@s/b", "2.0.0")));
        assert_eq!(v1_package("a", "npm:"), None);
        assert_eq!(v1_package("a", "npm:@"), None);
        assert_eq!(v1_package("a", "npm:b"), None);
        assert_eq!(v1_package("a", "file:../a"), None);
        assert_eq!(v1_package("a", "git+https://example.com/a.git#abc"), None);
    }
}
