//! The `palisade` command line: argument parsing and wiring between the library crates.

mod cli;
mod db;
mod download;
mod floor;
mod operator;
mod sbom;
mod scan;
mod scanjob;
mod stop;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match &args.command {
        cli::Command::Operator(op) => init_operator_tracing(args.debug, op.log_dev_mode),
        _ => init_tracing(args.debug, args.quiet()),
    }
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn init_tracing(debug: bool, quiet: bool) {
    let default = if debug {
        "debug"
    } else if quiet {
        "error"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PALISADE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// The operator logs at info level, as JSON lines (one object per event, for log pipelines)
/// unless `OPERATOR_LOG_DEV_MODE` asks for human-readable lines.
fn init_operator_tracing(debug: bool, dev_mode: bool) {
    let default = if debug { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PALISADE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    if dev_mode {
        builder.init();
    } else {
        builder.json().flatten_event(true).init();
    }
}
