//! `Gemfile.lock`, Bundler's lockfile.
//!
//! The file is a list of sections, each an unindented header followed by indented lines:
//!
//! ```text
//! GIT
//!   remote: https://github.com/rails/rails.git
//!   revision: 0123…
//!   specs:
//!     rails (7.1.0.alpha)
//!       actionpack (= 7.1.0.alpha)
//!
//! GEM
//!   remote: https://rubygems.org/
//!   specs:
//!     nokogiri (1.13.10-x86_64-linux)
//!       racc (~> 1.4)
//!
//! PLATFORMS
//!   x86_64-linux
//!
//! DEPENDENCIES
//!   rails!
//! ```
//!
//! The source sections (`GEM`, `GIT`, `PATH`, and `PLUGIN SOURCE`) list what was resolved
//! under `  specs:`, one `name (version)` line at four spaces; the six-space lines below each
//! are its dependencies' requirements, not packages. A gem resolved for several platforms
//! appears once per platform, its version followed by `-platform`
//! (`nokogiri (1.13.10-x86_64-linux)`); the version is the part before the first `-`, which is
//! unambiguous because Bundler writes versions as `Gem::Version` prints them, where a `-` has
//! already become `.pre.`.
//!
//! Packages of every source section are listed, the application itself (a `PATH` with
//! `remote: .`) included, and a name that appears more than once is listed once, with the
//! version of its last line; all as Trivy 0.76 does. The lockfile says nothing about Gemfile
//! groups, so development gems are listed too (Trivy does not mark them either).

use std::collections::BTreeMap;

/// The source sections, whose `specs:` name packages.
const SOURCES: &[&str] = &["GEM", "GIT", "PATH", "PLUGIN SOURCE"];

/// Where the reader is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before any section, or in one that names no packages (`PLATFORMS`, `DEPENDENCIES`, …).
    Other,
    /// In a source section, before its `specs:`.
    Source,
    /// In a source section's `specs:` list.
    Specs,
}

/// Every package of a lockfile as (name, version), one per name, sorted by name.
pub(super) fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found: BTreeMap<&str, &str> = BTreeMap::new();
    let mut state = State::Other;
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            state = if SOURCES.contains(&line.trim_end()) {
                State::Source
            } else {
                State::Other
            };
            continue;
        }
        if state == State::Other {
            continue;
        }
        let body = line.trim_start_matches(' ');
        match line.len() - body.len() {
            2 => {
                state = if body.trim_end() == "specs:" {
                    State::Specs
                } else {
                    State::Source
                };
            }
            4 if state == State::Specs && !body.starts_with('\t') => {
                let (name, version) = spec(body.trim_end()).ok_or_else(|| {
                    format!(
                        "line {}: expected `name (version)`, found `{}`",
                        i + 1,
                        super::excerpt(body)
                    )
                })?;
                found.insert(name, version);
            }
            _ => {}
        }
    }
    Ok(found
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect())
}

/// `name (version[-platform])` → (name, version).
fn spec(body: &str) -> Option<(&str, &str)> {
    let (name, rest) = body.split_once(' ')?;
    let inner = rest.trim_start().strip_prefix('(')?.strip_suffix(')')?;
    let version = inner.split_once('-').map_or(inner, |(v, _platform)| v);
    let bad = |s: &str| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control());
    if bad(name) || bad(version) || inner.contains(['(', ')']) {
        return None;
    }
    Some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn expect(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// What Bundler 2.3 writes (`bundle lock`), with GIT and PATH sources and a group of
    /// development gems (which the lockfile does not mark).
    const BUNDLER: &str = "GIT
  remote: /tmp/rbw/gitgem
  revision: 26ab2e04a88ff75a5c8d863967c91fb54b6fb52c
  specs:
    gitgem (3.4.5)

PATH
  remote: ../pathgem
  specs:
    pathgem (0.0.1)

GEM
  remote: https://rubygems.org/
  specs:
    devonly (0.1.0)
    hello (1.2.3)
    world (2.0.0.rc1)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  devonly
  gitgem!
  hello (~> 1.2)
  pathgem!
  world (= 2.0.0.rc1)

BUNDLED WITH
   2.3.15
";

    /// Platform variants, dependency lines, several GEM sections, a plugin source and the
    /// sections Bundler 2.5 adds.
    const PLATFORMS: &str = "GIT
  remote: https://github.com/rails/rails.git
  revision: 0123456789abcdef0123456789abcdef01234567
  branch: main
  specs:
    actionpack (7.1.0.alpha)
      rack (>= 2.2.4)
    rails (7.1.0.alpha)
      actionpack (= 7.1.0.alpha)

PATH
  remote: .
  specs:
    myapp (0.1.0)
      rails

GEM
  remote: https://rubygems.org/
  specs:
    mini_portile2 (2.8.0)
    nokogiri (1.13.10)
      mini_portile2 (~> 2.8.0)
      racc (~> 1.4)
    nokogiri (1.13.10-x86_64-linux)
      racc (~> 1.4)
    nokogiri (1.13.10-arm64-darwin)
      racc (~> 1.4)
    racc (1.6.1)
    sqlite3 (1.5.4-x86_64-linux-gnu)
    ffi (1.15.5-java)

GEM
  remote: https://gems.example/
  specs:
    private_gem (5.5.5)

PLUGIN SOURCE
  remote: https://plug.example/
  type: mytype
  specs:
    plugged (0.1)

PLATFORMS
  arm64-darwin
  ruby
  x86_64-linux

DEPENDENCIES
  myapp!
  nokogiri
  rails!

CHECKSUMS
  racc (1.6.1) sha256=abc

RUBY VERSION
   ruby 3.1.2p20

BUNDLED WITH
   2.5.3
";

    #[test]
    fn reads_every_source_section() {
        assert_eq!(
            ok(BUNDLER),
            expect(&[
                ("devonly", "0.1.0"),
                ("gitgem", "3.4.5"),
                ("hello", "1.2.3"),
                ("pathgem", "0.0.1"),
                ("world", "2.0.0.rc1"),
            ])
        );
        assert_eq!(
            ok(PLATFORMS),
            expect(&[
                ("actionpack", "7.1.0.alpha"),
                ("ffi", "1.15.5"),
                ("mini_portile2", "2.8.0"),
                ("myapp", "0.1.0"),
                ("nokogiri", "1.13.10"),
                ("plugged", "0.1"),
                ("private_gem", "5.5.5"),
                ("racc", "1.6.1"),
                ("rails", "7.1.0.alpha"),
                ("sqlite3", "1.5.4"),
            ])
        );
        assert_eq!(ok(&BUNDLER.replace('\n', "\r\n")), ok(BUNDLER));
        assert_eq!(ok(&format!("\u{feff}{BUNDLER}")), ok(BUNDLER));
    }

    #[test]
    fn a_repeated_name_keeps_its_last_version() {
        let text = "GEM\n  specs:\n    ccc (3.1)\n    ccc (3.0)\n    zzz (1.0)\n";
        assert_eq!(ok(text), expect(&[("ccc", "3.0"), ("zzz", "1.0")]));
    }

    #[test]
    fn only_four_space_lines_of_specs_are_packages() {
        let text = "    before (1.0)
GEM
  remote: https://rubygems.org/
    nospecs (1.0)
  specs:
    yes (1.0)
      dep (2.0)
        deeper (3.0)
\ttabbed (1.0)
     five (1.0)
    spaced  (1.0)
    trailing (1.0)   \n
PLATFORMS
  ruby
    inplat (1.0)
";
        assert_eq!(
            ok(text),
            expect(&[("spaced", "1.0"), ("trailing", "1.0"), ("yes", "1.0")])
        );
        // No trailing newline.
        assert_eq!(ok("GEM\n  specs:\n    x (1.0)"), expect(&[("x", "1.0")]));
        assert_eq!(ok(""), expect(&[]));
    }

    #[test]
    fn malformed_spec_lines_name_the_line() {
        for bad in [
            "nover",
            "bad (",
            "bad ()",
            "wsp ( 1.0 )",
            "bang (1.0)!",
            "x (-linux)",
            "x ((1.0))",
            "x (1.0",
        ] {
            let text = format!("GEM\n  specs:\n    {bad}\n");
            let err = parse(&text).expect_err(bad);
            assert!(
                err.starts_with("line 3: expected `name (version)`"),
                "{bad}: {err}"
            );
        }
    }
}
