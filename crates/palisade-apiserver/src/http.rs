//! The HTTP layer: routing of Kubernetes REST paths, content negotiation, body limits,
//! watches and logs. Handlers lock the store only for synchronous work and never across
//! an await, so one slow client cannot stall others.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast, mpsc, watch};

use crate::discovery;
use crate::error::{ApiError, ApiResult};
use crate::negotiate::{self, Output};
use crate::patch;
use crate::resources::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{DeleteOptions, Store, WatchEvent};
use crate::table::IncludeObject;
use crate::time;

/// State shared by all connections and background tasks.
pub struct Shared {
    /// The object store.
    pub store: Mutex<Store>,
    /// Woken after every write, for the garbage collector and controllers.
    pub changed: Notify,
    /// Flips to true on shutdown; watches and log streams end.
    pub shutdown: watch::Receiver<bool>,
    /// Largest accepted request body.
    pub max_body: usize,
    /// How often watches that asked for bookmarks get one.
    pub bookmark_interval: Duration,
}

impl Shared {
    /// Locks the store. A poisoned lock means a handler panicked mid-write; the store's
    /// invariants are maintained per call, so we keep serving rather than failing every
    /// later request.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Response body: either a complete buffer or a stream of chunks (watch, log follow).
pub enum Body {
    /// A complete body.
    Full(Option<Bytes>),
    /// Chunks until the sender is dropped.
    Stream(mpsc::Receiver<Bytes>),
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }
}

fn respond(code: u16, content_type: &str, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Body::Full(Some(Bytes::from(body))));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn json_response(code: u16, v: &Value) -> Response<Body> {
    respond(
        code,
        "application/json",
        serde_json::to_vec(v).unwrap_or_default(),
    )
}

fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.to_status())
}

/// Percent-decodes a query component (`+` is a space).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(x) => {
                        out.push(x);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: Option<&str>) -> BTreeMap<String, String> {
    q.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

struct Req {
    method: Method,
    segs: Vec<String>,
    query: BTreeMap<String, String>,
    accept: String,
    content_type: String,
    user_agent: String,
    body: Bytes,
}

impl Req {
    fn q(&self, k: &str) -> Option<&str> {
        self.query.get(k).map(String::as_str)
    }

    fn flag(&self, k: &str) -> bool {
        matches!(self.q(k), Some("true" | "1" | "True"))
    }

    fn dry_run(&self) -> bool {
        self.q("dryRun").is_some_and(|v| v == "All")
    }

    /// The representation negotiated from `Accept` (406 when none can be served).
    fn output(&self) -> ApiResult<Output> {
        negotiate::negotiate(&self.accept)
    }

    fn manager(&self) -> String {
        match self.q("fieldManager") {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => self
                .user_agent
                .split('/')
                .next()
                .filter(|s| !s.is_empty())
                .unwrap_or("unknown")
                .to_string(),
        }
    }

    fn media_type(&self) -> &str {
        self.content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
    }

    /// Decodes a JSON or YAML body into a value; anything else is 415, malformed is 400.
    fn decode_body(&self) -> ApiResult<Value> {
        let mt = self.media_type();
        if self.body.is_empty() {
            return Err(ApiError::bad_request("the request body is empty"));
        }
        match mt {
            "application/json"
            | ""
            | "application/merge-patch+json"
            | "application/json-patch+json"
            | "application/strategic-merge-patch+json" => serde_json::from_slice(&self.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding JSON body: {e}"))),
            "application/yaml"
            | "application/apply-patch+yaml"
            | "application/x-yaml"
            | "text/yaml" => {
                let v: Value = yaml_serde::from_slice(&self.body)
                    .map_err(|e| ApiError::bad_request(format!("error decoding YAML body: {e}")))?;
                Ok(v)
            }
            other => Err(ApiError::unsupported_media(other)),
        }
    }
}

/// Entry point for one HTTP request.
pub async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = parse_query(req.uri().query());
    let header = |n: hyper::header::HeaderName| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let accept = header(hyper::header::ACCEPT);
    let content_type = header(hyper::header::CONTENT_TYPE);
    let user_agent = header(hyper::header::USER_AGENT);
    let declared_len = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_len.is_some_and(|l| l > shared.max_body) {
        return Ok(error_response(&ApiError::too_large(shared.max_body)));
    }
    let body = match http_body_util::Limited::new(req.into_body(), shared.max_body)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let err = if e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                ApiError::too_large(shared.max_body)
            } else {
                ApiError::bad_request(format!("reading the request body failed: {e}"))
            };
            return Ok(error_response(&err));
        }
    };
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let r = Req {
        method,
        segs,
        query,
        accept,
        content_type,
        user_agent,
        body,
    };
    tracing::debug!(method = %r.method, path = %path, "request");
    let resp = match route(&shared, &r).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::debug!(error = %e, path = %path, "request failed");
            error_response(&e)
        }
    };
    Ok(resp)
}

async fn route(shared: &Arc<Shared>, r: &Req) -> ApiResult<Response<Body>> {
    let segs: Vec<&str> = r.segs.iter().map(String::as_str).collect();
    if r.method == Method::GET {
        match segs.as_slice() {
            ["version"] => return Ok(json_response(200, &discovery::version())),
            ["healthz" | "livez" | "readyz"] => {
                return Ok(respond(200, "text/plain", b"ok".to_vec()));
            }
            ["api"] => {
                if discovery::wants_aggregated(&r.accept) {
                    let v = discovery::aggregated(&shared.lock().registry, true);
                    return Ok(respond(
                        200,
                        discovery::AGGREGATED_CT,
                        serde_json::to_vec(&v).unwrap_or_default(),
                    ));
                }
                return Ok(json_response(200, &discovery::api_versions()));
            }
            ["apis"] => {
                let reg = shared.lock().registry.clone();
                if discovery::wants_aggregated(&r.accept) {
                    let v = discovery::aggregated(&reg, false);
                    return Ok(respond(
                        200,
                        discovery::AGGREGATED_CT,
                        serde_json::to_vec(&v).unwrap_or_default(),
                    ));
                }
                return Ok(json_response(200, &discovery::api_group_list(&reg)));
            }
            ["api", v] => {
                return discovery::resource_list(&shared.lock().registry, "", v)
                    .map(|v| json_response(200, &v))
                    .ok_or_else(ApiError::no_route);
            }
            ["apis", g] => {
                return discovery::api_group(&shared.lock().registry, g)
                    .map(|v| json_response(200, &v))
                    .ok_or_else(ApiError::no_route);
            }
            ["apis", g, v] => {
                return discovery::resource_list(&shared.lock().registry, g, v)
                    .map(|v| json_response(200, &v))
                    .ok_or_else(ApiError::no_route);
            }
            ["openapi", "v3"] => {
                return Ok(json_response(
                    200,
                    &discovery::openapi_index(&shared.lock().registry),
                ));
            }
            ["openapi", "v3", "api", v] => {
                return discovery::openapi_group_version(&shared.lock().registry, "", v)
                    .map(|v| json_response(200, &v))
                    .ok_or_else(ApiError::no_route);
            }
            ["openapi", "v3", "apis", g, v] => {
                return discovery::openapi_group_version(&shared.lock().registry, g, v)
                    .map(|v| json_response(200, &v))
                    .ok_or_else(ApiError::no_route);
            }
            _ => {}
        }
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(ApiError::no_route()),
    };
    // Resolve which resource and which object the path names.
    let (plural, ns, name, sub): (&str, Option<&str>, Option<&str>, Option<&str>) = match rest {
        [p] => (p, None, None, None),
        ["namespaces", n] => ("namespaces", None, Some(n), None),
        ["namespaces", n, s @ ("status" | "finalize")] => ("namespaces", None, Some(n), Some(s)),
        ["namespaces", ns, p] => (p, Some(ns), None, None),
        ["namespaces", ns, p, n] => (p, Some(ns), Some(n), None),
        ["namespaces", ns, p, n, s] => (p, Some(ns), Some(n), Some(s)),
        [p, n] => (p, None, Some(n), None),
        [p, n, s] => (p, None, Some(n), Some(s)),
        _ => return Err(ApiError::no_route()),
    };
    let rt = shared
        .lock()
        .registry
        .get(group, version, plural)
        .ok_or_else(ApiError::no_route)?;
    if ns.is_some() && !rt.namespaced {
        return Err(ApiError::no_route());
    }
    if name.is_some() && rt.namespaced && ns.is_none() {
        return Err(ApiError::no_route());
    }
    let ns_str = ns.unwrap_or_default();
    match (name, sub) {
        (None, _) => collection(shared, r, &rt, ns).await,
        (Some(name), None) => item(shared, r, &rt, ns_str, name, false),
        (Some(name), Some("status")) if rt.status_subresource => {
            item(shared, r, &rt, ns_str, name, true)
        }
        (Some(name), Some("finalize")) if rt.plural == "namespaces" => {
            item(shared, r, &rt, ns_str, name, false)
        }
        (Some(name), Some("scale")) if rt.scale_subresource => {
            let out = scale(shared, r, &rt, ns_str, name)?;
            Ok(json_response(200, &out))
        }
        (Some(name), Some("log")) if rt.log_subresource && r.method == Method::GET => {
            pod_log(shared, r, ns_str, name).await
        }
        _ => Err(ApiError::no_route()),
    }
}

/// The autoscaling/v1 `Scale` view of a workload.
fn scale_of(obj: &Value) -> Value {
    let meta = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let pick = |k: &str| meta.get(k).cloned().unwrap_or(Value::Null);
    let selector: Vec<String> = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": pick("name"), "namespace": pick("namespace"), "uid": pick("uid"),
                     "resourceVersion": pick("resourceVersion"), "creationTimestamp": pick("creationTimestamp")},
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
                   "selector": selector.join(",")},
    })
}

/// `/scale` of Deployments, ReplicaSets and StatefulSets: GET, PUT and the JSON patch
/// types, all through a `Scale` object whose `spec.replicas` is written back.
fn scale(
    shared: &Arc<Shared>,
    r: &Req,
    rt: &Arc<ResourceType>,
    ns: &str,
    name: &str,
) -> ApiResult<Value> {
    let mut store = shared.lock();
    let obj = store.get(rt, ns, name)?;
    let current = scale_of(&obj);
    let wanted = match r.method {
        Method::GET => return Ok(current),
        Method::PUT => r.decode_body()?,
        Method::PATCH => {
            let body = r.decode_body()?;
            let mut s = current.clone();
            match r.media_type() {
                "application/merge-patch+json" => patch::merge_patch(&mut s, &body),
                "application/json-patch+json" => patch::json_patch(&mut s, &body)?,
                "application/strategic-merge-patch+json" => patch::strategic_merge(&mut s, &body)?,
                other => return Err(ApiError::unsupported_media(other)),
            }
            s
        }
        _ => {
            return Err(ApiError::method_not_allowed(format!(
                "method {} is not allowed on scale",
                r.method
            )));
        }
    };
    if let Some(want) = wanted
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        && Some(want)
            != obj
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
    {
        return Err(ApiError::conflict(
            &rt.qualified(),
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ));
    }
    let replicas = wanted
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::invalid(
                "Scale",
                name,
                vec![(
                    "spec.replicas".into(),
                    "Invalid value: must be a non-negative integer".into(),
                )],
            )
        })?;
    let mut new = obj.clone();
    new["spec"]["replicas"] = json!(replicas);
    let now = time::format_rfc3339(time::now_secs());
    patch::record_update(Some(&obj), &mut new, &r.manager(), "", &now);
    let updated = store.update(rt, ns, name, new, false, r.dry_run())?;
    drop(store);
    shared.changed.notify_one();
    Ok(scale_of(&updated))
}

fn include_object(r: &Req) -> IncludeObject {
    match r.q("includeObject") {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    }
}

async fn collection(
    shared: &Arc<Shared>,
    r: &Req,
    rt: &Arc<ResourceType>,
    ns: Option<&str>,
) -> ApiResult<Response<Body>> {
    let out = r.output()?;
    let labels = LabelSelector::parse(r.q("labelSelector").unwrap_or_default())?;
    let fields = FieldSelector::parse(r.q("fieldSelector").unwrap_or_default())?;
    match r.method {
        Method::GET if r.flag("watch") => watch_response(
            shared,
            r,
            WatchSpec {
                rt: rt.clone(),
                ns: ns.map(str::to_string),
                labels,
                fields,
                out,
                include: include_object(r),
            },
        ),
        Method::GET => {
            let limit = match r.q("limit") {
                Some(l) if !l.is_empty() => l
                    .parse::<usize>()
                    .map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?,
                _ => 0,
            };
            let page = shared
                .lock()
                .list(rt, ns, &labels, &fields, limit, r.q("continue"))?;
            Ok(json_response(
                200,
                &negotiate::render_list(out, rt, page, include_object(r))?,
            ))
        }
        Method::POST => {
            let ns = match (rt.namespaced, ns) {
                (true, Some(n)) => n,
                (false, None) => "",
                _ => return Err(ApiError::no_route()),
            };
            let mut obj = r.decode_body()?;
            Store::check_type(rt, &obj)?;
            if let Some(o) = obj.as_object_mut() {
                o.insert("apiVersion".into(), json!(rt.api_version()));
            }
            let now = time::format_rfc3339(time::now_secs());
            patch::record_update(None, &mut obj, &r.manager(), "", &now);
            let created = shared.lock().create(rt, ns, obj, r.dry_run())?;
            shared.changed.notify_one();
            Ok(json_response(
                201,
                &negotiate::render_object(out, rt, created, include_object(r))?,
            ))
        }
        Method::DELETE => {
            let opts = delete_options(r)?;
            let mut store = shared.lock();
            let page = store.list(rt, ns, &labels, &fields, 0, None)?;
            let mut deleted = Vec::new();
            for o in page.items {
                let ons = o
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let oname = o
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if let Ok(d) = store.delete(rt, &ons, &oname, &opts, r.dry_run()) {
                    deleted.push(d);
                }
            }
            let page = crate::store::ListPage {
                items: deleted,
                rv: store.current_rv(),
                continue_token: None,
                remaining: 0,
            };
            drop(store);
            shared.changed.notify_one();
            Ok(json_response(
                200,
                &negotiate::render_list(out, rt, page, include_object(r))?,
            ))
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "method {} is not allowed on a collection",
            r.method
        ))),
    }
}

fn delete_options(r: &Req) -> ApiResult<DeleteOptions> {
    let body: Value = if r.body.is_empty() {
        json!({})
    } else {
        r.decode_body()?
    };
    let s = |p: &str| body.pointer(p).and_then(Value::as_str).map(str::to_string);
    let mut propagation =
        s("/propagationPolicy").or_else(|| r.q("propagationPolicy").map(str::to_string));
    if propagation.is_none() && body.get("orphanDependents").and_then(Value::as_bool) == Some(true)
    {
        propagation = Some("Orphan".into());
    }
    Ok(DeleteOptions {
        propagation,
        uid: s("/preconditions/uid"),
        resource_version: s("/preconditions/resourceVersion"),
    })
}

fn item(
    shared: &Arc<Shared>,
    r: &Req,
    rt: &Arc<ResourceType>,
    ns: &str,
    name: &str,
    status: bool,
) -> ApiResult<Response<Body>> {
    let out = r.output()?;
    let render = |obj: Value| -> ApiResult<Response<Body>> {
        Ok(json_response(
            200,
            &negotiate::render_object(out, rt, obj, include_object(r))?,
        ))
    };
    let now = time::format_rfc3339(time::now_secs());
    let subresource = if status { "status" } else { "" };
    match r.method {
        Method::GET => {
            let obj = shared.lock().get(rt, ns, name)?;
            render(obj)
        }
        Method::PUT => {
            let mut obj = r.decode_body()?;
            Store::check_type(rt, &obj)?;
            if let Some(o) = obj.as_object_mut() {
                o.insert("apiVersion".into(), json!(rt.api_version()));
            }
            let mut store = shared.lock();
            let old = store.get(rt, ns, name)?;
            patch::record_update(Some(&old), &mut obj, &r.manager(), subresource, &now);
            let updated = store.update(rt, ns, name, obj, status, r.dry_run())?;
            drop(store);
            shared.changed.notify_one();
            render(updated)
        }
        Method::PATCH => {
            let patched = patch_item(shared, r, rt, ns, name, status, &now)?;
            shared.changed.notify_one();
            render(patched)
        }
        Method::DELETE => {
            let opts = delete_options(r)?;
            let deleted = shared.lock().delete(rt, ns, name, &opts, r.dry_run())?;
            shared.changed.notify_one();
            render(deleted)
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "method {} is not allowed on an object",
            r.method
        ))),
    }
}

fn patch_item(
    shared: &Arc<Shared>,
    r: &Req,
    rt: &Arc<ResourceType>,
    ns: &str,
    name: &str,
    status: bool,
    now: &str,
) -> ApiResult<Value> {
    let mt = r.media_type().to_string();
    let subresource = if status { "status" } else { "" };
    let manager = r.manager();
    match mt.as_str() {
        "application/apply-patch+yaml" => {
            if r.q("fieldManager").is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(
                    "PATCH with apply requires a fieldManager",
                ));
            }
            let mut applied = r.decode_body()?;
            Store::check_type(rt, &applied)?;
            if applied.get("apiVersion").is_none() || applied.get("kind").is_none() {
                return Err(ApiError::bad_request(
                    "apiVersion and kind must be set in an apply configuration",
                ));
            }
            if let Some(n) = applied.pointer("/metadata/name").and_then(Value::as_str)
                && n != name
            {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            if let Some(m) = applied.as_object_mut() {
                m.insert("apiVersion".into(), json!(rt.api_version()));
            }
            let force = r.flag("force");
            let mut store = shared.lock();
            let live = store.get(rt, ns, name).ok();
            if live.is_none() && status {
                return Err(ApiError::not_found(&rt.qualified(), name));
            }
            let merged = patch::server_side_apply(
                live.as_ref(),
                &applied,
                &manager,
                force,
                subresource,
                now,
            )?
            .object;
            let out = match live {
                None => {
                    let mut obj = merged;
                    if let Some(m) = obj.pointer_mut("/metadata").and_then(Value::as_object_mut) {
                        m.insert("name".into(), json!(name));
                    }
                    store.create(rt, ns, obj, r.dry_run())?
                }
                Some(_) => store.update(rt, ns, name, merged, status, r.dry_run())?,
            };
            Ok(out)
        }
        "application/merge-patch+json"
        | "application/json-patch+json"
        | "application/strategic-merge-patch+json" => {
            if mt == "application/strategic-merge-patch+json" && rt.custom {
                return Err(ApiError {
                    code: 415,
                    reason: "UnsupportedMediaType",
                    message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml".into(),
                    details: None,
                });
            }
            let body = r.decode_body()?;
            let mut store = shared.lock();
            let old = store.get(rt, ns, name)?;
            let mut new = old.clone();
            match mt.as_str() {
                "application/merge-patch+json" => {
                    if !body.is_object() {
                        return Err(ApiError::bad_request("a merge patch must be a JSON object"));
                    }
                    patch::merge_patch(&mut new, &body);
                }
                "application/json-patch+json" => patch::json_patch(&mut new, &body)?,
                _ => {
                    if !body.is_object() {
                        return Err(ApiError::bad_request(
                            "a strategic merge patch must be a JSON object",
                        ));
                    }
                    patch::strategic_merge(&mut new, &body)?;
                }
            }
            if !new.is_object() {
                return Err(ApiError::bad_request(
                    "the patched object is not a JSON object",
                ));
            }
            patch::record_update(Some(&old), &mut new, &manager, subresource, now);
            store.update(rt, ns, name, new, status, r.dry_run())
        }
        other => Err(ApiError {
            code: 415,
            reason: "UnsupportedMediaType",
            message: format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other:?})"
            ),
            details: None,
        }),
    }
}

fn event_line(type_: &str, object: &Value) -> Bytes {
    let mut v = serde_json::to_vec(&json!({"type": type_, "object": object})).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

/// What one watch streams: which objects, and in which representation.
struct WatchSpec {
    rt: Arc<ResourceType>,
    ns: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
    out: Output,
    include: IncludeObject,
}

impl WatchSpec {
    fn matches(&self, e: &WatchEvent) -> bool {
        e.key == self.rt.key()
            && self.ns.as_deref().is_none_or(|n| {
                e.object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    == Some(n)
            })
            && self.labels.matches(&e.object)
            && self.fields.matches(&e.object)
    }

    /// The event line for `e`. Only the first Table event carries column definitions.
    fn render(&self, e: &WatchEvent, first: &mut bool) -> Bytes {
        let mut obj = e.object.clone();
        if let Some(m) = obj.as_object_mut() {
            m.insert("apiVersion".into(), json!(self.rt.api_version()));
            m.insert("kind".into(), json!(self.rt.kind));
        }
        let obj =
            negotiate::render_watch_object(self.out, &self.rt, obj, e.rv, self.include, !*first);
        *first = false;
        event_line(e.type_, &obj)
    }

    /// A BOOKMARK event at `rv`. `end_of_initial` marks the end of the initial events of
    /// a streaming list, which is what clients using `sendInitialEvents` wait for. A
    /// metadata watch gets it as `PartialObjectMetadata`, like every other event.
    fn bookmark(&self, rv: u64, end_of_initial: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if end_of_initial {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj =
            json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(), "metadata": meta});
        let obj = match self.out {
            Output::Metadata(v) => negotiate::partial(&obj, v),
            _ => obj,
        };
        event_line("BOOKMARK", &obj)
    }
}

/// What a watch starts from: events to replay, the live feed, the resourceVersion it
/// is at, and the connection epoch it was opened in.
type WatchStart = (
    Vec<Arc<WatchEvent>>,
    broadcast::Receiver<Arc<WatchEvent>>,
    u64,
    watch::Receiver<u64>,
);

fn watch_response(shared: &Arc<Shared>, r: &Req, spec: WatchSpec) -> ApiResult<Response<Body>> {
    // Watch events carry single objects. The real server accepts this Accept and then
    // fails to encode every event, closing the stream; a 406 says why.
    if let Output::MetadataList(_) = spec.out {
        return Err(ApiError::not_acceptable(
            "you requested PartialObjectMetadataList, but a watch streams single objects; ask for PartialObjectMetadata",
        ));
    }
    let bookmarks = r.flag("allowWatchBookmarks");
    let timeout = r
        .q("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs);
    let rv_param = r.q("resourceVersion").unwrap_or_default().to_string();
    // Streaming lists (`sendInitialEvents=true`): the current objects as ADDED, then a
    // bookmark marking the end of the initial events, which clients wait for.
    let send_initial = r.flag("sendInitialEvents");
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let (initial, mut live, mut last_rv, mut epoch): WatchStart = {
        let store = shared.lock();
        let live = store.subscribe();
        let epoch = store.connection_epoch();
        if send_initial || rv_param.is_empty() || rv_param == "0" {
            let page = store.list(
                &spec.rt,
                spec.ns.as_deref(),
                &spec.labels,
                &spec.fields,
                0,
                None,
            )?;
            let rv = store.current_rv();
            let evs = page
                .items
                .into_iter()
                .map(|o| {
                    Arc::new(WatchEvent {
                        rv,
                        key: spec.rt.key(),
                        type_: "ADDED",
                        object: o,
                    })
                })
                .collect();
            (evs, live, rv, epoch)
        } else {
            let since: u64 = rv_param.parse().map_err(|_| {
                ApiError::bad_request(format!("invalid resourceVersion {rv_param:?}"))
            })?;
            match store.events_since(since) {
                Ok(evs) => (evs, live, since, epoch),
                Err(gone) => {
                    // The real server reports compaction as an ERROR event on a 200 stream.
                    let line = event_line("ERROR", &gone.to_status());
                    return Ok(respond(200, "application/json", line.to_vec()));
                }
            }
        }
    };
    let mut shutdown = shared.shutdown.clone();
    let interval = shared.bookmark_interval;
    tokio::spawn(async move {
        let mut first = true;
        // After `drop_connections`, nothing more is forwarded: the connection is about to
        // be cut, and the client must not see changes made after the cut.
        let cut = |epoch: &watch::Receiver<u64>| epoch.has_changed().unwrap_or(true);
        for e in initial.iter().filter(|e| spec.matches(e)) {
            if cut(&epoch) || tx.send(spec.render(e, &mut first)).await.is_err() {
                return;
            }
        }
        if let Some(e) = initial.last() {
            last_rv = last_rv.max(e.rv);
        }
        if send_initial && (cut(&epoch) || tx.send(spec.bookmark(last_rv, true)).await.is_err()) {
            return;
        }
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut tick = tokio::time::interval(interval);
        tick.tick().await;
        loop {
            let sleep_until = deadline
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600 * 24));
            tokio::select! {
                ev = live.recv() => match ev {
                    Ok(e) => {
                        if e.rv <= last_rv {
                            continue;
                        }
                        if cut(&epoch) {
                            return;
                        }
                        last_rv = e.rv;
                        if spec.matches(&e) && tx.send(spec.render(&e, &mut first)).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let gone = ApiError::gone("the watch fell too far behind; start a new watch");
                        let _ = tx.send(event_line("ERROR", &gone.to_status())).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick(), if bookmarks => {
                    if cut(&epoch) || tx.send(spec.bookmark(last_rv, false)).await.is_err() {
                        return;
                    }
                }
                _ = epoch.changed() => return,
                _ = tokio::time::sleep_until(sleep_until) => return,
                _ = shutdown.changed() => return,
                _ = tx.closed() => return,
            }
        }
    });
    let mut resp = Response::new(Body::Stream(rx));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp.headers_mut().insert(
        hyper::header::TRANSFER_ENCODING,
        hyper::header::HeaderValue::from_static("chunked"),
    );
    Ok(resp)
}

fn pod_container(
    store: &Store,
    ns: &str,
    name: &str,
    asked: Option<&str>,
) -> ApiResult<(String, bool)> {
    let rt = store
        .registry
        .get("", "v1", "pods")
        .ok_or_else(ApiError::no_route)?;
    let pod = store.get(&rt, ns, name)?;
    let list = |l: &str| -> Vec<String> {
        pod.pointer(&format!("/spec/{l}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    let (names, inits) = (list("containers"), list("initContainers"));
    let done = matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    );
    match asked {
        Some(c) if !c.is_empty() => {
            if names.iter().chain(&inits).any(|n| n == c) {
                Ok((c.to_string(), done))
            } else {
                Err(ApiError::bad_request(format!(
                    "container {c} is not valid for pod {name}"
                )))
            }
        }
        _ if names.len() == 1 => Ok((names[0].clone(), done)),
        _ => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {name}, choose one of: [{}]",
            names.join(" ")
        ))),
    }
}

async fn pod_log(shared: &Arc<Shared>, r: &Req, ns: &str, name: &str) -> ApiResult<Response<Body>> {
    let (container, done) = pod_container(&shared.lock(), ns, name, r.q("container"))?;
    let key = (ns.to_string(), name.to_string(), container);
    let text = shared.lock().logs.get(&key).cloned().unwrap_or_default();
    let tail = r.q("tailLines").and_then(|t| t.parse::<usize>().ok());
    let text = match tail {
        Some(n) => {
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(n);
            let mut s = lines[start..].join("\n");
            if !s.is_empty() {
                s.push('\n');
            }
            s
        }
        None => text,
    };
    if !r.flag("follow") || done {
        return Ok(respond(200, "text/plain", text.into_bytes()));
    }
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let shared2 = shared.clone();
    let (ns, name) = (ns.to_string(), name.to_string());
    let mut sent = shared.lock().logs.get(&key).map_or(0, String::len);
    tokio::spawn(async move {
        if tx.send(Bytes::from(text)).await.is_err() {
            return;
        }
        let mut shutdown = shared2.shutdown.clone();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                _ = shutdown.changed() => return,
                _ = tx.closed() => return,
            }
            let (chunk, finished) = {
                let store = shared2.lock();
                let cur = store.logs.get(&key).cloned().unwrap_or_default();
                let chunk = cur.get(sent..).unwrap_or_default().to_string();
                sent = cur.len();
                let finished =
                    pod_container(&store, &ns, &name, Some(&key.2)).map_or(true, |(_, d)| d);
                (chunk, finished)
            };
            if !chunk.is_empty() && tx.send(Bytes::from(chunk)).await.is_err() {
                return;
            }
            if finished {
                return;
            }
        }
    });
    let mut resp = Response::new(Body::Stream(rx));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = parse_query(Some(
            "labelSelector=app%3Dweb%2Ctier+in+%28a%2Cb%29&limit=500&watch",
        ));
        assert_eq!(q["labelSelector"], "app=web,tier in (a,b)");
        assert_eq!(q["limit"], "500");
        assert_eq!(q["watch"], "");
        assert_eq!(decode("%zz%4"), "%zz%4");
    }
}
