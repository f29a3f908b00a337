//! What the store holds, and how an OSV record becomes it.
//!
//! The store keeps two shapes: [`AffectedEntry`] (what the matcher needs per package, small and
//! fetched once per installed package) and [`VulnRecord`] (what the report needs per finding,
//! fetched once per matched vulnerability). Both are postcard-encoded, so nothing here may use
//! serde features postcard lacks (untagged enums, `skip_serializing_if`, `deserialize_any`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cvss::{Severity, parse_and_score};
use crate::ecosystem::{normalize_ecosystem, normalize_package};
use crate::osv::{OsvAffected, OsvEvent, OsvRange, OsvRecord, OsvSeverity};

/// Longest title we keep; long enough for a sentence, short enough for a table cell.
const TITLE_MAX_CHARS: usize = 120;
/// Longest id we accept. Real ids are under 100 characters; anything far longer is garbage.
const ID_MAX_BYTES: usize = 512;
/// Largest `ecosystem_specific` blob we keep per entry (it rides along in every lookup).
const ECOSYSTEM_SPECIFIC_MAX_BYTES: usize = 64 * 1024;

/// One affected package entry of one vulnerability: what the matcher evaluates.
///
/// Stored per `(ecosystem, package)` so a scan needs a single read per installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedEntry {
    /// The vulnerability this entry belongs to; key into the `vulns` table.
    pub vuln_id: String,
    /// Version ranges (ECOSYSTEM or SEMVER; GIT ranges are dropped at ingest because no
    /// installed package is identified by a commit).
    pub ranges: Vec<AffectedRange>,
    /// Explicitly listed affected versions (exact string match).
    pub versions: Vec<String>,
    /// `affected[].ecosystem_specific` as compact JSON, if the record had one (e.g. Ubuntu's
    /// binary package list); opaque to the store, available to later matchers.
    pub ecosystem_specific: Option<String>,
}

/// One version range of an [`AffectedEntry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    /// How to order the versions in `events`.
    pub kind: RangeKind,
    /// The events in record order; OSV requires sorting them before evaluation.
    pub events: Vec<Event>,
}

/// The ordering the events of a range are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeKind {
    /// The ecosystem's own version scheme (dpkg order for Debian and Ubuntu).
    Ecosystem,
    /// Semantic Versioning 2.0.
    Semver,
}

/// One OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Versions from this one on are affected (`"0"`: from the very first version).
    Introduced(String),
    /// Versions from this one on are not affected.
    Fixed(String),
    /// Versions after this one are not affected.
    LastAffected(String),
    /// The range says nothing about versions from this one on (`"*"`: no limit).
    Limit(String),
}

/// Where a [`VulnRecord`]'s severity came from, so reports can say how much to trust it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeveritySource {
    /// Scored from a record-level CVSS vector.
    Cvss,
    /// Scored from an `affected[].severity` CVSS vector.
    AffectedCvss,
    /// Mapped from a word in `database_specific.severity`.
    DatabaseSpecific,
    /// Mapped from a vendor rating such as the `Ubuntu` severity type.
    Vendor,
    /// Nothing usable in the record.
    None,
}

/// What a report shows about one vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnRecord {
    /// The OSV id.
    pub id: String,
    /// Other ids (CVE numbers) for cross-referencing.
    pub aliases: Vec<String>,
    /// The CVEs a distribution's advisory stands for (an AlmaLinux erratum's `related`, an
    /// Ubuntu notice's per-CVE `upstream` records, the CVE of `UBUNTU-CVE-…` or of an Alpine
    /// record): OS packages get one finding per CVE, as Trivy reports them.
    pub cves: Vec<String>,
    /// One line for tables: the summary, else the first line of the details, shortened.
    pub title: String,
    /// The best single link for a human: an ADVISORY reference, else the first WEB one, else
    /// the record's page on osv.dev.
    pub primary_link: String,
    /// Qualitative severity. Precedence: record-level CVSS v3 (3.1 before 3.0), then v4;
    /// then the same from `affected[].severity`; then a `database_specific.severity` word;
    /// then a vendor word (e.g. type `Ubuntu`); else UNKNOWN. Trivy prefers the distribution's
    /// own rating, which OSV carries only for some feeds, so a scored vector comes first here.
    #[serde(with = "severity_text")]
    pub severity: Severity,
    /// Where `severity` came from.
    pub severity_source: SeveritySource,
    /// CVSS base score, when severity came from a vector.
    pub cvss_score: Option<f64>,
    /// The CVSS vector that was scored.
    pub cvss_vector: Option<String>,
    /// OSV `published`, verbatim.
    pub published: Option<String>,
    /// OSV `modified`, verbatim.
    pub modified: Option<String>,
}

/// Stores [`Severity`] as its text form. Postcard would otherwise store the enum's variant
/// index, silently tying our file format to the declaration order in another crate.
mod severity_text {
    use super::Severity;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sev: &Severity, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&sev.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<Severity>()
            .map_err(|_| serde::de::Error::custom(format!("unknown severity {text:?}")))
    }
}

/// The result of turning one OSV record into store rows.
#[derive(Debug)]
pub(crate) enum Conversion {
    /// Ingest these rows.
    Ingest(Box<Converted>),
    /// The record is withdrawn.
    Withdrawn,
    /// No affected entry is in a supported ecosystem.
    Unsupported,
    /// The record cannot be used; the reason is for the user.
    Invalid(String),
}

/// Store rows derived from one record.
#[derive(Debug)]
pub(crate) struct Converted {
    pub vuln: VulnRecord,
    /// `(ecosystem, package)` → this record's entries for it.
    pub packages: BTreeMap<(String, String), Vec<AffectedEntry>>,
    /// Normalised ecosystems the record contributes to (for per-ecosystem counts).
    pub ecosystems: BTreeSet<String>,
}

/// Turns a parsed OSV record into store rows, keeping only affected entries whose normalised
/// ecosystem passes `supported`. Bad ranges are dropped with a warning; only a bad id, or a
/// supported package whose every entry is unusable, makes the whole record invalid.
pub(crate) fn convert(rec: OsvRecord, supported: &dyn Fn(&str) -> bool) -> Conversion {
    let id = rec.id.trim().to_string();
    if id.is_empty() {
        return Conversion::Invalid("missing \"id\"".into());
    }
    if id.len() > ID_MAX_BYTES || id.chars().any(char::is_control) {
        return Conversion::Invalid("\"id\" is too long or contains control characters".into());
    }
    if rec
        .withdrawn
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        return Conversion::Withdrawn;
    }
    let mut packages: BTreeMap<(String, String), Vec<AffectedEntry>> = BTreeMap::new();
    let mut kept_affected: Vec<&OsvAffected> = Vec::new();
    let mut saw_supported = false;
    for affected in &rec.affected {
        let Some(pkg) = &affected.package else {
            continue;
        };
        let eco = normalize_ecosystem(&pkg.ecosystem);
        if !supported(&eco) {
            continue;
        }
        saw_supported = true;
        let name = pkg.name.trim();
        if name.is_empty() || name.contains('\0') || eco.contains('\0') {
            tracing::warn!(vuln = %id, ecosystem = %eco, "affected entry with an empty or invalid package name; skipped");
            continue;
        }
        let Some(entry) = convert_affected(&id, name, affected) else {
            continue;
        };
        let name = normalize_package(&eco, name);
        packages.entry((eco, name)).or_default().push(entry);
        kept_affected.push(affected);
    }
    if packages.is_empty() {
        return if saw_supported {
            Conversion::Invalid("no usable affected entry (no valid ranges or versions)".into())
        } else {
            Conversion::Unsupported
        };
    }

    let ecosystems = packages.keys().map(|(e, _)| e.clone()).collect();
    let vuln = vuln_record(&id, &rec, &kept_affected);
    Conversion::Ingest(Box::new(Converted {
        vuln,
        packages,
        ecosystems,
    }))
}

/// Converts one `affected[]` entry; `None` when nothing usable remains.
fn convert_affected(id: &str, name: &str, affected: &OsvAffected) -> Option<AffectedEntry> {
    let ranges: Vec<AffectedRange> = affected
        .ranges
        .iter()
        .filter_map(|r| convert_range(id, name, r))
        .collect();
    let versions: Vec<String> = affected
        .versions
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    if ranges.is_empty() && versions.is_empty() {
        tracing::debug!(vuln = %id, package = %name, "affected entry has no usable ranges or versions; skipped");
        return None;
    }
    let ecosystem_specific = affected
        .ecosystem_specific
        .as_ref()
        .filter(|v| !v.is_null())
        .and_then(|v| serde_json::to_string(v).ok())
        .filter(|s| {
            let ok = s.len() <= ECOSYSTEM_SPECIFIC_MAX_BYTES;
            if !ok {
                tracing::warn!(vuln = %id, package = %name, bytes = s.len(), "ecosystem_specific too large; dropped");
            }
            ok
        });
    Some(AffectedEntry {
        vuln_id: id.to_string(),
        ranges,
        versions,
        ecosystem_specific,
    })
}

/// Converts one range; `None` (with a warning) when it is GIT, of an unknown type, empty, or has
/// an event that is not exactly one non-empty field — a range missing an event could change
/// meaning, so we drop it whole rather than guess.
fn convert_range(id: &str, name: &str, range: &OsvRange) -> Option<AffectedRange> {
    let kind = match range.kind.as_str() {
        "ECOSYSTEM" => RangeKind::Ecosystem,
        "SEMVER" => RangeKind::Semver,
        "GIT" => return None,
        other => {
            tracing::warn!(vuln = %id, package = %name, range_type = %other, "unknown range type; range skipped");
            return None;
        }
    };
    let mut events = Vec::with_capacity(range.events.len());
    for ev in &range.events {
        match convert_event(ev) {
            Some(e) => events.push(e),
            None => {
                tracing::warn!(vuln = %id, package = %name, "range event must have exactly one non-empty field; range skipped");
                return None;
            }
        }
    }
    if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
        tracing::warn!(vuln = %id, package = %name, "range has no \"introduced\" event; range skipped");
        return None;
    }
    Some(AffectedRange { kind, events })
}

fn convert_event(ev: &OsvEvent) -> Option<Event> {
    let fields = [
        ev.introduced
            .as_deref()
            .map(|v| Event::Introduced(v.trim().to_string())),
        ev.fixed
            .as_deref()
            .map(|v| Event::Fixed(v.trim().to_string())),
        ev.last_affected
            .as_deref()
            .map(|v| Event::LastAffected(v.trim().to_string())),
        ev.limit
            .as_deref()
            .map(|v| Event::Limit(v.trim().to_string())),
    ];
    let mut set = fields.into_iter().flatten();
    let first = set.next()?;
    if set.next().is_some() {
        return None;
    }
    let text = match &first {
        Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
    };
    if text.is_empty() { None } else { Some(first) }
}

/// Builds the report-side record.
fn vuln_record(id: &str, rec: &OsvRecord, kept_affected: &[&OsvAffected]) -> VulnRecord {
    let sev = choose_severity(id, rec, kept_affected);
    VulnRecord {
        id: id.to_string(),
        aliases: aliases(rec),
        cves: cves(id, rec),
        title: title(rec.summary.as_deref(), rec.details.as_deref()),
        primary_link: primary_link(id, rec),
        severity: sev.severity,
        severity_source: sev.source,
        cvss_score: sev.score,
        cvss_vector: sev.vector,
        published: non_empty(rec.published.as_deref()),
        modified: non_empty(rec.modified.as_deref()),
    }
}

/// The record's aliases plus its `upstream` ids, so a distribution's restatement of a CVE is
/// reported under the CVE as Trivy reports it. Ubuntu's USN records name Canonical's per-CVE
/// records (`UBUNTU-CVE-2024-6387`) there; the CVE they stand for is added too.
fn aliases(rec: &OsvRecord) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // `UBUNTU-CVE-2024-6387` restates CVE-2024-6387, even in records that name it nowhere else.
    let own = rec
        .id
        .strip_prefix("UBUNTU-")
        .filter(|c| c.starts_with("CVE-"))
        .map(str::to_string);
    for a in rec.aliases.iter().chain(&rec.upstream).chain(&own) {
        let a = a.trim();
        if a.is_empty() {
            continue;
        }
        out.push(a.to_string());
        if let Some(cve) = a.strip_prefix("UBUNTU-").filter(|c| c.starts_with("CVE-")) {
            out.push(cve.to_string());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|a| seen.insert(a.clone()));
    out
}

/// The CVE ids a record names as itself (its id, `UBUNTU-CVE-…`), as aliases, as upstream
/// records or as related ones, in that order, each once.
fn cves(id: &str, rec: &OsvRecord) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let all = std::iter::once(id)
        .chain(rec.aliases.iter().map(String::as_str))
        .chain(rec.upstream.iter().map(String::as_str))
        .chain(rec.related.iter().map(String::as_str));
    for a in all {
        let a = a.trim();
        let cve = a.strip_prefix("UBUNTU-").unwrap_or(a);
        if is_cve(cve) && !out.iter().any(|c| c == cve) {
            out.push(cve.to_string());
        }
    }
    out
}

/// `CVE-YYYY-NNNN…`.
fn is_cve(s: &str) -> bool {
    s.strip_prefix("CVE-")
        .and_then(|r| r.split_once('-'))
        .is_some_and(|(y, n)| {
            y.len() == 4
                && y.bytes().all(|b| b.is_ascii_digit())
                && n.len() >= 4
                && n.bytes().all(|b| b.is_ascii_digit())
        })
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Summary if present, else the first non-blank line of the details, shortened to
/// [`TITLE_MAX_CHARS`] characters with an ellipsis.
fn title(summary: Option<&str>, details: Option<&str>) -> String {
    let line = summary
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .or_else(|| details.and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty())))
        .unwrap_or("");
    let line = line.lines().next().unwrap_or("").trim();
    if line.chars().count() <= TITLE_MAX_CHARS {
        line.to_string()
    } else {
        let mut t: String = line.chars().take(TITLE_MAX_CHARS - 1).collect();
        t.truncate(t.trim_end().len());
        t.push('…');
        t
    }
}

/// An ADVISORY reference, else the first WEB one, else osv.dev's page for the id.
fn primary_link(id: &str, rec: &OsvRecord) -> String {
    let valid = |u: &str| u.starts_with("https://") || u.starts_with("http://");
    let pick = |kind: &str| {
        rec.references
            .iter()
            .find(|r| r.kind.eq_ignore_ascii_case(kind) && valid(r.url.trim()))
            .map(|r| r.url.trim().to_string())
    };
    pick("ADVISORY")
        .or_else(|| pick("WEB"))
        .unwrap_or_else(|| format!("https://osv.dev/vulnerability/{}", encode_path(id)))
}

/// Percent-encodes everything but unreserved URL characters, so odd ids make valid links.
fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A chosen severity with its provenance.
struct Chosen {
    severity: Severity,
    source: SeveritySource,
    score: Option<f64>,
    vector: Option<String>,
}

/// Picks the record's severity.
///
/// Precedence: CVSS v3 (3.1 before 3.0), then CVSS v4, from record-level `severity`; then the
/// same from the kept `affected[].severity`; then a word in `database_specific.severity`
/// (`MODERATE` counts as `MEDIUM`, `IMPORTANT` as `HIGH`); then a vendor word such as the
/// `Ubuntu` severity type; else UNKNOWN. Trivy prefers the distribution's own rating; OSV feeds
/// carry it inconsistently, so a scored vector is our most comparable signal for now, and the
/// vendor word is only a fallback.
fn choose_severity(id: &str, rec: &OsvRecord, kept_affected: &[&OsvAffected]) -> Chosen {
    if let Some(c) = best_cvss(id, rec.severity.iter(), SeveritySource::Cvss) {
        return c;
    }
    let affected_sev = kept_affected.iter().flat_map(|a| a.severity.iter());
    if let Some(c) = best_cvss(id, affected_sev, SeveritySource::AffectedCvss) {
        return c;
    }
    let db_word = rec
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(Value::as_str)
        .and_then(severity_word);
    if let Some(severity) = db_word {
        return Chosen {
            severity,
            source: SeveritySource::DatabaseSpecific,
            score: None,
            vector: None,
        };
    }
    let vendor = rec
        .severity
        .iter()
        .chain(kept_affected.iter().flat_map(|a| a.severity.iter()))
        .filter(|s| !s.kind.starts_with("CVSS_"))
        .find_map(|s| severity_word(&s.score))
        .or_else(|| vendor_priority(rec, kept_affected));
    match vendor {
        Some(severity) => Chosen {
            severity,
            source: SeveritySource::Vendor,
            score: None,
            vector: None,
        },
        None => Chosen {
            severity: Severity::Unknown,
            source: SeveritySource::None,
            score: None,
            vector: None,
        },
    }
}

/// A distribution's own rating where its records carry it outside `severity`: Ubuntu's older
/// records put `ubuntu_priority` in `ecosystem_specific`, and the RHEL family's errata
/// (AlmaLinux, Rocky) start their summary with it (`Important: openssl security update`).
fn vendor_priority(rec: &OsvRecord, kept_affected: &[&OsvAffected]) -> Option<Severity> {
    kept_affected
        .iter()
        .filter_map(|a| a.ecosystem_specific.as_ref())
        .filter_map(|e| e.get("ubuntu_priority").and_then(Value::as_str))
        .find_map(severity_word)
        .or_else(|| {
            let (word, rest) = rec.summary.as_deref()?.split_once(':')?;
            rest.starts_with(' ').then(|| severity_word(word)).flatten()
        })
}

/// The best-ranked CVSS v3/v4 entry that scores; unparsable vectors are skipped with a warning.
fn best_cvss<'a>(
    id: &str,
    entries: impl Iterator<Item = &'a OsvSeverity>,
    source: SeveritySource,
) -> Option<Chosen> {
    let mut best: Option<(u8, Chosen)> = None;
    for entry in entries {
        if !matches!(entry.kind.as_str(), "CVSS_V3" | "CVSS_V4") {
            continue;
        }
        let vector = entry.score.trim();
        let rank = cvss_rank(vector);
        if rank == 0 || best.as_ref().is_some_and(|(r, _)| *r >= rank) {
            continue;
        }
        match parse_and_score(vector) {
            Ok(score) => {
                best = Some((
                    rank,
                    Chosen {
                        severity: score.severity,
                        source,
                        score: Some(score.base_score),
                        vector: Some(vector.to_string()),
                    },
                ));
            }
            Err(e) => {
                tracing::warn!(vuln = %id, vector = %vector, error = %e, "unusable CVSS vector; ignored");
            }
        }
    }
    best.map(|(_, c)| c)
}

/// Preference among CVSS versions, higher is better: v3.1 > v3.0 > v4.0; 0 = not scorable.
fn cvss_rank(vector: &str) -> u8 {
    if vector.starts_with("CVSS:3.1/") {
        3
    } else if vector.starts_with("CVSS:3.0/") {
        2
    } else if vector.starts_with("CVSS:4.0/") {
        1
    } else {
        0
    }
}

/// Maps a qualitative word from a feed to a [`Severity`].
fn severity_word(word: &str) -> Option<Severity> {
    match word.trim().to_ascii_uppercase().as_str() {
        "NEGLIGIBLE" | "LOW" => Some(Severity::Low),
        "MODERATE" | "MEDIUM" => Some(Severity::Medium),
        "HIGH" | "IMPORTANT" => Some(Severity::High),
        "CRITICAL" => Some(Severity::Critical),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_prefers_summary_then_details_line() {
        assert_eq!(title(Some("  Short  "), Some("ignored")), "Short");
        assert_eq!(title(None, Some("\n\nFirst line\nsecond")), "First line");
        assert_eq!(title(Some(""), None), "");
        let long = "x".repeat(500);
        let t = title(None, Some(&long));
        assert_eq!(t.chars().count(), TITLE_MAX_CHARS);
        assert!(t.ends_with('…'));
    }

    #[test]
    fn vendor_priorities_from_summary_and_ecosystem_specific() {
        let rec: OsvRecord = serde_json::from_str(
            r#"{"id":"ALSA-1","summary":"Important: openssl security update","affected":[]}"#,
        )
        .expect("parses");
        assert_eq!(vendor_priority(&rec, &[]), Some(Severity::High));
        let plain: OsvRecord =
            serde_json::from_str(r#"{"id":"X","summary":"Fix: a crash"}"#).expect("parses");
        assert_eq!(vendor_priority(&plain, &[]), None);
        let ubuntu: OsvAffected =
            serde_json::from_str(r#"{"ecosystem_specific":{"ubuntu_priority":"medium"}}"#)
                .expect("parses");
        assert_eq!(vendor_priority(&plain, &[&ubuntu]), Some(Severity::Medium));
    }

    #[test]
    fn cves_of_distribution_records() {
        let rec = |json: &str| -> OsvRecord { serde_json::from_str(json).expect("parses") };
        let alsa = rec(r#"{"id":"ALSA-2023:5763","related":["CVE-2023-38545","CVE-2023-38546"]}"#);
        assert_eq!(
            cves("ALSA-2023:5763", &alsa),
            ["CVE-2023-38545", "CVE-2023-38546"]
        );
        let usn =
            rec(r#"{"id":"USN-1","upstream":["UBUNTU-CVE-2023-2975","UBUNTU-CVE-2023-3446"]}"#);
        assert_eq!(cves("USN-1", &usn), ["CVE-2023-2975", "CVE-2023-3446"]);
        let ucve = rec(r#"{"id":"UBUNTU-CVE-2024-6387","related":["USN-6859-1"]}"#);
        assert_eq!(cves("UBUNTU-CVE-2024-6387", &ucve), ["CVE-2024-6387"]);
        let ghsa = rec(r#"{"id":"GHSA-x","aliases":["CVE-2021-44228","CVE-2021-bad"]}"#);
        assert_eq!(cves("GHSA-x", &ghsa), ["CVE-2021-44228"]);
    }

    #[test]
    fn severity_words() {
        assert_eq!(severity_word("moderate"), Some(Severity::Medium));
        assert_eq!(severity_word("CRITICAL"), Some(Severity::Critical));
        assert_eq!(severity_word("untriaged"), None);
    }

    #[test]
    fn link_encoding() {
        assert_eq!(encode_path("DSA-1 2/x"), "DSA-1%202%2Fx");
    }

    #[test]
    fn events_need_exactly_one_field() {
        let two = OsvEvent {
            introduced: Some("0".into()),
            fixed: Some("1".into()),
            ..Default::default()
        };
        assert_eq!(convert_event(&two), None);
        assert_eq!(convert_event(&OsvEvent::default()), None);
        let empty = OsvEvent {
            fixed: Some(" ".into()),
            ..Default::default()
        };
        assert_eq!(convert_event(&empty), None);
    }
}
