//! The operator's caches: the local mirror of a watched resource ([`Mirror`]), each image's state
//! ([`ImageState`]: inventory, scan, the VulnerabilityReport parts last computed for it), and the
//! loop's reads of them: whether every mirror is synced, the content hash a report has (counting
//! the operator's own recent creates, [`CREATED_GRACE`]), and the metrics snapshot.
//!
//! They are plain data owned by the loop's single task; keeping them apart from the code that
//! decides (`reconcile`) and acts (`scans`, `writes`) shows what the operator remembers between
//! passes, and so what its memory is made of.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_operator::Truncation;

use super::scans::Scan;
use super::{Ev, Inv, State};
use crate::metrics;
use crate::model::ObjKey;
use crate::reports::{self, ReportKind};

/// How long a report the operator created counts as present before the watch shows it: without
/// this, a pass that runs between the write's reply and its watch event writes it again.
pub(super) const CREATED_GRACE: Duration = Duration::from_secs(30);

/// A VulnerabilityReport part as last computed: enough to decide whether the report must be
/// written, and to export its metrics, without keeping the part itself.
pub(super) struct VulnCache {
    /// The database generation it was matched with.
    pub(super) db_gen: u64,
    pub(super) hash: String,
    pub(super) truncation: Option<Truncation>,
    pub(super) summary: Arc<ReportSummary>,
}

/// What the metrics need of a VulnerabilityReport.
#[derive(Debug, Default)]
pub(super) struct ReportSummary {
    counts: [u64; 5],
    os_family: String,
    os_name: String,
    os_eosl: bool,
    rows: Arc<Vec<metrics::VulnRow>>,
}

impl ReportSummary {
    /// From a built `report` (`rows`: keep the finding rows for `trivy_vulnerability_id`).
    pub(super) fn of(report: &serde_json::Value, rows: bool) -> ReportSummary {
        let count = |k: &str| report["summary"][k].as_u64().unwrap_or(0);
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let rows = if rows {
            report["vulnerabilities"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| {
                            [
                                "installedVersion",
                                "fixedVersion",
                                "publishedDate",
                                "lastModifiedDate",
                                "resource",
                                "severity",
                                "packageType",
                                "pkgPath",
                                "target",
                                "class",
                                "vulnerabilityID",
                                "title",
                                "score",
                            ]
                            .map(|k| text(&v[k]))
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        ReportSummary {
            counts: [
                count("criticalCount"),
                count("highCount"),
                count("mediumCount"),
                count("lowCount"),
                count("unknownCount"),
            ],
            os_family: text(&report["os"]["family"]),
            os_name: text(&report["os"]["name"]),
            os_eosl: report["os"]["eosl"].as_bool().unwrap_or(false),
            rows: Arc::new(rows),
        }
    }
}

pub(super) struct ImageState {
    pub(super) inv: Option<Arc<Inv>>,
    pub(super) loading: bool,
    pub(super) load_failed: HashSet<ObjKey>,
    pub(super) scan: Option<Scan>,
    pub(super) attempts: u32,
    pub(super) last_used: Instant,
    pub(super) seq: u64,
    /// identity → the VulnerabilityReport part last computed for it.
    pub(super) vuln_hashes: HashMap<palisade_operator::ImageIdentity, VulnCache>,
}

/// A local copy of one watched resource, with relist handling.
pub(super) struct Mirror<V> {
    pub(super) items: HashMap<ObjKey, V>,
    relist: Option<HashSet<ObjKey>>,
    pub(super) synced: bool,
}

impl<V> Default for Mirror<V> {
    fn default() -> Self {
        Mirror {
            items: HashMap::new(),
            relist: None,
            synced: false,
        }
    }
}

impl<V: PartialEq> Mirror<V> {
    /// Applies an event; returns whether anything changed.
    pub(super) fn apply(&mut self, ev: Ev<V>) -> bool {
        match ev {
            Ev::Init => {
                self.relist = Some(HashSet::new());
                false
            }
            Ev::InitItem(k, v) => {
                if let Some(seen) = &mut self.relist {
                    seen.insert(k.clone());
                }
                self.set(k, v)
            }
            Ev::InitDone => {
                let mut changed = !self.synced;
                if let Some(seen) = self.relist.take() {
                    let before = self.items.len();
                    self.items.retain(|k, _| seen.contains(k));
                    changed |= before != self.items.len();
                }
                self.synced = true;
                changed
            }
            Ev::Apply(k, v) => self.set(k, v),
            Ev::Delete(k) => self.items.remove(&k).is_some(),
        }
    }

    fn set(&mut self, k: ObjKey, v: Option<V>) -> bool {
        match v {
            Some(v) => {
                if self.items.get(&k) == Some(&v) {
                    false
                } else {
                    self.items.insert(k, v);
                    true
                }
            }
            None => self.items.remove(&k).is_some(),
        }
    }
}
impl State {
    pub(super) fn synced(&self) -> bool {
        self.pods.synced
            && self.nodes.synced
            && self.replica_sets.synced
            && self.jobs.synced
            && self.scan_jobs.synced
            && self.vuln.synced
            && self.sbom.synced
    }

    /// The content hash a report has in the cluster, as far as the operator knows: from the watch,
    /// or from its own recent create that the watch has not shown yet.
    pub(super) fn current_hash(
        &self,
        kind: ReportKind,
        key: &ObjKey,
        now: Instant,
    ) -> Option<&String> {
        let mirror = match kind {
            ReportKind::Vulnerability => &self.vuln,
            ReportKind::Sbom => &self.sbom,
        };
        match mirror.items.get(key) {
            Some(m) => m.content_hash.as_ref(),
            None => self
                .created
                .get(&(kind, key.clone()))
                .filter(|(_, at)| now.duration_since(*at) < CREATED_GRACE)
                .map(|(h, _)| h),
        }
    }

    /// Publishes the metrics snapshot, at most once a second (scrapes come every 30 s or so; a
    /// pass can run ten times a second during a burst of writes).
    pub(super) fn publish_metrics(&mut self, now: Instant) {
        if !self.metrics_pending || now.duration_since(self.last_metrics) < Duration::from_secs(1) {
            return;
        }
        self.metrics_pending = false;
        self.last_metrics = now;
        let metrics = self.ctx.metrics.clone();
        // Images that need a scan and have no Job holding a slot (queued, or waiting to retry).
        let queued = self
            .images
            .values()
            .filter(|st| {
                st.inv.is_none() && !st.loading && !st.scan.as_ref().is_some_and(Scan::holds_slot)
            })
            .count();
        let running = self
            .images
            .values()
            .filter(|st| st.scan.as_ref().is_some_and(Scan::holds_slot))
            .count();
        let inventories = self.images.values().filter(|st| st.inv.is_some()).count();
        metrics.set_scan_state(queued, running, inventories);
        if !metrics.settings().findings
            && !metrics.settings().image_info
            && !metrics.settings().vuln_id
        {
            return;
        }
        // One entry per VulnerabilityReport that exists, in name order.
        let mut series = Vec::new();
        for (key, d) in &self.desired {
            let Some(img) = &d.image else { continue };
            if self
                .current_hash(ReportKind::Vulnerability, key, now)
                .is_none()
            {
                continue;
            }
            let Some(c) = self
                .images
                .get(img)
                .and_then(|st| st.vuln_hashes.get(&d.identity))
            else {
                continue;
            };
            let meta = palisade_operator::report_metadata_for(
                &d.owner,
                &d.container,
                &reports::spec_hash(img),
            );
            let label = |k: &str| meta.labels.get(k).cloned().unwrap_or_default();
            let id = &d.identity;
            series.push(metrics::VulnSeries {
                labels: [
                    key.0.clone(),
                    key.1.clone(),
                    label("trivy-operator.resource.kind"),
                    label("trivy-operator.resource.name"),
                    label("trivy-operator.container.name"),
                    id.registry.clone(),
                    id.repository.clone(),
                    id.tag.clone(),
                    id.digest.clone(),
                ],
                counts: c.summary.counts,
                os_family: c.summary.os_family.clone(),
                os_name: c.summary.os_name.clone(),
                os_eosl: c.summary.os_eosl,
                rows: c.summary.rows.clone(),
            });
        }
        metrics.publish_vulnerabilities(series);
    }
}
