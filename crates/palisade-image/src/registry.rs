//! A synchronous registry client (OCI distribution spec, Docker registry v2 token auth).
//!
//! Only the pull side is implemented: manifests and blobs by GET. Requests start anonymous;
//! a `401` carries a `WWW-Authenticate` challenge that says whether to send basic credentials
//! or fetch a bearer token, which is then cached for the client's lifetime and refreshed on the
//! next `401`. Blob downloads follow redirects to storage backends without leaking our
//! `Authorization` header to other hosts.

use std::sync::Mutex;
use std::time::Duration;

use ureq::config::RedirectAuthHeaders;
use ureq::http;

use crate::ImageError;
use crate::auth::{Challenge, Credentials, parse_www_authenticate};
use crate::digest::{sha256_digest, validate_digest};
use crate::manifest::MANIFEST_ACCEPT;
use crate::reference::Reference;
use crate::store::{Blob, BlobStore, Fetched, read_capped};

/// Largest token-service or error response we read.
const MAX_SMALL_RESPONSE: u64 = 1 << 20;

/// How to talk to a registry.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Use plain HTTP even for non-loopback hosts (for test and air-gapped registries).
    pub insecure: bool,
    /// Credentials to answer challenges with; anonymous when `None`.
    pub credentials: Option<Credentials>,
    /// `User-Agent` sent with every request, so registry operators can identify the scanner.
    pub user_agent: String,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            insecure: false,
            credentials: None,
            user_agent: default_user_agent(),
        }
    }
}

/// `palisade/<version>`.
pub fn default_user_agent() -> String {
    format!("palisade/{}", env!("CARGO_PKG_VERSION"))
}

/// Whether `host` (with optional port) is this machine; such registries get plain HTTP by
/// default, as Docker does, since local test registries rarely have certificates.
pub fn is_loopback_host(host_port: &str) -> bool {
    let host = if let Some(rest) = host_port.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A client bound to one repository of one registry.
pub struct RegistryClient {
    agent: ureq::Agent,
    reference: Reference,
    base: String,
    https: bool,
    credentials: Option<Credentials>,
    /// The `Authorization` header value that last worked (basic or bearer), shared by threads.
    auth: Mutex<Option<String>>,
}

impl RegistryClient {
    /// Creates a client for `reference`'s repository. No request is made yet.
    pub fn new(reference: &Reference, opts: &RegistryOptions) -> RegistryClient {
        let host = reference.api_host();
        let https = !(opts.insecure || is_loopback_host(host));
        let base = format!("{}://{host}", if https { "https" } else { "http" });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(opts.user_agent.as_str())
            .redirect_auth_headers(RedirectAuthHeaders::SameHost)
            .max_redirects(10)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_per_read(Some(Duration::from_secs(120)))
            .build()
            .into();
        RegistryClient {
            agent,
            reference: reference.clone(),
            base,
            https,
            credentials: opts.credentials.clone(),
            auth: Mutex::new(None),
        }
    }

    fn cached_auth(&self) -> Option<String> {
        // A poisoned lock only means another thread panicked mid-update of a plain string.
        self.auth.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_auth(&self, value: String) {
        *self.auth.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
    }

    /// Fetches a manifest by tag or digest, capped at `max` bytes. A digest target is verified;
    /// for a tag, the registry's `Docker-Content-Digest` header is checked when present.
    pub fn fetch_manifest(&self, target: &str, max: u64) -> Result<Fetched, ImageError> {
        let url = format!(
            "{}/v2/{}/manifests/{target}",
            self.base, self.reference.repository
        );
        let what = if target.contains(':') {
            format!("manifest {}@{target}", self.reference.name())
        } else {
            format!("manifest {}:{target}", self.reference.name())
        };
        let mut resp = self.get(&url, Some(MANIFEST_ACCEPT), &what)?;
        let media_type = header(&resp, "content-type");
        let header_digest = header(&resp, "docker-content-digest");
        let bytes = match resp.body_mut().with_config().limit(max).read_to_vec() {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(ImageError::LimitExceeded {
                    what,
                    limit: max,
                    unit: "bytes",
                });
            }
            Err(e) => {
                return Err(ImageError::BlobRead {
                    what,
                    detail: e.to_string(),
                });
            }
        };
        let digest = sha256_digest(&bytes);
        let expected = if target.contains(':') {
            validate_digest(target)?;
            Some(target.to_string())
        } else {
            header_digest.filter(|d| d.starts_with("sha256:"))
        };
        if let Some(expected) = expected
            && expected != digest
        {
            return Err(ImageError::DigestMismatch {
                what,
                expected,
                actual: digest,
            });
        }
        Ok(Fetched {
            bytes,
            media_type,
            digest,
        })
    }

    /// Opens a blob for streaming, following redirects.
    pub fn open_blob(&self, digest: &str) -> Result<Blob<'static>, ImageError> {
        validate_digest(digest)?;
        let url = format!(
            "{}/v2/{}/blobs/{digest}",
            self.base, self.reference.repository
        );
        let what = format!("blob {}@{digest}", self.reference.name());
        let resp = self.get(&url, None, &what)?;
        let size = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok(Blob {
            reader: Box::new(resp.into_body().into_reader()),
            size,
        })
    }

    /// GET with the auth dance: one retry after answering a `401` challenge.
    fn get(
        &self,
        url: &str,
        accept: Option<&str>,
        what: &str,
    ) -> Result<http::Response<ureq::Body>, ImageError> {
        let mut answered = false;
        loop {
            let mut req = self
                .agent
                .get(url)
                // Blobs must arrive byte-exact for their digest; no transfer compression.
                .header("Accept-Encoding", "identity");
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            let sent_auth = self.cached_auth();
            if let Some(h) = &sent_auth {
                req = req.header("Authorization", h.as_str());
            }
            let mut resp = req.call().map_err(|e| self.transport_error(url, e))?;
            let status = resp.status().as_u16();
            match status {
                200..=299 => return Ok(resp),
                401 if !answered => {
                    let challenges: Vec<Challenge> = resp
                        .headers()
                        .get_all("www-authenticate")
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .flat_map(parse_www_authenticate)
                        .collect();
                    self.answer_challenge(&challenges)?;
                    answered = true;
                }
                401 | 403 => {
                    let body = error_body(&mut resp);
                    return Err(self.unauthorized(status, &body));
                }
                404 => {
                    let body = error_body(&mut resp);
                    let what = if body.is_empty() {
                        what.to_string()
                    } else {
                        format!("{what} ({body})")
                    };
                    return Err(ImageError::NotFound { what });
                }
                _ => {
                    let mut detail = error_body(&mut resp);
                    if status == 429 {
                        detail = format!("rate limited by the registry; {detail}");
                    }
                    return Err(ImageError::UnexpectedStatus {
                        url: url.to_string(),
                        status,
                        detail,
                    });
                }
            }
        }
    }

    fn unauthorized(&self, status: u16, body: &str) -> ImageError {
        let hint = match &self.credentials {
            None => "authentication required (or the repository does not exist); supply \
                     credentials with --username/--password, PALISADE_USERNAME/PALISADE_PASSWORD \
                     or a docker config"
                .to_string(),
            Some(c) if status == 403 => {
                format!(
                    "user {:?} is not allowed to pull this repository",
                    c.username
                )
            }
            Some(c) => format!("credentials for user {:?} were rejected", c.username),
        };
        let detail = if body.is_empty() {
            hint
        } else {
            format!("{hint} (registry said: {body})")
        };
        ImageError::Unauthorized {
            registry: self.reference.registry.clone(),
            detail,
        }
    }

    fn answer_challenge(&self, challenges: &[Challenge]) -> Result<(), ImageError> {
        if let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer") {
            let Some(realm) = bearer.params.get("realm") else {
                return Err(ImageError::Unauthorized {
                    registry: self.reference.registry.clone(),
                    detail: "bearer challenge without a realm".to_string(),
                });
            };
            let default_scope = format!("repository:{}:pull", self.reference.repository);
            let scope = bearer
                .params
                .get("scope")
                .map_or(default_scope.as_str(), String::as_str);
            let service = bearer.params.get("service").map(String::as_str);
            let token = self.fetch_token(realm, service, scope)?;
            self.set_auth(format!("Bearer {token}"));
            return Ok(());
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            let Some(creds) = &self.credentials else {
                return Err(self.unauthorized(401, ""));
            };
            self.set_auth(creds.basic_header());
            return Ok(());
        }
        Err(ImageError::Unauthorized {
            registry: self.reference.registry.clone(),
            detail: "401 without a usable WWW-Authenticate challenge".to_string(),
        })
    }

    fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, ImageError> {
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(ImageError::Unauthorized {
                registry: self.reference.registry.clone(),
                detail: format!("token realm {realm:?} is not an http(s) URL"),
            });
        }
        let mut url = realm.to_string();
        url.push(if realm.contains('?') { '&' } else { '?' });
        if let Some(s) = service {
            url.push_str(&format!("service={}&", percent_encode(s)));
        }
        url.push_str(&format!("scope={}", percent_encode(scope)));
        let mut req = self.agent.get(&url);
        if let Some(c) = &self.credentials {
            req = req.header("Authorization", c.basic_header());
        }
        tracing::debug!(realm, scope, "fetching registry token");
        let mut resp = req.call().map_err(|e| self.transport_error(&url, e))?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            let body = error_body(&mut resp);
            let mut e = self.unauthorized(status, &body);
            if let ImageError::Unauthorized { detail, .. } = &mut e {
                *detail = format!("token service {realm}: {detail}");
            }
            return Err(e);
        }
        if !(200..300).contains(&status) {
            return Err(ImageError::UnexpectedStatus {
                url: realm.to_string(),
                status,
                detail: error_body(&mut resp),
            });
        }
        let body = read_capped(
            resp.into_body().into_reader(),
            MAX_SMALL_RESPONSE,
            &format!("token response from {realm}"),
        )?;
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| ImageError::Unauthorized {
                registry: self.reference.registry.clone(),
                detail: format!("token service {realm} returned invalid JSON: {e}"),
            })?;
        parsed
            .token
            .filter(|t| !t.is_empty())
            .or(parsed.access_token.filter(|t| !t.is_empty()))
            .ok_or_else(|| ImageError::Unauthorized {
                registry: self.reference.registry.clone(),
                detail: format!("token service {realm} returned no token"),
            })
    }

    fn transport_error(&self, url: &str, e: ureq::Error) -> ImageError {
        let host = url_host(url).to_string();
        let insecure_hint = if self.https {
            "; if the registry serves plain HTTP, use --insecure"
        } else {
            ""
        };
        match e {
            ureq::Error::HostNotFound => ImageError::Unreachable {
                host,
                detail: "host name could not be resolved".to_string(),
            },
            ureq::Error::ConnectionFailed => ImageError::Unreachable {
                host,
                detail: "connection failed".to_string(),
            },
            ureq::Error::Timeout(t) => ImageError::Unreachable {
                host,
                detail: format!("timed out ({t})"),
            },
            // Before a response arrives, an I/O error is a connection problem: refused, reset,
            // DNS failure (getaddrinfo errors have no specific kind), or TLS garbage.
            ureq::Error::Io(io) => {
                if io.kind() == std::io::ErrorKind::InvalidData && url.starts_with("https://") {
                    ImageError::Tls {
                        host,
                        detail: format!("{io}{insecure_hint}"),
                    }
                } else {
                    ImageError::Unreachable {
                        host,
                        detail: io.to_string(),
                    }
                }
            }
            ureq::Error::Tls(m) => ImageError::Tls {
                host,
                detail: format!("{m}{insecure_hint}"),
            },
            ureq::Error::Rustls(r) => ImageError::Tls {
                host,
                detail: format!("{r}{insecure_hint}"),
            },
            other => ImageError::Http {
                url: url.to_string(),
                detail: other.to_string(),
            },
        }
    }
}

impl BlobStore for RegistryClient {
    fn open(&self, key: &str) -> Result<Blob<'_>, ImageError> {
        self.open_blob(key)
    }

    fn describe(&self) -> String {
        self.reference.name()
    }

    fn manifest(
        &self,
        digest: &str,
        _media_type: Option<&str>,
        max: u64,
    ) -> Result<Fetched, ImageError> {
        validate_digest(digest)?;
        self.fetch_manifest(digest, max)
    }
}

fn header(resp: &http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The registry's error message: `{"errors":[{"code","message"}]}` per the distribution spec,
/// else the start of the body. Bounded so a hostile server cannot make us buffer much.
fn error_body(resp: &mut http::Response<ureq::Body>) -> String {
    let Ok(bytes) = resp.body_mut().with_config().limit(64 << 10).read_to_vec() else {
        return String::new();
    };
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorItem>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorItem {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if let Ok(e) = serde_json::from_slice::<Errors>(&bytes)
        && !e.errors.is_empty()
    {
        return e
            .errors
            .iter()
            .map(|i| format!("{}: {}", i.code, i.message))
            .collect::<Vec<_>>()
            .join("; ");
    }
    let text = String::from_utf8_lossy(&bytes);
    text.trim().chars().take(300).collect()
}

fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        for h in [
            "localhost",
            "localhost:5000",
            "127.0.0.1",
            "127.0.0.1:5000",
            "[::1]:5000",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "ghcr.io",
            "10.0.0.1:5000",
            "localhost.example.com",
            "[fe80::1]",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(
            percent_encode("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
        assert_eq!(url_host("https://h:5/v2/x?y"), "h:5");
        assert_eq!(url_host("http://h"), "h");
    }
}
