//! ExposedSecretReport: secrets found in the files of one container image (spec §1.3).

// Each `printcolumn(...)` in `#[kube(...)]` repeats the same keys (name, type_, …) by design;
// clippy's duplicated-attribute lint mistakes them for duplicates.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    Artifact, Registry, Scanner, SecretSeverity, SeveritySummary, date_time_schema,
};

/// Everything an exposed-secret report says about one container image.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExposedSecretReportData {
    /// When the operator built this report.
    #[schemars(schema_with = "date_time_schema")]
    pub update_timestamp: Time,
    /// The scanner.
    pub scanner: Scanner,
    /// Registry host; always written.
    #[serde(default)]
    pub registry: Registry,
    /// Repository, tag and digest of the image.
    pub artifact: Artifact,
    /// Counts per severity.
    pub summary: SeveritySummary,
    /// Findings, always written (`[]` when there are none).
    pub secrets: Vec<ExposedSecret>,
}

impl SeveritySummary {
    /// Counts exposed secrets by severity.
    pub fn count_secrets<'a>(secrets: impl IntoIterator<Item = &'a ExposedSecret>) -> Self {
        let mut summary = SeveritySummary::default();
        for s in secrets {
            match s.severity {
                SecretSeverity::Critical => summary.critical_count += 1,
                SecretSeverity::High => summary.high_count += 1,
                SecretSeverity::Medium => summary.medium_count += 1,
                SecretSeverity::Low => summary.low_count += 1,
            }
        }
        summary
    }
}

/// One secret found in a file (`report.secrets[]`); every field is always written.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExposedSecret {
    /// Path of the file inside the image.
    pub target: String,
    /// Rule that matched, e.g. `aws-access-key-id`.
    #[serde(rename = "ruleID")]
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Rule category, e.g. `AWS`.
    pub category: String,
    /// Severity.
    pub severity: SecretSeverity,
    /// The matching line with the secret itself redacted.
    #[serde(rename = "match")]
    pub match_: String,
}

/// Secrets found in the image of one workload container.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "ExposedSecretReport",
    plural = "exposedsecretreports",
    singular = "exposedsecretreport",
    shortname = "exposedsecret",
    shortname = "exposedsecrets",
    namespaced,
    no_spec,
    doc = "Secrets found in the image of one workload container.",
    printcolumn(
        name = "Repository",
        type_ = "string",
        json_path = ".report.artifact.repository",
        description = "Image repository"
    ),
    printcolumn(
        name = "Tag",
        type_ = "string",
        json_path = ".report.artifact.tag",
        description = "Image tag"
    ),
    printcolumn(
        name = "Scanner",
        type_ = "string",
        json_path = ".report.scanner.name",
        description = "Scanner that produced the report"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "Age of the report"
    ),
    printcolumn(
        name = "Critical",
        type_ = "integer",
        json_path = ".report.summary.criticalCount",
        priority = 1,
        description = "CRITICAL secrets"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".report.summary.highCount",
        priority = 1,
        description = "HIGH secrets"
    ),
    printcolumn(
        name = "Medium",
        type_ = "integer",
        json_path = ".report.summary.mediumCount",
        priority = 1,
        description = "MEDIUM secrets"
    ),
    printcolumn(
        name = "Low",
        type_ = "integer",
        json_path = ".report.summary.lowCount",
        priority = 1,
        description = "LOW secrets"
    )
)]
pub struct ExposedSecretReportBody {
    /// The report proper.
    pub report: ExposedSecretReportData,
}
