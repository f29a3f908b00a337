//! `palisade image`: the arguments turned into a call of the scan pipeline (`palisade-scan`).

use crate::cli::ImageArgs;
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use palisade_scan::{ReportOptions, Scanned};
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
    let analysed = palisade_scan::analyse_image(&args.image, &source, &opts)?;
    let inventory = analysed.inventory;
    if !args.report.quiet {
        if inventory.os.is_none() {
            tracing::warn!(image = %args.image, "no supported OS detected; OS packages were not scanned");
        }
        for w in &inventory.warnings {
            tracing::warn!(image = %args.image, "skipped: {w}");
        }
    }
    let filter = args.report.filter();
    Ok(palisade_scan::match_and_report(
        &db,
        analysed.metadata,
        inventory,
        &ReportOptions {
            artifact_name: &args.image,
            artifact_type: "container_image",
            filter: &filter,
            list_all_pkgs: args.report.list_all_pkgs,
        },
    )?)
}
