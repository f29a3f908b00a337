//! Content digests: validation and a hashing reader.
//!
//! Every blob of an image is addressed by its SHA-256. Validating a digest before using it keeps a
//! hostile manifest from smuggling `../` into a blob path or a registry URL, and hashing while
//! streaming lets us verify a layer without holding it in memory.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

use crate::ImageError;

/// Checks that `digest` is `sha256:` followed by 64 lowercase hex digits, the only algorithm the
/// OCI spec requires and the only one registries use in practice. Anything else is rejected rather
/// than trusted unverified.
pub fn validate_digest(digest: &str) -> Result<(), ImageError> {
    let bad = |reason: &str| ImageError::InvalidDigest {
        digest: digest.chars().take(200).collect(),
        reason: reason.to_string(),
    };
    let Some((alg, hex)) = digest.split_once(':') else {
        return Err(bad("expected algorithm:hex, e.g. sha256:<64 hex digits>"));
    };
    if alg != "sha256" {
        return Err(bad(&format!(
            "unsupported digest algorithm {alg:?} (only sha256 is supported)"
        )));
    }
    if hex.len() != 64 {
        return Err(bad(&format!(
            "a sha256 digest has 64 hex digits, this one has {}",
            hex.len()
        )));
    }
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(bad("digest must be lowercase hexadecimal"));
    }
    Ok(())
}

/// The `sha256:<hex>` digest of a byte slice.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A reader that hashes and counts everything read through it and refuses to read more than a
/// limit. It remembers whether the inner reader failed or the limit was hit, so the caller can
/// tell a network error or a bomb from a corrupt archive after the fact.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    count: u64,
    limit: u64,
    /// Set when the limit was exceeded.
    pub(crate) over_limit: bool,
    /// Set (to the error text) when the inner reader failed.
    pub(crate) inner_error: Option<String>,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`; `hash` false only counts and limits (no hashing cost).
    pub(crate) fn new(inner: R, hash: bool, limit: u64) -> Self {
        HashingReader {
            inner,
            hasher: hash.then(Sha256::new),
            count: 0,
            limit,
            over_limit: false,
            inner_error: None,
        }
    }

    /// Bytes read so far.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The digest of everything read so far, if hashing.
    pub(crate) fn digest(&self) -> Option<String> {
        self.hasher
            .as_ref()
            .map(|h| format!("sha256:{}", hex::encode(h.clone().finalize())))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.over_limit {
            return Err(io::Error::other("stream exceeds its size limit"));
        }
        // Ask for at most one byte past the limit so an overrun is detected without reading far.
        let room = self.limit.saturating_sub(self.count).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.inner_error = Some(e.to_string());
                }
                return Err(e);
            }
        };
        self.count += n as u64;
        if self.count > self.limit {
            self.over_limit = true;
            return Err(io::Error::other("stream exceeds its size limit"));
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Reads `reader` to its end, discarding the bytes; used so a digest covers the whole stream.
pub(crate) fn drain(reader: &mut impl Read) -> io::Result<u64> {
    io::copy(reader, &mut io::sink())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_validated_strictly() {
        let good = format!("sha256:{}", "a".repeat(64));
        assert!(validate_digest(&good).is_ok());
        assert!(validate_digest(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(validate_digest(&format!("sha512:{}", "a".repeat(128))).is_err());
        assert!(validate_digest("sha256:abc").is_err());
        assert!(validate_digest(&format!("sha256:../{}", "a".repeat(61))).is_err());
        assert!(validate_digest("nocolon").is_err());
    }

    #[test]
    fn hashing_reader_hashes_counts_and_limits() {
        let data = b"hello world";
        let mut r = HashingReader::new(&data[..], true, 100);
        drain(&mut r).unwrap();
        assert_eq!(r.count(), 11);
        assert_eq!(r.digest().unwrap(), sha256_digest(data));
        let mut r = HashingReader::new(&data[..], false, 5);
        assert!(drain(&mut r).is_err());
        assert!(r.over_limit);
        assert!(r.digest().is_none());
        let mut r = HashingReader::new(&data[..], true, 11);
        assert!(drain(&mut r).is_ok());
    }
}
