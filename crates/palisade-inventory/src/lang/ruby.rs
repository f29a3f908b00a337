//! Ruby: installed gems (their specifications) and Bundler's `Gemfile.lock`.
//!
//! Two analyzers, because Trivy reports them as two kinds of result: installed gems are one
//! aggregate `Ruby` result ([`GEMSPEC`], `gemspec`), while each `Gemfile.lock` ([`GEMFILE_LOCK`],
//! `bundler`) is a result of its own, named by its path.
//!
//! # Installed gems
//!
//! RubyGems records every installed gem as a Ruby file, `<gem home>/specifications/<name>-<version>.gemspec`:
//! `/usr/local/bundle/specifications` in the official `ruby` images, `/var/lib/gems/3.1.0/…` for
//! `gem install` on Debian, `/usr/lib/ruby/gems/3.1.0/specifications/default/` for the default
//! gems that come with Ruby itself (`json`, `openssl`, `bundler`, …), and
//! `/usr/share/rubygems-integration/all/specifications` for Debian's `ruby-*` packages. Any
//! `*.gemspec` below a `specifications` folder is read (see [`gemspec`] for how, without
//! evaluating Ruby). A `*.gemspec` elsewhere is a gem's source, not an installed gem, and is
//! left alone.
//!
//! What Trivy 0.76 does with the same files, observed on a scratch root file system (Debian
//! 12's `ruby` plus gems installed with `gem install --local`) with `trivy rootfs` and, packed
//! as a one-layer image, `trivy image`:
//!
//! - it lists default gems (`specifications/default/*.gemspec`) and Bundler's own
//!   specification like any other gem, so they are listed here too;
//! - it reads `specifications` folders at any depth, also nested ones
//!   (`specifications/sub/x.gemspec`), and so does this analyzer;
//! - the same gem installed in two gem homes is listed twice, once per file;
//! - in an image, specifications installed by Debian packages (`libruby3.1`'s default gems,
//!   `rake`, `ruby-*`) are left out, because dpkg says it installed them (Trivy takes this from
//!   `info/*.md5sums`; Palisade from `info/*.list`, which real images always have too). That
//!   is the layer walk's generic rule, and holds here because [`GEMSPEC`] wants those paths;
//!   `trivy rootfs` keeps them;
//! - it reads `name` and `version` only from plain quoted strings and reports anything else
//!   verbatim: `s.name = %q{oldgem}` (RubyGems 1.x specifications) becomes a gem named
//!   `%q{oldgem}`. Here the literal is read, so the name is `oldgem`; this is the one
//!   deliberate difference;
//! - it also reads `*.gemspec.bak` and the like below `specifications`; only `*.gemspec` is read
//!   here;
//! - specifications without a name or version, or that are not Ruby, are left out silently
//!   (here: left out with a warning naming the file).
//!
//! Syft 1.18 lists the same installed gems (default gems included) but also reads `*.gemspec`
//! files anywhere (a gem's source tree), and skips `%q{…}` names.
//!
//! Licences (`s.licenses = […]`, which Trivy reports) are not read: packages carry no licence
//! field yet.
//!
//! # `Gemfile.lock`
//!
//! Trivy 0.76 reads `Gemfile.lock` only in filesystem scans (`trivy fs`), not in images or root
//! file systems; Palisade reads it in images too, as it does the Python and Node.js lockfiles.
//! What is listed follows `trivy fs` (see [`bundler`]): every source section, platform
//! suffixes dropped, one package per name, development gems included (the lockfile does not say
//! which they are). Only the file name `Gemfile.lock` is read (not `gems.locked`), as Trivy.
//! Unlike Trivy, a `Gemfile.lock` inside an installed gem's folder (`…/gems/<gem>/Gemfile.lock`,
//! shipped by some gems) is skipped: it records the gem's own development setup, not what was
//! installed, as lockfiles inside `node_modules` are skipped for Node.js.

mod bundler;
mod gemspec;

use std::io::Read;

use palisade_ecosystem::{PackageType, types};

use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package, read_bounded};

/// Installed gems, from `specifications/*.gemspec`.
pub static GEMSPEC: Gemspec = Gemspec;
/// Bundler's `Gemfile.lock`.
pub static GEMFILE_LOCK: GemfileLock = GemfileLock;

/// Analyzer of installed gem specifications ([`GEMSPEC`]).
pub struct Gemspec;

/// Analyzer of `Gemfile.lock` ([`GEMFILE_LOCK`]).
pub struct GemfileLock;

/// Largest specification read. RubyGems writes a few KiB (installed specifications leave out
/// the file lists); the largest, with long descriptions, stay far below this.
const MAX_GEMSPEC: u64 = 4 << 20;
/// Largest `Gemfile.lock` read. Large applications' lockfiles are some tens of KiB.
const MAX_LOCKFILE: u64 = 16 << 20;

const LOCKFILE: &str = "Gemfile.lock";

/// Whether `path` is a `*.gemspec` below a folder named `specifications`.
fn is_installed_spec(path: &str) -> bool {
    path.ends_with(".gemspec")
        && (path.starts_with("specifications/") || path.contains("/specifications/"))
}

/// Whether `path` is a `Gemfile.lock` outside an installed gem's folder.
fn is_lockfile(path: &str) -> bool {
    let Some(dir) = path
        .strip_suffix(LOCKFILE)
        .filter(|d| d.is_empty() || d.ends_with('/'))
    else {
        return false;
    };
    // `<gem home>/gems/<gem>/Gemfile.lock` (also Bundler's `bundler/gems/<checkout>/`).
    let parent = dir.strip_suffix('/').unwrap_or(dir);
    let above = parent.rsplit_once('/').map_or("", |(above, _)| above);
    !(above == "gems" || above.ends_with("/gems"))
}

/// Up to 60 characters of `s`, for messages quoting hostile input.
fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// The file as text; specifications and lockfiles are UTF-8 (`# -*- encoding: utf-8 -*-`).
fn text(data: &[u8]) -> Result<&str, AnalyzeError> {
    std::str::from_utf8(data).map_err(|e| AnalyzeError::skip(format!("not UTF-8: {e}")))
}

impl FileAnalyzer for Gemspec {
    fn name(&self) -> &'static str {
        "gemspec"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        is_installed_spec(file.path)
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let data = read_bounded(file, content, MAX_GEMSPEC)?;
        let (name, version) = gemspec::parse(text(&data)?).map_err(AnalyzeError::skip)?;
        Ok(vec![Package::lang(
            PackageType::of(&types::GEMSPEC),
            &name,
            &version,
            file.path,
        )])
    }
}

impl FileAnalyzer for GemfileLock {
    fn name(&self) -> &'static str {
        "bundler"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        is_lockfile(file.path)
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let data = read_bounded(file, content, MAX_LOCKFILE)?;
        let kind = PackageType::of(&types::BUNDLER);
        Ok(bundler::parse(text(&data)?)
            .map_err(AnalyzeError::skip)?
            .iter()
            .map(|(name, version)| Package::lang(kind, name, version, file.path))
            .collect())
    }
}

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

    /// One path each analyzer wants, per kind of file it reads.
    const WANTED: &[(&str, &dyn FileAnalyzer)] = &[
        (
            "usr/local/bundle/specifications/rack-2.2.4.gemspec",
            &GEMSPEC,
        ),
        (
            "var/lib/gems/3.1.0/specifications/hello-1.2.3.gemspec",
            &GEMSPEC,
        ),
        (
            "usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec",
            &GEMSPEC,
        ),
        (
            "usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec",
            &GEMSPEC,
        ),
        ("specifications/x-1.gemspec", &GEMSPEC),
        ("app/Gemfile.lock", &GEMFILE_LOCK),
        ("Gemfile.lock", &GEMFILE_LOCK),
        ("srv/gems-app/Gemfile.lock", &GEMFILE_LOCK),
    ];

    #[test]
    fn each_analyzer_wants_its_files_and_no_other() {
        let all: [&dyn FileAnalyzer; 2] = [&GEMSPEC, &GEMFILE_LOCK];
        for (path, owner) in WANTED {
            for a in all {
                let same = a.name() == owner.name();
                assert_eq!(a.wants(&info(path, 1)), same, "{} on {path}", a.name());
            }
        }
        for path in [
            "src/foo/foo.gemspec",
            "usr/local/bundle/gems/rack-2.2.4/rack.gemspec",
            "usr/local/bundle/specifications/x.gemspec.bak",
            "usr/local/bundle/specifications",
            "xspecifications/x.gemspec",
            "app/Gemfile",
            "app/gems.locked",
            "app/Gemfile.lock.bak",
            "app/MyGemfile.lock",
            "usr/local/bundle/gems/foo-1.0/Gemfile.lock",
            "usr/local/bundle/bundler/gems/bar-0123abc/Gemfile.lock",
            "gems/foo-1.0/Gemfile.lock",
            "app/vendor/bundle/ruby/3.1.0/gems/baz-2.0/Gemfile.lock",
        ] {
            for a in all {
                assert!(!a.wants(&info(path, 1)), "{} wants {path}", a.name());
            }
        }
        assert_ne!(GEMSPEC.name(), GEMFILE_LOCK.name());
    }

    fn run(a: &dyn FileAnalyzer, path: &str, data: &[u8]) -> Result<Vec<Package>, AnalyzeError> {
        a.analyze(&info(path, data.len() as u64), &mut &data[..])
    }

    #[test]
    fn packages_carry_type_ecosystem_and_path() {
        let path = "usr/local/bundle/specifications/rack-2.2.4.gemspec";
        let spec = b"Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.4\"\nend\n";
        let p = run(&GEMSPEC, path, spec).expect("parses");
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("rack", "2.2.4")
        );
        assert_eq!(p[0].kind.name(), "gemspec");
        assert_eq!(p[0].ecosystem.osv_name(), "RubyGems");
        assert_eq!(p[0].path, path);

        let lock = b"GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.4)\n    nokogiri (1.13.10-x86_64-linux)\n";
        let p = run(&GEMFILE_LOCK, "app/Gemfile.lock", lock).expect("parses");
        let got: Vec<_> = p
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.kind.name(),
                    p.path.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("nokogiri", "1.13.10", "bundler", "app/Gemfile.lock"),
                ("rack", "2.2.4", "bundler", "app/Gemfile.lock")
            ]
        );
        assert_eq!(p[0].ecosystem.osv_name(), "RubyGems");
    }

    #[test]
    fn unusable_files_are_skipped_with_a_reason() {
        let path = "usr/local/bundle/specifications/x-1.gemspec";
        match run(&GEMSPEC, path, b"\xff\xfe") {
            Err(AnalyzeError::Skip(m)) => assert!(m.contains("UTF-8"), "{m}"),
            other => panic!("{other:?}"),
        }
        match run(
            &GEMFILE_LOCK,
            "Gemfile.lock",
            b"GEM\n  specs:\n    broken\n",
        ) {
            Err(AnalyzeError::Skip(m)) => assert!(m.contains("line 3"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    /// A reader that fails the test if it is read: proves a size check happened first.
    struct MustNotRead;
    impl Read for MustNotRead {
        fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
            panic!("the content of an oversized file was read")
        }
    }

    #[test]
    fn oversized_files_are_refused_unread() {
        for (path, a) in WANTED {
            match a.analyze(&info(path, 1 << 30), &mut MustNotRead) {
                Err(AnalyzeError::Skip(m)) => assert!(m.contains("limit"), "{path}: {m}"),
                other => panic!("{path}: {other:?}"),
            }
        }
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("abc"), "abc");
        let long = "é".repeat(100);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), 61);
        assert!(e.ends_with('…'));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Hostile bytes under every wanted name end in packages or a Skip, never a panic or
        /// an I/O error.
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for (path, a) in WANTED {
                let r = run(*a, path, &data);
                prop_assert!(!matches!(r, Err(AnalyzeError::Io(_))), "{path}: {r:?}");
            }
        }

        /// The same for text that looks a little like each format.
        #[test]
        fn near_miss_text_never_panics(
            lines in proptest::collection::vec(
                "(Gem::Specification\\.new (do|\\{) \\|[sx ]{0,2}\\||  s\\.(name|version) ?= ?(%[qQ]?[{(<\\[|]|[\"'])[a-z0-9.{}()<>\\[\\]|\\\\#\"' -]{0,8}(\\.freeze)?|GEM|GIT|PATH|PLATFORMS|  specs:|    [a-z]{0,3} ?\\(?[0-9.a-z-]{0,6}\\)?|      [a-z]{1,3} \\(~> 1\\)|[ \t]{0,6}[#a-z()\\-]{0,5}|)",
                0..12,
            )
        ) {
            let text = lines.join("\n");
            for (path, a) in WANTED {
                let r = run(*a, path, text.as_bytes());
                prop_assert!(!matches!(r, Err(AnalyzeError::Io(_))), "{path}: {r:?}");
                if let Ok(pkgs) = r {
                    for p in pkgs {
                        prop_assert!(!p.name.is_empty() && !p.version.is_empty(), "{:?}", p);
                    }
                }
            }
        }

        /// Whatever name and version a specification assigns with a quoted literal are read
        /// back exactly.
        #[test]
        fn quoted_names_and_versions_round_trip(
            name in "[A-Za-z0-9_.-]{1,20}",
            version in "[0-9]{1,3}(\\.[0-9a-z]{1,4}){0,3}",
            style in 0usize..4,
        ) {
            let quote = |s: &str| match style {
                0 => format!("\"{s}\".freeze"),
                1 => format!("'{s}'"),
                2 => format!("%q{{{s}}}"),
                _ => format!("%Q[{s}].freeze"),
            };
            let text = format!(
                "# -*- encoding: utf-8 -*-\nGem::Specification.new do |s|\n  s.name = {}\n  s.version = {}\nend\n",
                quote(&name),
                quote(&version)
            );
            let p = run(&GEMSPEC, "a/specifications/x.gemspec", text.as_bytes())
                .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(p.len(), 1);
            prop_assert_eq!(&p[0].name, &name);
            prop_assert_eq!(&p[0].version, &version);
        }

        /// Every `name (version-platform)` line of a GEM section is read back, platform dropped.
        #[test]
        fn lockfile_specs_round_trip(
            gems in proptest::collection::btree_map("[a-z][a-z0-9_-]{0,10}", ("[0-9]{1,3}(\\.[0-9a-z]{1,4}){0,3}", prop::option::of("[a-z0-9_]{1,10}")), 0..20)
        ) {
            let mut text = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
            for (name, (version, platform)) in &gems {
                let suffix = platform.as_ref().map(|p| format!("-{p}")).unwrap_or_default();
                text.push_str(&format!("    {name} ({version}{suffix})\n      dep (>= 1)\n"));
            }
            let p = run(&GEMFILE_LOCK, "Gemfile.lock", text.as_bytes())
                .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            let got: Vec<(String, String)> = p.into_iter().map(|p| (p.name, p.version)).collect();
            let want: Vec<(String, String)> =
                gems.into_iter().map(|(n, (v, _))| (n, v)).collect();
            prop_assert_eq!(got, want);
        }
    }
}
