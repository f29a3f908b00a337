//! The real kubectl against the test server, comparing the text it prints with what a
//! real cluster prints for the same objects.

mod common;

use std::time::Duration;

use common::{Env, mask_ages};
use tokio::io::AsyncBufReadExt;

const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
---
apiVersion: v1
kind: Pod
metadata:
  name: db
  namespace: kube-system
  labels: {app: db}
spec:
  containers:
  - name: postgres
    image: postgres:16
";

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Color, type: string, jsonPath: .spec.color, priority: 1}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
"#;

const WIDGET: &str = "
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec: {size: 3, color: blue}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_all_namespaces_wide_and_label_selectors() {
    let env = Env::start().await;
    let f = env.write("pods.yaml", PODS);
    let out = env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    assert_eq!(out, "pod/web created\npod/db created\n");

    let out = env.kubectl(&["get", "pods", "-A"]).await;
    assert_eq!(
        mask_ages(&out),
        "NAMESPACE     NAME   READY   STATUS    RESTARTS   AGE\n\
         default       web    0/1     Pending   0          Ns\n\
         kube-system   db     0/1     Pending   0          Ns\n"
    );
    let out = env.kubectl(&["get", "pods", "-o", "wide"]).await;
    assert_eq!(
        mask_ages(&out),
        "NAME   READY   STATUS    RESTARTS   AGE   IP       NODE     NOMINATED NODE   READINESS GATES\n\
         web    0/1     Pending   0          Ns    <none>   <none>   <none>           <none>\n"
    );
    let out = env
        .kubectl(&["get", "po", "-A", "-l", "app in (db,cache)"])
        .await;
    assert_eq!(
        mask_ages(&out),
        "NAMESPACE     NAME   READY   STATUS    RESTARTS   AGE\nkube-system   db     0/1     Pending   0          Ns\n"
    );
    let (ok, out, err) = env
        .kubectl_full(&["get", "pods", "-l", "app=nothing"])
        .await;
    assert!(ok);
    assert_eq!(out, "");
    assert_eq!(err, "No resources found in default namespace.\n");

    let out = env.kubectl(&["get", "pods", "-A", "-o", "custom-columns=NS:.metadata.namespace,NAME:.metadata.name,IMAGE:.spec.containers[0].image"]).await;
    assert_eq!(
        out,
        "NS            NAME   IMAGE\ndefault       web    nginx:1.27\nkube-system   db     postgres:16\n"
    );

    let out = env.kubectl(&["get", "pod", "web", "-o", "yaml"]).await;
    assert!(
        out.starts_with("apiVersion: v1\nkind: Pod\nmetadata:\n"),
        "{out}"
    );
    assert!(
        out.contains("  uid: ") && out.contains("  resourceVersion: \""),
        "{out}"
    );
    assert!(
        out.contains("  - image: nginx:1.27\n    name: nginx\n"),
        "{out}"
    );
    assert!(out.contains("status:\n  phase: Pending\n"), "{out}");

    let out = env.kubectl(&["get", "namespaces"]).await;
    assert_eq!(
        mask_ages(&out),
        "NAME              STATUS   AGE\ndefault           Active   Ns\nkube-node-lease   Active   Ns\nkube-public       Active   Ns\nkube-system       Active   Ns\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_describe_delete_configmap() {
    let env = Env::start().await;
    let f = env.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  labels: {app: web}\ndata:\n  greeting: hello\n");
    assert_eq!(
        env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await,
        "configmap/demo created\n"
    );
    assert_eq!(
        env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await,
        "configmap/demo unchanged\n"
    );
    std::fs::write(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  labels: {app: web}\ndata:\n  greeting: bye\n").unwrap();
    assert_eq!(
        env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await,
        "configmap/demo configured\n"
    );
    let out = env.kubectl(&["describe", "configmap", "demo"]).await;
    assert_eq!(
        out,
        "Name:         demo\nNamespace:    default\nLabels:       app=web\nAnnotations:  <none>\n\nData\n====\ngreeting:\n----\nbye\n\n\nBinaryData\n====\n\nEvents:  <none>\n"
    );
    let out = env.kubectl(&["get", "cm", "demo"]).await;
    assert_eq!(mask_ages(&out), "NAME   DATA   AGE\ndemo   1      Ns\n");
    assert_eq!(
        env.kubectl(&["delete", "configmap", "demo"]).await,
        "configmap \"demo\" deleted\n"
    );
    let (ok, _, err) = env.kubectl_full(&["get", "cm", "demo"]).await;
    assert!(!ok);
    assert_eq!(
        err,
        "Error from server (NotFound): configmaps \"demo\" not found\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crds_are_served_at_once_with_printer_columns() {
    let env = Env::start().await;
    let crd = env.write("crd.yaml", CRD);
    assert_eq!(
        env.kubectl(&["apply", "-f", crd.to_str().unwrap()]).await,
        "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n"
    );
    let w = env.write("w.yaml", WIDGET);
    assert_eq!(
        env.kubectl(&["apply", "-f", w.to_str().unwrap()]).await,
        "widget.example.com/w1 created\n"
    );
    let out = env.kubectl(&["get", "widgets"]).await;
    assert_eq!(mask_ages(&out), "NAME   SIZE   AGE\nw1     3      Ns\n");
    let out = env.kubectl(&["get", "wd", "-o", "wide", "-A"]).await;
    assert_eq!(
        mask_ages(&out),
        "NAMESPACE   NAME   SIZE   COLOR   AGE\ndefault     w1     3      blue    Ns\n"
    );
    // A change through apply is a merge patch for custom resources.
    std::fs::write(&w, WIDGET.replace("size: 3", "size: 5")).unwrap();
    assert_eq!(
        env.kubectl(&["apply", "-f", w.to_str().unwrap()]).await,
        "widget.example.com/w1 configured\n"
    );
    let out = env
        .kubectl(&[
            "get",
            "widget",
            "w1",
            "-o",
            "jsonpath={.spec.size} {.metadata.generation}",
        ])
        .await;
    assert_eq!(out, "5 2");
    let out = env.kubectl(&["describe", "widget", "w1"]).await;
    assert!(
        out.starts_with("Name:         w1\nNamespace:    default\n"),
        "{out}"
    );
    assert!(out.contains("Kind:         Widget\n"), "{out}");
    assert!(
        out.ends_with("Spec:\n  Color:  blue\n  Size:   5\nEvents:   <none>\n"),
        "{out}"
    );
    let out = env.kubectl(&["get", "crd"]).await;
    assert!(
        out.starts_with("NAME                  CREATED AT\nwidgets.example.com   20"),
        "{out}"
    );
    assert_eq!(
        env.kubectl(&["delete", "crd", "widgets.example.com"]).await,
        "customresourcedefinition.apiextensions.k8s.io \"widgets.example.com\" deleted\n"
    );
    let (ok, _, err) = env.kubectl_full(&["get", "widgets"]).await;
    assert!(!ok);
    // kubectl's discovery cache still knows the type, so it reaches the server, which no
    // longer serves it.
    assert!(
        err.contains("the server could not find the requested resource")
            || err.contains("the server doesn't have a resource type \"widgets\""),
        "{err}"
    );
    let (code, _, body) = env
        .http(
            "GET",
            "/apis/example.com/v1/namespaces/default/widgets",
            "",
            b"",
        )
        .await;
    assert_eq!(code, 404, "{body}");
    let (_, _, apis) = env.http("GET", "/apis", "", b"").await;
    assert!(!apis.contains("example.com"), "{apis}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_streams_changes() {
    let env = Env::start().await;
    let mut child = tokio::process::Command::new(common::KUBECTL)
        .arg("--kubeconfig")
        .arg(env.server.kubeconfig())
        .arg("--cache-dir")
        .arg(env.path("cache"))
        .args(["get", "configmaps", "-w"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kubectl");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    // Give the watch time to start, then create objects.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for name in ["one", "two"] {
        let f = env.write(
            &format!("{name}.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata: {{a: b}}\n"
            ),
        );
        env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    }
    let mut seen = Vec::new();
    let read = async {
        while seen.len() < 3 {
            match lines.next_line().await {
                Ok(Some(l)) => seen.push(l),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(15), read).await;
    child.kill().await.expect("kill kubectl");
    assert_eq!(
        mask_ages(&(seen.join("\n") + "\n")),
        "NAME   DATA   AGE\none    1      Ns\ntwo    1      Ns\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_jobs_and_nodes_tables() {
    let env = Env::start().await;
    let f = env.write(
        "w.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - {name: nginx, image: 'nginx:1.27'}\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: scan\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: scan, image: 'palisade:dev'}\n",
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    let out = env.kubectl(&["get", "deploy", "-o", "wide"]).await;
    assert_eq!(
        mask_ages(&out),
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\nweb    0/2     0            0           Ns    nginx        nginx:1.27   app=web\n"
    );
    let out = env.kubectl(&["get", "jobs"]).await;
    assert_eq!(
        mask_ages(&out),
        "NAME   STATUS    COMPLETIONS   DURATION   AGE\nscan   Running   0/1                      Ns\n"
    );
}

/// A kube-rs client for the server, through the kubeconfig it wrote.
async fn kube_client(env: &Env) -> kube::Client {
    let kubeconfig =
        kube::config::Kubeconfig::read_from(env.server.kubeconfig()).expect("kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("kube config");
    kube::Client::try_from(config).expect("client")
}

/// RFC 3339 time `secs` seconds ago.
fn ago(secs: i64) -> String {
    let t = k8s_openapi::jiff::Timestamp::now()
        .checked_sub(k8s_openapi::jiff::SignedDuration::from_secs(secs))
        .expect("a past time");
    format!("{}", t.strftime("%Y-%m-%dT%H:%M:%SZ"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_shows_events_created_through_kube() {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Event;
    use kube::api::{Api, PostParams};

    let env = Env::start().await;
    let f = env.write(
        "d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - {name: nginx, image: 'nginx:1.27'}\n",
    );
    env.kubectl(&["apply", "-f", f.to_str().unwrap()]).await;
    let client = kube_client(&env).await;
    let web = Api::<Deployment>::default_namespaced(client.clone())
        .get("web")
        .await
        .expect("get deployment");
    let uid = web.metadata.uid.clone().expect("uid");
    let events: Api<Event> = Api::namespaced(client, "default");
    let event = |name: &str, obj: &str, uid: &str, reason: &str, message: &str, count: i32| {
        serde_json::from_value::<Event>(serde_json::json!({
            "metadata": {"name": name},
            "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": obj,
                               "namespace": "default", "uid": uid},
            "reason": reason,
            "message": message,
            "type": if count > 1 { "Warning" } else { "Normal" },
            "firstTimestamp": ago(if count > 1 { 7200 } else { 60 * 20 }),
            "lastTimestamp": ago(if count > 1 { 1800 } else { 60 * 20 }),
            "count": count,
            "source": {"component": "palisade-operator", "host": "node-1"},
        }))
        .expect("event")
    };
    for e in [
        event(
            "web.1",
            "web",
            &uid,
            "ScanScheduled",
            "scanning nginx:1.27",
            1,
        ),
        event(
            "web.2",
            "web",
            &uid,
            "ScanFailed",
            "registry unreachable ",
            3,
        ),
        // Another object's event, and an older namesake's (other uid): not shown.
        event(
            "db.1",
            "db",
            "00000000-0000-0000-0000-000000000000",
            "Other",
            "not web",
            1,
        ),
        event(
            "web.old",
            "web",
            "11111111-1111-1111-1111-111111111111",
            "Stale",
            "old web",
            1,
        ),
    ] {
        let made = events
            .create(&PostParams::default(), &e)
            .await
            .expect("create event");
        assert_eq!(made.count, e.count);
        assert_eq!(made.first_timestamp, e.first_timestamp);
        assert_eq!(made.source, e.source);
        assert_eq!(made.involved_object, e.involved_object);
    }
    let out = env.kubectl(&["describe", "deployment", "web"]).await;
    let section = out
        .split_once("\nEvents:\n")
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no Events section:\n{out}"));
    assert_eq!(
        section,
        "  Type     Reason         Age                 From               Message\n  \
         ----     ------         ----                ----               -------\n  \
         Warning  ScanFailed     30m (x3 over 120m)  palisade-operator  registry unreachable\n  \
         Normal   ScanScheduled  20m                 palisade-operator  scanning nginx:1.27\n",
        "{out}"
    );
}
