//! Accuracy against real advisory data: the Debian 12 OSV records in
//! `../shared/data/advisories/debian12-changelogs.zip` (real public data, read at run time and
//! never copied into the project). A scan must report exactly the advisories whose fixed version
//! is newer than the installed source version, by `dpkg --compare-versions`, with the right fixed
//! versions, and nothing for packages already at a fixed version.

mod common;

use common::*;
use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;

fn shared_zip() -> Option<PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/advisories/debian12-changelogs.zip");
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is missing; this accuracy test needs ../shared beside the project",
            p.display()
        );
        None
    }
}

#[test]
fn real_debian_advisories_match_exactly() {
    let Some(zip_path) = shared_zip() else { return };
    let Some(images) = images() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("debian12.db");
    let out = palisade(&[
        "db",
        "build",
        "--osv",
        zip_path.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut facts = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        facts.extend(fact_from_osv(&v));
    }
    assert!(
        facts.len() > 2000,
        "expected the whole Debian 12 corpus, read {}",
        facts.len()
    );

    for name in ["aged", "layers", "minbase"] {
        let pkgs = manifest(&images, name);
        let want = expected(&pkgs, &facts);
        let report = scan_json(
            &db,
            &format!("oci:{}", images.join("oci").join(name).display()),
            &[],
            &[],
        );
        let got = findings(&report);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: missing {missing:#?}\nextra {extra:#?}"
        );
        eprintln!("{name}: {} findings, all expected", got.len());
        if name == "aged" {
            assert!(
                got.len() > 20,
                "the aged image carries old glibc/perl/tar/xz: {}",
                got.len()
            );
        }
    }
}
