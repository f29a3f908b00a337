//! End-to-end checks of the Java, Ruby, PHP and .NET analyzers, and of the Node.js and Python
//! lockfiles, on the `apps` test image (`scripts/build-test-images.sh`; `scripts/apps_image.sh`
//! makes it with each ecosystem's own tools). `manifests/apps.tsv` lists what those tools wrote,
//! with a scope per package: `prod` (the application's), `dev` (development only), `self` (the
//! project's own entry) and `os` (in a file a Debian package owns).
//!
//! The scan must list every `prod` package where its file is (nested jars by their path inside
//! the outer archive), list nothing that the manifest does not name, and list none of the `os`
//! ones: Debian's gem specifications and the lockfiles inside its gems are reported once, as
//! the Debian packages that installed them. A small OSV database written here must then give
//! its findings in exactly the results that hold the affected versions: a prerelease boundary
//! for RubyGems, nested jars for Maven, a `v`-prefixed Composer version, four-part NuGet
//! versions and case-insensitive NuGet ids. A CycloneDX BOM of the image, matched with
//! `palisade sbom`, must give the same findings.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `apps` image's OCI layout and its manifest, or `None` (after saying so) without images.
fn apps_image() -> Option<(PathBuf, PathBuf)> {
    let images = images()?;
    let layout = images.join("oci").join("apps");
    let manifest = std::env::var_os("PALISADE_TEST_APPS_TSV")
        .map(PathBuf::from)
        .unwrap_or_else(|| images.join("manifests").join("apps.tsv"));
    if layout.join("index.json").is_file() && manifest.is_file() {
        return Some((layout, manifest));
    }
    assert!(
        std::env::var("PALISADE_TEST_REQUIRE_IMAGES").as_deref() != Ok("1"),
        "the apps image is missing in {} but images are required; run scripts/build-test-images.sh",
        images.display()
    );
    eprintln!("SKIPPED: no apps image; run scripts/build-test-images.sh (or scripts/test.sh)");
    None
}

/// `(Type, Name, Version, Path)`; nested archives are `outer.jar/inner.jar` (the manifest
/// writes `outer.jar!inner.jar`).
type Key = [String; 4];

/// Manifest rows by scope.
fn manifest(path: &Path) -> Vec<(Key, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "bad manifest line {l:?}");
            let key = [f[0], f[1], f[2], &f[3].replace('!', "/")].map(str::to_string);
            (key, f[4].to_string())
        })
        .collect()
}

/// Types whose packages Trivy gathers into one result per ecosystem, each package naming its
/// file; other results are one per file.
fn aggregated(kind: &str) -> bool {
    matches!(kind, "jar" | "gemspec" | "node-pkg" | "python-pkg")
}

fn listed(report: &Value) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    for r in report["Results"].as_array().expect("Results") {
        if r["Class"] != "lang-pkgs" {
            continue;
        }
        let kind = r["Type"].as_str().expect("Type");
        for p in r["Packages"].as_array().expect("--list-all-pkgs") {
            let path = if aggregated(kind) {
                p["FilePath"].as_str().expect("FilePath")
            } else {
                r["Target"].as_str().expect("Target")
            };
            out.insert(
                [
                    kind,
                    p["Name"].as_str().unwrap(),
                    p["Version"].as_str().unwrap(),
                    path,
                ]
                .map(str::to_string),
            );
        }
    }
    out
}

/// One record per fact: OSV ecosystem, package (as the advisory spells it), the range events,
/// and the installed versions of the image it must claim.
struct Fact {
    id: &'static str,
    ecosystem: &'static str,
    package: &'static str,
    events: Value,
    affected: &'static [&'static str],
}

fn facts() -> Vec<Fact> {
    vec![
        Fact {
            id: "PALISADE-TEST-MAVEN-1",
            ecosystem: "Maven",
            package: "org.apache.logging.log4j:log4j-core",
            events: json!([{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}]),
            affected: &["2.14.1"],
        },
        // Nested one level (BOOT-INF/lib) and two levels (a jar inside that jar).
        Fact {
            id: "PALISADE-TEST-MAVEN-2",
            ecosystem: "Maven",
            package: "com.fasterxml.jackson.core:jackson-databind",
            events: json!([{"introduced": "2.9.0"}, {"fixed": "2.9.10.4"}]),
            affected: &["2.9.10"],
        },
        Fact {
            id: "PALISADE-TEST-MAVEN-3",
            ecosystem: "Maven",
            package: "org.yaml:snakeyaml",
            events: json!([{"introduced": "0"}, {"fixed": "1.31"}]),
            affected: &["1.26"],
        },
        // A range opening at a prerelease claims the prerelease, not the release after it.
        Fact {
            id: "PALISADE-TEST-GEM-1",
            ecosystem: "RubyGems",
            package: "actionpack",
            events: json!([{"introduced": "5.0.0.beta1"}, {"fixed": "5.0.0"}]),
            affected: &["5.0.0.beta1"],
        },
        // 3.0.0.beta1 is above the fix: not claimed.
        Fact {
            id: "PALISADE-TEST-GEM-2",
            ecosystem: "RubyGems",
            package: "rack",
            events: json!([{"introduced": "0"}, {"fixed": "2.0.9"}]),
            affected: &["2.0.8"],
        },
        Fact {
            id: "PALISADE-TEST-COMPOSER-1",
            ecosystem: "Packagist",
            package: "symfony/http-kernel",
            events: json!([{"introduced": "4.0.0"}, {"fixed": "4.4.13"}]),
            affected: &["v4.4.0"],
        },
        Fact {
            id: "PALISADE-TEST-COMPOSER-2",
            ecosystem: "Packagist",
            package: "guzzlehttp/guzzle",
            events: json!([{"introduced": "0"}, {"fixed": "6.5.8"}]),
            affected: &["6.5.2"],
        },
        // The advisory spells the id in lower case; the image as the project wrote it.
        Fact {
            id: "PALISADE-TEST-NUGET-1",
            ecosystem: "NuGet",
            package: "newtonsoft.json",
            events: json!([{"introduced": "0"}, {"fixed": "13.0.1"}]),
            affected: &["11.0.2", "12.0.1"],
        },
        // Four parts: 1.8.6.7 is below 1.8.7.
        Fact {
            id: "PALISADE-TEST-NUGET-2",
            ecosystem: "NuGet",
            package: "Portable.BouncyCastle",
            events: json!([{"introduced": "0"}, {"fixed": "1.8.7"}]),
            affected: &["1.8.6.7"],
        },
        // Fixed at exactly the installed version: no finding.
        Fact {
            id: "PALISADE-TEST-NUGET-3",
            ecosystem: "NuGet",
            package: "System.Text.Encodings.Web",
            events: json!([{"introduced": "0"}, {"fixed": "4.5.0"}]),
            affected: &[],
        },
    ]
}

fn apps_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let osv = dir.path().join("osv");
        std::fs::create_dir(&osv).unwrap();
        for f in facts() {
            let record = json!({
                "schema_version": "1.6.0",
                "id": f.id,
                "modified": "2025-01-01T00:00:00Z",
                "published": "2025-01-01T00:00:00Z",
                "summary": format!("Test fixture for Palisade: {} {}", f.ecosystem, f.package),
                "affected": [{
                    "package": {"ecosystem": f.ecosystem, "name": f.package},
                    "ranges": [{"type": "ECOSYSTEM", "events": f.events}],
                }],
                "severity": [{"type": "CVSS_V3",
                    "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            });
            let file = osv.join(format!("{}.json", f.id));
            std::fs::write(file, serde_json::to_vec(&record).unwrap()).unwrap();
        }
        let path = dir.path().join("apps.db");
        let out = palisade(&[
            "db",
            "build",
            "--osv",
            osv.to_str().unwrap(),
            "--db",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "db build: {}", stderr(&out));
        (dir, path)
    });
    path
}

/// `(Type, package, installed, id, path)` of every language finding; the path is the result's
/// target, or the package's own path in aggregated results.
fn found(report: &Value) -> BTreeSet<[String; 5]> {
    let mut out = BTreeSet::new();
    for r in report["Results"].as_array().expect("Results") {
        if r["Class"] != "lang-pkgs" {
            continue;
        }
        let kind = r["Type"].as_str().unwrap();
        for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            let path = if aggregated(kind) {
                s("PkgPath")
            } else {
                r["Target"].as_str().unwrap().to_string()
            };
            out.insert([
                kind.to_string(),
                s("PkgName"),
                s("InstalledVersion"),
                s("VulnerabilityID"),
                path,
            ]);
        }
    }
    out
}

/// The findings a correct scanner makes: each fact in every `prod` manifest row of its package
/// at an affected version.
fn expected(rows: &[(Key, String)]) -> BTreeSet<[String; 5]> {
    let mut out = BTreeSet::new();
    for f in facts() {
        let hits: Vec<&Key> = rows
            .iter()
            .filter(|(k, scope)| {
                scope == "prod"
                    && k[1].eq_ignore_ascii_case(f.package)
                    && f.affected.contains(&k[2].as_str())
            })
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            hits.is_empty(),
            f.affected.is_empty(),
            "{}: the manifest no longer holds {} at {:?}",
            f.id,
            f.package,
            f.affected
        );
        for [kind, name, version, path] in hits.into_iter().cloned() {
            out.insert([kind, name, version, f.id.to_string(), path]);
        }
    }
    out
}

fn scan(layout: &Path) -> Value {
    scan_json(
        apps_db(),
        &format!("oci:{}:latest", layout.display()),
        &[],
        &[],
    )
}

#[test]
fn every_application_package_is_listed_and_os_owned_files_are_not() {
    let Some((layout, manifest_path)) = apps_image() else {
        return;
    };
    let rows = manifest(&manifest_path);
    let listed = listed(&scan(&layout));
    let known: BTreeSet<&Key> = rows.iter().map(|(k, _)| k).collect();
    // A jar whose only clue is a manifest without a group id, or its file name, is not a Maven
    // package Palisade can name (Trivy needs its Java DB for those): the manifest still lists it.
    let nameable = |k: &Key| k[0] != "jar" || k[1].contains(':');
    let missing: Vec<&Key> = rows
        .iter()
        .filter(|(k, scope)| scope == "prod" && nameable(k) && !listed.contains(k))
        .map(|(k, _)| k)
        .collect();
    assert!(missing.is_empty(), "not listed: {missing:#?}");
    let os_listed: Vec<&Key> = rows
        .iter()
        .filter(|(k, scope)| scope == "os" && listed.contains(k))
        .map(|(k, _)| k)
        .collect();
    assert!(
        os_listed.is_empty(),
        "OS-owned files listed again: {os_listed:#?}"
    );
    let unknown: Vec<&Key> = listed.iter().filter(|k| !known.contains(k)).collect();
    assert!(
        unknown.is_empty(),
        "listed but not in the manifest: {unknown:#?}"
    );
    // Every ecosystem of the image is there.
    let kinds: BTreeSet<&str> = listed.iter().map(|k| k[0].as_str()).collect();
    for kind in [
        "jar",
        "gemspec",
        "bundler",
        "composer",
        "composer-vendor",
        "dotnet-core",
        "nuget",
        "yarn",
        "pnpm",
        "poetry",
        "pipenv",
    ] {
        assert!(kinds.contains(kind), "no {kind} package listed: {kinds:?}");
    }
}

#[test]
fn findings_land_in_the_results_that_hold_the_affected_versions() {
    let Some((layout, manifest_path)) = apps_image() else {
        return;
    };
    let want = expected(&manifest(&manifest_path));
    let got = found(&scan(&layout));
    assert_eq!(got, want);
}

#[test]
fn cyclonedx_then_sbom_gives_the_same_findings() {
    let Some((layout, _)) = apps_image() else {
        return;
    };
    let db = apps_db().to_str().unwrap();
    let image = format!("oci:{}:latest", layout.display());
    let out = palisade(&[
        "image",
        "--quiet",
        "--db",
        db,
        "--format",
        "cyclonedx",
        &image,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("apps.cdx.json");
    std::fs::write(&bom, &out.stdout).unwrap();
    let purls: BTreeSet<String> =
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str().map(str::to_string))
            .collect();
    for prefix in [
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "pkg:gem/actionpack@5.0.0.beta1",
        "pkg:composer/symfony/http-kernel@v4.4.0",
        "pkg:nuget/Newtonsoft.Json@12.0.1",
    ] {
        assert!(
            purls.iter().any(|p| p.starts_with(prefix)),
            "no {prefix} in the BOM"
        );
    }
    let out = palisade(&[
        "sbom",
        "--quiet",
        "--db",
        db,
        "--format",
        "json",
        bom.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let from_bom: BTreeSet<(String, String, String)> =
        found(&serde_json::from_slice(&out.stdout).unwrap())
            .into_iter()
            .map(|[_, name, version, id, _]| (name, version, id))
            .collect();
    let from_image: BTreeSet<(String, String, String)> = found(&scan(&layout))
        .into_iter()
        .map(|[_, name, version, id, _]| (name, version, id))
        .collect();
    assert!(!from_image.is_empty());
    assert_eq!(from_bom, from_image);
}
