#!/usr/bin/env bash
# Plants fake secrets and decoys (make-corpus.py), scans them with Trivy and with the
# palisade-secret example scanner, and prints recall, precision and wall time for both.
#
#   scripts/secrets/compare.sh [OUTDIR]        (default /tmp/palisade-secret-compare)
#
# TRIVY=path/to/trivy selects the Trivy binary (default: `trivy` on PATH, else the peer copy in
# the main checkout). PROFILE=dev builds the example in debug (default release: timing matters).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-/tmp/palisade-secret-compare}
trivy=${TRIVY:-$(command -v trivy || echo /work/main/.work/peers/bin/trivy)}
profile=${PROFILE:-release}

python3 "$here/make-corpus.py" "$out"

cargo_flags=(-q -p palisade-secret --example scan)
[ "$profile" = release ] && cargo_flags+=(--release)
(cd "$root" && cargo build "${cargo_flags[@]}")
bin_dir=$([ "$profile" = release ] && echo release || echo debug)
scan="$root/target/$bin_dir/examples/scan"

ms() { date +%s%3N; }

t0=$(ms)
"$trivy" fs --scanners secret --format json --quiet --cache-dir "$out/trivy-cache" "$out/corpus" > "$out/trivy.json"
t1=$(ms)
"$scan" "$out/corpus" > "$out/palisade.json"
t2=$(ms)

echo "trivy $("$trivy" --version | head -1): $((t1 - t0)) ms; palisade-secret ($profile): $((t2 - t1)) ms"
python3 "$here/evaluate.py" "$out/manifest.json" "trivy=$out/trivy.json" "palisade=$out/palisade.json"
