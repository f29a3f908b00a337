//! `palisade scan-job`: the program an operator scan Job runs.
//!
//! It pulls one image, builds its package inventory as the CycloneDX BOM that
//! `palisade image --format cyclonedx` writes (with no advisory database: matching happens in the
//! operator), and POSTs it to the operator with the contract of
//! [`palisade_operator::transport`]. When the scan fails it POSTs a [`ScanFailure`] instead, so
//! the operator learns why without reading logs. Results never go to stdout or the pod log; the
//! log only carries plain progress lines and errors for people (`kubectl logs`).
//!
//! Exit codes: 0 when the operator accepted the inventory, 1 when the scan failed or the
//! operator did not accept the result, 2 when the Job is misconfigured (no token, bad URL or Job
//! name) and nothing could be reported.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use palisade_image::{ImageError, ImageSource, Platform, PullOptions, Reference};
use palisade_operator::transport::{
    self, EncodedResult, FailureReason, HEADER_CONTENT_SHA256, MAX_BOM_BYTES, MAX_COMPRESSED_BYTES,
    RESULT_CONTENT_ENCODING, RESULT_CONTENT_TYPE, ScanFailure,
};

use crate::cli::ScanJobArgs;

/// Env variable holding the token itself, for Jobs that get it from a Secret as an env var.
const TOKEN_ENV: &str = "PALISADE_SCAN_TOKEN";
/// Largest token file read; a token is a few dozen bytes.
const MAX_TOKEN_FILE_BYTES: u64 = 64 << 10;
/// Whole-request timeout of each POST (connect, upload, answer).
const POST_TIMEOUT: Duration = Duration::from_secs(60);
/// Pauses before the second and third attempt of a POST.
const BACKOFF: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];
/// How much of the operator's answer is read: it is only shown to people.
const MAX_ANSWER_BYTES: u64 = 64 << 10;
/// How many characters of an error answer are printed.
const ANSWER_CHARS: usize = 500;
/// Exit code when the Job's own configuration is wrong and nothing could be reported.
const EXIT_MISCONFIGURED: u8 = 2;

/// Prints one progress line to stderr, prefixed so it stands out in `kubectl logs`.
fn say(msg: impl fmt::Display) {
    eprintln!("palisade scan-job: {msg}");
}

/// Runs the whole Job and returns its exit code; every error is printed here.
pub fn run(args: &ScanJobArgs) -> ExitCode {
    let client = match ResultsClient::new(args) {
        Ok(c) => c,
        Err(e) => {
            say(format_args!("error: {e:#}"));
            return ExitCode::from(EXIT_MISCONFIGURED);
        }
    };
    let prepared = match scan(args) {
        Ok(p) => p,
        Err(e) => {
            let message = format!("{e:#}");
            say(format_args!("error: {message}"));
            let failure = ScanFailure {
                reason: failure_reason(&e),
                message,
            };
            client.report_failure(&failure);
            return ExitCode::from(1);
        }
    };
    client.send_result(&prepared)
}

/// A failure this module detects itself, with the reason it reports.
#[derive(Debug)]
struct JobFailure {
    reason: FailureReason,
    message: String,
}

impl fmt::Display for JobFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JobFailure {}

fn job_failure(reason: FailureReason, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(JobFailure {
        reason,
        message: message.into(),
    })
}

/// The reason to report for a scan error: the first error in the chain that says what kind of
/// failure it is decides.
fn failure_reason(err: &anyhow::Error) -> FailureReason {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<ImageError>() {
            return image_failure_reason(e);
        }
        match cause.downcast_ref::<palisade_scan::ScanError>() {
            Some(palisade_scan::ScanError::Image(e)) => return image_failure_reason(e.as_ref()),
            Some(palisade_scan::ScanError::Inventory { .. }) => {
                return FailureReason::AnalysisFailed;
            }
            _ => {}
        }
        if let Some(e) = cause.downcast_ref::<JobFailure>() {
            return e.reason;
        }
        if cause
            .downcast_ref::<palisade_inventory::InventoryError>()
            .is_some()
        {
            return FailureReason::AnalysisFailed;
        }
    }
    FailureReason::Other
}

/// Sorts image errors by what the operator can do about them: wait and retry (`PullFailed`), fix
/// pull secrets (`Unauthorized`), nothing for this image (`NotFound`, `InvalidImage`).
fn image_failure_reason(e: &ImageError) -> FailureReason {
    use ImageError as E;
    match e {
        E::Unreachable { .. }
        | E::Tls { .. }
        | E::Http { .. }
        | E::BlobRead { .. }
        | E::UnexpectedStatus { .. } => FailureReason::PullFailed,
        E::Unauthorized { .. } | E::InvalidCredentials { .. } => FailureReason::Unauthorized,
        E::NotFound { .. } | E::NoMatchingPlatform { .. } | E::ImageNotInSource { .. } => {
            FailureReason::NotFound
        }
        E::InvalidReference { .. }
        | E::InvalidDigest { .. }
        | E::InvalidManifest { .. }
        | E::UnsupportedMediaType { .. }
        | E::Schema1 { .. }
        | E::AmbiguousImage { .. }
        | E::DigestMismatch { .. }
        | E::CorruptLayer { .. }
        | E::LimitExceeded { .. } => FailureReason::InvalidImage,
        E::Vfs { .. } => FailureReason::AnalysisFailed,
        // A bad --platform is the Job's configuration, not the image.
        E::Io { .. } | E::InvalidPlatform { .. } => FailureReason::Other,
    }
}

/// An inventory ready to send.
struct Prepared {
    encoded: EncodedResult,
}

/// Pull, analyse, render the BOM and compress it. Everything that can fail here is reported to
/// the operator as a [`ScanFailure`].
fn scan(args: &ScanJobArgs) -> Result<Prepared> {
    let reference = Reference::parse(&args.image)?;
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let configs = registry_configs(&args.registry_configs);
    let opts = PullOptions {
        platform: platform.clone(),
        insecure: args.insecure,
        docker_configs: configs,
        ..Default::default()
    };
    say(format_args!(
        "pulling {} for {}",
        args.image,
        platform.unwrap_or_else(Platform::host)
    ));
    let started = Instant::now();
    let analysed =
        palisade_scan::analyse_image(&args.image, &ImageSource::Registry(reference), &opts)?;
    let image = &analysed.image;
    say(format_args!(
        "pulled {} ({} layers, {}, image {}) in {:.1} s",
        image
            .manifest_digest
            .as_deref()
            .map_or_else(|| args.image.clone(), |d| format!("manifest {d}")),
        image.layers.len(),
        human_bytes(image.layers.iter().map(|l| l.size).sum()),
        analysed.metadata.image_id,
        started.elapsed().as_secs_f64()
    ));
    let inventory = &analysed.inventory;
    match &inventory.os {
        Some(os) => say(format_args!(
            "found {} {} with {} packages",
            os.family.as_str(),
            os.version,
            inventory.packages.len()
        )),
        None => say(format_args!(
            "found no supported operating system ({} packages)",
            inventory.packages.len()
        )),
    }

    let scanned = palisade_scan::build_report(
        analysed.metadata,
        analysed.inventory,
        &[],
        &palisade_scan::ReportOptions {
            artifact_name: &args.image,
            artifact_type: "container_image",
            filter: &palisade_report::Filter::default(),
            list_all_pkgs: false,
        },
    );
    let bom = crate::cli::cyclonedx_bom(&scanned)
        .map_err(|e| job_failure(FailureReason::AnalysisFailed, format!("{e:#}")))?;
    if bom.len() > MAX_BOM_BYTES {
        return Err(job_failure(
            FailureReason::AnalysisFailed,
            format!(
                "the inventory BOM is {}, over the operator's limit of {}",
                human_bytes(bom.len() as u64),
                human_bytes(MAX_BOM_BYTES as u64)
            ),
        ));
    }
    let encoded = transport::encode_result(bom.as_bytes())
        .map_err(|e| job_failure(FailureReason::Other, e.to_string()))?;
    if encoded.body.len() > MAX_COMPRESSED_BYTES {
        return Err(job_failure(
            FailureReason::AnalysisFailed,
            format!(
                "the compressed inventory is {}, over the operator's limit of {}",
                human_bytes(encoded.body.len() as u64),
                human_bytes(MAX_COMPRESSED_BYTES as u64)
            ),
        ));
    }
    Ok(Prepared { encoded })
}

/// The credential sources that exist. Pull-secret volumes may be optional, so a missing path is
/// skipped rather than failing the scan; an existing directory without a credentials file is
/// skipped by palisade-image.
fn registry_configs(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut kept = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        if p.exists() {
            files.extend(palisade_image::docker_config_files(p));
            kept.push(p.clone());
        } else {
            tracing::debug!(path = %p.display(), "registry config does not exist; skipped");
        }
    }
    if !files.is_empty() {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        say(format_args!(
            "registry credentials from {}",
            names.join(", ")
        ));
    }
    kept
}

/// `12 KiB`, `3.4 MiB`: sizes for people.
fn human_bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f < KIB {
        format!("{n} B")
    } else if f < KIB * KIB {
        format!("{:.0} KiB", f / KIB)
    } else if f < KIB * KIB * KIB {
        format!("{:.1} MiB", f / (KIB * KIB))
    } else {
        format!("{:.1} GiB", f / (KIB * KIB * KIB))
    }
}

/// The first characters of a checksum, enough to compare by eye with the operator's log.
fn short_sum(sum: &str) -> String {
    format!("{}…", sum.chars().take(12).collect::<String>())
}

/// The first `max` characters of a text, marked when cut.
fn truncate_chars(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// The operator's answer to a POST that got one.
struct Answer {
    status: u16,
    body: String,
}

/// Talks to the operator: the two POSTs of the transport contract, with the Job's token.
struct ResultsClient {
    agent: ureq::Agent,
    base: String,
    job: String,
    token: String,
}

impl ResultsClient {
    /// Checks the Job's configuration (URL, name, token) before any pulling, so a misconfigured
    /// Job fails in milliseconds with a clear message.
    fn new(args: &ScanJobArgs) -> Result<Self> {
        let base = results_base_url(&args.results_url)?;
        if !transport::is_valid_job_name(&args.job_name) {
            anyhow::bail!(
                "invalid --job-name {:?}: expected a Kubernetes object name (lowercase letters, \
                 digits, '-' and '.')",
                truncate_chars(&args.job_name, 100)
            );
        }
        let token = read_token(args.token_file.as_deref())?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(POST_TIMEOUT))
            .user_agent(format!("palisade-scan-job/{}", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(ResultsClient {
            agent,
            base,
            job: args.job_name.clone(),
            token,
        })
    }

    /// POSTs the inventory and turns the answer into the exit code.
    fn send_result(&self, prepared: &Prepared) -> ExitCode {
        let enc = &prepared.encoded;
        let format_version = transport::INVENTORY_FORMAT.to_string();
        let url = format!("{}{}", self.base, transport::result_path(&self.job));
        let headers = [
            ("Content-Type", RESULT_CONTENT_TYPE),
            ("Content-Encoding", RESULT_CONTENT_ENCODING),
            (HEADER_CONTENT_SHA256, enc.sha256_hex.as_str()),
            (transport::HEADER_INVENTORY_FORMAT, &format_version),
        ];
        match self.post(&url, &headers, &enc.body) {
            Ok(a) if (200..300).contains(&a.status) => {
                say(format_args!(
                    "sent inventory ({} compressed, sha256 {}) to the operator",
                    human_bytes(enc.body.len() as u64),
                    short_sum(&enc.sha256_hex)
                ));
                ExitCode::SUCCESS
            }
            Ok(a) => {
                say(format_args!(
                    "error: the operator answered HTTP {} to the inventory POST {url}: {}",
                    a.status,
                    answer_text(&a)
                ));
                ExitCode::from(1)
            }
            Err(e) => {
                say(format_args!(
                    "error: cannot send the inventory to {url}: {e:#}"
                ));
                ExitCode::from(1)
            }
        }
    }

    /// POSTs a failure, best effort: the Job fails either way, and the operator also sees the
    /// Job's own failure.
    fn report_failure(&self, failure: &ScanFailure) {
        let url = format!("{}{}", self.base, transport::failure_path(&self.job));
        let body = transport::encode_failure(failure);
        let headers = [("Content-Type", transport::FAILURE_CONTENT_TYPE)];
        match self.post(&url, &headers, &body) {
            Ok(a) if (200..300).contains(&a.status) => say(format_args!(
                "reported the failure ({}) to the operator",
                failure.reason
            )),
            Ok(a) => say(format_args!(
                "could not report the failure: the operator answered HTTP {} to {url}: {}",
                a.status,
                answer_text(&a)
            )),
            Err(e) => say(format_args!("could not report the failure to {url}: {e:#}")),
        }
    }

    /// One POST with up to three attempts: connection errors and 5xx answers are retried after
    /// 1 s and 2 s (the operator may be restarting); any other answer is final.
    fn post(&self, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Answer> {
        let attempts = BACKOFF.len() + 1;
        let mut attempt = 1;
        loop {
            let mut req = self
                .agent
                .post(url)
                .header("Authorization", format!("Bearer {}", self.token));
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            let outcome = match req.send(body) {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    // The answer is only for people; an unreadable one is still an answer.
                    let bytes = resp
                        .body_mut()
                        .with_config()
                        .limit(MAX_ANSWER_BYTES)
                        .read_to_vec()
                        .unwrap_or_default();
                    Ok(Answer {
                        status,
                        body: String::from_utf8_lossy(&bytes).into_owned(),
                    })
                }
                Err(e) => Err(e),
            };
            let retry = match &outcome {
                Ok(a) if a.status >= 500 => format!("HTTP {}", a.status),
                Ok(_) => break outcome.map_err(anyhow::Error::from),
                Err(e) => e.to_string(),
            };
            let Some(pause) = BACKOFF.get(attempt - 1) else {
                break outcome
                    .map_err(anyhow::Error::from)
                    .with_context(|| format!("after {attempts} attempts"));
            };
            say(format_args!(
                "POST {url} failed ({retry}), attempt {attempt} of {attempts}; retrying in {} s",
                pause.as_secs()
            ));
            std::thread::sleep(*pause);
            attempt += 1;
        }
    }
}

fn answer_text(a: &Answer) -> String {
    let text = a.body.trim();
    if text.is_empty() {
        "(empty answer)".to_string()
    } else {
        truncate_chars(text, ANSWER_CHARS)
    }
}

/// Validates `--results-url` and drops trailing slashes, so the endpoint paths append cleanly.
fn results_base_url(url: &str) -> Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#']) && !host.contains(' ') => {
            Ok(trimmed.to_string())
        }
        _ => anyhow::bail!(
            "invalid --results-url {:?}: expected http://HOST[:PORT][/PATH] or https://…",
            truncate_chars(url, 200)
        ),
    }
}

/// The bearer token: from `--token-file` (`PALISADE_TOKEN_FILE`), else `PALISADE_SCAN_TOKEN`.
/// Surrounding whitespace (a file's trailing newline) is dropped.
fn read_token(file: Option<&Path>) -> Result<String> {
    let (token, origin) = match file {
        Some(path) => {
            use std::io::Read;
            let f = std::fs::File::open(path)
                .with_context(|| format!("opening token file {}", path.display()))?;
            let mut data = Vec::new();
            f.take(MAX_TOKEN_FILE_BYTES + 1)
                .read_to_end(&mut data)
                .with_context(|| format!("reading token file {}", path.display()))?;
            if data.len() as u64 > MAX_TOKEN_FILE_BYTES {
                anyhow::bail!(
                    "token file {} is larger than {MAX_TOKEN_FILE_BYTES} bytes",
                    path.display()
                );
            }
            let text = String::from_utf8(data)
                .with_context(|| format!("token file {} is not UTF-8", path.display()))?;
            (text, path.display().to_string())
        }
        None => match std::env::var(TOKEN_ENV) {
            Ok(t) => (t, TOKEN_ENV.to_string()),
            Err(_) => anyhow::bail!(
                "no token for the operator: give --token-file (or PALISADE_TOKEN_FILE) or set \
                 {TOKEN_ENV}"
            ),
        },
    };
    let token = token.trim();
    if token.is_empty() {
        anyhow::bail!("the token from {origin} is empty");
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        anyhow::bail!("the token from {origin} contains characters not allowed in an HTTP header");
    }
    Ok(token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            results_base_url("http://palisade.trivy.svc:8081/").unwrap(),
            "http://palisade.trivy.svc:8081"
        );
        assert_eq!(
            results_base_url("https://x/prefix").unwrap(),
            "https://x/prefix"
        );
        for bad in [
            "",
            "palisade:8081",
            "ftp://x",
            "http://",
            "http://x?y",
            "http://a b",
        ] {
            assert!(results_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("token");
        std::fs::write(&p, "abc.DEF-123\n").unwrap();
        assert_eq!(read_token(Some(&p)).unwrap(), "abc.DEF-123");
        std::fs::write(&p, " \n").unwrap();
        assert!(
            read_token(Some(&p))
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        std::fs::write(&p, "a b").unwrap();
        assert!(read_token(Some(&p)).is_err());
        let e = read_token(Some(&dir.path().join("missing"))).unwrap_err();
        assert!(format!("{e:#}").contains("missing"), "{e:#}");
    }

    #[test]
    fn reasons_of_image_errors() {
        let e = anyhow::Error::new(ImageError::NotFound { what: "x".into() }).context("pulling x");
        assert_eq!(failure_reason(&e), FailureReason::NotFound);
        let e = anyhow::Error::new(ImageError::Unauthorized {
            registry: "r".into(),
            detail: "d".into(),
        });
        assert_eq!(failure_reason(&e), FailureReason::Unauthorized);
        let e = anyhow::Error::new(ImageError::CorruptLayer {
            layer: "l".into(),
            reason: "r".into(),
        });
        assert_eq!(failure_reason(&e), FailureReason::InvalidImage);
        let e = anyhow::Error::new(ImageError::Unreachable {
            host: "h".into(),
            detail: "d".into(),
        });
        assert_eq!(failure_reason(&e), FailureReason::PullFailed);
        // As the pipeline library wraps them.
        let e = anyhow::Error::new(palisade_scan::ScanError::from(ImageError::NotFound {
            what: "x".into(),
        }));
        assert_eq!(failure_reason(&e), FailureReason::NotFound);
        let e = job_failure(FailureReason::AnalysisFailed, "too big");
        assert_eq!(failure_reason(&e), FailureReason::AnalysisFailed);
        assert_eq!(
            failure_reason(&anyhow::anyhow!("something")),
            FailureReason::Other
        );
    }

    #[test]
    fn formatting() {
        assert_eq!(human_bytes(10), "10 B");
        assert_eq!(human_bytes(12 * 1024 + 100), "12 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 + 400 * 1024), "3.4 MiB");
        assert_eq!(truncate_chars("abcdef", 3), "abc…");
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(short_sum(&"ab".repeat(32)), "abababababab…");
    }
}
