//! Platforms (`os/arch[/variant]`) and choosing one image out of a multi-platform index.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::ImageError;

/// The platform an image is built for.
///
/// Multi-platform images publish one manifest per platform behind an index; a scanner must pick
/// the same one a container runtime on the target machine would, or it reports the wrong
/// packages. Architectures use the OCI/Go names (`amd64`, `arm64`, `arm`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize)]
pub struct Platform {
    /// Operating system, e.g. `linux`.
    pub os: String,
    /// CPU architecture in OCI spelling, e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// CPU variant, e.g. `v7` for 32-bit ARM, `v8` for arm64.
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch` or `os/arch/variant`. Common aliases are normalised to OCI names
    /// (`x86_64`→`amd64`, `aarch64`→`arm64`) so users can type what `uname -m` says.
    pub fn parse(s: &str) -> Result<Platform, ImageError> {
        let err = |reason: &str| ImageError::InvalidPlatform {
            input: s.chars().take(100).collect(),
            reason: reason.to_string(),
        };
        let parts: Vec<&str> = s.split('/').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(err("expected 2 or 3 '/'-separated parts"));
        }
        for p in &parts {
            if p.is_empty()
                || !p
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
            {
                return Err(err(&format!("invalid component {p:?}")));
            }
        }
        Ok(Platform {
            os: parts[0].to_ascii_lowercase(),
            architecture: normalize_arch(&parts[1].to_ascii_lowercase()).to_string(),
            variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
        })
    }

    /// The platform of the machine Palisade runs on, with the OS forced to `linux`: container
    /// images are Linux images even when scanned from a Mac, so this is what `docker run` would
    /// pull on this CPU.
    pub fn host() -> Platform {
        let arch = normalize_arch(std::env::consts::ARCH);
        Platform {
            os: "linux".to_string(),
            architecture: arch.to_string(),
            variant: None,
        }
    }

    /// Whether an index entry for `candidate` satisfies this requested platform. A missing
    /// variant on either side means "the architecture's default": `arm64` is `v8`, `arm` is
    /// `v7`; for other architectures a request without a variant accepts any variant.
    pub fn matches(&self, candidate: &Platform) -> bool {
        if self.os != candidate.os || self.architecture != normalize_arch(&candidate.architecture) {
            return false;
        }
        let default = default_variant(&self.architecture);
        let want = self.variant.as_deref().or(default);
        let have = candidate.variant.as_deref().or(default);
        match want {
            None => true,
            Some(w) => have == Some(w),
        }
    }
}

impl FromStr for Platform {
    type Err = ImageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::parse(s)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

fn normalize_arch(arch: &str) -> &str {
    match arch {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "i386" | "i686" | "x86" => "386",
        "armhf" | "armel" => "arm",
        "powerpc64le" => "ppc64le",
        other => other,
    }
}

fn default_variant(arch: &str) -> Option<&'static str> {
    match arch {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        _ => None,
    }
}

/// Picks the entry of a multi-platform index for `wanted`. `entries` pairs each entry's platform
/// (absent platforms never match) with a value returned on success. An exact variant match beats
/// a defaulted one, so `linux/amd64` picks the plain amd64 image over an `amd64/v3` build.
/// The error lists what the index offers, so the user can choose a valid `--platform`.
pub(crate) fn select_platform<T: Clone>(
    entries: &[(Option<Platform>, T)],
    wanted: &Platform,
    what: &str,
) -> Result<T, ImageError> {
    let matching: Vec<&(Option<Platform>, T)> = entries
        .iter()
        .filter(|(p, _)| p.as_ref().is_some_and(|p| wanted.matches(p)))
        .collect();
    let exact = matching
        .iter()
        .find(|(p, _)| p.as_ref().is_some_and(|p| p.variant == wanted.variant));
    if let Some((_, v)) = exact.or(matching.first()) {
        return Ok(v.clone());
    }
    let mut available: Vec<String> = entries
        .iter()
        .filter_map(|(p, _)| p.as_ref())
        .filter(|p| p.os != "unknown")
        .map(Platform::to_string)
        .collect();
    available.dedup();
    Err(ImageError::NoMatchingPlatform {
        wanted: wanted.to_string(),
        what: what.to_string(),
        available,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        Platform::parse(s).unwrap()
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(
            p("linux/arm64"),
            Platform {
                os: "linux".into(),
                architecture: "arm64".into(),
                variant: None
            }
        );
        assert_eq!(p("linux/arm/v7").variant.as_deref(), Some("v7"));
        assert_eq!(p("linux/x86_64").architecture, "amd64");
        assert_eq!(p("linux/aarch64").architecture, "arm64");
        assert_eq!(p("linux/arm/v7").to_string(), "linux/arm/v7");
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/am d64", ""] {
            let e = Platform::parse(bad).unwrap_err().to_string();
            assert!(e.contains("invalid platform"), "{bad}: {e}");
        }
    }

    #[test]
    fn host_is_linux_with_oci_arch() {
        let h = Platform::host();
        assert_eq!(h.os, "linux");
        assert_ne!(h.architecture, "x86_64");
        assert_ne!(h.architecture, "aarch64");
    }

    #[test]
    fn arm64_without_variant_matches_v8() {
        assert!(p("linux/arm64").matches(&p("linux/arm64/v8")));
        assert!(p("linux/arm64/v8").matches(&p("linux/arm64")));
        assert!(!p("linux/arm64").matches(&p("linux/arm64/v9")));
        assert!(p("linux/arm").matches(&p("linux/arm/v7")));
        assert!(!p("linux/arm").matches(&p("linux/arm/v6")));
        assert!(p("linux/arm/v6").matches(&p("linux/arm/v6")));
        assert!(!p("linux/amd64").matches(&p("windows/amd64")));
    }

    #[test]
    fn selection_prefers_exact_and_lists_available() {
        let entries = vec![
            (Some(p("linux/amd64/v3")), "amd64v3"),
            (Some(p("linux/amd64")), "amd64"),
            (Some(p("linux/arm64/v8")), "arm64"),
            (Some(p("linux/arm/v7")), "armv7"),
            (Some(p("linux/arm/v6")), "armv6"),
            (Some(p("unknown/unknown")), "attestation"),
            (None, "no-platform"),
        ];
        assert_eq!(
            select_platform(&entries, &p("linux/amd64"), "x").unwrap(),
            "amd64"
        );
        assert_eq!(
            select_platform(&entries, &p("linux/arm64"), "x").unwrap(),
            "arm64"
        );
        assert_eq!(
            select_platform(&entries, &p("linux/arm"), "x").unwrap(),
            "armv7"
        );
        assert_eq!(
            select_platform(&entries, &p("linux/arm/v6"), "x").unwrap(),
            "armv6"
        );
        let e = select_platform(&entries, &p("linux/s390x"), "debian:12")
            .unwrap_err()
            .to_string();
        assert!(e.contains("linux/s390x"), "{e}");
        assert!(e.contains("linux/arm64/v8"), "{e}");
        assert!(e.contains("debian:12"), "{e}");
        assert!(!e.contains("unknown"), "{e}");
    }
}
