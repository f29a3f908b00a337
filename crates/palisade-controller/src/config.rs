//! The operator's settings, with the anchor's defaults where the reference users rely on them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use palisade_operator::vulnerability::AdditionalFields;

use crate::model::NamespaceFilter;

/// Everything `palisade operator` is configured with (flags and `OPERATOR_*` variables).
#[derive(Debug, Clone)]
pub struct Config {
    /// The operator's namespace (`OPERATOR_NAMESPACE`): where scan Jobs run by default.
    pub namespace: String,
    /// Target and excluded namespaces.
    pub namespaces: NamespaceFilter,
    /// Workloads with any of these label keys are not scanned (`skipResourceByLabels`).
    pub skip_label_keys: Vec<String>,
    /// Running scan Jobs never exceed this (`scanJobsConcurrentLimit`).
    pub concurrent_scan_jobs_limit: usize,
    /// First retry delay of a failed scan (`scanJobsRetryDelay`); it doubles up to
    /// [`Config::scan_job_retry_max`].
    pub scan_job_retry_after: Duration,
    /// Cap of the retry backoff.
    pub scan_job_retry_max: Duration,
    /// `activeDeadlineSeconds` of scan Jobs (`scanJobTimeout`).
    pub scan_job_timeout: Duration,
    /// Inventories older than this are rescanned (`OPERATOR_SCANNER_REPORT_TTL`); `None` keeps
    /// them until the image changes. Database updates never need it: they re-match in process.
    pub report_ttl: Option<Duration>,
    /// Run scan Jobs in the workload's namespace, mounting its pull secrets directly, so the
    /// operator never reads Secrets (`vulnerabilityReports.scanJobsInSameNamespace`).
    pub scan_jobs_in_same_namespace: bool,
    /// Copy the workload's pull secrets (and its ServiceAccount's) into the scan Job's Secret
    /// (`OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS`). Operator-namespace mode only.
    pub access_global_secrets: bool,
    /// The image scan Jobs run (Palisade's own).
    pub scanner_image: String,
    /// Resource requests and limits of scan Job containers (a Kubernetes
    /// `ResourceRequirements` as JSON).
    pub scan_job_resources: serde_json::Value,
    /// The advisory database file.
    pub db_path: PathBuf,
    /// How often the database file is checked for replacement.
    pub db_check_interval: Duration,
    /// Where the result endpoint listens.
    pub results_bind: SocketAddr,
    /// The URL scan Jobs reach that endpoint at; the bound address when `None` (tests, local
    /// runs).
    pub results_url: Option<String>,
    /// Where `/healthz` and `/readyz` listen (`OPERATOR_HEALTH_PROBE_BIND_ADDRESS`).
    pub health_bind: Option<SocketAddr>,
    /// Largest `report` written, in bytes.
    pub max_report_bytes: usize,
    /// Platform assumed for Pods whose Node is unknown.
    pub default_platform: String,
    /// At most this many report writes are in flight.
    pub write_concurrency: usize,
    /// The optional fields of VulnerabilityReport rows (Trivy Operator's
    /// `trivy.additionalVulnerabilityReportFields`); none by default, as in the anchor.
    pub vulnerability_report_fields: AdditionalFields,
}

impl Config {
    /// The settings of the anchor's reference users, with the database at `db_path`.
    pub fn new(namespace: impl Into<String>, db_path: impl Into<PathBuf>) -> Config {
        Config {
            namespace: namespace.into(),
            namespaces: NamespaceFilter::default(),
            skip_label_keys: Vec::new(),
            concurrent_scan_jobs_limit: 3,
            scan_job_retry_after: Duration::from_secs(30),
            scan_job_retry_max: Duration::from_secs(300),
            scan_job_timeout: Duration::from_secs(300),
            report_ttl: None,
            scan_jobs_in_same_namespace: false,
            access_global_secrets: true,
            scanner_image: format!("ghcr.io/palisade/palisade:{}", env!("CARGO_PKG_VERSION")),
            scan_job_resources: serde_json::json!({
                "requests": {"cpu": "100m", "memory": "100M"},
                "limits": {"cpu": "500m", "memory": "500M"},
            }),
            db_path: db_path.into(),
            db_check_interval: Duration::from_secs(60),
            results_bind: SocketAddr::from(([0, 0, 0, 0], 8081)),
            results_url: None,
            health_bind: Some(SocketAddr::from(([0, 0, 0, 0], 9090))),
            max_report_bytes: palisade_operator::DEFAULT_MAX_REPORT_BYTES,
            default_platform: "linux/amd64".to_owned(),
            write_concurrency: 16,
            vulnerability_report_fields: AdditionalFields::default(),
        }
    }

    /// The backoff before retry number `attempt` (1-based).
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(20))
            .unwrap_or(u32::MAX);
        self.scan_job_retry_after
            .saturating_mul(factor)
            .min(self.scan_job_retry_max.max(self.scan_job_retry_after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap() {
        let c = Config::new("trivy", "/db");
        let secs: Vec<u64> = (1..=6).map(|a| c.retry_delay(a).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 300, 300]);
        assert_eq!(c.retry_delay(1000).as_secs(), 300);
    }
}
