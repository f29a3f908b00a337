//! `Table` output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which is what
//! `kubectl get` prints. kubectl prints cells verbatim, so the columns and the way each
//! cell is worded (READY `1/1`, AGE `5m`) are computed here, like the real server does.

use serde_json::{Value, json};

use crate::resources::{PrinterColumn, ResourceType};
use crate::time::{age_of, human_duration, now_secs, parse_rfc3339};

struct Col {
    name: &'static str,
    type_: &'static str,
    priority: i64,
}

const fn c(name: &'static str, type_: &'static str, priority: i64) -> Col {
    Col {
        name,
        type_,
        priority,
    }
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

fn n(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

fn none_if_empty(x: String) -> Value {
    if x.is_empty() {
        json!("<none>")
    } else {
        json!(x)
    }
}

fn age(obj: &Value) -> Value {
    json!(age_of(
        obj.pointer("/metadata/creationTimestamp")
            .and_then(Value::as_str)
    ))
}

fn arr<'a>(v: &'a Value, ptr: &str) -> &'a [Value] {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn containers_images(obj: &Value, spec_ptr: &str) -> (Value, Value) {
    let cs = arr(obj, &format!("{spec_ptr}/containers"));
    let names: Vec<&str> = cs.iter().map(|c| s(c, "/name")).collect();
    let images: Vec<&str> = cs.iter().map(|c| s(c, "/image")).collect();
    (json!(names.join(",")), json!(images.join(",")))
}

/// `metav1.FormatLabelSelector`: `app=web,tier in (a,b)`, or `<none>`.
fn format_selector(sel: Option<&Value>) -> Value {
    let Some(sel) = sel else {
        return json!("<none>");
    };
    let mut parts: Vec<String> = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    for e in arr(sel, "/matchExpressions") {
        let vals: Vec<&str> = arr(e, "/values").iter().filter_map(Value::as_str).collect();
        let key = s(e, "/key");
        parts.push(match s(e, "/operator") {
            "In" => format!("{key} in ({})", vals.join(",")),
            "NotIn" => format!("{key} notin ({})", vals.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => String::new(),
        });
    }
    none_if_empty(parts.join(","))
}

fn map_selector(m: Option<&Value>) -> Value {
    let parts: Vec<String> = m
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    none_if_empty(parts.join(","))
}

/// The pod STATUS column, following kubectl's printer: container waiting/terminated
/// reasons win over the phase, and a deleting pod is `Terminating`.
pub fn pod_status(pod: &Value) -> (String, i64, i64, i64) {
    let mut reason = s(pod, "/status/reason").to_string();
    if reason.is_empty() {
        reason = s(pod, "/status/phase").to_string();
    }
    let total = arr(pod, "/spec/containers").len() as i64;
    let mut ready = 0;
    let mut restarts = 0;
    let mut running = false;
    for cs in arr(pod, "/status/containerStatuses").iter().rev() {
        restarts += n(cs, "/restartCount");
        let waiting = s(cs, "/state/waiting/reason");
        let term = cs.pointer("/state/terminated");
        if !waiting.is_empty() {
            reason = waiting.to_string();
        } else if let Some(t) = term {
            let r = s(t, "/reason");
            reason = if !r.is_empty() {
                r.to_string()
            } else if n(t, "/signal") != 0 {
                format!("Signal:{}", n(t, "/signal"))
            } else {
                format!("ExitCode:{}", n(t, "/exitCode"))
            };
        } else if cs.get("ready").and_then(Value::as_bool) == Some(true)
            && cs.pointer("/state/running").is_some()
        {
            running = true;
            ready += 1;
        }
    }
    if reason == "Completed" && running {
        reason = "Running".into();
    }
    if pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        reason = "Terminating".into();
    }
    (reason, ready, total, restarts)
}

fn job_status(job: &Value) -> &'static str {
    let cond_true = |t: &str| {
        arr(job, "/status/conditions")
            .iter()
            .any(|c| s(c, "/type") == t && s(c, "/status") == "True")
    };
    if cond_true("Complete") {
        "Complete"
    } else if cond_true("Failed") {
        "Failed"
    } else if job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        "Suspended"
    } else if cond_true("FailureTarget") {
        "FailureTarget"
    } else if cond_true("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    }
}

/// Cells after the name column, for one object.
type CellFn = fn(&Value) -> Vec<Value>;

/// All cells of a row, for one object.
type RowFn<'a> = Box<dyn Fn(&Value) -> Vec<Value> + 'a>;

fn builtin(rt: &ResourceType) -> Option<(Vec<Col>, CellFn)> {
    let k = (rt.group.as_str(), rt.plural.as_str());
    Some(match k {
        ("", "pods") => (
            vec![
                c("Name", "string", 0),
                c("Ready", "string", 0),
                c("Status", "string", 0),
                c("Restarts", "string", 0),
                c("Age", "string", 0),
                c("IP", "string", 1),
                c("Node", "string", 1),
                c("Nominated Node", "string", 1),
                c("Readiness Gates", "string", 1),
            ],
            |o| {
                let (status, ready, total, restarts) = pod_status(o);
                vec![
                    json!(format!("{ready}/{total}")),
                    json!(status),
                    json!(restarts.to_string()),
                    age(o),
                    none_if_empty(s(o, "/status/podIP").into()),
                    none_if_empty(s(o, "/spec/nodeName").into()),
                    json!("<none>"),
                    json!("<none>"),
                ]
            },
        ),
        ("", "namespaces") => (
            vec![
                c("Name", "string", 0),
                c("Status", "string", 0),
                c("Age", "string", 0),
            ],
            |o| vec![json!(s(o, "/status/phase")), age(o)],
        ),
        ("", "configmaps") => (
            vec![
                c("Name", "string", 0),
                c("Data", "string", 0),
                c("Age", "string", 0),
            ],
            |o| {
                let count = |p: &str| {
                    o.pointer(p)
                        .and_then(Value::as_object)
                        .map_or(0, |m| m.len())
                };
                vec![json!(count("/data") + count("/binaryData")), age(o)]
            },
        ),
        ("", "secrets") => (
            vec![
                c("Name", "string", 0),
                c("Type", "string", 0),
                c("Data", "string", 0),
                c("Age", "string", 0),
            ],
            |o| {
                let count = |p: &str| {
                    o.pointer(p)
                        .and_then(Value::as_object)
                        .map_or(0, |m| m.len())
                };
                vec![
                    json!(s(o, "/type")),
                    json!(count("/data") + count("/stringData")),
                    age(o),
                ]
            },
        ),
        ("", "serviceaccounts") => (
            vec![
                c("Name", "string", 0),
                c("Secrets", "string", 0),
                c("Age", "string", 0),
            ],
            |o| vec![json!(arr(o, "/secrets").len()), age(o)],
        ),
        ("", "services") => (
            vec![
                c("Name", "string", 0),
                c("Type", "string", 0),
                c("Cluster-IP", "string", 0),
                c("External-IP", "string", 0),
                c("Port(s)", "string", 0),
                c("Age", "string", 0),
                c("Selector", "string", 1),
            ],
            |o| {
                let ports: Vec<String> = arr(o, "/spec/ports")
                    .iter()
                    .map(|p| {
                        let proto = match s(p, "/protocol") {
                            "" => "TCP",
                            x => x,
                        };
                        match p.get("nodePort").and_then(Value::as_i64) {
                            Some(np) => format!("{}:{np}/{proto}", n(p, "/port")),
                            None => format!("{}/{proto}", n(p, "/port")),
                        }
                    })
                    .collect();
                let ty = match s(o, "/spec/type") {
                    "" => "ClusterIP",
                    x => x,
                };
                vec![
                    json!(ty),
                    none_if_empty(s(o, "/spec/clusterIP").into()),
                    json!("<none>"),
                    none_if_empty(ports.join(",")),
                    age(o),
                    map_selector(o.pointer("/spec/selector")),
                ]
            },
        ),
        ("", "nodes") => (
            vec![
                c("Name", "string", 0),
                c("Status", "string", 0),
                c("Roles", "string", 0),
                c("Age", "string", 0),
                c("Version", "string", 0),
                c("Internal-IP", "string", 1),
                c("External-IP", "string", 1),
                c("OS-Image", "string", 1),
                c("Kernel-Version", "string", 1),
                c("Container-Runtime", "string", 1),
            ],
            |o| {
                let ready = arr(o, "/status/conditions")
                    .iter()
                    .any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True");
                let mut status = if ready {
                    "Ready".to_string()
                } else {
                    "NotReady".to_string()
                };
                if o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
                    status.push_str(",SchedulingDisabled");
                }
                let roles: Vec<&str> = o
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
                    .collect();
                let addr = |t: &str| {
                    arr(o, "/status/addresses")
                        .iter()
                        .find(|a| s(a, "/type") == t)
                        .map(|a| s(a, "/address").to_string())
                        .unwrap_or_default()
                };
                vec![
                    json!(status),
                    none_if_empty(roles.join(",")),
                    age(o),
                    json!(s(o, "/status/nodeInfo/kubeletVersion")),
                    none_if_empty(addr("InternalIP")),
                    none_if_empty(addr("ExternalIP")),
                    json!(s(o, "/status/nodeInfo/osImage")),
                    json!(s(o, "/status/nodeInfo/kernelVersion")),
                    json!(s(o, "/status/nodeInfo/containerRuntimeVersion")),
                ]
            },
        ),
        ("", "events") => (
            vec![
                c("Last Seen", "string", 0),
                c("Type", "string", 0),
                c("Reason", "string", 0),
                c("Object", "string", 0),
                c("Message", "string", 0),
                c("Subobject", "string", 1),
                c("Source", "string", 1),
                c("First Seen", "string", 1),
                c("Count", "string", 1),
                c("Name", "string", 1),
            ],
            |o| {
                let last = [
                    "/lastTimestamp",
                    "/eventTime",
                    "/firstTimestamp",
                    "/metadata/creationTimestamp",
                ]
                .iter()
                .find_map(|p| {
                    o.pointer(p)
                        .and_then(Value::as_str)
                        .filter(|x| !x.is_empty())
                });
                let first = [
                    "/firstTimestamp",
                    "/eventTime",
                    "/metadata/creationTimestamp",
                ]
                .iter()
                .find_map(|p| {
                    o.pointer(p)
                        .and_then(Value::as_str)
                        .filter(|x| !x.is_empty())
                });
                let object = format!(
                    "{}/{}",
                    s(o, "/involvedObject/kind").to_ascii_lowercase(),
                    s(o, "/involvedObject/name")
                );
                let source = match s(o, "/source/component") {
                    "" => s(o, "/reportingComponent"),
                    x => x,
                };
                vec![
                    json!(age_of(last)),
                    json!(s(o, "/type")),
                    json!(s(o, "/reason")),
                    json!(object),
                    json!(s(o, "/message")),
                    json!(s(o, "/involvedObject/fieldPath")),
                    json!(source),
                    json!(age_of(first)),
                    json!(n(o, "/count").max(1)),
                    json!(s(o, "/metadata/name")),
                ]
            },
        ),
        ("apps", "deployments") => (
            vec![
                c("Name", "string", 0),
                c("Ready", "string", 0),
                c("Up-to-date", "string", 0),
                c("Available", "string", 0),
                c("Age", "string", 0),
                c("Containers", "string", 1),
                c("Images", "string", 1),
                c("Selector", "string", 1),
            ],
            |o| {
                let (cs, is) = containers_images(o, "/spec/template/spec");
                vec![
                    json!(format!(
                        "{}/{}",
                        n(o, "/status/readyReplicas"),
                        o.pointer("/spec/replicas")
                            .and_then(Value::as_i64)
                            .unwrap_or(1)
                    )),
                    json!(n(o, "/status/updatedReplicas")),
                    json!(n(o, "/status/availableReplicas")),
                    age(o),
                    cs,
                    is,
                    format_selector(o.pointer("/spec/selector")),
                ]
            },
        ),
        ("apps", "replicasets") => (
            vec![
                c("Name", "string", 0),
                c("Desired", "integer", 0),
                c("Current", "integer", 0),
                c("Ready", "integer", 0),
                c("Age", "string", 0),
                c("Containers", "string", 1),
                c("Images", "string", 1),
                c("Selector", "string", 1),
            ],
            |o| {
                let (cs, is) = containers_images(o, "/spec/template/spec");
                vec![
                    json!(
                        o.pointer("/spec/replicas")
                            .and_then(Value::as_i64)
                            .unwrap_or(1)
                    ),
                    json!(n(o, "/status/replicas")),
                    json!(n(o, "/status/readyReplicas")),
                    age(o),
                    cs,
                    is,
                    format_selector(o.pointer("/spec/selector")),
                ]
            },
        ),
        ("apps", "statefulsets") => (
            vec![
                c("Name", "string", 0),
                c("Ready", "string", 0),
                c("Age", "string", 0),
                c("Containers", "string", 1),
                c("Images", "string", 1),
            ],
            |o| {
                let (cs, is) = containers_images(o, "/spec/template/spec");
                vec![
                    json!(format!(
                        "{}/{}",
                        n(o, "/status/readyReplicas"),
                        o.pointer("/spec/replicas")
                            .and_then(Value::as_i64)
                            .unwrap_or(1)
                    )),
                    age(o),
                    cs,
                    is,
                ]
            },
        ),
        ("apps", "daemonsets") => (
            vec![
                c("Name", "string", 0),
                c("Desired", "integer", 0),
                c("Current", "integer", 0),
                c("Ready", "integer", 0),
                c("Up-to-date", "integer", 0),
                c("Available", "integer", 0),
                c("Node Selector", "string", 0),
                c("Age", "string", 0),
                c("Containers", "string", 1),
                c("Images", "string", 1),
                c("Selector", "string", 1),
            ],
            |o| {
                let (cs, is) = containers_images(o, "/spec/template/spec");
                vec![
                    json!(n(o, "/status/desiredNumberScheduled")),
                    json!(n(o, "/status/currentNumberScheduled")),
                    json!(n(o, "/status/numberReady")),
                    json!(n(o, "/status/updatedNumberScheduled")),
                    json!(n(o, "/status/numberAvailable")),
                    map_selector(o.pointer("/spec/template/spec/nodeSelector")),
                    age(o),
                    cs,
                    is,
                    format_selector(o.pointer("/spec/selector")),
                ]
            },
        ),
        ("batch", "jobs") => (
            vec![
                c("Name", "string", 0),
                c("Status", "string", 0),
                c("Completions", "string", 0),
                c("Duration", "string", 0),
                c("Age", "string", 0),
                c("Containers", "string", 1),
                c("Images", "string", 1),
                c("Selector", "string", 1),
            ],
            |o| {
                let succeeded = n(o, "/status/succeeded");
                let completions = match o.pointer("/spec/completions").and_then(Value::as_i64) {
                    Some(cn) => format!("{succeeded}/{cn}"),
                    None => match o.pointer("/spec/parallelism").and_then(Value::as_i64) {
                        Some(p) if p > 1 => format!("{succeeded}/1 of {p}"),
                        _ => format!("{succeeded}/1"),
                    },
                };
                let start = o
                    .pointer("/status/startTime")
                    .and_then(Value::as_str)
                    .and_then(parse_rfc3339);
                let end = o
                    .pointer("/status/completionTime")
                    .and_then(Value::as_str)
                    .and_then(parse_rfc3339);
                let duration = match (start, end) {
                    (Some(a), Some(b)) => human_duration(b - a),
                    (Some(a), None) => human_duration(now_secs() - a),
                    _ => String::new(),
                };
                let (cs, is) = containers_images(o, "/spec/template/spec");
                vec![
                    json!(job_status(o)),
                    json!(completions),
                    json!(duration),
                    age(o),
                    cs,
                    is,
                    format_selector(o.pointer("/spec/selector")),
                ]
            },
        ),
        ("batch", "cronjobs") => (
            vec![
                c("Name", "string", 0),
                c("Schedule", "string", 0),
                c("Timezone", "string", 0),
                c("Suspend", "boolean", 0),
                c("Active", "integer", 0),
                c("Last Schedule", "string", 0),
                c("Age", "string", 0),
                c("Containers", "string", 1),
                c("Images", "string", 1),
                c("Selector", "string", 1),
            ],
            |o| {
                let last = o
                    .pointer("/status/lastScheduleTime")
                    .and_then(Value::as_str);
                let (cs, is) = containers_images(o, "/spec/jobTemplate/spec/template/spec");
                vec![
                    json!(s(o, "/spec/schedule")),
                    none_if_empty(s(o, "/spec/timeZone").into()),
                    json!(
                        if o.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
                            "True"
                        } else {
                            "False"
                        }
                    ),
                    json!(arr(o, "/status/active").len()),
                    json!(last.map_or("<none>".to_string(), |l| age_of(Some(l)))),
                    age(o),
                    cs,
                    is,
                    format_selector(o.pointer("/spec/jobTemplate/spec/selector")),
                ]
            },
        ),
        ("rbac.authorization.k8s.io", "roles" | "clusterroles")
        | ("apiextensions.k8s.io", "customresourcedefinitions") => (
            vec![c("Name", "string", 0), c("Created At", "date", 0)],
            |o| vec![json!(s(o, "/metadata/creationTimestamp"))],
        ),
        ("rbac.authorization.k8s.io", "rolebindings" | "clusterrolebindings") => (
            vec![
                c("Name", "string", 0),
                c("Role", "string", 0),
                c("Age", "string", 0),
                c("Users", "string", 1),
                c("Groups", "string", 1),
                c("ServiceAccounts", "string", 1),
            ],
            |o| {
                let subjects = |kind: &str| -> Value {
                    let v: Vec<String> = arr(o, "/subjects")
                        .iter()
                        .filter(|x| s(x, "/kind") == kind)
                        .map(|x| {
                            if kind == "ServiceAccount" {
                                format!("{}/{}", s(x, "/namespace"), s(x, "/name"))
                            } else {
                                s(x, "/name").to_string()
                            }
                        })
                        .collect();
                    json!(v.join(", "))
                };
                vec![
                    json!(format!(
                        "{}/{}",
                        s(o, "/roleRef/kind"),
                        s(o, "/roleRef/name")
                    )),
                    age(o),
                    subjects("User"),
                    subjects("Group"),
                    subjects("ServiceAccount"),
                ]
            },
        ),
        ("coordination.k8s.io", "leases") => (
            vec![
                c("Name", "string", 0),
                c("Holder", "string", 0),
                c("Age", "string", 0),
            ],
            |o| vec![json!(s(o, "/spec/holderIdentity")), age(o)],
        ),
        _ => return None,
    })
}

/// Evaluates the simple JSONPath forms CRDs use: `.a.b`, `.a[0].b`, `.a[*].b` and
/// `.a[?(@.type=="Ready")].status`.
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Vec<&'a Value> {
    let path = path.trim().trim_start_matches('{').trim_end_matches('}');
    let mut cur: Vec<&Value> = vec![obj];
    let mut rest = path.trim_start_matches('$');
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let field = &r[..end];
            if !field.is_empty() {
                cur = cur.into_iter().filter_map(|v| v.get(field)).collect();
            }
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else {
                return Vec::new();
            };
            let sel = &r[..end];
            rest = &r[end + 1..];
            if sel == "*" {
                cur = cur
                    .into_iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .collect();
            } else if let Ok(i) = sel.parse::<i64>() {
                cur = cur
                    .into_iter()
                    .filter_map(|v| {
                        let a = v.as_array()?;
                        let idx = if i < 0 { a.len() as i64 + i } else { i };
                        a.get(usize::try_from(idx).ok()?)
                    })
                    .collect();
            } else if let Some(f) = sel.strip_prefix("?(@.").and_then(|x| x.strip_suffix(')')) {
                let Some((field, want)) = f.split_once("==") else {
                    return Vec::new();
                };
                let want = want.trim().trim_matches(|c| c == '"' || c == '\'');
                let field = field.trim();
                cur = cur
                    .into_iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter(|e| match e.get(field) {
                        Some(Value::String(x)) => x == want,
                        Some(other) => *other == want,
                        None => false,
                    })
                    .collect();
            } else if let Some(key) = sel.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
                cur = cur.into_iter().filter_map(|v| v.get(key)).collect();
            } else {
                return Vec::new();
            }
        } else {
            return Vec::new();
        }
    }
    cur
}

fn printer_cell(obj: &Value, col: &PrinterColumn) -> Value {
    let vals = json_path(obj, &col.json_path);
    let Some(first) = vals.first() else {
        return Value::Null;
    };
    if col.type_ == "date" {
        return match first.as_str().and_then(parse_rfc3339) {
            Some(t) => json!(human_duration(now_secs() - t)),
            None => Value::Null,
        };
    }
    if vals.len() == 1 {
        return match (col.type_.as_str(), first) {
            (_, Value::Object(_) | Value::Array(_)) => json!(first.to_string()),
            _ => (*first).clone(),
        };
    }
    let parts: Vec<String> = vals
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect();
    json!(parts.join(","))
}

/// Which columns and cells a type prints.
fn layout(rt: &ResourceType) -> (Vec<Value>, RowFn<'_>) {
    let def = |name: &str, ty: &str, format: &str, desc: &str, priority: i64| json!({"name": name, "type": ty, "format": format, "description": desc, "priority": priority});
    if let Some((cols, f)) = builtin(rt) {
        let defs = cols
            .iter()
            .map(|c| {
                def(
                    c.name,
                    c.type_,
                    if c.name == "Name" { "name" } else { "" },
                    c.name,
                    c.priority,
                )
            })
            .collect();
        return (
            defs,
            Box::new(move |o: &Value| {
                let mut cells = vec![json!(s(o, "/metadata/name"))];
                cells.extend(f(o));
                cells
            }),
        );
    }
    let name_col = def(
        "Name",
        "string",
        "name",
        "Name must be unique within a namespace.",
        0,
    );
    if rt.printer_columns.is_empty() {
        let defs = vec![
            name_col,
            def(
                "Age",
                "date",
                "",
                "CreationTimestamp is a timestamp representing the server time when this object was created.",
                0,
            ),
        ];
        return (
            defs,
            Box::new(|o: &Value| vec![json!(s(o, "/metadata/name")), age(o)]),
        );
    }
    let mut defs = vec![name_col];
    defs.extend(
        rt.printer_columns
            .iter()
            .map(|c| def(&c.name, &c.type_, &c.format, &c.description, c.priority)),
    );
    (
        defs,
        Box::new(move |o: &Value| {
            let mut cells = vec![json!(s(o, "/metadata/name"))];
            cells.extend(rt.printer_columns.iter().map(|c| printer_cell(o, c)));
            cells
        }),
    )
}

/// How much of each object a row carries (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    /// No object.
    None,
    /// `PartialObjectMetadata` (the default; kubectl reads the namespace from it).
    Metadata,
    /// The full object.
    Object,
}

fn row_object(o: &Value, include: IncludeObject) -> Option<Value> {
    match include {
        IncludeObject::None => None,
        IncludeObject::Object => Some(o.clone()),
        IncludeObject::Metadata => {
            let mut meta = o.get("metadata").cloned().unwrap_or_else(|| json!({}));
            if let Some(m) = meta.as_object_mut() {
                m.remove("managedFields");
            }
            Some(
                json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}),
            )
        }
    }
}

/// Builds a Table for `objects`.
pub fn table(
    rt: &ResourceType,
    objects: &[Value],
    rv: u64,
    continue_token: Option<&str>,
    include: IncludeObject,
    no_headers: bool,
) -> Value {
    let (defs, cells) = layout(rt);
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut row = json!({"cells": cells(o)});
            if let Some(obj) = row_object(o, include) {
                row["object"] = obj;
            }
            row
        })
        .collect();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = continue_token {
        meta["continue"] = json!(c);
    }
    let mut t =
        json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "rows": rows});
    if !no_headers {
        t["columnDefinitions"] = Value::Array(defs);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Registry;

    #[test]
    fn pod_rows_look_like_kubectl() {
        let r = Registry::builtin();
        let rt = r.get("", "v1", "pods").unwrap();
        let pod = json!({"metadata": {"name": "p", "creationTimestamp": crate::time::format_rfc3339(now_secs() - 330)},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 1, "state": {"running": {}}},
                {"name": "b", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 2}}}]}});
        let t = table(&rt, &[pod], 7, None, IncludeObject::Metadata, false);
        assert_eq!(
            t["rows"][0]["cells"],
            json!([
                "p",
                "1/2",
                "ExitCode:2",
                "1",
                "5m30s",
                "<none>",
                "<none>",
                "<none>",
                "<none>"
            ])
        );
        assert_eq!(t["columnDefinitions"][4]["name"], "Age");
        assert_eq!(t["columnDefinitions"][5]["priority"], 1);
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn job_rows_show_status_and_completions() {
        let r = Registry::builtin();
        let rt = r.get("batch", "v1", "jobs").unwrap();
        let job = json!({"metadata": {"name": "j"}, "spec": {"completions": 1},
            "status": {"succeeded": 1, "startTime": "2024-01-01T00:00:00Z", "completionTime": "2024-01-01T00:00:07Z",
                       "conditions": [{"type": "Complete", "status": "True"}]}});
        let t = table(&rt, &[job], 1, None, IncludeObject::None, false);
        assert_eq!(
            t["rows"][0]["cells"].as_array().unwrap()[1..4],
            [json!("Complete"), json!("1/1"), json!("7s")]
        );
    }

    #[test]
    fn json_path_forms() {
        let o = json!({"status": {"conditions": [{"type": "A", "status": "False"}, {"type": "Ready", "status": "True"}], "n": 3}});
        assert_eq!(json_path(&o, ".status.n"), vec![&json!(3)]);
        assert_eq!(
            json_path(&o, ".status.conditions[1].type"),
            vec![&json!("Ready")]
        );
        assert_eq!(
            json_path(&o, ".status.conditions[?(@.type==\"Ready\")].status"),
            vec![&json!("True")]
        );
        assert_eq!(json_path(&o, ".status.conditions[*].type").len(), 2);
        assert!(json_path(&o, ".nope.x").is_empty());
    }
}
