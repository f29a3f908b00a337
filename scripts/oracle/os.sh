#!/usr/bin/env bash
# os.sh - independent oracle for Palisade's OS-package findings on the OS-package test images
# (alpine alma9 alma8-bdb suse-ndb ubuntu; scripts/build-test-images.sh --os-only builds them).
# os_oracle.py reads each image's package database with the real tools, evaluates the OSV zips with the
# ecosystem's own version ordering (python3-rpm labelCompare, dpkg --compare-versions, an apk comparator
# written from apk-version(8)) and prints the expected findings; with a Palisade binary it also scans each
# image and compares (ids tolerant: record id, alias, upstream CVE).
#
# Usage: scripts/oracle/os.sh [NAME...]
# Environment (defaults in brackets):
#   IMAGES     [<repo>/.work/images]        OUTDIR of build-test-images.sh
#   PALISADE   []                           a palisade binary; unset = expected findings only
#   ADVISORIES [/work/shared/data/advisories]
#   OUT        [<repo>/.work/oracle-out/os] reports, oracle.txt, oracle.json
#   DB         [$OUT/palisade.db]           built from $ADVISORIES/*.zip when missing
#   BRIEF      [12]                         differences printed per image (all are in $OUT/oracle.txt)
# Exit status: 0 agree (or no PALISADE), 1 the finding sets differ, 2 error.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
IMAGES="${IMAGES:-$root/.work/images}"
PALISADE="${PALISADE:-}"
ADVISORIES="${ADVISORIES:-/work/shared/data/advisories}"
OUT="${OUT:-$root/.work/oracle-out/os}"
DB="${DB:-$OUT/palisade.db}"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(alpine alma9 alma8-bdb suse-ndb ubuntu)
log() { echo "[os-oracle] $*" >&2; }
mkdir -p "$OUT"
/usr/bin/python3 -c 'import rpm' 2>/dev/null || { log "needs python3-rpm (apt-get install python3-rpm)"; exit 2; }
args=(--advisories "$ADVISORIES" --json "$OUT/oracle.json")
for n in "${names[@]}"; do
  [ -f "$IMAGES/oci/$n/index.json" ] || { log "no image $IMAGES/oci/$n (scripts/build-test-images.sh --os-only)"; exit 2; }
  args+=(--image "$n=$IMAGES/oci/$n")
done
if [ -n "$PALISADE" ]; then
  [ -x "$PALISADE" ] || { log "no palisade binary at $PALISADE"; exit 2; }
  cp "$PALISADE" "$OUT/palisade"
  if [ ! -f "$DB" ] || [ "$PALISADE" -nt "$DB" ]; then
    log "building $DB"
    "$OUT/palisade" db build --osv "$ADVISORIES"/*.zip --db "$DB" >"$OUT/db-build.log" 2>&1 \
      || { cat "$OUT/db-build.log" >&2; exit 2; }
  fi
  for n in "${names[@]}"; do
    "$OUT/palisade" image --db "$DB" --format json --list-all-pkgs --no-cache "oci:$IMAGES/oci/$n:latest" \
      -o "$OUT/$n.json" 2>"$OUT/$n.log" || { cat "$OUT/$n.log" >&2; exit 2; }
    args+=(--report "$n=$OUT/$n.json")
  done
fi
set +e
/usr/bin/python3 "$here/os_oracle.py" "${args[@]}" >"$OUT/oracle.txt"
rc=$?
[ $rc -ge 2 ] && { cat "$OUT/oracle.txt"; exit $rc; }
# the verdicts, at most BRIEF differences per image, and the table (everything is in $OUT/oracle.txt)
/usr/bin/python3 "$here/os_oracle.py" "${args[@]}" --brief "${BRIEF:-12}" || true
set -e
log "full output: $OUT/oracle.txt, $OUT/oracle.json"
exit $rc
