//! Go binaries: the module list the Go linker embeds in every executable it builds, the data
//! `go version -m` prints.
//!
//! The linker writes a small record into the `.go.buildinfo` section (`__go_buildinfo` in
//! Mach-O, the start of `.data` in PE): a 32-byte header starting with the magic
//! `\xff Go buildinf:`, the pointer size and a flags byte, then, since Go 1.18 ("inline"
//! format, flag `0x2`), two strings each prefixed by its unsigned-varint length: the toolchain
//! version (`go1.19.8`) and the module information, framed by 16-byte sentinels and made of
//! tab-separated lines (`path`, `mod`, `dep`, `=>`, `build`).
//!
//! Binaries stream past once, inside a compressed layer, and can be hundreds of MiB, so the
//! section cannot be located through the section headers (which may come after it, and seeking
//! is impossible). Instead [`BuildInfoScan`] looks for the magic in a window that slides over
//! the stream, carrying the last 13 bytes between reads so a magic split across two reads is
//! still seen. The record is 16-byte aligned in the file (the section is 16-byte aligned and
//! ELF, Mach-O and PE keep file offsets congruent to addresses at that granularity), which,
//! with the header checks, rejects the copies of the magic that tools reading build info
//! (`go`, `govulncheck`, Trivy itself) carry as a string constant.
//!
//! The helpers for recognising executables and pumping a stream ([`is_executable_format`],
//! [`pump`]) are shared with the Rust binary analyzer.

use std::io::{self, Read};

use memchr::memmem;
use palisade_ecosystem::{PackageType, types};

use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package};

/// The analyzer of Go executables (Trivy's `gobinary`).
pub struct GoBinary;

/// The registered instance.
pub static BINARY: GoBinary = GoBinary;

/// Files this small cannot be a Go binary (the smallest are over 1 MiB); skipping them keeps
/// shell wrappers and tiny helpers away from the scanner.
const MIN_BINARY_SIZE: u64 = 1024;

/// Bytes asked of the stream per read. Large enough that the per-read overhead vanishes, small
/// enough to be a negligible part of the memory bound.
pub(crate) const CHUNK: usize = 64 << 10;

/// Start of the build info record.
const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Header length: magic, pointer size, flags, then 16 bytes that held two pointers before the
/// inline format and are padding since.
const HEADER_LEN: usize = 32;
/// Alignment of the record in the file.
const ALIGN: u64 = 16;
/// Flags bit: the strings follow the header (Go ≥ 1.18) instead of being pointed to.
const FLAG_INLINE: u8 = 0x2;
/// Flags bits defined by the linker (the other one is big-endian); any other set bit means the
/// bytes are not a header.
const FLAGS_KNOWN: u8 = 0x3;
/// Longest string accepted. Real module information of the largest binaries (Kubernetes) is
/// a few hundred KiB; the bound keeps a corrupt length from buffering the whole binary.
const MAX_STRING: u64 = 1 << 20;
/// Longest unsigned varint of a `u64`.
const MAX_VARINT_LEN: usize = 10;
/// Length of each sentinel around the module information.
const SENTINEL_LEN: usize = 16;

/// Warning for Go ≤ 1.17 binaries, whose strings are behind pointers into the data segment,
/// which a single forward pass cannot follow reliably.
const POINTER_FORMAT: &str = "Go build info in pre-1.18 pointer format is not supported";

impl FileAnalyzer for GoBinary {
    fn name(&self) -> &'static str {
        "gobinary"
    }

    fn version(&self) -> u32 {
        2
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        wants_binary(file)
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let mut scan = BuildInfoScan::new();
        pump(content, |chunk| scan.feed(chunk))?;
        scan.finish(file.path)
    }
}

/// Executables worth scanning: over [`MIN_BINARY_SIZE`], or of unknown size. The walker asks
/// with size 0 whether a path listed by dpkg would be analysed (to attribute it to the OS
/// package); a real empty file costs nothing, its first read ends the scan.
pub(crate) fn wants_binary(file: &FileInfo<'_>) -> bool {
    file.executable && (file.size > MIN_BINARY_SIZE || file.size == 0)
}

/// Whether `head` (the first four bytes of a file) starts an ELF, Mach-O (thin or universal)
/// or PE executable: other files are left alone without scanning them.
pub(crate) fn is_executable_format(head: &[u8; 4]) -> bool {
    const MACHO: [[u8; 4]; 6] = [
        [0xfe, 0xed, 0xfa, 0xce],
        [0xfe, 0xed, 0xfa, 0xcf],
        [0xce, 0xfa, 0xed, 0xfe],
        [0xcf, 0xfa, 0xed, 0xfe],
        [0xca, 0xfe, 0xba, 0xbe],
        [0xca, 0xfe, 0xba, 0xbf],
    ];
    head == b"\x7fELF" || head.starts_with(b"MZ") || MACHO.contains(head)
}

/// Collects a file's first four bytes, whichever reads they arrive in, to decide whether it is
/// an executable at all.
#[derive(Default)]
pub(crate) struct Sniff {
    head: [u8; 4],
    len: usize,
}

impl Sniff {
    /// Takes the next bytes of the file; `Some` once the decision is made (on every call after
    /// that too).
    pub(crate) fn push(&mut self, data: &[u8]) -> Option<bool> {
        let take = (self.head.len() - self.len).min(data.len());
        self.head[self.len..self.len + take].copy_from_slice(&data[..take]);
        self.len += take;
        (self.len == self.head.len()).then(|| is_executable_format(&self.head))
    }

    /// Whether enough bytes arrived to decide.
    pub(crate) fn decided(&self) -> bool {
        self.len == self.head.len()
    }
}

/// Reads `content` in [`CHUNK`]s and hands each to `feed` until `feed` says it needs no more
/// (returns `true`) or the stream ends. The caller's scanner decides what to keep, so at most
/// one chunk is held here.
pub(crate) fn pump(content: &mut dyn Read, mut feed: impl FnMut(&[u8]) -> bool) -> io::Result<()> {
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match content.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if feed(&chunk[..n]) {
            return Ok(());
        }
    }
}

/// A Go build info record, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BuildInfo {
    /// Toolchain version as the binary writes it, e.g. `go1.19.8`.
    go_version: String,
    /// Module information without its sentinels; empty for binaries built outside a module.
    modinfo: String,
}

/// How a scan ended.
#[derive(Debug)]
enum Outcome {
    /// The file is not an executable: nothing to read.
    NotExecutable,
    /// A pre-1.18 record.
    PointerFormat,
    /// The record.
    Found(BuildInfo),
}

/// What the bytes at one occurrence of the magic turned out to be.
enum Candidate {
    /// A complete record.
    Found(BuildInfo),
    /// Looks like a record so far; more bytes are needed to know.
    NeedMore,
    /// The header is not one the linker writes: a copy of the magic in some other data.
    NotHeader,
    /// A pre-1.18 record.
    PointerFormat,
    /// A valid header followed by data that cannot be a record.
    Corrupt(String),
}

/// Incremental search for the Go build info record in a stream: [`feed`](Self::feed) it the
/// file's bytes in any pieces, then [`finish`](Self::finish).
///
/// Memory is bounded by one fed piece, plus, while a candidate record is being completed, the
/// record itself, whose strings are bounded by [`MAX_STRING`]: about 2 MiB in the worst case,
/// 13 bytes of carry otherwise.
pub struct BuildInfoScan {
    sniff: Sniff,
    finder: memmem::Finder<'static>,
    /// Bytes not yet ruled out: the carry of the previous pieces and the current piece.
    buf: Vec<u8>,
    /// File offset of `buf[0]`, for the alignment test.
    base: u64,
    /// Where in `buf` the search resumes: bytes before it hold no candidate.
    from: usize,
    outcome: Option<Outcome>,
    /// Why the last well-headed candidate was rejected; reported if no record is found.
    corrupt: Option<String>,
    /// Largest `buf` seen, to test the memory bound.
    peak: usize,
}

impl Default for BuildInfoScan {
    fn default() -> Self {
        Self::new()
    }
}

impl BuildInfoScan {
    /// A scan at the start of a file.
    pub fn new() -> Self {
        BuildInfoScan {
            sniff: Sniff::default(),
            finder: memmem::Finder::new(MAGIC),
            buf: Vec::new(),
            base: 0,
            from: 0,
            outcome: None,
            corrupt: None,
            peak: 0,
        }
    }

    /// Takes the next bytes of the file. Returns `true` once the scan needs no more (the record
    /// was found, or the file is not an executable): the caller should stop reading.
    pub fn feed(&mut self, data: &[u8]) -> bool {
        if self.outcome.is_some() {
            return true;
        }
        if self.sniff.push(data) == Some(false) {
            self.finish_with(Outcome::NotExecutable);
            return true;
        }
        self.buf.extend_from_slice(data);
        self.peak = self.peak.max(self.buf.len());
        self.search(false)
    }

    /// The packages the binary names, once the stream has ended (or [`feed`](Self::feed) said
    /// it needs no more). Files without a record give none; a record that cannot be read gives
    /// a skip saying why.
    pub fn finish(mut self, path: &str) -> Result<Vec<Package>, AnalyzeError> {
        if self.outcome.is_none() && self.sniff.decided() {
            self.search(true);
        }
        match self.outcome {
            None | Some(Outcome::NotExecutable) => match self.corrupt {
                Some(why) => Err(AnalyzeError::skip(format!("corrupt Go build info: {why}"))),
                None => Ok(Vec::new()),
            },
            Some(Outcome::PointerFormat) => Err(AnalyzeError::skip(POINTER_FORMAT)),
            Some(Outcome::Found(info)) => Ok(packages(&info, path)),
        }
    }

    fn finish_with(&mut self, outcome: Outcome) {
        self.outcome = Some(outcome);
        self.buf = Vec::new();
    }

    /// Examines every occurrence of the magic in `buf`; keeps only what a later piece may still
    /// need. `eof`: no more bytes will come, so an incomplete candidate is truncated.
    fn search(&mut self, eof: bool) -> bool {
        loop {
            let Some(rel) = self.finder.find(&self.buf[self.from..]) else {
                // Nothing here; a magic may still start in the last 13 bytes.
                let keep = self
                    .buf
                    .len()
                    .saturating_sub(MAGIC.len() - 1)
                    .max(self.from);
                self.discard(keep);
                return false;
            };
            let at = self.from + rel;
            if !(self.base + at as u64).is_multiple_of(ALIGN) {
                self.from = at + 1;
                continue;
            }
            match parse_candidate(&self.buf[at..]) {
                Candidate::Found(info) => {
                    self.finish_with(Outcome::Found(info));
                    return true;
                }
                Candidate::PointerFormat => {
                    self.finish_with(Outcome::PointerFormat);
                    return true;
                }
                Candidate::NeedMore if eof => {
                    self.corrupt = Some("the record is truncated".to_string());
                    self.from = at + 1;
                }
                Candidate::NeedMore => {
                    self.discard(at);
                    return false;
                }
                Candidate::NotHeader => self.from = at + 1,
                Candidate::Corrupt(why) => {
                    self.corrupt = Some(why);
                    self.from = at + 1;
                }
            }
        }
    }

    /// Drops `buf[..n]`, which holds no candidate.
    fn discard(&mut self, n: usize) {
        self.buf.drain(..n);
        self.base += n as u64;
        self.from = 0;
    }
}

/// Reads the record starting at `b` (which starts with the magic).
fn parse_candidate(b: &[u8]) -> Candidate {
    let Some(header) = b.get(..HEADER_LEN) else {
        return Candidate::NeedMore;
    };
    let (ptr_size, flags) = (header[MAGIC.len()], header[MAGIC.len() + 1]);
    if !matches!(ptr_size, 4 | 8) || flags & !FLAGS_KNOWN != 0 {
        return Candidate::NotHeader;
    }
    if flags & FLAG_INLINE == 0 {
        return Candidate::PointerFormat;
    }
    let mut rest = &b[HEADER_LEN..];
    let version = match take_string(&mut rest) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let modinfo = match take_string(&mut rest) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let Ok(version) = std::str::from_utf8(version) else {
        return Candidate::Corrupt("the Go version is not UTF-8".to_string());
    };
    // Release toolchains write `go1.x[.y]`, development ones `devel go1.x-…`.
    if !(version.starts_with("go") || version.starts_with("devel")) {
        return Candidate::Corrupt(format!("{version:?} is not a Go version"));
    }
    match unframe(modinfo) {
        Ok(modinfo) => Candidate::Found(BuildInfo {
            go_version: version.to_string(),
            modinfo: modinfo.to_string(),
        }),
        Err(why) => Candidate::Corrupt(why.to_string()),
    }
}

/// Takes one varint-length-prefixed string off the front of `rest`.
fn take_string<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], Candidate> {
    let (len, used) = uvarint(rest)?;
    if len > MAX_STRING {
        return Err(Candidate::Corrupt(format!(
            "a string claims {len} bytes, over the {} MiB limit",
            MAX_STRING >> 20
        )));
    }
    // Bounded by MAX_STRING just above, so it fits any usize of a supported platform.
    let len = len as usize;
    let Some(s) = rest.get(used..used + len) else {
        return Err(Candidate::NeedMore);
    };
    *rest = &rest[used + len..];
    Ok(s)
}

/// Decodes an unsigned LEB128 varint (Go's `binary.Uvarint`): the value and its length.
fn uvarint(b: &[u8]) -> Result<(u64, usize), Candidate> {
    let mut value = 0u64;
    for (i, &byte) in b.iter().enumerate() {
        if i == MAX_VARINT_LEN || (i == MAX_VARINT_LEN - 1 && byte > 1) {
            return Err(Candidate::Corrupt(
                "a string length is not a valid varint".to_string(),
            ));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(Candidate::NeedMore)
}

/// Strips the sentinels the linker puts around the module information (so the runtime can
/// find it) and checks the text inside. The closing sentinel follows the text's final newline.
fn unframe(raw: &[u8]) -> Result<&str, &'static str> {
    if raw.is_empty() {
        return Ok("");
    }
    if raw.len() <= 2 * SENTINEL_LEN || raw[raw.len() - SENTINEL_LEN - 1] != b'\n' {
        return Err("the module information is not framed as the Go linker writes it");
    }
    std::str::from_utf8(&raw[SENTINEL_LEN..raw.len() - SENTINEL_LEN])
        .map_err(|_| "the module information is not UTF-8")
}

/// The version `go build` writes for modules built from a directory (the main module of a
/// checkout, a local replacement) rather than from a versioned module.
const DEVEL: &str = "(devel)";

/// One module line: `mod` (the main module) or `dep`.
struct Module<'a> {
    main: bool,
    path: &'a str,
    version: &'a str,
}

/// The packages of a record: the main module if it has a real version, every dependency
/// (replaced by its replacement when that has a version; a local directory replacement has
/// only `(devel)`, and the original requirement is then the better name for what was built),
/// and the standard library at the toolchain's version.
fn packages(info: &BuildInfo, path: &str) -> Vec<Package> {
    let kind = PackageType::of(&types::GOBINARY);
    let mut modules: Vec<Module<'_>> = Vec::new();
    // A `=>` line replaces the module line right before it, and only that.
    let mut replaceable = false;
    for line in info.modinfo.lines() {
        let mut fields = line.split('\t');
        let word = fields.next().unwrap_or_default();
        let mod_path = fields.next().unwrap_or_default();
        let version = fields.next().unwrap_or_default();
        match word {
            "mod" | "dep" => {
                modules.push(Module {
                    main: word == "mod",
                    path: mod_path,
                    version,
                });
                replaceable = true;
                continue;
            }
            "=>" if replaceable && !version.is_empty() && version != DEVEL => {
                if let Some(m) = modules.last_mut() {
                    m.path = mod_path;
                    m.version = version;
                }
            }
            _ => {}
        }
        replaceable = false;
    }
    let mut out = Vec::new();
    for m in &modules {
        if m.path.is_empty() {
            // Old toolchains list a pathless `(devel)` dependency for the main module.
            continue;
        }
        if m.main {
            // `go build` of a checkout stamps `(devel)`; a release build usually sets its version
            // with `-ldflags "-X main.version=…"`, which Trivy and Syft read too. Without
            // either there is no version to match, and the module is left out.
            let version = if m.version.is_empty() || m.version == DEVEL {
                ldflags_version(&info.modinfo)
            } else {
                Some(m.version)
            };
            if let Some(v) = version {
                out.push(Package::lang(kind, m.path, v, path));
            }
        } else {
            // As Trivy: a dependency without a usable version is still listed, unversioned.
            let version = if m.version == DEVEL { "" } else { m.version };
            out.push(Package::lang(kind, m.path, version, path));
        }
    }
    if let Some(v) = stdlib_version(&info.go_version) {
        out.push(Package::lang(kind, "stdlib", &v, path));
    }
    out
}

/// The version a release build stamped into its main package with the linker:
/// `build -ldflags="-s -w -X main.version=0.1.0"` → `0.1.0`. Only `main.version`,
/// `main.Version` and `main.VERSION` count: other `-X` settings are arbitrary strings.
fn ldflags_version(modinfo: &str) -> Option<&str> {
    let flags = modinfo
        .lines()
        .find_map(|l| l.strip_prefix("build\t-ldflags="))?;
    let flags = flags.trim().trim_matches(['"', '\'']);
    let mut words = flags.split_whitespace();
    while let Some(w) = words.next() {
        let setting = match w.strip_prefix("-X") {
            Some("") => words.next()?,
            Some(rest) => rest.trim_start_matches('='),
            None => continue,
        };
        if let Some((key, value)) = setting.split_once('=')
            && matches!(key, "main.version" | "main.Version" | "main.VERSION")
            && !value.is_empty()
        {
            return Some(value.trim_matches(['"', '\'']));
        }
    }
    None
}

/// The standard library's version from the toolchain's, in the SemVer form Go's vulnerability
/// database uses: `go1.19.8` → `1.19.8`, `go1.21rc2` → `1.21.0-rc.2`, dropping the
/// ` X:boringcrypto`-style experiment suffix. Development toolchains (`devel go1.23-abc…`)
/// have no release version to match advisories against.
fn stdlib_version(go_version: &str) -> Option<String> {
    // With a `v`, as Go writes module versions and as Trivy reports `stdlib`.
    palisade_version::go_toolchain_semver(go_version).map(|v| format!("v{v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_module_version_from_ldflags() {
        let m = "path\tx\nmod\tx\t(devel)\t\nbuild\t-ldflags=\"-s -w -X main.version=0.1.0\"\n";
        assert_eq!(ldflags_version(m), Some("0.1.0"));
        assert_eq!(
            ldflags_version("build\t-ldflags=\"-X=main.Version=v2\"\n"),
            Some("v2")
        );
        assert_eq!(
            ldflags_version("build\t-ldflags=\"-X main.commit=abc\"\n"),
            None
        );
        assert_eq!(ldflags_version("build\t-ldflags=-X\n"), None);
        assert_eq!(ldflags_version("mod\tx\t(devel)\n"), None);
    }
    use proptest::prelude::*;

    /// Test sentinels: any 16 bytes do; these are not UTF-8, like the linker's.
    const OPEN: [u8; SENTINEL_LEN] = [0xa5; SENTINEL_LEN];
    const CLOSE: [u8; SENTINEL_LEN] = [0x5a | 0x80; SENTINEL_LEN];

    fn put_uvarint(mut n: u64, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// An inline-format record as the Go ≥ 1.18 linker lays it out, with the module
    /// information framed by sentinels unless empty.
    fn record(go_version: &str, modinfo: &str) -> Vec<u8> {
        let framed = if modinfo.is_empty() {
            Vec::new()
        } else {
            [&OPEN[..], modinfo.as_bytes(), &CLOSE[..]].concat()
        };
        record_raw(go_version.as_bytes(), &framed)
    }

    /// A record with the two strings exactly as given.
    fn record_raw(go_version: &[u8], modinfo: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([8, FLAG_INLINE]);
        out.resize(HEADER_LEN, 0);
        put_uvarint(go_version.len() as u64, &mut out);
        out.extend(go_version);
        put_uvarint(modinfo.len() as u64, &mut out);
        out.extend(modinfo);
        out
    }

    /// Deterministic filler (xorshift), so tests need no RNG crate.
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

    /// An ELF-looking file: header, `pad` filler bytes (rounded up so the record is aligned),
    /// the record, then trailing filler.
    fn binary(pad: usize, rec: &[u8], tail: usize) -> Vec<u8> {
        let mut out = b"\x7fELF\x02\x01\x01".to_vec();
        out.extend(filler(pad as u64 + 7, pad));
        out.resize(out.len().next_multiple_of(ALIGN as usize), 0);
        out.extend(rec);
        out.extend(filler(tail as u64 + 3, tail));
        out
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

    fn run(data: &[u8]) -> Result<Vec<Package>, AnalyzeError> {
        BINARY.analyze(&info(data.len()), &mut &data[..])
    }

    fn info(size: usize) -> FileInfo<'static> {
        FileInfo {
            path: "usr/local/bin/app",
            size: size as u64,
            executable: true,
        }
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

    const MODINFO: &str = "path\texample.com/app/cmd/app\n\
        mod\texample.com/app\tv1.4.0\th1:abc=\n\
        dep\tgolang.org/x/text\tv0.3.7\th1:def=\n\
        dep\tgithub.com/old/name\tv1.0.0\n\
        =>\tgithub.com/new/name\tv1.2.0\th1:ghi=\n\
        dep\texample.com/local\tv0.1.0\n\
        =>\t../local\t(devel)\t\n\
        build\t-compiler=gc\n\
        build\tGOOS=linux\n";

    fn expected() -> Vec<(String, String)> {
        pairs(&[
            ("example.com/app", "v1.4.0"),
            ("golang.org/x/text", "v0.3.7"),
            ("github.com/new/name", "v1.2.0"),
            ("example.com/local", "v0.1.0"),
            ("stdlib", "v1.21.5"),
        ])
    }

    #[test]
    fn reads_modules_replacements_and_stdlib() {
        let data = binary(5000, &record("go1.21.5", MODINFO), 3000);
        let pkgs = run(&data).expect("parses");
        assert_eq!(names(&pkgs), expected());
        let p = &pkgs[0];
        assert_eq!(p.kind, PackageType::of(&types::GOBINARY));
        assert_eq!(p.path, "usr/local/bin/app");
    }

    #[test]
    fn devel_main_module_and_experiments() {
        let m = "path\tx/cmd\nmod\tx\t(devel)\t\ndep\ty\tv1.0.0\th1:x=\n";
        let data = binary(100, &record("go1.22.1 X:boringcrypto", m), 10);
        assert_eq!(
            names(&run(&data).expect("parses")),
            pairs(&[("y", "v1.0.0"), ("stdlib", "v1.22.1")])
        );
        // No module information at all (GOPATH builds): the standard library only.
        let data = binary(100, &record("go1.19.8", ""), 10);
        assert_eq!(
            names(&run(&data).expect("parses")),
            pairs(&[("stdlib", "v1.19.8")])
        );
        // A development toolchain has no release version for the standard library.
        let data = binary(100, &record("devel go1.23-abc123 Tue", m), 10);
        assert_eq!(
            names(&run(&data).expect("parses")),
            pairs(&[("y", "v1.0.0")])
        );
    }

    /// The module information `go build` (go1.19.8) wrote for a module requiring
    /// `example.com/dep v1.2.3` replaced by the local directory `./dep`, byte for byte.
    #[test]
    fn local_replacement_as_go_writes_it() {
        let m = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n\
            dep\texample.com/dep\tv1.2.3\n=>\t./dep\t(devel)\t\n\n\
            build\t-compiler=gc\nbuild\tCGO_ENABLED=1\nbuild\tGOAMD64=v1\n";
        let data = binary(4000, &record("go1.19.8", m), 100);
        assert_eq!(
            names(&run(&data).expect("parses")),
            pairs(&[("example.com/dep", "v1.2.3"), ("stdlib", "v1.19.8")])
        );
    }

    #[test]
    fn non_executables_and_small_files_are_ignored() {
        let mut data = binary(100, &record("go1.21.5", MODINFO), 10);
        data[..4].copy_from_slice(b"#!/b");
        assert!(run(&data).expect("ok").is_empty());
        assert!(run(b"\x7fE").expect("ok").is_empty());
        assert!(!BINARY.wants(&FileInfo {
            path: "a",
            size: 500,
            executable: true
        }));
        assert!(!BINARY.wants(&FileInfo {
            path: "a",
            size: 1 << 20,
            executable: false
        }));
        assert!(BINARY.wants(&info(1 << 20)));
        // The walker's probe for paths an OS package owns.
        assert!(BINARY.wants(&info(0)));
    }

    #[test]
    fn pointer_format_is_a_skip() {
        let mut rec = MAGIC.to_vec();
        rec.extend([8, 0]);
        rec.resize(HEADER_LEN, 0x11);
        let data = binary(64, &rec, 200);
        match run(&data) {
            Err(AnalyzeError::Skip(m)) => assert!(m.contains("pre-1.18"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn misaligned_or_foreign_magic_is_not_a_record() {
        // A string constant holding the magic (as in tools that read build info), unaligned,
        // then one aligned but followed by text: neither hides the real record after them.
        let mut data = b"\x7fELF".to_vec();
        data.extend(filler(1, 33));
        data.extend(MAGIC);
        data.extend(b"unexpected EOF");
        data.resize(data.len().next_multiple_of(16), 0);
        data.extend(MAGIC);
        data.extend(b"reading buildinfo");
        data.resize(data.len().next_multiple_of(16), 0);
        data.extend(record("go1.21.5", MODINFO));
        assert_eq!(names(&run(&data).expect("parses")), expected());
    }

    #[test]
    fn corrupt_records_are_skips() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("varint", {
                let mut r = record("go1.21.5", "");
                r.truncate(HEADER_LEN);
                r.extend([0xff; 11]);
                r
            }),
            ("limit", {
                let mut r = record("go1.21.5", "");
                r.truncate(HEADER_LEN);
                put_uvarint(MAX_STRING + 1, &mut r);
                r
            }),
            ("UTF-8", record_raw(b"go1.\xff", b"")),
            (
                "UTF-8",
                record_raw(
                    b"go1.21.5",
                    &[&OPEN[..], b"mod\t\xff\n", &CLOSE[..]].concat(),
                ),
            ),
            ("not a Go version", record("hello", "")),
            ("framed", record_raw(b"go1.21.5", b"abc")),
            ("framed", record_raw(b"go1.21.5", &[0x20; 40])),
        ];
        for (want, rec) in cases {
            let data = binary(32, &rec, 0);
            match run(&data) {
                Err(AnalyzeError::Skip(m)) => assert!(m.contains(want), "{want}: {m}"),
                other => panic!("{want}: {other:?}"),
            }
        }
    }

    #[test]
    fn memory_stays_bounded_without_a_record() {
        // Many aligned magics with corrupt data, in a few MiB of filler.
        let mut data = b"\x7fELF".to_vec();
        for i in 0..64 {
            data.extend(filler(i, 65_000));
            data.resize(data.len().next_multiple_of(16), 0);
            data.extend(MAGIC);
            data.extend([8, FLAG_INLINE]);
            data.extend([0; 16]);
            put_uvarint(MAX_STRING - 1, &mut data);
        }
        let mut scan = BuildInfoScan::new();
        pump(&mut &data[..], |c| scan.feed(c)).expect("reads");
        assert!(
            scan.peak <= CHUNK + 2 * (MAX_STRING as usize) + 64,
            "{}",
            scan.peak
        );
        assert!(matches!(
            scan.finish("x"),
            Err(AnalyzeError::Skip(m)) if m.contains("corrupt")
        ));
        // Without any magic, only the carry survives between pieces.
        let plain = [b"\x7fELF".to_vec(), filler(9, 3 << 20)].concat();
        let mut scan = BuildInfoScan::new();
        pump(&mut &plain[..], |c| scan.feed(c)).expect("reads");
        assert!(scan.peak <= CHUNK + MAGIC.len(), "{}", scan.peak);
        assert!(scan.finish("x").expect("ok").is_empty());
    }

    #[test]
    fn stops_reading_once_found() {
        let data = binary(100, &record("go1.21.5", MODINFO), 1 << 20);
        let mut r = &data[..];
        let mut scan = BuildInfoScan::new();
        pump(&mut r, |c| scan.feed(c)).expect("reads");
        // Only the first chunk was read.
        assert_eq!(r.len(), data.len() - CHUNK);
        assert_eq!(names(&scan.finish("x").expect("ok")), expected());
    }

    /// `go version -m /usr/bin/docker-registry` on the Debian 12 build of the registry
    /// (docker-registry 2.8.2+ds1-1+b4), a GOPATH-style build without module information:
    /// ```text
    /// /usr/bin/docker-registry: go1.19.8
    ///         path    github.com/docker/distribution/cmd/registry
    ///         build   -compiler=gc
    ///         build   -trimpath=true
    ///         build   CGO_ENABLED=1
    ///         build   GOARCH=amd64
    ///         build   GOOS=linux
    ///         build   GOAMD64=v1
    /// ```
    /// so its only package is the standard library.
    #[test]
    fn real_debian_go_binary() {
        let path = "/usr/bin/docker-registry";
        let Ok(mut f) = std::fs::File::open(path) else {
            eprintln!("{path} is not installed; skipping the real-binary check");
            return;
        };
        let size = f.metadata().expect("metadata").len();
        let file = FileInfo {
            path: "usr/bin/docker-registry",
            size,
            executable: true,
        };
        assert!(BINARY.wants(&file));
        let mut scan = BuildInfoScan::new();
        pump(&mut f, |c| scan.feed(c)).expect("reads");
        assert!(scan.peak <= CHUNK + MAGIC.len(), "{}", scan.peak);
        let Some(Outcome::Found(found)) = &scan.outcome else {
            panic!("no build info in {path}: {:?}", scan.outcome);
        };
        assert_eq!(found.go_version, "go1.19.8");
        assert!(
            found
                .modinfo
                .starts_with("path\tgithub.com/docker/distribution/cmd/registry\n")
        );
        assert!(found.modinfo.contains("build\tGOAMD64=v1\n"));
        let pkgs = scan.finish(file.path).expect("parses");
        assert_eq!(names(&pkgs), pairs(&[("stdlib", "v1.19.8")]));
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
        fn garbage_after_a_header_is_ok_or_skip(
            body in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let mut rec = MAGIC.to_vec();
            rec.extend([8, FLAG_INLINE]);
            rec.resize(HEADER_LEN, 0);
            rec.extend(body);
            let r = run(&binary(16, &rec, 0));
            prop_assert!(!matches!(r, Err(AnalyzeError::Io(_))));
        }

        #[test]
        fn record_split_across_reads_is_found(
            pad in 0usize..3000,
            tail in 0usize..3000,
            sizes in proptest::collection::vec(1usize..8, 1..16),
        ) {
            let data = binary(pad, &record("go1.21.5", MODINFO), tail);
            let mut r = Dribble { data: &data, sizes, k: 0 };
            let pkgs = BINARY.analyze(&info(data.len()), &mut r).expect("parses");
            prop_assert_eq!(names(&pkgs), expected());
        }

        #[test]
        fn truncated_records_are_skips(
            cut in HEADER_LEN..HEADER_LEN + 9 + 2 * SENTINEL_LEN + MODINFO.len(),
            sizes in proptest::collection::vec(1usize..8, 1..8),
        ) {
            let rec = record("go1.21.5", MODINFO);
            let data = binary(40, &rec[..cut.min(rec.len() - 1)], 0);
            let mut r = Dribble { data: &data, sizes, k: 0 };
            match BINARY.analyze(&info(data.len()), &mut r) {
                Err(AnalyzeError::Skip(m)) => prop_assert!(m.contains("truncated"), "{}", m),
                other => prop_assert!(false, "{:?}", other),
            }
        }

        #[test]
        fn overlong_or_oversized_lengths_are_skips(
            len in MAX_STRING + 1..u64::MAX,
            continuation in 10usize..20,
            which in any::<bool>(),
        ) {
            let mut rec = MAGIC.to_vec();
            rec.extend([4, FLAG_INLINE | 1]);
            rec.resize(HEADER_LEN, 0);
            if which {
                put_uvarint(len, &mut rec);
            } else {
                rec.extend(std::iter::repeat_n(0x80, continuation));
                rec.push(1);
            }
            rec.extend(filler(len, 100));
            match run(&binary(0, &rec, 100)) {
                Err(AnalyzeError::Skip(m)) => prop_assert!(m.contains("corrupt"), "{}", m),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
