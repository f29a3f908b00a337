#!/usr/bin/env bash
# registry.sh - local OCI registries for Palisade's tests (Debian's docker-registry, no daemon needed).
#
# Usage: scripts/registry.sh start|stop|status|push [OUTDIR]
#   start   127.0.0.1:5000 anonymous, 127.0.0.1:5001 htpasswd (bcrypt) user palisade / palisade-test;
#           waits until /v2/ answers on both. Writes .work/registry/auth.json (docker config.json format).
#   stop    kills both registries by their pid files
#   status  prints what is running
#   push    copies every OCI layout in OUTDIR/oci (default .work/images/oci) to both registries as
#           127.0.0.1:500X/palisade-test/<name>:latest (multiarch with --all, keeping the index)
# Env: REGISTRY_DIR (default <repo>/.work/registry), REGISTRY_PORT (5000), REGISTRY_AUTH_PORT (5001),
#      REGISTRY_USER (palisade), REGISTRY_PASSWORD (palisade-test).
# Config files are our own (under REGISTRY_DIR): the packaged /etc/docker/registry/config.yml is never used.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RDIR=${REGISTRY_DIR:-$ROOT/.work/registry}
PORT=${REGISTRY_PORT:-5000}
AUTH_PORT=${REGISTRY_AUTH_PORT:-5001}
USER_=${REGISTRY_USER:-palisade}
PASS_=${REGISTRY_PASSWORD:-palisade-test}
HOST=127.0.0.1

say() { printf '[registry %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

need() {
  local t
  for t in docker-registry htpasswd curl; do
    command -v "$t" >/dev/null || die "missing $t (apt-get install docker-registry apache2-utils curl)"
  done
}

running() {  # running NAME: pid file exists and the process is a docker-registry
  local pf=$RDIR/$1.pid pid
  [ -f "$pf" ] || return 1
  pid=$(cat "$pf")
  kill -0 "$pid" 2>/dev/null && grep -q docker-registry "/proc/$pid/cmdline" 2>/dev/null
}

write_config() {  # write_config NAME PORT [auth]
  local name=$1 port=$2 auth=${3:-}
  mkdir -p "$RDIR/$name/data"
  {
    echo "version: 0.1"
    echo "log: {level: warn, accesslog: {disabled: true}}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $RDIR/$name/data}"
    echo "  delete: {enabled: true}"
    echo "  maintenance: {uploadpurging: {enabled: false}}"
    echo "http:"
    echo "  addr: $HOST:$port"
    echo "  secret: palisade-test-not-a-secret"
    if [ -n "$auth" ]; then
      echo "auth:"
      echo "  htpasswd: {realm: palisade-test, path: $RDIR/htpasswd}"
    fi
  } > "$RDIR/$name.yml"
}

start_one() {  # start_one NAME PORT
  local name=$1 port=$2 i code
  if running "$name"; then say "$name already running (pid $(cat "$RDIR/$name.pid"))"; return 0; fi
  if curl -s -o /dev/null --max-time 1 "http://$HOST:$port/v2/"; then
    die "port $port is already in use by something else"
  fi
  # docker-registry reads REGISTRY_* variables as configuration overrides (REGISTRY_AUTH_PORT
  # would become auth.port), so it starts without this script's own settings in its environment.
  env -u REGISTRY_PORT -u REGISTRY_AUTH_PORT -u REGISTRY_DIR -u REGISTRY_USER -u REGISTRY_PASSWORD \
    docker-registry serve "$RDIR/$name.yml" >> "$RDIR/$name.log" 2>&1 &
  echo $! > "$RDIR/$name.pid"
  for i in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$port/v2/" || true)
    case $code in 200|401) say "$name up on $HOST:$port (pid $(cat "$RDIR/$name.pid"), /v2/ -> $code)"; return 0 ;; esac
    # kill -0 only: right after the fork the child may not have exec'd docker-registry yet, so its
    # cmdline can still be this script's (a race `running` would misread under load).
    kill -0 "$(cat "$RDIR/$name.pid")" 2>/dev/null || { tail -20 "$RDIR/$name.log" >&2; die "$name exited"; }
    sleep 0.1
  done
  tail -20 "$RDIR/$name.log" >&2
  die "$name did not answer on $HOST:$port/v2/"
}

stop_one() {
  local name=$1 pid i
  if running "$name"; then
    pid=$(cat "$RDIR/$name.pid")
    kill "$pid"
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    say "$name stopped (pid $pid)"
  fi
  rm -f "$RDIR/$name.pid"
}

cmd_start() {
  need
  mkdir -p "$RDIR"
  htpasswd -Bbn "$USER_" "$PASS_" > "$RDIR/htpasswd"   # the registry only accepts bcrypt
  printf '{"auths":{"%s:%s":{"auth":"%s"}}}\n' "$HOST" "$AUTH_PORT" "$(printf '%s:%s' "$USER_" "$PASS_" | base64 -w0)" \
    > "$RDIR/auth.json"
  write_config anon "$PORT"
  write_config auth "$AUTH_PORT" auth
  start_one anon "$PORT"
  start_one auth "$AUTH_PORT"
}

cmd_stop() { stop_one anon; stop_one auth; }

cmd_status() {
  local n
  for n in anon auth; do
    if running "$n"; then echo "$n: running pid $(cat "$RDIR/$n.pid")"; else echo "$n: stopped"; fi
  done
}

cmd_push() {
  local out=${1:-$ROOT/.work/images} dir name all t0
  command -v skopeo >/dev/null || die "missing skopeo"
  running anon && running auth || die "registries are not running (scripts/registry.sh start)"
  [ -d "$out/oci" ] || die "no $out/oci (run scripts/build-test-images.sh)"
  t0=$(date +%s)
  for dir in "$out"/oci/*/; do
    dir=${dir%/}; name=$(basename "$dir")
    [ -f "$dir/index.json" ] || continue
    all=()
    [ "$(jq -r '.manifests[0].mediaType' "$dir/index.json")" = application/vnd.oci.image.index.v1+json ] && all=(--all)
    skopeo copy --quiet "${all[@]}" --dest-tls-verify=false \
      "oci:$dir:latest" "docker://$HOST:$PORT/palisade-test/$name:latest"
    skopeo copy --quiet "${all[@]}" --dest-tls-verify=false --dest-creds "$USER_:$PASS_" \
      "oci:$dir:latest" "docker://$HOST:$AUTH_PORT/palisade-test/$name:latest"
    say "pushed palisade-test/$name:latest ${all[*]}"
  done
  if [ -f "$out/oci-zstd/layers/index.json" ]; then
    skopeo copy --quiet --dest-tls-verify=false \
      "oci:$out/oci-zstd/layers:latest" "docker://$HOST:$PORT/palisade-test/layers-zstd:latest"
    say "pushed palisade-test/layers-zstd:latest (anonymous registry only)"
  fi
  say "push done in $(( $(date +%s) - t0 ))s"
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  push) shift; cmd_push "$@" ;;
  *) echo "usage: $0 start|stop|status|push [OUTDIR]" >&2; exit 2 ;;
esac
