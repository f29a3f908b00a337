//! Push-style scanning: the caller hands over a file's bytes as they stream past.
//!
//! [`Scanner::scan_reader`] pulls from a reader, which suits a file that only the secret scanner
//! reads. In a layer walk a file may also be read by a package analyzer that pulls from the same
//! tar entry; the walk then feeds the bytes the analyzer reads into a [`StreamScan`] as well, so
//! the file is decompressed once for both. Windows are cut exactly as `scan_reader` cuts them
//! (first `chunk_size` bytes, then the kept overlap plus `chunk_size`), so the findings equal
//! those of a whole-file scan under the same limits (see the crate docs).

use crate::allow::{self, SNIFF_LEN};
use crate::engine::{FileState, Window, count_newlines};
use crate::scanner::{FileScan, Scanner, Skip};

/// A file being scanned from pushed bytes. Memory is one window (about
/// `chunk_size + max_match_len + context_lookback`), whatever the file size.
pub struct StreamScan<'s> {
    scanner: &'s Scanner,
    target: String,
    skipped: Option<Skip>,
    state: Option<FileState>,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]`.
    ws: u64,
    /// Buffer length at which the next window is complete.
    window_len: usize,
    total: u64,
    sniffed: bool,
}

impl Scanner {
    /// Starts a push-style scan of the file at `path`; `size` (a tar header's) sizes the buffer
    /// and lets an over-limit file be skipped before any byte is fed.
    pub fn stream(&self, path: &str, size: Option<u64>) -> StreamScan<'_> {
        let target = allow::normalize_path(path);
        let mut skipped = self.path_skip(&target).map(Skip::Path);
        if skipped.is_none()
            && let (Some(size), Some(limit)) = (size, self.options.max_file_size)
            && size > limit
        {
            skipped = Some(Skip::TooLarge { size, limit });
        }
        let chunk = self.options.chunk_size.max(1);
        let keep = self.guard() + self.options.context_lookback;
        let cap = if skipped.is_some() {
            0
        } else {
            // The buffer never holds more than one window; a small file needs only its size.
            let full = chunk.saturating_add(keep).min(64 << 20);
            size.map_or(full.min(64 << 10), |s| {
                usize::try_from(s).unwrap_or(full).min(full)
            })
        };
        StreamScan {
            scanner: self,
            target,
            skipped,
            state: None,
            buf: Vec::with_capacity(cap),
            ws: 0,
            window_len: chunk,
            total: 0,
            sniffed: false,
        }
    }
}

impl std::fmt::Debug for StreamScan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamScan")
            .field("target", &self.target)
            .field("skipped", &self.skipped)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl StreamScan<'_> {
    /// Whether more bytes are useful: `false` once the file is skipped (its path, a binary
    /// head, over the size limit), so a caller can stop feeding and save the work.
    pub fn wants_more(&self) -> bool {
        self.skipped.is_none()
    }

    /// Scans the next bytes of the file.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() && self.skipped.is_none() {
            if let Some(limit) = self.scanner.options.max_file_size {
                let after = self.total.saturating_add(data.len() as u64);
                if after > limit {
                    self.skip(Skip::TooLarge { size: after, limit });
                    return;
                }
            }
            let room = self.window_len.saturating_sub(self.buf.len()).max(1);
            let take = room.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            self.total += take as u64;
            data = &data[take..];
            if !self.sniffed && self.buf.len() >= SNIFF_LEN {
                self.sniff();
            }
            if self.buf.len() >= self.window_len && self.skipped.is_none() {
                self.window(false);
            }
        }
    }

    /// Ends the file and returns its findings (or why it was skipped).
    pub fn finish(mut self) -> FileScan {
        if let Some(skip) = self.skipped.take() {
            return FileScan::skipped(std::mem::take(&mut self.target), skip);
        }
        if !self.sniffed {
            self.sniff();
            if let Some(skip) = self.skipped.take() {
                return FileScan::skipped(std::mem::take(&mut self.target), skip);
            }
        }
        self.window(true);
        let st = self.state.take().unwrap_or_else(|| {
            // `window` always leaves a state behind; an empty one finds nothing.
            self.scanner.file_state(&self.target)
        });
        self.scanner
            .finish(std::mem::take(&mut self.target), st, self.total)
    }

    fn sniff(&mut self) {
        self.sniffed = true;
        if allow::looks_binary(&self.buf) {
            self.skip(Skip::Binary);
        }
    }

    fn skip(&mut self, skip: Skip) {
        self.skipped = Some(skip);
        self.state = None;
        self.buf = Vec::new();
    }

    /// Scans the buffered window and keeps the overlap for the next one.
    fn window(&mut self, eof: bool) {
        let scanner = self.scanner;
        let st = self
            .state
            .get_or_insert_with(|| scanner.file_state(&self.target));
        scanner.process_window(st, &self.buf, Window { ws: self.ws, eof });
        if eof {
            return;
        }
        let keep = scanner.guard() + scanner.options.context_lookback;
        let drop = self.buf.len().saturating_sub(keep);
        st.lines_before += count_newlines(&self.buf[..drop]);
        self.buf.drain(..drop);
        self.ws += drop as u64;
        self.window_len = self.buf.len() + scanner.options.chunk_size.max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScanOptions;

    fn small() -> Scanner {
        Scanner::builtin().with_options(ScanOptions {
            chunk_size: 64,
            max_match_len: 128,
            context_lookback: 64,
            ..ScanOptions::default()
        })
    }

    #[test]
    fn pushed_bytes_give_the_findings_of_a_whole_file_scan() {
        let key = ["AKIA", "Z7Q2", "M4NP", "X8RT", "W3KB"].concat();
        let mut doc = String::new();
        for i in 0..40 {
            doc.push_str(&format!("line {i} filler text\n"));
            if i % 13 == 5 {
                doc.push_str(&format!("aws_access_key_id = {key}\n"));
            }
        }
        let s = small();
        let whole = s.scan_bytes("app/.env", doc.as_bytes());
        assert!(!whole.findings.is_empty());
        for step in [1, 7, 64, 500, doc.len()] {
            let mut st = s.stream("app/.env", Some(doc.len() as u64));
            for part in doc.as_bytes().chunks(step) {
                st.feed(part);
            }
            let got = st.finish();
            assert_eq!(got.findings, whole.findings, "step {step}");
            assert_eq!(got.bytes, doc.len() as u64);
        }
    }

    proptest::proptest! {
        /// Any bytes, fed in any split, never panic and give the whole-file scan's outcome.
        #[test]
        fn any_split_equals_the_whole_file_scan(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            plant in proptest::prelude::any::<bool>(),
            step in 1usize..200,
        ) {
            let mut doc = body;
            if plant {
                doc.extend_from_slice(b"\naws_access_key_id = ");
                doc.extend_from_slice(["AKIA", "Z7Q2", "M4NP", "X8RT", "W3KB"].concat().as_bytes());
                doc.push(b'\n');
            }
            let s = small();
            let whole = s.scan_bytes("app/.env", &doc);
            let mut st = s.stream("app/.env", None);
            for part in doc.chunks(step) {
                st.feed(part);
            }
            let got = st.finish();
            proptest::prop_assert_eq!(got.skipped, whole.skipped);
            proptest::prop_assert_eq!(got.findings, whole.findings);
        }
    }

    #[test]
    fn binary_heads_and_skipped_paths_stop_early() {
        let s = Scanner::builtin();
        let mut st = s.stream("app/tool", None);
        st.feed(&[0u8; 10]);
        st.feed(&[b'a'; 400]);
        assert!(!st.wants_more());
        assert_eq!(st.finish().skipped, Some(Skip::Binary));
        let st = s.stream(".git/config", None);
        assert!(!st.wants_more());
        // Short binary files are recognised at the end.
        let mut st = s.stream("app/x", None);
        st.feed(&[1, 2, 3]);
        assert_eq!(st.finish().skipped, Some(Skip::Binary));
    }

    #[test]
    fn size_limit_applies_to_declared_and_fed_sizes() {
        let s = Scanner::builtin().with_options(ScanOptions {
            max_file_size: Some(10),
            ..ScanOptions::default()
        });
        assert!(!s.stream("a.txt", Some(11)).wants_more());
        let mut st = s.stream("a.txt", None);
        st.feed(b"0123456789");
        assert!(st.wants_more());
        st.feed(b"x");
        assert!(matches!(st.finish().skipped, Some(Skip::TooLarge { .. })));
    }
}
