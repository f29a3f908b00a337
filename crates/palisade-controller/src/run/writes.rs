//! The report-writing queue and Events: each write task waits for a write permit, builds its
//! report body only then, server-side applies it and reports back to the loop; Events are
//! recorded the same way, off the loop.
//!
//! Building after the permit is what bounds memory: at most `write_concurrency` bodies exist at
//! once however many reports change.

use k8s_openapi::api::core::v1::{Event, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, PartialObjectMeta};
use palisade_crds::{SbomReport, VulnerabilityReport};
use palisade_operator::Owner;

use super::{Ctx, FIELD_MANAGER, Msg, State};
use crate::model::{Desired, ImageKey, ObjKey};
use crate::reports::{self, ReportKind};

/// A report body built by a write task once it holds a write permit (so at most
/// `write_concurrency` bodies exist at once), with its content hash and, when it was cut to fit,
/// the Event to record.
pub(super) struct Built {
    body: Vec<u8>,
    hash: String,
    truncated: Option<(Owner, String)>,
}

impl Built {
    /// The serialized object (stamped now) for a built `part`.
    pub(super) fn new(
        kind: ReportKind,
        d: &Desired,
        img: &ImageKey,
        part: reports::Part,
        extra: Vec<(String, String)>,
        truncated: Option<(Owner, String)>,
    ) -> Result<Built, String> {
        let (object, hash) = reports::report_object(kind, d, img, part, extra, &now_time());
        let body = serde_json::to_vec(&object).map_err(|e| e.to_string())?;
        Ok(Built {
            body,
            hash,
            truncated,
        })
    }
}

pub(super) type BuildFn = Box<dyn FnOnce() -> Result<Built, String> + Send>;

fn now_time() -> Time {
    Time(Timestamp::now())
}

impl State {
    /// Writes a report: waits for a write permit, then builds the body (off the loop, on a
    /// blocking thread) and applies it. Building after the permit keeps at most
    /// `write_concurrency` bodies in memory however many reports change at once.
    pub(super) fn spawn_write(&mut self, kind: ReportKind, key: ObjKey, build: BuildFn) {
        self.writing.insert((kind, key.clone()));
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let result = async {
                let _permit = ctx.writes.acquire().await.map_err(|e| e.to_string())?;
                let built = tokio::task::spawn_blocking(build)
                    .await
                    .map_err(|e| e.to_string())??;
                if let Some((owner, message)) = &built.truncated {
                    emit_event(&ctx, owner, "Warning", "ReportTruncated", message).await;
                }
                write_report(&ctx, kind, &key, built.body).await?;
                Ok(built.hash)
            }
            .await;
            let _ = ctx.tx.send(Msg::Written(kind, key, result)).await;
        });
    }

    pub(super) fn event(
        &self,
        owner: &Owner,
        type_: &'static str,
        reason: &'static str,
        message: &str,
    ) {
        let ctx = self.ctx.clone();
        let owner = owner.clone();
        let message = message.to_owned();
        tokio::spawn(async move { emit_event(&ctx, &owner, type_, reason, &message).await });
    }
}

pub(super) fn report_api(client: &Client, kind: ReportKind, ns: &str) -> Api<DynamicObject> {
    let ar = match kind {
        ReportKind::Vulnerability => ApiResource::erase::<VulnerabilityReport>(&()),
        ReportKind::Sbom => ApiResource::erase::<SbomReport>(&()),
    };
    Api::namespaced_with(client.clone(), ns, &ar)
}

/// Server-side applies a serialized report, asking for the metadata only in reply: the operator
/// needs nothing else back, and parsing whole reports cost more CPU than building them.
async fn write_report(
    ctx: &Ctx,
    kind: ReportKind,
    key: &ObjKey,
    body: Vec<u8>,
) -> Result<(), String> {
    let api = report_api(&ctx.client, kind, &key.0);
    let raw = serde_json::value::RawValue::from_string(
        String::from_utf8(body).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let request = kube::core::Request::new(api.resource_url())
        .patch_metadata(&key.1, &pp, &Patch::Apply(&raw))
        .map_err(|e| e.to_string())?;
    ctx.client
        .request::<PartialObjectMeta<DynamicObject>>(request)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())?;
    tracing::info!(kind = kind.kind(), namespace = %key.0, name = %key.1, "report written");
    Ok(())
}

async fn emit_event(ctx: &Ctx, owner: &Owner, type_: &str, reason: &str, message: &str) {
    let now = now_time();
    let suffix = format!("{:x}", Timestamp::now().as_nanosecond());
    let event = Event {
        metadata: ObjectMeta {
            name: Some(format!(
                "{}.{suffix}",
                owner.name.chars().take(200).collect::<String>()
            )),
            namespace: Some(owner.namespace.clone()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some(owner.api_version.clone()),
            kind: Some(owner.kind.clone()),
            name: Some(owner.name.clone()),
            namespace: Some(owner.namespace.clone()),
            uid: Some(owner.uid.clone()),
            ..ObjectReference::default()
        },
        reason: Some(reason.to_owned()),
        message: Some(message.chars().take(1024).collect()),
        type_: Some(type_.to_owned()),
        count: Some(1),
        first_timestamp: Some(now.clone()),
        last_timestamp: Some(now),
        source: Some(k8s_openapi::api::core::v1::EventSource {
            component: Some("palisade-operator".to_owned()),
            host: None,
        }),
        reporting_component: Some("palisade-operator".to_owned()),
        ..Event::default()
    };
    let api: Api<Event> = Api::namespaced(ctx.client.clone(), &owner.namespace);
    if let Err(e) = api.create(&PostParams::default(), &event).await {
        tracing::debug!(error = %e, reason, "recording an Event failed");
    }
}
