//! Image references and the user-facing source syntax.
//!
//! One string names an image in any of the places Palisade can read from, so the CLI needs no
//! per-source flags. The registry grammar follows the Docker/distribution reference rules (the
//! de-facto standard every registry client accepts), including Docker Hub's implicit defaults.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::ImageError;
use crate::digest::validate_digest;

/// Canonical name of Docker Hub in references.
pub const DOCKER_HUB: &str = "docker.io";
/// The host Docker Hub's registry API actually answers on.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// The tag assumed when a reference names neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";

/// Longest accepted reference/source string; real ones are far shorter, this only stops abuse.
const MAX_INPUT: usize = 4096;
/// Docker's limit on `registry/repository` length.
const MAX_NAME: usize = 255;
/// Docker's limit on tag length.
const MAX_TAG: usize = 128;

/// A fully-qualified registry image reference.
///
/// Docker Hub defaults are applied at parse time (`debian` becomes registry `docker.io`,
/// repository `library/debian`, tag `latest`) so the rest of the code never has to guess.
/// Docker Hub is always stored and displayed as `docker.io` (the canonical form Docker itself
/// prints); [`Reference::api_host`] gives the host to contact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Registry host with optional port, e.g. `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// Repository path inside the registry, e.g. `library/debian`.
    pub repository: String,
    /// Tag, if given (or `latest` when neither tag nor digest was given).
    pub tag: Option<String>,
    /// Manifest digest, if given; it then wins over the tag, as in Docker.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses a registry reference such as `debian:12`, `ghcr.io/o/r:tag`,
    /// `localhost:5000/x@sha256:…`. The first path component is a registry host when it contains
    /// `.` or `:`, is `localhost`, or has uppercase letters (Docker's rule); otherwise the image
    /// is on Docker Hub.
    pub fn parse(input: &str) -> Result<Reference, ImageError> {
        let err = |reason: &str| ImageError::InvalidReference {
            input: input.chars().take(200).collect(),
            reason: reason.to_string(),
        };
        if input.is_empty() {
            return Err(err("empty reference"));
        }
        if input.len() > MAX_INPUT {
            return Err(err("reference is too long"));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("reference contains whitespace or control characters"));
        }
        let (name_tag, digest) = match input.split_once('@') {
            Some((n, d)) => {
                validate_digest(d).map_err(|e| err(&e.to_string()))?;
                (n, Some(d.to_string()))
            }
            None => (input, None),
        };
        let (domain, rest) = match name_tag.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first, rest)
            }
            _ => (DOCKER_HUB, name_tag),
        };
        validate_domain(domain).map_err(|r| err(&r))?;
        let domain = if domain == "index.docker.io" {
            DOCKER_HUB
        } else {
            domain
        };
        let (repo, tag) = match rest.rsplit_once(':') {
            Some((r, t)) => (r, Some(t)),
            None => (rest, None),
        };
        if let Some(t) = tag {
            validate_tag(t).map_err(|r| err(&r))?;
        }
        validate_repository(repo).map_err(|r| err(&r))?;
        let repository = if domain == DOCKER_HUB && !repo.contains('/') {
            format!("library/{repo}")
        } else {
            repo.to_string()
        };
        if domain.len() + 1 + repository.len() > MAX_NAME {
            return Err(err(&format!(
                "repository name is longer than {MAX_NAME} characters"
            )));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_TAG.to_string()),
        };
        Ok(Reference {
            registry: domain.to_string(),
            repository,
            tag,
            digest,
        })
    }

    /// The host (and port) to send registry API requests to; differs from [`Reference::registry`]
    /// only for Docker Hub, whose API lives on `registry-1.docker.io`.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// `registry/repository`, the name that digests and tags hang off.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// What to put in a `/manifests/<reference>` URL: the digest when pinned, else the tag.
    pub fn target(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or(DEFAULT_TAG)
    }

    /// `registry/repository@digest`, the immutable name of one manifest (Docker's "repo digest").
    pub fn repo_digest(&self, digest: &str) -> String {
        format!("{}@{}", self.name(), digest)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn validate_domain(domain: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("invalid registry host {domain:?}: {why}"));
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return bad("unterminated IPv6 address");
        };
        if v6.is_empty()
            || !v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return bad("malformed IPv6 address");
        }
        match after {
            "" => (None, None),
            p => match p.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return bad("unexpected text after IPv6 address"),
            },
        }
    } else {
        match domain.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(domain), None),
        }
    };
    if let Some(host) = host {
        if host.is_empty() {
            return bad("empty host");
        }
        for label in host.split('.') {
            if label.is_empty()
                || label.starts_with('-')
                || label.ends_with('-')
                || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return bad("host names are dot-separated letters, digits and '-'");
            }
        }
    }
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.chars().all(|c| c.is_ascii_digit()))
    {
        return bad("port must be a number");
    }
    Ok(())
}

fn is_alnum_lower(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// One path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if !is_alnum_lower(first) || !is_alnum_lower(last) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum_lower(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum_lower(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

fn validate_repository(repo: &str) -> Result<(), String> {
    if repo.is_empty() {
        return Err("missing repository name".to_string());
    }
    if repo.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!("repository name {repo:?} must be lowercase"));
    }
    for comp in repo.split('/') {
        if !valid_component(comp) {
            return Err(format!(
                "invalid repository path component {comp:?}: use lowercase letters and digits, \
                 separated by '.', '_', '__' or '-'"
            ));
        }
    }
    Ok(())
}

fn validate_tag(tag: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-';
    let mut chars = tag.chars();
    match chars.next() {
        None => Err("empty tag after ':'".to_string()),
        Some(c) if !(c.is_ascii_alphanumeric() || c == '_') => Err(format!(
            "invalid tag {tag:?}: must start with a letter, digit or '_'"
        )),
        _ if tag.len() > MAX_TAG => Err(format!("tag is longer than {MAX_TAG} characters")),
        _ if !chars.all(ok_char) => Err(format!(
            "invalid tag {tag:?}: only letters, digits, '_', '.' and '-' are allowed"
        )),
        _ => Ok(()),
    }
}

/// Which tar layout an image archive uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// `docker save` / `skopeo copy … docker-archive:`: `manifest.json` at the top level.
    Docker,
    /// An OCI image layout packed in a tar (`oci-layout` + `index.json`).
    Oci,
}

/// Where an image comes from. Every variant is read by [`crate::read_image`] through the same
/// manifest/config/layer pipeline, so analyzers never care about the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// An image in a remote registry.
    Registry(Reference),
    /// An OCI image layout directory; `tag` is matched against the
    /// `org.opencontainers.image.ref.name` annotation in `index.json`.
    OciLayout {
        /// The layout directory.
        dir: PathBuf,
        /// Which image to pick; optional when the layout holds exactly one.
        tag: Option<String>,
    },
    /// A tar archive of an image, read in place without extraction.
    Archive {
        /// The archive file.
        path: PathBuf,
        /// The format, when the user named it; `None` means detect from the contents.
        format: Option<ArchiveFormat>,
        /// Which image to pick: a `RepoTags` entry for docker archives, a ref-name tag for OCI
        /// archives; optional when the archive holds exactly one image.
        image: Option<String>,
    },
}

impl fmt::Display for ImageSource {
    /// Renders the source in the syntax [`parse_source`] accepts, for logs and default names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageSource::Registry(r) => write!(f, "{r}"),
            ImageSource::OciLayout { dir, tag } => {
                write!(f, "oci:{}", dir.display())?;
                if let Some(t) = tag {
                    write!(f, ":{t}")?;
                }
                Ok(())
            }
            ImageSource::Archive {
                path,
                format,
                image,
            } => {
                match format {
                    Some(ArchiveFormat::Docker) => write!(f, "docker-archive:")?,
                    Some(ArchiveFormat::Oci) => write!(f, "oci-archive:")?,
                    None => {}
                }
                write!(f, "{}", path.display())?;
                if let Some(i) = image {
                    write!(f, ":{i}")?;
                }
                Ok(())
            }
        }
    }
}

/// Parses what the user typed into an [`ImageSource`].
///
/// Rules, in order:
/// * `oci:DIR` / `oci:DIR:TAG`: an OCI layout. If the whole `DIR:TAG` text names an existing
///   path it is the directory; otherwise it is split at the **last** `:` when the text after it
///   contains no `/` (so it cannot be a path), giving the tag.
/// * `docker-archive:PATH[:IMAGE]` / `oci-archive:PATH[:IMAGE]`: an archive of that format.
///   `PATH` is the whole text if it exists, else the shortest `:`-delimited prefix that is an
///   existing file; the rest selects the image (for example `docker-archive:x.tar:repo/app:1.0`).
/// * `docker://REF`: a registry reference (skopeo's spelling).
/// * an existing file: an archive, format detected from its contents; an existing directory that
///   holds an `oci-layout` file: an OCI layout.
/// * anything else: a registry reference (see [`Reference::parse`]).
pub fn parse_source(s: &str) -> Result<ImageSource, ImageError> {
    let invalid = |reason: &str| ImageError::InvalidReference {
        input: s.chars().take(200).collect(),
        reason: reason.to_string(),
    };
    if let Some(rest) = s.strip_prefix("oci:") {
        if rest.is_empty() {
            return Err(invalid("missing directory after 'oci:'"));
        }
        let (dir, tag) = split_layout_tag(rest);
        return Ok(ImageSource::OciLayout {
            dir: PathBuf::from(dir),
            tag: tag.map(str::to_string),
        });
    }
    for (prefix, format) in [
        ("docker-archive:", ArchiveFormat::Docker),
        ("oci-archive:", ArchiveFormat::Oci),
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            if rest.is_empty() {
                return Err(invalid(&format!("missing file path after '{prefix}'")));
            }
            let (path, image) = split_archive_selector(rest);
            return Ok(ImageSource::Archive {
                path: PathBuf::from(path),
                format: Some(format),
                image: image.map(str::to_string),
            });
        }
    }
    if let Some(rest) = s.strip_prefix("docker://") {
        return Reference::parse(rest).map(ImageSource::Registry);
    }
    let p = Path::new(s);
    if !s.is_empty() && p.is_file() {
        return Ok(ImageSource::Archive {
            path: p.to_path_buf(),
            format: None,
            image: None,
        });
    }
    if !s.is_empty() && p.is_dir() && p.join("oci-layout").is_file() {
        return Ok(ImageSource::OciLayout {
            dir: p.to_path_buf(),
            tag: None,
        });
    }
    Reference::parse(s).map(ImageSource::Registry)
}

fn split_layout_tag(rest: &str) -> (&str, Option<&str>) {
    if Path::new(rest).exists() {
        return (rest, None);
    }
    match rest.rsplit_once(':') {
        Some((dir, tag)) if !dir.is_empty() && !tag.is_empty() && !tag.contains('/') => {
            (dir, Some(tag))
        }
        _ => (rest, None),
    }
}

fn split_archive_selector(rest: &str) -> (&str, Option<&str>) {
    if Path::new(rest).exists() {
        return (rest, None);
    }
    for (i, _) in rest.match_indices(':') {
        let (head, tail) = (&rest[..i], &rest[i + 1..]);
        if !head.is_empty() && !tail.is_empty() && Path::new(head).is_file() {
            return (head, Some(tail));
        }
    }
    (rest, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn parts(s: &str) -> (String, String, Option<String>, Option<String>) {
        let x = r(s);
        (x.registry, x.repository, x.tag, x.digest)
    }

    fn owned(
        a: &str,
        b: &str,
        t: Option<&str>,
        d: Option<&str>,
    ) -> (String, String, Option<String>, Option<String>) {
        (a.into(), b.into(), t.map(Into::into), d.map(Into::into))
    }

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn docker_hub_defaults() {
        assert_eq!(
            parts("debian"),
            owned("docker.io", "library/debian", Some("latest"), None)
        );
        assert_eq!(
            parts("debian:12"),
            owned("docker.io", "library/debian", Some("12"), None)
        );
        assert_eq!(
            parts("library/debian:12"),
            owned("docker.io", "library/debian", Some("12"), None)
        );
        assert_eq!(
            parts("bitnami/redis"),
            owned("docker.io", "bitnami/redis", Some("latest"), None)
        );
        assert_eq!(
            parts("index.docker.io/library/debian:12-slim"),
            owned("docker.io", "library/debian", Some("12-slim"), None)
        );
        assert_eq!(
            parts("docker.io/debian"),
            owned("docker.io", "library/debian", Some("latest"), None)
        );
        assert_eq!(r("debian").api_host(), "registry-1.docker.io");
        assert_eq!(r("debian:12").to_string(), "docker.io/library/debian:12");
    }

    #[test]
    fn other_registries_and_ports() {
        assert_eq!(
            parts("ghcr.io/o/r:tag"),
            owned("ghcr.io", "o/r", Some("tag"), None)
        );
        assert_eq!(
            parts("127.0.0.1:5000/x/y:tag"),
            owned("127.0.0.1:5000", "x/y", Some("tag"), None)
        );
        assert_eq!(
            parts("localhost:5000/x"),
            owned("localhost:5000", "x", Some("latest"), None)
        );
        assert_eq!(
            parts("localhost/x"),
            owned("localhost", "x", Some("latest"), None)
        );
        assert_eq!(
            parts("[::1]:5000/a/b:c"),
            owned("[::1]:5000", "a/b", Some("c"), None)
        );
        assert_eq!(
            parts("quay.io/a/b/c/d"),
            owned("quay.io", "a/b/c/d", Some("latest"), None)
        );
        assert_eq!(r("ghcr.io/o/r:tag").api_host(), "ghcr.io");
    }

    #[test]
    fn digests_and_tags_together() {
        assert_eq!(
            parts(&format!("repo@{D}")),
            owned("docker.io", "library/repo", None, Some(D))
        );
        assert_eq!(
            parts(&format!("repo:tag@{D}")),
            owned("docker.io", "library/repo", Some("tag"), Some(D))
        );
        let x = r(&format!("localhost:5000/a:1@{D}"));
        assert_eq!(x.target(), D);
        assert_eq!(x.to_string(), format!("localhost:5000/a:1@{D}"));
        assert_eq!(x.repo_digest(D), format!("localhost:5000/a@{D}"));
    }

    #[test]
    fn separators_in_repository_names() {
        for ok in ["a.b/c_d", "a__b", "a-b", "a---b", "a0/b-1.c_2"] {
            assert!(Reference::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a..b", "a___b", "-a", "a-", "a_", ".a", "a//b", "/a", "a/", "a/-b",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_are_clear() {
        let e = Reference::parse("Debian").unwrap_err().to_string();
        assert!(e.contains("lowercase"), "{e}");
        let e = Reference::parse("").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = Reference::parse("debian:").unwrap_err().to_string();
        assert!(e.contains("empty tag"), "{e}");
        let e = Reference::parse("debian@sha256:abc")
            .unwrap_err()
            .to_string();
        assert!(e.contains("64 hex"), "{e}");
        let e = Reference::parse("debian@md5:abc").unwrap_err().to_string();
        assert!(e.contains("unsupported digest algorithm"), "{e}");
        let e = Reference::parse("debian:.bad").unwrap_err().to_string();
        assert!(e.contains("invalid tag"), "{e}");
        let e = Reference::parse("deb ian").unwrap_err().to_string();
        assert!(e.contains("whitespace"), "{e}");
        assert!(Reference::parse("ghcr.io/").is_err());
        assert!(Reference::parse("ghcr.io:abc/x").is_err());
        assert!(Reference::parse("bad_host.io/x").is_err());
        assert!(Reference::parse(&format!("a:{}", "t".repeat(129))).is_err());
        assert!(Reference::parse(&format!("a/{}", "b".repeat(300))).is_err());
        assert!(Reference::parse("a:b:c").is_err());
    }

    #[test]
    fn sources_by_prefix() {
        assert_eq!(
            parse_source("oci:/nonexistent/dir:1.0").unwrap(),
            ImageSource::OciLayout {
                dir: "/nonexistent/dir".into(),
                tag: Some("1.0".into())
            }
        );
        assert_eq!(
            parse_source("oci:/nonexistent/dir").unwrap(),
            ImageSource::OciLayout {
                dir: "/nonexistent/dir".into(),
                tag: None
            }
        );
        // The remainder after the last ':' contains '/', so it is part of the path.
        assert_eq!(
            parse_source("oci:/tmp/a:b/c").unwrap(),
            ImageSource::OciLayout {
                dir: "/tmp/a:b/c".into(),
                tag: None
            }
        );
        assert_eq!(
            parse_source("docker-archive:/nonexistent.tar").unwrap(),
            ImageSource::Archive {
                path: "/nonexistent.tar".into(),
                format: Some(ArchiveFormat::Docker),
                image: None
            }
        );
        assert!(matches!(
            parse_source("oci-archive:/x.tar").unwrap(),
            ImageSource::Archive {
                format: Some(ArchiveFormat::Oci),
                ..
            }
        ));
        assert!(parse_source("oci:").is_err());
        assert!(parse_source("docker-archive:").is_err());
        assert!(matches!(
            parse_source("docker://debian:12").unwrap(),
            ImageSource::Registry(_)
        ));
        assert!(matches!(
            parse_source("debian:12").unwrap(),
            ImageSource::Registry(_)
        ));
    }

    #[test]
    fn sources_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let with_colon = dir.path().join("lay:out");
        std::fs::create_dir(&with_colon).unwrap();
        std::fs::write(with_colon.join("oci-layout"), "{}").unwrap();
        let s = format!("oci:{}", with_colon.display());
        assert_eq!(
            parse_source(&s).unwrap(),
            ImageSource::OciLayout {
                dir: with_colon.clone(),
                tag: None
            }
        );
        let s = format!("oci:{}:v1", with_colon.display());
        assert_eq!(
            parse_source(&s).unwrap(),
            ImageSource::OciLayout {
                dir: with_colon.clone(),
                tag: Some("v1".into())
            }
        );
        // A bare directory with an oci-layout file is a layout.
        assert!(matches!(
            parse_source(with_colon.to_str().unwrap()).unwrap(),
            ImageSource::OciLayout { tag: None, .. }
        ));
        let tarfile = dir.path().join("img.tar");
        std::fs::write(&tarfile, b"x").unwrap();
        assert_eq!(
            parse_source(tarfile.to_str().unwrap()).unwrap(),
            ImageSource::Archive {
                path: tarfile.clone(),
                format: None,
                image: None
            }
        );
        let s = format!("docker-archive:{}:test/tiny:1.0", tarfile.display());
        assert_eq!(
            parse_source(&s).unwrap(),
            ImageSource::Archive {
                path: tarfile.clone(),
                format: Some(ArchiveFormat::Docker),
                image: Some("test/tiny:1.0".into())
            }
        );
    }
}
