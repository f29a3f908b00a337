//! PHP: Composer's lockfile, `composer.lock`, and its record of what it installed,
//! `vendor/composer/installed.json`.
//!
//! Two analyzers, because Trivy reports them as two types, each file a result of its own named
//! by its path: [`COMPOSER_LOCK`] (`composer`) and [`INSTALLED`] (`composer-vendor`). Both
//! files are JSON; a package is an object of the `packages` list with a `name` (`vendor/name`)
//! and a `version` as its author tagged it (`v2.0.1`, `1.0-p1`, `dev-main`, `2.1.x-dev`);
//! `installed.json` also has `version_normalized`, which is not what anyone reports.
//!
//! # What Trivy 0.76 and Syft 1.18 list
//!
//! Observed on files that Debian's Composer 2.5 wrote for a scratch project (`composer update`
//! against a local `artifact` repository: tiny packages, one with a `v` prefix, a patch level,
//! a release candidate, a date, a four-part version, a `dev-main` branch and a `2.1.x-dev`
//! alias, two of them `require-dev`), and on hand-written variants of them:
//!
//! - Trivy reads `installed.json` in image and rootfs scans and `composer.lock` only in
//!   filesystem scans. Palisade reads both in images, as it does Node.js and Python lockfiles.
//! - `composer.lock`: Trivy lists the `packages`, and `packages-dev` only with
//!   `--include-dev-deps` (marked `Dev`); Syft lists `packages` only. So does Palisade. Trivy
//!   skips a `composer.lock` anywhere under a `vendor` folder (a published package's own
//!   lockfile, not what was installed), and so does Palisade.
//! - `installed.json`: Trivy and Syft list every entry, the development packages included:
//!   Composer 2's `dev` and `dev-package-names` are ignored, since the packages are on disk
//!   either way. So does Palisade. Both read a file named exactly `installed.json` in any
//!   folder. Trivy reads Composer 2's `{"packages": [...]}` only and gives up on Composer 1's
//!   file, a top-level list of the same entries (Syft reads it); Palisade reads both.
//! - Both report names as written (`Acme/Upper` stays; the Packagist ecosystem lowercases
//!   names when matching) and `version`, never `version_normalized`.
//! - Trivy keeps the first entry of a name that appears twice; Syft keeps each distinct name
//!   and version. Composer never writes a name twice; Palisade keeps the first, as Trivy.
//! - Entries without a name or version are listed by both (Trivy with an empty name or
//!   version, Syft as `UNKNOWN`). Palisade leaves them out: nothing can be matched against
//!   them, and Composer never writes them.
//! - An entry whose `name` or `version` is not a string makes Trivy drop the whole file; so
//!   does Palisade, with a warning naming the place.
//!
//! # Hostile files
//!
//! Files are read up to [`MAX_FILE`] and parsed in one streaming pass that keeps only names
//! and versions, at most [`MAX_PACKAGES`] of them. A file that is not what its name says is a
//! warning ([`AnalyzeError::Skip`]) saying why, except an `installed.json` outside a
//! `composer` folder: that name is common, and a file that is not Composer's is no news, so it
//! gives no packages and no warning.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use palisade_ecosystem::PackageType;
use palisade_ecosystem::types::{self, PackageTypeRow};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package, read_bounded};

/// `composer.lock` files, outside `vendor` folders.
pub static COMPOSER_LOCK: ComposerLock = ComposerLock;
/// `installed.json` files (Composer's own are in `vendor/composer/`).
pub static INSTALLED: Installed = Installed;

/// Largest file read. The lockfiles of large applications are a few hundred KiB (about 2 KiB
/// per package); a file a hundred times that size is not a real one.
pub const MAX_FILE: u64 = 32 << 20;
/// Most distinct packages taken from one file. Real applications have a few hundred; the cap
/// bounds what a hostile file can make us hold.
pub const MAX_PACKAGES: usize = 100_000;

const LOCKFILE: &str = "composer.lock";
const INSTALLED_JSON: &str = "installed.json";

/// Analyzer of `composer.lock` ([`COMPOSER_LOCK`]).
pub struct ComposerLock;

/// Analyzer of `installed.json` ([`INSTALLED`]).
pub struct Installed;

impl FileAnalyzer for ComposerLock {
    fn name(&self) -> &'static str {
        "composer"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        file_name(file.path) == LOCKFILE && !in_vendor(file.path)
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let data = read_bounded(file, content, MAX_FILE)?;
        let found = parse(&data, Layout::Lockfile).map_err(AnalyzeError::skip)?;
        Ok(found.into_packages(&types::COMPOSER, file.path))
    }
}

impl FileAnalyzer for Installed {
    fn name(&self) -> &'static str {
        "composer-vendor"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        file_name(file.path) == INSTALLED_JSON
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let found = read_bounded(file, content, MAX_FILE)
            .and_then(|data| parse(&data, Layout::Installed).map_err(AnalyzeError::skip));
        match found {
            Ok(found) => Ok(found.into_packages(&types::COMPOSER_VENDOR, file.path)),
            Err(AnalyzeError::Skip(why)) if !in_composer_folder(file.path) => {
                tracing::debug!(path = file.path, "not Composer's installed.json: {why}");
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }
}

/// The last component of a normalized path, without allocating (`wants` runs for every file
/// of every layer).
fn file_name(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

/// Whether any folder of `path` is named `vendor`, where Composer installs packages.
fn in_vendor(path: &str) -> bool {
    path.starts_with("vendor/") || path.contains("/vendor/")
}

/// Whether the file's folder is named `composer`, as Composer's own `installed.json` is
/// (`vendor/composer/`, or `<vendor-dir>/composer/` for a project that moved it).
fn in_composer_folder(path: &str) -> bool {
    path.rsplit('/')
        .nth(1)
        .is_some_and(|folder| folder == "composer")
}

/// Where the package list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `composer.lock`: an object whose `packages` is the list.
    Lockfile,
    /// `installed.json`: the same object (Composer 2), or the list itself (Composer 1).
    Installed,
}

impl Layout {
    fn what(self) -> &'static str {
        match self {
            Layout::Lockfile => "composer.lock",
            Layout::Installed => "Composer installed.json",
        }
    }
}

/// The names and versions of a file, or why it cannot be read.
fn parse(data: &[u8], layout: Layout) -> Result<Found, String> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut found = Found::default();
    let mut de = serde_json::Deserializer::from_slice(data);
    let listed = Document {
        found: &mut found,
        layout,
    }
    .deserialize(&mut de)
    .and_then(|listed| de.end().map(|()| listed))
    .map_err(|e| format!("not a valid {}: {e}", layout.what()))?;
    if !listed {
        return Err(format!("not a valid {}: no `packages` list", layout.what()));
    }
    Ok(found)
}

/// The distinct packages of one file, by name: the first version named wins, as in Trivy.
#[derive(Debug, Default)]
struct Found {
    by_name: BTreeMap<String, String>,
}

impl Found {
    /// Records a package; entries without a name or version are left out. Fails once the file
    /// names more than [`MAX_PACKAGES`] packages.
    fn add(&mut self, name: String, version: String) -> Result<(), String> {
        if name.is_empty() || version.is_empty() || self.by_name.contains_key(&name) {
            return Ok(());
        }
        if self.by_name.len() >= MAX_PACKAGES {
            return Err(format!("names more than {MAX_PACKAGES} packages"));
        }
        self.by_name.insert(name, version);
        Ok(())
    }

    /// The packages, sorted by name, each naming the file as its path.
    fn into_packages(self, row: &'static PackageTypeRow, path: &str) -> Vec<Package> {
        let kind = PackageType::of(row);
        self.by_name
            .into_iter()
            .map(|(name, version)| Package::lang(kind, &name, &version, path))
            .collect()
    }
}

/// The whole document: finds the package list and feeds it to [`Found`]. Its value says
/// whether a list was found.
struct Document<'a> {
    found: &'a mut Found,
    layout: Layout,
}

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.layout {
            Layout::Lockfile => f.write_str("an object with a `packages` list"),
            Layout::Installed => f.write_str("an object with a `packages` list, or a list"),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut listed = false;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Packages if listed => {
                    return Err(de::Error::custom("two `packages` lists"));
                }
                Key::Packages => {
                    map.next_value_seed(PackageList {
                        found: &mut *self.found,
                    })?;
                    listed = true;
                }
                Key::Name | Key::Version | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(listed)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        if self.layout != Layout::Installed {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        PackageList { found: self.found }.visit_seq(seq)?;
        Ok(true)
    }
}

/// A key of the document (`packages`) or of a package (`name`, `version`); the rest are
/// skipped.
#[derive(Debug, Clone, Copy)]
enum Key {
    Packages,
    Name,
    Version,
    Other,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::Packages => "packages",
            Key::Name => "name",
            Key::Version => "version",
            Key::Other => "other",
        }
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "packages" => Key::Packages,
                    "name" => Key::Name,
                    "version" => Key::Version,
                    _ => Key::Other,
                })
            }
        }

        d.deserialize_identifier(KeyVisitor)
    }
}

/// The `packages` list, read one entry at a time straight into [`Found`].
struct PackageList<'a> {
    found: &'a mut Found,
}

impl<'de> DeserializeSeed<'de> for PackageList<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PackageList<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of packages")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<Entry>()? {
            if let (Some(name), Some(version)) = (entry.name, entry.version) {
                self.found.add(name, version).map_err(de::Error::custom)?;
            }
        }
        Ok(())
    }
}

/// One package of the list, as far as it is reported: an object, whose other fields are
/// skipped unread.
#[derive(Default)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a package (an object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let mut entry = Entry::default();
        while let Some(key) = map.next_key::<Key>()? {
            let slot = match key {
                Key::Name => &mut entry.name,
                Key::Version => &mut entry.version,
                Key::Packages | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(de::Error::custom(format!(
                    "a package has two `{}` fields",
                    key.name()
                )));
            }
            *slot = map.next_value::<Option<String>>()?;
        }
        Ok(entry)
    }
}

#[cfg(test)]
mod tests;
