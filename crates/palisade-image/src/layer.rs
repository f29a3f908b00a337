//! The layer walker: one pass over a layer blob, keeping only the entries an `Interest` wants.
//!
//! A layer is a tar, usually gzip- or zstd-compressed. We read it as a stream exactly once:
//! raw bytes go through a SHA-256 verifier, then the decompressor, then the tar reader. Unwanted
//! entries are skipped by the tar reader without being buffered, so memory stays proportional to
//! the few files analyzers need, not to the layer. Hostile layers are bounded by a cap on
//! uncompressed bytes (decompression bombs), on tar entries, and on kept file sizes.

use std::io::{self, BufReader, Read};

use palisade_vfs::{EntryMeta, Interest, LayerChanges, Limits, VfsError, normalize};

use crate::ImageError;
use crate::digest::{HashingReader, drain, validate_digest};
use crate::manifest::{DeclaredCompression, layer_compression};

/// Default cap on a layer's uncompressed size. Real layers stay far below this; a stream that
/// inflates past it is treated as a decompression bomb.
pub const DEFAULT_MAX_LAYER_BYTES: u64 = 64 << 30;
/// Default cap on tar entries per layer; the largest real layers hold a few hundred thousand.
pub const DEFAULT_MAX_LAYER_ENTRIES: u64 = 10_000_000;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const OPAQUE_MARKER: &str = ".wh..wh..opq";
const WHITEOUT_PREFIX: &str = ".wh.";
const WHITEOUT_META_PREFIX: &str = ".wh..wh.";

/// How to read and verify one layer.
#[derive(Debug, Clone, Copy)]
pub struct LayerSpec<'a> {
    /// Name for errors and logs: the layer digest, or its archive path when no digest is known.
    pub name: &'a str,
    /// Media type from the manifest; `None` for docker archives. Compression is also sniffed
    /// from the first bytes, which win when the two disagree.
    pub media_type: Option<&'a str>,
    /// Digest of the blob as stored (compressed). Verified when given.
    pub digest: Option<&'a str>,
    /// Digest of the uncompressed tar (config `rootfs.diff_ids`). Verified when given; this is
    /// how docker-archive layers, which carry no blob digest, are checked.
    pub diff_id: Option<&'a str>,
    /// Largest blob accepted (the declared descriptor size when known).
    pub max_blob_bytes: u64,
    /// Largest uncompressed stream accepted (decompression-bomb guard).
    pub max_bytes: u64,
    /// Most tar entries accepted.
    pub max_entries: u64,
}

impl<'a> LayerSpec<'a> {
    /// A spec with default limits that verifies `digest`.
    pub fn new(name: &'a str) -> Self {
        LayerSpec {
            name,
            media_type: None,
            digest: None,
            diff_id: None,
            max_blob_bytes: u64::MAX,
            max_bytes: DEFAULT_MAX_LAYER_BYTES,
            max_entries: DEFAULT_MAX_LAYER_ENTRIES,
        }
    }
}

/// What reading one layer produced.
#[derive(Debug)]
pub struct LayerRead {
    /// The kept entries and deletions.
    pub changes: LayerChanges,
    /// SHA-256 of the blob as read (equal to the expected digest when one was given).
    pub digest: String,
    /// SHA-256 of the uncompressed tar, computed only when `diff_id` verification was requested.
    pub diff_id: Option<String>,
    /// Blob size in bytes.
    pub blob_size: u64,
    /// Uncompressed size in bytes.
    pub uncompressed_size: u64,
}

/// Reads one layer blob and verifies it against `expected_digest` (the blob digest from the
/// manifest), with default stream limits. The whole blob is always read to its end so the digest
/// covers every byte, even when nothing in it is wanted.
pub fn read_layer(
    reader: impl Read,
    media_type: Option<&str>,
    expected_digest: &str,
    interest: &dyn Interest,
    limits: &Limits,
) -> Result<LayerChanges, ImageError> {
    let spec = LayerSpec {
        media_type,
        digest: Some(expected_digest),
        ..LayerSpec::new(expected_digest)
    };
    read_layer_with(reader, &spec, interest, limits).map(|r| r.changes)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zstd,
    Plain,
}

enum WalkError {
    Io(io::Error),
    Vfs(VfsError),
    TooManyEntries,
    Truncated(String),
}

impl From<io::Error> for WalkError {
    fn from(e: io::Error) -> Self {
        WalkError::Io(e)
    }
}

/// Reads one layer blob as [`read_layer`] does, with explicit verification targets and limits,
/// and reports digests and sizes. Fails if neither `digest` nor `diff_id` is given, because an
/// unverifiable layer could be anything.
pub fn read_layer_with(
    reader: impl Read,
    spec: &LayerSpec<'_>,
    interest: &dyn Interest,
    limits: &Limits,
) -> Result<LayerRead, ImageError> {
    if spec.digest.is_none() && spec.diff_id.is_none() {
        return Err(ImageError::CorruptLayer {
            layer: spec.name.to_string(),
            reason: "no digest or diff_id to verify the layer against".to_string(),
        });
    }
    for d in spec.digest.iter().chain(spec.diff_id.iter()) {
        validate_digest(d)?;
    }
    if let Some(mt) = spec.media_type
        && mt.contains("encrypted")
    {
        return Err(ImageError::UnsupportedMediaType {
            what: format!("layer {}", spec.name),
            media_type: mt.to_string(),
        });
    }
    let mut raw = HashingReader::new(reader, true, spec.max_blob_bytes);
    let mut head = [0u8; 4];
    let head_len = read_head(&mut raw, &mut head)
        .map_err(|e| classify(spec, &raw, false, WalkError::Io(e)))?;
    let compression = detect(
        &head[..head_len],
        layer_compression(spec.media_type),
        spec.name,
    );

    let (walked, unc_over, unc_digest, unc_count) = {
        let chained = (&head[..head_len]).chain(&mut raw);
        let buffered = BufReader::with_capacity(128 << 10, chained);
        let decoder: Result<Box<dyn Read + '_>, io::Error> = match compression {
            Compression::Gzip => Ok(Box::new(flate2::bufread::MultiGzDecoder::new(buffered))),
            Compression::Zstd => {
                zstd::Decoder::with_buffer(buffered).map(|d| Box::new(d) as Box<dyn Read + '_>)
            }
            Compression::Plain => Ok(Box::new(buffered)),
        };
        match decoder {
            Err(e) => (Err(WalkError::Io(e)), false, None, 0),
            Ok(decoder) => {
                let mut unc = HashingReader::new(decoder, spec.diff_id.is_some(), spec.max_bytes);
                let walked = walk(&mut unc, spec, interest, limits).and_then(|changes| {
                    // The tar end marker may come before the end of the stream; read the rest
                    // so both digests cover everything. Junk after the compressed stream (which
                    // extraction never reads either) is tolerated: the blob digest below still
                    // covers it, and a bomb still trips the byte limit.
                    if let Err(e) = drain(&mut unc) {
                        if unc.over_limit {
                            return Err(WalkError::Io(e));
                        }
                        tracing::debug!(
                            layer = spec.name,
                            "ignoring data after the tar stream: {e}"
                        );
                    }
                    Ok(changes)
                });
                (walked, unc.over_limit, unc.digest(), unc.count())
            }
        }
    };
    let changes = match walked {
        Ok(c) => c,
        Err(e) => return Err(classify(spec, &raw, unc_over, e)),
    };
    // Anything after the compressed stream's end still belongs to the blob.
    let drained = drain(&mut raw);
    if let Err(e) = drained {
        return Err(classify(spec, &raw, false, WalkError::Io(e)));
    }
    if raw.inner_error.is_some() {
        // The source failed while junk after the tar was being skipped.
        let e = io::Error::other("source failed");
        return Err(classify(spec, &raw, false, WalkError::Io(e)));
    }

    let digest = raw.digest().unwrap_or_default();
    if let Some(expected) = spec.digest
        && digest != expected
    {
        return Err(ImageError::DigestMismatch {
            what: format!("layer {}", spec.name),
            expected: expected.to_string(),
            actual: digest,
        });
    }
    if let (Some(expected), Some(actual)) = (spec.diff_id, unc_digest.as_deref())
        && actual != expected
    {
        return Err(ImageError::DigestMismatch {
            what: format!("uncompressed layer {} (diff_id)", spec.name),
            expected: expected.to_string(),
            actual: actual.to_string(),
        });
    }
    tracing::debug!(
        layer = spec.name,
        ?compression,
        blob_bytes = raw.count(),
        uncompressed_bytes = unc_count,
        kept = changes.len(),
        "read layer"
    );
    Ok(LayerRead {
        changes,
        digest,
        diff_id: unc_digest,
        blob_size: raw.count(),
        uncompressed_size: unc_count,
    })
}

/// Reads up to `buf.len()` bytes, fewer only at end of stream.
fn read_head(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn detect(head: &[u8], declared: DeclaredCompression, name: &str) -> Compression {
    let sniffed = if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::Plain
    };
    let expected = match declared {
        DeclaredCompression::Gzip => Some(Compression::Gzip),
        DeclaredCompression::Zstd => Some(Compression::Zstd),
        DeclaredCompression::None => Some(Compression::Plain),
        DeclaredCompression::Unknown => None,
    };
    if let Some(e) = expected
        && e != sniffed
        && !head.is_empty()
    {
        tracing::debug!(
            layer = name,
            declared = ?e,
            detected = ?sniffed,
            "layer media type disagrees with its content; trusting the content"
        );
    }
    sniffed
}

/// Turns a failure into the most useful error: a broken source beats a limit, which beats
/// "corrupt", because a reset connection or a bomb also surfaces as a tar/decompressor error.
fn classify<R>(
    spec: &LayerSpec<'_>,
    raw: &HashingReader<R>,
    unc_over_limit: bool,
    err: WalkError,
) -> ImageError {
    if let Some(detail) = &raw.inner_error {
        return ImageError::BlobRead {
            what: format!("layer {}", spec.name),
            detail: detail.clone(),
        };
    }
    if raw.over_limit {
        return ImageError::CorruptLayer {
            layer: spec.name.to_string(),
            reason: format!(
                "blob is larger than its declared size of {} bytes",
                spec.max_blob_bytes
            ),
        };
    }
    if unc_over_limit {
        return ImageError::LimitExceeded {
            what: format!("uncompressed layer {}", spec.name),
            limit: spec.max_bytes,
            unit: "bytes",
        };
    }
    match err {
        WalkError::Vfs(source) => ImageError::Vfs {
            layer: spec.name.to_string(),
            source,
        },
        WalkError::TooManyEntries => ImageError::LimitExceeded {
            what: format!("layer {}", spec.name),
            limit: spec.max_entries,
            unit: "tar entries",
        },
        WalkError::Truncated(path) => ImageError::CorruptLayer {
            layer: spec.name.to_string(),
            reason: format!("stream ends inside {path}"),
        },
        WalkError::Io(e) => {
            let reason = if e.kind() == io::ErrorKind::UnexpectedEof {
                format!("truncated stream ({e})")
            } else {
                e.to_string()
            };
            ImageError::CorruptLayer {
                layer: spec.name.to_string(),
                reason,
            }
        }
    }
}

fn join(parent: &str, name: &str) -> Option<String> {
    if parent.is_empty() {
        normalize(name)
    } else {
        normalize(&format!("{parent}/{name}"))
    }
}

/// Walks the tar entries, keeping what `interest` wants.
fn walk<R: Read>(
    reader: &mut R,
    spec: &LayerSpec<'_>,
    interest: &dyn Interest,
    limits: &Limits,
) -> Result<LayerChanges, WalkError> {
    let mut changes = LayerChanges::new();
    let mut archive = tar::Archive::new(reader);
    let mut count: u64 = 0;
    for entry in archive.entries()? {
        let mut entry = entry?;
        count += 1;
        if count > spec.max_entries {
            return Err(WalkError::TooManyEntries);
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = normalize(&raw_path) else {
            continue;
        };
        let (parent, base) = match path.rfind('/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("", path.as_str()),
        };
        if base == OPAQUE_MARKER {
            if parent.is_empty() {
                tracing::debug!(layer = spec.name, "ignoring opaque marker at the root");
            } else {
                changes.add_opaque_dir(parent.to_string());
            }
            continue;
        }
        if base.starts_with(WHITEOUT_META_PREFIX) {
            // Other aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): not part of the image.
            continue;
        }
        if let Some(name) = base.strip_prefix(WHITEOUT_PREFIX) {
            if let Some(target) = join(parent, name) {
                changes.add_whiteout(target);
            }
            continue;
        }
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let meta = EntryMeta {
                    path: &path,
                    size: entry.size(),
                    executable: entry.header().mode().is_ok_and(|m| m & 0o111 != 0),
                };
                let record = interest.wants_record(&meta);
                if !interest.wants_file(&path) {
                    let summary = interest.wants_summary(&meta);
                    if !summary && !record {
                        continue;
                    }
                    let size = meta.size;
                    let got = {
                        let mut content = (&mut entry).take(size);
                        interest.inspect(&meta, &mut content, summary, record)?
                    };
                    if let Some(r) = got.record.filter(|r| !r.is_empty()) {
                        changes
                            .check_summary(&path, r.len() as u64, limits)
                            .map_err(WalkError::Vfs)?;
                        changes.add_record(path.clone(), r);
                    }
                    if let Some(summary) = got.summary.filter(|_| summary) {
                        changes
                            .check_summary(&path, summary.len() as u64, limits)
                            .map_err(WalkError::Vfs)?;
                        changes.add_summary(path, summary);
                    }
                    continue;
                }
                let size = entry.size();
                changes
                    .check_size(&path, size, limits)
                    .map_err(WalkError::Vfs)?;
                // `check_size` bounded `size` by the per-file limit, so this allocation is too.
                let mut buf = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
                (&mut entry).take(size).read_to_end(&mut buf)?;
                if (buf.len() as u64) < size {
                    return Err(WalkError::Truncated(path));
                }
                if record {
                    // A kept file is inspected from the bytes already read: one read serves both.
                    let got = interest.inspect(&meta, &mut &buf[..], false, true)?;
                    if let Some(r) = got.record.filter(|r| !r.is_empty()) {
                        changes
                            .check_summary(&path, r.len() as u64, limits)
                            .map_err(WalkError::Vfs)?;
                        changes.add_record(path.clone(), r);
                    }
                }
                changes.add_file(path, buf);
            }
            tar::EntryType::Symlink => {
                if !interest.wants_symlink(&path) {
                    continue;
                }
                if let Some(target) = entry.link_name_bytes() {
                    let target = String::from_utf8_lossy(&target).into_owned();
                    changes.add_symlink(path, target);
                }
            }
            tar::EntryType::Link => {
                if !interest.wants_file(&path) {
                    continue;
                }
                let target = entry
                    .link_name_bytes()
                    .and_then(|t| normalize(&String::from_utf8_lossy(&t)));
                if let Some(target) = target {
                    changes.add_hardlink(path, target);
                }
            }
            _ => {}
        }
    }
    Ok(changes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::digest::sha256_digest;
    use palisade_vfs::{FileTree, PathInterest};
    use std::io::Write;

    /// An entry for test tars.
    pub(crate) enum E<'a> {
        File(&'a str, &'a [u8]),
        Sym(&'a str, &'a str),
        Hard(&'a str, &'a str),
        Dir(&'a str),
    }

    /// Builds an uncompressed tar in memory. Paths are written raw into the header (via GNU
    /// long-name or the name field) so hostile names like `../../x` survive.
    pub(crate) fn tar_of(entries: &[E<'_>]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for e in entries {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            h.set_mtime(0);
            match e {
                E::File(p, data) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(data.len() as u64);
                    set_raw_name(&mut h, p);
                    h.set_cksum();
                    b.append(&h, *data).unwrap();
                }
                E::Sym(p, t) | E::Hard(p, t) => {
                    h.set_entry_type(if matches!(e, E::Sym(..)) {
                        tar::EntryType::Symlink
                    } else {
                        tar::EntryType::Link
                    });
                    h.set_size(0);
                    set_raw_name(&mut h, p);
                    h.set_link_name(t).unwrap();
                    h.set_cksum();
                    b.append(&h, &[][..]).unwrap();
                }
                E::Dir(p) => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    set_raw_name(&mut h, p);
                    h.set_cksum();
                    b.append(&h, &[][..]).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    fn set_raw_name(h: &mut tar::Header, p: &str) {
        let name = &mut h.as_old_mut().name;
        name.fill(0);
        name[..p.len()].copy_from_slice(p.as_bytes());
    }

    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    pub(crate) fn zstd_of(data: &[u8]) -> Vec<u8> {
        zstd::encode_all(data, 3).unwrap()
    }

    fn interest() -> PathInterest {
        PathInterest::new()
            .file("etc/os-release")
            .file("var/lib/dpkg/status")
            .dir("var/lib/dpkg/status.d")
    }

    fn read(blob: &[u8], mt: Option<&str>) -> Result<LayerChanges, ImageError> {
        read_layer(
            blob,
            mt,
            &sha256_digest(blob),
            &interest(),
            &Limits::default(),
        )
    }

    fn sample() -> Vec<u8> {
        tar_of(&[
            E::Dir("etc/"),
            E::File("etc/os-release", b"ID=debian\n"),
            E::File("etc/passwd", b"root:x:0:0\n"),
            E::File("var/lib/dpkg/status", b"Package: a\n"),
            E::File("var/lib/dpkg/status.d/base", b"Package: b\n"),
            E::Sym("usr/bin/sh", "dash"),
        ])
    }

    fn tree_of(layers: Vec<LayerChanges>) -> FileTree {
        let mut t = FileTree::new();
        for l in layers {
            t.apply(l);
        }
        t
    }

    #[test]
    fn plain_gzip_and_zstd_layers_keep_only_wanted_files() {
        let tar = sample();
        for (blob, mt) in [
            (tar.clone(), Some("application/vnd.oci.image.layer.v1.tar")),
            (
                gzip(&tar),
                Some("application/vnd.oci.image.layer.v1.tar+gzip"),
            ),
            (
                zstd_of(&tar),
                Some("application/vnd.oci.image.layer.v1.tar+zstd"),
            ),
            // No media type (docker archive) or a wrong one: content sniffing decides.
            (gzip(&tar), None),
            (
                zstd_of(&tar),
                Some("application/vnd.oci.image.layer.v1.tar+gzip"),
            ),
        ] {
            let changes = read(&blob, mt).unwrap();
            assert_eq!(changes.len(), 3, "{mt:?}");
            let t = tree_of(vec![changes]);
            assert_eq!(t.read("etc/os-release"), Some(&b"ID=debian\n"[..]));
            assert_eq!(
                t.read("var/lib/dpkg/status.d/base"),
                Some(&b"Package: b\n"[..])
            );
            assert!(t.read("etc/passwd").is_none());
            assert!(!t.contains("usr/bin/sh"));
        }
    }

    #[test]
    fn whiteouts_opaque_dirs_symlinks_and_hardlinks() {
        let l1 = tar_of(&[
            E::File("usr/lib/os-release", b"ID=old\n"),
            E::File("var/lib/dpkg/status.d/gone", b"x"),
            E::File("var/lib/dpkg/status.d/old", b"x"),
            E::File("var/lib/dpkg/status", b"Package: a\n"),
        ]);
        let l2 = tar_of(&[
            E::File("var/lib/dpkg/status.d/.wh..wh..opq", b""),
            E::File("var/lib/dpkg/status.d/new", b"Package: n\n"),
            E::File("var/lib/dpkg/.wh.status", b""),
            E::File("etc/os-release", b"ID=debian\n"),
            E::Hard("var/lib/dpkg/status", "etc/os-release"),
            E::Sym("etc/os-release.link", "os-release"),
        ]);
        let i = interest().file("etc/os-release.link");
        let lim = Limits::default();
        let c1 = read_layer(&l1[..], None, &sha256_digest(&l1), &i, &lim).unwrap();
        let c2 = read_layer(&l2[..], None, &sha256_digest(&l2), &i, &lim).unwrap();
        let t = tree_of(vec![c1, c2]);
        let names: Vec<_> = t
            .read_dir("var/lib/dpkg/status.d")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["new"]);
        // The whiteout removed the lower status, the hard link then recreated it.
        assert_eq!(t.read("var/lib/dpkg/status"), Some(&b"ID=debian\n"[..]));
        assert_eq!(t.read("etc/os-release.link"), Some(&b"ID=debian\n"[..]));
    }

    #[test]
    fn whiteout_without_recreation_deletes() {
        let l1 = tar_of(&[E::File("etc/os-release", b"ID=x\n")]);
        let l2 = tar_of(&[E::File("etc/.wh.os-release", b"")]);
        let i = interest();
        let lim = Limits::default();
        let t = tree_of(vec![
            read_layer(&l1[..], None, &sha256_digest(&l1), &i, &lim).unwrap(),
            read_layer(&l2[..], None, &sha256_digest(&l2), &i, &lim).unwrap(),
        ]);
        assert!(t.read("etc/os-release").is_none());
    }

    #[test]
    fn traversal_names_stay_inside_the_tree() {
        let tar = tar_of(&[
            E::File("../../etc/os-release", b"ID=evil\n"),
            E::File("/var/lib/dpkg/status", b"Package: abs\n"),
            E::File("./../", b"root"),
        ]);
        let t = tree_of(vec![read(&tar, None).unwrap()]);
        assert_eq!(t.read("etc/os-release"), Some(&b"ID=evil\n"[..]));
        assert_eq!(t.read("var/lib/dpkg/status"), Some(&b"Package: abs\n"[..]));
    }

    #[test]
    fn long_pax_names_are_followed() {
        let long_dir = "a".repeat(150);
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(2);
        h.set_mode(0o644);
        b.append_data(&mut h, format!("{long_dir}/wanted"), &b"ok"[..])
            .unwrap();
        let tar = b.into_inner().unwrap();
        let i = PathInterest::new().file(&format!("{long_dir}/wanted"));
        let c = read_layer(&tar[..], None, &sha256_digest(&tar), &i, &Limits::default()).unwrap();
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn digest_mismatch_is_reported_even_with_empty_interest() {
        let blob = gzip(&sample());
        let wrong = sha256_digest(b"something else");
        let e = read_layer(
            &blob[..],
            None,
            &wrong,
            &PathInterest::new(),
            &Limits::default(),
        )
        .unwrap_err();
        match e {
            ImageError::DigestMismatch {
                what,
                expected,
                actual,
            } => {
                assert!(what.contains(&wrong));
                assert_eq!(expected, wrong);
                assert_eq!(actual, sha256_digest(&blob));
            }
            other => panic!("{other}"),
        }
        // Trailing bytes after the gzip stream are tolerated but still part of the digest.
        let mut blob = blob.clone();
        blob.extend_from_slice(&[0u8; 100]);
        let ok = read_layer(
            &blob[..],
            None,
            &sha256_digest(&blob),
            &PathInterest::new(),
            &Limits::default(),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn diff_id_verifies_uncompressed_content() {
        let tar = sample();
        let blob = gzip(&tar);
        let good = sha256_digest(&tar);
        let spec = LayerSpec {
            diff_id: Some(&good),
            ..LayerSpec::new("layer.tar")
        };
        let r = read_layer_with(&blob[..], &spec, &interest(), &Limits::default()).unwrap();
        assert_eq!(r.diff_id.as_deref(), Some(good.as_str()));
        assert_eq!(r.digest, sha256_digest(&blob));
        assert_eq!(r.uncompressed_size, tar.len() as u64);
        let bad = sha256_digest(b"x");
        let spec = LayerSpec {
            diff_id: Some(&bad),
            ..LayerSpec::new("layer.tar")
        };
        let e = read_layer_with(&blob[..], &spec, &interest(), &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("diff_id"), "{e}");
        let e = read_layer_with(
            &blob[..],
            &LayerSpec::new("x"),
            &interest(),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("no digest"), "{e}");
    }

    #[test]
    fn truncated_streams_are_corrupt_layers() {
        let tar = sample();
        let gz = gzip(&tar);
        let cut = &gz[..gz.len() / 2];
        let e = read_layer(
            cut,
            None,
            &sha256_digest(cut),
            &interest(),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(e, ImageError::CorruptLayer { .. }), "{e}");
        assert!(e.to_string().contains(&sha256_digest(cut)), "{e}");
        let zs = zstd_of(&tar);
        let cut = &zs[..zs.len() - 5];
        let e = read_layer(
            cut,
            None,
            &sha256_digest(cut),
            &interest(),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(e, ImageError::CorruptLayer { .. }), "{e}");
        // Plain tar cut inside a wanted file's data.
        let cut = &tar[..512 * 3 + 100];
        let e = read_layer(
            cut,
            None,
            &sha256_digest(cut),
            &interest(),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(e, ImageError::CorruptLayer { .. }), "{e}");
        // Garbage after a gzip header.
        let mut junk = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        junk.extend_from_slice(&[0xff; 64]);
        let e = read_layer(
            &junk[..],
            None,
            &sha256_digest(&junk),
            &interest(),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(e, ImageError::CorruptLayer { .. }), "{e}");
    }

    #[test]
    fn huge_declared_sizes_are_rejected_without_reading() {
        // A wanted file declaring 1 TiB: rejected by the file limit before any read.
        let mut h = tar::Header::new_gnu();
        h.set_size(1 << 40);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_path("var/lib/dpkg/status").unwrap();
        h.set_cksum();
        let mut blob = h.as_bytes().to_vec();
        blob.extend_from_slice(&[0u8; 1024]);
        let e = read(&blob, None).unwrap_err();
        assert!(matches!(e, ImageError::Vfs { .. }), "{e}");
        // An unwanted file declaring 1 TiB: the stream ends early.
        let mut h2 = h.clone();
        h2.set_path("usr/share/big").unwrap();
        h2.set_cksum();
        let mut blob = h2.as_bytes().to_vec();
        blob.extend_from_slice(&[0u8; 1024]);
        let e = read(&blob, None).unwrap_err();
        assert!(matches!(e, ImageError::CorruptLayer { .. }), "{e}");
    }

    #[test]
    fn decompression_bombs_and_entry_floods_hit_limits() {
        let tar = tar_of(&[E::File("big", &vec![0u8; 1 << 20])]);
        let gz = gzip(&tar);
        let d = sha256_digest(&gz);
        let spec = LayerSpec {
            digest: Some(&d),
            max_bytes: 64 << 10,
            ..LayerSpec::new(&d)
        };
        let e = read_layer_with(&gz[..], &spec, &interest(), &Limits::default()).unwrap_err();
        assert!(
            matches!(e, ImageError::LimitExceeded { unit: "bytes", .. }),
            "{e}"
        );
        let many: Vec<E<'_>> = (0..50).map(|_| E::File("x", b"")).collect();
        let tar = tar_of(&many);
        let d = sha256_digest(&tar);
        let spec = LayerSpec {
            digest: Some(&d),
            max_entries: 10,
            ..LayerSpec::new(&d)
        };
        let e = read_layer_with(&tar[..], &spec, &interest(), &Limits::default()).unwrap_err();
        assert!(
            matches!(
                e,
                ImageError::LimitExceeded {
                    unit: "tar entries",
                    ..
                }
            ),
            "{e}"
        );
        // A blob longer than its declared size.
        let spec = LayerSpec {
            digest: Some(&d),
            max_blob_bytes: 100,
            ..LayerSpec::new(&d)
        };
        let e = read_layer_with(&tar[..], &spec, &interest(), &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("declared size"), "{e}");
    }

    #[test]
    fn kept_file_budget_is_enforced() {
        let tar = sample();
        let lim = Limits {
            max_file: 4,
            max_total: 100,
        };
        let e = read_layer(&tar[..], None, &sha256_digest(&tar), &interest(), &lim).unwrap_err();
        assert!(matches!(e, ImageError::Vfs { .. }), "{e}");
        assert!(e.to_string().contains("etc/os-release"), "{e}");
    }

    #[test]
    fn empty_blob_and_encrypted_layers() {
        let empty: &[u8] = b"";
        let c = read(empty, None).unwrap();
        assert!(c.is_empty());
        let e = read(
            &sample(),
            Some("application/vnd.oci.image.layer.v1.tar+gzip+encrypted"),
        )
        .unwrap_err();
        assert!(matches!(e, ImageError::UnsupportedMediaType { .. }));
    }

    struct FailingReader(usize);
    impl Read for FailingReader {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "reset by peer",
                ));
            }
            let n = buf.len().min(self.0);
            buf[..n].fill(0);
            self.0 -= n;
            Ok(n)
        }
    }

    #[test]
    fn source_errors_are_not_blamed_on_the_layer() {
        let d = sha256_digest(b"");
        let e =
            read_layer(FailingReader(10), None, &d, &interest(), &Limits::default()).unwrap_err();
        assert!(matches!(e, ImageError::BlobRead { .. }), "{e}");
        assert!(e.to_string().contains("reset by peer"), "{e}");
    }
}
