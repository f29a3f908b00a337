//! The rpm database: sqlite `rpmdb.sqlite` (EL9, Fedora), BerkeleyDB `Packages` (EL7/8,
//! Amazon Linux 2) and NDB `Packages.db` (SUSE), under `var/lib/rpm` or `usr/lib/sysimage/rpm`.
//!
//! The database is read whole from the layer stream (it needs random access) by
//! `palisade-rpmdb`'s own page readers, and only its packages and their files are kept. Versions
//! are rpm's EVR, `[epoch:]version-release`, as advisories write them; the source package comes
//! from `SOURCERPM` with the binary's epoch, as Trivy does.

use std::io::Read;

use palisade_ecosystem::{Ecosystem, PackageType, rows, types};
use palisade_rpmdb::{DbFormat, RpmPackage};

use crate::Package;
use crate::analyzer::{Analysis, AnalyzeError, FileAnalyzer, FileInfo, read_bounded};

/// Largest database read into memory. A full Fedora workstation's `rpmdb.sqlite` is around
/// 100 MiB and container images' are a few MiB; the limit only stops hostile files.
const MAX_RPMDB: u64 = 256 << 20;

/// The rpm analyzer.
pub struct Rpmdb;

/// The registered instance.
pub static RPMDB: Rpmdb = Rpmdb;

impl FileAnalyzer for Rpmdb {
    fn name(&self) -> &'static str {
        "rpm"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, file: &FileInfo<'_>) -> bool {
        DbFormat::from_path(file.path).is_some()
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
        let Some(format) = DbFormat::from_path(file.path) else {
            return Ok(Analysis::default());
        };
        let data = read_bounded(file, content, MAX_RPMDB)?;
        // An empty file where rpm keeps a database is what `rpm --initdb` leaves behind in
        // images that never installed anything: no packages, nothing to warn about.
        if data.is_empty() {
            return Ok(Analysis::default());
        }
        let read =
            palisade_rpmdb::read(format, &data).map_err(|e| AnalyzeError::skip(e.to_string()))?;
        let warnings = read.warnings;
        let mut files = Vec::new();
        let packages = read
            .packages
            .into_iter()
            .map(|p| {
                files.extend(p.files.iter().filter_map(|f| palisade_vfs::normalize(f)));
                package(p, file.path)
            })
            .collect();
        Ok(Analysis {
            packages,
            owned: files,
            warnings,
        })
    }
}

/// A package as the rest of Palisade sees it.
fn package(p: RpmPackage, path: &str) -> Package {
    // Epoch 0 is no epoch: rpm and Trivy print `3.0.7-24.el9`, and so do advisories.
    let epoch = p.epoch.filter(|e| *e != 0).map(|e| format!("{e}:"));
    let version = format!(
        "{}{}-{}",
        epoch.as_deref().unwrap_or_default(),
        p.version,
        p.release
    );
    let (source_name, source_version) = match p.source() {
        Some((name, ver, rel)) => (
            name,
            format!("{}{ver}-{rel}", epoch.as_deref().unwrap_or_default()),
        ),
        None => (p.name.clone(), version.clone()),
    };
    Package {
        name: p.name,
        version,
        arch: p.arch,
        source_name,
        source_version,
        ecosystem: Ecosystem::of(&rows::REDHAT),
        kind: PackageType::of(&types::RPM),
        path: path.to_string(),
        modularity_label: p.modularity_label.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpm(name: &str, epoch: Option<u32>, srpm: &str) -> RpmPackage {
        RpmPackage {
            name: name.into(),
            epoch,
            version: "3.0.7".into(),
            release: "24.el9".into(),
            arch: "x86_64".into(),
            source_rpm: srpm.into(),
            modularity_label: String::new(),
            license: String::new(),
            vendor: String::new(),
            size: 0,
            files: vec!["/usr/lib64/libssl.so.3".into()],
        }
    }

    #[test]
    fn evr_and_source_with_the_binary_epoch() {
        let p = package(
            rpm("openssl-libs", Some(1), "openssl-3.0.7-24.el9.src.rpm"),
            "var/lib/rpm/rpmdb.sqlite",
        );
        assert_eq!(p.version, "1:3.0.7-24.el9");
        assert_eq!(
            (p.source_name.as_str(), p.source_version.as_str()),
            ("openssl", "1:3.0.7-24.el9")
        );
        let q = package(rpm("x", None, ""), "var/lib/rpm/Packages");
        assert_eq!(
            (q.version.as_str(), q.source_name.as_str()),
            ("3.0.7-24.el9", "x")
        );
        assert_eq!(q.kind.name(), "rpm");
    }

    #[test]
    fn wanted_paths_and_hostile_bytes() {
        let info = |path| FileInfo {
            path,
            size: 4,
            executable: false,
        };
        assert!(RPMDB.wants(&info("var/lib/rpm/rpmdb.sqlite")));
        assert!(RPMDB.wants(&info("usr/lib/sysimage/rpm/Packages.db")));
        assert!(!RPMDB.wants(&info("var/lib/apt/lists/Packages")));
        let err = RPMDB
            .analyze(&info("var/lib/rpm/Packages"), &mut &b"junk"[..])
            .unwrap_err();
        assert!(err.to_string().contains("BerkeleyDB"), "{err}");
    }
}
