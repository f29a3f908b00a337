//! The reconcile pass: derives the reports the cluster should have from the mirrors, compares
//! their content hashes with those the reports carry, and decides what to write, delete, read
//! back or scan.
//!
//! Decisions only: the I/O they lead to is started through `writes`, `readback` and `scans`, so
//! a pass stays a fast walk over in-memory data.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use k8s_openapi::jiff::Timestamp;
use kube::api::DeleteParams;
use palisade_advisory::Database;
use palisade_inventory::Inventory;

use super::readback::spawn_load;
use super::scans::Scan;
use super::state::{ImageState, ReportSummary, VulnCache};
use super::writes::{BuildFn, Built, report_api};
use super::{Inv, Msg, State};
use crate::model::{self, ImageKey, ObjKey, World};
use crate::reports::{self, ReportKind};

/// Report writes in flight (or waiting for a permit) after which a reconcile pass stops taking
/// on more images; each pending write holds its image's inventory and findings.
const MAX_PENDING_WRITES: usize = 64;

/// One image's parsed inventory and findings during a reconcile pass, computed on first use.
#[derive(Default)]
struct ImageWork {
    matched: Option<Result<MatchedImage, String>>,
}

type MatchedImage = (Arc<Inventory>, Arc<Vec<palisade_match::Finding>>);

impl ImageWork {
    fn matched(&mut self, db: &Database, inv: &Inv) -> Result<MatchedImage, String> {
        self.matched
            .get_or_insert_with(|| {
                let inventory = inv.inventory()?;
                let findings =
                    palisade_match::match_inventory(db, &inventory).map_err(|e| e.to_string())?;
                Ok((Arc::new(inventory), Arc::new(findings)))
            })
            .clone()
    }
}

/// Today's date (UTC), `YYYY-MM-DD`, for end-of-life judgements.
fn today() -> String {
    Timestamp::now().strftime("%Y-%m-%d").to_string()
}

impl State {
    pub(super) fn reconcile(&mut self) {
        self.last_reconcile = Instant::now();
        self.dirty = false;
        if !self.synced() {
            return;
        }
        self.ctx.shared.ready.store(true, Ordering::Relaxed);
        if self.world_changed {
            self.world_changed = false;
            self.derive_desired();
        }
        let now = Instant::now();

        // Which images are needed, and the reports each needs written.
        let mut needed: BTreeMap<ImageKey, Vec<ObjKey>> = BTreeMap::new();
        for (key, d) in &self.desired {
            if let Some(img) = &d.image {
                needed.entry(img.clone()).or_default().push(key.clone());
            }
        }
        self.reconcile_images(&needed, now);
        self.metrics_pending = true;
        self.publish_metrics(now);
    }

    /// What reports the cluster should have, from the Pods and their owners. Runs only when those
    /// changed: passes triggered by report writes alone reuse the result.
    fn derive_desired(&mut self) {
        let world = World {
            pods: &self.pods.items,
            replica_sets: &self.replica_sets.items,
            jobs: &self.jobs.items,
            nodes: &self
                .nodes
                .items
                .iter()
                .map(|((_, n), p)| (n.clone(), p.clone()))
                .collect(),
            default_platform: &self.ctx.cfg.default_platform,
        };
        let (desired, skipped) = model::derive(&world);
        for model::Skipped::InvalidImage {
            pod,
            container,
            reason,
        } in skipped
        {
            if self.warned_invalid.insert((pod.clone(), container.clone())) {
                tracing::warn!(namespace = %pod.0, pod = %pod.1, container = %container,
                    error = %reason, "container image cannot be scanned");
            }
        }
        self.desired = desired;
    }

    fn reconcile_images(&mut self, needed: &BTreeMap<ImageKey, Vec<ObjKey>>, now: Instant) {
        for img in needed.keys() {
            let seq = &mut self.seq;
            let st = self.images.entry(img.clone()).or_insert_with(|| {
                *seq += 1;
                ImageState {
                    inv: None,
                    loading: false,
                    load_failed: HashSet::new(),
                    scan: None,
                    attempts: 0,
                    last_used: now,
                    seq: *seq,
                    vuln_hashes: HashMap::new(),
                }
            });
            st.last_used = now;
        }

        // Image by image, so one image's parsed inventory and findings are alive at a time (and
        // in the write tasks that need them); stop once enough writes are pending, and go on in
        // the pass their completion triggers.
        for (img, keys) in needed {
            if self.writing.len() >= MAX_PENDING_WRITES {
                break;
            }
            let mut work = ImageWork::default();
            for key in keys {
                self.reconcile_report(key, img, &mut work, now);
            }
        }
        self.delete_stale_reports();
        self.plan_scans(needed, now);
        self.schedule(needed, now);
        // Forget inventories no workload has used for a while (bounded memory).
        let idle = Duration::from_secs(600);
        self.images.retain(|_, st| {
            st.scan.as_ref().is_some_and(Scan::holds_slot)
                || st.loading
                || now.duration_since(st.last_used) < idle
        });
    }

    fn reconcile_report(
        &mut self,
        key: &ObjKey,
        img: &ImageKey,
        work: &mut ImageWork,
        now: Instant,
    ) {
        let Some(d) = self.desired.get(key).cloned() else {
            return;
        };
        let Some(inv) = self.images.get(img).and_then(|st| st.inv.clone()) else {
            return;
        };
        let img = img.clone();
        let version = self.ctx.version;
        let max = self.ctx.cfg.max_report_bytes;
        let fields = self.ctx.cfg.vulnerability_report_fields;

        // VulnerabilityReport: its part hash is cached per image identity and database; on a miss
        // the part is built here only to hash it, and dropped.
        let vk = (ReportKind::Vulnerability, key.clone());
        if !self.writing.contains(&vk) && self.write_retry.get(&vk).is_none_or(|t| *t <= now) {
            let db = self.db.clone();
            let matched = |work: &mut ImageWork| work.matched(&db, &inv);
            let db_gen = self.db_gen;
            let cached = self.images.get(&img).and_then(|st| {
                st.vuln_hashes
                    .get(&d.identity)
                    .filter(|c| c.db_gen == db_gen)
                    .map(|c| (c.hash.clone(), c.truncation))
            });
            let rows = self.ctx.metrics.settings().vuln_id;
            let part_hash = match cached {
                Some(c) => Some(c),
                None => match matched(work) {
                    Ok((inventory, f)) => {
                        match reports::vulnerability_part(
                            &d.identity,
                            &inventory,
                            &f,
                            version,
                            max,
                            fields,
                            &today(),
                        ) {
                            Ok(part) => {
                                let summary = Arc::new(ReportSummary::of(&part.report, rows));
                                let r = (part.hash, part.truncation);
                                if let Some(st) = self.images.get_mut(&img) {
                                    st.vuln_hashes.insert(
                                        d.identity.clone(),
                                        VulnCache {
                                            db_gen,
                                            hash: r.0.clone(),
                                            truncation: r.1,
                                            summary,
                                        },
                                    );
                                }
                                Some(r)
                            }
                            Err(e) => {
                                self.ctx.metrics.reconcile_error();
                                tracing::error!(namespace = %key.0, name = %key.1, error = %e,
                                "cannot build the VulnerabilityReport");
                                None
                            }
                        }
                    }
                    Err(e) => {
                        self.ctx.metrics.reconcile_error();
                        tracing::error!(image = %img, error = %e, "matching failed");
                        None
                    }
                },
            };
            if let Some((hash, truncation)) = part_hash {
                let extra = reports::extra_annotations(&img, truncation, None);
                let want =
                    reports::content_hash(ReportKind::Vulnerability, &d, &img, &hash, &extra);
                let up_to_date =
                    self.current_hash(ReportKind::Vulnerability, key, now) == Some(&want);
                if !up_to_date && let Ok((inventory, f)) = matched(work) {
                    let (d, img, name) = (d.clone(), img.clone(), key.1.clone());
                    let build: BuildFn = Box::new(move || {
                        let part = reports::vulnerability_part(
                            &d.identity,
                            &inventory,
                            &f,
                            version,
                            max,
                            fields,
                            &today(),
                        )
                        .map_err(|e| format!("cannot build the VulnerabilityReport: {e}"))?;
                        let truncated = part.truncation.map(|t| {
                            (d.owner.clone(), format!(
                                "VulnerabilityReport {name} keeps the {} most severe of {} findings to stay under {max} bytes; the summary counts all of them",
                                t.kept, t.total))
                        });
                        Built::new(ReportKind::Vulnerability, &d, &img, part, extra, truncated)
                    });
                    self.spawn_write(ReportKind::Vulnerability, key.clone(), build);
                }
            }
        }

        // SbomReport: its hash is known without building it.
        let sk = (ReportKind::Sbom, key.clone());
        if !self.writing.contains(&sk) && self.write_retry.get(&sk).is_none_or(|t| *t <= now) {
            let part_hash = reports::sbom_part_hash(&inv.bom_sha256, &d.identity, version, max);
            let extra =
                reports::extra_annotations(&img, None, Some((&inv.bom_sha256, &inv.scanned_at)));
            let want = reports::content_hash(ReportKind::Sbom, &d, &img, &part_hash, &extra);
            if self.current_hash(ReportKind::Sbom, key, now) != Some(&want) {
                let name = key.1.clone();
                let build: BuildFn = Box::new(move || {
                    let bom = zstd::decode_all(&inv.bom_zstd[..]).map_err(|e| e.to_string())?;
                    let bom = palisade_operator::parse_bom(&bom).map_err(|e| e.to_string())?;
                    let part = reports::sbom_part(bom, &inv.bom_sha256, &d.identity, version, max)
                        .map_err(|e| format!("cannot build the SbomReport: {e}"))?;
                    let t = part.truncation;
                    let truncated = t.map(|t| {
                        (d.owner.clone(), format!(
                            "SbomReport {name} keeps {} of {} components to stay under {max} bytes; the summary counts all of them",
                            t.kept, t.total))
                    });
                    let extra = reports::extra_annotations(
                        &img,
                        t,
                        Some((&inv.bom_sha256, &inv.scanned_at)),
                    );
                    Built::new(ReportKind::Sbom, &d, &img, part, extra, truncated)
                });
                self.spawn_write(ReportKind::Sbom, key.clone(), build);
            }
        }
    }

    fn delete_stale_reports(&mut self) {
        let reported = [
            "Pod",
            "ReplicaSet",
            "ReplicationController",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
        ];
        let mut stale = Vec::new();
        for (kind, mirror) in [
            (ReportKind::Vulnerability, &self.vuln),
            (ReportKind::Sbom, &self.sbom),
        ] {
            for (key, meta) in &mirror.items {
                if self.desired.contains_key(key)
                    || !self.ctx.cfg.namespaces.allows(&key.0)
                    || !meta
                        .owner_kind
                        .as_deref()
                        .is_some_and(|k| reported.contains(&k))
                    || self.deleting.contains(&(kind, key.clone()))
                {
                    continue;
                }
                stale.push((kind, key.clone()));
            }
        }
        for (kind, key) in stale {
            self.deleting.insert((kind, key.clone()));
            tracing::info!(kind = kind.kind(), namespace = %key.0, name = %key.1,
                "deleting a report whose workload container no longer runs");
            let ctx = self.ctx.clone();
            tokio::spawn(async move {
                let api = report_api(&ctx.client, kind, &key.0);
                match api.delete(&key.1, &DeleteParams::default()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(e)) if e.code == 404 => {}
                    Err(e) => tracing::warn!(kind = kind.kind(), namespace = %key.0, name = %key.1,
                        error = %e, "deleting a stale report failed"),
                }
                let _ = ctx.tx.send(Msg::ReportDeleted(kind, key)).await;
            });
        }
    }

    /// Images without an inventory: read one back from an SbomReport, else queue a scan. Images
    /// whose inventory is older than the report TTL are queued for a rescan.
    fn plan_scans(&mut self, needed: &BTreeMap<ImageKey, Vec<ObjKey>>, now: Instant) {
        let ttl = self.ctx.cfg.report_ttl;
        for img in needed.keys() {
            let Some(st) = self.images.get_mut(img) else {
                continue;
            };
            if st.loading || st.scan.is_some() {
                continue;
            }
            match &st.inv {
                Some(inv) => {
                    if let Some(ttl) = ttl
                        && let Ok(at) = inv.scanned_at.parse::<Timestamp>()
                        && Timestamp::now().duration_since(at).unsigned_abs() > ttl
                    {
                        tracing::info!(image = %img, "inventory older than the report TTL; rescanning");
                        st.scan = Some(Scan::Queued { not_before: now });
                    }
                }
                None => {
                    let source = self.sbom.items.iter().find(|(k, m)| {
                        m.image.as_ref() == Some(img)
                            && !m.truncated
                            && m.bom_sha256.is_some()
                            && !st.load_failed.contains(*k)
                    });
                    match source {
                        Some((k, m)) => {
                            st.loading = true;
                            spawn_load(&self.ctx, img.clone(), k.clone(), m.clone());
                        }
                        None => st.scan = Some(Scan::Queued { not_before: now }),
                    }
                }
            }
        }
        // Queued scans of images nothing runs any more are dropped.
        for (img, st) in self.images.iter_mut() {
            if matches!(st.scan, Some(Scan::Queued { .. })) && !needed.contains_key(img) {
                st.scan = None;
                st.attempts = 0;
            }
        }
        // Failed scans: at retry time (or when nothing needs the image any more) their Job goes.
        // A Job that never reports an end is given up on after a minute.
        let stale = Duration::from_secs(60);
        let due: Vec<(ImageKey, bool)> = self
            .images
            .iter()
            .filter_map(|(img, st)| match &st.scan {
                Some(Scan::Failed {
                    retry_at,
                    finished,
                    since,
                    ..
                }) => {
                    let wanted = needed.contains_key(img);
                    let ready = *finished || now.duration_since(*since) > stale;
                    (!wanted || (*retry_at <= now && ready)).then(|| (img.clone(), wanted))
                }
                _ => None,
            })
            .collect();
        for (img, retry) in due {
            self.stop_failed_job(&img, retry);
        }
    }
}
