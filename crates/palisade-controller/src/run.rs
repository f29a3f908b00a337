//! The operator loop: one task owns all state; watchers, the result endpoint and I/O tasks talk
//! to it through one channel.
//!
//! A single owner means no locks around the operator's state and a simple rule for every event:
//! update the compact mirrors, mark the state dirty, and let [`State::reconcile`] compare what the
//! cluster should have with what it has. Reconciling is a full pass over compact in-memory data
//! (milliseconds for thousands of Pods); the expensive parts — matching inventories and building
//! report bodies — are cached by content hash and redone only when their inputs change.
//!
//! This file holds the loop ([`run`]), the messages it receives ([`Msg`]), the state it owns and
//! how each message and timer tick changes that state. The rest of the loop's methods live in
//! modules beside it, one responsibility each:
//!
//! * `state`: the caches (mirrors of watched objects, per-image state, VulnerabilityReport part
//!   hashes and summaries) and their export to the metrics.
//! * `watch`: the watchers that turn API server events into [`Msg`]s.
//! * `reconcile`: the pass that compares the reports the cluster should have with those it has
//!   and decides writes, deletions, read-backs and scans.
//! * `scans`: the scan Job state machine: scheduling, creation, results, failures and retries.
//! * `readback`: inventories read back from SbomReports, so a restart rescans nothing.
//! * `writes`: the report-writing queue (bounded by write permits) and Events.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use palisade_advisory::Database;
use palisade_inventory::Inventory;
use tokio::sync::{Semaphore, mpsc};

use crate::ControllerError;
use crate::config::Config;
use crate::jobs::JobSettings;
use crate::metrics::Metrics;
use crate::model::{Desired, ImageKey, JobEntry, ObjKey, PodEntry, ReplicaSetEntry};
use crate::reports::{self, ReportKind};
use crate::server::{self, Delivery, Shared};

mod readback;
mod reconcile;
mod scans;
mod state;
mod watch;
mod writes;

use readback::LOAD_CONCURRENCY;
use scans::Scan;
use state::{CREATED_GRACE, ImageState, Mirror};
use watch::start_watchers;

/// Name of the field manager of every write.
pub const FIELD_MANAGER: &str = "palisade-operator";

/// One watch event, reduced to a key and a compact value (`None`: not of interest).
#[derive(Debug)]
pub enum Ev<V> {
    /// A relist starts.
    Init,
    /// An object of the relist.
    InitItem(ObjKey, Option<V>),
    /// The relist is complete.
    InitDone,
    /// Added or changed.
    Apply(ObjKey, Option<V>),
    /// Deleted.
    Delete(ObjKey),
}

/// What a report's metadata tells the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMeta {
    /// `trivy-operator.resource.kind`.
    pub owner_kind: Option<String>,
    /// The content hash it was written with.
    pub content_hash: Option<String>,
    /// The image it describes.
    pub image: Option<ImageKey>,
    /// SbomReports: SHA-256 of the BOM.
    pub bom_sha256: Option<String>,
    /// SbomReports: when the image was scanned.
    pub scanned_at: Option<String>,
    /// Findings or components were cut to fit.
    pub truncated: bool,
}

impl ReportMeta {
    fn from_meta(meta: &ObjectMeta) -> ReportMeta {
        let ann = |k: &str| meta.annotations.as_ref().and_then(|a| a.get(k)).cloned();
        ReportMeta {
            owner_kind: meta
                .labels
                .as_ref()
                .and_then(|l| l.get("trivy-operator.resource.kind"))
                .cloned(),
            content_hash: ann(reports::ANNOTATION_CONTENT_HASH),
            image: ann(reports::ANNOTATION_IMAGE_KEY).and_then(|s| ImageKey::parse(&s)),
            bom_sha256: ann(reports::ANNOTATION_BOM_SHA256),
            scanned_at: ann(reports::ANNOTATION_SCANNED_AT),
            truncated: ann(palisade_operator::ANNOTATION_TRUNCATED).is_some(),
        }
    }
}

/// A scan Job as its status says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    /// Neither complete nor failed.
    Active,
    /// Complete.
    Succeeded,
    /// Failed, with the condition's reason and message.
    Failed(String, String),
}

/// Messages to the operator loop.
#[derive(Debug)]
pub enum Msg {
    /// Pods.
    Pod(Ev<PodEntry>),
    /// Nodes (value: platform).
    Node(Ev<String>),
    /// ReplicaSets (metadata).
    ReplicaSet(Ev<ReplicaSetEntry>),
    /// Jobs (metadata).
    Job(Ev<JobEntry>),
    /// Palisade's scan Jobs.
    ScanJob(Ev<JobStatus>),
    /// Reports (metadata).
    Report(ReportKind, Ev<ReportMeta>),
    /// A Job delivered a result or a failure.
    Delivery(Delivery),
    /// Creating a scan Job finished.
    JobStarted {
        /// Image.
        image: ImageKey,
        /// The Job.
        job: ObjKey,
        /// Error text on failure.
        result: Result<(), String>,
    },
    /// A scan Job (and its Secret) is gone.
    JobDeleted(ObjKey),
    /// An inventory was read back from an SbomReport.
    InventoryLoaded {
        /// Image.
        image: ImageKey,
        /// The SbomReport read.
        from: ObjKey,
        /// The inventory, or why the report was unusable.
        result: Result<Arc<Inv>, String>,
    },
    /// A report write finished (its content hash on success).
    Written(ReportKind, ObjKey, Result<String, String>),
    /// A report deletion finished.
    ReportDeleted(ReportKind, ObjKey),
    /// A new database was opened (or failed to open).
    Database(Result<Arc<Database>, String>),
}

/// An image's inventory, as a scan delivered it or an SbomReport kept it.
///
/// Only the compressed BOM is kept: parsed inventories of hundreds of images would dominate the
/// operator's memory, and they are needed only to match (on a database change or a new report),
/// when parsing one again costs well under a millisecond.
#[derive(Debug)]
pub struct Inv {
    /// The BOM (CycloneDX JSON), zstd-compressed.
    pub bom_zstd: Vec<u8>,
    /// SHA-256 of the BOM as scanned.
    pub bom_sha256: String,
    /// When it was scanned (RFC 3339).
    pub scanned_at: String,
}

impl Inv {
    /// The packages and OS, parsed from the BOM.
    pub fn inventory(&self) -> Result<Inventory, String> {
        let bom = zstd::decode_all(&self.bom_zstd[..])
            .map_err(|e| format!("the cached BOM cannot be decompressed: {e}"))?;
        palisade_report::read_inventory(&bom)
            .map(|r| r.inventory)
            .map_err(|e| format!("the cached BOM is unusable: {e}"))
    }
}

struct Ctx {
    client: Client,
    cfg: Config,
    tx: mpsc::Sender<Msg>,
    shared: Arc<Shared>,
    writes: Semaphore,
    /// Bounds SbomReports read back at once: each is up to a report's size in flight.
    loads: Semaphore,
    settings: JobSettings,
    version: &'static str,
    metrics: Arc<Metrics>,
}

type DbSignature = (u64, u64, i64, i64);

fn db_modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn db_signature(path: &std::path::Path) -> Option<DbSignature> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
}

struct State {
    ctx: Arc<Ctx>,
    pods: Mirror<PodEntry>,
    nodes: Mirror<String>,
    replica_sets: Mirror<ReplicaSetEntry>,
    jobs: Mirror<JobEntry>,
    scan_jobs: Mirror<JobStatus>,
    vuln: Mirror<ReportMeta>,
    sbom: Mirror<ReportMeta>,
    db: Arc<Database>,
    db_gen: u64,
    db_sig: Option<DbSignature>,
    db_checking: bool,
    last_db_check: Instant,
    images: HashMap<ImageKey, ImageState>,
    seq: u64,
    writing: HashSet<(ReportKind, ObjKey)>,
    /// Reports this operator created whose watch event has not arrived yet: content hash, when.
    created: HashMap<(ReportKind, ObjKey), (String, Instant)>,
    write_retry: HashMap<(ReportKind, ObjKey), Instant>,
    deleting: HashSet<(ReportKind, ObjKey)>,
    orphans: HashSet<ObjKey>,
    orphans_swept: bool,
    desired: BTreeMap<ObjKey, Desired>,
    warned_invalid: HashSet<(ObjKey, String)>,
    dirty: bool,
    /// Pods, Nodes, ReplicaSets or Jobs changed since `desired` was derived.
    world_changed: bool,
    /// A pass ran since the metrics were last published.
    metrics_pending: bool,
    last_metrics: Instant,
    last_reconcile: Instant,
}

/// Runs the operator until `shutdown` resolves.
///
/// `ready` turns true once the first sync with the API server is complete (the caller serves it
/// on the health endpoint, which must answer before this replica leads); `metrics` is filled as
/// the operator works and served by the caller.
pub async fn run(
    client: Client,
    cfg: Config,
    metrics: Arc<Metrics>,
    ready: Arc<std::sync::atomic::AtomicBool>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ControllerError> {
    let db_path = cfg.db_path.clone();
    let db_sig = db_signature(&db_path);
    let db = tokio::task::spawn_blocking(move || Database::open(&db_path))
        .await
        .map_err(|e| ControllerError::Runtime(e.to_string()))?
        .map_err(|source| ControllerError::Database {
            path: cfg.db_path.clone(),
            source,
        })?;
    tracing::info!(path = %cfg.db_path.display(), "advisory database opened");
    if let Some(m) = db_modified(&cfg.db_path) {
        metrics.set_database_modified(m);
    }

    let (tx, mut rx) = mpsc::channel::<Msg>(4096);
    let shared = Arc::new(Shared {
        tickets: std::sync::Mutex::new(HashMap::new()),
        ready,
        tx: tx.clone(),
    });
    let bound = server::serve(cfg.results_bind, shared.clone())
        .await
        .map_err(|source| ControllerError::Bind {
            addr: cfg.results_bind,
            source,
        })?;
    tracing::info!(address = %bound, "scan result endpoint listening");
    let results_url = cfg
        .results_url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}"));
    let settings = JobSettings {
        scanner_image: cfg.scanner_image.clone(),
        results_url,
        timeout_secs: cfg.scan_job_timeout.as_secs().max(1) as i64,
        resources: cfg.scan_job_resources.clone(),
    };
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        writes: Semaphore::new(cfg.write_concurrency.max(1)),
        loads: Semaphore::new(LOAD_CONCURRENCY),
        cfg,
        tx: tx.clone(),
        shared,
        settings,
        version: env!("CARGO_PKG_VERSION"),
        metrics,
    });
    start_watchers(&ctx);

    let mut state = State {
        ctx: ctx.clone(),
        pods: Mirror::default(),
        nodes: Mirror::default(),
        replica_sets: Mirror::default(),
        jobs: Mirror::default(),
        scan_jobs: Mirror::default(),
        vuln: Mirror::default(),
        sbom: Mirror::default(),
        db: Arc::new(db),
        db_gen: 1,
        db_sig,
        db_checking: false,
        last_db_check: Instant::now(),
        images: HashMap::new(),
        seq: 0,
        writing: HashSet::new(),
        created: HashMap::new(),
        write_retry: HashMap::new(),
        deleting: HashSet::new(),
        orphans: HashSet::new(),
        orphans_swept: false,
        desired: BTreeMap::new(),
        warned_invalid: HashSet::new(),
        dirty: true,
        world_changed: true,
        metrics_pending: true,
        last_metrics: Instant::now(),
        last_reconcile: Instant::now(),
    };
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                state.handle(msg);
                // Drain what is already queued, so a burst of events costs one reconcile.
                for _ in 0..10_000 {
                    match rx.try_recv() {
                        Ok(m) => state.handle(m),
                        Err(_) => break,
                    }
                }
            }
            _ = tick.tick() => state.on_tick(),
            _ = &mut shutdown => break,
        }
        if state.dirty && state.last_reconcile.elapsed() >= Duration::from_millis(100) {
            state.reconcile();
        }
    }
    tracing::info!("operator stopping");
    Ok(())
}

impl State {
    fn handle(&mut self, msg: Msg) {
        let world = |changed: bool, this: &mut Self| {
            this.world_changed |= changed;
            changed
        };
        let changed = match msg {
            Msg::Pod(ev) => world(self.pods.apply(ev), self),
            Msg::Node(ev) => world(self.nodes.apply(ev), self),
            Msg::ReplicaSet(ev) => world(self.replica_sets.apply(ev), self),
            Msg::Job(ev) => world(self.jobs.apply(ev), self),
            Msg::ScanJob(ev) => {
                self.on_scan_job(ev);
                true
            }
            Msg::Report(kind, ev) => {
                // The watch now speaks for this report: it exists (Apply) or is gone (Delete).
                match &ev {
                    Ev::InitItem(k, _) | Ev::Apply(k, _) | Ev::Delete(k) => {
                        self.created.remove(&(kind, k.clone()));
                    }
                    Ev::Init | Ev::InitDone => {}
                }
                match kind {
                    ReportKind::Vulnerability => self.vuln.apply(ev),
                    ReportKind::Sbom => self.sbom.apply(ev),
                }
            }
            Msg::Delivery(d) => {
                self.on_delivery(d);
                true
            }
            Msg::JobStarted { image, job, result } => {
                self.on_job_started(image, job, result);
                true
            }
            Msg::JobDeleted(job) => {
                self.on_job_deleted(&job);
                true
            }
            Msg::InventoryLoaded {
                image,
                from,
                result,
            } => {
                self.on_inventory_loaded(image, from, result);
                true
            }
            Msg::Written(kind, key, result) => {
                self.writing.remove(&(kind, key.clone()));
                match result {
                    Ok(hash) => {
                        self.ctx.metrics.report_written(kind == ReportKind::Sbom);
                        let mirror = match kind {
                            ReportKind::Vulnerability => &mut self.vuln,
                            ReportKind::Sbom => &mut self.sbom,
                        };
                        if let Some(m) = mirror.items.get_mut(&key) {
                            m.content_hash = Some(hash);
                        } else {
                            self.created
                                .insert((kind, key.clone()), (hash, Instant::now()));
                        }
                        self.write_retry.remove(&(kind, key));
                    }
                    Err(e) => {
                        self.ctx.metrics.reconcile_error();
                        tracing::warn!(kind = kind.kind(), namespace = %key.0, name = %key.1,
                            error = %e, "writing a report failed; retrying later");
                        let delay = self
                            .ctx
                            .cfg
                            .scan_job_retry_after
                            .min(Duration::from_secs(30));
                        self.write_retry.insert((kind, key), Instant::now() + delay);
                    }
                }
                true
            }
            Msg::ReportDeleted(kind, key) => {
                self.deleting.remove(&(kind, key));
                true
            }
            Msg::Database(result) => {
                self.db_checking = false;
                match result {
                    Ok(db) => {
                        self.db = db;
                        self.db_gen += 1;
                        if let Some(m) = db_modified(&self.ctx.cfg.db_path) {
                            self.ctx.metrics.set_database_modified(m);
                        }
                        let n = self.images.values().filter(|s| s.inv.is_some()).count();
                        tracing::info!(path = %self.ctx.cfg.db_path.display(), inventories = n,
                            "advisory database changed; re-matching every known inventory");
                    }
                    Err(e) => tracing::error!(path = %self.ctx.cfg.db_path.display(), error = %e,
                        "the new advisory database cannot be opened; keeping the previous one"),
                }
                true
            }
        };
        if changed {
            self.dirty = true;
        }
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        self.publish_metrics(now);
        // Creates whose watch event never came (the namespace went, say) stop counting anyway.
        self.created
            .retain(|_, (_, at)| now.duration_since(*at) < CREATED_GRACE);
        // Scan timers: retries due, results overdue.
        let timeout = self.ctx.cfg.scan_job_timeout + Duration::from_secs(60);
        let mut overdue = Vec::new();
        for (img, st) in &self.images {
            match &st.scan {
                Some(Scan::Queued { not_before }) if *not_before <= now => self.dirty = true,
                Some(Scan::Failed { retry_at, .. }) if *retry_at <= now => self.dirty = true,
                Some(Scan::Running { since, done_at, .. }) => {
                    if done_at.is_some_and(|d| now.duration_since(d) > Duration::from_secs(10)) {
                        overdue.push((
                            img.clone(),
                            "NoResult",
                            "the scan Job completed without sending a result".to_owned(),
                        ));
                    } else if now.duration_since(*since) > timeout {
                        overdue.push((
                            img.clone(),
                            "Timeout",
                            format!("the scan Job sent nothing within {}s", timeout.as_secs()),
                        ));
                    }
                }
                _ => {}
            }
        }
        for (img, reason, message) in overdue {
            self.fail(&img, reason, &message);
            self.stop_failed_job(&img, true);
        }
        if self.write_retry.values().any(|t| *t <= now) {
            self.dirty = true;
        }
        if !self.db_checking && self.last_db_check.elapsed() >= self.ctx.cfg.db_check_interval {
            self.last_db_check = Instant::now();
            let sig = db_signature(&self.ctx.cfg.db_path);
            if sig.is_some() && sig != self.db_sig {
                self.db_sig = sig;
                self.db_checking = true;
                let path = self.ctx.cfg.db_path.clone();
                let tx = self.ctx.tx.clone();
                tokio::spawn(async move {
                    let opened = tokio::task::spawn_blocking(move || Database::open(&path))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|r| r.map(Arc::new).map_err(|e| e.to_string()));
                    let _ = tx.send(Msg::Database(opened)).await;
                });
            }
        }
    }
}
