//! Reads the fixture databases (see `tests/fixtures/make.sh`) and compares every package with
//! what rpm itself printed for the same database.

use palisade_rpmdb::{DbFormat, RpmPackage, read};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn load(dir: &str, file: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{dir}/{file}")).unwrap()
}

/// Parses `expected.tsv`: rpm's `-qa --qf` output, `(none)` for absent tags.
fn expected(dir: &str) -> Vec<RpmPackage> {
    let text = String::from_utf8(load(dir, "expected.tsv")).unwrap();
    let none = |s: &str| {
        if s == "(none)" {
            String::new()
        } else {
            s.to_owned()
        }
    };
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 11, "{line}");
            RpmPackage {
                name: f[0].into(),
                epoch: (f[1] != "(none)").then(|| f[1].parse().unwrap()),
                version: f[2].into(),
                release: f[3].into(),
                arch: none(f[4]),
                source_rpm: none(f[5]),
                modularity_label: none(f[6]),
                license: none(f[7]),
                vendor: none(f[8]),
                size: f[9].parse().unwrap(),
                files: f[10]
                    .split(':')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            }
        })
        .collect()
}

fn check(format: DbFormat, dir: &str, file: &str) {
    let bytes = load(dir, file);
    assert_eq!(DbFormat::sniff(&bytes), Some(format));
    let got = read(format, &bytes).unwrap();
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    let mut want = expected(dir);
    want.sort_by(|a, b| (&a.name, a.evr(), &a.arch).cmp(&(&b.name, b.evr(), &b.arch)));
    assert_eq!(got.packages.len(), want.len());
    for (g, w) in got.packages.iter().zip(&want) {
        assert_eq!(g, w);
    }
    // What the fixtures are there to cover.
    let by_name = |n: &str| got.packages.iter().find(|p| p.name == n).unwrap();
    assert_eq!(by_name("hello").epoch, Some(1));
    assert_eq!(by_name("hello").evr(), "1:2.10-3.fc40");
    assert_eq!(
        by_name("demo-libs").source(),
        Some(("demo-src".into(), "0.9.1".into(), "7.el9".into()))
    );
    assert_eq!(
        by_name("nodejs").modularity_label,
        "nodejs:18:8090020231025:a75119d5"
    );
    assert_eq!(by_name("manyfiles").files.len(), 64);
    assert!(got.packages.iter().all(|p| p.name != "gpg-pubkey"));
}

#[test]
fn sqlite_matches_rpm() {
    check(DbFormat::Sqlite, "sqlite", "rpmdb.sqlite");
}

#[test]
fn berkeley_db_little_endian_matches_rpm() {
    check(DbFormat::BerkeleyDb, "bdb", "Packages");
}

#[test]
fn berkeley_db_big_endian_matches_rpm() {
    check(DbFormat::BerkeleyDb, "bdb-be", "Packages");
}

#[test]
fn ndb_matches_rpm() {
    check(DbFormat::Ndb, "ndb", "Packages.db");
}

#[test]
fn a_lying_name_is_named() {
    let bytes = load("sqlite", "rpmdb.sqlite");
    let err = read(DbFormat::from_path("var/lib/rpm/Packages").unwrap(), &bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not an rpm BerkeleyDB database: its magic bytes say sqlite"
    );
}
