//! .NET: the runtime's dependency manifests (`*.deps.json`) and NuGet's `packages.lock.json` and
//! `packages.config`.
//!
//! Two analyzers, because Trivy reports two package types: [`DEPS_JSON`] (`dotnet-core`) reads
//! the manifest the SDK writes next to an application's dll, which says what the application
//! loads at run time; [`NUGET`] (`nuget`) reads what a project restores. Each file is a result
//! of its own, named by its path.
//!
//! What is listed follows what Trivy 0.76 lists for the same files (observed by running it on
//! files written in the shapes the .NET 6/8 SDK and NuGet produce, not by reading its code):
//!
//! - `*.deps.json` ([`deps`]): every `libraries` entry whose `type` is `package`, `project` or
//!   `runtimepack` (any case; `reference`, `referenceassembly`, `msbuild` and untyped entries are
//!   left out), split at the first `/` of its `Name/Version` key. A `runtimepack.` prefix is
//!   dropped from the name (`runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0` is the
//!   runtime pack `Microsoft.NETCore.App.Runtime.linux-x64` of a self-contained app, the
//!   package vulnerability advisories name). The application's own project is listed too, as
//!   Trivy lists it. When the target `runtimeTarget.name` names exists, an entry listed there
//!   without `runtime`, `native` or `runtimeTargets` assets (a compile-time-only package such
//!   as an analyzer, a meta-package, a `null` entry) is left out, because nothing of it is
//!   loaded; an entry the target does not list, or a file without that target, keeps every
//!   library.
//! - `packages.lock.json` ([`lock`]): the `resolved` version of every package under every
//!   target framework (`net8.0`, `net8.0/linux-x64`, …), whatever its `type` (`Direct`,
//!   `Transitive`, `CentralTransitive`, or none) except `Project` (exact spelling), which is a
//!   project reference, not a package. A package restored for several frameworks at one
//!   version is listed once; at different versions, once per version.
//! - `packages.config` ([`config`]): every `<package>` element directly under the root
//!   `<packages>`, except development dependencies (`developmentDependency` `true`, `True`,
//!   `TRUE`, `t`, `T` or `1`). Element and attribute names are case-sensitive, as are the
//!   root's: a file whose root is not `<packages>` is refused.
//!
//! In every format ids keep the case they are written in (NuGet ids are case-insensitive; the
//! ecosystem table lowercases them for matching), and the same id and version twice is one
//! package. Where this deliberately differs from Trivy:
//!
//! - entries without a version (a `Name/` key, a lock entry without `resolved`, a `<package>`
//!   without `version`) are left out: Trivy lists them without a version, which nothing can be
//!   matched against;
//! - a `developmentDependency` value that is not one of the spellings above (`yes`) keeps the
//!   package listed; Trivy refuses the whole file, which would hide every package in it.
//!
//! Syft 1.18, for comparison, reads only `*.deps.json` among these files, lists every library
//! whatever its type or assets (references too), keeps the `runtimepack.` prefix, and fails on
//! a library key without `/`.
//!
//! All three are hostile input: files are size-bounded ([`read_bounded`]) and the packages
//! taken from one file are capped; JSON is parsed with `serde_json`'s recursion limit; XML is
//! read by a streaming parser that keeps no tree and never expands DTD entities (a reference to
//! anything but the five predefined entities or a character reference refuses the file, so
//! neither external nor recursive entities are ever resolved).

mod config;
mod deps;
mod lock;

use std::io::Read;

use palisade_ecosystem::{PackageType, types};

use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package, read_bounded};

/// `*.deps.json` manifests.
pub static DEPS_JSON: DepsJson = DepsJson;
/// `packages.lock.json` and `packages.config`.
pub static NUGET: NuGetFiles = NuGetFiles;

/// Largest `*.deps.json` read. One entry per library plus its assets: even applications with
/// hundreds of packages stay well under a few MiB.
const MAX_DEPS_JSON: u64 = 32 << 20;
/// Largest `packages.lock.json` read: a project with thousands of packages over several
/// frameworks stays in the low MiB.
const MAX_LOCKFILE: u64 = 32 << 20;
/// Largest `packages.config` read: one line per package, written by hand or by Visual Studio.
const MAX_CONFIG: u64 = 8 << 20;
/// Most distinct packages taken from one file. Real files name hundreds; the cap bounds what a
/// hostile one can make us hold.
const MAX_PACKAGES: usize = 100_000;

const DEPS_SUFFIX: &str = ".deps.json";
const LOCK_FILE: &str = "packages.lock.json";
const CONFIG_FILE: &str = "packages.config";

/// Analyzer of `*.deps.json` ([`DEPS_JSON`]).
pub struct DepsJson;

/// Analyzer of NuGet's files ([`NUGET`]).
pub struct NuGetFiles;

impl FileAnalyzer for DepsJson {
    fn name(&self) -> &'static str {
        "dotnet-core"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        let name = file_name(file.path);
        name.len() > DEPS_SUFFIX.len() && name.ends_with(DEPS_SUFFIX)
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let data = read_bounded(file, content, MAX_DEPS_JSON)?;
        let mut found = Found::default();
        deps::parse(strip_bom(&data), &mut found).map_err(AnalyzeError::skip)?;
        Ok(found.into_packages(PackageType::of(&types::DOTNET_CORE), file.path))
    }
}

impl FileAnalyzer for NuGetFiles {
    fn name(&self) -> &'static str {
        "nuget"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        matches!(file_name(file.path), LOCK_FILE | CONFIG_FILE)
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let mut found = Found::default();
        match file_name(file.path) {
            LOCK_FILE => {
                let data = read_bounded(file, content, MAX_LOCKFILE)?;
                lock::parse(strip_bom(&data), &mut found).map_err(AnalyzeError::skip)?;
            }
            CONFIG_FILE => {
                let data = read_bounded(file, content, MAX_CONFIG)?;
                let text = std::str::from_utf8(strip_bom(&data)).map_err(|e| {
                    AnalyzeError::skip(format!("packages.config is not UTF-8 text: {e}"))
                })?;
                config::parse(text, &mut found).map_err(AnalyzeError::skip)?;
            }
            _ => return Err(AnalyzeError::skip("not a NuGet file")),
        }
        Ok(found.into_packages(PackageType::of(&types::NUGET), file.path))
    }
}

/// The last component of a normalized path, without allocating (`wants` runs for every file
/// of every layer).
fn file_name(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

/// The bytes after a UTF-8 byte order mark, which Windows tools often write and JSON parsers
/// reject.
fn strip_bom(data: &[u8]) -> &[u8] {
    data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data)
}

/// Whether a JSON document is an object, as both JSON formats must be. (`serde` would also
/// build a struct from an array of its fields, and `[]` is no manifest.)
fn is_json_object(data: &[u8]) -> bool {
    data.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// The start of a possibly huge string, for messages.
fn excerpt(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The distinct (id, version) pairs of one file, at most [`MAX_PACKAGES`] of them.
pub(crate) type Found = super::found::Found<MAX_PACKAGES>;

#[cfg(test)]
mod tests;
