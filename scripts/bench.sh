#!/usr/bin/env bash
# bench.sh - scan-speed benchmark on the ~1 GB "big" image: palisade vs the floor vs Trivy.
#
# Usage: scripts/bench.sh [RUNS]   (default 3 runs per case; the table shows medians)
# Steps: scripts/build-test-images.sh --big -> cargo build --release -p palisade
#        -> advisory DB (palisade db build --osv ../shared/data/advisories/debian12-changelogs.zip, if present)
#        -> floor: `palisade bench-floor OCI_DIR` (only if that subcommand exists)
#        -> palisade image on the OCI layout and the docker-archive
#        -> trivy (package listing only, no vuln DB offline) if ../shared/scripts/install-peers.sh can provide it.
# Wall time and peak RSS come from /usr/bin/time -v. Results: .work/bench/results.tsv (all runs) and a table.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${1:-3}
OUTDIR=${PALISADE_TEST_IMAGES_DIR:-$ROOT/.work/images}
BENCH=$ROOT/.work/bench
SHARED=$ROOT/../shared
PALISADE=$ROOT/target/release/palisade
DB=$ROOT/.work/bench.db
PEERS=$ROOT/.work/peers
mkdir -p "$BENCH"
RESULTS=$BENCH/results.tsv
printf 'tool\tinput\trun\twall_s\tpeak_mib\texit\n' > "$RESULTS"

say() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

[ -x /usr/bin/time ] || { [ "$(id -u)" = 0 ] && apt-get install -y -qq time >/dev/null; } \
  || { say "needs /usr/bin/time (apt-get install time)"; exit 1; }

# ------------------------------------------------------------------ inputs
say "building the big image (cached)"
scripts/build-test-images.sh --big "$OUTDIR"
OCI=$OUTDIR/oci/big
ARCHIVE=$OUTDIR/docker/big.tar
M=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$OCI/index.json")
read -r NLAYERS CSIZE < <(jq -r '"\(.layers | length) \([.layers[].size] | add)"' "$OCI/blobs/sha256/$M")
USIZE=$(stat -c %s "$ARCHIVE")
say "big: $NLAYERS layers, $((CSIZE / 1048576)) MiB compressed, docker-archive $((USIZE / 1048576)) MiB, $(wc -l < "$OUTDIR/manifests/big.dpkg.tsv") packages"

say "cargo build --release -p palisade"
PAL_OK=1
cargo build --release -p palisade && [ -x "$PALISADE" ] || { PAL_OK=0; say "WARNING: no palisade binary: palisade rows skipped"; }

DBARGS=()
if [ "$PAL_OK" = 0 ]; then
  :
elif [ -f "$SHARED/data/advisories/debian12-changelogs.zip" ]; then
  if [ ! -f "$DB" ] || [ "$PALISADE" -nt "$DB" ]; then
    say "palisade db build --osv debian12-changelogs.zip --db $DB"
    rm -f "$DB"
    "$PALISADE" db build --osv "$SHARED/data/advisories/debian12-changelogs.zip" --db "$DB"
  fi
  DBARGS=(--db "$DB")
else
  say "no $SHARED/data/advisories: palisade runs without --db"
fi

# ------------------------------------------------------------------ measuring
measure() {  # measure TOOL INPUT CMD...: RUNS timed runs, stdout discarded
  local tool=$1 input=$2 i rc tf wall rss; shift 2
  for i in $(seq "$RUNS"); do
    tf=$BENCH/time.txt
    rc=0
    /usr/bin/time -v -o "$tf" "$@" > "$BENCH/last.out" 2> "$BENCH/last.err" || rc=$?
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (j = 1; j <= n; j++) s = s * 60 + p[j]; printf "%.2f", s}' "$tf")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$tf")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$input" "$i" "$wall" "$rss" "$rc" >> "$RESULTS"
    say "$tool $input run $i: ${wall}s ${rss} MiB exit $rc"
    # palisade exits non-zero when it finds vulnerabilities; only a crash-like status is worth showing
    [ "$rc" -le 1 ] || tail -5 "$BENCH/last.err" >&2
  done
}

if [ "$PAL_OK" = 1 ]; then
  if "$PALISADE" bench-floor --help >/dev/null 2>&1; then
    measure "floor (palisade bench-floor)" "oci (gzip)" "$PALISADE" bench-floor "$OCI"
  else
    say "palisade has no bench-floor subcommand yet: floor not measured"
  fi
  measure palisade "oci (gzip)" "$PALISADE" image --no-cache --format json "${DBARGS[@]}" "oci:$OCI"
  measure palisade "docker-archive" "$PALISADE" image --no-cache --format json "${DBARGS[@]}" "$ARCHIVE"
fi

TRIVY=
if [ -x "$PEERS/bin/trivy" ]; then
  TRIVY=$PEERS/bin/trivy
elif command -v trivy >/dev/null; then
  TRIVY=$(command -v trivy)
elif [ -x "$SHARED/scripts/install-peers.sh" ] || [ -f "$SHARED/scripts/install-peers.sh" ]; then
  say "installing trivy with ../shared/scripts/install-peers.sh into $PEERS"
  bash "$SHARED/scripts/install-peers.sh" "$PEERS" >&2 && TRIVY=$PEERS/bin/trivy || say "trivy install failed"
fi
if [ -n "$TRIVY" ]; then
  TCACHE=$PEERS/trivy-cache
  mkdir -p "$TCACHE"
  TARGS=(--cache-dir "$TCACHE" --cache-backend memory --skip-db-update --skip-java-db-update --offline-scan
         --disable-telemetry --format cyclonedx --quiet)
  measure "trivy (sbom)" "oci (gzip)" "$TRIVY" image "${TARGS[@]}" --input "$OCI"
  measure "trivy (sbom)" "docker-archive" "$TRIVY" image "${TARGS[@]}" --input "$ARCHIVE"
else
  say "trivy not available: skipped"
fi

# ------------------------------------------------------------------ table
printf '\nbig image: %s layers, %s MiB compressed, %s MiB uncompressed; median of %s runs\n' \
  "$NLAYERS" "$((CSIZE / 1048576))" "$((USIZE / 1048576))" "$RUNS"
python3 - "$RESULTS" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
groups = {}
for r in rows:
    groups.setdefault((r["tool"], r["input"]), []).append(r)
print(f"{'tool':<30} {'input':<16} {'wall s':>8} {'peak MiB':>9} {'exit':>5}")
for (tool, inp), rs in groups.items():
    wall = statistics.median(float(r["wall_s"]) for r in rs)
    rss = statistics.median(float(r["peak_mib"]) for r in rs)
    codes = ",".join(sorted({r["exit"] for r in rs}))
    print(f"{tool:<30} {inp:<16} {wall:>8.2f} {rss:>9.0f} {codes:>5}")
PY
