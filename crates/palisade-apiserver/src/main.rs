//! `palisade-apiserver`: runs the test API server until interrupted.

use std::path::PathBuf;

use anyhow::{Context, bail};

const USAGE: &str = "usage: palisade-apiserver [--port N] [--kubeconfig PATH] [--state FILE] [--image IMAGE=COMMAND ...] [--registry HOST:PORT ...]

Serves a Kubernetes API on http://127.0.0.1:PORT (a free port when --port is 0 or absent),
writes a kubeconfig for it, and keeps objects in memory (in FILE too, with --state).
--image maps a container image to a local command for the Job runner (repeatable).
--registry names a local plain-HTTP registry whose images get real digests in pods'
imageID (repeatable).";

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut config = palisade_apiserver::Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .with_context(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match a.as_str() {
            "--port" => {
                config.port = value("--port")?
                    .parse()
                    .context("--port must be a number")?
            }
            "--kubeconfig" => config.kubeconfig = Some(PathBuf::from(value("--kubeconfig")?)),
            "--state" => config.state_file = Some(PathBuf::from(value("--state")?)),
            "--image" => {
                let v = value("--image")?;
                let (image, cmd) = v.split_once('=').context("--image wants IMAGE=COMMAND")?;
                config.image_commands.insert(
                    image.to_string(),
                    cmd.split_whitespace().map(str::to_string).collect(),
                );
            }
            "--registry" => config.registries.push(value("--registry")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    if config.kubeconfig.is_none() {
        config.kubeconfig = Some(PathBuf::from("palisade-apiserver.kubeconfig"));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let server = palisade_apiserver::serve(config).await?;
        println!("palisade-apiserver listening on {}", server.url());
        println!("kubeconfig: {}", server.kubeconfig().display());
        println!(
            "try: KUBECONFIG={} kubectl get namespaces",
            server.kubeconfig().display()
        );
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        server.shutdown().await;
        Ok(())
    })
}
