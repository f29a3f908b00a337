//! Downloads for `palisade db build --osv URL`: osv.dev's per-ecosystem `all.zip` exports (or
//! any OSV zip or JSON record) fetched over HTTP(S) into a temporary file beside the database.
//!
//! The server is not trusted: the body is streamed to disk (never held in memory), capped at a
//! size limit whatever the server announces, checked against its announced length, and must
//! look like a zip archive or a JSON record before it is handed to the advisory builder.
//! Transient failures (connection errors, timeouts, truncated bodies, HTTP 408/429/5xx) are
//! retried with doubling pauses; anything else fails at once. Every error names the URL.
//!
//! The network I/O runs on a helper thread that hands the body over in chunks, so the caller
//! notices a stop request (SIGTERM) within a fraction of a second even while the server stalls,
//! and removes its temporary file before exiting instead of waiting out a read timeout.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::Duration;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::stop::Stop;

/// Time allowed to open the TCP (and TLS) connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed for the response headers after the request was sent.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest silence while reading the body.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed (storage services commonly redirect once or twice).
const MAX_REDIRECTS: u32 = 5;
/// Longest pause between two attempts, however many failed before.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
/// Size of the chunks the helper thread reads and hands over.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks in flight between the helper thread and the writer (bounds the memory used).
const CHUNKS_IN_FLIGHT: usize = 8;
/// How often a waiting download checks for a stop request.
const STOP_POLL: Duration = Duration::from_millis(100);

/// What a server said about the version of a file it sent (`ETag`, `Last-Modified`), kept so
/// that the next build can ask "has it changed since?" and skip the work when it has not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    /// The `ETag` response header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The `Last-Modified` response header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Validators {
    /// Whether there is anything to make a request conditional with.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A finished download.
pub enum Fetched {
    /// The body, in a temporary file that is deleted when this value is dropped.
    Body {
        /// The file; its name ends in `.zip` or `.json` after what the body holds.
        file: tempfile::TempPath,
        /// The response's validators, for the next conditional request.
        validators: Validators,
    },
    /// The server answered 304: the file is unchanged since the validators sent.
    NotModified,
}

/// Downloads with one configuration; cheap to share for all the URLs of a build.
pub struct Downloader {
    agent: ureq::Agent,
    max_bytes: u64,
    retries: u32,
    retry_delay: Duration,
}

/// Why one attempt failed, which decides whether another is made.
enum AttemptError {
    /// Worth trying again (network trouble, server overload).
    Transient(String),
    /// Trying again would get the same answer.
    Permanent(String),
    /// A stop was requested.
    Stopped,
}

/// What the helper thread hands over.
enum Msg {
    /// The response status and the headers we use.
    Head {
        status: u16,
        content_length: Option<u64>,
        validators: Validators,
    },
    /// The next piece of the body.
    Chunk(Vec<u8>),
    /// The body ended normally.
    End,
    /// The request or the body failed.
    Failed(AttemptError),
}

impl Downloader {
    /// A downloader refusing bodies over `max_bytes` and retrying transient failures `retries`
    /// times, pausing `retry_delay` before the first retry and twice as long before each next
    /// one (at most a minute).
    pub fn new(max_bytes: u64, retries: u32, retry_delay: Duration) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(MAX_REDIRECTS)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(RESPONSE_TIMEOUT))
            .timeout_per_read(Some(READ_TIMEOUT))
            .user_agent(format!("palisade/{}", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Downloader {
            agent,
            max_bytes,
            retries,
            retry_delay,
        }
    }

    /// Downloads `url` into a new temporary file in `dir` whose name starts with `prefix`.
    /// With `validators`, the request is conditional and may come back
    /// [`Fetched::NotModified`]. Fails with a message naming the URL; when `stop` was
    /// requested the error is returned promptly and no file is left behind.
    pub fn fetch(
        &self,
        url: &str,
        dir: &Path,
        prefix: &str,
        validators: Option<&Validators>,
        stop: &Stop,
    ) -> Result<Fetched> {
        let attempts = self.retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            let outcome = self.attempt(url, dir, prefix, validators, stop);
            let reason = match outcome {
                Ok(fetched) => return Ok(fetched),
                Err(AttemptError::Stopped) => bail!("downloading {url} was interrupted"),
                Err(AttemptError::Permanent(reason)) => bail!("downloading {url}: {reason}"),
                Err(AttemptError::Transient(reason)) => reason,
            };
            if attempt >= attempts {
                let tries = if attempts == 1 {
                    "1 attempt".to_string()
                } else {
                    format!("{attempts} attempts")
                };
                bail!("downloading {url}: {reason} (gave up after {tries})");
            }
            let pause = retry_pause(self.retry_delay, attempt);
            tracing::warn!(
                url,
                attempt,
                attempts,
                "download failed: {reason}; retrying in {pause:?}"
            );
            if stop.sleep(pause) {
                bail!("downloading {url} was interrupted");
            }
            attempt += 1;
        }
    }

    fn attempt(
        &self,
        url: &str,
        dir: &Path,
        prefix: &str,
        validators: Option<&Validators>,
        stop: &Stop,
    ) -> Result<Fetched, AttemptError> {
        let conditional = validators.filter(|v| !v.is_empty());
        let rx = spawn_request(self.agent.clone(), url.to_string(), conditional.cloned());
        let (status, content_length, validators) = match next(&rx, stop)? {
            Msg::Head {
                status,
                content_length,
                validators,
            } => (status, content_length, validators),
            Msg::Failed(e) => return Err(e),
            Msg::Chunk(_) | Msg::End => {
                return Err(AttemptError::Transient(
                    "the download thread sent a body before the headers".into(),
                ));
            }
        };
        match status {
            200 => {}
            304 if conditional.is_some() => return Ok(Fetched::NotModified),
            408 | 429 | 500..=599 => {
                return Err(AttemptError::Transient(format!(
                    "the server answered HTTP {status}"
                )));
            }
            _ => {
                return Err(AttemptError::Permanent(format!(
                    "the server answered HTTP {status}, expected 200"
                )));
            }
        }
        if let Some(len) = content_length
            && len > self.max_bytes
        {
            return Err(AttemptError::Permanent(format!(
                "the server announced {len} bytes, over the {}-byte limit \
                 (--max-download-size)",
                self.max_bytes
            )));
        }
        let bar = ByteBar::new(url, content_length);
        let mut received: u64 = 0;
        // The first bytes decide the file's extension, so the file is created once they arrive.
        let mut head: Vec<u8> = Vec::new();
        let mut file: Option<tempfile::NamedTempFile> = None;
        loop {
            let chunk = match next(&rx, stop)? {
                Msg::Chunk(c) => Some(c),
                Msg::End => None,
                Msg::Failed(e) => {
                    return Err(match (e, content_length) {
                        (AttemptError::Transient(reason), Some(len)) => {
                            AttemptError::Transient(format!(
                                "the body was cut short ({reason}): received {received} of the \
                                 {len} bytes announced"
                            ))
                        }
                        (AttemptError::Transient(reason), None) => AttemptError::Transient(
                            format!("the body was cut short ({reason}) after {received} bytes"),
                        ),
                        (other, _) => other,
                    });
                }
                Msg::Head { .. } => {
                    return Err(AttemptError::Transient(
                        "the download thread sent the headers twice".into(),
                    ));
                }
            };
            let Some(chunk) = chunk else { break };
            received = received.saturating_add(chunk.len() as u64);
            if received > self.max_bytes {
                return Err(AttemptError::Permanent(format!(
                    "the body is over the {}-byte limit (--max-download-size)",
                    self.max_bytes
                )));
            }
            bar.set(received);
            match &mut file {
                Some(f) => write_chunk(f, &chunk)?,
                None => {
                    head.extend_from_slice(&chunk);
                    if head.len() >= SNIFF_BYTES {
                        let mut f = create_temp(dir, prefix, &head)?;
                        write_chunk(&mut f, &head)?;
                        head = Vec::new();
                        file = Some(f);
                    }
                }
            }
        }
        if let Some(len) = content_length
            && received != len
        {
            return Err(AttemptError::Transient(format!(
                "the body was cut short: received {received} of the {len} bytes announced"
            )));
        }
        let file = match file {
            Some(f) => f,
            None if head.is_empty() => {
                return Err(AttemptError::Permanent("the response body is empty".into()));
            }
            None => {
                let mut f = create_temp(dir, prefix, &head)?;
                write_chunk(&mut f, &head)?;
                f
            }
        };
        tracing::debug!(url, bytes = received, file = %file.path().display(), "downloaded");
        Ok(Fetched::Body {
            file: file.into_temp_path(),
            validators,
        })
    }
}

/// The pause before retry number `attempt` (1-based): `first`, doubled for each earlier retry,
/// at most [`MAX_RETRY_DELAY`].
fn retry_pause(first: Duration, attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    first.saturating_mul(factor).min(MAX_RETRY_DELAY)
}

/// Waits for the helper thread's next message, checking for a stop request meanwhile.
fn next(rx: &Receiver<Msg>, stop: &Stop) -> Result<Msg, AttemptError> {
    loop {
        if stop.requested() {
            return Err(AttemptError::Stopped);
        }
        match rx.recv_timeout(STOP_POLL) {
            Ok(msg) => return Ok(msg),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(AttemptError::Transient(
                    "the download thread ended without an answer".into(),
                ));
            }
        }
    }
}

/// Starts the request on a helper thread that sends the headers, then the body in chunks. The
/// thread ends when the body does, on an error, or when the receiver is dropped (the caller gave
/// up: limit exceeded, stop requested), whichever comes first.
fn spawn_request(agent: ureq::Agent, url: String, validators: Option<Validators>) -> Receiver<Msg> {
    let (tx, rx) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
    let spawned = std::thread::Builder::new().name("download".into()).spawn({
        let tx = tx.clone();
        move || request_thread(&agent, &url, validators.as_ref(), &tx)
    });
    if let Err(e) = spawned {
        // The receiver is returned below, so this send cannot fail for want of one; the
        // channel is empty, so it does not block either.
        let _ = tx.send(Msg::Failed(AttemptError::Transient(format!(
            "cannot start a download thread: {e}"
        ))));
    }
    rx
}

fn request_thread(
    agent: &ureq::Agent,
    url: &str,
    validators: Option<&Validators>,
    tx: &SyncSender<Msg>,
) {
    // OSV exports are already compressed; asking for identity keeps a server from adding a
    // second layer that would only cost time (the size limit counts decoded bytes either way).
    let mut request = agent.get(url).header("Accept-Encoding", "identity");
    if let Some(v) = validators {
        if let Some(etag) = &v.etag {
            request = request.header("If-None-Match", etag.as_str());
        }
        if let Some(date) = &v.last_modified {
            request = request.header("If-Modified-Since", date.as_str());
        }
    }
    let response = match request.call() {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Msg::Failed(classify(e)));
            return;
        }
    };
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v.len() <= 1024)
    };
    // A body the server compressed anyway (despite `identity`) reaches us decoded, so its
    // announced length is not what we will count.
    let encoded = header("content-encoding").is_some_and(|e| !e.eq_ignore_ascii_case("identity"));
    let head = Msg::Head {
        status: response.status().as_u16(),
        content_length: header("content-length")
            .and_then(|v| v.parse().ok())
            .filter(|_| !encoded),
        validators: Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        },
    };
    let ok = response.status().as_u16() == 200;
    if tx.send(head).is_err() || !ok {
        return;
    }
    let mut reader = response.into_body().into_reader();
    loop {
        let mut buf = vec![0u8; CHUNK_BYTES];
        let msg = match reader.read(&mut buf) {
            Ok(0) => Msg::End,
            Ok(n) => {
                buf.truncate(n);
                Msg::Chunk(buf)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Msg::Failed(
                AttemptError::Transient("the server closed the connection".into()),
            ),
            Err(e) => Msg::Failed(AttemptError::Transient(e.to_string())),
        };
        let last = !matches!(msg, Msg::Chunk(_));
        if tx.send(msg).is_err() || last {
            return;
        }
    }
}

/// Sorts a failed request into worth-retrying or not.
fn classify(e: ureq::Error) -> AttemptError {
    use ureq::Error as E;
    let text = match &e {
        E::HostNotFound => "the host name could not be resolved".to_string(),
        E::ConnectionFailed => "the connection failed".to_string(),
        E::Timeout(t) => format!("timed out ({t})"),
        E::TooManyRedirects => format!("more than {MAX_REDIRECTS} redirects"),
        E::Io(io) => format!("network error: {io}"),
        other => other.to_string(),
    };
    match e {
        E::Io(_)
        | E::Timeout(_)
        | E::HostNotFound
        | E::ConnectionFailed
        | E::Protocol(_)
        | E::ConnectProxyFailed(_)
        | E::BodyStalled => AttemptError::Transient(text),
        _ => AttemptError::Permanent(text),
    }
}

/// Bytes looked at to recognise the body.
const SNIFF_BYTES: usize = 4;

/// The extension the advisory builder needs for a body starting with `head`: `.zip` for a zip
/// archive, `.json` for a JSON object; anything else (an HTML error page, say) is refused.
fn kind_of(head: &[u8]) -> Result<&'static str, String> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(".zip");
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return Ok(".json");
    }
    let shown: String = String::from_utf8_lossy(&head[..head.len().min(16)])
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    Err(format!(
        "the response is neither a zip archive nor an OSV JSON record (it starts with {shown:?})"
    ))
}

fn create_temp(
    dir: &Path,
    prefix: &str,
    head: &[u8],
) -> Result<tempfile::NamedTempFile, AttemptError> {
    let suffix = kind_of(head).map_err(AttemptError::Permanent)?;
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .tempfile_in(dir)
        .map_err(|e| {
            AttemptError::Permanent(format!(
                "cannot create a temporary file in {}: {e}",
                dir.display()
            ))
        })
}

fn write_chunk(file: &mut tempfile::NamedTempFile, chunk: &[u8]) -> Result<(), AttemptError> {
    file.write_all(chunk).map_err(|e| {
        AttemptError::Permanent(format!(
            "cannot write the temporary file {}: {e}",
            file.path().display()
        ))
    })
}

/// A byte-count progress bar on a terminal, cleared when the download ends either way.
struct ByteBar(Option<indicatif::ProgressBar>);

impl ByteBar {
    fn new(url: &str, len: Option<u64>) -> Self {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return ByteBar(None);
        }
        let bar = match len {
            Some(len) => indicatif::ProgressBar::new(len),
            None => indicatif::ProgressBar::no_length(),
        };
        let template = if len.is_some() {
            "{spinner} {msg} {bar:30} {bytes}/{total_bytes} ({binary_bytes_per_sec})"
        } else {
            "{spinner} {msg} {bytes} ({binary_bytes_per_sec})"
        };
        let style = indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(url.to_string());
        ByteBar(Some(bar))
    }

    fn set(&self, pos: u64) {
        if let Some(b) = &self.0 {
            b.set_position(pos);
        }
    }
}

impl Drop for ByteBar {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_recognised() {
        assert_eq!(kind_of(b"PK\x03\x04rest"), Ok(".zip"));
        assert_eq!(kind_of(b"PK\x05\x06"), Ok(".zip"));
        assert_eq!(kind_of(b"{\"id\""), Ok(".json"));
        assert_eq!(kind_of(b"\xEF\xBB\xBF {"), Ok(".json"));
        let e = kind_of(b"<html><body>Not Found").expect_err("html");
        assert!(e.contains("<html><body>Not"), "{e}");
        assert!(kind_of(b"[1,2]").is_err());
    }

    #[test]
    fn retry_pauses_double_up_to_a_minute() {
        let first = Duration::from_secs(2);
        assert_eq!(retry_pause(first, 1), Duration::from_secs(2));
        assert_eq!(retry_pause(first, 2), Duration::from_secs(4));
        assert_eq!(retry_pause(first, 3), Duration::from_secs(8));
        assert_eq!(retry_pause(first, 10), MAX_RETRY_DELAY);
        assert_eq!(retry_pause(first, u32::MAX), MAX_RETRY_DELAY);
    }
}
