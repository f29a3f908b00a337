//! `pnpm-lock.yaml`, lockfile versions 5 to 9.
//!
//! The file is YAML, but it is read line by line as the block mappings pnpm writes (one
//! `key:` or `key: value` per line, nesting by indentation), not with a YAML library: a
//! general parser first turns the document into events, costing about a hundred bytes per
//! scalar, so a 64 MiB hostile file would cost gigabytes. Here memory follows what is kept
//! (the package entries and, for version 9, the dependency graph), each of them capped.
//!
//! Only three parts are read:
//! - `packages:` keys (`/name/1.2.3` in 5.x, `/name@1.2.3` in 6.x, `name@1.2.3` in 9.x; peer
//!   suffixes `_react@18.2.0` and `(react@18.2.0)` are dropped) and their `name`, `version`
//!   and `dev` fields;
//! - `importers:`, the projects' direct dependencies, and
//! - `snapshots:` (9.x), which say what each package depends on: 9.x no longer flags
//!   development packages, so they are told apart by what the projects' production
//!   dependencies reach.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::{Found, MAX_PACKAGES, excerpt};

/// Deepest nesting of keys read. pnpm writes at most six levels.
const MAX_NESTING: usize = 32;
/// Most dependency edges kept for version 9's reachability (the largest real graphs have a
/// few hundred thousand); bounds what a hostile file can make us hold.
const MAX_EDGES: usize = 1_000_000;
/// The dependency sections that are installed in production.
const PRODUCTION: [&str; 2] = ["dependencies", "optionalDependencies"];

/// Reads the packages of a `pnpm-lock.yaml` into `found`.
///
/// Development-only packages are left out, as Trivy does by default: those flagged
/// `dev: true` (5.x and 6.x) or, in 9.x, those no production dependency of any project
/// reaches.
pub(super) fn parse(text: &str, found: &mut Found) -> Result<(), String> {
    let mut doc = Document::default();
    let mut path: Vec<(usize, Cow<'_, str>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let body = line.trim_start_matches(' ');
        let trimmed = body.trim_end();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if indent == 0 && (trimmed == "---" || trimmed.starts_with("--- ")) {
            // pnpm 9 may write the lockfile of the package manager itself as a first
            // document; the project's is the last one.
            doc = Document::default();
            path.clear();
            continue;
        }
        if indent == 0 && trimmed == "..." {
            continue;
        }
        let Some((key, value)) = key_line(trimmed) else {
            if indent == 0 {
                return Err(format!(
                    "line {number}: expected a `key:` line, found `{}`",
                    excerpt(trimmed)
                ));
            }
            // Sequence items and the continuation lines of long values.
            continue;
        };
        while path.last().is_some_and(|(above, _)| *above >= indent) {
            path.pop();
        }
        if path.len() >= MAX_NESTING {
            return Err(format!(
                "line {number}: keys nested more than {MAX_NESTING} levels deep"
            ));
        }
        path.push((indent, key));
        doc.line(&path, value)
            .map_err(|e| format!("line {number}: {e}"))?;
    }
    doc.finish(found)
}

/// What one YAML document holds, as far as it is read.
#[derive(Default)]
struct Document {
    /// Whether any key was seen (an empty file is no error).
    any_key: bool,
    lockfile_version: Option<String>,
    /// `packages:` entries, in file order.
    entries: Vec<Entry>,
    /// Whether there is an `importers:` section with at least one project.
    importers: bool,
    /// Whether there is a `snapshots:` section.
    snapshots: bool,
    /// Snapshot keys (`name@version(peers)`) of the projects' production dependencies.
    roots: Vec<String>,
    /// Snapshot key to the snapshot keys of its production dependencies.
    edges: BTreeMap<String, Vec<String>>,
    /// Roots and edges kept, against [`MAX_EDGES`].
    links: usize,
}

/// One `packages:` entry.
struct Entry {
    key: String,
    /// Set for packages whose key does not name them (tarballs, git repositories).
    name: Option<String>,
    version: Option<String>,
    dev: bool,
}

impl Document {
    /// Takes one `key: value` line, `path` being the keys from the top down to its own.
    fn line(&mut self, path: &[(usize, Cow<'_, str>)], value: &str) -> Result<(), String> {
        self.any_key = true;
        let key = |i: usize| path.get(i).map_or("", |(_, k)| k.as_ref());
        match (path.len(), key(0), key(2)) {
            (1, "lockfileVersion", _) => self.lockfile_version = Some(value.to_string()),
            (1, "snapshots", _) => self.snapshots = true,
            (2, "importers", _) => self.importers = true,
            (2, "packages", _) => {
                if self.entries.len() >= MAX_PACKAGES {
                    return Err(format!("more than {MAX_PACKAGES} package entries"));
                }
                self.entries.push(Entry {
                    key: key(1).to_string(),
                    name: None,
                    version: None,
                    dev: false,
                });
            }
            (3, "packages", field) => {
                // The entry's fields follow its key, so they belong to the last entry.
                if let Some(entry) = self.entries.last_mut() {
                    match field {
                        "dev" => entry.dev = value == "true",
                        "name" => entry.name = Some(value.to_string()),
                        "version" => entry.version = Some(value.to_string()),
                        _ => {}
                    }
                }
            }
            // `dependencies: {lodash: 4.17.21}` (5.x) or `lodash: {version: 4.17.21}` (6.x, 9.x).
            (4, "importers", section) if PRODUCTION.contains(&section) && !value.is_empty() => {
                self.root(key(3), value)?;
            }
            (5, "importers", section) if PRODUCTION.contains(&section) && key(4) == "version" => {
                self.root(key(3), value)?;
            }
            (4, "snapshots", section) if PRODUCTION.contains(&section) => {
                self.edge(key(1), key(3), value)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn count_link(&mut self) -> Result<(), String> {
        if self.links >= MAX_EDGES {
            return Err(format!("more than {MAX_EDGES} dependencies"));
        }
        self.links += 1;
        Ok(())
    }

    fn root(&mut self, name: &str, version: &str) -> Result<(), String> {
        if let Some(target) = snapshot_key(name, version) {
            self.count_link()?;
            self.roots.push(target);
        }
        Ok(())
    }

    fn edge(&mut self, from: &str, name: &str, version: &str) -> Result<(), String> {
        let Some(target) = snapshot_key(name, version) else {
            return Ok(());
        };
        self.count_link()?;
        match self.edges.get_mut(from) {
            Some(targets) => targets.push(target),
            None => {
                self.edges.insert(from.to_string(), vec![target]);
            }
        }
        Ok(())
    }

    /// The `packages:` keys (without peer suffixes) that the projects' production
    /// dependencies reach through the snapshots, walked with an explicit stack.
    fn production(&self) -> BTreeSet<&str> {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut todo: Vec<&str> = self.roots.iter().map(String::as_str).collect();
        while let Some(key) = todo.pop() {
            if seen.insert(key)
                && let Some(targets) = self.edges.get(key)
            {
                todo.extend(targets.iter().map(String::as_str));
            }
        }
        seen.into_iter().map(without_peers).collect()
    }

    fn finish(self, found: &mut Found) -> Result<(), String> {
        let Some(declared) = &self.lockfile_version else {
            return if self.any_key {
                Err("no lockfileVersion: not a pnpm lockfile".to_string())
            } else {
                Ok(())
            };
        };
        let major = declared
            .split('.')
            .next()
            .and_then(|m| m.trim().parse::<u32>().ok())
            .ok_or_else(|| {
                format!(
                    "lockfileVersion `{}` is not a version number",
                    excerpt(declared)
                )
            })?;
        // Without the projects or the graph nothing can be told apart: keep everything.
        let production =
            (major >= 9 && self.importers && self.snapshots).then(|| self.production());
        for entry in &self.entries {
            if entry.dev
                || production
                    .as_ref()
                    .is_some_and(|p| !p.contains(without_peers(&entry.key)))
            {
                continue;
            }
            let from_key = split_key(&entry.key, major);
            let name = entry.name.as_deref().or(from_key.map(|(n, _)| n));
            let version = entry.version.as_deref().or(from_key.map(|(_, v)| v));
            let (Some(name), Some(version)) = (name, version) else {
                continue;
            };
            // Tarball URLs and folders where a version should be: no advisory names them.
            if version.contains([':', '/']) {
                continue;
            }
            found.add(name, version)?;
        }
        Ok(())
    }
}

/// A key without its peer-dependency suffix: `react-dom@18.2.0(react@18.2.0)` is
/// `react-dom@18.2.0`.
fn without_peers(key: &str) -> &str {
    key.find('(').map_or(key, |i| &key[..i])
}

/// The snapshot key a dependency `name: version` points at: `name@version`, or `version`
/// itself when it is an alias's full key (`string-width@4.2.3`). `None` for links to the
/// projects' own folders.
fn snapshot_key(name: &str, version: &str) -> Option<String> {
    if version.is_empty() || version.starts_with("link:") {
        return None;
    }
    let base = without_peers(version);
    let is_key = !base.contains(':') && base.get(1..).is_some_and(|b| b.contains('@'));
    Some(if is_key {
        version.to_string()
    } else {
        format!("{name}@{version}")
    })
}

/// The name and version a `packages:` key names, for lockfile version `major`.
fn split_key(key: &str, major: u32) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let (name, version) = if major < 6 {
        // `name/1.2.3_peer@1.0.0+other@2.0.0` or `@scope/name/1.2.3`.
        let mut slashes = key.match_indices('/').map(|(i, _)| i);
        let cut = if key.starts_with('@') {
            slashes.nth(1)?
        } else {
            slashes.next()?
        };
        let version = &key[cut + 1..];
        let end = version.find(['_', '(']).unwrap_or(version.len());
        (&key[..cut], &version[..end])
    } else {
        // `name@1.2.3(peer@1.0.0)` or `@scope/name@1.2.3`.
        let base = without_peers(key);
        let at = base.get(1..)?.rfind('@')? + 1;
        (&base[..at], &base[at + 1..])
    };
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

/// Splits a line (without indentation) into its key and value, or `None` if it is not a
/// `key:` line (a sequence item, a flow collection, the continuation of a long value).
fn key_line(body: &str) -> Option<(Cow<'_, str>, &str)> {
    let (key, rest) = if let Some(quoted) = body.strip_prefix('\'') {
        single_quoted(quoted)?
    } else if let Some(quoted) = body.strip_prefix('"') {
        double_quoted(quoted)?
    } else if body.starts_with(['-', '{', '[', '?', '|', '>']) {
        return None;
    } else if let Some(i) = body.find(": ") {
        (Cow::Borrowed(&body[..i]), &body[i..])
    } else {
        (Cow::Borrowed(body.strip_suffix(':')?), ":")
    };
    let value = rest.strip_prefix(':')?;
    if !(value.is_empty() || value.starts_with(' ')) {
        return None;
    }
    Some((key, unquote(value.trim())))
}

/// A single-quoted scalar (`''` is a quote), and what follows it.
fn single_quoted(s: &str) -> Option<(Cow<'_, str>, &str)> {
    let mut owned: Option<String> = None;
    let mut start = 0;
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                // A quote is ASCII, so `i` and `i + 1` are character boundaries.
                owned
                    .get_or_insert_with(String::new)
                    .push_str(&s[start..=i]);
                i += 2;
                start = i;
                continue;
            }
            let key = match owned {
                Some(mut o) => {
                    o.push_str(&s[start..i]);
                    Cow::Owned(o)
                }
                None => Cow::Borrowed(&s[..i]),
            };
            return Some((key, &s[i + 1..]));
        }
        i += 1;
    }
    None
}

/// A double-quoted scalar (a backslash escapes the next character; pnpm writes no other
/// escapes in keys), and what follows it.
fn double_quoted(s: &str) -> Option<(Cow<'_, str>, &str)> {
    let mut owned: Option<String> = None;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let key = owned.map_or(Cow::Borrowed(&s[..i]), Cow::Owned);
                return Some((key, &s[i + 1..]));
            }
            '\\' => {
                let o = owned.get_or_insert_with(|| s[..i].to_string());
                o.push(chars.next()?.1);
            }
            c => {
                if let Some(o) = owned.as_mut() {
                    o.push(c);
                }
            }
        }
    }
    None
}

/// A value without its surrounding quotes.
fn unquote(value: &str) -> &str {
    for q in ['\'', '"'] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::node::LOCKFILES;
    use crate::{AnalyzeError, FileAnalyzer, FileInfo};

    fn pairs(text: &str) -> Result<Vec<(String, String)>, String> {
        let mut found = Found::default();
        parse(text, &mut found)?;
        Ok(found.pairs())
    }

    fn expect(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// What pnpm 7 writes (5.4): `/name/version` keys, `_peer` suffixes, `dev` flags.
    const V5: &str = r#"lockfileVersion: 5.4

specifiers:
  '@babel/core': ^7.20.0
  '@types/react-dom': ^18.0.0
  forked: github:someone/forked#0123abc
  lodash: ^4.17.15
  react-dom: ^18.2.0
  typescript: ^4.9.0

dependencies:
  '@babel/core': 7.20.12
  '@types/react-dom': 18.0.0_@types+react@18.0.0
  forked: github.com/someone/forked/0123abc
  lodash: 4.17.15
  react-dom: 18.2.0_react@18.2.0

devDependencies:
  typescript: 4.9.5

packages:

  /@babel/core/7.20.12:
    resolution: {integrity: sha512-AAAA}
    engines: {node: '>=6.9.0'}
    dependencies:
      debug: 4.3.4
    dev: false

  /@types/react-dom/18.0.0_@types+react@18.0.0:
    resolution: {integrity: sha512-BBBB}
    peerDependencies:
      '@types/react': ^18
    dev: false

  /debug/4.3.4:
    resolution: {integrity: sha512-CCCC}
    engines: {node: '>=6.0'}
    peerDependencies:
      supports-color: '*'
    peerDependenciesMeta:
      supports-color:
        optional: true
    dependencies:
      ms: 2.1.2
    dev: false

  /lodash/4.17.15:
    resolution: {integrity: sha512-DDDD}
    dev: false

  /ms/2.1.2:
    resolution: {integrity: sha512-EEEE}
    dev: false

  /react-dom/18.2.0_react@18.2.0:
    resolution: {integrity: sha512-FFFF}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      react: 18.2.0
    dev: false

  /react/18.2.0:
    resolution: {integrity: sha512-GGGG}
    engines: {node: '>=0.10.0'}

  /typescript/4.9.5:
    resolution: {integrity: sha512-HHHH}
    engines: {node: '>=4.2.0'}
    hasBin: true
    dev: true

  github.com/someone/forked/0123abc:
    resolution: {tarball: https://codeload.github.com/someone/forked/tar.gz/0123abc}
    name: forked
    version: 1.0.0
    dev: false
"#;

    #[test]
    fn v5_keys_and_dev_flags() {
        assert_eq!(
            pairs(V5).expect("parses"),
            expect(&[
                ("@babel/core", "7.20.12"),
                ("@types/react-dom", "18.0.0"),
                ("debug", "4.3.4"),
                ("forked", "1.0.0"),
                ("lodash", "4.17.15"),
                ("ms", "2.1.2"),
                ("react", "18.2.0"),
                ("react-dom", "18.2.0"),
            ])
        );
    }

    /// What pnpm 8 writes (6.0): `/name@version` keys and `(peer)` suffixes.
    const V6: &str = r#"lockfileVersion: '6.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

dependencies:
  '@scope/ui':
    specifier: ^2.0.0
    version: 2.0.0(react-dom@18.2.0)(react@18.2.0)
  lodash:
    specifier: ^4.17.15
    version: 4.17.15
  react-dom:
    specifier: ^18.2.0
    version: 18.2.0(react@18.2.0)

devDependencies:
  vitest:
    specifier: ^1.0.0
    version: 1.6.0

packages:

  /@scope/ui@2.0.0(react-dom@18.2.0)(react@18.2.0):
    resolution: {integrity: sha512-AAAA}
    peerDependencies:
      react: ^18
      react-dom: ^18
    dependencies:
      react: 18.2.0
      react-dom: 18.2.0(react@18.2.0)
    dev: false

  /@scope/ui@2.0.0(react@18.2.0):
    resolution: {integrity: sha512-AAAA}
    dev: false

  /lodash@4.17.15:
    resolution: {integrity: sha512-BBBB}
    deprecated: >-
      This version is old: please upgrade
      'to the latest
    dev: false

  /react-dom@18.2.0(react@18.2.0):
    resolution: {integrity: sha512-CCCC}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      react: 18.2.0
    dev: false

  /react@18.2.0:
    resolution: {integrity: sha512-DDDD}
    dev: false

  /vitest@1.6.0:
    resolution: {integrity: sha512-EEEE}
    hasBin: true
    dev: true
"#;

    #[test]
    fn v6_keys_drop_peer_suffixes() {
        assert_eq!(
            pairs(V6).expect("parses"),
            expect(&[
                ("@scope/ui", "2.0.0"),
                ("lodash", "4.17.15"),
                ("react", "18.2.0"),
                ("react-dom", "18.2.0"),
            ])
        );
    }

    /// What pnpm 9 writes (9.0): a workspace of two projects, an alias, a link to a
    /// workspace package, and development tools known only through the graph.
    const V9: &str = r#"lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      '@scope/ui':
        specifier: ^2.0.0
        version: 2.0.0(react@18.2.0)
      lodash:
        specifier: ^4.17.15
        version: 4.17.15
      old-lodash:
        specifier: npm:lodash@4.17.4
        version: lodash@4.17.4
      shared:
        specifier: workspace:*
        version: link:packages/shared
    devDependencies:
      typescript:
        specifier: ^5.4.0
        version: 5.4.5

  packages/shared:
    optionalDependencies:
      minimist:
        specifier: ^1.2.0
        version: 1.2.0
    devDependencies:
      lodash:
        specifier: ^4.17.15
        version: 4.17.15

packages:

  '@scope/ui@2.0.0':
    resolution: {integrity: sha512-AAAA}
    peerDependencies:
      react: ^18

  dev-helper@1.0.0:
    resolution: {integrity: sha512-BBBB}

  js-tokens@4.0.0:
    resolution: {integrity: sha512-CCCC}

  lodash@4.17.15:
    resolution: {integrity: sha512-DDDD}

  lodash@4.17.4:
    resolution: {integrity: sha512-EEEE}

  loose-envify@1.4.0:
    resolution: {integrity: sha512-FFFF}
    hasBin: true

  minimist@1.2.0:
    resolution: {integrity: sha512-GGGG}

  react@18.2.0:
    resolution: {integrity: sha512-HHHH}
    engines: {node: '>=0.10.0'}

  typescript@5.4.5:
    resolution: {integrity: sha512-IIII}
    engines: {node: '>=14.17'}
    hasBin: true

snapshots:

  '@scope/ui@2.0.0(react@18.2.0)':
    dependencies:
      react: 18.2.0

  dev-helper@1.0.0: {}

  js-tokens@4.0.0: {}

  lodash@4.17.15: {}

  lodash@4.17.4: {}

  loose-envify@1.4.0:
    dependencies:
      js-tokens: 4.0.0

  minimist@1.2.0: {}

  react@18.2.0:
    dependencies:
      loose-envify: 1.4.0

  typescript@5.4.5:
    dependencies:
      dev-helper: 1.0.0
"#;

    #[test]
    fn v9_tells_development_packages_by_the_graph() {
        assert_eq!(
            pairs(V9).expect("parses"),
            expect(&[
                ("@scope/ui", "2.0.0"),
                ("js-tokens", "4.0.0"),
                ("lodash", "4.17.15"),
                ("lodash", "4.17.4"),
                ("loose-envify", "1.4.0"),
                ("minimist", "1.2.0"),
                ("react", "18.2.0"),
            ])
        );
        let pkgs = LOCKFILES
            .analyze(
                &FileInfo {
                    path: "app/pnpm-lock.yaml",
                    size: V9.len() as u64,
                    executable: false,
                },
                &mut V9.as_bytes(),
            )
            .expect("parses");
        assert!(pkgs.iter().all(|p| p.kind.name() == "pnpm"));
        assert_eq!(pkgs.len(), 7);
    }

    #[test]
    fn v9_without_a_graph_keeps_everything() {
        let lock = "lockfileVersion: '9.0'\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: x}\n\n  '@s/b@2.0.0':\n    resolution: {integrity: y}\n";
        assert_eq!(
            pairs(lock).expect("parses"),
            expect(&[("@s/b", "2.0.0"), ("a", "1.0.0")])
        );
    }

    /// pnpm 9 may put the package manager's own lockfile first, as another document.
    #[test]
    fn the_last_document_is_the_project() {
        let env = "---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    configDependencies: {}\n    packageManagerDependencies:\n      pnpm:\n        specifier: 9.15.0\n        version: 9.15.0\n\npackages:\n\n  pnpm@9.15.0:\n    resolution: {integrity: z}\n\nsnapshots:\n\n  pnpm@9.15.0: {}\n";
        let lock = format!("{env}\n---\n{V9}");
        assert_eq!(pairs(&lock), pairs(V9));
    }

    #[test]
    fn keys_values_and_suffixes() {
        assert_eq!(split_key("/a/1.0.0", 5), Some(("a", "1.0.0")));
        assert_eq!(
            split_key("/@s/a/1.0.0_b@2.0.0+@t+c@3.0.0", 5),
            Some(("@s/a", "1.0.0"))
        );
        assert_eq!(
            split_key("/a@1.0.0(b@2.0.0)(c@3.0.0)", 6),
            Some(("a", "1.0.0"))
        );
        assert_eq!(
            split_key("@s/a@1.0.0(patch_hash=abc)", 9),
            Some(("@s/a", "1.0.0"))
        );
        assert_eq!(split_key("a_b@1.0.0", 9), Some(("a_b", "1.0.0")));
        assert_eq!(split_key("a", 5), None);
        assert_eq!(split_key("@s/a", 5), None);
        assert_eq!(split_key("/a/", 5), None);
        assert_eq!(split_key("@a", 9), None);
        assert_eq!(split_key("/", 9), None);
        assert_eq!(
            snapshot_key("a", "1.0.0(b@2.0.0)"),
            Some("a@1.0.0(b@2.0.0)".into())
        );
        assert_eq!(
            snapshot_key("alias", "@s/a@1.0.0"),
            Some("@s/a@1.0.0".into())
        );
        assert_eq!(
            snapshot_key("a", "https://example.com/a.tgz"),
            Some("a@https://example.com/a.tgz".into())
        );
        assert_eq!(snapshot_key("a", "link:../a"), None);
        assert_eq!(
            key_line("'it''s': 'v'"),
            Some((Cow::Owned("it's".to_string()), "v"))
        );
        assert_eq!(
            key_line(r#""a\"b": "1""#),
            Some((Cow::Owned("a\"b".to_string()), "1"))
        );
        assert_eq!(
            key_line("/a@1(b@2):"),
            Some((Cow::Borrowed("/a@1(b@2)"), ""))
        );
        assert_eq!(key_line("a: {b: c}"), Some((Cow::Borrowed("a"), "{b: c}")));
        assert_eq!(key_line("- a: b"), None);
        assert_eq!(key_line("'open: x"), None);
        assert_eq!(key_line("\"open\\"), None);
        assert_eq!(key_line("'a'b"), None);
        assert_eq!(key_line("a:b"), None);
        assert_eq!(key_line("plain text"), None);
    }

    #[test]
    fn malformed_lockfiles_say_what_is_wrong() {
        for (text, says) in [
            ("hello world\n", "line 1: expected a `key:` line"),
            (
                "{\"lockfileVersion\": 3}\n",
                "line 1: expected a `key:` line",
            ),
            (
                "packages:\n  /a@1.0.0:\n    dev: false\n",
                "no lockfileVersion",
            ),
            (
                "lockfileVersion: banana\n",
                "lockfileVersion `banana` is not a version number",
            ),
            (
                "lockfileVersion: '6.0'\npackages:\n  'a@1: x\n'b: y\n",
                "line 4",
            ),
        ] {
            let err = pairs(text).expect_err(text);
            assert!(err.contains(says), "{text:?}: {err}");
        }
        let mut deep = String::from("lockfileVersion: '9.0'\n");
        for level in 0..2_000 {
            deep.push_str(&" ".repeat(level));
            deep.push_str("k:\n");
        }
        let err = pairs(&deep).expect_err("too deep");
        assert!(err.contains("nested more than 32 levels"), "{err}");
        assert_eq!(pairs("").expect("empty"), expect(&[]));
        assert_eq!(pairs("# nothing\n---\n").expect("empty"), expect(&[]));
        let data = b"packages: [";
        let got = LOCKFILES.analyze(
            &FileInfo {
                path: "pnpm-lock.yaml",
                size: data.len() as u64,
                executable: false,
            },
            &mut &data[..],
        );
        assert!(
            matches!(&got, Err(AnalyzeError::Skip(m)) if m.contains("lockfileVersion")),
            "{got:?}"
        );
    }

    #[test]
    fn the_graph_is_capped() {
        let mut lock =
            String::from("lockfileVersion: '9.0'\nsnapshots:\n  a@1:\n    dependencies:\n");
        for i in 0..=MAX_EDGES {
            lock.push_str(&format!("      d{i}: 1\n"));
        }
        let err = pairs(&lock).expect_err("over the cap");
        assert!(err.contains("more than 1000000 dependencies"), "{err}");
    }
}
