//! Scan Jobs: the per-image scan state machine ([`Scan`]), scheduling under the concurrency
//! limit, creating each Job with its Secret, and handling what Jobs report (results, failures,
//! status changes, deletion) with retries and backoff.
//!
//! The transitions that Jobs cause are here, so the rules of slots, retries and kept failed Jobs
//! can be read in one place; the reconcile pass (`reconcile`) decides which images need a scan,
//! and the loop's tick (`run.rs`) notices results that are overdue.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::jiff::Timestamp;
use kube::Resource;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use palisade_operator::Owner;

use super::{Ctx, Ev, Inv, JobStatus, Msg, State};
use crate::jobs::{self, JobPlan};
use crate::model::{Desired, ImageKey, ObjKey, PodEntry};
use crate::server::{Delivery, Ticket};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scan {
    Queued {
        not_before: Instant,
    },
    Starting,
    Running {
        job: ObjKey,
        since: Instant,
        done_at: Option<Instant>,
    },
    Stopping {
        job: ObjKey,
        retry_at: Option<Instant>,
    },
    /// The scan failed; its Job is kept (so `kubectl logs job/…` shows why) until the retry,
    /// which deletes it and starts a new one. It holds no slot once finished.
    Failed {
        job: ObjKey,
        retry_at: Instant,
        finished: bool,
        since: Instant,
    },
}

impl Scan {
    pub(super) fn holds_slot(&self) -> bool {
        match self {
            Scan::Queued { .. } => false,
            Scan::Failed { finished, .. } => !finished,
            _ => true,
        }
    }

    pub(super) fn job(&self) -> Option<&ObjKey> {
        match self {
            Scan::Running { job, .. } | Scan::Stopping { job, .. } | Scan::Failed { job, .. } => {
                Some(job)
            }
            _ => None,
        }
    }
}

impl State {
    pub(super) fn on_scan_job(&mut self, ev: Ev<JobStatus>) {
        let first_sync = matches!(ev, Ev::InitDone) && !self.scan_jobs.synced;
        let event = match &ev {
            Ev::InitItem(k, Some(s)) | Ev::Apply(k, Some(s)) => Some((k.clone(), Some(s.clone()))),
            Ev::Delete(k) => Some((k.clone(), None)),
            _ => None,
        };
        self.scan_jobs.apply(ev);
        if first_sync {
            // Jobs of a previous operator process: their tokens died with it, so their results
            // can never be accepted. Delete them and scan again what still needs it.
            let leftovers: Vec<ObjKey> = self.scan_jobs.items.keys().cloned().collect();
            for job in leftovers {
                tracing::info!(namespace = %job.0, name = %job.1,
                    "deleting a scan Job left by a previous operator process");
                self.orphans.insert(job.clone());
                spawn_delete_job(&self.ctx, job);
            }
            self.orphans_swept = true;
        }
        let Some((job, status)) = event else { return };
        let Some(img) = self.image_of_job(&job) else {
            if status.is_none() {
                self.orphans.remove(&job);
            }
            return;
        };
        let failed_already = matches!(
            self.images.get(&img).and_then(|s| s.scan.as_ref()),
            Some(Scan::Failed { .. })
        );
        if failed_already {
            match status {
                Some(JobStatus::Failed(..)) | Some(JobStatus::Succeeded) => {
                    if let Some(st) = self.images.get_mut(&img)
                        && let Some(Scan::Failed { finished, .. }) = &mut st.scan
                    {
                        *finished = true;
                    }
                }
                Some(JobStatus::Active) => {}
                None => self.on_job_deleted(&job),
            }
            return;
        }
        let running = matches!(
            self.images.get(&img).and_then(|s| s.scan.as_ref()),
            Some(Scan::Running { .. })
        );
        match status {
            Some(JobStatus::Failed(..)) if !running => {}
            Some(JobStatus::Failed(reason, message)) => {
                let reason = if reason.is_empty() {
                    "JobFailed".to_owned()
                } else {
                    reason
                };
                let message = if reason == "DeadlineExceeded" {
                    format!(
                        "the scan Job ran longer than scanJobTimeout ({}s) and was stopped",
                        self.ctx.cfg.scan_job_timeout.as_secs()
                    )
                } else {
                    format!("the scan Job failed: {message}")
                };
                self.fail(&img, &reason, &message);
            }
            Some(JobStatus::Succeeded) => {
                if let Some(st) = self.images.get_mut(&img)
                    && let Some(Scan::Running { done_at, .. }) = &mut st.scan
                {
                    done_at.get_or_insert_with(Instant::now);
                }
            }
            Some(JobStatus::Active) => {}
            None => {
                if running {
                    self.fail(
                        &img,
                        "JobDeleted",
                        "the scan Job was deleted before it sent a result",
                    );
                }
                self.on_job_deleted(&job);
            }
        }
    }

    fn image_of_job(&self, job: &ObjKey) -> Option<ImageKey> {
        self.images.iter().find_map(|(k, st)| {
            (st.scan.as_ref().and_then(Scan::job) == Some(job)).then(|| k.clone())
        })
    }

    pub(super) fn on_job_deleted(&mut self, job: &ObjKey) {
        self.orphans.remove(job);
        for st in self.images.values_mut() {
            if let Some(Scan::Failed {
                job: j, retry_at, ..
            }) = &st.scan
                && j == job
            {
                st.scan = Some(Scan::Queued {
                    not_before: *retry_at,
                });
            }
            if let Some(Scan::Stopping { job: j, retry_at }) = &st.scan
                && j == job
            {
                st.scan = retry_at.map(|t| Scan::Queued { not_before: t });
            }
        }
    }

    pub(super) fn on_delivery(&mut self, d: Delivery) {
        match d {
            Delivery::Result { job, image, output } => {
                let Some(st) = self.images.get_mut(&image) else {
                    return;
                };
                let Some(Scan::Running {
                    job: running,
                    since,
                    ..
                }) = &st.scan
                else {
                    return;
                };
                if running.1 != job {
                    return;
                }
                self.ctx.metrics.observe_scan(since.elapsed());
                let running = running.clone();
                tracing::info!(image = %image, packages = output.inventory.packages.len(),
                    bom_bytes = output.bom_zstd.len(), "scan result received");
                st.inv = Some(Arc::new(Inv {
                    bom_zstd: output.bom_zstd,
                    bom_sha256: output.bom_sha256,
                    scanned_at: Timestamp::now().to_string(),
                }));
                st.vuln_hashes.clear();
                st.attempts = 0;
                st.scan = Some(Scan::Stopping {
                    job: running.clone(),
                    retry_at: None,
                });
                spawn_delete_job(&self.ctx, running);
            }
            Delivery::Failure {
                job,
                image,
                failure,
            } => {
                let ours = matches!(
                    self.images.get(&image).and_then(|s| s.scan.as_ref()),
                    Some(Scan::Running { job: j, .. }) if j.1 == job
                );
                if ours {
                    self.fail(&image, failure.reason.as_str(), &failure.message);
                }
            }
        }
    }

    pub(super) fn on_job_started(
        &mut self,
        image: ImageKey,
        job: ObjKey,
        result: Result<(), String>,
    ) {
        let Some(st) = self.images.get_mut(&image) else {
            return;
        };
        if st.scan != Some(Scan::Starting) {
            return;
        }
        match result {
            Ok(()) => {
                tracing::info!(image = %image, namespace = %job.0, job = %job.1, "scan Job started");
                st.scan = Some(Scan::Running {
                    job,
                    since: Instant::now(),
                    done_at: None,
                });
            }
            Err(e) => {
                self.ctx.shared.revoke(&job.1);
                st.scan = None;
                self.fail(
                    &image,
                    "JobCreateFailed",
                    &format!("cannot create the scan Job: {e}"),
                );
            }
        }
    }

    /// Deletes the Job of a failed scan: when its retry is due (`retry`), or at once when the scan
    /// is abandoned. Its replacement starts once it is gone (same name).
    pub(super) fn stop_failed_job(&mut self, image: &ImageKey, retry: bool) {
        let Some(st) = self.images.get_mut(image) else {
            return;
        };
        if let Some(Scan::Failed { job, retry_at, .. }) = &st.scan {
            let job = job.clone();
            let retry_at = retry.then_some(*retry_at);
            st.scan = Some(Scan::Stopping {
                job: job.clone(),
                retry_at,
            });
            spawn_delete_job(&self.ctx, job);
        }
    }

    /// A scan failed: log, tell every workload running the image, keep the finished Job for its
    /// log, and retry after the backoff.
    pub(super) fn fail(&mut self, image: &ImageKey, reason: &str, message: &str) {
        self.ctx.metrics.scan_failed(reason);
        let cfg = &self.ctx.cfg;
        let Some(st) = self.images.get_mut(image) else {
            return;
        };
        st.attempts += 1;
        let delay = cfg.retry_delay(st.attempts);
        let retry_at = Instant::now() + delay;
        let job = st.scan.as_ref().and_then(Scan::job).cloned();
        tracing::warn!(image = %image, reason, attempt = st.attempts, retry_in_secs = delay.as_secs(),
            error = message, "scan failed");
        match job {
            Some(job) => {
                self.ctx.shared.revoke(&job.1);
                let finished = matches!(
                    self.scan_jobs.items.get(&job),
                    Some(JobStatus::Failed(..)) | Some(JobStatus::Succeeded)
                );
                st.scan = Some(Scan::Failed {
                    job,
                    retry_at,
                    finished,
                    since: Instant::now(),
                });
            }
            None => {
                st.scan = Some(Scan::Queued {
                    not_before: retry_at,
                })
            }
        }
        let attempts = st.attempts;
        let owners: BTreeSet<(String, String, String, String, String)> = self
            .desired
            .values()
            .filter(|d| d.image.as_ref() == Some(image))
            .map(|d| {
                let o = &d.owner;
                (
                    o.namespace.clone(),
                    o.kind.clone(),
                    o.name.clone(),
                    o.uid.clone(),
                    o.api_version.clone(),
                )
            })
            .take(50)
            .collect();
        let reference = self
            .desired
            .values()
            .find(|d| d.image.as_ref() == Some(image))
            .map(|d| {
                jobs::pull_reference(&d.identity.registry, &d.identity.repository, &image.digest)
            })
            .unwrap_or_else(|| image.digest.clone());
        let text = format!(
            "Scan of {reference} ({}) failed (attempt {attempts}, {reason}): {message}; retrying in {}s",
            image.platform,
            delay.as_secs()
        );
        for (namespace, kind, name, uid, api_version) in owners {
            let owner = Owner {
                api_version,
                kind,
                namespace,
                name,
                uid,
            };
            self.event(&owner, "Warning", "ScanFailed", &text);
        }
        self.dirty = true;
    }

    /// Starts queued scans while fewer than the limit hold a slot (finished Jobs hold none).
    pub(super) fn schedule(&mut self, needed: &BTreeMap<ImageKey, Vec<ObjKey>>, now: Instant) {
        if !self.orphans_swept {
            return;
        }
        let busy = self
            .images
            .values()
            .filter(|s| s.scan.as_ref().is_some_and(Scan::holds_slot))
            .count()
            + self.orphans.len();
        let limit = self.ctx.cfg.concurrent_scan_jobs_limit.max(1);
        if busy >= limit {
            return;
        }
        let mut ready: Vec<(bool, u64, ImageKey)> = self
            .images
            .iter()
            .filter(
                |(_, s)| matches!(s.scan, Some(Scan::Queued { not_before }) if not_before <= now),
            )
            .map(|(k, s)| (s.inv.is_some(), s.seq, k.clone()))
            .collect();
        ready.sort();
        for (_, _, img) in ready.into_iter().take(limit - busy) {
            let Some(first) = needed.get(&img).and_then(|keys| keys.first()) else {
                continue;
            };
            let Some(d) = self.desired.get(first).cloned() else {
                continue;
            };
            self.start_scan(img, &d);
        }
    }

    fn start_scan(&mut self, img: ImageKey, d: &Desired) {
        let cfg = &self.ctx.cfg;
        let pod = self.pods.items.get(&d.pod).cloned();
        let name = jobs::job_name(&img);
        let namespace = if cfg.scan_jobs_in_same_namespace {
            d.owner.namespace.clone()
        } else {
            cfg.namespace.clone()
        };
        let token = match jobs::new_token() {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "no randomness for a scan token");
                return;
            }
        };
        let Some(st) = self.images.get_mut(&img) else {
            return;
        };
        st.scan = Some(Scan::Starting);
        self.ctx.shared.issue(
            &name,
            Ticket {
                token: token.clone(),
                image: img.clone(),
            },
        );
        let plan = JobPlan {
            name: name.clone(),
            namespace: namespace.clone(),
            image: img.clone(),
            reference: jobs::pull_reference(
                &d.identity.registry,
                &d.identity.repository,
                &img.digest,
            ),
            pull_secrets: Vec::new(),
        };
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let job = (namespace.clone(), name.clone());
            let result = create_scan_job(&ctx, plan, pod, &token).await;
            let _ = ctx
                .tx
                .send(Msg::JobStarted {
                    image: img,
                    job,
                    result,
                })
                .await;
        });
    }
}

fn spawn_delete_job(ctx: &Arc<Ctx>, job: ObjKey) {
    {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let jobs: Api<Job> = Api::namespaced(ctx.client.clone(), &job.0);
            let dp = DeleteParams::background();
            match jobs.delete(&job.1, &dp).await {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => tracing::warn!(namespace = %job.0, job = %job.1, error = %e,
                    "deleting a scan Job failed"),
            }
            let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &job.0);
            match secrets
                .delete(&jobs::secret_name(&job.1), &DeleteParams::background())
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => tracing::debug!(error = %e, "deleting a scan Job's Secret failed"),
            }
            let _ = ctx.tx.send(Msg::JobDeleted(job)).await;
        });
    }
}

async fn create_scan_job(
    ctx: &Ctx,
    mut plan: JobPlan,
    pod: Option<PodEntry>,
    token: &str,
) -> Result<(), String> {
    let cfg = &ctx.cfg;
    // Pull secrets: the Pod's and its ServiceAccount's (spec §4.8).
    let mut names: Vec<String> = Vec::new();
    if let Some(pod) = &pod {
        names.extend(pod.pull_secrets.iter().cloned());
        let sas: Api<ServiceAccount> = Api::namespaced(ctx.client.clone(), &pod.namespace);
        match sas.get_opt(&pod.service_account).await {
            Ok(Some(sa)) => names.extend(
                sa.image_pull_secrets
                    .into_iter()
                    .flatten()
                    .map(|r| r.name)
                    .filter(|n| !n.is_empty()),
            ),
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "reading the ServiceAccount failed"),
        }
    }
    names.dedup();
    let mut docker_config = None;
    if let Some(pod) = &pod {
        if cfg.scan_jobs_in_same_namespace {
            plan.pull_secrets = names.clone();
        } else if cfg.access_global_secrets && !names.is_empty() {
            let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &pod.namespace);
            let mut found = Vec::new();
            for n in &names {
                match secrets.get_opt(n).await {
                    Ok(Some(s)) => found.push(
                        s.data
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k, v.0))
                            .collect::<BTreeMap<_, _>>(),
                    ),
                    Ok(None) => tracing::debug!(secret = %n, "pull secret not found"),
                    Err(e) => {
                        tracing::debug!(secret = %n, error = %e, "reading a pull secret failed")
                    }
                }
            }
            docker_config = jobs::merge_docker_configs(&found);
        }
    }
    let secret = jobs::secret_object(&plan.name, &plan.namespace, token, docker_config.as_deref());
    let secret: Secret = serde_json::from_value(secret).map_err(|e| e.to_string())?;
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &plan.namespace);
    let pp = PostParams::default();
    match secrets.create(&pp, &secret).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {
            secrets
                .replace(&jobs::secret_name(&plan.name), &pp, &secret)
                .await
                .map_err(|e| format!("replacing the Job's Secret: {e}"))?;
        }
        Err(e) => return Err(format!("creating the Job's Secret: {e}")),
    }
    let job: Job = serde_json::from_value(jobs::job_object(&plan, &ctx.settings))
        .map_err(|e| e.to_string())?;
    let api: Api<Job> = Api::namespaced(ctx.client.clone(), &plan.namespace);
    let created = api
        .create(&pp, &job)
        .await
        .map_err(|e| format!("creating the Job: {e}"))?;
    // The Secret goes with the Job (garbage collection), even if the operator dies meanwhile.
    if let Some(uid) = created.meta().uid.clone() {
        let patch = serde_json::json!({"metadata": {"ownerReferences": [{
            "apiVersion": "batch/v1", "kind": "Job", "name": plan.name, "uid": uid,
            "blockOwnerDeletion": false}]}});
        if let Err(e) = secrets
            .patch(
                &jobs::secret_name(&plan.name),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            tracing::debug!(error = %e, "setting the Secret's owner failed");
        }
    }
    Ok(())
}
