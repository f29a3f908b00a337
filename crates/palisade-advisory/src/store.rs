//! The on-disk database: one redb file with three tables, opened read-only for scans.
//!
//! Layout (schema version [`SCHEMA_VERSION`]):
//! - `affected`: `ecosystem \0 package` → postcard `Vec<AffectedEntry>`, every vulnerability
//!   entry for that package merged, so a scan does one point read per installed package.
//! - `vulns`: vulnerability id → postcard [`VulnRecord`], read only for matched ids.
//! - `meta`: small text values (schema version, build time, inputs, counts).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use redb::{ReadOnlyDatabase, ReadableDatabase, TableDefinition};
use serde::Serialize;

use crate::AdvisoryError;
use crate::ecosystem::normalize_ecosystem;
use crate::model::{AffectedEntry, VulnRecord};

/// Version of the on-disk format. Bump on any change to tables, keys or encoded structs;
/// opening a file with another version fails with a "rebuild" message instead of misreading it.
pub const SCHEMA_VERSION: u32 = 3;

pub(crate) const AFFECTED: TableDefinition<&[u8], &[u8]> = TableDefinition::new("affected");
pub(crate) const VULNS: TableDefinition<&str, &[u8]> = TableDefinition::new("vulns");
pub(crate) const META: TableDefinition<&str, &str> = TableDefinition::new("meta");

pub(crate) const META_SCHEMA: &str = "schema_version";
pub(crate) const META_BUILT_AT: &str = "built_at";
pub(crate) const META_INPUTS: &str = "inputs";
pub(crate) const META_RECORDS_BY_ECOSYSTEM: &str = "records_by_ecosystem";
pub(crate) const META_PACKAGES: &str = "package_count";
pub(crate) const META_VULNS: &str = "vuln_count";

/// The `affected` table key for a package. NUL cannot occur in either part (ingest rejects it),
/// so the key is unambiguous and all of an ecosystem's packages sort together.
pub fn package_key(ecosystem: &str, package: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(ecosystem.len() + 1 + package.len());
    key.extend_from_slice(ecosystem.as_bytes());
    key.push(0);
    key.extend_from_slice(package.as_bytes());
    key
}

/// Facts about a database, for `palisade db info` and for stamping scan reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbInfo {
    /// Where the database file is.
    pub path: PathBuf,
    /// On-disk format version.
    pub schema_version: u32,
    /// When it was built, RFC 3339 UTC.
    pub built_at: String,
    /// The inputs it was built from, as given to the builder.
    pub inputs: Vec<String>,
    /// Ingested records per ecosystem (a record affecting two ecosystems counts in both).
    pub records_by_ecosystem: BTreeMap<String, u64>,
    /// Distinct vulnerability records.
    pub vuln_count: u64,
    /// Distinct `(ecosystem, package)` keys.
    pub package_count: u64,
    /// File size in bytes.
    pub file_size: u64,
}

/// An open, read-only advisory database.
///
/// Opening validates the schema version once; lookups then take short read transactions, so a
/// `Database` can be shared across threads (`Send + Sync`) by reference or `Arc`.
pub struct Database {
    db: ReadOnlyDatabase,
    info: DbInfo,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.info.path)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens the database at `path` read-only and checks that it is one we can read.
    pub fn open(path: &Path) -> Result<Self, AdvisoryError> {
        let meta = std::fs::metadata(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                AdvisoryError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                AdvisoryError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        if !meta.is_file() {
            return Err(AdvisoryError::NotADatabase {
                path: path.to_path_buf(),
                reason: "not a regular file".into(),
            });
        }
        let db = ReadOnlyDatabase::open(path).map_err(|e| AdvisoryError::Open {
            path: path.to_path_buf(),
            source: Box::new(e.into()),
        })?;
        let info = read_info(&db, path, meta.len())?;
        tracing::debug!(path = %path.display(), built_at = %info.built_at, "opened advisory database");
        Ok(Database { db, info })
    }

    /// Every affected entry stored for `package` in `ecosystem` (such as `Debian:12`; OSV
    /// spellings like `Ubuntu:22.04:LTS` are normalised as at ingest); empty when the package
    /// has no known vulnerabilities.
    pub fn lookup(
        &self,
        ecosystem: &str,
        package: &str,
    ) -> Result<Vec<AffectedEntry>, AdvisoryError> {
        let ecosystem = normalize_ecosystem(ecosystem);
        let package = crate::ecosystem::normalize_package(&ecosystem, package);
        let key = package_key(&ecosystem, &package);
        let txn = self.db.begin_read().map_err(|e| self.store_err(e))?;
        let table = txn.open_table(AFFECTED).map_err(|e| self.store_err(e))?;
        let Some(value) = table.get(key.as_slice()).map_err(|e| self.store_err(e))? else {
            return Ok(Vec::new());
        };
        postcard::from_bytes(value.value()).map_err(|e| AdvisoryError::Corrupt {
            path: self.info.path.clone(),
            what: format!("affected entries of {ecosystem}/{package}: {e}"),
        })
    }

    /// The report-side record of vulnerability `id`, if the database has it.
    pub fn vuln(&self, id: &str) -> Result<Option<VulnRecord>, AdvisoryError> {
        let txn = self.db.begin_read().map_err(|e| self.store_err(e))?;
        let table = txn.open_table(VULNS).map_err(|e| self.store_err(e))?;
        let Some(value) = table.get(id).map_err(|e| self.store_err(e))? else {
            return Ok(None);
        };
        postcard::from_bytes(value.value())
            .map(Some)
            .map_err(|e| AdvisoryError::Corrupt {
                path: self.info.path.clone(),
                what: format!("vulnerability record {id}: {e}"),
            })
    }

    /// Facts read when the database was opened.
    pub fn info(&self) -> &DbInfo {
        &self.info
    }

    fn store_err(&self, e: impl Into<redb::Error>) -> AdvisoryError {
        AdvisoryError::Store {
            path: self.info.path.clone(),
            source: Box::new(e.into()),
        }
    }
}

/// Reads and validates the `meta` table.
fn read_info(db: &ReadOnlyDatabase, path: &Path, file_size: u64) -> Result<DbInfo, AdvisoryError> {
    let not_ours = |reason: String| AdvisoryError::NotADatabase {
        path: path.to_path_buf(),
        reason,
    };
    let store_err = |e: redb::Error| AdvisoryError::Store {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    let txn = db.begin_read().map_err(|e| store_err(e.into()))?;
    let meta = match txn.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => {
            return Err(not_ours("it has no meta table".into()));
        }
        Err(e) => return Err(store_err(e.into())),
    };
    let get = |key: &str| -> Result<Option<String>, AdvisoryError> {
        Ok(meta
            .get(key)
            .map_err(|e| store_err(e.into()))?
            .map(|v| v.value().to_string()))
    };
    let schema_text = get(META_SCHEMA)?.ok_or_else(|| not_ours("no schema version".into()))?;
    let schema_version: u32 = schema_text
        .parse()
        .map_err(|_| not_ours(format!("schema version {schema_text:?} is not a number")))?;
    if schema_version != SCHEMA_VERSION {
        return Err(AdvisoryError::SchemaMismatch {
            path: path.to_path_buf(),
            found: schema_version,
            expected: SCHEMA_VERSION,
        });
    }
    let corrupt = |what: &str| AdvisoryError::Corrupt {
        path: path.to_path_buf(),
        what: format!("meta value {what}"),
    };
    let count = |key: &str| -> Result<u64, AdvisoryError> {
        get(key)?
            .unwrap_or_default()
            .parse()
            .map_err(|_| corrupt(key))
    };
    let inputs: Vec<String> = match get(META_INPUTS)? {
        Some(s) => serde_json::from_str(&s).map_err(|_| corrupt(META_INPUTS))?,
        None => Vec::new(),
    };
    let records_by_ecosystem: BTreeMap<String, u64> = match get(META_RECORDS_BY_ECOSYSTEM)? {
        Some(s) => serde_json::from_str(&s).map_err(|_| corrupt(META_RECORDS_BY_ECOSYSTEM))?,
        None => BTreeMap::new(),
    };
    // The data tables must exist too, or every lookup would fail later with a less clear error.
    let tables = [
        ("affected", txn.open_table(AFFECTED).map(|_| ())),
        ("vulns", txn.open_table(VULNS).map(|_| ())),
    ];
    for (name, opened) in tables {
        match opened {
            Ok(()) => {}
            Err(redb::TableError::TableDoesNotExist(_)) => {
                return Err(not_ours(format!("it has no {name} table")));
            }
            Err(e) => return Err(store_err(e.into())),
        }
    }
    Ok(DbInfo {
        path: path.to_path_buf(),
        schema_version,
        built_at: get(META_BUILT_AT)?.unwrap_or_default(),
        inputs,
        records_by_ecosystem,
        vuln_count: count(META_VULNS)?,
        package_count: count(META_PACKAGES)?,
        file_size,
    })
}
