//! Lenient OSV record structs.
//!
//! These mirror the parts of the OSV schema (<https://ossf.github.io/osv-schema/>) that Palisade
//! uses. They are deliberately forgiving: every field except `id` may be missing, unknown fields
//! are ignored, and free-form sections (`database_specific`, `ecosystem_specific`) are kept as raw
//! JSON. Advisory feeds are written by many tools and we would rather ingest a record with an odd
//! extra field than reject it. Semantic checks (events, versions, ecosystems) happen later, when
//! the record is turned into store entries, so a bad range drops only that range.

use serde::Deserialize;
use serde_json::Value;

/// One OSV vulnerability record as found in a `<id>.json` file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OsvRecord {
    /// The record's unique id, e.g. `DSA-5678-1` or `CVE-2024-0001`.
    pub id: String,
    /// When the record was last changed (RFC 3339); decides which duplicate wins.
    pub modified: Option<String>,
    /// When the vulnerability was first published (RFC 3339).
    pub published: Option<String>,
    /// Set when the record was retracted; such records are never ingested.
    pub withdrawn: Option<String>,
    /// Other ids for the same vulnerability (CVE ids for distro advisories).
    pub aliases: Vec<String>,
    /// Ids of the upstream vulnerabilities a distribution's record restates (osv.dev's
    /// Alpine and Ubuntu records put the CVE here rather than in `aliases`).
    pub upstream: Vec<String>,
    /// Ids of related records (an AlmaLinux erratum's CVEs; Ubuntu's notices).
    pub related: Vec<String>,
    /// One-line human summary.
    pub summary: Option<String>,
    /// Longer free-text description (Markdown).
    pub details: Option<String>,
    /// Record-level severity scores (CVSS vectors or vendor words).
    pub severity: Vec<OsvSeverity>,
    /// The packages and versions this vulnerability affects.
    pub affected: Vec<OsvAffected>,
    /// Links to advisories, fixes and reports.
    pub references: Vec<OsvReference>,
    /// Database-defined extras; only `severity` is read from it.
    pub database_specific: Option<Value>,
}

/// One `severity[]` entry: a scoring system and its score string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OsvSeverity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector (for CVSS) or the vendor's word (for `Ubuntu`).
    pub score: String,
}

/// One `affected[]` entry: a package in an ecosystem and the versions of it that are vulnerable.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OsvAffected {
    /// Which package; absent in some malformed feeds, in which case the entry is dropped.
    pub package: Option<OsvPackage>,
    /// Per-package severities, used when the record has none at the top level.
    pub severity: Vec<OsvSeverity>,
    /// Version ranges, each a list of events.
    pub ranges: Vec<OsvRange>,
    /// Explicitly enumerated affected versions.
    pub versions: Vec<String>,
    /// Ecosystem-defined extras (e.g. Ubuntu's list of binary packages); stored as raw JSON.
    pub ecosystem_specific: Option<Value>,
}

/// The `affected[].package` object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OsvPackage {
    /// Ecosystem string as written in the record, e.g. `Debian:12` or `Ubuntu:22.04:LTS`.
    pub ecosystem: String,
    /// Package name within the ecosystem (the SOURCE package for Debian and Ubuntu).
    pub name: String,
    /// Optional package URL; kept for diagnostics only.
    pub purl: Option<String>,
}

/// One `ranges[]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OsvRange {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The ordered (or not: see the matcher) list of version events.
    pub events: Vec<OsvEvent>,
}

/// One event object. The schema says exactly one field is set; we check that at conversion.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OsvEvent {
    /// First affected version (`"0"` means "since the beginning").
    pub introduced: Option<String>,
    /// First version that is no longer affected.
    pub fixed: Option<String>,
    /// Last version that is still affected.
    pub last_affected: Option<String>,
    /// Upper limit beyond which the range says nothing (`"*"` means unbounded).
    pub limit: Option<String>,
}

/// One `references[]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OsvReference {
    /// `ADVISORY`, `WEB`, `FIX`, `REPORT`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The link itself.
    pub url: String,
}
