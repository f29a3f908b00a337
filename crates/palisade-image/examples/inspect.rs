//! Reads an image from any source and prints its metadata and the OS/package files found.
//! Handy for trying the crate against real registries and archives:
//! `cargo run -p palisade-image --example inspect -- oci:DIR:TAG [linux/arm64]`.

use palisade_image::{Platform, PullOptions, read_image_str};
use palisade_vfs::PathInterest;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args.next().ok_or("usage: inspect SOURCE [PLATFORM]")?;
    let platform = args.next().map(|p| Platform::parse(&p)).transpose()?;
    let interest = PathInterest::new()
        .file("etc/os-release")
        .file("usr/lib/os-release")
        .file("var/lib/dpkg/status")
        .dir("var/lib/dpkg/status.d");
    let opts = PullOptions {
        platform,
        credentials: palisade_image::credentials_from_env(),
        insecure: std::env::var_os("PALISADE_INSECURE").is_some(),
        ..PullOptions::default()
    };
    let start = std::time::Instant::now();
    let image = read_image_str(&input, &opts, &interest)?;
    let m = &image.metadata;
    println!("name:      {}", m.name);
    println!("repo:      {:?}", m.repo_digest);
    println!("manifest:  {:?}", m.manifest_digest);
    println!("config:    {}", m.config_digest);
    println!("platform:  {}", m.platform);
    println!("tags:      {:?}", m.repo_tags);
    println!("created:   {:?}", m.created);
    for l in &m.layers {
        println!(
            "layer:     {} {} bytes {:?}",
            l.digest, l.size, l.media_type
        );
    }
    let release = image
        .tree
        .read("etc/os-release")
        .map(String::from_utf8_lossy);
    let pretty = release
        .as_deref()
        .and_then(|r| r.lines().find(|l| l.starts_with("PRETTY_NAME=")))
        .unwrap_or("(no os-release)");
    println!("os:        {pretty}");
    let status = image.tree.read("var/lib/dpkg/status").unwrap_or_default();
    let packages = status
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"Package: "))
        .count();
    println!("packages:  {packages} in dpkg status");
    println!(
        "status.d:  {} files",
        image.tree.read_dir("var/lib/dpkg/status.d").len()
    );
    println!("elapsed:   {:?}", start.elapsed());
    Ok(())
}
