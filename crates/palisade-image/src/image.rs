//! From an [`ImageSource`] to a [`FileTree`]: resolve the manifest, fetch the config, stream
//! the layers (in parallel) and apply them in order.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use palisade_vfs::{FileTree, Interest, Limits};
use serde::Deserialize;

use crate::ImageError;
use crate::auth::{Credentials, resolve_credentials};
use crate::cache::LayerCache;
use crate::digest::{sha256_digest, validate_digest};
use crate::layer::{
    DEFAULT_MAX_LAYER_BYTES, DEFAULT_MAX_LAYER_ENTRIES, LayerRead, LayerSpec, read_layer_with,
};
use crate::manifest::{
    DOCKER_CONFIG, Descriptor, ImageConfig, MAX_CONFIG_BYTES, MAX_INDEX_DEPTH, MAX_MANIFEST_BYTES,
    Manifest, OCI_CONFIG, RuntimeConfig,
};
use crate::platform::{Platform, select_platform};
use crate::reference::{ArchiveFormat, ImageSource, Reference, parse_source};
use crate::registry::{RegistryClient, RegistryOptions, default_user_agent};
use crate::store::{
    BlobStore, DockerArchiveStore, Fetched, Files, LayoutStore, TarIndex, read_capped,
};

/// Everything that shapes how an image is fetched and read.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Platform to pick from multi-platform images; the host's (as `linux/<arch>`) when `None`.
    pub platform: Option<Platform>,
    /// Talk plain HTTP to the registry even when it is not on loopback.
    pub insecure: bool,
    /// Explicit credentials (CLI flags); they win over every other source.
    pub credentials: Option<Credentials>,
    /// Credentials files to read, in order, first match per registry wins: each a `config.json`,
    /// Kubernetes `.dockerconfigjson` or legacy `.dockercfg` file, or a directory holding one
    /// (a mounted pull secret). Several are accepted because a Pod may name several pull secrets.
    pub docker_configs: Vec<PathBuf>,
    /// Limits on the files kept from each layer.
    pub limits: Limits,
    /// Largest uncompressed layer accepted (decompression-bomb guard).
    pub max_layer_bytes: u64,
    /// Most tar entries accepted per layer.
    pub max_layer_entries: u64,
    /// `User-Agent` for registry requests.
    pub user_agent: String,
    /// Layer-reading threads; `None` means the number of CPUs.
    pub threads: Option<usize>,
    /// Where layer results are cached by digest; `None` reads every layer.
    pub cache: Option<LayerCache>,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            platform: None,
            insecure: false,
            credentials: None,
            docker_configs: Vec::new(),
            limits: Limits::default(),
            max_layer_bytes: DEFAULT_MAX_LAYER_BYTES,
            max_layer_entries: DEFAULT_MAX_LAYER_ENTRIES,
            user_agent: default_user_agent(),
            threads: None,
            cache: None,
        }
    }
}

/// One layer as reported: enough to identify it in a report and to match Trivy's layer fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// Digest of the blob as stored (computed while reading; for registry and OCI sources it
    /// equals the manifest's digest, which was verified).
    pub digest: String,
    /// Digest of the uncompressed tar, from the image config.
    pub diff_id: Option<String>,
    /// Blob size in bytes.
    pub size: u64,
    /// Media type from the manifest; `None` for docker archives.
    pub media_type: Option<String>,
}

/// What we learnt about the image besides its files; reports show this as the artifact.
#[derive(Debug, Clone)]
pub struct ImageMetadata {
    /// What the user typed (or a rendering of the source).
    pub name: String,
    /// The registry reference, for registry sources.
    pub reference: Option<Reference>,
    /// `registry/repo@sha256:…` of the top-level manifest (the index for multi-platform images),
    /// for registry sources; this is what `docker images --digests` shows.
    pub repo_digest: Option<String>,
    /// Digest of the platform-specific image manifest (absent for docker archives).
    pub manifest_digest: Option<String>,
    /// Digest of the image config (the image ID).
    pub config_digest: String,
    /// The platform the config declares.
    pub platform: Platform,
    /// Config `rootfs.diff_ids`.
    pub diff_ids: Vec<String>,
    /// Layers, bottom first.
    pub layers: Vec<LayerInfo>,
    /// Tags the source associates with the image.
    pub repo_tags: Vec<String>,
    /// Config creation time.
    pub created: Option<String>,
    /// Environment, command, labels and build history from the config.
    pub runtime: RuntimeConfig,
}

/// An image reduced to the files analyzers asked for.
#[derive(Debug)]
pub struct Image {
    /// Identity and layer information.
    pub metadata: ImageMetadata,
    /// The merged view of the wanted files across all layers.
    pub tree: FileTree,
    /// Each layer's records (`Interest::wants_record`), bottom first, parallel to
    /// `metadata.layers`: what each layer held, whatever later layers deleted.
    pub layer_records: Vec<palisade_vfs::LayerRecords>,
}

/// A blob to read, as a resolved manifest names it.
#[derive(Debug, Clone)]
struct BlobRef {
    key: String,
    digest: Option<String>,
    size: Option<u64>,
    media_type: Option<String>,
}

impl BlobRef {
    fn from_descriptor(d: &Descriptor) -> Result<BlobRef, ImageError> {
        validate_digest(&d.digest)?;
        Ok(BlobRef {
            key: d.digest.clone(),
            digest: Some(d.digest.clone()),
            size: d.size(),
            media_type: d.media_type.clone(),
        })
    }
}

/// The outcome of resolution: which config and layers make up the image.
struct Plan {
    store: Box<dyn BlobStore>,
    reference: Option<Reference>,
    top_digest: Option<String>,
    manifest_digest: Option<String>,
    config: BlobRef,
    layers: Vec<BlobRef>,
    repo_tags: Vec<String>,
}

/// Parses `input` with [`parse_source`] and reads it with [`read_image`], recording `input` as
/// the image name. This is what the CLI calls.
pub fn read_image_str(
    input: &str,
    opts: &PullOptions,
    interest: &dyn Interest,
) -> Result<Image, ImageError> {
    let source = parse_source(input)?;
    let mut image = read_image(&source, opts, interest)?;
    image.metadata.name = input.to_string();
    Ok(image)
}

/// Reads an image from any source: resolves the manifest for the requested platform, fetches
/// and verifies the config, reads the layers with up to N threads (each verified against its
/// digest), then applies them in order to a [`FileTree`].
pub fn read_image(
    source: &ImageSource,
    opts: &PullOptions,
    interest: &dyn Interest,
) -> Result<Image, ImageError> {
    let platform = opts.platform.clone().unwrap_or_else(Platform::host);
    let plan = match source {
        ImageSource::Registry(reference) => plan_registry(reference, opts, &platform)?,
        ImageSource::OciLayout { dir, tag } => {
            let store = LayoutStore::from_dir(dir);
            if !dir.is_dir() {
                return Err(ImageError::NotFound {
                    what: format!("OCI layout directory {}", dir.display()),
                });
            }
            plan_layout(store, tag.as_deref(), &platform)?
        }
        ImageSource::Archive {
            path,
            format,
            image,
        } => plan_archive(path, *format, image.as_deref(), &platform)?,
    };
    let what_config = format!("image config {}", plan.config.key);
    let config_bytes = read_capped(
        plan.store.open(&plan.config.key)?.reader,
        MAX_CONFIG_BYTES,
        &what_config,
    )?;
    let config_digest = sha256_digest(&config_bytes);
    if let Some(expected) = &plan.config.digest
        && *expected != config_digest
    {
        return Err(ImageError::DigestMismatch {
            what: what_config,
            expected: expected.clone(),
            actual: config_digest,
        });
    }
    let config = ImageConfig::parse(&config_bytes, &what_config)?;
    let diff_ids = config.rootfs.diff_ids.clone();
    if diff_ids.len() != plan.layers.len() {
        return Err(ImageError::manifest(
            what_config,
            format!(
                "lists {} diff_ids but the manifest has {} layers",
                diff_ids.len(),
                plan.layers.len()
            ),
        ));
    }
    let image_platform = Platform {
        os: config.os.clone(),
        architecture: config.architecture.clone(),
        variant: config.variant.clone(),
    };
    if let Some(wanted) = &opts.platform
        && !wanted.matches(&image_platform)
    {
        tracing::warn!(
            wanted = %wanted,
            actual = %image_platform,
            "the image is not for the requested platform"
        );
    }

    let reads = read_layers(&plan, &diff_ids, opts, interest)?;
    let mut tree = FileTree::new();
    let mut layers = Vec::with_capacity(reads.len());
    let mut layer_records = Vec::with_capacity(reads.len());
    for (i, mut read) in reads.into_iter().enumerate() {
        layer_records.push(read.changes.take_records());
        layers.push(LayerInfo {
            digest: read.digest,
            diff_id: diff_ids.get(i).cloned(),
            size: read.blob_size,
            media_type: plan.layers[i].media_type.clone(),
        });
        tree.apply(read.changes);
    }
    let repo_digest = match (&plan.reference, &plan.top_digest) {
        (Some(r), Some(d)) => Some(r.repo_digest(d)),
        _ => None,
    };
    tracing::info!(
        image = %source,
        config = %config_digest,
        layers = layers.len(),
        files = tree.len(),
        "read image"
    );
    Ok(Image {
        metadata: ImageMetadata {
            name: source.to_string(),
            reference: plan.reference.clone(),
            repo_digest,
            manifest_digest: plan.manifest_digest.clone(),
            config_digest,
            platform: image_platform,
            diff_ids,
            layers,
            repo_tags: plan.repo_tags.clone(),
            created: config.created.clone(),
            runtime: config.runtime(),
        },
        tree,
        layer_records,
    })
}

/// Reads all layers, several at a time. Results come back in layer order; on failure the error
/// of the lowest failing layer is returned and the remaining layers are not started.
fn read_layers(
    plan: &Plan,
    diff_ids: &[String],
    opts: &PullOptions,
    interest: &dyn Interest,
) -> Result<Vec<LayerRead>, ImageError> {
    let n = plan.layers.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = opts.threads.unwrap_or(cpus).clamp(1, n);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let cached = AtomicUsize::new(0);
    let read_one = |i: usize| -> Result<LayerRead, ImageError> {
        let layer = &plan.layers[i];
        let name = layer.digest.as_deref().unwrap_or(&layer.key);
        let spec = LayerSpec {
            name,
            media_type: layer.media_type.as_deref(),
            digest: layer.digest.as_deref(),
            // Without a blob digest (docker archives), the diff_id is what we can verify.
            diff_id: if layer.digest.is_none() {
                diff_ids.get(i).map(String::as_str)
            } else {
                None
            },
            max_blob_bytes: layer.size.unwrap_or(u64::MAX),
            max_bytes: opts.max_layer_bytes,
            max_entries: opts.max_layer_entries,
        };
        // Registry and OCI layers are keyed by their blob digest, docker-archive layers by the
        // diff_id they are verified against: either way a key names verified content.
        let key = opts.cache.as_ref().and_then(|c| {
            let id = layer
                .digest
                .as_deref()
                .or(diff_ids.get(i).map(String::as_str))?;
            Some((
                c,
                LayerCache::key(id, &interest.fingerprint(), &opts.limits),
            ))
        });
        if let Some((cache, key)) = &key
            && let Some(hit) = cache.get(key)
        {
            tracing::debug!(layer = name, "layer result from the cache");
            cached.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        let blob = plan.store.open(&layer.key)?;
        tracing::debug!(layer = name, size = ?blob.size, "reading layer");
        let read = read_layer_with(blob.reader, &spec, interest, &opts.limits)?;
        if let Some((cache, key)) = &key {
            cache.put(key, &read);
        }
        Ok(read)
    };
    let mut results: Vec<Option<Result<LayerRead, ImageError>>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        let r = read_one(i);
                        if r.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        out.push((i, r));
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(out) => {
                    for (i, r) in out {
                        results[i] = Some(r);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    if let Some(pos) = results.iter().position(|r| matches!(r, Some(Err(_))))
        && let Some(Err(e)) = results.swap_remove(pos)
    {
        return Err(e);
    }
    let mut out = Vec::with_capacity(n);
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Some(Ok(read)) => out.push(read),
            // Only skipped when another layer failed, which returned above.
            _ => {
                return Err(ImageError::CorruptLayer {
                    layer: plan.layers[i].key.clone(),
                    reason: "layer was not read".to_string(),
                });
            }
        }
    }
    let hits = cached.load(Ordering::Relaxed);
    if hits > 0 {
        tracing::info!(
            layers = n,
            cached = hits,
            "layer results reused from the cache"
        );
    }
    Ok(out)
}

/// Follows indexes down to one image manifest for `platform`.
fn resolve_chain(
    store: &dyn BlobStore,
    first: Fetched,
    platform: &Platform,
    what: &str,
) -> Result<(String, BlobRef, Vec<BlobRef>), ImageError> {
    let mut cur = first;
    for _ in 0..=MAX_INDEX_DEPTH {
        let doc = format!("manifest {} of {what}", cur.digest);
        match Manifest::parse(&cur.bytes, cur.media_type.as_deref(), &doc, what)? {
            Manifest::Index(entries) => {
                let choices: Vec<(Option<Platform>, Descriptor)> = entries
                    .into_iter()
                    .map(|d| (d.platform.clone(), d))
                    .collect();
                let chosen = select_platform(&choices, platform, what)?;
                validate_digest(&chosen.digest)?;
                tracing::debug!(%platform, digest = %chosen.digest, "selected platform manifest");
                cur = store.manifest(
                    &chosen.digest,
                    chosen.media_type.as_deref(),
                    MAX_MANIFEST_BYTES,
                )?;
            }
            Manifest::Image { config, layers } => {
                if let Some(mt) = config.media_type.as_deref()
                    && mt != OCI_CONFIG
                    && mt != DOCKER_CONFIG
                {
                    // An OCI artifact (Helm chart, signature, SBOM...), not a container image.
                    return Err(ImageError::UnsupportedMediaType {
                        what: format!("config of {doc} (not a container image)"),
                        media_type: mt.to_string(),
                    });
                }
                let config = BlobRef::from_descriptor(&config)?;
                let layers = layers
                    .iter()
                    .map(BlobRef::from_descriptor)
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok((cur.digest, config, layers));
            }
        }
    }
    Err(ImageError::manifest(
        what,
        format!("indexes nested deeper than {MAX_INDEX_DEPTH} levels"),
    ))
}

fn plan_registry(
    reference: &Reference,
    opts: &PullOptions,
    platform: &Platform,
) -> Result<Plan, ImageError> {
    let credentials = resolve_credentials(
        &reference.registry,
        opts.credentials.as_ref(),
        &opts.docker_configs,
    )?;
    let client = RegistryClient::new(
        reference,
        &RegistryOptions {
            insecure: opts.insecure,
            credentials,
            user_agent: opts.user_agent.clone(),
        },
    );
    let top = client.fetch_manifest(reference.target(), MAX_MANIFEST_BYTES)?;
    let top_digest = top.digest.clone();
    let (manifest_digest, config, layers) =
        resolve_chain(&client, top, platform, &reference.to_string())?;
    let repo_tags = match &reference.tag {
        Some(t) => vec![format!("{}:{t}", reference.name())],
        None => Vec::new(),
    };
    Ok(Plan {
        store: Box::new(client),
        reference: Some(reference.clone()),
        top_digest: Some(top_digest),
        manifest_digest: Some(manifest_digest),
        config,
        layers,
        repo_tags,
    })
}

fn plan_layout(
    store: LayoutStore,
    tag: Option<&str>,
    platform: &Platform,
) -> Result<Plan, ImageError> {
    let what = format!("OCI layout {}", store.describe());
    if !store.files.exists("oci-layout") {
        tracing::warn!("{what} has no oci-layout file; reading it anyway");
    }
    let index = store.files.read("index.json", MAX_MANIFEST_BYTES)?;
    let doc = format!("index.json of {what}");
    let entries = match Manifest::parse(&index, None, &doc, &what)? {
        Manifest::Index(e) => e,
        Manifest::Image { .. } => {
            return Err(ImageError::manifest(
                doc,
                "is an image manifest, not an index",
            ));
        }
    };
    let names: Vec<String> = entries
        .iter()
        .map(|d| {
            d.ref_name()
                .map_or_else(|| d.digest.clone(), str::to_string)
        })
        .collect();
    let chosen: Vec<&Descriptor> = match tag {
        Some(t) => entries.iter().filter(|d| d.ref_name() == Some(t)).collect(),
        None if entries.len() == 1 => entries.iter().collect(),
        None if entries.is_empty() => Vec::new(),
        None => {
            return Err(ImageError::AmbiguousImage {
                what,
                available: names,
            });
        }
    };
    let desc = match chosen.as_slice() {
        [] => {
            return Err(ImageError::ImageNotInSource {
                what,
                wanted: tag.unwrap_or("(any)").to_string(),
                available: names,
            });
        }
        [one] => (*one).clone(),
        many => {
            // The same tag for several platforms: choose like an index would.
            let choices: Vec<(Option<Platform>, Descriptor)> = many
                .iter()
                .map(|d| (d.platform.clone(), (*d).clone()))
                .collect();
            select_platform(&choices, platform, &what)?
        }
    };
    let first = store.manifest(&desc.digest, desc.media_type.as_deref(), MAX_MANIFEST_BYTES)?;
    let (manifest_digest, config, layers) = resolve_chain(&store, first, platform, &what)?;
    let repo_tags = desc
        .ref_name()
        .map(|n| vec![n.to_string()])
        .unwrap_or_default();
    Ok(Plan {
        store: Box::new(store),
        reference: None,
        top_digest: Some(desc.digest.clone()),
        manifest_digest: Some(manifest_digest),
        config,
        layers,
        repo_tags,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerArchiveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

fn plan_archive(
    path: &std::path::Path,
    format: Option<ArchiveFormat>,
    image: Option<&str>,
    platform: &Platform,
) -> Result<Plan, ImageError> {
    let files = Files::Tar(TarIndex::build(path)?);
    let what = format!("archive {}", path.display());
    let format = match format {
        Some(f) => f,
        None if files.exists("manifest.json") => ArchiveFormat::Docker,
        None if files.exists("index.json") => ArchiveFormat::Oci,
        None => {
            return Err(ImageError::manifest(
                what,
                "has neither manifest.json (docker archive) nor index.json (OCI archive)",
            ));
        }
    };
    match format {
        ArchiveFormat::Oci => plan_layout(LayoutStore { files }, image, platform),
        ArchiveFormat::Docker => plan_docker_archive(files, image, &what),
    }
}

/// The digest a docker-archive member name implies: `blobs/sha256/<hex>` (Docker 25+) or
/// `<hex>.json` (a config named by image ID).
fn digest_from_member_name(name: &str) -> Option<String> {
    let norm = palisade_vfs::normalize(name)?;
    let hex = norm
        .strip_prefix("blobs/sha256/")
        .or_else(|| norm.strip_suffix(".json"))?;
    let d = format!("sha256:{hex}");
    validate_digest(&d).ok().map(|()| d)
}

fn plan_docker_archive(files: Files, image: Option<&str>, what: &str) -> Result<Plan, ImageError> {
    let bytes = files.read("manifest.json", MAX_MANIFEST_BYTES)?;
    let entries: Vec<DockerArchiveEntry> = serde_json::from_slice(&bytes).map_err(|e| {
        ImageError::manifest(
            format!("manifest.json of {what}"),
            format!("invalid JSON: {e}"),
        )
    })?;
    let tags_of = |e: &DockerArchiveEntry| e.repo_tags.clone().unwrap_or_default();
    let available: Vec<String> = entries
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            let t = tags_of(e);
            if t.is_empty() {
                vec![format!("@{i}")]
            } else {
                t
            }
        })
        .collect();
    let same_ref = |a: &str, b: &str| {
        a == b || matches!((Reference::parse(a), Reference::parse(b)), (Ok(x), Ok(y)) if x == y)
    };
    let entry = match image {
        Some(sel) => {
            let by_index = sel
                .strip_prefix('@')
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|i| entries.get(i));
            by_index.or_else(|| {
                entries
                    .iter()
                    .find(|e| tags_of(e).iter().any(|t| same_ref(t, sel)))
            })
        }
        None if entries.len() == 1 => entries.first(),
        None if entries.is_empty() => None,
        None => {
            return Err(ImageError::AmbiguousImage {
                what: what.to_string(),
                available,
            });
        }
    };
    let Some(entry) = entry else {
        return Err(ImageError::ImageNotInSource {
            what: what.to_string(),
            wanted: image.unwrap_or("(any)").to_string(),
            available,
        });
    };
    let config = BlobRef {
        key: entry.config.clone(),
        digest: digest_from_member_name(&entry.config),
        size: None,
        media_type: None,
    };
    let layers = entry
        .layers
        .iter()
        .map(|l| BlobRef {
            key: l.clone(),
            digest: digest_from_member_name(l).filter(|_| !l.ends_with(".json")),
            size: None,
            media_type: None,
        })
        .collect();
    Ok(Plan {
        store: Box::new(DockerArchiveStore { files }),
        reference: None,
        top_digest: None,
        manifest_digest: None,
        config,
        layers,
        repo_tags: tags_of(entry),
    })
}
