//! `palisade db build`: compile OSV records, from local files or downloaded over HTTP(S), into
//! the advisory database, once or again and again (`--every`) as the operator's sidecar.
//!
//! The database file is only ever replaced by a rename (see `palisade_advisory::build_inputs`),
//! so the operator, which polls the file and re-matches when it changes, never reads a
//! half-written one. A rebuild that fails leaves the previous database in place.
//!
//! When every input is a URL, the `ETag`/`Last-Modified` answers of the last successful build
//! are kept beside the database (`<db>.sources.json`); the next build asks the servers whether
//! anything changed and, when nothing did, keeps the database as it is, so the operator does not
//! re-match reports for nothing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_advisory::{BuildStats, Input};
use serde::{Deserialize, Serialize};

use crate::cli::DbArg;
use crate::download::{Downloader, Fetched, Validators};
use crate::stop::Stop;

/// The shortest `--every`: rebuilding more often would only load the servers.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The first pause after a failed `--every` rebuild; it doubles with each further failure, up to
/// the interval itself. A source that is down for a moment is retried well before the next
/// regular build, without hammering a source that is down for longer.
const FAILURE_BACKOFF: Duration = Duration::from_secs(5 * 60);
/// Default largest download, per URL. osv.dev's biggest per-ecosystem exports are a few hundred
/// MiB; this leaves room for growth while refusing a runaway or hostile body.
const DEFAULT_MAX_DOWNLOAD: &str = "2GiB";
/// Version of the `<db>.sources.json` layout.
const STATE_VERSION: u32 = 1;

/// `palisade db build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// OSV inputs: folders of .json files, .zip files (osv.dev's all.zip per ecosystem), single
    /// .json files, or http:// and https:// URLs of a .zip or .json file, such as
    /// https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip.
    #[arg(long = "osv", required = true, num_args = 1.., value_name = "PATH|URL", value_parser = parse_source)]
    pub osv: Vec<OsvSource>,
    #[command(flatten)]
    pub db: DbArg,
    /// Keep running and rebuild this long after each build (e.g. 24h, 30m). A failed rebuild
    /// is logged and keeps the previous database; it is retried after 5m, then 10m, 20m… (at
    /// most the interval). Stops on SIGTERM or Ctrl-C.
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    pub every: Option<Duration>,
    /// Largest download accepted per URL: bytes, or with a unit such as 500MiB, 2GiB, 1G.
    #[arg(long, value_name = "SIZE", default_value = DEFAULT_MAX_DOWNLOAD, value_parser = parse_size)]
    pub max_download_size: u64,
    /// How many times a download is retried after a transient failure (connection error,
    /// timeout, truncated body, HTTP 408, 429 or 5xx), pausing 2s, 4s, 8s… in between.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub download_retries: u32,
    /// Build even when every URL says it has not changed since the last build.
    #[arg(long)]
    pub force: bool,
    /// The first pause between download attempts (tests shorten it).
    #[arg(long, hide = true, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub download_retry_delay: Duration,
}

/// One `--osv` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OsvSource {
    /// A local folder or file.
    Path(PathBuf),
    /// An `http://` or `https://` URL.
    Url(String),
}

/// Parses an `--osv` value: an http(s) URL, or else a path. Other schemes are refused rather
/// than read as odd relative paths.
fn parse_source(s: &str) -> Result<OsvSource, String> {
    if s.is_empty() {
        return Err("empty; give a path or an http(s):// URL".into());
    }
    let Some((scheme, _)) = s.split_once("://") else {
        return Ok(OsvSource::Path(PathBuf::from(s)));
    };
    let looks_like_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !looks_like_scheme {
        return Ok(OsvSource::Path(PathBuf::from(s)));
    }
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!(
            "unsupported URL scheme {scheme}://; use a local path or an http:// or https:// URL"
        ));
    }
    let uri: ureq::http::Uri = s
        .parse()
        .map_err(|e| format!("{s:?} is not a valid URL: {e}"))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("{s:?} has no host name"));
    }
    Ok(OsvSource::Url(s.to_string()))
}

/// Parses a size: bytes, or a number with a unit (`k`, `M`, `G`, `T` are powers of 1000,
/// `Ki`, `Mi`, `Gi`, `Ti` powers of 1024, as in Kubernetes; a trailing `B` is allowed and case
/// does not matter).
fn parse_size(s: &str) -> Result<u64, String> {
    let text = s.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let bad = || format!("{s:?} is not a size like 2GiB, 500MiB or 1048576");
    let number: u64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let multiplier: u64 = match unit {
        "" => 1,
        "k" => 1000,
        "m" => 1000_u64.pow(2),
        "g" => 1000_u64.pow(3),
        "t" => 1000_u64.pow(4),
        "ki" => 1 << 10,
        "mi" => 1 << 20,
        "gi" => 1 << 30,
        "ti" => 1 << 40,
        _ => return Err(bad()),
    };
    let bytes = number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("{s:?} is too large"))?;
    if bytes == 0 {
        return Err("the size must be more than 0 bytes".into());
    }
    Ok(bytes)
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    palisade_crds::duration::parse_go_duration(s.trim())
        .map_err(|e| format!("{e}; expected a duration like 30s, 30m or 24h"))
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < MIN_INTERVAL {
        return Err(format!(
            "{s:?} is too short; the interval must be at least 1s"
        ));
    }
    Ok(d)
}

/// Runs `palisade db build`.
pub fn run(args: &BuildArgs) -> Result<ExitCode> {
    let db = args.db.path()?;
    if db.file_name().is_none() || db.is_dir() {
        bail!(
            "--db {} must name a database file, not a folder",
            db.display()
        );
    }
    let stop = Stop::on_signals();
    let builder = Builder {
        sources: args.osv.clone(),
        state_path: state_path(&db),
        db,
        downloader: Downloader::new(
            args.max_download_size,
            args.download_retries,
            args.download_retry_delay,
        ),
        force: args.force,
        stop,
    };
    let Some(interval) = args.every else {
        return match builder.build_once() {
            Ok(_) => Ok(ExitCode::SUCCESS),
            Err(e) if builder.stop.requested() => Err(e.context(format!(
                "interrupted; {} was left as it was",
                builder.db.display()
            ))),
            Err(e) => Err(e),
        };
    };
    builder.every(interval);
    Ok(ExitCode::SUCCESS)
}

/// How a build ended.
enum Outcome {
    /// A new database replaced the old one.
    Built,
    /// Every URL said it had not changed; the database was kept.
    Unchanged,
}

struct Builder {
    sources: Vec<OsvSource>,
    db: PathBuf,
    state_path: PathBuf,
    downloader: Downloader,
    force: bool,
    stop: Arc<Stop>,
}

impl Builder {
    /// Builds again and again until a stop is requested.
    fn every(&self, interval: Duration) {
        let mut failures: u32 = 0;
        loop {
            let pause = match self.build_once() {
                Ok(_) => {
                    failures = 0;
                    interval
                }
                Err(_) if self.stop.requested() => break,
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let pause = failure_pause(failures, interval);
                    tracing::error!(
                        db = %self.db.display(),
                        failures,
                        retry_in = %palisade_crds::duration::format_go_duration(pause),
                        "rebuilding the advisory database failed; keeping the previous one: {e:#}"
                    );
                    pause
                }
            };
            eprintln!(
                "next build in {}",
                palisade_crds::duration::format_go_duration(pause)
            );
            if self.stop.sleep(pause) {
                break;
            }
        }
        eprintln!("stopped");
    }

    /// One build: downloads (conditionally when possible), builds, replaces the database.
    fn build_once(&self) -> Result<Outcome> {
        let dir = match self.db.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the database folder {}", dir.display()))?;
        for source in &self.sources {
            if let OsvSource::Path(p) = source
                && !p.exists()
            {
                bail!("OSV input {} does not exist", p.display());
            }
        }
        let urls: Vec<&str> = self
            .sources
            .iter()
            .filter_map(|s| match s {
                OsvSource::Url(u) => Some(u.as_str()),
                OsvSource::Path(_) => None,
            })
            .collect();
        let all_urls = urls.len() == self.sources.len();
        let previous = if all_urls && !self.force {
            State::load(&self.state_path, &urls, &self.db)
        } else {
            None
        };

        let prefix = format!(".{}.download-", file_name(&self.db));
        let mut downloads: Vec<Option<(tempfile::TempPath, Validators)>> =
            (0..urls.len()).map(|_| None).collect();
        // First pass: conditional requests while everything is unchanged; once one URL has
        // changed the database is rebuilt anyway, so the rest are fetched in full.
        let mut changed = previous.is_none();
        for (i, url) in urls.iter().enumerate() {
            let validators = match (&previous, changed) {
                (Some(state), false) => Some(&state.sources[i].validators),
                _ => None,
            };
            match self
                .downloader
                .fetch(url, &dir, &prefix, validators, &self.stop)?
            {
                Fetched::NotModified => {
                    tracing::debug!(url, "not modified since the last build");
                }
                Fetched::Body { file, validators } => {
                    downloads[i] = Some((file, validators));
                    changed = true;
                }
            }
        }
        if !changed {
            eprintln!(
                "every source is unchanged since the last build; kept {}",
                self.db.display()
            );
            return Ok(Outcome::Unchanged);
        }
        // Second pass: the URLs that answered "not modified" before another one changed.
        for (i, url) in urls.iter().enumerate() {
            if downloads[i].is_none() {
                match self
                    .downloader
                    .fetch(url, &dir, &prefix, None, &self.stop)?
                {
                    Fetched::Body { file, validators } => downloads[i] = Some((file, validators)),
                    Fetched::NotModified => {
                        bail!("downloading {url}: the server answered 304 to a plain request")
                    }
                }
            }
        }

        let mut inputs = Vec::with_capacity(self.sources.len());
        let mut fetched = downloads.iter().flatten();
        for source in &self.sources {
            match source {
                OsvSource::Path(p) => inputs.push(Input::local(p)),
                OsvSource::Url(u) => match fetched.next() {
                    Some((file, _)) => inputs.push(Input::named(file.to_path_buf(), u.clone())),
                    None => bail!("internal error: no download for {u}"),
                },
            }
        }
        let stats = self.build(&inputs)?;
        let validators: Vec<Validators> = downloads
            .into_iter()
            .flatten()
            .map(|(file, validators)| {
                // Delete the download now rather than at the end of the function.
                drop(file);
                validators
            })
            .collect();
        if all_urls {
            let state = State::new(&urls, validators, &self.db);
            if let Err(e) = state.and_then(|s| s.save(&self.state_path)) {
                tracing::warn!(
                    "cannot record the sources' versions in {}: {e:#}; the next build will download them again",
                    self.state_path.display()
                );
            }
        } else {
            remove_if_present(&self.state_path);
        }
        print_summary(&self.db, &stats);
        Ok(Outcome::Built)
    }

    fn build(&self, inputs: &[Input]) -> Result<BuildStats> {
        let bar = crate::scan::progress_bar("records");
        let stop = &self.stop;
        let stats =
            palisade_advisory::build_inputs(inputs, &self.db, &|| stop.requested(), &mut |p| {
                if let Some(b) = &bar {
                    b.set_length(p.total);
                    b.set_position(p.done);
                }
            });
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        stats.with_context(|| format!("building advisory database {}", self.db.display()))
    }
}

/// The pause after the `failures`-th failed rebuild in a row.
fn failure_pause(failures: u32, interval: Duration) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    FAILURE_BACKOFF.saturating_mul(factor).min(interval)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "palisade.db".into())
}

/// Where a database's source versions are kept: `<db>.sources.json`, beside it.
fn state_path(db: &Path) -> PathBuf {
    db.with_file_name(format!("{}.sources.json", file_name(db)))
}

fn remove_if_present(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("cannot remove {}: {e}", path.display());
    }
}

fn print_summary(db: &Path, stats: &BuildStats) {
    eprintln!(
        "read {} records: {} ingested, {} unsupported ecosystem, {} withdrawn, {} invalid, {} duplicate ids",
        stats.records_seen,
        stats.ingested,
        stats.skipped_unsupported,
        stats.skipped_withdrawn,
        stats.invalid,
        stats.duplicates
    );
    for bad in &stats.invalid_examples {
        eprintln!("  invalid: {}: {}", bad.origin, bad.reason);
    }
    for left in &stats.rejected_examples {
        eprintln!("  left out: {}: {}", left.origin, left.reason);
    }
    let more = (stats.skipped_withdrawn + stats.skipped_unsupported)
        .saturating_sub(stats.rejected_examples.len() as u64);
    if more > 0 {
        eprintln!("  (and {more} more left out)");
    }
    for (eco, n) in &stats.records_by_ecosystem {
        eprintln!("  {eco}: {n} records");
    }
    eprintln!(
        "wrote {} ({} packages, {:.1} MiB) in {:.2} s",
        db.display(),
        stats.packages,
        stats.db_size as f64 / 1048576.0,
        stats.elapsed_secs
    );
}

/// What the last successful all-URL build was made from, so the next can skip unchanged
/// sources. The database's identity is part of it: if the file was replaced or rebuilt by other
/// means since, the record no longer applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    version: u32,
    /// The Palisade that built the database: a new one may ingest more, so it rebuilds.
    palisade: String,
    schema_version: u32,
    db: Fingerprint,
    sources: Vec<SourceState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SourceState {
    url: String,
    #[serde(flatten)]
    validators: Validators,
}

/// Identifies one version of the database file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Fingerprint {
    size: u64,
    inode: u64,
    mtime_secs: i64,
    mtime_nanos: i64,
}

impl Fingerprint {
    fn of(path: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path)?;
        Ok(Fingerprint {
            size: m.size(),
            inode: m.ino(),
            mtime_secs: m.mtime(),
            mtime_nanos: m.mtime_nsec(),
        })
    }
}

/// The largest `<db>.sources.json` read; it holds a few URLs and headers.
const MAX_STATE_BYTES: u64 = 1 << 20;

impl State {
    fn new(urls: &[&str], validators: Vec<Validators>, db: &Path) -> Result<Self> {
        let db_fingerprint = Fingerprint::of(db)
            .with_context(|| format!("reading the metadata of {}", db.display()))?;
        Ok(State {
            version: STATE_VERSION,
            palisade: env!("CARGO_PKG_VERSION").to_string(),
            schema_version: palisade_advisory::SCHEMA_VERSION,
            db: db_fingerprint,
            sources: urls
                .iter()
                .zip(validators)
                .map(|(url, validators)| SourceState {
                    url: url.to_string(),
                    validators,
                })
                .collect(),
        })
    }

    /// The state of the last build if it applies to these URLs and to the database as it is
    /// now, and gives something to ask the servers with; `None` means "download everything".
    fn load(path: &Path, urls: &[&str], db: &Path) -> Option<Self> {
        use std::io::Read;
        let file = std::fs::File::open(path).ok()?;
        let mut text = Vec::new();
        if let Err(e) = file.take(MAX_STATE_BYTES).read_to_end(&mut text) {
            tracing::warn!(
                "cannot read {}: {e}; downloading everything",
                path.display()
            );
            return None;
        }
        let state: State = match serde_json::from_slice(&text) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(
                    "{} is not a sources record ({e}); downloading everything",
                    path.display()
                );
                return None;
            }
        };
        let applies = state.version == STATE_VERSION
            && state.palisade == env!("CARGO_PKG_VERSION")
            && state.schema_version == palisade_advisory::SCHEMA_VERSION
            && state.sources.len() == urls.len()
            && state.sources.iter().zip(urls).all(|(s, u)| s.url == *u)
            && state.sources.iter().all(|s| !s.validators.is_empty())
            && Fingerprint::of(db).is_ok_and(|f| f == state.db);
        if !applies {
            tracing::debug!(path = %path.display(), "the sources record does not apply; downloading everything");
            return None;
        }
        Some(state)
    }

    fn save(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_vec_pretty(self).context("serializing the sources record")?;
        text.push(b'\n');
        crate::cli::write_atomically(path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_paths_or_http_urls() {
        assert_eq!(
            parse_source("./osv/debian.zip"),
            Ok(OsvSource::Path(PathBuf::from("./osv/debian.zip")))
        );
        let url = "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip";
        assert_eq!(parse_source(url), Ok(OsvSource::Url(url.into())));
        assert_eq!(
            parse_source("HTTP://127.0.0.1:8080/x.zip"),
            Ok(OsvSource::Url("HTTP://127.0.0.1:8080/x.zip".into()))
        );
        let e = parse_source("ftp://example.org/all.zip").expect_err("ftp");
        assert!(e.contains("ftp://"), "{e}");
        assert!(parse_source("https:///all.zip").is_err());
        assert!(parse_source("https://exa mple.org/all.zip").is_err());
        assert!(parse_source("").is_err());
        // Not a scheme: a path that happens to contain "://".
        assert_eq!(
            parse_source("./a b://c"),
            Ok(OsvSource::Path(PathBuf::from("./a b://c")))
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size(DEFAULT_MAX_DOWNLOAD), Ok(2 << 30));
        assert_eq!(parse_size("2Gi"), Ok(2 << 30));
        assert_eq!(parse_size("500MiB"), Ok(500 << 20));
        assert_eq!(parse_size("64kib"), Ok(64 << 10));
        assert_eq!(parse_size("1G"), Ok(1_000_000_000));
        assert_eq!(parse_size("1 GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("10B"), Ok(10));
        for bad in ["", "GiB", "2XB", "-1", "1.5GiB", "0", "99999999999TiB"] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_interval("30m"), Ok(Duration::from_secs(1_800)));
        assert!(parse_interval("500ms").is_err());
        assert!(parse_interval("daily").is_err());
    }

    #[test]
    fn failed_rebuilds_back_off_up_to_the_interval() {
        let day = Duration::from_secs(86_400);
        assert_eq!(failure_pause(1, day), Duration::from_secs(300));
        assert_eq!(failure_pause(2, day), Duration::from_secs(600));
        assert_eq!(failure_pause(3, day), Duration::from_secs(1_200));
        assert_eq!(failure_pause(40, day), day);
        assert_eq!(
            failure_pause(1, Duration::from_secs(2)),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn state_applies_only_to_the_same_urls_and_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("palisade.db");
        std::fs::write(&db, b"db").expect("write");
        let path = state_path(&db);
        assert_eq!(path, dir.path().join("palisade.db.sources.json"));
        let urls = ["http://h/a.zip", "http://h/b.zip"];
        let v = |e: &str| Validators {
            etag: Some(e.into()),
            last_modified: None,
        };
        let state = State::new(&urls, vec![v("\"1\""), v("\"2\"")], &db).expect("state");
        state.save(&path).expect("save");
        assert_eq!(State::load(&path, &urls, &db), Some(state.clone()));
        assert_eq!(State::load(&path, &urls[..1], &db), None, "other URLs");
        assert_eq!(
            State::load(&path, &["http://h/b.zip", "http://h/a.zip"], &db),
            None,
            "other order"
        );
        // The database replaced by other means: the record no longer applies.
        std::fs::write(dir.path().join("new"), b"other db").expect("write");
        std::fs::rename(dir.path().join("new"), &db).expect("rename");
        assert_eq!(State::load(&path, &urls, &db), None, "other database");
        std::fs::write(&path, b"{ not json").expect("write");
        assert_eq!(State::load(&path, &urls, &db), None, "garbage");
    }
}
