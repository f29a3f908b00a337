#!/usr/bin/env bash
# test.sh - THE project test command: real test images, local registries, then cargo test.
#
# Usage: scripts/test.sh [cargo test args...]     e.g. scripts/test.sh -p palisade-image -- --nocapture
# Steps: install missing apt packages (root) -> scripts/build-test-images.sh (cached in .work/images)
#        -> scripts/registry.sh start + push -> cargo test --workspace [args]
#        -> scripts/test-deploy.sh (Helm chart, RBAC, static manifests; with the binaries cargo test
#           built) -> scripts/test-image.sh (the container image, built with buildah, pushed to the
#           local registry and scanned by Palisade) -> registries stopped on exit.
# Env:
#   PALISADE_TEST_IMAGES_DIR   where images are built/cached (default <repo>/.work/images)
#   PALISADE_TEST_PROFILE      release (default) or debug
#   PALISADE_TEST_NO_IMAGES=1  skip images and registries (unit tests only; image tests then skip)
#   PALISADE_TEST_NO_DEPLOY=1  skip scripts/test-deploy.sh (it also does not run when -p selects crates)
#   PALISADE_TEST_NO_IMAGE=1   skip scripts/test-image.sh (likewise; it needs the images' registry)
# Exported to the tests:
#   PALISADE_TEST_IMAGES, PALISADE_TEST_REGISTRY=127.0.0.1:5000, PALISADE_TEST_AUTH_REGISTRY=127.0.0.1:5001,
#   PALISADE_TEST_AUTH_USER, PALISADE_TEST_AUTH_PASSWORD, PALISADE_TEST_AUTH_FILE (docker config.json),
#   PALISADE_TEST_REQUIRE_IMAGES=1, and every variable of OUTDIR/images.env (PALISADE_TEST_<IMAGE>_OCI, ...).
#
# Why --release: measured on 2 cores (fresh clone, cold target dir, other builds running), `cargo test
# --workspace --no-run` took 172 s in release vs 233 s in debug: the dev profile builds dependencies at
# opt-level 2 *with full debuginfo*, release only with line tables. Release also makes the image tests
# (gzip/zstd decompression of real layers) fast, and scripts/bench.sh reuses the same release artifacts.
# For quick local iterations use PALISADE_TEST_PROFILE=debug.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUTDIR=${PALISADE_TEST_IMAGES_DIR:-$ROOT/.work/images}
PROFILE=${PALISADE_TEST_PROFILE:-release}
APT_PKGS=(debootstrap umoci skopeo docker-registry apache2-utils jq curl python3 ca-certificates buildah musl-tools binutils
  golang-go golang-golang-x-text-dev)   # the lang test image's Go binary (built offline from Debian's sources)
# The lang image's pip and npm: Debian's packages only when none is installed (CI has Node.js 20 with npm).
python3 -m pip --version >/dev/null 2>&1 || APT_PKGS+=(python3-pip)
command -v npm >/dev/null || APT_PKGS+=(npm)

say() { printf '[test.sh %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
T_START=$(date +%s)
STEPS=()
step_done() { STEPS+=("$(printf '%-22s %5ss' "$1" "$(( $(date +%s) - $2 ))")"); }
summary() { local s; say "timings:"; for s in "${STEPS[@]}"; do printf '    %s\n' "$s" >&2; done; }

# ------------------------------------------------------------------ packages
missing_pkgs() {
  local p
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

if [ "${PALISADE_TEST_NO_IMAGES:-0}" != 1 ]; then
  t=$(date +%s)
  mapfile -t MISSING < <(missing_pkgs)
  if [ ${#MISSING[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      die "missing packages: ${MISSING[*]}. Install them as root: apt-get install -y ${MISSING[*]}
       (building the test images also needs root: debootstrap, chroot, mount)"
    fi
    say "apt-get install ${MISSING[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null; }
  fi
  step_done packages "$t"

  # ---------------------------------------------------------------- images
  t=$(date +%s)
  if [ "$(id -u)" != 0 ] && [ -f "$OUTDIR/images.env" ]; then
    say "not root: using the already built images in $OUTDIR"
  else
    scripts/build-test-images.sh "$OUTDIR"
  fi
  step_done images "$t"

  # ---------------------------------------------------------------- registries
  t=$(date +%s)
  STOP_REGISTRIES=1
  if scripts/registry.sh status | grep -q running; then STOP_REGISTRIES=0; fi  # someone else's: leave them up
  stop_registries() {
    local rc=$?
    [ "$STOP_REGISTRIES" = 1 ] && scripts/registry.sh stop || true
    summary
    say "total $(( $(date +%s) - T_START ))s, exit $rc"
    exit $rc
  }
  trap stop_registries EXIT
  trap 'exit 130' INT TERM
  scripts/registry.sh start
  scripts/registry.sh push "$OUTDIR"
  step_done registries "$t"

  set -a
  # shellcheck disable=SC1091
  . "$OUTDIR/images.env"
  set +a
  export PALISADE_TEST_IMAGES=$OUTDIR
  export PALISADE_TEST_REGISTRY=127.0.0.1:${REGISTRY_PORT:-5000}
  export PALISADE_TEST_AUTH_REGISTRY=127.0.0.1:${REGISTRY_AUTH_PORT:-5001}
  export PALISADE_TEST_AUTH_USER=${REGISTRY_USER:-palisade}
  export PALISADE_TEST_AUTH_PASSWORD=${REGISTRY_PASSWORD:-palisade-test}
  export PALISADE_TEST_AUTH_FILE=${REGISTRY_DIR:-$ROOT/.work/registry}/auth.json
  export PALISADE_TEST_REQUIRE_IMAGES=1
else
  trap 'summary' EXIT
fi

# ------------------------------------------------------------------ cargo test
t=$(date +%s)
CARGO_ARGS=(--workspace)
for a in "$@"; do  # -p/--package selects crates: then no --workspace; --release given: do not repeat it
  [ "$a" = -- ] && break
  case $a in -p|-p*|--package|--package=*) CARGO_ARGS=() ;; -r|--release) PROFILE=given ;; esac
done
[ "$PROFILE" = release ] && CARGO_ARGS+=(--release)
# Build first, then run under a time limit, so that a hung test fails the run with a message
# instead of eating CI's whole budget (PALISADE_TEST_TIMEOUT, default 25 minutes, bounds only the
# running of the tests; a cold release build takes about 9 minutes on 2 cores).
say "cargo test --no-run ${CARGO_ARGS[*]}"
NO_RUN=()
for a in "$@"; do [ "$a" = -- ] && break; NO_RUN+=("$a"); done
cargo test "${CARGO_ARGS[@]}" "${NO_RUN[@]}" --no-run
say "cargo test ${CARGO_ARGS[*]} $* (time limit ${PALISADE_TEST_TIMEOUT:-25m})"
rc=0
timeout --kill-after=30s "${PALISADE_TEST_TIMEOUT:-25m}" cargo test "${CARGO_ARGS[@]}" "$@" || rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
  say "the tests did not finish within ${PALISADE_TEST_TIMEOUT:-25m}: a test hangs (the last 'has been running for over 60 seconds' line names it)"
fi
[ "$rc" = 0 ] || exit "$rc"
step_done "cargo test ($PROFILE)" "$t"

# ------------------------------------------------------------------ deployment tests
# The chart, its RBAC and the rendered manifests, checked with the palisade and palisade-apiserver
# binaries that cargo test just built (integration tests build them).
if [ "${PALISADE_TEST_NO_DEPLOY:-0}" = 1 ]; then
  say "PALISADE_TEST_NO_DEPLOY=1: scripts/test-deploy.sh NOT run"
elif [ "${CARGO_ARGS[0]:-}" != --workspace ]; then
  say "-p selects crates: scripts/test-deploy.sh NOT run (run it on its own)"
else
  t=$(date +%s)
  BIN_DIR=$ROOT/target/$([ "$PROFILE" = debug ] && echo debug || echo release)
  PALISADE_BIN=$BIN_DIR/palisade PALISADE_APISERVER_BIN=$BIN_DIR/palisade-apiserver scripts/test-deploy.sh
  step_done "deploy tests" "$t"
fi

# ------------------------------------------------------------------ container image
if [ "${PALISADE_TEST_NO_IMAGE:-0}" = 1 ] || [ "${PALISADE_TEST_NO_IMAGES:-0}" = 1 ]; then
  say "PALISADE_TEST_NO_IMAGE(S)=1: scripts/test-image.sh NOT run"
elif [ "${CARGO_ARGS[0]:-}" != --workspace ]; then
  say "-p selects crates: scripts/test-image.sh NOT run (run it on its own)"
else
  t=$(date +%s)
  if ! rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
    say "rustup target add x86_64-unknown-linux-musl (the image's static binary)"
    rustup target add x86_64-unknown-linux-musl
  fi
  PALISADE_BIN=$ROOT/target/$([ "$PROFILE" = debug ] && echo debug || echo release)/palisade scripts/test-image.sh
  step_done "container image" "$t"
fi
