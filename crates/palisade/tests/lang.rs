//! End-to-end checks of language packages on the `lang` test image (`scripts/build-test-images.sh`):
//! Python packages installed with pip and pinned in a requirements.txt, a Node.js project with its
//! lockfile, a static Go binary and a Cargo.lock. The scan must group them into results as Trivy
//! does, list every package the image build recorded (`manifests/lang.txt`, read from what pip, npm
//! and go produced), and find each advisory of a small OSV database written here in exactly the
//! results it belongs to; a CycloneDX BOM of the image, matched with `palisade sbom`, must give
//! the same findings.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const IMAGE: &str = "lang";

/// The images folder, the lang image's OCI layout and its package manifest, or `None` (after
/// saying so) when the tests run without images. Images built before the lang image existed lack
/// it: a skip, unless `scripts/test.sh` requires images.
fn lang_image() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let images = images()?;
    let layout = std::env::var_os("PALISADE_TEST_LANG_OCI")
        .map(PathBuf::from)
        .unwrap_or_else(|| images.join("oci").join(IMAGE));
    let manifest = std::env::var_os("PALISADE_TEST_LANG_PACKAGES_TXT")
        .map(PathBuf::from)
        .unwrap_or_else(|| images.join("manifests").join("lang.txt"));
    if layout.join("index.json").is_file() && manifest.is_file() {
        return Some((images, layout, manifest));
    }
    assert!(
        std::env::var("PALISADE_TEST_REQUIRE_IMAGES").as_deref() != Ok("1"),
        "the lang image is missing in {} but images are required; run scripts/build-test-images.sh",
        images.display()
    );
    eprintln!(
        "SKIPPED: no lang image in {}; run scripts/build-test-images.sh (or scripts/test.sh)",
        images.display()
    );
    None
}

/// `(Type, File, Name, Version)` lines of `manifests/lang.txt`.
type Listed = BTreeSet<[String; 4]>;

fn manifest_lines(path: &Path) -> Listed {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "bad manifest line {l:?}");
            [f[0], f[1], f[2], f[3]].map(str::to_string)
        })
        .collect()
}

/// One OSV record: `id`, CVE alias, ecosystem, package, fixed version (introduced 0), CVSS vector.
fn osv(id: &str, cve: &str, ecosystem: &str, name: &str, fixed: &str, range: &str) -> Value {
    json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2025-01-01T00:00:00Z",
        "published": "2025-01-01T00:00:00Z",
        "aliases": [cve],
        "summary": format!("Test fixture for Palisade: {cve} in {ecosystem} package {name}"),
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": range, "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        }],
        "references": [{"type": "ADVISORY", "url": format!("https://osv.dev/vulnerability/{id}")}],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
    })
}

/// The advisories of these tests: one per ecosystem that must match, and controls that must not
/// (a fix at the installed version, and a record of another ecosystem named like a package).
fn records() -> Vec<Value> {
    vec![
        osv(
            "PLT-PYPI-1",
            "CVE-2021-31542",
            "PyPI",
            "django",
            "3.2.1",
            "ECOSYSTEM",
        ),
        osv(
            "PLT-NPM-1",
            "CVE-2020-8203",
            "npm",
            "lodash",
            "4.17.19",
            "SEMVER",
        ),
        osv(
            "PLT-GO-1",
            "CVE-2022-32149",
            "Go",
            "golang.org/x/text",
            "0.3.8",
            "SEMVER",
        ),
        osv(
            "PLT-GO-2",
            "CVE-2023-29400",
            "Go",
            "stdlib",
            "1.19.9",
            "SEMVER",
        ),
        osv(
            "PLT-CRATES-1",
            "CVE-2021-25900",
            "crates.io",
            "smallvec",
            "1.6.1",
            "SEMVER",
        ),
        // Controls: fixed in the installed version; other ecosystems' namesakes.
        osv(
            "PLT-PYPI-2",
            "CVE-2000-0001",
            "PyPI",
            "urllib3",
            "1.24.1",
            "ECOSYSTEM",
        ),
        osv(
            "PLT-NPM-2",
            "CVE-2000-0002",
            "npm",
            "smallvec",
            "9.9.9",
            "SEMVER",
        ),
        osv(
            "PLT-CRATES-2",
            "CVE-2000-0003",
            "crates.io",
            "lodash",
            "9.9.9",
            "SEMVER",
        ),
        osv(
            "PLT-PYPI-3",
            "CVE-2000-0004",
            "PyPI",
            "regex",
            "9999",
            "ECOSYSTEM",
        ),
    ]
}

/// A database of [`records`], built once per test binary with `palisade db build`.
fn lang_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let osv_dir = dir.path().join("osv");
        std::fs::create_dir(&osv_dir).unwrap();
        for r in records() {
            let file = osv_dir.join(format!("{}.json", r["id"].as_str().unwrap()));
            std::fs::write(file, serde_json::to_vec_pretty(&r).unwrap()).unwrap();
        }
        let path = dir.path().join("lang.db");
        let out = palisade(&[
            "db",
            "build",
            "--osv",
            osv_dir.to_str().unwrap(),
            "--db",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "db build failed: {}", stderr(&out));
        (dir, path)
    });
    path
}

fn layout_ref(layout: &Path) -> String {
    format!("oci:{}:latest", layout.display())
}

/// Runs `palisade image` on the lang layout in `format` (packages listed) and returns stdout.
fn image_doc(layout: &Path, format: &str) -> String {
    let db = lang_db().to_str().unwrap().to_string();
    let out = palisade(&[
        "image",
        "--quiet",
        "--db",
        &db,
        "--format",
        format,
        "--list-all-pkgs",
        &layout_ref(layout),
    ]);
    assert!(out.status.success(), "--format {format}: {}", stderr(&out));
    stdout(&out)
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).expect("output is JSON")
}

/// The language results (everything but the OS result).
fn lang_results(report: &Value) -> Vec<&Value> {
    report["Results"]
        .as_array()
        .expect("Results")
        .iter()
        .filter(|r| r["Class"] != "os-pkgs")
        .collect()
}

/// The results Trivy makes of a package type: one `Python` / `Node.js` result for installed
/// packages (each package naming its file), one result per lockfile or binary otherwise.
fn aggregate_target(kind: &str) -> Option<&'static str> {
    match kind {
        "python-pkg" => Some("Python"),
        "node-pkg" => Some("Node.js"),
        _ => None,
    }
}

/// `(Type, File, Name, Version)` of every listed language package, the file being the result's
/// target or, in `Python`/`Node.js`, the package's `FilePath`.
fn listed(report: &Value) -> Listed {
    let mut out = BTreeSet::new();
    for r in lang_results(report) {
        let kind = r["Type"].as_str().unwrap();
        for p in r["Packages"]
            .as_array()
            .expect("--list-all-pkgs lists packages")
        {
            let file = match aggregate_target(kind) {
                Some(_) => p["FilePath"]
                    .as_str()
                    .expect("aggregate results name files"),
                None => r["Target"].as_str().unwrap(),
            };
            out.insert([
                kind.to_string(),
                file.to_string(),
                p["Name"].as_str().unwrap().to_string(),
                p["Version"].as_str().unwrap().to_string(),
            ]);
        }
    }
    out
}

/// `(Target, Type, package, installed, id, fixed, PkgPath)` of every language finding.
type Found = BTreeSet<[String; 7]>;

fn found(report: &Value) -> Found {
    let mut out = BTreeSet::new();
    for r in lang_results(report) {
        for v in r["Vulnerabilities"].as_array().expect("Vulnerabilities") {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            out.insert([
                r["Target"].as_str().unwrap().to_string(),
                r["Type"].as_str().unwrap().to_string(),
                s("PkgName"),
                s("InstalledVersion"),
                s("VulnerabilityID"),
                s("FixedVersion"),
                s("PkgPath"),
            ]);
        }
    }
    out
}

/// What a correct scanner finds: each advisory in every result holding the affected package,
/// derived from the manifest (so a package the scan misses shows up as a missing finding too).
fn expected_findings(manifest: &Listed) -> Found {
    // (Type, package, installed, CVE, fixed)
    let facts = [
        ("python-pkg", "Django", "3.2", "CVE-2021-31542", "3.2.1"),
        ("pip", "Django", "3.2.0", "CVE-2021-31542", "3.2.1"),
        ("node-pkg", "lodash", "4.17.15", "CVE-2020-8203", "4.17.19"),
        ("npm", "lodash", "4.17.15", "CVE-2020-8203", "4.17.19"),
        (
            "gobinary",
            "golang.org/x/text",
            "v0.3.7",
            "CVE-2022-32149",
            "0.3.8",
        ),
        ("gobinary", "stdlib", "v1.19.8", "CVE-2023-29400", "1.19.9"),
        ("cargo", "smallvec", "1.6.0", "CVE-2021-25900", "1.6.1"),
    ];
    let mut out = BTreeSet::new();
    for (kind, name, version, cve, fixed) in facts {
        let rows: Vec<&[String; 4]> = manifest
            .iter()
            .filter(|[k, _, n, _]| k == kind && n == name)
            .collect();
        assert_eq!(rows.len(), 1, "the manifest lists {kind} {name} once");
        let [_, file, _, listed_version] = rows[0];
        // The Go fixture's toolchain decides the stdlib version: only then is the fact checked.
        if name == "stdlib" && listed_version != version {
            eprintln!("NOTE: the Go fixture was built with Go {listed_version}, not {version}");
            continue;
        }
        assert_eq!(listed_version, version, "{kind} {name}");
        let (target, pkg_path) = match aggregate_target(kind) {
            Some(t) => (t.to_string(), file.clone()),
            None => (file.clone(), String::new()),
        };
        out.insert([
            target,
            kind.to_string(),
            name.to_string(),
            version.to_string(),
            cve.to_string(),
            fixed.to_string(),
            pkg_path,
        ]);
    }
    out
}

#[test]
fn results_are_grouped_as_trivy_does_and_list_every_package() {
    let Some((images, layout, manifest_path)) = lang_image() else {
        return;
    };
    let report = json_of(&image_doc(&layout, "json"));
    let manifest = manifest_lines(&manifest_path);

    let groups: Vec<(String, String, String)> = report["Results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (s("Target"), s("Class"), s("Type"))
        })
        .collect();
    let os_target = format!(
        "{} (debian {})",
        layout_ref(&layout),
        report["Metadata"]["OS"]["Name"].as_str().unwrap()
    );
    let want: Vec<(String, String, String)> = [
        (os_target.as_str(), "os-pkgs", "debian"),
        ("Python", "lang-pkgs", "python-pkg"),
        ("opt/app/requirements.txt", "lang-pkgs", "pip"),
        ("Node.js", "lang-pkgs", "node-pkg"),
        ("opt/app/node/package-lock.json", "lang-pkgs", "npm"),
        ("usr/local/bin/gofixture", "lang-pkgs", "gobinary"),
        ("opt/app/rust/Cargo.lock", "lang-pkgs", "cargo"),
    ]
    .iter()
    .map(|(t, c, k)| (t.to_string(), c.to_string(), k.to_string()))
    .collect();
    assert_eq!(groups, want, "one result per application, in Trivy's order");

    // Every package the build recorded, each in its result and nothing else.
    let got = listed(&report);
    assert_eq!(
        got.difference(&manifest).collect::<Vec<_>>(),
        Vec::<&[String; 4]>::new(),
        "listed but not in manifests/lang.txt"
    );
    assert_eq!(
        manifest.difference(&got).collect::<Vec<_>>(),
        Vec::<&[String; 4]>::new(),
        "in manifests/lang.txt but not listed"
    );
    for kind in ["python-pkg", "pip", "node-pkg", "npm", "gobinary", "cargo"] {
        assert!(
            manifest.iter().any(|[k, ..]| k == kind),
            "the manifest has {kind} packages"
        );
    }

    // The OS packages are minbase's: the language layers add none.
    let os = &report["Results"][0];
    let dpkg = common::manifest(&images, IMAGE);
    let os_names: BTreeSet<(String, String)> = os["Packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["Name"].as_str().unwrap().to_string(),
                common::full_version(p, ""),
            )
        })
        .collect();
    let dpkg_names: BTreeSet<(String, String)> =
        dpkg.into_iter().map(|[n, v, _, _, _]| (n, v)).collect();
    assert_eq!(os_names, dpkg_names, "OS packages vs dpkg-query");
}

#[test]
fn each_advisory_is_found_in_the_results_it_belongs_to() {
    let Some((_, layout, manifest_path)) = lang_image() else {
        return;
    };
    let report = json_of(&image_doc(&layout, "json"));
    let want = expected_findings(&manifest_lines(&manifest_path));
    assert_eq!(found(&report), want);
    // The fixtures carry a CVSS vector: severity and score come from it, and the OSV id is kept
    // as an alias of the CVE.
    for r in lang_results(&report) {
        for v in r["Vulnerabilities"].as_array().unwrap() {
            assert_eq!(v["Severity"], "HIGH", "{v}");
            assert_eq!(v["CvssScore"], 7.5, "{v}");
            let aliases = v["Aliases"].as_array().unwrap();
            assert!(
                aliases
                    .iter()
                    .any(|a| a.as_str().unwrap().starts_with("PLT-")),
                "{v}"
            );
        }
    }
    // Nothing in the OS result: the fixtures are all language advisories.
    assert_eq!(report["Results"][0]["Vulnerabilities"], json!([]));
}

/// `(purl type, name, version)` of the BOM's library components, from their purls.
fn bom_purls(bom: &Value) -> BTreeSet<(String, String, String)> {
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .map(|c| {
            let purl = c["purl"].as_str().expect("every library has a purl");
            let rest = purl.strip_prefix("pkg:").expect("a purl");
            let (kind, _) = rest.split_once('/').unwrap();
            (
                kind.to_string(),
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn cyclonedx_then_sbom_gives_the_same_findings() {
    let Some((_, layout, manifest_path)) = lang_image() else {
        return;
    };
    let manifest = manifest_lines(&manifest_path);
    let text = image_doc(&layout, "cyclonedx");
    let bom = json_of(&text);
    assert_eq!(bom["bomFormat"], "CycloneDX");

    // Every language package is a component with a purl of its ecosystem's type.
    let purls = bom_purls(&bom);
    for [kind, _, name, version] in &manifest {
        let purl_type = match kind.as_str() {
            "python-pkg" | "pip" => "pypi",
            "node-pkg" | "npm" => "npm",
            "gobinary" => "golang",
            "cargo" => "cargo",
            other => panic!("unexpected type {other}"),
        };
        // purl names of PyPI and Go are the ecosystem's (PyPI lower-cases them); compare by
        // name as listed, case-insensitively.
        assert!(
            purls
                .iter()
                .any(|(t, n, v)| t == purl_type && n.eq_ignore_ascii_case(name) && v == version),
            "no pkg:{purl_type} component for {kind} {name} {version}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lang.cdx.json");
    std::fs::write(&file, &text).unwrap();
    let db = lang_db().to_str().unwrap();
    let out = palisade(&[
        "sbom",
        "--quiet",
        "--db",
        db,
        "--format",
        "json",
        "--list-all-pkgs",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let from_sbom = json_of(&stdout(&out));
    let report = json_of(&image_doc(&layout, "json"));
    let want = expected_findings(&manifest);
    assert_eq!(found(&report), want, "image");
    assert_eq!(found(&from_sbom), want, "sbom");
    assert_eq!(listed(&from_sbom), listed(&report), "packages");
}
