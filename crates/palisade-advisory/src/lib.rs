//! OSV ingestion and Palisade's single-file advisory database.
//!
//! Scans must work offline and start fast, so advisories are compiled ahead of time
//! (`palisade db build --osv PATH`) from OSV records into one redb file. [`build`] reads
//! folders, zips (osv.dev's `all.zip` layout) and single JSON files, keeps the ecosystems we can
//! match (see [`is_supported_ecosystem`]), and Alpine's, Wolfi's and Chainguard's secdb
//! JSON documents as well, and writes the file
//! atomically. [`build_inputs`] is the same with inputs named apart from their files (a
//! downloaded zip is listed by its URL) and a way to stop a build early. [`Database`] opens it read-only and answers the two questions a scan asks:
//! "which advisories name this package?" ([`Database::lookup`]) and "what should the report say
//! about this vulnerability?" ([`Database::vuln`]).
//!
//! Advisory data is treated as hostile: records are size-capped, malformed ones are skipped and
//! counted rather than aborting the build, and nothing in here panics on bad input.

#![warn(missing_docs)]

mod ecosystem;
mod ingest;
mod model;
mod osv;
mod secdb;
mod store;
pub mod time;

use std::path::PathBuf;

pub use ecosystem::{is_supported_ecosystem, normalize_ecosystem};
pub use ingest::{
    BuildStats, Input, InvalidRecord, MAX_RECORD_BYTES, Progress, build, build_filtered,
    build_inputs,
};
pub use model::{AffectedEntry, AffectedRange, Event, RangeKind, SeveritySource, VulnRecord};
pub use osv::{OsvAffected, OsvEvent, OsvPackage, OsvRange, OsvRecord, OsvReference, OsvSeverity};
pub use palisade_cvss::Severity;
pub use store::{Database, DbInfo, SCHEMA_VERSION, package_key};

/// Internal alias so the scoring dependency is named in one place.
pub(crate) use palisade_cvss as cvss;

/// Everything that can go wrong building or reading an advisory database. Every variant names
/// the file involved, because these errors surface in a CLI far from where they happened.
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    /// The database file does not exist.
    #[error(
        "advisory database {} not found; build one with `palisade db build --osv PATH`",
        path.display()
    )]
    NotFound {
        /// The missing file.
        path: PathBuf,
    },
    /// The file is a redb database but not one of ours (or is missing parts).
    #[error(
        "{} is not a Palisade advisory database ({reason}); rebuild it with `palisade db build --osv PATH`",
        path.display()
    )]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// redb refused to open the file: it is corrupt, truncated, or not a redb file at all.
    #[error(
        "cannot open advisory database {} (corrupt or not a database file?): {source}; rebuild it with `palisade db build --osv PATH`",
        path.display()
    )]
    Open {
        /// The file.
        path: PathBuf,
        /// redb's explanation.
        #[source]
        source: Box<redb::Error>,
    },
    /// The database was written by a Palisade with another on-disk format.
    #[error(
        "advisory database {} has schema version {found}, but this Palisade reads version {expected}; rebuild it with `palisade db build --osv PATH`",
        path.display()
    )]
    SchemaMismatch {
        /// The file.
        path: PathBuf,
        /// Version recorded in the file.
        found: u32,
        /// Version this code reads.
        expected: u32,
    },
    /// A stored value could not be decoded.
    #[error("advisory database {} is corrupt: {what}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Which value, and the decoder's complaint.
        what: String,
    },
    /// A read from an open database failed.
    #[error("reading advisory database {}: {source}", path.display())]
    Store {
        /// The file.
        path: PathBuf,
        /// redb's explanation.
        #[source]
        source: Box<redb::Error>,
    },
    /// Writing the database being built failed.
    #[error("writing advisory database {}: {source}", path.display())]
    Write {
        /// The (temporary) file being written.
        path: PathBuf,
        /// redb's explanation.
        #[source]
        source: Box<redb::Error>,
    },
    /// A filesystem operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A build input does not exist.
    #[error("OSV input {} does not exist", path.display())]
    InputNotFound {
        /// The missing input.
        path: PathBuf,
    },
    /// A build input is neither a folder, a `.zip` nor a `.json` file.
    #[error("OSV input {} is not a folder, a .zip or a .json file", path.display())]
    UnsupportedInput {
        /// The input.
        path: PathBuf,
    },
    /// A zip input could not be opened as a zip archive.
    #[error("cannot read OSV zip {input}: {source}")]
    Zip {
        /// The zip's name: its path, or the URL it was downloaded from.
        input: String,
        /// The zip reader's explanation.
        #[source]
        source: zip::result::ZipError,
    },
    /// The inputs hold no `*.json` records at all; almost certainly the wrong path.
    #[error("no OSV records (*.json) found in {inputs}")]
    NoRecords {
        /// The inputs, comma-separated.
        inputs: String,
    },
    /// The caller asked the build to stop (see [`build_inputs`]); the database was not touched.
    #[error("building advisory database {} was interrupted; the file was left as it was", path.display())]
    Cancelled {
        /// The database that would have been replaced.
        path: PathBuf,
    },
    /// Every record failed to parse; the inputs are probably not OSV at all.
    #[error("all {count} OSV records were invalid; first: {example}")]
    AllInvalid {
        /// How many records were read.
        count: u64,
        /// The first failure, with its origin.
        example: String,
    },
}
