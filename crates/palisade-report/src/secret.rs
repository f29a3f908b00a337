//! Exposed secrets in the report: Trivy's `Class: "secret"` results, one per file, each secret
//! with its code excerpt (already redacted by the engine) and the layer that holds it.
//!
//! The report never sees a secret: what arrives here is the engine's masked `Match` and code
//! lines, so every format written from the report is safe to print and to store.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use palisade_cvss::Severity;
use serde::{Deserialize, Serialize};

use crate::{Filter, ScanResult};

/// The `Class` of secret results.
pub const SECRET_CLASS: &str = "secret";

/// One exposed secret, as Trivy's JSON `Secrets[]` spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Secret {
    /// Rule id (`aws-access-key-id`, `palisade-vault-token`, a custom rule's id).
    #[serde(rename = "RuleID")]
    pub rule_id: String,
    /// Rule category (`AWS`, `GitHub`, …).
    pub category: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The rule's title.
    pub title: String,
    /// First line of the secret, 1-based.
    pub start_line: u64,
    /// Last line of the secret.
    pub end_line: u64,
    /// The lines around the secret, every secret of the file masked.
    pub code: Code,
    /// The line holding the secret, masked.
    #[serde(rename = "Match")]
    pub match_line: String,
    /// The layer whose copy of the file holds the secret; absent for the image config.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub layer: Option<SecretLayer>,
    /// Byte offset of the secret in the file.
    #[serde(default)]
    pub offset: u64,
}

/// Trivy's `Code` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    /// The excerpt, in line order.
    pub lines: Vec<CodeLine>,
}

/// One line of a [`Code`] excerpt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeLine {
    /// 1-based line number.
    pub number: u64,
    /// The (masked, possibly cut) line.
    pub content: String,
    /// Whether the secret is on this line.
    pub is_cause: bool,
    /// Trivy's annotation (always empty here).
    #[serde(default)]
    pub annotation: String,
    /// Whether `content` was cut from a longer line.
    #[serde(default)]
    pub truncated: bool,
    /// The line as shown highlighted; the same text as `content` in JSON (left out when
    /// empty, as Trivy does).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub highlighted: String,
    /// First line of the secret.
    pub first_cause: bool,
    /// Last line of the secret.
    pub last_cause: bool,
}

/// The layer a secret was found in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretLayer {
    /// Blob digest of the layer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub digest: Option<String>,
    /// Uncompressed digest of the layer.
    #[serde(rename = "DiffID", skip_serializing_if = "Option::is_none", default)]
    pub diff_id: Option<String>,
    /// The build step that made the layer (`history[].created_by`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created_by: Option<String>,
}

/// The secrets of one file (or the image config) as found in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFile {
    /// The file's path in the image, or the image config's target name.
    pub target: String,
    /// Its secrets, in file order.
    pub secrets: Vec<Secret>,
}

/// Builds the secret results: one per target (a file found with secrets in two layers gives one
/// result listing both layers' secrets, lower layer first), sorted by target, severities
/// filtered. Targets left without secrets after filtering have no result.
pub fn secret_results(files: &[SecretFile], filter: &Filter) -> Vec<ScanResult> {
    let mut by_target: BTreeMap<&str, Vec<Secret>> = BTreeMap::new();
    for f in files {
        let kept = f
            .secrets
            .iter()
            .filter(|s| filter.severities.is_empty() || filter.severities.contains(&s.severity))
            .cloned();
        by_target.entry(&f.target).or_default().extend(kept);
    }
    by_target
        .into_iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(target, secrets)| ScanResult {
            target: target.to_string(),
            class: SECRET_CLASS.to_string(),
            kind: String::new(),
            packages: None,
            vulnerabilities: Vec::new(),
            secrets,
        })
        .collect()
}

/// Counts per severity, in the order tables print them.
pub fn secret_severity_counts(secrets: &[Secret]) -> [(Severity, usize); 5] {
    [
        Severity::Unknown,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .map(|s| (s, secrets.iter().filter(|x| x.severity == s).count()))
}

/// The table of one secret result, laid out like Trivy's: the file, a total by severity, then
/// each secret with its rule, title, place, layer and the masked lines around it.
pub(crate) fn render_secret_result(out: &mut String, result: &ScanResult) {
    let heading = format!("{} (secrets)", result.target);
    let _ = writeln!(out);
    let _ = writeln!(out, "{heading}");
    let _ = writeln!(out, "{}", "=".repeat(heading.chars().count()));
    let parts: Vec<String> = secret_severity_counts(&result.secrets)
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    let _ = writeln!(
        out,
        "Total: {} ({})",
        result.secrets.len(),
        parts.join(", ")
    );
    let _ = writeln!(out);
    let rule = "─".repeat(70);
    for s in &result.secrets {
        let _ = writeln!(out, "{}: {} ({})", s.severity, s.category, s.rule_id);
        let _ = writeln!(out, "{}", "═".repeat(70));
        let _ = writeln!(out, "{}", s.title);
        let _ = writeln!(out, "{rule}");
        let place = match &s.layer {
            Some(l) => format!(
                " {}:{} (layer {})",
                result.target,
                s.start_line,
                l.digest.as_deref().or(l.diff_id.as_deref()).unwrap_or("?")
            ),
            None => format!(" {}:{}", result.target, s.start_line),
        };
        let _ = writeln!(out, "{place}");
        let _ = writeln!(out, "{rule}");
        for l in &s.code.lines {
            let mark = if l.is_cause { "[" } else { " " };
            let _ = writeln!(out, "{:>5} {mark} {}", l.number, l.content);
        }
        let _ = writeln!(out, "{rule}");
        let _ = writeln!(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn secret(rule: &str, sev: Severity, line: u64) -> Secret {
        Secret {
            rule_id: rule.into(),
            category: "AWS".into(),
            severity: sev,
            title: "AWS Access Key ID".into(),
            start_line: line,
            end_line: line,
            code: Code {
                lines: vec![CodeLine {
                    number: line,
                    content: "KEY=****".into(),
                    is_cause: true,
                    annotation: String::new(),
                    truncated: false,
                    highlighted: "KEY=****".into(),
                    first_cause: true,
                    last_cause: true,
                }],
            },
            match_line: "KEY=****".into(),
            layer: Some(SecretLayer {
                digest: Some("sha256:aa".into()),
                diff_id: Some("sha256:bb".into()),
                created_by: None,
            }),
            offset: 4,
        }
    }

    #[test]
    fn results_group_by_target_and_filter_severities() {
        let files = vec![
            SecretFile {
                target: "b/.env".into(),
                secrets: vec![secret("r1", Severity::Critical, 1)],
            },
            SecretFile {
                target: "a/run.sh".into(),
                secrets: vec![secret("r2", Severity::Low, 3)],
            },
            SecretFile {
                target: "b/.env".into(),
                secrets: vec![secret("r3", Severity::High, 2)],
            },
        ];
        let all = secret_results(&files, &Filter::default());
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].target, "a/run.sh");
        assert_eq!(all[1].secrets.len(), 2);
        assert_eq!(all[1].class, "secret");
        let high = Filter {
            severities: vec![Severity::High, Severity::Critical],
            ..Filter::default()
        };
        let some = secret_results(&files, &high);
        assert_eq!(some.len(), 1, "a/run.sh has only a LOW secret");
        let json = serde_json::to_value(&some[0]).unwrap();
        assert_eq!(json["Secrets"][0]["RuleID"], "r1");
        assert_eq!(json["Secrets"][0]["Layer"]["DiffID"], "sha256:bb");
        assert_eq!(json["Secrets"][0]["Code"]["Lines"][0]["IsCause"], true);
        assert!(json.get("Type").is_none());
    }

    #[test]
    fn table_lists_each_secret_with_its_layer() {
        let r = secret_results(
            &[SecretFile {
                target: "app/.env".into(),
                secrets: vec![secret("aws-access-key-id", Severity::Critical, 4)],
            }],
            &Filter::default(),
        );
        let mut out = String::new();
        render_secret_result(&mut out, &r[0]);
        assert!(out.contains("app/.env (secrets)"), "{out}");
        assert!(out.contains("Total: 1 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1)"));
        assert!(out.contains("CRITICAL: AWS (aws-access-key-id)"));
        assert!(out.contains("app/.env:4 (layer sha256:aa)"));
        assert!(out.contains("    4 [ KEY=****"), "{out}");
    }
}
