//! Operator scale benchmark (issue 4, "Done when"): 5,000 Pods on 500 distinct images in the
//! test API server, inventories cached in SbomReports, then a database change.
//!
//! It measures how long `palisade operator` (the real binary, as a child process) takes to give
//! every ReplicaSet container its VulnerabilityReport and SbomReport without scanning anything,
//! how long it takes to re-match every report after the database file is replaced, how many scan
//! Jobs and report writes it makes on the way, and its resident memory throughout (sampled from
//! `/proc/<pid>/status` every 200 ms). It prints figures, PASS/FAIL against the targets (< 64 MiB
//! peak RSS, < 60 s from database change to every report reconciled, no scan Job, no needless
//! write), and exits 1 when a target is missed.
//!
//! Progress is followed through metadata watches rather than polled lists: one metadata list of
//! 1,000 SbomReports costs the in-process API server about 3 s, so polling every 0.5 s would take
//! the cores from the operator being measured. Report contents are checked with full paged lists
//! once a phase looks done.
//!
//! Run it with `scripts/bench-operator.sh` (builds release first), or
//! `cargo bench -p palisade --bench operator_scale -- --help` for the knobs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use clap::Parser;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, PartialObjectMeta};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use palisade_crds::{SbomReport, VulnerabilityReport};
use palisade_operator::{ImageIdentity, Owner, parse_bom, report_metadata_for, sbom_report};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const OP_NS: &str = "trivy-system";
const SCANNER_IMAGE: &str = "ghcr.io/palisade/palisade:dev";
const NODE: &str = "bench-node";
const PLATFORM: &str = "linux/amd64";
const REGISTRY: &str = "127.0.0.1:5000";
const CONTAINER: &str = "app";
/// A CVE of glibc that database B has and database A (the fixtures without glibc) lacks; the
/// aged test image runs Debian 12.0's glibc, so every report must show it after the change.
const B_ONLY_CVE: &str = "CVE-2023-4911";
const RSS_TARGET_MIB: f64 = 64.0;
const RECONCILE_TARGET_SECS: f64 = 60.0;
const ANN_CONTENT_HASH: &str = "palisade.dev/content-hash";

#[derive(Debug, Parser)]
#[command(about = "Scale benchmark of `palisade operator` against the test API server")]
struct Args {
    /// Pods to create.
    #[arg(long, default_value_t = 5000)]
    pods: usize,
    /// Distinct images (each ReplicaSet runs one; ReplicaSets share images round-robin).
    #[arg(long, default_value_t = 500)]
    images: usize,
    /// Pods per ReplicaSet.
    #[arg(long, default_value_t = 5)]
    pods_per_replicaset: usize,
    /// Namespaces the ReplicaSets are spread over.
    #[arg(long, default_value_t = 10)]
    namespaces: usize,
    /// The palisade binary [default: the one cargo built next to this benchmark].
    #[arg(long)]
    palisade: Option<PathBuf>,
    /// The test images folder (scripts/build-test-images.sh) [default: <repo>/.work/images].
    #[arg(long)]
    images_dir: Option<PathBuf>,
    /// Extra advisories for database B, read in place [default:
    /// <repo>/../shared/data/advisories/debian12-changelogs.zip, when present].
    #[arg(long)]
    advisories: Option<PathBuf>,
    /// Give up on a phase after this many seconds.
    #[arg(long, default_value_t = 600)]
    phase_timeout: u64,
    /// Keep the work folder (databases, operator log) here instead of a temporary one.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Run the operator under this command, e.g. `heaptrack -o /tmp/op` (diagnosis only: the
    /// memory figures are then those of the wrapper process).
    #[arg(long, default_value = "")]
    operator_wrapper: String,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn repo_root() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    p.canonicalize().unwrap_or(p)
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn say(msg: impl AsRef<str>) {
    eprintln!(
        "[bench-operator {}] {}",
        Timestamp::now().strftime("%H:%M:%S"),
        msg.as_ref()
    );
}

// ------------------------------------------------------------------ memory and CPU sampling

/// What the sampler saw of the operator process, per phase.
#[derive(Debug, Default, Clone)]
struct PhaseMem {
    max_rss_kib: u64,
    /// `RssAnon` and `RssFile` (binary text, mapped files) at the largest `VmRSS` sample.
    anon_at_max_kib: u64,
    file_at_max_kib: u64,
    hwm_kib: u64,
    samples: u64,
}

#[derive(Debug, Default)]
struct MemLog {
    phases: BTreeMap<usize, PhaseMem>,
    last_rss_kib: u64,
    last_hwm_kib: u64,
}

struct Sampler {
    log: Arc<Mutex<MemLog>>,
    phase: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// `VmRSS`, `VmHWM`, `RssAnon` and `RssFile` of a process in KiB.
fn proc_mem(pid: u32) -> Option<(u64, u64, u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((
        field("VmRSS:")?,
        field("VmHWM:")?,
        field("RssAnon:").unwrap_or(0),
        field("RssFile:").unwrap_or(0),
    ))
}

/// User + system CPU seconds of a process (all threads), from `/proc/<pid>/stat` in USER_HZ
/// (100 on Linux).
fn proc_cpu_secs(pid: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

impl Sampler {
    fn start(pid: u32, phase: usize) -> Sampler {
        let log = Arc::new(Mutex::new(MemLog::default()));
        let phase = Arc::new(AtomicUsize::new(phase));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (log, phase, stop) = (log.clone(), phase.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some((rss, hwm, anon, file)) = proc_mem(pid)
                        && let Ok(mut l) = log.lock()
                    {
                        let p = l.phases.entry(phase.load(Ordering::Relaxed)).or_default();
                        if rss > p.max_rss_kib {
                            p.max_rss_kib = rss;
                            p.anon_at_max_kib = anon;
                            p.file_at_max_kib = file;
                        }
                        p.hwm_kib = p.hwm_kib.max(hwm);
                        p.samples += 1;
                        l.last_rss_kib = rss;
                        l.last_hwm_kib = hwm;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
        };
        Sampler {
            log,
            phase,
            stop,
            thread: Some(thread),
        }
    }

    fn set_phase(&self, phase: usize) {
        self.phase.store(phase, Ordering::Relaxed);
    }

    fn phase_mem(&self, phase: usize) -> PhaseMem {
        self.log
            .lock()
            .map(|l| l.phases.get(&phase).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    fn hwm_kib(&self) -> u64 {
        self.log.lock().map(|l| l.last_hwm_kib).unwrap_or(0)
    }

    fn rss_kib(&self) -> u64 {
        self.log.lock().map(|l| l.last_rss_kib).unwrap_or(0)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Open sockets of a process (its connections to the API server, mostly).
fn proc_sockets(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// ------------------------------------------------------------------ operator log

/// What the operator logged between two offsets of its log (JSON lines).
#[derive(Debug, Default, Clone)]
struct LogCounts {
    vuln_written: usize,
    sbom_written: usize,
    /// Distinct reports written (a report written twice counts once).
    vuln_distinct: usize,
    sbom_distinct: usize,
    read_back: usize,
    scan_jobs_started: usize,
    db_changes: usize,
    warnings: usize,
    examples: Vec<String>,
}

fn log_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn count_log(path: &Path, from: u64, to: u64) -> Result<LogCounts> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    f.seek(SeekFrom::Start(from))?;
    let reader = BufReader::new(f.take(to.saturating_sub(from)));
    let mut c = LogCounts::default();
    let mut vuln = HashSet::new();
    let mut sbom = HashSet::new();
    for line in reader.lines() {
        let line = line?;
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let msg = v["message"].as_str().unwrap_or_default();
        let level = v["level"].as_str().unwrap_or_default();
        match msg {
            "report written" => {
                let key = format!("{}/{}", v["namespace"], v["name"]);
                match v["kind"].as_str() {
                    Some("VulnerabilityReport") => {
                        c.vuln_written += 1;
                        vuln.insert(key);
                    }
                    Some("SbomReport") => {
                        c.sbom_written += 1;
                        sbom.insert(key);
                    }
                    _ => {}
                }
            }
            "inventory read back from an SbomReport" => c.read_back += 1,
            "scan Job started" => c.scan_jobs_started += 1,
            m if m.starts_with("advisory database changed") => c.db_changes += 1,
            _ => {}
        }
        if level == "WARN" || level == "ERROR" {
            c.warnings += 1;
            if c.examples.len() < 5 {
                c.examples.push(line.chars().take(400).collect());
            }
        }
    }
    c.vuln_distinct = vuln.len();
    c.sbom_distinct = sbom.len();
    Ok(c)
}

fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ------------------------------------------------------------------ inputs

fn run_palisade(bin: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(bin)
        .args(args)
        .env_remove("PALISADE_DB")
        .env("NO_COLOR", "1")
        .output()
        .with_context(|| format!("running {} {}", bin.display(), args.join(" ")))?;
    ensure!(
        out.status.success(),
        "{} {} failed: {}",
        bin.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out.stdout)
}

/// Databases A (OSV fixtures without glibc) and B (all fixtures plus the Debian corpus when
/// present); returns their paths and a description of B's inputs.
fn build_databases(
    bin: &Path,
    work: &Path,
    advisories: Option<&Path>,
) -> Result<(PathBuf, PathBuf, String)> {
    let fixtures = repo_root().join("crates/palisade/tests/fixtures/osv");
    let a_src = work.join("osv-a");
    std::fs::create_dir_all(&a_src)?;
    let mut kept = 0;
    for e in std::fs::read_dir(&fixtures).with_context(|| format!("{}", fixtures.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") && !name.contains("glibc") {
            std::fs::copy(e.path(), a_src.join(&name))?;
            kept += 1;
        }
    }
    let a = work.join("a.db");
    let b = work.join("b.db");
    let s = |p: &Path| p.to_string_lossy().into_owned();
    run_palisade(bin, &["db", "build", "--osv", &s(&a_src), "--db", &s(&a)])?;
    let mut b_args = vec![
        "db".to_owned(),
        "build".to_owned(),
        "--osv".to_owned(),
        s(&fixtures),
    ];
    let mut b_inputs = format!("{} (all fixtures)", fixtures.display());
    if let Some(zip) = advisories {
        b_args.push(s(zip));
        let _ = write!(b_inputs, " + {}", zip.display());
    } else {
        b_inputs.push_str(" (no Debian corpus found)");
    }
    b_args.extend(["--db".to_owned(), s(&b)]);
    let b_refs: Vec<&str> = b_args.iter().map(String::as_str).collect();
    run_palisade(bin, &b_refs)?;
    say(format!(
        "database A: {kept} fixture records (no glibc) from {}",
        fixtures.display()
    ));
    say(format!("database B: {b_inputs}"));
    Ok((a, b, b_inputs))
}

/// The aged image's CycloneDX BOM (without findings: scan Jobs send none).
fn base_bom(bin: &Path, images: &Path, db: &Path) -> Result<Value> {
    let aged = images.join("oci/aged");
    if !aged.join("index.json").exists() {
        bail!(
            "the test image {} is missing: run scripts/build-test-images.sh first",
            aged.display()
        );
    }
    let out = run_palisade(
        bin,
        &[
            "image",
            "--quiet",
            "--db",
            &db.to_string_lossy(),
            "--format",
            "cyclonedx",
            &format!("oci:{}", aged.display()),
        ],
    )?;
    let mut bom: Value = serde_json::from_slice(&out).context("the BOM is not JSON")?;
    if let Some(o) = bom.as_object_mut() {
        o.remove("vulnerabilities");
    }
    Ok(bom)
}

/// The BOM of image `n`: the aged image's, named after the image, with up to two packages left
/// out (never glibc's) so inventories differ.
fn bom_variant(base: &Value, n: usize) -> Result<(Vec<u8>, usize)> {
    let mut bom = base.clone();
    let comps = bom["components"]
        .as_array()
        .ok_or_else(|| anyhow!("the BOM has no components"))?;
    let droppable: Vec<String> = comps
        .iter()
        .filter(|c| c["type"] == "library")
        .filter(|c| !matches!(c["name"].as_str(), Some("libc6" | "libc-bin")))
        .filter_map(|c| c["bom-ref"].as_str().map(str::to_owned))
        .collect();
    let k = droppable.len().max(1);
    let mut drop: HashSet<String> = HashSet::new();
    if n > 0 && !droppable.is_empty() {
        let a = n % k;
        let b = (n / k + a + 1) % k;
        drop.insert(droppable[a].clone());
        drop.insert(droppable[b].clone());
    }
    if let Some(cs) = bom["components"].as_array_mut() {
        cs.retain(|c| !c["bom-ref"].as_str().is_some_and(|r| drop.contains(r)));
    }
    if let Some(deps) = bom["dependencies"].as_array_mut() {
        deps.retain(|d| !d["ref"].as_str().is_some_and(|r| drop.contains(r)));
        for d in deps.iter_mut() {
            if let Some(on) = d["dependsOn"].as_array_mut() {
                on.retain(|r| !r.as_str().is_some_and(|r| drop.contains(r)));
            }
        }
    }
    bom["metadata"]["component"]["name"] = json!(image_ref(n));
    let packages = bom["components"]
        .as_array()
        .map(|c| c.iter().filter(|c| c["type"] == "library").count())
        .unwrap_or(0);
    Ok((serde_json::to_vec(&bom)?, packages))
}

fn image_ref(n: usize) -> String {
    format!("{REGISTRY}/bench/img{n}:1")
}

fn image_digest(n: usize) -> String {
    format!(
        "sha256:{}",
        sha256_hex(format!("palisade-bench-image-{n}").as_bytes())
    )
}

fn image_id(n: usize) -> String {
    format!("{REGISTRY}/bench/img{n}@{}", image_digest(n))
}

// ------------------------------------------------------------------ cluster objects

struct Layout {
    images: usize,
    pods_per_rs: usize,
    namespaces: usize,
}

impl Layout {
    fn rs_name(&self, i: usize) -> String {
        let h = sha256_hex(format!("rs-{i}").as_bytes());
        format!("web{i:04}-{}", &h[..10])
    }
    fn rs_namespace(&self, i: usize) -> String {
        format!("bench-{}", i % self.namespaces)
    }
    fn rs_image(&self, i: usize) -> usize {
        i % self.images
    }
}

fn namespace(name: &str) -> Result<Namespace> {
    Ok(serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}
    }))?)
}

fn node() -> Result<Node> {
    let now = Timestamp::now().to_string();
    Ok(serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": NODE, "labels": {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": NODE}},
        "status": {
            "nodeInfo": {"operatingSystem": "linux", "architecture": "amd64",
                "kubeletVersion": "v1.32.0", "containerRuntimeVersion": "containerd://1.7.0",
                "kernelVersion": "6.1.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                "machineID": "bench", "systemUUID": "bench", "bootID": "bench",
                "kubeProxyVersion": "v1.32.0"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                "message": "kubelet is posting ready status", "lastHeartbeatTime": now,
                "lastTransitionTime": now}]
        }
    }))?)
}

fn replica_set(l: &Layout, i: usize) -> Result<ReplicaSet> {
    let name = l.rs_name(i);
    let n = l.rs_image(i);
    let replicas = l.pods_per_rs;
    Ok(serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": l.rs_namespace(i), "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": CONTAINER, "image": image_ref(n)}]}}
        },
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
            "fullyLabeledReplicas": replicas, "observedGeneration": 1}
    }))?)
}

fn pod_status(n: usize) -> Value {
    let now = Timestamp::now().to_string();
    json!({
        "phase": "Running",
        "hostIP": "10.0.0.1",
        "podIP": "10.1.0.1",
        "startTime": now,
        "conditions": [
            {"type": "Initialized", "status": "True", "lastTransitionTime": now},
            {"type": "Ready", "status": "True", "lastTransitionTime": now},
            {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": now}
        ],
        "containerStatuses": [{
            "name": CONTAINER, "image": image_ref(n), "imageID": image_id(n),
            "ready": true, "started": true, "restartCount": 0,
            "state": {"running": {"startedAt": now}}
        }]
    })
}

fn pod(l: &Layout, i: usize, j: usize, rs_uid: &str) -> Result<Pod> {
    let rs = l.rs_name(i);
    let n = l.rs_image(i);
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let h = Sha256::digest(format!("{rs}-{j}").as_bytes());
    let suffix: String = h[..5]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    Ok(serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": format!("{rs}-{suffix}"), "namespace": l.rs_namespace(i),
            "labels": {"app": rs},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                "uid": rs_uid, "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {"nodeName": NODE, "containers": [{"name": CONTAINER, "image": image_ref(n)}]},
        "status": pod_status(n)
    }))?)
}

/// The SbomReport the operator would have written for image `n`, owned by ReplicaSet `i`, minus
/// the content hash (so the operator reads the inventory back and rewrites the report once).
fn cached_sbom_report(
    l: &Layout,
    i: usize,
    rs_uid: &str,
    bom_json: &[u8],
    now: &Timestamp,
) -> Result<DynamicObject> {
    let n = l.rs_image(i);
    let identity = ImageIdentity::from_container(&image_ref(n), &image_id(n))?;
    let owner = Owner {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        namespace: l.rs_namespace(i),
        name: l.rs_name(i),
        uid: rs_uid.to_owned(),
    };
    let image_key = format!("{}@{PLATFORM}", image_digest(n));
    let meta = report_metadata_for(
        &owner,
        CONTAINER,
        &palisade_crds::hash::compute_hash_str(&image_key),
    );
    let mut annotations: BTreeMap<String, String> = meta.annotations.clone();
    annotations.insert("palisade.dev/image-key".into(), image_key);
    annotations.insert("palisade.dev/bom-sha256".into(), sha256_hex(bom_json));
    annotations.insert("palisade.dev/scanned-at".into(), now.to_string());
    let report = sbom_report(
        parse_bom(bom_json)?,
        &identity,
        env!("CARGO_PKG_VERSION"),
        Time(*now),
    );
    Ok(serde_json::from_value(json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "SbomReport",
        "metadata": {
            "name": meta.name, "namespace": meta.namespace, "labels": meta.labels,
            "annotations": annotations, "ownerReferences": [meta.owner_reference],
        },
        "report": report,
    }))?)
}

async fn client_for(kubeconfig: &Path) -> Result<Client> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)?;
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?;
    Ok(Client::try_from(cfg)?)
}

/// Creates `items` with at most `parallel` requests in flight; returns what the server stored.
async fn create_all<K>(
    api_for: impl Fn(&K) -> Api<K>,
    items: Vec<K>,
    parallel: usize,
) -> Result<Vec<K>>
where
    K: Resource
        + Clone
        + k8s_openapi::serde::de::DeserializeOwned
        + k8s_openapi::serde::Serialize
        + std::fmt::Debug,
{
    let pp = PostParams::default();
    futures::stream::iter(items.into_iter().map(|obj| {
        let api = api_for(&obj);
        let pp = pp.clone();
        async move { api.create(&pp, &obj).await.context("create") }
    }))
    .buffered(parallel)
    .try_collect()
    .await
}

// ------------------------------------------------------------------ observing the cluster

fn sbom_api(client: &Client) -> Api<DynamicObject> {
    Api::all_with(client.clone(), &ApiResource::erase::<SbomReport>(&()))
}

fn vuln_api(client: &Client) -> Api<DynamicObject> {
    Api::all_with(
        client.clone(),
        &ApiResource::erase::<VulnerabilityReport>(&()),
    )
}

/// Every object's metadata, paging by 500.
async fn list_meta<K>(api: &Api<K>) -> Result<Vec<PartialObjectMeta<K>>>
where
    K: Resource + Clone + k8s_openapi::serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut lp = ListParams::default().limit(500);
    loop {
        let page = api.list_metadata(&lp).await?;
        out.extend(page.items);
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => lp = ListParams::default().limit(500).continue_token(&c),
            None => return Ok(out),
        }
    }
}

/// Every whole object, paging by `page`.
async fn list_full(api: &Api<DynamicObject>, page: u32) -> Result<Vec<DynamicObject>> {
    let mut out = Vec::new();
    let mut lp = ListParams::default().limit(page);
    loop {
        let list = api.list(&lp).await?;
        out.extend(list.items);
        match list.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => lp = ListParams::default().limit(page).continue_token(&c),
            None => return Ok(out),
        }
    }
}

fn annotation<'a, K>(m: &'a PartialObjectMeta<K>, key: &str) -> Option<&'a str> {
    m.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(String::as_str)
}

fn obj_key<K>(m: &PartialObjectMeta<K>) -> (String, String) {
    (
        m.metadata.namespace.clone().unwrap_or_default(),
        m.metadata.name.clone().unwrap_or_default(),
    )
}

/// Size of the largest object's JSON (without the metadata the server adds).
fn max_report_bytes(objs: &[DynamicObject]) -> usize {
    objs.iter()
        .map(|o| serde_json::to_vec(&o.data).map(|v| v.len()).unwrap_or(0))
        .max()
        .unwrap_or(0)
}

fn vuln_ids(obj: &DynamicObject) -> HashSet<String> {
    obj.data["report"]["vulnerabilities"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|f| f["vulnerabilityID"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Scan Jobs seen by a watch on Jobs in every namespace (the operator's included).
#[derive(Default)]
struct JobWatch {
    uids: Mutex<HashSet<String>>,
    synced: AtomicBool,
}

impl JobWatch {
    fn count(&self) -> usize {
        self.uids.lock().map(|u| u.len()).unwrap_or(0)
    }
}

fn watch_jobs(client: &Client, rt: &tokio::runtime::Handle) -> Arc<JobWatch> {
    let seen = Arc::new(JobWatch::default());
    let api: Api<Job> = Api::all(client.clone());
    let s = seen.clone();
    rt.spawn(async move {
        let mut stream = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(watcher::Event::Apply(j) | watcher::Event::InitApply(j)) => {
                    if let Ok(mut u) = s.uids.lock() {
                        u.insert(j.metadata.uid.unwrap_or_default());
                    }
                }
                Ok(watcher::Event::InitDone) => s.synced.store(true, Ordering::Relaxed),
                _ => {}
            }
        }
    });
    seen
}

type ObjKey = (String, String);

/// The content hash (`None` while it has none) of every report of one kind, kept current by a
/// metadata watch. This is the progress signal: it costs the API server one event per write,
/// where polling lists of 1,000 large reports every 0.5 s would load the in-process API server
/// (and so the 2 cores the operator runs on) more than the operator itself does.
#[derive(Default)]
struct ReportWatch {
    hashes: Mutex<HashMap<ObjKey, Option<String>>>,
    synced: AtomicBool,
}

impl ReportWatch {
    fn snapshot(&self) -> HashMap<ObjKey, Option<String>> {
        self.hashes.lock().map(|h| h.clone()).unwrap_or_default()
    }

    fn hashed(&self) -> usize {
        self.hashes
            .lock()
            .map(|h| h.values().filter(|v| v.is_some()).count())
            .unwrap_or(0)
    }
}

fn watch_reports<M>(api: Api<M>, rt: &tokio::runtime::Handle) -> Arc<ReportWatch>
where
    M: Resource
        + Clone
        + k8s_openapi::serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + 'static,
{
    let seen = Arc::new(ReportWatch::default());
    let s = seen.clone();
    rt.spawn(async move {
        let mut stream = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
        let mut relist: Option<HashMap<ObjKey, Option<String>>> = None;
        let key = |m: &M| {
            let meta = m.meta();
            (
                meta.namespace.clone().unwrap_or_default(),
                meta.name.clone().unwrap_or_default(),
            )
        };
        let entry = |m: &M| {
            let hash = m
                .meta()
                .annotations
                .as_ref()
                .and_then(|a| a.get(ANN_CONTENT_HASH))
                .cloned();
            (key(m), hash)
        };
        while let Some(ev) = stream.next().await {
            let Ok(ev) = ev else { continue };
            let Ok(mut hashes) = s.hashes.lock() else {
                return;
            };
            match ev {
                watcher::Event::Init => relist = Some(HashMap::new()),
                watcher::Event::InitApply(m) => {
                    if let Some(r) = &mut relist {
                        let (k, v) = entry(&m);
                        r.insert(k, v);
                    }
                }
                watcher::Event::InitDone => {
                    if let Some(r) = relist.take() {
                        *hashes = r;
                    }
                    s.synced.store(true, Ordering::Relaxed);
                }
                watcher::Event::Apply(m) => {
                    let (k, v) = entry(&m);
                    hashes.insert(k, v);
                }
                watcher::Event::Delete(m) => {
                    hashes.remove(&key(&m));
                }
            }
        }
    });
    seen
}

struct Operator {
    child: Child,
    log: PathBuf,
    group: bool,
}

impl Operator {
    fn start(
        bin: &Path,
        wrapper: &[String],
        kubeconfig: &Path,
        db: &Path,
        log: PathBuf,
    ) -> Result<Operator> {
        let file = std::fs::File::create(&log)?;
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.args([
            "operator",
            "--namespace",
            OP_NS,
            "--db",
            &db.to_string_lossy(),
            "--results-bind-address",
            "127.0.0.1:0",
            "--health-probe-bind-address",
            "",
            "--scanner-image",
            SCANNER_IMAGE,
            "--db-check-interval",
            "1s",
        ])
        .env("KUBECONFIG", kubeconfig)
        .env("PALISADE_LOG", "info")
        .env_remove("PALISADE_DB")
        .stdout(Stdio::null())
        .stderr(file);
        // Under a wrapper: its own process group, so the wrapper's child is stopped with it.
        // Otherwise it stays in ours and goes with a Ctrl-C of the benchmark.
        let group = !wrapper.is_empty();
        if group {
            cmd.process_group(0);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {} operator", bin.display()))?;
        Ok(Operator { child, log, group })
    }

    fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "the operator exited ({status}); log tail:\n{}",
                log_tail(&self.log, 15)
            );
        }
        Ok(())
    }
}

impl Operator {
    /// Sends `signal` to the operator (and, under a wrapper, its whole process group).
    fn signal_group(&self, signal: &str) {
        let target = if self.group {
            format!("-{}", self.child.id())
        } else {
            self.child.id().to_string()
        };
        let _ = Command::new("kill")
            .args([signal, "--", &target])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        // SIGTERM first: the operator shuts down cleanly and wrappers (heaptrack, perf) get to
        // write their data; SIGKILL whatever is left after 10 s.
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.signal_group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the operator has logged no report write for `quiet` (at most `cap`).
async fn settle(log: &Path, quiet: Duration, cap: Duration) {
    let start = Instant::now();
    let mut last_len = log_len(log);
    let mut last_change = Instant::now();
    while start.elapsed() < cap {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let len = log_len(log);
        if len != last_len {
            last_len = len;
            last_change = Instant::now();
        } else if last_change.elapsed() >= quiet {
            return;
        }
    }
}

/// Median resident set size over `span` (sampled by the sampler thread).
async fn steady_rss(sampler: &Sampler, span: Duration) -> f64 {
    let mut v = Vec::new();
    let start = Instant::now();
    while start.elapsed() < span {
        v.push(sampler.rss_kib());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    v.sort_unstable();
    mib(v.get(v.len() / 2).copied().unwrap_or(0))
}

// ------------------------------------------------------------------ the benchmark

#[derive(Default)]
struct Figures {
    pods: usize,
    replica_sets: usize,
    images: usize,
    namespaces: usize,
    packages_min: usize,
    packages_max: usize,
    bom_bytes: usize,
    b_inputs: String,
    setup: Duration,
    start_to_vuln: Option<Duration>,
    start_to_all: Option<Duration>,
    swap_to_all: Option<Duration>,
    swap_detect: Option<Duration>,
    jobs_start: usize,
    jobs_swap: usize,
    log_start: LogCounts,
    log_swap: LogCounts,
    findings_a: usize,
    findings_b: usize,
    vuln_without_cve: usize,
    sbom_rewritten_on_swap: usize,
    peak_start_mib: f64,
    peak_swap_mib: f64,
    /// (anon, file) MiB at the sampled peaks of the two phases.
    peak_split: [(f64, f64); 2],
    hwm_mib: f64,
    steady_start_mib: f64,
    steady_swap_mib: f64,
    sockets_start: usize,
    sockets_swap: usize,
    cpu_start: f64,
    cpu_swap: f64,
    bench_cpu_start: f64,
    bench_cpu_swap: f64,
    list_full_ms: f64,
    list_meta_ms: f64,
    list_sbom_full_ms: f64,
    list_sbom_meta_ms: f64,
    ssa_per_sec: f64,
    report_bytes: usize,
    report_bytes_b: usize,
}

impl Figures {
    fn record_mem(&mut self, sampler: &Sampler) {
        let (p1, p2) = (sampler.phase_mem(1), sampler.phase_mem(2));
        self.peak_start_mib = mib(p1.max_rss_kib);
        self.peak_swap_mib = mib(p2.max_rss_kib);
        self.peak_split = [
            (mib(p1.anon_at_max_kib), mib(p1.file_at_max_kib)),
            (mib(p2.anon_at_max_kib), mib(p2.file_at_max_kib)),
        ];
        self.hwm_mib = mib(sampler.hwm_kib());
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(
        args.pods_per_replicaset > 0 && args.pods % args.pods_per_replicaset == 0,
        "--pods must be a multiple of --pods-per-replicaset"
    );
    let rs_count = args.pods / args.pods_per_replicaset;
    ensure!(
        args.images > 0 && args.images <= rs_count,
        "--images must be between 1 and the number of ReplicaSets ({rs_count})"
    );
    ensure!(args.namespaces > 0, "--namespaces must be at least 1");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut fig = Figures::default();
    let result = rt.block_on(bench(&args, rs_count, &mut fig, rt.handle()));
    let failed = print_summary(&fig, result.as_ref().err());
    rt.shutdown_timeout(Duration::from_secs(2));
    if failed {
        std::process::exit(1);
    }
    Ok(())
}

async fn bench(
    args: &Args,
    rs_count: usize,
    fig: &mut Figures,
    handle: &tokio::runtime::Handle,
) -> Result<()> {
    let bin = match &args.palisade {
        Some(p) => p.clone(),
        None => PathBuf::from(env!("CARGO_BIN_EXE_palisade")),
    };
    ensure!(
        bin.exists(),
        "{} does not exist: build it with cargo build --release -p palisade",
        bin.display()
    );
    let images_dir = args
        .images_dir
        .clone()
        .unwrap_or_else(|| repo_root().join(".work/images"));
    let advisories = match &args.advisories {
        Some(p) => {
            ensure!(p.exists(), "{} does not exist", p.display());
            Some(p.clone())
        }
        None => Some(repo_root().join("../shared/data/advisories/debian12-changelogs.zip"))
            .filter(|p| p.exists()),
    };
    let _tmp;
    let work = match &args.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            let t = tempfile::tempdir()?;
            let p = t.path().to_path_buf();
            _tmp = t;
            p
        }
    };
    say(format!("work folder {}", work.display()));
    let layout = Layout {
        images: args.images,
        pods_per_rs: args.pods_per_replicaset,
        namespaces: args.namespaces,
    };
    fig.pods = args.pods;
    fig.replica_sets = rs_count;
    fig.images = args.images;
    fig.namespaces = args.namespaces;
    let phase_timeout = Duration::from_secs(args.phase_timeout);

    // ---------------------------------------------------------------- inputs
    let (db_a, db_b, b_inputs) = build_databases(&bin, &work, advisories.as_deref())?;
    fig.b_inputs = b_inputs;
    let base = base_bom(&bin, &images_dir, &db_a)?;
    let mut boms = Vec::with_capacity(args.images);
    for n in 0..args.images {
        let (bytes, packages) = bom_variant(&base, n)?;
        fig.packages_min = if n == 0 {
            packages
        } else {
            fig.packages_min.min(packages)
        };
        fig.packages_max = fig.packages_max.max(packages);
        fig.bom_bytes = fig.bom_bytes.max(bytes.len());
        boms.push(bytes);
    }
    let distinct: HashSet<&Vec<u8>> = boms.iter().collect();
    say(format!(
        "{} inventories ({} distinct), {}–{} packages each, BOM ≤ {} KiB",
        boms.len(),
        distinct.len(),
        fig.packages_min,
        fig.packages_max,
        fig.bom_bytes / 1024
    ));

    // ---------------------------------------------------------------- cluster
    let setup_start = Instant::now();
    let server = palisade_apiserver::serve(palisade_apiserver::Config {
        kubeconfig: Some(work.join("kubeconfig")),
        // No kubelet or ReplicaSet controller: the Pods below are the only ones and keep the
        // status written here; nothing creates or deletes Pods behind the benchmark's back.
        controllers: false,
        ..Default::default()
    })
    .await?;
    let kubeconfig = server.kubeconfig().to_path_buf();
    let client = client_for(&kubeconfig).await?;

    let crds_yaml = String::from_utf8(run_palisade(&bin, &["crds"])?)?;
    let crds: Vec<CustomResourceDefinition> = crds_yaml
        .split("\n---\n")
        .map(|d| d.trim_start_matches("---\n").trim())
        .filter(|d| !d.is_empty())
        .map(|d| yaml_serde::from_str(d).context("a document of `palisade crds`"))
        .collect::<Result<_>>()?;
    let crd_api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd_count = crds.len();
    create_all(|_| crd_api.clone(), crds, 4).await?;

    let ns_api: Api<Namespace> = Api::all(client.clone());
    let mut namespaces = vec![namespace(OP_NS)?];
    for i in 0..args.namespaces {
        namespaces.push(namespace(&format!("bench-{i}"))?);
    }
    create_all(|_| ns_api.clone(), namespaces, 4).await?;
    let node_api: Api<Node> = Api::all(client.clone());
    let created = node_api.create(&PostParams::default(), &node()?).await?;
    if created
        .status
        .as_ref()
        .and_then(|s| s.node_info.as_ref())
        .is_none()
    {
        let status = serde_json::to_value(node()?)?["status"].clone();
        node_api
            .patch_status(
                NODE,
                &PatchParams::default(),
                &Patch::Merge(&json!({ "status": status })),
            )
            .await?;
    }

    let rs_objs = (0..rs_count)
        .map(|i| replica_set(&layout, i))
        .collect::<Result<Vec<_>>>()?;
    let rs_created = create_all(
        |rs: &ReplicaSet| {
            Api::namespaced(
                client.clone(),
                rs.metadata.namespace.as_deref().unwrap_or_default(),
            )
        },
        rs_objs,
        16,
    )
    .await?;
    let rs_uid: Vec<String> = rs_created
        .iter()
        .map(|r| r.metadata.uid.clone().unwrap_or_default())
        .collect();
    say(format!(
        "{rs_count} ReplicaSets in {} namespaces",
        args.namespaces
    ));

    let mut pods = Vec::with_capacity(args.pods);
    for (i, uid) in rs_uid.iter().enumerate() {
        for j in 0..args.pods_per_replicaset {
            pods.push(pod(&layout, i, j, uid)?);
        }
    }
    let pods_created = create_all(
        |p: &Pod| {
            Api::namespaced(
                client.clone(),
                p.metadata.namespace.as_deref().unwrap_or_default(),
            )
        },
        pods,
        16,
    )
    .await?;
    let status_kept = pods_created.iter().all(|p| {
        p.status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.image_id.contains("@sha256:")))
    });
    if !status_kept {
        say("the API server dropped Pod status on create: writing it through /status");
        let statuses: Vec<(String, String, Value)> = pods_created
            .iter()
            .enumerate()
            .map(|(k, p)| {
                (
                    p.metadata.namespace.clone().unwrap_or_default(),
                    p.metadata.name.clone().unwrap_or_default(),
                    pod_status(layout.rs_image(k / layout.pods_per_rs)),
                )
            })
            .collect();
        futures::stream::iter(statuses.into_iter().map(|(ns, name, status)| {
            let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
            async move {
                api.patch_status(
                    &name,
                    &PatchParams::default(),
                    &Patch::Merge(&json!({ "status": status })),
                )
                .await
                .map(|_| ())
                .context("writing Pod status")
            }
        }))
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await?;
    }
    say(format!(
        "{} Pods, Running on {NODE} ({PLATFORM})",
        args.pods
    ));

    let now = Timestamp::now();
    let mut reports = Vec::with_capacity(args.images);
    for (n, bom) in boms.iter().enumerate() {
        // ReplicaSet n is the first to run image n.
        reports.push(cached_sbom_report(&layout, n, &rs_uid[n], bom, &now)?);
    }
    drop(boms);
    let sapi = sbom_api(&client);
    create_all(
        |o: &DynamicObject| {
            Api::namespaced_with(
                client.clone(),
                o.metadata.namespace.as_deref().unwrap_or_default(),
                &ApiResource::erase::<SbomReport>(&()),
            )
        },
        reports,
        8,
    )
    .await?;
    fig.setup = setup_start.elapsed();
    say(format!(
        "{crd_count} CRDs, {} cached SbomReports; set-up took {:.1} s",
        args.images,
        secs(fig.setup)
    ));
    let t = Instant::now();
    let all_sboms = list_full(&sapi, 500).await?;
    fig.list_sbom_full_ms = t.elapsed().as_secs_f64() * 1e3;
    ensure!(all_sboms.len() == args.images, "SbomReports missing");
    drop(all_sboms);

    let jobs = watch_jobs(&client, handle);
    let vmeta: Api<VulnerabilityReport> = Api::all(client.clone());
    let smeta: Api<SbomReport> = Api::all(client.clone());
    let vwatch = watch_reports(
        Api::<PartialObjectMeta<VulnerabilityReport>>::all(client.clone()),
        handle,
    );
    let swatch = watch_reports(
        Api::<PartialObjectMeta<SbomReport>>::all(client.clone()),
        handle,
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(jobs.synced.load(Ordering::Relaxed)
        && vwatch.synced.load(Ordering::Relaxed)
        && swatch.synced.load(Ordering::Relaxed))
    {
        ensure!(Instant::now() < deadline, "the watches never synced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // ---------------------------------------------------------------- phase 1: start
    let live = work.join("live.db");
    std::fs::copy(&db_a, &live)?;
    let bench_pid = std::process::id().to_string();
    let bench_cpu0 = proc_cpu_secs(&bench_pid).unwrap_or(0.0);
    let wrapper: Vec<String> = args
        .operator_wrapper
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut op = Operator::start(
        &bin,
        &wrapper,
        &kubeconfig,
        &live,
        work.join("operator.log"),
    )?;
    let op_pid = op.child.id();
    let t0 = Instant::now();
    let sampler = Sampler::start(op_pid, 1);
    say(format!(
        "operator started (pid {op_pid}); waiting for {rs_count} VulnerabilityReports and {rs_count} SbomReports"
    ));
    let vapi = vuln_api(&client);
    let mut last_say = Instant::now();
    loop {
        op.check_alive()?;
        let v_done = vwatch.hashed();
        let s_done = swatch.hashed();
        if v_done >= rs_count && fig.start_to_vuln.is_none() {
            fig.start_to_vuln = Some(t0.elapsed());
        }
        if v_done >= rs_count && s_done >= rs_count {
            fig.start_to_all = Some(t0.elapsed());
            break;
        }
        if last_say.elapsed() > Duration::from_secs(5) {
            last_say = Instant::now();
            say(format!(
                "{:.0} s: {v_done} VulnerabilityReports, {s_done} SbomReports written by the operator; RSS {:.1} MiB; {} Jobs",
                secs(t0.elapsed()),
                mib(sampler.rss_kib()),
                jobs.count()
            ));
        }
        if t0.elapsed() > phase_timeout {
            fig.jobs_start = jobs.count();
            fig.record_mem(&sampler);
            fig.log_start = count_log(&op.log, 0, log_len(&op.log))?;
            bail!(
                "timed out after {} s: {v_done}/{rs_count} VulnerabilityReports and {s_done}/{rs_count} SbomReports; log tail:\n{}",
                args.phase_timeout,
                log_tail(&op.log, 10)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    say(format!(
        "all reports present after {:.1} s; waiting for the operator to go quiet",
        secs(fig.start_to_all.unwrap_or_default())
    ));
    settle(&op.log, Duration::from_secs(3), Duration::from_secs(60)).await;
    fig.cpu_start = proc_cpu_secs(&op_pid.to_string()).unwrap_or(0.0);
    fig.bench_cpu_start = proc_cpu_secs(&bench_pid).unwrap_or(0.0) - bench_cpu0;
    fig.jobs_start = jobs.count();
    fig.record_mem(&sampler);
    fig.steady_start_mib = steady_rss(&sampler, Duration::from_secs(3)).await;
    fig.sockets_start = proc_sockets(op_pid);
    let split = log_len(&op.log);
    fig.log_start = count_log(&op.log, 0, split)?;

    // The API server's side: a plain full list and a metadata list of every report.
    let t = Instant::now();
    let before = list_full(&vapi, 500).await?;
    fig.list_full_ms = t.elapsed().as_secs_f64() * 1e3;
    fig.report_bytes = max_report_bytes(&before);
    let t = Instant::now();
    let vm = list_meta(&vmeta).await?;
    fig.list_meta_ms = t.elapsed().as_secs_f64() * 1e3;
    fig.findings_a = before.iter().map(|o| vuln_ids(o).len()).sum();
    let with_cve = before
        .iter()
        .filter(|o| vuln_ids(o).contains(B_ONLY_CVE))
        .count();
    ensure!(
        with_cve == 0,
        "{with_cve} reports show {B_ONLY_CVE} with database A"
    );
    drop(before);
    let old_hash: HashMap<(String, String), String> = vm
        .iter()
        .map(|m| {
            (
                obj_key(m),
                annotation(m, ANN_CONTENT_HASH)
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let t = Instant::now();
    let sm = list_meta(&smeta).await?;
    fig.list_sbom_meta_ms = t.elapsed().as_secs_f64() * 1e3;
    let sbom_versions: HashMap<(String, String), String> = sm
        .iter()
        .map(|m| {
            (
                obj_key(m),
                m.metadata.resource_version.clone().unwrap_or_default(),
            )
        })
        .collect();

    // ---------------------------------------------------------------- phase 2: database change
    sampler.set_phase(2);
    let bench_cpu1 = proc_cpu_secs(&bench_pid).unwrap_or(0.0);
    let cpu1 = proc_cpu_secs(&op_pid.to_string()).unwrap_or(0.0);
    let jobs1 = jobs.count();
    let tmp = work.join("live.db.new");
    std::fs::copy(&db_b, &tmp)?;
    std::fs::rename(&tmp, &live)?;
    let t1 = Instant::now();
    say("database replaced (A → B); waiting for every VulnerabilityReport to change");
    let mut last_say = Instant::now();
    let mut verified = false;
    while !verified {
        op.check_alive()?;
        if fig.swap_detect.is_none() {
            let l = count_log(&op.log, split, log_len(&op.log))?;
            if l.db_changes > 0 {
                fig.swap_detect = Some(t1.elapsed());
            }
        }
        let changed = vwatch
            .snapshot()
            .iter()
            .filter(|(k, h)| {
                h.as_ref()
                    .is_some_and(|h| old_hash.get(k).is_none_or(|o| o != h))
            })
            .count();
        let mut pause = Duration::from_millis(100);
        if changed >= rs_count {
            let at = t1.elapsed();
            // Contents: every report has B's findings.
            let full = list_full(&vapi, 500).await?;
            let missing = full
                .iter()
                .filter(|o| !vuln_ids(o).contains(B_ONLY_CVE))
                .count();
            fig.vuln_without_cve = missing;
            if missing == 0 && full.len() >= rs_count {
                fig.swap_to_all = Some(at);
                fig.findings_b = full.iter().map(|o| vuln_ids(o).len()).sum();
                fig.report_bytes_b = max_report_bytes(&full);
                verified = true;
                continue;
            }
            pause = Duration::from_millis(500);
        }
        if last_say.elapsed() > Duration::from_secs(5) {
            last_say = Instant::now();
            say(format!(
                "{:.0} s: {changed}/{rs_count} VulnerabilityReports changed; RSS {:.1} MiB",
                secs(t1.elapsed()),
                mib(sampler.rss_kib())
            ));
        }
        if t1.elapsed() > phase_timeout {
            fig.jobs_swap = jobs.count() - jobs1;
            fig.record_mem(&sampler);
            fig.log_swap = count_log(&op.log, split, log_len(&op.log))?;
            bail!(
                "timed out after {} s: {changed}/{rs_count} VulnerabilityReports changed; log tail:\n{}",
                args.phase_timeout,
                log_tail(&op.log, 10)
            );
        }
        tokio::time::sleep(pause).await;
    }
    say(format!(
        "every report shows database B after {:.1} s; waiting for the operator to go quiet",
        secs(fig.swap_to_all.unwrap_or_default())
    ));
    settle(&op.log, Duration::from_secs(3), Duration::from_secs(60)).await;
    fig.cpu_swap = proc_cpu_secs(&op_pid.to_string()).unwrap_or(0.0) - cpu1;
    fig.bench_cpu_swap = proc_cpu_secs(&bench_pid).unwrap_or(0.0) - bench_cpu1;
    fig.jobs_swap = jobs.count() - jobs1;
    fig.record_mem(&sampler);
    fig.steady_swap_mib = steady_rss(&sampler, Duration::from_secs(5)).await;
    fig.sockets_swap = proc_sockets(op_pid);
    fig.log_swap = count_log(&op.log, split, log_len(&op.log))?;
    fig.sbom_rewritten_on_swap = list_meta(&smeta)
        .await?
        .iter()
        .filter(|m| {
            sbom_versions.get(&obj_key(m))
                != Some(&m.metadata.resource_version.clone().unwrap_or_default())
        })
        .count();

    // The API server's write path: server-side apply of 200 reports as they are (dry run), 16
    // at a time as the operator does.
    let sample = list_full(&vapi, 200).await?;
    let sample: Vec<DynamicObject> = sample.into_iter().take(200).collect();
    let n = sample.len();
    let t = Instant::now();
    futures::stream::iter(sample.into_iter().map(|mut o| {
        let api: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            o.metadata.namespace.as_deref().unwrap_or_default(),
            &ApiResource::erase::<VulnerabilityReport>(&()),
        );
        o.metadata.managed_fields = None;
        o.metadata.resource_version = None;
        let name = o.metadata.name.clone().unwrap_or_default();
        async move {
            let pp = PatchParams::apply("palisade-operator").force().dry_run();
            api.patch(&name, &pp, &Patch::Apply(&o))
                .await
                .map(|_| ())
                .context("dry-run apply")
        }
    }))
    .buffer_unordered(16)
    .try_collect::<Vec<()>>()
    .await?;
    fig.ssa_per_sec = n as f64 / t.elapsed().as_secs_f64().max(1e-9);

    drop(sampler);
    drop(op);
    say(format!(
        "operator log: {}",
        work.join("operator.log").display()
    ));
    server.shutdown().await;
    Ok(())
}

/// Prints the table; returns whether anything failed.
fn print_summary(f: &Figures, error: Option<&anyhow::Error>) -> bool {
    let mut failed = error.is_some();
    let mut verdict = |ok: bool| {
        failed |= !ok;
        if ok { "PASS" } else { "FAIL" }
    };
    let opt = |d: Option<Duration>| d.map_or("—".to_owned(), |d| format!("{:.1}", secs(d)));
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut row = |a: &str, b: String, c: &str, d: &str| {
        rows.push([a.to_owned(), b, c.to_owned(), d.to_owned()]);
    };
    row(
        "Pods / ReplicaSets / images / namespaces",
        format!(
            "{} / {} / {} / {}",
            f.pods, f.replica_sets, f.images, f.namespaces
        ),
        "",
        "",
    );
    row(
        "cached inventories (SbomReports), packages each",
        format!("{}, {}–{}", f.images, f.packages_min, f.packages_max),
        "",
        "",
    );
    row(
        "reports expected (VulnerabilityReport + SbomReport)",
        format!("{} + {}", f.replica_sets, f.replica_sets),
        "",
        "",
    );
    row(
        "set-up (create everything), s",
        format!("{:.1}", secs(f.setup)),
        "",
        "",
    );
    row(
        "operator start → all VulnerabilityReports, s",
        opt(f.start_to_vuln),
        "",
        "",
    );
    row(
        "operator start → all reports present, s",
        opt(f.start_to_all),
        "",
        if f.start_to_all.is_some() { "" } else { "FAIL" },
    );
    let rec = f.swap_to_all.map(secs);
    let rec_ok = rec.is_some_and(|s| s < RECONCILE_TARGET_SECS);
    row(
        "DB swap → all VulnerabilityReports reconciled, s",
        opt(f.swap_to_all),
        "< 60",
        verdict(rec_ok),
    );
    row(
        "  of which: change noticed (log), s",
        opt(f.swap_detect),
        "",
        "",
    );
    row(
        "scan Jobs created (start / DB swap)",
        format!("{} / {}", f.jobs_start, f.jobs_swap),
        "0 / 0",
        verdict(f.jobs_start == 0 && f.jobs_swap == 0 && error.is_none()),
    );
    let start_ok =
        f.log_start.vuln_written == f.replica_sets && f.log_start.sbom_written == f.replica_sets;
    row(
        "report writes at start (Vuln / Sbom) [distinct reports]",
        format!(
            "{} / {} [{} / {}]",
            f.log_start.vuln_written,
            f.log_start.sbom_written,
            f.log_start.vuln_distinct,
            f.log_start.sbom_distinct
        ),
        &format!("{} / {}", f.replica_sets, f.replica_sets),
        verdict(start_ok),
    );
    let swap_ok = f.log_swap.vuln_written == f.replica_sets
        && f.log_swap.sbom_written == 0
        && f.sbom_rewritten_on_swap == 0;
    row(
        "report writes after DB swap (Vuln / Sbom) [distinct reports]",
        format!(
            "{} / {} [{} / {}]",
            f.log_swap.vuln_written,
            f.log_swap.sbom_written,
            f.log_swap.vuln_distinct,
            f.log_swap.sbom_distinct
        ),
        &format!("{} / 0", f.replica_sets),
        verdict(swap_ok),
    );
    row(
        "inventories read back from SbomReports",
        f.log_start.read_back.to_string(),
        &f.images.to_string(),
        verdict(f.log_start.read_back == f.images),
    );
    row(
        "findings in all reports, DB A → DB B",
        format!("{} → {}", f.findings_a, f.findings_b),
        "",
        "",
    );
    row(
        "largest VulnerabilityReport (JSON), DB A / DB B, KiB",
        format!(
            "{:.0} / {:.0}",
            f.report_bytes as f64 / 1024.0,
            f.report_bytes_b as f64 / 1024.0
        ),
        "",
        "",
    );
    row(
        "peak RSS during start / DB swap (sampled), MiB",
        format!("{:.1} / {:.1}", f.peak_start_mib, f.peak_swap_mib),
        "",
        "",
    );
    row(
        "  those peaks as anon+file-backed (start / DB swap), MiB",
        format!(
            "{:.1}+{:.1} / {:.1}+{:.1}",
            f.peak_split[0].0, f.peak_split[0].1, f.peak_split[1].0, f.peak_split[1].1
        ),
        "",
        "",
    );
    row(
        "peak RSS (VmHWM), MiB",
        format!("{:.1}", f.hwm_mib),
        "< 64",
        verdict(f.hwm_mib > 0.0 && f.hwm_mib < RSS_TARGET_MIB),
    );
    row(
        "steady RSS after start / after DB swap, MiB",
        format!("{:.1} / {:.1}", f.steady_start_mib, f.steady_swap_mib),
        "< 64",
        verdict(
            f.steady_swap_mib > 0.0
                && f.steady_start_mib < RSS_TARGET_MIB
                && f.steady_swap_mib < RSS_TARGET_MIB,
        ),
    );
    row(
        "operator's open sockets after start / after DB swap",
        format!("{} / {}", f.sockets_start, f.sockets_swap),
        "",
        "",
    );
    row(
        "operator CPU start / DB swap, s",
        format!("{:.1} / {:.1}", f.cpu_start, f.cpu_swap),
        "",
        "",
    );
    row(
        "benchmark + API server CPU start / DB swap, s",
        format!("{:.1} / {:.1}", f.bench_cpu_start, f.bench_cpu_swap),
        "",
        "",
    );
    row(
        "API server: full list of all VulnerabilityReports, ms",
        format!("{:.0}", f.list_full_ms),
        "",
        "",
    );
    row(
        "API server: metadata list of all VulnerabilityReports, ms",
        format!("{:.0}", f.list_meta_ms),
        "",
        "",
    );
    row(
        "API server: metadata list of all SbomReports, ms",
        format!("{:.0}", f.list_sbom_meta_ms),
        "",
        "",
    );
    row(
        "API server: full list of the cached SbomReports, ms",
        format!("{:.0}", f.list_sbom_full_ms),
        "",
        "",
    );
    row(
        "API server: server-side apply (dry run, 16 in flight), /s",
        format!("{:.0}", f.ssa_per_sec),
        "",
        "",
    );
    let w = [0, 1, 2, 3].map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0));
    println!();
    println!("palisade operator scale benchmark");
    println!("database B: {}", f.b_inputs);
    let pad = |s: &str, n: usize| format!("{s}{}", " ".repeat(n.saturating_sub(s.chars().count())));
    println!(
        "{}  {}  {}  result",
        pad("figure", w[0]),
        pad("value", w[1]),
        pad("target", w[2]),
    );
    for r in &rows {
        println!(
            "{}  {}  {}  {}",
            pad(&r[0], w[0]),
            pad(&r[1], w[1]),
            pad(&r[2], w[2]),
            r[3]
        );
    }
    for (what, l) in [("start", &f.log_start), ("DB swap", &f.log_swap)] {
        if l.warnings > 0 {
            println!("operator warnings/errors during {what}: {}", l.warnings);
            for e in &l.examples {
                println!("  {e}");
            }
        }
        if l.scan_jobs_started > 0 {
            println!(
                "operator log: {} scan Jobs started during {what}",
                l.scan_jobs_started
            );
        }
    }
    if f.vuln_without_cve > 0 {
        println!(
            "{} VulnerabilityReports changed but do not show {B_ONLY_CVE}",
            f.vuln_without_cve
        );
    }
    if let Some(e) = error {
        println!("benchmark failed: {e:#}");
    }
    println!("overall: {}", if failed { "FAIL" } else { "PASS" });
    failed
}
