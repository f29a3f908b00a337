//! Building and reading databases from small hand-written OSV fixtures.

use std::io::Write;
use std::path::{Path, PathBuf};

use palisade_advisory::{
    AdvisoryError, BuildStats, Database, Event, Input, Progress, RangeKind, SCHEMA_VERSION,
    Severity, SeveritySource, build, build_inputs,
};

const FULL: &str = r#"{
  "schema_version": "1.6.0",
  "id": "DSA-0001-1",
  "modified": "2024-03-01T00:00:00Z",
  "published": "2024-02-01T10:00:00Z",
  "aliases": ["CVE-2024-0001", " "],
  "summary": "openssl: buffer overflow in X.509 parsing",
  "details": "Long text.\nMore text.",
  "severity": [
    {"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
  ],
  "affected": [
    {
      "package": {"ecosystem": "Debian:12", "name": "openssl", "purl": "pkg:deb/debian/openssl"},
      "ranges": [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]},
        {"type": "GIT", "repo": "https://example.org/x.git", "events": [{"introduced": "abc"}]}
      ],
      "versions": ["3.0.11-1~deb12u2", ""],
      "ecosystem_specific": {"urgency": "high"},
      "database_specific": {"ignored": true}
    },
    {
      "package": {"ecosystem": "Hex", "name": "left-pad"},
      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]
    }
  ],
  "references": [
    {"type": "WEB", "url": "https://example.org/web"},
    {"type": "ADVISORY", "url": "https://security-tracker.debian.org/tracker/DSA-0001-1"}
  ],
  "database_specific": {"severity": "LOW"},
  "credits": [{"name": "someone"}],
  "unknown_field": {"nested": [1, 2, 3]}
}"#;

fn record(id: &str, eco: &str, name: &str, fixed: &str) -> String {
    format!(
        r#"{{"id": "{id}", "modified": "2024-01-01T00:00:00Z",
            "affected": [{{"package": {{"ecosystem": "{eco}", "name": "{name}"}},
            "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
    )
}

fn write(dir: &Path, rel: &str, body: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
    std::fs::write(&path, body).expect("write fixture");
    path
}

fn build_quiet(inputs: &[PathBuf], db: &Path) -> Result<BuildStats, AdvisoryError> {
    build(inputs, db, &mut |_| {})
}

#[test]
fn database_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Database>();
}

#[test]
fn folder_ingestion_keeps_every_field() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let osv = tmp.path().join("osv");
    write(&osv, "a/DSA-0001-1.json", FULL);
    write(&osv, "notes.txt", "not a record");
    let db_path = tmp.path().join("db/palisade.db");
    let mut calls = Vec::new();
    let stats = build(&[osv], &db_path, &mut |p: Progress| calls.push(p)).expect("build");
    assert_eq!(stats.records_seen, 1);
    assert_eq!(stats.ingested, 1);
    assert_eq!(stats.packages, 1);
    assert_eq!(stats.records_by_ecosystem.get("Debian:12"), Some(&1));
    assert_eq!(calls.last(), Some(&Progress { done: 1, total: 1 }));

    let db = Database::open(&db_path).expect("open");
    let entries = db.lookup("Debian:12", "openssl").expect("lookup");
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.vuln_id, "DSA-0001-1");
    assert_eq!(e.ranges.len(), 1, "GIT range dropped");
    assert_eq!(e.ranges[0].kind, RangeKind::Ecosystem);
    assert_eq!(
        e.ranges[0].events,
        vec![
            Event::Introduced("0".into()),
            Event::Fixed("3.0.13-1~deb12u1".into())
        ]
    );
    assert_eq!(e.versions, vec!["3.0.11-1~deb12u2".to_string()]);
    assert_eq!(
        e.ecosystem_specific.as_deref(),
        Some(r#"{"urgency":"high"}"#)
    );
    // Ecosystems outside the table (Erlang's Hex) are not stored.
    assert!(db.lookup("Hex", "left-pad").expect("lookup").is_empty());
    assert!(
        db.lookup("Debian:11", "openssl")
            .expect("lookup")
            .is_empty()
    );

    let v = db.vuln("DSA-0001-1").expect("vuln").expect("present");
    assert_eq!(v.aliases, vec!["CVE-2024-0001".to_string()]);
    assert_eq!(v.title, "openssl: buffer overflow in X.509 parsing");
    assert_eq!(
        v.primary_link,
        "https://security-tracker.debian.org/tracker/DSA-0001-1"
    );
    assert_eq!(v.severity, Severity::Critical);
    assert_eq!(v.severity_source, SeveritySource::Cvss);
    assert_eq!(v.cvss_score, Some(9.8));
    assert_eq!(
        v.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(v.published.as_deref(), Some("2024-02-01T10:00:00Z"));
    assert_eq!(v.modified.as_deref(), Some("2024-03-01T00:00:00Z"));
    assert!(db.vuln("DSA-9999-1").expect("vuln").is_none());

    let info = db.info();
    assert_eq!(info.schema_version, SCHEMA_VERSION);
    assert_eq!(info.vuln_count, 1);
    assert_eq!(info.package_count, 1);
    assert!(info.built_at.ends_with('Z') && info.built_at.len() == 20);
    assert!(info.file_size > 0);
    assert_eq!(info.inputs.len(), 1);
}

fn severity_of(body: &str) -> palisade_advisory::VulnRecord {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write(tmp.path(), "r.json", body);
    let db_path = tmp.path().join("t.db");
    build_quiet(&[file], &db_path).expect("build");
    let db = Database::open(&db_path).expect("open");
    db.vuln("X-1").expect("vuln").expect("present")
}

fn with_fields(extra: &str, affected_extra: &str) -> String {
    format!(
        r#"{{"id": "X-1", {extra}
            "affected": [{{"package": {{"ecosystem": "Debian:12", "name": "p"}}, {affected_extra}
            "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}]}}]}}]}}"#
    )
}

#[test]
fn severity_precedence() {
    // v3.1 beats v3.0 and v4.0 whatever the order.
    let v = severity_of(&with_fields(
        r#""severity": [
            {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
            {"type": "CVSS_V3", "score": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"},
            {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"#,
        "",
    ));
    assert_eq!(v.cvss_score, Some(9.8));
    // v4 only.
    let v = severity_of(&with_fields(
        r#""severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],"#,
        "",
    ));
    assert_eq!(v.severity, Severity::Critical);
    assert_eq!(v.cvss_score, Some(9.3));
    // Affected-level vector when the record has none; an unparsable vector is skipped.
    let v = severity_of(&with_fields(
        "",
        r#""severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/garbage"},
                        {"type": "CVSS_V3", "score": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],"#,
    ));
    assert_eq!(v.severity, Severity::High);
    assert_eq!(v.severity_source, SeveritySource::AffectedCvss);
    // database_specific word, MODERATE means MEDIUM.
    let v = severity_of(&with_fields(
        r#""database_specific": {"severity": "MODERATE"},"#,
        "",
    ));
    assert_eq!(v.severity, Severity::Medium);
    assert_eq!(v.severity_source, SeveritySource::DatabaseSpecific);
    assert_eq!(v.cvss_score, None);
    // Vendor word (Ubuntu) as the last resort.
    let v = severity_of(&with_fields(
        r#""severity": [{"type": "Ubuntu", "score": "high"}],"#,
        "",
    ));
    assert_eq!(v.severity, Severity::High);
    assert_eq!(v.severity_source, SeveritySource::Vendor);
    // Nothing.
    let v = severity_of(&with_fields(r#""database_specific": {"severity": 7},"#, ""));
    assert_eq!(v.severity, Severity::Unknown);
    assert_eq!(v.severity_source, SeveritySource::None);
    assert_eq!(v.title, "");
    assert_eq!(v.primary_link, "https://osv.dev/vulnerability/X-1");
}

#[test]
fn title_from_details_and_link_from_web() {
    let v = severity_of(&with_fields(
        r#""details": "\n  First line of details.\nSecond.",
           "references": [{"type": "FIX", "url": "https://fix"}, {"type": "WEB", "url": "https://web/1"},
                          {"type": "WEB", "url": "https://web/2"}],"#,
        "",
    ));
    assert_eq!(v.title, "First line of details.");
    assert_eq!(v.primary_link, "https://web/1");
}

#[test]
fn zip_ingestion_with_ubuntu_normalisation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let zip_path = tmp.path().join("all.zip");
    let file = std::fs::File::create(&zip_path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default();
    zip.add_directory("dir/", opts).expect("dir");
    zip.start_file("README.md", opts).expect("start");
    zip.write_all(b"hello").expect("write");
    for (name, body) in [
        (
            "A-1.json",
            record("A-1", "Ubuntu:22.04:LTS", "curl", "7.81.0-1ubuntu1.15"),
        ),
        (
            "A-2.json",
            record(
                "A-2",
                "Ubuntu:Pro:18.04:LTS",
                "curl",
                "7.58.0-2ubuntu3.24+esm3",
            ),
        ),
        (
            "A-3.json",
            record("A-3", "Ubuntu:22.04:LTS", "curl", "7.81.0-1ubuntu1.16"),
        ),
        ("A-4.json", record("A-4", "Hex", "plug", "2.0")),
    ] {
        zip.start_file(name, opts).expect("start");
        zip.write_all(body.as_bytes()).expect("write");
    }
    zip.finish().expect("finish");

    let db_path = tmp.path().join("t.db");
    let stats = build_quiet(std::slice::from_ref(&zip_path), &db_path).expect("build");
    assert_eq!(stats.records_seen, 4);
    assert_eq!(stats.ingested, 3);
    assert_eq!(stats.skipped_unsupported, 1);
    assert_eq!(stats.non_json_entries, 2);
    assert_eq!(stats.records_by_ecosystem.get("Ubuntu:22.04"), Some(&2));
    assert_eq!(
        stats.records_by_ecosystem.get("Ubuntu:Pro:18.04:LTS"),
        Some(&1)
    );
    let db = Database::open(&db_path).expect("open");
    let ids: Vec<String> = db
        .lookup("Ubuntu:22.04", "curl")
        .expect("lookup")
        .into_iter()
        .map(|e| e.vuln_id)
        .collect();
    assert_eq!(ids, vec!["A-1", "A-3"], "merged and sorted by id");
    assert_eq!(
        db.lookup("Ubuntu:22.04:LTS", "curl").expect("lookup").len(),
        2,
        "lookups normalise too"
    );
    assert_eq!(
        db.lookup("Ubuntu:Pro:18.04:LTS", "curl")
            .expect("lookup")
            .len(),
        1
    );
    assert_eq!(db.info().package_count, 2);
}

#[test]
fn withdrawn_malformed_and_unsupported_are_counted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let osv = tmp.path().join("osv");
    write(
        &osv,
        "good.json",
        &record("G-1", "Debian:12", "zlib", "1:1.2.13.dfsg-1"),
    );
    write(
        &osv,
        "withdrawn.json",
        &record("W-1", "Debian:12", "zlib", "1.0").replacen(
            "{",
            r#"{"withdrawn": "2024-01-02T00:00:00Z","#,
            1,
        ),
    );
    write(&osv, "broken.json", r#"{"id": "B-1", "affected": ["#);
    write(&osv, "noid.json", r#"{"affected": []}"#);
    write(&osv, "notobject.json", "42");
    write(&osv, "hex.json", &record("N-1", "Hex", "plug", "1.0.0"));
    // A supported package whose only range is unusable: invalid, not unsupported.
    write(
        &osv,
        "badrange.json",
        r#"{"id": "R-1", "affected": [{"package": {"ecosystem": "Debian:12", "name": "zlib"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}]}]}"#,
    );
    let db_path = tmp.path().join("t.db");
    let stats = build_quiet(&[osv], &db_path).expect("build succeeds despite bad records");
    assert_eq!(stats.records_seen, 7);
    assert_eq!(stats.ingested, 1);
    assert_eq!(stats.skipped_withdrawn, 1);
    assert_eq!(stats.skipped_unsupported, 1);
    assert_eq!(stats.invalid, 4);
    let origins: Vec<&str> = stats
        .invalid_examples
        .iter()
        .map(|r| r.origin.as_str())
        .collect();
    assert!(
        origins.iter().any(|o| o.ends_with("broken.json")),
        "{origins:?}"
    );
    assert!(
        origins.iter().any(|o| o.ends_with("badrange.json")),
        "{origins:?}"
    );
    let db = Database::open(&db_path).expect("open");
    assert_eq!(db.lookup("Debian:12", "zlib").expect("lookup").len(), 1);
    assert!(db.vuln("W-1").expect("vuln").is_none());
}

#[test]
fn duplicate_ids_keep_the_later_modified() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let newer = record("D-1", "Debian:12", "new-pkg", "2.0")
        .replace("2024-01-01T00:00:00Z", "2024-06-01T00:00:00.5Z");
    let older = record("D-1", "Debian:12", "old-pkg", "1.0")
        .replace("2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z");
    // Newer first, then an older copy in a later input: the newer one stays.
    let a = write(tmp.path(), "a/D-1.json", &newer);
    let b = write(tmp.path(), "b/D-1.json", &older);
    let db_path = tmp.path().join("t.db");
    let stats = build_quiet(&[a.clone(), b.clone()], &db_path).expect("build");
    assert_eq!(stats.duplicates, 1);
    assert_eq!(stats.ingested, 1);
    let db = Database::open(&db_path).expect("open");
    assert_eq!(db.lookup("Debian:12", "new-pkg").expect("lookup").len(), 1);
    assert!(
        db.lookup("Debian:12", "old-pkg")
            .expect("lookup")
            .is_empty()
    );
    drop(db);
    // Older first: the newer replaces it, including its package entries.
    build_quiet(&[b, a], &db_path).expect("rebuild");
    let db = Database::open(&db_path).expect("open");
    assert_eq!(db.lookup("Debian:12", "new-pkg").expect("lookup").len(), 1);
    assert!(
        db.lookup("Debian:12", "old-pkg")
            .expect("lookup")
            .is_empty()
    );
    assert_eq!(db.info().package_count, 1);
}

#[test]
fn zip_entry_over_the_limit_is_skipped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let zip_path = tmp.path().join("bomb.zip");
    let file = std::fs::File::create(&zip_path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    zip.start_file("huge.json", opts).expect("start");
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..17 {
        zip.write_all(&chunk).expect("write");
    }
    zip.start_file("ok.json", opts).expect("start");
    zip.write_all(record("OK-1", "Debian:12", "bash", "5.2.15-2+b2").as_bytes())
        .expect("write");
    zip.finish().expect("finish");
    assert!(std::fs::metadata(&zip_path).expect("meta").len() < 1024 * 1024);

    let db_path = tmp.path().join("t.db");
    let stats = build_quiet(&[zip_path], &db_path).expect("build");
    assert_eq!(stats.invalid, 1);
    assert_eq!(stats.ingested, 1);
    let bad = &stats.invalid_examples[0];
    assert!(bad.origin.ends_with("bomb.zip:huge.json"), "{}", bad.origin);
    assert!(bad.reason.contains("limit"), "{}", bad.reason);
}

#[test]
fn failed_build_leaves_the_old_database_and_no_temp_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("db");
    let db_path = dir.join("palisade.db");
    let good = write(
        tmp.path(),
        "good/x.json",
        &record("K-1", "Debian:12", "tar", "1.34+dfsg-1.2+deb12u1"),
    );
    build_quiet(&[good], &db_path).expect("first build");

    let bad = tmp.path().join("bad");
    write(&bad, "1.json", "{ nope");
    write(&bad, "2.json", "[1,2");
    let err = build_quiet(std::slice::from_ref(&bad), &db_path).expect_err("all invalid");
    assert!(
        matches!(err, AdvisoryError::AllInvalid { count: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(".json"), "{err}");

    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("readdir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["palisade.db".to_string()], "no temp files left");
    let db = Database::open(&db_path).expect("old database still opens");
    assert_eq!(db.lookup("Debian:12", "tar").expect("lookup").len(), 1);
}

#[test]
fn input_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db_path = tmp.path().join("t.db");
    let missing = tmp.path().join("nope");
    let err = build_quiet(std::slice::from_ref(&missing), &db_path).expect_err("missing");
    assert!(matches!(err, AdvisoryError::InputNotFound { .. }));
    assert!(err.to_string().contains("nope"));

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let err = build_quiet(&[empty], &db_path).expect_err("no records");
    assert!(matches!(err, AdvisoryError::NoRecords { .. }), "{err}");

    let txt = write(tmp.path(), "x.txt", "hi");
    let err = build_quiet(&[txt], &db_path).expect_err("unsupported");
    assert!(matches!(err, AdvisoryError::UnsupportedInput { .. }));

    let notzip = write(tmp.path(), "fake.zip", "not a zip");
    let err = build_quiet(&[notzip], &db_path).expect_err("bad zip");
    assert!(err.to_string().contains("fake.zip"), "{err}");
    assert!(!db_path.exists());
}

/// A zip of `(entry name, body)` pairs at `path`.
fn write_zip(path: &Path, entries: &[(&str, String)]) {
    let file = std::fs::File::create(path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default();
    for (name, body) in entries {
        zip.start_file(*name, opts).expect("start");
        zip.write_all(body.as_bytes()).expect("write");
    }
    zip.finish().expect("finish");
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readdir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn named_inputs_are_recorded_and_reported_by_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let zip_path = tmp.path().join(".download-123.zip");
    write_zip(
        &zip_path,
        &[
            (
                "K-1.json",
                record("K-1", "Debian:12", "tar", "1.34+dfsg-1.2+deb12u1"),
            ),
            ("bad.json", "{ nope".to_string()),
        ],
    );
    let single = write(
        tmp.path(),
        ".download-456.json",
        &record("K-2", "Debian:12", "zlib", "1:1.2.13.dfsg-1+deb12u1"),
    );
    let db_path = tmp.path().join("t.db");
    let url = "https://example.org/Debian/all.zip";
    let inputs = [
        Input::named(&zip_path, url),
        Input::named(&single, "https://example.org/K-2.json"),
    ];
    let stats = build_inputs(&inputs, &db_path, &|| false, &mut |_| {}).expect("build");
    assert_eq!(stats.ingested, 2);
    assert_eq!(
        stats.invalid_examples[0].origin,
        format!("{url}:bad.json"),
        "bad records are named after the input's name"
    );
    let db = Database::open(&db_path).expect("open");
    assert_eq!(
        db.info().inputs,
        vec![url.to_string(), "https://example.org/K-2.json".to_string()]
    );

    std::fs::write(&zip_path, "<html>not a zip</html>").expect("write");
    let err = build_inputs(&inputs[..1], &db_path, &|| false, &mut |_| {}).expect_err("bad zip");
    let text = err.to_string();
    assert!(
        text.contains(url) && !text.contains(".download-123"),
        "{text}"
    );
}

#[test]
fn a_cancelled_build_keeps_the_old_database_and_leaves_no_temp_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("db");
    let db_path = dir.join("palisade.db");
    let first = write(
        tmp.path(),
        "first/x.json",
        &record("K-1", "Debian:12", "tar", "1.34+dfsg-1.2+deb12u1"),
    );
    build_quiet(&[first], &db_path).expect("first build");
    let before = std::fs::read(&db_path).expect("read db");

    let osv = tmp.path().join("osv");
    for i in 0..20 {
        write(
            &osv,
            &format!("{i}.json"),
            &record(&format!("C-{i}"), "Debian:12", "curl", "7.88.1-10+deb12u5"),
        );
    }
    let calls = std::cell::Cell::new(0u32);
    let cancelled = || {
        calls.set(calls.get() + 1);
        calls.get() > 5
    };
    let err = build_inputs(&[Input::local(&osv)], &db_path, &cancelled, &mut |_| {})
        .expect_err("cancelled");
    assert!(matches!(err, AdvisoryError::Cancelled { .. }), "{err}");
    assert!(err.to_string().contains("palisade.db"), "{err}");
    assert_eq!(
        calls.get(),
        6,
        "asked after every record until it said stop"
    );
    assert_eq!(dir_names(&dir), vec!["palisade.db".to_string()]);
    assert_eq!(std::fs::read(&db_path).expect("read db"), before);

    // Not cancelled, the same inputs replace the database.
    build_inputs(&[Input::local(&osv)], &db_path, &|| false, &mut |_| {}).expect("build");
    assert_eq!(dir_names(&dir), vec!["palisade.db".to_string()]);
    let db = Database::open(&db_path).expect("open");
    assert_eq!(db.lookup("Debian:12", "curl").expect("lookup").len(), 20);
    assert!(db.lookup("Debian:12", "tar").expect("lookup").is_empty());
}

#[test]
fn open_errors_are_clear() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("missing.db");
    let err = Database::open(&missing).expect_err("missing");
    let msg = err.to_string();
    assert!(
        msg.contains("missing.db") && msg.contains("not found"),
        "{msg}"
    );
    assert!(msg.contains("palisade db build --osv PATH"), "{msg}");

    let garbage = write(tmp.path(), "garbage.db", &"x".repeat(10_000));
    let err = Database::open(&garbage).expect_err("garbage");
    assert!(err.to_string().contains("garbage.db"), "{err}");

    // A valid redb file that is not ours.
    let foreign = tmp.path().join("foreign.db");
    {
        let db = redb::Database::create(&foreign).expect("create");
        let txn = db.begin_write().expect("txn");
        {
            let table: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("other");
            let mut t = txn.open_table(table).expect("table");
            t.insert("k", "v").expect("insert");
        }
        txn.commit().expect("commit");
    }
    let err = Database::open(&foreign).expect_err("foreign");
    assert!(matches!(err, AdvisoryError::NotADatabase { .. }), "{err}");

    // Another schema version.
    let old = tmp.path().join("old.db");
    {
        let db = redb::Database::create(&old).expect("create");
        let txn = db.begin_write().expect("txn");
        {
            let table: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("meta");
            let mut t = txn.open_table(table).expect("table");
            t.insert("schema_version", "999").expect("insert");
        }
        txn.commit().expect("commit");
    }
    let err = Database::open(&old).expect_err("old schema");
    assert!(
        matches!(err, AdvisoryError::SchemaMismatch { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("rebuild"), "{err}");
}

/// The shared real-data folder, or `None` (after saying so) when this checkout has none.
/// `PALISADE_ADVISORY_DATA` overrides the location (for checkouts elsewhere).
fn real_data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PALISADE_ADVISORY_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories")
        });
    if dir.join("debian12-changelogs.zip").exists() {
        Some(dir)
    } else {
        println!("skipped: ../shared/data/advisories not present");
        None
    }
}

#[test]
fn real_feeds_of_every_ecosystem_parse() {
    let Some(dir) = real_data_dir() else {
        return;
    };
    let mut zips: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("readdir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    zips.sort();
    let tmp = tempfile::tempdir().expect("tempdir");
    let stats = build_quiet(&zips, &tmp.path().join("all.db")).expect("build");
    // Every record of every feed is valid OSV, and every ecosystem there is in the table, so
    // every record that is not withdrawn is ingested, including those of ecosystems whose
    // matching is not implemented yet (Alpine, AlmaLinux, Maven, RubyGems).
    assert_eq!(stats.invalid, 0, "{:?}", stats.invalid_examples);
    assert_eq!(stats.skipped_unsupported, 0);
    assert_eq!(
        stats.ingested + stats.duplicates + stats.skipped_withdrawn,
        stats.records_seen,
        "{stats:?}"
    );
    for eco in [
        "Debian:12",
        "PyPI",
        "npm",
        "Go",
        "crates.io",
        "RubyGems",
        "Maven",
        "AlmaLinux:9",
        "Alpine:v3.11",
    ] {
        assert!(
            stats.records_by_ecosystem.get(eco).is_some_and(|n| *n > 0),
            "{eco}: {:?}",
            stats.records_by_ecosystem
        );
    }
    println!(
        "all real feeds: {} records read, {} unsupported, {} withdrawn, {:.2}s",
        stats.records_seen, stats.skipped_unsupported, stats.skipped_withdrawn, stats.elapsed_secs
    );
}

#[test]
fn real_debian12_changelog_data() {
    let Some(dir) = real_data_dir() else {
        return;
    };
    let zip = dir.join("debian12-changelogs.zip");
    let tmp = tempfile::tempdir().expect("tempdir");
    let db_path = tmp.path().join("real.db");
    let started = std::time::Instant::now();
    let stats = build_quiet(&[zip], &db_path).expect("build");
    let build_time = started.elapsed();
    assert_eq!(stats.records_seen, 2505);
    assert_eq!(stats.ingested, 2505);
    assert_eq!(stats.invalid, 0);
    assert_eq!(stats.records_by_ecosystem.get("Debian:12"), Some(&2505));

    let db = Database::open(&db_path).expect("open");
    let openssl = db.lookup("Debian:12", "openssl").expect("lookup");
    assert!(!openssl.is_empty());
    let v = db
        .vuln(&openssl[0].vuln_id)
        .expect("vuln")
        .expect("present");
    assert!(v.aliases.iter().any(|a| a.starts_with("CVE-")));
    let started = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..100 {
        for pkg in ["openssl", "glibc", "curl", "zlib", "no-such-package"] {
            n += db.lookup("Debian:12", pkg).expect("lookup").len();
        }
    }
    let per_lookup = started.elapsed() / 500;
    println!(
        "real data: {} records, {} packages, {} bytes, built in {:?}, {:?} per lookup ({n} entries)",
        stats.ingested, stats.packages, stats.db_size, build_time, per_lookup
    );
}
