//! Package types: where a package was found, and how Trivy names and groups such packages.
//!
//! Trivy reports one result per *application*: a lockfile, a binary, or, for packages installed
//! into a shared folder (Python's site-packages, `node_modules`), one aggregate result per
//! language (`Python`, `Node.js`). The type decides which: each row says its Trivy name
//! (`Results[].Type`), its ecosystem and its [`Target`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Class, Ecosystem, rows};

/// How the report target of a package type is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Distribution packages: one result for the image's OS, `image (debian 12.7)`.
    Os,
    /// Every package of this type in one result named by the language (`Python`), each
    /// package carrying the path where it was found.
    Aggregate(&'static str),
    /// One result per file (lockfile or binary), named by its path.
    File,
}

/// The format of a distribution's package database: how its versions are written, its purl
/// type and where the database usually lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsFormat {
    /// dpkg: `epoch:upstream-revision`, `pkg:deb`.
    Deb,
    /// apk: `1.1.1d-r2`, kept whole, `pkg:apk`.
    Apk,
    /// rpm: `epoch:version-release`, `pkg:rpm`.
    Rpm,
}

impl OsFormat {
    /// Its purl type; an OS's ecosystem row names the same one.
    pub fn purl_type(self) -> &'static str {
        match self {
            OsFormat::Deb => "deb",
            OsFormat::Apk => "apk",
            OsFormat::Rpm => "rpm",
        }
    }

    /// Whether Trivy splits its versions into version and release (dpkg and rpm) or keeps
    /// them whole (apk).
    pub fn splits_release(self) -> bool {
        self != OsFormat::Apk
    }

    /// Where the database usually is, for packages read back from a BOM that does not say.
    pub fn default_path(self) -> &'static str {
        match self {
            OsFormat::Deb => "var/lib/dpkg/status",
            OsFormat::Apk => "lib/apk/db/installed",
            OsFormat::Rpm => "var/lib/rpm/rpmdb.sqlite",
        }
    }
}

/// One package type. See the module documentation.
#[derive(Debug)]
pub struct PackageTypeRow {
    /// Trivy's name for it (`Results[].Type` and the `aquasecurity:trivy:PkgType` property).
    pub name: &'static str,
    /// The ecosystem its packages belong to; `None` for distribution packages, whose
    /// ecosystem is the detected OS.
    pub ecosystem: Option<Ecosystem>,
    /// How its results are named.
    pub target: Target,
    /// The database format of distribution packages; `None` for language packages.
    pub os_format: Option<OsFormat>,
}

macro_rules! type_row {
    ($ident:ident, $name:literal, $eco:expr, $target:expr, $doc:literal) => {
        #[doc = $doc]
        pub static $ident: PackageTypeRow = PackageTypeRow {
            name: $name,
            ecosystem: $eco,
            target: $target,
            os_format: None,
        };
    };
}

macro_rules! os_type_row {
    ($ident:ident, $name:literal, $format:ident, $doc:literal) => {
        #[doc = $doc]
        pub static $ident: PackageTypeRow = PackageTypeRow {
            name: $name,
            ecosystem: None,
            target: Target::Os,
            os_format: Some(OsFormat::$format),
        };
    };
}

os_type_row!(
    DPKG,
    "dpkg",
    Deb,
    "Debian and Ubuntu packages from the dpkg database."
);
os_type_row!(
    APK,
    "apk",
    Apk,
    "Alpine, Wolfi and Chainguard packages from apk's installed database."
);
os_type_row!(
    RPM,
    "rpm",
    Rpm,
    "RHEL-family, Amazon, Fedora and SUSE packages from the rpm database (sqlite, BerkeleyDB or NDB)."
);
type_row!(
    PYTHON_PKG,
    "python-pkg",
    Some(Ecosystem::PYPI),
    Target::Aggregate("Python"),
    "Installed Python distributions (`*.dist-info`, `*.egg-info`)."
);
type_row!(
    PIP,
    "pip",
    Some(Ecosystem::PYPI),
    Target::File,
    "Pinned `requirements*.txt`."
);
type_row!(
    PIPENV,
    "pipenv",
    Some(Ecosystem::PYPI),
    Target::File,
    "`Pipfile.lock`."
);
type_row!(
    POETRY,
    "poetry",
    Some(Ecosystem::PYPI),
    Target::File,
    "`poetry.lock`."
);
type_row!(UV, "uv", Some(Ecosystem::PYPI), Target::File, "`uv.lock`.");
type_row!(
    NODE_PKG,
    "node-pkg",
    Some(Ecosystem::NPM),
    Target::Aggregate("Node.js"),
    "Installed Node.js packages (`node_modules/**/package.json`)."
);
type_row!(
    NPM,
    "npm",
    Some(Ecosystem::NPM),
    Target::File,
    "`package-lock.json` (lockfile versions 1 to 3)."
);
type_row!(
    YARN,
    "yarn",
    Some(Ecosystem::NPM),
    Target::File,
    "`yarn.lock` (classic and berry)."
);
type_row!(
    PNPM,
    "pnpm",
    Some(Ecosystem::NPM),
    Target::File,
    "`pnpm-lock.yaml`."
);
type_row!(
    GOBINARY,
    "gobinary",
    Some(Ecosystem::GO),
    Target::File,
    "Go binaries, from their embedded build information."
);
type_row!(
    CARGO,
    "cargo",
    Some(Ecosystem::CRATES_IO),
    Target::File,
    "`Cargo.lock`."
);
type_row!(
    RUSTBINARY,
    "rustbinary",
    Some(Ecosystem::CRATES_IO),
    Target::File,
    "Rust binaries built with cargo-auditable."
);
type_row!(
    JAR,
    "jar",
    Some(Ecosystem::of(&rows::MAVEN)),
    Target::Aggregate("Java"),
    "Java archives."
);
type_row!(
    GEMSPEC,
    "gemspec",
    Some(Ecosystem::of(&rows::RUBYGEMS)),
    Target::Aggregate("Ruby"),
    "Installed Ruby gems (`specifications/*.gemspec`)."
);
type_row!(
    BUNDLER,
    "bundler",
    Some(Ecosystem::of(&rows::RUBYGEMS)),
    Target::File,
    "Bundler's `Gemfile.lock`."
);
type_row!(
    DOTNET_CORE,
    "dotnet-core",
    Some(Ecosystem::of(&rows::NUGET)),
    Target::File,
    "The .NET runtime's dependency manifest of an application (`*.deps.json`)."
);
type_row!(
    NUGET,
    "nuget",
    Some(Ecosystem::of(&rows::NUGET)),
    Target::File,
    "NuGet's `packages.lock.json` and `packages.config`."
);
type_row!(
    COMPOSER,
    "composer",
    Some(Ecosystem::of(&rows::PACKAGIST)),
    Target::File,
    "`composer.lock` (its `packages`; `packages-dev` is left out, as Trivy does by default)."
);
type_row!(
    COMPOSER_VENDOR,
    "composer-vendor",
    Some(Ecosystem::of(&rows::PACKAGIST)),
    Target::File,
    "Composer's record of what it installed, `vendor/composer/installed.json`."
);

/// Every package type.
pub static ALL_TYPES: &[&PackageTypeRow] = &[
    &DPKG,
    &APK,
    &RPM,
    &PYTHON_PKG,
    &PIP,
    &PIPENV,
    &POETRY,
    &UV,
    &NODE_PKG,
    &NPM,
    &YARN,
    &PNPM,
    &GOBINARY,
    &CARGO,
    &RUSTBINARY,
    &JAR,
    &GEMSPEC,
    &BUNDLER,
    &DOTNET_CORE,
    &NUGET,
    &COMPOSER,
    &COMPOSER_VENDOR,
];

/// A handle on one package type: copied freely, compared and serialised by name.
#[derive(Clone, Copy)]
pub struct PackageType(&'static PackageTypeRow);

impl PackageType {
    /// The handle of a row.
    pub const fn of(row: &'static PackageTypeRow) -> Self {
        PackageType(row)
    }

    /// The type Trivy calls `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        ALL_TYPES
            .iter()
            .find(|r| r.name == name)
            .map(|r| PackageType(r))
    }

    /// The row itself.
    pub fn row(self) -> &'static PackageTypeRow {
        self.0
    }

    /// Trivy's name.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The class of its results.
    pub fn class(self) -> Class {
        match self.0.ecosystem {
            Some(e) => e.class(),
            None => Class::OsPkgs,
        }
    }

    /// How its results are named.
    pub fn target(self) -> Target {
        self.0.target
    }

    /// The database format of a distribution package type.
    pub fn os_format(self) -> Option<OsFormat> {
        self.0.os_format
    }

    /// The distribution package type of a purl type (`deb`, `apk`, `rpm`).
    pub fn of_os_purl_type(purl_type: &str) -> Option<Self> {
        ALL_TYPES
            .iter()
            .find(|r| r.os_format.is_some_and(|f| f.purl_type() == purl_type))
            .map(|r| PackageType(r))
    }
}

impl PartialEq for PackageType {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name
    }
}
impl Eq for PackageType {}
impl std::hash::Hash for PackageType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state);
    }
}
impl PartialOrd for PackageType {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for PackageType {
    /// Table order.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let pos = |t: &PackageType| ALL_TYPES.iter().position(|r| r.name == t.0.name);
        pos(self).cmp(&pos(other))
    }
}
impl fmt::Debug for PackageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PackageType({})", self.0.name)
    }
}
impl fmt::Display for PackageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}
impl Serialize for PackageType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name)
    }
}
impl<'de> Deserialize<'de> for PackageType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        PackageType::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown package type {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_types_have_a_format_every_os_row_can_use() {
        for r in ALL_TYPES {
            let t = PackageType::of(r);
            assert_eq!(r.os_format.is_some(), r.ecosystem.is_none(), "{}", r.name);
            if let Some(f) = t.os_format() {
                assert_eq!(PackageType::of_os_purl_type(f.purl_type()), Some(t));
            }
        }
        // Every distribution row's purl type is some OS type's format.
        for row in crate::ALL.iter().filter(|r| r.class == Class::OsPkgs) {
            assert!(
                PackageType::of_os_purl_type(row.purl_type).is_some(),
                "{}",
                row.osv
            );
        }
        assert!(PackageType::of_os_purl_type("npm").is_none());
    }

    #[test]
    fn names_unique_and_lang_types_have_ecosystems() {
        let mut names: Vec<_> = ALL_TYPES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL_TYPES.len());
        for r in ALL_TYPES {
            let t = PackageType::of(r);
            assert_eq!(PackageType::from_name(t.name()), Some(t));
            match r.target {
                Target::Os => assert!(r.ecosystem.is_none(), "{}", r.name),
                _ => assert_eq!(t.class(), Class::LangPkgs, "{}", r.name),
            }
        }
        assert_eq!(PackageType::of(&GOBINARY).class().as_str(), "lang-pkgs");
    }
}
