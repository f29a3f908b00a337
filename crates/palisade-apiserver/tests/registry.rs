//! Pods of running workloads report the real manifest digest of images in a configured
//! local registry. Runs Debian's `docker-registry` on a free loopback port and pushes a
//! tiny image made with umoci; the digest must equal what skopeo reports.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use palisade_apiserver::store::Store;
use palisade_apiserver::{Config, serve};
use serde_json::{Value, json};

const TOOLS: [&str; 3] = [
    "/usr/bin/docker-registry",
    "/usr/bin/skopeo",
    "/usr/bin/umoci",
];

fn require_tools() {
    for t in TOOLS {
        assert!(
            Path::new(t).exists(),
            "{t} is missing. This test starts a local registry and pushes an image to it; \
             install the Debian packages `docker-registry skopeo umoci` (CI installs them)."
        );
    }
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A registry process on a free port, killed on drop.
struct Registry {
    addr: String,
    _child: tokio::process::Child,
}

async fn start_registry(dir: &Path) -> Registry {
    // Take a free port from the OS; the tiny window before the registry binds it is
    // acceptable on a test machine.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let config = dir.join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {}}}}}\nhttp: {{addr: {addr}}}\n",
            dir.join("data").display()
        ),
    )
    .expect("write registry config");
    let mut cmd = tokio::process::Command::new(TOOLS[0]);
    // docker-registry reads REGISTRY_* variables as configuration overrides: start it without.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("REGISTRY_") {
            cmd.env_remove(k);
        }
    }
    let child = cmd
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start docker-registry");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(&addr).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "docker-registry did not listen on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Registry {
        addr,
        _child: child,
    }
}

/// Builds a one-layer OCI image with umoci and pushes it as `<registry>/test/tiny:1.0`.
fn push_tiny_image(dir: &Path, registry: &str) -> String {
    let layout = dir.join("oci");
    let bundle = dir.join("bundle");
    let image = format!("{}:app", layout.display());
    run(
        TOOLS[2],
        &["init", "--layout", layout.to_str().expect("utf-8 path")],
    );
    run(TOOLS[2], &["new", "--image", &image]);
    run(
        TOOLS[2],
        &[
            "unpack",
            "--rootless",
            "--image",
            &image,
            bundle.to_str().expect("utf-8 path"),
        ],
    );
    std::fs::create_dir_all(bundle.join("rootfs/app")).expect("mkdir");
    std::fs::write(bundle.join("rootfs/app/hello.txt"), "hello from tiny\n").expect("write");
    run(
        TOOLS[2],
        &[
            "repack",
            "--image",
            &image,
            bundle.to_str().expect("utf-8 path"),
        ],
    );
    let reference = format!("{registry}/test/tiny:1.0");
    run(
        TOOLS[1],
        &[
            "copy",
            "--dest-tls-verify=false",
            &format!("oci:{image}"),
            &format!("docker://{reference}"),
        ],
    );
    reference
}

fn create_deployment(s: &mut Store, name: &str, image: &str) {
    let rt = s.registry.get("apps", "v1", "deployments").expect("type");
    s.create(
        &rt,
        "default",
        json!({"metadata": {"name": name}, "spec": {"replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "main", "image": image}]}}}}),
        false,
    )
    .expect("create deployment");
}

fn pod_of(s: &Store, app: &str) -> Option<Value> {
    s.raw_all(&(String::new(), "pods".to_string()))
        .find(|p| p.pointer("/metadata/labels/app").and_then(Value::as_str) == Some(app))
        .cloned()
}

async fn wait_pod(server: &palisade_apiserver::RunningServer, app: &str, ptr: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(p) = server.with_store(|s| pod_of(s, app))
            && p.pointer(ptr).is_some_and(|v| !v.is_null())
        {
            return p;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pod of {app} never got {ptr}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_report_the_manifest_digest_from_a_local_registry() {
    require_tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = start_registry(dir.path()).await;
    let reference = push_tiny_image(dir.path(), &registry.addr);
    let inspect: Value = serde_json::from_str(&run(
        TOOLS[1],
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{reference}"),
        ],
    ))
    .expect("skopeo inspect JSON");
    let digest = inspect["Digest"].as_str().expect("Digest").to_string();
    assert!(digest.starts_with("sha256:"), "{digest}");

    let server = serve(Config {
        registries: vec![registry.addr.clone()],
        ..Config::default()
    })
    .await
    .expect("server");
    server.with_store(|s| {
        create_deployment(s, "tiny", &reference);
        create_deployment(s, "missing", &format!("{}/test/missing:1.0", registry.addr));
        create_deployment(s, "hub", "nginx:1.27");
    });

    let pod = wait_pod(&server, "tiny", "/status/containerStatuses/0/imageID").await;
    assert_eq!(pod["status"]["phase"], "Running");
    assert_eq!(
        pod["status"]["containerStatuses"][0]["imageID"],
        json!(format!("{}/test/tiny@{digest}", registry.addr))
    );

    // An image the registry does not have cannot be pulled.
    let pod = wait_pod(
        &server,
        "missing",
        "/status/containerStatuses/0/state/waiting",
    )
    .await;
    assert_eq!(pod["status"]["phase"], "Pending");
    let waiting = &pod["status"]["containerStatuses"][0]["state"]["waiting"];
    assert_eq!(waiting["reason"], "ErrImagePull");
    assert!(
        waiting["message"]
            .as_str()
            .is_some_and(|m| m.contains("404")),
        "{waiting}"
    );

    // Images of other registries keep the stable fake digest.
    let pod = wait_pod(&server, "hub", "/status/containerStatuses/0/imageID").await;
    let id = pod["status"]["containerStatuses"][0]["imageID"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(id.starts_with("docker.io/library/nginx@sha256:"), "{id}");
    server.shutdown().await;
}
