//! Matching a hand-built inventory against a small database built in a temp dir.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use palisade_advisory::{Database, Severity, build};
use palisade_inventory::{Ecosystem, Inventory, OsFamily, OsInfo, Package, PackageType};
use palisade_match::{Finding, FindingStatus, match_inventory};

const CRITICAL_V3: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const HIGH_V3: &str = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";

fn write(dir: &Path, name: &str, body: &serde_json::Value) {
    std::fs::write(dir.join(name), body.to_string()).expect("write fixture");
}

fn rec(id: &str, eco: &str, pkg: &str, events: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "modified": "2024-05-01T00:00:00Z",
        "published": "2024-04-01T00:00:00Z",
        "aliases": [format!("CVE-{id}")],
        "summary": format!("{pkg}: problem {id}"),
        "affected": [{
            "package": {"ecosystem": eco, "name": pkg},
            "ranges": [{"type": "ECOSYSTEM", "events": events}]
        }]
    })
}

fn with_cvss(mut v: serde_json::Value, vector: &str) -> serde_json::Value {
    v["severity"] = serde_json::json!([{"type": "CVSS_V3", "score": vector}]);
    v
}

fn fixture_db(dir: &Path) -> Database {
    let osv = dir.join("osv");
    std::fs::create_dir_all(&osv).expect("mkdir");
    use serde_json::json;
    write(
        &osv,
        "a.json",
        &with_cvss(
            rec(
                "OSSL-1",
                "Debian:12",
                "openssl",
                json!([{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]),
            ),
            HIGH_V3,
        ),
    );
    write(
        &osv,
        "b.json",
        &with_cvss(
            rec(
                "OSSL-2",
                "Debian:12",
                "openssl",
                json!([{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]),
            ),
            CRITICAL_V3,
        ),
    );
    // Unfixed.
    write(
        &osv,
        "c.json",
        &rec(
            "OSSL-3",
            "Debian:12",
            "openssl",
            json!([{"introduced": "3.0.0-1"}]),
        ),
    );
    // Only in Debian 11: must not be used for a Debian 12 image.
    write(
        &osv,
        "d.json",
        &rec(
            "OLD-1",
            "Debian:11",
            "zlib",
            json!([{"introduced": "0"}, {"fixed": "9:9"}]),
        ),
    );
    // Two ranges of one vuln matching: the highest fix is reported.
    let mut two = rec(
        "TWO-1",
        "Debian:12",
        "glibc",
        json!([{"introduced": "0"}, {"fixed": "2.36-9+deb12u4"}]),
    );
    two["affected"][0]["ranges"]
        .as_array_mut()
        .expect("array")
        .push(json!({"type": "ECOSYSTEM", "events": [{"introduced": "2.36-1"}, {"fixed": "2.36-9+deb12u7"}]}));
    write(&osv, "e.json", &two);
    // Exact version list only.
    let mut listed = rec(
        "LIST-1",
        "Debian:12",
        "bash",
        json!([{"introduced": "0"}, {"fixed": "5.0-1"}]),
    );
    listed["affected"][0]["versions"] = json!(["5.2.15-2"]);
    write(&osv, "f.json", &listed);
    // Invalid event version: the range is skipped, the scan goes on.
    write(
        &osv,
        "g.json",
        &rec(
            "BAD-1",
            "Debian:12",
            "bash",
            json!([{"introduced": "0"}, {"fixed": "not valid!"}]),
        ),
    );
    // Compared against the binNMU's source version.
    write(
        &osv,
        "h.json",
        &rec(
            "BIN-1",
            "Debian:12",
            "libfoo",
            json!([{"introduced": "0"}, {"fixed": "1.2-3+b1"}]),
        ),
    );
    let db_path: PathBuf = dir.join("t.db");
    build(&[osv], &db_path, &mut |_| {}).expect("build");
    Database::open(&db_path).expect("open")
}

fn deb(name: &str, version: &str, source: &str, source_version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        arch: "amd64".into(),
        source_name: source.into(),
        source_version: source_version.into(),
        ecosystem: Ecosystem::DEBIAN,
        kind: PackageType::of(&palisade_ecosystem::types::DPKG),
        path: "var/lib/dpkg/status".into(),
        modularity_label: String::new(),
    }
}

fn debian12(packages: Vec<Package>) -> Inventory {
    Inventory {
        warnings: Vec::new(),
        os: Some(OsInfo {
            family: OsFamily::Debian,
            version: "12.5".into(),
            pretty_name: None,
            distroless: false,
            eol_date: None,
        }),
        packages,
    }
}

fn ids(findings: &[Finding], package: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.package_name == package)
        .map(|f| f.vulnerability_id.clone())
        .collect()
}

#[test]
fn openssl_versions_with_tilde() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = fixture_db(tmp.path());

    let inv = debian12(vec![
        deb("libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2"),
        deb("openssl", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2"),
    ]);
    let findings = match_inventory(&db, &inv).expect("match");
    // OSSL-2 is fixed in exactly the installed version; OSSL-1 is not yet.
    assert_eq!(ids(&findings, "libssl3"), vec!["OSSL-1", "OSSL-3"]);
    assert_eq!(ids(&findings, "openssl"), vec!["OSSL-1", "OSSL-3"]);
    let f = &findings[0];
    assert_eq!(f.package_name, "libssl3");
    assert_eq!(f.source_name, "openssl");
    assert_eq!(f.vulnerability_id, "OSSL-1");
    assert_eq!(f.fixed_version.as_deref(), Some("3.0.13-1~deb12u1"));
    assert_eq!(f.status, FindingStatus::Fixed);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.cvss_score, Some(7.5));
    assert_eq!(f.cvss_vector.as_deref(), Some(HIGH_V3));
    assert_eq!(f.aliases, vec!["CVE-OSSL-1".to_string()]);
    assert_eq!(f.title, "openssl: problem OSSL-1");
    assert_eq!(f.primary_link, "https://osv.dev/vulnerability/OSSL-1");
    assert_eq!(f.published.as_deref(), Some("2024-04-01T00:00:00Z"));
    let unfixed = &findings[1];
    assert_eq!(unfixed.vulnerability_id, "OSSL-3");
    assert_eq!(unfixed.fixed_version, None);
    assert_eq!(unfixed.status, FindingStatus::Affected);
    assert_eq!(unfixed.severity, Severity::Unknown);

    // Installed equal to the fix: not affected by OSSL-1 (OSSL-3 is unfixed).
    let inv = debian12(vec![deb(
        "libssl3",
        "3.0.13-1~deb12u1",
        "openssl",
        "3.0.13-1~deb12u1",
    )]);
    let findings = match_inventory(&db, &inv).expect("match");
    assert_eq!(ids(&findings, "libssl3"), vec!["OSSL-3"]);

    // An older ~deb12u revision sorts below the plain revision.
    let inv = debian12(vec![deb(
        "libssl3",
        "3.0.11-1~deb12u1",
        "openssl",
        "3.0.11-1~deb12u1",
    )]);
    let findings = match_inventory(&db, &inv).expect("match");
    // Critical first, then High, then Unknown.
    assert_eq!(
        ids(&findings, "libssl3"),
        vec!["OSSL-2", "OSSL-1", "OSSL-3"]
    );
}

#[test]
fn semantics_end_to_end() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = fixture_db(tmp.path());
    let inv = debian12(vec![
        deb("bash", "5.2.15-2", "bash", "5.2.15-2"),
        deb("libc6", "2.36-9+deb12u3", "glibc", "2.36-9+deb12u3"),
        deb("libc-bin", "2.36-9+deb12u3", "glibc", "2.36-9+deb12u3"),
        // Same binary for a second architecture: one finding, not two.
        Package {
            arch: "i386".into(),
            ..deb("libc6", "2.36-9+deb12u3", "glibc", "2.36-9+deb12u3")
        },
        deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1"),
        // binNMU: binary 1.2-3+b1 from source 1.2-3; the advisory fixes source 1.2-3+b1,
        // so the source version decides that it is still affected.
        deb("libfoo1", "1.2-3+b1", "libfoo", "1.2-3"),
        deb("libfoo-dev", "1.2-3+b1", "libfoo", "1.2-3+b1"),
    ]);
    let findings = match_inventory(&db, &inv).expect("match");

    // versions list hit; BAD-1's range is skipped without failing the scan.
    assert_eq!(ids(&findings, "bash"), vec!["LIST-1"]);
    let bash = &findings[0];
    assert_eq!(bash.fixed_version, None, "a versions-list hit has no fix");

    // Both ranges of TWO-1 match; the highest fix is reported, once per binary.
    for name in ["libc6", "libc-bin"] {
        let f: Vec<&Finding> = findings.iter().filter(|f| f.package_name == name).collect();
        assert_eq!(f.len(), 1, "{name}");
        assert_eq!(f[0].fixed_version.as_deref(), Some("2.36-9+deb12u7"));
    }

    // No fallback to Debian 11.
    assert!(ids(&findings, "zlib1g").is_empty());

    assert_eq!(ids(&findings, "libfoo1"), vec!["BIN-1"]);
    assert_eq!(
        findings
            .iter()
            .find(|f| f.package_name == "libfoo1")
            .map(|f| f.source_version.as_str()),
        Some("1.2-3")
    );
    assert_eq!(
        findings
            .iter()
            .find(|f| f.package_name == "libfoo1")
            .map(|f| f.installed_version.as_str()),
        Some("1.2-3+b1")
    );
    assert!(ids(&findings, "libfoo-dev").is_empty());

    // Sorted by package name.
    let names: Vec<&str> = findings.iter().map(|f| f.package_name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    // JSON field names are snake_case and status is lowercase.
    let json = serde_json::to_value(&findings[0]).expect("serialize");
    assert_eq!(json["status"], "affected");
    assert_eq!(json["severity"], "UNKNOWN");
    assert!(json.get("vulnerability_id").is_some());
    assert!(json.get("fixed_version").is_some());
}

#[test]
fn unknown_or_missing_os_yields_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = fixture_db(tmp.path());
    let pkgs = vec![deb("libssl3", "3.0.0-1", "openssl", "3.0.0-1")];
    let none = Inventory {
        warnings: Vec::new(),
        os: None,
        packages: pkgs.clone(),
    };
    assert!(match_inventory(&db, &none).expect("match").is_empty());
    let mut alpine = debian12(pkgs.clone());
    if let Some(os) = alpine.os.as_mut() {
        os.family = OsFamily::Alpine;
        os.version = "3.20.1".into();
    }
    assert!(match_inventory(&db, &alpine).expect("match").is_empty());
    // Ubuntu image against a Debian-only database: nothing, and no error.
    let mut ubuntu = debian12(pkgs);
    if let Some(os) = ubuntu.os.as_mut() {
        os.family = OsFamily::Ubuntu;
        os.version = "22.04".into();
    }
    assert!(match_inventory(&db, &ubuntu).expect("match").is_empty());
}

#[test]
fn unparsable_installed_version_is_skipped_not_fatal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = fixture_db(tmp.path());
    let inv = debian12(vec![deb("libssl3", "x:1.0", "openssl", "x:1.0")]);
    let findings = match_inventory(&db, &inv).expect("match does not fail");
    assert!(findings.is_empty());
}

#[test]
fn real_debian12_openssl() {
    let dir = std::env::var_os("PALISADE_ADVISORY_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories")
        });
    let zip = dir.join("debian12-changelogs.zip");
    if !zip.exists() {
        println!("skipped: ../shared/data/advisories not present");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let db_path = tmp.path().join("real.db");
    build(&[zip], &db_path, &mut |_| {}).expect("build");
    let db = Database::open(&db_path).expect("open");
    let old = debian12(vec![deb(
        "libssl3",
        "3.0.11-1~deb12u2",
        "openssl",
        "3.0.11-1~deb12u2",
    )]);
    let findings = match_inventory(&db, &old).expect("match");
    assert!(!findings.is_empty());
    for f in &findings {
        assert_eq!(f.status, FindingStatus::Fixed, "{}", f.vulnerability_id);
        let fixed = f.fixed_version.as_deref().expect("fixed");
        assert_eq!(
            palisade_version::deb::compare("3.0.11-1~deb12u2", fixed),
            Ok(std::cmp::Ordering::Less),
            "{} fixed in {fixed}",
            f.vulnerability_id
        );
    }
    // A much newer openssl has none of the changelog-derived CVEs.
    let new = debian12(vec![deb("libssl3", "9.9.9-1", "openssl", "9.9.9-1")]);
    assert!(match_inventory(&db, &new).expect("match").is_empty());
    println!(
        "real data: {} openssl findings for 3.0.11-1~deb12u2",
        findings.len()
    );
}

fn rpm(name: &str, version: &str, label: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        arch: "x86_64".into(),
        source_name: name.into(),
        source_version: version.into(),
        ecosystem: Ecosystem::of(&palisade_ecosystem::rows::ALMALINUX),
        kind: PackageType::of(&palisade_ecosystem::types::RPM),
        path: "var/lib/rpm/rpmdb.sqlite".into(),
        modularity_label: label.into(),
    }
}

/// AlmaLinux errata name binary rpms and list their CVEs in `related`: each CVE is a finding of
/// its own (the erratum leads its aliases), a CVE two errata name takes the higher fix, and
/// module-stream fixes reach module packages only.
#[test]
fn errata_become_one_finding_per_cve_with_module_streams_apart() {
    use serde_json::json;
    let tmp = tempfile::tempdir().expect("tempdir");
    let osv = tmp.path().join("osv");
    std::fs::create_dir_all(&osv).expect("mkdir");
    let erratum = |id: &str, related: &[&str], name: &str, fixed: &str| {
        json!({
            "id": id, "summary": "Important: curl security update", "related": related,
            "affected": [{"package": {"ecosystem": "AlmaLinux:9", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]
        })
    };
    write(
        &osv,
        "a.json",
        &erratum(
            "ALSA-2023:5763",
            &["CVE-2023-38545", "CVE-2023-38546"],
            "libcurl",
            "7.76.1-23.el9_2.4",
        ),
    );
    write(
        &osv,
        "b.json",
        &erratum(
            "ALSA-2023:9999",
            &["CVE-2023-38546"],
            "libcurl",
            "7.76.1-23.el9_2.5",
        ),
    );
    write(
        &osv,
        "c.json",
        &erratum(
            "ALSA-2023:3577",
            &["CVE-2023-23918"],
            "nodejs",
            "1:18.16.1-1.module_el9.2.0+33+ad8b2ee7",
        ),
    );
    write(
        &osv,
        "d.json",
        &erratum(
            "ALSA-2024:0001",
            &["CVE-2024-0001"],
            "nodejs",
            "1:16.20.2-1.el9",
        ),
    );
    let db_path = tmp.path().join("t.db");
    build(&[osv], &db_path, &mut |_| {}).expect("build");
    let db = Database::open(&db_path).expect("open");
    let inv = Inventory {
        warnings: Vec::new(),
        os: Some(OsInfo {
            family: OsFamily::Alma,
            version: "9.2".into(),
            pretty_name: None,
            distroless: false,
            eol_date: None,
        }),
        packages: vec![
            rpm("libcurl", "7.76.1-23.el9_2.1", ""),
            rpm(
                "nodejs",
                "1:18.14.2-2.module_el9.2.0+29+de583a0b",
                "nodejs:18:9020020230424145347:rhel9",
            ),
        ],
    };
    let found = match_inventory(&db, &inv).expect("match");
    let rows: Vec<(&str, &str, Option<&str>, Option<&str>)> = found
        .iter()
        .map(|f| {
            (
                f.package_name.as_str(),
                f.vulnerability_id.as_str(),
                f.aliases.first().map(String::as_str),
                f.fixed_version.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "libcurl",
                "CVE-2023-38545",
                Some("ALSA-2023:5763"),
                Some("7.76.1-23.el9_2.4")
            ),
            (
                "libcurl",
                "CVE-2023-38546",
                Some("ALSA-2023:9999"),
                Some("7.76.1-23.el9_2.5")
            ),
            (
                "nodejs",
                "CVE-2023-23918",
                Some("ALSA-2023:3577"),
                Some("1:18.16.1-1.module_el9.2.0+33+ad8b2ee7")
            ),
        ]
    );
    assert!(found.iter().all(|f| f.severity == Severity::High));
}

/// RubyGems matching goes through the ecosystem table's `Gem::Version` scheme: prereleases sort
/// before their release (`3.0.0.beta1 < 3.0.0`, `3.0.9.1.rc1 < 3.0.9.1`), so a range that opens
/// at a prerelease, or is fixed by a release, decides prereleases as Ruby would. Installed gems
/// and `Gemfile.lock` entries are matched alike, and need no detected OS.
#[test]
fn gems_match_rubygems_ranges_with_prerelease_boundaries() {
    use serde_json::json;
    let tmp = tempfile::tempdir().expect("tempdir");
    let osv = tmp.path().join("osv");
    std::fs::create_dir_all(&osv).expect("mkdir");
    write(
        &osv,
        "rack.json",
        &rec(
            "GHSA-rack-0001",
            "RubyGems",
            "rack",
            json!([
                {"introduced": "0"}, {"fixed": "2.2.8.1"},
                {"introduced": "3.0.0.beta1"}, {"fixed": "3.0.9.1"}
            ]),
        ),
    );
    // Fixed by a prerelease: the release candidate and everything after it are safe.
    write(
        &osv,
        "nokogiri.json",
        &rec(
            "GHSA-noko-0001",
            "RubyGems",
            "nokogiri",
            json!([{"introduced": "0"}, {"fixed": "1.14.0.rc1"}]),
        ),
    );
    let db_path = tmp.path().join("t.db");
    build(&[osv], &db_path, &mut |_| {}).expect("build");
    let db = Database::open(&db_path).expect("open");
    let gem = |name: &str, version: &str, lockfile: bool| {
        let (row, path) = if lockfile {
            (
                &palisade_ecosystem::types::BUNDLER,
                "app/Gemfile.lock".to_string(),
            )
        } else {
            (
                &palisade_ecosystem::types::GEMSPEC,
                format!("usr/local/bundle/specifications/{name}-{version}.gemspec"),
            )
        };
        Package::lang(PackageType::of(row), name, version, &path)
    };
    let affected = [
        ("rack", "2.2.8"),
        ("rack", "2.2.8.1.rc1"),
        ("rack", "3.0.0.beta1"),
        ("rack", "3.0.0"),
        ("rack", "3.0.9.1.rc1"),
        ("nokogiri", "1.13.10"),
        ("nokogiri", "1.14.0.beta1"),
    ];
    let safe = [
        ("rack", "2.2.8.1"),
        ("rack", "2.2.9"),
        ("rack", "3.0.0.alpha"),
        ("rack", "3.0.9.1"),
        ("rack", "3.1.0"),
        ("nokogiri", "1.14.0.rc1"),
        ("nokogiri", "1.14.0"),
    ];
    let mut packages = Vec::new();
    for (i, (n, v)) in affected.iter().chain(&safe).enumerate() {
        packages.push(gem(n, v, i % 2 == 0));
    }
    // No OS: language packages are matched all the same.
    let inv = Inventory {
        warnings: Vec::new(),
        os: None,
        packages,
    };
    let found = match_inventory(&db, &inv).expect("match");
    let mut hits: Vec<(&str, &str, &str, Option<&str>)> = found
        .iter()
        .map(|f| {
            (
                f.package_name.as_str(),
                f.installed_version.as_str(),
                f.vulnerability_id.as_str(),
                f.fixed_version.as_deref(),
            )
        })
        .collect();
    hits.sort();
    let mut want: Vec<(&str, &str, &str, Option<&str>)> = affected
        .iter()
        .map(|&(n, v)| {
            if n == "rack" {
                let fix = if v.starts_with('2') {
                    "2.2.8.1"
                } else {
                    "3.0.9.1"
                };
                (n, v, "GHSA-rack-0001", Some(fix))
            } else {
                (n, v, "GHSA-noko-0001", Some("1.14.0.rc1"))
            }
        })
        .collect();
    want.sort();
    assert_eq!(hits, want);
    assert!(found.iter().all(|f| f.ecosystem.osv_name() == "RubyGems"));
    let kinds: BTreeSet<&str> = found.iter().map(|f| f.kind.name()).collect();
    assert_eq!(kinds, BTreeSet::from(["bundler", "gemspec"]));
}

fn nuget(name: &str, version: &str, path: &str) -> Package {
    Package::lang(
        PackageType::of(&palisade_ecosystem::types::DOTNET_CORE),
        name,
        version,
        path,
    )
}

/// NuGet records are matched through the generic matcher with NuGet's ordering: four-part
/// versions (`4.5.0.1`), missing parts as zeros (`4.5.1.0` is the fix `4.5.1`), labels
/// ignoring case, and ids ignoring case on both sides.
#[test]
fn nuget_four_part_versions_and_case_insensitive_ids() {
    use serde_json::json;
    let tmp = tempfile::tempdir().expect("tempdir");
    let osv = tmp.path().join("osv");
    std::fs::create_dir_all(&osv).expect("mkdir");
    let mut two_ranges = rec(
        "GHSA-NUGET-1",
        "NuGet",
        "System.Text.Encodings.Web",
        json!([{"introduced": "0"}, {"fixed": "4.5.1"}]),
    );
    two_ranges["affected"][0]["ranges"]
        .as_array_mut()
        .expect("array")
        .push(
            json!({"type": "ECOSYSTEM", "events": [{"introduced": "5.0.0"}, {"fixed": "5.0.1"}]}),
        );
    write(&osv, "a.json", &with_cvss(two_ranges, HIGH_V3));
    write(
        &osv,
        "b.json",
        &rec(
            "GHSA-NUGET-2",
            "NuGet",
            "MICROSOFT.NETCORE.APP.RUNTIME.LINUX-X64",
            json!([{"introduced": "8.0.0-preview.1"}, {"fixed": "8.0.0-RC.2"}]),
        ),
    );
    let mut listed = rec(
        "GHSA-NUGET-3",
        "NuGet",
        "Newtonsoft.Json",
        json!([{"introduced": "0"}, {"fixed": "1.0"}]),
    );
    listed["affected"][0]["versions"] = json!(["12.0.3"]);
    write(&osv, "c.json", &listed);
    let db_path = tmp.path().join("t.db");
    build(&[osv], &db_path, &mut |_| {}).expect("build");
    let db = Database::open(&db_path).expect("open");

    let path = "app/App.deps.json";
    let cases = [
        // (name, installed, expected findings, expected fix)
        (
            "System.Text.Encodings.Web",
            "4.5.0.1",
            vec!["GHSA-NUGET-1"],
            Some("4.5.1"),
        ),
        (
            "system.text.encodings.web",
            "4.5.0.9999",
            vec!["GHSA-NUGET-1"],
            Some("4.5.1"),
        ),
        ("System.Text.Encodings.Web", "4.5.1.0", vec![], None),
        ("System.Text.Encodings.Web", "4.5.1.1", vec![], None),
        ("System.Text.Encodings.Web", "4.05.1", vec![], None),
        (
            "System.Text.Encodings.Web",
            "5.0.0.1",
            vec!["GHSA-NUGET-1"],
            Some("5.0.1"),
        ),
        (
            "System.Text.Encodings.Web",
            "5.0.1-beta",
            vec!["GHSA-NUGET-1"],
            Some("5.0.1"),
        ),
        ("System.Text.Encodings.Web", "5.0.1.0", vec![], None),
        (
            "Microsoft.NETCore.App.Runtime.linux-x64",
            "8.0.0-rc.1.23419.4",
            vec!["GHSA-NUGET-2"],
            Some("8.0.0-RC.2"),
        ),
        (
            "Microsoft.NETCore.App.Runtime.linux-x64",
            "8.0.0-rc.2",
            vec![],
            None,
        ),
        (
            "Microsoft.NETCore.App.Runtime.linux-x64",
            "8.0.0",
            vec![],
            None,
        ),
        (
            "Microsoft.NETCore.App.Runtime.linux-x64",
            "7.0.20.0",
            vec![],
            None,
        ),
        // An exact version list compares under the scheme: 12.0.3.0 is 12.0.3.
        ("Newtonsoft.Json", "12.0.3.0", vec!["GHSA-NUGET-3"], None),
        ("Newtonsoft.Json", "12.0.3.1", vec![], None),
    ];
    for (name, version, want, fix) in cases {
        let inv = Inventory {
            warnings: Vec::new(),
            os: None,
            packages: vec![nuget(name, version, path)],
        };
        let found = match_inventory(&db, &inv).expect("match");
        assert_eq!(ids(&found, name), want, "{name} {version}");
        if let Some(f) = found.first() {
            assert_eq!(f.fixed_version.as_deref(), fix, "{name} {version}");
            assert_eq!(f.installed_version, version);
        }
    }
}
