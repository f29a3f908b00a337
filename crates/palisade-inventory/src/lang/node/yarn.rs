//! `yarn.lock`, classic (v1) and berry (v2 and later).
//!
//! Both formats are a list of entries: an unindented header naming the requests it resolves,
//! then indented fields. Classic writes `"a@^1.0.0", a@~1.1:` and `version "1.2.3"`; berry is
//! YAML, with a `__metadata:` entry, `version: 1.2.3` and `resolution: "a@npm:1.2.3"`. One line
//! parser reads both, taking only the fields at the entry's own indentation, so a dependency
//! named `version` in a nested `dependencies:` block is not mistaken for one.

use super::{Found, excerpt};

/// Reads the packages of a `yarn.lock` into `found`.
///
/// Only registry packages are kept: entries resolved from a workspace, a linked or portal
/// folder, a patch, a local file or a git commit are the project's own code or name no
/// version an advisory describes.
pub(super) fn parse(text: &str, found: &mut Found) -> Result<(), String> {
    let mut entry: Option<Entry<'_>> = None;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let body = line.trim_start_matches([' ', '\t']).trim_end();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if indent == 0 {
            if let Some(done) = entry.take() {
                done.finish(found)?;
            }
            let Some(header) = body.strip_suffix(':') else {
                return Err(format!(
                    "line {number}: expected an entry header ending in `:`, found `{}`",
                    excerpt(body)
                ));
            };
            entry = Some(Entry {
                line: number,
                header,
                field_indent: None,
                version: None,
                resolution: None,
            });
            continue;
        }
        let Some(current) = entry.as_mut() else {
            return Err(format!(
                "line {number}: indented line before the first entry"
            ));
        };
        // The first field sets the entry's indentation; deeper lines belong to nested maps.
        if *current.field_indent.get_or_insert(indent) != indent {
            continue;
        }
        let (key, value) = field(body);
        match key {
            "version" => current.version = Some(unquote(value)),
            "resolution" => current.resolution = Some(unquote(value)),
            _ => {}
        }
    }
    if let Some(done) = entry {
        done.finish(found)?;
    }
    Ok(())
}

/// One entry while its fields are read.
struct Entry<'a> {
    /// Line of the header, for messages.
    line: usize,
    /// The header without its final `:`.
    header: &'a str,
    /// Indentation of the entry's own fields.
    field_indent: Option<usize>,
    version: Option<&'a str>,
    /// Berry only: the package the requests resolved to.
    resolution: Option<&'a str>,
}

impl Entry<'_> {
    fn finish(self, found: &mut Found) -> Result<(), String> {
        if self.header == "__metadata" {
            return Ok(());
        }
        let Some(version) = self.version else {
            return Err(format!(
                "line {}: entry `{}` has no version",
                self.line,
                excerpt(self.header)
            ));
        };
        let name = match self.resolution {
            Some(resolution) => berry_name(resolution),
            None => classic_name(first_request(self.header)),
        };
        match name {
            Some(name) => found.add(name, version),
            None => Ok(()),
        }
    }
}

/// The first request of a header: `a@^1` of `"a@^1", "a@^2"` (classic quotes each) or of
/// `"a@npm:^1, a@npm:^2"` (berry quotes the list).
fn first_request(header: &str) -> &str {
    let list = match header.strip_prefix('"') {
        Some(rest) => rest.split('"').next().unwrap_or(rest),
        None => header,
    };
    list.split(',').next().unwrap_or(list).trim()
}

/// Splits `name@range` at the `@` after the name (a scoped name starts with one).
fn split_request(request: &str) -> Option<(&str, &str)> {
    let at = request.get(1..)?.find('@')? + 1;
    Some((&request[..at], &request[at + 1..]))
}

/// The registry package a classic request resolves to: the request's name, or for an alias
/// (`old@npm:lodash@^4`) the aliased package's. `None` for requests that name a folder, a
/// URL or a git repository (`file:`, `link:`, `git+https:`, `user/repo`).
fn classic_name(request: &str) -> Option<&str> {
    let Some((name, range)) = split_request(request) else {
        // `name` alone: any version.
        return (!request.is_empty()).then_some(request);
    };
    if let Some(target) = range.strip_prefix("npm:") {
        return Some(split_request(target).map_or(name, |(aliased, _)| aliased));
    }
    // Semver ranges and dist-tags never hold these characters; protocols and paths do.
    (!range.contains([':', '/', '@'])).then_some(name)
}

/// The registry package a berry resolution (`lodash@npm:4.17.21`) names; `None` for every
/// other protocol (`workspace:`, `link:`, `portal:`, `patch:`, `file:`, git URLs).
fn berry_name(resolution: &str) -> Option<&str> {
    let (name, reference) = split_request(resolution)?;
    reference.starts_with("npm:").then_some(name)
}

/// Splits a field line into key and value: `version "1.2.3"` (classic) or `version: 1.2.3`.
fn field(body: &str) -> (&str, &str) {
    let end = body.find([' ', ':']).unwrap_or(body.len());
    let (key, rest) = body.split_at(end);
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    (key, rest.trim())
}

/// A value without its surrounding quotes.
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
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
    use crate::{FileAnalyzer, FileInfo};

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

    /// What Yarn 1.22 writes, with an alias, a local folder, git and GitHub dependencies, and
    /// a dependency named `version`.
    const CLASSIC: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.22.13":
  version "7.22.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.22.13.tgz#e3c1c099"
  integrity sha512-XktuhWlJ5g+3TJXc5upd9Ks1HutSArik6jf2eAjYFyIOf4ej3RN+184cZbzDvbPnuTJIUhPKKJE3cIsYTiAT3w==
  dependencies:
    "@babel/highlight" "^7.22.13"
    chalk "^2.4.2"

chalk@^2.4.2:
  version "2.4.2"
  resolved "https://registry.yarnpkg.com/chalk/-/chalk-2.4.2.tgz#cd42541677a54333cf541a49108c1432b44c9424"
  dependencies:
    version "^1.0.0"

lodash@^4.17.15, lodash@^4.17.4:
  version "4.17.15"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.15.tgz"

"old-lodash@npm:lodash@4.17.4":
  version "4.17.4"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.4.tgz"

minimist@1.2.0:
  version "1.2.0"

"my-lib@file:../my-lib":
  version "0.1.0"

"forked@git+https://github.com/someone/forked.git#v1.0.0":
  version "1.0.0"
  resolved "git+https://github.com/someone/forked.git#0123456789abcdef"

"short@someone/short":
  version "2.0.0"

"version@^1.0.0":
  version "1.0.1"
"#;

    #[test]
    fn classic_reads_registry_entries() {
        assert_eq!(
            pairs(CLASSIC).expect("parses"),
            expect(&[
                ("@babel/code-frame", "7.22.13"),
                ("chalk", "2.4.2"),
                ("lodash", "4.17.15"),
                ("lodash", "4.17.4"),
                ("minimist", "1.2.0"),
                ("version", "1.0.1"),
            ])
        );
        let windows = CLASSIC.replace('\n', "\r\n");
        assert_eq!(pairs(&windows), pairs(CLASSIC));
    }

    /// What Yarn 4 writes, with the workspace root, a linked and a portal folder, a patch, an
    /// alias and nested maps.
    const BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"@babel/core@npm:^7.20.0":
  version: 7.24.4
  resolution: "@babel/core@npm:7.24.4"
  dependencies:
    "@babel/code-frame": "npm:^7.24.2"
    debug: "npm:^4.1.0"
  checksum: 10c0/fc136966583e64d6f84f4a676368de6ab4583aa87f867186068655b30ef67f21f8e65a88c6d446a7efd219ad7ffb9185c82e8a90183ee033f6f47b5e641b6f77
  languageName: node
  linkType: hard

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    "@babel/core": "npm:^7.20.0"
    lodash: "npm:^4.17.15"
  languageName: unknown
  linkType: soft

"debug@npm:^4.1.0, debug@npm:^4.3.1":
  version: 4.3.4
  resolution: "debug@npm:4.3.4"
  dependencies:
    ms: "npm:2.1.2"
  peerDependenciesMeta:
    supports-color:
      optional: true
  checksum: 10c0/cedbec45298dd5c501d01b92b119cd3faebe5438c3917ff11ae1bff86a6c722930ac9c8659792824013168ba6db7c4668225d845c633fbdafbbf902a6389f736
  languageName: node
  linkType: hard

"helper@link:../helper::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "helper@link:../helper::locator=app%40workspace%3A."
  languageName: node
  linkType: soft

"lodash@npm:^4.17.15":
  version: 4.17.15
  resolution: "lodash@npm:4.17.15"
  checksum: 10c0/ee6fb4e2c0e9b3e1c8b2b9b7d6f1a8e9
  languageName: node
  linkType: hard

"ms@npm:2.1.2":
  version: 2.1.2
  resolution: "ms@npm:2.1.2"
  languageName: node
  linkType: hard

"old-lodash@npm:lodash@4.17.4":
  version: 4.17.4
  resolution: "lodash@npm:4.17.4"
  languageName: node
  linkType: hard

"portal-lib@portal:../portal-lib::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "portal-lib@portal:../portal-lib::locator=app%40workspace%3A."
  languageName: node
  linkType: soft

"resolve@patch:resolve@npm%3A^1.22.1#optional!builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"
  languageName: node
  linkType: hard

"resolve@npm:^1.22.1":
  version: 1.22.8
  resolution: "resolve@npm:1.22.8"
  languageName: node
  linkType: hard
"#;

    #[test]
    fn berry_reads_npm_resolutions_only() {
        assert_eq!(
            pairs(BERRY).expect("parses"),
            expect(&[
                ("@babel/core", "7.24.4"),
                ("debug", "4.3.4"),
                ("lodash", "4.17.15"),
                ("lodash", "4.17.4"),
                ("ms", "2.1.2"),
                ("resolve", "1.22.8"),
            ])
        );
        let pkgs = LOCKFILES
            .analyze(
                &FileInfo {
                    path: "app/yarn.lock",
                    size: BERRY.len() as u64,
                    executable: false,
                },
                &mut BERRY.as_bytes(),
            )
            .expect("parses");
        assert!(pkgs.iter().all(|p| p.kind.name() == "yarn"));
        assert_eq!(pkgs.len(), 6);
    }

    #[test]
    fn requests_and_resolutions() {
        assert_eq!(first_request(r#""a@^1", "a@^2""#), "a@^1");
        assert_eq!(first_request(r#""a@npm:^1, a@npm:^2""#), "a@npm:^1");
        assert_eq!(first_request("a@^1, a@^2"), "a@^1");
        assert_eq!(classic_name("@s/a@^1"), Some("@s/a"));
        assert_eq!(classic_name("a@npm:@s/b@^1"), Some("@s/b"));
        assert_eq!(classic_name("a@npm:^1"), Some("a"));
        assert_eq!(classic_name("a@"), Some("a"));
        assert_eq!(classic_name("a"), Some("a"));
        assert_eq!(classic_name(""), None);
        assert_eq!(classic_name("a@link:../a"), None);
        assert_eq!(classic_name("a@https://example.com/a.tgz"), None);
        assert_eq!(classic_name("a@git@github.com:u/a"), None);
        assert_eq!(berry_name("@s/a@npm:1.0.0"), Some("@s/a"));
        assert_eq!(berry_name("a@workspace:packages/a"), None);
        assert_eq!(berry_name("@"), None);
        assert_eq!(excerpt(&"é".repeat(100)).chars().count(), 80);
    }

    #[test]
    fn malformed_lockfiles_say_what_is_wrong() {
        for (text, says) in [
            ("hello world\n", "line 1: expected an entry header"),
            (
                "# yarn lockfile v1\n\na@^1:\n  version \"1\"\nb@^2\n",
                "line 5",
            ),
            (
                "  version \"1.0.0\"\n",
                "line 1: indented line before the first entry",
            ),
            (
                "a@^1:\n  resolved \"x\"\n\nb@^1:\n  version \"1\"\n",
                "line 1: entry `a@^1` has no version",
            ),
            (
                "a@^1:\n  resolved \"x\"\n  dependencies:\n    version \"1\"\n",
                "has no version",
            ),
            ("{\"lockfileVersion\": 3}\n", "expected an entry header"),
        ] {
            let err = pairs(text).expect_err(text);
            assert!(err.contains(says), "{text:?}: {err}");
        }
        assert_eq!(pairs("").expect("empty"), expect(&[]));
        assert_eq!(pairs("# yarn lockfile v1\n\n").expect("empty"), expect(&[]));
        let got = LOCKFILES.analyze(
            &FileInfo {
                path: "yarn.lock",
                size: 3,
                executable: false,
            },
            &mut &b"\xff\xfe:"[..],
        );
        assert!(
            matches!(&got, Err(crate::AnalyzeError::Skip(m)) if m.contains("UTF-8")),
            "{got:?}"
        );
    }
}
