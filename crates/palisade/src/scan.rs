//! `palisade image`: reference → layers → file tree → inventory → findings → report.

use crate::cli::ImageArgs;
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

/// An image pulled and analysed, before any matching: what `palisade image` and
/// `palisade scan-job` share, so the job's inventory is exactly the one a scan would match.
pub struct Analysed {
    /// The report's view of the image (`os` is filled in later, from the inventory).
    pub metadata: Metadata,
    /// What the image reader learnt (manifest digest, layers), for progress messages.
    pub image: palisade_image::ImageMetadata,
    /// The OS and packages.
    pub inventory: Inventory,
}

/// Reads `source` (named `name` in reports) and analyses its packages. Needs no advisory
/// database, which is what lets scan Jobs run without one.
pub fn analyse_image(
    name: &str,
    source: &palisade_image::ImageSource,
    opts: &palisade_image::PullOptions,
) -> Result<Analysed> {
    let interest = palisade_inventory::interest();
    let mut image = palisade_image::read_image(source, opts, &interest)?;
    image.metadata.name = name.to_string();
    let inventory = palisade_inventory::analyze(&image.tree)
        .with_context(|| format!("analysing the packages of {name}"))?;
    let meta = image.metadata;
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
    Ok(Analysed {
        metadata,
        image: meta,
        inventory,
    })
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
        docker_configs: args.registry_config.clone(),
        cache: if args.no_cache {
            None
        } else {
            args.cache_dir
                .clone()
                .or_else(palisade_image::LayerCache::default_dir)
                .map(palisade_image::LayerCache::new)
        },
        ..Default::default()
    };
    let source = palisade_image::parse_source(&args.image)?;
    let analysed = analyse_image(&args.image, &source, &opts)?;
    let inventory = analysed.inventory;
    if !args.report.quiet {
        if inventory.os.is_none() {
            tracing::warn!(image = %args.image, "no supported OS detected; OS packages were not scanned");
        }
        for w in &inventory.warnings {
            tracing::warn!(image = %args.image, "skipped: {w}");
        }
    }
    let findings = palisade_match::match_inventory(&db, &inventory)
        .with_context(|| format!("matching {} against {}", args.image, db_path.display()))?;
    Ok(build_report(
        &args.image,
        "container_image",
        analysed.metadata,
        inventory,
        &findings,
        &args.report.filter(),
        args.report.list_all_pkgs,
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
    filter: &Filter,
    list_all_pkgs: bool,
) -> Scanned {
    let results =
        palisade_report::results(artifact_name, &inventory, findings, filter, list_all_pkgs);
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
        results,
    };
    Scanned { report, inventory }
}
