//! Watch plumbing: one task per watched resource turns the API server's watch events into compact
//! [`Ev`]s and sends them to the loop as [`Msg`]s.
//!
//! Converting in the watch task keeps full objects out of the loop: only the mirrors' compact
//! values cross the channel, and reports are watched metadata-only.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, watcher};
use palisade_crds::{SbomReport, VulnerabilityReport};

use super::{Ctx, Ev, JobStatus, Msg, ReportMeta};
use crate::jobs::SCAN_JOB_SELECTOR;
use crate::model::{self, JobEntry, ObjKey, PodEntry, ReplicaSetEntry};
use crate::reports::ReportKind;

fn key_of(meta: &ObjectMeta) -> ObjKey {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// Spawns one watcher, converting its events with `convert` and wrapping them with `wrap`.
fn spawn_watch<K, S, V>(
    ctx: &Arc<Ctx>,
    what: &'static str,
    stream: S,
    convert: impl Fn(&K) -> Option<V> + Send + 'static,
    meta: impl Fn(&K) -> &ObjectMeta + Send + 'static,
    wrap: impl Fn(Ev<V>) -> Msg + Send + 'static,
) where
    S: futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
    K: Send + 'static,
    V: Send + 'static,
{
    let tx = ctx.tx.clone();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream.default_backoff());
        while let Some(ev) = stream.next().await {
            let ev = match ev {
                Ok(watcher::Event::Init) => Ev::Init,
                Ok(watcher::Event::InitApply(o)) => Ev::InitItem(key_of(meta(&o)), convert(&o)),
                Ok(watcher::Event::InitDone) => Ev::InitDone,
                Ok(watcher::Event::Apply(o)) => Ev::Apply(key_of(meta(&o)), convert(&o)),
                Ok(watcher::Event::Delete(o)) => Ev::Delete(key_of(meta(&o))),
                Err(e) => {
                    tracing::warn!(resource = what, error = %e, "watch failed; retrying");
                    continue;
                }
            };
            if tx.send(wrap(ev)).await.is_err() {
                break;
            }
        }
    });
}

pub(super) fn start_watchers(ctx: &Arc<Ctx>) {
    let client = ctx.client.clone();
    let cfg = &ctx.cfg;
    let wc = watcher::Config::default();
    let skip = cfg.skip_label_keys.clone();
    let filter = cfg.namespaces.clone();
    spawn_watch(
        ctx,
        "pods",
        watcher(Api::<Pod>::all(client.clone()), wc.clone()),
        move |p: &Pod| {
            let ns = p.metadata.namespace.as_deref().unwrap_or_default();
            if !filter.allows(ns) {
                return None;
            }
            PodEntry::from_pod(p, &skip)
        },
        |p: &Pod| &p.metadata,
        Msg::Pod,
    );
    spawn_watch(
        ctx,
        "nodes",
        watcher(Api::<Node>::all(client.clone()), wc.clone()),
        model::node_platform,
        |n: &Node| &n.metadata,
        Msg::Node,
    );
    spawn_watch(
        ctx,
        "replicasets",
        watcher(
            Api::<PartialObjectMeta<ReplicaSet>>::all(client.clone()),
            wc.clone(),
        ),
        |m: &PartialObjectMeta<ReplicaSet>| Some(ReplicaSetEntry::from_meta(&m.metadata)),
        |m: &PartialObjectMeta<ReplicaSet>| &m.metadata,
        Msg::ReplicaSet,
    );
    spawn_watch(
        ctx,
        "jobs",
        watcher(
            Api::<PartialObjectMeta<Job>>::all(client.clone()),
            wc.clone(),
        ),
        |m: &PartialObjectMeta<Job>| Some(JobEntry::from_meta(&m.metadata)),
        |m: &PartialObjectMeta<Job>| &m.metadata,
        Msg::Job,
    );
    let scan_jobs: Api<Job> = if cfg.scan_jobs_in_same_namespace {
        Api::all(client.clone())
    } else {
        Api::namespaced(client.clone(), &cfg.namespace)
    };
    spawn_watch(
        ctx,
        "scan jobs",
        watcher(scan_jobs, wc.clone().labels(SCAN_JOB_SELECTOR)),
        |j: &Job| Some(job_status(j)),
        |j: &Job| &j.metadata,
        Msg::ScanJob,
    );
    let managed = wc.labels("app.kubernetes.io/managed-by=trivy-operator");
    spawn_watch(
        ctx,
        "vulnerabilityreports",
        watcher(
            Api::<PartialObjectMeta<VulnerabilityReport>>::all(client.clone()),
            managed.clone(),
        ),
        |m: &PartialObjectMeta<VulnerabilityReport>| Some(ReportMeta::from_meta(&m.metadata)),
        |m: &PartialObjectMeta<VulnerabilityReport>| &m.metadata,
        |e| Msg::Report(ReportKind::Vulnerability, e),
    );
    spawn_watch(
        ctx,
        "sbomreports",
        watcher(Api::<PartialObjectMeta<SbomReport>>::all(client), managed),
        |m: &PartialObjectMeta<SbomReport>| Some(ReportMeta::from_meta(&m.metadata)),
        |m: &PartialObjectMeta<SbomReport>| &m.metadata,
        |e| Msg::Report(ReportKind::Sbom, e),
    );
}

fn job_status(job: &Job) -> JobStatus {
    let conditions = job
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    for c in conditions {
        if c.status != "True" {
            continue;
        }
        match c.type_.as_str() {
            "Failed" | "FailureTarget" => {
                return JobStatus::Failed(
                    c.reason.clone().unwrap_or_default(),
                    c.message.clone().unwrap_or_default(),
                );
            }
            "Complete" | "SuccessCriteriaMet" => return JobStatus::Succeeded,
            _ => {}
        }
    }
    JobStatus::Active
}
