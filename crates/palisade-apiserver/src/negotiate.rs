//! Content negotiation of resource endpoints: which representation a client asked for in
//! `Accept`, and rendering objects and lists into it.
//!
//! Clients choose between the resource's own kind, a `meta.k8s.io` `Table` (kubectl get)
//! and the metadata-only `PartialObjectMetadata`/`PartialObjectMetadataList` (kube-rs
//! `get_metadata`/`list_metadata`/`metadata_watcher`, client-go's metadata informers,
//! the garbage collector). Those clients list several clauses and rely on the server
//! taking the first one it supports, and on a 406 when it supports none, so we follow
//! the real server's negotiation (apimachinery `NegotiateMediaTypeOptions` and the
//! handlers' transform rules) rather than looking for substrings.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::resources::ResourceType;
use crate::store::ListPage;
use crate::table::{self, IncludeObject};

/// The media types resource endpoints serve, in the server's order of preference
/// (`type`, `subtype`). Protobuf is listed because the real server lists it and clients
/// ask for it first; we answer those requests in JSON, which every client tolerates.
const MEDIA_TYPES: [(&str, &str); 3] = [
    ("application", "json"),
    ("application", "yaml"),
    ("application", "vnd.kubernetes.protobuf"),
];

/// The group of the representations a response can be transformed into.
const META_GROUP: &str = "meta.k8s.io";

/// The representation a client negotiated. The `&'static str` is the `meta.k8s.io`
/// version (`v1` or `v1beta1`) the response is labelled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The resource's own kind (or its `…List`).
    Object,
    /// A `Table` of printed columns.
    Table(&'static str),
    /// `PartialObjectMetadata`: one object's `metadata` and nothing else.
    Metadata(&'static str),
    /// `PartialObjectMetadataList`: a list's metadata and the items' `PartialObjectMetadata`.
    MetadataList(&'static str),
}

/// One clause of an `Accept` header.
#[derive(Debug)]
struct Clause<'a> {
    type_: String,
    subtype: String,
    q: f64,
    params: Vec<(&'a str, &'a str)>,
}

/// Splits `Accept` into clauses ordered by preference: higher `q` first, and within
/// the same `q`, concrete types before wildcards, otherwise in header order (the order
/// the real server's parser produces).
fn parse_accept(header: &str) -> Vec<Clause<'_>> {
    let mut clauses: Vec<Clause<'_>> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim().to_ascii_lowercase();
            let (type_, subtype) = match range.split_once('/') {
                Some((t, s)) => (t.trim().to_string(), s.trim().to_string()),
                None if range == "*" => ("*".to_string(), "*".to_string()),
                None => return None,
            };
            let mut q = 1.0;
            let mut params = Vec::new();
            for p in pieces {
                let Some((k, v)) = p.split_once('=') else {
                    continue;
                };
                let (k, v) = (k.trim(), v.trim().trim_matches('"'));
                if k == "q" {
                    q = v.parse().unwrap_or(0.0);
                } else {
                    params.push((k, v));
                }
            }
            Some(Clause {
                type_,
                subtype,
                q,
                params,
            })
        })
        .collect();
    clauses.sort_by(|a, b| {
        b.q.total_cmp(&a.q)
            .then((a.type_ == "*").cmp(&(b.type_ == "*")))
            .then((a.subtype == "*").cmp(&(b.subtype == "*")))
    });
    clauses
}

/// What `clause` asks for when answered in `subtype`, or `None` if the server cannot
/// produce it (an unknown `as=`, a group or version other than `meta.k8s.io/v1` or
/// `v1beta1`, a Table in protobuf, an unknown stream schema).
fn acceptable(clause: &Clause<'_>, subtype: &str) -> Option<Output> {
    let (mut kind, mut group, mut version) = (None, None, None);
    for &(k, v) in &clause.params {
        match k {
            "as" => kind = Some(v),
            "g" => group = Some(v),
            "v" => version = Some(v),
            "stream" if !v.is_empty() && v != "watch" => return None,
            _ => {}
        }
    }
    if kind.is_none() && group.is_none() && version.is_none() {
        return Some(Output::Object);
    }
    if group != Some(META_GROUP) {
        return None;
    }
    let version = match version {
        Some("v1") => "v1",
        Some("v1beta1") => "v1beta1",
        _ => return None,
    };
    match kind {
        Some("Table") if matches!(subtype, "json" | "yaml") => Some(Output::Table(version)),
        Some("PartialObjectMetadata") => Some(Output::Metadata(version)),
        Some("PartialObjectMetadataList") => Some(Output::MetadataList(version)),
        _ => None,
    }
}

/// Picks the representation for an `Accept` header: the first clause (in preference
/// order) that names a served media type and a representation we can produce. No
/// header means the object itself; nothing acceptable is 406 NotAcceptable.
pub fn negotiate(accept: &str) -> ApiResult<Output> {
    if accept.trim().is_empty() {
        return Ok(Output::Object);
    }
    for clause in parse_accept(accept) {
        for (type_, subtype) in MEDIA_TYPES {
            let matches = (clause.type_ == type_
                && (clause.subtype == subtype || clause.subtype == "*"))
                || (clause.type_ == "*" && clause.subtype == "*");
            if let Some(out) = matches.then(|| acceptable(&clause, subtype)).flatten() {
                return Ok(out);
            }
        }
    }
    let served: Vec<String> = MEDIA_TYPES
        .iter()
        .map(|(t, s)| format!("{t}/{s}"))
        .collect();
    Err(ApiError::not_acceptable(format!(
        "only the following media types are accepted: {}",
        served.join(", ")
    )))
}

/// `PartialObjectMetadata` of `obj`: its whole `metadata` (managedFields included, as
/// the real server sends them) and no `spec`, `status` or other fields.
pub fn partial(obj: &Value, version: &str) -> Value {
    let meta = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("{META_GROUP}/{version}"),
        "metadata": meta,
    })
}

/// The Go type the real server names in its 406 messages (`*core.ConfigMapList`,
/// `*unstructured.Unstructured`), so the messages read the same.
fn go_type(rt: &ResourceType, list: bool) -> String {
    let suffix = if list { "List" } else { "" };
    if rt.custom {
        return format!("*unstructured.Unstructured{suffix}");
    }
    let package = rt
        .group
        .split('.')
        .next()
        .filter(|g| !g.is_empty())
        .unwrap_or("core");
    format!("*{package}.{}{suffix}", rt.kind)
}

/// Relabels a Table (and the `PartialObjectMetadata` of its rows) with the negotiated
/// `meta.k8s.io` version; [`table::table`] builds v1.
fn table_version(mut t: Value, version: &str) -> Value {
    if version == "v1" {
        return t;
    }
    let api_version = json!(format!("{META_GROUP}/{version}"));
    t["apiVersion"] = api_version.clone();
    if let Some(rows) = t.get_mut("rows").and_then(Value::as_array_mut) {
        for row in rows {
            if let Some(obj) = row.get_mut("object")
                && obj.get("kind").and_then(Value::as_str) == Some("PartialObjectMetadata")
            {
                obj["apiVersion"] = api_version.clone();
            }
        }
    }
    t
}

/// One object in the negotiated representation. A `PartialObjectMetadataList` of a
/// single object is 406, like the real server.
pub fn render_object(
    out: Output,
    rt: &ResourceType,
    obj: Value,
    include: IncludeObject,
) -> ApiResult<Value> {
    match out {
        Output::Object => Ok(obj),
        Output::Metadata(v) => Ok(partial(&obj, v)),
        Output::MetadataList(_) => Err(ApiError::not_acceptable(format!(
            "you requested PartialObjectMetadataList, but the requested object is not a list ({})",
            go_type(rt, false)
        ))),
        Output::Table(v) => {
            let rv = obj
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            Ok(table_version(
                table::table(rt, &[obj], rv, None, include, false),
                v,
            ))
        }
    }
}

/// The `object` of a watch event in the negotiated representation. `no_headers` leaves
/// out a Table's column definitions (all events after the first, as the real server).
pub fn render_watch_object(
    out: Output,
    rt: &ResourceType,
    obj: Value,
    rv: u64,
    include: IncludeObject,
    no_headers: bool,
) -> Value {
    match out {
        Output::Table(v) => {
            table_version(table::table(rt, &[obj], rv, None, include, no_headers), v)
        }
        Output::Metadata(v) => partial(&obj, v),
        Output::Object | Output::MetadataList(_) => obj,
    }
}

/// The list metadata of a page: resourceVersion, and `continue` with
/// `remainingItemCount` when more items follow.
fn list_meta(page: &ListPage) -> Value {
    let mut meta = json!({"resourceVersion": page.rv.to_string()});
    if let Some(c) = &page.continue_token {
        meta["continue"] = json!(c);
        meta["remainingItemCount"] = json!(page.remaining);
    }
    meta
}

/// A list page in the negotiated representation. `PartialObjectMetadata` of a list is
/// 406, like the real server. An empty `PartialObjectMetadataList` has `"items": null`,
/// as the real server encodes it (clients treat that as empty).
pub fn render_list(
    out: Output,
    rt: &ResourceType,
    page: ListPage,
    include: IncludeObject,
) -> ApiResult<Value> {
    match out {
        Output::Object => Ok(json!({
            "kind": rt.list_kind,
            "apiVersion": rt.api_version(),
            "metadata": list_meta(&page),
            "items": page.items,
        })),
        Output::Metadata(_) => Err(ApiError::not_acceptable(format!(
            "you requested PartialObjectMetadata, but the requested object is a list ({})",
            go_type(rt, true)
        ))),
        Output::MetadataList(v) => {
            let items: Vec<Value> = page.items.iter().map(|o| partial(o, v)).collect();
            Ok(json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": format!("{META_GROUP}/{v}"),
                "metadata": list_meta(&page),
                "items": if items.is_empty() { Value::Null } else { Value::Array(items) },
            }))
        }
        Output::Table(v) => Ok(table_version(
            table::table(
                rt,
                &page.items,
                page.rv,
                page.continue_token.as_deref(),
                include,
                false,
            ),
            v,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_supported_clause_wins() {
        let cases = [
            ("", Output::Object),
            ("application/json", Output::Object),
            ("*/*", Output::Object),
            ("application/json, */*", Output::Object),
            (
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
                Output::Table("v1"),
            ),
            (
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
                Output::Table("v1beta1"),
            ),
            (
                "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
                Output::Metadata("v1"),
            ),
            (
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
                Output::MetadataList("v1"),
            ),
            // client-go's metadata client asks for protobuf first; we answer it in JSON.
            (
                "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
                Output::MetadataList("v1"),
            ),
            // Unknown representations fall through to the next clause.
            (
                "application/json;as=Frobnicated;g=meta.k8s.io;v=v1, application/json",
                Output::Object,
            ),
            (
                "application/json;as=Table, application/json",
                Output::Object,
            ),
            (
                "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1",
                Output::Metadata("v1beta1"),
            ),
            // A Table cannot be protobuf, so the next clause is taken.
            (
                "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json",
                Output::Object,
            ),
            // Higher q first; wildcards after concrete types.
            (
                "application/json;q=0.5,application/json;as=Table;g=meta.k8s.io;v=v1;q=0.9",
                Output::Table("v1"),
            ),
            (
                "*/*;as=Table;g=meta.k8s.io;v=v1,application/json",
                Output::Object,
            ),
            (
                "text/html,application/*;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
                Output::Metadata("v1"),
            ),
        ];
        for (accept, want) in cases {
            assert_eq!(negotiate(accept), Ok(want), "Accept: {accept}");
        }
    }

    #[test]
    fn nothing_acceptable_is_406() {
        for accept in [
            "text/html",
            "application/json;as=Frobnicated;g=meta.k8s.io;v=v1",
            "application/json;as=Table",
            "application/json;as=PartialObjectMetadata;g=example.com;v=v1",
            "application/json;stream=bogus",
        ] {
            let e = negotiate(accept).expect_err(accept);
            assert_eq!((e.code, e.reason), (406, "NotAcceptable"), "{accept}");
            assert_eq!(
                e.message,
                "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"
            );
        }
    }

    #[test]
    fn metadata_shapes() {
        let reg = crate::resources::Registry::builtin();
        let rt = reg.get("", "v1", "configmaps").expect("configmaps");
        let obj = json!({"kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "a", "labels": {"x": "y"}}, "data": {"k": "v"}});
        let one = render_object(
            Output::Metadata("v1"),
            &rt,
            obj.clone(),
            IncludeObject::Metadata,
        )
        .expect("object");
        assert_eq!(
            one,
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"name": "a", "labels": {"x": "y"}}})
        );
        let page = |items: Vec<Value>| ListPage {
            items,
            rv: 9,
            continue_token: Some("tok".into()),
            remaining: 2,
        };
        let list = render_list(
            Output::MetadataList("v1"),
            &rt,
            page(vec![obj.clone()]),
            IncludeObject::Metadata,
        )
        .expect("list");
        assert_eq!(
            list,
            json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"resourceVersion": "9", "continue": "tok", "remainingItemCount": 2},
                "items": [one]})
        );
        let empty = render_list(
            Output::MetadataList("v1"),
            &rt,
            page(vec![]),
            IncludeObject::Metadata,
        )
        .expect("empty list");
        assert!(empty["items"].is_null(), "{empty}");
        let e = render_list(
            Output::Metadata("v1"),
            &rt,
            page(vec![]),
            IncludeObject::Metadata,
        )
        .expect_err("a list is not one object");
        assert_eq!(e.code, 406);
        assert_eq!(
            e.message,
            "you requested PartialObjectMetadata, but the requested object is a list (*core.ConfigMapList)"
        );
        let e = render_object(
            Output::MetadataList("v1"),
            &rt,
            obj,
            IncludeObject::Metadata,
        )
        .expect_err("one object is not a list");
        assert_eq!(e.code, 406);
    }
}
