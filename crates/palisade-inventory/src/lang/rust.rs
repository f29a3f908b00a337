//! Rust: `Cargo.lock` files, and binaries built with `cargo auditable`, which embeds the
//! crates it compiled in the executable.
//!
//! `cargo auditable` puts a zlib-compressed JSON document (`{"packages":[{"name":…,
//! "version":…,"source":…,"kind":…,"dependencies":[…],"root":true},…]}`) in a linker section
//! named `.dep-v0`. Binaries stream past once, inside a compressed layer, so the section
//! headers (usually at the end of an ELF file) cannot be consulted before the section goes by.
//! [`AuditableScan`] instead looks at every possible zlib stream start in the stream: a `0x78`
//! byte (found with `memchr`) whose next byte makes a valid zlib header without a preset
//! dictionary (4 of 256 values), then inflates at most [`TRIAL_OUTPUT`] bytes from it and
//! keeps the stream only if they start with `{"packages":[`. Random data passes the header test
//! for about one position in 16 thousand and a trial inflate almost always fails within a few
//! bytes, so the scan costs little more than the `memchr` pass.

use std::io::Read;

use flate2::{Decompress, FlushDecompress, Status};
use palisade_ecosystem::{PackageType, types};
use serde::Deserialize;

use super::golang::{Sniff, pump, wants_binary};
use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package, read_bounded};

/// The analyzer of `Cargo.lock` files (Trivy's `cargo`).
pub struct CargoLock;

/// The registered `Cargo.lock` analyzer.
pub static CARGO_LOCK: CargoLock = CargoLock;

/// The analyzer of binaries built with `cargo auditable` (Trivy's `rustbinary`).
pub struct RustBinary;

/// The registered binary analyzer.
pub static BINARY: RustBinary = RustBinary;

/// Largest `Cargo.lock` read. The lockfiles of the largest workspaces are around 1 MiB; parsing
/// TOML takes several times the file's size in memory, so anything much larger is refused.
const MAX_LOCKFILE: u64 = 16 << 20;

impl FileAnalyzer for CargoLock {
    fn name(&self) -> &'static str {
        "cargo"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        file.path == "Cargo.lock" || file.path.ends_with("/Cargo.lock")
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let data = read_bounded(file, content, MAX_LOCKFILE)?;
        let text = std::str::from_utf8(&data)
            .map_err(|_| AnalyzeError::skip("Cargo.lock is not UTF-8"))?;
        lock_packages(text, file.path)
    }
}

/// The parts of a lockfile that name packages. Every format version (1 to 4) lists them as
/// `[[package]]` tables; version 1 lockfiles of old Cargo also put the root crate in `[root]`.
#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
    #[serde(default)]
    root: Option<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
}

/// Every locked package, the workspace's own crates (those without `source`) included, as
/// Trivy lists them.
fn lock_packages(text: &str, path: &str) -> Result<Vec<Package>, AnalyzeError> {
    let lock: Lockfile = toml::from_str(text)
        .map_err(|e| AnalyzeError::skip(format!("Cargo.lock is not a valid lockfile: {e}")))?;
    let kind = PackageType::of(&types::CARGO);
    Ok(lock
        .root
        .iter()
        .chain(&lock.package)
        .map(|p| Package::lang(kind, &p.name, &p.version, path))
        .collect())
}

impl FileAnalyzer for RustBinary {
    fn name(&self) -> &'static str {
        "rustbinary"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        wants_binary(file)
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let mut scan = AuditableScan::new();
        pump(content, |chunk| scan.feed(chunk))?;
        scan.finish(file.path)
    }
}

/// What the audit data must inflate to: the start of the JSON `cargo auditable` writes.
const PREFIX: &[u8] = br#"{"packages":["#;
/// Bytes inflated to test a candidate stream: enough for the prefix.
const TRIAL_OUTPUT: usize = 32;
/// Compressed bytes a trial may need before it produces [`TRIAL_OUTPUT`] bytes: a dynamic
/// Huffman block header is at most a few hundred bytes. Candidates wait until this much
/// follows them (or the file ends).
const TRIAL_INPUT: usize = 1024;
/// Largest inflated audit data accepted. Real data is about 100 bytes per crate, so even a
/// thousand-crate binary stays far below; the cap stops a zlib bomb.
const MAX_JSON: usize = 8 << 20;
/// The zlib header's first byte (CMF) as every deflate-based writer emits it: deflate with a
/// 32 KiB window.
const CMF: u8 = 0x78;

/// Whether `flg` completes a zlib header after [`CMF`]: the check bits make the pair a
/// multiple of 31, and no preset dictionary (which the audit data never uses).
fn is_zlib_flg(flg: u8) -> bool {
    ((u16::from(CMF) << 8) | u16::from(flg)).is_multiple_of(31) && flg & 0x20 == 0
}

/// Where the scan is.
enum State {
    /// Looking for the audit data.
    Searching,
    /// Inflating the accepted stream into the JSON so far.
    Inflating(Vec<u8>),
    /// The stream ended: the JSON, or why there is none.
    Inflated(Result<Vec<u8>, String>),
    /// The file is not an executable.
    NotExecutable,
}

/// Incremental search for `cargo auditable` data in a stream: [`feed`](Self::feed) it the
/// file's bytes in any pieces, then [`finish`](Self::finish).
///
/// While searching it keeps the current piece plus at most [`TRIAL_INPUT`] bytes after the
/// last candidate; once the data is found, the inflater's state (about 40 KiB) and the JSON,
/// capped at [`MAX_JSON`].
pub struct AuditableScan {
    sniff: Sniff,
    /// Bytes not yet ruled out.
    buf: Vec<u8>,
    /// Where in `buf` the search resumes.
    from: usize,
    /// One inflater, reset for each trial: its window is allocated once per file.
    inflater: Decompress,
    state: State,
    /// Largest `buf` seen, to test the memory bound.
    peak: usize,
}

impl Default for AuditableScan {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditableScan {
    /// A scan at the start of a file.
    pub fn new() -> Self {
        AuditableScan {
            sniff: Sniff::default(),
            buf: Vec::new(),
            from: 0,
            inflater: Decompress::new(true),
            state: State::Searching,
            peak: 0,
        }
    }

    /// Takes the next bytes of the file. Returns `true` once the scan needs no more (the data
    /// was read, or the file is not an executable): the caller should stop reading.
    pub fn feed(&mut self, data: &[u8]) -> bool {
        match self.state {
            State::Searching => {
                if self.sniff.push(data) == Some(false) {
                    self.state = State::NotExecutable;
                    self.buf = Vec::new();
                    return true;
                }
                self.buf.extend_from_slice(data);
                self.peak = self.peak.max(self.buf.len());
                self.search(false)
            }
            State::Inflating(_) => self.inflate(data),
            State::Inflated(_) | State::NotExecutable => true,
        }
    }

    /// The runtime crates the binary names, once the stream has ended (or
    /// [`feed`](Self::feed) said it needs no more). Binaries without audit data give none;
    /// data that cannot be read gives a skip saying why.
    pub fn finish(mut self, path: &str) -> Result<Vec<Package>, AnalyzeError> {
        if matches!(self.state, State::Searching) && self.sniff.decided() {
            self.search(true);
        }
        match self.state {
            State::Searching | State::NotExecutable => Ok(Vec::new()),
            State::Inflating(_) => Err(AnalyzeError::skip(
                "cargo-auditable dependency data is truncated",
            )),
            State::Inflated(Err(why)) => Err(AnalyzeError::skip(why)),
            State::Inflated(Ok(json)) => audit_packages(&json, path),
        }
    }

    /// Tries every candidate stream start in `buf`; keeps only what a later piece may still
    /// need. `eof`: no more bytes will come, so candidates are tried with what there is.
    fn search(&mut self, eof: bool) -> bool {
        loop {
            let Some(rel) = memchr::memchr(CMF, &self.buf[self.from..]) else {
                self.from = self.buf.len();
                break;
            };
            let at = self.from + rel;
            let Some(&flg) = self.buf.get(at + 1) else {
                self.from = at;
                break;
            };
            if !is_zlib_flg(flg) {
                self.from = at + 1;
                continue;
            }
            let window = &self.buf[at..self.buf.len().min(at + TRIAL_INPUT)];
            if window.len() < TRIAL_INPUT && !eof {
                self.from = at;
                break;
            }
            if trial(&mut self.inflater, window) {
                let buf = std::mem::take(&mut self.buf);
                self.from = 0;
                self.inflater.reset(true);
                self.state = State::Inflating(Vec::new());
                return self.inflate(&buf[at..]);
            }
            self.from = at + 1;
        }
        if !eof {
            // Nothing before `from` can start the data any more.
            self.buf.drain(..self.from);
            self.from = 0;
        }
        false
    }

    /// Inflates the next compressed bytes of the accepted stream. Returns `true` once it ended,
    /// failed or went over [`MAX_JSON`].
    fn inflate(&mut self, mut input: &[u8]) -> bool {
        let State::Inflating(json) = &mut self.state else {
            return true;
        };
        let mut out = [0u8; 16 << 10];
        loop {
            let (before_in, before_out) = (self.inflater.total_in(), self.inflater.total_out());
            let status = self
                .inflater
                .decompress(input, &mut out, FlushDecompress::None);
            // Each call consumes at most `input.len()` and produces at most `out.len()` bytes,
            // so both deltas fit a usize.
            let used = (self.inflater.total_in() - before_in) as usize;
            let made = (self.inflater.total_out() - before_out) as usize;
            input = &input[used..];
            json.extend_from_slice(&out[..made]);
            if json.len() > MAX_JSON {
                self.state = State::Inflated(Err(format!(
                    "cargo-auditable dependency data inflates to over {} MiB",
                    MAX_JSON >> 20
                )));
                return true;
            }
            match status {
                Err(e) => {
                    self.state = State::Inflated(Err(format!(
                        "cargo-auditable dependency data does not inflate: {e}"
                    )));
                    return true;
                }
                Ok(Status::StreamEnd) => {
                    let json = std::mem::take(json);
                    self.state = State::Inflated(Ok(json));
                    return true;
                }
                // A full output buffer may leave more output pending: go round again.
                Ok(_) if made == out.len() => {}
                Ok(_) if input.is_empty() => return false,
                // Input left, room for output, yet nothing moved: the data cannot go on.
                Ok(_) if used == 0 && made == 0 => {
                    self.state = State::Inflated(Err(
                        "cargo-auditable dependency data does not inflate: no progress".into(),
                    ));
                    return true;
                }
                Ok(_) => {}
            }
        }
    }
}

/// Whether the zlib stream starting `window` inflates to the audit data's prefix.
fn trial(inflater: &mut Decompress, window: &[u8]) -> bool {
    inflater.reset(true);
    let before = inflater.total_out();
    let mut out = [0u8; TRIAL_OUTPUT];
    match inflater.decompress(window, &mut out, FlushDecompress::None) {
        // The call produced at most TRIAL_OUTPUT bytes, so the delta fits.
        Ok(_) => out[..(inflater.total_out() - before) as usize].starts_with(PREFIX),
        Err(_) => false,
    }
}

/// The audit data, as far as it names packages.
#[derive(Deserialize)]
struct AuditData {
    packages: Vec<AuditedPackage>,
}

#[derive(Deserialize)]
struct AuditedPackage {
    name: String,
    version: String,
    /// `runtime` (the default, often omitted) or `build` (build scripts and proc macros, not
    /// in the binary: skipped, as Trivy does).
    #[serde(default)]
    kind: Option<String>,
}

fn audit_packages(json: &[u8], path: &str) -> Result<Vec<Package>, AnalyzeError> {
    let data: AuditData = serde_json::from_slice(json).map_err(|e| {
        AnalyzeError::skip(format!(
            "cargo-auditable dependency data is not the expected JSON: {e}"
        ))
    })?;
    let kind = PackageType::of(&types::RUSTBINARY);
    Ok(data
        .packages
        .iter()
        .filter(|p| p.kind.as_deref() != Some("build"))
        .map(|p| Package::lang(kind, &p.name, &p.version, path))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::ZlibEncoder};
    use proptest::prelude::*;
    use std::io::{self, Write};

    /// The shortest prefix of `z` a trial accepts.
    fn trial_len(z: &[u8]) -> usize {
        let mut d = Decompress::new(true);
        (2..=z.len())
            .find(|&n| trial(&mut d, &z[..n]))
            .expect("the trial accepts the whole stream")
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    /// Deterministic filler (xorshift), so tests need no RNG crate; random bytes include
    /// plenty of `0x78` and some valid-looking zlib headers.
    fn filler(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// An ELF-looking file with `section` among filler bytes.
    fn binary(pad: usize, section: &[u8], tail: usize) -> Vec<u8> {
        [
            b"\x7fELF\x02\x01\x01".as_slice(),
            &filler(pad as u64 + 5, pad),
            section,
            &filler(tail as u64 + 11, tail),
        ]
        .concat()
    }

    const AUDIT: &str = r#"{"packages":[
        {"name":"app","version":"0.3.0","source":"local","dependencies":[1,2,3],"root":true},
        {"name":"regex","version":"1.5.4","source":"crates.io","dependencies":[2]},
        {"name":"memchr","version":"2.4.1","source":"crates.io","kind":"runtime"},
        {"name":"cc","version":"1.0.73","source":"crates.io","kind":"build"}
    ]}"#;

    fn expected() -> Vec<(String, String)> {
        pairs(&[("app", "0.3.0"), ("memchr", "2.4.1"), ("regex", "1.5.4")])
    }

    /// A reader handing out 1–7 bytes per read, in a pattern set by `sizes`.
    struct Dribble<'a> {
        data: &'a [u8],
        sizes: Vec<usize>,
        k: usize,
    }

    impl Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let want = self.sizes[self.k % self.sizes.len()].clamp(1, 7);
            self.k += 1;
            let n = want.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn info(size: usize) -> FileInfo<'static> {
        FileInfo {
            path: "usr/local/bin/app",
            size: size as u64,
            executable: true,
        }
    }

    fn run(data: &[u8]) -> Result<Vec<Package>, AnalyzeError> {
        BINARY.analyze(&info(data.len()), &mut &data[..])
    }

    fn names(pkgs: &[Package]) -> Vec<(String, String)> {
        let mut v: Vec<_> = pkgs
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        v.sort();
        v
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v: Vec<_> = v
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        v.sort();
        v
    }

    fn skip_of(r: Result<Vec<Package>, AnalyzeError>) -> String {
        match r {
            Err(AnalyzeError::Skip(m)) => m,
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    #[test]
    fn reads_runtime_crates_with_the_root() {
        let data = binary(70_000, &zlib(AUDIT.as_bytes()), 5000);
        let pkgs = run(&data).expect("parses");
        assert_eq!(names(&pkgs), expected());
        assert_eq!(pkgs[0].kind, PackageType::of(&types::RUSTBINARY));
        assert_eq!(pkgs[0].path, "usr/local/bin/app");
    }

    #[test]
    fn other_zlib_streams_and_non_executables_are_ignored() {
        // Compressed data that is not audit data, then the audit data.
        let other = zlib(br#"{"name":"not audit data","packages":[]}"#);
        let section = [other, zlib(AUDIT.as_bytes())].concat();
        assert_eq!(
            names(&run(&binary(300, &section, 300)).expect("parses")),
            expected()
        );
        let mut data = binary(300, &zlib(AUDIT.as_bytes()), 300);
        data[..4].copy_from_slice(b"PK\x03\x04");
        assert!(run(&data).expect("ok").is_empty());
        assert!(run(&binary(3000, b"", 3000)).expect("ok").is_empty());
        assert!(run(b"\x7f").expect("ok").is_empty());
        assert!(!BINARY.wants(&FileInfo {
            path: "a",
            size: 100,
            executable: true
        }));
        assert!(BINARY.wants(&info(1 << 20)));
    }

    #[test]
    fn audit_data_at_the_very_end_is_found() {
        let data = binary(5000, &zlib(AUDIT.as_bytes()), 0);
        assert_eq!(names(&run(&data).expect("parses")), expected());
    }

    #[test]
    fn corrupt_audit_data_is_a_skip() {
        let not_json = zlib(br#"{"packages":[{"name": nope}]}"#);
        assert!(skip_of(run(&binary(100, &not_json, 100))).contains("JSON"));
        let mut full = zlib(AUDIT.as_bytes());
        full.truncate(full.len() / 2);
        assert!(skip_of(run(&binary(100, &full, 0))).contains("truncated"));
        // Valid start, then corrupt deflate data: a stored block whose length check fails.
        let mut bad = zlib(AUDIT.as_bytes());
        let n = bad.len();
        bad[n / 2..].fill(0xff);
        let m = skip_of(run(&binary(100, &bad, 2000)));
        assert!(
            m.contains("inflate") || m.contains("JSON") || m.contains("truncated"),
            "{m}"
        );
    }

    #[test]
    fn a_zlib_bomb_stops_at_the_cap() {
        let mut json = PREFIX.to_vec();
        json.resize(12 << 20, b' ');
        json.extend(b"]}");
        let bomb = zlib(&json);
        assert!(bomb.len() < 100 << 10);
        let data = binary(100, &bomb, 100);
        let mut scan = AuditableScan::new();
        pump(&mut &data[..], |c| scan.feed(c)).expect("reads");
        assert!(matches!(&scan.state, State::Inflated(Err(m)) if m.contains("8 MiB")));
        assert!(skip_of(scan.finish("x")).contains("over 8 MiB"));
    }

    #[test]
    fn memory_stays_bounded_while_searching() {
        let data = binary(4 << 20, b"", 0);
        let mut scan = AuditableScan::new();
        pump(&mut &data[..], |c| scan.feed(c)).expect("reads");
        assert!(
            scan.peak <= crate::lang::golang::CHUNK + TRIAL_INPUT,
            "{}",
            scan.peak
        );
        assert!(scan.finish("x").expect("ok").is_empty());
    }

    #[test]
    fn stops_reading_once_inflated() {
        let data = binary(100, &zlib(AUDIT.as_bytes()), 1 << 20);
        let mut r = &data[..];
        let mut scan = AuditableScan::new();
        pump(&mut r, |c| scan.feed(c)).expect("reads");
        assert_eq!(r.len(), data.len() - crate::lang::golang::CHUNK);
        assert_eq!(names(&scan.finish("x").expect("ok")), expected());
    }

    /// The lang-fixtures image's `cargo auditable` binary (see the shared image scripts'
    /// `build_rust_fixture`: smallvec =1.6.0, regex =1.5.4, time =0.1.43), when it was built
    /// on this machine.
    #[test]
    fn real_auditable_binary_if_built() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../.work/shared-images/work/rustfix/rust-fixture"
        );
        let Ok(mut f) = std::fs::File::open(path) else {
            eprintln!("{path} is not built; skipping the real-binary check");
            return;
        };
        let pkgs = BINARY
            .analyze(&info(1 << 20), &mut f)
            .expect("audit data parses");
        let got = names(&pkgs);
        for want in [
            ("rust-fixture", "0.1.0"),
            ("smallvec", "1.6.0"),
            ("regex", "1.5.4"),
            ("time", "0.1.43"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} missing from {got:?}"
            );
        }
    }

    const LOCK_V1: &str = r#"
[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "libc 0.2.80 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "libc"
version = "0.2.80"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum libc 0.2.80 (registry+https://github.com/rust-lang/crates.io-index)" = "4d58d1b70b004888f764dfbf6a26a3b0342a1632d33968e4a179d8011c760614"
"#;

    const LOCK_ROOT: &str = r#"
[root]
name = "old"
version = "0.0.1"
dependencies = ["libc 0.2.0 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "libc"
version = "0.2.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    const LOCK_V4: &str = r#"# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "serde",
]

[[package]]
name = "helper"
version = "0.2.0"

[[package]]
name = "serde"
version = "1.0.210"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "c8e3592472072e6e22e0a54d5904d9febf8508f65fb8552499a1abc7d1078c3a"

[[package]]
name = "git-dep"
version = "0.5.0"
source = "git+https://github.com/example/git-dep?rev=abc#abc"
"#;

    fn lock(text: &str) -> Result<Vec<Package>, AnalyzeError> {
        let file = FileInfo {
            path: "src/app/Cargo.lock",
            size: text.len() as u64,
            executable: false,
        };
        assert!(CARGO_LOCK.wants(&file));
        CARGO_LOCK.analyze(&file, &mut text.as_bytes())
    }

    #[test]
    fn lockfiles_of_every_format() {
        assert_eq!(
            names(&lock(LOCK_V1).expect("v1")),
            pairs(&[("app", "0.1.0"), ("libc", "0.2.80")])
        );
        assert_eq!(
            names(&lock(LOCK_ROOT).expect("root")),
            pairs(&[("old", "0.0.1"), ("libc", "0.2.0")])
        );
        let v4 = lock(LOCK_V4).expect("v4");
        assert_eq!(
            names(&v4),
            pairs(&[
                ("app", "0.1.0"),
                ("helper", "0.2.0"),
                ("serde", "1.0.210"),
                ("git-dep", "0.5.0"),
            ])
        );
        assert_eq!(v4[0].kind, PackageType::of(&types::CARGO));
        assert_eq!(v4[0].path, "src/app/Cargo.lock");
        // Version 3 differs from 4 only in its `version` line and escaping rules.
        let v3 = LOCK_V4.replace("version = 4", "version = 3");
        assert_eq!(names(&lock(&v3).expect("v3")), names(&v4));
        let v2 = LOCK_V4.replace("version = 4\n", "");
        assert_eq!(names(&lock(&v2).expect("v2")), names(&v4));
        assert!(lock("").expect("empty").is_empty());
    }

    #[test]
    fn bad_lockfiles_are_skips() {
        assert!(skip_of(lock("[[package]]\nname = 3\n")).contains("not a valid lockfile"));
        assert!(skip_of(lock("[[package]\n")).contains("not a valid lockfile"));
        let file = FileInfo {
            path: "Cargo.lock",
            size: 3,
            executable: false,
        };
        assert!(skip_of(CARGO_LOCK.analyze(&file, &mut &b"\xff\xfe\n"[..])).contains("UTF-8"));
        assert!(!CARGO_LOCK.wants(&FileInfo {
            path: "src/NotCargo.lock",
            size: 3,
            executable: false
        }));
    }

    /// This workspace's own lockfile: its crates (no `source`) and its registry dependencies.
    #[test]
    fn this_workspace_lockfile() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock");
        let text = std::fs::read_to_string(path).expect("the workspace has a lockfile");
        let got = names(&lock(&text).expect("parses"));
        assert!(got.iter().any(|(n, _)| n == "palisade-inventory"));
        assert!(got.iter().any(|(n, _)| n == "serde_json"));
        assert!(got.iter().any(|(n, _)| n == "flate2"));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_are_ok_or_skip(
            elf in any::<bool>(),
            body in proptest::collection::vec(any::<u8>(), 0..4096),
        ) {
            let data = if elf { [b"\x7fELF".as_slice(), &body].concat() } else { body };
            prop_assert!(!matches!(run(&data), Err(AnalyzeError::Io(_))));
        }

        #[test]
        fn garbage_after_the_prefix_is_ok_or_skip(
            tail in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            // A stream that passes the trial, then arbitrary compressed bytes.
            let mut z = zlib(AUDIT.as_bytes());
            z.truncate(trial_len(&z));
            z.extend(tail);
            prop_assert!(!matches!(run(&binary(50, &z, 0)), Err(AnalyzeError::Io(_))));
        }

        #[test]
        fn audit_data_split_across_reads_is_found(
            pad in 0usize..5000,
            tail in 0usize..3000,
            sizes in proptest::collection::vec(1usize..8, 1..16),
        ) {
            let data = binary(pad, &zlib(AUDIT.as_bytes()), tail);
            let mut r = Dribble { data: &data, sizes, k: 0 };
            let pkgs = BINARY.analyze(&info(data.len()), &mut r).expect("parses");
            prop_assert_eq!(names(&pkgs), expected());
        }

        #[test]
        fn truncated_audit_data_is_a_skip(
            cut in 0.0f64..1.0,
            sizes in proptest::collection::vec(1usize..8, 1..8),
        ) {
            let z = zlib(AUDIT.as_bytes());
            let min = trial_len(&z);
            let cut = min + ((z.len() - 1 - min) as f64 * cut) as usize;
            let data = binary(100, &z[..cut], 0);
            let mut r = Dribble { data: &data, sizes, k: 0 };
            match BINARY.analyze(&info(data.len()), &mut r) {
                Err(AnalyzeError::Skip(m)) => prop_assert!(m.contains("truncated"), "{}", m),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
