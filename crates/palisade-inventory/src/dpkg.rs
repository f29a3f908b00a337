//! The dpkg database: `var/lib/dpkg/status` and distroless `var/lib/dpkg/status.d/*`.

use crate::Package;
use palisade_ecosystem::{Ecosystem, PackageType, types};

/// Why a dpkg control file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DpkgError {
    /// A line is neither `Field: value`, a continuation, nor a paragraph break. dpkg itself refuses
    /// such a file, so we do too rather than guess at package boundaries.
    #[error("line {line}: expected `Field: value`, found {found:?}")]
    Syntax { line: usize, found: String },
    /// The `Source:` field has an unbalanced version in parentheses.
    #[error("line {line}: malformed Source field {found:?}")]
    Source { line: usize, found: String },
}

#[derive(Default)]
struct Paragraph<'a> {
    first_line: usize,
    package: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    status: Option<&'a str>,
    source: Option<&'a str>,
}

/// Parses a dpkg control file holding one or more paragraphs and returns the installed packages.
/// `path` is recorded in each [`Package`] so findings can say where a package came from.
///
/// Packages whose `Status` says they are not installed (removed but with config files left, half
/// installed) are skipped, as dpkg would not run them. Paragraphs without a `Status` field (as in
/// distroless `status.d`) count as installed.
pub fn parse_status(data: &[u8], path: &str) -> Result<Vec<Package>, DpkgError> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    let mut para = Paragraph::default();
    let mut in_para = false;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            if in_para {
                finish(std::mem::take(&mut para), path, &mut out)?;
                in_para = false;
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            // A continuation of a multi-line field (Description, Conffiles). None of the fields
            // we read is multi-line, so continuations are skipped.
            if !in_para {
                return Err(DpkgError::Syntax {
                    line: line_no,
                    found: truncate(line),
                });
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some((field, value)) = line.split_once(':') else {
            return Err(DpkgError::Syntax {
                line: line_no,
                found: truncate(line),
            });
        };
        if !in_para {
            in_para = true;
            para.first_line = line_no;
        }
        let value = value.trim();
        match field.trim() {
            f if f.eq_ignore_ascii_case("Package") => para.package = Some(value),
            f if f.eq_ignore_ascii_case("Version") => para.version = Some(value),
            f if f.eq_ignore_ascii_case("Architecture") => para.arch = Some(value),
            f if f.eq_ignore_ascii_case("Status") => para.status = Some(value),
            f if f.eq_ignore_ascii_case("Source") => para.source = Some(value),
            _ => {}
        }
    }
    if in_para {
        finish(para, path, &mut out)?;
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn finish(p: Paragraph<'_>, path: &str, out: &mut Vec<Package>) -> Result<(), DpkgError> {
    let (Some(name), Some(version)) = (p.package, p.version) else {
        tracing::warn!(
            path,
            line = p.first_line,
            "dpkg paragraph without Package or Version; skipped"
        );
        return Ok(());
    };
    if let Some(status) = p.status {
        // "want flag status": only the last word says whether the files are on disk.
        if status.split_whitespace().last() != Some("installed") {
            return Ok(());
        }
    }
    let (source_name, source_version) = match p.source {
        None | Some("") => (name.to_string(), version.to_string()),
        Some(src) => match src.split_once('(') {
            None => (src.trim().to_string(), version.to_string()),
            Some((n, rest)) => {
                let v = rest
                    .trim()
                    .strip_suffix(')')
                    .ok_or_else(|| DpkgError::Source {
                        line: p.first_line,
                        found: truncate(src),
                    })?;
                (n.trim().to_string(), v.trim().to_string())
            }
        },
    };
    out.push(Package {
        name: name.to_string(),
        version: version.to_string(),
        arch: p.arch.unwrap_or_default().to_string(),
        source_name,
        source_version,
        ecosystem: Ecosystem::DEBIAN,
        kind: PackageType::of(&types::DPKG),
        path: path.to_string(),
        modularity_label: String::new(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.15-1~deb12u1
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation.
 .
 It provides the libssl and libcrypto shared libraries.

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: bash
Status: hold ok installed
Architecture: amd64
Version: 5.2.15-2+b7
Source: bash (5.2.15-2)
";

    #[test]
    fn reads_names_versions_and_sources() {
        let pkgs = parse_status(STATUS.as_bytes(), "var/lib/dpkg/status").unwrap();
        assert_eq!(pkgs.len(), 3, "{pkgs:?}");
        assert_eq!(pkgs[0].name, "libssl3");
        assert_eq!(pkgs[0].source_name, "openssl");
        assert_eq!(pkgs[0].source_version, "3.0.15-1~deb12u1");
        assert_eq!(pkgs[1].source_name, "gcc-12");
        assert_eq!(pkgs[1].source_version, "12.2.0-14");
        assert_eq!(pkgs[2].name, "bash");
        assert_eq!(pkgs[2].version, "5.2.15-2+b7");
        assert_eq!(pkgs[2].source_version, "5.2.15-2");
        assert_eq!(pkgs[2].arch, "amd64");
    }

    #[test]
    fn binary_without_source_is_its_own_source() {
        let pkgs = parse_status(
            b"Package: zlib1g\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n",
            "f",
        )
        .unwrap();
        assert_eq!(pkgs[0].source_name, "zlib1g");
        assert_eq!(pkgs[0].source_version, "1:1.2.13.dfsg-1");
    }

    #[test]
    fn distroless_paragraph_without_status_counts_as_installed() {
        let d = "Package: base-files\nVersion: 12.4+deb12u8\nArchitecture: amd64\r\n\r\n";
        let pkgs = parse_status(d.as_bytes(), "var/lib/dpkg/status.d/base").unwrap();
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].path, "var/lib/dpkg/status.d/base");
    }

    #[test]
    fn garbage_is_an_error_with_a_line_number() {
        let err = parse_status(b"Package: a\nVersion: 1\nthis is not a field\n", "f").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = parse_status(b" leading continuation\n", "f").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = parse_status(b"Package: a\nVersion: 1\nSource: x (1.0\n", "f").unwrap_err();
        assert!(matches!(err, DpkgError::Source { .. }), "{err}");
    }

    #[test]
    fn incomplete_paragraphs_are_skipped_and_binary_input_does_not_panic() {
        let pkgs = parse_status(b"Package: a\n\nVersion: 2\n", "f").unwrap();
        assert!(pkgs.is_empty());
        let noise: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let _ = parse_status(&noise, "f");
    }
}
