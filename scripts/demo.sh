#!/usr/bin/env bash
# demo.sh - README command 1: build a real Debian image, an advisory database, and scan the image.
#
# Usage: cargo build --release && scripts/demo.sh
# Builds the test images with scripts/build-test-images.sh (debootstrap from the Debian mirror; root needed,
# cached in .work/images), builds .work/demo.db from every OSV zip in ../shared/data/advisories when it exists
# (Debian 12, PyPI, npm, Go, crates.io and the rest; else from the OSV fixtures in crates/palisade/tests/fixtures/osv),
# then scans the "aged" image (Debian 12 whose dpkg database records the versions of the 12.0 release for a few
# packages), the current "layers" image and the "lang" image (Python, Node.js, Go and Rust packages).
# Finally scripts/operator-demo.sh runs `palisade operator` on the project's test API server with the same
# database: three workloads, two scan Jobs, and the reports Trivy Operator users query with kubectl.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=$ROOT/target/release/palisade
[ -x "$BIN" ] || cargo build --release -p palisade
OUTDIR=${PALISADE_TEST_IMAGES_DIR:-$ROOT/.work/images}
scripts/build-test-images.sh "$OUTDIR"

DATA=$ROOT/../shared/data/advisories
if compgen -G "$DATA/*.zip" >/dev/null; then SRC=("$DATA"/*.zip); else SRC=("$ROOT/crates/palisade/tests/fixtures/osv"); fi
DB=$ROOT/.work/demo.db
"$BIN" db build --osv "${SRC[@]}" --db "$DB"
"$BIN" db info --db "$DB"
for img in aged layers lang; do
  echo
  echo "\$ palisade image --db $DB oci:$OUTDIR/oci/$img"
  "$BIN" image --db "$DB" "oci:$OUTDIR/oci/$img"
done

echo
echo "\$ scripts/operator-demo.sh $DB"
scripts/operator-demo.sh "$DB"
