//! Keeping a VulnerabilityReport under a size limit (issue 4, "a report never exceeds a
//! configurable size").
//!
//! etcd rejects objects over ~1.5 MiB, and the anchor then fails the write forever (spec §9): the
//! workload has no report at all. Dropping the least severe findings instead keeps the report
//! useful: its summary (what dashboards and the printer columns show) stays exact, the findings
//! that matter most are all there, and an annotation says how many were kept.

use palisade_crds::{Severity, Vulnerability, VulnerabilityReportData};

use crate::OperatorError;

/// Annotation set on a report whose findings were cut: `"<kept>/<total>"`. The CRD has no field
/// for it, and an annotation needs no schema change and shows in `kubectl describe`.
pub const ANNOTATION_TRUNCATED: &str = "palisade.dev/truncated";

/// The default limit: 1 MiB leaves etcd's 1.5 MiB limit room for metadata and managed fields.
pub const DEFAULT_MAX_REPORT_BYTES: usize = 1024 * 1024;

/// How many findings a capped report kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncation {
    /// Findings in the report.
    pub kept: usize,
    /// Findings before the cut (what the summary counts).
    pub total: usize,
}

impl Truncation {
    /// The [`ANNOTATION_TRUNCATED`] annotation.
    pub fn annotation(&self) -> (String, String) {
        (
            ANNOTATION_TRUNCATED.to_owned(),
            format!("{}/{}", self.kept, self.total),
        )
    }
}

/// A report that fits, and whether findings were dropped to make it fit.
#[derive(Debug, Clone, PartialEq)]
pub struct CappedReport {
    /// The report; its summary still counts every finding.
    pub data: VulnerabilityReportData,
    /// `None` when nothing was dropped.
    pub truncation: Option<Truncation>,
}

/// Fits `data` into `max_bytes` of compact JSON (the `report` value; the caller's limit should
/// leave room for the object's metadata).
///
/// When it does not fit, the longest prefix of the findings ranked by severity (CRITICAL first)
/// then id (then package and version, so ties are deterministic) that fits is kept, in the
/// report's original order. The size is computed exactly rather than searched for: compact JSON
/// of an array is `[` + items joined by `,` + `]`, so the report's size is the size without
/// findings plus each kept item's size plus the commas. The summary is not touched.
///
/// Fails only when the report without any finding is already too large.
pub fn cap_report(
    data: VulnerabilityReportData,
    max_bytes: usize,
) -> Result<CappedReport, OperatorError> {
    let full = json_len(&data)?;
    if full <= max_bytes {
        return Ok(CappedReport {
            data,
            truncation: None,
        });
    }
    let total = data.vulnerabilities.len();
    let mut data = data;
    let vulnerabilities = std::mem::take(&mut data.vulnerabilities);
    let base = json_len(&data)?;
    if base > max_bytes {
        return Err(OperatorError::ReportTooLarge {
            size: base,
            max_bytes,
        });
    }
    let sizes = vulnerabilities
        .iter()
        .map(json_len)
        .collect::<Result<Vec<_>, _>>()?;
    let mut ranked: Vec<usize> = (0..total).collect();
    ranked.sort_by(|&a, &b| rank_key(&vulnerabilities[a]).cmp(&rank_key(&vulnerabilities[b])));

    let mut keep = vec![false; total];
    let mut size = base;
    let mut kept = 0;
    for i in ranked {
        let add = sizes[i] + usize::from(kept > 0);
        if size + add > max_bytes {
            break;
        }
        size += add;
        keep[i] = true;
        kept += 1;
    }
    data.vulnerabilities = vulnerabilities
        .into_iter()
        .zip(keep)
        .filter_map(|(v, k)| k.then_some(v))
        .collect();
    Ok(CappedReport {
        data,
        truncation: Some(Truncation { kept, total }),
    })
}

/// Most severe first (the CRD enum declares CRITICAL first), then by id.
fn rank_key(v: &Vulnerability) -> (Severity, &str, &str, &str) {
    (
        v.severity,
        &v.vulnerability_id,
        &v.resource,
        &v.installed_version,
    )
}

fn json_len<T: serde::Serialize>(value: &T) -> Result<usize, OperatorError> {
    serde_json::to_vec(value)
        .map(|v| v.len())
        .map_err(OperatorError::Serialize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vulnerability::tests::{finding, image, inventory, ts};
    use crate::{VulnerabilityInput, vulnerability_report};
    use palisade_crds::VulnerabilitySummary;
    use palisade_match::Finding;

    fn report(findings: &[Finding]) -> VulnerabilityReportData {
        vulnerability_report(VulnerabilityInput {
            image: &image(),
            inventory: &inventory(),
            findings,
            scanner_version: "0.72.0",
            update_timestamp: ts("2026-01-01T00:00:00Z"),
        })
    }

    fn severity_of(i: usize) -> palisade_cvss::Severity {
        use palisade_cvss::Severity as S;
        [S::Low, S::Unknown, S::Medium, S::High, S::Critical][i % 5]
    }

    #[test]
    fn small_reports_are_untouched() {
        let data = report(&[finding("a", "CVE-1", severity_of(0))]);
        let capped = cap_report(data.clone(), DEFAULT_MAX_REPORT_BYTES).expect("fits");
        assert_eq!(capped.data, data);
        assert_eq!(capped.truncation, None);
    }

    #[test]
    fn fifty_thousand_findings_fit_most_severe_first() {
        let findings: Vec<Finding> = (0..50_000)
            .map(|i| {
                let mut f = finding(
                    &format!("pkg{}", i % 977),
                    &format!("CVE-2024-{i:05}"),
                    severity_of(i),
                );
                f.title = "a title long enough to make every finding a few hundred bytes".into();
                f.primary_link =
                    format!("https://security-tracker.debian.org/tracker/CVE-2024-{i:05}");
                f
            })
            .collect();
        let data = report(&findings);
        let summary = VulnerabilitySummary::count(&data.vulnerabilities);
        assert_eq!(summary.critical_count, 10_000);
        let full_len = serde_json::to_vec(&data).expect("json").len();
        assert!(
            full_len > DEFAULT_MAX_REPORT_BYTES,
            "the test must overflow: {full_len}"
        );

        let capped = cap_report(data.clone(), DEFAULT_MAX_REPORT_BYTES).expect("fits");
        let len = serde_json::to_vec(&capped.data).expect("json").len();
        assert!(len <= DEFAULT_MAX_REPORT_BYTES, "{len}");
        let t = capped.truncation.expect("truncated");
        assert_eq!(t.total, 50_000);
        assert_eq!(t.kept, capped.data.vulnerabilities.len());
        assert_eq!(
            t.annotation(),
            ("palisade.dev/truncated".into(), format!("{}/50000", t.kept))
        );
        // Summary counts everything, not what was kept.
        assert_eq!(capped.data.summary, summary);
        // Kept = the top of the ranking (most severe, then lowest ids), and greedy is tight:
        // the next finding in the ranking would not have fitted.
        let mut ranked = data.vulnerabilities.clone();
        ranked.sort_by(|a, b| rank_key(a).cmp(&rank_key(b)));
        let mut expected: Vec<_> = ranked[..t.kept].iter().map(rank_key).collect();
        let mut got: Vec<_> = capped.data.vulnerabilities.iter().map(rank_key).collect();
        expected.sort();
        got.sort();
        assert_eq!(got, expected);
        let next = serde_json::to_vec(&ranked[t.kept]).expect("json").len();
        assert!(len + next + 1 > DEFAULT_MAX_REPORT_BYTES, "{len} + {next}");
        assert!(t.kept > 1_000, "{}", t.kept);
        assert!(
            capped
                .data
                .vulnerabilities
                .iter()
                .all(|v| v.severity == Severity::Critical),
            "fewer than 10 000 findings fit, so all kept ones are CRITICAL"
        );
        // Kept findings stay in report order.
        let positions: Vec<usize> = capped
            .data
            .vulnerabilities
            .iter()
            .map(|v| {
                data.vulnerabilities
                    .iter()
                    .position(|w| w == v)
                    .expect("from input")
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn limit_below_the_empty_report_is_an_error() {
        let data = report(&[finding("a", "CVE-1", severity_of(0))]);
        let err = cap_report(data, 10).expect_err("too small");
        assert!(
            matches!(err, OperatorError::ReportTooLarge { max_bytes: 10, .. }),
            "{err}"
        );
    }

    #[test]
    fn exact_boundary() {
        let data = report(&[
            finding("a", "CVE-1", severity_of(4)),
            finding("b", "CVE-2", severity_of(3)),
        ]);
        let full = serde_json::to_vec(&data).expect("json").len();
        assert_eq!(
            cap_report(data.clone(), full).expect("fits").truncation,
            None
        );
        let capped = cap_report(data, full - 1).expect("fits");
        assert_eq!(capped.truncation, Some(Truncation { kept: 1, total: 2 }));
        assert_eq!(capped.data.vulnerabilities[0].vulnerability_id, "CVE-1");
        assert_eq!(
            capped.data.summary.high_count, 1,
            "summary still counts the dropped HIGH"
        );
    }
}
