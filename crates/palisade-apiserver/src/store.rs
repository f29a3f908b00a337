//! The in-memory object store: objects keyed by type, namespace and name, one cluster-wide
//! resourceVersion counter, and a bounded history of changes that watches replay from.
//!
//! All methods are synchronous and run under one mutex held by the HTTP layer. The
//! store is small (tests), so one lock keeps every invariant (a resourceVersion is never
//! reused, events are delivered in order) obvious rather than clever.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, watch};

use crate::error::{ApiError, ApiResult};
use crate::resources::{Registry, ResourceType};
use crate::selector::{FieldSelector, LabelSelector};
use crate::time;

/// Storage key of a type: (group, plural). All versions of a type share it.
pub type TypeKey = (String, String);

/// One change, as delivered to watches.
#[derive(Debug, Clone)]
pub struct WatchEvent {
    /// The resourceVersion this change produced.
    pub rv: u64,
    /// Type of the object.
    pub key: TypeKey,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub type_: &'static str,
    /// The object after the change (before it, for deletions, with the new rv).
    pub object: Value,
}

/// Options of a delete call.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// `Background`, `Foreground` or `Orphan`.
    pub propagation: Option<String>,
    /// Precondition on the uid.
    pub uid: Option<String>,
    /// Precondition on the resourceVersion.
    pub resource_version: Option<String>,
}

/// A page of a list.
#[derive(Debug, Clone)]
pub struct ListPage {
    /// Items in this page, already converted to the requested version.
    pub items: Vec<Value>,
    /// resourceVersion of the list.
    pub rv: u64,
    /// Token for the next page, if any.
    pub continue_token: Option<String>,
    /// How many matching items follow this page.
    pub remaining: usize,
}

/// The object store. See the module docs.
pub struct Store {
    /// Served types; rebuilt when CRDs change.
    pub registry: Registry,
    objects: BTreeMap<TypeKey, BTreeMap<(String, String), Value>>,
    rv: u64,
    history: VecDeque<Arc<WatchEvent>>,
    history_cap: usize,
    compacted_rv: u64,
    tx: broadcast::Sender<Arc<WatchEvent>>,
    /// Pod logs by (namespace, pod, container), written by the job runner.
    pub logs: BTreeMap<(String, String, String), String>,
    uid_seed: RandomState,
    uid_counter: u64,
    /// Set on every change; the persistence task clears it after saving.
    pub dirty: bool,
    /// Bumped by [`Store::drop_connections`]; every open connection watches it.
    connection_epoch: watch::Sender<u64>,
}

/// Names of system namespaces that always exist, like on a fresh cluster.
pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-node-lease", "kube-public", "kube-system"];

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
}

fn metadata_mut(obj: &mut Value) -> ApiResult<&mut Map<String, Value>> {
    let o = obj
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("the body is not a JSON object"))?;
    let m = o.entry("metadata").or_insert_with(|| json!({}));
    if m.is_null() {
        *m = json!({});
    }
    m.as_object_mut()
        .ok_or_else(|| ApiError::bad_request("metadata must be an object"))
}

/// Checks a name against the DNS-1123 subdomain rules (or label rules when `label`).
pub fn validate_name(name: &str, label: bool) -> Option<String> {
    let max = if label { 63 } else { 253 };
    let ok_char =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (!label && c == '.');
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.is_empty()
        || name.len() > max
        || !name.chars().all(ok_char)
        || !ends_ok(name.chars().next())
        || !ends_ok(name.chars().last())
    {
        let what = if label {
            "RFC 1123 label"
        } else {
            "RFC 1123 subdomain"
        };
        return Some(format!(
            "Invalid value: {name:?}: a lowercase {what} must consist of lower case alphanumeric characters, '-'{} and must start and end with an alphanumeric character",
            if label { "" } else { " or '.'" }
        ));
    }
    None
}

/// The parts of an object that define its "spec" for generation purposes: everything
/// but metadata and status.
fn spec_part(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
        m.remove("kind");
    }
    o
}

impl Store {
    /// An empty store with the system namespaces, keeping `history_cap` watch events.
    pub fn new(history_cap: usize) -> Self {
        let (tx, _) = broadcast::channel(4096);
        let mut s = Self {
            registry: Registry::builtin(),
            objects: BTreeMap::new(),
            rv: 0,
            history: VecDeque::new(),
            history_cap: history_cap.max(1),
            compacted_rv: 0,
            tx,
            logs: BTreeMap::new(),
            uid_seed: RandomState::new(),
            uid_counter: 0,
            dirty: false,
            connection_epoch: watch::Sender::new(0),
        };
        s.ensure_system_namespaces();
        s
    }

    fn ensure_system_namespaces(&mut self) {
        let key = (String::new(), "namespaces".to_string());
        for ns in SYSTEM_NAMESPACES {
            if self.raw(&key, "", ns).is_none() {
                let obj = json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
                let obj = self.stamp_new(obj);
                self.commit(&key, "", ns, obj, "ADDED");
            }
        }
    }

    /// The newest resourceVersion handed out.
    pub fn current_rv(&self) -> u64 {
        self.rv
    }

    /// A fresh UUID-shaped uid. Random per process so uids never repeat across restarts.
    pub fn new_uid(&mut self) -> String {
        self.uid_counter += 1;
        let mut words = [0u64; 2];
        for (i, w) in words.iter_mut().enumerate() {
            let mut h = self.uid_seed.build_hasher();
            h.write_u64(self.uid_counter);
            h.write_usize(i);
            h.write_i64(time::now_secs());
            *w = h.finish();
        }
        let hex = format!("{:016x}{:016x}", words[0], words[1]);
        // Mark it as a version-4 UUID for tools that check.
        format!(
            "{}-{}-4{}-a{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }

    /// A random-looking suffix for generateName (5 chars, like the real server's).
    pub fn random_suffix(&mut self) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        self.uid_counter += 1;
        let mut h = self.uid_seed.build_hasher();
        h.write_u64(self.uid_counter);
        let mut x = h.finish();
        (0..5)
            .map(|_| {
                let c = ALPHABET[(x % ALPHABET.len() as u64) as usize] as char;
                x /= ALPHABET.len() as u64;
                c
            })
            .collect()
    }

    /// Subscribes to live events. Subscribe before reading history (under the same lock)
    /// so no event falls in between.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<WatchEvent>> {
        self.tx.subscribe()
    }

    /// Abruptly closes every open client connection, as a network failure or a server
    /// crash would, so tests can check that clients reconnect and resume. Watches stop
    /// forwarding events at once: a change made under the same lock right after this
    /// call is never seen by the old connections, so clients must catch up (or relist)
    /// after reconnecting.
    pub fn drop_connections(&mut self) {
        self.connection_epoch.send_modify(|e| *e += 1);
    }

    /// A receiver that changes when [`Store::drop_connections`] is called; connections
    /// and watches take one when they start.
    pub fn connection_epoch(&self) -> watch::Receiver<u64> {
        self.connection_epoch.subscribe()
    }

    /// Events after `since` still in the window, or 410 Gone when some were compacted.
    pub fn events_since(&self, since: u64) -> ApiResult<Vec<Arc<WatchEvent>>> {
        if since < self.compacted_rv {
            return Err(ApiError::gone(format!(
                "too old resource version: {since} ({})",
                self.compacted_rv + 1
            )));
        }
        Ok(self
            .history
            .iter()
            .filter(|e| e.rv > since)
            .cloned()
            .collect())
    }

    /// The raw stored object.
    pub fn raw(&self, key: &TypeKey, ns: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(key)
            .and_then(|m| m.get(&(ns.to_string(), name.to_string())))
    }

    /// All stored objects of a type.
    pub fn raw_all(&self, key: &TypeKey) -> impl Iterator<Item = &Value> {
        self.objects.get(key).into_iter().flat_map(|m| m.values())
    }

    /// Every stored object with its type key.
    pub fn everything(&self) -> impl Iterator<Item = (&TypeKey, &Value)> {
        self.objects
            .iter()
            .flat_map(|(k, m)| m.values().map(move |v| (k, v)))
    }

    fn present(rt: &ResourceType, obj: &Value) -> Value {
        let mut o = obj.clone();
        if let Some(m) = o.as_object_mut() {
            m.insert("apiVersion".into(), Value::String(rt.api_version()));
            m.insert("kind".into(), Value::String(rt.kind.clone()));
        }
        o
    }

    /// Stores `obj` with the next resourceVersion and records the event.
    fn commit(
        &mut self,
        key: &TypeKey,
        ns: &str,
        name: &str,
        mut obj: Value,
        type_: &'static str,
    ) -> Value {
        self.rv += 1;
        if let Ok(m) = metadata_mut(&mut obj) {
            m.insert("resourceVersion".into(), Value::String(self.rv.to_string()));
        }
        let map = self.objects.entry(key.clone()).or_default();
        if type_ == "DELETED" {
            map.remove(&(ns.to_string(), name.to_string()));
        } else {
            map.insert((ns.to_string(), name.to_string()), obj.clone());
        }
        let ev = Arc::new(WatchEvent {
            rv: self.rv,
            key: key.clone(),
            type_,
            object: obj.clone(),
        });
        self.history.push_back(ev.clone());
        while self.history.len() > self.history_cap {
            if let Some(old) = self.history.pop_front() {
                self.compacted_rv = old.rv;
            }
        }
        // No receivers is normal (nobody watching).
        let _ = self.tx.send(ev);
        self.dirty = true;
        if key.0 == "apiextensions.k8s.io" {
            self.rebuild_registry();
        }
        obj
    }

    /// Drops history older than `rv`, so watches from before it get 410 (for tests of
    /// clients' relist logic).
    pub fn compact(&mut self) {
        self.compacted_rv = self.rv;
        self.history.clear();
    }

    fn rebuild_registry(&mut self) {
        let key = (
            "apiextensions.k8s.io".to_string(),
            "customresourcedefinitions".to_string(),
        );
        self.registry = Registry::with_crds(self.raw_all(&key));
    }

    /// Sets uid, creationTimestamp and generation on a new object.
    fn stamp_new(&mut self, mut obj: Value) -> Value {
        let uid = self.new_uid();
        if let Ok(m) = metadata_mut(&mut obj) {
            m.insert("uid".into(), Value::String(uid));
            m.insert(
                "creationTimestamp".into(),
                Value::String(time::format_rfc3339(time::now_secs())),
            );
            m.remove("generation");
            m.remove("deletionTimestamp");
            m.remove("deletionGracePeriodSeconds");
            m.remove("resourceVersion");
        }
        obj
    }

    /// GET of one object.
    pub fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> ApiResult<Value> {
        self.raw(&rt.key(), ns, name)
            .map(|o| Self::present(rt, o))
            .ok_or_else(|| ApiError::not_found(&rt.qualified(), name))
    }

    /// A filtered, paged list. `ns` None means all namespaces.
    pub fn list(
        &self,
        rt: &ResourceType,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        limit: usize,
        continue_token: Option<&str>,
    ) -> ApiResult<ListPage> {
        let start = match continue_token.filter(|c| !c.is_empty()) {
            Some(c) => Some(decode_continue(c)?),
            None => None,
        };
        let mut items = Vec::new();
        let mut last_key = None;
        let mut remaining = 0;
        for ((ons, oname), obj) in self.objects.get(&rt.key()).into_iter().flatten() {
            if ns.is_some_and(|n| n != ons) {
                continue;
            }
            if let Some(s) = &start
                && (ons, oname) <= (&s.0, &s.1)
            {
                continue;
            }
            if !labels.matches(obj) || !fields.matches(obj) {
                continue;
            }
            if limit > 0 && items.len() >= limit {
                remaining += 1;
                continue;
            }
            last_key = Some((ons.clone(), oname.clone()));
            items.push(Self::present(rt, obj));
        }
        let continue_token = if remaining > 0 {
            last_key.map(|(a, b)| encode_continue(&a, &b))
        } else {
            None
        };
        Ok(ListPage {
            items,
            rv: self.rv,
            continue_token,
            remaining,
        })
    }

    fn check_namespace(&self, rt: &ResourceType, ns: &str) -> ApiResult<()> {
        if !rt.namespaced {
            return Ok(());
        }
        let key = (String::new(), "namespaces".to_string());
        match self.raw(&key, "", ns) {
            None => Err(ApiError::not_found("namespaces", ns)),
            Some(n)
                if n.pointer("/metadata/deletionTimestamp")
                    .is_some_and(|v| !v.is_null()) =>
            {
                Err(ApiError {
                    code: 403,
                    reason: "Forbidden",
                    message: format!(
                        "{} \"{}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                        rt.plural, ""
                    ),
                    details: None,
                })
            }
            Some(_) => Ok(()),
        }
    }

    /// Checks apiVersion/kind in a body against the endpoint.
    pub fn check_type(rt: &ResourceType, obj: &Value) -> ApiResult<()> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request must be a JSON object",
            ));
        }
        if let Some(kind) = obj.get("kind").and_then(Value::as_str)
            && kind != rt.kind
        {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind ({})",
                rt.kind
            )));
        }
        if let Some(av) = obj.get("apiVersion").and_then(Value::as_str) {
            let group = av.split_once('/').map(|(g, _)| g).unwrap_or("");
            if group != rt.group {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({av}) does not match the expected API version ({})",
                    rt.api_version()
                )));
            }
        }
        Ok(())
    }

    /// POST: creates an object, handling generateName.
    pub fn create(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        mut obj: Value,
        dry_run: bool,
    ) -> ApiResult<Value> {
        Self::check_type(rt, &obj)?;
        let body_ns = meta_str(&obj, "namespace").unwrap_or_default().to_string();
        let ns = if rt.namespaced { ns } else { "" };
        if rt.namespaced && !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let mut name = meta_str(&obj, "name").unwrap_or_default().to_string();
        if name.is_empty() {
            let prefix = meta_str(&obj, "generateName")
                .unwrap_or_default()
                .to_string();
            if prefix.is_empty() {
                return Err(ApiError::invalid(
                    &rt.kind,
                    "",
                    vec![(
                        "metadata.name".into(),
                        "Required value: name or generateName is required".into(),
                    )],
                ));
            }
            name = format!("{prefix}{}", self.random_suffix());
        }
        if let Some(msg) = validate_name(&name, rt.plural == "namespaces") {
            return Err(ApiError::invalid(
                &rt.kind,
                &name,
                vec![("metadata.name".into(), msg)],
            ));
        }
        self.check_namespace(rt, ns)?;
        if self.raw(&rt.key(), ns, &name).is_some() {
            return Err(ApiError::already_exists(&rt.qualified(), &name));
        }
        if rt.plural == "customresourcedefinitions" {
            validate_crd(&name, &obj)?;
        }
        if let Some(o) = obj.as_object_mut() {
            o.insert("apiVersion".into(), Value::String(rt.storage_api_version()));
            o.insert("kind".into(), Value::String(rt.kind.clone()));
        }
        {
            let m = metadata_mut(&mut obj)?;
            m.insert("name".into(), Value::String(name.clone()));
            if rt.namespaced {
                m.insert("namespace".into(), Value::String(ns.to_string()));
            } else {
                m.remove("namespace");
            }
        }
        let mut obj = self.stamp_new(obj);
        if has_generation(rt) {
            metadata_mut(&mut obj)?.insert("generation".into(), json!(1));
        }
        default_status(rt, &mut obj);
        if rt.group == "batch" && rt.plural == "jobs" {
            default_job(&mut obj);
        }
        if dry_run {
            return Ok(Self::present(rt, &obj));
        }
        let stored = self.commit(&rt.key(), ns, &name, obj, "ADDED");
        Ok(Self::present(rt, &stored))
    }

    /// PUT (and the write step of PATCH). With `status_only`, only `.status` is taken from
    /// `new`; otherwise `.status` is kept from the stored object when the type has a status
    /// subresource, as on the real server.
    pub fn update(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        mut new: Value,
        status_only: bool,
        dry_run: bool,
    ) -> ApiResult<Value> {
        Self::check_type(rt, &new)?;
        let ns = if rt.namespaced { ns } else { "" };
        let key = rt.key();
        let old = self
            .raw(&key, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.qualified(), name))?;
        if let Some(n) = meta_str(&new, "name")
            && n != name
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        if let Some(want) = meta_str(&new, "resourceVersion").filter(|s| !s.is_empty())
            && Some(want) != meta_str(&old, "resourceVersion")
        {
            return Err(ApiError::conflict(
                &rt.qualified(),
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        if status_only {
            let status = new.get("status").cloned();
            new = old.clone();
            if let Some(o) = new.as_object_mut() {
                match status {
                    Some(s) => o.insert("status".into(), s),
                    None => o.remove("status"),
                };
            }
        } else if rt.status_subresource
            && let Some(o) = new.as_object_mut()
        {
            match old.get("status") {
                Some(s) => o.insert("status".into(), s.clone()),
                None => o.remove("status"),
            };
        }
        if rt.plural == "customresourcedefinitions" {
            validate_crd(name, &new)?;
        }
        if let Some(o) = new.as_object_mut() {
            o.insert("apiVersion".into(), Value::String(rt.storage_api_version()));
            o.insert("kind".into(), Value::String(rt.kind.clone()));
        }
        // Fields the server owns cannot be changed by clients.
        {
            let old_meta = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
            let m = metadata_mut(&mut new)?;
            for f in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
            ] {
                match old_meta.get(f) {
                    Some(v) => m.insert(f.into(), v.clone()),
                    None => m.remove(f),
                };
            }
            m.insert("name".into(), Value::String(name.to_string()));
            if rt.namespaced {
                m.insert("namespace".into(), Value::String(ns.to_string()));
            } else {
                m.remove("namespace");
            }
            m.insert(
                "resourceVersion".into(),
                old_meta
                    .get("resourceVersion")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
            // An empty `finalizers` list is the same as none.
            if m.get("finalizers")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                m.remove("finalizers");
            }
        }
        if rt.plural == "customresourcedefinitions" {
            default_status(rt, &mut new);
        }
        if has_generation(rt) && spec_part(&old) != spec_part(&new) {
            let g = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                + 1;
            metadata_mut(&mut new)?.insert("generation".into(), json!(g));
        }
        let deleting = new
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|v| !v.is_null());
        let no_finalizers = new
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if dry_run {
            return Ok(Self::present(rt, &new));
        }
        if deleting && no_finalizers {
            let gone = self.remove(&key, ns, name, new);
            return Ok(Self::present(rt, &gone));
        }
        if new == old {
            // A no-op write keeps the resourceVersion and sends no event, like the real server.
            return Ok(Self::present(rt, &old));
        }
        let stored = self.commit(&key, ns, name, new, "MODIFIED");
        Ok(Self::present(rt, &stored))
    }

    /// Removes an object for good, emitting DELETED; for CRDs, also every object of the
    /// types they defined.
    fn remove(&mut self, key: &TypeKey, ns: &str, name: &str, last: Value) -> Value {
        let gone = self.commit(key, ns, name, last.clone(), "DELETED");
        if key.1 == "customresourcedefinitions" {
            let group = last
                .pointer("/spec/group")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let plural = last
                .pointer("/spec/names/plural")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let ck = (group, plural);
            let victims: Vec<((String, String), Value)> = self
                .objects
                .get(&ck)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            for ((ons, oname), obj) in victims {
                self.commit(&ck, &ons, &oname, obj, "DELETED");
            }
        }
        self.logs.retain(|(lns, pod, _), _| {
            !(key.1 == "pods" && key.0.is_empty() && lns == ns && pod == name)
        });
        gone
    }

    /// DELETE of one object: immediate, or marked with deletionTimestamp while finalizers
    /// remain.
    pub fn delete(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        opts: &DeleteOptions,
        dry_run: bool,
    ) -> ApiResult<Value> {
        let ns = if rt.namespaced { ns } else { "" };
        let key = rt.key();
        let mut obj = self
            .raw(&key, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.qualified(), name))?;
        if let Some(uid) = &opts.uid
            && meta_str(&obj, "uid") != Some(uid.as_str())
        {
            return Err(ApiError::conflict(
                &rt.qualified(),
                name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta_str(&obj, "uid").unwrap_or_default()
                ),
            ));
        }
        if let Some(want) = &opts.resource_version
            && meta_str(&obj, "resourceVersion") != Some(want.as_str())
        {
            return Err(ApiError::conflict(
                &rt.qualified(),
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {want}, ResourceVersion in object meta: {}",
                    meta_str(&obj, "resourceVersion").unwrap_or_default()
                ),
            ));
        }
        let mut finalizers: Vec<Value> = obj
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let add = match opts.propagation.as_deref() {
            Some("Foreground") => Some("foregroundDeletion"),
            Some("Orphan") => Some("orphan"),
            Some("Background") | None => None,
            Some(other) => {
                return Err(ApiError::invalid(
                    "DeleteOptions",
                    "",
                    vec![(
                        "propagationPolicy".into(),
                        format!("Unsupported value: {other:?}"),
                    )],
                ));
            }
        };
        let is_namespace = rt.plural == "namespaces" && rt.group.is_empty();
        if is_namespace && SYSTEM_NAMESPACES.contains(&name) && name != "kube-node-lease" {
            return Err(ApiError {
                code: 403,
                reason: "Forbidden",
                message: format!(
                    "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
                ),
                details: None,
            });
        }
        if let Some(f) = add
            && !finalizers.iter().any(|x| x == f)
            && self.has_dependents(&obj)
        {
            finalizers.push(Value::String(f.into()));
        }
        if dry_run {
            return Ok(Self::present(rt, &obj));
        }
        let already = obj
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|v| !v.is_null());
        if finalizers.is_empty() && !is_namespace {
            let gone = self.remove(&key, ns, name, obj);
            return Ok(Self::present(rt, &gone));
        }
        if already
            && obj
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .map(Vec::len)
                == Some(finalizers.len())
        {
            return Ok(Self::present(rt, &obj));
        }
        {
            let m = metadata_mut(&mut obj)?;
            if !already {
                m.insert(
                    "deletionTimestamp".into(),
                    Value::String(time::format_rfc3339(time::now_secs())),
                );
                m.insert("deletionGracePeriodSeconds".into(), json!(0));
            }
            if finalizers.is_empty() {
                m.remove("finalizers");
            } else {
                m.insert("finalizers".into(), Value::Array(finalizers));
            }
        }
        if is_namespace && let Some(o) = obj.as_object_mut() {
            o.insert("status".into(), json!({"phase": "Terminating"}));
        }
        let stored = self.commit(&key, ns, name, obj, "MODIFIED");
        Ok(Self::present(rt, &stored))
    }

    fn has_dependents(&self, owner: &Value) -> bool {
        let Some(uid) = meta_str(owner, "uid") else {
            return false;
        };
        self.everything()
            .any(|(_, o)| owner_uids(o).iter().any(|u| u == uid))
    }

    /// One garbage-collection pass: background deletion of orphans, foreground and orphan
    /// finalizers, namespace teardown. Returns true if anything changed, so the caller
    /// can run another pass (cascades take several).
    pub fn collect_garbage(&mut self) -> bool {
        let has_fin = |o: &Value, f: &str| {
            o.pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| x == f))
        };
        // uid → (orphaning its dependents, deleting them in the foreground). Only these two
        // facts are needed of an owner; cloning whole objects here made every pass (one per
        // change) copy the entire store under the lock.
        let mut live: HashMap<String, (bool, bool)> = HashMap::new();
        for (_, o) in self.everything() {
            if let Some(uid) = meta_str(o, "uid") {
                let deleting = o.pointer("/metadata/deletionTimestamp").is_some();
                live.insert(
                    uid.to_string(),
                    (
                        deleting && has_fin(o, "orphan"),
                        deleting && has_fin(o, "foregroundDeletion"),
                    ),
                );
            }
        }
        let mut to_delete: Vec<(TypeKey, String, String)> = Vec::new();
        let mut to_orphan: Vec<(TypeKey, String, String, BTreeSet<String>)> = Vec::new();
        let mut referenced: BTreeSet<String> = BTreeSet::new();
        let terminating_ns: BTreeSet<String> = self
            .raw_all(&(String::new(), "namespaces".to_string()))
            .filter(|n| {
                n.pointer("/metadata/deletionTimestamp")
                    .is_some_and(|v| !v.is_null())
            })
            .filter_map(|n| meta_str(n, "name").map(str::to_string))
            .collect();
        let mut ns_nonempty: BTreeSet<String> = BTreeSet::new();
        for (k, o) in self.everything() {
            let ns = meta_str(o, "namespace").unwrap_or_default().to_string();
            let name = meta_str(o, "name").unwrap_or_default().to_string();
            if terminating_ns.contains(&ns) {
                ns_nonempty.insert(ns.clone());
                if o.pointer("/metadata/deletionTimestamp")
                    .is_none_or(Value::is_null)
                {
                    to_delete.push((k.clone(), ns.clone(), name.clone()));
                }
                continue;
            }
            let owners = owner_uids(o);
            if owners.is_empty() {
                continue;
            }
            for u in &owners {
                referenced.insert(u.clone());
            }
            let mut orphan_from = BTreeSet::new();
            let mut alive = false;
            let mut foreground = false;
            for u in &owners {
                match live.get(u) {
                    Some((true, _)) => {
                        orphan_from.insert(u.clone());
                    }
                    Some((false, true)) => foreground = true,
                    Some(_) => alive = true,
                    None => {}
                }
            }
            if !orphan_from.is_empty() {
                to_orphan.push((k.clone(), ns, name, orphan_from));
            } else if (!alive || foreground)
                && o.pointer("/metadata/deletionTimestamp")
                    .is_none_or(Value::is_null)
            {
                to_delete.push((k.clone(), ns, name));
            }
        }
        let mut changed = false;
        for (k, ns, name, from) in to_orphan {
            if let Some(mut o) = self.raw(&k, &ns, &name).cloned() {
                if let Some(refs) = o
                    .pointer_mut("/metadata/ownerReferences")
                    .and_then(Value::as_array_mut)
                {
                    refs.retain(|r| {
                        r.get("uid")
                            .and_then(Value::as_str)
                            .is_none_or(|u| !from.contains(u))
                    });
                }
                self.commit(&k, &ns, &name, o, "MODIFIED");
                changed = true;
            }
        }
        for (k, ns, name) in to_delete {
            let rt = self.registry.all().find(|rt| rt.key() == k).cloned();
            if let Some(rt) = rt
                && self
                    .delete(&rt, &ns, &name, &DeleteOptions::default(), false)
                    .is_ok()
            {
                changed = true;
            }
        }
        // Owners waiting on dependents: drop their finalizer once none remain.
        let waiting: Vec<(TypeKey, Value)> = self
            .everything()
            .filter(|(_, o)| {
                o.pointer("/metadata/deletionTimestamp")
                    .is_some_and(|v| !v.is_null())
            })
            .filter(|(_, o)| has_fin(o, "foregroundDeletion") || has_fin(o, "orphan"))
            .map(|(k, o)| (k.clone(), o.clone()))
            .collect();
        for (k, o) in waiting {
            let uid = meta_str(&o, "uid").unwrap_or_default().to_string();
            let still = self.everything().any(|(_, d)| owner_uids(d).contains(&uid));
            if still {
                continue;
            }
            let ns = meta_str(&o, "namespace").unwrap_or_default().to_string();
            let name = meta_str(&o, "name").unwrap_or_default().to_string();
            let mut o = o;
            if let Some(f) = o
                .pointer_mut("/metadata/finalizers")
                .and_then(Value::as_array_mut)
            {
                f.retain(|x| x != "foregroundDeletion" && x != "orphan");
            }
            if o.pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                self.remove(&k, &ns, &name, o);
            } else {
                self.commit(&k, &ns, &name, o, "MODIFIED");
            }
            changed = true;
        }
        // Namespaces whose content is gone disappear.
        for ns in terminating_ns {
            if !ns_nonempty.contains(&ns) {
                let key = (String::new(), "namespaces".to_string());
                if let Some(o) = self.raw(&key, "", &ns).cloned() {
                    self.remove(&key, "", &ns, o);
                    changed = true;
                }
            }
        }
        let _ = referenced;
        changed
    }

    /// Direct write used by controllers: stores `obj` under its own metadata, bypassing
    /// client checks. Returns the stored object.
    pub fn put_internal(&mut self, key: &TypeKey, obj: Value) -> Value {
        let ns = meta_str(&obj, "namespace").unwrap_or_default().to_string();
        let name = meta_str(&obj, "name").unwrap_or_default().to_string();
        let type_ = if self.raw(key, &ns, &name).is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        self.commit(key, &ns, &name, obj, type_)
    }

    /// The whole state as JSON, for the state file.
    pub fn snapshot(&self) -> Value {
        let objects: Vec<Value> = self
            .everything()
            .map(|((g, p), o)| json!({"group": g, "plural": p, "object": o}))
            .collect();
        let logs: Vec<Value> = self
            .logs
            .iter()
            .map(|((ns, pod, c), l)| json!([ns, pod, c, l]))
            .collect();
        json!({"format": "palisade-apiserver/v1", "resourceVersion": self.rv, "objects": objects, "logs": logs})
    }

    /// Restores a [`Store::snapshot`]. Unknown entries are skipped rather than failing
    /// the start, since a half-readable state beats none for a test server.
    pub fn restore(&mut self, state: &Value) -> Result<(), String> {
        if state.get("format").and_then(Value::as_str) != Some("palisade-apiserver/v1") {
            return Err("missing or unknown \"format\"".into());
        }
        let rv = state
            .get("resourceVersion")
            .and_then(Value::as_u64)
            .ok_or("missing resourceVersion")?;
        self.objects.clear();
        for e in state
            .get("objects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(g), Some(p), Some(o)) = (
                e.get("group").and_then(Value::as_str),
                e.get("plural").and_then(Value::as_str),
                e.get("object"),
            ) else {
                continue;
            };
            let ns = meta_str(o, "namespace").unwrap_or_default().to_string();
            let name = meta_str(o, "name").unwrap_or_default().to_string();
            self.objects
                .entry((g.to_string(), p.to_string()))
                .or_default()
                .insert((ns, name), o.clone());
        }
        for l in state
            .get("logs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some([ns, pod, c, text]) = l.as_array().map(Vec::as_slice) {
                let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
                self.logs.insert((s(ns), s(pod), s(c)), s(text));
            }
        }
        self.rv = rv;
        self.compacted_rv = rv;
        self.history.clear();
        self.rebuild_registry();
        self.ensure_system_namespaces();
        Ok(())
    }
}

/// Job defaults the real server applies at creation: a selector on the controller uid
/// (that `kubectl logs job/NAME` follows to the pods), the matching template labels,
/// and completions/parallelism/backoffLimit.
fn default_job(job: &mut Value) {
    let uid = job
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let name = job
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(spec) = job.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    if !manual {
        spec.insert(
            "selector".into(),
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
        );
        let tpl = spec.entry("template").or_insert_with(|| json!({}));
        if let Some(t) = tpl.as_object_mut() {
            let meta = t.entry("metadata").or_insert_with(|| json!({}));
            if let Some(m) = meta.as_object_mut() {
                let labels = m.entry("labels").or_insert_with(|| json!({}));
                if let Some(l) = labels.as_object_mut() {
                    for (k, v) in [
                        ("batch.kubernetes.io/controller-uid", &uid),
                        ("controller-uid", &uid),
                        ("batch.kubernetes.io/job-name", &name),
                        ("job-name", &name),
                    ] {
                        l.insert(k.into(), json!(v));
                    }
                }
            }
        }
    }
    if spec.get("completions").is_none() && spec.get("parallelism").is_none() {
        spec.insert("completions".into(), json!(1));
        spec.insert("parallelism".into(), json!(1));
    }
    spec.entry("backoffLimit").or_insert(json!(6));
    spec.entry("completionMode").or_insert(json!("NonIndexed"));
    spec.entry("suspend").or_insert(json!(false));
}

/// Whether objects of a type carry `metadata.generation` (workloads, CRDs and custom
/// resources do; ConfigMaps, Pods and most core types do not, on a 1.32 server).
fn has_generation(rt: &ResourceType) -> bool {
    rt.custom || matches!(rt.group.as_str(), "apps" | "batch" | "apiextensions.k8s.io")
}

/// uids in `metadata.ownerReferences`.
pub fn owner_uids(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("uid").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn validate_crd(name: &str, obj: &Value) -> ApiResult<()> {
    let group = obj
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let plural = obj
        .pointer("/spec/names/plural")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = obj
        .pointer("/spec/names/kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut causes = Vec::new();
    if group.is_empty() {
        causes.push(("spec.group".to_string(), "Required value".to_string()));
    }
    if plural.is_empty() {
        causes.push((
            "spec.names.plural".to_string(),
            "Required value".to_string(),
        ));
    }
    if kind.is_empty() {
        causes.push(("spec.names.kind".to_string(), "Required value".to_string()));
    }
    if causes.is_empty() && name != format!("{plural}.{group}") {
        causes.push((
            "metadata.name".into(),
            format!("Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"),
        ));
    }
    let versions = obj.pointer("/spec/versions").and_then(Value::as_array);
    if versions.is_none_or(Vec::is_empty) {
        causes.push((
            "spec.versions".into(),
            "Invalid value: null: must have exactly one version marked as storage version".into(),
        ));
    }
    if !matches!(
        obj.pointer("/spec/scope").and_then(Value::as_str),
        Some("Namespaced" | "Cluster")
    ) {
        causes.push((
            "spec.scope".into(),
            "Unsupported value: supported values: \"Cluster\", \"Namespaced\"".into(),
        ));
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("CustomResourceDefinition", name, causes))
    }
}

/// Status a new object starts with: Pods are Pending, CRDs are Established at once
/// (clients wait for that condition), other types with a status subresource start empty.
fn default_status(rt: &ResourceType, obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else { return };
    let now = time::format_rfc3339(time::now_secs());
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "pods") => {
            o.entry("status")
                .or_insert_with(|| json!({"phase": "Pending"}));
        }
        ("", "namespaces") => {
            o.insert("status".into(), json!({"phase": "Active"}));
        }
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            let names = o
                .get("spec")
                .and_then(|s| s.get("names"))
                .cloned()
                .unwrap_or_else(|| json!({}));
            let versions: Vec<Value> = o
                .get("spec")
                .and_then(|s| s.get("versions"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("name").cloned())
                .collect();
            let cond = |t: &str, reason: &str, msg: &str| json!({"type": t, "status": "True", "lastTransitionTime": now, "reason": reason, "message": msg});
            o.insert(
                "status".into(),
                json!({
                    "conditions": [
                        cond("NamesAccepted", "NoConflicts", "no conflicts found"),
                        cond("Established", "InitialNamesAccepted", "the initial names have been accepted"),
                    ],
                    "acceptedNames": names,
                    "storedVersions": versions,
                }),
            );
        }
        _ if rt.status_subresource && !rt.custom => {
            o.remove("status");
        }
        _ if rt.custom && rt.status_subresource => {
            o.remove("status");
        }
        _ => {}
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

fn encode_continue(ns: &str, name: &str) -> String {
    hex(&format!("{ns}/{name}"))
}

fn decode_continue(token: &str) -> ApiResult<(String, String)> {
    unhex(token)
        .and_then(|s| {
            s.split_once('/')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .ok_or_else(|| ApiError::bad_request("continue key is not valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm_type(s: &Store) -> Arc<ResourceType> {
        s.registry.get("", "v1", "configmaps").unwrap()
    }

    #[test]
    fn create_assigns_metadata_and_increasing_versions() {
        let mut s = Store::new(100);
        let rt = cm_type(&s);
        let a = s
            .create(
                &rt,
                "default",
                json!({"metadata": {"name": "a"}, "data": {"x": "1"}}),
                false,
            )
            .unwrap();
        let b = s
            .create(
                &rt,
                "default",
                json!({"metadata": {"generateName": "b-"}}),
                false,
            )
            .unwrap();
        let rva: u64 = a["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let rvb: u64 = b["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(rvb > rva);
        assert!(
            a["metadata"].get("generation").is_none(),
            "configmaps have no generation"
        );
        assert_eq!(a["kind"], "ConfigMap");
        assert!(b["metadata"]["name"].as_str().unwrap().starts_with("b-"));
        assert_ne!(a["metadata"]["uid"], b["metadata"]["uid"]);
        let dup = s
            .create(&rt, "default", json!({"metadata": {"name": "a"}}), false)
            .unwrap_err();
        assert_eq!((dup.code, dup.reason), (409, "AlreadyExists"));
        let nons = s
            .create(&rt, "nope", json!({"metadata": {"name": "a"}}), false)
            .unwrap_err();
        assert_eq!(nons.code, 404);
        let bad = s
            .create(
                &rt,
                "default",
                json!({"metadata": {"name": "Bad_Name"}}),
                false,
            )
            .unwrap_err();
        assert_eq!((bad.code, bad.reason), (422, "Invalid"));
    }

    #[test]
    fn stale_resource_version_conflicts_and_generation_bumps() {
        let mut s = Store::new(100);
        let rt = s.registry.get("apps", "v1", "deployments").unwrap();
        let d = s
            .create(
                &rt,
                "default",
                json!({"metadata": {"name": "d"}, "spec": {"replicas": 1}}),
                false,
            )
            .unwrap();
        let mut d2 = d.clone();
        d2["spec"]["replicas"] = json!(2);
        let u = s
            .update(&rt, "default", "d", d2.clone(), false, false)
            .unwrap();
        assert_eq!(u["metadata"]["generation"], 2);
        let err = s.update(&rt, "default", "d", d2, false, false).unwrap_err();
        assert_eq!((err.code, err.reason), (409, "Conflict"));
        let mut l = u.clone();
        l["metadata"]["labels"] = json!({"a": "b"});
        let u2 = s.update(&rt, "default", "d", l, false, false).unwrap();
        assert_eq!(
            u2["metadata"]["generation"], 2,
            "metadata changes do not bump generation"
        );
    }

    #[test]
    fn finalizers_hold_deletion_until_removed() {
        let mut s = Store::new(100);
        let rt = cm_type(&s);
        s.create(
            &rt,
            "default",
            json!({"metadata": {"name": "f", "finalizers": ["x/y"]}}),
            false,
        )
        .unwrap();
        let d = s
            .delete(&rt, "default", "f", &DeleteOptions::default(), false)
            .unwrap();
        assert!(d["metadata"]["deletionTimestamp"].is_string());
        let mut cur = s.get(&rt, "default", "f").unwrap();
        cur["metadata"]["finalizers"] = json!([]);
        s.update(&rt, "default", "f", cur, false, false).unwrap();
        assert_eq!(s.get(&rt, "default", "f").unwrap_err().code, 404);
    }

    #[test]
    fn watch_history_is_bounded() {
        let mut s = Store::new(3);
        let rt = cm_type(&s);
        let start = s.current_rv();
        for i in 0..5 {
            s.create(
                &rt,
                "default",
                json!({"metadata": {"name": format!("c{i}")}}),
                false,
            )
            .unwrap();
        }
        assert_eq!(s.events_since(start).unwrap_err().code, 410);
        assert_eq!(s.events_since(s.current_rv() - 2).unwrap().len(), 2);
    }

    #[test]
    fn list_pages_with_continue() {
        let mut s = Store::new(100);
        let rt = cm_type(&s);
        for i in 0..5 {
            s.create(
                &rt,
                "default",
                json!({"metadata": {"name": format!("c{i}"), "labels": {"i": i.to_string()}}}),
                false,
            )
            .unwrap();
        }
        let all = LabelSelector::default();
        let f = FieldSelector::default();
        let p1 = s.list(&rt, Some("default"), &all, &f, 2, None).unwrap();
        assert_eq!(p1.items.len(), 2);
        assert_eq!(p1.remaining, 3);
        let p2 = s
            .list(
                &rt,
                Some("default"),
                &all,
                &f,
                2,
                p1.continue_token.as_deref(),
            )
            .unwrap();
        assert_eq!(p2.items[0]["metadata"]["name"], "c2");
        let p3 = s
            .list(
                &rt,
                Some("default"),
                &all,
                &f,
                2,
                p2.continue_token.as_deref(),
            )
            .unwrap();
        assert_eq!(p3.items.len(), 1);
        assert!(p3.continue_token.is_none());
        let sel = LabelSelector::parse("i in (1,3)").unwrap();
        assert_eq!(s.list(&rt, None, &sel, &f, 0, None).unwrap().items.len(), 2);
    }

    #[test]
    fn background_and_foreground_garbage_collection() {
        let mut s = Store::new(1000);
        let rt = cm_type(&s);
        let owner = s
            .create(
                &rt,
                "default",
                json!({"metadata": {"name": "owner"}}),
                false,
            )
            .unwrap();
        let uid = owner["metadata"]["uid"].clone();
        let dep = json!({"metadata": {"name": "dep", "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid}]}});
        s.create(&rt, "default", dep.clone(), false).unwrap();
        s.delete(&rt, "default", "owner", &DeleteOptions::default(), false)
            .unwrap();
        while s.collect_garbage() {}
        assert_eq!(s.get(&rt, "default", "dep").unwrap_err().code, 404);

        let owner = s
            .create(
                &rt,
                "default",
                json!({"metadata": {"name": "owner"}}),
                false,
            )
            .unwrap();
        let mut dep = dep;
        dep["metadata"]["ownerReferences"][0]["uid"] = owner["metadata"]["uid"].clone();
        s.create(&rt, "default", dep, false).unwrap();
        let fg = DeleteOptions {
            propagation: Some("Foreground".into()),
            ..Default::default()
        };
        let marked = s.delete(&rt, "default", "owner", &fg, false).unwrap();
        assert_eq!(
            marked["metadata"]["finalizers"],
            json!(["foregroundDeletion"])
        );
        while s.collect_garbage() {}
        assert_eq!(s.get(&rt, "default", "dep").unwrap_err().code, 404);
        assert_eq!(s.get(&rt, "default", "owner").unwrap_err().code, 404);
    }

    #[test]
    fn snapshot_round_trips() {
        let mut s = Store::new(100);
        let rt = cm_type(&s);
        s.create(&rt, "default", json!({"metadata": {"name": "keep"}}), false)
            .unwrap();
        let snap = s.snapshot();
        let mut t = Store::new(100);
        t.restore(&snap).unwrap();
        assert_eq!(
            t.get(&rt, "default", "keep").unwrap(),
            s.get(&rt, "default", "keep").unwrap()
        );
        assert_eq!(t.current_rv(), s.current_rv());
        assert_eq!(t.events_since(0).unwrap_err().code, 410);
    }
}
