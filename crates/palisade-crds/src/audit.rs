//! Check-based reports: ConfigAudit, RbacAssessment and InfraAssessment, namespaced and cluster-wide
//! (spec §1.3, §1.4). They share the [`Check`] item and a four-severity summary.

// Each `printcolumn(...)` in `#[kube(...)]` repeats the same keys (name, type_, …) by design;
// clippy's duplicated-attribute lint mistakes them for duplicates.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Scanner, SeveritySummary, optional_date_time_schema};

/// A configuration audit report: the result of every check applicable to one resource.
///
/// The anchor's schema makes only `checks` required, but the anchor always writes the other
/// fields; so does Palisade (`update_timestamp` is written whenever it is set).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigAuditReportData {
    /// When the operator built this report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "optional_date_time_schema")]
    pub update_timestamp: Option<Time>,
    /// The scanner; `version` is the operator version here, not the scanner's.
    #[serde(default)]
    pub scanner: Scanner,
    /// Counts of *failed* checks per severity.
    #[serde(default)]
    pub summary: SeveritySummary,
    /// Every evaluated check, passed or failed; always written.
    pub checks: Vec<Check>,
}

/// An RBAC or infrastructure assessment report. Unlike config audit reports these have no
/// `updateTimestamp`, and `scanner` and `summary` are required by the schema.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
pub struct AssessmentReportData {
    /// The scanner; `version` is the operator version.
    pub scanner: Scanner,
    /// Counts of failed checks per severity.
    pub summary: SeveritySummary,
    /// Every evaluated check; always written.
    pub checks: Vec<Check>,
}

impl SeveritySummary {
    /// Counts the *failed* checks per severity, as the anchor's audit summaries do. Severities other
    /// than the four named ones are not counted (the summary has no `unknownCount`).
    pub fn count_failed<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Self {
        let mut summary = SeveritySummary::default();
        for check in checks.into_iter().filter(|c| !c.success) {
            match check.severity.as_str() {
                "CRITICAL" => summary.critical_count += 1,
                "HIGH" => summary.high_count += 1,
                "MEDIUM" => summary.medium_count += 1,
                "LOW" => summary.low_count += 1,
                _ => {}
            }
        }
        summary
    }
}

/// The result of one check against one resource (`report.checks[]`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Check identifier, e.g. `KSV001`.
    #[serde(rename = "checkID")]
    pub check_id: String,
    /// Severity, upper-case. A plain string, because the CRD declares no enum here.
    pub severity: String,
    /// False when the resource fails the check.
    pub success: bool,
    /// Check title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// What the check looks for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// e.g. `Kubernetes Security Check`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category: String,
    /// Messages of the failed evaluation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// How to fix a failure.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remediation: String,
    /// The part of the resource the check applies to; never set by the anchor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<CheckScope>,
}

/// Where within a resource a check applies.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct CheckScope {
    /// Kind of scope, e.g. `Container`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Its value, e.g. the container name.
    pub value: String,
}

/// Configuration audit of one namespaced resource.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "ConfigAuditReport",
    plural = "configauditreports",
    singular = "configauditreport",
    shortname = "configaudit",
    shortname = "configaudits",
    namespaced,
    no_spec,
    doc = "Configuration audit of one namespaced resource.",
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
        description = "Failed CRITICAL checks"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".report.summary.highCount",
        priority = 1,
        description = "Failed HIGH checks"
    ),
    printcolumn(
        name = "Medium",
        type_ = "integer",
        json_path = ".report.summary.mediumCount",
        priority = 1,
        description = "Failed MEDIUM checks"
    ),
    printcolumn(
        name = "Low",
        type_ = "integer",
        json_path = ".report.summary.lowCount",
        priority = 1,
        description = "Failed LOW checks"
    )
)]
pub struct ConfigAuditReportBody {
    /// The report proper.
    pub report: ConfigAuditReportData,
}

/// Configuration audit of one cluster-scoped resource.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "ClusterConfigAuditReport",
    plural = "clusterconfigauditreports",
    singular = "clusterconfigauditreport",
    shortname = "clusterconfigaudit",
    no_spec,
    doc = "Configuration audit of one cluster-scoped resource.",
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
        description = "Failed CRITICAL checks"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".report.summary.highCount",
        priority = 1,
        description = "Failed HIGH checks"
    ),
    printcolumn(
        name = "Medium",
        type_ = "integer",
        json_path = ".report.summary.mediumCount",
        priority = 1,
        description = "Failed MEDIUM checks"
    ),
    printcolumn(
        name = "Low",
        type_ = "integer",
        json_path = ".report.summary.lowCount",
        priority = 1,
        description = "Failed LOW checks"
    )
)]
pub struct ClusterConfigAuditReportBody {
    /// The report proper.
    pub report: ConfigAuditReportData,
}

/// RBAC assessment of one Role.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "RbacAssessmentReport",
    plural = "rbacassessmentreports",
    singular = "rbacassessmentreport",
    shortname = "rbacassessment",
    shortname = "rbacassessments",
    namespaced,
    no_spec,
    doc = "RBAC assessment of one Role.",
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
        description = "Failed CRITICAL checks"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".report.summary.highCount",
        priority = 1,
        description = "Failed HIGH checks"
    ),
    printcolumn(
        name = "Medium",
        type_ = "integer",
        json_path = ".report.summary.mediumCount",
        priority = 1,
        description = "Failed MEDIUM checks"
    ),
    printcolumn(
        name = "Low",
        type_ = "integer",
        json_path = ".report.summary.lowCount",
        priority = 1,
        description = "Failed LOW checks"
    )
)]
pub struct RbacAssessmentReportBody {
    /// The report proper.
    pub report: AssessmentReportData,
}

/// RBAC assessment of one ClusterRole. (The anchor's only short name for this kind is the full
/// singular name; kept as is.)
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "ClusterRbacAssessmentReport",
    plural = "clusterrbacassessmentreports",
    singular = "clusterrbacassessmentreport",
    shortname = "clusterrbacassessmentreport",
    no_spec,
    doc = "RBAC assessment of one ClusterRole.",
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
        description = "Failed CRITICAL checks"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".report.summary.highCount",
        priority = 1,
        description = "Failed HIGH checks"
    ),
    printcolumn(
        name = "Medium",
        type_ = "integer",
        json_path = ".report.summary.mediumCount",
        priority = 1,
        description = "Failed MEDIUM checks"
    ),
    printcolumn(
        name = "Low",
        type_ = "integer",
        json_path = ".report.summary.lowCount",
        priority = 1,
        description = "Failed LOW checks"
    )
)]
pub struct ClusterRbacAssessmentReportBody {
    /// The report proper.
    pub report: AssessmentReportData,
}

/// Infrastructure assessment of one control-plane Pod.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "InfraAssessmentReport",
    plural = "infraassessmentreports",
    singular = "infraassessmentreport",
    shortname = "infraassessment",
    shortname = "infraassessments",
    namespaced,
    no_spec,
    doc = "Infrastructure assessment of one control-plane component.",
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
        description = "Failed CRITICAL checks"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".report.summary.highCount",
        priority = 1,
        description = "Failed HIGH checks"
    ),
    printcolumn(
        name = "Medium",
        type_ = "integer",
        json_path = ".report.summary.mediumCount",
        priority = 1,
        description = "Failed MEDIUM checks"
    ),
    printcolumn(
        name = "Low",
        type_ = "integer",
        json_path = ".report.summary.lowCount",
        priority = 1,
        description = "Failed LOW checks"
    )
)]
pub struct InfraAssessmentReportBody {
    /// The report proper.
    pub report: AssessmentReportData,
}

/// Infrastructure assessment of one Node.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "ClusterInfraAssessmentReport",
    plural = "clusterinfraassessmentreports",
    singular = "clusterinfraassessmentreport",
    shortname = "clusterinfraassessment",
    no_spec,
    doc = "Infrastructure assessment of one Node.",
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
        description = "Failed CRITICAL checks"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".report.summary.highCount",
        priority = 1,
        description = "Failed HIGH checks"
    ),
    printcolumn(
        name = "Medium",
        type_ = "integer",
        json_path = ".report.summary.mediumCount",
        priority = 1,
        description = "Failed MEDIUM checks"
    ),
    printcolumn(
        name = "Low",
        type_ = "integer",
        json_path = ".report.summary.lowCount",
        priority = 1,
        description = "Failed LOW checks"
    )
)]
pub struct ClusterInfraAssessmentReportBody {
    /// The report proper.
    pub report: AssessmentReportData,
}
