//! Blob access for every image source behind one trait.
//!
//! A registry, an OCI layout directory, an OCI archive and a docker archive differ only in how a
//! blob is found; manifest resolution and layer walking are shared. Archives are never extracted:
//! one pass over the tar records where each member's data lies, and every blob is then read by
//! seeking into the file, so a multi-GiB archive costs no disk and little memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::ImageError;
use crate::digest::{sha256_digest, validate_digest};

/// An open blob: a stream and, when known, its length.
pub struct Blob<'a> {
    /// The blob's bytes, exactly as stored (compressed layers stay compressed).
    pub reader: Box<dyn Read + Send + 'a>,
    /// Size in bytes, when the source knows it up front.
    pub size: Option<u64>,
}

/// A fetched manifest or index document, with the digest of its exact bytes.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The raw document.
    pub bytes: Vec<u8>,
    /// Media type from the transport (HTTP `Content-Type` or the pointing descriptor), if any.
    pub media_type: Option<String>,
    /// `sha256:` digest of `bytes`.
    pub digest: String,
}

/// Uniform access to the blobs of one image source.
///
/// `key` is a digest for registries and OCI layouts, and a member path for docker archives
/// (whose `manifest.json` names layers by path). Implementations must be `Sync` because layers
/// are read from several threads at once.
pub trait BlobStore: Send + Sync {
    /// Opens a blob for streaming.
    fn open(&self, key: &str) -> Result<Blob<'_>, ImageError>;

    /// A short description for logs and errors (registry name, directory, archive path).
    fn describe(&self) -> String;

    /// Fetches a manifest by digest, capped at `max` bytes and verified against the digest.
    /// Registries override this because manifests have their own endpoint.
    fn manifest(
        &self,
        digest: &str,
        media_type: Option<&str>,
        max: u64,
    ) -> Result<Fetched, ImageError> {
        validate_digest(digest)?;
        let what = format!("manifest {digest} in {}", self.describe());
        let bytes = read_capped(self.open(digest)?.reader, max, &what)?;
        let actual = sha256_digest(&bytes);
        if actual != digest {
            return Err(ImageError::DigestMismatch {
                what,
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(Fetched {
            bytes,
            media_type: media_type.map(str::to_string),
            digest: actual,
        })
    }
}

/// Reads a whole small document, failing if it is larger than `max` bytes.
pub(crate) fn read_capped(reader: impl Read, max: u64, what: &str) -> Result<Vec<u8>, ImageError> {
    let mut buf = Vec::new();
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| ImageError::BlobRead {
            what: what.to_string(),
            detail: e.to_string(),
        })?;
    if buf.len() as u64 > max {
        return Err(ImageError::LimitExceeded {
            what: what.to_string(),
            limit: max,
            unit: "bytes",
        });
    }
    Ok(buf)
}

/// The path of a blob inside an OCI layout, after validating the digest so that it cannot
/// escape the `blobs` directory.
pub(crate) fn layout_blob_path(digest: &str) -> Result<String, ImageError> {
    validate_digest(digest)?;
    let hex = digest.trim_start_matches("sha256:");
    Ok(format!("blobs/sha256/{hex}"))
}

/// Files of an image source addressed by relative path: a directory or an indexed tar.
pub(crate) enum Files {
    /// A directory on disk.
    Dir(PathBuf),
    /// A tar archive read in place.
    Tar(TarIndex),
}

impl Files {
    pub(crate) fn describe(&self) -> String {
        match self {
            Files::Dir(d) => d.display().to_string(),
            Files::Tar(t) => t.path.display().to_string(),
        }
    }

    pub(crate) fn exists(&self, rel: &str) -> bool {
        match self {
            Files::Dir(d) => safe_rel(rel).is_some_and(|r| d.join(r).is_file()),
            Files::Tar(t) => t.lookup(rel).is_some(),
        }
    }

    pub(crate) fn open(&self, rel: &str) -> Result<Blob<'static>, ImageError> {
        match self {
            Files::Dir(dir) => {
                let Some(r) = safe_rel(rel) else {
                    return Err(ImageError::manifest(
                        dir.display().to_string(),
                        format!("refers to {rel:?}, which leaves the directory"),
                    ));
                };
                let path = dir.join(r);
                let f = File::open(&path).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        ImageError::NotFound {
                            what: format!("{rel} in {}", dir.display()),
                        }
                    } else {
                        ImageError::io(&path, e)
                    }
                })?;
                let size = f.metadata().map_err(|e| ImageError::io(&path, e))?.len();
                Ok(Blob {
                    reader: Box::new(f),
                    size: Some(size),
                })
            }
            Files::Tar(t) => t.open(rel),
        }
    }

    pub(crate) fn read(&self, rel: &str, max: u64) -> Result<Vec<u8>, ImageError> {
        let what = format!("{rel} in {}", self.describe());
        read_capped(self.open(rel)?.reader, max, &what)
    }
}

/// A relative path that cannot climb out of its base (no `..`, not absolute).
fn safe_rel(rel: &str) -> Option<&str> {
    let ok = !rel.is_empty()
        && !rel.starts_with('/')
        && rel
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    ok.then_some(rel)
}

/// Most members an image archive may have; real ones have a handful per layer.
const MAX_ARCHIVE_MEMBERS: usize = 1_000_000;
/// Symlink hops followed inside an archive (docker save links duplicate layers).
const MAX_ARCHIVE_LINK_HOPS: usize = 16;

/// Where each member of a tar archive's data lies, so members can be read by seeking.
pub(crate) struct TarIndex {
    path: PathBuf,
    files: HashMap<String, (u64, u64)>,
    links: HashMap<String, String>,
}

impl TarIndex {
    /// Scans the archive headers once (seeking over member data).
    pub(crate) fn build(path: &Path) -> Result<TarIndex, ImageError> {
        let bad =
            |reason: String| ImageError::manifest(format!("archive {}", path.display()), reason);
        let f = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ImageError::NotFound {
                    what: format!("archive {}", path.display()),
                }
            } else {
                ImageError::io(path, e)
            }
        })?;
        let mut archive = tar::Archive::new(BufReader::new(f));
        let mut files = HashMap::new();
        let mut links = HashMap::new();
        let entries = archive
            .entries_with_seek()
            .map_err(|e| bad(format!("not a readable tar archive: {e}")))?;
        for (n, entry) in entries.enumerate() {
            if n >= MAX_ARCHIVE_MEMBERS {
                return Err(ImageError::LimitExceeded {
                    what: format!("archive {}", path.display()),
                    limit: MAX_ARCHIVE_MEMBERS as u64,
                    unit: "members",
                });
            }
            let entry = entry.map_err(|e| bad(format!("corrupt tar archive: {e}")))?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(name) = palisade_vfs::normalize(&name) else {
                continue;
            };
            let kind = entry.header().entry_type();
            if matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous) {
                files.insert(name, (entry.raw_file_position(), entry.size()));
            } else if kind.is_symlink() || kind.is_hard_link() {
                let Some(target) = entry.link_name_bytes() else {
                    continue;
                };
                let target = String::from_utf8_lossy(&target).into_owned();
                // Symlinks are relative to their directory, hard links to the archive root.
                let joined = if kind.is_symlink() && !target.starts_with('/') {
                    match name.rfind('/') {
                        Some(i) => format!("{}/{target}", &name[..i]),
                        None => target,
                    }
                } else {
                    target
                };
                if let Some(t) = palisade_vfs::normalize(&joined) {
                    links.insert(name, t);
                }
            }
        }
        tracing::debug!(archive = %path.display(), members = files.len(), "indexed archive");
        Ok(TarIndex {
            path: path.to_path_buf(),
            files,
            links,
        })
    }

    fn lookup(&self, rel: &str) -> Option<(u64, u64)> {
        let mut name = palisade_vfs::normalize(rel)?;
        for _ in 0..=MAX_ARCHIVE_LINK_HOPS {
            if let Some(&loc) = self.files.get(&name) {
                return Some(loc);
            }
            name = self.links.get(&name)?.clone();
        }
        None
    }

    fn open(&self, rel: &str) -> Result<Blob<'static>, ImageError> {
        let Some((offset, size)) = self.lookup(rel) else {
            return Err(ImageError::NotFound {
                what: format!("{rel} in archive {}", self.path.display()),
            });
        };
        let mut f = File::open(&self.path).map_err(|e| ImageError::io(&self.path, e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| ImageError::io(&self.path, e))?;
        Ok(Blob {
            reader: Box::new(BufReader::with_capacity(256 << 10, f.take(size))),
            size: Some(size),
        })
    }
}

/// An OCI image layout (a directory, or the contents of an OCI archive): blobs live at
/// `blobs/<alg>/<hex>`.
pub struct LayoutStore {
    pub(crate) files: Files,
}

impl LayoutStore {
    /// A layout rooted at a directory.
    pub fn from_dir(dir: &Path) -> Self {
        LayoutStore {
            files: Files::Dir(dir.to_path_buf()),
        }
    }
}

impl BlobStore for LayoutStore {
    fn open(&self, key: &str) -> Result<Blob<'_>, ImageError> {
        let rel = layout_blob_path(key)?;
        self.files.open(&rel)
    }

    fn describe(&self) -> String {
        self.files.describe()
    }
}

/// A docker archive (`docker save` / skopeo): blobs are named by their path in the tar.
pub struct DockerArchiveStore {
    pub(crate) files: Files,
}

impl BlobStore for DockerArchiveStore {
    fn open(&self, key: &str) -> Result<Blob<'_>, ImageError> {
        self.files.open(key)
    }

    fn describe(&self) -> String {
        self.files.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_paths_are_validated() {
        let d = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(
            layout_blob_path(&d).unwrap(),
            format!("blobs/sha256/{}", "ab".repeat(32))
        );
        assert!(layout_blob_path("sha256:../../etc/passwd").is_err());
        assert!(safe_rel("../x").is_none());
        assert!(safe_rel("/x").is_none());
        assert!(safe_rel("a/./b").is_none());
        assert!(safe_rel("a/b").is_some());
    }

    #[test]
    fn tar_index_reads_members_by_seeking_and_follows_links() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        let mut b = tar::Builder::new(File::create(&path).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h.clone(), "one/layer.tar", &b"hello"[..])
            .unwrap();
        let mut l = tar::Header::new_gnu();
        l.set_entry_type(tar::EntryType::Symlink);
        l.set_size(0);
        b.append_link(&mut l, "two/layer.tar", "../one/layer.tar")
            .unwrap();
        let mut loop_h = tar::Header::new_gnu();
        loop_h.set_entry_type(tar::EntryType::Symlink);
        loop_h.set_size(0);
        b.append_link(&mut loop_h.clone(), "x", "y").unwrap();
        b.append_link(&mut loop_h, "y", "x").unwrap();
        b.finish().unwrap();
        drop(b);
        let idx = TarIndex::build(&path).unwrap();
        let files = Files::Tar(idx);
        assert_eq!(files.read("one/layer.tar", 100).unwrap(), b"hello");
        assert_eq!(files.read("./two/layer.tar", 100).unwrap(), b"hello");
        assert!(files.read("one/layer.tar", 2).is_err());
        assert!(matches!(files.open("x"), Err(ImageError::NotFound { .. })));
        assert!(matches!(
            files.open("missing"),
            Err(ImageError::NotFound { .. })
        ));
    }

    #[test]
    fn garbage_archive_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.tar");
        std::fs::write(&path, vec![0x55u8; 1000]).unwrap();
        let e = TarIndex::build(&path).err().unwrap().to_string();
        assert!(e.contains("junk.tar"), "{e}");
        assert!(TarIndex::build(&dir.path().join("nope.tar")).is_err());
    }
}
