//! Skipping writes that change nothing (issue 4: "writes that change nothing are skipped").
//!
//! Every rebuild stamps a new `updateTimestamp`, so comparing whole reports would rewrite every
//! report on every database refresh, waking every watcher of the CRD. Comparing everything but
//! the timestamp lets the operator write only reports whose content changed.

use palisade_crds::{SbomReportData, VulnerabilityReportData};

/// A report `report` whose content can be compared without its build time.
pub trait ReportContent {
    /// Whether `self` and `other` say the same thing, whatever their `updateTimestamp`.
    fn same_content(&self, other: &Self) -> bool;
}

impl ReportContent for VulnerabilityReportData {
    fn same_content(&self, other: &Self) -> bool {
        // Destructured so a field added to the type later cannot be silently left out.
        let VulnerabilityReportData {
            update_timestamp: _,
            scanner,
            registry,
            artifact,
            os,
            summary,
            vulnerabilities,
        } = self;
        *scanner == other.scanner
            && *registry == other.registry
            && *artifact == other.artifact
            && *os == other.os
            && *summary == other.summary
            && *vulnerabilities == other.vulnerabilities
    }
}

impl ReportContent for SbomReportData {
    fn same_content(&self, other: &Self) -> bool {
        let SbomReportData {
            update_timestamp: _,
            scanner,
            registry,
            artifact,
            summary,
            components,
        } = self;
        *scanner == other.scanner
            && *registry == other.registry
            && *artifact == other.artifact
            && *summary == other.summary
            && *components == other.components
    }
}

/// Whether writing `b` over `a` would change anything but `updateTimestamp`.
pub fn reports_equal_ignoring_timestamp<T: ReportContent>(a: &T, b: &T) -> bool {
    a.same_content(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vulnerability::tests::{finding, image, inventory, ts};
    use crate::{VulnerabilityInput, sbom_report, vulnerability_report};
    use palisade_crds::Bom;

    fn vuln(at: &str, findings: &[palisade_match::Finding]) -> VulnerabilityReportData {
        vulnerability_report(VulnerabilityInput {
            image: &image(),
            inventory: &inventory(),
            findings,
            scanner_version: "0.72.0",
            update_timestamp: ts(at),
        })
    }

    #[test]
    fn vulnerability_reports() {
        let f = [finding("a", "CVE-1", palisade_cvss::Severity::High)];
        let a = vuln("2026-01-01T00:00:00Z", &f);
        let b = vuln("2026-02-01T00:00:00Z", &f);
        assert_ne!(a, b);
        assert!(reports_equal_ignoring_timestamp(&a, &b));
        let mut c = b.clone();
        c.vulnerabilities[0].fixed_version = "2".into();
        assert!(!reports_equal_ignoring_timestamp(&a, &c));
        let mut d = b.clone();
        d.artifact.digest = "sha256:x".into();
        assert!(!reports_equal_ignoring_timestamp(&a, &d));
        assert!(!reports_equal_ignoring_timestamp(
            &a,
            &vuln("2026-01-01T00:00:00Z", &[])
        ));
    }

    #[test]
    fn sbom_reports() {
        let bom = Bom {
            bom_format: "CycloneDX".into(),
            spec_version: "1.6".into(),
            ..Bom::default()
        };
        let a = sbom_report(bom.clone(), &image(), "v", ts("2026-01-01T00:00:00Z"));
        let b = sbom_report(bom.clone(), &image(), "v", ts("2026-01-02T00:00:00Z"));
        assert!(reports_equal_ignoring_timestamp(&a, &b));
        let mut other = bom;
        other.serial_number = "urn:uuid:1".into();
        let c = sbom_report(other, &image(), "v", ts("2026-01-01T00:00:00Z"));
        assert!(!reports_equal_ignoring_timestamp(&a, &c));
    }
}
