//! Robustness check against real advisory data: every CVSS vector in the RustSec OSV snapshot
//! must parse and score within 0..=10. The data is read at run time from the shared reference
//! area and never copied into the repository.

use std::io::Read;
use std::path::PathBuf;

use palisade_cvss::{CvssVersion, parse_and_score, score_v4_with_threat_and_environmental};

fn snapshot() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/advisories/crates-rustsec.zip");
    path.exists().then_some(path)
}

#[test]
fn every_rustsec_vector_scores() {
    let Some(path) = snapshot() else {
        println!("skipped: ../shared not present (crates-rustsec.zip not found)");
        return;
    };
    let file = std::fs::File::open(&path).expect("open snapshot");
    let mut archive = zip::ZipArchive::new(file).expect("read zip");

    let mut seen = [0usize; 3];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("zip entry");
        let name = entry.name().expect("entry name is valid").into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("utf-8 json");
        let record: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let Some(severities) = record["severity"].as_array() else {
            continue;
        };
        for sev in severities {
            let kind = sev["type"].as_str().unwrap_or_default();
            if kind != "CVSS_V3" && kind != "CVSS_V4" {
                continue;
            }
            let vector = sev["score"].as_str().unwrap_or_default();
            let scored = parse_and_score(vector).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                (0.0..=10.0).contains(&scored.base_score),
                "{name}: {vector} scored {}",
                scored.base_score
            );
            let expected_prefix = if kind == "CVSS_V3" {
                "CVSS:3."
            } else {
                "CVSS:4.0/"
            };
            assert!(
                vector.starts_with(expected_prefix),
                "{name}: {kind} {vector}"
            );
            match scored.version {
                CvssVersion::V3_0 => seen[0] += 1,
                CvssVersion::V3_1 => seen[1] += 1,
                CvssVersion::V4_0 => {
                    seen[2] += 1;
                    let full = score_v4_with_threat_and_environmental(vector)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert!((0.0..=10.0).contains(&full), "{name}: {vector} full {full}");
                }
            }
        }
    }
    println!("scored v3.0={} v3.1={} v4.0={}", seen[0], seen[1], seen[2]);
    assert!(
        seen.iter().all(|&n| n > 0),
        "expected every version in the snapshot: {seen:?}"
    );
}
