//! `palisade scan-job` end to end: the real binary pulls from the test registries and POSTs to a
//! small HTTP server in the test, which records every request. The inventory it sends must be the
//! one `palisade image --format cyclonedx` gives for the same image, and every failure must reach
//! the operator as a `ScanFailure` with the right reason.

mod common;

use common::*;
use palisade_operator::transport::{
    self, FailureReason, HEADER_CONTENT_SHA256, MAX_BOM_BYTES, RESULT_CONTENT_ENCODING, ScanFailure,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "job-token-0123456789abcdef";

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    /// Lowercased names.
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// A tiny HTTP/1.1 server: one request per connection, answers from a script (the last answer
/// repeats), records every request.
struct Operator {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Operator {
    fn start(answers: &[(u16, &str)]) -> Operator {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let answers: Vec<(u16, String)> =
            answers.iter().map(|(s, b)| (*s, b.to_string())).collect();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let (status, body) = answers[n.min(answers.len() - 1)].clone();
                if let Some(req) = serve_one(stream, status, &body) {
                    recorded.lock().unwrap().push(req);
                }
            }
        });
        Operator { url, requests }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve_one(stream: TcpStream, status: u16, answer: &str) -> Option<Request> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let len: usize = headers
        .get("content-length")
        .map_or(0, |l| l.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let reply = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
    let mut stream = stream;
    stream.write_all(reply.as_bytes()).ok()?;
    stream.flush().ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// Runs `palisade scan-job` against `operator` with the token in a file.
fn scan_job(operator: &Operator, job: &str, image: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let mut args = vec![
        "scan-job",
        "--image",
        image,
        "--results-url",
        &operator.url,
        "--job-name",
        job,
        "--token-file",
        token_file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, &[])
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("PALISADE_USERNAME")
        .env_remove("PALISADE_PASSWORD")
        .env_remove("PALISADE_DB")
        .env_remove("PALISADE_SCAN_TOKEN")
        .env_remove("PALISADE_TOKEN_FILE")
        .env_remove("PALISADE_RESULTS_URL")
        .env_remove("PALISADE_JOB_NAME")
        .env("DOCKER_CONFIG", "/nonexistent-palisade-test")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("running palisade")
}

/// The one failure POST of a failed job, checked for path and token.
fn the_failure(operator: &Operator, job: &str) -> ScanFailure {
    let reqs = operator.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/v1/scans/{job}/failure"));
    assert_eq!(r.headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(r.headers["content-type"], "application/json");
    transport::decode_failure(&r.body).unwrap()
}

/// The BOM of the one result POST of a successful job, checked for path, token, encoding and
/// checksum.
fn the_result(operator: &Operator, job: &str) -> Vec<u8> {
    let reqs = operator.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/v1/scans/{job}/result"));
    assert_eq!(r.headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(r.headers["content-encoding"], RESULT_CONTENT_ENCODING);
    assert_eq!(r.headers["content-type"], "application/vnd.cyclonedx+json");
    transport::decode_result(&r.body, &r.headers[HEADER_CONTENT_SHA256], MAX_BOM_BYTES)
        .expect("the body decodes and matches its checksum")
}

/// The BOM `palisade image --format cyclonedx` writes for `image`.
fn image_bom(image: &str, extra: &[&str]) -> Vec<u8> {
    let db = fixture_db();
    let mut args = vec![
        "image",
        "--quiet",
        "--format",
        "cyclonedx",
        "--db",
        db.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push(image);
    let out = palisade(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    out.stdout
}

/// Components (OS and packages) and dependencies: the inventory part of a BOM, which must not
/// depend on how the image was named or on the database.
fn inventory_part(bom: &[u8]) -> (Value, Value) {
    let v: Value = serde_json::from_slice(bom).unwrap();
    (v["components"].clone(), v["dependencies"].clone())
}

#[test]
fn the_inventory_is_what_palisade_image_gives() {
    let Some(_) = images() else { return };
    let reg = env("PALISADE_TEST_REGISTRY");
    let tagged = format!("{reg}/palisade-test/layers:latest");
    let want = image_bom(&tagged, &[]);
    let want_inv = palisade_report::read_inventory(&want).unwrap();
    assert!(!want_inv.inventory.packages.is_empty());
    // Jobs get the image by digest, as the kubelet reports it.
    let repo_digest = want_inv
        .repo_digests
        .first()
        .expect("a repo digest")
        .clone();
    assert!(repo_digest.contains("@sha256:"), "{repo_digest}");

    let op = Operator::start(&[(204, "")]);
    let out = scan_job(&op, "scan-layers-1", &repo_digest, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(
        err.contains(&format!(
            "palisade scan-job: pulling {repo_digest} for linux/"
        )),
        "{err}"
    );
    assert!(err.contains("found debian 12"), "{err}");
    assert!(err.contains("sent inventory ("), "{err}");
    let bom = the_result(&op, "scan-layers-1");
    let got = palisade_report::read_inventory(&bom).unwrap();
    assert_eq!(got.inventory, want_inv.inventory);
    assert_eq!(got.image_id, want_inv.image_id);
    assert_eq!(got.diff_ids, want_inv.diff_ids);
    assert_eq!(got.repo_digests, want_inv.repo_digests);
    assert_eq!(inventory_part(&bom), inventory_part(&want));
    // No database, so no findings.
    let v: Value = serde_json::from_slice(&bom).unwrap();
    assert!(
        v["vulnerabilities"].as_array().is_none_or(|a| a.is_empty()),
        "{}",
        v["vulnerabilities"]
    );
    // And byte for byte the document `palisade image` writes for the digest, apart from time
    // and the serial number that hashes the findings.
    let mut a: Value = serde_json::from_slice(&bom).unwrap();
    let mut b: Value = serde_json::from_slice(&image_bom(&repo_digest, &[])).unwrap();
    for doc in [&mut a, &mut b] {
        let o = doc.as_object_mut().unwrap();
        o.remove("serialNumber");
        o.remove("vulnerabilities");
        o["metadata"].as_object_mut().unwrap().remove("timestamp");
    }
    assert_eq!(a, b);
}

#[test]
fn a_platform_is_picked_from_a_multi_platform_image() {
    let Some(images) = images() else { return };
    let reg = env("PALISADE_TEST_REGISTRY");
    let op = Operator::start(&[(200, "ok")]);
    let out = scan_job(
        &op,
        "scan-arm",
        &format!("{reg}/palisade-test/multiarch:latest"),
        &["--platform", "linux/arm64"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("for linux/arm64"), "{}", stderr(&out));
    let got = palisade_report::read_inventory(&the_result(&op, "scan-arm")).unwrap();
    let names: std::collections::BTreeSet<[String; 2]> = got
        .inventory
        .packages
        .iter()
        .map(|p| [p.name.clone(), p.version.clone()])
        .collect();
    let want: std::collections::BTreeSet<[String; 2]> = manifest(&images, "minbase-arm64")
        .into_iter()
        .map(|[n, v, ..]| [n, v])
        .collect();
    assert_eq!(names, want);
    assert!(got.inventory.packages.iter().any(|p| p.arch == "arm64"));
}

#[test]
fn a_missing_image_is_reported_as_not_found() {
    let Some(_) = images() else { return };
    let reg = env("PALISADE_TEST_REGISTRY");
    for image in [
        format!("{reg}/palisade-test/does-not-exist:latest"),
        format!("{reg}/palisade-test/layers@sha256:{}", "0".repeat(64)),
    ] {
        let op = Operator::start(&[(204, "")]);
        let out = scan_job(&op, "scan-missing", &image, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.lines()
                .any(|l| l.starts_with("palisade scan-job: error: ") && l.contains(&image)),
            "{err}"
        );
        assert!(err.contains("reported the failure ("), "{err}");
        let f = the_failure(&op, "scan-missing");
        assert!(
            matches!(
                f.reason,
                FailureReason::NotFound | FailureReason::PullFailed
            ),
            "{f:?}"
        );
        assert!(f.message.contains(&image), "{f:?}");
    }
}

#[test]
fn pull_secrets_are_read_from_mounted_secret_directories() {
    let Some(_) = images() else { return };
    let auth = env("PALISADE_TEST_AUTH_REGISTRY");
    let image = format!("{auth}/palisade-test/minbase:latest");
    let secrets = tempfile::tempdir().unwrap();
    // A kubernetes.io/dockerconfigjson secret volume, an optional one that is not there, and an
    // empty one.
    let pull = secrets.path().join("pull-secret");
    let empty = secrets.path().join("empty");
    std::fs::create_dir_all(&pull).unwrap();
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::copy(
        env("PALISADE_TEST_AUTH_FILE"),
        pull.join(".dockerconfigjson"),
    )
    .unwrap();
    let missing = secrets.path().join("missing");
    let (p, e, m) = (
        pull.to_str().unwrap(),
        empty.to_str().unwrap(),
        missing.to_str().unwrap(),
    );

    let op = Operator::start(&[(204, "")]);
    let out = scan_job(
        &op,
        "scan-auth",
        &image,
        &[
            "--registry-config",
            m,
            "--registry-config",
            e,
            "--registry-config",
            p,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = palisade_report::read_inventory(&the_result(&op, "scan-auth")).unwrap();
    assert!(!got.inventory.packages.is_empty());

    // The legacy kubernetes.io/dockercfg format works too.
    let user = env("PALISADE_TEST_AUTH_USER");
    let pass = env("PALISADE_TEST_AUTH_PASSWORD");
    let legacy = secrets.path().join("legacy");
    std::fs::create_dir_all(&legacy).unwrap();
    std::fs::write(
        legacy.join(".dockercfg"),
        format!(r#"{{"{auth}":{{"username":"{user}","password":"{pass}","email":"x@y.z"}}}}"#),
    )
    .unwrap();
    let op = Operator::start(&[(204, "")]);
    let out = scan_job(
        &op,
        "scan-legacy",
        &image,
        &["--registry-config", legacy.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    the_result(&op, "scan-legacy");

    // Without credentials.
    let op = Operator::start(&[(204, "")]);
    let out = scan_job(&op, "scan-noauth", &image, &["--registry-config", e]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&auth), "{err}");
    let f = the_failure(&op, "scan-noauth");
    assert_eq!(f.reason, FailureReason::Unauthorized, "{f:?}");
}

#[test]
fn a_rejected_result_fails_the_job_with_the_status() {
    let Some(_) = images() else { return };
    let reg = env("PALISADE_TEST_REGISTRY");
    let image = format!("{reg}/palisade-test/minbase:latest");
    let op = Operator::start(&[(413, "inventory too large for this operator")]);
    let out = scan_job(&op, "scan-413", &image, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("413") && err.contains("inventory too large for this operator"),
        "{err}"
    );
    assert_eq!(op.requests().len(), 1, "a 4xx is not retried");

    // A 5xx is retried, and a later success counts.
    let op = Operator::start(&[(503, "restarting"), (204, "")]);
    let out = scan_job(&op, "scan-503", &image, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("HTTP 503") && err.contains("retrying"),
        "{err}"
    );
    let reqs = op.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body);
}

/// Runs without the test images: the reference is rejected before any network access.
#[test]
fn an_invalid_reference_is_reported_with_the_token_from_the_environment() {
    let op = Operator::start(&[(204, "")]);
    let out = run(
        &["scan-job", "--image", "Not A Reference!"],
        &[
            ("PALISADE_RESULTS_URL", &format!("{}/", op.url)),
            ("PALISADE_JOB_NAME", "scan-bad-ref"),
            ("PALISADE_SCAN_TOKEN", TOKEN),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Not A Reference!"), "{err}");
    let f = the_failure(&op, "scan-bad-ref");
    assert_eq!(f.reason, FailureReason::InvalidImage);
    assert!(f.message.contains("Not A Reference!"), "{f:?}");
}

/// A Job that cannot report anything exits 2 without contacting anyone.
#[test]
fn a_misconfigured_job_exits_2() {
    let op = Operator::start(&[(204, "")]);
    let url = op.url.clone();
    for (args, envs, says) in [
        (
            vec!["--job-name", "j", "--results-url", url.as_str()],
            vec![],
            "no token",
        ),
        (
            vec!["--job-name", "../j", "--results-url", url.as_str()],
            vec![("PALISADE_SCAN_TOKEN", TOKEN)],
            "--job-name",
        ),
        (
            vec!["--job-name", "j", "--results-url", "operator:8081"],
            vec![("PALISADE_SCAN_TOKEN", TOKEN)],
            "--results-url",
        ),
    ] {
        let mut all = vec!["scan-job", "--image", "127.0.0.1:1/x:1"];
        all.extend(args);
        let out = run(&all, &envs);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{says}: {err}");
    }
    assert!(op.requests().is_empty());
}

/// An unreachable registry is a pull failure (the operator retries those).
#[test]
fn an_unreachable_registry_is_a_pull_failure() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let op = Operator::start(&[(204, "")]);
    let out = scan_job(
        &op,
        "scan-unreachable",
        &format!("127.0.0.1:{port}/x/y:1"),
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let f = the_failure(&op, "scan-unreachable");
    assert_eq!(f.reason, FailureReason::PullFailed, "{f:?}");
}
