//! The controllers tests depend on, in the spirit of kube-controller-manager plus a
//! kubelet, but minimal:
//!
//! - a Node named `palisade-node` that is Ready;
//! - Deployment → ReplicaSet (with `pod-template-hash` and the revision annotation) →
//!   Pods;
//! - a Job runner that acts as kubelet for Job pods: each container runs as a local
//!   process (image → command mapping from [`Config::image_commands`]), with its env and
//!   its Secret/ConfigMap volumes as files; stdout/stderr become the pod log and exit
//!   codes the container statuses; Jobs get Complete/Failed, `backoffLimit` and
//!   `activeDeadlineSeconds` (the process is killed);
//! - other pods are bound to the node and marked Running with an `imageID`.
//!
//! Everything runs in one loop that wakes on store changes and on a short tick; each
//! reconcile step holds the store lock only for synchronous work.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::sync::oneshot;

use crate::Config;
use crate::http::Shared;
use crate::registry;
use crate::store::{DeleteOptions, Store, TypeKey};
use crate::time::{format_rfc3339, now_secs, parse_rfc3339};

/// Name of the single node.
pub const NODE_NAME: &str = "palisade-node";

fn key(group: &str, plural: &str) -> TypeKey {
    (group.to_string(), plural.to_string())
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

fn now() -> String {
    format_rfc3339(now_secs())
}

/// FNV-1a, for stable pod-template hashes and fake image digests (the std hasher is
/// randomly seeded, and these must stay the same across restarts).
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A pod-template-hash in the real alphabet (no vowels, so no accidental words).
fn template_hash(template: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut x = fnv(template.to_string().as_bytes());
    (0..10)
        .map(|_| {
            let c = ALPHABET[(x % ALPHABET.len() as u64) as usize] as char;
            x /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

fn owner_ref(owner: &Value) -> Value {
    json!({"apiVersion": s(owner, "/apiVersion"), "kind": s(owner, "/kind"), "name": s(owner, "/metadata/name"),
           "uid": s(owner, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true})
}

fn owned_by<'a>(store: &'a Store, k: &TypeKey, uid: &str) -> Vec<&'a Value> {
    store
        .raw_all(k)
        .filter(|o| {
            o.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| refs.iter().any(|r| s(r, "/uid") == uid))
        })
        .collect()
}

fn deleting(o: &Value) -> bool {
    o.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

/// Writes `new` if it differs from the stored object (avoids event storms).
fn put_if_changed(store: &mut Store, k: &TypeKey, new: Value) {
    let ns = s(&new, "/metadata/namespace").to_string();
    let name = s(&new, "/metadata/name").to_string();
    if store.raw(k, &ns, &name) != Some(&new) {
        store.put_internal(k, new);
    }
}

/// Creates an object through the normal create path (uid, rv, timestamps).
fn create(store: &mut Store, group: &str, plural: &str, ns: &str, obj: Value) -> Option<Value> {
    let rt = store.registry.get(group, "v1", plural)?;
    match store.create(&rt, ns, obj, false) {
        Ok(o) => Some(o),
        Err(e) => {
            tracing::warn!(error = %e, plural, "controller create failed");
            None
        }
    }
}

struct JobRun {
    kill: Option<oneshot::Sender<()>>,
}

/// How long a failed digest lookup is remembered before it is tried again (a kubelet's
/// image pull back-off, simplified).
const RESOLVE_RETRY: Duration = Duration::from_secs(3);

/// State of one image's digest lookup.
enum Resolution {
    /// A task is asking the registry.
    Pending,
    /// The imageID to report.
    Done(String),
    /// The lookup failed; retried after [`RESOLVE_RETRY`].
    Failed { message: String, at: Instant },
}

/// Digest lookups for images of the configured registries, shared with the tasks that
/// perform them. Lookups run outside the store lock; pods wait in Pending (like
/// ContainerCreating) until theirs is done.
#[derive(Default)]
struct Resolver {
    cache: Mutex<BTreeMap<String, Resolution>>,
}

impl Resolver {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Resolution>> {
        // The map stays consistent per operation, so a poisoned lock is still usable.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The imageID of `image`: `Ok(Some)` when known, `Ok(None)` while a lookup runs,
    /// `Err` with the reason when the registry could not resolve it.
    fn image_id(self: &Arc<Self>, config: &Config, image: &str) -> Result<Option<String>, String> {
        let parsed = registry::ImageRef::parse(image);
        if !config.registries.contains(&parsed.registry) {
            return Ok(Some(image_id(image)));
        }
        if let Some(d) = &parsed.digest {
            return Ok(Some(format!("{}@{d}", parsed.repo())));
        }
        let mut cache = self.lock();
        match cache.get(image) {
            Some(Resolution::Done(id)) => return Ok(Some(id.clone())),
            Some(Resolution::Pending) => return Ok(None),
            Some(Resolution::Failed { message, at }) if at.elapsed() < RESOLVE_RETRY => {
                return Err(message.clone());
            }
            _ => {}
        }
        cache.insert(image.to_string(), Resolution::Pending);
        let me = self.clone();
        let image = image.to_string();
        tokio::spawn(async move {
            let result = registry::resolve_digest(&parsed, Duration::from_secs(10)).await;
            let entry = match result {
                Ok(d) => Resolution::Done(format!("{}@{d}", parsed.repo())),
                Err(e) => {
                    tracing::warn!(%image, error = %e, "resolving the image digest failed");
                    Resolution::Failed {
                        message: format!("Failed to pull image \"{image}\": {e}"),
                        at: Instant::now(),
                    }
                }
            };
            me.lock().insert(image, entry);
        });
        Ok(None)
    }
}

/// Runs the controllers until the task is aborted.
pub async fn run(shared: Arc<Shared>, config: Config) {
    let mut events = shared.lock().subscribe();
    let mut runs: BTreeMap<(String, String), JobRun> = BTreeMap::new();
    let config = Arc::new(config);
    let resolver = Arc::new(Resolver::default());
    loop {
        reconcile_all(&shared, &config, &resolver, &mut runs);
        tokio::select! {
            _ = events.recv() => {
                // Coalesce bursts of events into one pass.
                tokio::time::sleep(Duration::from_millis(20)).await;
                while events.try_recv().is_ok() {}
            }
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

fn reconcile_all(
    shared: &Arc<Shared>,
    config: &Arc<Config>,
    resolver: &Arc<Resolver>,
    runs: &mut BTreeMap<(String, String), JobRun>,
) {
    let mut store = shared.lock();
    ensure_node(&mut store);
    deployments(&mut store);
    replicasets(&mut store);
    statefulsets(&mut store);
    daemonsets(&mut store);
    cronjobs(&mut store);
    jobs(&mut store);
    pods(&mut store, shared, config, resolver, runs);
}

fn ensure_node(store: &mut Store) {
    let k = key("", "nodes");
    if store.raw(&k, "", NODE_NAME).is_some() {
        return;
    }
    let t = now();
    let node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": NODE_NAME, "labels": {"kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64", "node-role.kubernetes.io/control-plane": ""}},
        "spec": {},
    });
    if let Some(mut n) = create(store, "", "nodes", "", node) {
        n["status"] = json!({
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "palisade-apiserver runs this node",
                            "lastHeartbeatTime": t, "lastTransitionTime": t}],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": NODE_NAME}],
            "capacity": {"cpu": "2", "memory": "24Gi", "pods": "110"},
            "allocatable": {"cpu": "2", "memory": "24Gi", "pods": "110"},
            "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Palisade test node", "kernelVersion": "6.1.0",
                         "containerRuntimeVersion": "palisade://0.1.0", "operatingSystem": "linux", "architecture": "amd64"},
        });
        put_if_changed(store, &k, n);
    }
}

fn deployments(store: &mut Store) {
    let dk = key("apps", "deployments");
    let rk = key("apps", "replicasets");
    let deps: Vec<Value> = store
        .raw_all(&dk)
        .filter(|d| !deleting(d))
        .cloned()
        .collect();
    for d in deps {
        let ns = s(&d, "/metadata/namespace").to_string();
        let uid = s(&d, "/metadata/uid").to_string();
        let template = d
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let hash = template_hash(&template);
        let replicas = d
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let owned: Vec<Value> = owned_by(store, &rk, &uid).into_iter().cloned().collect();
        let max_rev = owned
            .iter()
            .filter_map(|r| {
                s(
                    r,
                    "/metadata/annotations/deployment.kubernetes.io~1revision",
                )
                .parse::<i64>()
                .ok()
            })
            .max()
            .unwrap_or(0);
        let name = format!("{}-{hash}", s(&d, "/metadata/name"));
        let current = owned
            .iter()
            .find(|r| s(r, "/metadata/name") == name)
            .cloned();
        match current {
            None => {
                let mut tpl = template.clone();
                tpl["metadata"]["labels"]["pod-template-hash"] = json!(hash);
                let mut selector = d
                    .pointer("/spec/selector")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                selector["matchLabels"]["pod-template-hash"] = json!(hash);
                let mut labels = template
                    .pointer("/metadata/labels")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                labels["pod-template-hash"] = json!(hash);
                let rs = json!({
                    "apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [owner_ref(&d)],
                                 "annotations": {"deployment.kubernetes.io/revision": (max_rev + 1).to_string(),
                                                 "deployment.kubernetes.io/desired-replicas": replicas.to_string()}},
                    "spec": {"replicas": replicas, "selector": selector, "template": tpl},
                });
                create(store, "apps", "replicasets", &ns, rs);
            }
            Some(mut rs) => {
                rs["spec"]["replicas"] = json!(replicas);
                put_if_changed(store, &rk, rs);
            }
        }
        // Old revisions scale to zero (a Recreate-like rollout: simple and deterministic).
        for mut old in owned.into_iter().filter(|r| s(r, "/metadata/name") != name) {
            old["spec"]["replicas"] = json!(0);
            put_if_changed(store, &rk, old);
        }
        let owned: Vec<Value> = owned_by(store, &rk, &uid).into_iter().cloned().collect();
        let sum = |p: &str| {
            owned
                .iter()
                .map(|r| r.pointer(p).and_then(Value::as_i64).unwrap_or(0))
                .sum::<i64>()
        };
        let updated = owned
            .iter()
            .find(|r| s(r, "/metadata/name") == name)
            .and_then(|r| r.pointer("/status/replicas"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let ready = sum("/status/readyReplicas");
        let mut nd = d.clone();
        let available = ready >= replicas;
        let t = now();
        let prev_conditions = d.pointer("/status/conditions").cloned();
        let mut status = json!({
            "observedGeneration": d.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
            "replicas": sum("/status/replicas"), "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": ready,
            "conditions": [
                {"type": "Available", "status": if available { "True" } else { "False" },
                 "reason": if available { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                 "message": if available { "Deployment has minimum availability." } else { "Deployment does not have minimum availability." },
                 "lastUpdateTime": t, "lastTransitionTime": t},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                 "message": format!("ReplicaSet \"{name}\" has successfully progressed."), "lastUpdateTime": t, "lastTransitionTime": t},
            ],
        });
        // Keep old condition timestamps when nothing else changed, to avoid endless writes.
        if let Some(prev) = prev_conditions {
            let strip = |v: &Value| {
                let mut v = v.clone();
                for c in v.as_array_mut().into_iter().flatten() {
                    if let Some(m) = c.as_object_mut() {
                        m.remove("lastUpdateTime");
                        m.remove("lastTransitionTime");
                    }
                }
                v
            };
            if strip(&prev) == strip(&status["conditions"]) {
                status["conditions"] = prev;
            }
        }
        for k in [
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
        ] {
            if status[k] == json!(0)
                && let Some(m) = status.as_object_mut()
            {
                m.remove(k);
            }
        }
        nd["status"] = status;
        put_if_changed(store, &dk, nd);
    }
}

fn replicasets(store: &mut Store) {
    let rk = key("apps", "replicasets");
    let pk = key("", "pods");
    let sets: Vec<Value> = store
        .raw_all(&rk)
        .filter(|r| !deleting(r))
        .cloned()
        .collect();
    for rs in sets {
        let ns = s(&rs, "/metadata/namespace").to_string();
        let uid = s(&rs, "/metadata/uid").to_string();
        let want = rs
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .max(0) as usize;
        let pods: Vec<Value> = owned_by(store, &pk, &uid)
            .into_iter()
            .filter(|p| !deleting(p))
            .cloned()
            .collect();
        if pods.len() < want {
            for _ in pods.len()..want {
                let tpl = rs
                    .pointer("/spec/template")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                let pod = json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"generateName": format!("{}-", s(&rs, "/metadata/name")), "namespace": ns,
                                 "labels": tpl.pointer("/metadata/labels").cloned().unwrap_or_else(|| json!({})),
                                 "ownerReferences": [owner_ref(&rs)]},
                    "spec": tpl.get("spec").cloned().unwrap_or_else(|| json!({})),
                });
                create(store, "", "pods", &ns, pod);
            }
        } else if pods.len() > want {
            let rt = store.registry.get("", "v1", "pods");
            for p in pods.iter().skip(want) {
                if let Some(rt) = &rt {
                    let _ = store.delete(
                        rt,
                        &ns,
                        s(p, "/metadata/name"),
                        &DeleteOptions::default(),
                        false,
                    );
                }
            }
        }
        let pods: Vec<Value> = owned_by(store, &pk, &uid)
            .into_iter()
            .filter(|p| !deleting(p))
            .cloned()
            .collect();
        let ready = pods
            .iter()
            .filter(|p| s(p, "/status/phase") == "Running")
            .count();
        let mut nrs = rs.clone();
        let mut status = json!({"replicas": pods.len(), "observedGeneration": rs.pointer("/metadata/generation").cloned().unwrap_or(json!(1))});
        if ready > 0 {
            status["readyReplicas"] = json!(ready);
            status["availableReplicas"] = json!(ready);
            status["fullyLabeledReplicas"] = json!(pods.len());
        }
        nrs["status"] = status;
        put_if_changed(store, &rk, nrs);
    }
}

/// A pod from a workload's template, owned by `owner`, with `extra` labels; `naming` is
/// `("name", n)` or `("generateName", prefix)`.
fn pod_from_template(
    owner: &Value,
    naming: (&str, String),
    extra_labels: &[(&str, String)],
) -> Value {
    let tpl = owner
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut labels = tpl
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    for (k, v) in extra_labels {
        labels[*k] = json!(v);
    }
    let mut meta = json!({"namespace": s(owner, "/metadata/namespace"), "labels": labels,
                          "ownerReferences": [owner_ref(owner)]});
    meta[naming.0] = json!(naming.1);
    if let Some(a) = tpl.pointer("/metadata/annotations") {
        meta["annotations"] = a.clone();
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
           "spec": tpl.get("spec").cloned().unwrap_or_else(|| json!({}))})
}

fn delete_pod(store: &mut Store, ns: &str, name: &str) {
    if let Some(rt) = store.registry.get("", "v1", "pods") {
        let _ = store.delete(&rt, ns, name, &DeleteOptions::default(), false);
    }
}

fn ready(p: &Value) -> bool {
    s(p, "/status/phase") == "Running" && !deleting(p)
}

/// StatefulSets: pods `<name>-0` … `<name>-(n-1)` with stable names, created in order
/// (each waits for the previous to run, like `OrderedReady`), removed from the highest
/// ordinal down; a template change replaces pods from the highest ordinal down, one at a
/// time (RollingUpdate).
fn statefulsets(store: &mut Store) {
    let sk = key("apps", "statefulsets");
    let pk = key("", "pods");
    let sets: Vec<Value> = store
        .raw_all(&sk)
        .filter(|o| !deleting(o))
        .cloned()
        .collect();
    for sts in sets {
        let ns = s(&sts, "/metadata/namespace").to_string();
        let uid = s(&sts, "/metadata/uid").to_string();
        let sname = s(&sts, "/metadata/name").to_string();
        let revision = format!(
            "{sname}-{}",
            template_hash(sts.pointer("/spec/template").unwrap_or(&Value::Null))
        );
        let want = sts
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .max(0);
        let ordinal = |p: &Value| -> Option<i64> {
            s(p, "/metadata/name")
                .strip_prefix(&format!("{sname}-"))
                .and_then(|o| o.parse().ok())
        };
        let mut pods: Vec<(i64, Value)> = owned_by(store, &pk, &uid)
            .into_iter()
            .filter_map(|p| ordinal(p).map(|o| (o, p.clone())))
            .collect();
        pods.sort_by_key(|(o, _)| *o);
        let busy = pods.iter().any(|(_, p)| deleting(p));
        if !busy {
            // One step per pass: create the lowest missing ordinal once all lower ones
            // run, else delete the highest extra or outdated pod.
            let missing = (0..want).find(|o| !pods.iter().any(|(po, _)| po == o));
            let all_ready_below =
                |o: i64| pods.iter().filter(|(po, _)| *po < o).all(|(_, p)| ready(p));
            if let Some(o) = missing.filter(|o| all_ready_below(*o)) {
                let pname = format!("{sname}-{o}");
                let mut pod = pod_from_template(
                    &sts,
                    ("name", pname.clone()),
                    &[
                        ("controller-revision-hash", revision.clone()),
                        ("statefulset.kubernetes.io/pod-name", pname.clone()),
                        ("apps.kubernetes.io/pod-index", o.to_string()),
                    ],
                );
                pod["spec"]["hostname"] = json!(pname);
                if let Some(svc) = sts.pointer("/spec/serviceName").and_then(Value::as_str) {
                    pod["spec"]["subdomain"] = json!(svc);
                }
                create(store, "", "pods", &ns, pod);
            } else if let Some((_, p)) = pods.iter().rev().find(|(o, _)| *o >= want) {
                delete_pod(store, &ns, s(p, "/metadata/name"));
            } else if missing.is_none()
                && pods.iter().all(|(_, p)| ready(p))
                && let Some((_, p)) = pods
                    .iter()
                    .rev()
                    .find(|(_, p)| s(p, "/metadata/labels/controller-revision-hash") != revision)
            {
                delete_pod(store, &ns, s(p, "/metadata/name"));
            }
        }
        let pods: Vec<Value> = owned_by(store, &pk, &uid)
            .into_iter()
            .filter(|p| !deleting(p))
            .cloned()
            .collect();
        let count = pods.len();
        let ready_n = pods.iter().filter(|p| ready(p)).count();
        let updated = pods
            .iter()
            .filter(|p| s(p, "/metadata/labels/controller-revision-hash") == revision)
            .count();
        let mut ns_obj = sts.clone();
        let mut status = json!({
            "observedGeneration": sts.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
            "replicas": count, "currentReplicas": updated, "updatedReplicas": updated,
            "currentRevision": revision, "updateRevision": revision, "collisionCount": 0,
            "availableReplicas": ready_n,
        });
        if ready_n > 0 {
            status["readyReplicas"] = json!(ready_n);
        }
        ns_obj["status"] = status;
        put_if_changed(store, &sk, ns_obj);
    }
}

/// DaemonSets: one pod per node whose labels match the template's `nodeSelector`,
/// bound to that node; a template change replaces the pods.
fn daemonsets(store: &mut Store) {
    let dk = key("apps", "daemonsets");
    let pk = key("", "pods");
    let nodes: Vec<Value> = store
        .raw_all(&key("", "nodes"))
        .filter(|n| !deleting(n))
        .cloned()
        .collect();
    let sets: Vec<Value> = store
        .raw_all(&dk)
        .filter(|o| !deleting(o))
        .cloned()
        .collect();
    for ds in sets {
        let ns = s(&ds, "/metadata/namespace").to_string();
        let uid = s(&ds, "/metadata/uid").to_string();
        let hash = template_hash(ds.pointer("/spec/template").unwrap_or(&Value::Null));
        let generation = ds
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let selector = ds
            .pointer("/spec/template/spec/nodeSelector")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let eligible: Vec<String> = nodes
            .iter()
            .filter(|n| {
                selector
                    .iter()
                    .all(|(k, v)| n.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v))
            })
            .map(|n| s(n, "/metadata/name").to_string())
            .collect();
        let pods: Vec<Value> = owned_by(store, &pk, &uid)
            .into_iter()
            .filter(|p| !deleting(p))
            .cloned()
            .collect();
        for p in &pods {
            let node = s(p, "/spec/nodeName");
            let outdated = s(p, "/metadata/labels/controller-revision-hash") != hash;
            if outdated || !eligible.iter().any(|n| n == node) {
                delete_pod(store, &ns, s(p, "/metadata/name"));
            }
        }
        for node in &eligible {
            let has = owned_by(store, &pk, &uid)
                .into_iter()
                .any(|p| s(p, "/spec/nodeName") == node);
            if !has {
                let mut pod = pod_from_template(
                    &ds,
                    ("generateName", format!("{}-", s(&ds, "/metadata/name"))),
                    &[
                        ("controller-revision-hash", hash.clone()),
                        ("pod-template-generation", generation.to_string()),
                    ],
                );
                pod["spec"]["nodeName"] = json!(node);
                create(store, "", "pods", &ns, pod);
            }
        }
        let pods: Vec<Value> = owned_by(store, &pk, &uid)
            .into_iter()
            .filter(|p| !deleting(p))
            .cloned()
            .collect();
        let ready_n = pods.iter().filter(|p| ready(p)).count();
        let updated = pods
            .iter()
            .filter(|p| s(p, "/metadata/labels/controller-revision-hash") == hash)
            .count();
        let mut nd = ds.clone();
        nd["status"] = json!({
            "observedGeneration": generation, "desiredNumberScheduled": eligible.len(),
            "currentNumberScheduled": pods.len(), "numberMisscheduled": 0, "numberReady": ready_n,
            "updatedNumberScheduled": updated, "numberAvailable": ready_n,
        });
        put_if_changed(store, &dk, nd);
    }
}

/// CronJobs: when a scheduled minute has passed since the last run (or creation), a Job
/// named `<cronjob>-<minutes since epoch>` is made from `jobTemplate`, honouring
/// `suspend`, `concurrencyPolicy`, `startingDeadlineSeconds` and the history limits.
fn cronjobs(store: &mut Store) {
    let ck = key("batch", "cronjobs");
    let jk = key("batch", "jobs");
    let list: Vec<Value> = store
        .raw_all(&ck)
        .filter(|o| !deleting(o))
        .cloned()
        .collect();
    let now_s = now_secs();
    for cj in list {
        let ns = s(&cj, "/metadata/namespace").to_string();
        let uid = s(&cj, "/metadata/uid").to_string();
        let cname = s(&cj, "/metadata/name").to_string();
        let mut jobs: Vec<Value> = owned_by(store, &jk, &uid)
            .into_iter()
            .filter(|j| !deleting(j))
            .cloned()
            .collect();
        jobs.sort_by_key(|j| s(j, "/metadata/creationTimestamp").to_string());
        let (finished, active): (Vec<&Value>, Vec<&Value>) =
            jobs.iter().partition(|j| job_finished(j));
        let mut ncj = cj.clone();
        let schedule = match crate::cron::Schedule::parse(s(&cj, "/spec/schedule")) {
            Ok(sch) => Some(sch),
            Err(e) => {
                tracing::debug!(cronjob = %cname, error = %e, "not scheduling");
                None
            }
        };
        let last = parse_rfc3339(s(&cj, "/status/lastScheduleTime"))
            .or_else(|| parse_rfc3339(s(&cj, "/metadata/creationTimestamp")))
            .unwrap_or(now_s);
        let suspended = cj.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
        let due = schedule
            .as_ref()
            .and_then(|sch| sch.latest_due(last, now_s))
            .filter(|_| !suspended)
            .filter(|t| {
                cj.pointer("/spec/startingDeadlineSeconds")
                    .and_then(Value::as_i64)
                    .is_none_or(|d| now_s - t <= d)
            });
        let mut active_refs: Vec<Value> = active.iter().map(|j| object_ref(j)).collect();
        if let Some(t) = due {
            let policy = s(&cj, "/spec/concurrencyPolicy");
            let run = match policy {
                "Forbid" => active.is_empty(),
                "Replace" => {
                    if let Some(rt) = store.registry.get("batch", "v1", "jobs") {
                        let bg = DeleteOptions {
                            propagation: Some("Background".into()),
                            ..Default::default()
                        };
                        for j in &active {
                            let _ = store.delete(&rt, &ns, s(j, "/metadata/name"), &bg, false);
                        }
                    }
                    active_refs.clear();
                    true
                }
                _ => true,
            };
            if run {
                let tpl = cj
                    .pointer("/spec/jobTemplate")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                let mut meta = tpl.get("metadata").cloned().unwrap_or_else(|| json!({}));
                meta["name"] = json!(format!("{cname}-{}", t / 60));
                meta["namespace"] = json!(ns);
                meta["ownerReferences"] = json!([owner_ref(&cj)]);
                meta["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] =
                    json!(format_rfc3339(t));
                let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                                 "spec": tpl.get("spec").cloned().unwrap_or_else(|| json!({}))});
                if let Some(made) = create(store, "batch", "jobs", &ns, job) {
                    active_refs.push(object_ref(&made));
                }
            }
            // A skipped run (Forbid) still counts as handled for this minute.
            ncj["status"]["lastScheduleTime"] = json!(format_rfc3339(t));
        }
        // Finished Jobs beyond the history limits are deleted, oldest first.
        let limit = |field: &str, default: i64| {
            cj.pointer(&format!("/spec/{field}"))
                .and_then(Value::as_i64)
                .unwrap_or(default)
                .max(0) as usize
        };
        let succeeded: Vec<&&Value> = finished.iter().filter(|j| job_succeeded(j)).collect();
        let failed: Vec<&&Value> = finished.iter().filter(|j| !job_succeeded(j)).collect();
        if let Some(rt) = store.registry.get("batch", "v1", "jobs") {
            let bg = DeleteOptions {
                propagation: Some("Background".into()),
                ..Default::default()
            };
            for (set, keep) in [
                (&succeeded, limit("successfulJobsHistoryLimit", 3)),
                (&failed, limit("failedJobsHistoryLimit", 1)),
            ] {
                for j in set.iter().take(set.len().saturating_sub(keep)) {
                    let _ = store.delete(&rt, &ns, s(j, "/metadata/name"), &bg, false);
                }
            }
        }
        if let Some(t) = succeeded
            .iter()
            .filter_map(|j| j.pointer("/status/completionTime").and_then(Value::as_str))
            .max()
        {
            ncj["status"]["lastSuccessfulTime"] = json!(t);
        }
        match ncj.get_mut("status").and_then(Value::as_object_mut) {
            Some(st) if active_refs.is_empty() => {
                st.remove("active");
            }
            Some(st) => {
                st.insert("active".into(), Value::Array(active_refs));
            }
            None if !active_refs.is_empty() => ncj["status"]["active"] = Value::Array(active_refs),
            None => {}
        }
        put_if_changed(store, &ck, ncj);
    }
}

/// An ObjectReference to `o`, as CronJob status lists its active Jobs.
fn object_ref(o: &Value) -> Value {
    json!({"apiVersion": s(o, "/apiVersion"), "kind": s(o, "/kind"), "name": s(o, "/metadata/name"),
           "namespace": s(o, "/metadata/namespace"), "uid": s(o, "/metadata/uid")})
}

fn job_succeeded(job: &Value) -> bool {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| s(c, "/type") == "Complete" && s(c, "/status") == "True")
        })
}

fn job_condition(t: &str, reason: &str, message: &str) -> Value {
    let n = now();
    json!({"type": t, "status": "True", "reason": reason, "message": message, "lastProbeTime": n, "lastTransitionTime": n})
}

fn job_finished(job: &Value) -> bool {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                matches!(s(c, "/type"), "Complete" | "Failed") && s(c, "/status") == "True"
            })
        })
}

fn jobs(store: &mut Store) {
    let jk = key("batch", "jobs");
    let pk = key("", "pods");
    let list: Vec<Value> = store
        .raw_all(&jk)
        .filter(|j| !deleting(j))
        .cloned()
        .collect();
    for job in list {
        if job_finished(&job) || job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true)
        {
            continue;
        }
        let ns = s(&job, "/metadata/namespace").to_string();
        let uid = s(&job, "/metadata/uid").to_string();
        let pods: Vec<Value> = owned_by(store, &pk, &uid).into_iter().cloned().collect();
        let phase_count =
            |ph: &str| pods.iter().filter(|p| s(p, "/status/phase") == ph).count() as i64;
        let succeeded = phase_count("Succeeded");
        let failed = phase_count("Failed");
        let active: Vec<&Value> = pods
            .iter()
            .filter(|p| !matches!(s(p, "/status/phase"), "Succeeded" | "Failed") && !deleting(p))
            .collect();
        let completions = job
            .pointer("/spec/completions")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let backoff = job
            .pointer("/spec/backoffLimit")
            .and_then(Value::as_i64)
            .unwrap_or(6);
        let mut nj = job.clone();
        let start = match job.pointer("/status/startTime").and_then(Value::as_str) {
            Some(t) => t.to_string(),
            None => now(),
        };
        nj["status"]["startTime"] = json!(start);
        let deadline = job
            .pointer("/spec/activeDeadlineSeconds")
            .and_then(Value::as_i64);
        let over_deadline =
            deadline.is_some_and(|d| parse_rfc3339(&start).is_some_and(|st| now_secs() - st >= d));
        let mut finished = None;
        if succeeded >= completions {
            finished = Some((
                "Complete",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
            ));
        } else if failed > backoff {
            finished = Some((
                "Failed",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
            ));
        } else if over_deadline {
            finished = Some((
                "Failed",
                "DeadlineExceeded",
                "Job was active longer than specified deadline",
            ));
        }
        match finished {
            Some((t, reason, message)) => {
                // Active pods of a finished job are stopped (the runner kills their processes).
                if let Some(rt) = store.registry.get("", "v1", "pods") {
                    for p in &active {
                        let mut np = (*p).clone();
                        np["status"]["phase"] = json!("Failed");
                        np["status"]["reason"] = json!("DeadlineExceeded");
                        np["status"]["message"] =
                            json!("Pod was active on the node longer than the specified deadline");
                        put_if_changed(store, &pk, np);
                        let _ = rt;
                    }
                }
                let mut conds = Vec::new();
                if t == "Complete" {
                    conds.push(job_condition("SuccessCriteriaMet", reason, message));
                    nj["status"]["completionTime"] = json!(now());
                } else {
                    conds.push(job_condition("FailureTarget", reason, message));
                }
                conds.push(job_condition(t, reason, message));
                nj["status"]["conditions"] = Value::Array(conds);
                if let Some(m) = nj["status"].as_object_mut() {
                    m.remove("active");
                    m.insert("ready".into(), json!(0));
                }
            }
            None => {
                if active.is_empty() {
                    let tpl = job
                        .pointer("/spec/template")
                        .cloned()
                        .unwrap_or_else(|| json!({}));
                    let mut labels = tpl
                        .pointer("/metadata/labels")
                        .cloned()
                        .unwrap_or_else(|| json!({}));
                    for (k, v) in [
                        ("batch.kubernetes.io/controller-uid", uid.as_str()),
                        ("controller-uid", uid.as_str()),
                        ("batch.kubernetes.io/job-name", s(&job, "/metadata/name")),
                        ("job-name", s(&job, "/metadata/name")),
                    ] {
                        labels[k] = json!(v);
                    }
                    let pod = json!({
                        "apiVersion": "v1", "kind": "Pod",
                        "metadata": {"generateName": format!("{}-", s(&job, "/metadata/name")), "namespace": ns, "labels": labels,
                                     "ownerReferences": [owner_ref(&job)]},
                        "spec": tpl.get("spec").cloned().unwrap_or_else(|| json!({})),
                    });
                    create(store, "", "pods", &ns, pod);
                }
                nj["status"]["active"] = json!(active.len().max(1));
                nj["status"]["ready"] = json!(0);
            }
        }
        for (k, v) in [("succeeded", succeeded), ("failed", failed)] {
            if v > 0 {
                nj["status"][k] = json!(v);
            }
        }
        nj["status"]["uncountedTerminatedPods"] = json!({});
        put_if_changed(store, &jk, nj);
    }
}

fn image_id(image: &str) -> String {
    let repo = image.split('@').next().unwrap_or(image);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    let repo = if repo.contains('/') {
        repo.to_string()
    } else {
        format!("docker.io/library/{repo}")
    };
    let h = fnv(image.as_bytes());
    format!(
        "{repo}@sha256:{h:016x}{:016x}{:016x}{:016x}",
        h.rotate_left(16),
        h.rotate_left(32),
        h.rotate_left(48)
    )
}

/// The containers of a pod spec list (`containers` or `initContainers`).
fn containers_of<'a>(pod: &'a Value, list: &str) -> impl Iterator<Item = &'a Value> {
    pod.pointer(&format!("/spec/{list}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A stable fake container ID (`palisade://…`), as runtimes report one per container.
fn container_id(pod: &str, c: &Value) -> String {
    format!(
        "palisade://{:016x}",
        fnv(format!("{pod}/{}", s(c, "/name")).as_bytes())
    )
}

fn is_job_pod(p: &Value) -> bool {
    p.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|o| s(o, "/kind") == "Job"))
}

fn pods(
    store: &mut Store,
    shared: &Arc<Shared>,
    config: &Arc<Config>,
    resolver: &Arc<Resolver>,
    runs: &mut BTreeMap<(String, String), JobRun>,
) {
    let pk = key("", "pods");
    let all: Vec<Value> = store.raw_all(&pk).cloned().collect();
    let mut alive = BTreeSet::new();
    for p in all {
        let ns = s(&p, "/metadata/namespace").to_string();
        let name = s(&p, "/metadata/name").to_string();
        let phase = s(&p, "/status/phase").to_string();
        if !deleting(&p) && !matches!(phase.as_str(), "Succeeded" | "Failed") {
            alive.insert((ns.clone(), name.clone()));
        }
        if phase != "Pending" || deleting(&p) || p.pointer("/status/startTime").is_some() {
            continue;
        }
        // Running workloads report the digest of the image they run; resolve it first.
        let mut ids = Vec::new();
        if !is_job_pod(&p) {
            let mut waiting = false;
            let mut failures = Vec::new();
            for c in containers_of(&p, "containers") {
                match resolver.image_id(config, s(c, "/image")) {
                    Ok(Some(id)) => ids.push(id),
                    Ok(None) => waiting = true,
                    Err(message) => failures.push((c.clone(), message)),
                }
            }
            if !failures.is_empty() {
                let mut np = p.clone();
                np["status"]["containerStatuses"] = failures
                    .iter()
                    .map(|(c, message)| {
                        json!({"name": s(c, "/name"), "image": s(c, "/image"), "imageID": "", "ready": false,
                               "restartCount": 0, "started": false,
                               "state": {"waiting": {"reason": "ErrImagePull", "message": message}}})
                    })
                    .collect();
                put_if_changed(store, &pk, np);
                continue;
            }
            if waiting {
                continue;
            }
        }
        let mut np = p.clone();
        if s(&p, "/spec/nodeName").is_empty() {
            np["spec"]["nodeName"] = json!(NODE_NAME);
        }
        let t = now();
        np["status"]["startTime"] = json!(t);
        np["status"]["hostIP"] = json!("127.0.0.1");
        let ip = format!("10.244.0.{}", 2 + fnv(name.as_bytes()) % 250);
        np["status"]["podIP"] = json!(ip);
        np["status"]["podIPs"] = json!([{"ip": ip}]);
        np["status"]["hostIPs"] = json!([{"ip": "127.0.0.1"}]);
        np["status"]["qosClass"] = json!("BestEffort");
        if is_job_pod(&p) {
            // With init containers the pod stays Pending until they are done (the
            // runner then marks it Running).
            if containers_of(&p, "initContainers").next().is_none() {
                np["status"]["phase"] = json!("Running");
                np["status"]["containerStatuses"] = running_statuses(&p, &t);
            }
            let (tx, rx) = oneshot::channel();
            runs.insert((ns.clone(), name.clone()), JobRun { kill: Some(tx) });
            let env = container_inputs(store, &p);
            tokio::spawn(run_pod(shared.clone(), config.clone(), p.clone(), env, rx));
        } else {
            np["status"]["phase"] = json!("Running");
            np["status"]["conditions"] = json!([
                {"type": "Initialized", "status": "True", "lastTransitionTime": t},
                {"type": "Ready", "status": "True", "lastTransitionTime": t},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": t},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": t},
            ]);
            np["status"]["containerStatuses"] = containers_of(&p, "containers")
                .zip(ids)
                .map(|(c, id)| {
                    json!({"name": s(c, "/name"), "image": s(c, "/image"), "imageID": id, "containerID": container_id(&name, c), "ready": true,
                           "restartCount": 0, "started": true, "state": {"running": {"startedAt": t}}})
                })
                .collect();
            // Init containers of running workloads run nothing here; they report done.
            let inits: Vec<Value> = containers_of(&p, "initContainers")
                .map(|c| {
                    json!({"name": s(c, "/name"), "image": s(c, "/image"), "imageID": image_id(s(c, "/image")), "containerID": container_id(&name, c), "ready": true,
                           "restartCount": 0, "started": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t}}})
                })
                .collect();
            if !inits.is_empty() {
                np["status"]["initContainerStatuses"] = Value::Array(inits);
            }
        }
        put_if_changed(store, &pk, np);
    }
    // Processes of pods that were deleted or stopped are killed.
    let gone: Vec<(String, String)> = runs
        .keys()
        .filter(|k| !alive.contains(*k))
        .cloned()
        .collect();
    for k in gone {
        if let Some(mut r) = runs.remove(&k)
            && let Some(tx) = r.kill.take()
        {
            let _ = tx.send(());
        }
    }
}

/// What a container needs from the store: resolved env and files of mounted volumes,
/// per container name.
struct PodInputs {
    env: BTreeMap<String, Vec<(String, String)>>,
    files: BTreeMap<String, Vec<(String, Vec<u8>)>>,
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= val(*c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

fn container_inputs(store: &Store, pod: &Value) -> PodInputs {
    let ns = s(pod, "/metadata/namespace");
    let get = |plural: &str, name: &str| store.raw(&key("", plural), ns, name).cloned();
    let data_of = |plural: &str, name: &str| -> BTreeMap<String, Vec<u8>> {
        let Some(o) = get(plural, name) else {
            return BTreeMap::new();
        };
        let mut m = BTreeMap::new();
        for (k, v) in o
            .get("data")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let text = v.as_str().unwrap_or_default();
            let bytes = if plural == "secrets" {
                decode_base64(text).unwrap_or_default()
            } else {
                text.as_bytes().to_vec()
            };
            m.insert(k.clone(), bytes);
        }
        for (k, v) in o
            .get("stringData")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            m.insert(
                k.clone(),
                v.as_str().unwrap_or_default().as_bytes().to_vec(),
            );
        }
        m
    };
    let volumes: BTreeMap<String, (String, String)> = pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let name = s(v, "/name").to_string();
            if let Some(sec) = v.pointer("/secret/secretName").and_then(Value::as_str) {
                Some((name, ("secrets".to_string(), sec.to_string())))
            } else {
                v.pointer("/configMap/name")
                    .and_then(Value::as_str)
                    .map(|cm| (name, ("configmaps".to_string(), cm.to_string())))
            }
        })
        .collect();
    let mut env = BTreeMap::new();
    let mut files = BTreeMap::new();
    for c in containers_of(pod, "initContainers").chain(containers_of(pod, "containers")) {
        let cname = s(c, "/name").to_string();
        let mut vars = Vec::new();
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            let n = s(e, "/name").to_string();
            let v = if let Some(v) = e.get("value").and_then(Value::as_str) {
                v.to_string()
            } else if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
                data_of("secrets", s(r, "/name"))
                    .get(s(r, "/key"))
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            } else if let Some(r) = e.pointer("/valueFrom/configMapKeyRef") {
                data_of("configmaps", s(r, "/name"))
                    .get(s(r, "/key"))
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            } else if let Some(f) = e
                .pointer("/valueFrom/fieldRef/fieldPath")
                .and_then(Value::as_str)
            {
                let ptr = format!("/{}", f.replace('.', "/"));
                s(pod, &ptr).to_string()
            } else {
                String::new()
            };
            vars.push((n, v));
        }
        let mut fs = Vec::new();
        for m in c
            .get("volumeMounts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some((plural, obj)) = volumes.get(s(m, "/name")) {
                for (k, bytes) in data_of(plural, obj) {
                    fs.push((
                        format!("{}/{k}", s(m, "/mountPath").trim_end_matches('/')),
                        bytes,
                    ));
                }
            }
        }
        env.insert(cname.clone(), vars);
        files.insert(cname, fs);
    }
    PodInputs { env, files }
}

/// The local command for a container, or None when its image is not mapped.
fn command_for(config: &Config, container: &Value) -> Option<Vec<String>> {
    let image = s(container, "/image");
    let repo = image.split('@').next().unwrap_or(image);
    let repo_no_tag = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    let strs = |p: &str| -> Vec<String> {
        container
            .get(p)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let (command, args) = (strs("command"), strs("args"));
    let mapped = config
        .image_commands
        .get(image)
        .or_else(|| config.image_commands.get(repo_no_tag));
    match mapped {
        Some(base) => Some(base.iter().cloned().chain(command).chain(args).collect()),
        None if config.run_unmapped_images_with_shell && !command.is_empty() => {
            Some(command.into_iter().chain(args).collect())
        }
        None => None,
    }
}

fn rewrite_mount_paths(arg: &str, mounts: &[String], root: &Path) -> String {
    for m in mounts {
        if let Some(rest) = arg.strip_prefix(m.as_str())
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return format!("{}{rest}", root.join(m.trim_start_matches('/')).display());
        }
    }
    arg.to_string()
}

/// Running-state status of a Job pod's main containers.
fn running_statuses(pod: &Value, t: &str) -> Value {
    let name = s(pod, "/metadata/name");
    containers_of(pod, "containers")
        .map(|c| {
            json!({"name": s(c, "/name"), "image": s(c, "/image"), "imageID": image_id(s(c, "/image")), "containerID": container_id(name, c), "ready": true,
                   "restartCount": 0, "started": true, "state": {"running": {"startedAt": t}}})
        })
        .collect()
}

/// Status of a container that ran and ended.
fn terminated_status(
    c: &Value,
    pod: &str,
    (code, reason, message): &(i64, String, String),
    started_at: &str,
) -> Value {
    json!({"name": s(c, "/name"), "image": s(c, "/image"), "imageID": image_id(s(c, "/image")), "containerID": container_id(pod, c), "ready": false, "restartCount": 0, "started": false,
        "state": {"terminated": {"exitCode": code, "reason": reason, "message": message, "startedAt": started_at, "finishedAt": now()}}})
}

/// Applies `f` to the stored pod, unless it is gone or already finished.
fn update_pod(shared: &Shared, ns: &str, name: &str, f: impl FnOnce(&mut Value)) {
    let mut store = shared.lock();
    let pk = key("", "pods");
    if let Some(mut p) = store.raw(&pk, ns, name).cloned()
        && !matches!(s(&p, "/status/phase"), "Succeeded" | "Failed")
    {
        f(&mut p);
        store.put_internal(&pk, p);
    }
}

/// Runs a Job pod like a kubelet with `restartPolicy: Never`: init containers one after
/// the other (the first failure fails the pod and the main containers never start),
/// then all main containers at once.
async fn run_pod(
    shared: Arc<Shared>,
    config: Arc<Config>,
    pod: Value,
    inputs: PodInputs,
    kill: oneshot::Receiver<()>,
) {
    let ns = s(&pod, "/metadata/namespace").to_string();
    let name = s(&pod, "/metadata/name").to_string();
    let work = std::env::temp_dir().join(format!(
        "palisade-pod-{}-{}",
        std::process::id(),
        s(&pod, "/metadata/uid")
    ));
    let (kill_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let kill_tx2 = kill_tx.clone();
    tokio::spawn(async move {
        if kill.await.is_ok() {
            let _ = kill_tx2.send(());
        }
    });
    let launch = |c: &Value| {
        let cname = s(c, "/name").to_string();
        let env = inputs.env.get(&cname).cloned().unwrap_or_default();
        let files = inputs.files.get(&cname).cloned().unwrap_or_default();
        let cmd = command_for(&config, c);
        let root = work.join(&cname);
        let shared = shared.clone();
        let (ns, name) = (ns.clone(), name.clone());
        let mut killed = kill_tx.subscribe();
        async move {
            run_container(
                &shared,
                &ns,
                &name,
                &cname,
                cmd,
                env,
                files,
                &root,
                &mut killed,
            )
            .await
        }
    };
    let inits: Vec<Value> = containers_of(&pod, "initContainers").cloned().collect();
    let mut init_statuses: Vec<Value> = Vec::new();
    for (i, c) in inits.iter().enumerate() {
        let started_at = now();
        let pending: Vec<Value> = inits[i..]
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let state = if j == 0 {
                    json!({"running": {"startedAt": started_at}})
                } else {
                    json!({"waiting": {"reason": "PodInitializing"}})
                };
                json!({"name": s(c, "/name"), "image": s(c, "/image"), "imageID": "", "ready": false, "restartCount": 0, "started": j == 0, "state": state})
            })
            .collect();
        let shown: Vec<Value> = init_statuses.iter().cloned().chain(pending).collect();
        update_pod(&shared, &ns, &name, |p| {
            p["status"]["initContainerStatuses"] = Value::Array(shown);
        });
        let result = launch(c).await;
        let failed = result.0 != 0;
        init_statuses.push(terminated_status(c, &name, &result, &started_at));
        if failed {
            let _ = std::fs::remove_dir_all(&work);
            let t = now();
            let waiting: Vec<Value> = containers_of(&pod, "containers")
                .map(|c| json!({"name": s(c, "/name"), "image": s(c, "/image"), "imageID": "", "ready": false, "restartCount": 0, "started": false,
                                "state": {"waiting": {"reason": "PodInitializing"}}}))
                .collect();
            let cname = s(c, "/name").to_string();
            update_pod(&shared, &ns, &name, |p| {
                p["status"]["phase"] = json!("Failed");
                p["status"]["initContainerStatuses"] = Value::Array(init_statuses);
                p["status"]["containerStatuses"] = Value::Array(waiting);
                p["status"]["conditions"] = json!([
                    {"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized",
                     "message": format!("containers with incomplete status: [{cname}]"), "lastTransitionTime": t},
                    {"type": "PodScheduled", "status": "True", "lastTransitionTime": t},
                ]);
            });
            return;
        }
    }
    if !inits.is_empty() {
        let t = now();
        let statuses = init_statuses.clone();
        update_pod(&shared, &ns, &name, |p| {
            p["status"]["phase"] = json!("Running");
            p["status"]["initContainerStatuses"] = Value::Array(statuses);
            p["status"]["containerStatuses"] = running_statuses(p, &t);
        });
    }
    let started_at = now();
    let containers: Vec<Value> = containers_of(&pod, "containers").cloned().collect();
    let results = futures_join_all(containers.iter().map(&launch).collect()).await;
    let mut all_ok = true;
    let statuses: Vec<Value> = containers
        .iter()
        .zip(&results)
        .map(|(c, r)| {
            all_ok &= r.0 == 0;
            terminated_status(c, &name, r, &started_at)
        })
        .collect();
    let _ = std::fs::remove_dir_all(&work);
    update_pod(&shared, &ns, &name, |p| {
        p["status"]["phase"] = json!(if all_ok { "Succeeded" } else { "Failed" });
        p["status"]["containerStatuses"] = Value::Array(statuses);
        if !init_statuses.is_empty() {
            p["status"]["initContainerStatuses"] = Value::Array(init_statuses);
        }
    });
}

/// Awaits all futures concurrently, keeping their order (a tiny `join_all`: each future
/// runs in its own task so containers of one pod really run side by side).
async fn futures_join_all<F>(futs: Vec<F>) -> Vec<(i64, String, String)>
where
    F: std::future::Future<Output = (i64, String, String)> + Send + 'static,
{
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap_or_else(|e| {
            (
                128,
                "Error".into(),
                format!("the container task failed: {e}"),
            )
        }));
    }
    out
}

#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the list
async fn run_container(
    shared: &Arc<Shared>,
    ns: &str,
    pod: &str,
    container: &str,
    cmd: Option<Vec<String>>,
    env: Vec<(String, String)>,
    files: Vec<(String, Vec<u8>)>,
    root: &Path,
    killed: &mut tokio::sync::broadcast::Receiver<()>,
) -> (i64, String, String) {
    let log_key = (ns.to_string(), pod.to_string(), container.to_string());
    let append = |text: &str| {
        let mut st = shared.lock();
        st.logs.entry(log_key.clone()).or_default().push_str(text);
        st.dirty = true;
    };
    let Some(cmd) = cmd else {
        append("palisade-apiserver: no local command is mapped for this image\n");
        return (
            128,
            "ErrImagePull".into(),
            "no local command is mapped for this image".into(),
        );
    };
    let mut mounts: Vec<String> = Vec::new();
    for (path, bytes) in &files {
        let target: PathBuf = root.join(path.trim_start_matches('/'));
        if let Some(parent) = target.parent() {
            let _ = std::fs::create_dir_all(parent);
            let mp = Path::new(path)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if !mounts.contains(&mp) {
                mounts.push(mp);
            }
        }
        let _ = std::fs::write(&target, bytes);
    }
    let _ = std::fs::create_dir_all(root);
    let argv: Vec<String> = cmd
        .iter()
        .map(|a| rewrite_mount_paths(a, &mounts, root))
        .collect();
    let Some((program, args)) = argv.split_first() else {
        return (128, "StartError".into(), "empty command".into());
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .current_dir(root)
        .env("PALISADE_MOUNT_ROOT", root)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            append(&format!(
                "palisade-apiserver: cannot start {program}: {e}\n"
            ));
            return (
                128,
                "StartError".into(),
                format!("cannot start {program}: {e}"),
            );
        }
    };
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let mut buf_o = [0u8; 8192];
    let mut buf_e = [0u8; 8192];
    let status = loop {
        tokio::select! {
            r = async { match out.as_mut() { Some(o) => o.read(&mut buf_o).await, None => std::future::pending().await } } => match r {
                Ok(0) | Err(_) => out = None,
                Ok(n) => append(&String::from_utf8_lossy(&buf_o[..n])),
            },
            r = async { match err.as_mut() { Some(e) => e.read(&mut buf_e).await, None => std::future::pending().await } } => match r {
                Ok(0) | Err(_) => err = None,
                Ok(n) => append(&String::from_utf8_lossy(&buf_e[..n])),
            },
            st = child.wait(), if out.is_none() && err.is_none() => break st,
            _ = killed.recv() => {
                let _ = child.kill().await;
                return (137, "Error".into(), "killed: the Job's deadline passed or the pod was deleted".into());
            }
        }
    };
    match status {
        Ok(st) => match st.code() {
            Some(0) => (0, "Completed".into(), String::new()),
            Some(c) => (i64::from(c), "Error".into(), String::new()),
            None => (137, "Error".into(), "terminated by a signal".into()),
        },
        Err(e) => (128, "Error".into(), e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert!(decode_base64("!!").is_none());
    }

    #[test]
    fn image_mapping_by_reference_or_repository() {
        let mut config = Config::default();
        config.image_commands.insert(
            "ghcr.io/x/palisade".into(),
            vec!["/bin/echo".into(), "base".into()],
        );
        let c = json!({"image": "ghcr.io/x/palisade:1.2", "args": ["a"]});
        assert_eq!(
            command_for(&config, &c).unwrap(),
            vec!["/bin/echo", "base", "a"]
        );
        assert!(command_for(&config, &json!({"image": "other"})).is_none());
        assert!(image_id("nginx:1.27").starts_with("docker.io/library/nginx@sha256:"));
        assert_eq!(
            template_hash(&json!({"a": 1})),
            template_hash(&json!({"a": 1}))
        );
    }

    #[test]
    fn mount_paths_are_rewritten() {
        let root = Path::new("/tmp/r");
        assert_eq!(
            rewrite_mount_paths("/etc/cfg/x", &["/etc/cfg".into()], root),
            "/tmp/r/etc/cfg/x"
        );
        assert_eq!(
            rewrite_mount_paths("/etc/cfgx", &["/etc/cfg".into()], root),
            "/etc/cfgx"
        );
    }
}
