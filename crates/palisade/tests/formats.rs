//! End-to-end checks of the document formats (`--format cyclonedx|spdx-json|sarif`) and of
//! `palisade sbom`, on the `aged` test image (which has findings against the OSV fixtures):
//! the BOM lists exactly what dpkg-query listed when the image was built, matching the BOM gives
//! exactly the image scan's findings, and Trivy (when installed) lists the same packages.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const IMAGE: &str = "aged";

fn layout(images: &Path) -> String {
    format!("oci:{}:latest", images.join("oci").join(IMAGE).display())
}

/// Runs `palisade image` on the aged layout in `format` and returns stdout.
fn image_doc(images: &Path, format: &str) -> String {
    let db = fixture_db().to_str().unwrap().to_string();
    let out = palisade(&[
        "image",
        "--quiet",
        "--db",
        &db,
        "--format",
        format,
        &layout(images),
    ]);
    assert!(out.status.success(), "--format {format}: {}", stderr(&out));
    stdout(&out)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("output is JSON")
}

fn vulnerabilities(report: &Value) -> Vec<Value> {
    report["Results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["Vulnerabilities"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn prop<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)?["value"]
        .as_str()
}

/// Percent-decoding of the few purl parts these tests read.
fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// `(name, version with epoch, arch)` from a `pkg:deb` purl, parsed independently of the
/// library's purl code.
fn deb_purl(purl: &str) -> (String, String, String) {
    let rest = purl.strip_prefix("pkg:deb/").expect("a deb purl");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (path, version) = path.split_once('@').expect("a version");
    let name = decode(path.rsplit('/').next().unwrap());
    let mut version = decode(version);
    let mut arch = String::new();
    for q in query.split('&').filter(|q| !q.is_empty()) {
        let (k, v) = q.split_once('=').unwrap();
        match k {
            "arch" => arch = decode(v),
            "epoch" => version = format!("{}:{version}", decode(v)),
            _ => {}
        }
    }
    (name, version, arch)
}

/// `(name, version)` of the `library` components with `pkg:deb` purls.
fn bom_packages(bom: &Value) -> BTreeSet<(String, String)> {
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:deb/"))
        })
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn write_temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn cyclonedx_lists_exactly_the_dpkg_packages() {
    let Some(images) = images() else { return };
    let text = image_doc(&images, "cyclonedx");
    let bom = json(&text);
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    let comps = bom["components"].as_array().unwrap();
    let os: Vec<&Value> = comps
        .iter()
        .filter(|c| c["type"] == "operating-system")
        .collect();
    assert_eq!(os.len(), 1);
    assert_eq!(os[0]["name"], "debian");
    assert!(os[0]["version"].as_str().unwrap().starts_with("12"));
    let image = &bom["metadata"]["component"];
    assert_eq!(image["type"], "container");
    assert!(image["version"].as_str().unwrap().starts_with("sha256:"));

    let mut got = BTreeSet::new();
    for c in comps.iter().filter(|c| c["type"] == "library") {
        let purl = c["purl"].as_str().unwrap();
        assert_eq!(c["bom-ref"].as_str(), Some(purl));
        let (name, version, arch) = deb_purl(purl);
        assert_eq!(c["name"].as_str(), Some(name.as_str()), "{purl}");
        assert_eq!(c["version"].as_str(), Some(version.as_str()), "{purl}");
        assert!(
            purl.contains(&format!(
                "distro=debian-{}",
                os[0]["version"].as_str().unwrap()
            )),
            "{purl}"
        );
        got.insert([
            name,
            version,
            arch,
            prop(c, "palisade:SrcName").unwrap().to_string(),
            prop(c, "palisade:SrcVersion").unwrap().to_string(),
        ]);
        assert_eq!(
            prop(c, "aquasecurity:trivy:SrcName"),
            prop(c, "palisade:SrcName")
        );
    }
    assert_eq!(got, manifest(&images, IMAGE), "BOM packages vs dpkg-query");
    assert_eq!(
        comps.len(),
        got.len() + 1,
        "one component per package plus the OS"
    );
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    assert!(!vulns.is_empty(), "the aged image has findings");

    // Scanning again gives the same BOM, timestamp aside.
    let again = json(&image_doc(&images, "cyclonedx"));
    let strip = |mut v: Value| {
        v["metadata"]["timestamp"] = Value::Null;
        v
    };
    assert_eq!(strip(bom), strip(again));
}

#[test]
fn sbom_gives_the_same_findings_as_the_image() {
    let Some(images) = images() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bom = write_temp(
        dir.path(),
        "aged.cdx.json",
        &image_doc(&images, "cyclonedx"),
    );
    let report = json(&image_doc(&images, "json"));
    let db = fixture_db().to_str().unwrap();
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
    let from_sbom = json(&stdout(&out));
    let want = vulnerabilities(&report);
    assert!(!want.is_empty());
    assert_eq!(vulnerabilities(&from_sbom), want);
    assert_eq!(from_sbom["ArtifactType"], "cyclonedx");
    assert_eq!(from_sbom["Metadata"]["OS"], report["Metadata"]["OS"]);
    assert_eq!(
        from_sbom["Metadata"]["ImageID"],
        report["Metadata"]["ImageID"]
    );

    // Filters and the exit code work as for `image`.
    let out = palisade(&[
        "sbom",
        "--quiet",
        "--db",
        db,
        "--format",
        "json",
        "--severity",
        "CRITICAL",
        "--exit-code",
        "3",
        bom.to_str().unwrap(),
    ]);
    let critical: Vec<Value> = want
        .iter()
        .filter(|v| v["Severity"] == "CRITICAL")
        .cloned()
        .collect();
    assert_eq!(
        out.status.code(),
        Some(if critical.is_empty() { 0 } else { 3 })
    );
    assert_eq!(vulnerabilities(&json(&stdout(&out))), critical);

    // The BOM round-trips through `sbom --format cyclonedx` with the same packages.
    let out = palisade(&[
        "sbom",
        "--quiet",
        "--db",
        db,
        "--format",
        "cyclonedx",
        bom.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let original: Value = serde_json::from_slice(&std::fs::read(&bom).unwrap()).unwrap();
    let again = json(&stdout(&out));
    assert_eq!(bom_packages(&again), bom_packages(&original));
    assert_eq!(again["vulnerabilities"], original["vulnerabilities"]);
}

#[test]
fn sarif_has_one_result_per_finding() {
    let Some(images) = images() else { return };
    let report = json(&image_doc(&images, "json"));
    let want = vulnerabilities(&report);
    let sarif = json(&image_doc(&images, "sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "palisade");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), want.len());
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: BTreeSet<&str> = want
        .iter()
        .map(|v| v["VulnerabilityID"].as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), ids.len(), "one rule per vulnerability id");
    for (r, v) in results.iter().zip(&want) {
        assert_eq!(r["ruleId"], v["VulnerabilityID"]);
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        let level = match v["Severity"].as_str().unwrap() {
            "CRITICAL" | "HIGH" => "error",
            "MEDIUM" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        let text = r["message"]["text"].as_str().unwrap();
        assert!(text.contains(v["PkgName"].as_str().unwrap()), "{text}");
        assert!(
            text.contains(v["InstalledVersion"].as_str().unwrap()),
            "{text}"
        );
        if let Some(fixed) = v["FixedVersion"].as_str() {
            assert!(text.contains(fixed), "{text}");
        }
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "var/lib/dpkg/status"
        );
        if let Some(score) = v["CvssScore"].as_f64() {
            assert_eq!(
                rule["properties"]["security-severity"].as_str(),
                Some(format!("{score:.1}").as_str())
            );
        }
    }
}

#[test]
fn spdx_has_the_image_the_os_and_every_package() {
    let Some(images) = images() else { return };
    let doc = json(&image_doc(&images, "spdx-json"));
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    let creators = doc["creationInfo"]["creators"].as_array().unwrap();
    assert!(creators[0].as_str().unwrap().starts_with("Tool: palisade-"));
    let want = manifest(&images, IMAGE);
    let pkgs = doc["packages"].as_array().unwrap();
    assert_eq!(pkgs.len(), want.len() + 2, "packages + image + OS");
    let mut ids = BTreeSet::new();
    let mut got = BTreeSet::new();
    for p in pkgs {
        let id = p["SPDXID"].as_str().unwrap();
        let rest = id.strip_prefix("SPDXRef-").unwrap();
        assert!(
            rest.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id}"
        );
        assert!(ids.insert(id), "duplicate {id}");
        if p["primaryPackagePurpose"] == "LIBRARY" {
            let purl = p["externalRefs"][0]["referenceLocator"].as_str().unwrap();
            assert_eq!(p["externalRefs"][0]["referenceType"], "purl");
            assert_eq!(p["downloadLocation"], "NONE");
            let (name, version, arch) = deb_purl(purl);
            assert_eq!(p["versionInfo"].as_str(), Some(version.as_str()));
            got.insert((name, version, arch));
        }
    }
    let want: BTreeSet<(String, String, String)> =
        want.into_iter().map(|[n, v, a, _, _]| (n, v, a)).collect();
    assert_eq!(got, want);
    let rels = doc["relationships"].as_array().unwrap();
    assert!(rels.iter().any(|r| r["relationshipType"] == "DESCRIBES"));
    let contains = rels
        .iter()
        .filter(|r| r["relationshipType"] == "CONTAINS")
        .count();
    assert_eq!(contains, want.len() + 1, "image ⊃ OS ⊃ each package");
}

/// Trivy, when `../shared/scripts/install-peers.sh` installed it (or `PALISADE_TEST_TRIVY`).
fn trivy() -> Option<PathBuf> {
    let p = std::env::var_os("PALISADE_TEST_TRIVY")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.work/peers/bin/trivy")
        });
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: Trivy is not installed at {}", p.display());
        None
    }
}

fn trivy_bom(trivy: &Path, input: &Path, cache: &Path) -> String {
    let out = std::process::Command::new(trivy)
        .args(["image", "--input"])
        .arg(input)
        .args(["--format", "cyclonedx", "--cache-dir"])
        .arg(cache)
        .args([
            "--skip-db-update",
            "--skip-java-db-update",
            "--offline-scan",
            "--disable-telemetry",
            "--quiet",
        ])
        .output()
        .expect("running trivy");
    assert!(
        out.status.success(),
        "trivy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn trivy_lists_the_same_packages_and_its_bom_gives_the_same_findings() {
    let Some(images) = images() else { return };
    let Some(trivy) = trivy() else { return };
    let cache = tempfile::tempdir().unwrap();
    let theirs = trivy_bom(&trivy, &images.join("oci").join(IMAGE), cache.path());
    let theirs_v = json(&theirs);
    let ours = json(&image_doc(&images, "cyclonedx"));
    let pkgs = bom_packages(&ours);
    assert!(!pkgs.is_empty());
    assert_eq!(
        bom_packages(&theirs_v),
        pkgs,
        "Trivy vs Palisade package lists"
    );
    // Same purls too, apart from the distro qualifier's spelling of the release.
    let purls = |bom: &Value| -> BTreeSet<(String, String, String)> {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str())
            .filter(|p| p.starts_with("pkg:deb/"))
            .map(deb_purl)
            .collect()
    };
    assert_eq!(purls(&theirs_v), purls(&ours));

    // `palisade sbom` reads Trivy's BOM (source versions split into Trivy's properties) and
    // finds what the image scan finds.
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(dir.path(), "trivy.cdx.json", &theirs);
    let db = fixture_db().to_str().unwrap();
    let out = palisade(&[
        "sbom",
        "--quiet",
        "--db",
        db,
        "--format",
        "json",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&image_doc(&images, "json"));
    assert_eq!(
        vulnerabilities(&json(&stdout(&out))),
        vulnerabilities(&report)
    );
}

/// Runs `palisade sbom` on a file that must be rejected and returns stderr.
fn sbom_error(file: &Path) -> String {
    let db = fixture_db().to_str().unwrap();
    let out = palisade(&["sbom", "--db", db, file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(file.to_str().unwrap()),
        "names the file: {err}"
    );
    err
}

#[test]
fn sbom_rejects_bad_input_naming_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = sbom_error(&write_temp(d, "notjson.json", "this is not json"));
    assert!(err.contains("not valid JSON"), "{err}");
    let err = sbom_error(&write_temp(
        d,
        "spdx.json",
        r#"{"spdxVersion":"SPDX-3.0","SPDXID":"SPDXRef-DOCUMENT"}"#,
    ));
    assert!(
        err.contains("SPDX-3.0") && err.contains("SPDX 2.x"),
        "{err}"
    );
    let err = sbom_error(&write_temp(d, "other.json", r#"{"hello":"world"}"#));
    assert!(err.contains("not a CycloneDX BOM"), "{err}");
    let err = sbom_error(&write_temp(
        d,
        "badpurl.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
            {"type":"library","name":"libc6","purl":"pkg:deb/debian/libc6@2.36-9%ZZ?arch=amd64"}]}"#,
    ));
    assert!(
        err.contains("malformed purl") && err.contains("libc6"),
        "{err}"
    );
    let err = sbom_error(&d.join("missing.json"));
    assert!(err.contains("opening SBOM"), "{err}");
    // A sparse 257 MiB file: refused by size before anything is read.
    let huge = d.join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(257 * 1024 * 1024)
        .unwrap();
    let err = sbom_error(&huge);
    assert!(err.contains("256 MiB limit"), "{err}");
}

#[test]
fn sbom_without_os_or_packages_reports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(
        dir.path(),
        "empty.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
            {"type":"library","name":"plug","purl":"pkg:hex/plug@1.3.0"}]}"#,
    );
    let db = fixture_db().to_str().unwrap();
    let out = palisade(&[
        "sbom",
        "--db",
        db,
        "--format",
        "json",
        "--exit-code",
        "5",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&stdout(&out));
    assert_eq!(report["Results"], Value::Array(vec![]));
    let err = stderr(&out);
    assert!(err.contains("no supported operating system"), "{err}");
    assert!(err.contains("were not matched"), "{err}");
}
