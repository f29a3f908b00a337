#!/usr/bin/env bash
# test-image.sh - builds Palisade's container image without a daemon (scripts/build-image.sh),
# pushes it to the local test registry, checks what it is, and scans it with Palisade itself:
# the image must be clean of HIGH and CRITICAL findings.
#
# Usage: scripts/test-image.sh      (scripts/test.sh runs it after cargo test)
# Env:   PALISADE_TEST_REGISTRY (default 127.0.0.1:5000), PALISADE_BIN (default target/release/palisade)
# Needs: buildah, musl-tools, the musl Rust target, skopeo, jq (.ci/run installs them), a running
#        registry (scripts/registry.sh start).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
REG=${PALISADE_TEST_REGISTRY:-127.0.0.1:5000}
BIN=${PALISADE_BIN:-$ROOT/target/release/palisade}
WORK=$ROOT/.work/test-image
say() { printf '[test-image %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

[ -x "$BIN" ] || fail "no palisade binary at $BIN (cargo build --release -p palisade)"
VERSION=$("$BIN" --version | awk '{print $2}')
REF=$REG/palisade/palisade:$VERSION
rm -rf "$WORK"; mkdir -p "$WORK"

T0=$(date +%s)
PALISADE_IMAGE_OUT=$WORK/image scripts/build-image.sh --dest "$REF"
T_BUILD=$(( $(date +%s) - T0 ))

# What the image is: one layer holding /palisade, non-root, the binary as entrypoint.
skopeo inspect --tls-verify=false --config "docker://$REF" > "$WORK/config.json"
[ "$(jq -r '.config.User' "$WORK/config.json")" = "65532:65532" ] || fail "the image does not run as 65532:65532"
[ "$(jq -c '.config.Entrypoint' "$WORK/config.json")" = '["/palisade"]' ] || fail "the entrypoint is not /palisade"
[ "$(jq -r '.rootfs.diff_ids | length' "$WORK/config.json")" = 1 ] || fail "the image has more than one layer"
layer=$(jq -r '.layers[0].digest' "$WORK/image/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$WORK/image/oci/index.json" | cut -d: -f2)")
files=$(tar -tzf "$WORK/image/oci/blobs/sha256/${layer#sha256:}" | grep -v '/$' | sort | tr '\n' ' ')
[ "$files" = "palisade " ] || fail "the layer holds more than /palisade: $files"
say "image $REF: user 65532:65532, entrypoint /palisade, one layer with /palisade only"

# The static binary runs with nothing around it (no libc, no loader): it is the image's only file.
# Run the copy from the pushed layer itself, not the one in the target folder.
tar -xzf "$WORK/image/oci/blobs/sha256/${layer#sha256:}" -C "$WORK" palisade
"$WORK/palisade" --version | grep -q "$VERSION" || fail "the image's binary does not run"
say "the image's binary runs: $("$WORK/palisade" --version)"

# Palisade scans its own image, with the fixtures' database (and the real Debian data when
# ../shared is there), from the registry as any user would; HIGH or CRITICAL fails the test.
"$BIN" db build --osv crates/palisade/tests/fixtures/osv --db "$WORK/fixtures.db" >/dev/null
say "palisade image $REF --severity HIGH,CRITICAL --exit-code 1"
rc=0
"$BIN" image --db "$WORK/fixtures.db" --severity HIGH,CRITICAL --exit-code 1 "$REF" | tee "$WORK/scan.txt" || rc=$?
[ "$rc" = 0 ] || fail "Palisade's scan of its own image found HIGH or CRITICAL vulnerabilities (exit $rc)"
"$BIN" image --db "$WORK/fixtures.db" --format json "$REF" > "$WORK/scan.json"
say "scan JSON: $(jq -c '[.Results[]? | {Target, Class, n: (.Vulnerabilities // [] | length)}]' "$WORK/scan.json" 2>/dev/null || echo unreadable)"
say "ok: image built and checked in ${T_BUILD}s, clean of HIGH and CRITICAL"
