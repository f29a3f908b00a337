//! The report objects the operator writes, and the content hashes that let it skip writes that
//! would change nothing.
//!
//! Every report carries `palisade.dev/content-hash`: a digest of everything in it except
//! `updateTimestamp`. The operator watches reports metadata-only, so it knows each report's hash
//! without holding report bodies in memory; comparing that with the hash it would write decides
//! whether to write at all. A report written by another tool, or a malformed one, has no (or a
//! different) hash and is simply rewritten.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use palisade_crds::{Bom, SbomReportData};
use palisade_inventory::Inventory;
use palisade_match::Finding;
use palisade_operator::vulnerability::{AdditionalFields, vulnerability_report_with};
use palisade_operator::{
    ANNOTATION_TRUNCATED, ImageIdentity, OperatorError, Truncation, VulnerabilityInput, cap_report,
    report_metadata_for, sbom_report,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::model::{Desired, ImageKey};

/// Digest of the report's content, without its timestamp.
pub const ANNOTATION_CONTENT_HASH: &str = "palisade.dev/content-hash";
/// The [`ImageKey`] the report was built from, so a restarted operator knows which inventory an
/// SbomReport holds.
pub const ANNOTATION_IMAGE_KEY: &str = "palisade.dev/image-key";
/// SHA-256 of the BOM the scan Job sent (SbomReports only).
pub const ANNOTATION_BOM_SHA256: &str = "palisade.dev/bom-sha256";
/// When the image was scanned (SbomReports only), for the report TTL.
pub const ANNOTATION_SCANNED_AT: &str = "palisade.dev/scanned-at";

/// Which of the two per-container report kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportKind {
    /// VulnerabilityReport.
    Vulnerability,
    /// SbomReport.
    Sbom,
}

impl ReportKind {
    /// The Kubernetes kind.
    pub fn kind(self) -> &'static str {
        match self {
            ReportKind::Vulnerability => "VulnerabilityReport",
            ReportKind::Sbom => "SbomReport",
        }
    }
}

/// The `report` part of a report, built with a fixed timestamp, and its hash.
#[derive(Debug, Clone)]
pub struct Part {
    /// `report`, with `updateTimestamp` at the epoch (replaced when written).
    pub report: Value,
    /// Digest of `report`.
    pub hash: String,
    /// Findings or components dropped to fit the size limit.
    pub truncation: Option<Truncation>,
}

fn epoch() -> Time {
    Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH)
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex::encode(&h.finalize()[..16])
}

/// The `report` of a VulnerabilityReport whose rows carry `fields`, capped to `max_bytes`.
///
/// `report.os.eosl` is judged on `today` (`YYYY-MM-DD`), not on the placeholder timestamp the
/// part is hashed with, so the report flips to end-of-life on the release's last day.
#[allow(clippy::too_many_arguments)]
pub fn vulnerability_part(
    identity: &ImageIdentity,
    inventory: &Inventory,
    findings: &[Finding],
    scanner_version: &str,
    max_bytes: usize,
    fields: AdditionalFields,
    today: &str,
) -> Result<Part, OperatorError> {
    let mut data = vulnerability_report_with(
        VulnerabilityInput {
            image: identity,
            inventory,
            findings,
            scanner_version,
            update_timestamp: epoch(),
        },
        fields,
    );
    data.os.eosl = inventory
        .os
        .as_ref()
        .and_then(|os| os.eosl_on(today))
        .unwrap_or(false);
    let capped = cap_report(data, max_bytes)?;
    let bytes = serde_json::to_vec(&capped.data).map_err(OperatorError::Serialize)?;
    let report = serde_json::from_slice(&bytes).map_err(OperatorError::Serialize)?;
    Ok(Part {
        hash: sha256_hex(&[&bytes]),
        report,
        truncation: capped.truncation,
    })
}

/// The hash an SbomReport's `report` has, known without building it: it is determined by the
/// BOM, the image, the scanner and the limit.
pub fn sbom_part_hash(
    bom_sha256: &str,
    identity: &ImageIdentity,
    scanner_version: &str,
    max_bytes: usize,
) -> String {
    let id = serde_json::to_vec(&(
        &identity.registry,
        &identity.repository,
        &identity.tag,
        &identity.digest,
    ))
    .unwrap_or_default();
    sha256_hex(&[
        b"sbom",
        bom_sha256.as_bytes(),
        &id,
        scanner_version.as_bytes(),
        &max_bytes.to_le_bytes(),
    ])
}

/// The `report` of an SbomReport, capped to `max_bytes` by keeping the first components that fit
/// (and the dependencies among them); the summary still counts the whole BOM.
pub fn sbom_part(
    bom: Bom,
    bom_sha256: &str,
    identity: &ImageIdentity,
    scanner_version: &str,
    max_bytes: usize,
) -> Result<Part, OperatorError> {
    let hash = sbom_part_hash(bom_sha256, identity, scanner_version, max_bytes);
    let data = sbom_report(bom, identity, scanner_version, epoch());
    let size = |d: &SbomReportData| serde_json::to_vec(d).map(|v| v.len());
    if size(&data).map_err(OperatorError::Serialize)? <= max_bytes {
        let report = serde_json::to_value(&data).map_err(OperatorError::Serialize)?;
        return Ok(Part {
            report,
            hash,
            truncation: None,
        });
    }
    let total = data.components.components.len();
    let all = data.components.components.clone();
    let deps = data.components.dependencies.clone();
    let with = |k: usize| -> SbomReportData {
        let mut d = data.clone();
        d.components.components = all[..k].to_vec();
        let kept: std::collections::HashSet<&str> =
            all[..k].iter().map(|c| c.bom_ref.as_str()).collect();
        d.components.dependencies = deps
            .iter()
            .filter(|dep| kept.contains(dep.ref_.as_str()))
            .map(|dep| {
                let mut dep = dep.clone();
                dep.depends_on.retain(|r| kept.contains(r.as_str()));
                dep
            })
            .collect();
        d
    };
    let base = size(&with(0)).map_err(OperatorError::Serialize)?;
    if base > max_bytes {
        return Err(OperatorError::ReportTooLarge {
            size: base,
            max_bytes,
        });
    }
    // Size grows with k: binary search the largest k that fits (log2(total) serializations).
    let (mut lo, mut hi) = (0usize, total);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if size(&with(mid)).map_err(OperatorError::Serialize)? <= max_bytes {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let report = serde_json::to_value(with(lo)).map_err(OperatorError::Serialize)?;
    Ok(Part {
        report,
        hash,
        truncation: Some(Truncation { kept: lo, total }),
    })
}

/// Annotations a report gets besides the content hash, in a stable order.
pub fn extra_annotations(
    image: &ImageKey,
    truncation: Option<Truncation>,
    sbom: Option<(&str, &str)>,
) -> Vec<(String, String)> {
    let mut out = vec![(ANNOTATION_IMAGE_KEY.to_owned(), image.to_string())];
    if let Some(t) = truncation {
        out.push(t.annotation());
    }
    if let Some((bom_sha, scanned_at)) = sbom {
        out.push((ANNOTATION_BOM_SHA256.to_owned(), bom_sha.to_owned()));
        out.push((ANNOTATION_SCANNED_AT.to_owned(), scanned_at.to_owned()));
    }
    out
}

/// The `resource-spec-hash` label: the anchor hashes the pod spec; ours names the scanned image,
/// which is what decides the report's content.
pub fn spec_hash(image: &ImageKey) -> String {
    palisade_crds::hash::compute_hash_str(&image.to_string())
}

/// The content hash of the whole object (metadata the operator sets + `report`).
///
/// The truncation annotation is left out: it follows from the part, whose hash is included, and
/// leaving it out lets the SbomReport's hash be known before the (costly) cut is computed.
pub fn content_hash(
    kind: ReportKind,
    desired: &Desired,
    image: &ImageKey,
    part_hash: &str,
    extra: &[(String, String)],
) -> String {
    let meta = report_metadata_for(&desired.owner, &desired.container, &spec_hash(image));
    let m = serde_json::to_vec(&json!({
        "kind": kind.kind(),
        "name": meta.name,
        "labels": meta.labels,
        "annotations": meta.annotations,
        "extra": extra.iter().filter(|(k, _)| k != ANNOTATION_TRUNCATED).collect::<Vec<_>>(),
        "owner": meta.owner_reference,
    }))
    .unwrap_or_default();
    sha256_hex(&[part_hash.as_bytes(), &m])
}

/// The full object to server-side apply, and its content hash.
pub fn report_object(
    kind: ReportKind,
    desired: &Desired,
    image: &ImageKey,
    mut part: Part,
    extra: Vec<(String, String)>,
    now: &Time,
) -> (Value, String) {
    let hash = content_hash(kind, desired, image, &part.hash, &extra);
    let meta = report_metadata_for(&desired.owner, &desired.container, &spec_hash(image));
    let mut annotations = meta.annotations.clone();
    annotations.extend(extra);
    annotations.insert(ANNOTATION_CONTENT_HASH.to_owned(), hash.clone());
    if part.truncation.is_none() {
        annotations.remove(ANNOTATION_TRUNCATED);
    }
    if let Some(r) = part.report.as_object_mut() {
        r.insert("updateTimestamp".into(), json!(now));
    }
    let object = json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": kind.kind(),
        "metadata": {
            "name": meta.name,
            "namespace": meta.namespace,
            "labels": meta.labels,
            "annotations": annotations,
            "ownerReferences": [meta.owner_reference],
        },
        "report": part.report,
    });
    (object, hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_operator::Owner;
    use palisade_report::read_inventory;

    fn desired() -> Desired {
        let (d, _) = crate::model::derive(&crate::model::World {
            pods: &std::collections::HashMap::from([(
                ("ns".to_owned(), "p".to_owned()),
                crate::model::PodEntry {
                    namespace: "ns".into(),
                    name: "p".into(),
                    uid: "pu".into(),
                    created: "2026-01-01T00:00:00Z".into(),
                    controller: None,
                    containers: vec![crate::model::RunningContainer {
                        name: "app".into(),
                        image: "127.0.0.1:5000/app:1".into(),
                        image_id: format!("127.0.0.1:5000/app@sha256:{}", "a".repeat(64)),
                    }],
                    node: None,
                    pull_secrets: vec![],
                    service_account: "default".into(),
                },
            )]),
            replica_sets: &Default::default(),
            jobs: &Default::default(),
            nodes: &Default::default(),
            default_platform: "linux/amd64",
        });
        d.into_values().next().expect("one report")
    }

    fn bom(n: usize) -> Vec<u8> {
        let comps: Vec<Value> = (0..n)
            .map(|i| {
                json!({"bom-ref": format!("pkg:deb/debian/p{i}@1.0-{i}?distro=debian-12"),
                    "type": "library", "name": format!("p{i}"), "version": format!("1.0-{i}"),
                    "purl": format!("pkg:deb/debian/p{i}@1.0-{i}?distro=debian-12"),
                    "properties": [{"name": "palisade:SrcName", "value": format!("p{i}")}]})
            })
            .chain(std::iter::once(
                json!({"bom-ref": "os", "type": "operating-system",
                "name": "debian", "version": "12.8"}),
            ))
            .collect();
        serde_json::to_vec(&json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": comps,
            "dependencies": [{"ref": "os", "dependsOn": ["pkg:deb/debian/p0@1.0-0?distro=debian-12"]}]}))
        .expect("json")
    }

    #[test]
    fn object_shape_and_stable_hash() {
        let d = desired();
        let image = d.image.clone().expect("digest known");
        let inv = read_inventory(&bom(3)).expect("bom").inventory;
        let part = vulnerability_part(
            &d.identity,
            &inv,
            &[],
            "0.1.0",
            1 << 20,
            AdditionalFields::default(),
            "2026-12-02",
        )
        .expect("fits");
        let extra = extra_annotations(&image, None, None);
        let t1 = Time("2026-05-01T00:00:00Z".parse().expect("ts"));
        let t2 = Time("2026-06-01T00:00:00Z".parse().expect("ts"));
        let (o1, h1) = report_object(
            ReportKind::Vulnerability,
            &d,
            &image,
            part.clone(),
            extra.clone(),
            &t1,
        );
        let (o2, h2) = report_object(ReportKind::Vulnerability, &d, &image, part, extra, &t2);
        assert_eq!(h1, h2, "the timestamp is not content");
        assert_ne!(
            o1["report"]["updateTimestamp"],
            o2["report"]["updateTimestamp"]
        );
        assert_eq!(o1["metadata"]["name"], "pod-p-app");
        assert_eq!(o1["metadata"]["annotations"][ANNOTATION_CONTENT_HASH], h1);
        assert_eq!(
            o1["metadata"]["annotations"][ANNOTATION_IMAGE_KEY],
            image.to_string()
        );
        assert_eq!(o1["report"]["artifact"]["repository"], "app");
        assert_eq!(o1["report"]["summary"]["noneCount"], 0);
        assert_eq!(o1["metadata"]["ownerReferences"][0]["uid"], "pu");
        // Another owner, same content: another hash (the metadata differs).
        let mut other = d.clone();
        other.owner = Owner {
            uid: "other".into(),
            ..d.owner.clone()
        };
        let h3 = content_hash(ReportKind::Vulnerability, &other, &image, "x", &[]);
        assert_ne!(
            h3,
            content_hash(ReportKind::Vulnerability, &d, &image, "x", &[])
        );
    }

    #[test]
    fn sbom_is_capped_and_readable_back() {
        let d = desired();
        let image = d.image.clone().expect("digest known");
        let data = bom(2000);
        let parsed = palisade_operator::parse_bom(&data).expect("bom");
        let part = sbom_part(parsed.clone(), "abc", &d.identity, "0.1.0", 64 << 10).expect("fits");
        let t = part.truncation.expect("cut");
        assert_eq!(t.total, 2001);
        assert!(t.kept > 10 && t.kept < 2001, "{t:?}");
        assert!(serde_json::to_vec(&part.report).expect("json").len() <= 64 << 10);
        assert_eq!(part.report["summary"]["componentsCount"], 2002);
        assert_eq!(
            part.hash,
            sbom_part_hash("abc", &d.identity, "0.1.0", 64 << 10)
        );
        // Uncut, the stored components are a BOM the inventory reader accepts, with every package.
        let full = sbom_part(parsed, "abc", &d.identity, "0.1.0", 1 << 30).expect("fits");
        assert!(full.truncation.is_none());
        let (obj, _) = report_object(
            ReportKind::Sbom,
            &d,
            &image,
            full,
            extra_annotations(&image, None, Some(("abc", "2026-01-01T00:00:00Z"))),
            &epoch(),
        );
        let back = serde_json::to_vec(&obj["report"]["components"]).expect("json");
        let inv = read_inventory(&back).expect("readable").inventory;
        assert_eq!(inv.packages.len(), 2000);
        assert_eq!(obj["metadata"]["annotations"][ANNOTATION_BOM_SHA256], "abc");
    }
}
