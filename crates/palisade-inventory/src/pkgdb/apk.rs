//! apk's installed database, `lib/apk/db/installed`: Alpine, Wolfi and Chainguard.
//!
//! The file is a list of stanzas separated by blank lines, one `X:value` field per line
//! (apk's "installed" format, the same letters as its APKINDEX). Palisade reads the package
//! (`P`), version (`V`), architecture (`A`), origin (`o`: the aports source package that
//! advisories name) and licence (`L`), and the installed files (`F` folders, each followed by
//! its `R` files), which make language metadata installed by apk (`py3-*`) an OS package's.

use std::io::Read;

use palisade_ecosystem::{Ecosystem, PackageType, rows, types};

use crate::Package;
use crate::analyzer::{Analysis, AnalyzeError, FileAnalyzer, FileInfo, read_bounded};

/// Where apk keeps its database.
pub const INSTALLED_PATH: &str = "lib/apk/db/installed";

/// Largest installed database read. A full Alpine desktop's is a few MiB; the limit only
/// stops hostile files.
const MAX_INSTALLED: u64 = 64 << 20;

/// The apk analyzer.
pub struct Installed;

/// The registered instance.
pub static INSTALLED: Installed = Installed;

impl FileAnalyzer for Installed {
    fn name(&self) -> &'static str {
        "apk"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, file: &FileInfo<'_>) -> bool {
        file.path == INSTALLED_PATH
    }
    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        self.analyze_detailed(file, content).map(|a| a.packages)
    }
    fn analyze_detailed(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Analysis, AnalyzeError> {
        let data = read_bounded(file, content, MAX_INSTALLED)?;
        let (packages, owned) = parse_installed(&data, file.path)?;
        Ok(Analysis {
            packages,
            owned,
            warnings: Vec::new(),
        })
    }
}

/// One stanza being read.
#[derive(Default)]
struct Stanza {
    name: String,
    version: String,
    arch: String,
    origin: String,
    dir: String,
}

/// Parses an installed database: its packages (sorted) and the files they installed.
///
/// A stanza without a name or version is not a package (apk writes both for every package);
/// it is skipped. Text that is not UTF-8 is read lossily, since names and versions are ASCII
/// and a stray byte in a description must not lose the whole database.
pub fn parse_installed(
    data: &[u8],
    path: &str,
) -> Result<(Vec<Package>, Vec<String>), AnalyzeError> {
    if data.contains(&0) {
        return Err(AnalyzeError::skip(
            "contains NUL bytes: not an apk installed database",
        ));
    }
    let text = String::from_utf8_lossy(data);
    let mut packages = Vec::new();
    let mut files = Vec::new();
    let mut cur = Stanza::default();
    let mut skipped = 0usize;
    let mut finish = |cur: &mut Stanza, packages: &mut Vec<Package>| {
        let s = std::mem::take(cur);
        if s.name.is_empty() && s.version.is_empty() {
            return;
        }
        if s.name.is_empty() || s.version.is_empty() {
            skipped += 1;
            return;
        }
        let source_name = if s.origin.is_empty() {
            s.name.clone()
        } else {
            s.origin
        };
        packages.push(Package {
            name: s.name,
            version: s.version.clone(),
            arch: s.arch,
            source_name,
            source_version: s.version,
            ecosystem: Ecosystem::of(&rows::ALPINE),
            kind: PackageType::of(&types::APK),
            path: path.to_string(),
            modularity_label: String::new(),
        });
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            finish(&mut cur, &mut packages);
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "P" => cur.name = value.to_string(),
            "V" => cur.version = value.to_string(),
            "A" => cur.arch = value.to_string(),
            "o" => cur.origin = value.to_string(),
            "F" => cur.dir = value.trim_matches('/').to_string(),
            "R" if !value.is_empty() && !value.contains('/') => {
                let full = if cur.dir.is_empty() {
                    value.to_string()
                } else {
                    format!("{}/{value}", cur.dir)
                };
                if let Some(p) = palisade_vfs::normalize(&full) {
                    files.push(p);
                }
            }
            _ => {}
        }
    }
    finish(&mut cur, &mut packages);
    if skipped > 0 {
        tracing::warn!(
            path,
            skipped,
            "apk stanzas without a package name or version were skipped"
        );
    }
    packages.sort();
    packages.dedup();
    Ok((packages, files))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DB: &str = "C:Q1abc=\nP:libcrypto1.1\nV:1.1.1d-r3\nA:x86_64\nS:1\nI:2\nT:Crypto library\n\
o:openssl\nL:OpenSSL\nF:lib\nR:libcrypto.so.1.1\nF:usr/lib\nR:libcrypto.so.1.1\n\n\
C:Q1def=\nP:musl\nV:1.1.24-r2\nA:x86_64\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\n\n\
P:broken\n\n";

    #[test]
    fn packages_origins_and_files() {
        let (pkgs, files) = parse_installed(DB.as_bytes(), INSTALLED_PATH).expect("parses");
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.arch.as_str(),
                    p.source_name.as_str(),
                    p.source_version.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "libcrypto1.1",
                    "1.1.1d-r3",
                    "x86_64",
                    "openssl",
                    "1.1.1d-r3"
                ),
                ("musl", "1.1.24-r2", "x86_64", "musl", "1.1.24-r2"),
            ]
        );
        assert_eq!(
            files,
            [
                "lib/libcrypto.so.1.1",
                "usr/lib/libcrypto.so.1.1",
                "lib/ld-musl-x86_64.so.1"
            ]
        );
        assert!(pkgs.iter().all(|p| p.kind.name() == "apk"));
    }

    #[test]
    fn nul_bytes_are_refused_with_a_reason() {
        let err = parse_installed(b"P:x\nV:1\0\n", INSTALLED_PATH).unwrap_err();
        assert!(err.to_string().contains("NUL"), "{err}");
    }

    proptest! {
        #[test]
        fn any_bytes_parse_without_panicking(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse_installed(&data, INSTALLED_PATH);
        }

        #[test]
        fn stanza_shaped_text_gives_one_package_per_complete_stanza(
            stanzas in proptest::collection::vec(("[a-z][a-z0-9.+-]{0,12}", "[0-9][0-9a-z._-]{0,10}", proptest::option::of("[a-z]{1,8}")), 0..20)
        ) {
            let mut text = String::new();
            for (n, v, o) in &stanzas {
                text.push_str(&format!("P:{n}\nV:{v}\n"));
                if let Some(o) = o { text.push_str(&format!("o:{o}\n")); }
                text.push('\n');
            }
            let (pkgs, _) = parse_installed(text.as_bytes(), INSTALLED_PATH).expect("parses");
            let mut want: Vec<_> = stanzas.iter().map(|(n, v, _)| (n.clone(), v.clone())).collect();
            want.sort();
            want.dedup();
            let mut got: Vec<_> = pkgs.iter().map(|p| (p.name.clone(), p.version.clone())).collect();
            got.sort();
            got.dedup();
            prop_assert_eq!(got, want);
        }
    }
}
