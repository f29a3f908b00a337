//! End-to-end tests of `read_image` over every source: OCI layouts, OCI and docker archives
//! written to a temp dir, and a small in-process HTTP registry (anonymous, basic, bearer).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use palisade_vfs::PathInterest;

use crate::layer::tests::{E, gzip, tar_of, zstd_of};
use crate::*;

const GZ: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZS: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

fn interest() -> PathInterest {
    PathInterest::new()
        .file("etc/os-release")
        .file("usr/lib/os-release")
        .file("var/lib/dpkg/status")
}

/// A built image: blobs by digest, plus the manifest's digest.
struct Built {
    blobs: HashMap<String, Vec<u8>>,
    manifest: Vec<u8>,
    manifest_digest: String,
    config_digest: String,
    layer_digests: Vec<String>,
    layer_tars: Vec<Vec<u8>>,
    config: Vec<u8>,
}

fn build_image(arch: &str, tars: Vec<Vec<u8>>, media_types: &[&str]) -> Built {
    let mut blobs = HashMap::new();
    let diff_ids: Vec<String> = tars.iter().map(|t| sha256_digest(t)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch, "os": "linux", "created": "2024-01-02T03:04:05Z",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {}
    }))
    .unwrap();
    let config_digest = sha256_digest(&config);
    blobs.insert(config_digest.clone(), config.clone());
    let mut layers = Vec::new();
    let mut layer_digests = Vec::new();
    for (t, mt) in tars.iter().zip(media_types) {
        let blob = match *mt {
            GZ => gzip(t),
            ZS => zstd_of(t),
            _ => t.clone(),
        };
        let d = sha256_digest(&blob);
        layers.push(serde_json::json!({"mediaType": mt, "digest": d, "size": blob.len()}));
        layer_digests.push(d.clone());
        blobs.insert(d, blob);
    }
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": layers
    }))
    .unwrap();
    let manifest_digest = sha256_digest(&manifest);
    blobs.insert(manifest_digest.clone(), manifest.clone());
    Built {
        blobs,
        manifest,
        manifest_digest,
        config_digest,
        layer_digests,
        layer_tars: tars,
        config,
    }
}

fn two_layer_image(arch: &str) -> Built {
    let l1 = tar_of(&[
        E::Dir("etc/"),
        E::File(
            "usr/lib/os-release",
            format!("ID=debian\nARCH={arch}\n").as_bytes(),
        ),
        E::Sym("etc/os-release", "../usr/lib/os-release"),
        E::File("var/lib/dpkg/status", b"Package: old\n"),
        E::File("usr/bin/big", &[7u8; 5000]),
    ]);
    let l2 = tar_of(&[
        E::File("var/lib/dpkg/.wh.status", b""),
        E::File("var/lib/dpkg/status", b"Package: new\n"),
    ]);
    build_image(arch, vec![l1, l2], &[GZ, ZS])
}

fn index_of(entries: &[(&Built, &str, Option<&str>)]) -> Vec<u8> {
    let manifests: Vec<_> = entries
        .iter()
        .map(|(b, plat, tag)| {
            let p = Platform::parse(plat).unwrap();
            let mut d = serde_json::json!({
                "mediaType": OCI_MANIFEST, "digest": b.manifest_digest, "size": b.manifest.len(),
                "platform": {"os": p.os, "architecture": p.architecture},
            });
            if let Some(v) = p.variant {
                d["platform"]["variant"] = v.into();
            }
            if let Some(t) = tag {
                d["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": t});
            }
            d
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests
    }))
    .unwrap()
}

fn write_layout(dir: &Path, images: &[&Built], index: &[u8], extra: &[(&str, &[u8])]) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(dir.join("index.json"), index).unwrap();
    for b in images {
        for (d, data) in &b.blobs {
            std::fs::write(dir.join("blobs/sha256").join(&d[7..]), data).unwrap();
        }
    }
    for (d, data) in extra {
        std::fs::write(dir.join("blobs/sha256").join(&d[7..]), data).unwrap();
    }
}

fn check_tree(img: &Image, arch: &str) {
    assert_eq!(
        img.tree.read("etc/os-release"),
        Some(format!("ID=debian\nARCH={arch}\n").as_bytes())
    );
    assert_eq!(
        img.tree.read("var/lib/dpkg/status"),
        Some(&b"Package: new\n"[..])
    );
    assert!(!img.tree.contains("usr/bin/big"));
}

fn amd64() -> PullOptions {
    PullOptions {
        platform: Some(Platform::parse("linux/amd64").unwrap()),
        ..PullOptions::default()
    }
}

#[test]
fn oci_layout_with_tag_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let img = two_layer_image("amd64");
    let idx = index_of(&[(&img, "linux/amd64", Some("1.0"))]);
    write_layout(dir.path(), &[&img], &idx, &[]);
    let input = format!("oci:{}:1.0", dir.path().display());
    let got = read_image_str(&input, &amd64(), &interest()).unwrap();
    check_tree(&got, "amd64");
    let m = &got.metadata;
    assert_eq!(m.name, input);
    assert_eq!(m.config_digest, img.config_digest);
    assert_eq!(
        m.manifest_digest.as_deref(),
        Some(img.manifest_digest.as_str())
    );
    assert_eq!(m.platform.to_string(), "linux/amd64");
    assert_eq!(m.created.as_deref(), Some("2024-01-02T03:04:05Z"));
    assert_eq!(m.repo_tags, ["1.0"]);
    assert_eq!(m.layers.len(), 2);
    assert_eq!(m.layers[0].digest, img.layer_digests[0]);
    assert_eq!(m.layers[1].media_type.as_deref(), Some(ZS));
    assert_eq!(
        m.layers[0].diff_id.as_deref(),
        Some(sha256_digest(&img.layer_tars[0]).as_str())
    );
    assert_eq!(m.diff_ids.len(), 2);
    assert!(m.repo_digest.is_none());

    // Without a tag, the single image is used; with a wrong tag the error lists tags.
    let got = read_image_str(
        &format!("oci:{}", dir.path().display()),
        &amd64(),
        &interest(),
    );
    check_tree(&got.unwrap(), "amd64");
    let e = read_image_str(
        &format!("oci:{}:2.0", dir.path().display()),
        &amd64(),
        &interest(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("\"2.0\"") && e.contains("available: 1.0"), "{e}");
    // Single-threaded gives the same tree.
    let opts = PullOptions {
        threads: Some(1),
        ..amd64()
    };
    let got = read_image_str(
        &format!("oci:{}:1.0", dir.path().display()),
        &opts,
        &interest(),
    );
    check_tree(&got.unwrap(), "amd64");
}

#[test]
fn oci_layout_multi_platform_index() {
    let dir = tempfile::tempdir().unwrap();
    let a = two_layer_image("amd64");
    let b = two_layer_image("arm64");
    let inner = index_of(&[(&a, "linux/amd64", None), (&b, "linux/arm64/v8", None)]);
    let inner_digest = sha256_digest(&inner);
    let outer = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": OCI_INDEX, "digest": inner_digest, "size": inner.len(),
            "annotations": {"org.opencontainers.image.ref.name": "latest"}}]
    }))
    .unwrap();
    write_layout(dir.path(), &[&a, &b], &outer, &[(&inner_digest, &inner)]);
    let src = ImageSource::OciLayout {
        dir: dir.path().to_path_buf(),
        tag: Some("latest".into()),
    };
    let arm = PullOptions {
        platform: Some(Platform::parse("linux/arm64").unwrap()),
        ..PullOptions::default()
    };
    let got = read_image(&src, &arm, &interest()).unwrap();
    check_tree(&got, "arm64");
    assert_eq!(
        got.metadata.manifest_digest.as_deref(),
        Some(b.manifest_digest.as_str())
    );
    let got = read_image(&src, &amd64(), &interest()).unwrap();
    check_tree(&got, "amd64");
    let s390 = PullOptions {
        platform: Some(Platform::parse("linux/s390x").unwrap()),
        ..PullOptions::default()
    };
    let e = read_image(&src, &s390, &interest())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("linux/amd64") && e.contains("linux/arm64/v8"),
        "{e}"
    );
}

#[test]
fn oci_layout_errors() {
    let dir = tempfile::tempdir().unwrap();
    let a = two_layer_image("amd64");
    let b = two_layer_image("arm64");
    let idx = index_of(&[
        (&a, "linux/amd64", Some("a")),
        (&b, "linux/arm64", Some("b")),
    ]);
    write_layout(dir.path(), &[&a, &b], &idx, &[]);
    let src = ImageSource::OciLayout {
        dir: dir.path().to_path_buf(),
        tag: None,
    };
    let e = read_image(&src, &amd64(), &interest()).unwrap_err();
    assert!(matches!(e, ImageError::AmbiguousImage { .. }), "{e}");
    assert!(e.to_string().contains("a, b"), "{e}");

    // A tampered layer blob fails its digest check.
    let d = &a.layer_digests[1];
    let path = dir.path().join("blobs/sha256").join(&d[7..]);
    let mut data = std::fs::read(&path).unwrap();
    let tampered = zstd_of(&tar_of(&[E::File(
        "var/lib/dpkg/status",
        b"Package: evil\n",
    )]));
    data.clone_from(&tampered);
    std::fs::write(&path, &data).unwrap();
    let src = ImageSource::OciLayout {
        dir: dir.path().to_path_buf(),
        tag: Some("a".into()),
    };
    let e = read_image(&src, &amd64(), &interest()).unwrap_err();
    assert!(matches!(e, ImageError::DigestMismatch { .. }), "{e}");
    assert!(e.to_string().contains(d.as_str()), "{e}");

    // A missing blob is "not found"; a missing directory too.
    std::fs::remove_file(&path).unwrap();
    let e = read_image(&src, &amd64(), &interest()).unwrap_err();
    assert!(matches!(e, ImageError::NotFound { .. }), "{e}");
    let src = ImageSource::OciLayout {
        dir: dir.path().join("nope"),
        tag: None,
    };
    assert!(matches!(
        read_image(&src, &amd64(), &interest()).unwrap_err(),
        ImageError::NotFound { .. }
    ));
}

#[test]
fn artifacts_and_schema1_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = b"{}".to_vec();
    let cfg_d = sha256_digest(&cfg);
    let man = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": cfg_d, "size": 2},
        "layers": []
    }))
    .unwrap();
    let man_d = sha256_digest(&man);
    let idx = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "manifests": [{"mediaType": OCI_MANIFEST, "digest": man_d, "size": man.len()}]
    }))
    .unwrap();
    write_layout(dir.path(), &[], &idx, &[(&cfg_d, &cfg), (&man_d, &man)]);
    let src = ImageSource::OciLayout {
        dir: dir.path().to_path_buf(),
        tag: None,
    };
    let e = read_image(&src, &amd64(), &interest()).unwrap_err();
    assert!(e.to_string().contains("not a container image"), "{e}");
}

fn tar_dir(dir: &Path, out: &Path) {
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    b.append_dir_all(".", dir).unwrap();
    b.finish().unwrap();
}

#[test]
fn oci_archive_autodetected_and_explicit() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    let img = two_layer_image("amd64");
    let idx = index_of(&[(&img, "linux/amd64", Some("v1"))]);
    write_layout(&layout, &[&img], &idx, &[]);
    let archive = tmp.path().join("img.tar");
    tar_dir(&layout, &archive);
    let got = read_image_str(archive.to_str().unwrap(), &amd64(), &interest()).unwrap();
    check_tree(&got, "amd64");
    assert_eq!(got.metadata.repo_tags, ["v1"]);
    let got = read_image_str(
        &format!("oci-archive:{}:v1", archive.display()),
        &amd64(),
        &interest(),
    )
    .unwrap();
    check_tree(&got, "amd64");
    let e = read_image_str(
        &format!("oci-archive:{}:v2", archive.display()),
        &amd64(),
        &interest(),
    )
    .unwrap_err();
    assert!(matches!(e, ImageError::ImageNotInSource { .. }), "{e}");
}

/// Writes a docker archive like `docker save`: `<id>/layer.tar` directories, a config named by
/// image ID, and a duplicate layer stored as a symlink.
fn write_docker_archive(path: &Path, img: &Built, dup_symlink: bool, tag: &str) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    let add = |b: &mut tar::Builder<std::fs::File>, name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
    };
    let cfg_name = format!("{}.json", &img.config_digest[7..]);
    let mut layers = Vec::new();
    for (i, t) in img.layer_tars.iter().enumerate() {
        let name = format!("layer{i}/layer.tar");
        add(&mut b, &name, t);
        layers.push(name);
    }
    if dup_symlink {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "dup/layer.tar", "../layer1/layer.tar")
            .unwrap();
        layers[1] = "dup/layer.tar".to_string();
    }
    add(&mut b, &cfg_name, &img.config);
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": cfg_name, "RepoTags": [tag], "Layers": layers}
    ]))
    .unwrap();
    add(&mut b, "manifest.json", &manifest);
    b.finish().unwrap();
}

#[test]
fn docker_archive_verified_by_diff_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let img = two_layer_image("amd64");
    let archive = tmp.path().join("docker.tar");
    write_docker_archive(&archive, &img, true, "test/tiny:1.0");
    let got = read_image_str(archive.to_str().unwrap(), &amd64(), &interest()).unwrap();
    check_tree(&got, "amd64");
    let m = &got.metadata;
    assert_eq!(m.repo_tags, ["test/tiny:1.0"]);
    assert_eq!(m.config_digest, img.config_digest);
    assert!(m.manifest_digest.is_none());
    // Uncompressed layers: blob digest equals diff_id.
    assert_eq!(m.layers[1].digest, sha256_digest(&img.layer_tars[1]));
    assert_eq!(m.layers[1].diff_id.as_ref(), Some(&m.layers[1].digest));
    // Selecting by tag, also in its normalised form, and by index.
    for sel in ["test/tiny:1.0", "docker.io/test/tiny:1.0", "@0"] {
        let s = format!("docker-archive:{}:{sel}", archive.display());
        check_tree(&read_image_str(&s, &amd64(), &interest()).unwrap(), "amd64");
    }
    let s = format!("docker-archive:{}:other:1", archive.display());
    let e = read_image_str(&s, &amd64(), &interest())
        .unwrap_err()
        .to_string();
    assert!(e.contains("test/tiny:1.0"), "{e}");

    // A layer that does not match its diff_id is rejected.
    let mut bad = img;
    bad.layer_tars[0] = tar_of(&[E::File("etc/os-release", b"ID=evil\n")]);
    let archive2 = tmp.path().join("bad.tar");
    write_docker_archive(&archive2, &bad, false, "x:1");
    let e = read_image_str(archive2.to_str().unwrap(), &amd64(), &interest()).unwrap_err();
    assert!(matches!(e, ImageError::DigestMismatch { .. }), "{e}");
    assert!(e.to_string().contains("diff_id"), "{e}");
}

#[test]
fn non_image_archives_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("random.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&p).unwrap());
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    b.append_data(&mut h, "hello.txt", &b"x"[..]).unwrap();
    b.finish().unwrap();
    drop(b);
    let e = read_image_str(p.to_str().unwrap(), &amd64(), &interest())
        .unwrap_err()
        .to_string();
    assert!(e.contains("neither manifest.json"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 registry.

struct Req {
    path: String,
    headers: HashMap<String, String>,
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn new(status: u16, body: impl Into<Vec<u8>>) -> Resp {
        Resp {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    fn header(mut self, k: &str, v: &str) -> Resp {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
}

type Handler = Arc<dyn Fn(&Req, u16) -> Resp + Send + Sync>;

fn serve(handler: Handler) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let h = handler.clone();
            std::thread::spawn(move || handle_conn(conn, &h, port));
        }
    });
    port
}

fn handle_conn(mut conn: TcpStream, handler: &Handler, port: u16) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let path = first.split(' ').nth(1).unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let resp = handler(&Req { path, headers }, port);
    let mut out = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        resp.status,
        resp.body.len()
    );
    for (k, v) in &resp.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = conn.write_all(out.as_bytes());
    let _ = conn.write_all(&resp.body);
}

#[derive(Clone, Copy, PartialEq)]
enum AuthMode {
    Anonymous,
    Basic,
    Bearer,
}

struct MockRegistry {
    mode: AuthMode,
    manifests: HashMap<String, (String, Vec<u8>)>,
    blobs: HashMap<String, Vec<u8>>,
    token_requests: AtomicUsize,
    redirect_blobs: bool,
    storage_saw_auth: Mutex<Vec<bool>>,
}

const USER: &str = "tester";
const PASS: &str = "s3cret";

impl MockRegistry {
    fn new(mode: AuthMode) -> MockRegistry {
        MockRegistry {
            mode,
            manifests: HashMap::new(),
            blobs: HashMap::new(),
            token_requests: AtomicUsize::new(0),
            redirect_blobs: false,
            storage_saw_auth: Mutex::new(Vec::new()),
        }
    }

    fn add_image(&mut self, img: &Built, tag: Option<&str>) {
        for (d, b) in &img.blobs {
            self.blobs.insert(d.clone(), b.clone());
        }
        let entry = (OCI_MANIFEST.to_string(), img.manifest.clone());
        self.manifests
            .insert(img.manifest_digest.clone(), entry.clone());
        if let Some(t) = tag {
            self.manifests.insert(t.to_string(), entry);
        }
    }

    fn handle(&self, req: &Req, port: u16) -> Resp {
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"))
        );
        let auth = req.headers.get("authorization").cloned();
        if let Some(d) = req.path.strip_prefix("/storage/") {
            self.storage_saw_auth.lock().unwrap().push(auth.is_some());
            return match self.blobs.get(d) {
                Some(b) => Resp::new(200, b.clone()),
                None => Resp::new(404, ""),
            };
        }
        if req.path.starts_with("/token") {
            self.token_requests.fetch_add(1, Ordering::SeqCst);
            assert!(
                req.path.contains("scope=repository%3Ax%2Fy%3Apull"),
                "{}",
                req.path
            );
            assert!(req.path.contains("service=mock"), "{}", req.path);
            if auth.as_deref() != Some(basic.as_str()) {
                return Resp::new(
                    401,
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad creds"}]}"#,
                );
            }
            return Resp::new(200, r#"{"access_token":"goodtoken","expires_in":300}"#);
        }
        let authorized = match self.mode {
            AuthMode::Anonymous => true,
            AuthMode::Basic => auth.as_deref() == Some(basic.as_str()),
            AuthMode::Bearer => auth.as_deref() == Some("Bearer goodtoken"),
        };
        if !authorized {
            let challenge = match self.mode {
                AuthMode::Basic => r#"Basic realm="mock""#.to_string(),
                _ => format!(
                    r#"Bearer realm="http://127.0.0.1:{port}/token",service="mock",scope="repository:x/y:pull""#
                ),
            };
            return Resp::new(
                401,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            )
            .header("WWW-Authenticate", &challenge);
        }
        if req.path == "/v2/" {
            return Resp::new(200, "{}");
        }
        if let Some(rest) = req.path.strip_prefix("/v2/x/y/manifests/") {
            let accept = req.headers.get("accept").cloned().unwrap_or_default();
            assert!(
                accept.contains(OCI_INDEX) && accept.contains(DOCKER_MANIFEST),
                "{accept}"
            );
            return match self.manifests.get(rest) {
                Some((mt, b)) => Resp::new(200, b.clone()).header("Content-Type", mt),
                None => Resp::new(
                    404,
                    r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
                ),
            };
        }
        if let Some(d) = req.path.strip_prefix("/v2/x/y/blobs/") {
            if self.redirect_blobs {
                // A different host name for the same server: a cross-host redirect.
                return Resp::new(307, "")
                    .header("Location", &format!("http://localhost:{port}/storage/{d}"));
            }
            return match self.blobs.get(d) {
                Some(b) => Resp::new(200, b.clone()),
                None => Resp::new(404, ""),
            };
        }
        Resp::new(404, "")
    }
}

fn start(reg: MockRegistry) -> (u16, Arc<MockRegistry>) {
    let reg = Arc::new(reg);
    let r2 = reg.clone();
    let port = serve(Arc::new(move |req: &Req, port: u16| r2.handle(req, port)));
    (port, reg)
}

#[test]
fn registry_anonymous_multi_platform_and_digest_refs() {
    let a = two_layer_image("amd64");
    let b = two_layer_image("arm64");
    let mut reg = MockRegistry::new(AuthMode::Anonymous);
    reg.add_image(&a, None);
    reg.add_image(&b, None);
    let index = index_of(&[(&a, "linux/amd64", None), (&b, "linux/arm64/v8", None)]);
    let index_digest = sha256_digest(&index);
    reg.manifests
        .insert("1.0".into(), (OCI_INDEX.into(), index.clone()));
    reg.manifests
        .insert(index_digest.clone(), (OCI_INDEX.into(), index.clone()));
    // A manifest served under a digest it does not have.
    let liar = format!("sha256:{}", "0".repeat(64));
    reg.manifests
        .insert(liar.clone(), (OCI_MANIFEST.into(), a.manifest.clone()));
    let (port, _reg) = start(reg);

    let arm = PullOptions {
        platform: Some(Platform::parse("linux/arm64").unwrap()),
        ..PullOptions::default()
    };
    let input = format!("127.0.0.1:{port}/x/y:1.0");
    let got = read_image_str(&input, &arm, &interest()).unwrap();
    check_tree(&got, "arm64");
    let m = &got.metadata;
    assert_eq!(
        m.repo_digest.as_deref(),
        Some(format!("127.0.0.1:{port}/x/y@{index_digest}").as_str())
    );
    assert_eq!(
        m.manifest_digest.as_deref(),
        Some(b.manifest_digest.as_str())
    );
    assert_eq!(m.repo_tags, [format!("127.0.0.1:{port}/x/y:1.0")]);
    assert_eq!(m.reference.as_ref().unwrap().repository, "x/y");

    let by_digest = format!("127.0.0.1:{port}/x/y@{}", a.manifest_digest);
    check_tree(
        &read_image_str(&by_digest, &amd64(), &interest()).unwrap(),
        "amd64",
    );

    let e = read_image_str(
        &format!("127.0.0.1:{port}/x/y@{liar}"),
        &amd64(),
        &interest(),
    )
    .unwrap_err();
    assert!(matches!(e, ImageError::DigestMismatch { .. }), "{e}");

    let e = read_image_str(
        &format!("127.0.0.1:{port}/x/y:missing"),
        &amd64(),
        &interest(),
    )
    .unwrap_err();
    assert!(matches!(e, ImageError::NotFound { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("x/y:missing") && msg.contains("MANIFEST_UNKNOWN"),
        "{msg}"
    );
}

#[test]
fn registry_bearer_auth_caches_token_and_strips_auth_on_cross_host_redirect() {
    let a = two_layer_image("amd64");
    let mut reg = MockRegistry::new(AuthMode::Bearer);
    reg.add_image(&a, Some("1.0"));
    reg.redirect_blobs = true;
    let (port, reg) = start(reg);
    let opts = PullOptions {
        credentials: Some(Credentials::new(USER, PASS)),
        ..amd64()
    };
    let input = format!("127.0.0.1:{port}/x/y:1.0");
    let got = read_image_str(&input, &opts, &interest()).unwrap();
    check_tree(&got, "amd64");
    assert_eq!(reg.token_requests.load(Ordering::SeqCst), 1);
    let saw = reg.storage_saw_auth.lock().unwrap().clone();
    assert_eq!(saw.len(), 3, "config + 2 layers");
    assert!(
        saw.iter().all(|s| !s),
        "Authorization leaked to another host"
    );

    // Wrong password: the token service refuses, and the error names registry and user.
    let opts = PullOptions {
        credentials: Some(Credentials::new(USER, "wrong")),
        ..amd64()
    };
    let e = read_image_str(&input, &opts, &interest()).unwrap_err();
    assert!(matches!(e, ImageError::Unauthorized { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("127.0.0.1:{port}")) && msg.contains("tester"),
        "{msg}"
    );
}

#[test]
fn registry_basic_auth_and_credentials_file() {
    let a = two_layer_image("amd64");
    let mut reg = MockRegistry::new(AuthMode::Basic);
    reg.add_image(&a, Some("1.0"));
    let (port, _reg) = start(reg);
    let input = format!("127.0.0.1:{port}/x/y:1.0");
    let opts = PullOptions {
        credentials: Some(Credentials::new(USER, PASS)),
        ..amd64()
    };
    check_tree(
        &read_image_str(&input, &opts, &interest()).unwrap(),
        "amd64",
    );

    // Credentials from a Kubernetes-style .dockerconfigjson.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join(".dockerconfigjson");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    std::fs::write(
        &cfg,
        format!(r#"{{"auths":{{"http://127.0.0.1:{port}/v2/":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    let opts = PullOptions {
        docker_configs: vec![cfg],
        ..amd64()
    };
    check_tree(
        &read_image_str(&input, &opts, &interest()).unwrap(),
        "amd64",
    );

    let opts = PullOptions {
        credentials: Some(Credentials::new(USER, "nope")),
        ..amd64()
    };
    let e = read_image_str(&input, &opts, &interest())
        .unwrap_err()
        .to_string();
    assert!(e.contains("unauthorized") && e.contains("rejected"), "{e}");

    // With no credentials at all (assuming the environment supplies none).
    if credentials_from_env().is_none() {
        let opts = PullOptions {
            docker_configs: Vec::new(),
            ..amd64()
        };
        let e = read_image_str(&input, &opts, &interest())
            .unwrap_err()
            .to_string();
        assert!(e.contains("authentication required"), "{e}");
    }
}

#[test]
fn registry_unreachable_and_schema1() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = read_image_str(&format!("127.0.0.1:{port}/x/y:1"), &amd64(), &interest()).unwrap_err();
    assert!(matches!(e, ImageError::Unreachable { .. }), "{e}");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");

    let mut reg = MockRegistry::new(AuthMode::Anonymous);
    reg.manifests.insert(
        "old".into(),
        (
            DOCKER_SCHEMA1_SIGNED.into(),
            br#"{"schemaVersion":1,"fsLayers":[]}"#.to_vec(),
        ),
    );
    let (port, _reg) = start(reg);
    let e =
        read_image_str(&format!("127.0.0.1:{port}/x/y:old"), &amd64(), &interest()).unwrap_err();
    assert!(matches!(e, ImageError::Schema1 { .. }), "{e}");
}
