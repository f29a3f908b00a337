//! Bad input gets a clear error that names the input and the problem, with exit status 1.

mod common;

use common::*;
use std::io::Write;

fn fails_with(args: &[&str], needles: &[&str]) {
    let out = palisade(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?} should fail: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(
            err.to_lowercase().contains(&n.to_lowercase()),
            "{args:?}: {err:?} should mention {n:?}"
        );
    }
}

#[test]
fn bad_references_and_unknown_files() {
    let db = fixture_db().to_str().unwrap();
    fails_with(
        &["image", "--db", db, "Not/A:Valid:Ref"],
        &["Not/A:Valid:Ref"],
    );
    fails_with(&["image", "--db", db, "repo@sha256:1234"], &["sha256:1234"]);
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.tar");
    std::fs::File::create(&junk)
        .unwrap()
        .write_all(&[7u8; 4096])
        .unwrap();
    fails_with(
        &["image", "--db", db, junk.to_str().unwrap()],
        &["junk.tar"],
    );
    fails_with(
        &["image", "--db", db, "oci:/nonexistent/layout"],
        &["/nonexistent/layout"],
    );
}

#[test]
fn unreachable_registry_is_named() {
    let db = fixture_db().to_str().unwrap();
    fails_with(
        &["image", "--db", db, "127.0.0.1:9/nobody/here:1"],
        &["127.0.0.1:9"],
    );
}

#[test]
fn missing_or_corrupt_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    fails_with(
        &["image", "--db", missing.to_str().unwrap(), "debian:12"],
        &[missing.to_str().unwrap(), "palisade db build"],
    );
    let corrupt = dir.path().join("corrupt.db");
    std::fs::write(&corrupt, b"this is not a database").unwrap();
    fails_with(
        &["db", "info", "--db", corrupt.to_str().unwrap()],
        &["corrupt.db"],
    );
    fails_with(
        &[
            "db",
            "build",
            "--osv",
            "/nonexistent/osv",
            "--db",
            corrupt.to_str().unwrap(),
        ],
        &["/nonexistent/osv"],
    );
}

/// Copies an OCI layout and damages its largest blob (the layer) in the given way.
fn damaged_layout(images: &std::path::Path, damage: impl Fn(&mut Vec<u8>)) -> tempfile::TempDir {
    let src = images.join("oci/minbase");
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .args([
            "-r",
            &format!("{}/.", src.display()),
            dir.path().to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let blobs = dir.path().join("blobs/sha256");
    let largest = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut data = std::fs::read(&largest).unwrap();
    damage(&mut data);
    std::fs::write(&largest, data).unwrap();
    dir
}

#[test]
fn corrupt_and_truncated_layers_are_caught() {
    let Some(images) = images() else { return };
    let db = fixture_db().to_str().unwrap();
    let flipped = damaged_layout(&images, |d| {
        let mid = d.len() / 2;
        d[mid] ^= 0xff;
    });
    let src = format!("oci:{}", flipped.path().display());
    fails_with(&["image", "--db", db, &src], &["sha256:"]);
    let truncated = damaged_layout(&images, |d| d.truncate(d.len() / 3));
    let src = format!("oci:{}", truncated.path().display());
    fails_with(&["image", "--db", db, &src], &["sha256:"]);
}

#[test]
fn filters_and_exit_codes() {
    let Some(images) = images() else { return };
    let db = fixture_db().to_str().unwrap();
    let src = format!("oci:{}", images.join("oci/minbase").display());
    // minbase carries zlib, which the fixtures list as affected with no fix yet.
    let out = palisade(&["image", "--db", db, "--exit-code", "3", &src]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains(&format!("{src} (debian 12")), "{table}");
    assert!(table.contains("Total: "), "{table}");
    assert!(table.contains("CVE-2023-45853"), "{table}");
    let out = palisade(&[
        "image",
        "--db",
        db,
        "--exit-code",
        "3",
        "--ignore-unfixed",
        &src,
    ]);
    let report = stdout(&out);
    assert!(!report.contains("CVE-2023-45853"), "{report}");
    let out = palisade(&[
        "image",
        "--db",
        db,
        "--exit-code",
        "3",
        "--severity",
        "LOW",
        &src,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "only LOW kept, none found: {}",
        stdout(&out)
    );
    let out = palisade(&[
        "image",
        "--db",
        db,
        "-q",
        "--severity",
        "CRITICAL",
        "-f",
        "json",
        &src,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(findings(&v).iter().all(|f| f.2 == "CVE-2023-45853"), "{v}");
}
