//! OS packages of non-Debian base images, end to end through the `palisade` binary: the five
//! OS-package images of `scripts/build-test-images.sh --os-only` (Alpine 3.11 with an apk
//! installed db, AlmaLinux 9 and 8 with sqlite and BerkeleyDB rpm databases, openSUSE Leap 15.5
//! with an ndb one, Ubuntu 22.04 with dpkg). Each must list exactly the packages the real tools
//! recorded when the image was built (`manifests/NAME.os.tsv`), under Trivy's OS family, from the
//! OCI layout and the archives alike; a CycloneDX BOM of the image must give the same findings
//! through `palisade sbom`.
//!
//! With `../shared` beside the project, the findings are checked against facts of the public
//! advisory data (Alpine secdb, AlmaLinux OSV, Ubuntu OSV), read from the zips at run time;
//! without it those tests say `SKIPPED` (and fail under `PALISADE_TEST_REQUIRE_SHARED=1`), and
//! the rest use the small database of `common/os.rs`.

mod common;
#[path = "common/os.rs"]
mod os;

use common::*;
use os::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// `(image, Trivy's OS family, OS version)`, as the build script's header describes the images.
const OS_IMAGES: [(&str, &str, &str); 5] = [
    ("alpine", "alpine", "3.11.6"),
    ("alma9", "alma", "9.2"),
    ("alma8-bdb", "alma", "8.8"),
    ("suse-ndb", "opensuse-leap", "15.5"),
    ("ubuntu", "ubuntu", "22.04"),
];

struct OsImage {
    name: &'static str,
    layout: PathBuf,
    docker_archive: PathBuf,
    oci_archive: PathBuf,
    tsv: PathBuf,
}

impl OsImage {
    fn oci_ref(&self) -> String {
        format!("oci:{}:latest", self.layout.display())
    }

    /// The same image from its three sources.
    fn refs(&self) -> [String; 3] {
        [
            self.oci_ref(),
            format!("docker-archive:{}", self.docker_archive.display()),
            format!("oci-archive:{}", self.oci_archive.display()),
        ]
    }

    fn family(&self) -> &'static str {
        OS_IMAGES
            .iter()
            .find(|(n, ..)| *n == self.name)
            .map(|(_, f, _)| *f)
            .expect("known image")
    }
}

/// An OS-package image, or `None` (after saying so) without test images. Images built before
/// the OS-package images existed lack them: a skip, unless `scripts/test.sh` requires images.
fn os_image(name: &'static str) -> Option<OsImage> {
    let images = images()?;
    let key = name.to_uppercase().replace('-', "_");
    let var = |suffix: &str, default: PathBuf| {
        std::env::var_os(format!("PALISADE_TEST_{key}_{suffix}"))
            .map(PathBuf::from)
            .unwrap_or(default)
    };
    let img = OsImage {
        name,
        layout: var("OCI", images.join("oci").join(name)),
        docker_archive: var(
            "DOCKER_ARCHIVE",
            images.join("docker").join(format!("{name}.tar")),
        ),
        oci_archive: var(
            "OCI_ARCHIVE",
            images.join("oci-archive").join(format!("{name}.tar")),
        ),
        tsv: var(
            "OS_TSV",
            images.join("manifests").join(format!("{name}.os.tsv")),
        ),
    };
    if img.layout.join("index.json").is_file() && img.tsv.is_file() {
        return Some(img);
    }
    assert!(
        std::env::var("PALISADE_TEST_REQUIRE_IMAGES").as_deref() != Ok("1"),
        "the {name} image is missing in {} but images are required; run scripts/build-test-images.sh --os-only",
        images.display()
    );
    eprintln!(
        "SKIPPED: no {name} image in {}; run scripts/build-test-images.sh --os-only (or scripts/test.sh)",
        images.display()
    );
    None
}

/// `(Name, Version, Arch, SrcName, SrcVersion)` the report must list, from the manifest the
/// real tools wrote. An rpm's SOURCERPM carries no epoch; Trivy gives the source the binary
/// package's epoch (`SrcEpoch: pkg.Epoch`, "use epoch of binary package as epoch of src
/// package" in its rpm analyzer), so the expected source version does too.
fn expected_packages(img: &OsImage) -> BTreeSet<[String; 5]> {
    let text =
        std::fs::read_to_string(&img.tsv).unwrap_or_else(|e| panic!("{}: {e}", img.tsv.display()));
    let rpm = matches!(img.family(), "alma" | "opensuse-leap");
    let rows: BTreeSet<[String; 5]> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "bad manifest line {l:?}");
            let mut row = [f[0], f[1], f[2], f[3], f[4]].map(str::to_string);
            if rpm && let Some((epoch, _)) = f[1].split_once(':') {
                row[4] = format!("{epoch}:{}", f[4]);
            }
            row
        })
        .collect();
    assert!(!rows.is_empty(), "{} lists no packages", img.tsv.display());
    rows
}

/// `palisade image --format json --list-all-pkgs` of `image` with `db` (and `extra` flags).
fn scan(db: &Path, image: &str, extra: &[&str]) -> Value {
    scan_json(db, image, extra, &[])
}

/// The only result of an OS-package image, checked to be the OS's.
fn os_result<'a>(report: &'a Value, family: &str, version: &str) -> &'a Value {
    let results = report["Results"].as_array().expect("Results");
    assert_eq!(results.len(), 1, "one result, the OS's: {report}");
    let r = &results[0];
    assert_eq!(r["Class"], "os-pkgs", "{r}");
    assert_eq!(r["Type"], family, "{r}");
    let target = r["Target"].as_str().expect("Target");
    assert!(
        target.ends_with(&format!(" ({family} {version})")),
        "target {target:?}"
    );
    r
}

/// `(package, installed, id, fixed)` of every finding (fixed empty when there is none).
type Row = (String, String, String, String);

fn rows(report: &Value) -> BTreeSet<Row> {
    findings(report)
        .into_iter()
        .map(|(p, i, id, f)| (p, i, id, f.unwrap_or_default()))
        .collect()
}

/// Every finding's JSON object.
fn vulns(report: &Value) -> Vec<&Value> {
    report["Results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["Vulnerabilities"].as_array().into_iter().flatten())
        .collect()
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

#[test]
fn each_os_image_lists_what_its_package_tools_recorded() {
    let mut seen = 0;
    for (name, family, version) in OS_IMAGES {
        let Some(img) = os_image(name) else { continue };
        let want = expected_packages(&img);
        for image in img.refs() {
            let report = scan(os_fixture_db(), &image, &[]);
            let os = &report["Metadata"]["OS"];
            assert_eq!(os["Family"], family, "{image}: {os}");
            assert_eq!(os["Name"], version, "{image}: {os}");
            let r = os_result(&report, family, version);
            let got = packages(&report);
            assert_eq!(
                got.difference(&want).collect::<Vec<_>>(),
                Vec::<&[String; 5]>::new(),
                "{image}: listed but not in {}",
                img.tsv.display()
            );
            assert_eq!(
                want.difference(&got).collect::<Vec<_>>(),
                Vec::<&[String; 5]>::new(),
                "{image}: in {} but not listed",
                img.tsv.display()
            );
            assert_eq!(
                r["Packages"].as_array().map(Vec::len),
                Some(want.len()),
                "{image}: each package once"
            );
        }
        seen += 1;
    }
    if seen > 0 {
        assert_eq!(seen, OS_IMAGES.len(), "all or none of the OS images");
    }
}

/// Alpine 3.11 reached its end of life on 2021-11-01 (alpinelinux.org/releases): the report
/// says so, as Trivy's `Metadata.OS.EOSL`.
#[test]
fn alpine_3_11_is_reported_end_of_life() {
    let Some(img) = os_image("alpine") else {
        return;
    };
    let report = scan(os_fixture_db(), &img.oci_ref(), &[]);
    assert_eq!(
        report["Metadata"]["OS"]["EOSL"], true,
        "{}",
        report["Metadata"]
    );
}

/// The fixture database's facts (`common/os.rs`) must be found through the apk origin, the rpm
/// epoch and modularity label and the upgraded apk layer, and nothing else: not the upgraded
/// sqlite, not the nodejs:20 stream, not nginx's module stream on the package without one.
#[test]
fn fixture_advisories_match_by_origin_epoch_module_and_layer() {
    let mut got: BTreeSet<(String, String, String, String, String)> = BTreeSet::new();
    for name in ["alpine", "alma9"] {
        let Some(img) = os_image(name) else { return };
        let report = scan(os_fixture_db(), &img.oci_ref(), &[]);
        for v in vulns(&report) {
            // Reported under the CVE, the fixture's id kept as an alias.
            let aliases: Vec<&str> = v["Aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            assert!(aliases.iter().any(|a| a.starts_with("PLT-")), "{v}");
            got.insert((
                name.to_string(),
                s(v, "PkgName"),
                s(v, "InstalledVersion"),
                s(v, "VulnerabilityID"),
                s(v, "FixedVersion"),
            ));
        }
    }
    let want: BTreeSet<_> = FIXTURE_EXPECTED
        .iter()
        .map(|(i, p, v, id, f)| {
            (
                i.to_string(),
                p.to_string(),
                v.to_string(),
                id.to_string(),
                f.to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

/// `(purl type, name, version, epoch qualifier, modularity label)` of the BOM's libraries.
fn bom_libraries(
    bom: &Value,
) -> BTreeMap<String, (String, String, Option<String>, Option<String>)> {
    let mut out = BTreeMap::new();
    for c in bom["components"].as_array().expect("components") {
        if c["type"] != "library" {
            continue;
        }
        let purl = c["purl"].as_str().expect("every library has a purl");
        let kind = purl
            .strip_prefix("pkg:")
            .and_then(|p| p.split_once('/'))
            .map(|(k, _)| k.to_string())
            .expect("a purl");
        let epoch = purl
            .split_once('?')
            .into_iter()
            .flat_map(|(_, q)| q.split('&'))
            .find_map(|kv| kv.strip_prefix("epoch="))
            .map(str::to_string);
        let label = c["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "aquasecurity:trivy:Modularitylabel")
            .and_then(|p| p["value"].as_str())
            .map(str::to_string);
        let name = c["name"].as_str().expect("name").to_string();
        let version = c["version"].as_str().expect("version").to_string();
        assert!(
            out.insert(name.clone(), (kind, version, epoch, label))
                .is_none(),
            "{name} twice"
        );
    }
    out
}

/// `palisade image --format cyclonedx`, then `palisade sbom` on that BOM: the same OS, packages
/// and findings as `palisade image` with the same database. rpm purls carry the epoch as a
/// qualifier and the module package its modularity label, without which the module advisories
/// would not match the same way.
#[test]
fn cyclonedx_then_sbom_keeps_os_packages_and_findings() {
    let db = any_db();
    for (name, purl_type) in [("alma9", "rpm"), ("alpine", "apk")] {
        let Some(img) = os_image(name) else { return };
        let db_arg = db.to_str().unwrap();
        let out = palisade(&[
            "image",
            "--quiet",
            "--db",
            db_arg,
            "--format",
            "cyclonedx",
            &img.oci_ref(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let bom: Value = serde_json::from_slice(&out.stdout).expect("BOM is JSON");
        let libs = bom_libraries(&bom);
        let want = expected_packages(&img);
        assert_eq!(libs.len(), want.len(), "{name}: one component per package");
        for [pkg, version, ..] in &want {
            let (kind, v, epoch, _) = libs
                .get(pkg)
                .unwrap_or_else(|| panic!("{name}: no component for {pkg}"));
            assert_eq!(kind, purl_type, "{name} {pkg}");
            assert_eq!(v, version, "{name} {pkg}");
            let want_epoch = version
                .split_once(':')
                .filter(|_| purl_type == "rpm")
                .map(|(e, _)| e.to_string());
            assert_eq!(epoch, &want_epoch, "{name} {pkg}: epoch qualifier");
        }
        if name == "alma9" {
            // The module package (the build script's nodejs:18) and only it has a label.
            let labelled: Vec<(&String, &String)> = libs
                .iter()
                .filter_map(|(n, (_, _, _, l))| l.as_ref().map(|l| (n, l)))
                .collect();
            assert_eq!(labelled.len(), 1, "{labelled:?}");
            assert_eq!(labelled[0].0, "nodejs");
            assert!(labelled[0].1.starts_with("nodejs:18:"), "{labelled:?}");
        }

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("{name}.cdx.json"));
        std::fs::write(&file, &out.stdout).unwrap();
        let out = palisade(&[
            "sbom",
            "--quiet",
            "--db",
            db_arg,
            "--format",
            "json",
            "--list-all-pkgs",
            file.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let from_sbom: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let from_image = scan(db, &img.oci_ref(), &[]);
        for k in ["Family", "Name"] {
            assert_eq!(
                from_sbom["Metadata"]["OS"][k], from_image["Metadata"]["OS"][k],
                "{name} OS {k}"
            );
        }
        assert_eq!(packages(&from_sbom), packages(&from_image), "{name}");
        let found = rows(&from_image);
        assert!(
            !found.is_empty(),
            "{name}: the database has findings for it"
        );
        assert_eq!(rows(&from_sbom), found, "{name}: sbom vs image");
        if name == "alma9" {
            assert!(
                found
                    .iter()
                    .any(|(p, _, _, f)| p == "nodejs" && f.contains(".module_el")),
                "a module advisory matched through the BOM's label: {found:?}"
            );
        }
    }
}

// ------------------------------------------------------------------ the public advisory data

/// The shared database and the image, or `None` after saying what is skipped.
fn with_shared(name: &'static str) -> Option<(&'static Path, PathBuf, OsImage)> {
    let Some(src) = shared_advisories() else {
        eprintln!(
            "SKIPPED: ../shared/data/advisories ({SHARED_ZIPS:?}) is missing; these checks need the public advisory data beside the project"
        );
        return None;
    };
    let img = os_image(name)?;
    Some((shared_db().expect("shared db"), src, img))
}

/// The records of `zip` (OSV JSON, one per file).
fn zip_records(zip: &Path) -> Vec<Value> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).expect("zip")).expect("zip");
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).expect("entry");
        if !f.name().is_ok_and(|n| n.ends_with(".json")) {
            continue;
        }
        let mut text = String::new();
        f.read_to_string(&mut text).expect("read");
        out.push(serde_json::from_str(&text).expect("record is JSON"));
    }
    out
}

/// `(package name, fixed version or None, record)` of every affected entry in `ecosystem`.
fn entries<'a>(records: &'a [Value], ecosystem: &str) -> Vec<(String, Option<String>, &'a Value)> {
    let mut out = Vec::new();
    for r in records {
        for a in r["affected"].as_array().into_iter().flatten() {
            if a["package"]["ecosystem"] != ecosystem {
                continue;
            }
            let fixed = a["ranges"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["events"].as_array().into_iter().flatten())
                .find_map(|e| e["fixed"].as_str())
                .map(str::to_string);
            let name = a["package"]["name"].as_str().expect("name").to_string();
            out.push((name, fixed, r));
        }
    }
    out
}

/// Alpine: advisories are keyed by origin (aports) name, so both binaries of openssl get
/// CVE-2019-1551 (fixed in 1.1.1d-r3), reported under the CVE, not the secdb record's id; the
/// sqlite fix 3.30.1-r1 the image's second layer installed leaves no finding.
#[test]
fn alpine_findings_follow_origin_and_layers() {
    let Some((db, src, img)) = with_shared("alpine") else {
        return;
    };
    let records = zip_records(&src.join("alpine-secdb.zip"));
    let v311 = entries(&records, "Alpine:v3.11");
    let fixed_in = |name: &str, id: &str| {
        v311.iter()
            .find(|(n, _, r)| n == name && r["id"].as_str().is_some_and(|i| i.ends_with(id)))
            .and_then(|(_, f, _)| f.clone())
    };
    assert_eq!(
        fixed_in("openssl", "CVE-2019-1551").as_deref(),
        Some("1.1.1d-r3"),
        "the data's fact"
    );
    assert_eq!(
        fixed_in("sqlite", "CVE-2019-19242").as_deref(),
        Some("3.30.1-r1"),
        "the data's fact"
    );

    let report = scan(db, &img.oci_ref(), &[]);
    assert_eq!(report["Metadata"]["OS"]["EOSL"], true);
    let found = rows(&report);
    for pkg in ["libssl1.1", "libcrypto1.1"] {
        let row = (
            pkg.to_string(),
            "1.1.1d-r2".to_string(),
            "CVE-2019-1551".to_string(),
            "1.1.1d-r3".to_string(),
        );
        assert!(found.contains(&row), "{row:?} in {found:?}");
    }
    assert!(
        !found.iter().any(|(p, ..)| p == "sqlite-libs"),
        "sqlite-libs is at the fixed 3.30.1-r1: {found:?}"
    );
    for (p, _, id, _) in &found {
        assert!(
            id.starts_with("CVE-"),
            "{p}: {id} is not reported as its CVE"
        );
    }
    // Every finding's package is installed, keyed by an origin the data names.
    let pkgs = expected_packages(&img);
    for (p, installed, id, fixed) in &found {
        let [_, _, _, origin, _] = pkgs
            .iter()
            .find(|[n, v, ..]| n == p && v == installed)
            .unwrap_or_else(|| panic!("{p} {installed} is not installed"));
        assert!(
            v311.iter().any(|(n, f, r)| n == origin
                && f.as_deref() == Some(fixed.as_str())
                && r["id"].as_str().is_some_and(|i| i.ends_with(id.as_str()))),
            "{p} ({origin}) {id} fixed {fixed} is not in the data"
        );
    }
}

/// The modularity of each installed package as the image build made it: the module package's
/// release carries `.module_el`.
fn is_module_build(version: &str) -> bool {
    version.contains(".module_el")
}

/// AlmaLinux: a module package (nodejs:18) gets only its stream's module advisories and a
/// package without a module only advisories without one, although the data has both kinds for
/// the same names (nodejs, nginx).
#[test]
fn alma_modular_and_plain_advisories_do_not_mix() {
    let Some(src) = shared_advisories() else {
        eprintln!("SKIPPED: ../shared/data/advisories is missing; the AlmaLinux checks need it");
        return;
    };
    let records = zip_records(&src.join("almalinux.zip"));
    for (name, ecosystem) in [("alma9", "AlmaLinux:9"), ("alma8-bdb", "AlmaLinux:8")] {
        let Some((db, _, img)) = with_shared(name) else {
            return;
        };
        let data = entries(&records, ecosystem);
        let has = |pkg: &str, module: bool| {
            data.iter().any(|(n, f, _)| {
                n == pkg && f.as_deref().is_some_and(|f| is_module_build(f) == module)
            })
        };
        // The data has module fixes of other nodejs streams than the image's 18, and on
        // AlmaLinux 9 fixes of both kinds for nodejs and for nginx (installed without a module).
        assert!(
            data.iter().any(|(n, f, _)| n == "nodejs"
                && f.as_deref().is_some_and(|f| is_module_build(f)
                    && !f.split_once(':').map_or(f, |(_, v)| v).starts_with("18."))),
            "{ecosystem}: other streams"
        );
        if name == "alma9" {
            assert!(has("nodejs", true) && has("nodejs", false), "{ecosystem}");
            assert!(has("nginx", true) && has("nginx", false), "{ecosystem}");
        }

        let pkgs = expected_packages(&img);
        let report = scan(db, &img.oci_ref(), &[]);
        let found = rows(&report);
        let mut module_findings = 0;
        let mut plain_findings = 0;
        for (p, installed, id, fixed) in &found {
            let module = is_module_build(installed);
            assert!(
                pkgs.iter().any(|[n, v, ..]| n == p && v == installed),
                "{name}: {p} {installed} is not installed"
            );
            assert_eq!(
                is_module_build(fixed),
                module,
                "{name}: {p} {installed} got {id} fixed in {fixed}"
            );
            assert!(
                data.iter()
                    .any(|(n, f, _)| n == p && f.as_deref() == Some(fixed.as_str())),
                "{name}: {p} {id} fixed {fixed} is not in the data"
            );
            if module {
                // nodejs:18: the fixes of the 20, 22 and 24 streams are not its own.
                let upstream = fixed.split_once(':').map_or(fixed.as_str(), |(_, v)| v);
                assert!(upstream.starts_with("18."), "{name}: {p} {id} {fixed}");
                module_findings += 1;
            } else {
                plain_findings += 1;
            }
        }
        assert!(
            module_findings > 0 && plain_findings > 0,
            "{name}: {found:?}"
        );
        if name == "alma9" {
            assert!(
                found
                    .iter()
                    .any(|(p, _, _, f)| p == "nginx" && f == "1:1.20.1-14.el9_2.1.alma.1"),
                "nginx gets ALSA-2023:5711: {found:?}"
            );
            assert!(
                found
                    .iter()
                    .any(|(p, _, _, f)| p == "nodejs"
                        && f == "1:18.14.2-3.module_el9.2.0+30+e3312493"),
                "nodejs:18 gets ALSA-2023:3577: {found:?}"
            );
        }
    }
}

/// `(VulnerabilityID, Aliases...)` of a finding.
fn ids(v: &Value) -> Vec<String> {
    let mut out = vec![s(v, "VulnerabilityID")];
    out.extend(
        v["Aliases"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string),
    );
    out
}

/// The Ubuntu 22.04 entries of `ubuntu-osv.zip`: `(source, fixed, record)`.
fn ubuntu_entries(src: &Path) -> Vec<(String, Option<String>, Value)> {
    let records = zip_records(&src.join("ubuntu-osv.zip"));
    entries(&records, "Ubuntu:22.04:LTS")
        .into_iter()
        .map(|(n, f, r)| (n, f, r.clone()))
        .collect()
}

/// Ubuntu: advisories name source packages, so both binaries of glibc get CVE-2023-4911
/// (UBUNTU-CVE-2023-4911, fixed in 2.35-0ubuntu3.4) and no other package does; advisories
/// without a fix show as `affected` and `--ignore-unfixed` drops exactly them.
#[test]
fn ubuntu_findings_follow_source_packages_and_fix_status() {
    let Some((db, src, img)) = with_shared("ubuntu") else {
        return;
    };
    let data = ubuntu_entries(&src);
    let glibc = data
        .iter()
        .find(|(n, _, r)| n == "glibc" && r["id"] == "UBUNTU-CVE-2023-4911")
        .expect("the data has UBUNTU-CVE-2023-4911 for glibc");
    assert_eq!(glibc.1.as_deref(), Some("2.35-0ubuntu3.4"));
    let pkgs = expected_packages(&img);
    let glibc_binaries: BTreeSet<&str> = pkgs
        .iter()
        .filter(|[.., src, _]| src == "glibc")
        .map(|[n, ..]| n.as_str())
        .collect();
    assert_eq!(glibc_binaries, BTreeSet::from(["libc-bin", "libc6"]));

    let report = scan(db, &img.oci_ref(), &[]);
    // Any finding naming the record or its CVE; Trivy shows the CVE as the id.
    let with_4911: BTreeSet<(String, String, String)> = vulns(&report)
        .into_iter()
        .filter(|v| {
            ids(v)
                .iter()
                .any(|i| i == "CVE-2023-4911" || i == "UBUNTU-CVE-2023-4911")
        })
        .map(|v| {
            (
                s(v, "PkgName"),
                s(v, "VulnerabilityID"),
                s(v, "FixedVersion"),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = glibc_binaries
        .iter()
        .map(|b| {
            (
                b.to_string(),
                "CVE-2023-4911".to_string(),
                "2.35-0ubuntu3.4".to_string(),
            )
        })
        .collect();
    assert_eq!(with_4911, want, "CVE-2023-4911 on glibc's binaries only");

    // Unfixed in 22.04 per the data: every binary of those sources, Status affected, no fix.
    let unfixed_sources: BTreeSet<&str> = data
        .iter()
        .filter(|(n, f, _)| f.is_none() && pkgs.iter().any(|[.., s, _]| s == n))
        .map(|(n, ..)| n.as_str())
        .collect();
    assert!(
        unfixed_sources.contains("genshi") && unfixed_sources.contains("jetty9"),
        "the data has unfixed genshi and jetty9 advisories: {unfixed_sources:?}"
    );
    let unfixed_binaries: BTreeSet<&str> = pkgs
        .iter()
        .filter(|[.., s, _]| unfixed_sources.contains(s.as_str()))
        .map(|[n, ..]| n.as_str())
        .collect();
    let all = vulns(&report);
    for b in &unfixed_binaries {
        let v: Vec<&&Value> = all.iter().filter(|v| v["PkgName"] == *b).collect();
        assert!(!v.is_empty(), "{b} has its unfixed advisory");
        for v in v {
            assert_eq!(v["Status"], "affected", "{v}");
            assert!(v["FixedVersion"].as_str().is_none_or(str::is_empty), "{v}");
        }
    }
    for v in all.iter().filter(|v| v["Status"] == "affected") {
        assert!(unfixed_binaries.contains(s(v, "PkgName").as_str()), "{v}");
    }
    let fixed_only = scan(db, &img.oci_ref(), &["--ignore-unfixed"]);
    let all_rows = rows(&report);
    let want: BTreeSet<Row> = all_rows
        .iter()
        .filter(|(.., fixed)| !fixed.is_empty())
        .cloned()
        .collect();
    assert!(!want.is_empty() && want.len() < all_rows.len());
    assert_eq!(
        rows(&fixed_only),
        want,
        "--ignore-unfixed drops the unfixed only"
    );
}

/// The CVEs an Ubuntu record stands for: its own (`UBUNTU-CVE-2023-4911`), or for a notice
/// (`USN-6409-1`) those of the per-CVE records it names as `upstream`.
fn record_cves(r: &Value) -> Vec<String> {
    let id = r["id"].as_str().expect("id");
    if let Some(cve) = id.strip_prefix("UBUNTU-") {
        return vec![cve.to_string()];
    }
    r["upstream"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|u| u.strip_prefix("UBUNTU-"))
        .map(str::to_string)
        .collect()
}

/// Trivy reports Ubuntu findings by CVE, once per package and CVE, with the fixed version the
/// data gives. Expected here from `ubuntu-osv.zip` alone, with `dpkg --compare-versions` as the
/// version oracle: a record affects each binary of its source package whose source version is
/// older than its fix (or all of them when it has none), under each CVE it stands for; a CVE
/// that only a notice names (`USN-6409-1`'s CVE-2023-4527, `USN-6450-1`'s CVE-2023-2975) is
/// reported all the same.
#[test]
fn ubuntu_findings_are_each_cve_the_data_names_once() {
    let Some((db, src, img)) = with_shared("ubuntu") else {
        return;
    };
    let pkgs = expected_packages(&img);
    // (package, CVE) -> fixed; a per-CVE record's word wins over a notice's.
    let mut want: BTreeMap<(String, String), (bool, String)> = BTreeMap::new();
    for (source, fixed, record) in ubuntu_entries(&src) {
        let per_cve = record["id"]
            .as_str()
            .is_some_and(|i| i.starts_with("UBUNTU-"));
        for [name, _, _, src_name, src_version] in &pkgs {
            if *src_name != source {
                continue;
            }
            if fixed.as_deref().is_some_and(|f| !dpkg_lt(src_version, f)) {
                continue;
            }
            for cve in record_cves(&record) {
                let slot = want.entry((name.clone(), cve)).or_default();
                if per_cve || slot.1.is_empty() {
                    *slot = (per_cve, fixed.clone().unwrap_or_default());
                }
            }
        }
    }
    let want: BTreeMap<(String, String), String> =
        want.into_iter().map(|(k, (_, f))| (k, f)).collect();
    assert!(
        want.contains_key(&("libc6".to_string(), "CVE-2023-4527".to_string())),
        "{want:?}"
    );

    let report = scan(db, &img.oci_ref(), &[]);
    let mut got: BTreeMap<(String, String), String> = BTreeMap::new();
    for v in vulns(&report) {
        let key = (s(v, "PkgName"), s(v, "VulnerabilityID"));
        assert!(
            got.insert(key.clone(), s(v, "FixedVersion")).is_none(),
            "{key:?} reported twice"
        );
    }
    let missing: Vec<_> = want.iter().filter(|(k, _)| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.iter().filter(|(k, _)| !want.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nnot in the data {extra:?}"
    );
    assert_eq!(got, want);
}

/// The Alpine secdb JSON `palisade db build` reads (as secdb.alpinelinux.org publishes it),
/// made here from the upstream YAML of the same alpine-secdb commit that `alpine-secdb.zip` was
/// converted from: a database of `v3.11/main.json` and `community.json` finds the same
/// (CVE, package, installed, fixed) on the alpine image as one built from the zip.
#[test]
fn alpine_secdb_json_gives_the_same_findings_as_the_osv_zip() {
    let Some((db, src, img)) = with_shared("alpine") else {
        return;
    };
    let yaml_zip = src.join("raw/alpine-secdb-yaml.zip");
    assert!(yaml_zip.is_file(), "{} is missing", yaml_zip.display());
    let mut z = zip::ZipArchive::new(std::fs::File::open(&yaml_zip).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    for repo in ["main", "community"] {
        let mut text = String::new();
        z.by_name(&format!("v3.11/{repo}.yaml"))
            .expect("v3.11 document")
            .read_to_string(&mut text)
            .unwrap();
        let doc: Value = yaml_serde::from_str(&text).expect("secdb YAML");
        assert_eq!(doc["distroversion"], "v3.11");
        assert_eq!(doc["reponame"], repo);
        let file = dir.path().join(format!("{repo}.json"));
        std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
        inputs.push(file);
    }
    let secdb_db = build_db(dir.path(), "secdb.db", &inputs);
    let from_json = rows(&scan(&secdb_db, &img.oci_ref(), &[]));
    let from_zip = rows(&scan(db, &img.oci_ref(), &[]));
    assert!(
        from_zip
            .iter()
            .any(|(p, _, id, _)| p == "libssl1.1" && id == "CVE-2019-1551"),
        "{from_zip:?}"
    );
    assert_eq!(from_json, from_zip);
}
