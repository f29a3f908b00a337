//! The benchmark floor: the least work any scanner must do to look inside an OCI layout's layers.
//! Every blob that starts with a gzip or zstd magic (or is a plain tar) is decompressed in
//! sequence and its tar entries walked, with nothing kept. The benchmark compares a real scan
//! against this.

use anyhow::{Context, Result};
use std::io::{BufReader, Read};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

pub fn run(dir: &Path) -> Result<ExitCode> {
    let blobs = dir.join("blobs").join("sha256");
    let mut entries: Vec<_> = std::fs::read_dir(&blobs)
        .with_context(|| format!("reading {}", blobs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let start = Instant::now();
    let (mut layers, mut compressed, mut uncompressed, mut files) = (0u64, 0u64, 0u64, 0u64);
    for path in entries {
        let mut f =
            std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let mut magic = [0u8; 4];
        let n = f.read(&mut magic)?;
        let size = f.metadata()?.len();
        let f = std::fs::File::open(&path)?;
        let reader: Box<dyn Read> = if n >= 2 && magic[..2] == [0x1f, 0x8b] {
            Box::new(flate2::bufread::MultiGzDecoder::new(
                BufReader::with_capacity(1 << 16, f),
            ))
        } else if n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
            Box::new(zstd::Decoder::new(f)?)
        } else if size > 1024 && is_tar(&path)? {
            Box::new(BufReader::with_capacity(1 << 16, f))
        } else {
            continue;
        };
        let mut counted = Counting {
            inner: reader,
            n: 0,
        };
        {
            let mut archive = tar::Archive::new(&mut counted);
            for entry in archive
                .entries()
                .with_context(|| format!("reading {}", path.display()))?
            {
                entry.with_context(|| format!("walking {}", path.display()))?;
                files += 1;
            }
        }
        std::io::copy(&mut counted, &mut std::io::sink())?;
        layers += 1;
        compressed += size;
        uncompressed += counted.n;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "floor: {layers} layers, {:.1} MiB compressed, {:.1} MiB uncompressed, {files} entries, {secs:.3} s",
        compressed as f64 / 1048576.0,
        uncompressed as f64 / 1048576.0
    );
    Ok(ExitCode::SUCCESS)
}

fn is_tar(path: &Path) -> Result<bool> {
    let mut f = std::fs::File::open(path)?;
    let mut header = [0u8; 512];
    if f.read(&mut header)? < 512 {
        return Ok(false);
    }
    Ok(&header[257..262] == b"ustar")
}

struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}
