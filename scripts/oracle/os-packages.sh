#!/usr/bin/env bash
# os-packages.sh - OS package lists of the OS-package test images (alpine alma9 alma8-bdb suse-ndb ubuntu):
# Trivy's and (when PALISADE is given) Palisade's, each compared with the expected list that
# scripts/build-test-images.sh read with the real tools (OUTDIR/manifests/NAME.os.tsv).
#
# Usage: scripts/oracle/os-packages.sh [NAME...]
# Environment (defaults in brackets):
#   IMAGES   [<repo>/.work/images]             OUTDIR of build-test-images.sh
#   TRIVY    [<repo>/.work/peers/bin/trivy]    Trivy (0.76); skipped with TRIVY=none
#   PALISADE []                                a palisade binary; when set, its list is compared too
#   DB       [$OUT/palisade.db]                Palisade's advisory db (built from $ADVISORIES/*.zip if missing
#                                              or older than the binary)
#   ADVISORIES [/work/shared/data/advisories]
#   OUT      [<repo>/.work/oracle-out/os-packages]  reports, lists and diffs
# Rows compared: Name Version Arch SourceName SourceVersion, with Version as Trivy prints it
# ([epoch:]version[-release]) and, for rpm, SourceVersion = version-release (SOURCERPM carries no epoch;
# Trivy copies the binary's epoch into SrcEpoch, which is left out). Trivy runs offline: --scanners ''
# (packages only, no vulnerability db) --skip-db-update --offline-scan on the docker archive.
# Exit status: 0 every list equals its manifest, 1 some differ, 2 error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
IMAGES="${IMAGES:-$root/.work/images}"
TRIVY="${TRIVY:-$root/.work/peers/bin/trivy}"
PALISADE="${PALISADE:-}"
OUT="${OUT:-$root/.work/oracle-out/os-packages}"
DB="${DB:-$OUT/palisade.db}"
ADVISORIES="${ADVISORIES:-/work/shared/data/advisories}"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(alpine alma9 alma8-bdb suse-ndb ubuntu)

log() { echo "[os-packages] $*" >&2; }
mkdir -p "$OUT" "$OUT/trivy-cache"

# JSON report (Trivy schema) -> sorted TSV of the OS result's packages
to_tsv() {  # to_tsv REPORT FAMILY_IS_RPM(0|1)
  jq -r --argjson rpm "$2" '
    def ev(e; v; r): (if (e // 0) > 0 then "\(e):" else "" end) + v + (if (r // "") != "" then "-" + r else "" end);
    .Results[]? | select(.Class == "os-pkgs") | .Packages[]? |
    [ .Name, ev(.Epoch; .Version; .Release), (.Arch // ""), (.SrcName // .Name),
      (if $rpm == 1 then ((.SrcVersion // .Version) + (if (.SrcRelease // "") != "" then "-" + .SrcRelease else "" end)
                         | sub("^[0-9]+:"; ""))
       else ev(.SrcEpoch; (.SrcVersion // .Version); .SrcRelease) end) ] | @tsv' "$1" | LC_ALL=C sort
}

# Explain a difference in words: per package name, what each side has.
explain() {  # explain EXPECTED ACTUAL LABEL
  python3 - "$1" "$2" "$3" <<'PY'
import sys
exp_f, act_f, label = sys.argv[1:]
def load(p):
    d = {}
    for line in open(p):
        f = line.rstrip("\n").split("\t")
        d.setdefault(f[0], []).append(f)
    return d
e, a = load(exp_f), load(act_f)
for name in sorted(set(e) | set(a)):
    if e.get(name) == a.get(name):
        continue
    if name not in a:
        print(f"    missing in {label}: {' '.join(e[name][0])}")
    elif name not in e:
        print(f"    only in {label}:    {' '.join(a[name][0])}")
    else:
        cols = ["Name", "Version", "Arch", "SourceName", "SourceVersion"]
        for x, y in zip(e[name], a[name]):
            diffs = [f"{c} {xv!r} vs {yv!r}" for c, xv, yv in zip(cols, x, y) if xv != yv]
            print(f"    {name}: " + "; ".join(diffs) + f"  (manifest vs {label})")
PY
}

if [ -n "$PALISADE" ]; then
  [ -x "$PALISADE" ] || { log "no palisade binary at $PALISADE"; exit 2; }
  cp "$PALISADE" "$OUT/palisade"; PAL="$OUT/palisade"
  # Rebuilt for a newer binary: its database schema may have changed.
  if [ ! -f "$DB" ] || [ "$PALISADE" -nt "$DB" ]; then
    "$PAL" db build --osv "$ADVISORIES"/*.zip --db "$DB" >"$OUT/db-build.log" 2>&1 \
      || { cat "$OUT/db-build.log" >&2; exit 2; }
  fi
fi

rc=0
printf '%-10s %9s %7s %9s %9s  %s\n' image manifest trivy palisade os-family notes
for n in "${names[@]}"; do
  man="$IMAGES/manifests/$n.os.tsv"
  [ -f "$man" ] || { log "no $man (run scripts/build-test-images.sh --os-only)"; exit 2; }
  LC_ALL=C sort "$man" > "$OUT/$n.manifest.tsv"
  tcount=- pcount=- fam=- notes=()
  if [ "$TRIVY" != none ]; then
    "$TRIVY" image --quiet --cache-dir "$OUT/trivy-cache" --format json --scanners '' --skip-db-update \
      --offline-scan --input "$IMAGES/docker/$n.tar" -o "$OUT/$n.trivy.json" 2>"$OUT/$n.trivy.log" \
      || { cat "$OUT/$n.trivy.log" >&2; exit 2; }
    fam=$(jq -r '.Metadata.OS.Family // "-"' "$OUT/$n.trivy.json")
    isrpm=0; case $fam in alma|rocky|redhat|centos|oracle|fedora|amazon|opensuse*|sles|suse*|photon|azurelinux|cbl-mariner) isrpm=1 ;; esac
    to_tsv "$OUT/$n.trivy.json" "$isrpm" > "$OUT/$n.trivy.tsv"
    tcount=$(wc -l < "$OUT/$n.trivy.tsv")
    if ! diff -q "$OUT/$n.manifest.tsv" "$OUT/$n.trivy.tsv" >/dev/null; then
      rc=1; notes+=("trivy differs:"); notes+=("$(explain "$OUT/$n.manifest.tsv" "$OUT/$n.trivy.tsv" trivy)")
    else notes+=("trivy = manifest"); fi
  fi
  if [ -n "$PALISADE" ]; then
    "$PAL" image --db "$DB" --format json --list-all-pkgs --no-cache "oci:$IMAGES/oci/$n:latest" \
      -o "$OUT/$n.palisade.json" 2>"$OUT/$n.palisade.log" || { cat "$OUT/$n.palisade.log" >&2; exit 2; }
    pfam=$(jq -r '.Metadata.OS.Family // "-"' "$OUT/$n.palisade.json")
    [ "$fam" = - ] && fam=$pfam
    isrpm=0; case $pfam in alma|rocky|redhat|centos|oracle|fedora|amazon|opensuse*|sles|suse*|photon|azurelinux|cbl-mariner) isrpm=1 ;; esac
    to_tsv "$OUT/$n.palisade.json" "$isrpm" > "$OUT/$n.palisade.tsv"
    pcount=$(wc -l < "$OUT/$n.palisade.tsv")
    [ "$pfam" = "$fam" ] || notes+=("palisade OS family $pfam")
    if ! diff -q "$OUT/$n.manifest.tsv" "$OUT/$n.palisade.tsv" >/dev/null; then
      rc=1; notes+=("palisade differs:")
      if [ "$pcount" = 0 ]; then notes+=("    palisade lists no OS packages"); else
        notes+=("$(explain "$OUT/$n.manifest.tsv" "$OUT/$n.palisade.tsv" palisade)"); fi
    else notes+=("palisade = manifest"); fi
  fi
  printf '%-10s %9s %7s %9s %9s  %s\n' "$n" "$(wc -l < "$OUT/$n.manifest.tsv")" "$tcount" "$pcount" "$fam" "${notes[0]:-}"
  for x in "${notes[@]:1}"; do printf '%s\n' "$x" | sed 's/^/                                              /'; done
done
log "lists and reports in $OUT"
exit $rc
