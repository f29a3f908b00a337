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
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n").as_bytes(),
    )
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
