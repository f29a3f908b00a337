//! The operator test harness shared by `operator.rs` and `operator_os.rs` (included with
//! `#[path = "common/cluster.rs"] mod cluster;`, so the other test binaries do not build it): the
//! project's test API server standing in for a cluster, the real `/usr/bin/kubectl`, and
//! `palisade operator` as a child process.

#![allow(dead_code)]

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::api::{DynamicObject, ListParams};
use kube::core::ApiResource;
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common;

pub const KUBECTL: &str = "/usr/bin/kubectl";
pub const SCANNER_IMAGE: &str = "ghcr.io/palisade/palisade:dev";
pub const OP_NS: &str = "trivy";

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

// ------------------------------------------------------------------ cluster and operator

pub struct Cluster {
    pub rt: tokio::runtime::Runtime,
    pub server: Option<palisade_apiserver::RunningServer>,
    pub kubeconfig: PathBuf,
    pub client: kube::Client,
    pub dir: tempfile::TempDir,
    pub jobs: Arc<Mutex<JobLog>>,
    pub job_watch: Option<tokio::task::JoinHandle<()>>,
}

/// What a watch on scan Jobs saw.
#[derive(Default, Debug)]
pub struct JobLog {
    pub created: HashSet<String>,
    pub active: HashSet<String>,
    pub max_active: usize,
}

pub fn job_finished(j: &Job) -> bool {
    j.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| {
            c.iter().any(|c| {
                c.status == "True"
                    && ["Complete", "Failed", "SuccessCriteriaMet", "FailureTarget"]
                        .contains(&c.type_.as_str())
            })
        })
}

impl Cluster {
    pub fn start(registries: &[&str]) -> Cluster {
        assert!(
            Path::new(KUBECTL).exists(),
            "{KUBECTL} is missing: these tests need the real kubectl (Debian package kubectl)"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut config = palisade_apiserver::Config {
            kubeconfig: Some(dir.path().join("kubeconfig")),
            registries: registries.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        config
            .image_commands
            .insert(SCANNER_IMAGE.to_string(), vec![common::bin().to_string()]);
        let server = rt
            .block_on(palisade_apiserver::serve(config))
            .expect("apiserver");
        let kubeconfig = server.kubeconfig().to_path_buf();
        let client = rt.block_on(async {
            let kc = kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig");
            let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .expect("config");
            kube::Client::try_from(cfg).expect("client")
        });
        let mut c = Cluster {
            rt,
            server: Some(server),
            kubeconfig,
            client,
            dir,
            jobs: Arc::default(),
            job_watch: None,
        };
        let crds = common::palisade(&["crds"]);
        assert!(crds.status.success(), "{}", common::stderr(&crds));
        c.apply(&String::from_utf8_lossy(&crds.stdout));
        c.apply(&format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {OP_NS}}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: apps}}\n"));
        // Record every scan Job from a watch, as an observer in the cluster would.
        let log = c.jobs.clone();
        let api: Api<Job> = Api::all(c.client.clone());
        let task = c.rt.spawn(async move {
            let cfg = watcher::Config::default().labels("palisade.dev/scan-job=true");
            // With backoff: when the server stops, an unthrottled watcher retries in a loop
            // that never yields, and the runtime's shutdown waits on it forever.
            let mut s = std::pin::pin!(watcher(api, cfg).default_backoff());
            while let Some(ev) = s.next().await {
                let Ok(ev) = ev else { continue };
                let mut log = log.lock().expect("lock");
                match ev {
                    watcher::Event::Apply(j) | watcher::Event::InitApply(j) => {
                        let uid = j.metadata.uid.clone().unwrap_or_default();
                        log.created.insert(uid.clone());
                        if job_finished(&j) {
                            log.active.remove(&uid);
                        } else {
                            log.active.insert(uid);
                        }
                        log.max_active = log.max_active.max(log.active.len());
                    }
                    watcher::Event::Delete(j) => {
                        log.active.remove(&j.metadata.uid.unwrap_or_default());
                    }
                    _ => {}
                }
            }
        });
        c.job_watch = Some(task);
        c
    }

    pub fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .output()
            .expect("kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn apply(&self, yaml: &str) {
        let f = self
            .dir
            .path()
            .join(format!("apply-{}.yaml", sha256_hex(yaml.as_bytes())));
        std::fs::write(&f, yaml).expect("write yaml");
        self.kubectl(&["apply", "-f", f.to_str().expect("utf-8")]);
    }

    pub fn reports(&self, kind: &str, ns: &str) -> Vec<Value> {
        let ar = ApiResource {
            group: "aquasecurity.github.io".into(),
            version: "v1alpha1".into(),
            api_version: "aquasecurity.github.io/v1alpha1".into(),
            kind: kind.into(),
            plural: format!("{}s", kind.to_lowercase()),
        };
        let api: Api<DynamicObject> = Api::namespaced_with(self.client.clone(), ns, &ar);
        let list = self
            .rt
            .block_on(api.list(&ListParams::default()))
            .expect("list reports");
        let mut out: Vec<Value> = list
            .items
            .into_iter()
            .map(|o| serde_json::to_value(o).expect("json"))
            .collect();
        out.sort_by_key(|v| {
            v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        });
        out
    }

    pub fn events(&self, ns: &str, reason: &str) -> Vec<Event> {
        let api: Api<Event> = Api::namespaced(self.client.clone(), ns);
        self.rt
            .block_on(api.list(&ListParams::default()))
            .expect("events")
            .items
            .into_iter()
            .filter(|e| e.reason.as_deref() == Some(reason))
            .collect()
    }

    pub fn jobs_created(&self) -> usize {
        self.jobs.lock().expect("lock").created.len()
    }

    pub fn max_active_jobs(&self) -> usize {
        self.jobs.lock().expect("lock").max_active
    }

    pub fn operator(&self, db: &Path, extra: &[&str]) -> Operator {
        // A counter, so that two replicas of one test never share (and truncate) one log file.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = self.dir.path().join(format!("operator-{n}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(common::bin());
        cmd.args([
            "operator",
            "--namespace",
            OP_NS,
            "--db",
            db.to_str().expect("utf-8"),
            "--results-bind-address",
            "127.0.0.1:0",
            "--scanner-image",
            SCANNER_IMAGE,
            "--scan-job-retry-after",
            "1s",
            "--scan-job-retry-max",
            "3s",
            "--scan-job-timeout",
            "60s",
            "--db-check-interval",
            "200ms",
            "--log-dev-mode",
            "true",
        ])
        .args(extra)
        .args(if extra.contains(&"--health-probe-bind-address") {
            &[][..]
        } else {
            &["--health-probe-bind-address", ""][..]
        })
        .args(if extra.contains(&"--metrics-bind-address") {
            &[][..]
        } else {
            &["--metrics-bind-address", ""][..]
        })
        .env("KUBECONFIG", &self.kubeconfig)
        .env("PALISADE_LOG", "info")
        .env_remove("PALISADE_DB")
        .stdout(Stdio::null())
        .stderr(file);
        Operator {
            child: Mutex::new(cmd.spawn().expect("start the operator")),
            log,
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(w) = self.job_watch.take() {
            w.abort();
        }
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

pub struct Operator {
    pub child: Mutex<Child>,
    pub log: PathBuf,
}

impl Operator {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn stop(&mut self) {
        if let Ok(c) = self.child.get_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Whether the process is still running.
    pub fn alive(&self) -> bool {
        self.child
            .lock()
            .map(|mut c| matches!(c.try_wait(), Ok(None)))
            .unwrap_or(false)
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `f` until it returns `Some`, failing with `what` and the operator's log after `secs`.
pub fn wait<T>(what: &str, secs: u64, op: &Operator, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            op.alive(),
            "the operator exited while waiting for {what}:\n{}",
            op.log()
        );
        if Instant::now() > deadline {
            let log = op.log();
            let tail: String = log
                .lines()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!("timed out after {secs}s waiting for {what}; operator log tail:\n{tail}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub fn deployment(name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: apps}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n      - {{name: app, image: \"{image}\"}}\n"
    )
}

pub fn names(reports: &[Value]) -> Vec<String> {
    reports
        .iter()
        .map(|r| {
            r["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

pub type Finding = (String, String, String, String);

/// Findings of a VulnerabilityReport.
pub fn report_findings(r: &Value) -> BTreeSet<Finding> {
    r["report"]["vulnerabilities"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|f| {
                    let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
                    (
                        s("vulnerabilityID"),
                        s("resource"),
                        s("installedVersion"),
                        s("fixedVersion"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What `palisade image` finds in the same image with the same database (the CLI's accuracy is
/// checked against dpkg in accuracy.rs).
pub fn cli_findings(db: &Path, image: &str) -> BTreeSet<Finding> {
    let report = common::scan_json(db, image, &[], &[]);
    common::findings(&report)
        .into_iter()
        .map(|(pkg, installed, id, fixed)| (id, pkg, installed, fixed.unwrap_or_default()))
        .collect()
}
