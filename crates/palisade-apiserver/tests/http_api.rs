//! REST semantics over raw HTTP: errors as Status objects, optimistic concurrency,
//! patches, server-side apply, watches (resume, bookmarks, 410), persistence and
//! hostile input.

mod common;

use std::time::Duration;

use common::Env;
use palisade_apiserver::{Config, serve};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn j(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

async fn create_cm(env: &Env, name: &str) -> Value {
    let (code, _, body) = env.http("POST", CMS, "application/json", json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}}).to_string().as_bytes()).await;
    assert_eq!(code, 201, "{body}");
    j(&body)
}

/// Opens a watch and collects event lines until `n` arrive or the timeout passes.
async fn watch_lines(
    addr: std::net::SocketAddr,
    path: &str,
    n: usize,
    timeout: Duration,
) -> Vec<Value> {
    watch_lines_accept(addr, path, "application/json", n, timeout).await
}

/// [`watch_lines`] with the given `Accept` header.
async fn watch_lines_accept(
    addr: std::net::SocketAddr,
    path: &str,
    accept: &str,
    n: usize,
    timeout: Duration,
) -> Vec<Value> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut buf = Vec::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    while events.len() < n {
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout_at(deadline, s.read(&mut chunk)).await;
        match read {
            Ok(Ok(k)) if k > 0 => buf.extend_from_slice(&chunk[..k]),
            _ => break,
        }
        let text = String::from_utf8_lossy(&buf);
        events = text
            .split("\r\n")
            .filter(|l| l.starts_with('{'))
            .map(|l| j(l.trim()))
            .collect();
    }
    events
}

/// (method, path, content type, body, expected code, expected reason)
type Case = (
    &'static str,
    String,
    &'static str,
    Vec<u8>,
    u16,
    &'static str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_status_objects_with_real_reasons() {
    let env = Env::start().await;
    let cm = create_cm(&env, "a").await;
    let cases: Vec<Case> = vec![
        ("GET", format!("{CMS}/missing"), "", vec![], 404, "NotFound"),
        (
            "POST",
            CMS.into(),
            "application/json",
            json!({"metadata": {"name": "a"}}).to_string().into_bytes(),
            409,
            "AlreadyExists",
        ),
        (
            "POST",
            CMS.into(),
            "application/json",
            json!({"metadata": {"name": "Not_Valid"}})
                .to_string()
                .into_bytes(),
            422,
            "Invalid",
        ),
        (
            "POST",
            CMS.into(),
            "application/json",
            b"{not json".to_vec(),
            400,
            "BadRequest",
        ),
        (
            "POST",
            CMS.into(),
            "application/yaml",
            b"a: [unclosed".to_vec(),
            400,
            "BadRequest",
        ),
        (
            "POST",
            CMS.into(),
            "application/json",
            b"[1,2]".to_vec(),
            400,
            "BadRequest",
        ),
        (
            "POST",
            CMS.into(),
            "application/json",
            json!({"kind": "Pod", "metadata": {"name": "x"}})
                .to_string()
                .into_bytes(),
            400,
            "BadRequest",
        ),
        (
            "POST",
            CMS.into(),
            "application/xml",
            b"<x/>".to_vec(),
            415,
            "UnsupportedMediaType",
        ),
        (
            "PATCH",
            format!("{CMS}/a"),
            "text/plain",
            b"x".to_vec(),
            415,
            "UnsupportedMediaType",
        ),
        (
            "POST",
            CMS.into(),
            "application/json",
            vec![b' '; 4 * 1024 * 1024],
            413,
            "RequestEntityTooLarge",
        ),
        (
            "GET",
            "/api/v1/namespaces/default/nothings".into(),
            "",
            vec![],
            404,
            "NotFound",
        ),
        (
            "GET",
            format!("{CMS}?labelSelector=a%20in%20b"),
            "",
            vec![],
            400,
            "BadRequest",
        ),
        (
            "POST",
            "/api/v1/namespaces/nope/configmaps".into(),
            "application/json",
            json!({"metadata": {"name": "x"}}).to_string().into_bytes(),
            404,
            "NotFound",
        ),
    ];
    for (method, path, ct, body, code, reason) in cases {
        let (got, _, text) = env.http(method, &path, ct, &body).await;
        assert_eq!(got, code, "{method} {path}: {text}");
        let status = j(&text);
        assert_eq!(status["kind"], "Status", "{text}");
        assert_eq!(status["reason"], reason, "{method} {path}: {text}");
        assert_eq!(status["code"], code);
    }
    // Stale resourceVersion → 409 Conflict; the server is still healthy after all that.
    let mut stale = cm.clone();
    stale["data"]["a"] = json!("2");
    let (code, _, _) = env
        .http(
            "PUT",
            &format!("{CMS}/a"),
            "application/json",
            stale.to_string().as_bytes(),
        )
        .await;
    assert_eq!(code, 200);
    let (code, _, body) = env
        .http(
            "PUT",
            &format!("{CMS}/a"),
            "application/json",
            stale.to_string().as_bytes(),
        )
        .await;
    assert_eq!(code, 409, "{body}");
    assert_eq!(j(&body)["reason"], "Conflict");
    let (code, _, _) = env.http("GET", "/version", "", b"").await;
    assert_eq!(code, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patches_and_server_side_apply() {
    let env = Env::start().await;
    let pods = "/api/v1/namespaces/default/pods";
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1"}},
        "spec": {"containers": [{"name": "app", "image": "app:1"}, {"name": "side", "image": "side:1"}]}});
    let (code, _, body) = env
        .http("POST", pods, "application/json", pod.to_string().as_bytes())
        .await;
    assert_eq!(code, 201, "{body}");
    // Strategic merge: containers merge by name.
    let smp = json!({"spec": {"containers": [{"name": "side", "image": "side:2"}]}});
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{pods}/p"),
            "application/strategic-merge-patch+json",
            smp.to_string().as_bytes(),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let v = j(&body);
    assert_eq!(
        v["spec"]["containers"],
        json!([{"name": "app", "image": "app:1"}, {"name": "side", "image": "side:2"}])
    );
    // Merge patch replaces lists and deletes with null.
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{pods}/p"),
            "application/merge-patch+json",
            br#"{"metadata":{"labels":{"a":null,"b":"2"}}}"#,
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(j(&body)["metadata"]["labels"], json!({"b": "2"}));
    // JSON patch, with a failing test op.
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{pods}/p"),
            "application/json-patch+json",
            br#"[{"op":"test","path":"/metadata/labels/b","value":"9"}]"#,
        )
        .await;
    assert_eq!(code, 422, "{body}");
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{pods}/p"),
            "application/json-patch+json",
            br#"[{"op":"add","path":"/metadata/labels/c","value":"3"}]"#,
        )
        .await;
    assert_eq!(code, 200, "{body}");
    // Status subresource: main-resource writes cannot change status, /status can.
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{pods}/p"),
            "application/merge-patch+json",
            br#"{"status":{"phase":"Running"}}"#,
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(j(&body)["status"]["phase"], "Pending");
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{pods}/p/status"),
            "application/merge-patch+json",
            br#"{"status":{"phase":"Running"}}"#,
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(j(&body)["status"]["phase"], "Running");

    // Server-side apply: create, conflict, force.
    let leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
    let apply = |holder: &str| {
        format!(
            "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: lock\nspec:\n  holderIdentity: {holder}\n"
        )
    };
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{leases}/lock?fieldManager=op-a"),
            "application/apply-patch+yaml",
            apply("a").as_bytes(),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(j(&body)["metadata"]["managedFields"][0]["manager"], "op-a");
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{leases}/lock?fieldManager=op-b"),
            "application/apply-patch+yaml",
            apply("b").as_bytes(),
        )
        .await;
    assert_eq!(code, 409, "{body}");
    let st = j(&body);
    assert_eq!(st["reason"], "Conflict");
    assert_eq!(st["details"]["causes"][0]["field"], ".spec.holderIdentity");
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{leases}/lock?fieldManager=op-b&force=true"),
            "application/apply-patch+yaml",
            apply("b").as_bytes(),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(j(&body)["spec"]["holderIdentity"], "b");
    let (code, _, body) = env
        .http(
            "PATCH",
            &format!("{leases}/lock"),
            "application/apply-patch+yaml",
            apply("c").as_bytes(),
        )
        .await;
    assert_eq!(code, 400, "apply needs a field manager: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_resume_bookmark_and_expire() {
    let env = Env::start_with(Config {
        controllers: false,
        history_window: 5,
        bookmark_interval: Duration::from_millis(200),
        ..Config::default()
    })
    .await;
    let first = create_cm(&env, "w0").await;
    let rv0 = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    create_cm(&env, "w1").await;
    create_cm(&env, "w2").await;
    // Resume after w0: sees w1 and w2 in order, then a bookmark.
    let evs = watch_lines(
        env.server.addr(),
        &format!("{CMS}?watch=true&resourceVersion={rv0}&allowWatchBookmarks=true"),
        3,
        Duration::from_secs(5),
    )
    .await;
    let names: Vec<&str> = evs
        .iter()
        .map(|e| e["object"]["metadata"]["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(&names[..2], &["w1", "w2"], "{evs:?}");
    assert_eq!(evs[0]["type"], "ADDED");
    assert_eq!(evs[2]["type"], "BOOKMARK");
    // Labels filter watches too.
    // Compaction: after more than the window of changes, the old rv is gone.
    for i in 3..10 {
        create_cm(&env, &format!("w{i}")).await;
    }
    let evs = watch_lines(
        env.server.addr(),
        &format!("{CMS}?watch=true&resourceVersion={rv0}"),
        1,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(evs[0]["type"], "ERROR", "{evs:?}");
    assert_eq!(evs[0]["object"]["code"], 410);
    assert_eq!(evs[0]["object"]["reason"], "Expired");
    // A live watch keeps working while another client sends garbage.
    let addr = env.server.addr();
    let watcher = tokio::spawn(async move {
        watch_lines(
            addr,
            &format!("{CMS}?watch=1&resourceVersion=0&fieldSelector=metadata.name%3Dlate"),
            2,
            Duration::from_secs(10),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (code, _, _) = env
        .http("POST", CMS, "application/json", b"\xff\xfe garbage")
        .await;
    assert_eq!(code, 400);
    let mut raw = TcpStream::connect(addr).await.unwrap();
    raw.write_all(b"THIS IS NOT HTTP\r\n\r\n").await.unwrap();
    drop(raw);
    let late = create_cm(&env, "late").await;
    let (code, _, _) = env.http("DELETE", &format!("{CMS}/late"), "", b"").await;
    assert_eq!(code, 200);
    let evs = watcher.await.unwrap();
    assert_eq!(
        evs.iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["ADDED", "DELETED"],
        "{evs:?}"
    );
    assert_eq!(evs[0]["object"]["metadata"]["uid"], late["metadata"]["uid"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_and_filter() {
    let env = Env::start().await;
    for i in 0..5 {
        create_cm(&env, &format!("c{i}")).await;
    }
    let (_, _, body) = env.http("GET", &format!("{CMS}?limit=2"), "", b"").await;
    let page = j(&body);
    assert_eq!(page["kind"], "ConfigMapList");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["metadata"]["remainingItemCount"], 3);
    let token = page["metadata"]["continue"].as_str().unwrap().to_string();
    let (_, _, body) = env
        .http("GET", &format!("{CMS}?limit=10&continue={token}"), "", b"")
        .await;
    let names: Vec<String> = j(&body)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["c2", "c3", "c4"]);
    let (_, _, body) = env
        .http(
            "GET",
            "/api/v1/configmaps?fieldSelector=metadata.name%3Dc1,metadata.namespace%3Ddefault",
            "",
            b"",
        )
        .await;
    assert_eq!(j(&body)["items"].as_array().unwrap().len(), 1);
    // generateName
    let (code, _, body) = env
        .http(
            "POST",
            CMS,
            "application/json",
            br#"{"metadata":{"generateName":"gen-"}}"#,
        )
        .await;
    assert_eq!(code, 201);
    assert!(
        j(&body)["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("gen-")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_file_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let config = Config {
        controllers: false,
        state_file: Some(state.clone()),
        kubeconfig: Some(dir.path().join("kc")),
        ..Config::default()
    };
    let server = serve(config.clone()).await.unwrap();
    let (code, _, body) = common::http(
        server.addr(),
        "POST",
        CMS,
        "application/json",
        br#"{"metadata":{"name":"kept"}}"#,
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let uid = j(&body)["metadata"]["uid"].clone();
    let kept_rv: u64 = j(&body)["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    server.shutdown().await;
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(text.contains("\"kept\""));
    let server = serve(config).await.unwrap();
    let (code, _, body) = common::http(server.addr(), "GET", &format!("{CMS}/kept"), "", b"").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(j(&body)["metadata"]["uid"], uid);
    // New writes continue the resourceVersion sequence.
    let (_, _, body) = common::http(
        server.addr(),
        "POST",
        CMS,
        "application/json",
        br#"{"metadata":{"name":"next"}}"#,
    )
    .await;
    let rv: u64 = j(&body)["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        rv > kept_rv,
        "resourceVersions never go back after a restart"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_content_types() {
    let env = Env::start().await;
    let (code, ct, body) = {
        let mut s = TcpStream::connect(env.server.addr()).await.unwrap();
        s.write_all(b"GET /apis HTTP/1.1\r\nHost: x\r\nAccept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).await.unwrap();
        let (head, body) = buf.split_once("\r\n\r\n").unwrap();
        let ct = head
            .lines()
            .find_map(|l| l.strip_prefix("content-type: "))
            .unwrap_or_default()
            .to_string();
        (
            head.split_whitespace().nth(1).unwrap().to_string(),
            ct,
            body.to_string(),
        )
    };
    assert_eq!(code, "200");
    assert_eq!(
        ct,
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    );
    assert!(body.contains("\"apps\""));
    let (_, _, v) = env.http("GET", "/version", "", b"").await;
    assert_eq!(j(&v)["minor"], "32");
    let (code, _, body) = env.http("GET", "/openapi/v3", "", b"").await;
    assert_eq!(code, 200);
    assert!(j(&body)["paths"]["apis/apiextensions.k8s.io/v1"]["serverRelativeURL"].is_string());
}

const META: &str = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
const META_LIST: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// Asserts `v` is exactly a v1 `PartialObjectMetadata`: kind, apiVersion and metadata,
/// nothing else.
fn assert_partial(v: &Value) {
    let keys: Vec<&String> = v.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["apiVersion", "kind", "metadata"], "{v}");
    assert_eq!(v["kind"], "PartialObjectMetadata", "{v}");
    assert_eq!(v["apiVersion"], "meta.k8s.io/v1", "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_only_responses() {
    let env = Env::start_with(Config {
        controllers: false,
        history_window: 30,
        bookmark_interval: Duration::from_millis(200),
        ..Config::default()
    })
    .await;
    let addr = env.server.addr();
    let req = |method: &'static str, path: String, accept: &'static str, body: Value| async move {
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        common::http_accept(addr, method, &path, accept, "application/json", &body).await
    };
    let (code, _, body) = req(
        "POST",
        "/api/v1/namespaces".into(),
        "application/json",
        json!({"metadata": {"name": "other"}}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    for (ns, name, tier) in [
        ("default", "m1", "web"),
        ("default", "m2", "db"),
        ("other", "m3", "web"),
    ] {
        let (code, _, body) = req(
            "POST",
            format!("/api/v1/namespaces/{ns}/configmaps"),
            "application/json",
            json!({"metadata": {"name": name, "labels": {"meta": "yes", "tier": tier},
                   "annotations": {"note": format!("{name} note")}},
                   "data": {"secret-ish": "payload"}}),
        )
        .await;
        assert_eq!(code, 201, "{body}");
    }

    // GET: the whole ObjectMeta, and nothing of the object besides.
    let (code, ct, body) = req("GET", format!("{CMS}/m1"), META, Value::Null).await;
    assert_eq!((code, ct.as_str()), (200, "application/json"), "{body}");
    let got = j(&body);
    assert_partial(&got);
    let (_, _, full) = req("GET", format!("{CMS}/m1"), "application/json", Value::Null).await;
    let full = j(&full);
    assert_eq!(got["metadata"], full["metadata"]);
    assert!(got["metadata"]["managedFields"].is_array(), "{got}");
    assert!(!body.contains("payload"), "{body}");

    // LIST across namespaces with a label selector and paging.
    let (code, _, body) = req(
        "GET",
        "/api/v1/configmaps?labelSelector=meta%3Dyes&limit=2".into(),
        META_LIST,
        Value::Null,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let page = j(&body);
    let keys: Vec<&String> = page.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["apiVersion", "items", "kind", "metadata"], "{page}");
    assert_eq!(page["kind"], "PartialObjectMetadataList");
    assert_eq!(page["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(page["metadata"]["remainingItemCount"], 1, "{page}");
    assert!(page["metadata"]["resourceVersion"].is_string());
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    items.iter().for_each(assert_partial);
    assert!(!body.contains("payload"), "{body}");
    let token = page["metadata"]["continue"].as_str().unwrap().to_string();
    let (_, _, body) = req(
        "GET",
        format!("/api/v1/configmaps?labelSelector=meta%3Dyes&limit=2&continue={token}"),
        META_LIST,
        Value::Null,
    )
    .await;
    let rest = j(&body);
    assert_eq!(rest["items"][0]["metadata"]["name"], "m3", "{rest}");
    assert_eq!(
        rest["items"][0]["metadata"]["annotations"]["note"],
        "m3 note"
    );
    assert!(rest["metadata"].get("continue").is_none(), "{rest}");
    // Field selectors; an empty list has `items: null`, as the real server encodes it.
    let (_, _, body) = req(
        "GET",
        format!("{CMS}?fieldSelector=metadata.name%3Dm2"),
        META_LIST,
        Value::Null,
    )
    .await;
    assert_eq!(j(&body)["items"][0]["metadata"]["labels"]["tier"], "db");
    let (_, _, body) = req(
        "GET",
        format!("{CMS}?labelSelector=tier%3Dnone"),
        META_LIST,
        Value::Null,
    )
    .await;
    assert!(j(&body)["items"].is_null(), "{body}");

    // Several clauses: the first one the server supports wins.
    let (_, _, body) = req(
        "GET",
        format!("{CMS}/m1"),
        "application/json;as=Frobnicated;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
        Value::Null,
    )
    .await;
    assert_partial(&j(&body));
    let (_, _, body) = req(
        "GET",
        CMS.into(),
        "application/json;as=Frobnicated;g=meta.k8s.io;v=v1, application/json",
        Value::Null,
    )
    .await;
    assert_eq!(j(&body)["kind"], "ConfigMapList");
    // Nothing acceptable, or a representation that does not fit: 406 as a Status.
    for (path, accept, message) in [
        (
            format!("{CMS}/m1"),
            "application/json;as=Frobnicated;g=meta.k8s.io;v=v1",
            "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        ),
        (
            CMS.to_string(),
            "text/html",
            "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        ),
        (
            CMS.to_string(),
            META,
            "you requested PartialObjectMetadata, but the requested object is a list (*core.ConfigMapList)",
        ),
        (
            format!("{CMS}/m1"),
            META_LIST,
            "you requested PartialObjectMetadataList, but the requested object is not a list (*core.ConfigMap)",
        ),
    ] {
        let (code, _, body) = req("GET", path.clone(), accept, Value::Null).await;
        assert_eq!(code, 406, "{path} {accept}: {body}");
        let status = j(&body);
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["reason"], "NotAcceptable");
        assert_eq!(status["code"], 406);
        assert_eq!(status["message"], message);
    }
    // Writes answer in the negotiated form too (kube-rs `patch_metadata`).
    let (code, _, body) = req(
        "PATCH",
        format!("{CMS}/m1"),
        META,
        json!({"metadata": {"annotations": {"patched": "yes"}}}),
    )
    .await;
    assert_eq!(code, 415, "a merge patch needs its content type: {body}");
    let (code, _, body) = common::http_accept(
        addr,
        "PATCH",
        &format!("{CMS}/m1"),
        META,
        "application/merge-patch+json",
        br#"{"metadata":{"annotations":{"patched":"yes"}}}"#,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let patched = j(&body);
    assert_partial(&patched);
    assert_eq!(patched["metadata"]["annotations"]["patched"], "yes");

    // A custom resource, listed cluster-wide.
    let (code, _, body) = req(
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions".into(),
        "application/json",
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "gadgets.example.com"},
               "spec": {"group": "example.com", "scope": "Namespaced",
                        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
                        "versions": [{"name": "v1", "served": true, "storage": true,
                                      "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    for ns in ["default", "other"] {
        let (code, _, body) = req(
            "POST",
            format!("/apis/example.com/v1/namespaces/{ns}/gadgets"),
            "application/json",
            json!({"apiVersion": "example.com/v1", "kind": "Gadget",
                   "metadata": {"name": format!("g-{ns}"), "labels": {"ns": ns}},
                   "spec": {"size": 3}}),
        )
        .await;
        assert_eq!(code, 201, "{body}");
    }
    let (code, _, body) = req(
        "GET",
        "/apis/example.com/v1/gadgets".into(),
        META_LIST,
        Value::Null,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let list = j(&body);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|i| assert_partial(i))
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["g-default", "g-other"]);
    assert!(!body.contains("\"spec\":"), "{body}");
    let (code, _, body) = req(
        "GET",
        "/apis/example.com/v1/gadgets".into(),
        META,
        Value::Null,
    )
    .await;
    assert_eq!(code, 406, "{body}");
    assert!(body.contains("(*unstructured.UnstructuredList)"), "{body}");

    // WATCH: every event's object is PartialObjectMetadata, bookmarks included.
    let rv = patched["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let watcher = tokio::spawn(async move {
        watch_lines_accept(
            addr,
            &format!("{CMS}?watch=true&resourceVersion={rv}&allowWatchBookmarks=true&labelSelector=meta%3Dyes"),
            META,
            3,
            Duration::from_secs(10),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (code, _, _) = common::http_accept(
        addr,
        "PATCH",
        &format!("{CMS}/m2"),
        "application/json",
        "application/merge-patch+json",
        br#"{"metadata":{"labels":{"tier":"cache"}}}"#,
    )
    .await;
    assert_eq!(code, 200);
    let (code, _, _) = req(
        "DELETE",
        format!("{CMS}/m2"),
        "application/json",
        Value::Null,
    )
    .await;
    assert_eq!(code, 200);
    let evs = watcher.await.unwrap();
    let types: Vec<&str> = evs.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["MODIFIED", "DELETED", "BOOKMARK"], "{evs:?}");
    evs.iter().for_each(|e| assert_partial(&e["object"]));
    assert_eq!(evs[0]["object"]["metadata"]["labels"]["tier"], "cache");
    assert_eq!(
        evs[1]["object"]["metadata"]["annotations"]["note"],
        "m2 note"
    );
    assert!(evs[2]["object"]["metadata"]["resourceVersion"].is_string());
    // Streaming list: the objects, then the bookmark that ends the initial events.
    let evs = watch_lines_accept(
        addr,
        "/api/v1/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=meta%3Dyes",
        META,
        3,
        Duration::from_secs(10),
    )
    .await;
    let seen: Vec<(&str, &str)> = evs
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["object"]["metadata"]["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [("ADDED", "m1"), ("ADDED", "m3"), ("BOOKMARK", "")],
        "{evs:?}"
    );
    evs.iter().for_each(|e| assert_partial(&e["object"]));
    assert_eq!(
        evs[2]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    // ERROR events keep their Status object.
    for i in 0..35 {
        create_cm(&env, &format!("filler{i}")).await;
    }
    let evs = watch_lines_accept(
        addr,
        &format!("{CMS}?watch=true&resourceVersion=1"),
        META,
        1,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(evs[0]["type"], "ERROR", "{evs:?}");
    assert_eq!(evs[0]["object"]["kind"], "Status");
    assert_eq!(evs[0]["object"]["code"], 410);
    // A watch of lists makes no sense: 406 up front.
    let (code, _, body) = req("GET", format!("{CMS}?watch=true"), META_LIST, Value::Null).await;
    assert_eq!(code, 406, "{body}");
}
