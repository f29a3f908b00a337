//! The terminal table, laid out like Trivy's so people read it at a glance: a target heading,
//! a total by severity, then one row per finding with repeated package names blanked.

use crate::{Report, ScanResult, severity_counts};
use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL};
use owo_colors::OwoColorize;
use palisade_cvss::Severity;
use std::fmt::Write as _;

const TITLE_WIDTH: usize = 60;

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Red,
        Severity::High => Color::DarkYellow,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
        Severity::Unknown => Color::Grey,
    }
}

fn shorten(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= max {
        line.to_string()
    } else {
        let cut: String = line.chars().take(max.saturating_sub(3)).collect();
        format!("{}...", cut.trim_end())
    }
}

/// Renders the whole report. `color` adds ANSI colors; callers pass whether stdout is a terminal.
pub fn render_table(report: &Report, color: bool) -> String {
    let mut out = String::new();
    if report.results.is_empty() {
        let _ = writeln!(
            out,
            "{}: no supported operating system or packages found; nothing to match",
            report.artifact_name
        );
        return out;
    }
    for result in &report.results {
        render_result(&mut out, result, color);
    }
    if let Some(os) = &report.metadata.os
        && os.eosl
    {
        let msg = format!(
            "WARNING: {} {} is past its end of life{}; its advisories may be incomplete.",
            os.family,
            os.name,
            os.eol_date
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "{}",
            if color { msg.yellow().to_string() } else { msg }
        );
    }
    out
}

fn render_result(out: &mut String, result: &ScanResult, color: bool) {
    if result.class == crate::SECRET_CLASS {
        crate::secret::render_secret_result(out, result);
        return;
    }
    // Trivy's headings: the OS result's target already names the OS; language results add
    // their type, `Python (python-pkg)`, `usr/local/bin/app (gobinary)`.
    let heading = &if result.class == "lang-pkgs" {
        format!("{} ({})", result.target, result.kind)
    } else {
        result.target.clone()
    };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}",
        if color {
            heading.bold().to_string()
        } else {
            heading.clone()
        }
    );
    let _ = writeln!(out, "{}", "=".repeat(heading.chars().count()));
    let counts = severity_counts(&result.vulnerabilities);
    let parts: Vec<String> = counts
        .iter()
        .map(|(s, n)| {
            let text = format!("{s}: {n}");
            if color && *n > 0 {
                match s {
                    Severity::Critical => text.red().bold().to_string(),
                    Severity::High => text.bright_red().to_string(),
                    Severity::Medium => text.yellow().to_string(),
                    Severity::Low => text.blue().to_string(),
                    Severity::Unknown => text,
                }
            } else {
                text
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "Total: {} ({})",
        result.vulnerabilities.len(),
        parts.join(", ")
    );
    if result.vulnerabilities.is_empty() {
        let _ = writeln!(out);
        return;
    }
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "Library",
            "Vulnerability",
            "Severity",
            "Status",
            "Installed Version",
            "Fixed Version",
            "Title",
        ]);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    let mut last_pkg: Option<(&str, &str, Option<&str>)> = None;
    for v in &result.vulnerabilities {
        let key = (
            v.pkg_name.as_str(),
            v.installed_version.as_str(),
            v.pkg_path.as_deref(),
        );
        let same = last_pkg == Some(key);
        last_pkg = Some(key);
        let sev = Cell::new(v.severity.to_string());
        let sev = if color {
            sev.fg(severity_color(v.severity))
        } else {
            sev
        };
        table.add_row(vec![
            Cell::new(if same { String::new() } else { library(v) }),
            Cell::new(&v.vulnerability_id),
            sev,
            Cell::new(&v.status),
            Cell::new(if same {
                ""
            } else {
                v.installed_version.as_str()
            }),
            Cell::new(v.fixed_version.as_deref().unwrap_or("")),
            Cell::new(format!(
                "{}\n{}",
                shorten(&v.title, TITLE_WIDTH),
                v.primary_url
            )),
        ]);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{table}");
    let _ = writeln!(out);
}

/// The library column: the name, and for results gathered from many files the file's name,
/// as Trivy prints `Django (METADATA)`.
fn library(v: &crate::Vulnerability) -> String {
    match v.pkg_path.as_deref().and_then(|p| p.rsplit('/').next()) {
        Some(file) if !file.is_empty() => format!("{} ({file})", v.pkg_name),
        _ => v.pkg_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::vuln;
    use crate::{Metadata, OsMeta};

    fn report() -> Report {
        Report {
            schema_version: 2,
            created_at: "2026-01-01T00:00:00Z".into(),
            artifact_name: "debian:12".into(),
            artifact_type: "container_image".into(),
            metadata: Metadata {
                os: Some(OsMeta {
                    family: "debian".into(),
                    name: "12.7".into(),
                    eosl: false,
                    eol_date: None,
                }),
                ..Default::default()
            },
            results: vec![ScanResult {
                target: "debian:12 (debian 12.7)".into(),
                class: "os-pkgs".into(),
                kind: "debian".into(),
                packages: None,
                vulnerabilities: vec![
                    vuln(
                        "libc6",
                        "CVE-2024-1",
                        Severity::Critical,
                        Some("2.36-9+deb12u4"),
                    ),
                    vuln("libc6", "CVE-2024-2", Severity::Low, None),
                    vuln("zlib1g", "CVE-2023-3", Severity::High, Some("1:1.2.13")),
                ],
                secrets: Vec::new(),
            }],
        }
    }

    #[test]
    fn table_has_heading_totals_and_grouped_rows() {
        let text = render_table(&report(), false);
        assert!(
            text.contains("debian:12 (debian 12.7)\n=======================\n"),
            "{text}"
        );
        assert!(
            text.contains("Total: 3 (UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 1, CRITICAL: 1)"),
            "{text}"
        );
        assert_eq!(text.matches("libc6").count(), 1, "{text}");
        assert!(text.contains("CVE-2024-2"));
        assert!(!text.contains('\u{1b}'), "no ANSI codes without color");
        let colored = render_table(&report(), true);
        assert!(colored.contains('\u{1b}'));
    }

    #[test]
    fn titles_are_shortened_to_one_line() {
        assert_eq!(shorten("short\nsecond line", 60), "short");
        let long = "x".repeat(100);
        assert_eq!(shorten(&long, 10).chars().count(), 10);
    }
}
