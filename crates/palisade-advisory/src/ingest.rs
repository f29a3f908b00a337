//! Building a database from OSV folders, zips and files.
//!
//! The build streams records: each is parsed, converted and written to a `staging` table keyed
//! by `ecosystem \0 package \0 vuln id`, in batches of [`BATCH_RECORDS`]. A final pass walks
//! staging in key order, merges each package's entries into one `affected` row, and drops the
//! staging table. Memory therefore stays bounded by a batch plus a small per-id index (needed to
//! resolve duplicate ids), whatever the size of the inputs.
//!
//! Everything is written to a temporary file next to the target, which is renamed over the
//! target only after the final commit, so readers never see a half-built database.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use redb::{Durability, ReadableTable, TableDefinition, WriteTransaction};
use serde::Serialize;

use crate::AdvisoryError;
use crate::ecosystem::is_supported_ecosystem;
use crate::model::{AffectedEntry, Conversion, Converted, convert};
use crate::osv::OsvRecord;
use crate::store::{
    AFFECTED, META, META_BUILT_AT, META_INPUTS, META_PACKAGES, META_RECORDS_BY_ECOSYSTEM,
    META_SCHEMA, META_VULNS, SCHEMA_VERSION, VULNS, package_key,
};
use crate::time::{format_rfc3339, parse_rfc3339};

/// Largest single OSV record we read (declared zip size, file size and actual bytes read).
/// Real records are a few KiB; the biggest in osv.dev are around 1 MiB.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;
/// redb page cache while building.
const BUILD_CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Records per write transaction.
const BATCH_RECORDS: usize = 20_000;
/// How many invalid records are described in [`BuildStats::invalid_examples`].
const MAX_INVALID_EXAMPLES: usize = 50;
/// Deepest folder nesting we follow; guards against pathological trees.
const MAX_DEPTH: usize = 64;

const STAGING: TableDefinition<&[u8], &[u8]> = TableDefinition::new("staging");

/// How far a build has got; handed to the progress callback after every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Records (files or zip entries) handled so far.
    pub done: u64,
    /// Records found in all inputs.
    pub total: u64,
}

/// A record that was skipped as invalid, for the build summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidRecord {
    /// Where it came from: a file path, or `zip path:entry name`.
    pub origin: String,
    /// What is wrong with it.
    pub reason: String,
}

/// What a build did, so the CLI can report it and users can see what was left out and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BuildStats {
    /// Records (JSON files or zip entries) found in the inputs.
    pub records_seen: u64,
    /// Records stored (after duplicate resolution).
    pub ingested: u64,
    /// Records with no affected package in a supported ecosystem.
    pub skipped_unsupported: u64,
    /// Withdrawn records.
    pub skipped_withdrawn: u64,
    /// Records that could not be read or parsed, or had nothing usable.
    pub invalid: u64,
    /// Records whose id had already been read; the one with the later `modified` was kept.
    pub duplicates: u64,
    /// Zip entries that are not `.json` files (folders, READMEs); not counted as records.
    pub non_json_entries: u64,
    /// The first few invalid records with reasons.
    pub invalid_examples: Vec<InvalidRecord>,
    /// The first few valid records left out (withdrawn, or of no known ecosystem), with
    /// reasons, so a user can see what a count stands for.
    pub rejected_examples: Vec<InvalidRecord>,
    /// Stored records per ecosystem.
    pub records_by_ecosystem: BTreeMap<String, u64>,
    /// Distinct `(ecosystem, package)` keys stored.
    pub packages: u64,
    /// Size of the finished database file.
    pub db_size: u64,
    /// Wall-clock build time in seconds.
    pub elapsed_secs: f64,
}

/// One input of [`build_inputs`]: a local folder, `.zip` or `.json` file, and the name the
/// database and messages use for it.
///
/// The name exists because the file is not always what the user gave: a downloaded `all.zip`
/// lives in a temporary file, and `palisade db info` should list, and a bad-record warning
/// should point at, the URL rather than that temporary name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where the records are read from.
    pub path: PathBuf,
    /// What to call this input in the database's `inputs`, in errors and in warnings.
    pub name: String,
}

impl Input {
    /// An input named by its own path.
    pub fn local(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let name = path.display().to_string();
        Input { path, name }
    }

    /// An input read from `path` but called `name` (a URL it was downloaded from, say).
    pub fn named(path: impl Into<PathBuf>, name: impl Into<String>) -> Self {
        Input {
            path: path.into(),
            name: name.into(),
        }
    }
}

/// Builds a database at `db_path` from OSV `inputs`, ingesting the ecosystems this version of
/// Palisade supports (see [`is_supported_ecosystem`]).
///
/// Each input is a folder (searched recursively for `*.json`), a `.zip` of records (one per
/// entry, as osv.dev's `all.zip`), or a single `.json` record. Malformed records are skipped
/// with a warning and counted; the build fails only if inputs are missing or unreadable, if
/// there are no records at all, or if every record is invalid.
///
/// When the same id appears more than once, the copy with the later `modified` wins; on a tie
/// the one read last wins (inputs in the order given, folder contents sorted by path), so a
/// later input can override an earlier one. The loser's package entries are removed entirely.
pub fn build(
    inputs: &[PathBuf],
    db_path: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<BuildStats, AdvisoryError> {
    build_filtered(inputs, db_path, &is_supported_ecosystem, progress)
}

/// [`build`] with named inputs and a way to stop: `cancelled` is asked after every record and
/// before the final steps, and once it answers `true` the build stops with
/// [`AdvisoryError::Cancelled`], removing its temporary file and leaving `db_path` untouched.
/// A long-running rebuilder uses this to shut down promptly on SIGTERM without leaving
/// half-written files behind.
pub fn build_inputs(
    inputs: &[Input],
    db_path: &Path,
    cancelled: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<BuildStats, AdvisoryError> {
    build_impl(
        inputs,
        db_path,
        &is_supported_ecosystem,
        cancelled,
        progress,
    )
}

/// [`build`] with a caller-chosen ecosystem filter (called with normalised ecosystem names);
/// lets tests and future versions widen or narrow what is ingested without a new code path.
pub fn build_filtered(
    inputs: &[PathBuf],
    db_path: &Path,
    supported: &dyn Fn(&str) -> bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<BuildStats, AdvisoryError> {
    let inputs: Vec<Input> = inputs.iter().map(Input::local).collect();
    build_impl(&inputs, db_path, supported, &|| false, progress)
}

fn build_impl(
    inputs: &[Input],
    db_path: &Path,
    supported: &dyn Fn(&str) -> bool,
    cancelled: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<BuildStats, AdvisoryError> {
    let started = Instant::now();
    let sources = enumerate(inputs)?;
    let total: u64 = sources.iter().map(Source::count).sum();
    if total == 0 {
        return Err(AdvisoryError::NoRecords {
            inputs: display_inputs(inputs),
        });
    }
    tracing::info!(records = total, db = %db_path.display(), "building advisory database");

    let temp = TempFile::next_to(db_path)?;
    // redb's default cache may grow to 1 GiB; a build streams through the data once, so a
    // smaller cache costs little time and keeps `db build` usable on small machines.
    let mut db = redb::Builder::new()
        .set_cache_size(BUILD_CACHE_BYTES)
        .create(&temp.path)
        .map_err(|e| write_err(&temp.path, e))?;
    let mut builder = Builder {
        supported,
        stats: BuildStats::default(),
        seen: HashMap::new(),
        pending: Vec::new(),
        done: 0,
        total,
        db_path: temp.path.clone(),
        cancelled,
        target: db_path,
    };
    for source in &sources {
        builder.read_source(&db, source, progress)?;
    }
    builder.check_cancelled()?;
    builder.flush(&db)?;
    let stats = &mut builder.stats;
    if stats.records_seen > 0 && stats.invalid == stats.records_seen {
        let example = stats
            .invalid_examples
            .first()
            .map(|r| format!("{}: {}", r.origin, r.reason))
            .unwrap_or_default();
        return Err(AdvisoryError::AllInvalid {
            count: stats.invalid,
            example,
        });
    }
    if stats.records_seen == 0 {
        return Err(AdvisoryError::NoRecords {
            inputs: display_inputs(inputs),
        });
    }
    let records_by_ecosystem = builder.records_by_ecosystem();
    builder.stats.records_by_ecosystem = records_by_ecosystem;
    builder.stats.ingested = builder.seen.len() as u64;
    builder.check_cancelled()?;
    builder.finish(&db, inputs)?;
    builder.check_cancelled()?;
    // Reclaim the pages the staging table used; a smaller file is faster to copy and cache.
    db.compact().map_err(|e| write_err(&temp.path, e))?;
    drop(db);
    builder.check_cancelled()?;
    let mut stats = builder.stats;
    stats.db_size = std::fs::metadata(&temp.path).map(|m| m.len()).unwrap_or(0);
    temp.persist(db_path)?;
    stats.elapsed_secs = started.elapsed().as_secs_f64();
    tracing::info!(
        ingested = stats.ingested,
        unsupported = stats.skipped_unsupported,
        withdrawn = stats.skipped_withdrawn,
        invalid = stats.invalid,
        packages = stats.packages,
        bytes = stats.db_size,
        "advisory database built"
    );
    Ok(stats)
}

fn display_inputs(inputs: &[Input]) -> String {
    inputs
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_err(path: &Path, e: impl Into<redb::Error>) -> AdvisoryError {
    AdvisoryError::Write {
        path: path.to_path_buf(),
        source: Box::new(e.into()),
    }
}

/// Where records come from, with the name used for them in messages.
enum Source {
    /// A single JSON record file.
    File { path: PathBuf, origin: String },
    /// A zip with one record per entry.
    Zip {
        path: PathBuf,
        name: String,
        entries: u64,
    },
}

impl Source {
    fn count(&self) -> u64 {
        match self {
            Source::File { .. } => 1,
            Source::Zip { entries, .. } => *entries,
        }
    }
}

/// Resolves the inputs into a list of sources, in a deterministic order (inputs as given,
/// folder contents sorted by path), so that duplicate resolution is reproducible.
fn enumerate(inputs: &[Input]) -> Result<Vec<Source>, AdvisoryError> {
    let mut sources = Vec::new();
    for Input { path, name } in inputs {
        let meta = std::fs::metadata(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                AdvisoryError::InputNotFound { path: path.clone() }
            } else {
                AdvisoryError::Io {
                    path: path.clone(),
                    source: e,
                }
            }
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, 0, &mut files)?;
            files.sort();
            sources.extend(files.into_iter().map(|path| Source::File {
                origin: path.display().to_string(),
                path,
            }));
        } else if has_extension(path, "zip") {
            let entries = open_zip(path, name)?.len() as u64;
            sources.push(Source::Zip {
                path: path.clone(),
                name: name.clone(),
                entries,
            });
        } else if has_extension(path, "json") {
            sources.push(Source::File {
                path: path.clone(),
                origin: name.clone(),
            });
        } else {
            return Err(AdvisoryError::UnsupportedInput { path: path.clone() });
        }
    }
    Ok(sources)
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Collects `*.json` files below `dir`. Symlinked folders are not followed (they could loop).
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), AdvisoryError> {
    if depth > MAX_DEPTH {
        tracing::warn!(path = %dir.display(), "folder nesting too deep; not descending further");
        return Ok(());
    }
    let io_err = |path: &Path, source| AdvisoryError::Io {
        path: path.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| io_err(&path, e))?;
        if file_type.is_dir() {
            walk(&path, depth + 1, out)?;
        } else if has_extension(&path, "json") {
            if file_type.is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            out.push(path);
        }
    }
    Ok(())
}

/// Opens a zip input; `name` is what errors call it (the path, or the URL it came from).
fn open_zip(path: &Path, name: &str) -> Result<zip::ZipArchive<BufReader<File>>, AdvisoryError> {
    let file = File::open(path).map_err(|e| AdvisoryError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    zip::ZipArchive::new(BufReader::new(file)).map_err(|e| AdvisoryError::Zip {
        input: name.to_string(),
        source: e,
    })
}

/// What is remembered about every stored id, to resolve duplicates and count ecosystems.
struct Seen {
    modified: Option<i128>,
    staging_keys: Vec<Vec<u8>>,
    ecosystems: BTreeSet<String>,
}

/// A pending write, applied in order at the next flush.
enum Op {
    Delete(Vec<Vec<u8>>),
    Put(Box<Converted>),
}

struct Builder<'a> {
    supported: &'a dyn Fn(&str) -> bool,
    stats: BuildStats,
    seen: HashMap<String, Seen>,
    pending: Vec<Op>,
    done: u64,
    total: u64,
    /// The file being written, for error messages.
    db_path: PathBuf,
    /// Whether the caller wants the build stopped.
    cancelled: &'a dyn Fn() -> bool,
    /// The database the build would replace, for the cancellation error.
    target: &'a Path,
}

impl Builder<'_> {
    fn read_source(
        &mut self,
        db: &redb::Database,
        source: &Source,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), AdvisoryError> {
        match source {
            Source::File { path, origin } => {
                match read_file(path) {
                    Ok(bytes) => self.record(origin, &bytes),
                    Err(reason) => self.invalid(origin, reason),
                }
                self.advance(db, progress)?;
            }
            Source::Zip {
                path,
                name: zip_name,
                entries,
            } => {
                let mut archive = open_zip(path, zip_name)?;
                for index in 0..*entries as usize {
                    match read_zip_entry(&mut archive, index) {
                        ZipEntry::Record(name, bytes) => {
                            self.record(&format!("{zip_name}:{name}"), &bytes);
                        }
                        ZipEntry::NotJson => self.stats.non_json_entries += 1,
                        ZipEntry::Bad(name, reason) => {
                            self.invalid(&format!("{zip_name}:{name}"), reason);
                        }
                    }
                    self.advance(db, progress)?;
                }
            }
        }
        Ok(())
    }

    fn advance(
        &mut self,
        db: &redb::Database,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), AdvisoryError> {
        self.done += 1;
        progress(Progress {
            done: self.done,
            total: self.total,
        });
        self.check_cancelled()?;
        if self.pending.len() >= BATCH_RECORDS {
            self.flush(db)?;
        }
        Ok(())
    }

    /// Stops the build once the caller asks; the temporary file is removed by its guard.
    fn check_cancelled(&self) -> Result<(), AdvisoryError> {
        if (self.cancelled)() {
            return Err(AdvisoryError::Cancelled {
                path: self.target.to_path_buf(),
            });
        }
        Ok(())
    }

    fn invalid(&mut self, origin: &str, reason: String) {
        self.stats.records_seen += 1;
        tracing::warn!(record = %origin, "skipping invalid OSV record: {reason}");
        self.stats.invalid += 1;
        if self.stats.invalid_examples.len() < MAX_INVALID_EXAMPLES {
            self.stats.invalid_examples.push(InvalidRecord {
                origin: origin.to_string(),
                reason,
            });
        }
    }

    fn rejected(&mut self, origin: &str, reason: &str) {
        if self.stats.rejected_examples.len() < MAX_INVALID_EXAMPLES {
            self.stats.rejected_examples.push(InvalidRecord {
                origin: origin.to_string(),
                reason: reason.to_string(),
            });
        }
    }

    /// Parses, converts and queues one record, or every record of a secdb document.
    fn record(&mut self, origin: &str, bytes: &[u8]) {
        let rec: OsvRecord = match serde_json::from_slice(bytes) {
            Ok(r) => r,
            Err(e) => return self.invalid(origin, format!("not a valid OSV JSON record: {e}")),
        };
        if rec.id.is_empty() && crate::secdb::looks_like_secdb(bytes) {
            match crate::secdb::to_osv(bytes) {
                Ok(recs) => {
                    for rec in recs {
                        let origin = format!("{origin}#{}", rec.id);
                        self.parsed(&origin, rec);
                    }
                }
                Err(reason) => self.invalid(origin, reason),
            }
            return;
        }
        self.parsed(origin, rec);
    }

    /// Converts and queues one parsed record.
    fn parsed(&mut self, origin: &str, rec: OsvRecord) {
        let converted = match convert(rec, self.supported) {
            Conversion::Ingest(c) => c,
            Conversion::Withdrawn => {
                self.stats.records_seen += 1;
                self.stats.skipped_withdrawn += 1;
                self.rejected(origin, "withdrawn by its publisher");
                return;
            }
            Conversion::Unsupported => {
                self.stats.records_seen += 1;
                self.stats.skipped_unsupported += 1;
                self.rejected(origin, "no affected package in an ecosystem Palisade knows");
                return;
            }
            Conversion::Invalid(reason) => return self.invalid(origin, reason),
        };
        self.stats.records_seen += 1;
        let id = converted.vuln.id.clone();
        let modified = converted.vuln.modified.as_deref().and_then(parse_rfc3339);
        if let Some(old) = self.seen.get(&id) {
            self.stats.duplicates += 1;
            // Later `modified` wins; on a tie (or both missing) the one read last wins, so later
            // inputs override earlier ones. A missing or unparsable date loses to a real one.
            if modified < old.modified {
                tracing::debug!(vuln = %id, record = %origin, "older duplicate ignored");
                return;
            }
            self.pending.push(Op::Delete(old.staging_keys.clone()));
        }
        let staging_keys = converted
            .packages
            .keys()
            .map(|(eco, name)| staging_key(eco, name, &id))
            .collect();
        self.seen.insert(
            id,
            Seen {
                modified,
                staging_keys,
                ecosystems: converted.ecosystems.clone(),
            },
        );
        self.pending.push(Op::Put(converted));
    }

    /// Writes pending operations in one transaction.
    fn flush(&mut self, db: &redb::Database) -> Result<(), AdvisoryError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let path = self.db_path.clone();
        let mut txn = db.begin_write().map_err(|e| write_err(&path, e))?;
        // Intermediate batches need not reach the disk: a crash leaves only a temp file anyway.
        // The final commit (in `finish`) is durable.
        txn.set_durability(Durability::None)
            .map_err(|e| write_err(&path, e))?;
        {
            let mut staging = txn.open_table(STAGING).map_err(|e| write_err(&path, e))?;
            let mut vulns = txn.open_table(VULNS).map_err(|e| write_err(&path, e))?;
            for op in self.pending.drain(..) {
                match op {
                    Op::Delete(keys) => {
                        for key in keys {
                            staging
                                .remove(key.as_slice())
                                .map_err(|e| write_err(&path, e))?;
                        }
                    }
                    Op::Put(conv) => {
                        for ((eco, name), entries) in &conv.packages {
                            let key = staging_key(eco, name, &conv.vuln.id);
                            let value = encode(&path, entries)?;
                            staging
                                .insert(key.as_slice(), value.as_slice())
                                .map_err(|e| write_err(&path, e))?;
                        }
                        let value = encode(&path, &conv.vuln)?;
                        vulns
                            .insert(conv.vuln.id.as_str(), value.as_slice())
                            .map_err(|e| write_err(&path, e))?;
                    }
                }
            }
        }
        txn.commit().map_err(|e| write_err(&path, e))?;
        Ok(())
    }

    fn records_by_ecosystem(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for seen in self.seen.values() {
            for eco in &seen.ecosystems {
                *counts.entry(eco.clone()).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Merges staging into `affected`, writes `meta`, and commits durably.
    fn finish(&mut self, db: &redb::Database, inputs: &[Input]) -> Result<(), AdvisoryError> {
        let path = self.db_path.clone();
        let txn = db.begin_write().map_err(|e| write_err(&path, e))?;
        self.stats.packages = merge_staging(&txn, &path)?;
        txn.delete_table(STAGING).map_err(|e| write_err(&path, e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| write_err(&path, e))?;
            let inputs: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
            let values = [
                (META_SCHEMA, SCHEMA_VERSION.to_string()),
                (META_BUILT_AT, format_rfc3339(SystemTime::now())),
                (META_INPUTS, json_text(&inputs)),
                (
                    META_RECORDS_BY_ECOSYSTEM,
                    json_text(&self.stats.records_by_ecosystem),
                ),
                (META_PACKAGES, self.stats.packages.to_string()),
                (META_VULNS, self.stats.ingested.to_string()),
            ];
            for (key, value) in values {
                meta.insert(key, value.as_str())
                    .map_err(|e| write_err(&path, e))?;
            }
        }
        txn.commit().map_err(|e| write_err(&path, e))?;
        Ok(())
    }
}

/// JSON text of a meta value. Serialising strings and maps of numbers cannot fail, so a failure
/// would be a bug in serde_json; an empty value then reads back as a corrupt-meta error.
fn json_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Walks staging in key order and writes one merged `affected` row per package; returns the
/// number of packages.
fn merge_staging(txn: &WriteTransaction, path: &Path) -> Result<u64, AdvisoryError> {
    let staging = txn.open_table(STAGING).map_err(|e| write_err(path, e))?;
    let mut affected = txn.open_table(AFFECTED).map_err(|e| write_err(path, e))?;
    let mut packages = 0u64;
    let mut current: Option<(Vec<u8>, Vec<AffectedEntry>)> = None;
    for row in staging.iter().map_err(|e| write_err(path, e))? {
        let (key, value) = row.map_err(|e| write_err(path, e))?;
        let key = key.value();
        // Staging keys are `eco \0 name \0 id` and ids never contain NUL.
        let split = key.iter().rposition(|b| *b == 0).unwrap_or(key.len());
        let pkg_key = &key[..split];
        let entries: Vec<AffectedEntry> =
            postcard::from_bytes(value.value()).map_err(|e| AdvisoryError::Corrupt {
                path: path.to_path_buf(),
                what: format!("staging row: {e}"),
            })?;
        match &mut current {
            Some((k, list)) if k.as_slice() == pkg_key => list.extend(entries),
            _ => {
                if let Some((k, list)) = current.take() {
                    affected
                        .insert(k.as_slice(), encode(path, &list)?.as_slice())
                        .map_err(|e| write_err(path, e))?;
                    packages += 1;
                }
                current = Some((pkg_key.to_vec(), entries));
            }
        }
    }
    if let Some((k, list)) = current.take() {
        affected
            .insert(k.as_slice(), encode(path, &list)?.as_slice())
            .map_err(|e| write_err(path, e))?;
        packages += 1;
    }
    Ok(packages)
}

fn staging_key(eco: &str, name: &str, id: &str) -> Vec<u8> {
    let mut key = package_key(eco, name);
    key.push(0);
    key.extend_from_slice(id.as_bytes());
    key
}

fn encode<T: Serialize>(path: &Path, value: &T) -> Result<Vec<u8>, AdvisoryError> {
    postcard::to_stdvec(value).map_err(|e| AdvisoryError::Corrupt {
        path: path.to_path_buf(),
        what: format!("encoding failed: {e}"),
    })
}

/// Reads a record file, refusing files over [`MAX_RECORD_BYTES`] (checked before and while
/// reading, since the file may grow or be a special file with no meaningful size).
fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_RECORD_BYTES {
        return Err(format!(
            "file is {len} bytes, over the {MAX_RECORD_BYTES}-byte record limit"
        ));
    }
    read_capped(file)
}

fn read_capped(reader: impl Read) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read failed: {e}"))?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return Err(format!("record is over the {MAX_RECORD_BYTES}-byte limit"));
    }
    Ok(bytes)
}

enum ZipEntry {
    Record(String, Vec<u8>),
    NotJson,
    Bad(String, String),
}

/// Reads one zip entry, checking its declared size before decompressing and its actual size
/// while decompressing (a zip bomb can lie about the former).
fn read_zip_entry(archive: &mut zip::ZipArchive<BufReader<File>>, index: usize) -> ZipEntry {
    let entry = match archive.by_index(index) {
        Ok(e) => e,
        Err(e) => return ZipEntry::Bad(format!("#{index}"), format!("unreadable entry: {e}")),
    };
    let name = entry
        .name()
        .map(|n| n.into_owned())
        .unwrap_or_else(|_| format!("#{index}"));
    if entry.is_dir() || !name.to_ascii_lowercase().ends_with(".json") {
        return ZipEntry::NotJson;
    }
    let declared = entry.size();
    if declared > MAX_RECORD_BYTES {
        return ZipEntry::Bad(
            name,
            format!(
                "declared size {declared} bytes is over the {MAX_RECORD_BYTES}-byte record limit"
            ),
        );
    }
    match read_capped(entry) {
        Ok(bytes) => ZipEntry::Record(name, bytes),
        Err(reason) => ZipEntry::Bad(name, reason),
    }
}

/// A temporary database file next to the target; removed on drop unless persisted.
struct TempFile {
    path: PathBuf,
    persisted: bool,
}

impl TempFile {
    fn next_to(target: &Path) -> Result<Self, AdvisoryError> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| AdvisoryError::Io {
            path: dir.clone(),
            source: e,
        })?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "palisade.db".into());
        let path = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        // A leftover from a crashed build with the same pid is ours to replace.
        let _ = std::fs::remove_file(&path);
        Ok(TempFile {
            path,
            persisted: false,
        })
    }

    /// Atomically replaces `target` with the temp file.
    ///
    /// The file's data is flushed to disk first: redb's last commit is durable, but compaction
    /// and closing write more, and a rename that reaches the disk before the data would, after a
    /// crash, leave `target` naming a file with missing pages.
    fn persist(mut self, target: &Path) -> Result<(), AdvisoryError> {
        File::open(&self.path)
            .and_then(|f| f.sync_all())
            .map_err(|e| AdvisoryError::Io {
                path: self.path.clone(),
                source: e,
            })?;
        std::fs::rename(&self.path, target).map_err(|e| AdvisoryError::Io {
            path: target.to_path_buf(),
            source: e,
        })?;
        self.persisted = true;
        // Make the rename itself durable; best effort, not every platform allows it.
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
