//! Test helpers: a deterministic generator and the sample-template expander shared with
//! `scripts/secrets/make-corpus.py` (same template language, see `data/samples.tsv`).

#![allow(dead_code)]

/// xorshift64*: deterministic, good enough to draw token characters.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn pick(&mut self, alphabet: &[u8]) -> u8 {
        alphabet[(self.next() % alphabet.len() as u64) as usize]
    }

    pub fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| self.pick(alphabet) as char).collect()
    }
}

fn alphabet(class: &str) -> &'static [u8] {
    match class {
        "A" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "a" => b"abcdefghijklmnopqrstuvwxyz0123456789",
        "U" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "L" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "l" => b"abcdefghijklmnopqrstuvwxyz",
        "h" => b"0123456789abcdef",
        "d" => b"0123456789",
        "b" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "u" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        "z" => b"abcdefghijklmnopqrstuvwxyz234567",
        "e" => b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
        other => panic!("unknown template class {other}"),
    }
}

/// One sample row.
pub struct Sample {
    pub id: String,
    pub kind: String,
    pub path: String,
    pub positive: String,
    pub negative: String,
}

pub fn samples() -> Vec<Sample> {
    include_str!("../data/samples.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "bad sample row {l}");
            Sample {
                id: f[0].to_string(),
                kind: f[1].to_string(),
                path: if f[2] == "-" {
                    "app/config.env".to_string()
                } else {
                    f[2].to_string()
                },
                positive: f[3].to_string(),
                negative: f[4].to_string(),
            }
        })
        .collect()
}

/// `{uuid}`, `{ghc}` or `{class:count}`; anything else in braces is literal text.
fn is_spec(spec: &str) -> bool {
    spec == "uuid"
        || spec == "ghc"
        || spec.split_once(':').is_some_and(|(c, n)| {
            c.len() == 1
                && "AaULlhdbuze".contains(c)
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Expands a template; returns the text and the secret's byte range (the `[[…]]` part, or the
/// whole text when there is no marker).
pub fn expand(template: &str, rng: &mut Rng) -> (String, std::ops::Range<usize>) {
    let mut out = String::new();
    let mut marker = None;
    let mut marker_end = None;
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[[") {
            marker = Some(out.len());
            rest = r;
        } else if let Some(r) = rest.strip_prefix("]]") {
            marker_end = Some(out.len());
            rest = r;
        } else if let Some(r) = rest.strip_prefix("\\n") {
            out.push('\n');
            rest = r;
        } else if rest.starts_with('{')
            && let Some(close) = rest.find('}')
            && is_spec(&rest[1..close])
        {
            let spec = &rest[1..close];
            rest = &rest[close + 1..];
            match spec {
                "uuid" => {
                    let h = alphabet("h");
                    let parts = [8, 4, 4, 4, 12].map(|n| rng.string(h, n));
                    out.push_str(&parts.join("-"));
                }
                "ghc" => out.push_str(&rng.string(alphabet("A"), 36)),
                _ => {
                    let (class, n) = spec.split_once(':').expect("template {class:n}");
                    out.push_str(&rng.string(alphabet(class), n.parse().expect("count")));
                }
            }
        } else {
            let c = rest.chars().next().expect("non-empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let range = match (marker, marker_end) {
        (Some(s), Some(e)) => s..e,
        _ => 0..out.len(),
    };
    (out, range)
}
