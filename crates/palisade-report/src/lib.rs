//! Scan reports: the stable JSON schema and the terminal table.
//!
//! The JSON follows the shape of Trivy's `--format json` output (`Results[].Vulnerabilities[]` with
//! the same field names), so scripts and dashboards written for Trivy read Palisade's reports
//! unchanged. Fields Trivy lacks are added, never renamed. The README documents every field.
//!
//! The same scan can also be written as a CycloneDX 1.6 or SPDX 2.3 SBOM or a SARIF 2.1.0 log
//! ([`to_cyclonedx`], [`to_spdx`], [`to_sarif`]), and a CycloneDX BOM can be read back into an
//! inventory ([`read_inventory`]) to match it later without the image.

mod cyclonedx;
mod document;
pub mod purl;
mod sarif;
mod secret;
mod spdx;
mod spdx_read;
mod table;

pub use cyclonedx::{SbomError, SbomInventory, read_inventory, to_cyclonedx};
pub use document::{DocumentInput, package_purl};
pub use sarif::to_sarif;
pub use secret::{
    Code, CodeLine, SECRET_CLASS, Secret, SecretFile, SecretLayer, secret_results,
    secret_severity_counts,
};
pub use spdx::{sanitize_id, to_spdx};
pub use table::render_table;

use palisade_cvss::Severity;
use palisade_inventory::{Class, Inventory, Package, PackageType, Target};
use palisade_match::Finding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped only on incompatible changes to the JSON; additions keep the number.
pub const SCHEMA_VERSION: u32 = 2;

/// One scan of one artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    /// Version of this JSON schema.
    pub schema_version: u32,
    /// When the scan finished, RFC 3339 UTC.
    pub created_at: String,
    /// The reference exactly as the user gave it.
    pub artifact_name: String,
    /// Always `container_image` for now.
    pub artifact_type: String,
    /// Facts about the image.
    pub metadata: Metadata,
    /// One result per scanned target (the OS packages today).
    pub results: Vec<ScanResult>,
}

/// Facts about the scanned image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metadata {
    /// The detected operating system.
    #[serde(skip_serializing_if = "Option::is_none", rename = "OS")]
    pub os: Option<OsMeta>,
    /// Digest of the image config (`sha256:…`), the image's identity.
    #[serde(rename = "ImageID")]
    pub image_id: String,
    /// Uncompressed layer digests, bottom first.
    #[serde(rename = "DiffIDs")]
    pub diff_ids: Vec<String>,
    /// Tags the source recorded (docker-archive `RepoTags`, or the reference's tag).
    pub repo_tags: Vec<String>,
    /// `repository@sha256:…` of the manifest, for registry sources.
    pub repo_digests: Vec<String>,
    /// The platform that was scanned, e.g. `linux/arm64`.
    pub platform: String,
}

/// The OS part of [`Metadata`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OsMeta {
    /// `debian`, `ubuntu`, `alpine`, …
    pub family: String,
    /// Release, e.g. `12.7`.
    pub name: String,
    /// True when the release is past its end of life.
    #[serde(rename = "EOSL", skip_serializing_if = "std::ops::Not::not", default)]
    pub eosl: bool,
    /// The end-of-life date where known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub eol_date: Option<String>,
}

/// Findings for one target within the artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScanResult {
    /// What was scanned, e.g. `debian:12 (debian 12.7)`.
    pub target: String,
    /// `os-pkgs` for OS packages, `lang-pkgs` for language packages.
    pub class: String,
    /// Package type: the OS family (`debian`) or the language type (`python-pkg`, `gobinary`);
    /// empty (and left out) for secret results.
    #[serde(rename = "Type", skip_serializing_if = "String::is_empty", default)]
    pub kind: String,
    /// Installed packages, only with `--list-all-pkgs`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub packages: Option<Vec<PackageEntry>>,
    /// Findings, sorted by package, severity (highest first) and id.
    #[serde(default)]
    pub vulnerabilities: Vec<Vulnerability>,
    /// Exposed secrets, for `Class: "secret"` results (the target is the file).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub secrets: Vec<Secret>,
}

/// An installed package as listed with `--list-all-pkgs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageEntry {
    /// Package name.
    pub name: String,
    /// Installed version; for dpkg and rpm packages without epoch and release, as Trivy splits
    /// them (`2.35`, release `0ubuntu3.1`).
    pub version: String,
    /// dpkg revision or rpm release.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub release: String,
    /// dpkg or rpm epoch, when not 0.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub epoch: u32,
    /// Architecture (distribution packages).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub arch: String,
    /// Source package name (distribution packages).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub src_name: String,
    /// Source package version (distribution packages), split like `Version`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub src_version: String,
    /// Source package release.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub src_release: String,
    /// Source package epoch, when not 0.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub src_epoch: u32,
    /// Trivy's module stream of an rpm (`nodejs:18:…`).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub modularitylabel: String,
    /// Where it was found, in results that gather many files (Trivy's `FilePath`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file_path: Option<String>,
}

/// One vulnerability in one installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vulnerability {
    /// Advisory id (`CVE-…`, or the OSV id when the advisory has no CVE alias).
    #[serde(rename = "VulnerabilityID")]
    pub vulnerability_id: String,
    /// Other ids for the same flaw, including the OSV record id.
    pub aliases: Vec<String>,
    /// `name@version` of the package.
    #[serde(rename = "PkgID")]
    pub pkg_id: String,
    /// Package name.
    pub pkg_name: String,
    /// Where the package was found, for results that gather packages from many files
    /// (`Python`, `Node.js`), as Trivy's `PkgPath`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pkg_path: Option<String>,
    /// Source package the advisory is filed against (distribution packages only).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub src_name: String,
    /// Source version that was compared (distribution packages only).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub src_version: String,
    /// Installed binary version.
    pub installed_version: String,
    /// First version that fixes it; absent when there is no fix yet.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fixed_version: Option<String>,
    /// `fixed` when a fixed version exists, else `affected`.
    pub status: String,
    /// Severity rating.
    pub severity: Severity,
    /// Where the severity came from (`cvss` or `advisory`).
    pub severity_source: String,
    /// CVSS base score, when the advisory carries a vector.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cvss_score: Option<f64>,
    /// CVSS vector the score was computed from.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cvss_vector: Option<String>,
    /// The advisory's main page.
    #[serde(rename = "PrimaryURL")]
    pub primary_url: String,
    /// Short description.
    pub title: String,
    /// When the advisory was published.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub published_date: Option<String>,
    /// When the advisory last changed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_modified_date: Option<String>,
    /// The type and file of the package, which tell same-named packages of different results
    /// apart when documents look a finding's package up.
    #[serde(skip)]
    pub package: Option<(PackageType, String)>,
}

impl Vulnerability {
    /// Converts a matcher finding. A CVE alias becomes the id, as users search by CVE; the OSV id
    /// moves to the aliases.
    pub fn from_finding(f: &Finding) -> Self {
        let cve = f.aliases.iter().find(|a| a.starts_with("CVE-")).cloned();
        let (id, mut aliases) = match cve {
            Some(cve) if !f.vulnerability_id.starts_with("CVE-") => {
                let mut rest: Vec<String> =
                    f.aliases.iter().filter(|a| **a != cve).cloned().collect();
                rest.push(f.vulnerability_id.clone());
                (cve, rest)
            }
            _ => (f.vulnerability_id.clone(), f.aliases.clone()),
        };
        aliases.sort();
        aliases.dedup();
        Vulnerability {
            vulnerability_id: id,
            aliases,
            pkg_id: format!("{}@{}", f.package_name, f.installed_version),
            pkg_name: f.package_name.clone(),
            pkg_path: matches!(f.kind.target(), Target::Aggregate(_)).then(|| f.path.clone()),
            src_name: os_only(f, &f.source_name),
            src_version: os_only(f, &f.source_version),
            installed_version: f.installed_version.clone(),
            fixed_version: f.fixed_version.clone(),
            status: if f.fixed_version.is_some() {
                "fixed"
            } else {
                "affected"
            }
            .to_string(),
            severity: f.severity,
            severity_source: if f.cvss_vector.is_some() {
                "cvss"
            } else {
                "advisory"
            }
            .to_string(),
            cvss_score: f.cvss_score,
            cvss_vector: f.cvss_vector.clone(),
            primary_url: f.primary_link.clone(),
            title: f.title.clone(),
            published_date: f.published.clone(),
            last_modified_date: f.modified.clone(),
            package: Some((f.kind, f.path.clone())),
        }
    }
}

/// A source-package field of a finding, kept only for distribution packages (language
/// packages have none; the matcher's lookup name is not one).
fn os_only(f: &Finding, value: &str) -> String {
    if f.kind.class() == Class::OsPkgs {
        value.to_string()
    } else {
        String::new()
    }
}

/// What to drop from a report before it is shown.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep only these severities; empty keeps all.
    pub severities: Vec<Severity>,
    /// Drop findings without a fixed version.
    pub ignore_unfixed: bool,
}

impl Filter {
    fn keeps(&self, v: &Vulnerability) -> bool {
        (self.severities.is_empty() || self.severities.contains(&v.severity))
            && !(self.ignore_unfixed && v.fixed_version.is_none())
    }
}

/// Builds every result of an inventory and its findings: the OS packages first (when an OS was
/// detected), then one result per application, as Trivy groups them: per lockfile or binary,
/// and one `Python` / `Node.js` result for packages installed into shared folders.
pub fn results(
    artifact_name: &str,
    inventory: &Inventory,
    findings: &[Finding],
    filter: &Filter,
    list_packages: bool,
) -> Vec<ScanResult> {
    let mut groups: BTreeMap<ResultKey, (Vec<&Package>, Vec<Vulnerability>)> = BTreeMap::new();
    if let Some(os) = &inventory.os {
        groups.insert(ResultKey::os(artifact_name, os), Default::default());
    }
    for p in &inventory.packages {
        if let Some(key) = ResultKey::of(artifact_name, inventory.os.as_ref(), p.kind, &p.path) {
            groups.entry(key).or_default().0.push(p);
        }
    }
    for f in findings {
        let v = Vulnerability::from_finding(f);
        if !filter.keeps(&v) {
            continue;
        }
        if let Some(key) = ResultKey::of(artifact_name, inventory.os.as_ref(), f.kind, &f.path) {
            groups.entry(key).or_default().1.push(v);
        }
    }
    groups
        .into_iter()
        .map(|(key, (pkgs, mut vulns))| {
            sort_vulnerabilities(&mut vulns);
            ScanResult {
                target: key.target,
                class: key.class.as_str().to_string(),
                kind: key.kind,
                packages: list_packages.then(|| pkgs.into_iter().map(package_entry).collect()),
                vulnerabilities: vulns,
                secrets: Vec::new(),
            }
        })
        .collect()
}

/// The result [`results`] puts a package of type `kind`, recorded in `path`, into, as Trivy's
/// JSON names it: `(Target, Class, Type)`, e.g. `("debian:12 (debian 12.7)", "os-pkgs",
/// "debian")`, `("Python", "lang-pkgs", "python-pkg")` or `("usr/local/bin/app", "lang-pkgs",
/// "gobinary")`. `None` for a distribution package when no OS was detected (it then has no
/// result). The operator fills a VulnerabilityReport's optional `target`, `class` and
/// `packageType` from it, so they name the results `palisade image` shows.
pub fn result_of(
    artifact_name: &str,
    os: Option<&palisade_inventory::OsInfo>,
    kind: PackageType,
    path: &str,
) -> Option<(String, &'static str, String)> {
    ResultKey::of(artifact_name, os, kind, path).map(|k| (k.target, k.class.as_str(), k.kind))
}

/// Identifies one result; ordered OS first, then by package type and target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ResultKey {
    class: Class,
    order: Option<PackageType>,
    target: String,
    kind: String,
}

impl ResultKey {
    fn os(artifact_name: &str, os: &palisade_inventory::OsInfo) -> Self {
        ResultKey {
            class: Class::OsPkgs,
            order: None,
            target: format!("{artifact_name} ({} {})", os.family, os.version),
            kind: os.family.to_string(),
        }
    }

    /// The result a package of this type and file belongs to; OS packages need a detected OS.
    fn of(
        artifact_name: &str,
        os: Option<&palisade_inventory::OsInfo>,
        kind: PackageType,
        path: &str,
    ) -> Option<Self> {
        match kind.target() {
            Target::Os => os.map(|os| ResultKey::os(artifact_name, os)),
            Target::Aggregate(name) => Some(ResultKey {
                class: kind.class(),
                order: Some(kind),
                target: name.to_string(),
                kind: kind.name().to_string(),
            }),
            Target::File => Some(ResultKey {
                class: kind.class(),
                order: Some(kind),
                target: path.to_string(),
                kind: kind.name().to_string(),
            }),
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn package_entry(p: &Package) -> PackageEntry {
    let aggregate = matches!(p.kind.target(), Target::Aggregate(_));
    let mut entry = PackageEntry {
        name: p.name.clone(),
        version: p.version.clone(),
        release: String::new(),
        epoch: 0,
        arch: p.arch.clone(),
        src_name: p.source_name.clone(),
        src_version: p.source_version.clone(),
        src_release: String::new(),
        src_epoch: 0,
        modularitylabel: p.modularity_label.clone(),
        file_path: aggregate.then(|| p.path.clone()),
    };
    if p.kind.class() == Class::OsPkgs {
        let split = |v: &str| {
            let (e, v, r) = cyclonedx::trivy_version_parts(p.kind, v);
            let epoch = e.and_then(|e| e.parse().ok()).unwrap_or(0);
            (v.to_string(), r.unwrap_or_default().to_string(), epoch)
        };
        (entry.version, entry.release, entry.epoch) = split(&p.version);
        (entry.src_version, entry.src_release, entry.src_epoch) = split(&p.source_version);
    }
    entry
}

/// The report's deterministic order: package, then severity (highest first), then id.
pub fn sort_vulnerabilities(v: &mut [Vulnerability]) {
    v.sort_by(|a, b| {
        a.pkg_name
            .cmp(&b.pkg_name)
            .then(b.severity.cmp(&a.severity))
            .then(a.vulnerability_id.cmp(&b.vulnerability_id))
            .then(a.installed_version.cmp(&b.installed_version))
    });
}

/// Counts per severity, in the order tables print them.
pub fn severity_counts(vulns: &[Vulnerability]) -> [(Severity, usize); 5] {
    let order = [
        Severity::Unknown,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    order.map(|s| (s, vulns.iter().filter(|v| v.severity == s).count()))
}

impl Report {
    /// Number of findings (vulnerabilities and secrets) across all results, for `--exit-code`.
    pub fn finding_count(&self) -> usize {
        self.results
            .iter()
            .map(|r| r.vulnerabilities.len() + r.secrets.len())
            .sum()
    }
}

/// The current time as RFC 3339 UTC with seconds, for `CreatedAt`.
pub fn now_rfc3339() -> String {
    palisade_advisory::time::format_rfc3339(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn vuln(pkg: &str, id: &str, sev: Severity, fixed: Option<&str>) -> Vulnerability {
        Vulnerability {
            vulnerability_id: id.into(),
            aliases: vec![],
            pkg_id: format!("{pkg}@1"),
            pkg_name: pkg.into(),
            pkg_path: None,
            src_name: pkg.into(),
            src_version: "1".into(),
            installed_version: "1".into(),
            fixed_version: fixed.map(str::to_string),
            status: if fixed.is_some() { "fixed" } else { "affected" }.into(),
            severity: sev,
            severity_source: "cvss".into(),
            cvss_score: None,
            cvss_vector: None,
            primary_url: format!("https://osv.dev/vulnerability/{id}"),
            title: "t".into(),
            published_date: None,
            last_modified_date: None,
            package: None,
        }
    }

    #[test]
    fn result_of_names_trivy_results() {
        use palisade_inventory::{OsFamily, OsInfo, package_types as t};
        let os = OsInfo {
            family: OsFamily::Debian,
            version: "12.7".into(),
            pretty_name: None,
            distroless: false,
            eol_date: None,
        };
        let of = |row, path| result_of("app:1", Some(&os), PackageType::of(row), path);
        let r = |t: &str, c: &'static str, k: &str| Some((t.to_string(), c, k.to_string()));
        assert_eq!(
            of(&t::DPKG, "var/lib/dpkg/status"),
            r("app:1 (debian 12.7)", "os-pkgs", "debian")
        );
        assert_eq!(
            of(&t::PYTHON_PKG, "a/x-1.dist-info/METADATA"),
            r("Python", "lang-pkgs", "python-pkg")
        );
        assert_eq!(
            of(&t::GOBINARY, "usr/bin/app"),
            r("usr/bin/app", "lang-pkgs", "gobinary")
        );
        let dpkg = PackageType::of(&t::DPKG);
        assert_eq!(result_of("app:1", None, dpkg, "var/lib/dpkg/status"), None);
    }

    #[test]
    fn sorting_and_filtering() {
        let mut v = vec![
            vuln("zlib1g", "CVE-2", Severity::Low, Some("2")),
            vuln("libc6", "CVE-9", Severity::Medium, None),
            vuln("libc6", "CVE-1", Severity::Critical, Some("2")),
        ];
        sort_vulnerabilities(&mut v);
        let ids: Vec<_> = v.iter().map(|x| x.vulnerability_id.as_str()).collect();
        assert_eq!(ids, ["CVE-1", "CVE-9", "CVE-2"]);
        let f = Filter {
            severities: vec![Severity::Critical, Severity::Medium],
            ignore_unfixed: true,
        };
        let kept: Vec<_> = v.iter().filter(|x| f.keeps(x)).collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(severity_counts(&v)[1], (Severity::Low, 1));
    }
}
