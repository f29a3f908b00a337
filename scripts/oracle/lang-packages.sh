#!/usr/bin/env bash
# lang-packages.sh - language package lists of the `apps` test image: Trivy's, Syft's and (when PALISADE is
# given) Palisade's, per result type, each compared with the expected list that scripts/build-test-images.sh
# read from the files the ecosystems' own tools wrote (OUTDIR/manifests/apps.tsv).
#
# Usage: scripts/oracle/lang-packages.sh [NAME]      (NAME: the image, default apps)
# Environment (defaults in brackets):
#   IMAGES   [<repo>/.work/images]             OUTDIR of build-test-images.sh
#   TRIVY    [/work/main/.work/peers/bin/trivy, else <repo>/.work/peers/bin/trivy]  Trivy (0.76); none: skip
#   SYFT     [same places, syft]                Syft (1.18); none: skip
#   PALISADE []                                a palisade binary; when set, its list is compared too
#   DB       [$OUT/palisade.db]                Palisade's advisory db (built from $ADVISORIES/*.zip if missing
#                                              or older than the binary)
#   ADVISORIES [/work/shared/data/advisories]
#   OUT      [<repo>/.work/oracle-out/lang-packages]  reports and the comparison (compare.txt)
# How each runs (offline; no vulnerability or Java database is downloaded):
#   trivy image --input docker/NAME.tar --format json --scanners '' --list-all-pkgs --skip-db-update
#         --skip-java-db-update --offline-scan      (packages only; Trivy's image scan reads installed
#         packages, not lockfiles, and with no scanner it leaves jars alone: see scripts/oracle/README.md)
#   trivy image ... --format cyclonedx, with an empty Java DB (trivy-java-db-stub.sh): its jar components
#   syft scan oci-dir:oci/NAME -o json             (default catalogers for an image: installed packages)
#   syft scan oci-dir:oci/NAME --override-default-catalogers all -o json   (lockfiles too; "syft-all")
#   palisade image --db DB --format json --list-all-pkgs --no-cache oci:oci/NAME:latest
# Printed: a table of package counts per type (manifest split by scope prod/dev/self/os) and, per tool,
# every difference from the manifest; see lang_packages.py for the normalisation.
# Exit status: 0 when Palisade lists every package Trivy or Syft (default catalogers) lists, except those in
# dpkg-owned files (manifest scope os), and none of the latter (also 0 without PALISADE); 1 otherwise; 2 error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
peer() {  # peer NAME: the peers' binary, shared checkout first
  local p
  for p in /work/main/.work/peers/bin/$1 "$root/.work/peers/bin/$1"; do [ -x "$p" ] && { echo "$p"; return; }; done
  echo "$root/.work/peers/bin/$1"
}
IMAGES="${IMAGES:-$root/.work/images}"
TRIVY="${TRIVY:-$(peer trivy)}"
SYFT="${SYFT:-$(peer syft)}"
PALISADE="${PALISADE:-}"
OUT="${OUT:-$root/.work/oracle-out/lang-packages}"
DB="${DB:-$OUT/palisade.db}"
ADVISORIES="${ADVISORIES:-/work/shared/data/advisories}"
n="${1:-apps}"

log() { echo "[lang-packages] $*" >&2; }
mkdir -p "$OUT" "$OUT/trivy-cache"
man="$IMAGES/manifests/$n.tsv"
[ -f "$man" ] || { log "no $man (run scripts/build-test-images.sh --only $n)"; exit 2; }
args=(--manifest "$man")

if [ "$TRIVY" != none ]; then
  [ -x "$TRIVY" ] || { log "no trivy at $TRIVY (TRIVY=none skips it)"; exit 2; }
  "$TRIVY" image --quiet --cache-dir "$OUT/trivy-cache" --format json --scanners '' --list-all-pkgs \
    --skip-db-update --skip-java-db-update --offline-scan --input "$IMAGES/docker/$n.tar" \
    -o "$OUT/$n.trivy.json" 2>"$OUT/$n.trivy.log" || { cat "$OUT/$n.trivy.log" >&2; exit 2; }
  args+=(--trivy "$OUT/$n.trivy.json")
  # Jars: only Trivy's CycloneDX output reads them with no scanner, and only with a Java DB
  # (an empty one: no manifest or file-name guess is confirmed, pom.properties alone count).
  bash "$here/trivy-java-db-stub.sh" "$OUT/trivy-cache" 2>/dev/null
  "$TRIVY" image --quiet --cache-dir "$OUT/trivy-cache" --format cyclonedx --scanners '' \
    --skip-db-update --skip-java-db-update --offline-scan --input "$IMAGES/docker/$n.tar" \
    -o "$OUT/$n.trivy.cdx.json" 2>"$OUT/$n.trivy-cdx.log" || { cat "$OUT/$n.trivy-cdx.log" >&2; exit 2; }
  args+=(--trivy-cdx "$OUT/$n.trivy.cdx.json")
fi
if [ "$SYFT" != none ]; then
  [ -x "$SYFT" ] || { log "no syft at $SYFT (SYFT=none skips it)"; exit 2; }
  export SYFT_CHECK_FOR_APP_UPDATE=false
  "$SYFT" scan -q "oci-dir:$IMAGES/oci/$n" -o "json=$OUT/$n.syft.json" 2>"$OUT/$n.syft.log" \
    || { cat "$OUT/$n.syft.log" >&2; exit 2; }
  "$SYFT" scan -q "oci-dir:$IMAGES/oci/$n" --override-default-catalogers all -o "json=$OUT/$n.syft-all.json" \
    2>"$OUT/$n.syft-all.log" || { cat "$OUT/$n.syft-all.log" >&2; exit 2; }
  args+=(--syft "$OUT/$n.syft.json" --syft-all "$OUT/$n.syft-all.json")
fi
if [ -n "$PALISADE" ]; then
  [ -x "$PALISADE" ] || { log "no palisade binary at $PALISADE"; exit 2; }
  cp "$PALISADE" "$OUT/palisade"; PAL="$OUT/palisade"
  # Rebuilt for a newer binary: its database schema may have changed.
  if [ ! -f "$DB" ] || [ "$PALISADE" -nt "$DB" ]; then
    "$PAL" db build --osv "$ADVISORIES"/*.zip --db "$DB" >"$OUT/db-build.log" 2>&1 \
      || { cat "$OUT/db-build.log" >&2; exit 2; }
  fi
  "$PAL" image --db "$DB" --format json --list-all-pkgs --no-cache "oci:$IMAGES/oci/$n:latest" \
    -o "$OUT/$n.palisade.json" 2>"$OUT/$n.palisade.log" || { cat "$OUT/$n.palisade.log" >&2; exit 2; }
  args+=(--palisade "$OUT/$n.palisade.json")
fi

set +e
python3 "$here/lang_packages.py" "${args[@]}" | tee "$OUT/compare.txt"
rc=${PIPESTATUS[0]}
set -e
log "reports and compare.txt in $OUT"
exit "$rc"
