//! ClusterComplianceReport: a compliance framework (spec) and its evaluation (status) (spec §1.4).
//!
//! This is the one anchor kind with a `spec` and a `status` subresource, so it uses the ordinary
//! derive shape.

// Each `printcolumn(...)` in `#[kube(...)]` repeats the same keys (name, type_, …) by design;
// clippy's duplicated-attribute lint mistakes them for duplicates.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Severity, date_time_schema};

/// Five space-separated cron fields (minute hour day-of-month month day-of-week), each made of
/// digits, names, `*`, `/`, `,` and `-`. Looser than the anchor's pattern (which also bounds the
/// numbers), so every schedule the anchor accepts is accepted; the operator parses it fully.
pub const CRON_PATTERN: &str = r"^[0-9A-Za-z*/,-]+( [0-9A-Za-z*/,-]+){4}$";

/// What a compliance report asks for (`spec`).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "ClusterComplianceReport",
    plural = "clustercompliancereports",
    singular = "clustercompliancereport",
    shortname = "compliance",
    status = "ComplianceReportStatus",
    doc = "A compliance framework (e.g. CIS, NSA, PSS) and how the cluster fares against it.",
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "Age of the report"
    ),
    printcolumn(
        name = "Fail",
        type_ = "integer",
        json_path = ".status.summary.failCount",
        priority = 1,
        description = "Failed controls"
    ),
    printcolumn(
        name = "Pass",
        type_ = "integer",
        json_path = ".status.summary.passCount",
        priority = 1,
        description = "Passed controls"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceReportSpec {
    /// When to re-evaluate, as a five-field cron expression (default in the Helm chart: every 6 hours).
    #[schemars(regex(pattern = CRON_PATTERN))]
    pub cron: String,
    /// `summary` or `all` (with per-resource details).
    pub report_type: ReportType,
    /// The framework.
    pub compliance: Compliance,
}

/// How much the status carries.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportType {
    /// Counts per control only.
    Summary,
    /// Counts and the failing resources.
    All,
}

/// A compliance framework.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Compliance {
    /// Identifier, e.g. `k8s-cis-1.23`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Framework version.
    pub version: String,
    /// Platform, e.g. `k8s`.
    pub platform: String,
    /// Type, e.g. `cis`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Reference URLs.
    pub related_resources: Vec<String>,
    /// The controls.
    pub controls: Vec<Control>,
}

/// One control of a framework and the checks that implement it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Control {
    /// Control identifier, e.g. `1.1.1`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Checks that implement the control (e.g. `AVD-KSV-0012`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<SpecCheck>,
    /// Node-collector commands the control needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<Command>,
    /// Severity of the control.
    pub severity: Severity,
    /// Status when no resource was evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_status: Option<ControlStatus>,
}

/// A check reference in a control.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SpecCheck {
    /// Check identifier as the scanner reports it.
    pub id: String,
}

/// A node-collector command reference in a control.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Command {
    /// Command identifier.
    pub id: String,
}

/// Status of a control when nothing was evaluated.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ControlStatus {
    /// PASS
    Pass,
    /// WARN
    Warn,
    /// FAIL
    Fail,
}

/// The evaluation (`status`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceReportStatus {
    /// When the evaluation ran; the next run is scheduled from it.
    #[schemars(schema_with = "date_time_schema")]
    pub update_timestamp: Time,
    /// Pass/fail counts over all controls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ComplianceSummary>,
    /// Per-control failure counts (`reportType: summary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub summary_report: Option<SummaryReport>,
    /// Per-control results with the failing checks (`reportType: all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub detail_report: Option<DetailReport>,
}

/// Pass/fail counts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceSummary {
    /// Failed controls.
    #[serde(default)]
    pub fail_count: u64,
    /// Passed controls.
    #[serde(default)]
    pub pass_count: u64,
}

/// Per-control failure counts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummaryReport {
    /// Framework identifier.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Framework title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// One entry per control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub control_check: Vec<ControlCheckSummary>,
}

/// Failure count of one control.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlCheckSummary {
    /// Control identifier.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Control name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Control severity.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub severity: String,
    /// Number of failing resources.
    #[serde(default)]
    pub total_fail: u64,
}

/// Per-control results with details.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DetailReport {
    /// Framework identifier.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Framework title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Framework description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Framework version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Related versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_version: Vec<String>,
    /// One entry per control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ControlCheckResult>,
}

/// Result of one control.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlCheckResult {
    /// Control identifier.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Control name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Control description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Control severity.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub severity: String,
    /// `PASS`, `FAIL`, …
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// The checks evaluated for the control; always written.
    pub checks: Vec<ComplianceCheck>,
}

/// One check evaluated for a control, with the resource it ran on.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceCheck {
    /// Check identifier.
    #[serde(rename = "checkID")]
    pub check_id: String,
    /// The evaluated resource.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// Check title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Check description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Severity.
    pub severity: String,
    /// Category.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category: String,
    /// Messages of the failed evaluation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// How to fix a failure.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remediation: String,
    /// False when the check failed.
    pub success: bool,
}
