//! `palisade operator`: flags and `OPERATOR_*` variables → `palisade_controller::Config`, then
//! the operator loop until SIGTERM or Ctrl-C.
//!
//! Variable names are the anchor's (spec §5.1) wherever the setting exists there, so a Trivy
//! Operator ConfigMap of `OPERATOR_*` values keeps working.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use clap::Args;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{Patch, PatchParams};
use kube_lease_manager::LeaseManagerBuilder;
use palisade_controller::Config;
use palisade_controller::metrics::{Metrics, MetricsSettings};
use palisade_controller::model::NamespaceFilter;
use palisade_operator::vulnerability::AdditionalFields;

#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// The operator's namespace: scan Jobs run here unless --scan-jobs-in-same-namespace.
    #[arg(long, env = "OPERATOR_NAMESPACE", default_value = "trivy-system")]
    pub namespace: String,
    /// Namespaces to scan, comma-separated globs; empty means all.
    #[arg(long, env = "OPERATOR_TARGET_NAMESPACES", default_value = "")]
    pub target_namespaces: String,
    /// Namespaces not to scan, comma-separated globs (e.g. `kube-*`).
    #[arg(long, env = "OPERATOR_EXCLUDE_NAMESPACES", default_value = "")]
    pub exclude_namespaces: String,
    /// Workloads carrying any of these label keys (comma-separated) are not scanned.
    #[arg(long, env = "OPERATOR_SKIP_RESOURCE_BY_LABELS", default_value = "")]
    pub skip_resource_by_labels: String,
    /// Most scan Jobs running at once (finished Jobs never count).
    #[arg(long, env = "OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT", default_value_t = 3)]
    pub concurrent_scan_jobs_limit: usize,
    /// Delay before retrying a failed scan; it doubles on each failure up to --scan-job-retry-max.
    #[arg(long, env = "OPERATOR_SCAN_JOB_RETRY_AFTER", default_value = "30s")]
    pub scan_job_retry_after: String,
    /// Cap of the retry delay.
    #[arg(long, env = "OPERATOR_SCAN_JOB_RETRY_MAX", default_value = "5m")]
    pub scan_job_retry_max: String,
    /// A scan Job running longer is stopped (activeDeadlineSeconds) and retried.
    #[arg(long, env = "OPERATOR_SCAN_JOB_TIMEOUT", default_value = "5m")]
    pub scan_job_timeout: String,
    /// Rescan images whose inventory is older than this (e.g. 24h); empty never rescans an
    /// unchanged image. Database updates are re-matched in place and need no rescan.
    #[arg(long, env = "OPERATOR_SCANNER_REPORT_TTL", default_value = "")]
    pub scanner_report_ttl: String,
    /// Run scan Jobs in the workload's namespace with its pull secrets mounted; the operator then
    /// reads no Secrets.
    #[arg(long, env = "OPERATOR_SCAN_JOBS_IN_SAME_NAMESPACE", default_value_t = false, action = clap::ArgAction::Set)]
    pub scan_jobs_in_same_namespace: bool,
    /// Copy workload and ServiceAccount pull secrets into scan Jobs (operator-namespace mode).
    #[arg(long, env = "OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub access_global_secrets_service_accounts: bool,
    /// The image scan Jobs run (Palisade's own image).
    #[arg(long, env = "OPERATOR_SCANNER_IMAGE")]
    pub scanner_image: Option<String>,
    /// The advisory database file (`palisade db build`).
    #[arg(long, env = "PALISADE_DB")]
    pub db: PathBuf,
    /// How often to check whether the database file was replaced.
    #[arg(long, env = "OPERATOR_DB_CHECK_INTERVAL", default_value = "60s")]
    pub db_check_interval: String,
    /// Where scan Jobs send their results.
    #[arg(long, env = "OPERATOR_RESULTS_BIND_ADDRESS", default_value = ":8081")]
    pub results_bind_address: String,
    /// The URL scan Jobs reach the result endpoint at (e.g. http://palisade.trivy.svc:8081)
    /// [default: http://<bound address>].
    #[arg(long, env = "OPERATOR_RESULTS_URL")]
    pub results_url: Option<String>,
    /// Where /healthz and /readyz listen; empty turns them off.
    #[arg(
        long,
        env = "OPERATOR_HEALTH_PROBE_BIND_ADDRESS",
        default_value = ":9090"
    )]
    pub health_probe_bind_address: String,
    /// Largest report body in bytes; larger reports keep their most severe findings.
    #[arg(long, env = "OPERATOR_MAX_REPORT_BYTES", default_value_t = palisade_operator::DEFAULT_MAX_REPORT_BYTES)]
    pub max_report_bytes: usize,
    /// Human-readable logs instead of JSON lines.
    #[arg(long, env = "OPERATOR_LOG_DEV_MODE", default_value_t = false, action = clap::ArgAction::Set)]
    pub log_dev_mode: bool,
    /// Where GET /metrics (Prometheus) listens; empty turns it off.
    #[arg(long, env = "OPERATOR_METRICS_BIND_ADDRESS", default_value = ":8080")]
    pub metrics_bind_address: String,
    /// Export the per-severity findings gauges (trivy_image_vulnerabilities, …).
    #[arg(long, env = "OPERATOR_METRICS_FINDINGS_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics_findings_enabled: bool,
    /// Export trivy_vulnerability_id: one series per finding (many series; off by default).
    #[arg(long, env = "OPERATOR_METRICS_VULN_ID_ENABLED", default_value_t = false, action = clap::ArgAction::Set)]
    pub metrics_vuln_id_enabled: bool,
    /// Export trivy_image_info: one series per VulnerabilityReport with the image's OS.
    #[arg(long, env = "OPERATOR_METRICS_IMAGE_INFO_ENABLED", default_value_t = false, action = clap::ArgAction::Set)]
    pub metrics_image_info_enabled: bool,
    /// Run only while holding a Lease, so that several replicas are safe (one works, the others
    /// wait to take over).
    #[arg(long, env = "OPERATOR_LEADER_ELECTION_ENABLED", default_value_t = false, action = clap::ArgAction::Set)]
    pub leader_election_enabled: bool,
    /// The Lease's name, in the operator's namespace.
    #[arg(
        long,
        env = "OPERATOR_LEADER_ELECTION_ID",
        default_value = "trivyoperator-lock"
    )]
    pub leader_election_id: String,
    /// This replica's name (the Lease holder identity, and the Pod labelled as leader so that
    /// scan results reach it) [default: the host name].
    #[arg(long, env = "POD_NAME")]
    pub pod_name: Option<String>,
    /// Create or update the CustomResourceDefinitions at start (Helm never upgrades CRDs).
    #[arg(long, env = "OPERATOR_INSTALL_CRDS", default_value_t = false, action = clap::ArgAction::Set)]
    pub install_crds: bool,
    /// Optional fields of VulnerabilityReport rows, comma-separated (Trivy Operator's
    /// trivy.additionalVulnerabilityReportFields): Target, Class, PackageType, PackagePath fill
    /// target, class, packageType, packagePath; Description, Links, CVSS are accepted and add
    /// nothing yet. Empty (the default) writes the anchor's default rows.
    #[arg(
        long,
        env = "OPERATOR_ADDITIONAL_VULNERABILITY_REPORT_FIELDS",
        default_value = ""
    )]
    pub additional_vulnerability_report_fields: String,
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn duration(flag: &str, s: &str) -> Result<Duration> {
    palisade_crds::duration::parse_go_duration(s.trim())
        .with_context(|| format!("{flag} {s:?} is not a duration like 30s, 5m or 1h30m"))
}

/// Go-style bind addresses: `:8080` means every interface.
fn bind(flag: &str, s: &str) -> Result<SocketAddr> {
    let full = if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_owned()
    };
    full.parse()
        .with_context(|| format!("{flag} {s:?} is not an address like :8081 or 127.0.0.1:8081"))
}

impl OperatorArgs {
    pub fn config(&self) -> Result<Config> {
        if self.namespace.is_empty() {
            bail!("OPERATOR_NAMESPACE (--namespace) must name the operator's namespace");
        }
        if self.concurrent_scan_jobs_limit == 0 {
            bail!("OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT must be at least 1");
        }
        let mut cfg = Config::new(&self.namespace, &self.db);
        cfg.namespaces = NamespaceFilter {
            targets: list(&self.target_namespaces),
            excluded: list(&self.exclude_namespaces),
        };
        cfg.skip_label_keys = list(&self.skip_resource_by_labels);
        cfg.concurrent_scan_jobs_limit = self.concurrent_scan_jobs_limit;
        cfg.scan_job_retry_after = duration("--scan-job-retry-after", &self.scan_job_retry_after)?;
        cfg.scan_job_retry_max = duration("--scan-job-retry-max", &self.scan_job_retry_max)?;
        cfg.scan_job_timeout = duration("--scan-job-timeout", &self.scan_job_timeout)?;
        if cfg.scan_job_timeout < Duration::from_secs(1) {
            bail!("--scan-job-timeout must be at least 1s");
        }
        cfg.report_ttl = if self.scanner_report_ttl.trim().is_empty() {
            None
        } else {
            Some(duration("--scanner-report-ttl", &self.scanner_report_ttl)?)
                .filter(|d| !d.is_zero())
        };
        cfg.scan_jobs_in_same_namespace = self.scan_jobs_in_same_namespace;
        cfg.access_global_secrets = self.access_global_secrets_service_accounts;
        if let Some(image) = &self.scanner_image {
            cfg.scanner_image = image.clone();
        }
        cfg.db_check_interval = duration("--db-check-interval", &self.db_check_interval)?
            .max(Duration::from_millis(100));
        cfg.results_bind = bind("--results-bind-address", &self.results_bind_address)?;
        cfg.results_url = self.results_url.clone().filter(|u| !u.is_empty());
        cfg.health_bind = if self.health_probe_bind_address.is_empty() {
            None
        } else {
            Some(bind(
                "--health-probe-bind-address",
                &self.health_probe_bind_address,
            )?)
        };
        cfg.max_report_bytes = self.max_report_bytes.max(4096);
        cfg.vulnerability_report_fields =
            AdditionalFields::parse(&self.additional_vulnerability_report_fields).0;
        if self.leader_election_enabled && self.leader_election_id.trim().is_empty() {
            bail!("OPERATOR_LEADER_ELECTION_ID must name the Lease when leader election is on");
        }
        Ok(cfg)
    }
}

/// glibc gives each thread that meets contention its own malloc arena (up to 8 per core), and
/// memory freed in one stays with it. The operator's bursts run on the runtime's worker and
/// blocking threads, so with default arenas its resident memory settles near twice its live
/// heap: measured with scripts/bench-operator.sh (5,000 Pods, 500 images), peak RSS 80 MiB with
/// the default and 52 MiB with two arenas (the start phase then took 11.3 s of CPU instead of
/// 8.5 s, a cost the reconcile's later savings more than paid back). Must run before any thread
/// starts. (musl, which the container image uses, has no per-thread arenas.)
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it is called before the runtime's threads
    // exist, and an unsupported parameter is reported through the return value, not UB.
    unsafe {
        if libc::mallopt(libc::M_ARENA_MAX, 2) != 1 {
            tracing::debug!("mallopt(M_ARENA_MAX) was refused; keeping glibc's default arenas");
        }
    }
}

/// Runs the operator until SIGTERM or Ctrl-C.
pub fn run(args: &OperatorArgs) -> Result<std::process::ExitCode> {
    let cfg = args.config()?;
    // Unknown names are ignored, as the anchor ignores them (so its values files keep working),
    // but said, since a misspelt name silently leaves a field out.
    let (_, unknown) = AdditionalFields::parse(&args.additional_vulnerability_report_fields);
    if !unknown.is_empty() {
        tracing::warn!(ignored = ?unknown, known = ?AdditionalFields::NAMES,
            "OPERATOR_ADDITIONAL_VULNERABILITY_REPORT_FIELDS names unknown fields");
    }
    limit_malloc_arenas();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let client = kube::Client::try_default()
            .await
            .context("connecting to the Kubernetes API (in-cluster config or KUBECONFIG)")?;
        tracing::info!(
            namespace = %cfg.namespace,
            limit = cfg.concurrent_scan_jobs_limit,
            retry_after_secs = cfg.scan_job_retry_after.as_secs(),
            timeout_secs = cfg.scan_job_timeout.as_secs(),
            same_namespace = cfg.scan_jobs_in_same_namespace,
            "palisade operator starting"
        );
        let metrics = Arc::new(Metrics::new(MetricsSettings {
            findings: args.metrics_findings_enabled,
            vuln_id: args.metrics_vuln_id_enabled,
            image_info: args.metrics_image_info_enabled,
        }));
        if !args.metrics_bind_address.trim().is_empty() {
            let addr = bind("--metrics-bind-address", &args.metrics_bind_address)?;
            let bound = palisade_controller::metrics::serve(addr, metrics.clone())
                .await
                .with_context(|| format!("cannot listen on {addr} for metrics"))?;
            tracing::info!(address = %bound, "metrics endpoint listening");
        }
        // Ready while standing by; once leading, ready again after the first sync.
        let ready = Arc::new(AtomicBool::new(!args.leader_election_enabled));
        if let Some(addr) = cfg.health_bind {
            let bound = palisade_controller::server::serve_health(addr, ready.clone())
                .await
                .with_context(|| format!("cannot listen on {addr} for health probes"))?;
            tracing::info!(address = %bound, "health endpoint listening");
        }
        if args.install_crds {
            install_crds(&client).await?;
        }
        if !args.leader_election_enabled {
            metrics.set_leader(true);
            palisade_controller::run(client, cfg, metrics, ready, shutdown_signal()).await?;
            return Ok(std::process::ExitCode::SUCCESS);
        }
        lead_then_run(args, client, cfg, metrics, ready).await
    })
}

/// Waits for the Lease, then runs the operator until shutdown or until the Lease is lost, which
/// ends the process (Kubernetes restarts it as a standby): two replicas must never both write.
async fn lead_then_run(
    args: &OperatorArgs,
    client: kube::Client,
    cfg: Config,
    metrics: Arc<Metrics>,
    ready: Arc<AtomicBool>,
) -> Result<std::process::ExitCode> {
    let identity = args.pod_name.clone().unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| format!("palisade-{}", std::process::id()))
    });
    let manager = LeaseManagerBuilder::new(client.clone(), args.leader_election_id.clone())
        .with_namespace(cfg.namespace.clone())
        .with_identity(identity.clone())
        .with_duration(15)
        .with_grace(5)
        .build()
        .await
        .with_context(|| {
            format!(
                "setting up leader election with Lease {}/{}",
                cfg.namespace, args.leader_election_id
            )
        })?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), &cfg.namespace);
    if args.pod_name.is_some() {
        label_leader(&pods, &identity, false).await;
    }
    let (mut leading, task) = manager.watch().await;
    tracing::info!(lease = %args.leader_election_id, identity = %identity,
        "waiting to become the leader");
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        if *leading.borrow_and_update() {
            break;
        }
        tokio::select! {
            changed = leading.changed() => {
                if changed.is_err() {
                    bail!("leader election stopped before this replica led");
                }
            }
            _ = &mut shutdown => return Ok(std::process::ExitCode::SUCCESS),
        }
    }
    tracing::info!(lease = %args.leader_election_id, identity = %identity, "became the leader");
    metrics.set_leader(true);
    ready.store(false, Ordering::Relaxed);
    if args.pod_name.is_some() {
        label_leader(&pods, &identity, true).await;
    }
    let lost = async {
        loop {
            if leading.changed().await.is_err() || !*leading.borrow_and_update() {
                return;
            }
        }
    };
    let stop = async {
        tokio::select! {
            _ = &mut shutdown => false,
            _ = lost => true,
        }
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let lost_lease = {
        let run = palisade_controller::run(client, cfg, metrics.clone(), ready, async {
            let _ = rx.await;
        });
        tokio::pin!(run);
        tokio::select! {
            r = &mut run => { r?; false }
            lost = stop => {
                let _ = tx.send(());
                let _ = run.await;
                lost
            }
        }
    };
    metrics.set_leader(false);
    if args.pod_name.is_some() {
        label_leader(&pods, &identity, false).await;
    }
    drop(leading);
    if let Ok(Ok(manager)) = task.await {
        let _ = manager.release().await;
    }
    if lost_lease {
        bail!(
            "lost the leader Lease {}; stopping so that only one replica works",
            args.leader_election_id
        );
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Labels this replica's Pod `palisade.dev/leader=true|false`; the chart's results Service
/// selects the leader with it, so scan Jobs deliver to the replica that waits for them.
async fn label_leader(pods: &Api<Pod>, name: &str, leader: bool) {
    let patch = serde_json::json!({
        "metadata": {"labels": {"palisade.dev/leader": if leader { "true" } else { "false" }}}
    });
    if let Err(e) = pods
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        tracing::warn!(pod = %name, error = %e,
            "cannot label this Pod as leader; scan results may reach a standby replica");
    }
}

/// Creates or updates every CRD by server-side apply, then waits until each is Established.
async fn install_crds(client: &kube::Client) -> Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let pp = PatchParams::apply("palisade-operator").force();
    let crds = palisade_crds::all_crds();
    for crd in &crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        api.patch(&name, &pp, &Patch::Apply(crd))
            .await
            .with_context(|| format!("installing CustomResourceDefinition {name} (--install-crds needs RBAC to create and patch CRDs)"))?;
    }
    for crd in &crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        let established = kube::runtime::wait::await_condition(
            api.clone(),
            &name,
            kube::runtime::wait::conditions::is_crd_established(),
        );
        tokio::time::timeout(Duration::from_secs(60), established)
            .await
            .with_context(|| {
                format!("CustomResourceDefinition {name} was not Established within 60s")
            })?
            .with_context(|| format!("waiting for CustomResourceDefinition {name}"))?;
    }
    tracing::info!(
        count = crds.len(),
        "custom resource definitions installed or updated"
    );
    Ok(())
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: OperatorArgs,
    }

    #[test]
    fn reference_settings() {
        let t = T::try_parse_from([
            "t",
            "--db",
            "/db",
            "--namespace",
            "trivy",
            "--scan-job-retry-after",
            "30s",
            "--scan-job-timeout",
            "5m",
            "--exclude-namespaces",
            "kube-*, trivy",
        ])
        .expect("parses");
        let c = t.a.config().expect("valid");
        assert_eq!(c.namespace, "trivy");
        assert_eq!(c.concurrent_scan_jobs_limit, 3);
        assert_eq!(c.scan_job_timeout, Duration::from_secs(300));
        assert_eq!(c.namespaces.excluded, ["kube-*", "trivy"]);
        assert_eq!(c.results_bind.port(), 8081);
        assert_eq!(c.report_ttl, None);
        assert_eq!(c.vulnerability_report_fields, AdditionalFields::default());
    }

    #[test]
    fn additional_vulnerability_report_fields() {
        let t = T::try_parse_from([
            "t",
            "--db",
            "/db",
            "--additional-vulnerability-report-fields",
            "Target, Class,PackageType,PackagePath,Bogus",
        ])
        .expect("parses");
        let f = t.a.config().expect("valid").vulnerability_report_fields;
        assert_eq!(
            f,
            AdditionalFields {
                target: true,
                class: true,
                package_type: true,
                package_path: true,
                ..Default::default()
            }
        );
    }

    #[test]
    fn bad_values_name_the_flag() {
        let t =
            T::try_parse_from(["t", "--db", "/db", "--scan-job-timeout", "soon"]).expect("parses");
        let e = t.a.config().expect_err("bad duration").to_string();
        assert!(
            e.contains("--scan-job-timeout") && e.contains("soon"),
            "{e}"
        );
        let t = T::try_parse_from(["t", "--db", "/db", "--results-bind-address", "nope"])
            .expect("parses");
        assert!(t.a.config().is_err());
    }
}
