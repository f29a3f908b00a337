//! Scan Jobs and their per-Job Secret (spec §4, with the changes issue 4 asks for).
//!
//! One Job scans one [`ImageKey`], whatever the number of workloads that run it. It runs
//! `palisade scan-job`, which needs no vulnerability database: it pulls the image, builds the
//! inventory and POSTs it to the operator with a one-time token. The pod is locked down (non-root,
//! read-only root filesystem, no capabilities, no service account token), and its resources are
//! bounded, because it handles untrusted images.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Value, json};

use crate::model::{ImageKey, MANAGED_BY, MANAGED_BY_VALUE};

/// Label that marks Palisade's scan Jobs (and their pods and Secrets).
pub const SCAN_JOB_LABEL: &str = "palisade.dev/scan-job";
/// Label selector of scan Jobs.
pub const SCAN_JOB_SELECTOR: &str = "palisade.dev/scan-job=true";
/// Annotation on a scan Job naming the image it scans.
pub const ANNOTATION_JOB_IMAGE_KEY: &str = "palisade.dev/image-key";
/// Where the per-Job Secret (token, registry credentials) is mounted.
pub const JOB_SECRET_MOUNT: &str = "/var/run/palisade/job";
/// Where workload pull secrets are mounted in same-namespace mode.
pub const PULL_SECRET_MOUNT: &str = "/var/run/palisade/pull";

/// The Job name for an image: the anchor's `scan-vulnerabilityreport-<hash>` shape, hashed over
/// the image key instead of the workload, since Jobs are per image.
pub fn job_name(image: &ImageKey) -> String {
    format!(
        "scan-vulnerabilityreport-{}",
        palisade_crds::hash::compute_hash_str(&image.to_string())
    )
}

/// The per-Job Secret's name (the anchor's `<job>-regcred`).
pub fn secret_name(job: &str) -> String {
    format!("{job}-regcred")
}

/// How a scan Job is shaped; everything the operator's configuration decides.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Palisade's own image (the scan Job runs the same binary as the operator).
    pub scanner_image: String,
    /// Base URL the Job POSTs its result to.
    pub results_url: String,
    /// `activeDeadlineSeconds` (`OPERATOR_SCAN_JOB_TIMEOUT`).
    pub timeout_secs: i64,
    /// Container resource requests and limits.
    pub resources: Value,
}

/// One Job to create.
#[derive(Debug, Clone)]
pub struct JobPlan {
    /// Job name ([`job_name`]).
    pub name: String,
    /// Namespace: the operator's, or the workload's in same-namespace mode.
    pub namespace: String,
    /// What it scans.
    pub image: ImageKey,
    /// The reference it pulls: `registry/repository@digest`.
    pub reference: String,
    /// Workload pull secrets mounted directly (same-namespace mode only).
    pub pull_secrets: Vec<String>,
}

fn labels() -> Value {
    json!({ MANAGED_BY: MANAGED_BY_VALUE, SCAN_JOB_LABEL: "true" })
}

/// The Job object.
pub fn job_object(plan: &JobPlan, settings: &JobSettings) -> Value {
    let mut args = vec![
        "scan-job".to_owned(),
        "--image".to_owned(),
        plan.reference.clone(),
        "--platform".to_owned(),
        plan.image.platform.clone(),
        "--results-url".to_owned(),
        settings.results_url.clone(),
        "--job-name".to_owned(),
        plan.name.clone(),
        "--token-file".to_owned(),
        format!("{JOB_SECRET_MOUNT}/token"),
        "--registry-config".to_owned(),
        JOB_SECRET_MOUNT.to_owned(),
    ];
    let mut mounts = vec![
        json!({"name": "job", "mountPath": JOB_SECRET_MOUNT, "readOnly": true}),
        json!({"name": "tmp", "mountPath": "/tmp"}),
    ];
    let mut volumes = vec![
        json!({"name": "job", "secret": {"secretName": secret_name(&plan.name), "defaultMode": 0o440}}),
        json!({"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}),
    ];
    for (i, secret) in plan.pull_secrets.iter().enumerate() {
        let path = format!("{PULL_SECRET_MOUNT}/{i}");
        args.push("--registry-config".to_owned());
        args.push(path.clone());
        mounts.push(json!({"name": format!("pull-{i}"), "mountPath": path, "readOnly": true}));
        volumes.push(json!({"name": format!("pull-{i}"),
            "secret": {"secretName": secret, "optional": true, "defaultMode": 0o440}}));
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": plan.name,
            "namespace": plan.namespace,
            "labels": labels(),
            "annotations": {
                ANNOTATION_JOB_IMAGE_KEY: plan.image.to_string(),
                "palisade.dev/image": plan.reference,
            },
        },
        "spec": {
            "backoffLimit": 0,
            "completions": 1,
            "activeDeadlineSeconds": settings.timeout_secs,
            "template": {
                "metadata": {"labels": labels()},
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": false,
                    "enableServiceLinks": false,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": 65532,
                        "runAsGroup": 65532,
                        "fsGroup": 65532,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [
                            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}},
                    "containers": [{
                        "name": "palisade",
                        "image": settings.scanner_image,
                        "imagePullPolicy": "IfNotPresent",
                        "args": args,
                        "resources": settings.resources,
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "capabilities": {"drop": ["ALL"]},
                            "privileged": false,
                            "readOnlyRootFilesystem": true,
                            "runAsNonRoot": true,
                        },
                        "terminationMessagePolicy": "FallbackToLogsOnError",
                        "volumeMounts": mounts,
                    }],
                    "volumes": volumes,
                },
            },
        },
    })
}

/// The per-Job Secret: the one-time result token and, when the operator copied workload pull
/// secrets, their merged `config.json`.
pub fn secret_object(
    job: &str,
    namespace: &str,
    token: &str,
    docker_config: Option<&[u8]>,
) -> Value {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut data = serde_json::Map::new();
    data.insert("token".into(), json!(b64(token.as_bytes())));
    if let Some(cfg) = docker_config {
        data.insert("config.json".into(), json!(b64(cfg)));
    }
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name(job), "namespace": namespace, "labels": labels()},
        "type": "Opaque",
        "data": data,
    })
}

/// Merges the registry credentials of Kubernetes pull secrets (`.dockerconfigjson` and legacy
/// `.dockercfg` keys) into one docker `config.json`; the first secret that names a registry wins,
/// as the kubelet tries them in order. `None` when there is nothing to merge.
pub fn merge_docker_configs(secrets: &[BTreeMap<String, Vec<u8>>]) -> Option<Vec<u8>> {
    let mut auths = serde_json::Map::new();
    for data in secrets {
        let entries = if let Some(raw) = data.get(".dockerconfigjson") {
            serde_json::from_slice::<Value>(raw)
                .ok()
                .and_then(|v| v.get("auths").and_then(Value::as_object).cloned())
        } else if let Some(raw) = data.get(".dockercfg") {
            serde_json::from_slice::<Value>(raw)
                .ok()
                .and_then(|v| v.as_object().cloned())
        } else {
            None
        };
        for (host, entry) in entries.into_iter().flatten() {
            auths.entry(host).or_insert(entry);
        }
    }
    if auths.is_empty() {
        return None;
    }
    serde_json::to_vec(&json!({ "auths": auths })).ok()
}

/// The reference a Job pulls for an image that runs as `registry/repository` with `digest`.
pub fn pull_reference(registry: &str, repository: &str, digest: &str) -> String {
    let registry = if registry == palisade_operator::image::DOCKER_HUB_REGISTRY {
        "docker.io"
    } else {
        registry
    };
    format!("{registry}/{repository}@{digest}")
}

/// A fresh 256-bit token, hex-encoded.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)?;
    Ok(hex::encode(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ImageKey {
        ImageKey {
            digest: format!("sha256:{}", "b".repeat(64)),
            platform: "linux/arm64".into(),
        }
    }

    fn settings() -> JobSettings {
        JobSettings {
            scanner_image: "ghcr.io/palisade/palisade:dev".into(),
            results_url: "http://palisade.trivy.svc:8081".into(),
            timeout_secs: 300,
            resources: json!({"limits": {"cpu": "500m", "memory": "500M"}}),
        }
    }

    #[test]
    fn job_is_locked_down() {
        let plan = JobPlan {
            name: job_name(&key()),
            namespace: "trivy".into(),
            image: key(),
            reference: pull_reference("index.docker.io", "library/nginx", &key().digest),
            pull_secrets: vec!["regcred".into()],
        };
        let job = job_object(&plan, &settings());
        assert!(plan.name.starts_with("scan-vulnerabilityreport-"));
        assert_eq!(job["spec"]["backoffLimit"], 0);
        assert_eq!(job["spec"]["activeDeadlineSeconds"], 300);
        let pod = &job["spec"]["template"]["spec"];
        assert_eq!(pod["automountServiceAccountToken"], false);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        let c = &pod["containers"][0];
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(c["securityContext"]["capabilities"]["drop"][0], "ALL");
        let args: Vec<&str> = c["args"]
            .as_array()
            .expect("args")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(args[0], "scan-job");
        assert!(args.contains(&"linux/arm64"));
        assert!(args.contains(&format!("docker.io/library/nginx@{}", key().digest).as_str()));
        assert!(args.contains(&"/var/run/palisade/pull/0"));
        assert_eq!(pod["volumes"][2]["secret"]["optional"], true);
        assert_eq!(job["metadata"]["labels"][SCAN_JOB_LABEL], "true");
    }

    #[test]
    fn docker_configs_merge_first_wins() {
        let a = BTreeMap::from([(
            ".dockerconfigjson".to_owned(),
            br#"{"auths":{"r1":{"auth":"YTpi"}}}"#.to_vec(),
        )]);
        let b = BTreeMap::from([(
            ".dockercfg".to_owned(),
            br#"{"r1":{"auth":"other"},"r2":{"auth":"Yzpk"}}"#.to_vec(),
        )]);
        let junk = BTreeMap::from([(".dockerconfigjson".to_owned(), b"not json".to_vec())]);
        let merged = merge_docker_configs(&[a, junk, b]).expect("merged");
        let v: Value = serde_json::from_slice(&merged).expect("json");
        assert_eq!(v["auths"]["r1"]["auth"], "YTpi");
        assert_eq!(v["auths"]["r2"]["auth"], "Yzpk");
        assert!(merge_docker_configs(&[]).is_none());
    }

    #[test]
    fn tokens_are_random() {
        let (a, b) = (new_token().expect("rng"), new_token().expect("rng"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
