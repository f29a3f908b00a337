//! The scanner: compiled rules plus the keyword automaton, and the per-file entry points.

use std::io::{self, Read};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::allow::{self, PathSkip};
use crate::builtin;
use crate::engine::{FileState, Window, count_newlines};
use crate::finding::{self, Finding, Meta};
use crate::rule::{AllowRule, KeywordCase, Rule};

/// Limits and sizes of a scan. The defaults suit the layer walk: about 1.1 MiB of buffer per
/// file being scanned, whatever the file size.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Bytes read per step. The window is this plus the overlap.
    pub chunk_size: usize,
    /// Longest match that chunked scanning reports exactly as a whole-file scan would. Longer
    /// matches (beyond any built-in rule's, e.g. a private key over 64 KiB) may be cut at a
    /// window end. Also the overlap between windows.
    pub max_match_len: usize,
    /// Bytes kept before the search position for regex look-behind (`\b`) and for the two
    /// context lines shown before a finding.
    pub context_lookback: usize,
    /// Files larger than this are not scanned. `None` (the default) scans every file: Trivy
    /// 0.76 has no limit either (it only warns above 10 MB), and streaming keeps memory bounded.
    pub max_file_size: Option<u64>,
    /// Findings kept per file; the rest are counted in [`FileScan::dropped`].
    pub max_findings_per_file: usize,
    /// Excerpt bytes kept per file; past it, findings keep only their `Match` line.
    pub max_excerpt_bytes_per_file: usize,
}

/// Trivy warns about files above this size; [`FileScan::large`] says when one was scanned.
pub const LARGE_FILE: u64 = 10 * 1024 * 1024;

/// Extra bytes after the longest guaranteed match that must be in the window before a match is
/// accepted, so the `Match` excerpt (20 bytes after the secret) is complete.
const MATCH_TAIL: usize = 256;

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            chunk_size: 1 << 20,
            max_match_len: 64 << 10,
            context_lookback: 4 << 10,
            max_file_size: None,
            max_findings_per_file: 1000,
            max_excerpt_bytes_per_file: 2 << 20,
        }
    }
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Its path is excluded (see [`PathSkip`]).
    Path(PathSkip),
    /// Its first bytes are binary.
    Binary,
    /// It is larger than [`ScanOptions::max_file_size`].
    TooLarge {
        /// File size.
        size: u64,
        /// The limit.
        limit: u64,
    },
}

/// The outcome of scanning one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileScan {
    /// The path as given (normalised: no leading `/` or `./`).
    pub target: String,
    /// Findings, sorted by offset.
    pub findings: Vec<Finding>,
    /// Set when the file was not scanned.
    pub skipped: Option<Skip>,
    /// Bytes scanned.
    pub bytes: u64,
    /// Findings over [`ScanOptions::max_findings_per_file`], not reported.
    pub dropped: usize,
    /// Whether the file exceeded [`LARGE_FILE`] (Trivy logs a warning for those).
    pub large: bool,
}

impl FileScan {
    pub(crate) fn skipped(target: String, skip: Skip) -> FileScan {
        FileScan {
            target,
            findings: Vec::new(),
            skipped: Some(skip),
            bytes: 0,
            dropped: 0,
            large: false,
        }
    }
}

/// A read failure while scanning, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("reading {path} for secrets: {source}")]
pub struct ScanError {
    /// The file.
    pub path: String,
    /// The I/O error.
    #[source]
    pub source: io::Error,
}

/// One distinct keyword of the automaton and the rules it switches on.
#[derive(Debug)]
pub(crate) struct KeywordEntry {
    /// The keyword as written by a case-sensitive rule (compared exactly for those).
    pub(crate) text: Vec<u8>,
    /// (rule index, exact-case comparison required).
    pub(crate) rules: Vec<(usize, bool)>,
}

/// A compiled rule set, ready to scan. Cheap to share between threads (`&Scanner` is `Sync`):
/// build it once.
#[derive(Debug)]
pub struct Scanner {
    pub(crate) rules: Vec<Rule>,
    pub(crate) allow_rules: Vec<AllowRule>,
    pub(crate) exclude_blocks: Vec<regex::bytes::Regex>,
    pub(crate) prefilter: Option<AhoCorasick>,
    pub(crate) keyword_entries: Vec<KeywordEntry>,
    always_on: Vec<usize>,
    pub(crate) options: ScanOptions,
}

impl Scanner {
    /// The built-in rules and allow rules with default options.
    pub fn builtin() -> Scanner {
        Scanner::new(
            builtin::rules(),
            allow::builtin_allow_rules(),
            Vec::new(),
            ScanOptions::default(),
        )
    }

    pub(crate) fn new(
        rules: Vec<Rule>,
        allow_rules: Vec<AllowRule>,
        exclude_blocks: Vec<regex::bytes::Regex>,
        options: ScanOptions,
    ) -> Scanner {
        let mut entries: Vec<KeywordEntry> = Vec::new();
        let mut lower_index: std::collections::HashMap<(Vec<u8>, Option<Vec<u8>>), usize> =
            std::collections::HashMap::new();
        let mut always_on = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.iter().all(|k| k.text.is_empty()) {
                always_on.push(i);
                continue;
            }
            for k in rule.keywords.iter().filter(|k| !k.text.is_empty()) {
                let exact = k.case == KeywordCase::Sensitive;
                let key = (k.text.to_ascii_lowercase(), exact.then(|| k.text.clone()));
                let idx = *lower_index.entry(key).or_insert_with(|| {
                    entries.push(KeywordEntry {
                        text: k.text.clone(),
                        rules: Vec::new(),
                    });
                    entries.len() - 1
                });
                if !entries[idx].rules.contains(&(i, exact)) {
                    entries[idx].rules.push((i, exact));
                }
            }
        }
        let prefilter = if entries.is_empty() {
            None
        } else {
            // Standard semantics so that overlapping keywords (`sk-` inside `sk-ant-`) are all
            // seen; the automaton is case-insensitive and exact-case keywords are re-checked.
            AhoCorasickBuilder::new()
                .kind(Some(AhoCorasickKind::DFA))
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .build(entries.iter().map(|e| e.text.as_slice()))
                .ok()
        };
        // Without an automaton (it cannot fail for byte-string patterns, but be safe) every
        // keyworded rule runs on every file: slower, never wrong.
        if prefilter.is_none() {
            for e in &entries {
                for &(r, _) in &e.rules {
                    if !always_on.contains(&r) {
                        always_on.push(r);
                    }
                }
            }
        }
        Scanner {
            rules,
            allow_rules,
            exclude_blocks,
            prefilter,
            keyword_entries: entries,
            always_on,
            options,
        }
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: ScanOptions) -> Scanner {
        self.options = options;
        self
    }

    /// The options in force.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// The rules in force (built-in ones not disabled, then custom ones).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub(crate) fn guard(&self) -> usize {
        self.options.max_match_len + MATCH_TAIL
    }

    /// Whether a file at `path` would be skipped without reading it: fixed skips (`.git`,
    /// `node_modules`, lock files, media) and allow rules on paths. The layer walk calls this
    /// before decompressing a file's content into the scanner.
    pub fn path_skip(&self, path: &str) -> Option<PathSkip> {
        let path = allow::normalize_path(path);
        self.path_skip_normalized(&path)
    }

    fn path_skip_normalized(&self, path: &str) -> Option<PathSkip> {
        if let Some(s) = allow::fixed_skip(path) {
            return Some(s);
        }
        self.allow_rules
            .iter()
            .find(|a| a.allows_path(path))
            .map(|a| PathSkip::AllowRule(a.id.clone()))
    }

    /// Scans an in-memory file.
    pub fn scan_bytes(&self, path: &str, data: &[u8]) -> FileScan {
        let target = allow::normalize_path(path);
        if let Some(s) = self.path_skip_normalized(&target) {
            return FileScan::skipped(target, Skip::Path(s));
        }
        if let Some(limit) = self.options.max_file_size
            && data.len() as u64 > limit
        {
            return FileScan::skipped(
                target,
                Skip::TooLarge {
                    size: data.len() as u64,
                    limit,
                },
            );
        }
        if allow::looks_binary(data) {
            return FileScan::skipped(target, Skip::Binary);
        }
        let mut st = self.file_state(&target);
        self.process_window(&mut st, data, Window { ws: 0, eof: true });
        self.finish(target, st, data.len() as u64)
    }

    /// Scans a file as it streams past, with memory bounded by [`ScanOptions`] whatever its size
    /// or line lengths. `size`, when known (a tar header), lets an over-limit file be skipped
    /// unread; otherwise reading stops at the limit.
    pub fn scan_reader<R: Read>(
        &self,
        path: &str,
        mut reader: R,
        size: Option<u64>,
    ) -> Result<FileScan, ScanError> {
        let target = allow::normalize_path(path);
        if let Some(s) = self.path_skip_normalized(&target) {
            return Ok(FileScan::skipped(target, Skip::Path(s)));
        }
        let limit = self.options.max_file_size;
        if let (Some(size), Some(limit)) = (size, limit)
            && size > limit
        {
            return Ok(FileScan::skipped(target, Skip::TooLarge { size, limit }));
        }
        let err = |source| ScanError {
            path: target.clone(),
            source,
        };
        let chunk = self.options.chunk_size.max(1);
        let keep = self.guard() + self.options.context_lookback;
        let mut buf: Vec<u8> = Vec::with_capacity(chunk.saturating_add(keep).min(64 << 20));
        let mut total: u64 = 0;
        let mut eof = fill(&mut reader, &mut buf, chunk, limit, &mut total).map_err(err)?;
        if allow::looks_binary(&buf) {
            return Ok(FileScan::skipped(target, Skip::Binary));
        }
        let mut st = self.file_state(&target);
        let mut ws: u64 = 0;
        loop {
            self.process_window(&mut st, &buf, Window { ws, eof });
            if eof {
                break;
            }
            let we = ws + buf.len() as u64;
            let new_ws = we.saturating_sub(keep as u64).max(ws);
            let drop = usize::try_from(new_ws - ws)
                .unwrap_or(buf.len())
                .min(buf.len());
            st.lines_before += count_newlines(&buf[..drop]);
            buf.drain(..drop);
            ws += drop as u64;
            eof = fill(&mut reader, &mut buf, chunk, limit, &mut total).map_err(err)?;
        }
        if let Some(limit) = limit
            && total >= limit
        {
            // The limit was reached: the file is over it if one more byte can be read.
            let mut probe = [0u8; 1];
            if reader.read(&mut probe).map_err(err)? > 0 {
                return Ok(FileScan::skipped(
                    target,
                    Skip::TooLarge {
                        size: total + 1,
                        limit,
                    },
                ));
            }
        }
        Ok(self.finish(target, st, total))
    }

    pub(crate) fn file_state(&self, path: &str) -> FileState {
        let applicable = self.rules.iter().map(|r| r.applies_to(path)).collect();
        FileState::new(applicable, &self.always_on)
    }

    pub(crate) fn finish(&self, target: String, st: FileState, bytes: u64) -> FileScan {
        let dropped = st.dropped;
        let findings: Vec<Finding> = finding::finish(st.raws, |i| {
            let r = &self.rules[i];
            Meta {
                id: &r.id,
                category: &r.category,
                title: &r.title,
                severity: r.severity,
            }
        });
        FileScan {
            target,
            findings,
            skipped: None,
            bytes,
            dropped,
            large: bytes > LARGE_FILE,
        }
    }
}

/// Reads up to `want` more bytes into `buf` (looping over short reads). Returns whether the
/// input ended (or the size limit was reached).
fn fill<R: Read>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    want: usize,
    limit: Option<u64>,
    total: &mut u64,
) -> io::Result<bool> {
    let mut want = want;
    if let Some(limit) = limit {
        want = want.min(usize::try_from(limit.saturating_sub(*total)).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(true);
        }
    }
    let start = buf.len();
    buf.resize(start + want, 0);
    let mut got = 0;
    while got < want {
        match reader.read(&mut buf[start + got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(start + got);
                return Err(e);
            }
        }
    }
    buf.truncate(start + got);
    *total += got as u64;
    let hit_limit = limit.is_some_and(|l| *total >= l);
    Ok(got < want || hit_limit)
}
