//! The JSON the report types read and write: fields the anchor always emits are always emitted,
//! `omitempty` fields are omitted, and reports shaped like the anchor's round-trip unchanged.

use palisade_crds::{
    ClusterComplianceReport, ConfigAuditReport, CustomResourceDefinition, SbomReport, Severity,
    VulnerabilityReport, all_crds, crds_yaml,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// Deserializes `input` into `T`, serializes it again, and requires the same JSON.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(input: Value) -> T {
    let typed: T = serde_json::from_value(input.clone()).expect("deserializes");
    let again = serde_json::to_value(&typed).expect("serializes");
    assert_eq!(again, input, "round trip changed the object");
    typed
}

fn anchor_vulnerability_report() -> Value {
    json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "VulnerabilityReport",
        "metadata": {
            "name": "replicaset-nginx-6d4cf56db6-nginx",
            "namespace": "default",
            "labels": {
                "app.kubernetes.io/managed-by": "trivy-operator",
                "resource-spec-hash": "7cb64cb677",
                "trivy-operator.container.name": "nginx",
                "trivy-operator.resource.kind": "ReplicaSet",
                "trivy-operator.resource.name": "nginx-6d4cf56db6",
                "trivy-operator.resource.namespace": "default"
            },
            "annotations": {"trivy-operator.aquasecurity.github.io/report-ttl": "24h0m0s"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "nginx-6d4cf56db6",
                "uid": "4e1b0b6c-0000-0000-0000-000000000000", "controller": true, "blockOwnerDeletion": false
            }]
        },
        "report": {
            "updateTimestamp": "2024-05-01T10:20:30Z",
            "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "0.72.0"},
            "registry": {"server": "index.docker.io"},
            "artifact": {"repository": "library/nginx", "tag": "1.16", "digest": "sha256:abcd"},
            "os": {"family": "debian", "name": "10.3", "eosl": true},
            "summary": {
                "criticalCount": 1, "highCount": 0, "mediumCount": 1, "lowCount": 0,
                "unknownCount": 0, "noneCount": 0
            },
            "vulnerabilities": [
                {
                    "vulnerabilityID": "CVE-2019-20367",
                    "resource": "libbsd0",
                    "installedVersion": "0.9.1-2",
                    "fixedVersion": "0.9.1-2+deb10u1",
                    "publishedDate": "2020-01-08T21:15:00Z",
                    "lastModifiedDate": "2021-03-29T17:15:00Z",
                    "severity": "CRITICAL",
                    "title": "nlist.c in libbsd before 0.10.0 has an out-of-bounds read",
                    "primaryLink": "https://avd.aquasec.com/nvd/cve-2019-20367",
                    "links": [],
                    "score": 9.1,
                    "target": "",
                    "packagePURL": "pkg:deb/debian/libbsd0@0.9.1-2?arch=amd64&distro=debian-10.3"
                },
                {
                    "vulnerabilityID": "CVE-2023-0001",
                    "resource": "zlib1g",
                    "installedVersion": "1:1.2.11",
                    "fixedVersion": "",
                    "publishedDate": "",
                    "lastModifiedDate": "",
                    "severity": "MEDIUM",
                    "title": "",
                    "links": ["https://example.invalid/1"],
                    "target": "nginx:1.16 (debian 10.3)",
                    "description": "text",
                    "cvss": {"nvd": {"V3Score": 5.5, "V3Vector": "CVSS:3.1/AV:L"}},
                    "class": "os-pkgs",
                    "packageType": "debian",
                    "packagePath": "usr/lib"
                }
            ]
        }
    })
}

#[test]
fn vulnerability_report_round_trips() {
    let report: VulnerabilityReport = round_trip(anchor_vulnerability_report());
    let data = &report.spec.report;
    assert_eq!(data.vulnerabilities.len(), 2);
    assert_eq!(data.vulnerabilities[0].severity, Severity::Critical);
    assert_eq!(data.vulnerabilities[0].score, Some(9.1));
    assert_eq!(
        data.summary,
        palisade_crds::VulnerabilitySummary::count(&data.vulnerabilities)
    );
    assert_eq!(report.metadata.namespace.as_deref(), Some("default"));
}

#[test]
fn always_emitted_fields_are_emitted() {
    let mut input = anchor_vulnerability_report();
    let report = &mut input["report"];
    report["registry"] = json!({});
    report["artifact"] = json!({});
    report["os"] = json!({});
    report["summary"]
        .as_object_mut()
        .expect("object")
        .remove("noneCount");
    let v = &mut report["vulnerabilities"][0];
    for key in ["links", "target", "primaryLink", "score", "packagePURL"] {
        v.as_object_mut().expect("object").remove(key);
    }
    let typed: VulnerabilityReport = serde_json::from_value(input).expect("lenient input");
    let out = serde_json::to_value(&typed).expect("serializes");
    let r = &out["report"];
    assert_eq!(r["registry"], json!({"server": ""}));
    assert_eq!(
        r["artifact"],
        json!({"repository": ""}),
        "repository always, tag/digest/mimeType omitempty"
    );
    assert_eq!(
        r["os"],
        json!({"family": ""}),
        "family always, name/eosl omitempty"
    );
    assert_eq!(r["summary"]["noneCount"], json!(0));
    let v = &r["vulnerabilities"][0];
    assert_eq!(v["links"], json!([]));
    assert_eq!(v["target"], json!(""));
    for key in [
        "primaryLink",
        "score",
        "packagePURL",
        "description",
        "cvss",
        "cvsssource",
        "class",
        "packageType",
        "packagePath",
    ] {
        assert!(v.get(key).is_none(), "{key} must be omitted when empty");
    }
    // No `spec` wrapper on the wire.
    assert!(out.get("spec").is_none());
    assert_eq!(out["kind"], json!("VulnerabilityReport"));
    assert_eq!(out["apiVersion"], json!("aquasecurity.github.io/v1alpha1"));
}

#[test]
fn empty_vulnerability_list_is_written() {
    let mut input = anchor_vulnerability_report();
    input["report"]["vulnerabilities"] = json!([]);
    let typed: VulnerabilityReport = serde_json::from_value(input).expect("deserializes");
    assert_eq!(
        serde_json::to_value(&typed).expect("serializes")["report"]["vulnerabilities"],
        json!([])
    );
}

#[test]
fn timestamps_are_whole_seconds_utc() {
    let mut input = anchor_vulnerability_report();
    input["report"]["updateTimestamp"] = json!("2024-05-01T12:20:30.123456+02:00");
    let typed: VulnerabilityReport = serde_json::from_value(input).expect("any RFC 3339 is read");
    let out = serde_json::to_value(&typed).expect("serializes");
    assert_eq!(
        out["report"]["updateTimestamp"],
        json!("2024-05-01T10:20:30Z")
    );
}

#[test]
fn unknown_vulnerability_severity_is_rejected() {
    // The CRD's enum makes the API server reject it too; a typed error beats a silent mapping.
    let mut input = anchor_vulnerability_report();
    input["report"]["vulnerabilities"][0]["severity"] = json!("NEGLIGIBLE");
    assert!(serde_json::from_value::<VulnerabilityReport>(input).is_err());
}

#[test]
fn sbom_report_round_trips() {
    let component = json!({
        "bom-ref": "pkg:deb/debian/libc6@2.36-9?arch=amd64",
        "type": "library",
        "name": "libc6",
        "version": "2.36-9",
        "purl": "pkg:deb/debian/libc6@2.36-9?arch=amd64",
        "supplier": {"name": "Debian", "url": ["https://www.debian.org"]},
        "hashes": [{"alg": "SHA-256", "content": "00ff"}],
        "licenses": [{"license": {"name": "LGPL-2.1"}}, {"expression": "GPL-2.0-or-later"}],
        "properties": [{"name": "aquasecurity:trivy:PkgType", "value": "debian"}]
    });
    let input = json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "SbomReport",
        "metadata": {"name": "replicaset-app-7d9f8b6c5d-app", "namespace": "prod"},
        "report": {
            "updateTimestamp": "2024-05-01T10:20:30Z",
            "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "0.72.0"},
            "registry": {"server": "ghcr.io"},
            "artifact": {"repository": "org/app", "tag": "v1"},
            "summary": {"componentsCount": 2, "dependenciesCount": 1},
            "components": {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "serialNumber": "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                "version": 1,
                "metadata": {
                    "timestamp": "2024-05-01T10:20:29+00:00",
                    "tools": {"components": [{"type": "application", "group": "aquasecurity", "name": "trivy", "version": "0.72.0"}]},
                    "component": {"bom-ref": "img", "type": "container", "name": "ghcr.io/org/app:v1"}
                },
                "components": [component],
                "dependencies": [{"ref": "img", "dependsOn": ["pkg:deb/debian/libc6@2.36-9?arch=amd64"]}]
            }
        }
    });
    let report: SbomReport = round_trip(input);
    let bom = &report.spec.report.components;
    assert_eq!(
        palisade_crds::SbomSummary::of(bom),
        report.spec.report.summary
    );
}

#[test]
fn config_audit_report_round_trips() {
    let input = json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "ConfigAuditReport",
        "metadata": {"name": "replicaset-wordpress-84bbf6f4dd", "namespace": "default"},
        "report": {
            "updateTimestamp": "2024-05-01T10:20:30Z",
            "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "0.32.0"},
            "summary": {"criticalCount": 0, "highCount": 1, "mediumCount": 0, "lowCount": 0},
            "checks": [
                {"checkID": "KSV001", "severity": "MEDIUM", "success": true, "title": "t"},
                {
                    "checkID": "KSV014", "severity": "HIGH", "success": false,
                    "title": "Root file system is not read-only", "description": "d",
                    "category": "Kubernetes Security Check", "messages": ["m"], "remediation": "r"
                }
            ]
        }
    });
    let report: ConfigAuditReport = round_trip(input);
    let summary = palisade_crds::SeveritySummary::count_failed(&report.spec.report.checks);
    assert_eq!(summary, report.spec.report.summary);
}

#[test]
fn compliance_report_round_trips() {
    let input = json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "ClusterComplianceReport",
        "metadata": {"name": "k8s-nsa-1.0"},
        "spec": {
            "cron": "0 */6 * * *",
            "reportType": "summary",
            "compliance": {
                "id": "k8s-nsa-1.0", "title": "NSA", "description": "d", "version": "1.0",
                "platform": "k8s", "type": "nsa", "relatedResources": ["https://example.invalid"],
                "controls": [{"id": "1.0", "name": "Non-root containers", "severity": "MEDIUM",
                              "checks": [{"id": "AVD-KSV-0012"}], "defaultStatus": "FAIL"}]
            }
        },
        "status": {
            "updateTimestamp": "2024-05-01T10:20:30Z",
            "summary": {"failCount": 3, "passCount": 10},
            "summaryReport": {"id": "k8s-nsa-1.0", "title": "NSA",
                              "controlCheck": [{"id": "1.0", "name": "Non-root containers", "severity": "MEDIUM", "totalFail": 3}]}
        }
    });
    let report: ClusterComplianceReport = round_trip(input);
    assert!(report.status.is_some());
}

#[test]
fn cron_pattern_accepts_helm_defaults() {
    // The pattern is ours (looser than the anchor's); it must accept what the chart installs.
    let pattern = palisade_crds::compliance::CRON_PATTERN;
    assert!(pattern.starts_with('^') && pattern.ends_with('$'));
    for good in [
        "0 */6 * * *",
        "*/5 * * * *",
        "0 0 1 jan sun",
        "15,45 1-5 * * 1-5",
    ] {
        assert!(cron_like(good), "{good}");
    }
    for bad in ["", "* * * *", "* * * * * *", "0  */6 * * *", "@daily"] {
        assert!(!cron_like(bad), "{bad}");
    }
}

/// What [`palisade_crds::compliance::CRON_PATTERN`] means, restated without a regex engine.
fn cron_like(s: &str) -> bool {
    let fields: Vec<&str> = s.split(' ').collect();
    fields.len() == 5
        && fields.iter().all(|f| {
            !f.is_empty()
                && f.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "*/,-".contains(c))
        })
}

#[test]
fn crds_yaml_is_a_deterministic_stream_of_all_crds() {
    let yaml = crds_yaml().expect("renders");
    assert_eq!(yaml, crds_yaml().expect("renders"), "deterministic");
    assert!(yaml.starts_with("---\n"));
    let docs: Vec<CustomResourceDefinition> = yaml_serde::Deserializer::from_str(&yaml)
        .map(|doc| CustomResourceDefinition::deserialize(doc).expect("each document is a CRD"))
        .collect();
    assert_eq!(docs, all_crds());
    let names: Vec<_> = docs.iter().map(|c| c.spec.names.kind.as_str()).collect();
    assert_eq!(
        names,
        [
            "VulnerabilityReport",
            "ClusterVulnerabilityReport",
            "SbomReport",
            "ClusterSbomReport",
            "ExposedSecretReport",
            "ConfigAuditReport",
            "ClusterConfigAuditReport",
            "RbacAssessmentReport",
            "ClusterRbacAssessmentReport",
            "InfraAssessmentReport",
            "ClusterInfraAssessmentReport",
            "ClusterComplianceReport",
        ]
    );
    // Schemars keywords that would change API-server behaviour are gone.
    for word in ["default:", "nullable:", "uint64", "title: "] {
        assert!(!yaml.contains(word), "{word} in generated CRDs");
    }
}
