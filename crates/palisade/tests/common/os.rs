//! Advisory databases for the OS-package images (`scripts/build-test-images.sh --os-only`),
//! shared by `os_images.rs` and `operator_os.rs` (included with `#[path = "common/os.rs"]`).
//!
//! With `../shared` beside the project the database holds the real public data: Alpine's secdb
//! (`alpine-secdb.zip`), AlmaLinux's OSV feed (`almalinux.zip`) and Canonical's Ubuntu OSV
//! records (`ubuntu-osv.zip`). Without it, [`os_fixture_db`] is a handful of records this file
//! writes, each restating one fact of that data (ids `PLT-…`, the real CVE as alias), chosen so
//! that matching must use the apk origin, the rpm epoch, the modularity label and the upgraded
//! layer to find exactly [`FIXTURE_EXPECTED`].

#![allow(dead_code)]

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::{palisade, stderr};

/// The zips of `../shared/data/advisories` these tests read.
pub const SHARED_ZIPS: [&str; 3] = ["alpine-secdb.zip", "almalinux.zip", "ubuntu-osv.zip"];

/// `../shared/data/advisories` when it holds [`SHARED_ZIPS`], else `None`; with
/// `PALISADE_TEST_REQUIRE_SHARED=1` a missing folder fails instead. Callers say what they skip.
pub fn shared_advisories() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories");
    if SHARED_ZIPS.iter().all(|z| dir.join(z).is_file()) {
        return Some(dir);
    }
    assert!(
        std::env::var("PALISADE_TEST_REQUIRE_SHARED").as_deref() != Ok("1"),
        "{} lacks {SHARED_ZIPS:?} but PALISADE_TEST_REQUIRE_SHARED=1",
        dir.display()
    );
    None
}

fn build(dir: &Path, name: &str, inputs: &[PathBuf]) -> PathBuf {
    let db = dir.join(name);
    let mut args = vec!["db".to_string(), "build".to_string(), "--osv".to_string()];
    args.extend(
        inputs
            .iter()
            .map(|p| p.to_str().expect("utf-8").to_string()),
    );
    args.extend(["--db".to_string(), db.to_str().expect("utf-8").to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = palisade(&args);
    assert!(out.status.success(), "db build failed: {}", stderr(&out));
    db
}

/// A database of [`SHARED_ZIPS`], built once per test binary, or `None` without `../shared`.
pub fn shared_db() -> Option<&'static Path> {
    static DB: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    DB.get_or_init(|| {
        let src = shared_advisories()?;
        let dir = tempfile::tempdir().expect("tempdir");
        let zips: Vec<PathBuf> = SHARED_ZIPS.iter().map(|z| src.join(z)).collect();
        let db = build(dir.path(), "os.db", &zips);
        Some((dir, db))
    })
    .as_ref()
    .map(|(_, p)| p.as_path())
}

/// One OSV record: `introduced 0, fixed <fixed>` for `name` in `ecosystem`, the CVE as alias.
fn record(id: &str, cve: &str, ecosystem: &str, name: &str, fixed: &str) -> Value {
    json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2025-01-01T00:00:00Z",
        "published": "2025-01-01T00:00:00Z",
        "aliases": [cve],
        "summary": format!("Test fixture for Palisade: {cve} in {ecosystem} {name}"),
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        }],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
    })
}

/// The fixture records, each a fact of the public data named in its comment.
pub fn fixture_records() -> Vec<Value> {
    vec![
        // alpine-secdb v3.11 main: openssl 1.1.1d-r3 fixes CVE-2019-1551. The image has its
        // binaries libssl1.1 and libcrypto1.1 (origin openssl) at 1.1.1d-r2.
        record(
            "PLT-APK-1",
            "CVE-2019-1551",
            "Alpine:v3.11",
            "openssl",
            "1.1.1d-r3",
        ),
        // sqlite 3.30.1-r1 fixes CVE-2019-19242: the image's first layer has sqlite-libs
        // 3.30.1-r0, its second upgrades it to 3.30.1-r1, so no finding.
        record(
            "PLT-APK-2",
            "CVE-2019-19242",
            "Alpine:v3.11",
            "sqlite",
            "3.30.1-r1",
        ),
        // ALSA-2023:3577, the nodejs:18 module stream (the image's nodejs is that module).
        record(
            "PLT-ALMA-1",
            "CVE-2023-32067",
            "AlmaLinux:9",
            "nodejs",
            "1:18.14.2-3.module_el9.2.0+30+e3312493",
        ),
        // ALSA-2024:1688, the nodejs:20 module stream: not the image's stream.
        record(
            "PLT-ALMA-2",
            "CVE-2024-22019",
            "AlmaLinux:9",
            "nodejs",
            "1:20.11.1-1.module_el9.3.0+88+29afeaa2",
        ),
        // ALSA-2023:5711, nginx without a module (as installed, 1:1.20.1-14.el9).
        record(
            "PLT-ALMA-3",
            "CVE-2023-44487",
            "AlmaLinux:9",
            "nginx",
            "1:1.20.1-14.el9_2.1.alma.1",
        ),
        // ALSA-2023:6120, the nginx:1.22 module stream: not for a package without a module.
        record(
            "PLT-ALMA-4",
            "CVE-2023-44487",
            "AlmaLinux:9",
            "nginx",
            "1:1.22.1-3.module_el9.2.0+44+f932b372.1.alma.1",
        ),
    ]
}

/// `(image, package, installed version, CVE, fixed version)` the fixture database must give.
pub const FIXTURE_EXPECTED: [(&str, &str, &str, &str, &str); 4] = [
    (
        "alpine",
        "libcrypto1.1",
        "1.1.1d-r2",
        "CVE-2019-1551",
        "1.1.1d-r3",
    ),
    (
        "alpine",
        "libssl1.1",
        "1.1.1d-r2",
        "CVE-2019-1551",
        "1.1.1d-r3",
    ),
    (
        "alma9",
        "nginx",
        "1:1.20.1-14.el9",
        "CVE-2023-44487",
        "1:1.20.1-14.el9_2.1.alma.1",
    ),
    (
        "alma9",
        "nodejs",
        "1:18.14.2-2.module_el9.2.0+29+de583a0b",
        "CVE-2023-32067",
        "1:18.14.2-3.module_el9.2.0+30+e3312493",
    ),
];

/// A database of [`fixture_records`], built once per test binary.
pub fn os_fixture_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("osv");
        std::fs::create_dir(&src).expect("mkdir");
        for r in fixture_records() {
            let file = src.join(format!("{}.json", r["id"].as_str().expect("id")));
            std::fs::write(file, serde_json::to_vec_pretty(&r).expect("json")).expect("write");
        }
        let db = build(dir.path(), "os-fixtures.db", &[src]);
        (dir, db)
    });
    path
}

/// The shared database when `../shared` is there, else the fixture database.
pub fn any_db() -> &'static Path {
    shared_db().unwrap_or_else(os_fixture_db)
}

/// Builds a database from `inputs` into `dir` (for tests with their own inputs).
pub fn build_db(dir: &Path, name: &str, inputs: &[PathBuf]) -> PathBuf {
    build(dir, name, inputs)
}
