//! The ecosystem table: every package ecosystem Palisade knows, declared once.
//!
//! An ecosystem's facts used to be spread over five crates (the OSV name in the advisory
//! filter, the version scheme in a `match` on names, the purl type in the report, the result
//! class in the table renderer). Each one is now a row here: its OSV name, version scheme, purl
//! type, report class, how advisories are keyed and matched, and how package names are
//! normalised. Every other crate asks this table; nothing else matches on ecosystem names.
//!
//! A second, smaller table ([`types`]) lists the package *types*: where a package was found
//! (an installed Python distribution, a `package-lock.json`, a Go binary, …), which ecosystem it
//! belongs to and how Trivy names and groups it in reports (`python-pkg` under a `Python`
//! target, `gobinary` under the binary's path).
//!
//! Adding an ecosystem is one [`EcosystemRow`] static plus its entry in [`ALL`]; a new version
//! scheme lives in `palisade-version`.

use std::fmt;

use palisade_version::VersionScheme;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod types;

pub use types::{OsFormat, PackageType, PackageTypeRow, Target};

/// Whether an ecosystem's packages come with the operating system or with an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Distribution packages: Trivy's `os-pkgs` results.
    OsPkgs,
    /// Language packages: Trivy's `lang-pkgs` results.
    LangPkgs,
}

impl Class {
    /// The name Trivy's JSON uses in `Results[].Class`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::OsPkgs => "os-pkgs",
            Class::LangPkgs => "lang-pkgs",
        }
    }
}

/// How an ecosystem's advisories are keyed in the store and compared with a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Distributions whose advisories name the *source* package (Debian, Ubuntu, Alpine's
    /// origin): a binary package is matched through its source name and source version, which
    /// is what makes binNMUs and multi-binary sources come out right.
    SourcePackage,
    /// Distributions whose advisories name *binary* packages with their full version (the RHEL
    /// family's errata list `openssl-libs`, `kernel-core` with `epoch:version-release`).
    BinaryPackage,
    /// Language ecosystems: one advisory set for the whole ecosystem (`PyPI`), keyed by the
    /// normalised package name and compared with the installed version.
    Package,
}

impl Matching {
    /// Whether this is a distribution's way of matching (OS packages, found through the
    /// detected OS release) rather than a language ecosystem's.
    pub fn is_distribution(self) -> bool {
        !matches!(self, Matching::Package)
    }
}

/// One ecosystem. See the module documentation for why this is a table.
pub struct EcosystemRow {
    /// OSV's ecosystem name, without any `:release` suffix: `Debian`, `PyPI`, `crates.io`.
    pub osv: &'static str,
    /// Package URL type (`pkg:<type>/…`).
    pub purl_type: &'static str,
    /// The ordering advisories' versions are compared with; `None` while matching for this
    /// ecosystem is not implemented (its advisories are still ingested).
    pub scheme: Option<&'static dyn VersionScheme>,
    /// The report class of its packages.
    pub class: Class,
    /// How advisories are keyed and matched.
    pub matching: Matching,
    /// Whether advisories are split by release (`Debian:12`, `AlmaLinux:9`, `Alpine:v3.20`), so
    /// an image is matched against its own release only. Rolling distributions (Wolfi,
    /// Chainguard) and language ecosystems have one advisory set.
    pub per_release: bool,
    /// The canonical spelling of a package name, applied to advisories at ingest and to
    /// installed packages at lookup, so both sides meet (PEP 503 for PyPI).
    pub normalize: fn(&str) -> String,
    /// Splits a package name into purl namespace and name (`@types/node` → `@types`, `node`;
    /// `golang.org/x/text` → `golang.org/x`, `text`).
    pub purl_name: fn(&str) -> (Option<String>, String),
}

impl fmt::Debug for EcosystemRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcosystemRow")
            .field("osv", &self.osv)
            .finish_non_exhaustive()
    }
}

fn verbatim(name: &str) -> String {
    name.to_string()
}

fn lowercase(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// PEP 503: lowercase, and every run of `-`, `_` and `.` becomes one `-`; `Django`,
/// `zope.interface` and `PyYAML` are then spelled as the index (and OSV) spell them.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

fn no_namespace(name: &str) -> (Option<String>, String) {
    (None, name.to_string())
}

/// `a/b/c` → (`a/b`, `c`): Go module paths, Composer `vendor/name`, npm `@scope/name`.
fn last_slash(name: &str) -> (Option<String>, String) {
    match name.rsplit_once('/') {
        Some((ns, n)) if !ns.is_empty() && !n.is_empty() => (Some(ns.to_string()), n.to_string()),
        _ => (None, name.to_string()),
    }
}

/// `group:artifact` → (`group`, `artifact`).
fn maven_name(name: &str) -> (Option<String>, String) {
    match name.split_once(':') {
        Some((g, a)) if !g.is_empty() && !a.is_empty() => (Some(g.to_string()), a.to_string()),
        _ => (None, name.to_string()),
    }
}

/// PyPI purls use the PEP 503 name.
fn pypi_purl(name: &str) -> (Option<String>, String) {
    (None, pep503(name))
}

macro_rules! os_row {
    ($ident:ident, $osv:literal, $purl:literal, $scheme:expr, $matching:ident, $per_release:literal) => {
        #[doc = concat!("The `", $osv, "` distribution ecosystem.")]
        pub static $ident: EcosystemRow = EcosystemRow {
            osv: $osv,
            purl_type: $purl,
            scheme: $scheme,
            class: Class::OsPkgs,
            matching: Matching::$matching,
            per_release: $per_release,
            normalize: verbatim,
            purl_name: no_namespace,
        };
    };
}

/// The rows themselves, one static each so analyzers can name theirs.
pub mod rows {
    use super::*;

    const DEB: Option<&'static dyn VersionScheme> = Some(&palisade_version::DEB);
    const APK: Option<&'static dyn VersionScheme> = Some(&palisade_version::APK);
    const RPM: Option<&'static dyn VersionScheme> = Some(&palisade_version::RPM);

    // Source-package distributions: Debian's and Ubuntu's trackers and Alpine's secdb name the
    // source package (Alpine's `o:` origin).
    os_row!(DEBIAN, "Debian", "deb", DEB, SourcePackage, true);
    os_row!(UBUNTU, "Ubuntu", "deb", DEB, SourcePackage, true);
    os_row!(ALPINE, "Alpine", "apk", APK, SourcePackage, true);
    os_row!(WOLFI, "Wolfi", "apk", APK, SourcePackage, false);
    os_row!(CHAINGUARD, "Chainguard", "apk", APK, SourcePackage, false);
    // The RHEL family: errata name binary rpms with their full EVR. CentOS and UBI images are
    // matched with Red Hat's data, as Trivy does. The keys of distributions that OSV does not
    // carry (Amazon, Oracle, Fedora) are the names their own feeds use. SUSE's and openSUSE's
    // records name the source rpm (binaries in `ecosystem_specific`), as Debian's do.
    os_row!(ALMALINUX, "AlmaLinux", "rpm", RPM, BinaryPackage, true);
    os_row!(ROCKY, "Rocky Linux", "rpm", RPM, BinaryPackage, true);
    os_row!(REDHAT, "Red Hat", "rpm", RPM, BinaryPackage, true);
    os_row!(ORACLE, "Oracle Linux", "rpm", RPM, BinaryPackage, true);
    os_row!(AMAZON, "Amazon Linux", "rpm", RPM, BinaryPackage, true);
    os_row!(FEDORA, "Fedora", "rpm", RPM, BinaryPackage, true);
    os_row!(SUSE, "SUSE", "rpm", RPM, SourcePackage, true);
    os_row!(OPENSUSE, "openSUSE", "rpm", RPM, SourcePackage, true);

    /// Python packages (PyPI), PEP 440 versions and PEP 503 names.
    pub static PYPI: EcosystemRow = EcosystemRow {
        osv: "PyPI",
        purl_type: "pypi",
        scheme: Some(&palisade_version::PEP440),
        class: Class::LangPkgs,
        matching: Matching::Package,
        per_release: false,
        normalize: pep503,
        purl_name: pypi_purl,
    };
    /// Node.js packages (npm), SemVer 2.0.
    pub static NPM: EcosystemRow = EcosystemRow {
        osv: "npm",
        purl_type: "npm",
        scheme: Some(&palisade_version::SEMVER),
        class: Class::LangPkgs,
        matching: Matching::Package,
        per_release: false,
        normalize: verbatim,
        purl_name: last_slash,
    };
    /// Go modules, Go's SemVer with pseudo-versions; the toolchain is the `stdlib` module.
    pub static GO: EcosystemRow = EcosystemRow {
        osv: "Go",
        purl_type: "golang",
        scheme: Some(&palisade_version::GO),
        class: Class::LangPkgs,
        matching: Matching::Package,
        per_release: false,
        normalize: verbatim,
        purl_name: last_slash,
    };
    /// Rust crates (crates.io), SemVer 2.0.
    pub static CRATES_IO: EcosystemRow = EcosystemRow {
        osv: "crates.io",
        purl_type: "cargo",
        scheme: Some(&palisade_version::SEMVER),
        class: Class::LangPkgs,
        matching: Matching::Package,
        per_release: false,
        normalize: verbatim,
        purl_name: no_namespace,
    };
    /// Java (Maven) artifacts, named `group:artifact`.
    pub static MAVEN: EcosystemRow = EcosystemRow {
        osv: "Maven",
        purl_type: "maven",
        scheme: Some(&palisade_version::MAVEN),
        class: Class::LangPkgs,
        matching: Matching::Package,
        per_release: false,
        normalize: verbatim,
        purl_name: maven_name,
    };
    /// Ruby gems, `Gem::Version` ordering.
    pub static RUBYGEMS: EcosystemRow = EcosystemRow {
        osv: "RubyGems",
        purl_type: "gem",
        scheme: Some(&palisade_version::RUBYGEMS),
        class: Class::LangPkgs,
        matching: Matching::Package,
        per_release: false,
        normalize: verbatim,
        purl_name: no_namespace,
    };
    /// PHP packages (Composer); names are case-insensitive.
    pub static PACKAGIST: EcosystemRow = EcosystemRow {
        osv: "Packagist",
        purl_type: "composer",
        scheme: Some(&palisade_version::COMPOSER),
        class: Class::LangPkgs,
        matching: Matching::Package,
        per_release: false,
        normalize: lowercase,
        purl_name: last_slash,
    };
    /// .NET packages (NuGet), NuGet.Versioning's ordering; ids are case-insensitive.
    pub static NUGET: EcosystemRow = EcosystemRow {
        osv: "NuGet",
        purl_type: "nuget",
        scheme: Some(&palisade_version::NUGET),
        class: Class::LangPkgs,
        matching: Matching::Package,
        per_release: false,
        normalize: lowercase,
        purl_name: no_namespace,
    };
}

/// Every ecosystem, in a fixed order (reports list results in this order too).
pub static ALL: &[&EcosystemRow] = &[
    &rows::DEBIAN,
    &rows::UBUNTU,
    &rows::ALPINE,
    &rows::WOLFI,
    &rows::CHAINGUARD,
    &rows::ALMALINUX,
    &rows::ROCKY,
    &rows::REDHAT,
    &rows::ORACLE,
    &rows::AMAZON,
    &rows::FEDORA,
    &rows::SUSE,
    &rows::OPENSUSE,
    &rows::PYPI,
    &rows::NPM,
    &rows::GO,
    &rows::CRATES_IO,
    &rows::MAVEN,
    &rows::RUBYGEMS,
    &rows::PACKAGIST,
    &rows::NUGET,
];

/// A handle on one row of the table: cheap to copy, compared by OSV name, serialised as it.
#[derive(Clone, Copy)]
pub struct Ecosystem(&'static EcosystemRow);

impl Ecosystem {
    /// The Debian ecosystem (also the guess for a dpkg database on an unknown OS).
    pub const DEBIAN: Ecosystem = Ecosystem(&rows::DEBIAN);
    /// The Ubuntu ecosystem.
    pub const UBUNTU: Ecosystem = Ecosystem(&rows::UBUNTU);
    /// Python.
    pub const PYPI: Ecosystem = Ecosystem(&rows::PYPI);
    /// Node.js.
    pub const NPM: Ecosystem = Ecosystem(&rows::NPM);
    /// Go.
    pub const GO: Ecosystem = Ecosystem(&rows::GO);
    /// Rust.
    pub const CRATES_IO: Ecosystem = Ecosystem(&rows::CRATES_IO);

    /// The handle of a row.
    pub const fn of(row: &'static EcosystemRow) -> Self {
        Ecosystem(row)
    }

    /// The row of an OSV ecosystem string. Only the part before the first `:` names the
    /// ecosystem (`Debian:12`, `Ubuntu:Pro:18.04:LTS`, `Alpine:v3.20`); the name is matched
    /// exactly, as OSV spells it.
    pub fn from_osv(ecosystem: &str) -> Option<Self> {
        let base = ecosystem.split_once(':').map_or(ecosystem, |(b, _)| b);
        ALL.iter().find(|r| r.osv == base).map(|r| Ecosystem(r))
    }

    /// The row itself.
    pub fn row(self) -> &'static EcosystemRow {
        self.0
    }

    /// OSV's name for it.
    pub fn osv_name(self) -> &'static str {
        self.0.osv
    }

    /// Its version scheme, if matching is implemented.
    pub fn scheme(self) -> Option<&'static dyn VersionScheme> {
        self.0.scheme
    }

    /// Its report class.
    pub fn class(self) -> Class {
        self.0.class
    }

    /// How its advisories are keyed and matched.
    pub fn matching(self) -> Matching {
        self.0.matching
    }

    /// The package name a purl's namespace and name stand for: the inverse of the row's
    /// `purl_name`, found by trying the joins that rows split on (`/` for npm scopes, Go and
    /// Composer; `:` for Maven's `group:artifact`), so no reader of purls needs to know which
    /// ecosystem joins how.
    pub fn name_from_purl(self, namespace: &[String], name: &str) -> String {
        if namespace.is_empty() {
            return name.to_string();
        }
        let ns = namespace.join("/");
        let split = |joined: &str| (self.0.purl_name)(joined);
        ['/', ':']
            .into_iter()
            .map(|sep| format!("{ns}{sep}{name}"))
            .find(|joined| split(joined) == (Some(ns.clone()), name.to_string()))
            .unwrap_or_else(|| format!("{ns}/{name}"))
    }

    /// A package name in the spelling advisories are stored under.
    pub fn normalize_name(self, name: &str) -> String {
        (self.0.normalize)(name)
    }

    /// The advisory-store key of this ecosystem for a given OS release: distributions are keyed
    /// per release (`Debian:12`), language ecosystems by name alone.
    pub fn store_key(self, release: Option<&str>) -> String {
        match release {
            Some(r) if self.0.per_release => format!("{}:{r}", self.0.osv),
            _ => self.0.osv.to_string(),
        }
    }
}

impl PartialEq for Ecosystem {
    fn eq(&self, other: &Self) -> bool {
        self.0.osv == other.0.osv
    }
}
impl Eq for Ecosystem {}
impl std::hash::Hash for Ecosystem {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.osv.hash(state);
    }
}
impl PartialOrd for Ecosystem {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ecosystem {
    /// Table order, so reports list ecosystems in a fixed, meaningful order.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let pos = |e: &Ecosystem| ALL.iter().position(|r| r.osv == e.0.osv);
        pos(self).cmp(&pos(other))
    }
}
impl fmt::Debug for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ecosystem({})", self.0.osv)
    }
}
impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.osv)
    }
}
impl Serialize for Ecosystem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.osv)
    }
}
impl<'de> Deserialize<'de> for Ecosystem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ecosystem::from_osv(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown ecosystem {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_names_resolve_with_and_without_release() {
        for (s, want) in [
            ("Debian:12", "Debian"),
            ("Debian", "Debian"),
            ("Ubuntu:Pro:18.04:LTS", "Ubuntu"),
            ("Alpine:v3.11", "Alpine"),
            ("AlmaLinux:9", "AlmaLinux"),
            ("PyPI", "PyPI"),
            ("crates.io", "crates.io"),
            ("Go", "Go"),
            ("npm", "npm"),
            ("Maven", "Maven"),
            ("RubyGems", "RubyGems"),
            ("Packagist", "Packagist"),
        ] {
            assert_eq!(
                Ecosystem::from_osv(s).map(|e| e.osv_name()),
                Some(want),
                "{s}"
            );
        }
        for s in ["", "debian", "Debianx", " Debian", "pypi", "Hex"] {
            assert!(Ecosystem::from_osv(s).is_none(), "{s:?}");
        }
    }

    #[test]
    fn names_are_unique_and_round_trip_through_serde() {
        let mut names: Vec<_> = ALL.iter().map(|r| r.osv).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for r in ALL {
            let e = Ecosystem::of(r);
            let json = serde_json::to_string(&e).expect("serialises");
            let back: Ecosystem = serde_json::from_str(&json).expect("deserialises");
            assert_eq!(back, e);
        }
        assert!(serde_json::from_str::<Ecosystem>("\"Nope\"").is_err());
    }

    #[test]
    fn pep503_normalisation() {
        assert_eq!(pep503("Django"), "django");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(Ecosystem::PYPI.normalize_name("PyYAML"), "pyyaml");
        assert_eq!(Ecosystem::NPM.normalize_name("jQuery"), "jQuery");
    }

    #[test]
    fn store_keys_and_purl_names() {
        assert_eq!(Ecosystem::DEBIAN.store_key(Some("12")), "Debian:12");
        assert_eq!(Ecosystem::PYPI.store_key(Some("12")), "PyPI");
        let go = Ecosystem::GO.row();
        assert_eq!(
            (go.purl_name)("golang.org/x/text"),
            (Some("golang.org/x".into()), "text".into())
        );
        assert_eq!((go.purl_name)("stdlib"), (None, "stdlib".into()));
        let npm = Ecosystem::NPM.row();
        assert_eq!(
            (npm.purl_name)("@types/node"),
            (Some("@types".into()), "node".into())
        );
        assert_eq!(
            (rows::MAVEN.purl_name)("org.apache.logging.log4j:log4j-core"),
            (Some("org.apache.logging.log4j".into()), "log4j-core".into())
        );
    }

    #[test]
    fn purl_names_round_trip_for_every_row() {
        for (row, name) in [
            (&rows::MAVEN, "org.apache.logging.log4j:log4j-core"),
            (&rows::NPM, "@types/node"),
            (&rows::GO, "golang.org/x/text"),
            (&rows::PACKAGIST, "symfony/http-kernel"),
            (&rows::RUBYGEMS, "rack"),
            (&rows::NUGET, "Newtonsoft.Json"),
        ] {
            let (ns, n) = (row.purl_name)(name);
            let ns: Vec<String> = ns.into_iter().collect();
            assert_eq!(
                Ecosystem::of(row).name_from_purl(&ns, &n),
                name,
                "{}",
                row.osv
            );
        }
    }

    #[test]
    fn only_implemented_schemes_match() {
        assert!(Ecosystem::DEBIAN.scheme().is_some());
        assert!(Ecosystem::of(&rows::ALPINE).scheme().is_some());
        assert_eq!(
            Ecosystem::of(&rows::MAVEN).scheme().map(|s| s.name()),
            Some("maven")
        );
        assert_eq!(
            Ecosystem::of(&rows::RUBYGEMS).scheme().map(|s| s.name()),
            Some("rubygems")
        );
        assert_eq!(
            Ecosystem::of(&rows::NUGET).scheme().map(|s| s.name()),
            Some("nuget")
        );
        assert_eq!(
            Ecosystem::of(&rows::NUGET).normalize_name("Newtonsoft.Json"),
            "newtonsoft.json"
        );
        let packagist = Ecosystem::of(&rows::PACKAGIST);
        assert_eq!(packagist.scheme().map(|s| s.name()), Some("composer"));
        assert_eq!(packagist.normalize_name("Acme/Lib-A"), "acme/lib-a");
        assert_eq!(Ecosystem::PYPI.class(), Class::LangPkgs);
        assert_eq!(Ecosystem::DEBIAN.class().as_str(), "os-pkgs");
    }
}
