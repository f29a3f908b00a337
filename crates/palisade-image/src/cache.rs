//! The layer cache: what one layer gave the analyzers, kept by its digest.
//!
//! Images share base layers, and a layer's analysis depends only on its bytes and on the
//! analyzers that read it. So the result of reading a layer (its kept files and summaries,
//! [`LayerRead`]) is stored under a key made of the layer's verified digest and the interest's
//! fingerprint (analyzer names and versions, limits). A second image on the same base reads
//! only its own layers; a newer Palisade whose analyzers changed misses and recomputes.
//!
//! The cache is an optimisation and never a source of truth: an entry that is unreadable,
//! truncated or fails its checksum is ignored (and replaced), and a failed write only costs the
//! next scan time. Entries are written to a temporary file and renamed, so a reader never sees
//! half an entry.

use std::io::Write;
use std::path::{Path, PathBuf};

use palisade_vfs::{LayerChanges, Limits};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::layer::LayerRead;

/// Entry format; bump when [`Entry`] changes.
const MAGIC: &[u8; 8] = b"PLSDLC02";
/// Largest entry read back: the per-layer budget of kept bytes plus generous overhead.
const MAX_ENTRY_BYTES: u64 = 512 << 20;

/// A folder of cached layer results.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    changes: LayerChanges,
    digest: String,
    diff_id: Option<String>,
    blob_size: u64,
    uncompressed_size: u64,
}

impl LayerCache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LayerCache { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/palisade/layers`, else `~/.cache/palisade/layers`.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache"))
            })?;
        Some(base.join("palisade").join("layers"))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of a layer: its digest (blob digest, or diff_id when no blob digest is known),
    /// what the analyzers are, and the limits that bounded the read.
    pub fn key(layer_digest: &str, fingerprint: &str, limits: &Limits) -> String {
        let mut h = Sha256::new();
        for part in [
            layer_digest,
            fingerprint,
            &format!("{}:{}", limits.max_file, limits.max_total),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.layer"))
    }

    /// The cached result for `key`, if a valid one exists.
    pub(crate) fn get(&self, key: &str) -> Option<LayerRead> {
        let path = self.path(key);
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_ENTRY_BYTES {
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        match decode(&bytes) {
            Some(e) => Some(LayerRead {
                changes: e.changes,
                digest: e.digest,
                diff_id: e.diff_id,
                blob_size: e.blob_size,
                uncompressed_size: e.uncompressed_size,
            }),
            None => {
                tracing::debug!(path = %path.display(), "ignoring an unreadable layer cache entry");
                None
            }
        }
    }

    /// Stores a result; failures are logged and otherwise ignored.
    pub(crate) fn put(&self, key: &str, read: &LayerRead) {
        if let Err(e) = self.try_put(key, read) {
            tracing::debug!(dir = %self.dir.display(), "could not write a layer cache entry: {e}");
        }
    }

    fn try_put(&self, key: &str, read: &LayerRead) -> std::io::Result<()> {
        let payload = postcard::to_allocvec(&EntryRef {
            changes: &read.changes,
            digest: &read.digest,
            diff_id: &read.diff_id,
            blob_size: read.blob_size,
            uncompressed_size: read.uncompressed_size,
        })
        .map_err(std::io::Error::other)?;
        let compressed = zstd::bulk::compress(&payload, 3)?;
        std::fs::create_dir_all(&self.dir)?;
        let mut tmp = tempfile_in(&self.dir)?;
        tmp.1.write_all(MAGIC)?;
        tmp.1.write_all(&Sha256::digest(&compressed))?;
        tmp.1.write_all(&(payload.len() as u64).to_le_bytes())?;
        tmp.1.write_all(&compressed)?;
        tmp.1.sync_all()?;
        drop(tmp.1);
        std::fs::rename(&tmp.0, self.path(key)).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp.0);
        })
    }
}

#[derive(Serialize)]
struct EntryRef<'a> {
    changes: &'a LayerChanges,
    digest: &'a str,
    diff_id: &'a Option<String>,
    blob_size: u64,
    uncompressed_size: u64,
}

fn decode(bytes: &[u8]) -> Option<Entry> {
    let rest = bytes.strip_prefix(MAGIC)?;
    if rest.len() < 40 {
        return None;
    }
    let (sum, rest) = rest.split_at(32);
    let (len, compressed) = rest.split_at(8);
    if Sha256::digest(compressed)[..] != *sum {
        return None;
    }
    let len = u64::from_le_bytes(len.try_into().ok()?);
    if len > MAX_ENTRY_BYTES {
        return None;
    }
    let payload = zstd::bulk::decompress(compressed, usize::try_from(len).ok()?).ok()?;
    postcard::from_bytes(&payload).ok()
}

/// A new temporary file in `dir`, named uniquely by process, time and a counter.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!(
        ".tmp-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let path = dir.join(name);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LayerRead {
        let mut changes = LayerChanges::new();
        changes.add_file("etc/os-release".into(), b"ID=debian\n".to_vec());
        changes.add_summary("app/Cargo.lock".into(), vec![1, 2, 3]);
        changes.add_whiteout("usr/bin/curl".into());
        LayerRead {
            changes,
            digest: "sha256:aa".into(),
            diff_id: None,
            blob_size: 10,
            uncompressed_size: 20,
        }
    }

    #[test]
    fn round_trip_and_corruption_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path().join("layers"));
        let key = LayerCache::key("sha256:aa", "fp", &Limits::default());
        assert!(cache.get(&key).is_none());
        cache.put(&key, &sample());
        let back = cache.get(&key).expect("hit");
        assert_eq!(back.digest, "sha256:aa");
        assert_eq!(back.changes.len(), 2);
        assert_eq!(back.uncompressed_size, 20);
        // Flip one byte of the payload: the checksum turns it into a miss.
        let p = cache.path(&key);
        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&p, &bytes).unwrap();
        assert!(cache.get(&key).is_none());
        std::fs::write(&p, b"junk").unwrap();
        assert!(cache.get(&key).is_none());
    }

    #[test]
    fn keys_depend_on_digest_fingerprint_and_limits() {
        let l = Limits::default();
        let a = LayerCache::key("sha256:aa", "fp1", &l);
        assert_ne!(a, LayerCache::key("sha256:ab", "fp1", &l));
        assert_ne!(a, LayerCache::key("sha256:aa", "fp2", &l));
        let l2 = Limits {
            max_file: 1,
            ..Limits::default()
        };
        assert_ne!(a, LayerCache::key("sha256:aa", "fp1", &l2));
        assert_eq!(a.len(), 64);
    }
}
