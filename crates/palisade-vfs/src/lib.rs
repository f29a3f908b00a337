//! A virtual file system holding only the files that analyzers asked for.
//!
//! Palisade never unpacks an image. The layer walker streams each layer once and keeps just the
//! entries an [`Interest`] selects (a few small package databases and release files), plus the
//! symlinks needed to reach them. Each layer becomes a [`LayerChanges`]; applying them in order to
//! a [`FileTree`] reproduces what the container would see at those paths, whiteouts included. This
//! keeps memory independent of image size and lets analyzers stay ignorant of layers.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Symlink hops allowed while resolving one path; the same bound Linux uses (`MAXSYMLINKS`).
pub const MAX_SYMLINK_HOPS: usize = 40;

/// Why a layer's contents could not be accepted into the tree.
#[derive(Debug, thiserror::Error)]
pub enum VfsError {
    /// A selected file is larger than any real package database; treated as hostile input.
    #[error("file {path} is {size} bytes, over the {limit}-byte limit for analysed files")]
    FileTooLarge { path: String, size: u64, limit: u64 },
    /// The selected files together exceed the budget that keeps memory bounded.
    #[error("selected files exceed the {limit}-byte budget (at {path})")]
    BudgetExceeded { path: String, limit: u64 },
}

/// Normalizes an archive path to the tree's form: relative to the root, `/`-separated, with no
/// empty, `.` or `..` components. `..` never climbs above the root, as in a container's rootfs, so
/// a hostile `../../etc/passwd` names `etc/passwd` inside the image and nothing outside it.
/// Returns `None` for the root itself.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

/// Joins a symlink target onto the directory holding the link, then normalizes.
fn join_target(link_dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') || link_dir.is_empty() {
        normalize(target)
    } else {
        normalize(&format!("{link_dir}/{target}"))
    }
}

fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// A regular file as the layer walker meets it, before its content is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryMeta<'a> {
    /// Normalized path.
    pub path: &'a str,
    /// Size in bytes, as the archive declares it.
    pub size: u64,
    /// Whether any execute bit is set (binaries are analysed, other files of the same name
    /// are not).
    pub executable: bool,
}

/// Decides which layer entries are worth keeping. Analyzers build one of these from the paths
/// they read, so the layer walker can skip everything else without buffering it.
///
/// There are two ways to want a file. [`Interest::wants_file`] keeps it whole in the tree, for
/// the few small files that must be read together after all layers are merged (os-release, the
/// dpkg database). [`Interest::wants_summary`] has it *summarised* while it streams past:
/// [`Interest::summarize`] reads the entry once and returns a compact result (the packages a
/// lockfile or binary names), which the tree then holds at the file's path. Summaries obey
/// whiteouts and replacement exactly like files, so a lockfile deleted by a later layer takes
/// its packages with it, and a 200 MB binary costs a few hundred bytes of memory.
pub trait Interest: Send + Sync {
    /// Whether the regular file (or hard link) at this normalized path should be kept.
    fn wants_file(&self, path: &str) -> bool;
    /// Whether a symlink at this path could lie on the way to a wanted file.
    fn wants_symlink(&self, path: &str) -> bool;
    /// Whether a regular file should be summarised as it streams past.
    fn wants_summary(&self, _entry: &EntryMeta<'_>) -> bool {
        false
    }
    /// Summarises one wanted entry from its content. An `Err` means the stream itself failed
    /// (a corrupt or truncated layer); a file that is merely unusable should be summarised as
    /// such (with a warning inside), because the layer is fine.
    fn summarize(&self, _entry: &EntryMeta<'_>, _content: &mut dyn Read) -> io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
    /// Whether a regular file should be inspected for a per-layer record as it streams past:
    /// something reported about this layer's copy of the file (exposed secrets), which a later
    /// layer deleting the file must not hide. Called for every regular file, so it must be cheap.
    fn wants_record(&self, _entry: &EntryMeta<'_>) -> bool {
        false
    }
    /// Reads one entry once for what was asked: its summary (when `summary`, see
    /// [`Interest::summarize`]) and its record (when `record`). An implementation that does both
    /// must serve them from the same single read of `content`. The default summarises only.
    fn inspect(
        &self,
        entry: &EntryMeta<'_>,
        content: &mut dyn Read,
        summary: bool,
        _record: bool,
    ) -> io::Result<Inspection> {
        Ok(Inspection {
            summary: if summary {
                Some(self.summarize(entry, content)?)
            } else {
                None
            },
            record: None,
        })
    }
    /// A string that changes whenever what this interest keeps or how it summarises changes:
    /// part of the key under which a layer's result is cached.
    fn fingerprint(&self) -> String {
        String::new()
    }
}

/// One layer's records: `(path, record)` in the order the files appeared.
pub type LayerRecords = Vec<(String, Arc<[u8]>)>;

/// What [`Interest::inspect`] made of one entry.
#[derive(Debug, Default)]
pub struct Inspection {
    /// The summary the tree holds at the file's path.
    pub summary: Option<Vec<u8>>,
    /// The layer's record for the file; empty or `None` records nothing.
    pub record: Option<Vec<u8>>,
}

/// The usual [`Interest`]: exact file paths and directories whose direct children are wanted.
#[derive(Debug, Clone, Default)]
pub struct PathInterest {
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
    ancestors: BTreeSet<String>,
}

impl PathInterest {
    /// An interest in nothing; add paths with [`PathInterest::file`] and [`PathInterest::dir`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Wants the file at `path` (any form [`normalize`] accepts).
    pub fn file(mut self, path: &str) -> Self {
        if let Some(p) = normalize(path) {
            self.add_ancestors(&p);
            self.files.insert(p);
        }
        self
    }

    /// Wants every file directly inside `dir` (not in its subdirectories).
    pub fn dir(mut self, dir: &str) -> Self {
        if let Some(p) = normalize(dir) {
            self.add_ancestors(&format!("{p}/x"));
            self.dirs.insert(p);
        }
        self
    }

    /// Merges another interest into this one, so several analyzers share one layer walk.
    pub fn merge(mut self, other: PathInterest) -> Self {
        self.files.extend(other.files);
        self.dirs.extend(other.dirs);
        self.ancestors.extend(other.ancestors);
        self
    }

    fn add_ancestors(&mut self, path: &str) {
        let mut p = parent(path);
        while !p.is_empty() {
            self.ancestors.insert(p.to_string());
            p = parent(p);
        }
    }
}

impl Interest for PathInterest {
    fn wants_file(&self, path: &str) -> bool {
        self.files.contains(path) || self.dirs.contains(parent(path))
    }

    fn wants_symlink(&self, path: &str) -> bool {
        // Any symlink could be the target of a chain that ends at a wanted path, but recording
        // all of them would make memory grow with the image. Links at wanted paths and at their
        // ancestor directories cover the layouts real distributions use (for example
        // `etc/os-release -> ../usr/lib/os-release`, merged-usr `lib -> usr/lib`).
        self.wants_file(path) || self.ancestors.contains(path) || self.dirs.contains(path)
    }
}

/// One kept entry of a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Node {
    /// A regular file and its whole content.
    File(Arc<[u8]>),
    /// A symbolic link and its target exactly as stored in the archive.
    Symlink(String),
    /// A regular file that was not kept, only summarised by [`Interest::summarize`].
    Summary(Arc<[u8]>),
}

/// What one layer changes, limited to the entries an [`Interest`] selected. Serialisable, so a
/// layer's result can be cached by its digest and reused by every image that shares it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LayerChanges {
    entries: BTreeMap<String, Node>,
    hardlinks: Vec<(String, String)>,
    whiteouts: Vec<String>,
    opaque_dirs: Vec<String>,
    /// Per-layer records by path ([`Interest::wants_record`]); never applied to the tree.
    records: LayerRecords,
    bytes: u64,
}

/// Limits that keep a hostile layer from exhausting memory through the selected files.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single file kept. Real dpkg status files are a few MB.
    pub max_file: u64,
    /// Largest total of file bytes kept per layer.
    pub max_total: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file: 64 << 20,
            max_total: 96 << 20,
        }
    }
}

impl LayerChanges {
    /// An empty change set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks a file's declared size against the limits before its content is read, so a huge
    /// entry is rejected without buffering it.
    pub fn check_size(&self, path: &str, size: u64, limits: &Limits) -> Result<(), VfsError> {
        if size > limits.max_file {
            return Err(VfsError::FileTooLarge {
                path: path.to_string(),
                size,
                limit: limits.max_file,
            });
        }
        if self.bytes.saturating_add(size) > limits.max_total {
            return Err(VfsError::BudgetExceeded {
                path: path.to_string(),
                limit: limits.max_total,
            });
        }
        Ok(())
    }

    /// Records a regular file. A later entry for the same path in the same layer replaces it,
    /// as extraction would.
    pub fn add_file(&mut self, path: String, content: Vec<u8>) {
        self.bytes += content.len() as u64;
        self.entries.insert(path, Node::File(content.into()));
    }

    /// Records the summary of a regular file; it counts against the same budget as kept files.
    pub fn add_summary(&mut self, path: String, summary: Vec<u8>) {
        self.bytes += summary.len() as u64;
        self.entries.insert(path, Node::Summary(summary.into()));
    }

    /// Checks that a summary of `len` bytes still fits the layer's budget.
    pub fn check_summary(&self, path: &str, len: u64, limits: &Limits) -> Result<(), VfsError> {
        if self.bytes.saturating_add(len) > limits.max_total {
            return Err(VfsError::BudgetExceeded {
                path: path.to_string(),
                limit: limits.max_total,
            });
        }
        Ok(())
    }

    /// Records what the layer says about its copy of a file; it counts against the layer's
    /// budget like a summary, but stays with the layer instead of entering the tree.
    pub fn add_record(&mut self, path: String, record: Vec<u8>) {
        self.bytes += record.len() as u64;
        self.records.push((path, record.into()));
    }

    /// The layer's records, as `(path, record)` in the order the files appeared.
    pub fn records(&self) -> &[(String, Arc<[u8]>)] {
        &self.records
    }

    /// Takes the layer's records out, before the layer is applied to a tree.
    pub fn take_records(&mut self) -> LayerRecords {
        std::mem::take(&mut self.records)
    }

    /// Records a symlink.
    pub fn add_symlink(&mut self, path: String, target: String) {
        self.entries.insert(path, Node::Symlink(target));
    }

    /// Records a hard link; it is resolved against this layer, then lower layers, when applied.
    pub fn add_hardlink(&mut self, path: String, target: String) {
        self.hardlinks.push((path, target));
    }

    /// Records a `.wh.<name>` whiteout: `path` and everything below it vanish from lower layers.
    pub fn add_whiteout(&mut self, path: String) {
        self.whiteouts.push(path);
    }

    /// Records a `.wh..wh..opq` marker: every lower-layer entry below `dir` vanishes.
    pub fn add_opaque_dir(&mut self, dir: String) {
        self.opaque_dirs.push(dir);
    }

    /// Number of kept entries, for logs and tests.
    pub fn len(&self) -> usize {
        self.entries.len() + self.hardlinks.len()
    }

    /// Whether the layer kept nothing, records nothing and deletes nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
            && self.whiteouts.is_empty()
            && self.opaque_dirs.is_empty()
            && self.records.is_empty()
    }
}

/// The merged view of all layers applied so far.
#[derive(Debug, Default, Clone)]
pub struct FileTree {
    nodes: BTreeMap<String, Node>,
}

impl FileTree {
    /// An empty tree, as before the first layer.
    pub fn new() -> Self {
        Self::default()
    }

    fn remove_subtree(&mut self, path: &str, include_self: bool) {
        if include_self {
            self.nodes.remove(path);
        }
        let prefix = format!("{path}/");
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }

    /// Applies the next layer up. Whiteouts and opaque markers only hide lower layers, so they are
    /// applied before the layer's own entries.
    pub fn apply(&mut self, layer: LayerChanges) {
        for dir in &layer.opaque_dirs {
            self.remove_subtree(dir, false);
        }
        for path in &layer.whiteouts {
            self.remove_subtree(path, true);
        }
        for (path, node) in &layer.entries {
            // A new entry replaces whatever was there; a file over a directory hides its subtree.
            self.remove_subtree(path, false);
            self.nodes.insert(path.clone(), node.clone());
        }
        for (path, target) in layer.hardlinks {
            let node = layer
                .entries
                .get(&target)
                .or_else(|| self.nodes.get(&target))
                .cloned();
            match node {
                Some(n) => {
                    self.nodes.insert(path, n);
                }
                None => tracing::debug!(%path, %target, "hard link to a file that was not kept"),
            }
        }
    }

    /// Resolves symlinks in every component of `path`. Returns the final path and its node, or
    /// `None` when it does not exist, dangles, or loops.
    fn resolve(&self, path: &str) -> Option<(String, &Node)> {
        let mut pending: Vec<String> = normalize(path)?.split('/').map(str::to_string).collect();
        pending.reverse();
        let mut cur = String::new();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            let next = if cur.is_empty() {
                comp
            } else {
                format!("{cur}/{comp}")
            };
            match self.nodes.get(&next) {
                Some(Node::Symlink(target)) => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return None;
                    }
                    let resolved = join_target(parent(&next), target).unwrap_or_default();
                    for c in resolved.split('/').filter(|c| !c.is_empty()).rev() {
                        pending.push(c.to_string());
                    }
                    cur = String::new();
                }
                _ => cur = next,
            }
        }
        let node = self.nodes.get(&cur)?;
        Some((cur, node))
    }

    /// The content of the regular file at `path`, following symlinks.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        match self.resolve(path)? {
            (_, Node::File(data)) => Some(data),
            (_, Node::Symlink(_) | Node::Summary(_)) => None,
        }
    }

    /// Every summary in the tree, as `(path, summary)` in path order. Summaries are never
    /// reached through symlinks: each file is summarised once, at its own path.
    pub fn summaries(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.nodes.iter().filter_map(|(p, n)| match n {
            Node::Summary(s) => Some((p.as_str(), &s[..])),
            _ => None,
        })
    }

    /// The regular files directly inside `dir` (following symlinks for the directory and for
    /// each entry), as `(name, content)` in name order.
    pub fn read_dir(&self, dir: &str) -> Vec<(String, &[u8])> {
        let real_dir = match normalize(dir) {
            Some(d) => match self.resolve(&d) {
                Some((p, _)) => p,
                None => d,
            },
            None => return Vec::new(),
        };
        let prefix = format!("{real_dir}/");
        let names: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(k, _)| k[prefix.len()..].to_string())
            .collect();
        names
            .into_iter()
            .filter_map(|name| {
                let data = self.read(&format!("{prefix}{name}"))?;
                Some((name, data))
            })
            .collect()
    }

    /// Whether any node (file or link) exists at exactly this path.
    pub fn contains(&self, path: &str) -> bool {
        normalize(path).is_some_and(|p| self.nodes.contains_key(&p))
    }

    /// Number of nodes held.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree holds nothing.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(l: &mut LayerChanges, p: &str, c: &str) {
        l.add_file(p.to_string(), c.as_bytes().to_vec());
    }

    #[test]
    fn normalize_clamps_traversal_at_root() {
        assert_eq!(
            normalize("./etc/os-release").as_deref(),
            Some("etc/os-release")
        );
        assert_eq!(
            normalize("/../../etc//passwd").as_deref(),
            Some("etc/passwd")
        );
        assert_eq!(normalize("a/b/../c/.").as_deref(), Some("a/c"));
        assert_eq!(normalize("/"), None);
        assert_eq!(normalize(".."), None);
    }

    #[test]
    fn interest_selects_files_dirs_and_ancestor_links() {
        let i = PathInterest::new()
            .file("/etc/os-release")
            .dir("var/lib/dpkg/status.d");
        assert!(i.wants_file("etc/os-release"));
        assert!(!i.wants_file("etc/passwd"));
        assert!(i.wants_file("var/lib/dpkg/status.d/base"));
        assert!(!i.wants_file("var/lib/dpkg/status.d/x/y"));
        assert!(i.wants_symlink("etc"));
        assert!(i.wants_symlink("var/lib"));
        assert!(i.wants_symlink("var/lib/dpkg/status.d"));
        assert!(!i.wants_symlink("usr/bin/python3"));
    }

    #[test]
    fn whiteouts_hide_lower_layers_only() {
        let mut t = FileTree::new();
        let mut l1 = LayerChanges::new();
        file(&mut l1, "usr/share/doc/curl/copyright", "c");
        file(&mut l1, "usr/share/doc/ca/README", "old");
        file(&mut l1, "usr/share/doc/ca/other", "old");
        file(&mut l1, "usr/bin/curl", "bin");
        t.apply(l1);
        let mut l2 = LayerChanges::new();
        l2.add_whiteout("usr/bin/curl".into());
        l2.add_whiteout("usr/share/doc/curl".into());
        l2.add_opaque_dir("usr/share/doc/ca".into());
        file(&mut l2, "usr/share/doc/ca/README.fixture", "new");
        t.apply(l2);
        assert!(t.read("usr/bin/curl").is_none());
        assert!(t.read("usr/share/doc/curl/copyright").is_none());
        assert!(t.read("usr/share/doc/ca/README").is_none());
        assert_eq!(t.read("usr/share/doc/ca/README.fixture"), Some(&b"new"[..]));
        let names: Vec<_> = t
            .read_dir("usr/share/doc/ca")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["README.fixture"]);
    }

    #[test]
    fn symlinks_resolve_relative_absolute_and_through_dirs() {
        let mut t = FileTree::new();
        let mut l = LayerChanges::new();
        file(&mut l, "usr/lib/os-release", "ID=debian\n");
        l.add_symlink("etc/os-release".into(), "../usr/lib/os-release".into());
        l.add_symlink("lib".into(), "usr/lib".into());
        l.add_symlink("abs".into(), "/usr/lib/os-release".into());
        t.apply(l);
        assert_eq!(t.read("etc/os-release"), Some(&b"ID=debian\n"[..]));
        assert_eq!(t.read("/lib/os-release"), Some(&b"ID=debian\n"[..]));
        assert_eq!(t.read("abs"), Some(&b"ID=debian\n"[..]));
    }

    #[test]
    fn symlink_loops_and_dangling_links_end() {
        let mut t = FileTree::new();
        let mut l = LayerChanges::new();
        l.add_symlink("a".into(), "b".into());
        l.add_symlink("b".into(), "a".into());
        l.add_symlink("self".into(), "self/x".into());
        l.add_symlink("dangling".into(), "nowhere".into());
        t.apply(l);
        assert!(t.read("a").is_none());
        assert!(t.read("self").is_none());
        assert!(t.read("dangling").is_none());
    }

    #[test]
    fn hardlinks_take_the_target_content() {
        let mut t = FileTree::new();
        let mut l = LayerChanges::new();
        file(&mut l, "var/lib/dpkg/status", "Package: a\n");
        l.add_hardlink(
            "var/lib/dpkg/status-copy".into(),
            "var/lib/dpkg/status".into(),
        );
        l.add_hardlink("var/lib/dpkg/missing".into(), "not/kept".into());
        t.apply(l);
        assert_eq!(
            t.read("var/lib/dpkg/status-copy"),
            Some(&b"Package: a\n"[..])
        );
        assert!(t.read("var/lib/dpkg/missing").is_none());
    }

    #[test]
    fn later_layers_replace_files_and_limits_reject_huge_entries() {
        let mut t = FileTree::new();
        let mut l1 = LayerChanges::new();
        file(&mut l1, "etc/os-release", "one");
        t.apply(l1);
        let mut l2 = LayerChanges::new();
        file(&mut l2, "etc/os-release", "two");
        t.apply(l2);
        assert_eq!(t.read("etc/os-release"), Some(&b"two"[..]));
        let limits = Limits {
            max_file: 10,
            max_total: 15,
        };
        let mut l = LayerChanges::new();
        assert!(l.check_size("x", 11, &limits).is_err());
        assert!(l.check_size("x", 10, &limits).is_ok());
        l.add_file("x".into(), vec![0; 10]);
        assert!(matches!(
            l.check_size("y", 6, &limits),
            Err(VfsError::BudgetExceeded { .. })
        ));
    }
}
