//! Hostile and broken archives: each ends with what could be read, a warning naming the
//! archive and entry, and no panic, hang or unbounded memory.

use std::io::{self, Read};
use std::time::Instant;

use proptest::prelude::*;

use super::*;

fn warned(w: &[String], needles: &[&str]) {
    assert!(
        w.iter().any(|m| needles.iter().all(|n| m.contains(n))),
        "no warning with {needles:?} in {w:?}"
    );
}

/// Three packages, then an entry whose signature is overwritten, then a fourth.
fn with_bad_header() -> (Vec<u8>, usize) {
    let mut entries = Vec::new();
    for a in ["a", "b", "c"] {
        entries.push(raw_entry(&pom_path("g", a), &pom("g", a, "1"), JDK));
    }
    let cut = entries.iter().map(Vec::len).sum::<usize>();
    entries.push(raw_entry(&pom_path("g", "d"), &pom("g", "d", "1"), JDK));
    (raw_archive(&entries), cut)
}

#[test]
fn bad_local_header_mid_stream_keeps_what_came_before() {
    let (mut data, cut) = with_bad_header();
    data[cut..cut + 4].copy_from_slice(b"JUNK");
    let (got, w) = run("x.jar", &data);
    let names: Vec<&str> = got.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["g:a", "g:b", "g:c"]);
    warned(
        &w,
        &[
            "not a zip local header",
            "META-INF/maven/g/c/pom.properties",
        ],
    );
}

#[test]
fn truncated_archives_keep_what_came_before() {
    let (data, cut) = with_bad_header();
    let fourth = raw_entry(&pom_path("g", "d"), &pom("g", "d", "1"), JDK).len();
    // Cut inside the fourth entry's header, name and data.
    for at in [cut + 10, cut + 35, cut + 70] {
        let (got, w) = run("t.jar", &data[..at]);
        assert_eq!(got.len(), 3, "cut at {at}: {got:?}");
        warned(&w, &["truncated"]);
    }
    // Cut inside its descriptor: its data was read whole.
    let (got, w) = run("t.jar", &data[..cut + fourth - 5]);
    assert_eq!(got.len(), 4, "{got:?}");
    warned(&w, &["truncated", "data descriptor"]);
    // An empty file and a few bytes are not archives.
    let (got, w) = run("e.jar", b"");
    assert!(got.is_empty());
    warned(&w, &["empty file"]);
    let (_, w) = run("e.jar", b"PK");
    warned(&w, &["truncated"]);
}

#[test]
fn corrupt_central_directory_is_never_read() {
    let good = jar(&[(&pom_path("g", "a"), &pom("g", "a", "1"))]);
    let start = memchr::memmem::find(&good, b"PK\x01\x02").expect("has a central directory");
    // Garbage after the central signature: not read at all.
    let mut data = good.clone();
    for b in &mut data[start + 4..] {
        *b = 0xee;
    }
    let (got, w) = run("a.jar", &data);
    assert_eq!(got.len(), 1);
    assert!(w.is_empty(), "{w:?}");
    // The signature itself destroyed: the entries are still listed, with a warning.
    data[start..start + 4].copy_from_slice(b"XXXX");
    let (got, w) = run("a.jar", &data);
    assert_eq!(got.len(), 1);
    warned(&w, &["not a zip local header"]);
    // No central directory at all (a cut archive that ends between entries) lists cleanly.
    let (got, w) = run("a.jar", &good[..start]);
    assert_eq!(got.len(), 1);
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn zip_slip_and_long_names_are_only_strings() {
    let long = format!("{}/pom.properties", "a".repeat(zipstream::MAX_NAME));
    let data = raw_archive(&[
        raw_entry("../../etc/passwd", b"root:x:0:0::/root:/bin/sh\n", JDK),
        raw_entry(
            "../../META-INF/maven/g/a/pom.properties",
            &pom("g", "a", "1"),
            JDK,
        ),
        raw_entry("/etc/pom.properties", &pom("g", "b", "1"), JDK),
        raw_entry(&long, &pom("g", "long", "1"), JDK),
        raw_entry(&pom_path("g", "c"), &pom("g", "c", "1"), JDK),
    ]);
    let (got, w) = run("s.jar", &data);
    let names: Vec<&str> = got.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["g:a", "g:b", "g:c"]);
    warned(&w, &["name over 4096 bytes"]);
}

#[test]
fn unreadable_metadata_entries_are_warnings() {
    let data = raw_archive(&[
        raw_entry(
            &pom_path("g", "enc"),
            &pom("g", "enc", "1"),
            Layout {
                encrypted: true,
                ..Layout::default()
            },
        ),
        raw_entry(
            &pom_path("g", "bz"),
            &pom("g", "bz", "1"),
            Layout {
                method: Some(12),
                ..Layout::default()
            },
        ),
        raw_entry(&pom_path("g", "big"), &vec![b'#'; MAX_META + 1], JDK),
        raw_entry(&pom_path("g", "ok"), &pom("g", "ok", "1"), JDK),
    ]);
    let (got, w) = run("m.jar", &data);
    assert_eq!(got, [pkg("g:ok", "1", "m.jar")]);
    warned(&w, &["g/enc/pom.properties", "encrypted"]);
    warned(&w, &["g/bz/pom.properties", "method"]);
    warned(&w, &["g/big/pom.properties", "64 KiB"]);
}

#[test]
fn corrupt_deflate_data_is_a_warning() {
    let mut e = raw_entry(
        &pom_path("g", "bad"),
        &pom("g", "bad", "1"),
        Layout {
            deflate: true,
            ..Layout::default()
        },
    );
    let body = e.len() - 10;
    e[body..].fill(0xff);
    let data = raw_archive(&[
        e,
        raw_entry(&pom_path("g", "ok"), &pom("g", "ok", "1"), JDK),
    ]);
    let (got, w) = run("d.jar", &data);
    assert_eq!(got, [pkg("g:ok", "1", "d.jar")]);
    warned(&w, &["g/bad/pom.properties", "deflate"]);
}

#[test]
fn package_count_is_capped() {
    let entries: Vec<Vec<u8>> = (0..MAX_PACKAGES + 5)
        .map(|i| {
            let a = format!("a{i}");
            raw_entry(&pom_path("g", &a), &pom("g", &a, "1"), Layout::default())
        })
        .collect();
    let (got, w) = run("many.jar", &raw_archive(&entries));
    assert_eq!(got.len(), MAX_PACKAGES);
    warned(&w, &["more than 10000 packages"]);
    assert_eq!(w.len(), 1, "{w:?}");
}

/// Each level a stored archive holding the next; 1,000 levels in memory (~90 KB).
fn nested_stored(levels: usize) -> Vec<u8> {
    let mut data = stored(&[(&pom_path("g", "bottom"), &pom("g", "bottom", "1"))]);
    for i in (0..levels).rev() {
        let p = pom("g", &format!("l{i}"), "1");
        data = raw_archive(&[
            raw_entry(&pom_path("g", &format!("l{i}")), &p, Layout::default()),
            raw_entry("n.jar", &data, Layout::default()),
        ]);
    }
    data
}

#[test]
fn deep_nesting_stops_at_the_limit() {
    let data = nested_stored(1000);
    let (got, w) = run("deep.jar", &data);
    // Levels 0 to MAX_DEPTH are read; the next is not.
    assert_eq!(got.len(), MAX_DEPTH + 1, "{got:?}");
    assert_eq!(got[0].2, "deep.jar");
    let deepest = format!("deep.jar{}", "/n.jar".repeat(MAX_DEPTH));
    assert!(got.iter().any(|p| p.2 == deepest), "{got:?}");
    warned(&w, &["nested more than 8 levels deep", "n.jar/n.jar"]);
}

/// A 42.zip-style bomb: deflated nested jars, each holding copies of the next, the last
/// holding a huge run of zeros. Reading it must stop at the budget or the ratio limit.
#[test]
fn zip_bombs_stop_at_the_budget() {
    // A stored entry of 512 MiB of zeros inside an archive, deflated into ~0.5 MiB.
    let zeros_len: u64 = 512 << 20;
    let mut header = raw_entry("zeros.bin", b"", Layout::default());
    header[18..22].copy_from_slice(&(zeros_len as u32).to_le_bytes());
    header[22..26].copy_from_slice(&(zeros_len as u32).to_le_bytes());
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&header).expect("deflate");
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..(zeros_len >> 20) {
        enc.write_all(&chunk).expect("deflate");
    }
    let bomb_body = enc.finish().expect("deflate");
    // As a nested jar with a known compressed size: the ratio limit stops it.
    let mut entry = raw_entry(
        "bomb.jar",
        b"",
        Layout {
            method: Some(8),
            ..Layout::default()
        },
    );
    entry[18..22].copy_from_slice(&(bomb_body.len() as u32).to_le_bytes());
    entry[22..26].copy_from_slice(&(zeros_len as u32).to_le_bytes());
    entry.extend_from_slice(&bomb_body);
    let after = raw_entry(&pom_path("g", "after"), &pom("g", "after", "1"), JDK);
    let data = raw_archive(&[entry.clone(), after.clone()]);
    let t = Instant::now();
    let (got, w) = run("bomb.jar", &data);
    assert_eq!(got, [pkg("g:after", "1", "bomb.jar")], "{w:?}");
    warned(&w, &["bomb.jar", "100 times"]);
    eprintln!("ratio-limited bomb: {:?}", t.elapsed());

    // With sizes in a data descriptor the ratio is unknown: the budget stops it, and stops
    // the whole file (the entry after is not read).
    let mut entry = raw_entry(
        "bomb.jar",
        b"",
        Layout {
            descriptor: true,
            method: Some(8),
            ..Layout::default()
        },
    );
    entry.truncate(entry.len() - 16); // the descriptor of the empty body
    entry.extend_from_slice(&bomb_body);
    entry.extend_from_slice(b"PK\x07\x08\0\0\0\0");
    entry.extend_from_slice(&(bomb_body.len() as u32).to_le_bytes());
    entry.extend_from_slice(&(zeros_len as u32).to_le_bytes());
    // 16 copies, as 42.zip holds 16 of each level.
    let copies: Vec<Vec<u8>> = std::iter::repeat_n(entry, 16)
        .chain(std::iter::once(after))
        .collect();
    let data = raw_archive(&copies);
    let t = Instant::now();
    let report = scan("bomb.jar", data.len() as u64, &mut &data[..]);
    warned(&report.warnings, &["budget", "zip bomb"]);
    eprintln!(
        "budget-limited bomb ({} KiB): {:?}",
        data.len() >> 10,
        t.elapsed()
    );
}

/// Makes a valid archive of about `total` bytes on the fly: copies of one entry, then one
/// `pom.properties`, then the central directory signature. Nothing large is stored: the
/// entry is a header, a run of bytes that are never written (stored data may be anything),
/// and a suffix.
struct HugeZip {
    head: Vec<u8>,
    run: u64,
    suffix: Vec<u8>,
    copies: u64,
    tail: Vec<u8>,
    /// Position in the whole stream.
    pos: u64,
    total: u64,
}

impl HugeZip {
    fn per(&self) -> u64 {
        self.head.len() as u64 + self.run + self.suffix.len() as u64
    }

    fn finish(mut self, total: u64) -> Self {
        self.copies = total.div_ceil(self.per());
        self.tail = raw_archive(&[raw_entry(
            &pom_path("g", "huge"),
            &pom("g", "huge", "1"),
            JDK,
        )]);
        self.total = self.copies * self.per() + self.tail.len() as u64;
        self
    }

    /// Stored entries of 64 MiB, sizes in the header: skipped without being looked at.
    fn stored(total: u64) -> Self {
        let run: u64 = 64 << 20;
        let mut head = raw_entry("blob.bin", b"", Layout::default());
        head[18..22].copy_from_slice(&(run as u32).to_le_bytes());
        head[22..26].copy_from_slice(&(run as u32).to_le_bytes());
        let z = HugeZip {
            head,
            run,
            suffix: Vec::new(),
            copies: 0,
            tail: Vec::new(),
            pos: 0,
            total: 0,
        };
        z.finish(total)
    }

    /// JDK-style entries: 1 MiB of incompressible bytes deflated, sizes in a data descriptor,
    /// so every byte is scanned for the descriptor.
    fn deflated(total: u64) -> Self {
        let mut x: u32 = 12345;
        let noise: Vec<u8> = (0..1 << 20)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 24) as u8
            })
            .collect();
        let head = raw_entry("noise.bin", &noise, JDK);
        let z = HugeZip {
            head,
            run: 0,
            suffix: Vec::new(),
            copies: 0,
            tail: Vec::new(),
            pos: 0,
            total: 0,
        };
        z.finish(total)
    }
}

impl Read for HugeZip {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let per = self.per();
        let body = self.copies * per;
        if self.pos >= self.total {
            return Ok(0);
        }
        let copy = |from: &[u8], at: u64, buf: &mut [u8]| {
            let at = at as usize;
            let n = buf.len().min(from.len() - at);
            buf[..n].copy_from_slice(&from[at..at + n]);
            n
        };
        let n = if self.pos >= body {
            copy(&self.tail, self.pos - body, buf)
        } else {
            let at = self.pos % per;
            let (h, r) = (self.head.len() as u64, self.run);
            if at < h {
                copy(&self.head, at, buf)
            } else if at < h + r {
                buf.len().min((h + r - at) as usize)
            } else {
                copy(&self.suffix, at - h - r, buf)
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

#[test]
fn two_gigabyte_archive_streams_in_constant_memory() {
    // Past 2 GiB (signed 32-bit offsets) and 4 GiB (unsigned ones).
    let sizes = [
        (256u64 << 20, false),
        (2 << 30, false),
        (5 << 30, false),
        (256 << 20, true),
        (2 << 30, true),
    ];
    for (total, deflated) in sizes {
        let mut src = if deflated {
            HugeZip::deflated(total)
        } else {
            HugeZip::stored(total)
        };
        let size = src.total;
        let t = Instant::now();
        let report = scan("huge-1.jar", size, &mut src);
        assert_eq!(listed(&report), [pkg("g:huge", "1", "huge-1.jar")]);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(src.pos, src.total, "read to the central directory");
        let secs = t.elapsed().as_secs_f64();
        // Process-wide and shared with parallel tests: meaningful with `--test-threads=1`.
        let rss = super::bench::peak_rss_kib();
        let kind = if deflated {
            "deflated entries with descriptors"
        } else {
            "stored entries"
        };
        eprintln!(
            "{} MiB of {kind} streamed in {secs:.2} s ({:.0} MiB/s), peak RSS {rss} KiB",
            size >> 20,
            (size >> 20) as f64 / secs
        );
    }
}

/// Arbitrary entries of arbitrary names, contents and layouts.
fn arb_entries() -> impl Strategy<Value = Vec<(String, Vec<u8>, bool, bool)>> {
    let name = prop_oneof![
        "[a-z]{1,8}(/[a-z]{1,8}){0,3}\\.class",
        "META-INF/maven/[a-z]{1,5}/[a-z]{1,5}/pom.properties",
        "[a-z]{1,5}/pom.properties",
        Just("META-INF/MANIFEST.MF".to_string()),
    ];
    let content = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        ("[a-z]{1,5}", "[a-z]{1,5}", "[0-9]\\.[0-9]{1,2}").prop_map(|(g, a, v)| pom(&g, &a, &v)),
    ];
    proptest::collection::vec((name, content, any::<bool>(), any::<bool>()), 0..12)
}

/// What the archive's `pom.properties` entries say, by the parser (tested on its own).
fn expected(entries: &[(String, Vec<u8>, bool, bool)]) -> BTreeSet<(String, String)> {
    let mut seen = BTreeSet::new();
    entries
        .iter()
        .filter(|(n, ..)| n.rsplit('/').next() == Some("pom.properties"))
        .filter(|(n, ..)| seen.insert(n.clone()))
        .filter_map(|(_, d, ..)| meta::pom_properties(d))
        .map(|c| (c.name(), c.version))
        .collect()
}

fn build(entries: &[(String, Vec<u8>, bool, bool)], streamed: bool) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut names = BTreeSet::new();
    let mut write = |w: &mut dyn FnMut(&str, &[u8], CompressionMethod)| {
        for (n, d, deflate, _) in entries {
            if names.insert(n.clone()) {
                let m = if *deflate {
                    CompressionMethod::Deflated
                } else {
                    CompressionMethod::Stored
                };
                w(n, d, m);
            }
        }
    };
    if streamed {
        let mut z = ZipWriter::new_stream(&mut out);
        write(&mut |n, d, m| {
            let opts = SimpleFileOptions::default().compression_method(m);
            z.start_file(n, opts).expect("start");
            z.write_all(d).expect("write");
        });
        z.finish().expect("finish");
    } else {
        let mut z = ZipWriter::new(&mut out);
        write(&mut |n, d, m| {
            let opts = SimpleFileOptions::default().compression_method(m);
            z.start_file(n, opts).expect("start");
            z.write_all(d).expect("write");
        });
        z.finish().expect("finish");
    }
    out.into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = run("x.jar", &data);
        let mut with_sig = b"PK\x03\x04".to_vec();
        with_sig.extend_from_slice(&data);
        let _ = run("x.jar", &with_sig);
    }

    /// Archives made by the `zip` crate, seekable (sizes in the headers) or streamed (data
    /// descriptors), list exactly their `pom.properties` (the manifest aside).
    #[test]
    fn zip_crate_archives_list_their_pom_properties(
        entries in arb_entries(),
        streamed in any::<bool>(),
    ) {
        let entries: Vec<_> = entries
            .into_iter()
            .filter(|(n, ..)| n != "META-INF/MANIFEST.MF")
            .collect();
        let data = build(&entries, streamed);
        let (got, w) = run("x.jar", &data);
        let got: BTreeSet<(String, String)> = got.into_iter().map(|(n, v, _)| (n, v)).collect();
        prop_assert_eq!(got, expected(&entries));
        prop_assert!(w.is_empty(), "{:?}", w);
    }

    /// Flipped bytes and truncations never panic, and list no more than the intact archive.
    #[test]
    fn damaged_archives_never_panic(
        entries in arb_entries(),
        streamed in any::<bool>(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
    ) {
        let mut data = build(&entries, streamed);
        let len = data.len();
        for (at, b) in flips {
            data[at % len] = b;
        }
        let _ = run("x.jar", &data);
        let intact = build(&entries, streamed);
        let (all, _) = run("x.jar", &intact);
        let (some, _) = run("x.jar", &intact[..cut % (len + 1)]);
        for p in &some {
            prop_assert!(all.contains(p), "{:?} not in {:?}", p, all);
        }
    }
}
