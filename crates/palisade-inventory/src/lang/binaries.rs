//! Executables: one pass over each binary for every ecosystem that embeds its dependencies in
//! binaries (Go's build info, cargo-auditable's dependency list).
//!
//! Both scanners want every executable. Handing the file to each in turn would mean holding the
//! whole binary in memory; instead the stream is read once, in chunks, and every chunk is fed to
//! both scanners, which keep only their small search windows. Reading stops as soon as both
//! scanners are done, so the rest of a 200 MB binary is skipped by the layer walker.

use std::io::Read;

use super::golang::{self, BuildInfoScan, pump, wants_binary};
use super::rust::{self, AuditableScan};
use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package};

/// The executable analyzer of the registry: Go and Rust binaries in one read.
pub struct Binaries;

/// The registry's instance.
pub static BINARIES: Binaries = Binaries;

impl FileAnalyzer for Binaries {
    fn name(&self) -> &'static str {
        "binaries"
    }

    fn version(&self) -> u32 {
        // Either scanner's output changing changes ours.
        golang::BINARY.version() * 1000 + rust::BINARY.version()
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        wants_binary(file)
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let mut go = BuildInfoScan::new();
        let mut cargo = AuditableScan::new();
        let (mut go_done, mut cargo_done) = (false, false);
        pump(content, |chunk| {
            if !go_done {
                go_done = go.feed(chunk);
            }
            if !cargo_done {
                cargo_done = cargo.feed(chunk);
            }
            go_done && cargo_done
        })?;
        // A binary is normally one or the other; a warning from one scanner only matters when
        // the other found nothing.
        match (go.finish(file.path), cargo.finish(file.path)) {
            (Ok(mut a), Ok(b)) => {
                a.extend(b);
                Ok(a)
            }
            (Ok(a), Err(e)) | (Err(e), Ok(a)) if a.is_empty() => Err(e),
            (Ok(a), Err(_)) | (Err(_), Ok(a)) => Ok(a),
            (Err(e), Err(_)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_executable_formats_give_nothing_and_docker_registry_gives_stdlib() {
        let f = FileInfo {
            path: "usr/local/bin/x",
            size: 5000,
            executable: true,
        };
        assert!(BINARIES.wants(&f));
        let pkgs = BINARIES
            .analyze(&f, &mut &b"#!/bin/sh\necho hi\n"[..])
            .expect("ok");
        assert!(pkgs.is_empty());
        let real = std::path::Path::new("/usr/bin/docker-registry");
        let Ok(mut file) = std::fs::File::open(real) else {
            println!("note: /usr/bin/docker-registry not installed; real-binary check skipped");
            return;
        };
        let f = FileInfo {
            path: "usr/bin/docker-registry",
            size: 20_000_000,
            executable: true,
        };
        let pkgs = BINARIES.analyze(&f, &mut file).expect("reads");
        assert!(pkgs.iter().any(|p| p.name == "stdlib"), "{pkgs:?}");
    }
}
