//! What the SBOM and SARIF encoders share: their input, package identities (purls, distro
//! qualifiers) and content-derived UUIDs.

use crate::purl::Purl;
use crate::{Report, Vulnerability};
use palisade_ecosystem::OsFormat;
use palisade_inventory::{Class, Inventory, OsFamily, OsInfo, Package};
use sha2::{Digest, Sha256};

/// Everything a document format needs.
///
/// The report supplies identity, time and the vulnerabilities (already filtered by
/// `--severity`/`--ignore-unfixed`); the inventory supplies every package, whether or not
/// `--list-all-pkgs` put them into the report. Timestamps come from `report.created_at`, so a
/// caller that fixes that field gets byte-identical documents for the same scan.
#[derive(Debug, Clone, Copy)]
pub struct DocumentInput<'a> {
    /// The scan report.
    pub report: &'a Report,
    /// The scanned packages and OS.
    pub inventory: &'a Inventory,
    /// Palisade's version, e.g. `0.1.0`.
    pub tool_version: &'a str,
    /// Where to read about the tool; omitted from documents when `None`.
    pub information_uri: Option<&'a str>,
}

impl<'a> DocumentInput<'a> {
    /// Every vulnerability of every result, in report order.
    pub(crate) fn vulnerabilities(&self) -> impl Iterator<Item = &'a Vulnerability> {
        self.report
            .results
            .iter()
            .flat_map(|r| r.vulnerabilities.iter())
    }

    /// The inventory's packages, in the inventory's (sorted) order.
    pub(crate) fn packages(&self) -> &'a [Package] {
        &self.inventory.packages
    }

    /// The packages a finding refers to: same name and installed version, and the same type and
    /// file when the finding knows them (one per architecture, since the matcher collapses
    /// identical binaries of several architectures).
    pub(crate) fn packages_of(&self, v: &Vulnerability) -> impl Iterator<Item = &'a Package> {
        let (name, version) = (v.pkg_name.clone(), v.installed_version.clone());
        let origin = v.package.clone();
        self.packages().iter().filter(move |p| {
            p.name == name
                && p.version == version
                && origin
                    .as_ref()
                    .is_none_or(|(kind, path)| p.kind == *kind && p.path == *path)
        })
    }

    /// The purl of the image, when the report knows its repository and manifest digest
    /// (registry sources): `pkg:oci/<last path segment>@sha256:…?repository_url=<repo>`.
    pub(crate) fn image_purl(&self) -> Option<Purl> {
        let repo_digest = self.report.metadata.repo_digests.first()?;
        let (repo, digest) = repo_digest.rsplit_once('@')?;
        let name = repo.rsplit('/').next().filter(|n| !n.is_empty())?;
        let mut purl = Purl::new("oci", &[], &name.to_ascii_lowercase(), Some(digest))
            .qualifier("repository_url", repo);
        if let Some(arch) = self.report.metadata.platform.split('/').nth(1) {
            purl = purl.qualifier("arch", arch);
        }
        Some(purl)
    }
}

/// `debian-12.7`, the purl `distro` qualifier of packages on this OS.
pub(crate) fn distro(os: &OsInfo) -> String {
    format!("{}-{}", os.family, os.version)
}

/// The purl of a package, the one every Palisade output (BOMs, SARIF, reports) uses, so they
/// can be joined on it. Distribution packages get their database's purl type (`deb`, `apk`,
/// `rpm`) with the OS family as namespace and the OS as `distro` (without a detected OS the
/// vendor is guessed from the format: `debian`, `alpine`, `redhat`);
/// language packages get their ecosystem's purl type and namespace split from the table.
pub fn package_purl(pkg: &Package, os: Option<&OsInfo>) -> Purl {
    if pkg.kind.class() == Class::LangPkgs {
        let row = pkg.ecosystem.row();
        let (namespace, name) = (row.purl_name)(&pkg.name);
        let segments: Vec<&str> = namespace
            .as_deref()
            .map(|n| n.split('/').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        return Purl::new(row.purl_type, &segments, &name, Some(&pkg.version));
    }
    let distro = os.map(distro).unwrap_or_default();
    // Trivy's namespaces: the family, except SUSE's, which are grouped by vendor.
    let family = os.map(|o| match o.family {
        OsFamily::Sles => "suse",
        OsFamily::OpensuseLeap | OsFamily::OpensuseTumbleweed => "opensuse",
        f => f.as_str(),
    });
    match pkg.kind.os_format() {
        // Trivy's apk purls carry the bare OS version as `distro`.
        Some(OsFormat::Apk) => Purl::new(
            "apk",
            &[family.unwrap_or("alpine")],
            &pkg.name.to_ascii_lowercase(),
            Some(&pkg.version),
        )
        .qualifier("arch", &pkg.arch)
        .qualifier("distro", os.map(|o| o.version.as_str()).unwrap_or_default()),
        Some(OsFormat::Rpm) => Purl::rpm(
            family.unwrap_or("redhat"),
            &pkg.name,
            &pkg.version,
            &pkg.arch,
            &distro,
        )
        .qualifier("modularitylabel", &pkg.modularity_label),
        _ => Purl::deb(
            if family == Some("ubuntu") {
                "ubuntu"
            } else {
                "debian"
            },
            &pkg.name,
            &pkg.version,
            &pkg.arch,
            &distro,
        ),
    }
}

/// The CycloneDX `bom-ref` of a package. A distribution package's purl is unique in an image;
/// a language package's is not (one library in two lockfiles), so its file joins the ref.
pub fn package_ref(pkg: &Package, os: Option<&OsInfo>) -> String {
    let purl = package_purl(pkg, os).to_string();
    if pkg.kind.class() == Class::LangPkgs {
        format!("{purl}#{}", pkg.path)
    } else {
        purl
    }
}

/// A UUID derived from `parts` (RFC 9562 version 8, "custom": the first 16 bytes of a SHA-256
/// over the length-prefixed parts, with the version and variant bits set). Used where a document
/// needs a unique id but the same scan should give the same document.
pub(crate) fn derived_uuid(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

/// A short stable hex digest of a string, for ids that must be unique but only use a small
/// alphabet.
pub(crate) fn short_hash(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..8])
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A small scan: two packages of one source (one binNMU, one with an epoch), a third package
    //! with a `+` in its name, and findings on two of them.

    use super::*;
    use crate::{Metadata, OsMeta, ScanResult};
    use palisade_cvss::Severity;
    use palisade_inventory::PackageType;

    pub fn pkg(name: &str, version: &str, src: &str, src_version: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            arch: "amd64".into(),
            source_name: src.into(),
            source_version: src_version.into(),
            ecosystem: palisade_inventory::Ecosystem::DEBIAN,
            kind: PackageType::of(&palisade_ecosystem::types::DPKG),
            path: "var/lib/dpkg/status".into(),
            modularity_label: String::new(),
        }
    }

    pub fn inventory() -> Inventory {
        let mut packages = vec![
            pkg("bsdutils", "1:2.38.1-5+b1", "util-linux", "2.38.1-5"),
            pkg("libc6", "2.36-9", "glibc", "2.36-9"),
            pkg("libstdc++6", "12.2.0-14", "gcc-12", "12.2.0-14"),
            pkg("libc-bin", "2.36-9", "glibc", "2.36-9"),
        ];
        packages.sort();
        Inventory {
            warnings: Vec::new(),
            os: Some(OsInfo {
                family: OsFamily::Debian,
                version: "12.7".into(),
                pretty_name: None,
                distroless: false,
                eol_date: Some("2028-06-30".into()),
            }),
            packages,
        }
    }

    pub fn report(created_at: &str) -> Report {
        let mut a = crate::tests::vuln(
            "libc6",
            "CVE-2023-4911",
            Severity::High,
            Some("2.36-9+deb12u3"),
        );
        a.installed_version = "2.36-9".into();
        a.pkg_id = "libc6@2.36-9".into();
        a.src_name = "glibc".into();
        a.cvss_score = Some(7.8);
        a.cvss_vector = Some("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H".into());
        a.aliases = vec!["DEBIAN-CVE-2023-4911".into()];
        let mut b = a.clone();
        b.pkg_name = "libc-bin".into();
        b.pkg_id = "libc-bin@2.36-9".into();
        let mut c = crate::tests::vuln("bsdutils", "CVE-2024-28085", Severity::Unknown, None);
        c.installed_version = "1:2.38.1-5+b1".into();
        c.pkg_id = "bsdutils@1:2.38.1-5+b1".into();
        c.src_name = "util-linux".into();
        let mut vulns = vec![a, b, c];
        crate::sort_vulnerabilities(&mut vulns);
        Report {
            schema_version: crate::SCHEMA_VERSION,
            created_at: created_at.into(),
            artifact_name: "registry.example/team/app:1".into(),
            artifact_type: "container_image".into(),
            metadata: Metadata {
                os: Some(OsMeta {
                    family: "debian".into(),
                    name: "12.7".into(),
                    eosl: false,
                    eol_date: Some("2028-06-30".into()),
                }),
                image_id: "sha256:1111".into(),
                diff_ids: vec!["sha256:2222".into()],
                repo_tags: vec!["registry.example/team/app:1".into()],
                repo_digests: vec!["registry.example/team/app@sha256:3333".into()],
                platform: "linux/amd64".into(),
            },
            results: vec![ScanResult {
                target: "registry.example/team/app:1 (debian 12.7)".into(),
                class: "os-pkgs".into(),
                kind: "debian".into(),
                packages: None,
                vulnerabilities: vulns,
                secrets: Vec::new(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape_and_stability() {
        let a = derived_uuid(&[b"x", b"y"]);
        assert_eq!(a, derived_uuid(&[b"x", b"y"]));
        // Length prefixes keep ("xy", "") and ("x", "y") apart.
        assert_ne!(a, derived_uuid(&[b"xy", b""]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8", "version nibble");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "variant bits");
    }
}
