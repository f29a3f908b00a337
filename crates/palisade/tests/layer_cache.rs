//! The layer cache (`--cache-dir`): a second scan of an image reuses every layer's analysis and
//! gives the same report; images sharing base layers share their entries; `--no-cache` reads
//! every layer again (and so notices a blob that changed on disk).

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

fn scan(db: &str, cache: &Path, image: &str, extra: &[&str]) -> (Value, String) {
    let cache = cache.to_str().unwrap();
    let mut args = vec!["image", "--db", db, "--format", "json", "--list-all-pkgs"];
    args.extend_from_slice(extra);
    args.push(image);
    // The harness disables the cache for every other test; this one turns it back on.
    let out = palisade_env(
        &args,
        &[
            ("PALISADE_NO_CACHE", "false"),
            ("PALISADE_CACHE_DIR", cache),
            ("PALISADE_LOG", "info"),
        ],
    );
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    let mut report: Value = serde_json::from_str(&stdout(&out)).expect("json");
    report["CreatedAt"] = Value::Null;
    (report, stderr(&out))
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".layer"))
            })
            .count()
        })
        .unwrap_or(0)
}

#[test]
fn second_scan_and_shared_base_layers_come_from_the_cache() {
    let Some(images) = images() else { return };
    let db = fixture_db().to_str().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("layers");
    let layers = format!("oci:{}:latest", images.join("oci/layers").display());
    let minbase = format!("oci:{}:latest", images.join("oci/minbase").display());

    let (first, _) = scan(&db, &cache, &layers, &[]);
    assert_eq!(
        entries(&cache),
        3,
        "one entry per layer of the layers image"
    );
    let (second, log) = scan(&db, &cache, &layers, &[]);
    assert_eq!(first, second, "the cached analysis gives the same report");
    assert!(log.contains("cached=3"), "{log}");

    // minbase is the layers image's first layer: nothing new to read or store.
    let (_, log) = scan(&db, &cache, &minbase, &[]);
    assert!(log.contains("cached=1"), "{log}");
    assert_eq!(entries(&cache), 3);

    // --no-cache reads the layers again and gives the same report, without new entries.
    let (uncached, log) = scan(&db, &cache, &layers, &["--no-cache"]);
    assert_eq!(first, uncached);
    assert!(!log.contains("cached="), "{log}");

    // A damaged entry is a miss: the layer is read again and the entry rewritten.
    for e in std::fs::read_dir(&cache).unwrap() {
        let p = e.unwrap().path();
        std::fs::write(&p, b"not a cache entry").unwrap();
    }
    let (again, log) = scan(&db, &cache, &layers, &[]);
    assert_eq!(first, again);
    assert!(!log.contains("cached="), "{log}");
    let (_, log) = scan(&db, &cache, &layers, &[]);
    assert!(log.contains("cached=3"), "entries were rewritten: {log}");
}
