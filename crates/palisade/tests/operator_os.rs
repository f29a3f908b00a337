//! `palisade operator` on workloads of non-Debian base images (the harness of `operator.rs`, in
//! `common/cluster.rs`): Deployments on the `alpine` (apk) and `alma9` (rpm, with a module
//! package) test images get VulnerabilityReports with the findings `palisade image` has, the
//! OS as Trivy Operator fills `report.os`, and SbomReports listing every OS package with its
//! `pkg:apk` / `pkg:rpm` purl.
//!
//! The database is the public advisory data of `../shared` when it is there, else the fixture
//! records of `common/os.rs` (both must give findings on both images). Needs the test images and
//! registries of `scripts/test.sh` (skips with a message without them).

#[path = "common/cluster.rs"]
mod cluster;
mod common;
#[path = "common/os.rs"]
mod os;

use cluster::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `(image, purl type, Trivy's OS family, OS version)`.
const WORKLOADS: [(&str, &str, &str, &str); 2] = [
    ("alpine", "apk", "alpine", "3.11.6"),
    ("alma9", "rpm", "alma", "9.2"),
];

/// `(name, version)` of every package `manifests/NAME.os.tsv` lists, or `None` without it.
fn manifest(images: &std::path::Path, name: &str) -> Option<BTreeSet<(String, String)>> {
    let key = name.to_uppercase().replace('-', "_");
    let path = std::env::var_os(format!("PALISADE_TEST_{key}_OS_TSV"))
        .map(PathBuf::from)
        .unwrap_or_else(|| images.join("manifests").join(format!("{name}.os.tsv")));
    let text = std::fs::read_to_string(&path).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[0].to_string(), f[1].to_string())
            })
            .collect(),
    )
}

/// The database of these tests: the public data when `../shared` is there, else the fixtures.
fn db() -> &'static Path {
    match os::shared_db() {
        Some(db) => db,
        None => {
            eprintln!(
                "NOTE: ../shared/data/advisories is missing: using the fixture records of common/os.rs"
            );
            os::os_fixture_db()
        }
    }
}

fn image_ref(name: &str) -> String {
    let registry = common::env("PALISADE_TEST_REGISTRY");
    format!("{registry}/palisade-test/{name}:latest")
}

/// Deploys one workload per image of `names`, runs the operator with `db`, and returns each
/// image's (VulnerabilityReport, SbomReport), after checking one scan Job ran per image.
fn run(names: &[&str], db: &Path) -> Vec<(Value, Value)> {
    let registry = common::env("PALISADE_TEST_REGISTRY");
    let c = Cluster::start(&[&registry]);
    for name in names {
        c.apply(&deployment(&format!("{name}-app"), &image_ref(name)));
    }
    let op = c.operator(db, &[]);
    let repo_of = |r: &Value| {
        r["report"]["artifact"]["repository"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let by_image = |kind: &str, name: &str| {
        let repo = format!("palisade-test/{name}");
        c.reports(kind, "apps")
            .into_iter()
            .find(|r| repo_of(r) == repo)
    };
    let mut out = Vec::new();
    for name in names {
        let report = wait(&format!("the {name} VulnerabilityReport"), 120, &op, || {
            by_image("VulnerabilityReport", name)
        });
        let sbom = wait(&format!("the {name} SbomReport"), 60, &op, || {
            by_image("SbomReport", name)
        });
        out.push((report, sbom));
    }
    assert_eq!(c.jobs_created(), names.len(), "one scan Job per image");
    out
}

/// The manifests of `names`, or `None` (after saying so) without the images.
fn manifests(names: &[&str]) -> Option<Vec<BTreeSet<(String, String)>>> {
    let images = common::images()?;
    let mut out = Vec::new();
    for name in names {
        let Some(m) = manifest(&images, name) else {
            assert!(
                std::env::var("PALISADE_TEST_REQUIRE_IMAGES").as_deref() != Ok("1"),
                "manifests/{name}.os.tsv is missing but images are required; run scripts/build-test-images.sh --os-only"
            );
            eprintln!("SKIPPED: no {name} image; run scripts/build-test-images.sh --os-only");
            return None;
        };
        out.push(m);
    }
    Some(out)
}

#[test]
fn apk_and_rpm_images_reach_both_reports() {
    let names: Vec<&str> = WORKLOADS.iter().map(|w| w.0).collect();
    let Some(manifests) = manifests(&names) else {
        return;
    };
    let db = db();
    let reports = run(&names, db);
    for (((name, purl_type, family, version), packages), (report, sbom)) in
        WORKLOADS.iter().zip(&manifests).zip(&reports)
    {
        // The OS as the anchor fills it.
        let os = &report["report"]["os"];
        assert_eq!(os["family"], *family, "{name}: {os}");
        assert_eq!(os["name"], *version, "{name}: {os}");

        // The findings are the CLI's, on OS packages named by their purl.
        let found = report_findings(report);
        assert!(!found.is_empty(), "{name}: no findings in {report}");
        assert_eq!(found, cli_findings(db, &image_ref(name)), "{name}");
        for v in report["report"]["vulnerabilities"]
            .as_array()
            .expect("rows")
        {
            let resource = v["resource"].as_str().unwrap_or_default();
            let purl = v["packagePURL"].as_str().unwrap_or_default();
            assert!(
                purl.starts_with(&format!("pkg:{purl_type}/"))
                    && purl.contains(&format!("/{resource}@")),
                "{name}: {resource}: {purl}"
            );
            assert!(
                packages.contains(&(
                    resource.to_string(),
                    v["installedVersion"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                )),
                "{name}: {v} is not an installed package"
            );
        }
        if os::shared_advisories().is_none() {
            // The fixture facts for this image, exactly.
            let want: BTreeSet<Finding> = os::FIXTURE_EXPECTED
                .iter()
                .filter(|(i, ..)| i == name)
                .map(|(_, p, v, id, f)| {
                    (id.to_string(), p.to_string(), v.to_string(), f.to_string())
                })
                .collect();
            assert_eq!(found, want, "{name}");
        }

        // The SbomReport lists every OS package, with its purl type.
        let comps = sbom["report"]["components"]["components"]
            .as_array()
            .expect("components");
        let listed: BTreeSet<(String, String)> = comps
            .iter()
            .filter(|c| {
                c["purl"]
                    .as_str()
                    .is_some_and(|u| u.starts_with(&format!("pkg:{purl_type}/")))
            })
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or_default().to_string(),
                    c["version"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert_eq!(&listed, packages, "{name}: SbomReport components");
    }
}

/// Trivy Operator sets `report.os.eosl` for a release past its end of life: Alpine 3.11 ended
/// on 2021-11-01. (`palisade image` and `palisade sbom` say `EOSL: true` for the same image.)
#[test]
fn alpine_3_11_report_says_end_of_life() {
    let Some(_) = manifests(&["alpine"]) else {
        return;
    };
    let reports = run(&["alpine"], db());
    let os = &reports[0].0["report"]["os"];
    assert_eq!(os["family"], "alpine", "{os}");
    assert_eq!(os["eosl"], true, "{os}");
}
