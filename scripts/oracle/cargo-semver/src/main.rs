//! crates.io version comparator for the oracle: reads JSON lines `["a", "b"]` on stdin and
//! writes one JSON line per input: `{"cmp": -1|0|1}` from `semver::Version::cmp_precedence`
//! (SemVer 2.0 precedence, build metadata ignored, as Cargo orders versions when it
//! resolves), or `{"invalid": [...]}` naming the strings `semver::Version::parse` refuses.
use std::cmp::Ordering;
use std::io::{self, BufRead, BufWriter, Write};

fn main() {
    let stdin = io::stdin();
    let mut out = BufWriter::new(io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line.expect("read stdin");
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let pair: [String; 2] = serde_json::from_str(line).expect("a JSON array of two strings");
        let parsed: Vec<_> = pair.iter().map(|s| semver::Version::parse(s)).collect();
        let invalid: Vec<&String> = pair
            .iter()
            .zip(&parsed)
            .filter(|(_, p)| p.is_err())
            .map(|(s, _)| s)
            .collect();
        let reply = if invalid.is_empty() {
            let (a, b) = (parsed[0].as_ref().unwrap(), parsed[1].as_ref().unwrap());
            let c = match a.cmp_precedence(b) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            };
            serde_json::json!({ "cmp": c })
        } else {
            serde_json::json!({ "invalid": invalid })
        };
        writeln!(out, "{reply}").expect("write stdout");
    }
    out.flush().expect("flush stdout");
}
