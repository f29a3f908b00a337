//! The resource types the server serves: the built-in ones with their real names, scopes
//! and short names, plus those defined by CustomResourceDefinitions currently stored.
//!
//! Clients resolve `kubectl get deploy` through discovery, so every name here has to be
//! exactly the real server's or kubectl cannot find the type.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

/// A column a CRD declares in `additionalPrinterColumns`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    /// Header text, upper-cased by kubectl.
    pub name: String,
    /// `string`, `integer`, `number`, `boolean` or `date`.
    pub type_: String,
    /// Optional format hint.
    pub format: String,
    /// Description shown by `kubectl explain`-like tools.
    pub description: String,
    /// Columns with priority > 0 only show with `-o wide`.
    pub priority: i64,
    /// Simple JSONPath (`.status.phase`).
    pub json_path: String,
}

/// One served group/version/resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    /// API group, "" for core.
    pub group: String,
    /// Version served at this path.
    pub version: String,
    /// The version objects are stored in (for CRDs with several versions).
    pub storage_version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// List kind, e.g. `DeploymentList`.
    pub list_kind: String,
    /// Plural resource name used in paths.
    pub plural: String,
    /// Singular resource name.
    pub singular: String,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Short names for kubectl (`deploy`).
    pub short_names: Vec<String>,
    /// Categories such as `all`.
    pub categories: Vec<String>,
    /// Verbs advertised in discovery.
    pub verbs: Vec<&'static str>,
    /// Whether `/status` is a subresource (status then ignores main-resource writes).
    pub status_subresource: bool,
    /// Whether pods/log is served.
    pub log_subresource: bool,
    /// Whether `/scale` is served (`kubectl scale`): workloads with `spec.replicas`.
    pub scale_subresource: bool,
    /// CRD printer columns, empty for built-ins.
    pub printer_columns: Vec<PrinterColumn>,
    /// True for types defined by a CRD (these get JSON merge patch, not strategic).
    pub custom: bool,
}

impl ResourceType {
    /// `group/version`, or just `version` for core.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The stored apiVersion (storage version).
    pub fn storage_api_version(&self) -> String {
        if self.group.is_empty() {
            self.storage_version.clone()
        } else {
            format!("{}/{}", self.group, self.storage_version)
        }
    }

    /// `plural` or `plural.group`, the wording of error messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The storage key shared by every version of the type.
    pub fn key(&self) -> (String, String) {
        (self.group.clone(), self.plural.clone())
    }
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const NS_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

struct Builtin {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    status: bool,
    all: bool,
}

// A positional constructor keeps the BUILTINS table one line per type.
#[allow(clippy::too_many_arguments)]
const fn b(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    status: bool,
    all: bool,
) -> Builtin {
    Builtin {
        group,
        version,
        kind,
        plural,
        namespaced,
        short,
        status,
        all,
    }
}

const BUILTINS: &[Builtin] = &[
    b(
        "",
        "v1",
        "Namespace",
        "namespaces",
        false,
        &["ns"],
        true,
        false,
    ),
    b("", "v1", "Pod", "pods", true, &["po"], true, true),
    b("", "v1", "Service", "services", true, &["svc"], true, true),
    b(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        true,
        &["cm"],
        false,
        false,
    ),
    b("", "v1", "Secret", "secrets", true, &[], false, false),
    b(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        true,
        &["sa"],
        false,
        false,
    ),
    b("", "v1", "Node", "nodes", false, &["no"], true, false),
    b("", "v1", "Event", "events", true, &["ev"], false, false),
    b(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        true,
        &["deploy"],
        true,
        true,
    ),
    b(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        true,
        &["rs"],
        true,
        true,
    ),
    b(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        true,
        &["sts"],
        true,
        true,
    ),
    b(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        true,
        &["ds"],
        true,
        true,
    ),
    b("batch", "v1", "Job", "jobs", true, &[], true, true),
    b(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        true,
        &["cj"],
        true,
        true,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        true,
        &[],
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
        &[],
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
        &[],
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
        &[],
        false,
        false,
    ),
    b(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        true,
        &[],
        false,
        false,
    ),
    b(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
        &["crd", "crds"],
        true,
        false,
    ),
];

/// All served types, rebuilt whenever a CRD changes.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    by_gvr: BTreeMap<(String, String, String), Arc<ResourceType>>,
    /// Group → versions in preference order (first is preferred).
    groups: BTreeMap<String, Vec<String>>,
}

impl Registry {
    /// The built-in types only.
    pub fn builtin() -> Self {
        let mut r = Self::default();
        for bi in BUILTINS {
            r.insert(ResourceType {
                group: bi.group.into(),
                version: bi.version.into(),
                storage_version: bi.version.into(),
                kind: bi.kind.into(),
                list_kind: format!("{}List", bi.kind),
                plural: bi.plural.into(),
                singular: bi.kind.to_ascii_lowercase(),
                namespaced: bi.namespaced,
                short_names: bi.short.iter().map(|s| s.to_string()).collect(),
                categories: if bi.all {
                    vec!["all".into()]
                } else {
                    Vec::new()
                },
                verbs: if bi.plural == "namespaces" {
                    NS_VERBS.to_vec()
                } else {
                    ALL_VERBS.to_vec()
                },
                status_subresource: bi.status,
                log_subresource: bi.plural == "pods",
                scale_subresource: matches!(
                    bi.plural,
                    "deployments" | "replicasets" | "statefulsets"
                ),
                printer_columns: Vec::new(),
                custom: false,
            });
        }
        r
    }

    fn insert(&mut self, rt: ResourceType) {
        let versions = self.groups.entry(rt.group.clone()).or_default();
        if !versions.contains(&rt.version) {
            versions.push(rt.version.clone());
        }
        self.by_gvr.insert(
            (rt.group.clone(), rt.version.clone(), rt.plural.clone()),
            Arc::new(rt),
        );
    }

    /// Rebuilds the registry from the built-ins plus the given CRD objects. CRDs whose
    /// names clash with a built-in are skipped so they cannot shadow core types.
    pub fn with_crds<'a>(crds: impl Iterator<Item = &'a Value>) -> Self {
        let mut r = Self::builtin();
        for crd in crds {
            if crd
                .pointer("/metadata/deletionTimestamp")
                .is_some_and(|v| !v.is_null())
            {
                continue;
            }
            for rt in types_from_crd(crd) {
                if r.get(&rt.group, &rt.version, &rt.plural)
                    .is_some_and(|e| !e.custom)
                {
                    continue;
                }
                r.insert(rt);
            }
        }
        r
    }

    /// Looks a type up by its path components.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.by_gvr
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .cloned()
    }

    /// Finds the type for an apiVersion + kind (used for owner references and state loading).
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<Arc<ResourceType>> {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        self.by_gvr
            .values()
            .find(|rt| rt.group == group && rt.version == version && rt.kind == kind)
            .cloned()
    }

    /// Whether a group/version is served at all.
    pub fn has_group_version(&self, group: &str, version: &str) -> bool {
        self.groups
            .get(group)
            .is_some_and(|v| v.iter().any(|x| x == version))
    }

    /// Groups and their versions, preferred first; core ("") included.
    pub fn groups(&self) -> &BTreeMap<String, Vec<String>> {
        &self.groups
    }

    /// Types served under one group/version.
    pub fn types_in(&self, group: &str, version: &str) -> Vec<Arc<ResourceType>> {
        self.by_gvr
            .values()
            .filter(|rt| rt.group == group && rt.version == version)
            .cloned()
            .collect()
    }

    /// Every served type (all versions).
    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.by_gvr.values()
    }
}

fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The served types a CRD object defines (one per served version).
pub fn types_from_crd(crd: &Value) -> Vec<ResourceType> {
    let spec = match crd.get("spec") {
        Some(s) => s,
        None => return Vec::new(),
    };
    let s = |p: &str| {
        spec.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let group = s("/group");
    let plural = s("/names/plural");
    let kind = s("/names/kind");
    if group.is_empty() || plural.is_empty() || kind.is_empty() {
        return Vec::new();
    }
    let singular = match s("/names/singular") {
        x if x.is_empty() => kind.to_ascii_lowercase(),
        x => x,
    };
    let list_kind = match s("/names/listKind") {
        x if x.is_empty() => format!("{kind}List"),
        x => x,
    };
    let namespaced = s("/scope") != "Cluster";
    let versions = spec
        .get("versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let storage_version = versions
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .or_else(|| versions.first())
        .and_then(|v| v.get("name").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(true))
        .filter_map(|v| {
            let version = v.get("name").and_then(Value::as_str)?.to_string();
            let printer_columns = v
                .get("additionalPrinterColumns")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|c| {
                    let cs = |k: &str| {
                        c.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    };
                    PrinterColumn {
                        name: cs("name"),
                        type_: cs("type"),
                        format: cs("format"),
                        description: cs("description"),
                        priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                        json_path: cs("jsonPath"),
                    }
                })
                .collect();
            Some(ResourceType {
                group: group.clone(),
                version,
                storage_version: storage_version.clone(),
                kind: kind.clone(),
                list_kind: list_kind.clone(),
                plural: plural.clone(),
                singular: singular.clone(),
                namespaced,
                short_names: strs(spec.pointer("/names/shortNames")),
                categories: strs(spec.pointer("/names/categories")),
                verbs: ALL_VERBS.to_vec(),
                status_subresource: v.pointer("/subresources/status").is_some(),
                log_subresource: false,
                scale_subresource: false,
                printer_columns,
                custom: true,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtins_have_real_names() {
        let r = Registry::builtin();
        let d = r.get("apps", "v1", "deployments").unwrap();
        assert_eq!(d.kind, "Deployment");
        assert_eq!(d.short_names, vec!["deploy"]);
        assert!(d.namespaced);
        assert!(!r.get("", "v1", "nodes").unwrap().namespaced);
        assert_eq!(r.by_kind("batch/v1", "Job").unwrap().plural, "jobs");
    }

    #[test]
    fn crds_add_types_per_served_version() {
        let crd = json!({
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                     "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size", "priority": 1}]},
                    {"name": "v1beta1", "served": true, "storage": false},
                    {"name": "v0", "served": false, "storage": false}]}
        });
        let r = Registry::with_crds(std::iter::once(&crd));
        let w = r.get("example.com", "v1", "widgets").unwrap();
        assert!(w.status_subresource && w.custom);
        assert_eq!(w.printer_columns[0].priority, 1);
        assert_eq!(
            r.get("example.com", "v1beta1", "widgets")
                .unwrap()
                .storage_version,
            "v1"
        );
        assert!(r.get("example.com", "v0", "widgets").is_none());
        assert_eq!(r.groups()["example.com"], vec!["v1", "v1beta1"]);
    }
}
