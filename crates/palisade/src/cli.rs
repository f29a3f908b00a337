//! Command-line definitions and dispatch.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use palisade_cvss::Severity;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Palisade scans container images for known vulnerabilities.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, propagate_version = true)]
pub struct Cli {
    /// Log debug details to stderr (or set PALISADE_LOG=debug).
    #[arg(long, global = true)]
    pub debug: bool,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether the user asked for silence on stderr.
    pub fn quiet(&self) -> bool {
        match &self.command {
            Command::Image(a) => a.report.quiet,
            Command::Sbom(a) => a.report.quiet,
            _ => false,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a container image: a registry reference, oci:DIR[:TAG], or an archive file.
    Image(ImageArgs),
    /// Scan a CycloneDX JSON SBOM (from `palisade image --format cyclonedx`, Trivy, or any tool
    /// writing pkg:deb purls) for vulnerabilities, without the image.
    Sbom(SbomArgs),
    /// Run inside an operator scan Job: pull one image, build its inventory and send it to the
    /// operator.
    ScanJob(ScanJobArgs),
    /// Build and inspect the advisory database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Run the Kubernetes operator: keep a VulnerabilityReport and an SbomReport (Trivy
    /// Operator's kinds) for every container of every workload.
    Operator(Box<crate::operator::OperatorArgs>),
    /// Print the CustomResourceDefinitions of Palisade's reports (Trivy Operator's
    /// aquasecurity.github.io/v1alpha1 kinds) as a YAML stream for `kubectl apply -f -`.
    Crds,
    /// Measure the floor for benchmarks: read and decompress every layer of an OCI layout and
    /// walk its tar entries, doing nothing else.
    #[command(hide = true)]
    BenchFloor {
        /// An OCI image layout directory.
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// Palisade's Trivy-compatible JSON report.
    Json,
    /// A CycloneDX 1.6 JSON SBOM with the findings as vulnerabilities.
    Cyclonedx,
    /// An SPDX 2.3 JSON SBOM (packages only).
    SpdxJson,
    /// A SARIF 2.1.0 log, one result per finding.
    Sarif,
}

/// What `palisade image` looks for, as Trivy's `--scanners` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScannerKind {
    /// Known vulnerabilities in OS and language packages.
    Vuln,
    /// Exposed secrets in every file of every layer and in the image config.
    Secret,
}

#[derive(Debug, Args)]
pub struct DbArg {
    /// Advisory database file [default: $PALISADE_DB, else ~/.cache/palisade/palisade.db].
    #[arg(long, env = "PALISADE_DB")]
    pub db: Option<PathBuf>,
}

impl DbArg {
    pub fn path(&self) -> Result<PathBuf> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .context("no --db given and neither XDG_CACHE_HOME nor HOME is set")?;
        Ok(base.join("palisade").join("palisade.db"))
    }
}

/// How a scan's findings are filtered and written; shared by `image` and `sbom`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Severities to report, comma-separated (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, short = 's', value_delimiter = ',')]
    pub severity: Vec<Severity>,
    /// Hide vulnerabilities that have no fixed version yet.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Exit with this code when any vulnerability or secret remains after filtering.
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
    /// Print nothing on stderr but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// List every installed package in the JSON report.
    #[arg(long)]
    pub list_all_pkgs: bool,
}

impl ReportArgs {
    /// The findings filter these flags ask for.
    pub fn filter(&self) -> palisade_report::Filter {
        palisade_report::Filter {
            severities: self.severity.clone(),
            ignore_unfixed: self.ignore_unfixed,
        }
    }
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// The image: `debian:12`, `ghcr.io/o/r:tag`, `repo@sha256:…`, `oci:DIR[:TAG]`,
    /// `docker-archive:FILE`, `oci-archive:FILE`, or an archive file path.
    pub image: String,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Platform to pick from a multi-platform image, e.g. linux/arm64 [default: this host's].
    #[arg(long)]
    pub platform: Option<String>,
    /// Use plain HTTP for this registry even when it is not on loopback.
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name.
    #[arg(long, env = "PALISADE_USERNAME")]
    pub username: Option<String>,
    /// Registry password or token.
    #[arg(long, env = "PALISADE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// A docker config.json, Kubernetes .dockerconfigjson or .dockercfg file with registry
    /// credentials, or a directory holding one (repeatable; the first match per registry wins)
    /// [default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json].
    #[arg(long)]
    pub registry_config: Vec<PathBuf>,
    /// Where analysed layers are cached by digest, so images sharing base layers read only
    /// their own [default: $XDG_CACHE_HOME/palisade/layers, else ~/.cache/palisade/layers].
    #[arg(long, env = "PALISADE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// What to scan for, comma-separated: vuln, secret.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "vuln,secret")]
    pub scanners: Vec<ScannerKind>,
    /// A trivy-secret.yaml with custom secret rules, allow rules and disabled rules.
    #[arg(long)]
    pub secret_config: Option<PathBuf>,
    /// Read every layer; neither use nor fill the layer cache.
    /// (`PALISADE_NO_CACHE=1` in the environment does the same; `0`, `false` or empty do not.)
    #[arg(long, env = "PALISADE_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
}

/// `palisade scan-job`: what the operator passes to the Job it starts (flags, or the environment
/// variables the Job template sets).
#[derive(Debug, Args)]
pub struct ScanJobArgs {
    /// The image to scan: a registry reference, normally `registry/repo@sha256:…`.
    #[arg(long)]
    pub image: String,
    /// Platform to pick from a multi-platform image, e.g. linux/arm64 [default: this host's].
    #[arg(long)]
    pub platform: Option<String>,
    /// Base URL of the operator, e.g. http://palisade.trivy.svc:8081; the inventory is POSTed to
    /// {URL}/v1/scans/{JOB}/result.
    #[arg(long, env = "PALISADE_RESULTS_URL")]
    pub results_url: String,
    /// Name of this Job, which the operator knows the scan by.
    #[arg(long, env = "PALISADE_JOB_NAME")]
    pub job_name: String,
    /// File holding the token for the operator [or set PALISADE_SCAN_TOKEN to the token itself].
    #[arg(long, env = "PALISADE_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Registry credentials: a docker config.json, .dockerconfigjson or .dockercfg file, or a
    /// directory holding one (a mounted pull secret; skipped when missing or empty). Repeatable;
    /// the first match per registry wins.
    #[arg(long = "registry-config")]
    pub registry_configs: Vec<PathBuf>,
    /// Use plain HTTP for this registry even when it is not on loopback.
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// A CycloneDX JSON file.
    pub file: PathBuf,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Build a database from OSV records: folders of .json files, .zip files (osv.dev's
    /// all.zip per ecosystem), single .json files, or http(s) URLs of those files; once, or
    /// again and again with --every.
    Build(Box<crate::db::BuildArgs>),
    /// Show what a database holds.
    Info {
        #[command(flatten)]
        db: DbArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the chosen command and returns the process exit code.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Image(args) => {
            let scan = crate::scan::scan_image(&args)?;
            emit(&scan, &args.report)
        }
        Command::Sbom(args) => {
            let scan = crate::sbom::scan_sbom(&args)?;
            emit(&scan, &args.report)
        }
        Command::ScanJob(args) => Ok(crate::scanjob::run(&args)),
        Command::Operator(args) => crate::operator::run(&args),
        Command::Db(DbCommand::Build(args)) => crate::db::run(&args),
        Command::Db(DbCommand::Info { db, json }) => db_info(&db.path()?, json),
        Command::BenchFloor { dir } => crate::floor::run(&dir),
        Command::Crds => {
            let yaml = palisade_crds::crds_yaml().context("rendering the CRDs")?;
            write_stdout(yaml.as_bytes()).context("writing the CRDs to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where SARIF and CycloneDX documents say to read about Palisade: the crate's `homepage`, when
/// the manifest sets one (left out of the documents otherwise, rather than inventing a URL).
const INFORMATION_URI: &str = env!("CARGO_PKG_HOMEPAGE");

/// What the document formats (CycloneDX, SPDX, SARIF) are rendered from.
fn document_input(scan: &palisade_scan::Scanned) -> palisade_report::DocumentInput<'_> {
    palisade_report::DocumentInput {
        report: &scan.report,
        inventory: &scan.inventory,
        tool_version: env!("CARGO_PKG_VERSION"),
        information_uri: Some(INFORMATION_URI).filter(|u| !u.is_empty()),
    }
}

/// The CycloneDX BOM of a scan, exactly as `palisade image --format cyclonedx` writes it; scan
/// Jobs send this same document to the operator.
pub fn cyclonedx_bom(scan: &palisade_scan::Scanned) -> Result<String> {
    palisade_report::to_cyclonedx(&document_input(scan)).context("serializing the CycloneDX BOM")
}

/// Renders a scan in the chosen format, writes it, and turns findings into the exit code.
fn emit(scan: &palisade_scan::Scanned, args: &ReportArgs) -> Result<ExitCode> {
    let report = &scan.report;
    let doc = document_input(scan);
    let text = match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).context("serializing the report")?;
            s.push('\n');
            s
        }
        Format::Table => {
            let color = args.output.is_none() && std::io::stdout().is_terminal();
            palisade_report::render_table(report, color)
        }
        Format::Cyclonedx => cyclonedx_bom(scan)?,
        Format::SpdxJson => {
            palisade_report::to_spdx(&doc).context("serializing the SPDX document")?
        }
        Format::Sarif => palisade_report::to_sarif(&doc).context("serializing the SARIF log")?,
    };
    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => write_stdout(text.as_bytes()).context("writing the report to stdout")?,
    }
    if args.exit_code != 0 && report.finding_count() > 0 {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout; a reader that stops early (`| head`) is not an error.
fn write_stdout(data: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(data).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes next to the target and renames, so a report file is never half-written; on failure
/// the temporary file is removed.
pub(crate) fn write_atomically(path: &std::path::Path, data: &[u8]) -> Result<()> {
    // A device or pipe (`-o /dev/null`, `-o /dev/stdout`, a FIFO) is written into, never
    // replaced: renaming a file over `/dev/null` would turn it into a regular file for the
    // whole machine.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        return f
            .write_all(data)
            .and_then(|()| f.flush())
            .with_context(|| format!("writing {}", path.display()));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("report"),
        std::process::id()
    ));
    let written = std::fs::write(&tmp, data)
        .with_context(|| format!("writing {}", tmp.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn db_info(db: &std::path::Path, json: bool) -> Result<ExitCode> {
    let database = palisade_advisory::Database::open(db)?;
    let info = database.info();
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        println!("database:       {}", info.path.display());
        println!("schema version: {}", info.schema_version);
        println!("built at:       {}", info.built_at);
        println!("inputs:         {}", info.inputs.join(", "));
        println!("vulnerabilities: {}", info.vuln_count);
        println!("packages:       {}", info.package_count);
        println!(
            "size:           {:.1} MiB",
            info.file_size as f64 / 1048576.0
        );
        for (eco, n) in &info.records_by_ecosystem {
            println!("  {eco}: {n} records");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn writes_replace_files_but_never_devices_or_pipes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.json");
        std::fs::write(&file, b"old").unwrap();
        write_atomically(&file, b"new").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new");

        // A FIFO stands in for /dev/null and /dev/stdout: written into, still a FIFO after.
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            println!("note: mkfifo unavailable; the pipe case is not checked");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(&fifo).unwrap())
        };
        write_atomically(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }
}
