//! Matches an inventory against the advisory database.
//!
//! For every package we read the advisory entries its ecosystem's row points at: for
//! distributions, those of its *source* package in the image's release (Debian and Ubuntu
//! advisories are keyed by source, and the source version is what they compare against, so
//! binNMUs such as `1.2-3+b1` built from `1.2-3` match correctly); for language ecosystems,
//! those of its normalised name. Each entry's OSV ranges are evaluated with the ecosystem's
//! version scheme ([`evaluate_range`]), and hits become [`Finding`]s for the report.
//!
//! Bad advisory data never fails a scan: a range whose versions cannot be parsed is skipped with
//! a warning naming the vulnerability, package and version. Only database read errors are fatal.

#![warn(missing_docs)]

mod range;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use palisade_advisory::{AdvisoryError, AffectedEntry, Database, RangeKind, VulnRecord};
use palisade_cvss::Severity;
use palisade_ecosystem::Matching;
use palisade_inventory::{Class, Ecosystem, Inventory, Package, PackageType};
use palisade_version::VersionScheme;
use serde::Serialize;

pub use range::{RangeMatch, evaluate_range};

/// Whether a fix is available for a finding; the report's "Status" column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingStatus {
    /// A fixed version is known: upgrading helps.
    Fixed,
    /// No fixed version is known (yet).
    Affected,
}

/// One vulnerability affecting one installed binary package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The advisory id, e.g. `DSA-5678-1` or `CVE-2024-0001`.
    pub vulnerability_id: String,
    /// Other ids for the same vulnerability (CVEs), for cross-referencing.
    pub aliases: Vec<String>,
    /// The installed binary package, e.g. `libssl3`.
    pub package_name: String,
    /// Its source package, e.g. `openssl`; what the advisory names.
    pub source_name: String,
    /// The installed binary version.
    pub installed_version: String,
    /// The source version the advisory was compared against.
    pub source_version: String,
    /// The package's ecosystem.
    pub ecosystem: Ecosystem,
    /// Where the package was found (its report result).
    pub kind: PackageType,
    /// The file that recorded the package.
    pub path: String,
    /// The first version (of the source package) without the vulnerability, if known.
    pub fixed_version: Option<String>,
    /// Qualitative severity from the advisory database.
    pub severity: Severity,
    /// CVSS base score, when the severity came from a vector.
    pub cvss_score: Option<f64>,
    /// That vector.
    pub cvss_vector: Option<String>,
    /// One-line description.
    pub title: String,
    /// The best link for a human to read more.
    pub primary_link: String,
    /// When the advisory was published (RFC 3339, as the feed wrote it).
    pub published: Option<String>,
    /// When the advisory was last modified.
    pub modified: Option<String>,
    /// `fixed` when `fixed_version` is known, else `affected`.
    pub status: FindingStatus,
}

/// Why matching failed. Only infrastructure problems end up here; advisory data problems are
/// logged and skipped.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// Reading the affected entries of a package failed.
    #[error("looking up advisories for {ecosystem}/{package}: {source}")]
    Lookup {
        /// The ecosystem key used.
        ecosystem: String,
        /// The (source) package name.
        package: String,
        /// The database error.
        #[source]
        source: AdvisoryError,
    },
    /// Reading a vulnerability record failed.
    #[error("reading vulnerability {id}: {source}")]
    Vuln {
        /// The vulnerability id.
        id: String,
        /// The database error.
        #[source]
        source: AdvisoryError,
    },
}

/// Finds every vulnerability affecting the packages of `inv`, whatever their ecosystems.
///
/// Each package is looked up the way its ecosystem's row says ([`Matching`]):
/// - distribution packages through their *source* package in the detected OS release
///   (`Debian:12`); there is deliberately no fallback to other releases, and with no detected OS
///   they are not matched;
/// - language packages by their normalised name in the ecosystem (`PyPI`, `npm`, …).
///
/// Versions are compared with the ecosystem's [`VersionScheme`]; packages of ecosystems whose
/// scheme is not implemented yet are skipped with one warning per ecosystem.
///
/// One finding is produced per (vulnerability, package type, path, name, installed version), so
/// each binary built from an affected source gets its own finding, as in Trivy, and the same
/// library in two lockfiles is reported in both; identical binaries of several architectures
/// collapse into one. The result is sorted by package name, severity (highest first),
/// vulnerability id and installed version.
pub fn match_inventory(db: &Database, inv: &Inventory) -> Result<Vec<Finding>, MatchError> {
    let os_key = inv.os.as_ref().and_then(|os| os.ecosystem());
    let mut entries_by_key: HashMap<(String, String), Vec<AffectedEntry>> = HashMap::new();
    let mut verdicts: HashMap<(String, String, String, String), Vec<Hit>> = HashMap::new();
    let mut vulns: HashMap<String, Option<VulnRecord>> = HashMap::new();
    let mut findings = Vec::new();
    let mut chosen: BTreeMap<(String, PackageType, String, String, String), Chosen> =
        BTreeMap::new();
    let mut unmatched: BTreeSet<Ecosystem> = BTreeSet::new();

    for pkg in &inv.packages {
        let Some(target) = lookup_target(pkg, os_key.as_deref()) else {
            unmatched.insert(pkg.ecosystem);
            continue;
        };
        let Some(scheme) = pkg.ecosystem.scheme() else {
            unmatched.insert(pkg.ecosystem);
            continue;
        };
        let entry_key = (target.store_key.clone(), target.name.clone());
        if !entries_by_key.contains_key(&entry_key) {
            let entries = db
                .lookup(&target.store_key, &target.name)
                .map_err(|source| MatchError::Lookup {
                    ecosystem: target.store_key.clone(),
                    package: target.name.clone(),
                    source,
                })?;
            entries_by_key.insert(entry_key.clone(), entries);
        }
        let verdict_key = (
            target.store_key.clone(),
            target.name.clone(),
            target.version.clone(),
            pkg.modularity_label.clone(),
        );
        if !verdicts.contains_key(&verdict_key) {
            let entries = entries_by_key
                .get(&entry_key)
                .map(Vec::as_slice)
                .unwrap_or_default();
            // Only the RHEL family's entries are filtered (and so copied).
            let filtered;
            let entries = if pkg.ecosystem.matching() == Matching::BinaryPackage {
                filtered = module_entries(entries, pkg);
                filtered.as_slice()
            } else {
                entries
            };
            let hits = match_source(scheme, &target.name, &target.version, entries);
            verdicts.insert(verdict_key.clone(), hits);
        }
        let hits = verdicts
            .get(&verdict_key)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for hit in hits {
            if !vulns.contains_key(&hit.vuln_id) {
                let record = db.vuln(&hit.vuln_id).map_err(|source| MatchError::Vuln {
                    id: hit.vuln_id.clone(),
                    source,
                })?;
                if record.is_none() {
                    tracing::warn!(vuln = %hit.vuln_id, "affected entry without a vulnerability record");
                }
                vulns.insert(hit.vuln_id.clone(), record);
            }
            let record = vulns.get(&hit.vuln_id).and_then(Option::as_ref);
            // A distribution's advisory is reported once per CVE it stands for, as Trivy
            // reports OS findings; other records under their own id.
            let ids: Vec<&str> = match record {
                Some(r) if pkg.kind.class() == Class::OsPkgs && !r.cves.is_empty() => {
                    r.cves.iter().map(String::as_str).collect()
                }
                _ => vec![hit.vuln_id.as_str()],
            };
            let weight = record.map_or(1, |r| r.cves.len().max(1));
            for id in ids {
                let key = (
                    id.to_string(),
                    pkg.kind,
                    pkg.path.clone(),
                    pkg.name.clone(),
                    pkg.version.clone(),
                );
                let candidate = Chosen {
                    finding: finding(pkg, &target, hit, record, id),
                    weight,
                };
                match chosen.get(&key) {
                    Some(old) if !candidate.better_than(old, scheme) => {}
                    _ => {
                        chosen.insert(key, candidate);
                    }
                }
            }
        }
    }
    findings.extend(chosen.into_values().map(|c| c.finding));
    for eco in unmatched {
        let count = inv.packages.iter().filter(|p| p.ecosystem == eco).count();
        if eco.scheme().is_none() {
            tracing::warn!(ecosystem = %eco, packages = count, "matching is not implemented for this ecosystem yet; its packages were not matched");
        } else {
            tracing::warn!(ecosystem = %eco, packages = count, "no supported operating system detected; OS packages were not matched");
        }
    }
    findings.sort_by(compare_findings);
    tracing::debug!(
        packages = inv.packages.len(),
        findings = findings.len(),
        "matched inventory"
    );
    Ok(findings)
}

/// The entries of an rpm distribution that apply to `pkg`, by its module stream.
///
/// The RHEL family's errata are per module stream, but OSV records do not say which: only the
/// fixed version tells (`…module_el8.5.0+119+…`, `…module+el8.4.0+…`). So an entry whose fixed
/// versions carry a module marker applies only to a package built for a module (one with a
/// modularity label), and an entry without one only to a package that is not. For a package of
/// a numeric stream whose version follows the stream (`nodejs:18`, version `18.19.0`), module
/// entries apply only if their fixes are of the same stream, so the `nodejs:20` stream's fixes
/// do not mark `nodejs:18` affected.
fn module_entries(entries: &[AffectedEntry], pkg: &Package) -> Vec<AffectedEntry> {
    let label = pkg.modularity_label.as_str();
    let stream = label.split(':').nth(1).unwrap_or_default();
    let numeric_stream = !stream.is_empty()
        && stream
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let of_stream = |evr: &str| {
        let v = evr.split_once(':').map_or(evr, |(_, v)| v);
        let v = v.split('-').next().unwrap_or_default();
        v == stream || v.strip_prefix(stream).is_some_and(|r| r.starts_with('.'))
    };
    let stream_filter = numeric_stream && of_stream(&pkg.version);
    entries
        .iter()
        .filter(|e| {
            let fixes: Vec<&str> = e
                .ranges
                .iter()
                .flat_map(|r| &r.events)
                .filter_map(|ev| match ev {
                    palisade_advisory::Event::Fixed(f) => Some(f.as_str()),
                    _ => None,
                })
                .collect();
            let modular = fixes
                .iter()
                .any(|f| f.contains(".module_el") || f.contains(".module+el"));
            if modular == label.is_empty() {
                return false;
            }
            !(modular && stream_filter) || fixes.iter().all(|f| of_stream(f))
        })
        .cloned()
        .collect()
}

/// Where a package's advisories are stored and which version they are compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LookupTarget {
    /// The store's ecosystem key (`Debian:12`, `PyPI`).
    store_key: String,
    /// The name advisories use (source package, or the normalised package name).
    name: String,
    /// The version compared.
    version: String,
}

/// How a package is looked up, by its ecosystem's [`Matching`]; `None` when it cannot be (an
/// OS package without a detected OS release, or of another distribution than the detected one).
fn lookup_target(pkg: &Package, os_key: Option<&str>) -> Option<LookupTarget> {
    let (name, version) = match pkg.ecosystem.matching() {
        Matching::Package => {
            return Some(LookupTarget {
                store_key: pkg.ecosystem.store_key(None),
                name: pkg.ecosystem.normalize_name(&pkg.name),
                version: pkg.version.clone(),
            });
        }
        Matching::SourcePackage => source_of(pkg),
        Matching::BinaryPackage => (pkg.name.as_str(), pkg.version.as_str()),
    };
    let key = os_key?;
    if Ecosystem::from_osv(key) != Some(pkg.ecosystem) {
        return None;
    }
    Some(LookupTarget {
        store_key: key.to_string(),
        name: name.to_string(),
        version: version.to_string(),
    })
}

/// The source name and version to match a package by; the binary's own when dpkg recorded none.
fn source_of(pkg: &Package) -> (&str, &str) {
    let name = if pkg.source_name.is_empty() {
        &pkg.name
    } else {
        &pkg.source_name
    };
    let version = if pkg.source_version.is_empty() {
        &pkg.version
    } else {
        &pkg.source_version
    };
    (name, version)
}

/// One vulnerability that affects a source version.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hit {
    vuln_id: String,
    fixed: Option<String>,
}

/// What all entries of one vulnerability say about a version, accumulated.
#[derive(Default)]
struct Accumulated {
    affected: bool,
    /// Some matching range is open-ended (or closed by `last_affected`): no single upgrade is
    /// known to fix every matching interval.
    open_ended: bool,
    /// `fixed` versions of matching intervals.
    fixes: Vec<String>,
}

/// Evaluates all entries of one source package against its installed version.
///
/// A vulnerability may have several entries and ranges for the same package. It affects the
/// version if any range or `versions` list matches. The fixed version reported is the highest
/// `fixed` among matching intervals (upgrading to it leaves all of them), unless some matching
/// interval has no `fixed` at all, in which case none is reported. A `versions` list match
/// carries no fix information and does not change the fix chosen from ranges.
fn match_source(
    scheme: &dyn VersionScheme,
    source_name: &str,
    version: &str,
    entries: &[AffectedEntry],
) -> Vec<Hit> {
    if entries.is_empty() {
        return Vec::new();
    }
    let version_ok = match scheme.validate(version) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(package = %source_name, %version, error = %e, "installed version cannot be parsed; only exact version lists are checked");
            false
        }
    };
    let mut by_vuln: HashMap<&str, Accumulated> = HashMap::new();
    for entry in entries {
        let acc = by_vuln.entry(entry.vuln_id.as_str()).or_default();
        // Exact strings first; then equal under the scheme (PEP 440's `23.9.0` is `23.9.0.0`).
        if entry.versions.iter().any(|v| {
            v == version || (version_ok && scheme.compare(v, version) == Ok(Ordering::Equal))
        }) {
            acc.affected = true;
        }
        if !version_ok {
            continue;
        }
        for range in &entry.ranges {
            // ECOSYSTEM ranges use the ecosystem's scheme by definition; SEMVER ranges are not
            // expected in distro feeds, and for ecosystems whose scheme is SemVer-compatible the
            // same scheme orders them correctly. (GIT ranges never reach the store.)
            if !matches!(range.kind, RangeKind::Ecosystem | RangeKind::Semver) {
                continue;
            }
            match evaluate_range(scheme, version, &range.events) {
                Ok(RangeMatch::NotAffected) => {}
                Ok(RangeMatch::Affected { fixed }) => {
                    acc.affected = true;
                    match fixed {
                        Some(f) => acc.fixes.push(f),
                        None => acc.open_ended = true,
                    }
                }
                Err(e) => {
                    tracing::warn!(vuln = %entry.vuln_id, package = %source_name, %version, error = %e, "range has a version that cannot be compared; range skipped");
                }
            }
        }
    }
    let mut hits: Vec<Hit> = by_vuln
        .into_iter()
        .filter(|(_, acc)| acc.affected)
        .map(|(id, acc)| Hit {
            vuln_id: id.to_string(),
            fixed: if acc.open_ended {
                None
            } else {
                highest(scheme, acc.fixes)
                    .and_then(|f| first_unaffected(scheme, source_name, id, f, entries))
            },
        })
        .collect();
    hits.sort_by(|a, b| a.vuln_id.cmp(&b.vuln_id));
    hits
}

/// Most hops [`first_unaffected`] follows; real records need one or two.
const MAX_FIX_HOPS: usize = 8;

/// The first version from `fixed` on that the vulnerability no longer affects. A record can
/// list adjacent intervals in separate entries (GO-2023-2185: before 1.20.11, then 1.20.11 up
/// to 1.20.12); upgrading to the first interval's fix would still leave the version affected,
/// so the fix of whichever interval contains it is followed instead. `None` when the chain ends
/// in an open interval or a `versions` list (no known fix).
fn first_unaffected(
    scheme: &dyn VersionScheme,
    package: &str,
    vuln_id: &str,
    mut fixed: String,
    entries: &[AffectedEntry],
) -> Option<String> {
    for _ in 0..MAX_FIX_HOPS {
        let mut next: Option<String> = None;
        let mut listed = false;
        for entry in entries.iter().filter(|e| e.vuln_id == vuln_id) {
            listed |= entry
                .versions
                .iter()
                .any(|v| *v == fixed || scheme.compare(v, &fixed) == Ok(Ordering::Equal));
            for range in &entry.ranges {
                match evaluate_range(scheme, &fixed, &range.events) {
                    Ok(RangeMatch::Affected { fixed: Some(f) }) => {
                        next = Some(match next {
                            Some(n)
                                if scheme.compare(&n, &f).unwrap_or(Ordering::Less)
                                    == Ordering::Greater =>
                            {
                                n
                            }
                            _ => f,
                        });
                    }
                    Ok(RangeMatch::Affected { fixed: None }) => return None,
                    Ok(RangeMatch::NotAffected) | Err(_) => {}
                }
            }
        }
        match next {
            Some(n) if n != fixed => fixed = n,
            // Only an explicit `versions` list still names it: affected, with no known fix.
            None if listed => return None,
            _ => return Some(fixed),
        }
    }
    tracing::debug!(vuln = %vuln_id, %package, "fix chain longer than {MAX_FIX_HOPS} intervals; keeping the last fix");
    Some(fixed)
}

/// The highest version by the scheme; equal-ordering spellings resolve to the larger string so
/// the choice never depends on input order. Unparsable candidates cannot occur (they came out of
/// a successful range evaluation), but would lose rather than win.
fn highest(scheme: &dyn VersionScheme, versions: Vec<String>) -> Option<String> {
    versions.into_iter().reduce(|best, v| {
        match scheme.compare(&v, &best).unwrap_or(Ordering::Less) {
            Ordering::Greater => v,
            Ordering::Equal if v > best => v,
            _ => best,
        }
    })
}

/// One finding per (vulnerability, package) and the number of CVEs its record stood for.
struct Chosen {
    finding: Finding,
    weight: usize,
}

impl Chosen {
    /// When several advisories give the same CVE for the same package (Ubuntu's per-CVE record
    /// and a notice; two errata of one CVE), the one with the highest fix wins, since upgrading
    /// to it leaves every one of them; no fix counts as the highest. On a tie, the advisory
    /// about fewer CVEs (the per-CVE record), then the smaller id.
    fn better_than(&self, old: &Chosen, scheme: &dyn VersionScheme) -> bool {
        let by_fix = match (&self.finding.fixed_version, &old.finding.fixed_version) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => scheme.compare(a, b).unwrap_or(Ordering::Equal),
        };
        by_fix
            .then_with(|| old.weight.cmp(&self.weight))
            .then_with(|| {
                let id = |c: &Chosen| c.finding.aliases.first().cloned().unwrap_or_default();
                id(old).cmp(&id(self))
            })
            == Ordering::Greater
    }
}

fn finding(
    pkg: &Package,
    target: &LookupTarget,
    hit: &Hit,
    record: Option<&VulnRecord>,
    id: &str,
) -> Finding {
    let status = if hit.fixed.is_some() {
        FindingStatus::Fixed
    } else {
        FindingStatus::Affected
    };
    // Reported under a CVE of the record: the record's own id leads the aliases.
    let mut aliases = record.map(|r| r.aliases.clone()).unwrap_or_default();
    // The other CVEs of the same advisory are findings of their own, not aliases of this one.
    if id != hit.vuln_id {
        let other_cve = |a: &str| {
            let a = a.strip_prefix("UBUNTU-").unwrap_or(a);
            a != id && record.is_some_and(|r| r.cves.iter().any(|c| c == a))
        };
        aliases.retain(|a| a != id && *a != hit.vuln_id && !other_cve(a));
        aliases.insert(0, hit.vuln_id.clone());
    }
    Finding {
        vulnerability_id: id.to_string(),
        aliases,
        package_name: pkg.name.clone(),
        // The package's source as its database records it: what the lookup used for Debian,
        // the source rpm for the RHEL family, whose advisories are looked up by binary name.
        source_name: match (pkg.kind.class(), pkg.source_name.is_empty()) {
            (Class::OsPkgs, false) => pkg.source_name.clone(),
            _ => target.name.clone(),
        },
        installed_version: pkg.version.clone(),
        source_version: match (pkg.kind.class(), pkg.source_version.is_empty()) {
            (Class::OsPkgs, false) => pkg.source_version.clone(),
            _ => target.version.clone(),
        },
        ecosystem: pkg.ecosystem,
        kind: pkg.kind,
        path: pkg.path.clone(),
        fixed_version: hit.fixed.clone(),
        severity: record.map(|r| r.severity).unwrap_or(Severity::Unknown),
        cvss_score: record.and_then(|r| r.cvss_score),
        cvss_vector: record.and_then(|r| r.cvss_vector.clone()),
        title: record.map(|r| r.title.clone()).unwrap_or_default(),
        primary_link: record
            .map(|r| r.primary_link.clone())
            .unwrap_or_else(|| format!("https://osv.dev/vulnerability/{}", hit.vuln_id)),
        published: record.and_then(|r| r.published.clone()),
        modified: record.and_then(|r| r.modified.clone()),
        status,
    }
}

/// Package name, then severity (highest first), then vulnerability id, then installed version.
fn compare_findings(a: &Finding, b: &Finding) -> Ordering {
    a.package_name
        .cmp(&b.package_name)
        .then_with(|| b.severity.cmp(&a.severity))
        .then_with(|| a.vulnerability_id.cmp(&b.vulnerability_id))
        .then_with(|| a.installed_version.cmp(&b.installed_version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_advisory::{AffectedRange, Event};

    fn entry(id: &str, events: Vec<Event>) -> AffectedEntry {
        AffectedEntry {
            vuln_id: id.into(),
            ranges: vec![AffectedRange {
                kind: RangeKind::Semver,
                events,
            }],
            versions: vec![],
            ecosystem_specific: None,
        }
    }

    #[test]
    fn fix_skips_intervals_of_the_same_record_that_still_affect_it() {
        // GO-2023-2185's shape: two entries for stdlib, [0, 1.20.11) and [1.20.11, 1.20.12).
        let go: &dyn VersionScheme = &palisade_version::GO;
        let entries = [
            entry(
                "GO-1",
                vec![
                    Event::Introduced("0".into()),
                    Event::Fixed("1.20.11".into()),
                ],
            ),
            entry(
                "GO-1",
                vec![
                    Event::Introduced("1.20.11".into()),
                    Event::Fixed("1.20.12".into()),
                ],
            ),
            entry(
                "GO-2",
                vec![
                    Event::Introduced("0".into()),
                    Event::Fixed("1.20.11".into()),
                ],
            ),
            entry(
                "GO-3",
                vec![Event::Introduced("0".into()), Event::Fixed("1.20.0".into())],
            ),
            entry("GO-3", vec![Event::Introduced("1.20.0".into())]),
        ];
        let hits = match_source(go, "stdlib", "v1.19.8", &entries);
        let fixes: Vec<(&str, Option<&str>)> = hits
            .iter()
            .map(|h| (h.vuln_id.as_str(), h.fixed.as_deref()))
            .collect();
        assert_eq!(
            fixes,
            [
                ("GO-1", Some("1.20.12")),
                ("GO-2", Some("1.20.11")),
                // Every version from the fix on is affected again: no upgrade helps.
                ("GO-3", None)
            ]
        );
    }
}
