//! `palisade image`: reference → layers → file tree → inventory → findings → report.

use crate::cli::{ImageArgs, ReportArgs};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use palisade_inventory::Inventory;
use palisade_report::{Filter, Metadata, OsMeta, Report};
use std::io::IsTerminal;

/// A progress bar on stderr when it is a terminal; `None` otherwise, so logs and CI output stay
/// clean.
pub fn progress_bar(unit: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template(&format!(
        "{{spinner}} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} {unit}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// A finished scan: the report (findings filtered) and the full inventory behind it, which the
/// SBOM formats list whatever the filters.
pub struct Scanned {
    pub report: Report,
    pub inventory: Inventory,
}

/// Scans one image and builds its report, before output filtering by format.
pub fn scan_image(args: &ImageArgs) -> Result<Scanned> {
    // Open the database first: a missing database should fail before any download.
    let db_path = args.report.db.path()?;
    let db = palisade_advisory::Database::open(&db_path)?;

    let platform = args
        .platform
        .as_deref()
        .map(palisade_image::Platform::parse)
        .transpose()?;
    let credentials = match (&args.username, &args.password) {
        (Some(u), Some(p)) => Some(palisade_image::Credentials {
            username: u.clone(),
            password: p.clone(),
        }),
        (Some(_), None) | (None, Some(_)) => {
            anyhow::bail!("--username and --password must be given together")
        }
        (None, None) => None,
    };
    let opts = palisade_image::PullOptions {
        platform,
        insecure: args.insecure,
        credentials,
        docker_config: args.registry_config.clone(),
        ..Default::default()
    };
    let interest = palisade_inventory::interest();
    let image = palisade_image::read_image_str(&args.image, &opts, &interest)?;
    let inventory = palisade_inventory::analyze(&image.tree)
        .with_context(|| format!("analysing the packages of {}", args.image))?;
    if inventory.os.is_none() && !args.report.quiet {
        tracing::warn!(image = %args.image, "no supported OS detected; OS packages were not scanned");
    }
    let findings = palisade_match::match_inventory(&db, &inventory)
        .with_context(|| format!("matching {} against {}", args.image, db_path.display()))?;

    let meta = &image.metadata;
    let mut repo_tags = meta.repo_tags.clone();
    if repo_tags.is_empty()
        && let Some(r) = &meta.reference
        && r.tag.is_some()
    {
        repo_tags.push(r.to_string());
    }
    let metadata = Metadata {
        os: None,
        image_id: meta.config_digest.clone(),
        diff_ids: meta.diff_ids.clone(),
        repo_tags,
        repo_digests: meta.repo_digest.iter().cloned().collect(),
        platform: meta.platform.to_string(),
    };
    Ok(build_report(
        &args.image,
        "container_image",
        metadata,
        inventory,
        &findings,
        &args.report,
    ))
}

/// Assembles the report of a matched inventory; `metadata.os` is filled here from the
/// inventory, the rest comes from the caller.
pub fn build_report(
    artifact_name: &str,
    artifact_type: &str,
    mut metadata: Metadata,
    inventory: Inventory,
    findings: &[palisade_match::Finding],
    args: &ReportArgs,
) -> Scanned {
    let filter = Filter {
        severities: args.severity.clone(),
        ignore_unfixed: args.ignore_unfixed,
    };
    let result = palisade_report::os_result(
        artifact_name,
        &inventory,
        findings,
        &filter,
        args.list_all_pkgs,
    );
    let created_at = palisade_report::now_rfc3339();
    let today = &created_at[..10];
    metadata.os = inventory.os.as_ref().map(|os| OsMeta {
        family: os.family.to_string(),
        name: os.version.clone(),
        eosl: os.eosl_on(today).unwrap_or(false),
        eol_date: os.eol_date.clone(),
    });
    let report = Report {
        schema_version: palisade_report::SCHEMA_VERSION,
        created_at: created_at.clone(),
        artifact_name: artifact_name.to_string(),
        artifact_type: artifact_type.to_string(),
        metadata,
        results: result.into_iter().collect(),
    };
    Scanned { report, inventory }
}
