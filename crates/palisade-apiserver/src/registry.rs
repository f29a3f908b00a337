//! Resolving image references to manifest digests against a local registry, so pods of
//! running workloads report the `imageID` a real kubelet would (`repo@sha256:…`).
//!
//! Palisade's operator scans the image a pod actually runs, which it learns from
//! `status.containerStatuses[].imageID`; tests that push an image to a local registry
//! need that digest to be the real one. Only plain-HTTP registries without
//! authentication are supported: the registries tests start on loopback.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;

/// Manifest media types we accept, most specific first; the registry answers with the
/// type it stored, and its digest is what clients (and kubelets) report.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// Largest manifest we read (real manifests are a few KiB).
const MAX_MANIFEST: usize = 4 * 1024 * 1024;

/// Why a digest could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// TCP connect or HTTP exchange failed.
    #[error("registry {registry} is unreachable: {message}")]
    Unreachable {
        /// host:port of the registry.
        registry: String,
        /// What went wrong.
        message: String,
    },
    /// The registry did not answer in time.
    #[error("registry {registry} did not answer within {secs} s")]
    Timeout {
        /// host:port of the registry.
        registry: String,
        /// The limit.
        secs: u64,
    },
    /// A non-success HTTP status (404 manifest unknown, 401 auth required, …).
    #[error("registry {registry} answered {status} for {path}")]
    Status {
        /// host:port of the registry.
        registry: String,
        /// The request path.
        path: String,
        /// The HTTP status.
        status: u16,
    },
}

/// An image reference split the way registries see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host[:port] (`docker.io` when the reference names none).
    pub registry: String,
    /// Repository path inside the registry (`library/nginx`).
    pub repository: String,
    /// Tag (`latest` when none is given), unless a digest is.
    pub tag: String,
    /// `sha256:…` when the reference pins a digest.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `[registry/]repo[:tag][@digest]` with Docker's defaults: the first path
    /// component is a registry only if it has a `.` or `:` or is `localhost`;
    /// single-component Docker Hub names live under `library/`.
    pub fn parse(image: &str) -> Self {
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (image, None),
        };
        let (name, tag) = match name.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, t.to_string()),
            _ => (name, "latest".to_string()),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        Self {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// `registry/repository`, the part of an imageID before `@`.
    pub fn repo(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

/// Resolves `image` (which must name `registry`) to its manifest digest: a HEAD request
/// first (registries send `Docker-Content-Digest`), then a GET whose body is hashed if
/// the header is missing.
pub async fn resolve_digest(image: &ImageRef, timeout: Duration) -> Result<String, RegistryError> {
    let registry = image.registry.clone();
    tokio::time::timeout(timeout, async {
        let path = format!("/v2/{}/manifests/{}", image.repository, image.tag);
        let (status, digest, _) = request(&registry, Method::HEAD, &path).await?;
        if status.is_success()
            && let Some(d) = digest
        {
            return Ok(d);
        }
        let (status, digest, body) = request(&registry, Method::GET, &path).await?;
        if !status.is_success() {
            return Err(RegistryError::Status {
                registry: registry.clone(),
                path,
                status: status.as_u16(),
            });
        }
        Ok(digest.unwrap_or_else(|| {
            let sum = Sha256::digest(&body);
            let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
            format!("sha256:{hex}")
        }))
    })
    .await
    .map_err(|_| RegistryError::Timeout {
        registry: image.registry.clone(),
        secs: timeout.as_secs(),
    })?
}

/// One plain-HTTP request on a fresh connection: (status, Docker-Content-Digest, body).
async fn request(
    registry: &str,
    method: Method,
    path: &str,
) -> Result<(StatusCode, Option<String>, Bytes), RegistryError> {
    let unreachable = |e: &dyn std::fmt::Display| RegistryError::Unreachable {
        registry: registry.to_string(),
        message: e.to_string(),
    };
    let stream = TcpStream::connect(registry)
        .await
        .map_err(|e| unreachable(&e))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| unreachable(&e))?;
    let driver = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "registry connection ended with an error");
        }
    });
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, registry)
        .header(hyper::header::ACCEPT, MANIFEST_ACCEPT)
        .header(hyper::header::USER_AGENT, "palisade-apiserver")
        .body(Empty::<Bytes>::new())
        .map_err(|e| unreachable(&e))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| unreachable(&e))?;
    let status = resp.status();
    let digest = resp
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .filter(|d| d.starts_with("sha256:"))
        .map(str::to_string);
    let body = Limited::new(resp.into_body(), MAX_MANIFEST)
        .collect()
        .await
        .map_err(|e| unreachable(&e))?
        .to_bytes();
    driver.abort();
    Ok((status, digest, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references_with_docker_defaults() {
        let r = ImageRef::parse("nginx");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("docker.io", "library/nginx", "latest")
        );
        let r = ImageRef::parse("127.0.0.1:5000/test/tiny:1.0");
        assert_eq!(r.repo(), "127.0.0.1:5000/test/tiny");
        assert_eq!(r.tag, "1.0");
        let r = ImageRef::parse("localhost/x@sha256:ab");
        assert_eq!(r.repo(), "localhost/x");
        assert_eq!(r.digest.as_deref(), Some("sha256:ab"));
        let r = ImageRef::parse("ghcr.io/a/b:2");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("ghcr.io", "a/b")
        );
        let r = ImageRef::parse("user/app:3");
        assert_eq!(r.repo(), "docker.io/user/app");
    }

    #[tokio::test]
    async fn unreachable_registry_is_an_error_not_a_hang() {
        // Port 9 on loopback is closed on any sane test machine.
        let r = ImageRef::parse("127.0.0.1:9/x:1");
        let e = resolve_digest(&r, Duration::from_secs(5))
            .await
            .expect_err("nothing listens there");
        assert!(
            matches!(
                e,
                RegistryError::Unreachable { .. } | RegistryError::Timeout { .. }
            ),
            "{e}"
        );
    }
}
