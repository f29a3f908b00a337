//! Manifest, index and image-config documents (OCI image spec and Docker v2 schema 2).
//!
//! Only the fields the scanner uses are modelled; unknown fields are ignored, so new spec
//! additions do not break parsing.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::ImageError;
use crate::platform::Platform;

/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker manifest list media type.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker v2 schema 2 manifest media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker schema 1 manifest media type (rejected).
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// Signed Docker schema 1 manifest media type (rejected).
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
/// OCI image config media type.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Docker image config media type.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// The `Accept` header for manifest requests: every format we can read, most specific first.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Largest manifest or index we accept; real ones are a few KiB.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Largest image config we accept; long build histories make these bigger than manifests.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;
/// Deepest chain of nested indexes followed.
pub(crate) const MAX_INDEX_DEPTH: usize = 4;

/// A content descriptor: what a manifest or index says about a blob it points to.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Digest of the referenced content.
    pub digest: String,
    /// Size in bytes of the referenced content.
    #[serde(default)]
    pub size: Option<i64>,
    /// For index entries: the platform of the referenced manifest.
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Free-form annotations (OCI layouts keep tags in `org.opencontainers.image.ref.name`).
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Descriptor {
    /// The declared size, if present and sane.
    pub fn size(&self) -> Option<u64> {
        self.size.and_then(|s| u64::try_from(s).ok())
    }

    /// The OCI layout tag annotation, if any.
    pub fn ref_name(&self) -> Option<&str> {
        self.annotations
            .as_ref()?
            .get("org.opencontainers.image.ref.name")
            .map(String::as_str)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    schema_version: Option<i64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    fs_layers: Option<serde_json::Value>,
}

/// A parsed manifest document: either an index of per-platform manifests or one image.
#[derive(Debug, Clone)]
pub enum Manifest {
    /// OCI index / Docker manifest list.
    Index(Vec<Descriptor>),
    /// OCI image manifest / Docker v2 schema 2 manifest.
    Image {
        /// The image config blob.
        config: Descriptor,
        /// The layer blobs, bottom first.
        layers: Vec<Descriptor>,
    },
}

impl Manifest {
    /// Parses and classifies a manifest. `content_type` is the HTTP `Content-Type` (or the
    /// descriptor media type) when known; the document's own `mediaType` and shape are used
    /// otherwise. `what` names the document in errors; `reference` names the image for the
    /// schema 1 error.
    pub fn parse(
        bytes: &[u8],
        content_type: Option<&str>,
        what: &str,
        reference: &str,
    ) -> Result<Manifest, ImageError> {
        let raw: RawManifest = serde_json::from_slice(bytes)
            .map_err(|e| ImageError::manifest(what, format!("not valid manifest JSON: {e}")))?;
        let header = content_type
            .map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase())
            .filter(|c| c.starts_with("application/vnd."));
        let media_type = header.or(raw.media_type.clone());
        if raw.schema_version == Some(1)
            || raw.fs_layers.is_some()
            || matches!(
                media_type.as_deref(),
                Some(DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED)
            )
        {
            return Err(ImageError::Schema1 {
                reference: reference.to_string(),
            });
        }
        match media_type.as_deref() {
            Some(OCI_INDEX | DOCKER_LIST) | None if raw.manifests.is_some() => {
                Ok(Manifest::Index(raw.manifests.unwrap_or_default()))
            }
            Some(OCI_MANIFEST | DOCKER_MANIFEST) | None if raw.config.is_some() => {
                let config = raw
                    .config
                    .ok_or_else(|| ImageError::manifest(what, "manifest has no config"))?;
                Ok(Manifest::Image {
                    config,
                    layers: raw.layers.unwrap_or_default(),
                })
            }
            Some(OCI_INDEX | DOCKER_LIST) => Err(ImageError::manifest(
                what,
                "index has no \"manifests\" array",
            )),
            Some(OCI_MANIFEST | DOCKER_MANIFEST) => {
                Err(ImageError::manifest(what, "manifest has no \"config\""))
            }
            Some(other) => Err(ImageError::UnsupportedMediaType {
                what: what.to_string(),
                media_type: other.to_string(),
            }),
            None => Err(ImageError::manifest(
                what,
                "neither an index (\"manifests\") nor an image manifest (\"config\")",
            )),
        }
    }
}

/// The parts of an image config (OCI `config.json` / Docker container image JSON) we report.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ImageConfig {
    /// Target CPU architecture.
    #[serde(default)]
    pub architecture: String,
    /// Target OS.
    #[serde(default)]
    pub os: String,
    /// CPU variant.
    #[serde(default)]
    pub variant: Option<String>,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub created: Option<String>,
    /// The layer diff IDs.
    #[serde(default)]
    pub rootfs: RootFs,
    /// The runtime config (`Env`, `Cmd`, `Entrypoint`, `Labels`), kept as JSON and read
    /// leniently by [`ImageConfig::runtime`]: a malformed field must not fail the scan.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// The build history, read leniently like `config`.
    #[serde(default)]
    pub history: Option<serde_json::Value>,
}

/// The parts of an image config that can carry secrets: what a container starts with and how
/// the image was built. Trivy scans them for secrets too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// `config.Env`.
    pub env: Vec<String>,
    /// `config.Entrypoint`.
    pub entrypoint: Vec<String>,
    /// `config.Cmd`.
    pub cmd: Vec<String>,
    /// `config.Labels`, sorted by key.
    pub labels: Vec<(String, String)>,
    /// `history[].created_by`, oldest first.
    pub history: Vec<String>,
    /// `created_by` of the history entries that made a layer (not `empty_layer`), bottom
    /// first: Trivy's `Layer.CreatedBy`. Empty when the history does not match the layers.
    pub layer_created_by: Vec<String>,
}

fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `rootfs` section of an image config.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct RootFs {
    /// SHA-256 of each uncompressed layer tar, bottom first.
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

impl ImageConfig {
    /// Parses an image config, naming it in the error.
    pub fn parse(bytes: &[u8], what: &str) -> Result<ImageConfig, ImageError> {
        serde_json::from_slice(bytes)
            .map_err(|e| ImageError::manifest(what, format!("not a valid image config: {e}")))
    }

    /// The runtime and history fields; entries of the wrong type are left out.
    pub fn runtime(&self) -> RuntimeConfig {
        let cfg = self.config.as_ref();
        let field = |k: &str| cfg.and_then(|c| c.get(k));
        let mut labels: Vec<(String, String)> = match field("Labels") {
            Some(serde_json::Value::Object(m)) => m
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect(),
            _ => Vec::new(),
        };
        labels.sort();
        let entries: &[serde_json::Value] = match &self.history {
            Some(serde_json::Value::Array(a)) => a,
            _ => &[],
        };
        let created_by = |h: &serde_json::Value| {
            h.get("created_by")
                .and_then(|c| c.as_str())
                .map(str::to_string)
        };
        let history = entries.iter().filter_map(created_by).collect();
        let mut layer_created_by: Vec<String> = entries
            .iter()
            .filter(|h| h.get("empty_layer").and_then(|e| e.as_bool()) != Some(true))
            .map(|h| created_by(h).unwrap_or_default())
            .collect();
        if layer_created_by.len() != self.rootfs.diff_ids.len() {
            layer_created_by.clear();
        }
        RuntimeConfig {
            env: strings(field("Env")),
            entrypoint: strings(field("Entrypoint")),
            cmd: strings(field("Cmd")),
            labels,
            history,
            layer_created_by,
        }
    }
}

/// Layer media types and how they are compressed, as far as the type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeclaredCompression {
    Gzip,
    Zstd,
    None,
    Unknown,
}

/// Classifies a layer media type. Encrypted layers cannot be read and are rejected by the caller.
pub(crate) fn layer_compression(media_type: Option<&str>) -> DeclaredCompression {
    let Some(mt) = media_type else {
        return DeclaredCompression::Unknown;
    };
    if mt.ends_with("+gzip") || mt.ends_with(".tar.gzip") {
        DeclaredCompression::Gzip
    } else if mt.ends_with("+zstd") || mt.ends_with(".tar.zstd") {
        DeclaredCompression::Zstd
    } else if mt.ends_with(".tar") || mt.ends_with("layer.v1.tar") {
        DeclaredCompression::None
    } else {
        DeclaredCompression::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn classifies_index_and_manifest() {
        let idx = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"digest":"{D}","size":1,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#
        );
        match Manifest::parse(idx.as_bytes(), None, "x", "r").unwrap() {
            Manifest::Index(m) => {
                assert_eq!(m.len(), 1);
                assert_eq!(
                    m[0].platform.as_ref().unwrap().variant.as_deref(),
                    Some("v8")
                );
            }
            other => panic!("{other:?}"),
        }
        let man = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"{OCI_CONFIG}","digest":"{D}","size":2}},"layers":[{{"digest":"{D}","size":3}}]}}"#
        );
        let m = Manifest::parse(
            man.as_bytes(),
            Some(&format!("{DOCKER_MANIFEST}; charset=utf-8")),
            "x",
            "r",
        )
        .unwrap();
        assert!(matches!(m, Manifest::Image { ref layers, .. } if layers.len() == 1));
    }

    #[test]
    fn rejects_schema1_and_garbage() {
        let e = Manifest::parse(
            br#"{"schemaVersion":1,"fsLayers":[]}"#,
            None,
            "x",
            "debian:old",
        )
        .unwrap_err();
        assert!(matches!(e, ImageError::Schema1 { .. }));
        assert!(e.to_string().contains("debian:old"));
        let e = Manifest::parse(b"{}", Some(DOCKER_SCHEMA1_SIGNED), "x", "r").unwrap_err();
        assert!(matches!(e, ImageError::Schema1 { .. }));
        let e = Manifest::parse(b"not json", None, "manifest sha256:x", "r").unwrap_err();
        assert!(e.to_string().contains("manifest sha256:x"));
        let e = Manifest::parse(b"{}", None, "x", "r").unwrap_err();
        assert!(matches!(e, ImageError::InvalidManifest { .. }));
        let e = Manifest::parse(
            br#"{"mediaType":"application/vnd.example.thing+json","config":{"digest":"x"}}"#,
            None,
            "x",
            "r",
        )
        .unwrap_err();
        assert!(matches!(e, ImageError::UnsupportedMediaType { .. }));
    }

    #[test]
    fn layer_media_types() {
        use DeclaredCompression::*;
        assert_eq!(
            layer_compression(Some("application/vnd.oci.image.layer.v1.tar+gzip")),
            Gzip
        );
        assert_eq!(
            layer_compression(Some("application/vnd.oci.image.layer.v1.tar+zstd")),
            Zstd
        );
        assert_eq!(
            layer_compression(Some("application/vnd.oci.image.layer.v1.tar")),
            None
        );
        assert_eq!(
            layer_compression(Some("application/vnd.docker.image.rootfs.diff.tar.gzip")),
            Gzip
        );
        assert_eq!(
            layer_compression(Some(
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
            )),
            Gzip
        );
        assert_eq!(layer_compression(Option::None), Unknown);
    }
}
