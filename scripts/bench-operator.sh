#!/usr/bin/env bash
# bench-operator.sh - scale benchmark of `palisade operator` (issue 4's "Done when").
#
# Usage: scripts/bench-operator.sh [OPTIONS]   (options of the benchmark program, e.g.
#        --pods 1000 --images 100 for a quick run; --help lists them)
# Steps: cargo build --release -p palisade -> the benchmark program (crates/palisade/benches/
#        operator_scale.rs, built with `cargo bench`), which starts the test API server in-process
#        (controllers off), creates 5,000 Running Pods of 1,000 ReplicaSets on 500 images and one
#        cached SbomReport per image, runs target/release/palisade operator against it with
#        database A, waits for every report, replaces the database with B and waits for every
#        VulnerabilityReport to show it, sampling the operator's VmRSS/VmHWM every 200 ms.
# Needs the test images (scripts/build-test-images.sh). Database B adds
# ../shared/data/advisories/debian12-changelogs.zip when it exists (read in place).
# Output: the summary table on stdout, also in .work/bench/operator-scale.txt; the operator log
# and databases in .work/bench/operator-scale/. Exit status 1 when a target is missed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
IMAGES=${PALISADE_TEST_IMAGES_DIR:-$ROOT/.work/images}
OUT=$ROOT/.work/bench/operator-scale
say() { printf '[bench-operator %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [ ! -f "$IMAGES/oci/aged/index.json" ]; then
  say "the test images are missing ($IMAGES/oci/aged): run scripts/build-test-images.sh first"
  exit 1
fi

say "cargo build --release -p palisade"
cargo build --release -p palisade
say "building the benchmark program"
cargo bench -p palisade --bench operator_scale --no-run

rm -rf "$OUT"
mkdir -p "$OUT"
say "running (about two minutes on 2 cores)"
cargo bench -q -p palisade --bench operator_scale -- \
  --palisade "$ROOT/target/release/palisade" --images-dir "$IMAGES" --work-dir "$OUT" "$@" \
  | tee "$ROOT/.work/bench/operator-scale.txt"
