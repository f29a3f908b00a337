//! Building blocks shared by several report kinds: scanner, registry, artifact, OS, severities.
//!
//! Serialization follows the anchor's Go JSON tags: a field the anchor always writes (even empty) is
//! serialized unconditionally; a field tagged `omitempty` there is skipped when empty here, and is
//! `#[serde(default)]` so reports written by other tools still read back.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// Value of `report.scanner.name` on every report; metrics and UIs key on it.
pub const SCANNER_NAME: &str = "Trivy";
/// Value of `report.scanner.vendor` on every report.
pub const SCANNER_VENDOR: &str = "Aqua Security";

/// Schema of a timestamp field: Kubernetes' `date-time` string (RFC 3339).
///
/// `Time` from k8s-openapi has no `JsonSchema` unless k8s-openapi's `schemars` feature is on, which
/// would change that crate's features for the whole workspace; a local schema is simpler.
pub(crate) fn date_time_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "format": "date-time" })
}

/// `date_time_schema` for an `Option<Time>` field (the field is optional, the value is never null).
pub(crate) fn optional_date_time_schema(generator: &mut SchemaGenerator) -> Schema {
    date_time_schema(generator)
}

/// Serde helper: skip a `false` boolean, as Go's `omitempty` does.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// Serde helper: skip a zero integer, as Go's `omitempty` does.
pub(crate) fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// The tool that produced a report (`report.scanner`).
///
/// The anchor always writes `Trivy` / `Aqua Security`; dashboards and exporters filter on these, so
/// Palisade writes the same values (see [`Scanner::trivy`]).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Scanner {
    /// Scanner name; `Trivy` for compatibility.
    pub name: String,
    /// Scanner vendor; `Aqua Security` for compatibility.
    pub vendor: String,
    /// Scanner version. On image reports the anchor writes the Trivy image tag; on audit reports the
    /// operator version.
    pub version: String,
}

impl Scanner {
    /// The scanner block every consumer of Trivy Operator reports expects, with `version` filled in.
    pub fn trivy(version: impl Into<String>) -> Self {
        Scanner {
            name: SCANNER_NAME.to_owned(),
            vendor: SCANNER_VENDOR.to_owned(),
            version: version.into(),
        }
    }
}

/// Registry the image was pulled from (`report.registry`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Registry {
    /// Registry host, e.g. `index.docker.io`; always written, possibly empty.
    #[serde(default)]
    pub server: String,
}

/// The scanned image (`report.artifact`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Repository path within the registry, e.g. `library/nginx`; always written.
    #[serde(default)]
    pub repository: String,
    /// Image digest (`sha256:…`) when known.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    /// Image tag when the reference had one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tag: String,
    /// Media type of the artifact; never set by the anchor, kept for schema parity.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mime_type: String,
}

/// Operating system detected in the image (`report.os`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Os {
    /// OS family, e.g. `debian`; always written, empty when unknown.
    #[serde(default)]
    pub family: String,
    /// OS version, e.g. `12.5`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// True when the OS version is past its end of life; only written when true.
    #[serde(default, skip_serializing_if = "is_false")]
    pub eosl: bool,
}

/// Severity of a vulnerability or compliance control; upper-case on the wire, as the CRD enum has it.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// CRITICAL
    Critical,
    /// HIGH
    High,
    /// MEDIUM
    Medium,
    /// LOW
    Low,
    /// UNKNOWN: no severity from the data source.
    Unknown,
}

impl Severity {
    /// The wire spelling (`CRITICAL`, …), for labels, metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "CRITICAL",
            Severity::High => "HIGH",
            Severity::Medium => "MEDIUM",
            Severity::Low => "LOW",
            Severity::Unknown => "UNKNOWN",
        }
    }
}

/// Severity of an exposed secret. The anchor's CRD has no `UNKNOWN` here, so the type cannot carry
/// one and a report that the API server would reject cannot be built.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum SecretSeverity {
    /// CRITICAL
    Critical,
    /// HIGH
    High,
    /// MEDIUM
    Medium,
    /// LOW
    Low,
}

/// Counts of failed checks per severity, as audit and secret reports carry them.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeveritySummary {
    /// Number of CRITICAL items.
    pub critical_count: u64,
    /// Number of HIGH items.
    pub high_count: u64,
    /// Number of MEDIUM items.
    pub medium_count: u64,
    /// Number of LOW items.
    pub low_count: u64,
}

/// Convenience for building report timestamps: the current time, with the second precision the
/// anchor's Go `metav1.Time` serializes.
pub fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}
