//! Built-in controllers (Deployments, Jobs, Pods, the node). Filled in later.

use std::sync::Arc;

use crate::Config;
use crate::http::Shared;

/// Runs the controllers until the task is aborted.
pub async fn run(_shared: Arc<Shared>, _config: Config) {}
