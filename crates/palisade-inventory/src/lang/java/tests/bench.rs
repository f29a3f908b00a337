//! Throughput on real archives, printed, not asserted (the machine is shared):
//! `cargo test -p palisade-inventory --lib java::tests::bench -- --ignored --nocapture`.
//! `PALISADE_JAR_BENCH` lists the directories searched (`:`-separated; default
//! `/usr/share/java:/usr/lib/jvm`).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::*;

fn jars(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            jars(&p, out);
        } else if ft.is_file()
            && ARCHIVES.wants(&FileInfo {
                path: &p.to_string_lossy(),
                size: 0,
                executable: false,
            })
        {
            out.push(p);
        }
    }
}

pub(super) fn peak_rss_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Walks every entry; entries of unknown size are skipped by scanning (`inflate` false) or
/// by inflating them to their end (`inflate` true).
fn walk_only(data: &[u8], inflate: bool) -> u64 {
    let budget = Budget::new(u64::MAX);
    let mut src = data;
    let mut zip = ZipStream::new(&mut src, &budget);
    let mut sink = vec![0u8; 64 << 10];
    let mut entries = 0;
    while let Ok(Some(e)) = zip.next_entry() {
        entries += 1;
        if inflate && e.compressed.is_none() && e.method == DEFLATED {
            while matches!(zip.read_data(&mut sink), Ok(n) if n > 0) {}
        }
    }
    entries
}

#[test]
#[ignore = "measurement on the machine's jars; run by hand"]
fn throughput_on_real_jars() {
    let dirs = std::env::var("PALISADE_JAR_BENCH")
        .unwrap_or_else(|_| "/usr/share/java:/usr/lib/jvm".to_string());
    let mut files = Vec::new();
    for d in dirs.split(':') {
        jars(Path::new(d), &mut files);
    }
    files.sort();
    files.dedup();

    // Streamed from disk, as from a layer: memory stays that of the buffers.
    let rss0 = peak_rss_kib();
    let (mut bytes, mut pkgs, mut warns) = (0u64, 0usize, 0usize);
    // `PALISADE_JAR_DUMP=file`: every package as `path<TAB>name<TAB>version`, to compare
    // with another tool's listing.
    let mut dump = String::new();
    let t = Instant::now();
    for f in &files {
        let Ok(mut file) = fs::File::open(f) else {
            continue;
        };
        let size = file.metadata().map_or(0, |m| m.len());
        let report = scan(&f.to_string_lossy(), size, &mut file);
        bytes += size;
        pkgs += report.packages.len();
        for p in &report.packages {
            dump.push_str(&format!("{}\t{}\t{}\n", p.path, p.name, p.version));
        }
        warns += report.warnings.len();
        for w in &report.warnings {
            eprintln!("warning: {}: {w}", f.display());
        }
    }
    let el = t.elapsed();
    if let Ok(out) = std::env::var("PALISADE_JAR_DUMP") {
        fs::write(out, dump).expect("write the dump");
    }
    eprintln!(
        "{} archives, {} MiB, {pkgs} packages, {warns} warnings: streamed from disk in {el:.2?} \
         ({:.0} MiB/s); peak RSS {} KiB before, {} KiB after",
        files.len(),
        bytes >> 20,
        (bytes >> 20) as f64 / el.as_secs_f64(),
        rss0,
        peak_rss_kib()
    );

    // From memory: the analyzer alone, and the two ways to skip entries of unknown size.
    let (mut scan_t, mut walk_t, mut infl_t, mut total) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0u64);
    for f in &files {
        let Ok(data) = fs::read(f) else { continue };
        total += data.len() as u64;
        let t = Instant::now();
        let _ = scan("x.jar", data.len() as u64, &mut &data[..]);
        scan_t += t.elapsed();
        let t = Instant::now();
        let a = walk_only(&data, false);
        walk_t += t.elapsed();
        let t = Instant::now();
        let b = walk_only(&data, true);
        infl_t += t.elapsed();
        assert_eq!(a, b, "{}: both skips see the same entries", f.display());
    }
    let rate = |d: Duration| (total >> 20) as f64 / d.as_secs_f64();
    eprintln!(
        "from memory, {} MiB: analyzer {scan_t:.2?} ({:.0} MiB/s); walk skipping by descriptor \
         scan {walk_t:.2?} ({:.0} MiB/s); walk skipping by inflating {infl_t:.2?} ({:.0} MiB/s)",
        total >> 20,
        rate(scan_t),
        rate(walk_t),
        rate(infl_t)
    );
}
