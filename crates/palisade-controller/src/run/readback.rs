//! Inventories read back from SbomReports: after a start (or when an image's inventory was
//! forgotten) an image's BOM is taken from a report already in the cluster instead of scanning
//! it again.
//!
//! Reads are bounded ([`LOAD_CONCURRENCY`]) and take only the `report.components` slice of the
//! raw body, so reading back many reports causes no memory burst.

use std::sync::Arc;

use super::writes::report_api;
use super::{Ctx, Inv, Msg, ReportMeta, State};
use crate::model::{ImageKey, ObjKey};
use crate::reports::ReportKind;

/// SbomReports read back at once after a start. Reading is I/O-bound and each read holds up to a
/// report's size; a few in flight keep the API server busy without a memory burst.
pub(super) const LOAD_CONCURRENCY: usize = 4;

impl State {
    pub(super) fn on_inventory_loaded(
        &mut self,
        image: ImageKey,
        from: ObjKey,
        result: Result<Arc<Inv>, String>,
    ) {
        let Some(st) = self.images.get_mut(&image) else {
            return;
        };
        st.loading = false;
        match result {
            Ok(inv) => {
                if st.inv.is_none() {
                    tracing::info!(image = %image, report = %from.1, "inventory read back from an SbomReport");
                    st.inv = Some(inv);
                    st.vuln_hashes.clear();
                    if st.scan.as_ref().is_some_and(|s| !s.holds_slot()) {
                        st.scan = None;
                    }
                }
            }
            Err(e) => {
                self.ctx.metrics.reconcile_error();
                tracing::warn!(namespace = %from.0, name = %from.1, error = %e,
                    "an SbomReport cannot be read back; the image will be scanned again");
                st.load_failed.insert(from.clone());
                if let Some(m) = self.sbom.items.get_mut(&from) {
                    // Make sure the malformed report gets rewritten once the scan is in.
                    m.content_hash = None;
                }
                if let Some(d) = self.desired.get(&from) {
                    let owner = d.owner.clone();
                    self.event(
                        &owner,
                        "Warning",
                        "MalformedReport",
                        &format!(
                            "SbomReport {} cannot be read back ({e}); scanning the image again",
                            from.1
                        ),
                    );
                }
            }
        }
    }
}

/// Reads an image's inventory back from one of its SbomReports (at most [`LOAD_CONCURRENCY`] at
/// once), taking the raw body and only the `report.components` slice of it.
pub(super) fn spawn_load(ctx: &Arc<Ctx>, image: ImageKey, from: ObjKey, meta: ReportMeta) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let result = async {
            let _permit = ctx.loads.acquire().await.map_err(|e| e.to_string())?;
            let api = report_api(&ctx.client, ReportKind::Sbom, &from.0);
            let request = kube::core::Request::new(api.resource_url())
                .get(&from.1, &Default::default())
                .map_err(|e| e.to_string())?;
            let text = ctx
                .client
                .request_text(request)
                .await
                .map_err(|e| format!("reading it failed: {e}"))?;
            tokio::task::spawn_blocking(move || inventory_from_report(text.as_bytes(), &meta))
                .await
                .map_err(|e| e.to_string())?
        }
        .await;
        let _ = ctx
            .tx
            .send(Msg::InventoryLoaded {
                image,
                from,
                result: result.map(Arc::new),
            })
            .await;
    });
}

/// The parts of an SbomReport an inventory is read from; the components stay raw JSON.
#[derive(serde::Deserialize)]
struct StoredSbom<'a> {
    #[serde(borrow)]
    report: Option<StoredSbomReport<'a>>,
}

#[derive(serde::Deserialize)]
struct StoredSbomReport<'a> {
    #[serde(borrow)]
    components: Option<&'a serde_json::value::RawValue>,
}

fn inventory_from_report(body: &[u8], meta: &ReportMeta) -> Result<Inv, String> {
    let stored: StoredSbom<'_> =
        serde_json::from_slice(body).map_err(|e| format!("it is not valid JSON: {e}"))?;
    let components = stored
        .report
        .and_then(|r| r.components)
        .ok_or("it has no report.components")?;
    let bytes = components.get().as_bytes();
    // Parsed once to reject an unusable BOM now rather than at the first match.
    palisade_report::read_inventory(bytes).map_err(|e| format!("its BOM is unusable: {e}"))?;
    let bom_zstd = zstd::encode_all(bytes, 3).map_err(|e| e.to_string())?;
    Ok(Inv {
        bom_zstd,
        bom_sha256: meta.bom_sha256.clone().unwrap_or_default(),
        scanned_at: meta.scanned_at.clone().unwrap_or_default(),
    })
}
