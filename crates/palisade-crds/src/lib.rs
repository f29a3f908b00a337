//! Trivy Operator-compatible custom resources for Palisade, and the naming rules that go with them.
//!
//! Palisade's operator is a drop-in replacement for Aqua's Trivy Operator, so its reports must be
//! the same objects: same group, kinds, plurals, short names, printer columns and field names
//! (`../shared/docs/trivy-operator-spec.md` §1), and the same object names, labels, annotations and
//! owner references (§2). This crate holds both halves:
//!
//! * the report types, from which the CRDs are *generated* ([`all_crds`], [`crds_yaml`]); kube's
//!   `CustomResource` derive with `no_spec` gives the anchor's spec-less shape (`report` at the top
//!   level), and `src/crd.rs` fixes the few details the derive cannot express;
//! * pure functions for names ([`naming`]), the anchor's `ComputeHash` ([`hash`]), labels,
//!   annotations and owner references ([`labels`]), and Go duration strings ([`duration`]) for the
//!   report TTL annotation.
//!
//! `tests/compat.rs` compares the generated CRDs with the anchor's YAML files.

pub mod audit;
pub mod common;
pub mod compliance;
mod crd;
pub mod duration;
pub mod hash;
pub mod labels;
pub mod naming;
pub mod sbom;
pub mod secret;
pub mod vulnerability;

pub use audit::{
    AssessmentReportData, Check, CheckScope, ClusterConfigAuditReport,
    ClusterInfraAssessmentReport, ClusterRbacAssessmentReport, ConfigAuditReport,
    ConfigAuditReportData, InfraAssessmentReport, RbacAssessmentReport,
};
pub use common::{Artifact, Os, Registry, Scanner, SecretSeverity, Severity, SeveritySummary};
pub use compliance::{ClusterComplianceReport, ComplianceReportSpec, ComplianceReportStatus};
pub use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
pub use sbom::{Bom, ClusterSbomReport, SbomReport, SbomReportData, SbomSummary};
pub use secret::{ExposedSecret, ExposedSecretReport, ExposedSecretReportData};
pub use vulnerability::{
    ClusterVulnerabilityReport, Vulnerability, VulnerabilityReport, VulnerabilityReportData,
    VulnerabilitySummary,
};

use kube::CustomResourceExt;

/// API group of every anchor kind.
pub const GROUP: &str = "aquasecurity.github.io";
/// The only API version of every anchor kind.
pub const VERSION: &str = "v1alpha1";
/// `GROUP/VERSION`, as written in `apiVersion`.
pub const API_VERSION: &str = "aquasecurity.github.io/v1alpha1";

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum CrdError {
    /// A CRD could not be rendered as YAML.
    #[error("cannot render CRD {name} as YAML: {source}")]
    Yaml {
        /// `metadata.name` of the CRD.
        name: String,
        /// The emitter's error.
        source: yaml_serde::Error,
    },
}

/// All twelve CRDs, in a fixed order: each namespaced kind next to its cluster-scoped twin.
///
/// Two kinds prune unknown fields at the root like the anchor's (ClusterSbomReport and
/// InfraAssessmentReport); the other ten preserve them.
pub fn all_crds() -> Vec<CustomResourceDefinition> {
    vec![
        crd::finish(VulnerabilityReport::crd(), true),
        crd::finish(ClusterVulnerabilityReport::crd(), true),
        crd::finish(SbomReport::crd(), true),
        crd::finish(ClusterSbomReport::crd(), false),
        crd::finish(ExposedSecretReport::crd(), true),
        crd::finish(ConfigAuditReport::crd(), true),
        crd::finish(ClusterConfigAuditReport::crd(), true),
        crd::finish(RbacAssessmentReport::crd(), true),
        crd::finish(ClusterRbacAssessmentReport::crd(), true),
        crd::finish(InfraAssessmentReport::crd(), false),
        crd::finish(ClusterInfraAssessmentReport::crd(), true),
        crd::finish(ClusterComplianceReport::crd(), true),
    ]
}

/// [`all_crds`] as one multi-document YAML stream (each document starts with `---`), ready for
/// `kubectl apply -f -`. Deterministic: same order, and maps are sorted.
pub fn crds_yaml() -> Result<String, CrdError> {
    let mut out = String::new();
    for crd in all_crds() {
        let yaml = yaml_serde::to_string(&crd).map_err(|source| CrdError::Yaml {
            name: crd.metadata.name.clone().unwrap_or_default(),
            source,
        })?;
        out.push_str("---\n");
        out.push_str(&yaml);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Facts from spec §1.1/§1.2, so the CRDs are checked even where `../shared/crds` (used by
    /// `tests/compat.rs`) is absent: kind, plural, short names, namespaced, root
    /// preserve-unknown-fields, printer column names.
    /// kind, plural, short names, namespaced, root preserve-unknown-fields, printer columns
    type Row<'a> = (&'a str, &'a str, Vec<&'a str>, bool, bool, &'a Vec<&'a str>);

    #[test]
    fn crds_match_the_spec_table() {
        let image = ["Repository", "Tag", "Scanner", "Age"];
        let vuln_cols: Vec<&str> = image
            .iter()
            .copied()
            .chain(["Critical", "High", "Medium", "Low", "Unknown"])
            .collect();
        let secret_cols: Vec<&str> = image
            .iter()
            .copied()
            .chain(["Critical", "High", "Medium", "Low"])
            .collect();
        let sbom_cols: Vec<&str> = image
            .iter()
            .copied()
            .chain(["Components", "Dependencies"])
            .collect();
        let audit_cols = vec!["Scanner", "Age", "Critical", "High", "Medium", "Low"];
        let compliance_cols = vec!["Age", "Fail", "Pass"];
        #[rustfmt::skip]
        let table: Vec<Row> = vec![
            ("VulnerabilityReport", "vulnerabilityreports", vec!["vuln", "vulns"], true, true, &vuln_cols),
            ("ClusterVulnerabilityReport", "clustervulnerabilityreports", vec!["clustervuln"], false, true, &vuln_cols),
            ("SbomReport", "sbomreports", vec!["sbom", "sboms"], true, true, &sbom_cols),
            ("ClusterSbomReport", "clustersbomreports", vec!["clustersbom"], false, false, &sbom_cols),
            ("ExposedSecretReport", "exposedsecretreports", vec!["exposedsecret", "exposedsecrets"], true, true, &secret_cols),
            ("ConfigAuditReport", "configauditreports", vec!["configaudit", "configaudits"], true, true, &audit_cols),
            ("ClusterConfigAuditReport", "clusterconfigauditreports", vec!["clusterconfigaudit"], false, true, &audit_cols),
            ("RbacAssessmentReport", "rbacassessmentreports", vec!["rbacassessment", "rbacassessments"], true, true, &audit_cols),
            ("ClusterRbacAssessmentReport", "clusterrbacassessmentreports", vec!["clusterrbacassessmentreport"], false, true, &audit_cols),
            ("InfraAssessmentReport", "infraassessmentreports", vec!["infraassessment", "infraassessments"], true, false, &audit_cols),
            ("ClusterInfraAssessmentReport", "clusterinfraassessmentreports", vec!["clusterinfraassessment"], false, true, &audit_cols),
            ("ClusterComplianceReport", "clustercompliancereports", vec!["compliance"], false, true, &compliance_cols),
        ];
        let crds = all_crds();
        assert_eq!(crds.len(), table.len());
        for (crd, (kind, plural, short, namespaced, preserve, columns)) in crds.iter().zip(&table) {
            let names = &crd.spec.names;
            assert_eq!(names.kind, *kind);
            assert_eq!(names.plural, *plural);
            assert_eq!(names.singular.as_deref(), Some(&plural[..plural.len() - 1]));
            assert_eq!(
                names.list_kind.as_deref(),
                Some(format!("{kind}List").as_str())
            );
            assert_eq!(
                names.short_names.as_ref(),
                Some(&short.iter().map(|s| s.to_string()).collect())
            );
            assert_eq!(names.categories, None);
            assert_eq!(
                crd.metadata.name.as_deref(),
                Some(format!("{plural}.{GROUP}").as_str())
            );
            assert_eq!(crd.spec.group, GROUP);
            assert_eq!(
                crd.spec.scope,
                if *namespaced { "Namespaced" } else { "Cluster" }
            );
            assert_eq!(crd.spec.versions.len(), 1);
            let v = &crd.spec.versions[0];
            assert!(v.name == VERSION && v.served && v.storage);
            let has_status = v
                .subresources
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some();
            assert_eq!(
                has_status,
                *kind == "ClusterComplianceReport",
                "{kind}: status subresource"
            );
            let root = v
                .schema
                .as_ref()
                .and_then(|s| s.open_api_v3_schema.as_ref())
                .expect("schema");
            assert_eq!(
                root.x_kubernetes_preserve_unknown_fields,
                preserve.then_some(true),
                "{kind}"
            );
            let cols: Vec<&str> = v
                .additional_printer_columns
                .iter()
                .flatten()
                .map(|c| c.name.as_str())
                .collect();
            assert_eq!(&cols, *columns, "{kind}");
            for c in v.additional_printer_columns.iter().flatten() {
                let wide = !matches!(c.name.as_str(), "Repository" | "Tag" | "Scanner" | "Age");
                assert_eq!(
                    c.priority.unwrap_or(0),
                    i32::from(wide),
                    "{kind}.{}",
                    c.name
                );
            }
        }
    }

    #[test]
    fn report_kinds_have_report_at_the_root() {
        for crd in all_crds() {
            let root = crd.spec.versions[0]
                .schema
                .as_ref()
                .and_then(|s| s.open_api_v3_schema.as_ref())
                .expect("schema");
            let props = root.properties.as_ref().expect("properties");
            for key in ["apiVersion", "kind", "metadata"] {
                assert!(props.contains_key(key), "{}: {key}", crd.spec.names.kind);
            }
            if crd.spec.names.kind == "ClusterComplianceReport" {
                assert!(props.contains_key("spec") && props.contains_key("status"));
                assert_eq!(root.required, None, "spec is optional, as upstream");
            } else {
                assert!(!props.contains_key("spec"));
                assert_eq!(root.required.as_deref(), Some(&["report".to_owned()][..]));
            }
        }
    }
}
