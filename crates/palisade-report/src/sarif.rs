//! SARIF 2.1.0: one rule per vulnerability id, one result per finding, for code-scanning
//! dashboards (GitHub, GitLab, Azure DevOps) that ingest SARIF.
//!
//! A finding lives in an installed package, not in a line of source code, so each result points
//! at the package database that recorded the package (`var/lib/dpkg/status`) with a logical
//! location naming the package and its purl. Dashboards that insist on a region get line 1.
//! `security-severity` is the CVSS base score when the advisory has one; dashboards then rank
//! by it, and fall back to `level` otherwise.

use crate::document::{DocumentInput, package_purl};
use crate::{Secret, Vulnerability};
use palisade_cvss::Severity;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF level of a severity: CRITICAL/HIGH fail a gate, MEDIUM warns, the rest informs.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

fn rule(v: &Vulnerability) -> Value {
    let short = if v.title.is_empty() {
        v.vulnerability_id.clone()
    } else {
        v.title.lines().next().unwrap_or_default().to_string()
    };
    let mut props = json!({
        "tags": ["vulnerability", "security", v.severity.as_str()],
        "precision": "very-high",
    });
    if let Some(score) = v.cvss_score {
        props["security-severity"] = json!(format!("{score:.1}"));
    }
    if let Some(vector) = &v.cvss_vector {
        props["cvssVector"] = json!(vector);
    }
    let mut r = json!({
        "id": v.vulnerability_id,
        "name": "OsPackageVulnerability",
        "shortDescription": { "text": short },
        "fullDescription": { "text": v.title },
        "defaultConfiguration": { "level": level(v.severity) },
        "help": {
            "text": format!(
                "Vulnerability {}\nSeverity: {}\n{}\n{}",
                v.vulnerability_id, v.severity, v.title, v.primary_url
            ),
        },
        "properties": props,
    });
    if !v.primary_url.is_empty() {
        r["helpUri"] = json!(v.primary_url);
    }
    r
}

fn message(v: &Vulnerability) -> String {
    format!(
        "Package: {}\nInstalled Version: {}\nVulnerability {}\nSeverity: {}\nFixed Version: {}\nLink: {}",
        v.pkg_name,
        v.installed_version,
        v.vulnerability_id,
        v.severity,
        v.fixed_version.as_deref().unwrap_or("none yet"),
        v.primary_url,
    )
}

/// The rules and results of the report's exposed secrets, rule indexes starting at `first`.
/// Only the engine's masked `Match` line goes into a message, never the secret.
fn secrets(input: &DocumentInput<'_>, first: usize) -> (Vec<Value>, Vec<Value>) {
    let found: Vec<(&str, &Secret)> = input
        .report
        .results
        .iter()
        .flat_map(|r| r.secrets.iter().map(move |s| (r.target.as_str(), s)))
        .collect();
    let mut rules: BTreeMap<&str, &Secret> = BTreeMap::new();
    for (_, s) in &found {
        let e = rules.entry(&s.rule_id).or_insert(s);
        if s.severity > e.severity {
            *e = s;
        }
    }
    let index: BTreeMap<&str, usize> = rules
        .keys()
        .enumerate()
        .map(|(i, k)| (*k, first + i))
        .collect();
    let rule_docs = rules
        .values()
        .map(|s| {
            json!({
                "id": s.rule_id,
                "name": "Secret",
                "shortDescription": { "text": s.title },
                "fullDescription": { "text": s.title },
                "defaultConfiguration": { "level": level(s.severity) },
                "help": {
                    "text": format!("Secret {}\nSeverity: {}\nCategory: {}", s.title, s.severity, s.category),
                },
                "properties": {
                    "tags": ["secret", "security", s.severity.as_str()],
                    "precision": "very-high",
                },
            })
        })
        .collect();
    let results = found
        .iter()
        .map(|(target, s)| {
            let layer = s
                .layer
                .as_ref()
                .and_then(|l| l.digest.as_deref().or(l.diff_id.as_deref()))
                .map(|d| format!("\nLayer: {d}"))
                .unwrap_or_default();
            json!({
                "ruleId": s.rule_id,
                "ruleIndex": index.get(s.rule_id.as_str()).copied().unwrap_or(first),
                "level": level(s.severity),
                "message": {
                    "text": format!(
                        "Artifact: {target}\nType: secret\nSecret {}\nSeverity: {}\nMatch: {}{layer}",
                        s.title, s.severity, s.match_line
                    ),
                },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": target },
                        "region": {
                            "startLine": s.start_line,
                            "startColumn": 1,
                            "endLine": s.end_line,
                            "endColumn": 1,
                        },
                    },
                }],
            })
        })
        .collect();
    (rule_docs, results)
}

/// Renders the scan as a SARIF 2.1.0 log (pretty-printed, newline-terminated).
pub fn to_sarif(input: &DocumentInput<'_>) -> Result<String, serde_json::Error> {
    let os = input.inventory.os.as_ref();
    // One rule per id: the most severe finding of that id describes it.
    let mut rules: BTreeMap<&str, &Vulnerability> = BTreeMap::new();
    for v in input.vulnerabilities() {
        let e = rules.entry(&v.vulnerability_id).or_insert(v);
        if v.severity > e.severity {
            *e = v;
        }
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let mut results: Vec<Value> = input
        .vulnerabilities()
        .map(|v| {
            let pkg = input.packages_of(v).next();
            let db_path = pkg.map_or("var/lib/dpkg/status", |p| p.path.as_str());
            let mut logical = json!({
                "name": v.pkg_id,
                "kind": "package",
            });
            if let Some(p) = pkg {
                logical["fullyQualifiedName"] = json!(package_purl(p, os).to_string());
            }
            json!({
                "ruleId": v.vulnerability_id,
                "ruleIndex": index.get(v.vulnerability_id.as_str()).copied().unwrap_or(0),
                "level": level(v.severity),
                "message": { "text": message(v) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": db_path },
                        "region": { "startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1 },
                    },
                    "logicalLocations": [logical],
                }],
            })
        })
        .collect();
    let mut rule_docs: Vec<Value> = rules.values().map(|v| rule(v)).collect();
    let (secret_rules, secret_results) = secrets(input, rule_docs.len());
    rule_docs.extend(secret_rules);
    results.extend(secret_results);
    let mut driver = json!({
        "name": "palisade",
        "version": input.tool_version,
        "semanticVersion": input.tool_version,
        "rules": rule_docs,
    });
    if let Some(uri) = input.information_uri {
        driver["informationUri"] = json!(uri);
    }
    let meta = &input.report.metadata;
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "results": results,
            "columnKind": "utf16CodeUnits",
            "properties": {
                "artifactName": input.report.artifact_name,
                "artifactType": input.report.artifact_type,
                "imageID": meta.image_id,
                "repoDigests": meta.repo_digests,
                "repoTags": meta.repo_tags,
                "createdAt": input.report.created_at,
            },
        }],
    });
    let mut s = serde_json::to_string_pretty(&log)?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::fixtures;

    fn render(created: &str, uri: Option<&str>) -> Value {
        let (r, i) = (fixtures::report(created), fixtures::inventory());
        let text = to_sarif(&DocumentInput {
            report: &r,
            inventory: &i,
            tool_version: "0.1.0",
            information_uri: uri,
        })
        .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn structure() {
        let log = render(
            "2025-01-02T03:04:05Z",
            Some("https://example.invalid/palisade"),
        );
        assert_eq!(log["version"], "2.1.0");
        assert!(
            log["$schema"]
                .as_str()
                .unwrap()
                .contains("sarif-schema-2.1.0")
        );
        let run = &log["runs"][0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "palisade");
        assert_eq!(driver["informationUri"], "https://example.invalid/palisade");
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 2, "one rule per id");
        assert_eq!(rules[0]["id"], "CVE-2023-4911");
        assert_eq!(rules[0]["properties"]["security-severity"], "7.8");
        assert_eq!(
            rules[0]["helpUri"],
            "https://osv.dev/vulnerability/CVE-2023-4911"
        );
        assert!(rules[1]["properties"].get("security-severity").is_none());
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3, "one result per finding");
        let bsd = results
            .iter()
            .find(|r| r["ruleId"] == "CVE-2024-28085")
            .unwrap();
        assert_eq!(bsd["level"], "note");
        assert_eq!(bsd["ruleIndex"], 1);
        let text = bsd["message"]["text"].as_str().unwrap();
        assert!(
            text.contains("bsdutils") && text.contains("1:2.38.1-5+b1"),
            "{text}"
        );
        let libc = results
            .iter()
            .find(|r| {
                r["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("Package: libc6\n")
            })
            .unwrap();
        assert_eq!(libc["level"], "error");
        assert!(
            libc["message"]["text"]
                .as_str()
                .unwrap()
                .contains("2.36-9+deb12u3")
        );
        let loc = &libc["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "var/lib/dpkg/status"
        );
        assert_eq!(
            loc["logicalLocations"][0]["fullyQualifiedName"],
            "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12.7"
        );
    }

    #[test]
    fn levels() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Unknown), "note");
    }

    #[test]
    fn deterministic() {
        assert_eq!(
            render("2025-01-02T03:04:05Z", None),
            render("2025-01-02T03:04:05Z", None)
        );
        assert!(
            render("2025-01-02T03:04:05Z", None)["runs"][0]["tool"]["driver"]
                .get("informationUri")
                .is_none()
        );
    }
}
