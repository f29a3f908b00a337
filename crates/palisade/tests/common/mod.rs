//! Shared helpers for the end-to-end tests: the test images that `scripts/build-test-images.sh`
//! builds, the registries `scripts/registry.sh` starts, and the `palisade` binary itself.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The folder with the built test images, or `None` (after saying so) when the tests run
/// without them. Under `scripts/test.sh` (`PALISADE_TEST_REQUIRE_IMAGES=1`) missing images fail.
pub fn images() -> Option<PathBuf> {
    match std::env::var_os("PALISADE_TEST_IMAGES") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            assert!(
                std::env::var("PALISADE_TEST_REQUIRE_IMAGES").as_deref() != Ok("1"),
                "PALISADE_TEST_IMAGES is not set but images are required"
            );
            eprintln!(
                "SKIPPED: no test images; run scripts/test.sh (it builds them and starts the registries)"
            );
            None
        }
    }
}

/// A registry address from the environment (`PALISADE_TEST_REGISTRY` and friends), required when
/// images are.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set; run scripts/test.sh"))
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_palisade")
}

/// Runs palisade with a clean credential environment.
pub fn palisade(args: &[&str]) -> Output {
    palisade_env(args, &[])
}

pub fn palisade_env(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("PALISADE_USERNAME")
        .env_remove("PALISADE_PASSWORD")
        .env_remove("PALISADE_DB")
        .env_remove("PALISADE_CACHE_DIR")
        // Each test reads its images for real: a layer cache shared between tests would let
        // one test's good layer stand in for another's deliberately corrupted copy. The cache
        // has its own test (`layer_cache`), with its own folder.
        .env("PALISADE_NO_CACHE", "1")
        .env("DOCKER_CONFIG", "/nonexistent-palisade-test")
        .env("NO_COLOR", "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("running palisade")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs a scan that must succeed and returns the JSON report.
pub fn scan_json(db: &Path, image: &str, extra: &[&str], envs: &[(&str, &str)]) -> Value {
    let db = db.to_str().unwrap();
    let mut args = vec![
        "image",
        "--quiet",
        "--format",
        "json",
        "--list-all-pkgs",
        "--db",
        db,
    ];
    args.extend_from_slice(extra);
    args.push(image);
    let out = palisade_env(&args, envs);
    assert!(
        out.status.success(),
        "scan of {image} failed: {}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("report is JSON")
}

/// `(package, installed version, vulnerability id, fixed version)` of every finding.
pub type FindingKey = (String, String, String, Option<String>);

pub fn findings(report: &Value) -> BTreeSet<FindingKey> {
    let mut out = BTreeSet::new();
    for r in report["Results"].as_array().into_iter().flatten() {
        for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
            out.insert((
                v["PkgName"].as_str().unwrap().to_string(),
                v["InstalledVersion"].as_str().unwrap().to_string(),
                v["VulnerabilityID"].as_str().unwrap().to_string(),
                v["FixedVersion"].as_str().map(str::to_string),
            ));
        }
    }
    out
}

/// A listed package's full version, `[epoch:]version[-release]`, from Trivy's fields
/// (`Epoch`, `Version`, `Release`, or with `prefix` "Src" the source's), as Trivy's
/// `FormatVersion` joins them: an epoch of 0 and an empty release are left out. A report that
/// keeps the whole version in `Version` gives the same string.
pub fn full_version(p: &Value, prefix: &str) -> String {
    let mut out = String::new();
    if let Some(e) = p[format!("{prefix}Epoch")].as_u64().filter(|e| *e > 0) {
        out.push_str(&format!("{e}:"));
    }
    out.push_str(
        p[format!("{prefix}Version")]
            .as_str()
            .unwrap_or_else(|| panic!("no {prefix}Version in {p}")),
    );
    if let Some(r) = p[format!("{prefix}Release")]
        .as_str()
        .filter(|r| !r.is_empty())
    {
        out.push('-');
        out.push_str(r);
    }
    out
}

/// `(name, version, arch, source, source version)` of every listed package, versions in full.
pub fn packages(report: &Value) -> BTreeSet<[String; 5]> {
    let mut out = BTreeSet::new();
    for r in report["Results"].as_array().into_iter().flatten() {
        for p in r["Packages"].as_array().into_iter().flatten() {
            let f = |k: &str| p[k].as_str().unwrap().to_string();
            out.insert([
                f("Name"),
                full_version(p, ""),
                f("Arch"),
                f("SrcName"),
                full_version(p, "Src"),
            ]);
        }
    }
    out
}

/// The package list `dpkg-query` printed inside the image's chroot when it was built.
pub fn manifest(images: &Path, name: &str) -> BTreeSet<[String; 5]> {
    let path = images.join("manifests").join(format!("{name}.dpkg.tsv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "bad manifest line {l:?}");
            [f[0], f[1], f[2], f[3], f[4]].map(str::to_string)
        })
        .collect()
}

/// A database built from the OSV fixtures in `tests/fixtures/osv`, once per test binary.
pub fn fixture_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fixtures.db");
        let out = palisade(&[
            "db",
            "build",
            "--osv",
            fixtures_dir().to_str().unwrap(),
            "--db",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "db build failed: {}", stderr(&out));
        (dir, path)
    });
    path
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv")
}

/// `dpkg --compare-versions a lt b`, the independent oracle for expected findings.
pub fn dpkg_lt(a: &str, b: &str) -> bool {
    let status = Command::new("dpkg")
        .args(["--compare-versions", a, "lt", b])
        .status()
        .expect("dpkg is needed as the version oracle (apt-get install dpkg)");
    status.success()
}

/// One `(source package, fixed version or none, CVE, OSV id)` advisory fact.
pub struct Fact {
    pub source: String,
    pub fixed: Option<String>,
    pub cve: String,
}

pub fn fact_from_osv(v: &Value) -> Vec<Fact> {
    let cve = v["aliases"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .find(|s| s.starts_with("CVE-"))
        })
        .or_else(|| v["id"].as_str())
        .unwrap()
        .to_string();
    let mut out = Vec::new();
    for a in v["affected"].as_array().into_iter().flatten() {
        if a["package"]["ecosystem"] != "Debian:12" {
            continue;
        }
        let events = a["ranges"][0]["events"].as_array().unwrap();
        assert!(
            events
                .iter()
                .all(|e| e.get("introduced").is_none_or(|i| i == "0")),
            "the oracle only handles introduced 0"
        );
        let fixed = events
            .iter()
            .find_map(|e| e["fixed"].as_str())
            .map(str::to_string);
        out.push(Fact {
            source: a["package"]["name"].as_str().unwrap().to_string(),
            fixed,
            cve: cve.clone(),
        });
    }
    out
}

/// The findings a correct scanner must report for these packages and facts, computed with dpkg.
pub fn expected(pkgs: &BTreeSet<[String; 5]>, facts: &[Fact]) -> BTreeSet<FindingKey> {
    let mut out = BTreeSet::new();
    for [name, version, _arch, src, src_version] in pkgs {
        for f in facts.iter().filter(|f| &f.source == src) {
            let affected = match &f.fixed {
                Some(fixed) => dpkg_lt(src_version, fixed),
                None => true,
            };
            if affected {
                out.insert((
                    name.clone(),
                    version.clone(),
                    f.cve.clone(),
                    f.fixed.clone(),
                ));
            }
        }
    }
    out
}
