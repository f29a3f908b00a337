//! One positive (built from the provider's documented format) and one negative (a near miss or
//! decoy) per built-in rule, from `data/samples.tsv`.

mod common;

use common::{Rng, expand, samples};
use palisade_secret::{Scanner, builtin_rule_info};

/// Wraps a token sample the way a `.env` file holds it.
fn document(kind: &str, text: &str, secret: std::ops::Range<usize>) -> (String, usize) {
    match kind {
        "token" => (
            format!("# settings\nTOKEN={text}\nOTHER=1\n"),
            "# settings\nTOKEN=".len() + secret.start,
        ),
        _ => (
            format!("# settings\n{text}\nOTHER=1\n"),
            "# settings\n".len() + secret.start,
        ),
    }
}

#[test]
fn every_builtin_rule_has_a_sample() {
    let ids: Vec<String> = samples().into_iter().map(|s| s.id).collect();
    for info in builtin_rule_info() {
        assert!(
            ids.iter().any(|i| i == info.id),
            "no sample for {}",
            info.id
        );
    }
    for id in &ids {
        assert!(
            builtin_rule_info().iter().any(|r| r.id == id),
            "sample for unknown rule {id}"
        );
    }
}

#[test]
fn positives_are_found_redacted_negatives_are_not() {
    let scanner = Scanner::builtin();
    let mut failures = Vec::new();
    for (i, s) in samples().iter().enumerate() {
        for round in 0..3u64 {
            let mut rng = Rng::new(1 + i as u64 * 31 + round);
            let (text, secret) = expand(&s.positive, &mut rng);
            let (doc, offset) = document(&s.kind, &text, secret.clone());
            let secret_text = &text[secret];
            let scan = scanner.scan_bytes(&s.path, doc.as_bytes());
            match scan.findings.iter().find(|f| f.rule_id == s.id) {
                None => failures.push(format!(
                    "{}: positive not found in {doc:?} (got {:?})",
                    s.id,
                    scan.findings.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
                )),
                Some(f) => {
                    if f.offset != offset as u64 {
                        failures.push(format!("{}: offset {} instead of {offset}", s.id, f.offset));
                    }
                    let shown = format!("{f:?}{f}{}", serde_json::to_string(f).unwrap());
                    if shown.contains(secret_text) {
                        failures.push(format!("{}: secret visible in output", s.id));
                    }
                    if !f.match_line.contains('*') {
                        failures.push(format!("{}: match not masked: {}", s.id, f.match_line));
                    }
                }
            }
            let (neg, _) = expand(&s.negative, &mut rng);
            let (doc, _) = document(&s.kind, &neg, 0..0);
            let scan = scanner.scan_bytes(&s.path, doc.as_bytes());
            if scan.findings.iter().any(|f| f.rule_id == s.id) {
                failures.push(format!("{}: negative found in {doc:?}", s.id));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn trivy_metadata_is_exact_for_a_few_dashboard_rules() {
    let info = builtin_rule_info();
    let get = |id: &str| info.iter().find(|r| r.id == id).copied().unwrap();
    let aws = get("aws-access-key-id");
    assert_eq!(
        (aws.category, aws.title, aws.severity.as_str()),
        ("AWS", "AWS Access Key ID", "CRITICAL")
    );
    let pk = get("private-key");
    assert_eq!(
        (pk.category, pk.title, pk.severity.as_str()),
        ("AsymmetricPrivateKey", "Asymmetric Private Key", "HIGH")
    );
    let ionic = get("ionic-api-token");
    assert_eq!(
        ionic.severity.as_str(),
        "UNKNOWN",
        "Trivy reports ionic-api-token without a severity"
    );
    assert_eq!(
        info.iter().filter(|r| r.trivy).count(),
        105,
        "Trivy 0.76 has 105 built-in rules"
    );
    assert!(
        info.iter()
            .filter(|r| !r.trivy)
            .all(|r| r.id.starts_with("palisade-"))
    );
}
