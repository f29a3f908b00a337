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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_containers_run_in_order_and_a_failing_one_fails_the_pod() {
    let env = env().await;
    let order = env.path("order");
    let o = order.display();
    let f = env.write(
        "init.yaml",
        &format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: ordered}}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      initContainers:\n      - {{name: first, image: example.com/shell, args: ['sleep 0.3; echo first >> {o}; echo init-one']}}\n      - {{name: second, image: example.com/shell, args: ['echo second >> {o}']}}\n      containers:\n      - {{name: main, image: example.com/shell, args: ['echo main >> {o}; echo done']}}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: broken}}\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      initContainers:\n      - {{name: setup, image: example.com/shell, args: ['echo setting up; exit 2']}}\n      containers:\n      - {{name: main, image: example.com/shell, args: ['echo never >> {o}']}}\n"
        ),
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    eventually("job ordered completes", Duration::from_secs(20), || async {
        job_status(&env, "ordered").await == "Complete/CompletionsReached"
    })
    .await;
    eventually("job broken fails", Duration::from_secs(20), || async {
        job_status(&env, "broken").await == "Failed/BackoffLimitExceeded"
    })
    .await;
    assert_eq!(
        std::fs::read_to_string(&order).expect("order file"),
        "first\nsecond\nmain\n",
        "init containers run one after the other, before the main container; the broken \
         job's main container never runs"
    );
    assert_eq!(env.kubectl(&["logs", "job/ordered"]).await, "done\n");
    assert_eq!(
        env.kubectl(&["logs", "job/ordered", "-c", "first"]).await,
        "init-one\n"
    );
    let st = env
        .kubectl(&[
            "get",
            "pods",
            "-l",
            "job-name=broken",
            "-o",
            "jsonpath={.items[0].status.phase} {.items[0].status.initContainerStatuses[0].state.terminated.exitCode} {.items[0].status.containerStatuses[0].state.waiting.reason}",
        ])
        .await;
    assert_eq!(st, "Failed 2 PodInitializing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_pods_have_stable_names_and_scale_in_order() {
    let env = env().await;
    let f = env.write(
        "sts.yaml",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n  replicas: 3\n  selector:\n    matchLabels: {app: db}\n  template:\n    metadata:\n      labels: {app: db}\n    spec:\n      containers:\n      - {name: pg, image: 'postgres:17'}\n",
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    let pods = || async {
        env.kubectl_full(&[
            "get",
            "pods",
            "-l",
            "app=db",
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}",
        ])
        .await
        .1
    };
    eventually("three running pods", Duration::from_secs(20), || async {
        pods().await == "db-0=Running db-1=Running db-2=Running "
    })
    .await;
    let out = env.kubectl(&["get", "sts"]).await;
    assert_eq!(mask_ages(&out), "NAME   READY   AGE\ndb     3/3     Ns\n");
    let host = env
        .kubectl(&[
            "get",
            "pod",
            "db-1",
            "-o",
            "jsonpath={.spec.hostname}.{.spec.subdomain} {.metadata.labels.apps\\.kubernetes\\.io/pod-index}",
        ])
        .await;
    assert_eq!(host, "db-1.db 1");
    env.kubectl(&["scale", "sts", "db", "--replicas=1"]).await;
    eventually("scaled down to db-0", Duration::from_secs(20), || async {
        pods().await == "db-0=Running "
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_runs_one_pod_per_node() {
    let env = env().await;
    let f = env.write(
        "ds.yaml",
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  selector:\n    matchLabels: {app: agent}\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      containers:\n      - {name: agent, image: 'busybox:1.37'}\n",
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    let nodes_of_pods = || async {
        let out = env
            .kubectl_full(&[
                "get",
                "pods",
                "-l",
                "app=agent",
                "-o",
                "jsonpath={range .items[*]}{.spec.nodeName}={.status.phase}{\"\\n\"}{end}",
            ])
            .await
            .1;
        let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    eventually("one pod on the node", Duration::from_secs(20), || async {
        nodes_of_pods().await == ["palisade-node=Running"]
    })
    .await;
    let node = env.write(
        "node.yaml",
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: second-node\n  labels: {kubernetes.io/hostname: second-node}\n",
    );
    env.kubectl(&["apply", "-f", node.to_str().unwrap()]).await;
    eventually("a pod on each node", Duration::from_secs(20), || async {
        nodes_of_pods().await == ["palisade-node=Running", "second-node=Running"]
    })
    .await;
    let out = env.kubectl(&["get", "ds"]).await;
    assert_eq!(
        mask_ages(&out),
        "NAME    DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE\nagent   2         2         2       2            2           <none>          Ns\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cronjob_creates_a_job_for_a_missed_schedule() {
    let env = env().await;
    let f = env.write(
        "cj.yaml",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: tick}\nspec:\n  schedule: '*/1 * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - {name: main, image: example.com/shell, args: ['echo tick']}\n",
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    // Pretend the last run was three minutes ago: the missed minute runs at once.
    let three_min_ago =
        palisade_apiserver::time::format_rfc3339(palisade_apiserver::time::now_secs() - 180);
    env.kubectl(&[
        "patch",
        "cronjob",
        "tick",
        "--subresource=status",
        "--type=merge",
        "-p",
        &format!("{{\"status\":{{\"lastScheduleTime\":\"{three_min_ago}\"}}}}"),
    ])
    .await;
    eventually("a job from the cronjob completes", Duration::from_secs(20), || async {
        let out = env
            .kubectl_full(&[
                "get",
                "jobs",
                "-o",
                "jsonpath={range .items[*]}{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.status.succeeded}{\"\\n\"}{end}",
            ])
            .await
            .1;
        out.lines().any(|l| l == "CronJob/tick 1")
    })
    .await;
    let name = env
        .kubectl(&["get", "jobs", "-o", "jsonpath={.items[0].metadata.name}"])
        .await;
    let minutes: i64 = name
        .strip_prefix("tick-")
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("job name {name}"));
    assert!(minutes * 60 > palisade_apiserver::time::now_secs() - 180);
    assert_eq!(
        env.kubectl(&["logs", &format!("job/{name}")]).await,
        "tick\n"
    );
    let last = env
        .kubectl(&[
            "get",
            "cronjob",
            "tick",
            "-o",
            "jsonpath={.status.lastScheduleTime}",
        ])
        .await;
    assert_ne!(last, three_min_ago);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_deletion_removes_content_then_the_namespace() {
    let env = env().await;
    let f = env.write(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: doomed}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: doomed}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, namespace: doomed, finalizers: [example.com/hold]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: doomed}\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - {name: nginx, image: 'nginx:1.27'}\n",
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    eventually(
        "the deployment's pod runs",
        Duration::from_secs(20),
        || async {
            env.kubectl_full(&[
                "get",
                "pods",
                "-n",
                "doomed",
                "-o",
                "jsonpath={.items[0].status.phase}",
            ])
            .await
            .1 == "Running"
        },
    )
    .await;
    env.kubectl(&["delete", "namespace", "doomed", "--wait=false"])
        .await;
    // The finalizer holds one object, so the namespace stays Terminating.
    eventually(
        "content deleted except the held object",
        Duration::from_secs(20),
        || async {
            let (_, out, _) = env
                .kubectl_full(&["get", "all,configmaps", "-n", "doomed", "-o", "name"])
                .await;
            out == "configmap/held\n"
        },
    )
    .await;
    let out = env.kubectl(&["get", "ns", "doomed"]).await;
    assert_eq!(
        mask_ages(&out),
        "NAME     STATUS        AGE\ndoomed   Terminating   Ns\n"
    );
    let late = env.write(
        "late.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: doomed}\n",
    );
    let (ok, _, err) = env
        .kubectl_full(&["create", "-f", late.to_str().unwrap()])
        .await;
    assert!(
        !ok && err.contains("because it is being terminated"),
        "{err}"
    );
    env.kubectl(&[
        "patch",
        "configmap",
        "held",
        "-n",
        "doomed",
        "--type=merge",
        "-p",
        "{\"metadata\":{\"finalizers\":null}}",
    ])
    .await;
    eventually("the namespace is gone", Duration::from_secs(20), || async {
        let (ok, _, err) = env.kubectl_full(&["get", "ns", "doomed"]).await;
        !ok && err.contains("NotFound")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_streams_until_the_pod_ends() {
    let env = env().await;
    let f = env.write(
        "job.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: talker}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: main, image: example.com/shell, args: ['echo one; sleep 1.5; echo two']}\n",
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    eventually("the pod runs", Duration::from_secs(20), || async {
        env.kubectl_full(&[
            "get",
            "pods",
            "-l",
            "job-name=talker",
            "-o",
            "jsonpath={.items[0].status.phase}",
        ])
        .await
        .1 == "Running"
    })
    .await;
    let started = std::time::Instant::now();
    let out = env.kubectl(&["logs", "-f", "job/talker"]).await;
    assert_eq!(out, "one\ntwo\n");
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "-f waited for the second line instead of returning what was there"
    );
}
