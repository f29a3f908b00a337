//! Findings, and the redaction that turns raw excerpts into them.
//!
//! A [`Finding`] never holds the secret: the engine keeps raw excerpts of the lines around a
//! match only until the file is finished, then masks every secret found in that file (Trivy
//! masks the neighbours' secrets in the code context too) and converts the excerpts to text.
//! From then on the secret bytes exist nowhere in the result, so no `Debug`, `Display` or serde
//! output can leak them.

use std::fmt;

use serde::Serialize;

use crate::rule::Severity;

/// One line of the code excerpt around a finding, as in Trivy's JSON `Code.Lines`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeLine {
    /// 1-based line number.
    pub number: u64,
    /// The line, with every secret of the file masked by `*`, cut to an excerpt when long
    /// (a cause line: 30 bytes before the secret to 20 after; a context line: its first 100).
    pub content: String,
    /// Whether the secret is on this line.
    pub is_cause: bool,
    /// Whether this is the first line holding the secret.
    pub first_cause: bool,
    /// Whether this is the last line holding the secret.
    pub last_cause: bool,
    /// Whether `content` was cut from a longer line.
    pub truncated: bool,
}

/// One exposed secret, redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Finding {
    /// Rule id, e.g. `aws-access-key-id` (Trivy's id for Trivy's rules).
    #[serde(rename = "RuleID")]
    pub rule_id: String,
    /// Rule category, e.g. `AWS`.
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// Rule title.
    pub title: String,
    /// 1-based line where the secret starts.
    pub start_line: u64,
    /// 1-based line where the secret ends.
    pub end_line: u64,
    /// The lines around the secret (two before, one after), redacted.
    pub code: Vec<CodeLine>,
    /// The line holding the secret (its first line), secret masked: Trivy's `Match`.
    #[serde(rename = "Match")]
    pub match_line: String,
    /// Byte offset of the secret's first byte in the file.
    pub offset: u64,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} line {}: {}",
            self.severity, self.rule_id, self.start_line, self.match_line
        )
    }
}

/// A line excerpt before redaction. `bytes[i]` is the file byte at `abs_start + i`, except that
/// the finding's own secret is already `*`.
#[derive(Debug, Clone)]
pub(crate) struct RawLine {
    pub(crate) number: u64,
    pub(crate) abs_start: u64,
    pub(crate) bytes: Vec<u8>,
    pub(crate) is_cause: bool,
    pub(crate) first_cause: bool,
    pub(crate) last_cause: bool,
    pub(crate) truncated: bool,
}

/// A finding before redaction: the secret's position and raw excerpts.
#[derive(Debug, Clone)]
pub(crate) struct RawFinding {
    pub(crate) rule: usize,
    pub(crate) secret_start: u64,
    pub(crate) secret_end: u64,
    pub(crate) start_line: u64,
    pub(crate) end_line: u64,
    pub(crate) lines: Vec<RawLine>,
}

impl RawFinding {
    pub(crate) fn stored_bytes(&self) -> usize {
        self.lines.iter().map(|l| l.bytes.len()).sum()
    }
}

/// Rule metadata a finding copies.
pub(crate) struct Meta<'a> {
    pub(crate) id: &'a str,
    pub(crate) category: &'a str,
    pub(crate) title: &'a str,
    pub(crate) severity: Severity,
}

/// Masks every secret span of the file in every excerpt, then builds the findings, sorted by
/// offset then rule id.
pub(crate) fn finish<'a>(raws: Vec<RawFinding>, meta: impl Fn(usize) -> Meta<'a>) -> Vec<Finding> {
    let spans = merged_spans(&raws);
    let mut out: Vec<Finding> = raws
        .into_iter()
        .map(|raw| {
            let m = meta(raw.rule);
            let code: Vec<CodeLine> = raw
                .lines
                .into_iter()
                .map(|mut line| {
                    mask(&mut line, &spans);
                    CodeLine {
                        number: line.number,
                        content: String::from_utf8_lossy(&line.bytes).into_owned(),
                        is_cause: line.is_cause,
                        first_cause: line.first_cause,
                        last_cause: line.last_cause,
                        truncated: line.truncated,
                    }
                })
                .collect();
            let match_line = code
                .iter()
                .find(|l| l.first_cause)
                .map(|l| l.content.clone())
                .unwrap_or_default();
            Finding {
                rule_id: m.id.to_string(),
                category: m.category.to_string(),
                severity: m.severity,
                title: m.title.to_string(),
                start_line: raw.start_line,
                end_line: raw.end_line,
                code,
                match_line,
                offset: raw.secret_start,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.offset
            .cmp(&b.offset)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    out
}

/// The union of all secret spans, as sorted disjoint intervals.
fn merged_spans(raws: &[RawFinding]) -> Vec<(u64, u64)> {
    let mut spans: Vec<(u64, u64)> = raws
        .iter()
        .filter(|r| r.secret_end > r.secret_start)
        .map(|r| (r.secret_start, r.secret_end))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

fn mask(line: &mut RawLine, spans: &[(u64, u64)]) {
    let start = line.abs_start;
    let end = start + line.bytes.len() as u64;
    // First span ending after the line start; spans are disjoint and sorted, so ends are sorted.
    let first = spans.partition_point(|&(_, e)| e <= start);
    for &(s, e) in &spans[first..] {
        if s >= end {
            break;
        }
        let from = usize::try_from(s.max(start) - start).unwrap_or(usize::MAX);
        let to = usize::try_from(e.min(end) - start).unwrap_or(usize::MAX);
        for b in line.bytes.iter_mut().take(to).skip(from) {
            *b = b'*';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(rule: usize, s: u64, e: u64, line_start: u64, text: &[u8]) -> RawFinding {
        RawFinding {
            rule,
            secret_start: s,
            secret_end: e,
            start_line: 1,
            end_line: 1,
            lines: vec![RawLine {
                number: 1,
                abs_start: line_start,
                bytes: text.to_vec(),
                is_cause: true,
                first_cause: true,
                last_cause: true,
                truncated: false,
            }],
        }
    }

    #[test]
    fn neighbours_secrets_are_masked_too() {
        // "a=SECRET1 b=SECRET2" at offset 100; each raw excerpt has only its own secret masked.
        let f1 = raw(0, 102, 109, 100, b"a=******* b=SECRET2");
        let f2 = raw(1, 112, 119, 100, b"a=SECRET1 b=*******");
        let out = finish(vec![f2, f1], |i| Meta {
            id: if i == 0 { "r0" } else { "r1" },
            category: "c",
            title: "t",
            severity: Severity::High,
        });
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].rule_id, "r0", "sorted by offset");
        for f in &out {
            assert_eq!(f.match_line, "a=******* b=*******");
            assert!(!format!("{f:?}").contains("SECRET"));
        }
    }

    #[test]
    fn spans_merge() {
        let raws = vec![
            raw(0, 5, 10, 0, b""),
            raw(0, 8, 12, 0, b""),
            raw(0, 20, 21, 0, b""),
        ];
        assert_eq!(merged_spans(&raws), vec![(5, 12), (20, 21)]);
    }
}
