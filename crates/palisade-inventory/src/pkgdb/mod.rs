//! OS package databases read as they stream past: apk's installed database and the rpm
//! database in its three formats. (dpkg's `status` is read from the merged tree instead,
//! because distroless images split it over `status.d`.)
//!
//! They are [`FileAnalyzer`]s like the language analyzers, so a database that a later layer
//! replaces or deletes is handled by the file tree, and only its summary (packages and the
//! files they own) is kept, never the database itself. Their packages carry a provisional
//! ecosystem; [`crate::analyze`] gives them the detected OS's.

use crate::FileAnalyzer;

pub mod apk;
pub mod rpm;

/// Every OS package-database analyzer.
pub static ANALYZERS: &[&dyn FileAnalyzer] = &[&apk::INSTALLED, &rpm::RPMDB];
