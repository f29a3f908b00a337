//! Hostile input: long lines, invalid UTF-8, NUL bytes, catastrophic custom regexes, and the
//! equivalence of chunked and whole-file scanning on a realistic document.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::{Rng, expand, samples};
use palisade_secret::{ScanOptions, Scanner, Skip};

const GHP: &str = "ghp_Q9vTz3LmK8pW2xR7nB4cY6dF1gH5jS0aE2uI";

#[test]
fn ten_thousand_character_lines() {
    let scanner = Scanner::builtin();
    let mut doc = String::new();
    for i in 0..50 {
        doc.push_str(&"x".repeat(5_000));
        if i % 7 == 3 {
            doc.push(' ');
            doc.push_str(GHP);
            doc.push(' ');
        }
        doc.push_str(&"y".repeat(5_000));
        doc.push('\n');
    }
    let small = scanner.with_options(ScanOptions {
        chunk_size: 4096,
        ..ScanOptions::default()
    });
    let streamed = small
        .scan_reader("app/long.txt", doc.as_bytes(), None)
        .unwrap();
    let whole = small.scan_bytes("app/long.txt", doc.as_bytes());
    assert_eq!(streamed.findings, whole.findings);
    let lines: Vec<u64> = whole.findings.iter().map(|f| f.start_line).collect();
    assert_eq!(
        lines,
        vec![4, 11, 18, 25, 32, 39, 46, 53]
            .into_iter()
            .filter(|l| *l <= 50)
            .collect::<Vec<_>>()
    );
    for f in &whole.findings {
        assert_eq!(
            f.match_line.len(),
            30 + GHP.len() + 20,
            "long cause lines are cut around the secret"
        );
        assert!(f.code.iter().all(|l| l.content.len() <= 100 || l.is_cause));
        assert!(!f.match_line.contains("ghp_"));
    }
}

#[test]
fn invalid_utf8_and_nul_after_the_sniff_window() {
    let scanner = Scanner::builtin();
    let mut doc = vec![b'a'; 400];
    doc.extend_from_slice(b"\x00\xff\xfe\xc3\x28 token=");
    doc.extend_from_slice(GHP.as_bytes());
    doc.extend_from_slice(b"\x00\x80\n");
    let scan = scanner.scan_bytes("app/blob.txt", &doc);
    assert_eq!(scan.findings.len(), 1);
    assert_eq!(scan.findings[0].rule_id, "github-pat");
    // A NUL within the first 300 bytes marks the file binary, as in Trivy.
    let mut bin = b"\x00ELF".to_vec();
    bin.extend_from_slice(GHP.as_bytes());
    assert_eq!(
        scanner.scan_bytes("app/tool", &bin).skipped,
        Some(Skip::Binary)
    );
    assert_eq!(
        scanner
            .scan_reader("app/tool", &bin[..], None)
            .unwrap()
            .skipped,
        Some(Skip::Binary)
    );
}

#[test]
fn catastrophic_regex_in_a_custom_rule_runs_in_linear_time() {
    let yaml = br#"
rules:
  - id: evil
    category: test
    title: exponential in a backtracking engine
    severity: LOW
    regex: (a+)+$
  - id: evil2
    category: test
    title: also exponential elsewhere
    severity: LOW
    regex: (a|aa)+b
"#;
    let (scanner, problems) = Scanner::from_config_yaml(yaml, ScanOptions::default()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let mut doc = vec![b'a'; 200_000];
    doc.push(b'!');
    let start = Instant::now();
    let scan = scanner.scan_bytes("app/x.txt", &doc);
    let streamed = scanner
        .with_options(ScanOptions {
            chunk_size: 8192,
            ..ScanOptions::default()
        })
        .scan_reader("app/x.txt", &doc[..], None)
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert!(scan.findings.iter().all(|f| f.rule_id != "evil2"));
    assert!(streamed.findings.iter().all(|f| f.rule_id != "evil2"));
}

#[test]
fn size_limit_skips_and_default_has_none() {
    let doc = format!("t={GHP}\n{}", "z\n".repeat(10_000));
    let limited = Scanner::builtin().with_options(ScanOptions {
        max_file_size: Some(1000),
        ..ScanOptions::default()
    });
    assert!(matches!(
        limited.scan_bytes("a.txt", doc.as_bytes()).skipped,
        Some(Skip::TooLarge { .. })
    ));
    assert!(matches!(
        limited
            .scan_reader("a.txt", doc.as_bytes(), Some(doc.len() as u64))
            .unwrap()
            .skipped,
        Some(Skip::TooLarge { .. })
    ));
    assert!(matches!(
        limited
            .scan_reader("a.txt", doc.as_bytes(), None)
            .unwrap()
            .skipped,
        Some(Skip::TooLarge { .. })
    ));
    assert_eq!(Scanner::builtin().options().max_file_size, None);
    assert_eq!(
        Scanner::builtin()
            .scan_reader("a.txt", doc.as_bytes(), None)
            .unwrap()
            .findings
            .len(),
        1
    );
}

/// A reader that fails halfway.
struct Failing(usize);

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.0);
        buf[..n].fill(b'a');
        self.0 -= n;
        Ok(n)
    }
}

#[test]
fn read_errors_name_the_file() {
    let err = Scanner::builtin()
        .scan_reader("etc/app.conf", Failing(5000), None)
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("etc/app.conf") && msg.contains("disk on fire"),
        "{msg}"
    );
}

/// A realistic document with every sample planted, scanned whole and in chunks of many sizes.
#[test]
fn chunked_equals_whole_on_all_samples() {
    let mut rng = Rng::new(7);
    let mut doc = String::new();
    for s in samples() {
        if s.path != "app/config.env" {
            continue;
        }
        let (text, _) = expand(&s.positive, &mut rng);
        doc.push_str("# a comment line that is here for context\n");
        doc.push_str(&text);
        doc.push('\n');
    }
    let base = Scanner::builtin();
    let whole = base.scan_bytes("app/config.env", doc.as_bytes());
    assert!(whole.findings.len() > 100, "{}", whole.findings.len());
    let base = base.with_options(ScanOptions {
        max_match_len: 1024,
        context_lookback: 512,
        ..ScanOptions::default()
    });
    for chunk in [1, 7, 64, 333, 1000, 4096, 65536] {
        let opts = ScanOptions {
            chunk_size: chunk,
            max_match_len: 1024,
            context_lookback: 512,
            ..ScanOptions::default()
        };
        let s = Scanner::builtin().with_options(opts);
        let streamed = s
            .scan_reader("app/config.env", doc.as_bytes(), None)
            .unwrap();
        assert_eq!(streamed.findings, whole.findings, "chunk {chunk}");
    }
    assert_eq!(
        base.scan_bytes("app/config.env", doc.as_bytes()).findings,
        whole.findings
    );
}
