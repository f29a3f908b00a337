//! Operating system detection: `/etc/os-release` first, then the older release files.

use palisade_ecosystem::{Ecosystem, EcosystemRow};
use palisade_vfs::{FileTree, PathInterest};
use serde::{Deserialize, Serialize};

/// The distribution families Palisade recognises. The family decides the package database, the
/// version scheme and the advisory ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    Debian,
    Ubuntu,
    Alpine,
    Redhat,
    Centos,
    Rocky,
    Alma,
    Oracle,
    Fedora,
    Amazon,
    Wolfi,
    Chainguard,
    /// SUSE Linux Enterprise Server (and its BCI/SLE Micro container bases).
    Sles,
    #[serde(rename = "opensuse-leap")]
    OpensuseLeap,
    #[serde(rename = "opensuse-tumbleweed")]
    OpensuseTumbleweed,
}

impl OsFamily {
    fn from_id(id: &str) -> Option<Self> {
        Some(match id.to_ascii_lowercase().as_str() {
            "debian" => OsFamily::Debian,
            "ubuntu" => OsFamily::Ubuntu,
            "alpine" => OsFamily::Alpine,
            "rhel" | "redhat" => OsFamily::Redhat,
            "centos" => OsFamily::Centos,
            "rocky" => OsFamily::Rocky,
            "almalinux" | "alma" => OsFamily::Alma,
            "ol" | "oracle" => OsFamily::Oracle,
            "fedora" => OsFamily::Fedora,
            "amzn" | "amazon" => OsFamily::Amazon,
            "wolfi" => OsFamily::Wolfi,
            "chainguard" => OsFamily::Chainguard,
            "sles" | "sled" | "sle-micro" | "sl-micro" => OsFamily::Sles,
            "opensuse-leap" | "opensuse" => OsFamily::OpensuseLeap,
            "opensuse-tumbleweed" => OsFamily::OpensuseTumbleweed,
            _ => return None,
        })
    }

    /// The lowercase name used in reports (Trivy 0.76's `Family` values, e.g. `alma`,
    /// `opensuse-leap`; also what `serde` writes).
    pub fn as_str(&self) -> &'static str {
        match self {
            OsFamily::Debian => "debian",
            OsFamily::Ubuntu => "ubuntu",
            OsFamily::Alpine => "alpine",
            OsFamily::Redhat => "redhat",
            OsFamily::Centos => "centos",
            OsFamily::Rocky => "rocky",
            OsFamily::Alma => "alma",
            OsFamily::Oracle => "oracle",
            OsFamily::Fedora => "fedora",
            OsFamily::Amazon => "amazon",
            OsFamily::Wolfi => "wolfi",
            OsFamily::Chainguard => "chainguard",
            OsFamily::Sles => "sles",
            OsFamily::OpensuseLeap => "opensuse-leap",
            OsFamily::OpensuseTumbleweed => "opensuse-tumbleweed",
        }
    }
}

impl std::fmt::Display for OsFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operating system an image is built on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// Distribution family.
    pub family: OsFamily,
    /// Release version as the distribution writes it (`12`, `12.7`, `22.04`, `3.20.3`).
    pub version: String,
    /// Human-readable name, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub pretty_name: Option<String>,
    /// Whether the image is a distroless one (no shell, no package manager, dpkg `status.d`).
    pub distroless: bool,
    /// The last day of the release's support, as `YYYY-MM-DD`, where known.
    pub eol_date: Option<String>,
}

impl OsInfo {
    /// Whether the release is past its end of life on `today` (`YYYY-MM-DD`); `None` when the
    /// date is unknown. Advisory feeds stop covering such releases, so an empty report means
    /// less. The caller supplies the date so detection stays independent of the clock.
    pub fn eosl_on(&self, today: &str) -> Option<bool> {
        self.eol_date.as_deref().map(|d| d < today)
    }

    /// The advisory-store key of this release, such as `Debian:12`, `Ubuntu:22.04`,
    /// `Alpine:v3.20`, `AlmaLinux:9` or `Wolfi`, spelled as the release's advisory source
    /// spells its ecosystem. Each family says which row of the ecosystem table holds its
    /// advisories and how its release is written there.
    pub fn ecosystem(&self) -> Option<String> {
        Some(Ecosystem::of(self.row()?).store_key(self.release().as_deref()))
    }

    /// The ecosystem of this OS's packages; `None` for a family with no advisory source.
    pub fn package_ecosystem(&self) -> Option<Ecosystem> {
        self.row().map(Ecosystem::of)
    }

    fn row(&self) -> Option<&'static EcosystemRow> {
        use palisade_ecosystem::rows;
        Some(match self.family {
            OsFamily::Debian => &rows::DEBIAN,
            OsFamily::Ubuntu => &rows::UBUNTU,
            OsFamily::Alpine => &rows::ALPINE,
            OsFamily::Wolfi => &rows::WOLFI,
            OsFamily::Chainguard => &rows::CHAINGUARD,
            OsFamily::Alma => &rows::ALMALINUX,
            OsFamily::Rocky => &rows::ROCKY,
            // CentOS and UBI/RHEL images are covered by Red Hat's advisories, as in Trivy.
            OsFamily::Redhat | OsFamily::Centos => &rows::REDHAT,
            OsFamily::Oracle => &rows::ORACLE,
            OsFamily::Amazon => &rows::AMAZON,
            OsFamily::Fedora => &rows::FEDORA,
            OsFamily::Sles => &rows::SUSE,
            OsFamily::OpensuseLeap | OsFamily::OpensuseTumbleweed => &rows::OPENSUSE,
        })
    }

    /// The release as the family's advisories name it.
    fn release(&self) -> Option<String> {
        Some(match self.family {
            OsFamily::Ubuntu => self.version.clone(),
            OsFamily::Alpine => format!("v{}", self.minor_pair()),
            OsFamily::Wolfi | OsFamily::Chainguard => return None,
            // OSV's SUSE ecosystems name the product and service pack:
            // `SUSE:Linux Enterprise Server 15 SP5`, `openSUSE:Leap 15.5`.
            OsFamily::Sles => match self.version.split_once('.') {
                Some((major, sp)) if sp != "0" => {
                    format!("Linux Enterprise Server {major} SP{sp}")
                }
                _ => format!("Linux Enterprise Server {}", self.major()),
            },
            OsFamily::OpensuseLeap => format!("Leap {}", self.minor_pair()),
            OsFamily::OpensuseTumbleweed => "Tumbleweed".to_string(),
            _ => self.major().to_string(),
        })
    }

    fn major(&self) -> &str {
        self.version.split('.').next().unwrap_or_default()
    }

    fn minor_pair(&self) -> String {
        self.version
            .split('.')
            .take(2)
            .collect::<Vec<_>>()
            .join(".")
    }
}

const OS_RELEASE: &str = "etc/os-release";
const USR_OS_RELEASE: &str = "usr/lib/os-release";
const DEBIAN_VERSION: &str = "etc/debian_version";
const LSB_RELEASE: &str = "etc/lsb-release";
const ALPINE_RELEASE: &str = "etc/alpine-release";
const REDHAT_RELEASE: &str = "etc/redhat-release";
const SYSTEM_RELEASE: &str = "etc/system-release";
const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d";

/// The files OS detection reads.
pub fn interest() -> PathInterest {
    PathInterest::new()
        .file(OS_RELEASE)
        .file(USR_OS_RELEASE)
        .file(DEBIAN_VERSION)
        .file(LSB_RELEASE)
        .file(ALPINE_RELEASE)
        .file(REDHAT_RELEASE)
        .file(SYSTEM_RELEASE)
}

/// Parses the `KEY=value` shell-style assignments of os-release(5), unquoting values.
fn parse_os_release(data: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        out.push((k.trim().to_string(), unquote(v.trim())));
    }
    out
}

fn unquote(v: &str) -> String {
    let bytes = v.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        let inner = &v[1..v.len() - 1];
        if bytes[0] == b'\'' {
            return inner.to_string();
        }
        let mut s = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    s.push(n);
                }
            } else {
                s.push(c);
            }
        }
        s
    } else {
        v.to_string()
    }
}

fn get<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Detects the OS from a merged file tree, or `None` for images without a recognisable release
/// file (scratch images, static binaries).
pub fn detect_os(tree: &FileTree) -> Option<OsInfo> {
    let mut found = from_os_release(tree).or_else(|| from_legacy_files(tree))?;
    // Debian's os-release carries only the major version; the point release is in
    // /etc/debian_version, which is what people (and Trivy) report.
    if found.family == OsFamily::Debian
        && let Some(dv) = tree.read(DEBIAN_VERSION)
    {
        let dv = String::from_utf8_lossy(dv).trim().to_string();
        if dv.starts_with(|c: char| c.is_ascii_digit())
            && dv.split('.').next() == Some(found.major())
        {
            found.version = dv;
        }
    }
    if !found.distroless {
        found.distroless =
            tree.read("var/lib/dpkg/status").is_none() && !tree.read_dir(DPKG_STATUS_D).is_empty();
    }
    found.eol_date = eol_date(found.family, &found.version).map(str::to_string);
    Some(found)
}

fn from_os_release(tree: &FileTree) -> Option<OsInfo> {
    let data = tree
        .read(OS_RELEASE)
        .or_else(|| tree.read(USR_OS_RELEASE))?;
    let kv = parse_os_release(data);
    let id = get(&kv, "ID")?;
    let family = OsFamily::from_id(id).or_else(|| {
        get(&kv, "ID_LIKE")?
            .split_whitespace()
            .find_map(OsFamily::from_id)
    })?;
    let pretty_name = get(&kv, "PRETTY_NAME").map(str::to_string);
    let version = get(&kv, "VERSION_ID")
        .map(str::to_string)
        .or_else(|| {
            // Debian testing/sid have no VERSION_ID; fall back to debian_version below.
            tree.read(DEBIAN_VERSION)
                .map(|d| String::from_utf8_lossy(d).trim().to_string())
        })
        .unwrap_or_default();
    let distroless = pretty_name
        .as_deref()
        .is_some_and(|p| p.to_ascii_lowercase().contains("distroless"));
    Some(OsInfo {
        family,
        version,
        pretty_name,
        distroless,
        eol_date: None,
    })
}

fn from_legacy_files(tree: &FileTree) -> Option<OsInfo> {
    let text = |p: &str| {
        tree.read(p)
            .map(|d| String::from_utf8_lossy(d).trim().to_string())
    };
    let info = |family, version: String, pretty_name: Option<String>| OsInfo {
        family,
        version,
        pretty_name,
        distroless: false,
        eol_date: None,
    };
    if let Some(lsb) = tree.read(LSB_RELEASE) {
        let kv = parse_os_release(lsb);
        if get(&kv, "DISTRIB_ID").is_some_and(|i| i.eq_ignore_ascii_case("ubuntu")) {
            let version = get(&kv, "DISTRIB_RELEASE").unwrap_or_default().to_string();
            let pretty = get(&kv, "DISTRIB_DESCRIPTION").map(str::to_string);
            return Some(info(OsFamily::Ubuntu, version, pretty));
        }
    }
    if let Some(v) = text(DEBIAN_VERSION) {
        return Some(info(OsFamily::Debian, v, None));
    }
    if let Some(v) = text(ALPINE_RELEASE) {
        return Some(info(OsFamily::Alpine, v, None));
    }
    if let Some(line) = text(REDHAT_RELEASE).or_else(|| text(SYSTEM_RELEASE)) {
        // "CentOS Linux release 7.9.2009 (Core)", "Red Hat Enterprise Linux release 8.10 (Ootpa)",
        // "Amazon Linux release 2 (Karoo)"
        let lower = line.to_ascii_lowercase();
        let family = if lower.starts_with("amazon") {
            OsFamily::Amazon
        } else if lower.starts_with("oracle") {
            OsFamily::Oracle
        } else if lower.starts_with("centos") {
            OsFamily::Centos
        } else if lower.starts_with("rocky") {
            OsFamily::Rocky
        } else if lower.starts_with("almalinux") {
            OsFamily::Alma
        } else if lower.starts_with("fedora") {
            OsFamily::Fedora
        } else {
            OsFamily::Redhat
        };
        let version = line
            .split_once(" release ")
            .map(|(_, r)| r.split_whitespace().next().unwrap_or_default().to_string())
            .unwrap_or_default();
        return Some(info(family, version, Some(line)));
    }
    None
}

/// End-of-life dates: the last day the vendor publishes security fixes for the release (for
/// Debian, the end of LTS). Public facts from each distribution's release pages.
fn eol_date(family: OsFamily, version: &str) -> Option<&'static str> {
    let major = version.split('.').next().unwrap_or_default();
    let pair: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let table: &[(&str, &str)] = match family {
        OsFamily::Debian => &[
            ("7", "2018-05-31"),
            ("8", "2020-06-30"),
            ("9", "2022-06-30"),
            ("10", "2024-06-30"),
            ("11", "2026-08-31"),
            ("12", "2028-06-30"),
            ("13", "2030-06-30"),
        ],
        OsFamily::Ubuntu => &[
            ("14.04", "2019-04-30"),
            ("16.04", "2021-04-30"),
            ("18.04", "2023-05-31"),
            ("20.04", "2025-05-31"),
            ("22.04", "2027-06-30"),
            ("23.04", "2024-01-25"),
            ("23.10", "2024-07-11"),
            ("24.04", "2029-05-31"),
            ("24.10", "2025-07-10"),
            ("25.04", "2026-01-15"),
        ],
        OsFamily::Alpine => &[
            ("3.3", "2017-11-01"),
            ("3.4", "2018-05-01"),
            ("3.5", "2018-11-01"),
            ("3.6", "2019-05-01"),
            ("3.7", "2019-11-01"),
            ("3.8", "2020-05-01"),
            ("3.9", "2020-11-01"),
            ("3.10", "2021-05-01"),
            ("3.11", "2021-11-01"),
            ("3.12", "2022-05-01"),
            ("3.13", "2022-11-01"),
            ("3.14", "2023-05-01"),
            ("3.15", "2023-11-01"),
            ("3.16", "2024-05-23"),
            ("3.17", "2024-11-22"),
            ("3.18", "2025-05-09"),
            ("3.19", "2025-11-01"),
            ("3.20", "2026-04-01"),
            ("3.21", "2026-11-01"),
            ("3.22", "2027-05-01"),
        ],
        OsFamily::Redhat
        | OsFamily::Centos
        | OsFamily::Rocky
        | OsFamily::Alma
        | OsFamily::Oracle => &[
            ("7", "2024-06-30"),
            ("8", "2029-05-31"),
            ("9", "2032-05-31"),
            ("10", "2035-05-31"),
        ],
        OsFamily::Amazon => &[
            ("1", "2023-12-31"),
            ("2", "2026-06-30"),
            ("2023", "2029-06-30"),
        ],
        OsFamily::Sles => &[("12", "2027-10-31"), ("15", "2031-07-31")],
        OsFamily::OpensuseLeap => &[("15.4", "2023-12-07"), ("15.5", "2024-12-31")],
        _ => &[],
    };
    let key = match family {
        OsFamily::Ubuntu | OsFamily::Alpine | OsFamily::OpensuseLeap => pair.as_str(),
        _ => major,
    };
    // CentOS Stream and CentOS 8 ended earlier than RHEL; CentOS 7 matched RHEL 7.
    if family == OsFamily::Centos && key == "8" {
        return Some("2021-12-31");
    }
    table.iter().find(|(v, _)| *v == key).map(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_vfs::LayerChanges;

    fn tree(files: &[(&str, &str)], links: &[(&str, &str)]) -> FileTree {
        let mut l = LayerChanges::new();
        for (p, c) in files {
            l.add_file(p.to_string(), c.as_bytes().to_vec());
        }
        for (p, t) in links {
            l.add_symlink(p.to_string(), t.to_string());
        }
        let mut t = FileTree::new();
        t.apply(l);
        t
    }

    const DEBIAN12: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

    #[test]
    fn debian_through_the_usr_lib_symlink_with_point_release() {
        let t = tree(
            &[
                ("usr/lib/os-release", DEBIAN12),
                ("etc/debian_version", "12.7\n"),
            ],
            &[("etc/os-release", "../usr/lib/os-release")],
        );
        let os = detect_os(&t).unwrap();
        assert_eq!(os.family, OsFamily::Debian);
        assert_eq!(os.version, "12.7");
        assert_eq!(os.ecosystem().as_deref(), Some("Debian:12"));
        assert_eq!(
            os.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(os.eol_date.as_deref(), Some("2028-06-30"));
        assert!(!os.distroless);
    }

    #[test]
    fn ubuntu_alpine_and_rhel_family() {
        let u = tree(
            &[("etc/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\n")],
            &[],
        );
        assert_eq!(
            detect_os(&u).unwrap().ecosystem().as_deref(),
            Some("Ubuntu:22.04")
        );
        let a = tree(&[("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n")], &[]);
        let a = detect_os(&a).unwrap();
        assert_eq!(a.ecosystem().as_deref(), Some("Alpine:v3.20"));
        assert_eq!(a.eol_date.as_deref(), Some("2026-04-01"));
        let r = tree(
            &[(
                "etc/os-release",
                "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n",
            )],
            &[],
        );
        let r = detect_os(&r).unwrap();
        assert_eq!((r.family, r.version.as_str()), (OsFamily::Rocky, "9.4"));
        let like = tree(
            &[("etc/os-release", "ID=myco\nID_LIKE=debian\nVERSION_ID=12\n")],
            &[],
        );
        assert_eq!(detect_os(&like).unwrap().family, OsFamily::Debian);
    }

    #[test]
    fn every_family_names_its_advisory_key() {
        let key = |os_release: &str| {
            let t = tree(&[("etc/os-release", os_release)], &[]);
            let os = detect_os(&t).expect("detected");
            (os.family.as_str(), os.ecosystem())
        };
        for (release, family, want) in [
            (
                "ID=almalinux\nVERSION_ID=\"9.2\"\n",
                "alma",
                Some("AlmaLinux:9"),
            ),
            (
                "ID=rhel\nVERSION_ID=\"8.10\"\n",
                "redhat",
                Some("Red Hat:8"),
            ),
            ("ID=centos\nVERSION_ID=\"7\"\n", "centos", Some("Red Hat:7")),
            (
                "ID=amzn\nVERSION_ID=\"2023\"\n",
                "amazon",
                Some("Amazon Linux:2023"),
            ),
            (
                "ID=ol\nVERSION_ID=\"8.9\"\n",
                "oracle",
                Some("Oracle Linux:8"),
            ),
            (
                "ID=wolfi\nVERSION_ID=\"20230201\"\n",
                "wolfi",
                Some("Wolfi"),
            ),
            ("ID=chainguard\n", "chainguard", Some("Chainguard")),
            (
                "ID=\"opensuse-leap\"\nVERSION_ID=\"15.5\"\n",
                "opensuse-leap",
                Some("openSUSE:Leap 15.5"),
            ),
            (
                "ID=sles\nVERSION_ID=\"15.5\"\n",
                "sles",
                Some("SUSE:Linux Enterprise Server 15 SP5"),
            ),
            (
                "ID=opensuse-tumbleweed\n",
                "opensuse-tumbleweed",
                Some("openSUSE:Tumbleweed"),
            ),
        ] {
            assert_eq!(
                key(release),
                (family, want.map(str::to_string)),
                "{release}"
            );
        }
        let amzn2 = tree(
            &[("etc/system-release", "Amazon Linux release 2 (Karoo)\n")],
            &[],
        );
        let amzn2 = detect_os(&amzn2).expect("detected");
        assert_eq!(amzn2.ecosystem().as_deref(), Some("Amazon Linux:2"));
        assert_eq!(amzn2.eol_date.as_deref(), Some("2026-06-30"));
    }

    #[test]
    fn legacy_fallbacks() {
        let d = tree(&[("etc/debian_version", "9.13\n")], &[]);
        let d = detect_os(&d).unwrap();
        assert_eq!((d.family, d.version.as_str()), (OsFamily::Debian, "9.13"));
        assert_eq!(d.eosl_on("2026-11-26"), Some(true));
        assert_eq!(d.eosl_on("2020-01-01"), Some(false));
        let u = tree(
            &[(
                "etc/lsb-release",
                "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=16.04\n",
            )],
            &[],
        );
        assert_eq!(detect_os(&u).unwrap().family, OsFamily::Ubuntu);
        let c = tree(
            &[(
                "etc/redhat-release",
                "CentOS Linux release 7.9.2009 (Core)\n",
            )],
            &[],
        );
        let c = detect_os(&c).unwrap();
        assert_eq!(
            (c.family, c.version.as_str()),
            (OsFamily::Centos, "7.9.2009")
        );
        assert!(detect_os(&tree(&[("bin/app", "x")], &[])).is_none());
    }

    #[test]
    fn distroless_is_recognised() {
        let t = tree(
            &[
                (
                    "etc/os-release",
                    "PRETTY_NAME=\"Distroless\"\nID=debian\nVERSION_ID=\"12\"\n",
                ),
                (
                    "var/lib/dpkg/status.d/base",
                    "Package: base-files\nVersion: 12.4\n",
                ),
            ],
            &[],
        );
        let os = detect_os(&t).unwrap();
        assert!(os.distroless);
        assert_eq!(os.ecosystem().as_deref(), Some("Debian:12"));
    }

    #[test]
    fn quoting_and_escapes() {
        let kv = parse_os_release(b"A=\"x \\\"y\\\"\"\nB='single'\n# c\nC=plain\nbroken line\n");
        assert_eq!(get(&kv, "A"), Some("x \"y\""));
        assert_eq!(get(&kv, "B"), Some("single"));
        assert_eq!(get(&kv, "C"), Some("plain"));
    }
}
