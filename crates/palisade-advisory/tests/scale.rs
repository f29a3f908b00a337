//! Build and lookup figures on a large synthetic feed. Ignored by default (it writes ~100 MB);
//! run with `cargo test --release -p palisade-advisory --test scale -- --ignored --nocapture`.

use std::io::Write;
use std::time::Instant;

use palisade_advisory::{Database, build};

/// Peak resident memory of this process in KiB (Linux only; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
#[ignore = "slow: synthetic feed of hundreds of thousands of records"]
fn synthetic_feed_scales() {
    let records: usize = std::env::var("SCALE_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let packages = records / 10;
    let tmp = tempfile::tempdir().expect("tempdir");
    let zip_path = tmp.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("create"));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..records {
        // Two thirds Debian/Ubuntu, one third an unsupported ecosystem.
        let eco = match i % 3 {
            0 => "Debian:12",
            1 => "Ubuntu:22.04:LTS",
            _ => "npm",
        };
        let body = format!(
            r#"{{"id":"SYN-{i}","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-{i}"],
"summary":"synthetic record {i}","severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
"affected":[{{"package":{{"ecosystem":"{eco}","name":"pkg-{p}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{i}-1"}}]}}]}}],
"references":[{{"type":"ADVISORY","url":"https://example.org/SYN-{i}"}}]}}"#,
            p = i % packages
        );
        zip.start_file(format!("SYN-{i}.json"), opts)
            .expect("start");
        zip.write_all(body.as_bytes()).expect("write");
    }
    zip.finish().expect("finish");
    println!(
        "peak RSS after writing the zip: {} MiB",
        peak_rss_kib() / 1024
    );
    let db_path = tmp.path().join("scale.db");
    let started = Instant::now();
    let stats = build(&[zip_path], &db_path, &mut |_| {}).expect("build");
    let build_time = started.elapsed();
    assert_eq!(stats.records_seen as usize, records);

    let db = Database::open(&db_path).expect("open");
    let started = Instant::now();
    let mut entries = 0;
    let lookups = 10_000;
    for i in 0..lookups {
        entries += db
            .lookup("Debian:12", &format!("pkg-{}", (i * 7919) % packages))
            .expect("lookup")
            .len();
    }
    let per_lookup = started.elapsed() / lookups as u32;
    println!(
        "scale: {records} records ({} ingested, {} unsupported), {} packages, db {} bytes, \
         build {build_time:?}, {per_lookup:?} per lookup ({entries} entries), peak RSS {} MiB",
        stats.ingested,
        stats.skipped_unsupported,
        stats.packages,
        stats.db_size,
        peak_rss_kib() / 1024
    );
}
