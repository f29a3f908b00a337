//! Prometheus metrics on `OPERATOR_METRICS_BIND_ADDRESS` (`:8080`), path `/metrics`.
//!
//! The findings gauges keep Trivy Operator's names, labels, label order and severity casing (spec
//! §6), so dashboards and alerts built for it keep working. Unlike the anchor, which lists every
//! report from its cache at each scrape, they come from a snapshot the operator loop publishes
//! after each pass: a scrape costs rendering text, not a walk over the cluster's reports.
//!
//! Series are bounded: `trivy_image_vulnerabilities` has exactly 5 series per VulnerabilityReport
//! (one per severity, zeros included); the opt-in `trivy_image_info` 1 per report and
//! `trivy_vulnerability_id` 1 per distinct finding row of a report; the operator's own health
//! metrics a fixed number (failure reasons come from a closed list).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

/// Severities in the order the anchor's summary lists them, with the label value it exports.
pub const SEVERITIES: [&str; 5] = ["Critical", "High", "Medium", "Low", "Unknown"];

/// Which optional metric families are exported (the anchor's `OPERATOR_METRICS_*` switches).
#[derive(Debug, Clone, Copy)]
pub struct MetricsSettings {
    /// `OPERATOR_METRICS_FINDINGS_ENABLED`: the per-severity findings gauges.
    pub findings: bool,
    /// `OPERATOR_METRICS_VULN_ID_ENABLED`: `trivy_vulnerability_id`, one series per finding.
    pub vuln_id: bool,
    /// `OPERATOR_METRICS_IMAGE_INFO_ENABLED`: `trivy_image_info`.
    pub image_info: bool,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            findings: true,
            vuln_id: false,
            image_info: false,
        }
    }
}

/// One finding row of `trivy_vulnerability_id`, labels in the anchor's order after the image
/// labels: installed_version, fixed_version, published_date, last_modified_date, resource,
/// severity, package_type, pkg_path, target, class, vuln_id, vuln_title, vuln_score.
pub type VulnRow = [String; 13];

/// What one VulnerabilityReport contributes to the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VulnSeries {
    /// namespace, name, resource_kind, resource_name, container_name, image_registry,
    /// image_repository, image_tag, image_digest.
    pub labels: [String; 9],
    /// Summary counts in [`SEVERITIES`] order.
    pub counts: [u64; 5],
    /// `report.os.family`.
    pub os_family: String,
    /// `report.os.name`.
    pub os_name: String,
    /// `report.os.eosl`.
    pub os_eosl: bool,
    /// Finding rows (only kept when `trivy_vulnerability_id` is on).
    pub rows: Arc<Vec<VulnRow>>,
}

/// Upper bounds (seconds) of the scan duration histogram's buckets: scans take seconds to minutes,
/// bounded by the Job timeout.
const DURATION_BUCKETS: [f64; 10] = [1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0];

/// Failure reasons exported as label values; anything else counts as `Other`, so a cluster cannot
/// grow the number of series with new condition reasons.
const FAILURE_REASONS: [&str; 14] = [
    "PullFailed",
    "Unauthorized",
    "NotFound",
    "InvalidImage",
    "AnalysisFailed",
    "DeadlineExceeded",
    "BackoffLimitExceeded",
    "JobFailed",
    "Timeout",
    "NoResult",
    "JobDeleted",
    "JobCreateFailed",
    "ResultRejected",
    "Other",
];

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; DURATION_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The operator's metrics: written by the loop, read by scrapes.
#[derive(Debug)]
pub struct Metrics {
    settings: MetricsSettings,
    vulns: Mutex<Arc<Vec<VulnSeries>>>,
    leader: AtomicBool,
    queue_depth: AtomicU64,
    running_jobs: AtomicU64,
    inventories: AtomicU64,
    /// Unix time (seconds) the database file was last modified; 0 before one is open.
    db_modified: AtomicU64,
    durations: Mutex<Histogram>,
    failures: Mutex<BTreeMap<&'static str, u64>>,
    reconcile_errors: AtomicU64,
    writes: [AtomicU64; 2],
    start_time: f64,
}

impl Metrics {
    /// Metrics with the given optional families.
    pub fn new(settings: MetricsSettings) -> Metrics {
        Metrics {
            settings,
            vulns: Mutex::new(Arc::new(Vec::new())),
            leader: AtomicBool::new(false),
            queue_depth: AtomicU64::new(0),
            running_jobs: AtomicU64::new(0),
            inventories: AtomicU64::new(0),
            db_modified: AtomicU64::new(0),
            durations: Mutex::new(Histogram::default()),
            failures: Mutex::new(BTreeMap::new()),
            reconcile_errors: AtomicU64::new(0),
            writes: [AtomicU64::new(0), AtomicU64::new(0)],
            start_time: unix_now(),
        }
    }

    /// The switches.
    pub fn settings(&self) -> MetricsSettings {
        self.settings
    }

    /// Replaces the findings snapshot (sorted by the caller for a stable output).
    pub fn publish_vulnerabilities(&self, series: Vec<VulnSeries>) {
        if let Ok(mut v) = self.vulns.lock() {
            *v = Arc::new(series);
        }
    }

    /// Whether this replica leads (only the leader runs the loop and exports findings).
    pub fn set_leader(&self, leader: bool) {
        self.leader.store(leader, Ordering::Relaxed);
        if !leader {
            self.publish_vulnerabilities(Vec::new());
        }
    }

    /// Scan queue and running Jobs, and cached inventories, as of the last pass.
    pub fn set_scan_state(&self, queued: usize, running: usize, inventories: usize) {
        self.queue_depth.store(queued as u64, Ordering::Relaxed);
        self.running_jobs.store(running as u64, Ordering::Relaxed);
        self.inventories
            .store(inventories as u64, Ordering::Relaxed);
    }

    /// The database in use was last modified at `modified`.
    pub fn set_database_modified(&self, modified: SystemTime) {
        let secs = modified
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.db_modified.store(secs, Ordering::Relaxed);
    }

    /// A scan delivered its result after `took`.
    pub fn observe_scan(&self, took: Duration) {
        let secs = took.as_secs_f64();
        if let Ok(mut h) = self.durations.lock() {
            for (i, le) in DURATION_BUCKETS.iter().enumerate() {
                if secs <= *le {
                    h.buckets[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    /// A scan failed for `reason` (mapped onto a closed list).
    pub fn scan_failed(&self, reason: &str) {
        let label = FAILURE_REASONS
            .iter()
            .copied()
            .find(|r| *r == reason)
            .unwrap_or("Other");
        if let Ok(mut f) = self.failures.lock() {
            *f.entry(label).or_default() += 1;
        }
    }

    /// A reconcile step failed (a report could not be built, matched, read back or written).
    pub fn reconcile_error(&self) {
        self.reconcile_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// A report was written (`sbom`: an SbomReport, else a VulnerabilityReport).
    pub fn report_written(&self, sbom: bool) {
        self.writes[usize::from(sbom)].fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text (Prometheus text format 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let leader = self.leader.load(Ordering::Relaxed);
        let vulns = self
            .vulns
            .lock()
            .map(|v| v.clone())
            .unwrap_or_else(|_| Arc::new(Vec::new()));

        if self.settings.findings {
            family(
                &mut out,
                "trivy_image_vulnerabilities",
                "Number of container image vulnerabilities",
                "gauge",
            );
            for s in vulns.iter() {
                for (sev, count) in SEVERITIES.iter().zip(s.counts) {
                    sample(
                        &mut out,
                        "trivy_image_vulnerabilities",
                        &image_labels(&s.labels, &[("severity", sev)]),
                        count as f64,
                    );
                }
            }
            // Produced from ExposedSecret, ConfigAudit, RbacAssessment and InfraAssessment
            // reports, which this operator does not write yet: declared, with no series.
            for (name, help) in [
                (
                    "trivy_image_exposedsecrets",
                    "Number of image exposed secrets",
                ),
                (
                    "trivy_resource_configaudits",
                    "Number of failing resource configuration auditing checks",
                ),
                (
                    "trivy_role_rbacassessments",
                    "Number of rbac risky role assessment checks",
                ),
                (
                    "trivy_clusterrole_clusterrbacassessments",
                    "Number of rbac risky cluster role assessment checks",
                ),
                (
                    "trivy_resource_infraassessments",
                    "Number of failing k8s infra assessment checks",
                ),
            ] {
                family(&mut out, name, help, "gauge");
            }
        }
        if self.settings.image_info {
            family(
                &mut out,
                "trivy_image_info",
                "scanned container image information",
                "gauge",
            );
            for s in vulns.iter() {
                let eosl = if s.os_eosl { "true" } else { "" };
                sample(
                    &mut out,
                    "trivy_image_info",
                    &image_labels(
                        &s.labels,
                        &[
                            ("image_os_family", &s.os_family),
                            ("image_os_name", &s.os_name),
                            ("image_os_eosl", eosl),
                        ],
                    ),
                    1.0,
                );
            }
        }
        if self.settings.vuln_id {
            family(
                &mut out,
                "trivy_vulnerability_id",
                "Number of container image vulnerabilities group by vulnerability id",
                "gauge",
            );
            const ROW_LABELS: [&str; 13] = [
                "installed_version",
                "fixed_version",
                "published_date",
                "last_modified_date",
                "resource",
                "severity",
                "package_type",
                "pkg_path",
                "target",
                "class",
                "vuln_id",
                "vuln_title",
                "vuln_score",
            ];
            for s in vulns.iter() {
                // The same row twice would be a duplicate series, which makes a scrape fail
                // (the anchor's issues #1402 and #1578): emit each distinct row once.
                let mut seen = std::collections::BTreeSet::new();
                for row in s.rows.iter() {
                    if !seen.insert(row) {
                        continue;
                    }
                    let extra: Vec<(&str, &str)> = ROW_LABELS
                        .iter()
                        .copied()
                        .zip(row.iter().map(String::as_str))
                        .collect();
                    sample(
                        &mut out,
                        "trivy_vulnerability_id",
                        &image_labels(&s.labels, &extra),
                        1.0,
                    );
                }
            }
        }

        // The operator's own health.
        family(
            &mut out,
            "palisade_leader",
            "1 when this replica holds the leader Lease and runs the operator",
            "gauge",
        );
        sample(&mut out, "palisade_leader", "", f64::from(u8::from(leader)));
        family(
            &mut out,
            "palisade_scan_queue_depth",
            "Images waiting for a scan Job",
            "gauge",
        );
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        sample(
            &mut out,
            "palisade_scan_queue_depth",
            "",
            load(&self.queue_depth),
        );
        family(
            &mut out,
            "palisade_scan_jobs_running",
            "Scan Jobs holding a concurrency slot (finished Jobs never do)",
            "gauge",
        );
        sample(
            &mut out,
            "palisade_scan_jobs_running",
            "",
            load(&self.running_jobs),
        );
        family(
            &mut out,
            "palisade_inventories_cached",
            "Image inventories held for re-matching",
            "gauge",
        );
        sample(
            &mut out,
            "palisade_inventories_cached",
            "",
            load(&self.inventories),
        );
        family(
            &mut out,
            "palisade_scan_duration_seconds",
            "Time from a scan Job's start to its accepted result",
            "histogram",
        );
        if let Ok(h) = self.durations.lock() {
            for (le, n) in DURATION_BUCKETS.iter().zip(h.buckets) {
                sample(
                    &mut out,
                    "palisade_scan_duration_seconds_bucket",
                    &labels(&[("le", &format_float(*le))]),
                    n as f64,
                );
            }
            sample(
                &mut out,
                "palisade_scan_duration_seconds_bucket",
                &labels(&[("le", "+Inf")]),
                h.count as f64,
            );
            sample(&mut out, "palisade_scan_duration_seconds_sum", "", h.sum);
            sample(
                &mut out,
                "palisade_scan_duration_seconds_count",
                "",
                h.count as f64,
            );
        }
        family(
            &mut out,
            "palisade_scan_failures_total",
            "Failed scans by reason",
            "counter",
        );
        if let Ok(f) = self.failures.lock() {
            for reason in FAILURE_REASONS {
                let n = f.get(reason).copied().unwrap_or(0);
                sample(
                    &mut out,
                    "palisade_scan_failures_total",
                    &labels(&[("reason", reason)]),
                    n as f64,
                );
            }
        }
        family(
            &mut out,
            "palisade_reconcile_errors_total",
            "Reports that could not be built, matched, read back or written",
            "counter",
        );
        sample(
            &mut out,
            "palisade_reconcile_errors_total",
            "",
            load(&self.reconcile_errors),
        );
        family(
            &mut out,
            "palisade_report_writes_total",
            "Reports written (writes that would change nothing are skipped)",
            "counter",
        );
        for (kind, n) in ["VulnerabilityReport", "SbomReport"]
            .iter()
            .zip(&self.writes)
        {
            sample(
                &mut out,
                "palisade_report_writes_total",
                &labels(&[("kind", kind)]),
                load(n),
            );
        }
        let modified = self.db_modified.load(Ordering::Relaxed);
        if modified > 0 {
            family(
                &mut out,
                "palisade_database_age_seconds",
                "Seconds since the advisory database file in use was last modified",
                "gauge",
            );
            sample(
                &mut out,
                "palisade_database_age_seconds",
                "",
                (unix_now() - modified as f64).max(0.0),
            );
        }
        process_metrics(&mut out, self.start_time);
        out
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Resident memory and CPU time from /proc, under the names Prometheus clients use.
fn process_metrics(out: &mut String, start_time: f64) {
    family(
        out,
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds",
        "gauge",
    );
    sample(out, "process_start_time_seconds", "", start_time.floor());
    #[cfg(target_os = "linux")]
    {
        // statm: sizes in pages; stat: utime and stime (fields 14 and 15) in clock ticks. Both
        // are Linux ABI; the tick and page sizes are the kernel's usual 100 Hz and 4 KiB.
        if let Ok(statm) = std::fs::read_to_string("/proc/self/statm")
            && let Some(rss) = statm
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        {
            family(
                out,
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                "gauge",
            );
            sample(
                out,
                "process_resident_memory_bytes",
                "",
                (rss * 4096) as f64,
            );
        }
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat")
            && let Some(after) = stat.rsplit_once(')').map(|(_, a)| a)
        {
            let fields: Vec<&str> = after.split_whitespace().collect();
            // After "pid (comm)", field 3 (state) is index 0, so utime (14) is index 11.
            let ticks = |i: usize| {
                fields
                    .get(i)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            family(
                out,
                "process_cpu_seconds_total",
                "Total user and system CPU time spent in seconds",
                "counter",
            );
            sample(
                out,
                "process_cpu_seconds_total",
                "",
                (ticks(11) + ticks(12)) as f64 / 100.0,
            );
        }
    }
}

fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &str, value: f64) {
    let _ = writeln!(out, "{name}{labels} {}", format_float(value));
}

fn format_float(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

const IMAGE_LABELS: [&str; 9] = [
    "namespace",
    "name",
    "resource_kind",
    "resource_name",
    "container_name",
    "image_registry",
    "image_repository",
    "image_tag",
    "image_digest",
];

fn image_labels(values: &[String; 9], extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = IMAGE_LABELS
        .iter()
        .copied()
        .zip(values.iter().map(String::as_str))
        .collect();
    pairs.extend_from_slice(extra);
    labels(&pairs)
}

fn labels(pairs: &[(&str, &str)]) -> String {
    let mut s = String::from("{");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(k);
        s.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\n' => s.push_str("\\n"),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s.push('}');
    s
}

/// Serves `GET /metrics` on `addr` until the process ends; returns the bound address.
pub async fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<SocketAddr> {
    crate::server::listen(addr, move |req: Request<Incoming>| {
        let r = handle(&req, &metrics);
        async move { r }
    })
    .await
}

fn handle(req: &Request<Incoming>, metrics: &Metrics) -> Response<Full<Bytes>> {
    let (status, body, ctype) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => (
            StatusCode::OK,
            metrics.render(),
            "text/plain; version=0.0.4; charset=utf-8",
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "not found: metrics are at /metrics\n".to_owned(),
            "text/plain; charset=utf-8",
        ),
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(ctype),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, counts: [u64; 5]) -> VulnSeries {
        VulnSeries {
            labels: [
                "apps".into(),
                name.into(),
                "ReplicaSet".into(),
                "web-1".into(),
                "app".into(),
                "127.0.0.1:5000".into(),
                "x/\"y\"".into(),
                "1".into(),
                "sha256:ab".into(),
            ],
            counts,
            os_family: "debian".into(),
            os_name: "12.0".into(),
            os_eosl: false,
            rows: Arc::new(vec![
                std::array::from_fn(|i| format!("v{i}")),
                std::array::from_fn(|i| format!("v{i}")),
            ]),
        }
    }

    #[test]
    fn five_series_per_report_in_the_anchors_label_order() {
        let m = Metrics::new(MetricsSettings {
            findings: true,
            vuln_id: true,
            image_info: true,
        });
        m.publish_vulnerabilities(vec![series("replicaset-web-1-app", [1, 0, 2, 0, 0])]);
        let text = m.render();
        let vulns: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("trivy_image_vulnerabilities{"))
            .collect();
        assert_eq!(vulns.len(), 5, "{text}");
        assert_eq!(
            vulns[0],
            "trivy_image_vulnerabilities{namespace=\"apps\",name=\"replicaset-web-1-app\",resource_kind=\"ReplicaSet\",resource_name=\"web-1\",container_name=\"app\",image_registry=\"127.0.0.1:5000\",image_repository=\"x/\\\"y\\\"\",image_tag=\"1\",image_digest=\"sha256:ab\",severity=\"Critical\"} 1"
        );
        assert!(vulns[4].contains("severity=\"Unknown\"} 0"));
        // Duplicate rows are emitted once.
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("trivy_vulnerability_id{"))
                .count(),
            1
        );
        assert!(
            text.contains(
                "image_os_family=\"debian\",image_os_name=\"12.0\",image_os_eosl=\"\"} 1"
            )
        );
    }

    #[test]
    fn failure_reasons_are_a_closed_list() {
        let m = Metrics::new(MetricsSettings::default());
        m.scan_failed("PullFailed");
        m.scan_failed("SomethingTheClusterInvented");
        m.observe_scan(Duration::from_secs(3));
        let text = m.render();
        assert!(text.contains("palisade_scan_failures_total{reason=\"PullFailed\"} 1"));
        assert!(text.contains("palisade_scan_failures_total{reason=\"Other\"} 1"));
        assert!(!text.contains("SomethingTheClusterInvented"));
        assert!(text.contains("palisade_scan_duration_seconds_bucket{le=\"2.5\"} 0"));
        assert!(text.contains("palisade_scan_duration_seconds_bucket{le=\"5\"} 1"));
        assert!(text.contains("palisade_scan_duration_seconds_count 1"));
        // Off by default: no vulnerability id or image info families.
        assert!(!text.contains("trivy_vulnerability_id"));
        assert!(!text.contains("trivy_image_info"));
    }
}
