//! The scan pipeline as a library.
//!
//! `palisade image`, `palisade sbom` and `palisade scan-job` are three doors into the same
//! steps, and they must not drift apart: a scan Job's inventory has to be exactly the one an
//! image scan would match, and a BOM scan has to give the image scan's findings. So the steps
//! live here, once:
//! - [`analyse_image`]: a source to an [`Analysed`] image (its report metadata and inventory),
//!   with no advisory database, which is what lets scan Jobs run without one;
//! - [`match_and_report`]: an inventory, matched against a database and filtered, to a
//!   [`Scanned`] report;
//! - [`build_report`]: the report of an inventory and its findings.
//!
//! The binary keeps only argument parsing, progress and output.
//!
//! Exposed secrets ([`secrets`]) are found in the same layer walk: [`analyse_image_with`] with
//! a [`SecretScanner`] offers every file to the engine and returns the findings per layer, which
//! [`add_secret_results`] turns into `Class: "secret"` results.

mod secrets;

pub use secrets::{
    ScanInterest, SecretConfigError, SecretScanner, config_secrets, layer_secrets, to_secrets,
};

use palisade_image::{ImageError, ImageMetadata, ImageSource, PullOptions};
use palisade_inventory::{Inventory, InventoryError};
use palisade_match::{Finding, MatchError};
use palisade_report::{Filter, Metadata, OsMeta, Report, SecretFile};

/// Why a scan could not be done. Each variant names what it was working on.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The image could not be read (boxed: image errors are large, and a scan's `Result` is
    /// passed around by value).
    #[error(transparent)]
    Image(Box<ImageError>),
    /// The image's package databases are unreadable.
    #[error("analysing the packages of {name}: {source}")]
    Inventory {
        /// The image.
        name: String,
        /// What is wrong.
        #[source]
        source: Box<InventoryError>,
    },
    /// Matching failed (a database read error).
    #[error("matching {name} against the advisory database: {source}")]
    Match {
        /// The image or SBOM.
        name: String,
        /// What failed.
        #[source]
        source: Box<MatchError>,
    },
}

impl From<ImageError> for ScanError {
    fn from(e: ImageError) -> Self {
        ScanError::Image(Box::new(e))
    }
}

/// A finished scan: the report (findings filtered) and the full inventory behind it, which the
/// SBOM formats list whatever the filters.
#[derive(Debug)]
pub struct Scanned {
    /// The report.
    pub report: Report,
    /// Every package found.
    pub inventory: Inventory,
}

/// An image pulled and analysed, before any matching.
#[derive(Debug)]
pub struct Analysed {
    /// The report's view of the image (`os` is filled in later, from the inventory).
    pub metadata: Metadata,
    /// What the image reader learnt (manifest digest, layers), for progress messages.
    pub image: ImageMetadata,
    /// The OS and packages.
    pub inventory: Inventory,
    /// Exposed secrets, per layer and in the image config (empty unless secret scanning was
    /// asked for).
    pub secrets: Vec<SecretFile>,
}

/// Reads `source` (named `name` in reports) with every analyzer and builds its inventory.
pub fn analyse_image(
    name: &str,
    source: &ImageSource,
    opts: &PullOptions,
) -> Result<Analysed, ScanError> {
    analyse_image_with(name, source, opts, None)
}

/// [`analyse_image`], and with `secrets` also every file of every layer and the image config
/// scanned for exposed secrets in the same single read of each layer.
pub fn analyse_image_with(
    name: &str,
    source: &ImageSource,
    opts: &PullOptions,
    secrets: Option<&SecretScanner>,
) -> Result<Analysed, ScanError> {
    let analyzers = palisade_inventory::interest();
    let interest = ScanInterest::new(&analyzers, secrets);
    let mut image = palisade_image::read_image(source, opts, &interest)?;
    image.metadata.name = name.to_string();
    let mut found = Vec::new();
    if let Some(s) = secrets {
        found = layer_secrets(
            &image.metadata.layers,
            &image.layer_records,
            &image.metadata.runtime.layer_created_by,
        );
        found.extend(config_secrets(s.scanner(), &image.metadata));
        // Counts only: a log line never carries a secret or its masked line.
        tracing::info!(
            image = name,
            files = found.len(),
            secrets = found.iter().map(|f| f.secrets.len()).sum::<usize>(),
            "secret scan done"
        );
    }
    let inventory =
        palisade_inventory::analyze(&image.tree).map_err(|source| ScanError::Inventory {
            name: name.to_string(),
            source: Box::new(source),
        })?;
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
        secrets: found,
    })
}

/// Appends the secret results (one per file, severities filtered) after the package results.
pub fn add_secret_results(report: &mut Report, secrets: &[SecretFile], filter: &Filter) {
    report
        .results
        .extend(palisade_report::secret_results(secrets, filter));
}

/// What a report is about and how it is cut down.
#[derive(Debug, Clone)]
pub struct ReportOptions<'a> {
    /// The artifact as the user named it.
    pub artifact_name: &'a str,
    /// `container_image` or `cyclonedx`.
    pub artifact_type: &'a str,
    /// Severity and fix filters.
    pub filter: &'a Filter,
    /// Whether results list every package (`--list-all-pkgs`).
    pub list_all_pkgs: bool,
}

/// Matches an inventory against `db` and builds its report.
pub fn match_and_report(
    db: &palisade_advisory::Database,
    metadata: Metadata,
    inventory: Inventory,
    opts: &ReportOptions<'_>,
) -> Result<Scanned, ScanError> {
    let findings =
        palisade_match::match_inventory(db, &inventory).map_err(|source| ScanError::Match {
            name: opts.artifact_name.to_string(),
            source: Box::new(source),
        })?;
    Ok(build_report(metadata, inventory, &findings, opts))
}

/// Assembles the report of a matched inventory; `metadata.os` is filled here from the
/// inventory, the rest comes from the caller.
pub fn build_report(
    mut metadata: Metadata,
    inventory: Inventory,
    findings: &[Finding],
    opts: &ReportOptions<'_>,
) -> Scanned {
    let results = palisade_report::results(
        opts.artifact_name,
        &inventory,
        findings,
        opts.filter,
        opts.list_all_pkgs,
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
        created_at,
        artifact_name: opts.artifact_name.to_string(),
        artifact_type: opts.artifact_type.to_string(),
        metadata,
        results,
    };
    Scanned { report, inventory }
}
