//! Labels, annotations and owner references on reports (spec §2.3–§2.5).
//!
//! These are load-bearing: the operator finds "the report of this owner" with a label selector,
//! metrics and dashboards read the `trivy-operator.resource.*` and `trivy-operator.container.name`
//! labels, and Kubernetes' garbage collector deletes reports through the owner reference.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::duration::{DurationError, format_go_duration, parse_go_duration};
use crate::hash::compute_hash_str;
use crate::naming::is_valid_label_value;

/// Owner kind (`ReplicaSet`, `Pod`, …).
pub const LABEL_RESOURCE_KIND: &str = "trivy-operator.resource.kind";
/// Owner name, when it is a valid label value.
pub const LABEL_RESOURCE_NAME: &str = "trivy-operator.resource.name";
/// `ComputeHash(owner name)`, instead of [`LABEL_RESOURCE_NAME`] when the name is not a label value.
pub const LABEL_RESOURCE_NAME_HASH: &str = "trivy-operator.resource.name-hash";
/// Owner namespace (`""` for cluster-scoped owners).
pub const LABEL_RESOURCE_NAMESPACE: &str = "trivy-operator.resource.namespace";
/// Container name, on per-container reports.
pub const LABEL_CONTAINER_NAME: &str = "trivy-operator.container.name";
/// Hash of the owner's pod spec (or object); an opaque freshness token.
pub const LABEL_RESOURCE_SPEC_HASH: &str = "resource-spec-hash";
/// Hash of the policy set, on audit reports.
pub const LABEL_PLUGIN_CONFIG_HASH: &str = "plugin-config-hash";
/// Standard "who manages this" label.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Value of [`LABEL_MANAGED_BY`]; the anchor's, so existing selectors keep matching.
pub const MANAGED_BY: &str = "trivy-operator";
/// Image id on cache ClusterSbomReports (same value as the name).
pub const LABEL_RESOURCE_IMAGE_ID: &str = "resource-image-id";
/// `kbom` on the cluster's own ClusterSbomReport.
pub const LABEL_SBOM_TYPE: &str = "trivy-operator.aquasecurity.github.io/sbom-type";
/// `true` on scan jobs fed from the SBOM cache.
pub const LABEL_REUSED_REPORT: &str = "reused-report";
/// `Trivy` on the anchor's scan jobs.
pub const LABEL_VULNERABILITY_SCANNER: &str = "vulnerabilityReport.scanner";

/// Report time-to-live as a Go duration string; `0s` means "delete now" (spec §2.4).
pub const ANNOTATION_REPORT_TTL: &str = "trivy-operator.aquasecurity.github.io/report-ttl";
/// Real owner name when it is too long or otherwise unfit for a label.
pub const ANNOTATION_RESOURCE_NAME: &str = "trivy-operator.resource.name";
/// JSON map container → image on the anchor's scan jobs.
pub const ANNOTATION_CONTAINER_IMAGES: &str = "trivy-operator.container-images";
/// Workload annotation: directories the scanner skips.
pub const ANNOTATION_SKIP_DIRS: &str = "trivy-operator.aquasecurity.github.io/skip-dirs";
/// Workload annotation: files the scanner skips.
pub const ANNOTATION_SKIP_FILES: &str = "trivy-operator.aquasecurity.github.io/skip-files";

/// Labels or annotations.
pub type Labels = BTreeMap<String, String>;

/// The object a report is about: its kind, name and namespace (`""` when cluster-scoped).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceRef {
    /// Kind, e.g. `ReplicaSet`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace; empty for cluster-scoped objects.
    pub namespace: String,
}

impl ResourceRef {
    /// A reference to `kind` `namespace/name`.
    pub fn new(
        kind: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        ResourceRef {
            kind: kind.into(),
            name: name.into(),
            namespace: namespace.into(),
        }
    }

    /// The owner labels every owner-based report carries: kind, name (or its hash when the name is
    /// not a valid label value), namespace.
    pub fn labels(&self) -> Labels {
        let mut labels = Labels::new();
        labels.insert(LABEL_RESOURCE_KIND.to_owned(), self.kind.clone());
        let (key, value) = self.name_label();
        labels.insert(key.to_owned(), value);
        labels.insert(LABEL_RESOURCE_NAMESPACE.to_owned(), self.namespace.clone());
        labels
    }

    /// The annotations that go with [`Self::labels`]: the real name when only its hash fits a label.
    pub fn annotations(&self) -> Labels {
        let mut annotations = Labels::new();
        if !is_valid_label_value(&self.name) {
            annotations.insert(ANNOTATION_RESOURCE_NAME.to_owned(), self.name.clone());
        }
        annotations
    }

    /// Label selector (`k=v,k=v,k=v`) that finds this owner's reports, as the anchor looks them up.
    pub fn selector(&self) -> String {
        self.labels()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `trivy-operator.resource.name=<name>`, or `…name-hash=<hash>` when the name does not fit.
    fn name_label(&self) -> (&'static str, String) {
        if is_valid_label_value(&self.name) {
            (LABEL_RESOURCE_NAME, self.name.clone())
        } else {
            (LABEL_RESOURCE_NAME_HASH, compute_hash_str(&self.name))
        }
    }
}

/// Labels of a VulnerabilityReport, ExposedSecretReport or SbomReport: owner labels, container name,
/// spec hash and managed-by.
pub fn container_report_labels(owner: &ResourceRef, container: &str, spec_hash: &str) -> Labels {
    let mut labels = owner.labels();
    labels.insert(LABEL_CONTAINER_NAME.to_owned(), container.to_owned());
    labels.insert(LABEL_RESOURCE_SPEC_HASH.to_owned(), spec_hash.to_owned());
    labels.insert(LABEL_MANAGED_BY.to_owned(), MANAGED_BY.to_owned());
    labels
}

/// Labels of a ConfigAudit, RbacAssessment or InfraAssessment report: owner labels, spec hash,
/// policy hash and managed-by.
pub fn audit_report_labels(
    owner: &ResourceRef,
    spec_hash: &str,
    plugin_config_hash: &str,
) -> Labels {
    let mut labels = owner.labels();
    labels.insert(LABEL_RESOURCE_SPEC_HASH.to_owned(), spec_hash.to_owned());
    labels.insert(
        LABEL_PLUGIN_CONFIG_HASH.to_owned(),
        plugin_config_hash.to_owned(),
    );
    labels.insert(LABEL_MANAGED_BY.to_owned(), MANAGED_BY.to_owned());
    labels
}

/// Labels of an image-cache ClusterSbomReport: its image id (equal to its name) and managed-by.
pub fn cluster_sbom_cache_labels(image_id: &str) -> Labels {
    Labels::from([
        (LABEL_RESOURCE_IMAGE_ID.to_owned(), image_id.to_owned()),
        (LABEL_MANAGED_BY.to_owned(), MANAGED_BY.to_owned()),
    ])
}

/// The owner's labels whose keys are listed in the `report.resourceLabels` setting, to be copied
/// onto its reports. Keys the owner lacks are skipped.
pub fn copied_resource_labels(owner_labels: &Labels, keys: &[String]) -> Labels {
    keys.iter()
        .filter_map(|k| owner_labels.get_key_value(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Why a `k=v,k2=v2` list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelListError {
    /// An item without `=`.
    #[error("label {0:?} is not of the form key=value")]
    MissingEquals(String),
    /// An item with an empty key.
    #[error("label {0:?} has an empty key")]
    EmptyKey(String),
}

/// Parses the `report.additionalLabels` setting (`k=v,k2=v2`; blanks around items are ignored,
/// an empty string gives no labels).
pub fn parse_label_list(list: &str) -> Result<Labels, LabelListError> {
    let mut labels = Labels::new();
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| LabelListError::MissingEquals(item.to_owned()))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(LabelListError::EmptyKey(item.to_owned()));
        }
        labels.insert(key.to_owned(), value.trim().to_owned());
    }
    Ok(labels)
}

/// The `report-ttl` annotation for `ttl`, spelled as Go spells durations (`24h0m0s`).
pub fn report_ttl_annotation(ttl: Duration) -> (String, String) {
    (ANNOTATION_REPORT_TTL.to_owned(), format_go_duration(ttl))
}

/// The report TTL from an object's annotations: `None` without the annotation, an error when its
/// value is not a Go duration.
pub fn report_ttl(annotations: &Labels) -> Option<Result<Duration, DurationError>> {
    annotations
        .get(ANNOTATION_REPORT_TTL)
        .map(|v| parse_go_duration(v.trim()))
}

/// The single owner reference every owner-based report carries: `controller: true` and
/// **`blockOwnerDeletion: false`**, as the anchor sets it, so that creating a report needs no
/// permission to update the owner's finalizers.
pub fn controller_owner_reference(
    api_version: &str,
    kind: &str,
    name: &str,
    uid: &str,
) -> OwnerReference {
    OwnerReference {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
        name: name.to_owned(),
        uid: uid.to_owned(),
        controller: Some(true),
        block_owner_deletion: Some(false),
    }
}

/// [`controller_owner_reference`] for a typed object. `None` when the object has no name or uid yet
/// (it was never stored by the API server), since a reference without them is rejected.
pub fn controller_owner_reference_for<K>(owner: &K) -> Option<OwnerReference>
where
    K: kube::Resource,
    K::DynamicType: Default,
{
    let dt = K::DynamicType::default();
    let meta = owner.meta();
    Some(controller_owner_reference(
        &K::api_version(&dt),
        &K::kind(&dt),
        meta.name.as_deref()?,
        meta.uid.as_deref()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Scanner, VulnerabilityReport};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn owner_labels_short_name() {
        let owner = ResourceRef::new("ReplicaSet", "default", "nginx-6d4cf56db6");
        assert_eq!(
            owner.labels(),
            labels(&[
                ("trivy-operator.resource.kind", "ReplicaSet"),
                ("trivy-operator.resource.name", "nginx-6d4cf56db6"),
                ("trivy-operator.resource.namespace", "default"),
            ])
        );
        assert!(owner.annotations().is_empty());
        assert_eq!(
            owner.selector(),
            "trivy-operator.resource.kind=ReplicaSet,trivy-operator.resource.name=nginx-6d4cf56db6,\
             trivy-operator.resource.namespace=default"
        );
    }

    #[test]
    fn owner_labels_unfit_name_is_hashed_and_annotated() {
        let owner = ResourceRef::new("ClusterRole", "", "system:kube-scheduler");
        let l = owner.labels();
        assert_eq!(
            l.get(LABEL_RESOURCE_NAME_HASH).map(String::as_str),
            Some("8686d64c5")
        );
        assert!(!l.contains_key(LABEL_RESOURCE_NAME));
        assert_eq!(
            l.get(LABEL_RESOURCE_NAMESPACE).map(String::as_str),
            Some("")
        );
        assert_eq!(
            owner.annotations(),
            labels(&[("trivy-operator.resource.name", "system:kube-scheduler")])
        );
        let long = ResourceRef::new("Pod", "ns", "p".repeat(64));
        assert!(long.labels().contains_key(LABEL_RESOURCE_NAME_HASH));
    }

    #[test]
    fn report_label_sets() {
        let owner = ResourceRef::new("Pod", "ns", "web");
        let l = container_report_labels(&owner, "app", "abc");
        assert_eq!(l.len(), 6);
        assert_eq!(l[LABEL_CONTAINER_NAME], "app");
        assert_eq!(l[LABEL_RESOURCE_SPEC_HASH], "abc");
        assert_eq!(l["app.kubernetes.io/managed-by"], "trivy-operator");
        let l = audit_report_labels(&owner, "s", "p");
        assert_eq!(l.len(), 6);
        assert_eq!(l[LABEL_PLUGIN_CONFIG_HASH], "p");
        assert!(!l.contains_key(LABEL_CONTAINER_NAME));
        let l = cluster_sbom_cache_labels("58f4dd8c4");
        assert_eq!(l[LABEL_RESOURCE_IMAGE_ID], "58f4dd8c4");
    }

    #[test]
    fn resource_labels_are_copied_by_key() {
        let owner = labels(&[("team", "a"), ("tier", "web"), ("x", "y")]);
        let keys = vec!["team".to_owned(), "missing".to_owned(), "tier".to_owned()];
        assert_eq!(
            copied_resource_labels(&owner, &keys),
            labels(&[("team", "a"), ("tier", "web")])
        );
    }

    #[test]
    fn label_lists() {
        assert_eq!(parse_label_list(""), Ok(Labels::new()));
        assert_eq!(
            parse_label_list("a=b, c = d ,e="),
            Ok(labels(&[("a", "b"), ("c", "d"), ("e", "")]))
        );
        assert_eq!(
            parse_label_list("a"),
            Err(LabelListError::MissingEquals("a".into()))
        );
        assert_eq!(
            parse_label_list("=v"),
            Err(LabelListError::EmptyKey("=v".into()))
        );
    }

    #[test]
    fn ttl_annotation() {
        let (k, v) = report_ttl_annotation(Duration::from_secs(86_400));
        assert_eq!(
            (k.as_str(), v.as_str()),
            (
                "trivy-operator.aquasecurity.github.io/report-ttl",
                "24h0m0s"
            )
        );
        let a = labels(&[(ANNOTATION_REPORT_TTL, "0s")]);
        assert_eq!(report_ttl(&a), Some(Ok(Duration::ZERO)));
        let a = labels(&[(ANNOTATION_REPORT_TTL, "soon")]);
        assert!(matches!(report_ttl(&a), Some(Err(_))));
        assert_eq!(report_ttl(&Labels::new()), None);
    }

    #[test]
    fn owner_reference_never_blocks_deletion() {
        let r = controller_owner_reference("apps/v1", "ReplicaSet", "nginx", "uid-1");
        assert_eq!(r.controller, Some(true));
        assert_eq!(r.block_owner_deletion, Some(false));
        let json = serde_json::to_value(&r).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "nginx",
                "uid": "uid-1", "controller": true, "blockOwnerDeletion": false})
        );
    }

    #[test]
    fn owner_reference_for_typed_objects() {
        use crate::vulnerability::VulnerabilityReportBody;
        use crate::{Artifact, Os, VulnerabilityReportData, VulnerabilitySummary};
        let data = VulnerabilityReportData {
            update_timestamp: crate::common::now(),
            scanner: Scanner::trivy("0.72.0"),
            registry: Default::default(),
            artifact: Artifact::default(),
            os: Os::default(),
            summary: VulnerabilitySummary::default(),
            vulnerabilities: vec![],
        };
        let mut report = VulnerabilityReport::new("r", VulnerabilityReportBody { report: data });
        assert_eq!(controller_owner_reference_for(&report), None, "no uid yet");
        report.metadata.uid = Some("u".into());
        let r = controller_owner_reference_for(&report).expect("name and uid set");
        assert_eq!(r.api_version, "aquasecurity.github.io/v1alpha1");
        assert_eq!(r.kind, "VulnerabilityReport");
        assert_eq!(r.block_owner_deletion, Some(false));
    }
}
