//! What runs where: Pods reduced to the few facts the operator needs, and the set of reports the
//! cluster should have, derived from them (spec §3.3).
//!
//! Everything here is pure so the owner mapping, revision rules and image identity can be tested
//! without an API server. The operator keeps only these compact entries in memory, never whole
//! Pod objects: with 5,000 Pods the difference is tens of megabytes.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use palisade_operator::{ImageIdentity, Owner};

/// Label every object the anchor (and so Palisade) creates carries; Pods with it are scan Job
/// pods, never scanned themselves (spec §3.1 common predicates).
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Its value.
pub const MANAGED_BY_VALUE: &str = "trivy-operator";

/// The unit of scanning: one manifest digest as pulled for one platform.
///
/// A multi-platform index digest names different images on amd64 and arm64 nodes, so the
/// platform is part of the key; a single-platform manifest digest simply always comes with the
/// platform of the nodes that run it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageKey {
    /// `sha256:…` of the manifest (or index) the kubelet pulled.
    pub digest: String,
    /// `os/arch[/variant]` of the node.
    pub platform: String,
}

impl ImageKey {
    /// Parses the `digest@platform` form [`fmt::Display`] writes (report annotations).
    pub fn parse(s: &str) -> Option<ImageKey> {
        let (digest, platform) = s.split_once('@')?;
        let (algo, hex) = digest.split_once(':')?;
        if algo.is_empty() || hex.is_empty() || platform.is_empty() {
            return None;
        }
        Some(ImageKey {
            digest: digest.to_owned(),
            platform: platform.to_owned(),
        })
    }
}

impl fmt::Display for ImageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.digest, self.platform)
    }
}

/// `(namespace, name)` of a namespaced object.
pub type ObjKey = (String, String);

/// One container of a Pod: what the spec asks for and what the kubelet says runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningContainer {
    /// Container name (init, regular and ephemeral containers share one name space).
    pub name: String,
    /// Spec image string.
    pub image: String,
    /// Status `imageID`, empty until the container was pulled.
    pub image_id: String,
}

/// The controller owner reference of a Pod, as written on the Pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerLink {
    /// `v1`, `apps/v1`, …
    pub api_version: String,
    /// Owner kind.
    pub kind: String,
    /// Owner name.
    pub name: String,
    /// Owner UID.
    pub uid: String,
}

impl OwnerLink {
    fn from_refs(refs: Option<&Vec<OwnerReference>>) -> Option<OwnerLink> {
        refs?
            .iter()
            .find(|r| r.controller == Some(true))
            .map(|r| OwnerLink {
                api_version: r.api_version.clone(),
                kind: r.kind.clone(),
                name: r.name.clone(),
                uid: r.uid.clone(),
            })
    }
}

/// A Pod, reduced to what report derivation and scan Jobs need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodEntry {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// UID (the owner reference of a bare Pod's reports).
    pub uid: String,
    /// `creationTimestamp` as RFC 3339 (sorts as time): the newest Pod of a workload decides
    /// which image a container runs during a rollout.
    pub created: String,
    /// Controller owner.
    pub controller: Option<OwnerLink>,
    /// Init, regular and ephemeral containers, in that order.
    pub containers: Vec<RunningContainer>,
    /// `spec.nodeName`.
    pub node: Option<String>,
    /// `spec.imagePullSecrets` names.
    pub pull_secrets: Vec<String>,
    /// `spec.serviceAccountName` (`default` when unset).
    pub service_account: String,
}

impl PodEntry {
    /// Reduces a Pod; `None` for Pods the operator never reports on: terminating ones, scan Job
    /// pods, and those carrying one of `skip_label_keys` (the anchor's `skipResourceByLabels`).
    pub fn from_pod(pod: &Pod, skip_label_keys: &[String]) -> Option<PodEntry> {
        let meta = &pod.metadata;
        if meta.deletion_timestamp.is_some() {
            return None;
        }
        let labels = meta.labels.as_ref();
        if labels.and_then(|l| l.get(MANAGED_BY)).map(String::as_str) == Some(MANAGED_BY_VALUE) {
            return None;
        }
        if let Some(labels) = labels
            && skip_label_keys.iter().any(|k| labels.contains_key(k))
        {
            return None;
        }
        let spec = pod.spec.as_ref()?;
        let status = pod.status.as_ref();
        let id_of = |statuses: Option<&Vec<k8s_openapi::api::core::v1::ContainerStatus>>,
                     name: &str| {
            statuses
                .and_then(|s| s.iter().find(|c| c.name == name))
                .map(|c| c.image_id.clone())
                .unwrap_or_default()
        };
        let mut containers = Vec::new();
        for c in spec.init_containers.iter().flatten() {
            containers.push(RunningContainer {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
                image_id: id_of(
                    status.and_then(|s| s.init_container_statuses.as_ref()),
                    &c.name,
                ),
            });
        }
        for c in &spec.containers {
            containers.push(RunningContainer {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
                image_id: id_of(status.and_then(|s| s.container_statuses.as_ref()), &c.name),
            });
        }
        for c in spec.ephemeral_containers.iter().flatten() {
            containers.push(RunningContainer {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
                image_id: id_of(
                    status.and_then(|s| s.ephemeral_container_statuses.as_ref()),
                    &c.name,
                ),
            });
        }
        Some(PodEntry {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            created: meta
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_default(),
            controller: OwnerLink::from_refs(meta.owner_references.as_ref()),
            containers,
            node: spec.node_name.clone(),
            pull_secrets: spec
                .image_pull_secrets
                .iter()
                .flatten()
                .map(|s| s.name.clone())
                .filter(|n| !n.is_empty())
                .collect(),
            service_account: spec
                .service_account_name
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "default".to_owned()),
        })
    }
}

/// A ReplicaSet's metadata: its Deployment and revision, for scan-only-current-revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSetEntry {
    /// Name of the controlling Deployment.
    pub deployment: Option<String>,
    /// `deployment.kubernetes.io/revision`.
    pub revision: Option<u64>,
}

impl ReplicaSetEntry {
    /// From object metadata (a metadata-only watch is enough).
    pub fn from_meta(meta: &ObjectMeta) -> ReplicaSetEntry {
        ReplicaSetEntry {
            deployment: OwnerLink::from_refs(meta.owner_references.as_ref())
                .filter(|o| o.kind == "Deployment")
                .map(|o| o.name),
            revision: meta
                .annotations
                .as_ref()
                .and_then(|a| a.get("deployment.kubernetes.io/revision"))
                .and_then(|r| r.parse().ok()),
        }
    }
}

/// A Job's metadata: the CronJob that controls it, whose reports its Pods feed (spec §3.3: a
/// Job controlled by a CronJob is not reported on itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEntry {
    /// Controlling CronJob (name, uid).
    pub cronjob: Option<(String, String)>,
}

impl JobEntry {
    /// From object metadata.
    pub fn from_meta(meta: &ObjectMeta) -> JobEntry {
        JobEntry {
            cronjob: OwnerLink::from_refs(meta.owner_references.as_ref())
                .filter(|o| o.kind == "CronJob")
                .map(|o| (o.name, o.uid)),
        }
    }
}

/// `os/arch[/variant]` of a Node, from `status.nodeInfo`.
pub fn node_platform(node: &Node) -> Option<String> {
    let info = node.status.as_ref()?.node_info.as_ref()?;
    if info.operating_system.is_empty() || info.architecture.is_empty() {
        return None;
    }
    Some(format!("{}/{}", info.operating_system, info.architecture))
}

/// One report the cluster should have: a container of a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The workload that owns the report.
    pub owner: Owner,
    /// Container name.
    pub container: String,
    /// Registry/repository/tag/digest for `report.registry` and `report.artifact`.
    pub identity: ImageIdentity,
    /// The image to scan; `None` while the kubelet has not reported a digest yet.
    pub image: Option<ImageKey>,
    /// The Pod it was seen in (for pull credentials).
    pub pod: ObjKey,
    /// That Pod's creation time.
    created: String,
}

/// Everything derivation reads, borrowed from the operator's state.
pub struct World<'a> {
    /// Pods by (namespace, name).
    pub pods: &'a HashMap<ObjKey, PodEntry>,
    /// ReplicaSets by (namespace, name).
    pub replica_sets: &'a HashMap<ObjKey, ReplicaSetEntry>,
    /// Jobs by (namespace, name).
    pub jobs: &'a HashMap<ObjKey, JobEntry>,
    /// Node name → platform.
    pub nodes: &'a HashMap<String, String>,
    /// Platform of Pods whose node is unknown.
    pub default_platform: &'a str,
}

/// Why a container gets no report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// Its image string is not a valid reference.
    InvalidImage {
        /// Pod.
        pod: ObjKey,
        /// Container.
        container: String,
        /// Why.
        reason: String,
    },
}

/// The reports the cluster should have, keyed by (namespace, report name), plus the containers
/// that cannot have one.
///
/// Owner mapping follows spec §3.3: Pods of ReplicaSets, ReplicationControllers, StatefulSets,
/// DaemonSets and Jobs report through that controller, Jobs of a CronJob through the CronJob, and
/// everything else (bare Pods, static Pods, custom controllers) as `Pod`. A ReplicaSet of a
/// Deployment reports only while it is the Deployment's newest revision, so old revisions lose
/// their reports (scan-only-current-revisions). When several Pods of one workload run different
/// images for the same container (a rollout in progress), the newest Pod wins.
pub fn derive(world: &World<'_>) -> (BTreeMap<ObjKey, Desired>, Vec<Skipped>) {
    let mut newest_revision: HashMap<(&str, &str), u64> = HashMap::new();
    for ((ns, _), rs) in world.replica_sets {
        if let (Some(dep), Some(rev)) = (&rs.deployment, rs.revision) {
            let e = newest_revision.entry((ns, dep)).or_insert(0);
            *e = (*e).max(rev);
        }
    }
    let mut desired: BTreeMap<ObjKey, Desired> = BTreeMap::new();
    let mut skipped = Vec::new();
    for pod in world.pods.values() {
        let Some(owner) = report_owner(pod, world, &newest_revision) else {
            continue;
        };
        let platform = pod
            .node
            .as_ref()
            .and_then(|n| world.nodes.get(n))
            .map(String::as_str)
            .unwrap_or(world.default_platform);
        for c in &pod.containers {
            let identity = match ImageIdentity::from_container(&c.image, &c.image_id) {
                Ok(i) => i,
                Err(e) => {
                    skipped.push(Skipped::InvalidImage {
                        pod: (pod.namespace.clone(), pod.name.clone()),
                        container: c.name.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let image = (!identity.digest.is_empty()).then(|| ImageKey {
                digest: identity.digest.clone(),
                platform: platform.to_owned(),
            });
            let name =
                palisade_crds::naming::container_report_name(&owner.kind, &owner.name, &c.name);
            let candidate = Desired {
                owner: owner.clone(),
                container: c.name.clone(),
                identity,
                image,
                pod: (pod.namespace.clone(), pod.name.clone()),
                created: pod.created.clone(),
            };
            let key = (pod.namespace.clone(), name);
            match desired.get(&key) {
                Some(existing) if !newer(&candidate, existing) => {}
                _ => {
                    desired.insert(key, candidate);
                }
            }
        }
    }
    (desired, skipped)
}

/// Whether `a` should replace `b` for the same report: a Pod with a running image beats one
/// without, then the newest Pod wins, then the name decides (deterministic).
fn newer(a: &Desired, b: &Desired) -> bool {
    (a.image.is_some(), &a.created, &a.pod) > (b.image.is_some(), &b.created, &b.pod)
}

fn report_owner(
    pod: &PodEntry,
    world: &World<'_>,
    newest_revision: &HashMap<(&str, &str), u64>,
) -> Option<Owner> {
    let ns = pod.namespace.clone();
    let make = |api_version: &str, kind: &str, name: &str, uid: &str| Owner {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
        namespace: ns.clone(),
        name: name.to_owned(),
        uid: uid.to_owned(),
    };
    let bare = || make("v1", "Pod", &pod.name, &pod.uid);
    let Some(link) = &pod.controller else {
        return Some(bare());
    };
    match link.kind.as_str() {
        "ReplicaSet" => {
            if let Some(rs) = world.replica_sets.get(&(ns.clone(), link.name.clone()))
                && let (Some(dep), Some(rev)) = (&rs.deployment, rs.revision)
                && newest_revision
                    .get(&(ns.as_str(), dep.as_str()))
                    .is_some_and(|newest| *newest > rev)
            {
                return None;
            }
            Some(make("apps/v1", "ReplicaSet", &link.name, &link.uid))
        }
        "ReplicationController" => Some(make("v1", &link.kind, &link.name, &link.uid)),
        "StatefulSet" | "DaemonSet" => Some(make("apps/v1", &link.kind, &link.name, &link.uid)),
        "Job" => match world
            .jobs
            .get(&(ns.clone(), link.name.clone()))
            .and_then(|j| j.cronjob.clone())
        {
            Some((cron, uid)) => Some(make("batch/v1", "CronJob", &cron, &uid)),
            None => Some(make("batch/v1", "Job", &link.name, &link.uid)),
        },
        _ => Some(bare()),
    }
}

/// A glob over namespace names: `*` matches any run of characters, `?` one character, as Go's
/// `filepath.Match` does for names without `/` (the anchor's `OPERATOR_EXCLUDE_NAMESPACES`).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matcher with one backtrack point for the last `*`: linear in practice and never
    // exponential, whatever the pattern.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Which namespaces are watched: the anchor's target and excluded namespaces, both as globs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespaceFilter {
    /// Empty means all namespaces.
    pub targets: Vec<String>,
    /// Globs excluded from the targets.
    pub excluded: Vec<String>,
}

impl NamespaceFilter {
    /// Whether workloads in `ns` are scanned.
    pub fn allows(&self, ns: &str) -> bool {
        (self.targets.is_empty() || self.targets.iter().any(|t| glob_match(t, ns)))
            && !self.excluded.iter().any(|e| glob_match(e, ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).expect("pod json")
    }

    fn rs_pod(name: &str, rs: &str, image: &str, digest: &str, created: &str) -> PodEntry {
        PodEntry::from_pod(
            &pod(json!({
                "metadata": {"name": name, "namespace": "ns", "uid": format!("u-{name}"),
                    "creationTimestamp": created,
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                        "uid": format!("u-{rs}"), "controller": true}]},
                "spec": {"containers": [{"name": "app", "image": image}], "nodeName": "n1"},
                "status": {"containerStatuses": [{"name": "app", "image": image,
                    "imageID": format!("{image}@{digest}"), "ready": true, "restartCount": 0}]}
            })),
            &[],
        )
        .expect("kept")
    }

    #[test]
    fn image_key_round_trip() {
        let k = ImageKey {
            digest: D1.into(),
            platform: "linux/arm64/v8".into(),
        };
        assert_eq!(ImageKey::parse(&k.to_string()), Some(k));
        assert_eq!(ImageKey::parse("nodigest"), None);
        assert_eq!(ImageKey::parse("sha256:@linux/amd64"), None);
    }

    #[test]
    fn pod_reduction_and_skips() {
        let p = pod(json!({
            "metadata": {"name": "p", "namespace": "ns", "labels": {"team": "a"}},
            "spec": {
                "initContainers": [{"name": "init", "image": "busybox"}],
                "containers": [{"name": "app", "image": "nginx:1"}, {"name": "side", "image": "envoy:1"}],
                "imagePullSecrets": [{"name": "regcred"}],
                "serviceAccountName": "sa"
            },
            "status": {"containerStatuses": [{"name": "app", "image": "nginx:1",
                "imageID": format!("docker.io/library/nginx@{D1}"), "ready": true, "restartCount": 0}]}
        }));
        let e = PodEntry::from_pod(&p, &[]).expect("kept");
        let names: Vec<&str> = e.containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["init", "app", "side"]);
        assert!(e.containers[1].image_id.ends_with(D1));
        assert_eq!(e.containers[2].image_id, "");
        assert_eq!(e.pull_secrets, ["regcred"]);
        assert_eq!(e.service_account, "sa");
        assert!(PodEntry::from_pod(&p, &["team".into()]).is_none());
        let mut job_pod = p.clone();
        job_pod
            .metadata
            .labels
            .get_or_insert_default()
            .insert(MANAGED_BY.into(), MANAGED_BY_VALUE.into());
        assert!(PodEntry::from_pod(&job_pod, &[]).is_none());
    }

    #[test]
    fn owners_revisions_and_newest_pod() {
        let mut pods = HashMap::new();
        for p in [
            rs_pod(
                "web-new-1",
                "web-new",
                "reg:5000/web:2",
                D2,
                "2026-01-02T00:00:00Z",
            ),
            rs_pod(
                "web-old-1",
                "web-old",
                "reg:5000/web:1",
                D1,
                "2026-01-01T00:00:00Z",
            ),
            rs_pod(
                "solo-1",
                "solo",
                "reg:5000/web:1",
                D1,
                "2026-01-01T00:00:00Z",
            ),
            rs_pod(
                "solo-2",
                "solo",
                "reg:5000/web:2",
                D2,
                "2026-01-03T00:00:00Z",
            ),
        ] {
            pods.insert((p.namespace.clone(), p.name.clone()), p);
        }
        let mut replica_sets = HashMap::new();
        let rs = |dep: &str, rev: u64| ReplicaSetEntry {
            deployment: Some(dep.into()),
            revision: Some(rev),
        };
        replica_sets.insert(("ns".into(), "web-new".into()), rs("web", 2));
        replica_sets.insert(("ns".into(), "web-old".into()), rs("web", 1));
        let nodes = HashMap::from([("n1".to_owned(), "linux/arm64".to_owned())]);
        let jobs = HashMap::new();
        let world = World {
            pods: &pods,
            replica_sets: &replica_sets,
            jobs: &jobs,
            nodes: &nodes,
            default_platform: "linux/amd64",
        };
        let (desired, skipped) = derive(&world);
        assert!(skipped.is_empty());
        let names: Vec<&str> = desired.keys().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["replicaset-solo-app", "replicaset-web-new-app"]);
        let solo = &desired[&("ns".to_owned(), "replicaset-solo-app".to_owned())];
        assert_eq!(solo.identity.tag, "2", "the newest pod decides");
        assert_eq!(
            solo.image,
            Some(ImageKey {
                digest: D2.into(),
                platform: "linux/arm64".into()
            })
        );
        assert_eq!(solo.owner.uid, "u-solo");
        assert_eq!(solo.owner.api_version, "apps/v1");
    }

    #[test]
    fn cronjob_and_bare_pods() {
        let job_pod = PodEntry::from_pod(
            &pod(json!({
                "metadata": {"name": "nightly-1-x", "namespace": "ns", "uid": "pu",
                    "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "nightly-1",
                        "uid": "ju", "controller": true}]},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}
            })),
            &[],
        )
        .expect("kept");
        let static_pod = PodEntry::from_pod(
            &pod(json!({
                "metadata": {"name": "etcd-n1", "namespace": "kube-system", "uid": "su",
                    "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "n1",
                        "uid": "nu", "controller": true}]},
                "spec": {"containers": [{"name": "etcd", "image": "etcd:3"}]}
            })),
            &[],
        )
        .expect("kept");
        let pods = HashMap::from([
            (("ns".to_owned(), "nightly-1-x".to_owned()), job_pod),
            (("kube-system".to_owned(), "etcd-n1".to_owned()), static_pod),
        ]);
        let jobs = HashMap::from([(
            ("ns".to_owned(), "nightly-1".to_owned()),
            JobEntry {
                cronjob: Some(("nightly".into(), "cu".into())),
            },
        )]);
        let (rs, nodes) = (HashMap::new(), HashMap::new());
        let world = World {
            pods: &pods,
            replica_sets: &rs,
            jobs: &jobs,
            nodes: &nodes,
            default_platform: "linux/amd64",
        };
        let (desired, _) = derive(&world);
        let keys: Vec<(&str, &str)> = desired
            .keys()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("kube-system", "pod-etcd-n1-etcd"),
                ("ns", "cronjob-nightly-c")
            ]
        );
        let cron = &desired[&("ns".to_owned(), "cronjob-nightly-c".to_owned())];
        assert_eq!(
            (cron.owner.uid.as_str(), cron.image.is_none()),
            ("cu", true)
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("kube-*", "kube-system"));
        assert!(!glob_match("kube-*", "default"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*-prod-*", "team-prod-eu"));
        assert!(!glob_match("a*b*c", "aXbY"));
        let f = NamespaceFilter {
            targets: vec![],
            excluded: vec!["kube-*".into(), "trivy".into()],
        };
        assert!(f.allows("default") && !f.allows("kube-public") && !f.allows("trivy"));
        let f = NamespaceFilter {
            targets: vec!["team-*".into()],
            excluded: vec!["team-x".into()],
        };
        assert!(f.allows("team-a") && !f.allows("team-x") && !f.allows("default"));
    }
}
