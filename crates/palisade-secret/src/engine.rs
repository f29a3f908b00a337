//! The window engine: one keyword pass over a window, the regexes of the rules it switched on,
//! and the excerpts of every accepted match.
//!
//! A file is scanned as a sequence of windows `[ws, we)` that overlap by
//! `guard + lookback` bytes (`guard` = the longest match guaranteed plus a small tail). Each rule
//! keeps the position where its next search starts, so a match is reported once, and only when
//! its start lies at least `guard` bytes before the window end (or the file ended): then the
//! whole match, and the bytes the regex engine looks at to decide it, are inside the window,
//! and the result is the one a scan of the whole file gives. Memory per file is one window.

use regex::bytes::Regex;

use crate::finding::{RawFinding, RawLine};
use crate::scanner::Scanner;

/// Bytes shown of a context line (Trivy shows the first 100).
const CONTEXT_LINE_BYTES: usize = 100;
/// Bytes shown before and after the secret on its line (Trivy: 30 and 20).
const CAUSE_BEFORE: u64 = 30;
const CAUSE_AFTER: u64 = 20;
/// Longest excerpt kept of one line (long secrets make long masked lines).
const LINE_CAP: usize = 1024;
/// How far back the start of a line is searched for context lines.
const BACK_SEARCH: usize = 8 << 10;

/// Per-file scanning state carried from one window to the next.
pub(crate) struct FileState {
    /// Rules that may run on this file (path filters passed).
    pub(crate) applicable: Vec<bool>,
    /// Rules switched on by a keyword so far (sticky for the rest of the file).
    pub(crate) active: Vec<bool>,
    active_count: usize,
    applicable_count: usize,
    /// Absolute offset where each rule's next search starts.
    next_start: Vec<u64>,
    /// Newlines before the current window start.
    pub(crate) lines_before: u64,
    pub(crate) raws: Vec<RawFinding>,
    stored_bytes: usize,
    /// Findings dropped because the per-file cap was reached.
    pub(crate) dropped: usize,
}

impl FileState {
    pub(crate) fn new(applicable: Vec<bool>, always_on: &[usize]) -> FileState {
        let n = applicable.len();
        let mut active = vec![false; n];
        let mut active_count = 0;
        for &r in always_on {
            if applicable[r] && !active[r] {
                active[r] = true;
                active_count += 1;
            }
        }
        let applicable_count = applicable.iter().filter(|a| **a).count();
        FileState {
            applicable,
            active,
            active_count,
            applicable_count,
            next_start: vec![0; n],
            lines_before: 0,
            raws: Vec::new(),
            stored_bytes: 0,
            dropped: 0,
        }
    }
}

/// A match that passed every filter, positions relative to the window.
struct Candidate {
    rule: usize,
    start: usize,
    end: usize,
}

/// Window geometry: where it starts in the file and whether the file ends with it.
#[derive(Clone, Copy)]
pub(crate) struct Window {
    pub(crate) ws: u64,
    pub(crate) eof: bool,
}

impl Scanner {
    /// Scans one window. `buf` holds the file bytes `[win.ws, win.ws + buf.len())`.
    pub(crate) fn process_window(&self, st: &mut FileState, buf: &[u8], win: Window) {
        self.activate(st, buf);
        if st.active_count == 0 {
            return;
        }
        let we = win.ws + buf.len() as u64;
        let guard = self.guard() as u64;
        let lookback = self.options.context_lookback as u64;
        let global_blocks = regions(&self.exclude_blocks, buf);
        let mut cands: Vec<Candidate> = Vec::new();
        for (r, rule) in self.rules.iter().enumerate() {
            if !st.active[r] {
                continue;
            }
            let floor = if win.ws == 0 { 0 } else { win.ws + lookback };
            let mut pos = to_usize(st.next_start[r].max(floor) - win.ws);
            let rule_blocks = regions(&rule.exclude_blocks, buf);
            let mut locs = rule.regex.capture_locations();
            while pos <= buf.len() {
                let Some((a, e)) = rule
                    .regex
                    .captures_read_at(&mut locs, buf, pos)
                    .map(|m| (m.start(), m.end()))
                else {
                    break;
                };
                if !win.eof && win.ws + a as u64 + guard > we {
                    break;
                }
                let (ss, se) = rule
                    .secret_group
                    .and_then(|g| locs.get(g))
                    .unwrap_or((a, e));
                if let Some(class) = rule.boundary
                    && ((ss > 0 && class(buf[ss - 1])) || buf.get(se).is_some_and(|&b| class(b)))
                {
                    // Part of a longer run: a later start may still be a whole token.
                    pos = a + 1;
                    continue;
                }
                pos = se.max(a + 1);
                if se <= ss {
                    continue;
                }
                let secret = &buf[ss..se];
                let matched = &buf[a..e];
                if rule.check.is_some_and(|c| !c(secret))
                    || rule
                        .allow_rules
                        .iter()
                        .any(|al| al.allows_match(matched, secret))
                    || self
                        .allow_rules
                        .iter()
                        .any(|al| al.allows_match(matched, secret))
                    || inside(&global_blocks, ss, se)
                    || inside(&rule_blocks, ss, se)
                {
                    continue;
                }
                cands.push(Candidate {
                    rule: r,
                    start: ss,
                    end: se,
                });
            }
            st.next_start[r] = if win.eof {
                u64::MAX
            } else {
                (win.ws + pos as u64).max(we.saturating_sub(guard))
            };
        }
        if cands.is_empty() {
            return;
        }
        cands.sort_by_key(|c| (c.start, c.rule));
        let mut counter = LineCounter::new(st.lines_before);
        for c in cands {
            if st.raws.len() >= self.options.max_findings_per_file {
                st.dropped += 1;
                continue;
            }
            let start_line = counter.line_at(buf, c.start);
            let end_line =
                start_line + count_newlines(&buf[c.start..c.end.saturating_sub(1).max(c.start)]);
            let full = st.stored_bytes < self.options.max_excerpt_bytes_per_file;
            let raw = excerpt(buf, win, &c, start_line, end_line, full);
            st.stored_bytes += raw.stored_bytes();
            st.raws.push(raw);
        }
    }

    /// Switches on the rules whose keywords occur in `buf`.
    fn activate(&self, st: &mut FileState, buf: &[u8]) {
        if st.active_count == st.applicable_count {
            return;
        }
        let Some(ac) = &self.prefilter else {
            return;
        };
        for m in ac.find_overlapping_iter(buf) {
            let entry = &self.keyword_entries[m.pattern().as_usize()];
            let hit = &buf[m.start()..m.end()];
            for &(r, exact) in &entry.rules {
                if st.active[r] || !st.applicable[r] {
                    continue;
                }
                if exact && hit != entry.text.as_slice() {
                    continue;
                }
                st.active[r] = true;
                st.active_count += 1;
            }
            if st.active_count == st.applicable_count {
                return;
            }
        }
    }
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Regions of `buf` matched by exclude-block regexes.
fn regions(blocks: &[Regex], buf: &[u8]) -> Vec<(usize, usize)> {
    blocks
        .iter()
        .flat_map(|re| re.find_iter(buf).map(|m| (m.start(), m.end())))
        .collect()
}

fn inside(regions: &[(usize, usize)], s: usize, e: usize) -> bool {
    regions.iter().any(|&(rs, re)| rs <= s && e <= re)
}

pub(crate) fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Counts lines incrementally over positions visited in increasing order.
struct LineCounter {
    pos: usize,
    line: u64,
}

impl LineCounter {
    fn new(lines_before: u64) -> LineCounter {
        LineCounter {
            pos: 0,
            line: lines_before + 1,
        }
    }

    fn line_at(&mut self, buf: &[u8], at: usize) -> u64 {
        if at > self.pos {
            self.line += count_newlines(&buf[self.pos..at]);
            self.pos = at;
        }
        self.line
    }
}

/// The extent `[start, end)` of the line holding `at` inside `buf`, `None` for a bound that is
/// out of reach (before the window or the back-search limit, after the window end).
fn line_bounds(buf: &[u8], at: usize, ws: u64) -> (Option<usize>, Option<usize>) {
    let lo = at.saturating_sub(BACK_SEARCH);
    let start = match memchr::memrchr(b'\n', &buf[lo..at]) {
        Some(i) => Some(lo + i + 1),
        None if lo == 0 && ws == 0 => Some(0),
        None => None,
    };
    let end = memchr::memchr(b'\n', &buf[at..]).map(|i| at + i);
    (start, end)
}

/// Builds the raw excerpt of one candidate: two context lines before, the cause lines, one
/// context line after. With `full == false` (the per-file excerpt budget is spent) only the
/// first cause line is kept, which is what `Match` needs.
fn excerpt(
    buf: &[u8],
    win: Window,
    c: &Candidate,
    start_line: u64,
    end_line: u64,
    full: bool,
) -> RawFinding {
    let abs = |p: usize| win.ws + p as u64;
    let mut lines = Vec::new();
    let (first_start, _) = line_bounds(buf, c.start, win.ws);
    // Context before: walk back over up to two line starts.
    if full && let Some(fs) = first_start {
        let mut before = Vec::new();
        let mut cur = fs;
        for k in 1..=2u64 {
            if cur == 0 || start_line <= k {
                break;
            }
            let prev_end = cur - 1; // the '\n' ending the previous line
            let (ps, _) = line_bounds(buf, prev_end, win.ws);
            let Some(ps) = ps else { break };
            before.push(context_line(buf, win, start_line - k, ps, prev_end));
            cur = ps;
        }
        lines.extend(before.into_iter().rev());
    }
    // Cause lines.
    let mut pos = c.start;
    let mut number = start_line;
    let after_start = loop {
        let (ls, le) = line_bounds(buf, pos, win.ws);
        let first = number == start_line;
        let line_end = le.unwrap_or(buf.len());
        let last = number == end_line || le.is_none_or(|e| e + 1 >= c.end);
        // A line up to 100 bytes is shown whole; a longer one is cut to 30 bytes before the
        // secret and 20 after it (Trivy's excerpt).
        let short = ls
            .zip(le.or(win.eof.then_some(buf.len())))
            .is_some_and(|(s, e)| {
                e - s - usize::from(buf[..e].ends_with(b"\r")) <= CONTEXT_LINE_BYTES
            });
        let from = if first && !short {
            let min_from = to_usize(c.start as u64 - CAUSE_BEFORE.min(c.start as u64));
            ls.map_or(min_from, |s| s.max(min_from))
        } else {
            ls.unwrap_or(pos)
        };
        let to = if last && !short {
            line_end.min(to_usize(c.end as u64 + CAUSE_AFTER))
        } else {
            line_end
        };
        let mut bytes = buf[from..to].to_vec();
        for (i, b) in bytes.iter_mut().enumerate() {
            if (c.start..c.end).contains(&(from + i)) && *b != b'\r' {
                *b = b'*';
            }
        }
        let truncated = from > ls.unwrap_or(0) || to < line_end || bytes.len() > LINE_CAP;
        strip_cr(&mut bytes, to == line_end);
        bytes.truncate(LINE_CAP);
        lines.push(RawLine {
            number,
            abs_start: abs(from),
            bytes,
            is_cause: true,
            first_cause: first,
            last_cause: last,
            truncated,
        });
        if last || !full {
            break le.map(|e| e + 1);
        }
        pos = line_end + 1;
        number += 1;
    };
    // Context after.
    if full && let Some(s) = after_start.filter(|&s| s <= buf.len()) {
        let e = memchr::memchr(b'\n', &buf[s..]).map_or(buf.len(), |i| s + i);
        lines.push(context_line(buf, win, end_line + 1, s, e));
    }
    RawFinding {
        rule: c.rule,
        secret_start: abs(c.start),
        secret_end: abs(c.end),
        start_line,
        end_line,
        lines,
    }
}

fn context_line(buf: &[u8], win: Window, number: u64, start: usize, end: usize) -> RawLine {
    let to = end.min(start + CONTEXT_LINE_BYTES);
    let mut bytes = buf[start..to].to_vec();
    strip_cr(&mut bytes, to == end);
    RawLine {
        number,
        abs_start: win.ws + start as u64,
        bytes,
        is_cause: false,
        first_cause: false,
        last_cause: false,
        truncated: to < end,
    }
}

fn strip_cr(bytes: &mut Vec<u8>, at_line_end: bool) {
    if at_line_end && bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
}
