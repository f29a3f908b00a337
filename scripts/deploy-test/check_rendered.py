#!/usr/bin/env python3
"""Checks on the Helm chart's renderings, for scripts/test-deploy.sh.

  check_rendered.py rendered RENDER_DIR CRD_DIR OPERATOR_HELP APP_VERSION
      RENDER_DIR holds one `helm template` output per scenario (see SCENARIOS below); CRD_DIR is the
      chart's crds/; OPERATOR_HELP the output of `palisade operator --help` (which env vars the
      operator reads).
  check_rendered.py servicemonitor CRD_FILE RENDERED...
      validates every ServiceMonitor in the files against the openAPIV3Schema of CRD_FILE, unknown
      fields rejected (kubernetes-validate has no schema for that kind).
  check_rendered.py values-doc VALUES_YAML README
      checks that the README's values table names every value of values.yaml.
  check_rendered.py env RENDERED
      prints the chart ConfigMap's data as NAME=VALUE lines (for running the operator with it).

Prints one `ok - ...` or `not ok - ...: reason` line per check; exits 1 when any check failed.
Needs PyYAML and jsonschema (both come with kubernetes-validate).
"""

import os
import re
import sys

import yaml

RESULTS = {"ok": 0, "fail": 0}


def check(cond, what, why=""):
    if cond:
        RESULTS["ok"] += 1
        print(f"ok - {what}")
    else:
        RESULTS["fail"] += 1
        print(f"not ok - {what}: {why}" if why else f"not ok - {what}")
    sys.stdout.flush()
    return cond


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name=None):
    return [d for d in docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs, kind, name=None):
    found = find(docs, kind, name)
    if len(found) != 1:
        raise AssertionError(f"expected one {kind} {name or ''}, found {len(found)}")
    return found[0]


# Passed on for compatibility with Trivy Operator values files: Palisade scans every workload kind,
# and writes no ExposedSecretReports yet, so there is no exposed-secret info metric to switch on.
IGNORED_ENV = {"OPERATOR_TARGET_WORKLOADS", "OPERATOR_METRICS_EXPOSED_SECRET_INFO_ENABLED"}

EXPECTED_KINDS = {
    "ServiceAccount": 1, "ConfigMap": 1, "ClusterRole": 5, "ClusterRoleBinding": 1, "Role": 1,
    "RoleBinding": 1, "Service": 2, "Deployment": 1, "ServiceMonitor": 1,
}
AGGREGATED = {
    "aggregate-vulnerability-reports-view": "vulnerabilityreports",
    "aggregate-config-audit-reports-view": "configauditreports",
    "aggregate-exposed-secret-reports-view": "exposedsecretreports",
    "aggregate-sbom-reports-view": "sbomreports",
}
SECRET_WRITE = {"create", "update", "patch", "delete"}


def grants(rules, group, resource, verb):
    """Whether any rule grants VERB on GROUP/RESOURCE (ignoring resourceNames limits)."""
    for r in rules or []:
        if (group in r.get("apiGroups", []) or "*" in r.get("apiGroups", [])) and \
                (resource in r.get("resources", []) or "*" in r.get("resources", [])) and \
                (verb in r.get("verbs", []) or "*" in r.get("verbs", [])):
            return True
    return False


def verbs_on(rules, group, resource):
    out = set()
    for r in rules or []:
        if group in r.get("apiGroups", []) and resource in r.get("resources", []):
            out |= set(r.get("verbs", []))
    return out


def all_rules(docs):
    """(object kind/name, rules) of the operator's own roles (the aggregated ones excluded)."""
    return [(f"{d['kind']}/{d['metadata']['name']}", d.get("rules") or [])
            for d in docs if d["kind"] in ("ClusterRole", "Role") and d["metadata"]["name"] not in AGGREGATED]


def operator_roles(docs, fullname="palisade"):
    """The operator's ClusterRole and Role rules; no Role renders when it would be empty."""
    roles = find(docs, "Role", fullname)
    return one(docs, "ClusterRole", fullname).get("rules") or [], (roles[0].get("rules") or []) if roles else []


def config(docs, fullname="palisade"):
    return one(docs, "ConfigMap", f"{fullname}-config")["data"]


def container(dep, name, init=False):
    key = "initContainers" if init else "containers"
    found = [c for c in dep["spec"]["template"]["spec"].get(key, []) if c["name"] == name]
    if len(found) != 1:
        raise AssertionError(f"expected one {key[:-1]} {name}, found {len(found)}")
    return found[0]


def hardened(c):
    sc = c.get("securityContext") or {}
    problems = []
    for k, v in [("runAsNonRoot", True), ("readOnlyRootFilesystem", True), ("allowPrivilegeEscalation", False),
                 ("runAsUser", 65532)]:
        if sc.get(k) != v:
            problems.append(f"{k}={sc.get(k)!r}, want {v!r}")
    if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
        problems.append(f"capabilities.drop={(sc.get('capabilities') or {}).get('drop')!r}, want ['ALL']")
    if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append("seccompProfile is not RuntimeDefault")
    return problems


def common_checks(name, docs, app_version, known_env, crd_names, ns="trivy", fullname="palisade"):
    """What every rendering must satisfy."""
    kinds = {}
    for d in docs:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    for d in docs:
        md = d.get("metadata") or {}
        if d["kind"] in ("ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Namespace"):
            continue
        if d["kind"] == "ServiceMonitor" and name == "extras":
            continue  # serviceMonitor.namespace is set there; checked below
        check(md.get("namespace") == ns, f"[{name}] {d['kind']}/{md.get('name')} is in namespace {ns}",
              f"namespace is {md.get('namespace')!r}")

    dep = one(docs, "Deployment", fullname)
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    check(spec.get("strategy", {}).get("type") == "Recreate", f"[{name}] Deployment strategy is Recreate",
          repr(spec.get("strategy")))
    sel = spec["selector"]["matchLabels"]
    check(sel == {"app.kubernetes.io/name": "palisade", "app.kubernetes.io/instance": "palisade"},
          f"[{name}] Deployment selector is the chart's selector labels", repr(sel))
    tmpl_labels = spec["template"]["metadata"]["labels"]
    check(all(tmpl_labels.get(k) == v for k, v in sel.items()), f"[{name}] pod labels carry the selector labels",
          repr(tmpl_labels))
    op = container(dep, "operator")
    check(op.get("args") == ["operator"], f"[{name}] operator container runs `operator`", repr(op.get("args")))
    check(op["image"] == f"ghcr.io/palisade/palisade:{app_version}" or name == "extras",
          f"[{name}] operator image is ghcr.io/palisade/palisade:{app_version}", op["image"])
    check(op.get("envFrom") == [{"configMapRef": {"name": f"{fullname}-config"}}],
          f"[{name}] operator env comes from ConfigMap {fullname}-config", repr(op.get("envFrom")))
    env = {e["name"]: e for e in op.get("env", [])}
    check(env.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name" and
          env.get("POD_NAMESPACE", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace",
          f"[{name}] POD_NAME and POD_NAMESPACE come from the downward API", repr(env))
    ports = {p["name"]: p["containerPort"] for p in op.get("ports", [])}
    check(ports == {"metrics": 8080, "results": 8081, "probes": 9090}, f"[{name}] container ports metrics 8080, results 8081, probes 9090",
          repr(ports))
    rp, lp = op.get("readinessProbe", {}).get("httpGet", {}), op.get("livenessProbe", {}).get("httpGet", {})
    check(rp == {"path": "/readyz", "port": "probes"} and lp == {"path": "/healthz", "port": "probes"},
          f"[{name}] readiness /readyz and liveness /healthz on the probes port", f"{rp!r} {lp!r}")
    check("checksum/config" in spec["template"]["metadata"].get("annotations", {}),
          f"[{name}] pod template carries checksum/config")
    check(pod.get("serviceAccountName") == fullname, f"[{name}] pod runs as ServiceAccount {fullname}",
          repr(pod.get("serviceAccountName")))
    psc = pod.get("securityContext") or {}
    check(psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
          f"[{name}] pod security context: runAsNonRoot, seccomp RuntimeDefault", repr(psc))

    # The database containers.
    c = "/var/lib/palisade/db/palisade.db"  # the database file
    init = container(dep, "db-init", init=True)
    refresh = container(dep, "db-refresh")
    args = init.get("args", [])
    check(args[:2] == ["db", "build"] and args[-2:] == ["--db", c] and args.count("--osv") >= 1 and
          all(args[i] == "--osv" for i in range(2, len(args) - 2, 2)),
          f"[{name}] db-init runs `palisade db build --osv URL... --db {c}`", repr(args))
    check(refresh.get("args", [])[:-2] == args and refresh["args"][-2] == "--every",
          f"[{name}] db-refresh runs the same build with --every", repr(refresh.get("args")))
    for cont in (op, init, refresh):
        check(cont["image"] == op["image"], f"[{name}] {cont['name']} runs the operator's image", cont["image"])
        problems = hardened(cont)
        check(not problems, f"[{name}] {cont['name']} is hardened (non-root 65532, read-only root, no privilege escalation, drop ALL, seccomp)",
              "; ".join(problems))
        mounts = {m["name"]: m["mountPath"] for m in cont.get("volumeMounts", [])}
        check(mounts.get("db") == "/var/lib/palisade/db", f"[{name}] {cont['name']} mounts the db volume at /var/lib/palisade/db",
              repr(mounts))
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    check("emptyDir" in vols.get("db", {}), f"[{name}] db volume is an emptyDir", repr(vols.get("db")))

    # Configuration.
    data = config(docs, fullname)
    check(all(isinstance(v, str) for v in data.values()), f"[{name}] every ConfigMap value is a string",
          repr({k: v for k, v in data.items() if not isinstance(v, str)}))
    check(data.get("OPERATOR_NAMESPACE") == ns, f"[{name}] OPERATOR_NAMESPACE is {ns}", repr(data.get("OPERATOR_NAMESPACE")))
    check(data.get("OPERATOR_SCANNER_IMAGE") == op["image"], f"[{name}] scan Jobs run the operator's image",
          f"{data.get('OPERATOR_SCANNER_IMAGE')!r} vs {op['image']!r}")
    check(data.get("PALISADE_DB") == c, f"[{name}] PALISADE_DB is {c}", repr(data.get("PALISADE_DB")))
    fixed = {"OPERATOR_METRICS_BIND_ADDRESS": ":8080", "OPERATOR_HEALTH_PROBE_BIND_ADDRESS": ":9090",
             "OPERATOR_RESULTS_BIND_ADDRESS": ":8081"}
    check(all(data.get(k) == v for k, v in fixed.items()), f"[{name}] bind addresses :8080 metrics, :9090 probes, :8081 results",
          repr({k: data.get(k) for k in fixed}))
    unknown = sorted(k for k in data if k not in known_env and k not in IGNORED_ENV)
    check(not unknown, f"[{name}] the operator reads every variable the ConfigMap sets", f"unknown to `palisade operator`: {unknown}")
    for k in ("OPERATOR_LEADER_ELECTION_ENABLED", "OPERATOR_INSTALL_CRDS", "OPERATOR_SCAN_JOBS_IN_SAME_NAMESPACE",
              "OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS", "OPERATOR_METRICS_FINDINGS_ENABLED", "OPERATOR_LOG_DEV_MODE"):
        check(data.get(k) in ("true", "false"), f"[{name}] {k} is true or false", repr(data.get(k)))

    # Services and the ServiceMonitor.
    svc = one(docs, "Service", fullname)
    port = svc["spec"]["ports"]
    check(len(port) == 1 and port[0]["name"] == "metrics" and port[0]["targetPort"] == "metrics",
          f"[{name}] Service {fullname} has port `metrics` targeting the metrics container port", repr(port))
    check(svc["spec"]["selector"] == sel, f"[{name}] Service {fullname} selects the operator pods", repr(svc["spec"]["selector"]))
    results = one(docs, "Service", f"{fullname}-results")
    rport = results["spec"]["ports"]
    check(len(rport) == 1 and rport[0]["port"] == 8081 and rport[0]["targetPort"] == "results",
          f"[{name}] Service {fullname}-results maps 8081 to the results port", repr(rport))
    check(results["spec"].get("clusterIP") != "None", f"[{name}] Service {fullname}-results is not headless")
    check(data.get("OPERATOR_RESULTS_URL") == f"http://{fullname}-results.{ns}.svc:8081",
          f"[{name}] OPERATOR_RESULTS_URL names the results Service", repr(data.get("OPERATOR_RESULTS_URL")))
    leader = data.get("OPERATOR_LEADER_ELECTION_ENABLED") == "true"
    want_sel = dict(sel, **({"palisade.dev/leader": "true"} if leader else {}))
    check(results["spec"]["selector"] == want_sel,
          f"[{name}] results Service selects {'the leader pod' if leader else 'the operator pod'}",
          f"{results['spec']['selector']!r}, want {want_sel!r}")
    for sm in find(docs, "ServiceMonitor"):
        ep = sm["spec"]["endpoints"]
        check(len(ep) == 1 and ep[0].get("port") == "metrics" and ep[0].get("path") == "/metrics" and
              ep[0].get("scheme") == "http", f"[{name}] ServiceMonitor scrapes port metrics, path /metrics, http", repr(ep))
        check(all(svc["metadata"]["labels"].get(k) == v for k, v in sm["spec"]["selector"]["matchLabels"].items()),
              f"[{name}] ServiceMonitor selector matches the metrics Service's labels",
              f"{sm['spec']['selector']!r} vs {svc['metadata']['labels']!r}")
        sm_ns = sm["metadata"]["namespace"]
        if sm_ns != ns:
            check(sm["spec"].get("namespaceSelector", {}).get("matchNames") == [ns],
                  f"[{name}] ServiceMonitor in {sm_ns} looks into namespace {ns}", repr(sm["spec"].get("namespaceSelector")))

    # RBAC: bindings, aggregated roles, and rules that must hold in every mode.
    sa = one(docs, "ServiceAccount", fullname)["metadata"]["name"]
    crb = one(docs, "ClusterRoleBinding", fullname)
    subject = [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]
    check(crb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": fullname} and crb["subjects"] == subject,
          f"[{name}] ClusterRoleBinding binds ClusterRole {fullname} to the ServiceAccount", repr(crb))
    if find(docs, "Role", fullname):
        rb = one(docs, "RoleBinding", fullname)
        check(rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": fullname} and rb["subjects"] == subject,
              f"[{name}] RoleBinding binds Role {fullname} to the ServiceAccount", repr(rb))
        check(bool(one(docs, "Role", fullname).get("rules")), f"[{name}] the Role has rules")
    else:
        check(not find(docs, "RoleBinding"), f"[{name}] no RoleBinding without a Role")
    for role, res in AGGREGATED.items():
        r = one(docs, "ClusterRole", role)
        labels = r["metadata"].get("labels", {})
        agg = [f"rbac.authorization.k8s.io/aggregate-to-{x}" for x in ("view", "edit", "admin", "cluster-reader")]
        check(all(labels.get(a) == "true" for a in agg), f"[{name}] {role} aggregates into view/edit/admin/cluster-reader", repr(labels))
        check(r["rules"] == [{"apiGroups": ["aquasecurity.github.io"], "resources": [res], "verbs": ["get", "list", "watch"]}],
              f"[{name}] {role} is read-only on {res}", repr(r["rules"]))
    cr, role = operator_roles(docs, fullname)
    for obj, rules in all_rules(docs):
        wild = [r for r in rules if "*" in r.get("verbs", []) + r.get("resources", []) + r.get("apiGroups", [])]
        check(not wild, f"[{name}] {obj} has no wildcard", repr(wild))
        check(not (grants(rules, "", "secrets", "list") or grants(rules, "", "secrets", "watch")),
              f"[{name}] {obj} never lists or watches Secrets", repr(rules))
    for res in ("pods", "nodes"):
        check(verbs_on(cr, "", res) >= {"list", "watch"}, f"[{name}] ClusterRole watches {res}", repr(verbs_on(cr, "", res)))
    check(verbs_on(cr, "apps", "replicasets") >= {"list", "watch"}, f"[{name}] ClusterRole watches replicasets")
    check(verbs_on(cr, "batch", "jobs") >= {"list", "watch"}, f"[{name}] ClusterRole watches jobs")
    for res in ("vulnerabilityreports", "sbomreports"):
        v = verbs_on(cr, "aquasecurity.github.io", res)
        check(v >= {"get", "list", "watch", "create", "patch", "delete"}, f"[{name}] ClusterRole writes {res}", repr(v))
    check(grants(cr, "", "events", "create"), f"[{name}] ClusterRole creates Events")
    check(not grants(cr, "", "pods", "patch") and not verbs_on(cr, "coordination.k8s.io", "leases"),
          f"[{name}] no cluster-wide pod patch or Lease access", repr(cr))
    lease_rules = [r for r in role if "coordination.k8s.io" in r.get("apiGroups", [])]
    if data.get("OPERATOR_LEADER_ELECTION_ENABLED") == "true":
        check(grants(role, "", "pods", "patch"), f"[{name}] leader election: the Role patches pods (leader label)", repr(role))
        lease = data["OPERATOR_LEADER_ELECTION_ID"]
        check(lease_rules == [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
                              {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": [lease],
                               "verbs": ["get", "patch"]}],
              f"[{name}] leader election: the Role creates Leases, reads and renews only {lease}", repr(lease_rules))
    else:
        check(not grants(role, "", "pods", "patch") and not lease_rules,
              f"[{name}] one replica: no pod patch and no Lease access", repr(role))
    crd_rules = [r for r in cr if "apiextensions.k8s.io" in r.get("apiGroups", [])]
    if data.get("OPERATOR_INSTALL_CRDS") == "true":
        named = [r for r in crd_rules if r.get("resourceNames")]
        check(grants(cr, "apiextensions.k8s.io", "customresourcedefinitions", "create") and len(named) == 1 and
              sorted(named[0]["resourceNames"]) == sorted(crd_names) and set(named[0]["verbs"]) == {"get", "list", "watch", "patch"},
              f"[{name}] installCrds: create CRDs; get/list/watch/patch only the {len(crd_names)} CRDs in crds/", repr(crd_rules))
    else:
        check(not crd_rules, f"[{name}] no CRD access without operator.installCrds", repr(crd_rules))

    same_ns = data["OPERATOR_SCAN_JOBS_IN_SAME_NAMESPACE"] == "true"
    copies = not same_ns and data["OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS"] == "true"
    if same_ns:
        for obj, rules in all_rules(docs):
            check(not grants(rules, "", "secrets", "get"), f"[{name}] same-namespace mode: {obj} reads no Secret",
                  repr(verbs_on(rules, "", "secrets")))
        check(verbs_on(cr, "batch", "jobs") >= {"create", "delete"}, f"[{name}] same-namespace mode: Jobs created cluster-wide")
        check(verbs_on(cr, "", "secrets") == SECRET_WRITE, f"[{name}] same-namespace mode: only the per-Job Secret is written, cluster-wide",
              repr(verbs_on(cr, "", "secrets")))
        check(not verbs_on(role, "", "secrets") and not verbs_on(role, "batch", "jobs"),
              f"[{name}] same-namespace mode: the Role has no Job or Secret rule", repr(role))
    else:
        check(verbs_on(role, "batch", "jobs") >= {"create", "delete"} and not verbs_on(cr, "batch", "jobs") & {"create", "delete"},
              f"[{name}] scan Jobs created and deleted in the operator namespace only")
        check(verbs_on(role, "", "secrets") == SECRET_WRITE, f"[{name}] Role writes (never reads) the per-Job Secrets",
              repr(verbs_on(role, "", "secrets")))
        cr_secrets = verbs_on(cr, "", "secrets")
        if copies:
            check(cr_secrets == {"get"} and verbs_on(cr, "", "serviceaccounts") == {"get"},
                  f"[{name}] copying pull secrets: get (only) on Secrets and ServiceAccounts cluster-wide",
                  f"secrets {cr_secrets!r}, serviceaccounts {verbs_on(cr, '', 'serviceaccounts')!r}")
        else:
            for obj, rules in all_rules(docs):
                check(not verbs_on(rules, "", "serviceaccounts") and not grants(rules, "", "secrets", "get"),
                      f"[{name}] no pull-secret copying: {obj} reads no Secret or ServiceAccount", repr(rules))
            check(not cr_secrets, f"[{name}] no pull-secret copying: no Secret rule in the ClusterRole", repr(cr_secrets))
    return dep, data


def cmd_rendered(render_dir, crd_dir, help_file, app_version):
    import glob
    import os

    known_env = set(re.findall(r"\[env: ([A-Z0-9_]+)", open(help_file).read()))
    check(len(known_env) > 10, "`palisade operator --help` lists the variables it reads", f"found {sorted(known_env)}")
    crd_names = []
    for path in sorted(glob.glob(os.path.join(crd_dir, "*.yaml"))):
        docs = load(path)
        check(len(docs) == 1 and docs[0]["kind"] == "CustomResourceDefinition" and
              os.path.basename(path) == docs[0]["metadata"]["name"] + ".yaml",
              f"crds/{os.path.basename(path)} holds one CRD named like the file")
        crd_names.append(docs[0]["metadata"]["name"])
    check(len(crd_names) == 12 and all(n.endswith(".aquasecurity.github.io") for n in crd_names),
          "crds/ holds the 12 aquasecurity.github.io CRDs", repr(crd_names))

    r = {n: load(os.path.join(render_dir, n + ".yaml")) for n in SCENARIOS}
    out = {}
    for name, docs in r.items():
        if name == "static":
            continue
        kinds = {}
        for d in docs:
            kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
        want = dict(EXPECTED_KINDS)
        if name == "extras":
            want["ConfigMap"] = 2  # + the Grafana dashboard
        if name.startswith("same-ns"):
            del want["Role"], want["RoleBinding"]  # one replica, Jobs elsewhere: nothing to do in its namespace
        check(kinds == want, f"[{name}] renders exactly {sorted(want.items())}", f"got {sorted(kinds.items())}")
        try:
            out[name] = common_checks(name, docs, app_version, known_env, crd_names)
        except (AssertionError, KeyError, IndexError, TypeError) as e:
            check(False, f"[{name}] structure", f"{type(e).__name__}: {e}")

    def cm(n):
        return out[n][1] if n in out else {}

    def dep(n):
        return out[n][0] if n in out else {"spec": {}}

    # Defaults are the reference users' settings; their anchor-style values file gives the same.
    ref_settings = {"OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT": "3", "OPERATOR_SCAN_JOB_RETRY_AFTER": "30s",
                    "OPERATOR_SCAN_JOB_TIMEOUT": "5m", "OPERATOR_LEADER_ELECTION_ENABLED": "false",
                    "OPERATOR_SCAN_JOBS_IN_SAME_NAMESPACE": "false", "OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS": "true",
                    "OPERATOR_SCANNER_REPORT_TTL": "24h", "OPERATOR_LEADER_ELECTION_ID": "trivyoperator-lock",
                    "OPERATOR_METRICS_FINDINGS_ENABLED": "true", "OPERATOR_METRICS_VULN_ID_ENABLED": "false",
                    "OPERATOR_MAX_REPORT_BYTES": "1048576", "OPERATOR_INSTALL_CRDS": "false"}
    for n in ("default", "reference"):
        got = {k: cm(n).get(k) for k in ref_settings}
        check(got == ref_settings, f"[{n}] settings are the reference users' (3 Jobs, 30s retry, 5m timeout, 1 replica...)",
              f"differs: { {k: v for k, v in got.items() if v != ref_settings[k]} }")
        d = dep(n)
        check(d["spec"].get("replicas") == 1, f"[{n}] 1 replica", repr(d["spec"].get("replicas")))
        try:
            res = container(d, "operator")["resources"]
        except (AssertionError, KeyError) as e:
            res = repr(e)
        check(res == {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
              f"[{n}] operator resources: limits 500m/512Mi, requests 100m/128Mi", repr(res))
    check(r["default"] == r["reference"], "the reference users' values render exactly the defaults")
    check(dep("replicas2")["spec"].get("replicas") == 2 and cm("replicas2").get("OPERATOR_LEADER_ELECTION_ENABLED") == "true",
          "[replicas2] replicaCount=2: 2 replicas, leader election on")
    check(dep("anchor-replicas")["spec"].get("replicas") == 3 and cm("anchor-replicas").get("OPERATOR_LEADER_ELECTION_ENABLED") == "true",
          "[anchor-replicas] operator.replicas=3 wins over replicaCount: 3 replicas, leader election on",
          repr(dep("anchor-replicas")["spec"].get("replicas")))
    ann = lambda n: dep(n)["spec"].get("template", {}).get("metadata", {}).get("annotations", {}).get("checksum/config")
    check(ann("default") and ann("default") != ann("replicas2"), "checksum/config changes when the configuration changes",
          f"{ann('default')} vs {ann('replicas2')}")
    for n in ("same-ns", "same-ns-anchor"):
        check(cm(n).get("OPERATOR_SCAN_JOBS_IN_SAME_NAMESPACE") == "true", f"[{n}] OPERATOR_SCAN_JOBS_IN_SAME_NAMESPACE is true")
    check(r["same-ns"] == r["same-ns-anchor"], "operator.scanJobsInSameNamespace and trivyOperator.scanJobsInSameNamespace render the same")
    check(cm("install-crds").get("OPERATOR_INSTALL_CRDS") == "true", "[install-crds] OPERATOR_INSTALL_CRDS is true")
    check(cm("no-copy").get("OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS") == "false",
          "[no-copy] OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS is false")

    # extras: values beyond the defaults reach the objects.
    e, ed = dep("extras"), cm("extras")
    try:
        pod = e["spec"]["template"]
        op = container(e, "operator")
        check(op["image"] == "registry.example/sec/palisade:9.9.9" and ed.get("OPERATOR_SCANNER_IMAGE") == op["image"],
              "[extras] image.registry/repository/tag build the image of the operator and scan Jobs", op["image"])
        check(ed.get("OPERATOR_TARGET_NAMESPACES") == "apps,web-*" and ed.get("OPERATOR_EXCLUDE_NAMESPACES") == "kube-*"
              and ed.get("OPERATOR_TARGET_WORKLOADS") == "pod,replicaset" and ed.get("OPERATOR_SKIP_RESOURCE_BY_LABELS") == "skip-me"
              and ed.get("OPERATOR_LOG_DEV_MODE") == "true" and ed.get("OPERATOR_SCANNER_REPORT_TTL") == "",
              "[extras] namespaces, workloads, skip labels, dev logs and TTL reach the ConfigMap", repr(ed))
        check(pod["spec"].get("nodeSelector") == {"kubernetes.io/os": "linux"} and pod["spec"].get("priorityClassName") == "high"
              and pod["spec"].get("tolerations") == [{"key": "k", "operator": "Exists"}]
              and pod["spec"].get("imagePullSecrets") == [{"name": "regcred"}],
              "[extras] nodeSelector, priorityClassName, tolerations, imagePullSecrets reach the pod", repr(pod["spec"]))
        check(pod["metadata"]["labels"].get("team") == "sec" and pod["metadata"]["labels"].get("tier") == "ops"
              and pod["metadata"]["annotations"].get("a") == "b",
              "[extras] podLabels, operator.podLabels and podAnnotations reach the pod", repr(pod["metadata"]))
        rf = container(e, "db-refresh")["args"]
        check(rf.count("--osv") == 1 and "/osv/all.zip" in rf and rf[-2:] == ["--every", "6h"],
              "[extras] database.osvSources and refreshInterval reach db-refresh", repr(rf))
        sm = one(r["extras"], "ServiceMonitor")
        ep = sm["spec"]["endpoints"][0]
        check(sm["metadata"]["namespace"] == "monitoring" and sm["metadata"]["labels"].get("release") == "prom"
              and ep.get("interval") == "60s" and ep.get("scrapeTimeout") == "20s" and ep.get("honorLabels") is False,
              "[extras] serviceMonitor namespace, labels, interval, honorLabels, endpointAdditionalProperties", repr(sm))
        svc = one(r["extras"], "Service", "palisade")
        check(svc["spec"].get("clusterIP") is None and svc["spec"]["ports"][0]["port"] == 8080
              and svc["metadata"].get("annotations") == {"x": "y", "scrape": "true"},
              "[extras] service.headless=false, metricsPort, annotations (a boolean value quoted)", repr(svc))
        sa = one(r["extras"], "ServiceAccount")
        check(sa["metadata"].get("annotations") == {"eks.amazonaws.com/role-arn": "arn"}, "[extras] serviceAccount.annotations")
        dash = one(r["extras"], "ConfigMap", "palisade-dashboard")
        import json
        board = json.loads(dash["data"]["palisade.json"])
        exprs = " ".join(t["expr"] for p in board["panels"] for t in p.get("targets", []))
        check(dash["metadata"]["labels"].get("grafana_dashboard") == "1" and "trivy_image_vulnerabilities" in exprs
              and all(m in exprs for m in ("palisade_scan_queue_depth", "palisade_scan_jobs_running",
                                           "palisade_scan_duration_seconds_bucket", "palisade_scan_failures_total",
                                           "palisade_database_age_seconds", "palisade_reconcile_errors_total")),
              "[extras] Grafana dashboard ConfigMap: labelled, valid JSON, vulnerability and health panels")
    except (AssertionError, KeyError, IndexError, TypeError, ValueError) as ex:
        check(False, "[extras] structure", f"{type(ex).__name__}: {ex}")

    # The static manifests: the Namespace, the CRDs, then the default rendering.
    s = r["static"]
    check(s and s[0] == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "trivy"}},
          "[static] begins with the Namespace trivy", repr(s[:1]))
    check(sorted(d["metadata"]["name"] for d in find(s, "CustomResourceDefinition")) == sorted(crd_names),
          "[static] carries the 12 CRDs of crds/")
    rest = [d for d in s if d["kind"] not in ("Namespace", "CustomResourceDefinition")]
    check(rest == r["default"], "[static] the rest is the default rendering")


# Scenario name -> what scripts/test-deploy.sh renders it from (kept here as documentation).
SCENARIOS = {
    "default": "no values",
    "reference": "ci/reference-values.yaml",
    "replicas2": "--set replicaCount=2",
    "anchor-replicas": "--set operator.replicas=3",
    "same-ns": "--set operator.scanJobsInSameNamespace=true",
    "same-ns-anchor": "--set trivyOperator.scanJobsInSameNamespace=true",
    "no-copy": "--set operator.accessGlobalSecretsAndServiceAccount=false",
    "install-crds": "--set operator.installCrds=true",
    "extras": "scripts/deploy-test/extras-values.yaml",
    "static": "deploy/static/palisade.yaml",
}


def to_json_schema(s):
    """A CRD structural schema as JSON Schema, unknown fields rejected (like --strict)."""
    if not isinstance(s, dict):
        return s
    out = {k: v for k, v in s.items() if not k.startswith("x-kubernetes-")}
    if s.get("x-kubernetes-int-or-string"):
        out = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    if "properties" in s:
        out["properties"] = {k: to_json_schema(v) for k, v in s["properties"].items()}
        if not s.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in s:
            out["additionalProperties"] = False
    for k in ("items", "additionalProperties"):
        if isinstance(s.get(k), dict):
            out[k] = to_json_schema(s[k])
    if "anyOf" in s:
        out["anyOf"] = [to_json_schema(x) for x in s["anyOf"]]
    return out


def cmd_servicemonitor(crd_file, files):
    import jsonschema

    crd = load(crd_file)[0]
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    schema = to_json_schema(version["schema"]["openAPIV3Schema"])
    validator = jsonschema.Draft7Validator(schema)
    for f in files:
        sms = [d for d in load(f) if d.get("kind") == "ServiceMonitor"]
        for sm in sms:
            ok_api = sm.get("apiVersion") == "monitoring.coreos.com/v1"
            errors = sorted(validator.iter_errors(sm), key=lambda e: list(e.path))
            check(ok_api and not errors, f"{os.path.basename(f)}: ServiceMonitor/{sm['metadata']['name']} is valid against the ServiceMonitor CRD schema",
                  "; ".join(f"{'.'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors) or sm.get("apiVersion"))


# Sections of values.yaml whose keys are values of their own; any other key is one value (a map
# such as resources or podLabels is given whole).
VALUE_SECTIONS = {"image", "operator", "trivyOperator", "service", "serviceMonitor", "serviceAccount", "rbac",
                  "database", "grafanaDashboard"}


def cmd_values_doc(values_path, readme_path):
    values = yaml.safe_load(open(values_path))
    readme = open(readme_path).read()
    paths = []
    for k, v in values.items():
        if k in VALUE_SECTIONS and isinstance(v, dict):
            paths += [f"{k}.{sub}" for sub in v]
        else:
            paths.append(k)
    # Documented in values.yaml as a comment: set only by Trivy Operator users.
    paths.append("operator.replicas")
    check(len(paths) > 50, f"values.yaml has its {len(paths)} values", repr(paths))
    for p in paths:
        check(f"| `{p}` |" in readme, f"README's values table documents `{p}`")


def cmd_env(path):
    docs = load(path)
    cms = [d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"]["name"].endswith("-config")]
    if len(cms) != 1:
        sys.exit(f"expected one *-config ConfigMap in {path}, found {len(cms)}")
    for k, v in cms[0]["data"].items():
        print(f"{k}={v}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "rendered" and len(args) == 4:
        cmd_rendered(*args)
    elif cmd == "servicemonitor" and len(args) >= 2:
        cmd_servicemonitor(args[0], args[1:])
    elif cmd == "values-doc" and len(args) == 2:
        cmd_values_doc(*args)
    elif cmd == "env" and len(args) == 1:
        cmd_env(args[0])
        return
    else:
        sys.exit(__doc__)
    print(f"# {RESULTS['ok']} passed, {RESULTS['fail']} failed")
    sys.exit(1 if RESULTS["fail"] else 0)


if __name__ == "__main__":
    main()
