//! Where a report says the image came from: `report.registry` and `report.artifact` (spec §1.5).
//!
//! The anchor parses the workload's container image string with go-containerregistry, so
//! `nginx:1.25` is registry `index.docker.io`, repository `library/nginx`, tag `1.25`. The digest
//! is the one the image string pins, else the one the kubelet reports in the Pod's
//! `status.containerStatuses[].imageID`: that is the manifest that actually runs, which a mutable
//! tag alone does not identify.

use palisade_crds::{Artifact, Registry};
use palisade_image::{DOCKER_HUB, Reference, validate_digest};

use crate::OperatorError;

/// How go-containerregistry (and therefore the anchor's reports) names Docker Hub.
pub const DOCKER_HUB_REGISTRY: &str = "index.docker.io";

/// Registry, repository, tag and digest of the image one container runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageIdentity {
    /// Registry host, `index.docker.io` for Docker Hub.
    pub registry: String,
    /// Repository path, keeping Docker Hub's `library/` prefix.
    pub repository: String,
    /// Tag, empty when the image is referenced by digest only.
    pub tag: String,
    /// Manifest digest (`sha256:…`), empty when unknown.
    pub digest: String,
}

impl ImageIdentity {
    /// The identity of a container that runs `image` (the Pod spec's string) and whose status
    /// reports `image_id` (may be empty while the container is not started).
    ///
    /// A reference without tag or digest gets tag `latest`, as go-containerregistry does.
    /// `image_id` is used only when it has the `repo@digest` form (containerd's
    /// `docker.io/library/nginx@sha256:…`, Docker's `docker-pullable://nginx@sha256:…`); a bare
    /// `sha256:…` is the Docker runtime's *config* digest, and writing it as the manifest digest
    /// would make the report disagree with the registry.
    pub fn from_container(image: &str, image_id: &str) -> Result<Self, OperatorError> {
        let reference = Reference::parse(image).map_err(|source| OperatorError::InvalidImage {
            image: image.chars().take(200).collect(),
            source,
        })?;
        let registry = if reference.registry == DOCKER_HUB {
            DOCKER_HUB_REGISTRY.to_owned()
        } else {
            reference.registry
        };
        let digest = reference
            .digest
            .or_else(|| running_digest(image_id))
            .unwrap_or_default();
        Ok(ImageIdentity {
            registry,
            repository: reference.repository,
            tag: reference.tag.unwrap_or_default(),
            digest,
        })
    }

    /// `report.registry`.
    pub fn registry(&self) -> Registry {
        Registry {
            server: self.registry.clone(),
        }
    }

    /// `report.artifact` (`mimeType` is never set, as in the anchor).
    pub fn artifact(&self) -> Artifact {
        Artifact {
            repository: self.repository.clone(),
            digest: self.digest.clone(),
            tag: self.tag.clone(),
            mime_type: String::new(),
        }
    }
}

/// The manifest digest of a Pod status `imageID`, when it has the `…@<digest>` form.
fn running_digest(image_id: &str) -> Option<String> {
    let (_, digest) = image_id.rsplit_once('@')?;
    validate_digest(digest).ok()?;
    Some(digest.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
    const E: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000002";

    #[test]
    fn docker_hub_official_image() {
        let id =
            ImageIdentity::from_container("nginx:1.25", &format!("docker.io/library/nginx@{D}"))
                .expect("valid");
        assert_eq!(
            id,
            ImageIdentity {
                registry: "index.docker.io".into(),
                repository: "library/nginx".into(),
                tag: "1.25".into(),
                digest: D.into(),
            }
        );
        let a = id.artifact();
        assert_eq!(
            (a.repository.as_str(), a.tag.as_str()),
            ("library/nginx", "1.25")
        );
        assert_eq!(id.registry().server, "index.docker.io");
    }

    #[test]
    fn defaults_and_pins() {
        let id = ImageIdentity::from_container("nginx", "").expect("valid");
        assert_eq!((id.tag.as_str(), id.digest.as_str()), ("latest", ""));
        // The pinned digest wins over the running one; tag kept from `repo:tag@digest`.
        let id = ImageIdentity::from_container(&format!("ghcr.io/o/r:v1@{D}"), &format!("x@{E}"))
            .expect("valid");
        assert_eq!(id.registry, "ghcr.io");
        assert_eq!(id.repository, "o/r");
        assert_eq!((id.tag.as_str(), id.digest.as_str()), ("v1", D));
        // Digest only: no tag.
        let id =
            ImageIdentity::from_container(&format!("localhost:5000/app@{D}"), "").expect("valid");
        assert_eq!(
            (id.registry.as_str(), id.tag.as_str()),
            ("localhost:5000", "")
        );
    }

    #[test]
    fn image_id_forms() {
        let docker = format!("docker-pullable://nginx@{D}");
        let id = ImageIdentity::from_container("nginx:1", &docker).expect("valid");
        assert_eq!(id.digest, D);
        // A bare config digest is not a manifest digest.
        let id = ImageIdentity::from_container("nginx:1", E).expect("valid");
        assert_eq!(id.digest, "");
        let id = ImageIdentity::from_container("nginx:1", "x@sha256:nothex").expect("valid");
        assert_eq!(id.digest, "");
    }

    #[test]
    fn invalid_image_is_an_error() {
        let err = ImageIdentity::from_container("Bad Image", "").expect_err("whitespace");
        assert!(matches!(err, OperatorError::InvalidImage { .. }), "{err}");
    }
}
