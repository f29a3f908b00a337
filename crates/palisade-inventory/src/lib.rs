//! Finds the operating system and the installed packages in an image's file tree.
//!
//! Analyzers declare the paths they read through [`interest`], so the layer walker keeps only
//! those files; [`analyze`] then reads the merged [`FileTree`]. Splitting the two keeps the layer
//! walk a single pass whatever the number of analyzers.

mod dpkg;
mod os;

pub use dpkg::{DpkgError, parse_status};
pub use os::{OsFamily, OsInfo, detect_os};

use palisade_vfs::{FileTree, PathInterest};
use serde::{Deserialize, Serialize};

/// Where a package record came from; decides which version scheme and advisory keys apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    /// A Debian/Ubuntu binary package from the dpkg database.
    Deb,
}

/// One installed package. Advisories for Debian and Ubuntu are keyed by source package, so the
/// source name and version are always filled (with the binary's own when dpkg records none).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    /// Binary package name, e.g. `libssl3`.
    pub name: String,
    /// Installed binary version, e.g. `3.0.15-1~deb12u1`.
    pub version: String,
    /// dpkg architecture, e.g. `amd64` or `all`.
    pub arch: String,
    /// Source package name, e.g. `openssl`.
    pub source_name: String,
    /// Source package version; differs from `version` for binNMUs and some multi-binary sources.
    pub source_version: String,
    /// The package database it was read from.
    pub kind: PackageKind,
    /// The file in the image that recorded it, e.g. `var/lib/dpkg/status`.
    pub db_path: String,
}

/// What an image contains, as far as vulnerability matching is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The detected operating system, if any.
    pub os: Option<OsInfo>,
    /// Installed OS packages, sorted by name, version and architecture.
    pub packages: Vec<Package>,
}

/// Why an image's files could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The dpkg database exists but is not a valid control file.
    #[error("{path}: {source}")]
    Dpkg {
        path: String,
        #[source]
        source: DpkgError,
    },
}

const DPKG_STATUS: &str = "var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d";

/// Every path the analyzers of this crate read.
pub fn interest() -> PathInterest {
    os::interest().file(DPKG_STATUS).dir(DPKG_STATUS_D)
}

/// Reads the OS and packages from a merged file tree.
pub fn analyze(tree: &FileTree) -> Result<Inventory, InventoryError> {
    let os = detect_os(tree);
    let mut packages = Vec::new();
    if let Some(data) = tree.read(DPKG_STATUS) {
        packages.extend(parse_status(data, DPKG_STATUS).map_err(|source| {
            InventoryError::Dpkg {
                path: DPKG_STATUS.to_string(),
                source,
            }
        })?);
    }
    // Distroless images have no status file, but one control file per package in status.d
    // (plus `.md5sums` files that are not control data).
    for (name, data) in tree.read_dir(DPKG_STATUS_D) {
        if name.ends_with(".md5sums") {
            continue;
        }
        let path = format!("{DPKG_STATUS_D}/{name}");
        packages.extend(
            parse_status(data, &path).map_err(|source| InventoryError::Dpkg {
                path: path.clone(),
                source,
            })?,
        );
    }
    packages.sort();
    packages.dedup();
    Ok(Inventory { os, packages })
}
