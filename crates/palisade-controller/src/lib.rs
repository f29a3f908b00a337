//! `palisade operator`: keeps a VulnerabilityReport and an SbomReport for every container of
//! every workload, compatible with Trivy Operator's, without anyone starting a scan.
//!
//! The design (docs/operator-design.md) fixes the anchor's worst problems (spec §9): an image
//! digest is scanned once however many workloads run it; scan Jobs carry no vulnerability
//! database and return their inventory over an authenticated HTTP endpoint rather than their
//! log; the operator matches inventories in process, so a database update re-matches instead of
//! rescanning; inventories are read back from SbomReports after a restart; finished Jobs never
//! hold a concurrency slot, and failed scans are retried with backoff.
//!
//! * [`model`]: Pods → the reports the cluster should have (pure).
//! * [`reports`]: report objects and their content hashes (pure).
//! * [`jobs`]: scan Job and Secret objects (pure).
//! * [`server`]: the result and health endpoints.
//! * [`metrics`]: the Prometheus endpoint (the anchor's findings gauges, and health).
//! * [`run`]: the loop that ties them to the API server.

#![warn(missing_docs)]

pub mod config;
pub mod jobs;
pub mod metrics;
pub mod model;
pub mod reports;
pub mod run;
pub mod server;

pub use config::Config;
pub use run::run;

/// Why the operator cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// The advisory database does not open.
    #[error("cannot open the advisory database {path}: {source}")]
    Database {
        /// Its path.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: palisade_advisory::AdvisoryError,
    },
    /// An endpoint cannot listen.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The async runtime failed.
    #[error("runtime failure: {0}")]
    Runtime(String),
}
