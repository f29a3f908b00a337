//! A safe, read-only reader of rpm package databases, working on bytes held in memory.
//!
//! rpm keeps the headers of installed packages in one of three containers: sqlite
//! (`rpmdb.sqlite`, rpm ≥ 4.16: Fedora, EL9), a BerkeleyDB hash (`Packages`: EL ≤ 8, Amazon
//! Linux 2) or its own NDB format (`Packages.db`: SUSE). This crate reads all three with its own
//! small page readers instead of linking librpm, libsqlite3 or libdb, because:
//!
//! - the databases come from images we scan, which anyone can craft: every offset, count, page
//!   number and chain in them is treated as hostile, and a bad one yields an error that names the
//!   problem, never a panic or a hang. Copies out of the database are bounded by its size (each
//!   page is used at most once, NDB slots may not overlap) and file lists, which a header can
//!   make far larger than itself, are capped per package and per database;
//! - the layer walker streams layers and never writes files to disk, so the readers take a byte
//!   slice rather than a path (C libraries want a file);
//! - a full-table scan is all we need, which is a small fraction of each format.
//!
//! Write-ahead logs are not read: an `rpmdb.sqlite` whose `-wal` file was never checkpointed may
//! miss the most recently installed packages. Trivy has the same limitation, and image builds
//! normally end with rpm closing (and so checkpointing) its database.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use std::fmt;

pub use header::parse_header;

/// Which on-disk format a database file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbFormat {
    /// `rpmdb.sqlite`: a sqlite 3 database whose `Packages` table holds the header blobs.
    Sqlite,
    /// `Packages`: a BerkeleyDB hash keyed by 4-byte header numbers.
    BerkeleyDb,
    /// `Packages.db`: rpm's own "ndb" package blob store.
    Ndb,
}

impl fmt::Display for DbFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DbFormat::Sqlite => "sqlite",
            DbFormat::BerkeleyDb => "BerkeleyDB",
            DbFormat::Ndb => "NDB",
        })
    }
}

impl DbFormat {
    /// Every path (relative to the image root) where rpm keeps a package database, so a caller
    /// can ask the layer walker for exactly these files. Both the classic `var/lib/rpm` and the
    /// `usr/lib/sysimage/rpm` location (openSUSE, newer Fedora) are listed, as Trivy does.
    pub const PATHS: [&'static str; 6] = [
        "var/lib/rpm/rpmdb.sqlite",
        "var/lib/rpm/Packages",
        "var/lib/rpm/Packages.db",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/Packages",
        "usr/lib/sysimage/rpm/Packages.db",
    ];

    /// The format of a file by its path inside an image: `…/rpmdb.sqlite` → Sqlite,
    /// `…/Packages` → BerkeleyDb, `…/Packages.db` → Ndb, for the paths in [`DbFormat::PATHS`]
    /// only (a leading `/` or `./` is ignored). Other files named `Packages` (apt lists, for
    /// one) are not rpm databases, hence the exact match.
    pub fn from_path(path: &str) -> Option<DbFormat> {
        let mut p = path;
        loop {
            if let Some(rest) = p.strip_prefix('/') {
                p = rest;
            } else if let Some(rest) = p.strip_prefix("./") {
                p = rest;
            } else {
                break;
            }
        }
        if !Self::PATHS.contains(&p) {
            return None;
        }
        if p.ends_with("/rpmdb.sqlite") {
            Some(DbFormat::Sqlite)
        } else if p.ends_with("/Packages.db") {
            Some(DbFormat::Ndb)
        } else {
            Some(DbFormat::BerkeleyDb)
        }
    }

    /// Recognises a database by its magic bytes: sqlite's `"SQLite format 3\0"` header, the
    /// BerkeleyDB hash magic 0x061561 at offset 12 (either byte order), NDB's `"RpmP"` at
    /// offset 0. Used to give a clear error when a file's name lies about its contents.
    pub fn sniff(bytes: &[u8]) -> Option<DbFormat> {
        if bytes.starts_with(sqlite::MAGIC) {
            return Some(DbFormat::Sqlite);
        }
        if bytes.starts_with(ndb::MAGIC) {
            return Some(DbFormat::Ndb);
        }
        if bdb::byte_order(bytes).is_some() {
            return Some(DbFormat::BerkeleyDb);
        }
        None
    }
}

/// One installed package, from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmPackage {
    /// RPMTAG_NAME (1000).
    pub name: String,
    /// RPMTAG_EPOCH (1003); `None` when the header has none (which rpm treats as 0).
    pub epoch: Option<u32>,
    /// RPMTAG_VERSION (1001).
    pub version: String,
    /// RPMTAG_RELEASE (1002).
    pub release: String,
    /// RPMTAG_ARCH (1022); empty if absent (gpg-pubkey pseudo-packages have none).
    pub arch: String,
    /// RPMTAG_SOURCERPM (1044), e.g. `openssl-3.0.7-24.el9.src.rpm`; empty if absent.
    pub source_rpm: String,
    /// RPMTAG_MODULARITYLABEL (5096), e.g. `nodejs:18:8090020231025:a75119d5`; empty if absent.
    pub modularity_label: String,
    /// RPMTAG_LICENSE (1014); empty if absent.
    pub license: String,
    /// RPMTAG_VENDOR (1011); empty if absent.
    pub vendor: String,
    /// Installed size: RPMTAG_LONGSIZE (5009) if present, else RPMTAG_SIZE (1009), else 0.
    pub size: u64,
    /// Installed paths (DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or the old OLDFILENAMES),
    /// capped at [`MAX_FILES_PER_PACKAGE`] entries and [`MAX_FILE_BYTES_PER_PACKAGE`] bytes.
    pub files: Vec<String>,
}

impl RpmPackage {
    /// Source package name, version and release parsed from `source_rpm`
    /// (`openssl-3.0.7-24.el9.src.rpm` → `("openssl", "3.0.7", "24.el9")`); `None` if absent or
    /// malformed. Names may contain `-`, so the version and release are the last two fields.
    pub fn source(&self) -> Option<(String, String, String)> {
        let base = self.source_rpm.strip_suffix(".rpm")?;
        // The architecture (`src`, `nosrc`) follows the last dot.
        let (nvr, arch) = base.rsplit_once('.')?;
        if arch.is_empty() || arch.contains('-') {
            return None;
        }
        let (nv, release) = nvr.rsplit_once('-')?;
        let (name, version) = nv.rsplit_once('-')?;
        if name.is_empty() || version.is_empty() || release.is_empty() {
            return None;
        }
        Some((name.to_owned(), version.to_owned(), release.to_owned()))
    }

    /// `[epoch:]version-release`, as rpm prints `%{EVR}`: the epoch appears whenever the header
    /// has one, even 0.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

/// Most installed files kept for one package; real packages stay far below (the largest
/// distribution packages have some tens of thousands), so only a hostile header reaches it.
pub const MAX_FILES_PER_PACKAGE: usize = 100_000;
/// Most bytes of file paths kept for one package: a header can name one long directory for
/// every file, so the paths could otherwise grow far beyond the header's own size.
pub const MAX_FILE_BYTES_PER_PACKAGE: usize = 16 << 20;
/// Most installed files kept over a whole database.
pub const MAX_FILES_TOTAL: usize = 2_000_000;
/// Most bytes of file paths kept over a whole database.
pub const MAX_FILE_BYTES_TOTAL: usize = 256 << 20;
/// Most warnings kept; the rest are counted in one last warning.
const MAX_WARNINGS: usize = 1000;

/// Why a database or header could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RpmDbError {
    /// The bytes are not a database of the requested format.
    #[error("not an rpm {expected} database: {}", match found {
        Some(f) => format!("its magic bytes say {f}"),
        None => "no known magic bytes".to_owned(),
    })]
    WrongFormat {
        /// The format the caller asked for.
        expected: DbFormat,
        /// The format the magic bytes point to, if any.
        found: Option<DbFormat>,
    },
    /// The database's structure is damaged: where and how.
    #[error("corrupt {format} rpm database: {what}")]
    Corrupt {
        /// Which format was being read.
        format: DbFormat,
        /// The page, offset or record and what is wrong with it.
        what: String,
    },
    /// The database uses a feature this reader does not implement (e.g. BerkeleyDB encryption).
    #[error("unsupported {format} rpm database: {what}")]
    Unsupported {
        /// Which format was being read.
        format: DbFormat,
        /// The feature.
        what: String,
    },
    /// A package header blob is malformed.
    #[error("bad rpm header: {0}")]
    Header(String),
}

/// The packages of a database, and what had to be skipped on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Read {
    /// Every package, sorted by (name, evr, arch); gpg-pubkey entries are left out as Trivy does.
    pub packages: Vec<RpmPackage>,
    /// One line per corrupt header or truncated file list that was skipped.
    pub warnings: Vec<String>,
}

/// Reads every package of a database file held in memory.
///
/// gpg-pubkey entries (imported signing keys, not packages) are skipped, as Trivy does. A corrupt
/// individual header is skipped with a line in [`Read::warnings`]; a corrupt database structure
/// (pages, chains, slots) is an `Err`, since nothing read from it could be trusted to be complete.
pub fn read(format: DbFormat, bytes: &[u8]) -> Result<Read, RpmDbError> {
    let found = DbFormat::sniff(bytes);
    if found != Some(format) {
        return Err(RpmDbError::WrongFormat {
            expected: format,
            found,
        });
    }
    let mut collector = Collector::default();
    match format {
        DbFormat::Sqlite => {
            sqlite::for_each_blob(bytes, &mut |label, blob| collector.add(label, blob))?
        }
        DbFormat::BerkeleyDb => {
            bdb::for_each_blob(bytes, &mut |label, blob| collector.add(label, blob))?
        }
        DbFormat::Ndb => ndb::for_each_blob(bytes, &mut |label, blob| collector.add(label, blob))?,
    }
    Ok(collector.finish())
}

/// Receives each header blob a format reader finds, labelled with where it was found (row, key,
/// slot), or the reason that one record could not be read.
pub(crate) type BlobSink<'f> = dyn FnMut(&dyn fmt::Display, Result<&[u8], String>) + 'f;

/// Gathers packages and warnings while a format reader hands over header blobs, enforcing the
/// database-wide caps.
#[derive(Default)]
struct Collector {
    packages: Vec<RpmPackage>,
    warnings: Vec<String>,
    suppressed: usize,
    files: usize,
    file_bytes: usize,
}

impl Collector {
    fn warn(&mut self, line: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(line);
        } else {
            self.suppressed += 1;
        }
    }

    /// Takes one blob; `label` says where it was found (row, key, slot) for the warnings.
    fn add(&mut self, label: &dyn fmt::Display, blob: Result<&[u8], String>) {
        let blob = match blob {
            Ok(b) => b,
            Err(e) => return self.warn(format!("{label}: skipped: {e}")),
        };
        let (mut pkg, truncated) = match header::parse(blob) {
            Ok(p) => p,
            Err(e) => return self.warn(format!("{label}: skipped: {e}")),
        };
        if pkg.name == "gpg-pubkey" {
            return;
        }
        if truncated {
            self.warn(format!(
                "{label}: {}: file list truncated at {} paths",
                pkg.name,
                pkg.files.len()
            ));
        }
        let bytes: usize = pkg.files.iter().map(String::len).sum();
        if self.files + pkg.files.len() > MAX_FILES_TOTAL
            || self.file_bytes + bytes > MAX_FILE_BYTES_TOTAL
        {
            self.warn(format!(
                "{label}: {}: file list dropped: the database's {MAX_FILES_TOTAL}-path or \
                 {MAX_FILE_BYTES_TOTAL}-byte budget is spent",
                pkg.name
            ));
            pkg.files = Vec::new();
        } else {
            self.files += pkg.files.len();
            self.file_bytes += bytes;
        }
        self.packages.push(pkg);
    }

    fn finish(mut self) -> Read {
        if self.suppressed > 0 {
            self.warnings
                .push(format!("{} more warnings not shown", self.suppressed));
        }
        let mut keyed: Vec<(String, RpmPackage)> =
            self.packages.into_iter().map(|p| (p.evr(), p)).collect();
        keyed.sort_by(|(ea, a), (eb, b)| (&a.name, ea, &a.arch).cmp(&(&b.name, eb, &b.arch)));
        Read {
            packages: keyed.into_iter().map(|(_, p)| p).collect(),
            warnings: self.warnings,
        }
    }
}

/// Big- or little-endian fixed-width reads that return `None` past the end instead of
/// panicking, shared by the format readers.
pub(crate) mod bytes {
    /// Byte order of a multi-byte field.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Order {
        Little,
        Big,
    }

    pub fn u16_at(b: &[u8], off: usize, order: Order) -> Option<u16> {
        let s: [u8; 2] = b.get(off..off.checked_add(2)?)?.try_into().ok()?;
        Some(match order {
            Order::Little => u16::from_le_bytes(s),
            Order::Big => u16::from_be_bytes(s),
        })
    }

    pub fn u32_at(b: &[u8], off: usize, order: Order) -> Option<u32> {
        let s: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
        Some(match order {
            Order::Little => u32::from_le_bytes(s),
            Order::Big => u32::from_be_bytes(s),
        })
    }

    pub fn u64_at(b: &[u8], off: usize, order: Order) -> Option<u64> {
        let s: [u8; 8] = b.get(off..off.checked_add(8)?)?.try_into().ok()?;
        Some(match order {
            Order::Little => u64::from_le_bytes(s),
            Order::Big => u64::from_be_bytes(s),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(source_rpm: &str, epoch: Option<u32>) -> RpmPackage {
        RpmPackage {
            name: "n".into(),
            epoch,
            version: "1.0".into(),
            release: "2.el9".into(),
            arch: "x86_64".into(),
            source_rpm: source_rpm.into(),
            modularity_label: String::new(),
            license: String::new(),
            vendor: String::new(),
            size: 0,
            files: vec![],
        }
    }

    #[test]
    fn source_splits_the_last_two_dashes() {
        let p = pkg("openssl-3.0.7-24.el9.src.rpm", None);
        assert_eq!(
            p.source(),
            Some(("openssl".into(), "3.0.7".into(), "24.el9".into()))
        );
        let p = pkg("python3-dns-2.2.1-2.el9.nosrc.rpm", None);
        assert_eq!(
            p.source(),
            Some(("python3-dns".into(), "2.2.1".into(), "2.el9".into()))
        );
        for bad in [
            "",
            "(none)",
            "openssl.src.rpm",
            "a-b.src.rpm",
            "-1-2.src.rpm",
            "x-1-2.rpm",
        ] {
            assert_eq!(pkg(bad, None).source(), None, "{bad}");
        }
    }

    #[test]
    fn evr_prints_a_present_epoch() {
        assert_eq!(pkg("", None).evr(), "1.0-2.el9");
        assert_eq!(pkg("", Some(0)).evr(), "0:1.0-2.el9");
        assert_eq!(pkg("", Some(3)).evr(), "3:1.0-2.el9");
    }

    #[test]
    fn paths_and_magic() {
        assert_eq!(
            DbFormat::from_path("var/lib/rpm/rpmdb.sqlite"),
            Some(DbFormat::Sqlite)
        );
        assert_eq!(
            DbFormat::from_path("/var/lib/rpm/Packages"),
            Some(DbFormat::BerkeleyDb)
        );
        assert_eq!(
            DbFormat::from_path("./usr/lib/sysimage/rpm/Packages.db"),
            Some(DbFormat::Ndb)
        );
        assert_eq!(
            DbFormat::from_path("usr/lib/sysimage/rpm/rpmdb.sqlite"),
            Some(DbFormat::Sqlite)
        );
        assert_eq!(DbFormat::from_path("var/lib/apt/lists/x_Packages"), None);
        assert_eq!(DbFormat::from_path("srv/var/lib/rpm/Packages"), None);
        assert_eq!(
            DbFormat::sniff(b"SQLite format 3\0rest"),
            Some(DbFormat::Sqlite)
        );
        assert_eq!(DbFormat::sniff(b"RpmP\0\0\0\0"), Some(DbFormat::Ndb));
        let mut bdb = [0u8; 16];
        bdb[12..16].copy_from_slice(&0x061561u32.to_le_bytes());
        assert_eq!(DbFormat::sniff(&bdb), Some(DbFormat::BerkeleyDb));
        bdb[12..16].copy_from_slice(&0x061561u32.to_be_bytes());
        assert_eq!(DbFormat::sniff(&bdb), Some(DbFormat::BerkeleyDb));
        assert_eq!(DbFormat::sniff(b""), None);
        assert_eq!(DbFormat::sniff(b"SQLite format 3"), None);
    }

    #[test]
    fn read_names_a_lying_file_name() {
        let err = read(DbFormat::BerkeleyDb, b"SQLite format 3\0").unwrap_err();
        assert!(err.to_string().contains("magic bytes say sqlite"), "{err}");
        let err = read(DbFormat::Ndb, b"").unwrap_err();
        assert!(err.to_string().contains("no known magic"), "{err}");
    }
}
