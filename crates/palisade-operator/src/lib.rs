//! The pure core of `palisade operator`: everything that turns a scan result into the Kubernetes
//! objects the operator writes, without any I/O.
//!
//! The operator's reports must be byte-for-byte what Trivy Operator v0.32 writes (spec §1.3, §1.5,
//! §2), and the parts that decide *what* to write are the parts most worth testing in isolation.
//! Keeping them here, free of a kube client, lets every rule be unit-tested and lets the
//! controller (next step, see `docs/operator-design.md`) stay a thin loop of watch → build → write.
//!
//! * [`image`]: registry, repository, tag and digest of the running image.
//! * [`vulnerability`]: [`vulnerability_report`] from matcher findings and the inventory.
//! * [`cap`]: [`cap_report`] keeps a report under etcd's object size limit.
//! * [`sbom`]: [`sbom_report`] from the CycloneDX BOM a scan Job returns.
//! * [`metadata`]: report name, labels, annotations and owner reference.
//! * [`compare`]: [`reports_equal_ignoring_timestamp`] so unchanged reports are not rewritten.

#![warn(missing_docs)]

pub mod cap;
pub mod compare;
pub mod image;
pub mod metadata;
pub mod sbom;
pub mod transport;
pub mod vulnerability;

pub use cap::{
    ANNOTATION_TRUNCATED, CappedReport, DEFAULT_MAX_REPORT_BYTES, Truncation, cap_report,
};
pub use compare::{ReportContent, reports_equal_ignoring_timestamp};
pub use image::ImageIdentity;
pub use metadata::{
    Owner, ReportMetadata, owner_api_version, report_metadata, report_metadata_for,
};
pub use sbom::{parse_bom, sbom_report};
pub use vulnerability::{VulnerabilityInput, vulnerability_report};

/// Why a report or its metadata could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The container's image string is not a registry reference.
    #[error("container image {image:?} is not a valid reference: {source}")]
    InvalidImage {
        /// The image string, as the Pod spec has it (shortened if very long).
        image: String,
        /// What the parser rejected.
        #[source]
        source: palisade_image::ImageError,
    },
    /// The scan result is not JSON of the expected shape.
    #[error("the BOM is not valid CycloneDX JSON: {0}")]
    BomJson(#[source] serde_json::Error),
    /// JSON, but not a CycloneDX BOM.
    #[error("not a CycloneDX BOM: bomFormat is {0:?}")]
    NotCycloneDx(String),
    /// A report could not be serialized to measure its size.
    #[error("cannot serialize the report: {0}")]
    Serialize(#[source] serde_json::Error),
    /// Even with no findings at all the report exceeds the size limit.
    #[error("the report without findings is {size} bytes, over the limit of {max_bytes}")]
    ReportTooLarge {
        /// Serialized size of the report with an empty `vulnerabilities` list.
        size: usize,
        /// The limit.
        max_bytes: usize,
    },
    /// The owner kind has no known API version, so no valid owner reference can be made.
    #[error("unknown owner kind {0:?}: no API version known for it")]
    UnknownOwnerKind(String),
}
