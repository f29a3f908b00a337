//! `palisade db build` with `--osv URL` and `--every`, against a small HTTP server on 127.0.0.1
//! written here (so each test controls exactly what the "server" does wrong).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{fixtures_dir, palisade, stderr};
use serde_json::Value;

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: BTreeMap<String, String>,
}

/// What the server answers.
enum Reply {
    /// A complete response with `Content-Length`.
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Announces `announced` bytes, sends `body` (fewer), waits `then_wait`, and hangs up.
    Short {
        announced: usize,
        body: Vec<u8>,
        then_wait: Duration,
    },
    /// No `Content-Length`: `len` bytes of a zip-looking body, then the connection closes.
    Unsized { len: usize },
}

fn ok(body: &[u8]) -> Reply {
    Reply::Full {
        status: 200,
        headers: Vec::new(),
        body: body.to_vec(),
    }
}

fn status(code: u16) -> Reply {
    Reply::Full {
        status: code,
        headers: Vec::new(),
        body: format!("status {code}\n").into_bytes(),
    }
}

/// Given the request and how many requests for its path came before it (0 for the first).
type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

struct Server {
    base: String,
    log: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let server_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let handler = Arc::clone(&handler);
                let log = Arc::clone(&server_log);
                std::thread::spawn(move || serve_one(stream, &*handler, &log));
            }
        });
        Server { base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn requests(&self, path: &str) -> Vec<Request> {
        let log = self.log.lock().expect("log");
        log.iter().filter(|r| r.path == path).cloned().collect()
    }
}

/// Serves one request and closes the connection (`Connection: close` keeps the server simple).
fn serve_one(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let request = Request { path, headers };
    let nth = {
        let mut log = log.lock().expect("log");
        let nth = log.iter().filter(|r| r.path == request.path).count();
        log.push(request.clone());
        nth
    };
    let mut out = stream;
    // Errors writing mean the client hung up (as it should on an oversized body): ignore them.
    let _ = match handler(&request, nth) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            out.write_all(head.as_bytes())
                .and_then(|()| out.write_all(&body))
        }
        Reply::Short {
            announced,
            body,
            then_wait,
        } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n"
            );
            let r = out
                .write_all(head.as_bytes())
                .and_then(|()| out.write_all(&body))
                .and_then(|()| out.flush());
            std::thread::sleep(then_wait);
            r
        }
        Reply::Unsized { len } => {
            let r = out.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nPK\x03\x04");
            let chunk = vec![b'x'; 16 * 1024];
            let mut sent = 4;
            let mut r = r;
            while r.is_ok() && sent < len {
                r = out.write_all(&chunk);
                sent += chunk.len();
            }
            r
        }
    };
    let _ = out.shutdown(std::net::Shutdown::Both);
}

/// The fixture records, sorted.
fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "expected the OSV fixtures");
    files
}

fn zip_of(files: &[PathBuf]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for f in files {
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        zip.start_file(name, opts).expect("start");
        zip.write_all(&std::fs::read(f).expect("read fixture"))
            .expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

/// The fixtures as two zips, like two ecosystems' `all.zip`.
fn two_zips() -> (Vec<u8>, Vec<u8>) {
    let files = fixture_files();
    let (a, b) = files.split_at(files.len() / 2);
    (zip_of(a), zip_of(b))
}

fn info(db: &Path) -> Value {
    let out = palisade(&["db", "info", "--json", "--db", db.to_str().expect("utf-8")]);
    assert!(out.status.success(), "db info: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// `db info` without what differs between any two builds of the same data.
fn content_info(db: &Path) -> Value {
    let mut v = info(db);
    let obj = v.as_object_mut().expect("object");
    for key in ["path", "built_at", "inputs", "file_size"] {
        obj.remove(key);
    }
    v
}

/// Every lookup the fixtures can answer, in both databases, must be equal.
fn assert_same_records(a: &Path, b: &Path) {
    let a = palisade_advisory::Database::open(a).expect("open a");
    let b = palisade_advisory::Database::open(b).expect("open b");
    let mut found = 0;
    for f in fixture_files() {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).expect("read")).expect("json");
        let id = v["id"].as_str().expect("id");
        assert_eq!(a.vuln(id).expect("a"), b.vuln(id).expect("b"), "{id}");
        for aff in v["affected"].as_array().into_iter().flatten() {
            let eco = aff["package"]["ecosystem"].as_str().expect("eco");
            let name = aff["package"]["name"].as_str().expect("name");
            let (la, lb) = (
                a.lookup(eco, name).expect("a"),
                b.lookup(eco, name).expect("b"),
            );
            found += la.len();
            assert_eq!(la, lb, "{eco}/{name}");
        }
    }
    assert!(found > 0, "the comparison looked at nothing");
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readdir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn inode(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.ino())
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Fast retries for tests.
const QUICK: [&str; 2] = ["--download-retry-delay", "10ms"];

#[test]
fn a_database_built_from_urls_equals_one_built_from_the_same_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = two_zips();
    let local = tmp.path().join("local");
    std::fs::create_dir(&local).expect("mkdir");
    std::fs::write(local.join("a.zip"), &a).expect("write");
    std::fs::write(local.join("b.zip"), &b).expect("write");
    let local_db = local.join("palisade.db");
    let out = palisade(&[
        "db",
        "build",
        "--osv",
        s(&local.join("a.zip")),
        s(&local.join("b.zip")),
        "--db",
        s(&local_db),
    ]);
    assert!(out.status.success(), "local build: {}", stderr(&out));

    let server = Server::start(move |req, _| match req.path.as_str() {
        "/Debian/all.zip" => ok(&a),
        "/Ubuntu/all.zip" => ok(&b),
        _ => status(404),
    });
    let (url_a, url_b) = (server.url("/Debian/all.zip"), server.url("/Ubuntu/all.zip"));
    let remote = tmp.path().join("remote");
    let remote_db = remote.join("palisade.db");
    let out = palisade(&[
        "db",
        "build",
        "--osv",
        &url_a,
        "--osv",
        &url_b,
        "--db",
        s(&remote_db),
    ]);
    assert!(out.status.success(), "URL build: {}", stderr(&out));
    assert!(stderr(&out).contains("wrote"), "{}", stderr(&out));

    assert_eq!(content_info(&remote_db), content_info(&local_db));
    assert_eq!(
        info(&remote_db)["inputs"],
        serde_json::json!([url_a, url_b]),
        "the database lists the URLs, not the temporary files"
    );
    assert_same_records(&local_db, &remote_db);
    assert_eq!(
        names_in(&remote),
        ["palisade.db", "palisade.db.sources.json"],
        "no temporary files are left"
    );
    let req = &server.requests("/Debian/all.zip")[0];
    assert_eq!(
        req.headers.get("accept-encoding").map(String::as_str),
        Some("identity")
    );

    // A URL and a local file together.
    let mixed_db = tmp.path().join("mixed/palisade.db");
    let out = palisade(&[
        "db",
        "build",
        "--osv",
        &url_a,
        s(&local.join("b.zip")),
        "--db",
        s(&mixed_db),
    ]);
    assert!(out.status.success(), "mixed build: {}", stderr(&out));
    assert_eq!(content_info(&mixed_db), content_info(&local_db));
}

#[test]
fn download_failures_name_the_url_and_keep_the_previous_database() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("db");
    let db = dir.join("palisade.db");
    let out = palisade(&["db", "build", "--osv", s(&fixtures_dir()), "--db", s(&db)]);
    assert!(out.status.success(), "first build: {}", stderr(&out));
    let before = std::fs::read(&db).expect("read");
    let before_inode = inode(&db);

    let (a, _) = two_zips();
    let limit = 64 * 1024;
    let server = Server::start(move |req, _| match req.path.as_str() {
        "/missing.zip" => status(404),
        "/broken.zip" => status(500),
        "/truncated.zip" => Reply::Short {
            announced: a.len(),
            body: a[..a.len() / 2].to_vec(),
            then_wait: Duration::ZERO,
        },
        "/huge.zip" => ok(&vec![b'P'; limit + 1]),
        "/endless.zip" => Reply::Unsized { len: 4 * limit },
        "/page.zip" => ok(b"<html><body>Please log in</body></html>"),
        "/notzip.zip" => ok(b"PK\x03\x04 but nothing else"),
        "/empty.zip" => ok(b""),
        _ => status(404),
    });
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        format!("http://127.0.0.1:{port}/all.zip")
    };
    let cases: Vec<(String, &str)> = vec![
        (server.url("/missing.zip"), "HTTP 404"),
        (server.url("/broken.zip"), "HTTP 500"),
        (server.url("/truncated.zip"), "cut short"),
        (server.url("/huge.zip"), "limit"),
        (server.url("/endless.zip"), "limit"),
        (server.url("/page.zip"), "neither a zip archive nor"),
        (server.url("/notzip.zip"), "cannot read OSV zip"),
        (server.url("/empty.zip"), "empty"),
        (closed, "connection"),
    ];
    for (url, expected) in &cases {
        let out = palisade(&[
            "db",
            "build",
            "--osv",
            url,
            "--db",
            s(&db),
            "--max-download-size",
            "64KiB",
            "--download-retries",
            "1",
            QUICK[0],
            QUICK[1],
        ]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{url}: succeeded: {err}");
        assert!(err.contains(url.as_str()), "{url}: not named in: {err}");
        assert!(
            err.to_lowercase().contains(&expected.to_lowercase()),
            "{url}: no {expected:?} in: {err}"
        );
        assert_eq!(names_in(&dir), ["palisade.db"], "{url}: leftovers");
        assert_eq!(inode(&db), before_inode, "{url}: database replaced");
        assert!(
            std::fs::read(&db).expect("read") == before,
            "{url}: changed"
        );
    }
    // Transient failures were tried twice (--download-retries 1); the others once.
    assert_eq!(server.requests("/broken.zip").len(), 2);
    assert_eq!(server.requests("/truncated.zip").len(), 2);
    assert_eq!(server.requests("/missing.zip").len(), 1);
    assert_eq!(server.requests("/huge.zip").len(), 1);
    assert_eq!(server.requests("/endless.zip").len(), 1);
    assert!(
        stderr(&palisade(&["db", "info", "--db", s(&db)])).is_empty(),
        "the old database still reads"
    );
}

#[test]
fn a_transient_failure_is_retried() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, _) = two_zips();
    let server = Server::start(move |_, nth| if nth == 0 { status(503) } else { ok(&a) });
    let db = tmp.path().join("palisade.db");
    let url = server.url("/all.zip");
    let out = palisade(&[
        "db",
        "build",
        "--osv",
        &url,
        "--db",
        s(&db),
        QUICK[0],
        QUICK[1],
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("HTTP 503"), "the retry is logged");
    assert_eq!(server.requests("/all.zip").len(), 2);
}

#[test]
fn unchanged_sources_are_not_rebuilt() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = two_zips();
    // (body, ETag) served now; the test swaps it for a new version.
    let current = Arc::new(Mutex::new((a, "\"v1\"".to_string())));
    let served = Arc::clone(&current);
    let server = Server::start(move |req, _| {
        let (body, etag) = served.lock().expect("lock").clone();
        if req.headers.get("if-none-match") == Some(&etag) {
            return Reply::Full {
                status: 304,
                headers: vec![("ETag", etag)],
                body: Vec::new(),
            };
        }
        Reply::Full {
            status: 200,
            headers: vec![("ETag", etag)],
            body,
        }
    });
    let url = server.url("/all.zip");
    let db = tmp.path().join("palisade.db");
    let build = |extra: &[&str]| {
        let mut args = vec!["db", "build", "--osv", &url, "--db", s(&db)];
        args.extend_from_slice(extra);
        let out = palisade(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };

    build(&[]);
    let first = inode(&db).expect("built");
    let vulns_v1 = info(&db)["vuln_count"].clone();

    let err = build(&[]);
    assert!(err.contains("unchanged"), "{err}");
    assert_eq!(
        inode(&db),
        Some(first),
        "an unchanged source is not rebuilt"
    );
    let second = &server.requests("/all.zip")[1];
    assert_eq!(
        second.headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );

    build(&["--force"]);
    let forced = inode(&db).expect("built");
    assert_ne!(forced, first, "--force rebuilds");

    *current.lock().expect("lock") = (b, "\"v2\"".to_string());
    let err = build(&[]);
    assert!(!err.contains("unchanged"), "{err}");
    assert_ne!(inode(&db), Some(forced), "a changed source is rebuilt");
    assert_ne!(info(&db)["vuln_count"], vulns_v1, "from the new data");
}

/// Starts palisade in the background with stderr going to a file.
fn spawn(args: &[&str], log: &Path) -> Child {
    let file = std::fs::File::create(log).expect("log file");
    Command::new(common::bin())
        .args(args)
        .env_remove("PALISADE_DB")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::from(file))
        .spawn()
        .expect("spawn palisade")
}

fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGTERM and returns the exit status, killing the process if it does not stop in time.
fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: kill(2) with a pid we spawned and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("palisade did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_rebuilds_keeps_the_database_through_a_failure_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, _) = two_zips();
    // The first build succeeds, the second attempt fails, later ones succeed.
    let server = Server::start(move |_, nth| if nth == 1 { status(500) } else { ok(&a) });
    let url = server.url("/all.zip");
    let dir = tmp.path().join("db");
    let db = dir.join("palisade.db");
    let log = tmp.path().join("stderr.log");
    let mut child = spawn(
        &[
            "db",
            "build",
            "--osv",
            &url,
            "--db",
            s(&db),
            "--every",
            "1s",
            "--download-retries",
            "0",
        ],
        &log,
    );
    let limit = Duration::from_secs(30);
    wait_for("the first build", limit, || inode(&db).is_some());
    let first = inode(&db);
    wait_for("the failed attempt", limit, || {
        server.requests("/all.zip").len() >= 2
    });
    assert_eq!(inode(&db), first, "a failed rebuild keeps the database");
    wait_for("the second build", limit, || {
        inode(&db).is_some_and(|i| Some(i) != first)
    });
    let status = terminate(&mut child);
    let err = std::fs::read_to_string(&log).expect("log");
    assert!(status.success(), "exit {status:?}: {err}");
    assert!(err.contains("ERROR"), "{err}");
    assert!(err.contains("keeping the previous one"), "{err}");
    assert!(err.contains(&url) && err.contains("HTTP 500"), "{err}");
    assert!(err.contains("SIGTERM"), "{err}");
    let leftovers: Vec<String> = names_in(&dir)
        .into_iter()
        .filter(|n| n.contains(".tmp") || n.contains(".download-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        palisade(&["db", "info", "--db", s(&db)]).status.success(),
        "the database reads"
    );
}

#[test]
fn sigterm_during_a_download_removes_the_temporary_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("db");
    let db = dir.join("palisade.db");
    let out = palisade(&["db", "build", "--osv", s(&fixtures_dir()), "--db", s(&db)]);
    assert!(out.status.success(), "first build: {}", stderr(&out));
    let before = std::fs::read(&db).expect("read");
    let (a, _) = two_zips();
    // Half the body, then silence for longer than the test waits.
    let server = Server::start(move |_, _| Reply::Short {
        announced: a.len(),
        body: a[..a.len() / 2].to_vec(),
        then_wait: Duration::from_secs(60),
    });
    let log = tmp.path().join("stderr.log");
    let mut child = spawn(
        &[
            "db",
            "build",
            "--osv",
            &server.url("/all.zip"),
            "--db",
            s(&db),
        ],
        &log,
    );
    wait_for("the download to start", Duration::from_secs(30), || {
        names_in(&dir).iter().any(|n| n.contains(".download-"))
    });
    let started = Instant::now();
    let status = terminate(&mut child);
    let err = std::fs::read_to_string(&log).expect("log");
    assert!(
        !status.success(),
        "an interrupted build is a failure: {err}"
    );
    assert!(err.contains("interrupted"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped promptly despite the stalled server"
    );
    assert_eq!(names_in(&dir), ["palisade.db"]);
    assert!(std::fs::read(&db).expect("read") == before);
}
