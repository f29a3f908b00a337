//! Controllers seen through kubectl: Jobs run local processes, Deployments get
//! ReplicaSets and Pods, deletion cascades.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Env, eventually, mask_ages};
use palisade_apiserver::Config;

async fn env() -> Env {
    let mut image_commands = BTreeMap::new();
    image_commands.insert(
        "example.com/shell".to_string(),
        vec!["/bin/sh".to_string(), "-c".to_string()],
    );
    Env::start_with(Config {
        controllers: true,
        image_commands,
        ..Config::default()
    })
    .await
}

async fn job_status(env: &Env, name: &str) -> String {
    let (_, out, _) = env
        .kubectl_full(&[
            "get",
            "job",
            name,
            "-o",
            "jsonpath={.status.conditions[-1:].type}/{.status.conditions[-1:].reason}",
        ])
        .await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_runs_local_command_with_env_and_mounted_files() {
    let env = env().await;
    let f = env.write(
        "job.yaml",
        r#"apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {token: s3cret}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {msg: from-configmap}
---
apiVersion: batch/v1
kind: Job
metadata: {name: hello}
spec:
  template:
    spec:
      restartPolicy: Never
      volumes:
      - {name: cfg, configMap: {name: cfg}}
      containers:
      - name: main
        image: example.com/shell:1.0
        args: ['echo oops >&2; sleep 0.3; echo "token=$TOKEN mode=$MODE"; cat "$PALISADE_MOUNT_ROOT/etc/cfg/msg"; echo']
        env:
        - {name: MODE, value: test}
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: creds, key: token}}
        volumeMounts:
        - {name: cfg, mountPath: /etc/cfg}
"#,
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    eventually("job hello completes", Duration::from_secs(20), || async {
        job_status(&env, "hello").await == "Complete/CompletionsReached"
    })
    .await;
    let logs = env.kubectl(&["logs", "job/hello"]).await;
    // stderr first, then (after a pause, so arrival order is certain) stdout.
    assert_eq!(logs, "oops\ntoken=s3cret mode=test\nfrom-configmap\n");
    let out = env.kubectl(&["get", "jobs"]).await;
    let masked = mask_ages(&out);
    assert!(
        masked.starts_with(
            "NAME    STATUS     COMPLETIONS   DURATION   AGE\nhello   Complete   1/1           "
        ),
        "{out}"
    );
    let pods = env.kubectl(&["get", "pods", "-l", "job-name=hello", "-o", "jsonpath={.items[0].status.phase} {.items[0].status.containerStatuses[0].state.terminated.exitCode}"]).await;
    assert_eq!(pods, "Succeeded 0");
    let table = env.kubectl(&["get", "pods"]).await;
    assert!(table.contains("0/1     Completed   0 "), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_deadline_kills_the_process_and_backoff_limit_fails() {
    let env = env().await;
    let f = env.write(
        "jobs.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: slow}\nspec:\n  activeDeadlineSeconds: 1\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: main, image: 'example.com/shell', args: ['echo started; sleep 30; echo never']}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: flaky}\nspec:\n  backoffLimit: 1\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: main, image: 'example.com/shell', args: ['echo try; exit 3']}\n",
    );
    let started = std::time::Instant::now();
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    eventually("job slow fails", Duration::from_secs(20), || async {
        job_status(&env, "slow").await == "Failed/DeadlineExceeded"
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the sleep was killed, not waited for"
    );
    eventually("slow's log", Duration::from_secs(10), || async {
        env.kubectl_full(&["logs", "job/slow"]).await.1 == "started\n"
    })
    .await;
    eventually("job flaky fails", Duration::from_secs(20), || async {
        job_status(&env, "flaky").await == "Failed/BackoffLimitExceeded"
    })
    .await;
    let failed = env
        .kubectl(&["get", "job", "flaky", "-o", "jsonpath={.status.failed}"])
        .await;
    assert_eq!(failed, "2", "backoffLimit 1 means one retry");
    let codes = env
        .kubectl(&[
            "get",
            "pods",
            "-l",
            "job-name=flaky",
            "-o",
            "jsonpath={.items[*].status.containerStatuses[0].state.terminated.exitCode}",
        ])
        .await;
    assert_eq!(codes, "3 3");
    let out = env.kubectl(&["get", "jobs"]).await;
    assert!(mask_ages(&out).contains("flaky   Failed   0/1"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_creates_replicaset_and_running_pods_and_deletion_cascades() {
    let env = env().await;
    let f = env.write(
        "d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - {name: nginx, image: 'nginx:1.27'}\n",
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    eventually("deployment ready", Duration::from_secs(20), || async {
        env.kubectl_full(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.status.readyReplicas}",
        ])
        .await
        .1 == "2"
    })
    .await;
    let out = env.kubectl(&["get", "deploy"]).await;
    assert_eq!(
        mask_ages(&out),
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/2     2            2           Ns\n"
    );
    let rs = env.kubectl(&["get", "rs", "-o", "jsonpath={.items[0].metadata.name} {.items[0].metadata.annotations.deployment\\.kubernetes\\.io/revision} {.items[0].metadata.labels.pod-template-hash}"]).await;
    let parts: Vec<&str> = rs.split(' ').collect();
    assert_eq!(parts.len(), 3, "{rs}");
    assert_eq!(parts[0], format!("web-{}", parts[2]));
    assert_eq!(parts[1], "1");
    let pods = env.kubectl(&["get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.status.phase} {.status.containerStatuses[0].imageID}{\"\\n\"}{end}"]).await;
    let lines: Vec<&str> = pods.lines().collect();
    assert_eq!(lines.len(), 2, "{pods}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("Running docker.io/library/nginx@sha256:")),
        "{pods}"
    );
    let nodes = env.kubectl(&["get", "nodes"]).await;
    assert!(mask_ages(&nodes).starts_with("NAME            STATUS   ROLES           AGE   VERSION\npalisade-node   Ready    control-plane   "), "{nodes}");

    // Background deletion: the ReplicaSet and its pods are collected.
    env.kubectl(&["delete", "deployment", "web"]).await;
    eventually("dependents collected", Duration::from_secs(20), || async {
        let (_, rs, _) = env.kubectl_full(&["get", "rs", "-o", "name"]).await;
        let (_, pods, _) = env.kubectl_full(&["get", "pods", "-o", "name"]).await;
        rs.is_empty() && pods.is_empty()
    })
    .await;
}
