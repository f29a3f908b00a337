//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while resolving and reading an image.
///
/// Variants are split by what the user can do about them: a bad reference is fixed by retyping
/// it, `Unauthorized` by supplying credentials, `Unreachable` by checking the network, while
/// `DigestMismatch` and `CorruptLayer` mean the image itself cannot be trusted. Each message names
/// the input it is about (reference, registry host, file, layer digest) so it stands on its own.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The image reference string could not be parsed.
    #[error("invalid image reference {input:?}: {reason}")]
    InvalidReference {
        /// What the user typed.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--platform` value could not be parsed.
    #[error("invalid platform {input:?}: {reason} (expected os/arch[/variant], e.g. linux/amd64)")]
    InvalidPlatform {
        /// What the user typed.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A digest in a reference, manifest or archive is malformed or uses an unsupported algorithm.
    #[error("invalid digest {digest:?}: {reason}")]
    InvalidDigest {
        /// The offending digest string.
        digest: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A local file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The registry rejected our (possibly absent) credentials.
    #[error("unauthorized at registry {registry}: {detail}")]
    Unauthorized {
        /// Registry host as the user named it.
        registry: String,
        /// What the registry or token service said, plus a hint.
        detail: String,
    },
    /// The requested image, tag, manifest or blob does not exist.
    #[error("not found: {what}")]
    NotFound {
        /// The reference, tag or blob that was looked for.
        what: String,
    },
    /// The host could not be reached at all (DNS failure, connection refused, timeout).
    #[error("cannot reach {host}: {detail}")]
    Unreachable {
        /// Host (and port) that was contacted.
        host: String,
        /// The transport error.
        detail: String,
    },
    /// The TLS handshake with the host failed.
    #[error("TLS error talking to {host}: {detail}")]
    Tls {
        /// Host (and port) that was contacted.
        host: String,
        /// The TLS error, with a hint about `--insecure` where relevant.
        detail: String,
    },
    /// The server answered with a status this client does not expect.
    #[error("unexpected HTTP status {status} from {url}: {detail}")]
    UnexpectedStatus {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The registry's error message, if it gave one.
        detail: String,
    },
    /// Any other HTTP-level failure (bad redirect, protocol error, broken body).
    #[error("HTTP request to {url} failed: {detail}")]
    Http {
        /// The URL requested.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// Reading a blob failed part-way (connection reset, local read error).
    #[error("reading {what} failed: {detail}")]
    BlobRead {
        /// The blob (layer digest or archive path).
        what: String,
        /// The underlying error.
        detail: String,
    },
    /// A manifest, index, image config or archive metadata file is not what it claims to be.
    #[error("invalid {what}: {reason}")]
    InvalidManifest {
        /// Which document (with its digest or path).
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A manifest or layer uses a format this scanner cannot read.
    #[error("unsupported media type {media_type:?} for {what}")]
    UnsupportedMediaType {
        /// Which document or layer.
        what: String,
        /// The media type found.
        media_type: String,
    },
    /// Docker schema 1 manifests are deprecated, unsigned-digest and lack an image config.
    #[error(
        "{reference} uses a Docker schema 1 manifest, which is deprecated and not supported; \
         re-push the image with a current client"
    )]
    Schema1 {
        /// The image reference.
        reference: String,
    },
    /// No manifest in an index matches the requested platform.
    #[error(
        "no image for platform {wanted} in {what}; available: {}",
        list_or_none(available)
    )]
    NoMatchingPlatform {
        /// The platform asked for.
        wanted: String,
        /// The index or reference searched.
        what: String,
        /// Platforms the index does offer.
        available: Vec<String>,
    },
    /// The OCI layout or archive does not contain the requested tag or image.
    #[error(
        "{what} has no image {wanted:?}; available: {}",
        list_or_none(available)
    )]
    ImageNotInSource {
        /// The layout directory or archive.
        what: String,
        /// The tag or name asked for.
        wanted: String,
        /// Tags or names the source does hold.
        available: Vec<String>,
    },
    /// The source holds several images and none was named.
    #[error(
        "{what} holds several images; pick one of: {}",
        list_or_none(available)
    )]
    AmbiguousImage {
        /// The layout directory or archive.
        what: String,
        /// Tags or names the source holds.
        available: Vec<String>,
    },
    /// Content does not hash to the digest that identifies it: corrupted or tampered with.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The manifest, config or layer involved.
        what: String,
        /// The digest it should have.
        expected: String,
        /// The digest of what was actually read.
        actual: String,
    },
    /// A layer's compressed stream or tar structure is broken or truncated.
    #[error("corrupt layer {layer}: {reason}")]
    CorruptLayer {
        /// Layer digest (or archive path when no digest is known).
        layer: String,
        /// What went wrong.
        reason: String,
    },
    /// A document or stream exceeded a size or count limit meant to stop hostile input.
    #[error("{what} exceeds the limit of {limit} {unit}")]
    LimitExceeded {
        /// What was being read.
        what: String,
        /// The limit.
        limit: u64,
        /// Unit of the limit (`bytes`, `entries`, ...).
        unit: &'static str,
    },
    /// A kept file broke the file tree's memory limits.
    #[error("layer {layer}: {source}")]
    Vfs {
        /// Layer digest.
        layer: String,
        /// The tree's complaint.
        source: palisade_vfs::VfsError,
    },
    /// A Docker config / Kubernetes pull-secret file could not be understood.
    #[error("invalid credentials file {origin}: {reason}")]
    InvalidCredentials {
        /// The file (or `docker config` when given as bytes).
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

impl ImageError {
    /// Builds an [`ImageError::Io`] for `path`; a helper because almost every local read needs it.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ImageError::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds an [`ImageError::InvalidManifest`].
    pub(crate) fn manifest(what: impl Into<String>, reason: impl Into<String>) -> Self {
        ImageError::InvalidManifest {
            what: what.into(),
            reason: reason.into(),
        }
    }
}
