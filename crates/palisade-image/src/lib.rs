//! Reads container images from registries, OCI layouts and archives, streaming layers into a
//! file tree.
//!
//! The entry point is [`read_image`] (or [`read_image_str`] for a user-typed string): it turns
//! an [`ImageSource`] into an [`Image`], i.e. metadata plus a [`palisade_vfs::FileTree`] holding
//! only the files an [`palisade_vfs::Interest`] asked for. Every source goes through the same
//! steps: resolve one image manifest for the platform, fetch and verify the config, then stream
//! each layer once through a digest verifier, a decompressor and a tar reader
//! ([`read_layer_with`]). Nothing is extracted to disk, and every input is treated as hostile:
//! digests are always verified, and sizes, counts and nesting are capped.
//!
//! The design is synchronous (blocking `ureq` and `std::io::Read`); layers are read in parallel
//! with scoped threads.

#![warn(missing_docs)]

mod auth;
mod cache;
mod digest;
mod error;
mod image;
mod layer;
mod manifest;
mod platform;
mod reference;
mod registry;
mod store;

#[cfg(test)]
mod tests;

pub use auth::{
    Challenge, Credentials, DOCKER_CONFIG_FILE_NAMES, credentials_from_docker_config,
    credentials_from_env, credentials_from_file, default_docker_config_path, docker_config_files,
    normalize_registry_host, parse_www_authenticate, resolve_credentials,
};
pub use cache::LayerCache;
pub use digest::{sha256_digest, validate_digest};
pub use error::ImageError;
pub use image::{Image, ImageMetadata, LayerInfo, PullOptions, read_image, read_image_str};
pub use layer::{
    DEFAULT_MAX_LAYER_BYTES, DEFAULT_MAX_LAYER_ENTRIES, LayerRead, LayerSpec, read_layer,
    read_layer_with,
};
pub use manifest::{
    DOCKER_CONFIG, DOCKER_LIST, DOCKER_MANIFEST, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, Descriptor,
    ImageConfig, MANIFEST_ACCEPT, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, Manifest, OCI_CONFIG,
    OCI_INDEX, OCI_MANIFEST, RootFs, RuntimeConfig,
};
pub use platform::Platform;
pub use reference::{
    ArchiveFormat, DEFAULT_TAG, DOCKER_HUB, DOCKER_HUB_API, ImageSource, Reference, parse_source,
};
pub use registry::{RegistryClient, RegistryOptions, default_user_agent, is_loopback_host};
pub use store::{Blob, BlobStore, DockerArchiveStore, Fetched, LayoutStore};
