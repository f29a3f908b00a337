//! Finds the operating system and every package in an image's file tree.
//!
//! Two kinds of analyzers share one layer walk ([`interest`]):
//! - whole-file OS analyzers (os-release, the dpkg database) keep a few small files in the
//!   merged [`FileTree`] and read them together once all layers are applied ([`analyze`]);
//! - streaming [`FileAnalyzer`]s (lockfiles, installed language metadata, binaries) read each
//!   wanted file once as it streams past and leave a summary of its packages at its path.
//!
//! [`analyze`] then merges both: OS packages, plus every summarised package that no OS
//! package owns (a Python module installed by `python3-six` is reported once, as the Debian
//! package, as Trivy does).

mod analyzer;
mod dpkg;
pub mod lang;
mod os;
pub mod pkgdb;

pub use analyzer::{
    Analysis, AnalyzeError, Analyzers, FileAnalyzer, FileInfo, FileSummary, read_bounded,
};
pub use dpkg::{DpkgError, parse_status};
pub use os::{OsFamily, OsInfo, detect_os};
pub use palisade_ecosystem::types as package_types;
pub use palisade_ecosystem::{Class, Ecosystem, PackageType, Target};

use std::collections::BTreeSet;

use palisade_vfs::{FileTree, PathInterest};
use serde::{Deserialize, Serialize};

/// One package, from any ecosystem.
///
/// Distribution advisories are keyed by source package, so for OS packages the source name and
/// version are always filled (with the binary's own when dpkg records none). Language packages
/// have no source package and no architecture: those fields stay empty.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    /// Package name as its ecosystem writes it, e.g. `libssl3`, `Django`, `golang.org/x/text`.
    pub name: String,
    /// Installed version, e.g. `3.0.15-1~deb12u1`, `3.2.0`, `v0.3.7`.
    pub version: String,
    /// dpkg architecture, e.g. `amd64` or `all`; empty for language packages.
    #[serde(default)]
    pub arch: String,
    /// Source package name, e.g. `openssl`; empty for language packages.
    #[serde(default)]
    pub source_name: String,
    /// Source package version; differs from `version` for binNMUs and some multi-binary sources.
    #[serde(default)]
    pub source_version: String,
    /// The ecosystem whose advisories apply.
    pub ecosystem: Ecosystem,
    /// Where it was found (dpkg database, installed metadata, lockfile, binary): decides the
    /// report result it appears in.
    pub kind: PackageType,
    /// The file in the image that recorded it, e.g. `var/lib/dpkg/status`,
    /// `usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA`, `usr/local/bin/app`.
    pub path: String,
    /// The module stream an rpm was built for (`nodejs:18:8090020230810:a75119d5`); empty for
    /// everything else. Advisories for a module stream apply only to packages of modules.
    #[serde(default)]
    pub modularity_label: String,
}

impl Package {
    /// A language package: no architecture or source package; the ecosystem is its type's.
    pub fn lang(kind: PackageType, name: &str, version: &str, path: &str) -> Package {
        Package {
            name: name.to_string(),
            version: version.to_string(),
            arch: String::new(),
            source_name: String::new(),
            source_version: String::new(),
            // Every language type row names its ecosystem (a test of the table checks it);
            // PyPI is only the never-taken fallback.
            ecosystem: kind.row().ecosystem.unwrap_or(Ecosystem::PYPI),
            kind,
            path: path.to_string(),
            modularity_label: String::new(),
        }
    }

    /// The application it belongs to: the lockfile or binary that names it, or, for packages
    /// installed into a shared folder, that folder (`…/site-packages`, `…/node_modules`).
    pub fn application(&self) -> &str {
        match self.kind.target() {
            Target::Aggregate(_) => {
                let marker = ["/site-packages/", "/dist-packages/", "node_modules/"]
                    .iter()
                    .filter_map(|m| self.path.rfind(m).map(|i| i + m.len() - 1))
                    .max();
                marker.map_or(self.path.as_str(), |i| &self.path[..i])
            }
            _ => &self.path,
        }
    }
}

/// What an image contains, as far as vulnerability matching is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The detected operating system, if any.
    pub os: Option<OsInfo>,
    /// Every package: OS packages first, then language packages, each group sorted.
    pub packages: Vec<Package>,
    /// Files that could not be analysed, each naming the file and the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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

/// The whole-file paths of the OS analyzers.
fn os_paths() -> PathInterest {
    os::interest().file(DPKG_STATUS).dir(DPKG_STATUS_D)
}

/// What a scan reads: the OS analyzers' files plus every streaming analyzer of
/// [`pkgdb::ANALYZERS`] and [`lang::ANALYZERS`].
pub fn interest() -> Analyzers {
    let mut all = pkgdb::ANALYZERS.to_vec();
    all.extend_from_slice(lang::ANALYZERS);
    Analyzers::new(os_paths(), all)
}

/// OS packages only (`--pkg-types os`, and tests of the OS analyzers).
pub fn os_interest() -> Analyzers {
    Analyzers::new(os_paths(), pkgdb::ANALYZERS.to_vec())
}

/// Reads the OS and packages from a merged file tree.
pub fn analyze(tree: &FileTree) -> Result<Inventory, InventoryError> {
    let os = detect_os(tree);
    let mut packages = dpkg_packages(tree)?;
    let (os_found, lang, mut warnings) = summarised_packages(tree);
    packages.extend(os_found);
    // OS packages take the detected OS's ecosystem (`Ubuntu`, not the analyzer's guess);
    // a database of another format than the OS's (an rpm database on Debian, left by the
    // `rpm` package) is not the OS's package list, as in Trivy.
    let os_ecosystem = os.as_ref().and_then(OsInfo::package_ecosystem);
    packages.retain(|p| {
        let ours = os_ecosystem.is_none_or(|e| {
            p.kind
                .os_format()
                .is_some_and(|f| f.purl_type() == e.row().purl_type)
        });
        if !ours {
            tracing::debug!(path = %p.path, name = %p.name, "package database of another OS format ignored");
        }
        ours
    });
    if let Some(eco) = os_ecosystem {
        for p in &mut packages {
            p.ecosystem = eco;
        }
    }
    let formats: BTreeSet<&str> = packages.iter().map(|p| p.kind.name()).collect();
    if formats.len() > 1 {
        warnings.push(format!(
            "package databases of several formats found ({}); all their packages are listed",
            formats.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    packages.sort();
    packages.dedup();
    packages.extend(lang);
    Ok(Inventory {
        os,
        packages,
        warnings,
    })
}

/// The dpkg database: `status`, or distroless images' one control file per package in
/// `status.d` (plus `.md5sums` files that are not control data).
fn dpkg_packages(tree: &FileTree) -> Result<Vec<Package>, InventoryError> {
    let mut packages = Vec::new();
    if let Some(data) = tree.read(DPKG_STATUS) {
        packages.extend(parse_status(data, DPKG_STATUS).map_err(|source| {
            InventoryError::Dpkg {
                path: DPKG_STATUS.to_string(),
                source,
            }
        })?);
    }
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
    Ok(packages)
}

/// The packages of every summarised file, split into OS packages (package databases) and
/// language packages that no OS package owns, each sorted, and the warnings of every file
/// still visible in the merged tree.
fn summarised_packages(tree: &FileTree) -> (Vec<Package>, Vec<Package>, Vec<String>) {
    let mut owned: BTreeSet<String> = BTreeSet::new();
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let mut os = Vec::new();
    for (path, bytes) in tree.summaries() {
        let Some(summary) = FileSummary::decode(bytes) else {
            warnings.push(format!("{path}: unreadable analyzer summary (ignored)"));
            continue;
        };
        owned.extend(summary.owned.iter().cloned());
        warnings.extend(summary.warnings.iter().cloned());
        let (os_pkgs, lang): (Vec<Package>, Vec<Package>) = summary
            .packages
            .into_iter()
            .partition(|p| p.kind.class() == Class::OsPkgs);
        os.extend(os_pkgs);
        files.push((path.to_string(), lang));
    }
    let mut out = Vec::new();
    for (path, pkgs) in files {
        if owned.contains(&path) {
            tracing::debug!(%path, "owned by an OS package; its language packages are not listed");
            continue;
        }
        out.extend(pkgs);
    }
    out.sort_by(|a, b| {
        (a.kind, &a.path, &a.name, &a.version).cmp(&(b.kind, &b.path, &b.name, &b.version))
    });
    out.dedup();
    (os, out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_vfs::{EntryMeta, Interest, LayerChanges};

    /// Streams `content` through the scan's interest as the layer walker would.
    fn summarise(changes: &mut LayerChanges, path: &str, content: &[u8]) {
        let interest = interest();
        let meta = EntryMeta {
            path,
            size: content.len() as u64,
            executable: false,
        };
        assert!(interest.wants_summary(&meta), "{path}");
        let summary = interest.summarize(&meta, &mut &content[..]).expect("io");
        changes.add_summary(path.to_string(), summary);
    }

    const METADATA: &[u8] = b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n\nbody\n";

    #[test]
    fn files_owned_by_os_packages_are_not_language_packages() {
        let dist = "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA";
        let local = "usr/local/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA";
        let mut l1 = LayerChanges::new();
        l1.add_file(
            "var/lib/dpkg/status".into(),
            b"Package: python3-six\nStatus: install ok installed\nVersion: 1.16.0-4\nArchitecture: all\n\n"
                .to_vec(),
        );
        summarise(&mut l1, dist, METADATA);
        summarise(&mut l1, local, METADATA);
        summarise(
            &mut l1,
            "var/lib/dpkg/info/python3-six.list",
            format!("/.\n/usr/lib/python3/dist-packages/six.py\n/{dist}\n").as_bytes(),
        );
        let mut tree = FileTree::new();
        tree.apply(l1);
        let inv = analyze(&tree).expect("analyzes");
        let names: Vec<(&str, &str, &str)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.kind.name(), p.path.as_str()))
            .collect();
        // The Debian package once, and the pip-installed copy; not the file dpkg installed.
        assert_eq!(
            names,
            [
                ("python3-six", "dpkg", "var/lib/dpkg/status"),
                ("six", "python-pkg", local)
            ]
        );

        // A later layer that removes the dpkg file list makes the file a language package again,
        // and one that deletes the pip-installed copy takes its package with it.
        let mut l2 = LayerChanges::new();
        l2.add_whiteout("var/lib/dpkg/info/python3-six.list".into());
        l2.add_whiteout("usr/local/lib/python3.11".into());
        tree.apply(l2);
        let inv = analyze(&tree).expect("analyzes");
        let lang: Vec<&str> = inv
            .packages
            .iter()
            .filter(|p| p.kind.class() == Class::LangPkgs)
            .map(|p| p.path.as_str())
            .collect();
        assert_eq!(lang, [dist]);
    }

    #[test]
    fn gem_specifications_owned_by_os_packages_are_not_language_packages() {
        // Debian's libruby3.1 installs the default gems' specifications; `gem install` in the
        // image adds one of its own.
        let default = "usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec";
        let integration = "usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec";
        let local = "usr/local/bundle/specifications/json-2.7.1.gemspec";
        let spec = |name: &str, version: &str| {
            format!(
                "Gem::Specification.new do |s|\n  s.name = \"{name}\".freeze\n  s.version = \"{version}\"\nend\n"
            )
        };
        let mut l = LayerChanges::new();
        l.add_file(
            "var/lib/dpkg/status".into(),
            b"Package: libruby3.1\nStatus: install ok installed\nVersion: 3.1.2-7\n\nPackage: rake\nStatus: install ok installed\nVersion: 13.0.6-3\n\n"
                .to_vec(),
        );
        summarise(&mut l, default, spec("json", "2.6.1").as_bytes());
        summarise(&mut l, integration, spec("rake", "13.0.6").as_bytes());
        summarise(&mut l, local, spec("json", "2.7.1").as_bytes());
        summarise(
            &mut l,
            "var/lib/dpkg/info/libruby3.1:amd64.list",
            format!("/.\n/usr/lib/ruby/3.1.0/json.rb\n/{default}\n").as_bytes(),
        );
        summarise(
            &mut l,
            "var/lib/dpkg/info/rake.list",
            format!("/.\n/{integration}\n").as_bytes(),
        );
        let mut tree = FileTree::new();
        tree.apply(l);
        let inv = analyze(&tree).expect("analyzes");
        let lang: Vec<(&str, &str, &str)> = inv
            .packages
            .iter()
            .filter(|p| p.kind.class() == Class::LangPkgs)
            .map(|p| (p.name.as_str(), p.version.as_str(), p.path.as_str()))
            .collect();
        assert_eq!(lang, [("json", "2.7.1", local)]);
        assert_eq!(inv.packages.len(), 3, "{:?}", inv.packages);

        // Without the file lists, every specification is a gem.
        let mut l2 = LayerChanges::new();
        l2.add_whiteout("var/lib/dpkg/info".into());
        tree.apply(l2);
        let inv = analyze(&tree).expect("analyzes");
        let gems = inv.packages.iter().filter(|p| p.kind.name() == "gemspec");
        assert_eq!(gems.count(), 3);
    }

    #[test]
    fn os_packages_take_the_detected_os_and_its_format_only() {
        let apk_db = b"P:glibc\nV:2.38-r1\nA:x86_64\no:glibc\nF:usr/lib/python3.12/site-packages/six-1.16.0.dist-info\nR:METADATA\n\n";
        let mut l = LayerChanges::new();
        l.add_file("etc/os-release".into(), b"ID=wolfi\n".to_vec());
        summarise(&mut l, "lib/apk/db/installed", apk_db);
        summarise(
            &mut l,
            "usr/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA",
            METADATA,
        );
        let mut tree = FileTree::new();
        tree.apply(l);
        let inv = analyze(&tree).expect("analyzes");
        // One package: the apk, in Wolfi's ecosystem; the Python metadata it installed is its.
        assert_eq!(inv.packages.len(), 1, "{:?}", inv.packages);
        assert_eq!(inv.packages[0].ecosystem.osv_name(), "Wolfi");
        assert_eq!(inv.packages[0].kind.name(), "apk");

        // On Debian, an apk database is not the OS's package list.
        let mut d = LayerChanges::new();
        d.add_file(
            "etc/os-release".into(),
            b"ID=debian\nVERSION_ID=\"12\"\n".to_vec(),
        );
        d.add_file(
            "var/lib/dpkg/status".into(),
            b"Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b7\n\n".to_vec(),
        );
        summarise(&mut d, "lib/apk/db/installed", apk_db);
        let mut tree = FileTree::new();
        tree.apply(d);
        let inv = analyze(&tree).expect("analyzes");
        let names: Vec<(&str, &str)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.ecosystem.osv_name()))
            .collect();
        assert_eq!(names, [("bash", "Debian")]);
    }

    #[test]
    fn warnings_of_unusable_files_name_them() {
        let mut l = LayerChanges::new();
        summarise(&mut l, "app/package-lock.json", b"{ not json");
        let mut tree = FileTree::new();
        tree.apply(l);
        let inv = analyze(&tree).expect("analyzes");
        assert!(inv.packages.is_empty());
        assert_eq!(inv.warnings.len(), 1);
        assert!(
            inv.warnings[0].starts_with("app/package-lock.json"),
            "{:?}",
            inv.warnings
        );
    }
}
