//! A small Kubernetes API server for tests and for trying Palisade without a cluster.
//!
//! No real kube-apiserver can run on our machines or in CI, yet the operator and kubectl
//! need a real HTTP API to talk to. This crate serves the Kubernetes REST API over plain
//! HTTP on 127.0.0.1, keeps objects in memory (optionally persisted to one JSON file) and
//! behaves like the real server wherever kubectl 1.32 and kube-rs depend on it:
//! discovery, content negotiation (Table and metadata-only `PartialObjectMetadata`
//! output), watches, patches, server-side apply, finalizers and garbage collection. See
//! the crate README for what it does not do.
//!
//! ```no_run
//! # async fn demo() -> Result<(), palisade_apiserver::Error> {
//! let server = palisade_apiserver::serve(palisade_apiserver::Config::default()).await?;
//! println!("listening on {}, kubeconfig {}", server.url(), server.kubeconfig().display());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod controllers;
pub mod cron;
pub mod discovery;
pub mod error;
pub mod http;
pub mod negotiate;
pub mod patch;
pub mod registry;
pub mod resources;
pub mod selector;
pub mod store;
pub mod table;
pub mod time;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use error::{ApiError, Error, Result};
use http::Shared;
use store::Store;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Where to write the kubeconfig. None: `kubeconfig` in a fresh temporary directory.
    pub kubeconfig: Option<PathBuf>,
    /// Persist all objects to this JSON file (atomically, shortly after each change) and
    /// load it at start.
    pub state_file: Option<PathBuf>,
    /// How many changes watches can resume from; older resourceVersions get 410 Gone.
    pub history_window: usize,
    /// Interval of watch bookmarks for clients that allow them.
    pub bookmark_interval: Duration,
    /// Largest request body accepted (the real server caps at 3 MiB).
    pub max_body_bytes: usize,
    /// Run the built-in controllers (Deployments, Jobs, Pods, the node).
    pub controllers: bool,
    /// Image → local command for the Job runner. The key matches an image reference
    /// exactly, or its repository without tag/digest. The container's `command` and
    /// `args` are appended to the mapped command (the mapped command plays the image's
    /// entrypoint).
    pub image_commands: BTreeMap<String, Vec<String>>,
    /// Run Job containers whose image has no mapping through `sh -c` with the container's
    /// command and args (handy for tests with `busybox`-like images).
    pub run_unmapped_images_with_shell: bool,
    /// Local registries (`host:port`, plain HTTP, no auth). Pods of running workloads
    /// whose image lives in one of them get `imageID` = `repo@<manifest digest>`
    /// resolved from the registry, like a real kubelet reports after a pull; other
    /// images get a stable fake digest.
    pub registries: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 0,
            kubeconfig: None,
            state_file: None,
            history_window: 10_000,
            bookmark_interval: Duration::from_secs(5),
            max_body_bytes: 3 * 1024 * 1024,
            controllers: true,
            image_commands: BTreeMap::new(),
            run_unmapped_images_with_shell: false,
            registries: Vec::new(),
        }
    }
}

/// A running server. Dropping it stops accepting connections; call
/// [`RunningServer::shutdown`] to also end watches and save the state file.
pub struct RunningServer {
    addr: SocketAddr,
    kubeconfig: PathBuf,
    shared: Arc<Shared>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    state_file: Option<PathBuf>,
    // Keeps the temporary kubeconfig directory alive as long as the server.
    _tmp: Option<TempDir>,
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The kubeconfig file pointing at this server.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Runs `f` on the store, for tests and embedders that need to seed or inspect state
    /// without HTTP.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let out = f(&mut self.shared.lock());
        self.shared.changed.notify_one();
        out
    }

    /// Stops the server: ends watches and log streams, stops background tasks and
    /// writes the state file one last time.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        for t in self.tasks.drain(..) {
            t.abort();
            let _ = t.await;
        }
        if let Some(path) = &self.state_file
            && let Err(e) = save_state(&self.shared, path)
        {
            tracing::warn!(error = %e, "saving state on shutdown failed");
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A temporary directory removed on drop (we avoid a dependency for this one use).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self> {
        let base = std::env::temp_dir();
        for attempt in 0u32..100 {
            let p = base.join(format!(
                "palisade-apiserver-{}-{}-{attempt}",
                std::process::id(),
                time::now_secs()
            ));
            match std::fs::create_dir(&p) {
                Ok(()) => return Ok(Self(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => {
                    return Err(Error::Io {
                        what: "creating temporary directory",
                        path: p,
                        source,
                    });
                }
            }
        }
        Err(Error::Io {
            what: "creating temporary directory",
            path: base,
            source: std::io::Error::other("too many attempts"),
        })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The kubeconfig text for a server at `url`: one cluster, user and context named
/// `palisade`, namespace `default`. The token is a placeholder; the server does not
/// authenticate (it only listens on loopback).
pub fn kubeconfig_yaml(url: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: palisade\n  cluster:\n    server: {url}\n\
         users:\n- name: palisade\n  user:\n    token: palisade-test-token\n\
         contexts:\n- name: palisade\n  context:\n    cluster: palisade\n    user: palisade\n    namespace: default\n\
         current-context: palisade\npreferences: {{}}\n"
    )
}

fn write_atomic(path: &Path, data: &[u8], what: &'static str) -> Result<()> {
    let io = |source| Error::Io {
        what,
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, data).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn save_state(shared: &Shared, path: &Path) -> Result<()> {
    let snap = {
        let mut s = shared.lock();
        s.dirty = false;
        s.snapshot()
    };
    let data = serde_json::to_vec(&snap).map_err(|e| Error::BadState {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    write_atomic(path, &data, "writing state file")
}

/// Starts the server and returns once it accepts connections.
pub async fn serve(config: Config) -> Result<RunningServer> {
    let mut store = Store::new(config.history_window);
    if let Some(path) = &config.state_file {
        match std::fs::read(path) {
            Ok(bytes) => {
                let v: serde_json::Value =
                    serde_json::from_slice(&bytes).map_err(|e| Error::BadState {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                store.restore(&v).map_err(|message| Error::BadState {
                    path: path.clone(),
                    message,
                })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::Io {
                    what: "reading state file",
                    path: path.clone(),
                    source,
                });
            }
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(|source| Error::Bind {
            port: config.port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        port: config.port,
        source,
    })?;
    let (tmp, kubeconfig) = match &config.kubeconfig {
        Some(p) => (None, p.clone()),
        None => {
            let t = TempDir::new()?;
            let p = t.0.join("kubeconfig");
            (Some(t), p)
        }
    };
    write_atomic(
        &kubeconfig,
        kubeconfig_yaml(&format!("http://{addr}")).as_bytes(),
        "writing kubeconfig",
    )?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        store: Mutex::new(store),
        changed: Notify::new(),
        shutdown: shutdown_rx,
        max_body: config.max_body_bytes,
        bookmark_interval: config.bookmark_interval,
    });
    let mut tasks = Vec::new();
    tasks.push(tokio::spawn(accept_loop(listener, shared.clone())));
    tasks.push(tokio::spawn(gc_loop(shared.clone())));
    if let Some(path) = config.state_file.clone() {
        tasks.push(tokio::spawn(persist_loop(shared.clone(), path)));
    }
    if config.controllers {
        tasks.push(tokio::spawn(controllers::run(
            shared.clone(),
            config.clone(),
        )));
    }
    tracing::info!(%addr, kubeconfig = %kubeconfig.display(), "palisade-apiserver listening");
    Ok(RunningServer {
        addr,
        kubeconfig,
        shared,
        shutdown_tx,
        tasks,
        state_file: config.state_file,
        _tmp: tmp,
    })
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        let conn = tokio::select! {
            c = listener.accept() => c,
            _ = shutdown.changed() => return,
        };
        let (stream, _) = match conn {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = shared.clone();
        let mut epoch = shared.lock().connection_epoch();
        tokio::spawn(async move {
            let svc = service_fn(move |req| http::handle(shared.clone(), req));
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                biased;
                // Dropping the connection future closes the socket mid-response.
                _ = epoch.changed() => tracing::debug!("connection dropped on request"),
                r = conn => if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended with an error");
                },
            }
        });
    }
}

async fn gc_loop(shared: Arc<Shared>) {
    loop {
        tokio::select! {
            _ = shared.changed.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        {
            let mut store = shared.lock();
            // Each pass can enable the next (an owner's deletion frees its dependents); the
            // bound keeps a pathological ownership graph from pinning the lock.
            for _ in 0..32 {
                if !store.collect_garbage() {
                    break;
                }
            }
        }
        // A pass walks every object under the lock, so one per change would make a burst of
        // writes cost writes × objects. Changes meanwhile leave a permit on `changed`: the next
        // pass starts right after the pause.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn persist_loop(shared: Arc<Shared>, path: PathBuf) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if shared.lock().dirty
            && let Err(e) = save_state(&shared, &path)
        {
            tracing::warn!(error = %e, "saving state failed");
        }
    }
}
