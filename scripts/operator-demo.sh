#!/usr/bin/env bash
# operator-demo.sh - run `palisade operator` on the project's test API server, as in a cluster.
#
# Usage: scripts/operator-demo.sh [DB]      (scripts/demo.sh runs it after building images and a database)
# Starts the local registry (scripts/registry.sh) with the test images, palisade-apiserver (its Job runner runs
# the scan Jobs' image ghcr.io/palisade/palisade:dev as target/release/palisade), applies the CRDs, deploys three
# workloads (two share an image), runs the operator until every workload has its reports, and prints what a
# Trivy Operator user would look at. Everything it started is stopped on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=$ROOT/target/release/palisade
APISERVER=$ROOT/target/release/palisade-apiserver
KUBECTL=${KUBECTL:-/usr/bin/kubectl}
DB=${1:-$ROOT/.work/demo.db}
IMAGES=${PALISADE_TEST_IMAGES_DIR:-$ROOT/.work/images}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "operator-demo: $*" >&2; exit 1; }
[ -x "$BIN" ] && [ -x "$APISERVER" ] || cargo build --release -p palisade -p palisade-apiserver
[ -f "$DB" ] || die "no database at $DB (scripts/demo.sh builds it, or: palisade db build --osv DIR --db $DB)"
[ -f "$IMAGES/images.env" ] || die "no test images in $IMAGES (run scripts/build-test-images.sh as root)"
[ -x "$KUBECTL" ] || die "$KUBECTL is missing (Debian package kubectl)"

WORK=$(mktemp -d)
PIDS=()
STOP_REGISTRY=0
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$STOP_REGISTRY" = 1 ] && scripts/registry.sh stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! scripts/registry.sh status | grep -q 'anon: running'; then
  scripts/registry.sh start >/dev/null
  STOP_REGISTRY=1
fi
scripts/registry.sh push >/dev/null
REG=127.0.0.1:5000

"$APISERVER" --port 0 --kubeconfig "$WORK/kubeconfig" \
  --image "ghcr.io/palisade/palisade:dev=$BIN" --registry "$REG" >"$WORK/apiserver.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG=$WORK/kubeconfig
k() { "$KUBECTL" "$@"; }

say "CRDs (palisade crds | kubectl apply -f -)"
"$BIN" crds >"$WORK/crds.yaml"
k apply -f "$WORK/crds.yaml" >/dev/null
k get crd | grep aquasecurity

say "Workloads: web and api run the same image, batch another"
cat >"$WORK/workloads.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: trivy}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
EOF
for w in web:aged api:aged batch:layers; do
  name=${w%%:*} img=${w#*:}
  cat >>"$WORK/workloads.yaml" <<EOF
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: $name}}
  template:
    metadata: {labels: {app: $name}}
    spec:
      containers:
      - {name: app, image: "$REG/palisade-test/$img:latest"}
EOF
done
k apply -f "$WORK/workloads.yaml"

say "palisade operator (namespace trivy, 3 concurrent scan Jobs, retry 30s, timeout 5m)"
OPERATOR_NAMESPACE=trivy OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT=3 OPERATOR_SCAN_JOB_RETRY_AFTER=30s \
OPERATOR_SCAN_JOB_TIMEOUT=5m OPERATOR_LOG_DEV_MODE=true PALISADE_LOG=info \
  "$BIN" operator --db "$DB" --scanner-image ghcr.io/palisade/palisade:dev \
    --results-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 2>"$WORK/operator.log" &
PIDS+=($!)
START=$(date +%s.%N)
for _ in $(seq 600); do
  n=$(k get vulnerabilityreports -A --no-headers 2>/dev/null | wc -l)
  [ "$n" -ge 3 ] && break
  sleep 0.2
done
[ "$n" -ge 3 ] || { cat "$WORK/operator.log" >&2; die "reports did not appear"; }
printf 'three workloads reported in %.1fs\n' "$(echo "$(date +%s.%N) - $START" | bc)"
grep -E 'scan Job started|scan result received' "$WORK/operator.log" | sed 's/^/  operator: /'

say "kubectl get vulnerabilityreports -A -o wide"
k get vulnerabilityreports -A -o wide
say "kubectl get vulnerabilityreports -A -o custom-columns=..."
k get vulnerabilityreports -A -o custom-columns="NS:.metadata.namespace,NAME:.metadata.name,CRITICAL:.report.summary.criticalCount,HIGH:.report.summary.highCount"
say "kubectl get sbomreports -A"
k get sbomreports -A
say "kubectl get jobs -A (scan Jobs are deleted once their result is in)"
k get jobs -A 2>&1 || true
