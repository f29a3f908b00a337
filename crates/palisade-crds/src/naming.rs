//! Object names the anchor gives its reports and jobs (spec §2.2, §2.7).
//!
//! Names must match the anchor's exactly: `kubectl get vuln replicaset-nginx-6d4cf56db6-nginx`
//! scripts, and the migration from a running Trivy Operator (whose reports Palisade then updates in
//! place instead of duplicating), depend on it.

use crate::hash::{compute_hash_object_ref, compute_hash_str};

/// Longest label value and DNS-1123 label.
const MAX_LABEL_LEN: usize = 63;

/// Kubernetes' label-value rule: empty, or at most 63 characters of `[A-Za-z0-9_.-]` that start and
/// end with an alphanumeric.
pub fn is_valid_label_value(value: &str) -> bool {
    if value.is_empty() {
        return true;
    }
    let bytes = value.as_bytes();
    bytes.len() <= MAX_LABEL_LEN
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Kubernetes' DNS-1123 label rule: 1 to 63 characters of `[a-z0-9-]` that start and end with an
/// alphanumeric.
pub fn is_dns1123_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    let lower_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= MAX_LABEL_LEN
        && lower_alnum(bytes[0])
        && lower_alnum(bytes[bytes.len() - 1])
        && bytes.iter().all(|&b| lower_alnum(b) || b == b'-')
}

/// Name of the VulnerabilityReport, ExposedSecretReport or SbomReport (and their cluster twins) of
/// one container: `<kind>-<owner>-<container>` with the kind lower-cased, or, when that is not a
/// valid label value (typically longer than 63 characters), `<kind>-<ComputeHash(owner-container)>`.
pub fn container_report_name(owner_kind: &str, owner_name: &str, container: &str) -> String {
    let kind = owner_kind.to_lowercase();
    let name = format!("{kind}-{owner_name}-{container}");
    if is_valid_label_value(&name) {
        name
    } else {
        format!(
            "{kind}-{}",
            compute_hash_str(&format!("{owner_name}-{container}"))
        )
    }
}

/// Name of a ConfigAuditReport or RbacAssessmentReport (and their cluster twins): `<kind>-<owner>`,
/// or `<kind>-<ComputeHash(owner)>` when that is not a DNS-1123 label (e.g. `system:*` roles, names
/// with dots, long names).
pub fn audit_report_name(owner_kind: &str, owner_name: &str) -> String {
    let kind = owner_kind.to_lowercase();
    let name = format!("{kind}-{owner_name}");
    if is_dns1123_label(&name) {
        name
    } else {
        format!("{kind}-{}", compute_hash_str(owner_name))
    }
}

/// Name of an InfraAssessmentReport or ClusterInfraAssessmentReport: like [`audit_report_name`] but
/// the anchor checks the label-value rule here, so dotted names (e.g. node names) are kept.
pub fn infra_assessment_report_name(owner_kind: &str, owner_name: &str) -> String {
    let kind = owner_kind.to_lowercase();
    let name = format!("{kind}-{owner_name}");
    if is_valid_label_value(&name) {
        name
    } else {
        format!("{kind}-{}", compute_hash_str(owner_name))
    }
}

/// Name of the image-level cache ClusterSbomReport: `ComputeHash("<registry>/<repository>:<tag>")`
/// where a Docker Hub `library/` prefix is dropped from the repository (spec §2.2). The same value
/// goes into the `resource-image-id` label.
pub fn cluster_sbom_report_name(registry: &str, repository: &str, tag: &str) -> String {
    let repository = repository.strip_prefix("library/").unwrap_or(repository);
    compute_hash_str(&format!("{registry}/{repository}:{tag}"))
}

/// Name of a ClusterComplianceReport: the lower-cased compliance id (e.g. `k8s-cis-1.23`).
pub fn compliance_report_name(compliance_id: &str) -> String {
    compliance_id.to_lowercase()
}

/// Name of the anchor's scan Job for a workload: `scan-vulnerabilityreport-<ComputeHash(ObjectRef)>`.
/// Palisade's own jobs need not use it (spec §10 says job names are not contract), but it lets the
/// operator recognise jobs a previous Trivy Operator left behind.
pub fn scan_job_name(owner_kind: &str, owner_namespace: &str, owner_name: &str) -> String {
    format!(
        "scan-vulnerabilityreport-{}",
        compute_hash_object_ref(owner_kind, owner_name, owner_namespace)
    )
}

/// Name of the anchor's node-collector Job for a node: `node-collector-<ComputeHash(node)>`.
pub fn node_collector_job_name(node_name: &str) -> String {
    format!("node-collector-{}", compute_hash_str(node_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_value_rule() {
        assert!(is_valid_label_value(""));
        assert!(is_valid_label_value("a"));
        assert!(is_valid_label_value("Pod_1.x-y"));
        assert!(is_valid_label_value(&"a".repeat(63)));
        assert!(!is_valid_label_value(&"a".repeat(64)));
        assert!(!is_valid_label_value("-a"));
        assert!(!is_valid_label_value("a."));
        assert!(!is_valid_label_value("system:node"));
        assert!(!is_valid_label_value("a/b"));
        assert!(!is_valid_label_value("é"));
    }

    #[test]
    fn dns_label_rule() {
        assert!(is_dns1123_label("a-0"));
        assert!(is_dns1123_label(&"a".repeat(63)));
        assert!(!is_dns1123_label(""));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(!is_dns1123_label("A"));
        assert!(!is_dns1123_label("a.b"));
        assert!(!is_dns1123_label("a_b"));
        assert!(!is_dns1123_label("a-"));
    }

    #[test]
    fn container_report_names() {
        // spec §2.2 examples
        assert_eq!(
            container_report_name("ReplicaSet", "nginx-6d4cf56db6", "nginx"),
            "replicaset-nginx-6d4cf56db6-nginx"
        );
        assert_eq!(
            container_report_name("Pod", "my-pod", "app"),
            "pod-my-pod-app"
        );
        assert_eq!(
            container_report_name("CronJob", "kyverno-cleanup-admission-reports", "cleanup"),
            "cronjob-kyverno-cleanup-admission-reports-cleanup"
        );
        assert_eq!(
            container_report_name("DaemonSet", "calico-node", "upgrade-ipam"),
            "daemonset-calico-node-upgrade-ipam"
        );
        // spec §2.1: hash("nginx-nginx") = 85bfbf647d, used when the full name is too long.
        let long_kind = "VeryLongCustomControllerKindThatPushesTheNamePastSixtyThree";
        assert_eq!(
            container_report_name(long_kind, "nginx", "nginx"),
            format!("{}-85bfbf647d", long_kind.to_lowercase())
        );
    }

    #[test]
    fn container_report_name_boundary_is_63() {
        // "replicaset-" (11) + owner + "-" + "c" (2): an owner of 50 gives exactly 63.
        let owner = "o".repeat(50);
        assert_eq!(container_report_name("ReplicaSet", &owner, "c").len(), 63);
        let owner = "o".repeat(51);
        let name = container_report_name("ReplicaSet", &owner, "c");
        assert_eq!(
            name,
            format!("replicaset-{}", compute_hash_str(&format!("{owner}-c")))
        );
    }

    #[test]
    fn audit_report_names() {
        assert_eq!(
            audit_report_name("ReplicaSet", "wordpress-84bbf6f4dd"),
            "replicaset-wordpress-84bbf6f4dd"
        );
        assert_eq!(
            audit_report_name("StatefulSet", "trivy-main"),
            "statefulset-trivy-main"
        );
        // `system:*` roles are not DNS labels: hashed (value from the Python reference).
        assert_eq!(
            audit_report_name("ClusterRole", "system:kube-scheduler"),
            "clusterrole-8686d64c5"
        );
        // dots are allowed in label values but not in DNS labels
        assert_eq!(
            audit_report_name("Ingress", "a.b"),
            format!("ingress-{}", compute_hash_str("a.b"))
        );
    }

    #[test]
    fn infra_report_names_keep_dots() {
        assert_eq!(
            infra_assessment_report_name("Node", "ip-10-0-0-1.ec2.internal"),
            "node-ip-10-0-0-1.ec2.internal"
        );
        assert_eq!(
            infra_assessment_report_name("Node", "kind-control-plane"),
            "node-kind-control-plane"
        );
        let long = "n".repeat(60);
        assert_eq!(
            infra_assessment_report_name("Node", &long),
            format!("node-{}", compute_hash_str(&long))
        );
    }

    #[test]
    fn other_names() {
        // Python reference: compute_hash_str('index.docker.io/nginx:1.16') = 58f4dd8c4
        assert_eq!(
            cluster_sbom_report_name("index.docker.io", "library/nginx", "1.16"),
            "58f4dd8c4"
        );
        assert_eq!(
            cluster_sbom_report_name("index.docker.io", "nginx", "1.16"),
            "58f4dd8c4"
        );
        assert_eq!(compliance_report_name("K8S-CIS-1.23"), "k8s-cis-1.23");
        // The anchor's fixture job.
        assert_eq!(
            scan_job_name("ReplicaSet", "default", "wordpress-84bbf6f4dd"),
            "scan-vulnerabilityreport-5668c4b796"
        );
        assert_eq!(
            node_collector_job_name("kind-control-plane"),
            "node-collector-845b67c44"
        );
    }
}
