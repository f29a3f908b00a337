#!/usr/bin/env bash
# Times `trivy fs --scanners secret` against the palisade-secret example scanner on the same
# folder of generated realistic text (32 KiB files, a planted secret every ~20 KB), and prints
# the in-memory throughput of the engine (examples/bench.rs).
#
#   scripts/secrets/bench.sh [MB] [DIR]      (defaults: 64, /tmp/palisade-secret-bench)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mb=${1:-64}
dir=${2:-/tmp/palisade-secret-bench}
trivy=${TRIVY:-$(command -v trivy || echo /work/main/.work/peers/bin/trivy)}

(cd "$root" && cargo build -q --release -p palisade-secret --example bench --example scan)
bin="$root/target/release/examples"
rm -rf "$dir" && mkdir -p "$dir"
"$bin/bench" --write "$dir/files" "$mb"
echo "folder: $(du -sh "$dir/files" | cut -f1) in $(find "$dir/files" -type f | wc -l) files"

count() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(r.get('Secrets') or []) for r in d.get('Results') or []))" "$1"; }
/usr/bin/time -f "trivy fs --scanners secret: %e s, peak RSS %M KiB" \
  "$trivy" fs --scanners secret --format json --quiet --cache-dir "$dir/trivy-cache" "$dir/files" > "$dir/trivy.json"
echo "  findings: $(count "$dir/trivy.json")"
/usr/bin/time -f "palisade-secret scan: %e s, peak RSS %M KiB" "$bin/scan" "$dir/files" > "$dir/palisade.json"
echo "  findings: $(count "$dir/palisade.json")"
"$bin/bench" "$mb"
