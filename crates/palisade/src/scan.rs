//! `palisade image`: the arguments turned into a call of the scan pipeline (`palisade-scan`).

use crate::cli::{ImageArgs, ScannerKind};
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
    let vuln = args.scanners.contains(&ScannerKind::Vuln);
    // Open the database first: a missing database should fail before any download.
    let db = if vuln {
        let db_path = args.report.db.path()?;
        Some(palisade_advisory::Database::open(&db_path)?)
    } else {
        None
    };
    let secrets = secret_scanner(args)?;

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
    let analysed =
        palisade_scan::analyse_image_with(&args.image, &source, &opts, secrets.as_ref())?;
    let inventory = analysed.inventory;
    if !args.report.quiet && vuln {
        if inventory.os.is_none() {
            tracing::warn!(image = %args.image, "no supported OS detected; OS packages were not scanned");
        }
        for w in &inventory.warnings {
            tracing::warn!(image = %args.image, "skipped: {w}");
        }
    }
    let filter = args.report.filter();
    let report_opts = ReportOptions {
        artifact_name: &args.image,
        artifact_type: "container_image",
        filter: &filter,
        list_all_pkgs: args.report.list_all_pkgs,
    };
    let mut scanned = match &db {
        Some(db) => {
            palisade_scan::match_and_report(db, analysed.metadata, inventory, &report_opts)?
        }
        None => {
            let mut s =
                palisade_scan::build_report(analysed.metadata, inventory, &[], &report_opts);
            s.report.results.clear();
            s
        }
    };
    palisade_scan::add_secret_results(&mut scanned.report, &analysed.secrets, &filter);
    Ok(scanned)
}

/// The secret engine `--scanners` and `--secret-config` ask for; `None` when secrets are not
/// scanned, so no file is read for them.
fn secret_scanner(args: &ImageArgs) -> Result<Option<palisade_scan::SecretScanner>> {
    if !args.scanners.contains(&ScannerKind::Secret) {
        if let Some(p) = &args.secret_config {
            tracing::warn!(config = %p.display(), "--secret-config is ignored: --scanners has no secret");
        }
        return Ok(None);
    }
    let Some(path) = &args.secret_config else {
        return Ok(Some(palisade_scan::SecretScanner::builtin()));
    };
    let (scanner, problems) = palisade_scan::SecretScanner::from_config_file(path)?;
    for p in problems {
        tracing::warn!("{p}");
    }
    Ok(Some(scanner))
}
