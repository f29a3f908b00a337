//! The operator's HTTP endpoints: scan results from Jobs, and health probes.
//!
//! Scan Jobs POST their inventory here instead of printing it to their log (spec §9: results
//! truncated by log rotation). Each Job has a one-time token; a result is accepted only with the
//! right token, within the size limits, and when its SHA-256 matches, and it is parsed before the
//! Job is answered, so a Job learns at once whether its result was taken.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use palisade_inventory::Inventory;
use palisade_operator::transport::{
    self, FailureReason, HEADER_CONTENT_SHA256, MAX_BOM_BYTES, MAX_COMPRESSED_BYTES,
    MAX_FAILURE_BYTES, RESULTS_PATH_PREFIX, ScanFailure,
};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::model::ImageKey;
use crate::run::Msg;

/// What the operator expects from one running Job.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// The token the Job must present.
    pub token: String,
    /// The image it scans.
    pub image: ImageKey,
}

/// State shared between the HTTP handlers and the operator loop.
pub struct Shared {
    /// Running Jobs by name.
    pub tickets: Mutex<HashMap<String, Ticket>>,
    /// Whether the first sync with the API server is complete (readiness).
    pub ready: Arc<AtomicBool>,
    /// Where accepted results go.
    pub tx: mpsc::Sender<Msg>,
}

impl Shared {
    /// Registers a Job that may post a result.
    pub fn issue(&self, job: &str, ticket: Ticket) {
        if let Ok(mut t) = self.tickets.lock() {
            t.insert(job.to_owned(), ticket);
        }
    }

    /// Forgets a Job: later posts with its token are refused.
    pub fn revoke(&self, job: &str) {
        if let Ok(mut t) = self.tickets.lock() {
            t.remove(job);
        }
    }

    fn ticket(&self, job: &str) -> Option<Ticket> {
        self.tickets.lock().ok()?.get(job).cloned()
    }
}

/// An accepted scan result.
#[derive(Debug)]
pub struct ScanOutput {
    /// The image's packages.
    pub inventory: Inventory,
    /// The BOM, zstd-compressed as it arrived (kept to write SbomReports).
    pub bom_zstd: Vec<u8>,
    /// SHA-256 of the uncompressed BOM.
    pub bom_sha256: String,
}

/// What a Job delivered.
#[derive(Debug)]
pub enum Delivery {
    /// An inventory.
    Result {
        /// Job name.
        job: String,
        /// Image.
        image: ImageKey,
        /// The parsed result.
        output: Box<ScanOutput>,
    },
    /// The scan failed, or its result was rejected.
    Failure {
        /// Job name.
        job: String,
        /// Image.
        image: ImageKey,
        /// Why.
        failure: ScanFailure,
    },
}

/// Binds `addr` and answers every request with `handler` until the runtime stops; returns the
/// bound address (port 0 picks one). The one accept loop of the operator's three endpoints
/// (results, probes, metrics): a failed accept (out of file descriptors, say) is logged and
/// retried after a pause instead of spinning.
pub(crate) async fn listen<F, Fut>(addr: SocketAddr, handler: F) -> std::io::Result<SocketAddr>
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let handler = handler.clone();
                    async move { Ok::<_, std::convert::Infallible>(handler(req).await) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                if let Err(e) = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await
                {
                    tracing::debug!(error = %e, "HTTP connection ended with an error");
                }
            });
        }
    });
    Ok(local)
}

/// Binds `addr` and serves results and probes until the runtime stops. Returns the bound address
/// (port 0 picks one).
pub async fn serve(addr: SocketAddr, shared: Arc<Shared>) -> std::io::Result<SocketAddr> {
    listen(addr, move |req| handle(req, shared.clone())).await
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.into())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The probe answers: `/healthz` while the process serves, `/readyz` once `ready` (with or
/// without the trailing slash the anchor's chart uses).
fn probe(method: &Method, path: &str, ready: &AtomicBool) -> Option<Response<Full<Bytes>>> {
    if method != Method::GET {
        return None;
    }
    match path.trim_end_matches('/') {
        "/healthz" => Some(text(StatusCode::OK, "ok\n")),
        "/readyz" => Some(if ready.load(Ordering::Relaxed) {
            text(StatusCode::OK, "ok\n")
        } else {
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: the first sync with the API server is not complete\n",
            )
        }),
        _ => None,
    }
}

/// Serves the health probes alone on `addr` (they must answer before this replica leads and
/// starts the operator loop); returns the bound address.
pub async fn serve_health(addr: SocketAddr, ready: Arc<AtomicBool>) -> std::io::Result<SocketAddr> {
    listen(addr, move |req: Request<Incoming>| {
        let r = probe(req.method(), req.uri().path(), &ready)
            .unwrap_or_else(|| text(StatusCode::NOT_FOUND, "not found\n"));
        async move { r }
    })
    .await
}

async fn handle(req: Request<Incoming>, shared: Arc<Shared>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if let Some(r) = probe(req.method(), &path, &shared.ready) {
        return r;
    }
    let Some(rest) = path.strip_prefix(RESULTS_PATH_PREFIX) else {
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    let Some((job, what)) = rest.split_once('/') else {
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    if req.method() != Method::POST {
        return text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n");
    }
    let job = job.to_owned();
    let Some(ticket) = shared.ticket(&job) else {
        return text(
            StatusCode::NOT_FOUND,
            format!("no running scan Job {job:?} expects a result\n"),
        );
    };
    let presented = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !transport::tokens_equal(presented, &ticket.token) {
        tracing::warn!(job = %job, "refused a scan result with a wrong token");
        return text(StatusCode::UNAUTHORIZED, "wrong or missing token\n");
    }
    match what {
        "result" => accept_result(req, job, ticket, &shared).await,
        "failure" => accept_failure(req, job, ticket, &shared).await,
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

async fn accept_failure(
    req: Request<Incoming>,
    job: String,
    ticket: Ticket,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let body = match Limited::new(req.into_body(), MAX_FAILURE_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("failure report rejected: {e}\n"),
            );
        }
    };
    let failure = match serde_json::from_slice::<ScanFailure>(&body) {
        Ok(f) => f,
        Err(e) => ScanFailure {
            reason: FailureReason::Other,
            message: format!(
                "the scan failed and its failure report was not valid JSON ({e}): {}",
                String::from_utf8_lossy(&body[..body.len().min(500)])
            ),
        },
    };
    shared.revoke(&job);
    deliver(
        shared,
        Delivery::Failure {
            job,
            image: ticket.image,
            failure,
        },
    )
    .await
}

async fn accept_result(
    req: Request<Incoming>,
    job: String,
    ticket: Ticket,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let encoding = req
        .headers()
        .get(hyper::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let sha = req
        .headers()
        .get(HEADER_CONTENT_SHA256)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let format = req
        .headers()
        .get(transport::HEADER_INVENTORY_FORMAT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let rejected = |status: StatusCode, message: String| (status, message);
    let outcome: Result<ScanOutput, (StatusCode, String)> = async {
        transport::check_inventory_format(format.as_deref())
            .map_err(|m| rejected(StatusCode::BAD_REQUEST, m))?;
        if encoding != transport::RESULT_CONTENT_ENCODING {
            return Err(rejected(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Content-Encoding must be zstd, not {encoding:?}"),
            ));
        }
        let body = Limited::new(req.into_body(), MAX_COMPRESSED_BYTES)
            .collect()
            .await
            .map_err(|e| {
                rejected(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the compressed result is larger than {} MiB: {e}",
                        MAX_COMPRESSED_BYTES >> 20
                    ),
                )
            })?
            .to_bytes();
        tokio::task::spawn_blocking(move || parse_result(&body, &sha))
            .await
            .map_err(|e| rejected(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    }
    .await;
    shared.revoke(&job);
    match outcome {
        Ok(output) => {
            deliver(
                shared,
                Delivery::Result {
                    job,
                    image: ticket.image,
                    output: Box::new(output),
                },
            )
            .await
        }
        Err((status, message)) => {
            let failure = ScanFailure {
                reason: FailureReason::Other,
                message: format!("the operator rejected the scan result: {message}"),
            };
            let _ = deliver(
                shared,
                Delivery::Failure {
                    job,
                    image: ticket.image,
                    failure,
                },
            )
            .await;
            text(status, format!("{message}\n"))
        }
    }
}

fn parse_result(body: &[u8], sha: &str) -> Result<ScanOutput, (StatusCode, String)> {
    let bom = transport::decode_result(body, sha, MAX_BOM_BYTES).map_err(|e| {
        let status = if e.to_string().contains("larger") || e.to_string().contains("limit") {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        (status, e.to_string())
    })?;
    let inventory = palisade_report::read_inventory(&bom)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("not a usable BOM: {e}")))?
        .inventory;
    palisade_operator::parse_bom(&bom)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("not a usable BOM: {e}")))?;
    Ok(ScanOutput {
        inventory,
        bom_zstd: body.to_vec(),
        bom_sha256: sha.to_ascii_lowercase(),
    })
}

async fn deliver(shared: &Shared, delivery: Delivery) -> Response<Full<Bytes>> {
    match shared.tx.send(Msg::Delivery(delivery)).await {
        Ok(()) => {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        Err(_) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the operator is stopping\n",
        ),
    }
}
