//! Properties: no panic on arbitrary bytes or config; chunked scanning equals whole-file
//! scanning for any chunk size; redaction never leaks a detected secret.

mod common;

use common::{Rng, expand, samples};
use palisade_secret::{ScanOptions, Scanner};
use proptest::prelude::*;
use std::sync::OnceLock;

fn builtin() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(Scanner::builtin)
}

fn positives() -> &'static Vec<(String, String)> {
    static P: OnceLock<Vec<(String, String)>> = OnceLock::new();
    P.get_or_init(|| {
        samples()
            .into_iter()
            .filter(|s| s.path == "app/config.env")
            .map(|s| (s.id, s.positive))
            .collect()
    })
}

/// A document of random fragments: planted samples, random bytes, text, separated by spaces or
/// newlines.
fn document() -> impl Strategy<Value = (Vec<u8>, Vec<(u64, String)>)> {
    let fragment = prop_oneof![
        (any::<u64>(), 0..1000usize).prop_map(|(seed, i)| (Some(i), seed, Vec::new())),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| (None, 0, b)),
        "[a-zA-Z0-9 =:_\\-\"']{0,80}".prop_map(|s| (None, 0, s.into_bytes())),
    ];
    proptest::collection::vec((fragment, prop_oneof![Just(b' '), Just(b'\n')]), 1..24).prop_map(
        |frags| {
            let mut doc = b"header line\n".to_vec();
            let mut planted = Vec::new();
            for ((sample, seed, bytes), sep) in frags {
                match sample {
                    Some(i) => {
                        let p = positives();
                        let (_, template) = &p[i % p.len()];
                        let (text, secret) = expand(template, &mut Rng::new(seed));
                        planted.push(((doc.len() + secret.start) as u64, text[secret].to_string()));
                        doc.extend_from_slice(text.as_bytes());
                    }
                    None => doc.extend(
                        bytes
                            .into_iter()
                            .filter(|b| !matches!(b, 0..=8 | 0x0b | 0x0e..=0x1f | 0x7f)),
                    ),
                }
                doc.push(sep);
            }
            (doc, planted)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..4096), chunk in 1usize..600) {
        let s = builtin();
        let _ = s.scan_bytes("app/x.bin", &data);
        let small = Scanner::builtin().with_options(ScanOptions { chunk_size: chunk, max_match_len: 300, context_lookback: 64, ..ScanOptions::default() });
        let _ = small.scan_reader("app/x.bin", &data[..], None).unwrap();
    }

    #[test]
    fn chunked_equals_whole((doc, _) in document(), chunk in 1usize..3000) {
        let opts = ScanOptions { chunk_size: chunk, max_match_len: 1024, context_lookback: 512, ..ScanOptions::default() };
        let s = Scanner::builtin().with_options(opts);
        let whole = s.scan_bytes("app/config.env", &doc);
        let streamed = s.scan_reader("app/config.env", &doc[..], None).unwrap();
        prop_assert_eq!(whole.findings, streamed.findings);
    }

    #[test]
    fn redaction_never_leaks_a_detected_secret((doc, planted) in document()) {
        let scan = builtin().scan_bytes("app/config.env", &doc);
        let shown: String = scan.findings.iter().map(|f| format!("{f:?}\n{f}\n{}", serde_json::to_string(f).unwrap())).collect();
        for (offset, secret) in &planted {
            if secret.len() >= 12 && scan.findings.iter().any(|f| f.offset == *offset) {
                prop_assert!(!shown.contains(secret.as_str()), "secret at {} visible", offset);
            }
        }
    }

    #[test]
    fn config_never_panics(yaml in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Scanner::from_config_yaml(&yaml, ScanOptions::default());
    }

    #[test]
    fn any_custom_regex_is_compiled_or_reported(pattern in "\\PC{0,40}", id in "[a-z]{1,8}") {
        let yaml = format!("rules:\n  - id: {id}\n    category: c\n    title: t\n    severity: LOW\n    regex: {}\n  - id: other\n    category: c\n    title: t\n    severity: LOW\n    regex: 'other-[0-9]{{4}}'\n", serde_json::to_string(&pattern).unwrap());
        if let Ok((s, problems)) = Scanner::from_config_yaml(yaml.as_bytes(), ScanOptions::default()) {
            let has_rule = s.rules().iter().any(|r| r.id == id);
            prop_assert!(has_rule || problems.iter().any(|p| p.location.contains(&id)), "rule neither kept nor reported: {:?}", problems);
            let found = s.scan_bytes("a.txt", b"x other-1234\n").findings;
            prop_assert!(found.iter().any(|f| f.rule_id == "other"));
        }
    }
}
