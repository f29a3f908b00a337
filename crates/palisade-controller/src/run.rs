//! The operator loop: one task owns all state; watchers, the result endpoint and I/O tasks talk
//! to it through one channel.
//!
//! A single owner means no locks around the operator's state and a simple rule for every event:
//! update the compact mirrors, mark the state dirty, and let [`State::reconcile`] compare what the
//! cluster should have with what it has. Reconciling is a full pass over compact in-memory data
//! (milliseconds for thousands of Pods); the expensive parts — matching inventories and building
//! report bodies — are cached by content hash and redone only when their inputs change.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Node, ObjectReference, Pod, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, PartialObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, watcher};
use kube::{Client, Resource};
use palisade_advisory::Database;
use palisade_crds::{SbomReport, VulnerabilityReport};
use palisade_inventory::Inventory;
use palisade_operator::{Owner, Truncation};
use tokio::sync::{Semaphore, mpsc};

use crate::ControllerError;
use crate::config::Config;
use crate::jobs::{self, JobPlan, JobSettings, SCAN_JOB_SELECTOR};
use crate::metrics::{self, Metrics};
use crate::model::{self, Desired, ImageKey, JobEntry, ObjKey, PodEntry, ReplicaSetEntry, World};
use crate::reports::{self, ReportKind};
use crate::server::{self, Delivery, Shared, Ticket};

/// Name of the field manager of every write.
pub const FIELD_MANAGER: &str = "palisade-operator";

/// SbomReports read back at once after a start. Reading is I/O-bound and each read holds up to a
/// report's size; a few in flight keep the API server busy without a memory burst.
const LOAD_CONCURRENCY: usize = 4;

/// How long a report the operator created counts as present before the watch shows it: without
/// this, a pass that runs between the write's reply and its watch event writes it again.
const CREATED_GRACE: Duration = Duration::from_secs(30);

/// A VulnerabilityReport part as last computed: enough to decide whether the report must be
/// written, and to export its metrics, without keeping the part itself.
struct VulnCache {
    /// The database generation it was matched with.
    db_gen: u64,
    hash: String,
    truncation: Option<Truncation>,
    summary: Arc<ReportSummary>,
}

/// What the metrics need of a VulnerabilityReport.
#[derive(Debug, Default)]
struct ReportSummary {
    counts: [u64; 5],
    os_family: String,
    os_name: String,
    os_eosl: bool,
    rows: Arc<Vec<metrics::VulnRow>>,
}

impl ReportSummary {
    /// From a built `report` (`rows`: keep the finding rows for `trivy_vulnerability_id`).
    fn of(report: &serde_json::Value, rows: bool) -> ReportSummary {
        let count = |k: &str| report["summary"][k].as_u64().unwrap_or(0);
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let rows = if rows {
            report["vulnerabilities"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| {
                            [
                                "installedVersion",
                                "fixedVersion",
                                "publishedDate",
                                "lastModifiedDate",
                                "resource",
                                "severity",
                                "packageType",
                                "pkgPath",
                                "target",
                                "class",
                                "vulnerabilityID",
                                "title",
                                "score",
                            ]
                            .map(|k| text(&v[k]))
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        ReportSummary {
            counts: [
                count("criticalCount"),
                count("highCount"),
                count("mediumCount"),
                count("lowCount"),
                count("unknownCount"),
            ],
            os_family: text(&report["os"]["family"]),
            os_name: text(&report["os"]["name"]),
            os_eosl: report["os"]["eosl"].as_bool().unwrap_or(false),
            rows: Arc::new(rows),
        }
    }
}

/// Report writes in flight (or waiting for a permit) after which a reconcile pass stops taking
/// on more images; each pending write holds its image's inventory and findings.
const MAX_PENDING_WRITES: usize = 64;

/// One image's parsed inventory and findings during a reconcile pass, computed on first use.
#[derive(Default)]
struct ImageWork {
    matched: Option<Result<MatchedImage, String>>,
}

type MatchedImage = (Arc<Inventory>, Arc<Vec<palisade_match::Finding>>);

impl ImageWork {
    fn matched(&mut self, db: &Database, inv: &Inv) -> Result<MatchedImage, String> {
        self.matched
            .get_or_insert_with(|| {
                let inventory = inv.inventory()?;
                let findings =
                    palisade_match::match_inventory(db, &inventory).map_err(|e| e.to_string())?;
                Ok((Arc::new(inventory), Arc::new(findings)))
            })
            .clone()
    }
}

/// A report body built by a write task once it holds a write permit (so at most
/// `write_concurrency` bodies exist at once), with its content hash and, when it was cut to fit,
/// the Event to record.
struct Built {
    body: Vec<u8>,
    hash: String,
    truncated: Option<(Owner, String)>,
}

impl Built {
    /// The serialized object (stamped now) for a built `part`.
    fn new(
        kind: ReportKind,
        d: &Desired,
        img: &ImageKey,
        part: reports::Part,
        extra: Vec<(String, String)>,
        truncated: Option<(Owner, String)>,
    ) -> Result<Built, String> {
        let (object, hash) = reports::report_object(kind, d, img, part, extra, &now_time());
        let body = serde_json::to_vec(&object).map_err(|e| e.to_string())?;
        Ok(Built {
            body,
            hash,
            truncated,
        })
    }
}

type BuildFn = Box<dyn FnOnce() -> Result<Built, String> + Send>;

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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Scan {
    Queued {
        not_before: Instant,
    },
    Starting,
    Running {
        job: ObjKey,
        since: Instant,
        done_at: Option<Instant>,
    },
    Stopping {
        job: ObjKey,
        retry_at: Option<Instant>,
    },
    /// The scan failed; its Job is kept (so `kubectl logs job/…` shows why) until the retry,
    /// which deletes it and starts a new one. It holds no slot once finished.
    Failed {
        job: ObjKey,
        retry_at: Instant,
        finished: bool,
        since: Instant,
    },
}

impl Scan {
    fn holds_slot(&self) -> bool {
        match self {
            Scan::Queued { .. } => false,
            Scan::Failed { finished, .. } => !finished,
            _ => true,
        }
    }

    fn job(&self) -> Option<&ObjKey> {
        match self {
            Scan::Running { job, .. } | Scan::Stopping { job, .. } | Scan::Failed { job, .. } => {
                Some(job)
            }
            _ => None,
        }
    }
}

struct ImageState {
    inv: Option<Arc<Inv>>,
    loading: bool,
    load_failed: HashSet<ObjKey>,
    scan: Option<Scan>,
    attempts: u32,
    last_used: Instant,
    seq: u64,
    /// identity → the VulnerabilityReport part last computed for it.
    vuln_hashes: HashMap<palisade_operator::ImageIdentity, VulnCache>,
}

/// A local copy of one watched resource, with relist handling.
struct Mirror<V> {
    items: HashMap<ObjKey, V>,
    relist: Option<HashSet<ObjKey>>,
    synced: bool,
}

impl<V> Default for Mirror<V> {
    fn default() -> Self {
        Mirror {
            items: HashMap::new(),
            relist: None,
            synced: false,
        }
    }
}

impl<V: PartialEq> Mirror<V> {
    /// Applies an event; returns whether anything changed.
    fn apply(&mut self, ev: Ev<V>) -> bool {
        match ev {
            Ev::Init => {
                self.relist = Some(HashSet::new());
                false
            }
            Ev::InitItem(k, v) => {
                if let Some(seen) = &mut self.relist {
                    seen.insert(k.clone());
                }
                self.set(k, v)
            }
            Ev::InitDone => {
                let mut changed = !self.synced;
                if let Some(seen) = self.relist.take() {
                    let before = self.items.len();
                    self.items.retain(|k, _| seen.contains(k));
                    changed |= before != self.items.len();
                }
                self.synced = true;
                changed
            }
            Ev::Apply(k, v) => self.set(k, v),
            Ev::Delete(k) => self.items.remove(&k).is_some(),
        }
    }

    fn set(&mut self, k: ObjKey, v: Option<V>) -> bool {
        match v {
            Some(v) => {
                if self.items.get(&k) == Some(&v) {
                    false
                } else {
                    self.items.insert(k, v);
                    true
                }
            }
            None => self.items.remove(&k).is_some(),
        }
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

fn key_of(meta: &ObjectMeta) -> ObjKey {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// Spawns one watcher, converting its events with `convert` and wrapping them with `wrap`.
fn spawn_watch<K, S, V>(
    ctx: &Arc<Ctx>,
    what: &'static str,
    stream: S,
    convert: impl Fn(&K) -> Option<V> + Send + 'static,
    meta: impl Fn(&K) -> &ObjectMeta + Send + 'static,
    wrap: impl Fn(Ev<V>) -> Msg + Send + 'static,
) where
    S: futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
    K: Send + 'static,
    V: Send + 'static,
{
    let tx = ctx.tx.clone();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream.default_backoff());
        while let Some(ev) = stream.next().await {
            let ev = match ev {
                Ok(watcher::Event::Init) => Ev::Init,
                Ok(watcher::Event::InitApply(o)) => Ev::InitItem(key_of(meta(&o)), convert(&o)),
                Ok(watcher::Event::InitDone) => Ev::InitDone,
                Ok(watcher::Event::Apply(o)) => Ev::Apply(key_of(meta(&o)), convert(&o)),
                Ok(watcher::Event::Delete(o)) => Ev::Delete(key_of(meta(&o))),
                Err(e) => {
                    tracing::warn!(resource = what, error = %e, "watch failed; retrying");
                    continue;
                }
            };
            if tx.send(wrap(ev)).await.is_err() {
                break;
            }
        }
    });
}

fn start_watchers(ctx: &Arc<Ctx>) {
    let client = ctx.client.clone();
    let cfg = &ctx.cfg;
    let wc = watcher::Config::default();
    let skip = cfg.skip_label_keys.clone();
    let filter = cfg.namespaces.clone();
    spawn_watch(
        ctx,
        "pods",
        watcher(Api::<Pod>::all(client.clone()), wc.clone()),
        move |p: &Pod| {
            let ns = p.metadata.namespace.as_deref().unwrap_or_default();
            if !filter.allows(ns) {
                return None;
            }
            PodEntry::from_pod(p, &skip)
        },
        |p: &Pod| &p.metadata,
        Msg::Pod,
    );
    spawn_watch(
        ctx,
        "nodes",
        watcher(Api::<Node>::all(client.clone()), wc.clone()),
        model::node_platform,
        |n: &Node| &n.metadata,
        Msg::Node,
    );
    spawn_watch(
        ctx,
        "replicasets",
        watcher(
            Api::<PartialObjectMeta<ReplicaSet>>::all(client.clone()),
            wc.clone(),
        ),
        |m: &PartialObjectMeta<ReplicaSet>| Some(ReplicaSetEntry::from_meta(&m.metadata)),
        |m: &PartialObjectMeta<ReplicaSet>| &m.metadata,
        Msg::ReplicaSet,
    );
    spawn_watch(
        ctx,
        "jobs",
        watcher(
            Api::<PartialObjectMeta<Job>>::all(client.clone()),
            wc.clone(),
        ),
        |m: &PartialObjectMeta<Job>| Some(JobEntry::from_meta(&m.metadata)),
        |m: &PartialObjectMeta<Job>| &m.metadata,
        Msg::Job,
    );
    let scan_jobs: Api<Job> = if cfg.scan_jobs_in_same_namespace {
        Api::all(client.clone())
    } else {
        Api::namespaced(client.clone(), &cfg.namespace)
    };
    spawn_watch(
        ctx,
        "scan jobs",
        watcher(scan_jobs, wc.clone().labels(SCAN_JOB_SELECTOR)),
        |j: &Job| Some(job_status(j)),
        |j: &Job| &j.metadata,
        Msg::ScanJob,
    );
    let managed = wc.labels("app.kubernetes.io/managed-by=trivy-operator");
    spawn_watch(
        ctx,
        "vulnerabilityreports",
        watcher(
            Api::<PartialObjectMeta<VulnerabilityReport>>::all(client.clone()),
            managed.clone(),
        ),
        |m: &PartialObjectMeta<VulnerabilityReport>| Some(ReportMeta::from_meta(&m.metadata)),
        |m: &PartialObjectMeta<VulnerabilityReport>| &m.metadata,
        |e| Msg::Report(ReportKind::Vulnerability, e),
    );
    spawn_watch(
        ctx,
        "sbomreports",
        watcher(Api::<PartialObjectMeta<SbomReport>>::all(client), managed),
        |m: &PartialObjectMeta<SbomReport>| Some(ReportMeta::from_meta(&m.metadata)),
        |m: &PartialObjectMeta<SbomReport>| &m.metadata,
        |e| Msg::Report(ReportKind::Sbom, e),
    );
}

fn job_status(job: &Job) -> JobStatus {
    let conditions = job
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    for c in conditions {
        if c.status != "True" {
            continue;
        }
        match c.type_.as_str() {
            "Failed" | "FailureTarget" => {
                return JobStatus::Failed(
                    c.reason.clone().unwrap_or_default(),
                    c.message.clone().unwrap_or_default(),
                );
            }
            "Complete" | "SuccessCriteriaMet" => return JobStatus::Succeeded,
            _ => {}
        }
    }
    JobStatus::Active
}

/// Today's date (UTC), `YYYY-MM-DD`, for end-of-life judgements.
fn today() -> String {
    Timestamp::now().strftime("%Y-%m-%d").to_string()
}

fn now_time() -> Time {
    Time(Timestamp::now())
}

impl State {
    fn synced(&self) -> bool {
        self.pods.synced
            && self.nodes.synced
            && self.replica_sets.synced
            && self.jobs.synced
            && self.scan_jobs.synced
            && self.vuln.synced
            && self.sbom.synced
    }

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

    fn on_scan_job(&mut self, ev: Ev<JobStatus>) {
        let first_sync = matches!(ev, Ev::InitDone) && !self.scan_jobs.synced;
        let event = match &ev {
            Ev::InitItem(k, Some(s)) | Ev::Apply(k, Some(s)) => Some((k.clone(), Some(s.clone()))),
            Ev::Delete(k) => Some((k.clone(), None)),
            _ => None,
        };
        self.scan_jobs.apply(ev);
        if first_sync {
            // Jobs of a previous operator process: their tokens died with it, so their results
            // can never be accepted. Delete them and scan again what still needs it.
            let leftovers: Vec<ObjKey> = self.scan_jobs.items.keys().cloned().collect();
            for job in leftovers {
                tracing::info!(namespace = %job.0, name = %job.1,
                    "deleting a scan Job left by a previous operator process");
                self.orphans.insert(job.clone());
                spawn_delete_job(&self.ctx, job);
            }
            self.orphans_swept = true;
        }
        let Some((job, status)) = event else { return };
        let Some(img) = self.image_of_job(&job) else {
            if status.is_none() {
                self.orphans.remove(&job);
            }
            return;
        };
        let failed_already = matches!(
            self.images.get(&img).and_then(|s| s.scan.as_ref()),
            Some(Scan::Failed { .. })
        );
        if failed_already {
            match status {
                Some(JobStatus::Failed(..)) | Some(JobStatus::Succeeded) => {
                    if let Some(st) = self.images.get_mut(&img)
                        && let Some(Scan::Failed { finished, .. }) = &mut st.scan
                    {
                        *finished = true;
                    }
                }
                Some(JobStatus::Active) => {}
                None => self.on_job_deleted(&job),
            }
            return;
        }
        let running = matches!(
            self.images.get(&img).and_then(|s| s.scan.as_ref()),
            Some(Scan::Running { .. })
        );
        match status {
            Some(JobStatus::Failed(..)) if !running => {}
            Some(JobStatus::Failed(reason, message)) => {
                let reason = if reason.is_empty() {
                    "JobFailed".to_owned()
                } else {
                    reason
                };
                let message = if reason == "DeadlineExceeded" {
                    format!(
                        "the scan Job ran longer than scanJobTimeout ({}s) and was stopped",
                        self.ctx.cfg.scan_job_timeout.as_secs()
                    )
                } else {
                    format!("the scan Job failed: {message}")
                };
                self.fail(&img, &reason, &message);
            }
            Some(JobStatus::Succeeded) => {
                if let Some(st) = self.images.get_mut(&img)
                    && let Some(Scan::Running { done_at, .. }) = &mut st.scan
                {
                    done_at.get_or_insert_with(Instant::now);
                }
            }
            Some(JobStatus::Active) => {}
            None => {
                if running {
                    self.fail(
                        &img,
                        "JobDeleted",
                        "the scan Job was deleted before it sent a result",
                    );
                }
                self.on_job_deleted(&job);
            }
        }
    }

    fn image_of_job(&self, job: &ObjKey) -> Option<ImageKey> {
        self.images.iter().find_map(|(k, st)| {
            (st.scan.as_ref().and_then(Scan::job) == Some(job)).then(|| k.clone())
        })
    }

    fn on_job_deleted(&mut self, job: &ObjKey) {
        self.orphans.remove(job);
        for st in self.images.values_mut() {
            if let Some(Scan::Failed {
                job: j, retry_at, ..
            }) = &st.scan
                && j == job
            {
                st.scan = Some(Scan::Queued {
                    not_before: *retry_at,
                });
            }
            if let Some(Scan::Stopping { job: j, retry_at }) = &st.scan
                && j == job
            {
                st.scan = retry_at.map(|t| Scan::Queued { not_before: t });
            }
        }
    }

    fn on_delivery(&mut self, d: Delivery) {
        match d {
            Delivery::Result { job, image, output } => {
                let Some(st) = self.images.get_mut(&image) else {
                    return;
                };
                let Some(Scan::Running {
                    job: running,
                    since,
                    ..
                }) = &st.scan
                else {
                    return;
                };
                if running.1 != job {
                    return;
                }
                self.ctx.metrics.observe_scan(since.elapsed());
                let running = running.clone();
                tracing::info!(image = %image, packages = output.inventory.packages.len(),
                    bom_bytes = output.bom_zstd.len(), "scan result received");
                st.inv = Some(Arc::new(Inv {
                    bom_zstd: output.bom_zstd,
                    bom_sha256: output.bom_sha256,
                    scanned_at: Timestamp::now().to_string(),
                }));
                st.vuln_hashes.clear();
                st.attempts = 0;
                st.scan = Some(Scan::Stopping {
                    job: running.clone(),
                    retry_at: None,
                });
                spawn_delete_job(&self.ctx, running);
            }
            Delivery::Failure {
                job,
                image,
                failure,
            } => {
                let ours = matches!(
                    self.images.get(&image).and_then(|s| s.scan.as_ref()),
                    Some(Scan::Running { job: j, .. }) if j.1 == job
                );
                if ours {
                    self.fail(&image, failure.reason.as_str(), &failure.message);
                }
            }
        }
    }

    fn on_job_started(&mut self, image: ImageKey, job: ObjKey, result: Result<(), String>) {
        let Some(st) = self.images.get_mut(&image) else {
            return;
        };
        if st.scan != Some(Scan::Starting) {
            return;
        }
        match result {
            Ok(()) => {
                tracing::info!(image = %image, namespace = %job.0, job = %job.1, "scan Job started");
                st.scan = Some(Scan::Running {
                    job,
                    since: Instant::now(),
                    done_at: None,
                });
            }
            Err(e) => {
                self.ctx.shared.revoke(&job.1);
                st.scan = None;
                self.fail(
                    &image,
                    "JobCreateFailed",
                    &format!("cannot create the scan Job: {e}"),
                );
            }
        }
    }

    /// Deletes the Job of a failed scan: when its retry is due (`retry`), or at once when the scan
    /// is abandoned. Its replacement starts once it is gone (same name).
    fn stop_failed_job(&mut self, image: &ImageKey, retry: bool) {
        let Some(st) = self.images.get_mut(image) else {
            return;
        };
        if let Some(Scan::Failed { job, retry_at, .. }) = &st.scan {
            let job = job.clone();
            let retry_at = retry.then_some(*retry_at);
            st.scan = Some(Scan::Stopping {
                job: job.clone(),
                retry_at,
            });
            spawn_delete_job(&self.ctx, job);
        }
    }

    /// A scan failed: log, tell every workload running the image, keep the finished Job for its
    /// log, and retry after the backoff.
    fn fail(&mut self, image: &ImageKey, reason: &str, message: &str) {
        self.ctx.metrics.scan_failed(reason);
        let cfg = &self.ctx.cfg;
        let Some(st) = self.images.get_mut(image) else {
            return;
        };
        st.attempts += 1;
        let delay = cfg.retry_delay(st.attempts);
        let retry_at = Instant::now() + delay;
        let job = st.scan.as_ref().and_then(Scan::job).cloned();
        tracing::warn!(image = %image, reason, attempt = st.attempts, retry_in_secs = delay.as_secs(),
            error = message, "scan failed");
        match job {
            Some(job) => {
                self.ctx.shared.revoke(&job.1);
                let finished = matches!(
                    self.scan_jobs.items.get(&job),
                    Some(JobStatus::Failed(..)) | Some(JobStatus::Succeeded)
                );
                st.scan = Some(Scan::Failed {
                    job,
                    retry_at,
                    finished,
                    since: Instant::now(),
                });
            }
            None => {
                st.scan = Some(Scan::Queued {
                    not_before: retry_at,
                })
            }
        }
        let attempts = st.attempts;
        let owners: BTreeSet<(String, String, String, String, String)> = self
            .desired
            .values()
            .filter(|d| d.image.as_ref() == Some(image))
            .map(|d| {
                let o = &d.owner;
                (
                    o.namespace.clone(),
                    o.kind.clone(),
                    o.name.clone(),
                    o.uid.clone(),
                    o.api_version.clone(),
                )
            })
            .take(50)
            .collect();
        let reference = self
            .desired
            .values()
            .find(|d| d.image.as_ref() == Some(image))
            .map(|d| {
                jobs::pull_reference(&d.identity.registry, &d.identity.repository, &image.digest)
            })
            .unwrap_or_else(|| image.digest.clone());
        let text = format!(
            "Scan of {reference} ({}) failed (attempt {attempts}, {reason}): {message}; retrying in {}s",
            image.platform,
            delay.as_secs()
        );
        for (namespace, kind, name, uid, api_version) in owners {
            let owner = Owner {
                api_version,
                kind,
                namespace,
                name,
                uid,
            };
            self.event(&owner, "Warning", "ScanFailed", &text);
        }
        self.dirty = true;
    }

    fn on_inventory_loaded(
        &mut self,
        image: ImageKey,
        from: ObjKey,
        result: Result<Arc<Inv>, String>,
    ) {
        let Some(st) = self.images.get_mut(&image) else {
            return;
        };
        st.loading = false;
        match result {
            Ok(inv) => {
                if st.inv.is_none() {
                    tracing::info!(image = %image, report = %from.1, "inventory read back from an SbomReport");
                    st.inv = Some(inv);
                    st.vuln_hashes.clear();
                    if st.scan.as_ref().is_some_and(|s| !s.holds_slot()) {
                        st.scan = None;
                    }
                }
            }
            Err(e) => {
                self.ctx.metrics.reconcile_error();
                tracing::warn!(namespace = %from.0, name = %from.1, error = %e,
                    "an SbomReport cannot be read back; the image will be scanned again");
                st.load_failed.insert(from.clone());
                if let Some(m) = self.sbom.items.get_mut(&from) {
                    // Make sure the malformed report gets rewritten once the scan is in.
                    m.content_hash = None;
                }
                if let Some(d) = self.desired.get(&from) {
                    let owner = d.owner.clone();
                    self.event(
                        &owner,
                        "Warning",
                        "MalformedReport",
                        &format!(
                            "SbomReport {} cannot be read back ({e}); scanning the image again",
                            from.1
                        ),
                    );
                }
            }
        }
    }

    fn reconcile(&mut self) {
        self.last_reconcile = Instant::now();
        self.dirty = false;
        if !self.synced() {
            return;
        }
        self.ctx.shared.ready.store(true, Ordering::Relaxed);
        if self.world_changed {
            self.world_changed = false;
            self.derive_desired();
        }
        let now = Instant::now();

        // Which images are needed, and the reports each needs written.
        let mut needed: BTreeMap<ImageKey, Vec<ObjKey>> = BTreeMap::new();
        for (key, d) in &self.desired {
            if let Some(img) = &d.image {
                needed.entry(img.clone()).or_default().push(key.clone());
            }
        }
        self.reconcile_images(&needed, now);
        self.metrics_pending = true;
        self.publish_metrics(now);
    }

    /// What reports the cluster should have, from the Pods and their owners. Runs only when those
    /// changed: passes triggered by report writes alone reuse the result.
    fn derive_desired(&mut self) {
        let world = World {
            pods: &self.pods.items,
            replica_sets: &self.replica_sets.items,
            jobs: &self.jobs.items,
            nodes: &self
                .nodes
                .items
                .iter()
                .map(|((_, n), p)| (n.clone(), p.clone()))
                .collect(),
            default_platform: &self.ctx.cfg.default_platform,
        };
        let (desired, skipped) = model::derive(&world);
        for model::Skipped::InvalidImage {
            pod,
            container,
            reason,
        } in skipped
        {
            if self.warned_invalid.insert((pod.clone(), container.clone())) {
                tracing::warn!(namespace = %pod.0, pod = %pod.1, container = %container,
                    error = %reason, "container image cannot be scanned");
            }
        }
        self.desired = desired;
    }

    /// Publishes the metrics snapshot, at most once a second (scrapes come every 30 s or so; a
    /// pass can run ten times a second during a burst of writes).
    fn publish_metrics(&mut self, now: Instant) {
        if !self.metrics_pending || now.duration_since(self.last_metrics) < Duration::from_secs(1) {
            return;
        }
        self.metrics_pending = false;
        self.last_metrics = now;
        let metrics = self.ctx.metrics.clone();
        // Images that need a scan and have no Job holding a slot (queued, or waiting to retry).
        let queued = self
            .images
            .values()
            .filter(|st| {
                st.inv.is_none() && !st.loading && !st.scan.as_ref().is_some_and(Scan::holds_slot)
            })
            .count();
        let running = self
            .images
            .values()
            .filter(|st| st.scan.as_ref().is_some_and(Scan::holds_slot))
            .count();
        let inventories = self.images.values().filter(|st| st.inv.is_some()).count();
        metrics.set_scan_state(queued, running, inventories);
        if !metrics.settings().findings
            && !metrics.settings().image_info
            && !metrics.settings().vuln_id
        {
            return;
        }
        // One entry per VulnerabilityReport that exists, in name order.
        let mut series = Vec::new();
        for (key, d) in &self.desired {
            let Some(img) = &d.image else { continue };
            if self
                .current_hash(ReportKind::Vulnerability, key, now)
                .is_none()
            {
                continue;
            }
            let Some(c) = self
                .images
                .get(img)
                .and_then(|st| st.vuln_hashes.get(&d.identity))
            else {
                continue;
            };
            let meta = palisade_operator::report_metadata_for(
                &d.owner,
                &d.container,
                &reports::spec_hash(img),
            );
            let label = |k: &str| meta.labels.get(k).cloned().unwrap_or_default();
            let id = &d.identity;
            series.push(metrics::VulnSeries {
                labels: [
                    key.0.clone(),
                    key.1.clone(),
                    label("trivy-operator.resource.kind"),
                    label("trivy-operator.resource.name"),
                    label("trivy-operator.container.name"),
                    id.registry.clone(),
                    id.repository.clone(),
                    id.tag.clone(),
                    id.digest.clone(),
                ],
                counts: c.summary.counts,
                os_family: c.summary.os_family.clone(),
                os_name: c.summary.os_name.clone(),
                os_eosl: c.summary.os_eosl,
                rows: c.summary.rows.clone(),
            });
        }
        metrics.publish_vulnerabilities(series);
    }

    fn reconcile_images(&mut self, needed: &BTreeMap<ImageKey, Vec<ObjKey>>, now: Instant) {
        for img in needed.keys() {
            let seq = &mut self.seq;
            let st = self.images.entry(img.clone()).or_insert_with(|| {
                *seq += 1;
                ImageState {
                    inv: None,
                    loading: false,
                    load_failed: HashSet::new(),
                    scan: None,
                    attempts: 0,
                    last_used: now,
                    seq: *seq,
                    vuln_hashes: HashMap::new(),
                }
            });
            st.last_used = now;
        }

        // Image by image, so one image's parsed inventory and findings are alive at a time (and
        // in the write tasks that need them); stop once enough writes are pending, and go on in
        // the pass their completion triggers.
        for (img, keys) in needed {
            if self.writing.len() >= MAX_PENDING_WRITES {
                break;
            }
            let mut work = ImageWork::default();
            for key in keys {
                self.reconcile_report(key, img, &mut work, now);
            }
        }
        self.delete_stale_reports();
        self.plan_scans(needed, now);
        self.schedule(needed, now);
        // Forget inventories no workload has used for a while (bounded memory).
        let idle = Duration::from_secs(600);
        self.images.retain(|_, st| {
            st.scan.as_ref().is_some_and(Scan::holds_slot)
                || st.loading
                || now.duration_since(st.last_used) < idle
        });
    }

    fn reconcile_report(
        &mut self,
        key: &ObjKey,
        img: &ImageKey,
        work: &mut ImageWork,
        now: Instant,
    ) {
        let Some(d) = self.desired.get(key).cloned() else {
            return;
        };
        let Some(inv) = self.images.get(img).and_then(|st| st.inv.clone()) else {
            return;
        };
        let img = img.clone();
        let version = self.ctx.version;
        let max = self.ctx.cfg.max_report_bytes;
        let fields = self.ctx.cfg.vulnerability_report_fields;

        // VulnerabilityReport: its part hash is cached per image identity and database; on a miss
        // the part is built here only to hash it, and dropped.
        let vk = (ReportKind::Vulnerability, key.clone());
        if !self.writing.contains(&vk) && self.write_retry.get(&vk).is_none_or(|t| *t <= now) {
            let db = self.db.clone();
            let matched = |work: &mut ImageWork| work.matched(&db, &inv);
            let db_gen = self.db_gen;
            let cached = self.images.get(&img).and_then(|st| {
                st.vuln_hashes
                    .get(&d.identity)
                    .filter(|c| c.db_gen == db_gen)
                    .map(|c| (c.hash.clone(), c.truncation))
            });
            let rows = self.ctx.metrics.settings().vuln_id;
            let part_hash = match cached {
                Some(c) => Some(c),
                None => match matched(work) {
                    Ok((inventory, f)) => {
                        match reports::vulnerability_part(
                            &d.identity,
                            &inventory,
                            &f,
                            version,
                            max,
                            fields,
                            &today(),
                        ) {
                            Ok(part) => {
                                let summary = Arc::new(ReportSummary::of(&part.report, rows));
                                let r = (part.hash, part.truncation);
                                if let Some(st) = self.images.get_mut(&img) {
                                    st.vuln_hashes.insert(
                                        d.identity.clone(),
                                        VulnCache {
                                            db_gen,
                                            hash: r.0.clone(),
                                            truncation: r.1,
                                            summary,
                                        },
                                    );
                                }
                                Some(r)
                            }
                            Err(e) => {
                                self.ctx.metrics.reconcile_error();
                                tracing::error!(namespace = %key.0, name = %key.1, error = %e,
                                "cannot build the VulnerabilityReport");
                                None
                            }
                        }
                    }
                    Err(e) => {
                        self.ctx.metrics.reconcile_error();
                        tracing::error!(image = %img, error = %e, "matching failed");
                        None
                    }
                },
            };
            if let Some((hash, truncation)) = part_hash {
                let extra = reports::extra_annotations(&img, truncation, None);
                let want =
                    reports::content_hash(ReportKind::Vulnerability, &d, &img, &hash, &extra);
                let up_to_date =
                    self.current_hash(ReportKind::Vulnerability, key, now) == Some(&want);
                if !up_to_date && let Ok((inventory, f)) = matched(work) {
                    let (d, img, name) = (d.clone(), img.clone(), key.1.clone());
                    let build: BuildFn = Box::new(move || {
                        let part = reports::vulnerability_part(
                            &d.identity,
                            &inventory,
                            &f,
                            version,
                            max,
                            fields,
                            &today(),
                        )
                        .map_err(|e| format!("cannot build the VulnerabilityReport: {e}"))?;
                        let truncated = part.truncation.map(|t| {
                            (d.owner.clone(), format!(
                                "VulnerabilityReport {name} keeps the {} most severe of {} findings to stay under {max} bytes; the summary counts all of them",
                                t.kept, t.total))
                        });
                        Built::new(ReportKind::Vulnerability, &d, &img, part, extra, truncated)
                    });
                    self.spawn_write(ReportKind::Vulnerability, key.clone(), build);
                }
            }
        }

        // SbomReport: its hash is known without building it.
        let sk = (ReportKind::Sbom, key.clone());
        if !self.writing.contains(&sk) && self.write_retry.get(&sk).is_none_or(|t| *t <= now) {
            let part_hash = reports::sbom_part_hash(&inv.bom_sha256, &d.identity, version, max);
            let extra =
                reports::extra_annotations(&img, None, Some((&inv.bom_sha256, &inv.scanned_at)));
            let want = reports::content_hash(ReportKind::Sbom, &d, &img, &part_hash, &extra);
            if self.current_hash(ReportKind::Sbom, key, now) != Some(&want) {
                let name = key.1.clone();
                let build: BuildFn = Box::new(move || {
                    let bom = zstd::decode_all(&inv.bom_zstd[..]).map_err(|e| e.to_string())?;
                    let bom = palisade_operator::parse_bom(&bom).map_err(|e| e.to_string())?;
                    let part = reports::sbom_part(bom, &inv.bom_sha256, &d.identity, version, max)
                        .map_err(|e| format!("cannot build the SbomReport: {e}"))?;
                    let t = part.truncation;
                    let truncated = t.map(|t| {
                        (d.owner.clone(), format!(
                            "SbomReport {name} keeps {} of {} components to stay under {max} bytes; the summary counts all of them",
                            t.kept, t.total))
                    });
                    let extra = reports::extra_annotations(
                        &img,
                        t,
                        Some((&inv.bom_sha256, &inv.scanned_at)),
                    );
                    Built::new(ReportKind::Sbom, &d, &img, part, extra, truncated)
                });
                self.spawn_write(ReportKind::Sbom, key.clone(), build);
            }
        }
    }

    fn delete_stale_reports(&mut self) {
        let reported = [
            "Pod",
            "ReplicaSet",
            "ReplicationController",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
        ];
        let mut stale = Vec::new();
        for (kind, mirror) in [
            (ReportKind::Vulnerability, &self.vuln),
            (ReportKind::Sbom, &self.sbom),
        ] {
            for (key, meta) in &mirror.items {
                if self.desired.contains_key(key)
                    || !self.ctx.cfg.namespaces.allows(&key.0)
                    || !meta
                        .owner_kind
                        .as_deref()
                        .is_some_and(|k| reported.contains(&k))
                    || self.deleting.contains(&(kind, key.clone()))
                {
                    continue;
                }
                stale.push((kind, key.clone()));
            }
        }
        for (kind, key) in stale {
            self.deleting.insert((kind, key.clone()));
            tracing::info!(kind = kind.kind(), namespace = %key.0, name = %key.1,
                "deleting a report whose workload container no longer runs");
            let ctx = self.ctx.clone();
            tokio::spawn(async move {
                let api = report_api(&ctx.client, kind, &key.0);
                match api.delete(&key.1, &DeleteParams::default()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(e)) if e.code == 404 => {}
                    Err(e) => tracing::warn!(kind = kind.kind(), namespace = %key.0, name = %key.1,
                        error = %e, "deleting a stale report failed"),
                }
                let _ = ctx.tx.send(Msg::ReportDeleted(kind, key)).await;
            });
        }
    }

    /// Images without an inventory: read one back from an SbomReport, else queue a scan. Images
    /// whose inventory is older than the report TTL are queued for a rescan.
    fn plan_scans(&mut self, needed: &BTreeMap<ImageKey, Vec<ObjKey>>, now: Instant) {
        let ttl = self.ctx.cfg.report_ttl;
        for img in needed.keys() {
            let Some(st) = self.images.get_mut(img) else {
                continue;
            };
            if st.loading || st.scan.is_some() {
                continue;
            }
            match &st.inv {
                Some(inv) => {
                    if let Some(ttl) = ttl
                        && let Ok(at) = inv.scanned_at.parse::<Timestamp>()
                        && Timestamp::now().duration_since(at).unsigned_abs() > ttl
                    {
                        tracing::info!(image = %img, "inventory older than the report TTL; rescanning");
                        st.scan = Some(Scan::Queued { not_before: now });
                    }
                }
                None => {
                    let source = self.sbom.items.iter().find(|(k, m)| {
                        m.image.as_ref() == Some(img)
                            && !m.truncated
                            && m.bom_sha256.is_some()
                            && !st.load_failed.contains(*k)
                    });
                    match source {
                        Some((k, m)) => {
                            st.loading = true;
                            spawn_load(&self.ctx, img.clone(), k.clone(), m.clone());
                        }
                        None => st.scan = Some(Scan::Queued { not_before: now }),
                    }
                }
            }
        }
        // Queued scans of images nothing runs any more are dropped.
        for (img, st) in self.images.iter_mut() {
            if matches!(st.scan, Some(Scan::Queued { .. })) && !needed.contains_key(img) {
                st.scan = None;
                st.attempts = 0;
            }
        }
        // Failed scans: at retry time (or when nothing needs the image any more) their Job goes.
        // A Job that never reports an end is given up on after a minute.
        let stale = Duration::from_secs(60);
        let due: Vec<(ImageKey, bool)> = self
            .images
            .iter()
            .filter_map(|(img, st)| match &st.scan {
                Some(Scan::Failed {
                    retry_at,
                    finished,
                    since,
                    ..
                }) => {
                    let wanted = needed.contains_key(img);
                    let ready = *finished || now.duration_since(*since) > stale;
                    (!wanted || (*retry_at <= now && ready)).then(|| (img.clone(), wanted))
                }
                _ => None,
            })
            .collect();
        for (img, retry) in due {
            self.stop_failed_job(&img, retry);
        }
    }

    /// Starts queued scans while fewer than the limit hold a slot (finished Jobs hold none).
    fn schedule(&mut self, needed: &BTreeMap<ImageKey, Vec<ObjKey>>, now: Instant) {
        if !self.orphans_swept {
            return;
        }
        let busy = self
            .images
            .values()
            .filter(|s| s.scan.as_ref().is_some_and(Scan::holds_slot))
            .count()
            + self.orphans.len();
        let limit = self.ctx.cfg.concurrent_scan_jobs_limit.max(1);
        if busy >= limit {
            return;
        }
        let mut ready: Vec<(bool, u64, ImageKey)> = self
            .images
            .iter()
            .filter(
                |(_, s)| matches!(s.scan, Some(Scan::Queued { not_before }) if not_before <= now),
            )
            .map(|(k, s)| (s.inv.is_some(), s.seq, k.clone()))
            .collect();
        ready.sort();
        for (_, _, img) in ready.into_iter().take(limit - busy) {
            let Some(first) = needed.get(&img).and_then(|keys| keys.first()) else {
                continue;
            };
            let Some(d) = self.desired.get(first).cloned() else {
                continue;
            };
            self.start_scan(img, &d);
        }
    }

    fn start_scan(&mut self, img: ImageKey, d: &Desired) {
        let cfg = &self.ctx.cfg;
        let pod = self.pods.items.get(&d.pod).cloned();
        let name = jobs::job_name(&img);
        let namespace = if cfg.scan_jobs_in_same_namespace {
            d.owner.namespace.clone()
        } else {
            cfg.namespace.clone()
        };
        let token = match jobs::new_token() {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "no randomness for a scan token");
                return;
            }
        };
        let Some(st) = self.images.get_mut(&img) else {
            return;
        };
        st.scan = Some(Scan::Starting);
        self.ctx.shared.issue(
            &name,
            Ticket {
                token: token.clone(),
                image: img.clone(),
            },
        );
        let plan = JobPlan {
            name: name.clone(),
            namespace: namespace.clone(),
            image: img.clone(),
            reference: jobs::pull_reference(
                &d.identity.registry,
                &d.identity.repository,
                &img.digest,
            ),
            pull_secrets: Vec::new(),
        };
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let job = (namespace.clone(), name.clone());
            let result = create_scan_job(&ctx, plan, pod, &token).await;
            let _ = ctx
                .tx
                .send(Msg::JobStarted {
                    image: img,
                    job,
                    result,
                })
                .await;
        });
    }
}

fn spawn_delete_job(ctx: &Arc<Ctx>, job: ObjKey) {
    {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let jobs: Api<Job> = Api::namespaced(ctx.client.clone(), &job.0);
            let dp = DeleteParams::background();
            match jobs.delete(&job.1, &dp).await {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => tracing::warn!(namespace = %job.0, job = %job.1, error = %e,
                    "deleting a scan Job failed"),
            }
            let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &job.0);
            match secrets
                .delete(&jobs::secret_name(&job.1), &DeleteParams::background())
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => tracing::debug!(error = %e, "deleting a scan Job's Secret failed"),
            }
            let _ = ctx.tx.send(Msg::JobDeleted(job)).await;
        });
    }
}

impl State {
    /// The content hash a report has in the cluster, as far as the operator knows: from the watch,
    /// or from its own recent create that the watch has not shown yet.
    fn current_hash(&self, kind: ReportKind, key: &ObjKey, now: Instant) -> Option<&String> {
        let mirror = match kind {
            ReportKind::Vulnerability => &self.vuln,
            ReportKind::Sbom => &self.sbom,
        };
        match mirror.items.get(key) {
            Some(m) => m.content_hash.as_ref(),
            None => self
                .created
                .get(&(kind, key.clone()))
                .filter(|(_, at)| now.duration_since(*at) < CREATED_GRACE)
                .map(|(h, _)| h),
        }
    }

    /// Writes a report: waits for a write permit, then builds the body (off the loop, on a
    /// blocking thread) and applies it. Building after the permit keeps at most
    /// `write_concurrency` bodies in memory however many reports change at once.
    fn spawn_write(&mut self, kind: ReportKind, key: ObjKey, build: BuildFn) {
        self.writing.insert((kind, key.clone()));
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let result = async {
                let _permit = ctx.writes.acquire().await.map_err(|e| e.to_string())?;
                let built = tokio::task::spawn_blocking(build)
                    .await
                    .map_err(|e| e.to_string())??;
                if let Some((owner, message)) = &built.truncated {
                    emit_event(&ctx, owner, "Warning", "ReportTruncated", message).await;
                }
                write_report(&ctx, kind, &key, built.body).await?;
                Ok(built.hash)
            }
            .await;
            let _ = ctx.tx.send(Msg::Written(kind, key, result)).await;
        });
    }

    fn event(&self, owner: &Owner, type_: &'static str, reason: &'static str, message: &str) {
        let ctx = self.ctx.clone();
        let owner = owner.clone();
        let message = message.to_owned();
        tokio::spawn(async move { emit_event(&ctx, &owner, type_, reason, &message).await });
    }
}

fn report_api(client: &Client, kind: ReportKind, ns: &str) -> Api<DynamicObject> {
    let ar = match kind {
        ReportKind::Vulnerability => ApiResource::erase::<VulnerabilityReport>(&()),
        ReportKind::Sbom => ApiResource::erase::<SbomReport>(&()),
    };
    Api::namespaced_with(client.clone(), ns, &ar)
}

/// Server-side applies a serialized report, asking for the metadata only in reply: the operator
/// needs nothing else back, and parsing whole reports cost more CPU than building them.
async fn write_report(
    ctx: &Ctx,
    kind: ReportKind,
    key: &ObjKey,
    body: Vec<u8>,
) -> Result<(), String> {
    let api = report_api(&ctx.client, kind, &key.0);
    let raw = serde_json::value::RawValue::from_string(
        String::from_utf8(body).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let request = kube::core::Request::new(api.resource_url())
        .patch_metadata(&key.1, &pp, &Patch::Apply(&raw))
        .map_err(|e| e.to_string())?;
    ctx.client
        .request::<PartialObjectMeta<DynamicObject>>(request)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())?;
    tracing::info!(kind = kind.kind(), namespace = %key.0, name = %key.1, "report written");
    Ok(())
}

async fn emit_event(ctx: &Ctx, owner: &Owner, type_: &str, reason: &str, message: &str) {
    let now = now_time();
    let suffix = format!("{:x}", Timestamp::now().as_nanosecond());
    let event = Event {
        metadata: ObjectMeta {
            name: Some(format!(
                "{}.{suffix}",
                owner.name.chars().take(200).collect::<String>()
            )),
            namespace: Some(owner.namespace.clone()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some(owner.api_version.clone()),
            kind: Some(owner.kind.clone()),
            name: Some(owner.name.clone()),
            namespace: Some(owner.namespace.clone()),
            uid: Some(owner.uid.clone()),
            ..ObjectReference::default()
        },
        reason: Some(reason.to_owned()),
        message: Some(message.chars().take(1024).collect()),
        type_: Some(type_.to_owned()),
        count: Some(1),
        first_timestamp: Some(now.clone()),
        last_timestamp: Some(now),
        source: Some(k8s_openapi::api::core::v1::EventSource {
            component: Some("palisade-operator".to_owned()),
            host: None,
        }),
        reporting_component: Some("palisade-operator".to_owned()),
        ..Event::default()
    };
    let api: Api<Event> = Api::namespaced(ctx.client.clone(), &owner.namespace);
    if let Err(e) = api.create(&PostParams::default(), &event).await {
        tracing::debug!(error = %e, reason, "recording an Event failed");
    }
}

/// Reads an image's inventory back from one of its SbomReports (at most [`LOAD_CONCURRENCY`] at
/// once), taking the raw body and only the `report.components` slice of it.
fn spawn_load(ctx: &Arc<Ctx>, image: ImageKey, from: ObjKey, meta: ReportMeta) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let result = async {
            let _permit = ctx.loads.acquire().await.map_err(|e| e.to_string())?;
            let api = report_api(&ctx.client, ReportKind::Sbom, &from.0);
            let request = kube::core::Request::new(api.resource_url())
                .get(&from.1, &Default::default())
                .map_err(|e| e.to_string())?;
            let text = ctx
                .client
                .request_text(request)
                .await
                .map_err(|e| format!("reading it failed: {e}"))?;
            tokio::task::spawn_blocking(move || inventory_from_report(text.as_bytes(), &meta))
                .await
                .map_err(|e| e.to_string())?
        }
        .await;
        let _ = ctx
            .tx
            .send(Msg::InventoryLoaded {
                image,
                from,
                result: result.map(Arc::new),
            })
            .await;
    });
}

/// The parts of an SbomReport an inventory is read from; the components stay raw JSON.
#[derive(serde::Deserialize)]
struct StoredSbom<'a> {
    #[serde(borrow)]
    report: Option<StoredSbomReport<'a>>,
}

#[derive(serde::Deserialize)]
struct StoredSbomReport<'a> {
    #[serde(borrow)]
    components: Option<&'a serde_json::value::RawValue>,
}

fn inventory_from_report(body: &[u8], meta: &ReportMeta) -> Result<Inv, String> {
    let stored: StoredSbom<'_> =
        serde_json::from_slice(body).map_err(|e| format!("it is not valid JSON: {e}"))?;
    let components = stored
        .report
        .and_then(|r| r.components)
        .ok_or("it has no report.components")?;
    let bytes = components.get().as_bytes();
    // Parsed once to reject an unusable BOM now rather than at the first match.
    palisade_report::read_inventory(bytes).map_err(|e| format!("its BOM is unusable: {e}"))?;
    let bom_zstd = zstd::encode_all(bytes, 3).map_err(|e| e.to_string())?;
    Ok(Inv {
        bom_zstd,
        bom_sha256: meta.bom_sha256.clone().unwrap_or_default(),
        scanned_at: meta.scanned_at.clone().unwrap_or_default(),
    })
}

async fn create_scan_job(
    ctx: &Ctx,
    mut plan: JobPlan,
    pod: Option<PodEntry>,
    token: &str,
) -> Result<(), String> {
    let cfg = &ctx.cfg;
    // Pull secrets: the Pod's and its ServiceAccount's (spec §4.8).
    let mut names: Vec<String> = Vec::new();
    if let Some(pod) = &pod {
        names.extend(pod.pull_secrets.iter().cloned());
        let sas: Api<ServiceAccount> = Api::namespaced(ctx.client.clone(), &pod.namespace);
        match sas.get_opt(&pod.service_account).await {
            Ok(Some(sa)) => names.extend(
                sa.image_pull_secrets
                    .into_iter()
                    .flatten()
                    .map(|r| r.name)
                    .filter(|n| !n.is_empty()),
            ),
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "reading the ServiceAccount failed"),
        }
    }
    names.dedup();
    let mut docker_config = None;
    if let Some(pod) = &pod {
        if cfg.scan_jobs_in_same_namespace {
            plan.pull_secrets = names.clone();
        } else if cfg.access_global_secrets && !names.is_empty() {
            let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &pod.namespace);
            let mut found = Vec::new();
            for n in &names {
                match secrets.get_opt(n).await {
                    Ok(Some(s)) => found.push(
                        s.data
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k, v.0))
                            .collect::<BTreeMap<_, _>>(),
                    ),
                    Ok(None) => tracing::debug!(secret = %n, "pull secret not found"),
                    Err(e) => {
                        tracing::debug!(secret = %n, error = %e, "reading a pull secret failed")
                    }
                }
            }
            docker_config = jobs::merge_docker_configs(&found);
        }
    }
    let secret = jobs::secret_object(&plan.name, &plan.namespace, token, docker_config.as_deref());
    let secret: Secret = serde_json::from_value(secret).map_err(|e| e.to_string())?;
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &plan.namespace);
    let pp = PostParams::default();
    match secrets.create(&pp, &secret).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {
            secrets
                .replace(&jobs::secret_name(&plan.name), &pp, &secret)
                .await
                .map_err(|e| format!("replacing the Job's Secret: {e}"))?;
        }
        Err(e) => return Err(format!("creating the Job's Secret: {e}")),
    }
    let job: Job = serde_json::from_value(jobs::job_object(&plan, &ctx.settings))
        .map_err(|e| e.to_string())?;
    let api: Api<Job> = Api::namespaced(ctx.client.clone(), &plan.namespace);
    let created = api
        .create(&pp, &job)
        .await
        .map_err(|e| format!("creating the Job: {e}"))?;
    // The Secret goes with the Job (garbage collection), even if the operator dies meanwhile.
    if let Some(uid) = created.meta().uid.clone() {
        let patch = serde_json::json!({"metadata": {"ownerReferences": [{
            "apiVersion": "batch/v1", "kind": "Job", "name": plan.name, "uid": uid,
            "blockOwnerDeletion": false}]}});
        if let Err(e) = secrets
            .patch(
                &jobs::secret_name(&plan.name),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            tracing::debug!(error = %e, "setting the Secret's owner failed");
        }
    }
    Ok(())
}
