//! Name, labels, annotations and owner reference of a per-container report (spec §2.2–§2.5).
//!
//! Thin compositions of `palisade-crds` functions, so the operator builds every report's metadata
//! in one call and cannot forget a load-bearing label (report lookup, metrics and dashboards select
//! on them) or the owner reference (garbage collection with the workload).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use palisade_crds::labels::{
    Labels, ResourceRef, container_report_labels, controller_owner_reference,
};
use palisade_crds::naming::container_report_name;

use crate::OperatorError;

/// The API version of each kind that owns per-container reports (spec §3.3), for its owner
/// reference; `None` for kinds the operator does not report on.
pub fn owner_api_version(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" | "ReplicationController" => Some("v1"),
        "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Deployment" => Some("apps/v1"),
        "Job" | "CronJob" => Some("batch/v1"),
        _ => None,
    }
}

/// The workload a report belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// e.g. `apps/v1`.
    pub api_version: String,
    /// e.g. `ReplicaSet`.
    pub kind: String,
    /// Namespace, which is also the report's.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// UID, for the owner reference.
    pub uid: String,
}

/// Everything in a report's `metadata` the operator decides.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportMetadata {
    /// Object name, with the anchor's hash fallback for long names.
    pub name: String,
    /// Namespace (the owner's).
    pub namespace: String,
    /// Labels.
    pub labels: Labels,
    /// Annotations (the owner's real name when only its hash fits a label).
    pub annotations: Labels,
    /// The controller owner reference.
    pub owner_reference: OwnerReference,
}

impl ReportMetadata {
    /// As Kubernetes `ObjectMeta`, ready to put on a VulnerabilityReport or SbomReport.
    pub fn object_meta(&self) -> ObjectMeta {
        ObjectMeta {
            name: Some(self.name.clone()),
            namespace: Some(self.namespace.clone()),
            labels: Some(self.labels.clone()),
            annotations: (!self.annotations.is_empty()).then(|| self.annotations.clone()),
            owner_references: Some(vec![self.owner_reference.clone()]),
            ..ObjectMeta::default()
        }
    }
}

/// Metadata of the VulnerabilityReport or SbomReport (same name, labels and owner) of `container`
/// in the workload `owner_kind` `namespace/owner_name`.
///
/// `spec_hash` goes into `resource-spec-hash`: an opaque freshness token, since the anchor's Go
/// struct dump cannot be reproduced (spec §2.1). Fails for owner kinds without a known API version.
pub fn report_metadata(
    owner_kind: &str,
    owner_name: &str,
    namespace: &str,
    container: &str,
    uid: &str,
    spec_hash: &str,
) -> Result<ReportMetadata, OperatorError> {
    let api_version = owner_api_version(owner_kind)
        .ok_or_else(|| OperatorError::UnknownOwnerKind(owner_kind.to_owned()))?;
    let owner = Owner {
        api_version: api_version.to_owned(),
        kind: owner_kind.to_owned(),
        namespace: namespace.to_owned(),
        name: owner_name.to_owned(),
        uid: uid.to_owned(),
    };
    Ok(report_metadata_for(&owner, container, spec_hash))
}

/// [`report_metadata`] for an owner whose API version the caller already knows.
pub fn report_metadata_for(owner: &Owner, container: &str, spec_hash: &str) -> ReportMetadata {
    let resource = ResourceRef::new(&owner.kind, &owner.namespace, &owner.name);
    ReportMetadata {
        name: container_report_name(&owner.kind, &owner.name, container),
        namespace: owner.namespace.clone(),
        labels: container_report_labels(&resource, container, spec_hash),
        annotations: resource.annotations(),
        owner_reference: controller_owner_reference(
            &owner.api_version,
            &owner.kind,
            &owner.name,
            &owner.uid,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_crds::hash::compute_hash_str;

    #[test]
    fn spec_example() {
        let m = report_metadata(
            "ReplicaSet",
            "nginx-6d4cf56db6",
            "default",
            "nginx",
            "u-1",
            "h",
        )
        .expect("known kind");
        assert_eq!(m.name, "replicaset-nginx-6d4cf56db6-nginx");
        let labels: Vec<(&str, &str)> = m
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            labels,
            [
                ("app.kubernetes.io/managed-by", "trivy-operator"),
                ("resource-spec-hash", "h"),
                ("trivy-operator.container.name", "nginx"),
                ("trivy-operator.resource.kind", "ReplicaSet"),
                ("trivy-operator.resource.name", "nginx-6d4cf56db6"),
                ("trivy-operator.resource.namespace", "default"),
            ]
        );
        assert!(m.annotations.is_empty());
        let r = &m.owner_reference;
        assert_eq!(
            (
                r.api_version.as_str(),
                r.kind.as_str(),
                r.name.as_str(),
                r.uid.as_str()
            ),
            ("apps/v1", "ReplicaSet", "nginx-6d4cf56db6", "u-1")
        );
        assert_eq!(
            (r.controller, r.block_owner_deletion),
            (Some(true), Some(false))
        );
        let meta = m.object_meta();
        assert_eq!(meta.namespace.as_deref(), Some("default"));
        assert_eq!(meta.annotations, None);
        assert_eq!(meta.owner_references.map(|o| o.len()), Some(1));
    }

    #[test]
    fn long_names_fall_back_to_the_hash() {
        let owner = "a-very-long-deployment-name-that-goes-on-and-on-7d9f8b6c5d";
        let m = report_metadata("ReplicaSet", owner, "prod", "sidecar-container", "u", "h")
            .expect("known kind");
        // Hash of "<owner>-<container>", from the Python reference (palisade-crds' vectors).
        assert_eq!(m.name, "replicaset-5c4b86cff8");
        assert_eq!(m.labels["trivy-operator.resource.name"], owner);

        let long_owner = "o".repeat(70);
        let m = report_metadata("Pod", &long_owner, "ns", "app", "u", "h").expect("known kind");
        assert_eq!(
            m.name,
            format!("pod-{}", compute_hash_str(&format!("{long_owner}-app")))
        );
        assert!(!m.labels.contains_key("trivy-operator.resource.name"));
        assert_eq!(
            m.labels["trivy-operator.resource.name-hash"],
            compute_hash_str(&long_owner)
        );
        assert_eq!(m.annotations["trivy-operator.resource.name"], long_owner);
        assert_eq!(
            m.object_meta().annotations.map(|a| a.len()),
            Some(1),
            "the real name is kept"
        );
    }

    #[test]
    fn api_versions() {
        assert_eq!(owner_api_version("CronJob"), Some("batch/v1"));
        assert_eq!(owner_api_version("Pod"), Some("v1"));
        assert_eq!(owner_api_version("DaemonSet"), Some("apps/v1"));
        assert!(matches!(
            report_metadata("Rollout", "r", "ns", "c", "u", "h"),
            Err(OperatorError::UnknownOwnerKind(k)) if k == "Rollout"
        ));
    }
}
