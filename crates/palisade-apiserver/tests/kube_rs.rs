//! kube-rs against the test server: the client library our operator is built on must
//! work here exactly as on a real cluster. Each test starts its own server in-process
//! and talks to it through the kubeconfig the server wrote.
//!
//! Scenarios (issue 3 §6): watchers that survive dropped connections and compaction
//! (410 → relist), a `Controller` that owns ConfigMaps of a custom resource, server-side
//! apply conflicts, leader election with Leases, and metadata-only lists, gets and
//! watchers (`PartialObjectMetadata`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, PartialObjectMeta, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Client, CustomResource, CustomResourceExt, Resource, ResourceExt};
use palisade_apiserver::{Config, RunningServer, serve};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

async fn start(controllers: bool) -> (RunningServer, Client) {
    let server = serve(Config {
        controllers,
        // Frequent bookmarks exercise the client's bookmark handling within a test's time.
        bookmark_interval: Duration::from_millis(300),
        ..Config::default()
    })
    .await
    .expect("server starts");
    let kubeconfig = Kubeconfig::read_from(server.kubeconfig()).expect("kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("kube config from the written kubeconfig");
    let client = Client::try_from(config).expect("client");
    (server, client)
}

/// Polls `f` every 50 ms until it is true; fails the test after `secs` seconds.
async fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn cm(name: &str, data: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"watched": "yes"}},
        "data": {"v": data},
    }))
    .expect("configmap")
}

/// Creates or deletes a ConfigMap directly in the store, under the same lock as a
/// connection drop, so no client can observe the change before the drop.
fn store_cm(s: &mut palisade_apiserver::store::Store, name: &str, delete: bool) {
    let rt = s
        .registry
        .get("", "v1", "configmaps")
        .expect("configmaps type");
    if delete {
        s.delete(
            &rt,
            "default",
            name,
            &palisade_apiserver::store::DeleteOptions::default(),
            false,
        )
        .expect("delete");
    } else {
        s.create(
            &rt,
            "default",
            json!({"metadata": {"name": name, "labels": {"watched": "yes"}}, "data": {"v": name}}),
            false,
        )
        .expect("create");
    }
}

fn names(store: &reflector::Store<ConfigMap>) -> Vec<String> {
    let mut n: Vec<String> = store.state().iter().map(|c| c.name_any()).collect();
    n.sort();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_survives_dropped_connections_and_relists_after_compaction() {
    let (server, client) = start(false).await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    api.create(&PostParams::default(), &cm("a", "a"))
        .await
        .expect("create a");

    // Two watchers: the classic list-then-watch and streaming lists (sendInitialEvents).
    let mut readers = Vec::new();
    let inits = Arc::new(Mutex::new(BTreeMap::<&str, usize>::new()));
    for (label, cfg) in [
        ("list", watcher::Config::default().labels("watched=yes")),
        (
            "stream",
            watcher::Config::default()
                .labels("watched=yes")
                .streaming_lists(),
        ),
    ] {
        let (reader, writer) = reflector::store::<ConfigMap>();
        let inits = inits.clone();
        let stream = reflector(writer, watcher(api.clone(), cfg)).default_backoff();
        tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(ev) = stream.next().await {
                if let Ok(watcher::Event::Init) = ev {
                    *inits.lock().expect("lock").entry(label).or_default() += 1;
                }
            }
        });
        readers.push(reader);
    }
    let all_see = |want: &[&str]| {
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        readers.iter().all(|r| names(r) == want)
    };
    wait_for("both watchers list a", 10, || all_see(&["a"])).await;
    let relists = || inits.lock().expect("lock").clone();
    assert_eq!(relists(), BTreeMap::from([("list", 1), ("stream", 1)]));

    // Ordinary changes arrive as watch events.
    api.create(&PostParams::default(), &cm("b", "b"))
        .await
        .expect("create b");
    wait_for("both watchers see b", 10, || all_see(&["a", "b"])).await;

    // A dropped connection: the watchers resume from their last resourceVersion and
    // catch up from history, without a relist.
    server.with_store(|s| {
        s.drop_connections();
        store_cm(s, "c", false);
    });
    wait_for("both watchers see c after reconnecting", 15, || {
        all_see(&["a", "b", "c"])
    })
    .await;
    assert_eq!(
        relists(),
        BTreeMap::from([("list", 1), ("stream", 1)]),
        "a reconnect within the history window must not relist"
    );

    // Compaction while disconnected: resuming gets 410 Gone, and the watchers relist.
    server.with_store(|s| {
        s.drop_connections();
        store_cm(s, "a", true);
        store_cm(s, "d", false);
        s.compact();
    });
    wait_for("both watchers relist after 410", 15, || {
        all_see(&["b", "c", "d"])
    })
    .await;
    assert_eq!(relists(), BTreeMap::from([("list", 2), ("stream", 2)]));

    // And they keep watching afterwards.
    api.delete("b", &DeleteParams::default())
        .await
        .expect("delete b");
    wait_for("both watchers see b deleted", 10, || all_see(&["c", "d"])).await;
}

#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "palisade.example.com",
    version = "v1",
    kind = "Greeting",
    namespaced
)]
struct GreetingSpec {
    message: String,
}

struct Ctx {
    client: Client,
    reconciles: Mutex<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct ReconcileError(#[from] kube::Error);

async fn reconcile(g: Arc<Greeting>, ctx: Arc<Ctx>) -> Result<Action, ReconcileError> {
    let ns = g.namespace().unwrap_or_default();
    ctx.reconciles.lock().expect("lock").push(g.name_any());
    let owner = g.controller_owner_ref(&()).expect("greeting has a uid");
    let child = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("{}-greeting", g.name_any()), "ownerReferences": [owner]},
        "data": {"message": g.spec.message},
    });
    let cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ns);
    cms.patch(
        &format!("{}-greeting", g.name_any()),
        &PatchParams::apply("palisade").force(),
        &Patch::Apply(child),
    )
    .await?;
    Ok(Action::await_change())
}

fn error_policy(_: Arc<Greeting>, e: &ReconcileError, _: Arc<Ctx>) -> Action {
    tracing::warn!(error = %e, "reconcile failed");
    Action::requeue(Duration::from_millis(200))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_owns_configmaps_of_a_custom_resource() {
    let (_server, client) = start(true).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Greeting::crd())
        .await
        .expect("create CRD");
    let greetings: Api<Greeting> = Api::default_namespaced(client.clone());
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        reconciles: Mutex::new(Vec::new()),
    });
    let controller = Controller::new(greetings.clone(), watcher::Config::default())
        .owns(cms.clone(), watcher::Config::default())
        .run(reconcile, error_policy, ctx.clone())
        .for_each(|_| async {});
    let task = tokio::spawn(controller);
    let count = || ctx.reconciles.lock().expect("lock").len();

    greetings
        .create(
            &PostParams::default(),
            &Greeting::new(
                "hello",
                GreetingSpec {
                    message: "hi".into(),
                },
            ),
        )
        .await
        .expect("create greeting");
    let child = |cms: Api<ConfigMap>| async move { cms.get_opt("hello-greeting").await };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let made = loop {
        if let Some(c) = child(cms.clone()).await.expect("get child") {
            break c;
        }
        assert!(tokio::time::Instant::now() < deadline, "child never made");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        made.data
            .as_ref()
            .and_then(|d| d.get("message"))
            .map(String::as_str),
        Some("hi")
    );
    let owner = &made.owner_references()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("Greeting", "hello", Some(true))
    );
    let managers: Vec<String> = made
        .managed_fields()
        .iter()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert_eq!(managers, vec!["palisade".to_string()]);

    // Someone edits the child: the controller is triggered through `owns` and its forced
    // apply restores the message.
    let before = count();
    cms.patch(
        "hello-greeting",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"message": "tampered"}})),
    )
    .await
    .expect("tamper");
    wait_for("a reconcile after the child changed", 10, || {
        count() > before
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let c = cms.get("hello-greeting").await.expect("get child");
        if c.data
            .as_ref()
            .and_then(|d| d.get("message"))
            .map(String::as_str)
            == Some("hi")
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "child not restored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Deleting the child triggers another reconcile, which recreates it.
    let old_uid = cms.get("hello-greeting").await.expect("get").uid();
    let before = count();
    cms.delete("hello-greeting", &DeleteParams::default())
        .await
        .expect("delete child");
    wait_for("a reconcile after the child was deleted", 10, || {
        count() > before
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(c) = cms.get_opt("hello-greeting").await.expect("get")
            && c.uid() != old_uid
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "child not recreated"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Deleting the custom resource garbage-collects the child.
    greetings
        .delete("hello", &DeleteParams::default())
        .await
        .expect("delete greeting");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while cms.get_opt("hello-greeting").await.expect("get").is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "child not collected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_through_kube() {
    let (_server, client) = start(false).await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let apply = |v: &str, extra: Option<(&str, &str)>| {
        let mut data = json!({"shared": v});
        if let Some((k, val)) = extra {
            data[k] = json!(val);
        }
        Patch::Apply(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": data}),
        )
    };
    // Create.
    let made = api
        .patch(
            "ssa",
            &PatchParams::apply("alpha"),
            &apply("1", Some(("a", "x"))),
        )
        .await
        .expect("apply creates");
    assert_eq!(made.data.as_ref().map(BTreeMap::len), Some(2));
    // Update by the same manager; dropping `a` removes it.
    let updated = api
        .patch("ssa", &PatchParams::apply("alpha"), &apply("2", None))
        .await
        .expect("apply updates");
    assert_eq!(
        updated.data,
        Some(BTreeMap::from([("shared".to_string(), "2".to_string())]))
    );
    // Another manager with a different value conflicts.
    let err = api
        .patch("ssa", &PatchParams::apply("beta"), &apply("3", None))
        .await
        .expect_err("conflict without force");
    match err {
        kube::Error::Api(s) => {
            assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
            assert!(
                s.message.contains("conflict with \"alpha\""),
                "{}",
                s.message
            );
        }
        other => panic!("expected a 409 Status, got {other:?}"),
    }
    // Same value: shared ownership, no conflict.
    api.patch("ssa", &PatchParams::apply("gamma"), &apply("2", None))
        .await
        .expect("same value shares ownership");
    // Force wins and takes the field.
    let forced = api
        .patch(
            "ssa",
            &PatchParams::apply("beta").force(),
            &apply("3", None),
        )
        .await
        .expect("force wins");
    assert_eq!(
        forced
            .data
            .as_ref()
            .and_then(|d| d.get("shared"))
            .map(String::as_str),
        Some("3")
    );
    let owners: BTreeMap<String, bool> = forced
        .managed_fields()
        .iter()
        .map(|m| {
            let owns = m
                .fields_v1
                .as_ref()
                .is_some_and(|f| f.0.pointer("/f:data/f:shared").is_some());
            (m.manager.clone().unwrap_or_default(), owns)
        })
        .collect();
    assert_eq!(owners.get("beta"), Some(&true), "{owners:?}");
    assert_ne!(owners.get("alpha"), Some(&true), "{owners:?}");
    // Dry run does not store.
    api.patch(
        "ssa",
        &PatchParams::apply("beta").force().dry_run(),
        &apply("4", None),
    )
    .await
    .expect("dry run");
    let live = api.get("ssa").await.expect("get");
    assert_eq!(
        live.data
            .as_ref()
            .and_then(|d| d.get("shared"))
            .map(String::as_str),
        Some("3")
    );
}

async fn manager(client: Client, id: &str) -> kube_lease_manager::LeaseManager {
    kube_lease_manager::LeaseManagerBuilder::new(client, "palisade-leader")
        .with_namespace("default")
        .with_identity(id)
        .with_duration(3)
        .with_grace(1)
        .build()
        .await
        .expect("lease manager")
}

fn holder(lease: &Lease) -> Option<String> {
    lease.spec.as_ref().and_then(|s| s.holder_identity.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_election_with_leases() {
    let (_server, client) = start(false).await;
    let leases: Api<Lease> = Api::default_namespaced(client.clone());
    let (a, a_task) = manager(client.clone(), "one").await.watch().await;
    let (b, b_task) = manager(client.clone(), "two").await.watch().await;

    // Exactly one becomes leader, and stays the only one over a few renewals.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !*a.borrow() && !*b.borrow() {
        assert!(tokio::time::Instant::now() < deadline, "nobody leads");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..40 {
        assert!(!(*a.borrow() && *b.borrow()), "two leaders at once");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (mut leader, leader_task, mut follower, follower_task, leader_id, follower_id) =
        if *a.borrow() {
            (a, a_task, b, b_task, "one", "two")
        } else {
            (b, b_task, a, a_task, "two", "one")
        };
    assert!(*leader.borrow_and_update());
    let lease = leases.get("palisade-leader").await.expect("lease");
    assert_eq!(holder(&lease).as_deref(), Some(leader_id));

    // The leader steps down (dropping its channel releases the lease): the follower
    // takes over.
    drop(leader);
    let _ = leader_task.await.expect("leader task").expect("released");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !*follower.borrow_and_update() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no takeover after release"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lease = leases.get("palisade-leader").await.expect("lease");
    assert_eq!(holder(&lease).as_deref(), Some(follower_id));

    // A new contender waits while the leader renews; when the leader dies without
    // releasing (its task is aborted), the lease expires and the contender takes over.
    let (mut c, c_task) = manager(client.clone(), "three").await.watch().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(!*c.borrow(), "the lease is renewed, so no takeover");
    follower_task.abort();
    drop(follower);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !*c.borrow_and_update() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no takeover after expiry"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lease = leases.get("palisade-leader").await.expect("lease");
    assert_eq!(holder(&lease).as_deref(), Some("three"));
    assert!(
        lease
            .spec
            .as_ref()
            .and_then(|s| s.lease_transitions)
            .is_some_and(|t| t >= 2),
        "{lease:?}"
    );
    drop(c);
    let _ = c_task.await;
}

/// (event, `namespace/name as <served kind>`, labels, annotations) as a metadata watcher
/// reported them.
type Seen = (
    &'static str,
    String,
    BTreeMap<String, String>,
    BTreeMap<String, String>,
);

fn seen_of(kind: &'static str, m: &PartialObjectMeta<Greeting>) -> Seen {
    (
        kind,
        format!(
            "{}/{} as {}",
            m.namespace().unwrap_or_default(),
            m.name_any(),
            m.types.as_ref().map_or("no kind", |t| t.kind.as_str())
        ),
        m.labels().clone(),
        m.annotations().clone(),
    )
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_lists_gets_and_metadata_watcher() {
    let (server, client) = start(false).await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "other"}})).expect("namespace"),
        )
        .await
        .expect("create namespace");

    // Built-in type: list_metadata across namespaces, paged, and get_metadata.
    let mut uids = BTreeMap::new();
    for (ns, name) in [("default", "p1"), ("default", "p2"), ("other", "p3")] {
        let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "meta"},
                         "annotations": {"owner": format!("team-{name}")}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }))
        .expect("pod");
        let made = pods
            .create(&PostParams::default(), &pod)
            .await
            .expect("create pod");
        uids.insert(name, made.uid().expect("uid"));
    }
    let all_pods: Api<Pod> = Api::all(client.clone());
    let lp = ListParams::default().labels("app=meta").limit(2);
    let first = all_pods.list_metadata(&lp).await.expect("list_metadata");
    assert_eq!(first.types.kind, "PartialObjectMetadataList");
    assert_eq!(first.types.api_version, "meta.k8s.io/v1");
    assert_eq!(first.metadata.remaining_item_count, Some(1));
    let token = first.metadata.continue_.clone().expect("a continue token");
    let rest = all_pods
        .list_metadata(&lp.continue_token(&token))
        .await
        .expect("second page");
    let listed: Vec<(String, String, Option<String>)> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|m| {
            assert_eq!(
                m.types
                    .as_ref()
                    .map(|t| (t.kind.as_str(), t.api_version.as_str())),
                Some(("PartialObjectMetadata", "meta.k8s.io/v1"))
            );
            (
                m.name_any(),
                m.namespace().unwrap_or_default(),
                m.annotations().get("owner").cloned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("p1".into(), "default".into(), Some("team-p1".into())),
            ("p2".into(), "default".into(), Some("team-p2".into())),
            ("p3".into(), "other".into(), Some("team-p3".into())),
        ]
    );
    let p3 = Api::<Pod>::namespaced(client.clone(), "other")
        .get_metadata("p3")
        .await
        .expect("get_metadata");
    assert_eq!(p3.uid().as_deref(), uids.get("p3").map(String::as_str));
    assert_eq!(p3.labels().get("app").map(String::as_str), Some("meta"));
    assert_eq!(
        p3.types.as_ref().map(|t| t.kind.as_str()),
        Some("PartialObjectMetadata")
    );

    // Custom resource: metadata_watcher, classic and streaming lists, across namespaces.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Greeting::crd())
        .await
        .expect("create CRD");
    let greeting = |name: &str, team: &str, note: &str| {
        let mut g = Greeting::new(
            name,
            GreetingSpec {
                message: "hi".into(),
            },
        );
        g.metadata.labels = Some(map(&[("team", team)]));
        g.metadata.annotations = Some(map(&[("note", note)]));
        g
    };
    let in_default: Api<Greeting> = Api::default_namespaced(client.clone());
    let in_other: Api<Greeting> = Api::namespaced(client.clone(), "other");
    in_default
        .create(&PostParams::default(), &greeting("early", "a", "first"))
        .await
        .expect("create early");

    let all_greetings: Api<Greeting> = Api::all(client.clone());
    let mut logs = Vec::new();
    let inits = Arc::new(Mutex::new(BTreeMap::<&str, usize>::new()));
    // `metadata_watcher` (deprecated in kube 5 in favour of a watcher on
    // `Api<PartialObjectMeta<K>>`, which sends the same requests) in both list modes,
    // and the newer form.
    #[allow(deprecated)]
    let streams = [
        (
            "list",
            kube::runtime::metadata_watcher(all_greetings.clone(), watcher::Config::default())
                .boxed(),
        ),
        (
            "stream",
            kube::runtime::metadata_watcher(
                all_greetings.clone(),
                watcher::Config::default().streaming_lists(),
            )
            .boxed(),
        ),
        (
            "api",
            watcher(
                Api::<PartialObjectMeta<Greeting>>::all(client.clone()),
                watcher::Config::default(),
            )
            .boxed(),
        ),
    ];
    for (label, stream) in streams {
        let log = Arc::new(Mutex::new(Vec::<Seen>::new()));
        let (inits, events) = (inits.clone(), log.clone());
        let stream = stream.default_backoff();
        tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(ev) = stream.next().await {
                let seen = match ev {
                    Ok(watcher::Event::Init) => {
                        *inits.lock().expect("lock").entry(label).or_default() += 1;
                        continue;
                    }
                    Ok(watcher::Event::InitApply(m)) => seen_of("init", &m),
                    Ok(watcher::Event::Apply(m)) => seen_of("apply", &m),
                    Ok(watcher::Event::Delete(m)) => seen_of("delete", &m),
                    Ok(watcher::Event::InitDone) | Err(_) => continue,
                };
                events.lock().expect("lock").push(seen);
            }
        });
        logs.push(log);
    }
    let all_saw = |want: &Seen| {
        logs.iter()
            .all(|l| l.lock().expect("lock").iter().any(|s| s == want))
    };
    let want = |kind, name: &str, team: &str, note: &str| -> Seen {
        (
            kind,
            format!("{name} as PartialObjectMetadata"),
            map(&[("team", team)]),
            map(&[("note", note)]),
        )
    };

    let early = want("init", "default/early", "a", "first");
    wait_for("both watchers list early", 10, || all_saw(&early)).await;
    // ADDED in another namespace.
    in_other
        .create(&PostParams::default(), &greeting("late", "c", "hello"))
        .await
        .expect("create late");
    let late = want("apply", "other/late", "c", "hello");
    wait_for("both watchers see late added", 10, || all_saw(&late)).await;
    // MODIFIED: new labels and annotations arrive.
    in_default
        .patch(
            "early",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"metadata": {"labels": {"team": "b"}, "annotations": {"note": "second"}}}),
            ),
        )
        .await
        .expect("patch early");
    let modified = want("apply", "default/early", "b", "second");
    wait_for("both watchers see early modified", 10, || {
        all_saw(&modified)
    })
    .await;
    // A dropped connection: the watchers resume and catch up without relisting.
    server.with_store(|s| {
        let rt = s
            .registry
            .get("palisade.example.com", "v1", "greetings")
            .expect("greetings type");
        s.drop_connections();
        s.create(
            &rt,
            "default",
            json!({"apiVersion": "palisade.example.com/v1", "kind": "Greeting",
                   "metadata": {"name": "dropped", "labels": {"team": "d"}, "annotations": {"note": "while away"}},
                   "spec": {"message": "hi"}}),
            false,
        )
        .expect("create dropped");
    });
    let dropped = want("apply", "default/dropped", "d", "while away");
    wait_for("both watchers see dropped after reconnecting", 15, || {
        all_saw(&dropped)
    })
    .await;
    // DELETED, with the object's last labels and annotations.
    in_default
        .delete("early", &DeleteParams::default())
        .await
        .expect("delete early");
    let deleted = want("delete", "default/early", "b", "second");
    wait_for("both watchers see early deleted", 10, || all_saw(&deleted)).await;
    assert_eq!(
        inits.lock().expect("lock").clone(),
        BTreeMap::from([("api", 1), ("list", 1), ("stream", 1)]),
        "a reconnect within the history window must not relist"
    );
}
