//! `report` of an SbomReport, from the CycloneDX BOM a scan Job returns (spec §1.3).
//!
//! The BOM is `palisade image --format cyclonedx` output, stored as-is in the CRD's typed subset
//! of CycloneDX. Keeping it in the report is what lets a restarted operator read every inventory
//! back instead of rescanning the cluster (docs/operator-design.md).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use palisade_crds::{Bom, SbomReportData, SbomSummary, Scanner};

use crate::OperatorError;
use crate::image::ImageIdentity;

/// Reads a CycloneDX JSON BOM into the CRD's BOM type.
///
/// Fields the CRD does not declare (our BOM's `vulnerabilities`, nested components' own
/// children) are dropped, as the API server would prune them anyway. Anything whose `bomFormat`
/// is not `CycloneDX` is rejected, so a Job that returns garbage gets a clear error instead of an
/// empty report.
pub fn parse_bom(json: &[u8]) -> Result<Bom, OperatorError> {
    let bom: Bom = serde_json::from_slice(json).map_err(OperatorError::BomJson)?;
    if bom.bom_format != "CycloneDX" {
        return Err(OperatorError::NotCycloneDx(
            bom.bom_format.chars().take(100).collect(),
        ));
    }
    Ok(bom)
}

/// Builds the `report` of an SbomReport: scanner, image, the BOM, and the anchor's summary
/// (`componentsCount` = components + 1 for the metadata root, `dependenciesCount` = entries of
/// `dependencies`).
pub fn sbom_report(
    bom: Bom,
    image: &ImageIdentity,
    scanner_version: &str,
    update_timestamp: Time,
) -> SbomReportData {
    SbomReportData {
        update_timestamp,
        scanner: Scanner::trivy(scanner_version),
        registry: image.registry(),
        artifact: image.artifact(),
        summary: SbomSummary::of(&bom),
        components: bom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vulnerability::tests::{image, inventory, ts};
    use palisade_report::{DocumentInput, Metadata, Report};

    fn our_bom() -> String {
        let report = Report {
            schema_version: palisade_report::SCHEMA_VERSION,
            created_at: "2026-01-01T00:00:00Z".into(),
            artifact_name: "debian:12".into(),
            artifact_type: "container_image".into(),
            metadata: Metadata::default(),
            results: vec![],
        };
        let inv = inventory();
        palisade_report::to_cyclonedx(&DocumentInput {
            report: &report,
            inventory: &inv,
            tool_version: "0.1.0",
            information_uri: None,
        })
        .expect("encodes")
    }

    #[test]
    fn summary_of_our_bom() {
        let json = our_bom();
        let raw: serde_json::Value = serde_json::from_str(&json).expect("json");
        let components = raw["components"].as_array().expect("components").len() as u64;
        let dependencies = raw["dependencies"].as_array().expect("dependencies").len() as u64;
        assert!(components >= 3, "three packages at least: {components}");

        let bom = parse_bom(json.as_bytes()).expect("ours parses");
        let r = sbom_report(bom, &image(), "0.72.0", ts("2026-01-02T00:00:00Z"));
        assert_eq!(r.summary.components_count, components + 1);
        assert_eq!(r.summary.dependencies_count, dependencies);
        let out = serde_json::to_value(&r).expect("serializable");
        assert_eq!(out["summary"]["componentsCount"], components + 1);
        assert_eq!(out["components"]["bomFormat"], "CycloneDX");
        assert_eq!(out["components"]["components"], raw["components"]);
        assert_eq!(out["components"]["dependencies"], raw["dependencies"]);
        assert_eq!(out["artifact"]["repository"], "library/debian");
        assert_eq!(out["scanner"]["name"], "Trivy");
        assert_eq!(out["updateTimestamp"], "2026-01-02T00:00:00Z");
        // Deterministic: same BOM, same report.
        let again = sbom_report(
            parse_bom(json.as_bytes()).expect("parses"),
            &image(),
            "0.72.0",
            ts("2026-01-02T00:00:00Z"),
        );
        assert_eq!(r, again);
    }

    #[test]
    fn empty_bom_counts_the_root() {
        let bom = parse_bom(br#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#).expect("ok");
        let r = sbom_report(bom, &image(), "v", ts("2026-01-01T00:00:00Z"));
        assert_eq!(r.summary.components_count, 1);
        assert_eq!(r.summary.dependencies_count, 0);
    }

    #[test]
    fn rejects_non_boms() {
        assert!(matches!(
            parse_bom(b"not json"),
            Err(OperatorError::BomJson(_))
        ));
        assert!(matches!(
            parse_bom(br#"{"bomFormat":"SPDX","specVersion":"2.3"}"#),
            Err(OperatorError::NotCycloneDx(f)) if f == "SPDX"
        ));
    }
}
