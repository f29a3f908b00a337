//! Composer packages matched against synthetic OSV `Packagist` records, through the generic
//! matcher: the ecosystem table gives Packagist the Composer scheme and lowercases names.

use std::path::Path;

use palisade_advisory::{Database, build};
use palisade_ecosystem::types;
use palisade_inventory::{Inventory, Package, PackageType};
use palisade_match::{Finding, FindingStatus, match_inventory};
use serde_json::{Value, json};

fn record(id: &str, name: &str, ranges: Value) -> Value {
    json!({
        "id": id,
        "modified": "2024-05-01T00:00:00Z",
        "published": "2024-04-01T00:00:00Z",
        "aliases": [format!("CVE-2024-{}", id.len())],
        "summary": format!("{name}: problem {id}"),
        "affected": [{
            "package": {"ecosystem": "Packagist", "name": name, "purl": format!("pkg:composer/{name}")},
            "ranges": ranges
        }]
    })
}

fn ecosystem(events: Value) -> Value {
    json!({"type": "ECOSYSTEM", "events": events})
}

fn database(dir: &Path) -> Database {
    let osv = dir.join("osv");
    std::fs::create_dir_all(&osv).expect("mkdir");
    let records = [
        // Three maintained branches, as GitHub's records for Symfony write them.
        record(
            "GHSA-kern-0001",
            "symfony/http-kernel",
            json!([
                ecosystem(json!([{"introduced": "0"}, {"fixed": "4.4.50"}])),
                ecosystem(json!([{"introduced": "5.0.0"}, {"fixed": "5.4.20"}])),
                ecosystem(json!([{"introduced": "6.0.0-BETA1"}, {"fixed": "6.0.20"}])),
            ]),
        ),
        // The record spells the name with capitals; Packagist names are case-insensitive.
        record(
            "GHSA-twig-0002",
            "Twig/Twig",
            json!([ecosystem(
                json!([{"introduced": "0"}, {"fixed": "v1.44.7"}])
            )]),
        ),
        record(
            "GHSA-last-0003",
            "acme/lib",
            json!([ecosystem(
                json!([{"introduced": "1.0-beta1"}, {"last_affected": "1.2"}])
            )]),
        ),
        // Every version: a branch is affected too.
        record(
            "GHSA-open-0004",
            "acme/abandoned",
            json!([ecosystem(json!([{"introduced": "0"}]))]),
        ),
    ];
    for (i, r) in records.iter().enumerate() {
        std::fs::write(osv.join(format!("{i}.json")), r.to_string()).expect("write");
    }
    let db_path = dir.join("t.db");
    build(&[osv], &db_path, &mut |_| {}).expect("build");
    Database::open(&db_path).expect("open")
}

fn composer(name: &str, version: &str) -> Package {
    Package::lang(
        PackageType::of(&types::COMPOSER),
        name,
        version,
        "srv/app/composer.lock",
    )
}

fn findings(db: &Database, packages: Vec<Package>) -> Vec<Finding> {
    // Language packages need no detected OS.
    let inv = Inventory {
        warnings: Vec::new(),
        os: None,
        packages,
    };
    match_inventory(db, &inv).expect("match")
}

/// `(package, version, vulnerability, fixed)` of each finding.
fn hits(f: &[Finding]) -> Vec<(String, String, String, Option<String>)> {
    f.iter()
        .map(|f| {
            (
                f.package_name.clone(),
                f.installed_version.clone(),
                f.vulnerability_id.clone(),
                f.fixed_version.clone(),
            )
        })
        .collect()
}

fn hit(
    p: &str,
    v: &str,
    id: &str,
    fixed: Option<&str>,
) -> (String, String, String, Option<String>) {
    (p.into(), v.into(), id.into(), fixed.map(str::to_string))
}

#[test]
fn composer_versions_match_packagist_ranges() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = database(tmp.path());

    let got = findings(
        &db,
        vec![
            // `v5.4.19` is 5.4.19.0: inside [5.0.0, 5.4.20).
            composer("symfony/http-kernel", "v5.4.19"),
            // A release candidate of 6.0.0 is after 6.0.0-BETA1 and before 6.0.20.
            composer("symfony/http-kernel", "6.0.0-RC1"),
            // The installed name in capitals meets the record's, whatever its spelling.
            composer("TWIG/twig", "1.44.6"),
            composer("acme/lib", "1.2.0.0"),
        ],
    );
    assert_eq!(
        hits(&got),
        vec![
            hit("TWIG/twig", "1.44.6", "GHSA-twig-0002", Some("v1.44.7")),
            hit("acme/lib", "1.2.0.0", "GHSA-last-0003", None),
            hit(
                "symfony/http-kernel",
                "6.0.0-RC1",
                "GHSA-kern-0001",
                Some("6.0.20")
            ),
            hit(
                "symfony/http-kernel",
                "v5.4.19",
                "GHSA-kern-0001",
                Some("5.4.20")
            ),
        ]
    );
    assert_eq!(got[0].status, FindingStatus::Fixed);
    assert_eq!(got[1].status, FindingStatus::Affected);
}

#[test]
fn fixed_and_unaffected_composer_versions_do_not_match() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = database(tmp.path());
    let got = findings(
        &db,
        vec![
            // Equal to the fix in another spelling (5.4.20.0).
            composer("symfony/http-kernel", "v5.4.20"),
            // Between the branches: fixed in 4.4, 5.x not started.
            composer("symfony/http-kernel", "4.4.51"),
            // `v1.44.7` is the fix; `1.44.7-patch1` comes after it.
            composer("twig/twig", "1.44.7"),
            composer("twig/twig", "1.44.7-patch1"),
            // Before the first affected pre-release, and after the last affected version.
            composer("acme/lib", "1.0-alpha2"),
            composer("acme/lib", "1.2-patch1"),
            // Not a version Composer accepts: no range can be evaluated, and nothing fails.
            composer("acme/lib", "not a version"),
        ],
    );
    assert_eq!(hits(&got), vec![]);
}

#[test]
fn branches_only_match_ranges_that_need_no_comparison() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = database(tmp.path());
    let got = findings(
        &db,
        vec![
            // Composer matches no branch against a version range: not claimed by `< 5.4.20`.
            composer("symfony/http-kernel", "dev-main"),
            // A numbered branch is a version (2.x-dev is 2.9999999.9999999.9999999-dev).
            composer("twig/twig", "1.x-dev"),
            // "Every version" takes any branch.
            composer("acme/abandoned", "dev-master"),
        ],
    );
    assert_eq!(
        hits(&got),
        vec![hit("acme/abandoned", "dev-master", "GHSA-open-0004", None)]
    );
    let older = findings(&db, vec![composer("twig/twig", "1.43.x-dev")]);
    assert_eq!(
        hits(&older),
        vec![hit(
            "twig/twig",
            "1.43.x-dev",
            "GHSA-twig-0002",
            Some("v1.44.7")
        )]
    );
}
