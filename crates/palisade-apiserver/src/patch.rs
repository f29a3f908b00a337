//! The four PATCH flavours: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
//! strategic merge patch (for the core types kubectl patches) and server-side apply.
//!
//! Strategic merge and apply need to know which lists are "maps keyed by a field"
//! (containers by name, conditions by type). The real server reads that from Go struct
//! tags; we keep a table of the list fields our clients actually touch ([`merge_key`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};

/// RFC 7386 JSON merge patch: objects merge, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Some(t) = target.as_object_mut() {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

fn unescape(tok: &str) -> String {
    tok.replace("~1", "/").replace("~0", "~")
}

fn split_pointer(path: &str) -> ApiResult<Vec<String>> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| ApiError::bad_request(format!("invalid JSON pointer {path:?}")))?;
    Ok(rest.split('/').map(unescape).collect())
}

fn parent_and_last<'a>(
    doc: &'a mut Value,
    toks: &[String],
    path: &str,
) -> ApiResult<(&'a mut Value, String)> {
    let (last, parents) = toks.split_last().ok_or_else(|| {
        ApiError::bad_request(format!("cannot address the document root with {path:?}"))
    })?;
    let mut cur = doc;
    for t in parents {
        cur = match cur {
            Value::Object(m) => m.get_mut(t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| ApiError::invalid_patch(format!("path {path:?} does not exist")))?;
    }
    Ok((cur, last.clone()))
}

fn pointer_get(doc: &Value, path: &str) -> ApiResult<Value> {
    doc.pointer(path)
        .cloned()
        .ok_or_else(|| ApiError::invalid_patch(format!("path {path:?} does not exist")))
}

fn remove_at(doc: &mut Value, path: &str) -> ApiResult<Value> {
    let toks = split_pointer(path)?;
    let (parent, last) = parent_and_last(doc, &toks, path)?;
    match parent {
        Value::Object(m) => m.remove(&last),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => Some(a.remove(i)),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| ApiError::invalid_patch(format!("unable to remove nonexistent key {path:?}")))
}

fn add_at(doc: &mut Value, path: &str, value: Value) -> ApiResult<()> {
    let toks = split_pointer(path)?;
    if toks.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = parent_and_last(doc, &toks, path)?;
    match parent {
        Value::Object(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Array(a) => {
            let idx = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>()
                    .map_err(|_| ApiError::invalid_patch(format!("bad index in {path:?}")))?
            };
            if idx > a.len() {
                return Err(ApiError::invalid_patch(format!(
                    "index out of range in {path:?}"
                )));
            }
            a.insert(idx, value);
            Ok(())
        }
        _ => Err(ApiError::invalid_patch(format!(
            "path {path:?} does not exist"
        ))),
    }
}

/// RFC 6902 JSON patch. A failing `test` or a missing path rejects the whole patch.
pub fn json_patch(target: &mut Value, ops: &Value) -> ApiResult<()> {
    let ops = ops
        .as_array()
        .ok_or_else(|| ApiError::bad_request("a JSON patch must be an array of operations"))?;
    let mut doc = target.clone();
    for op in ops {
        let s = |k: &str| op.get(k).and_then(Value::as_str);
        let path = s("path")
            .ok_or_else(|| ApiError::bad_request("JSON patch operation without \"path\""))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| ApiError::bad_request("JSON patch operation without \"value\""))
        };
        match s("op") {
            Some("add") => add_at(&mut doc, path, value()?)?,
            Some("remove") => {
                remove_at(&mut doc, path)?;
            }
            Some("replace") => {
                remove_at(&mut doc, path)?;
                add_at(&mut doc, path, value()?)?;
            }
            Some("move") => {
                let from =
                    s("from").ok_or_else(|| ApiError::bad_request("move without \"from\""))?;
                let v = remove_at(&mut doc, from)?;
                add_at(&mut doc, path, v)?;
            }
            Some("copy") => {
                let from =
                    s("from").ok_or_else(|| ApiError::bad_request("copy without \"from\""))?;
                let v = pointer_get(&doc, from)?;
                add_at(&mut doc, path, v)?;
            }
            Some("test") => {
                if pointer_get(&doc, path)? != value()? {
                    return Err(ApiError::invalid_patch(format!(
                        "testing value {path} failed"
                    )));
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown JSON patch operation {other:?}"
                )));
            }
        }
    }
    *target = doc;
    Ok(())
}

/// The merge key of a list field, for strategic merge and apply. `sample` is an element
/// of the list, used to tell container ports from service ports.
pub fn merge_key(field: &str, sample: Option<&Value>) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "ports" => {
            if sample.is_some_and(|s| s.get("containerPort").is_some()) {
                "containerPort"
            } else {
                "port"
            }
        }
        _ => return None,
    })
}

/// List fields whose primitive elements merge as a set (`patchStrategy: merge`).
fn primitive_merge(field: &str) -> bool {
    field == "finalizers"
}

/// Strategic merge patch, with the `$patch`, `$retainKeys`, `$setElementOrder` and
/// `$deleteFromPrimitiveList` directives kubectl sends.
pub fn strategic_merge(target: &mut Value, patch: &Value) -> ApiResult<()> {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return Ok(());
    };
    match p.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut p = patch.clone();
            if let Some(m) = p.as_object_mut() {
                m.remove("$patch");
            }
            // Merging onto an empty object strips nested directives.
            let mut fresh = json!({});
            strategic_merge(&mut fresh, &p)?;
            *target = fresh;
            return Ok(());
        }
        Some("delete") => {
            *target = json!({});
            return Ok(());
        }
        Some("merge") | None => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown patch directive {other:?}"
            )));
        }
    }
    if !target.is_object() {
        *target = json!({});
    }
    let Some(t) = target.as_object_mut() else {
        return Ok(());
    };
    if let Some(keep) = p.get("$retainKeys").and_then(Value::as_array) {
        let keep: BTreeSet<&str> = keep.iter().filter_map(Value::as_str).collect();
        t.retain(|k, _| keep.contains(k.as_str()));
    }
    for (k, v) in p {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            let drop: Vec<Value> = v.as_array().cloned().unwrap_or_default();
            if let Some(list) = t.get_mut(field).and_then(Value::as_array_mut) {
                list.retain(|x| !drop.contains(x));
            }
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match v {
            Value::Array(items) => {
                let key = merge_key(k, items.iter().find(|i| i.is_object()));
                let existing = t.get(k).and_then(Value::as_array).cloned();
                match (key, existing) {
                    (Some(key), Some(cur)) => {
                        let merged = merge_keyed_list(cur, items, key)?;
                        t.insert(k.clone(), Value::Array(merged));
                    }
                    (None, Some(mut cur)) if primitive_merge(k) => {
                        for i in items {
                            if !cur.contains(i) {
                                cur.push(i.clone());
                            }
                        }
                        t.insert(k.clone(), Value::Array(cur));
                    }
                    _ => {
                        let clean: Vec<Value> = items
                            .iter()
                            .filter(|i| i.get("$patch").is_none())
                            .cloned()
                            .collect();
                        t.insert(k.clone(), Value::Array(clean));
                    }
                }
            }
            Value::Object(_) => strategic_merge(t.entry(k.clone()).or_insert(Value::Null), v)?,
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

fn merge_keyed_list(mut cur: Vec<Value>, patch: &[Value], key: &str) -> ApiResult<Vec<Value>> {
    if patch
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return Ok(patch
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .cloned()
            .collect());
    }
    for item in patch {
        let id = item.get(key);
        let pos = id.and_then(|id| cur.iter().position(|c| c.get(key) == Some(id)));
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = pos {
                cur.remove(i);
            }
            continue;
        }
        match pos {
            Some(i) => strategic_merge(&mut cur[i], item)?,
            None => cur.push(item.clone()),
        }
    }
    Ok(cur)
}

// ---------------------------------------------------------------------------------------
// Server-side apply
// ---------------------------------------------------------------------------------------

/// A field path in managedFields terms: `f:spec`, `k:{"name":"app"}`, …
pub type FieldPath = Vec<String>;

/// Metadata fields that are never owned (identity and server-set fields).
const UNOWNED_META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

/// Leaf paths set in `v`. Keyed lists contribute one path per element (and its fields);
/// other lists are atomic leaves.
pub fn field_paths(v: &Value) -> BTreeSet<FieldPath> {
    let mut out = BTreeSet::new();
    if let Some(m) = v.as_object() {
        for (k, child) in m {
            if k == "apiVersion" || k == "kind" {
                continue;
            }
            if k == "metadata" {
                if let Some(mm) = child.as_object() {
                    for (mk, mv) in mm {
                        if UNOWNED_META.contains(&mk.as_str()) {
                            continue;
                        }
                        walk(
                            mv,
                            mk,
                            vec!["f:metadata".into(), format!("f:{mk}")],
                            &mut out,
                        );
                    }
                }
                continue;
            }
            walk(child, k, vec![format!("f:{k}")], &mut out);
        }
    }
    out
}

fn element_key(field: &str, item: &Value) -> Option<String> {
    let key = merge_key(field, Some(item))?;
    let id = item.get(key)?;
    Some(format!("k:{}", json!({ key: id })))
}

fn walk(v: &Value, field: &str, path: FieldPath, out: &mut BTreeSet<FieldPath>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                let mut p = path.clone();
                p.push(format!("f:{k}"));
                walk(c, k, p, out);
            }
        }
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|i| element_key(field, i).is_some()) =>
        {
            for i in items {
                let mut p = path.clone();
                if let Some(k) = element_key(field, i) {
                    p.push(k);
                }
                out.insert(p.clone());
                if let Some(m) = i.as_object() {
                    for (k, c) in m {
                        let mut q = p.clone();
                        q.push(format!("f:{k}"));
                        walk(c, k, q, out);
                    }
                }
            }
        }
        _ => {
            out.insert(path);
        }
    }
}

fn step<'a>(v: &'a Value, seg: &str) -> Option<&'a Value> {
    if let Some(f) = seg.strip_prefix("f:") {
        return v.get(f);
    }
    let want: Value = serde_json::from_str(seg.strip_prefix("k:")?).ok()?;
    let want = want.as_object()?;
    v.as_array()?
        .iter()
        .find(|i| want.iter().all(|(k, x)| i.get(k) == Some(x)))
}

/// The value at a field path, if present.
pub fn value_at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, seg| step(cur, seg))
}

/// Removes the value at a field path (no-op when absent).
pub fn remove_path(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for seg in parents {
        let next = if let Some(f) = seg.strip_prefix("f:") {
            cur.get_mut(f)
        } else {
            let want: Option<Map<String, Value>> = seg
                .strip_prefix("k:")
                .and_then(|j| serde_json::from_str::<Value>(j).ok())
                .and_then(|w| w.as_object().cloned());
            match (want, cur.as_array_mut()) {
                (Some(w), Some(a)) => a
                    .iter_mut()
                    .find(|i| w.iter().all(|(k, x)| i.get(k) == Some(x))),
                _ => None,
            }
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = cur.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(w) = last
        .strip_prefix("k:")
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
        && let (Some(w), Some(a)) = (w.as_object(), cur.as_array_mut())
    {
        a.retain(|i| !w.iter().all(|(k, x)| i.get(k) == Some(x)));
    }
}

/// Serializes a path set to the `fieldsV1` form stored in managedFields.
pub fn to_fields_v1(paths: &BTreeSet<FieldPath>) -> Value {
    let mut root = Map::new();
    for p in paths {
        let mut cur = &mut root;
        for (i, seg) in p.iter().enumerate() {
            let entry = cur.entry(seg.clone()).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            let Some(next) = entry.as_object_mut() else {
                break;
            };
            cur = next;
            if i == p.len() - 1 && seg.starts_with("k:") {
                cur.insert(".".into(), json!({}));
            }
        }
    }
    Value::Object(root)
}

/// Parses `fieldsV1` back to the set of leaf paths.
pub fn from_fields_v1(v: &Value) -> BTreeSet<FieldPath> {
    fn rec(v: &Value, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
        let Some(m) = v.as_object() else { return };
        if m.is_empty() && !path.is_empty() {
            out.insert(path.clone());
            return;
        }
        for (k, c) in m {
            if k == "." {
                out.insert(path.clone());
                continue;
            }
            path.push(k.clone());
            rec(c, path, out);
            path.pop();
        }
    }
    let mut out = BTreeSet::new();
    rec(v, &mut Vec::new(), &mut out);
    out
}

/// Renders a path for conflict messages: `.spec.replicas`, `.spec.containers[name="app"].image`.
pub fn display_path(p: &[String]) -> String {
    let mut s = String::new();
    for seg in p {
        if let Some(f) = seg.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = seg.strip_prefix("k:") {
            let inner: String = serde_json::from_str::<Value>(k)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .map(|m| {
                    m.iter()
                        .map(|(a, b)| format!("{a}={b}"))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            s.push_str(&format!("[{inner}]"));
        }
    }
    s
}

/// One managedFields entry, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagerEntry {
    /// Manager name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// apiVersion the manager wrote with.
    pub api_version: String,
    /// `status` for writes through the status subresource, else empty.
    pub subresource: String,
    /// Owned fields.
    pub fields: BTreeSet<FieldPath>,
}

/// Decodes `metadata.managedFields`; malformed entries are ignored.
pub fn managers_of(obj: &Value) -> Vec<ManagerEntry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let s = |k: &str| {
                e.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            Some(ManagerEntry {
                manager: e.get("manager")?.as_str()?.to_string(),
                operation: s("operation"),
                api_version: s("apiVersion"),
                subresource: s("subresource"),
                fields: from_fields_v1(e.get("fieldsV1").unwrap_or(&Value::Null)),
            })
        })
        .collect()
}

/// Encodes managedFields entries into `metadata.managedFields`.
pub fn set_managers(obj: &mut Value, entries: &[ManagerEntry], now: &str) {
    let arr: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager, "operation": e.operation, "apiVersion": e.api_version,
                "time": now, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(&e.fields),
            });
            if !e.subresource.is_empty() {
                v["subresource"] = json!(e.subresource);
            }
            v
        })
        .collect();
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if arr.is_empty() {
            m.remove("managedFields");
        } else {
            m.insert("managedFields".into(), Value::Array(arr));
        }
    }
}

/// Merges an applied configuration into the live object: objects merge, keyed lists
/// merge by key, other lists and scalars are replaced.
fn apply_merge(live: &mut Value, applied: &Value, field: &str) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, v) in a {
                match l.get_mut(k) {
                    Some(cur) => apply_merge(cur, v, k),
                    None => {
                        l.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(l), Value::Array(a)) if a.iter().all(|i| element_key(field, i).is_some()) => {
            for item in a {
                let id = element_key(field, item);
                match l.iter_mut().find(|c| element_key(field, c) == id) {
                    Some(cur) => apply_merge(cur, item, field),
                    None => l.push(item.clone()),
                }
            }
        }
        (l, a) => *l = a.clone(),
    }
}

/// Result of a server-side apply computation.
#[derive(Debug)]
pub struct Applied {
    /// The merged object to write.
    pub object: Value,
}

/// Server-side apply of `applied` by `manager` onto `live` (None for a create).
///
/// Conflicts are fields another manager owns whose value would change; they fail the
/// apply with 409 unless `force`, which takes ownership. Fields this manager applied
/// before and now omits are removed when nobody else owns them.
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    subresource: &str,
    now: &str,
) -> ApiResult<Applied> {
    let api_version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let scope = |paths: BTreeSet<FieldPath>| -> BTreeSet<FieldPath> {
        paths
            .into_iter()
            .filter(|p| {
                let is_status = p.first().map(String::as_str) == Some("f:status");
                if subresource == "status" {
                    is_status
                } else {
                    !is_status
                }
            })
            .collect()
    };
    let new_set = scope(field_paths(applied));
    let Some(live) = live else {
        let mut obj = applied.clone();
        let entry = ManagerEntry {
            manager: manager.into(),
            operation: "Apply".into(),
            api_version,
            subresource: subresource.into(),
            fields: new_set,
        };
        set_managers(&mut obj, &[entry], now);
        return Ok(Applied { object: obj });
    };
    let mut entries = managers_of(live);
    let mut conflicts: Vec<(String, FieldPath)> = Vec::new();
    for p in &new_set {
        let changes = value_at(live, p) != value_at(applied, p);
        if !changes {
            continue;
        }
        for e in &entries {
            let same = e.manager == manager && e.operation == "Apply";
            if !same && e.fields.contains(p) {
                conflicts.push((e.manager.clone(), p.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(m, p)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{m}\""), "field": display_path(p)}))
            .collect();
        let list: Vec<String> = conflicts
            .iter()
            .map(|(m, p)| format!("conflict with \"{m}\": {}", display_path(p)))
            .collect();
        let n = conflicts.len();
        return Err(ApiError {
            code: 409,
            reason: "Conflict",
            message: format!(
                "Apply failed with {n} conflict{}: {}",
                if n == 1 { "" } else { "s" },
                list.join("\n")
            ),
            details: Some(json!({"causes": causes})),
        });
    }
    let taken: BTreeSet<FieldPath> = conflicts.into_iter().map(|(_, p)| p).collect();
    let previous: BTreeSet<FieldPath> = entries
        .iter()
        .filter(|e| e.manager == manager && e.operation == "Apply" && e.subresource == subresource)
        .flat_map(|e| e.fields.iter().cloned())
        .collect();
    let mut obj = live.clone();
    for gone in previous.difference(&new_set) {
        let owned_elsewhere = entries
            .iter()
            .any(|e| !(e.manager == manager && e.operation == "Apply") && e.fields.contains(gone));
        if !owned_elsewhere {
            remove_path(&mut obj, gone);
        }
    }
    let mut applied_body = applied.clone();
    if let Some(m) = applied_body.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            for f in UNOWNED_META {
                meta.remove(*f);
            }
        }
        if subresource == "status" {
            m.retain(|k, _| k == "status");
        } else {
            m.remove("status");
        }
    }
    apply_merge(&mut obj, &applied_body, "");
    for e in entries.iter_mut() {
        e.fields.retain(|p| !taken.contains(p));
    }
    entries.retain(|e| {
        !(e.manager == manager && e.operation == "Apply" && e.subresource == subresource)
    });
    entries.push(ManagerEntry {
        manager: manager.into(),
        operation: "Apply".into(),
        api_version,
        subresource: subresource.into(),
        fields: new_set,
    });
    set_managers(&mut obj, &entries, now);
    Ok(Applied { object: obj })
}

/// Records an Update-operation write: fields whose value changed between `old` and `new`
/// now belong to `manager` and no longer to anyone else (as on the real server, updates
/// never conflict but do take ownership).
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: &str,
    now: &str,
) {
    let new_paths = field_paths(new);
    let old_paths = old.map(field_paths).unwrap_or_default();
    let changed: BTreeSet<FieldPath> = new_paths
        .iter()
        .filter(|p| old.and_then(|o| value_at(o, p)) != value_at(new, p))
        .filter(|p| {
            (p.first().map(String::as_str) == Some("f:status")) == (subresource == "status")
        })
        .cloned()
        .collect();
    let removed: BTreeSet<FieldPath> = old_paths.difference(&new_paths).cloned().collect();
    let mut entries = old.map(managers_of).unwrap_or_default();
    if changed.is_empty() && removed.is_empty() {
        set_managers(new, &entries, now);
        return;
    }
    for e in entries.iter_mut() {
        e.fields
            .retain(|p| !changed.contains(p) && !removed.contains(p));
    }
    let api_version = new
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match entries
        .iter_mut()
        .find(|e| e.manager == manager && e.operation == "Update" && e.subresource == subresource)
    {
        Some(e) => e.fields.extend(changed),
        None => entries.push(ManagerEntry {
            manager: manager.into(),
            operation: "Update".into(),
            api_version,
            subresource: subresource.into(),
            fields: changed,
        }),
    }
    set_managers(new, &entries, now);
}

/// Which manager names exist, for tests and diagnostics.
pub fn manager_names(obj: &Value) -> BTreeMap<String, String> {
    managers_of(obj)
        .into_iter()
        .map(|e| (e.manager, e.operation))
        .collect()
}

impl ApiError {
    /// 422 for a patch that cannot be applied (missing path, failed test).
    pub fn invalid_patch(message: String) -> Self {
        ApiError {
            code: 422,
            reason: "Invalid",
            message: format!(
                "the server rejected our request due to an error in our request: {message}"
            ),
            details: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_rfc7386() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn json_patch_ops_and_failures() {
        let mut t = json!({"a": [1, 2], "b": {"c": 1}});
        json_patch(
            &mut t,
            &json!([
                {"op": "add", "path": "/a/-", "value": 3},
                {"op": "replace", "path": "/b/c", "value": 2},
                {"op": "copy", "from": "/b", "path": "/d"},
                {"op": "move", "from": "/d/c", "path": "/e"},
                {"op": "remove", "path": "/a/0"},
                {"op": "test", "path": "/e", "value": 2},
            ]),
        )
        .unwrap();
        assert_eq!(t, json!({"a": [2, 3], "b": {"c": 2}, "d": {}, "e": 2}));
        let before = t.clone();
        let err = json_patch(&mut t, &json!([{"op": "add", "path": "/x", "value": 1}, {"op": "test", "path": "/e", "value": 9}])).unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(t, before, "failed patches change nothing");
        assert!(json_patch(&mut t, &json!([{"op": "remove", "path": "/nope"}])).is_err());
        assert!(json_patch(&mut t, &json!({"op": "x"})).is_err());
    }

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        let mut t = json!({"spec": {"containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "b:1"}]}, "metadata": {"finalizers": ["f1"]}});
        strategic_merge(&mut t, &json!({
            "spec": {"containers": [{"name": "a", "image": "a:2", "env": [{"name": "Y", "value": "2"}]},
                                     {"name": "b", "$patch": "delete"},
                                     {"name": "c", "image": "c:1"}],
                     "$setElementOrder/containers": [{"name": "a"}, {"name": "c"}]},
            "metadata": {"finalizers": ["f2"]}}))
        .unwrap();
        assert_eq!(
            t["spec"]["containers"],
            json!([
            {"name": "a", "image": "a:2", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]},
            {"name": "c", "image": "c:1"}])
        );
        assert_eq!(t["metadata"]["finalizers"], json!(["f1", "f2"]));
        strategic_merge(
            &mut t,
            &json!({"spec": {"containers": [{"name": "z"}], "$patch": "replace"}}),
        )
        .unwrap();
        assert_eq!(t["spec"], json!({"containers": [{"name": "z"}]}));
    }

    #[test]
    fn fields_v1_round_trip() {
        let obj = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "i"}], "args": ["x"]}});
        let paths = field_paths(&obj);
        assert!(paths.contains(&vec![
            "f:metadata".to_string(),
            "f:labels".into(),
            "f:a".into()
        ]));
        assert!(paths.contains(&vec![
            "f:spec".to_string(),
            "f:containers".into(),
            "k:{\"name\":\"c\"}".into(),
            "f:image".into()
        ]));
        assert_eq!(from_fields_v1(&to_fields_v1(&paths)), paths);
    }

    #[test]
    fn apply_conflicts_force_and_removal() {
        let now = "2024-01-01T00:00:00Z";
        let a1 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1", "y": "1"}});
        let created = server_side_apply(None, &a1, "alice", false, "", now)
            .unwrap()
            .object;
        // Bob applies a different value of a field Alice owns: conflict.
        let b1 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "2"}});
        let err = server_side_apply(Some(&created), &b1, "bob", false, "", now).unwrap_err();
        assert_eq!(err.code, 409);
        assert!(
            err.message.contains("conflict with \"alice\": .data.x"),
            "{}",
            err.message
        );
        // Same value is shared ownership, no conflict.
        let b_same = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1", "z": "3"}});
        let shared = server_side_apply(Some(&created), &b_same, "bob", false, "", now)
            .unwrap()
            .object;
        // Alice drops x and y: y goes away, x stays because Bob owns it too.
        let a2 =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}});
        let after = server_side_apply(Some(&shared), &a2, "alice", false, "", now)
            .unwrap()
            .object;
        assert_eq!(after["data"], json!({"x": "1", "z": "3"}));
        // Forcing takes ownership.
        let forced = server_side_apply(Some(&created), &b1, "bob", true, "", now)
            .unwrap()
            .object;
        assert_eq!(forced["data"]["x"], "2");
        let owners = managers_of(&forced);
        let alice = owners.iter().find(|e| e.manager == "alice").unwrap();
        assert!(
            !alice
                .fields
                .contains(&vec!["f:data".to_string(), "f:x".into()])
        );
    }

    #[test]
    fn updates_take_ownership() {
        let now = "t";
        let a1 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}});
        let created = server_side_apply(None, &a1, "alice", false, "", now)
            .unwrap()
            .object;
        let mut edited = created.clone();
        edited["data"]["x"] = json!("9");
        record_update(Some(&created), &mut edited, "kubectl-edit", "", now);
        assert_eq!(
            manager_names(&edited)
                .get("kubectl-edit")
                .map(String::as_str),
            Some("Update")
        );
        let err = server_side_apply(Some(&edited), &a1, "alice", false, "", now).unwrap_err();
        assert!(err.message.contains("kubectl-edit"));
    }
}
