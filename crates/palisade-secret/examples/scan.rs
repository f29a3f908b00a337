//! Scans a directory tree for secrets and prints Trivy-shaped JSON (`Results[].Secrets[]`).
//!
//! `cargo run -p palisade-secret --example scan -- [--config trivy-secret.yaml] DIR`
//!
//! Paths are reported relative to DIR, as `trivy fs` does, so the two outputs compare directly.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use palisade_secret::{ScanOptions, Scanner};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&entry.path(), out)?;
        } else if ft.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut config = None;
    if let Some(i) = args.iter().position(|a| a == "--config") {
        if i + 1 >= args.len() {
            eprintln!("--config needs a file");
            return ExitCode::from(2);
        }
        config = Some(args.remove(i + 1));
        args.remove(i);
    }
    let Some(root) = args.first().map(PathBuf::from) else {
        eprintln!("usage: scan [--config trivy-secret.yaml] DIR");
        return ExitCode::from(2);
    };
    let scanner = match config {
        None => Scanner::builtin(),
        Some(path) => {
            let yaml = match std::fs::read(&path) {
                Ok(y) => y,
                Err(e) => {
                    eprintln!("reading {path}: {e}");
                    return ExitCode::from(2);
                }
            };
            match Scanner::from_config_yaml(&yaml, ScanOptions::default()) {
                Ok((s, problems)) => {
                    for p in problems {
                        eprintln!("warning: {p}");
                    }
                    s
                }
                Err(e) => {
                    eprintln!("{path}: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let mut files = Vec::new();
    if let Err(e) = walk(&root, &mut files) {
        eprintln!("walking {}: {e}", root.display());
        return ExitCode::from(2);
    }
    files.sort();
    let mut results = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .to_string_lossy()
            .into_owned();
        let scan = match File::open(&file) {
            Ok(f) => scanner.scan_reader(&rel, f, None),
            Err(e) => {
                eprintln!("opening {}: {e}", file.display());
                continue;
            }
        };
        match scan {
            Ok(s) if !s.findings.is_empty() => results.push(serde_json::json!({
                "Target": s.target,
                "Class": "secret",
                "Secrets": s.findings,
            })),
            Ok(_) => {}
            Err(e) => eprintln!("{e}"),
        }
    }
    let doc = serde_json::json!({ "ArtifactName": root.to_string_lossy(), "Results": results });
    match serde_json::to_string_pretty(&doc) {
        Ok(s) => println!("{s}"),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
