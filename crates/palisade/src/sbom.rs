//! `palisade sbom FILE`: match the packages a CycloneDX BOM lists, without the image.
//!
//! This is the inventory half of a split scan: a scan job writes the BOM with
//! `palisade image --format cyclonedx` (or Trivy does), and whoever holds the advisory database
//! matches it later. The report is the one `palisade image` would have given for the same
//! packages.

use crate::cli::SbomArgs;
use anyhow::{Context, Result, bail};
use palisade_report::Metadata;
use palisade_scan::{ReportOptions, Scanned};
use std::io::Read;

/// BOMs larger than this are refused before parsing: a real image's BOM is a few MiB, and
/// parsing JSON into a tree costs several times its size in memory.
pub const MAX_SBOM_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a file of at most `limit` bytes; a larger one is an error naming the file.
fn read_limited(path: &std::path::Path, limit: u64) -> Result<Vec<u8>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("opening SBOM {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("reading SBOM {}", path.display()))?;
    if meta.is_dir() {
        bail!("SBOM {} is a directory, not a file", path.display());
    }
    if meta.len() > limit {
        bail!(
            "SBOM {} is {} bytes, more than the {} MiB limit",
            path.display(),
            meta.len(),
            limit / (1024 * 1024)
        );
    }
    // The size may change between stat and read (or be unknown for a pipe): cap the read too.
    let mut data = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut data)
        .with_context(|| format!("reading SBOM {}", path.display()))?;
    if data.len() as u64 > limit {
        bail!(
            "SBOM {} is more than the {} MiB limit",
            path.display(),
            limit / (1024 * 1024)
        );
    }
    Ok(data)
}

/// Reads, matches and reports one SBOM.
pub fn scan_sbom(args: &SbomArgs) -> Result<Scanned> {
    let db_path = args.report.db.path()?;
    let db = palisade_advisory::Database::open(&db_path)?;
    let data = read_limited(&args.file, MAX_SBOM_BYTES)?;
    let sbom = palisade_report::read_inventory(&data)
        .with_context(|| format!("reading SBOM {}", args.file.display()))?;
    let name = args.file.display().to_string();
    if !args.report.quiet {
        if sbom.inventory.os.is_none() {
            tracing::warn!(sbom = %name, "the SBOM names no supported operating system; OS packages were not matched");
        }
        if sbom.skipped > 0 {
            tracing::warn!(sbom = %name, components = sbom.skipped, "components of no known ecosystem (no purl, or a purl type Palisade does not read) were not matched");
        }
    }
    let metadata = Metadata {
        os: None,
        image_id: sbom.image_id.unwrap_or_default(),
        diff_ids: sbom.diff_ids,
        repo_tags: sbom.repo_tags,
        repo_digests: sbom.repo_digests,
        platform: String::new(),
    };
    let filter = args.report.filter();
    Ok(palisade_scan::match_and_report(
        &db,
        metadata,
        sbom.inventory,
        &ReportOptions {
            artifact_name: &name,
            artifact_type: "cyclonedx",
            filter: &filter,
            list_all_pkgs: args.report.list_all_pkgs,
        },
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bom.json");
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read_limited(&p, 10).unwrap().len(), 10);
        let err = format!("{:#}", read_limited(&p, 9).unwrap_err());
        assert!(err.contains("bom.json") && err.contains("limit"), "{err}");
        let err = format!("{:#}", read_limited(dir.path(), 9).unwrap_err());
        assert!(err.contains("directory"), "{err}");
    }
}
