//! How a scan Job hands its result to the operator: the HTTP contract both sides share.
//!
//! Results travel over HTTP, never through pod logs (docs/operator-design.md, spec §9 item 12):
//! logs are truncated, rotated and interleaved with progress output, and a BOM of a large image
//! does not fit in them. The Job (`palisade scan-job`) POSTs to the operator:
//!
//! * `POST {RESULTS_PATH_PREFIX}{job}/result`: the CycloneDX BOM, zstd-compressed
//!   (`Content-Encoding: zstd`, [`RESULT_CONTENT_ENCODING`]), with the lowercase hex SHA-256 of the
//!   *uncompressed* BOM in [`HEADER_CONTENT_SHA256`], so the operator can tell a complete,
//!   untampered inventory from a truncated one before it stores it.
//! * `POST {RESULTS_PATH_PREFIX}{job}/failure`: a JSON [`ScanFailure`] when the scan could not
//!   be done, so the operator learns *why* (and can raise an Event, pick a retry policy) without
//!   waiting for the Job to time out or reading its log.
//!
//! Both carry `Authorization: Bearer <token>`, the Job's one-time token; compare it with
//! [`tokens_equal`], which takes the same time whatever the tokens hold.
//!
//! What the operator should answer: any 2xx (204 is enough) once it has the result or failure;
//! a 4xx for a request it will never accept (401/403 bad token, 404 unknown Job, 413 too large,
//! 400 bad checksum or body), which the Job reports and does not retry; a 5xx when it cannot take
//! the request right now, which the Job retries twice (after 1 s and 2 s, 60 s per attempt). A
//! retried POST may arrive after the first one was in fact processed, so a repeated result with
//! the same checksum should get a 2xx again, not an error.
//!
//! Everything here is pure and synchronous so the client (a blocking CLI) and the server (the
//! async operator) use the same code and the same limits; the operator should read at most
//! [`MAX_COMPRESSED_BYTES`] of a result body (or [`MAX_FAILURE_BYTES`] of a failure body) and
//! then call [`decode_result`] with [`MAX_BOM_BYTES`] (or [`decode_failure`]).

use std::io::Read;

use sha2::{Digest, Sha256};

/// Prefix of both endpoints: `POST {RESULTS_PATH_PREFIX}{job_name}/result` and
/// `POST {RESULTS_PATH_PREFIX}{job_name}/failure`. Versioned so a future format can live next to
/// this one while old Jobs drain.
pub const RESULTS_PATH_PREFIX: &str = "/v1/scans/";

/// Header carrying the lowercase hex SHA-256 of the *uncompressed* BOM bytes: checking the
/// decompressed content (not the body) also catches a compressor or decompressor bug.
pub const HEADER_CONTENT_SHA256: &str = "x-palisade-content-sha256";

/// Header carrying the version of the inventory a result body holds ([`INVENTORY_FORMAT`]).
pub const HEADER_INVENTORY_FORMAT: &str = "x-palisade-inventory-format";

/// The inventory format scan Jobs send and this operator reads: a CycloneDX BOM in which every
/// package is typed (its ecosystem by purl type, Trivy's package type and the file it was found
/// in as properties), so packages of every ecosystem reach the operator. Version 1 carried
/// Debian packages only, version 2 no apk or rpm packages (an operator of version 2 would take
/// them for unknown language packages); an operator and a Job of different formats refuse each
/// other with [`check_inventory_format`]'s message instead of silently dropping packages.
pub const INVENTORY_FORMAT: u32 = 3;

/// Checks the [`HEADER_INVENTORY_FORMAT`] a Job sent (`None` when it sent none, as Jobs older
/// than the header do); the error says what to do.
pub fn check_inventory_format(header: Option<&str>) -> Result<(), String> {
    match header.map(str::trim) {
        Some(v) if v == INVENTORY_FORMAT.to_string() => Ok(()),
        Some(v) => Err(format!(
            "the scan Job sent inventory format {:?}, but this operator reads format {INVENTORY_FORMAT}; run the scan Jobs with the operator's own image",
            v.chars().take(20).collect::<String>()
        )),
        None => Err(format!(
            "the scan Job sent no {HEADER_INVENTORY_FORMAT} header (an older Palisade); this operator reads inventory format {INVENTORY_FORMAT}; run the scan Jobs with the operator's own image"
        )),
    }
}

/// `Content-Encoding` of result bodies: zstd shrinks a JSON BOM about tenfold at a cost of
/// milliseconds, which keeps large inventories well under the body limit.
pub const RESULT_CONTENT_ENCODING: &str = "zstd";

/// `Content-Type` of result bodies (before compression): a CycloneDX JSON BOM.
pub const RESULT_CONTENT_TYPE: &str = "application/vnd.cyclonedx+json";

/// `Content-Type` of failure bodies.
pub const FAILURE_CONTENT_TYPE: &str = "application/json";

/// Largest compressed body the operator accepts (64 MiB): a BOM of the largest images seen is a
/// few MiB compressed; anything far beyond is an attack or a bug, and is refused before it is
/// buffered.
pub const MAX_COMPRESSED_BYTES: usize = 64 << 20;

/// Largest decompressed BOM the operator accepts (256 MiB), the same limit `palisade sbom` puts
/// on BOM files: parsing JSON into a tree costs several times its size in memory.
pub const MAX_BOM_BYTES: usize = 256 << 20;

/// Largest failure body (64 KiB): a reason and a human-readable message, nothing more.
pub const MAX_FAILURE_BYTES: usize = 64 << 10;

/// Longest failure message [`encode_failure`] keeps, in bytes. Even if every byte had to be
/// escaped as `\u00XX` in JSON (6 bytes each), the body stays under [`MAX_FAILURE_BYTES`].
pub const MAX_FAILURE_MESSAGE_BYTES: usize = 8 << 10;

/// zstd level of result bodies: level 3 (zstd's default) compresses a BOM about as well as the
/// high levels at a fraction of their time.
const ZSTD_LEVEL: i32 = 3;

/// Largest zstd window the decoder accepts (2^24 = 16 MiB). Level 3 never uses more than 2 MiB;
/// without a cap a hostile frame could make the decoder reserve up to 128 MiB before producing a
/// single byte.
const MAX_WINDOW_LOG: u32 = 24;

/// Why a result or failure body could not be encoded or accepted.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The decompressed BOM does not hash to what the Job said: truncated or altered on the way.
    #[error("checksum mismatch: the header says sha256 {expected}, the content is sha256 {actual}")]
    ChecksumMismatch {
        /// The lowercase hex SHA-256 from [`HEADER_CONTENT_SHA256`].
        expected: String,
        /// The lowercase hex SHA-256 of the decompressed content.
        actual: String,
    },
    /// A body, or what it decompresses to, is over its limit (decompression-bomb guard).
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What was measured: `decompressed BOM`, `compressed body`, `failure body`, ...
        what: &'static str,
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// The body is not a valid zstd stream (corrupt, truncated, or not zstd at all).
    #[error("the body is not valid zstd data: {0}")]
    Corrupt(#[source] std::io::Error),
    /// The checksum header is missing, or not 64 lowercase hex digits.
    #[error(
        "invalid {HEADER_CONTENT_SHA256} header {0:?}: expected 64 lowercase hex digits (SHA-256)"
    )]
    BadChecksumHeader(String),
    /// Compressing the BOM failed (zstd could not allocate its context).
    #[error("cannot compress the BOM: {0}")]
    Compress(#[source] std::io::Error),
    /// A failure body is not the JSON of a [`ScanFailure`].
    #[error("the failure body is not a valid ScanFailure JSON document: {0}")]
    FailureJson(#[source] serde_json::Error),
}

/// A result body ready to POST: what goes into the body and into [`HEADER_CONTENT_SHA256`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedResult {
    /// The zstd-compressed BOM.
    pub body: Vec<u8>,
    /// Lowercase hex SHA-256 of the uncompressed BOM.
    pub sha256_hex: String,
}

/// Compresses a BOM for the result POST (zstd level 3) and computes its checksum.
///
/// The client should check `body.len()` against [`MAX_COMPRESSED_BYTES`] (and the BOM against
/// [`MAX_BOM_BYTES`]) itself: sending a body the operator will refuse only wastes the upload.
pub fn encode_result(bom_json: &[u8]) -> Result<EncodedResult, TransportError> {
    let body = zstd::bulk::compress(bom_json, ZSTD_LEVEL).map_err(TransportError::Compress)?;
    Ok(EncodedResult {
        body,
        sha256_hex: sha256_hex(bom_json),
    })
}

/// Decompresses a result body and verifies it against the checksum header.
///
/// The header is validated first, so a malformed request costs no decompression. Decompression
/// is streamed with a hard limit: as soon as the output exceeds `max_bytes` it stops with
/// [`TransportError::TooLarge`], so a tiny body that expands to gigabytes (a decompression bomb)
/// never allocates more than `max_bytes` (plus one read buffer). Pass [`MAX_BOM_BYTES`] unless
/// there is a reason for a smaller limit.
pub fn decode_result(
    body: &[u8],
    sha256_hex: &str,
    max_bytes: usize,
) -> Result<Vec<u8>, TransportError> {
    if !is_sha256_hex(sha256_hex) {
        return Err(TransportError::BadChecksumHeader(
            sha256_hex.chars().take(100).collect(),
        ));
    }
    let mut decoder =
        zstd::stream::read::Decoder::with_buffer(body).map_err(TransportError::Corrupt)?;
    decoder
        .window_log_max(MAX_WINDOW_LOG)
        .map_err(TransportError::Corrupt)?;
    // Read one byte past the limit: getting it proves the content is too large without reading
    // (or allocating) any further.
    let limit = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut out = Vec::new();
    decoder
        .take(limit)
        .read_to_end(&mut out)
        .map_err(TransportError::Corrupt)?;
    if out.len() > max_bytes {
        return Err(TransportError::TooLarge {
            what: "decompressed BOM",
            limit: max_bytes,
        });
    }
    let actual = self::sha256_hex(&out);
    if actual != sha256_hex {
        return Err(TransportError::ChecksumMismatch {
            expected: sha256_hex.to_string(),
            actual,
        });
    }
    Ok(out)
}

/// Lowercase hex SHA-256 of `data`, the form [`HEADER_CONTENT_SHA256`] carries.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Compares two tokens in time that does not depend on where they differ.
///
/// A plain `==` returns at the first differing byte, which lets an attacker who can time many
/// requests guess a token byte by byte. Both tokens are hashed first, so the comparison runs over
/// two fixed-size digests whatever the lengths, and every byte of them is folded together before
/// the single final test.
pub fn tokens_equal(a: &str, b: &str) -> bool {
    let da = Sha256::digest(a.as_bytes());
    let db = Sha256::digest(b.as_bytes());
    let diff = da
        .iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Which of the two endpoints a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `…/result`: a compressed BOM.
    Result,
    /// `…/failure`: a [`ScanFailure`].
    Failure,
}

/// `{RESULTS_PATH_PREFIX}{job_name}/result`, so client and server cannot disagree on the path.
pub fn result_path(job_name: &str) -> String {
    format!("{RESULTS_PATH_PREFIX}{job_name}/result")
}

/// `{RESULTS_PATH_PREFIX}{job_name}/failure`.
pub fn failure_path(job_name: &str) -> String {
    format!("{RESULTS_PATH_PREFIX}{job_name}/failure")
}

/// Splits a request path into the Job name and the endpoint; `None` for any other path or a Job
/// name that is not a valid Kubernetes object name (so a server can route with one call and
/// never look up a name that cannot exist).
pub fn parse_path(path: &str) -> Option<(&str, Endpoint)> {
    let rest = path.strip_prefix(RESULTS_PATH_PREFIX)?;
    let (job, endpoint) = rest.rsplit_once('/')?;
    let endpoint = match endpoint {
        "result" => Endpoint::Result,
        "failure" => Endpoint::Failure,
        _ => return None,
    };
    is_valid_job_name(job).then_some((job, endpoint))
}

/// Whether `name` is a valid Job name (an RFC 1123 subdomain: at most 253 lowercase
/// alphanumerics, `-` and `.`, starting and ending alphanumeric). The client checks it before
/// building a URL, so a name can never smuggle in a path or query.
pub fn is_valid_job_name(name: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&f), Some(&l)) => {
            bytes.len() <= 253
                && alnum(f)
                && alnum(l)
                && bytes.iter().all(|&b| alnum(b) || b == b'-' || b == b'.')
        }
        _ => false,
    }
}

/// Why a scan Job could not produce an inventory; the body of the `…/failure` POST.
///
/// The reason is for machines (Event reasons, metric labels, retry policy), the message for
/// people (it is the Job's full error chain).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanFailure {
    /// What kind of failure it was.
    pub reason: FailureReason,
    /// The error, as the Job printed it.
    pub message: String,
}

/// The kind of a scan failure, chosen so the operator can decide what to do without parsing
/// messages.
///
/// Serialized as the variant name (`"PullFailed"`); a reason this operator does not know (sent by
/// a newer Job image) reads as [`FailureReason::Other`] rather than rejecting the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FailureReason {
    /// The registry could not be reached or failed mid-transfer (network, TLS, 5xx): usually
    /// transient, worth retrying.
    PullFailed,
    /// The registry refused the credentials, or none were given; or a pull secret is malformed.
    /// Retrying helps only once the pull secrets change.
    Unauthorized,
    /// The repository, tag, manifest, blob or platform does not exist in the registry.
    NotFound,
    /// The reference is malformed, or the image itself is broken: digest mismatch, corrupt
    /// layer, unsupported or invalid manifest. Retrying the same image will not help.
    InvalidImage,
    /// The image was read but its packages could not be analysed (e.g. a corrupt dpkg database,
    /// or the inventory is over the size limits).
    AnalysisFailed,
    /// Anything else (local I/O, bad Job configuration, an unknown reason from a newer Job).
    #[serde(other)]
    Other,
}

impl FailureReason {
    /// The reason as a stable string (`"PullFailed"`, …), for Event reasons and metric labels.
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureReason::PullFailed => "PullFailed",
            FailureReason::Unauthorized => "Unauthorized",
            FailureReason::NotFound => "NotFound",
            FailureReason::InvalidImage => "InvalidImage",
            FailureReason::AnalysisFailed => "AnalysisFailed",
            FailureReason::Other => "Other",
        }
    }
}

impl std::fmt::Display for FailureReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serializes a failure for the `…/failure` POST, cutting the message to
/// [`MAX_FAILURE_MESSAGE_BYTES`] (at a character boundary, marked with `…`) so the body always
/// fits [`MAX_FAILURE_BYTES`]: a failure report must never itself be refused for its size.
pub fn encode_failure(failure: &ScanFailure) -> Vec<u8> {
    let mut f = failure.clone();
    if f.message.len() > MAX_FAILURE_MESSAGE_BYTES {
        let mut cut = MAX_FAILURE_MESSAGE_BYTES - '…'.len_utf8();
        while !f.message.is_char_boundary(cut) {
            cut -= 1;
        }
        f.message.truncate(cut);
        f.message.push('…');
    }
    // A struct of an enum and a string always serializes; an empty object is never sent.
    serde_json::to_vec(&f).unwrap_or_default()
}

/// Parses a failure body, refusing bodies over [`MAX_FAILURE_BYTES`].
pub fn decode_failure(body: &[u8]) -> Result<ScanFailure, TransportError> {
    if body.len() > MAX_FAILURE_BYTES {
        return Err(TransportError::TooLarge {
            what: "failure body",
            limit: MAX_FAILURE_BYTES,
        });
    }
    serde_json::from_slice(body).map_err(TransportError::FailureJson)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_format_is_checked() {
        assert!(check_inventory_format(Some("3")).is_ok());
        let e = check_inventory_format(Some("2")).unwrap_err();
        assert!(
            e.contains("format \"2\"") && e.contains("reads format 3"),
            "{e}"
        );
        let e = check_inventory_format(None).unwrap_err();
        assert!(e.contains(HEADER_INVENTORY_FORMAT), "{e}");
    }
    use std::io::Write;

    const BOM: &[u8] = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}"#;

    #[test]
    fn round_trip() {
        let enc = encode_result(BOM).unwrap();
        assert_eq!(enc.sha256_hex, sha256_hex(BOM));
        assert_eq!(enc.sha256_hex.len(), 64);
        assert_eq!(&enc.body[..4], &[0x28, 0xb5, 0x2f, 0xfd], "a zstd frame");
        let back = decode_result(&enc.body, &enc.sha256_hex, MAX_BOM_BYTES).unwrap();
        assert_eq!(back, BOM);
        // Exactly at the limit is fine.
        assert_eq!(
            decode_result(&enc.body, &enc.sha256_hex, BOM.len()).unwrap(),
            BOM
        );
        // An empty BOM survives too.
        let enc = encode_result(b"").unwrap();
        assert!(
            decode_result(&enc.body, &enc.sha256_hex, 0)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn known_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn checksum_mismatch_names_both_sums() {
        let enc = encode_result(BOM).unwrap();
        let other = sha256_hex(b"something else");
        let e = decode_result(&enc.body, &other, MAX_BOM_BYTES).unwrap_err();
        assert!(matches!(e, TransportError::ChecksumMismatch { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(&other) && msg.contains(&enc.sha256_hex),
            "{msg}"
        );
    }

    #[test]
    fn bad_checksum_header() {
        let enc = encode_result(BOM).unwrap();
        for bad in [
            "",
            "abc",
            &enc.sha256_hex.to_ascii_uppercase(),
            &format!("sha256:{}", enc.sha256_hex),
            &format!("{}0", enc.sha256_hex),
            &"g".repeat(64),
        ] {
            let e = decode_result(&enc.body, bad, MAX_BOM_BYTES).unwrap_err();
            assert!(
                matches!(e, TransportError::BadChecksumHeader(_)),
                "{bad}: {e}"
            );
            assert!(e.to_string().contains(HEADER_CONTENT_SHA256));
        }
    }

    /// 64 MiB of zeros compress to a few KiB; a 1 MiB limit must stop decoding right after the
    /// first MiB. The input is streamed into the encoder so the test itself never holds it.
    #[test]
    fn decompression_bomb_is_stopped_at_the_limit() {
        let mut enc = zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..64 {
            enc.write_all(&chunk).unwrap();
        }
        let body = enc.finish().unwrap();
        assert!(body.len() < 64 << 10, "{} bytes", body.len());
        let sum = "0".repeat(64);
        let e = decode_result(&body, &sum, 1 << 20).unwrap_err();
        match e {
            TransportError::TooLarge { what, limit } => {
                assert_eq!(limit, 1 << 20);
                assert_eq!(what, "decompressed BOM");
            }
            other => panic!("expected TooLarge, got {other}"),
        }
        // One byte over is over, too.
        let enc = encode_result(BOM).unwrap();
        let e = decode_result(&enc.body, &enc.sha256_hex, BOM.len() - 1).unwrap_err();
        assert!(e.to_string().contains("limit"), "{e}");
    }

    #[test]
    fn corrupt_bodies_are_errors() {
        let enc = encode_result(&BOM.repeat(100)).unwrap();
        let sum = &enc.sha256_hex;
        // Not zstd at all.
        let e = decode_result(BOM, sum, MAX_BOM_BYTES).unwrap_err();
        assert!(matches!(e, TransportError::Corrupt(_)), "{e}");
        // Truncated.
        let cut = &enc.body[..enc.body.len() / 2];
        let e = decode_result(cut, sum, MAX_BOM_BYTES).unwrap_err();
        assert!(matches!(e, TransportError::Corrupt(_)), "{e}");
        // A flipped byte in the compressed data: either zstd notices or the checksum does.
        let mut flipped = enc.body.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x55;
        assert!(decode_result(&flipped, sum, MAX_BOM_BYTES).is_err());
        // Trailing garbage after a valid frame.
        let mut trailing = enc.body.clone();
        trailing.extend_from_slice(b"garbage!");
        assert!(decode_result(&trailing, sum, MAX_BOM_BYTES).is_err());
    }

    #[test]
    fn a_window_larger_than_the_cap_is_refused() {
        let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 19).unwrap();
        enc.window_log(MAX_WINDOW_LOG + 2).unwrap();
        enc.long_distance_matching(true).unwrap();
        enc.write_all(&vec![7u8; 1 << 20]).unwrap();
        let body = enc.finish().unwrap();
        let sum = sha256_hex(&vec![7u8; 1 << 20]);
        let e = decode_result(&body, &sum, MAX_BOM_BYTES).unwrap_err();
        assert!(matches!(e, TransportError::Corrupt(_)), "{e}");
    }

    #[test]
    fn token_comparison() {
        assert!(tokens_equal("s3cret-token", "s3cret-token"));
        assert!(tokens_equal("", ""));
        assert!(!tokens_equal("s3cret-token", "s3cret-tokeN"));
        assert!(!tokens_equal("s3cret-token", "s3cret-token "));
        assert!(!tokens_equal("s3cret-token", ""));
        assert!(!tokens_equal("a", "b"));
    }

    #[test]
    fn paths() {
        assert_eq!(result_path("scan-abc"), "/v1/scans/scan-abc/result");
        assert_eq!(failure_path("scan-abc"), "/v1/scans/scan-abc/failure");
        assert_eq!(
            parse_path("/v1/scans/scan-abc/result"),
            Some(("scan-abc", Endpoint::Result))
        );
        assert_eq!(
            parse_path(&failure_path("scan-1.x")),
            Some(("scan-1.x", Endpoint::Failure))
        );
        for bad in [
            "/v1/scans/scan-abc/other",
            "/v1/scans//result",
            "/v1/scans/a/b/result",
            "/v1/scans/Upper/result",
            "/v1/scans/-x/result",
            "/v2/scans/x/result",
            "/v1/scans/x/result?y",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
        assert!(is_valid_job_name(&"a".repeat(253)));
        assert!(!is_valid_job_name(&"a".repeat(254)));
        assert!(!is_valid_job_name(""));
        assert!(!is_valid_job_name("a/b"));
    }

    #[test]
    fn failure_json() {
        let f = ScanFailure {
            reason: FailureReason::NotFound,
            message: "not found: 127.0.0.1:5000/x@sha256:00".into(),
        };
        let body = encode_failure(&f);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["reason"], "NotFound");
        assert_eq!(v["message"], f.message);
        assert_eq!(decode_failure(&body).unwrap(), f);
        for r in [
            FailureReason::PullFailed,
            FailureReason::Unauthorized,
            FailureReason::NotFound,
            FailureReason::InvalidImage,
            FailureReason::AnalysisFailed,
            FailureReason::Other,
        ] {
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json, r.as_str());
            assert_eq!(r.to_string(), r.as_str());
        }
        // A reason from a newer Job reads as Other.
        let f = decode_failure(br#"{"reason":"QuotaExceeded","message":"m"}"#).unwrap();
        assert_eq!(f.reason, FailureReason::Other);
        assert!(matches!(
            decode_failure(b"{}").unwrap_err(),
            TransportError::FailureJson(_)
        ));
        let big = vec![b' '; MAX_FAILURE_BYTES + 1];
        assert!(matches!(
            decode_failure(&big).unwrap_err(),
            TransportError::TooLarge { .. }
        ));
    }

    #[test]
    fn long_failure_messages_are_cut_to_fit() {
        // Control characters are the worst case for JSON escaping.
        let f = ScanFailure {
            reason: FailureReason::Other,
            message: "\u{1}é".repeat(100_000),
        };
        let body = encode_failure(&f);
        assert!(body.len() <= MAX_FAILURE_BYTES, "{}", body.len());
        let back = decode_failure(&body).unwrap();
        assert!(back.message.ends_with('…'));
        assert!(back.message.len() <= MAX_FAILURE_MESSAGE_BYTES);
        assert!(f.message.starts_with(back.message.trim_end_matches('…')));
    }
}
