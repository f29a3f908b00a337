#!/usr/bin/env bash
# test-deploy.sh - tests of the Helm chart (deploy/helm/palisade), its RBAC and the rendered
# manifests (deploy/static/palisade.yaml). scripts/test.sh runs it after cargo test.
#
# Usage: scripts/test-deploy.sh [--tools-only]
#   --tools-only   install helm (scripts/install-helm.sh, into .work/bin) and kubernetes-validate
#                  (PyPI, into the venv .work/venv-deploy) when missing, then stop (.ci/run does this)
# Steps, each printing `ok - WHAT` or `not ok - WHAT: WHY`:
#   1. chart metadata (appVersion = the Cargo workspace version)
#   2. helm lint, plain and --strict, with default, reference-user and non-default values
#   3. helm template for every scenario (defaults, the reference users' anchor-style values file,
#      2 and 3 replicas, same-namespace mode under both value names, no pull-secret copying,
#      installCrds, every other value set), and the structural and RBAC checks on the renderings
#      (scripts/deploy-test/check_rendered.py), and that the README documents every value
#   4. kubernetes-validate --strict -k 1.32.0 on every rendering; the ServiceMonitor, for which it
#      has no schema, against scripts/deploy-test/servicemonitor-crd.yaml; both validators are first
#      shown to reject a broken object
#   5. scripts/render-manifests.sh --check (checked-in CRDs and static manifests are current)
#   6. palisade-apiserver on loopback: a ServiceMonitor CRD, then the reference rendering with its
#      Namespace and CRDs through kubectl apply; kubectl reads every object back
#   7. palisade operator started with the settings of the applied ConfigMap against that server:
#      it must become ready, and export every palisade_* metric the Grafana dashboard queries
# Ends with `N passed, M failed` and exits 1 when anything failed.
# Env:
#   PALISADE_BIN             palisade binary (default target/release/palisade)
#   PALISADE_APISERVER_BIN   palisade-apiserver binary (default target/release/palisade-apiserver)
#   HELM                     helm binary (default: helm on PATH, else .work/bin/helm, installed if missing)
#   KUBECTL                  kubectl (default kubectl on PATH)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CHART=deploy/helm/palisade
REF_VALUES=$CHART/ci/reference-values.yaml
T=scripts/deploy-test
WORK=$ROOT/.work/deploy-test
VENV=$ROOT/.work/venv-deploy
KV_PIN='kubernetes-validate==1.37.0'
K8S_VERSION=1.32.0
PALISADE_BIN=${PALISADE_BIN:-$ROOT/target/release/palisade}
APISERVER_BIN=${PALISADE_APISERVER_BIN:-$ROOT/target/release/palisade-apiserver}
KUBECTL=${KUBECTL:-kubectl}

PASS=0
FAIL=0
FAILED=()
T_START=$(date +%s)
STEPS=()
say() { printf '[test-deploy %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
ok() { PASS=$((PASS + 1)); printf 'ok - %s\n' "$1"; }
not_ok() { FAIL=$((FAIL + 1)); FAILED+=("$1"); printf 'not ok - %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    | /'; }
# expect WHAT CMD...: CMD must succeed; its output is shown when it does not.
expect() {
  local what=$1 out rc=0; shift
  out=$("$@" 2>&1) || rc=$?
  if [ $rc = 0 ]; then ok "$what"; else not_ok "$what (exit $rc)" "$out"; fi
}
# expect_fail WHAT PATTERN CMD...: CMD must fail and print PATTERN (a negative control).
expect_fail() {
  local what=$1 pattern=$2 out rc=0; shift 2
  out=$("$@" 2>&1) || rc=$?
  if [ $rc != 0 ] && grep -q -- "$pattern" <<<"$out"; then ok "$what"
  else not_ok "$what (exit $rc, wanted a failure mentioning '$pattern')" "$out"; fi
}
# expect_eq WHAT WANT GOT
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "want: $2
got:  $3"; fi
}
# tap_counts OUTPUT: adds the ok/not ok lines of a sub-checker to the totals.
tap_counts() {
  local n
  n=$(grep -c '^ok - ' <<<"$1" || true); PASS=$((PASS + n))
  n=$(grep -c '^not ok - ' <<<"$1" || true); FAIL=$((FAIL + n))
  while IFS= read -r line; do FAILED+=("${line#not ok - }"); done < <(grep '^not ok - ' <<<"$1" || true)
}
step() { STEPS+=("$(printf '%-40s %4ss' "$1" "$(( $(date +%s) - $2 ))")"); printf '\n# ---- %s\n' "$3"; }

# ------------------------------------------------------------------ tools
ensure_tools() {
  if [ -n "${HELM:-}" ]; then
    command -v "$HELM" >/dev/null || die "HELM=$HELM is not an executable"
  elif command -v helm >/dev/null; then
    HELM=$(command -v helm)
  else
    [ -x .work/bin/helm ] || scripts/install-helm.sh "$ROOT/.work/bin"
    HELM=$ROOT/.work/bin/helm
  fi
  export HELM
  if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
    say "installing $KV_PIN into $VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$KV_PIN" || die "pip install $KV_PIN failed"
  fi
  say "helm: $("$HELM" version --short); kubernetes-validate $("$VENV/bin/kubernetes-validate" --version)"
}

ensure_tools
[ "${1:-}" = --tools-only ] && exit 0
[ $# = 0 ] || die "unknown argument '$1' (usage: scripts/test-deploy.sh [--tools-only])"
PY=$VENV/bin/python
command -v "$KUBECTL" >/dev/null || die "kubectl not found (set KUBECTL); .ci/run installs it"
[ -x "$PALISADE_BIN" ] || die "no palisade binary at $PALISADE_BIN: cargo build --release --bin palisade, or set PALISADE_BIN"
[ -x "$APISERVER_BIN" ] || die "no palisade-apiserver binary at $APISERVER_BIN: cargo build --release --bin palisade-apiserver, or set PALISADE_APISERVER_BIN"
export HELM PALISADE_BIN
rm -rf "$WORK"
mkdir -p "$WORK/render"

APISERVER_PID=
OPERATOR_PID=
cleanup() {
  local rc=$?
  [ -z "$OPERATOR_PID" ] || { kill "$OPERATOR_PID" 2>/dev/null || true; wait "$OPERATOR_PID" 2>/dev/null || true; }
  [ -z "$APISERVER_PID" ] || { kill "$APISERVER_PID" 2>/dev/null || true; wait "$APISERVER_PID" 2>/dev/null || true; }
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ 1. chart metadata
t=$(date +%s)
printf '# ---- chart metadata\n'
ws_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' $CHART/Chart.yaml)
expect_eq "Chart appVersion is the Cargo workspace version ($ws_version)" "$ws_version" "$app_version"
expect_eq "Chart name is palisade, apiVersion v2, kubeVersion >=1.25.0-0" "palisade v2 >=1.25.0-0" \
  "$(sed -n 's/^name: //p' $CHART/Chart.yaml) $(sed -n 's/^apiVersion: //p' $CHART/Chart.yaml) $(sed -n 's/^kubeVersion: "\(.*\)"/\1/p' $CHART/Chart.yaml)"
expect_eq "palisade --version matches appVersion" "palisade $app_version" "$("$PALISADE_BIN" --version)"
step "chart metadata" "$t" "helm lint"

# ------------------------------------------------------------------ 2. helm lint
t=$(date +%s)
expect "helm lint (default values)" "$HELM" lint $CHART
expect "helm lint --strict (default values)" "$HELM" lint --strict $CHART
expect "helm lint -f ci/reference-values.yaml" "$HELM" lint $CHART -f $REF_VALUES
expect "helm lint --strict -f ci/reference-values.yaml" "$HELM" lint --strict $CHART -f $REF_VALUES
expect "helm lint --strict with every other value set" "$HELM" lint --strict $CHART -f $T/extras-values.yaml
expect "helm lint --strict, same-namespace mode, 2 replicas, installCrds" "$HELM" lint --strict $CHART \
  --set operator.scanJobsInSameNamespace=true --set replicaCount=2 --set operator.installCrds=true
step "helm lint" "$t" "helm template"

# ------------------------------------------------------------------ 3. helm template + checks
t=$(date +%s)
helm_to() { local out=$1; shift; "$HELM" template palisade $CHART --namespace trivy "$@" >"$out"; }
render() {  # render NAME [ARGS...]
  local name=$1; shift
  expect "helm template palisade $CHART -n trivy ${*:-(defaults)} -> $name" helm_to "$WORK/render/$name.yaml" "$@"
}
render default
render reference -f $REF_VALUES
render replicas2 --set replicaCount=2
render anchor-replicas --set operator.replicas=3
render same-ns --set operator.scanJobsInSameNamespace=true
render same-ns-anchor --set trivyOperator.scanJobsInSameNamespace=true
render no-copy --set operator.accessGlobalSecretsAndServiceAccount=false
render install-crds --set operator.installCrds=true
render extras -f $T/extras-values.yaml
cp deploy/static/palisade.yaml "$WORK/render/static.yaml"
expect_fail "helm template refuses an empty database.osvSources" "database.osvSources must name" \
  "$HELM" template palisade $CHART -n trivy --set database.osvSources=null
expect_fail "helm template refuses a malformed duration (values.schema.json)" "operator.scanJobsRetryDelay: Does not match pattern" \
  "$HELM" template palisade $CHART -n trivy --set operator.scanJobsRetryDelay="30 seconds"
expect_fail "helm template refuses a non-integer scanJobsConcurrentLimit (values.schema.json)" "operator.scanJobsConcurrentLimit" \
  "$HELM" template palisade $CHART -n trivy --set-string operator.scanJobsConcurrentLimit=three
# Trivy Operator keys Palisade has no use for are accepted and change nothing.
helm_to "$WORK/anchor-only-keys.yaml" -f $REF_VALUES --set trivy.ignoreUnfixed=true \
  --set operator.builtInTrivyServer=false --set compliance.cron="0 */6 * * *" --set nodeCollector.useNodeSelector=false \
  || not_ok "helm template with Trivy Operator-only keys"
expect "Trivy Operator-only keys (trivy.*, compliance.*, nodeCollector.*, ...) render the same as without" \
  cmp "$WORK/anchor-only-keys.yaml" "$WORK/render/reference.yaml"
"$PALISADE_BIN" operator --help >"$WORK/operator-help.txt"
out=$("$PY" $T/check_rendered.py rendered "$WORK/render" $CHART/crds "$WORK/operator-help.txt" "$app_version" 2>&1) || true
printf '%s\n' "$out"
tap_counts "$out"
grep -q '^# [0-9]* passed, [0-9]* failed' <<<"$out" || not_ok "check_rendered.py ran to its end" "$out"
out=$("$PY" $T/check_rendered.py values-doc $CHART/values.yaml README.md 2>&1) || true
printf '%s\n' "$out"
tap_counts "$out"
step "helm template + checks" "$t" "kubernetes-validate --strict -k $K8S_VERSION"

# ------------------------------------------------------------------ 4. validation
t=$(date +%s)
# Negative controls first: a validator that cannot fail proves nothing.
sed 's/^  strategy:$/  bogusField: 1\n  strategy:/' "$WORK/render/default.yaml" >"$WORK/broken-deployment.yaml"
expect_fail "control: kubernetes-validate --strict rejects a Deployment with an unknown field" "bogusField" \
  "$VENV/bin/kubernetes-validate" --strict -k $K8S_VERSION --quiet "$WORK/broken-deployment.yaml"
sed 's/^  endpoints:$/  bogusField: 1\n  endpoints:/' "$WORK/render/default.yaml" >"$WORK/broken-servicemonitor.yaml"
expect_fail "control: the ServiceMonitor schema check rejects an unknown field" "bogusField" \
  "$PY" $T/check_rendered.py servicemonitor $T/servicemonitor-crd.yaml "$WORK/broken-servicemonitor.yaml"
# One run over every rendering (loading its schemas takes a second), then each file's verdict.
rc=0
out=$("$VENV/bin/kubernetes-validate" --strict -k $K8S_VERSION "$WORK"/render/*.yaml 2>&1) || rc=$?
[ $rc = 0 ] || not_ok "kubernetes-validate --strict -k $K8S_VERSION exits 0 on the renderings (exit $rc)" "$(grep -v ' passed for resource ' <<<"$out")"
for f in "$WORK"/render/*.yaml; do
  name=$(basename "$f" .yaml)
  mine=$(grep -F "$f " <<<"$out" || true)
  docs=$("$PY" -c 'import sys,yaml; print(sum(1 for d in yaml.safe_load_all(open(sys.argv[1])) if d))' "$f")
  sms=$(grep -c '^kind: ServiceMonitor$' "$f" || true)
  passed=$(grep -c ' passed for resource ' <<<"$mine" || true)
  sm_warn=$(grep -c "WARN .*Couldn't find schema for kind ServiceMonitor with api version monitoring.coreos.com/v1" <<<"$mine" || true)
  other=$(grep -v -e ' passed for resource ' -e "Couldn't find schema for kind ServiceMonitor with api version monitoring.coreos.com/v1" <<<"$mine" || true)
  if [ -z "$other" ] && [ "$passed" = $((docs - sms)) ] && [ "$sm_warn" = "$sms" ]; then
    ok "kubernetes-validate --strict -k $K8S_VERSION $name.yaml: $passed objects pass; $sms ServiceMonitor has no schema there (validated below)"
  else
    not_ok "kubernetes-validate --strict -k $K8S_VERSION $name.yaml ($passed of $((docs - sms)) passed, $sm_warn of $sms ServiceMonitor warnings)" "$mine"
  fi
done
out=$("$PY" $T/check_rendered.py servicemonitor $T/servicemonitor-crd.yaml "$WORK"/render/*.yaml 2>&1) || true
printf '%s\n' "$out"
tap_counts "$out"
[ "$(grep -c '^ok - ' <<<"$out" || true)" -ge 9 ] || not_ok "every rendering's ServiceMonitor was validated" "$out"
step "validation" "$t" "scripts/render-manifests.sh --check"

# ------------------------------------------------------------------ 5. generated files current
t=$(date +%s)
expect "scripts/render-manifests.sh --check: crds/ and deploy/static/palisade.yaml are current" scripts/render-manifests.sh --check
expect_eq "render-manifests.sh --stdout with PALISADE_SKIP_CRDS=true leaves the CRDs out" 0 \
  "$(PALISADE_SKIP_CRDS=true scripts/render-manifests.sh --stdout 2>/dev/null | grep -c '^kind: CustomResourceDefinition' || true)"
expect_eq "render-manifests.sh --stdout with TRIVY_OPERATOR_SKIP_CRDS=true leaves the CRDs out" 0 \
  "$(TRIVY_OPERATOR_SKIP_CRDS=true scripts/render-manifests.sh --stdout 2>/dev/null | grep -c '^kind: CustomResourceDefinition' || true)"
expect_eq "render-manifests.sh --stdout includes the 12 CRDs by default" 12 \
  "$(scripts/render-manifests.sh --stdout 2>/dev/null | grep -c '^kind: CustomResourceDefinition' || true)"
step "generated files" "$t" "kubectl apply to palisade-apiserver"

# ------------------------------------------------------------------ 6. apply to the test API server
t=$(date +%s)
export KUBECONFIG=$WORK/kubeconfig
"$APISERVER_BIN" --port 0 --kubeconfig "$KUBECONFIG" >"$WORK/apiserver.out" 2>"$WORK/apiserver.log" &
APISERVER_PID=$!
for _ in $(seq 50); do
  [ -s "$KUBECONFIG" ] && "$KUBECTL" get namespaces >/dev/null 2>&1 && break
  kill -0 "$APISERVER_PID" 2>/dev/null || break
  sleep 0.2
done
if "$KUBECTL" get namespaces >/dev/null 2>&1; then
  ok "palisade-apiserver serves on $(sed -n 's/^palisade-apiserver listening on //p' "$WORK/apiserver.out")"
else
  not_ok "palisade-apiserver started" "$(cat "$WORK/apiserver.out" "$WORK/apiserver.log" 2>/dev/null)"
fi
{
  printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: trivy\n'
  "$HELM" template palisade $CHART --namespace trivy --include-crds -f $REF_VALUES
} >"$WORK/reference-install.yaml"
expect "kubectl apply the ServiceMonitor CRD" "$KUBECTL" apply -f $T/servicemonitor-crd.yaml
expect "the ServiceMonitor CRD is Established" "$KUBECTL" wait --for condition=established --timeout=20s \
  crd/servicemonitors.monitoring.coreos.com
expect "kubectl apply the reference rendering (Namespace, CRDs, chart)" "$KUBECTL" apply -f "$WORK/reference-install.yaml"
out=$("$KUBECTL" apply -f "$WORK/reference-install.yaml" 2>&1) || true
changed=$(grep -v ' unchanged$' <<<"$out" || true)
if [ -z "$changed" ]; then ok "applying it again changes nothing"; else not_ok "applying it again changes nothing" "$out"; fi
# get KIND NAME [NAMESPACE] JSONPATH WANT
get() {
  local kind=$1 name=$2 ns=$3 path=$4 want=$5 got rc=0
  local nsargs=()
  [ -z "$ns" ] || nsargs=(-n "$ns")
  got=$("$KUBECTL" get "$kind" "$name" "${nsargs[@]}" -o "jsonpath=$path" 2>&1) || rc=$?
  if [ $rc = 0 ] && [ "$got" = "$want" ]; then ok "kubectl get $kind ${ns:+-n $ns }$name: $path = $want"
  else not_ok "kubectl get $kind ${ns:+-n $ns }$name: $path (exit $rc)" "want: $want
got:  $got"; fi
}
get deployment palisade trivy '{.spec.replicas} {.spec.strategy.type} {.spec.template.spec.containers[0].image}' \
  "1 Recreate ghcr.io/palisade/palisade:$app_version"
get deployment palisade trivy '{.spec.template.spec.containers[0].resources.limits.cpu} {.spec.template.spec.containers[0].resources.limits.memory}' "500m 512Mi"
get deployment palisade trivy '{.spec.template.spec.initContainers[0].name} {.spec.template.spec.containers[1].name}' "db-init db-refresh"
get serviceaccount palisade trivy '{.metadata.name}' palisade
get configmap palisade-config trivy '{.data.OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT} {.data.OPERATOR_SCAN_JOB_RETRY_AFTER} {.data.OPERATOR_SCAN_JOB_TIMEOUT}' "3 30s 5m"
get clusterrole palisade '' '{.metadata.name}' palisade
for r in aggregate-vulnerability-reports-view aggregate-config-audit-reports-view aggregate-exposed-secret-reports-view aggregate-sbom-reports-view; do
  get clusterrole $r '' '{.metadata.labels.rbac\.authorization\.k8s\.io/aggregate-to-view}' true
done
get clusterrolebinding palisade '' '{.roleRef.name} {.subjects[0].name} {.subjects[0].namespace}' "palisade palisade trivy"
get role palisade trivy '{.metadata.name}' palisade
get rolebinding palisade trivy '{.roleRef.kind}/{.roleRef.name} {.subjects[0].name}' "Role/palisade palisade"
get service palisade trivy '{.spec.clusterIP} {.spec.ports[0].name} {.spec.ports[0].port}' "None metrics 80"
get service palisade-results trivy '{.spec.ports[0].port} {.spec.ports[0].targetPort}' "8081 results"
get servicemonitor palisade trivy '{.spec.endpoints[0].port} {.spec.endpoints[0].path} {.spec.endpoints[0].honorLabels}' "metrics /metrics true"
crds=$("$KUBECTL" get crd 2>&1 | grep -c 'aquasecurity\.github\.io' || true)
expect_eq "kubectl get crd | grep aquasecurity lists our 12 CRDs" 12 "$crds"
expect "kubectl get vulnerabilityreports -A works (the CRD serves)" "$KUBECTL" get vulnerabilityreports -A
step "apply to palisade-apiserver" "$t" "palisade operator with the applied settings"

# ------------------------------------------------------------------ 7. the operator runs with those settings
t=$(date +%s)
cat >"$WORK/osv.json" <<'EOF'
{"schema_version":"1.6.0","id":"x_PALISADE-DEPLOY-TEST-1","modified":"2025-01-01T00:00:00Z","published":"2025-01-01T00:00:00Z","summary":"deploy test record","affected":[{"package":{"ecosystem":"Debian:12","name":"palisade-deploy-test"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0-1"}]}]}]}
EOF
expect "palisade db build (a one-record database for the operator)" "$PALISADE_BIN" db build --osv "$WORK/osv.json" --db "$WORK/palisade.db"
"$KUBECTL" get configmap palisade-config -n trivy -o yaml >"$WORK/applied-config.yaml"
mapfile -t CONFIG_ENV < <("$PY" $T/check_rendered.py env "$WORK/applied-config.yaml")
read -r p_health p_results p_metrics < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
# The applied settings, with loopback ports and a local database in place of the pod's.
env -i PATH="$PATH" HOME="${HOME:-/tmp}" KUBECONFIG="$KUBECONFIG" "${CONFIG_ENV[@]}" \
  PALISADE_DB="$WORK/palisade.db" POD_NAME=palisade-test POD_NAMESPACE=trivy \
  OPERATOR_HEALTH_PROBE_BIND_ADDRESS="127.0.0.1:$p_health" OPERATOR_RESULTS_BIND_ADDRESS="127.0.0.1:$p_results" \
  OPERATOR_METRICS_BIND_ADDRESS="127.0.0.1:$p_metrics" \
  "$PALISADE_BIN" operator >"$WORK/operator.out" 2>"$WORK/operator.log" &
OPERATOR_PID=$!
ready=
for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$p_health/readyz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$OPERATOR_PID" 2>/dev/null || break
  sleep 0.2
done
if [ -n "$ready" ]; then
  ok "palisade operator started with the applied ConfigMap's ${#CONFIG_ENV[@]} settings is ready (/readyz)"
else
  not_ok "palisade operator with the applied settings became ready within 20 s" "$(tail -20 "$WORK/operator.log")"
fi
expect "operator /healthz answers" curl -fsS "http://127.0.0.1:$p_health/healthz"
start=$(grep -m1 'palisade operator starting' "$WORK/operator.log" || true)
if grep -q '"namespace":"trivy"' <<<"$start" && grep -q '"limit":3' <<<"$start" && grep -q '"retry_after_secs":30' <<<"$start" \
  && grep -q '"timeout_secs":300' <<<"$start"; then
  ok "operator took namespace trivy, 3 Jobs, 30s retry, 5m timeout from the ConfigMap"
else
  not_ok "operator took namespace trivy, 3 Jobs, 30s retry, 5m timeout from the ConfigMap" "${start:-no start line in the log}"
fi
expect "operator serves /metrics on the metrics address" curl -fsS -o "$WORK/metrics.txt" "http://127.0.0.1:$p_metrics/metrics"
expect "/metrics declares trivy_image_vulnerabilities as a gauge (the findings metrics are on)" \
  grep -qx '# TYPE trivy_image_vulnerabilities gauge' "$WORK/metrics.txt"
# The Grafana dashboard must query metrics the operator really exports.
missing=$(grep -o 'palisade_[a-z_]*' $CHART/files/grafana-dashboard.json | sort -u \
  | while read -r m; do grep -q "^${m}[{ ]" "$WORK/metrics.txt" 2>/dev/null || echo "$m"; done)
expect_eq "every palisade_* metric of the Grafana dashboard is exported by the operator" "" "$missing"
kill "$OPERATOR_PID" 2>/dev/null || true
wait "$OPERATOR_PID" 2>/dev/null || true
OPERATOR_PID=
step "operator with the applied settings" "$t" "summary"

# ------------------------------------------------------------------ summary
say "timings:"
for s in "${STEPS[@]}"; do printf '    %s\n' "$s" >&2; done
say "total $(( $(date +%s) - T_START ))s"
if [ $FAIL != 0 ]; then
  printf '\nFailed checks:\n'
  printf '  - %s\n' "${FAILED[@]}"
fi
printf '\n%d passed, %d failed\n' "$PASS" "$FAIL"
[ $FAIL = 0 ]
