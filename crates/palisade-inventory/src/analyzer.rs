//! Streaming file analyzers: one trait, one registry, one layer walk.
//!
//! Each [`FileAnalyzer`] says which files it wants ([`FileAnalyzer::wants`]: by name, path
//! pattern or executable bit) and turns one such file, read once from the layer stream, into
//! packages. The layer walker calls the whole registry through [`Analyzers`], the
//! [`palisade_vfs::Interest`] of a scan; each result is stored in the file tree as a compact
//! summary at the file's path, so whiteouts and later layers apply to it as to the file itself,
//! and a layer's summaries can be cached by its digest.
//!
//! Analyzers are hostile-input parsers: they read at most what [`read_bounded`] allows, and a
//! file they cannot use becomes a warning ([`AnalyzeError::Skip`]), never a failed scan.

use std::io::{self, Read};

use palisade_vfs::{EntryMeta, Interest, PathInterest};
use serde::{Deserialize, Serialize};

use crate::Package;

/// The file an analyzer is asked about: its normalized path (no leading `/`), declared size and
/// whether it is executable.
pub type FileInfo<'a> = EntryMeta<'a>;

/// Why an analyzer produced nothing for a file.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// Reading the layer stream failed: the layer is corrupt or truncated, not the file.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The file cannot be used (malformed, too large, not what its name says). The scan goes
    /// on; the message becomes a warning naming the file.
    #[error("{0}")]
    Skip(String),
}

impl AnalyzeError {
    /// A skip with a message.
    pub fn skip(msg: impl Into<String>) -> Self {
        AnalyzeError::Skip(msg.into())
    }
}

/// Turns the files of one kind (a lockfile format, installed metadata, binaries) into packages.
pub trait FileAnalyzer: Send + Sync {
    /// Short stable name, used in warnings and the cache key.
    fn name(&self) -> &'static str;
    /// Bumped whenever the output for the same input changes, so cached layer results made by
    /// an older analyzer are not reused.
    fn version(&self) -> u32;
    /// Whether this analyzer reads the file. Called for every regular file of every layer, so
    /// it must be cheap: a suffix or file-name test, not a regex over the path.
    fn wants(&self, file: &FileInfo<'_>) -> bool;
    /// Reads the file's packages from `content` (the file's bytes, streamed). Packages name
    /// the file as their `path`.
    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError>;
    /// The full result: packages, plus what some analyzers also know. Package databases (apk,
    /// rpm) say which files their packages installed: language metadata among them belongs to
    /// the OS package (a `py3-*` apk, a `python3-*` rpm) and is not listed again as a language
    /// package. Archives (a jar with a corrupt nested jar) keep what they could read and say
    /// what they could not. The default is [`FileAnalyzer::analyze`] with nothing else.
    fn analyze_detailed(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Analysis, AnalyzeError> {
        Ok(Analysis {
            packages: self.analyze(file, content)?,
            ..Analysis::default()
        })
    }
}

/// What one analyzer made of one file (see [`FileAnalyzer::analyze_detailed`]).
#[derive(Debug, Default)]
pub struct Analysis {
    /// The packages the file names.
    pub packages: Vec<Package>,
    /// Paths the file says an OS package installed.
    pub owned: Vec<String>,
    /// Parts of the file that could not be used, while the rest could; each names the part.
    pub warnings: Vec<String>,
}

/// Reads a whole file for analyzers that parse small documents, refusing files over `limit`
/// before reading them, so a hostile 1 GB `package.json` costs nothing.
pub fn read_bounded(
    file: &FileInfo<'_>,
    content: &mut dyn Read,
    limit: u64,
) -> Result<Vec<u8>, AnalyzeError> {
    if file.size > limit {
        return Err(AnalyzeError::skip(format!(
            "{} bytes, over the {} MiB limit for this kind of file",
            file.size,
            limit >> 20
        )));
    }
    // The size was bounded just above, so this allocation is too.
    let mut buf = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
    content.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(AnalyzeError::skip("larger than its declared size"));
    }
    Ok(buf)
}

/// What the tree holds for one summarised file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    /// The packages the file names.
    pub packages: Vec<Package>,
    /// Paths this file says an OS package owns (dpkg's `info/*.list`, apk's and rpm's databases), restricted to paths
    /// some analyzer would read: language packages there belong to the OS package.
    pub owned: Vec<String>,
    /// Why the file, or part of it, could not be used.
    pub warnings: Vec<String>,
}

impl FileSummary {
    /// Compact binary form for the tree and the layer cache.
    pub fn encode(&self) -> Vec<u8> {
        // postcard cannot fail on these types (strings, vectors, plain enums); an empty
        // summary is the safe answer if it ever did.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads a summary back; `None` for bytes no analyzer of this build wrote.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        postcard::from_bytes(bytes).ok()
    }
}

/// dpkg's per-package file lists: which files an OS package installed.
const DPKG_INFO_DIR: &str = "var/lib/dpkg/info/";
/// Longest dpkg file list read (the largest real ones, of kernel and texlive packages, are a
/// few MiB).
const MAX_DPKG_LIST: u64 = 32 << 20;

/// A set of analyzers as the layer walker sees them: the whole-file paths the OS analyzers
/// read, plus every streaming analyzer.
pub struct Analyzers {
    paths: PathInterest,
    analyzers: Vec<&'static dyn FileAnalyzer>,
}

impl Analyzers {
    /// The given whole-file paths and streaming analyzers.
    pub fn new(paths: PathInterest, analyzers: Vec<&'static dyn FileAnalyzer>) -> Self {
        Analyzers { paths, analyzers }
    }

    fn any_wants(&self, file: &FileInfo<'_>) -> bool {
        self.analyzers.iter().any(|a| a.wants(file))
    }

    fn is_dpkg_list(&self, path: &str) -> bool {
        !self.analyzers.is_empty()
            && path
                .strip_prefix(DPKG_INFO_DIR)
                .is_some_and(|n| n.ends_with(".list") && !n.contains('/'))
    }

    /// The paths of a dpkg file list that some analyzer would read. Only those matter, and
    /// keeping only them bounds memory by what is analysed, not by what is installed.
    fn owned_paths(&self, list: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(list);
        self.analysed_only(
            text.lines()
                .filter_map(|l| palisade_vfs::normalize(l.trim()))
                .collect(),
        )
    }

    /// The paths among `paths` that some analyzer would read, sorted.
    fn analysed_only(&self, paths: Vec<String>) -> Vec<String> {
        let mut out: Vec<String> = paths
            .into_iter()
            .filter(|p| {
                self.any_wants(&FileInfo {
                    path: p,
                    size: 0,
                    executable: true,
                })
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn summarize_file(
        &self,
        entry: &EntryMeta<'_>,
        content: &mut dyn Read,
    ) -> io::Result<FileSummary> {
        let mut summary = FileSummary::default();
        if self.is_dpkg_list(entry.path) {
            match read_bounded(entry, content, MAX_DPKG_LIST) {
                Ok(list) => summary.owned = self.owned_paths(&list),
                Err(AnalyzeError::Io(e)) => return Err(e),
                Err(AnalyzeError::Skip(m)) => summary.warnings.push(format!("{}: {m}", entry.path)),
            }
            return Ok(summary);
        }
        let wanting: Vec<_> = self.analyzers.iter().filter(|a| a.wants(entry)).collect();
        match wanting.as_slice() {
            [] => {}
            [one] => self.run(**one, entry, content, &mut summary)?,
            several => {
                // Rare (no two built-in analyzers claim the same file): each gets its own
                // bounded copy.
                let data = match read_bounded(entry, content, MAX_SHARED_FILE) {
                    Ok(d) => d,
                    Err(AnalyzeError::Io(e)) => return Err(e),
                    Err(AnalyzeError::Skip(m)) => {
                        summary.warnings.push(format!("{}: {m}", entry.path));
                        return Ok(summary);
                    }
                };
                for a in several {
                    self.run(**a, entry, &mut &data[..], &mut summary)?;
                }
            }
        }
        Ok(summary)
    }

    fn run(
        &self,
        a: &dyn FileAnalyzer,
        entry: &EntryMeta<'_>,
        content: &mut dyn Read,
        summary: &mut FileSummary,
    ) -> io::Result<()> {
        match a.analyze_detailed(entry, content) {
            Ok(analysis) => {
                summary.packages.extend(analysis.packages);
                summary.owned.extend(self.analysed_only(analysis.owned));
                summary.warnings.extend(
                    analysis
                        .warnings
                        .into_iter()
                        .map(|w| format!("{} ({}): {w}", entry.path, a.name())),
                );
            }
            Err(AnalyzeError::Io(e)) => return Err(e),
            Err(AnalyzeError::Skip(m)) => {
                tracing::debug!(path = entry.path, analyzer = a.name(), "skipped: {m}");
                summary
                    .warnings
                    .push(format!("{} ({}): {m}", entry.path, a.name()));
            }
        }
        Ok(())
    }
}

/// Largest file handed to several analyzers at once.
const MAX_SHARED_FILE: u64 = 64 << 20;

impl Interest for Analyzers {
    fn wants_file(&self, path: &str) -> bool {
        self.paths.wants_file(path)
    }

    fn wants_symlink(&self, path: &str) -> bool {
        self.paths.wants_symlink(path)
    }

    fn wants_summary(&self, entry: &EntryMeta<'_>) -> bool {
        self.is_dpkg_list(entry.path) || self.any_wants(entry)
    }

    fn summarize(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> io::Result<Vec<u8>> {
        Ok(self.summarize_file(entry, content)?.encode())
    }

    fn fingerprint(&self) -> String {
        let mut parts: Vec<String> = self
            .analyzers
            .iter()
            .map(|a| format!("{}@{}", a.name(), a.version()))
            .collect();
        parts.push(format!("paths={:?}", self.paths));
        parts.push(format!("summary@{SUMMARY_FORMAT}"));
        parts.join(",")
    }
}

/// Version of [`FileSummary`]'s encoding and of [`crate::Package`]'s fields; part of the cache
/// key.
const SUMMARY_FORMAT: u32 = 2;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Package;
    use palisade_ecosystem::{PackageType, types};

    struct Lines;
    impl FileAnalyzer for Lines {
        fn name(&self) -> &'static str {
            "lines"
        }
        fn version(&self) -> u32 {
            1
        }
        fn wants(&self, f: &FileInfo<'_>) -> bool {
            f.path.ends_with("requirements.txt")
        }
        fn analyze(
            &self,
            f: &FileInfo<'_>,
            r: &mut dyn Read,
        ) -> Result<Vec<Package>, AnalyzeError> {
            let data = read_bounded(f, r, 16)?;
            let text = String::from_utf8(data).map_err(|_| AnalyzeError::skip("not UTF-8"))?;
            Ok(text
                .lines()
                .filter_map(|l| l.split_once("=="))
                .map(|(n, v)| Package::lang(PackageType::of(&types::PIP), n, v, f.path))
                .collect())
        }
    }
    static LINES: Lines = Lines;

    fn entry(path: &str, size: u64) -> EntryMeta<'_> {
        EntryMeta {
            path,
            size,
            executable: false,
        }
    }

    #[test]
    fn summaries_round_trip_and_skips_become_warnings() {
        let a = Analyzers::new(PathInterest::new(), vec![&LINES]);
        let e = entry("app/requirements.txt", 9);
        assert!(a.wants_summary(&e));
        assert!(!a.wants_summary(&entry("app/x.txt", 1)));
        let s = a.summarize(&e, &mut &b"a==1\nb==2"[..]).expect("io ok");
        let s = FileSummary::decode(&s).expect("decodes");
        assert_eq!(s.packages.len(), 2);
        assert_eq!(s.packages[0].path, "app/requirements.txt");
        let big = entry("app/requirements.txt", 1 << 30);
        let s = FileSummary::decode(&a.summarize(&big, &mut &b""[..]).expect("io ok"))
            .expect("decodes");
        assert!(s.packages.is_empty());
        assert!(s.warnings[0].contains("limit"), "{:?}", s.warnings);
    }

    #[test]
    fn dpkg_lists_keep_only_analysed_paths() {
        let a = Analyzers::new(PathInterest::new(), vec![&LINES]);
        let e = entry("var/lib/dpkg/info/python3-x.list", 40);
        assert!(a.wants_summary(&e));
        let s = a
            .summarize(
                &e,
                &mut &b"/.\n/usr/bin/x\n/usr/share/x/requirements.txt\n"[..],
            )
            .expect("io ok");
        let s = FileSummary::decode(&s).expect("decodes");
        assert_eq!(s.owned, ["usr/share/x/requirements.txt"]);
        // Without streaming analyzers there is nothing to own.
        let none = Analyzers::new(PathInterest::new(), vec![]);
        assert!(!none.wants_summary(&e));
    }

    #[test]
    fn fingerprint_names_analyzer_versions() {
        let a = Analyzers::new(PathInterest::new().file("etc/os-release"), vec![&LINES]);
        let f = a.fingerprint();
        assert!(f.contains("lines@1") && f.contains("os-release"), "{f}");
    }
}
